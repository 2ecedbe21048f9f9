"""Input schedules: validation and broadcasting, done once in Python before any kernel runs.

A schedule gives one value per trial, held for all cycles of the trial, as the
notebook's ``neuron_input[trial]``.  Synapse schedules (``inputs``,
``su_avg_s_eff``, ``su_avg_m``) are 1-D ``(n_trials,)`` or 3-D
``(n_trials, n_units, n_inputs)`` with any of the last two axes of length 1;
``gc_i`` is a scalar, ``(n_trials,)`` or ``(n_trials, n_units)``.  Broadcasting
uses zero strides: a schedule shared by all units is never copied per unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .statebase import check_allocation, check_count, refuse_masked

__all__ = ["Schedules", "broadcast", "check_synapses", "prepare_schedules"]


@dataclass(frozen=True)
class Schedules:
    """Validated schedules, float64, at full shape (broadcast axes as zero-stride views).

    The kernels only read them.

    ``x``, ``su_avg_s_eff``, ``su_avg_m``: (n_trials, n_units, n_inputs);
    ``gc_i``: (n_trials, n_units).
    """

    x: np.ndarray
    su_avg_s_eff: np.ndarray
    su_avg_m: np.ndarray
    gc_i: np.ndarray

    @property
    def n_trials(self) -> int:
        return int(self.x.shape[0])

    @property
    def n_units(self) -> int:
        return int(self.x.shape[1])

    @property
    def n_inputs(self) -> int:
        return int(self.x.shape[2])

    def compact(self) -> dict[str, np.ndarray]:
        """The schedules without their broadcast axes, as C-contiguous arrays.

        Every axis after the trial axis that was broadcast (stride 0) is cut to
        length 1, so a schedule shared by all units costs ``n_trials`` values,
        not ``n_trials * n_units * n_inputs``.  Passing these arrays back to
        :func:`leabra_fast.simulate` gives the same schedules.  A float64 array
        given already compact and C-contiguous is not copied: the result then
        shares the caller's memory.
        """
        out = {}
        for name in ("x", "su_avg_s_eff", "su_avg_m", "gc_i"):
            arr = getattr(self, name)
            if arr.flags.writeable:  # not a broadcast_to view: nothing to cut
                out["inputs" if name == "x" else name] = np.ascontiguousarray(arr)
                continue
            broadcast = [
                axis > 0 and arr.strides[axis] == 0 and arr.shape[axis] > 1
                for axis in range(arr.ndim)
            ]
            if any(broadcast):
                arr = arr[tuple(slice(0, 1) if b else slice(None) for b in broadcast)]
            out["inputs" if name == "x" else name] = np.ascontiguousarray(arr)
        return out



_INT64 = 2**63


def _numeric(name: str, value: object, allow_nan: bool = False) -> np.ndarray:
    # A Python number, the common scalar (gc_i = 0.0), skips the array checks.
    if type(value) is float or (type(value) is int and -_INT64 <= value < _INT64):
        v = float(value)
        if math.isfinite(v) or (allow_nan and v != v):
            return np.array(v)
    refuse_masked(name, value)
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} could not be read as a numeric array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric (real), got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if allow_nan:
        if np.isinf(arr).any():
            bad = np.argwhere(np.isinf(arr))[0]
            raise ValueError(f"{name} contains inf (first at index {tuple(int(i) for i in bad)})")
        return arr
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(f"{name} contains NaN or inf (first at index {where})")
    return arr


def _synapse_schedule(
    name: str, value: object, n_trials: int | None, source: str = "inputs"
) -> np.ndarray:
    """``value`` as (n_trials, units or 1, inputs or 1); ``source`` set ``n_trials`` (messages)."""
    arr = _numeric(name, value)
    if arr.ndim == 0:
        if n_trials is None:
            raise ValueError(f"{name} must give one value per trial, got a scalar")
        return np.broadcast_to(arr, (n_trials, 1, 1))
    if arr.ndim == 1:
        arr = arr[:, None, None]
    elif arr.ndim == 2:
        # Refused, unlike gc_i's (n_trials, n_units): a synapse schedule has two axes
        # after the trials, so a table's columns could be receiving units or inputs.
        raise ValueError(
            f"{name} has 2-D shape {arr.shape}, which is ambiguous: its columns could be the "
            "receiving units (one value per unit, shared by its inputs) or the inputs (one "
            "value per input, shared by all units). Say which: x[:, :, None] for "
            "(n_trials, n_units, 1) or x[:, None, :] for (n_trials, 1, n_inputs) "
            "(x = np.asarray(table) for a DataFrame or a list of lists)"
        )
    elif arr.ndim != 3:
        raise ValueError(
            f"{name} must be 1-D (n_trials,) or 3-D (n_trials, n_units, n_inputs), got shape "
            f"{arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is an empty schedule: give at least one trial")
    if n_trials is not None and arr.shape[0] != n_trials:
        raise ValueError(f"{name} has {arr.shape[0]} trials, {source} has {n_trials}")
    return arr


def check_synapses(n_units: int, n_inputs: int) -> None:
    """Refuse sizes whose synapses alone exceed memory, before any array of that size is made.

    Every model keeps at least two values per synapse (fwt, wt), so this is a lower
    bound of the state; it runs before the schedules are broadcast to full size,
    where numpy would otherwise fail with "array is too big".
    """
    what = f"synapse state (n_units={n_units}, n_inputs={n_inputs})"
    check_allocation({what: (2, n_units, n_inputs)})


def _resolve(name: str, sizes: list[tuple[str, int]], given: int | None) -> int:
    """The common size along one axis: 1s broadcast, everything else must agree."""
    n = check_count(name, given) if given is not None else 1
    source = name
    for who, size in sizes:
        if size == 1 or size == n:
            continue
        if n == 1 and given is None:
            n, source = size, who
            continue
        raise ValueError(f"{name}: {who} has size {size} but {source} says {n}")
    return n


def prepare_schedules(
    inputs: object,
    su_avg_s_eff: object,
    su_avg_m: object,
    gc_i: object,
    *,
    n_units: int | None,
    n_inputs: int | None,
    state_shape: tuple[int, int] | None,
) -> Schedules:
    """Validate and broadcast all schedules to common (n_trials, n_units, n_inputs).

    ``su_avg_s_eff`` and ``su_avg_m`` default (``None``) to ``inputs``: the
    sending unit's running averages equal its activity, as in the notebook.
    ``state_shape`` is the (n_units, n_inputs) of a state passed in, if any.
    """
    x = _synapse_schedule("inputs", inputs, None)
    n_trials = x.shape[0]
    s_eff = x
    if su_avg_s_eff is not None:
        s_eff = _synapse_schedule("su_avg_s_eff", su_avg_s_eff, n_trials)
    s_m = x if su_avg_m is None else _synapse_schedule("su_avg_m", su_avg_m, n_trials)

    g = _numeric("gc_i", gc_i)
    if g.ndim == 0:  # a scalar: stored once per trial, as compact() would keep it
        value = float(g)
        if value < 0.0:
            raise ValueError("gc_i is a conductance and must be >= 0")
        g = np.full((n_trials, 1), value)
    else:
        if g.ndim == 1:
            g = g[:, None]
        elif g.ndim != 2:
            raise ValueError(
                f"gc_i must be a scalar, (n_trials,) or (n_trials, n_units), got {g.shape}"
            )
        if g.shape[0] != n_trials:
            raise ValueError(f"gc_i has {g.shape[0]} trials, inputs has {n_trials}")
        if (g < 0.0).any():
            raise ValueError("gc_i is a conductance and must be >= 0")

    arrays = {"inputs": x, "su_avg_s_eff": s_eff, "su_avg_m": s_m}
    unit_sizes = [(k, a.shape[1]) for k, a in arrays.items()] + [("gc_i", g.shape[1])]
    input_sizes = [(k, a.shape[2]) for k, a in arrays.items()]
    if state_shape is not None:
        unit_sizes.append(("state", state_shape[0]))
        input_sizes.append(("state", state_shape[1]))
    nu = _resolve("n_units", unit_sizes, n_units)
    ni = _resolve("n_inputs", input_sizes, n_inputs)
    check_synapses(nu, ni)
    if state_shape is not None and state_shape != (nu, ni):
        raise ValueError(
            f"state has (n_units, n_inputs) = {state_shape}, schedules need {(nu, ni)}"
        )

    full = (n_trials, nu, ni)
    return Schedules(
        x=broadcast(x, full),
        su_avg_s_eff=broadcast(s_eff, full),
        su_avg_m=broadcast(s_m, full),
        gc_i=broadcast(g, (n_trials, nu)),
    )


def broadcast(arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``arr`` broadcast to ``shape`` (zero strides, no copy); itself when it has that shape.

    The kernels only read schedules; skipping ``np.broadcast_to`` where it has nothing
    to do saves a few microseconds of a small run.
    """
    return arr if arr.shape == shape else np.broadcast_to(arr, shape)
