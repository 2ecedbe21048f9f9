# cython: language_level=3
"""Wide streaming stores for the AVX2 build of a kernel (two 32-byte stores per line).

Only modules compiled with ``-mavx2`` cimport this.  ``lf_exp_stream`` runs
``lf_exp_normal`` over the lanes with rows of the previous cycle's traces streamed
through it, 8 lanes at a time: written in one burst the rows would fill the store
queue and stall the arithmetic; spread like this memory takes them while the exp
runs.  Same bits as the plain exp loop.
"""

from libc.stdint cimport uintptr_t

from leabra_fast.core._lf_math cimport lf_exp_normal
from leabra_fast.core._lf_stream cimport lf_stream_copy

cdef extern from "immintrin.h" nogil:
    ctypedef struct __m256d:
        pass
    __m256d _mm256_loadu_pd(const void*)
    void _mm256_stream_pd(void*, __m256d)

cdef enum:
    LF_WIDE_STREAM = 1   # this build streams whole rows with its own wide stores


cdef inline void lf_stream_rows(double** dst, const double** src, int n, int W) noexcept nogil:
    """Stream n rows of W values; rows not starting on a line go through lf_stream_copy."""
    cdef int r, i
    for r in range(n):
        if (<uintptr_t>dst[r] & 63) != 0:
            lf_stream_copy(dst[r], src[r], W)
            continue
        i = 0
        while i + 4 <= W:
            _mm256_stream_pd(dst[r] + i, _mm256_loadu_pd(src[r] + i))
            i += 4


cdef inline void lf_exp_stream(double* ex, int W, double** dst, const double** src,
                               int n) noexcept nogil:
    cdef int k = 0
    cdef int i, r
    while k < W:
        for i in range(k, k + 8):
            ex[i] = lf_exp_normal(ex[i])
        for r in range(n):
            _mm256_stream_pd(dst[r] + k, _mm256_loadu_pd(src[r] + k))
            _mm256_stream_pd(dst[r] + k + 4, _mm256_loadu_pd(src[r] + k + 4))
        k += 8
