# The canonical emergent model's compiled kernel: C doubles, SIMD blocks of units, no GIL.
#
# Included by _kernel.pyx, whose C (Cython runs once) is compiled once per instruction
# set as _kernel_avx512, _kernel_avx2 and _kernel_baseline (setup.py, ISA_FLAGS);
# compiled.py picks the one this CPU runs before importing it.  Layout as sklearn/_loss: scalar
# ``cdef inline`` functions named for what they compute (noisy XX1, the table lookup,
# XCAL, SIG ...), the per-lane stages of a cycle (``lane_*``), one function that runs a
# block of up to BLOCK units through the requested cycles with their state in lane
# arrays (lane = unit innermost, so the compiler vectorises every loop over units),
# and the ``def`` entry point that re-checks shapes and hands chunks of blocks to
# threads.  Validation and allocation happen in Python (emergent/simulation.py).
#
# Vectorisation: every lane function is ``noexcept`` (else Cython adds exception
# checks and the loops stay scalar) and every branch of the scalar equations is a
# select with both arms computed up front, conditions combined with & and | (GCC 12
# leaves a loop scalar for a branch or a load inside one arm).  Mode flags are
# uniform: the costly optional parts (the AdEx exp, each piece of NXX1, the table,
# adaptation, KNa, the clamp, ISI bookkeeping, libm pow) run as their own loops,
# chosen outside the lane loops.  The block width, the spiking mode and the constants
# (one parameter set, EConsts, or one per lane, LaneConsts: per-unit parameters such
# as a sweep's) are fused types, so each of the twelve block bodies has them as
# constants; a block of several sets shares their mode.  Narrow blocks (a few units:
# latency-bound) run the stages fused per lane instead.
#
# Bits: no FMA contraction (-ffp-contract=off), no -ffast-math, expressions in the
# reference backend's order.  Differences from the reference (~1e-15 relative) are
# lf_exp (~1 ulp) for exp, and SIG's power: b*sqrt(b) for gain 1.5, repeated
# multiplication for an integer gain 1..16, libm pow otherwise.  Add, mul, div and
# sqrt round correctly at every vector width, so the results do not depend on the
# instruction set, the thread count or the block a unit lands in.
#
# Memory: the synapse planes and per-lane constants of a thread live in one aligned heap
# allocation per thread per call (the lane arrays on the stack), and every array
# the caller passes is indexed through a typed memoryview: no cost in the release
# build, bounds-checked (IndexError) in the debug build (LEABRA_FAST_DEBUG=1).  (The
# per-set tables of a call with per-unit parameters are checked once at entry and
# read by pointer.)

from leabra_fast.core import _simd
from leabra_fast.core._forkguard import fork_unsafe as _fork_unsafe
from leabra_fast.core._forkguard import mark_threads_used as _mark_threads_used

from cython.parallel cimport parallel, prange
from libc.math cimport fabs, pow
from libc.stdint cimport uintptr_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

from leabra_fast.core._lf_isa cimport LF_N_ISA, lf_isa_supported
from leabra_fast.core._lf_math cimport (
    LF_EXP_NORMAL_MAX,
    lf_exp,
    lf_exp_normal,
    lf_finite,
    lf_pow_1_5,
)

cdef extern from *:
    # Whether this module was compiled with OpenMP (threads), and in debug mode (the
    # macro setup.py defines): two facts only the C preprocessor knows.
    """
    #ifdef _OPENMP
    #define LFE_HAS_OPENMP 1
    #else
    #define LFE_HAS_OPENMP 0
    #endif
    """
    const int LFE_HAS_OPENMP
    const int LEABRA_FAST_DEBUG
    # Pointers the compiler may assume unaliased (as C99 restrict): without them GCC
    # gives up vectorising loops that touch more than a few arrays.
    ctypedef double* double_r "double * CYTHON_RESTRICT"
    ctypedef const double* cdouble_r "const double * CYTHON_RESTRICT"


cdef enum:
    STATUS_OK_ = 0
    STATUS_NONFINITE_ = 1
    STATUS_BAD_ARGS_ = -1
    STATUS_NO_MEMORY_ = -2
    # Lanes per block, as in the seed kernel: 64 wide (many independent dependency
    # chains in flight), 16 and 4 for what is left over.
    BLOCK_ = 64
    MID_ = 16
    NARROW_ = 4
    ALIGN = 64
    # Cycles per sweep over the blocks when recording (as the seed kernel).
    RECORD_WINDOW = 32
    # SIG's power: b*sqrt(b), libm pow, or an integer 1..POW_INT_MAX.
    POW_1_5 = -1
    POW_LIBM = 0
    POW_INT_MAX = 16

# Trace positions (leabra_fast.emergent.reference.TRACE_NAMES order).
cdef enum:
    T_NET_RAW, T_NET, T_G_E, T_G_I, T_G_K, T_I_NET, T_V_M, T_V_M_EQ, T_ACT, T_ACT_ND
    T_SPIKE, T_ADAPT, T_AVG_SS, T_AVG_S, T_AVG_M, T_AVG_L, T_AVG_L_LRN, T_AVG_S_EFF
    T_DWT, T_SRS, T_SRM, T_FWT, T_WT, T_XCAL, N_TRACES
cdef enum:
    N_UNIT_TRACES = T_DWT
    N_SYN_TRACES = N_TRACES - T_DWT

# Rows of the packed unit state (leabra_fast.emergent.reference.UNIT_STATE order).
cdef enum:
    S_NET, S_V_M, S_V_M_EQ, S_ACT, S_ACT_ND, S_ADAPT, S_ISI, S_ISI_AVG, S_AVG_SS
    S_AVG_S, S_AVG_M, S_AVG_L, S_GKNA_F, S_GKNA_M, S_GKNA_S, N_UNIT_STATE


cdef struct EConsts:
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
    double i_net_seed, avg_l_gate, lay_act_thr
    double kna_on, g_bar_k, e_rev_k, kna_rate_rise
    double kna_f_rise, kna_f_max, kna_f_dt, kna_m_rise, kna_m_max, kna_m_dt
    double kna_s_rise, kna_s_max, kna_s_dt
    double table_x0, table_res


cdef enum:
    # Each constant's position in EConsts (all doubles, so also its column in a row of
    # the per-group table, CONST_NAMES order) and its row in LaneConsts.
    E_SPIKE_MODE, E_USE_TABLE, E_K_NET, E_DIRECT_GE, E_NET_CLIP_ZERO, E_NET_SCALE,
    E_G_BAR_E, E_G_BAR_L, E_G_BAR_I, E_E_REV_E, E_E_REV_L, E_E_REV_I, E_THR, E_GAIN,
    E_NVAR, E_VM_ACT_THR, E_SIG_MULT_EFF, E_SIG_VAL_AT_0, E_SIG_GAIN_NVAR,
    E_INTERP_RANGE, E_GAIN_COR_RANGE, E_GAIN_COR, E_INTERP_VAL, E_K_VM, E_VM_MIDPOINT,
    E_RATE_SPIKES, E_VM_MIN, E_VM_MAX, E_EXP_ON, E_EXP_SLOPE, E_K_EXP, E_SPK_THR, E_VM_R,
    E_T_R, E_RATE_NUM, E_ISI_DT, E_ADAPT_ON, E_ADAPT_DT, E_ADAPT_DIV, E_K_ADAPT_INTEG,
    E_VM_GAIN, E_SPIKE_GAIN, E_QUIRK_ADAPT_SEED, E_INIT_V_M, E_INIT_ACT, E_INIT_NET,
    E_DECAY, E_CLAMP_MIN, E_CLAMP_MAX, E_MINUS_CYCLES, E_CYC_PER_QTR, E_K_SS, E_K_S,
    E_K_M, E_M_IN_S, E_ONE_M_IN_S, E_K_L, E_AVG_L_GAIN, E_AVG_L_MIN, E_QUIRK_AVG_L_SEED,
    E_AVG_L_LRN_MIN, E_LRN_FACT, E_SET_L_LRN, E_L_LRN, E_LRATE, E_M_LRN, E_D_THR,
    E_D_REV, E_REV_FAC, E_LRN_THR, E_SOFT_BOUND, E_WT_SIG_GAIN, E_WT_SIG_OFF,
    E_QUIRK_SIG_SEED, E_SIG_EPS, E_LEARN_EVERY_CYCLE, E_ACT_ND_SPIKE, E_I_NET_SEED,
    E_AVG_L_GATE, E_LAY_ACT_THR, E_KNA_ON, E_G_BAR_K, E_E_REV_K, E_KNA_RATE_RISE,
    E_KNA_F_RISE, E_KNA_F_MAX, E_KNA_F_DT, E_KNA_M_RISE, E_KNA_M_MAX, E_KNA_M_DT,
    E_KNA_S_RISE, E_KNA_S_MAX, E_KNA_S_DT, E_TABLE_X0, E_TABLE_RES, N_ECONSTS


cdef struct LaneConsts:
    # Per-unit parameters: each constant of EConsts once per lane of a block, the lane's
    # NXX1 table (offset and length in the call's table pool) and its avg_l gate.
    double v[N_ECONSTS][BLOCK_]
    Py_ssize_t tab_off[BLOCK_]
    Py_ssize_t tab_n[BLOCK_]
    int open_[BLOCK_]


# A block runs with one parameter set (EConsts: the constants are scalars) or with one
# per lane (LaneConsts: each constant read from its lane's entry).  ek reads either; both
# give each lane the bits of a lone run with its set.  What selects the code a block
# runs (the mode: spiking, table, AdEx, adaptation, KNa, the quirks, SIG's power) is
# one for the block; a per-lane block reads it from lane 0.
ctypedef fused econsts_t:
    EConsts
    LaneConsts


cdef inline double ek(const econsts_t* c, int k, int i) noexcept nogil:
    """Constant k (an E_* position) of lane i: the scalar, or the lane's own value.
    k is a literal at every call, so this folds to one load."""
    if econsts_t is EConsts:
        return (<const double*>c)[k]
    else:
        return c.v[k][i]


cdef struct Run:
    # The sizes and positions of one call; the arrays travel as memoryviews beside it.
    Py_ssize_t n_units, n_inputs, n_table, n_cycles, c0, c1, abs0, every, rec_base
    Py_ssize_t slot[N_TRACES]
    bint has_ub, has_sb       # the unit / synapse trace buffers are not empty
    int avg_l_open            # avg_l updates at this segment's trial start (avg_l_gate)
    # Per-unit parameters (else gconsts is NULL): groups of consecutive units, each with
    # its constants (a row of N_ECONSTS), NXX1 table span (offset, length) in the table
    # pool and avg_l gate at this segment's start; gid: each unit's group.
    const double* gconsts
    const Py_ssize_t* gspan
    const Py_ssize_t* gid
    const int* gopen
    # Every set is one unit (a sweep's points): each block runs the whole call, cut at
    # trial starts when any set has the avg_l gate (any_gate), each unit's gate read
    # from its own act_nd there; the block's constants are filled once, not per trial.
    bint unit_gates, any_gate


cdef struct Lanes:
    # The unit state and per-cycle values of a block, one element per lane.
    # state, UNIT_STATE order
    double net[BLOCK_]
    double v_m[BLOCK_]
    double v_m_eq[BLOCK_]
    double act[BLOCK_]
    double act_nd[BLOCK_]
    double adapt[BLOCK_]
    double isi[BLOCK_]
    double isi_avg[BLOCK_]
    double avg_ss[BLOCK_]
    double avg_s[BLOCK_]
    double avg_m[BLOCK_]
    double avg_l[BLOCK_]
    double gkna_f[BLOCK_]
    double gkna_m[BLOCK_]
    double gkna_s[BLOCK_]
    # this cycle
    double clampv[BLOCK_]
    double ge[BLOCK_]
    double gci[BLOCK_]
    double targ[BLOCK_]
    double acc[BLOCK_]
    double net_raw[BLOCK_]
    double g_e[BLOCK_]
    double g_i[BLOCK_]
    double g_k[BLOCK_]
    double i_net[BLOCK_]
    double i_rec[BLOCK_]      # the recorded I_net (lane_vm)
    double ex[BLOCK_]
    double new_vm[BLOCK_]
    double new_eq[BLOCK_]
    double spk[BLOCK_]
    double drive[BLOCK_]
    double new_act[BLOCK_]
    double new_nd[BLOCK_]
    double avg_l_lrn[BLOCK_]
    double avg_s_eff[BLOCK_]
    double n_spk[BLOCK_]
    # scratch: NXX1's pieces, an integer power, SIG's power and which weights changed
    double nxx1_out[BLOCK_]
    double pow_acc[BLOCK_]
    double bp[BLOCK_]
    double chg[BLOCK_]
    # the trace column of each lane's unit, or -1
    Py_ssize_t col[BLOCK_]


