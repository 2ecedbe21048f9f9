"""The leabra-psyneulink flavour of the network model: packed state and the NumPy reference.

leabra-psyneulink 0.3.2 (import name ``leabra``) implements a Leabra variant of its own
(docs/network_model.md, "The leabra-psyneulink flavour"): a rate-coded unit whose membrane
potential is integrated twice (a spike-resetting ``v_m`` and an equilibrium ``v_m_eq``),
FFFB inhibition frozen during the plus phase, net input recomputed from every sender each
cycle, XCAL on the contrast-enhanced weight.  This module holds the packed layout that the
compat API (:mod:`leabra_fast.compat.leabra`), this reference and the compiled kernel
(``lpn_run`` in ``network/_kernel.pxi``) share, and the reference itself: whole cycles in
NumPy, every expression in the package's order so that both agree with it to rounding.

Layout (all float64 unless said):

* ``U[var, unit]``: unit state, rows ``U_*`` below, units of all layers concatenated.
* ``UP[par, unit]``: unit parameters (a unit spec per unit, as the package allows).
* ``LS[var, layer]`` / ``LP[par, layer]``: layer state and parameters.
* ``CI[conn, :]`` (intp): pre layer, post layer, pattern (0 full, 1 one-to-one), learn flag,
  weight offset, synced flag (1: the weights are those of the last learning step);
  ``CP[conn, :]``: scaling and learning parameters; ``WT`` / ``FWT``: the weights of all
  connections, each sender-major, concatenated.
* ``TX`` / ``TY`` / ``TLEN``: the noisy-XX1 lookup tables (one per distinct act_sd/act_gain).
* ``CT`` (int64): cycle_count, quarter_nb, trial_count, phase (0 minus, 1 plus), cycle_tot.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# unit state rows
(U_G_E, U_I_NET, U_I_NET_R, U_V_M, U_V_M_EQ, U_ACT, U_ACT_ND, U_ACT_M, U_ADAPT, U_SPIKE,
 U_AVG_SS, U_AVG_S, U_AVG_M, U_AVG_L, U_AVG_S_EFF, U_ACT_EXT, U_FORCED, U_NET_RAW, U_N) = range(19)
UNIT_VARS = ("g_e", "I_net", "I_net_r", "v_m", "v_m_eq", "act", "act_nd", "act_m", "adapt",
             "spike", "avg_ss", "avg_s", "avg_m", "avg_l", "avg_s_eff", "act_ext", "forced",
             "net_raw")
#: log code of ``net`` (g_bar_e * g_e), which is not a state row
LOG_NET = -1

# unit parameter rows: UnitSpec attributes (dt_net and dt_v_m are its properties)
UNIT_PARAMS = ("dt_net", "dt_v_m", "g_l", "g_bar_e", "g_bar_l", "g_bar_i", "e_rev_e", "e_rev_l",
               "e_rev_i", "act_thr", "act_gain", "noisy_act", "v_m_init", "v_m_r", "adapt_on",
               "dt_adapt", "v_m_gain", "spike_gain", "avg_ss_dt", "avg_s_dt", "avg_m_dt",
               "avg_l_dt", "avg_l_gain", "avg_l_min", "avg_m_in_s", "avg_lrn_min", "avg_lrn_max")
(P_DT_NET, P_DT_V_M, P_G_L, P_G_BAR_E, P_G_BAR_L, P_G_BAR_I, P_E_REV_E, P_E_REV_L, P_E_REV_I,
 P_ACT_THR, P_ACT_GAIN, P_NOISY, P_V_M_INIT, P_V_M_R, P_ADAPT_ON, P_DT_ADAPT, P_V_M_GAIN,
 P_SPIKE_GAIN, P_AVG_SS_DT, P_AVG_S_DT, P_AVG_M_DT, P_AVG_L_DT, P_AVG_L_GAIN, P_AVG_L_MIN,
 P_AVG_M_IN_S, P_AVG_LRN_MIN, P_AVG_LRN_MAX, P_HIDDEN, P_TABLE, P_N) = range(30)

# layer state and parameters
L_GC_I, L_FFI, L_FBI, L_AVG_ACT, L_N = range(5)
LAYER_PARAMS = ("lay_inhib", "fb_dt", "fb", "ff", "g_i", "trial_decay", "ff0")
LP_LAY_INHIB, LP_FB_DT, LP_FB, LP_FF, LP_G_I, LP_TRIAL_DECAY, LP_FF0, LP_N = range(8)

# connections
C_PRE, C_POST, C_PROJ, C_LEARN, C_OFF, C_SYNCED, C_N = range(7)
(CP_ABS, CP_ACT_CUR, CP_ACT_NEXT, CP_REL_EFF, CP_LRATE, CP_M_LRN, CP_D_THR, CP_D_REV,
 CP_SIG_OFF, CP_SIG_GAIN, CP_N) = range(11)
PROJ_FULL, PROJ_1TO1 = 0, 1

# counters
CT_CC, CT_QN, CT_TC, CT_PHASE, CT_CTOT, CT_N = range(6)

_TABLES: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = {}


def nxx1_table(act_sd: float, act_gain: float) -> tuple[np.ndarray, np.ndarray]:
    """The package's noisy-XX1 lookup table for ``act_sd`` and ``act_gain``: (x, y).

    XX1 (``g x / (g x + 1)`` for x > 0, else 0) sampled every 0.001 on a grid that extends
    twice the Gaussian's half-width (3 sd, at least one step) below zero and once above 1,
    convolved ("same" mode) with a Gaussian kernel ``exp(-x^2 / sd^2)`` normalised by its
    sequential sum, then cut to the grid from -half-width to 1.  Cached per parameter pair.
    """
    key = (float(act_sd), float(act_gain))
    tab = _TABLES.get(key)
    if tab is not None:
        return tab
    step = 0.001
    half = max(3.0 * key[0], step)
    gx = np.arange(-half, half + step, step)
    kern = np.exp(-gx**2 / max(key[0], 1.0e-6) ** 2)
    total = 0.0
    for v in kern.tolist():  # sequential, as a Python sum
        total += v
    kern = kern / total
    fx = np.arange(-2 * half, 1.0 + half + step, step)
    gxx = key[1] * np.maximum(fx, 0)
    smooth = np.convolve(gxx / (gxx + 1), kern, mode="same")
    x = np.arange(-half, 1.0 + step, step)
    lo = np.searchsorted(fx, x[0], side="left")
    hi = np.searchsorted(fx, x[-1], side="right")
    y = smooth[lo:hi]
    if len(y) != len(x):  # pragma: no cover - the grids are built to match
        raise RuntimeError("noisy XX1 table: grid and values differ in length")
    x.flags.writeable = False
    y.flags.writeable = False
    _TABLES[key] = (x, y)
    return x, y


def _xx1(gain: np.ndarray, v: np.ndarray) -> np.ndarray:
    g = gain * np.maximum(v, 0.0)
    return g / (g + 1)


def _nxx1(tx: np.ndarray, ty: np.ndarray, n: int, gain: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Noisy XX1 of one table: 0 below its grid, XX1 above, else linear interpolation with
    the interval found as ``searchsorted(x, v)`` clipped to [1, n-1] (scipy's interp1d)."""
    x, y = tx[:n], ty[:n]
    k = np.clip(np.searchsorted(x, v, side="left"), 1, n - 1)
    slope = (y[k] - y[k - 1]) / (x[k] - x[k - 1])
    out = slope * (v - x[k - 1]) + y[k - 1]
    out = np.where(v > x[n - 1], _xx1(gain, v), out)
    return np.where(v < x[0], 0.0, out)


