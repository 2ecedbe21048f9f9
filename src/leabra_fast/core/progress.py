"""Long runs: chunking, a progress bar, and a clean stop on Ctrl-C.

The kernels take a cycle range ``c0 .. c1`` and work out trial and cycle from
the schedule position, so a run split into chunks of cycles gives the same bits
as one call.  Between chunks the driver updates a progress bar and checks
whether the user pressed Ctrl-C; a stop returns everything recorded so far as a
result marked ``partial=True``.  Nothing here runs per cycle.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

__all__ = [
    "PROGRESS_MIN_SECONDS",
    "PartialRunWarning",
    "Progress",
    "ProgressCallback",
    "chunk_bounds",
    "defer_sigint",
    "estimate_seconds",
]

#: ``progress=None`` shows a bar when a run is estimated to take longer than this.
PROGRESS_MIN_SECONDS = 2.0
#: Aim for chunks of about this long: short enough for a responsive bar and
#: Ctrl-C, long enough that the per-chunk Python overhead (~10 us) is noise.
CHUNK_SECONDS = 0.2

# Rough single-thread costs, measured on a 2020s x86 core (bench/ has the real
# figures); they only decide whether to show a bar and how big chunks are.
_COST = {
    # (seconds per cycle, seconds per synapse-cycle)
    "cython": (2e-7, 6e-9),  # SIMD kernel: ~1.5 ns per synapse + ~5 ns per unit, per cycle
    "python": (6e-5, 3e-8),
}

#: ``progress=callable`` is called as ``callable(cycles_done, cycles_total)``
#: after every chunk; raising ``KeyboardInterrupt`` in it stops the run cleanly.
ProgressCallback = Callable[[int, int], Any]


class PartialRunWarning(UserWarning):
    """A run was interrupted; the result holds what was simulated, ``partial=True``."""


def estimate_seconds(
    backend: str, n_units: int, n_inputs: int, n_cycles: int, n_threads: int = 1
) -> float:
    """Rough wall time of a run (for the progress and chunking decisions only).

    The compiled kernel splits units over threads; the reference runs on one.
    """
    per_cycle, per_syn = _COST.get(backend, _COST["python"])
    threads = min(max(1, n_threads), n_units) if backend == "cython" else 1
    return n_cycles * (per_cycle + per_syn * n_units * n_inputs / threads)


def chunk_bounds(total: int, chunk: int) -> Iterator[tuple[int, int]]:
    """``(c0, c1)`` ranges covering ``0 .. total`` in steps of ``chunk`` cycles."""
    for c0 in range(0, total, chunk):
        yield c0, min(total, c0 + chunk)


def auto_chunk(backend: str, n_units: int, n_inputs: int, n_threads: int, n_cycles: int) -> int:
    """Cycles per chunk so that one chunk takes about :data:`CHUNK_SECONDS`.

    Rounded down to whole trials of ``n_cycles`` when a trial fits, so that an
    interrupted run stops on a trial boundary and can be continued exactly.
    """
    per_cycle = estimate_seconds(backend, n_units, n_inputs, 1, n_threads)
    chunk = max(1, int(CHUNK_SECONDS / per_cycle))
    return chunk - chunk % n_cycles if chunk >= n_cycles else chunk


def in_jupyter() -> bool:
    """True inside a Jupyter (ipykernel) session."""
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        ip = shell.get_ipython()  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover - odd IPython installs
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def _stderr_is_terminal() -> bool:
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):  # closed or replaced stderr
        return False


def want_bar(progress: object, seconds: float) -> bool:
    """Resolve ``progress=None`` (auto), True or False into: show a bar or not."""
    if progress is None:
        return seconds > PROGRESS_MIN_SECONDS and (_stderr_is_terminal() or in_jupyter())
    return progress is True


class Progress:
    """A progress bar over cycles: tqdm when installed, else a plain text line on stderr."""

    def __init__(self, total: int, desc: str, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self._bar: Any = None
        self._stream = sys.stderr if stream is None else stream
        self._last = 0.0
        try:
            if in_jupyter():
                from tqdm.auto import tqdm
            else:
                from tqdm import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            self._bar = tqdm(total=total, desc=desc, unit="cycle", unit_scale=True, leave=True)
        else:
            self._desc = desc
            self._text(force=True)

    def update(self, done: int) -> None:
        step, self.done = done - self.done, done
        if self._bar is not None:
            self._bar.update(step)
        else:
            self._text()

    def _text(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.5 and self.done < self.total:
            return
        self._last = now
        pct = 100.0 * self.done / self.total if self.total else 100.0
        self._stream.write(f"\r{self._desc}: {pct:5.1f}% ({self.done}/{self.total} cycles)")
        self._stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        else:
            self._text(force=True)
            self._stream.write("\n")
            self._stream.flush()


@contextlib.contextmanager
def defer_sigint() -> Iterator[Callable[[], bool]]:
    """Turn Ctrl-C into a flag the chunk loop checks, instead of an exception mid-update.

    Yields a function that says whether Ctrl-C was pressed.  Only the main
    thread can install signal handlers; elsewhere (and when some other handler
    than Python's default is installed) the flag stays False and
    ``KeyboardInterrupt`` keeps its usual meaning.  A second Ctrl-C restores
    the previous handler's behaviour at once.
    """
    pressed = [False]
    if threading.current_thread() is not threading.main_thread():
        yield lambda: pressed[0]
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        yield lambda: pressed[0]
        return

    def handler(signum: int, frame: Any) -> None:
        if pressed[0]:  # second Ctrl-C: give up on a clean stop
            raise KeyboardInterrupt
        pressed[0] = True

    signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: pressed[0]
    finally:
        signal.signal(signal.SIGINT, previous)