cdef struct Scratch:
    # One thread's synapse working set, one aligned allocation: the synapse state and
    # schedules of a block, [input][lane] (its size grows with n_inputs).
    void* raw
    double* fwt
    double* wt
    double* x
    double* su_s
    double* su_m
    double* rec    # N_SYN_TRACES planes of [input][lane], for recording cycles
    LaneConsts* kc # the per-lane constants of a block with per-unit parameters


# Block widths and spiking mode as types: each of the six block bodies is a separate
# specialisation with the width and mode as constants.
cdef struct Wide:
    char tag
cdef struct Mid:
    char tag
cdef struct Narrow:
    char tag
cdef struct Spiking:
    char tag
cdef struct RateCode:
    char tag

ctypedef fused width_t:
    Wide
    Mid
    Narrow

ctypedef fused mode_t:
    Spiking
    RateCode

# What a cycle does at the synapses: learn, record, or both (learn_block).
cdef struct LearnOnly:
    char tag
cdef struct RecordOnly:
    char tag
cdef struct LearnRecord:
    char tag

ctypedef fused syn_t:
    LearnOnly
    RecordOnly
    LearnRecord


# ---------------------------------------------------------------------------- scalars

cdef inline double clip(double x, double lo, double hi) noexcept nogil:
    x = lo if x < lo else x
    return hi if x > hi else x


cdef inline double xx1(double x) noexcept nogil:
    """XX1(x) = x / (x + 1)."""
    return x / (x + 1.0)


cdef inline double xx1_gain_cor(double x, const econsts_t* c, int i) noexcept nogil:
    """XX1(gain*x) with the gain lowered by up to gain_cor near threshold."""
    cdef double gcf = (ek(c, E_GAIN_COR_RANGE, i) - x / ek(c, E_NVAR, i)) / ek(c, E_GAIN_COR_RANGE, i)
    # XX1 of the selected argument: one division instead of two, same bits.
    cdef double plain = ek(c, E_GAIN, i) * x
    cdef double corrected = ek(c, E_GAIN, i) * (1.0 - ek(c, E_GAIN_COR, i) * gcf) * x
    return xx1(plain if gcf < 0.0 else corrected)


cdef inline double noisy_xx1_from_exp(double x, double ex, const econsts_t* c, int i) noexcept nogil:
    """Closed-form noisy XX1 (C++ emergent 8, Go) given ex = exp(-(x*sig_gain_nvar)):
    the sigmoid below 0, linear interpolation up to interp_range, gain-corrected XX1 above."""
    cdef double below = ek(c, E_SIG_MULT_EFF, i) / (1.0 + ex)
    cdef double interp = 1.0 - ((ek(c, E_INTERP_RANGE, i) - x) / ek(c, E_INTERP_RANGE, i))
    cdef double near = ek(c, E_SIG_VAL_AT_0, i) + interp * ek(c, E_INTERP_VAL, i)
    cdef double above = xx1_gain_cor(x, c, i)
    return below if x < 0.0 else (near if x < ek(c, E_INTERP_RANGE, i) else above)


cdef inline double nxx1_exp_arg(double x, const econsts_t* c, int i) noexcept nogil:
    """The exponent NXX1's sigmoid needs (only lanes with x < 0 use it)."""
    return -(x * ek(c, E_SIG_GAIN_NVAR, i))


cdef inline double noisy_xx1(double x, const econsts_t* c, int i) noexcept nogil:
    """noisy_xx1_from_exp on one value, computing only the piece x falls in (the exp only
    below 0): for the narrow path, where one unit's latency is the cost.  Each piece is
    the same expression as there, so the same bits (NaN falls in the last piece)."""
    if x < 0.0:
        return ek(c, E_SIG_MULT_EFF, i) / (1.0 + lf_exp(nxx1_exp_arg(x, c, i)))
    if x < ek(c, E_INTERP_RANGE, i):
        return ek(c, E_SIG_VAL_AT_0, i) + (1.0 - ((ek(c, E_INTERP_RANGE, i) - x) / ek(c, E_INTERP_RANGE, i))) * ek(c, E_INTERP_VAL, i)
    return xx1_gain_cor(x, c, i)


cdef inline Py_ssize_t nxx1_index(double x, Py_ssize_t n, const econsts_t* c, int i) noexcept nogil:
    """The NXX1 table entry below x (0 for x outside the table, NaN included)."""
    cdef double x_top = ek(c, E_TABLE_X0, i) + <double>(n - 1) * ek(c, E_TABLE_RES, i)
    cdef bint inside = (x > ek(c, E_TABLE_X0, i)) & (x < x_top)
    cdef double xi = x if inside else ek(c, E_TABLE_X0, i)
    cdef Py_ssize_t k = <Py_ssize_t>((xi - ek(c, E_TABLE_X0, i)) / ek(c, E_TABLE_RES, i))
    return n - 2 if k > n - 2 else k


cdef inline double nxx1_from_table(double x, double t_k, double t_next, Py_ssize_t k,
                                   Py_ssize_t n, const econsts_t* c, int i) noexcept nogil:
    """Noisy XX1 from the convolution table (emergent <= 7) given entries k, k+1 (k from
    nxx1_index): linear interpolation; plain XX1(gain*x) above the table, 0 below it."""
    cdef double x_top = ek(c, E_TABLE_X0, i) + <double>(n - 1) * ek(c, E_TABLE_RES, i)
    cdef double gx = ek(c, E_GAIN, i) * x
    cdef bint inside = (x > ek(c, E_TABLE_X0, i)) & (x < x_top)
    cdef double xi = x if inside else ek(c, E_TABLE_X0, i)
    cdef double frac = (xi - (ek(c, E_TABLE_X0, i) + <double>k * ek(c, E_TABLE_RES, i))) / ek(c, E_TABLE_RES, i)
    cdef double inn = t_k + (t_next - t_k) * frac
    return gx / (gx + 1.0) if x >= x_top else (0.0 if not (x > ek(c, E_TABLE_X0, i)) else inn)


cdef inline double inet(double v, double g_e, double g_i, double g_k,
                        const econsts_t* c, int i) noexcept nogil:
    """Net current of the excitatory, leak, inhibitory (and KNa) channels at potential v."""
    cdef double cur = (g_e * (ek(c, E_E_REV_E, i) - v) + ek(c, E_G_BAR_L, i) * (ek(c, E_E_REV_L, i) - v)
                       + g_i * (ek(c, E_E_REV_I, i) - v))
    cdef double with_k = cur + g_k * (ek(c, E_E_REV_K, i) - v)   # arms up front (see xcal)
    return with_k if ek(c, E_KNA_ON, i) != 0.0 else cur


cdef inline double ge_thr(double g_i, double adapt, double g_k, const econsts_t* c, int i) noexcept nogil:
    """Excitatory conductance that puts the equilibrium potential at thr."""
    cdef double num = g_i * (ek(c, E_E_REV_I, i) - ek(c, E_THR, i)) + ek(c, E_G_BAR_L, i) * (ek(c, E_E_REV_L, i) - ek(c, E_THR, i))
    cdef double with_k = num + g_k * (ek(c, E_E_REV_K, i) - ek(c, E_THR, i))
    num = with_k if ek(c, E_KNA_ON, i) != 0.0 else num
    return (num - adapt) / (ek(c, E_THR, i) - ek(c, E_E_REV_E, i))


cdef inline double avg_fm_isi(double avg, double isi, const econsts_t* c, int i) noexcept nogil:
    """Running average of the inter-spike interval; jumps down on much shorter intervals."""
    cdef double moved = avg + ek(c, E_ISI_DT, i) * (isi - avg)
    return isi if ((avg <= 0.0) | (isi < 0.8 * avg)) else moved


cdef inline double kna_step(double g, double rise, double gmax, double dt, int spiking,
                            int spike, double act) noexcept nogil:
    """One cycle of a Na-gated K conductance: rise toward gmax by spikes (or act), decay by dt."""
    if spiking:
        return g + rise * (gmax - g) if spike else g - dt * g
    return g + act * rise * (gmax - g) - dt * g


cdef inline double xcal(double x, double th, const econsts_t* c, int i) noexcept nogil:
    """XCAL check mark: 0 below d_thr, x - th above th*d_rev, else -x*(1-d_rev)/d_rev."""
    # Both arms computed from constants read up front: a load inside one arm of a
    # select becomes a masked load that keeps the learning loop scalar.
    cdef double up = x - th
    cdef double down = -x * ek(c, E_REV_FAC, i)
    cdef double lin = up if x > th * ek(c, E_D_REV, i) else down
    return 0.0 if x < ek(c, E_D_THR, i) else lin


cdef inline double soft_bound(double dwt, double fwt) noexcept nogil:
    """Increases shrink toward 1, decreases toward 0, in proportion to the linear weight."""
    return dwt * (1.0 - fwt) if dwt > 0 else dwt * fwt


cdef inline int pow_kind_of(double gain) noexcept nogil:
    """How SIG's power b**gain is computed: POW_1_5, an integer 1..16, or POW_LIBM."""
    if gain == 1.5:
        return POW_1_5
    if gain >= 1.0 and gain <= POW_INT_MAX and gain == <double><int>gain:
        return <int>gain
    return POW_LIBM


cdef inline double pow_int(double b, int n) noexcept nogil:
    """b**n for an integer n >= 1 by square-and-multiply (fixed order: same bits
    everywhere).  Within ~n/2 ulp of pow; inf, NaN and signs as pow gives them."""
    cdef double r = b if n & 1 else 1.0
    cdef double sq = b
    n >>= 1
    while n:
        sq = sq * sq
        if n & 1:
            r = r * sq
        n >>= 1
    return r


cdef inline double pow_6(double b) noexcept nogil:
    """b**6, the presets' SIG gain, written out: exactly pow_int(b, 6)'s operations
    (1.0 * b**2 is b**2), with no loop, so it inlines into a vector loop."""
    cdef double b2 = b * b
    return b2 * (b2 * b2)


cdef inline void pow_int_lanes(double_r b, int n, double_r r, int B) noexcept nogil:
    """pow_int on B lanes in place (r is scratch): the bits of n outside, the lanes
    inside, so every step is a vector loop; pow_int's operations in its order."""
    cdef int i
    for i in range(B):
        r[i] = b[i] if n & 1 else 1.0
    n >>= 1
    while n:
        for i in range(B):
            b[i] = b[i] * b[i]
        if n & 1:
            for i in range(B):
                r[i] = r[i] * b[i]
        n >>= 1
    for i in range(B):
        b[i] = r[i]


cdef inline double sig_base(double w, const econsts_t* c, int i) noexcept nogil:
    """The base of SIG's power: off*(1 - w) / w (emergent), or / (w + sig_eps) (seed SIG)."""
    cdef double shifted = w + ek(c, E_SIG_EPS, i)   # computed up front (see xcal)
    cdef double den = shifted if ek(c, E_QUIRK_SIG_SEED, i) != 0.0 else w
    return (ek(c, E_WT_SIG_OFF, i) * (1.0 - w)) / den


cdef inline double sig_from_pow(double w, double bp, const econsts_t* c, int i) noexcept nogil:
    """SIG from its power bp = base**gain: emergent's is exactly 0 at w <= 0 and 1 at w >= 1."""
    cdef double s = 1.0 / (1.0 + bp)
    cdef double ends = 0.0 if w <= 0.0 else (1.0 if w >= 1.0 else s)
    return s if ek(c, E_QUIRK_SIG_SEED, i) != 0.0 else ends


cdef inline double pow_any(double b, int kind, double gain) noexcept nogil:
    if kind == POW_1_5:
        return lf_pow_1_5(b)
    if kind > 0:
        return pow_int(b, kind)
    return pow(b, gain)


