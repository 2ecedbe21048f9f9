"""The model registry: the core reaches models only through it, and a new model is a sibling."""

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.core import registry

CORE = Path(lf.__file__).parent / "core"


def _imported_modules(path: Path) -> list[str]:
    """Every module an import statement of ``path`` names, resolved to absolute names."""
    package = "leabra_fast.core"
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            mod = ".".join(p for p in (base, node.module or "") if p)
            out += [mod] + [f"{mod}.{a.name}" for a in node.names]
    return out


def test_the_core_imports_no_model():
    files = sorted(CORE.glob("*.py"))
    assert len(files) >= 15
    for path in files:
        for mod in _imported_modules(path):
            parts = mod.split(".")
            assert not (parts[0] == "leabra_fast" and len(parts) > 1 and parts[1] != "core"), (
                f"{path.name} imports {mod}"
            )


def test_registered_models_and_lookups():
    assert registry.names() == ("seed", "emergent") == lf.MODELS
    assert registry.get("seed").params_class is lf.SeedParams
    assert registry.spec_for_params(lf.EmergentParams()).name == "emergent"
    assert registry.spec_for_state(lf.SeedState.initial(lf.SeedParams(), 1, 1)).name == "seed"
    assert registry.find("nest") is None and registry.find(3) is None
    with pytest.raises(ValueError, match=r"unknown model 'nest'; choose one of \('seed', "):
        registry.get("nest")
    assert registry.get("seed").trace_names == lf.TRACE_NAMES


def test_a_new_model_is_a_registration(monkeypatch, tmp_path):
    # A sibling registered under a new name runs through every shared path unchanged:
    # simulate, run files, saving and loading, the report's dispatch.
    toy = dataclasses.replace(registry.get("seed"), name="toy")
    monkeypatch.setitem(registry._MODELS, "toy", toy)
    res = lf.simulate(lf.NOTEBOOK_INPUT, model="toy", record=["v_m", "wt"])
    ref = lf.simulate(lf.NOTEBOOK_INPUT, record=["v_m", "wt"])
    assert res.model == "toy" and res.spike_count.tolist() == [137]
    np.testing.assert_array_equal(res["wt"], ref["wt"])
    back = lf.load(res.save(tmp_path / "toy.npz"))
    assert back.model == "toy" and back.state.equals(res.state)
    cfg = tmp_path / "toy.toml"
    cfg.write_text('[schedule]\ninputs = [1, 0]\n[run]\nmodel = "toy"\nrecord = "v_m"\n')
    from leabra_fast.core.config import load_config

    assert load_config(cfg).simulate().spike_count.tolist() == [20]  # as simulate([1, 0])
