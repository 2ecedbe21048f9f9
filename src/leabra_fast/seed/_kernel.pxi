# The seed model's compiled kernel: C doubles, SIMD blocks of units, threads, no GIL.
#
# Included by _kernel.pyx, whose C (Cython runs once) is compiled once per instruction
# set as _kernel_avx512, _kernel_avx2 and _kernel_baseline (setup.py: kernel_extensions;
# the wide streaming stores of leabra_fast.core._lf_wide follow each build's flags); the
# same source in each, so the modules give the same bits and differ only in speed.
# leabra_fast.seed.compiled picks the module before importing it.
#
# Layout follows scikit-learn's _loss: scalar functions per equation (lf_xcal,
# lf_sig, lf_soft_bound; lf_exp in leabra_fast.core._lf_math), the per-lane stages of
# a cycle (lf_lane_*), one function that runs a block of up to BLOCK units through
# all requested cycles with their state in lane arrays (the unit index innermost, so
# every loop over units vectorises), then the sweep over blocks, and last the def
# entry point that re-checks shapes and hands chunks of units to threads.  Synapse
# state is held transposed, [input][lane], so each unit's net input is summed in the
# reference backend's order (input 0, 1, 2, ...) while the block's units run side by
# side.
#
# Bits: no FMA contraction (-ffp-contract=off), no -ffast-math, every expression in
# the reference backend's order.  The only differences from the reference are lf_exp
# (within ~1 ulp of the correctly rounded exp) and, for a SIG gain of exactly 1.5,
# x*sqrt(x) for pow(x, 1.5).  add, mul, div and sqrt round correctly at every vector
# width, so results do not depend on the instruction set, thread count or block.
#
# Vectorising in Cython: every cdef inline function is noexcept (else exception
# checks after each call keep the loops scalar), cdivision is on (else zero checks
# do), and the block width is a compile-time constant of each specialisation of
# lf_run_block (a fused "width tag" type whose size is the width).
#
# Stack: a block's lane arrays live in the per-thread scratch (one malloc per
# thread per call, not per block); what stays on the stack is a few hundred bytes of
# pointers, so the kernel runs on small thread stacks (musl's 128 KiB, or less).

from cython.parallel cimport prange
from libc.math cimport fabs, pow
from libc.stdint cimport uintptr_t
from libc.stdio cimport fprintf, stderr
from libc.stdlib cimport abort, free, malloc
from libc.string cimport memcmp, memcpy

from leabra_fast.core._lf_isa cimport lf_isa_supported
from leabra_fast.core._lf_math cimport (LF_EXP_NORMAL_MAX, lf_exp, lf_exp_normal,
                                        lf_finite, lf_pow_1_5)
from leabra_fast.core._lf_stream cimport lf_stream_copy, lf_stream_fence
from leabra_fast.core._lf_wide cimport LF_WIDE_STREAM, lf_exp_stream, lf_stream_rows

from leabra_fast.core._forkguard import fork_unsafe as _fork_unsafe
from leabra_fast.core._forkguard import mark_threads_used as _mark_threads_used

cdef extern from *:
    # Set by setup.py for every extension: 1 in the LEABRA_FAST_DEBUG build, 1 when
    # built with OpenMP threads.  As C macros they fold away in the branches below.
    int LEABRA_FAST_DEBUG
    int LEABRA_FAST_OPENMP


cdef enum:
    STATUS_OK_ = 0
    STATUS_NONFINITE_ = 1
    STATUS_BAD_ARGS_ = -1
    STATUS_NO_MEMORY_ = -2

cdef enum:
    # Units run side by side: eight AVX-512 vectors, sixteen AVX2 vectors.  Each cycle
    # is one long dependency chain per unit (weight -> net -> v_m -> exp -> spike ->
    # averages -> XCAL -> weight), so the core needs many independent lanes in
    # flight; 64 beat 16 by about 20% on Zen 4 (bench/compare.py).
    LF_BLOCK = 64
    # Narrower blocks for what is left over: 16 lanes, and 4 (one AVX2 vector) for a
    # few units such as the notebook's one, so small populations do not pay for 64.
    LF_MID = 16
    LF_NARROW = 4
    # Cycles per sweep over the blocks when recording.
    LF_RECORD_WINDOW = 32

cdef enum:
    # Positions of the 19 traces (leabra_fast.traces.TRACE_NAMES order).
    LF_T_NET, LF_T_NET_RAW, LF_T_V_M, LF_T_ACT, LF_T_ADAPT, LF_T_I_NET, LF_T_ACT_ND,
    LF_T_AVG_SS, LF_T_AVG_S, LF_T_AVG_M, LF_T_AVG_L, LF_T_AVG_L_LRN, LF_T_AVG_S_EFF,
    LF_T_DWT, LF_T_SRS, LF_T_SRM, LF_T_FWT, LF_T_WT, LF_T_XCAL, LF_N_TRACES

cdef enum:
    LF_N_UNIT_TRACES = LF_T_DWT
    LF_N_SYN_TRACES = LF_N_TRACES - LF_T_DWT

cdef enum:
    # Rows of the packed unit state (leabra_fast.state.UNIT_STATE order).
    LF_S_NET, LF_S_V_M, LF_S_ADAPT, LF_S_AVG_SS, LF_S_AVG_S, LF_S_AVG_M, LF_S_AVG_L,
    LF_N_UNIT_STATE


cdef extern from *:
    """
    /* restrict as each compiler spells it (Cython has no keyword for it). */
    #if defined(_MSC_VER)
    #define LF_RESTRICT __restrict
    #else
    #define LF_RESTRICT __restrict__
    #endif
    """
    # For the parameters of lf_learn_plane: its planes never overlap, and without the
    # promise GCC gives up vectorising the recording form of the learning loop (ten
    # streams to check against each other).
    ctypedef double* double_r "double * LF_RESTRICT"
    ctypedef const double* cdouble_r "const double * LF_RESTRICT"


ctypedef struct SeedConsts:
    # Filled from leabra_fast.params.derived_constants (same names).
    double k_net, k_vm, noise, gc_l, e_rev_e, e_rev_l, e_inh, thr, exp_slope, k_exp
    double spk_thr, vm_r, vm_gain, spike_gain, adapt_div, k_ss, k_s, k_m, l_dt
    double avg_l_min, avg_l_lrn_min, lrn_fac, m_in_s, one_m_in_s, lrate, m_lrn
    double d_thr, d_rev, rev_fac, gain, off, sig_eps, inv_n_inputs


cdef enum:
    # Each constant's position in SeedConsts (all doubles, so also its index in a row
    # of the per-unit table, CONST_NAMES order) and in LFLaneConsts.
    K_K_NET, K_K_VM, K_NOISE, K_GC_L, K_E_REV_E, K_E_REV_L, K_E_INH, K_THR, K_EXP_SLOPE,
    K_K_EXP, K_SPK_THR, K_VM_R, K_VM_GAIN, K_SPIKE_GAIN, K_ADAPT_DIV, K_K_SS, K_K_S, K_K_M,
    K_L_DT, K_AVG_L_MIN, K_AVG_L_LRN_MIN, K_LRN_FAC, K_M_IN_S, K_ONE_M_IN_S, K_LRATE,
    K_M_LRN, K_D_THR, K_D_REV, K_REV_FAC, K_GAIN, K_OFF, K_SIG_EPS, K_INV_N_INPUTS,
    LF_N_CONSTS


ctypedef struct LFLaneConsts:
    # Per-unit parameters: each constant of SeedConsts once per lane of a block.
    double v[33][64]   # [LF_N_CONSTS][LF_BLOCK]


# A block runs with one parameter set (SeedConsts: the constants are scalars) or with
# one per lane (LFLaneConsts: each constant is read from its lane's entry).  lf_k reads
# either; both give each lane the bits of a lone run with its parameter set.
ctypedef fused consts_t:
    SeedConsts
    LFLaneConsts


ctypedef struct LFSchedule:
    # A read-only schedule: base pointer, byte strides (0 where broadcast) and shape
    # (for the debug build's bounds checks).
    const char* data
    Py_ssize_t trial, unit, input
    Py_ssize_t n_trial, n_unit, n_input


