"""The fixed cost of a small call: ``simulate`` against its kernel alone, on the notebook's run.

Usage::

    python bench/small_call.py [--rounds R] [--number N] [--threads T]

The notebook's run (one unit, 20 trials x 100 cycles) through ``lf.simulate``, with
all 19 traces and with none, against the compiled kernel called directly with
everything prepared once (same arguments, buffers allocated once).  Each case is
timed ``number`` calls at a time, the cases interleaved, ``rounds`` times; the
figures are medians of CPU time of this thread (``time.thread_time``), which a
busy shared machine disturbs less than wall time.  Prints one JSON object: the
microseconds per call of each case and ``whole / kernel`` for both.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

import leabra_fast as lf
from leabra_fast.core import registry
from leabra_fast.core.traces import RecordPlan


def kernel_alone(record: str | None, threads: int) -> Callable[[], Any]:
    """The seed kernel over the notebook's run, every argument prepared once."""
    spec = registry.get("seed")
    prep = spec.prepare(
        lf.NOTEBOOK_INPUT, None, None, gc_i=0.0, params=spec.default_params(), n_cycles=100,
        n_units=None, n_inputs=None, state=None, fwt=None, wt=None,
    )  # fmt: skip
    total = prep.n_trials * prep.n_cycles
    plan = RecordPlan.build(
        record, None, 1, n_units=1, n_inputs=1, first_cycle=0, n_cycles=total,
        unit_catalog=spec.unit_traces, synapse_catalog=spec.synapse_traces,
    )  # fmt: skip
    unit_buf, syn_buf = plan.allocate()
    spikes, first_bad = np.zeros(1, np.int64), np.full(1, -1, np.int64)
    slots, rows, run = plan.slots(), plan.unit_rows(1), spec.runner("cython")
    recording = (0, 1, plan.rec_base, slots, rows, unit_buf, syn_buf, spikes, first_bad, threads)
    return lambda: prep.call(run, 0, total, *recording)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--number", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    x, t = lf.NOTEBOOK_INPUT, args.threads
    cases: dict[str, Callable[[], Any]] = {
        "whole_all_traces": lambda: lf.simulate(x, n_threads=t),
        "kernel_all_traces": kernel_alone("all", t),
        "whole_no_traces": lambda: lf.simulate(x, n_threads=t, record=None),
        "kernel_no_traces": kernel_alone(None, t),
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    for f in cases.values():  # warm up
        timeit.timeit(f, number=args.number)
    for _ in range(args.rounds):
        for name, f in cases.items():
            seconds = timeit.timeit(f, number=args.number, timer=time.thread_time)
            times[name].append(seconds / args.number * 1e6)
    us = {k: round(statistics.median(v), 1) for k, v in times.items()}
    out = {
        "us_per_call": us,
        "whole_over_kernel_all_traces": round(us["whole_all_traces"] / us["kernel_all_traces"], 3),
        "whole_over_kernel_no_traces": round(us["whole_no_traces"] / us["kernel_no_traces"], 3),
        "rounds": args.rounds,
        "number": args.number,
        "threads": t,
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
