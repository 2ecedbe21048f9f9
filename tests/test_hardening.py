"""Hostile input is refused in the validation layer, naming the argument, field or file.

One test per class of problem found by fuzzing (issue 13): counts beyond 64-bit
arithmetic, sizes beyond memory, parameters whose derived constants fail, typos,
odd record/units, masked arrays, 2-D synapse schedules, inconsistent saved files,
file modes, and two runs sharing one ``out=``.
"""

from __future__ import annotations

import io
import json
import os
import threading
import tracemalloc
import zipfile

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.core.paramspec import MAX_COUNT, ParamDocs
from leabra_fast.core.schedule import check_synapses
from leabra_fast.core.statebase import TooLargeError, check_allocation, memory_limit
from leabra_fast.core.traces import BufferInUseError, lease_buffers
from leabra_fast.emergent import EmergentParams

X = [1.0, 0.0, 0.5]


# --- 1. counts bounded so the kernels' arithmetic fits in 64 bits ----------------------
def test_max_count_is_exact_in_float64_and_leaves_int64_headroom():
    assert MAX_COUNT == 2**53
    assert float(MAX_COUNT) == MAX_COUNT and float(MAX_COUNT + 1) != MAX_COUNT + 1
    assert 4 * MAX_COUNT < 2**63 - 1  # sums of a few counts never overflow Py_ssize_t


@pytest.mark.parametrize("model", ["seed", "emergent"])
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_units": 2**63}, r"n_units must be <= 2\*\*53, got 9223372036854775808"),
        ({"n_inputs": 2**53 + 1}, r"n_inputs must be <= 2\*\*53"),
        ({"record_every": 2**63}, r"record_every must be <= 2\*\*53"),
        ({"record_every": 2**53 + 1}, r"record_every must be <= 2\*\*53"),
    ],
)
def test_counts_beyond_the_bound_name_the_argument(model, kwargs, match):
    with pytest.raises(ValueError, match=match):
        lf.simulate(X, model=model, **kwargs)


def test_seed_total_cycles_and_state_cycle_are_bounded(backend):
    with pytest.raises(ValueError, match=r"absolute cycle 27670116110564327424 .*n_cycles"):
        lf.simulate(X, n_cycles=2**63, backend=backend)
    state = lf.simulate(X, n_cycles=5).state
    state.cycle = MAX_COUNT - 10  # allowed by itself, but the run would pass the bound
    with pytest.raises(ValueError, match=r"state.cycle = 9007199254740982 plus n_trials"):
        lf.simulate(X, n_cycles=5, state=state, backend=backend)
    state.cycle = 2**63 - 1  # the value that used to overflow the kernel's row arithmetic
    with pytest.raises(ValueError, match=r"state.cycle must be in \[0, 2\*\*53\]"):
        lf.simulate(X, n_cycles=5, state=state, backend=backend, record_every=3)
    state.cycle = MAX_COUNT - 15  # just fits: runs and records the right rows
    res = lf.simulate(X, n_cycles=5, state=state, backend=backend, record_every=4)
    assert res.state.cycle == MAX_COUNT
    np.testing.assert_array_equal(res.cycles % 4, 0)
    assert res.cycles[0] >= MAX_COUNT - 15 and res.cycles[-1] < MAX_COUNT


@pytest.mark.parametrize(
    ("cls", "field", "value"),
    [(lf.SeedParams, "gain", 10**400), (EmergentParams, "g_bar_e", -(10**309)),
     (EmergentParams, "cyc_per_qtr", 2**60), (EmergentParams, "t_r", 2**63)],
)  # fmt: skip
def test_python_ints_beyond_range_name_the_field(cls, field, value):
    with pytest.raises(lf.ParameterError, match=rf"{cls.__name__}\.{field} must be"):
        cls(**{field: value})


@pytest.mark.parametrize("sdc", [10**400, np.inf, np.nan, 0.5])
def test_preset_arguments_are_checked(sdc):
    with pytest.raises(lf.ParameterError, match=r"sdc must be a finite number >= 1"):
        lf.SeedParams.from_sdc(sdc)
    assert lf.SeedParams.from_sdc(5) == lf.SeedParams()
    with pytest.raises(lf.ParameterError, match=r"n_cycles must be an int in \[1, 2\*\*53\]"):
        EmergentParams.from_seed(lf.SeedParams(), n_cycles=2**60)


def test_trial_length_is_bounded():
    with pytest.raises(lf.ParameterError, match=r"n_quarters \* cyc_per_qtr = .* 2\*\*53"):
        EmergentParams(n_quarters=2**30, cyc_per_qtr=2**30)