ctypedef struct LFRun:
    # Everything one run needs; filled by run_seed after validation.
    LFSchedule x, su_s, su_m, gc_i   # gc_i uses .trial and .unit only
    double* us                       # (7, n_units), C order
    double* ss                       # (2, n_units, n_inputs), C order
    Py_ssize_t n_units, n_inputs
    Py_ssize_t n_cycles, c0, c1, abs0, every, rec_base
    Py_ssize_t slot[19]              # LF_N_TRACES
    const Py_ssize_t* unit_cols      # column of each unit in the traces, or -1
    double* ub                       # (n_unit_slots, rows, cols)
    double* sb                       # (n_syn_slots, rows, cols, n_inputs)
    Py_ssize_t n_ub, n_sb            # their sizes in doubles (debug checks)
    Py_ssize_t rows, cols
    int stream                       # write traces with non-temporal stores
    long long* spikes
    long long* first_bad


ctypedef struct LFLanes:
    # The unit state and per-cycle values of a block, one element per lane; kc holds
    # the per-lane constants of a block with per-unit parameters (inside this struct so
    # the compiler sees its loads cannot alias the lanes' stores).
    LFLaneConsts kc
    double net[64]
    double v_m[64]
    double adapt[64]
    double avg_ss[64]
    double avg_s[64]
    double avg_m[64]
    double avg_l[64]
    double acc[64]
    double net_raw[64]
    double g_i[64]
    double i_net[64]
    double act[64]
    double avg_l_lrn[64]
    double avg_s_eff[64]
    double n_spk[64]
    double ex[64]
    Py_ssize_t col[64]


ctypedef struct LFScratch:
    # One thread's working set: synapse state and schedules [input][lane], the
    # recorded synapse values (LF_N_SYN_TRACES planes), the lane arrays.
    double* fwt
    double* wt
    double* x
    double* su_s
    double* su_m
    double* rec
    LFLanes* L
    void* mem


# Block widths as types: each specialisation of lf_run_block has its width as a
# constant (sizeof the tag's lanes), so its lane loops have fixed trip counts.
cdef struct WideTag:
    char lanes[64]    # LF_BLOCK

cdef struct MidTag:
    char lanes[16]    # LF_MID

cdef struct NarrowTag:
    char lanes[4]     # LF_NARROW

ctypedef fused width_t:
    WideTag
    MidTag
    NarrowTag


# ------------------------------------------------------------------- debug checks

cdef inline void lf_check(bint ok, const char* what) noexcept nogil:
    """In the debug build, stop the process at an index outside its array (the loop
    cannot raise); in the release build, nothing (LEABRA_FAST_DEBUG folds to 0)."""
    if LEABRA_FAST_DEBUG and not ok:
        fprintf(stderr, b"leabra_fast seed kernel: index out of range: %s\n", what)
        abort()


cdef inline void lf_check_span(const double* p, Py_ssize_t n, const double* base,
                               Py_ssize_t size, const char* what) noexcept nogil:
    """Debug build: p[0 .. n-1] lies inside base[0 .. size-1]."""
    if LEABRA_FAST_DEBUG:
        lf_check(base != NULL and p >= base and (p - base) + n <= size, what)


# ----------------------------------------------------------------------- scalars

cdef inline double lf_k(const consts_t* c, int k, int i) noexcept nogil:
    """Constant k (a K_* position) of lane i: the scalar, or the lane's own value.
    k is a literal at every call, so this folds to one load."""
    if consts_t is SeedConsts:
        return (<const double*>c)[k]
    else:
        return c.v[k][i]


cdef inline double lf_xcal(double x, double th, const consts_t* c, int i) noexcept nogil:
    """XCAL check mark: 0 below d_thr, x - th above th*d_rev, else -x*(1-d_rev)/d_rev."""
    cdef double lin = x - th if x > th * lf_k(c, K_D_REV, i) else -x * lf_k(c, K_REV_FAC, i)
    return 0.0 if x < lf_k(c, K_D_THR, i) else lin


cdef inline double lf_soft_bound(double dwt, double fwt) noexcept nogil:
    """Increases shrink toward 1, decreases toward 0, in proportion to the linear weight."""
    return dwt * (1.0 - fwt) if dwt > 0 else dwt * fwt


cdef inline double lf_sig_base(double w, const consts_t* c, int i) noexcept nogil:
    """The base of SIG's power: off*(1 - w) / (w + sig_eps)."""
    return (lf_k(c, K_OFF, i) * (1.0 - w)) / (w + lf_k(c, K_SIG_EPS, i))


cdef inline double lf_sig_pow(double b, double gain) noexcept nogil:
    """1 / (1 + b**gain): x*sqrt(x) for a gain of exactly 1.5, else libm's pow."""
    return 1.0 / (1.0 + (lf_pow_1_5(b) if gain == 1.5 else pow(b, gain)))


cdef inline double lf_sig(double w, const SeedConsts* c) noexcept nogil:
    """The notebook's SIG contrast enhancement of the linear weight (scalar, any gain)."""
    return lf_sig_pow(lf_sig_base(w, c, 0), c.gain)


# ------------------------------------------------------------------ block kernel

cdef int lf_scratch_alloc(LFScratch* s, Py_ssize_t n_inputs) noexcept nogil:
    """One allocation per thread and call: lane arrays first, on a 64-byte line."""
    cdef size_t plane = <size_t>n_inputs * LF_BLOCK
    cdef size_t lanes = (sizeof(LFLanes) + 63) // 64 * 64
    cdef char* mem = <char*>malloc(64 + lanes + sizeof(double) * plane * (5 + LF_N_SYN_TRACES))
    if mem == NULL:
        return -1
    cdef char* base = mem + ((64 - (<uintptr_t>mem & 63)) & 63)
    cdef double* all_ = <double*>(base + lanes)
    s.mem = mem
    s.L = <LFLanes*>base
    s.fwt = all_
    s.wt = all_ + plane
    s.x = all_ + 2 * plane
    s.su_s = all_ + 3 * plane
    s.su_m = all_ + 4 * plane
    s.rec = all_ + 5 * plane
    return 0


cdef inline double lf_at(const LFSchedule* s, Py_ssize_t t, Py_ssize_t u,
                         Py_ssize_t j) noexcept nogil:
    """Schedule value of (trial, unit, input)."""
    if LEABRA_FAST_DEBUG:
        lf_check((s.trial == 0 or t < s.n_trial) and (s.unit == 0 or u < s.n_unit)
                 and (s.input == 0 or j < s.n_input) and t >= 0 and u >= 0 and j >= 0,
                 b"schedule")
    return (<const double*>(s.data + t * s.trial + u * s.unit + j * s.input))[0]


cdef inline void lf_load_schedule(const LFSchedule* s, Py_ssize_t trial, Py_ssize_t u0, int n,
                                  Py_ssize_t n_inputs, double* out, int W) noexcept nogil:
    """Copy one trial of a synapse schedule for units u0 .. u0+n-1 into [input][lane]."""
    cdef int i
    cdef Py_ssize_t u, j
    for i in range(W):
        u = u0 + (i if i < n else n - 1)   # padding lanes repeat the last unit
        for j in range(n_inputs):
            out[j * W + i] = lf_at(s, trial, u, j)


cdef inline void lf_store_unit(double* dst, const Py_ssize_t* col, int n, int contiguous,
                               const double* v, int stream, int W) noexcept nogil:
    """Store one recorded unit value of each lane (contiguous columns: a plain copy)."""
    cdef int i
    if n == 1:   # a lone unit (the notebook's): no loop set-up at all
        if col[0] >= 0:
            dst[col[0]] = v[0]
    elif contiguous and n == W:   # the common case: a fixed-size vector copy
        dst += col[0]
        if stream and W >= 8:
            lf_stream_copy(dst, v, W)
            return
        for i in range(W):
            dst[i] = v[i]
    elif contiguous:
        for i in range(n):
            dst[col[0] + i] = v[i]
    else:
        for i in range(n):
            if col[i] >= 0:
                dst[col[i]] = v[i]


