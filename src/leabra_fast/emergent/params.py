"""Parameters of the canonical emergent Leabra unit and synapse, by emergent's names.

One frozen dataclass, :class:`EmergentParams`, holds every constant of the
model.  Defaults are C++ emergent 8's (``LeabraUnitSpec``, ``LeabraConSpec``);
:meth:`EmergentParams.go` gives Go emergent v1's where they differ, and
:meth:`EmergentParams.neuron` the CCN textbook's single-neuron sim.  Each field
documents its meaning and emergent's default; ``docs/emergent_equations.md``
gives the equations and sources.

Some fields switch on the seed notebook's departures from emergent (the
``quirk_*`` flags and a few plain values, see :meth:`EmergentParams.seed`), so
that the canonical model with every quirk on reproduces the seed model's
traces; with the defaults they are all off.

Derived constants (``vm_dt = integ / vm_tau`` and the like, NXX1's
``sig_mult_eff``) are computed once per run by :func:`derived_constants`,
never per cycle, as emergent's ``Update()`` methods do.
"""

from __future__ import annotations

import math
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from ..core.paramspec import (
    MAX_COUNT,
    ParameterError,
    ParamsMixin,
    check_derived,
    check_fields,
    check_per_unit,
    param,
    with_suggestions,
)

__all__ = ["UNIFORM_FIELDS", "EmergentParams", "derived_constants", "derived_constants_units"]

#: Fields that shape the trial (its length and phases): one value for every unit.
UNIFORM_FIELDS = ("n_quarters", "cyc_per_qtr", "minus_quarters")

_CHOICES: dict[str, tuple[str, ...]] = {
    "act_fun": ("rate", "spike"),
    "nxx1": ("closed", "table"),
}


_p = param  # short name for the many field declarations below


