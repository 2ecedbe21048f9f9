"""Parameters of the network model, by Go emergent v1's names, one frozen dataclass per concern.

Names follow Go emergent v1 (``github.com/emer/leabra``, ``leabra/act.go``, ``inhib.go``,
``learn.go``, ``fffb/fffb.go``, ``nxx1/nxx1.go``) written in snake case: Go's
``Layer.Act.Gbar.L`` is ``act.gbar.l`` here, ``Prjn.Learn.XCal.DRev`` is ``learn.xcal.d_rev``.
Defaults are Go v1's (the "go_v1" flavour).  Derived rates (``dt = integ / tau`` and the like)
are computed once, in ``__post_init__``; the backend recomputes them in its own float type
so a float32 run rounds them exactly as Go does.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FLAVOURS",
    "ActAvgParams",
    "ActInitParams",
    "ActNoiseParams",
    "ActParams",
    "AvgLParams",
    "Chans",
    "ClampParams",
    "CosDiffParams",
    "DWtNormParams",
    "DtParams",
    "FFFBParams",
    "InhibParams",
    "KNaChanParams",
    "KNaParams",
    "LayerParams",
    "LearnNeurParams",
    "LearnSynParams",
    "LrnActAvgParams",
    "MomentumParams",
    "OptThreshParams",
    "PrjnParams",
    "SelfInhibParams",
    "SpikeMiscParams",
    "WtBalParams",
    "WtInitParams",
    "WtScaleParams",
    "WtSigParams",
    "XCalParams",
    "XX1Params",
    "flavour_overrides",
    "get_path",
    "with_path",
]


def _check(obj: Any, name: str, ok: bool, rule: str) -> None:
    if not ok:
        raise ValueError(f"{type(obj).__name__}.{name} must be {rule}, got {getattr(obj, name)!r}")


def _finite(obj: Any) -> None:
    """Every float field is a finite real number; every bool field a bool."""
    for f in dataclasses.fields(obj):
        if not f.init:
            continue
        v = getattr(obj, f.name)
        if f.type in ("float", float):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"{type(obj).__name__}.{f.name} must be a real number, got {v!r}")
            if not math.isfinite(float(v)):
                raise ValueError(f"{type(obj).__name__}.{f.name} must be finite, got {v!r}")
            object.__setattr__(obj, f.name, float(v))
        elif f.type in ("bool", bool):
            if not isinstance(v, bool):
                raise ValueError(f"{type(obj).__name__}.{f.name} must be a bool, got {v!r}")


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


# ----------------------------------------------------------------------------- act


@dataclass(frozen=True)
class XX1Params:
    """Noisy X/(X+1) rate code (Go ``nxx1.Params``): Go's closed-form approximation of x/(x+1)
    convolved with a Gaussian of variance ``n_var`` (sigmoid below 0, linear interpolation
    on [0, interp_range), gain-corrected x/(x+1) above), not C++ 8.0's lookup table."""

    thr: float = 0.5
    gain: float = 100.0
    n_var: float = 0.005
    vm_act_thr: float = 0.01
    sig_mult: float = 0.33
    sig_mult_pow: float = 0.8
    sig_gain: float = 3.0
    interp_range: float = 0.01
    gain_cor_range: float = 10.0
    gain_cor: float = 0.1

    def __post_init__(self) -> None:
        _finite(self)
        for n in ("gain", "n_var", "interp_range", "gain_cor_range"):
            _check(self, n, getattr(self, n) > 0, "> 0")


@dataclass(frozen=True)
class OptThreshParams:
    """Sending thresholds (Go ``OptThreshParams``): no sending at act <= send; changes
    smaller than delta are not sent."""

    send: float = 0.1
    delta: float = 0.005

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "send", self.send >= 0, ">= 0")
        _check(self, "delta", self.delta >= 0, ">= 0")


@dataclass(frozen=True)
class ActInitParams:
    """Initial values and the trial-start decay (Go ``ActInitParams``)."""

    decay: float = 1.0
    vm: float = 0.4
    act: float = 0.0
    ge: float = 0.0

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "decay", 0 <= self.decay <= 1, "in [0, 1]")


