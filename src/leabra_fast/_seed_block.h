/*
 * The seed model's cycle loop in C, blocked over units for SIMD.
 *
 * Layout: scalar inline functions named for what they compute (exp, XCAL,
 * SIG, soft bound), the per-lane stages of a cycle (lf_lane_*), then one
 * function that runs a block of up to LF_BLOCK units through all requested
 * cycles with their state in small local arrays, the lane (unit) index
 * innermost so the compiler vectorises every loop over units, and last the
 * entry points per instruction set.  Synapse state is held transposed,
 * [input][lane], so the net input sum of each unit keeps the reference
 * backend's order (input 0, 1, 2, ...) while still running the block's units
 * side by side.
 *
 * Bits: no FMA contraction (the build passes -ffp-contract=off), no
 * -ffast-math; every expression is written in the reference backend's order.
 * The only differences from the reference are lf_exp (our polynomial, within
 * ~1 ulp of the correctly rounded exp) and, when the SIG gain is exactly 1.5,
 * x*sqrt(x) for pow(x, 1.5) (within ~1.5 ulp).  The same code is compiled into
 * every entry point (AVX-512, AVX2, baseline SSE2), and add, mul, div and sqrt
 * are correctly rounded in all of them, so results do not depend on the
 * machine's vector width, the thread count or the block a unit lands in.
 */
#ifndef LEABRA_FAST_SEED_BLOCK_H
#define LEABRA_FAST_SEED_BLOCK_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>   /* _mm_stream_pd: SSE2, so in every x86-64 build */
#define LF_HAVE_STREAM 1
#else
#define LF_HAVE_STREAM 0
#endif

#include "_lf_isa.h"   /* LF_DISPATCH, LF_ISA_*, lf_isa_find: the entry points per ISA */

#define LF_STATUS_OK 0
#define LF_STATUS_NONFINITE 1
#define LF_STATUS_BAD_ARGS -1
#define LF_STATUS_NO_MEMORY -2

/* Units run side by side: eight AVX-512 vectors, sixteen AVX2 vectors.  Each cycle is
   one long dependency chain per unit (weight -> net -> v_m -> exp -> spike -> averages ->
   XCAL -> weight, a few hundred cycles of latency), so the core needs many independent
   lanes in flight; 64 beat 16 by about 20% on Zen 4 (bench/compare.py). */
#define LF_BLOCK 64
/* Narrower blocks for what is left over: 16 lanes, and 4 (one AVX2 vector) for a few units
   such as the notebook's one, so small populations do not pay for 64 lanes. */
#define LF_MID 16
#define LF_NARROW 4

#if defined(_MSC_VER) && !defined(restrict)
#define restrict __restrict
#endif

#include "_lf_math.h"   /* LF_INLINE, lf_exp, lf_exp_normal, lf_pow_1_5, lf_finite */

/* Ask for a vector loop (OpenMP SIMD; a no-op without -fopenmp / -fopenmp-simd). */
#if defined(_OPENMP) || defined(LF_OPENMP_SIMD)
#define LF_SIMD _Pragma("omp simd")
#else
#define LF_SIMD
#endif

/* Positions of the 19 traces (leabra_fast.traces.TRACE_NAMES order). */
enum {
    LF_T_NET, LF_T_NET_RAW, LF_T_V_M, LF_T_ACT, LF_T_ADAPT, LF_T_I_NET, LF_T_ACT_ND,
    LF_T_AVG_SS, LF_T_AVG_S, LF_T_AVG_M, LF_T_AVG_L, LF_T_AVG_L_LRN, LF_T_AVG_S_EFF,
    LF_T_DWT, LF_T_SRS, LF_T_SRM, LF_T_FWT, LF_T_WT, LF_T_XCAL, LF_N_TRACES
};
#define LF_N_UNIT_TRACES LF_T_DWT
#define LF_N_SYN_TRACES (LF_N_TRACES - LF_T_DWT)

/* Rows of the packed unit state (leabra_fast.state.UNIT_STATE order). */
enum { LF_S_NET, LF_S_V_M, LF_S_ADAPT, LF_S_AVG_SS, LF_S_AVG_S, LF_S_AVG_M, LF_S_AVG_L,
       LF_N_UNIT_STATE };

/* Filled from leabra_fast.params.derived_constants (same names). */
typedef struct {
    double k_net, k_vm, noise, gc_l, e_rev_e, e_rev_l, e_inh, thr, exp_slope, k_exp;
    double spk_thr, vm_r, vm_gain, spike_gain, adapt_div, k_ss, k_s, k_m, l_dt;
    double avg_l_min, avg_l_lrn_min, lrn_fac, m_in_s, one_m_in_s, lrate, m_lrn;
    double d_thr, d_rev, rev_fac, gain, off, sig_eps, inv_n_inputs;
} SeedConsts;

/* A read-only schedule: base pointer and byte strides (zero where broadcast). */
typedef struct {
    const char *data;
    Py_ssize_t trial, unit, input;
} LFSchedule;

