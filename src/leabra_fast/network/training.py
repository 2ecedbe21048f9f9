"""Training over epochs: ``train(net, inputs, targets, epochs=...)``.

An epoch presents every pattern once (in order, or in a fresh permutation per epoch as
emergent's training environments do).  Trials run through ``Network.run`` in chunks of a
few trials (one kernel call each), so a progress bar over epochs and trials costs
nothing per cycle, and a Ctrl-C between chunks keeps every finished trial: the result is
then marked ``partial`` and the network's state is the state after the last finished
trial, so training can continue from it.  Chunking does not change the numbers (state
continues bit-exactly between ``run`` calls).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.progress import PartialRunWarning, defer_sigint, in_jupyter
from .network import Network
from .result import NetworkResult
from .variables import TRIAL_VARS

__all__ = ["EPOCH_STATS", "ORDERS", "TrainResult", "epoch_stats", "train"]

#: Trial orders within an epoch.
ORDERS = ("sequential", "permuted")
#: Per-epoch statistics of every layer (``TrainResult.history[layer][stat]``).
EPOCH_STATS = ("sse", "sse_sum", "pct_err", "cos_diff", "act_m_avg", "act_p_avg")
#: Wall time a chunk of trials aims at (bar updates and Ctrl-C checks in between).
CHUNK_SECONDS = 0.1


@dataclass
class TrainResult(NetworkResult):
    """What :func:`train` returns: a ``NetworkResult`` over all trials of all epochs, plus
    the epochs.

    Attributes
    ----------
    epoch : ndarray of int64, (n_trials,)
        Epoch of each trial row.
    pattern : ndarray of int64, (n_trials,)
        Index of the pattern (row of ``inputs``) presented in each trial row.
    n_epochs : int
        Completed epochs (``history`` has one row per completed epoch).
    partial : bool
        True when training stopped early on Ctrl-C (finished trials are kept; an
        unfinished epoch's trials are in the trial arrays but not in ``history``).
    stopped_early : bool
        True when ``stop_zero_epochs`` ended training before ``epochs``.
    history : dict
        ``history[layer][stat]``, (n_epochs, n_batch), for ``EPOCH_STATS``: the training
        curves (:func:`epoch_stats` of the trial statistics).
    """

    epoch: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pattern: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    n_epochs: int = 0
    partial: bool = False
    stopped_early: bool = False
    history: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def epoch_stats(
    result: NetworkResult, epoch: Any, n_epochs: int | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """Per-epoch statistics of every layer from a result's trial statistics.

    ``epoch`` gives each trial row's epoch (0, 1, ...).  For each layer and epoch:
    ``sse`` the mean trial SSE (emergent's epoch SSE), ``sse_sum`` its sum over the epoch's
    trials (the textbook's learning curve), ``pct_err`` the fraction of trials with SSE > 0,
    ``cos_diff``, ``act_m_avg`` and ``act_p_avg`` the means over the epoch's trials; each
    (n_epochs, n_batch).  Epochs with no trials are NaN.
    """
    ep = np.asarray(epoch, dtype=np.int64)
    if ep.shape != (result.n_trials,):
        raise ValueError(f"epoch must have one value per trial ({result.n_trials}), got {ep.shape}")
    n = int(ep.max()) + 1 if n_epochs is None and ep.size else int(n_epochs or 0)
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, st in result.stats.items():
        n_batch = st["sse"].shape[1]
        h = {k: np.full((n, n_batch), np.nan) for k in EPOCH_STATS}
        for e in range(n):
            rows = ep == e
            if not rows.any():
                continue
            sse = st["sse"][rows].astype(np.float64)
            h["sse"][e] = sse.mean(axis=0)
            h["sse_sum"][e] = sse.sum(axis=0)
            h["pct_err"][e] = (sse > 0).mean(axis=0)
            for k in ("cos_diff", "act_m_avg", "act_p_avg"):
                h[k][e] = st[k][rows].astype(np.float64).mean(axis=0)
        out[name] = h
    return out


def _bar(total: int, progress: bool | None) -> Any:
    if progress is None:
        try:
            import sys

            progress = bool(sys.stderr.isatty()) or in_jupyter()
        except (AttributeError, ValueError):
            progress = False
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError("progress=True needs tqdm (pip install tqdm)") from None
    return tqdm(total=total, unit="trial")


def _check_int(value: Any, name: str, low: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def train(
    net: Network,
    inputs: Mapping[str, Any],
    targets: Mapping[str, Any] | None = None,
    *,
    epochs: int = 1,
    order: str = "sequential",
    rng: np.random.Generator | int | None = None,
    learn: bool = True,
    record: Sequence[str] = (),
    stop_zero_epochs: int = 0,
    sse_tol: float = 0.5,
    progress: bool | None = None,
    callback: Callable[[int, int, Network], Any] | None = None,
    backend: str | None = None,
    n_threads: int = 1,
    chunk_trials: int | None = None,
    trial_vars: Sequence[str] | None = None,
) -> TrainResult:
    """Train ``net`` for ``epochs`` passes over the patterns, with a progress bar.

    Parameters
    ----------
    net : Network
        A network with initialised weights (``init_weights``).
    inputs, targets : dict of layer name -> array
        As for :meth:`Network.run`: ``(n_patterns, n_units)`` or ``(n_patterns, n_batch,
        n_units)`` per layer.
    epochs : int
        Passes over the patterns (>= 1).
    order : {"sequential", "permuted"}
        Pattern order in each epoch: as given, or a fresh permutation per epoch drawn from
        ``rng`` (emergent's training environments permute).
    rng : numpy.random.Generator or int, optional
        Source of the permutations (``order="permuted"``).
    learn : bool
        Learn after every trial (False: test the patterns ``epochs`` times).
    record : sequence of str
        As for :meth:`Network.run`; cycle variables are kept for every trial of every
        epoch, so record them for short runs only.
    stop_zero_epochs : int
        Stop after this many consecutive epochs in which every target/compare layer's SSE
        was 0 in every trial and batch copy (emergent's ``NZeroStop``); 0 never stops early.
    sse_tol : float
        Per-unit tolerance of the SSE (Go ``Layer.MSE(tol)``).
    progress : bool, optional
        A tqdm bar over all trials of all epochs, described with the epoch and the last
        epoch's SSE.  Default: shown when stderr is a terminal or in Jupyter.
    callback : callable, optional
        ``callback(epoch, trials_done_in_epoch, net)`` after every chunk of trials;
        raising ``KeyboardInterrupt`` in it stops training as Ctrl-C does.
    backend, n_threads
        As for :meth:`Network.run`.
    chunk_trials : int, optional
        Trials per ``run`` call; default: adapted so a chunk takes about 0.1 s.  The
        results do not depend on it.
    trial_vars : sequence of str, optional
        The per-unit trial variables (``TRIAL_VARS``) to keep for every trial; default
        all.  ``()`` keeps none: the layer statistics and ``history`` only, for long runs
        of large networks (every trial's unit values take ``8 * len(trial_vars)`` bytes
        per unit).  The records asked for are refused before training if they would not
        fit in memory (:class:`~leabra_fast.core.statebase.TooLargeError`).

    Returns
    -------
    TrainResult
        Every trial's records (``epoch`` and ``pattern`` say which), the final weights and
        the per-epoch ``history``.  On Ctrl-C (between chunks) training stops, the finished
        trials are returned with ``partial=True`` and a :class:`PartialRunWarning`, and the
        network's state is the state after the last of them.  (Outside the main thread
        Ctrl-C cannot be deferred: a ``KeyboardInterrupt`` inside a chunk loses that
        chunk's records while the network may have run part of it.)
    """
    epochs = _check_int(epochs, "epochs", 1)
    stop_zero = _check_int(stop_zero_epochs, "stop_zero_epochs", 0)
    keep = _check_trial_vars(trial_vars)
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if chunk_trials is not None:
        chunk_trials = _check_int(chunk_trials, "chunk_trials", 1)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if not isinstance(inputs, Mapping):
        raise TypeError(f"inputs must be a dict of layer name -> patterns, got {inputs!r}")
    inputs = {k: np.asarray(v) for k, v in inputs.items()}
    targets = {k: np.asarray(v) for k, v in dict(targets or {}).items()}
    pats = {**inputs, **targets}
    if not pats:
        raise ValueError("inputs: give at least one layer's patterns")
    lens = {k: (a.shape[0] if a.ndim >= 1 else 0) for k, a in pats.items()}
    n_pat = next(iter(lens.values()))
    if any(n != n_pat for n in lens.values()) or n_pat < 1:
        raise ValueError(f"inputs and targets must have the same number (>= 1) of rows: {lens}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    total = epochs * n_pat
    order_all = np.concatenate(
        [gen.permutation(n_pat) if order == "permuted" else np.arange(n_pat) for _ in range(epochs)]
    ).astype(np.int64)
    watch = [k for k, (kind, _) in _layer_kinds(net).items() if kind in ("target", "compare")]
    if not isinstance(record, Sequence) or isinstance(record, str):
        raise TypeError(f"record must be a sequence of variable names, got {record!r}")
    net._check_records(total, [r for r in record if r != "wt"], "wt" in record, keep,
                       what="train")  # fmt: skip

    out: TrainResult | None = None
    done = 0
    epoch_of = np.repeat(np.arange(epochs, dtype=np.int64), n_pat)
    n_zero = 0
    stopped = interrupted = False
    chunk = chunk_trials or 1
    bar = _bar(total, progress)
    try:
        with defer_sigint() as pressed:
            while done < total:
                e = done // n_pat
                end = min(done + chunk, (e + 1) * n_pat)  # chunks stay within one epoch
                idx = order_all[done:end]
                t0 = time.perf_counter()
                res = net.run(
                    {k: v[idx] for k, v in inputs.items()},
                    {k: v[idx] for k, v in targets.items()},
                    learn=learn, record=record, sse_tol=sse_tol, backend=backend,
                    n_threads=n_threads,
                )  # fmt: skip
                took = time.perf_counter() - t0
                if out is None:
                    out = _allocate(res, total, keep)
                _store(out, res, done, end)
                done = end
                if chunk_trials is None:  # aim at CHUNK_SECONDS per call
                    per = took / max(len(idx), 1)
                    chunk = int(min(max(1, CHUNK_SECONDS / max(per, 1e-9)), n_pat))
                epoch_done = done % n_pat == 0
                if epoch_done and watch:
                    errs = [out.stats[k]["sse"][done - n_pat : done] for k in watch]
                    n_zero = n_zero + 1 if all(not np.any(x > 0) for x in errs) else 0
                if bar is not None:
                    bar.update(len(idx))
                    if epoch_done:
                        sse = [
                            float(out.stats[k]["sse"][done - n_pat : done].mean()) for k in watch
                        ]
                        bar.set_description(
                            f"epoch {e + 1}/{epochs}" + (f" sse {sum(sse):.3g}" if sse else "")
                        )
                if callback is not None:
                    callback(e, done - e * n_pat, net)
                if pressed():
                    interrupted = True
                    break
                if epoch_done and stop_zero and n_zero >= stop_zero:
                    stopped = done < total
                    break
    except KeyboardInterrupt:  # raised by the callback (or Ctrl-C outside the main thread)
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
    if out is None:  # interrupted before the first chunk finished: nothing ran
        info = _layer_kinds(net)
        out = TrainResult(
            layer_info=info,
            prjn_info={pj.name: (pj.send, pj.recv) for pj in net.prjns},
            cyc_per_qtr=net.cyc_per_qtr,
        )
    _truncate(out, done)
    out.epoch = epoch_of[:done]
    out.pattern = order_all[:done]
    out.n_epochs = done // n_pat
    out.partial = interrupted
    out.stopped_early = stopped
    # the history holds full epochs only (an interrupted epoch's trials are not in it)
    full = out.n_epochs * n_pat
    sub = NetworkResult(
        stats={k: {s: a[:full] for s, a in v.items()} for k, v in out.stats.items()}
    )
    out.history = epoch_stats(sub, out.epoch[:full], out.n_epochs)
    out.weights = {pj.name: net.state.prjns[pj.name]["wt"].copy() for pj in net.prjns}
    if interrupted:
        warnings.warn(
            f"training interrupted after {done} of {total} trials ({out.n_epochs} full "
            "epochs); the result holds the finished trials (partial=True)",
            PartialRunWarning,
            stacklevel=2,
        )
    return out


def _layer_kinds(net: Network) -> dict[str, tuple[str, tuple[int, ...]]]:
    return {ly.name: (ly.kind, ly.shape) for ly in net.layers}


def _check_trial_vars(trial_vars: Sequence[str] | None) -> tuple[str, ...]:
    if trial_vars is None:
        return TRIAL_VARS
    if isinstance(trial_vars, str) or not isinstance(trial_vars, Sequence):
        raise TypeError(f"trial_vars must be a sequence of variable names, got {trial_vars!r}")
    for v in trial_vars:
        if v not in TRIAL_VARS:
            raise ValueError(f"trial_vars: unknown variable {v!r}; choose from {TRIAL_VARS}")
    return tuple(v for v in TRIAL_VARS if v in trial_vars)


def _allocate(res: NetworkResult, total: int, keep: Sequence[str]) -> TrainResult:
    def grow(a: np.ndarray) -> np.ndarray:
        return np.zeros((total, *a.shape[1:]), a.dtype)

    return TrainResult(
        cycles={k: {v: grow(a) for v, a in d.items()} for k, d in res.cycles.items()},
        trials={
            k: {v: grow(a) for v, a in d.items() if v in keep} for k, d in res.trials.items()
        },
        stats={k: {v: grow(a) for v, a in d.items()} for k, d in res.stats.items()},
        trial_weights={k: grow(a) for k, a in res.trial_weights.items()},
        layer_info=dict(res.layer_info),
        prjn_info=dict(res.prjn_info),
        cyc_per_qtr=res.cyc_per_qtr,
    )


def _store(out: TrainResult, res: NetworkResult, t0: int, t1: int) -> None:
    for part in ("cycles", "trials", "stats"):
        dst, src = getattr(out, part), getattr(res, part)
        for k, d in src.items():
            for v, a in d.items():
                if v in dst[k]:  # (trial variables not kept are not)
                    dst[k][v][t0:t1] = a
    for k, a in res.trial_weights.items():
        out.trial_weights[k][t0:t1] = a


def _truncate(out: TrainResult, n: int) -> None:
    for part in ("cycles", "trials", "stats"):
        d = getattr(out, part)
        for k in d:
            d[k] = {v: a[:n] for v, a in d[k].items()}
    out.trial_weights = {k: a[:n] for k, a in out.trial_weights.items()}
