# cython: language_level=3
# cython: freethreading_compatible = True
"""Compiled kernel of the seed model: C doubles, typed memoryviews, no GIL.

Layout follows scikit-learn's ``_loss``: scalar C functions for each equation
(``xcal``, ``sig``, ``soft_bound``), one loop that strings them together in the
notebook's order, and a thin ``def`` entry point.  All validation and
allocation happen in Python (``leabra_fast.simulation``) before this module is
called; the loop itself touches no Python object and reports problems by
status code.  Every arithmetic expression is written in the order the notebook
evaluates it, and the build disables FMA contraction, so results match the
reference backend bit for bit on the usual platforms.
"""

from libc.math cimport exp, pow, isfinite

cdef extern from *:
    """
    #define LF_STATUS_OK 0
    #define LF_STATUS_NONFINITE 1
    #define LF_STATUS_BAD_ARGS -1
    """
    int LF_STATUS_OK
    int LF_STATUS_NONFINITE
    int LF_STATUS_BAD_ARGS

STATUS_OK = LF_STATUS_OK
STATUS_NONFINITE = LF_STATUS_NONFINITE
STATUS_BAD_ARGS = LF_STATUS_BAD_ARGS

# True when built with LEABRA_FAST_DEBUG=1 (bounds, wraparound and initialisation
# checks on); set by setup.py's compile_time_env together with those directives.
DEBUG_BUILD = bool(LEABRA_FAST_DEBUG)

# Positions of the 19 traces (leabra_fast.traces.TRACE_NAMES order).
cdef enum:
    T_NET, T_NET_RAW, T_V_M, T_ACT, T_ADAPT, T_I_NET, T_ACT_ND, T_AVG_SS, T_AVG_S,
    T_AVG_M, T_AVG_L, T_AVG_L_LRN, T_AVG_S_EFF, T_DWT, T_SRS, T_SRM, T_FWT, T_WT, T_XCAL,
    N_TRACES

# Rows of the packed unit state (leabra_fast.state.UNIT_STATE order).
cdef enum:
    S_NET, S_V_M, S_ADAPT, S_AVG_SS, S_AVG_S, S_AVG_M, S_AVG_L, N_UNIT_STATE


cdef struct SeedConsts:
    # Filled from leabra_fast.params.derived_constants (same names).
    double k_net, k_vm, noise, gc_l, e_rev_e, e_rev_l, e_inh, thr, exp_slope, k_exp
    double spk_thr, vm_r, vm_gain, spike_gain, adapt_div, k_ss, k_s, k_m, l_dt
    double avg_l_min, avg_l_lrn_min, lrn_fac, m_in_s, one_m_in_s, lrate, m_lrn
    double d_thr, d_rev, rev_fac, gain, off, sig_eps, inv_n_inputs


cdef inline double xcal(double x, double th, const SeedConsts* c) noexcept nogil:
    """XCAL check mark: 0 below d_thr, x - th above th*d_rev, else -x*(1-d_rev)/d_rev."""
    if x < c.d_thr:
        return 0.0
    if x > th * c.d_rev:
        return x - th
    return -x * c.rev_fac


cdef inline double sig(double w, const SeedConsts* c) noexcept nogil:
    """The notebook's SIG contrast enhancement of the linear weight."""
    return 1.0 / (1.0 + pow((c.off * (1.0 - w)) / (w + c.sig_eps), c.gain))


cdef inline double soft_bound(double dwt, double fwt) noexcept nogil:
    """Increases shrink toward 1, decreases toward 0, by the linear weight."""
    if dwt > 0:
        return dwt * (1.0 - fwt)
    return dwt * fwt


