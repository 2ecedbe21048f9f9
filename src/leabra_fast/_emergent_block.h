/*
 * The canonical emergent model's cycle loop in C, blocked over units for SIMD.
 *
 * Same plan as _seed_block.h: scalar inline functions named for what they compute
 * (noisy XX1, the table lookup, XCAL, SIG ...), the per-lane stages of a cycle
 * (lfe_lane_*), one function that runs a block of up to LFE_BLOCK units through all
 * requested cycles with their state in small local arrays (lane = unit innermost, so
 * the compiler vectorises every loop over units), and one entry point per
 * instruction set.  Every branch of the scalar equations becomes a select, so each
 * lane computes exactly what the scalar code computes; mode flags are uniform, and
 * the costly optional parts (the AdEx exp, each piece of NXX1, the table, adaptation,
 * KNa, the clamp, the ISI bookkeeping, libm pow) run as their own loops, chosen
 * outside the lane loops by the mode or by whether some lane of the block needs them.
 * Narrow blocks (a few units: latency-bound) run the stages fused per lane instead.
 * Conditions are combined with & and |, and both arms of a select computed up front:
 * GCC 12 leaves a loop scalar for a branch or for a load inside one arm.
 *
 * Bits: no FMA contraction (-ffp-contract=off), no -ffast-math, expressions in the
 * reference backend's order.  The differences from the reference (agreement to
 * ~1e-15 relative) are lf_exp (~1 ulp, _lf_math.h) for exp, and for SIG's power:
 * b*sqrt(b) when the gain is exactly 1.5, repeated multiplication for an integer
 * gain 1..16 (within ~gain/2 ulp); other gains call libm pow.  Add, mul, div and
 * sqrt round correctly at every vector width, so the results do not depend on the
 * instruction set, the thread count or the block a unit lands in.
 */
#ifndef LEABRA_FAST_EMERGENT_BLOCK_H
#define LEABRA_FAST_EMERGENT_BLOCK_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_lf_math.h"   /* LF_INLINE, lf_exp, lf_exp_normal, lf_pow_1_5, lf_finite */

#include "_lf_isa.h"   /* LF_DISPATCH, LF_ISA_*, lf_isa_find: the entry points per ISA */

#define LFE_STATUS_OK 0
#define LFE_STATUS_NONFINITE 1
#define LFE_STATUS_BAD_ARGS -1
#define LFE_STATUS_NO_MEMORY -2
#ifdef _OPENMP
#define LFE_HAS_OPENMP 1
#else
#define LFE_HAS_OPENMP 0
#endif

/* Lanes per block, as in the seed kernel: 64 wide (many independent dependency chains
   in flight), 16 and 4 for what is left over. */
#define LFE_BLOCK 64
#define LFE_MID 16
#define LFE_NARROW 4

#if defined(_MSC_VER) && !defined(restrict)
#define restrict __restrict
#endif
#if defined(_OPENMP) || defined(LF_OPENMP_SIMD)
#define LFE_SIMD _Pragma("omp simd")
#else
#define LFE_SIMD
#endif

/* Trace positions (leabra_fast.emergent.reference.TRACE_NAMES order). */
enum {
    LFE_T_NET_RAW, LFE_T_NET, LFE_T_G_E, LFE_T_G_I, LFE_T_G_K, LFE_T_I_NET, LFE_T_V_M,
    LFE_T_V_M_EQ, LFE_T_ACT, LFE_T_ACT_ND, LFE_T_SPIKE, LFE_T_ADAPT, LFE_T_AVG_SS,
    LFE_T_AVG_S, LFE_T_AVG_M, LFE_T_AVG_L, LFE_T_AVG_L_LRN, LFE_T_AVG_S_EFF,
    LFE_T_DWT, LFE_T_SRS, LFE_T_SRM, LFE_T_FWT, LFE_T_WT, LFE_T_XCAL, LFE_N_TRACES
};
#define LFE_N_UNIT_TRACES LFE_T_DWT
#define LFE_N_SYN_TRACES (LFE_N_TRACES - LFE_T_DWT)

/* Rows of the packed unit state (leabra_fast.emergent.reference.UNIT_STATE order). */
enum {
    LFE_S_NET, LFE_S_V_M, LFE_S_V_M_EQ, LFE_S_ACT, LFE_S_ACT_ND, LFE_S_ADAPT, LFE_S_ISI,
    LFE_S_ISI_AVG, LFE_S_AVG_SS, LFE_S_AVG_S, LFE_S_AVG_M, LFE_S_AVG_L, LFE_S_GKNA_F,
    LFE_S_GKNA_M, LFE_S_GKNA_S, LFE_N_UNIT_STATE
};

/* Filled from leabra_fast.emergent.params.derived_constants (same names); flags are 0/1. */
typedef struct {
    double spike_mode, use_table, k_net, direct_ge, net_clip_zero, net_scale;
    double g_bar_e, g_bar_l, g_bar_i, e_rev_e, e_rev_l, e_rev_i;
    double thr, gain, nvar, vm_act_thr, sig_mult_eff, sig_val_at_0, sig_gain_nvar;
    double interp_range, gain_cor_range, gain_cor, interp_val;
    double k_vm, vm_midpoint, rate_spikes, vm_min, vm_max;
    double exp_on, exp_slope, k_exp, spk_thr, vm_r, t_r, rate_num, isi_dt;
    double adapt_on, adapt_dt, adapt_div, k_adapt_integ, vm_gain, spike_gain, quirk_adapt_seed;
    double init_v_m, init_act, init_net, decay, clamp_min, clamp_max, minus_cycles, cyc_per_qtr;
    double k_ss, k_s, k_m, m_in_s, one_m_in_s, k_l, avg_l_gain, avg_l_min, quirk_avg_l_seed;
    double avg_l_lrn_min, lrn_fact, set_l_lrn, l_lrn;
    double lrate, m_lrn, d_thr, d_rev, rev_fac, lrn_thr, soft_bound;
    double wt_sig_gain, wt_sig_off, quirk_sig_seed, sig_eps, learn_every_cycle, act_nd_spike;
    double kna_on, g_bar_k, e_rev_k, kna_rate_rise;
    double kna_f_rise, kna_f_max, kna_f_dt, kna_m_rise, kna_m_max, kna_m_dt;
    double kna_s_rise, kna_s_max, kna_s_dt;
    double table_x0, table_res;
} EConsts;

/* A read-only schedule: base pointer and byte strides (zero where broadcast).  Synapse
   schedules are (trial, unit, input); per-cycle ones (trial, cycle, unit). */
typedef struct {
    const char *data;
    Py_ssize_t s0, s1, s2;
} LFESchedule;

/* Everything one run needs; built by the Cython wrapper after validation. */
typedef struct {
    const double *table;
    Py_ssize_t n_table;
    LFESchedule x, su_s, su_m;            /* (trial, unit, input) */
    LFESchedule ge, gc_i, ext, targ;      /* (trial, cycle, unit) */
    double *us;                           /* (15, n_units), C order */
    double *ss;                           /* (2, n_units, n_inputs), C order */
    Py_ssize_t n_units, n_inputs;
    Py_ssize_t n_cycles, c0, c1, abs0, every, rec_base;
    Py_ssize_t slot[LFE_N_TRACES];
    const Py_ssize_t *unit_cols;          /* column of each unit in the traces, or -1 */
    double *ub;                           /* (n_unit_slots, ub_rows, ub_cols) */
    double *sb;                           /* (n_syn_slots, sb_rows, sb_cols, n_inputs) */
    Py_ssize_t ub_rows, ub_cols, sb_rows, sb_cols;
    double *act_q;                        /* (n_trials, n_quarters, n_units), C order */
    Py_ssize_t n_quarters;
    long long *spikes, *first_bad;
} LFERun;


/* ---------------------------------------------------------------- scalars */

