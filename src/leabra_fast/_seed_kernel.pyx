# cython: language_level=3
# cython: freethreading_compatible = True
"""Compiled kernel of the seed model: C doubles, SIMD blocks of units, threads, no GIL.

Layout follows scikit-learn's ``_loss``: the C scalar functions for each
equation (``lf_exp``, ``lf_xcal``, ``lf_sig``, ``lf_soft_bound``) and the loop
that strings them together in the notebook's order live in ``_seed_block.h``;
this module is the thin ``def`` entry point that re-checks shapes, fills a C
struct from the memoryviews and hands chunks of units to threads.  All
validation and allocation of user data happen in Python
(``leabra_fast.simulation``) before this module is called; the loop touches no
Python object and reports problems by status code.

Speed comes from structure, not from relaxed maths: blocks of ``BLOCK`` units
run all their cycles with their state in local arrays, each cycle as a few short
vector loops over the lanes (one entry point per instruction set, the best chosen
at import; ``select_simd`` or ``LEABRA_FAST_SIMD`` picks another), a branch-free
polynomial ``exp``, and ``x*sqrt(x)`` for the seed's SIG gain of exactly 1.5.
Large trace buffers are written with non-temporal stores.  FMA contraction stays
off and IEEE semantics on, so NaN/inf are detected as in the reference, and
results agree with it to ~1e-15 relative (not bit for bit: exp and the 1.5
power differ by an ulp or so), and are bit-identical for any thread count and
instruction set.
"""

from leabra_fast import _simd
from leabra_fast._forkguard import fork_unsafe as _fork_unsafe
from leabra_fast._forkguard import mark_threads_used as _mark_threads_used

from cython.parallel cimport prange
from libc.stdlib cimport free, malloc

cdef extern from "_seed_block.h" nogil:
    int LF_STATUS_OK
    int LF_STATUS_NONFINITE
    int LF_STATUS_BAD_ARGS
    int LF_STATUS_NO_MEMORY
    int LF_BLOCK
    int LF_MID
    int LF_NARROW
    int LF_N_TRACES
    int LF_N_UNIT_STATE
    int LF_T_DWT

    ctypedef struct SeedConsts:
        double k_net, k_vm, noise, gc_l, e_rev_e, e_rev_l, e_inh, thr, exp_slope, k_exp
        double spk_thr, vm_r, vm_gain, spike_gain, adapt_div, k_ss, k_s, k_m, l_dt
        double avg_l_min, avg_l_lrn_min, lrn_fac, m_in_s, one_m_in_s, lrate, m_lrn
        double d_thr, d_rev, rev_fac, gain, off, sig_eps, inv_n_inputs

    ctypedef struct LFSchedule:
        const char* data
        Py_ssize_t trial, unit, input

    ctypedef struct LFRun:
        LFSchedule x, su_s, su_m, gc_i
        double* us
        double* ss
        Py_ssize_t n_units, n_inputs
        Py_ssize_t n_cycles, c0, c1, abs0, every, rec_base
        Py_ssize_t slot[19]
        const Py_ssize_t* unit_cols
        double* ub
        double* sb
        Py_ssize_t rows, cols
        int stream
        long long* spikes
        long long* first_bad

    int lf_run_units(const SeedConsts* c, const LFRun* a, Py_ssize_t u_start,
                     Py_ssize_t u_stop)
    double lf_exp_scalar(double x)
    double lf_exp_normal_scalar(double x)
    double LF_EXP_NORMAL_MAX
    int LF_N_ISA
    int lf_isa_current
    int lf_isa_supported(int k)
    int lf_select_isa(const char* name)
    const char* lf_isa_name(int k)
    int LF_HAS_OPENMP
    double lf_xcal(double x, double th, const SeedConsts* c)
    double lf_sig(double w, const SeedConsts* c)
    double lf_soft_bound(double dwt, double fwt)