/* Everything one run needs; built by the Cython wrapper after validation. */
typedef struct {
    LFSchedule x, su_s, su_m, gc_i;   /* gc_i uses .trial and .unit only */
    double *us;                       /* (7, n_units), C order */
    double *ss;                       /* (2, n_units, n_inputs), C order */
    Py_ssize_t n_units, n_inputs;
    Py_ssize_t n_cycles, c0, c1, abs0, every, rec_base;
    Py_ssize_t slot[LF_N_TRACES];
    const Py_ssize_t *unit_cols;      /* column of each unit in the traces, or -1 */
    double *ub;                       /* (n_unit_slots, rows, cols) */
    double *sb;                       /* (n_syn_slots, rows, cols, n_inputs) */
    Py_ssize_t rows, cols;
    int stream;                       /* write traces with non-temporal stores */
    long long *spikes, *first_bad;
} LFRun;


/* ---------------------------------------------------------------- scalars */
/* (exp, the 1.5 power and the finiteness test are in _lf_math.h, shared.) */

/* XCAL check mark: 0 below d_thr, x - th above th*d_rev, else -x*(1-d_rev)/d_rev. */
LF_INLINE double lf_xcal(double x, double th, const SeedConsts *c)
{
    double lin = x > th * c->d_rev ? x - th : -x * c->rev_fac;
    return x < c->d_thr ? 0.0 : lin;
}

/* Increases shrink toward 1, decreases toward 0, in proportion to the linear weight. */
LF_INLINE double lf_soft_bound(double dwt, double fwt)
{
    return dwt > 0 ? dwt * (1.0 - fwt) : dwt * fwt;
}

/* The base of SIG's power: off*(1 - w) / (w + sig_eps). */
LF_INLINE double lf_sig_base(double w, const SeedConsts *c)
{
    return (c->off * (1.0 - w)) / (w + c->sig_eps);
}

/* The notebook's SIG contrast enhancement of the linear weight (scalar, any gain). */
LF_INLINE double lf_sig(double w, const SeedConsts *c)
{
    double b = lf_sig_base(w, c);
    return 1.0 / (1.0 + (c->gain == 1.5 ? lf_pow_1_5(b) : pow(b, c->gain)));
}


/* ----------------------------------------------------------- block kernel */

/* Per-block scratch: synapse state and schedules, [input][lane]. */
typedef struct {
    double *fwt, *wt, *x, *su_s, *su_m;
    double *rec;   /* LF_N_SYN_TRACES planes of [input][lane], for recording cycles */
} LFScratch;

static int lf_scratch_alloc(LFScratch *s, Py_ssize_t n_inputs)
{
    size_t plane = (size_t)n_inputs * LF_BLOCK;
    double *all = (double *)malloc(sizeof(double) * plane * (5 + LF_N_SYN_TRACES));
    if (all == NULL) return -1;
    s->fwt = all; s->wt = all + plane; s->x = all + 2 * plane;
    s->su_s = all + 3 * plane; s->su_m = all + 4 * plane; s->rec = all + 5 * plane;
    return 0;
}

static void lf_scratch_free(LFScratch *s) { free(s->fwt); }

/* Schedule value of (trial, unit, input). */
LF_INLINE double lf_at(const LFSchedule *s, Py_ssize_t t, Py_ssize_t u, Py_ssize_t j)
{
    return *(const double *)(s->data + t * s->trial + u * s->unit + j * s->input);
}

/* Copy one trial of a synapse schedule for units u0 .. u0+n-1 into [input][lane]. */
LF_INLINE void lf_load_schedule(const LFSchedule *s, Py_ssize_t trial, Py_ssize_t u0, int n,
                                Py_ssize_t n_inputs, double *out, const int W)
{
    for (int i = 0; i < W; i++) {
        Py_ssize_t u = u0 + (i < n ? i : n - 1);   /* padding lanes repeat the last unit */
        for (Py_ssize_t j = 0; j < n_inputs; j++)
            out[j * W + i] = lf_at(s, trial, u, j);
    }
}

/*
 * Copy W values to dst with non-temporal stores for every whole, aligned 64-byte line
 * (plain stores for a partial line at either end).  Trace buffers are far larger than
 * the caches and not read again by the kernel: streaming them skips the read of each
 * line before it is written, which halves the memory traffic of recording.
 */
LF_INLINE void lf_stream_copy(double *restrict dst, const double *restrict v, const int W)
{
#if LF_HAVE_STREAM
    int i = 0;
    int head = (int)(((64 - ((uintptr_t)dst & 63)) & 63) / sizeof(double));
    if (((uintptr_t)dst & 7) != 0) head = W;   /* not double-aligned: plain stores */
    if (head > W) head = W;
    for (; i < head; i++) dst[i] = v[i];
    for (; i + 8 <= W; i += 8) {
        _mm_stream_pd(dst + i, _mm_loadu_pd(v + i));
        _mm_stream_pd(dst + i + 2, _mm_loadu_pd(v + i + 2));
        _mm_stream_pd(dst + i + 4, _mm_loadu_pd(v + i + 4));
        _mm_stream_pd(dst + i + 6, _mm_loadu_pd(v + i + 6));
    }
    for (; i < W; i++) dst[i] = v[i];
#else
    for (int i = 0; i < W; i++) dst[i] = v[i];
#endif
}

