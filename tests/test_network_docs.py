"""The Python examples of docs/network_model.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

DOC = Path(__file__).parent.parent / "docs" / "network_model.md"


@pytest.mark.skipif(not DOC.exists(), reason="docs/ not next to the tests (wheel checks)")
def test_doc_examples_run():
    """Every ```python block of docs/network_model.md runs, in order, in one namespace; the
    first network's traces have the documented shapes."""
    pytest.importorskip("tqdm")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 2
    ns: dict = {}
    exec(blocks[0], ns)
    res = ns["res"]
    assert res.cycles["Hidden"]["act"].shape == (4, 100, 1, 4)
    assert res.trials["Hidden"]["act_m"].shape == (4, 1, 4)
    assert res.stats["Output"]["sse"].shape == (4, 1)
    assert res.weights["InputToHidden"].shape == (1, 4, 4)
    for block in blocks[1:]:
        exec(block, ns)
    assert ns["res"].stats["Output"]["sse"].shape == (20, 4)
    assert np.isfinite(ns["res"].stats["Output"]["sse"]).all()
