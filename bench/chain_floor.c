/*
 * The latency floor of one seed unit's cycle, measured on this machine (docs/seed_model.md,
 * "A single unit").  Not part of the package: a yardstick for the kernel's narrow path.
 *
 *   gcc -O2 -ffp-contract=off -fno-math-errno -fno-trapping-math bench/chain_floor.c \
 *       -o /tmp/chain_floor && /tmp/chain_floor
 *
 * Prints the latency of dependent chains of add, mul, div and sqrt (add = 3 cycles on
 * x86-64 cores of the last decade gives the clock), of the kernel's exp (the same
 * operations as leabra_fast.core._lf_math.lf_exp, written out here), and of the v_m
 * recurrence of one cycle: ex = (v_m - thr)/exp_slope, exp, I_net + k_exp*exp,
 * v_m + k_vm*(I_net - adapt), the spike test.  With the spike predicted (spikes are
 * rare), that recurrence is the longest loop-carried chain of a unit's cycle, so no
 * single-unit loop can run a cycle faster.  Times are the thread's CPU time (a shared
 * machine's load does not inflate them), best of five.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static inline double b2d(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
static inline uint64_t d2b(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }

/* lf_exp: Cody-Waite reduction, Estrin polynomial, compensated sum, two-factor scaling. */
static inline double kexp(double x)
{
    const double shift = 6755399441055744.0;
    double xc = x < -746.0 ? -746.0 : x;
    xc = xc > 710.0 ? 710.0 : xc;
    double k = (xc * 1.4426950408889634 + shift) - shift;
    double r_hi = xc - k * 0.6931471803691238, r_lo = -(k * 1.9082149292705877e-10);
    double r = r_hi + r_lo, r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    double q0 = 0.5 + r * 0.16666666666666666, q1 = 0.041666666666666664 + r * 0.008333333333333333;
    double q2 = 0.001388888888888889 + r * 0.0001984126984126984;
    double q3 = 2.48015873015873e-05 + r * 2.7557319223985893e-06;
    double q4 = 2.755731922398589e-07 + r * 2.505210838544172e-08;
    double q5 = 2.08767569878681e-09 + r * 1.6059043836821613e-10;
    double p = (q0 + r2 * q1) + r4 * (q2 + r2 * q3) + r8 * (q4 + r2 * q5);
    double q = r2 * p, s = r_hi + q, s_err = ((r_hi - s) + q) + r_lo, e_hi = 1.0 + s;
    double e = e_hi + (((1.0 - e_hi) + s) + s_err);
    double k1 = (k * 0.5 + shift) - shift, k2 = k - k1;
    return (e * b2d((d2b(k1 + shift) + 1023u) << 52)) * b2d((d2b(k2 + shift) + 1023u) << 52);
}

#define N 20000000L
#define TIME(label, init, body)                                                  \
    do {                                                                         \
        double best = 1e30, x = 0;                                               \
        for (int rep = 0; rep < 5; rep++) {                                      \
            x = init;                                                            \
            double t = now();                                                    \
            for (long i = 0; i < N; i++) body;                                   \
            double ns = (now() - t) / N * 1e9;                                   \
            best = ns < best ? ns : best;                                        \
        }                                                                        \
        printf("%-34s %7.3f ns  %6.1f cycles  (%g)\n", label, best, best / cyc, x); \
    } while (0)

int main(void)
{
    volatile double v_a = 1.0000001, v_thr = 0.5, v_slope = 0.02, v_kexp = 0.006;
    volatile double v_kvm = 1 / 3.3, v_i0 = 0.02, v_adapt = 0.01, v_spk = 1.2, v_r = 0.3;
    double a = v_a, thr = v_thr, slope = v_slope, k_exp = v_kexp, k_vm = v_kvm;
    double i0 = v_i0, adapt = v_adapt, spk = v_spk, vm_r = v_r;
    double cyc, add_ns;
    {   /* the clock: one add is 3 cycles */
        double best = 1e30, x = 1.5;
        for (int rep = 0; rep < 5; rep++) {
            double t = now();
            for (long i = 0; i < N; i++) x = x + a;
            double ns = (now() - t) / N * 1e9;
            best = ns < best ? ns : best;
        }
        add_ns = best + 0 * x;
    }
    cyc = add_ns / 3.0;
    printf("add %.3f ns = 3 cycles: clock %.2f GHz\n", add_ns, 1.0 / cyc);
    TIME("mul", 1.5, x = x * a);
    TIME("div", 1.5, x = a / x);
    TIME("sqrt", 1.5, x = sqrt(x));
    TIME("exp (kernel's), chained as exp(-x)", 0.3, x = kexp(-x));
    /* v_m recurrence; i0 stands for the rest of I_net (net, leak, inhibition terms,
       which do not wait for this cycle's v_m: they use the previous one). */
    TIME("v_m recurrence (spike predicted)", 0.3,
         { double vm = x + k_vm * ((i0 + k_exp * kexp((x - thr) / slope)) - adapt);
           x = vm > spk ? vm_r : vm; });
    return 0;
}