@with_suggestions
@dataclass(frozen=True)
class EmergentParams(ParamsMixin):
    """Constants of emergent's Leabra point neuron and XCAL synapse (C++ emergent 8 defaults).

    Potentials and conductances are in emergent's normalised units (0 = -100 mV,
    1 = 0 mV); one cycle is 1 ms.  Construct with keyword arguments to override;
    every value is checked and a :class:`~leabra_fast.ParameterError` names the
    first bad field.

    Examples
    --------
    >>> p = EmergentParams()              # C++ emergent 8
    >>> p.g_bar_l, EmergentParams.go().g_bar_l
    (0.2, 0.1)
    >>> EmergentParams.neuron("spike").act_fun
    'spike'
    """

    # --- activation function and mode --------------------------------------
    act_fun: Literal["rate", "spike"] = _p(
        "rate",
        "choice",
        "Activation: 'rate' (noisy XX1 rate code, emergent's default) or "
        "'spike' (discrete spiking with a rate estimate from inter-spike intervals).",
    )
    nxx1: Literal["closed", "table"] = _p(
        "closed",
        "choice",
        "Noisy XX1: 'closed' = the closed-form approximation of C++ emergent 8 "
        "and Go; 'table' = XX1 convolved numerically with a Gaussian (emergent <= 7 lookup table).",
    )

    # --- time constants (LeabraDtSpec / DtParams) ----------------------------
    integ: float = _p(1.0, "pos", "Global integration multiplier, ms per cycle (emergent 1).")
    vm_tau: float = _p(3.3, "tau", "Time constant of v_m and of the rate-code act (emergent 3.3).")
    net_tau: float = _p(
        1.4, "tau", "Time constant of net-input integration, dt_net = 1/net_tau (1.4)."
    )
    direct_ge: bool = _p(
        False,
        "bool",
        "If True, net = net_raw each cycle without time integration, as the CCN "
        "textbook neuron sim sets Ge directly (emergent: False).",
    )
    net_clip_zero: bool = _p(
        True,
        "bool",
        "Clip net at 0 after integration (C++ emergent 8: True; Go: False).",
    )
    wt_scale_abs: float = _p(
        1.0,
        "nonneg",
        "Absolute scale of the synaptic input: net_raw = wt_scale_abs * mean_j "
        "(x_j * wt_j) + ge, i.e. emergent's scale_eff for one projection of n_inputs senders (1).",
    )

    # --- channels (g_bar, e_rev) ---------------------------------------------
    g_bar_e: float = _p(1.0, "nonneg", "Maximal excitatory conductance: g_e = g_bar_e * net (1).")
    g_bar_l: float = _p(0.2, "nonneg", "Leak conductance (C++ emergent 8: 0.2; Go: 0.1).")
    g_bar_i: float = _p(1.0, "nonneg", "Maximal inhibitory conductance: g_i = g_bar_i * gc_i (1).")
    e_rev_e: float = _p(1.0, "finite", "Excitatory reversal potential (1 = 0 mV).")
    e_rev_l: float = _p(0.3, "finite", "Leak reversal potential, the resting potential (0.3).")
    e_rev_i: float = _p(
        0.25,
        "finite",
        "Inhibitory reversal potential (0.25). The seed notebook's "
        "gc_i*(e_rev_e - v_m) is e_rev_i = e_rev_e.",
    )

    # --- rate code: noisy XX1 (LeabraActFunSpec / nxx1.Params) ---------------
    thr: float = _p(
        0.5, "finite", "Firing threshold on v_m (0.5); also the spike threshold without ex."
    )
    gain: float = _p(100.0, "pos", "Gain of XX1 (100; textbook neuron 30).")
    nvar: float = _p(0.005, "pos", "Variance of the noise convolved with XX1 (0.005; neuron 0.01).")
    vm_act_thr: float = _p(
        0.01,
        "nonneg",
        "Below this act, and with v_m_eq <= thr, act is driven by v_m_eq - thr "
        "instead of g_e - g_e_thr (0.01).",
    )
    sig_mult: float = _p(
        0.33, "nonneg", "Closed-form NXX1: multiplier of the sub-threshold sigmoid (0.33)."
    )
    sig_mult_pow: float = _p(
        0.8, "finite", "Closed-form NXX1: power on gain*nvar in sig_mult_eff (0.8)."
    )
    sig_gain: float = _p(
        3.0, "pos", "Closed-form NXX1: gain of the sub-threshold sigmoid, over nvar (3)."
    )
    interp_range: float = _p(
        0.01,
        "pos",
        "Closed-form NXX1: range above 0 interpolated linearly to XX1 (0.01).",
    )
    gain_cor_range: float = _p(
        10.0,
        "pos",
        "Closed-form NXX1: range, in units of nvar, of the gain correction (10).",
    )
    gain_cor: float = _p(0.1, "unit", "Closed-form NXX1: strength of the gain correction (0.1).")
    table_res: float = _p(
        0.001,
        "pos",
        "Lookup-table NXX1: resolution of the table and of the Gaussian kernel (0.001).",
    )
    table_max: float = _p(
        1.0,
        "pos",
        "Lookup-table NXX1: upper end of the table; above it plain XX1 is used (1.0).",
    )

    # --- membrane potential ---------------------------------------------------
    vm_midpoint_rate: bool = _p(
        True,
        "bool",
        "Rate code: integrate v_m by the midpoint method (C++ emergent 8: True) or by "
        "one Euler step (Go: False). v_m_eq always uses one Euler step.",
    )
    vm_midpoint_spike: bool = _p(
        True,
        "bool",
        "Spiking: midpoint v_m (C++ and Go: True). False = one Euler step with the "
        "exponential term at the old v_m (the seed notebook).",
    )
    rate_spikes: bool = _p(
        True,
        "bool",
        "Rate code keeps spike bookkeeping on v_m: v_m > threshold -> spike, v_m = vm_r "
        "(C++ emergent 8: True; Go: False). act is unaffected (it follows v_m_eq and g_e).",
    )
    vm_min: float = _p(0.0, "real", "Lower clip of v_m and v_m_eq (vm_range.min, 0; -inf: none).")
    vm_max: float = _p(2.0, "real", "Upper clip of v_m and v_m_eq (vm_range.max, 2; inf: none).")

    # --- spiking (SpikeFunSpec / SpikeMiscSpec / spike.SpikeParams) ----------
    ex: bool = _p(False, "bool", "AdEx exponential current in spiking mode (spike_misc.ex, False).")
    exp_slope: float = _p(0.02, "pos", "Slope of the AdEx exponential, Delta_T = 2 mV (0.02).")
    spk_thr: float = _p(1.2, "finite", "Spike threshold on v_m when ex is on (1.2); thr otherwise.")
    exp_g_l: float | None = _p(
        None,
        "optional_nonneg",
        "Conductance scaling the exponential term; None = g_bar_l "
        "(emergent). Seed quirk: 0.3 while its leak is 0.1.",
    )
    vm_r: float = _p(0.3, "finite", "Reset potential after a spike (0.3).")
    t_r: int = _p(3, "count0", "Refractory period in cycles: v_m is held after a spike (3).")
    act_max_hz: float = _p(180.0, "pos", "Firing rate that maps to act = 1 (180 Hz).")
    int_tau: float = _p(5.0, "tau", "Time constant of the running average of the ISI (5).")

    # --- adaptation (ActAdaptSpec, emergent 7 / early 8) ----------------------
    adapt_on: bool = _p(False, "bool", "Adaptation current on (off by default, as in emergent).")
    adapt_dt: float = _p(
        1 / 144, "rate", "Adaptation rate: adapt += dt*(vm_gain*(v_m-e_rev_l) - adapt) (1/144)."
    )
    vm_gain: float = _p(0.04, "nonneg", "Sub-threshold adaptation: gain on v_m - e_rev_l (0.04).")
    spike_gain: float = _p(0.00805, "nonneg", "Adaptation increment per spike (0.00805).")

    # --- sodium-gated K adaptation (KNaAdaptSpec / knadapt.Params) ----------
    kna_on: bool = _p(
        False,
        "bool",
        "KNa adaptation: three Na-gated K conductances driven by spikes (or by act "
        "in rate code), adding g_k*(e_rev_k - v) to I_net (C++ 8 and Go: off by default; the Go "
        "textbook neuron sim: on).",
    )
    g_bar_k: float = _p(
        1.0, "nonneg", "Maximal K conductance: g_k = g_bar_k*(fast+med+slow) (Go 1)."
    )
    e_rev_k: float = _p(0.25, "finite", "K reversal potential (Go 0.25).")
    kna_rate_rise: float = _p(
        0.8, "nonneg", "Rate code: act is multiplied by this to drive KNa (0.8)."
    )
    kna_fast_rise: float = _p(0.05, "unit", "Fast KNa: increment toward max per spike (0.05).")
    kna_fast_max: float = _p(0.1, "nonneg", "Fast KNa: maximal conductance (0.1).")
    kna_fast_tau: float = _p(50.0, "tau", "Fast KNa: decay time constant, cycles (50).")
    kna_med_rise: float = _p(0.02, "unit", "Medium KNa: increment toward max per spike (0.02).")
    kna_med_max: float = _p(0.1, "nonneg", "Medium KNa: maximal conductance (0.1).")
    kna_med_tau: float = _p(200.0, "tau", "Medium KNa: decay time constant, cycles (200).")
    kna_slow_rise: float = _p(0.001, "unit", "Slow KNa: increment toward max per spike (0.001).")
    kna_slow_max: float = _p(1.0, "nonneg", "Slow KNa: maximal conductance (1).")
    kna_slow_tau: float = _p(1000.0, "tau", "Slow KNa: decay time constant, cycles (1000).")

    # --- init, decay, clamping -------------------------------------------------
    init_v_m: float = _p(0.4, "finite", "Initial v_m and v_m_eq, and their decay target (0.4).")
    init_act: float = _p(0.0, "unit", "Initial act, and its decay target (0).")
    init_net: float = _p(0.0, "finite", "Initial net, and its decay target (0).")
    decay: float = _p(1.0, "unit", "Fraction of act, net, v_m decayed to init at trial start (1).")
    clamp_min: float = _p(0.0, "finite", "Lower bound of a hard-clamped act (clamp_range.min, 0).")
    clamp_max: float = _p(
        0.95, "finite", "Upper bound of a hard-clamped act (clamp_range.max, 0.95)."
    )

    # --- trial structure -------------------------------------------------------
    cyc_per_qtr: int = _p(25, "count", "Cycles per quarter (25).")
    n_quarters: int = _p(4, "count", "Quarters per trial (4).")
    minus_quarters: int = _p(
        3,
        "count0",
        "Quarters of the minus phase; the rest of the trial is the plus phase (3).",
    )

    # --- running averages (LeabraAvgLSpec, act_avg) ---------------------------
    avg_init: float = _p(0.15, "finite", "Initial avg_ss, avg_s, avg_m (act_misc.avg_init, 0.15).")
    ss_tau: float = _p(4.0, "tau", "avg_ss time constant (C++ emergent 8: 4; Go: 2).")
    s_tau: float = _p(2.0, "tau", "avg_s time constant (2).")
    m_tau: float = _p(10.0, "tau", "avg_m time constant (10).")
    m_in_s: float = _p(0.1, "unit", "Fraction of avg_m in avg_s_eff (0.1).")
    avg_l_init: float = _p(0.4, "finite", "Initial avg_l (0.4).")
    avg_l_gain: float = _p(2.5, "pos", "Gain on avg_m in the avg_l update (2.5).")
    avg_l_min: float = _p(0.2, "finite", "Floor of avg_l (0.2).")
    avg_l_tau: float = _p(10.0, "tau", "avg_l time constant, in trials (10).")
    avg_l_gate: bool = _p(
        True,
        "bool",
        "C++ emergent's gate on the trial-start avg_l update: only when the layer's "
        "average act_p of the previous trial is >= lay_act_thr (the layer: all units of "
        "the run; 0 after initialisation, so the first trial skips it). Go: False.",
    )
    lay_act_thr: float = _p(
        0.01, "nonneg", "Layer act_p average the avg_l gate needs (C++: lay_act_thr 0.01)."
    )
    avg_l_lrn_max: float = _p(0.5, "nonneg", "avg_l_lrn at avg_l = avg_l_gain (0.5).")
    avg_l_lrn_min: float = _p(0.0001, "nonneg", "avg_l_lrn at avg_l = avg_l_min (0.0001).")
    avg_l_lrn_min_term: bool = _p(
        True,
        "bool",
        "avg_l_lrn = lrn_min + lrn_fact*(avg_l - min) (C++: True) or "
        "lrn_fact*(avg_l - min) (Go: False).",
    )
    avg_l_max: float = _p(
        1.5,
        "pos",
        "avg_l.max of emergent 7, used only by quirk_avg_l_lrn_seed (1.5).",
    )

    # --- XCAL learning (LeabraConSpec / XCalParams) ---------------------------
    lrate: float = _p(0.04, "nonneg", "Learning rate (0.04).")
    m_lrn: float = _p(1.0, "nonneg", "Weight of the error-driven term XCAL(srs, srm) (1).")
    set_l_lrn: bool = _p(False, "bool", "Use the fixed l_lrn instead of avg_l_lrn (False).")
    l_lrn: float = _p(1.0, "nonneg", "Fixed BCM weight when set_l_lrn (1).")
    d_thr: float = _p(0.0001, "nonneg", "XCAL: below this srs no weight change (0.0001).")
    d_rev: float = _p(
        0.1, "open_unit", "XCAL: reversal point as a fraction of the threshold (0.1)."
    )
    lrn_thr: float = _p(
        0.01,
        "nonneg",
        "Synapses whose sender has su_avg_s_eff and su_avg_m both below this do not learn (0.01).",
    )
    soft_bound: bool = _p(True, "bool", "Soft weight bounding by the linear weight (True).")
    wt_sig_gain: float = _p(6.0, "pos", "Gain of the weight contrast-enhancement sigmoid (6).")
    wt_sig_off: float = _p(1.0, "pos", "Offset of the weight sigmoid (1).")
    fwt_init: float = _p(0.5, "unit", "Initial linear weight fwt (lwt) of every synapse (0.5).")
    wt_init: float | None = _p(
        None,
        "optional_unit",
        "Initial effective weight; None = sig(fwt_init) (emergent). "
        "The seed notebook starts with wt = 0.5 although its SIG(0.5) != 0.5.",
    )

    # --- seed-notebook quirks (all off in emergent) ---------------------------
    quirk_adapt_seed: bool = _p(
        False,
        "bool",
        "Seed: adapt += (vm_gain*(v_m-e_rev_l) + spike*spike_gain) / (1/adapt_dt), "
        "no decay term, spike term also divided.",
    )
    quirk_avg_l_seed: bool = _p(
        False,
        "bool",
        "Seed: avg_l += (1/avg_l_tau)*(avg_m - avg_l) at cycle 0 of each trial, after "
        "that cycle's running averages; no gain, no floor.",
    )
    quirk_avg_l_lrn_seed: bool = _p(
        False,
        "bool",
        "Seed parenthesisation: lrn_fact = (lrn_max - lrn_min)/avg_l_max - avg_l_min.",
    )
    quirk_sig_seed: bool = _p(
        False,
        "bool",
        "Seed SIG: 1/(1 + (off*(1-w)/(w + sig_eps))**gain), not exact at 0 and 1.",
    )
    sig_eps: float = _p(0.01, "nonneg", "The seed SIG's +.01, used only with quirk_sig_seed.")
    quirk_learn_every_cycle: bool = _p(
        False,
        "bool",
        "Seed: XCAL learning and the weight update every cycle, not once per trial.",
    )
    quirk_act_nd_spike: bool = _p(
        False,
        "bool",
        "Seed: in spiking mode act_nd = act = the 0/1 spike, so the running averages "
        "integrate spikes instead of the ISI rate estimate.",
    )
    quirk_i_net_seed: bool = _p(
        False,
        "bool",
        "Seed: the recorded I_net is the channel current before adaptation and keeps its "
        "value on a spike cycle; emergent records the current that moves v_m, "
        "I_net - adapt, and 0 on a spike cycle.",
    )

    def __post_init__(self) -> None:
        check_fields(self, _CHOICES)
        if check_per_unit(self, UNIFORM_FIELDS):
            return  # each distinct parameter set was built, and checked, as scalars
        self._check_combined()

    def _check_combined(self) -> None:
        """The checks across fields of a scalar parameter set (its fields already valid)."""
        if self.integ / self.vm_tau > 1.0 or self.integ / self.net_tau > 1.0:
            raise ParameterError("EmergentParams: integ/vm_tau and integ/net_tau must be <= 1")
        if self.vm_min >= self.vm_max:
            raise ParameterError(
                f"EmergentParams.vm_min ({self.vm_min}) must be < vm_max ({self.vm_max})"
            )
        if self.clamp_min > self.clamp_max:
            raise ParameterError(
                f"EmergentParams.clamp_min ({self.clamp_min}) must be <= clamp_max "
                f"({self.clamp_max})"
            )
        if self.minus_quarters > self.n_quarters:
            raise ParameterError(
                f"EmergentParams.minus_quarters ({self.minus_quarters}) must be <= n_quarters "
                f"({self.n_quarters})"
            )
        if self.thr == self.e_rev_e:
            raise ParameterError(
                "EmergentParams.thr must differ from e_rev_e (threshold conductance)"
            )
        if not self.quirk_avg_l_lrn_seed and self.avg_l_gain == self.avg_l_min:
            raise ParameterError("EmergentParams.avg_l_gain must differ from avg_l_min (lrn_fact)")
        if self.nxx1 == "table" and self.table_max <= self.table_res:
            raise ParameterError("EmergentParams.table_max must exceed table_res")
        if self.n_quarters * self.cyc_per_qtr > MAX_COUNT:
            raise ParameterError(
                f"EmergentParams: n_quarters * cyc_per_qtr = {self.n_quarters * self.cyc_per_qtr}"
                " cycles per trial, above the limit of 2**53"
            )
        if self.nxx1 == "table":
            _check_table_size(self)
        check_derived(self, lambda p: derived_constants(p, 1), allow_inf=("vm_min", "vm_max"))

    def _check_combined_units(self, fields: dict[str, Any]) -> bool:
        """:meth:`_check_combined` on every unit at once (``fields``: scalars and per-unit
        arrays by name): True when every unit passes.  Only float fields per unit (a
        choice, flag or count per unit is left to the scalar check, as is an NXX1 table
        whose size varies); the derived constants come from
        :func:`derived_constants_units`, which has each set's bits.  On False the caller
        finds the bad set with the scalar check and its message."""
        per_unit = {k for k, v in fields.items() if isinstance(v, np.ndarray)}
        if any(fields[k].dtype != np.float64 for k in per_unit):
            return False
        if fields["nxx1"] == "table" and per_unit & {"nvar", "table_res", "table_max"}:
            return False
        f = types.SimpleNamespace(**fields)
        if f.minus_quarters > f.n_quarters or f.n_quarters * f.cyc_per_qtr > MAX_COUNT:
            return False  # (one value for all units)
        with np.errstate(all="ignore"):
            ok = (f.integ / f.vm_tau <= 1.0) & (f.integ / f.net_tau <= 1.0)
            ok = ok & (f.vm_min < f.vm_max) & (f.clamp_min <= f.clamp_max) & (f.thr != f.e_rev_e)
            if not f.quirk_avg_l_lrn_seed:
                ok = ok & (f.avg_l_gain != f.avg_l_min)
            if f.nxx1 == "table":
                ok = ok & (f.table_max > f.table_res)
                _check_table_size(self)  # its fields are one value for all units here
        derived = derived_constants_units(fields, 1)
        if derived is None:
            return False
        for key, value in derived.items():
            finite = ~np.isnan(value) if key in ("vm_min", "vm_max") else np.isfinite(value)
            ok = ok & finite
        return bool(np.all(ok))

    #: Fields added after runs were first saved, with the value that reproduces what those
    #: runs did: no avg_l gate, I_net recorded before adaptation.  A saved parameter dict
    #: without them (``lf.load`` of an older file) gets these, not today's defaults.
    LEGACY_DEFAULTS: ClassVar[Mapping[str, Any]] = {"avg_l_gate": False, "quirk_i_net_seed": True}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> EmergentParams:
        """Build from a mapping (see :meth:`ParamsMixin.from_dict`); older saved dicts
        get :data:`LEGACY_DEFAULTS` for the fields they lack."""
        missing = {k: v for k, v in cls.LEGACY_DEFAULTS.items() if k not in values}
        return super().from_dict({**missing, **values})

    # --- presets ---------------------------------------------------------------
    @classmethod
    def emergent(cls, **overrides: Any) -> EmergentParams:
        """C++ emergent 8 defaults (the class defaults), with ``overrides``."""
        return cls(**overrides)

    @classmethod
    def emergent81(cls, **overrides: Any) -> EmergentParams:
        """C++ emergent 8.1's unit as its own recordings show it, with ``overrides``.

        NXX1 by the convolution lookup table (not the closed form), the rate code's
        sub-threshold branch taken whenever ``v_m_eq <= thr`` (no separate act test:
        ``vm_act_thr`` the largest double, above any finite act), and avg_ss tau 2 as
        in the demo projects.
        """
        values: dict[str, Any] = dict(nxx1="table", vm_act_thr=sys.float_info.max, ss_tau=2.0)
        values.update(overrides)
        return cls(**values)

    @classmethod
    def go(cls, **overrides: Any) -> EmergentParams:
        """Go emergent v1 (emer/leabra) defaults where they differ from C++ emergent 8.

        g_bar_l 0.1, avg_ss tau 2, one Euler step for the rate-code v_m, no spike
        bookkeeping in rate code, no clipping of net at 0, avg_l_lrn without the
        lrn_min term.
        """
        values: dict[str, Any] = dict(
            g_bar_l=0.1, ss_tau=2.0, vm_midpoint_rate=False, rate_spikes=False,
            net_clip_zero=False, avg_l_lrn_min_term=False, avg_l_gate=False,
        )  # fmt: skip
        values.update(overrides)
        return cls(**values)

    @classmethod
    def neuron(
        cls,
        act_fun: Literal["rate", "spike"] = "spike",
        adapt: bool = False,
        kna: bool = False,
        **overrides: Any,
    ) -> EmergentParams:
        """The CCN textbook's single-neuron sim (``ch2/neuron``), on Go defaults.

        g_bar_e = g_bar_l = 0.3, XX1 gain 30, nvar 0.01, init v_m 0.3, Ge set
        directly (no integration), one trial of 200 cycles (4 x 50).  ``adapt``
        switches on the AdEx adaptation current, ``kna`` the KNa adaptation (the
        Go sim's own, on by default there).  Drive it with
        :func:`leabra_fast.emergent.neuron_demo_schedule`.
        """
        values: dict[str, Any] = dict(
            act_fun=act_fun, g_bar_e=0.3, g_bar_l=0.3, gain=30.0, nvar=0.01, init_v_m=0.3,
            direct_ge=True, cyc_per_qtr=50, adapt_on=bool(adapt), kna_on=bool(kna),
        )  # fmt: skip
        values.update(overrides)
        return cls.go(**values)

    @classmethod
    def seed(cls, **overrides: Any) -> EmergentParams:
        """The canonical model with every seed-notebook quirk on, and the notebook's constants.

        With these parameters and ``n_cycles = 100`` (4 x 25) the model gives the
        seed model's traces on the notebook's run (see ``docs/emergent_model.md``).
        :meth:`from_seed` does the same for any :class:`~leabra_fast.SeedParams`.
        """
        values: dict[str, Any] = dict(
            act_fun="spike", ex=True, spk_thr=1.2, exp_g_l=0.3, g_bar_l=0.1, e_rev_i=1.0,
            t_r=0, vm_midpoint_spike=False, net_clip_zero=False, init_v_m=0.3, decay=0.0,
            adapt_on=True, quirk_adapt_seed=True,
            avg_init=0.0, ss_tau=10.0, s_tau=10.0, m_tau=50.0,
            avg_l_init=0.0, avg_l_tau=50.0, quirk_avg_l_seed=True,
            avg_l_lrn_min=0.005, avg_l_lrn_max=0.05, quirk_avg_l_lrn_seed=True,
            lrate=0.1, m_lrn=0.0, lrn_thr=0.0, wt_sig_gain=1.5, quirk_sig_seed=True, wt_init=0.5,
            quirk_learn_every_cycle=True, quirk_act_nd_spike=True, quirk_i_net_seed=True,
        )  # fmt: skip
        values.update(overrides)
        return cls(**values)

    @classmethod
    def from_seed(cls, seed: Any, n_cycles: int = 100, **overrides: Any) -> EmergentParams:
        """The canonical model with every quirk on and the constants of a :class:`SeedParams`.

        Running it on a seed-model schedule gives the seed model's traces: rates
        become time constants ``tau`` with ``1/tau`` exactly the seed's rate where
        such a double exists (then bit for bit; else one ulp off, agreement to
        ~1e-15), and v_m is not clipped.  ``n_cycles`` is the
        seed run's trial length (4 quarters when divisible by 4, else one).
        The seed's constant ``noise`` current has no counterpart and must be 0.
        """
        # The seed model is a sibling: reach its parameter class through the registry.
        from ..core import registry

        seed_model = registry.find("seed")
        if seed_model is None or not isinstance(seed, seed_model.params_class):
            raise TypeError(f"from_seed needs a SeedParams, got {type(seed).__name__}")
        if seed.noise != 0.0:
            raise ParameterError("SeedParams.noise (a constant current) has no counterpart here")
        if (isinstance(n_cycles, bool) or not isinstance(n_cycles, int)
                or not 1 <= n_cycles <= MAX_COUNT):  # fmt: skip
            raise ParameterError(f"n_cycles must be an int in [1, 2**53], got {n_cycles!r}")
        quarters = 4 if n_cycles % 4 == 0 else 1
        values: dict[str, Any] = dict(
            integ=seed.dt_integ, net_tau=_tau_for_rate(seed.dt_net_dt),
            vm_tau=_tau_for_rate(seed.dt_vm_dt), g_bar_l=seed.gc_l, e_rev_e=seed.e_rev_e,
            e_rev_l=seed.e_rev_l,
            e_rev_i=seed.e_rev_e if seed.gc_i_reversal == "e_rev_e" else seed.e_rev_i,
            thr=seed.thr, exp_slope=seed.exp_slope, exp_g_l=seed.g_bar_l, spk_thr=seed.spk_thr,
            vm_r=seed.vm_r, adapt_dt=seed.adapt_dt, vm_gain=seed.vm_gain,
            spike_gain=seed.spike_gain, ss_tau=_tau_for_rate(seed.ss_dt),
            s_tau=_tau_for_rate(seed.s_dt), m_tau=_tau_for_rate(seed.m_dt),
            avg_l_tau=_tau_for_rate(seed.l_dt), avg_l_min=seed.avg_l_min,
            avg_l_max=seed.avg_l_max, avg_l_lrn_min=seed.avg_l_lrn_min,
            avg_l_lrn_max=seed.avg_l_lrn_max, m_in_s=seed.m_in_s, lrate=seed.lrate,
            m_lrn=seed.m_lrn, d_thr=seed.d_thr, d_rev=seed.d_rev, wt_sig_gain=seed.gain,
            wt_sig_off=seed.off, sig_eps=seed.sig_eps, init_v_m=seed.v_m_init,
            fwt_init=seed.fwt_init, wt_init=seed.wt_init, vm_min=-math.inf, vm_max=math.inf,
            n_quarters=quarters, minus_quarters=min(3, quarters),
            cyc_per_qtr=n_cycles // quarters,
        )  # fmt: skip
        values.update(overrides)
        return cls.seed(**values)

    # --- helpers -------------------------------------------------------------------
    @property
    def cycles_per_trial(self) -> int:
        return self.cyc_per_qtr * self.n_quarters