cdef inline void lf_learn_plane(const consts_t* c, double_r fw, double_r w,
                                cdouble_r ss_j, cdouble_r sm_j, cdouble_r avg_s_eff,
                                cdouble_r avg_m, cdouble_r avg_l, cdouble_r avg_l_lrn,
                                double_r r_dwt, double_r r_srs, double_r r_srm,
                                double_r r_xcal, int fast_pow, int rec, int W) noexcept nogil:
    """XCAL learning of one input's synapses across the lanes, one cycle."""
    cdef int i
    cdef double srs, srm, xcal_l, dwt, f, b
    for i in range(W):
        srs = avg_s_eff[i] * ss_j[i]
        srm = avg_m[i] * sm_j[i]
        xcal_l = lf_xcal(srs, avg_l[i], c, i)
        dwt = 0.0 + lf_k(c, K_LRATE, i) * (lf_k(c, K_M_LRN, i) * lf_xcal(srs, srm, c, i)
                                           + avg_l_lrn[i] * xcal_l)
        f = fw[i]
        dwt = lf_soft_bound(dwt, f)
        f = f + dwt
        fw[i] = f
        b = lf_sig_base(f, c, i)
        w[i] = 1.0 / (1.0 + lf_pow_1_5(b)) if fast_pow else b
        if rec:
            r_dwt[i] = dwt
            r_srs[i] = srs
            r_srm[i] = srm
            r_xcal[i] = xcal_l
    if not fast_pow:   # general gain: pow is a libm call, kept out of the vector loop
        for i in range(W):   # (per-unit gains: lanes with 1.5 as in a lone run)
            w[i] = lf_sig_pow(w[i], lf_k(c, K_GAIN, i))


cdef inline void lf_learn(const consts_t* c, const LFScratch* s, Py_ssize_t J,
                          const LFLanes* L, int fast_pow, int rec, int W) noexcept nogil:
    """XCAL learning of every synapse of a block, one cycle: sender-receiver products,
    the check mark against avg_l and the medium-term floating threshold, soft bounding,
    SIG.  fast_pow and rec are constants at each call (one vector loop per combination)."""
    cdef Py_ssize_t j
    for j in range(J):
        lf_learn_plane(c, s.fwt + j * W, s.wt + j * W, s.su_s + j * W, s.su_m + j * W,
                       L.avg_s_eff, L.avg_m, L.avg_l, L.avg_l_lrn,
                       s.rec + (0 * J + j) * W, s.rec + (1 * J + j) * W,
                       s.rec + (2 * J + j) * W, s.rec + (5 * J + j) * W, fast_pow, rec, W)


cdef inline void lf_lane_input(LFLanes* L, const consts_t* c, int i) noexcept nogil:
    """Net input from the summed synaptic drive, then the membrane current of every
    conductance but the AdEx term, whose exponent goes to ex."""
    L.net_raw[i] = lf_k(c, K_INV_N_INPUTS, i) * L.acc[i]
    L.net[i] = L.net[i] + lf_k(c, K_K_NET, i) * (L.net_raw[i] - L.net[i])
    cdef double vm = L.v_m[i]
    L.i_net[i] = (L.net[i] * (lf_k(c, K_E_REV_E, i) - vm)
                  + lf_k(c, K_GC_L, i) * (lf_k(c, K_E_REV_L, i) - vm)
                  + L.g_i[i] * (lf_k(c, K_E_INH, i) - vm) + lf_k(c, K_NOISE, i))
    L.ex[i] = (vm - lf_k(c, K_THR, i)) / lf_k(c, K_EXP_SLOPE, i)


cdef inline int lf_lane_spike(LFLanes* L, const consts_t* c, int i) noexcept nogil:
    """v_m from I_net (ex now holds the exponential), spike and reset, adaptation
    without decay (seed quirk), the short and medium averages.  1 if I_net is not finite."""
    cdef double in_ = L.i_net[i] + lf_k(c, K_K_EXP, i) * L.ex[i]
    cdef double vm = L.v_m[i] + lf_k(c, K_K_VM, i) * (in_ - L.adapt[i])
    L.i_net[i] = in_
    cdef bint spike = vm > lf_k(c, K_SPK_THR, i)
    vm = lf_k(c, K_VM_R, i) if spike else vm
    cdef double a_ = 1.0 if spike else 0.0
    L.act[i] = a_
    L.v_m[i] = vm
    L.adapt[i] = L.adapt[i] + ((lf_k(c, K_VM_GAIN, i) * (vm - lf_k(c, K_E_REV_L, i)))
                               + a_ * lf_k(c, K_SPIKE_GAIN, i)) / lf_k(c, K_ADAPT_DIV, i)
    L.n_spk[i] += a_
    L.avg_ss[i] = L.avg_ss[i] + lf_k(c, K_K_SS, i) * (a_ - L.avg_ss[i])
    L.avg_s[i] = L.avg_s[i] + lf_k(c, K_K_S, i) * (L.avg_ss[i] - L.avg_s[i])
    L.avg_m[i] = L.avg_m[i] + lf_k(c, K_K_M, i) * (L.avg_s[i] - L.avg_m[i])
    return not lf_finite(in_)


cdef inline void lf_lane_avg_l(LFLanes* L, const consts_t* c, int i,
                               int new_trial) noexcept nogil:
    """avg_l once per trial (seed quirk: at the trial's first cycle; new_trial is a
    constant at each call), then the values learning reads."""
    cdef double al = L.avg_l[i]
    al = al + lf_k(c, K_L_DT, i) * (L.avg_m[i] - al) if new_trial else al
    L.avg_l[i] = al
    L.avg_l_lrn[i] = (lf_k(c, K_AVG_L_LRN_MIN, i)
                      + (al - lf_k(c, K_AVG_L_MIN, i)) * lf_k(c, K_LRN_FAC, i))
    L.avg_s_eff[i] = lf_k(c, K_M_IN_S, i) * L.avg_m[i] + lf_k(c, K_ONE_M_IN_S, i) * L.avg_s[i]


