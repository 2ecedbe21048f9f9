"""Figures of network runs, in the style of :mod:`leabra_fast.plot` (which shows them too).

Needs matplotlib: ``pip install "leabra-fast[plot]"``.

* :func:`plot_layer_activity`: a layer's units over the cycles of one trial, as a heat
  map, with the quarter boundaries and the minus/plus phase marked;
* :func:`plot_network_activity`: that heat map for every layer (one Axes each);
* :func:`plot_act_m_vs_act_p`: each unit's minus-phase against plus-phase activity, one
  colour per trial (errors sit off the diagonal);
* :func:`plot_prjn_weights`: a projection's weight matrix (receiving units x sending units);
* :func:`plot_training_curves`: SSE and cos_diff per epoch (:func:`~leabra_fast.network.train`);
* :func:`plot_network_report`: those figures on one page (``leabra-fast run`` writes it).

Every function accepts ``ax=`` (or ``axes=``) and returns what it drew on (the report
returns the Figure).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..core import plotting as _plot
from .network import Network
from .result import NetworkResult

__all__ = [
    "plot_act_m_vs_act_p",
    "plot_layer_activity",
    "plot_network_activity",
    "plot_network_report",
    "plot_prjn_weights",
    "plot_training_curves",
]

QUARTER_STYLE = {"color": "w", "ls": ":", "lw": 0.8}
PHASE_STYLE = {"color": "C1", "ls": "--", "lw": 1.2}


def _result(result: Any, who: str) -> NetworkResult:
    if not isinstance(result, NetworkResult):
        raise TypeError(
            f"{who} needs a NetworkResult (from Network.run or train), got {type(result).__name__}"
        )
    return result


def _layer(result: NetworkResult, layer: str) -> str:
    if layer not in result.trials:
        raise ValueError(f"layer: no layer named {layer!r}; layers are {list(result.trials)}")
    return layer


def _index(value: Any, n: int, name: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if not -n <= value < n:
        raise ValueError(f"{name} = {value} is out of range for {n} {name}(s)")
    return int(value) % n


def layer_activity(
    result: NetworkResult, layer: str, *, var: str = "act", trial: int = -1, batch: int = 0
) -> np.ndarray:
    """The data of :func:`plot_layer_activity`: (n_units, n_cycles) of ``var``."""
    res = _result(result, "layer_activity")
    name = _layer(res, layer)
    rec = res.cycles.get(name, {})
    if var not in rec:
        raise ValueError(
            f"var: {var!r} was not recorded; record it with run(..., record=[{var!r}]) "
            f"(recorded: {list(rec) or 'none'})"
        )
    arr = rec[var]
    t = _index(trial, arr.shape[0], "trial")
    b = _index(batch, arr.shape[2], "batch")
    return np.ascontiguousarray(arr[t, :, b, :].T)


def plot_layer_activity(
    result: NetworkResult,
    layer: str,
    *,
    var: str = "act",
    trial: int = -1,
    batch: int = 0,
    colorbar: bool = True,
    ax: Any = None,
) -> Any:
    """Heat map of a layer's recorded ``var`` (default "act") over the cycles of ``trial``
    (default the last) for batch copy ``batch``: units on the y axis, cycles on the x axis.

    The image's array is ``result.cycles[layer][var][trial, :, batch, :].T``.  Dotted lines
    mark the quarters; the dashed line the start of the plus phase.
    """
    data = layer_activity(result, layer, var=var, trial=trial, batch=batch)
    ax = _plot._axes(ax, figsize=(8, 2.5))
    n_units, n_cyc = data.shape
    im = ax.imshow(
        data, aspect="auto", origin="lower", interpolation="nearest", cmap="viridis",
        extent=(-0.5, n_cyc - 0.5, -0.5, n_units - 0.5),
    )  # fmt: skip
    cpq = result.cyc_per_qtr
    for q in range(1, 4):
        ax.axvline(q * cpq - 0.5, **(PHASE_STYLE if q == 3 else QUARTER_STYLE))
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_plot.TIME_LABEL + " in trial")
    ax.set_ylabel("unit")
    t = trial % result.cycles[layer][var].shape[0]
    ax.set_title(f"{layer}: {var}, trial {t}" + (f", batch {batch}" if batch else ""))
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label=var)
    return ax


def plot_network_activity(
    result: NetworkResult,
    *,
    var: str = "act",
    trial: int = -1,
    batch: int = 0,
    axes: Any = None,
) -> list[Any]:
    """:func:`plot_layer_activity` for every layer, top to bottom in network order.

    ``axes``: a sequence of one Axes per layer (default: a new figure).  Returns the Axes.
    """
    res = _result(result, "plot_network_activity")
    layers = list(res.trials)
    if axes is None:
        _plot._require_matplotlib()
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8, 1.8 * len(layers) + 0.5), layout="constrained")
        axes = fig.subplots(len(layers), 1, squeeze=False)[:, 0]
    axes = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(axes) != len(layers):
        raise ValueError(f"axes must hold one Axes per layer ({len(layers)}), got {len(axes)}")
    for ax, ly in zip(axes, layers, strict=True):
        plot_layer_activity(res, ly, var=var, trial=trial, batch=batch, ax=ax)
    return axes


def plot_act_m_vs_act_p(
    result: NetworkResult,
    layer: str,
    *,
    trials: Any = None,
    batch: int = 0,
    ax: Any = None,
) -> Any:
    """Each unit's minus-phase activity ``act_m`` (x) against its plus-phase activity
    ``act_p`` (y), one scatter (colour) per trial, with the diagonal: in a target layer a
    point off the diagonal is an error the plus phase corrected.

    ``trials``: the trials to show (default all, at most 20: the last 20).  The i-th
    collection's offsets are ``(act_m, act_p)`` of ``trials[i]``.
    """
    res = _result(result, "plot_act_m_vs_act_p")
    name = _layer(res, layer)
    if not {"act_m", "act_p"} <= set(res.trials[name]):
        raise ValueError(
            "plot_act_m_vs_act_p needs the trial variables act_m and act_p; this result "
            f"holds {sorted(res.trials[name])} (train with trial_vars including them)"
        )
    am, ap = res.trials[name]["act_m"], res.trials[name]["act_p"]
    n_trials = am.shape[0]
    b = _index(batch, am.shape[1], "batch")
    if trials is None:
        sel = np.arange(max(0, n_trials - 20), n_trials)
    else:
        sel = np.array([_index(t, n_trials, "trial") for t in np.atleast_1d(trials).tolist()])
    ax = _plot._axes(ax, figsize=(4, 4))
    ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--", zorder=0)
    for t in sel:
        ax.scatter(am[t, b], ap[t, b], s=18, label=f"trial {t}")
    ax.set_xlim(-0.03, 1.0)
    ax.set_ylim(-0.03, 1.0)
    ax.set_aspect("equal")
    ax.set_xlabel("act_m (minus phase)")
    ax.set_ylabel("act_p (plus phase)")
    ax.set_title(f"{name}: act_m vs act_p")
    if len(sel) <= 10:
        _plot._legend(ax)
    return ax


def prjn_weights(source: Any, prjn: str, *, batch: int = 0, trial: int | None = None) -> np.ndarray:
    """The data of :func:`plot_prjn_weights`: (n_recv, n_send) weights of ``prjn``."""
    if isinstance(source, Network):
        if trial is not None:
            raise ValueError("trial: a Network has only its current weights; pass a result")
        w = source.weights(prjn)
    else:
        res = _result(source, "prjn_weights")
        if prjn not in res.weights:
            raise ValueError(
                f"prjn: no projection named {prjn!r}; projections are {list(res.weights)}"
            )
        if trial is None:
            w = res.weights[prjn]
        else:
            if prjn not in res.trial_weights:
                raise ValueError('trial: weights per trial were not recorded (record=["wt"])')
            tw = res.trial_weights[prjn]
            w = tw[_index(trial, tw.shape[0], "trial")]
    return np.ascontiguousarray(w[_index(batch, w.shape[0], "batch")])


def plot_prjn_weights(
    source: Any,
    prjn: str,
    *,
    batch: int = 0,
    trial: int | None = None,
    colorbar: bool = True,
    ax: Any = None,
) -> Any:
    """A projection's weights as an image: receiving units on the y axis, sending units on
    the x axis (0 where not connected).

    ``source`` is a ``NetworkResult`` (its final weights, or after ``trial`` when "wt" was
    recorded) or a ``Network`` (its current weights).  The image's array is ``weights[batch]``.
    """
    data = prjn_weights(source, prjn, batch=batch, trial=trial)
    ax = _plot._axes(ax, figsize=(4, 3.5))
    im = ax.imshow(
        data, origin="lower", interpolation="nearest", cmap="magma", vmin=0.0, vmax=1.0,
        aspect="auto",
    )  # fmt: skip
    ends = ""
    if isinstance(source, NetworkResult) and prjn in source.prjn_info:
        send, recv = source.prjn_info[prjn]
        ends = f" ({send} -> {recv})"
        ax.set_xlabel(f"sending unit ({send})")
        ax.set_ylabel(f"receiving unit ({recv})")
    else:
        ax.set_xlabel("sending unit")
        ax.set_ylabel("receiving unit")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{prjn}{ends}")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="wt")
    return ax


def _history(source: Any) -> dict[str, dict[str, np.ndarray]]:
    if isinstance(source, dict):
        return source
    hist = getattr(source, "history", None)
    if not isinstance(hist, dict):
        raise TypeError(
            "plot_training_curves needs a TrainResult (leabra_fast.network.train) or its "
            f"history dict, got {type(source).__name__}"
        )
    return hist


def plot_training_curves(
    source: Any,
    *,
    layers: Any = None,
    batch: int | None = None,
    sse: str = "sse",
    axes: Any = None,
) -> list[Any]:
    """SSE (left) and cos_diff (right) per epoch: the training curves of a
    :class:`~leabra_fast.network.TrainResult` (or its ``history``).

    ``layers``: default the target and compare layers (or all, if a history dict without
    kinds is given).  ``batch``: one batch copy, or None for the mean over copies.  ``sse``:
    "sse" (mean trial SSE per epoch), "sse_sum" or "pct_err".  Line i of each Axes is
    ``history[layers[i]][stat]`` over epochs.  ``axes``: two Axes (default: a new figure).
    """
    hist = _history(source)
    if sse not in ("sse", "sse_sum", "pct_err"):
        raise ValueError(f"sse must be 'sse', 'sse_sum' or 'pct_err', got {sse!r}")
    if layers is None:
        info = getattr(source, "layer_info", {})
        layers = [k for k in hist if info.get(k, ("target",))[0] in ("target", "compare")]
        layers = layers or list(hist)
    else:
        layers = [layers] if isinstance(layers, str) else list(layers)
        for ly in layers:
            if ly not in hist:
                raise ValueError(f"layers: no history for {ly!r}; have {list(hist)}")
    if axes is None:
        _plot._require_matplotlib()
        from matplotlib.figure import Figure

        fig = Figure(figsize=(9, 3), layout="constrained")
        axes = fig.subplots(1, 2)
    axes = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(axes) != 2:
        raise ValueError(f"axes must be two Axes (SSE, cos_diff), got {len(axes)}")
    for ax, stat, label in ((axes[0], sse, sse), (axes[1], "cos_diff", "cos_diff")):
        for ly in layers:
            y = hist[ly][stat]
            if batch is None:
                y = y.mean(axis=1)
            else:
                y = y[:, _index(batch, y.shape[1], "batch")]
            ax.plot(np.arange(1, len(y) + 1), y, marker="." if len(y) < 50 else None, label=ly)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
    axes[0].set_title("training error")
    axes[1].set_title("cosine(act_m, act_p)")
    axes[1].legend(fontsize="small", frameon=False)
    return axes


def plot_network_report(
    result: NetworkResult, path: str | Path | None = None, *, trial: int = -1, dpi: int = 100
) -> Any:
    """One page: the layers' activity over the cycles of ``trial`` (if "act" was recorded),
    act_m vs act_p of the target/compare layers, every projection's weights and (for a
    ``TrainResult``) the training curves.  Written to ``path`` (.png or .pdf) if given.
    Returns the Figure (made without pyplot)."""
    res = _result(result, "plot_network_report")
    path = _plot.check_report_path(path)
    _plot._require_matplotlib()
    from matplotlib.figure import Figure

    layers = list(res.trials)
    has_act = all("act" in res.cycles.get(ly, {}) for ly in layers) and res.n_trials > 0
    outs = [k for k, (kind, _) in res.layer_info.items() if kind in ("target", "compare")]
    outs = outs or layers[-1:]
    prjns = list(res.weights)
    hist = getattr(res, "history", None)
    has_hist = isinstance(hist, dict) and any(len(next(iter(h.values()))) for h in hist.values())
    n_wide = max(len(outs) + len(prjns), 2)
    rows = (len(layers) if has_act else 0) + 1 + (1 if has_hist else 0)
    fig = Figure(figsize=(3.2 * min(n_wide, 5), 2.2 * rows + 1), layout="constrained")
    grid = fig.add_gridspec(rows, n_wide)
    r = 0
    if has_act:
        for ly in layers:
            plot_layer_activity(res, ly, trial=trial, ax=fig.add_subplot(grid[r, :]))
            r += 1
    c = 0
    if res.n_trials:
        for ly in outs:
            if {"act_m", "act_p"} <= set(res.trials[ly]):  # (not after trial_vars=())
                plot_act_m_vs_act_p(res, ly, ax=fig.add_subplot(grid[r, c]))
                c += 1
    for p in prjns:
        plot_prjn_weights(res, p, ax=fig.add_subplot(grid[r, c]))
        c += 1
    r += 1
    if has_hist:
        half = n_wide // 2
        plot_training_curves(
            res, axes=[fig.add_subplot(grid[r, :half]), fig.add_subplot(grid[r, half:])]
        )
    fig.suptitle(f"{res.n_trials} trials" + (f", {res.n_epochs} epochs" if has_hist else ""))  # type: ignore[attr-defined]
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig
