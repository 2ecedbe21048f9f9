"""Measure leabra_fast against its yardsticks, all in one run, and print a table.

Usage::

    python bench/compare.py            # the full measurement (a few minutes)
    python bench/compare.py --quick    # small sizes, one repeat: a smoke run

Every figure is the median of several runs; every ratio compares two medians
measured in this same run on this same machine, with the contenders taking
turns (so a shared machine's drifting load hits them alike).  The six targets (issue #3):

1. the notebook's run through ``simulate``, all 19 traces: cython vs python backend,
   and (1b) vs the notebook's own Python loop (bench/notebook_loop.py);
2. N = 100k units, 1 synapse each, 1000 cycles, no traces, one thread: vs the C
   yardstick (bench/yardstick.c, package flags), vs NumPy vectorised over units
   (also with both held to AVX2, bench/simd_level.py), vs Brian2's cython target on
   the neuron equations alone;
3. 1000 units x 1000 synapses, learning every cycle: ns per synapse-cycle;
4. threads: 2 threads vs 1 at N = 100k;
5. recording all 19 traces of N = 10k units vs none (and every 10th cycle), the
   same into a previous result's memory (``out=``), the kernel alone, and the
   operating system's cost of the fresh trace memory;
6. peak RSS of N = 1M units without traces vs the bytes of the state arrays.

And the network rows (issue #11; ``--network-only`` runs just these): emergent's
benchmark network (``examples/bench``: 5 layers of N units, 7 full projections) at
N = 25, 100, 625, 1024, ms per trial with learning on the compiled kernel (1 and 2
threads; each timed call the second of two in a row, as one epoch follows another, with
the first call's time, right after the NumPy yardstick's, printed beside), against
this project's NumPy dense implementation of the same trial (bench/network_numpy.py)
and, at N = 25, leabra-psyneulink run in a separate virtual
environment (``--psyneulink-python``; GPL, bench-only), with the fraction of senders
that actually send per cycle and, for 2 threads, the cache-line round trip between two
threads before and after (on this project's VM 0.09-0.18 us, or 0.5 us when the host
puts the cores on different dies, where a team goes solo: ``last_solo_trial``); and row
N6: the same leabra-psyneulink script run unchanged on ``leabra_fast.compat.leabra``
(issue #15), per trial, against leabra-psyneulink.

And the sweep rows S1-S5 of issue 14 (bench/bench_sweep.py): 10,000 parameter sets
as one sweep (one kernel call, each SIMD lane with its own constants) vs a loop of
simulate calls (S1 on one thread, S1b on every core) and vs uniform parameters (S2;
S2b the per-unit simulate call alone); on a 2-worker Dask LocalCluster vs 1 worker
and vs the local sweep (S3/S4 at 20 trials, S3b/S4b at 200; warm clusters); and the
emergent model's sweep (S5) (``--only-sweep`` runs just these, ``--no-sweep`` skips
them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

# The NumPy yardstick of the network rows on one core: BLAS must not use threads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402
import bench_sweep  # noqa: E402
import notebook_loop  # noqa: E402
import simd_level  # noqa: E402
from network_numpy import DenseNumpyNet  # noqa: E402

import leabra_fast as lf  # noqa: E402
from leabra_fast.network import bench_net, bench_patterns  # noqa: E402
from leabra_fast.network import compiled as network_kernel  # noqa: E402
from leabra_fast.seed import compiled as seed_kernel  # noqa: E402


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or platform.machine()


def med(times: list[float]) -> float:
    return statistics.median(times)


MEMORY_SCRIPT = r"""
import json, sys
import leabra_fast as lf

def status(key):  # kB figures of this process (VmHWM: peak RSS since exec)
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024

n_units, n_cycles = int(sys.argv[1]), int(sys.argv[2])
lf.simulate([0.5], n_units=2, n_cycles=2, record=None)  # import and warm everything
base = status("VmRSS")
res = lf.simulate([0.5], n_units=n_units, n_inputs=1, n_cycles=n_cycles, record=None)
peak = status("VmHWM")
state = res.state
nbytes = sum(getattr(state, k).nbytes for k in ("net", "v_m", "adapt", "avg_ss", "avg_s",
                                                "avg_m", "avg_l", "fwt", "wt"))
