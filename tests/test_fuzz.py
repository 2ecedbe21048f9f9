"""Fuzzing: bad and extreme input gets a clean error naming its cause, or a correct run.

Hypothesis generates hostile input for both models and both backends:
``simulate``'s arguments one at a time, parameter fields, corrupted saved runs
(``lf.load``, then continuing from the loaded state) and TOML run files
(``load_config``).  Every case must end in a result, or in an error of an
expected type (TypeError or ValueError, including ParameterError,
TraceBudgetError, TooLargeError, ConfigError and LoadError) whose message names
the argument, field or file at fault; never a raw OverflowError, MemoryError,
ZeroDivisionError, KeyError, or a message about ``ssize_t``, pickles or an
"internal error".

The cases run in-process.  A case that corrupts memory crashes the interpreter;
pytest's faulthandler (checked below) then prints the crashing case's stack and
the run fails loudly.  Runs are kept short: counts are drawn either small or far
beyond any memory (so they are refused before allocating), traces are capped at
16 MiB, and a progress callback stops any run after a few seconds.

The default is a bounded, reproducible slice for CI (a few hundred examples,
derandomised, well under a minute); ``LEABRA_FAST_FUZZ_EXAMPLES=N`` runs ``N``
random examples per test instead.
"""

from __future__ import annotations

import dataclasses
import faulthandler
import io
import json
import math
import os
import time
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leabra_fast as lf
from leabra_fast.core.config import ConfigError, load_config
from leabra_fast.emergent import EmergentParams

_N = int(os.environ.get("LEABRA_FAST_FUZZ_EXAMPLES", "0") or 0)


def fuzz(default: int) -> settings:
    """``default`` derandomised examples (CI), or ``LEABRA_FAST_FUZZ_EXAMPLES`` random ones."""
    return settings(
        max_examples=_N or default,
        deadline=None,
        derandomize=not _N,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


BACKENDS = ("cython", "python")
MODELS = ("seed", "emergent")
#: Words that must never appear in an error a user sees.
RAW = ("ssize_t", "pickle", "internal error", "float infinity to integer", "C long")
MAX_TRACE = 2**24  # 16 MiB of traces at most per fuzzed run
SECONDS = 3.0  # a fuzzed run is stopped after this long


def test_faulthandler_guards_the_in_process_cases():
    # A crash in a kernel must print its stack and fail the run, not vanish silently.
    assert faulthandler.is_enabled()


def _stopper():
    start = time.monotonic()

    def progress(done: int, total: int) -> None:
        if time.monotonic() - start > SECONDS:
            raise KeyboardInterrupt

    return progress


def _check_error(exc: BaseException, names: tuple[str, ...]) -> None:
    """``exc`` is a clean, expected error whose message names one of ``names``."""
    msg = str(exc)
    assert isinstance(exc, TypeError | ValueError), f"{type(exc).__name__}: {msg}"
    assert not any(word in msg for word in RAW), msg
    if isinstance(exc, lf.TraceBudgetError):  # says what to record less of
        return
    assert any(n in msg for n in names), f"message does not name {names}: {msg}"


# --- values ----------------------------------------------------------------------
HUGE_INTS = [2**31, 2**53, 2**53 + 1, 2**62, 2**63 - 1, 2**63, 2**64, 10**30, 10**400]
INTS = st.one_of(
    st.integers(-3, 40),
    st.integers(2**40, 2**70),
    st.integers(-(2**70), -(2**40)),
    st.sampled_from([*HUGE_INTS, -2 ** 63, -2 ** 64]),
    st.sampled_from([np.int64(2**62), np.uint64(2**64 - 1), np.int32(-1), np.int8(3)]),
)
FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -0.0, 1e-300]),
)
OTHERS = st.sampled_from(
    [None, True, False, "3", "all", b"x", [], [[]], [[1, 2], [3]], {}, {"a": 1}, 1j, (1, 2),
     slice(0, 3, 0), slice(0, 0), slice(None, None, -1), slice(0.5, 2)]
)  # fmt: skip


@st.composite
def arrays(draw):
    """Small arrays of awkward shapes, dtypes and values (masked ones too)."""
    shape = draw(st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple))
    dtype = draw(st.sampled_from(["f8", "f4", "i8", "u8", "bool", "c16", "U1", "O", "f2"]))
    n = math.prod(shape)
    base = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, -1.0, 2.0, math.nan, math.inf, 1e300]),
                         min_size=n, max_size=n))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            arr = np.array(base, dtype=np.float64).astype(dtype).reshape(shape)
        except (ValueError, OverflowError):
            arr = np.zeros(shape, dtype=dtype)
    if draw(st.booleans()) and arr.size and dtype != "O":
        arr = np.ma.array(arr, mask=np.zeros(arr.shape, dtype=bool))
    if draw(st.booleans()):
        return arr.tolist()
    return arr


