"""What every model's parameter dataclass shares: field rules, validation and conversions.

A parameter is declared with :func:`param` (default, rule name, one-line doc);
:func:`check_fields` enforces the rules on construction, and
:class:`ParamsMixin` gives ``replace``, ``to_dict``, ``from_dict`` and
``describe``.  The models' dataclasses (``SeedParams``, ``EmergentParams``)
only declare their fields and their cross-field checks.
"""

from __future__ import annotations

import copy
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
    "check_per_unit",
    "check_unit_count",
    "is_real",
    "param",
    "suggest",
    "unit_groups",
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
    if isinstance(value, np.ndarray | list | tuple):
        _check_per_unit(obj, name, value, rule, choices)
        return
    _check_scalar(obj, name, value, rule, choices, f"{type(obj).__name__}.{name}")


class _Slot:
    """Where :func:`_check_scalar` stores one element's normalised value."""

    value: Any = None


def _check_per_unit(
    obj: Any, name: str, value: Any, rule: str, choices: Mapping[str, tuple]
) -> None:
    # A per-unit value: each element is checked as the scalar would be, its index named.
    where = f"{type(obj).__name__}.{name}"
    # (the shape of a float array is its own: no object copy before the fast path)
    one_d = isinstance(value, np.ndarray) and value.ndim == 1
    arr = value if one_d else np.asarray(value, dtype=object)
    if arr.ndim == 0:
        _check_scalar(obj, name, arr.item(), rule, choices, where)
        return
    if arr.ndim != 1 or arr.size == 0:
        raise ParameterError(
            f"{where} must be a scalar or a non-empty 1-D array over units, got shape {arr.shape}"
        )
    slot = _Slot()
    if isinstance(value, np.ndarray) and value.dtype == np.float64 and rule in RULES:
        # A float array (a sweep's column): each distinct value checked once; a bad one
        # is named at its first unit by the loop below.
        try:
            for v in np.unique(value).tolist():
                _check_scalar(slot, "value", v, rule, choices, where, name)
        except ParameterError:
            pass
        else:
            stored = value.copy()
            stored.setflags(write=False)
            object.__setattr__(obj, name, stored)
            return
    items = np.asarray(arr, dtype=object).tolist()
    checked: dict[Any, Any] = {}  # each distinct value is checked once, at its first unit
    keys = [(type(v), v.hex() if isinstance(v, float) else v) for v in items]  # -0.0 != 0.0
    for i, (v, key) in enumerate(zip(items, keys, strict=True)):
        if key not in checked:
            _check_scalar(slot, "value", v, rule, choices, f"{where}[unit {i}]", name)
            checked[key] = slot.value
    out = [checked[key] for key in keys]
    numeric = rule in RULES and all(isinstance(v, float) for v in out)
    stored = np.array(out, dtype=np.float64 if numeric else object)
    stored.setflags(write=False)
    object.__setattr__(obj, name, stored)