LF_INLINE double lfe_clip(double x, double lo, double hi)
{
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
}

/* XX1(x) = x / (x + 1). */
LF_INLINE double lfe_xx1(double x) { return x / (x + 1.0); }

/* XX1(gain*x) with the gain lowered by up to gain_cor near threshold. */
LF_INLINE double lfe_xx1_gain_cor(double x, const EConsts *c)
{
    double gcf = (c->gain_cor_range - x / c->nvar) / c->gain_cor_range;
    /* XX1 of the selected argument: one division instead of two, same bits. */
    double plain = c->gain * x;
    double corrected = c->gain * (1.0 - c->gain_cor * gcf) * x;
    return lfe_xx1(gcf < 0.0 ? plain : corrected);
}

/* Closed-form noisy XX1 (C++ emergent 8, Go) given ex = exp(-(x*sig_gain_nvar)):
   the sigmoid below 0, linear interpolation up to interp_range, gain-corrected XX1 above. */
LF_INLINE double lfe_noisy_xx1_from_exp(double x, double ex, const EConsts *c)
{
    double below = c->sig_mult_eff / (1.0 + ex);
    double interp = 1.0 - ((c->interp_range - x) / c->interp_range);
    double near = c->sig_val_at_0 + interp * c->interp_val;
    double above = lfe_xx1_gain_cor(x, c);
    return x < 0.0 ? below : (x < c->interp_range ? near : above);
}

/* The exponent NXX1's sigmoid needs (only lanes with x < 0 use it). */
LF_INLINE double lfe_nxx1_exp_arg(double x, const EConsts *c) { return -(x * c->sig_gain_nvar); }

LF_INLINE double lfe_noisy_xx1(double x, const EConsts *c)
{
    return lfe_noisy_xx1_from_exp(x, lf_exp(lfe_nxx1_exp_arg(x, c)), c);
}

/* Noisy XX1 from the convolution table (emergent <= 7), linear interpolation;
   plain XX1(gain*x) above the table, 0 below it.  Out-of-table lanes read entry 0. */
LF_INLINE double lfe_nxx1_lookup(double x, const double *table, Py_ssize_t n,
                                 const EConsts *c)
{
    double x_top = c->table_x0 + (double)(n - 1) * c->table_res;
    double gx = c->gain * x;
    int inside = (x > c->table_x0) & (x < x_top);
    double xi = inside ? x : c->table_x0;
    Py_ssize_t k = (Py_ssize_t)((xi - c->table_x0) / c->table_res);
    k = k > n - 2 ? n - 2 : k;
    double frac = (xi - (c->table_x0 + (double)k * c->table_res)) / c->table_res;
    double in = table[k] + (table[k + 1] - table[k]) * frac;
    return x >= x_top ? gx / (gx + 1.0) : (!(x > c->table_x0) ? 0.0 : in);
}

/* Net current of the excitatory, leak, inhibitory (and KNa) channels at potential v. */
LF_INLINE double lfe_inet(double v, double g_e, double g_i, double g_k, const EConsts *c)
{
    double i = g_e * (c->e_rev_e - v) + c->g_bar_l * (c->e_rev_l - v) + g_i * (c->e_rev_i - v);
    double with_k = i + g_k * (c->e_rev_k - v);   /* arms computed up front (see lfe_xcal) */
    return c->kna_on != 0.0 ? with_k : i;
}

/* Excitatory conductance that puts the equilibrium potential at thr. */
LF_INLINE double lfe_ge_thr(double g_i, double adapt, double g_k, const EConsts *c)
{
    double num = g_i * (c->e_rev_i - c->thr) + c->g_bar_l * (c->e_rev_l - c->thr);
    double with_k = num + g_k * (c->e_rev_k - c->thr);
    num = c->kna_on != 0.0 ? with_k : num;
    return (num - adapt) / (c->thr - c->e_rev_e);
}

/* Running average of the inter-spike interval; jumps down on much shorter intervals. */
LF_INLINE double lfe_avg_fm_isi(double avg, double isi, const EConsts *c)
{
    double moved = avg + c->isi_dt * (isi - avg);
    return ((avg <= 0.0) | (isi < 0.8 * avg)) ? isi : moved;
}

/* One cycle of a Na-gated K conductance: rise toward gmax by spikes (or act), decay by dt. */
LF_INLINE double lfe_kna_step(double g, double rise, double gmax, double dt, int spiking,
                              int spike, double act)
{
    if (spiking) return spike ? g + rise * (gmax - g) : g - dt * g;
    return g + act * rise * (gmax - g) - dt * g;
}

/* XCAL check mark: 0 below d_thr, x - th above th*d_rev, else -x*(1-d_rev)/d_rev. */
LF_INLINE double lfe_xcal(double x, double th, const EConsts *c)
{
    /* Both arms computed from constants read up front: a load inside one arm of a
       select becomes a masked load that keeps the learning loop scalar. */
    double up = x - th, down = -x * c->rev_fac;
    double lin = x > th * c->d_rev ? up : down;
    return x < c->d_thr ? 0.0 : lin;
}

/* Increases shrink toward 1, decreases toward 0, in proportion to the linear weight. */
LF_INLINE double lfe_soft_bound(double dwt, double fwt)
{
    return dwt > 0 ? dwt * (1.0 - fwt) : dwt * fwt;
}

/* How SIG's power b^gain is computed: b*sqrt(b), repeated multiplication, or libm pow. */
enum { LFE_POW_1_5 = -1, LFE_POW_LIBM = 0 };   /* 1..LFE_POW_INT_MAX: that integer */
#define LFE_POW_INT_MAX 16

static int lfe_pow_kind(double gain)
{
    if (gain == 1.5) return LFE_POW_1_5;
    if (gain >= 1.0 && gain <= LFE_POW_INT_MAX && gain == (double)(int)gain) return (int)gain;
    return LFE_POW_LIBM;
}

/* b^n for an integer n >= 1 by square-and-multiply (fixed order: same bits everywhere).
   Within ~n/2 ulp of pow; inf, NaN and signs as pow gives them. */
LF_INLINE double lfe_pow_int(double b, int n)
{
    double r = (n & 1) ? b : 1.0, sq = b;
    for (n >>= 1; n; n >>= 1) {
        sq = sq * sq;
        if (n & 1) r = r * sq;
    }
    return r;
}

/* b^6, the presets' SIG gain, written out: exactly lfe_pow_int(b, 6)'s operations
   (1.0 * b^2 is b^2), with no loop, so it inlines into a vector loop. */
LF_INLINE double lfe_pow_6(double b)
{
    double b2 = b * b;
    return b2 * (b2 * b2);
}

/* lfe_pow_int on B lanes in place: the bits of n outside, the lanes inside, so every
   step is a vector loop; the same operations in the same order as lfe_pow_int. */
LF_INLINE void lfe_pow_int_lanes(double *restrict b, int n, const int B)
{
    double r[LFE_BLOCK];
    LFE_SIMD
    for (int i = 0; i < B; i++) r[i] = (n & 1) ? b[i] : 1.0;
    for (n >>= 1; n; n >>= 1) {
        LFE_SIMD
        for (int i = 0; i < B; i++) b[i] = b[i] * b[i];
        if (n & 1) {
            LFE_SIMD
            for (int i = 0; i < B; i++) r[i] = r[i] * b[i];
        }
    }
    LFE_SIMD
    for (int i = 0; i < B; i++) b[i] = r[i];
}

/* The base of SIG's power: off*(1 - w) / w (emergent), or / (w + sig_eps) (seed SIG). */
LF_INLINE double lfe_sig_base(double w, const EConsts *c)
{
    double shifted = w + c->sig_eps;   /* computed up front (see lfe_xcal) */
    double den = c->quirk_sig_seed != 0.0 ? shifted : w;
    return (c->wt_sig_off * (1.0 - w)) / den;
}

