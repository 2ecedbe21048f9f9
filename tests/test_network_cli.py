"""``leabra-fast run --config net.toml``: network run files, checked before running, and
their outputs (equal to the same training in Python)."""

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

from leabra_fast.cli import main
from leabra_fast.core.config import ConfigError
from leabra_fast.network import Network, read_wts, train
from leabra_fast.network.config import load_network_config

EXAMPLE = Path(__file__).parent.parent / "examples" / "pattern_associator.toml"
HAVE_MPL = importlib.util.find_spec("matplotlib") is not None

SMALL = """
[network]
name = "Small"
seed = 3
n_batch = 2

[layers.In]
shape = [2, 2]
kind = "input"

[layers.Hid]
shape = 3

[layers.Out]
shape = 2
kind = "target"

[projections.InToHid]
send = "In"
recv = "Hid"

[projections.HidToOut]
send = "Hid"
recv = "Out"

[projections.OutToHid]
send = "Out"
recv = "Hid"
class = "back"

[params.Layer]
act.gbar.l = 0.2

[params.".back"]
wt_scale.rel = 0.2

[params."#Out"]
inhib.layer.gi = 1.4

[inputs]
In = [[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]]

[targets]
Out = [[1, 0], [0, 1], [1, 0]]

[run]
epochs = 3
record = ["act"]
"""


def _small_by_hand():
    net = Network("Small", n_batch=2)
    net.add_layer("In", (2, 2), "input")
    net.add_layer("Hid", 3)
    net.add_layer("Out", 2, "target")
    net.connect("In", "Hid")
    net.connect("Hid", "Out")
    net.connect("Out", "Hid", "full", "back")
    net.apply_params([("Layer", {"act.gbar.l": 0.2}), (".back", {"wt_scale.rel": 0.2}),
                      ("#Out", {"inhib.layer.gi": 1.4})])  # fmt: skip
    net.init_weights(3)
    ins = {"In": np.array([[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]], float)}
    tgs = {"Out": np.array([[1, 0], [0, 1], [1, 0]], float)}
    return net, train(net, ins, tgs, epochs=3, record=["act"], progress=False)


