"""The network's compiled kernel: the best instruction-set build this CPU runs.

``_kernel.pxi`` is compiled once per instruction set (``_kernel_avx512``,
``_kernel_avx2``, ``_kernel_baseline``); all give the same bits.  The CPU is asked
through the baseline module before the chosen module is imported (a module built for
AVX-512 may use those instructions as soon as it loads).  ``LEABRA_FAST_SIMD`` (at
import) or :func:`select_simd` picks another level.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from leabra_fast.core import _simd
from leabra_fast.network import _kernel_baseline as _baseline  # type: ignore[attr-defined]

_modules: dict[str, ModuleType] = {"baseline": _baseline}


def _built(level: str) -> bool:
    if level in _modules:
        return True
    return importlib.util.find_spec(f"leabra_fast.network._kernel_{level}") is not None


#: Instruction sets both this CPU and this build run, best first.
_AVAILABLE = tuple(lv for lv in _baseline.cpu_levels() if _built(lv))

STATUS_OK: int = _baseline.STATUS_OK
STATUS_BAD_ARGS: int = _baseline.STATUS_BAD_ARGS
OPENMP: bool = _baseline.OPENMP
DEBUG_BUILD: bool = _baseline.DEBUG_BUILD

_current: ModuleType = _baseline


def simd_levels() -> tuple[str, ...]:
    """The instruction sets this CPU and build run the network kernel with, best first."""
    return _AVAILABLE


def current() -> ModuleType:
    """The extension module in use."""
    return _current


def select_simd(name: str | None = None) -> str:
    """Use instruction set ``name`` (best available if None); return the previous one.
    Raises ValueError for an unknown name or one this CPU or build cannot run."""
    global _current
    previous = _current.__name__.rsplit("_", 1)[-1]
    if not name:
        level = _AVAILABLE[0]
    elif name not in _simd.LEVELS:
        _simd.check_status(name, -1, _AVAILABLE)
        raise AssertionError("unreachable")
    elif name not in _AVAILABLE:
        _simd.check_status(name, -2, _AVAILABLE)
        raise AssertionError("unreachable")
    else:
        level = name
    if level not in _modules:
        _modules[level] = importlib.import_module(f"leabra_fast.network._kernel_{level}")
    _current = _modules[level]
    return previous


_simd.select_from_environment(select_simd)