def _check_table_size(p: EmergentParams) -> None:
    """The NXX1 lookup table ``reference.nxx1_table`` would build fits its work limit.

    Same sizes as ``nxx1_table`` computes, checked here so that a table too large (or
    a ``table_res`` so small that its size overflows) is refused on construction.
    """
    from .reference import _MAX_TABLE_WORK

    res = p.table_res
    k_f = max(3.0 * p.nvar, res) / res
    n_f = (p.table_max + max(1.0, k_f) * res) / res + 1
    work = n_f * (2 * max(1.0, k_f) + 1)
    if not math.isfinite(work) or work > _MAX_TABLE_WORK:
        raise ParameterError(
            f"EmergentParams: an NXX1 lookup table with table_res={res!r}, nvar={p.nvar!r} and "
            f"table_max={p.table_max!r} is too large to build (about {n_f:.3g} points times a "
            f"{2 * k_f + 1:.3g}-point kernel); raise table_res or lower nvar/table_max"
        )


def _tau_for_rate(rate: float) -> float:
    """A time constant whose reciprocal is exactly ``rate`` (1/(1/rate) may be off by an ulp)."""
    tau = 1.0 / rate
    for candidate in (tau, math.nextafter(tau, math.inf), math.nextafter(tau, -math.inf)):
        if 1.0 / candidate == rate:
            return candidate
    return tau  # pragma: no cover - within an ulp; agreement is then to rounding


