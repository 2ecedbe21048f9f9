"""``leabra-fast emergent-demo``, run in process as a user would."""

import json

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.cli import main
from leabra_fast.emergent import TRACE_NAMES


@pytest.mark.parametrize(
    ("mode", "adapt"), [("rate", False), ("spike", False), ("spike", True), ("spike", "kna")]
)
def test_emergent_demo_writes_traces_and_summary(tmp_path, capsys, mode, adapt):
    out = tmp_path / "demo"
    argv = ["emergent-demo", "--out", str(out), "--mode", mode]
    argv += ["--kna"] if adapt == "kna" else ["--adapt"] if adapt else []
    assert main(argv) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"] == "emergent" and summary["n_cycles_per_trial"] == 200
    with np.load(out / "traces.npz") as f:
        assert set(TRACE_NAMES) <= set(f.files)
        act_nd = f["act_nd"][:, 0]
        spikes = int(f["spike"].sum())
    back = lf.load(out / "run.npz")
    assert back.model == "emergent" and back.params.act_fun == mode
    table = np.genfromtxt(out / "traces.csv", delimiter=",", names=True)
    assert len(table) == 200 and "v_m_eq" in table.dtype.names
    assert summary["total_spikes"] == spikes
    if mode == "rate":
        assert act_nd[159] == pytest.approx(0.84375, rel=1e-12) and spikes == 0
        assert "act_nd at cycle 159 = 0.843750" in printed
    elif not adapt:
        assert spikes == 19 and act_nd[159] == pytest.approx(0.694444444, rel=1e-8)
    else:
        assert 0 < spikes < 19


def test_emergent_demo_errors_are_messages(tmp_path, capsys):
    assert main(["emergent-demo", "--out", str(tmp_path), "--g-bar-e", "-1"]) == 2
    assert "g_bar_e" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["emergent-demo", "--out", str(tmp_path), "--mode", "poisson"])
