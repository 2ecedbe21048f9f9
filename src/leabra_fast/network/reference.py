"""NumPy reference backend of the network: Go emergent v1's algorithm, vectorised over units
and the batch axis.

Every state array has the batch axis first: units ``(n_batch, n_units)``, pools
``(n_batch, 1 + n_pools)`` (pool 0 is the layer), synapses ``(n_batch, n_recv, n_send)``
(zero where the mask has no connection).  Arithmetic runs in the network's dtype; in float32
every constant is rounded as Go rounds it (``dt = integ / tau`` computed in float32), so the
float32 backend reproduces Go's float32 values.

Sources (github.com/emer/leabra, v1): ``leabra/network.go`` (Cycle order), ``layer.go``
(AlphaCycInit, SendGDelta, GFmInc, AvgMaxGe, InhibFmGeAct, ActFmG, AvgMaxAct, QuarterFinal,
CosDiffFmActs, GScaleFmAvgAct), ``act.go`` (GeFmRaw, VmFmG, ActFmG, HardClamp, DecayState,
SLayActScale), ``fffb/fffb.go``, ``nxx1/nxx1.go``, ``learn.go`` (AvgsFmAct, AvgLFmAvgM,
XCal, WtSig, Norm, Momentum, WtBal), ``prjn.go`` (SendGDelta, DWt, WtFmDWt, WtBalFmWt).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .built import BuiltNetwork
from .params import NOISE_TYPES

__all__ = [
    "LayerConsts",
    "PrjnConsts",
    "alpha_cyc_init",
    "cycle",
    "dwt",
    "init_layer_state",
    "init_prjn_state",
    "init_weights",
    "nxx1",
    "quarter_final",
    "sig_fun",
    "sig_inv_fun",
    "wt_bal_from_wt",
    "wt_from_dwt",
]


class _Consts:
    """Parameters as scalars of the backend's float type (derived rates computed in it)."""

    def __init__(self, dtype: np.dtype) -> None:
        self.f = np.dtype(dtype).type



class LayerConsts(_Consts):
    def __init__(self, p: Any, dtype: np.dtype) -> None:
        super().__init__(dtype)
        f = self.f
        a, x = p.act, p.act.xx1
        self.thr, self.gain, self.n_var = f(x.thr), f(x.gain), f(x.n_var)
        self.vm_act_thr = f(x.vm_act_thr)
        self.interp_range, self.gain_cor_range, self.gain_cor = (
            f(x.interp_range),
            f(x.gain_cor_range),
            f(x.gain_cor),
        )
        self.sig_gain_nvar = f(x.sig_gain) / f(x.n_var)
        # Go's math32.Pow: float64 pow of the float32 arguments, rounded back
        self.sig_mult_eff = f(x.sig_mult) * f(
            np.float64(f(x.gain) * f(x.n_var)) ** np.float64(f(x.sig_mult_pow))
        )
        self.sig_val_at_0 = f(0.5) * self.sig_mult_eff
        self.interp_val = (
            _xx1_gain_cor(self, np.asarray([self.interp_range], dtype=dtype))[0] - self.sig_val_at_0
        )
        self.send, self.delta = f(a.opt_thresh.send), f(a.opt_thresh.delta)
        self.decay, self.init_vm, self.init_act, self.init_ge = (
            f(a.init.decay),
            f(a.init.vm),
            f(a.init.act),
            f(a.init.ge),
        )
        self.vm_dt = f(a.dt.integ) / f(a.dt.vm_tau)
        self.g_dt = f(a.dt.integ) / f(a.dt.g_tau)
        self.avg_dt = f(1) / f(a.dt.avg_tau)
        self.gbar_e, self.gbar_l, self.gbar_i, self.gbar_k = (
            f(a.gbar.e),
            f(a.gbar.l),
            f(a.gbar.i),
            f(a.gbar.k),
        )
        self.erev_e, self.erev_l, self.erev_i, self.erev_k = (
            f(a.erev.e),
            f(a.erev.l),
            f(a.erev.i),
            f(a.erev.k),
        )
        self.erev_sub_thr_i = self.erev_i - self.thr
        self.erev_sub_thr_l = self.erev_l - self.thr
        self.erev_sub_thr_k = self.erev_k - self.thr
        self.thr_sub_erev_e = self.thr - self.erev_e
        self.hard = a.clamp.hard
        self.clamp_min, self.clamp_max = f(a.clamp.range_min), f(a.clamp.range_max)
        self.clamp_gain, self.clamp_avg, self.clamp_avg_gain = (
            f(a.clamp.gain),
            a.clamp.avg,
            f(a.clamp.avg_gain),
        )
        self.vm_min, self.vm_max = f(a.vm_min), f(a.vm_max)
        self.lay_fffb = _fffb_consts(p.inhib.layer, f)
        self.pool_fffb = _fffb_consts(p.inhib.pool, f)
        s = p.inhib.self_inhib
        self.self_on, self.self_gi, self.self_dt = s.on, f(s.gi), f(1) / f(s.tau)
        aa = p.inhib.act_avg
        self.aa_init, self.aa_fixed, self.aa_use_first = f(aa.init), aa.fixed, aa.use_first
        self.aa_dt, self.aa_adjust = f(1) / f(aa.tau), f(aa.adjust)
        la = p.learn.act_avg
        self.ss_dt, self.s_dt, self.m_dt = (
            f(1) / f(la.ss_tau),
            f(1) / f(la.s_tau),
            f(1) / f(la.m_tau),
        )
        self.lrn_m = f(la.lrn_m)
        self.lrn_s = f(1) - self.lrn_m
        self.avg_init = f(la.init)
        al = p.learn.avg_l
        self.avg_l_init, self.avg_l_gain, self.avg_l_min = f(al.init), f(al.gain), f(al.min)
        self.avg_l_dt = f(1) / f(al.tau)
        self.lrn_min = f(al.lrn_min)
        self.lrn_fact = (f(al.lrn_max) - f(al.lrn_min)) / (f(al.gain) - f(al.min))
        self.lrn_min_offset = al.lrn_min_offset
        self.err_mod, self.mod_min = al.err_mod, f(al.mod_min)
        cd = p.learn.cos_diff
        self.cd_dt = f(1) / f(cd.tau)
        self.cd_dt_c = f(1) - self.cd_dt
        kn = a.kna
        self.kna_on, self.kna_rate = kn.on, f(kn.rate)
        # (on, rise, max, dt) of each channel
        self.kna_fast, self.kna_med, self.kna_slow = (
            (kc.on, f(kc.rise), f(kc.max), f(1) / f(kc.tau)) for kc in (kn.fast, kn.med, kn.slow)
        )
        self.cpp85 = p.equations == "cpp85"
        self.vm_r, self.t_r = f(a.spike_misc.vm_r), a.spike_misc.t_r
        self.lay_act_thr = f(al.lay_act_thr)
        nz = a.noise
        self.noise_type = NOISE_TYPES.index(nz.type)
        self.noise_gauss, self.noise_fixed = nz.dist == "gaussian", nz.fixed
        self.noise_mean, self.noise_var = float(nz.mean), float(nz.var)


