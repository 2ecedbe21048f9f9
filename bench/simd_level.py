"""leabra_fast against NumPy vectorised over units, both held to one instruction set.

Usage::

    python bench/simd_level.py avx2 [--n-units N] [--cycles C] [--repeat R]

Runs itself again in a child process whose environment limits both contenders:
``LEABRA_FAST_SIMD`` picks the kernel's entry point and ``NPY_DISABLE_CPU_FEATURES``
turns off NumPy's AVX-512 loops (its exp, power and division then run as on an
AVX2-only CPU, the machine class of issue #3's reference figures).  Prints one
JSON object: the ns per neuron-cycle of each, their ratio, and what each library
reports it ran with.  ``bench/compare.py`` calls it for row 2e.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

#: NumPy's AVX-512 dispatch groups (2.x names, then 1.x names; unknown ones are ignored).
NUMPY_AVX512 = "X86_V4 AVX512_ICL AVX512_SPR AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL"


def measure(level: str, n_units: int, cycles: int, repeat: int) -> dict[str, object]:
    """Time both contenders in this process (its environment already set)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _common as C
    import numpy as np

    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_features__

    from leabra_fast.seed import compiled as seed_kernel

    x = C.schedule(cycles)
    C.run_leabra(x, 64, 1)  # warm up
    t = C.interleaved(
        {
            "leabra": lambda: C.run_leabra(x, n_units, 1, n_threads=1),
            "numpy": lambda: C.run_numpy_units(x, n_units, 1),
        },
        repeat,
    )
    nc = n_units * cycles
    ns_lf = statistics.median(t["leabra"]) / nc * 1e9
    ns_np = statistics.median(t["numpy"]) / nc * 1e9
    return {
        "level": level,
        "leabra_simd": seed_kernel.BUILD_INFO["simd"],
        "numpy_avx512": bool(__cpu_features__.get("X86_V4", __cpu_features__.get("AVX512F"))),
        "numpy_version": np.__version__,
        "n_units": n_units,
        "cycles": cycles,
        "leabra_ns": ns_lf,
        "numpy_ns": ns_np,
        "ratio": ns_np / ns_lf,
    }


def run_child(level: str, n_units: int, cycles: int, repeat: int) -> dict[str, object]:
    """Measure in a fresh interpreter with both libraries limited to ``level``."""
    env = dict(os.environ, LEABRA_FAST_SIMD=level)
    if level != "avx512":
        env["NPY_DISABLE_CPU_FEATURES"] = NUMPY_AVX512
    cmd = [sys.executable, __file__, level, "--n-units", str(n_units), "--cycles", str(cycles)]
    cmd += ["--repeat", str(repeat), "--here"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("level", choices=["avx512", "avx2", "baseline"])
    ap.add_argument("--n-units", type=int, default=100_000)
    ap.add_argument("--cycles", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--here", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.here:
        out = measure(args.level, args.n_units, args.cycles, args.repeat)
    else:
        out = run_child(args.level, args.n_units, args.cycles, args.repeat)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
