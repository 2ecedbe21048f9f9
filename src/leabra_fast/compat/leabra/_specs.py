"""Parameter objects of the compat API, with leabra-psyneulink 0.3.2's names and defaults."""

from __future__ import annotations

import copy
import math
import random
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .. import _engine as E

INPUT = 0
HIDDEN = 1
OUTPUT = 2

#: bumped by every parameter change, so a network re-reads its parameters only when needed
_VERSION = [0]


class CompatArgumentError(TypeError, AssertionError):
    """A bad argument.  Also an AssertionError, which is what leabra-psyneulink raises."""


class _Spec:
    """Attribute changes bump the global parameter version; unknown keywords are errors."""

    _DEFAULTS: ClassVar[dict[str, Any]] = {}

    if TYPE_CHECKING:  # the parameters are set from _DEFAULTS
        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, **kwargs: Any) -> None:
        for k, v in self._DEFAULTS.items():
            object.__setattr__(self, k, v)
        for key, value in kwargs.items():
            if key not in self._DEFAULTS:
                raise CompatArgumentError(
                    f"{type(self).__name__}: the {key!r} parameter does not exist")
            object.__setattr__(self, key, value)
        _VERSION[0] += 1

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        _VERSION[0] += 1

    def copy(self) -> Any:
        """A copy of the spec."""
        return copy.deepcopy(self)

    def _num(self, name: str) -> float:
        v = getattr(self, name)
        if isinstance(v, bool):
            return float(v)
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise CompatArgumentError(
                f"{type(self).__name__}.{name} must be a real number, got {v!r}") from None
        if not math.isfinite(f):
            raise CompatArgumentError(f"{type(self).__name__}.{name} must be finite, got {v!r}")
        return f


class UnitSpec(_Spec):
    """Unit parameters (leabra-psyneulink's UnitSpec: same names, same defaults)."""

    _DEFAULTS: ClassVar[dict[str, Any]] = dict(
        tau_net=1.4, tau_v_m=3.3, g_l=1.0, g_bar_e=1.0, g_bar_l=0.1, g_bar_i=1.0,
        e_rev_e=1.0, e_rev_l=0.3, e_rev_i=0.25, act_thr=0.5, act_gain=100, noisy_act=True,
        act_sd=0.01, act_min=0.0, act_max=0.95, spk_thr=1.2, v_m_init=0.4, v_m_r=0.3,
        v_m_min=0.0, v_m_max=2.0, adapt_on=False, dt_adapt=1 / 144., v_m_gain=0.04,
        spike_gain=0.00805, bias=0.0, avg_init=0.15, avg_ss_dt=0.5, avg_s_dt=0.5,
        avg_m_dt=0.1, avg_l_dt=0.1, avg_l_init=0.4, avg_l_min=0.2, avg_l_gain=2.5,
        avg_m_in_s=0.1, avg_lrn_min=0.0001, avg_lrn_max=0.5,
    )

    @property
    def dt_net(self) -> float:
        return 1.0 / self.tau_net

    @property
    def dt_v_m(self) -> float:
        return 1.0 / self.tau_v_m

    def avg_l_lrn(self, unit: Any) -> float:
        """Weight of the BCM term for ``unit``: 0 outside hidden layers, else linear in avg_l."""
        if unit.genre != HIDDEN:
            return 0.0
        fact = (self.avg_lrn_max - self.avg_lrn_min) / (self.avg_l_gain - self.avg_l_min)
        return self.avg_lrn_min + fact * (unit.avg_l - self.avg_l_min)

    def xx1(self, v_m: float) -> float:
        """x / (x + 1) of ``act_gain * max(v_m, 0)``."""
        x = self.act_gain * max(v_m, 0.0)
        return x / (x + 1)

    def noisy_xx1(self, v_m: float) -> float:
        """The noisy XX1 function (lookup table, linear interpolation), as the package."""
        x, y = E.nxx1_table(self._num("act_sd"), self._num("act_gain"))
        g = np.array([float(self.act_gain)])
        return float(E._nxx1(x, y, len(x), g, np.array([float(v_m)]))[0])

    def params(self) -> list[float]:
        """The values of the packed parameter rows (``_engine.UNIT_PARAMS``)."""
        if self._num("avg_l_gain") == self._num("avg_l_min"):
            raise CompatArgumentError("UnitSpec.avg_l_gain must differ from avg_l_min (avg_l_lrn "
                                      "divides by their difference)")
        out = []
        for name in E.UNIT_PARAMS:
            if name == "dt_net":
                out.append(1.0 / self._num("tau_net"))
            elif name == "dt_v_m":
                out.append(1.0 / self._num("tau_v_m"))
            else:
                out.append(self._num(name))
        return out


class LayerSpec(_Spec):
    """Layer parameters (leabra-psyneulink's LayerSpec)."""

    _DEFAULTS: ClassVar[dict[str, Any]] = dict(
        lay_inhib=True, fb_dt=1 / 1.4, fb=1.0, ff=1.0, g_i=1.8, trial_decay=1.0, ff0=0.1,
        avg_act_targ_init=0.2, avg_act_adjust=1.0, avg_act_fixed=False,
        avg_act_use_first=False, avg_act_tau=False,
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        object.__setattr__(self, "cycle_count", 0)

    def params(self) -> list[float]:
        return [self._num(n) for n in E.LAYER_PARAMS]


class ConnectionSpec(_Spec):
    """Connection parameters (leabra-psyneulink's ConnectionSpec)."""

    legal_proj = ("full", "1to1")

    _DEFAULTS: ClassVar[dict[str, Any]] = dict(
        inhib=False, proj="full", rnd_type="uniform", rnd_mean=0.5, rnd_var=0.25,
        lrule=None, lrate=0.01, m_lrn=1.0, d_thr=0.0001, d_rev=0.1, sig_off=1.0,
        sig_gain=6.0, wt_scale_abs=1.0, wt_scale_rel=1.0,
    )

    def _rnd_wt(self) -> float:
        """One initial weight from Python's global ``random``, as the package draws it."""
        if self.rnd_type == "uniform":
            return random.uniform(self.rnd_mean - self.rnd_var, self.rnd_mean + self.rnd_var)
        if self.rnd_type == "gaussian":
            return random.gauss(self.rnd_mean, np.sqrt(self.rnd_var))
        raise CompatArgumentError(
            f"ConnectionSpec.rnd_type must be 'uniform' or 'gaussian', got {self.rnd_type!r}")

    def xcal(self, x: float, th: float) -> float:
        """XCAL's check-mark function."""
        if x < self.d_thr:
            return 0
        if x > th * self.d_rev:
            return x - th
        return -x * ((1 - self.d_rev) / self.d_rev)

    def sig(self, w: float) -> float:
        """Contrast enhancement of a linear weight."""
        return 1 / (1 + (self.sig_off * (1 - w) / w) ** self.sig_gain)

    def sig_inv(self, w: float) -> float:
        """Inverse of :meth:`sig` (0 and 1 outside (0, 1))."""
        if w <= 0.0:
            return 0.0
        if w >= 1.0:
            return 1.0
        return 1 / (1 + ((1 - w) / w) ** (1 / self.sig_gain) / self.sig_off)


class NetworkSpec(_Spec):
    """Network parameters: ``quarter_size``, the number of cycles in a quarter (25)."""

    _DEFAULTS: ClassVar[dict[str, Any]] = dict(quarter_size=25)

    def __init__(self, quarter_size: int = 25, **kwargs: Any) -> None:
        super().__init__(quarter_size=quarter_size, **kwargs)
