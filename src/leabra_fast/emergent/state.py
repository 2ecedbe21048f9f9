"""The dynamic state of the canonical emergent model, carried from one call to the next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core.statebase import PackedState, weights
from .params import EmergentParams, derived_constants
from .reference import SYNAPSE_STATE, UNIT_STATE, sig, sig_inv

__all__ = ["EmergentState"]


@dataclass
class EmergentState(PackedState):
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

    UNIT_STATE: ClassVar[tuple[str, ...]] = UNIT_STATE
    SYNAPSE_STATE: ClassVar[tuple[str, ...]] = SYNAPSE_STATE

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
        # Counts, and memory before allocating: this state, and the driver's packed copy.
        cls.check_size(n_units, n_inputs, copies=2)
        c = derived_constants(params, n_inputs)
        shape = (n_units, n_inputs)
        if fwt is None and wt is None:
            fwt_a = np.full(shape, params.fwt_init)
            if params.wt_init is None:
                wt_a = np.asarray(sig(fwt_a, c), dtype=np.float64).reshape(shape)
            else:
                wt_a = np.full(shape, params.wt_init)
        elif fwt is None:
            wt_a = weights("wt", wt, shape)
            fwt_a = np.asarray(sig_inv(wt_a, c), dtype=np.float64).reshape(shape)
        elif wt is None:
            fwt_a = weights("fwt", fwt, shape)
            wt_a = np.asarray(sig(fwt_a, c), dtype=np.float64).reshape(shape)
        else:
            fwt_a, wt_a = weights("fwt", fwt, shape), weights("wt", wt, shape)

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