/* SIG from its power bp = base^gain: emergent's is exactly 0 at w <= 0 and 1 at w >= 1. */
LF_INLINE double lfe_sig_from_pow(double w, double bp, const EConsts *c)
{
    double s = 1.0 / (1.0 + bp);
    double ends = w <= 0.0 ? 0.0 : (w >= 1.0 ? 1.0 : s);
    return c->quirk_sig_seed != 0.0 ? s : ends;
}

LF_INLINE double lfe_pow(double b, int kind, double gain)
{
    if (kind == LFE_POW_1_5) return lf_pow_1_5(b);
    if (kind > 0) return lfe_pow_int(b, kind);
    return pow(b, gain);
}

/* Weight contrast enhancement of the linear weight w (scalar, any gain). */
LF_INLINE double lfe_sig(double w, const EConsts *c)
{
    double b = lfe_sig_base(w, c);
    return lfe_sig_from_pow(w, lfe_pow(b, lfe_pow_kind(c->wt_sig_gain), c->wt_sig_gain), c);
}


/* ----------------------------------------------------------- block kernel */

/* Per-block scratch: synapse state and schedules, [input][lane]. */
typedef struct {
    double *fwt, *wt, *x, *su_s, *su_m;
    double *rec;      /* LFE_N_SYN_TRACES planes of [input][lane], for recording cycles */
    double *tmp;      /* two planes [lane]: SIG's power, and which weights changed */
} LFEScratch;

static int lfe_scratch_alloc(LFEScratch *s, Py_ssize_t n_inputs)
{
    size_t plane = (size_t)(n_inputs > 0 ? n_inputs : 1) * LFE_BLOCK;
    double *all = (double *)malloc(sizeof(double) * (plane * (5 + LFE_N_SYN_TRACES) + 2 * LFE_BLOCK));
    if (all == NULL) return -1;
    s->fwt = all; s->wt = all + plane; s->x = all + 2 * plane;
    s->su_s = all + 3 * plane; s->su_m = all + 4 * plane; s->rec = all + 5 * plane;
    s->tmp = all + (5 + LFE_N_SYN_TRACES) * plane;
    return 0;
}

static void lfe_scratch_free(LFEScratch *s) { free(s->fwt); }

LF_INLINE double lfe_at(const LFESchedule *s, Py_ssize_t a, Py_ssize_t b, Py_ssize_t k)
{
    return *(const double *)(s->data + a * s->s0 + b * s->s1 + k * s->s2);
}

/* One trial of a synapse schedule for units u0 .. u0+n-1 into [input][lane]. */
LF_INLINE void lfe_load_syn(const LFESchedule *s, Py_ssize_t trial, Py_ssize_t u0, int n,
                            Py_ssize_t J, double *out, const int W)
{
    for (int i = 0; i < W; i++) {
        Py_ssize_t u = u0 + (i < n ? i : n - 1);   /* padding lanes repeat the last unit */
        for (Py_ssize_t j = 0; j < J; j++) out[j * W + i] = lfe_at(s, trial, u, j);
    }
}

/* One cycle of a per-cycle schedule for the block's lanes. */
LF_INLINE void lfe_load_cycle(const LFESchedule *s, Py_ssize_t trial, Py_ssize_t cyc,
                              Py_ssize_t u0, int n, double *restrict out, const int W)
{
    const char *base = s->data + trial * s->s0 + cyc * s->s1;
    const Py_ssize_t su = s->s2;
    if (su == 0) {   /* one value for every unit (a broadcast schedule) */
        double v = *(const double *)base;
        for (int i = 0; i < W; i++) out[i] = v;
        return;
    }
    if (n == W && su == (Py_ssize_t)sizeof(double)) {
        memcpy(out, base + u0 * su, sizeof(double) * W);
        return;
    }
    for (int i = 0; i < W; i++)
        out[i] = *(const double *)(base + (u0 + (i < n ? i : n - 1)) * su);
}

/* The unit state and per-cycle values of a block, one array element per lane. */
typedef struct {
    /* state, UNIT_STATE order */
    double net[LFE_BLOCK], v_m[LFE_BLOCK], v_m_eq[LFE_BLOCK], act[LFE_BLOCK];
    double act_nd[LFE_BLOCK], adapt[LFE_BLOCK], isi[LFE_BLOCK], isi_avg[LFE_BLOCK];
    double avg_ss[LFE_BLOCK], avg_s[LFE_BLOCK], avg_m[LFE_BLOCK], avg_l[LFE_BLOCK];
    double gkna_f[LFE_BLOCK], gkna_m[LFE_BLOCK], gkna_s[LFE_BLOCK];
    /* this cycle */
    double clampv[LFE_BLOCK], ge[LFE_BLOCK], gci[LFE_BLOCK], targ[LFE_BLOCK];
    double acc[LFE_BLOCK], net_raw[LFE_BLOCK], g_e[LFE_BLOCK], g_i[LFE_BLOCK];
    double g_k[LFE_BLOCK], i_net[LFE_BLOCK], ex[LFE_BLOCK], new_vm[LFE_BLOCK];
    double new_eq[LFE_BLOCK], spk[LFE_BLOCK], drive[LFE_BLOCK], new_act[LFE_BLOCK];
    double new_nd[LFE_BLOCK], avg_l_lrn[LFE_BLOCK], avg_s_eff[LFE_BLOCK];
    double n_spk[LFE_BLOCK];
} LFELanes;

/* Trial start: avg_l from the last avg_m (emergent form), then decay toward the
   initial state. */
LF_INLINE void lfe_lane_trial_start(LFELanes *L, const EConsts *c, int i)
{
    double al = L->avg_l[i];
    double al_new = al + c->k_l * (c->avg_l_gain * L->avg_m[i] - al);
    al_new = al_new < c->avg_l_min ? c->avg_l_min : al_new;
    L->avg_l[i] = c->quirk_avg_l_seed == 0.0 ? al_new : al;
    double d = c->decay;
    L->act[i] = L->act[i] - d * (L->act[i] - c->init_act);
    L->act_nd[i] = L->act_nd[i] - d * (L->act_nd[i] - c->init_act);
    L->net[i] = L->net[i] - d * (L->net[i] - c->init_net);
    L->v_m[i] = L->v_m[i] - d * (L->v_m[i] - c->init_v_m);
    L->v_m_eq[i] = L->v_m_eq[i] - d * (L->v_m_eq[i] - c->init_v_m);
}

/* The clamp value of this cycle: the target in the plus phase, else ext; NaN = free. */
LF_INLINE void lfe_lane_clamp(LFELanes *L, int i, int plus)
{
    double tv = L->targ[i];
    L->clampv[i] = (plus & (tv == tv)) ? tv : L->clampv[i];
}

/* Conductances, net input and the membrane current of every channel but the AdEx
   term; ex gets the potential v_eff at which the current is taken.  Clamped lanes take net = the clamp value. */
LF_INLINE void lfe_lane_input(LFELanes *L, const EConsts *c, int i)
{
    double clampv = L->clampv[i];
    int clamped = clampv == clampv;
    double net_raw = c->net_scale * L->acc[i] + L->ge[i];
    double g_i = c->g_bar_i * L->gci[i];
    double g_k = c->g_bar_k * (L->gkna_f[i] + L->gkna_m[i] + L->gkna_s[i]);
    double net = L->net[i];
    double integrated = net + c->k_net * (net_raw - net), direct = net_raw + 0.0;
    double free_net = c->direct_ge != 0.0 ? direct : integrated;
    free_net = ((c->net_clip_zero != 0.0) & (free_net < 0.0)) ? 0.0 : free_net;
    net = clamped ? clampv : free_net;
    double g_e = c->g_bar_e * net;
    /* Midpoint (or Euler) potential at which the current is taken. */
    double vm = L->v_m[i];
    double v_mid = vm + (0.5 * c->k_vm) * (lfe_inet(vm, g_e, g_i, g_k, c) - L->adapt[i]);
    double v_eff = c->vm_midpoint != 0.0 ? v_mid : vm;
    L->net_raw[i] = net_raw;
    L->net[i] = net;
    L->g_e[i] = g_e;
    L->g_i[i] = g_i;
    L->g_k[i] = g_k;
    L->i_net[i] = lfe_inet(v_eff, g_e, g_i, g_k, c);
    L->ex[i] = v_eff;   /* the AdEx exponent is taken from it only when AdEx is on */
}

