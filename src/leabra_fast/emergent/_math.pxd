# The shared scalar maths and instruction-set detection the emergent kernel uses, in one
# place.  Today they are the C functions of _lf_math.h and _lf_isa.h; when they move to
# leabra_fast/core/_lf_math.pxd (same names and signatures), only this file changes.

cdef extern from "_lf_math.h" nogil:
    # exp(x) within ~1 ulp, branch-free so loops over it vectorise.
    double lf_exp(double x)
    # lf_exp's bits for |x| <= LF_EXP_NORMAL_MAX, without its clamps and split scaling.
    double lf_exp_normal(double x)
    const double LF_EXP_NORMAL_MAX
    # b**1.5 as b*sqrt(b).
    double lf_pow_1_5(double b)
    # Neither NaN nor +-inf, as a compare that vectorises.
    int lf_finite(double v)

cdef extern from "_lf_isa.h" nogil:
    # Instruction sets, best first: 0 avx512, 1 avx2, 2 baseline.
    const int LF_N_ISA
    # Does this CPU (and build) run instruction set k?
    int lf_isa_supported(int k)
    const char* lf_isa_name(int k)
