"""The dynamic state of the canonical emergent model, carried from one call to the next."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..state import _as_float_array, _check_count
from .params import EmergentParams, derived_constants
from .reference import SYNAPSE_STATE, UNIT_STATE, sig, sig_inv

__all__ = ["EmergentState"]


@dataclass
class EmergentState:
    """State of ``n_units`` receiving units with ``n_inputs`` synapses each.

    Attributes
    ----------
    net, v_m, v_m_eq, act, act_nd, adapt : ndarray, shape (n_units,)
        Net input (time-averaged excitatory conductance before g_bar_e), membrane
        potential, equilibrium potential, activation, non-depressed activation,
        adaptation current.
    isi, isi_avg : ndarray, shape (n_units,)
        Cycles since the last spike (-1: none yet) and the running average
        inter-spike interval (-1: no spike yet, -2: one spike), as in Go emergent.
    avg_ss, avg_s, avg_m, avg_l : ndarray, shape (n_units,)
        Running averages of act_nd.
    gkna_f, gkna_m, gkna_s : ndarray, shape (n_units,)
        Fast, medium and slow Na-gated K conductances (KNa adaptation).
    fwt, wt : ndarray, shape (n_units, n_inputs)
        Linear (emergent's lwt) and sigmoidal effective weight of each synapse.
    cycle : int
        Cycles simulated so far (all calls together).
    """

    net: np.ndarray
    v_m: np.ndarray
    v_m_eq: np.ndarray
    act: np.ndarray
    act_nd: np.ndarray
    adapt: np.ndarray
    isi: np.ndarray
    isi_avg: np.ndarray
    avg_ss: np.ndarray
    avg_s: np.ndarray
    avg_m: np.ndarray
    avg_l: np.ndarray
    gkna_f: np.ndarray
    gkna_m: np.ndarray
    gkna_s: np.ndarray
    fwt: np.ndarray
    wt: np.ndarray
    cycle: int = 0

    @classmethod
    def initial(
        cls,
        params: EmergentParams,
        n_units: int,
        n_inputs: int,
        *,
        fwt: np.ndarray | float | None = None,
        wt: np.ndarray | float | None = None,
    ) -> EmergentState:
        """emergent's Init_Acts / InitWeights state.

        Weights: with neither given, ``fwt = params.fwt_init`` and ``wt = sig(fwt)``
        (or ``params.wt_init`` if set);
        with only ``wt``, ``fwt = sig_inv(wt)`` (emergent's way); with only
        ``fwt``, ``wt = sig(fwt)``; with both, as given.  Values must lie in [0, 1].
        """
        _check_count("n_units", n_units)
        _check_count("n_inputs", n_inputs)
        c = derived_constants(params, n_inputs)
        shape = (n_units, n_inputs)
        if fwt is None and wt is None:
            fwt_a = np.full(shape, params.fwt_init)
            if params.wt_init is None:
                wt_a = np.asarray(sig(fwt_a, c), dtype=np.float64).reshape(shape)
            else:
                wt_a = np.full(shape, params.wt_init)
        elif fwt is None:
            wt_a = _weights("wt", wt, shape)
            fwt_a = np.asarray(sig_inv(wt_a, c), dtype=np.float64).reshape(shape)
        elif wt is None:
            fwt_a = _weights("fwt", fwt, shape)
            wt_a = np.asarray(sig(fwt_a, c), dtype=np.float64).reshape(shape)
        else:
            fwt_a, wt_a = _weights("fwt", fwt, shape), _weights("wt", wt, shape)

        def full(v: float) -> np.ndarray:
            return np.full(n_units, float(v))

        return cls(
            net=full(params.init_net), v_m=full(params.init_v_m), v_m_eq=full(params.init_v_m),
            act=full(params.init_act), act_nd=full(params.init_act), adapt=full(0.0),
            isi=full(-1.0), isi_avg=full(-1.0),
            avg_ss=full(params.avg_init), avg_s=full(params.avg_init), avg_m=full(params.avg_init),
            avg_l=full(params.avg_l_init), gkna_f=full(0.0), gkna_m=full(0.0), gkna_s=full(0.0),
            fwt=np.array(fwt_a, order="C"), wt=np.array(wt_a, order="C"),
        )  # fmt: skip

    @property
    def n_units(self) -> int:
        return int(np.shape(self.v_m)[0])

    @property
    def n_inputs(self) -> int:
        return int(np.shape(self.fwt)[1])

    def copy(self) -> EmergentState:
        return self.packed()[0]

    def packed(self) -> tuple[EmergentState, np.ndarray, np.ndarray]:
        """A copy whose arrays are views of a unit block and a synapse block, for the kernels."""
        n_units, n_inputs = np.shape(self.fwt)
        unit_block = np.empty((len(UNIT_STATE), n_units))
        syn_block = np.empty((len(SYNAPSE_STATE), n_units, n_inputs))
        for k, name in enumerate(UNIT_STATE):
            unit_block[k] = getattr(self, name)
        for k, name in enumerate(SYNAPSE_STATE):
            syn_block[k] = getattr(self, name)
        views = {name: unit_block[k] for k, name in enumerate(UNIT_STATE)}
        views.update({name: syn_block[k] for k, name in enumerate(SYNAPSE_STATE)})
        return EmergentState(**views, cycle=int(self.cycle)), unit_block, syn_block

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

    def equals(self, other: EmergentState) -> bool:
        """Bit-for-bit equality of every variable."""
        return self.cycle == other.cycle and all(
            np.array_equal(getattr(self, n), getattr(other, n), equal_nan=True)
            for n in UNIT_STATE + SYNAPSE_STATE
        )


def _weights(name: str, value: object, shape: tuple[int, int]) -> np.ndarray:
    arr = _as_float_array(name, value).astype(np.float64)
    try:
        arr = np.broadcast_to(arr, shape)
    except ValueError:
        raise ValueError(
            f"{name} of shape {arr.shape} does not broadcast to (n_units, n_inputs) = {shape}"
        ) from None
    if np.any((arr < 0.0) | (arr > 1.0)):
        raise ValueError(f"{name} values must lie in [0, 1]")
    return np.array(arr, order="C")