cdef inline double sig(double w, const econsts_t* c, int i) noexcept nogil:
    """Weight contrast enhancement of the linear weight w (scalar, any gain)."""
    cdef double b = sig_base(w, c, i)
    cdef double gain = ek(c, E_WT_SIG_GAIN, i)
    return sig_from_pow(w, pow_any(b, pow_kind_of(gain), gain), c, i)


# ------------------------------------------------------------------ per-lane stages

cdef inline void lane_trial_start(Lanes* L, const econsts_t* c, int i, int open) noexcept nogil:
    """Trial start: avg_l from the last avg_m (emergent form; only when the layer gate is
    open), then decay toward the initial state."""
    cdef double al = L.avg_l[i]
    cdef double al_new = al + ek(c, E_K_L, i) * (ek(c, E_AVG_L_GAIN, i) * L.avg_m[i] - al)
    al_new = ek(c, E_AVG_L_MIN, i) if al_new < ek(c, E_AVG_L_MIN, i) else al_new
    L.avg_l[i] = al_new if (ek(c, E_QUIRK_AVG_L_SEED, i) == 0.0) & open else al
    cdef double d = ek(c, E_DECAY, i)
    L.act[i] = L.act[i] - d * (L.act[i] - ek(c, E_INIT_ACT, i))
    L.act_nd[i] = L.act_nd[i] - d * (L.act_nd[i] - ek(c, E_INIT_ACT, i))
    L.net[i] = L.net[i] - d * (L.net[i] - ek(c, E_INIT_NET, i))
    L.v_m[i] = L.v_m[i] - d * (L.v_m[i] - ek(c, E_INIT_V_M, i))
    L.v_m_eq[i] = L.v_m_eq[i] - d * (L.v_m_eq[i] - ek(c, E_INIT_V_M, i))


cdef inline void lane_clamp(Lanes* L, int i, int plus) noexcept nogil:
    """The clamp value of this cycle: the target in the plus phase, else ext; NaN = free."""
    cdef double tv = L.targ[i]
    L.clampv[i] = tv if (plus & (tv == tv)) else L.clampv[i]


cdef inline void lane_input(Lanes* L, const econsts_t* c, int i) noexcept nogil:
    """Conductances, net input and the membrane current of every channel but the AdEx
    term; ex gets the potential v_eff at which the current is taken.  Clamped lanes
    take net = the clamp value."""
    cdef double clampv = L.clampv[i]
    cdef bint clamped = clampv == clampv
    cdef double net_raw = ek(c, E_NET_SCALE, i) * L.acc[i] + L.ge[i]
    cdef double g_i = ek(c, E_G_BAR_I, i) * L.gci[i]
    cdef double g_k = ek(c, E_G_BAR_K, i) * (L.gkna_f[i] + L.gkna_m[i] + L.gkna_s[i])
    cdef double net = L.net[i]
    cdef double integrated = net + ek(c, E_K_NET, i) * (net_raw - net)
    cdef double direct = net_raw + 0.0
    cdef double free_net = direct if ek(c, E_DIRECT_GE, i) != 0.0 else integrated
    free_net = 0.0 if ((ek(c, E_NET_CLIP_ZERO, i) != 0.0) & (free_net < 0.0)) else free_net
    net = clampv if clamped else free_net
    cdef double g_e = ek(c, E_G_BAR_E, i) * net
    # Midpoint (or Euler) potential at which the current is taken.
    cdef double vm = L.v_m[i]
    cdef double v_mid = vm + (0.5 * ek(c, E_K_VM, i)) * (inet(vm, g_e, g_i, g_k, c, i) - L.adapt[i])
    cdef double v_eff = v_mid if ek(c, E_VM_MIDPOINT, i) != 0.0 else vm
    L.net_raw[i] = net_raw
    L.net[i] = net
    L.g_e[i] = g_e
    L.g_i[i] = g_i
    L.g_k[i] = g_k
    L.i_net[i] = inet(v_eff, g_e, g_i, g_k, c, i)
    L.ex[i] = v_eff   # the AdEx exponent is taken from it only when AdEx is on


cdef inline void lane_vm(Lanes* L, const econsts_t* c, int i, int spike_mode) noexcept nogil:
    """v_m and v_m_eq from I_net (held while refractory), the spike and reset, then act
    in spiking mode or the rate code's drive.  Clamped lanes compute values here that
    lane_commit discards."""
    cdef bint can_spike = spike_mode | (ek(c, E_RATE_SPIKES, i) != 0.0)
    cdef bint clamped = L.clampv[i] == L.clampv[i]
    cdef double vm = L.v_m[i]
    cdef double eq = L.v_m_eq[i]
    cdef double adapt = L.adapt[i]
    cdef double isi = L.isi[i]
    cdef double g_e = L.g_e[i]
    cdef double g_i = L.g_i[i]
    cdef double g_k = L.g_k[i]
    # Comparisons combined with & and |, not `and`/`or`: no branches in the lane loops.
    cdef bint refractory = can_spike & (ek(c, E_T_R, i) > 0.0) & (isi >= 0.0) & (isi < ek(c, E_T_R, i))
    cdef double i_net = L.i_net[i]
    cdef double stepped = vm + ek(c, E_K_VM, i) * (i_net - adapt)
    cdef double new_vm = vm if refractory else stepped
    i_net = 0.0 if refractory else i_net
    cdef double new_eq = eq + ek(c, E_K_VM, i) * (inet(eq, g_e, g_i, g_k, c, i) - adapt)
    new_vm = clip(new_vm, ek(c, E_VM_MIN, i), ek(c, E_VM_MAX, i))
    new_eq = clip(new_eq, ek(c, E_VM_MIN, i), ek(c, E_VM_MAX, i))

    # Spike on v_m, and reset (the ISI bookkeeping follows in lane_isi).
    cdef bint spike = can_spike & (not clamped) & (new_vm > ek(c, E_SPK_THR, i))
    cdef double vm_r = ek(c, E_VM_R, i)
    new_vm = vm_r if spike else new_vm
    cdef double spk = 1.0 if spike else 0.0
    L.spk[i] = spk
    L.n_spk[i] += spk

    cdef bint sub
    cdef double below_thr, over_thr
    if spike_mode:
        L.new_act[i] = spk   # act_nd: lane_spike_rate, or the spike (seed quirk)
    else:
        sub = (L.act_nd[i] < ek(c, E_VM_ACT_THR, i)) & (new_eq <= ek(c, E_THR, i))
        below_thr = new_eq - ek(c, E_THR, i)
        over_thr = g_e - ge_thr(g_i, adapt, g_k, c, i)
        L.drive[i] = below_thr if sub else over_thr
    L.i_net[i] = i_net
    L.new_vm[i] = new_vm
    L.new_eq[i] = new_eq


cdef inline void lane_i_rec(Lanes* L, const econsts_t* c, int i, int spike_mode) noexcept nogil:
    """The recorded I_net, right after lane_vm (the ISI and adapt not yet updated):
    emergent's is the current that moved v_m, adapt included, and 0 while refractory,
    on a spike cycle and when clamped; the seed's the channel current (0 when clamped).
    Run only on cycles that record I_net."""
    cdef bint can_spike = spike_mode | (ek(c, E_RATE_SPIKES, i) != 0.0)
    cdef double isi = L.isi[i]
    cdef bint refractory = can_spike & (ek(c, E_T_R, i) > 0.0) & (isi >= 0.0) & (isi < ek(c, E_T_R, i))
    cdef bint quiet = refractory | (L.spk[i] != 0.0) | (L.clampv[i] == L.clampv[i])
    cdef double i_net = L.i_net[i]
    cdef double moved = i_net - L.adapt[i]
    moved = 0.0 if quiet else moved
    cdef double seed = 0.0 if L.clampv[i] == L.clampv[i] else i_net
    L.i_rec[i] = seed if ek(c, E_I_NET_SEED, i) != 0.0 else moved


cdef inline void lane_isi(Lanes* L, const econsts_t* c, int i) noexcept nogil:
    """The inter-spike interval and its running average, when units can spike: the
    first spike marks the average -2, later ones average the ISI; between spikes the
    ISI grows, and a much longer one pulls the average up.  Clamped lanes keep theirs."""
    cdef bint clamped = L.clampv[i] == L.clampv[i]
    cdef bint spike = L.spk[i] != 0.0
    cdef double isi = L.isi[i]
    cdef double isi_avg = L.isi_avg[i]
    cdef double avg_next = avg_fm_isi(isi_avg, isi + 1.0, c, i)
    cdef double avg_spk = -2.0 if isi_avg == -1.0 else (avg_next if isi > 0.0 else isi_avg)
    cdef double isi_up = isi + 1.0
    cdef bint longer = (isi_avg >= 0.0) & (isi_up > 0.0) & (isi_up > 1.2 * isi_avg)
    cdef double avg_long = avg_fm_isi(isi_avg, isi_up, c, i)
    cdef double avg_up = avg_long if longer else isi_avg
    cdef bint grow = (not clamped) & (not spike) & (isi >= 0.0)
    L.isi[i] = 0.0 if spike else (isi_up if grow else isi)
    L.isi_avg[i] = avg_spk if spike else (avg_up if grow else isi_avg)


cdef inline void lane_spike_rate(Lanes* L, const econsts_t* c, int i) noexcept nogil:
    """Spiking: act_nd relaxes toward the firing rate estimated from the ISI average."""
    cdef double isi_avg = L.isi_avg[i]
    cdef double r = ek(c, E_RATE_NUM, i) / isi_avg
    cdef double rate = r if isi_avg > 0.0 else 0.0
    rate = 1.0 if rate > 1.0 else rate
    cdef double nd = L.act_nd[i]
    L.new_nd[i] = nd + ek(c, E_K_VM, i) * (rate - nd)


cdef inline void lane_rate_act(Lanes* L, const econsts_t* c, int i) noexcept nogil:
    """Rate code: act_nd relaxes toward the NXX1 target (drive now holds it)."""
    cdef double nd = L.act_nd[i]
    nd = nd + ek(c, E_K_VM, i) * (L.drive[i] - nd)
    L.new_nd[i] = nd
    L.new_act[i] = nd


cdef inline void lane_adapt(Lanes* L, const econsts_t* c, int i, int quirk) noexcept nogil:
    """Adaptation current from the new v_m (after any reset) and this cycle's spike: the
    seed's form (quirk, a constant at each call) or emergent's; a clamped lane keeps its
    value.  Run only when adaptation is on."""
    cdef bint clamped = L.clampv[i] == L.clampv[i]
    cdef double spk = L.spk[i]
    cdef double adapt = L.adapt[i]
    cdef double dv = ek(c, E_VM_GAIN, i) * (L.new_vm[i] - ek(c, E_E_REV_L, i))
    cdef double ad
    if quirk:
        ad = adapt + (dv + spk * ek(c, E_SPIKE_GAIN, i)) / ek(c, E_ADAPT_DIV, i)
    else:
        ad = adapt + ek(c, E_K_ADAPT_INTEG, i) * (ek(c, E_ADAPT_DT, i) * (dv - adapt) + spk * ek(c, E_SPIKE_GAIN, i))
    L.adapt[i] = adapt if clamped else ad


cdef inline void lane_kna(Lanes* L, const econsts_t* c, int i, int spike_mode) noexcept nogil:
    """The three KNa conductances from this cycle's spike (spiking) or new act_nd (rate
    code); a clamped lane keeps them.  Run only when KNa is on."""
    cdef bint clamped = L.clampv[i] == L.clampv[i]
    cdef bint spike = L.spk[i] != 0.0
    cdef double a_kna = ek(c, E_KNA_RATE_RISE, i) * L.new_nd[i]
    cdef double gf = L.gkna_f[i]
    cdef double gm = L.gkna_m[i]
    cdef double gs = L.gkna_s[i]
    cdef double nf = kna_step(gf, ek(c, E_KNA_F_RISE, i), ek(c, E_KNA_F_MAX, i), ek(c, E_KNA_F_DT, i), spike_mode, spike, a_kna)
    cdef double nm = kna_step(gm, ek(c, E_KNA_M_RISE, i), ek(c, E_KNA_M_MAX, i), ek(c, E_KNA_M_DT, i), spike_mode, spike, a_kna)
    cdef double ns = kna_step(gs, ek(c, E_KNA_S_RISE, i), ek(c, E_KNA_S_MAX, i), ek(c, E_KNA_S_DT, i), spike_mode, spike, a_kna)
    L.gkna_f[i] = gf if clamped else nf
    L.gkna_m[i] = gm if clamped else nm
    L.gkna_s[i] = gs if clamped else ns


