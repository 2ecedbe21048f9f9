# The network's compiled kernel: Go emergent v1's trial on C doubles, no GIL.
#
# Included by _kernel.pyx, whose C (Cython runs once) is compiled once per instruction
# set as _kernel_avx512, _kernel_avx2 and _kernel_baseline (setup.py: kernel_extensions);
# the same source in each, so the modules give the same bits and differ only in speed.
# leabra_fast.network.compiled picks the module before importing it.
#
# Layout follows scikit-learn's _loss: scalar functions per equation (lf_nxx1, lf_xcal,
# lf_sig, lf_slay_act_scale; lf_exp from leabra_fast.core._lf_math), the per-layer steps
# of a cycle and of a trial (lf_send, lf_g_from_inc, lf_inhib, lf_act_from_g, ...) as
# loops that wrap them, one function running whole trials of one batch copy (lf_run_copy),
# and the def entry point that re-checks sizes and hands batch copies to threads.
#
# State is the Python network's packed state (leabra_fast.network.layout): unit
# variables (n_var, n_batch, n_units_total), pools (n_var, n_batch, n_pools_total),
# layer scalars (n_var, n_batch, n_layers), synapses per projection (n_batch, n_send,
# n_recv) sender-major, so a sender's row of weights is contiguous: Go's SendGDelta adds
# delta * row to the receivers' accumulators only for senders whose activity changed by
# more than opt_thresh (a sparse scatter), and learning runs over contiguous rows.
#
# Indexing: run_trials checks every table against the arrays' sizes (STATUS_BAD_ARGS),
# so the loops run unchecked; the debug build (LEABRA_FAST_DEBUG=1) also checks each
# span the loops address (lf_check_row in the addressing functions, sender indices,
# slices, receive lists) and aborts naming the array.
#
# Bits: every expression in the NumPy reference's order (reference.py), no FMA
# (-ffp-contract=off), sums in index order; exp is lf_exp, which the reference mirrors
# in NumPy (reference._exp).  Batch copies are independent, so threads over copies give
# the same bits at any thread count; threads inside one copy (Team) each compute whole
# units and keep every sum's order, so they do too.

from cython.parallel cimport parallel, prange, threadid
from libc.math cimport cos, fabs, floor, log, pow, sqrt
from libc.stdint cimport uint64_t
from libc.stdio cimport fprintf, stderr
from libc.stdlib cimport abort, calloc, free, malloc
from libc.string cimport memcpy, memset
from posix.time cimport CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, clock_gettime, timespec

from leabra_fast.core._lf_isa cimport lf_isa_supported
from leabra_fast.core._lf_math cimport lf_exp

from leabra_fast.core._forkguard import fork_unsafe as _fork_unsafe
from leabra_fast.core._forkguard import mark_threads_used as _mark_threads_used

cdef extern from *:
    int LEABRA_FAST_DEBUG
    int LEABRA_FAST_OPENMP
    # Pointers the compiler may assume unaliased (C99 restrict; CYTHON_RESTRICT is
    # Cython's spelling for each compiler): GCC gives up vectorising loops over many
    # arrays it must check against each other.
    ctypedef double* double_r "double * CYTHON_RESTRICT"
    ctypedef const double* cdouble_r "const double * CYTHON_RESTRICT"


cdef extern from *:
    """
    /* A function GCC must not inline: inlined into its caller, its restrict parameters
       no longer keep its loops from run-time alias checks (too many to vectorise). */
    #if defined(_MSC_VER)
    #define LPN_NOINLINE __declspec(noinline)
    #else
    #define LPN_NOINLINE __attribute__((noinline))
    #endif
    """
    ctypedef void void_noinline "LPN_NOINLINE void"


cdef extern from *:
    """
    /* Atomics of the network kernel's team of threads (Team, lf_barrier): GCC / Clang builtins or
       MSVC intrinsics, sequentially consistent on 64-bit words. */
    #if defined(_MSC_VER)
    #ifndef WIN32_LEAN_AND_MEAN
    #define WIN32_LEAN_AND_MEAN
    #endif
    #ifndef NOMINMAX
    #define NOMINMAX
    #endif
    #include <windows.h>
    #include <intrin.h>
    static __inline long long lfn_load(long long* p)
    { return _InterlockedCompareExchange64((volatile long long*)p, 0, 0); }
    static __inline void lfn_store(long long* p, long long v)
    { _InterlockedExchange64((volatile long long*)p, v); }
    static __inline int lfn_cas(long long* p, long long expected, long long desired)
    { return _InterlockedCompareExchange64((volatile long long*)p, desired, expected) == expected; }
    static __inline long long lfn_add(long long* p, long long v)
    { return _InterlockedExchangeAdd64((volatile long long*)p, v); }
    static __inline void lfn_relax(void) { YieldProcessor(); }
    static __inline void lfn_yield(void) { SwitchToThread(); }
    #else
    #include <sched.h>
    static inline long long lfn_load(long long* p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
    static inline void lfn_store(long long* p, long long v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
    static inline int lfn_cas(long long* p, long long expected, long long desired)
    { return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }
    static inline long long lfn_add(long long* p, long long v)
    { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
    #if defined(__x86_64__) || defined(__i386__)
    static inline void lfn_relax(void) { __builtin_ia32_pause(); }
    #else
    static inline void lfn_relax(void) { }
    #endif
    static inline void lfn_yield(void) { sched_yield(); }
    #endif
    /* Threads an OpenMP parallel region got (1 in builds without OpenMP): a team of
       threads that wait for each other must know it is whole. */
    #ifdef _OPENMP
    #include <omp.h>
    static inline int lfn_team_size(void) { return omp_get_num_threads(); }
    static inline int lfn_thread_num(void) { return omp_get_thread_num(); }
    #else
    static inline int lfn_team_size(void) { return 1; }
    static inline int lfn_thread_num(void) { return 0; }
    #endif
    """
    long long lfn_load(long long* p) noexcept nogil
    void lfn_store(long long* p, long long v) noexcept nogil
    bint lfn_cas(long long* p, long long expected, long long desired) noexcept nogil
    long long lfn_add(long long* p, long long v) noexcept nogil
    void lfn_relax() noexcept nogil
    void lfn_yield() noexcept nogil
    int lfn_team_size() noexcept nogil
    int lfn_thread_num() noexcept nogil


cdef enum:
    STATUS_OK_ = 0
    STATUS_BAD_ARGS_ = -1
    STATUS_NO_MEMORY_ = -2

cdef enum:
    # Unit variables (reference._UNIT_VARS order).
    U_ACT, U_ACT_LRN, U_GE, U_GI, U_GK, U_GI_SELF, U_GI_SYN, U_INET, U_VM, U_ACT_DEL,
    U_ACT_SENT, U_GE_RAW, U_GI_RAW, U_EXT, U_TARG, U_ACT_Q0, U_ACT_Q1, U_ACT_Q2, U_ACT_M,
    U_ACT_P, U_ACT_DIF, U_ACT_AVG, U_AVG_SS, U_AVG_S, U_AVG_M, U_AVG_L, U_AVG_L_LRN,
    U_AVG_S_LRN, U_GKNA_F, U_GKNA_M, U_GKNA_S, U_NOISE, U_VM_EQ, U_ACT_RAW, U_ISI, U_N

cdef enum:
    F_HAS_EXT, F_HAS_TARG, F_HAS_CMPR, F_N

cdef enum:
    # Pool variables (reference._POOL_VARS order).
    P_FFI, P_FBI, P_GI, P_GE_AVG, P_GE_MAX, P_ACT_AVG, P_ACT_MAX, P_ACT_M_AVG, P_ACT_M_MAX,
    P_ACT_P_AVG, P_ACT_P_MAX, P_ACT_M_AVG_RUN, P_ACT_P_AVG_RUN, P_ACT_P_AVG_EFF, P_N

cdef enum:
    L_COS, L_COS_AVG, L_COS_VAR, L_COS_AVG_LRN, L_MOD_AVG_L_LRN, L_NOISE_KEY_HI,
    L_NOISE_KEY_LO, L_NOISE_CTR_HI, L_NOISE_CTR_LO, L_N

cdef enum:
    # Noise types (params.NOISE_TYPES order).
    NOISE_NONE, NOISE_VM, NOISE_GE, NOISE_ACT, NOISE_GE_MULT

cdef enum:
    S_WT, S_LWT, S_DWT, S_NORM, S_MOMENT, S_N

cdef enum:
    R_GINC, R_WB_AVG, R_WB_FACT, R_WB_INC, R_WB_DEC, R_N

cdef enum:
    # Layer kinds and how a trial's pattern is applied (network.Network.apply_ext).
    K_INPUT, K_HIDDEN, K_TARGET, K_COMPARE

cdef enum:
    PAT_NONE, PAT_EXT, PAT_TARG, PAT_CMPR

cdef enum:
    # Lanes of lf_act_from_g's blocks (four AVX2 or two AVX-512 vectors).
    LF_W = 16
    # Threads inside one batch copy only when its largest layer has this many units: the
    # steps of a cycle of smaller nets are a few microseconds, less than sharing costs.
    LF_MIN_UNITS_THREADS = 256
    # Round trips of lf_team_probe at each trial start
    LF_PROBE = 16

cdef enum:
    N_TRIAL_VARS = 9
    N_STATS = 4

cdef enum:
    # Spins (pause, ~2 us in all) before a waiting thread yields its core: on a machine
    # whose cores are all busy, 2000 spins made 2 threads ~15% slower than 20-100 did.
    LF_SPINS = 100
    # Stride of the team's per-thread flags (64-byte cache lines of long long).
    LF_LINE = 8


ctypedef struct LayerC:
    # Structure and constants of one layer (compiled_backend.layer_consts; names as
    # reference.LayerConsts, FFFB prefixed lay_ / pool_).
    Py_ssize_t off, n, pool_off, n_pools, pool_size, kind, pat_mode
    Py_ssize_t n_pad                 # units from off up to the next layer's (padding: zeros)
    Py_ssize_t send0, send1, recv0, recv1
    int hard, clamp_avg, self_on, lay_on, pool_on, aa_fixed, aa_use_first
    int lrn_min_offset, err_mod
    double thr, gain, n_var, vm_act_thr, interp_range, gain_cor_range, gain_cor
    double sig_gain_nvar, sig_mult_eff, sig_val_at_0, interp_val, send, delta
    double decay, init_vm, init_act, init_ge, vm_dt, g_dt, avg_dt
    double gbar_e, gbar_l, gbar_i, gbar_k, erev_e, erev_l, erev_i, erev_k
    double erev_sub_thr_i, erev_sub_thr_l, erev_sub_thr_k, thr_sub_erev_e
    double clamp_min, clamp_max, clamp_gain, clamp_avg_gain, vm_min, vm_max
    double lay_gi, lay_ff, lay_fb, lay_fb_dt, lay_mva, lay_ff0
    double pool_gi, pool_ff, pool_fb, pool_fb_dt, pool_mva, pool_ff0
    double self_gi, self_dt, aa_init, aa_dt, aa_adjust, ss_dt, s_dt, m_dt, lrn_m, lrn_s
    double avg_l_dt, avg_l_gain, avg_l_min, lrn_min, lrn_fact, mod_min, cd_dt, cd_dt_c
    # KNa adaptation (kna_f/m/s: fast, medium, slow channels) and activation noise
    int kna_on, kna_f_on, kna_m_on, kna_s_on, noise_type, noise_gauss, noise_fixed
    double kna_rate, kna_f_rise, kna_f_max, kna_f_dt, kna_m_rise, kna_m_max, kna_m_dt
    double kna_s_rise, kna_s_max, kna_s_dt, noise_mean, noise_var
    # C++ 8.5's equations (LayerParams.equations == "cpp85")
    int cpp85
    double vm_r, t_r, lay_act_thr


ctypedef struct PrjnC:
    # Structure and constants of one projection (names as reference.PrjnConsts).
    Py_ssize_t send, recv, syn_off, mask_off, recv_off, ns, nr
    int inhib, learn, full, set_l_lrn, sig_lin, sig6, soft_bound, norm_on, mom_on
    int wb_on, wb_skip
    double lrate, m_lrn, l_lrn, d_rev, d_thr, lrn_thr, d_rev_ratio, sig_gain, sig_off
    double norm_min, norm_lr_comp, norm_decay_dt_c, mom_lr_comp, mom_dt_c
    double wb_avg_thr, wb_hi_thr, wb_hi_gain, wb_lo_thr, wb_lo_gain
    double abs_, rel, ncon, snu


ctypedef struct Net:
    const LayerC* lc
    const PrjnC* pc
    const Py_ssize_t* send_list      # per layer: the projections it sends into
    const Py_ssize_t* recv_list      # per layer: the projections it receives, in order
    Py_ssize_t n_layers, n_prjns, n_batch, n_tot, p_tot, r_tot, s_tot
    double* U
    unsigned char* F
    double* P
    double* LV
    double* S
    const unsigned char* M
    double* R
    double* G
    # the trials of this call
    const double* pats               # (n_trials, n_batch, n_tot)
    Py_ssize_t n_trials, cyc_per_qtr, wt_bal_interval, wt_bal_ctr0
    int learn, upd, dwt_clean
    double sse_tol
    const Py_ssize_t* rec_vars
    Py_ssize_t n_rec
    double* rec_cyc                  # (n_rec, n_trials, n_cyc, n_batch, n_tot)
    double* rec_trial                # (9, n_trials, n_batch, n_tot)
    double* rec_stats                # (4, n_trials, n_batch, n_layers)
    double* wt_out                   # S[S_WT]'s layout: the weights after the last trial
    Py_ssize_t solo_from             # tests: a team goes solo from this trial on (-1: never)
    double team_rtt_max              # a team goes solo when its round trip is longer (s)
    double team_busy_min             # or when a thread had less of a core (CPU / wall time)
    long long* n_sent                # (n_batch,)
    long long* solo_at               # (n_batch,) or NULL: trial a team went solo, or -1
    long long* wt_bal_ctr_out        # (n_batch,)
    Py_ssize_t max_n                 # largest layer / receiving layer (scratch size)
    Py_ssize_t m_tot                 # mask bytes (M's size; for the debug checks)
    # This copy's row of every variable (lf_copy_rows), so that lf_u and its siblings
    # are a load and an add: at N = 25 their products were 5% of the kernel's
    # instructions (about 180 calls a cycle)
    Py_ssize_t b
    double* ub[U_N]
    unsigned char* fb[F_N]
    double* pb[P_N]
    double* lb[L_N]
    double* rb[R_N]


ctypedef struct Scratch:
    # One batch copy's working arrays: sending units and their deltas (each thread's
    # at the start of its slice of the layer), their number per thread and layer
    # (n_send[t * n_layers + li]), each twice (cycles alternate), WtBal sums.
    Py_ssize_t* idx
    Py_ssize_t* n_send
    double* d
    double* acc
    double* cnt
    unsigned char* run       # thread t's lf_act_from_g passes and quiet sendings, two per
                             # layer, at run + t * run_stride (its own cache lines)
    Py_ssize_t run_stride


ctypedef struct Team:
    # The threads running one batch copy (one thread: n = 1, nothing waits).  Thread t
    # owns one contiguous run of the layers' units for the whole run (lf_team_cuts), its
    # slice of layer li being own[(t * n_layers + li) * 2 + 0 / 1] (empty, whole, or cut
    # at a pool or LF_W edge), and computes every step of a cycle for its units but one:
    # who sends, GeRaw, Gi, ActFmG.  A unit's data stay in its owner's cache: a work
    # pool handing out slices per step moved them between cores every step and gave no
    # speed-up.  The exception is the sending (all senders' lists into a receiver, in
    # index order), whose cost follows who sends: it is cut anew every cycle
    # (lf_scatter_share), and fixed cuts left one thread waiting for the other at every
    # cycle's barrier.  Layer sums run as a chain in thread order: each thread
    # continues its predecessor's running sum (part), which is the serial order, so the
    # same bits.  Two barriers per cycle (senders' lists complete, which alternate
    # between two buffers; the sending done); a thread waits for another otherwise only
    # to continue a layer sum or for the inhibition of a layer it shares.
    long long count
    long long gen
    long long pad[6]
    long long* posted        # thread t's last chain step posted[t * LF_LINE], and the
                             # last for which its layers' inhibition is set, [.. + 1]
    double* part             # (2, n, n_layers, 3): running sum, max, started (Ge, Act)
    const Py_ssize_t* own    # (n, n_layers, 2)
    const Py_ssize_t* ender  # (n_layers,): the thread owning the layer's last unit
    const Py_ssize_t* head   # (n,): the layer a thread's units start inside (-1: none)
    const Py_ssize_t* tail   # (n,): the layer they end inside (-1: none)
    double* busy             # thread t's CPU time / wall time in a trial: busy[t * LF_LINE]
    long long* pp            # lf_team_probe's lines: thread t's ping pp[2 t LF_LINE],
                             # its answer pp[(2 t + 1) LF_LINE]
    double rtt               # set by thread 0: the last probe's round trip (s)
    long long solo           # set by thread 0: it runs the copy's other trials alone
    Py_ssize_t n


ctypedef struct Shared:
    # What a team's threads share, padded so that no cache line holds other data.
    char pad0[64]
    Net net
    Scratch sc
    char pad1[64]
    Team team
    char pad2[64]
    Scratch sc1              # thread 0 alone, when the team goes solo (lf_run_copy)
    Team team1


# ------------------------------------------------------------------- debug checks

cdef inline void lf_check(bint ok, const char* what) noexcept nogil:
    """In the debug build (LEABRA_FAST_DEBUG=1), stop the process at an index outside
    its array, naming the array (the loops cannot raise); in the release build, nothing
    (LEABRA_FAST_DEBUG folds to 0, so the checks compile away)."""
    if LEABRA_FAST_DEBUG and not ok:
        fprintf(stderr, b"leabra_fast network kernel: index out of range: %s\n", what)
        abort()


cdef inline void lf_check_row(Py_ssize_t k, Py_ssize_t n_k, Py_ssize_t b, Py_ssize_t n_b,
                              Py_ssize_t off, Py_ssize_t n, Py_ssize_t row,
                              const char* what) noexcept nogil:
    """Debug build: variable k of batch copy b, elements off .. off+n-1 of its row."""
    if LEABRA_FAST_DEBUG:
        lf_check(0 <= k < n_k and 0 <= b < n_b and off >= 0 and n >= 0 and off + n <= row,
                 what)


# ------------------------------------------------------------------------ addressing
# Each returns the start of one layer's / pool set's / projection's span; the debug
# build checks the whole span lies in its array.

cdef void lf_copy_rows(Net* net, Py_ssize_t b) noexcept nogil:
    """Make ``net`` batch copy b's: its rows of U, F, P, LV and R (Net.ub and siblings)."""
    cdef int k
    net.b = b
    for k in range(U_N):
        net.ub[k] = net.U + (k * net.n_batch + b) * net.n_tot
    for k in range(F_N):
        net.fb[k] = net.F + (k * net.n_batch + b) * net.n_tot
    for k in range(P_N):
        net.pb[k] = net.P + (k * net.n_batch + b) * net.p_tot
    for k in range(L_N):
        net.lb[k] = net.LV + (k * net.n_batch + b) * net.n_layers
    for k in range(R_N):
        net.rb[k] = net.R + (k * net.n_batch + b) * net.r_tot if net.R != NULL else NULL


cdef inline void lf_check_copy(const Net* net, Py_ssize_t b) noexcept nogil:
    # (debug builds) the rows asked for are of the copy this Net was made for
    lf_check(b == net.b, b"batch copy of a Net (lf_copy_rows)")


cdef inline double* lf_u(const Net* net, int k, Py_ssize_t b, const LayerC* L) noexcept nogil:
    lf_check_row(k, U_N, b, net.n_batch, L.off, L.n, net.n_tot, b"unit state U")
    lf_check_copy(net, b)
    return net.ub[k] + L.off


cdef inline unsigned char* lf_f(const Net* net, int k, Py_ssize_t b,
                                const LayerC* L) noexcept nogil:
    lf_check_row(k, F_N, b, net.n_batch, L.off, L.n, net.n_tot, b"unit flags F")
    lf_check_copy(net, b)
    return net.fb[k] + L.off


cdef inline double* lf_p(const Net* net, int k, Py_ssize_t b, const LayerC* L) noexcept nogil:
    lf_check_row(k, P_N, b, net.n_batch, L.pool_off, 1 + L.n_pools, net.p_tot, b"pools P")
    lf_check_copy(net, b)
    return net.pb[k] + L.pool_off


cdef inline double* lf_l(const Net* net, int k, Py_ssize_t b, Py_ssize_t li) noexcept nogil:
    lf_check_row(k, L_N, b, net.n_batch, li, 1, net.n_layers, b"layer scalars LV")
    lf_check_copy(net, b)
    return net.lb[k] + li


cdef inline double* lf_s(const Net* net, int k, Py_ssize_t b, const PrjnC* p) noexcept nogil:
    lf_check_row(k, S_N, b, net.n_batch, p.syn_off + b * p.ns * p.nr, p.ns * p.nr, net.s_tot,
                 b"synapses S")
    return net.S + k * net.s_tot + p.syn_off + b * p.ns * p.nr


cdef inline double* lf_r(const Net* net, int k, Py_ssize_t b, const PrjnC* p) noexcept nogil:
    lf_check_row(k, R_N, b, net.n_batch, p.recv_off, p.nr, net.r_tot, b"receiver state R")
    lf_check_copy(net, b)
    return net.rb[k] + p.recv_off


cdef inline const unsigned char* lf_m(const Net* net, const PrjnC* p) noexcept nogil:
    lf_check_row(0, 1, 0, 1, p.mask_off, p.ns * p.nr, net.m_tot, b"masks M")
    return net.M + p.mask_off


cdef inline double* lf_g(const Net* net, Py_ssize_t b, Py_ssize_t pi) noexcept nogil:
    lf_check_row(0, 1, b, net.n_batch, pi, 1, net.n_prjns, b"projection scales G")
    return net.G + b * net.n_prjns + pi


cdef inline const PrjnC* lf_recv_prjn(const Net* net, Py_ssize_t li,
                                      Py_ssize_t k) noexcept nogil:
    """Layer li's receiving projection number k (recv0 <= k < recv1)."""
    lf_check(net.lc[li].recv0 <= k < net.lc[li].recv1, b"recv_list (layer range)")
    lf_check(0 <= net.recv_list[k] < net.n_prjns, b"recv_list (projection)")
    lf_check(net.pc[net.recv_list[k]].recv == li
             and net.pc[net.recv_list[k]].nr == net.lc[li].n, b"recv_list (receiver)")
    return &net.pc[net.recv_list[k]]


# ----------------------------------------------------------------------- scalars

cdef inline double lf_xx1_gain_cor(const LayerC* c, double x) noexcept nogil:
    """Go's XX1GainCor: x/(x+1) with the gain lowered near threshold."""
    cdef double gcf = (c.gain_cor_range - (x / c.n_var)) / c.gain_cor_range
    cdef double g = c.gain if gcf < 0 else c.gain * (1.0 - c.gain_cor * gcf)
    cdef double gx = g * x
    return gx / (gx + 1.0)


cdef inline double lf_nxx1_below(const LayerC* c, double x) noexcept nogil:
    """NoisyXX1 below 0: the sigmoid."""
    return c.sig_mult_eff / (1.0 + lf_exp(-(x * c.sig_gain_nvar)))


cdef inline double lf_nxx1(const LayerC* c, double x) noexcept nogil:
    """Go's NoisyXX1: sigmoid below 0, linear on [0, interp_range), XX1GainCor above."""
    # all three forms, then a select: branch-free, so loops over units vectorise
    cdef double below = lf_nxx1_below(c, x)
    cdef double interp = 1.0 - ((c.interp_range - x) / c.interp_range)
    cdef double mid = c.sig_val_at_0 + interp * c.interp_val
    cdef double above = lf_xx1_gain_cor(c, x)
    return below if x < 0 else (mid if x < c.interp_range else above)


cdef inline double lf_xcal(const PrjnC* c, double srval, double thr_p) noexcept nogil:
    """XCAL check mark (Go XCalParams.DWt)."""
    if srval < c.d_thr:
        return 0.0
    if srval > thr_p * c.d_rev:
        return srval - thr_p
    return srval * c.d_rev_ratio


