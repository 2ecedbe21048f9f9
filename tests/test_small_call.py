"""The short paths of a small call's validation and planning give the long paths' answers."""

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.core.schedule import _numeric, broadcast, prepare_schedules
from leabra_fast.core.traces import RecordPlan

X = lf.NOTEBOOK_INPUT


def _schedules(inputs, gc_i, **kw):
    kw = {"n_units": None, "n_inputs": None, "state_shape": None, **kw}
    return prepare_schedules(inputs, None, None, gc_i, **kw)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.25, 0.25), (3, 3.0), (-7, -7.0), (True, 1.0), (np.float32(0.5), 0.5), (2**62, 2.0**62)],
)
def test_scalars_become_float64(value, expected):
    arr = _numeric("gc_i", value)
    assert arr.shape == () and arr.dtype == np.float64 and arr == expected


@pytest.mark.parametrize(
    ("value", "err", "match"),
    [
        (float("nan"), ValueError, r"gc_i contains NaN or inf \(first at index \(\)\)"),
        (float("inf"), ValueError, r"gc_i contains NaN or inf \(first at index \(\)\)"),
        (10**30, TypeError, "gc_i must be numeric"),  # beyond int64: an object array, as before
        ([1.0, np.nan, 2.0], ValueError, r"first at index \(1,\)"),
        ([[0.0, 1.0], [-np.inf, 0.0]], ValueError, r"first at index \(1, 0\)"),
    ],
)
def test_non_finite_and_non_numeric_values_are_named(value, err, match):
    with pytest.raises(err, match=match):
        _numeric("gc_i", value)


def test_finite_values_pass_and_nan_only_where_allowed():
    assert _numeric("inputs", [1e308, 1e308, -1e308]).tolist() == [1e308, 1e308, -1e308]
    assert np.isnan(_numeric("ext", [np.nan, 1.0], allow_nan=True)[0])
    assert _numeric("ext", float("nan"), allow_nan=True).shape == ()
    with pytest.raises(ValueError, match=r"ext contains inf \(first at index \(\)\)"):
        _numeric("ext", float("-inf"), allow_nan=True)


def test_scalar_gc_i_is_the_same_schedule_as_its_array():
    scalar = _schedules(X, 0.3, n_units=3)
    array = _schedules(X, np.full((len(X), 3), 0.3))
    np.testing.assert_array_equal(scalar.gc_i, array.gc_i)
    assert scalar.gc_i.shape == (20, 3) and scalar.gc_i.strides[1] == 0
    assert scalar.compact()["gc_i"].shape == (20, 1)
    with pytest.raises(ValueError, match="gc_i is a conductance"):
        _schedules(X, -0.1)
    one = _schedules(X, 0.0)  # one unit, one input: nothing to broadcast
    assert one.x.shape == (20, 1, 1) and one.compact()["inputs"].tolist() == [
        [[v]] for v in X
    ]
    a = lf.simulate(X, gc_i=0.2, n_units=2, record=["v_m"])
    b = lf.simulate(X, gc_i=np.full((20, 2), 0.2), record=["v_m"])
    np.testing.assert_array_equal(a["v_m"], b["v_m"])
    np.testing.assert_array_equal(a.schedules["gc_i"], np.full((20, 1), 0.2))


def test_broadcast_returns_the_array_when_it_has_the_shape():
    a = np.zeros((4, 1, 1))
    assert broadcast(a, (4, 1, 1)) is a
    b = broadcast(a, (4, 3, 2))
    assert b.shape == (4, 3, 2) and b.strides[1:] == (0, 0)


@pytest.mark.parametrize(
    "record", ["all", None, "wt", ("XCAL", "v_m", "act"), ["dwt", "srs", "net", "avg_l"]]
)
@pytest.mark.parametrize("units", [None, [2], [0, 3], slice(1, None)])
def test_slots_and_rows_as_defined(record, units):
    seed = lf.seed
    plan = RecordPlan.build(
        record, units, 1, n_units=4, n_inputs=2, first_cycle=0, n_cycles=10,
        unit_catalog=seed.UNIT_TRACES, synapse_catalog=seed.SYNAPSE_TRACES,
    )  # fmt: skip
    catalog = seed.TRACE_NAMES
    wanted = () if record is None else catalog if record == "all" else (
        (record,) if isinstance(record, str) else tuple(record)
    )
    names = tuple(n for n in catalog if n in wanted)
    assert plan.names == names
    assert plan.unit_names == tuple(n for n in names if n in seed.UNIT_TRACES)
    assert plan.synapse_names == tuple(n for n in names if n in seed.SYNAPSE_TRACES)
    expected_slots = [
        (plan.unit_names + plan.synapse_names).index(n)
        - (len(plan.unit_names) if n in seed.SYNAPSE_TRACES else 0)
        if n in names
        else -1
        for n in catalog
    ]
    assert plan.slots().tolist() == expected_slots
    rows = np.full(4, -1)
    if names:
        rows[plan.units] = np.arange(len(plan.units))
    assert plan.unit_rows(4).tolist() == rows.tolist()
    assert plan.recorded_cycles().tolist() == (list(range(10)) if names else [])


def test_recorded_cycles_with_every_and_an_offset():
    plan = RecordPlan.build(
        "v_m", None, 3, n_units=1, n_inputs=1, first_cycle=7, n_cycles=10,
        unit_catalog=lf.UNIT_TRACES, synapse_catalog=lf.SYNAPSE_TRACES,
    )  # fmt: skip
    assert plan.recorded_cycles().tolist() == [9, 12, 15]
    start = lf.simulate([1.0], n_cycles=7).state
    res = lf.simulate([1.0, 0.5], n_cycles=5, record_every=3, state=start)
    assert res.cycles.tolist() == [9, 12, 15]
    assert res.trial.tolist() == [0, 1, 1] and res.cycle_in_trial.tolist() == [2, 0, 3]