cdef inline void lane_commit(Lanes* L, const econsts_t* c, int i, int clamps) noexcept nogil:
    """The new v_m, v_m_eq, act and act_nd; a clamped lane takes v_m and act from the
    clamp (C++ Compute_HardClamp).  clamps (a constant at each call) is 0 when no lane
    of the block is clamped this cycle: plain copies then."""
    if not clamps:
        L.v_m[i] = L.new_vm[i]
        L.v_m_eq[i] = L.new_eq[i]
        L.act[i] = L.new_act[i]
        L.act_nd[i] = L.new_nd[i]
        return
    cdef double clampv = L.clampv[i]
    cdef bint clamped = clampv == clampv
    cdef double cv = clip(clampv, ek(c, E_CLAMP_MIN, i), ek(c, E_CLAMP_MAX, i))
    cdef double thr_cv = ek(c, E_THR, i) + cv / ek(c, E_GAIN, i)   # both arms up front (see xcal)
    cdef double e_rev_l = ek(c, E_E_REV_L, i)
    cdef double clamp_vm = e_rev_l if cv == 0.0 else thr_cv
    L.v_m[i] = clamp_vm if clamped else L.new_vm[i]
    L.v_m_eq[i] = clamp_vm if clamped else L.new_eq[i]
    L.act[i] = cv if clamped else L.new_act[i]
    L.act_nd[i] = cv if clamped else L.new_nd[i]
    L.i_net[i] = 0.0 if clamped else L.i_net[i]


cdef inline void lane_averages(Lanes* L, const econsts_t* c, int i, int seed_avg_l) noexcept nogil:
    """Running averages of act_nd, every cycle, and the values learning reads; the
    seed's avg_l update (quirk) at the first cycle of a trial (seed_avg_l)."""
    cdef double ss = L.avg_ss[i] + ek(c, E_K_SS, i) * (L.act_nd[i] - L.avg_ss[i])
    cdef double s = L.avg_s[i] + ek(c, E_K_S, i) * (ss - L.avg_s[i])
    cdef double m = L.avg_m[i] + ek(c, E_K_M, i) * (s - L.avg_m[i])
    cdef double al = L.avg_l[i]
    al = al + ek(c, E_K_L, i) * (m - al) if seed_avg_l else al
    L.avg_ss[i] = ss
    L.avg_s[i] = s
    L.avg_m[i] = m
    L.avg_l[i] = al
    cdef double l_lrn = ek(c, E_L_LRN, i)
    cdef double from_avg_l = ek(c, E_AVG_L_LRN_MIN, i) + (al - ek(c, E_AVG_L_MIN, i)) * ek(c, E_LRN_FACT, i)
    L.avg_l_lrn[i] = l_lrn if ek(c, E_SET_L_LRN, i) != 0.0 else from_avg_l
    L.avg_s_eff[i] = ek(c, E_M_IN_S, i) * m + ek(c, E_ONE_M_IN_S, i) * s


cdef inline int lane_open(const econsts_t* c, int i, int scalar) noexcept nogil:
    """Lane i's avg_l gate at this trial start: the block's, or the lane's own."""
    if econsts_t is EConsts:
        return scalar
    else:
        return c.open_[i]


cdef inline Py_ssize_t lane_tab_off(const econsts_t* c, int i, Py_ssize_t scalar) noexcept nogil:
    """Where lane i's NXX1 table starts in the call's table pool."""
    if econsts_t is EConsts:
        return scalar
    else:
        return c.tab_off[i]


cdef inline Py_ssize_t lane_tab_n(const econsts_t* c, int i, Py_ssize_t scalar) noexcept nogil:
    """The length of lane i's NXX1 table."""
    if econsts_t is EConsts:
        return scalar
    else:
        return c.tab_n[i]


# ------------------------------------------------------------------------ learning

cdef inline void learn_pass(const econsts_t* c, const Lanes* L, double_r fw, double_r w,
                            cdouble_r ss_j, cdouble_r sm_j, double_r bp, double_r chg,
                            double_r r_dwt, double_r r_srs, double_r r_srm, double_r r_xcal,
                            int soft, int rec, int pk, int B) noexcept nogil:
    """XCAL at every synapse of one input j of a block, learning: sender-receiver
    products, the check mark against avg_l and the medium-term floating threshold, the
    weight change (soft bound, clip) where the senders are active enough.  With pk 0, bp
    gets SIG's base and chg marks the weights that change, for the caller to finish;
    with pk POW_1_5 or 6, the new effective weight is computed here, in the same loop.
    soft, rec and pk are constants at each call (GCC 12 does not vectorise the loop when
    a uniform flag selects between lane values)."""
    # (learn_every_cycle is one value for the block: per-lane blocks share their mode)
    cdef double every = 1.0 if ek(c, E_LEARN_EVERY_CYCLE, 0) != 0.0 else 0.0
    cdef double su_sv, su_mv, srs, srm, xcal_l, fwt, learns, dwt, change, f, base, power
    cdef int i
    for i in range(B):
        su_sv = ss_j[i]
        su_mv = sm_j[i]
        srs = L.avg_s_eff[i] * su_sv
        srm = L.avg_m[i] * su_mv
        xcal_l = xcal(srs, L.avg_l[i], c, i)
        fwt = fw[i]
        # Senders active enough; masks held as 0.0/1.0 (with int masks GCC 12 leaves
        # this loop scalar).
        learns = (0.0 if su_mv < ek(c, E_LRN_THR, i) else 1.0) if su_sv < ek(c, E_LRN_THR, i) else 1.0
        dwt = 0.0 + ek(c, E_LRATE, i) * (ek(c, E_M_LRN, i) * xcal(srs, srm, c, i) + L.avg_l_lrn[i] * xcal_l)
        if soft:
            dwt = soft_bound(dwt, fwt)
        dwt = dwt if learns != 0.0 else 0.0
        change = (1.0 if dwt != 0.0 else every) if learns != 0.0 else 0.0
        f = clip(fwt + dwt, 0.0, 1.0)
        base = sig_base(f, c, i)
        fw[i] = f if change != 0.0 else fwt
        if pk == 0:
            chg[i] = change
            bp[i] = base
        else:
            power = lf_pow_1_5(base) if pk == POW_1_5 else pow_6(base)
            w[i] = sig_from_pow(f, power, c, i) if change != 0.0 else w[i]
        if rec:
            r_dwt[i] = dwt
            r_srs[i] = srs
            r_srm[i] = srm
            r_xcal[i] = xcal_l


cdef void learn_block(width_t width, syn_t what, const econsts_t* c, Scratch* s, Py_ssize_t J,
                      Lanes* L, int pow_kind) noexcept nogil:
    """XCAL at every synapse of a block; when learning (``what``), the weight change and
    SIG (see learn_pass); when recording, the synapse values.  The width and ``what``
    are types, so each of the nine versions has them as constants.  SIG's power:
    pow_kind (pow_kind_of); a libm pow runs in a loop of its own, outside the vector
    loop."""
    cdef int B, learn, rec
    if width_t is Wide:
        B = BLOCK_
    elif width_t is Mid:
        B = MID_
    else:
        B = NARROW_
    if syn_t is LearnOnly:
        learn, rec = 1, 0
    elif syn_t is RecordOnly:
        learn, rec = 0, 1
    else:
        learn, rec = 1, 1
    cdef double_r bp = L.bp
    cdef double_r chg = L.chg
    cdef int soft = ek(c, E_SOFT_BOUND, 0) != 0.0   # one mode for the block
    cdef double_r fw
    cdef double_r w
    cdef cdouble_r ss_j
    cdef cdouble_r sm_j
    cdef double_r r_dwt
    cdef double_r r_srs
    cdef double_r r_srm
    cdef double_r r_xcal
    cdef double srs, srm
    cdef Py_ssize_t j
    cdef int i
    for j in range(J):
        fw = s.fwt + j * B
        w = s.wt + j * B
        ss_j = s.su_s + j * B
        sm_j = s.su_m + j * B
        r_dwt = s.rec + (0 * J + j) * B
        r_srs = s.rec + (1 * J + j) * B
        r_srm = s.rec + (2 * J + j) * B
        r_xcal = s.rec + (5 * J + j) * B
        # The presets' SIG gains (6: emergent, Go; 1.5: seed) in one loop, when not
        # recording; other gains, and recording cycles, in passes.
        if learn and not rec and pow_kind == 6:
            if soft:
                learn_pass(c, L, fw, w, ss_j, sm_j, bp, chg, r_dwt, r_srs, r_srm, r_xcal,
                           1, rec, 6, B)
            else:
                learn_pass(c, L, fw, w, ss_j, sm_j, bp, chg, r_dwt, r_srs, r_srm, r_xcal,
                           0, rec, 6, B)
        elif learn and not rec and pow_kind == POW_1_5:
            if soft:
                learn_pass(c, L, fw, w, ss_j, sm_j, bp, chg, r_dwt, r_srs, r_srm, r_xcal,
                           1, rec, POW_1_5, B)
            else:
                learn_pass(c, L, fw, w, ss_j, sm_j, bp, chg, r_dwt, r_srs, r_srm, r_xcal,
                           0, rec, POW_1_5, B)
        elif learn:
            if soft:
                learn_pass(c, L, fw, w, ss_j, sm_j, bp, chg, r_dwt, r_srs, r_srm, r_xcal,
                           1, rec, 0, B)
            else:
                learn_pass(c, L, fw, w, ss_j, sm_j, bp, chg, r_dwt, r_srs, r_srm, r_xcal,
                           0, rec, 0, B)
            # SIG's power; libm pow only where the weight changed, outside vector loops.
            if pow_kind == POW_LIBM:
                for i in range(B):
                    if chg[i] != 0.0:
                        bp[i] = pow(bp[i], ek(c, E_WT_SIG_GAIN, i))
            elif pow_kind == POW_1_5:
                for i in range(B):
                    bp[i] = lf_pow_1_5(bp[i])
            else:
                pow_int_lanes(bp, pow_kind, L.pow_acc, B)
            # The effective weight where the linear one changed.
            for i in range(B):
                w[i] = sig_from_pow(fw[i], bp[i], c, i) if chg[i] != 0.0 else w[i]
        elif rec:
            for i in range(B):
                srs = L.avg_s_eff[i] * ss_j[i]
                srm = L.avg_m[i] * sm_j[i]
                r_dwt[i] = 0.0
                r_srs[i] = srs
                r_srm[i] = srm
                r_xcal[i] = xcal(srs, L.avg_l[i], c, i)


# --------------------------------------------------------------- lane-array helpers

cdef inline void exp_lanes(double_r v, int B) noexcept nogil:
    """The exp of every lane: the shorter form when the whole block is in its normal
    range (the usual case; same bits)."""
    cdef int i
    cdef int normal = 1
    for i in range(B):
        normal &= fabs(v[i]) <= LF_EXP_NORMAL_MAX
    if normal:
        for i in range(B):
            v[i] = lf_exp_normal(v[i])
    else:
        for i in range(B):
            v[i] = lf_exp(v[i])


