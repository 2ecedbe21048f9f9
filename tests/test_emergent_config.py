"""``leabra-fast run --config`` for the emergent model: ``model = "emergent"`` in [run]."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.cli import main
from leabra_fast.core.config import ConfigError, load_config
from leabra_fast.emergent import EmergentParams, neuron_demo_schedule

EXAMPLE = Path(__file__).parent.parent / "examples" / "emergent_config.toml"
S = '[run]\nmodel = "emergent"\n'  # the [run] table that selects the model


def _write(tmp_path, text, name="config.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _same_traces(a, b):
    assert list(a) == list(b)
    for name in a:
        assert a[name].tobytes() == b[name].tobytes(), name
    for name in b.extra:  # a loaded run also carries saving metadata
        np.testing.assert_array_equal(a.extra[name], b.extra[name])


def test_example_runs_and_equals_simulate(tmp_path, capsys):
    assert main(["run", "--config", str(EXAMPLE), "--out", str(tmp_path), "--no-report"]) == 0
    assert "5 trials x 100 cycles" in capsys.readouterr().out
    params = EmergentParams.neuron("rate", cyc_per_qtr=25, lrate=0.2)
    nan = np.nan
    expected = lf.simulate(
        [0.0, 1.0, 1.0, 1.0, 0.0], ge=[0.0, 0.5, 0.2, 0.2, 0.0], gc_i=0.0,
        targ=[nan, nan, nan, 0.9, nan], params=params, model="emergent",
    )  # fmt: skip
    saved = lf.load(tmp_path / "run.npz")
    assert saved.model == "emergent" and saved.params == params
    _same_traces(saved, expected)
    assert saved.state.equals(expected.state)
    assert abs(expected.extra["act_dif"][3, 0]) > 0.01  # the target acts in the plus phase
    assert expected["wt"][-1, 0, 0] != expected["wt"][0, 0, 0]  # and the synapse learns
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["model"] == "emergent"


@pytest.mark.parametrize(
    ("preset", "make"),
    [("emergent", EmergentParams), ("go", EmergentParams.go), ("neuron", EmergentParams.neuron),
     ("seed", EmergentParams.seed)],
)  # fmt: skip
def test_presets_with_overrides(tmp_path, preset, make):
    cfg = _write(tmp_path, f'[params]\npreset = "{preset}"\nlrate = 0.07\n' + S)
    assert load_config(cfg).params == make(lrate=0.07)


def test_no_params_or_schedule_is_the_default_model(tmp_path):
    config = load_config(_write(tmp_path, '[run]\nmodel = "emergent"\nbackend = "python"\n'))
    assert config.params == EmergentParams() and config.schedules == {}
    result = config.simulate()
    _same_traces(result, lf.simulate(model="emergent", backend="python"))


def test_per_cycle_and_per_unit_schedules_from_files(tmp_path):
    rng = np.random.default_rng(5)
    ge = np.concatenate([neuron_demo_schedule(), 0.5 * neuron_demo_schedule()])  # (2, 200, 1)
    ge = np.repeat(ge, 2, axis=2)  # two units
    np.save(tmp_path / "ge.npy", ge)
    ext = np.array([[np.nan, 0.4], [np.nan, np.nan]])
    np.savetxt(tmp_path / "ext.csv", ext, delimiter=",")
    gc_i = rng.uniform(0, 0.05, (2, 2))
    np.savetxt(tmp_path / "gc_i.csv", gc_i, delimiter=",")
    cfg = _write(
        tmp_path,
        """
[params]
preset = "neuron"
kna_on = true
[schedule]
ge = "ge.npy"
ext = "ext.csv"
gc_i = "gc_i.csv"
targ = [[nan, nan], [0.7, nan]]
[run]
model = "emergent"
record = ["v_m", "v_m_eq", "act", "spike", "g_k"]
units = [0, 1]
""",
    )
    result = load_config(cfg).simulate()
    targ = np.array([[np.nan, np.nan], [0.7, np.nan]])
    expected = lf.simulate(
        ge=ge, ext=ext, gc_i=np.loadtxt(tmp_path / "gc_i.csv", delimiter=","), targ=targ,
        params=EmergentParams.neuron(kna_on=True), model="emergent",
        record=["v_m", "v_m_eq", "act", "spike", "g_k"], units=[0, 1],
    )  # fmt: skip
    _same_traces(result, expected)
    assert result["act"][50, 1] == pytest.approx(0.4)  # the clamp
    assert result.spike_count[0] > 0


BAD = [
    ("[params]\ngian = 2\n" + S, r"\[params\] unknown key 'gian' \(did you mean 'gain'\?\)"),
    ('[params]\npreset = "c++"\n' + S, r"\[params\] preset = 'c\+\+': choose one of 'emergent'"),
    ("[params]\nthr = -inf\n" + S, r"\[params\] thr = -inf: .*thr must be a finite number"),
    ('[params]\nact_fun = "burst"\n' + S, r"\[params\] act_fun = 'burst': .*must be one of"),
    ("[params]\nt_r = 2.5\n" + S, r"\[params\] t_r = 2.5: .*must be an int"),
    ("[params]\nminus_quarters = 5\n" + S, r"\[params\] .*minus_quarters \(5\) must be <="),
    ("[params]\nsdc = 5\n" + S, r"\[params\] unknown key 'sdc'"),
    ("[schedule]\nge = [-1]\n" + S, r"toml: ge is a conductance and must be >= 0"),
    ("[schedule]\ngi = [0]\n" + S, r"\[schedule\] unknown key 'gi' \(did you mean 'gc_i'\?\)"),
    ("[schedule]\nge = true\n" + S, r"\[schedule\] ge must be a number, a list"),
    ("[schedule]\nge = [1, 2]\ntarg = [0, 0, 0]\n" + S, r"targ has 3 trials, ge has 2"),
    (S + "n_cycles = 50\n", r"toml: n_cycles = 50 but the emergent trial is .* = 100"),
    (S + 'record = ["v_mq"]\n', r"toml: unknown trace name"),
    ('[run]\nmodel = "leabra"\n', r"\[run\] model = 'leabra': choose one of 'seed', 'emergent'"),
    ("[run]\nmodel = 1\n", r"\[run\] model = 1: choose one of"),
    ("[params]\npreset = [1]\n" + S, r"\[params\] preset = \[1\]: choose one of"),
    ("[schedule]\ninputs = [1]\nge = [1]\n", r"'ge' \(emergent model only: set model"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_config_is_a_message_naming_file_and_key(tmp_path, capsys, text, message):
    cfg = _write(tmp_path, text)
    assert main(["run", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"leabra-fast: error: {cfg}: ")
    assert re.search(message, err), err
    with pytest.raises(ConfigError, match=message):
        load_config(cfg).simulate()


def test_run_writes_the_emergent_report(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    cfg = _write(tmp_path, '[params]\npreset = "neuron"\n[schedule]\nge = 1.0\n' + S)
    assert main(["run", "--config", str(cfg)]) == 0
    png = (tmp_path / "config-out" / "report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
