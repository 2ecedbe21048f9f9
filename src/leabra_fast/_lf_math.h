/*
 * Scalar maths of the emergent kernel (_emergent_block.h), the C twin of
 * leabra_fast/core/_lf_math.pxd (which the seed kernel cimports; same bits):
 * bit casts, a branch-free vectorisable exp within ~1 ulp, b^1.5 without pow, and a
 * finiteness test that vectorises.  Kept until the emergent kernel moves to Cython.
 */
#ifndef LEABRA_FAST_LF_MATH_H
#define LEABRA_FAST_LF_MATH_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Inlined into each ISA clone of the entry point, so they compile for its vector width. */
#if defined(__GNUC__)
#define LF_INLINE static inline __attribute__((always_inline))
#else
#define LF_INLINE static inline
#endif

LF_INLINE double lf_bits_to_double(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
LF_INLINE uint64_t lf_double_to_bits(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }

/*
 * exp(x) within ~1 ulp, branch-free so loops over it vectorise.
 *
 * x = k ln2 + r with |r| <= ln2/2 (Cody-Waite: ln2 in two parts so k*LN2_HI is
 * exact), exp(r) = 1 + r + r^2 (1/2! + r/3! + ... + r^11/13!) by Estrin's scheme
 * (the truncation error r^14/14! < 5e-18 is far below an ulp) with the final sums
 * compensated (r and 1 + r carried in two parts), then scaled by
 * 2^k as two factors 2^k1 2^k2 so that subnormal results round once and
 * exp(709.78..) still reaches DBL_MAX.  Out-of-range x is clamped first
 * (giving inf or 0 through the arithmetic); NaN stays NaN.
 */
/* exp(xc) = e * 2^k with e in [0.7, 1.42]: the reduction and polynomial of lf_exp. */
LF_INLINE double lf_exp_reduced(double xc, double *k_out)
{
    const double shift = 0x1.8p52;                  /* adding it rounds to an integer */
    const double log2e = 0x1.71547652b82fep0;
    const double ln2_hi = 0x1.62e42fee00000p-1;     /* 32 significant bits: k*ln2_hi exact */
    const double ln2_lo = 0x1.a39ef35793c76p-33;
    double kd = xc * log2e + shift;
    double k = kd - shift;
    double r_hi = xc - k * ln2_hi;                  /* exact */
    double r_lo = -(k * ln2_lo);
    double r = r_hi + r_lo;
    /* Estrin's scheme: same terms as Horner, a third of its dependency chain. */
    double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    double q0 = 1.0 / 2.0 + r * (1.0 / 6.0);
    double q1 = 1.0 / 24.0 + r * (1.0 / 120.0);
    double q2 = 1.0 / 720.0 + r * (1.0 / 5040.0);
    double q3 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
    double q4 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
    double q5 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
    double p = (q0 + r2 * q1) + r4 * (q2 + r2 * q3) + r8 * (q4 + r2 * q5);
    /* 1 + r + r^2 p with the two big additions' rounding errors carried (Fast2Sum:
       |r_hi| >= |r^2 p| and 1 >= |s|), so the result is rounded once, at the end:
       correctly rounded but for rare near-halfway cases, like libm's exp. */
    double q = r2 * p;
    double s = r_hi + q;
    double s_err = ((r_hi - s) + q) + r_lo;
    double e_hi = 1.0 + s;
    *k_out = k;
    return e_hi + (((1.0 - e_hi) + s) + s_err);
}

LF_INLINE double lf_exp(double x)
{
    const double shift = 0x1.8p52;
    double xc = x < -746.0 ? -746.0 : x;
    xc = xc > 710.0 ? 710.0 : xc;
    double k;
    double e = lf_exp_reduced(xc, &k);
    /* k in [-1077, 1025]; k1 = round(k/2), k2 = k - k1 both give normal powers of 2. */
    double k1 = (k * 0.5 + shift) - shift;
    double k2 = k - k1;
    uint64_t b1 = (lf_double_to_bits(k1 + shift) + 1023u) << 52;
    uint64_t b2 = (lf_double_to_bits(k2 + shift) + 1023u) << 52;
    return (e * lf_bits_to_double(b1)) * lf_bits_to_double(b2);
}

/* |x| <= LF_EXP_NORMAL_MAX: exp(x) and 2^k are normal, so one exact scaling by 2^k
   gives lf_exp's bits without its clamps and split scaling. */
#define LF_EXP_NORMAL_MAX 700.0
LF_INLINE double lf_exp_normal(double x)
{
    const double shift = 0x1.8p52;
    double k;
    double e = lf_exp_reduced(x, &k);
    uint64_t b = (lf_double_to_bits(k + shift) + 1023u) << 52;
    return e * lf_bits_to_double(b);
}

/* b^1.5 as b*sqrt(b): the seed's gain, no pow call; NaN for b < 0 as pow gives. */
LF_INLINE double lf_pow_1_5(double b) { return b * sqrt(b); }

/* Not NaN and not +-inf; written as a compare so it vectorises. */
LF_INLINE int lf_finite(double v) { return fabs(v) <= DBL_MAX; }

#endif /* LEABRA_FAST_LF_MATH_H */
