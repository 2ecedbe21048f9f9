# cython: language_level=3
# cython: freethreading_compatible = True
"""Compiled kernel of the canonical emergent model: C doubles, SIMD blocks of units, no GIL.

Layout follows the seed kernel (``_seed_kernel.pyx``): the C scalar functions for
each of emergent's equations (``lfe_noisy_xx1``, ``lfe_nxx1_lookup``, ``lfe_xcal``,
``lfe_sig`` ...) and the loop that strings them together in emergent's per-cycle
order live in ``_emergent_block.h``; this module is the thin ``def`` entry point
that re-checks shapes, fills a C struct from the memoryviews and hands chunks of
unit blocks to threads.  Validation and allocation happen in Python
(``leabra_fast.emergent.simulation``); the loop touches no Python object and
reports problems by status code.

Speed comes from structure, not relaxed maths: blocks of ``BLOCK`` units run all
their cycles with their state in local arrays, each cycle as short vector loops
over the lanes with every branch a select (one entry point per instruction set,
the best chosen at import; ``select_simd`` or ``LEABRA_FAST_SIMD`` picks another),
the seed kernel's branch-free ``exp``, and SIG's power by ``b*sqrt(b)`` (gain 1.5)
or repeated multiplication (integer gains up to 16; libm ``pow`` otherwise).  FMA
contraction stays off and IEEE semantics on.  Results agree with the reference
backend to ~1e-15 relative (exp and the power differ by an ulp or so), and are
bit-identical for any thread count, instruction set and block a unit lands in.
"""

from leabra_fast import _simd
from leabra_fast._forkguard import fork_unsafe as _fork_unsafe
from leabra_fast._forkguard import mark_threads_used as _mark_threads_used

from cython.parallel cimport prange
from libc.stdlib cimport free, malloc

cdef extern from "_emergent_block.h" nogil:
    int LFE_STATUS_OK
    int LFE_STATUS_NONFINITE
    int LFE_STATUS_BAD_ARGS
    int LFE_STATUS_NO_MEMORY
    int LFE_HAS_OPENMP
    int LFE_BLOCK
    int LFE_MID
    int LFE_NARROW
    int LF_N_ISA
    int LFE_N_TRACES
    int LFE_N_UNIT_STATE
    int LFE_T_DWT

    ctypedef struct EConsts:
        # Filled from leabra_fast.emergent.params.derived_constants (same names); flags 0/1.
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

    ctypedef struct LFESchedule:
        const char* data
        Py_ssize_t s0, s1, s2

    ctypedef struct LFERun:
        const double* table
        Py_ssize_t n_table
        LFESchedule x, su_s, su_m, ge, gc_i, ext, targ
        double* us
        double* ss
        Py_ssize_t n_units, n_inputs
        Py_ssize_t n_cycles, c0, c1, abs0, every, rec_base
        Py_ssize_t slot[24]
        const Py_ssize_t* unit_cols
        double* ub
        double* sb
        Py_ssize_t ub_rows, ub_cols, sb_rows, sb_cols
        double* act_q
        Py_ssize_t n_quarters
        long long* spikes
        long long* first_bad

    int lfe_run_units(const EConsts* c, const LFERun* a, Py_ssize_t u_start, Py_ssize_t u_stop)
    int lfe_isa_current
    int lf_isa_supported(int k)
    int lfe_select_isa(const char* name)
    const char* lf_isa_name(int k)
    double lfe_noisy_xx1_scalar(double x, const EConsts* c)
    double lfe_nxx1_lookup_scalar(double x, const double* table, Py_ssize_t n, const EConsts* c)
    double lfe_xcal_scalar(double x, double th, const EConsts* c)
    double lfe_sig_scalar(double w, const EConsts* c)
    double lfe_ge_thr_scalar(double g_i, double adapt, double g_k, const EConsts* c)
    double lfe_pow_int_scalar(double b, int n)
    int lfe_pow_kind_of(double gain)

STATUS_OK = LFE_STATUS_OK
STATUS_NONFINITE = LFE_STATUS_NONFINITE
STATUS_BAD_ARGS = LFE_STATUS_BAD_ARGS
#: True when this build runs ``n_threads`` > 1 on OpenMP threads (else serially).
HAS_OPENMP = bool(LFE_HAS_OPENMP)
#: Units that run side by side in one SIMD block (tests use it to probe remainders).
BLOCK = LFE_BLOCK
#: Lanes of the block widths, widest first: full blocks, then what is left over.
WIDTHS = (LFE_BLOCK, LFE_MID, LFE_NARROW)