/* v_m and v_m_eq from I_net (held while refractory), the spike and reset, then act in
   spiking mode or the rate code's drive.  Clamped lanes compute values here that
   lfe_lane_commit discards. */
LF_INLINE void lfe_lane_vm(LFELanes *L, const EConsts *c, int i, const int spike_mode)
{
    const int can_spike = spike_mode | (c->rate_spikes != 0.0);
    int clamped = L->clampv[i] == L->clampv[i];
    double vm = L->v_m[i], eq = L->v_m_eq[i], adapt = L->adapt[i], isi = L->isi[i];
    double g_e = L->g_e[i], g_i = L->g_i[i], g_k = L->g_k[i];
    /* Comparisons combined with & and |, not && and ||: no branches in the lane loops. */
    int refractory = can_spike & (c->t_r > 0.0) & (isi >= 0.0) & (isi < c->t_r);
    double i_net = L->i_net[i];
    double stepped = vm + c->k_vm * (i_net - adapt);
    double new_vm = refractory ? vm : stepped;
    i_net = refractory ? 0.0 : i_net;
    double new_eq = eq + c->k_vm * (lfe_inet(eq, g_e, g_i, g_k, c) - adapt);
    new_vm = lfe_clip(new_vm, c->vm_min, c->vm_max);
    new_eq = lfe_clip(new_eq, c->vm_min, c->vm_max);

    /* Spike on v_m, and reset (the ISI bookkeeping follows in lfe_lane_isi). */
    int spike = can_spike & !clamped & (new_vm > c->spk_thr);
    double vm_r = c->vm_r;
    new_vm = spike ? vm_r : new_vm;
    double spk = spike ? 1.0 : 0.0;
    L->spk[i] = spk;
    L->n_spk[i] += spk;

    if (spike_mode) {
        L->new_act[i] = spk;   /* act_nd: lfe_lane_spike_rate, or the spike (seed quirk) */
    } else {
        int sub = (L->act_nd[i] < c->vm_act_thr) & (new_eq <= c->thr);
        double below_thr = new_eq - c->thr, over_thr = g_e - lfe_ge_thr(g_i, adapt, g_k, c);
        L->drive[i] = sub ? below_thr : over_thr;
    }
    L->i_net[i] = i_net;
    L->new_vm[i] = new_vm;
    L->new_eq[i] = new_eq;
}

/* The inter-spike interval and its running average, when units can spike: the first
   spike marks the average -2, later ones average the ISI; between spikes the ISI
   grows, and a much longer one pulls the average up.  Clamped lanes keep theirs. */
LF_INLINE void lfe_lane_isi(LFELanes *L, const EConsts *c, int i)
{
    int clamped = L->clampv[i] == L->clampv[i];
    int spike = L->spk[i] != 0.0;
    double isi = L->isi[i], isi_avg = L->isi_avg[i];
    double avg_next = lfe_avg_fm_isi(isi_avg, isi + 1.0, c);
    double avg_spk = isi_avg == -1.0 ? -2.0 : (isi > 0.0 ? avg_next : isi_avg);
    double isi_up = isi + 1.0;
    int longer = (isi_avg >= 0.0) & (isi_up > 0.0) & (isi_up > 1.2 * isi_avg);
    double avg_long = lfe_avg_fm_isi(isi_avg, isi_up, c);
    double avg_up = longer ? avg_long : isi_avg;
    int grow = !clamped & !spike & (isi >= 0.0);
    L->isi[i] = spike ? 0.0 : (grow ? isi_up : isi);
    L->isi_avg[i] = spike ? avg_spk : (grow ? avg_up : isi_avg);
}

/* Spiking: act_nd relaxes toward the firing rate estimated from the ISI average. */
LF_INLINE void lfe_lane_spike_rate(LFELanes *L, const EConsts *c, int i)
{
    double isi_avg = L->isi_avg[i];
    double r = c->rate_num / isi_avg;
    double rate = isi_avg > 0.0 ? r : 0.0;
    rate = rate > 1.0 ? 1.0 : rate;
    double nd = L->act_nd[i];
    L->new_nd[i] = nd + c->k_vm * (rate - nd);
}

/* Rate code: act_nd relaxes toward the NXX1 target (drive now holds it). */
LF_INLINE void lfe_lane_rate_act(LFELanes *L, const EConsts *c, int i)
{
    double nd = L->act_nd[i];
    nd = nd + c->k_vm * (L->drive[i] - nd);
    L->new_nd[i] = nd;
    L->new_act[i] = nd;
}

/* Adaptation current from the new v_m (after any reset) and this cycle's spike:
   the seed's form (quirk, a constant at each call) or emergent's; a clamped lane keeps
   its value.  Run only when adaptation is on. */
LF_INLINE void lfe_lane_adapt(LFELanes *L, const EConsts *c, int i, const int quirk)
{
    int clamped = L->clampv[i] == L->clampv[i];
    double spk = L->spk[i], adapt = L->adapt[i];
    double dv = c->vm_gain * (L->new_vm[i] - c->e_rev_l);
    double ad;
    if (quirk)
        ad = adapt + (dv + spk * c->spike_gain) / c->adapt_div;
    else
        ad = adapt + c->k_adapt_integ * (c->adapt_dt * (dv - adapt) + spk * c->spike_gain);
    L->adapt[i] = clamped ? adapt : ad;
}

/* The three KNa conductances from this cycle's spike (spiking) or new act_nd (rate
   code); a clamped lane keeps them.  Run only when KNa is on. */
LF_INLINE void lfe_lane_kna(LFELanes *L, const EConsts *c, int i, const int spike_mode)
{
    int clamped = L->clampv[i] == L->clampv[i];
    int spike = L->spk[i] != 0.0;
    double a_kna = c->kna_rate_rise * L->new_nd[i];
    double gf = L->gkna_f[i], gm = L->gkna_m[i], gs = L->gkna_s[i];
    double nf = lfe_kna_step(gf, c->kna_f_rise, c->kna_f_max, c->kna_f_dt, spike_mode, spike, a_kna);
    double nm = lfe_kna_step(gm, c->kna_m_rise, c->kna_m_max, c->kna_m_dt, spike_mode, spike, a_kna);
    double ns = lfe_kna_step(gs, c->kna_s_rise, c->kna_s_max, c->kna_s_dt, spike_mode, spike, a_kna);
    L->gkna_f[i] = clamped ? gf : nf;
    L->gkna_m[i] = clamped ? gm : nm;
    L->gkna_s[i] = clamped ? gs : ns;
}

/* The new v_m, v_m_eq, act and act_nd; a clamped lane takes v_m and act from the
   clamp (C++ Compute_HardClamp).  clamps (a constant at each call) is 0 when no lane of
   the block is clamped this cycle: plain copies then. */
