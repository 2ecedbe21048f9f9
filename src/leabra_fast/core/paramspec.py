"""What every model's parameter dataclass shares: field rules, validation and conversions.

A parameter is declared with :func:`param` (default, rule name, one-line doc);
:func:`check_fields` enforces the rules on construction, and
:class:`ParamsMixin` gives ``replace``, ``to_dict``, ``from_dict`` and
``describe``.  The models' dataclasses (``SeedParams``, ``EmergentParams``)
only declare their fields and their cross-field checks.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import textwrap
import types
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any, Self, TypeVar

import numpy as np

__all__ = [
    "MAX_COUNT",
    "RULES",
    "ParamDocs",
    "ParameterError",
    "ParamsMixin",
    "check_derived",
    "check_fields",
    "is_real",
    "param",
    "suggest",
    "with_suggestions",
]

#: Largest count accepted anywhere (cycles, units, inputs, trials, record_every, chunk
#: sizes, cycle counters and the last absolute cycle of a run): 2**53.  Every such value
#: is then exact as a float64, and a sum or small multiple of two of them stays far
#: inside the int64 (``Py_ssize_t``) arithmetic of the kernels.  Products of counts are
#: bounded separately, by the memory they describe.
MAX_COUNT = 2**53


_T = TypeVar("_T", bound=type)


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
        if not low <= value <= MAX_COUNT:
            raise ParameterError(f"{where} must be an int in [{low}, 2**53], got {value}")
        return
    if rule.startswith("optional_"):
        if value is None:
            return
        rule = rule.removeprefix("optional_")
    if not is_real(value):
        raise TypeError(f"{where} must be a real number, got {type(value).__name__}")
    try:
        value = float(value)
    except OverflowError:  # a Python int beyond the float range
        raise ParameterError(
            f"{where} must be {RULES[rule][0]}, got an int too large for a float"
        ) from None
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
        _refuse_unknown(type(self), changes, TypeError)
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def to_dict(self) -> dict[str, Any]:
        """All parameters by name."""
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Self:
        """Build from a mapping, rejecting unknown names with a clear message."""
        if not isinstance(values, Mapping):
            raise TypeError(
                f"{cls.__name__}.from_dict needs a mapping, got {type(values).__name__}"
            )
        _refuse_unknown(cls, values, ParameterError)
        return cls(**values)

    @classmethod
    def describe(cls) -> ParamDocs:
        """Each parameter's one-line description, by name (a dict that prints one per line)."""
        return ParamDocs(
            {f.name: f.metadata["doc"] for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        )


class ParamDocs(dict[str, str]):
    """Parameter descriptions by name; printed (or shown in a REPL) as wrapped lines."""

    def __repr__(self) -> str:
        width = max((len(k) for k in self), default=0)
        lines = []
        for name, doc in self.items():
            wrapped = textwrap.wrap(doc, width=max(40, 96 - width)) or [""]
            lines.append(f"{name:<{width}}  {wrapped[0]}")
            lines += [" " * (width + 2) + more for more in wrapped[1:]]
        return "\n".join(lines)

    __str__ = __repr__


def suggest(name: str, valid: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest valid name, or ``""``."""
    close = difflib.get_close_matches(str(name), list(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _refuse_unknown(cls: type, given: Mapping[str, Any], error: type[Exception]) -> None:
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = [k for k in given if k not in names]
    if unknown:
        parts = [f"{k!r}{suggest(k, names)}" for k in unknown]
        noun = "parameter" if len(parts) == 1 else "parameters"
        raise error(f"{cls.__name__}: unknown {noun} {', '.join(parts)}")


def with_suggestions(cls: _T) -> _T:
    """Class decorator (outside ``@dataclass``): unknown keywords get a "did you mean" hint.

    The dataclass ``__init__`` would raise a bare "unexpected keyword argument"; this
    raises the same TypeError with the closest valid name, as the TOML loader does.
    """
    init = cls.__init__  # type: ignore[misc]

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if kwargs:
            _refuse_unknown(cls, kwargs, TypeError)
        init(self, *args, **kwargs)

    cls.__init__ = __init__  # type: ignore[misc]
    return cls


def check_derived(
    obj: Any, compute: Callable[[Any], Mapping[str, float]], allow_inf: tuple[str, ...] = ()
) -> None:
    """The constants a backend derives from ``obj`` are computable and finite.

    ``compute(params)`` is the model's ``derived_constants``.  Ranges checked field
    by field can still combine into a division by zero or an overflow (``integ`` of
    5e-324, ``sig_mult_pow`` of -1e300); this raises a :class:`ParameterError`
    naming the derived constant and the fields that cause it (those which, set back
    to their defaults, make it finite), instead of a raw ZeroDivisionError or
    OverflowError at run time.  ``allow_inf``: constants that may be +-inf (copies of
    fields whose rule allows it).
    """
    bad = _derived_problem(obj, compute, allow_inf)
    if bad is None:
        return
    cls = type(obj)
    defaults = cls()
    culprits = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        default = getattr(defaults, f.name)
        if value == default:
            continue
        trial = types.SimpleNamespace(**{**vars_of(obj), f.name: default})
        if _derived_problem(trial, compute, allow_inf) is None:
            culprits.append(f"{f.name}={value!r}")
    blame = f" (from {', '.join(culprits)})" if culprits else ""
    raise ParameterError(f"{cls.__name__}: these values make {bad}{blame}; choose others")


def vars_of(obj: Any) -> dict[str, Any]:
    """A dataclass instance's fields by name (a shallow view, unlike ``asdict``)."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _derived_problem(
    obj: Any, compute: Callable[[Any], Mapping[str, float]], allow_inf: tuple[str, ...]
) -> str | None:
    try:
        with np.errstate(all="ignore"):  # overflow is reported below, not warned about
            consts = compute(obj)
    except (ZeroDivisionError, OverflowError, ValueError, FloatingPointError) as exc:
        return f"a derived constant impossible to compute ({type(exc).__name__}: {exc})"
    for key, value in consts.items():
        if math.isnan(value) or (math.isinf(value) and key not in allow_inf):
            return f"the derived constant {key!r} = {value!r}, not a finite number"
    return None
