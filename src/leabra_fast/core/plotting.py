"""The seed notebook's figures, for any result.

Needs matplotlib: ``pip install "leabra-fast[plot]"``.

Two function plots (the XCAL check mark and the SIG weight contrast
enhancement) take the parameters; the nine trace plots take a
:class:`~leabra_fast.SimulationResult` and draw one unit (``unit=``, a model
unit index that was recorded) and, for synapse traces, one synapse
(``input=``).  Every function accepts ``ax=`` and returns the Axes; without
``ax`` it makes a notebook-sized figure (17 x 3 inches) with pyplot.
:func:`plot_report` stacks all eleven into one PNG or PDF, like the notebook.

Trace plots share one time axis: absolute cycle (1 cycle = 1 ms), with light
grey vertical lines at trial boundaries (every ``result.n_cycles`` cycles from
the start of the run).  Lines carry the notebook's variable names as labels.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .emergent.params import EmergentParams
from .params import SeedParams, derived_constants
from .reference import sig, xcal

__all__ = [
    "REPORT_PANELS",
    "plot_activation",
    "plot_adaptation",
    "plot_coproducts",
    "plot_dwt",
    "plot_membrane_potential",
    "plot_net_input",
    "plot_report",
    "plot_running_averages",
    "plot_sig_function",
    "plot_weights",
    "plot_xcal_function",
    "plot_xcal_trace",
]

#: Boundaries are not drawn when a plot would show more trials than this (a grey wash).
MAX_TRIAL_LINES = 400
TIME_LABEL = "cycle (ms)"


def _require_matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "leabra_fast.plot needs matplotlib, which is not installed: "
            'pip install "leabra-fast[plot]"'
        ) from None
    return matplotlib


def _axes(ax: Any, figsize: tuple[float, float] = (17, 3)) -> Any:
    _require_matplotlib()
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize).add_subplot()


def _params(params: SeedParams | None) -> SeedParams:
    params = SeedParams() if params is None else params
    if not isinstance(params, SeedParams):
        raise TypeError(f"params must be a SeedParams, got {type(params).__name__}")
    return params


def _legend(ax: Any) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize="small", frameon=False)


# --- the two function plots -----------------------------------------------------


def plot_xcal_function(
    params: SeedParams | EmergentParams | None = None,
    th: float = 0.5,
    *,
    srs: Any = None,
    ax: Any = None,
) -> Any:
    """The XCAL check mark: weight-change direction as a function of ``srs`` at threshold ``th``.

    The notebook's "Visual of XCAL Function": ``srs`` from 0 to 1 in steps of
    1e-4, ``th = 0.5``.  Zero below ``d_thr``; the linear reversal
    ``-srs (1 - d_rev)/d_rev`` up to ``th * d_rev``; ``srs - th`` above.  Dotted
    lines mark ``th`` (the crossing to weight increase) and ``th * d_rev``
    (the reversal point).

    Returns the Axes; ``ax.lines[0]`` is the curve.  For :class:`EmergentParams`
    draws emergent's XCAL (:func:`leabra_fast.emergent.plot.plot_xcal_function_emergent`).
    """
    if isinstance(params, EmergentParams):
        from .emergent.plot import plot_xcal_function_emergent

        return plot_xcal_function_emergent(params, th, srs=srs, ax=ax)
    p = _params(params)
    if not np.isfinite(th):
        raise ValueError(f"th must be a finite number, got {th!r}")
    x = np.arange(0, 1, 0.0001) if srs is None else np.asarray(srs, dtype=np.float64)
    y = xcal(x, np.float64(th), derived_constants(p, 1))
    ax = _axes(ax, (8, 4))
    ax.plot(x, y, color="C0", label=f"XCAL(srs, th = {th:g})")
    ax.axhline(0.0, color="0.4", lw=0.8, label="_zero")
    ax.axvline(th, color="C3", ls=":", lw=1, label=f"th = {th:g}")
    ax.axvline(th * p.d_rev, color="C2", ls=":", lw=1, label=f"th·d_rev = {th * p.d_rev:g}")
    ax.set_xlabel("srs (short-term sender-receiver co-product)")
    ax.set_ylabel("XCAL (weight-change direction)")
    ax.set_title("XCAL check-mark function")
    _legend(ax)
    return ax


def sig_curve(x: Any, params: SeedParams | None = None) -> np.ndarray:
    """The notebook's SIG where it is defined, NaN elsewhere, without floating-point warnings.

    ``SIG(w) = 1 / (1 + (off (1 - w) / (w + sig_eps)) ** gain)`` is a real
    number for ``-sig_eps < w <= 1``; outside, the base is negative and a
    fractional power is NaN (the notebook plotted it with a RuntimeWarning).
    """
    p = _params(params)
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    inside = (x > -p.sig_eps) & (x <= 1.0)
    with np.errstate(all="ignore"):
        out[inside] = sig(x[inside], derived_constants(p, 1))
    return out


def plot_sig_function(
    params: SeedParams | EmergentParams | None = None, *, x: Any = None, ax: Any = None
) -> Any:
    """Weight contrast enhancement: SIG against the logistic (the notebook's "Squashing Function").

    ``x`` from -3 to 3 in steps of .01 by default.  SIG is drawn only where it
    is defined (``-sig_eps < x <= 1``).  ``ax.lines[0]`` is the logistic,
    ``ax.lines[1]`` SIG (red, as in the notebook).  For :class:`EmergentParams`
    draws emergent's SIG against the linear weight
    (:func:`leabra_fast.emergent.plot.plot_sig_function_emergent`).
    """
    if isinstance(params, EmergentParams):
        from .emergent.plot import plot_sig_function_emergent

        return plot_sig_function_emergent(params, x=x, ax=ax)
    p = _params(params)
    x = np.arange(-3, 3, 0.01) if x is None else np.asarray(x, dtype=np.float64)
    ax = _axes(ax, (8, 4))
    ax.plot(x, 1.0 / (1.0 + np.exp(-x)), color="C0", label=r"logistic $1/(1 + e^{-x})$")
    ax.plot(
        x,
        sig_curve(x, p),
        color="r",
        label=f"SIG (gain = {p.gain:g}), defined on (-{p.sig_eps:g}, 1]",
    )
    ax.set_xlabel("x (for SIG: fwt, the linear weight)")
    ax.set_ylabel("y (for SIG: wt, the effective weight)")
    ax.set_title("SIG contrast enhancement vs. the logistic")
    _legend(ax)
    return ax


# --- trace plots ---------------------------------------------------------------


def _column(result: Any, unit: int) -> int:
    units = np.asarray(result.units)
    if isinstance(unit, bool) or not isinstance(unit, int | np.integer):
        raise TypeError(f"unit must be an int (a model unit index), got {type(unit).__name__}")
    hits = np.flatnonzero(units == unit)
    if hits.size == 0:
        raise ValueError(f"unit {unit} was not recorded; recorded units: {units.tolist()}")
    return int(hits[0])


def _series(result: Any, name: str, unit: int, input: int, who: str) -> np.ndarray:
    if name not in result.traces:
        raise ValueError(
            f"{who} needs the trace {name!r}, which was not recorded (recorded: "
            f"{', '.join(result.traces) or 'none'}); include it in simulate(..., record=[...])"
        )
    arr = result.traces[name]
    col = _column(result, unit)
    if arr.ndim == 3:
        n_in = arr.shape[2]
        if isinstance(input, bool) or not isinstance(input, int | np.integer):
            raise TypeError(f"input must be an int, got {type(input).__name__}")
        if not 0 <= input < n_in:
            raise ValueError(f"input {input} out of range: units have {n_in} input(s)")
        return arr[:, col, input]
    return arr[:, col]


def run_start(result: Any) -> int:
    """Absolute cycle at which the run (trial 0 of its schedule) began."""
    if len(result.cycles):
        return int(result.cycles[0] - result.trial[0] * result.n_cycles - result.cycle_in_trial[0])
    return int(result.state.cycle)  # nothing recorded: only used for empty plots


def trial_boundaries(result: Any) -> np.ndarray:
    """Absolute cycles where a trial starts, within the recorded span (the run's start excluded)."""
    if not len(result.cycles):
        return np.empty(0, dtype=np.int64)
    start = run_start(result)
    edges = start + result.n_cycles * np.arange(1, result.n_trials, dtype=np.int64)
    return edges[(edges >= result.cycles[0]) & (edges <= result.cycles[-1])]


def _time_axis(ax: Any, result: Any) -> None:
    edges = trial_boundaries(result)
    if 0 < edges.size <= MAX_TRIAL_LINES:
        ax.vlines(
            edges, 0, 1, transform=ax.get_xaxis_transform(), colors="0.8", lw=0.8, zorder=0,
            label="_trial boundaries", gid="trial_boundaries",
        )  # fmt: skip
    if getattr(result, "model", "seed") == "emergent":  # quarters and minus/plus phases
        from .emergent.plot import plot_phase_boundaries

        plot_phase_boundaries(result, ax=ax)
    if len(result.cycles):
        ax.set_xlim(result.cycles[0], result.cycles[-1])
    ax.set_xlabel(TIME_LABEL)


def _where(result: Any, unit: int, input: int | None) -> str:
    parts = []
    if result.n_units > 1:
        parts.append(f"unit {unit}")
    if input is not None and result.n_inputs > 1:
        parts.append(f"input {input}")
    return f" ({', '.join(parts)})" if parts else ""


def _trace_plot(
    result: Any,
    lines: list[tuple[str, dict[str, Any]]],
    *,
    unit: int,
    input: int | None,
    ax: Any,
    title: str,
    ylabel: str,
    who: str,
) -> Any:
    # Fetch every trace first: a missing one raises before anything is drawn.
    data = [(name, _series(result, name, unit, input or 0, who), style) for name, style in lines]
    ax = _axes(ax)
    x = np.asarray(result.cycles)
    for name, y, style in data:
        ax.plot(x, y, label=style.pop("label", name), **style)
    _time_axis(ax, result)
    ax.set_ylabel(ylabel)
    ax.set_title(title + _where(result, unit, input))
    return ax


def plot_net_input(result: Any, *, unit: int = 0, ax: Any = None) -> Any:
    """Net input ``net`` (red, drawn wider) with the raw net input ``net_raw`` (blue) it integrates.

    ``net`` follows ``net_raw`` within a few cycles (rate ``dt_net_dt`` = 1/1.4),
    so the two overlap except at input steps.
    """
    ax = _trace_plot(
        result, [("net", {"color": "r", "lw": 2.5}), ("net_raw", {"color": "b", "lw": 1})],
        unit=unit, input=None, ax=ax, title="Net input",
        ylabel="conductance\n(normalised)", who="plot_net_input",
    )  # fmt: skip
    _legend(ax)
    return ax


def plot_membrane_potential(result: Any, *, unit: int = 0, ax: Any = None) -> Any:
    """Membrane potential ``v_m`` with the spike threshold ``spk_thr`` (dashed).

    ``v_m`` is recorded after the reset, so it never shows the crossing
    itself; when ``spike`` (else ``act``) was recorded, spikes are marked as
    ticks on the threshold line.  For emergent results the line is the
    model's threshold: in spiking mode the spike threshold (``spk_thr`` with
    the AdEx term ``ex``, else ``thr``), in rate code the firing threshold ``thr``.
    """
    ax = _trace_plot(
        result, [("v_m", {"color": "b"})], unit=unit, input=None, ax=ax,
        title="Membrane potential", ylabel="membrane potential\n(normalised)",
        who="plot_membrane_potential",
    )  # fmt: skip
    name, thr, what, spiking = "spk_thr", result.params.spk_thr, "spike threshold", True
    if getattr(result, "model", "seed") == "emergent":
        from .emergent.plot import spike_threshold

        p = result.params
        name, thr = spike_threshold(p)
        if p.act_fun == "rate":  # act follows NXX1; spikes only with C++'s bookkeeping
            name, thr, what, spiking = "thr", p.thr, "firing threshold", p.rate_spikes
    ax.axhline(thr, color="r", ls="--", lw=1, label=f"{what} {name} = {thr:g}")
    source = "spike" if "spike" in result.traces else "act"
    if spiking and source in result.traces:
        act = _series(result, source, unit, 0, "plot_membrane_potential")
        at = np.asarray(result.cycles)[act > 0]
        label = "spikes" if result.record_every == 1 else "spikes (recorded cycles only)"
        ax.plot(at, np.full(at.shape, thr), ls="none", marker="|", ms=8, color="r", label=label)
    _legend(ax)
    return ax


def plot_adaptation(result: Any, *, unit: int = 0, ax: Any = None) -> Any:
    """Adaptation current ``adapt`` (the notebook's "Adapt Factor")."""
    ax = _trace_plot(
        result, [("adapt", {"color": "C0"})], unit=unit, input=None, ax=ax,
        title="Adaptation current", ylabel="adaptation current\n(normalised)",
        who="plot_adaptation",
    )  # fmt: skip
    _legend(ax)
    return ax


def plot_activation(result: Any, *, unit: int = 0, ax: Any = None) -> Any:
    """Activation ``act`` and non-depressed activation ``act_nd`` (equal in the seed: spikes)."""
    ax = _trace_plot(
        result,
        [("act", {"color": "C0", "lw": 1}), ("act_nd", {"color": "C1", "ls": "--", "lw": 1})],
        unit=unit, input=None, ax=ax, title="Receiving unit activation",
        ylabel="activation\n(1 = spike)", who="plot_activation",
    )  # fmt: skip
    if getattr(result, "model", "seed") == "emergent":  # act_nd is a rate there
        rate = result.params.act_fun == "rate"
        ax.set_ylabel("activation\n(rate code)" if rate else "activation\n(act: 1 = spike)")
    _legend(ax)
    return ax


def plot_running_averages(result: Any, *, unit: int = 0, ax: Any = None) -> Any:
    """Running averages ``avg_ss`` (blue), ``avg_s`` (green), ``avg_m`` (red), ``avg_l`` (black)."""
    ax = _trace_plot(
        result,
        [("avg_ss", {"color": "b"}), ("avg_s", {"color": "g"}), ("avg_m", {"color": "r"}),
         ("avg_l", {"color": "black"})],
        unit=unit, input=None, ax=ax, title="Running average activations",
        ylabel="running average\n(activation)", who="plot_running_averages",
    )  # fmt: skip
    _legend(ax)
    return ax


def plot_weights(result: Any, *, unit: int = 0, input: int = 0, ax: Any = None) -> Any:
    """Synaptic strength over time: ``dwt`` (blue), ``wt`` (green), ``fwt`` (red)."""
    ax = _trace_plot(
        result, [("dwt", {"color": "b"}), ("wt", {"color": "g"}), ("fwt", {"color": "r"})],
        unit=unit, input=input, ax=ax, title="Synaptic strength over time",
        ylabel="weight", who="plot_weights",
    )  # fmt: skip
    _legend(ax)
    return ax


def plot_coproducts(result: Any, *, unit: int = 0, input: int = 0, ax: Any = None) -> Any:
    """Sender-receiver co-products ``srm`` (medium term, the threshold) and ``srs`` (short)."""
    ax = _trace_plot(
        result, [("srm", {"color": "C0"}), ("srs", {"color": "C1"})],
        unit=unit, input=input, ax=ax, title="Short- and medium-term sender-receiver co-products",
        ylabel="co-product\n(activation²)", who="plot_coproducts",
    )  # fmt: skip
    _legend(ax)
    return ax


def plot_xcal_trace(result: Any, *, unit: int = 0, input: int = 0, ax: Any = None) -> Any:
    """``avg_l`` (blue), ``srs`` (red) and ``XCAL(srs, avg_l)`` (green) with the zero line."""
    ax = _trace_plot(
        result,
        [("avg_l", {"color": "b"}), ("srs", {"color": "r"}),
         ("XCAL", {"color": "g", "label": "XCAL(srs, avg_l)"})],
        unit=unit, input=input, ax=ax, title="BCM term: srs against the floating threshold avg_l",
        ylabel="activation²", who="plot_xcal_trace",
    )  # fmt: skip
    ax.axhline(0.0, color="black", lw=2, label="_zero", zorder=1)
    _legend(ax)
    return ax


def plot_dwt(result: Any, *, unit: int = 0, input: int = 0, ax: Any = None) -> Any:
    """Weight change ``dwt`` of each cycle, with the zero line."""
    ax = _trace_plot(
        result, [("dwt", {"color": "C0"})], unit=unit, input=input, ax=ax,
        title="Weight change from sending to receiving unit", ylabel="dwt\n(weight change)",
        who="plot_dwt",
    )  # fmt: skip
    ax.axhline(0.0, color="black", lw=2, label="_zero", zorder=1)
    _legend(ax)
    return ax


#: The trace panels of the report, in the notebook's order, with the traces each needs.
REPORT_PANELS: tuple[tuple[Callable[..., Any], tuple[str, ...], bool], ...] = (
    (plot_net_input, ("net", "net_raw"), False),
    (plot_membrane_potential, ("v_m",), False),
    (plot_adaptation, ("adapt",), False),
    (plot_activation, ("act", "act_nd"), False),
    (plot_running_averages, ("avg_ss", "avg_s", "avg_m", "avg_l"), False),
    (plot_weights, ("dwt", "wt", "fwt"), True),
    (plot_coproducts, ("srm", "srs"), True),
    (plot_xcal_trace, ("avg_l", "srs", "XCAL"), True),
    (plot_dwt, ("dwt",), True),
)


def plot_report(
    result: Any,
    path: str | Path | None = None,
    *,
    unit: int | None = None,
    input: int = 0,
    th: float = 0.5,
    dpi: int = 100,
) -> Any:
    """The notebook's figures stacked in one figure, written to ``path`` (.png or .pdf) if given.

    The XCAL and SIG function plots use ``result.params``; the trace panels
    show ``unit`` (default: the first recorded unit) and ``input``.  Panels
    whose traces were not recorded are left out and listed in the heading.
    Returns the :class:`matplotlib.figure.Figure` (made without pyplot, so it
    works on headless machines and does not stay open).  For emergent results
    the emergent panel set is drawn
    (:func:`leabra_fast.emergent.plot.plot_report_emergent`).
    """
    _require_matplotlib()
    if getattr(result, "model", "seed") == "emergent":
        from .emergent.plot import plot_report_emergent

        return plot_report_emergent(result, path, unit=unit, input=input, th=th, dpi=dpi)
    from matplotlib.figure import Figure

    if path is not None:
        path = Path(path)
        if path.suffix.lower() not in (".png", ".pdf"):
            raise ValueError(f"plot_report writes .png or .pdf files, got {path.name!r}")
    if unit is None:
        if not len(result.units):
            raise ValueError("nothing was recorded: the report needs recorded traces")
        unit = int(result.units[0])
    _column(result, unit)  # a clear error before any drawing
    panels = [p for p in REPORT_PANELS if all(n in result.traces for n in p[1])]
    skipped = [p[0].__name__ for p in REPORT_PANELS if p not in panels]

    fig = Figure(figsize=(14, 3.6 + 2.3 * len(panels)), layout="constrained", dpi=dpi)
    grid = fig.add_gridspec(1 + len(panels), 2, height_ratios=[1.5] + [1] * len(panels))
    plot_xcal_function(result.params, th, ax=fig.add_subplot(grid[0, 0]))
    plot_sig_function(result.params, ax=fig.add_subplot(grid[0, 1]))
    shared = None
    for row, (func, _, per_synapse) in enumerate(panels, start=1):
        ax = fig.add_subplot(grid[row, :], sharex=shared)
        shared = shared or ax
        kwargs = {"unit": unit, "input": input} if per_synapse else {"unit": unit}
        func(result, ax=ax, **kwargs)
        if row < len(panels):
            ax.set_xlabel("")
    where = f"unit {unit}" + (f", input {input}" if result.n_inputs > 1 else "")
    heading = (
        f"leabra_fast {result.model} model ({result.backend} backend): {result.n_trials} trials × "
        f"{result.n_cycles} cycles; showing {where} ({int(result.spike_count[unit])} spikes)"
        + (
            f" — PARTIAL run, interrupted at cycle {int(result.state.cycle)}"
            if result.partial
            else ""
        )
        + (f"; one cycle in {result.record_every} recorded" if result.record_every > 1 else "")
        + "\ngrey vertical lines: trial boundaries"
        + (f"; not recorded, not shown: {', '.join(skipped)}" if skipped else "")
    )
    fig.suptitle(heading)
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig


_EMERGENT_FIGURES = (
    "plot_conductances", "plot_membrane_potential_eq", "plot_nxx1_function",
    "plot_phase_boundaries", "plot_phase_records",
)  # fmt: skip


def __getattr__(name: str) -> Any:
    # The emergent model's figures, reachable from here too (imported lazily: no cycle).
    if name in _EMERGENT_FIGURES:
        from .emergent import plot as emergent_plot

        return getattr(emergent_plot, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