# --- 2. sizes refused before allocation ---------------------------------------------------
def test_emergent_huge_n_units_refused_before_allocating():
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError, match=r"n_units=2147483648, n_inputs=1"):
            lf.simulate(X, model="emergent", n_units=2**31)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20  # nothing near the 16 GB it used to reach


@pytest.mark.parametrize("model", ["seed", "emergent"])
def test_state_too_large_is_a_value_and_memory_error(model, monkeypatch):
    monkeypatch.setenv("LEABRA_FAST_MAX_BYTES", str(2**20))
    assert memory_limit() == 2**20
    with pytest.raises(MemoryError, match=r"n_units=4096, n_inputs=64.*1.0 MiB"):
        lf.simulate(X, model=model, n_units=4096, n_inputs=64)
    with pytest.raises(ValueError, match="LEABRA_FAST_MAX_BYTES"):
        lf.simulate(X, model=model, n_units=4096, n_inputs=64)
    lf.simulate(X, model=model, n_units=4, n_inputs=4, record=None)  # small still runs


def test_check_allocation_sums_and_names_each_part():
    check_allocation({"a": (10, 10)}, limit=800)
    with pytest.raises(TooLargeError, match=r"need 1.6 KiB \(a: 800 bytes, b \(n_trials=2\): 800"):
        check_allocation({"a": (10, 10), "b (n_trials=2)": (100,)}, limit=1000)
    with pytest.raises(TooLargeError, match=r"n_units=1099511627776, n_inputs=1099511627776"):
        check_synapses(2**40, 2**40)  # exact ints: no overflow in the estimate


# --- 3. derived constants and the NXX1 table checked on construction ------------------------
@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (EmergentParams, {"integ": 5e-324}, r"ZeroDivisionError.*from integ=5e-324"),
        (EmergentParams, {"sig_mult_pow": -1e300}, r"OverflowError.*from sig_mult_pow"),
        (lf.SeedParams, {"d_rev": 1e-320}, r"'rev_fac' = inf.*from d_rev=1e-320"),
        (lf.SeedParams, {"avg_l_min": -1.0, "avg_l_max": 1e-320},
         r"'lrn_fac' = inf.*\(from avg_l_max=1e-320\)"),
        (EmergentParams, {"nxx1": "table", "table_res": 1e-320}, r"table_res=1e-320.*too large"),
        (EmergentParams, {"nxx1": "table", "nvar": 2.0}, r"nvar=2.0.*too large"),
    ],
)
def test_derived_constants_fail_on_construction_naming_fields(cls, kwargs, match):
    with pytest.raises(lf.ParameterError, match=match):
        cls(**kwargs)


def test_infinite_clip_bounds_stay_allowed():
    p = EmergentParams(vm_min=-np.inf, vm_max=np.inf)
    assert lf.simulate(X, model="emergent", params=p).state.cycle == 300


# --- 4. typos and describe -------------------------------------------------------------------
def test_typos_get_suggestions():
    typo = r"SeedParams: unknown parameter 'lrat' \(did you mean 'lrate'\?\)"
    with pytest.raises(TypeError, match=typo):
        lf.SeedParams(lrat=0.1)
    with pytest.raises(TypeError, match=r"EmergentParams: unknown parameter 'g_bar_ee' \(did you"):
        EmergentParams(g_bar_ee=0.1)
    with pytest.raises(TypeError, match=r"unknown parameters 'a', 'lrat' \(did you mean 'lrate'"):
        lf.SeedParams(a=1, lrat=2)
    assert lf.SeedParams(lrate=0.2).lrate == 0.2  # keywords still work, positional too
    assert lf.SeedParams(0.5).dt_integ == 0.5


def test_describe_prints_one_parameter_per_line():
    doc = EmergentParams.describe()
    assert isinstance(doc, ParamDocs) and isinstance(doc, dict)
    lines = str(doc).splitlines()
    assert len(lines) >= len(doc) and max(map(len, lines)) <= 100
    assert lines[0].startswith("act_fun ") and repr(doc) == str(doc)


