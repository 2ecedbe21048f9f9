"""Running per-unit parameters group by group: one kernel call per distinct parameter set.

A parameter set given per unit (see :func:`leabra_fast.core.paramspec.check_per_unit`)
can be run by grouping the units that share one set of values and calling the model's
kernel once per group, inside the one ``simulate`` call: the group's unit-indexed
arguments are gathered into contiguous arrays, run with the group's scalar constants,
and scattered back.  Units of these models do not interact, so each unit's bits are
those of a lone run with its parameter set.  The reference backends run this way, and
the emergent kernel when a set's units are scattered (runs of consecutive units, a
sweep's layout, go to it in one call with each set's constants as a row:
:func:`contiguous_bounds`).  The seed model's compiled kernel needs none of it: it
takes each unit's constants in one call (``run_seed(..., unit_consts)``).  In both
kernels a block of units of one set runs with scalar constants and a block of several
sets reads each lane's own.  With every field scalar nothing of this is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["combine_status", "contiguous_bounds", "run_groups", "take_units"]


def take_units(arr: np.ndarray, idx: np.ndarray, axis: int) -> np.ndarray:
    """``arr``'s entries for units ``idx`` along ``axis``: a view when the axis is broadcast."""
    if arr.strides[axis] == 0 or arr.shape[axis] == 1:
        index = [slice(None)] * arr.ndim
        index[axis] = slice(0, 1)
        view = arr[tuple(index)]
        shape = list(arr.shape)
        shape[axis] = idx.shape[0]
        return np.broadcast_to(view, tuple(shape))
    return np.ascontiguousarray(np.take(arr, idx, axis=axis))


def contiguous_bounds(groups: Sequence[np.ndarray], n_units: int) -> np.ndarray | None:
    """``[0, b1, ..., n_units]`` when each group is a run of consecutive units, else None.

    The groups in order of their first unit then tile the units; a kernel that takes
    per-group constants (the emergent one) runs them all in one call.
    """
    firsts = sorted(groups, key=lambda idx: int(idx[0]))
    bounds = [0]
    for idx in firsts:
        m = idx.shape[0]
        if int(idx[0]) != bounds[-1] or int(idx[-1]) != bounds[-1] + m - 1:
            return None
        if m > 2 and not bool(np.all(np.diff(idx) == 1)):
            return None
        bounds.append(bounds[-1] + m)
    if bounds[-1] != n_units:
        return None
    return np.asarray(bounds, dtype=np.intp)


def combine_status(a: int, b: int) -> int:
    """The worse of two kernel status codes (negative: refused; 1: non-finite; 0: ok)."""
    if a < 0 or b < 0:
        return min(a, b)
    return max(a, b)


def run_groups(
    run: Callable[..., Any],
    groups: Sequence[tuple[tuple[Any, ...], Any]],
    args: Sequence[Any],
    unit_axes: Mapping[int, int],
    written: Sequence[int],
) -> int:
    """Call ``run(*lead, *args')`` once per group; return the combined status.

    ``groups``: ``(lead, units)`` pairs, ``lead`` the arguments placed before ``args``
    (the group's constants).  ``args'`` is ``args`` with each position of ``unit_axes``
    replaced by its entries for ``units`` along that axis; the positions in
    ``written`` are copied back after the call (state, spike counts, records).
    """
    status = 0
    shared: dict[tuple[int, int], np.ndarray] = {}  # broadcast schedules, by (position, size)
    for lead, idx in groups:
        m = idx.shape[0]
        # One unit or a run of units: a slice (cheaper than a gather); else the indices.
        contiguous = m == 1 or (
            int(idx[-1]) - int(idx[0]) == m - 1 and bool(np.all(np.diff(idx) == 1))
        )
        sel: Any = slice(int(idx[0]), int(idx[0]) + m) if contiguous else idx
        local = list(args)
        for pos, axis in unit_axes.items():
            arr = args[pos]
            if pos not in written and (arr.strides[axis] == 0 or arr.shape[axis] == 1):
                key = (pos, m)
                if key not in shared:
                    shared[key] = take_units(arr, idx, axis)
                local[pos] = shared[key]
                continue
            index: list[Any] = [slice(None)] * arr.ndim
            index[axis] = sel
            local[pos] = np.ascontiguousarray(arr[tuple(index)])
        status = combine_status(status, int(run(*lead, *local)))
        for pos in written:
            index = [slice(None)] * args[pos].ndim
            index[unit_axes[pos]] = sel
            args[pos][tuple(index)] = local[pos]
    return status
