"""Whether this process may start OpenMP threads: one pool per process, shared by the kernels.

GNU libgomp cannot start threads in a child forked after the parent used them
(the child hangs), which multiprocessing's default "fork" does.  Every kernel
calls :func:`mark_threads_used` before running threads and checks
:func:`fork_unsafe` first; a child forked after any kernel ran threads runs the
kernels serially instead: same bits, no hang.
"""

import os

_threads_used = False
_fork_unsafe = False


def mark_threads_used() -> None:
    global _threads_used
    _threads_used = True


def fork_unsafe() -> bool:
    """This process was forked after some kernel of this one's parent ran threads."""
    return _fork_unsafe


def _after_fork_in_child() -> None:
    global _fork_unsafe
    if _threads_used:
        _fork_unsafe = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
