# cython: language_level=3
"""The baseline build of a kernel has no wide streaming stores: rows go through
``lf_stream_copy`` (SSE2 on x86-64) and the exp loop runs on its own."""

from leabra_fast.core._lf_math cimport lf_exp_normal
from leabra_fast.core._lf_stream cimport lf_stream_copy

cdef enum:
    LF_WIDE_STREAM = 0


cdef inline void lf_stream_rows(double** dst, const double** src, int n, int W) noexcept nogil:
    cdef int r
    for r in range(n):
        lf_stream_copy(dst[r], src[r], W)


cdef inline void lf_exp_stream(double* ex, int W, double** dst, const double** src,
                               int n) noexcept nogil:
    cdef int i
    for i in range(W):
        ex[i] = lf_exp_normal(ex[i])
    lf_stream_rows(dst, src, n, W)