def derived_constants_units(
    fields: Mapping[str, Any], n_inputs: int
) -> dict[str, np.ndarray] | None:
    """:func:`derived_constants` of many parameter sets at once, or None.

    ``fields``: every field by name, a scalar or a float64 array over units.  Each
    array's values go through the formulas as Python floats (an object array), so
    every operation, ``**`` included, is the scalar one and each unit's constants have
    the bits :func:`derived_constants` gives its set.  None when a formula cannot take
    a per-unit field (a flag or choice per unit, ``t_r`` per unit) or fails: the caller
    then goes set by set.
    """
    values: dict[str, Any] = {}
    for name, v in fields.items():
        if isinstance(v, np.ndarray):
            if v.dtype != np.float64:
                return None
            values[name] = np.array(v.tolist(), dtype=object)
        else:
            values[name] = v
    try:
        with np.errstate(all="ignore"):
            d = derived_constants(types.SimpleNamespace(**values), n_inputs)  # type: ignore[arg-type]
        return {k: np.asarray(v, dtype=np.float64) for k, v in d.items()}
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, FloatingPointError):
        return None


def derived_constants(p: EmergentParams, n_inputs: int) -> dict[str, float]:
    """The constants both backends use, computed once per run.

    Names are the kernel's ``EmergentConsts`` fields.  Flags become 0/1 floats
    so the whole set is one dict of floats.
    """
    nvar_gain = p.gain * p.nvar
    sig_mult_eff = p.sig_mult * nvar_gain**p.sig_mult_pow
    sig_val_at_0 = 0.5 * sig_mult_eff
    c: dict[str, float] = {
        "spike_mode": float(p.act_fun == "spike"),
        "use_table": float(p.nxx1 == "table"),
        "k_net": p.integ * (1.0 / p.net_tau),
        "direct_ge": float(p.direct_ge),
        "net_clip_zero": float(p.net_clip_zero),
        "net_scale": p.wt_scale_abs * (1.0 / n_inputs),
        "g_bar_e": p.g_bar_e,
        "g_bar_l": p.g_bar_l,
        "g_bar_i": p.g_bar_i,
        "e_rev_e": p.e_rev_e,
        "e_rev_l": p.e_rev_l,
        "e_rev_i": p.e_rev_i,
        "thr": p.thr,
        "gain": p.gain,
        "nvar": p.nvar,
        "vm_act_thr": p.vm_act_thr,
        "sig_mult_eff": sig_mult_eff,
        "sig_val_at_0": sig_val_at_0,
        "sig_gain_nvar": p.sig_gain / p.nvar,
        "interp_range": p.interp_range,
        "gain_cor_range": p.gain_cor_range,
        "gain_cor": p.gain_cor,
        "k_vm": p.integ * (1.0 / p.vm_tau),
        "vm_midpoint": float(p.vm_midpoint_spike if p.act_fun == "spike" else p.vm_midpoint_rate),
        "rate_spikes": float(p.rate_spikes),
        "vm_min": p.vm_min,
        "vm_max": p.vm_max,
        "exp_on": float(p.act_fun == "spike" and p.ex),
        "exp_slope": p.exp_slope,
        "k_exp": (p.g_bar_l if p.exp_g_l is None else p.exp_g_l) * p.exp_slope,
        "spk_thr": p.spk_thr if p.ex else p.thr,
        "vm_r": p.vm_r,
        "t_r": float(p.t_r),
        "rate_num": 1.0 / (0.001 * p.integ * p.act_max_hz),
        "isi_dt": 1.0 / p.int_tau,
        "adapt_on": float(p.adapt_on),
        "adapt_dt": p.adapt_dt,
        "adapt_div": 1.0 / p.adapt_dt,
        "k_adapt_integ": p.integ,
        "vm_gain": p.vm_gain,
        "spike_gain": p.spike_gain,
        "quirk_adapt_seed": float(p.quirk_adapt_seed),
        "init_v_m": p.init_v_m,
        "init_act": p.init_act,
        "init_net": p.init_net,
        "decay": p.decay,
        "clamp_min": p.clamp_min,
        "clamp_max": p.clamp_max,
        "minus_cycles": float(p.minus_quarters * p.cyc_per_qtr),
        "cyc_per_qtr": float(p.cyc_per_qtr),
        "k_ss": p.integ * (1.0 / p.ss_tau),
        "k_s": p.integ * (1.0 / p.s_tau),
        "k_m": p.integ * (1.0 / p.m_tau),
        "m_in_s": p.m_in_s,
        "one_m_in_s": 1.0 - p.m_in_s,
        "k_l": 1.0 / p.avg_l_tau,
        "avg_l_gain": p.avg_l_gain,
        "avg_l_min": p.avg_l_min,
        "quirk_avg_l_seed": float(p.quirk_avg_l_seed),
        "avg_l_lrn_min": p.avg_l_lrn_min
        if (p.avg_l_lrn_min_term or p.quirk_avg_l_lrn_seed)
        else 0.0,
        "lrn_fact": (
            (p.avg_l_lrn_max - p.avg_l_lrn_min) / p.avg_l_max - p.avg_l_min
            if p.quirk_avg_l_lrn_seed
            else (p.avg_l_lrn_max - p.avg_l_lrn_min) / (p.avg_l_gain - p.avg_l_min)
        ),
        "set_l_lrn": float(p.set_l_lrn),
        "l_lrn": p.l_lrn,
        "lrate": p.lrate,
        "m_lrn": p.m_lrn,
        "d_thr": p.d_thr,
        "d_rev": p.d_rev,
        "rev_fac": (1.0 - p.d_rev) / p.d_rev,
        "lrn_thr": p.lrn_thr,
        "soft_bound": float(p.soft_bound),
        "wt_sig_gain": p.wt_sig_gain,
        "wt_sig_off": p.wt_sig_off,
        "quirk_sig_seed": float(p.quirk_sig_seed),
        "sig_eps": p.sig_eps,
        "learn_every_cycle": float(p.quirk_learn_every_cycle),
        "act_nd_spike": float(p.quirk_act_nd_spike),
        "i_net_seed": float(p.quirk_i_net_seed),
        "avg_l_gate": float(p.avg_l_gate),
        "lay_act_thr": p.lay_act_thr,
        "kna_on": float(p.kna_on),
        "g_bar_k": p.g_bar_k,
        "e_rev_k": p.e_rev_k,
        "kna_rate_rise": p.kna_rate_rise,
        "kna_f_rise": p.kna_fast_rise,
        "kna_f_max": p.kna_fast_max,
        "kna_f_dt": 1.0 / p.kna_fast_tau,
        "kna_m_rise": p.kna_med_rise,
        "kna_m_max": p.kna_med_max,
        "kna_m_dt": 1.0 / p.kna_med_tau,
        "kna_s_rise": p.kna_slow_rise,
        "kna_s_max": p.kna_slow_max,
        "kna_s_dt": 1.0 / p.kna_slow_tau,
        # Position of the NXX1 lookup table; the driver fills these in when it builds one.
        "table_x0": 0.0,
        "table_res": 1.0,
    }
    # interp_val needs XX1GainCor(interp_range), defined in the reference module.
    from .reference import xx1_gain_cor

    c["interp_val"] = xx1_gain_cor(p.interp_range, c) - sig_val_at_0
    return c