cdef int run_units(
    const SeedConsts* c,
    const double[:, :, :] x,
    const double[:, :, :] su_s,
    const double[:, :, :] su_m,
    const double[:, :] gc_i,
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
    Py_ssize_t u_start, Py_ssize_t u_stop,
) noexcept nogil:
    cdef Py_ssize_t u, j, t, trial, cycle, absolute, row, col
    cdef Py_ssize_t n_inputs = ss.shape[2]
    cdef double net, v_m, adapt, avg_ss, avg_s, avg_m, avg_l
    cdef double acc, net_raw, g_i, i_net, act, avg_l_lrn, avg_s_eff
    cdef double srs, srm, xcal_l, dwt, fwt, wt
    cdef bint spike, rec
    cdef int status = LF_STATUS_OK
    cdef long long n_spikes

    for u in range(u_start, u_stop):
        net = us[S_NET, u]
        v_m = us[S_V_M, u]
        adapt = us[S_ADAPT, u]
        avg_ss = us[S_AVG_SS, u]
        avg_s = us[S_AVG_S, u]
        avg_m = us[S_AVG_M, u]
        avg_l = us[S_AVG_L, u]
        col = unit_cols[u]
        n_spikes = 0

        for t in range(c0, c1):
            trial = t // n_cycles
            cycle = t - trial * n_cycles
            absolute = abs0 + (t - c0)

            # Input: net_raw = 1/n * sum_j x_j * wt_j, then time integration.
            acc = 0.0
            for j in range(n_inputs):
                acc = acc + x[trial, u, j] * ss[1, u, j]
            net_raw = c.inv_n_inputs * acc
            net = net + c.k_net * (net_raw - net)

            # Membrane potential with the AdEx exponential term.
            g_i = gc_i[trial, u]
            i_net = (net * (c.e_rev_e - v_m) + c.gc_l * (c.e_rev_l - v_m)
                     + g_i * (c.e_inh - v_m) + c.noise)
            i_net = i_net + c.k_exp * exp((v_m - c.thr) / c.exp_slope)
            v_m = v_m + c.k_vm * (i_net - adapt)

            # Spike, reset, adaptation without decay (seed quirk).
            spike = v_m > c.spk_thr
            if spike:
                v_m = c.vm_r
            act = 1.0 if spike else 0.0
            adapt = adapt + ((c.vm_gain * (v_m - c.e_rev_l)) + act * c.spike_gain) / c.adapt_div
            n_spikes += spike

            # Running averages; avg_l once per trial (seed quirk).
            avg_ss = avg_ss + c.k_ss * (act - avg_ss)
            avg_s = avg_s + c.k_s * (avg_ss - avg_s)
            avg_m = avg_m + c.k_m * (avg_s - avg_m)
            if cycle == 0:
                avg_l = avg_l + c.l_dt * (avg_m - avg_l)
            avg_l_lrn = c.avg_l_lrn_min + (avg_l - c.avg_l_min) * c.lrn_fac
            avg_s_eff = c.m_in_s * avg_m + c.one_m_in_s * avg_s

            if not isfinite(i_net) and first_bad[u] < 0:
                first_bad[u] = absolute
                status = LF_STATUS_NONFINITE

            rec = col >= 0 and absolute % every == 0
            row = absolute // every - rec_base

            # XCAL learning every cycle (seed quirk), soft bound, SIG.
            for j in range(n_inputs):
                srs = avg_s_eff * su_s[trial, u, j]
                srm = avg_m * su_m[trial, u, j]
                xcal_l = xcal(srs, avg_l, c)
                dwt = 0.0 + c.lrate * (c.m_lrn * xcal(srs, srm, c) + avg_l_lrn * xcal_l)
                fwt = ss[0, u, j]
                dwt = soft_bound(dwt, fwt)
                fwt = fwt + dwt
                wt = sig(fwt, c)
                ss[0, u, j] = fwt
                ss[1, u, j] = wt
                if rec:
                    if slot[T_DWT] >= 0: sb[slot[T_DWT], row, col, j] = dwt
                    if slot[T_SRS] >= 0: sb[slot[T_SRS], row, col, j] = srs
                    if slot[T_SRM] >= 0: sb[slot[T_SRM], row, col, j] = srm
                    if slot[T_FWT] >= 0: sb[slot[T_FWT], row, col, j] = fwt
                    if slot[T_WT] >= 0: sb[slot[T_WT], row, col, j] = wt
                    if slot[T_XCAL] >= 0: sb[slot[T_XCAL], row, col, j] = xcal_l

            if rec:
                if slot[T_NET] >= 0: ub[slot[T_NET], row, col] = net
                if slot[T_NET_RAW] >= 0: ub[slot[T_NET_RAW], row, col] = net_raw
                if slot[T_V_M] >= 0: ub[slot[T_V_M], row, col] = v_m
                if slot[T_ACT] >= 0: ub[slot[T_ACT], row, col] = act
                if slot[T_ADAPT] >= 0: ub[slot[T_ADAPT], row, col] = adapt
                if slot[T_I_NET] >= 0: ub[slot[T_I_NET], row, col] = i_net
                if slot[T_ACT_ND] >= 0: ub[slot[T_ACT_ND], row, col] = act
                if slot[T_AVG_SS] >= 0: ub[slot[T_AVG_SS], row, col] = avg_ss
                if slot[T_AVG_S] >= 0: ub[slot[T_AVG_S], row, col] = avg_s
                if slot[T_AVG_M] >= 0: ub[slot[T_AVG_M], row, col] = avg_m
                if slot[T_AVG_L] >= 0: ub[slot[T_AVG_L], row, col] = avg_l
                if slot[T_AVG_L_LRN] >= 0: ub[slot[T_AVG_L_LRN], row, col] = avg_l_lrn
                if slot[T_AVG_S_EFF] >= 0: ub[slot[T_AVG_S_EFF], row, col] = avg_s_eff

        us[S_NET, u] = net
        us[S_V_M, u] = v_m
        us[S_ADAPT, u] = adapt
        us[S_AVG_SS, u] = avg_ss
        us[S_AVG_S, u] = avg_s
        us[S_AVG_M, u] = avg_m
        us[S_AVG_L, u] = avg_l
        spikes[u] += n_spikes

        # A NaN born in the last cycle has not reached I_net yet: check the state.
        if first_bad[u] < 0 and c1 > c0:
            if not (isfinite(net) and isfinite(v_m) and isfinite(adapt) and isfinite(avg_ss)
                    and isfinite(avg_s) and isfinite(avg_m) and isfinite(avg_l)):
                first_bad[u] = abs0 + (c1 - c0) - 1
            for j in range(n_inputs):
                if not (isfinite(ss[0, u, j]) and isfinite(ss[1, u, j])):
                    first_bad[u] = abs0 + (c1 - c0) - 1
            if first_bad[u] >= 0:
                status = LF_STATUS_NONFINITE
        elif first_bad[u] >= 0:
            status = LF_STATUS_NONFINITE
    return status