@dataclass(frozen=True)
class DtParams:
    """Time constants in cycles (Go ``DtParams``); ``avg_tau`` in trials."""

    integ: float = 1.0
    vm_tau: float = 3.3
    g_tau: float = 1.4
    avg_tau: float = 200.0
    vm_dt: float = field(init=False, repr=False, default=0.0)
    g_dt: float = field(init=False, repr=False, default=0.0)
    avg_dt: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "integ", self.integ > 0, "> 0")
        for n in ("vm_tau", "g_tau", "avg_tau"):
            _check(self, n, getattr(self, n) >= 1, ">= 1")
        _set(self, "vm_dt", self.integ / self.vm_tau)
        _set(self, "g_dt", self.integ / self.g_tau)
        _set(self, "avg_dt", 1 / self.avg_tau)


@dataclass(frozen=True)
class Chans:
    """One value per channel: excitatory, leak, inhibitory, potassium (Go ``chans.Chans``)."""

    e: float = 1.0
    l: float = 0.1  # noqa: E741 (emergent's name)
    i: float = 1.0
    k: float = 1.0

    def __post_init__(self) -> None:
        _finite(self)


@dataclass(frozen=True)
class ClampParams:
    """How external input drives units (Go ``ClampParams``); ``range_min/range_max`` is
    Go's ``Clamp.Range``."""

    hard: bool = True
    range_min: float = 0.0
    range_max: float = 0.95
    gain: float = 0.2
    avg: bool = False
    avg_gain: float = 0.2

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "range_max", self.range_max >= self.range_min, ">= range_min")


@dataclass(frozen=True)
class KNaChanParams:
    """One sodium-gated potassium channel of KNa adaptation (Go ``knadapt.Chan``).

    Rate code, after each cycle's activation update (``a = act * KNaParams.rate``):
    ``g += a * rise * (max - g) - g / tau``; a channel that is off keeps ``g = 0``."""

    on: bool = True
    rise: float = 0.01
    max: float = 0.1
    tau: float = 100.0
    dt: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "rise", 0 <= self.rise <= 1, "in [0, 1]")
        _check(self, "max", self.max >= 0, ">= 0")
        _check(self, "tau", self.tau >= 1, ">= 1")
        _set(self, "dt", 1 / self.tau)


@dataclass(frozen=True)
class KNaParams:
    """KNa adaptation (Go ``knadapt.Params``; off by default, as in Go and C++ 8.5): three
    Na-gated K conductances driven by the rate-code activation, whose sum is ``Gk``
    (entering Vm and the Ge threshold of Act through ``gbar.k``, ``erev.k``; not ActLrn's).
    The same equations and defaults as ``model="emergent"``'s ``kna_*`` parameters
    (``kna_rate_rise`` = ``rate``, ``kna_fast_rise`` = ``fast.rise`` ...)."""

    on: bool = False
    rate: float = 0.8
    fast: KNaChanParams = field(default_factory=lambda: KNaChanParams(True, 0.05, 0.1, 50.0))
    med: KNaChanParams = field(default_factory=lambda: KNaChanParams(True, 0.02, 0.1, 200.0))
    slow: KNaChanParams = field(default_factory=lambda: KNaChanParams(True, 0.001, 1.0, 1000.0))

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "rate", self.rate >= 0, ">= 0")


@dataclass(frozen=True)
class SpikeMiscParams:
    """C++ emergent 8.5's spike bookkeeping on the rate code's v_m (``SpikeMiscSpec``),
    used by the "cpp85" equations only: when v_m exceeds the threshold it is reset to
    ``vm_r`` and held for the next ``t_r`` cycles (Go v1's rate code has neither)."""

    vm_r: float = 0.3
    t_r: int = 3

    def __post_init__(self) -> None:
        _finite(self)
        if isinstance(self.t_r, bool) or not isinstance(self.t_r, int) or self.t_r < 0:
            raise ValueError(f"SpikeMiscParams.t_r must be an int >= 0, got {self.t_r!r}")


#: Go's ActNoiseType values, in snake case.
NOISE_TYPES = ("none", "vm", "ge", "act", "ge_mult")
#: Go's erand distributions the noise can draw from.
NOISE_DISTS = ("uniform", "gaussian")