LF_INLINE void lfe_lane_commit(LFELanes *L, const EConsts *c, int i, const int clamps)
{
    if (!clamps) {
        L->v_m[i] = L->new_vm[i];
        L->v_m_eq[i] = L->new_eq[i];
        L->act[i] = L->new_act[i];
        L->act_nd[i] = L->new_nd[i];
        return;
    }
    double clampv = L->clampv[i];
    int clamped = clampv == clampv;
    double cv = lfe_clip(clampv, c->clamp_min, c->clamp_max);
    double thr_cv = c->thr + cv / c->gain;   /* both arms up front (see lfe_xcal) */
    double e_rev_l = c->e_rev_l;
    double clamp_vm = cv == 0.0 ? e_rev_l : thr_cv;
    L->v_m[i] = clamped ? clamp_vm : L->new_vm[i];
    L->v_m_eq[i] = clamped ? clamp_vm : L->new_eq[i];
    L->act[i] = clamped ? cv : L->new_act[i];
    L->act_nd[i] = clamped ? cv : L->new_nd[i];
    L->i_net[i] = clamped ? 0.0 : L->i_net[i];
}

/* Running averages of act_nd, every cycle, and the values learning reads; the seed's
   avg_l update (quirk) at the first cycle of a trial (seed_avg_l). */
LF_INLINE void lfe_lane_averages(LFELanes *L, const EConsts *c, int i, int seed_avg_l)
{
    double ss = L->avg_ss[i] + c->k_ss * (L->act_nd[i] - L->avg_ss[i]);
    double s = L->avg_s[i] + c->k_s * (ss - L->avg_s[i]);
    double m = L->avg_m[i] + c->k_m * (s - L->avg_m[i]);
    double al = L->avg_l[i];
    al = seed_avg_l ? al + c->k_l * (m - al) : al;
    L->avg_ss[i] = ss;
    L->avg_s[i] = s;
    L->avg_m[i] = m;
    L->avg_l[i] = al;
    double l_lrn = c->l_lrn, from_avg_l = c->avg_l_lrn_min + (al - c->avg_l_min) * c->lrn_fact;
    L->avg_l_lrn[i] = c->set_l_lrn != 0.0 ? l_lrn : from_avg_l;
    L->avg_s_eff[i] = c->m_in_s * m + c->one_m_in_s * s;
}

/*
 * XCAL at every synapse of one input j of a block, learning: sender-receiver products,
 * the check mark against avg_l and the medium-term floating threshold, the weight
 * change (soft bound, clip) where the senders are active enough.  With pk 0, bp gets
 * SIG's base and chg marks the weights that change, for the caller to finish; with pk
 * LFE_POW_1_5 or 6, the new effective weight is computed here, in the
 * same loop.  soft, rec and pk are constants at each call (GCC 12 does not vectorise
 * the loop when a uniform flag selects between lane values).
 */
LF_INLINE void lfe_learn_pass(const EConsts *c, const LFELanes *L, double *restrict fw,
                              double *restrict w,
                              const double *restrict ss_j, const double *restrict sm_j,
                              double *restrict bp, double *restrict chg,
                              double *restrict r_dwt, double *restrict r_srs,
                              double *restrict r_srm, double *restrict r_xcal,
                              const int soft, const int rec, const int pk, const int B)
{
    const double every = c->learn_every_cycle != 0.0 ? 1.0 : 0.0;
    LFE_SIMD
    for (int i = 0; i < B; i++) {
        double su_sv = ss_j[i], su_mv = sm_j[i];
        double srs = L->avg_s_eff[i] * su_sv;
        double srm = L->avg_m[i] * su_mv;
        double xcal_l = lfe_xcal(srs, L->avg_l[i], c);
        double fwt = fw[i];
        /* Senders active enough; masks held as 0.0/1.0 (with int masks GCC 12 leaves
           this loop scalar). */
        double learns = su_sv < c->lrn_thr ? (su_mv < c->lrn_thr ? 0.0 : 1.0) : 1.0;
        double dwt = 0.0 + c->lrate * (c->m_lrn * lfe_xcal(srs, srm, c)
                                       + L->avg_l_lrn[i] * xcal_l);
        if (soft) dwt = lfe_soft_bound(dwt, fwt);
        dwt = learns != 0.0 ? dwt : 0.0;
        double change = learns != 0.0 ? (dwt != 0.0 ? 1.0 : every) : 0.0;
        double f = lfe_clip(fwt + dwt, 0.0, 1.0);
        double base = lfe_sig_base(f, c);
        fw[i] = change != 0.0 ? f : fwt;
        if (pk == 0) {
            chg[i] = change;
            bp[i] = base;
        } else {
            double power = pk == LFE_POW_1_5 ? lf_pow_1_5(base) : lfe_pow_6(base);
            w[i] = change != 0.0 ? lfe_sig_from_pow(f, power, c) : w[i];
        }
        if (rec) {
            r_dwt[i] = dwt; r_srs[i] = srs; r_srm[i] = srm; r_xcal[i] = xcal_l;
        }
    }
}

/*
 * XCAL at every synapse of a block; when learn, the weight change and SIG (see
 * lfe_learn_pass); rec records the synapse values.  learn and rec are constants at
 * each call.  SIG's power: pow_kind (lfe_pow_kind); a libm pow runs in a loop of its
 * own, outside the vector loop.
 */
LF_INLINE void lfe_learn(const EConsts *c, const LFEScratch *s, Py_ssize_t J,
                         const LFELanes *L, int pow_kind, const int learn, const int rec,
                         const int W)
{
    const int B = W;
    double *restrict bp = s->tmp, *restrict chg = s->tmp + LFE_BLOCK;
    const int soft = c->soft_bound != 0.0;
    for (Py_ssize_t j = 0; j < J; j++) {
        double *restrict fw = s->fwt + j * B, *restrict w = s->wt + j * B;
        const double *restrict ss_j = s->su_s + j * B, *restrict sm_j = s->su_m + j * B;
        double *restrict r_dwt = s->rec + (0 * J + j) * B;
        double *restrict r_srs = s->rec + (1 * J + j) * B;
        double *restrict r_srm = s->rec + (2 * J + j) * B;
        double *restrict r_xcal = s->rec + (5 * J + j) * B;
        /* The presets' SIG gains (6: emergent, Go; 1.5: seed) in one loop, when not
           recording; other gains, and recording cycles, in passes. */
#define LFE_LEARN_PASS(soft_, pk_) lfe_learn_pass(c, L, fw, w, ss_j, sm_j, bp, chg, r_dwt, \
                                                  r_srs, r_srm, r_xcal, soft_, rec, pk_, B)
        if (learn && !rec && pow_kind == 6) {
            if (soft) LFE_LEARN_PASS(1, 6); else LFE_LEARN_PASS(0, 6);
        } else if (learn && !rec && pow_kind == LFE_POW_1_5) {
            if (soft) LFE_LEARN_PASS(1, LFE_POW_1_5); else LFE_LEARN_PASS(0, LFE_POW_1_5);
        } else if (learn) {
            if (soft) LFE_LEARN_PASS(1, 0); else LFE_LEARN_PASS(0, 0);
#undef LFE_LEARN_PASS
            /* SIG's power; libm pow only where the weight changed, outside vector loops. */
            if (pow_kind == LFE_POW_LIBM) {
                for (int i = 0; i < B; i++)
                    if (chg[i] != 0.0) bp[i] = pow(bp[i], c->wt_sig_gain);
            } else if (pow_kind == LFE_POW_1_5) {
                LFE_SIMD
                for (int i = 0; i < B; i++) bp[i] = lf_pow_1_5(bp[i]);
            } else {
                lfe_pow_int_lanes(bp, pow_kind, B);
            }
            /* The effective weight where the linear one changed. */
            LFE_SIMD
            for (int i = 0; i < B; i++)
                w[i] = chg[i] != 0.0 ? lfe_sig_from_pow(fw[i], bp[i], c) : w[i];
        } else if (rec) {
            LFE_SIMD
            for (int i = 0; i < B; i++) {
                double srs = L->avg_s_eff[i] * ss_j[i];
                double srm = L->avg_m[i] * sm_j[i];
                r_dwt[i] = 0.0; r_srs[i] = srs; r_srm[i] = srm;
                r_xcal[i] = lfe_xcal(srs, L->avg_l[i], c);
            }
        }
    }
}