/* Make this thread's non-temporal stores visible before the buffers are read. */
LF_INLINE void lf_stream_fence(void)
{
#if LF_HAVE_STREAM
    _mm_sfence();
#endif
}

/*
 * Stream n rows of W values (src[r] to dst[r]) with the widest non-temporal stores of
 * an instruction set: one 64-byte line per AVX-512 store, two per AVX2 store, instead
 * of four SSE2 stores.  Fewer stores in flight let the arithmetic go on while memory
 * takes the lines.  Rows not starting on a line go through lf_stream_copy.  These are
 * called (not inlined) from the generic loop, once per recorded cycle of a block.
 */
#if LF_DISPATCH
__attribute__((target("avx512f")))
static void lf_stream_rows_avx512(double *const *dst, const double *const *src, int n,
                                  int W)
{
    for (int r = 0; r < n; r++) {
        double *d = dst[r];
        const double *v = src[r];
        if (((uintptr_t)d & 63) != 0) {
            lf_stream_copy(d, v, W);
            continue;
        }
        for (int i = 0; i + 8 <= W; i += 8) _mm512_stream_pd(d + i, _mm512_loadu_pd(v + i));
    }
}

__attribute__((target("avx2")))
static void lf_stream_rows_avx2(double *const *dst, const double *const *src, int n, int W)
{
    for (int r = 0; r < n; r++) {
        double *d = dst[r];
        const double *v = src[r];
        if (((uintptr_t)d & 63) != 0) {
            lf_stream_copy(d, v, W);
            continue;
        }
        for (int i = 0; i + 4 <= W; i += 4) _mm256_stream_pd(d + i, _mm256_loadu_pd(v + i));
    }
}

LF_INLINE void lf_stream_rows_isa(int isa, double *const *dst, const double *const *src,
                                  int n, int W)
{
    if (isa == LF_ISA_AVX512)
        lf_stream_rows_avx512(dst, src, n, W);
    else
        lf_stream_rows_avx2(dst, src, n, W);
}

/*
 * lf_exp_normal over the lanes (ex in place), with n rows of the previous cycle's
 * traces streamed through it: after each 8 lanes of exp, those 8 lanes of every row,
 * one 64-byte line each.  Written in one burst, the rows would fill the store queue and
 * stall the arithmetic; spread like this, memory takes them while the exp runs.  The
 * rows start on a line (the caller checks).  Same bits as the plain exp loop.
 */
__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw")))
static void lf_exp_stream_avx512(double *ex, int W, double *const *dst,
                                 const double *const *src, int n)
{
    for (int k = 0; k < W; k += 8) {
        LF_SIMD
        for (int i = k; i < k + 8; i++) ex[i] = lf_exp_normal(ex[i]);
        for (int r = 0; r < n; r++) _mm512_stream_pd(dst[r] + k, _mm512_loadu_pd(src[r] + k));
    }
}

__attribute__((target("avx2")))
static void lf_exp_stream_avx2(double *ex, int W, double *const *dst,
                               const double *const *src, int n)
{
    for (int k = 0; k < W; k += 8) {
        LF_SIMD
        for (int i = k; i < k + 8; i++) ex[i] = lf_exp_normal(ex[i]);
        for (int r = 0; r < n; r++) {
            _mm256_stream_pd(dst[r] + k, _mm256_loadu_pd(src[r] + k));
            _mm256_stream_pd(dst[r] + k + 4, _mm256_loadu_pd(src[r] + k + 4));
        }
    }
}
#endif

/* Store one recorded unit value of each lane (contiguous columns: a plain copy). */
LF_INLINE void lf_store_unit(double *restrict dst, const Py_ssize_t *col, int n,
                             int contiguous, const double *restrict v, int stream,
                             const int W)
{
    if (n == 1) {   /* a lone unit (the notebook's): no loop set-up at all */
        if (col[0] >= 0) dst[col[0]] = v[0];
    } else if (contiguous && n == W) {   /* the common case: a fixed-size vector copy */
        dst += col[0];
        if (stream && W >= 8) {
            lf_stream_copy(dst, v, W);
            return;
        }
        for (int i = 0; i < W; i++) dst[i] = v[i];
    } else if (contiguous) {
        for (int i = 0; i < n; i++) dst[col[0] + i] = v[i];
    } else {
        for (int i = 0; i < n; i++) if (col[i] >= 0) dst[col[i]] = v[i];
    }
}

/*
 * XCAL learning of every synapse of a block, one cycle: sender-receiver
 * products, the check mark against avg_l and the medium-term floating
 * threshold, soft bounding, SIG.  fast_pow and rec are compile-time constants
 * at each call, so each combination is its own branch-free vector loop.
 */