@dataclass(frozen=True)
class ActNoiseParams:
    """Activation noise (Go ``ActNoiseParams``; ``type`` "none" by default).

    ``type``: "vm" adds the noise to Vm, "ge" to Ge, "act" to Act (and to a hard-clamped
    unit's Ext), "ge_mult" is drawn but, as in Go v1, applied nowhere else (see below).
    ``dist``: "uniform" (``mean + var * 2 (u - 0.5)``) or "gaussian" (``mean + var *
    N(0, 1)``, ``var`` the standard deviation, as Go's erand).  ``fixed`` (Go's default):
    one value per unit for the whole trial, drawn at the trial start; else a new value
    every cycle.  As Go v1's HardClamp, a hard-clamped unit of a layer with noise gets
    ``Act = clip(Ext (+ noise if "act")) + noise`` whatever the type.  The numbers come
    from a counter-based generator keyed per layer and batch copy from the ``rng`` of
    ``Network.init_weights`` (``docs/network_model.md``, "Noise")."""

    type: str = "none"
    dist: str = "uniform"
    mean: float = 0.0
    var: float = 0.0
    fixed: bool = True

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "type", self.type in NOISE_TYPES, f"one of {NOISE_TYPES}")
        _check(self, "dist", self.dist in NOISE_DISTS, f"one of {NOISE_DISTS}")
        _check(self, "var", self.var >= 0, ">= 0")


@dataclass(frozen=True)
class ActParams:
    """Unit activation (Go ``ActParams``), with Go's KNa adaptation (``kna``) and
    activation noise (``noise``), both off by default."""

    xx1: XX1Params = field(default_factory=XX1Params)
    opt_thresh: OptThreshParams = field(default_factory=OptThreshParams)
    init: ActInitParams = field(default_factory=ActInitParams)
    dt: DtParams = field(default_factory=DtParams)
    gbar: Chans = field(default_factory=lambda: Chans(1.0, 0.1, 1.0, 1.0))
    erev: Chans = field(default_factory=lambda: Chans(1.0, 0.3, 0.25, 0.25))
    clamp: ClampParams = field(default_factory=ClampParams)
    noise: ActNoiseParams = field(default_factory=ActNoiseParams)
    vm_min: float = 0.0
    vm_max: float = 2.0
    kna: KNaParams = field(default_factory=KNaParams)
    spike_misc: SpikeMiscParams = field(default_factory=SpikeMiscParams)

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "vm_max", self.vm_max > self.vm_min, "> vm_min")
        _check(self, "xx1", self.xx1.thr != self.erev.e, "with thr != erev.e")
        # Conductances scale channel openings: a negative maximum would flip a current's sign.
        for ch in ("e", "l", "i", "k"):
            g = getattr(self.gbar, ch)
            if g < 0:
                raise ValueError(f"ActParams.gbar.{ch} must be >= 0, got {g!r}")


# ----------------------------------------------------------------------------- inhib


@dataclass(frozen=True)
class FFFBParams:
    """Feedforward and feedback inhibition of a pool (Go ``fffb.Params``)."""

    on: bool = True
    gi: float = 1.8
    ff: float = 1.0
    fb: float = 1.0
    fb_tau: float = 1.4
    max_vs_avg: float = 0.0
    ff0: float = 0.1
    fb_dt: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        _finite(self)
        for n in ("gi", "ff", "fb"):
            _check(self, n, getattr(self, n) >= 0, ">= 0")
        _check(self, "fb_tau", self.fb_tau > 0, "> 0")
        _check(self, "max_vs_avg", 0 <= self.max_vs_avg <= 1, "in [0, 1]")
        _set(self, "fb_dt", 1 / self.fb_tau)


@dataclass(frozen=True)
class SelfInhibParams:
    """Unit self-inhibition (Go ``SelfInhibParams``, Go's field ``Inhib.Self``)."""

    on: bool = False
    gi: float = 0.4
    tau: float = 1.4
    dt: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "tau", self.tau > 0, "> 0")
        _set(self, "dt", 1 / self.tau)


@dataclass(frozen=True)
class ActAvgParams:
    """Expected layer activity and its running average (Go ``ActAvgParams``), which sets the
    net-input scaling of the projections the layer sends."""

    init: float = 0.15
    fixed: bool = False
    use_ext_act: bool = False
    use_first: bool = True
    tau: float = 100.0
    adjust: float = 1.0
    dt: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "init", 0 <= self.init <= 1, "in [0, 1]")
        _check(self, "tau", self.tau >= 1, ">= 1")
        _check(self, "adjust", self.adjust > 0, "> 0")
        if self.use_ext_act:
            raise ValueError("ActAvgParams.use_ext_act=True is not modelled")
        _set(self, "dt", 1 / self.tau)


