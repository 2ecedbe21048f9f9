"""Network results to xarray and pandas: every exported value is the array it came from."""

import numpy as np
import pytest

from leabra_fast.network import (
    LAYER_STATS,
    TRIAL_VARS,
    NetworkResult,
    basic_test_net,
    bench_net,
    bench_patterns,
    train,
)
from leabra_fast.network.export import to_dataframe, to_xarray

xr = pytest.importorskip("xarray")
pd = pytest.importorskip("pandas")

GO_HIDDEN_ACT = float(np.float32(0.9427379))  # Go basic_test.go TestNetAct, Hidden unit 0, cycle 24


@pytest.fixture(scope="module")
def res():
    # 4-4-4 net, two batch copies with different weights, learning, weights every trial
    net = basic_test_net(n_batch=2)
    net.apply_params([("Prjn", {"wt_init.var": 0.2})])
    net.init_weights(rng=3)
    pats = np.eye(4)
    return net.run({"Input": pats}, {"Output": pats}, record=["act", "ge", "wt"])


def _layer_units(ds, layer):
    return ds.sel(unit=ds.unit_layer == layer)


def test_xarray_holds_every_array(res):
    ds = res.to_xarray()
    assert dict(ds.sizes) | {} == {
        "trial": 4, "cycle": 100, "batch": 2, "unit": 12, "layer": 3,
        **{f"{p}_{e}": 4 for p in res.weights for e in ("recv", "send")},
    }  # fmt: skip
    for ly in ("Input", "Hidden", "Output"):
        sub = _layer_units(ds, ly)
        assert sub.unit_index.values.tolist() == [0, 1, 2, 3]
        for v in ("act", "ge"):
            assert sub[v].dims == ("trial", "cycle", "batch", "unit")
            np.testing.assert_array_equal(sub[v].values, res.cycles[ly][v])
        for v in TRIAL_VARS:
            np.testing.assert_array_equal(sub[v].values, res.trials[ly][v])
        for s in LAYER_STATS:
            np.testing.assert_array_equal(ds[s].sel(layer=ly).values, res.stats[ly][s])
    for p, w in res.weights.items():
        np.testing.assert_array_equal(ds[f"wt_{p}"].values, w)
        np.testing.assert_array_equal(ds[f"trial_wt_{p}"].values, res.trial_weights[p])
        send, recv = res.prjn_info[p]
        assert (ds[f"wt_{p}"].attrs["send"], ds[f"wt_{p}"].attrs["recv"]) == (send, recv)
    # the weights learned: the last trial's weights are the final ones, and differ from
    # the first trial's
    w = res.weights["InputToHidden"]
    np.testing.assert_array_equal(res.trial_weights["InputToHidden"][-1], w)
    assert not np.array_equal(res.trial_weights["InputToHidden"][0], w)
    assert ds.layer_kind.values.tolist() == ["input", "hidden", "target"]


def test_quarter_and_phase_coordinates(res):
    ds = res.to_xarray()
    assert ds.quarter.values.tolist() == [q for q in range(4) for _ in range(25)]
    assert ds.phase.values.tolist() == ["minus"] * 75 + ["plus"] * 25
    # act_m is the activity at the end of the minus phase (cycle 74), act_p at cycle 99
    act = ds.act.sel(unit=ds.unit_layer == "Output")
    minus_end = act.where(ds.phase == "minus", drop=True).isel(cycle=-1)
    np.testing.assert_array_equal(minus_end.values, res.trials["Output"]["act_m"])
    np.testing.assert_array_equal(act.isel(cycle=-1).values, res.trials["Output"]["act_p"])


def test_go_value_through_the_export():
    net = basic_test_net(dtype=np.float32)
    out = net.run({"Input": np.eye(4)}, {"Output": np.eye(4)}, learn=False, record=["act"])
    ds = out.to_xarray()
    v = _layer_units(ds, "Hidden").act.isel(trial=0, cycle=24, batch=0, unit=0)
    assert abs(float(v) - GO_HIDDEN_ACT) <= 1e-8


def test_netcdf_round_trip(res, tmp_path):
    pytest.importorskip("scipy")
    path = tmp_path / "net.nc"
    res.to_xarray().to_netcdf(path)
    with xr.open_dataset(path) as back:
        back.load()
    xr.testing.assert_identical(back, res.to_xarray())


