# cython: language_level=3
"""Scalar maths shared by the compiled kernels (cimport from here).

Bit casts, a branch-free vectorisable ``exp`` within ~1 ulp, ``b**1.5`` without
``pow`` and a finiteness test that vectorises.  Every function is ``cdef inline
... noexcept nogil``: without ``noexcept`` Cython adds exception checks after each
call and the loops around them stop vectorising.  Constants are the shortest
decimals that round-trip to the bits of the former hex literals (``repr(float)``).
Build with ``-ffp-contract=off`` (no FMA) so every product is rounded as written.
"""

from libc.math cimport fabs, sqrt
from libc.stdint cimport uint64_t
from libc.string cimport memcpy

cdef extern from "<float.h>":
    const double DBL_MAX


cdef inline double lf_bits_to_double(uint64_t b) noexcept nogil:
    cdef double d
    memcpy(&d, &b, 8)
    return d


cdef inline uint64_t lf_double_to_bits(double d) noexcept nogil:
    cdef uint64_t b
    memcpy(&b, &d, 8)
    return b


cdef enum:
    # |x| <= LF_EXP_NORMAL_MAX: exp(x) and 2**k are normal, so one exact scaling by
    # 2**k gives lf_exp's bits without its clamps and split scaling (lf_exp_normal).
    LF_EXP_NORMAL_MAX = 700


# exp(x) within ~1 ulp, branch-free so loops over it vectorise.
#
# x = k ln2 + r with |r| <= ln2/2 (Cody-Waite: ln2 in two parts so k*ln2_hi is exact),
# exp(r) = 1 + r + r^2 (1/2! + r/3! + ... + r^11/13!) by Estrin's scheme (truncation
# error r^14/14! < 5e-18, far below an ulp) with the final sums compensated (r and
# 1 + r carried in two parts), then scaled by 2^k as two factors 2^k1 2^k2 so that
# subnormal results round once and exp(709.78..) still reaches DBL_MAX.  Out-of-range
# x is clamped first (giving inf or 0 through the arithmetic); NaN stays NaN.

cdef inline double lf_exp_reduced(double xc, double* k_out) noexcept nogil:
    """exp(xc) = e * 2^k with e in [0.7, 1.42]: the reduction and polynomial of lf_exp."""
    cdef double shift = 6755399441055744.0        # 1.5 * 2**52: adding it rounds to an integer
    cdef double log2e = 1.4426950408889634
    cdef double ln2_hi = 0.6931471803691238       # 32 significant bits: k*ln2_hi exact
    cdef double ln2_lo = 1.9082149292705877e-10
    cdef double kd = xc * log2e + shift
    cdef double k = kd - shift
    cdef double r_hi = xc - k * ln2_hi            # exact
    cdef double r_lo = -(k * ln2_lo)
    cdef double r = r_hi + r_lo
    # Estrin's scheme: same terms as Horner, a third of its dependency chain.
    cdef double r2 = r * r
    cdef double r4 = r2 * r2
    cdef double r8 = r4 * r4
    cdef double q0 = 0.5 + r * 0.16666666666666666
    cdef double q1 = 0.041666666666666664 + r * 0.008333333333333333
    cdef double q2 = 0.001388888888888889 + r * 0.0001984126984126984
    cdef double q3 = 2.48015873015873e-05 + r * 2.7557319223985893e-06
    cdef double q4 = 2.755731922398589e-07 + r * 2.505210838544172e-08
    cdef double q5 = 2.08767569878681e-09 + r * 1.6059043836821613e-10
    cdef double p = (q0 + r2 * q1) + r4 * (q2 + r2 * q3) + r8 * (q4 + r2 * q5)
    # 1 + r + r^2 p with the two big additions' rounding errors carried (Fast2Sum:
    # |r_hi| >= |r^2 p| and 1 >= |s|), so the result is rounded once, at the end.
    cdef double q = r2 * p
    cdef double s = r_hi + q
    cdef double s_err = ((r_hi - s) + q) + r_lo
    cdef double e_hi = 1.0 + s
    k_out[0] = k
    return e_hi + (((1.0 - e_hi) + s) + s_err)


cdef inline double lf_exp(double x) noexcept nogil:
    cdef double shift = 6755399441055744.0
    cdef double xc = -746.0 if x < -746.0 else x
    xc = 710.0 if xc > 710.0 else xc
    cdef double k
    cdef double e = lf_exp_reduced(xc, &k)
    # k in [-1077, 1025]; k1 = round(k/2), k2 = k - k1 both give normal powers of 2.
    cdef double k1 = (k * 0.5 + shift) - shift
    cdef double k2 = k - k1
    cdef uint64_t b1 = (lf_double_to_bits(k1 + shift) + <uint64_t>1023) << 52
    cdef uint64_t b2 = (lf_double_to_bits(k2 + shift) + <uint64_t>1023) << 52
    return (e * lf_bits_to_double(b1)) * lf_bits_to_double(b2)


cdef inline double lf_exp_normal(double x) noexcept nogil:
    """lf_exp's bits for |x| <= LF_EXP_NORMAL_MAX, one scaling, no clamps."""
    cdef double shift = 6755399441055744.0
    cdef double k
    cdef double e = lf_exp_reduced(x, &k)
    cdef uint64_t b = (lf_double_to_bits(k + shift) + <uint64_t>1023) << 52
    return e * lf_bits_to_double(b)


cdef inline double lf_pow_1_5(double b) noexcept nogil:
    """b**1.5 as b*sqrt(b): the seed's gain, no pow call; NaN for b < 0 as pow gives."""
    return b * sqrt(b)


cdef inline int lf_finite(double v) noexcept nogil:
    """Not NaN and not +-inf; written as a compare so it vectorises."""
    return fabs(v) <= DBL_MAX