LF_INLINE void lf_learn(const SeedConsts *c, const LFScratch *s, Py_ssize_t J,
                            const double *avg_s_eff, const double *avg_m, const double *avg_l,
                            const double *avg_l_lrn, const int fast_pow, const int rec,
                            const int W)
{
    const int B = W;
    for (Py_ssize_t j = 0; j < J; j++) {
        double *restrict fw = s->fwt + j * B, *restrict w = s->wt + j * B;
        const double *restrict ss_j = s->su_s + j * B, *restrict sm_j = s->su_m + j * B;
        double *restrict r_dwt = s->rec + (0 * J + j) * B;
        double *restrict r_srs = s->rec + (1 * J + j) * B;
        double *restrict r_srm = s->rec + (2 * J + j) * B;
        double *restrict r_xcal = s->rec + (5 * J + j) * B;
        LF_SIMD
        for (int i = 0; i < B; i++) {
            double srs = avg_s_eff[i] * ss_j[i];
            double srm = avg_m[i] * sm_j[i];
            double xcal_l = lf_xcal(srs, avg_l[i], c);
            double dwt = 0.0 + c->lrate * (c->m_lrn * lf_xcal(srs, srm, c)
                                           + avg_l_lrn[i] * xcal_l);
            double f = fw[i];
            dwt = lf_soft_bound(dwt, f);
            f = f + dwt;
            fw[i] = f;
            double b = lf_sig_base(f, c);
            w[i] = fast_pow ? 1.0 / (1.0 + lf_pow_1_5(b)) : b;
            if (rec) {
                r_dwt[i] = dwt; r_srs[i] = srs; r_srm[i] = srm; r_xcal[i] = xcal_l;
            }
        }
        if (!fast_pow)   /* general gain: pow is a libm call, kept out of the vector loop */
            for (int i = 0; i < B; i++) w[i] = 1.0 / (1.0 + pow(w[i], c->gain));
    }
}

/* The unit state and per-cycle values of a block, one array element per lane. */
typedef struct {
    double net[LF_BLOCK], v_m[LF_BLOCK], adapt[LF_BLOCK], avg_ss[LF_BLOCK], avg_s[LF_BLOCK];
    double avg_m[LF_BLOCK], avg_l[LF_BLOCK], acc[LF_BLOCK], net_raw[LF_BLOCK], g_i[LF_BLOCK];
    double i_net[LF_BLOCK], act[LF_BLOCK], avg_l_lrn[LF_BLOCK], avg_s_eff[LF_BLOCK];
    double n_spk[LF_BLOCK], ex[LF_BLOCK];
} LFLanes;

/* Net input from the summed synaptic drive, then the membrane current of every
   conductance but the AdEx term, whose exponent goes to ex. */
LF_INLINE void lf_lane_input(LFLanes *L, const SeedConsts *c, int i)
{
    L->net_raw[i] = c->inv_n_inputs * L->acc[i];
    L->net[i] = L->net[i] + c->k_net * (L->net_raw[i] - L->net[i]);
    double vm = L->v_m[i];
    L->i_net[i] = (L->net[i] * (c->e_rev_e - vm) + c->gc_l * (c->e_rev_l - vm)
                   + L->g_i[i] * (c->e_inh - vm) + c->noise);
    L->ex[i] = (vm - c->thr) / c->exp_slope;
}

/* v_m from I_net (ex now holds the exponential), spike and reset, adaptation without
   decay (seed quirk), the short and medium averages.  Returns 1 if I_net is not finite. */
LF_INLINE int lf_lane_spike(LFLanes *L, const SeedConsts *c, int i)
{
    double in = L->i_net[i] + c->k_exp * L->ex[i];
    double vm = L->v_m[i] + c->k_vm * (in - L->adapt[i]);
    L->i_net[i] = in;
    int spike = vm > c->spk_thr;
    vm = spike ? c->vm_r : vm;
    double a_ = spike ? 1.0 : 0.0;
    L->act[i] = a_;
    L->v_m[i] = vm;
    L->adapt[i] = L->adapt[i] + ((c->vm_gain * (vm - c->e_rev_l)) + a_ * c->spike_gain)
                                / c->adapt_div;
    L->n_spk[i] += a_;
    L->avg_ss[i] = L->avg_ss[i] + c->k_ss * (a_ - L->avg_ss[i]);
    L->avg_s[i] = L->avg_s[i] + c->k_s * (L->avg_ss[i] - L->avg_s[i]);
    L->avg_m[i] = L->avg_m[i] + c->k_m * (L->avg_s[i] - L->avg_m[i]);
    return !lf_finite(in);
}

/* avg_l once per trial (seed quirk: at the trial's first cycle; new_trial is a constant
   at each call), then the values learning reads. */
LF_INLINE void lf_lane_avg_l(LFLanes *L, const SeedConsts *c, int i, int new_trial)
{
    double al = L->avg_l[i];
    al = new_trial ? al + c->l_dt * (L->avg_m[i] - al) : al;
    L->avg_l[i] = al;
    L->avg_l_lrn[i] = c->avg_l_lrn_min + (al - c->avg_l_min) * c->lrn_fac;
    L->avg_s_eff[i] = c->m_in_s * L->avg_m[i] + c->one_m_in_s * L->avg_s[i];
}

/*
 * Run units u0 .. u0+n-1 (n <= LF_BLOCK) through schedule cycles c0 .. c1-1.
 * Returns LF_STATUS_OK or LF_STATUS_NONFINITE.
 */