def _fffb_consts(fb: Any, f: Any) -> dict[str, Any]:
    return {
        "on": fb.on,
        "gi": f(fb.gi),
        "ff": f(fb.ff),
        "fb": f(fb.fb),
        "fb_dt": f(1) / f(fb.fb_tau),
        "mva": f(fb.max_vs_avg),
        "ff0": f(fb.ff0),
    }


class PrjnConsts(_Consts):
    def __init__(self, p: Any, dtype: np.dtype) -> None:
        super().__init__(dtype)
        f = self.f
        ln = p.learn
        self.learn, self.lrate = ln.learn, f(ln.lrate)
        xc = ln.xcal
        self.m_lrn, self.set_l_lrn, self.l_lrn = f(xc.m_lrn), xc.set_l_lrn, f(xc.l_lrn)
        self.d_rev, self.d_thr, self.lrn_thr = f(xc.d_rev), f(xc.d_thr), f(xc.lrn_thr)
        self.d_rev_ratio = (-(f(1) - self.d_rev) / self.d_rev) if xc.d_rev > 0 else f(-1)
        self.sig_gain, self.sig_off, self.soft_bound = (
            f(ln.wt_sig.gain),
            f(ln.wt_sig.off),
            ln.wt_sig.soft_bound,
        )
        nm = ln.norm
        self.norm_on, self.norm_min, self.norm_lr_comp = nm.on, f(nm.norm_min), f(nm.lr_comp)
        self.norm_decay_dt_c = f(1) - f(1) / f(nm.decay_tau)
        mo = ln.momentum
        self.mom_on, self.mom_lr_comp = mo.on, f(mo.lr_comp)
        self.mom_dt_c = f(1) - f(1) / f(mo.m_tau)
        wb = ln.wt_bal
        self.wb_on, self.wb_targs = wb.on, wb.targs
        self.wb_avg_thr, self.wb_hi_thr, self.wb_hi_gain = (
            f(wb.avg_thr),
            f(wb.hi_thr),
            f(wb.hi_gain),
        )
        self.wb_lo_thr, self.wb_lo_gain = f(wb.lo_thr), f(wb.lo_gain)
        self.abs, self.rel = f(p.wt_scale.abs), f(p.wt_scale.rel)


# ----------------------------------------------------------------------------- functions


def _xx1_gain_cor(c: LayerConsts, x: np.ndarray) -> np.ndarray:
    gcf = (c.gain_cor_range - (x / c.n_var)) / c.gain_cor_range
    g = np.where(gcf < 0, c.gain, c.gain * (c.f(1) - c.gain_cor * gcf))
    gx = g * x
    return gx / (gx + c.f(1))


_VM_NOISE, _GE_NOISE, _ACT_NOISE, _GE_MULT_NOISE = (
    NOISE_TYPES.index(t) for t in ("vm", "ge", "act", "ge_mult")
)

_SHIFT = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer


def _exp(x: np.ndarray) -> np.ndarray:
    """exp within ~1 ulp, bit for bit the compiled kernels' ``lf_exp``
    (``leabra_fast/core/_lf_math.pxd``: Cody-Waite reduction, degree-13 polynomial by
    Estrin's scheme, compensated final sums, scaling by two powers of 2).  NumPy's own
    ``exp`` differs from it (and from libm) by an ulp in a few percent of arguments, and
    an ulp early in a trial can move a unit across a sending threshold later, so the
    oracle uses the kernel's exp.  Only +, -, * and bit operations: NumPy rounds each as C
    does."""
    x = np.asarray(x, dtype=np.float64)
    xc = np.where(x < -746.0, -746.0, x)
    xc = np.where(xc > 710.0, 710.0, xc)
    k = (xc * 1.4426950408889634 + _SHIFT) - _SHIFT
    r_hi = xc - k * 0.6931471803691238
    r_lo = -(k * 1.9082149292705877e-10)
    r = r_hi + r_lo
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    q0 = 0.5 + r * 0.16666666666666666
    q1 = 0.041666666666666664 + r * 0.008333333333333333
    q2 = 0.001388888888888889 + r * 0.0001984126984126984
    q3 = 2.48015873015873e-05 + r * 2.7557319223985893e-06
    q4 = 2.755731922398589e-07 + r * 2.505210838544172e-08
    q5 = 2.08767569878681e-09 + r * 1.6059043836821613e-10
    p = (q0 + r2 * q1) + r4 * (q2 + r2 * q3) + r8 * (q4 + r2 * q5)
    q = r2 * p
    s = r_hi + q
    s_err = ((r_hi - s) + q) + r_lo
    e_hi = 1.0 + s
    e = e_hi + (((1.0 - e_hi) + s) + s_err)
    k1 = (k * 0.5 + _SHIFT) - _SHIFT
    k2 = k - k1
    one = np.uint64(1023)
    b1 = ((np.asarray(k1 + _SHIFT).view(np.uint64) + one) << np.uint64(52)).view(np.float64)
    b2 = ((np.asarray(k2 + _SHIFT).view(np.uint64) + one) << np.uint64(52)).view(np.float64)
    return (e * b1) * b2


def nxx1(c: LayerConsts, x: np.ndarray) -> np.ndarray:
    """Go's NoisyXX1 (nxx1.go) in the backend's float type; exp in float64 (``_exp``),
    rounded."""
    x = np.asarray(x, dtype=type(c.thr))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = _exp(-(x * c.sig_gain_nvar).astype(np.float64)).astype(x.dtype)
        below = c.sig_mult_eff / (c.f(1) + e)
        interp = c.f(1) - ((c.interp_range - x) / c.interp_range)
        mid = c.sig_val_at_0 + interp * c.interp_val
        above = _xx1_gain_cor(c, x)
    return np.where(x < 0, below, np.where(x < c.interp_range, mid, above))


def _pow_scalar(b: float, e: float) -> float:
    try:
        return math.pow(b, e)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


_pow_ufunc = np.frompyfunc(_pow_scalar, 2, 1)


def _pow(base: np.ndarray, e: float) -> np.ndarray:
    """C's ``pow`` element by element (``math.pow``), as the compiled kernel calls it:
    NumPy's own vectorised ``power`` differs from it by an ulp in a few percent of
    arguments.  Only SIG gains other than 6 (and 1) take this path."""
    return np.asarray(_pow_ufunc(base, e), dtype=np.float64)


def sig_fun(w: np.ndarray, gain: Any, off: Any) -> np.ndarray:
    """Go's SigFun / SigFun61: 1 / (1 + (off (1-w) / w)^gain), 0 at w <= 0, 1 at w >= 1."""
    w = np.asarray(w)
    f = w.dtype.type
    with np.errstate(divide="ignore", invalid="ignore"):
        if gain == 6 and off == 1:
            pw = (f(1) - w) / w
            val = f(1) / (f(1) + pw * pw * pw * pw * pw * pw)
        else:
            base = ((off * (f(1) - w)) / w).astype(np.float64)
            val = f(1) / (f(1) + _pow(base, float(gain)).astype(w.dtype))
    return np.where(w <= 0, f(0), np.where(w >= 1, f(1), val))