# --- 5. record and units ------------------------------------------------------------------------
def test_record_and_units_errors_name_the_argument():
    with pytest.raises(TypeError, match=r"record must be 'all', a trace name.*got int"):
        lf.simulate(X, record=3)
    with pytest.raises(ValueError, match=r"units: a slice's step cannot be zero"):
        lf.simulate(X, units=slice(0, 3, 0))
    with pytest.raises(TypeError, match=r"units: a slice's stop must be an int"):
        lf.simulate(X, units=slice(0, 2.5))
    # An empty selection is refused whichever way it is written.
    with pytest.raises(ValueError, match=r"units = slice\(0, 0, None\) selects no unit"):
        lf.simulate(X, units=slice(0, 0))
    with pytest.raises(ValueError, match="units is empty"):
        lf.simulate(X, units=[])
    res = lf.simulate(X, n_units=4, units=slice(None, None, -2), record=np.array(["v_m"]))
    np.testing.assert_array_equal(res.units, [1, 3])
    assert list(res.traces) == ["v_m"]


# --- 6. masked arrays, 2-D synapse schedules ------------------------------------------------------
@pytest.mark.parametrize("model", ["seed", "emergent"])
@pytest.mark.parametrize("arg", ["inputs", "su_avg_m", "gc_i", "fwt", "wt"])
def test_masked_arrays_are_refused_naming_the_argument(model, arg):
    masked = np.ma.array([1.0, 0.0, 0.5], mask=[0, 1, 0])
    kwargs = {"inputs": X, arg: masked if arg != "fwt" and arg != "wt" else masked[:1]}
    with pytest.raises(TypeError, match=rf"^{arg} is a masked array"):
        lf.simulate(model=model, **kwargs)


def test_masked_state_and_emergent_schedules_are_refused():
    with pytest.raises(TypeError, match=r"^ge is a masked array"):
        lf.simulate(X, model="emergent", ge=np.ma.array([0.1, 0.2, 0.3]))
    state = lf.simulate(X).state
    state.v_m = np.ma.array(state.v_m)
    with pytest.raises(TypeError, match=r"state.v_m is a masked array"):
        lf.simulate(X, state=state)


def test_two_d_synapse_schedules_are_refused_saying_what_to_pass():
    table = [[1.0, 0.0, 0.5], [0.2, 0.2, 0.2]]  # a list of lists, or a DataFrame's values
    with pytest.raises(ValueError, match=r"inputs has 2-D shape \(2, 3\), which is ambiguous"):
        lf.simulate(table)
    per_unit = lf.simulate(np.asarray(table)[:, :, None], n_cycles=10)
    per_input = lf.simulate(np.asarray(table)[:, None, :], n_cycles=10)
    assert (per_unit.n_units, per_unit.n_inputs) == (3, 1)
    assert (per_input.n_units, per_input.n_inputs) == (1, 3)
    # gc_i is per unit only, so its (n_trials, n_units) is not ambiguous and is accepted.
    res = lf.simulate([1.0, 1.0], gc_i=[[0.0, 0.5], [0.0, 0.5]], n_cycles=50)
    alone = [lf.simulate([1.0, 1.0], gc_i=g, n_cycles=50).spike_count[0] for g in (0.0, 0.5)]
    np.testing.assert_array_equal(res.spike_count, alone)
    assert alone[0] != alone[1]


# --- 7. load and save -----------------------------------------------------------------------------
@pytest.fixture
def run_file(tmp_path):
    res = lf.simulate(X, n_cycles=10, n_units=3, n_inputs=2, units=[0, 2], record_every=2)
    return res.save(tmp_path / "run.npz")


def _rewrite(src, dst, change=None, drop=(), meta=None):
    with zipfile.ZipFile(src) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    for name in drop:
        members.pop(f"{name}.npy")
    for name, arr in (change or {}).items():
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.asarray(arr))
        members[f"{name}.npy"] = buf.getvalue()
    if meta is not None:
        old = json.loads(str(np.load(io.BytesIO(members["meta.npy"]))[()]))
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.array(json.dumps(meta(old))))
        members["meta.npy"] = buf.getvalue()
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dst


def _without(key):
    def edit(meta):
        meta.pop(key)
        return meta

    return edit


