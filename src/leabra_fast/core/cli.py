"""The ``leabra-fast`` console script (entry point: :func:`leabra_fast.cli.main`).

Shared commands live here; each registered model adds its own
(``ModelSpec.add_cli``).  ``leabra-fast seed --out DIR`` (:mod:`leabra_fast.seed.cli`)
reproduces the seed notebook's run and writes its 19 traces (``traces.npz`` and
``traces.csv``), ``summary.json`` (spike count, final weights), the saved run
``run.npz`` (reload with ``leabra_fast.load``) and, when matplotlib is installed,
``report.png`` with the notebook's figures.  ``leabra-fast emergent-demo --out DIR
[--mode rate|spike] [--adapt]`` (:mod:`leabra_fast.emergent.cli`) runs the textbook
single-neuron demo on the canonical emergent model.
``leabra-fast run --config FILE [--out DIR]`` writes the same outputs for a run file
of your own parameters and schedules (see :mod:`leabra_fast.core.config`).
``leabra-fast info [--json]`` prints how this installation runs (versions, the
kernels' instruction sets, OpenMP, threads): worth pasting into a bug report.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, registry
from .result import SimulationResult

__all__ = [
    "build_info",
    "build_parser",
    "kernel_info",
    "main",
    "out_folder",
    "print_written",
    "write_all",
    "write_outputs",
    "write_report",
]


def out_folder(value: str) -> Path:
    """``--out``: a folder to write into (created if missing); an existing file is refused.

    An argparse ``type``, so the mistake is reported before the run, naming ``--out``.
    """
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{value} is an existing file, not a folder: name a folder to write the outputs "
            "into (created if missing)"
        )
    return path


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
    from .plotting import plot_report

    path = out / "report.png"
    plot_report(result, path)
    return path



def write_all(result: SimulationResult, out: Path, *, report: bool = True) -> list[Path]:
    """Traces, summary, the saved run and (``report``, with matplotlib) report.png into ``out``."""
    paths = write_outputs(result, out)
    paths.append(result.save(out / "run.npz"))
    if report:
        written = write_report(result, out)
        if written is not None:
            paths.append(written)
    return paths


def _other_run_file(path: str) -> registry.RunFileKind | None:
    """The registered run-file kind (networks, ...) of the file at ``path``, if any; None
    for the models' run files and for unreadable files (``load_config`` reports those)."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except (OSError, ValueError):
        return None
    return registry.run_file_kind(doc)


def _run(args: argparse.Namespace) -> int:
    from .config import load_config

    kind = _other_run_file(args.config)
    if kind is not None:
        return kind.run(args.config, args.out, not args.no_report)
    config = load_config(args.config)
    result = config.simulate()
    out = args.out or out_folder(str(config.path.with_name(config.path.stem + "-out")))
    paths = write_all(result, out, report=not args.no_report)
    s = result.summary()
    print(
        f"{config.path}: {s['n_units']} unit(s) x {s['n_inputs']} input(s), {s['n_trials']} "
        f"trials x {s['n_cycles_per_trial']} cycles, {s['total_spikes']} spikes"
        + ("" if result.ok else " (dynamics became NaN/inf: see summary.json)")
    )
    print_written(paths)
    return 0



def _sweep(args: argparse.Namespace) -> int:
    from .config import ConfigError, load_config
    from .sweep import heatmap, sweep

    kind = _other_run_file(args.config)
    if kind is not None:
        if kind.sweep is None:
            raise ConfigError(f"{args.config}: a {kind.name} run file cannot be swept")
        return kind.sweep(args.config, args.out, args)
    config = load_config(args.config)
    if not config.sweep:
        raise ConfigError(f"{config.path}: a [sweep] table (name = [values, ...]) is required")
    run = dict(config.run)
    for key in ("n_units", "units"):
        if key in run:
            raise ConfigError(f"{config.path}: [run] {key} is set by the sweep (one unit a set)")
    model = run.pop("model", "seed")
    record = run.pop("record", None)
    try:
        ds = sweep(config.sweep, model=model, params=config.params, record=record,
                   client=None, chunk_size=args.chunk_size, **config.schedules, **run)  # fmt: skip
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{config.path}: {exc}") from None
    out = args.out or out_folder(str(config.path.with_name(config.path.stem + "-out")))
    swept = [n for n in config.sweep if ds.sizes.get(n, 0) > 0]

    def draw() -> Any:
        if len(swept) < 2:
            return None
        return heatmap(ds, args.summary or "spike_count", x=args.x, y=args.y)

    paths = write_sweep(ds, out, args.format, draw)
    sizes = " x ".join(f"{n}={ds.sizes[n]}" for n in swept)
    print(f"{config.path}: swept {sizes} ({model}), summaries {list(ds.data_vars)}")
    print_written(paths)
    return 0


