"""Network results to xarray and pandas (optional: ``pip install "leabra-fast[export]"``).

``to_xarray`` puts every layer's units on one ``unit`` dimension (the layers in network
order), labelled by the coordinates ``unit_layer`` (layer name) and ``unit_index`` (index
within the layer), so ``ds.act.sel(unit=ds.unit_layer == "Hidden")`` is one layer.  Cycle
variables are ``(trial, cycle, batch, unit)`` (the order of ``NetworkResult.cycles``),
trial variables ``(trial, batch, unit)``, layer statistics ``(trial, batch, layer)`` and the
weights of projection ``P`` are ``wt_P`` on ``(batch, P_recv, P_send)``.  ``cycle`` carries
``quarter`` (0-3) and ``phase`` ("minus" in quarters 0-2, "plus" in quarter 3).

``to_dataframe`` is the long table, one row per value::

    [epoch]  trial  cycle  batch  layer  unit  variable  value

with ``cycle`` -1 for values recorded once per trial and ``unit`` -1 for layer statistics
(``level="weights"``: ``[trial]  batch  prjn  recv  send  value``).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..core.export import _require
from .variables import LAYER_STATS, TRIAL_VARS

# ``result`` below is a NetworkResult; this module does not import its class (result.py
# imports this one for its to_xarray/to_dataframe methods).

__all__ = ["LEVELS", "to_dataframe", "to_xarray"]

#: ``to_dataframe`` levels.
LEVELS = ("all", "cycle", "trial", "stats", "weights")


_RESULT_FIELDS = ("cycles", "trials", "stats", "weights", "layer_info", "prjn_info", "cyc_per_qtr")


def _check(result: Any) -> Any:
    if not all(hasattr(result, f) for f in _RESULT_FIELDS):
        raise TypeError(f"result must be a NetworkResult, got {type(result).__name__}")
    if not result.layer_info:
        raise ValueError(
            "result has no layer_info (made by hand?): it is filled by Network.run and train"
        )
    if not result.stats or not next(iter(result.stats.values())):
        raise ValueError("result holds no trials (interrupted before the first one finished?)")
    return result


def _layers(result: Any) -> list[str]:
    return list(result.layer_info)


def _cycle_vars(result: Any) -> list[str]:
    first = result.cycles.get(_layers(result)[0], {})
    return list(first)


def _trial_vars(result: Any) -> list[str]:
    """The trial variables the result holds (all of ``TRIAL_VARS`` but after
    ``train(trial_vars=...)``)."""
    first = result.trials.get(_layers(result)[0], {})
    return [v for v in TRIAL_VARS if v in first]


def _n_cycles(result: Any) -> int:
    vs = _cycle_vars(result)
    return int(result.cycles[_layers(result)[0]][vs[0]].shape[1]) if vs else 0


def _n_batch(result: Any) -> int:
    return int(result.stats[_layers(result)[0]]["sse"].shape[1])


def _cat(result: Any, part: str, var: str) -> np.ndarray:
    d = getattr(result, part)
    return np.concatenate([d[ly][var] for ly in _layers(result)], axis=-1)


def _quarter_phase(result: Any, n_cycles: int) -> tuple[np.ndarray, np.ndarray]:
    quarter = np.arange(n_cycles, dtype=np.int64) // result.cyc_per_qtr
    return quarter, np.where(quarter < 3, "minus", "plus")


def _attrs(result: Any) -> dict[str, Any]:
    from ..core import __version__

    out: dict[str, Any] = {
        "version": __version__,
        "cyc_per_qtr": int(result.cyc_per_qtr),
        "n_trials": int(result.n_trials),
        "layers": json.dumps(
            {k: [kind, list(shape)] for k, (kind, shape) in result.layer_info.items()}
        ),
        "projections": json.dumps({k: list(v) for k, v in result.prjn_info.items()}),
    }
    for key in ("n_epochs", "partial"):
        if hasattr(result, key):
            out[key] = int(getattr(result, key))
    return out


def to_xarray(result: Any) -> Any:
    """A network result as an :class:`xarray.Dataset` (see the module docstring).

    Coordinates: ``trial`` (0..n_trials-1; with ``epoch`` and ``pattern`` along it for a
    :class:`~leabra_fast.network.TrainResult`), ``cycle`` with ``quarter`` and
    ``phase``, ``batch``, ``unit`` with ``unit_layer`` and ``unit_index``, ``layer`` with
    ``layer_kind``, and each projection's ``P_recv`` / ``P_send`` (unit indices within the
    receiving / sending layer).  Recorded per-trial weights are ``trial_wt_P`` on ``(trial,
    batch, P_recv, P_send)``.  Attributes hold the structure as JSON text (so the dataset
    can be written to netCDF).
    """
    xr = _require("xarray")
    res = _check(result)
    layers = _layers(res)
    n_trials, n_batch, n_cyc = res.n_trials, _n_batch(res), _n_cycles(res)
    sizes = [int(np.prod(res.layer_info[ly][1])) for ly in layers]
    coords: dict[str, Any] = {
        "trial": ("trial", np.arange(n_trials, dtype=np.int64)),
        "batch": ("batch", np.arange(n_batch, dtype=np.int64)),
        "unit": ("unit", np.arange(sum(sizes), dtype=np.int64)),
        "unit_layer": ("unit", np.repeat(np.array(layers, dtype=object), sizes).astype(str)),
        "unit_index": ("unit", np.concatenate([np.arange(n, dtype=np.int64) for n in sizes])),
        "layer": ("layer", np.array(layers, dtype=str)),
        "layer_kind": ("layer", np.array([res.layer_info[ly][0] for ly in layers], dtype=str)),
    }
    for key in ("epoch", "pattern"):
        if getattr(res, key, None) is not None and key in res.__dataclass_fields__:
            coords[key] = ("trial", np.asarray(getattr(res, key), dtype=np.int64))
    if n_cyc:
        quarter, phase = _quarter_phase(res, n_cyc)
        coords["cycle"] = ("cycle", np.arange(n_cyc, dtype=np.int64), {"units": "ms"})
        coords["quarter"] = ("cycle", quarter)
        coords["phase"] = ("cycle", phase)
    data: dict[str, Any] = {}
    for v in _cycle_vars(res):
        data[v] = (("trial", "cycle", "batch", "unit"), _cat(res, "cycles", v))
    for v in _trial_vars(res):
        data[v] = (("trial", "batch", "unit"), _cat(res, "trials", v))
    for s in LAYER_STATS:
        data[s] = (
            ("trial", "batch", "layer"),
            np.stack([res.stats[ly][s] for ly in layers], axis=-1),
        )
    for p, w in res.weights.items():
        send, recv = res.prjn_info[p]
        rd, sd = f"{p}_recv", f"{p}_send"
        coords[rd] = (rd, np.arange(w.shape[-2], dtype=np.int64))
        coords[sd] = (sd, np.arange(w.shape[-1], dtype=np.int64))
        attrs = {"send": send, "recv": recv, "long_name": f"weights {send} -> {recv}"}
        data[f"wt_{p}"] = (("batch", rd, sd), w, attrs)
        if p in res.trial_weights:
            data[f"trial_wt_{p}"] = (("trial", "batch", rd, sd), res.trial_weights[p], attrs)
    return xr.Dataset(data, coords=coords, attrs=_attrs(res))


def to_dataframe(result: Any, level: str = "all") -> Any:
    """A network result as a long :class:`pandas.DataFrame` (see the module docstring).

    ``level``: "cycle" (recorded cycle variables), "trial" (``TRIAL_VARS``, cycle -1),
    "stats" (layer statistics, cycle and unit -1), "all" (those three, in that order) or
    "weights" (final weights, or every trial's when "wt" was recorded).  ``variable`` and
    ``layer`` are categorical; ``df.attrs`` holds the structure as :func:`to_xarray`.
    Rows are ordered by variable, then layer, trial, cycle, batch, unit.
    """
    pd = _require("pandas")
    res = _check(result)
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    if level == "weights":
        return _weights_frame(pd, res)
    layers = _layers(res)
    epoch = getattr(res, "epoch", None) if "epoch" in res.__dataclass_fields__ else None
    cols: dict[str, list[np.ndarray]] = {
        k: [] for k in ("trial", "cycle", "batch", "layer", "unit", "variable", "value")
    }
    names: list[str] = []

    def add(var: str, li: int, arr: np.ndarray, has_cycle: bool, has_unit: bool) -> None:
        # arr is (trial, [cycle,] batch, [unit]) in C order
        shape = arr.shape
        n = arr.size
        idx = np.indices(shape).reshape(len(shape), n)
        k = 0
        cols["trial"].append(idx[k])
        k += 1
        if has_cycle:
            cols["cycle"].append(idx[k])
            k += 1
        else:
            cols["cycle"].append(np.full(n, -1, np.int64))
        cols["batch"].append(idx[k])
        k += 1
        cols["unit"].append(idx[k] if has_unit else np.full(n, -1, np.int64))
        cols["layer"].append(np.full(n, li, np.int16))
        if var not in names:
            names.append(var)
        cols["variable"].append(np.full(n, names.index(var), np.int16))
        cols["value"].append(np.asarray(arr, dtype=np.float64).reshape(-1))

    if level in ("all", "cycle"):
        for v in _cycle_vars(res):
            for li, ly in enumerate(layers):
                add(v, li, res.cycles[ly][v], True, True)
    if level in ("all", "trial"):
        for v in _trial_vars(res):
            for li, ly in enumerate(layers):
                add(v, li, res.trials[ly][v], False, True)
    if level in ("all", "stats"):
        for s in LAYER_STATS:
            for li, ly in enumerate(layers):
                add(s, li, res.stats[ly][s], False, False)

    def cat(key: str) -> np.ndarray:
        return np.concatenate(cols[key]) if cols[key] else np.empty(0, np.int64)

    trial = cat("trial").astype(np.int64)
    frame: dict[str, Any] = {}
    if epoch is not None:
        frame["epoch"] = np.asarray(epoch, dtype=np.int64)[trial]
    frame.update(
        {
            "trial": trial,
            "cycle": cat("cycle").astype(np.int64),
            "batch": cat("batch").astype(np.int64),
            "layer": pd.Categorical.from_codes(cat("layer").astype(np.int16), categories=layers),
            "unit": cat("unit").astype(np.int64),
            "variable": pd.Categorical.from_codes(
                cat("variable").astype(np.int16), categories=names
            ),
            "value": cat("value").astype(np.float64) if cols["value"] else np.empty(0),
        }
    )
    df = pd.DataFrame(frame)
    df.attrs.update(_attrs(res))
    return df


def _weights_frame(pd: Any, res: Any) -> Any:
    prjns = list(res.weights)
    per_trial = bool(res.trial_weights)
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("trial", "batch", "prjn", "recv", "send", "value")
    }
    for pi, p in enumerate(prjns):
        w = res.trial_weights[p] if per_trial else res.weights[p]
        idx = np.indices(w.shape).reshape(w.ndim, w.size)
        k = 0
        if per_trial:
            parts["trial"].append(idx[0])
            k = 1
        parts["batch"].append(idx[k])
        parts["recv"].append(idx[k + 1])
        parts["send"].append(idx[k + 2])
        parts["prjn"].append(np.full(w.size, pi, np.int16))
        parts["value"].append(np.asarray(w, dtype=np.float64).reshape(-1))

    def cat(key: str) -> np.ndarray:
        return np.concatenate(parts[key]) if parts[key] else np.empty(0, np.int64)

    frame: dict[str, Any] = {}
    if per_trial:
        frame["trial"] = cat("trial").astype(np.int64)
    frame.update(
        {
            "batch": cat("batch").astype(np.int64),
            "prjn": pd.Categorical.from_codes(cat("prjn").astype(np.int16), categories=prjns),
            "recv": cat("recv").astype(np.int64),
            "send": cat("send").astype(np.int64),
            "value": cat("value").astype(np.float64),
        }
    )
    df = pd.DataFrame(frame)
    df.attrs.update(_attrs(res))
    return df