LF_INLINE int lf_run_block_body(const SeedConsts *consts, const LFRun *a,
                                const LFScratch *s, Py_ssize_t u0, int n, Py_ssize_t t0,
                                Py_ssize_t t1, const int fast_pow, const int W, const int isa)
{
    const int B = W;   /* lanes: LF_BLOCK, LF_MID or LF_NARROW */
    (void)isa;         /* only the x86-64 entry points stream with wide stores */
    /* A local copy: the compiler then knows no store below can change a constant. */
    const SeedConsts k_local = *consts;
    const SeedConsts *c = &k_local;
    const Py_ssize_t J = a->n_inputs, U = a->n_units;
    LFLanes L;
    double *net = L.net, *v_m = L.v_m, *adapt = L.adapt, *avg_ss = L.avg_ss;
    double *avg_s = L.avg_s, *avg_m = L.avg_m, *avg_l = L.avg_l, *acc = L.acc;
    double *net_raw = L.net_raw, *g_i = L.g_i, *i_net = L.i_net, *act = L.act;
    double *avg_l_lrn = L.avg_l_lrn, *avg_s_eff = L.avg_s_eff, *n_spk = L.n_spk;
    Py_ssize_t col[LF_BLOCK];
    int any_rec = 0, contiguous = 1, status = LF_STATUS_OK;

    for (int i = 0; i < B; i++) {
        Py_ssize_t u = u0 + (i < n ? i : n - 1);
        net[i] = a->us[LF_S_NET * U + u];
        v_m[i] = a->us[LF_S_V_M * U + u];
        adapt[i] = a->us[LF_S_ADAPT * U + u];
        avg_ss[i] = a->us[LF_S_AVG_SS * U + u];
        avg_s[i] = a->us[LF_S_AVG_S * U + u];
        avg_m[i] = a->us[LF_S_AVG_M * U + u];
        avg_l[i] = a->us[LF_S_AVG_L * U + u];
        n_spk[i] = 0.0;
        col[i] = i < n ? a->unit_cols[u] : -1;
        for (Py_ssize_t j = 0; j < J; j++) {
            s->fwt[j * B + i] = a->ss[u * J + j];
            s->wt[j * B + i] = a->ss[(U + u) * J + j];
        }
    }
    for (int i = 0; i < n; i++) {
        any_rec |= col[i] >= 0;
        contiguous &= col[i] == col[0] + i && col[0] >= 0;
    }

    /* The recorded traces, once: where each one's plane starts and which value feeds it
       (fwt and wt are the state planes; dwt, srs, srm and XCAL are kept in s->rec). */
    const double *unit_vals[LF_N_UNIT_TRACES] = {
        net, net_raw, v_m, act, adapt, i_net, act, avg_ss, avg_s, avg_m, avg_l, avg_l_lrn,
        avg_s_eff};
    const double *syn_vals[LF_N_SYN_TRACES] = {
        s->rec, s->rec + J * B, s->rec + 2 * J * B, s->fwt, s->wt, s->rec + 5 * J * B};
    double *unit_dst[LF_N_UNIT_TRACES], *syn_dst[LF_N_SYN_TRACES];
    const double *unit_src[LF_N_UNIT_TRACES], *syn_src[LF_N_SYN_TRACES];
    int n_unit_rec = 0, n_syn_rec = 0;
    for (int k = 0; any_rec && k < LF_N_UNIT_TRACES; k++) {
        if (a->slot[k] < 0 || a->ub == NULL) continue;
        unit_dst[n_unit_rec] = a->ub + a->slot[k] * a->rows * a->cols;
        unit_src[n_unit_rec++] = unit_vals[k];
    }
    for (int k = 0; any_rec && k < LF_N_SYN_TRACES; k++) {
        if (a->slot[LF_T_DWT + k] < 0 || a->sb == NULL) continue;
        syn_dst[n_syn_rec] = a->sb + a->slot[LF_T_DWT + k] * a->rows * a->cols * J;
        syn_src[n_syn_rec++] = syn_vals[k];
    }

    /* Full blocks stream their unit traces in two groups.  net, net_raw and I_net are
       rewritten by the next cycle's input stage, so they go out as soon as they are
       final.  The other ten stay as they are until the next cycle's spike stage, so
       they wait (pending) and go out through that cycle's exp loop (lf_exp_stream_*). */
#if LF_DISPATCH
    const double *early_src[LF_N_UNIT_TRACES], *late_src[LF_N_UNIT_TRACES];
    double *early_dst[LF_N_UNIT_TRACES], *late_dst[LF_N_UNIT_TRACES];
    double *pending[LF_N_UNIT_TRACES];   /* rows of the late traces not yet written */
    int n_early = 0, n_late = 0, n_pending = 0;
    for (int q = 0; q < n_unit_rec; q++) {
        const double *v = unit_src[q];
        if (v == net || v == net_raw || v == i_net) {
            early_src[n_early] = v;
            early_dst[n_early++] = unit_dst[q];
        } else {
            late_src[n_late] = v;
            late_dst[n_late++] = unit_dst[q];
        }
    }
#endif

    /* Trial, cycle in trial and recording phase are counted, not divided, each cycle. */
    Py_ssize_t trial = t0 / a->n_cycles, cycle = t0 - trial * a->n_cycles;
    Py_ssize_t phase = (a->abs0 + (t0 - a->c0)) % a->every;   /* absolute % every */
    /* Trace row of the next recorded cycle: ceil(absolute / every) - rec_base. */
    Py_ssize_t row = (a->abs0 + (t0 - a->c0) + a->every - 1) / a->every - a->rec_base;
    for (Py_ssize_t t = t0; t < t1;
         t++, phase = phase + 1 == a->every ? 0 : phase + 1,
         trial += cycle + 1 == a->n_cycles, cycle = cycle + 1 == a->n_cycles ? 0 : cycle + 1) {
        Py_ssize_t absolute = a->abs0 + (t - a->c0);
        int rec = any_rec && phase == 0;

        if (t == t0 || cycle == 0) {
            lf_load_schedule(&a->x, trial, u0, n, J, s->x, W);
            lf_load_schedule(&a->su_s, trial, u0, n, J, s->su_s, W);
            lf_load_schedule(&a->su_m, trial, u0, n, J, s->su_m, W);
            for (int i = 0; i < B; i++)
                g_i[i] = lf_at(&a->gc_i, trial, u0 + (i < n ? i : n - 1), 0);
        }

        /* Input: net_raw = 1/n * sum_j x_j * wt_j, summed in input order per unit. */
        for (int i = 0; i < B; i++) acc[i] = 0.0;
        for (Py_ssize_t j = 0; j < J; j++) {
            const double *xj = s->x + j * B, *wj = s->wt + j * B;
            for (int i = 0; i < B; i++) acc[i] = acc[i] + xj[i] * wj[i];
        }

        /* The neuron's cycle in four stages (lf_lane_*).  Wide blocks run each stage as
           its own short vector loop over all lanes, iterations independent, so the
           out-of-order core overlaps many lanes' exp and division latencies; a narrow
           block (a few units, latency-bound) runs them fused, values kept in registers. */
        const int new_trial = cycle == 0;
        int bad = 0;
        if (W == LF_NARROW) {
            LF_SIMD
            for (int i = 0; i < B; i++) {
                lf_lane_input(&L, c, i);
                L.ex[i] = lf_exp(L.ex[i]);
                bad |= lf_lane_spike(&L, c, i);
            }
        } else {
            LF_SIMD
            for (int i = 0; i < B; i++) lf_lane_input(&L, c, i);
            /* The whole block in exp's normal range (the usual case): the shorter exp. */
            int normal = 1;
            for (int i = 0; i < B; i++) normal &= fabs(L.ex[i]) <= LF_EXP_NORMAL_MAX;
#if LF_DISPATCH
            if (n_pending && normal) {   /* the last cycle's late traces, through the exp */
                if (isa == LF_ISA_AVX512)
                    lf_exp_stream_avx512(L.ex, W, pending, late_src, n_pending);
                else
                    lf_exp_stream_avx2(L.ex, W, pending, late_src, n_pending);
                n_pending = 0;
                normal = -1;   /* exp done */
            } else if (n_pending) {
                lf_stream_rows_isa(isa, pending, late_src, n_pending, W);
                n_pending = 0;
            }
#endif
            if (normal == 1) {
                LF_SIMD
                for (int i = 0; i < B; i++) L.ex[i] = lf_exp_normal(L.ex[i]);
            } else if (normal == 0) {
                LF_SIMD
                for (int i = 0; i < B; i++) L.ex[i] = lf_exp(L.ex[i]);
            }
            LF_SIMD
            for (int i = 0; i < B; i++) bad |= lf_lane_spike(&L, c, i);
        }
        /* Two loops rather than a select: within a trial avg_l, and so avg_l_lrn, do not
           wait for this cycle's avg_m (a shorter dependency chain per cycle). */
        if (new_trial) {
            LF_SIMD
            for (int i = 0; i < B; i++) lf_lane_avg_l(&L, c, i, 1);
        } else {
            LF_SIMD
            for (int i = 0; i < B; i++) lf_lane_avg_l(&L, c, i, 0);
        }
        if (bad) {   /* rare: mark the first non-finite cycle of each real lane */
            for (int i = 0; i < n; i++) {
                if (!lf_finite(i_net[i]) && a->first_bad[u0 + i] < 0)
                    a->first_bad[u0 + i] = absolute;
            }
            status = LF_STATUS_NONFINITE;
        }

        /* Whole rows of a full block, streamed by the instruction set's own stores: the
           early unit traces now, before learning, so memory takes them while the
           divisions of learning run; the late ones through the next cycle's exp (if
           their rows start on a line, else now); the synapse traces after learning. */
        const int wide_stream = LF_DISPATCH && rec && isa != LF_ISA_BASELINE && a->stream
                                && contiguous && n == W && W >= 8;
#if LF_DISPATCH
        if (wide_stream) {
            double *rows_dst[LF_N_UNIT_TRACES];
            for (int q = 0; q < n_early; q++)
                rows_dst[q] = early_dst[q] + row * a->cols + col[0];
            lf_stream_rows_isa(isa, rows_dst, early_src, n_early, W);
            int lined = 1;
            for (int q = 0; q < n_late; q++) {
                pending[q] = late_dst[q] + row * a->cols + col[0];
                lined &= ((uintptr_t)pending[q] & 63) == 0;
            }
            n_pending = n_late;
            if (!lined) {
                lf_stream_rows_isa(isa, pending, late_src, n_pending, W);
                n_pending = 0;
            }
        }
#endif

        /* XCAL learning every cycle (seed quirk), soft bound, SIG. */
        if (rec)
            lf_learn(c, s, J, avg_s_eff, avg_m, avg_l, avg_l_lrn, fast_pow, 1, W);
        else
            lf_learn(c, s, J, avg_s_eff, avg_m, avg_l, avg_l_lrn, fast_pow, 0, W);

#if LF_DISPATCH
        if (wide_stream && J == 1) {   /* one synapse per unit: rows like unit traces */
            double *rows_dst[LF_N_SYN_TRACES];
            for (int q = 0; q < n_syn_rec; q++)
                rows_dst[q] = syn_dst[q] + row * a->cols + col[0];
            lf_stream_rows_isa(isa, rows_dst, syn_src, n_syn_rec, W);
        }
#endif
        if (rec) {   /* what the wide stores above did not write */
            for (int q = 0; !wide_stream && q < n_unit_rec; q++)
                lf_store_unit(unit_dst[q] + row * a->cols, col, n, contiguous, unit_src[q],
                              a->stream, W);
            for (int q = 0; !(wide_stream && J == 1) && q < n_syn_rec; q++) {
                double *plane = syn_dst[q] + row * a->cols * J;
                const double *v = syn_src[q];
                if (J == 1) {   /* one synapse per unit: laid out like a unit trace */
                    lf_store_unit(plane, col, n, contiguous, v, a->stream, W);
                    continue;
                }
                for (int i = 0; i < n; i++) {
                    if (col[i] < 0) continue;
                    double *dst = plane + col[i] * J;
                    for (Py_ssize_t j = 0; j < J; j++) dst[j] = v[j * B + i];
                }
            }
            row++;
        }
    }

#if LF_DISPATCH
    if (n_pending)   /* the last cycle's late traces */
        lf_stream_rows_isa(isa, pending, late_src, n_pending, W);
#endif
    for (int i = 0; i < n; i++) {
        Py_ssize_t u = u0 + i;
        a->us[LF_S_NET * U + u] = net[i];
        a->us[LF_S_V_M * U + u] = v_m[i];
        a->us[LF_S_ADAPT * U + u] = adapt[i];
        a->us[LF_S_AVG_SS * U + u] = avg_ss[i];
        a->us[LF_S_AVG_S * U + u] = avg_s[i];
        a->us[LF_S_AVG_M * U + u] = avg_m[i];
        a->us[LF_S_AVG_L * U + u] = avg_l[i];
        a->spikes[u] += (long long)n_spk[i];
        int fin = lf_finite(net[i]) && lf_finite(v_m[i]) && lf_finite(adapt[i])
                  && lf_finite(avg_ss[i]) && lf_finite(avg_s[i]) && lf_finite(avg_m[i])
                  && lf_finite(avg_l[i]);
        for (Py_ssize_t j = 0; j < J; j++) {
            double f = s->fwt[j * B + i], w = s->wt[j * B + i];
            a->ss[u * J + j] = f;
            a->ss[(U + u) * J + j] = w;
            fin = fin && lf_finite(f) && lf_finite(w);
        }
        /* A NaN born in the last cycle has not reached I_net yet: check the state. */
        if (!fin && a->first_bad[u] < 0 && t1 == a->c1 && a->c1 > a->c0)
            a->first_bad[u] = a->abs0 + (a->c1 - a->c0) - 1;
        if (a->first_bad[u] >= 0) status = LF_STATUS_NONFINITE;
    }
    return status;
}

