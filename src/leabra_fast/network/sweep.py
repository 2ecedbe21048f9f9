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

With the compiled kernel a chunk's points run as one *pack*: one network of
``P * n_batch`` batch copies, copy ``p * n_batch + b`` holding point ``p``'s parameters
(the kernel's per-copy tables) and its copy ``b``'s initial state, trained by one
:func:`train` (its kernel threads over the copies).  Nothing in a trial couples batch
copies (the pattern order and the WtBal counter are the same for every copy), so each
point is still exactly its lone train.  ``stop_zero_epochs`` is the exception: its rule
is over all copies of the network, so a pack would stop every point together; points
then run one by one, as with the reference backend (the oracle).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..core.driver import resolve_threads
from ..core.sweep import chunk_bounds, gather_chunks, lead_coords, parse_grid, worker_threads
from ..core.traces import DEFAULT_MAX_TRACE_BYTES
from . import compiled_backend
from .network import Network
from .result import NetworkResult
from .structure import Layer, Projection
from .training import EPOCH_STATS, epoch_stats, train

__all__ = ["PACK_BYTES", "sweep"]

#: Memory one pack may take (its state and :func:`train`'s records, estimated by
#: :func:`_copy_bytes` before anything is allocated); a chunk needing more runs as
#: several packs, in turn.
PACK_BYTES = 256 * 2**20

#: Local default: points per chunk (one pack, one step of the bar) for packed sweeps,
#: at least one per kernel thread.  Each pack pays a train's calls, and its threads
#: split fewer copies the smaller it is: 32 points of the bench net (N = 25, 2 epochs,
#: 2 threads) took 0.37 s in packs of 32, 0.40 s of 16, 0.47 s of 8, 0.62 s of 4
#: (medians of 7, a busy machine; idle: 0.25-0.30 s for 8 to 32); a larger pack moves
#: the bar less often and loses more to a Ctrl-C.
PACK_POINTS = 32


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


def _set_params(net: Network, params: list[Any], consts: bool = True) -> None:
    """Give ``net``'s layers and projections ``params``; ``consts=False``: leave its
    constants to the caller's next step that makes them (apply_params, init_weights)."""
    for obj, p in zip(_objects(net), params, strict=True):
        obj.params = p
    if net._built and consts:
        net._make_consts()


def _fresh(rng: np.random.Generator | int | None) -> np.random.Generator | int | None:
    """The same draws for every point: a Generator is copied, a seed used as it is."""
    return copy.deepcopy(rng) if isinstance(rng, np.random.Generator) else rng


def _packs(train_options: Mapping[str, Any], net: Network, n_points: int) -> bool:
    """Whether a chunk of ``n_points`` points runs as one packed network."""
    backend = train_options["backend"]
    if backend is None:
        backend = "cython" if net.dtype == np.dtype(np.float64) else "python"
    return backend == "cython" and train_options["stop_zero_epochs"] == 0 and n_points > 1


def _n_patterns(inputs: Mapping[str, Any], targets: Mapping[str, Any] | None) -> int:
    return max(np.shape(a)[0] if np.ndim(a) else 1 for a in (*inputs.values(),
                                                             *(targets or {}).values()))


def _copy_bytes(net: Network, n_patterns: int, epochs: int, weights: bool) -> int:
    """Bytes one batch copy of a pack takes (``net`` built): its state, counted three
    times (the pack's buffers, and the final weights copied by the kernel, by train and
    by the sweep: a bound), train's records of every trial (the layer statistics only:
    ``trial_vars=()``), a kernel call's arrays (at most an epoch of trials: records
    and patterns over the padded units), the patterns repeated per point and the
    weights returned."""
    ps = net._packed
    state = sum(a.nbytes for a in (ps.U, ps.F, ps.P, ps.LV, ps.S, ps.R, ps.G)) // net.n_batch
    n_units, n_tot, nl = sum(ly.n_units for ly in net.layers), ps.U.shape[2], len(net.layers)
    kept = 8 * 4 * nl * epochs * n_patterns
    call = 8 * (10 * n_tot + 4 * nl + n_units) * n_patterns
    wts = 8 * sum(pj.mask.size for pj in net.prjns) if weights else 0
    return 3 * state + kept + call + wts


def _tiled(net: Network, pats: Mapping[str, Any] | None, n_pack: int, arg: str) -> dict[str, Any]:
    """Patterns for a pack of ``n_pack`` points: each layer's patterns as the network reads
    them (``Network._pattern``: (n_trials, n_batch, n_units), shared ones broadcast to every
    copy), repeated for every point.  Anything it cannot read passes unchanged, for
    ``run`` to refuse with its own message."""
    layers = {ly.name: ly for ly in net.layers}
    out: dict[str, Any] = {}
    for name, a in (pats or {}).items():
        arr = np.asarray(a)
        ly = layers.get(name)
        if ly is not None and arr.ndim >= 2:
            per_copy = net._pattern(np.asarray(arr, net.dtype), ly, f"{arg}[{name!r}]",
                                    with_time=True)  # fmt: skip
            arr = np.tile(per_copy, (1, n_pack, 1))
        out[name] = arr
    return out


def _put_state(packed: Network, net: Network, i: int) -> None:
    """Copy ``net``'s whole state into batch copies ``i * n_batch ..`` of ``packed`` (the
    same structure): every buffer of the packed state (layout.py) is batch-major, so
    the point's copies are one block of each (of each projection's block of S)."""
    src, dst, nb = net._packed, packed._packed, net.n_batch
    cols = slice(i * nb, (i + 1) * nb)
    for name in ("U", "F", "P", "LV", "R"):  # (variables, batch, ...)
        a = getattr(src, name)
        getattr(dst, name)[:, cols] = a
    dst.G[cols] = src.G  # (batch, projections)
    for pi, pj in enumerate(net.prjns):  # (variables, [projection: (batch, send, recv)])
        size = nb * pj.mask.size
        d0 = dst.syn_off[pi] + i * size
        dst.S[:, d0 : d0 + size] = src.S[:, src.syn_off[pi] : src.syn_off[pi] + size]
    for k, v in net.state.scalars.items():  # counters (trials, WtBal): the same at every point
        if i and packed.state.scalars[k] != v:
            raise RuntimeError(f"sweep: {k} differs between points after init_weights")
        packed.state.scalars[k] = v


def _run_pack(
    net: Network,
    points: list[dict[str, Any]],
    inputs: Mapping[str, Any],
    targets: Mapping[str, Any] | None,
    init_rng: np.random.Generator | int,
    train_options: Mapping[str, Any],
    out: dict[str, Any],
    first: int,
) -> None:
    """Train ``points`` as the batch copies of one network; write point ``i``'s curves
    (and weights) at ``first + i`` of ``out``'s arrays."""
    base = _params(net)
    nb, n_pack = net.n_batch, len(points)
    packed = net._with_n_batch(n_pack * nb)
    packed.build()
    proto = net._with_n_batch(nb)  # unbuilt: the points' parameters, no constants made
    tables: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = []
    for i, point in enumerate(points):
        # the point's initial state and tables from its own network of n_batch copies
        # (the same draws and constants as its lone run); the synapses' offsets are the
        # pack's (the kernel checks the rest of the structure against copy 0's)
        _set_params(proto, base)
        proto.apply_params(_sheet(point))
        _set_params(net, _params(proto), consts=False)
        net.init_weights(_fresh(init_rng))
        layers, prjns, _, _ = compiled_backend.layer_tables(net)
        for pi, d in enumerate(prjns):
            d["syn_off"] = packed._packed.syn_off[pi]
        tables += [(layers, prjns)] * nb
        _put_state(packed, net, i)
    packed._dwt_pending = net._dwt_pending  # as after init_weights: no DWt pending
    packed._copy_tables = tables
    opts = {**train_options, "rng": _fresh(train_options["rng"])}
    res = train(packed, _tiled(net, inputs, n_pack, "inputs"),
                _tiled(net, targets, n_pack, "targets"),
                progress=False, **opts)  # fmt: skip
    sl = slice(first, first + n_pack)
    out["n_epochs"][sl] = res.n_epochs
    # each point's curves from its copies' trial statistics, as its lone train makes
    # them: the pack's (n_trials, n_pack * nb) arrays would be averaged over trials in
    # another order (numpy's sums run another way along a wider array's rows)
    full = int(np.searchsorted(res.epoch, res.n_epochs))
    for i in range(n_pack):
        cols = slice(i * nb, (i + 1) * nb)
        stats = {ly: {k: np.ascontiguousarray(a[:full, cols]) for k, a in d.items()}
                 for ly, d in res.stats.items()}  # fmt: skip
        hist_i = epoch_stats(NetworkResult(stats=stats), res.epoch[:full], res.n_epochs)
        for li, ly in enumerate(net.layers):
            for si, stat in enumerate(EPOCH_STATS):
                out["history"][first + i, si, li, : res.n_epochs] = hist_i[ly.name][stat]
    for pj in net.prjns:
        name = f"wt_{pj.name}"
        if name in out:
            out[name][sl] = packed.weights(pj.name).reshape(n_pack, nb, *pj.mask.shape)


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

    With the compiled kernel (and no ``stop_zero_epochs``) the points run as packs of
    batch copies (:func:`_run_pack`), as many per pack as :data:`PACK_BYTES` allows;
    otherwise one by one.  Module-level: a Dask task (the network travels pickled).
    ``net`` gets its own parameters back afterwards, not its state (the caller keeps
    that).
    """
    base = _params(net)
    n_batch, epochs = net.n_batch, int(train_options["epochs"])
    layers = [ly.name for ly in net.layers]
    hist = np.full((len(points), len(EPOCH_STATS), len(layers), epochs, n_batch), np.nan)
    n_run = np.zeros(len(points), np.int64)
    wts = {pj.name: np.zeros((len(points), n_batch, *pj.mask.shape))
           for pj in (net.prjns if weights else ())}  # fmt: skip
    out = {"history": hist, "n_epochs": n_run, **{f"wt_{n}": w for n, w in wts.items()}}
    try:
        if _packs(train_options, net, len(points)):
            if not net._built:
                net.init_weights(_fresh(init_rng))
            n_pat = _n_patterns(inputs, targets)
            per_point = _copy_bytes(net, n_pat, epochs, weights) * n_batch
            size = max(1, min(len(points), PACK_BYTES // per_point))
            for a in range(0, len(points), size):
                _run_pack(net, points[a : a + size], inputs, targets, init_rng, train_options,
                          out, a)  # fmt: skip
            return out
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
    return out


def _seed_desc(rng: Any) -> Any:
    """A seed as itself, a Generator by its state (its repr holds only an address)."""
    return rng.bit_generator.state if isinstance(rng, np.random.Generator) else rng


def _token(net: Network, names: Any, columns: Any, inputs: Any, targets: Any,
           options: Mapping[str, Any]) -> str:  # fmt: skip
    """What a Zarr store of this sweep holds: the network's structure and parameters (not
    its state: every point starts from ``init_rng``'s weights), the grid, the patterns and
    the options."""
    h = hashlib.sha256()
    opts = {k: _seed_desc(v) if k in ("rng", "init_rng") else v for k, v in options.items()
            if k != "n_threads"}  # the same bits at any thread count
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
    n_threads: int | None = None,
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
    inputs, targets, epochs, order, learn, stop_zero_epochs, sse_tol, backend
        As for :func:`train`, the same at every point.  With the compiled kernel and
        ``stop_zero_epochs=0`` (the default) a chunk's points run as the batch copies of
        one network (a pack); otherwise (``backend="python"``, or a ``stop_zero_epochs``
        rule, which is network-wide) one by one.  The results are the same bits.
    n_threads : int, optional
        Kernel threads (over a pack's batch copies).  Default: every core locally, 1
        per task with a client (its worker threads run tasks side by side).  The
        results do not depend on it.
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
        Points per chunk (one pack, one task, one write to ``store``, one step of the
        bar).  Default here: :data:`PACK_POINTS` points (at least ``n_threads``) when
        points are packed, else 1; with a client, one chunk per worker thread (a Dask
        task costs about 20 ms here, as much as a point of emergent's bench net at N = 25
        for 2 epochs).  Smaller chunks balance uneven points and lose less to a lost
        worker or a Ctrl-C.  A chunk above :data:`PACK_BYTES` runs as several packs.
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
    proto = net._with_n_batch(net.n_batch)  # unbuilt: checks parameters, makes no constants
    for point in points:  # every point checked before any runs
        try:
            proto.apply_params(_sheet(point))
        except (KeyError, ValueError, TypeError) as exc:
            raise type(exc)(f"sweep: grid point {point}: {exc}") from None
        finally:
            _set_params(proto, base)

    if n_threads is None:
        # a Dask worker thread runs one task at a time: one kernel thread per task uses
        # the cores once (more would oversubscribe them)
        n_threads = 1 if client is not None else resolve_threads(None)
    n_threads = resolve_threads(n_threads)
    # (a sweep keeps the curves: no per-unit trial records, trial_vars=())
    options = {"epochs": int(epochs), "order": order, "rng": rng, "learn": learn,
               "stop_zero_epochs": stop_zero_epochs, "sse_tol": sse_tol, "backend": backend,
               "n_threads": n_threads, "trial_vars": ()}  # fmt: skip
    if chunk_size is None:
        if client is not None:
            chunk_size = -(-n_points // worker_threads(client))
        elif _packs(options, net, 2):
            chunk_size = max(PACK_POINTS, n_threads)
        else:
            chunk_size = 1
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