/* The exp of every lane: the shorter form when the whole block is in its normal range
   (the usual case; same bits). */
LF_INLINE void lfe_exp_lanes(double *restrict v, const int B)
{
    int normal = 1;
    for (int i = 0; i < B; i++) normal &= fabs(v[i]) <= LF_EXP_NORMAL_MAX;
    if (normal) {
        LFE_SIMD
        for (int i = 0; i < B; i++) v[i] = lf_exp_normal(v[i]);
    } else {
        LFE_SIMD
        for (int i = 0; i < B; i++) v[i] = lf_exp(v[i]);
    }
}

/*
 * The whole neuron part of one cycle for lane i, the stages fused: for narrow blocks,
 * where one unit's dependency chain sets the pace.  The same functions in the same
 * order as the staged loops (lf_exp for lf_exp_lanes, lfe_noisy_xx1 for its pieces,
 * the clamp select for the no-clamp copy), so the same bits.
 */
LF_INLINE void lfe_lane_cycle(LFELanes *L, const EConsts *c, const double *table,
                              Py_ssize_t n_table, int i, const int spike_mode,
                              int seed_avg_l_now)
{
    lfe_lane_input(L, c, i);
    if (c->exp_on != 0.0)
        L->i_net[i] = L->i_net[i] + c->k_exp * lf_exp((L->ex[i] - c->thr) / c->exp_slope);
    lfe_lane_vm(L, c, i, spike_mode);
    if (spike_mode || c->rate_spikes != 0.0) lfe_lane_isi(L, c, i);
    if (spike_mode) {
        if (c->act_nd_spike != 0.0)
            L->new_nd[i] = L->spk[i];
        else
            lfe_lane_spike_rate(L, c, i);
    } else {
        double x = L->drive[i];
        L->drive[i] = c->use_table != 0.0 ? lfe_nxx1_lookup(x, table, n_table, c)
                                          : lfe_noisy_xx1(x, c);
        lfe_lane_rate_act(L, c, i);
    }
    if (c->adapt_on != 0.0) {
        if (c->quirk_adapt_seed != 0.0)
            lfe_lane_adapt(L, c, i, 1);
        else
            lfe_lane_adapt(L, c, i, 0);
    }
    if (c->kna_on != 0.0) lfe_lane_kna(L, c, i, spike_mode);
    lfe_lane_commit(L, c, i, 1);
    if (seed_avg_l_now)
        lfe_lane_averages(L, c, i, 1);
    else
        lfe_lane_averages(L, c, i, 0);
}

/*
 * Closed-form noisy XX1 of every lane, in place: each of its three pieces (sigmoid
 * below 0, interpolation, gain-corrected XX1) computed only when some lane of the
 * block falls in it, and only there written; ex is scratch.  Same bits as
 * lfe_noisy_xx1 on each lane (NaN falls in the last piece, as there).
 */
LF_INLINE void lfe_noisy_xx1_lanes(double *restrict x, double *restrict ex,
                                   const EConsts *c, const int B)
{
    const double ir = c->interp_range;
    double out[LFE_BLOCK];
    int any_below = 0, any_near = 0, any_above = 0;
    for (int i = 0; i < B; i++) {
        int below = x[i] < 0.0, inside = x[i] < ir;
        any_below |= below;
        any_near |= (!below) & inside;
        any_above |= !inside;
        out[i] = 0.0;
    }
    if (any_below) {
        LFE_SIMD
        for (int i = 0; i < B; i++) ex[i] = lfe_nxx1_exp_arg(x[i], c);
        lfe_exp_lanes(ex, B);
        LFE_SIMD
        for (int i = 0; i < B; i++) {
            double below = c->sig_mult_eff / (1.0 + ex[i]);
            out[i] = x[i] < 0.0 ? below : out[i];
        }
    }
    if (any_near) {
        LFE_SIMD
        for (int i = 0; i < B; i++) {
            double interp = 1.0 - ((ir - x[i]) / ir);
            double near = c->sig_val_at_0 + interp * c->interp_val;
            out[i] = (!(x[i] < 0.0) & (x[i] < ir)) ? near : out[i];
        }
    }
    if (any_above) {
        LFE_SIMD
        for (int i = 0; i < B; i++) {
            double above = lfe_xx1_gain_cor(x[i], c);
            out[i] = x[i] < ir ? out[i] : above;
        }
    }
    for (int i = 0; i < B; i++) x[i] = out[i];
}

/* Store one recorded unit value of each real lane in its trace column. */
LF_INLINE void lfe_store_unit(double *restrict dst, const Py_ssize_t *col, int n,
                              const double *restrict v)
{
    for (int i = 0; i < n; i++) if (col[i] >= 0) dst[col[i]] = v[i];
}

/*
 * Run units u0 .. u0+n-1 (n <= W) through schedule cycles t0 .. t1-1 (a window of
 * c0 .. c1-1).  spike_mode and W are constants at each call.  Returns LFE_STATUS_OK
 * or LFE_STATUS_NONFINITE.
 */
