"""Run files for the emergent model: the ``[params]`` table and the schedule keys.

``leabra-fast run --config FILE`` runs the canonical emergent model when the
``[run]`` table says ``model = "emergent"`` (``[run]`` holds the options of
:func:`leabra_fast.simulate`, and ``model`` is one of them)::

    [params]            # a preset, then any EmergentParams field by emergent's name
    preset = "neuron"   # "emergent" (C++ 8, default), "emergent81", "go", "neuron", "seed"
    act_fun = "rate"
    kna_on = true

    [schedule]          # all optional: inputs, su_avg_s_eff, su_avg_m, ge, gc_i, ext, targ
    ge = "ge.npy"       # (n_trials, n_cycles, n_units): the drive of each cycle
    ext = [nan, 0.5]    # hard clamp per trial; nan = free

    [run]
    model = "emergent"
    record = "all"

Values are checked one key at a time against :class:`EmergentParams` on top of
the preset, so the message names the key at fault.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..core.config import suggest
from .params import EmergentParams

__all__ = ["PRESETS", "SCHEDULE_KEYS", "UNIT_SCHEDULE_KEYS", "emergent_params"]

#: ``preset`` values and the constructors they name.
PRESETS = {
    "emergent": EmergentParams.emergent,
    "emergent81": EmergentParams.emergent81,
    "go": EmergentParams.go,
    "neuron": EmergentParams.neuron,
    "seed": EmergentParams.seed,
}
#: Per-unit, per-cycle schedules (a scalar, per trial, (n_trials, n_units) or per cycle).
UNIT_SCHEDULE_KEYS = ("ge", "gc_i", "ext", "targ")
#: Every schedule key of the emergent model (none required).
SCHEDULE_KEYS = ("inputs", "su_avg_s_eff", "su_avg_m", *UNIT_SCHEDULE_KEYS)


def emergent_params(
    where: str, table: Mapping[str, Any], error: type[Exception]
) -> EmergentParams:
    """The ``[params]`` table as EmergentParams; ``error`` (ConfigError) names key and file."""
    names = [f.name for f in dataclasses.fields(EmergentParams)]
    values = dict(table)
    for key in values:
        if key not in names and key != "preset":
            raise error(f"{where} unknown key {key!r}{suggest(key, [*names, 'preset'])}")
    preset = values.pop("preset", "emergent")
    if not isinstance(preset, str) or preset not in PRESETS:
        raise error(f"{where} preset = {preset!r}: choose one of {', '.join(map(repr, PRESETS))}")
    make = PRESETS[preset]
    base = make()
    for key, value in values.items():  # one at a time: the message names the key
        try:
            base.replace(**{key: value})
        except (ValueError, TypeError) as exc:
            raise error(f"{where} {key} = {value!r}: {exc}") from None
    try:
        return make(**values)
    except (ValueError, TypeError) as exc:
        raise error(f"{where} {exc}") from None