class Packed:
    """The packed state and parameters of one network (built by the compat API)."""

    U: np.ndarray
    UP: np.ndarray
    LS: np.ndarray
    LP: np.ndarray
    lay_off: np.ndarray
    CI: np.ndarray
    CP: np.ndarray
    WT: np.ndarray
    FWT: np.ndarray
    TX: np.ndarray
    TY: np.ndarray
    TLEN: np.ndarray
    CT: np.ndarray
    in_vals: np.ndarray
    in_mask: np.ndarray
    out_vals: np.ndarray
    out_mask: np.ndarray


def _trial_init(p: Packed) -> None:
    U, UP = p.U, p.UP
    for r in (U_G_E, U_I_NET, U_I_NET_R, U_ACT, U_ACT_ND, U_ACT_M, U_ADAPT, U_ACT_EXT, U_FORCED):
        U[r] = 0.0
    U[U_V_M] = UP[P_V_M_INIT]
    U[U_V_M_EQ] = U[U_V_M]
    for li in range(p.LS.shape[1]):
        p.LS[L_FFI, li] -= p.LP[LP_TRIAL_DECAY, li] * p.LS[L_FFI, li]
        p.LS[L_FBI, li] -= p.LP[LP_TRIAL_DECAY, li] * p.LS[L_FBI, li]


