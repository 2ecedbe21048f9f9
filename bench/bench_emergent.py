"""Speed of the emergent kernel: Cython vs the NumPy reference, and vs the seed kernel.

Run: ``PYTHONPATH=src python bench/bench_emergent.py``.  Prints medians of
repeated runs (machine shared and noisy: compare ratios measured in one run).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams


def median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    rng = np.random.default_rng(0)
    n_trials, n_units, n_inputs = 20, 1000, 10
    x = rng.uniform(0, 1, (n_trials, n_units, n_inputs))
    ge = rng.uniform(0, 0.5, (n_trials, 1, n_units))
    cycles = n_trials * 100 * n_units
    for mode in ("rate", "spike"):
        p = EmergentParams(act_fun=mode)
        fast = median_time(
            lambda p=p: lf.simulate(x, ge=ge, params=p, model="emergent", record=None)
        )
        slow = median_time(
            lambda p=p: lf.simulate(
                x[:2], ge=ge[:2], params=p, model="emergent", record=None, backend="python"
            ),
            repeat=3,
        ) * (n_trials / 2)
        rate = cycles / fast / 1e6
        print(
            f"emergent {mode:5s}: cython {fast * 1e3:8.1f} ms ({rate:6.1f} M unit-cycles/s), "
            f"python ~{slow * 1e3:8.1f} ms, ratio {slow / fast:6.1f}x"
        )
    seed = median_time(lambda: lf.simulate(x, record=None, n_threads=1))
    print(
        f"seed model   : cython {seed * 1e3:8.1f} ms ({cycles / seed / 1e6:6.1f} M unit-cycles/s)"
    )


if __name__ == "__main__":
    main()