def _write(tmp_path, text, name="net.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_run_file_outputs_equal_python(tmp_path, capsys):
    cfg = _write(tmp_path, SMALL)
    out = tmp_path / "out"
    assert main(["run", "--config", str(cfg), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "network 'Small', 3 layers, 3 projections; 3 epochs of 3 trials" in printed
    net, ref = _small_by_hand()
    with np.load(out / "result.npz", allow_pickle=False) as z:
        for ly in ("In", "Hid", "Out"):
            np.testing.assert_array_equal(z[f"cycles/{ly}/act"], ref.cycles[ly]["act"])
            np.testing.assert_array_equal(z[f"stats/{ly}/sse"], ref.stats[ly]["sse"])
            np.testing.assert_array_equal(z[f"history/{ly}/cos_diff"], ref.history[ly]["cos_diff"])
        for p in ("InToHid", "HidToOut", "OutToHid"):
            np.testing.assert_array_equal(z[f"weights/{p}"], ref.weights[p])
        assert z["epoch"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    # history.csv: one row per epoch, batch copy and layer, the same numbers
    rows = (out / "history.csv").read_text().splitlines()
    assert rows[0] == "epoch,batch,layer,sse,sse_sum,pct_err,cos_diff,act_m_avg,act_p_avg"
    assert len(rows) == 1 + 3 * 2 * 3
    e, b, ly, *vals = rows[1 + (2 * 2 + 1) * 3 + 2].split(",")  # epoch 2, batch 1, Out
    assert (e, b, ly) == ("2", "1", "Out")
    assert float(vals[0]) == ref.history["Out"]["sse"][2, 1]
    trials = (out / "trials.csv").read_text().splitlines()
    assert trials[0] == "epoch,trial,pattern,batch,layer,act_m_avg,act_p_avg,sse,cos_diff"
    assert len(trials) == 1 + 9 * 2 * 3
    # the state and the .wts file continue / reload the trained network
    back = _small_by_hand()[0]
    back.load_state(out / "state.npz")
    np.testing.assert_array_equal(back.weights("HidToOut"), net.weights("HidToOut"))
    fresh = _small_by_hand()[0]
    read_wts(fresh, out / "weights.wts")
    np.testing.assert_allclose(fresh.weights("InToHid")[0], net.weights("InToHid")[0], atol=1e-6)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["epochs"] == 3 and summary["trials"] == 9 and summary["n_batch"] == 2
    assert summary["last_epoch_sse"]["Out"] == ref.history["Out"]["sse"][-1].tolist()
    if importlib.util.find_spec("xarray") and importlib.util.find_spec("scipy"):
        import xarray as xr

        with xr.open_dataset(out / "result.nc") as ds:
            np.testing.assert_array_equal(ds.wt_HidToOut.values, ref.weights["HidToOut"])
    if HAVE_MPL:
        assert (out / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_example_pattern_associator(tmp_path, capsys):
    out = tmp_path / "pa"
    assert main(["run", "--config", str(EXAMPLE), "--out", str(out), "--no-report"]) == 0
    printed = capsys.readouterr().out
    assert "network 'PatAssoc', 2 layers, 1 projections" in printed
    assert "(stopped: zero error); last epoch's SSE: Output 0" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped_early"] and summary["epochs"] < 100
    with np.load(out / "result.npz") as z:
        err = z["history/Output/pct_err"][:, 0]
        assert err[-5:].tolist() == [0.0] * 5 and err[0] > 0  # learned the hard task
    # the trained network, tested without learning, answers every hard pattern right:
    # the target output above 0.5 in the minus phase, the other below
    cfg = load_network_config(EXAMPLE)
    cfg.net.load_state(out / "state.npz")
    test = cfg.net.run(cfg.inputs, cfg.targets, learn=False)
    act_m = test.trials["Output"]["act_m"][:, 0]
    targ = cfg.targets["Output"]
    assert (act_m[targ == 1] > 0.5).all() and (act_m[targ == 0] < 0.5).all()
    assert not (out / "report.png").exists()


def test_example_same_numbers_on_both_backends():
    cfg = load_network_config(EXAMPLE)
    a = cfg.train(epochs=4, progress=False, record=[])
    cfg = load_network_config(EXAMPLE)
    b = cfg.train(epochs=4, progress=False, record=[], backend="python")
    np.testing.assert_allclose(a.weights["InputToOutput"], b.weights["InputToOutput"], rtol=1e-12)
    np.testing.assert_allclose(
        a.stats["Output"]["act_m_avg"], b.stats["Output"]["act_m_avg"], rtol=1e-12
    )


def test_run_file_trial_vars(tmp_path):
    """[run] trial_vars keeps those per-unit trial variables only."""
    cfg = load_network_config(_write(tmp_path, SMALL.replace(
        'record = ["act"]', 'record = []\ntrial_vars = ["act_p", "act_m"]')))  # fmt: skip
    res = cfg.train(progress=False)
    _, want = _small_by_hand()
    for ly in want.trials:
        assert list(res.trials[ly]) == ["act_m", "act_p"]
        for v in ("act_m", "act_p"):
            np.testing.assert_array_equal(res.trials[ly][v], want.trials[ly][v])


def test_patterns_from_files(tmp_path):
    np.save(tmp_path / "in.npy", np.array([[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]], float))
    (tmp_path / "out.csv").write_text("# Out targets\n1,0\n0,1\n1,0\n")
    text = SMALL.replace("In = [[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]]", 'In = "in.npy"')
    text = text.replace("Out = [[1, 0], [0, 1], [1, 0]]", 'Out = "out.csv"')
    cfg = load_network_config(_write(tmp_path, text))
    res = cfg.train(progress=False)
    ref = _small_by_hand()[1]
    np.testing.assert_array_equal(res.weights["HidToOut"], ref.weights["HidToOut"])


def test_nested_and_quoted_param_paths_are_the_same(tmp_path):
    a = load_network_config(_write(tmp_path, SMALL, "a.toml")).net
    text = SMALL.replace("act.gbar.l = 0.2", '"act.gbar.l" = 0.2')
    b = load_network_config(_write(tmp_path, text, "b.toml")).net
    assert a.layer("Hid").params.act.gbar.l == b.layer("Hid").params.act.gbar.l == 0.2
    assert (
        a.layer("Out").params.inhib.layer.gi == 1.4 and a.layer("Hid").params.inhib.layer.gi == 1.8
    )
    assert (
        a.prjn("OutToHid").params.wt_scale.rel == 0.2
        and a.prjn("InToHid").params.wt_scale.rel == 1.0
    )


def _sub(old, new, text=SMALL):
    assert old in text, old
    return text.replace(old, new, 1)


BAD = [
    (_sub("[network]", "[netwrok]"), r"unknown table 'netwrok' \(did you mean 'network'\?\)"),
    (_sub('name = "Small"', "name = 3"), r"\[network\] name must be a string, got 3"),
    (_sub("n_batch = 2", "n_batch = 0"), r"\[network\] n_batch must be a positive int"),
    (_sub("seed = 3", 'flavour = "go"\nseed = 3'), r"\[network\] flavour = 'go': choose one of"),
    (
        _sub("shape = [2, 2]", "shpe = [2, 2]"),
        r"\[layers.In\] unknown key 'shpe' \(did you mean 'shape'\?\)",
    ),
    (_sub("shape = 3", "shape = [3, 0]"), r"\[layers.Hid\] shape must be a positive int"),
    (_sub('kind = "target"', 'kind = "output"'), r"\[layers.Out\] kind = 'output': choose one of"),
    (
        _sub('send = "In"', 'send = "Inp"'),
        r"\[projections.InToHid\] send = 'Inp': no such layer \(did you mean 'In'\?\)",
    ),
    (
        _sub('recv = "Out"\n', 'recv = "Out"\npattern = "ful"\n'),
        r"\[projections.HidToOut\] pattern = 'ful': choose one of",
    ),
    (
        _sub('class = "back"', 'class = "backward"'),
        r"\[projections.OutToHid\] class = 'backward': choose one of",
    ),
    (_sub('recv = "Out"\n', 'recv = "Out"\npattern = "random"\n'), r"\[projections.HidToOut\] .*p"),
    (
        _sub("act.gbar.l = 0.2", "act.gbar.ll = 0.2"),
        r"\[params.Layer\] act.gbar.ll = 0.2: .*gbar.ll",
    ),
    (
        _sub("act.gbar.l = 0.2", "inhib.layer.gi = -1"),
        r"\[params.Layer\] inhib.layer.gi = -1: .*gi must be >= 0",
    ),
    (
        _sub("act.gbar.l = 0.2", 'act.gbar.l = "high"'),
        r"\[params.Layer\] act.gbar.l = 'high': .*must be a real number",
    ),
    (
        _sub('[params."#Out"]', '[params."#Outt"]'),
        r"\[params.'#Outt'\] inhib.layer.gi = 1.4: .*matches no layer",
    ),
    (
        _sub("In = [[1, 0, 0, 1]", "Inn = [[1, 0, 0, 1]"),
        r"\[inputs\] unknown layer 'Inn' \(did you mean 'In'\?\)",
    ),
    (
        _sub(
            "In = [[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]]",
            "In = [[1, 0, 0], [0, 1, 1], [1, 1, 0]]",
        ),
        r"\[inputs\] In must be \(n_patterns, 4\) .*got shape \(3, 3\)",
    ),
    (
        _sub("In = [[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]]", 'In = [[1, 0, 0, "a"]]'),
        r"\[inputs\] In must be numbers",
    ),
    (
        _sub("Out = [[1, 0], [0, 1], [1, 0]]", "Out = [[1, 0], [0, 1]]"),
        r"the patterns must have the same number of rows",
    ),
    (
        _sub("[targets]\nOut", "[targets]\nHid = [[1, 0, 0]]\nOut"),
        r"\[targets\] Hid: a hidden layer takes its patterns in \[inputs\]",
    ),
    (
        _sub("In = [[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]]", 'In = "missing.npy"'),
        r"\[inputs\] In: file 'missing.npy' not found",
    ),
    (
        _sub("In = [[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]]", 'In = "pats.txt"'),
        r"\[inputs\] In: 'pats.txt' must be a .npy or .csv file",
    ),
    (_sub("epochs = 3", "epochs = 0"), r"\[run\] epochs must be >= 1, got 0"),
    (_sub("epochs = 3", "epocs = 3"), r"\[run\] unknown key 'epocs' \(did you mean 'epochs'\?\)"),
    (_sub("epochs = 3", "epochs = 3.5"), r"\[run\] epochs must be an integer, got 3.5"),
    (
        _sub("epochs = 3", 'epochs = 3\norder = "random"'),
        r"\[run\] order = 'random': choose one of 'sequential', 'permuted'",
    ),
    (_sub("epochs = 3", "epochs = 3\nlearn = 1"), r"\[run\] learn must be true or false, got 1"),
    (
        _sub('record = ["act"]', 'record = ["actt"]'),
        r"\[run\] record: unknown variable 'actt' \(did you mean 'act'\?\)",
    ),
    (
        _sub('record = ["act"]', 'record = ["act"]\ntrial_vars = ["act_mm"]'),
        r"\[run\] trial_vars: unknown variable 'act_mm' \(did you mean 'act_m'\?\)",
    ),
    (
        _sub('record = ["act"]', 'record = ["act"]\nbackend = "c"'),
        r"\[run\] backend = 'c': choose one of",
    ),
    (_sub("[inputs]", "[run2]\n[inputs]"), r"unknown table 'run2'"),
    ("[layers]\n", r"\[layers\] must hold one table per layer"),
    (
        _sub("In = [[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]]", ""),
        r"\[inputs\] must give the patterns of at least one input layer",
    ),
]


@pytest.mark.parametrize(("text", "match"), BAD, ids=[m[:40] for _, m in BAD])
def test_bad_files_are_refused_naming_the_key(tmp_path, capsys, text, match):
    cfg = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=match) as info:
        load_network_config(cfg)
    assert str(info.value).startswith(str(cfg))
    out = tmp_path / "out"
    assert main(["run", "--config", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("leabra-fast: error: ") and re.search(match, err)
    assert not out.exists()  # checked before anything ran or was written


def test_model_run_files_still_go_to_simulate(tmp_path, capsys):
    cfg = _write(tmp_path, '[schedule]\ninputs = [1, 0]\n[run]\nrecord = "v_m"\n')
    assert main(["run", "--config", str(cfg), "--out", str(tmp_path / "o"), "--no-report"]) == 0
    assert "20 spikes" in capsys.readouterr().out


def test_registry_hooks():
    # the core finds the network's run files and figures through the registry only
    from leabra_fast.core import registry

    kind = registry.run_file_kind({"layers": {}, "run": {}})
    assert kind is not None and kind.name == "network" and kind.tables == ("layers", "projections")
    assert registry.run_file_kind({"params": {}, "schedule": {}, "run": {}}) is None
    mods = [f().__name__ for f in registry.figure_modules()]
    assert mods == [
        "leabra_fast.seed.plot",
        "leabra_fast.emergent.plot",
        "leabra_fast.network.plot",
    ]


def test_the_models_config_reader_points_to_the_network_runner(tmp_path):
    from leabra_fast.core.config import load_config

    cfg = _write(tmp_path, SMALL)
    with pytest.raises(
        ConfigError, match=r"a network run file \(it has \[layers\], \[projections\]\)"
    ):
        load_config(cfg)
