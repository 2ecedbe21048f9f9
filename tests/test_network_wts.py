"""emergent's JSON weight files (``.wts``), Go v1 layout (leabra/layer.go and prjn.go
``WriteWtsJSON``, emergent/weights/wts.go).  Go's golden ``leabra/testdata/testnet_good.wts``
(basic_test.go TestMakeNet) is not stored here; tests/data/network/testnet_go_layout.wts holds
the same network's initial weights in that layout (see tests/data/network/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from leabra_fast.network import Network, read_wts, write_wts

DATA = Path(__file__).parent / "data" / "network"


def test_net(dtype=np.float64, seed=0, n_batch=1):
    net = Network("TestNet", dtype=dtype, n_batch=n_batch)
    net.add_layer("Input", (4, 1), "input")
    net.add_layer("Hidden", (4, 1))
    net.add_layer("Output", (4, 1), "target")
    net.connect("Input", "Hidden", "one_to_one")
    net.connect("Hidden", "Output", "one_to_one")
    net.connect("Output", "Hidden", "one_to_one", "back")
    net.apply_params([("Layer", {"act.gbar.l": 0.2}), (".back", {"wt_scale.rel": 0.2})])
    net.init_weights(np.random.default_rng(seed))
    return net


test_net.__test__ = False  # type: ignore[attr-defined]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_read_go_layout(dtype):
    """Go basic_test.go TestMakeNet / TestSynValues: reading the initial weights of the test
    network (Wt .5, so LWt .5) and its GScale metadata (1/1.2, 0.2/1.2) into a network
    whose random weights differ; then the TestNetAct values follow (Hidden act at the end
    of quarter 0 of pattern 0: 0.9427379 within Go's 1e-8 in float32)."""
    net = test_net(dtype)
    assert not np.all(net.weights("InputToHidden")[0].diagonal() == 0.5)
    read_wts(net, DATA / "testnet_go_layout.wts")
    for pj in net.prjns:
        st = net.state.prjns[pj.name]
        assert np.array_equal(st["wt"][0], 0.5 * np.eye(4))
        assert np.array_equal(st["lwt"][0], 0.5 * np.eye(4))
    gs = {p.name: float(net.state.prjns[p.name]["gscale"][0]) for p in net.prjns}
    assert gs["InputToHidden"] == float(dtype(0.8333333))
    assert gs["OutputToHidden"] == float(dtype(0.16666667))
    res = net.run({"Input": np.eye(4)[:1]}, {"Output": np.eye(4)[:1]}, learn=False, record=["act"])
    got = res.cycles["Hidden"]["act"][0, 24, 0, 0]
    tol = 1e-8 if dtype == np.float32 else 4 * np.spacing(np.float32(0.9427379))
    assert abs(float(got) - float(np.float32(0.9427379))) <= tol


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip(tmp_path, dtype):
    """Write, read into a network with other weights: identical Wt (both dtypes), LWt to
    rounding (recomputed from Wt), and
    the file has Go's keys (Network, Layers, Layer, MetaData, Prjns, From, Rs, Ri, N, Si, Wt)."""
    a = test_net(dtype, seed=1)
    a.run({"Input": np.eye(4)}, {"Output": np.eye(4)})  # learned, non-uniform weights
    path = tmp_path / "a.wts"
    write_wts(a, path)
    doc = json.loads(path.read_text())
    assert doc["Network"] == "TestNet"
    assert [ly["Layer"] for ly in doc["Layers"]] == ["Input", "Hidden", "Output"]
    assert doc["Layers"][0]["Prjns"] is None
    hid = doc["Layers"][1]
    assert set(hid["MetaData"]) == {"ActMAvg", "ActPAvg"}
    assert [p["From"] for p in hid["Prjns"]] == ["Input", "Output"]
    assert hid["Prjns"][0]["Rs"][2] == {"Ri": 2, "N": 1, "Si": [2],
                                       "Wt": [float(a.weights("InputToHidden")[0, 2, 2])]}
    b = test_net(dtype, seed=2)
    read_wts(b, path)
    for pj in a.prjns:
        assert np.array_equal(a.weights(pj.name), b.weights(pj.name))
        # the file holds Wt only: LWt is recomputed by the inverse sigmoid, as in Go
        rtol = 1e-6 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(b.state.prjns[pj.name]["lwt"], a.state.prjns[pj.name]["lwt"],
                                   rtol=rtol)
    for ly in a.layers:
        for v in ("pool_act_m_avg_run", "pool_act_p_avg_run", "pool_act_p_avg_eff"):
            assert b.state.layers[ly.name][v][0, 0] == a.state.layers[ly.name][v][0, 0]
    for pj in a.prjns:
        assert b.state.prjns[pj.name]["gscale"][0] == a.state.prjns[pj.name]["gscale"][0]


def test_batch_and_v2_paths(tmp_path):
    """One file is one network: ``batch=`` picks the copy to write or read; Go v2's "Paths"
    key is read like v1's "Prjns"."""
    a = test_net(n_batch=3, seed=4)
    doc = json.loads((DATA / "testnet_go_layout.wts").read_text())
    for ly in doc["Layers"]:
        ly["Paths"] = ly.pop("Prjns")
    p = tmp_path / "v2.wts"
    p.write_text(json.dumps(doc))
    before = a.weights("InputToHidden")
    read_wts(a, p, batch=1)
    after = a.weights("InputToHidden")
    assert np.array_equal(after[1], 0.5 * np.eye(4))
    assert np.array_equal(after[[0, 2]], before[[0, 2]])
    write_wts(a, tmp_path / "b1.wts", batch=1)
    b1 = json.loads((tmp_path / "b1.wts").read_text())
    assert b1["Layers"][1]["Prjns"][0]["Rs"][0]["Wt"] == [0.5]
    with pytest.raises(ValueError, match=r"batch must be in \[0, 3\)"):
        write_wts(a, tmp_path / "x.wts", batch=3)


def test_read_errors(tmp_path):
    """Bad files raise errors naming what does not fit."""
    net = test_net()
    bad = tmp_path / "bad.wts"
    bad.write_text("not json")
    with pytest.raises(ValueError, match="not a JSON weights file"):
        read_wts(net, bad)
    doc = json.loads((DATA / "testnet_go_layout.wts").read_text())
    doc["Layers"][1]["Layer"] = "Nope"
    bad.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="no layer named 'Nope'"):
        read_wts(net, bad)
    doc = json.loads((DATA / "testnet_go_layout.wts").read_text())
    doc["Layers"][2]["Prjns"][0]["From"] = "Input"
    bad.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="'Output' has no projection from 'Input'"):
        read_wts(net, bad)
    doc = json.loads((DATA / "testnet_go_layout.wts").read_text())
    doc["Layers"][2]["Prjns"][0]["Rs"][0]["Si"] = [3]
    bad.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="has no synapse 3 -> 0"):
        read_wts(net, bad)
