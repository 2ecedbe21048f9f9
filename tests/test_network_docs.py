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
    # The documented net is Go's basic_test.go 4-4-4 net in float64: pattern 0's Hidden
    # unit 0 at cycles 24 and 99 are TestNetAct's published 0.9427379 and 0.9431544, to the
    # 4 float32 ulps test_network_go.py allows float64 runs.
    for cyc, go in ((24, 0.9427379), (99, 0.9431544)):
        pub = np.float32(go)
        got = res.cycles["Hidden"]["act"][0, cyc, 0, 0]
        assert abs(got - float(pub)) <= 4 * float(np.spacing(pub)), (cyc, got, go)
    for block in blocks[1:]:
        exec(block, ns)
    assert ns["res"].stats["Output"]["sse"].shape == (20, 4)
    assert np.isfinite(ns["res"].stats["Output"]["sse"]).all()
