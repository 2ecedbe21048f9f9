"""Parameter sweeps: a grid or list of parameter sets, run as per-unit parameters.

Each parameter set of a sweep is one unit of a ``simulate`` call whose parameters are
given per unit (see :mod:`leabra_fast.core.perunit`): the sets are cut into chunks of
``chunk_size`` units, each chunk one ``simulate`` call, run here in turn or as tasks
of a ``dask.distributed.Client``, and gathered into an ``xarray.Dataset`` with one
dimension per swept parameter (or into a Zarr store, which a restarted sweep
resumes).  The model is reached through the registry only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import registry
from .driver import simulate
from .paramspec import ParameterError, suggest
from .traces import DEFAULT_MAX_TRACE_BYTES, TraceBudgetError

__all__ = [
    "SUMMARIES",
    "SweepPlan",
    "chunk_bounds",
    "default_chunk_size",
    "gather_chunks",
    "heatmap",
    "lead_coords",
    "parse_grid",
    "plan_sweep",
    "run_chunk",
    "sweep",
    "worker_threads",
]

#: Summaries available per parameter set: the spike count, the rate (spikes per
#: cycle), and the final ``wt`` / ``fwt`` of each synapse (dimension ``input``);
#: ``final_<field>`` of any other field of the model's state is accepted too.
SUMMARIES = ("spike_count", "rate", "final_wt", "final_fwt")

#: Run options a sweep sets itself.
_RESERVED = ("params", "n_units", "record", "units", "out", "state", "model")


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep runs: the base parameters and each point's swept values.

    Attributes
    ----------
    model : str
    names : tuple of str
        The swept parameters, in the order of the dimensions.
    columns : dict of str to ndarray
        Each swept parameter's value at every point (flat, grid order).
    grid_shape : tuple of int or None
        The grid's shape (one axis per name), or None for a list of points.
    axes : dict of str to ndarray
        The grid's values along each axis (empty for a list).
    base : parameter dataclass
        The parameters that are not swept.
    """

    model: str
    names: tuple[str, ...]
    columns: dict[str, np.ndarray]
    grid_shape: tuple[int, ...] | None
    axes: dict[str, np.ndarray]
    base: Any
    #: The parameters of all points, once built (not sent to Dask workers' chunks).
    _whole: list[Any] = dataclasses.field(default_factory=list, repr=False, compare=False)

    @property
    def n_points(self) -> int:
        return int(next(iter(self.columns.values())).shape[0])

    def point(self, i: int) -> dict[str, Any]:
        """The swept values of point ``i``."""
        return {n: self.columns[n][i].item() for n in self.names}

    def part(self, start: int, stop: int) -> SweepPlan:
        """The plan of points ``start .. stop-1`` only (what a Dask task is sent)."""
        columns = {n: c[start:stop] for n, c in self.columns.items()}
        return dataclasses.replace(self, columns=columns, _whole=[])

    def chunk_params(self, start: int, stop: int) -> Any:
        """The per-unit parameters of points ``start .. stop-1``."""
        if (start, stop) == (0, self.n_points) and self._whole:
            return self._whole[0]  # built (and validated) by plan_sweep
        return self.base.replace(**{n: self.columns[n][start:stop] for n in self.names})


def _values(name: str, values: Any) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"sweep: the values of {name!r} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"sweep: {name!r} has no values (an empty grid runs nothing)")
    return arr


