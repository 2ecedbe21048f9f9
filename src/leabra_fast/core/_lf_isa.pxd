# cython: language_level=3
"""Which instruction sets this CPU runs (shared by the kernels' module pickers).

Each kernel is compiled once per instruction set, one extension module each
(``leabra_fast.<model>._kernel_<isa>``); these checks run in a module compiled
without extra ISA flags, before the chosen module is imported (importing a module
built for AVX-512 on a CPU without it could already fault in its init code).
"""

cdef extern from *:
    """
    /* __builtin_cpu_supports accepts only a string literal, and Cython passes char*
       literals as module constants, so these few lines of the check stay C. */
    #if defined(__x86_64__) && defined(__GNUC__)
    static int lf_cpu_avx512(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
               && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
    }
    static int lf_cpu_avx2(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx2"); }
    #else
    static int lf_cpu_avx512(void) { return 0; }
    static int lf_cpu_avx2(void) { return 0; }
    #endif
    """
    int lf_cpu_avx512() noexcept nogil
    int lf_cpu_avx2() noexcept nogil


cdef enum:
    # Instruction sets, best first (indices into leabra_fast._simd.LEVELS).
    LF_ISA_AVX512 = 0
    LF_ISA_AVX2 = 1
    LF_ISA_BASELINE = 2
    LF_N_ISA = 3


cdef inline bint lf_isa_supported(int k) noexcept nogil:
    """Does this CPU run instruction set k (the build may still lack its module)?"""
    if k == LF_ISA_AVX512:
        return lf_cpu_avx512() != 0
    if k == LF_ISA_AVX2:
        return lf_cpu_avx2() != 0
    return k == LF_ISA_BASELINE
