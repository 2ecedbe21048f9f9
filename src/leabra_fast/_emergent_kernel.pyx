# cython: language_level=3
# cython: freethreading_compatible = True
"""Compiled kernel of the canonical emergent model: C doubles, typed memoryviews, no GIL.

Same layout as the seed kernel: scalar C functions for each of emergent's
equations (``noisy_xx1``, ``nxx1_lookup``, ``xcal``, ``sig`` ...), one loop
over units and cycles that strings them together in emergent's per-cycle
order, and a thin ``def`` entry point.  Validation and allocation happen in
Python (``leabra_fast.emergent.simulation``); the loop touches no Python object
and reports problems by status code.  Units are independent (no coupling
between them), so ``n_threads`` > 1 splits them into contiguous chunks run
on OpenMP threads, each with the whole cycle loop inside: no barrier per
cycle, and every unit computed by the same code whatever the split, so the
bits do not depend on the thread count.  Every expression is written in the same
order as in the reference backend (``leabra_fast.emergent.reference``), and the
build disables FMA contraction, so the two agree to rounding.
"""

from leabra_fast._forkguard import fork_unsafe as _fork_unsafe
from leabra_fast._forkguard import mark_threads_used as _mark_threads_used

from cython.parallel cimport prange
from libc.math cimport exp, pow, isfinite
from libc.stdlib cimport free, malloc

cdef extern from *:
    """
    #define LFE_STATUS_OK 0
    #define LFE_STATUS_NONFINITE 1
    #define LFE_STATUS_BAD_ARGS -1
    #ifdef _OPENMP
    #define LFE_HAS_OPENMP 1
    #else
    #define LFE_HAS_OPENMP 0
    #endif
    """
    int LFE_STATUS_OK
    int LFE_STATUS_NONFINITE
    int LFE_STATUS_BAD_ARGS
    int LFE_HAS_OPENMP

STATUS_OK = LFE_STATUS_OK
STATUS_NONFINITE = LFE_STATUS_NONFINITE
STATUS_BAD_ARGS = LFE_STATUS_BAD_ARGS
#: True when this build runs ``n_threads`` > 1 on OpenMP threads (else serially).
HAS_OPENMP = bool(LFE_HAS_OPENMP)

# OpenMP and fork: see leabra_fast/_forkguard.py (one pool per process, both kernels).

# Trace positions (leabra_fast.emergent.reference.TRACE_NAMES order).
cdef enum:
    T_NET_RAW, T_NET, T_G_E, T_G_I, T_G_K, T_I_NET, T_V_M, T_V_M_EQ, T_ACT, T_ACT_ND, T_SPIKE,
    T_ADAPT, T_AVG_SS, T_AVG_S, T_AVG_M, T_AVG_L, T_AVG_L_LRN, T_AVG_S_EFF,
    T_DWT, T_SRS, T_SRM, T_FWT, T_WT, T_XCAL, N_TRACES

# Rows of the packed unit state (leabra_fast.emergent.reference.UNIT_STATE order).
cdef enum:
    S_NET, S_V_M, S_V_M_EQ, S_ACT, S_ACT_ND, S_ADAPT, S_ISI, S_ISI_AVG,
    S_AVG_SS, S_AVG_S, S_AVG_M, S_AVG_L, S_GKNA_F, S_GKNA_M, S_GKNA_S, N_UNIT_STATE


