# cython: language_level=3
"""Non-temporal (streaming) stores of trace rows, the part every instruction set has.

Trace buffers far larger than the caches are not read again by the kernel: writing
them with non-temporal stores skips the read of each line before it is written,
which halves the memory traffic of recording.  Values are copied, never changed.
"""

from libc.stdint cimport uintptr_t

cdef extern from *:
    """
    /* SSE2's two-double streaming store on x86-64 (every x86-64 CPU has it), a plain
       copy elsewhere: a test of the target that Cython cannot express. */
    #if defined(__SSE2__) || defined(_M_X64)
    #include <emmintrin.h>
    #define lf_stream2(d, v) _mm_stream_pd((d), _mm_loadu_pd(v))
    #define lf_stream_fence() _mm_sfence()
    #else
    #define lf_stream2(d, v) ((d)[0] = (v)[0], (d)[1] = (v)[1])
    #define lf_stream_fence() ((void)0)
    #endif
    """
    void lf_stream2(double* d, const double* v) noexcept nogil
    void lf_stream_fence() noexcept nogil


cdef inline void lf_stream_copy(double* dst, const double* v, int W) noexcept nogil:
    """Copy W values with non-temporal stores for every whole, aligned 64-byte line
    (plain stores for a partial line at either end)."""
    cdef int i = 0
    cdef int head = <int>(((64 - (<uintptr_t>dst & 63)) & 63) // sizeof(double))
    if (<uintptr_t>dst & 7) != 0:
        head = W   # not double-aligned: plain stores
    if head > W:
        head = W
    while i < head:
        dst[i] = v[i]
        i += 1
    while i + 8 <= W:
        lf_stream2(dst + i, v + i)
        lf_stream2(dst + i + 2, v + i + 2)
        lf_stream2(dst + i + 4, v + i + 4)
        lf_stream2(dst + i + 6, v + i + 6)
        i += 8
    while i < W:
        dst[i] = v[i]
        i += 1