cdef int lf_run_block(width_t* tag, const consts_t* consts, const LFRun* a,
                      const LFScratch* s, Py_ssize_t u0, int n, Py_ssize_t t0,
                      Py_ssize_t t1, int fast_pow) noexcept nogil:
    """Run units u0 .. u0+n-1 (n <= the width) through schedule cycles t0 .. t1-1.

    consts: one parameter set (SeedConsts), or per-lane ones (LFLaneConsts, which must
    be s.L.kc, filled by the caller).  Returns STATUS_OK_ or STATUS_NONFINITE_.
    """
    cdef int W = sizeof(tag[0].lanes)   # lanes: LF_BLOCK, LF_MID or LF_NARROW
    cdef Py_ssize_t J = a.n_inputs
    cdef Py_ssize_t U = a.n_units
    cdef LFLanes* L = s.L
    # A local copy: the compiler then knows no store below can change a constant.
    # Per-lane constants are read through L, for the same reason (one base, fixed
    # offsets: no aliasing with the lanes).
    cdef SeedConsts k_local
    cdef const consts_t* c
    if consts_t is SeedConsts:
        k_local = consts[0]
        c = &k_local
    else:
        lf_check(consts == &L.kc, b"lane constants")
        c = &L.kc
    cdef Py_ssize_t* col = L.col
    cdef int any_rec = 0
    cdef int contiguous = 1
    cdef int status = STATUS_OK_
    cdef int i, k, q
    cdef Py_ssize_t u, j
    lf_check(0 < n <= W and u0 >= 0 and u0 + n <= U, b"block")

    for i in range(W):
        u = u0 + (i if i < n else n - 1)
        L.net[i] = a.us[LF_S_NET * U + u]
        L.v_m[i] = a.us[LF_S_V_M * U + u]
        L.adapt[i] = a.us[LF_S_ADAPT * U + u]
        L.avg_ss[i] = a.us[LF_S_AVG_SS * U + u]
        L.avg_s[i] = a.us[LF_S_AVG_S * U + u]
        L.avg_m[i] = a.us[LF_S_AVG_M * U + u]
        L.avg_l[i] = a.us[LF_S_AVG_L * U + u]
        L.n_spk[i] = 0.0
        col[i] = a.unit_cols[u] if i < n else -1
        for j in range(J):
            s.fwt[j * W + i] = a.ss[u * J + j]
            s.wt[j * W + i] = a.ss[(U + u) * J + j]
    for i in range(n):
        any_rec |= col[i] >= 0
        contiguous &= col[i] == col[0] + i and col[0] >= 0
        lf_check(col[i] < a.cols or a.ub == NULL and a.sb == NULL, b"trace column")

    # The recorded traces, once: where each one's plane starts and which value feeds
    # it (fwt and wt are the state planes; dwt, srs, srm and XCAL are kept in s.rec).
    cdef const double* unit_vals[13]   # LF_N_UNIT_TRACES
    # (One by one: a list literal of arrays would copy their first elements.)
    unit_vals[0], unit_vals[1], unit_vals[2] = &L.net[0], &L.net_raw[0], &L.v_m[0]
    unit_vals[3], unit_vals[4], unit_vals[5] = &L.act[0], &L.adapt[0], &L.i_net[0]
    unit_vals[6], unit_vals[7], unit_vals[8] = &L.act[0], &L.avg_ss[0], &L.avg_s[0]
    unit_vals[9], unit_vals[10], unit_vals[11] = &L.avg_m[0], &L.avg_l[0], &L.avg_l_lrn[0]
    unit_vals[12] = &L.avg_s_eff[0]
    cdef const double* syn_vals[6]     # LF_N_SYN_TRACES
    syn_vals[0], syn_vals[1], syn_vals[2] = s.rec, s.rec + J * W, s.rec + 2 * J * W
    syn_vals[3], syn_vals[4], syn_vals[5] = s.fwt, s.wt, s.rec + 5 * J * W
    cdef double* unit_dst[13]
    cdef double* syn_dst[6]
    cdef const double* unit_src[13]
    cdef const double* syn_src[6]
    cdef int n_unit_rec = 0
    cdef int n_syn_rec = 0
    for k in range(LF_N_UNIT_TRACES):
        if not any_rec or a.slot[k] < 0 or a.ub == NULL:
            continue
        unit_dst[n_unit_rec] = a.ub + a.slot[k] * a.rows * a.cols
        unit_src[n_unit_rec] = unit_vals[k]
        n_unit_rec += 1
    for k in range(LF_N_SYN_TRACES):
        if not any_rec or a.slot[LF_T_DWT + k] < 0 or a.sb == NULL:
            continue
        syn_dst[n_syn_rec] = a.sb + a.slot[LF_T_DWT + k] * a.rows * a.cols * J
        syn_src[n_syn_rec] = syn_vals[k]
        n_syn_rec += 1

    # Full blocks stream their unit traces in two groups.  net, net_raw and I_net are
    # rewritten by the next cycle's input stage, so they go out as soon as they are
    # final.  The other ten stay as they are until the next cycle's spike stage, so
    # they wait (pending) and go out through that cycle's exp loop (lf_exp_stream).
    cdef const double* early_src[13]
    cdef const double* late_src[13]
    cdef double* early_dst[13]
    cdef double* late_dst[13]
    cdef double* pending[13]   # rows of the late traces not yet written
    cdef double* rows_dst[13]
    cdef int n_early = 0
    cdef int n_late = 0
    cdef int n_pending = 0
    cdef const double* v
    if LF_WIDE_STREAM:
        for q in range(n_unit_rec):
            v = unit_src[q]
            if v == &L.net[0] or v == &L.net_raw[0] or v == &L.i_net[0]:
                early_src[n_early] = v
                early_dst[n_early] = unit_dst[q]
                n_early += 1
            else:
                late_src[n_late] = v
                late_dst[n_late] = unit_dst[q]
                n_late += 1

    # Trial, cycle in trial and recording phase are counted, not divided, each cycle.
    cdef Py_ssize_t trial = t0 // a.n_cycles
    cdef Py_ssize_t cycle = t0 - trial * a.n_cycles
    cdef Py_ssize_t phase = (a.abs0 + (t0 - a.c0)) % a.every   # absolute % every
    # Trace row of the next recorded cycle: ceil(absolute / every) - rec_base.
    cdef Py_ssize_t row = (a.abs0 + (t0 - a.c0) + a.every - 1) // a.every - a.rec_base
    cdef Py_ssize_t t = t0
    cdef Py_ssize_t absolute
    cdef int rec, new_trial, bad, normal, wide_stream, lined
    cdef const double* xj
    cdef const double* wj
    cdef double* plane
    cdef double* dst
    while t < t1:
        absolute = a.abs0 + (t - a.c0)
        rec = any_rec and phase == 0

        if t == t0 or cycle == 0:
            lf_load_schedule(&a.x, trial, u0, n, J, s.x, W)
            lf_load_schedule(&a.su_s, trial, u0, n, J, s.su_s, W)
            lf_load_schedule(&a.su_m, trial, u0, n, J, s.su_m, W)
            for i in range(W):
                L.g_i[i] = lf_at(&a.gc_i, trial, u0 + (i if i < n else n - 1), 0)

        # Input: net_raw = 1/n * sum_j x_j * wt_j, summed in input order per unit.
        for i in range(W):
            L.acc[i] = 0.0
        for j in range(J):
            xj = s.x + j * W
            wj = s.wt + j * W
            for i in range(W):
                L.acc[i] = L.acc[i] + xj[i] * wj[i]

        # The neuron's cycle in four stages (lf_lane_*).  Wide blocks run each stage as
        # its own short vector loop over all lanes, iterations independent, so the
        # out-of-order core overlaps many lanes' exp and division latencies; a narrow
        # block (a few units, latency-bound) runs them fused, values in registers.
        new_trial = cycle == 0
        bad = 0
        if W == LF_NARROW:
            for i in range(W):
                lf_lane_input(L, c, i)
                L.ex[i] = lf_exp(L.ex[i])
                bad |= lf_lane_spike(L, c, i)
        else:
            for i in range(W):
                lf_lane_input(L, c, i)
            # The whole block in exp's normal range (the usual case): the shorter exp.
            normal = 1
            for i in range(W):
                normal &= fabs(L.ex[i]) <= LF_EXP_NORMAL_MAX
            if LF_WIDE_STREAM and n_pending and normal:
                # the last cycle's late traces, through this cycle's exp
                lf_exp_stream(L.ex, W, pending, late_src, n_pending)
                n_pending = 0
                normal = -1   # exp done
            elif LF_WIDE_STREAM and n_pending:
                lf_stream_rows(pending, late_src, n_pending, W)
                n_pending = 0
            if normal == 1:
                for i in range(W):
                    L.ex[i] = lf_exp_normal(L.ex[i])
            elif normal == 0:
                for i in range(W):
                    L.ex[i] = lf_exp(L.ex[i])
            for i in range(W):
                bad |= lf_lane_spike(L, c, i)
        # Two loops rather than a select: within a trial avg_l, and so avg_l_lrn, do
        # not wait for this cycle's avg_m (a shorter dependency chain per cycle).
        if new_trial:
            for i in range(W):
                lf_lane_avg_l(L, c, i, 1)
        else:
            for i in range(W):
                lf_lane_avg_l(L, c, i, 0)
        if bad:   # rare: mark the first non-finite cycle of each real lane
            for i in range(n):
                if not lf_finite(L.i_net[i]) and a.first_bad[u0 + i] < 0:
                    a.first_bad[u0 + i] = absolute
            status = STATUS_NONFINITE_

        if rec:
            lf_check(0 <= row < a.rows, b"trace row")
        # Whole rows of a full block, streamed by the instruction set's own stores: the
        # early unit traces now, before learning, so memory takes them while the
        # divisions of learning run; the late ones through the next cycle's exp (if
        # their rows start on a line, else now); the synapse traces after learning.
        wide_stream = (LF_WIDE_STREAM and rec and a.stream and contiguous and n == W
                       and W >= 8)
        if wide_stream:
            lf_check(col[0] + W <= a.cols, b"streamed row")
            for q in range(n_early):
                rows_dst[q] = early_dst[q] + row * a.cols + col[0]
                lf_check_span(rows_dst[q], W, a.ub, a.n_ub, b"streamed unit row")
            lf_stream_rows(rows_dst, early_src, n_early, W)
            lined = 1
            for q in range(n_late):
                pending[q] = late_dst[q] + row * a.cols + col[0]
                lf_check_span(pending[q], W, a.ub, a.n_ub, b"streamed unit row")
                lined &= (<uintptr_t>pending[q] & 63) == 0
            n_pending = n_late
            if not lined:
                lf_stream_rows(pending, late_src, n_pending, W)
                n_pending = 0

        # XCAL learning every cycle (seed quirk), soft bound, SIG.
        if rec:
            if fast_pow:
                lf_learn(c, s, J, L, 1, 1, W)
            else:
                lf_learn(c, s, J, L, 0, 1, W)
        else:
            if fast_pow:
                lf_learn(c, s, J, L, 1, 0, W)
            else:
                lf_learn(c, s, J, L, 0, 0, W)

        if wide_stream and J == 1:   # one synapse per unit: rows like unit traces
            for q in range(n_syn_rec):
                rows_dst[q] = syn_dst[q] + row * a.cols + col[0]
                lf_check_span(rows_dst[q], W, a.sb, a.n_sb, b"streamed synapse row")
            lf_stream_rows(rows_dst, syn_src, n_syn_rec, W)
        if rec:   # what the wide stores above did not write
            if not wide_stream:
                for q in range(n_unit_rec):
                    if LEABRA_FAST_DEBUG:
                        for i in range(n):
                            if col[i] >= 0:
                                lf_check_span(unit_dst[q] + row * a.cols + col[i], 1, a.ub,
                                              a.n_ub, b"unit trace")
                    lf_store_unit(unit_dst[q] + row * a.cols, col, n, contiguous,
                                  unit_src[q], a.stream, W)
            if not (wide_stream and J == 1):
                for q in range(n_syn_rec):
                    plane = syn_dst[q] + row * a.cols * J
                    v = syn_src[q]
                    if LEABRA_FAST_DEBUG:
                        for i in range(n):
                            if col[i] >= 0:
                                lf_check_span(plane + col[i] * J, J, a.sb, a.n_sb,
                                              b"synapse trace")
                    if J == 1:   # one synapse per unit: laid out like a unit trace
                        lf_store_unit(plane, col, n, contiguous, v, a.stream, W)
                        continue
                    for i in range(n):
                        if col[i] < 0:
                            continue
                        dst = plane + col[i] * J
                        for j in range(J):
                            dst[j] = v[j * W + i]
            row += 1

        t += 1
        phase = 0 if phase + 1 == a.every else phase + 1
        trial += cycle + 1 == a.n_cycles
        cycle = 0 if cycle + 1 == a.n_cycles else cycle + 1

    if LF_WIDE_STREAM and n_pending:   # the last cycle's late traces
        lf_stream_rows(pending, late_src, n_pending, W)
    cdef int fin
    cdef double f, w
    for i in range(n):
        u = u0 + i
        a.us[LF_S_NET * U + u] = L.net[i]
        a.us[LF_S_V_M * U + u] = L.v_m[i]
        a.us[LF_S_ADAPT * U + u] = L.adapt[i]
        a.us[LF_S_AVG_SS * U + u] = L.avg_ss[i]
        a.us[LF_S_AVG_S * U + u] = L.avg_s[i]
        a.us[LF_S_AVG_M * U + u] = L.avg_m[i]
        a.us[LF_S_AVG_L * U + u] = L.avg_l[i]
        a.spikes[u] += <long long>L.n_spk[i]
        fin = (lf_finite(L.net[i]) and lf_finite(L.v_m[i]) and lf_finite(L.adapt[i])
               and lf_finite(L.avg_ss[i]) and lf_finite(L.avg_s[i]) and lf_finite(L.avg_m[i])
               and lf_finite(L.avg_l[i]))
        for j in range(J):
            f = s.fwt[j * W + i]
            w = s.wt[j * W + i]
            a.ss[u * J + j] = f
            a.ss[(U + u) * J + j] = w
            fin = fin and lf_finite(f) and lf_finite(w)
        # A NaN born in the last cycle has not reached I_net yet: check the state.
        if not fin and a.first_bad[u] < 0 and t1 == a.c1 and a.c1 > a.c0:
            a.first_bad[u] = a.abs0 + (a.c1 - a.c0) - 1
        if a.first_bad[u] >= 0:
            status = STATUS_NONFINITE_
    return status


