"""The seed notebook's spiking neuron and XCAL synapse (the default model, ``model="seed"``).

Parameters :class:`SeedParams`, state :class:`SeedState`, the NumPy oracle
:mod:`~leabra_fast.seed.reference`, the run glue :mod:`~leabra_fast.seed.simulation`
(which holds the one accessor of the compiled kernel), its figures
:mod:`~leabra_fast.seed.plot`, its run-file keys :mod:`~leabra_fast.seed.config`
and its ``leabra-fast seed`` command :mod:`~leabra_fast.seed.cli`.  Importing
this package registers the model with :mod:`leabra_fast.core.registry`.
Equations: ``docs/seed_model.md``.
"""

from __future__ import annotations

from ..core import registry
from . import simulation
from .cli import add_seed_command
from .config import SCHEDULE_KEYS, seed_params
from .params import SeedParams, derived_constants
from .reference import SYNAPSE_TRACES, TRACE_NAMES, UNIT_TRACES
from .state import SeedState

__all__ = [
    "NOTEBOOK_INPUT",
    "SYNAPSE_TRACES",
    "TRACE_NAMES",
    "UNIT_TRACES",
    "SeedParams",
    "SeedState",
    "derived_constants",
]

#: The notebook's input schedule: 20 trials, also its sender averages.
NOTEBOOK_INPUT = (0, 0, 1, 1, 1, 1, 0, 0, 0, 0.2, 0.2, 0.2, 0, 0, 0.5, 0.5, 0, 0, 0.3, 0)


SPEC = registry.register(
    registry.ModelSpec(
        name="seed",
        params_class=SeedParams,
        state_class=SeedState,
        default_params=lambda: simulation.DEFAULT_PARAMS,
        unit_traces=UNIT_TRACES,
        synapse_traces=SYNAPSE_TRACES,
        prepare=simulation.prepare,
        runner=simulation.runner,
        compiled_kernel=simulation.compiled_kernel,
        figures=registry.lazy_module(f"{__name__}.plot"),
        params_from_table=seed_params,
        schedule_keys=SCHEDULE_KEYS,
        required_schedule_keys=("inputs",),
        per_unit_schedule_keys=("gc_i",),
        add_cli=add_seed_command,
        nonfinite_hint="; the AdEx exponential may have overflowed",
        saved_schedules={
            "inputs": "synapse", "su_avg_s_eff": "synapse", "su_avg_m": "synapse",
            "gc_i": "unit",
        },
    )
)