print(json.dumps({"base": base, "peak": peak, "state": nbytes}))
"""


def psyneulink_times(python: str, n_units: int, n_trials: int) -> list[float] | str:
    """Seconds per trial of leabra-psyneulink (bench/psyneulink_bench.py run by ``python``,
    a separate virtual environment's interpreter), or why it could not run."""
    script = Path(__file__).resolve().parent / "psyneulink_bench.py"
    try:
        proc = subprocess.run([python, str(script), str(n_units), str(n_trials)],
                              capture_output=True, text=True, check=True, timeout=3600)
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        return f"not run: {type(err).__name__}"
    return list(json.loads(proc.stdout.strip().splitlines()[-1])["trial_s"])


def _time_network(
    n: int, rep: int
) -> tuple[int, int, dict[str, list[float]], float, list[float], list[int]]:
    """Interleaved timings of the bench network at N=n: compiled on 1 and 2 threads
    (``n_tr`` trials per call, each timed call the second of two in a row, as epochs
    follow each other; the first's times as "1:first" / "2:first") and the NumPy dense
    yardstick (``n_np`` trials), the
    fraction of units sending per cycle, and the state of the cores for 2 threads: the
    cache-line round trip between two threads before and after (``team_round_trip``),
    and the trial of each 2-thread call from which its team ran on one thread (-1:
    never)."""
    n_tr = 20 if n <= 100 else 10
    n_np = n_tr if n <= 100 else 2
    pats = bench_patterns(20, n, rng=2)
    inp, tg = {"Input": pats["Input"][:n_tr]}, {"Output": pats["Output"][:n_tr]}
    nets = {th: bench_net(n, rng=1) for th in (1, 2)}
    for net in nets.values():  # warm up (pages, caches)
        net.run({"Input": pats["Input"][:1]}, {"Output": pats["Output"][:1]}, backend="cython")
    dense = DenseNumpyNet(bench_net(n, rng=1))

    def numpy_trials() -> None:
        for k in range(n_np):
            dense.trial({"Input": pats["Input"][k], "Output": pats["Output"][k]})

    solo: list[int] = []

    def two_threads() -> None:
        nets[2].run(inp, tg, backend="cython", n_threads=2)
        solo.append(int(nets[2].last_solo_trial[0]))

    rtt0 = network_kernel.team_round_trip()
    t = C.interleaved(
        {
            "1": lambda: nets[1].run(inp, tg, backend="cython", n_threads=1),
            "2": two_threads,
            "numpy": numpy_trials,
        },
        rep,
        warm=("1", "2"),
    )
    rtt = [rtt0, network_kernel.team_round_trip()]
    sent = float(nets[1].last_n_sent[0]) / (n_tr * 4 * nets[1].cyc_per_qtr * 5 * n)
    return n_tr, n_np, t, sent, rtt, solo


def network_rows(
    quick: bool, rep: int, pnl_python: str | None, rows: list, data: dict[str, object]
) -> None:
    """The network rows: ms per trial of the bench network (see the module docstring)."""
    sizes = [25, 100] if quick else [25, 100, 625, 1024]
    data["network"] = net_data = {}
    ms_25 = None
    for n in sizes:
        n_tr, n_np, t, sent, rtt_s, solo = _time_network(n, max(rep, 3))
        ms1 = med(t["1"]) / n_tr * 1e3
        ms1_first = med(t["1:first"]) / n_tr * 1e3
        ms2 = med(t["2"]) / n_tr * 1e3
        ms_np = med(t["numpy"]) / n_np * 1e3
        net_data[str(n)] = {"trials": n_tr, "one_s": t["1"], "two_s": t["2"],
                            "one_first_s": t["1:first"], "two_first_s": t["2:first"],
                            "numpy_s": t["numpy"], "numpy_trials": n_np, "send_fraction": sent}
        target = {25: 0.15, 625: 12.0}.get(n)
        rows.append((
            f"N1. bench network N={n} (5x{n} units, {7 * n * n:,} synapses), 1 thread",
            f"{ms1:.3g} ms/trial (learning incl.; a call right after the NumPy "
            f"yardstick's: {ms1_first:.3g})",
            f"<= {target} ms" if target else "-", ms1 <= target if target else None,
        ))  # fmt: skip
        rows.append((
            "N2. same: vs NumPy dense (bench/network_numpy.py), 1 thread",
            f"{ms1:.3g} vs {ms_np:.3g} ms/trial = {ms_np / ms1:.1f}x", ">= 10x",
            ms_np / ms1 >= 10,
        ))  # fmt: skip
        # Paired: in each round the two nets run the same trials (the same bits), whose
        # cost falls as the nets learn (at N = 625 the first round's trials take twice
        # the fifth's), so the ratio of the medians would pair different rounds.
        pair = med([a / b for a, b in zip(t["1"], t["2"], strict=True)])
        net_data[str(n)]["two_thread_ratio_paired"] = pair
        net_data[str(n)]["two_thread_cores"] = {"round_trip_s": rtt_s, "solo_at": solo}
        rtt = " -> ".join(f"{x * 1e9:.0f}" for x in rtt_s)
        went = [s for s in solo if s >= 0]
        rows.append((
            f"N3. same: 2 threads vs 1 (OpenMP build: {network_kernel.OPENMP}), median of "
            "per-round ratios",
            f"{pair:.2f}x (ratio of medians {ms1:.3g} / {ms2:.3g} ms = {ms1 / ms2:.2f}x; "
            f"round trip {rtt} ns; one thread in {len(went)} of {len(solo)} calls)",
            ">= 1.7x" if n == 625 else "-", pair >= 1.7 if n == 625 else None,
        ))  # fmt: skip
        rows.append((
            "N4. same: senders sending per cycle (|delta act| > opt_thresh)",
            f"{100 * sent:.1f}% of units", "-", None,
        ))  # fmt: skip
        if n == 25:
            ms_25 = ms1
    if ms_25 is not None:
        if not pnl_python:
            rows.append(("N5. vs leabra-psyneulink at N=25", "not run: no --psyneulink-python",
                         ">= 2000x", None))
        else:
            pt = psyneulink_times(pnl_python, 25, 3 if quick else 5)
            if isinstance(pt, str):
                rows.append(("N5. vs leabra-psyneulink at N=25", pt, ">= 2000x", None))
            else:
                net_data["psyneulink_s"] = pt
                ms_p = med(pt) * 1e3
                rows.append((
                    "N5. vs leabra-psyneulink 0.3.2 at N=25 (separate venv, no Norm/Momentum)",
                    f"{ms_25:.3g} vs {ms_p:.0f} ms/trial = {ms_p / ms_25:,.0f}x", ">= 2000x",
                    ms_p / ms_25 >= 2000,
                ))  # fmt: skip
    compat_row(quick, pnl_python, rows, net_data)


def compat_times(n_units: int, n_trials: int) -> list[float] | str:
    """Seconds per trial of bench/psyneulink_bench.py run unchanged on
    leabra_fast.compat.leabra (``leabra_fast.compat.install()`` first), in a subprocess."""
    script = Path(__file__).resolve().parent / "psyneulink_bench.py"
    code = ("import runpy, sys, leabra_fast.compat as c; c.install(); "
            f"sys.argv = ['psyneulink_bench.py', '{n_units}', '{n_trials}']; "
            f"runpy.run_path({str(script)!r}, run_name='__main__')")
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, timeout=3600)
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        return f"not run: {type(err).__name__}"
    return list(json.loads(proc.stdout.strip().splitlines()[-1])["trial_s"])