cdef inline double lf_sig(const PrjnC* c, double w) noexcept nogil:
    """Go's SigFun (SigFun61 for gain 6, offset 1: six multiplications); identity when
    gain and offset are 1."""
    cdef double pw
    if c.sig_lin:
        return w
    if w <= 0:
        return 0.0
    if w >= 1:
        return 1.0
    if c.sig6:
        pw = (1.0 - w) / w
        return 1.0 / (1.0 + pw * pw * pw * pw * pw * pw)
    return 1.0 / (1.0 + pow((c.sig_off * (1.0 - w)) / w, c.sig_gain))


cdef inline double lf_clip(double x, double lo, double hi) noexcept nogil:
    """np.clip: min(max(x, lo), hi), NaN kept."""
    x = lo if x < lo else x
    return hi if x > hi else x


cdef inline double lf_round_half_away(double x) noexcept nogil:
    if x < 0:
        return -floor(-x + 0.5)
    return floor(x + 0.5)


cdef inline double lf_slay_act_scale(double sa, double snu, double ncon) noexcept nogil:
    """Go WtScaleParams.SLayActScale: 1 / expected number of active senders."""
    cdef long long slay_act_n, max_act_n, avg_act_n, exp_act_n
    ncon = 1.0 if ncon < 1.0 else ncon
    slay_act_n = <long long>lf_round_half_away(sa * snu)
    slay_act_n = 1 if slay_act_n < 1 else slay_act_n
    if ncon == snu:
        return 1.0 / <double>slay_act_n
    max_act_n = <long long>(ncon if ncon < <double>slay_act_n else <double>slay_act_n)
    avg_act_n = <long long>lf_round_half_away(sa * ncon)
    avg_act_n = 1 if avg_act_n < 1 else avg_act_n
    exp_act_n = avg_act_n + 2
    exp_act_n = max_act_n if max_act_n < exp_act_n else exp_act_n
    return 1.0 / <double>exp_act_n


# ----------------------------------------------------------------------- pools

cdef inline void lf_avg_max(const double* a, Py_ssize_t n, double* avg,
                            double* mx) noexcept nogil:
    """Mean (summed in index order) and max of a[0 .. n-1]."""
    cdef double s = a[0]
    cdef double m = a[0]
    cdef Py_ssize_t i
    for i in range(1, n):
        s = s + a[i]
        if a[i] > m:
            m = a[i]
    avg[0] = s / <double>n
    mx[0] = m


# ----------------------------------------------------------------------- team

cdef inline Py_ssize_t lf_own0(const Team* tm, Py_ssize_t t, Py_ssize_t nl,
                               Py_ssize_t li) noexcept nogil:
    return tm.own[(t * nl + li) * 2]


cdef inline Py_ssize_t lf_own1(const Team* tm, Py_ssize_t t, Py_ssize_t nl,
                               Py_ssize_t li) noexcept nogil:
    return tm.own[(t * nl + li) * 2 + 1]


cdef inline double lf_now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return <double>ts.tv_sec + 1e-9 * <double>ts.tv_nsec


cdef inline double lf_cpu_now() noexcept nogil:
    """This thread's CPU time (s)."""
    cdef timespec ts
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return <double>ts.tv_sec + 1e-9 * <double>ts.tv_nsec


cdef inline void lf_spin(long long spins) noexcept nogil:
    """One round of waiting: pause for LF_SPINS rounds, then yield the core."""
    if spins < LF_SPINS:
        lfn_relax()
    else:
        lfn_yield()


cdef void lf_barrier(Team* tm) noexcept nogil:
    """Wait until every thread of the team has arrived (the last one to arrive opens
    the next generation)."""
    cdef long long g, spins = 0
    if tm.n == 1:
        return
    g = lfn_load(&tm.gen)
    if lfn_add(&tm.count, 1) == tm.n - 1:
        lfn_store(&tm.count, 0)
        lfn_store(&tm.gen, g + 1)
        return
    while lfn_load(&tm.gen) == g:
        spins += 1
        lf_spin(spins)


cdef void lf_wait_posted(Team* tm, Py_ssize_t t, long long step,
                         int what=0) noexcept nogil:
    """Wait until thread t has posted chain step ``step`` (``what`` 1: the inhibition of
    the layers it ends, in that step)."""
    cdef long long spins = 0
    while lfn_load(&tm.posted[t * LF_LINE + what]) < step:
        spins += 1
        lf_spin(spins)


