"""Saved runs: one ``.npz`` file per :class:`~leabra_fast.SimulationResult`, no pickle.

Layout of the archive (every entry a plain NumPy array, readable with
``np.load(path, allow_pickle=False)`` by anyone, without leabra_fast):

==========================  ==================================================
``leabra_fast_format``      format tag ``"leabra_fast.run"`` (str)
``format_version``          integer layout version (this module writes 1)
``meta``                    JSON: version of leabra_fast, model, backend,
                            n_cycles, n_trials, record_every, partial, class
                            names of params and state, trace names, extra
``params``                  JSON of the parameters by name
``trace/<name>``            each recorded trace
``cycles``, ``trial``,      absolute cycle, trial and position in trial of
``cycle_in_trial``          each recorded row
``units``                   recorded units
``state/<name>``            final state variables; ``state/cycle`` its cycle
``schedule/<name>``         the call's schedules, compact (broadcast axes length 1)
``spike_count``,            diagnostics per unit
``first_nonfinite``
==========================  ==================================================
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMAT_TAG", "FORMAT_VERSION", "read", "save"]

# ``result`` below is a SimulationResult: result.py imports this module (for its ``save``
# method and ``load``), so this one does not import the class; ``read`` returns its fields.
_RESULT_FIELDS = ("traces", "state", "params", "cycles", "trial", "cycle_in_trial", "extra")

FORMAT_TAG = "leabra_fast.run"
FORMAT_VERSION = 1


def _version() -> str:
    from . import __version__

    return __version__


def _json_array(obj: Any) -> np.ndarray:
    return np.array(json.dumps(obj, sort_keys=True))


def save(result: Any, path: str | os.PathLike[str], *, compress: bool = False) -> Path:
    """Write ``result`` to ``path`` (a ``.npz`` file; the suffix is not added for you).

    The file is written to a temporary name next to ``path`` and renamed, so an
    existing file is never left half-overwritten.  ``compress=True`` uses zip
    deflate (smaller, slower).  ``result.extra`` must hold JSON-serialisable
    values or NumPy arrays.  Returns the path written.
    """
    if not all(hasattr(result, name) for name in _RESULT_FIELDS):
        raise TypeError(f"save needs a SimulationResult, got {type(result).__name__}")
    path = Path(path)
    # NumPy arrays in extra (e.g. the emergent model's phase records) are stored as arrays.
    extra_arrays = {k: v for k, v in result.extra.items() if isinstance(v, np.ndarray)}
    plain = {k: v for k, v in result.extra.items() if k not in extra_arrays}
    try:
        extra = json.loads(json.dumps(plain))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"result.extra must be JSON-serialisable to be saved: {exc}") from None
    state = result.state
    meta = {
        "version": _version(),
        "model": result.model,
        "backend": result.backend,
        "n_cycles": int(result.n_cycles),
        "n_trials": int(result.n_trials),
        "record_every": int(result.record_every),
        "partial": bool(result.partial),
        "params_class": type(result.params).__name__,
        "state_class": type(state).__name__,
        "traces": list(result.traces),
        "state_fields": [f.name for f in dataclasses.fields(state) if f.name != "cycle"],
        "schedules": list(result.schedules),
        "extra": extra,
        "extra_arrays": list(extra_arrays),
    }
    arrays: dict[str, np.ndarray] = {
        "leabra_fast_format": np.array(FORMAT_TAG),
        "format_version": np.array(FORMAT_VERSION),
        "meta": _json_array(meta),
        "params": _json_array(result.params.to_dict()),
        "cycles": np.asarray(result.cycles, dtype=np.int64),
        "trial": np.asarray(result.trial, dtype=np.int64),
        "cycle_in_trial": np.asarray(result.cycle_in_trial, dtype=np.int64),
        "units": np.asarray(result.units, dtype=np.int64),
        "spike_count": np.asarray(result.spike_count, dtype=np.int64),
        "first_nonfinite": np.asarray(result.first_nonfinite, dtype=np.int64),
        "state/cycle": np.array(int(state.cycle), dtype=np.int64),
    }
    for name, arr in result.traces.items():
        arrays[f"trace/{name}"] = np.asarray(arr)
    for name in meta["state_fields"]:
        arrays[f"state/{name}"] = np.asarray(getattr(state, name))
    for name, arr in result.schedules.items():
        arrays[f"schedule/{name}"] = np.asarray(arr)
    for name, arr in extra_arrays.items():
        arrays[f"extra/{name}"] = arr
    writer = np.savez_compressed if compress else np.savez
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh, allow_pickle=False, **arrays)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The fields of the SimulationResult saved by :func:`save` (see :func:`leabra_fast.load`).

    Raises
    ------
    ValueError
        Naming the file and what is wrong when it is not a leabra_fast saved
        run, is truncated or corrupt, or was written by a newer format.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            files = set(npz.files)
            if "leabra_fast_format" not in files:
                raise _Bad("not a leabra_fast saved run (no 'leabra_fast_format' entry)")
            tag = str(npz["leabra_fast_format"][()])
            if tag != FORMAT_TAG:
                raise _Bad(f"not a leabra_fast saved run (format tag {tag!r})")
            fmt = int(npz["format_version"][()])
            if fmt > FORMAT_VERSION:
                raise _Bad(
                    f"written in layout version {fmt}; this leabra_fast ({_version()}) reads "
                    f"up to {FORMAT_VERSION}: upgrade leabra-fast"
                )
            meta = json.loads(str(npz["meta"][()]))
            params_dict = json.loads(str(npz["params"][()]))
            needed = [f"trace/{n}" for n in meta["traces"]]
            needed += [f"state/{n}" for n in meta["state_fields"]]
            needed += [f"schedule/{n}" for n in meta["schedules"]]
            needed += [f"extra/{n}" for n in meta.get("extra_arrays", [])]
            needed += ["cycles", "trial", "cycle_in_trial", "units", "spike_count",
                       "first_nonfinite", "state/cycle"]  # fmt: skip
            missing = [n for n in needed if n not in files]
            if missing:
                raise _Bad(f"entries missing: {', '.join(missing)}")
            data = {n: npz[n] for n in needed}
    except _Bad as exc:
        raise ValueError(f"{path}: {exc}") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        # np.load raises these for a truncated zip, a corrupt member, random bytes.
        raise ValueError(
            f"{path}: not a readable leabra_fast saved run (truncated or corrupt file?): "
            f"{type(exc).__name__}: {exc}"
        ) from None
    return _build(path, meta, params_dict, data)


class _Bad(Exception):
    pass


def _build(
    path: Path, meta: dict[str, Any], params_dict: dict[str, Any], data: dict
) -> dict[str, Any]:
    from . import registry

    # Classes by the model's name (files store class names too, which may move or change).
    spec = registry.find(meta.get("model"))
    if spec is None:
        raise ValueError(
            f"{path}: unknown model {meta.get('model')!r} (saved by leabra-fast "
            f"{meta['version']}); this leabra_fast knows {', '.join(registry.names())}"
        )
    try:
        params = spec.params_class.from_dict(params_dict)
        state_fields = {n: np.array(data[f"state/{n}"]) for n in meta["state_fields"]}
        state = spec.state_class(**state_fields, cycle=int(data["state/cycle"]))
        state.validate()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: saved parameters or state are invalid: {exc}") from None
    traces = {n: np.ascontiguousarray(data[f"trace/{n}"]) for n in meta["traces"]}
    rows = len(data["cycles"])
    for name, arr in traces.items():
        if arr.shape[0] != rows or arr.dtype != np.float64:
            raise ValueError(f"{path}: trace {name!r} has shape {arr.shape}, expected {rows} rows")
    for key in ("trial", "cycle_in_trial"):
        if data[key].shape != (rows,):
            raise ValueError(f"{path}: {key} has shape {data[key].shape}, expected ({rows},)")
    return dict(
        traces=traces,
        cycles=data["cycles"],
        trial=data["trial"],
        cycle_in_trial=data["cycle_in_trial"],
        units=data["units"].astype(np.intp),
        state=state,
        spike_count=data["spike_count"],
        first_nonfinite=data["first_nonfinite"],
        params=params,
        n_cycles=int(meta["n_cycles"]),
        n_trials=int(meta["n_trials"]),
        record_every=int(meta["record_every"]),
        backend=str(meta["backend"]),
        model=str(meta["model"]),
        partial=bool(meta["partial"]),
        extra={
            **meta["extra"],
            **{n: data[f"extra/{n}"] for n in meta.get("extra_arrays", [])},
            "saved_by_version": meta["version"],
        },
        schedules={n: data[f"schedule/{n}"] for n in meta["schedules"]},
    )