STATUS_OK = LF_STATUS_OK
STATUS_NONFINITE = LF_STATUS_NONFINITE
STATUS_BAD_ARGS = LF_STATUS_BAD_ARGS
#: Units that run side by side in one SIMD block (tests use it to probe remainders).
BLOCK = LF_BLOCK
#: Lanes of the block widths, widest first: full blocks, then what is left over.
WIDTHS = (LF_BLOCK, LF_MID, LF_NARROW)
#: Trace buffers at least this large are written with non-temporal (streaming) stores:
#: they are far larger than the caches, and streaming skips reading each line first.
STREAM_MIN_BYTES = 4 << 20


def simd_levels():
    """The instruction sets this CPU and build can run the kernel with, best first.

    Among ``"avx512"``, ``"avx2"`` and ``"baseline"`` (SSE2 on x86-64, or whatever the
    compiler targets elsewhere).  Every level gives the same bits; only speed differs.
    """
    return tuple(lf_isa_name(k).decode() for k in range(LF_N_ISA) if lf_isa_supported(k))


def select_simd(name=None):
    """Run the kernel with instruction set ``name`` (best available if None); return the
    previous one.  For benchmarks and tests; not while a simulation runs in another thread.

    Raises ValueError for an unknown name or one this CPU cannot run.
    """
    previous = lf_isa_name(lf_isa_current).decode()
    cdef bytes key = (name or "").encode()
    _simd.check_status(name, lf_select_isa(key), simd_levels())
    BUILD_INFO["simd"] = lf_isa_name(lf_isa_current).decode()
    return previous


#: How this build runs: ``openmp`` (threads available), ``simd`` (the instruction set in
#: use: "avx512", "avx2" or "baseline"; see :func:`select_simd`), ``block``.
BUILD_INFO = {"openmp": bool(LF_HAS_OPENMP), "simd": "", "block": LF_BLOCK}


_simd.select_from_environment(select_simd)

# True when built with LEABRA_FAST_DEBUG=1 (bounds, wraparound and initialisation
# checks on); set by setup.py's compile_time_env together with those directives.
DEBUG_BUILD = bool(LEABRA_FAST_DEBUG)

# OpenMP and fork: see leabra_fast/_forkguard.py (one pool per process, both kernels).


cdef LFSchedule _schedule3(const double[:, :, :] a):
    cdef LFSchedule s
    s.data = <const char*>&a[0, 0, 0]
    s.trial = a.strides[0]
    s.unit = a.strides[1]
    s.input = a.strides[2]
    return s


cdef LFSchedule _schedule2(const double[:, :] a):
    cdef LFSchedule s
    s.data = <const char*>&a[0, 0]
    s.trial = a.strides[0]
    s.unit = a.strides[1]
    s.input = 0
    return s


