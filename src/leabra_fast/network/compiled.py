"""The network's compiled kernel: the best instruction-set build this CPU runs.

``_kernel.pxi`` is compiled once per instruction set (``_kernel_avx512``,
``_kernel_avx2``, ``_kernel_baseline``, from the C Cython makes of ``_kernel.pyx``); all
give the same bits.  The CPU is asked through the baseline module before the chosen
module is imported (a module built for AVX-512 may use those instructions as soon as
it loads).  ``LEABRA_FAST_SIMD`` (at import) or :func:`select_simd` picks another level.
"""

from __future__ import annotations

from types import ModuleType

from leabra_fast.core import _simd
from leabra_fast.network import _kernel_baseline as _baseline  # type: ignore[attr-defined]

_KERNELS = _simd.KernelModules("leabra_fast.network", _baseline)

STATUS_OK: int = _baseline.STATUS_OK
STATUS_BAD_ARGS: int = _baseline.STATUS_BAD_ARGS
OPENMP: bool = _baseline.OPENMP
DEBUG_BUILD: bool = _baseline.DEBUG_BUILD

_current: ModuleType = _baseline


def simd_levels() -> tuple[str, ...]:
    """The instruction sets this CPU and build run the network kernel with, best first."""
    return _KERNELS.available


def team_round_trip(n_threads: int = 2) -> float:
    """Seconds for a cache line to go from thread 0 to each other thread of a team of
    ``n_threads`` and back (the largest over threads), as a network's team of threads
    measures it at each trial start; NaN without OpenMP.

    A team whose round trip is longer than 0.3 us at two trials running runs the copy on
    one thread for the rest of the call (``Network.last_solo_trial``): its threads
    exchange lines at every step of a cycle, and with cores that far apart (on different
    dies) two threads ran slower than one."""
    return float(_baseline.team_round_trip(n_threads))


def current() -> ModuleType:
    """The extension module in use."""
    return _current


def select_simd(name: str | None = None) -> str:
    """Use instruction set ``name`` (best available if None); return the previous one.
    Raises ValueError for an unknown name or one this CPU or build cannot run."""
    global _current
    previous = _current.__name__.rsplit("_", 1)[-1]
    _current = _KERNELS.module(_KERNELS.level(name))
    return previous


_simd.select_from_environment(select_simd)
