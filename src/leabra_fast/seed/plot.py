"""The seed notebook's own figures: its XCAL and SIG function plots and its report.

Needs matplotlib: ``pip install "leabra-fast[plot]"``.  The trace plots the report
stacks are the shared ones (:mod:`leabra_fast.core.plotting`); everything here is
also reachable from :mod:`leabra_fast.plot`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..core.plotting import (
    ModelFigures,
    _axes,
    _legend,
    _require_matplotlib,
    check_report_path,
    plot_activation,
    plot_adaptation,
    plot_coproducts,
    plot_dwt,
    plot_membrane_potential,
    plot_net_input,
    plot_running_averages,
    plot_weights,
    plot_xcal_trace,
    report_unit,
)
from .params import SeedParams, derived_constants
from .reference import sig, xcal

__all__ = [
    "REPORT_PANELS",
    "plot_report_seed",
    "plot_sig_function_seed",
    "plot_xcal_function_seed",
    "sig_curve",
]


def _params(params: SeedParams | None) -> SeedParams:
    params = SeedParams() if params is None else params
    if not isinstance(params, SeedParams):
        raise TypeError(f"params must be a SeedParams, got {type(params).__name__}")
    return params


# --- the two function plots -----------------------------------------------------


def plot_xcal_function_seed(
    params: SeedParams | None = None,
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

    Returns the Axes; ``ax.lines[0]`` is the curve.
    """
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


def plot_sig_function_seed(
    params: SeedParams | None = None, *, x: Any = None, ax: Any = None
) -> Any:
    """Weight contrast enhancement: SIG against the logistic (the notebook's "Squashing Function").

    ``x`` from -3 to 3 in steps of .01 by default.  SIG is drawn only where it
    is defined (``-sig_eps < x <= 1``).  ``ax.lines[0]`` is the logistic,
    ``ax.lines[1]`` SIG (red, as in the notebook).
    """
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
    ax.legend(loc="upper left", fontsize="small")  # inside the image: the upper left is empty
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


def plot_report_seed(
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
    works on headless machines and does not stay open).
    """
    _require_matplotlib()
    from matplotlib.figure import Figure

    path = check_report_path(path)
    unit = report_unit(result, unit)
    panels = [p for p in REPORT_PANELS if all(n in result.traces for n in p[1])]
    skipped = [p[0].__name__ for p in REPORT_PANELS if p not in panels]

    fig = Figure(figsize=(14, 3.6 + 2.3 * len(panels)), layout="constrained", dpi=dpi)
    grid = fig.add_gridspec(1 + len(panels), 2, height_ratios=[1.5] + [1] * len(panels))
    plot_xcal_function_seed(result.params, th, ax=fig.add_subplot(grid[0, 0]))
    plot_sig_function_seed(result.params, ax=fig.add_subplot(grid[0, 1]))
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


def _threshold_line(result: Any) -> tuple[str, float, str, bool]:
    return "spk_thr", result.params.spk_thr, "spike threshold", True


#: The hooks of the shared plots (see :class:`~leabra_fast.core.plotting.ModelFigures`).
FIGURES = ModelFigures(
    report=plot_report_seed,
    xcal_function=plot_xcal_function_seed,
    sig_function=plot_sig_function_seed,
    threshold_line=_threshold_line,
)
