"""Kept for the kernels until they move: their .pyx import ``leabra_fast._simd``.

The module itself is :mod:`leabra_fast.core._simd`.
"""

from .core._simd import LEVELS, check_status, select_from_environment

__all__ = ["LEVELS", "check_status", "select_from_environment"]
