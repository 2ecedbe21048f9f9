"""Parameter sweeps of a network: every point of a grid trained from the same start.

``sweep(net, grid, inputs, targets, epochs=...)`` trains the network once per point of
the grid: its own parameters plus the point's values (keys ``"selector:path"``, the
selector as :meth:`Network.apply_params` takes it), fresh initial weights from
``init_rng`` (the same draws at every point, so points differ only in what is swept)
and the same pattern order (``rng``).  Each point is exactly a lone :func:`train` of
the network with those parameters, bit for bit.  The training curves come back as an
``xarray.Dataset`` with one dimension per swept parameter (as the unit models'
sweeps, :func:`leabra_fast.sweep`), then ``layer``, ``epoch`` and ``batch``: the
network's batch copies, each with its own initial weights, so every point carries
``n_batch`` seeds run side by side in one kernel call.  Points run in chunks, here in
turn or as tasks of a Dask client, and can go to a Zarr store as they finish, through
the unit models' machinery (:func:`leabra_fast.core.sweep.gather_chunks`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..core.sweep import chunk_bounds, gather_chunks, lead_coords, parse_grid, worker_threads
from ..core.traces import DEFAULT_MAX_TRACE_BYTES
from .network import Network
from .structure import Layer, Projection
from .training import EPOCH_STATS, train

__all__ = ["sweep"]


def _split_key(key: str) -> tuple[str, str]:
    sel, sep, path = key.partition(":")
    if not sep or not sel or not path:
        raise ValueError(
            f"sweep: grid key {key!r} must be 'selector:path', e.g. 'Layer:inhib.layer.gi' "
            "or '#HiddenToOutput:learn.lrate' (selectors as in Network.apply_params)"
        )
    return sel, path


def _sheet(point: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The params sheet of one point: one entry per key, in the grid's order."""
    return [(sel, {path: v}) for sel, path, v in ((*_split_key(k), v) for k, v in point.items())]


def _objects(net: Network) -> list[Layer | Projection]:
    return [*net.layers, *net.prjns]


def _params(net: Network) -> list[Any]:
    return [obj.params for obj in _objects(net)]


def _set_params(net: Network, params: list[Any]) -> None:
    for obj, p in zip(_objects(net), params, strict=True):
        obj.params = p
    if net._built:
        net._make_consts()


def _fresh(rng: np.random.Generator | int | None) -> np.random.Generator | int | None:
    """The same draws for every point: a Generator is copied, a seed used as it is."""
    return copy.deepcopy(rng) if isinstance(rng, np.random.Generator) else rng


def _run_points(
    net: Network,
    points: list[dict[str, Any]],
    inputs: Mapping[str, Any],
    targets: Mapping[str, Any] | None,
    init_rng: np.random.Generator | int,
    train_options: Mapping[str, Any],
    weights: bool,
) -> dict[str, np.ndarray]:
    """Train ``net`` once per point; the points' curves (and weights), points first.

    Module-level: a Dask task (the network travels pickled).  ``net`` gets its own
    parameters back afterwards, not its state (the caller keeps that).
    """
    base = _params(net)
    n_batch, epochs = net.n_batch, int(train_options["epochs"])
    layers = [ly.name for ly in net.layers]
    hist = np.full((len(points), len(EPOCH_STATS), len(layers), epochs, n_batch), np.nan)
    n_run = np.zeros(len(points), np.int64)
    wts = {pj.name: np.zeros((len(points), n_batch, *pj.mask.shape))
           for pj in (net.prjns if weights else ())}  # fmt: skip
    try:
        for i, point in enumerate(points):
            _set_params(net, base)
            net.apply_params(_sheet(point))
            net.init_weights(_fresh(init_rng))
            opts = {**train_options, "rng": _fresh(train_options["rng"])}
            res = train(net, inputs, targets, progress=False, **opts)
            n_run[i] = res.n_epochs
            for li, ly in enumerate(layers):
                for si, stat in enumerate(EPOCH_STATS):
                    h = res.history[ly][stat]
                    hist[i, si, li, : h.shape[0]] = h
            if weights:
                for pj in net.prjns:
                    wts[pj.name][i] = net.weights(pj.name)
    finally:
        _set_params(net, base)
    return {"history": hist, "n_epochs": n_run, **{f"wt_{n}": w for n, w in wts.items()}}