def _check_scalar(
    obj: Any,
    name: str,
    value: Any,
    rule: str,
    choices: Mapping[str, tuple],
    where: str,
    choice_key: str | None = None,
) -> None:
    if isinstance(value, np.generic) and rule in ("choice", "bool"):
        value = value.item()
    if rule == "choice":
        key = choice_key or name
        if value not in choices[key]:
            raise ParameterError(f"{where} must be one of {choices[key]}, got {value!r}")
        object.__setattr__(obj, name, value)
        return
    if rule == "bool":
        if not isinstance(value, bool):
            raise TypeError(f"{where} must be a bool, got {type(value).__name__}")
        object.__setattr__(obj, name, value)
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
            object.__setattr__(obj, name, value)
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
        """All parameters by name (per-unit values as lists, so the dict is JSON-ready)."""
        out = dataclasses.asdict(self)  # type: ignore[call-overload]
        return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in out.items()}

    @property
    def per_unit(self) -> dict[str, np.ndarray]:
        """The fields given per unit (1-D arrays), by name; empty when all are scalars."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if isinstance(getattr(self, f.name), np.ndarray)
        }

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


def check_per_unit(obj: Any, uniform: tuple[str, ...] = ()) -> bool:
    """Validate a parameter set with per-unit fields by its distinct scalar sets.

    Called by a model's ``__post_init__`` after :func:`check_fields`; returns False
    (nothing done) when every field is a scalar.  Otherwise the per-unit arrays must
    share one length, ``uniform`` fields (those that shape the run, such as the trial
    length) may not vary, and every distinct combination of values must pass the
    model's cross-field and derived-constant checks; an error names the first unit
    holding a bad combination.  A model with ``_check_combined_units(fields)`` (the same
    checks on all units at once, True when every unit passes) is checked that way; the
    scalar sets are then built only if :func:`unit_groups` asks for them.  Otherwise,
    or when that check finds a bad unit, each distinct combination is built as a
    scalar instance and checked (the error comes from there).
    """
    arrays = obj.per_unit
    if not arrays:
        return False
    cls = type(obj)
    fixed = sorted(set(arrays) & set(uniform))
    if fixed:
        raise ParameterError(
            f"{cls.__name__}.{fixed[0]} shapes the run and must be one value for all units"
        )
    sizes = {name: a.shape[0] for name, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise ParameterError(f"{cls.__name__}: per-unit fields differ in length: {sizes}")
    groups = UnitGroups(obj, arrays, next(iter(sizes.values())))
    vectorised = getattr(obj, "_check_combined_units", None)
    if vectorised is None or not vectorised({**vars_of(obj), **arrays}):
        groups.build(check=True)  # raises, naming the first unit of a bad set
    object.__setattr__(obj, "_unit_groups", groups)
    return True


class UnitGroups:
    """The units of a per-unit parameter set grouped by distinct values, built on demand.

    ``n_units``; ``groups``: ``[(scalar params, unit indices), ...]`` in order of each
    set's first unit.  ``obj[0]`` and ``obj[1]`` are the two, as the tuple this replaces.
    """

    def __init__(self, obj: Any, arrays: Mapping[str, np.ndarray], n_units: int) -> None:
        self.n_units = n_units
        self._obj = obj
        self._arrays = dict(arrays)
        self._groups: list[tuple[Any, np.ndarray]] | None = None

    def __getitem__(self, k: int) -> Any:
        return self.n_units if k == 0 else (self.n_units, self.groups)[k]

    @property
    def groups(self) -> list[tuple[Any, np.ndarray]]:
        if self._groups is None:
            self.build(check=False)
        assert self._groups is not None
        return self._groups

    def first(self) -> Any:
        """The parameter set of unit 0, as a scalar instance."""
        if self._groups is not None:
            return self._groups[0][0]
        obj = self._obj
        values = {name: a[0].item() for name, a in self._arrays.items()}
        return type(obj)(**{**vars_of(obj), **values})

    def build(self, check: bool) -> None:
        """Group the units by bits of their values and build each set as a scalar
        instance; ``check``: run the cross-field checks on each (else already done)."""
        obj, cls = self._obj, type(self._obj)
        names = list(self._arrays)
        columns = [a.tolist() for a in self._arrays.values()]
        # Keys by bits (float.hex), so 0.0 and -0.0 are distinct parameter sets.
        members: dict[tuple, list[int]] = {}
        for u in range(self.n_units):
            key = tuple(
                col[u].hex() if isinstance(col[u], float) else (type(col[u]).__name__, col[u])
                for col in columns
            )
            members.setdefault(key, []).append(u)
        base = {
            f.name: getattr(obj, f.name)
            for f in dataclasses.fields(obj)
            if f.name not in self._arrays
        }
        groups = []
        template = None
        for units in members.values():
            first = units[0]
            values = {name: col[first] for name, col in zip(names, columns, strict=True)}
            try:
                if template is None:  # the first set is built in full
                    scalar = template = cls(**base, **values)
                else:  # fields already valid element by element: only cross-field checks
                    scalar = copy.copy(template)
                    for name, value in values.items():
                        object.__setattr__(scalar, name, value)
                    if check:
                        scalar._check_combined()
            except (ParameterError, TypeError) as exc:
                raise type(exc)(f"unit {first}: {exc}") from None
            groups.append((scalar, np.asarray(units, dtype=np.intp)))
        self._groups = groups


def unit_groups(params: Any, n_units: int) -> list[tuple[Any, Any]]:
    """``[(scalar params, unit indices), ...]``: the units sharing each parameter set.

    ``[(params, None)]`` (all units, one set) when every field is a scalar.  Raises
    ValueError when the per-unit fields' length is not ``n_units``.
    """
    cached = getattr(params, "_unit_groups", None)
    if cached is None:
        return [(params, None)]
    check_unit_count(params, n_units)
    return list(cached.groups)


def check_unit_count(params: Any, n_units: int) -> None:
    """Raise ValueError when per-unit fields are given for another number of units."""
    cached = getattr(params, "_unit_groups", None)
    if cached is not None and cached.n_units != n_units:
        raise ValueError(
            f"params are given per unit for {cached.n_units} units, the run has "
            f"n_units = {n_units}"
        )
