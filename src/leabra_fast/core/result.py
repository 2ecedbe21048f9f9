"""What a simulation hands back: traces by the notebook's names, the final state, diagnostics."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import export, saving

__all__ = ["SimulationResult", "load"]


@dataclass(eq=False)
class SimulationResult(Mapping[str, np.ndarray]):
    """Recorded traces and final state of one :func:`leabra_fast.simulate` call.

    Behaves as a read-only mapping from trace name to array:
    ``result["v_m"]`` has shape ``(n_recorded_cycles, n_rec_units)``,
    ``result["wt"]`` shape ``(n_recorded_cycles, n_rec_units, n_inputs)``.

    Attributes
    ----------
    traces : dict of str to ndarray
        The recorded traces (float64, C-contiguous).
    cycles : ndarray of int64
        Absolute cycle index (counted over all calls) of each recorded row.
    trial, cycle_in_trial : ndarray of int64
        Trial of this call's schedule, and position in the trial, of each row.
    units : ndarray of intp
        The recorded units, in column order of the traces.
    state : SeedState, EmergentState, ... (the model's state class)
        State after the last simulated cycle; pass it as ``state=`` to continue.
    spike_count : ndarray of int64, shape (n_units,)
        Spikes of every unit during this call (recorded or not).
    first_nonfinite : ndarray of int64, shape (n_units,)
        Absolute cycle at which a unit's dynamics first became NaN/inf
        (for example an overflow of the AdEx exponential), or -1.
    partial : bool
        True when the run stopped early (interrupted); ``cycles`` says how far
        recording got and ``state`` is the state at that point.
    schedules : dict of str to ndarray
        The call's validated schedules (``inputs``, ``su_avg_s_eff``,
        ``su_avg_m``, ``gc_i``), float64, with broadcast axes kept at length 1
        (not copied to full size); pass them back to ``simulate`` to rerun.

    A result can lend its trace memory to a later run with ``simulate(..., out=result)``:
    that run overwrites these traces (see :func:`leabra_fast.simulate`).
    """

    traces: dict[str, np.ndarray]
    cycles: np.ndarray
    trial: np.ndarray
    cycle_in_trial: np.ndarray
    units: np.ndarray
    state: Any  # the model's state class (a PackedState: SeedState, EmergentState, ...)
    spike_count: np.ndarray
    first_nonfinite: np.ndarray
    params: Any  # the model's parameter class (SeedParams, EmergentParams, ...)
    n_cycles: int
    n_trials: int
    record_every: int
    backend: str
    model: str = "seed"
    partial: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    schedules: dict[str, np.ndarray] = field(default_factory=dict)
    # The kernel's buffers, of which ``traces`` are views, kept so ``out=`` can reuse
    # them; None when the traces are copies (an interrupted, loaded or unpickled result).
    _buffers: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        # The buffers alias the traces: pickling both would store every value twice.
        return {**self.__dict__, "_buffers": None}

    # Mapping protocol: the traces by name.
    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.traces[name]
        except KeyError:
            raise KeyError(
                f"trace {name!r} was not recorded; recorded: {', '.join(self.traces) or 'none'}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.traces)

    def __len__(self) -> int:
        return len(self.traces)

    @property
    def ok(self) -> bool:
        """True when every unit's dynamics stayed finite."""
        return bool((self.first_nonfinite < 0).all())

    @property
    def n_units(self) -> int:
        return self.state.n_units

    @property
    def n_inputs(self) -> int:
        return self.state.n_inputs

    def summary(self) -> dict[str, Any]:
        """Spike counts and final weights, as plain Python values."""
        return {
            "model": self.model,
            "backend": self.backend,
            "n_units": self.n_units,
            "n_inputs": self.n_inputs,
            "n_trials": self.n_trials,
            "n_cycles_per_trial": self.n_cycles,
            "total_cycles": int(self.state.cycle),
            "spike_count": self.spike_count.tolist(),
            "total_spikes": int(self.spike_count.sum()),
            "final_fwt": self.state.fwt.tolist(),
            "final_wt": self.state.wt.tolist(),
            "ok": self.ok,
            "partial": self.partial,
        }

    # Thin front ends to leabra_fast.core.export and leabra_fast.core.saving.
    def to_xarray(self, names: str | list[str] | None = None) -> Any:
        """The traces as an ``xarray.Dataset``; see :func:`leabra_fast.core.export.to_xarray`."""
        return export.to_xarray(self, names)

    def to_dataframe(self, names: str | list[str] | None = None) -> Any:
        """The traces as a long pandas DataFrame: :func:`leabra_fast.core.export.to_dataframe`."""
        return export.to_dataframe(self, names)

    def save(self, path: Any, *, compress: bool = False) -> Any:
        """Write this result to a ``.npz`` file; read it back with :func:`leabra_fast.load`."""
        return saving.save(self, path, compress=compress)

    def __repr__(self) -> str:
        return (
            f"SimulationResult(model={self.model!r}, backend={self.backend!r}, "
            f"n_units={self.n_units}, n_inputs={self.n_inputs}, n_trials={self.n_trials}, "
            f"recorded={list(self.traces)}, rows={len(self.cycles)}, "
            f"spikes={int(self.spike_count.sum())}, ok={self.ok}, partial={self.partial})"
        )


def load(path: Any) -> SimulationResult:
    """Read a run written by ``result.save`` (:func:`leabra_fast.core.saving.save`).

    Parameters, state and traces come back as saved; the classes are found by the
    model's name through the registry, so files of earlier layouts load too.

    Raises
    ------
    ValueError
        Naming the file and what is wrong when it is not a leabra_fast saved
        run, is truncated or corrupt, or was written by a newer format.
    """
    return SimulationResult(**saving.read(path))