cdef void lf_layer_sum(const Net* net, Py_ssize_t b, Team* tm, Py_ssize_t t, Py_ssize_t li,
                       long long step, int var, int avg_k, int max_k, bint ge) noexcept nogil:
    """Mean and max of unit variable ``var`` over layer li and its pools (Go's AvgMax):
    thread t's part.  Pools lie in one thread's units.  The layer's sum runs over its
    threads' units in order, each continuing its predecessor's running sum (index order,
    as lf_avg_max): thread t waits for it if its units start inside the layer.  The
    thread ending the layer stores the statistics (and with ``ge`` computes the layer's
    inhibition); another leaves its running sum in ``part``."""
    cdef const LayerC* L = &net.lc[li]
    cdef Py_ssize_t i, k, nl = net.n_layers, ps = L.pool_size
    cdef Py_ssize_t u0 = lf_own0(tm, t, nl, li), u1 = lf_own1(tm, t, nl, li)
    cdef const double* a = lf_u(net, var, b, L)
    cdef double* avg = lf_p(net, avg_k, b, L)
    cdef double* mx = lf_p(net, max_k, b, L)
    cdef double* pp
    cdef double s = 0.0, m = 0.0
    cdef bint started = False
    if u0 == L.n or (u0 == 0 and u1 == 0):
        return                          # the layer lies outside this thread's units
    if L.n_pools:
        for k in range(u0 // ps, u1 // ps):
            lf_avg_max(a + k * ps, ps, &avg[1 + k], &mx[1 + k])
    if u0 > 0:
        # continue the predecessor's sum (it passes it on even with no units here)
        lf_wait_posted(tm, t - 1, step)
        pp = tm.part + ((ge * tm.n + t - 1) * nl + li) * 3
        s, m, started = pp[0], pp[1], pp[2] != 0.0
    if not started and u1 > u0:
        s, m, started = a[u0], a[u0], True
        u0 += 1
    for i in range(u0, u1):
        s = s + a[i]
        if a[i] > m:
            m = a[i]
    if u1 == L.n:
        avg[0] = s / <double>L.n
        mx[0] = m
        if ge:
            lf_inhib_pools(net, b, L)
            if L.noise_type != NOISE_NONE and not L.noise_fixed:
                # every thread of the layer has drawn this cycle's noise (they passed
                # their sums on after their GFmInc)
                lf_noise_advance(net, b, li)
        return
    pp = tm.part + ((ge * tm.n + t) * nl + li) * 3
    pp[0], pp[1], pp[2] = s, m, 1.0 if started else 0.0


# ----------------------------------------------------------------------- trial start

cdef inline void lf_zero(double* a, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        a[i] = 0.0


cdef void lf_apply_pattern(const Net* net, Py_ssize_t b, const LayerC* L,
                           const double* pat) noexcept nogil:
    """InitExt then ApplyExt of this trial's pattern (network.Network.apply_ext)."""
    cdef double* ext = lf_u(net, U_EXT, b, L)
    cdef double* targ = lf_u(net, U_TARG, b, L)
    cdef unsigned char* he = lf_f(net, F_HAS_EXT, b, L)
    cdef unsigned char* ht = lf_f(net, F_HAS_TARG, b, L)
    cdef unsigned char* hc = lf_f(net, F_HAS_CMPR, b, L)
    cdef Py_ssize_t i
    for i in range(L.n):
        ext[i] = 0.0
        targ[i] = 0.0
        he[i] = 0
        ht[i] = 0
        hc[i] = 0
        if L.pat_mode == PAT_EXT:
            ext[i] = pat[i]
            he[i] = 1
        elif L.pat_mode == PAT_TARG:
            targ[i] = pat[i]
            ht[i] = 1
        elif L.pat_mode == PAT_CMPR:
            targ[i] = pat[i]
            hc[i] = 1


cdef void_noinline lf_clamp_flat(Py_ssize_t n, const unsigned char* he, cdouble_r ext,
                                 cdouble_r noise, double_r act, double_r act_lrn,
                                 double_r vm, double_r act_del, double_r inet, double lo,
                                 double hi, double thr, double gain, bint act_noise,
                                 bint any_noise) noexcept nogil:
    """lf_hard_clamp's loop (Go v1): restrict rows and the constants as arguments, so
    GCC vectorises it with masked stores.  ``act_noise``: Noise is added to Ext before
    the clip (noise type "act"); ``any_noise``: Go's HardClamp adds Noise to Act
    whatever the type (Vm from that Act)."""
    cdef Py_ssize_t i
    cdef double clmp, a
    for i in range(n):
        if he[i]:
            clmp = lf_clip(ext[i] + noise[i] if act_noise else ext[i], lo, hi)
            a = clmp + noise[i] if any_noise else clmp
            act[i] = a
            act_lrn[i] = clmp
            vm[i] = thr + a / gain
            act_del[i] = 0.0
            inet[i] = 0.0


cdef void lf_hard_clamp(const Net* net, Py_ssize_t b, const LayerC* L, Py_ssize_t u0,
                        Py_ssize_t u1) noexcept nogil:
    """Hard-clamped units u0 .. u1-1 (HasExt) take Ext: act, act_lrn, vm, act_del, inet."""
    cdef const unsigned char* he = lf_f(net, F_HAS_EXT, b, L)
    cdef const double* ext = lf_u(net, U_EXT, b, L)
    cdef double* act = lf_u(net, U_ACT, b, L)
    cdef double* act_lrn = lf_u(net, U_ACT_LRN, b, L)
    cdef double* vm = lf_u(net, U_VM, b, L)
    cdef double* act_del = lf_u(net, U_ACT_DEL, b, L)
    cdef double* inet = lf_u(net, U_INET, b, L)
    cdef const double* noise = lf_u(net, U_NOISE, b, L)
    cdef Py_ssize_t i
    cdef double clmp, a
    cdef double* act_raw = lf_u(net, U_ACT_RAW, b, L)
    cdef double* vm_eq = lf_u(net, U_VM_EQ, b, L)
    lf_check(0 <= u0 <= u1 <= L.n, b"unit slice of a layer (hard clamp)")
    if L.cpp85:
        # C++ Compute_HardClamp_impl: act = act_nd = clip(ext), act_raw = ext, v_m = v_m_eq
        # = e_rev.l if the act is 0 else thr + act / gain
        for i in range(u0, u1):
            if he[i]:
                clmp = lf_clip(ext[i], L.clamp_min, L.clamp_max)
                act[i] = clmp
                act_lrn[i] = clmp
                act_raw[i] = ext[i]
                vm[i] = L.erev_l if clmp == 0 else L.thr + clmp / L.gain
                vm_eq[i] = vm[i]
                act_del[i] = 0.0
                inet[i] = 0.0
        return
    lf_clamp_flat(u1 - u0, he + u0, ext + u0, noise + u0, act + u0, act_lrn + u0, vm + u0,
                  act_del + u0, inet + u0, L.clamp_min, L.clamp_max, L.thr, L.gain,
                  L.noise_type == NOISE_ACT, L.noise_type != NOISE_NONE)


cdef inline uint64_t lf_mix64(uint64_t x) noexcept nogil:
    """splitmix64's finaliser (reference._mix64)."""
    x = x ^ (x >> 30)
    x = x * <uint64_t>0xBF58476D1CE4E5B9ULL
    x = x ^ (x >> 27)
    x = x * <uint64_t>0x94D049BB133111EBULL
    return x ^ (x >> 31)


cdef void lf_gen_noise(const Net* net, Py_ssize_t b, Py_ssize_t li, Py_ssize_t u0,
                       Py_ssize_t u1) noexcept nogil:
    """Go Layer.GenNoise with the counter-based generator of reference.noise_values: a
    new Noise for units u0 .. u1-1 of layer li (each unit's value depends only on the
    layer's key, its draw counter and the unit's index); lf_noise_advance then moves the
    counter on, once all of the layer's units have drawn."""
    cdef const LayerC* L = &net.lc[li]
    cdef double* noise = lf_u(net, U_NOISE, b, L)
    cdef double* ctr_hi = lf_l(net, L_NOISE_CTR_HI, b, li)
    cdef double* ctr_lo = lf_l(net, L_NOISE_CTR_LO, b, li)
    cdef uint64_t gold = <uint64_t>0x9E3779B97F4A7C15ULL
    cdef uint64_t key = (<uint64_t>lf_l(net, L_NOISE_KEY_HI, b, li)[0] * <uint64_t>16777216
                         + <uint64_t>lf_l(net, L_NOISE_KEY_LO, b, li)[0])
    cdef uint64_t ctr = <uint64_t>ctr_hi[0] * <uint64_t>16777216 + <uint64_t>ctr_lo[0]
    cdef uint64_t h = lf_mix64(key + gold * (ctr + 1))
    cdef uint64_t i
    cdef double x0, x1
    lf_check(0 <= u0 <= u1 <= L.n, b"unit slice of a layer (noise)")
    for i in range(<uint64_t>u0, <uint64_t>u1):
        x0 = <double>(lf_mix64(h + gold * (2 * i + 1)) >> 11) * 1.1102230246251565e-16
        x1 = <double>(lf_mix64(h + gold * (2 * i + 2)) >> 11) * 1.1102230246251565e-16
        if L.noise_gauss:
            noise[i] = L.noise_mean + L.noise_var * (sqrt(-2.0 * log(1.0 - x0))
                                                     * cos(6.283185307179586 * x1))
        else:
            noise[i] = L.noise_mean + (L.noise_var * 2.0) * (x0 - 0.5)


cdef void lf_noise_advance(const Net* net, Py_ssize_t b, Py_ssize_t li) noexcept nogil:
    """The layer's noise draw counter, one on (two 24-bit halves, exact in doubles)."""
    cdef double* ctr_hi = lf_l(net, L_NOISE_CTR_HI, b, li)
    cdef double* ctr_lo = lf_l(net, L_NOISE_CTR_LO, b, li)
    ctr_lo[0] = ctr_lo[0] + 1.0
    if ctr_lo[0] >= 16777216.0:
        ctr_lo[0] = 0.0
        ctr_hi[0] = ctr_hi[0] + 1.0


cdef void lf_avg_l_from_avg_m(const Net* net, Py_ssize_t b, Py_ssize_t li) noexcept nogil:
    cdef const LayerC* L = &net.lc[li]
    cdef double* avg_l = lf_u(net, U_AVG_L, b, L)
    cdef const double* avg_m = lf_u(net, U_AVG_M, b, L)
    cdef double* avg_l_lrn = lf_u(net, U_AVG_L_LRN, b, L)
    cdef double mod = lf_l(net, L_MOD_AVG_L_LRN, b, li)[0]
    # cpp85: C++'s gate (the layer's last plus-phase average >= lay_act_thr) and no
    # self-organising outside hidden layers
    cdef bint gate = not L.cpp85 or lf_p(net, P_ACT_P_AVG, b, L)[0] >= L.lay_act_thr
    cdef bint zero = L.cpp85 and L.kind != K_HIDDEN
    cdef double v, lrn
    cdef Py_ssize_t i
    for i in range(L.n):
        v = avg_l[i] + L.avg_l_dt * (L.avg_l_gain * avg_m[i] - avg_l[i])
        v = L.avg_l_min if v < L.avg_l_min else v
        if gate:
            avg_l[i] = v
        lrn = L.lrn_fact * (avg_l[i] - L.avg_l_min)
        if L.lrn_min_offset:
            lrn = L.lrn_min + lrn
        if L.err_mod:
            lrn = lrn * mod
        avg_l_lrn[i] = 0.0 if zero else lrn


cdef inline double lf_run_avg(const LayerC* L, double avg, double act) noexcept nogil:
    """ActAvgParams.AvgFmAct: first value halfway from Init, then 1/Tau; < 1e-4 ignored."""
    if act < 0.0001:
        return avg
    if L.aa_use_first and avg == L.aa_init:
        return avg + 0.5 * (act - avg)
    return avg + L.aa_dt * (act - avg)


cdef void lf_act_avg_from_act(const Net* net, Py_ssize_t b, const LayerC* L) noexcept nogil:
    cdef double* m_run = lf_p(net, P_ACT_M_AVG_RUN, b, L)
    cdef double* p_run = lf_p(net, P_ACT_P_AVG_RUN, b, L)
    cdef const double* m_avg = lf_p(net, P_ACT_M_AVG, b, L)
    cdef const double* p_avg = lf_p(net, P_ACT_P_AVG, b, L)
    cdef double* eff = lf_p(net, P_ACT_P_AVG_EFF, b, L)
    cdef Py_ssize_t k
    for k in range(1 + L.n_pools):
        m_run[k] = lf_run_avg(L, m_run[k], m_avg[k])
        p_run[k] = lf_run_avg(L, p_run[k], p_avg[k])
        eff[k] = L.aa_init if L.aa_fixed else L.aa_adjust * p_run[k]


cdef void lf_gscale(const Net* net, Py_ssize_t b, const LayerC* L) noexcept nogil:
    """Projection scales of L's receiving projections (Go GScaleFmAvgAct)."""
    cdef double tot_ge = 0.0
    cdef double tot_gi = 0.0
    cdef double sa, tot
    cdef Py_ssize_t k
    cdef const PrjnC* p
    cdef double* g
    for k in range(L.recv0, L.recv1):
        p = lf_recv_prjn(net, L - net.lc, k)
        sa = lf_p(net, P_ACT_P_AVG_EFF, b, &net.lc[p.send])[0]
        g = lf_g(net, b, net.recv_list[k])
        g[0] = p.abs_ * p.rel * lf_slay_act_scale(sa, p.snu, p.ncon)
        if p.inhib:
            tot_gi = tot_gi + p.rel
        else:
            tot_ge = tot_ge + p.rel
    for k in range(L.recv0, L.recv1):
        p = lf_recv_prjn(net, L - net.lc, k)
        tot = tot_gi if p.inhib else tot_ge
        if tot > 0:
            g = lf_g(net, b, net.recv_list[k])
            g[0] = g[0] / tot


cdef void lf_decay_cpp85(const Net* net, Py_ssize_t b, const LayerC* L,
                         double d) noexcept nogil:
    cdef double* act_lrn = lf_u(net, U_ACT_LRN, b, L)
    cdef double* act_raw = lf_u(net, U_ACT_RAW, b, L)
    cdef double* vm_eq = lf_u(net, U_VM_EQ, b, L)
    cdef Py_ssize_t i
    for i in range(L.n):
        act_lrn[i] -= d * (act_lrn[i] - L.init_act)
        act_raw[i] -= d * (act_raw[i] - L.init_act)
        vm_eq[i] -= d * (vm_eq[i] - L.init_vm)


cdef void lf_decay(const Net* net, Py_ssize_t b, const LayerC* L) noexcept nogil:
    """Trial-start decay toward the initial state (Go DecayState)."""
    cdef double d = L.decay
    cdef double* act = lf_u(net, U_ACT, b, L)
    cdef double* ge = lf_u(net, U_GE, b, L)
    cdef double* gi = lf_u(net, U_GI, b, L)
    cdef double* gi_self = lf_u(net, U_GI_SELF, b, L)
    cdef double* gk = lf_u(net, U_GK, b, L)
    cdef double* vm = lf_u(net, U_VM, b, L)
    cdef double* gi_syn = lf_u(net, U_GI_SYN, b, L)
    cdef double* act_del = lf_u(net, U_ACT_DEL, b, L)
    cdef double* inet = lf_u(net, U_INET, b, L)
    cdef double* pv
    cdef Py_ssize_t i, k
    cdef int pool_vars[7]
    pool_vars[0], pool_vars[1], pool_vars[2], pool_vars[3] = P_GE_MAX, P_GE_AVG, P_ACT_MAX, P_ACT_AVG
    pool_vars[4], pool_vars[5], pool_vars[6] = P_FFI, P_FBI, P_GI
    if d > 0:
        for i in range(L.n):
            act[i] -= d * (act[i] - L.init_act)
            ge[i] -= d * (ge[i] - L.init_ge)
            gi[i] -= d * gi[i]
            gi_self[i] -= d * gi_self[i]
            gk[i] -= d * gk[i]
            vm[i] -= d * (vm[i] - L.init_vm)
            gi_syn[i] -= d * gi_syn[i]
        if L.cpp85:  # C++ DecayState: act_nd (ActLrn here), act_raw and v_m_eq too
            lf_decay_cpp85(net, b, L, d)
    for i in range(L.n):
        act_del[i] = 0.0
        inet[i] = 0.0
    for k in range(7):
        pv = lf_p(net, pool_vars[k], b, L)
        for i in range(1 + L.n_pools):
            pv[i] -= d * pv[i]


cdef void lf_alpha_cyc_init(const Net* net, Py_ssize_t b) noexcept nogil:
    """Go Network.AlphaCycInit, layer by layer in order."""
    cdef Py_ssize_t li, i, k
    cdef const LayerC* L
    cdef const PrjnC* p
    cdef double* a
    cdef double* c
    for li in range(net.n_layers):
        L = &net.lc[li]
        a = lf_u(net, U_ACT_Q0, b, L)
        c = lf_u(net, U_ACT_P, b, L)
        for i in range(L.n):
            a[i] = c[i]
        if net.upd:
            lf_avg_l_from_avg_m(net, b, li)
            lf_act_avg_from_act(net, b, L)
        lf_gscale(net, b, L)
        if L.noise_type != NOISE_NONE and L.noise_fixed:
            lf_gen_noise(net, b, li, 0, net.lc[li].n)
            lf_noise_advance(net, b, li)
        lf_decay(net, b, L)
        lf_zero(lf_u(net, U_ACT_SENT, b, L), L.n)
        lf_zero(lf_u(net, U_GE_RAW, b, L), L.n)
        lf_zero(lf_u(net, U_GI_RAW, b, L), L.n)
        for k in range(L.recv0, L.recv1):
            p = lf_recv_prjn(net, li, k)
            lf_zero(lf_r(net, R_GINC, b, p), p.nr)
        if L.hard and L.kind == K_INPUT:
            lf_hard_clamp(net, b, L, 0, L.n)


# ----------------------------------------------------------------------- cycle

cdef void_noinline lf_send_flat(Py_ssize_t n, cdouble_r act, double_r sent, double_r v,
                                Py_ssize_t* f, double thr, double delta) noexcept nogil:
    """lf_send_decide's choice for n units, by selects (vectorised, no branch on data:
    which units send is unpredictable): a unit above ``thr`` whose Act moved from its
    ActSent by more than ``delta`` sends the change (ActSent = Act); one at or below
    ``thr`` whose ActSent was above sends -ActSent (ActSent = 0).  f: sends (1) or not
    (0), v: what it would send."""
    cdef Py_ssize_t i, up, e1, e2
    cdef double dl, s
    for i in range(n):
        # (& and |, not Cython's and / or, which branch)
        s = sent[i]
        up = act[i] > thr
        dl = act[i] - s
        e1 = up & (fabs(dl) > delta)
        e2 = (up ^ 1) & (s > thr)
        v[i] = dl if e1 else -s
        f[i] = e1 | e2
        sent[i] = act[i] if e1 else (0.0 if e2 else s)


cdef Py_ssize_t lf_send_decide(const Net* net, Py_ssize_t b, const LayerC* Lp,
                               Py_ssize_t* idx, double* d, Py_ssize_t u0,
                               Py_ssize_t u1) noexcept nogil:
    """Go SendGDelta's choice for units u0 .. u1-1: units above opt_thresh.send whose
    activity changed by more than opt_thresh.delta send the change, units that fell
    below un-send their last value (ActSent updated).  Writes the senders (in index
    order) and their deltas; returns how many.  idx and d have room for the layer's
    units from u0 to its padding's end: lf_send_flat writes each unit's choice there
    (at the layer's end over the padding too, zeros that never send), then the senders
    are packed in place, in order."""
    cdef const double* act = lf_u(net, U_ACT, b, Lp)
    cdef double* sent = lf_u(net, U_ACT_SENT, b, Lp)
    cdef Py_ssize_t r, f, n_send = 0
    cdef double v
    lf_check(0 <= u0 <= u1 <= Lp.n and Lp.n <= Lp.n_pad, b"unit slice of a layer (sending)")
    lf_send_flat((Lp.n_pad if u1 == Lp.n else u1) - u0, act + u0, sent + u0, d, idx,
                 Lp.send, Lp.delta)
    for r in range(u1 - u0):
        # n_send <= r: each entry is read before it is written over
        f = idx[r]
        v = d[r]
        idx[n_send] = u0 + r
        d[n_send] = v
        n_send += f
    return n_send


cdef inline Py_ssize_t lf_send_quiet(const Net* net, Py_ssize_t b, const LayerC* L,
                                     Py_ssize_t* idx, double* d, Py_ssize_t u0, Py_ssize_t u1,
                                     unsigned char* run) noexcept nogil:
    """lf_send_decide, or 0 without deciding when its answer is known: the slice's last
    decision sent nothing (run[1]), so ActSent is as it was, and its Act has not changed
    since (run[0] == 2, lf_act_from_g: a hard-clamped slice after its first passes)."""
    cdef Py_ssize_t n
    if run[0] == 2 and run[1]:
        return 0
    n = lf_send_decide(net, b, L, idx, d, u0, u1)
    run[1] = n == 0
    return n


cdef inline void lf_add_rows4(double_r ginc, cdouble_r w0, cdouble_r w1, cdouble_r w2,
                              cdouble_r w3, double s0, double s1, double s2, double s3,
                              Py_ssize_t r0, Py_ssize_t r1) noexcept nogil:
    """Four senders' rows into GInc in one pass: each receiver still adds them one after
    the other, in sender order (the same sums as four passes), but GInc is loaded and
    stored once and four rows stream at a time."""
    cdef Py_ssize_t r
    for r in range(r0, r1):
        ginc[r] = (((ginc[r] + w0[r] * s0) + w1[r] * s1) + w2[r] * s2) + w3[r] * s3


cdef inline void lf_add_row(double_r ginc, cdouble_r w0, double s0, Py_ssize_t r0,
                            Py_ssize_t r1) noexcept nogil:
    cdef Py_ssize_t r
    for r in range(r0, r1):
        ginc[r] = ginc[r] + w0[r] * s0


cdef void lf_scatter(const Net* net, Py_ssize_t b, Py_ssize_t pi, const Py_ssize_t* idx,
                     const double* d, Py_ssize_t n_send, Py_ssize_t r0,
                     Py_ssize_t r1) noexcept nogil:
    """Go SendGDelta's sending into projection pi, receivers r0 .. r1-1: each sender adds
    delta * GScale * its (contiguous) row of weights to GInc, senders in index order
    (four at a time: lf_add_rows4)."""
    cdef const PrjnC* p = &net.pc[pi]
    cdef double* ginc = lf_r(net, R_GINC, b, p)
    cdef const double* w = lf_s(net, S_WT, b, p)
    cdef double gs = lf_g(net, b, pi)[0]
    cdef Py_ssize_t j, nr = p.nr
    lf_check(0 <= r0 <= r1 <= nr, b"receiver slice of a projection")
    for j in range(n_send):
        lf_check(0 <= idx[j] < p.ns, b"sender index (scratch idx)")
    j = 0
    while j + 4 <= n_send:
        lf_add_rows4(ginc, w + idx[j] * nr, w + idx[j + 1] * nr, w + idx[j + 2] * nr,
                     w + idx[j + 3] * nr, d[j] * gs, d[j + 1] * gs, d[j + 2] * gs,
                     d[j + 3] * gs, r0, r1)
        j += 4
    while j < n_send:
        lf_add_row(ginc, w + idx[j] * nr, d[j] * gs, r0, r1)
        j += 1


cdef void_noinline lf_add_inc(Py_ssize_t n, double_r raw, double_r ginc) noexcept nogil:
    """raw += ginc, then ginc = 0 (restrict: one vectorised loop, no alias checks)."""
    cdef Py_ssize_t i
    for i in range(n):
        raw[i] += ginc[i]
        ginc[i] = 0.0


cdef void_noinline lf_integ_g(Py_ssize_t n, cdouble_r ge_raw, cdouble_r gi_raw, double_r ge,
                              double_r gi_syn, double g_dt) noexcept nogil:
    """lf_g_from_inc's integration without soft clamping, noise or cpp85 (the same
    expressions; restrict rows: one vectorised loop)."""
    cdef Py_ssize_t i
    cdef double gs
    for i in range(n):
        ge[i] += g_dt * (ge_raw[i] - ge[i])
        gs = gi_syn[i] + g_dt * (gi_raw[i] - gi_syn[i])
        gi_syn[i] = 0.0 if gs < 0 else gs


cdef void lf_g_from_inc(const Net* net, Py_ssize_t b, const LayerC* L, Py_ssize_t u0,
                        Py_ssize_t u1) noexcept nogil:
    """Go GFmInc of units u0 .. u1-1: GInc into GeRaw / GiRaw, soft clamping, Ge and
    GiSyn integration."""
    cdef Py_ssize_t k, i
    cdef const PrjnC* p
    cdef double* ge_raw = lf_u(net, U_GE_RAW, b, L)
    cdef double* gi_raw = lf_u(net, U_GI_RAW, b, L)
    cdef double* ge = lf_u(net, U_GE, b, L)
    cdef double* gi_syn = lf_u(net, U_GI_SYN, b, L)
    cdef const double* ext = lf_u(net, U_EXT, b, L)
    cdef const unsigned char* he = lf_f(net, F_HAS_EXT, b, L)
    cdef const double* noise = lf_u(net, U_NOISE, b, L)
    cdef double g, gs
    cdef bint soft = not L.hard, clamp_avg = L.clamp_avg, cpp85 = L.cpp85
    cdef int noise_type = L.noise_type
    cdef double g_dt = L.g_dt, clamp_gain = L.clamp_gain, avg_gain = L.clamp_avg_gain
    lf_check(0 <= u0 <= u1 <= L.n, b"unit slice of a layer (GFmInc)")
    if noise_type != NOISE_NONE and not L.noise_fixed:
        # GeFmRaw: the cycle's first use draws it (the layer's last thread then advances
        # the counter, lf_layer_sum)
        lf_gen_noise(net, b, L - net.lc, u0, u1)
    for k in range(L.recv0, L.recv1):
        p = lf_recv_prjn(net, L - net.lc, k)
        lf_add_inc(u1 - u0, (gi_raw if p.inhib else ge_raw) + u0, lf_r(net, R_GINC, b, p) + u0)
    if not soft and noise_type == NOISE_NONE and not cpp85:
        lf_integ_g(u1 - u0, ge_raw + u0, gi_raw + u0, ge + u0, gi_syn + u0, g_dt)
        return
    for i in range(u0, u1):
        g = ge_raw[i]
        if soft and he[i]:
            if clamp_avg:
                g = (avg_gain * clamp_gain * ext[i] + (1.0 - avg_gain) * ge_raw[i])
            else:
                g = ge_raw[i] + ext[i] * clamp_gain
        ge[i] += g_dt * (g - ge[i])
        if cpp85 and ge[i] < 0:
            ge[i] = 0.0   # C++ Compute_NetinInteg: net >= 0
        if noise_type == NOISE_GE:
            ge[i] += noise[i]
        elif noise_type == NOISE_GE_MULT and cpp85:
            ge[i] *= noise[i]   # C++ NET_MULT_NOISE (Go v1 applies none)
        gs = gi_syn[i] + g_dt * (gi_raw[i] - gi_syn[i])
        gi_syn[i] = 0.0 if gs < 0 else gs


cdef inline void lf_fffb(const Net* net, Py_ssize_t b, const LayerC* L, Py_ssize_t k0,
                         Py_ssize_t k1, bint on, double gi, double ff, double fb, double fb_dt,
                         double mva, double ff0) noexcept nogil:
    """FFFB inhibition of pools k0 .. k1-1 (Go fffb.Params.Inhib)."""
    cdef double* ffi = lf_p(net, P_FFI, b, L)
    cdef double* fbi = lf_p(net, P_FBI, b, L)
    cdef double* pgi = lf_p(net, P_GI, b, L)
    cdef const double* ge_avg = lf_p(net, P_GE_AVG, b, L)
    cdef const double* ge_max = lf_p(net, P_GE_MAX, b, L)
    cdef const double* act_avg = lf_p(net, P_ACT_AVG, b, L)
    cdef Py_ssize_t k
    cdef double ffnetin, f
    for k in range(k0, k1):
        if not on:
            ffi[k] = 0.0
            fbi[k] = 0.0
            pgi[k] = 0.0
            continue
        ffnetin = ge_avg[k] + mva * (ge_max[k] - ge_avg[k])
        f = ff * (ffnetin - ff0) if ffnetin > ff0 else 0.0
        fbi[k] += fb_dt * (fb * act_avg[k] - fbi[k])
        ffi[k] = f
        pgi[k] = gi * (f + fbi[k])


cdef void lf_inhib_pools(const Net* net, Py_ssize_t b, const LayerC* L) noexcept nogil:
    """Go InhibFmGeAct, its layer and pool part: FFFB, the layer's Gi over its pools'."""
    cdef double* pgi = lf_p(net, P_GI, b, L)
    cdef Py_ssize_t k
    cdef double m
    lf_fffb(net, b, L, 0, 1, L.lay_on, L.lay_gi, L.lay_ff, L.lay_fb, L.lay_fb_dt, L.lay_mva,
            L.lay_ff0)
    if L.n_pools:
        lf_fffb(net, b, L, 1, 1 + L.n_pools, L.pool_on, L.pool_gi, L.pool_ff, L.pool_fb,
                L.pool_fb_dt, L.pool_mva, L.pool_ff0)
        if L.lay_on:
            for k in range(1, 1 + L.n_pools):
                pgi[k] = pgi[0] if pgi[0] > pgi[k] else pgi[k]
        else:
            m = pgi[1]
            for k in range(2, 1 + L.n_pools):
                m = pgi[k] if pgi[k] > m else m
            pgi[0] = m if m > pgi[0] else pgi[0]


cdef void_noinline lf_gi_flat(Py_ssize_t n, cdouble_r act, cdouble_r gi_syn, double_r gi_self,
                              double_r gi, double g, bint self_on, double self_dt,
                              double self_gi) noexcept nogil:
    """lf_gi_units' loop for a layer without pools (Go v1 grouping): the same
    expressions, restrict rows."""
    cdef Py_ssize_t i
    if self_on:
        for i in range(n):
            gi_self[i] += self_dt * (self_gi * act[i] - gi_self[i])
            gi[i] = g + gi_self[i] + gi_syn[i]
    else:
        for i in range(n):
            gi_self[i] = 0.0
            gi[i] = g + gi_self[i] + gi_syn[i]


cdef void lf_gi_units(const Net* net, Py_ssize_t b, const LayerC* L, Py_ssize_t u0,
                      Py_ssize_t u1) noexcept nogil:
    """Go InhibFmGeAct, its unit part for units u0 .. u1-1: self-inhibition, then Gi =
    the pool's (or layer's) FFFB + GiSelf + GiSyn."""
    cdef const double* pgi = lf_p(net, P_GI, b, L)
    cdef double* gi = lf_u(net, U_GI, b, L)
    cdef double* gi_self = lf_u(net, U_GI_SELF, b, L)
    cdef const double* gi_syn = lf_u(net, U_GI_SYN, b, L)
    cdef const double* act = lf_u(net, U_ACT, b, L)
    cdef Py_ssize_t k, i
    lf_check(0 <= u0 <= u1 <= L.n, b"unit slice of a layer (Gi)")
    if not L.n_pools and not L.cpp85:
        # one layer-wide Gi: a vectorised loop with the constants in registers
        lf_gi_flat(u1 - u0, act + u0, gi_syn + u0, gi_self + u0, gi + u0, pgi[0], L.self_on,
                   L.self_dt, L.self_gi)
        return
    for i in range(u0, u1):
        if L.self_on:
            gi_self[i] += L.self_dt * (L.self_gi * act[i] - gi_self[i])
        else:
            gi_self[i] = 0.0
        k = 1 + i // L.pool_size if L.n_pools else 0
        lf_check(k <= L.n_pools, b"pool of a unit (P)")
        if L.cpp85:   # C++ Compute_ApplyInhib_impl: g_i + (gi_syn + gi_self)
            gi[i] = pgi[k] + (gi_syn[i] + gi_self[i])
        else:
            gi[i] = pgi[k] + gi_self[i] + gi_syn[i]


cdef inline void lf_load(double* dst, const double* src, Py_ssize_t m) noexcept nogil:
    """Copy m <= LF_W values into a lane array, padding with the last one (a full block
    is a plain copy, which vectorises)."""
    cdef Py_ssize_t r
    if m == LF_W:
        for r in range(LF_W):
            dst[r] = src[r]
    else:
        for r in range(LF_W):
            dst[r] = src[r if r < m else m - 1]


cdef inline void lf_store(double* dst, const double* src, Py_ssize_t m) noexcept nogil:
    """dst[0 .. m-1] = src[0 .. m-1], m <= LF_W: a loop of fixed length with a condition,
    which GCC compiles to masked vector stores (a copy of variable length became a
    ``rep movs``, slow to start: about a seventh of ActFmG at N = 25)."""
    cdef Py_ssize_t r
    if m == LF_W:
        # plain stores for a full block (a load of a masked store's data waits for it)
        for r in range(LF_W):
            dst[r] = src[r]
        return
    for r in range(LF_W):
        if r < m:
            dst[r] = src[r]


cdef inline void lf_fill(double* dst, double v) noexcept nogil:
    cdef Py_ssize_t r
    for r in range(LF_W):
        dst[r] = v


ctypedef struct ActLanes:
    # A block of LF_W units of lf_act_from_g, one element per lane: locals the compiler
    # knows do not alias, so the lane loop vectorises (as the seed kernel's LFLanes).
    double vm[16]
    double act[16]
    double act_lrn[16]
    double ge[16]
    double gi[16]
    double gk[16]
    double inet[16]
    double act_del[16]
    double drv[16]         # NXX1's argument for Act
    double drv_nok[16]     # and for ActLrn (without K)
    double noise[16]       # the next three only with noise or KNa (lf_act_lanes_full)
    double gkna_f[16]
    double gkna_m[16]
    double gkna_s[16]


cdef inline long long lf_act_drive(const LayerC* c, ActLanes* x, bint vm_noise,
                                   bint nok) noexcept nogil:
    """VmFmG of LF_W lanes (Vm by one Euler step) and NXX1's arguments, chosen first:
    Vm - Thr below threshold, else Ge - its threshold (with ``nok`` also without K, for
    ActLrn; a constant at each call: a branch on a variable inside the loop left it
    scalar): the same values as the reference's selection after three NXX1.  Returns
    the number of lanes whose Act argument is below 0 plus LF_W + 1 times the number
    whose Gk is not 0 (counted in this loop, which vectorises: GCC left separate loops
    counting them scalar)."""
    cdef int i
    cdef bint sub
    cdef long long n_below = 0, n_k = 0
    cdef double ge, gi, gk, v, net_i, ge_thr, ge_thr_nok, ge_e, nw_sub
    for i in range(LF_W):
        n_k += 1 if x.gk[i] != 0 else 0
        ge = x.ge[i] * c.gbar_e
        gi = x.gi[i] * c.gbar_i
        gk = x.gk[i] * c.gbar_k
        v = x.vm[i]
        net_i = (ge * (c.erev_e - v) + c.gbar_l * (c.erev_l - v) + gi * (c.erev_i - v)
                 + gk * (c.erev_k - v))
        x.inet[i] = net_i
        if vm_noise:
            v = lf_clip((v + c.vm_dt * net_i) + x.noise[i], c.vm_min, c.vm_max)
        else:
            v = lf_clip(v + c.vm_dt * net_i, c.vm_min, c.vm_max)
        x.vm[i] = v
        ge_thr = ((c.gbar_i * x.gi[i] * c.erev_sub_thr_i + c.gbar_l * c.erev_sub_thr_l
                   + c.gbar_k * x.gk[i] * c.erev_sub_thr_k) / c.thr_sub_erev_e)
        ge_thr_nok = ((c.gbar_i * x.gi[i] * c.erev_sub_thr_i
                       + c.gbar_l * c.erev_sub_thr_l) / c.thr_sub_erev_e)
        ge_e = x.ge[i] * c.gbar_e
        sub = x.act[i] < c.vm_act_thr and v <= c.thr
        nw_sub = v - c.thr
        x.drv[i] = nw_sub if sub else ge_e - ge_thr
        if nok:
            x.drv_nok[i] = nw_sub if sub else ge_e - ge_thr_nok
        n_below += 1 if x.drv[i] < 0 else 0
    return n_below + (LF_W + 1) * n_k


# A full block straight on the state's rows (lf_act_from_g): lf_act_drive's and
# lf_act_lanes' expressions without noise and K, on restrict rows in functions GCC does
# not inline, so it vectorises them with no copies into lanes and back (a hidden
# layer's ActFmG 9% faster at N = 25).  Routing the lanes' path through these bodies
# instead (one copy of the expressions) cost that path 3% (time stamps), so the
# expressions are written twice: keep them the same (tests compare every value with
# the reference, whichever path a block takes).

cdef inline long long lf_drive_rows_body(const LayerC* c, double_r vm, cdouble_r act,
                                         cdouble_r ge0, cdouble_r gi0, cdouble_r gk0,
                                         double_r inet, double_r drv) noexcept nogil:
    cdef int i
    cdef bint sub
    cdef long long n_below = 0, n_k = 0
    cdef double ge, gi, gk, v, net_i, ge_thr, ge_e, nw_sub
    for i in range(LF_W):
        n_k += 1 if gk0[i] != 0 else 0
        ge = ge0[i] * c.gbar_e
        gi = gi0[i] * c.gbar_i
        gk = gk0[i] * c.gbar_k
        v = vm[i]
        net_i = (ge * (c.erev_e - v) + c.gbar_l * (c.erev_l - v) + gi * (c.erev_i - v)
                 + gk * (c.erev_k - v))
        inet[i] = net_i
        v = lf_clip(v + c.vm_dt * net_i, c.vm_min, c.vm_max)
        vm[i] = v
        ge_thr = ((c.gbar_i * gi0[i] * c.erev_sub_thr_i + c.gbar_l * c.erev_sub_thr_l
                   + c.gbar_k * gk0[i] * c.erev_sub_thr_k) / c.thr_sub_erev_e)
        ge_e = ge0[i] * c.gbar_e
        sub = act[i] < c.vm_act_thr and v <= c.thr
        nw_sub = v - c.thr
        drv[i] = nw_sub if sub else ge_e - ge_thr
        n_below += 1 if drv[i] < 0 else 0
    return n_below + (LF_W + 1) * n_k


cdef void_noinline lf_drive_rows(const LayerC* Lp, double_r vm, cdouble_r act,
                                 cdouble_r ge0, cdouble_r gi0, cdouble_r gk0, double_r inet,
                                 double_r drv, long long* count) noexcept nogil:
    """lf_act_drive (no noise, no ActLrn argument) on a full block's rows: Vm and Inet in
    place, NXX1's arguments into ``drv``, lf_act_drive's count into ``count``."""
    cdef LayerC c = Lp[0]       # (the constants from a local copy, as lf_act_from_g's)
    count[0] = lf_drive_rows_body(&c, vm, act, ge0, gi0, gk0, inet, drv)


cdef inline void lf_lanes_rows_body(const LayerC* c, double_r act, double_r act_lrn,
                                    double_r act_del, cdouble_r drv, bint below) noexcept nogil:
    cdef int i
    cdef double nw_act, nw_lrn, a
    for i in range(LF_W):
        a = act[i]
        nw_act = lf_nxx1_below(c, drv[i]) if below else lf_nxx1(c, drv[i])
        nw_lrn = nw_act
        nw_act = a + c.vm_dt * (nw_act - a)
        act_del[i] = nw_act - a
        act[i] = nw_act
        act_lrn[i] = act_lrn[i] + c.vm_dt * (nw_lrn - act_lrn[i])


cdef void_noinline lf_lanes_rows_below(const LayerC* Lp, double_r act, double_r act_lrn,
                                       double_r act_del, cdouble_r drv) noexcept nogil:
    """lf_act_lanes without K on a full block's rows, every argument below 0 (two
    functions, not a flag: one loop each; a flag measured 2% slower)."""
    cdef LayerC c = Lp[0]
    lf_lanes_rows_body(&c, act, act_lrn, act_del, drv, True)


cdef void_noinline lf_lanes_rows_full(const LayerC* Lp, double_r act, double_r act_lrn,
                                      double_r act_del, cdouble_r drv) noexcept nogil:
    """lf_act_lanes without K on a full block's rows."""
    cdef LayerC c = Lp[0]
    lf_lanes_rows_body(&c, act, act_lrn, act_del, drv, False)


cdef inline void lf_act_drive_nok(const LayerC* c, ActLanes* x) noexcept nogil:
    """lf_act_drive's argument without K (x.drv_nok) after a call without ``nok``, from
    the new Vm and the Act, Ge and Gi it leaves as they were: the same expressions, so
    the same bits."""
    cdef int i
    cdef bint sub
    cdef double ge_thr_nok
    for i in range(LF_W):
        ge_thr_nok = ((c.gbar_i * x.gi[i] * c.erev_sub_thr_i
                       + c.gbar_l * c.erev_sub_thr_l) / c.thr_sub_erev_e)
        sub = x.act[i] < c.vm_act_thr and x.vm[i] <= c.thr
        x.drv_nok[i] = x.vm[i] - c.thr if sub else x.ge[i] * c.gbar_e - ge_thr_nok


cdef inline void lf_act_lanes(const LayerC* c, ActLanes* x, bint no_k,
                              bint below) noexcept nogil:
    """ActFmG of LF_W lanes from lf_act_drive's arguments: NXX1, Act and ActLrn.
    ``no_k`` (every lane's Gk is 0, as always without KNa adaptation): the K term adds
    a zero, so both arguments, hence both NXX1 values, are the same bits: one NXX1.
    ``below`` (every argument < 0): NXX1 is its sigmoid piece, the one the select
    would take, so the other two pieces (four divisions) are not computed."""
    cdef int i
    cdef double nw_act, nw_lrn, a
    for i in range(LF_W):
        a = x.act[i]
        nw_act = lf_nxx1_below(c, x.drv[i]) if below else lf_nxx1(c, x.drv[i])
        nw_lrn = nw_act if no_k else lf_nxx1(c, x.drv_nok[i])
        nw_act = a + c.vm_dt * (nw_act - a)
        x.act_del[i] = nw_act - a
        x.act[i] = nw_act
        x.act_lrn[i] = x.act_lrn[i] + c.vm_dt * (nw_lrn - x.act_lrn[i])


cdef inline double lf_kna(double g, double a, bint on, double rise, double gmax,
                          double dt) noexcept nogil:
    """One KNa channel from the rate code (Go knadapt.Chan.GcFmRate; a = Act * Rate),
    grouped as model="emergent" groups it: g + a rise (max - g) - dt g."""
    if not on:
        return 0.0
    return g + a * rise * (gmax - g) - dt * g


cdef inline void lf_act_lanes_full(const LayerC* c, ActLanes* x) noexcept nogil:
    """lf_act_lanes with noise on Act and KNa adaptation: both NXX1 values, Act plus the
    noise (after ActDel), then the KNa channels from the new Act and their sum Gk."""
    cdef int i
    cdef double nw_act, nw_lrn, a, k
    for i in range(LF_W):
        a = x.act[i]
        nw_act = lf_nxx1(c, x.drv[i])
        nw_lrn = lf_nxx1(c, x.drv_nok[i])
        nw_act = a + c.vm_dt * (nw_act - a)
        x.act_del[i] = nw_act - a
        if c.noise_type == NOISE_ACT:
            nw_act = nw_act + x.noise[i]
        x.act[i] = nw_act
        x.act_lrn[i] = x.act_lrn[i] + c.vm_dt * (nw_lrn - x.act_lrn[i])
        if c.kna_on:
            k = nw_act * c.kna_rate
            x.gkna_f[i] = lf_kna(x.gkna_f[i], k, c.kna_f_on, c.kna_f_rise, c.kna_f_max,
                                 c.kna_f_dt)
            x.gkna_m[i] = lf_kna(x.gkna_m[i], k, c.kna_m_on, c.kna_m_rise, c.kna_m_max,
                                 c.kna_m_dt)
            x.gkna_s[i] = lf_kna(x.gkna_s[i], k, c.kna_s_on, c.kna_s_rise, c.kna_s_max,
                                 c.kna_s_dt)
            x.gk[i] = (x.gkna_f[i] + x.gkna_m[i]) + x.gkna_s[i]


cdef inline double lf_inet_cpp85(const LayerC* c, double ge, double gi,
                                 double v) noexcept nogil:
    return ge * (c.erev_e - v) + c.gbar_l * (c.erev_l - v) + gi * (c.erev_i - v)


ctypedef struct CppLanes:
    # A block of LF_W units of lf_act_cpp85 (as ActLanes for the Go equations).
    double vm[16]
    double vm_eq[16]
    double isi[16]
    double act[16]
    double act_raw[16]
    double ge[16]
    double gi[16]
    double inet[16]
    double act_del[16]
    double drv[16]
    double noise[16]


cdef inline void lf_cpp_drive(const LayerC* c, CppLanes* x, bint vm_noise) noexcept nogil:
    """C++ Compute_Vm of LF_W lanes, the spike reset, and NXX1's argument: v_m by the
    midpoint method (held while refractory), v_m_eq by one Euler step, both clipped; a
    v_m above thr resets to vm_r; below threshold (act_raw and v_m_eq) v_m_eq - thr,
    else Ge minus its threshold.  Selects, no branches: the lanes vectorise."""
    cdef int i
    cdef bint refr, spk, sub
    cdef double ge, gi, v, i1, i2, nv, eq, ge_thr
    for i in range(LF_W):
        ge = x.ge[i] * c.gbar_e
        gi = x.gi[i] * c.gbar_i
        v = x.vm[i]
        i1 = lf_inet_cpp85(c, ge, gi, v)
        i2 = lf_inet_cpp85(c, ge, gi, v + (0.5 * c.vm_dt) * i1)
        refr = (c.t_r > 0) & (x.isi[i] >= 0) & (x.isi[i] < c.t_r)
        nv = v if refr else v + c.vm_dt * i2
        i2 = 0.0 if refr else i2
        eq = x.vm_eq[i] + c.vm_dt * lf_inet_cpp85(c, ge, gi, x.vm_eq[i])
        if vm_noise:
            nv = nv + x.noise[i]
            eq = eq + x.noise[i]
        nv = lf_clip(nv, c.vm_min, c.vm_max)
        eq = lf_clip(eq, c.vm_min, c.vm_max)
        spk = nv > c.thr
        x.vm[i] = c.vm_r if spk else nv
        x.inet[i] = 0.0 if spk else i2
        x.isi[i] = 0.0 if spk else (x.isi[i] + 1.0 if x.isi[i] >= 0 else x.isi[i])
        x.vm_eq[i] = eq
        ge_thr = ((c.gbar_i * x.gi[i] * c.erev_sub_thr_i + c.gbar_l * c.erev_sub_thr_l)
                  / c.thr_sub_erev_e)
        sub = (x.act_raw[i] < c.vm_act_thr) & (eq <= c.thr)
        x.drv[i] = eq - c.thr if sub else ge - ge_thr


cdef inline void lf_cpp_act(const LayerC* c, CppLanes* x, bint below,
                            bint act_noise) noexcept nogil:
    """C++ Compute_ActFun_Rate of LF_W lanes: NXX1 (its sigmoid only when every argument
    is below 0), act_raw = act + vm_dt (nxx1 - act) (+ noise), act = clip(act_raw, 0, 1)."""
    cdef int i
    cdef double a, na
    for i in range(LF_W):
        a = x.act[i]
        na = lf_nxx1_below(c, x.drv[i]) if below else lf_nxx1(c, x.drv[i])
        na = a + c.vm_dt * (na - a)
        x.act_del[i] = na - a
        if act_noise:
            na = na + x.noise[i]
        x.act_raw[i] = na
        x.act[i] = lf_clip(na, 0.0, 1.0)


cdef void lf_act_cpp85(const Net* net, Py_ssize_t b, const LayerC* L, Py_ssize_t u0,
                       Py_ssize_t u1) noexcept nogil:
    """C++ 8.5's rate code of units u0 .. u1-1 (reference._act_from_g_cpp85) in blocks of
    LF_W lanes (the last one padded, not stored): lf_cpp_drive, lf_cpp_act; ActLrn = Act
    (C++ learns on act_nd); hard-clamped units take Ext and keep their spike counter."""
    cdef CppLanes x
    cdef const unsigned char* he = lf_f(net, F_HAS_EXT, b, L)
    cdef double* vm = lf_u(net, U_VM, b, L)
    cdef double* vm_eq = lf_u(net, U_VM_EQ, b, L)
    cdef double* isi = lf_u(net, U_ISI, b, L)
    cdef double* act = lf_u(net, U_ACT, b, L)
    cdef double* act_lrn = lf_u(net, U_ACT_LRN, b, L)
    cdef double* act_raw = lf_u(net, U_ACT_RAW, b, L)
    cdef double* act_del = lf_u(net, U_ACT_DEL, b, L)
    cdef double* inet = lf_u(net, U_INET, b, L)
    cdef const double* ge_ = lf_u(net, U_GE, b, L)
    cdef const double* gi_ = lf_u(net, U_GI, b, L)
    cdef const double* noise = lf_u(net, U_NOISE, b, L)
    cdef bint vm_noise = L.noise_type == NOISE_VM
    cdef bint act_noise = L.noise_type == NOISE_ACT
    cdef Py_ssize_t i, i0, u, m, blk, n_clamped, n_below
    for blk in range((u1 - u0 + LF_W - 1) // LF_W):
        i0 = u0 + blk * LF_W
        m = u1 - i0 if u1 - i0 < LF_W else LF_W
        n_clamped = 0
        if L.hard:
            for i in range(m):
                n_clamped += he[i0 + i] != 0
        if n_clamped < m:
            lf_load(x.vm, vm + i0, m)
            lf_load(x.vm_eq, vm_eq + i0, m)
            lf_load(x.isi, isi + i0, m)
            lf_load(x.act, act + i0, m)
            lf_load(x.act_raw, act_raw + i0, m)
            lf_load(x.ge, ge_ + i0, m)
            lf_load(x.gi, gi_ + i0, m)
            lf_load(x.noise, noise + i0, m)
            if vm_noise:
                lf_cpp_drive(L, &x, True)
            else:
                lf_cpp_drive(L, &x, False)
            n_below = 0
            for i in range(LF_W):
                n_below += x.drv[i] < 0
            if act_noise:
                lf_cpp_act(L, &x, False, True)
            elif n_below == LF_W:
                lf_cpp_act(L, &x, True, False)
            else:
                lf_cpp_act(L, &x, False, False)
            for i in range(m):
                u = i0 + i
                vm[u] = x.vm[i]
                vm_eq[u] = x.vm_eq[i]
                act[u] = x.act[i]
                act_lrn[u] = x.act[i]
                act_raw[u] = x.act_raw[i]
                act_del[u] = x.act_del[i]
                inet[u] = x.inet[i]
                if not (L.hard and he[u]):
                    isi[u] = x.isi[i]
        if n_clamped:
            lf_hard_clamp(net, b, L, i0, i0 + m)


cdef inline uint64_t lf_byte_bits(Py_ssize_t k) noexcept nogil:
    """A word whose first k (0 .. 8) bytes in memory are 1, the others 0 (built in
    memory: the same on any byte order)."""
    cdef unsigned char by[8]
    cdef uint64_t w
    cdef int i
    for i in range(8):
        by[i] = 1 if i < k else 0
    memcpy(&w, by, 8)
    return w


cdef void_noinline lf_avgs(Py_ssize_t n, cdouble_r act_lrn, double_r avg_ss, double_r avg_s,
                           double_r avg_m, double_r avg_s_lrn, double ss_dt, double s_dt,
                           double m_dt, double lrn_s, double lrn_m) noexcept nogil:
    """The learning averages AvgSS -> AvgS -> AvgM and AvgSLrn of n units (restrict rows:
    GCC vectorises the loop without run-time alias checks)."""
    cdef Py_ssize_t i
    for i in range(n):
        avg_ss[i] += ss_dt * (act_lrn[i] - avg_ss[i])
        avg_s[i] += s_dt * (avg_ss[i] - avg_s[i])
        avg_m[i] += m_dt * (avg_s[i] - avg_m[i])
        avg_s_lrn[i] = lrn_s * avg_s[i] + lrn_m * avg_m[i]


cdef void_noinline lf_act_block_full(const Net* net, Py_ssize_t b, const LayerC* L, Py_ssize_t i0,
                            Py_ssize_t m, Py_ssize_t mm) noexcept nogil:
    """lf_act_from_g's block of units i0 .. i0+m-1 with noise or KNa adaptation (lanes
    from memory: mm, as there): lf_act_drive, lf_act_lanes_full, the stores (the KNa
    channels not for hard-clamped units: Go's ActFmG returns for them)."""
    cdef LayerC Lc = L[0]       # (as in lf_act_from_g)
    cdef ActLanes x
    cdef double* vm = lf_u(net, U_VM, b, L)
    cdef double* act = lf_u(net, U_ACT, b, L)
    cdef double* act_lrn = lf_u(net, U_ACT_LRN, b, L)
    cdef double* act_del = lf_u(net, U_ACT_DEL, b, L)
    cdef double* inet = lf_u(net, U_INET, b, L)
    cdef double* gk = lf_u(net, U_GK, b, L)
    cdef double* gkna_f = lf_u(net, U_GKNA_F, b, L)
    cdef double* gkna_m = lf_u(net, U_GKNA_M, b, L)
    cdef double* gkna_s = lf_u(net, U_GKNA_S, b, L)
    cdef const unsigned char* he = lf_f(net, F_HAS_EXT, b, L)
    cdef Py_ssize_t i, u
    lf_load(x.vm, vm + i0, mm)
    lf_load(x.act, act + i0, mm)
    lf_load(x.act_lrn, act_lrn + i0, mm)
    lf_load(x.ge, lf_u(net, U_GE, b, L) + i0, mm)
    lf_load(x.gi, lf_u(net, U_GI, b, L) + i0, mm)
    lf_load(x.gk, gk + i0, mm)
    lf_load(x.noise, lf_u(net, U_NOISE, b, L) + i0, mm)
    lf_load(x.gkna_f, gkna_f + i0, mm)
    lf_load(x.gkna_m, gkna_m + i0, mm)
    lf_load(x.gkna_s, gkna_s + i0, mm)
    lf_act_drive(&Lc, &x, L.noise_type == NOISE_VM, True)
    lf_act_lanes_full(&Lc, &x)
    if L.kna_on:
        for i in range(m):
            u = i0 + i
            if not (L.hard and he[u]):
                gkna_f[u] = x.gkna_f[i]
                gkna_m[u] = x.gkna_m[i]
                gkna_s[u] = x.gkna_s[i]
                gk[u] = x.gk[i]
    for i in range(m):
        u = i0 + i
        vm[u] = x.vm[i]
        act[u] = x.act[i]
        act_lrn[u] = x.act_lrn[i]
        inet[u] = x.inet[i]
        act_del[u] = x.act_del[i]


cdef void lf_act_from_g(const Net* net, Py_ssize_t b, const LayerC* Lp, Py_ssize_t u0,
                        Py_ssize_t u1, unsigned char* run) noexcept nogil:
    """Go ActFmG of units u0 .. u1-1 of a layer: blocks of LF_W units through lf_act_lanes,
    hard clamping, then the learning averages AvgSS -> AvgS -> AvgM and AvgSLrn (lf_avgs).
    A block's lanes past u1 are not stored: at the layer's end they read its padding
    (units n .. n_pad-1, zeros no one writes: a plain vector copy), elsewhere copies of
    the block's last unit (a thread's slice ending inside the layer: its neighbour's
    units are not read).  Which lanes a block holds decides only which of two arms of
    equal bits it takes (lf_act_lanes), never a stored value.

    ``run`` (NULL: none): the slice's clamp-only passes in a row (lf_run_copy zeroes it
    at each quarter's start, before which Ext and HasExt change): once every unit of
    the slice was hard clamped without noise, the next passes would write the same
    values (the clamp reads only Ext), so they skip to the averages; 2 then also says
    that Act did not change since the last pass (lf_send_quiet)."""
    # The lanes read the constants from a local copy whose address goes to inlined
    # functions only (GCC keeps the fields they read in registers, no copy): with the
    # table's own memory it leaves lf_act_drive's loop scalar, with a branch (measured)
    cdef LayerC Lc = Lp[0]
    cdef const LayerC* L = Lp
    cdef ActLanes x
    cdef double* vm = lf_u(net, U_VM, b, L)
    cdef double* act = lf_u(net, U_ACT, b, L)
    cdef double* act_lrn = lf_u(net, U_ACT_LRN, b, L)
    cdef double* act_del = lf_u(net, U_ACT_DEL, b, L)
    cdef double* inet = lf_u(net, U_INET, b, L)
    cdef const double* ge_ = lf_u(net, U_GE, b, L)
    cdef const double* gi_ = lf_u(net, U_GI, b, L)
    cdef const double* gk_ = lf_u(net, U_GK, b, L)
    cdef const unsigned char* he = lf_f(net, F_HAS_EXT, b, L)
    cdef Py_ssize_t i, i0, u, m, mm, blk, n_clamped, n_below
    cdef long long count
    cdef unsigned char c_any, c_all
    cdef uint64_t w0, w1, k0, k1
    cdef bint no_k
    cdef bint hard = L.hard
    cdef bint full = L.kna_on or L.noise_type != NOISE_NONE
    cdef bint steady = hard and L.noise_type == NOISE_NONE and not L.cpp85 and run != NULL
    cdef bint only_clamped = True
    cdef Py_ssize_t n_blk = (u1 - u0 + LF_W - 1) // LF_W
    lf_check(0 <= u0 <= u1 <= L.n, b"unit slice of a layer (ActFmG)")
    if steady and run[0] >= 1:
        n_blk = 0
        run[0] = 2
    lf_check(L.n <= L.n_pad and L.off + L.n_pad <= net.n_tot, b"padding of a layer (ActFmG)")
    if L.cpp85:
        lf_act_cpp85(net, b, L, u0, u1)
        n_blk = 0
    for blk in range(n_blk):
        i0 = u0 + blk * LF_W
        m = u1 - i0 if u1 - i0 < LF_W else LF_W
        # lanes to load from memory (the rest: copies of the last)
        mm = LF_W if u1 == L.n and i0 + LF_W <= L.n_pad else m
        # any and all of the block's units clamped (flags are 0 / 1 bytes): a block read
        # from the layer's padding tests its flags as two words, others byte by byte
        c_any, c_all = 0, 1
        if hard and mm == LF_W:
            memcpy(&w0, he + i0, 8)
            memcpy(&w1, he + i0 + 8, 8)
            if m == LF_W:
                k0 = k1 = <uint64_t>0x0101010101010101ULL    # every byte 1
            else:
                k0 = lf_byte_bits(m if m < 8 else 8)
                k1 = lf_byte_bits(m - 8 if m > 8 else 0)
            c_any = ((w0 & k0) | (w1 & k1)) != 0
            c_all = (w0 & k0) == k0 and (w1 & k1) == k1
        elif hard:
            for i in range(m):
                c_any = c_any | he[i0 + i]
                c_all = c_all & he[i0 + i]
        n_clamped = 0 if c_any == 0 else (m if c_all else 1)
        only_clamped = only_clamped and n_clamped == m
        if n_clamped < m and full:
            # noise or KNa: every lane takes the general path
            lf_act_block_full(net, b, L, i0, m, mm)
        elif n_clamped < m and m == LF_W:
            # a full block: straight on the state's rows (Vm and Inet stored by the drive)
            lf_drive_rows(L, vm + i0, act + i0, ge_ + i0, gi_ + i0, gk_ + i0, inet + i0,
                          x.drv, &count)
            if count == LF_W:          # no Gk, every argument below 0
                lf_lanes_rows_below(L, act + i0, act_lrn + i0, act_del + i0, x.drv)
            elif count < LF_W:         # no Gk
                lf_lanes_rows_full(L, act + i0, act_lrn + i0, act_del + i0, x.drv)
            else:
                # a Gk without KNa (set_state; KNa layers take the general path):
                # ActLrn's own argument, from the new Vm, in lanes
                lf_load(x.vm, vm + i0, mm)
                lf_load(x.act, act + i0, mm)
                lf_load(x.act_lrn, act_lrn + i0, mm)
                lf_load(x.ge, ge_ + i0, mm)
                lf_load(x.gi, gi_ + i0, mm)
                lf_act_drive_nok(&Lc, &x)
                lf_act_lanes(&Lc, &x, False, False)
                lf_store(act + i0, x.act, m)
                lf_store(act_lrn + i0, x.act_lrn, m)
                lf_store(act_del + i0, x.act_del, m)
        elif n_clamped < m:
            # a part-full block (a layer's last, or a thread's slice's): in lanes
            lf_load(x.vm, vm + i0, mm)
            lf_load(x.act, act + i0, mm)
            lf_load(x.act_lrn, act_lrn + i0, mm)
            lf_load(x.ge, ge_ + i0, mm)
            lf_load(x.gi, gi_ + i0, mm)
            lf_load(x.gk, gk_ + i0, mm)
            # lanes below 0, plus LF_W + 1 per lane with a Gk
            # ActLrn's argument only when a lane has a Gk (KNa): else it equals Act's
            n_below = lf_act_drive(&Lc, &x, False, False)
            no_k = n_below <= LF_W
            if not no_k:
                lf_act_drive_nok(&Lc, &x)
            if n_below == LF_W:        # no Gk, every lane below 0
                lf_act_lanes(&Lc, &x, True, True)
            elif no_k:
                lf_act_lanes(&Lc, &x, True, False)
            else:
                lf_act_lanes(&Lc, &x, False, False)
            lf_store(vm + i0, x.vm, m)
            lf_store(act + i0, x.act, m)
            lf_store(act_lrn + i0, x.act_lrn, m)
            lf_store(inet + i0, x.inet, m)
            lf_store(act_del + i0, x.act_del, m)
        if n_clamped:
            # hard-clamped units take Ext (Go's VmFmG / ActFmG return early for them):
            # every value the lanes stored for them is overwritten, so a block of only
            # clamped units skips the lanes
            lf_hard_clamp(net, b, L, i0, i0 + m)
    if run != NULL and n_blk:
        run[0] = 1 if steady and only_clamped else 0
    # (folded into the lanes, the averages measured 15% slower on the bench net at
    # N = 25: a larger frame).  At the
    # layer's end over its padding too, a whole number of vectors: zeros stay zeros
    # (ActLrn's padding is never written)
    lf_avgs((L.n_pad if u1 == L.n else u1) - u0, act_lrn + u0, lf_u(net, U_AVG_SS, b, L) + u0,
            lf_u(net, U_AVG_S, b, L) + u0, lf_u(net, U_AVG_M, b, L) + u0,
            lf_u(net, U_AVG_S_LRN, b, L) + u0, L.ss_dt, L.s_dt, L.m_dt, L.lrn_s, L.lrn_m)


cdef inline Py_ssize_t lf_cut(Py_ssize_t n, Py_ssize_t k, Py_ssize_t n_slices) noexcept nogil:
    """Start of slice k of n_slices over 0 .. n-1."""
    return n * k // n_slices


cdef inline long long lf_rows_into(const Net* net, const Team* tm, const Py_ssize_t* n_send,
                                   Py_ssize_t li) noexcept nogil:
    """Rows of weights each receiver of layer li adds this cycle (its projections'
    senders)."""
    cdef Py_ssize_t k, s, nl = net.n_layers
    cdef long long rows = 0
    for k in range(net.lc[li].recv0, net.lc[li].recv1):
        for s in range(tm.n):
            rows += n_send[s * nl + lf_recv_prjn(net, li, k).send]
    return rows


cdef inline Py_ssize_t lf_share_cut(long long x, long long rows, Py_ssize_t n) noexcept nogil:
    """Units of a layer of n units, each adding ``rows`` rows, that fit in ``x`` row
    additions: rounded to whole LF_W blocks (a cache line is never shared), 0 .. n."""
    cdef long long u
    if x <= 0:
        return 0
    if x >= rows * n:
        return n
    u = (x // rows + LF_W // 2) // LF_W * LF_W
    return n if u > n else u


cdef void lf_scatter_share(const Net* net, Py_ssize_t b, Scratch* sc, Team* tm, Py_ssize_t t,
                           Py_ssize_t par) noexcept nogil:
    """Go SendGDelta's sending into every layer, thread t's share: the receivers of all
    layers in order, each costing one row addition per sender of its projections this
    cycle, cut into tm.n runs of equal cost; thread t adds into the receivers of run t
    every sender list of parity ``par`` (in thread order: index order).  Which senders
    send changes every cycle, and so does the cost of each layer's receivers: cut by
    fixed unit ownership, a thread waited for the other at every cycle's barrier.
    Every thread computes the same cuts from the same counts, and who adds into a
    receiver changes no value (lf_scatter's row sums are per receiver)."""
    cdef Py_ssize_t* idx = sc.idx + par * net.n_tot
    cdef double* d = sc.d + par * net.n_tot
    cdef Py_ssize_t* n_send = sc.n_send + par * tm.n * net.n_layers
    cdef const LayerC* L
    cdef const LayerC* Ls
    cdef const PrjnC* p
    cdef Py_ssize_t li, k, s, n, pi, u0, r0, r1, nl = net.n_layers
    cdef long long total = 0, before = 0, rows, lo, hi
    for li in range(nl):
        total += lf_rows_into(net, tm, n_send, li) * net.lc[li].n
    lo = total * t // tm.n
    hi = total * (t + 1) // tm.n
    for li in range(nl):
        L = &net.lc[li]
        rows = lf_rows_into(net, tm, n_send, li)
        if rows == 0:
            continue
        r0 = lf_share_cut(lo - before, rows, L.n)
        r1 = lf_share_cut(hi - before, rows, L.n)
        before += rows * L.n
        if r1 <= r0:
            continue
        for k in range(L.recv0, L.recv1):
            pi = net.recv_list[k]
            p = &net.pc[pi]
            Ls = &net.lc[p.send]
            for s in range(tm.n):
                n = n_send[s * nl + p.send]
                if n:
                    u0 = lf_own0(tm, s, nl, p.send)
                    lf_scatter(net, b, pi, idx + Ls.off + u0, d + Ls.off + u0, n, r0, r1)


cdef void lf_layer_ge(const Net* net, Py_ssize_t b, Team* tm, Py_ssize_t t,
                      Py_ssize_t li) noexcept nogil:
    """GFmInc of thread t's units of layer li (after every thread's sending)."""
    cdef Py_ssize_t r0 = lf_own0(tm, t, net.n_layers, li), r1 = lf_own1(tm, t, net.n_layers, li)
    if r1 > r0:
        lf_g_from_inc(net, b, &net.lc[li], r0, r1)


cdef void lf_layer_act(const Net* net, Py_ssize_t b, Team* tm, Py_ssize_t t,
                       Py_ssize_t li, unsigned char* run) noexcept nogil:
    """Gi and ActFmG of thread t's units of layer li (``run``: lf_act_from_g's, of all
    the thread's layers)."""
    cdef Py_ssize_t u0 = lf_own0(tm, t, net.n_layers, li), u1 = lf_own1(tm, t, net.n_layers, li)
    if u1 > u0:
        lf_gi_units(net, b, &net.lc[li], u0, u1)
        lf_act_from_g(net, b, &net.lc[li], u0, u1, run + 2 * li)


cdef long long lf_cycle(const Net* net, Py_ssize_t b, Scratch* sc, Team* tm, Py_ssize_t t,
                        long long* step, unsigned char* run) noexcept nogil:
    """Go Network.Cycle, the part of thread t of the team (its units; see Team).  Every
    receiver adds its senders in index order, every unit is computed alone and layer
    sums keep the serial order, so the bits do not depend on the thread count.

    A barrier (all senders decided), the sending shared out by its cost this cycle
    (lf_scatter_share), a barrier, then each thread goes through its layers so that
    the others wait little (the layers it owns whole summed side by side,
    lf_layer_sums): in the Ge step the layer it shares with the next thread
    (its tail, whose running sums that thread continues) first and the one it shares
    with the previous thread (its head, whose sums it continues and whose inhibition it
    computes, ending the layer) last; in the Act step its tail last (it waits for that
    layer's inhibition).  Returns the number of senders (thread 0)."""
    cdef Py_ssize_t li, s, u0, u1, nl = net.n_layers
    cdef Py_ssize_t head = tm.head[t], tail = tm.tail[t]
    cdef const LayerC* L
    cdef long long n_sent = 0, sg, sa
    # Sender lists alternate between two buffers: a thread may decide the next cycle's
    # senders while another still sends this cycle's (there is no barrier between)
    cdef Py_ssize_t par = (step[0] >> 1) & 1
    cdef Py_ssize_t* idx = sc.idx + par * net.n_tot
    cdef double* d = sc.d + par * net.n_tot
    cdef Py_ssize_t* n_send = sc.n_send + par * tm.n * nl
    for li in range(nl):
        L = &net.lc[li]
        u0 = lf_own0(tm, t, nl, li)
        n_send[t * nl + li] = lf_send_quiet(net, b, L, idx + L.off + u0, d + L.off + u0, u0,
                                            lf_own1(tm, t, nl, li), run + 2 * li)
    lf_barrier(tm)
    if t == 0:
        for s in range(tm.n):
            for li in range(nl):
                if net.lc[li].send1 > net.lc[li].send0:
                    n_sent += n_send[s * nl + li]
    lf_scatter_share(net, b, sc, tm, t, par)
    lf_barrier(tm)
    # Ge: net input, Ge statistics and inhibition
    step[0] += 1
    sg = step[0]
    if tail >= 0 and tail != head:
        lf_layer_ge(net, b, tm, t, tail)
        lf_layer_sum(net, b, tm, t, tail, sg, U_GE, P_GE_AVG, P_GE_MAX, True)
        lfn_store(&tm.posted[t * LF_LINE], sg)
    for li in range(nl):
        if li != tail and li != head:
            lf_layer_ge(net, b, tm, t, li)
    # the layers it owns whole: side by side (the others own none of them)
    lf_layer_sums(net, b, U_GE, P_GE_AVG, P_GE_MAX, True, tm, t)
    if head >= 0:
        lf_layer_ge(net, b, tm, t, head)
        lf_layer_sum(net, b, tm, t, head, sg, U_GE, P_GE_AVG, P_GE_MAX, True)
    if tm.n > 1:
        lfn_store(&tm.posted[t * LF_LINE], sg)
        lfn_store(&tm.posted[t * LF_LINE + 1], sg)      # the inhibition of its head is set
    # Act: Gi and ActFmG, Act statistics
    step[0] += 1
    sa = step[0]
    for li in range(nl):
        if li != tail or tm.ender[li] == t:
            lf_layer_act(net, b, tm, t, li, run)
    if tail >= 0 and tm.ender[tail] != t:
        # its inhibition comes from the thread ending the layer (that thread's head)
        lf_wait_posted(tm, tm.ender[tail], sg, 1)
        lf_layer_act(net, b, tm, t, tail, run)
        if tail != head:
            lf_layer_sum(net, b, tm, t, tail, sa, U_ACT, P_ACT_AVG, P_ACT_MAX, False)
            lfn_store(&tm.posted[t * LF_LINE], sa)
    lf_layer_sums(net, b, U_ACT, P_ACT_AVG, P_ACT_MAX, False, tm, t)
    for li in range(nl):
        if (li != head and (li != tail or tail == head or tm.ender[li] == t)
                and not lf_whole(net, tm, t, li)):
            lf_layer_sum(net, b, tm, t, li, sa, U_ACT, P_ACT_AVG, P_ACT_MAX, False)
    if head >= 0:
        lf_layer_sum(net, b, tm, t, head, sa, U_ACT, P_ACT_AVG, P_ACT_MAX, False)
    if tm.n > 1:
        lfn_store(&tm.posted[t * LF_LINE], sa)
    return n_sent


cdef inline void lf_sum_max_k(const double** a, const Py_ssize_t* n, double* s, double* m,
                              int K) noexcept nogil:
    """lf_avg_max's running sums and maxima of K (1 .. 8) arrays side by side: each
    array's sum still adds its values in index order (the same bits), but the K chains
    of dependent additions overlap in the CPU instead of following each other.  K is a
    constant at each call (lf_layer_sums), so the loops over the arrays unroll and the
    sums stay in registers: exactly K chains (eight, with the missing ones repeating
    a layer, took 4% more time in the two sums' steps of the bench net's five layers at
    N = 25: 45.4 against 43.7 thousand time stamp cycles per trial)."""
    cdef double ss[8]
    cdef double mm[8]
    cdef Py_ssize_t i, j, kmin = n[0]
    for j in range(K):
        ss[j] = a[j][0]
        mm[j] = a[j][0]
        kmin = n[j] if n[j] < kmin else kmin
    for i in range(1, kmin):
        for j in range(K):
            ss[j] = ss[j] + a[j][i]
            mm[j] = a[j][i] if a[j][i] > mm[j] else mm[j]
    for j in range(K):
        for i in range(kmin, n[j]):
            ss[j] = ss[j] + a[j][i]
            mm[j] = a[j][i] if a[j][i] > mm[j] else mm[j]
        s[j] = ss[j]
        m[j] = mm[j]


cdef inline bint lf_whole(const Net* net, const Team* tm, Py_ssize_t t,
                          Py_ssize_t li) noexcept nogil:
    """Thread t owns all of layer li (no team: every thread of one owns every layer)."""
    return tm == NULL or (lf_own0(tm, t, net.n_layers, li) == 0
                          and lf_own1(tm, t, net.n_layers, li) == net.lc[li].n)


cdef void lf_layer_sums(const Net* net, Py_ssize_t b, int var, int avg_k, int max_k,
                        bint ge, const Team* tm, Py_ssize_t t) noexcept nogil:
    """lf_layer_sum of every layer thread t of the team owns whole (``tm`` NULL: every
    layer): the layers' sums up to eight at a time (lf_sum_max_k), then each layer's
    statistics (with ``ge`` its inhibition and the advance of its noise counter), in
    layer order.  (A layer's sum follows its units in order whoever adds it, so the
    same bits as lf_layer_sum.)"""
    cdef Py_ssize_t li, j, k, q, nl = net.n_layers
    cdef Py_ssize_t lis[8]
    cdef const LayerC* Ls[8]
    cdef const double* a[8]
    cdef Py_ssize_t n[8]
    cdef double s[8]
    cdef double m[8]
    cdef const LayerC* L
    cdef double* avg
    cdef double* mx
    li = 0
    while li < nl:
        k = 0
        while li < nl and k < 8:
            if lf_whole(net, tm, t, li):
                lis[k] = li
                k += 1
            li += 1
        if k == 0:
            break
        for j in range(k):
            Ls[j] = &net.lc[lis[j]]
            a[j] = lf_u(net, var, b, Ls[j])
            n[j] = Ls[j].n
        if k == 1:
            lf_sum_max_k(a, n, s, m, 1)
        elif k == 2:
            lf_sum_max_k(a, n, s, m, 2)
        elif k == 3:
            lf_sum_max_k(a, n, s, m, 3)
        elif k == 4:
            lf_sum_max_k(a, n, s, m, 4)
        elif k == 5:
            lf_sum_max_k(a, n, s, m, 5)
        elif k == 6:
            lf_sum_max_k(a, n, s, m, 6)
        elif k == 7:
            lf_sum_max_k(a, n, s, m, 7)
        else:
            lf_sum_max_k(a, n, s, m, 8)
        for j in range(k):
            L = Ls[j]
            avg = lf_p(net, avg_k, b, L)
            mx = lf_p(net, max_k, b, L)
            for q in range(L.n_pools):
                lf_avg_max(a[j] + q * L.pool_size, L.pool_size, &avg[1 + q], &mx[1 + q])
            avg[0] = s[j] / <double>L.n
            mx[0] = m[j]
            if ge:
                lf_inhib_pools(net, b, L)
                if L.noise_type != NOISE_NONE and not L.noise_fixed:
                    lf_noise_advance(net, b, lis[j])


cdef long long lf_cycle_solo(const Net* net, Py_ssize_t b, Scratch* sc,
                             long long* step, unsigned char* run) noexcept nogil:
    """Go Network.Cycle on one thread (lf_cycle's steps for a team of one, without its
    slices and waits): who sends, the sending into and GFmInc of each layer, the Ge
    statistics and inhibition of all layers (lf_layer_sums), Gi and ActFmG of each,
    the Act statistics.  Each step is per layer, so the same values as lf_cycle.
    Returns the number of senders."""
    cdef Py_ssize_t li, k, pi, n, nl = net.n_layers
    cdef Py_ssize_t* idx = sc.idx
    cdef double* d = sc.d
    cdef Py_ssize_t* n_send = sc.n_send
    cdef long long n_sent = 0
    cdef const LayerC* L
    cdef const LayerC* Ls
    cdef const PrjnC* p
    for li in range(nl):
        L = &net.lc[li]
        n_send[li] = lf_send_quiet(net, b, L, idx + L.off, d + L.off, 0, L.n, run + 2 * li)
        if L.send1 > L.send0:
            n_sent += n_send[li]
    for li in range(nl):
        L = &net.lc[li]
        for k in range(L.recv0, L.recv1):
            pi = net.recv_list[k]
            p = &net.pc[pi]
            n = n_send[p.send]
            if n:
                Ls = &net.lc[p.send]
                lf_scatter(net, b, pi, idx + Ls.off, d + Ls.off, n, 0, L.n)
        lf_g_from_inc(net, b, L, 0, L.n)
    lf_layer_sums(net, b, U_GE, P_GE_AVG, P_GE_MAX, True, NULL, 0)
    for li in range(nl):
        L = &net.lc[li]
        lf_gi_units(net, b, L, 0, L.n)
        lf_act_from_g(net, b, L, 0, L.n, run + 2 * li)
    lf_layer_sums(net, b, U_ACT, P_ACT_AVG, P_ACT_MAX, False, NULL, 0)
    step[0] += 2
    return n_sent


# ----------------------------------------------------------------------- quarters

cdef inline void lf_copy(double* dst, const double* src, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        dst[i] = src[i]


cdef void lf_cos_diff(const Net* net, Py_ssize_t b, Py_ssize_t li) noexcept nogil:
    """Go CosDiffFmActs: cosine of ActP vs ActM (minus the layer means), its running
    average and variance, and the AvgLLrn modulation."""
    cdef const LayerC* L = &net.lc[li]
    cdef const double* act_p = lf_u(net, U_ACT_P, b, L)
    cdef const double* act_m = lf_u(net, U_ACT_M, b, L)
    cdef double pavg = lf_p(net, P_ACT_P_AVG, b, L)[0]
    cdef double mavg = lf_p(net, P_ACT_M_AVG, b, L)[0]
    cdef double ap, am, cosv = 0.0, ssm = 0.0, ssp = 0.0, dist, avg, var, dl, incr, lrn
    cdef Py_ssize_t i
    for i in range(L.n):
        ap = act_p[i] - pavg
        am = act_m[i] - mavg
        if i == 0:
            cosv = ap * am
            ssm = am * am
            ssp = ap * ap
        else:
            cosv = cosv + ap * am
            ssm = ssm + am * am
            ssp = ssp + ap * ap
    dist = sqrt(ssm * ssp)
    if dist != 0:
        cosv = cosv / dist
    lf_l(net, L_COS, b, li)[0] = cosv
    avg = lf_l(net, L_COS_AVG, b, li)[0]
    var = lf_l(net, L_COS_VAR, b, li)[0]
    dl = cosv - avg
    incr = L.cd_dt * dl
    if avg == 0:
        var = 0.0
        avg = cosv
    else:
        var = 2.0 * L.cd_dt_c * dl * incr if var == 0 else L.cd_dt_c * (var + dl * incr)
        avg = avg + incr
    lf_l(net, L_COS_VAR, b, li)[0] = var
    lf_l(net, L_COS_AVG, b, li)[0] = avg
    if L.kind == K_TARGET:
        lf_l(net, L_COS_AVG_LRN, b, li)[0] = 0.0
        lf_l(net, L_MOD_AVG_L_LRN, b, li)[0] = 0.0
    else:
        lrn = 1.0 - avg
        lf_l(net, L_COS_AVG_LRN, b, li)[0] = lrn
        if L.err_mod:
            lf_l(net, L_MOD_AVG_L_LRN, b, li)[0] = L.mod_min if lrn < L.mod_min else lrn
        else:
            lf_l(net, L_MOD_AVG_L_LRN, b, li)[0] = 1.0


cdef void lf_quarter_final(const Net* net, Py_ssize_t b, int qtr) noexcept nogil:
    """Go QuarterFinal: ActQ1, ActQ2, minus phase (ActM, targets clamped), plus phase."""
    cdef Py_ssize_t li, i, np1
    cdef const LayerC* L
    cdef double* a
    cdef const double* act
    cdef unsigned char* he
    cdef const unsigned char* ht
    for li in range(net.n_layers):
        L = &net.lc[li]
        act = lf_u(net, U_ACT, b, L)
        np1 = 1 + L.n_pools
        if qtr == 0:
            lf_copy(lf_u(net, U_ACT_Q1, b, L), act, L.n)
        elif qtr == 1:
            lf_copy(lf_u(net, U_ACT_Q2, b, L), act, L.n)
        elif qtr == 2:
            lf_copy(lf_p(net, P_ACT_M_AVG, b, L), lf_p(net, P_ACT_AVG, b, L), np1)
            lf_copy(lf_p(net, P_ACT_M_MAX, b, L), lf_p(net, P_ACT_MAX, b, L), np1)
            lf_copy(lf_u(net, U_ACT_M, b, L), act, L.n)
            a = lf_u(net, U_EXT, b, L)
            ht = lf_f(net, F_HAS_TARG, b, L)
            he = lf_f(net, F_HAS_EXT, b, L)
            act = lf_u(net, U_TARG, b, L)
            for i in range(L.n):
                if ht[i]:
                    a[i] = act[i]
                    he[i] = 1
        else:
            lf_copy(lf_p(net, P_ACT_P_AVG, b, L), lf_p(net, P_ACT_AVG, b, L), np1)
            lf_copy(lf_p(net, P_ACT_P_MAX, b, L), lf_p(net, P_ACT_MAX, b, L), np1)
            lf_copy(lf_u(net, U_ACT_P, b, L), act, L.n)
            a = lf_u(net, U_ACT_DIF, b, L)
            for i in range(L.n):
                a[i] = act[i] - lf_u(net, U_ACT_M, b, L)[i]
            a = lf_u(net, U_ACT_AVG, b, L)
            for i in range(L.n):
                a[i] += L.avg_dt * (act[i] - a[i])
            lf_cos_diff(net, b, li)


# ----------------------------------------------------------------------- learning

cdef inline double lf_sig6(double w) noexcept nogil:
    """Go's SigFun61 without branches (0 at w <= 0, 1 at w >= 1)."""
    cdef double pw = (1.0 - w) / w
    cdef double v = 1.0 / (1.0 + pw * pw * pw * pw * pw * pw)
    return 0.0 if w <= 0 else (1.0 if w >= 1 else v)


cdef inline double lf_bound(double d, double lwt, double inc, double dec,
                            bint soft) noexcept nogil:
    """The weight change applied to LWt: soft bounding with the WtBal factors."""
    if soft:
        return d * (inc * (1.0 - lwt)) if d > 0 else d * (dec * lwt)
    return d * inc if d > 0 else d * dec


ctypedef struct DWtLanes:
    # LF_W synapses of a row for lf_dwt_lanes: locals, so the lane loop vectorises.
    double s_lrn[16]
    double m[16]
    double l[16]
    double l_lrn[16]
    double dwt[16]
    double norm[16]
    double mom[16]


cdef inline void lf_dwt_lanes(const PrjnC* c, double su_s_lrn, double su_m, DWtLanes* x,
                              bint norm_on, bint mom_on) noexcept nogil:
    """Go DWt of LF_W synapses: XCAL error-driven and BCM terms, Norm, Momentum,
    DWt += Lrate dwt.  norm_on / mom_on are constants at each call site."""
    cdef int r
    cdef double srs, srm, bcm, err, dd, nn, norm_f, nm
    for r in range(LF_W):
        srs = su_s_lrn * x.s_lrn[r]
        srm = su_m * x.m[r]
        bcm = lf_xcal(c, srs, x.l[r])
        err = lf_xcal(c, srs, srm)
        bcm = bcm * (c.l_lrn if c.set_l_lrn else x.l_lrn[r])
        err = err * c.m_lrn
        dd = bcm + err
        norm_f = 1.0
        if norm_on:
            nn = c.norm_decay_dt_c * x.norm[r]
            nn = fabs(dd) if fabs(dd) > nn else nn
            norm_f = 1.0 if nn == 0 else c.norm_lr_comp / (c.norm_min if nn < c.norm_min else nn)
            x.norm[r] = nn
        if mom_on:
            nm = c.mom_dt_c * x.mom[r] + dd
            x.mom[r] = nm
            dd = norm_f * (c.mom_lr_comp * nm)
        else:
            dd = dd * norm_f
        x.dwt[r] = x.dwt[r] + c.lrate * dd


cdef void lf_dwt_row(const PrjnC* p, Py_ssize_t nr, double su_s_lrn, double su_m,
                     const double* r_avg_s_lrn, const double* r_avg_m, const double* r_avg_l,
                     const double* r_avg_l_lrn, double* dwt, double* norm,
                     double* mom) noexcept nogil:
    """Go DWt of one sender's synapses (a row), in blocks of LF_W lanes (the last padded
    with copies of its last synapse, not stored)."""
    cdef PrjnC c = p[0]
    cdef DWtLanes x
    cdef Py_ssize_t r, r0, u, m, blk
    for blk in range((nr + LF_W - 1) // LF_W):
        r0 = blk * LF_W
        m = nr - r0 if nr - r0 < LF_W else LF_W
        lf_load(x.s_lrn, r_avg_s_lrn + r0, m)
        lf_load(x.m, r_avg_m + r0, m)
        lf_load(x.l, r_avg_l + r0, m)
        lf_load(x.l_lrn, r_avg_l_lrn + r0, m)
        lf_load(x.dwt, dwt + r0, m)
        lf_load(x.norm, norm + r0, m)
        lf_load(x.mom, mom + r0, m)
        if c.norm_on and c.mom_on:
            lf_dwt_lanes(&c, su_s_lrn, su_m, &x, True, True)
        elif c.norm_on:
            lf_dwt_lanes(&c, su_s_lrn, su_m, &x, True, False)
        elif c.mom_on:
            lf_dwt_lanes(&c, su_s_lrn, su_m, &x, False, True)
        else:
            lf_dwt_lanes(&c, su_s_lrn, su_m, &x, False, False)
        for r in range(m):
            dwt[r0 + r] = x.dwt[r]
            norm[r0 + r] = x.norm[r]
            mom[r0 + r] = x.mom[r]


ctypedef struct WtLanes:
    # LF_W synapses of a row for lf_wt_lanes: locals, so the lane loop vectorises.
    double d[16]
    double lwt[16]
    double wt[16]
    double inc[16]
    double dec[16]


cdef inline void lf_wt_lanes(WtLanes* x, bint soft) noexcept nogil:
    """WtFmDWt of LF_W synapses with SIG gain 6: where DWt != 0, LWt += bounded DWt
    (clipped to [0, 1]) and Wt = SIG(LWt)."""
    cdef int r
    cdef double d, lw, w
    for r in range(LF_W):
        d = x.d[r]
        lw = lf_clip(x.lwt[r] + lf_bound(d, x.lwt[r], x.inc[r], x.dec[r], soft), 0.0, 1.0)
        w = lf_sig6(lw)
        x.lwt[r] = lw if d != 0 else x.lwt[r]
        x.wt[r] = w if d != 0 else x.wt[r]


cdef void lf_wt_row(const PrjnC* p, Py_ssize_t nr, const double* wb_inc, const double* wb_dec,
                    double* wt, double* lwt, double* dwt) noexcept nogil:
    """Go WtFmDWt of a full row: where DWt != 0, LWt += bounded DWt (clipped to [0, 1]),
    Wt = SIG(LWt); DWt = 0."""
    cdef PrjnC c = p[0]
    cdef WtLanes x
    cdef Py_ssize_t r, r0, u, m, blk
    cdef double d, lw
    if c.sig6:
        for blk in range((nr + LF_W - 1) // LF_W):
            r0 = blk * LF_W
            m = nr - r0 if nr - r0 < LF_W else LF_W
            lf_load(x.d, dwt + r0, m)
            lf_load(x.lwt, lwt + r0, m)
            lf_load(x.wt, wt + r0, m)
            if c.wb_on:
                lf_load(x.inc, wb_inc + r0, m)
                lf_load(x.dec, wb_dec + r0, m)
            else:
                lf_fill(x.inc, 1.0)
                lf_fill(x.dec, 1.0)
            if c.soft_bound:
                lf_wt_lanes(&x, True)
            else:
                lf_wt_lanes(&x, False)
            for r in range(m):
                lwt[r0 + r] = x.lwt[r]
                wt[r0 + r] = x.wt[r]
                dwt[r0 + r] = 0.0
    else:
        for r in range(nr):
            d = dwt[r]
            if d != 0:
                lw = lf_clip(lwt[r] + lf_bound(d, lwt[r], wb_inc[r] if c.wb_on else 1.0,
                                               wb_dec[r] if c.wb_on else 1.0, c.soft_bound),
                             0.0, 1.0)
                lwt[r] = lw
                wt[r] = lf_sig(&c, lw)
            dwt[r] = 0.0


cdef inline void lf_learn_span(const PrjnC* c, Py_ssize_t nr, double su_s_lrn, double su_m,
                               cdouble_r s_lrn, cdouble_r m, cdouble_r l, cdouble_r l_lrn,
                               cdouble_r inc, cdouble_r dec, double_r norm, double_r mom,
                               double_r lwt, double_r wt, bint norm_on, bint mom_on,
                               bint soft, bint wb) noexcept nogil:
    """lf_dwt_lanes' then lf_wt_lanes' operations straight on a full row's arrays (restrict: the row's
    planes and the receivers' arrays never overlap, so GCC vectorises the loop without
    copies into lane blocks; the flags are constants at each call site)."""
    cdef Py_ssize_t r
    cdef double srs, srm, bcm, err, dd, nn, norm_f, nm, d, lw, w, lw0, ic, dc
    for r in range(nr):
        srs = su_s_lrn * s_lrn[r]
        srm = su_m * m[r]
        bcm = lf_xcal(c, srs, l[r])
        err = lf_xcal(c, srs, srm)
        bcm = bcm * (c.l_lrn if c.set_l_lrn else l_lrn[r])
        err = err * c.m_lrn
        dd = bcm + err
        norm_f = 1.0
        if norm_on:
            nn = c.norm_decay_dt_c * norm[r]
            nn = fabs(dd) if fabs(dd) > nn else nn
            norm_f = 1.0 if nn == 0 else c.norm_lr_comp / (c.norm_min if nn < c.norm_min else nn)
            norm[r] = nn
        if mom_on:
            nm = c.mom_dt_c * mom[r] + dd
            mom[r] = nm
            dd = norm_f * (c.mom_lr_comp * nm)
        else:
            dd = dd * norm_f
        d = 0.0 + c.lrate * dd
        lw0 = lwt[r]
        ic = inc[r] if wb else 1.0
        dc = dec[r] if wb else 1.0
        lw = lf_clip(lw0 + lf_bound(d, lw0, ic, dc, soft), 0.0, 1.0)
        w = lf_sig6(lw)
        lwt[r] = lw if d != 0 else lw0
        wt[r] = w if d != 0 else wt[r]


cdef void lf_learn_row(const PrjnC* p, Py_ssize_t nr, double su_s_lrn, double su_m,
                       const double* r_avg_s_lrn, const double* r_avg_m, const double* r_avg_l,
                       const double* r_avg_l_lrn, const double* wb_inc, const double* wb_dec,
                       double* norm, double* mom, double* lwt, double* wt) noexcept nogil:
    """DWt then WtFmDWt (SIG gain 6) of a full row whose DWt is zero (lf_learn_span),
    the usual flag sets compiled with the flags as constants."""
    cdef PrjnC c = p[0]
    if c.norm_on and c.mom_on and c.soft_bound and not c.wb_on:
        lf_learn_span(&c, nr, su_s_lrn, su_m, r_avg_s_lrn, r_avg_m, r_avg_l, r_avg_l_lrn,
                      wb_inc, wb_dec, norm, mom, lwt, wt, True, True, True, False)
    elif not c.norm_on and not c.mom_on and c.soft_bound and not c.wb_on:
        lf_learn_span(&c, nr, su_s_lrn, su_m, r_avg_s_lrn, r_avg_m, r_avg_l, r_avg_l_lrn,
                      wb_inc, wb_dec, norm, mom, lwt, wt, False, False, True, False)
    else:
        lf_learn_span(&c, nr, su_s_lrn, su_m, r_avg_s_lrn, r_avg_m, r_avg_l, r_avg_l_lrn,
                      wb_inc, wb_dec, norm, mom, lwt, wt, c.norm_on, c.mom_on, c.soft_bound,
                      c.wb_on)


cdef inline void lf_norm_to_max(double* norm, Py_ssize_t n) noexcept nogil:
    """Go's sender-level Norm: every synapse of the row takes the row's max (from 0).
    Eight running maxima side by side, then theirs: one dependent vmaxsd per synapse
    took 4% of a trial at N = 625.  A max is exact, and Norm values are >= +0 (no -0
    to tie with), so the same value whatever the order."""
    cdef double m8[8]
    cdef double mx = 0.0
    cdef Py_ssize_t i = 0, j
    for j in range(8):
        m8[j] = 0.0
    while i + 8 <= n:
        for j in range(8):
            m8[j] = norm[i + j] if norm[i + j] > m8[j] else m8[j]
        i += 8
    while i < n:
        mx = norm[i] if norm[i] > mx else mx
        i += 1
    for j in range(8):
        mx = m8[j] if m8[j] > mx else mx
    for i in range(n):
        norm[i] = mx


cdef void lf_learn_prjn(const Net* net, Py_ssize_t b, const PrjnC* p, bint dwt_clean,
                        Py_ssize_t s0, Py_ssize_t s1) noexcept nogil:
    """Go DWt then WtFmDWt of one projection, fused row by row (a sender's synapses are
    contiguous and stay in L1 between the passes): DWt of the row (lf_dwt_row), Norm set
    to its max over the row, then the weight update (lf_wt_row).  WtFmDWt does not read
    other rows, and the WtBal factors change only after it, so fusing changes no value.
    Rows of senders that do not learn (AvgS and AvgM below LrnThr) change only where DWt
    != 0, which cannot happen when ``dwt_clean`` (all DWt zero before the call).
    Projections with a partial mask take the same steps synapse by synapse.  Senders
    s0 .. s1-1 (rows are independent: threads take slices of them)."""
    cdef const LayerC* SL = &net.lc[p.send]
    cdef const LayerC* RL = &net.lc[p.recv]
    cdef const double* s_avg_s = lf_u(net, U_AVG_S, b, SL)
    cdef const double* s_avg_m = lf_u(net, U_AVG_M, b, SL)
    cdef const double* s_avg_s_lrn = lf_u(net, U_AVG_S_LRN, b, SL)
    cdef const double* r_avg_s_lrn = lf_u(net, U_AVG_S_LRN, b, RL)
    cdef const double* r_avg_m = lf_u(net, U_AVG_M, b, RL)
    cdef const double* r_avg_l = lf_u(net, U_AVG_L, b, RL)
    cdef const double* r_avg_l_lrn = lf_u(net, U_AVG_L_LRN, b, RL)
    cdef const double* wb_inc = lf_r(net, R_WB_INC, b, p)
    cdef const double* wb_dec = lf_r(net, R_WB_DEC, b, p)
    cdef double* wt0 = lf_s(net, S_WT, b, p)
    cdef double* lwt0 = lf_s(net, S_LWT, b, p)
    cdef double* dwt0 = lf_s(net, S_DWT, b, p)
    cdef double* norm0 = lf_s(net, S_NORM, b, p)
    cdef double* mom0 = lf_s(net, S_MOMENT, b, p)
    cdef const unsigned char* mask0 = lf_m(net, p)
    cdef const unsigned char* mask
    cdef double* norm
    cdef Py_ssize_t s, r, o, nr = p.nr
    cdef bint active
    cdef double mx
    cdef double d1[1]
    cdef double n1[1]
    cdef double m1[1]
    lf_check(0 <= s0 <= s1 <= p.ns, b"sender slice of a projection (learning)")
    for s in range(s0, s1):
        active = not (s_avg_s[s] < p.lrn_thr and s_avg_m[s] < p.lrn_thr)
        if not active and dwt_clean:
            continue
        o = s * nr
        norm = norm0 + o
        mask = mask0 + o
        if p.full and active and dwt_clean and p.sig6:
            lf_learn_row(p, nr, s_avg_s_lrn[s], s_avg_m[s], r_avg_s_lrn, r_avg_m, r_avg_l,
                         r_avg_l_lrn, wb_inc, wb_dec, norm, mom0 + o, lwt0 + o, wt0 + o)
            if p.norm_on:
                lf_norm_to_max(norm, nr)
            continue
        if p.full:
            if active:
                lf_dwt_row(p, nr, s_avg_s_lrn[s], s_avg_m[s], r_avg_s_lrn, r_avg_m, r_avg_l,
                           r_avg_l_lrn, dwt0 + o, norm, mom0 + o)
                if p.norm_on:
                    lf_norm_to_max(norm, nr)
            lf_wt_row(p, nr, wb_inc, wb_dec, wt0 + o, lwt0 + o, dwt0 + o)
            continue
        mx = 0.0
        for r in range(nr):
            if not mask[r]:
                continue
            if active:
                d1[0], n1[0], m1[0] = dwt0[o + r], norm[r], mom0[o + r]
                lf_dwt_row(p, 1, s_avg_s_lrn[s], s_avg_m[s], r_avg_s_lrn + r, r_avg_m + r,
                           r_avg_l + r, r_avg_l_lrn + r, d1, n1, m1)
                dwt0[o + r], norm[r], mom0[o + r] = d1[0], n1[0], m1[0]
                mx = norm[r] if norm[r] > mx else mx
            lf_wt_row(p, 1, wb_inc + r, wb_dec + r, wt0 + o + r, lwt0 + o + r, dwt0 + o + r)
        if active and p.norm_on:
            for r in range(nr):
                if mask[r]:
                    norm[r] = mx


cdef void lf_wt_bal(const Net* net, Py_ssize_t b, const PrjnC* p, Scratch* sc) noexcept nogil:
    """Go WtBalFmWt: per receiver, the mean of its weights >= AvgThr sets Inc / Dec."""
    cdef const double* wt0 = lf_s(net, S_WT, b, p)
    cdef const unsigned char* mask0 = lf_m(net, p)
    cdef const unsigned char* ht = lf_f(net, F_HAS_TARG, b, &net.lc[p.recv])
    cdef double* wb_avg = lf_r(net, R_WB_AVG, b, p)
    cdef double* wb_fact = lf_r(net, R_WB_FACT, b, p)
    cdef double* wb_inc = lf_r(net, R_WB_INC, b, p)
    cdef double* wb_dec = lf_r(net, R_WB_DEC, b, p)
    cdef double* acc = sc.acc
    cdef double* cnt = sc.cnt
    cdef double* ncon = sc.d
    cdef Py_ssize_t s, r, nr = p.nr
    cdef double w, avg, lo_avg, lo_fact, hi_fact, lo_dec, hi_inc
    lf_check(nr <= net.max_n, b"WtBal scratch (acc, cnt)")
    for r in range(nr):
        acc[r] = 0.0
        cnt[r] = 0.0
        ncon[r] = 0.0
    for s in range(p.ns):
        for r in range(nr):
            if p.full or mask0[s * nr + r]:
                ncon[r] += 1.0
                w = wt0[s * nr + r]
                if w >= p.wb_avg_thr:
                    acc[r] = acc[r] + w
                    cnt[r] += 1.0
    for r in range(nr):
        if not (ncon[r] > 1 and not ht[r]):
            continue
        avg = acc[r] / cnt[r] if cnt[r] > 0 else 0.0
        lo_avg = p.wb_avg_thr if avg < p.wb_avg_thr else avg
        lo_fact = p.wb_lo_gain * (p.wb_lo_thr - lo_avg)
        hi_fact = p.wb_hi_gain * (avg - p.wb_hi_thr)
        wb_avg[r] = avg
        if avg < p.wb_lo_thr:
            lo_dec = 1.0 / (1.0 + lo_fact)
            wb_fact[r] = lo_fact
            wb_inc[r] = 2.0 - lo_dec
            wb_dec[r] = lo_dec
        elif avg > p.wb_hi_thr:
            hi_inc = 1.0 / (1.0 + hi_fact)
            wb_fact[r] = hi_fact
            wb_inc[r] = hi_inc
            wb_dec[r] = 2.0 - hi_inc
        else:
            wb_fact[r] = 0.0
            wb_inc[r] = 1.0
            wb_dec[r] = 1.0


# ----------------------------------------------------------------------- trials

cdef void lf_record_trial(const Net* net, Py_ssize_t b, Py_ssize_t t) noexcept nogil:
    """Trial variables, then the layer statistics (act_m_avg, act_p_avg, sse, cos_diff)."""
    cdef int tv[9]
    tv[0], tv[1], tv[2], tv[3], tv[4] = U_ACT_Q0, U_ACT_Q1, U_ACT_Q2, U_ACT_M, U_ACT_P
    tv[5], tv[6], tv[7], tv[8] = U_ACT_DIF, U_AVG_L, U_AVG_L_LRN, U_ACT_AVG
    cdef Py_ssize_t k, i, li, nb = net.n_batch, nt = net.n_trials
    cdef const LayerC* L
    cdef double* st
    cdef const double* x
    cdef const double* y
    cdef double sse, d
    lf_check(0 <= t < nt and 0 <= b < nb, b"rec_trial / rec_stats (trial, copy)")
    for k in range(N_TRIAL_VARS):
        lf_copy(net.rec_trial + ((k * nt + t) * nb + b) * net.n_tot,
                net.U + (tv[k] * nb + b) * net.n_tot, net.n_tot)
    for li in range(net.n_layers):
        L = &net.lc[li]
        st = net.rec_stats + (t * nb + b) * net.n_layers + li
        st[0] = lf_p(net, P_ACT_M_AVG, b, L)[0]
        st[nt * nb * net.n_layers] = lf_p(net, P_ACT_P_AVG, b, L)[0]
        x = lf_u(net, U_TARG if L.kind == K_COMPARE else U_ACT_P, b, L)
        y = lf_u(net, U_ACT_M, b, L)
        sse = 0.0
        for i in range(L.n):
            d = x[i] - y[i]
            if not (fabs(d) < net.sse_tol):
                sse = sse + d * d
        st[2 * nt * nb * net.n_layers] = sse
        st[3 * nt * nb * net.n_layers] = lf_l(net, L_COS, b, li)[0]


cdef void lf_team_probe(Team* tm, Py_ssize_t t) noexcept nogil:
    """The round trip of a cache line between thread 0 and each other thread of the team
    (called by all of them at once; each line counts on from its last value): thread 0
    writes a line, thread k answers on another, LF_PROBE times in four timed batches;
    thread 0 sets tm.rtt to the largest over threads of the shortest batch's mean.  A
    team's threads exchange lines at every step of a cycle (sender lists, running sums,
    the receivers another thread sent into): where the round trip is long (cores on
    different dies of the host: 0.5 us on this project's VM at times, 0.1 us at others)
    the team ran slower than one thread, and it goes solo (lf_run_copy)."""
    cdef Py_ssize_t k, i, j
    cdef long long v, v0, spins
    cdef double best, worst = 0.0, t0, dt
    if t == 0:
        for k in range(1, tm.n):
            best = 1.0
            v0 = lfn_load(&tm.pp[(2 * k + 1) * LF_LINE])
            for j in range(4):
                t0 = lf_now()
                for i in range(LF_PROBE // 4):
                    v = v0 + j * (LF_PROBE // 4) + i + 1
                    lfn_store(&tm.pp[2 * k * LF_LINE], v)
                    spins = 0
                    while lfn_load(&tm.pp[(2 * k + 1) * LF_LINE]) < v:
                        spins += 1
                        lf_spin(spins)
                dt = (lf_now() - t0) / <double>(LF_PROBE // 4)
                best = dt if dt < best else best
            worst = best if best > worst else worst
        tm.rtt = worst
    else:
        v0 = lfn_load(&tm.pp[(2 * t + 1) * LF_LINE])
        for i in range(LF_PROBE):
            v = v0 + i + 1
            spins = 0
            while lfn_load(&tm.pp[2 * t * LF_LINE]) < v:
                spins += 1
                lf_spin(spins)
            lfn_store(&tm.pp[(2 * t + 1) * LF_LINE], v)


cdef void lf_run_copy(const Net* net, Py_ssize_t b, Scratch* sc, Team* tm, Py_ssize_t t,
                      long long* step, Scratch* sc1, Team* tm1) noexcept nogil:
    """All trials of batch copy b: the part of thread t of the team.  Thread 0 alone
    runs what is not per unit (patterns and trial start, quarter ends, the trial's
    records, WtBal) between barriers; learning takes slices of each projection's
    senders (their rows are independent).

    A team one of whose threads had less than ``net.team_busy_min`` (80%) of a core in
    two trials running (CPU time over wall time: the machine's cores are taken by other
    work, and the threads would wait for each other's time slices at every step), or
    whose cache lines took longer than ``net.team_rtt_max`` to go between its threads
    and back at the start of two trials running (lf_team_probe, which thread 0 reads
    before the trial's barrier), gives the copy's other trials to thread 0 alone
    (``sc1``/``tm1``, a team of one); the bits do not depend on who computes what."""
    cdef Py_ssize_t tr, q, cyc, li, k, ci, u0, nb = net.n_batch, nt = net.n_trials
    cdef Py_ssize_t nl = net.n_layers, ncyc = 4 * net.cyc_per_qtr
    cdef long long ctr = net.wt_bal_ctr0
    cdef long long n_sent = 0
    cdef const PrjnC* p
    cdef const LayerC* L
    cdef bint clean = net.dwt_clean
    cdef Team* cur = tm
    cdef unsigned char* run
    cdef double wall0 = 0.0, cpu0 = 0.0, wall, cpu, least
    cdef int low = 0, far = 0
    if t == 0 and net.solo_at != NULL:
        net.solo_at[b] = -1
    for tr in range(nt):
        if tm.n > 1 and cur == tm and tm1 != NULL:
            lf_team_probe(tm, t)
            wall, cpu = lf_now(), lf_cpu_now()
            if tr > 0 and wall > wall0:
                tm.busy[t * LF_LINE] = (cpu - cpu0) / (wall - wall0)
            wall0, cpu0 = wall, cpu
        if t == 0 and tm.n > 1 and cur == tm and tm1 != NULL:
            least = 1.0
            for k in range(tm.n if tr > 1 else 0):
                least = tm.busy[k * LF_LINE] if tm.busy[k * LF_LINE] < least else least
            low = low + 1 if least < net.team_busy_min else 0
            far = far + 1 if tm.rtt > net.team_rtt_max else 0
            tm.solo = low >= 2 or far >= 2 or 0 <= net.solo_from <= tr
        if t == 0:
            for li in range(nl):
                lf_check(net.lc[li].off + net.lc[li].n <= net.n_tot, b"pats (layer span)")
                lf_apply_pattern(net, b, &net.lc[li],
                                 net.pats + (tr * nb + b) * net.n_tot + net.lc[li].off)
            lf_alpha_cyc_init(net, b)
        lf_barrier(cur)
        if cur == tm and tm.solo:
            if t > 0:
                return
            cur, sc = tm1, sc1
            t = 0
            if net.solo_at != NULL:
                net.solo_at[b] = tr
        run = sc.run + t * sc.run_stride
        for q in range(4):
            # Ext, HasExt and Act change between quarters (patterns, decay, the plus
            # phase's targets): lf_act_from_g's clamp-only passes count from here
            memset(run, 0, 2 * nl)
            for cyc in range(net.cyc_per_qtr):
                if cur.n == 1:
                    n_sent += lf_cycle_solo(net, b, sc, step, run)
                else:
                    n_sent += lf_cycle(net, b, sc, cur, t, step, run)
                ci = q * net.cyc_per_qtr + cyc
                for k in range(net.n_rec):
                    lf_check(0 <= net.rec_vars[k] < U_N and ci < ncyc, b"rec_cyc / rec_vars")
                    for li in range(nl):
                        L = &net.lc[li]
                        u0 = L.off + lf_own0(cur, t, nl, li)
                        lf_copy(net.rec_cyc + (((k * nt + tr) * ncyc + ci) * nb + b) * net.n_tot + u0,
                                net.U + (net.rec_vars[k] * nb + b) * net.n_tot + u0,
                                L.off + lf_own1(cur, t, nl, li) - u0)
            lf_barrier(cur)
            if t == 0:
                lf_quarter_final(net, b, q)
            lf_barrier(cur)
        if t == 0:
            lf_record_trial(net, b, tr)
        if net.learn:
            for k in range(net.n_prjns):
                p = &net.pc[k]
                if p.learn:
                    lf_learn_prjn(net, b, p, clean, lf_cut(p.ns, t, cur.n),
                                  lf_cut(p.ns, t + 1, cur.n))
            clean = True
            ctr += 1
            lf_barrier(cur)
            if ctr >= net.wt_bal_interval:
                ctr = 0
                for k in range(net.n_prjns if t == 0 else 0):
                    if net.pc[k].learn and net.pc[k].wb_on and not net.pc[k].wb_skip:
                        lf_wt_bal(net, b, &net.pc[k], sc)
    if net.wt_out != NULL:
        # the final weights out, each thread its rows (after WtBal, which changes none)
        lf_barrier(cur)
        for k in range(net.n_prjns):
            p = &net.pc[k]
            lf_copy(net.wt_out + p.syn_off + (b * p.ns + lf_cut(p.ns, t, cur.n)) * p.nr,
                    lf_s(net, S_WT, b, p) + lf_cut(p.ns, t, cur.n) * p.nr,
                    (lf_cut(p.ns, t + 1, cur.n) - lf_cut(p.ns, t, cur.n)) * p.nr)
    if t == 0:
        net.n_sent[b] = n_sent
        net.wt_bal_ctr_out[b] = ctr


cdef double lf_unit_cost(const Net* net, Py_ssize_t li) noexcept nogil:
    """Rough cost of one unit of layer li in a cycle, in the steps a thread's own units
    take (the sending is shared out anew every cycle, lf_scatter_share, so it is not
    here): deciding to send, GFmInc (plus one per receiving projection), the layer sums,
    Gi and ActFmG with the learning averages.  Measured on emergent's bench network at
    N = 625, one thread, instrumented (time stamp counts per unit and cycle): a hidden
    unit about 20 + 1 per projection (ActFmG 14), a hard-clamped input's 13 (its clamp
    and averages: 6.5), a hard-clamped target's 2 less than a hidden one (clamped in
    the plus phase, a quarter of the cycles).  (The model before, with an estimate of
    the sending and a clamped input at a fifth of a hidden unit, gave the first thread
    the bench net's input, first hidden and 95% of the second hidden layer, 56% of this
    work, and the second thread waited: 2 threads 2-3% faster now at N = 625 and 1024,
    old and new in one process.  Rates measured in the previous trial, re-cutting every
    trial, ran slower.)  Since a wholly clamped slice skips its clamp and its sending
    decisions after a quarter's first cycle (lf_act_from_g, lf_send_quiet), an input
    unit costs about 6: its ActFmG fell to a sixth of a hidden unit's, and at 13 the
    first thread waited at the barriers three times as long as the second (0.6 against
    0.2 of a 2.7 ms cycle share per trial); at 6 both wait about 0.25."""
    cdef const LayerC* L = &net.lc[li]
    cdef double c = 6.0 if L.hard and L.kind == K_INPUT else 20.0
    if L.hard and L.kind == K_TARGET:
        c -= 2.0
    return c + <double>(L.recv1 - L.recv0)


cdef void lf_team_cuts(const Net* net, Py_ssize_t n, Py_ssize_t* own) noexcept nogil:
    """Each thread's units: one contiguous run of the layers' units (in layer order) of
    about equal cost (lf_unit_cost), cut at whole pools or whole LF_W blocks.  (Cutting
    at the nearest layer end instead, when within 6% of a share, so that fewer layers
    are shared, measured no faster.)  Threads owning slices of every layer ran
    no faster than one thread: the hardware prefetchers, streaming past the end of a
    thread's slice, pulled lines the next thread was writing."""
    cdef Py_ssize_t t, li, q, c, nl = net.n_layers
    cdef double total = 0.0, before, x, w, target
    cdef const LayerC* L
    for li in range(nl):
        total += lf_unit_cost(net, li) * <double>net.lc[li].n
    for t in range(n + 1):
        target = total * <double>t / <double>n
        before = 0.0
        for li in range(nl):
            L = &net.lc[li]
            w = lf_unit_cost(net, li)
            x = (target - before) / w
            q = L.pool_size if L.n_pools else LF_W
            c = <Py_ssize_t>floor(x / <double>q + 0.5) * q if x > 0 else 0
            c = L.n if t == n or c > L.n or x >= <double>L.n - 0.5 else c
            if t < n:
                own[(t * nl + li) * 2] = c
            if t > 0:
                own[((t - 1) * nl + li) * 2 + 1] = c
            before += w * <double>L.n


cdef void* lf_team_alloc(const Net* net, Py_ssize_t n, Scratch* sc, Team* tm) noexcept nogil:
    """Scratch and team of n threads for one batch copy at a time, in one block (NULL if
    out of memory; free() it after the run)."""
    cdef Py_ssize_t nl = net.n_layers, t, li
    cdef Py_ssize_t* own
    cdef Py_ssize_t* ender
    cdef Py_ssize_t* head
    cdef Py_ssize_t* tail
    cdef Py_ssize_t u0, u1
    cdef void* mem = malloc((4 * net.n_tot + 2 * net.max_n + 5 * n * nl + nl + 2 * n) * 8
                            + n * LF_LINE * sizeof(double)
                            + 3 * n * LF_LINE * sizeof(long long)
                            + 2 * n * nl * 3 * sizeof(double) + 64
                            + n * 64 * ((2 * nl + 63) // 64) + 64)
    if mem == NULL:
        return NULL
    sc.run_stride = 64 * ((2 * nl + 63) // 64)
    sc.d = <double*>mem                 # two buffers (lf_cycle)
    sc.acc = sc.d + 2 * net.n_tot
    sc.cnt = sc.acc + net.max_n
    tm.part = sc.cnt + net.max_n
    sc.idx = <Py_ssize_t*>(tm.part + 2 * n * nl * 3)
    sc.n_send = sc.idx + 2 * net.n_tot       # two buffers of (n, n_layers)
    own = sc.n_send + 2 * n * nl
    ender = own + 2 * n * nl
    head = ender + nl
    tail = head + n
    tm.posted = <long long*>(tail + n)
    tm.busy = <double*>(tm.posted + n * LF_LINE)
    tm.pp = <long long*>(tm.busy + n * LF_LINE)
    sc.run = <unsigned char*>(tm.pp + 2 * n * LF_LINE)
    sc.run += (64 - <size_t>sc.run % 64) % 64      # on a cache line's start
    for t in range(n):
        tm.posted[t * LF_LINE] = 0
        tm.posted[t * LF_LINE + 1] = 0
        tm.busy[t * LF_LINE] = 1.0
        tm.pp[2 * t * LF_LINE] = 0
        tm.pp[(2 * t + 1) * LF_LINE] = 0
    tm.rtt = 0.0
    lf_team_cuts(net, n, own)
    for li in range(nl):
        for t in range(n):
            if own[(t * nl + li) * 2 + 1] == net.lc[li].n and own[(t * nl + li) * 2] < net.lc[li].n:
                ender[li] = t
    for t in range(n):
        head[t] = -1
        tail[t] = -1
        for li in range(nl):
            u0, u1 = own[(t * nl + li) * 2], own[(t * nl + li) * 2 + 1]
            if 0 < u0 < net.lc[li].n:
                head[t] = li
            if 0 < u1 < net.lc[li].n or (u0 == u1 and 0 < u0 < net.lc[li].n):
                tail[t] = li
    tm.own = own
    tm.ender = ender
    tm.head = head
    tm.tail = tail
    tm.n = n
    tm.count = 0
    tm.gen = 0
    tm.solo = 0
    return mem


cdef bint lf_same_layer(const LayerC* a, const LayerC* b) noexcept nogil:
    """Layer tables of two batch copies describe the same structure (their parameters
    may differ): scratch and the team's cuts are sized from copy 0's."""
    return (a.off == b.off and a.n == b.n and a.n_pad == b.n_pad and a.pool_off == b.pool_off
            and a.n_pools == b.n_pools and a.pool_size == b.pool_size and a.kind == b.kind
            and a.pat_mode == b.pat_mode and a.send0 == b.send0 and a.send1 == b.send1
            and a.recv0 == b.recv0 and a.recv1 == b.recv1)


cdef bint lf_same_prjn(const PrjnC* a, const PrjnC* b) noexcept nogil:
    """Projection tables of two batch copies describe the same structure."""
    return (a.send == b.send and a.recv == b.recv and a.syn_off == b.syn_off
            and a.mask_off == b.mask_off and a.recv_off == b.recv_off and a.ns == b.ns
            and a.nr == b.nr and a.inhib == b.inhib and a.full == b.full)


cdef int lf_run_alone(const Net* net, Py_ssize_t b) noexcept nogil:
    """All trials of batch copy b on this thread (a team of one); returns a status code."""
    cdef Scratch sc
    cdef Team tm
    cdef long long step = 0
    cdef void* mem = lf_team_alloc(net, 1, &sc, &tm)
    if mem == NULL:
        return STATUS_NO_MEMORY_
    lf_run_copy(net, b, &sc, &tm, 0, &step, NULL, NULL)
    free(mem)
    return STATUS_OK_


# ------------------------------------------------------------------- entry point

STATUS_OK = STATUS_OK_
STATUS_BAD_ARGS = STATUS_BAD_ARGS_
OPENMP = bool(LEABRA_FAST_OPENMP)
DEBUG_BUILD = bool(LEABRA_FAST_DEBUG)
#: Sizes of the packed state's variable axes (checked against leabra_fast.network.layout).
N_UNIT_VARS = U_N
N_FLAGS = F_N
N_POOL_VARS = P_N
N_LAYER_VARS = L_N
N_SYN_VARS = S_N
N_RECV_VARS = R_N


def run_trials(
    list layers,
    list prjns,
    const Py_ssize_t[::1] send_list,
    const Py_ssize_t[::1] recv_list,
    double[:, :, ::1] U,
    unsigned char[:, :, ::1] F,
    double[:, :, ::1] P,
    double[:, :, ::1] LV,
    double[:, ::1] S,
    const unsigned char[::1] M,
    double[:, :, ::1] R,
    double[:, ::1] G,
    const double[:, :, ::1] pats,
    const Py_ssize_t[::1] rec_vars,
    double[:, :, :, :, ::1] rec_cyc,
    double[:, :, :, ::1] rec_trial,
    double[:, :, :, ::1] rec_stats,
    long long[::1] n_sent,
    long long[::1] wt_bal_ctr,
    Py_ssize_t cyc_per_qtr,
    Py_ssize_t wt_bal_interval,
    bint learn,
    bint update_act_avg,
    bint dwt_clean,
    double sse_tol,
    int n_threads=1,
    double[::1] wt_out=None,
    long long[::1] solo_at=None,
    bint _validate=True,
    Py_ssize_t _solo_from=-1,
    double _team_rtt_max=3e-7,
    double _team_busy_min=0.8,
):
    """Run ``pats.shape[0]`` trials of every batch copy in place; return a status code.

    The arguments come from :mod:`leabra_fast.network.compiled_backend`, which validates
    them; only sizes are re-checked here (``STATUS_BAD_ARGS`` instead of reading out of
    bounds).  ``layers`` / ``prjns`` are dicts of the ``LayerC`` / ``PrjnC`` fields:
    ``nL = LV.shape[2]`` / ``nP = G.shape[1]`` of them, shared by every batch copy, or
    ``n_batch * nL`` / ``n_batch * nP`` (copy b's at ``[b * nL : (b + 1) * nL]``), one
    set per copy: the parameters (doubles and flags such as ``hard``, ``norm_on``) may
    then differ between copies, the structure (offsets, sizes, kinds, pattern modes,
    projection lists, ``inhib``, ``full``) must equal copy 0's (``STATUS_BAD_ARGS``).
    Threads run batch copies (``n_threads`` > 1, OpenMP builds), or, with fewer copies
    than threads, each copy as a team (``Team``); the bits do not depend on the thread
    count.  ``wt_bal_ctr[0]`` is the WtBal counter in and out.  ``wt_out`` (optional,
    ``S[0]``'s size) receives the weights after the last trial, copied by the threads;
    ``solo_at`` (optional, per copy) the trial from which a team of threads left the copy
    to thread 0 alone (its cores were taken), or -1.  ``_validate=False`` (debug build only, for its tests) skips the
    table checks so that the kernel's own index checks meet a bad table.  ``_solo_from``
    (tests): a team of threads hands the copy to thread 0 alone from that trial on, as it
    does when its cores are taken by other work.  ``_team_rtt_max`` (s): a team whose
    threads' cache-line round trip (lf_team_probe) is longer at the start of two trials
    running hands the copy to thread 0 alone, and so does one whose threads had less
    than ``_team_busy_min`` of a core (CPU time over wall time) in two trials running.
    """
    cdef Net net
    cdef Net* nets = NULL
    cdef Shared* sh = NULL
    cdef void* team_mem = NULL
    cdef void* solo_mem = NULL
    cdef Py_ssize_t tid, bb
    cdef long long step
    cdef Py_ssize_t nL = LV.shape[2], nP = G.shape[1], i, b, nb = U.shape[1]
    cdef Py_ssize_t n_lc = len(layers), n_pc = len(prjns), cl, cp
    cdef Py_ssize_t nt = pats.shape[0], ncyc = 4 * cyc_per_qtr, need, max_n = 1
    cdef LayerC* lc
    cdef PrjnC* pc
    cdef int status = STATUS_OK_
    cdef int* st
    cdef long long[::1] ctr_out
    if not _validate and not LEABRA_FAST_DEBUG:
        raise ValueError("_validate=False needs the debug build (LEABRA_FAST_DEBUG=1)")
    if (nL < 1 or U.shape[0] != U_N or F.shape[0] != F_N or P.shape[0] != P_N
            or LV.shape[0] != L_N or S.shape[0] != S_N or R.shape[0] != R_N
            or F.shape[1] != nb or P.shape[1] != nb or LV.shape[1] != nb or R.shape[1] != nb
            or F.shape[2] != U.shape[2] or G.shape[0] != nb
            or (n_lc != nL and n_lc != nb * nL) or (n_pc != nP and n_pc != nb * nP)
            or pats.shape[1] != nb or pats.shape[2] != U.shape[2]
            or rec_cyc.shape[0] != rec_vars.shape[0] or cyc_per_qtr < 1
            or wt_bal_interval < 1 or n_threads < 1 or wt_bal_ctr.shape[0] != 1
            or n_sent.shape[0] != nb or rec_trial.shape[0] != N_TRIAL_VARS
            or rec_stats.shape[0] != N_STATS or rec_trial.shape[1] != nt
            or rec_stats.shape[1] != nt or rec_trial.shape[2] != nb
            or rec_stats.shape[2] != nb or rec_trial.shape[3] != U.shape[2]
            or rec_stats.shape[3] != nL
            or (wt_out is not None and wt_out.shape[0] != S.shape[1])
            or (solo_at is not None and solo_at.shape[0] != nb)):
        return STATUS_BAD_ARGS_
    if rec_vars.shape[0] and (rec_cyc.shape[1] != nt or rec_cyc.shape[2] != ncyc
                              or rec_cyc.shape[3] != nb or rec_cyc.shape[4] != U.shape[2]):
        return STATUS_BAD_ARGS_
    for i in range(rec_vars.shape[0]):
        if rec_vars[i] < 0 or rec_vars[i] >= U_N:
            return STATUS_BAD_ARGS_
    if nt == 0:
        return STATUS_OK_
    # copies of the tables: 1 (shared) or nb (one set per copy)
    cl = 1 if n_lc == nL else nb
    cp = 1 if n_pc == nP else nb
    lc = <LayerC*>malloc(n_lc * sizeof(LayerC))
    pc = <PrjnC*>malloc((n_pc if n_pc else 1) * sizeof(PrjnC))
    st = <int*>malloc(nb * sizeof(int))
    nets = <Net*>malloc(nb * sizeof(Net))
    ctr_out = n_sent.copy()
    try:
        if lc == NULL or pc == NULL or st == NULL or nets == NULL:
            raise MemoryError("leabra_fast network kernel: cannot allocate its tables")
        for i in range(n_lc):
            lc[i] = layers[i]
            max_n = max(max_n, lc[i].n)
        for i in range(n_pc):
            pc[i] = prjns[i]
        for i in range(nL, n_lc if _validate else 0):
            if not lf_same_layer(&lc[i], &lc[i % nL]):
                return STATUS_BAD_ARGS_
        for i in range(nP, n_pc if _validate else 0):
            if not lf_same_prjn(&pc[i], &pc[i % nP]):
                return STATUS_BAD_ARGS_
        for i in range(nL):
            if _validate and (lc[i].off < 0 or lc[i].n < 1 or lc[i].off + lc[i].n > U.shape[2]
                    or lc[i].pool_off < 0 or lc[i].pool_off + 1 + lc[i].n_pools > P.shape[2]
                    or lc[i].pool_size < 1 or lc[i].n_pad < lc[i].n
                    or lc[i].off + lc[i].n_pad > U.shape[2]
                    or (lc[i].n_pools and lc[i].n_pools * lc[i].pool_size != lc[i].n)
                    or lc[i].send0 < 0 or lc[i].send1 > send_list.shape[0]
                    or lc[i].recv0 < 0 or lc[i].recv1 > recv_list.shape[0]):
                return STATUS_BAD_ARGS_
        for i in range(nL if _validate else 0):
            # padded spans do not overlap (ActFmG reads a layer's padding)
            for b in range(nL):
                if b != i and lc[b].off < lc[i].off + lc[i].n_pad and lc[i].off < lc[b].off + lc[b].n_pad:
                    return STATUS_BAD_ARGS_
        for i in range(send_list.shape[0]):
            if _validate and (send_list[i] < 0 or send_list[i] >= nP):
                return STATUS_BAD_ARGS_
        for i in range(recv_list.shape[0]):
            if _validate and (recv_list[i] < 0 or recv_list[i] >= nP):
                return STATUS_BAD_ARGS_
        for i in range(nP):
            if _validate and (pc[i].send < 0 or pc[i].send >= nL or pc[i].recv < 0 or pc[i].recv >= nL
                    or pc[i].ns != lc[pc[i].send].n or pc[i].nr != lc[pc[i].recv].n
                    or pc[i].syn_off < 0 or pc[i].syn_off + nb * pc[i].ns * pc[i].nr > S.shape[1]
                    or pc[i].mask_off < 0 or pc[i].mask_off + pc[i].ns * pc[i].nr > M.shape[0]
                    or pc[i].recv_off < 0 or pc[i].recv_off + pc[i].nr > R.shape[2]):
                return STATUS_BAD_ARGS_
        for i in range(nL if _validate else 0):
            # each layer's lists name projections that send from / receive into it
            for b in range(lc[i].send0, lc[i].send1):
                if pc[send_list[b]].send != i:
                    return STATUS_BAD_ARGS_
            for b in range(lc[i].recv0, lc[i].recv1):
                if pc[recv_list[b]].recv != i:
                    return STATUS_BAD_ARGS_
        net.lc, net.pc = lc, pc
        net.send_list = &send_list[0] if send_list.shape[0] else NULL
        net.recv_list = &recv_list[0] if recv_list.shape[0] else NULL
        net.n_layers, net.n_prjns, net.n_batch = nL, nP, nb
        net.n_tot, net.p_tot, net.r_tot, net.s_tot = U.shape[2], P.shape[2], R.shape[2], S.shape[1]
        net.U, net.F, net.P, net.LV = &U[0, 0, 0], &F[0, 0, 0], &P[0, 0, 0], &LV[0, 0, 0]
        net.S = &S[0, 0] if S.shape[1] else NULL
        net.M = &M[0] if M.shape[0] else NULL
        net.R = &R[0, 0, 0] if R.shape[2] else NULL
        net.G = &G[0, 0] if nP else NULL
        net.pats = &pats[0, 0, 0]
        net.n_trials, net.cyc_per_qtr, net.wt_bal_interval = nt, cyc_per_qtr, wt_bal_interval
        net.wt_bal_ctr0 = wt_bal_ctr[0]
        net.learn, net.upd, net.dwt_clean, net.sse_tol = learn, update_act_avg, dwt_clean, sse_tol
        net.rec_vars = &rec_vars[0] if rec_vars.shape[0] else NULL
        net.n_rec = rec_vars.shape[0]
        net.rec_cyc = &rec_cyc[0, 0, 0, 0, 0] if rec_vars.shape[0] else NULL
        net.rec_trial = &rec_trial[0, 0, 0, 0]
        net.rec_stats = &rec_stats[0, 0, 0, 0]
        net.wt_out = &wt_out[0] if wt_out is not None and wt_out.shape[0] else NULL
        net.solo_from = _solo_from
        net.team_rtt_max = _team_rtt_max
        net.team_busy_min = _team_busy_min
        net.solo_at = &solo_at[0] if solo_at is not None else NULL
        net.n_sent = &n_sent[0]
        net.wt_bal_ctr_out = &ctr_out[0]
        net.max_n = max_n
        net.m_tot = M.shape[0]
        # each copy's Net: the same arrays, its own tables; on the heap, read-only while
        # the threads run (copy 0's sizes the scratch and the team's cuts)
        lf_copy_rows(&net, 0)
        for b in range(nb):
            nets[b] = net
            nets[b].lc = lc + (b * nL if cl > 1 else 0)
            nets[b].pc = pc + (b * nP if cp > 1 else 0)
            lf_copy_rows(&nets[b], b)
        if n_threads == 1 or not LEABRA_FAST_OPENMP or _fork_unsafe():
            with nogil:
                for b in range(nb):
                    st[b] = lf_run_alone(&nets[b], b)
        elif nb >= n_threads:
            # threads over batch copies, each a contiguous run of them: copies side by
            # side share cache lines in the layer and pool rows (LV, P: a few doubles a
            # copy), which copies handed out in turn (chunks of one) wrote from both
            # cores at every cycle
            _mark_threads_used()
            for b in prange(nb, nogil=True, num_threads=n_threads, schedule="static"):
                st[b] = lf_run_alone(&nets[b], b)
        elif max_n < LF_MIN_UNITS_THREADS:
            # small layers: the work of a step is too small to share (measured: slower)
            with nogil:
                for b in range(nb):
                    st[b] = lf_run_alone(&nets[b], b)
        else:
            # fewer copies than threads: the threads run each copy as a team (Team).
            # The tables the threads read and the team's counters live on the heap, away
            # from any thread's stack (a stack line written by one thread and read by the
            # other would bounce between the cores)
            _mark_threads_used()
            sh = <Shared*>malloc(sizeof(Shared))
            if sh == NULL:
                raise MemoryError("leabra_fast network kernel: cannot allocate its scratch")
            sh.net = net
            team_mem = lf_team_alloc(&sh.net, n_threads, &sh.sc, &sh.team)
            solo_mem = lf_team_alloc(&sh.net, 1, &sh.sc1, &sh.team1)
            if team_mem == NULL or solo_mem == NULL:
                raise MemoryError("leabra_fast network kernel: cannot allocate its scratch")
            for b in range(nb):
                st[b] = STATUS_OK_
            tid, bb, step = 0, 0, 0
            with nogil, parallel(num_threads=n_threads):
                tid = threadid()
                step = 0
                if lfn_team_size() == n_threads:
                    for bb in range(nb):
                        lf_run_copy(&nets[bb], bb, &sh.sc, &sh.team, tid, &step, &sh.sc1,
                                    &sh.team1)
                elif tid == 0:
                    # OpenMP gave fewer threads than asked (OMP_THREAD_LIMIT): one runs all
                    for bb in range(nb):
                        st[bb] = lf_run_alone(&nets[bb], bb)
        for b in range(nb):
            if st[b] != STATUS_OK_:
                status = st[b]
        if status == STATUS_NO_MEMORY_:
            raise MemoryError("leabra_fast network kernel: cannot allocate its scratch")
        wt_bal_ctr[0] = ctr_out[0]
    finally:
        free(lc)
        free(pc)
        free(st)
        free(nets)
        free(team_mem)
        free(solo_mem)
        free(sh)
    return status


def nxx1_scalar(dict layer, double x):
    """The kernel's NXX1 on one value (for tests against the reference)."""
    cdef LayerC c = layer
    return lf_nxx1(&c, x)


def exp_scalar(double x):
    """The kernel's exp (lf_exp) on one value."""
    return lf_exp(x)


def team_round_trip(int n_threads=2):
    """The round trip (s) of a cache line between thread 0 and the other threads of an
    OpenMP team of ``n_threads``, as a network team measures it at each trial start
    (lf_team_probe; the largest over threads of the shortest of four batches): NaN
    without OpenMP, when OpenMP gives fewer threads, or in a process forked after
    threads ran (no threads there)."""
    cdef Team tm
    cdef long long* pp
    cdef Py_ssize_t tid
    cdef double rtt = float("nan")
    if n_threads < 2 or n_threads > 1024:
        raise ValueError(f"n_threads must be 2 .. 1024, got {n_threads}")
    if not LEABRA_FAST_OPENMP or _fork_unsafe():
        return rtt
    pp = <long long*>calloc(2 * n_threads * LF_LINE + LF_LINE, sizeof(long long))
    if pp == NULL:
        raise MemoryError("leabra_fast network kernel: cannot allocate the probe's lines")
    tm.pp = pp
    tm.n = n_threads
    tm.rtt = rtt
    tid = 0
    _mark_threads_used()
    try:
        with nogil, parallel(num_threads=n_threads):
            tid = threadid()
            if lfn_team_size() == n_threads:
                lf_team_probe(&tm, tid)
                if tid == 0:
                    pp[2 * n_threads * LF_LINE] = 1     # the team was whole
        if pp[2 * n_threads * LF_LINE]:
            rtt = tm.rtt
    finally:
        free(pp)
    return rtt


def cpu_levels():
    """The instruction sets this CPU runs, best first (call it in the baseline module)."""
    return tuple(name for k, name in enumerate(("avx512", "avx2", "baseline"))
                 if lf_isa_supported(k))


# ----------------------------------------------------------------------------------------
# The leabra-psyneulink flavour (leabra_fast.compat): leabra-psyneulink 0.3.2's own unit,
# layer and trial, on the packed arrays of leabra_fast.compat._engine (whose NumPy
# reference this mirrors expression by expression).  Self-contained: it shares no loop
# with the Go v1 kernel above.  Rows and columns are the _engine constants, repeated here.

cdef enum:
    LU_G_E, LU_I_NET, LU_I_NET_R, LU_V_M, LU_V_M_EQ, LU_ACT, LU_ACT_ND, LU_ACT_M, LU_ADAPT,
    LU_SPIKE, LU_AVG_SS, LU_AVG_S, LU_AVG_M, LU_AVG_L, LU_AVG_S_EFF, LU_ACT_EXT, LU_FORCED,
    LU_NET_RAW, LU_N

cdef enum:
    LQ_DT_NET, LQ_DT_V_M, LQ_G_L, LQ_G_BAR_E, LQ_G_BAR_L, LQ_G_BAR_I, LQ_E_REV_E, LQ_E_REV_L,
    LQ_E_REV_I, LQ_ACT_THR, LQ_ACT_GAIN, LQ_NOISY, LQ_V_M_INIT, LQ_V_M_R, LQ_ADAPT_ON,
    LQ_DT_ADAPT, LQ_V_M_GAIN, LQ_SPIKE_GAIN, LQ_AVG_SS_DT, LQ_AVG_S_DT, LQ_AVG_M_DT,
    LQ_AVG_L_DT, LQ_AVG_L_GAIN, LQ_AVG_L_MIN, LQ_AVG_M_IN_S, LQ_AVG_LRN_MIN, LQ_AVG_LRN_MAX,
    LQ_HIDDEN, LQ_TABLE, LQ_N

cdef enum:
    LL_GC_I, LL_FFI, LL_FBI, LL_AVG_ACT, LL_N

cdef enum:
    LLP_LAY_INHIB, LLP_FB_DT, LLP_FB, LLP_FF, LLP_G_I, LLP_TRIAL_DECAY, LLP_FF0, LLP_N

cdef enum:
    LC_PRE, LC_POST, LC_PROJ, LC_LEARN, LC_OFF, LC_SYNCED, LC_N

cdef enum:
    LCP_ABS, LCP_ACT_CUR, LCP_ACT_NEXT, LCP_REL_EFF, LCP_LRATE, LCP_M_LRN, LCP_D_THR,
    LCP_D_REV, LCP_SIG_OFF, LCP_SIG_GAIN, LCP_N

cdef enum:
    LT_CC, LT_QN, LT_TC, LT_PHASE, LT_CTOT, LT_N


cdef inline double lpn_pairwise_sum(const double* a, Py_ssize_t n) noexcept nogil:
    """NumPy's pairwise summation of float64 (so a layer mean has np.mean's bits)."""
    cdef double res, r0, r1, r2, r3, r4, r5, r6, r7
    cdef Py_ssize_t i, n2
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= 128:
        r0 = a[0]; r1 = a[1]; r2 = a[2]; r3 = a[3]
        r4 = a[4]; r5 = a[5]; r6 = a[6]; r7 = a[7]
        i = 8
        while i < n - (n % 8):
            r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3]
            r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return lpn_pairwise_sum(a, n2) + lpn_pairwise_sum(a + n2, n - n2)


cdef inline double lpn_xx1(double gain, double x) noexcept nogil:
    """x/(x+1) of gain * max(x, 0)."""
    cdef double g = gain * (x if x > 0.0 else 0.0)
    return g / (g + 1)


cdef inline double lpn_nxx1(const double* tx, const double* ty, const double* slope,
                            Py_ssize_t n, double inv_step, double gain, double v) noexcept nogil:
    """The package's noisy XX1: 0 below the table, XX1 above, else scipy interp1d's linear
    interpolation (interval from a left searchsorted, clipped to [1, n-1]; ``slope[k]`` is
    ``(ty[k] - ty[k-1]) / (tx[k] - tx[k-1])``, the division it does at each call)."""
    cdef Py_ssize_t lo
    if v < tx[0]:
        return 0.0
    if v > tx[n - 1]:
        return lpn_xx1(gain, v)
    # first k with tx[k] >= v: the uniform grid's guess, then corrected against the table
    lo = <Py_ssize_t>((v - tx[0]) * inv_step)
    if lo > n - 1:
        lo = n - 1
    if lo < 0:
        lo = 0
    while lo < n - 1 and tx[lo] < v:
        lo += 1
    while lo > 0 and tx[lo - 1] >= v:
        lo -= 1
    if lo < 1:
        lo = 1
    return slope[lo] * (v - tx[lo - 1]) + ty[lo - 1]


cdef inline double lpn_current(double gc_e, double gc_i, double gc_l, double e_e, double e_i,
                               double e_l, double adapt, double v) noexcept nogil:
    """Net current at membrane potential v."""
    return gc_e * (e_e - v) + gc_i * (e_i - v) + gc_l * (e_l - v) - adapt


cdef inline double lpn_xcal(double x, double th, double d_thr, double d_rev) noexcept nogil:
    """XCAL's check mark, the package's form."""
    if x < d_thr:
        return 0.0
    if x > th * d_rev:
        return x - th
    return -x * ((1 - d_rev) / d_rev)


cdef void lpn_force(double[:, ::1] U, const double[:, ::1] UP, Py_ssize_t a, Py_ssize_t b,
                    const double[::1] vals) noexcept nogil:
    cdef Py_ssize_t j
    cdef double v
    for j in range(a, b):
        v = vals[j]
        U[LU_ACT_EXT, j] = v
        U[LU_FORCED, j] = 1.0
        U[LU_G_E, j] = v / UP[LQ_G_BAR_E, j]
        U[LU_I_NET, j] = 0.0
        U[LU_ACT, j] = v
        U[LU_ACT_ND, j] = v
        if v == 0:
            U[LU_V_M, j] = UP[LQ_E_REV_L, j]
        else:
            U[LU_V_M, j] = UP[LQ_ACT_THR, j] + v / UP[LQ_ACT_GAIN, j]
        U[LU_V_M_EQ, j] = U[LU_V_M, j]


cdef void_noinline lpn_lanes_v(Py_ssize_t a, Py_ssize_t b, Py_ssize_t N, cdouble_r P, double g_i,
                      cdouble_r forced, cdouble_r ge, cdouble_r adapt, double_r inet,
                      double_r inetr, double_r vm, double_r vmeq, double_r spike,
                      double_r xb, double_r ab) noexcept nogil:
    """lpn_layer's first loop: potentials, spike, the rate's input x and its plain XX1.
    (Rows as restrict parameters: GCC vectorises only if it need not check them against
    each other at run time.)"""
    cdef double dt_v, gc_e, gc_i, gc_l, e_e, e_l, e_i, ad, v, veq, i1, i_net, i_r, v_m, v_m_eq
    cdef double thr, g_e_thr, x, g, spk, fr
    cdef Py_ssize_t j
    for j in range(a, b):
        fr = forced[j]
        dt_v = P[LQ_DT_V_M * N + j]
        gc_e = P[LQ_G_BAR_E * N + j] * ge[j]
        gc_i = P[LQ_G_BAR_I * N + j] * g_i
        gc_l = P[LQ_G_BAR_L * N + j] * P[LQ_G_L * N + j]
        e_e = P[LQ_E_REV_E * N + j]
        e_l = P[LQ_E_REV_L * N + j]
        e_i = P[LQ_E_REV_I * N + j]
        ad = adapt[j]
        v = vm[j]
        veq = vmeq[j]
        i1 = lpn_current(gc_e, gc_i, gc_l, e_e, e_i, e_l, ad, v)
        i_net = lpn_current(gc_e, gc_i, gc_l, e_e, e_i, e_l, ad, v + (0.5 * dt_v) * i1)
        i_r = lpn_current(gc_e, gc_i, gc_l, e_e, e_i, e_l, ad, veq)
        v_m = v + dt_v * i_net
        v_m_eq = veq + dt_v * i_r
        thr = P[LQ_ACT_THR * N + j]
        spk = 1.0 if v_m > thr else 0.0
        i_net = 0.0 if v_m > thr else i_net
        v_m = P[LQ_V_M_R * N + j] if v_m > thr else v_m
        g_e_thr = (gc_i * (e_i - thr) + gc_l * (e_l - thr) - ad) / (thr - e_e)
        x = v_m_eq - thr if v_m_eq <= thr else gc_e - g_e_thr
        g = P[LQ_ACT_GAIN * N + j] * (x if x > 0.0 else 0.0)  # lpn_xx1, inlined
        xb[j] = x
        ab[j] = g / (g + 1)
        inet[j] = i_net if fr == 0.0 else inet[j]
        inetr[j] = i_r if fr == 0.0 else inetr[j]
        vm[j] = v_m if fr == 0.0 else v
        vmeq[j] = v_m_eq if fr == 0.0 else veq
        spike[j] = spk if fr == 0.0 else spike[j]


cdef void_noinline lpn_lanes_rate(Py_ssize_t a, Py_ssize_t b, Py_ssize_t N, cdouble_r P,
                                 cdouble_r vm, cdouble_r spike, cdouble_r actnd,
                                 cdouble_r adapt, double_r ab, double_r xb) noexcept nogil:
    """lpn_layer's rate and adaptation, of every lane: act_nd into ``ab`` (which held
    the rate), adapt into ``xb`` (lpn_commit keeps the free units' values)."""
    cdef double old_nd, ad
    cdef Py_ssize_t j
    for j in range(a, b):
        old_nd = actnd[j]
        ad = adapt[j]
        ab[j] = old_nd + P[LQ_DT_V_M * N + j] * (ab[j] - old_nd)
        xb[j] = ad + (P[LQ_DT_ADAPT * N + j]
                      * (P[LQ_V_M_GAIN * N + j] * (vm[j] - P[LQ_E_REV_L * N + j]) - ad)
                      + spike[j] * P[LQ_SPIKE_GAIN * N + j])


cdef void_noinline lpn_commit(Py_ssize_t a, Py_ssize_t b, cdouble_r keep, cdouble_r src,
                             double_r dst) noexcept nogil:
    """dst[j] = src[j] where keep[j] is 0 (a masked store: few pointers, so GCC vectorises
    it; in a loop with many its masked stores need run-time alias checks, too many)."""
    cdef Py_ssize_t j
    for j in range(a, b):
        if keep[j] == 0.0:
            dst[j] = src[j]


cdef void_noinline lpn_lanes_avg(Py_ssize_t a, Py_ssize_t b, Py_ssize_t N, cdouble_r P,
                                cdouble_r actnd, double_r avg_ss, double_r avg_s,
                                double_r avg_m, double_r avg_s_eff) noexcept nogil:
    """lpn_layer's running averages, every unit."""
    cdef double ss, s, m, m_in_s
    cdef Py_ssize_t j
    for j in range(a, b):
        ss = avg_ss[j] + P[LQ_AVG_SS_DT * N + j] * (actnd[j] - avg_ss[j])
        s = avg_s[j] + P[LQ_AVG_S_DT * N + j] * (ss - avg_s[j])
        m = avg_m[j] + P[LQ_AVG_M_DT * N + j] * (s - avg_m[j])
        m_in_s = P[LQ_AVG_M_IN_S * N + j]
        avg_ss[j] = ss
        avg_s[j] = s
        avg_m[j] = m
        avg_s_eff[j] = m_in_s * m + (1 - m_in_s) * s


cdef void lpn_layer(double* U, const double* UP, Py_ssize_t N, Py_ssize_t a, Py_ssize_t b,
                    double g_i, const double* TX, const double* TY, Py_ssize_t L,
                    const double* slope, const double* inv_step, const Py_ssize_t* TLEN,
                    double* xb, double* ab) noexcept nogil:
    """One cycle of units [a, b) of one layer (g_e already integrated): membrane potentials,
    rate, adaptation of the free units; the running averages of every unit.  ``U`` and
    ``UP`` are the (row, unit) arrays' data, rows N apart; ``xb``, ``ab`` scratch of N.

    The units are lanes of loops over j that the compiler vectorises (functions with
    restrict rows): each unit's expressions are those of the package's scalar form in the
    same order (same bits); a forced unit computes too but keeps its values (selects and
    masked stores, not branches).  The noisy-XX1 table lookup, a search, stays scalar."""
    cdef Py_ssize_t j, t
    lpn_lanes_v(a, b, N, UP, g_i, U + LU_FORCED * N, U + LU_G_E * N, U + LU_ADAPT * N,
                U + LU_I_NET * N, U + LU_I_NET_R * N, U + LU_V_M * N, U + LU_V_M_EQ * N,
                U + LU_SPIKE * N, xb, ab)
    for j in range(a, b):
        if U[LU_FORCED * N + j] == 0.0 and UP[LQ_NOISY * N + j] != 0.0:
            t = <Py_ssize_t>UP[LQ_TABLE * N + j]
            ab[j] = lpn_nxx1(TX + t * L, TY + t * L, slope + t * L, TLEN[t], inv_step[t],
                             UP[LQ_ACT_GAIN * N + j], xb[j])
    lpn_lanes_rate(a, b, N, UP, U + LU_V_M * N, U + LU_SPIKE * N, U + LU_ACT_ND * N,
                   U + LU_ADAPT * N, ab, xb)
    for j in range(a, b):  # adaptation off: adapt stays
        if UP[LQ_ADAPT_ON * N + j] == 0.0:
            xb[j] = U[LU_ADAPT * N + j]
    lpn_commit(a, b, U + LU_FORCED * N, ab, U + LU_ACT_ND * N)
    lpn_commit(a, b, U + LU_FORCED * N, ab, U + LU_ACT * N)
    lpn_commit(a, b, U + LU_FORCED * N, xb, U + LU_ADAPT * N)
    lpn_lanes_avg(a, b, N, UP, U + LU_ACT_ND * N, U + LU_AVG_SS * N, U + LU_AVG_S * N,
                  U + LU_AVG_M * N, U + LU_AVG_S_EFF * N)


cdef void_noinline lpn_acc4(Py_ssize_t nr, double_r acc, cdouble_r w0, cdouble_r w1,
                           cdouble_r w2, cdouble_r w3, double scale, double a0, double a1,
                           double a2, double a3) noexcept nogil:
    """Four senders' terms added to the receivers' sums, in sender order (the bits of four
    passes); one load and store of each sum instead of four round trips through memory."""
    cdef Py_ssize_t j
    for j in range(nr):
        acc[j] = ((((acc[j] + (scale * w0[j]) * a0) + (scale * w1[j]) * a1)
                   + (scale * w2[j]) * a2) + (scale * w3[j]) * a3)


cdef void_noinline lpn_acc1(Py_ssize_t nr, double_r acc, cdouble_r w, double scale,
                           double a) noexcept nogil:
    """One sender's terms added to the receivers' sums."""
    cdef Py_ssize_t j
    for j in range(nr):
        acc[j] = acc[j] + (scale * w[j]) * a


cdef void lpn_send(double[:, ::1] U, const Py_ssize_t[::1] off, const Py_ssize_t[:, ::1] CI,
                   const double[:, ::1] CP, const double[::1] WT, Py_ssize_t* act_idx) noexcept nogil:
    """Net input: per receiver, connection by connection, sender by sender (``act_idx``:
    scratch for a layer's active senders)."""
    cdef Py_ssize_t ci, i, k, n_act, j, s0, r0, ns, nr, w0
    cdef double scale
    cdef double* acc
    cdef const double* w
    cdef const double* act = &U[LU_ACT, 0]
    U[LU_NET_RAW, :] = 0.0
    for ci in range(CI.shape[0]):
        scale = CP[ci, LCP_ABS] * (CP[ci, LCP_ACT_CUR] * CP[ci, LCP_REL_EFF])
        s0 = off[CI[ci, LC_PRE]]
        ns = off[CI[ci, LC_PRE] + 1] - s0
        r0 = off[CI[ci, LC_POST]]
        nr = off[CI[ci, LC_POST] + 1] - r0
        w0 = CI[ci, LC_OFF]
        if CI[ci, LC_PROJ] == 0:
            acc = &U[LU_NET_RAW, r0]
            w = &WT[w0]
            n_act = 0
            for i in range(ns):  # a zero sender adds +0 to sums that are never -0: skip it
                if act[s0 + i] != 0.0:
                    act_idx[n_act] = i
                    n_act += 1
            k = 0
            while k + 4 <= n_act:
                lpn_acc4(nr, acc, w + act_idx[k] * nr, w + act_idx[k + 1] * nr,
                         w + act_idx[k + 2] * nr, w + act_idx[k + 3] * nr, scale,
                         act[s0 + act_idx[k]], act[s0 + act_idx[k + 1]],
                         act[s0 + act_idx[k + 2]], act[s0 + act_idx[k + 3]])
                k += 4
            while k < n_act:
                lpn_acc1(nr, acc, w + act_idx[k] * nr, scale, act[s0 + act_idx[k]])
                k += 1
        else:
            for j in range(nr):
                U[LU_NET_RAW, r0 + j] += (scale * WT[w0 + j]) * U[LU_ACT, s0 + j]


cdef void lpn_learn(double[:, ::1] U, const double[:, ::1] UP, const Py_ssize_t[::1] off,
                    Py_ssize_t[:, ::1] CI, const double[:, ::1] CP, double[::1] WT,
                    double[::1] FWT) noexcept nogil:
    """XCAL on the linear weight, contrast enhancement, clipping to [0, 1].  A connection
    whose weights are those of its last learning step (LC_SYNCED) skips links with no
    change (dwt 0, as whenever srs < d_thr): recomputing them would give the same bits."""
    cdef Py_ssize_t ci, i, j, k, s0, r0, ns, nr, w0, s, r, full
    cdef bint learn, synced
    cdef double srs, srm, lo, hi, lmin, l_lrn, dwt, fwt, w, d_thr, d_rev, r_l
    cdef double lrate, m_lrn, sig_off, sig_gain
    for ci in range(CI.shape[0]):
        s0 = off[CI[ci, LC_PRE]]
        ns = off[CI[ci, LC_PRE] + 1] - s0
        r0 = off[CI[ci, LC_POST]]
        nr = off[CI[ci, LC_POST] + 1] - r0
        w0 = CI[ci, LC_OFF]
        full = CI[ci, LC_PROJ] == 0
        learn = CI[ci, LC_LEARN] != 0
        synced = CI[ci, LC_SYNCED] != 0
        d_thr = CP[ci, LCP_D_THR]
        d_rev = CP[ci, LCP_D_REV]
        lrate = CP[ci, LCP_LRATE]
        m_lrn = CP[ci, LCP_M_LRN]
        sig_off = CP[ci, LCP_SIG_OFF]
        sig_gain = CP[ci, LCP_SIG_GAIN]
        for i in range(ns if full else 1):
            for j in range(nr):
                k = w0 + i * nr + j
                r = r0 + j
                s = s0 + i if full else s0 + j
                w = WT[k]
                if learn:
                    srs = U[LU_AVG_S_EFF, r] * U[LU_AVG_S_EFF, s]
                    if synced and srs < d_thr:  # both XCAL terms 0: dwt is +-0
                        continue
                    srm = U[LU_AVG_M, r] * U[LU_AVG_M, s]
                    r_l = U[LU_AVG_L, r]
                    l_lrn = 0.0
                    if UP[LQ_HIDDEN, r] != 0.0:
                        lo = UP[LQ_AVG_LRN_MIN, r]
                        hi = UP[LQ_AVG_LRN_MAX, r]
                        lmin = UP[LQ_AVG_L_MIN, r]
                        l_lrn = lo + (hi - lo) / (UP[LQ_AVG_L_GAIN, r] - lmin) * (r_l - lmin)
                    dwt = lrate * (m_lrn * lpn_xcal(srs, srm, d_thr, d_rev)
                                   + l_lrn * lpn_xcal(srs, r_l, d_thr, d_rev))
                    if dwt == 0.0 and synced:
                        continue
                    fwt = FWT[k]
                    dwt = dwt * ((1 - fwt) if dwt > 0 else fwt)
                    fwt = fwt + dwt
                    FWT[k] = fwt
                    w = 1 / (1 + pow(sig_off * (1 - fwt) / fwt, sig_gain))
                w = w if w < 1.0 else 1.0  # Python's max(0.0, min(1.0, w)): NaN -> 1
                WT[k] = w if w > 0.0 else 0.0
        if learn:
            CI[ci, LC_SYNCED] = 1


def lpn_run(
    double[:, ::1] U,
    const double[:, ::1] UP,
    double[:, ::1] LS,
    const double[:, ::1] LP,
    const Py_ssize_t[::1] lay_off,
    Py_ssize_t[:, ::1] CI,
    double[:, ::1] CP,
    double[::1] WT,
    double[::1] FWT,
    const double[:, ::1] TX,
    const double[:, ::1] TY,
    const Py_ssize_t[::1] TLEN,
    long long[::1] CT,
    const double[::1] in_vals,
    const unsigned char[::1] in_mask,
    const double[::1] out_vals,
    const unsigned char[::1] out_mask,
    Py_ssize_t n_cycles,
    Py_ssize_t quarter_size,
    const Py_ssize_t[::1] log_rows,
    double[:, :, ::1] logs,
    double[:, ::1] gci,
):
    """Run ``n_cycles`` cycles of a leabra-psyneulink-flavour network in place (the arrays
    of ``leabra_fast.compat._engine.Packed``); return a status code.  Sizes and indices are
    checked here (``STATUS_BAD_ARGS``), values in Python."""
    cdef Py_ssize_t N = U.shape[1], nL = LS.shape[1], nC = CI.shape[0], nT = TX.shape[0]
    cdef Py_ssize_t c, li, j, k, a, b, ci, t, n_w, L = TX.shape[1]
    cdef double v
    cdef double* slope
    cdef double* inv_step
    cdef Py_ssize_t* act_idx
    if (U.shape[0] != LU_N or UP.shape[0] != LQ_N or UP.shape[1] != N or LS.shape[0] != LL_N
            or LP.shape[0] != LLP_N or LP.shape[1] != nL or lay_off.shape[0] != nL + 1
            or CI.shape[1] != LC_N or CP.shape[0] != nC or CP.shape[1] != LCP_N
            or FWT.shape[0] != WT.shape[0] or TY.shape[0] != nT or TY.shape[1] != TX.shape[1]
            or TLEN.shape[0] != nT or CT.shape[0] != LT_N or in_vals.shape[0] != N
            or out_vals.shape[0] != N or in_mask.shape[0] != nL or out_mask.shape[0] != nL
            or n_cycles < 0 or quarter_size < 1 or logs.shape[0] != n_cycles
            or logs.shape[1] != log_rows.shape[0] or logs.shape[2] != N
            or gci.shape[0] != n_cycles or gci.shape[1] != nL or nL < 1):
        return STATUS_BAD_ARGS_
    if lay_off[0] != 0 or lay_off[nL] != N:
        return STATUS_BAD_ARGS_
    for li in range(nL):
        if lay_off[li + 1] <= lay_off[li]:
            return STATUS_BAD_ARGS_
    for t in range(nT):
        if TLEN[t] < 2 or TLEN[t] > TX.shape[1]:
            return STATUS_BAD_ARGS_
    for j in range(N):
        v = UP[LQ_TABLE, j]
        if UP[LQ_NOISY, j] != 0.0 and not (v >= 0 and v < nT and v == floor(v)):
            return STATUS_BAD_ARGS_
    for k in range(log_rows.shape[0]):
        if log_rows[k] < -1 or log_rows[k] >= LU_N:
            return STATUS_BAD_ARGS_
    for ci in range(nC):
        if (CI[ci, LC_PRE] < 0 or CI[ci, LC_PRE] >= nL or CI[ci, LC_POST] < 0
                or CI[ci, LC_POST] >= nL or CI[ci, LC_OFF] < 0):
            return STATUS_BAD_ARGS_
        a = lay_off[CI[ci, LC_PRE] + 1] - lay_off[CI[ci, LC_PRE]]
        b = lay_off[CI[ci, LC_POST] + 1] - lay_off[CI[ci, LC_POST]]
        if CI[ci, LC_PROJ] == 0:
            n_w = a * b
        elif CI[ci, LC_PROJ] == 1 and a == b:
            n_w = b
        else:
            return STATUS_BAD_ARGS_
        if CI[ci, LC_OFF] + n_w > WT.shape[0]:
            return STATUS_BAD_ARGS_
    slope = <double*>malloc((nT * L + 2 * N + 1) * sizeof(double))  # + lpn_layer's lanes
    inv_step = <double*>malloc((nT + 1) * sizeof(double))
    act_idx = <Py_ssize_t*>malloc((N + 1) * sizeof(Py_ssize_t))
    if slope == NULL or inv_step == NULL or act_idx == NULL:
        free(slope)
        free(inv_step)
        free(act_idx)
        return STATUS_NO_MEMORY_
    for t in range(nT):
        inv_step[t] = 1.0 / (TX[t, 1] - TX[t, 0])
        slope[t * L] = 0.0
        for k in range(1, TLEN[t]):
            slope[t * L + k] = (TY[t, k] - TY[t, k - 1]) / (TX[t, k] - TX[t, k - 1])
    with nogil:
        for c in range(n_cycles):
            if CT[LT_CC] == quarter_size:
                CT[LT_QN] += 1
                if CT[LT_QN] == 5:
                    CT[LT_TC] += 1
                    CT[LT_QN] = 1
                CT[LT_CC] = 0
            if CT[LT_CC] == 0:
                for ci in range(nC):
                    CP[ci, LCP_ACT_CUR] = CP[ci, LCP_ACT_NEXT]
                if CT[LT_QN] == 1:
                    for j in range(N):  # trial start: reset units
                        U[LU_G_E, j] = 0.0
                        U[LU_I_NET, j] = 0.0
                        U[LU_I_NET_R, j] = 0.0
                        U[LU_ACT, j] = 0.0
                        U[LU_ACT_ND, j] = 0.0
                        U[LU_ACT_M, j] = 0.0
                        U[LU_ADAPT, j] = 0.0
                        U[LU_ACT_EXT, j] = 0.0
                        U[LU_FORCED, j] = 0.0
                        U[LU_V_M, j] = UP[LQ_V_M_INIT, j]
                        U[LU_V_M_EQ, j] = U[LU_V_M, j]
                    for li in range(nL):
                        LS[LL_FFI, li] -= LP[LLP_TRIAL_DECAY, li] * LS[LL_FFI, li]
                        LS[LL_FBI, li] -= LP[LLP_TRIAL_DECAY, li] * LS[LL_FBI, li]
                        if in_mask[li]:
                            lpn_force(U, UP, lay_off[li], lay_off[li + 1], in_vals)
                elif CT[LT_QN] == 4:
                    for li in range(nL):
                        if out_mask[li]:
                            lpn_force(U, UP, lay_off[li], lay_off[li + 1], out_vals)
            lpn_send(U, lay_off, CI, CP, WT, act_idx)
            for li in range(nL):
                a = lay_off[li]
                b = lay_off[li + 1]
                for j in range(a, b):
                    if U[LU_FORCED, j] == 0.0:
                        U[LU_G_E, j] = U[LU_G_E, j] + UP[LQ_DT_NET, j] * (U[LU_NET_RAW, j] - U[LU_G_E, j])
                if CT[LT_PHASE] == 0:
                    if LP[LLP_LAY_INHIB, li] != 0.0:
                        v = lpn_pairwise_sum(&U[LU_G_E, a], b - a) / (b - a) - LP[LLP_FF0, li]
                        LS[LL_FFI, li] = LP[LLP_FF, li] * (v if v > 0.0 else 0.0)
                        LS[LL_FBI, li] += LP[LLP_FB_DT, li] * (LP[LLP_FB, li] * LS[LL_AVG_ACT, li]
                                                              - LS[LL_FBI, li])
                        LS[LL_GC_I, li] = LP[LLP_G_I, li] * (LS[LL_FFI, li] + LS[LL_FBI, li])
                    else:
                        LS[LL_GC_I, li] = 0.0
                lpn_layer(&U[0, 0], &UP[0, 0], N, a, b, LS[LL_GC_I, li], &TX[0, 0], &TY[0, 0],
                          L, slope, inv_step, &TLEN[0], slope + nT * L, slope + nT * L + N)
                LS[LL_AVG_ACT, li] = lpn_pairwise_sum(&U[LU_ACT, a], b - a) / (b - a)
            for k in range(log_rows.shape[0]):
                if log_rows[k] == -1:
                    for j in range(N):
                        logs[c, k, j] = UP[LQ_G_BAR_E, j] * U[LU_G_E, j]
                else:
                    for j in range(N):
                        logs[c, k, j] = U[log_rows[k], j]
            for li in range(nL):
                gci[c, li] = LS[LL_GC_I, li]
            CT[LT_CC] += 1
            CT[LT_CTOT] += 1
            if CT[LT_CC] == quarter_size:
                if CT[LT_QN] == 3:
                    for j in range(N):
                        U[LU_ACT_M, j] = U[LU_ACT, j]
                    CT[LT_PHASE] = 1
                if CT[LT_QN] == 4:
                    lpn_learn(U, UP, lay_off, CI, CP, WT, FWT)
                    for j in range(N):
                        U[LU_AVG_L, j] += UP[LQ_AVG_L_DT, j] * (UP[LQ_AVG_L_GAIN, j] * U[LU_AVG_M, j]
                                                               - U[LU_AVG_L, j])
                        if U[LU_AVG_L, j] < UP[LQ_AVG_L_MIN, j]:
                            U[LU_AVG_L, j] = UP[LQ_AVG_L_MIN, j]
                    CT[LT_PHASE] = 0
    free(slope)
    free(inv_step)
    free(act_idx)
    return STATUS_OK_