def test_dataframe_round_trips(res):
    df = res.to_dataframe()
    sizes = {"Input": 4, "Hidden": 4, "Output": 4}
    n_cycle = 2 * 4 * 100 * 2 * 12  # act, ge x trials x cycles x batch x units
    n_trial = len(TRIAL_VARS) * 4 * 2 * 12
    n_stats = len(LAYER_STATS) * 4 * 2 * 3
    assert len(df) == n_cycle + n_trial + n_stats
    assert list(df.columns) == ["trial", "cycle", "batch", "layer", "unit", "variable", "value"]
    for ly, n in sizes.items():
        rows = df[(df.variable == "act") & (df.layer == ly)]
        back = rows.value.to_numpy().reshape(4, 100, 2, n)
        np.testing.assert_array_equal(back, res.cycles[ly]["act"])
        assert (
            rows.cycle.to_numpy().reshape(4, 100, 2, n)[:, :, 0, 0].tolist()
            == [list(range(100))] * 4
        )
        rows = df[(df.variable == "act_p") & (df.layer == ly)]
        assert (rows.cycle == -1).all()
        np.testing.assert_array_equal(
            rows.value.to_numpy().reshape(4, 2, n), res.trials[ly]["act_p"]
        )
        rows = df[(df.variable == "sse") & (df.layer == ly)]
        assert (rows.unit == -1).all() and (rows.cycle == -1).all()
        np.testing.assert_array_equal(rows.value.to_numpy().reshape(4, 2), res.stats[ly]["sse"])
    # pivot a wide table of one unit, as the docstring says
    one = df[(df.layer == "Hidden") & (df.unit == 0) & (df.batch == 1) & (df.cycle >= 0)]
    wide = one.pivot_table(
        index=["trial", "cycle"], columns="variable", values="value", observed=True
    )
    np.testing.assert_array_equal(
        wide["ge"].to_numpy(), res.cycles["Hidden"]["ge"][:, :, 1, 0].ravel()
    )
    assert df.attrs["cyc_per_qtr"] == 25


def test_dataframe_levels(res):
    for level, vars_ in (
        ("cycle", ["act", "ge"]),
        ("trial", list(TRIAL_VARS)),
        ("stats", list(LAYER_STATS)),
    ):
        df = res.to_dataframe(level)
        assert df.variable.cat.categories.tolist() == vars_
    w = res.to_dataframe("weights")
    assert list(w.columns) == ["trial", "batch", "prjn", "recv", "send", "value"]
    for p, tw in res.trial_weights.items():
        np.testing.assert_array_equal(w[w.prjn == p].value.to_numpy().reshape(tw.shape), tw)
    with pytest.raises(ValueError, match=r"level must be one of .*'bogus'"):
        res.to_dataframe("bogus")


def test_final_weights_frame_without_recording():
    net = basic_test_net()
    out = net.run({"Input": np.eye(4)}, {"Output": np.eye(4)})
    w = to_dataframe(out, "weights")
    assert list(w.columns) == ["batch", "prjn", "recv", "send", "value"]
    for p, a in out.weights.items():
        np.testing.assert_array_equal(w[w.prjn == p].value.to_numpy().reshape(a.shape), a)
    ds = to_xarray(out)
    assert "cycle" not in ds.sizes and "act" not in ds  # nothing recorded per cycle


def test_train_result_exports_epochs():
    net = bench_net(25, rng=1)
    pats = bench_patterns(5, 25, rng=2)
    res = train(net, {"Input": pats["Input"]}, {"Output": pats["Output"]}, epochs=3,
                order="permuted", rng=4, progress=False)  # fmt: skip
    ds = res.to_xarray()
    assert ds.epoch.values.tolist() == [0] * 5 + [1] * 5 + [2] * 5
    assert ds.pattern.values.tolist() == res.pattern.tolist()
    assert sorted(ds.pattern.values[5:10].tolist()) == [0, 1, 2, 3, 4]
    assert ds.attrs["n_epochs"] == 3 and ds.attrs["partial"] == 0
    df = res.to_dataframe("stats")
    sse = df[(df.variable == "sse") & (df.layer == "Output")]
    means = sse.groupby("epoch").value.mean().to_numpy()
    np.testing.assert_allclose(means, res.history["Output"]["sse"][:, 0], rtol=1e-15)


def test_bad_inputs():
    with pytest.raises(TypeError, match="result must be a NetworkResult"):
        to_xarray({"act": 1})
    with pytest.raises(ValueError, match="no layer_info"):
        to_dataframe(NetworkResult())
