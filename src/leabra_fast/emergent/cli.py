"""``leabra-fast emergent-demo``: the textbook single neuron on the canonical emergent model."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_emergent_demo"]


def _run(args: argparse.Namespace) -> int:
    from ..core.cli import print_written, write_all
    from . import neuron_demo

    result = neuron_demo(
        args.mode, adapt=args.adapt, kna=args.kna, backend=args.backend, g_bar_e=args.g_bar_e
    )
    paths = write_all(result, args.out, report=not args.no_report)
    act = result["act_nd"][:, 0]
    print(
        f"emergent neuron demo ({args.mode}, adaptation {'on' if args.adapt else 'off'}, "
        f"KNa {'on' if args.kna else 'off'}, "
        f"g_bar_e = {args.g_bar_e}): {result.n_cycles} cycles, input on 10..159, "
        f"{int(result.spike_count[0])} spikes, act_nd at cycle 159 = {act[159]:.6f}, "
        f"v_m = {result['v_m'][159, 0]:.6f}"
    )
    print_written(paths)
    return 0


def add_emergent_demo(sub: Any) -> None:
    """Register the ``emergent-demo`` subcommand on the CLI's subparsers."""
    from ..core.cli import out_folder
    from ..core.driver import BACKENDS

    demo = sub.add_parser(
        "emergent-demo",
        help="the textbook single-neuron demo on the canonical emergent model; write its traces",
    )
    demo.add_argument(
        "--out", required=True, type=out_folder, help="output directory (created if missing)"
    )
    demo.add_argument("--mode", choices=("rate", "spike"), default="spike")
    demo.add_argument("--adapt", action="store_true", help="switch on the adaptation current")
    demo.add_argument(
        "--kna", action="store_true", help="switch on KNa adaptation (Go sim default)"
    )
    demo.add_argument("--g-bar-e", type=float, default=0.3, help="excitatory conductance (0.3)")
    demo.add_argument("--backend", choices=BACKENDS, default="cython")
    demo.add_argument("--no-report", action="store_true", help="do not write report.png")
    demo.set_defaults(func=_run)
