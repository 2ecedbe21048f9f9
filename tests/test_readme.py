"""The README's Python examples run as written (in a scratch directory)."""

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"

pytest.importorskip("matplotlib")
pytest.importorskip("pandas")
pytest.importorskip("xarray")


def _blocks():
    if not README.exists():  # tests copied out of the source tree (wheel checks)
        return []
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


@pytest.mark.skipif(not README.exists(), reason="README.md not next to the tests")
def test_readme_examples_run(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    blocks = _blocks()
    assert len(blocks) >= 3
    spaces = []
    for code in blocks:  # each block on its own: a reader may copy any one of them
        namespace: dict = {}
        exec(compile(code, str(README), "exec"), namespace)
        spaces.append(namespace)
    assert int(spaces[0]["more"].state.cycle) == 10000  # 50 + 50 trials of 100 cycles
    assert spaces[0]["more"]["wt"].shape == (500, 3, 10)
    assert spaces[1]["back"].spike_count.tolist() == [137]  # the notebook's run, saved and loaded
    assert int(spaces[2]["res"].state.cycle) == 1000  # emergent: 10 trials of 4 x 25 cycles
    assert spaces[3]["res"].spike_count.tolist() == [19]  # the textbook neuron, spiking
    net = next(s for s in spaces if "hidden" in s)  # the networks block
    go_value = float(np.float32(0.9427379))  # Go's TestNetAct value (float32)
    assert abs(float(net["hidden"][0, 24, 0, 0]) - go_value) <= 1e-8
    assert net["sse"][-1] < net["sse"][0]  # the benchmark net learns over 5 epochs
    import leabra_fast as lf

    ds = spaces[4]["ds"]  # the sweep: each point is a lone run's spike count
    assert ds.spike_count.dims == ("lrate", "thr")
    lone = lf.simulate(lf.NOTEBOOK_INPUT, params=lf.SeedParams(lrate=0.05, thr=0.5), record=None)
    assert int(ds.spike_count.sel(lrate=0.05, thr=0.5)) == int(lone.spike_count[0])
    assert (tmp_path / "sweep.png").stat().st_size > 0
    assert (tmp_path / "report.png").stat().st_size > 0
    assert (tmp_path / "run.npz").stat().st_size > 0
    swept = next(s for s in spaces if "swept" in s)["swept"]  # the network sweep
    assert swept.sse.dims == ("Layer:inhib.layer.gi", "Prjn:learn.lrate", "layer", "epoch",
                              "batch")  # fmt: skip
    assert swept.sse.shape == (3, 3, 2, 30, 4)
    assert (tmp_path / "net-sweep.png").stat().st_size > 0
    tools = next(s for s in spaces if "wrong" in s)  # the textbook's hard task is learned
    assert tools["res"].n_epochs == 100 and (tools["wrong"][-5:] == 0).all()
    assert tools["out_act"].shape == (400, 100, 4, 2)
    assert (tmp_path / "net-report.png").stat().st_size > 0


@pytest.mark.skipif(not README.exists(), reason="README.md not next to the tests")
def test_readme_network_commands_run(tmp_path, capsys):
    # the network tools' shell lines, run from the repository as the README says
    from leabra_fast.cli import main

    root = README.parent
    text = README.read_text()
    line = "leabra-fast run --config examples/pattern_associator.toml --out pat-assoc"
    assert line in text
    args = line.split()[1:]
    args[2] = str(root / args[2])
    args[4] = str(tmp_path / args[4])
    assert main(args) == 0
    assert "(stopped: zero error)" in capsys.readouterr().out
    assert (tmp_path / "pat-assoc" / "report.png").stat().st_size > 0
    assert "python examples/network_pattern_associator.py pat-assoc-figures" in text
    assert (root / "examples" / "network_pattern_associator.py").is_file()