/* Cycles per sweep over the blocks when recording. */
#define LF_RECORD_WINDOW 32

/* Does this run write any trace? */
static int lf_records(const LFRun *a)
{
    int any_slot = 0;
    for (int k = 0; k < LF_N_TRACES; k++) any_slot |= a->slot[k] >= 0;
    return any_slot && (a->ub != NULL || a->sb != NULL);
}

/* One sweep of units u_start .. u_stop-1; inlined into each ISA's entry point below. */
LF_INLINE int lf_run_blocks_impl(const SeedConsts *c, const LFRun *a, const LFScratch *s,
                                 Py_ssize_t u_start, Py_ssize_t u_stop, const int isa)
{
    int status = LF_STATUS_OK, st;
    int fast_pow = c->gain == 1.5;
    /* Recording: sweep all blocks through a window of cycles, then the next window, so
       the trace rows being written stay few (cache and TLB friendly) instead of every
       block walking all rows of every trace.  Without traces: one window. */
    Py_ssize_t window = lf_records(a) && u_stop - u_start > LF_BLOCK ? LF_RECORD_WINDOW
                                                                      : a->c1 - a->c0;
    for (Py_ssize_t t0 = a->c0; t0 < a->c1; t0 += window) {
        Py_ssize_t t1 = a->c1 - t0 < window ? a->c1 : t0 + window;
        for (Py_ssize_t u0 = u_start; u0 < u_stop;) {
            Py_ssize_t left = u_stop - u0;
            /* One instantiation per width and gain path, so those tests leave the loops. */
            if (left > 3 * LF_MID) {   /* a full block, or nearly: 64 lanes */
                int n = (int)(left < LF_BLOCK ? left : LF_BLOCK);
                st = fast_pow ? lf_run_block_body(c, a, s, u0, n, t0, t1, 1, LF_BLOCK, isa)
                              : lf_run_block_body(c, a, s, u0, n, t0, t1, 0, LF_BLOCK, isa);
                u0 += n;
            } else if (left > LF_NARROW) {   /* the rest in blocks of 16 */
                int n = (int)(left < LF_MID ? left : LF_MID);
                st = fast_pow ? lf_run_block_body(c, a, s, u0, n, t0, t1, 1, LF_MID, isa)
                              : lf_run_block_body(c, a, s, u0, n, t0, t1, 0, LF_MID, isa);
                u0 += n;
            } else {   /* a few units (the notebook's one) */
                int n = (int)left;
                st = fast_pow ? lf_run_block_body(c, a, s, u0, n, t0, t1, 1, LF_NARROW, isa)
                              : lf_run_block_body(c, a, s, u0, n, t0, t1, 0, LF_NARROW, isa);
                u0 += n;
            }
            if (st > status) status = st;
        }
    }
    return status;
}