def _seed_desc(rng: Any) -> Any:
    """A seed as itself, a Generator by its state (its repr holds only an address)."""
    return rng.bit_generator.state if isinstance(rng, np.random.Generator) else rng


def _token(net: Network, names: Any, columns: Any, inputs: Any, targets: Any,
           options: Mapping[str, Any]) -> str:  # fmt: skip
    """What a Zarr store of this sweep holds: the network's structure and parameters (not
    its state: every point starts from ``init_rng``'s weights), the grid, the patterns and
    the options."""
    h = hashlib.sha256()
    opts = {k: _seed_desc(v) if k in ("rng", "init_rng") else v for k, v in options.items()}
    desc = [net.name, net.n_batch, str(net.dtype), net.flavour, net.cyc_per_qtr,
            net.wt_bal_interval, repr(_params(net)), [(ly.name, ly.n_units) for ly in net.layers],
            list(names), sorted(opts.items())]  # fmt: skip
    h.update(json.dumps(desc, default=repr).encode())
    for pj in net.prjns:
        h.update(pj.name.encode() + np.ascontiguousarray(pj.mask).tobytes())
    for n in names:
        h.update(np.ascontiguousarray(columns[n]).tobytes())
    for pats in (inputs, targets or {}):
        for k in sorted(pats):
            h.update(k.encode() + np.ascontiguousarray(np.asarray(pats[k], float)).tobytes())
    return h.hexdigest()[:32]


