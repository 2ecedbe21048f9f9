"""The canonical emergent Leabra unit and XCAL synapse, beside the seed model.

``leabra_fast.simulate(..., model="emergent", params=EmergentParams(...))`` runs
emergent's own equations (C++ emergent 8 defaults; :meth:`EmergentParams.go`
for Go emergent v1, :meth:`EmergentParams.neuron` for the CCN textbook's
single-neuron sim, :meth:`EmergentParams.seed` for the seed notebook's quirks).
Equations: ``docs/emergent_equations.md``; model notes: ``docs/emergent_model.md``.
Importing this package registers the model with :mod:`leabra_fast.core.registry`.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ..core import registry
from . import simulation
from .cli import add_emergent_demo
from .config import SCHEDULE_KEYS, UNIT_SCHEDULE_KEYS, emergent_params
from .params import EmergentParams, derived_constants
from .reference import SYNAPSE_TRACES, TRACE_NAMES, UNIT_TRACES
from .simulation import simulate_emergent
from .state import EmergentState

__all__ = [
    "SYNAPSE_TRACES",
    "TRACE_NAMES",
    "UNIT_TRACES",
    "EmergentParams",
    "EmergentState",
    "derived_constants",
    "neuron_demo",
    "neuron_demo_schedule",
    "simulate_emergent",
]


def neuron_demo_schedule(
    n_cycles: int = 200, on_cycle: int = 10, off_cycle: int = 160, ge: float = 1.0
) -> np.ndarray:
    """The textbook neuron's input: Ge = ``ge`` for ``on_cycle <= c < off_cycle``, else 0.

    Shape ``(1, n_cycles, 1)``: one trial, per cycle, one unit.
    """
    c = np.arange(n_cycles)
    return np.where((c >= on_cycle) & (c < off_cycle), float(ge), 0.0).reshape(1, n_cycles, 1)


def neuron_demo(
    mode: Literal["rate", "spike"] = "spike",
    adapt: bool = False,
    backend: Literal["cython", "python"] = "cython",
    kna: bool = False,
    **overrides: Any,
) -> Any:
    """Run the CCN textbook's single-neuron demo: 200 cycles, input on from cycle 10 to 160.

    ``adapt``: the AdEx adaptation current; ``kna``: KNa adaptation (the Go sim's default).
    """
    params = EmergentParams.neuron(mode, adapt=adapt, kna=kna, **overrides)
    return simulate_emergent(
        ge=neuron_demo_schedule(params.cycles_per_trial), params=params, backend=backend
    )


SPEC = registry.register(
    registry.ModelSpec(
        name="emergent",
        params_class=EmergentParams,
        state_class=EmergentState,
        default_params=lambda: simulation.DEFAULT_PARAMS,
        unit_traces=UNIT_TRACES,
        synapse_traces=SYNAPSE_TRACES,
        prepare=simulation.prepare,
        runner=simulation.runner,
        compiled_kernel=simulation.compiled_kernel,
        figures=registry.lazy_module(f"{__name__}.plot"),
        params_from_table=emergent_params,
        option_keys=("ge", "ext", "targ"),
        schedule_keys=SCHEDULE_KEYS,
        per_unit_schedule_keys=UNIT_SCHEDULE_KEYS,
        add_cli=add_emergent_demo,
        saved_schedules={
            "inputs": "synapse", "su_avg_s_eff": "synapse", "su_avg_m": "synapse",
            "ge": "cycle_unit", "gc_i": "cycle_unit",
            "ext": "cycle_unit_nan", "targ": "cycle_unit_nan",
        },
        cycles_per_trial=lambda params: params.cycles_per_trial,
    )
)