BAD = st.one_of(INTS, FLOATS, OTHERS, arrays())

# Each simulate argument, and the words an error about it may use.
SIM_ARGS = {
    "inputs": ("inputs",),
    "su_avg_s_eff": ("su_avg_s_eff",),
    "su_avg_m": ("su_avg_m",),
    "gc_i": ("gc_i",),
    "n_cycles": ("n_cycles",),
    "n_units": ("n_units",),
    "n_inputs": ("n_inputs",),
    "fwt": ("fwt",),
    "wt": ("wt",),
    "record": ("record", "trace name"),
    "units": ("units",),
    "record_every": ("record_every",),
    "max_trace_bytes": ("max_trace_bytes",),
    "on_nonfinite": ("on_nonfinite",),
    "chunk_cycles": ("chunk_cycles",),
    "n_threads": ("n_threads",),
    "backend": ("backend",),
    "state": ("state",),
    "params": ("params",),
    "out": ("out",),
}
EMERGENT_ARGS = {"ge": ("ge",), "ext": ("ext",), "targ": ("targ",)}


def _base(model: str, backend: str) -> dict:
    kw = dict(inputs=[1.0, 0.5, 0.0], backend=backend, n_units=2, n_inputs=2, model=model,
              on_nonfinite="ignore", max_trace_bytes=MAX_TRACE, progress=_stopper())  # fmt: skip
    if model == "seed":
        kw["n_cycles"] = 20
    return kw


@fuzz(250)
@given(
    model=st.sampled_from(MODELS),
    backend=st.sampled_from(BACKENDS),
    arg=st.sampled_from(sorted(SIM_ARGS) + sorted(EMERGENT_ARGS)),
    value=BAD,
)
def test_simulate_arguments(model, backend, arg, value):
    kw = _base(model, backend)
    if arg in EMERGENT_ARGS and model == "seed":
        model = kw["model"] = "emergent"
        kw.pop("n_cycles", None)
    kw[arg] = value
    names = {**SIM_ARGS, **EMERGENT_ARGS}[arg]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = lf.simulate(**kw)
        except (TypeError, ValueError) as exc:
            _check_error(exc, names)
            return
    # Accepted: the run is whole (or stopped by the time guard) and self-consistent.
    assert isinstance(res, lf.SimulationResult)
    assert res.state.cycle == res.n_trials * res.n_cycles or res.partial
    for name, trace in res.traces.items():
        assert trace.shape[0] == res.cycles.shape[0], name


@fuzz(150)
@given(
    model=st.sampled_from(MODELS),
    backend=st.sampled_from(BACKENDS),
    data=st.data(),
)
def test_state_fields(model, backend, data):
    kw = _base(model, backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state = lf.simulate(**{**kw, "record": None}).state
    field = data.draw(st.sampled_from([f.name for f in dataclasses.fields(state)]))
    value = data.draw(INTS if field == "cycle" else st.one_of(BAD, st.just("transpose")))
    if isinstance(value, str) and value == "transpose":  # right values, odd layout
        value = np.asfortranarray(getattr(state, field).T).T[..., ::1]
    setattr(state, field, value)
    kw.pop("n_units"), kw.pop("n_inputs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = lf.simulate(**{**kw, "state": state, "record_every": 2})
        except (TypeError, ValueError) as exc:
            _check_error(exc, ("state", "absolute cycle"))
            return
    assert res.state.cycle > state.cycle or res.partial


# --- parameters ---------------------------------------------------------------------
def _fields(cls):
    return [f for f in dataclasses.fields(cls) if f.metadata["rule"] not in ("choice",)]


@st.composite
def param_changes(draw, cls):
    fields = _fields(cls)
    picked = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3,
                           unique_by=lambda f: f.name))  # fmt: skip
    changes = {}
    for f in picked:
        rule = f.metadata["rule"]
        if rule in ("count", "count0"):
            value = draw(st.one_of(INTS, FLOATS))
        elif rule == "bool":
            value = draw(st.one_of(st.booleans(), INTS))
        else:
            value = draw(st.one_of(FLOATS, INTS, st.sampled_from([0, 1, 2, 0.5, 1e-12, 3.3])))
        changes[f.name] = value
    return changes