cdef inline int lf_run_one_j(const SeedConsts* c, const LFRun* a, Py_ssize_t u,
                             Py_ssize_t t0, Py_ssize_t t1, int fast_pow, Py_ssize_t J,
                             double* fw, double* w, double* xs, double* sus,
                             double* sum_) noexcept nogil:
    """One unit through cycles t0 .. t1-1, its state in scalars (the narrow path).

    A single unit's cycle is one long dependency chain (weight -> net -> v_m ->
    spike -> averages -> XCAL -> soft bound -> SIG -> weight), so nothing is gained
    from lanes; what costs is every value that goes through memory on that chain (a
    store and a reload add the store-forwarding latency).  Here the unit's values
    stay in registers; with J == 1 (the caller passes pointers to its locals) the
    synapse's too.  Same operations in the same order as lf_run_block: same bits.
    """
    cdef Py_ssize_t U = a.n_units
    cdef double net = a.us[LF_S_NET * U + u]
    cdef double v_m = a.us[LF_S_V_M * U + u]
    cdef double adapt = a.us[LF_S_ADAPT * U + u]
    cdef double avg_ss = a.us[LF_S_AVG_SS * U + u]
    cdef double avg_s = a.us[LF_S_AVG_S * U + u]
    cdef double avg_m = a.us[LF_S_AVG_M * U + u]
    cdef double avg_l = a.us[LF_S_AVG_L * U + u]
    cdef double n_spk = 0.0
    cdef double g_i = 0.0
    cdef double acc, net_raw, vm, i_net, ex, in_, a_, avg_l_lrn, avg_s_eff
    cdef double srs, srm, xcal_l, dwt, f, b
    cdef Py_ssize_t j, off
    cdef int k, status = STATUS_OK_
    cdef Py_ssize_t col = a.unit_cols[u]
    for j in range(J):
        fw[j] = a.ss[u * J + j]
        w[j] = a.ss[(U + u) * J + j]

    # Where each recorded trace's plane starts (NULL: not recorded).
    cdef double* udst[13]   # LF_N_UNIT_TRACES
    cdef double* sdst[6]    # LF_N_SYN_TRACES
    cdef int any_rec = col >= 0 and (a.ub != NULL or a.sb != NULL)
    for k in range(LF_N_UNIT_TRACES):
        udst[k] = (a.ub + a.slot[k] * a.rows * a.cols
                   if any_rec and a.slot[k] >= 0 and a.ub != NULL else NULL)
    for k in range(LF_N_SYN_TRACES):
        sdst[k] = (a.sb + a.slot[LF_T_DWT + k] * a.rows * a.cols * J
                   if any_rec and a.slot[LF_T_DWT + k] >= 0 and a.sb != NULL else NULL)
    lf_check(not any_rec or col < a.cols, b"trace column")

    cdef Py_ssize_t trial = t0 // a.n_cycles
    cdef Py_ssize_t cycle = t0 - trial * a.n_cycles
    cdef Py_ssize_t phase = (a.abs0 + (t0 - a.c0)) % a.every
    cdef Py_ssize_t row = (a.abs0 + (t0 - a.c0) + a.every - 1) // a.every - a.rec_base
    cdef Py_ssize_t t = t0
    cdef bint spike, rec
    while t < t1:
        rec = any_rec and phase == 0
        if t == t0 or cycle == 0:
            for j in range(J):
                xs[j] = lf_at(&a.x, trial, u, j)
                sus[j] = lf_at(&a.su_s, trial, u, j)
                sum_[j] = lf_at(&a.su_m, trial, u, j)
            g_i = lf_at(&a.gc_i, trial, u, 0)

        acc = 0.0
        for j in range(J):
            acc = acc + xs[j] * w[j]
        net_raw = c.inv_n_inputs * acc
        net = net + c.k_net * (net_raw - net)
        vm = v_m
        i_net = (net * (c.e_rev_e - vm) + c.gc_l * (c.e_rev_l - vm)
                 + g_i * (c.e_inh - vm) + c.noise)
        ex = lf_exp((vm - c.thr) / c.exp_slope)
        in_ = i_net + c.k_exp * ex
        vm = v_m + c.k_vm * (in_ - adapt)
        i_net = in_
        spike = vm > c.spk_thr
        vm = c.vm_r if spike else vm
        a_ = 1.0 if spike else 0.0
        v_m = vm
        adapt = adapt + ((c.vm_gain * (vm - c.e_rev_l)) + a_ * c.spike_gain) / c.adapt_div
        n_spk += a_
        avg_ss = avg_ss + c.k_ss * (a_ - avg_ss)
        avg_s = avg_s + c.k_s * (avg_ss - avg_s)
        avg_m = avg_m + c.k_m * (avg_s - avg_m)
        avg_l = avg_l + c.l_dt * (avg_m - avg_l) if cycle == 0 else avg_l
        avg_l_lrn = c.avg_l_lrn_min + (avg_l - c.avg_l_min) * c.lrn_fac
        avg_s_eff = c.m_in_s * avg_m + c.one_m_in_s * avg_s
        if not lf_finite(in_):   # rare: the first non-finite cycle
            if a.first_bad[u] < 0:
                a.first_bad[u] = a.abs0 + (t - a.c0)
            status = STATUS_NONFINITE_

        if rec:
            lf_check(0 <= row < a.rows, b"trace row")
            off = row * a.cols + col
            if udst[LF_T_NET] != NULL: udst[LF_T_NET][off] = net
            if udst[LF_T_NET_RAW] != NULL: udst[LF_T_NET_RAW][off] = net_raw
            if udst[LF_T_V_M] != NULL: udst[LF_T_V_M][off] = v_m
            if udst[LF_T_ACT] != NULL: udst[LF_T_ACT][off] = a_
            if udst[LF_T_ADAPT] != NULL: udst[LF_T_ADAPT][off] = adapt
            if udst[LF_T_I_NET] != NULL: udst[LF_T_I_NET][off] = i_net
            if udst[LF_T_ACT_ND] != NULL: udst[LF_T_ACT_ND][off] = a_
            if udst[LF_T_AVG_SS] != NULL: udst[LF_T_AVG_SS][off] = avg_ss
            if udst[LF_T_AVG_S] != NULL: udst[LF_T_AVG_S][off] = avg_s
            if udst[LF_T_AVG_M] != NULL: udst[LF_T_AVG_M][off] = avg_m
            if udst[LF_T_AVG_L] != NULL: udst[LF_T_AVG_L][off] = avg_l
            if udst[LF_T_AVG_L_LRN] != NULL: udst[LF_T_AVG_L_LRN][off] = avg_l_lrn
            if udst[LF_T_AVG_S_EFF] != NULL: udst[LF_T_AVG_S_EFF][off] = avg_s_eff
            for k in range(LF_N_UNIT_TRACES):
                if udst[k] != NULL:
                    lf_check_span(udst[k] + off, 1, a.ub, a.n_ub, b"unit trace")
            off = off * J

        # XCAL learning every cycle (seed quirk), soft bound, SIG.
        for j in range(J):
            srs = avg_s_eff * sus[j]
            srm = avg_m * sum_[j]
            xcal_l = lf_xcal(srs, avg_l, c, 0)
            dwt = 0.0 + c.lrate * (c.m_lrn * lf_xcal(srs, srm, c, 0) + avg_l_lrn * xcal_l)
            f = fw[j]
            dwt = lf_soft_bound(dwt, f)
            f = f + dwt
            fw[j] = f
            b = lf_sig_base(f, c, 0)
            w[j] = 1.0 / (1.0 + (lf_pow_1_5(b) if fast_pow else pow(b, c.gain)))
            if rec:
                if sdst[0] != NULL: sdst[0][off + j] = dwt
                if sdst[1] != NULL: sdst[1][off + j] = srs
                if sdst[2] != NULL: sdst[2][off + j] = srm
                if sdst[3] != NULL: sdst[3][off + j] = f
                if sdst[4] != NULL: sdst[4][off + j] = w[j]
                if sdst[5] != NULL: sdst[5][off + j] = xcal_l
                for k in range(LF_N_SYN_TRACES):
                    if sdst[k] != NULL:
                        lf_check_span(sdst[k] + off + j, 1, a.sb, a.n_sb, b"synapse trace")
        if rec:
            row += 1

        t += 1
        phase = 0 if phase + 1 == a.every else phase + 1
        trial += cycle + 1 == a.n_cycles
        cycle = 0 if cycle + 1 == a.n_cycles else cycle + 1

    a.us[LF_S_NET * U + u] = net
    a.us[LF_S_V_M * U + u] = v_m
    a.us[LF_S_ADAPT * U + u] = adapt
    a.us[LF_S_AVG_SS * U + u] = avg_ss
    a.us[LF_S_AVG_S * U + u] = avg_s
    a.us[LF_S_AVG_M * U + u] = avg_m
    a.us[LF_S_AVG_L * U + u] = avg_l
    a.spikes[u] += <long long>n_spk
    cdef int fin = (lf_finite(net) and lf_finite(v_m) and lf_finite(adapt) and lf_finite(avg_ss)
                    and lf_finite(avg_s) and lf_finite(avg_m) and lf_finite(avg_l))
    for j in range(J):
        a.ss[u * J + j] = fw[j]
        a.ss[(U + u) * J + j] = w[j]
        fin = fin and lf_finite(fw[j]) and lf_finite(w[j])
    if not fin and a.first_bad[u] < 0 and t1 == a.c1 and a.c1 > a.c0:
        a.first_bad[u] = a.abs0 + (a.c1 - a.c0) - 1
    if a.first_bad[u] >= 0:
        status = STATUS_NONFINITE_
    return status


