"""The compiled emergent kernel: the build for the best instruction set this CPU runs.

The kernel (``_kernel.pxi``, through ``_kernel.pyx``) is compiled once per
instruction set, as ``_kernel_avx512``, ``_kernel_avx2`` and ``_kernel_baseline``
(non-x86 builds: baseline only).  A module built for AVX-512 may use its instructions anywhere,
its import included, so the level is chosen *before* the module is imported:
the baseline module (safe on any CPU) says which levels this CPU runs, and only
the chosen module is imported.  ``LEABRA_FAST_SIMD`` picks a level at import,
:func:`select_simd` later.  Every level gives the same bits; only speed differs.

This module is the kernel's Python API (what ``emergent.simulation`` and the
tests use): :func:`run_emergent`, the scalar functions and the constants are
the chosen module's, rebound by :func:`select_simd`, so read them as attributes
of this module (``compiled.run_emergent``), not ``from``-imported copies.
"""

from __future__ import annotations

from typing import Any

from ..core import _simd
from . import _kernel_baseline as _baseline

__all__ = [
    "BLOCK",
    "BUILD_INFO",
    "CONST_NAMES",
    "DEBUG_BUILD",
    "HAS_OPENMP",
    "STATUS_BAD_ARGS",
    "STATUS_NONFINITE",
    "STATUS_OK",
    "WIDTHS",
    "ge_thr_scalar",
    "noisy_xx1_scalar",
    "nxx1_lookup_scalar",
    "pow_int_scalar",
    "run_emergent",
    "select_simd",
    "sig_pow_kind",
    "sig_scalar",
    "simd_levels",
    "xcal_scalar",
]

STATUS_OK: int = _baseline.STATUS_OK
STATUS_NONFINITE: int = _baseline.STATUS_NONFINITE
STATUS_BAD_ARGS: int = _baseline.STATUS_BAD_ARGS
#: True when this build runs ``n_threads`` > 1 on OpenMP threads (else serially).
HAS_OPENMP: bool = _baseline.HAS_OPENMP
#: True when built with ``LEABRA_FAST_DEBUG=1`` (bounds checks in the kernel's indexing).
DEBUG_BUILD: bool = _baseline.DEBUG_BUILD
#: Units that run side by side in one SIMD block (tests use it to probe remainders).
BLOCK: int = _baseline.BLOCK
#: Lanes of the block widths, widest first: full blocks, then what is left over.
WIDTHS: tuple[int, int, int] = _baseline.WIDTHS
#: The derived constants in the kernel's order: the columns of ``run_emergent``'s
#: ``group_consts`` (each parameter set's constants, for per-unit parameters).
CONST_NAMES: tuple[str, ...] = _baseline.CONST_NAMES
#: How this build runs: ``openmp``, ``simd`` (the instruction set in use; see
#: :func:`select_simd`), ``block``.
BUILD_INFO: dict[str, Any] = {"openmp": HAS_OPENMP, "simd": "", "block": BLOCK}

#: The functions taken from the module in use.
_API = ("run_emergent", "noisy_xx1_scalar", "nxx1_lookup_scalar", "xcal_scalar", "sig_scalar",
        "ge_thr_scalar", "pow_int_scalar", "sig_pow_kind")  # fmt: skip


_KERNELS = _simd.KernelModules(__name__.rpartition(".")[0], _baseline)


def simd_levels() -> tuple[str, ...]:
    """The instruction sets this CPU and build can run the kernel with, best first.

    Among ``"avx512"``, ``"avx2"`` and ``"baseline"``.  Every level gives the same
    bits; only speed differs.
    """
    return _KERNELS.available


def select_simd(name: str | None = None) -> str:
    """Run the kernel with instruction set ``name`` (best available if None); return the
    previous one.  For benchmarks and tests; not while a simulation runs in another thread.

    Raises ValueError for an unknown name or one this CPU cannot run.
    """
    previous = BUILD_INFO["simd"]
    level = _KERNELS.level(name)
    module = _KERNELS.module(level)  # only now: the CPU runs it
    globals().update({k: getattr(module, k) for k in _API})
    BUILD_INFO["simd"] = level
    return previous


# Bound by select_simd (below, at import) to the chosen module's functions.
run_emergent: Any
noisy_xx1_scalar: Any
nxx1_lookup_scalar: Any
xcal_scalar: Any
sig_scalar: Any
ge_thr_scalar: Any
pow_int_scalar: Any
sig_pow_kind: Any

_simd.select_from_environment(select_simd)
