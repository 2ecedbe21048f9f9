"""Hand results to xarray and pandas (optional dependencies: ``pip install "leabra-fast[export]"``).

``to_xarray`` keeps the arrays' structure: dimensions ``cycle``, ``unit``,
``input``; per-row coordinates ``trial`` and ``cycle_in_trial``.  ``to_dataframe``
is the long ("tidy") table, one row per recorded value::

    cycle  trial  cycle_in_trial  unit  input  variable  value

Unit traces (``v_m``, ``act``, ...) have no synapse: their ``input`` is -1,
so the column stays integer and ``df[df.input >= 0]`` selects synapse traces.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["TRACE_INFO", "to_dataframe", "to_xarray"]

# ``result`` below is a SimulationResult; this module does not import its class (result.py
# imports this one for its to_xarray/to_dataframe methods).

#: Each trace's description and unit, for labels and metadata: the Leabra variables
#: the models share (a name missing here is labelled by its name alone).
TRACE_INFO: dict[str, tuple[str, str]] = {
    "net": ("net input (time-averaged excitatory conductance)", "normalised conductance"),
    "net_raw": ("raw net input", "normalised conductance"),
    "v_m": ("membrane potential", "normalised potential"),
    "act": ("activation (spike)", "spike = 1"),
    "adapt": ("adaptation current", "normalised current"),
    "I_net": ("net current", "normalised current"),
    "act_nd": ("non-depressed activation", "spike = 1"),
    "avg_ss": ("super-short running average activation", "activation"),
    "avg_s": ("short running average activation", "activation"),
    "avg_m": ("medium running average activation", "activation"),
    "avg_l": ("long running average activation", "activation"),
    "avg_l_lrn": ("BCM learning weight", "dimensionless"),
    "avg_s_eff": ("effective short average (with m_in_s of avg_m)", "activation"),
    "dwt": ("weight change", "weight"),
    "srs": ("short-term sender-receiver co-product", "activation^2"),
    "srm": ("medium-term sender-receiver co-product", "activation^2"),
    "fwt": ("linear (fast) weight", "weight"),
    "wt": ("effective (contrast-enhanced) weight", "weight"),
    "XCAL": ("XCAL(srs, avg_l)", "activation^2"),
}


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"this export needs {module}, which is not installed: "
            f'pip install "leabra-fast[export]" (or pip install {module})'
        ) from None


def _names(result: Any, names: str | Iterable[str] | None) -> list[str]:
    if names is None:
        return list(result.traces)
    wanted = [names] if isinstance(names, str) else list(names)
    for n in wanted:
        result[n]  # KeyError naming the recorded traces
    return [n for n in result.traces if n in wanted]  # the model's trace order


def _attrs(result: Any) -> dict[str, Any]:
    from . import __version__

    return {
        "model": result.model,
        "backend": result.backend,
        "version": __version__,
        "params": json.dumps(result.params.to_dict(), sort_keys=True),
        "n_cycles": int(result.n_cycles),
        "n_trials": int(result.n_trials),
        "record_every": int(result.record_every),
        "partial": int(result.partial),
        "final_cycle": int(result.state.cycle),
    }


def to_xarray(result: Any, names: str | Iterable[str] | None = None) -> Any:
    """The recorded traces as an :class:`xarray.Dataset`.

    Dimensions ``cycle`` (recorded rows), ``unit`` (recorded units) and
    ``input``; coordinates ``cycle`` (absolute cycle), ``trial`` and
    ``cycle_in_trial`` (along ``cycle``), ``unit`` (model unit indices) and
    ``input``.  Data variables: the traces (unit traces on ``(cycle, unit)``,
    synapse traces on ``(cycle, unit, input)``) and ``spike_count`` and
    ``first_nonfinite`` of the recorded units.  Attributes: ``params`` (JSON
    text, so the dataset can be written to netCDF), ``backend``, ``model``,
    ``version`` and the run's sizes.  Values are not copied.
    """
    xr = _require("xarray")
    units = np.asarray(result.units)
    data_vars: dict[str, Any] = {}
    for name in _names(result, names):
        synapse = result.traces[name].ndim == 3
        dims = ("cycle", "unit", "input") if synapse else ("cycle", "unit")
        long_name, unit = TRACE_INFO.get(name, (name, ""))
        data_vars[name] = (dims, result.traces[name], {"long_name": long_name, "units": unit})
    data_vars["spike_count"] = (("unit",), np.asarray(result.spike_count)[units])
    data_vars["first_nonfinite"] = (("unit",), np.asarray(result.first_nonfinite)[units])
    coords = {
        "cycle": (
            "cycle",
            np.asarray(result.cycles),
            {"long_name": "absolute cycle", "units": "ms"},
        ),
        "trial": ("cycle", np.asarray(result.trial)),
        "cycle_in_trial": ("cycle", np.asarray(result.cycle_in_trial)),
        "unit": ("unit", units),
        "input": ("input", np.arange(result.n_inputs)),
    }
    return xr.Dataset(data_vars, coords=coords, attrs=_attrs(result))


def to_dataframe(result: Any, names: str | Iterable[str] | None = None) -> Any:
    """The recorded traces as a long :class:`pandas.DataFrame`, one row per value.

    Columns ``cycle, trial, cycle_in_trial, unit, input, variable, value``;
    ``input`` is -1 for unit traces; ``variable`` is categorical (trace names
    in :data:`leabra_fast.TRACE_NAMES` order).  Rows are ordered by variable,
    then cycle, unit, input.  ``df.attrs`` holds the same metadata as
    :func:`to_xarray`.  For a wide table of one unit, pivot:
    ``df[df.unit == 0].pivot_table(index="cycle", columns="variable", values="value")``.
    """
    pd = _require("pandas")
    names = _names(result, names)
    cycles = np.asarray(result.cycles, dtype=np.int64)
    trial = np.asarray(result.trial, dtype=np.int64)
    cit = np.asarray(result.cycle_in_trial, dtype=np.int64)
    units = np.asarray(result.units, dtype=np.int64)
    rows, n_rec, n_in = len(cycles), len(units), result.n_inputs
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("row", "unit", "input", "var", "value")}
    for k, name in enumerate(names):
        arr = result.traces[name]
        synapse = arr.ndim == 3  # (cycle, unit, input); unit traces are (cycle, unit)
        per_row = n_rec * n_in if synapse else n_rec
        parts["row"].append(np.repeat(np.arange(rows), per_row))
        if synapse:
            parts["unit"].append(np.tile(np.repeat(units, n_in), rows))
            parts["input"].append(np.tile(np.arange(n_in, dtype=np.int64), rows * n_rec))
        else:
            parts["unit"].append(np.tile(units, rows))
            parts["input"].append(np.full(rows * n_rec, -1, dtype=np.int64))
        parts["var"].append(np.full(rows * per_row, k, dtype=np.int16))
        parts["value"].append(np.asarray(arr, dtype=np.float64).reshape(-1))

    def cat(key: str, dtype: Any) -> np.ndarray:
        return np.concatenate(parts[key]) if parts[key] else np.empty(0, dtype=dtype)

    row = cat("row", np.int64)
    df = pd.DataFrame(
        {
            "cycle": cycles[row],
            "trial": trial[row],
            "cycle_in_trial": cit[row],
            "unit": cat("unit", np.int64),
            "input": cat("input", np.int64),
            "variable": pd.Categorical.from_codes(cat("var", np.int16), categories=names),
            "value": cat("value", np.float64),
        }
    )
    df.attrs.update(_attrs(result))
    return df
