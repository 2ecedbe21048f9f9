"""What every model's state shares: per-unit and per-synapse arrays, packed for the kernels.

A model's state is a dataclass of per-unit arrays (shape ``(n_units,)``) named
in ``UNIT_STATE`` and per-synapse arrays (shape ``(n_units, n_inputs)``) named
in ``SYNAPSE_STATE``, plus the ``cycle`` counter.  The kernels see two
C-contiguous blocks, ``(len(UNIT_STATE), n_units)`` and
``(len(SYNAPSE_STATE), n_units, n_inputs)``; :meth:`PackedState.packed` makes a
state whose arrays are views of those blocks, so a run writes the state in
place with no copy in or out.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np

from .paramspec import MAX_COUNT

__all__ = [
    "MAX_COUNT",
    "PackedState",
    "TooLargeError",
    "as_float_array",
    "check_allocation",
    "check_count",
    "memory_limit",
    "weights",
]


class TooLargeError(ValueError, MemoryError):
    """A run would allocate more memory than the machine has; refused before allocating.

    Both a ValueError (the arguments ask for too much) and a MemoryError, so code
    catching either sees it.
    """


def memory_limit() -> int:
    """Bytes one run may allocate for its state and schedules: the machine's physical memory.

    ``LEABRA_FAST_MAX_BYTES`` (an int) overrides it, for tests or shared machines.  An
    allocation above physical memory cannot succeed without swapping the machine to a
    halt, so it is refused before numpy tries (where it might instead be killed).
    """
    env = os.environ.get("LEABRA_FAST_MAX_BYTES", "")
    if env.strip():
        try:
            return int(env)
        except ValueError:
            raise ValueError(f"LEABRA_FAST_MAX_BYTES must be an int, got {env!r}") from None
    return _physical_memory()


@functools.cache
def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 2**46  # 64 TiB: only the absurd is refused


def nbytes_of(shape: tuple[int, ...], itemsize: int = 8) -> int:
    """Bytes of an array of ``shape`` (exact Python ints: never overflows)."""
    return itemsize * math.prod(int(n) for n in shape)


def check_allocation(arrays: Mapping[str, tuple[int, ...]], limit: int | None = None) -> None:
    """Refuse (:class:`TooLargeError`) float64 arrays of these shapes if together above the limit.

    ``arrays`` maps a description naming the arguments that set the size (for
    example ``"state (n_units=..., n_inputs=...)"``) to the shape to allocate.
    Call before allocating; the default limit is :func:`memory_limit`.
    """
    sizes = {what: nbytes_of(shape) for what, shape in arrays.items()}
    total = sum(sizes.values())
    limit = memory_limit() if limit is None else limit
    if total > limit:
        parts = ", ".join(f"{what}: {human_bytes(n)}" for what, n in sizes.items() if n)
        raise TooLargeError(
            f"this run would need {human_bytes(total)} ({parts}), more than the "
            f"{human_bytes(limit)} of memory available (physical memory, or "
            "LEABRA_FAST_MAX_BYTES); use fewer units, inputs or trials"
        )


def human_bytes(n: float) -> str:
    """``n`` bytes in binary units, for messages."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