cdef struct EConsts:
    # Filled from leabra_fast.emergent.params.derived_constants (same names); flags are 0/1.
    double spike_mode, use_table, k_net, direct_ge, net_clip_zero, net_scale
    double g_bar_e, g_bar_l, g_bar_i, e_rev_e, e_rev_l, e_rev_i
    double thr, gain, nvar, vm_act_thr, sig_mult_eff, sig_val_at_0, sig_gain_nvar
    double interp_range, gain_cor_range, gain_cor, interp_val
    double k_vm, vm_midpoint, rate_spikes, vm_min, vm_max
    double exp_on, exp_slope, k_exp, spk_thr, vm_r, t_r, rate_num, isi_dt
    double adapt_on, adapt_dt, adapt_div, k_adapt_integ, vm_gain, spike_gain, quirk_adapt_seed
    double init_v_m, init_act, init_net, decay, clamp_min, clamp_max, minus_cycles, cyc_per_qtr
    double k_ss, k_s, k_m, m_in_s, one_m_in_s, k_l, avg_l_gain, avg_l_min, quirk_avg_l_seed
    double avg_l_lrn_min, lrn_fact, set_l_lrn, l_lrn
    double lrate, m_lrn, d_thr, d_rev, rev_fac, lrn_thr, soft_bound
    double wt_sig_gain, wt_sig_off, quirk_sig_seed, sig_eps, learn_every_cycle, act_nd_spike
    double kna_on, g_bar_k, e_rev_k, kna_rate_rise
    double kna_f_rise, kna_f_max, kna_f_dt, kna_m_rise, kna_m_max, kna_m_dt
    double kna_s_rise, kna_s_max, kna_s_dt
    double table_x0, table_res


# --- activation function -------------------------------------------------------------
cdef inline double xx1(double x) noexcept nogil:
    """XX1(x) = x / (x + 1)."""
    return x / (x + 1.0)


cdef inline double xx1_gain_cor(double x, const EConsts* c) noexcept nogil:
    """XX1(gain*x) with the gain lowered by up to gain_cor near threshold."""
    cdef double gcf = (c.gain_cor_range - x / c.nvar) / c.gain_cor_range
    if gcf < 0.0:
        return xx1(c.gain * x)
    return xx1(c.gain * (1.0 - c.gain_cor * gcf) * x)


cdef inline double noisy_xx1(double x, const EConsts* c) noexcept nogil:
    """Closed-form noisy XX1 (C++ emergent 8, Go): sigmoid below 0, interpolation, XX1 above."""
    cdef double interp
    if x < 0.0:
        return c.sig_mult_eff / (1.0 + exp(-(x * c.sig_gain_nvar)))
    if x < c.interp_range:
        interp = 1.0 - ((c.interp_range - x) / c.interp_range)
        return c.sig_val_at_0 + interp * c.interp_val
    return xx1_gain_cor(x, c)


cdef inline double nxx1_lookup(double x, const double[::1] table, const EConsts* c) noexcept nogil:
    """Noisy XX1 from the convolution table (emergent <= 7), linear interpolation."""
    cdef Py_ssize_t n = table.shape[0]
    cdef double x_top = c.table_x0 + (n - 1) * c.table_res
    cdef double gx, frac
    cdef Py_ssize_t k
    if x >= x_top:
        gx = c.gain * x
        return gx / (gx + 1.0)
    if not (x > c.table_x0):
        return 0.0
    k = <Py_ssize_t>((x - c.table_x0) / c.table_res)
    if k > n - 2:
        k = n - 2
    frac = (x - (c.table_x0 + k * c.table_res)) / c.table_res
    return table[k] + (table[k + 1] - table[k]) * frac


cdef inline double ge_thr(double g_i, double adapt, double g_k, const EConsts* c) noexcept nogil:
    """Excitatory conductance that puts the equilibrium potential at thr."""
    cdef double num = g_i * (c.e_rev_i - c.thr) + c.g_bar_l * (c.e_rev_l - c.thr)
    if c.kna_on != 0.0:
        num = num + g_k * (c.e_rev_k - c.thr)
    return (num - adapt) / (c.thr - c.e_rev_e)


cdef inline double inet(double v, double g_e, double g_i, double g_k,
                        const EConsts* c) noexcept nogil:
    """Net current of the excitatory, leak, inhibitory (and KNa) channels at potential v."""
    cdef double i = g_e * (c.e_rev_e - v) + c.g_bar_l * (c.e_rev_l - v) + g_i * (c.e_rev_i - v)
    if c.kna_on != 0.0:
        i = i + g_k * (c.e_rev_k - v)
    return i


cdef inline double kna_step(double g, double rise, double gmax, double dt, bint spiking,
                            bint spike, double act) noexcept nogil:
    """One cycle of a Na-gated K conductance: rise toward gmax by spikes (or act), decay by dt."""
    if spiking:
        if spike:
            return g + rise * (gmax - g)
        return g - dt * g
    return g + act * rise * (gmax - g) - dt * g


