/*
 * The instruction-set entry points of the emergent kernel: which this build has, which
 * this CPU runs, and their names (the seed kernel is one module per instruction set,
 * leabra_fast/core/_lf_isa.pxd).  The kernel compiles its loop once per entry
 * (AVX-512, AVX2, baseline SSE2) and keeps its own choice of entry; add, mul, div
 * and sqrt round correctly at every width and there is no FMA, so the entries give
 * the same bits and only the speed changes.
 */
#ifndef LEABRA_FAST_LF_ISA_H
#define LEABRA_FAST_LF_ISA_H

#include <string.h>

/* One entry point per instruction set: x86-64, GCC or Clang on Linux; else baseline only. */
#if defined(__x86_64__) && defined(__GNUC__) && (!defined(__clang__) || defined(__linux__)) \
    && !defined(LEABRA_FAST_NO_DISPATCH)
#define LF_DISPATCH 1
#include <immintrin.h>   /* AVX2 / AVX-512 intrinsics, used only in functions targeting them */
#else
#define LF_DISPATCH 0
#endif

/* Instruction sets, best first (indices into lf_isa_names). */
enum { LF_ISA_AVX512, LF_ISA_AVX2, LF_ISA_BASELINE, LF_N_ISA };
static const char *const lf_isa_names[] = {"avx512", "avx2", "baseline"};

/* Does this CPU (and build) run entry k? */
static inline int lf_isa_supported(int k)
{
#if LF_DISPATCH
    __builtin_cpu_init();
    if (k == LF_ISA_AVX512)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
               && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
    if (k == LF_ISA_AVX2) return __builtin_cpu_supports("avx2");
#endif
    return k == LF_ISA_BASELINE;
}

static inline const char *lf_isa_name(int k)
{
    return k >= 0 && k < LF_N_ISA ? lf_isa_names[k] : "";
}

/* The entry called name, or the best this CPU runs when name is NULL or empty.
   Returns its index, -1 for an unknown name, -2 for one this CPU (or build) lacks. */
static inline int lf_isa_find(const char *name)
{
    int best = name == NULL || name[0] == '\0';
    for (int k = 0; k < LF_N_ISA; k++) {
        if (!best && strcmp(name, lf_isa_names[k]) != 0) continue;
        if (lf_isa_supported(k)) return k;
        if (!best) return -2;
    }
    return -1;
}

#endif
