"""Sweeps on a real Dask cluster (LocalCluster, 2 worker processes): same Dataset as locally,
a worker killed mid-sweep loses nothing, a Zarr store resumes."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import leabra_fast as lf

distributed = pytest.importorskip("distributed")
pytest.importorskip("zarr")

X = np.asarray(lf.NOTEBOOK_INPUT)[:4]
GRID = {"lrate": [0.0, 0.02, 0.05, 0.1, 0.2, 0.3], "thr": [0.45, 0.5]}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    src = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "src"))
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = src + (os.pathsep + old if old else "")  # the workers' import
    try:
        with distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster, distributed.Client(cluster) as c:
            yield c
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def test_dask_sweep_equals_local(client: Any) -> None:
    local = lf.sweep(GRID, inputs=X, n_cycles=40, record=["v_m"])
    remote = lf.sweep(GRID, inputs=X, n_cycles=40, record=["v_m"], client=client, chunk_size=5)
    assert remote.identical(local)
    assert int(remote.spike_count.sel(lrate=0.1, thr=0.5)) == int(
        lf.simulate(X, params=lf.SeedParams(lrate=0.1, thr=0.5), n_cycles=40).spike_count[0]
    )


def test_dask_sweep_survives_a_killed_worker(client: Any) -> None:
    # The python backend is slow enough (about 0.1 s per chunk) to kill a worker mid-run.
    grid = {"lrate": np.round(np.linspace(0.0, 0.3, 16), 6)}
    opts = {"inputs": X, "n_cycles": 300, "backend": "python", "chunk_size": 1}
    local = lf.sweep(grid, **opts)
    pids = client.run(os.getpid)  # worker address -> its process (started by this test)
    out: dict[str, Any] = {}
    run = threading.Thread(target=lambda: out.setdefault("ds", lf.sweep(grid, client=client,
                                                                       **opts)))  # fmt: skip
    run.start()
    victim = None
    deadline = time.monotonic() + 20
    while victim is None and time.monotonic() < deadline:
        busy = {w: keys for w, keys in client.processing().items() if keys}
        if busy:
            victim = next(iter(busy))
        else:
            time.sleep(0.01)
    assert victim is not None, "no chunk ever started"
    os.kill(pids[victim], signal.SIGKILL)  # the nanny starts a new worker; Dask reruns its chunks
    run.join(60)
    assert not run.is_alive()
    assert victim not in client.scheduler_info()["workers"]  # it did die during the sweep
    assert out["ds"].identical(local)


def test_dask_zarr_store_restart(client: Any, tmp_path: Any) -> None:
    import zarr

    path = str(tmp_path / "sweep.zarr")
    full = lf.sweep(GRID, inputs=X, n_cycles=30)
    lf.sweep(GRID, inputs=X, n_cycles=30, client=client, store=path, chunk_size=4)
    root = zarr.open_group(path, mode="a")
    root["_done"][0] = False  # chunk 0 as if lost in a crash
    root["spike_count"][0:4] = -1
    again = lf.sweep(GRID, inputs=X, n_cycles=30, client=client, store=path, chunk_size=4)
    assert again.identical(full)



def _sweep_tasks(data: list[dict[str, Any]]) -> list[str]:
    return [str(t["key"]) for t in data if str(t["key"]).startswith("leabra-sweep-")]


def test_dask_default_chunks_one_per_worker_thread(client: Any) -> None:
    from leabra_fast.core.sweep import MIN_CHUNK_POINTS, default_chunk_size

    # Small sweeps: one task per worker thread (Dask's per-task cost paid once per thread);
    # large ones: up to four per thread, none under MIN_CHUNK_POINTS.
    assert default_chunk_size(12, 2) == 6
    assert default_chunk_size(13, 2) == 7
    assert default_chunk_size(1, 4) == 1
    assert default_chunk_size(2 * MIN_CHUNK_POINTS, 2) == MIN_CHUNK_POINTS
    assert default_chunk_size(4 * MIN_CHUNK_POINTS, 2) == MIN_CHUNK_POINTS  # 2 a thread
    assert default_chunk_size(8 * MIN_CHUNK_POINTS, 2) == MIN_CHUNK_POINTS
    assert default_chunk_size(100 * MIN_CHUNK_POINTS, 2) == 25 * MIN_CHUNK_POINTS // 2
    with distributed.get_task_stream(client) as ts:
        ds = lf.sweep(GRID, inputs=X, n_cycles=30, client=client)
    assert len(_sweep_tasks(ts.data)) == 2  # 2 workers x 1 thread, 12 points: 2 chunks of 6
    assert ds.identical(lf.sweep(GRID, inputs=X, n_cycles=30))


def test_dask_repeated_sweep_runs_again(client: Any) -> None:
    # Each call has its own task keys: a second identical sweep is computed again (not
    # answered from the first call's results the scheduler may still hold), and equal.
    with distributed.get_task_stream(client) as ts:
        a = lf.sweep(GRID, inputs=X, n_cycles=30, client=client, chunk_size=3)
        b = lf.sweep(GRID, inputs=X, n_cycles=30, client=client, chunk_size=3)
    keys = _sweep_tasks(ts.data)
    assert len(keys) == 8 and len(set(keys)) == 8
    assert a.identical(b)


def test_dask_emergent_sweep_equals_local(client: Any) -> None:
    # The emergent model's sets, one kernel call per chunk with per-lane constants.
    grid = {"lrate": [0.01, 0.02, 0.05, 0.1, 0.2], "thr": [0.48, 0.5, 0.52]}
    params = lf.EmergentParams.go(cyc_per_qtr=5)
    local = lf.sweep(grid, model="emergent", params=params, inputs=X, record=["v_m"])
    remote = lf.sweep(grid, model="emergent", params=params, inputs=X, record=["v_m"],
                      client=client)  # fmt: skip
    assert remote.identical(local)
    lone = lf.simulate(X, model="emergent", params=params.replace(lrate=0.05, thr=0.52))
    assert float(remote.final_wt.sel(lrate=0.05, thr=0.52)[0]) == float(lone.state.wt[0, 0])


def test_dask_network_sweep_equals_local_and_resumes(client: Any, tmp_path: Any) -> None:
    """A network sweep's points as Dask tasks (the network pickled to the workers) give the
    local sweep's Dataset; its Zarr store, half filled, is resumed without rerunning."""
    import zarr

    from leabra_fast.network import Network
    from leabra_fast.network import sweep as net_sweep

    net = Network("PA", n_batch=2)
    net.add_layer("Input", (1, 4), "input")
    net.add_layer("Output", (1, 2), "target")
    net.connect("Input", "Output", "full")
    net.init_weights(4)
    pats = {"Input": np.array([[1, 1, 1, 0], [0, 1, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]])}
    targs = {"Output": np.array([[1, 0], [1, 0], [0, 1], [0, 1]])}
    grid = {"Layer:inhib.layer.gi": [1.2, 1.8], "Prjn:learn.lrate": [0.02, 0.1]}
    opts: dict[str, Any] = {"epochs": 5, "order": "permuted", "rng": 3, "weights": True}
    local = net_sweep(net, grid, pats, targs, **opts)
    remote = net_sweep(net, grid, pats, targs, client=client, **opts)
    assert remote.identical(local)
    path = str(tmp_path / "net.zarr")
    opts["chunk_size"] = 1  # a chunk per point: the store records each
    first = net_sweep(net, grid, pats, targs, client=client, store=path, **opts)
    assert first.identical(local)
    root = zarr.open_group(path, mode="a")
    root["_done"][2:] = False  # as if stopped after two of the four points
    root["history"][2:] = -1.0  # what a rerun must overwrite
    root["n_epochs"][:2] = 99  # what it must keep: the finished points are not run again
    again = net_sweep(net, grid, pats, targs, client=client, store=path, **opts)
    np.testing.assert_array_equal(again.n_epochs.values.reshape(-1), [99, 99, 5, 5])
    assert again.drop_vars("n_epochs").identical(local.drop_vars("n_epochs"))
    with pytest.raises(ValueError, match="holds another sweep"):
        net_sweep(net, grid, pats, targs, store=path, **{**opts, "epochs": 6})