cdef int lf_run_one(const SeedConsts* consts, const LFRun* a, const LFScratch* s, Py_ssize_t u,
                    Py_ssize_t t0, Py_ssize_t t1, int fast_pow) noexcept nogil:
    """The narrow path: one unit (the notebook's), see lf_run_one_j."""
    cdef SeedConsts k_local = consts[0]   # a local copy: no store can change a constant
    cdef double fw1, w1, x1, sus1, sum1
    lf_check(0 <= u < a.n_units, b"unit")
    if a.n_inputs == 1:   # the synapse in registers too (the calls inline, J constant)
        return lf_run_one_j(&k_local, a, u, t0, t1, fast_pow, 1, &fw1, &w1, &x1, &sus1, &sum1)
    return lf_run_one_j(&k_local, a, u, t0, t1, fast_pow, a.n_inputs, s.fwt, s.wt, s.x, s.su_s,
                        s.su_m)


cdef int lf_records(const LFRun* a) noexcept nogil:
    """Does this run write any trace?"""
    cdef int any_slot = 0
    cdef int k
    for k in range(LF_N_TRACES):
        any_slot |= a.slot[k] >= 0
    return any_slot and (a.ub != NULL or a.sb != NULL)


cdef inline int lf_same_params(const double* table, Py_ssize_t u0, int n) noexcept nogil:
    """Do units u0 .. u0+n-1 have the same constants, bit for bit (rows of the table)?"""
    cdef int i
    for i in range(1, n):
        if memcmp(table + (u0 + i) * LF_N_CONSTS, table + u0 * LF_N_CONSTS,
                  LF_N_CONSTS * sizeof(double)) != 0:
            return 0
    return 1