def write_sweep(ds: Any, out: Path, fmt: str, draw: Callable[[], Any]) -> list[Path]:
    """A sweep's Dataset into ``out`` as ``sweep.nc`` (or ``fmt`` "zarr": ``sweep.zarr``),
    and ``heatmap.png`` of the Axes ``draw()`` returns (None: no figure; none either
    without matplotlib)."""
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "zarr":
        target = out / "sweep.zarr"
        ds.to_zarr(target, mode="w", consolidated=False)
    else:
        target = out / "sweep.nc"
        ds.to_netcdf(target)
    paths = [target]
    if importlib.util.find_spec("matplotlib") is not None:
        import matplotlib

        matplotlib.use("Agg")
        ax = draw()
        if ax is not None:
            ax.figure.tight_layout()
            ax.figure.savefig(out / "heatmap.png", dpi=120)
            paths.append(out / "heatmap.png")
    return paths


def build_info() -> dict[str, Any]:
    """Versions and how each model's compiled kernel runs on this machine."""
    from .driver import resolve_threads

    info: dict[str, Any] = {
        "leabra_fast": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": f"{platform.system()} {platform.machine()}",
    }
    for name in registry.names():
        info[f"{name}_kernel"] = kernel_info(registry.get(name).compiled_kernel())
    info["default_threads"] = resolve_threads(None)
    return info


def kernel_info(kernel: Any) -> dict[str, Any]:
    """How a compiled kernel module runs here: its SIMD level and choices, OpenMP, block."""
    info = {
        "simd": kernel.BUILD_INFO["simd"],
        "simd_available": list(kernel.simd_levels()),
        "simd_from_environment": os.environ.get("LEABRA_FAST_SIMD") or None,
        "openmp": kernel.BUILD_INFO["openmp"],
        "block": kernel.BUILD_INFO["block"],
    }
    if hasattr(kernel, "DEBUG_BUILD"):
        info["debug_build"] = kernel.DEBUG_BUILD
    return info


def print_written(paths: list[Path]) -> None:
    """One ``wrote PATH`` line per file written."""
    for p in paths:
        print(f"wrote {p}")


def _info(args: argparse.Namespace) -> int:
    info = build_info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"leabra-fast {info['leabra_fast']}")
    print(f"Python {info['python']}, NumPy {info['numpy']}, {info['platform']}")
    for name in registry.names():
        k = info[f"{name}_kernel"]
        env = k.get("simd_from_environment")
        picked = f" (LEABRA_FAST_SIMD={env})" if env else ""
        runs = f"; this CPU runs {', '.join(k['simd_available'])}"
        print(
            f"{name} kernel: SIMD {k['simd']}{picked}{runs}; "
            f"OpenMP {'yes' if k['openmp'] else 'no'}; blocks of {k['block']} units"
            + ("; DEBUG build (bounds-checked, slow)" if k.get("debug_build") else "")
        )
    print(f"threads by default (n_threads=None): {info['default_threads']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leabra-fast", description="Fast simulation of Leabra neurons and XCAL synapses."
    )
    parser.add_argument("--version", action="version", version=f"leabra-fast {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in registry.names():  # each model's own commands (seed, emergent-demo, ...)
        add = registry.get(name).add_cli
        if add is not None:
            add(sub)
    run = sub.add_parser(
        "run", help="run the parameters and schedules of a TOML run file and write the same outputs"
    )
    run.add_argument(
        "--config",
        required=True,
        help="TOML run file ([params], [schedule], [run]; a network's: [layers], [projections])",
    )
    run.add_argument(
        "--out", type=out_folder, help="output directory (default: <config name>-out next to it)"
    )
    run.add_argument("--no-report", action="store_true", help="do not write report.png")
    run.set_defaults(func=_run)
    sw = sub.add_parser(
        "sweep", help="run every parameter set of a run file's [sweep] table; write a Dataset"
    )
    sw.add_argument(
        "--config", required=True, help="TOML run file with a [sweep] table (a model's or a net's)"
    )
    sw.add_argument(
        "--out", type=out_folder, help="output directory (default: <config name>-out next to it)"
    )
    sw.add_argument("--format", choices=("netcdf", "zarr"), default="netcdf",
                    help="sweep.nc (default) or sweep.zarr")  # fmt: skip
    sw.add_argument(
        "--summary", default=None, help="the heat map's variable (default: spike_count; a net: sse)"
    )
    sw.add_argument("--x", help="the heat map's x parameter (default: the first swept)")
    sw.add_argument("--y", help="the heat map's y parameter (default: the second swept)")
    sw.add_argument("--chunk-size", type=int, default=None, help="parameter sets per call")
    sw.set_defaults(func=_sweep)
    info = sub.add_parser("info", help="print versions and how the compiled kernels run here")
    info.add_argument("--json", action="store_true", help="as JSON")
    info.set_defaults(func=_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, TypeError, OSError) as exc:  # TooLargeError and ConfigError too
        print(f"leabra-fast: error: {exc}", file=sys.stderr)
    except (MemoryError, OverflowError) as exc:  # sizes numpy could not allocate or convert
        what = "out of memory" if isinstance(exc, MemoryError) else "number too large"
        print(f"leabra-fast: error: {what}{f': {exc}' if str(exc) else ''}", file=sys.stderr)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