def force(p: Packed, sl: slice, vals: np.ndarray) -> None:
    """Clamp the units ``sl`` to ``vals`` (the package's force_activity: no clipping)."""
    U, UP = p.U, p.UP
    U[U_ACT_EXT, sl] = vals
    U[U_FORCED, sl] = 1.0
    U[U_G_E, sl] = vals / UP[P_G_BAR_E, sl]
    U[U_I_NET, sl] = 0.0
    U[U_ACT, sl] = vals
    U[U_ACT_ND, sl] = vals
    U[U_V_M, sl] = np.where(vals == 0, UP[P_E_REV_L, sl],
                            UP[P_ACT_THR, sl] + vals / UP[P_ACT_GAIN, sl])
    U[U_V_M_EQ, sl] = U[U_V_M, sl]


def _force_layers(p: Packed, mask: np.ndarray, vals: np.ndarray) -> None:
    for li in range(p.LS.shape[1]):
        if mask[li]:
            sl = slice(p.lay_off[li], p.lay_off[li + 1])
            force(p, sl, vals[sl])


def _send(p: Packed) -> None:
    """Net input of every unit: the sum, in connection then sender order, of
    ``abs * (act_scale * rel_eff) * wt * act_pre`` (the package's per-link list and sum)."""
    U = p.U
    U[U_NET_RAW] = 0.0
    for ci in range(p.CI.shape[0]):
        pre, post, proj, _, off, _ = (int(v) for v in p.CI[ci])
        scale = p.CP[ci, CP_ABS] * (p.CP[ci, CP_ACT_CUR] * p.CP[ci, CP_REL_EFF])
        s0, s1 = int(p.lay_off[pre]), int(p.lay_off[pre + 1])
        r0, r1 = int(p.lay_off[post]), int(p.lay_off[post + 1])
        ns, nr = s1 - s0, r1 - r0
        act = U[U_ACT, s0:s1]
        acc = U[U_NET_RAW, r0:r1]
        if proj == PROJ_FULL:
            w = p.WT[off:off + ns * nr].reshape(ns, nr)
            for i in range(ns):
                acc += (scale * w[i]) * act[i]
        else:
            acc += (scale * p.WT[off:off + nr]) * act


def _unit_cycle(p: Packed, sl: slice, g_i: float) -> None:
    U, UP = p.U, p.UP
    free = U[U_FORCED, sl] == 0.0
    g_e = U[U_G_E, sl]  # already integrated this cycle (_layer_cycle)
    dt_v = UP[P_DT_V_M, sl]
    gc_e = UP[P_G_BAR_E, sl] * g_e
    gc_i = UP[P_G_BAR_I, sl] * g_i
    gc_l = UP[P_G_BAR_L, sl] * UP[P_G_L, sl]
    e_e, e_l, e_i = UP[P_E_REV_E, sl], UP[P_E_REV_L, sl], UP[P_E_REV_I, sl]
    adapt = U[U_ADAPT, sl]

    def cur(v: np.ndarray) -> np.ndarray:
        return gc_e * (e_e - v) + gc_i * (e_i - v) + gc_l * (e_l - v) - adapt

    v = U[U_V_M, sl]
    i_net = cur(v)
    i_net = cur(v + (0.5 * dt_v) * i_net)  # the second half step's current
    i_net_r = cur(U[U_V_M_EQ, sl])
    v_m = v + dt_v * i_net
    v_m_eq = U[U_V_M_EQ, sl] + dt_v * i_net_r
    thr = UP[P_ACT_THR, sl]
    spike = v_m > thr
    v_m = np.where(spike, UP[P_V_M_R, sl], v_m)
    i_net = np.where(spike, 0.0, i_net)
    g_e_thr = (gc_i * (e_i - thr) + gc_l * (e_l - thr) - adapt) / (thr - e_e)
    x = np.where(v_m_eq <= thr, v_m_eq - thr, gc_e - g_e_thr)
    gain = UP[P_ACT_GAIN, sl]
    new_act = _xx1(gain, x)
    noisy = UP[P_NOISY, sl] != 0.0
    if noisy.any():
        tab = UP[P_TABLE, sl].astype(np.intp)
        for t in np.unique(tab[noisy]):
            m = noisy & (tab == t)
            new_act[m] = _nxx1(p.TX[t], p.TY[t], int(p.TLEN[t]), gain[m], x[m])
    act_nd = U[U_ACT_ND, sl] + dt_v * (new_act - U[U_ACT_ND, sl])
    spk = spike.astype(np.float64)
    adapt_new = adapt + (UP[P_DT_ADAPT, sl] * (UP[P_V_M_GAIN, sl] * (v_m - e_l) - adapt)
                         + spk * UP[P_SPIKE_GAIN, sl])
    adapt_new = np.where(UP[P_ADAPT_ON, sl] != 0.0, adapt_new, adapt)
    for row, val in ((U_I_NET, i_net), (U_I_NET_R, i_net_r), (U_V_M, v_m),
                     (U_V_M_EQ, v_m_eq), (U_SPIKE, spk), (U_ACT_ND, act_nd), (U_ACT, act_nd),
                     (U_ADAPT, adapt_new)):
        U[row, sl] = np.where(free, val, U[row, sl])
    # averages: every unit, clamped or not
    U[U_AVG_SS, sl] += UP[P_AVG_SS_DT, sl] * (U[U_ACT_ND, sl] - U[U_AVG_SS, sl])
    U[U_AVG_S, sl] += UP[P_AVG_S_DT, sl] * (U[U_AVG_SS, sl] - U[U_AVG_S, sl])
    U[U_AVG_M, sl] += UP[P_AVG_M_DT, sl] * (U[U_AVG_S, sl] - U[U_AVG_M, sl])
    m_in_s = UP[P_AVG_M_IN_S, sl]
    U[U_AVG_S_EFF, sl] = m_in_s * U[U_AVG_M, sl] + (1 - m_in_s) * U[U_AVG_S, sl]