cdef inline int lf_fill_lanes(LFLaneConsts* kc, const double* table, Py_ssize_t u0, int n,
                              int W) noexcept nogil:
    """Each lane's constants from its unit's row (padding lanes repeat the last unit's);
    returns 1 if every lane's SIG gain is 1.5 (the block may take the fast power)."""
    cdef int i, k
    cdef int fast_pow = 1
    cdef const double* row
    for i in range(W):
        row = table + (u0 + (i if i < n else n - 1)) * LF_N_CONSTS
        for k in range(LF_N_CONSTS):
            kc.v[k][i] = row[k]
        fast_pow &= row[K_GAIN] == 1.5
    return fast_pow


cdef int lf_run_blocks(const SeedConsts* c, const double* table, const LFRun* a,
                       const LFScratch* s, Py_ssize_t u_start, Py_ssize_t u_stop) noexcept nogil:
    """One sweep of units u_start .. u_stop-1 in blocks of the three widths.

    Per-unit parameters: table (else NULL) holds each unit's constants as a row
    (LF_N_CONSTS doubles, SeedConsts order).  A block whose units share one set runs
    with it as scalars, exactly as a uniform run; any other runs its lanes with their
    own constants (a 64- or 16-lane block: one call for 10,000 distinct sets).
    """
    cdef int status = STATUS_OK_
    cdef int st, n, fp
    cdef int fast_pow = 0
    cdef WideTag wide
    cdef MidTag mid
    cdef NarrowTag narrow
    cdef SeedConsts one
    cdef const SeedConsts* cb = c
    cdef Py_ssize_t t0, t1, u0, left
    if table == NULL:
        fast_pow = c.gain == 1.5
    # Recording: sweep all blocks through a window of cycles, then the next window, so
    # the trace rows being written stay few (cache and TLB friendly) instead of every
    # block walking all rows of every trace.  Without traces: one window.
    cdef Py_ssize_t window = (LF_RECORD_WINDOW if lf_records(a) and u_stop - u_start > LF_BLOCK
                              else a.c1 - a.c0)
    t0 = a.c0
    while t0 < a.c1:
        t1 = a.c1 if a.c1 - t0 < window else t0 + window
        u0 = u_start
        while u0 < u_stop:
            left = u_stop - u0
            if left > 3 * LF_MID:   # a full block, or nearly: 64 lanes
                n = <int>(left if left < LF_BLOCK else LF_BLOCK)
            elif left > LF_NARROW:   # the rest in blocks of 16
                n = <int>(left if left < LF_MID else LF_MID)
            else:   # a few units, or one
                n = <int>left
            if table != NULL and not lf_same_params(table, u0, n):
                # per-lane constants (a few left-over units: a padded 16-lane block)
                if n > LF_MID:
                    fp = lf_fill_lanes(&s.L.kc, table, u0, n, LF_BLOCK)
                    st = lf_run_block(&wide, &s.L.kc, a, s, u0, n, t0, t1, fp)
                else:
                    fp = lf_fill_lanes(&s.L.kc, table, u0, n, LF_MID)
                    st = lf_run_block(&mid, &s.L.kc, a, s, u0, n, t0, t1, fp)
            else:
                if table != NULL:   # one set for the whole block: as a uniform run
                    memcpy(&one, table + u0 * LF_N_CONSTS, sizeof(SeedConsts))
                    cb = &one
                    fast_pow = one.gain == 1.5
                if n > LF_MID:
                    st = lf_run_block(&wide, cb, a, s, u0, n, t0, t1, fast_pow)
                elif n > LF_NARROW:
                    st = lf_run_block(&mid, cb, a, s, u0, n, t0, t1, fast_pow)
                elif n > 1:
                    st = lf_run_block(&narrow, cb, a, s, u0, n, t0, t1, fast_pow)
                else:   # one (the notebook's): the scalar narrow path
                    st = lf_run_one(cb, a, s, u0, t0, t1, fast_pow)
            u0 += n
            if st > status:
                status = st
        t0 += window
    return status


cdef int lf_run_units(const SeedConsts* c, const double* table, const LFRun* a,
                      Py_ssize_t u_start, Py_ssize_t u_stop) noexcept nogil:
    """Run units u_start .. u_stop-1: what one thread does with its share.

    Returns STATUS_OK_, STATUS_NONFINITE_ or STATUS_NO_MEMORY_.
    """
    cdef LFScratch s
    cdef int status
    if u_stop <= u_start:
        return STATUS_OK_
    if lf_scratch_alloc(&s, a.n_inputs) != 0:
        return STATUS_NO_MEMORY_
    status = lf_run_blocks(c, table, a, &s, u_start, u_stop)
    if a.stream:
        lf_stream_fence()   # this thread's streamed stores visible before they are read
    free(s.mem)
    return status


# ------------------------------------------------------------------- entry point

STATUS_OK = STATUS_OK_
#: The constants of a parameter set in SeedConsts order: the columns of ``unit_consts``.
CONST_NAMES = ("k_net", "k_vm", "noise", "gc_l", "e_rev_e", "e_rev_l", "e_inh", "thr",
               "exp_slope", "k_exp", "spk_thr", "vm_r", "vm_gain", "spike_gain", "adapt_div",
               "k_ss", "k_s", "k_m", "l_dt", "avg_l_min", "avg_l_lrn_min", "lrn_fac", "m_in_s",
               "one_m_in_s", "lrate", "m_lrn", "d_thr", "d_rev", "rev_fac", "gain", "off",
               "sig_eps", "inv_n_inputs")
assert len(CONST_NAMES) == LF_N_CONSTS and sizeof(SeedConsts) == LF_N_CONSTS * sizeof(double)
STATUS_NONFINITE = STATUS_NONFINITE_
STATUS_BAD_ARGS = STATUS_BAD_ARGS_
#: Units that run side by side in one SIMD block (tests use it to probe remainders).
BLOCK = LF_BLOCK
#: Lanes of the block widths, widest first: full blocks, then what is left over.
WIDTHS = (LF_BLOCK, LF_MID, LF_NARROW)
#: Trace buffers at least this large are written with non-temporal (streaming) stores:
#: they are far larger than the caches, and streaming skips reading each line first.
STREAM_MIN_BYTES = 4 << 20
#: Largest |x| for which the kernel may use its shorter exp (no clamps, one scaling).
EXP_NORMAL_MAX = float(LF_EXP_NORMAL_MAX)
#: Built with OpenMP threads (LEABRA_FAST_OPENMP=1).
OPENMP = bool(LEABRA_FAST_OPENMP)
#: Built with LEABRA_FAST_DEBUG=1: bounds, wraparound and initialisation checks on in
#: the glue, and index checks in the loops (an out-of-range index stops the process).
DEBUG_BUILD = bool(LEABRA_FAST_DEBUG)


cdef LFSchedule _schedule3(const double[:, :, :] a):
    cdef LFSchedule s
    s.data = <const char*>&a[0, 0, 0]
    s.trial, s.unit, s.input = a.strides[0], a.strides[1], a.strides[2]
    s.n_trial, s.n_unit, s.n_input = a.shape[0], a.shape[1], a.shape[2]
    return s