def parse_grid(
    grid: Any,
) -> tuple[tuple[str, ...], dict[str, np.ndarray], tuple[int, ...] | None, dict[str, np.ndarray]]:
    """A grid (mapping name -> values, Cartesian) or a list of points, as flat columns.

    Returns the names, each name's value at every point (grid order), the grid's shape
    (None for a list) and its values along each axis (empty for a list).  Empty grids,
    repeated values and points missing a name are refused; the names are not checked.
    """
    if isinstance(grid, Mapping):
        if not grid:
            raise ValueError("sweep: the grid is empty; give at least one name -> values")
        names = tuple(str(k) for k in grid)
        axes = {n: _values(n, grid[n]) for n in names}
        for n, a in axes.items():
            if len(set(a.tolist())) != a.size:
                raise ValueError(f"sweep: the values of {n!r} repeat; each must be distinct")
        shape: tuple[int, ...] | None = tuple(a.size for a in axes.values())
        mesh = np.meshgrid(*axes.values(), indexing="ij")
        columns = {n: m.reshape(-1) for n, m in zip(names, mesh, strict=True)}
    elif isinstance(grid, Iterable) and not isinstance(grid, str | bytes):
        points = list(grid)
        if not points:
            raise ValueError("sweep: the list of parameter sets is empty")
        if not all(isinstance(p, Mapping) for p in points):
            raise TypeError("sweep: a list of parameter sets must hold mappings name -> value")
        names = tuple(dict.fromkeys(str(k) for p in points for k in p))
        missing = [(i, n) for i, p in enumerate(points) for n in names if n not in p]
        if missing:
            i, n = missing[0]
            raise ValueError(f"sweep: parameter set {i} has no value for {n!r}")
        if not names:
            raise ValueError("sweep: the parameter sets name no parameter")
        shape, axes = None, {}
        columns = {n: np.asarray([p[n] for p in points]) for n in names}
    else:
        raise TypeError(
            f"sweep: grid must be a mapping name -> values or a list of mappings, "
            f"got {type(grid).__name__}"
        )
    return names, columns, shape, axes


def plan_sweep(grid: Any, *, model: str = "seed", params: Any = None) -> SweepPlan:
    """Validate a grid (mapping name -> values, Cartesian) or a list of points.

    Unknown names get a suggestion; every point is checked as a parameter set, and a
    bad one is named with its grid point.
    """
    spec = registry.get(model)
    base = spec.default_params() if params is None else params
    if not isinstance(base, spec.params_class):
        raise TypeError(
            f"sweep: params must be a {spec.params_class.__name__} for model={model!r}, "
            f"got {type(base).__name__}"
        )
    if base.per_unit:
        raise ValueError("sweep: the base params must be scalars; sweep the varying fields")
    valid = [f.name for f in dataclasses.fields(base)]
    names, columns, shape, axes = parse_grid(grid)
    for n in names:
        if n not in valid:
            raise ParameterError(
                f"sweep: unknown parameter {n!r} of model {model!r}{suggest(n, valid)}"
            )
    plan = SweepPlan(model, names, columns, shape, axes, base)
    try:
        plan._whole.append(plan.chunk_params(0, plan.n_points))
    except (ParameterError, TypeError):
        for i in range(plan.n_points):
            try:
                base.replace(**plan.point(i))
            except (ParameterError, TypeError) as exc:
                raise type(exc)(f"sweep: grid point {plan.point(i)}: {exc}") from None
        raise
    return plan


def run_chunk(
    plan: SweepPlan,
    start: int,
    stop: int,
    inputs: Any,
    record: tuple[str, ...],
    summaries: tuple[str, ...],
    run_options: Mapping[str, Any],
) -> dict[str, np.ndarray]:
    """Run points ``start .. stop-1`` as one ``simulate`` call; their summaries and traces.

    Every array has the points first.  Module-level, so Dask can send it to workers.
    """
    res = simulate(
        inputs, params=plan.chunk_params(start, stop), n_units=stop - start,
        record=list(record) if record else None, model=plan.model, **run_options,
    )  # fmt: skip
    out: dict[str, np.ndarray] = {}
    total = max(int(res.state.cycle), 1)
    for s in summaries:
        if s == "spike_count":
            out[s] = np.asarray(res.spike_count, dtype=np.int64)
        elif s == "rate":
            out[s] = np.asarray(res.spike_count, dtype=np.float64) / total
        else:
            out[s] = np.asarray(getattr(res.state, s.removeprefix("final_")))
    for name in record:
        out[f"trace_{name}"] = np.moveaxis(np.asarray(res.traces[name]), 1, 0)
    if record:  # the traces' time axis (summaries need none: nothing more to ship)
        out["_trial"] = np.asarray(res.trial)
        out["_cycle"] = np.asarray(res.cycle_in_trial)
        out["_n_cycles"] = np.asarray(res.n_cycles)
    return out


