"""The Python side of both kernels' instruction-set choice (``select_simd``).

Each compiled kernel is one module per instruction set (``leabra_fast.<model>.compiled``
picks one before importing it) and reports the outcome of a choice as a status code;
this turns the code into the error a user sees, and applies ``LEABRA_FAST_SIMD`` at
import.
"""

from __future__ import annotations

import os
from collections.abc import Callable

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