cdef inline void noisy_xx1_lanes(double_r x, double_r ex, double_r out, const econsts_t* c,
                                 int B) noexcept nogil:
    """Closed-form noisy XX1 of every lane, in place: each of its three pieces (sigmoid
    below 0, interpolation, gain-corrected XX1) computed only when some lane of the
    block falls in it, and only there written; ex and out are scratch.  Same bits as
    noisy_xx1 on each lane (NaN falls in the last piece, as there)."""
    cdef int any_below = 0, any_near = 0, any_above = 0
    cdef bint below, inside
    cdef double bel, interp, near, above
    cdef int i
    for i in range(B):
        below = x[i] < 0.0
        inside = x[i] < ek(c, E_INTERP_RANGE, i)
        any_below |= below
        any_near |= (not below) & inside
        any_above |= not inside
        out[i] = 0.0
    if any_below:
        for i in range(B):
            ex[i] = nxx1_exp_arg(x[i], c, i)
        exp_lanes(ex, B)
        for i in range(B):
            bel = ek(c, E_SIG_MULT_EFF, i) / (1.0 + ex[i])
            out[i] = bel if x[i] < 0.0 else out[i]
    if any_near:
        for i in range(B):
            interp = 1.0 - ((ek(c, E_INTERP_RANGE, i) - x[i]) / ek(c, E_INTERP_RANGE, i))
            near = ek(c, E_SIG_VAL_AT_0, i) + interp * ek(c, E_INTERP_VAL, i)
            out[i] = near if ((not (x[i] < 0.0)) & (x[i] < ek(c, E_INTERP_RANGE, i))) else out[i]
    if any_above:
        for i in range(B):
            above = xx1_gain_cor(x[i], c, i)
            out[i] = out[i] if x[i] < ek(c, E_INTERP_RANGE, i) else above
    for i in range(B):
        x[i] = out[i]


cdef inline void net_input(double_r acc, cdouble_r x, cdouble_r wt, Py_ssize_t J,
                           int B) noexcept nogil:
    """Net input: sum_j x_j * wt_j in input order per lane."""
    cdef Py_ssize_t j
    cdef int i
    for i in range(B):
        acc[i] = 0.0
    for j in range(J):
        for i in range(B):
            acc[i] = acc[i] + x[j * B + i] * wt[j * B + i]


# ------------------------------------------------- schedules and state, via memoryviews

cdef inline int load_syn(const double[:, :, :] sched, Py_ssize_t trial, Py_ssize_t u0, int n,
                         Py_ssize_t J, double* out, int W) except -1 nogil:
    """One trial of a synapse schedule for units u0 .. u0+n-1 into [input][lane]."""
    cdef Py_ssize_t u, j
    cdef int i
    for i in range(W):
        u = u0 + (i if i < n else n - 1)   # padding lanes repeat the last unit
        for j in range(J):
            out[j * W + i] = sched[trial, u, j]
    return 0


cdef inline int load_cycle(const double[:, :, :] sched, Py_ssize_t trial, Py_ssize_t cyc,
                           Py_ssize_t u0, int n, double* out, int W) except -1 nogil:
    """One cycle of a per-cycle schedule for the block's lanes."""
    cdef double v
    cdef int i
    if sched.strides[2] == 0:   # one value for every unit (a broadcast schedule)
        v = sched[trial, cyc, u0]
        for i in range(W):
            out[i] = v
        return 0
    if n == W and sched.strides[2] == sizeof(double):
        if LEABRA_FAST_DEBUG:
            v = sched[trial, cyc, u0 + W - 1]   # bounds-checks the copy's last element
        memcpy(out, &sched[trial, cyc, u0], sizeof(double) * W)
        return 0
    for i in range(W):
        out[i] = sched[trial, cyc, u0 + (i if i < n else n - 1)]
    return 0


