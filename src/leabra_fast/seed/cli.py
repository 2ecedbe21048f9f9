"""``leabra-fast seed``: the seed notebook's run, its traces, summary, saved run and report."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_seed_command"]


def _run(args: argparse.Namespace) -> int:
    from ..core.cli import print_written, write_all
    from ..core.driver import simulate
    from . import NOTEBOOK_INPUT

    result = simulate(NOTEBOOK_INPUT, n_cycles=args.cycles, backend=args.backend, model="seed")
    paths = write_all(result, args.out, report=not args.no_report)
    s = result.summary()
    print(
        f"seed model: {s['n_trials']} trials x {s['n_cycles_per_trial']} cycles, "
        f"{s['total_spikes']} spikes, final fwt = {s['final_fwt'][0][0]:.6f}, "
        f"wt = {s['final_wt'][0][0]:.6f}"
    )
    print_written(paths)
    return 0


def add_seed_command(sub: Any) -> None:
    """Register the ``seed`` subcommand on the CLI's subparsers."""
    from ..core.cli import out_folder
    from ..core.driver import BACKENDS

    seed = sub.add_parser("seed", help="reproduce the seed notebook's run and write its traces")
    seed.add_argument(
        "--out", required=True, type=out_folder, help="output directory (created if missing)"
    )
    seed.add_argument("--backend", choices=BACKENDS, default="cython")
    seed.add_argument("--cycles", type=int, default=100, help="cycles per trial (default 100)")
    seed.add_argument("--no-report", action="store_true", help="do not write report.png")
    seed.set_defaults(func=_run)