LF_INLINE int lfe_run_block_body(const EConsts *consts, const LFERun *a, const LFEScratch *s,
                                 Py_ssize_t u0, int n, Py_ssize_t t0, Py_ssize_t t1,
                                 const int spike_mode, const int W)
{
    const int B = W;
    /* A local copy: the compiler then knows no store below can change a constant. */
    const EConsts k_local = *consts;
    const EConsts *c = &k_local;
    const Py_ssize_t J = a->n_inputs, U = a->n_units;
    const int pow_kind = lfe_pow_kind(c->wt_sig_gain);
    const int use_table = c->use_table != 0.0, exp_on = c->exp_on != 0.0;
    const int adapt_on = c->adapt_on != 0.0, kna_on = c->kna_on != 0.0;
    const int seed_avg_l = c->quirk_avg_l_seed != 0.0;
    const Py_ssize_t cyc_per_qtr = (Py_ssize_t)c->cyc_per_qtr;
    LFELanes L;
    double *state[LFE_N_UNIT_STATE] = {
        L.net, L.v_m, L.v_m_eq, L.act, L.act_nd, L.adapt, L.isi, L.isi_avg,
        L.avg_ss, L.avg_s, L.avg_m, L.avg_l, L.gkna_f, L.gkna_m, L.gkna_s};
    Py_ssize_t col[LFE_BLOCK];
    int any_rec = 0, status = LFE_STATUS_OK;
    /* A narrow block computes its real lanes only, and the loops after the neuron
       stages read all B: give the padding lanes defined values (their results unused). */
    if (W == LFE_NARROW) memset(&L, 0, sizeof L);

    for (int i = 0; i < B; i++) {
        Py_ssize_t u = u0 + (i < n ? i : n - 1);   /* padding lanes repeat the last unit */
        for (int r = 0; r < LFE_N_UNIT_STATE; r++) state[r][i] = a->us[r * U + u];
        L.n_spk[i] = 0.0;
        col[i] = i < n ? a->unit_cols[u] : -1;
        any_rec |= col[i] >= 0;
        for (Py_ssize_t j = 0; j < J; j++) {
            s->fwt[j * B + i] = a->ss[u * J + j];
            s->wt[j * B + i] = a->ss[(U + u) * J + j];
        }
    }

    /* The recorded traces, once: where each plane starts and which lane array feeds it. */
    const double *unit_vals[LFE_N_UNIT_TRACES] = {
        L.net_raw, L.net, L.g_e, L.g_i, L.g_k, L.i_net, L.v_m, L.v_m_eq, L.act, L.act_nd,
        L.spk, L.adapt, L.avg_ss, L.avg_s, L.avg_m, L.avg_l, L.avg_l_lrn, L.avg_s_eff};
    const double *syn_vals[LFE_N_SYN_TRACES] = {
        s->rec, s->rec + J * B, s->rec + 2 * J * B, s->fwt, s->wt, s->rec + 5 * J * B};
    double *unit_dst[LFE_N_UNIT_TRACES], *syn_dst[LFE_N_SYN_TRACES];
    const double *unit_src[LFE_N_UNIT_TRACES], *syn_src[LFE_N_SYN_TRACES];
    int n_unit_rec = 0, n_syn_rec = 0;
    for (int k = 0; any_rec && k < LFE_N_UNIT_TRACES; k++) {
        if (a->slot[k] < 0 || a->ub == NULL) continue;
        unit_dst[n_unit_rec] = a->ub + a->slot[k] * a->ub_rows * a->ub_cols;
        unit_src[n_unit_rec++] = unit_vals[k];
    }
    for (int k = 0; any_rec && k < LFE_N_SYN_TRACES; k++) {
        if (a->slot[LFE_T_DWT + k] < 0 || a->sb == NULL) continue;
        syn_dst[n_syn_rec] = a->sb + a->slot[LFE_T_DWT + k] * a->sb_rows * a->sb_cols * J;
        syn_src[n_syn_rec++] = syn_vals[k];
    }

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
            lfe_load_syn(&a->x, trial, u0, n, J, s->x, W);
            lfe_load_syn(&a->su_s, trial, u0, n, J, s->su_s, W);
            lfe_load_syn(&a->su_m, trial, u0, n, J, s->su_m, W);
        }
        if (cycle == 0) {
            LFE_SIMD
            for (int i = 0; i < B; i++) lfe_lane_trial_start(&L, c, i);
        }
        lfe_load_cycle(&a->ext, trial, cycle, u0, n, L.clampv, W);
        lfe_load_cycle(&a->ge, trial, cycle, u0, n, L.ge, W);
        lfe_load_cycle(&a->gc_i, trial, cycle, u0, n, L.gci, W);
        if ((double)cycle >= c->minus_cycles) {   /* plus phase: the target clamps */
            lfe_load_cycle(&a->targ, trial, cycle, u0, n, L.targ, W);
            LFE_SIMD
            for (int i = 0; i < B; i++) lfe_lane_clamp(&L, i, 1);
        }
        int any_clamped = 0;
        for (int i = 0; i < B; i++) any_clamped |= L.clampv[i] == L.clampv[i];

        /* Net input: sum_j x_j * wt_j in input order per unit. */
        for (int i = 0; i < B; i++) L.acc[i] = 0.0;
        for (Py_ssize_t j = 0; j < J; j++) {
            const double *xj = s->x + j * B, *wj = s->wt + j * B;
            for (int i = 0; i < B; i++) L.acc[i] = L.acc[i] + xj[i] * wj[i];
        }

        /* The neuron's cycle.  Wide blocks run each stage as its own short vector loop
           over the lanes, the optional ones only when needed; a narrow block (a few
           units, latency-bound) runs them fused per lane, values kept in registers. */
        if (W == LFE_NARROW) {
            const int seed_avg_l_now = seed_avg_l && cycle == 0;
            for (int i = 0; i < n; i++)   /* real lanes only: the chain is the cost */
                lfe_lane_cycle(&L, c, a->table, a->n_table, i, spike_mode, seed_avg_l_now);
        } else {
            LFE_SIMD
            for (int i = 0; i < B; i++) lfe_lane_input(&L, c, i);
            if (exp_on) {   /* AdEx: the exponential current */
                LFE_SIMD
                for (int i = 0; i < B; i++) L.ex[i] = (L.ex[i] - c->thr) / c->exp_slope;
                lfe_exp_lanes(L.ex, B);
                LFE_SIMD
                for (int i = 0; i < B; i++) L.i_net[i] = L.i_net[i] + c->k_exp * L.ex[i];
            }
            LFE_SIMD
            for (int i = 0; i < B; i++) lfe_lane_vm(&L, c, i, spike_mode);
            if (spike_mode || c->rate_spikes != 0.0) {
                LFE_SIMD
                for (int i = 0; i < B; i++) lfe_lane_isi(&L, c, i);
            }
            if (spike_mode && c->act_nd_spike != 0.0) {   /* seed quirk: act_nd is the spike */
                for (int i = 0; i < B; i++) L.new_nd[i] = L.spk[i];
            } else if (spike_mode) {
                LFE_SIMD
                for (int i = 0; i < B; i++) lfe_lane_spike_rate(&L, c, i);
            }
            if (!spike_mode) {   /* rate code: NXX1 of the drive, into drive */
                if (use_table) {
                    for (int i = 0; i < B; i++)
                        L.drive[i] = lfe_nxx1_lookup(L.drive[i], a->table, a->n_table, c);
                } else {
                    lfe_noisy_xx1_lanes(L.drive, L.ex, c, B);
                }
                LFE_SIMD
                for (int i = 0; i < B; i++) lfe_lane_rate_act(&L, c, i);
            }
            if (adapt_on) {
                if (c->quirk_adapt_seed != 0.0) {
                    LFE_SIMD
                    for (int i = 0; i < B; i++) lfe_lane_adapt(&L, c, i, 1);
                } else {
                    LFE_SIMD
                    for (int i = 0; i < B; i++) lfe_lane_adapt(&L, c, i, 0);
                }
            }
            if (kna_on) {
                LFE_SIMD
                for (int i = 0; i < B; i++) lfe_lane_kna(&L, c, i, spike_mode);
            }
            if (any_clamped) {
                LFE_SIMD
                for (int i = 0; i < B; i++) lfe_lane_commit(&L, c, i, 1);
            } else {
                LFE_SIMD
                for (int i = 0; i < B; i++) lfe_lane_commit(&L, c, i, 0);
            }
            if (seed_avg_l && cycle == 0) {
                LFE_SIMD
                for (int i = 0; i < B; i++) lfe_lane_averages(&L, c, i, 1);
            } else {
                LFE_SIMD
                for (int i = 0; i < B; i++) lfe_lane_averages(&L, c, i, 0);
            }
        }

        if ((cycle + 1) % cyc_per_qtr == 0) {   /* end of a quarter: ActQ */
            double *q = a->act_q + (trial * a->n_quarters + cycle / cyc_per_qtr) * U + u0;
            for (int i = 0; i < n; i++) q[i] = L.act_nd[i];
        }
        int bad = 0;
        for (int i = 0; i < (W == LFE_NARROW ? n : B); i++) bad |= !lf_finite(L.i_net[i]);
        if (bad) {   /* rare: mark the first non-finite cycle of each real lane */
            for (int i = 0; i < n; i++) {
                if (!lf_finite(L.i_net[i]) && a->first_bad[u0 + i] < 0) {
                    a->first_bad[u0 + i] = absolute;
                    status = LFE_STATUS_NONFINITE;
                }
            }
        }

        /* XCAL learning at the trial's last cycle (or every cycle, seed quirk); the
           synapse values are also computed on recording cycles that store them. */
        int learn = c->learn_every_cycle != 0.0 || cycle == a->n_cycles - 1;
        int rec_syn = rec && n_syn_rec > 0;
        if (learn && rec_syn) lfe_learn(c, s, J, &L, pow_kind, 1, 1, W);
        else if (learn) lfe_learn(c, s, J, &L, pow_kind, 1, 0, W);
        else if (rec_syn) lfe_learn(c, s, J, &L, pow_kind, 0, 1, W);

        if (rec) {
            for (int k = 0; k < n_unit_rec; k++)
                lfe_store_unit(unit_dst[k] + row * a->ub_cols, col, n, unit_src[k]);
            for (int k = 0; k < n_syn_rec; k++) {
                double *plane = syn_dst[k] + row * a->sb_cols * J;
                const double *v = syn_src[k];
                for (int i = 0; i < n; i++) {
                    if (col[i] < 0) continue;
                    double *dst = plane + col[i] * J;
                    for (Py_ssize_t j = 0; j < J; j++) dst[j] = v[j * B + i];
                }
            }
        }
        if (phase == 0) row++;
    }

    for (int i = 0; i < n; i++) {
        Py_ssize_t u = u0 + i;
        int fin = 1;
        for (int r = 0; r < LFE_N_UNIT_STATE; r++) {
            a->us[r * U + u] = state[r][i];
            fin = fin && lf_finite(state[r][i]);
        }
        a->spikes[u] += (long long)L.n_spk[i];
        for (Py_ssize_t j = 0; j < J; j++) {
            double f = s->fwt[j * B + i], w = s->wt[j * B + i];
            a->ss[u * J + j] = f;
            a->ss[(U + u) * J + j] = w;
            fin = fin && lf_finite(f) && lf_finite(w);
        }
        /* A NaN born in the last cycle may not have reached I_net yet: check the state. */
        if (!fin && a->first_bad[u] < 0 && t1 == a->c1 && a->c1 > a->c0)
            a->first_bad[u] = a->abs0 + (a->c1 - a->c0) - 1;
        if (a->first_bad[u] >= 0) status = LFE_STATUS_NONFINITE;
    }
    return status;
}

