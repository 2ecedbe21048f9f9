"""The Python side of the kernels' instruction-set choice (``select_simd``).

Each compiled kernel is one module per instruction set (``leabra_fast.<model>.compiled``
picks one before importing it) and reports the outcome of a choice as a status code;
this turns the code into the error a user sees, and applies ``LEABRA_FAST_SIMD`` at
import.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from types import ModuleType

LEVELS = ("avx512", "avx2", "baseline")


def check_status(name: str | None, rc: int, available: tuple[str, ...]) -> None:
    """Raise ValueError for the C selection's status ``rc`` (-1 unknown, -2 not runnable)."""
    if rc == -1:
        raise ValueError(
            f"unknown SIMD level {name!r}; choose one of {', '.join(map(repr, LEVELS))}"
        )
    if rc == -2:
        raise ValueError(
            f"this CPU or build cannot run SIMD level {name!r}; available: {available}"
        )


def select_from_environment(select: Callable[[str | None], str]) -> None:
    """Apply ``LEABRA_FAST_SIMD`` (empty: the best level); a bad value fails the import."""
    wanted = os.environ.get("LEABRA_FAST_SIMD", "").strip().lower()
    try:
        select(wanted or None)
    except ValueError as err:
        raise ImportError(f"LEABRA_FAST_SIMD={wanted!r}: {err}") from None


class KernelModules:
    """One model's kernel modules, ``<package>._kernel_<level>``: the levels this CPU
    and build run (asked through the baseline module, which every CPU runs) and the
    modules, imported only once chosen (a module built for AVX-512 may use those
    instructions as soon as it loads)."""

    def __init__(self, package: str, baseline: ModuleType) -> None:
        self.package = package
        self._modules: dict[str, ModuleType] = {"baseline": baseline}
        #: Instruction sets both this CPU and this build run, best first.
        self.available: tuple[str, ...] = tuple(
            lv for lv in baseline.cpu_levels() if self._built(lv)
        )

    def _built(self, level: str) -> bool:
        if level in self._modules:
            return True
        return importlib.util.find_spec(f"{self.package}._kernel_{level}") is not None

    def level(self, name: str | None) -> str:
        """The level ``name`` asks for (the best available if empty); ValueError for an
        unknown name or one this CPU or build cannot run."""
        if not name:
            return self.available[0]
        if name not in LEVELS:
            check_status(name, -1, self.available)
        if name not in self.available:
            check_status(name, -2, self.available)
        return name

    def module(self, level: str) -> ModuleType:
        """The module of ``level`` (one of :attr:`available`), imported on first use."""
        if level not in self._modules:
            self._modules[level] = importlib.import_module(f"{self.package}._kernel_{level}")
        return self._modules[level]
