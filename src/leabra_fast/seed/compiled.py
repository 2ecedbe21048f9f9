"""The seed model's compiled kernel: the best instruction-set build this CPU runs.

The kernel (``_kernel.pxi``) is compiled once per instruction set, one extension
module each: ``_kernel_avx512``, ``_kernel_avx2`` and ``_kernel_baseline`` (SSE2 on
x86-64; the only one on other platforms).  All give the same bits; only speed
differs.  The CPU is asked first, through the baseline module, and only then is the
chosen module imported: a module built for AVX-512 may use those instructions as
soon as it loads.  ``LEABRA_FAST_SIMD`` (at import) or :func:`select_simd` picks
another level, for benchmarks and tests.

This module exposes the chosen module's API: ``run_seed``, the scalar test
functions, the constants, :data:`BUILD_INFO` and :data:`DEBUG_BUILD`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from leabra_fast.core import _simd
from leabra_fast.seed import _kernel_baseline as _baseline  # type: ignore[attr-defined]

_KERNELS = _simd.KernelModules("leabra_fast.seed", _baseline)


def simd_levels() -> tuple[str, ...]:
    """The instruction sets this CPU and build can run the kernel with, best first.

    Among ``"avx512"``, ``"avx2"`` and ``"baseline"`` (SSE2 on x86-64, or whatever the
    compiler targets elsewhere).  Every level gives the same bits; only speed differs.
    """
    return _KERNELS.available


#: The module in use (see :func:`current`).
_current: ModuleType = _baseline

#: The exported names of the module in use, rebound by :func:`select_simd`.
_EXPORTS = ("run_seed", "xcal_scalar", "sig_scalar", "soft_bound_scalar", "exp_scalar",
            "exp_array", "consts_row")

#: Constants, the same in every level's module.
STATUS_OK: int = _baseline.STATUS_OK
STATUS_NONFINITE: int = _baseline.STATUS_NONFINITE
STATUS_BAD_ARGS: int = _baseline.STATUS_BAD_ARGS
BLOCK: int = _baseline.BLOCK
WIDTHS: tuple[int, int, int] = _baseline.WIDTHS
EXP_NORMAL_MAX: float = _baseline.EXP_NORMAL_MAX
STREAM_MIN_BYTES: int = _baseline.STREAM_MIN_BYTES
#: The derived constants in the kernel's order: the columns of ``run_seed``'s
#: ``unit_consts`` (each unit's constants, for per-unit parameters).
CONST_NAMES: tuple[str, ...] = _baseline.CONST_NAMES
#: True when built with LEABRA_FAST_DEBUG=1 (bounds, wraparound and initialisation
#: checks on, and index checks in the kernel's loops).
DEBUG_BUILD: bool = _baseline.DEBUG_BUILD
#: True when built with OpenMP, so ``n_threads`` runs blocks of units in parallel.
OPENMP: bool = _baseline.OPENMP

#: How this build runs: ``openmp`` (threads available), ``simd`` (the instruction set in
#: use: "avx512", "avx2" or "baseline"; see :func:`select_simd`), ``block``.
BUILD_INFO: dict[str, Any] = {"openmp": OPENMP, "simd": "", "block": BLOCK}


def current() -> ModuleType:
    """The extension module in use (its ``STREAM_MIN_BYTES`` is the one ``run_seed`` reads)."""
    return _current


def select_simd(name: str | None = None) -> str:
    """Run the kernel with instruction set ``name`` (best available if None); return the
    previous one.  For benchmarks and tests; not while a simulation runs in another thread.

    Raises ValueError for an unknown name or one this CPU cannot run.
    """
    global _current
    previous = BUILD_INFO["simd"]
    level = _KERNELS.level(name)
    _current = _KERNELS.module(level)
    g = globals()
    for export in _EXPORTS:
        g[export] = getattr(_current, export)
    BUILD_INFO["simd"] = level
    return previous


run_seed: Any
xcal_scalar: Any
sig_scalar: Any
soft_bound_scalar: Any
exp_scalar: Any
exp_array: Any
consts_row: Any

_simd.select_from_environment(select_simd)