def sweep(
    net: Network,
    grid: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    inputs: Mapping[str, Any],
    targets: Mapping[str, Any] | None = None,
    *,
    epochs: int = 1,
    init_rng: np.random.Generator | int = 0,
    rng: np.random.Generator | int = 0,
    order: str = "sequential",
    learn: bool = True,
    stop_zero_epochs: int = 0,
    sse_tol: float = 0.5,
    weights: bool = False,
    backend: str | None = None,
    n_threads: int = 1,
    client: Any = None,
    chunk_size: int | None = None,
    store: Any = None,
    lazy: bool = False,
    progress: bool = False,
    max_bytes: int = DEFAULT_MAX_TRACE_BYTES,
) -> Any:
    """Train ``net`` once per point of ``grid``; return the training curves per point.

    Parameters
    ----------
    net : Network
        The network, with its parameters (the points' values go on top of them).
    grid : mapping or list of mappings
        ``{"selector:path": values}`` (the Cartesian product, one dimension per key) or a
        list of ``{"selector:path": value}`` points (dimension ``point``).  Selectors as in
        :meth:`Network.apply_params`: ``"Layer"``, ``"Prjn"``, ``"#Name"``, ``".class"``;
        paths relative to ``LayerParams`` / ``PrjnParams`` (``"Layer:inhib.layer.gi"``,
        ``"Prjn:learn.lrate"``, ``"#Output:act.gbar.l"``).
    inputs, targets, epochs, order, learn, stop_zero_epochs, sse_tol, backend, n_threads
        As for :func:`train`, the same at every point.
    init_rng : numpy.random.Generator or int
        Initial weights of every point (after its parameters are applied, so ``wt_init``
        can be swept too): a seed, or a Generator copied for each point; the same draws
        at every point.  Each batch copy draws its own.
    rng : numpy.random.Generator or int
        The pattern order (``order="permuted"``), the same at every point.
    weights : bool
        Also return each point's final weights, ``wt_<projection>`` (batch, recv, send).
    client : dask.distributed.Client, optional
        Run the chunks as Dask tasks on its workers (the network is sent with each; a
        lost worker's chunks are rerun).
    chunk_size : int, optional
        Points per chunk (one task, one write to ``store``, one step of the bar).  Default:
        1 here; with a client, one chunk per worker thread (a Dask task costs about 20 ms
        here, as much as a point of emergent's bench net at N = 25 for 2 epochs).  Smaller
        chunks balance uneven points and lose less to a lost worker or a Ctrl-C.
    store : str or zarr store, optional
        Write each chunk to this Zarr group as it finishes; a sweep restarted with the
        same store (same network, grid, patterns and options) skips the chunks there.
    lazy : bool
        With ``store``: return a Dataset reading the store on demand (Dask arrays).
    progress : bool
        A bar over chunks (tqdm, when installed).
    max_bytes : int
        Refuse before running when the result would need more memory.

    Returns
    -------
    xarray.Dataset
        For each of :data:`~leabra_fast.network.training.EPOCH_STATS` a variable with
        dimensions (swept names or ``point``, ``layer``, ``epoch``, ``batch``); epochs not
        run (``stop_zero_epochs``) are NaN and ``n_epochs`` says how many ran.  The
        network keeps its parameters and its state (a network without weights gets
        ``init_rng``'s).
    """
    import xarray as xr

    if not isinstance(net, Network):
        raise TypeError(f"sweep: net must be a Network, got {type(net).__name__}")
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"sweep: epochs must be an int >= 1, got {epochs!r}")
    if lazy and store is None:
        raise ValueError("sweep: lazy=True reads the results back from a store; give store=")
    for name, given in (("init_rng", init_rng), ("rng", rng)):
        if given is None or not isinstance(given, (int, np.integer, np.random.Generator)):
            raise TypeError(
                f"sweep: {name} must be a seed (int) or a numpy Generator, so that every point "
                f"draws the same; got {given!r}"
            )
    names, columns, shape, axes = parse_grid(grid)
    for k in names:
        _split_key(k)
    n_points = int(columns[names[0]].shape[0])
    points = [{k: columns[k][i].item() for k in names} for i in range(n_points)]
    layer_names = [ly.name for ly in net.layers]
    n_batch = net.n_batch
    per_point = len(EPOCH_STATS) * len(layer_names) * epochs * n_batch * 8
    if weights:
        per_point += sum(pj.mask.size for pj in net.prjns) * n_batch * 8
    if per_point * n_points > max_bytes:
        raise MemoryError(
            f"sweep: {n_points} points need {per_point * n_points:,} bytes of results, above "
            f"max_bytes = {max_bytes:,}; sweep fewer points or epochs, or weights=False"
        )
    base = _params(net)
    for point in points:  # every point checked before any runs
        try:
            net.apply_params(_sheet(point))
        except (KeyError, ValueError, TypeError) as exc:
            raise type(exc)(f"sweep: grid point {point}: {exc}") from None
        finally:
            _set_params(net, base)

    options = {"epochs": int(epochs), "order": order, "rng": rng, "learn": learn,
               "stop_zero_epochs": stop_zero_epochs, "sse_tol": sse_tol, "backend": backend,
               "n_threads": n_threads}  # fmt: skip
    if chunk_size is None:
        chunk_size = 1 if client is None else -(-n_points // worker_threads(client))
    chunks = chunk_bounds(n_points, chunk_size)

    def task(k: int, remote: bool) -> tuple[Any, tuple[Any, ...]]:
        start, stop = chunks[k]
        return _run_points, (net, points[start:stop], inputs, targets, init_rng, options, weights)

    token = ""
    if store is not None:
        held = {**options, "weights": weights, "init_rng": init_rng, "chunk_size": chunk_size}
        token = _token(net, names, columns, inputs, targets, held)
    saved = net.get_state() if net._built else None
    try:
        flat = gather_chunks(n_points, chunks, task, client=client, store=store, token=token,
                             lazy=lazy, progress=progress)  # fmt: skip
    finally:
        _set_params(net, base)
        if saved is not None:
            net.set_state(saved)
        elif net._built:  # it had no weights: it keeps init_rng's, with its own params
            net.init_weights(_fresh(init_rng))

    lead_dims, lead_shape, coords = lead_coords(names, columns, shape, axes)
    coords.update(layer=layer_names, epoch=np.arange(epochs), batch=np.arange(n_batch))
    data: dict[str, Any] = {}
    hist = flat["history"]
    for si, stat in enumerate(EPOCH_STATS):
        arr = hist[:, si].reshape(*lead_shape, len(layer_names), epochs, n_batch)
        data[stat] = ((*lead_dims, "layer", "epoch", "batch"), arr)
    data["n_epochs"] = (lead_dims, flat["n_epochs"].reshape(lead_shape))
    for pj in net.prjns if weights else ():
        w = flat[f"wt_{pj.name}"]
        dims = (*lead_dims, "batch", f"recv_{pj.name}", f"send_{pj.name}")
        data[f"wt_{pj.name}"] = (dims, w.reshape(*lead_shape, *w.shape[1:]))
    ds = xr.Dataset(data, coords=coords)
    ds.attrs["model"] = "network"
    ds.attrs["network"] = net.name
    ds.attrs["swept"] = ",".join(names)
    ds.attrs["epochs"] = int(epochs)
    ds.attrs["order"] = order
    return ds
