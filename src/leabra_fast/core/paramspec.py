"""What every model's parameter dataclass shares: field rules, validation and conversions.

A parameter is declared with :func:`param` (default, rule name, one-line doc);
:func:`check_fields` enforces the rules on construction, and
:class:`ParamsMixin` gives ``replace``, ``to_dict``, ``from_dict`` and
``describe``.  The models' dataclasses (``SeedParams``, ``EmergentParams``)
only declare their fields and their cross-field checks.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any, Self

import numpy as np

__all__ = ["RULES", "ParameterError", "ParamsMixin", "check_fields", "is_real", "param"]


class ParameterError(ValueError):
    """A parameter value is out of its valid range or of the wrong type."""


#: Numeric rules: what the error message says, and the check.
RULES: dict[str, tuple[str, Callable[[float], bool]]] = {
    "rate": ("a rate in (0, 1]", lambda v: 0.0 < v <= 1.0),
    "nonneg": ("a number >= 0", lambda v: v >= 0.0),
    "pos": ("a number > 0", lambda v: v > 0.0),
    "tau": ("a time constant >= 1 (cycles)", lambda v: v >= 1.0),
    "unit": ("a number in [0, 1]", lambda v: 0.0 <= v <= 1.0),
    "open_unit": ("a number in (0, 1)", lambda v: 0.0 < v < 1.0),
    "finite": ("a finite number", lambda v: True),
    "real": ("a number (may be +-inf)", lambda v: True),
}


def param(default: Any, rule: str, doc: str) -> Any:
    """A dataclass field with its validation rule and documentation."""
    return field(default=default, metadata={"rule": rule, "doc": doc})


def is_real(value: object) -> bool:
    """A real number (Python or NumPy), not a bool."""
    return not isinstance(value, bool) and isinstance(value, int | float | np.floating | np.integer)


def _is_int(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer)


def _check(obj: Any, name: str, value: Any, rule: str, choices: Mapping[str, tuple]) -> None:
    where = f"{type(obj).__name__}.{name}"
    if rule == "choice":
        if value not in choices[name]:
            raise ParameterError(f"{where} must be one of {choices[name]}, got {value!r}")
        return
    if rule == "bool":
        if not isinstance(value, bool):
            raise TypeError(f"{where} must be a bool, got {type(value).__name__}")
        return
    if rule in ("count", "count0"):
        if not _is_int(value):
            raise TypeError(f"{where} must be an int, got {type(value).__name__}")
        object.__setattr__(obj, name, int(value))
        low = 1 if rule == "count" else 0
        if value < low:
            raise ParameterError(f"{where} must be an int >= {low}, got {value}")
        return
    if rule.startswith("optional_"):
        if value is None:
            return
        rule = rule.removeprefix("optional_")
    if not is_real(value):
        raise TypeError(f"{where} must be a real number, got {type(value).__name__}")
    value = float(value)
    object.__setattr__(obj, name, value)  # frozen dataclass: store the float once
    what, ok = RULES[rule]
    if math.isnan(value) or (rule != "real" and math.isinf(value)) or not ok(value):
        raise ParameterError(f"{where} must be {what}, got {value!r}")


def check_fields(obj: Any, choices: Mapping[str, tuple] | None = None) -> None:
    """Validate (and normalise to float/int) every field of a parameter dataclass."""
    for f in dataclasses.fields(obj):
        _check(obj, f.name, getattr(obj, f.name), f.metadata["rule"], choices or {})


class ParamsMixin:
    """``replace``, ``to_dict``, ``from_dict`` and ``describe`` for a frozen parameter dataclass."""

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (validated like a new instance)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        if unknown:
            raise TypeError(f"{type(self).__name__} has no parameter(s) {sorted(unknown)}")
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def to_dict(self) -> dict[str, Any]:
        """All parameters by name."""
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Self:
        """Build from a mapping, rejecting unknown names with a clear message."""
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(values) - names)
        if unknown:
            raise ParameterError(f"unknown {cls.__name__} parameter(s): {', '.join(unknown)}")
        return cls(**values)

    @classmethod
    def describe(cls) -> dict[str, str]:
        """Each parameter's one-line description, by name."""
        return {f.name: f.metadata["doc"] for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