@fuzz(150)
@given(
    model=st.sampled_from(MODELS),
    backend=st.sampled_from(BACKENDS),
    data=st.data(),
    table=st.booleans(),
)
def test_params_fields(model, backend, data, table):
    cls = lf.SeedParams if model == "seed" else EmergentParams
    changes = data.draw(param_changes(cls))
    if model == "emergent" and table:
        changes["nxx1"] = "table"
    try:
        p = cls(**changes)
    except (TypeError, ValueError) as exc:
        _check_error(exc, tuple(changes))
        return
    kw = _base(model, backend)
    kw.pop("n_cycles", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = lf.simulate(**{**kw, "params": p, "inputs": [1.0]})
        except (TypeError, ValueError) as exc:
            # Only the size of the run may be refused (a very long trial).
            _check_error(exc, ("n_cycles", "cyc_per_qtr", "n_quarters", "absolute cycle"))
            return
    assert res.state.cycle > 0


# --- saved runs ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """One small saved run of each model, as bytes."""
    out = {}
    folder = tmp_path_factory.mktemp("saved")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seed = lf.simulate([1.0, 0.3], n_cycles=10, n_units=3, n_inputs=2, units=[0, 2],
                           record_every=3)  # fmt: skip
        emergent = lf.simulate([1.0, 0.0], n_units=2, n_inputs=2, model="emergent",
                               record=["v_m", "wt"], record_every=7)  # fmt: skip
    for name, res in (("seed", seed), ("emergent", emergent)):
        out[name] = res.save(folder / f"{name}.npz").read_bytes()
    return out


def _members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _npy(arr) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asanyarray(arr), allow_pickle=True)
    return buf.getvalue()


