"""The README's Python examples run as written (in a scratch directory)."""

import re
from pathlib import Path

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
    namespace: dict = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    assert int(namespace["more"].state.cycle) == 10000  # 50 + 50 trials of 100 cycles
    assert namespace["more"]["wt"].shape == (500, 3, 10)
    for code in blocks[1:]:  # later blocks may use names from earlier ones, as a reader would
        exec(compile(code, str(README), "exec"), namespace)
    assert (tmp_path / "report.png").stat().st_size > 0
    assert (tmp_path / "run.npz").stat().st_size > 0
