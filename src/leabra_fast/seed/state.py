"""The dynamic state of the seed model: what one call leaves and the next one starts from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core.statebase import PackedState, weights
from .params import SeedParams

__all__ = ["SYNAPSE_STATE", "UNIT_STATE", "SeedState"]

#: Per-unit state variables carried from cycle to cycle (everything else is
#: recomputed from these each cycle).
UNIT_STATE = ("net", "v_m", "adapt", "avg_ss", "avg_s", "avg_m", "avg_l")
#: Per-synapse state variables.
SYNAPSE_STATE = ("fwt", "wt")


@dataclass
class SeedState(PackedState):
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

    UNIT_STATE: ClassVar[tuple[str, ...]] = UNIT_STATE
    SYNAPSE_STATE: ClassVar[tuple[str, ...]] = SYNAPSE_STATE

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
        return cls.initial_packed(params, n_units, n_inputs, fwt=fwt, wt=wt)[0]

    @classmethod
    def initial_packed(
        cls,
        params: SeedParams,
        n_units: int,
        n_inputs: int,
        *,
        fwt: np.ndarray | float | None = None,
        wt: np.ndarray | float | None = None,
    ) -> tuple[SeedState, np.ndarray, np.ndarray]:
        """:meth:`initial` written straight into the kernels' blocks (see :meth:`packed`).

        Same result as ``SeedState.initial(...).packed()`` without the second
        copy of the state, which matters at millions of synapses.
        """
        cls.check_size(n_units, n_inputs)  # counts, and memory before allocating
        # Defaults come from validated params: no array checks needed (the common case).
        shape = (n_units, n_inputs)
        fwt_v = params.fwt_init if fwt is None else weights("fwt", fwt, shape)
        wt_v = params.wt_init if wt is None else weights("wt", wt, shape)
        unit_block = np.zeros((len(UNIT_STATE), n_units))
        unit_block[UNIT_STATE.index("v_m")] = params.v_m_init
        syn_block = np.empty((len(SYNAPSE_STATE), n_units, n_inputs))
        syn_block[0] = fwt_v
        syn_block[1] = wt_v
        return cls.from_blocks(unit_block, syn_block), unit_block, syn_block
