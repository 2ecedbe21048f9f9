"""The ``leabra-fast`` console script.

``leabra-fast emergent-demo --out DIR [--mode rate|spike] [--adapt]`` runs the
textbook single-neuron demo on the canonical emergent model (traces, run.npz, report.png).
``leabra-fast seed --out DIR`` reproduces the seed notebook's run and writes its
19 traces (``traces.npz`` and ``traces.csv``), ``summary.json`` (spike count,
final weights), the saved run ``run.npz`` (reload with ``leabra_fast.load``)
and, when matplotlib is installed, ``report.png`` with the notebook's figures.
``leabra-fast run --config FILE [--out DIR]`` does the same for a run file of
your own parameters and schedules (see ``leabra_fast.config``).
``leabra-fast info [--json]`` prints how this installation runs (versions, the
kernel's instruction set, OpenMP, threads): worth pasting into a bug report.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import NOTEBOOK_INPUT, __version__
from .result import SimulationResult
from .simulation import BACKENDS, simulate

__all__ = ["main", "write_outputs"]


def write_outputs(result: SimulationResult, out: Path) -> list[Path]:
    """Write a result's traces (.npz, .csv) and summary (.json) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    columns: dict[str, np.ndarray] = {"cycle": result.cycles, "trial": result.trial}
    for name, arr in result.traces.items():
        flat = arr.reshape(arr.shape[0], -1)
        if flat.shape[1] == 1:
            columns[name] = flat[:, 0]
            continue
        index = np.ndindex(*arr.shape[1:])
        for k, idx in enumerate(index):
            unit = int(result.units[idx[0]])
            suffix = f"[{unit}]" if arr.ndim == 2 else f"[{unit},{idx[1]}]"
            columns[name + suffix] = flat[:, k]
    npz = out / "traces.npz"
    # dict[str, Any]: numpy's stub for savez also declares allow_pickle: bool as a keyword.
    arrays: dict[str, Any] = {"cycle": result.cycles, "trial": result.trial, "units": result.units}
    arrays.update(result.traces)
    np.savez(npz, **arrays)
    csv = out / "traces.csv"
    table = np.column_stack([np.asarray(v, dtype=np.float64) for v in columns.values()])
    fmt = ["%d", "%d"] + ["%.17g"] * (table.shape[1] - 2)
    np.savetxt(csv, table, delimiter=",", header=",".join(columns), comments="", fmt=fmt)
    summary = out / "summary.json"
    summary.write_text(json.dumps(result.summary(), indent=2) + "\n")
    return [npz, csv, summary]


def write_report(result: SimulationResult, out: Path) -> Path | None:
    """Write ``report.png`` into ``out``; None (and a note on stdout) without matplotlib."""
    if importlib.util.find_spec("matplotlib") is None:
        print('skipped report.png: matplotlib is not installed (pip install "leabra-fast[plot]")')
        return None
    from .plot import plot_report

    path = out / "report.png"
    plot_report(result, path)
    return path


def _write_all(result: SimulationResult, args: argparse.Namespace, out: Path) -> list[Path]:
    paths = write_outputs(result, out)
    paths.append(result.save(out / "run.npz"))
    if not args.no_report:
        report = write_report(result, out)
        if report is not None:
            paths.append(report)
    return paths


