# cython: language_level=3
"""Wide streaming stores: a whole 64-byte line of trace values per step.

A kernel's C is compiled once per instruction set (setup.py), and which store
writes a line is the compiler's to choose, from the flags of that build: one
512-bit store with AVX-512, two 256-bit ones with AVX2.  The baseline build has
none (``LF_WIDE_STREAM`` is 0: the kernels then never call these, and its rows go
through ``lf_stream_copy``).  ``lf_exp_stream`` runs ``lf_exp_normal`` over the
lanes with rows of the previous cycle's traces streamed through it, 8 lanes at a
time: written in one burst the rows would fill the store queue and stall the
arithmetic; spread like this memory takes them while the exp runs.  Same bits as
the plain exp loop.
"""

from libc.stdint cimport uintptr_t

from leabra_fast.core._lf_math cimport lf_exp_normal
from leabra_fast.core._lf_stream cimport lf_stream_copy

cdef extern from *:
    """
    /* One line (8 doubles, v unaligned, d on a 64-byte line) with non-temporal stores:
       the instruction set is a test of the target that Cython cannot express. */
    #if defined(__AVX512F__)
    #include <immintrin.h>
    #define LF_WIDE_STREAM 1
    #define lf_stream_line(d, v) _mm512_stream_pd((d), _mm512_loadu_pd(v))
    #elif defined(__AVX2__)
    #include <immintrin.h>
    #define LF_WIDE_STREAM 1
    #define lf_stream_line(d, v) \\
        (_mm256_stream_pd((d), _mm256_loadu_pd(v)), \\
         _mm256_stream_pd((d) + 4, _mm256_loadu_pd((v) + 4)))
    #else
    #define LF_WIDE_STREAM 0
    #define lf_stream_line(d, v) \\
        do { for (int lf_q_ = 0; lf_q_ < 8; lf_q_++) (d)[lf_q_] = (v)[lf_q_]; } while (0)
    #endif
    """
    # 1 where this build has a wide store (AVX-512, AVX2), else 0
    const int LF_WIDE_STREAM
    void lf_stream_line(double* d, const double* v) noexcept nogil


cdef inline void lf_stream_rows(double** dst, const double** src, int n, int W) noexcept nogil:
    """Stream n rows of W values (W a multiple of 8); rows not starting on a line, and
    every row of a build without wide stores, go through lf_stream_copy."""
    cdef int r, i
    for r in range(n):
        if not LF_WIDE_STREAM or (<uintptr_t>dst[r] & 63) != 0:
            lf_stream_copy(dst[r], src[r], W)
            continue
        i = 0
        while i + 8 <= W:
            lf_stream_line(dst[r] + i, src[r] + i)
            i += 8


cdef inline void lf_exp_stream(double* ex, int W, double** dst, const double** src,
                               int n) noexcept nogil:
    """exp of W lanes (W a multiple of 8) with n rows streamed 8 lanes at a time."""
    cdef int k = 0
    cdef int i, r
    if not LF_WIDE_STREAM:
        for i in range(W):
            ex[i] = lf_exp_normal(ex[i])
        lf_stream_rows(dst, src, n, W)
        return
    while k < W:
        for i in range(k, k + 8):
            ex[i] = lf_exp_normal(ex[i])
        for r in range(n):
            lf_stream_line(dst[r] + k, src[r] + k)
        k += 8