# OpenMP and fork: see leabra_fast/_forkguard.py (one pool per process, both kernels).


def simd_levels():
    """The instruction sets this CPU and build can run the kernel with, best first.

    Among ``"avx512"``, ``"avx2"`` and ``"baseline"``.  Every level gives the same
    bits; only speed differs.
    """
    return tuple(lf_isa_name(k).decode() for k in range(LF_N_ISA) if lf_isa_supported(k))


def select_simd(name=None):
    """Run the kernel with instruction set ``name`` (best available if None); return the
    previous one.  For benchmarks and tests; not while a simulation runs in another thread.

    Raises ValueError for an unknown name or one this CPU cannot run.
    """
    previous = lf_isa_name(lfe_isa_current).decode()
    cdef bytes key = (name or "").encode()
    _simd.check_status(name, lfe_select_isa(key), simd_levels())
    BUILD_INFO["simd"] = lf_isa_name(lfe_isa_current).decode()
    return previous


#: How this build runs: ``openmp``, ``simd`` (the instruction set in use; see
#: :func:`select_simd`), ``block``.
BUILD_INFO = {"openmp": bool(LFE_HAS_OPENMP), "simd": "", "block": LFE_BLOCK}


_simd.select_from_environment(select_simd)


cdef LFESchedule _schedule(const double[:, :, :] a):
    cdef LFESchedule s
    # An empty schedule (no inputs) is never read.
    s.data = <const char*>&a[0, 0, 0] if a.shape[0] * a.shape[1] * a.shape[2] else NULL
    s.s0 = a.strides[0]
    s.s1 = a.strides[1]
    s.s2 = a.strides[2]
    return s


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
    reading out of bounds.  ``n_threads`` > 1 runs chunks of unit blocks on
    OpenMP threads (when the build has OpenMP); every unit is computed by the
    same code whatever the chunking, so the results are bit-identical for any
    ``n_threads``.  In a process forked after threads
    were used (multiprocessing with "fork"), the kernel runs on one thread:
    GNU OpenMP cannot restart there.  Raises MemoryError if the per-thread
    scratch cannot be allocated.
    """
    cdef EConsts c = consts
    cdef Py_ssize_t n_units = unit_state.shape[1]
    cdef Py_ssize_t n_inputs = syn_state.shape[2]
    cdef Py_ssize_t max_trial = (c1 - 1) // n_cycles if n_cycles > 0 else 0
    cdef Py_ssize_t k, first_row, last_row, chunk, n_chunks, u0, u1
    cdef LFERun a
    cdef int status = LFE_STATUS_OK
    cdef int* chunk_status

    if (c.cyc_per_qtr < 1 or n_cycles % <Py_ssize_t>c.cyc_per_qtr != 0
            or act_q.shape[0] <= max_trial or act_q.shape[2] != n_units
            or act_q.shape[1] != n_cycles // <Py_ssize_t>c.cyc_per_qtr):
        return LFE_STATUS_BAD_ARGS
    if (n_cycles < 1 or c0 < 0 or c1 < c0 or every < 1 or abs0 < 0 or table.shape[0] < 2
            or unit_state.shape[0] != LFE_N_UNIT_STATE or syn_state.shape[0] != 2
            or syn_state.shape[1] != n_units or slots.shape[0] != LFE_N_TRACES
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
    for k in range(LFE_N_TRACES):
        a.slot[k] = slots[k]
        if a.slot[k] >= (unit_buf.shape[0] if k < LFE_T_DWT else syn_buf.shape[0]):
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

    if c1 == c0 or n_units == 0:
        return _status_of(first_bad)

    a.table = &table[0]
    a.n_table = table.shape[0]
    a.x = _schedule(x)
    a.su_s = _schedule(su_s)
    a.su_m = _schedule(su_m)
    a.ge = _schedule(ge)
    a.gc_i = _schedule(gc_i)
    a.ext = _schedule(ext)
    a.targ = _schedule(targ)
    a.us = &unit_state[0, 0]
    a.ss = &syn_state[0, 0, 0] if n_inputs > 0 else NULL
    a.n_units, a.n_inputs = n_units, n_inputs
    a.n_cycles, a.c0, a.c1, a.abs0, a.every, a.rec_base = n_cycles, c0, c1, abs0, every, rec_base
    a.unit_cols = &unit_cols[0]
    # Empty buffers (nothing recorded of that kind) are never written: NULL.
    a.ub = &unit_buf[0, 0, 0] if unit_buf.shape[0] * unit_buf.shape[1] * unit_buf.shape[2] else NULL
    a.sb = (&syn_buf[0, 0, 0, 0]
            if syn_buf.shape[0] * syn_buf.shape[1] * syn_buf.shape[2] * syn_buf.shape[3] else NULL)
    a.ub_rows, a.ub_cols = unit_buf.shape[1], unit_buf.shape[2]
    a.sb_rows, a.sb_cols = syn_buf.shape[1], syn_buf.shape[2]
    a.act_q = &act_q[0, 0, 0] if act_q.shape[0] * act_q.shape[1] else NULL
    a.n_quarters = act_q.shape[1]
    a.spikes = &spikes[0]
    a.first_bad = &first_bad[0]

    # Chunks of whole blocks, about 8 per thread so a busy core does not hold the others up.
    # (cdivision: C integer division truncates, so ceilings are written out.)
    chunk = (n_units + 8 * n_threads - 1) // (8 * n_threads)
    chunk = max(LFE_BLOCK, (chunk + LFE_BLOCK - 1) // LFE_BLOCK * LFE_BLOCK)
    n_chunks = (n_units + chunk - 1) // chunk
    if n_threads == 1 or n_chunks == 1 or not LFE_HAS_OPENMP or _fork_unsafe():
        with nogil:
            status = lfe_run_units(&c, &a, 0, n_units)
    else:
        _mark_threads_used()
        chunk_status = <int*>malloc(n_chunks * sizeof(int))
        if chunk_status == NULL:
            raise MemoryError("leabra_fast emergent kernel: cannot allocate per-chunk status")
        try:
            for k in prange(n_chunks, nogil=True, num_threads=n_threads, schedule="dynamic"):
                u0 = k * chunk
                u1 = min(u0 + chunk, n_units)
                chunk_status[k] = lfe_run_units(&c, &a, u0, u1)
            for k in range(n_chunks):
                if chunk_status[k] == LFE_STATUS_NO_MEMORY or status == LFE_STATUS_NO_MEMORY:
                    status = LFE_STATUS_NO_MEMORY
                else:
                    status = max(status, chunk_status[k])
        finally:
            free(chunk_status)
    if status == LFE_STATUS_NO_MEMORY:
        raise MemoryError(
            f"leabra_fast emergent kernel: cannot allocate scratch for {n_inputs} inputs per "
            "unit; the state may be partially updated"
        )
    return status


cdef int _status_of(const long long[::1] first_bad):
    cdef Py_ssize_t u
    for u in range(first_bad.shape[0]):
        if first_bad[u] >= 0:
            return LFE_STATUS_NONFINITE
    return LFE_STATUS_OK


def noisy_xx1_scalar(dict consts, double x):
    """The C closed-form ``noisy_xx1`` on one value (for tests against the Python one)."""
    cdef EConsts c = consts
    return lfe_noisy_xx1_scalar(x, &c)


def nxx1_lookup_scalar(dict consts, const double[::1] table, double x):
    """The C table ``nxx1_lookup`` on one value."""
    cdef EConsts c = consts
    if table.shape[0] < 2:
        raise ValueError("nxx1_lookup_scalar: the table needs at least 2 entries")
    return lfe_nxx1_lookup_scalar(x, &table[0], table.shape[0], &c)


def xcal_scalar(dict consts, double x, double th):
    """The C ``xcal`` on one value."""
    cdef EConsts c = consts
    return lfe_xcal_scalar(x, th, &c)


def sig_scalar(dict consts, double w):
    """The C ``sig`` on one value: ``b*sqrt(b)`` for gain 1.5, repeated multiplication
    for an integer gain 1..16, else libm ``pow``."""
    cdef EConsts c = consts
    return lfe_sig_scalar(w, &c)


def ge_thr_scalar(dict consts, double g_i, double adapt, double g_k=0.0):
    """The C ``ge_thr`` on one value."""
    cdef EConsts c = consts
    return lfe_ge_thr_scalar(g_i, adapt, g_k, &c)


def pow_int_scalar(double b, int n):
    """The C ``b**n`` by square-and-multiply (integer n >= 1), as SIG uses it."""
    if n < 1:
        raise ValueError(f"pow_int_scalar: n must be >= 1, got {n}")
    return lfe_pow_int_scalar(b, n)


def sig_pow_kind(double gain):
    """How SIG computes ``b**gain``: -1 = ``b*sqrt(b)``, n >= 1 = repeated
    multiplication by that integer, 0 = libm ``pow``."""
    return lfe_pow_kind_of(gain)
