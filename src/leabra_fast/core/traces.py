"""Which values to record, how much memory that takes, and the arrays they land in.

Each model names its traces (its ``unit_traces`` and ``synapse_traces`` in the
registry, in its kernel's slot order).  Unit values come back shaped
``(n_recorded_cycles, n_rec_units)``, synapse values
``(n_recorded_cycles, n_rec_units, n_inputs)``; all float64 and C-contiguous.
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .paramspec import MAX_COUNT
from .statebase import check_count

__all__ = [
    "DEFAULT_MAX_TRACE_BYTES",
    "BufferInUseError",
    "RecordPlan",
    "TraceBudgetError",
    "lease_buffers",
]

#: Default ceiling on the bytes of recorded traces (2 GiB); pass
#: ``max_trace_bytes`` to :func:`leabra_fast.simulate` to change it.
DEFAULT_MAX_TRACE_BYTES = 2 * 1024**3


class TraceBudgetError(ValueError):
    """Recording what was asked would need more memory than ``max_trace_bytes``."""


@dataclass(frozen=True)
class RecordPlan:
    """What one simulation records.

    Attributes
    ----------
    names : tuple of str
        Trace names to record, in the catalog's order.
    units : ndarray of intp
        Indices of the units recorded (sorted, unique).
    every : int
        Record cycle ``c`` (counted over all calls, from ``state.cycle``) when
        ``c % every == 0``.
    first_cycle, n_cycles : int
        The run covers absolute cycles ``first_cycle .. first_cycle + n_cycles - 1``.
    n_inputs : int
        Synapses per unit.
    unit_catalog, synapse_catalog : tuple of str
        The model's unit and synapse trace names, in kernel order.
    """

    names: tuple[str, ...]
    units: np.ndarray
    every: int
    first_cycle: int
    n_cycles: int
    n_inputs: int
    unit_catalog: tuple[str, ...]
    synapse_catalog: tuple[str, ...]

    @property
    def catalog(self) -> tuple[str, ...]:
        """All trace names of the model, unit traces first (the kernel's slot order)."""
        return self.unit_catalog + self.synapse_catalog

    @classmethod
    def build(
        cls,
        record: str | Iterable[str] | None,
        units: int | Sequence[int] | np.ndarray | slice | None,
        every: int,
        *,
        n_units: int,
        n_inputs: int,
        first_cycle: int,
        n_cycles: int,
        unit_catalog: tuple[str, ...],
        synapse_catalog: tuple[str, ...],
    ) -> RecordPlan:
        catalog = unit_catalog + synapse_catalog
        if isinstance(record, np.ndarray):  # an array of names (or a 0-d one: one name)
            record = record.tolist()
        if record is None:
            names: tuple[str, ...] = ()
        elif isinstance(record, str):
            names = catalog if record == "all" else (record,)
        else:
            if not isinstance(record, Iterable) or isinstance(record, bytes | dict):
                raise TypeError(
                    "record must be 'all', a trace name, a sequence of trace names or None, "
                    f"got {type(record).__name__}"
                )
            names = tuple(record)
            for n in names:
                if not isinstance(n, str):
                    raise TypeError(f"record must name traces by str, got {n!r}")
        if names is not catalog:  # "all" is the catalog, in order
            unknown = [n for n in names if n not in catalog]
            if unknown:
                raise ValueError(
                    f"unknown trace name(s) {unknown}; valid names are {', '.join(catalog)}"
                )
            names = tuple(n for n in catalog if n in names)
        every = check_count("record_every", every)
        first_cycle = check_count("state.cycle", first_cycle, low=0)
        if first_cycle + n_cycles > MAX_COUNT:
            raise ValueError(
                f"the run would end at absolute cycle {first_cycle + n_cycles} (state.cycle = "
                f"{first_cycle} plus n_trials * n_cycles = {n_cycles}), above the limit of 2**53: "
                "use fewer trials or cycles per trial"
            )
        return cls(
            names=names,
            units=_unit_indices(units, n_units),
            every=every,
            first_cycle=first_cycle,
            n_cycles=n_cycles,
            n_inputs=n_inputs,
            unit_catalog=tuple(unit_catalog),
            synapse_catalog=tuple(synapse_catalog),
        )

    # Derived from (names, catalogs) once per process: a notebook-sized run is short.
    @property
    def unit_names(self) -> tuple[str, ...]:
        return _layout(self.names, self.unit_catalog, self.synapse_catalog)[0]

    @property
    def synapse_names(self) -> tuple[str, ...]:
        return _layout(self.names, self.unit_catalog, self.synapse_catalog)[1]

    @property
    def rec_base(self) -> int:
        """``c // every - rec_base`` is the row of absolute cycle ``c``."""
        return -(-self.first_cycle // self.every)

    @property
    def n_records(self) -> int:
        """Number of recorded cycles in this run."""
        if not self.names:
            return 0
        last = self.first_cycle + self.n_cycles - 1
        return max(0, last // self.every - self.rec_base + 1)

    def recorded_cycles(self) -> np.ndarray:
        """Absolute cycle index of each recorded row."""
        base, every = self.rec_base * self.every, self.every
        return np.arange(base, base + self.n_records * every, every, dtype=np.int64)

    def nbytes(self) -> int:
        rows, n_units = self.n_records, len(self.units)
        per_row = len(self.unit_names) * n_units + len(self.synapse_names) * n_units * self.n_inputs
        return 8 * rows * per_row

    def check_budget(self, max_bytes: int) -> None:
        need = self.nbytes()
        if need > max_bytes:
            raise TraceBudgetError(
                f"recording {len(self.names)} trace(s) for {len(self.units)} unit(s) over "
                f"{self.n_records} cycle(s) needs {_human(need)}, above max_trace_bytes = "
                f"{_human(max_bytes)}. Record less: fewer names (record=[...]), fewer units "
                f"(units=[...]), every k-th cycle (record_every=k), or raise max_trace_bytes."
            )

    def buffer_shapes(self) -> tuple[tuple[int, int, int], tuple[int, int, int, int]]:
        """Shapes of the unit-trace and synapse-trace buffers (see :meth:`allocate`)."""
        rows, n_rec = self.n_records, len(self.units)
        return (
            (len(self.unit_names), rows, n_rec),
            (len(self.synapse_names), rows, n_rec, self.n_inputs),
        )

    def allocate(self) -> tuple[np.ndarray, np.ndarray]:
        """Two buffers the kernels fill: unit traces and synapse traces.

        ``unit_buf[k]`` is the trace ``unit_names[k]``, shape (rows, n_rec_units);
        ``syn_buf[k]`` the trace ``synapse_names[k]``, shape (rows, n_rec_units, n_inputs).
        Each ``buf[k]`` is C-contiguous.  The kernels write every entry of a
        completed run; a partial run is trimmed to the rows it wrote.
        """
        unit_shape, syn_shape = self.buffer_shapes()
        # Large buffers start on a cache line, so the kernel can stream them (a small
        # one is not streamed and skips the cost of aligning, a few us per call).
        big = 8 * (math.prod(unit_shape) + math.prod(syn_shape)) >= ALIGN_MIN_BYTES
        empty = aligned_empty if big else np.empty
        return empty(unit_shape), empty(syn_shape)

    def reuse(
        self, buffers: tuple[np.ndarray, np.ndarray], names: tuple[str, ...], reads: Iterable[Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        """``buffers`` (a previous run's, recording ``names``) checked to fit this plan.

        They must hold the same traces with the same shapes, and must not overlap any
        array in ``reads`` (what the run reads while it writes the traces).
        """
        had, want = tuple(b.shape for b in buffers), self.buffer_shapes()
        # An empty buffer (no trace of its kind) fits any empty buffer.
        if names != self.names or any(
            h != w and (math.prod(h) or math.prod(w)) for h, w in zip(had, want, strict=True)
        ):
            (u_had, s_had), (u_want, s_want) = had, want
            raise ValueError(
                "out= must record what this run records, to reuse its memory: "
                f"out holds {_describe(names, u_had[1:] + s_had[3:])}, this run records "
                f"{_describe(self.names, u_want[1:] + s_want[3:])}. Give the same record, "
                "units, record_every and number of cycles as the run that made out, or drop out="
            )
        for arr in reads:
            if any(np.may_share_memory(b, arr) for b in buffers):
                raise ValueError(
                    "out='s traces overlap an input schedule of this run, which the run "
                    "would overwrite while reading it; pass a copy of that schedule"
                )
        return (
            buffers[0] if math.prod(buffers[0].shape) else np.empty(want[0]),
            buffers[1] if math.prod(buffers[1].shape) else np.empty(want[1]),
        )

    def slots(self) -> np.ndarray:
        """For each name of the catalog, its index in its buffer, or -1 when not recorded."""
        return np.array(_layout(self.names, self.unit_catalog, self.synapse_catalog)[2], np.intp)

    def unit_rows(self, n_units: int) -> np.ndarray:
        """For each unit, its column in the trace arrays, or -1 when not recorded."""
        if self.names and len(self.units) == n_units:  # every unit (units are unique)
            return np.arange(n_units, dtype=np.intp)
        out = np.full(n_units, -1, dtype=np.intp)
        if self.names:
            out[self.units] = np.arange(len(self.units))
        return out


@functools.lru_cache(maxsize=64)
def _layout(
    names: tuple[str, ...], unit_catalog: tuple[str, ...], synapse_catalog: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
    """Unit names, synapse names, and each catalog name's slot in its buffer (-1: not recorded)."""
    unit_names = tuple(n for n in names if n in unit_catalog)
    synapse_names = tuple(n for n in names if n in synapse_catalog)
    slot = {n: k for k, n in enumerate(unit_names)} | {n: k for k, n in enumerate(synapse_names)}
    slots = tuple(slot.get(n, -1) for n in unit_catalog + synapse_catalog)
    return unit_names, synapse_names, slots


def _unit_indices(units: object, n_units: int) -> np.ndarray:
    """Sorted unique unit indices; an empty selection (``[]``, ``slice(0, 0)``) is refused."""
    if units is None:
        return np.arange(n_units, dtype=np.intp)
    if isinstance(units, slice):
        for part in ("start", "stop", "step"):
            v = getattr(units, part)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | np.integer)):
                raise TypeError(f"units: a slice's {part} must be an int or None, got {v!r}")
        if units.step == 0:
            raise ValueError("units: a slice's step cannot be zero")
        arr = np.arange(n_units, dtype=np.intp)[units]
        if arr.size == 0:
            raise ValueError(
                f"units = {units} selects no unit of n_units = {n_units}: name at least one "
                "unit to record, or record=None"
            )
        return np.unique(arr)
    if isinstance(units, np.ma.MaskedArray):
        raise TypeError("units is a masked array (numpy.ma); pass a plain array of indices")
    try:
        arr = np.asarray(units)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"units could not be read as indices: {exc}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.size == 0:
        raise ValueError("units is empty: name at least one unit to record, or record=None")
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        raise TypeError("units must be an int, a 1-D sequence of ints, a slice or None")
    if np.any((arr < -n_units) | (arr >= n_units)):
        raise ValueError(f"units out of range for n_units = {n_units}: {arr.tolist()}")
    return np.unique(np.where(arr < 0, arr + n_units, arr)).astype(np.intp)


def _describe(names: tuple[str, ...], shape: tuple[int, ...]) -> str:
    """``names`` over (rows, units[, inputs]), for error messages."""
    what = ", ".join(names) if len(names) <= 4 else f"{len(names)} traces"
    rows, units, *inputs = shape
    syn = f" x {inputs[0]} inputs" if inputs else ""
    return f"[{what or 'nothing'}] for {units} unit(s){syn} over {rows} recorded cycle(s)"


def _human(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


#: Alignment of trace buffers: one cache line, so the kernel can stream whole lines.
BUFFER_ALIGN = 64
#: Trace buffers from this size up are aligned (the kernel streams from 4 MiB up).
ALIGN_MIN_BYTES = 1 << 20


def aligned_empty(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised C-contiguous float64 array whose data start on a cache line."""
    n = math.prod(shape)
    raw = np.empty(n + BUFFER_ALIGN // 8)
    skip = (-raw.__array_interface__["data"][0] % BUFFER_ALIGN) // 8
    return raw[skip : skip + n].reshape(shape)


class BufferInUseError(RuntimeError):
    """Trace memory (``out=``) is being written by another run that has not finished."""


_LEASE_LOCK = threading.Lock()
_LEASED: set[int] = set()


@contextlib.contextmanager
def lease_buffers(*buffers: np.ndarray) -> Iterator[None]:
    """Hold ``buffers`` for one run: a second run writing the same memory is refused.

    ``simulate(..., out=result)`` from two threads at once would have both kernels
    write the same traces, each result then holding a mix of both runs.  The driver
    takes the lease around the kernel calls; a run that finds the memory leased
    raises :class:`BufferInUseError` naming ``out`` before writing anything.
    Fresh buffers are never contended, so the lease costs a lock and a set update.
    """
    keys = {b.__array_interface__["data"][0] for b in buffers if b.size}
    with _LEASE_LOCK:
        if keys & _LEASED:
            raise BufferInUseError(
                "out= is being written by another simulate() call that has not finished "
                "(another thread?); give each concurrent run its own out= result"
            )
        _LEASED.update(keys)
    try:
        yield
    finally:
        with _LEASE_LOCK:
            _LEASED.difference_update(keys)