cdef int run_block_body(
    width_t width, mode_t mode, const econsts_t* consts, const Run* a, Scratch* s,
    const double[::1] table, Py_ssize_t tab_off, Py_ssize_t tab_n, int open_,
    const double[:, :, :] x, const double[:, :, :] su_s, const double[:, :, :] su_m,
    const double[:, :, :] ge, const double[:, :, :] gc_i,
    const double[:, :, :] ext, const double[:, :, :] targ,
    double[:, ::1] us, double[:, :, ::1] ss, const Py_ssize_t[::1] unit_cols,
    double[:, :, ::1] ub, double[:, :, :, ::1] sb, double[:, :, ::1] act_q,
    long long[::1] spikes, long long[::1] first_bad,
    Py_ssize_t u0, int n, Py_ssize_t t0, Py_ssize_t t1,
) except -1 nogil:
    """Run units u0 .. u0+n-1 (n <= the width) through schedule cycles t0 .. t1-1 (a
    window of c0 .. c1-1).  Returns STATUS_OK_ or STATUS_NONFINITE_.

    consts: one parameter set (EConsts), whose NXX1 table is table[tab_off ..
    tab_off+tab_n-1] and avg_l gate open_; or per-lane sets (LaneConsts, s.kc, filled
    by the caller with each lane's table span and gate, the other three unused)."""
    cdef int W, spike_mode
    if width_t is Wide:
        W = BLOCK_
    elif width_t is Mid:
        W = MID_
    else:
        W = NARROW_
    if mode_t is Spiking:
        spike_mode = 1
    else:
        spike_mode = 0
    cdef int B = W
    # A local copy: the compiler then knows no store below can change a constant.
    # (Per-lane constants are read where the caller put them.)
    cdef EConsts k_local
    cdef const econsts_t* c
    if econsts_t is EConsts:
        k_local = consts[0]
        c = &k_local
    else:
        c = consts
    cdef Py_ssize_t J = a.n_inputs
    # The mode: one for the block (lane 0's, when per lane).
    cdef int pow_kind = pow_kind_of(ek(c, E_WT_SIG_GAIN, 0))
    cdef int use_table = ek(c, E_USE_TABLE, 0) != 0.0
    cdef int exp_on = ek(c, E_EXP_ON, 0) != 0.0
    cdef int adapt_on = ek(c, E_ADAPT_ON, 0) != 0.0
    cdef int kna_on = ek(c, E_KNA_ON, 0) != 0.0
    cdef int seed_avg_l = ek(c, E_QUIRK_AVG_L_SEED, 0) != 0.0
    cdef int isi_on = spike_mode or ek(c, E_RATE_SPIKES, 0) != 0.0
    cdef int nd_spike = ek(c, E_ACT_ND_SPIKE, 0) != 0.0
    cdef int adapt_quirk = ek(c, E_QUIRK_ADAPT_SEED, 0) != 0.0
    cdef int every_cycle = ek(c, E_LEARN_EVERY_CYCLE, 0) != 0.0
    cdef double minus_cycles = ek(c, E_MINUS_CYCLES, 0)
    cdef Py_ssize_t cyc_per_qtr = <Py_ssize_t>ek(c, E_CYC_PER_QTR, 0)
    # The lanes on the stack (about 21 KiB, one body live at a time), where the compiler
    # knows no incoming pointer (table, schedules, scratch) can reach them: on the heap,
    # a store to a lane could alias a table read and the lookup loop stays scalar.
    cdef Lanes lanes
    cdef Lanes* L = &lanes
    # Sizes read in lane loops, as locals: a store to the lanes could alias *a.
    cdef Py_ssize_t to, tn
    cdef double* state[N_UNIT_STATE]
    cdef double* unit_vals[N_UNIT_TRACES]
    cdef double* syn_vals[N_SYN_TRACES]
    cdef double* unit_src[N_UNIT_TRACES]
    cdef double* syn_src[N_SYN_TRACES]
    cdef Py_ssize_t unit_slot[N_UNIT_TRACES]
    cdef Py_ssize_t syn_slot[N_SYN_TRACES]
    cdef int n_unit_rec = 0, n_syn_rec = 0, any_rec = 0, status = STATUS_OK_
    cdef int i, r, k, rec, rec_syn, learn, any_clamped, bad, seed_now, nb, fin, rec_i_net
    cdef int records_i_net = (a.slot[T_I_NET] >= 0) & a.has_ub
    cdef Py_ssize_t u, j, t, trial, cycle, phase, row, absolute, kt, slot, col
    cdef double xv, f, wv
    cdef double* v
    cdef LearnOnly learn_only
    cdef RecordOnly record_only
    cdef LearnRecord learn_record
    learn_only.tag = record_only.tag = learn_record.tag = 0

    state[S_NET] = L.net
    state[S_V_M] = L.v_m
    state[S_V_M_EQ] = L.v_m_eq
    state[S_ACT] = L.act
    state[S_ACT_ND] = L.act_nd
    state[S_ADAPT] = L.adapt
    state[S_ISI] = L.isi
    state[S_ISI_AVG] = L.isi_avg
    state[S_AVG_SS] = L.avg_ss
    state[S_AVG_S] = L.avg_s
    state[S_AVG_M] = L.avg_m
    state[S_AVG_L] = L.avg_l
    state[S_GKNA_F] = L.gkna_f
    state[S_GKNA_M] = L.gkna_m
    state[S_GKNA_S] = L.gkna_s

    # A narrow block computes its real lanes only, and the loops after the neuron
    # stages read all B: give the padding lanes defined values (their results unused).
    if W == NARROW_:
        memset(L, 0, sizeof(Lanes))

    for i in range(B):
        u = u0 + (i if i < n else n - 1)   # padding lanes repeat the last unit
        for r in range(N_UNIT_STATE):
            state[r][i] = us[r, u]
        L.n_spk[i] = 0.0
        L.col[i] = unit_cols[u] if i < n else -1
        any_rec |= L.col[i] >= 0
        for j in range(J):
            s.fwt[j * B + i] = ss[0, u, j]
            s.wt[j * B + i] = ss[1, u, j]

    # The recorded traces, once: which trace slot each records and which lane array feeds it.
    unit_vals[T_NET_RAW] = L.net_raw
    unit_vals[T_NET] = L.net
    unit_vals[T_G_E] = L.g_e
    unit_vals[T_G_I] = L.g_i
    unit_vals[T_G_K] = L.g_k
    unit_vals[T_I_NET] = L.i_rec
    unit_vals[T_V_M] = L.v_m
    unit_vals[T_V_M_EQ] = L.v_m_eq
    unit_vals[T_ACT] = L.act
    unit_vals[T_ACT_ND] = L.act_nd
    unit_vals[T_SPIKE] = L.spk
    unit_vals[T_ADAPT] = L.adapt
    unit_vals[T_AVG_SS] = L.avg_ss
    unit_vals[T_AVG_S] = L.avg_s
    unit_vals[T_AVG_M] = L.avg_m
    unit_vals[T_AVG_L] = L.avg_l
    unit_vals[T_AVG_L_LRN] = L.avg_l_lrn
    unit_vals[T_AVG_S_EFF] = L.avg_s_eff
    syn_vals[T_DWT - T_DWT] = s.rec
    syn_vals[T_SRS - T_DWT] = s.rec + J * B
    syn_vals[T_SRM - T_DWT] = s.rec + 2 * J * B
    syn_vals[T_FWT - T_DWT] = s.fwt
    syn_vals[T_WT - T_DWT] = s.wt
    syn_vals[T_XCAL - T_DWT] = s.rec + 5 * J * B
    if any_rec:
        for k in range(N_UNIT_TRACES):
            if a.slot[k] >= 0 and a.has_ub:
                unit_slot[n_unit_rec] = a.slot[k]
                unit_src[n_unit_rec] = unit_vals[k]
                n_unit_rec += 1
        for k in range(N_SYN_TRACES):
            if a.slot[T_DWT + k] >= 0 and a.has_sb:
                syn_slot[n_syn_rec] = a.slot[T_DWT + k]
                syn_src[n_syn_rec] = syn_vals[k]
                n_syn_rec += 1

    # Trial, cycle in trial and recording phase are counted, not divided, each cycle.
    trial = t0 // a.n_cycles
    cycle = t0 - trial * a.n_cycles
    phase = (a.abs0 + (t0 - a.c0)) % a.every   # absolute % every
    # Trace row of the next recorded cycle: ceil(absolute / every) - rec_base.
    row = (a.abs0 + (t0 - a.c0) + a.every - 1) // a.every - a.rec_base
    t = t0
    while t < t1:
        absolute = a.abs0 + (t - a.c0)
        rec = any_rec & (phase == 0)
        rec_i_net = rec & records_i_net

        if t == t0 or cycle == 0:
            load_syn(x, trial, u0, n, J, s.x, W)
            load_syn(su_s, trial, u0, n, J, s.su_s, W)
            load_syn(su_m, trial, u0, n, J, s.su_m, W)
        if cycle == 0:
            for i in range(B):
                lane_trial_start(L, c, i, lane_open(c, i, open_))
        load_cycle(ext, trial, cycle, u0, n, L.clampv, W)
        load_cycle(ge, trial, cycle, u0, n, L.ge, W)
        load_cycle(gc_i, trial, cycle, u0, n, L.gci, W)
        if <double>cycle >= minus_cycles:   # plus phase: the target clamps
            load_cycle(targ, trial, cycle, u0, n, L.targ, W)
            for i in range(B):
                lane_clamp(L, i, 1)
        any_clamped = 0
        for i in range(B):
            any_clamped |= L.clampv[i] == L.clampv[i]

        net_input(L.acc, s.x, s.wt, J, B)

        # The neuron's cycle.  Wide blocks run each stage as its own short vector loop
        # over the lanes, the optional ones only when needed; a narrow block (a few
        # units, latency-bound) runs them fused per lane, the same functions in the same
        # order (lf_exp for exp_lanes, noisy_xx1 for its pieces, the clamp select for
        # the no-clamp copy), so the same bits.
        if W == NARROW_:
            seed_now = seed_avg_l and cycle == 0
            for i in range(n):   # real lanes only: the chain is the cost
                lane_input(L, c, i)
                if exp_on:
                    L.i_net[i] = L.i_net[i] + ek(c, E_K_EXP, i) * lf_exp(
                        (L.ex[i] - ek(c, E_THR, i)) / ek(c, E_EXP_SLOPE, i))
                lane_vm(L, c, i, spike_mode)
                if rec_i_net:
                    lane_i_rec(L, c, i, spike_mode)
                if isi_on:
                    lane_isi(L, c, i)
                if spike_mode:
                    if nd_spike:
                        L.new_nd[i] = L.spk[i]
                    else:
                        lane_spike_rate(L, c, i)
                else:
                    xv = L.drive[i]
                    if use_table:
                        to = lane_tab_off(c, i, tab_off)
                        tn = lane_tab_n(c, i, tab_n)
                        kt = nxx1_index(xv, tn, c, i)
                        L.drive[i] = nxx1_from_table(xv, table[to + kt], table[to + kt + 1],
                                                     kt, tn, c, i)
                    else:
                        L.drive[i] = noisy_xx1(xv, c, i)
                    lane_rate_act(L, c, i)
                if adapt_on:
                    if adapt_quirk:
                        lane_adapt(L, c, i, 1)
                    else:
                        lane_adapt(L, c, i, 0)
                if kna_on:
                    lane_kna(L, c, i, spike_mode)
                lane_commit(L, c, i, 1)
                if seed_now:
                    lane_averages(L, c, i, 1)
                else:
                    lane_averages(L, c, i, 0)
        else:
            for i in range(B):
                lane_input(L, c, i)
            if exp_on:   # AdEx: the exponential current
                for i in range(B):
                    L.ex[i] = (L.ex[i] - ek(c, E_THR, i)) / ek(c, E_EXP_SLOPE, i)
                exp_lanes(L.ex, B)
                for i in range(B):
                    L.i_net[i] = L.i_net[i] + ek(c, E_K_EXP, i) * L.ex[i]
            for i in range(B):
                lane_vm(L, c, i, spike_mode)
            if rec_i_net:
                for i in range(B):
                    lane_i_rec(L, c, i, spike_mode)
            if isi_on:
                for i in range(B):
                    lane_isi(L, c, i)
            if spike_mode and nd_spike:   # seed quirk: act_nd is the spike
                for i in range(B):
                    L.new_nd[i] = L.spk[i]
            elif spike_mode:
                for i in range(B):
                    lane_spike_rate(L, c, i)
            if not spike_mode:   # rate code: NXX1 of the drive, into drive
                if use_table:
                    for i in range(B):
                        xv = L.drive[i]
                        to = lane_tab_off(c, i, tab_off)
                        tn = lane_tab_n(c, i, tab_n)
                        kt = nxx1_index(xv, tn, c, i)
                        L.drive[i] = nxx1_from_table(xv, table[to + kt], table[to + kt + 1],
                                                     kt, tn, c, i)
                else:
                    noisy_xx1_lanes(L.drive, L.ex, L.nxx1_out, c, B)
                for i in range(B):
                    lane_rate_act(L, c, i)
            if adapt_on:
                if adapt_quirk:
                    for i in range(B):
                        lane_adapt(L, c, i, 1)
                else:
                    for i in range(B):
                        lane_adapt(L, c, i, 0)
            if kna_on:
                for i in range(B):
                    lane_kna(L, c, i, spike_mode)
            if any_clamped:
                for i in range(B):
                    lane_commit(L, c, i, 1)
            else:
                for i in range(B):
                    lane_commit(L, c, i, 0)
            if seed_avg_l and cycle == 0:
                for i in range(B):
                    lane_averages(L, c, i, 1)
            else:
                for i in range(B):
                    lane_averages(L, c, i, 0)

        if (cycle + 1) % cyc_per_qtr == 0:   # end of a quarter: ActQ
            for i in range(n):
                act_q[trial, cycle // cyc_per_qtr, u0 + i] = L.act_nd[i]
        bad = 0
        nb = n if W == NARROW_ else B
        for i in range(nb):
            bad |= not lf_finite(L.i_net[i])
        if bad:   # rare: mark the first non-finite cycle of each real lane
            for i in range(n):
                if not lf_finite(L.i_net[i]) and first_bad[u0 + i] < 0:
                    first_bad[u0 + i] = absolute
                    status = STATUS_NONFINITE_

        # XCAL learning at the trial's last cycle (or every cycle, seed quirk); the
        # synapse values are also computed on recording cycles that store them.
        # (learn_block is not inlined: it gets the caller's constants, so the address
        # of k_local never escapes and stores to the lanes cannot alias it.)
        learn = every_cycle | (cycle == a.n_cycles - 1)
        rec_syn = rec & (n_syn_rec > 0)
        if learn and rec_syn:
            learn_block(width, learn_record, consts, s, J, L, pow_kind)
        elif learn:
            learn_block(width, learn_only, consts, s, J, L, pow_kind)
        elif rec_syn:
            learn_block(width, record_only, consts, s, J, L, pow_kind)

        if rec:
            for k in range(n_unit_rec):
                slot = unit_slot[k]
                v = unit_src[k]
                for i in range(n):
                    if L.col[i] >= 0:
                        ub[slot, row, L.col[i]] = v[i]
            for k in range(n_syn_rec):
                slot = syn_slot[k]
                v = syn_src[k]
                for i in range(n):
                    col = L.col[i]
                    if col < 0:
                        continue
                    for j in range(J):
                        sb[slot, row, col, j] = v[j * B + i]
        if phase == 0:
            row += 1
        t += 1
        phase = 0 if phase + 1 == a.every else phase + 1
        trial += cycle + 1 == a.n_cycles
        cycle = 0 if cycle + 1 == a.n_cycles else cycle + 1

    for i in range(n):
        u = u0 + i
        fin = 1
        for r in range(N_UNIT_STATE):
            us[r, u] = state[r][i]
            fin = fin and lf_finite(state[r][i])
        spikes[u] += <long long>L.n_spk[i]
        for j in range(J):
            f = s.fwt[j * B + i]
            wv = s.wt[j * B + i]
            ss[0, u, j] = f
            ss[1, u, j] = wv
            fin = fin and lf_finite(f) and lf_finite(wv)
        # A NaN born in the last cycle may not have reached I_net yet: check the state.
        if not fin and first_bad[u] < 0 and t1 == a.c1 and a.c1 > a.c0:
            first_bad[u] = a.abs0 + (a.c1 - a.c0) - 1
        if first_bad[u] >= 0:
            status = STATUS_NONFINITE_
    return status


cdef int run_block(
    const econsts_t* c, const Run* a, Scratch* s, const double[::1] table,
    Py_ssize_t tab_off, Py_ssize_t tab_n, int open_,
    const double[:, :, :] x, const double[:, :, :] su_s, const double[:, :, :] su_m,
    const double[:, :, :] ge, const double[:, :, :] gc_i,
    const double[:, :, :] ext, const double[:, :, :] targ,
    double[:, ::1] us, double[:, :, ::1] ss, const Py_ssize_t[::1] unit_cols,
    double[:, :, ::1] ub, double[:, :, :, ::1] sb, double[:, :, ::1] act_q,
    long long[::1] spikes, long long[::1] first_bad,
    Py_ssize_t u0, int n, Py_ssize_t t0, Py_ssize_t t1,
) except -1 nogil:
    """Units u0 .. u0+n-1 as one block: the body of the narrowest width that holds n
    (wide above MID_, mid above NARROW_) and of the block's mode (spiking or rate code)."""
    cdef Wide wide
    cdef Mid mid
    cdef Narrow narrow
    cdef Spiking spk
    cdef RateCode rate
    wide.tag = mid.tag = narrow.tag = spk.tag = rate.tag = 0
    cdef bint spiking = ek(c, E_SPIKE_MODE, 0) != 0.0
    if n > MID_:
        if spiking:
            return run_block_body(wide, spk, c, a, s, table, tab_off, tab_n, open_, x, su_s,
                                  su_m, ge, gc_i, ext, targ, us, ss, unit_cols, ub, sb, act_q,
                                  spikes, first_bad, u0, n, t0, t1)
        return run_block_body(wide, rate, c, a, s, table, tab_off, tab_n, open_, x, su_s,
                              su_m, ge, gc_i, ext, targ, us, ss, unit_cols, ub, sb, act_q,
                              spikes, first_bad, u0, n, t0, t1)
    if n > NARROW_:
        if spiking:
            return run_block_body(mid, spk, c, a, s, table, tab_off, tab_n, open_, x, su_s,
                                  su_m, ge, gc_i, ext, targ, us, ss, unit_cols, ub, sb, act_q,
                                  spikes, first_bad, u0, n, t0, t1)
        return run_block_body(mid, rate, c, a, s, table, tab_off, tab_n, open_, x, su_s,
                              su_m, ge, gc_i, ext, targ, us, ss, unit_cols, ub, sb, act_q,
                              spikes, first_bad, u0, n, t0, t1)
    if spiking:
        return run_block_body(narrow, spk, c, a, s, table, tab_off, tab_n, open_, x, su_s,
                              su_m, ge, gc_i, ext, targ, us, ss, unit_cols, ub, sb, act_q,
                              spikes, first_bad, u0, n, t0, t1)
    return run_block_body(narrow, rate, c, a, s, table, tab_off, tab_n, open_, x, su_s,
                          su_m, ge, gc_i, ext, targ, us, ss, unit_cols, ub, sb, act_q,
                          spikes, first_bad, u0, n, t0, t1)


cdef inline int same_mode(const double* p, const double* q) noexcept nogil:
    """Do two parameter sets (rows of the group table) select the same code in a block?
    (Everything run_block_body reads from lane 0.)"""
    return (p[E_SPIKE_MODE] == q[E_SPIKE_MODE] and p[E_USE_TABLE] == q[E_USE_TABLE]
            and p[E_EXP_ON] == q[E_EXP_ON] and p[E_ADAPT_ON] == q[E_ADAPT_ON]
            and p[E_KNA_ON] == q[E_KNA_ON] and p[E_RATE_SPIKES] == q[E_RATE_SPIKES]
            and p[E_ACT_ND_SPIKE] == q[E_ACT_ND_SPIKE]
            and p[E_QUIRK_ADAPT_SEED] == q[E_QUIRK_ADAPT_SEED]
            and p[E_QUIRK_AVG_L_SEED] == q[E_QUIRK_AVG_L_SEED]
            and p[E_LEARN_EVERY_CYCLE] == q[E_LEARN_EVERY_CYCLE]
            and p[E_SOFT_BOUND] == q[E_SOFT_BOUND] and p[E_MINUS_CYCLES] == q[E_MINUS_CYCLES]
            and p[E_CYC_PER_QTR] == q[E_CYC_PER_QTR]
            and pow_kind_of(p[E_WT_SIG_GAIN]) == pow_kind_of(q[E_WT_SIG_GAIN]))


cdef inline void fill_lanes(LaneConsts* kc, const Run* a, Py_ssize_t u0, int n,
                            int W) noexcept nogil:
    """Each lane's constants, table span and gate from its unit's group (padding lanes
    repeat the last unit's)."""
    cdef int i, k
    cdef Py_ssize_t g
    cdef Py_ssize_t row[BLOCK_]   # where each lane's constants start in the group table
    for i in range(W):
        g = a.gid[u0 + (i if i < n else n - 1)]
        row[i] = g * N_ECONSTS
        kc.tab_off[i] = a.gspan[2 * g]
        kc.tab_n[i] = a.gspan[2 * g + 1]
        kc.open_[i] = a.gopen[g]
    for k in range(N_ECONSTS):   # each constant's lanes written in one pass
        for i in range(W):
            kc.v[k][i] = a.gconsts[row[i] + k]


cdef inline bint gated(const double* c) noexcept nogil:
    """Does this parameter set (a row of N_ECONSTS) use emergent's avg_l gate?"""
    return c[E_AVG_L_GATE] != 0.0 and c[E_QUIRK_AVG_L_SEED] == 0.0


cdef Py_ssize_t segment_end(bint gate, Py_ssize_t t, Py_ssize_t c1,
                            Py_ssize_t n_cycles) noexcept nogil:
    """Where the segment of cycles starting at t ends: at the next trial start when the
    avg_l gate (of any parameter set in the call) needs the layer's act_nd there, else
    at c1."""
    cdef Py_ssize_t next_trial
    if not gate:
        return c1
    next_trial = (t // n_cycles + 1) * n_cycles
    return c1 if c1 < next_trial else next_trial


cdef int avg_l_open(const double* c, const double[:, ::1] us, Py_ssize_t t,
                    Py_ssize_t n_cycles, Py_ssize_t lo, Py_ssize_t hi) except -1 nogil:
    """Does avg_l update at cycle t (emergent's gate) for the layer of units lo .. hi-1
    (all units, or one parameter set's)?  At a trial start, when the layer's average
    act_nd, the previous trial's act_p, is >= lay_act_thr: 0 after initialisation, so
    the first trial's update is skipped.  Summed in unit order (the reference does the
    same), so the decision does not depend on the thread count."""
    cdef double total = 0.0
    cdef Py_ssize_t u
    if not gated(c) or t % n_cycles != 0 or hi <= lo:
        return 1
    for u in range(lo, hi):
        total += us[S_ACT_ND, u]
    return total / <double>(hi - lo) >= c[E_LAY_ACT_THR]


cdef int run_blocks(
    const EConsts* c, const Run* a, Scratch* s,
    const double[::1] table,
    const double[:, :, :] x, const double[:, :, :] su_s, const double[:, :, :] su_m,
    const double[:, :, :] ge, const double[:, :, :] gc_i,
    const double[:, :, :] ext, const double[:, :, :] targ,
    double[:, ::1] us, double[:, :, ::1] ss, const Py_ssize_t[::1] unit_cols,
    double[:, :, ::1] ub, double[:, :, :, ::1] sb, double[:, :, ::1] act_q,
    long long[::1] spikes, long long[::1] first_bad,
    Py_ssize_t u_start, Py_ssize_t u_stop, Py_ssize_t t_start, Py_ssize_t t_stop,
) except -1 nogil:
    """Units u_start .. u_stop-1 through cycles t_start .. t_stop-1 (within c0 .. c1) in
    blocks of 64, then 16, then the few left.  Recording sweeps all blocks through a
    window of cycles, then the next window, so the trace rows being written stay few
    (cache and TLB friendly) instead of every block walking all rows of every trace.
    Without traces: one window.

    Per-unit parameters (a.gconsts): a block whose units share one set runs with it as
    scalars, exactly as a uniform run; one of several sets runs each lane with its own
    constants (a block is cut short where the mode changes, see same_mode)."""
    cdef int status = STATUS_OK_, st = 0, n, m, k, W, open_
    cdef bint records = 0
    cdef Py_ssize_t window, t0, t1, ts, te, u0, u, left, g0
    cdef EConsts one
    cdef const double* row0
    for k in range(N_TRACES):
        records |= a.slot[k] >= 0
    records = records and (a.has_ub or a.has_sb)
    window = RECORD_WINDOW if records and u_stop - u_start > BLOCK_ else t_stop - t_start
    t0 = t_start
    while t0 < t_stop:
        t1 = t_stop if t_stop - t0 < window else t0 + window
        u0 = u_start
        while u0 < u_stop:
            left = u_stop - u0
            if left > 3 * MID_:   # a full block, or nearly: 64 lanes
                n = <int>(left if left < BLOCK_ else BLOCK_)
            elif left > NARROW_:   # the rest in blocks of 16
                n = <int>(left if left < MID_ else MID_)
            else:   # a few units
                n = <int>left
            if a.gconsts == NULL:
                st = run_block(c, a, s, table, 0, a.n_table, a.avg_l_open, x, su_s, su_m, ge,
                               gc_i, ext, targ, us, ss, unit_cols, ub, sb, act_q, spikes,
                               first_bad, u0, n, t0, t1)
            else:
                g0 = a.gid[u0]
                row0 = a.gconsts + g0 * N_ECONSTS
                if a.gid[u0 + n - 1] != g0:   # several sets: as far as they share a mode
                    m = 1
                    while m < n and same_mode(a.gconsts + a.gid[u0 + m] * N_ECONSTS, row0):
                        m += 1
                    n = m
                W = 0   # one set (groups are runs of units): scalar constants
                if a.gid[u0 + n - 1] == g0:
                    memcpy(&one, row0, sizeof(EConsts))
                else:
                    W = BLOCK_ if n > MID_ else (MID_ if n > NARROW_ else NARROW_)
                    fill_lanes(s.kc, a, u0, n, W)
                ts = t0
                while ts < t1:   # one segment, or (a.unit_gates) one per trial
                    te = segment_end(a.any_gate, ts, t1, a.n_cycles) if a.unit_gates else t1
                    if a.unit_gates:   # each unit its own layer
                        open_ = avg_l_open(row0, us, ts, a.n_cycles, u0, u0 + 1)
                        for k in range(W):
                            u = u0 + (k if k < n else n - 1)
                            s.kc.open_[k] = avg_l_open(a.gconsts + a.gid[u] * N_ECONSTS, us,
                                                       ts, a.n_cycles, u, u + 1)
                    else:
                        open_ = a.gopen[g0]
                    if W == 0:
                        st = run_block(&one, a, s, table, a.gspan[2 * g0], a.gspan[2 * g0 + 1],
                                       open_, x, su_s, su_m, ge, gc_i, ext, targ, us, ss,
                                       unit_cols, ub, sb, act_q, spikes, first_bad, u0, n, ts,
                                       te)
                    else:
                        st = run_block(s.kc, a, s, table, 0, 0, 0, x, su_s, su_m, ge, gc_i,
                                       ext, targ, us, ss, unit_cols, ub, sb, act_q, spikes,
                                       first_bad, u0, n, ts, te)
                    if st > status:
                        status = st
                    ts = te
            u0 += n
            if st > status:
                status = st
        t0 += window
    return status


cdef int open_gates(Run* a, int* gopen, const Py_ssize_t[::1] bounds, const EConsts* c,
                    const double[:, ::1] us, Py_ssize_t t) except -1 nogil:
    """The avg_l gate of each parameter set (its own layer, as when run alone), or of the
    whole layer, at the start of the segment at cycle t."""
    cdef Py_ssize_t g
    if a.gconsts == NULL:
        a.avg_l_open = avg_l_open(<const double*>c, us, t, a.n_cycles, 0, a.n_units)
        return 0
    if a.unit_gates:   # read by each block as it runs
        return 0
    for g in range(bounds.shape[0] - 1):
        gopen[g] = avg_l_open(a.gconsts + g * N_ECONSTS, us, t, a.n_cycles, bounds[g],
                              bounds[g + 1])
    return 0


cdef Scratch scratch_alloc(Py_ssize_t n_inputs) noexcept nogil:
    """One thread's working set in one allocation aligned for the widest vectors; raw is
    NULL when out of memory."""
    cdef Scratch s
    memset(&s, 0, sizeof(Scratch))
    cdef size_t plane = <size_t>(n_inputs if n_inputs > 0 else 1) * BLOCK_
    cdef size_t kc_bytes = (sizeof(LaneConsts) + ALIGN - 1) // ALIGN * ALIGN
    cdef char* base
    s.raw = malloc(ALIGN + kc_bytes + sizeof(double) * plane * (5 + N_SYN_TRACES))
    if s.raw == NULL:
        return s
    base = <char*>s.raw + (ALIGN - <uintptr_t>s.raw % ALIGN)
    s.kc = <LaneConsts*>base
    base += kc_bytes
    s.fwt = <double*>base
    s.wt = s.fwt + plane
    s.x = s.fwt + 2 * plane
    s.su_s = s.fwt + 3 * plane
    s.su_m = s.fwt + 4 * plane
    s.rec = s.fwt + 5 * plane
    return s


# ------------------------------------------------------------------------ Python API

STATUS_OK = STATUS_OK_
STATUS_NONFINITE = STATUS_NONFINITE_
STATUS_BAD_ARGS = STATUS_BAD_ARGS_
#: True when this build runs ``n_threads`` > 1 on OpenMP threads (else serially).
HAS_OPENMP = bool(LFE_HAS_OPENMP)
#: True when built with LEABRA_FAST_DEBUG=1 (bounds checks in the kernel's indexing).
DEBUG_BUILD = bool(LEABRA_FAST_DEBUG)
#: Units that run side by side in one SIMD block (tests use it to probe remainders).
BLOCK = BLOCK_
#: Lanes of the block widths, widest first: full blocks, then what is left over.
WIDTHS = (BLOCK_, MID_, NARROW_)
#: The constants of a parameter set in EConsts order: the columns of ``group_consts``.
CONST_NAMES = (
    "spike_mode", "use_table", "k_net", "direct_ge", "net_clip_zero",
    "net_scale", "g_bar_e", "g_bar_l", "g_bar_i", "e_rev_e", "e_rev_l",
    "e_rev_i", "thr", "gain", "nvar", "vm_act_thr", "sig_mult_eff",
    "sig_val_at_0", "sig_gain_nvar", "interp_range", "gain_cor_range",
    "gain_cor", "interp_val", "k_vm", "vm_midpoint", "rate_spikes", "vm_min",
    "vm_max", "exp_on", "exp_slope", "k_exp", "spk_thr", "vm_r", "t_r",
    "rate_num", "isi_dt", "adapt_on", "adapt_dt", "adapt_div", "k_adapt_integ",
    "vm_gain", "spike_gain", "quirk_adapt_seed", "init_v_m", "init_act",
    "init_net", "decay", "clamp_min", "clamp_max", "minus_cycles",
    "cyc_per_qtr", "k_ss", "k_s", "k_m", "m_in_s", "one_m_in_s", "k_l",
    "avg_l_gain", "avg_l_min", "quirk_avg_l_seed", "avg_l_lrn_min", "lrn_fact",
    "set_l_lrn", "l_lrn", "lrate", "m_lrn", "d_thr", "d_rev", "rev_fac",
    "lrn_thr", "soft_bound", "wt_sig_gain", "wt_sig_off", "quirk_sig_seed",
    "sig_eps", "learn_every_cycle", "act_nd_spike", "i_net_seed", "avg_l_gate",
    "lay_act_thr", "kna_on", "g_bar_k", "e_rev_k", "kna_rate_rise",
    "kna_f_rise", "kna_f_max", "kna_f_dt", "kna_m_rise", "kna_m_max",
    "kna_m_dt", "kna_s_rise", "kna_s_max", "kna_s_dt", "table_x0", "table_res",
)
assert len(CONST_NAMES) == N_ECONSTS and sizeof(EConsts) == N_ECONSTS * sizeof(double)


def cpu_levels():
    """The instruction sets this CPU runs (and this platform's build dispatches), best
    first; safe to call from the baseline module on any CPU."""
    return tuple(name for k, name in enumerate(("avx512", "avx2", "baseline")[:LF_N_ISA])
                 if lf_isa_supported(k))


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
    const double[:, ::1] group_consts=None,
    const Py_ssize_t[::1] group_bounds=None,
    const Py_ssize_t[:, ::1] group_spans=None,
):
    """Run schedule cycles ``c0 .. c1-1`` of all units, in place; return a status code.

    Per-unit parameters in one call: ``group_bounds`` (``0 = b[0] < b[1] < ... < b[n] =
    n_units``) runs units ``b[g] .. b[g+1]-1`` with parameter set ``g``: its constants
    are row ``g`` of ``group_consts`` (``CONST_NAMES`` order) and its NXX1 table is
    ``table[off : off + length]``, ``(off, length)`` row ``g`` of ``group_spans`` (the
    sets' tables one after another in ``table``).  Each set is its own layer (the avg_l
    gate averages its units only), as when run alone; ``consts`` is then the first
    set's.  A block of units with one set runs as a uniform run does; a block of
    several gives each SIMD lane its own constants, and every unit gets the bits of a
    lone run with its set.

    Same contract as :func:`leabra_fast.emergent.reference.run_emergent`.  The
    arguments must already be validated (the driver does it); only cheap shape
    consistency is re-checked here, returning ``STATUS_BAD_ARGS`` instead of
    reading out of bounds.  ``n_threads`` > 1 runs chunks of unit blocks on
    OpenMP threads (when the build has OpenMP); every unit is computed by the
    same code whatever the chunking, so the results are bit-identical for any
    ``n_threads``.  In a process forked after threads were used (multiprocessing
    with "fork"), the kernel runs on one thread: GNU OpenMP cannot restart there.
    Raises MemoryError if a thread's working set cannot be allocated.
    """
    cdef EConsts c = consts
    cdef Py_ssize_t n_units = unit_state.shape[1]
    cdef Py_ssize_t n_inputs = syn_state.shape[2]
    cdef Py_ssize_t max_trial = (c1 - 1) // n_cycles if n_cycles > 0 else 0
    cdef Py_ssize_t k, g, first_row, last_row, chunk, n_chunks, u0, u1, seg0, seg1
    cdef Py_ssize_t n_groups = 0
    cdef int st
    cdef Run a
    cdef Scratch s
    cdef int status = STATUS_OK_
    cdef int* chunk_status = NULL
    cdef int* gopen = NULL
    cdef Py_ssize_t* gid = NULL
    cdef bint gate

    if (c.cyc_per_qtr < 1 or n_cycles < 1 or n_cycles % <Py_ssize_t>c.cyc_per_qtr != 0
            or act_q.shape[0] <= max_trial or act_q.shape[2] != n_units
            or act_q.shape[1] != n_cycles // <Py_ssize_t>c.cyc_per_qtr):
        return STATUS_BAD_ARGS_
    if (c0 < 0 or c1 < c0 or every < 1 or abs0 < 0 or table.shape[0] < 2
            or unit_state.shape[0] != N_UNIT_STATE or syn_state.shape[0] != 2
            or syn_state.shape[1] != n_units or slots.shape[0] != N_TRACES
            or unit_cols.shape[0] != n_units or spikes.shape[0] != n_units
            or first_bad.shape[0] != n_units or n_threads < 1):
        return STATUS_BAD_ARGS_
    for shp in ((x.shape[0], x.shape[1], x.shape[2]), (su_s.shape[0], su_s.shape[1], su_s.shape[2]),
                (su_m.shape[0], su_m.shape[1], su_m.shape[2])):
        if shp[0] <= max_trial or shp[1] != n_units or shp[2] != n_inputs:
            return STATUS_BAD_ARGS_
    for shp in ((ge.shape[0], ge.shape[1], ge.shape[2]), (gc_i.shape[0], gc_i.shape[1], gc_i.shape[2]),
                (ext.shape[0], ext.shape[1], ext.shape[2]),
                (targ.shape[0], targ.shape[1], targ.shape[2])):
        if shp[0] <= max_trial or shp[1] != n_cycles or shp[2] != n_units:
            return STATUS_BAD_ARGS_
    for k in range(N_TRACES):
        a.slot[k] = slots[k]
        if a.slot[k] >= (unit_buf.shape[0] if k < T_DWT else syn_buf.shape[0]):
            return STATUS_BAD_ARGS_
    for k in range(n_units):
        if unit_cols[k] >= 0 and (unit_cols[k] >= unit_buf.shape[2] or unit_cols[k] >= syn_buf.shape[2]):
            if unit_buf.shape[0] > 0 or syn_buf.shape[0] > 0:
                return STATUS_BAD_ARGS_
    if c1 > c0 and (unit_buf.shape[0] > 0 or syn_buf.shape[0] > 0):
        if syn_buf.shape[0] > 0 and syn_buf.shape[3] != n_inputs:
            return STATUS_BAD_ARGS_
        first_row = (abs0 + every - 1) // every - rec_base
        last_row = (abs0 + (c1 - c0) - 1) // every - rec_base
        if last_row >= first_row and (first_row < 0 or last_row >= unit_buf.shape[1]
                                      or last_row >= syn_buf.shape[1]):
            return STATUS_BAD_ARGS_
    a.gconsts = NULL
    a.unit_gates = False
    gate = gated(<const double*>&c)
    if group_consts is not None:
        n_groups = group_consts.shape[0]
        if (group_bounds is None or group_spans is None or n_groups < 1
                or group_consts.shape[1] != N_ECONSTS or group_bounds.shape[0] != n_groups + 1
                or group_spans.shape[0] != n_groups or group_spans.shape[1] != 2
                or group_bounds[0] != 0 or group_bounds[n_groups] != n_units):
            return STATUS_BAD_ARGS_
        for g in range(n_groups):
            if (group_bounds[g + 1] <= group_bounds[g] or group_spans[g, 0] < 0
                    or group_spans[g, 1] < 2 or group_spans[g, 1] > table.shape[0]
                    or group_spans[g, 0] > table.shape[0] - group_spans[g, 1]
                    or group_consts[g, E_CYC_PER_QTR] != c.cyc_per_qtr):
                return STATUS_BAD_ARGS_   # (the trial's shape is one for all sets)
            gate = gate or gated(&group_consts[g, 0])

    if c1 == c0 or n_units == 0:
        return _status_of(first_bad)

    a.n_units, a.n_inputs, a.n_table = n_units, n_inputs, table.shape[0]
    a.n_cycles, a.c0, a.c1, a.abs0, a.every, a.rec_base = n_cycles, c0, c1, abs0, every, rec_base
    # Empty buffers (nothing recorded of that kind) are never written.
    a.has_ub = unit_buf.shape[0] * unit_buf.shape[1] * unit_buf.shape[2] > 0
    a.has_sb = syn_buf.shape[0] * syn_buf.shape[1] * syn_buf.shape[2] * syn_buf.shape[3] > 0
    # Chunks of whole blocks, about 8 per thread so a busy core does not hold the others up.
    # (cdivision: C integer division truncates, so ceilings are written out.)
    chunk = (n_units + 8 * n_threads - 1) // (8 * n_threads)
    chunk = max(BLOCK_, (chunk + BLOCK_ - 1) // BLOCK_ * BLOCK_)
    n_chunks = (n_units + chunk - 1) // chunk
    try:
        if group_consts is not None:
            gid = <Py_ssize_t*>malloc(n_units * sizeof(Py_ssize_t))
            gopen = <int*>malloc(n_groups * sizeof(int))
            if gid == NULL or gopen == NULL:
                raise MemoryError("leabra_fast emergent kernel: cannot allocate the unit groups")
            for g in range(n_groups):
                gopen[g] = 1
                for k in range(group_bounds[g], group_bounds[g + 1]):
                    gid[k] = g
            a.gconsts = &group_consts[0, 0]
            a.unit_gates = n_groups == n_units
            a.any_gate = gate
            if a.unit_gates:
                gate = False   # the blocks cut their own segments
            a.gspan = &group_spans[0, 0]
            a.gid = gid
            a.gopen = gopen
        # Segments of cycles: the whole call, or (with emergent's avg_l gate, which reads
        # the layer at each trial start) one per trial.
        if n_threads == 1 or n_chunks == 1 or not LFE_HAS_OPENMP or _fork_unsafe():
            with nogil:
                s = scratch_alloc(n_inputs)
                if s.raw == NULL:
                    status = STATUS_NO_MEMORY_
                else:
                    try:
                        seg0 = c0
                        while seg0 < c1:
                            seg1 = segment_end(gate, seg0, c1, n_cycles)
                            open_gates(&a, gopen, group_bounds, &c, unit_state, seg0)
                            st = run_blocks(&c, &a, &s, table, x, su_s, su_m, ge, gc_i, ext,
                                            targ, unit_state, syn_state, unit_cols, unit_buf,
                                            syn_buf, act_q, spikes, first_bad, 0, n_units,
                                            seg0, seg1)
                            status = max(status, st)
                            seg0 = seg1
                    finally:
                        free(s.raw)
        else:
            _mark_threads_used()
            chunk_status = <int*>malloc(n_chunks * sizeof(int))
            if chunk_status == NULL:
                raise MemoryError("leabra_fast emergent kernel: cannot allocate per-chunk status")
            seg0 = c0
            while seg0 < c1 and status != STATUS_NO_MEMORY_:
                seg1 = segment_end(gate, seg0, c1, n_cycles)
                open_gates(&a, gopen, group_bounds, &c, unit_state, seg0)
                with nogil, parallel(num_threads=n_threads):
                    s = scratch_alloc(n_inputs)   # one working set per thread
                    for k in prange(n_chunks, schedule="dynamic"):
                        u0 = k * chunk
                        u1 = min(u0 + chunk, n_units)
                        if s.raw == NULL:
                            chunk_status[k] = STATUS_NO_MEMORY_
                        else:
                            chunk_status[k] = run_blocks(
                                &c, &a, &s, table, x, su_s, su_m, ge, gc_i, ext, targ,
                                unit_state, syn_state, unit_cols, unit_buf, syn_buf, act_q,
                                spikes, first_bad, u0, u1, seg0, seg1)
                    free(s.raw)
                for k in range(n_chunks):
                    if chunk_status[k] == STATUS_NO_MEMORY_ or status == STATUS_NO_MEMORY_:
                        status = STATUS_NO_MEMORY_
                    else:
                        status = max(status, chunk_status[k])
                seg0 = seg1
    finally:
        free(chunk_status)
        free(gopen)
        free(gid)
    if status == STATUS_NO_MEMORY_:
        raise MemoryError(
            f"leabra_fast emergent kernel: cannot allocate scratch for {n_inputs} inputs per "
            "unit; the state may be partially updated"
        )
    return status


cdef int _status_of(const long long[::1] first_bad):
    cdef Py_ssize_t u
    for u in range(first_bad.shape[0]):
        if first_bad[u] >= 0:
            return STATUS_NONFINITE_
    return STATUS_OK_


def noisy_xx1_scalar(dict consts, double x):
    """The compiled closed-form ``noisy_xx1`` on one value (for tests against the Python one)."""
    cdef EConsts c = consts
    return noisy_xx1(x, &c, 0)


def nxx1_lookup_scalar(dict consts, const double[::1] table, double x):
    """The compiled table ``nxx1_lookup`` on one value."""
    cdef EConsts c = consts
    cdef Py_ssize_t n = table.shape[0]
    if n < 2:
        raise ValueError("nxx1_lookup_scalar: the table needs at least 2 entries")
    cdef Py_ssize_t k = nxx1_index(x, n, &c, 0)
    return nxx1_from_table(x, table[k], table[k + 1], k, n, &c, 0)


def xcal_scalar(dict consts, double x, double th):
    """The compiled ``xcal`` on one value."""
    cdef EConsts c = consts
    return xcal(x, th, &c, 0)


def sig_scalar(dict consts, double w):
    """The compiled ``sig`` on one value: ``b*sqrt(b)`` for gain 1.5, repeated
    multiplication for an integer gain 1..16, else libm ``pow``."""
    cdef EConsts c = consts
    return sig(w, &c, 0)


def ge_thr_scalar(dict consts, double g_i, double adapt, double g_k=0.0):
    """The compiled ``ge_thr`` on one value."""
    cdef EConsts c = consts
    return ge_thr(g_i, adapt, g_k, &c, 0)


def pow_int_scalar(double b, int n):
    """The compiled ``b**n`` by square-and-multiply (integer n >= 1), as SIG uses it."""
    if n < 1:
        raise ValueError(f"pow_int_scalar: n must be >= 1, got {n}")
    return pow_int(b, n)


def sig_pow_kind(double gain):
    """How SIG computes ``b**gain``: -1 = ``b*sqrt(b)``, n >= 1 = repeated
    multiplication by that integer, 0 = libm ``pow``."""
    return pow_kind_of(gain)
