"""Sweep rows of bench/compare.py (issue 14): 10,000 parameter sets of the seed model.

20 trials x 100 cycles, summaries only.  The sweep (one simulate call with per-unit
parameters, one kernel call whose SIMD lanes each read their own constants) vs a
Python loop of simulate calls (the loop is timed on a subset and scaled: 10,000 calls
take seconds), vs the kernel's uniform-parameter run of the same 10,000 units (timed in
turn with it, medians), the per-unit simulate call alone (parameters built) vs the
uniform run, and the sweep on a 2-worker LocalCluster vs a 1-worker one (each cluster
created and warmed by one untimed sweep; default chunking: one task per worker, one
kernel thread each), at 20 trials (S3/S4) and 200 trials (S3b/S4b, about a second), and
a network sweep (32 points of emergent's bench net at N = 25) the same way (S6/S6b),
and that network sweep locally, its points packed as the batch copies of one network
(the default) vs the points in turn (S6c at N = 25, S6d at N = 100; paired medians).

    python bench/bench_sweep.py [--quick] [--network-pack]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import leabra_fast as lf
from leabra_fast.network import sweep as net_sweep


def _med(f: Any, rep: int) -> float:
    times = []
    for _ in range(rep):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _paired(f: Any, g: Any, rep: int) -> tuple[float, float]:
    """Medians of f's and g's times, the two run in turn (a load change hits both)."""
    tf, tg = [], []
    for _ in range(rep):
        tf.append(_med(f, 1))
        tg.append(_med(g, 1))
    return statistics.median(tf), statistics.median(tg)


def rows(quick: bool = False, rep: int = 3) -> tuple[list[tuple[str, str, str, bool]], dict]:
    """The measurements as (name, result, target, met) rows, and the raw figures."""
    side = 30 if quick else 100  # side x side grid: 900 or 10,000 parameter sets
    n = side * side
    x = np.asarray(lf.NOTEBOOK_INPUT)  # 20 trials
    grid = {"lrate": np.round(np.linspace(0.0, 0.3, side), 8),
            "thr": np.round(np.linspace(0.45, 0.55, side), 8)}  # fmt: skip
    lf.sweep({"lrate": [0.1, 0.2]}, inputs=x)  # imports, first call
    t_sweep, t_uniform = _paired(
        lambda: lf.sweep(grid, inputs=x, n_threads=1),
        lambda: lf.simulate(x, n_units=n, record=None, n_threads=1),
        max(rep, 5),
    )
    # The kernel call alone: the sweep's per-unit parameters built beforehand.
    a, b = np.meshgrid(grid["lrate"], grid["thr"], indexing="ij")
    per_unit = lf.SeedParams(lrate=a.reshape(-1), thr=b.reshape(-1))
    t_per_unit, t_uniform2 = _paired(
        lambda: lf.simulate(x, params=per_unit, record=None, n_threads=1),
        lambda: lf.simulate(x, n_units=n, record=None, n_threads=1),
        max(rep, 5),
    )
    t_sweep_all = _med(lambda: lf.sweep(grid, inputs=x), max(rep, 5))  # every core (default)
    sub = 200 if quick else 500
    pts = [(a, b) for a in grid["lrate"] for b in grid["thr"]][:sub]
    # The loop's median of a few repeats: one pass is a fraction of a second, and a
    # moment of load would otherwise flatter every ratio against it.
    t_loop_sub = _med(
        lambda: [lf.simulate(x, params=lf.SeedParams(lrate=a, thr=b), record=None, n_threads=1)
                 for a, b in pts], max(rep, 3),
    )  # fmt: skip
    t_loop = t_loop_sub * n / sub
    out = [
        (f"S1. sweep of {n:,} sets (20x100 cycles, summaries) vs Python loop of simulate",
         f"{t_loop:.2f} s (from {sub} calls) / {t_sweep:.2f} s = {t_loop / t_sweep:.1f}x",
         ">= 50x", t_loop / t_sweep >= 50),
        (f"S1b. the same sweep on every core ({os.cpu_count()}; the default) vs the loop",
         f"{t_loop:.2f} s / {t_sweep_all:.2f} s = {t_loop / t_sweep_all:.1f}x",
         ">= 50x", t_loop / t_sweep_all >= 50),
        (f"S2. sweep of {n:,} sets vs the kernel with uniform parameters, same units",
         f"{t_sweep:.3f} s / {t_uniform:.3f} s = {t_sweep / t_uniform:.1f}x slower",
         "<= 1.5x", t_sweep / t_uniform <= 1.5),
        (f"S2b. simulate with {n:,} per-unit sets (params built) vs uniform parameters",
         f"{t_per_unit:.3f} s / {t_uniform2:.3f} s = {t_per_unit / t_uniform2:.2f}x",
         "(kernel)", t_per_unit / t_uniform2 <= 1.5),
    ]  # fmt: skip
    out += _emergent_rows(grid, x, n, quick, rep)
    pack_rows, pack_data = _network_pack_rows(rep, quick)
    out += pack_rows
    data: dict[str, Any] = {"n_sets": n, "sweep_s": t_sweep, "uniform_s": t_uniform,
                            "sweep_all_cores_s": t_sweep_all,
                            "loop_s_scaled": t_loop, "per_unit_simulate_s": t_per_unit,
                            "uniform_s_paired_with_per_unit": t_uniform2, **pack_data}  # fmt: skip
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return out, data
    src = str(Path(__file__).resolve().parents[1] / "src")
    os.environ["PYTHONPATH"] = src + os.pathsep + os.environ.get("PYTHONPATH", "")
    # The long sweep: the same 10,000 sets over the 20 trials ten times (200 trials).
    x_long = np.tile(x, 10)
    times: dict[int, float] = {}
    local: dict[int, float] = {}
    times_long: dict[int, float] = {}
    local_long: dict[int, float] = {}
    net_times: dict[int, float] = {}
    net_local: dict[int, float] = {}
    net, net_grid, net_pats = _network_sweep_case()
    for workers in (1, 2):
        cluster_opts = {"processes": True, "threads_per_worker": 1, "dashboard_address": ":0"}
        with LocalCluster(n_workers=workers, **cluster_opts) as cluster, Client(cluster) as client:
            client.run(lambda: __import__("leabra_fast"))

            # Default chunking: one chunk per worker thread; one kernel thread per task.
            def run(client: Any = client, inputs: Any = x) -> Any:
                return lf.sweep(grid, inputs=inputs, client=client)

            run()  # warm: the workers' first sweep (imports, first call) is not timed
            # In turn with the local one-thread sweep (the cluster idle meanwhile): a
            # change of load hits both.
            local[workers], times[workers] = _paired(
                lambda: lf.sweep(grid, inputs=x, n_threads=1), run, max(rep, 5)
            )
            local_long[workers], times_long[workers] = _paired(
                lambda: lf.sweep(grid, inputs=x_long, n_threads=1),
                lambda: run(inputs=x_long), max(rep, 3),
            )  # fmt: skip
            def net_run(client: Any = None) -> Any:
                # one kernel thread, as each task of a client (the local default: every core)
                return net_sweep(net, net_grid, *net_pats, epochs=2, client=client, n_threads=1)

            net_run(client)  # warm
            net_local[workers], net_times[workers] = _paired(
                net_run, lambda client=client: net_run(client), max(rep, 3)
            )
    data["dask_s"] = times
    data["dask_local_s"] = local[1]
    data["dask_long_s"] = times_long
    data["dask_long_local_s"] = local_long[1]
    warm = "warm cluster, 1 task per worker"
    for tag, n_trials, tt, tl in (("", 20, times, local[1]), ("b", 200, times_long, local_long[1])):
        out.append((
            f"S3{tag}. sweep of {n:,} sets x {n_trials} trials on a LocalCluster: 2 workers vs 1 "
            f"({warm})",
            f"{tt[1]:.3f} s / {tt[2]:.3f} s = {tt[1] / tt[2]:.2f}x",
            ">= 1.7x", tt[1] / tt[2] >= 1.7,
        ))  # fmt: skip
        overhead = tt[1] / tl - 1.0
        out.append((
            f"S4{tag}. Dask overhead: 1-worker cluster vs the local 1-thread sweep, {n:,} sets x "
            f"{n_trials} trials ({warm})",
            f"{tt[1]:.3f} s / {tl:.3f} s: {100 * overhead:+.0f}%",
            "< 10%", overhead < 0.10,
        ))  # fmt: skip
    data["network_dask_s"] = net_times
    data["network_local_s"] = net_local[1]
    n_net = int(np.prod([len(v) for v in net_grid.values()]))
    what = f"network sweep of {n_net} points (bench net N=25, 2 epochs x 20 patterns)"
    out.append((
        f"S6. {what} on a LocalCluster: 2 workers vs 1 (one chunk per worker)",
        f"{net_times[1]:.3f} s / {net_times[2]:.3f} s = {net_times[1] / net_times[2]:.2f}x",
        "(report)", True,
    ))  # fmt: skip
    net_over = net_times[1] / net_local[1] - 1.0
    out.append((
        f"S6b. Dask overhead of the {what}: 1-worker cluster vs local, one kernel thread",
        f"{net_times[1]:.3f} s / {net_local[1]:.3f} s: {100 * net_over:+.0f}%",
        "(report)", True,
    ))  # fmt: skip
    return out, data


def _network_pack_rows(
    rep: int, quick: bool = False
) -> tuple[list[tuple[str, str, str, bool]], dict[str, Any]]:
    """S6c/S6d: the local network sweep (32 points, 2 epochs), packed (the defaults: one
    chunk of 32 points, one pack, every core) vs its points in turn (chunk_size=1: one
    lone train each), on one thread (the former default) and on every core, timed in
    turn (paired medians); the results are checked equal.  ``quick``: N = 25 only, one
    run each."""
    out, data = [], {}
    rounds = 1 if quick else max(rep, 5)
    for tag, n_side in (("c", 25),) if quick else (("c", 25), ("d", 100)):
        net, grid, pats = _network_sweep_case(n_side)

        def run(net: Any = net, grid: Any = grid, pats: Any = pats, **kw: Any) -> Any:
            return net_sweep(net, grid, *pats, epochs=2, **kw)

        packed, one = run(), run(chunk_size=1, n_threads=1)
        assert all(np.array_equal(packed[v].values, one[v].values, equal_nan=True)
                   for v in packed.data_vars)  # fmt: skip
        t_points, t_pack = _paired(lambda: run(chunk_size=1, n_threads=1), run, rounds)
        t_points_all, t_pack2 = _paired(lambda: run(chunk_size=1), run, rounds)
        t_pack1 = _med(lambda: run(n_threads=1), rounds)
        data[f"network_pack_N{n_side}"] = {
            "points_1_thread_s": t_points, "packed_s": t_pack, "points_all_cores_s": t_points_all,
            "packed_s_2": t_pack2, "packed_1_thread_s": t_pack1,
        }  # fmt: skip
        out.append((
            f"S6{tag}. local network sweep of 32 points (bench net N={n_side}, 2 epochs x 20 "
            f"patterns): packed, every core ({os.cpu_count()}) vs points in turn, 1 thread",
            f"{t_points:.3f} s / {t_pack:.3f} s = {t_points / t_pack:.2f}x",
            "(report)", True,
        ))  # fmt: skip
        out.append((
            f"S6{tag}+. the same, points in turn also on every core / packed on 1 thread",
            f"{t_points_all:.3f} s / {t_pack2:.3f} s = {t_points_all / t_pack2:.2f}x; "
            f"packed 1 thread {t_pack1:.3f} s",
            "(report)", True,
        ))  # fmt: skip
    return out, data


def _network_sweep_case(n_side: int = 25) -> tuple[Any, dict[str, list[float]], tuple[Any, Any]]:
    """emergent's bench net (N = 25 by default) and a 4 x 8 grid of its inhibition and
    learning rate."""
    from leabra_fast.network import bench_net, bench_patterns

    pats = bench_patterns(20, n_side, rng=2)
    grid = {"Layer:inhib.layer.gi": [1.4, 1.6, 1.8, 2.0],
            "Prjn:learn.lrate": [0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.2]}  # fmt: skip
    return bench_net(n_side, rng=1), grid, ({"Input": pats["Input"]}, {"Output": pats["Output"]})


def _emergent_rows(
    grid: dict[str, np.ndarray], x: np.ndarray, n: int, quick: bool, rep: int
) -> list[tuple[str, str, str, bool]]:
    """S5: the same grid of the emergent model (its defaults: rate code, 100-cycle
    trials, the avg_l gate), one thread: the sweep vs a loop of simulate calls and vs
    the same units with uniform parameters; S5b on every core vs the loop."""
    egrid = {"lrate": np.round(np.linspace(0.001, 0.3, len(grid["lrate"])), 8),
             "thr": grid["thr"]}  # fmt: skip
    lf.sweep({"lrate": [0.01, 0.02]}, model="emergent", inputs=x)  # first call
    t_sweep, t_uniform = _paired(
        lambda: lf.sweep(egrid, model="emergent", inputs=x, n_threads=1),
        lambda: lf.simulate(x, model="emergent", n_units=n, record=None, n_threads=1),
        max(rep, 5),
    )
    t_all = _med(lambda: lf.sweep(egrid, model="emergent", inputs=x), max(rep, 5))
    sub = 100 if quick else 300
    pts = [(a, b) for a in egrid["lrate"] for b in egrid["thr"]][:sub]
    t_loop = _med(
        lambda: [lf.simulate(x, model="emergent", params=lf.EmergentParams(lrate=a, thr=b),
                             record=None, n_threads=1) for a, b in pts], max(rep, 3),
    ) * n / sub  # fmt: skip
    return [
        (f"S5. emergent sweep of {n:,} sets (20 trials) vs Python loop of simulate, one thread",
         f"{t_loop:.2f} s (from {sub} calls) / {t_sweep:.3f} s = {t_loop / t_sweep:.1f}x",
         "(report)", True),
        (f"S5a. emergent sweep of {n:,} sets vs uniform parameters, same units, one thread",
         f"{t_sweep:.3f} s / {t_uniform:.3f} s = {t_sweep / t_uniform:.2f}x slower",
         "(report)", True),
        (f"S5b. the emergent sweep on every core ({os.cpu_count()}) vs the loop",
         f"{t_loop:.2f} s / {t_all:.3f} s = {t_loop / t_all:.1f}x", "(report)", True),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--network-pack", action="store_true",
                    help="only the local network sweep rows, packed vs points (S6c/S6d)")
    args = ap.parse_args(argv)
    if args.network_pack:
        table, _ = _network_pack_rows(1 if args.quick else 3, args.quick)
    else:
        table, _ = rows(args.quick, 1 if args.quick else 3)
    width = max(len(r[0]) for r in table)
    for name, result, target, ok in table:
        print(f"{name.ljust(width)}  {result:<52} {target:<10} {'yes' if ok else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