def _layer_cycle(p: Packed, li: int) -> None:
    sl = slice(int(p.lay_off[li]), int(p.lay_off[li + 1]))
    LS, LP, U = p.LS, p.LP, p.U
    # g_e of the free units follows this cycle's net input (clamped units keep theirs)
    g_e = U[U_G_E, sl]
    U[U_G_E, sl] = np.where(U[U_FORCED, sl] == 0.0,
                            g_e + p.UP[P_DT_NET, sl] * (U[U_NET_RAW, sl] - g_e), g_e)
    if p.CT[CT_PHASE] == 0:  # the plus phase keeps the minus phase's last inhibition
        if LP[LP_LAY_INHIB, li] != 0.0:
            # feedforward from the layer's mean g_e, feedback from its mean act of the last cycle
            LS[L_FFI, li] = LP[LP_FF, li] * max(0.0, float(np.mean(U[U_G_E, sl])) - LP[LP_FF0, li])
            LS[L_FBI, li] += LP[LP_FB_DT, li] * (LP[LP_FB, li] * LS[L_AVG_ACT, li] - LS[L_FBI, li])
            LS[L_GC_I, li] = LP[LP_G_I, li] * (LS[L_FFI, li] + LS[L_FBI, li])
        else:
            LS[L_GC_I, li] = 0.0
    _unit_cycle(p, sl, float(LS[L_GC_I, li]))
    LS[L_AVG_ACT, li] = np.mean(p.U[U_ACT, sl])


def _xcal(x: np.ndarray, th: np.ndarray, d_thr: float, d_rev: float) -> np.ndarray:
    out = np.where(x > th * d_rev, x - th, -x * ((1 - d_rev) / d_rev))
    return np.where(x < d_thr, 0.0, out)


