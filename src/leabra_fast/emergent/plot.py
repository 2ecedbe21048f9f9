"""Figures of the canonical emergent model, in the style of :mod:`leabra_fast.plot`.

Needs matplotlib: ``pip install "leabra-fast[plot]"``.

The trace plots of :mod:`leabra_fast.plot` work for emergent results too (the
shared trace names mean the same thing); this module adds what only this model
has:

* :func:`plot_nxx1_function`: the rate-code activation function, act against
  the excitatory conductance g_e (closed form and lookup table), with the
  analytic threshold ``g_e_thr`` marked;
* :func:`plot_membrane_potential_eq`: ``v_m`` with the rate-code equilibrium
  potential ``v_m_eq``, the firing threshold ``thr`` and the spike threshold;
* :func:`plot_conductances`: ``g_e``, ``g_i``, KNa's ``g_k``, the leak, and the
  threshold conductance ``g_e_thr`` over time;
* :func:`plot_phase_records`: emergent's per-trial records ``act_q``, ``act_m``,
  ``act_p``, ``act_dif`` (``result.extra``) at the cycles they were taken;
* :func:`plot_phase_boundaries`: quarter and minus/plus-phase boundaries on a
  time axis (every trace plot of an emergent result draws them);
* emergent's XCAL and weight sigmoid (:func:`plot_xcal_function_emergent`,
  :func:`plot_sig_function_emergent`; :func:`leabra_fast.plot.plot_xcal_function`
  and :func:`~leabra_fast.plot.plot_sig_function` call them for EmergentParams);
* :func:`plot_report_emergent`, which :func:`leabra_fast.plot.plot_report` uses
  for emergent results.

The shared plots reach this module's hooks through :data:`FIGURES`.

Every function accepts ``ax=`` and returns the Axes (the report returns the Figure).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..core import plotting as _plot
from .params import EmergentParams, derived_constants
from .reference import ge_thr, noisy_xx1, nxx1_lookup, sig, xcal, xx1
from .simulation import build_table

__all__ = [
    "EMERGENT_REPORT_PANELS",
    "nxx1_curves",
    "phase_boundaries",
    "plot_conductances",
    "plot_membrane_potential_eq",
    "plot_nxx1_function",
    "plot_phase_boundaries",
    "plot_phase_records",
    "plot_report_emergent",
    "plot_sig_function_emergent",
    "plot_xcal_function_emergent",
    "spike_threshold",
]

#: Quarter lines are left out beyond this many (about 30 trials), phase lines beyond
#: :data:`leabra_fast.plot.MAX_TRIAL_LINES`: more would hide the traces.
MAX_QUARTER_LINES = 60
QUARTER_STYLE = {"colors": "0.55", "ls": ":", "lw": 0.8}
PHASE_STYLE = {"colors": "C1", "ls": "--", "lw": 1.0}


def _eparams(params: EmergentParams | None) -> EmergentParams:
    params = EmergentParams() if params is None else params
    if not isinstance(params, EmergentParams):
        raise TypeError(f"params must be an EmergentParams, got {type(params).__name__}")
    return params


def _is_emergent(result: Any) -> bool:
    return getattr(result, "model", "seed") == "emergent"


def _require_emergent(result: Any, who: str) -> EmergentParams:
    if not _is_emergent(result) or not isinstance(result.params, EmergentParams):
        raise ValueError(
            f"{who} needs a result of the emergent model (simulate(..., model='emergent')), "
            f"got model {getattr(result, 'model', '?')!r}"
        )
    return result.params


def spike_threshold(params: EmergentParams) -> tuple[str, float]:
    """Name and value of the v_m spike threshold: ``spk_thr`` with the AdEx term, else ``thr``."""
    p = _eparams(params)
    return ("spk_thr", p.spk_thr) if p.ex else ("thr", p.thr)


# --- function plots ----------------------------------------------------------------


def plot_xcal_function_emergent(
    params: EmergentParams | None = None, th: float = 0.5, *, srs: Any = None, ax: Any = None
) -> Any:
    """emergent's XCAL check mark: weight-change direction against ``srs`` at threshold ``th``.

    Zero below ``d_thr``; ``-srs (1 - d_rev)/d_rev`` up to ``th * d_rev``;
    ``srs - th`` above.  ``th`` stands for srm (error-driven term) or avg_l (BCM
    term).  ``ax.lines[0]`` is the curve.
    """
    p = _eparams(params)
    if not np.isfinite(th):
        raise ValueError(f"th must be a finite number, got {th!r}")
    x = np.arange(0, 1, 0.0001) if srs is None else np.asarray(srs, dtype=np.float64)
    y = xcal(x, np.float64(th), derived_constants(p, 1))
    ax = _plot._axes(ax, (8, 4))
    ax.plot(x, y, color="C0", label=f"XCAL(srs, th = {th:g})")
    ax.axhline(0.0, color="0.4", lw=0.8, label="_zero")
    ax.axvline(th, color="C3", ls=":", lw=1, label=f"th = {th:g}")
    ax.axvline(th * p.d_rev, color="C2", ls=":", lw=1, label=f"th·d_rev = {th * p.d_rev:g}")
    ax.set_xlabel("srs (short-term sender-receiver co-product)")
    ax.set_ylabel("XCAL (weight-change direction)")
    ax.set_title(f"XCAL check mark (emergent, d_thr = {p.d_thr:g}, d_rev = {p.d_rev:g})")
    _plot._legend(ax)
    return ax


def plot_sig_function_emergent(
    params: EmergentParams | None = None, *, x: Any = None, ax: Any = None
) -> Any:
    """Weight contrast enhancement: effective weight ``wt = SIG(fwt)`` against the linear weight.

    ``SIG(w) = 1 / (1 + (off (1 - w) / w) ** gain)`` (gain ``wt_sig_gain`` 6,
    offset ``wt_sig_off`` 1), exactly 0 at ``w <= 0`` and 1 at ``w >= 1``; the
    seed form with ``quirk_sig_seed``.  ``x`` from 0 to 1 in steps of .001 by
    default.  ``ax.lines[0]`` is SIG, ``ax.lines[1]`` the identity (no contrast
    enhancement).
    """
    p = _eparams(params)
    x = np.linspace(0.0, 1.0, 1001) if x is None else np.asarray(x, dtype=np.float64)
    y = sig(x, derived_constants(p, 1))
    ax = _plot._axes(ax, (8, 4))
    form = " (seed form)" if p.quirk_sig_seed else ""
    ax.plot(
        x, y, color="r",
        label=f"wt = SIG(fwt){form}: gain {p.wt_sig_gain:g}, off {p.wt_sig_off:g}",
    )  # fmt: skip
    ax.plot(x, x, color="0.5", ls="--", lw=1, label="wt = fwt (linear weight)")
    ax.set_xlabel("fwt (linear weight, emergent's lwt)")
    ax.set_ylabel("wt (effective weight)")
    ax.set_title("Weight contrast enhancement (emergent)")
    ax.legend(loc="upper left", fontsize="small")  # inside: the upper left is empty
    return ax


def nxx1_curves(
    params: EmergentParams | None, g_e: Any, *, g_i: float = 0.0, adapt: float = 0.0,
    g_k: float = 0.0,
) -> dict[str, Any]:  # fmt: skip
    """The rate-code activation at conductance ``g_e``: ``NXX1(g_e - g_e_thr)``, both NXX1 forms.

    Returns ``{"g_e_thr": float, "closed": array, "table": array, "xx1": array}``:
    the threshold conductance (equilibrium v_m exactly at ``thr``, given
    ``g_i``, ``adapt`` and ``g_k``), the closed-form noisy XX1, the lookup
    table of XX1 convolved with a Gaussian, and XX1 without noise.  These are
    the steady-state act of a rate-code unit above threshold (below it, and
    while act < vm_act_thr, the model drives act from ``v_m_eq - thr``).
    """
    p = _eparams(params)
    g_e = np.asarray(g_e, dtype=np.float64)
    c = derived_constants(p, 1)
    thr_g = float(ge_thr(g_i, adapt, c, g_k))
    drive = g_e - thr_g
    table, x0, res = build_table(p.replace(nxx1="table"))
    return {
        "g_e_thr": thr_g,
        "closed": noisy_xx1(drive, c),
        "table": nxx1_lookup(drive, table, x0, res, p.gain),
        "xx1": np.where(drive > 0.0, xx1(p.gain * np.maximum(drive, 0.0)), 0.0),
    }


def plot_nxx1_function(
    params: EmergentParams | None = None,
    *,
    g_e: Any = None,
    g_i: float = 0.0,
    adapt: float = 0.0,
    g_k: float = 0.0,
    ax: Any = None,
) -> Any:
    """The rate-code activation function: act against the excitatory conductance ``g_e``.

    Draws the closed-form noisy XX1 (C++ emergent 8, Go) and the lookup table
    (emergent <= 7) at ``g_e - g_e_thr``, plain XX1 (no noise) for reference,
    and the analytic threshold ``g_e_thr`` (dotted red) at which the
    equilibrium potential is exactly ``thr``.  The form the parameters use
    (``nxx1``) is solid, the other dashed.  ``g_e`` defaults to 0 ..
    ``max(2 g_e_thr, g_e_thr + 10/gain)``.  Line labels start with
    ``"NXX1 closed form"``, ``"NXX1 lookup table"``, ``"XX1"`` and ``"g_e_thr"``.
    """
    p = _eparams(params)
    if g_e is None:
        thr_g = nxx1_curves(p, 0.0, g_i=g_i, adapt=adapt, g_k=g_k)["g_e_thr"]
        top = max(2.0 * thr_g, thr_g + 10.0 / p.gain)
        g_e = np.linspace(0.0, top, 2001)
    g_e = np.asarray(g_e, dtype=np.float64)
    curves = nxx1_curves(p, g_e, g_i=g_i, adapt=adapt, g_k=g_k)
    ax = _plot._axes(ax, (8, 4))
    used = {"closed": "-", "table": "-"}
    used["table" if p.nxx1 == "closed" else "closed"] = "--"
    tag = {k: " (used)" if used[k] == "-" else "" for k in used}
    ax.plot(g_e, curves["xx1"], color="0.6", lw=1, label=f"XX1, no noise (gain {p.gain:g})")
    ax.plot(
        g_e, curves["closed"], color="C0", ls=used["closed"],
        label=f"NXX1 closed form{tag['closed']}",
    )  # fmt: skip
    ax.plot(
        g_e, curves["table"], color="C1", ls=used["table"],
        label=f"NXX1 lookup table{tag['table']}",
    )  # fmt: skip
    thr_g = curves["g_e_thr"]
    ax.axvline(thr_g, color="r", ls=":", lw=1, label=f"g_e_thr = {thr_g:.4g}")
    ax.set_xlabel("g_e (excitatory conductance, normalised)")
    ax.set_ylabel("act (steady-state rate)")
    extras = ", ".join(
        f"{n} = {v:g}" for n, v in (("g_i", g_i), ("adapt", adapt), ("g_k", g_k)) if v
    )
    ax.set_title(
        f"NXX1 activation function (nvar {p.nvar:g}, thr {p.thr:g}"
        + (f", {extras}" if extras else "")
        + ")"
    )
    ax.set_xlim(g_e[0], g_e[-1]) if g_e.size > 1 else None
    _plot._legend(ax)
    return ax


# --- phases ----------------------------------------------------------------------------


def phase_boundaries(result: Any) -> tuple[np.ndarray, np.ndarray]:
    """Absolute cycles where a quarter starts (not at a trial start, not the phase switch)
    and where the plus phase starts, within the recorded span."""
    p = _require_emergent(result, "phase_boundaries")
    if not len(result.cycles):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    start = _plot.run_start(result)
    trials = start + result.n_cycles * np.arange(result.n_trials, dtype=np.int64)
    q = np.arange(1, p.n_quarters, dtype=np.int64)
    plus = q == p.minus_quarters
    offsets_q, offsets_p = q[~plus] * p.cyc_per_qtr, q[plus] * p.cyc_per_qtr

    def within(offsets: np.ndarray) -> np.ndarray:
        edges = (trials[:, None] + offsets[None, :]).ravel()
        return edges[(edges >= result.cycles[0]) & (edges <= result.cycles[-1])]

    return within(offsets_q), within(offsets_p)


def plot_phase_boundaries(result: Any, *, ax: Any = None) -> Any:
    """Mark quarter boundaries (grey dotted) and the minus → plus switch (orange dashed).

    Drawn on ``ax`` (a time axis in absolute cycles); every trace plot of an
    emergent result calls this.  The collections have gids
    ``"quarter_boundaries"`` and ``"phase_boundaries"``.  Quarter lines are not
    drawn when there would be more than :data:`MAX_QUARTER_LINES`, phase lines
    more than :data:`leabra_fast.plot.MAX_TRIAL_LINES`.
    """
    quarters, phases = phase_boundaries(result)
    ax = _plot._axes(ax)
    for edges, style, gid, most in (
        (quarters, QUARTER_STYLE, "quarter_boundaries", MAX_QUARTER_LINES),
        (phases, PHASE_STYLE, "phase_boundaries", _plot.MAX_TRIAL_LINES),
    ):
        if 0 < edges.size <= most:
            ax.vlines(
                edges, 0, 1, transform=ax.get_xaxis_transform(), zorder=0,
                label=f"_{gid}", gid=gid, **style,
            )  # fmt: skip
    return ax


def phase_record_cycles(result: Any) -> np.ndarray:
    """Absolute cycle at which each ``act_q[trial, q]`` was taken (the quarter's last cycle)."""
    p = _require_emergent(result, "phase_record_cycles")
    start = _plot.run_start(result) if len(result.cycles) else int(result.state.cycle)
    trials = np.arange(result.extra["act_q"].shape[0], dtype=np.int64)[:, None]
    q = np.arange(p.n_quarters, dtype=np.int64)[None, :]
    return start + trials * result.n_cycles + (q + 1) * p.cyc_per_qtr - 1


def plot_phase_records(result: Any, *, unit: int | None = None, ax: Any = None) -> Any:
    """emergent's per-trial records from act_nd: ``act_q``, ``act_m``, ``act_p``, ``act_dif``.

    Each is drawn at the cycle it was taken (the last cycle of a quarter or
    phase), over ``act_nd`` (thin grey) when recorded: dots for ActQ1..ActQ4,
    a down triangle for act_m (end of the minus phase), an up triangle for
    act_p (end of the plus phase), and a vertical bar from act_m to act_p for
    act_dif.  Records of quarters a partial run did not finish are left out.
    """
    p = _require_emergent(result, "plot_phase_records")
    if "act_q" not in result.extra:
        raise ValueError("plot_phase_records needs result.extra['act_q'] (emergent phase records)")
    unit = _plot.report_unit(result, unit, "plot_phase_records")
    col = _plot._column(result, unit)
    has_nd = "act_nd" in result.traces
    at = phase_record_cycles(result)
    act_q = np.asarray(result.extra["act_q"])[:, :, col]
    done = at < int(result.state.cycle)
    ax = _plot._axes(ax)
    if has_nd:
        ax.plot(result.cycles, result.traces["act_nd"][:, col], color="0.7", lw=1, label="act_nd")
    edge = {"clip_on": False, "zorder": 3}  # the plus-phase end is the last cycle: keep it whole
    ax.plot(
        at[done], act_q[done], ls="none", marker="o", ms=4, color="C0", **edge,
        label="act_q (act_nd at each quarter's end)",
    )  # fmt: skip
    m_at = p.minus_quarters - 1
    full = done[:, -1]  # trials whose plus phase finished
    if "act_m" in result.extra:
        ok = done[:, m_at]
        ax.plot(
            at[ok, m_at], np.asarray(result.extra["act_m"])[ok, col], ls="none", marker="v",
            ms=8, color="C3", label="act_m (minus-phase end)", **edge,
        )  # fmt: skip
    if "act_p" in result.extra:
        ax.plot(
            at[full, -1], np.asarray(result.extra["act_p"])[full, col], ls="none", marker="^",
            ms=8, color="C2", label="act_p (plus-phase end)", **edge,
        )  # fmt: skip
    if "act_dif" in result.extra and full.any():
        am = np.asarray(result.extra["act_m"])[full, col]
        ap = np.asarray(result.extra["act_p"])[full, col]
        ax.vlines(
            at[full, -1], am, ap, colors="C2", lw=2, label="act_dif = act_p - act_m",
            gid="act_dif", **edge,
        )  # fmt: skip
    _plot._time_axis(ax, result)
    # Records sit at the data's top (and on the last cycle, drawn whole by clip_on=False):
    # room above and below so no marker is cut by the axes' edge.
    ax.margins(y=0.12)
    ax.autoscale_view(scalex=False)
    ax.set_ylabel("activation\n(act_nd)")
    ax.set_title("Phase records (result.extra)" + _plot._where(result, unit, None))
    _plot._legend(ax)
    return ax


# --- trace plots --------------------------------------------------------------------


def plot_membrane_potential_eq(result: Any, *, unit: int | None = None, ax: Any = None) -> Any:
    """Membrane potential ``v_m`` (blue) and its rate-code equilibrium ``v_m_eq`` (orange).

    ``v_m_eq`` integrates the same currents without spikes or resets; rate-code
    act follows it below threshold.  Dotted grey: the firing threshold ``thr``;
    dashed red (spiking, or rate code with spike bookkeeping): the spike
    threshold on v_m (``spk_thr`` with the AdEx term ``ex``, else ``thr``), with
    the ``spike`` trace's spikes as ticks on it.
    """
    p = _require_emergent(result, "plot_membrane_potential_eq")
    unit = _plot.report_unit(result, unit, "plot_membrane_potential_eq")
    ax = _plot._trace_plot(
        result,
        [("v_m", {"color": "b", "lw": 1.5}), ("v_m_eq", {"color": "C1", "ls": "--", "lw": 1.5})],
        unit=unit, input=None, ax=ax, title="Membrane potential and its equilibrium v_m_eq",
        ylabel="membrane potential\n(normalised)", who="plot_membrane_potential_eq",
    )  # fmt: skip
    spiking = p.act_fun == "spike" or p.rate_spikes
    name, value = spike_threshold(p)
    what = "firing and spike threshold" if spiking and name == "thr" else "firing threshold"
    ax.axhline(p.thr, color="0.4", ls=":", lw=1, label=f"{what} thr = {p.thr:g}")
    if spiking and name != "thr":
        ax.axhline(value, color="r", ls="--", lw=1, label=f"spike threshold {name} = {value:g}")
    if spiking and "spike" in result.traces:
        spikes = _plot._series(result, "spike", unit, 0, "plot_membrane_potential_eq")
        at = np.asarray(result.cycles)[spikes > 0]
        label = "spikes" if result.record_every == 1 else "spikes (recorded cycles only)"
        ax.plot(at, np.full(at.shape, value), ls="none", marker="|", ms=8, color="r", label=label)
    if p.act_fun == "spike":  # rate code does not reset v_m
        _plot._reset_note(ax, name)
    _plot._legend(ax)
    return ax


def plot_conductances(result: Any, *, unit: int | None = None, ax: Any = None) -> Any:
    """Conductances: ``g_e`` (red), ``g_i`` (blue), KNa's ``g_k`` (green), the leak ``g_bar_l``.

    ``g_e`` is required (else ``net``, scaled by ``g_bar_e``); ``g_i`` and
    ``g_k`` are drawn when recorded (``g_k`` only with KNa on).  Dashed red:
    ``g_e_thr``, the g_e at which the equilibrium potential is ``thr`` given
    this cycle's g_i, adapt and g_k (drawn when those traces are recorded):
    rate-code act rises where g_e exceeds it.
    """
    p = _require_emergent(result, "plot_conductances")
    who = "plot_conductances"
    unit = _plot.report_unit(result, unit, who)
    if "g_e" in result.traces or "net" not in result.traces:
        lines = [("g_e", {"color": "r", "lw": 1.5})]
    else:
        lines = [("net", {"color": "r", "lw": 1.5, "label": f"g_e = {p.g_bar_e:g} · net"})]
    ax = _plot._trace_plot(
        result, lines, unit=unit, input=None, ax=ax, title="Conductances",
        ylabel="conductance\n(normalised)", who=who,
    )  # fmt: skip
    if lines[0][0] == "net":
        ax.lines[-1].set_ydata(p.g_bar_e * ax.lines[-1].get_ydata())
    x = np.asarray(result.cycles)
    have = {n: _plot._series(result, n, unit, 0, who) for n in ("g_i", "g_k", "adapt")
            if n in result.traces}  # fmt: skip
    if "g_i" in have:
        ax.plot(x, have["g_i"], color="b", lw=1, label="g_i")
    if p.kna_on and "g_k" in have:
        ax.plot(x, have["g_k"], color="g", lw=1, label="g_k (KNa)")
    ax.axhline(p.g_bar_l, color="0.5", ls=":", lw=1, label=f"leak g_bar_l = {p.g_bar_l:g}")
    need = ["g_i"] + (["adapt"] if p.adapt_on else []) + (["g_k"] if p.kna_on else [])
    if all(n in have for n in need):
        c = derived_constants(p, 1)
        thr_g = ge_thr(have["g_i"], have.get("adapt", 0.0), c, have.get("g_k", 0.0))
        ax.plot(x, np.broadcast_to(thr_g, x.shape), color="r", ls="--", lw=1, label="g_e_thr")
    _plot._legend(ax)
    return ax


# --- report ------------------------------------------------------------------------------

#: The trace panels of the emergent report: (function, traces it needs, per synapse).
EMERGENT_REPORT_PANELS: tuple[tuple[Any, tuple[str, ...], bool], ...] = (
    (_plot.plot_net_input, ("net", "net_raw"), False),
    (plot_conductances, ("g_e",), False),
    (plot_membrane_potential_eq, ("v_m", "v_m_eq"), False),
    (_plot.plot_adaptation, ("adapt",), False),
    (_plot.plot_activation, ("act", "act_nd"), False),
    (plot_phase_records, (), False),
    (_plot.plot_running_averages, ("avg_ss", "avg_s", "avg_m", "avg_l"), False),
    (_plot.plot_weights, ("dwt", "wt", "fwt"), True),
    (_plot.plot_coproducts, ("srm", "srs"), True),
    (_plot.plot_xcal_trace, ("avg_l", "srs", "XCAL"), True),
    (_plot.plot_dwt, ("dwt",), True),
)


def _no_synaptic_input(result: Any) -> bool:
    x = result.schedules.get("inputs") if result.schedules else None
    return x is not None and not np.any(np.asarray(x))


def plot_report_emergent(
    result: Any,
    path: str | Path | None = None,
    *,
    unit: int | None = None,
    input: int = 0,
    th: float = 0.5,
    dpi: int = 100,
) -> Any:
    """All figures of an emergent result in one figure, written to ``path`` (.png or .pdf) if given.

    Top row: the NXX1 activation function (its g_e axis covering the unit's
    recorded g_e), XCAL and the weight sigmoid.  Then the trace panels of
    :data:`EMERGENT_REPORT_PANELS` for ``unit``/``input``, leaving out (and
    naming in the heading) those whose traces were not recorded, the
    adaptation panel when adaptation is off, and the synapse panels when the
    run had no synaptic input (``inputs`` all zero: weights cannot change).
    Returns the :class:`matplotlib.figure.Figure` (made without pyplot).
    """
    _plot._require_matplotlib()
    from matplotlib.figure import Figure

    p = _require_emergent(result, "plot_report_emergent")
    path = _plot.check_report_path(path)
    unit = _plot.report_unit(result, unit)

    notes = []
    panels = []
    missing = []
    no_syn = _no_synaptic_input(result)
    for entry in EMERGENT_REPORT_PANELS:
        func, names, per_synapse = entry
        if per_synapse and no_syn:
            continue
        if func is _plot.plot_adaptation and not p.adapt_on:
            continue
        if all(n in result.traces for n in names):
            panels.append(entry)
        else:
            missing.append(func.__name__)
    if no_syn:
        notes.append("no synaptic input (inputs all 0): synapse panels left out")
    if not p.adapt_on:
        notes.append("adaptation current off: its panel left out")
    if missing:
        notes.append(f"not recorded, not shown: {', '.join(missing)}")

    fig = Figure(figsize=(15, 4.2 + 2.3 * len(panels)), layout="constrained", dpi=dpi)
    grid = fig.add_gridspec(1 + len(panels), 3, height_ratios=[1.6] + [1] * len(panels))
    thr_g = nxx1_curves(p, 0.0)["g_e_thr"]
    top = max(2.0 * thr_g, thr_g + 10.0 / p.gain)
    g_max = np.nan  # where this unit sits on the activation function
    if "g_e" in result.traces and len(result.cycles):
        g_max = float(np.nanmax(_plot._series(result, "g_e", unit, 0, "plot_report")))
        top = max(top, 1.1 * g_max) if np.isfinite(g_max) else top
    ax_n = plot_nxx1_function(p, g_e=np.linspace(0.0, top, 2001), ax=fig.add_subplot(grid[0, 0]))
    if np.isfinite(g_max):
        label = f"max g_e of unit {unit} = {g_max:.3g}"
        ax_n.axvline(g_max, color="C2", ls="-.", lw=1, label=label)
    ax_n.set_title(
        "NXX1 activation (g_i = adapt = 0)"
        if p.act_fun == "rate"
        else "NXX1 rate-code activation\n(for reference: this run spikes)"
    )
    plot_xcal_function_emergent(p, th, ax=fig.add_subplot(grid[0, 1])).set_title("XCAL check mark")
    plot_sig_function_emergent(p, ax=fig.add_subplot(grid[0, 2])).set_title(
        "Weight contrast enhancement"
    )
    for a in fig.axes:  # three narrow panels: legends below, not beside
        a.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize="small",
                 frameon=False, ncols=2)  # fmt: skip
    shared = None
    for row, (func, _, per_synapse) in enumerate(panels, start=1):
        ax = fig.add_subplot(grid[row, :], sharex=shared)
        shared = shared or ax
        kwargs = {"unit": unit, "input": input} if per_synapse else {"unit": unit}
        func(result, ax=ax, **kwargs)
        if row < len(panels):
            ax.set_xlabel("")
    mode = "spiking" if p.act_fun == "spike" else f"rate code (NXX1 {p.nxx1})"
    mech = [m for m, on in (("adaptation", p.adapt_on), ("KNa", p.kna_on)) if on]
    where = f"unit {unit}" + (f", input {input}" if result.n_inputs > 1 and not no_syn else "")
    heading = (
        f"leabra_fast emergent model, {mode}" + (f" + {' + '.join(mech)}" if mech else "")
        + f" ({result.backend} backend): {result.n_trials} trial(s) × {result.n_cycles} cycles "
        f"({p.n_quarters} quarters × {p.cyc_per_qtr}, minus phase = first {p.minus_quarters})"
        f"\nshowing {where}"
        + (f" ({int(result.spike_count[unit])} spikes)"
           if p.act_fun == "spike" or p.rate_spikes else "")
        + (f" — PARTIAL run, interrupted at cycle {int(result.state.cycle)}"
           if result.partial else "")
        + (f"; one cycle in {result.record_every} recorded" if result.record_every > 1 else "")
        + "\ntime axes: grey solid = trial boundaries, grey dotted = quarter boundaries, "
        "orange dashed = minus → plus phase"
        + ("\n" + "; ".join(notes) if notes else "")
    )  # fmt: skip
    fig.suptitle(heading)
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig


def _threshold_line(result: Any) -> tuple[str, float, str, bool]:
    p = result.params
    if p.act_fun == "rate":  # act follows NXX1; spikes only with C++'s bookkeeping
        return "thr", p.thr, "firing threshold", p.rate_spikes
    name, thr = spike_threshold(p)
    return name, thr, "spike threshold", True


def _activation_ylabel(result: Any) -> str:
    # act_nd is a rate in rate code; act is 1 at a spike in spiking mode.
    rate = result.params.act_fun == "rate"
    return "activation\n(rate code)" if rate else "activation\n(act: 1 = spike)"


#: The hooks of the shared plots (see :class:`~leabra_fast.core.plotting.ModelFigures`).
FIGURES = _plot.ModelFigures(
    report=plot_report_emergent,
    xcal_function=plot_xcal_function_emergent,
    sig_function=plot_sig_function_emergent,
    threshold_line=_threshold_line,
    decorate_time_axis=lambda result, ax: plot_phase_boundaries(result, ax=ax),
    activation_ylabel=_activation_ylabel,
)