def _npy_claiming(shape, descr="<f8") -> bytes:
    """A .npy header claiming ``shape`` followed by a few bytes: a size lie."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_2_0(
        buf, {"descr": descr, "fortran_order": False, "shape": tuple(shape)}
    )
    return buf.getvalue() + b"\0" * 64


JSON_VALUES = st.one_of(
    st.sampled_from([None, -1, 0, 1, 2**53 + 1, 2**63, 10**400, 1.5, math.inf, math.nan, "x",
                     "SeedParams", "EmergentParams", "EmergentState", "emergent", "seed", [],
                     ["v_m", "v_m"], ["nope"], {}, True, False]),
    st.integers(),
    st.text(max_size=5),
)  # fmt: skip


@st.composite
def corruptions(draw, blob: bytes):
    """A saved run with one corruption: bytes, a member, a size lie or the meta JSON."""
    kind = draw(st.sampled_from(["truncate", "flip", "member", "claim", "meta", "drop"]))
    if kind == "truncate":
        return blob[: draw(st.integers(0, len(blob) - 1))]
    if kind == "flip":
        data = bytearray(blob)
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
        return bytes(data)
    members = _members(blob)
    names = sorted(members)
    target = draw(st.sampled_from([*names, "trace/act.npy", "extra/x.npy"]))
    if kind == "drop":
        members.pop(target, None)
    elif kind == "claim":
        shape = draw(st.sampled_from([(10**12,), (2**40, 2**40), (2**31, 3), (5,), (0,)]))
        descr = draw(st.sampled_from(["<f8", "<i8", "|u1", "<U100000000"]))
        members[target] = _npy_claiming(shape, descr)
    elif kind == "member":
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            old = np.load(io.BytesIO(zf.read(target))) if target in zf.namelist() else np.zeros(2)
        choice = draw(st.sampled_from(["bad", "reshape", "shift", "scale", "dtype", "cycle"]))
        if choice == "bad":
            new = draw(arrays())
        elif choice == "reshape":
            new = old.reshape(-1) if old.ndim != 1 else old.reshape(1, -1)
        elif choice == "shift" and old.dtype.kind in "iuf":
            new = old + draw(st.sampled_from([1, -1, 0.5, 2**40, -(2**40)]))
        elif choice == "scale" and old.dtype.kind in "f":
            new = old * draw(st.sampled_from([1e300, -1.0, math.nan, 0.0]))
        elif choice == "dtype" and old.dtype.kind in "iuf":
            new = old.astype(draw(st.sampled_from(["f4", "i4", "u8", "c16", "bool"])))
        else:  # a cycle counter near the int64 limit: the old crash
            new = np.array(draw(st.sampled_from([2**53, 2**62, 2**63 - 1, -1])), dtype=np.int64)
        members[target] = _npy(new)
    else:  # meta
        meta = json.loads(str(np.load(io.BytesIO(members["meta.npy"]))[()]))
        key = draw(st.sampled_from([*sorted(meta), "nonsense"]))
        if draw(st.booleans()):
            meta.pop(key, None)
        else:
            meta[key] = draw(JSON_VALUES)
        members["meta.npy"] = _npy(np.array(json.dumps(meta)))
    return _zip(members)


def _continue(res: lf.SimulationResult, backend: str) -> None:
    """Continue from a loaded run, recording sparsely on two threads (the old crash path)."""
    kw = dict(state=res.state, params=res.params, backend=backend, record_every=3,
              n_threads=2, on_nonfinite="ignore", max_trace_bytes=MAX_TRACE,
              progress=_stopper(), model=res.model)  # fmt: skip
    if res.model == "seed":
        kw["n_cycles"] = res.n_cycles
    try:
        lf.simulate([0.5], **kw)
    except (TypeError, ValueError) as exc:
        _check_error(exc, ("state", "cycle", "n_cycles"))


@fuzz(200)
@given(model=st.sampled_from(MODELS), backend=st.sampled_from(BACKENDS), data=st.data())
def test_load_corrupted_files(saved, tmp_path_factory, model, backend, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # casts of NaN while corrupting
        blob = data.draw(corruptions(saved[model]))
    path = tmp_path_factory.mktemp("bad") / "run.npz"
    path.write_bytes(blob)
    try:
        res = lf.load(path)
    except (TypeError, ValueError) as exc:
        _check_error(exc, (str(path),))
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _continue(res, backend)


def test_load_refuses_a_size_lie_before_reading(saved, tmp_path):
    members = _members(saved["seed"])
    members["trace/v_m.npy"] = _npy_claiming((10**12,))
    path = tmp_path / "lie.npz"
    path.write_bytes(_zip(members))
    with pytest.raises(ValueError, match=r"lie\.npz: member 'trace/v_m' claims shape"):
        lf.load(path)


# --- run files -----------------------------------------------------------------------
def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)  # fmt: skip
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(_toml(v) for v in value) + "]"


TOML_SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 1, 3, -1, 2**53 + 1, 2**62]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(["all", "v_m", "cython", "python", "emergent", "seed", "x.npy", "nope"]),
)
TOML_VALUES = st.one_of(
    TOML_SCALARS,
    st.lists(TOML_SCALARS, max_size=4),
    st.lists(st.lists(TOML_SCALARS, max_size=3), max_size=3),
)
SEED_FIELDS = [f.name for f in dataclasses.fields(lf.SeedParams)] + ["sdc", "lrat"]
EMERGENT_FIELDS = [f.name for f in dataclasses.fields(EmergentParams)] + ["preset", "gbar"]
SCHEDULE_KEYS = ["inputs", "su_avg_s_eff", "su_avg_m", "gc_i", "ge", "ext", "targ", "input"]
RUN_KEYS = ["n_cycles", "n_units", "n_inputs", "record", "units", "record_every", "backend",
            "n_threads", "model", "n_cycle"]  # fmt: skip


@fuzz(150)
@given(data=st.data(), model=st.sampled_from(MODELS))
def test_run_files(tmp_path_factory, data, model):
    fields = SEED_FIELDS if model == "seed" else EMERGENT_FIELDS
    tables = {
        "params": data.draw(st.dictionaries(st.sampled_from(fields), TOML_VALUES, max_size=3)),
        "schedule": data.draw(
            st.dictionaries(st.sampled_from(SCHEDULE_KEYS), TOML_VALUES, max_size=3)
        ),
        "run": data.draw(st.dictionaries(st.sampled_from(RUN_KEYS), TOML_VALUES, max_size=3)),
    }
    if data.draw(st.booleans()):
        tables["schedule"].setdefault("inputs", [1.0, 0.5])
    if model == "emergent":
        tables["run"]["model"] = "emergent"
    text = "".join(
        f"[{name}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in table.items())
        for name, table in tables.items()
    )
    path = tmp_path_factory.mktemp("cfg") / "run.toml"
    path.write_text(text)
    try:
        cfg = load_config(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cfg.simulate(max_trace_bytes=MAX_TRACE, progress=_stopper(), on_nonfinite="ignore")
    except (TypeError, ValueError) as exc:
        assert isinstance(exc, ConfigError), f"{type(exc).__name__}: {exc}"
        _check_error(exc, (str(path),))