def compat_row(quick: bool, pnl_python: str | None, rows: list, net_data: dict) -> None:
    """N6: the same leabra-psyneulink script (bench network, N=25, its logs kept) on
    leabra_fast.compat.leabra, per trial, against leabra-psyneulink itself."""
    ct = compat_times(25, 100 if quick else 400)
    if isinstance(ct, str):
        rows.append(("N6. compat API (leabra_fast.compat.leabra) at N=25", ct, ">= 1000x", None))
        return
    ct = ct[10:]  # warm-up trials (first packing, caches)
    net_data["compat_s"] = ct
    ms_c = med(ct) * 1e3
    pt = net_data.get("psyneulink_s")
    if not pt:
        rows.append(("N6. compat API (leabra_fast.compat.leabra) at N=25, same script",
                     f"{ms_c:.3g} ms/trial; no --psyneulink-python to compare", ">= 1000x", None))
        return
    ms_p = med(pt) * 1e3
    rows.append((
        "N6. compat API (leabra_fast.compat.leabra) vs leabra-psyneulink 0.3.2 at N=25, "
        "same script",
        f"{ms_c:.3g} vs {ms_p:.0f} ms/trial = {ms_p / ms_c:,.0f}x", ">= 1000x",
        ms_p / ms_c >= 1000,
    ))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats (smoke run)")
    ap.add_argument("--repeat", type=int, default=None, help="runs per median (default 5; 1 quick)")
    ap.add_argument("--no-brian2", action="store_true", help="skip Brian2 even if installed")
    ap.add_argument("--json", type=Path, help="also write the measurements here")
    ap.add_argument("--network-only", action="store_true", help="only the network rows")
    ap.add_argument(
        "--psyneulink-python",
        default=os.environ.get("LEABRA_PSYNEULINK_PYTHON"),
        help="Python of a separate venv with leabra-psyneulink (network row N5)",
    )
    ap.add_argument("--only-sweep", action="store_true", help="only the sweep rows S1-S5")
    ap.add_argument("--no-sweep", action="store_true", help="skip the sweep rows S1-S5")
    args = ap.parse_args(argv)
    quick = args.quick
    rep = args.repeat or (1 if quick else 5)
    slow_rep = max(1, min(rep, 3))  # the NumPy / reference runs take seconds each

    n_big = 10_000 if quick else 100_000
    cyc_big = 200 if quick else 1000
    syn_units, syn_inputs, syn_cycles = (100, 1000, 100) if quick else (1000, 1000, 200)
    rec_units, rec_cycles = (2_000, 100) if quick else (10_000, 200)
    mem_units = 100_000 if quick else 1_000_000
    threads = 2

    load0 = os.getloadavg()
    rows: list[tuple[str, str, str, bool | None]] = []
    data: dict[str, object] = {}
    if args.network_only:
        network_rows(quick, rep, args.psyneulink_python, rows, data)
        return report(args, rows, data, rep, slow_rep, quick, load0)
    if args.only_sweep:
        sweep_rows, data["sweep"] = bench_sweep.rows(quick, rep)
        rows += sweep_rows
        return report(args, rows, data, rep, slow_rep, quick, load0)

    # 1. The notebook's run, whole public call, 19 traces.
    nb = lf.NOTEBOOK_INPUT
    for _ in range(20):  # steady state: the allocator has settled on its trace buffers
        lf.simulate(nb)
    t = C.interleaved(
        {"python": lambda: lf.simulate(nb, backend="python"), "cython": lambda: lf.simulate(nb)},
        slow_rep,
    )
    t_ref = t["python"]
    t_fast = t["cython"] + C.timeit(lambda: lf.simulate(nb), max(rep, 5) * 10)
    r1 = med(t_ref) / med(t_fast)
    data["notebook"] = {"python_s": t_ref, "cython_s": t_fast}
    rows.append((
        "1. notebook run, 19 traces: cython vs python backend",
        f"{med(t_fast) * 1e6:.0f} us vs {med(t_ref) * 1e3:.0f} ms = {r1:.0f}x", ">= 500x",
        r1 >= 500,
    ))  # fmt: skip

    # 1b. The same run against the notebook's own loop (a copy of its cell), which
    # records the same 19 traces in Python lists.
    t = C.interleaved(
        {"notebook": notebook_loop.run_notebook, "cython": lambda: lf.simulate(nb)},
        max(rep, 5),
    )
    t_nb = t["notebook"]
    t_fast_nb = t["cython"] + C.timeit(lambda: lf.simulate(nb), max(rep, 5) * 10)
    r1b = med(t_nb) / med(t_fast_nb)
    data["notebook_loop"] = {"notebook_s": t_nb, "cython_s": t_fast_nb}
    rows.append((
        "1b. notebook run, 19 traces: cython vs the notebook's own Python loop",
        f"{med(t_fast_nb) * 1e6:.0f} us vs {med(t_nb) * 1e3:.1f} ms = {r1b:.0f}x", ">= 50x",
        r1b >= 50,
    ))  # fmt: skip

    # 2. Many units, one synapse, no traces, one thread.
    x = C.schedule(cyc_big)
    nc = n_big * cyc_big
    C.run_leabra(x[:1], 64, 1)  # warm up
    C.yardstick_library()
    t = C.interleaved(
        {
            "leabra": lambda: C.run_leabra(x, n_big, 1, n_threads=1),
            "c": lambda: C.run_yardstick(x, n_big, 1),
            "numpy": lambda: C.run_numpy_units(x, n_big, 1),
        },
        slow_rep,
    )
    t_lf = t["leabra"] + C.timeit(lambda: C.run_leabra(x, n_big, 1, n_threads=1), rep - slow_rep)
    t_c, t_np = t["c"], t["numpy"]
    # Same model: the yardstick's and NumPy's final state equal leabra_fast's to 1e-12.
    ref_state = np.vstack([C.run_yardstick(x, 256, 1)[0], C.run_numpy_units(x, 256, 1)[0]])
    lf_state = C.run_leabra(x, 256, 1).state
    mine = np.vstack([getattr(lf_state, k) for k in lf.seed.state.UNIT_STATE] * 2)
    agree = bool(np.allclose(mine, ref_state, rtol=1e-12, atol=1e-15))
    ns_lf, ns_c, ns_np = (med(t) / nc * 1e9 for t in (t_lf, t_c, t_np))
    data["units"] = {
        "n_units": n_big,
        "cycles": cyc_big,
        "leabra_s": t_lf,
        "c_s": t_c,
        "numpy_s": t_np,
        "same_model": agree,
    }
    rows.append((
        f"2a. N={n_big:,} x {cyc_big} cycles, 1 thread: vs C yardstick (gcc, package flags)",
        f"{ns_lf:.2f} vs {ns_c:.1f} ns/neuron-cycle = {ns_c / ns_lf:.1f}x", ">= 6x",
        ns_c / ns_lf >= 6,
    ))  # fmt: skip
    rows.append((
        f"2b. same: vs NumPy vectorised over {n_big:,} units",
        f"{ns_lf:.2f} vs {ns_np:.1f} ns/neuron-cycle = {ns_np / ns_lf:.1f}x", ">= 10x",
        ns_np / ns_lf >= 10,
    ))  # fmt: skip
    rows.append(
        (
            "2c. same: yardstick and NumPy final state equal leabra_fast's (rtol 1e-12)",
            str(agree),
            "True",
            agree,
        )
    )
    brian = None if args.no_brian2 else C.run_brian2_neurons(n_big, cyc_big, slow_rep)
    if brian is not None:
        ns_b = med(brian) / nc * 1e9
        data["brian2_s"] = brian
        rows.append((
            f"2d. same: vs Brian2 cython target, neuron equations only, N={n_big:,}",
            f"{ns_lf:.2f} (neuron+synapse) vs {ns_b:.1f} ns/neuron-cycle = {ns_b / ns_lf:.1f}x",
            "faster", ns_lf < ns_b,
        ))  # fmt: skip
    else:
        rows.append((
            "2d. vs Brian2 cython target, neuron only (not run here: cited figure)",
            f"{ns_lf:.2f} vs 12-18 ns/neuron-cycle (cited, N=100k)", "faster", ns_lf < 12,
        ))  # fmt: skip

    # The same comparison with both sides held to AVX2 (issue #3's reference machine).
    if "avx2" in seed_kernel.simd_levels():
        lvl = simd_level.run_child("avx2", n_big, cyc_big, slow_rep)
        data["avx2_level"] = lvl
        held = lvl["leabra_simd"] == "avx2" and not lvl["numpy_avx512"]
        rows.append((
            "2e. same, both held to AVX2 (LEABRA_FAST_SIMD, NPY_DISABLE_CPU_FEATURES)",
            f"{lvl['leabra_ns']:.2f} vs {lvl['numpy_ns']:.1f} ns/neuron-cycle = "
            f"{lvl['ratio']:.1f}x" + ("" if held else " (NOT held: see --json)"), ">= 10x",
            lvl["ratio"] >= 10 if held else None,
        ))  # fmt: skip

    # 3. Synapse-heavy: learning every cycle on every synapse.
    xs = C.schedule(syn_cycles)
    t_syn = C.timeit(lambda: C.run_leabra(xs, syn_units, syn_inputs, n_threads=1), rep)
    ns_syn = med(t_syn) / (syn_units * syn_inputs * syn_cycles) * 1e9
    data["synapses"] = {
        "n_units": syn_units,
        "n_inputs": syn_inputs,
        "cycles": syn_cycles,
        "leabra_s": t_syn,
    }
    rows.append((
        f"3. {syn_units} units x {syn_inputs} synapses x {syn_cycles} cycles, 1 thread",
        f"{ns_syn:.2f} ns/synapse-cycle", "<= 5 ns", ns_syn <= 5,
    ))  # fmt: skip

    # 4. Threads: wall clock, and CPU time (the work threads add, whatever the load).
    c0 = time.process_time()
    t_1 = C.timeit(lambda: C.run_leabra(x, n_big, 1, n_threads=1), rep)
    c1 = time.process_time()
    t_2 = C.timeit(lambda: C.run_leabra(x, n_big, 1, n_threads=threads), rep)
    c2 = time.process_time()
    t = C.interleaved(
        {
            "1": lambda: C.run_leabra(x, n_big, 1, n_threads=1),
            "2": lambda: C.run_leabra(x, n_big, 1, n_threads=threads),
        },
        rep,
    )
    t_1, t_2 = t_1 + t["1"], t_2 + t["2"]
    speedup = med(t_1) / med(t_2)
    cpu_ratio = (c2 - c1) / (c1 - c0)
    data["threads"] = {
        "one_s": t_1,
        "two_s": t_2,
        "openmp": seed_kernel.BUILD_INFO["openmp"],
        "cpu_ratio": cpu_ratio,
    }
    rows.append((
        f"4. N={n_big:,}: {threads} threads vs 1 (OpenMP build: "
        f"{seed_kernel.BUILD_INFO['openmp']})",
        f"{med(t_1) * 1e3:.0f} / {med(t_2) * 1e3:.0f} ms = {speedup:.2f}x", ">= 1.7x",
        speedup >= 1.7,
    ))  # fmt: skip
    rows.append((
        f"4b. same: total CPU time with {threads} threads / with 1 (parallel overhead)",
        f"{cpu_ratio:.2f}", "~1", None,
    ))  # fmt: skip

    # 5. Recording.
    xr = C.schedule(rec_cycles)
    kw = dict(n_threads=1)
    prev = C.run_leabra(xr, rec_units, 1, record="all", **kw)  # lends its memory to "reuse"
    t = C.interleaved(
        {
            "none": lambda: C.run_leabra(xr, rec_units, 1, **kw),
            "all": lambda: C.run_leabra(xr, rec_units, 1, record="all", **kw),
            "every10": lambda: C.run_leabra(xr, rec_units, 1, record="all", record_every=10, **kw),
            "reuse": lambda: C.run_leabra(xr, rec_units, 1, record="all", out=prev, **kw),
        },
        rep,
    )
    t_none, t_all, t_10, t_re = t["none"], t["all"], t["every10"], t["reuse"]
    rr, r10, rre = (med(tt) / med(t_none) for tt in (t_all, t_10, t_re))
    mb = 19 * 8 * rec_units * rec_cycles / 1e6
    data["recording"] = {"none_s": t_none, "all_s": t_all, "every10_s": t_10, "reuse_s": t_re}
    rows.append((
        f"5a. N={rec_units:,} x {rec_cycles} cycles, all 19 traces ({mb:.0f} MB) vs none",
        f"{med(t_all) * 1e3:.0f} / {med(t_none) * 1e3:.0f} ms = {rr:.2f}x", "<= 2x", rr <= 2,
    ))  # fmt: skip
    rows.append(
        (
            "5b. same, every 10th cycle recorded vs none",
            f"{med(t_10) * 1e3:.0f} ms = {r10:.2f}x",
            "less than 5a",
            r10 < rr,
        )
    )
    # The kernel alone, writing into trace buffers whose pages are already mapped: what
    # recording costs leabra_fast, as opposed to what the OS charges for fresh memory.
    k_none, k_all = C.kernel_recording_times(xr, rec_units, rep)
    rk = med(k_all) / med(k_none)
    data["recording"]["kernel_none_s"], data["recording"]["kernel_all_s"] = k_none, k_all
    rows.append((
        "5c. same as 5a, kernel only, trace buffers already paged in",
        f"{med(k_all) * 1e3:.0f} / {med(k_none) * 1e3:.0f} ms = {rk:.2f}x", "<= 2x", rk <= 2,
    ))  # fmt: skip
    # The floor under 5c: writing as many bytes with nothing computed.
    t_w = C.write_times(int(mb * 1e6), rep)
    data["recording"]["write_s"] = t_w
    rows.append((
        "5d. same bytes: writing them alone into paged-in memory (ndarray.fill)",
        f"{med(t_w) * 1e3:.0f} ms = {med(t_w) / med(k_none):.2f}x the kernel's no-trace time",
        "-", None,
    ))  # fmt: skip
    # The rest of 5a is the operating system's: fresh pages for 304 MB, zeroed.
    t_os = C.fresh_pages_times(int(mb * 1e6), rep)
    data["recording"]["fresh_pages_s"] = t_os
    rows.append((
        "5e. same bytes: the OS's cost of fresh pages alone (allocate, touch each page)",
        f"{med(t_os) * 1e3:.0f} ms = {med(t_os) / med(t_none):.2f}x the no-trace run", "-",
        None,
    ))  # fmt: skip

    # 5a's whole call again, writing into the traces of a previous result (out=), as a
    # parameter sweep that records can: no fresh pages to be given by the OS.
    rows.append((
        "5f. same as 5a, whole call, into a previous result's traces (simulate(out=...))",
        f"{med(t_re) * 1e3:.0f} / {med(t_none) * 1e3:.0f} ms = {rre:.2f}x", "<= 2x", rre <= 2,
    ))  # fmt: skip

    # 6. Memory, in a fresh process.
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(mem_units), "100"],
        capture_output=True,
        text=True,
        check=True,
    )
    m = json.loads(proc.stdout)
    extra = (m["peak"] - m["base"]) / m["state"]
    data["memory"] = m
    rows.append((
        f"6. peak RSS, N={mem_units:,} no traces: (peak - interpreter) / state bytes",
        f"{(m['peak'] - m['base']) / 2**20:.0f} MiB / {m['state'] / 2**20:.0f} MiB = {extra:.2f}x",
        "<= 1.5x", extra <= 1.5,
    ))  # fmt: skip

    network_rows(quick, rep, args.psyneulink_python, rows, data)
    if not args.no_sweep:
        sweep_rows, data["sweep"] = bench_sweep.rows(quick, rep)
        rows += sweep_rows
    return report(args, rows, data, rep, slow_rep, quick, load0)