cdef inline double avg_fm_isi(double avg, double isi, const EConsts* c) noexcept nogil:
    """Running average of the inter-spike interval; jumps down on much shorter intervals."""
    if avg <= 0.0 or isi < 0.8 * avg:
        return isi
    return avg + c.isi_dt * (isi - avg)


cdef inline double clip(double x, double lo, double hi) noexcept nogil:
    if x < lo:
        x = lo
    if x > hi:
        x = hi
    return x


# --- learning ---------------------------------------------------------------------------
cdef inline double xcal(double x, double th, const EConsts* c) noexcept nogil:
    """XCAL check mark: 0 below d_thr, x - th above th*d_rev, else -x*(1-d_rev)/d_rev."""
    if x < c.d_thr:
        return 0.0
    if x > th * c.d_rev:
        return x - th
    return -x * c.rev_fac


cdef inline double sig(double w, const EConsts* c) noexcept nogil:
    """Weight contrast enhancement (emergent: exact at 0 and 1; or the seed notebook's SIG)."""
    if c.quirk_sig_seed != 0.0:
        return 1.0 / (1.0 + pow((c.wt_sig_off * (1.0 - w)) / (w + c.sig_eps), c.wt_sig_gain))
    if w <= 0.0:
        return 0.0
    if w >= 1.0:
        return 1.0
    return 1.0 / (1.0 + pow((c.wt_sig_off * (1.0 - w)) / w, c.wt_sig_gain))