@dataclass(frozen=True)
class InhibParams:
    """Inhibition (Go ``InhibParams``): FFFB over the layer and over the unit groups of a
    4-D layer (``pool``, off by default), self-inhibition and the layer's activity average."""

    layer: FFFBParams = field(default_factory=FFFBParams)
    pool: FFFBParams = field(default_factory=lambda: FFFBParams(on=False))
    self_inhib: SelfInhibParams = field(default_factory=SelfInhibParams)
    act_avg: ActAvgParams = field(default_factory=ActAvgParams)


# ----------------------------------------------------------------------------- learn (units)


@dataclass(frozen=True)
class LrnActAvgParams:
    """Running averages of the learning activation (Go ``LrnActAvgParams``)."""

    ss_tau: float = 2.0
    s_tau: float = 2.0
    m_tau: float = 10.0
    lrn_m: float = 0.1
    init: float = 0.15
    ss_dt: float = field(init=False, repr=False, default=0.0)
    s_dt: float = field(init=False, repr=False, default=0.0)
    m_dt: float = field(init=False, repr=False, default=0.0)
    lrn_s: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        _finite(self)
        for n in ("ss_tau", "s_tau", "m_tau"):
            _check(self, n, getattr(self, n) >= 1, ">= 1")
        _check(self, "lrn_m", 0 <= self.lrn_m <= 1, "in [0, 1]")
        _check(self, "init", 0 <= self.init <= 1, "in [0, 1]")
        _set(self, "ss_dt", 1 / self.ss_tau)
        _set(self, "s_dt", 1 / self.s_tau)
        _set(self, "m_dt", 1 / self.m_tau)
        _set(self, "lrn_s", 1 - self.lrn_m)


@dataclass(frozen=True)
class AvgLParams:
    """Long-term average AvgL and the BCM learning factor AvgLLrn (Go ``AvgLParams``).

    Go computes ``AvgLLrn = LrnFact * (AvgL - Min)``; C++ emergent 8.5 adds ``LrnMin``
    (``lrn_min_offset=True``, set by the "cpp85" flavour).  ``lay_act_thr``: C++'s gate
    (``avg_l_2.lay_act_thr``), used by the "cpp85" equations only: AvgL is updated only
    when the layer's plus-phase average activity of the previous trial reaches it."""

    init: float = 0.4
    gain: float = 2.5
    min: float = 0.2
    tau: float = 10.0
    lrn_max: float = 0.5
    lrn_min: float = 0.0001
    err_mod: bool = True
    mod_min: float = 0.01
    lrn_min_offset: bool = False
    lay_act_thr: float = 0.01
    dt: float = field(init=False, repr=False, default=0.0)
    lrn_fact: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "tau", self.tau >= 1, ">= 1")
        _check(self, "gain", self.gain > self.min, "> min")
        _set(self, "dt", 1 / self.tau)
        _set(self, "lrn_fact", (self.lrn_max - self.lrn_min) / (self.gain - self.min))


@dataclass(frozen=True)
class CosDiffParams:
    """Running average of the layer's minus/plus cosine (Go ``CosDiffParams``)."""

    tau: float = 100.0
    dt: float = field(init=False, repr=False, default=0.0)
    dt_c: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "tau", self.tau >= 1, ">= 1")
        _set(self, "dt", 1 / self.tau)
        _set(self, "dt_c", 1 - 1 / self.tau)


@dataclass(frozen=True)
class LearnNeurParams:
    """Unit-level learning (Go ``LearnNeurParams``)."""

    act_avg: LrnActAvgParams = field(default_factory=LrnActAvgParams)
    avg_l: AvgLParams = field(default_factory=AvgLParams)
    cos_diff: CosDiffParams = field(default_factory=CosDiffParams)


#: The unit equations a layer can run: Go emergent v1's or C++ emergent 8.5's.
EQUATIONS = ("go_v1", "cpp85")