/*
 * One entry point per instruction set, the same C compiled for each (x86-64 with GCC or
 * Clang on Linux); the best one this CPU runs is chosen once at import, and
 * LEABRA_FAST_SIMD (or lf_select_isa) can pick a lower one to compare or test.  Every
 * entry gives the same bits: add, mul, div and sqrt round correctly at any width and
 * there is no FMA, so only the speed changes.
 */
typedef int (*lf_blocks_fn)(const SeedConsts *, const LFRun *, const LFScratch *,
                            Py_ssize_t, Py_ssize_t);

static int lf_run_blocks_baseline(const SeedConsts *c, const LFRun *a, const LFScratch *s,
                                  Py_ssize_t u_start, Py_ssize_t u_stop)
{
    return lf_run_blocks_impl(c, a, s, u_start, u_stop, LF_ISA_BASELINE);
}

#if LF_DISPATCH
__attribute__((target("avx2")))
static int lf_run_blocks_avx2(const SeedConsts *c, const LFRun *a, const LFScratch *s,
                              Py_ssize_t u_start, Py_ssize_t u_stop)
{
    return lf_run_blocks_impl(c, a, s, u_start, u_stop, LF_ISA_AVX2);
}

__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw")))
static int lf_run_blocks_avx512(const SeedConsts *c, const LFRun *a, const LFScratch *s,
                                Py_ssize_t u_start, Py_ssize_t u_stop)
{
    return lf_run_blocks_impl(c, a, s, u_start, u_stop, LF_ISA_AVX512);
}
#endif

