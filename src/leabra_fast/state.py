"""The dynamic state of the seed model: what one call leaves and the next one starts from."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .params import SeedParams

__all__ = ["SYNAPSE_STATE", "UNIT_STATE", "SeedState"]

#: Per-unit state variables carried from cycle to cycle (everything else is
#: recomputed from these each cycle).
UNIT_STATE = ("net", "v_m", "adapt", "avg_ss", "avg_s", "avg_m", "avg_l")
#: Per-synapse state variables.
SYNAPSE_STATE = ("fwt", "wt")


@dataclass
class SeedState:
    """State of ``n_units`` receiving units with ``n_inputs`` synapses each.

    Attributes
    ----------
    net, v_m, adapt, avg_ss, avg_s, avg_m, avg_l : ndarray, shape (n_units,)
        Unit variables, named as in the notebook.
    fwt, wt : ndarray, shape (n_units, n_inputs)
        Linear and contrast-enhanced weight of every synapse.
    cycle : int
        Cycles simulated so far (all calls together); recording every k-th
        cycle counts from here, so continued runs record the same cycles as
        one long run.
    """

    net: np.ndarray
    v_m: np.ndarray
    adapt: np.ndarray
    avg_ss: np.ndarray
    avg_s: np.ndarray
    avg_m: np.ndarray
    avg_l: np.ndarray
    fwt: np.ndarray
    wt: np.ndarray
    cycle: int = 0

    @classmethod
    def initial(
        cls,
        params: SeedParams,
        n_units: int,
        n_inputs: int,
        *,
        fwt: np.ndarray | float | None = None,
        wt: np.ndarray | float | None = None,
    ) -> SeedState:
        """The notebook's initial state: zeros, v_m = v_m_init, fwt = fwt_init, wt = wt_init.

        ``fwt`` and ``wt`` may be given per synapse (broadcastable to
        ``(n_units, n_inputs)``); values must lie in [0, 1].
        """
        _check_count("n_units", n_units)
        _check_count("n_inputs", n_inputs)
        zeros = lambda: np.zeros(n_units)  # noqa: E731
        state = cls(
            net=zeros(),
            v_m=np.full(n_units, params.v_m_init),
            adapt=zeros(),
            avg_ss=zeros(),
            avg_s=zeros(),
            avg_m=zeros(),
            avg_l=zeros(),
            fwt=_weights("fwt", params.fwt_init if fwt is None else fwt, n_units, n_inputs),
            wt=_weights("wt", params.wt_init if wt is None else wt, n_units, n_inputs),
        )
        return state

    @property
    def n_units(self) -> int:
        return int(self.v_m.shape[0])

    @property
    def n_inputs(self) -> int:
        return int(self.fwt.shape[1])

    def copy(self) -> SeedState:
        """A deep copy (float64 arrays)."""
        return self.packed()[0]

    def packed(self) -> tuple[SeedState, np.ndarray, np.ndarray]:
        """A copy whose arrays are views of two blocks, and the blocks, for the kernels.

        The unit block has shape ``(len(UNIT_STATE), n_units)``, the synapse block
        ``(2, n_units, n_inputs)`` (fwt, wt); both C-contiguous float64.  Writing
        into the blocks updates the returned state: no copy in or out.
        """
        n_units, n_inputs = np.shape(self.fwt)
        unit_block = np.empty((len(UNIT_STATE), n_units))
        syn_block = np.empty((len(SYNAPSE_STATE), n_units, n_inputs))
        for k, name in enumerate(UNIT_STATE):
            unit_block[k] = getattr(self, name)
        for k, name in enumerate(SYNAPSE_STATE):
            syn_block[k] = getattr(self, name)
        views = {name: unit_block[k] for k, name in enumerate(UNIT_STATE)}
        views.update({name: syn_block[k] for k, name in enumerate(SYNAPSE_STATE)})
        return SeedState(**views, cycle=int(self.cycle)), unit_block, syn_block

    def validate(self) -> None:
        """Check shapes, dtypes and finiteness; raise ValueError/TypeError naming the field."""
        if isinstance(self.cycle, bool) or not isinstance(self.cycle, int | np.integer):
            raise TypeError(f"state.cycle must be an int, got {type(self.cycle).__name__}")
        if self.cycle < 0:
            raise ValueError(f"state.cycle must be >= 0, got {self.cycle}")
        v_m = _as_float_array("v_m", self.v_m)
        if v_m.ndim != 1 or v_m.shape[0] < 1:
            raise ValueError(f"state.v_m must have shape (n_units,), got {v_m.shape}")
        n_units = v_m.shape[0]
        for name in UNIT_STATE:
            arr = _as_float_array(name, getattr(self, name))
            if arr.shape != (n_units,):
                raise ValueError(f"state.{name} must have shape ({n_units},), got {arr.shape}")
        fwt = _as_float_array("fwt", self.fwt)
        if fwt.ndim != 2 or fwt.shape[0] != n_units or fwt.shape[1] < 1:
            raise ValueError(f"state.fwt must have shape ({n_units}, n_inputs), got {fwt.shape}")
        wt = _as_float_array("wt", self.wt)
        if wt.shape != fwt.shape:
            raise ValueError(f"state.wt must have shape {fwt.shape}, got {wt.shape}")

    def to_dict(self) -> dict[str, np.ndarray | int]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def equals(self, other: SeedState) -> bool:
        """Bit-for-bit equality of every variable (NaNs compare equal to NaNs)."""
        return self.cycle == other.cycle and all(
            np.array_equal(getattr(self, n), getattr(other, n), equal_nan=True)
            for n in UNIT_STATE + SYNAPSE_STATE
        )


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")


def _as_float_array(name: str, value: object) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu" or arr.dtype.kind == "b":
        raise TypeError(f"state.{name} must be a real numeric array, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"state.{name} contains NaN or inf")
    return arr


def _weights(name: str, value: object, n_units: int, n_inputs: int) -> np.ndarray:
    arr = _as_float_array(name, value).astype(np.float64)
    try:
        arr = np.broadcast_to(arr, (n_units, n_inputs))
    except ValueError:
        raise ValueError(
            f"{name} of shape {arr.shape} does not broadcast to (n_units, n_inputs) = "
            f"({n_units}, {n_inputs})"
        ) from None
    if np.any((arr < 0.0) | (arr > 1.0)):
        raise ValueError(f"{name} values must lie in [0, 1]")
    return np.array(arr, order="C")