def _with(key, value):
    def edit(meta):
        meta[key] = value
        return meta

    return edit


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        ({"meta": _without("n_cycles")}, r"meta has no 'n_cycles'"),
        ({"meta": _with("n_cycles", -5)}, r"meta\['n_cycles'\] must be an int in \[1, 2\*\*53\]"),
        ({"meta": _with("n_trials", "3")}, r"meta\['n_trials'\] must be an int"),
        ({"meta": _with("params_class", "__class__")},
         r"meta\['params_class'\] must be 'SeedParams'"),
        ({"meta": _with("model", "other")}, r"meta\['model'\] must be one of"),
        ({"meta": _with("traces", ["v_m", "nope"])}, r"unknown trace\(s\) \['nope'\]"),
        ({"meta": _with("partial", 1)}, r"meta\['partial'\] must be true or false"),
        ({"change": {"units": [0.5, 2.0]}}, r"member 'units' must be a 1-D integer array"),
        ({"change": {"units": [0, 7]}}, r"'units' must be increasing unit indices in \[0, 3\)"),
        ({"change": {"units": [0]}}, r"trace 'net' has shape \(15, 2\).*expected \(15, 1\)"),
        ({"change": {"trace/wt": np.zeros((15, 2, 3))}}, r"trace 'wt' has shape \(15, 2, 3\)"),
        ({"change": {"schedule/inputs": np.zeros((2, 1, 1))}}, r"schedule 'inputs' has shape"),
        ({"change": {"schedule/gc_i": np.zeros((3, 2))}}, r"schedule 'gc_i' has shape \(3, 2\)"),
        ({"change": {"state/v_m": np.zeros(2)}}, r"state.v_m must have shape \(3,\)"),
        ({"change": {"state/v_m": np.zeros(3, dtype=np.int64)}}, r"'state/v_m' must be float64"),
        ({"change": {"state/cycle": np.int64(2**63 - 1)}}, r"state.cycle must be in \[0, 2\*\*53"),
        ({"change": {"cycles": np.arange(15) * 2 + 1}}, r"'cycles' must be increasing multiples"),
        ({"change": {"spike_count": np.zeros(2, dtype=np.int64)}}, r"'spike_count' has shape"),
        ({"change": {"format_version": np.array(0)}}, r"'format_version' is 0; layout versions"),
        ({"change": {"format_version": np.array(1.5)}}, r"'format_version' must be an integer"),
        ({"change": {"format_version": np.array("1")}}, r"'format_version' must be an integer"),
        ({"change": {"meta": np.array("[1, 2]")}}, r"member 'meta' must hold a JSON dict"),
        ({"change": {"meta": np.array("{")}}, r"member 'meta' is not valid JSON"),
        ({"change": {"params": np.array('{"lrat": 1}')}}, r"'params'.*did you mean 'lrate'"),
        ({"change": {"trace/v_m": np.array([None], dtype=object)}}, r"'trace/v_m' holds object"),
        ({"drop": ["state/cycle"]}, r"entries missing: state/cycle"),
    ],
)  # fmt: skip
def test_load_checks_every_member_naming_file_and_member(run_file, tmp_path, edit, match):
    bad = _rewrite(run_file, tmp_path / "bad.npz", **edit)
    with pytest.raises(ValueError, match=r"bad\.npz: .*" + match):
        lf.load(bad)