cdef LFSchedule _schedule2(const double[:, :] a):
    cdef LFSchedule s
    s.data = <const char*>&a[0, 0]
    s.trial, s.unit, s.input = a.strides[0], a.strides[1], 0
    s.n_trial, s.n_unit, s.n_input = a.shape[0], a.shape[1], 1
    return s


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
    const double[:, ::1] unit_consts=None,
):
    """Run schedule cycles ``c0 .. c1-1`` of all units, in place; return a status code.

    Per-unit parameters: ``unit_consts`` (``n_units`` x ``len(CONST_NAMES)``, C order)
    gives each unit its constants (a row of ``consts``'s values in ``CONST_NAMES``
    order); ``consts`` is then unused.  Blocks of units with one set run as a uniform
    run does; blocks of distinct sets run each lane with its own constants, and every
    unit gets the bits of a lone run with its set.

    Same contract as :func:`leabra_fast.reference.run_seed`.  The arguments
    must already be validated (the driver does it); only cheap shape
    consistency is re-checked here, returning ``STATUS_BAD_ARGS`` instead of
    reading out of bounds.  ``n_threads`` > 1 runs chunks of unit blocks in
    parallel (OpenMP, when the build has it); every unit is computed by the same
    code whatever the chunking, so the results are bit-identical for any
    ``n_threads``.  In a process forked after threads were used (multiprocessing
    with "fork"), the kernel runs on one thread: GNU OpenMP cannot restart there.
    Raises MemoryError if the per-thread scratch cannot be allocated.
    """
    cdef SeedConsts c = consts
    cdef Py_ssize_t n_units = unit_state.shape[1]
    cdef Py_ssize_t n_inputs = syn_state.shape[2]
    cdef Py_ssize_t max_trial = (c1 - 1) // n_cycles if n_cycles > 0 else 0
    cdef Py_ssize_t k, chunk, n_chunks, u0, u1
    cdef LFRun a
    cdef int status = STATUS_OK_
    cdef int* chunk_status
    cdef const double* table = NULL

    if (n_cycles < 1 or c0 < 0 or c1 < c0 or every < 1 or abs0 < 0 or n_threads < 1
            or unit_state.shape[0] != LF_N_UNIT_STATE or syn_state.shape[0] != 2
            or syn_state.shape[1] != n_units or slots.shape[0] != LF_N_TRACES
            or unit_cols.shape[0] != n_units or spikes.shape[0] != n_units
            or first_bad.shape[0] != n_units or n_units < 1 or n_inputs < 1):
        return STATUS_BAD_ARGS_
    for arr_shape in ((x.shape[0], x.shape[1], x.shape[2]),
                      (su_s.shape[0], su_s.shape[1], su_s.shape[2]),
                      (su_m.shape[0], su_m.shape[1], su_m.shape[2])):
        if arr_shape[0] <= max_trial or arr_shape[1] != n_units or arr_shape[2] != n_inputs:
            return STATUS_BAD_ARGS_
    if gc_i.shape[0] <= max_trial or gc_i.shape[1] != n_units:
        return STATUS_BAD_ARGS_
    if unit_consts is not None:
        if unit_consts.shape[0] != n_units or unit_consts.shape[1] != LF_N_CONSTS:
            return STATUS_BAD_ARGS_
        table = &unit_consts[0, 0]
    for k in range(LF_N_TRACES):
        a.slot[k] = slots[k]
        if a.slot[k] >= (unit_buf.shape[0] if k < LF_T_DWT else syn_buf.shape[0]):
            return STATUS_BAD_ARGS_
    if not _recording_fits(unit_cols, unit_buf, syn_buf, n_inputs, abs0, c1 - c0, every,
                           rec_base):
        return STATUS_BAD_ARGS_
    if unit_buf.shape[0] and syn_buf.shape[0] and (unit_buf.shape[1] != syn_buf.shape[1]
                                                   or unit_buf.shape[2] != syn_buf.shape[2]):
        return STATUS_BAD_ARGS_  # the loop indexes both buffers by one (row, col)
    if c1 == c0:
        return _status_of(first_bad)

    a.x = _schedule3(x)
    a.su_s = _schedule3(su_s)
    a.su_m = _schedule3(su_m)
    a.gc_i = _schedule2(gc_i)
    a.us = &unit_state[0, 0]
    a.ss = &syn_state[0, 0, 0]
    a.n_units, a.n_inputs = n_units, n_inputs
    a.n_cycles, a.c0, a.c1, a.abs0, a.every, a.rec_base = n_cycles, c0, c1, abs0, every, rec_base
    a.unit_cols = &unit_cols[0]
    # Empty buffers (nothing recorded of that kind) are never written: NULL.
    a.n_ub = unit_buf.shape[0] * unit_buf.shape[1] * unit_buf.shape[2]
    a.n_sb = syn_buf.shape[0] * syn_buf.shape[1] * syn_buf.shape[2] * syn_buf.shape[3]
    a.ub = &unit_buf[0, 0, 0] if a.n_ub else NULL
    a.sb = &syn_buf[0, 0, 0, 0] if a.n_sb else NULL
    a.rows = unit_buf.shape[1] if unit_buf.shape[0] else syn_buf.shape[1]
    a.cols = unit_buf.shape[2] if unit_buf.shape[0] else syn_buf.shape[2]
    a.spikes = &spikes[0]
    a.first_bad = &first_bad[0]
    a.stream = 8 * (a.n_ub + a.n_sb) >= STREAM_MIN_BYTES

    # Chunks of whole blocks, about 8 per thread so a busy core does not hold the others
    # up.  (cdivision: C integer division truncates, so ceilings are written out.)
    chunk = (n_units + 8 * n_threads - 1) // (8 * n_threads)
    chunk = max(LF_BLOCK, (chunk + LF_BLOCK - 1) // LF_BLOCK * LF_BLOCK)
    n_chunks = (n_units + chunk - 1) // chunk
    if n_threads == 1 or n_chunks == 1 or not LEABRA_FAST_OPENMP or _fork_unsafe():
        with nogil:
            status = lf_run_units(&c, table, &a, 0, n_units)
    else:
        _mark_threads_used()
        chunk_status = <int*>malloc(n_chunks * sizeof(int))
        if chunk_status == NULL:
            raise MemoryError("leabra_fast kernel: cannot allocate per-chunk status")
        try:
            for k in prange(n_chunks, nogil=True, num_threads=n_threads, schedule="dynamic"):
                u0 = k * chunk
                u1 = min(u0 + chunk, n_units)
                chunk_status[k] = lf_run_units(&c, table, &a, u0, u1)
            for k in range(n_chunks):
                if chunk_status[k] == STATUS_NO_MEMORY_ or status == STATUS_NO_MEMORY_:
                    status = STATUS_NO_MEMORY_
                else:
                    status = max(status, chunk_status[k])
        finally:
            free(chunk_status)
    if status == STATUS_NO_MEMORY_:
        raise MemoryError(
            f"leabra_fast kernel: cannot allocate scratch for {n_inputs} inputs per unit; "
            "the state may be partially updated"
        )
    return status


cdef int _status_of(const long long[::1] first_bad):
    cdef Py_ssize_t u
    for u in range(first_bad.shape[0]):
        if first_bad[u] >= 0:
            return STATUS_NONFINITE_
    return STATUS_OK_


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
    """The kernel's ``xcal`` on one value (for tests against the Python one)."""
    cdef SeedConsts c = consts
    return lf_xcal(x, th, &c, 0)


def sig_scalar(dict consts, double w):
    """The kernel's ``sig`` on one value; ``x*sqrt(x)`` when ``gain == 1.5``, else ``pow``."""
    cdef SeedConsts c = consts
    return lf_sig(w, &c)


def soft_bound_scalar(double dwt, double fwt):
    """The kernel's ``soft_bound`` on one value."""
    return lf_soft_bound(dwt, fwt)


def exp_scalar(double x):
    """The kernel's own vectorisable ``exp`` on one value (for tests against ``math.exp``)."""
    return lf_exp(x)


def exp_array(const double[::1] x, bint normal=False):
    """The kernel's ``exp`` on each element of a contiguous float64 array (a new array).

    ``normal=True`` uses the shorter form the kernel takes when a whole block has
    ``|x| <= EXP_NORMAL_MAX``; there it must give the same bits.
    """
    import numpy as np
    out = np.empty(x.shape[0])
    cdef double[::1] o = out
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        o[i] = lf_exp_normal(x[i]) if normal else lf_exp(x[i])
    return out


def cpu_levels():
    """The instruction sets this CPU runs, best first (call it in the baseline module:
    the others may not even import on a CPU without their instructions)."""
    return tuple(name for k, name in enumerate(("avx512", "avx2", "baseline"))
                 if lf_isa_supported(k))


def consts_row(dict consts):
    """A parameter set's constants as the kernel holds them: a row of ``unit_consts``."""
    import numpy as np
    cdef SeedConsts c = consts
    out = np.empty(LF_N_CONSTS)
    cdef double[::1] o = out
    memcpy(&o[0], &c, sizeof(SeedConsts))
    return out
