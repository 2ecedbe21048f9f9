"""The console script, run end to end as a user would."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import DATA, assert_traces_close

import leabra_fast as lf
from leabra_fast.cli import main


def _check_outputs(out):
    summary = json.loads((out / "summary.json").read_text())
    assert summary["total_spikes"] == 137 and summary["spike_count"] == [137]
    with np.load(DATA / "seed_golden.npz") as golden:
        want = float(golden["final_fwt"][0, 0])
        assert summary["final_fwt"][0][0] == pytest.approx(want, rel=1e-12)
        with np.load(out / "traces.npz") as f:
            assert set(lf.TRACE_NAMES) <= set(f.files)
            for name in lf.TRACE_NAMES:
                assert_traces_close(f[name].reshape(2000), golden[name], name=name)
        table = np.genfromtxt(out / "traces.csv", delimiter=",", names=True)
        assert len(table) == 2000
        assert set(lf.TRACE_NAMES) <= set(table.dtype.names)
        assert_traces_close(table["v_m"], golden["v_m"])
        assert table["act"].sum() == 137


def test_seed_command_in_process(tmp_path, capsys):
    assert main(["seed", "--out", str(tmp_path / "run")]) == 0
    assert "137 spikes" in capsys.readouterr().out
    _check_outputs(tmp_path / "run")


def test_console_script_end_to_end(tmp_path):
    exe = shutil.which("leabra-fast")
    cmd = [exe] if exe else [sys.executable, "-m", "leabra_fast.cli"]
    proc = subprocess.run(
        [*cmd, "seed", "--out", str(tmp_path / "out")], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "137 spikes" in proc.stdout
    _check_outputs(tmp_path / "out")


def test_cli_errors_are_messages(tmp_path, capsys):
    assert main(["seed", "--out", str(tmp_path), "--cycles", "0"]) == 2
    assert "n_cycles must be >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["seed"])  # --out is required


def test_info_command_reports_the_kernel_in_use(capsys):
    from leabra_fast import _emergent_kernel
    from leabra_fast.seed import compiled as seed_kernel

    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"SIMD {seed_kernel.BUILD_INFO['simd']}" in out
    assert "threads by default" in out
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["leabra_fast"] == lf.__version__
    assert info["numpy"] == np.__version__
    k = info["seed_kernel"]
    assert k["simd"] == seed_kernel.BUILD_INFO["simd"] and k["simd"] in k["simd_available"]
    assert k["simd_available"] == list(seed_kernel.simd_levels())
    assert k["block"] == seed_kernel.BLOCK
    assert info["default_threads"] >= 1
    e = info["emergent_kernel"]
    assert e["simd"] == _emergent_kernel.BUILD_INFO["simd"] and e["block"] == _emergent_kernel.BLOCK


def test_info_command_names_an_environment_choice():
    env = dict(__import__("os").environ, LEABRA_FAST_SIMD="baseline")
    code = "from leabra_fast.cli import main; main(['info'])"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "SIMD baseline (LEABRA_FAST_SIMD=baseline)" in out
    assert "emergent kernel: SIMD baseline" in out