@dataclass(frozen=True)
class LayerParams:
    """All parameters of one layer (Go ``Layer.Act``, ``Layer.Inhib``, ``Layer.Learn``).

    ``equations``: "go_v1" (Go emergent v1) or "cpp85" (C++ emergent 8.5's rate code: two
    membrane potentials, learning on act_nd, its hard clamp, the AvgL gate; set by the
    "cpp85" flavour; ``docs/network_model.md``, "The cpp85 flavour")."""

    act: ActParams = field(default_factory=ActParams)
    inhib: InhibParams = field(default_factory=InhibParams)
    learn: LearnNeurParams = field(default_factory=LearnNeurParams)
    equations: str = "go_v1"

    def __post_init__(self) -> None:
        _check(self, "equations", self.equations in EQUATIONS, f"one of {EQUATIONS}")
        if self.equations == "cpp85" and self.act.kna.on:
            raise ValueError(
                "LayerParams: act.kna.on with the cpp85 equations is not modelled (C++ 8.5's "
                "kna_misc changes clamped and learning activities; see docs/network_model.md)"
            )


# ----------------------------------------------------------------------------- learn (synapses)


@dataclass(frozen=True)
class XCalParams:
    """XCAL check-mark learning function (Go ``XCalParams``).  C++ emergent 7's ``thr_l_mix``
    is not a Go v1 parameter: the mix of error-driven and BCM terms is ``m_lrn`` and the
    receiver's AvgLLrn (or ``l_lrn`` with ``set_l_lrn``)."""

    m_lrn: float = 1.0
    set_l_lrn: bool = False
    l_lrn: float = 1.0
    d_rev: float = 0.1
    d_thr: float = 0.0001
    lrn_thr: float = 0.01
    d_rev_ratio: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "d_rev", 0 <= self.d_rev < 1, "in [0, 1)")
        _check(self, "m_lrn", self.m_lrn >= 0, ">= 0")
        _set(self, "d_rev_ratio", -(1 - self.d_rev) / self.d_rev if self.d_rev > 0 else -1.0)


@dataclass(frozen=True)
class WtSigParams:
    """Sigmoidal contrast enhancement of weights (Go ``WtSigParams``)."""

    gain: float = 6.0
    off: float = 1.0
    soft_bound: bool = True

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "gain", self.gain > 0, "> 0")
        _check(self, "off", self.off > 0, "> 0")


@dataclass(frozen=True)
class DWtNormParams:
    """Normalisation of weight changes by their running max |dwt| (Go ``DWtNormParams``)."""

    on: bool = True
    decay_tau: float = 1000.0
    norm_min: float = 0.001
    lr_comp: float = 0.15
    decay_dt: float = field(init=False, repr=False, default=0.0)
    decay_dt_c: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "decay_tau", self.decay_tau >= 1, ">= 1")
        _check(self, "norm_min", self.norm_min > 0, "> 0")
        _set(self, "decay_dt", 1 / self.decay_tau)
        _set(self, "decay_dt_c", 1 - 1 / self.decay_tau)


@dataclass(frozen=True)
class MomentumParams:
    """Momentum of weight changes (Go ``MomentumParams``)."""

    on: bool = True
    m_tau: float = 10.0
    lr_comp: float = 0.1
    m_dt: float = field(init=False, repr=False, default=0.0)
    m_dt_c: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "m_tau", self.m_tau >= 1, ">= 1")
        _set(self, "m_dt", 1 / self.m_tau)
        _set(self, "m_dt_c", 1 - 1 / self.m_tau)


@dataclass(frozen=True)
class WtBalParams:
    """Weight balance (Go ``WtBalParams``); recomputed every ``Network.wt_bal_interval``
    weight updates."""

    on: bool = False
    targs: bool = False
    avg_thr: float = 0.25
    hi_thr: float = 0.4
    hi_gain: float = 4.0
    lo_thr: float = 0.4
    lo_gain: float = 6.0

    def __post_init__(self) -> None:
        _finite(self)


@dataclass(frozen=True)
class LearnSynParams:
    """Synapse-level learning of a projection (Go ``LearnSynParams``)."""

    learn: bool = True
    lrate: float = 0.04
    xcal: XCalParams = field(default_factory=XCalParams)
    wt_sig: WtSigParams = field(default_factory=WtSigParams)
    norm: DWtNormParams = field(default_factory=DWtNormParams)
    momentum: MomentumParams = field(default_factory=MomentumParams)
    wt_bal: WtBalParams = field(default_factory=WtBalParams)

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "lrate", self.lrate >= 0, ">= 0")


