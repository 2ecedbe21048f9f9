"""Run files for the seed model: its ``[params]`` table and schedule keys.

``[params]`` takes any :class:`~leabra_fast.SeedParams` field by its notebook
name, and ``sdc`` (see :meth:`SeedParams.from_sdc`); ``[schedule]`` takes ``inputs`` (required),
``su_avg_s_eff``, ``su_avg_m`` and ``gc_i``.  The file's layout:
:mod:`leabra_fast.core.config`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..core.config import suggest
from .params import SeedParams

__all__ = ["SCHEDULE_KEYS", "seed_params"]

SCHEDULE_KEYS = ("inputs", "su_avg_s_eff", "su_avg_m", "gc_i")


def seed_params(where: str, table: Mapping[str, Any], error: type[Exception]) -> SeedParams:
    """The ``[params]`` table as SeedParams; ``error`` (ConfigError) names key and file."""
    names = [f.name for f in dataclasses.fields(SeedParams)]
    values = dict(table)
    for key in values:
        if key not in names and key != "sdc":
            raise error(f"{where} unknown key {key!r}{suggest(key, [*names, 'sdc'])}")
    sdc = values.pop("sdc", None)
    # One key at a time first, so the message names the key at fault.
    base = SeedParams()
    for key, value in values.items():
        try:
            base.replace(**{key: value})
        except (ValueError, TypeError) as exc:
            raise error(f"{where} {key} = {value!r}: {exc}") from None
    try:
        return SeedParams(**values) if sdc is None else SeedParams.from_sdc(sdc, **values)
    except (ValueError, TypeError) as exc:
        raise error(f"{where} {exc}") from None
