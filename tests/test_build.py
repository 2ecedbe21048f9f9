"""The compiled extension as built and shipped: build mode, stub, thread safety.

``tools/check_dist.sh`` and ``tools/check_debug.sh`` set
``LEABRA_FAST_EXPECT_DEBUG`` to say which build they installed, so a wheel
that silently came out in the wrong mode fails here.
"""

import ast
import importlib
import os
import threading
from pathlib import Path

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.emergent import compiled as emergent_compiled
from leabra_fast.network import compiled as network_compiled
from leabra_fast.seed import compiled as seed_kernel

#: The compiled extension modules this CPU can import, each with a hand-written stub (one
#: module per instruction set this build has, per model).
KERNELS = [f"seed._kernel_{level}" for level in seed_kernel.simd_levels()] + [
    f"emergent._kernel_{level}" for level in emergent_compiled.simd_levels()
]


def test_debug_build_flag_matches_the_build_that_was_asked_for():
    assert isinstance(seed_kernel.DEBUG_BUILD, bool)
    expected = os.environ.get("LEABRA_FAST_EXPECT_DEBUG")
    if expected is None:
        pytest.skip("LEABRA_FAST_EXPECT_DEBUG not set: no build mode to check against")
    assert seed_kernel.DEBUG_BUILD is (expected not in ("", "0"))
    assert emergent_compiled.DEBUG_BUILD is (expected not in ("", "0"))
    assert network_compiled.DEBUG_BUILD is (expected not in ("", "0"))


@pytest.mark.parametrize("name", KERNELS)
def test_stub_declares_exactly_the_public_names_of_the_extension(name):
    # mypy.stubtest checks signatures in tools/check_dist.sh; this cheap test catches
    # a name added to a kernel and forgotten in its stub on every test run.
    module = importlib.import_module(f"leabra_fast.{name}")
    stub = Path(module.__file__).with_name(f"{name.rpartition('.')[2]}.pyi")
    assert stub.is_file(), f"{stub} is not shipped next to the extension"
    assert (Path(lf.__file__).parent / "py.typed").is_file()
    declared = _stub_names(stub)
    public = {key for key in vars(module) if not key.startswith("_")}
    assert declared == public


def _stub_names(stub: Path) -> set[str]:
    """Names a stub declares, following ``from leabra_fast.x import *`` to the stub it names
    (each instruction-set module's stub re-exports the baseline module's)."""
    tree = ast.parse(stub.read_text())
    declared = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    declared |= {n.target.id for n in tree.body if isinstance(n, ast.AnnAssign)}
    root = Path(lf.__file__).parent.parent
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and [a.name for a in node.names] == ["*"]:
            assert node.module is not None and node.module.startswith("leabra_fast.")
            target = root.joinpath(*node.module.split(".")).with_suffix(".pyi")
            declared |= _stub_names(target)
    return declared


def _run(model: str, seed: int) -> lf.SimulationResult:
    rng = np.random.default_rng(seed)
    return lf.simulate(
        rng.uniform(0.0, 1.0, (8, 64, 16)),
        gc_i=rng.uniform(0.0, 0.3, (8, 64)),
        record=["v_m", "act", "avg_l", "wt", "dwt"],
        units=[0, 7, 63],
        model=model,
    )


def _bits(res: lf.SimulationResult) -> dict[str, bytes]:
    out = {name: np.ascontiguousarray(res[name]).tobytes() for name in res.traces}
    out["spike_count"] = res.spike_count.tobytes()
    for name, value in vars(res.state).items():
        if isinstance(value, np.ndarray):
            out["state." + name] = value.tobytes()
    return out


@pytest.mark.parametrize("model", ["seed", "emergent"])
def test_simulate_from_many_threads_at_once_gives_bitwise_identical_results(model):
    # The kernels keep no global state and run without the GIL; runs started from
    # several Python threads at once (truly parallel on a free-threaded build, and
    # inside the nogil loop on any build) must not disturb one another.
    seeds = [0, 1, 2, 3] * 2
    expected = {seed: _bits(_run(model, seed)) for seed in set(seeds)}
    assert len(expected[0]) > 6 and expected[0] != expected[1]
    got: list[dict[str, bytes] | BaseException | None] = [None] * len(seeds)
    barrier = threading.Barrier(len(seeds))

    def work(k: int) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                bits = _bits(_run(model, seeds[k]))
                if bits != expected[seeds[k]]:
                    got[k] = bits
                    return
            got[k] = expected[seeds[k]]
        except BaseException as exc:  # reported by the main thread
            got[k] = exc

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(seeds))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k, seed in enumerate(seeds):
        if isinstance(got[k], BaseException):
            raise got[k]
        assert got[k] == expected[seed], f"thread {k} (seed {seed}) differs from a lone run"