def chunk_bounds(n: int, size: int) -> list[tuple[int, int]]:
    """(start, stop) of each chunk of ``size`` points (the last may be shorter); ``size``
    is checked here, for every sweep."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"sweep: chunk_size must be an int >= 1, got {size!r}")
    return [(a, min(a + size, n)) for a in range(0, n, size)]


#: With a client, a chunk holds at least this many points before a sweep is cut into
#: more chunks than worker threads (each task pays Dask's round trip, ~10 ms here).
MIN_CHUNK_POINTS = 50_000


def default_chunk_size(n: int, threads: int) -> int:
    """Points per task on a cluster of ``threads`` worker threads.

    A small sweep: one chunk per thread (Dask's per-task cost paid once per thread).
    A larger one: up to four chunks per thread of at least :data:`MIN_CHUNK_POINTS`
    points each, so a slow or lost worker holds up less of it.
    """
    threads = max(int(threads), 1)
    per_thread = max(1, min(4, n // (threads * MIN_CHUNK_POINTS)))
    return max(1, -(-n // (threads * per_thread)))


def worker_threads(client: Any) -> int:
    """Threads of all the client's workers (at least 1)."""
    workers = client.scheduler_info().get("workers", {})
    return max(sum(int(w.get("nthreads", 1)) for w in workers.values()), 1)


def _token(plan: SweepPlan, inputs: Any, record: Any, summaries: Any, options: Any,
           chunk_size: int) -> str:  # fmt: skip
    h = hashlib.sha256()
    h.update(json.dumps([plan.model, plan.names, plan.base.to_dict(), list(record),
                         list(summaries), repr(sorted(options.items())), chunk_size],
                        sort_keys=True, default=repr).encode())  # fmt: skip
    for n in plan.names:
        h.update(np.ascontiguousarray(plan.columns[n]).tobytes())
    if inputs is not None:
        h.update(np.ascontiguousarray(np.asarray(inputs, dtype=np.float64)).tobytes())
    return h.hexdigest()[:32]


class _Store:
    """A Zarr group holding the flat (points-first) arrays and which chunks are done."""

    def __init__(self, path: Any, token: str, n_chunks: int) -> None:
        import zarr

        self.root: Any = zarr.open_group(path, mode="a")
        held = self.root.attrs.get("leabra_fast_sweep")
        if held is not None and held != token:
            raise ValueError(
                f"sweep: the store {path!r} holds another sweep (different grid, inputs or "
                "options); give a new store or delete it"
            )
        self.root.attrs["leabra_fast_sweep"] = token
        if "_done" not in self.root:
            self.root.create_array("_done", shape=(n_chunks,), dtype=bool, fill_value=False)
        self.done: Any = self.root["_done"]

    def finished(self) -> set[int]:
        return {int(i) for i in np.flatnonzero(self.done[:])}

    def write(self, k: int, start: int, stop: int, n: int, part: Mapping[str, np.ndarray]) -> None:
        for name, arr in part.items():
            if name.startswith("_"):
                if name not in self.root:
                    self.root.create_array(name, shape=arr.shape, dtype=arr.dtype)
                    self.root[name][...] = arr
                continue
            if name not in self.root:
                self.root.create_array(
                    name, shape=(n, *arr.shape[1:]), dtype=arr.dtype,
                    chunks=(max(stop - start, 1), *arr.shape[1:]),
                )  # fmt: skip
            self.root[name][start:stop] = arr
        self.done[k] = True  # after the data: a chunk marked done is complete

    def read(self, lazy: bool = False) -> dict[str, Any]:
        """The stored arrays: loaded, or (``lazy``) as Dask arrays reading the store on
        demand (the small ``_`` arrays are always loaded)."""
        out: dict[str, Any] = {}
        for name, arr in self.root.arrays():
            if name == "_done":
                continue
            if lazy and not name.startswith("_"):
                import dask.array as da

                out[name] = da.from_zarr(arr)
            else:
                out[name] = np.asarray(arr[...])
        return out


def sweep(
    grid: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    model: str = "seed",
    params: Any = None,
    inputs: Any = None,
    record: str | Iterable[str] | None = None,
    summaries: Iterable[str] = ("spike_count", "rate", "final_wt"),
    n_threads: int | None = None,
    client: Any = None,
    chunk_size: int | None = None,
    store: Any = None,
    lazy: bool = False,
    progress: bool = False,
    max_trace_bytes: int = DEFAULT_MAX_TRACE_BYTES,
    **run_options: Any,
) -> Any:
    """Run every parameter set of a grid or list; return an ``xarray.Dataset``.

    Parameters
    ----------
    grid : mapping or list of mappings
        ``{name: values}`` (the Cartesian product; one dimension per name, so
        ``ds.spike_count.sel(lrate=0.04)`` works) or a list of ``{name: value}``
        parameter sets (dimension ``point``, each name a coordinate on it).
    model, params
        The registered model and its parameters outside the swept names (default:
        the model's defaults).
    inputs, **run_options
        As for :func:`leabra_fast.simulate` (``n_cycles``, ``gc_i``, ``ge``, ``backend``,
        ...); the same for every parameter set, which is one unit.
    record : str or list of str, optional
        Traces to keep for every parameter set (dimensions ``trial``, ``cycle`` and, for
        synapse traces, ``input``).  Their total size is checked against
        ``max_trace_bytes`` before the sweep runs.
    summaries : iterable of str
        Among :data:`SUMMARIES`, or ``final_<field>`` of the model's state.
    n_threads : int, optional
        Threads of each kernel call (default: every core locally; one per task with a
        client, whose worker threads run the tasks side by side).
    client : dask.distributed.Client, optional
        Run chunks as Dask tasks on its workers (a lost worker's chunks are rerun).
    chunk_size : int, optional
        Parameter sets per ``simulate`` call (default: all at once locally; with a
        client, one chunk per worker thread, up to four for a large sweep: see
        :func:`default_chunk_size`).
    store : str or zarr store, optional
        Write each chunk to this Zarr group as it finishes; a sweep restarted with the
        same store skips the chunks already there.
    lazy : bool
        With ``store``: return a Dataset backed by Dask arrays that read the store on
        demand, instead of loading it (for sweeps larger than memory; needs dask).
    progress : bool
        A bar over chunks (tqdm, when installed), locally and with a client.

    Ctrl-C stops the sweep (with a client, its remaining tasks are cancelled); the
    chunks already in ``store`` stay there and a restart skips them.  The models are
    deterministic, so there is no seed to sweep; vary inputs by running sweeps.

    Returns
    -------
    xarray.Dataset
    """
    import xarray as xr

    plan = plan_sweep(grid, model=model, params=params)
    if lazy and store is None:
        raise ValueError("sweep: lazy=True reads the results back from a store; give store=")
    bad = [k for k in run_options if k in _RESERVED]
    if bad:
        raise TypeError(f"sweep: {bad[0]!r} is set by the sweep itself")
    rec = (record,) if isinstance(record, str) else tuple(record or ())
    summ = tuple(summaries)
    state_fields = [
        f"final_{f.name}"
        for f in dataclasses.fields(registry.get(model).state_class)
        if f.name != "cycle"
    ]
    for s in summ:
        if s not in SUMMARIES and s not in state_fields:
            raise ValueError(
                f"sweep: unknown summary {s!r}{suggest(s, (*SUMMARIES, *state_fields))}; "
                f"choose among {SUMMARIES} or the state's fields"
            )
    options = dict(run_options)
    if n_threads is not None:
        options["n_threads"] = n_threads
    options["max_trace_bytes"] = max_trace_bytes
    n = plan.n_points
    if rec:  # the traces of one point, times the points: refused before the sweep runs
        probe = run_chunk(plan, 0, 1, inputs, rec, (), options)
        need = n * sum(v.nbytes for k, v in probe.items() if k.startswith("trace_"))
        if need > max_trace_bytes:
            raise TraceBudgetError(
                f"sweep: recording {list(rec)} for {n} parameter sets needs {need:,} bytes, "
                f"above max_trace_bytes = {max_trace_bytes:,}; record fewer traces, sweep "
                "fewer points or raise max_trace_bytes"
            )
    if client is not None and n_threads is None:
        # Each worker thread runs one task at a time: one kernel thread per task uses the
        # cores once (more would oversubscribe them).
        options["n_threads"] = 1
    if chunk_size is None:
        chunk_size = n if client is None else default_chunk_size(n, worker_threads(client))
    chunks = chunk_bounds(n, chunk_size)

    def task(k: int, remote: bool) -> tuple[Any, tuple[Any, ...]]:
        start, stop = chunks[k]
        if remote:  # each task is sent its own points only (workers build their parameters)
            return run_chunk, (plan.part(start, stop), 0, stop - start, inputs, rec, summ, options)
        return run_chunk, (plan, start, stop, inputs, rec, summ, options)

    token = _token(plan, inputs, rec, summ, options, chunk_size) if store is not None else ""
    flat = gather_chunks(n, chunks, task, client=client, store=store, token=token, lazy=lazy,
                         progress=progress)  # fmt: skip
    return _dataset(xr, plan, flat, rec)


def gather_chunks(
    n: int,
    chunks: list[tuple[int, int]],
    task: Callable[[int, bool], tuple[Callable[..., dict[str, np.ndarray]], tuple[Any, ...]]],
    *,
    client: Any = None,
    store: Any = None,
    token: str = "",
    lazy: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """Run the chunks of a sweep of ``n`` points; return every point's arrays.

    ``task(k, remote)`` gives chunk ``k``'s function and arguments (``remote``: for a Dask
    worker, so module-level and picklable); the function returns arrays with the chunk's
    points first (``_``-prefixed ones are the same for every chunk).  Chunks run here in
    turn, or as tasks of ``client`` (a lost worker's are rerun); each result is kept, or
    written to the Zarr ``store`` (identified by ``token``) as it arrives, and a restart
    with the same store skips the chunks it holds.  Ctrl-C cancels the rest.
    """
    stored = _Store(store, token, len(chunks)) if store is not None else None
    todo = [k for k in range(len(chunks)) if stored is None or k not in stored.finished()]
    parts: dict[int, dict[str, np.ndarray]] = {}
    bar = _bar(progress, len(chunks), len(chunks) - len(todo))

    def keep(k: int, part: dict[str, np.ndarray]) -> None:
        if stored is not None:
            stored.write(k, *chunks[k], n, part)
        else:
            parts[k] = part
        if bar is not None:
            bar.update(1)

    try:
        if client is None:
            for k in todo:
                fn, args = task(k, False)
                keep(k, fn(*args))
        else:
            from distributed import as_completed

            # Keys of this call only: a repeated sweep runs again rather than picking up
            # an earlier call's results still held by the scheduler.
            call = uuid.uuid4().hex
            # The inputs go with each task (not scattered: a lost worker would lose them).
            futures = {}
            for k in todo:
                fn, args = task(k, True)
                fut = client.submit(fn, *args, key=f"leabra-sweep-{call}-{k}", retries=2)
                futures[fut] = k
            try:
                for fut, part in as_completed(list(futures), with_results=True):
                    keep(futures[fut], part)
            except BaseException:  # Ctrl-C or a failed chunk: stop the rest; the store keeps
                client.cancel(list(futures))  # what finished, for a restart to skip
                raise
    finally:
        if bar is not None:
            bar.close()
    if stored is not None:
        return stored.read(lazy)
    flat = {
        name: np.concatenate([parts[k][name] for k in range(len(chunks))])
        for name in parts[0] if not name.startswith("_")
    }  # fmt: skip
    flat.update({name: v for name, v in parts[0].items() if name.startswith("_")})
    return flat


def _bar(progress: bool, total: int, initial: int) -> Any:
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, initial=initial, unit="chunk", desc="sweep")


def lead_coords(
    names: tuple[str, ...], columns: dict[str, np.ndarray], grid_shape: tuple[int, ...] | None,
    axes: dict[str, np.ndarray],
) -> tuple[tuple[str, ...], tuple[int, ...], dict[str, Any]]:  # fmt: skip
    """The leading dimensions of a sweep's Dataset, their shape and coordinates: one per
    swept name for a grid, or ``point`` (each name a coordinate on it) for a list."""
    if grid_shape is not None:
        return names, grid_shape, {n: axes[n] for n in names}
    n_points = int(next(iter(columns.values())).shape[0])
    coords: dict[str, Any] = {"point": np.arange(n_points)}
    coords.update({n: ("point", columns[n]) for n in names})
    return ("point",), (n_points,), coords


def _dataset(xr: Any, plan: SweepPlan, flat: dict[str, np.ndarray], rec: tuple[str, ...]) -> Any:
    lead_dims, lead_shape, coords = lead_coords(plan.names, plan.columns, plan.grid_shape,
                                                plan.axes)  # fmt: skip
    trial, cycle = flat.get("_trial"), flat.get("_cycle")
    n_cyc = int(flat["_n_cycles"]) if "_n_cycles" in flat else 0
    whole = (
        trial is not None and cycle is not None and trial.size > 0
        and trial.size == (int(trial[-1]) + 1) * n_cyc and int(trial[0]) == 0
    )  # fmt: skip
    data: dict[str, Any] = {}
    for name, arr in flat.items():
        if name.startswith("_"):
            continue
        if name.startswith("trace_"):
            tname = name.removeprefix("trace_")
            rest = arr.shape[2:]
            if whole:
                shape = (*lead_shape, arr.shape[1] // n_cyc, n_cyc, *rest)
                dims = (*lead_dims, "trial", "cycle", *("input",) * len(rest))
            else:
                shape = (*lead_shape, arr.shape[1], *rest)
                dims = (*lead_dims, "time", *("input",) * len(rest))
            data[tname] = (dims, arr.reshape(shape))
        else:
            extra = ("input",) * (arr.ndim - 1)
            data[name] = ((*lead_dims, *extra), arr.reshape(*lead_shape, *arr.shape[1:]))
    if rec and not whole and trial is not None:
        coords["trial"] = ("time", trial)
        coords["cycle"] = ("time", cycle)
    ds = xr.Dataset(data, coords=coords)
    ds.attrs["model"] = plan.model
    ds.attrs["params"] = json.dumps(plan.base.to_dict(), sort_keys=True)
    ds.attrs["swept"] = ",".join(plan.names)
    return ds


def heatmap(
    ds: Any, summary: str = "spike_count", x: str | None = None, y: str | None = None,
    ax: Any = None,
) -> Any:  # fmt: skip
    """Draw ``ds[summary]`` over two swept parameters (others averaged); return the Axes.

    ``x`` and ``y`` default to the first two swept names.  Needs matplotlib.
    """
    import matplotlib.pyplot as plt

    if summary not in ds:
        raise ValueError(f"heatmap: {summary!r} is not in the sweep{suggest(summary, ds)}")
    swept = [n for n in str(ds.attrs.get("swept", "")).split(",") if n in ds.dims]
    if len(swept) < 2 and (x is None or y is None):
        raise ValueError(f"heatmap: needs two swept parameters (a grid), the sweep has {swept}")
    x = x or swept[0]
    y = y or next(n for n in swept if n != x)
    for name, given in (("x", x), ("y", y)):
        if given not in ds.dims:
            raise ValueError(f"heatmap: {name} = {given!r} is not a swept dimension: {swept}")
    da = ds[summary]
    others = [d for d in da.dims if d not in (x, y)]
    da = da.mean(others) if others else da
    da = da.transpose(y, x)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.2))
    xs, ys = da[x].values, da[y].values
    mesh = ax.pcolormesh(np.arange(xs.size + 1) - 0.5, np.arange(ys.size + 1) - 0.5,
                         np.asarray(da.values, dtype=float), shading="flat")  # fmt: skip
    ax.set_xticks(np.arange(xs.size), [f"{v:g}" for v in xs], rotation=45)
    ax.set_yticks(np.arange(ys.size), [f"{v:g}" for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    title = summary + (f" (mean over {', '.join(others)})" if others else "")
    ax.set_title(title)
    ax.figure.colorbar(mesh, ax=ax, label=summary)
    return ax