def run_seed(
    dict consts,
    const double[:, :, :] x,
    const double[:, :, :] su_s,
    const double[:, :, :] su_m,
    const double[:, :] gc_i,
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
    int n_threads=1,
):
    """Run schedule cycles ``c0 .. c1-1`` of all units, in place; return a status code.

    Same contract as :func:`leabra_fast.reference.run_seed`.  The arguments
    must already be validated (the driver does it); only cheap shape
    consistency is re-checked here, returning ``STATUS_BAD_ARGS`` instead of
    reading out of bounds.
    """
    cdef SeedConsts c = consts
    cdef Py_ssize_t n_units = unit_state.shape[1]
    cdef Py_ssize_t n_inputs = syn_state.shape[2]
    cdef Py_ssize_t max_trial = (c1 - 1) // n_cycles if n_cycles > 0 else 0
    cdef Py_ssize_t k
    cdef Py_ssize_t slot[N_TRACES]
    cdef int status

    if (n_cycles < 1 or c0 < 0 or c1 < c0 or every < 1 or abs0 < 0
            or unit_state.shape[0] != N_UNIT_STATE or syn_state.shape[0] != 2
            or syn_state.shape[1] != n_units or slots.shape[0] != N_TRACES
            or unit_cols.shape[0] != n_units or spikes.shape[0] != n_units
            or first_bad.shape[0] != n_units):
        return LF_STATUS_BAD_ARGS
    for arr_shape in ((x.shape[0], x.shape[1], x.shape[2]),
                      (su_s.shape[0], su_s.shape[1], su_s.shape[2]),
                      (su_m.shape[0], su_m.shape[1], su_m.shape[2])):
        if arr_shape[0] <= max_trial or arr_shape[1] != n_units or arr_shape[2] != n_inputs:
            return LF_STATUS_BAD_ARGS
    if gc_i.shape[0] <= max_trial or gc_i.shape[1] != n_units:
        return LF_STATUS_BAD_ARGS
    for k in range(N_TRACES):
        slot[k] = slots[k]
        if slot[k] >= (unit_buf.shape[0] if k < T_DWT else syn_buf.shape[0]):
            return LF_STATUS_BAD_ARGS
    if not _recording_fits(unit_cols, unit_buf, syn_buf, n_inputs, abs0, c1 - c0, every,
                           rec_base):
        return LF_STATUS_BAD_ARGS

    with nogil:
        status = run_units(&c, x, su_s, su_m, gc_i, unit_state, syn_state, n_cycles, c0, c1,
                           abs0, every, rec_base, slot, unit_cols, unit_buf, syn_buf,
                           spikes, first_bad, 0, n_units)
    return status


cdef bint _recording_fits(const Py_ssize_t[::1] unit_cols, double[:, :, ::1] ub,
                          double[:, :, :, ::1] sb, Py_ssize_t n_inputs, Py_ssize_t abs0,
                          Py_ssize_t n, Py_ssize_t every, Py_ssize_t rec_base):
    """Every row and column the loop may write lies inside the trace buffers."""
    cdef Py_ssize_t u, first_row, last_row
    for u in range(unit_cols.shape[0]):
        if unit_cols[u] >= 0 and (unit_cols[u] >= ub.shape[2] or unit_cols[u] >= sb.shape[2]):
            if ub.shape[0] > 0 or sb.shape[0] > 0:
                return False
    if n == 0 or (ub.shape[0] == 0 and sb.shape[0] == 0):
        return True
    if sb.shape[0] > 0 and sb.shape[3] != n_inputs:
        return False
    first_row = (abs0 + every - 1) // every - rec_base  # ceil; C division truncates
    last_row = (abs0 + n - 1) // every - rec_base
    if last_row < first_row:
        return True
    return first_row >= 0 and last_row < ub.shape[1] and last_row < sb.shape[1]


def xcal_scalar(dict consts, double x, double th):
    """The C ``xcal`` on one value (for tests against the Python one)."""
    cdef SeedConsts c = consts
    return xcal(x, th, &c)


def sig_scalar(dict consts, double w):
    """The C ``sig`` on one value (for tests against the Python one)."""
    cdef SeedConsts c = consts
    return sig(w, &c)


def soft_bound_scalar(double dwt, double fwt):
    """The C ``soft_bound`` on one value."""
    return soft_bound(dwt, fwt)