@dataclass(frozen=True)
class WtInitParams:
    """Initial weights (Go ``WtInitParams``): ``dist`` "uniform" (mean +- var) or
    "gaussian" (mean, sd var), clipped to [0, 1]; ``sym`` copies a forward projection's
    weights into its reciprocal."""

    mean: float = 0.5
    var: float = 0.25
    dist: str = "uniform"
    sym: bool = True

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "var", self.var >= 0, ">= 0")
        _check(self, "dist", self.dist in ("uniform", "gaussian"), "'uniform' or 'gaussian'")


@dataclass(frozen=True)
class WtScaleParams:
    """Net-input scaling (Go ``WtScaleParams``): ``abs`` multiplies, ``rel`` is normalised
    over the receiving layer's projections."""

    abs: float = 1.0
    rel: float = 1.0

    def __post_init__(self) -> None:
        _finite(self)
        _check(self, "abs", self.abs >= 0, ">= 0")
        _check(self, "rel", self.rel >= 0, ">= 0")


@dataclass(frozen=True)
class PrjnParams:
    """All parameters of one projection (Go ``Prjn.WtInit``, ``WtScale``, ``Learn``)."""

    wt_init: WtInitParams = field(default_factory=WtInitParams)
    wt_scale: WtScaleParams = field(default_factory=WtScaleParams)
    learn: LearnSynParams = field(default_factory=LearnSynParams)


# ----------------------------------------------------------------------------- dotted paths


def _fields(obj: Any) -> set[str]:
    if not dataclasses.is_dataclass(obj):
        return set()
    return {f.name for f in dataclasses.fields(obj) if f.init}


def get_path(obj: Any, path: str) -> Any:
    """Value at a dotted field path such as ``"act.gbar.l"`` (KeyError naming the path)."""
    cur = obj
    for part in path.split("."):
        names = _fields(cur)
        if part not in names:
            raise KeyError(
                f"unknown parameter path {path!r} (at {part!r}; "
                f"fields of {type(cur).__name__}: {sorted(names)})"
            )
        cur = getattr(cur, part)
    return cur


def with_path(obj: Any, path: str, value: Any) -> Any:
    """Copy of ``obj`` with the field at dotted ``path`` replaced, validated; errors name the
    full path (KeyError for unknown paths, ValueError for bad values)."""
    if not isinstance(path, str) or not path:
        raise KeyError(f"parameter path must be a non-empty str, got {path!r}")
    if dataclasses.is_dataclass(get_path(obj, path)):
        raise ValueError(f"parameter {path!r} is a group; set one of its fields")
    try:
        return _replace(obj, path.split("."), value)
    except ValueError as exc:
        raise ValueError(f"parameter {path!r}: {exc}") from None


def _replace(obj: Any, parts: list[str], value: Any) -> Any:
    head = parts[0]
    new = value if len(parts) == 1 else _replace(getattr(obj, head), parts[1:], value)
    return dataclasses.replace(obj, **{head: new})


# ----------------------------------------------------------------------------- flavours

#: Parameter differences of the flavours, as dotted overrides of the Go v1 defaults.
#: "go_v1" (default): Go emergent v1 (github.com/emer/leabra v1.2.x).  "cpp85": C++ emergent
#: 8.5's defaults where they differ from Go v1 (ss_tau 4, g_bar.l .2, g_bar.k .2, WtBal on,
#: AvgLLrn with the LrnMin offset) and its unit equations (``LayerParams.equations``).
FLAVOURS: dict[str, dict[str, dict[str, Any]]] = {
    "go_v1": {"layer": {}, "prjn": {}},
    "cpp85": {
        "layer": {
            "equations": "cpp85",
            "learn.act_avg.ss_tau": 4.0,
            "act.gbar.l": 0.2,
            "act.gbar.k": 0.2,
            "learn.avg_l.lrn_min_offset": True,
        },
        "prjn": {"learn.wt_bal.on": True},
    },
}


def flavour_overrides(flavour: str) -> dict[str, dict[str, Any]]:
    """The overrides of ``flavour`` ("go_v1" or "cpp85")."""
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour must be one of {sorted(FLAVOURS)}, got {flavour!r}")
    return FLAVOURS[flavour]
