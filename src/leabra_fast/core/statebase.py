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
from typing import Any, ClassVar, Self

import numpy as np

__all__ = ["PackedState", "as_float_array", "check_count", "weights"]


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
        if self.cycle < 0:
            raise ValueError(f"state.cycle must be >= 0, got {self.cycle}")
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


def check_count(name: str, value: object) -> None:
    """``value`` is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")


def as_float_array(name: str, value: object) -> np.ndarray:
    """A real, finite numeric array, or a TypeError/ValueError naming ``state.<name>``."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"state.{name} must be a real numeric array, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"state.{name} contains NaN or inf")
    return arr


def weights(name: str, value: object, shape: tuple[int, int]) -> np.ndarray:
    """Weights in [0, 1] broadcast (read-only view, no copy) to ``(n_units, n_inputs)``."""
    arr = as_float_array(name, value).astype(np.float64, copy=False)
    if np.any((arr < 0.0) | (arr > 1.0)):  # checked before broadcasting: no big temporaries
        raise ValueError(f"{name} values must lie in [0, 1]")
    try:
        return np.broadcast_to(arr, shape)
    except ValueError:
        raise ValueError(
            f"{name} of shape {arr.shape} does not broadcast to (n_units, n_inputs) = {shape}"
        ) from None