class PackedState:
    """Mixin for a model-state dataclass; subclasses set ``UNIT_STATE`` and ``SYNAPSE_STATE``."""

    UNIT_STATE: ClassVar[tuple[str, ...]]
    SYNAPSE_STATE: ClassVar[tuple[str, ...]] = ("fwt", "wt")
    cycle: int

    @property
    def n_units(self) -> int:
        return int(np.shape(getattr(self, self.UNIT_STATE[0]))[0])

    @property
    def n_inputs(self) -> int:
        return int(np.shape(getattr(self, self.SYNAPSE_STATE[0]))[1])

    @classmethod
    def nbytes_for(cls, n_units: int, n_inputs: int) -> int:
        """Bytes of one state of ``n_units`` x ``n_inputs`` (both blocks)."""
        return nbytes_of((len(cls.UNIT_STATE), n_units)) + nbytes_of(
            (len(cls.SYNAPSE_STATE), n_units, n_inputs)
        )

    @classmethod
    def check_size(cls, n_units: int, n_inputs: int, copies: int = 1) -> None:
        """Refuse a state too large for memory, naming n_units and n_inputs (before allocating)."""
        check_count("n_units", n_units)
        check_count("n_inputs", n_inputs)
        what = f"state (n_units={n_units}, n_inputs={n_inputs})"
        if copies > 1:
            what += f" x {copies} copies"
        check_allocation(
            {
                what: (
                    copies,
                    len(cls.UNIT_STATE) * n_units + len(cls.SYNAPSE_STATE) * n_units * n_inputs,
                )
            }
        )

    @classmethod
    def from_blocks(cls, unit_block: np.ndarray, syn_block: np.ndarray, cycle: int = 0) -> Self:
        """A state whose arrays are views of the two blocks."""
        views = dict(zip(cls.UNIT_STATE, unit_block, strict=True))  # iterating: row views
        views.update(zip(cls.SYNAPSE_STATE, syn_block, strict=True))
        return cls(**views, cycle=int(cycle))  # type: ignore[call-arg]  # dataclass subclasses

    def packed(self) -> tuple[Self, np.ndarray, np.ndarray]:
        """A copy whose arrays are views of two fresh blocks, and the blocks, for the kernels."""
        n_units, n_inputs = self.n_units, self.n_inputs
        unit_block = np.empty((len(self.UNIT_STATE), n_units))
        syn_block = np.empty((len(self.SYNAPSE_STATE), n_units, n_inputs))
        for k, name in enumerate(self.UNIT_STATE):
            unit_block[k] = getattr(self, name)
        for k, name in enumerate(self.SYNAPSE_STATE):
            syn_block[k] = getattr(self, name)
        return self.from_blocks(unit_block, syn_block, self.cycle), unit_block, syn_block

    def copy(self) -> Self:
        """A deep copy (float64 arrays)."""
        return self.packed()[0]

    def validate(self) -> None:
        """Check shapes, dtypes and finiteness; raise ValueError/TypeError naming the field."""
        if isinstance(self.cycle, bool) or not isinstance(self.cycle, int | np.integer):
            raise TypeError(f"state.cycle must be an int, got {type(self.cycle).__name__}")
        if not 0 <= self.cycle <= MAX_COUNT:
            raise ValueError(f"state.cycle must be in [0, 2**53], got {self.cycle}")
        first = self.UNIT_STATE[0]
        lead = as_float_array(first, getattr(self, first))
        if lead.ndim != 1 or lead.shape[0] < 1:
            raise ValueError(f"state.{first} must have shape (n_units,), got {lead.shape}")
        n_units = lead.shape[0]
        for name in self.UNIT_STATE:
            arr = as_float_array(name, getattr(self, name))
            if arr.shape != (n_units,):
                raise ValueError(f"state.{name} must have shape ({n_units},), got {arr.shape}")
        syn0 = self.SYNAPSE_STATE[0]
        w = as_float_array(syn0, getattr(self, syn0))
        if w.ndim != 2 or w.shape[0] != n_units or w.shape[1] < 1:
            raise ValueError(f"state.{syn0} must have shape ({n_units}, n_inputs), got {w.shape}")
        for name in self.SYNAPSE_STATE[1:]:
            arr = as_float_array(name, getattr(self, name))
            if arr.shape != w.shape:
                raise ValueError(f"state.{name} must have shape {w.shape}, got {arr.shape}")

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def equals(self, other: PackedState) -> bool:
        """Bit-for-bit equality of every variable (NaNs compare equal to NaNs)."""
        return type(self) is type(other) and self.cycle == other.cycle and all(
            np.array_equal(getattr(self, n), getattr(other, n), equal_nan=True)
            for n in self.UNIT_STATE + self.SYNAPSE_STATE
        )


def check_count(name: str, value: object, low: int = 1) -> int:
    """``value`` is an int in ``[low, MAX_COUNT]``; returned as a Python int."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if value > MAX_COUNT:
        raise ValueError(f"{name} must be <= 2**53, got {value}")
    return int(value)


def refuse_masked(name: str, value: object) -> None:
    """Masked arrays would silently lose their mask in np.asarray: refuse them."""
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{name} is a masked array (numpy.ma); its mask would be ignored. Pass a plain "
            f"array: {name}.filled(value) with the value masked entries should take"
        )


def as_float_array(name: str, value: object) -> np.ndarray:
    """A real, finite numeric array, or a TypeError/ValueError naming ``state.<name>``."""
    refuse_masked(f"state.{name}", value)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged lists and the like
        raise TypeError(f"state.{name} could not be read as a numeric array: {exc}") from None
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"state.{name} must be a real numeric array, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"state.{name} contains NaN or inf")
    return arr


def weights(name: str, value: object, shape: tuple[int, int]) -> np.ndarray:
    """Weights in [0, 1] broadcast (read-only view, no copy) to ``(n_units, n_inputs)``."""
    refuse_masked(name, value)
    arr = as_float_array(name, value).astype(np.float64, copy=False)
    if np.any((arr < 0.0) | (arr > 1.0)):  # checked before broadcasting: no big temporaries
        raise ValueError(f"{name} values must lie in [0, 1]")
    try:
        return np.broadcast_to(arr, shape)
    except ValueError:
        raise ValueError(
            f"{name} of shape {arr.shape} does not broadcast to (n_units, n_inputs) = {shape}"
        ) from None
