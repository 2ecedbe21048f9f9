"""Kept for the kernels until they move: their .pyx import ``leabra_fast._forkguard``.

The module itself (with the fork state) is :mod:`leabra_fast.core._forkguard`.
"""

from .core._forkguard import fork_unsafe, mark_threads_used

__all__ = ["fork_unsafe", "mark_threads_used"]
