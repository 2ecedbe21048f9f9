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
import math
import os
import secrets
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import registry
from .paramspec import MAX_COUNT
from .statebase import human_bytes, memory_limit

__all__ = ["FORMAT_TAG", "FORMAT_VERSION", "LoadError", "read", "save"]

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
    fd, tmp = _create_temporary(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh, allow_pickle=False, **arrays)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new file next to ``path`` to write and rename, created as ``open`` would create it.

    Mode 0666 less the umask, like every other output (``mkstemp`` would make it
    0600, unreadable to colleagues on shared storage).  A missing folder is named.
    """
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise FileNotFoundError(f"cannot save {path}: the folder {folder} {what}")
    if path.is_dir():
        raise IsADirectoryError(f"cannot save {path}: it is a folder")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = str(folder / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue
    raise FileExistsError(  # pragma: no cover
        f"cannot save {path}: no free temporary name in {folder}"
    )


#: The largest ``meta`` or ``params`` JSON text read (they are a few KiB when saved).
MAX_JSON_BYTES = 64 * 1024**2


class LoadError(ValueError):
    """A file is not a leabra_fast saved run, or its contents are inconsistent."""


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The fields of the SimulationResult saved by :func:`save` (see :func:`leabra_fast.load`).

    Every member is checked before it is read (its ``.npy`` header: a plain,
    non-object dtype and a size within memory) and against the others after
    (shapes, dtypes, ranges of ``units`` and ``cycles``, the state, the
    parameters, the schedules), so a file that loads is one the simulator could
    have written.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        (:class:`LoadError`) naming the file, and the member when one is at fault,
        when it is not a leabra_fast saved run, is truncated or corrupt, holds
        inconsistent contents, or was written by a newer format.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise LoadError(
            f"{path}: not a readable leabra_fast saved run (not an .npz archive; truncated or "
            "corrupt file?). lf.load reads files written by result.save(); exports to CSV, "
            "netCDF or the like cannot be loaded back"
        )
    try:
        with zipfile.ZipFile(path) as zf:
            reader = _Reader(zf)
            return _read(path, reader)
    except _Bad as exc:
        raise LoadError(f"{path}: {exc}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
            TypeError, NotImplementedError, RuntimeError) as exc:  # fmt: skip
        # zipfile/np.lib.format raise these for a truncated zip, a corrupt member, bad bytes.
        raise LoadError(
            f"{path}: not a readable leabra_fast saved run (truncated or corrupt file?): "
            f"{type(exc).__name__}: {exc}"
        ) from None


class _Bad(Exception):
    pass


class _Reader:
    """The members of an ``.npz`` archive, each size-checked from its header before reading."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.members = {
            info.filename.removesuffix(".npy"): info
            for info in zf.infolist()
            if info.filename.endswith(".npy")
        }
        self.budget = memory_limit()

    def __contains__(self, name: str) -> bool:
        return name in self.members

    def read(self, name: str, max_bytes: int | None = None) -> np.ndarray:
        info = self.members[name]
        try:
            with self.zf.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, _fortran, dtype = np.lib.format.read_array_header_1_0(fh)
                elif version == (2, 0):
                    shape, _fortran, dtype = np.lib.format.read_array_header_2_0(fh)
                else:
                    raise _Bad(f"member {name!r}: unknown .npy version {version}")
                if dtype.hasobject or dtype.fields is not None:
                    raise _Bad(f"member {name!r} holds {dtype} values, not plain numbers or text")
                need = dtype.itemsize * math.prod(shape)
                cap = min(self.budget, max_bytes if max_bytes is not None else self.budget)
                if need > cap:
                    raise _Bad(
                        f"member {name!r} claims shape {shape} of {dtype}, {human_bytes(need)}, "
                        f"above the {human_bytes(cap)} a saved run may use; not read"
                    )
                self.budget -= need
        except _Bad:
            raise
        except (ValueError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
            raise _Bad(f"member {name!r} is corrupt: {type(exc).__name__}: {exc}") from None
        try:
            with self.zf.open(info) as fh:
                return np.asarray(np.lib.format.read_array(fh, allow_pickle=False))
        except (ValueError, EOFError, OSError, zlib.error, zipfile.BadZipFile) as exc:
            raise _Bad(f"member {name!r} is corrupt: {type(exc).__name__}: {exc}") from None

    def text(self, name: str) -> str:
        arr = self.read(name, MAX_JSON_BYTES)
        if arr.shape != () or arr.dtype.kind not in "US":
            raise _Bad(f"member {name!r} must be a text scalar, got {arr.dtype} {arr.shape}")
        value = arr[()]
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    def json(self, name: str, kind: type) -> Any:
        try:
            value = json.loads(self.text(name))
        except json.JSONDecodeError as exc:
            raise _Bad(f"member {name!r} is not valid JSON: {exc}") from None
        if not isinstance(value, kind):
            raise _Bad(f"member {name!r} must hold a JSON {kind.__name__}")
        return value


def _field(meta: dict[str, Any], key: str, check: Callable[[Any], bool], what: str) -> Any:
    if key not in meta:
        raise _Bad(f"meta has no {key!r}")
    value = meta[key]
    if not check(value):
        raise _Bad(f"meta[{key!r}] must be {what}, got {value!r:.80}")
    return value


def _equals(want: str) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and v == want


def _is_count(low: int) -> Callable[[Any], bool]:
    return lambda v: type(v) is int and low <= v <= MAX_COUNT


def _is_names(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(n, str) for n in v) and len(set(v)) == len(v)


def _read(path: Path, r: _Reader) -> dict[str, Any]:
    if "leabra_fast_format" not in r:
        raise _Bad("not a leabra_fast saved run (no 'leabra_fast_format' entry)")
    tag = r.text("leabra_fast_format")
    if tag != FORMAT_TAG:
        raise _Bad(f"not a leabra_fast saved run (format tag {tag!r:.80})")
    if "format_version" not in r:
        raise _Bad("entries missing: format_version")
    fmt_arr = r.read("format_version", 1024)
    if fmt_arr.shape != () or fmt_arr.dtype.kind not in "iu":
        raise _Bad(f"member 'format_version' must be an integer scalar, got {fmt_arr.dtype} "
                   f"{fmt_arr.shape}")  # fmt: skip
    fmt = int(fmt_arr[()])
    if fmt > FORMAT_VERSION:
        raise _Bad(
            f"written in layout version {fmt}; this leabra_fast ({_version()}) reads "
            f"up to {FORMAT_VERSION}: upgrade leabra-fast"
        )
    if fmt < 1:
        raise _Bad(f"member 'format_version' is {fmt}; layout versions start at 1")
    for name in ("meta", "params"):
        if name not in r:
            raise _Bad(f"entries missing: {name}")
    meta = r.json("meta", dict)
    params_dict = r.json("params", dict)

    # --- meta: every key, of its type --------------------------------------------
    # The model by its name, through the registry: its classes, traces and schedules.
    known = ", ".join(registry.names())
    model = _field(meta, "model", lambda v: registry.find(v) is not None,
                   f"one of the models this leabra_fast knows ({known})")  # fmt: skip
    spec = registry.get(model)
    _field(meta, "version", lambda v: isinstance(v, str), "a str")
    _field(meta, "backend", lambda v: v in ("cython", "python"), "'cython' or 'python'")
    n_cycles = _field(meta, "n_cycles", _is_count(1), "an int in [1, 2**53]")
    n_trials = _field(meta, "n_trials", _is_count(1), "an int in [1, 2**53]")
    every = _field(meta, "record_every", _is_count(1), "an int in [1, 2**53]")
    _field(meta, "partial", lambda v: isinstance(v, bool), "true or false")
    for key, cls in (("params", spec.params_class), ("state", spec.state_class)):
        want = cls.__name__
        _field(meta, f"{key}_class", _equals(want), f"{want!r} for model {model!r}")
    catalog = spec.trace_names
    traces_meta = _field(meta, "traces", _is_names, "a list of distinct trace names")
    unknown = [n for n in traces_meta if n not in catalog]
    if unknown:
        raise _Bad(f"meta['traces'] names unknown trace(s) {unknown} for model {model!r}")
    state_cls = spec.state_class
    want_fields = [f.name for f in dataclasses.fields(state_cls) if f.name != "cycle"]
    _field(meta, "state_fields", lambda v: v == want_fields, f"the {state_cls.__name__} fields")
    sched_names = _field(meta, "schedules", _is_names, "a list of distinct schedule names")
    odd = [n for n in sched_names if n not in spec.saved_schedules]
    if odd:
        raise _Bad(f"meta['schedules'] names unknown schedule(s) {odd} for model {model!r}")
    extra_meta = _field(meta, "extra", lambda v: isinstance(v, dict), "a JSON object")
    extra_arrays = meta.get("extra_arrays", [])
    if not _is_names(extra_arrays):
        raise _Bad("meta['extra_arrays'] must be a list of distinct names")

    needed = [f"trace/{n}" for n in traces_meta]
    needed += [f"state/{n}" for n in want_fields]
    needed += [f"schedule/{n}" for n in sched_names]
    needed += [f"extra/{n}" for n in extra_arrays]
    needed += ["cycles", "trial", "cycle_in_trial", "units", "spike_count",
               "first_nonfinite", "state/cycle"]  # fmt: skip
    missing = [n for n in needed if n not in r]
    if missing:
        raise _Bad(f"entries missing: {', '.join(missing)}")
    data = {n: r.read(n) for n in needed}

    # --- parameters and state ----------------------------------------------------
    try:
        params = spec.params_class.from_dict(params_dict)
    except (TypeError, ValueError) as exc:
        raise _Bad(f"saved parameters or state are invalid: member 'params': {exc}") from None
    cyc = data["state/cycle"]
    if cyc.shape != () or cyc.dtype.kind not in "iu":
        raise _Bad(f"member 'state/cycle' must be an integer scalar, got {cyc.dtype} {cyc.shape}")
    try:
        state = state_cls(**{n: np.array(data[f"state/{n}"]) for n in want_fields},
                          cycle=int(cyc[()]))  # fmt: skip
        state.validate()
    except (TypeError, ValueError) as exc:
        raise _Bad(f"saved parameters or state are invalid: {exc}") from None
    for name in want_fields:  # validate() accepts ints; the simulator saves float64
        arr = data[f"state/{name}"]
        if arr.dtype != np.float64:
            raise _Bad(f"member 'state/{name}' must be float64, got {arr.dtype}")
    n_units, n_inputs = state.n_units, state.n_inputs
    fixed = spec.cycles_per_trial(params) if spec.cycles_per_trial is not None else None
    if fixed is not None and n_cycles != fixed:
        raise _Bad(
            f"meta['n_cycles'] = {n_cycles} but the saved {type(params).__name__} give "
            f"{fixed} cycles per trial"
        )

    # --- recorded rows, units, traces ---------------------------------------------
    units = _ints(data, "units", 1)
    if units.size and (units.min() < 0 or units.max() >= n_units or np.any(np.diff(units) <= 0)):
        raise _Bad(f"member 'units' must be increasing unit indices in [0, {n_units}), got "
                   f"{units[:8].tolist()}")  # fmt: skip
    if traces_meta and units.size == 0:
        raise _Bad("member 'units' is empty but traces are recorded")
    cycles = _ints(data, "cycles", 1)
    rows = cycles.shape[0]
    for key in ("trial", "cycle_in_trial"):
        if data[key].shape != (rows,):
            raise _Bad(f"{key} has shape {data[key].shape}, expected ({rows},)")
    trial, in_trial = _ints(data, "trial", 1), _ints(data, "cycle_in_trial", 1)
    if rows:
        if (cycles.min() < 0 or cycles.max() >= state.cycle or np.any(np.diff(cycles) <= 0)
                or np.any(cycles % every)):  # fmt: skip
            raise _Bad(
                f"member 'cycles' must be increasing multiples of record_every = {every} "
                f"below state.cycle = {state.cycle}"
            )
        if trial.min() < 0 or trial.max() >= n_trials:
            raise _Bad(f"member 'trial' must lie in [0, n_trials = {n_trials})")
        if in_trial.min() < 0 or in_trial.max() >= n_cycles:
            raise _Bad(f"member 'cycle_in_trial' must lie in [0, n_cycles = {n_cycles})")
    n_rec = units.shape[0]
    traces = {}
    for name in traces_meta:
        arr = data[f"trace/{name}"]
        shape = (rows, n_rec) if name in spec.unit_traces else (rows, n_rec, n_inputs)
        if arr.shape != shape or arr.dtype != np.float64:
            raise _Bad(f"trace {name!r} has shape {arr.shape} ({arr.dtype}), expected {shape} "
                       "(float64) from 'cycles', 'units' and the state")  # fmt: skip
        traces[name] = np.ascontiguousarray(arr)
    spikes = _ints(data, "spike_count", 1)
    first_bad = _ints(data, "first_nonfinite", 1)
    for key, arr in (("spike_count", spikes), ("first_nonfinite", first_bad)):
        if arr.shape != (n_units,):
            raise _Bad(f"member {key!r} has shape {arr.shape}, expected ({n_units},)")
    if np.any(spikes < 0) or np.any(first_bad < -1):
        raise _Bad("member 'spike_count' or 'first_nonfinite' holds negative counts")

    # --- schedules ------------------------------------------------------------------
    schedules = {}
    for name in sched_names:
        arr = data[f"schedule/{name}"]
        kind = spec.saved_schedules[name]
        full: tuple[int, ...]
        if kind == "synapse":
            full = (n_trials, n_units, n_inputs)
        elif kind == "unit":
            full = (n_trials, n_units)
        else:
            full = (n_trials, n_cycles, n_units)
        ok = (
            arr.dtype == np.float64
            and arr.ndim == len(full)
            and arr.shape[0] == n_trials
            and all(a in (1, b) for a, b in zip(arr.shape[1:], full[1:], strict=True))
        )
        if not ok:
            raise _Bad(f"schedule {name!r} has shape {arr.shape} ({arr.dtype}), expected float64 "
                       f"{full} with length-1 axes allowed after the first")  # fmt: skip
        bad = np.isinf(arr) if kind == "cycle_unit_nan" else ~np.isfinite(arr)
        if np.any(bad):
            raise _Bad(f"schedule {name!r} holds NaN or inf")
        schedules[name] = arr

    extra = {**extra_meta, **{n: data[f"extra/{n}"] for n in extra_arrays}}
    extra["saved_by_version"] = meta["version"]
    return dict(
        traces=traces,
        cycles=cycles.astype(np.int64),
        trial=trial.astype(np.int64),
        cycle_in_trial=in_trial.astype(np.int64),
        units=units.astype(np.intp),
        state=state,
        spike_count=spikes.astype(np.int64),
        first_nonfinite=first_bad.astype(np.int64),
        params=params,
        n_cycles=n_cycles,
        n_trials=n_trials,
        record_every=every,
        backend=meta["backend"],
        model=model,
        partial=meta["partial"],
        extra=extra,
        schedules=schedules,
    )


def _ints(data: dict[str, np.ndarray], name: str, ndim: int) -> np.ndarray:
    arr = data[name]
    if arr.dtype.kind not in "iu" or arr.ndim != ndim:
        raise _Bad(f"member {name!r} must be a {ndim}-D integer array, got {arr.dtype} {arr.shape}")
    return arr
