"""Speed of the emergent kernel: ns per neuron-cycle per preset and mode, and vs the seed kernel.

Run: ``PYTHONPATH=src python bench/bench_emergent.py [--units N] [--levels]``.
Prints medians of repeated runs, one thread, no traces: the kernel call alone
(``kernel``) and the whole ``simulate`` call (``total``).  The machine may be
shared and noisy: compare figures measured in one run.  ``--levels`` repeats the
table at every SIMD level this CPU runs.

Before the blocked SIMD kernel (now ``emergent/_kernel.pxi``) the scalar per-unit loop
took ~31 ns per neuron-cycle on the default preset (4000 units, AVX-512 VM).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams as E
from leabra_fast.emergent import compiled as _emergent_kernel

MODES = {
    "emergent rate (closed NXX1)": E.emergent(),
    "emergent rate (NXX1 table)": E.emergent(nxx1="table"),
    "emergent rate + KNa": E.emergent(kna_on=True),
    "emergent spike": E.emergent(act_fun="spike"),
    "emergent spike + adapt + KNa": E.emergent(act_fun="spike", adapt_on=True, kna_on=True),
    "emergent spike AdEx": E.emergent(act_fun="spike", ex=True),
    "go rate": E.go(),
    "neuron (spike, Go)": E.neuron(),
    "seed preset (learn every cycle)": E.seed(),
    "emergent, learn every cycle": E.emergent(quirk_learn_every_cycle=True),
}


def _timed_kernel():
    """Wrap the kernel entry point to add up the time spent inside it."""
    inner = _emergent_kernel.run_emergent
    spent = [0.0]

    def run(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t0

    return inner, run, spent


def table(n_units: int, n_trials: int, n_inputs: int, repeat: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (n_trials, n_units, n_inputs))
    ge = rng.uniform(0, 0.6, (n_trials, 1, n_units))
    inner, run, spent = _timed_kernel()
    _emergent_kernel.run_emergent = run
    try:
        for name, p in MODES.items():
            kernel, total = [], []
            for _ in range(repeat):
                spent[0] = 0.0
                t0 = time.perf_counter()
                lf.simulate(x, ge=ge, params=p, model="emergent", record=None, n_threads=1)
                total.append(time.perf_counter() - t0)
                kernel.append(spent[0])
            cycles = n_trials * p.cycles_per_trial * n_units
            print(
                f"  {name:34s} kernel {statistics.median(kernel) / cycles * 1e9:6.2f}"
                f"  total {statistics.median(total) / cycles * 1e9:6.2f} ns/neuron-cycle"
            )
    finally:
        _emergent_kernel.run_emergent = inner
    seed_cycles = n_trials * 100 * n_units
    t = statistics.median(
        _time(lambda: lf.simulate(x, record=None, n_threads=1, n_cycles=100), repeat)
    )
    print(f"  {'seed model (seed kernel)':34s} total  {t / seed_cycles * 1e9:6.2f} ns/neuron-cycle")


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=4000)
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--inputs", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--levels", action="store_true", help="every SIMD level, not just the best")
    args = ap.parse_args()
    # (A build from before the SIMD kernel has no levels: its scalar loop runs as is.)
    info = getattr(_emergent_kernel, "BUILD_INFO", {"simd": "scalar loop"})
    levels = _emergent_kernel.simd_levels() if args.levels else (None,)
    before = info["simd"]
    try:
        for level in levels:
            if level is not None:
                _emergent_kernel.select_simd(level)
            print(
                f"emergent kernel, SIMD {info['simd']}, {args.units} units x {args.inputs} "
                f"inputs, {args.trials} trials, 1 thread:"
            )
            table(args.units, args.trials, args.inputs, args.repeat)
    finally:
        if levels != (None,):
            _emergent_kernel.select_simd(before)


if __name__ == "__main__":
    main()
