"""``leabra-fast run --config FILE`` and the report of ``leabra-fast seed``."""

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_cli import _check_outputs

import leabra_fast as lf
from leabra_fast.cli import main
from leabra_fast.core.config import ConfigError, load_config

EXAMPLE = Path(__file__).parent.parent / "examples" / "run_config.toml"
X = list(lf.NOTEBOOK_INPUT)
HAVE_MPL = importlib.util.find_spec("matplotlib") is not None


def _write(tmp_path, text, name="config.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.skipif(not HAVE_MPL, reason="matplotlib not installed")
def test_seed_writes_report_and_saved_run(tmp_path, capsys):
    assert main(["seed", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'report.png'}" in out
    png = (tmp_path / "report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    assert lf.load(tmp_path / "run.npz").spike_count[0] == 137
    assert main(["seed", "--out", str(tmp_path / "b"), "--no-report"]) == 0
    assert not (tmp_path / "b" / "report.png").exists()


def test_seed_says_when_it_skips_the_report(tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real(name, *a),
    )
    assert main(["seed", "--out", str(tmp_path)]) == 0
    assert 'skipped report.png: matplotlib is not installed (pip install "leabra-fast[plot]")' in (
        capsys.readouterr().out
    )
    assert not (tmp_path / "report.png").exists()
    _check_outputs(tmp_path)


def test_example_config_is_the_notebook(tmp_path, capsys):
    assert main(["run", "--config", str(EXAMPLE), "--out", str(tmp_path), "--no-report"]) == 0
    assert "137 spikes" in capsys.readouterr().out
    _check_outputs(tmp_path)


def test_params_schedules_and_run_options_are_used(tmp_path):
    cfg = _write(
        tmp_path,
        f"""
[params]
m_lrn = 1.0
lrate = 0.05
gc_i_reversal = "e_rev_i"

[schedule]
inputs = {X}
su_avg_m = 0.4
gc_i = 0.02

[run]
n_cycles = 50
n_units = 2
record = ["v_m", "wt"]
units = [1]
record_every = 5
backend = "python"
""",
    )
    assert main(["run", "--config", str(cfg), "--no-report"]) == 0
    out = tmp_path / "config-out"  # default: next to the config
    params = lf.SeedParams(m_lrn=1.0, lrate=0.05, gc_i_reversal="e_rev_i")
    expected = lf.simulate(X, su_avg_m=0.4, gc_i=0.02, params=params, n_cycles=50, n_units=2,
                           record=["v_m", "wt"], units=[1], record_every=5)  # fmt: skip
    saved = lf.load(out / "run.npz")
    assert saved.params == params and saved.backend == "python"
    assert saved.state.equals(expected.state)
    np.testing.assert_array_equal(saved["v_m"], expected["v_m"])
    assert list(saved) == ["v_m", "wt"] and saved["v_m"].shape == (200, 1)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_units"] == 2 and summary["spike_count"] == expected.spike_count.tolist()


def test_schedules_from_npy_and_csv_files(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    x3 = rng.uniform(0, 1, (4, 2, 3))
    sub = tmp_path / "data"
    sub.mkdir()
    np.save(sub / "inputs.npy", x3)
    np.savetxt(sub / "s_eff.csv", np.arange(4) / 4, delimiter=",")  # one column
    (sub / "s_m.csv").write_text("# sender avg_m\n0.1,0.2,0.3,0.4\n")  # one row
    np.savetxt(sub / "gc_i.csv", rng.uniform(0, 0.1, (4, 2)), delimiter=",")
    cfg = _write(
        tmp_path,
        """
[schedule]
inputs = "data/inputs.npy"
su_avg_s_eff = "data/s_eff.csv"
su_avg_m = "data/s_m.csv"
gc_i = "data/gc_i.csv"
[run]
n_cycles = 30
""",
    )
    monkeypatch.chdir(tmp_path.parent)  # paths are relative to the config file, not the cwd
    result = load_config(cfg).simulate()
    gc_i = np.loadtxt(sub / "gc_i.csv", delimiter=",")
    expected = lf.simulate(x3, np.arange(4) / 4, [0.1, 0.2, 0.3, 0.4], gc_i=gc_i, n_cycles=30)
    assert result.state.equals(expected.state)
    assert result["wt"].tobytes() == expected["wt"].tobytes()


def test_sdc_derives_the_rates(tmp_path):
    cfg = _write(tmp_path, f"[params]\nsdc = 2\n[schedule]\ninputs = {X}\n")
    assert load_config(cfg).params == lf.SeedParams.from_sdc(2)


S = "[schedule]\ninputs = [1]\n"
BAD = [
    ("[params]\ngian = 2\n", r"\[params\] unknown key 'gian' \(did you mean 'gain'\?\)"),
    ("[params]\nlrate = -1\n", r"\[params\] lrate = -1: .*lrate must be a number >= 0"),
    ('[params]\nlrate = "fast"\n', r"\[params\] lrate = 'fast': .*must be a real number"),
    ("[params]\navg_l_min = 2.0\n", r"\[params\] .*avg_l_min .* must be <= avg_l_max"),
    ("[schedule]\ninput = [1]\n", r"\[schedule\] unknown key 'input' \(did you mean 'inputs'\?\)"),
    ("[schedule]\nsu_avg_m = [1]\n", r"\[schedule\] 'inputs' is required"),
    ("[schedule]\ninputs = true\n", r"\[schedule\] inputs must be a number, a list"),
    ("[schedule]\ninputs = [[1, 2], [3]]\n", r"\[schedule\] inputs must be numbers in \(nested\)"),
    ('[schedule]\ninputs = "missing.npy"\n', r"\[schedule\] inputs: file 'missing.npy' not found"),
    ('[schedule]\ninputs = "x.txt"\n', r"inputs: 'x.txt' must be a \.npy or \.csv file"),
    ('[schedule]\ninputs = "wide.csv"\n', r"inputs: 'wide.csv' has shape \(2, 2\)"),
    ('[schedule]\ninputs = "junk.npy"\n', r"inputs: could not read 'junk.npy'"),
    ("[schedule]\ninputs = [1, 2]\ngc_i = [0, 0, 0]\n", r"gc_i has 3 trials, inputs has 2"),
    (S + "[run]\ncycles = 10\n", r"\[run\] unknown key 'cycles' \(did you mean 'n_cycles'\?\)"),
    (S + '[run]\nn_cycles = "100"\n', r"\[run\] n_cycles must be an integer, got '100'"),
    (S + "[run]\nrecord = 3\n", r"\[run\] record must be a string or a list"),
    (S + '[run]\nbackend = "gpu"\n', r"toml: unknown backend 'gpu'"),
    (S + '[run]\nrecord = ["vm"]\n', r"toml: unknown trace name"),
    (S + "[runs]\nn_cycles = 1\n", r"unknown table 'runs' \(did you mean 'run'\?\)"),
    ("seed = 1\n" + S, r"toml: unknown key 'seed'"),
    ("[params]\nlrate = 0.1\n", r"toml: a \[schedule\] table with 'inputs' is required"),
    ("[params\n", r"toml: not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_config_is_a_message_naming_file_and_key(tmp_path, capsys, text, message):
    (tmp_path / "wide.csv").write_text("1,2\n3,4\n")
    (tmp_path / "junk.npy").write_bytes(b"not an array")
    cfg = _write(tmp_path, text)
    assert main(["run", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"leabra-fast: error: {cfg}: ")  # the file is named first
    import re

    assert re.search(message, err), err
    with pytest.raises(ConfigError, match=message):
        load_config(cfg).simulate()


def test_missing_config_file(tmp_path, capsys):
    assert main(["run", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml: no such file" in capsys.readouterr().err


def test_example_config_copied_elsewhere_runs(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "mine.toml")
    assert main(["run", "--config", str(tmp_path / "mine.toml"), "--no-report"]) == 0
    assert (tmp_path / "mine-out" / "traces.csv").exists()