def run_seed(
    dict consts,
    const double[:, :, :] x,
    const double[:, :, :] su_s,
    const double[:, :, :] su_m,
    const double[:, :] gc_i,
    double[:, ::1] unit_state,
    double[:, :, ::1] syn_state,
    Py_ssize_t n_cycles, Py_ssize_t c0, Py_ssize_t c1,
    Py_ssize_t abs0, Py_ssize_t every, Py_ssize_t rec_base,
    const Py_ssize_t[::1] slots,
    const Py_ssize_t[::1] unit_cols,
    double[:, :, ::1] unit_buf,
    double[:, :, :, ::1] syn_buf,
    long long[::1] spikes,
    long long[::1] first_bad,
    int n_threads=1,
):
    """Run schedule cycles ``c0 .. c1-1`` of all units, in place; return a status code.

    Same contract as :func:`leabra_fast.reference.run_seed`.  The arguments
    must already be validated (the driver does it); only cheap shape
    consistency is re-checked here, returning ``STATUS_BAD_ARGS`` instead of
    reading out of bounds.  ``n_threads`` > 1 runs chunks of unit blocks in
    parallel (OpenMP, when the build has it); every unit is computed by the same
    code whatever the chunking, so the results are bit-identical for any
    ``n_threads``.  In a process forked after threads were used (multiprocessing
    with "fork"), the kernel runs on one thread: GNU OpenMP cannot restart there.  Raises MemoryError if the per-thread scratch cannot be
    allocated.
    """
    cdef SeedConsts c = consts
    cdef Py_ssize_t n_units = unit_state.shape[1]
    cdef Py_ssize_t n_inputs = syn_state.shape[2]
    cdef Py_ssize_t max_trial = (c1 - 1) // n_cycles if n_cycles > 0 else 0
    cdef Py_ssize_t k, chunk, n_chunks, u0, u1
    cdef LFRun a
    cdef int status = LF_STATUS_OK
    cdef int* chunk_status

    if (n_cycles < 1 or c0 < 0 or c1 < c0 or every < 1 or abs0 < 0 or n_threads < 1
            or unit_state.shape[0] != LF_N_UNIT_STATE or syn_state.shape[0] != 2
            or syn_state.shape[1] != n_units or slots.shape[0] != LF_N_TRACES
            or unit_cols.shape[0] != n_units or spikes.shape[0] != n_units
            or first_bad.shape[0] != n_units or n_units < 1 or n_inputs < 1):
        return LF_STATUS_BAD_ARGS
    for arr_shape in ((x.shape[0], x.shape[1], x.shape[2]),
                      (su_s.shape[0], su_s.shape[1], su_s.shape[2]),
                      (su_m.shape[0], su_m.shape[1], su_m.shape[2])):
        if arr_shape[0] <= max_trial or arr_shape[1] != n_units or arr_shape[2] != n_inputs:
            return LF_STATUS_BAD_ARGS
    if gc_i.shape[0] <= max_trial or gc_i.shape[1] != n_units:
        return LF_STATUS_BAD_ARGS
    for k in range(LF_N_TRACES):
        a.slot[k] = slots[k]
        if a.slot[k] >= (unit_buf.shape[0] if k < LF_T_DWT else syn_buf.shape[0]):
            return LF_STATUS_BAD_ARGS
    if not _recording_fits(unit_cols, unit_buf, syn_buf, n_inputs, abs0, c1 - c0, every,
                           rec_base):
        return LF_STATUS_BAD_ARGS
    if unit_buf.shape[0] and syn_buf.shape[0] and (unit_buf.shape[1] != syn_buf.shape[1]
                                                   or unit_buf.shape[2] != syn_buf.shape[2]):
        return LF_STATUS_BAD_ARGS  # the C loop indexes both buffers by one (row, col)
    if c1 == c0:
        return _status_of(first_bad)

    a.x = _schedule3(x)
    a.su_s = _schedule3(su_s)
    a.su_m = _schedule3(su_m)
    a.gc_i = _schedule2(gc_i)
    a.us = &unit_state[0, 0]
    a.ss = &syn_state[0, 0, 0]
    a.n_units, a.n_inputs = n_units, n_inputs
    a.n_cycles, a.c0, a.c1, a.abs0, a.every, a.rec_base = n_cycles, c0, c1, abs0, every, rec_base
    a.unit_cols = &unit_cols[0]
    # Empty buffers (nothing recorded of that kind) are never written: NULL.
    a.ub = &unit_buf[0, 0, 0] if unit_buf.shape[0] * unit_buf.shape[1] * unit_buf.shape[2] else NULL
    a.sb = (&syn_buf[0, 0, 0, 0]
            if syn_buf.shape[0] * syn_buf.shape[1] * syn_buf.shape[2] * syn_buf.shape[3] else NULL)
    a.rows = unit_buf.shape[1] if unit_buf.shape[0] else syn_buf.shape[1]
    a.cols = unit_buf.shape[2] if unit_buf.shape[0] else syn_buf.shape[2]
    a.spikes = &spikes[0]
    a.first_bad = &first_bad[0]
    a.stream = 8 * (unit_buf.shape[0] * unit_buf.shape[1] * unit_buf.shape[2]
                    + syn_buf.shape[0] * syn_buf.shape[1] * syn_buf.shape[2]
                    * syn_buf.shape[3]) >= STREAM_MIN_BYTES

    # Chunks of whole blocks, about 8 per thread so a busy core does not hold the others up.
    # (cdivision: C integer division truncates, so ceilings are written out.)
    chunk = (n_units + 8 * n_threads - 1) // (8 * n_threads)
    chunk = max(LF_BLOCK, (chunk + LF_BLOCK - 1) // LF_BLOCK * LF_BLOCK)
    n_chunks = (n_units + chunk - 1) // chunk
    if n_threads == 1 or n_chunks == 1 or not LF_HAS_OPENMP or _fork_unsafe():
        with nogil:
            status = lf_run_units(&c, &a, 0, n_units)
    else:
        _mark_threads_used()
        chunk_status = <int*>malloc(n_chunks * sizeof(int))
        if chunk_status == NULL:
            raise MemoryError("leabra_fast kernel: cannot allocate per-chunk status")
        try:
            for k in prange(n_chunks, nogil=True, num_threads=n_threads, schedule="dynamic"):
                u0 = k * chunk
                u1 = min(u0 + chunk, n_units)
                chunk_status[k] = lf_run_units(&c, &a, u0, u1)
            for k in range(n_chunks):
                if chunk_status[k] == LF_STATUS_NO_MEMORY or status == LF_STATUS_NO_MEMORY:
                    status = LF_STATUS_NO_MEMORY
                else:
                    status = max(status, chunk_status[k])
        finally:
            free(chunk_status)
    if status == LF_STATUS_NO_MEMORY:
        raise MemoryError(
            f"leabra_fast kernel: cannot allocate scratch for {n_inputs} inputs per unit; "
            "the state may be partially updated"
        )
    return status


cdef int _status_of(const long long[::1] first_bad):
    cdef Py_ssize_t u
    for u in range(first_bad.shape[0]):
        if first_bad[u] >= 0:
            return LF_STATUS_NONFINITE
    return LF_STATUS_OK


cdef bint _recording_fits(const Py_ssize_t[::1] unit_cols, double[:, :, ::1] ub,
                          double[:, :, :, ::1] sb, Py_ssize_t n_inputs, Py_ssize_t abs0,
                          Py_ssize_t n, Py_ssize_t every, Py_ssize_t rec_base):
    """Every row and column the loop may write lies inside the trace buffers."""
    cdef Py_ssize_t u, first_row, last_row
    for u in range(unit_cols.shape[0]):
        if unit_cols[u] >= 0 and (unit_cols[u] >= ub.shape[2] or unit_cols[u] >= sb.shape[2]):
            if ub.shape[0] > 0 or sb.shape[0] > 0:
                return False
    if n == 0 or (ub.shape[0] == 0 and sb.shape[0] == 0):
        return True
    if sb.shape[0] > 0 and sb.shape[3] != n_inputs:
        return False
    first_row = (abs0 + every - 1) // every - rec_base  # ceil; C division truncates
    last_row = (abs0 + n - 1) // every - rec_base
    if last_row < first_row:
        return True
    return first_row >= 0 and last_row < ub.shape[1] and last_row < sb.shape[1]


def xcal_scalar(dict consts, double x, double th):
    """The C ``xcal`` on one value (for tests against the Python one)."""
    cdef SeedConsts c = consts
    return lf_xcal(x, th, &c)


def sig_scalar(dict consts, double w):
    """The C ``sig`` on one value; ``x*sqrt(x)`` when ``gain == 1.5``, else ``pow``."""
    cdef SeedConsts c = consts
    return lf_sig(w, &c)


def soft_bound_scalar(double dwt, double fwt):
    """The C ``soft_bound`` on one value."""
    return lf_soft_bound(dwt, fwt)


def exp_scalar(double x):
    """The kernel's own vectorisable ``exp`` on one value (for tests against ``math.exp``)."""
    return lf_exp_scalar(x)


def exp_array(const double[::1] x, bint normal=False):
    """The kernel's ``exp`` on each element of a contiguous float64 array (a new array).

    ``normal=True`` uses the shorter form the kernel takes when a whole block has
    ``|x| <= EXP_NORMAL_MAX``; there it must give the same bits.
    """
    import numpy as np
    out = np.empty(x.shape[0])
    cdef double[::1] o = out
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        o[i] = lf_exp_normal_scalar(x[i]) if normal else lf_exp_scalar(x[i])
    return out


#: Largest |x| for which the kernel may use its shorter exp (no clamps, one scaling).
EXP_NORMAL_MAX = LF_EXP_NORMAL_MAX