def _learn(p: Packed) -> None:
    U, UP = p.U, p.UP
    for ci in range(p.CI.shape[0]):
        pre, post, proj, learn, off, _ = (int(v) for v in p.CI[ci])
        s0, s1 = int(p.lay_off[pre]), int(p.lay_off[pre + 1])
        r0, r1 = int(p.lay_off[post]), int(p.lay_off[post + 1])
        ns, nr = s1 - s0, r1 - r0
        n = ns * nr if proj == PROJ_FULL else nr
        wt = p.WT[off:off + n]
        if learn:
            cp = p.CP[ci]
            fwt = p.FWT[off:off + n]
            if proj == PROJ_FULL:
                s_eff, s_m = np.repeat(U[U_AVG_S_EFF, s0:s1], nr), np.repeat(U[U_AVG_M, s0:s1], nr)
                ridx = np.tile(np.arange(r0, r1), ns)
            else:
                s_eff, s_m = U[U_AVG_S_EFF, s0:s1], U[U_AVG_M, s0:s1]
                ridx = np.arange(r0, r1)
            r_eff, r_m, r_l = U[U_AVG_S_EFF, ridx], U[U_AVG_M, ridx], U[U_AVG_L, ridx]
            srs = r_eff * s_eff
            srm = r_m * s_m
            lo, hi = UP[P_AVG_LRN_MIN, ridx], UP[P_AVG_LRN_MAX, ridx]
            lmin, lgain = UP[P_AVG_L_MIN, ridx], UP[P_AVG_L_GAIN, ridx]
            l_lrn = np.where(UP[P_HIDDEN, ridx] != 0.0,
                             lo + (hi - lo) / (lgain - lmin) * (r_l - lmin), 0.0)
            d_thr, d_rev = cp[CP_D_THR], cp[CP_D_REV]
            dwt = cp[CP_LRATE] * (cp[CP_M_LRN] * _xcal(srs, srm, d_thr, d_rev)
                                  + l_lrn * _xcal(srs, r_l, d_thr, d_rev))
            dwt = dwt * np.where(dwt > 0, 1 - fwt, fwt)
            fwt += dwt
            with np.errstate(divide="ignore", invalid="ignore"):
                base = cp[CP_SIG_OFF] * (1 - fwt) / fwt
            # libm's pow, as the package's float ** and the kernel (NumPy's may round otherwise)
            gain = float(cp[CP_SIG_GAIN])
            powed = np.array([_pow(b, gain) for b in base.tolist()])
            wt[:] = 1 / (1 + powed)
            p.CI[ci, C_SYNCED] = 1
        # the package's max(0.0, min(1.0, wt)) (a NaN becomes 1)
        wt[:] = np.where(wt < 1.0, wt, 1.0)
        wt[:] = np.where(wt > 0.0, wt, 0.0)


def _pow(b: float, e: float) -> float:
    try:
        return math.pow(b, e)
    except (ValueError, OverflowError):
        return math.nan if b < 0 else math.inf


def _update_avg_l(p: Packed) -> None:
    U, UP = p.U, p.UP
    U[U_AVG_L] += UP[P_AVG_L_DT] * (UP[P_AVG_L_GAIN] * U[U_AVG_M] - U[U_AVG_L])
    U[U_AVG_L] = np.maximum(U[U_AVG_L], UP[P_AVG_L_MIN])


def run(p: Packed, n_cycles: int, quarter_size: int, log_vars: np.ndarray,
        log_units: np.ndarray, log_gci: np.ndarray) -> None:
    """Run ``n_cycles`` cycles in place, with the package's quarter and trial events.

    ``log_units[c, k, :]`` receives unit variable ``log_vars[k]`` (a ``U_*`` row, or
    ``LOG_NET``) after cycle c; ``log_gci[c, :]`` the layers' inhibition.
    """
    ct = p.CT
    n_layers = p.LS.shape[1]
    for c in range(n_cycles):
        if ct[CT_CC] == quarter_size:
            ct[CT_QN] += 1
            if ct[CT_QN] == 5:
                ct[CT_TC] += 1
                ct[CT_QN] = 1
            ct[CT_CC] = 0
        if ct[CT_CC] == 0:
            p.CP[:, CP_ACT_CUR] = p.CP[:, CP_ACT_NEXT]
            if ct[CT_QN] == 1:
                _trial_init(p)
                _force_layers(p, p.in_mask, p.in_vals)
            elif ct[CT_QN] == 4:
                _force_layers(p, p.out_mask, p.out_vals)
        _send(p)
        for li in range(n_layers):
            _layer_cycle(p, li)
        for k, var in enumerate(log_vars):
            if var == LOG_NET:
                log_units[c, k] = p.UP[P_G_BAR_E] * p.U[U_G_E]
            else:
                log_units[c, k] = p.U[var]
        log_gci[c] = p.LS[L_GC_I]
        ct[CT_CC] += 1
        ct[CT_CTOT] += 1
        if ct[CT_CC] == quarter_size:
            if ct[CT_QN] == 3:
                p.U[U_ACT_M] = p.U[U_ACT]
                ct[CT_PHASE] = 1
            if ct[CT_QN] == 4:
                _learn(p)
                _update_avg_l(p)
                ct[CT_PHASE] = 0


def as_dict(p: Packed) -> dict[str, Any]:
    """The arrays of ``p`` by name (for the compiled kernel and for tests)."""
    return {k: getattr(p, k) for k in Packed.__annotations__}