def sig_inv_fun(w: np.ndarray, gain: Any, off: Any) -> np.ndarray:
    """Go's SigInvFun / SigInvFun61: 1 / (1 + ((1-w)/w)^(1/gain) / off)."""
    w = np.asarray(w)
    f = w.dtype.type
    inv_gain = f(1) / f(gain)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = ((f(1) - w) / w).astype(np.float64)
        pw = (base ** np.float64(inv_gain)).astype(w.dtype)
        val = f(1) / (f(1) + pw / off) if not (gain == 6 and off == 1) else f(1) / (f(1) + pw)
    return np.where(w <= 0, f(0), np.where(w >= 1, f(1), val))


def sig_from_lin(c: PrjnConsts, lw: np.ndarray) -> np.ndarray:
    if c.sig_gain == 1 and c.sig_off == 1:
        return lw.copy()
    return sig_fun(lw, c.sig_gain, c.sig_off)


def lin_from_sig(c: PrjnConsts, w: np.ndarray) -> np.ndarray:
    if c.sig_gain == 1 and c.sig_off == 1:
        return w.copy()
    return sig_inv_fun(w, c.sig_gain, c.sig_off)


def _xcal(c: PrjnConsts, srval: np.ndarray, thr_p: np.ndarray) -> np.ndarray:
    """XCAL check mark (Go XCalParams.DWt)."""
    f = c.f
    return np.where(
        srval < c.d_thr,
        f(0),
        np.where(srval > thr_p * c.d_rev, srval - thr_p, srval * c.d_rev_ratio),
    )


# ----------------------------------------------------------------------------- noise