def _seed(args: argparse.Namespace) -> int:
    result = simulate(NOTEBOOK_INPUT, n_cycles=args.cycles, backend=args.backend)
    paths = _write_all(result, args, Path(args.out))
    s = result.summary()
    print(
        f"seed model: {s['n_trials']} trials x {s['n_cycles_per_trial']} cycles, "
        f"{s['total_spikes']} spikes, final fwt = {s['final_fwt'][0][0]:.6f}, "
        f"wt = {s['final_wt'][0][0]:.6f}"
    )
    for p in paths:
        print(f"wrote {p}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from .config import load_config

    config = load_config(args.config)
    result = config.simulate()
    out = Path(args.out) if args.out else config.path.with_name(config.path.stem + "-out")
    paths = _write_all(result, args, out)
    s = result.summary()
    print(
        f"{config.path}: {s['n_units']} unit(s) x {s['n_inputs']} input(s), {s['n_trials']} "
        f"trials x {s['n_cycles_per_trial']} cycles, {s['total_spikes']} spikes"
        + ("" if result.ok else " (dynamics became NaN/inf: see summary.json)")
    )
    for p in paths:
        print(f"wrote {p}")
    return 0


def build_info() -> dict[str, Any]:
    """Versions and how the compiled kernels run on this machine."""
    from . import _emergent_kernel
    from .seed import compiled as _seed_kernel
    from .simulation import resolve_threads

    return {
        "leabra_fast": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": f"{platform.system()} {platform.machine()}",
        "seed_kernel": {
            "simd": _seed_kernel.BUILD_INFO["simd"],
            "simd_available": list(_seed_kernel.simd_levels()),
            "simd_from_environment": os.environ.get("LEABRA_FAST_SIMD") or None,
            "openmp": _seed_kernel.BUILD_INFO["openmp"],
            "block": _seed_kernel.BUILD_INFO["block"],
            "debug_build": _seed_kernel.DEBUG_BUILD,
        },
        "emergent_kernel": {
            "simd": _emergent_kernel.BUILD_INFO["simd"],
            "openmp": _emergent_kernel.BUILD_INFO["openmp"],
            "block": _emergent_kernel.BUILD_INFO["block"],
        },
        "default_threads": resolve_threads(None),
    }


def _info(args: argparse.Namespace) -> int:
    info = build_info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    k = info["seed_kernel"]
    picked = (
        f" (LEABRA_FAST_SIMD={k['simd_from_environment']})" if k["simd_from_environment"] else ""
    )
    print(f"leabra-fast {info['leabra_fast']}")
    print(f"Python {info['python']}, NumPy {info['numpy']}, {info['platform']}")
    print(
        f"seed kernel: SIMD {k['simd']}{picked}; this CPU runs {', '.join(k['simd_available'])}; "
        f"OpenMP {'yes' if k['openmp'] else 'no'}; blocks of {k['block']} units"
        + ("; DEBUG build (bounds-checked, slow)" if k["debug_build"] else "")
    )
    e = info["emergent_kernel"]
    print(
        f"emergent kernel: SIMD {e['simd']}; OpenMP {'yes' if e['openmp'] else 'no'}; "
        f"blocks of {e['block']} units"
    )
    print(f"threads by default (n_threads=None): {info['default_threads']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leabra-fast", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"leabra-fast {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    seed = sub.add_parser("seed", help="reproduce the seed notebook's run and write its traces")
    seed.add_argument("--out", required=True, help="output directory (created if missing)")
    seed.add_argument("--backend", choices=BACKENDS, default="cython")
    seed.add_argument("--cycles", type=int, default=100, help="cycles per trial (default 100)")
    seed.add_argument("--no-report", action="store_true", help="do not write report.png")
    seed.set_defaults(func=_seed)
    run = sub.add_parser(
        "run", help="run the parameters and schedules of a TOML run file and write the same outputs"
    )
    run.add_argument("--config", required=True, help="TOML run file ([params], [schedule], [run])")
    run.add_argument("--out", help="output directory (default: <config name>-out next to it)")
    run.add_argument("--no-report", action="store_true", help="do not write report.png")
    run.set_defaults(func=_run)
    info = sub.add_parser("info", help="print versions and how the compiled kernels run here")
    info.add_argument("--json", action="store_true", help="as JSON")
    info.set_defaults(func=_info)
    from .emergent.cli import add_emergent_demo

    add_emergent_demo(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, TypeError, OSError) as exc:
        print(f"leabra-fast: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
