"""Parameters of the seed model: the constants of the seed notebook, by its own names.

Every field below is one constant of the notebook's cells, with the notebook's
value as its default.  The class is frozen and validated on construction, so a
``SeedParams`` that exists is one the kernels can run without further checks.
Derived rates (products such as ``dt_integ * dt_vm_dt``) are computed once,
when a backend builds its constants, never per cycle.

Departures of the notebook from emergent's canonical equations (see
``docs/seed_model.md``) are reproduced here on purpose; each is named in the
field's description.  The canonical equations are a separate model.
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..core.paramspec import (
    ParameterError,
    ParamsMixin,
    check_derived,
    check_fields,
    check_per_unit,
    param,
    with_suggestions,
)

__all__ = ["ParameterError", "SeedParams", "derived_constants"]


_p = param  # short name for the many field declarations below


@with_suggestions
@dataclass(frozen=True)
class SeedParams(ParamsMixin):
    """Constants of the seed notebook's neuron and synapse.

    All values are in the notebook's normalised units (potentials and
    conductances scaled to [0, 1]-ish ranges, time in cycles of 1 ms).
    Construct with keyword arguments to override any default; every value is
    checked and a :class:`ParameterError` names the first bad field.

    Examples
    --------
    >>> p = SeedParams(lrate=0.05)
    >>> p.m_lrn            # the notebook finally sets m_lrn = 0
    0.0
    >>> p.replace(m_lrn=1.0).m_lrn
    1.0
    """

    # --- integration ------------------------------------------------------
    dt_integ: float = _p(1.0, "rate", "Global integration time step (1 = 1 ms cycle).")
    dt_net_dt: float = _p(
        1 / 1.4,
        "rate",
        "Rate at which net integrates net_raw: net += dt_integ*dt_net_dt*(net_raw-net).",
    )
    dt_vm_dt: float = _p(
        1 / 3.3, "rate", "Membrane rate: v_m += dt_integ*dt_vm_dt*(I_net - adapt)."
    )
    noise: float = _p(
        0.0, "finite", "Constant current added to I_net (the notebook's `noise`, 0; not random)."
    )

    # --- conductances and reversal potentials ----------------------------
    gc_l: float = _p(0.1, "nonneg", "Leak conductance in I_net (emergent default 0.1).")
    e_rev_e: float = _p(1.0, "finite", "Excitatory reversal potential (normalised).")
    e_rev_l: float = _p(0.3, "finite", "Leak reversal potential; also the adaptation's rest point.")
    e_rev_i: float = _p(
        0.25,
        "finite",
        "Inhibitory reversal potential; used only when gc_i_reversal='e_rev_i'.",
    )
    gc_i_reversal: Literal["e_rev_e", "e_rev_i"] = field(
        default="e_rev_e",
        metadata={
            "rule": "choice",
            "doc": "Driving force of the inhibitory current. Seed quirk: the notebook writes "
            "gc_i*(e_rev_e - v_m); 'e_rev_i' gives the physiological gc_i*(e_rev_i - v_m).",
        },
    )

    # --- AdEx exponential term, spiking ----------------------------------
    thr: float = _p(0.5, "finite", "Rate-code threshold; the AdEx term's exponential threshold.")
    exp_slope: float = _p(
        0.02, "pos", "AdEx slope: I_net += g_bar_l*exp_slope*exp((v_m-thr)/exp_slope)."
    )
    g_bar_l: float = _p(
        0.3, "nonneg", "Leak conductance scaling the AdEx term (seed: not in the leak)."
    )
    spk_thr: float = _p(1.2, "finite", "Spike threshold on v_m (emergent default 1.2).")
    vm_r: float = _p(0.3, "finite", "Reset potential after a spike.")

    # --- adaptation -------------------------------------------------------
    adapt_dt: float = _p(
        1 / 144,
        "rate",
        "Adaptation rate. Seed quirk: adapt += (vm_gain*(v_m-e_rev_l) + spike*spike_gain) "
        "/ (1/adapt_dt), with no decay term and spike_gain also scaled by adapt_dt.",
    )
    vm_gain: float = _p(0.04, "nonneg", "Sub-threshold adaptation: gain on v_m - e_rev_l.")
    spike_gain: float = _p(0.00805, "nonneg", "Spike-triggered adaptation increment.")

    # --- running averages -------------------------------------------------
    ss_dt: float = _p(0.5 / 5, "rate", "avg_ss rate (.5/sdc with sdc = 5; emergent .5).")
    s_dt: float = _p(0.5 / 5, "rate", "avg_s rate (.5/sdc; emergent .5).")
    m_dt: float = _p(0.1 / 5, "rate", "avg_m rate (.1/sdc; emergent .1).")
    l_dt: float = _p(
        0.1 / 5,
        "rate",
        "avg_l rate (.1/sdc). Seed quirk: avg_l += l_dt*(avg_m - avg_l) once per trial, "
        "at cycle 0, with no gain and no floor.",
    )
    avg_l_min: float = _p(0.2, "finite", "avg_l floor, used only inside avg_l_lrn in the seed.")
    avg_l_max: float = _p(1.5, "pos", "avg_l ceiling, used only inside avg_l_lrn in the seed.")
    avg_l_lrn_min: float = _p(0.005, "nonneg", "Smallest BCM (avg_l) learning weight.")
    avg_l_lrn_max: float = _p(0.05, "nonneg", "Largest BCM (avg_l) learning weight.")
    m_in_s: float = _p(0.1, "unit", "Fraction of avg_m mixed into avg_s_eff.")

    # --- XCAL learning ----------------------------------------------------
    lrate: float = _p(0.1, "nonneg", "Learning rate; learning happens every cycle in the seed.")
    m_lrn: float = _p(
        0.0, "nonneg", "Weight of the error-driven XCAL(srs, srm) term (notebook finally sets 0)."
    )
    d_thr: float = _p(0.0001, "nonneg", "XCAL: below this srs no weight change.")
    d_rev: float = _p(0.1, "open_unit", "XCAL: reversal point as a fraction of the threshold.")

    # --- weight contrast enhancement (SIG) ---------------------------------
    gain: float = _p(1.5, "nonneg", "SIG exponent (seed 1.5; emergent uses 6).")
    off: float = _p(
        1.0, "pos", "SIG offset multiplying (1 - fwt); the notebook defines 1 and SIG omits it."
    )
    sig_eps: float = _p(
        0.01, "nonneg", "Seed quirk: SIG divides by (fwt + sig_eps), the notebook's +.01."
    )

    # --- initial state ----------------------------------------------------
    v_m_init: float = _p(0.3, "finite", "Initial membrane potential.")
    fwt_init: float = _p(0.5, "unit", "Initial linear weight fwt of every synapse.")
    wt_init: float = _p(0.5, "unit", "Initial effective weight wt of every synapse.")

    def __post_init__(self) -> None:
        check_fields(self, {"gc_i_reversal": ("e_rev_e", "e_rev_i")})
        if check_per_unit(self):
            return  # each distinct parameter set was built, and checked, as scalars
        self._check_combined()

    def _check_combined(self) -> None:
        """The checks across fields of a scalar parameter set (its fields already valid)."""
        if self.dt_integ * self.dt_vm_dt > 1.0 or self.dt_integ * self.dt_net_dt > 1.0:
            raise ParameterError(
                "SeedParams: dt_integ * dt_vm_dt and dt_integ * dt_net_dt must be <= 1"
            )
        if self.avg_l_lrn_min > self.avg_l_lrn_max:
            raise ParameterError(
                f"SeedParams.avg_l_lrn_min ({self.avg_l_lrn_min}) must be <= "
                f"avg_l_lrn_max ({self.avg_l_lrn_max})"
            )
        if self.avg_l_min > self.avg_l_max:
            raise ParameterError(
                f"SeedParams.avg_l_min ({self.avg_l_min}) must be <= avg_l_max ({self.avg_l_max})"
            )
        check_derived(self, lambda p: derived_constants(p, 1))

    def _check_combined_units(self, fields: dict[str, Any]) -> bool:
        """:meth:`_check_combined` on every unit at once (``fields``: scalars and per-unit
        arrays by name): True when every unit passes.  NumPy rounds these products and
        quotients as Python does, so it accepts exactly the sets the scalar check does;
        on False the caller finds the bad set with the scalar check and its message."""
        if isinstance(fields["gc_i_reversal"], np.ndarray):
            return False  # a choice per unit: left to the scalar check
        f = types.SimpleNamespace(**fields)
        with np.errstate(all="ignore"):
            ok = (f.dt_integ * f.dt_vm_dt <= 1.0) & (f.dt_integ * f.dt_net_dt <= 1.0)
            ok = ok & (f.avg_l_lrn_min <= f.avg_l_lrn_max) & (f.avg_l_min <= f.avg_l_max)
            try:
                derived = derived_constants(f, 1)  # type: ignore[arg-type]
            except (ZeroDivisionError, OverflowError, ValueError, FloatingPointError):
                return False
            for value in derived.values():
                ok = ok & np.isfinite(value)
        return bool(np.all(ok))

    @classmethod
    def from_sdc(cls, sdc: float = 5.0, **overrides: Any) -> SeedParams:
        """Parameters with the running-average rates derived from ``sdc`` as the notebook does.

        ``ss_dt = s_dt = .5/sdc`` and ``m_dt = l_dt = .1/sdc``.
        """
        if isinstance(sdc, bool) or not isinstance(sdc, int | float):
            raise ParameterError(f"sdc must be a number >= 1, got {sdc!r}")
        try:
            sdc = float(sdc)
        except OverflowError:  # a Python int beyond the float range
            raise ParameterError("sdc must be a finite number >= 1, got a huge int") from None
        if not 1.0 <= sdc < math.inf:
            raise ParameterError(f"sdc must be a finite number >= 1, got {sdc!r}")
        rates: dict[str, Any] = {
            "ss_dt": 0.5 / sdc,
            "s_dt": 0.5 / sdc,
            "m_dt": 0.1 / sdc,
            "l_dt": 0.1 / sdc,
        }
        rates.update(overrides)
        return cls(**rates)


def derived_constants(p: SeedParams, n_inputs: int) -> dict[str, float]:
    """The constants both backends use, computed once per run (emergent's ``Update()``).

    Every product is formed in the order the notebook evaluates it, so each
    derived value has the same bits as the notebook's inline expression (for
    example ``dt_integ * dt_vm_dt * (I_net - adapt)`` is ``k_vm * (I_net - adapt)``
    because Python multiplies left to right).
    """
    return {
        "k_net": p.dt_integ * p.dt_net_dt,
        "k_vm": p.dt_integ * p.dt_vm_dt,
        "noise": p.noise,
        "gc_l": p.gc_l,
        "e_rev_e": p.e_rev_e,
        "e_rev_l": p.e_rev_l,
        "e_inh": p.e_rev_e if p.gc_i_reversal == "e_rev_e" else p.e_rev_i,
        "thr": p.thr,
        "exp_slope": p.exp_slope,
        "k_exp": p.g_bar_l * p.exp_slope,
        "spk_thr": p.spk_thr,
        "vm_r": p.vm_r,
        "vm_gain": p.vm_gain,
        "spike_gain": p.spike_gain,
        # The notebook divides by 144 = 1/adapt_dt; 1/(1/144) == 144.0 exactly.
        "adapt_div": 1.0 / p.adapt_dt,
        "k_ss": p.dt_integ * p.ss_dt,
        "k_s": p.dt_integ * p.s_dt,
        "k_m": p.dt_integ * p.m_dt,
        "l_dt": p.l_dt,
        "avg_l_min": p.avg_l_min,
        "avg_l_lrn_min": p.avg_l_lrn_min,
        # Seed quirk, the notebook's parenthesisation: (lrn_max - lrn_min)/l_max - l_min.
        "lrn_fac": (p.avg_l_lrn_max - p.avg_l_lrn_min) / p.avg_l_max - p.avg_l_min,
        "m_in_s": p.m_in_s,
        "one_m_in_s": 1.0 - p.m_in_s,
        "lrate": p.lrate,
        "m_lrn": p.m_lrn,
        "d_thr": p.d_thr,
        "d_rev": p.d_rev,
        "rev_fac": (1.0 - p.d_rev) / p.d_rev,
        "gain": p.gain,
        "off": p.off,
        "sig_eps": p.sig_eps,
        "inv_n_inputs": 1.0 / n_inputs,
    }
