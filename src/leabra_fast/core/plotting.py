"""Figures shared by every model, and the model-independent entry points.

Needs matplotlib: ``pip install "leabra-fast[plot]"``.  The public face is
:mod:`leabra_fast.plot`, which adds each registered model's own figures.

The nine trace plots take a :class:`~leabra_fast.SimulationResult` of any model
that recorded the traces they draw and show one unit (``unit=``, a model unit
index that was recorded; default the first recorded unit) and, for synapse traces,
one synapse (``input=``, default 0).
Every function accepts ``ax=`` and returns the Axes; without ``ax`` it makes a
notebook-sized figure (17 x 3 inches) with pyplot.  :func:`plot_xcal_function`,
:func:`plot_sig_function` and :func:`plot_report` draw what the model of their
parameters or result draws (its :class:`ModelFigures`, through the registry).

Trace plots share one time axis: absolute cycle (1 cycle = 1 ms), with light
grey vertical lines at trial boundaries (every ``result.n_cycles`` cycles from
the start of the run), plus whatever the model adds (emergent: quarters and
phases).  Lines carry the notebook's variable names as labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import registry

__all__ = [
    "ModelFigures",
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
    "run_start",
    "trial_boundaries",
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


def _legend(ax: Any) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize="small", frameon=False)



@dataclass(frozen=True)
class ModelFigures:
    """What a model's figures module (``FIGURES``) gives the shared plots.

    ``report(result, path, *, unit, input, th, dpi)``, ``xcal_function(params,
    th, *, srs, ax)`` and ``sig_function(params, *, x, ax)`` draw the model's
    figures; ``threshold_line(result) -> (name, value, what, spiking)`` is the
    line :func:`plot_membrane_potential` draws; ``decorate_time_axis(result, ax)``
    adds model marks to every trace plot's time axis; ``activation_ylabel(result)``
    labels :func:`plot_activation`'s y axis.
    """

    report: Callable[..., Any]
    xcal_function: Callable[..., Any]
    sig_function: Callable[..., Any]
    threshold_line: Callable[[Any], tuple[str, float, str, bool]]
    decorate_time_axis: Callable[[Any, Any], Any] | None = None
    activation_ylabel: Callable[[Any], str] | None = None


def model_figures(model: object) -> ModelFigures | None:
    """The figures of the model named ``model`` (None for an unknown model)."""
    spec = registry.find(model)
    return None if spec is None else spec.figures().FIGURES


def _figures_for_params(params: object) -> ModelFigures:
    spec = registry.get(registry.DEFAULT_MODEL) if params is None else None
    spec = spec or registry.spec_for_params(params)
    if spec is None:
        names = ", ".join(registry.get(n).params_class.__name__ for n in registry.names())
        raise TypeError(f"params must be one of {names}, got {type(params).__name__}")
    return spec.figures().FIGURES


def _figures_for_result(result: Any) -> ModelFigures:
    figs = model_figures(getattr(result, "model", registry.DEFAULT_MODEL))
    if figs is None:
        raise ValueError(f"no figures for model {getattr(result, 'model', None)!r}")
    return figs


# --- function plots and the report: the model's own ---------------------------------


def plot_xcal_function(
    params: Any = None, th: float = 0.5, *, srs: Any = None, ax: Any = None
) -> Any:
    """The XCAL check mark of ``params``'s model (default the seed model's).

    Weight-change direction as a function of ``srs`` at threshold ``th``; see the
    model's function (:func:`leabra_fast.seed.plot.plot_xcal_function_seed`,
    :func:`leabra_fast.emergent.plot.plot_xcal_function_emergent`).  Returns the Axes;
    ``ax.lines[0]`` is the curve.
    """
    return _figures_for_params(params).xcal_function(params, th, srs=srs, ax=ax)


def plot_sig_function(params: Any = None, *, x: Any = None, ax: Any = None) -> Any:
    """Weight contrast enhancement (SIG) of ``params``'s model (default the seed model's).

    See :func:`leabra_fast.seed.plot.plot_sig_function_seed` (SIG against the
    logistic, the notebook's "Squashing Function") and
    :func:`leabra_fast.emergent.plot.plot_sig_function_emergent`.
    """
    return _figures_for_params(params).sig_function(params, x=x, ax=ax)


def plot_report(result: Any, path: str | Path | None = None, **options: Any) -> Any:
    """All figures of ``result``'s model in one figure, written to ``path`` (.png or .pdf) if given.

    ``options`` (every model's report takes them): ``unit`` (default the first
    recorded unit) and ``input`` (default 0) of the trace panels, ``th`` (0.5) of
    the XCAL function plot, ``dpi`` (100).  The seed model's report is the
    notebook's figures stacked (:func:`leabra_fast.seed.plot.plot_report_seed`); the
    emergent model's adds its
    own (:func:`leabra_fast.emergent.plot.plot_report_emergent`).  Panels whose
    traces were not recorded are left out and listed in the heading.  Returns the
    :class:`matplotlib.figure.Figure` (made without pyplot, so it works on
    headless machines and does not stay open).
    """
    _require_matplotlib()
    return _figures_for_result(result).report(result, path, **options)


def check_report_path(path: str | Path | None) -> Path | None:
    """``path`` as a Path, or ValueError unless it names a .png or .pdf file."""
    if path is None:
        return None
    path = Path(path)
    if path.suffix.lower() not in (".png", ".pdf"):
        raise ValueError(f"plot_report writes .png or .pdf files, got {path.name!r}")
    return path


def report_unit(result: Any, unit: int | None, who: str = "the report") -> int:
    """The unit a figure shows: ``unit``, or the first recorded; checked before any drawing."""
    if unit is None:
        if not len(result.units):
            raise ValueError(f"nothing was recorded: {who} needs recorded traces")
        unit = int(result.units[0])
    _column(result, unit)  # a clear error before any drawing
    return unit


# --- trace plots ---------------------------------------------------------------


def _column(result: Any, unit: int) -> int:
    units = np.asarray(result.units)
    if isinstance(unit, bool) or not isinstance(unit, int | np.integer):
        raise TypeError(f"unit must be an int (a model unit index), got {type(unit).__name__}")
    hits = np.flatnonzero(units == unit)
    if hits.size == 0:
        shown = units[:20].tolist()
        more = f" ... ({units.size} units)" if units.size > 20 else ""
        raise ValueError(
            f"unit {unit} was not recorded; recorded units: {shown}{more} "
            "(the default, unit=None, is the first recorded unit)"
        )
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
    figs = model_figures(getattr(result, "model", registry.DEFAULT_MODEL))
    if figs is not None and figs.decorate_time_axis is not None:  # e.g. quarters, phases
        figs.decorate_time_axis(result, ax)
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
    unit: int | None,
    input: int | None,
    ax: Any,
    title: str,
    ylabel: str,
    who: str,
) -> Any:
    # Fetch every trace first: a missing one raises before anything is drawn.
    unit = report_unit(result, unit, who)
    data = [(name, _series(result, name, unit, input or 0, who), style) for name, style in lines]
    ax = _axes(ax)
    x = np.asarray(result.cycles)
    for name, y, style in data:
        ax.plot(x, y, label=style.pop("label", name), **style)
    _time_axis(ax, result)
    ax.set_ylabel(ylabel)
    ax.set_title(title + _where(result, unit, input))
    return ax


def plot_net_input(result: Any, *, unit: int | None = None, ax: Any = None) -> Any:
    """Net input ``net`` (red, wide) with the raw net input ``net_raw`` (blue, dashed) it follows.

    ``net`` follows ``net_raw`` within a few cycles (rate ``dt_net_dt`` = 1/1.4),
    so the two overlap except at input steps: ``net_raw`` is dashed on top, so
    both stay visible where they coincide (red between blue dashes).
    ``unit``: default the first recorded unit.
    """
    ax = _trace_plot(
        result,
        [("net", {"color": "r", "lw": 2.5}), ("net_raw", {"color": "b", "lw": 1, "ls": "--"})],
        unit=unit, input=None, ax=ax, title="Net input",
        ylabel="conductance\n(normalised)", who="plot_net_input",
    )  # fmt: skip
    _legend(ax)
    return ax


def plot_membrane_potential(result: Any, *, unit: int | None = None, ax: Any = None) -> Any:
    """Membrane potential ``v_m`` with the spike threshold ``spk_thr`` (dashed).

    ``v_m`` is recorded after the reset, so it never shows the crossing
    itself; when ``spike`` (else ``act``) was recorded, spikes are marked as
    ticks on the threshold line.  For emergent results the line is the
    model's threshold: in spiking mode the spike threshold (``spk_thr`` with
    the AdEx term ``ex``, else ``thr``), in rate code the firing threshold ``thr``.
    """
    unit = report_unit(result, unit, "plot_membrane_potential")
    ax = _trace_plot(
        result, [("v_m", {"color": "b"})], unit=unit, input=None, ax=ax,
        title="Membrane potential", ylabel="membrane potential\n(normalised)",
        who="plot_membrane_potential",
    )  # fmt: skip
    name, thr, what, spiking = _figures_for_result(result).threshold_line(result)
    ax.axhline(thr, color="r", ls="--", lw=1, label=f"{what} {name} = {thr:g}")
    source = "spike" if "spike" in result.traces else "act"
    if spiking and source in result.traces:
        act = _series(result, source, unit, 0, "plot_membrane_potential")
        at = np.asarray(result.cycles)[act > 0]
        label = "spikes" if result.record_every == 1 else "spikes (recorded cycles only)"
        ax.plot(at, np.full(at.shape, thr), ls="none", marker="|", ms=8, color="r", label=label)
    if spiking:
        _reset_note(ax, name)
    _legend(ax)
    return ax


def _reset_note(ax: Any, name: str) -> None:
    """Say on the figure why v_m stops short of the spike line (it is recorded after the reset)."""
    note = f"note: v_m is recorded after the reset,\nso it never reaches {name}"
    ax.plot([], [], ls="none", label=note)


def plot_adaptation(result: Any, *, unit: int | None = None, ax: Any = None) -> Any:
    """Adaptation current ``adapt`` (the notebook's "Adapt Factor")."""
    ax = _trace_plot(
        result, [("adapt", {"color": "C0"})], unit=unit, input=None, ax=ax,
        title="Adaptation current", ylabel="adaptation current\n(normalised)",
        who="plot_adaptation",
    )  # fmt: skip
    _legend(ax)
    return ax


def plot_activation(result: Any, *, unit: int | None = None, ax: Any = None) -> Any:
    """Activation ``act`` and non-depressed activation ``act_nd`` (equal in the seed: spikes)."""
    ax = _trace_plot(
        result,
        [("act", {"color": "C0", "lw": 1}), ("act_nd", {"color": "C1", "ls": "--", "lw": 1})],
        unit=unit, input=None, ax=ax, title="Receiving unit activation",
        ylabel="activation\n(1 = spike)", who="plot_activation",
    )  # fmt: skip
    figs = model_figures(getattr(result, "model", registry.DEFAULT_MODEL))
    if figs is not None and figs.activation_ylabel is not None:  # e.g. act_nd is a rate
        ax.set_ylabel(figs.activation_ylabel(result))
    _legend(ax)
    return ax


def plot_running_averages(result: Any, *, unit: int | None = None, ax: Any = None) -> Any:
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


def plot_weights(result: Any, *, unit: int | None = None, input: int = 0, ax: Any = None) -> Any:
    """Synaptic strength: ``wt`` (green) and ``fwt`` (red), and ``dwt`` (blue) on its own axis.

    ``dwt`` is orders of magnitude smaller than the weights, so it has the right
    y axis (``ax.dwt_axis``, a twin of ``ax``, labelled in blue); the legend lists
    all three.  ``unit``: default the first recorded unit.
    """
    unit = report_unit(result, unit, "plot_weights")
    dwt = _series(result, "dwt", unit, input, "plot_weights")
    ax = _trace_plot(
        result, [("wt", {"color": "g"}), ("fwt", {"color": "r"})],
        unit=unit, input=input, ax=ax, title="Synaptic strength over time",
        ylabel="weight (wt, fwt)", who="plot_weights",
    )  # fmt: skip
    right = ax.twinx()
    right.set_label("dwt_axis")
    right.plot(result.cycles, dwt, color="b", lw=1, label="dwt")
    right.set_ylabel("dwt", color="b")
    right.tick_params(axis="y", colors="b")
    ax.set_zorder(right.get_zorder() + 1)  # the weights over dwt; the left axis stays on top
    ax.patch.set_visible(False)
    ax.dwt_axis = right
    handles, labels = ax.get_legend_handles_labels()
    extra_h, extra_l = right.get_legend_handles_labels()
    # Beside the right axis' ticks and label: a fixed 0.85 inch right of the axes, any width.
    from matplotlib.transforms import ScaledTranslation

    beside = ax.transAxes + ScaledTranslation(0.85, 0, ax.figure.dpi_scale_trans)
    ax.legend(
        handles + extra_h, labels + extra_l, loc="upper left", bbox_to_anchor=(0.0, 1.0),
        bbox_transform=beside, fontsize="small", frameon=False,
    )  # fmt: skip
    return ax


def plot_coproducts(result: Any, *, unit: int | None = None, input: int = 0, ax: Any = None) -> Any:
    """Sender-receiver co-products ``srm`` (medium term, the threshold) and ``srs`` (short)."""
    ax = _trace_plot(
        result, [("srm", {"color": "C0"}), ("srs", {"color": "C1"})],
        unit=unit, input=input, ax=ax, title="Short- and medium-term sender-receiver co-products",
        ylabel="co-product\n(activation²)", who="plot_coproducts",
    )  # fmt: skip
    _legend(ax)
    return ax


def plot_xcal_trace(result: Any, *, unit: int | None = None, input: int = 0, ax: Any = None) -> Any:
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


def plot_dwt(result: Any, *, unit: int | None = None, input: int = 0, ax: Any = None) -> Any:
    """Weight change ``dwt`` of each cycle, with the zero line."""
    ax = _trace_plot(
        result, [("dwt", {"color": "C0"})], unit=unit, input=input, ax=ax,
        title="Weight change from sending to receiving unit", ylabel="dwt\n(weight change)",
        who="plot_dwt",
    )  # fmt: skip
    ax.axhline(0.0, color="black", lw=2, label="_zero", zorder=1)
    _legend(ax)
    return ax