static lf_blocks_fn lf_isa_entry(int k)
{
#if LF_DISPATCH
    if (k == 0) return lf_run_blocks_avx512;
    if (k == 1) return lf_run_blocks_avx2;
#endif
    (void)k;
    return lf_run_blocks_baseline;
}

/* The entry in use; index into lf_isa_names (set by lf_select_isa). */
static int lf_isa_current = LF_N_ISA - 1;

/*
 * Use the instruction set called name, or the best this CPU runs when name is NULL or
 * empty.  Returns 0, -1 for an unknown name, -2 for one this CPU (or build) lacks.
 * Not for use while a simulation runs in another thread.
 */
static int lf_select_isa(const char *name)
{
    int k = lf_isa_find(name);
    if (k < 0) return k;
    lf_isa_current = k;
    return 0;
}

/*
 * Run units u_start .. u_stop-1; what one thread does with its share.
 * Returns LF_STATUS_OK, LF_STATUS_NONFINITE or LF_STATUS_NO_MEMORY.
 */
static int lf_run_units(const SeedConsts *c, const LFRun *a, Py_ssize_t u_start,
                        Py_ssize_t u_stop)
{
    LFScratch s;
    int status;
    if (u_stop <= u_start) return LF_STATUS_OK;
    if (lf_scratch_alloc(&s, a->n_inputs) != 0) return LF_STATUS_NO_MEMORY;
    status = lf_isa_entry(lf_isa_current)(c, a, &s, u_start, u_stop);
    if (a->stream) lf_stream_fence();
    lf_scratch_free(&s);
    return status;
}

#ifdef _OPENMP
#define LF_HAS_OPENMP 1
#else
#define LF_HAS_OPENMP 0
#endif

/* Scalar versions for tests against the Python ones. */
static double lf_exp_scalar(double x) { return lf_exp(x); }
static double lf_exp_normal_scalar(double x) { return lf_exp_normal(x); }

#endif /* LEABRA_FAST_SEED_BLOCK_H */
