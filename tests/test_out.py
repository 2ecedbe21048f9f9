"""simulate(..., out=previous): a run writes into a previous result's trace memory."""

import pickle

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams

X = np.array([0, 0, 1, 1, 1, 1, 0, 0, 0, 0.2, 0.2, 0.2, 0, 0, 0.5, 0.5, 0, 0, 0.3, 0])


def _buffer_ids(res):
    return [b.__array_interface__["data"][0] for b in res._buffers]


def test_reuse_gives_the_fresh_runs_bits_in_the_same_memory(backend):
    first = lf.simulate(X, n_units=3, n_inputs=2, backend=backend)
    p = lf.SeedParams(lrate=0.08)
    fresh = lf.simulate(X[::-1], params=p, n_units=3, n_inputs=2, backend=backend)
    ids = _buffer_ids(first)
    again = lf.simulate(X[::-1], params=p, n_units=3, n_inputs=2, backend=backend, out=first)
    assert _buffer_ids(again) == ids
    assert list(again) == list(fresh)
    for name in lf.TRACE_NAMES:
        np.testing.assert_array_equal(again[name], fresh[name], err_msg=name)
        assert np.shares_memory(again[name], first[name])
        np.testing.assert_array_equal(first[name], fresh[name], err_msg=name)  # overwritten
    np.testing.assert_array_equal(again.spike_count, fresh.spike_count)
    np.testing.assert_array_equal(again.state.wt, fresh.state.wt)


def test_reuse_with_a_subset_units_every_and_chunks():
    kw = dict(record=["v_m", "wt"], units=[0, 4], record_every=3, n_units=5, n_inputs=2)
    first = lf.simulate(X, **kw)
    fresh = lf.simulate(X * 0.5, **kw)
    again = lf.simulate(X * 0.5, out=first, chunk_cycles=7, **kw)
    for name in ("v_m", "wt"):
        np.testing.assert_array_equal(again[name], fresh[name])
        assert np.shares_memory(again[name], first[name])


def test_reuse_is_chainable_and_large_buffers_stay_aligned():
    # Above ALIGN_MIN_BYTES: the aligned (streamed) buffers are the ones reused.
    kw = dict(record="all", n_units=700, n_cycles=10)
    res = lf.simulate(X, **kw)
    ids = _buffer_ids(res)
    assert all(i % 64 == 0 for i in ids)
    for scale in (0.5, 0.25):
        res = lf.simulate(X * scale, out=res, **kw)
        assert _buffer_ids(res) == ids
    np.testing.assert_array_equal(res["v_m"], lf.simulate(X * 0.25, **kw)["v_m"])


def test_reuse_with_nothing_recorded():
    first = lf.simulate(X, record=None)
    again = lf.simulate(X, record=None, out=first)
    assert len(again) == 0
    np.testing.assert_array_equal(again.spike_count, first.spike_count)


def test_emergent_model_reuses_too(backend):
    p = EmergentParams.neuron("spike")
    ge = np.full(4, 0.5)
    first = lf.simulate(ge=ge, params=p, model="emergent", backend=backend)
    fresh = lf.simulate(ge=ge * 0.8, params=p, model="emergent", backend=backend)
    again = lf.simulate(ge=ge * 0.8, params=p, model="emergent", backend=backend, out=first)
    for name in fresh:
        np.testing.assert_array_equal(again[name], fresh[name], err_msg=name)
        assert np.shares_memory(again[name], first[name])


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(record=["v_m"]), r"out holds \[19 traces\] .* this run records \[v_m\]"),
        (dict(units=[0]), r"for 2 unit\(s\) .* for 1 unit\(s\)"),
        (dict(record_every=2), r"over 2000 recorded cycle\(s\).*over 1000 recorded"),
        (dict(n_inputs=3), r"x 1 inputs .* x 3 inputs"),
    ],
)
def test_out_that_does_not_fit_is_refused(kw, match):
    first = lf.simulate(X, n_units=2)
    base = dict(n_units=2, n_inputs=1)
    with pytest.raises(ValueError, match=match):
        lf.simulate(X, out=first, **{**base, **kw})
    # Nothing was written: the refused run left out's traces alone.
    np.testing.assert_array_equal(first["v_m"], lf.simulate(X, n_units=2)["v_m"])


def test_out_of_the_other_model_is_refused():
    seed = lf.simulate(X)
    with pytest.raises(ValueError, match="out= must record what this run records"):
        lf.simulate(ge=np.full(2, 0.5), params=EmergentParams(), model="emergent", out=seed)


@pytest.mark.parametrize("bad", [{"v_m": np.zeros((2000, 1))}, np.zeros(3), "result"])
def test_out_must_be_a_result(bad):
    with pytest.raises(TypeError, match="out must be a SimulationResult"):
        lf.simulate(X, out=bad)


def test_results_whose_traces_are_copies_cannot_lend(tmp_path):
    res = lf.simulate(X)
    loaded = lf.load(res.save(tmp_path / "run.npz"))
    unpickled = pickle.loads(pickle.dumps(res))
    np.testing.assert_array_equal(unpickled["v_m"], res["v_m"])
    with pytest.warns(lf.PartialRunWarning):
        partial = lf.simulate(X, chunk_cycles=100, progress=_stop_after(2))
    assert partial.partial
    for other in (loaded, unpickled, partial):
        with pytest.raises(ValueError, match="no trace memory to lend"):
            lf.simulate(X, out=other)


def _stop_after(n_calls):
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == n_calls:
            raise KeyboardInterrupt

    return progress


def test_pickle_does_not_store_the_buffers_twice():
    res = lf.simulate(X, n_units=50)
    traces_bytes = sum(a.nbytes for a in res.values())
    assert len(pickle.dumps(res)) < 1.2 * traces_bytes


@pytest.mark.parametrize("schedule", ["inputs", "su_avg_m", "gc_i"])
def test_out_overlapping_an_input_is_refused(schedule):
    first = lf.simulate(X, n_units=2)
    # A view of out's own memory as this run's schedule: the run would overwrite it.
    view = first["act"][:20, :1] if schedule != "gc_i" else first["act"][:20, 0]
    args = {"inputs": X, "su_avg_m": None, "gc_i": 0.0}
    args[schedule] = view.reshape(20, 1, 1) if schedule != "gc_i" else view
    before = first["act"].copy()
    with pytest.raises(ValueError, match="overlap an input schedule of this run"):
        lf.simulate(args.pop("inputs"), out=first, n_units=2, **args)
    np.testing.assert_array_equal(first["act"], before)