cdef int run_units(
    const EConsts* c,
    const double[::1] table,
    const double[:, :, :] x,
    const double[:, :, :] su_s,
    const double[:, :, :] su_m,
    const double[:, :, :] ge,
    const double[:, :, :] gc_i,
    const double[:, :, :] ext,
    const double[:, :, :] targ,
    double[:, ::1] us,
    double[:, :, ::1] ss,
    Py_ssize_t n_cycles, Py_ssize_t c0, Py_ssize_t c1,
    Py_ssize_t abs0, Py_ssize_t every, Py_ssize_t rec_base,
    const Py_ssize_t* slot,
    const Py_ssize_t[::1] unit_cols,
    double[:, :, ::1] ub,
    double[:, :, :, ::1] sb,
    long long[::1] spikes,
    long long[::1] first_bad,
    double[:, :, ::1] act_q,
    Py_ssize_t u_start, Py_ssize_t u_stop,
) noexcept nogil:
    """Run cycles ``c0 .. c1-1`` of units ``u_start .. u_stop-1``; touches only their data."""
    cdef Py_ssize_t u, j, t, trial, cyc, absolute, row, col
    cdef Py_ssize_t n_inputs = ss.shape[2]
    cdef double net, v_m, v_m_eq, act, act_nd, adapt, isi, isi_avg
    cdef double avg_ss, avg_s, avg_m, avg_l, gkna_f, gkna_m, gkna_s, g_k, a_kna
    cdef double d, clampv, tv, acc, net_raw, g_e, g_i, i1, v_eff, i_net, new_vm, new_eq
    cdef double spk, drive, target, rate, cv, avg_l_lrn, avg_s_eff
    cdef double srs, srm, xcal_l, dwt, fwt, wt, f, su_sv, su_mv
    cdef bint clamped, refractory, spike, rec, learn_now, need_syn, any_syn
    cdef bint spike_mode = c.spike_mode != 0.0
    cdef bint can_spike = spike_mode or c.rate_spikes != 0.0
    cdef double k_half = 0.5 * c.k_vm
    cdef int status = LFE_STATUS_OK
    cdef long long n_spikes
    cdef Py_ssize_t cyc_per_qtr = <Py_ssize_t>c.cyc_per_qtr

    any_syn = (slot[T_SRS] >= 0 or slot[T_SRM] >= 0 or slot[T_XCAL] >= 0 or slot[T_DWT] >= 0
               or slot[T_FWT] >= 0 or slot[T_WT] >= 0)
    for u in range(u_start, u_stop):
        net = us[S_NET, u]
        v_m = us[S_V_M, u]
        v_m_eq = us[S_V_M_EQ, u]
        act = us[S_ACT, u]
        act_nd = us[S_ACT_ND, u]
        adapt = us[S_ADAPT, u]
        isi = us[S_ISI, u]
        isi_avg = us[S_ISI_AVG, u]
        avg_ss = us[S_AVG_SS, u]
        avg_s = us[S_AVG_S, u]
        avg_m = us[S_AVG_M, u]
        avg_l = us[S_AVG_L, u]
        gkna_f = us[S_GKNA_F, u]
        gkna_m = us[S_GKNA_M, u]
        gkna_s = us[S_GKNA_S, u]
        col = unit_cols[u]
        n_spikes = 0

        for t in range(c0, c1):
            trial = t // n_cycles
            cyc = t - trial * n_cycles
            absolute = abs0 + (t - c0)

            if cyc == 0:
                # Trial start: avg_l from the last avg_m, then decay toward the initial state.
                if c.quirk_avg_l_seed == 0.0:
                    avg_l = avg_l + c.k_l * (c.avg_l_gain * avg_m - avg_l)
                    if avg_l < c.avg_l_min:
                        avg_l = c.avg_l_min
                d = c.decay
                act = act - d * (act - c.init_act)
                act_nd = act_nd - d * (act_nd - c.init_act)
                net = net - d * (net - c.init_net)
                v_m = v_m - d * (v_m - c.init_v_m)
                v_m_eq = v_m_eq - d * (v_m_eq - c.init_v_m)

            # External clamp: target in the plus phase, else ext; NaN = free.
            clampv = ext[trial, cyc, u]
            if cyc >= c.minus_cycles:
                tv = targ[trial, cyc, u]
                if tv == tv:
                    clampv = tv
            clamped = clampv == clampv

            # Net input.
            acc = 0.0
            for j in range(n_inputs):
                acc = acc + x[trial, u, j] * ss[1, u, j]
            net_raw = c.net_scale * acc + ge[trial, cyc, u]
            g_i = c.g_bar_i * gc_i[trial, cyc, u]
            g_k = c.g_bar_k * (gkna_f + gkna_m + gkna_s)
            spk = 0.0
            spike = False

            if clamped:
                # Hard clamp (C++ Compute_HardClamp): act, v_m follow ext; no dynamics.
                net = clampv
                g_e = c.g_bar_e * net
                cv = clip(clampv, c.clamp_min, c.clamp_max)
                if cv == 0.0:
                    v_m = c.e_rev_l
                else:
                    v_m = c.thr + cv / c.gain
                v_m_eq = v_m
                act = cv
                act_nd = cv
                i_net = 0.0
            else:
                if c.direct_ge != 0.0:
                    net = net_raw + 0.0
                else:
                    net = net + c.k_net * (net_raw - net)
                if c.net_clip_zero != 0.0 and net < 0.0:
                    net = 0.0
                g_e = c.g_bar_e * net

                # Membrane potential: midpoint or Euler; held while refractory.
                refractory = can_spike and c.t_r > 0.0 and isi >= 0.0 and isi < c.t_r
                if c.vm_midpoint != 0.0:
                    i1 = inet(v_m, g_e, g_i, g_k, c)
                    v_eff = v_m + k_half * (i1 - adapt)
                else:
                    v_eff = v_m
                i_net = inet(v_eff, g_e, g_i, g_k, c)
                if c.exp_on != 0.0:
                    i_net = i_net + c.k_exp * exp((v_eff - c.thr) / c.exp_slope)
                if refractory:
                    new_vm = v_m
                    i_net = 0.0
                else:
                    new_vm = v_m + c.k_vm * (i_net - adapt)
                new_eq = v_m_eq + c.k_vm * (inet(v_m_eq, g_e, g_i, g_k, c) - adapt)
                new_vm = clip(new_vm, c.vm_min, c.vm_max)
                new_eq = clip(new_eq, c.vm_min, c.vm_max)

                # Spikes, reset, inter-spike-interval estimate.
                if can_spike:
                    spike = new_vm > c.spk_thr
                    if spike:
                        new_vm = c.vm_r
                        if isi_avg == -1.0:
                            isi_avg = -2.0
                        elif isi > 0.0:
                            isi_avg = avg_fm_isi(isi_avg, isi + 1.0, c)
                        isi = 0.0
                    elif isi >= 0.0:
                        isi = isi + 1.0
                        if isi_avg >= 0.0 and isi > 0.0 and isi > 1.2 * isi_avg:
                            isi_avg = avg_fm_isi(isi_avg, isi, c)
                spk = 1.0 if spike else 0.0
                n_spikes += spike

                # Activation.
                if spike_mode:
                    act = spk
                    if c.act_nd_spike != 0.0:
                        act_nd = spk
                    else:
                        rate = c.rate_num / isi_avg if isi_avg > 0.0 else 0.0
                        if rate > 1.0:
                            rate = 1.0
                        act_nd = act_nd + c.k_vm * (rate - act_nd)
                else:
                    if act_nd < c.vm_act_thr and new_eq <= c.thr:
                        drive = new_eq - c.thr
                    else:
                        drive = g_e - ge_thr(g_i, adapt, g_k, c)
                    if c.use_table != 0.0:
                        target = nxx1_lookup(drive, table, c)
                    else:
                        target = noisy_xx1(drive, c)
                    act_nd = act_nd + c.k_vm * (target - act_nd)
                    act = act_nd

                # Adaptation current.
                if c.adapt_on != 0.0:
                    if c.quirk_adapt_seed != 0.0:
                        adapt = adapt + ((c.vm_gain * (new_vm - c.e_rev_l)) + spk * c.spike_gain) / c.adapt_div
                    else:
                        adapt = adapt + c.k_adapt_integ * (
                            c.adapt_dt * (c.vm_gain * (new_vm - c.e_rev_l) - adapt) + spk * c.spike_gain)
                # KNa adaptation from this cycle's spike (spiking) or new act (rate code).
                if c.kna_on != 0.0:
                    a_kna = c.kna_rate_rise * act_nd
                    gkna_f = kna_step(gkna_f, c.kna_f_rise, c.kna_f_max, c.kna_f_dt, spike_mode,
                                      spike, a_kna)
                    gkna_m = kna_step(gkna_m, c.kna_m_rise, c.kna_m_max, c.kna_m_dt, spike_mode,
                                      spike, a_kna)
                    gkna_s = kna_step(gkna_s, c.kna_s_rise, c.kna_s_max, c.kna_s_dt, spike_mode,
                                      spike, a_kna)
                v_m = new_vm
                v_m_eq = new_eq

            # Running averages of act_nd, every cycle.
            avg_ss = avg_ss + c.k_ss * (act_nd - avg_ss)
            avg_s = avg_s + c.k_s * (avg_ss - avg_s)
            avg_m = avg_m + c.k_m * (avg_s - avg_m)
            if c.quirk_avg_l_seed != 0.0 and cyc == 0:
                avg_l = avg_l + c.k_l * (avg_m - avg_l)
            if c.set_l_lrn != 0.0:
                avg_l_lrn = c.l_lrn
            else:
                avg_l_lrn = c.avg_l_lrn_min + (avg_l - c.avg_l_min) * c.lrn_fact
            avg_s_eff = c.m_in_s * avg_m + c.one_m_in_s * avg_s

            if (cyc + 1) % cyc_per_qtr == 0:
                act_q[trial, cyc // cyc_per_qtr, u] = act_nd

            if not isfinite(i_net) and first_bad[u] < 0:
                first_bad[u] = absolute
                status = LFE_STATUS_NONFINITE

            rec = col >= 0 and absolute % every == 0
            row = absolute // every - rec_base

            # XCAL learning: at the last cycle of the trial (or every cycle, seed quirk).
            learn_now = c.learn_every_cycle != 0.0 or cyc == n_cycles - 1
            need_syn = learn_now or (rec and any_syn)
            if need_syn:
                for j in range(n_inputs):
                    su_sv = su_s[trial, u, j]
                    su_mv = su_m[trial, u, j]
                    srs = avg_s_eff * su_sv
                    srm = avg_m * su_mv
                    xcal_l = xcal(srs, avg_l, c)
                    dwt = 0.0
                    fwt = ss[0, u, j]
                    if learn_now and not (su_sv < c.lrn_thr and su_mv < c.lrn_thr):
                        dwt = 0.0 + c.lrate * (c.m_lrn * xcal(srs, srm, c) + avg_l_lrn * xcal_l)
                        if c.soft_bound != 0.0:
                            if dwt > 0:
                                dwt = dwt * (1.0 - fwt)
                            else:
                                dwt = dwt * fwt
                        if dwt != 0.0 or c.learn_every_cycle != 0.0:
                            f = clip(fwt + dwt, 0.0, 1.0)
                            ss[0, u, j] = f
                            ss[1, u, j] = sig(f, c)
                    if rec:
                        if slot[T_DWT] >= 0: sb[slot[T_DWT], row, col, j] = dwt
                        if slot[T_SRS] >= 0: sb[slot[T_SRS], row, col, j] = srs
                        if slot[T_SRM] >= 0: sb[slot[T_SRM], row, col, j] = srm
                        if slot[T_FWT] >= 0: sb[slot[T_FWT], row, col, j] = ss[0, u, j]
                        if slot[T_WT] >= 0: sb[slot[T_WT], row, col, j] = ss[1, u, j]
                        if slot[T_XCAL] >= 0: sb[slot[T_XCAL], row, col, j] = xcal_l

            if rec:
                if slot[T_NET_RAW] >= 0: ub[slot[T_NET_RAW], row, col] = net_raw
                if slot[T_NET] >= 0: ub[slot[T_NET], row, col] = net
                if slot[T_G_E] >= 0: ub[slot[T_G_E], row, col] = g_e
                if slot[T_G_I] >= 0: ub[slot[T_G_I], row, col] = g_i
                if slot[T_G_K] >= 0: ub[slot[T_G_K], row, col] = g_k
                if slot[T_I_NET] >= 0: ub[slot[T_I_NET], row, col] = i_net
                if slot[T_V_M] >= 0: ub[slot[T_V_M], row, col] = v_m
                if slot[T_V_M_EQ] >= 0: ub[slot[T_V_M_EQ], row, col] = v_m_eq
                if slot[T_ACT] >= 0: ub[slot[T_ACT], row, col] = act
                if slot[T_ACT_ND] >= 0: ub[slot[T_ACT_ND], row, col] = act_nd
                if slot[T_SPIKE] >= 0: ub[slot[T_SPIKE], row, col] = spk
                if slot[T_ADAPT] >= 0: ub[slot[T_ADAPT], row, col] = adapt
                if slot[T_AVG_SS] >= 0: ub[slot[T_AVG_SS], row, col] = avg_ss
                if slot[T_AVG_S] >= 0: ub[slot[T_AVG_S], row, col] = avg_s
                if slot[T_AVG_M] >= 0: ub[slot[T_AVG_M], row, col] = avg_m
                if slot[T_AVG_L] >= 0: ub[slot[T_AVG_L], row, col] = avg_l
                if slot[T_AVG_L_LRN] >= 0: ub[slot[T_AVG_L_LRN], row, col] = avg_l_lrn
                if slot[T_AVG_S_EFF] >= 0: ub[slot[T_AVG_S_EFF], row, col] = avg_s_eff

        us[S_NET, u] = net
        us[S_V_M, u] = v_m
        us[S_V_M_EQ, u] = v_m_eq
        us[S_ACT, u] = act
        us[S_ACT_ND, u] = act_nd
        us[S_ADAPT, u] = adapt
        us[S_ISI, u] = isi
        us[S_ISI_AVG, u] = isi_avg
        us[S_AVG_SS, u] = avg_ss
        us[S_AVG_S, u] = avg_s
        us[S_AVG_M, u] = avg_m
        us[S_AVG_L, u] = avg_l
        us[S_GKNA_F, u] = gkna_f
        us[S_GKNA_M, u] = gkna_m
        us[S_GKNA_S, u] = gkna_s
        spikes[u] += n_spikes

        # A NaN born in the last cycle may not have reached I_net yet: check the state.
        if first_bad[u] < 0 and c1 > c0:
            for j in range(N_UNIT_STATE):
                if not isfinite(us[j, u]):
                    first_bad[u] = abs0 + (c1 - c0) - 1
            for j in range(n_inputs):
                if not (isfinite(ss[0, u, j]) and isfinite(ss[1, u, j])):
                    first_bad[u] = abs0 + (c1 - c0) - 1
        if first_bad[u] >= 0:
            status = LFE_STATUS_NONFINITE
    return status


def run_emergent(
    dict consts,
    const double[::1] table,
    const double[:, :, :] x,
    const double[:, :, :] su_s,
    const double[:, :, :] su_m,
    const double[:, :, :] ge,
    const double[:, :, :] gc_i,
    const double[:, :, :] ext,
    const double[:, :, :] targ,
    double[:, ::1] unit_state,
    double[:, :, ::1] syn_state,
    Py_ssize_t n_cycles, Py_ssize_t c0, Py_ssize_t c1,
    Py_ssize_t abs0, Py_ssize_t every, Py_ssize_t rec_base,
    const Py_ssize_t[::1] slots,
    const Py_ssize_t[::1] unit_cols,
    double[:, :, ::1] unit_buf,
    double[:, :, :, ::1] syn_buf,
    long long[::1] spikes,
    long long[::1] first_bad,
    double[:, :, ::1] act_q,
    int n_threads=1,
):
    """Run schedule cycles ``c0 .. c1-1`` of all units, in place; return a status code.

    Same contract as :func:`leabra_fast.emergent.reference.run_emergent`.  The
    arguments must already be validated (the driver does it); only cheap shape
    consistency is re-checked here, returning ``STATUS_BAD_ARGS`` instead of
    reading out of bounds.  ``n_threads`` > 1 runs contiguous chunks of units
    on OpenMP threads (when the build has OpenMP); the results are
    bit-identical for any ``n_threads``.  In a process forked after threads
    were used (multiprocessing with "fork"), the kernel runs on one thread:
    GNU OpenMP cannot restart there.
    """
    cdef EConsts c = consts
    cdef Py_ssize_t n_units = unit_state.shape[1]
    cdef Py_ssize_t n_inputs = syn_state.shape[2]
    cdef Py_ssize_t max_trial = (c1 - 1) // n_cycles if n_cycles > 0 else 0
    cdef Py_ssize_t k, first_row, last_row, chunk, n_chunks, u0, u1
    cdef Py_ssize_t slot[N_TRACES]
    cdef int status = LFE_STATUS_OK
    cdef int* chunk_status

    if (c.cyc_per_qtr < 1 or n_cycles % <Py_ssize_t>c.cyc_per_qtr != 0
            or act_q.shape[0] <= max_trial or act_q.shape[2] != n_units
            or act_q.shape[1] != n_cycles // <Py_ssize_t>c.cyc_per_qtr):
        return LFE_STATUS_BAD_ARGS
    if (n_cycles < 1 or c0 < 0 or c1 < c0 or every < 1 or abs0 < 0 or table.shape[0] < 2
            or unit_state.shape[0] != N_UNIT_STATE or syn_state.shape[0] != 2
            or syn_state.shape[1] != n_units or slots.shape[0] != N_TRACES
            or unit_cols.shape[0] != n_units or spikes.shape[0] != n_units
            or first_bad.shape[0] != n_units or n_threads < 1):
        return LFE_STATUS_BAD_ARGS
    for shp in ((x.shape[0], x.shape[1], x.shape[2]), (su_s.shape[0], su_s.shape[1], su_s.shape[2]),
                (su_m.shape[0], su_m.shape[1], su_m.shape[2])):
        if shp[0] <= max_trial or shp[1] != n_units or shp[2] != n_inputs:
            return LFE_STATUS_BAD_ARGS
    for shp in ((ge.shape[0], ge.shape[1], ge.shape[2]), (gc_i.shape[0], gc_i.shape[1], gc_i.shape[2]),
                (ext.shape[0], ext.shape[1], ext.shape[2]),
                (targ.shape[0], targ.shape[1], targ.shape[2])):
        if shp[0] <= max_trial or shp[1] != n_cycles or shp[2] != n_units:
            return LFE_STATUS_BAD_ARGS
    for k in range(N_TRACES):
        slot[k] = slots[k]
        if slot[k] >= (unit_buf.shape[0] if k < T_DWT else syn_buf.shape[0]):
            return LFE_STATUS_BAD_ARGS
    for k in range(n_units):
        if unit_cols[k] >= 0 and (unit_cols[k] >= unit_buf.shape[2] or unit_cols[k] >= syn_buf.shape[2]):
            if unit_buf.shape[0] > 0 or syn_buf.shape[0] > 0:
                return LFE_STATUS_BAD_ARGS
    if c1 > c0 and (unit_buf.shape[0] > 0 or syn_buf.shape[0] > 0):
        if syn_buf.shape[0] > 0 and syn_buf.shape[3] != n_inputs:
            return LFE_STATUS_BAD_ARGS
        first_row = (abs0 + every - 1) // every - rec_base
        last_row = (abs0 + (c1 - c0) - 1) // every - rec_base
        if last_row >= first_row and (first_row < 0 or last_row >= unit_buf.shape[1]
                                      or last_row >= syn_buf.shape[1]):
            return LFE_STATUS_BAD_ARGS

    # One contiguous chunk per thread (static): a unit's cost hardly depends on its
    # data, and each thread then streams through its own part of every array.
    # (cdivision: C integer division truncates, so the ceiling is written out.)
    n_chunks = min(<Py_ssize_t>n_threads, n_units)
    chunk = (n_units + n_chunks - 1) // n_chunks if n_chunks > 0 else 0
    if n_chunks <= 1 or not LFE_HAS_OPENMP or _fork_unsafe():
        with nogil:
            status = run_units(&c, table, x, su_s, su_m, ge, gc_i, ext, targ, unit_state,
                               syn_state, n_cycles, c0, c1, abs0, every, rec_base, slot,
                               unit_cols, unit_buf, syn_buf, spikes, first_bad, act_q,
                               0, n_units)
        return status
    _mark_threads_used()
    chunk_status = <int*>malloc(n_chunks * sizeof(int))
    if chunk_status == NULL:
        raise MemoryError("leabra_fast emergent kernel: cannot allocate per-chunk status")
    try:
        for k in prange(n_chunks, nogil=True, num_threads=n_threads, schedule="static"):
            u0 = k * chunk
            u1 = min(u0 + chunk, n_units)
            chunk_status[k] = run_units(&c, table, x, su_s, su_m, ge, gc_i, ext, targ,
                                        unit_state, syn_state, n_cycles, c0, c1, abs0, every,
                                        rec_base, slot, unit_cols, unit_buf, syn_buf, spikes,
                                        first_bad, act_q, u0, u1)
        for k in range(n_chunks):
            status = max(status, chunk_status[k])
    finally:
        free(chunk_status)
    return status


def noisy_xx1_scalar(dict consts, double x):
    """The C closed-form ``noisy_xx1`` on one value (for tests against the Python one)."""
    cdef EConsts c = consts
    return noisy_xx1(x, &c)


def nxx1_lookup_scalar(dict consts, const double[::1] table, double x):
    """The C table ``nxx1_lookup`` on one value."""
    cdef EConsts c = consts
    return nxx1_lookup(x, table, &c)


def xcal_scalar(dict consts, double x, double th):
    """The C ``xcal`` on one value."""
    cdef EConsts c = consts
    return xcal(x, th, &c)


def sig_scalar(dict consts, double w):
    """The C ``sig`` on one value."""
    cdef EConsts c = consts
    return sig(w, &c)


def ge_thr_scalar(dict consts, double g_i, double adapt, double g_k=0.0):
    """The C ``ge_thr`` on one value."""
    cdef EConsts c = consts
    return ge_thr(g_i, adapt, g_k, &c)