_GOLD = np.uint64(0x9E3779B97F4A7C15)
_HALF = 1 << 24
_TWO_PI = 6.283185307179586


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (a bijection of uint64 that scrambles every bit)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _halves(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    return hi.astype(np.uint64) * np.uint64(_HALF) + lo.astype(np.uint64)


def noise_uniforms(key: np.ndarray, ctr: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two uniform numbers in [0, 1) per unit, ``(n_batch, n)`` each, of draw ``ctr`` of a
    layer whose key is ``key`` (uint64 per batch copy): a counter-based generator, so any
    draw is a function of (key, counter, unit) alone and the compiled kernel computes the
    same bits without sharing a stream: ``h = mix(key + G (ctr + 1))``, then unit i's
    stream s is ``mix(h + G (2 i + s + 1)) >> 11`` times 2^-53 (``mix`` is splitmix64's
    finaliser, G its golden-ratio increment)."""
    with np.errstate(over="ignore"):
        h = _mix64(key + _GOLD * (ctr + np.uint64(1)))[:, None]
        i = np.arange(n, dtype=np.uint64)[None, :]
        u0 = _mix64(h + _GOLD * (np.uint64(2) * i + np.uint64(1))) >> np.uint64(11)
        u1 = _mix64(h + _GOLD * (np.uint64(2) * i + np.uint64(2))) >> np.uint64(11)
    scale = 2.0**-53
    return u0.astype(np.float64) * scale, u1.astype(np.float64) * scale


_log = np.frompyfunc(math.log, 1, 1)
_cos = np.frompyfunc(math.cos, 1, 1)


def noise_values(c: LayerConsts, key: np.ndarray, ctr: np.ndarray, n: int) -> np.ndarray:
    """Go's ``ActNoiseParams.Gen`` for every unit (float64): uniform ``mean + var * 2 (u -
    0.5)`` or Gaussian ``mean + var * z``, z by Box-Muller from the two uniforms
    (``sqrt(-2 log(1 - u0)) cos(2 pi u1)``, with the C library's log and cos, as the
    kernel calls them; NumPy's vectorised ones may differ in the last bit)."""
    u0, u1 = noise_uniforms(key, ctr, n)
    if c.noise_gauss:
        lg = np.asarray(_log(1.0 - u0), dtype=np.float64)
        cs = np.asarray(_cos(_TWO_PI * u1), dtype=np.float64)
        return c.noise_mean + c.noise_var * (np.sqrt(-2.0 * lg) * cs)
    return c.noise_mean + (c.noise_var * 2.0) * (u0 - 0.5)


def _gen_noise(c: LayerConsts, st: dict[str, np.ndarray]) -> None:
    """Go Layer.GenNoise (or GeFmRaw's per-cycle draw): a new Noise for every unit, from
    the layer's key and counter; the counter advances."""
    key = _halves(st["noise_key_hi"], st["noise_key_lo"])
    ctr = _halves(st["noise_ctr_hi"], st["noise_ctr_lo"])
    st["noise"][...] = noise_values(c, key, ctr, st["noise"].shape[1])
    lo = st["noise_ctr_lo"] + 1
    carry = lo >= _HALF
    st["noise_ctr_lo"][...] = np.where(carry, 0, lo)
    st["noise_ctr_hi"] += carry


# ----------------------------------------------------------------------------- state

_UNIT_VARS = (
    "act",
    "act_lrn",
    "ge",
    "gi",
    "gk",
    "gi_self",
    "gi_syn",
    "inet",
    "vm",
    "act_del",
    "act_sent",
    "ge_raw",
    "gi_raw",
    "ext",
    "targ",
    "act_q0",
    "act_q1",
    "act_q2",
    "act_m",
    "act_p",
    "act_dif",
    "act_avg",
    "avg_ss",
    "avg_s",
    "avg_m",
    "avg_l",
    "avg_l_lrn",
    "avg_s_lrn",
    # Go's GknaFast/Med/Slow (KNa adaptation) and Noise, after the others so that the
    # variables before them keep their places in the packed state
    "gkna_f",
    "gkna_m",
    "gkna_s",
    "noise",
    # the cpp85 equations' second membrane potential (C++ v_m_eq), act before its clip
    # (act_raw) and the cycles since the last v_m spike (-1: none yet)
    "vm_eq",
    "act_raw",
    "isi",
)
_UNIT_FLAGS = ("has_ext", "has_targ", "has_cmpr")
# A pool's inhibition and activity statistics, zeroed by InitActs; the running averages
# after them (Go's ActAvg) carry over from trial to trial.
_POOL_INIT_VARS = (
    "ffi",
    "fbi",
    "gi",
    "ge_avg",
    "ge_max",
    "act_avg",
    "act_max",
    "act_m_avg",
    "act_m_max",
    "act_p_avg",
    "act_p_max",
)
_POOL_VARS = (*_POOL_INIT_VARS, "act_m_avg_run", "act_p_avg_run", "act_p_avg_eff")
#: The noise generator's key and counter per layer and batch copy are two 24-bit halves
#: each (exact in float32 too): key = hi * 2**24 + lo.
_LAYER_VARS = (
    "cos", "cos_avg", "cos_var", "cos_avg_lrn", "mod_avg_l_lrn",
    "noise_key_hi", "noise_key_lo", "noise_ctr_hi", "noise_ctr_lo",
)  # fmt: skip
_PRJN_SYN = ("wt", "lwt", "dwt", "norm", "moment")


def init_layer_state(ly: Any, n_batch: int, dtype: np.dtype) -> dict[str, np.ndarray]:
    n, npl = ly.n_units, 1 + ly.n_pools
    st: dict[str, np.ndarray] = {v: np.zeros((n_batch, n), dtype) for v in _UNIT_VARS}
    st.update({v: np.zeros((n_batch, n), bool) for v in _UNIT_FLAGS})
    st.update({"pool_" + v: np.zeros((n_batch, npl), dtype) for v in _POOL_VARS})
    st.update({v: np.zeros(n_batch, dtype) for v in _LAYER_VARS})
    return st


def init_prjn_state(pj: Any, n_batch: int, dtype: np.dtype) -> dict[str, np.ndarray]:
    nr, ns = pj.mask.shape
    st = {v: np.zeros((n_batch, nr, ns), dtype) for v in _PRJN_SYN}
    st["ginc"] = np.zeros((n_batch, nr), dtype)
    st["gscale"] = np.ones(n_batch, dtype)
    for v, val in (("wb_avg", 0), ("wb_fact", 0), ("wb_inc", 1), ("wb_dec", 1)):
        st[v] = np.full((n_batch, nr), val, dtype)
    return st


def _ssum(a: np.ndarray, axis: int) -> np.ndarray:
    """Sum in index order, one addition at a time, as Go's loops do (NumPy's ``sum`` adds
    pairwise, which rounds differently in float32)."""
    if a.shape[axis] == 0:
        return np.zeros(np.delete(a.shape, axis), a.dtype)
    return np.take(np.add.accumulate(a, axis=axis), -1, axis=axis)


def _pool_view(ly: Any, a: np.ndarray) -> np.ndarray:
    """(B, n_pools, pool_size) view of a unit array of a 4-D layer."""
    return a.reshape(a.shape[0], ly.n_pools, ly.pool_size)


def _pool_stats(ly: Any, a: np.ndarray, avg: np.ndarray, mx: np.ndarray) -> None:
    f = a.dtype.type
    avg[:, 0] = _ssum(a, 1) / f(a.shape[1])
    mx[:, 0] = a.max(axis=1)
    if ly.n_pools:
        v = _pool_view(ly, a)
        avg[:, 1:] = _ssum(v, 2) / f(ly.pool_size)
        mx[:, 1:] = v.max(axis=2)


def _unit_pool(ly: Any, pool_vals: np.ndarray) -> np.ndarray:
    """Per-unit value of the unit's pool (pool 0 for layers without unit groups)."""
    if ly.n_pools == 0:
        return np.repeat(pool_vals[:, :1], ly.n_units, axis=1)
    return np.repeat(pool_vals[:, 1:], ly.pool_size, axis=1)


# ----------------------------------------------------------------------------- init


def init_weights(net: BuiltNetwork, rng: np.random.Generator) -> None:
    """Go Network.InitWeights: random weights, unit averages and activations reset."""
    dt = net.dtype
    for pj in net.prjns:
        c, st = net._pc[pj.name], net.state.prjns[pj.name]
        wi = pj.params.wt_init
        shape = (net.n_batch, *pj.mask.shape)
        if wi.dist == "uniform":
            w = (
                rng.uniform(wi.mean - wi.var, wi.mean + wi.var, size=shape)
                if wi.var > 0
                else np.full(shape, wi.mean)
            )
        else:
            w = rng.normal(wi.mean, wi.var, size=shape) if wi.var > 0 else np.full(shape, wi.mean)
        w = np.clip(w, 0, 1).astype(dt) * pj.mask
        st["wt"][...] = w
        st["lwt"][...] = lin_from_sig(c, w) * pj.mask
        for v in ("dwt", "norm", "moment", "ginc", "wb_avg", "wb_fact"):
            st[v][...] = 0
        st["wb_inc"][...] = 1
        st["wb_dec"][...] = 1
    # symmetry: forward projections (send before recv in layer order) copy into reciprocal
    for pj in net.prjns:
        if not pj.params.wt_init.sym or pj.inhib:
            continue
        if net.layer(pj.recv).index < net.layer(pj.send).index:
            continue
        for rp in net.prjns:
            if rp.send == pj.recv and rp.recv == pj.send and rp.params.wt_init.sym and not rp.inhib:
                both = rp.mask & pj.mask.T
                if rp is pj:
                    # a lateral projection onto itself: Go's sender-ordered loop leaves each
                    # pair with the weight of the synapse from the lower-index sender
                    both &= np.triu(np.ones_like(both), 1)
                for v in ("wt", "lwt"):
                    src = np.swapaxes(net.state.prjns[pj.name][v], 1, 2)
                    dst = net.state.prjns[rp.name][v]
                    dst[...] = np.where(both, src, dst)
    for ly in net.layers:
        lc, st = net._lc[ly.name], net.state.layers[ly.name]
        st["pool_act_m_avg_run"][...] = lc.aa_init
        st["pool_act_p_avg_run"][...] = lc.aa_init
        st["pool_act_p_avg_eff"][...] = lc.aa_init if lc.aa_fixed else lc.aa_adjust * lc.aa_init
        for v in ("avg_ss", "avg_s", "avg_m", "act_avg"):
            st[v][...] = lc.avg_init
        st["avg_l"][...] = lc.avg_l_init
        st["avg_s_lrn"][...] = 0
        st["avg_l_lrn"][...] = 0
        _init_acts(ly, lc, st)
        for v in _LAYER_VARS:
            st[v][...] = 0
    # the noise generator's key of each layer with noise and batch copy, drawn after the
    # weights (so networks without noise draw exactly what they did before)
    for ly in net.layers:
        if net._lc[ly.name].noise_type:
            st = net.state.layers[ly.name]
            key = rng.integers(0, 2**48, size=net.n_batch, dtype=np.int64)
            st["noise_key_hi"][...] = key >> 24
            st["noise_key_lo"][...] = key & (_HALF - 1)
    net.state.scalars["wt_bal_ctr"] = 0


def _init_acts(ly: Any, c: LayerConsts, st: dict[str, np.ndarray]) -> None:
    st["act"][...] = c.init_act
    st["act_lrn"][...] = c.init_act
    st["act_raw"][...] = c.init_act
    st["ge"][...] = c.init_ge
    st["vm"][...] = c.init_vm
    st["vm_eq"][...] = c.init_vm
    st["isi"][...] = -1
    for v in (
        "gi",
        "gk",
        "gi_self",
        "gi_syn",
        "inet",
        "targ",
        "ext",
        "act_del",
        "act_q0",
        "act_q1",
        "act_q2",
        "act_m",
        "act_p",
        "act_dif",
        "act_sent",
        "ge_raw",
        "gi_raw",
        "gkna_f",
        "gkna_m",
        "gkna_s",
        "noise",
    ):
        st[v][...] = 0
    for v in _POOL_INIT_VARS:
        st["pool_" + v][...] = 0


# ----------------------------------------------------------------------------- trial start


def alpha_cyc_init(net: BuiltNetwork, updt_act_avg: bool) -> None:
    """Go Network.AlphaCycInit: each layer in order (so a layer's projection scales use the
    running averages of later layers from the previous trial, as in Go)."""
    for ly in net.layers:
        c, st = net._lc[ly.name], net.state.layers[ly.name]
        st["act_q0"][...] = st["act_p"]
        if updt_act_avg:
            _avg_l_from_avg_m(c, st, ly.kind)
            _act_avg_from_act(c, st)
        _gscale_from_avg_act(net, ly)
        if c.noise_type and c.noise_fixed:
            _gen_noise(c, st)
        _decay_state(c, st)
        st["act_sent"][...] = 0
        st["ge_raw"][...] = 0
        st["gi_raw"][...] = 0
        for pj in net.recv_prjns(ly.name):
            net.state.prjns[pj.name]["ginc"][...] = 0
        if c.hard and ly.kind == "input":
            _hard_clamp(c, st, st["has_ext"])


def _avg_l_from_avg_m(c: LayerConsts, st: dict[str, np.ndarray], kind: str) -> None:
    avg_l = st["avg_l"]
    new = avg_l + c.avg_l_dt * (c.avg_l_gain * st["avg_m"] - avg_l)
    new = np.maximum(new, c.avg_l_min)
    if c.cpp85:
        # C++ Trial_Init_SRAvg: only if the layer's last plus-phase average reached
        # lay_act_thr (0 after init_weights: the first trial skips it)
        avg_l[...] = np.where((st["pool_act_p_avg"][:, :1] >= c.lay_act_thr), new, avg_l)
    else:
        avg_l[...] = new
    lrn = c.lrn_fact * (avg_l - c.avg_l_min)
    if c.lrn_min_offset:
        lrn = c.lrn_min + lrn
    if c.err_mod:
        lrn = lrn * st["mod_avg_l_lrn"][:, None]
    if c.cpp85 and kind != "hidden":
        lrn = np.zeros_like(lrn)  # C++: no self-organising outside hidden layers
    st["avg_l_lrn"][...] = lrn


def _act_avg_from_act(c: LayerConsts, st: dict[str, np.ndarray]) -> None:
    for run, cur in (
        ("pool_act_m_avg_run", "pool_act_m_avg"),
        ("pool_act_p_avg_run", "pool_act_p_avg"),
    ):
        avg, act = st[run], st[cur]
        first = c.aa_use_first & (avg == c.aa_init)
        new = np.where(first, avg + c.f(0.5) * (act - avg), avg + c.aa_dt * (act - avg))
        avg[...] = np.where(act < c.f(0.0001), avg, new)
    st["pool_act_p_avg_eff"][...] = (
        c.aa_init if c.aa_fixed else c.aa_adjust * st["pool_act_p_avg_run"]
    )


def _slay_act_scale(savg: np.ndarray, snu: int, ncon: Any) -> np.ndarray:
    """Go WtScaleParams.SLayActScale, per batch copy (math.Round: half away from zero)."""
    f = savg.dtype.type
    ncon = max(ncon, f(1))
    out = np.empty_like(savg)
    for b, sa in enumerate(savg):
        slay_act_n = max(int(_round_half_away(sa * f(snu))), 1)
        if ncon == f(snu):
            out[b] = f(1) / f(slay_act_n)
        else:
            max_act_n = int(min(ncon, f(slay_act_n)))
            avg_act_n = max(int(_round_half_away(sa * ncon)), 1)
            exp_act_n = min(avg_act_n + 2, max_act_n)
            out[b] = f(1) / f(exp_act_n)
    return out


def _round_half_away(x: Any) -> float:
    return float(np.sign(x) * np.floor(np.abs(x) + 0.5))


def _gscale_from_avg_act(net: BuiltNetwork, ly: Any) -> None:
    f = net.dtype.type
    tot_ge, tot_gi = f(0), f(0)
    rp = net.recv_prjns(ly.name)
    for pj in rp:
        pc, pst = net._pc[pj.name], net.state.prjns[pj.name]
        slay = net.layer(pj.send)
        savg = net.state.layers[pj.send]["pool_act_p_avg_eff"][:, 0]
        sc = _slay_act_scale(savg, slay.n_units, net._ncon[pj.name])
        pst["gscale"][...] = pc.abs * pc.rel * sc
        if pj.inhib:
            tot_gi = tot_gi + pc.rel
        else:
            tot_ge = tot_ge + pc.rel
    for pj in rp:
        tot = tot_gi if pj.inhib else tot_ge
        if tot > 0:
            net.state.prjns[pj.name]["gscale"][...] /= tot


def _decay_state(c: LayerConsts, st: dict[str, np.ndarray]) -> None:
    d = c.decay
    if d > 0:
        st["act"] -= d * (st["act"] - c.init_act)
        st["ge"] -= d * (st["ge"] - c.init_ge)
        for v in ("gi", "gi_self", "gk"):
            st[v] -= d * st[v]
        st["vm"] -= d * (st["vm"] - c.init_vm)
        st["gi_syn"] -= d * st["gi_syn"]
        if c.cpp85:  # C++ DecayState: act_nd (ActLrn here), act_raw and v_m_eq too
            for v in ("act_lrn", "act_raw"):
                st[v] -= d * (st[v] - c.init_act)
            st["vm_eq"] -= d * (st["vm_eq"] - c.init_vm)
    st["act_del"][...] = 0
    st["inet"][...] = 0
    for v in ("ge_max", "ge_avg", "act_max", "act_avg", "ffi", "fbi", "gi"):
        st["pool_" + v] -= d * st["pool_" + v]


def _hard_clamp(c: LayerConsts, st: dict[str, np.ndarray], where: np.ndarray) -> None:
    if c.cpp85:
        _hard_clamp_cpp85(c, st, where)
        return
    ext = st["ext"]
    if c.noise_type == _ACT_NOISE:
        ext = ext + st["noise"]
    clmp = np.clip(ext, c.clamp_min, c.clamp_max)
    # Go's HardClamp adds the unit's Noise to Act whatever the noise type (0 without noise)
    act = clmp + st["noise"] if c.noise_type else clmp
    st["act"][...] = np.where(where, act, st["act"])
    st["act_lrn"][...] = np.where(where, clmp, st["act_lrn"])
    st["vm"][...] = np.where(where, c.thr + act / c.gain, st["vm"])
    st["act_del"][...] = np.where(where, 0, st["act_del"])
    st["inet"][...] = np.where(where, 0, st["inet"])


def _hard_clamp_cpp85(c: LayerConsts, st: dict[str, np.ndarray], where: np.ndarray) -> None:
    """C++ Compute_HardClamp_impl: act = act_nd = clip(ext), act_raw = ext, v_m = v_m_eq =
    e_rev.l if act is 0 else thr + act / gain; I_net = da = 0 (no noise)."""
    clmp = np.clip(st["ext"], c.clamp_min, c.clamp_max)
    vm = np.where(clmp == 0, c.erev_l, c.thr + clmp / c.gain)
    for v, val in (("act", clmp), ("act_lrn", clmp), ("act_raw", st["ext"]), ("vm", vm),
                   ("vm_eq", vm), ("act_del", 0), ("inet", 0)):  # fmt: skip
        st[v][...] = np.where(where, val, st[v])


# ----------------------------------------------------------------------------- cycle


def cycle(net: BuiltNetwork) -> None:
    """Go Network.Cycle: each step over all layers before the next step."""
    for ly in net.layers:
        _send_g_delta(net, ly)
    for ly in net.layers:
        _g_from_inc(net, ly)
    for ly in net.layers:
        st = net.state.layers[ly.name]
        _pool_stats(ly, st["ge"], st["pool_ge_avg"], st["pool_ge_max"])
    for ly in net.layers:
        _inhib_from_ge_act(net, ly)
    for ly in net.layers:
        _act_from_g(net._lc[ly.name], net.state.layers[ly.name])
    for ly in net.layers:
        st = net.state.layers[ly.name]
        _pool_stats(ly, st["act"], st["pool_act_avg"], st["pool_act_max"])


def _send_g_delta(net: BuiltNetwork, ly: Any) -> None:
    c, st = net._lc[ly.name], net.state.layers[ly.name]
    act, sent = st["act"], st["act_sent"]
    above = act > c.send
    delta = act - sent
    send = above & (np.abs(delta) > c.delta)
    unsend = ~above & (sent > c.send)
    d = np.where(send, delta, np.where(unsend, -sent, act.dtype.type(0)))
    if not (send.any() or unsend.any()):
        return
    st["act_sent"][...] = np.where(send, act, np.where(unsend, 0, sent))
    for pj in net.send_prjns(ly.name):
        pst = net.state.prjns[pj.name]
        scdel = d * pst["gscale"][:, None]
        # per receiver, senders in index order (Go's sender loop); unsent units add +-0
        pst["ginc"] += _ssum(pst["wt"] * scdel[:, None, :], 2)


def _g_from_inc(net: BuiltNetwork, ly: Any) -> None:
    c, st = net._lc[ly.name], net.state.layers[ly.name]
    for pj in net.recv_prjns(ly.name):
        pst = net.state.prjns[pj.name]
        st["gi_raw" if pj.inhib else "ge_raw"] += pst["ginc"]
        pst["ginc"][...] = 0
    ge_raw = st["ge_raw"]
    if not c.hard:
        has = st["has_ext"]
        if c.clamp_avg:
            soft = (
                c.clamp_avg_gain * c.clamp_gain * st["ext"] + (c.f(1) - c.clamp_avg_gain) * ge_raw
            )
        else:
            soft = ge_raw + st["ext"] * c.clamp_gain
        ge_raw = np.where(has, soft, ge_raw)
    st["ge"] += c.g_dt * (ge_raw - st["ge"])
    if c.cpp85:
        np.maximum(st["ge"], 0, out=st["ge"])  # C++ Compute_NetinInteg: net >= 0
    if c.noise_type:
        # GeFmRaw: the first use of the noise in a cycle draws it (unless fixed per trial)
        if not c.noise_fixed:
            _gen_noise(c, st)
        if c.noise_type == _GE_NOISE:
            st["ge"] += st["noise"]
        elif c.noise_type == _GE_MULT_NOISE and c.cpp85:
            st["ge"] *= st["noise"]  # C++ NET_MULT_NOISE (Go v1 applies none)
    st["gi_syn"] += c.g_dt * (st["gi_raw"] - st["gi_syn"])
    np.maximum(st["gi_syn"], 0, out=st["gi_syn"])


def _fffb(fc: dict[str, Any], st: dict[str, np.ndarray], sl: slice) -> None:
    if not fc["on"]:
        for v in ("ffi", "fbi", "gi"):
            st["pool_" + v][:, sl] = 0
        return
    ge_avg, ge_max = st["pool_ge_avg"][:, sl], st["pool_ge_max"][:, sl]
    ffnetin = ge_avg + fc["mva"] * (ge_max - ge_avg)
    ffi = np.where(ffnetin > fc["ff0"], fc["ff"] * (ffnetin - fc["ff0"]), 0)
    fbi_new = fc["fb"] * st["pool_act_avg"][:, sl]
    fbi = st["pool_fbi"][:, sl]
    fbi += fc["fb_dt"] * (fbi_new - fbi)
    st["pool_ffi"][:, sl] = ffi
    st["pool_gi"][:, sl] = fc["gi"] * (ffi + fbi)


def _inhib_from_ge_act(net: BuiltNetwork, ly: Any) -> None:
    c, st = net._lc[ly.name], net.state.layers[ly.name]
    _fffb(c.lay_fffb, st, slice(0, 1))
    if ly.n_pools:
        _fffb(c.pool_fffb, st, slice(1, None))
        pgi = st["pool_gi"]
        if c.lay_fffb["on"]:
            pgi[:, 1:] = np.maximum(pgi[:, 1:], pgi[:, :1])
        else:
            pgi[:, 0] = np.maximum(pgi[:, 0], pgi[:, 1:].max(axis=1))
    if c.self_on:
        st["gi_self"] += c.self_dt * (c.self_gi * st["act"] - st["gi_self"])
    else:
        st["gi_self"][...] = 0
    if c.cpp85:  # C++ Compute_ApplyInhib_impl: g_i + (gi_syn + gi_self)
        st["gi"][...] = _unit_pool(ly, st["pool_gi"]) + (st["gi_syn"] + st["gi_self"])
    else:
        st["gi"][...] = _unit_pool(ly, st["pool_gi"]) + st["gi_self"] + st["gi_syn"]


def _act_from_g_cpp85(c: LayerConsts, st: dict[str, np.ndarray]) -> None:
    """C++ 8.5's rate code (LeabraUnitSpec Compute_Vm, Compute_ActFun_Rate), in
    ``model="emergent"``'s expression order: v_m by the midpoint method, held for t_r
    cycles after a spike; v_m_eq by one Euler step; both clipped; v_m above thr spikes and
    resets to vm_r; the sub-threshold test on act_raw and v_m_eq; act = act_nd = clip(act_raw,
    0, 1) drives learning (ActLrn = act); hard-clamped units by _hard_clamp_cpp85."""
    f = c.f
    vm, vm_eq, isi = st["vm"], st["vm_eq"], st["isi"]
    ge, gi = st["ge"] * c.gbar_e, st["gi"] * c.gbar_i

    def inet(v: np.ndarray) -> np.ndarray:
        return ge * (c.erev_e - v) + c.gbar_l * (c.erev_l - v) + gi * (c.erev_i - v)

    refr = (isi >= 0) & (isi < c.t_r) if c.t_r > 0 else np.zeros(vm.shape, bool)
    i1 = inet(vm)
    v_eff = vm + (f(0.5) * c.vm_dt) * i1
    i2 = inet(v_eff)
    new_vm = np.where(refr, vm, vm + c.vm_dt * i2)
    i_net = np.where(refr, f(0), i2)
    new_eq = vm_eq + c.vm_dt * inet(vm_eq)
    if c.noise_type == _VM_NOISE:
        new_vm = new_vm + st["noise"]
        new_eq = new_eq + st["noise"]
    new_vm = np.clip(new_vm, c.vm_min, c.vm_max)
    new_eq = np.clip(new_eq, c.vm_min, c.vm_max)
    spike = new_vm > c.thr
    new_vm = np.where(spike, c.vm_r, new_vm)
    i_net = np.where(spike, f(0), i_net)
    new_isi = np.where(spike, f(0), np.where(isi >= 0, isi + f(1), isi))
    act = st["act"]
    sub = (st["act_raw"] < c.vm_act_thr) & (new_eq <= c.thr)
    ge_thr = (c.gbar_i * st["gi"] * c.erev_sub_thr_i + c.gbar_l * c.erev_sub_thr_l) / (
        c.thr_sub_erev_e
    )
    nw = nxx1(c, np.where(sub, new_eq - c.thr, ge - ge_thr))
    new_act = act + c.vm_dt * (nw - act)
    st["act_del"][...] = new_act - act
    if c.noise_type == _ACT_NOISE:
        new_act = new_act + st["noise"]
    st["act_raw"][...] = new_act
    new_act = np.clip(new_act, f(0), f(1))
    clamp = st["has_ext"] if c.hard else np.zeros(vm.shape, bool)
    st["vm"][...] = new_vm
    st["vm_eq"][...] = new_eq
    st["inet"][...] = i_net
    st["isi"][...] = np.where(clamp, isi, new_isi)
    st["act"][...] = new_act
    st["act_lrn"][...] = new_act
    if clamp.any():
        _hard_clamp_cpp85(c, st, clamp)


def _act_from_g(c: LayerConsts, st: dict[str, np.ndarray]) -> None:
    if c.cpp85:
        _act_from_g_cpp85(c, st)
    else:
        _act_from_g_go(c, st)
    # AvgsFmAct (learning averages from ActLrn; act_nd in cpp85)
    st["avg_ss"] += c.ss_dt * (st["act_lrn"] - st["avg_ss"])
    st["avg_s"] += c.s_dt * (st["avg_ss"] - st["avg_s"])
    st["avg_m"] += c.m_dt * (st["avg_s"] - st["avg_m"])
    st["avg_s_lrn"][...] = c.lrn_s * st["avg_s"] + c.lrn_m * st["avg_m"]


def _act_from_g_go(c: LayerConsts, st: dict[str, np.ndarray]) -> None:
    # VmFmG
    vm = st["vm"]
    ge, gi, gk = st["ge"] * c.gbar_e, st["gi"] * c.gbar_i, st["gk"] * c.gbar_k
    inet = (
        ge * (c.erev_e - vm)
        + c.gbar_l * (c.erev_l - vm)
        + gi * (c.erev_i - vm)
        + gk * (c.erev_k - vm)
    )
    st["inet"][...] = inet
    nw_vm = vm + c.vm_dt * inet
    if c.noise_type == _VM_NOISE:
        nw_vm = nw_vm + st["noise"]
    st["vm"][...] = np.clip(nw_vm, c.vm_min, c.vm_max)
    vm = st["vm"]
    # ActFmG
    act = st["act"]
    sub = (act < c.vm_act_thr) & (vm <= c.thr)
    ge_thr = (
        c.gbar_i * st["gi"] * c.erev_sub_thr_i
        + c.gbar_l * c.erev_sub_thr_l
        + c.gbar_k * st["gk"] * c.erev_sub_thr_k
    ) / c.thr_sub_erev_e
    ge_thr_nok = (
        c.gbar_i * st["gi"] * c.erev_sub_thr_i + c.gbar_l * c.erev_sub_thr_l
    ) / c.thr_sub_erev_e
    ge_e = st["ge"] * c.gbar_e
    nw_sub, nw_ge, nw_ge_nok = nxx1(c, np.stack([vm - c.thr, ge_e - ge_thr, ge_e - ge_thr_nok]))
    nw_act = np.where(sub, nw_sub, nw_ge)
    nw_lrn = np.where(sub, nw_sub, nw_ge_nok)
    new_act = act + c.vm_dt * (nw_act - act)
    st["act_del"][...] = new_act - act
    if c.noise_type == _ACT_NOISE:
        new_act = new_act + st["noise"]
    st["act"][...] = new_act
    st["act_lrn"] += c.vm_dt * (nw_lrn - st["act_lrn"])
    if c.kna_on:
        # KNa adaptation from the new Act (Go KNa.GcFmRate), grouped as model="emergent"
        # groups it, g + a rise (max - g) - dt g (Go: g + (a rise (max - g) - dt g))
        a = new_act * c.kna_rate
        unclamped = ~st["has_ext"] if c.hard else True
        gk = None
        for v, (on, rise, gmax, dt) in (
            ("gkna_f", c.kna_fast), ("gkna_m", c.kna_med), ("gkna_s", c.kna_slow)
        ):
            g = st[v]
            new_g = g + a * rise * (gmax - g) - dt * g if on else np.zeros_like(g)
            g[...] = np.where(unclamped, new_g, g)
            gk = g.copy() if gk is None else gk + g
        st["gk"][...] = np.where(unclamped, gk, st["gk"])
    if c.hard:
        clamp = st["has_ext"]
        if clamp.any():
            _hard_clamp(c, st, clamp)


# ----------------------------------------------------------------------------- quarters


def quarter_final(net: BuiltNetwork, qtr: int) -> None:
    """Go Layer.QuarterFinal for quarter ``qtr`` (0-based): ActQ1, ActQ2, minus phase
    (ActM, targets become clamped inputs), plus phase (ActP, ActDif, ActAvg, CosDiff)."""
    for ly in net.layers:
        c, st = net._lc[ly.name], net.state.layers[ly.name]
        if qtr == 0:
            st["act_q1"][...] = st["act"]
        elif qtr == 1:
            st["act_q2"][...] = st["act"]
        elif qtr == 2:
            st["pool_act_m_avg"][...] = st["pool_act_avg"]
            st["pool_act_m_max"][...] = st["pool_act_max"]
            st["act_m"][...] = st["act"]
            ht = st["has_targ"]
            st["ext"][...] = np.where(ht, st["targ"], st["ext"])
            st["has_ext"] |= ht
        elif qtr == 3:
            st["pool_act_p_avg"][...] = st["pool_act_avg"]
            st["pool_act_p_max"][...] = st["pool_act_max"]
            st["act_p"][...] = st["act"]
            st["act_dif"][...] = st["act_p"] - st["act_m"]
            st["act_avg"] += c.avg_dt * (st["act"] - st["act_avg"])
            _cos_diff(ly, c, st)


def _cos_diff(ly: Any, c: LayerConsts, st: dict[str, np.ndarray]) -> None:
    f = c.f
    ap = st["act_p"] - st["pool_act_p_avg"][:, :1]
    am = st["act_m"] - st["pool_act_m_avg"][:, :1]
    cosv, ssm, ssp = _ssum(ap * am, 1), _ssum(am * am, 1), _ssum(ap * ap, 1)
    dist = np.sqrt(ssm * ssp)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosv = np.where(dist != 0, cosv / dist, cosv)
    st["cos"][...] = cosv
    avg, var = st["cos_avg"], st["cos_var"]
    first = avg == 0
    dl = cosv - avg
    incr = c.cd_dt * dl
    new_avg = avg + incr
    new_var = np.where(var == 0, f(2) * c.cd_dt_c * dl * incr, c.cd_dt_c * (var + dl * incr))
    var[...] = np.where(first, 0, new_var)
    avg[...] = np.where(first, cosv, new_avg)
    if ly.kind == "target":
        st["cos_avg_lrn"][...] = 0
        st["mod_avg_l_lrn"][...] = 0
    else:
        st["cos_avg_lrn"][...] = f(1) - avg
        st["mod_avg_l_lrn"][...] = np.maximum(st["cos_avg_lrn"], c.mod_min) if c.err_mod else f(1)


# ----------------------------------------------------------------------------- learning


def dwt(net: BuiltNetwork) -> None:
    """Go Prjn.DWt for every learning projection: XCAL error-driven + BCM terms, Norm and
    Momentum; Norm is then set to its max over each sender's synapses (SEND_CONS)."""
    for pj in net.prjns:
        c, pst = net._pc[pj.name], net.state.prjns[pj.name]
        if not c.learn:
            continue
        f = c.f
        s, r = net.state.layers[pj.send], net.state.layers[pj.recv]
        active = ~((s["avg_s"] < c.lrn_thr) & (s["avg_m"] < c.lrn_thr))  # (B, S)
        upd = pj.mask[None, :, :] & active[:, None, :]
        srs = s["avg_s_lrn"][:, None, :] * r["avg_s_lrn"][:, :, None]
        srm = s["avg_m"][:, None, :] * r["avg_m"][:, :, None]
        bcm = _xcal(c, srs, r["avg_l"][:, :, None])
        err = _xcal(c, srs, srm)
        bcm = bcm * (c.l_lrn if c.set_l_lrn else r["avg_l_lrn"][:, :, None])
        err = err * c.m_lrn
        d = bcm + err
        norm_f: Any = f(1)
        if c.norm_on:
            new_norm = np.maximum(c.norm_decay_dt_c * pst["norm"], np.abs(d))
            with np.errstate(divide="ignore"):
                norm_f = np.where(
                    new_norm == 0, f(1), c.norm_lr_comp / np.maximum(new_norm, c.norm_min)
                )
            pst["norm"][...] = np.where(upd, new_norm, pst["norm"])
        if c.mom_on:
            new_mom = c.mom_dt_c * pst["moment"] + d
            pst["moment"][...] = np.where(upd, new_mom, pst["moment"])
            d = norm_f * (c.mom_lr_comp * new_mom)
        else:
            d = d * norm_f
        pst["dwt"][...] = np.where(upd, pst["dwt"] + c.lrate * d, pst["dwt"])
        if c.norm_on:
            mx = np.where(pj.mask[None], pst["norm"], f(0)).max(axis=1)  # (B, S)
            pst["norm"][...] = np.where(upd, mx[:, None, :], pst["norm"])


def wt_from_dwt(net: BuiltNetwork) -> None:
    """Go Prjn.WtFmDWt (soft bounding with the weight-balance factors, SIG), then
    WtBalFmWt every ``wt_bal_interval`` calls (Go Network.WtFmDWt)."""
    for pj in net.prjns:
        c, pst = net._pc[pj.name], net.state.prjns[pj.name]
        if not c.learn:
            continue
        d, lwt = pst["dwt"], pst["lwt"]
        inc = pst["wb_inc"][:, :, None] if c.wb_on else c.f(1)
        dec = pst["wb_dec"][:, :, None] if c.wb_on else c.f(1)
        if c.soft_bound:
            dd = np.where(d > 0, d * (inc * (c.f(1) - lwt)), d * (dec * lwt))
        else:
            dd = np.where(d > 0, d * inc, d * dec)
        chg = (d != 0) & pj.mask[None]
        new_lwt = np.clip(lwt + dd, 0, 1)
        lwt[...] = np.where(chg, new_lwt, lwt)
        pst["wt"][...] = np.where(chg, sig_from_lin(c, lwt), pst["wt"])
        d[...] = 0
    net.state.scalars["wt_bal_ctr"] += 1
    if net.state.scalars["wt_bal_ctr"] >= net.wt_bal_interval:
        net.state.scalars["wt_bal_ctr"] = 0
        wt_bal_from_wt(net)


def wt_bal_from_wt(net: BuiltNetwork) -> None:
    """Go Prjn.WtBalFmWt: per receiver, mean of weights >= AvgThr sets Inc/Dec."""
    for pj in net.prjns:
        c, pst = net._pc[pj.name], net.state.prjns[pj.name]
        if not (c.learn and c.wb_on):
            continue
        rl = net.layer(pj.recv)
        if rl.kind == "target" and not c.wb_targs:
            continue
        f = c.f
        n_con = pj.mask.sum(axis=1)  # (R,)
        rst = net.state.layers[pj.recv]
        ok = (n_con > 1)[None, :] & ~rst["has_targ"]
        sel = pj.mask[None] & (pst["wt"] >= c.wb_avg_thr)
        n = sel.sum(axis=2)
        s = _ssum(np.where(sel, pst["wt"], f(0)), 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = np.where(n > 0, s / n.astype(s.dtype), f(0))
        lo_avg = np.maximum(avg, c.wb_avg_thr)
        lo_fact = c.wb_lo_gain * (c.wb_lo_thr - lo_avg)
        hi_fact = c.wb_hi_gain * (avg - c.wb_hi_thr)
        lo_dec = f(1) / (f(1) + lo_fact)
        hi_inc = f(1) / (f(1) + hi_fact)
        is_lo, is_hi = avg < c.wb_lo_thr, avg > c.wb_hi_thr
        fact = np.where(is_lo, lo_fact, np.where(is_hi, hi_fact, f(0)))
        inc = np.where(is_lo, f(2) - lo_dec, np.where(is_hi, hi_inc, f(1)))
        dec = np.where(is_lo, lo_dec, np.where(is_hi, f(2) - hi_inc, f(1)))
        for v, val in (("wb_avg", avg), ("wb_fact", fact), ("wb_inc", inc), ("wb_dec", dec)):
            pst[v][...] = np.where(ok, val, pst[v])