def report(
    args: argparse.Namespace,
    rows: list,
    data: dict[str, object],
    rep: int,
    slow_rep: int,
    quick: bool,
    load0: tuple[float, float, float],
) -> int:
    """Print the table (and write --json)."""
    load1 = os.getloadavg()
    info = seed_kernel.BUILD_INFO
    print(
        f"leabra_fast {getattr(lf, '__version__', '?')}  |  CPU: {cpu_model()}, "
        f"{os.cpu_count()} cores  |  kernel: {info['simd']}, block {info['block']}, "
        f"OpenMP {info['openmp']}  |  NumPy {np.__version__}, Python "
        f"{platform.python_version()}"
    )
    print(
        f"medians of {rep} runs ({slow_rep} for the NumPy, reference and C yardstick runs); "
        f"load average {load0[0]:.2f} at start, {load1[0]:.2f} at end"
        + ("  [--quick: small sizes]" if quick else "")
    )
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measurement'.ljust(width)}  {'result':<52} {'target':<12} met")
    print("-" * (width + 72))
    for name, result, target, ok in rows:
        flag = "yes" if ok else ("no" if ok is not None else "-")
        print(f"{name.ljust(width)}  {result:<52} {target:<12} {flag}")
    if args.json:
        args.json.write_text(json.dumps(data, indent=1))
    if load0[0] > 1.2 or load1[0] > 1.2:
        print(
            textwrap.fill(
                "Note: other processes were running (load average above 1.2 on this machine); "
                "thread scaling and absolute times are pessimistic.",
                width=100,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