def test_load_caps_sizes_claimed_by_headers(run_file, tmp_path):
    with zipfile.ZipFile(run_file) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    buf = io.BytesIO()
    np.lib.format.write_array_header_2_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    members["trace/v_m.npy"] = buf.getvalue() + b"\0" * 80
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"huge\.npz: member 'trace/v_m' claims shape"):
            lf.load(tmp_path / "huge.npz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


def test_load_round_trip_still_exact(run_file):
    res = lf.load(run_file)
    again = lf.simulate(X, n_cycles=10, n_units=3, n_inputs=2, units=[0, 2], record_every=2)
    assert res.state.equals(again.state)
    for name in again:
        np.testing.assert_array_equal(res[name], again[name])
    emergent = lf.simulate(X, model="emergent", record=["v_m", "wt"], record_every=7)
    back = lf.load(emergent.save(run_file.parent / "e.npz"))
    assert back.state.equals(emergent.state) and back.model == "emergent"
    np.testing.assert_array_equal(back.extra["act_q"], emergent.extra["act_q"])


def test_load_of_a_csv_export_does_not_talk_about_pickles(tmp_path):
    path = tmp_path / "traces.csv"
    lf.simulate(X, n_cycles=5).to_dataframe("v_m").to_csv(path)
    with pytest.raises(ValueError, match=r"traces\.csv: not a readable .*not an \.npz") as info:
        lf.load(path)
    assert "pickle" not in str(info.value)


def test_save_names_a_missing_folder_and_honours_the_umask(tmp_path):
    res = lf.simulate(X, n_cycles=5)
    with pytest.raises(FileNotFoundError, match=r"the folder .*missing does not exist"):
        res.save(tmp_path / "missing" / "run.npz")
    old = os.umask(0o022)
    try:
        path = res.save(tmp_path / "run.npz")
        assert os.stat(path).st_mode & 0o777 == 0o644
        os.umask(0o077)
        path = res.save(tmp_path / "private.npz")
        assert os.stat(path).st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["private.npz", "run.npz"]  # no temps


# --- 8. one out= from two threads ------------------------------------------------------
def test_lease_refuses_a_second_writer_until_released():
    res = lf.simulate(X, n_cycles=5)
    bufs = res._buffers
    holding, release, errors = threading.Event(), threading.Event(), []

    def first():
        with lease_buffers(*bufs):
            holding.set()
            release.wait(10)

    t = threading.Thread(target=first)
    t.start()
    holding.wait(10)
    try:
        with pytest.raises(BufferInUseError, match=r"out= is being written by another"):
            with lease_buffers(*bufs):
                errors.append("entered")
        with lease_buffers(np.zeros(3)):  # other memory is free to use meanwhile
            pass
    finally:
        release.set()
        t.join()
    assert not errors
    with lease_buffers(*bufs):  # released: usable again
        pass


# --- the drivers' call sites: out= lease, emergent sizes before broadcasting, str options


def test_two_threads_sharing_out_are_refused():
    res = lf.simulate(X, n_cycles=50)
    started, release = threading.Event(), threading.Event()

    def slow(done, total):
        started.set()
        release.wait(10)

    t = threading.Thread(
        target=lambda: lf.simulate(X, n_cycles=50, out=res, progress=slow, chunk_cycles=50)
    )
    t.start()
    started.wait(10)
    try:
        with pytest.raises(BufferInUseError, match="out="):
            lf.simulate(X, n_cycles=50, out=res)
    finally:
        release.set()
        t.join()


def test_emergent_huge_sizes_refused_before_broadcasting():
    with pytest.raises(TooLargeError, match=r"n_units=1099511627776, n_inputs=1048576"):
        lf.simulate(X, model="emergent", n_units=2**40, n_inputs=2**20)


@pytest.mark.parametrize("arg", ["backend", "on_nonfinite"])
def test_string_options_given_arrays_name_the_argument(arg):
    with pytest.raises((TypeError, ValueError), match=arg):
        lf.simulate(X, **{arg: np.array(["cython", "python"])})


@pytest.mark.parametrize("alone", ["su_avg_s_eff", "su_avg_m"])
def test_emergent_trial_mismatch_blames_the_argument_that_set_n_trials(alone):
    # No inputs: ge sets n_trials and the synapse schedule given alone disagrees; not `inputs`.
    with pytest.raises(ValueError, match=rf"^{alone} has 3 trials, ge has 2$"):
        lf.simulate(model="emergent", ge=np.ones((2, 100, 1)), **{alone: [0.1, 0.2, 0.3]})
    # With inputs, inputs set n_trials, and the mismatch names both.
    with pytest.raises(ValueError, match=rf"^{alone} has 2 trials, inputs has 3$"):
        lf.simulate([1.0, 0.0, 0.5], model="emergent", **{alone: [0.1, 0.2]})


# --- n_threads: bounded (OpenMP starts every thread asked for) -------------------------
@pytest.mark.parametrize("model", ["seed", "emergent"])
@pytest.mark.parametrize("n_threads", [1025, 50_000, 100_000, 2**62])
def test_n_threads_above_the_bound_is_refused_naming_it(model, n_threads):
    from leabra_fast.core.driver import MAX_THREADS

    assert MAX_THREADS == 1024
    match = rf"^n_threads must be <= 1024 \(MAX_THREADS\), got {n_threads};"
    with pytest.raises(ValueError, match=match):
        lf.simulate(X, model=model, n_threads=n_threads)


def test_n_threads_at_the_bound_runs_the_same_bits_with_threads_clamped_to_units():
    one = lf.simulate(X, n_units=3, n_inputs=2, record="all", n_threads=1)
    many = lf.simulate(X, n_units=3, n_inputs=2, record="all", n_threads=1024)
    for name in one.traces:
        np.testing.assert_array_equal(one[name], many[name])
    assert many.spike_count.tolist() == one.spike_count.tolist()


def test_n_threads_from_a_run_file_is_bounded(tmp_path):
    from leabra_fast.core.config import ConfigError, load_config

    path = tmp_path / "run.toml"
    path.write_text('[run]\nn_threads = 50000\n[schedule]\ninputs = [1.0, 0.5]\n')
    with pytest.raises(ConfigError, match=r"run\.toml: n_threads must be <= 1024"):
        load_config(path).simulate()