/* Does this run write any trace? */
static int lfe_records(const LFERun *a)
{
    int any_slot = 0;
    for (int k = 0; k < LFE_N_TRACES; k++) any_slot |= a->slot[k] >= 0;
    return any_slot && (a->ub != NULL || a->sb != NULL);
}

/* Cycles per sweep over the blocks when recording (as the seed kernel). */
#define LFE_RECORD_WINDOW 32

/* Units u_start .. u_stop-1 in blocks; inlined into each ISA's entry point below. */
LF_INLINE int lfe_run_blocks_impl(const EConsts *c, const LFERun *a, const LFEScratch *s,
                                  Py_ssize_t u_start, Py_ssize_t u_stop)
{
    int status = LFE_STATUS_OK, st;
    const int spiking = c->spike_mode != 0.0;
    /* Recording: sweep all blocks through a window of cycles, then the next window, so
       the trace rows being written stay few (cache and TLB friendly) instead of every
       block walking all rows of every trace.  Without traces: one window. */
    Py_ssize_t window = lfe_records(a) && u_stop - u_start > LFE_BLOCK ? LFE_RECORD_WINDOW
                                                                        : a->c1 - a->c0;
    for (Py_ssize_t t0 = a->c0; t0 < a->c1; t0 += window) {
        Py_ssize_t t1 = a->c1 - t0 < window ? a->c1 : t0 + window;
        for (Py_ssize_t u0 = u_start; u0 < u_stop;) {
            Py_ssize_t left = u_stop - u0;
            int n;
            /* One instantiation per width and activation mode, so those tests leave the
               loops. */
            if (left > 3 * LFE_MID) {   /* a full block, or nearly: 64 lanes */
                n = (int)(left < LFE_BLOCK ? left : LFE_BLOCK);
                st = spiking ? lfe_run_block_body(c, a, s, u0, n, t0, t1, 1, LFE_BLOCK)
                             : lfe_run_block_body(c, a, s, u0, n, t0, t1, 0, LFE_BLOCK);
            } else if (left > LFE_NARROW) {   /* the rest in blocks of 16 */
                n = (int)(left < LFE_MID ? left : LFE_MID);
                st = spiking ? lfe_run_block_body(c, a, s, u0, n, t0, t1, 1, LFE_MID)
                             : lfe_run_block_body(c, a, s, u0, n, t0, t1, 0, LFE_MID);
            } else {   /* a few units */
                n = (int)left;
                st = spiking ? lfe_run_block_body(c, a, s, u0, n, t0, t1, 1, LFE_NARROW)
                             : lfe_run_block_body(c, a, s, u0, n, t0, t1, 0, LFE_NARROW);
            }
            u0 += n;
            if (st > status) status = st;
        }
    }
    return status;
}

/*
 * One entry point per instruction set, the same C compiled for each; the best this CPU
 * runs is chosen at import, LEABRA_FAST_SIMD (or lfe_select_isa) picks a lower one.
 * Every entry gives the same bits (no FMA; add, mul, div, sqrt correctly rounded).
 */
typedef int (*lfe_blocks_fn)(const EConsts *, const LFERun *, const LFEScratch *,
                             Py_ssize_t, Py_ssize_t);

static int lfe_run_blocks_baseline(const EConsts *c, const LFERun *a, const LFEScratch *s,
                                   Py_ssize_t u_start, Py_ssize_t u_stop)
{
    return lfe_run_blocks_impl(c, a, s, u_start, u_stop);
}

#if LF_DISPATCH
__attribute__((target("avx2")))
static int lfe_run_blocks_avx2(const EConsts *c, const LFERun *a, const LFEScratch *s,
                               Py_ssize_t u_start, Py_ssize_t u_stop)
{
    return lfe_run_blocks_impl(c, a, s, u_start, u_stop);
}

__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw")))
static int lfe_run_blocks_avx512(const EConsts *c, const LFERun *a, const LFEScratch *s,
                                 Py_ssize_t u_start, Py_ssize_t u_stop)
{
    return lfe_run_blocks_impl(c, a, s, u_start, u_stop);
}
#endif

static lfe_blocks_fn lfe_isa_entry(int k)
{
#if LF_DISPATCH
    if (k == 0) return lfe_run_blocks_avx512;
    if (k == 1) return lfe_run_blocks_avx2;
#endif
    (void)k;
    return lfe_run_blocks_baseline;
}

/* The entry in use; index into lf_isa_names (set by lfe_select_isa). */
static int lfe_isa_current = LF_N_ISA - 1;

/* Use the instruction set called name, or the best this CPU runs when name is NULL or
   empty.  Returns 0, -1 for an unknown name, -2 for one this CPU (or build) lacks. */
static int lfe_select_isa(const char *name)
{
    int k = lf_isa_find(name);
    if (k < 0) return k;
    lfe_isa_current = k;
    return 0;
}

/* Run units u_start .. u_stop-1; what one thread does with its share.
   Returns LFE_STATUS_OK, LFE_STATUS_NONFINITE or LFE_STATUS_NO_MEMORY. */
static int lfe_run_units(const EConsts *c, const LFERun *a, Py_ssize_t u_start,
                         Py_ssize_t u_stop)
{
    LFEScratch s;
    int status;
    if (u_stop <= u_start) return LFE_STATUS_OK;
    if (lfe_scratch_alloc(&s, a->n_inputs) != 0) return LFE_STATUS_NO_MEMORY;
    status = lfe_isa_entry(lfe_isa_current)(c, a, &s, u_start, u_stop);
    lfe_scratch_free(&s);
    return status;
}

/* Scalar versions for tests against the Python ones. */
static double lfe_noisy_xx1_scalar(double x, const EConsts *c) { return lfe_noisy_xx1(x, c); }
static double lfe_nxx1_lookup_scalar(double x, const double *table, Py_ssize_t n,
                                     const EConsts *c)
{
    return lfe_nxx1_lookup(x, table, n, c);
}
static double lfe_xcal_scalar(double x, double th, const EConsts *c) { return lfe_xcal(x, th, c); }
static double lfe_sig_scalar(double w, const EConsts *c) { return lfe_sig(w, c); }
static double lfe_ge_thr_scalar(double g_i, double adapt, double g_k, const EConsts *c)
{
    return lfe_ge_thr(g_i, adapt, g_k, c);
}
static double lfe_pow_int_scalar(double b, int n) { return lfe_pow_int(b, n); }
static int lfe_pow_kind_of(double gain) { return lfe_pow_kind(gain); }

#endif /* LEABRA_FAST_EMERGENT_BLOCK_H */
