"""SHA-256 of every trace and the final state of the seed kernel over a matrix of runs.

Taken with the hand-written C kernel before its move to Cython and stored in
``tests/data/seed_kernel_hashes.json``; ``tests/test_kernel_hashes.py`` recomputes
them with the kernel of the day at every SIMD level and thread count, so the port
(and any later change) must keep every bit.  Rewrite the file only on purpose::

    PYTHONPATH=src python tests/make_kernel_hashes.py
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

import leabra_fast as lf

PATH = Path(__file__).parent / "data" / "seed_kernel_hashes.json"
STATE_FIELDS = ("net", "v_m", "adapt", "avg_ss", "avg_s", "avg_m", "avg_l", "fwt", "wt")


def kernel() -> Any:
    """The compiled seed kernel's module (its Python API: select_simd, simd_levels, ...)."""
    try:
        from leabra_fast.seed import compiled  # type: ignore[attr-defined]
    except ImportError:
        from leabra_fast import _seed_kernel as compiled
    return compiled


def _schedule(n_trials: int, n_units: int, n_inputs: int, seed: int) -> tuple[tuple, dict]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1.2, size=(n_trials, n_units, n_inputs))
    su_s = rng.uniform(0, 1, size=(n_trials, n_units, n_inputs))
    su_m = rng.uniform(0, 1, size=(n_trials, n_units, n_inputs))
    gc_i = rng.uniform(0, 0.2, size=(n_trials, n_units))
    fwt = rng.uniform(0.05, 0.95, size=(n_units, n_inputs))
    return (x, su_s, su_m), {"gc_i": gc_i, "fwt": fwt, "wt": fwt}


def _digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    head = f"{a.dtype.str}{a.shape}".encode()
    return hashlib.sha256(head + a.tobytes()).hexdigest()


def result_hashes(res: lf.SimulationResult) -> dict[str, str]:
    """One hash per trace, state field, spike count and first non-finite cycle."""
    out = {f"trace:{name}": _digest(res[name]) for name in res}
    for name in STATE_FIELDS:
        out[f"state:{name}"] = _digest(getattr(res.state, name))
    out["state:cycle"] = str(res.state.cycle)
    out["spike_count"] = _digest(res.spike_count)
    out["first_nonfinite"] = _digest(res.first_nonfinite)
    return out


def _run(seed: int, n_units: int, n_inputs: int, n_trials: int = 3, n_cycles: int = 40,
         gain: float = 1.5, runaway: bool = False, continued: bool = False,
         **kw: Any) -> dict[str, str]:
    args, skw = _schedule(n_trials, n_units, n_inputs, seed)
    params = lf.SeedParams(gain=gain, m_lrn=1.0)
    if runaway:  # every unit runs away, at different cycles: exp leaves its normal range
        params = lf.SeedParams(gain=gain, spk_thr=1e6, exp_slope=0.01)
        kw.setdefault("on_nonfinite", "ignore")
    res = lf.simulate(*args, **skw, params=params, n_cycles=n_cycles, **kw)
    if not continued:
        return result_hashes(res)
    # A second call from the first one's state: absolute cycles and rows go on.
    more = lf.simulate(*args, gc_i=skw["gc_i"], state=res.state, params=params,
                       n_cycles=n_cycles, **kw)
    return {f"{k}|first": v for k, v in result_hashes(res).items()} | result_hashes(more)


def cases() -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, keyword arguments of _run) for every configuration in the matrix."""
    for n_units in (1, 3, 5, 17, 64, 70, 130):
        for n_inputs in (1, 3):
            for gain in (1.5, 2.0):
                yield (f"N{n_units}_J{n_inputs}_g{gain}",
                       dict(seed=n_units * 7 + n_inputs, n_units=n_units, n_inputs=n_inputs,
                            gain=gain, record="all"))
    for n_units in (1, 5, 70, 130):
        yield f"runaway_N{n_units}", dict(seed=11, n_units=n_units, n_inputs=1, runaway=True,
                                          n_cycles=60, record="all")
    yield "runaway_J3_pow", dict(seed=12, n_units=70, n_inputs=3, runaway=True, gain=2.0,
                                 n_cycles=60, record="all")
    yield "no_traces_N130", dict(seed=13, n_units=130, n_inputs=3, record=None)
    yield "subset_N130", dict(seed=14, n_units=130, n_inputs=2, record="all",
                              units=list(range(3, 130, 3)))
    yield "subset_slice_N70", dict(seed=15, n_units=70, n_inputs=1, record=["v_m", "wt", "act"],
                                   units=slice(5, 60))
    yield "subset_one_N17", dict(seed=16, n_units=17, n_inputs=3, record="all", units=[9])
    for every in (2, 3, 7):
        yield f"every{every}_N70", dict(seed=17 + every, n_units=70, n_inputs=3, record="all",
                                        record_every=every)
    yield "every3_continued_N70", dict(seed=21, n_units=70, n_inputs=1, record="all",
                                       record_every=3, n_cycles=25, continued=True)
    yield "chunked_N130", dict(seed=22, n_units=130, n_inputs=3, record="all", chunk_cycles=17,
                               record_every=2)
    yield "chunked_N1", dict(seed=23, n_units=1, n_inputs=1, record="all", chunk_cycles=7)
    # Traces well above STREAM_MIN_BYTES (4 MiB): the non-temporal stores.
    yield "streamed_N130_J3", dict(seed=24, n_units=130, n_inputs=3, n_trials=4, n_cycles=80,
                                   record="all")
    yield "streamed_N256_J1", dict(seed=25, n_units=256, n_inputs=1, n_trials=8, n_cycles=80,
                                   record="all")
    yield "streamed_subset_N300", dict(seed=26, n_units=300, n_inputs=1, n_trials=6,
                                       n_cycles=120, record="all", units=list(range(5, 297)))


@contextlib.contextmanager
def simd(level: str) -> Iterator[None]:
    previous = kernel().select_simd(level)
    try:
        yield
    finally:
        kernel().select_simd(previous)


def compute(case: dict[str, Any], level: str, n_threads: int) -> dict[str, str]:
    with simd(level):
        return _run(**case, n_threads=n_threads)


def main() -> None:
    levels = kernel().simd_levels()
    table: dict[str, dict[str, str]] = {}
    for name, case in cases():
        first = compute(case, levels[0], 1)
        for level in levels:
            for n_threads in (1, 2):
                other = compute(case, level, n_threads)
                if other != first:
                    sys.exit(f"{name}: {level} x {n_threads} threads differs from {levels[0]}")
        table[name] = first
    PATH.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"{len(table)} cases, {sum(map(len, table.values()))} hashes -> {PATH}")


if __name__ == "__main__":
    main()
