"""Recording options, state continuation, parameters, and bad input."""

import numpy as np
import pytest

import leabra_fast as lf

X = lf.NOTEBOOK_INPUT


# --- recording -------------------------------------------------------------


def test_record_subset_every_and_units(backend):
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, size=(4, 5, 2))
    full = lf.simulate(x, n_cycles=25, backend=backend)
    part = lf.simulate(x, n_cycles=25, backend=backend, record=["v_m", "wt"], units=[4, 1],
                       record_every=7)
    assert list(part) == ["v_m", "wt"]
    np.testing.assert_array_equal(part.units, [1, 4])
    np.testing.assert_array_equal(part.cycles, np.arange(0, 100, 7))
    assert part["v_m"].shape == (15, 2) and part["wt"].shape == (15, 2, 2)
    np.testing.assert_array_equal(part["v_m"], full["v_m"][::7][:, [1, 4]])
    np.testing.assert_array_equal(part["wt"], full["wt"][::7][:, [1, 4]])
    # Recording does not change the dynamics.
    np.testing.assert_array_equal(part.spike_count, full.spike_count)
    assert part.state.equals(full.state)


def test_record_nothing(backend):
    res = lf.simulate(X, record=None, backend=backend)
    assert len(res) == 0 and res.cycles.size == 0
    assert res.spike_count[0] == 137


def test_single_name_and_missing_trace_message():
    res = lf.simulate(X, record="act")
    assert list(res) == ["act"]
    with pytest.raises(KeyError, match="not recorded"):
        res["v_m"]


def test_trace_budget():
    with pytest.raises(lf.TraceBudgetError, match=r"needs 296\.9 KiB.*record_every"):
        lf.simulate(X, max_trace_bytes=1000)
    lf.simulate(X, max_trace_bytes=1000, record=None)  # nothing recorded: no budget needed
    plan_bytes = 2000 * 19 * 8
    lf.simulate(X, max_trace_bytes=plan_bytes)
    with pytest.raises(lf.TraceBudgetError):
        lf.simulate(X, max_trace_bytes=plan_bytes - 1)


# --- state in, state out -----------------------------------------------------


@pytest.mark.parametrize("every", [1, 3])
def test_continuation_gives_identical_bits(backend, every):
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, size=(20, 3, 2))
    one = lf.simulate(x, backend=backend, record_every=every)
    first = lf.simulate(x[:10], backend=backend, record_every=every)
    second = lf.simulate(x[10:], backend=backend, record_every=every, state=first.state)
    assert second.state.cycle == 2000
    assert second.state.equals(one.state)
    for name in one:
        joined = np.concatenate([first[name], second[name]])
        assert joined.tobytes() == one[name].tobytes(), name
    np.testing.assert_array_equal(np.concatenate([first.cycles, second.cycles]), one.cycles)
    np.testing.assert_array_equal(first.spike_count + second.spike_count, one.spike_count)


def test_state_passed_in_is_not_modified():
    first = lf.simulate(X[:5])
    before = first.state.copy()
    lf.simulate(X[5:], state=first.state)
    assert first.state.equals(before)


def test_initial_state_is_the_notebooks():
    s = lf.SeedState.initial(lf.SeedParams(), 2, 3)
    np.testing.assert_array_equal(s.v_m, [0.3, 0.3])
    np.testing.assert_array_equal(s.fwt, np.full((2, 3), 0.5))
    for name in ("net", "adapt", "avg_ss", "avg_s", "avg_m", "avg_l"):
        np.testing.assert_array_equal(getattr(s, name), 0.0)
    assert s.cycle == 0


def test_per_synapse_initial_weights():
    fwt = np.array([[0.2, 0.8]])
    res = lf.simulate(X, n_inputs=2, fwt=fwt, wt=0.4)
    state = lf.SeedState.initial(lf.SeedParams(), 1, 2, fwt=fwt, wt=0.4)
    res2 = lf.simulate(X, state=state)
    assert res.state.equals(res2.state)
    assert res["net_raw"][0, 0] == 0.0  # trial 0 has input 0
    with pytest.raises(ValueError, match=r"fwt values must lie in \[0, 1\]"):
        lf.simulate(X, fwt=1.5)


# --- parameters --------------------------------------------------------------


def test_params_defaults_are_the_notebooks():
    p = lf.SeedParams()
    assert (p.gc_l, p.e_rev_e, p.e_rev_l, p.spk_thr, p.vm_r) == (0.1, 1.0, 0.3, 1.2, 0.3)
    assert p.dt_net_dt == 1 / 1.4 and p.dt_vm_dt == 1 / 3.3
    assert (p.ss_dt, p.s_dt, p.m_dt, p.l_dt) == (0.1, 0.1, 0.02, 0.02)
    assert (p.lrate, p.m_lrn, p.d_thr, p.d_rev, p.gain, p.off) == (0.1, 0.0, 0.0001, 0.1, 1.5, 1.0)
    assert 1.0 / p.adapt_dt == 144.0
    assert lf.SeedParams.from_sdc(5) == p
    assert lf.SeedParams.from_sdc(10).m_dt == 0.01
    assert set(lf.SeedParams.describe()) == set(p.to_dict())
    assert lf.SeedParams.from_dict(p.to_dict()) == p


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("dt_vm_dt", 0.0, r"dt_vm_dt must be a rate in \(0, 1\]"),
        ("ss_dt", 1.5, "ss_dt must be a rate"),
        ("gc_l", -0.1, "gc_l must be a number >= 0"),
        ("exp_slope", 0.0, "exp_slope must be a number > 0"),
        ("fwt_init", 1.2, r"fwt_init must be a number in \[0, 1\]"),
        ("d_rev", 1.0, r"d_rev must be a number in \(0, 1\)"),
        ("thr", float("nan"), "thr must be a finite number"),
        ("lrate", float("inf"), "lrate must be"),
        ("gc_i_reversal", "e_rev_x", "gc_i_reversal must be"),
        ("avg_l_lrn_min", 0.1, "avg_l_lrn_min"),
    ],
)
def test_bad_params_name_the_field(field, value, match):
    with pytest.raises(lf.ParameterError, match=match):
        lf.SeedParams(**{field: value})


def test_param_types():
    with pytest.raises(TypeError, match="gain must be a real number"):
        lf.SeedParams(gain="1.5")
    with pytest.raises(TypeError, match="gain must be a real number"):
        lf.SeedParams(gain=True)
    assert lf.SeedParams(gain=np.float32(2.0)).gain == 2.0
    with pytest.raises(TypeError, match="unknown parameter"):
        lf.SeedParams().replace(gian=2)
    typo = r"SeedParams: unknown parameter 'gian' \(did you mean 'gain'\?\)"
    with pytest.raises(lf.ParameterError, match=typo):
        lf.SeedParams.from_dict({"gian": 2})
    with pytest.raises(TypeError, match="params must be a SeedParams"):
        lf.simulate(X, params={"gain": 2})


# --- bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"inputs": []}, ValueError, "empty schedule"),
        ({"inputs": 1.0}, ValueError, "one value per trial"),
        ({"inputs": [[1.0, 0.0]]}, ValueError, "ambiguous"),
        ({"inputs": [0, float("nan")]}, ValueError, "NaN or inf"),
        ({"inputs": [0, np.inf]}, ValueError, "NaN or inf"),
        ({"inputs": ["a", "b"]}, TypeError, "numeric"),
        ({"inputs": [[0, 1], [0]]}, TypeError, "numeric array"),
        ({"inputs": [1j, 0]}, TypeError, "numeric"),
        ({"inputs": X, "su_avg_m": [1.0, 0.0]}, ValueError, "su_avg_m has 2 trials"),
        ({"inputs": X, "gc_i": -0.1}, ValueError, "gc_i is a conductance"),
        ({"inputs": X, "gc_i": np.zeros((20, 2, 2))}, ValueError, "gc_i must be"),
        ({"inputs": X, "n_cycles": 0}, ValueError, "n_cycles must be >= 1"),
        ({"inputs": X, "n_cycles": 1.5}, TypeError, "n_cycles must be an int"),
        ({"inputs": X, "n_units": 0}, ValueError, "n_units must be >= 1"),
        ({"inputs": X, "n_inputs": -1}, ValueError, "n_inputs must be >= 1"),
        ({"inputs": np.zeros((20, 3, 1)), "n_units": 2}, ValueError, "n_units: inputs has size 3"),
        ({"inputs": np.zeros((2, 3, 1)), "su_avg_m": np.zeros((2, 2, 1))}, ValueError, "n_units"),
        ({"inputs": X, "record": ["v_m", "spikes"]}, ValueError, "unknown trace name"),
        ({"inputs": X, "record": [1]}, TypeError, "by str"),
        ({"inputs": X, "record_every": 0}, ValueError, "record_every"),
        ({"inputs": X, "units": [1]}, ValueError, "units out of range"),
        ({"inputs": X, "units": []}, ValueError, "units is empty"),
        ({"inputs": X, "units": [0.5]}, TypeError, "units must be"),
        ({"inputs": X, "n_threads": 0}, ValueError, "n_threads"),
        ({"inputs": X, "on_nonfinite": "explode"}, ValueError, "on_nonfinite"),
        ({"inputs": X, "state": {"v_m": 0}}, TypeError, "state must be a SeedState"),
    ],
)
def test_bad_input_is_a_clear_error(backend, kwargs, exc, match):
    kwargs = dict(kwargs)
    inputs = kwargs.pop("inputs")
    with pytest.raises(exc, match=match):
        lf.simulate(inputs, backend=backend, **kwargs)


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown backend 'numba'"):
        lf.simulate(X, backend="numba")


def test_bad_state():
    s = lf.simulate(X[:2]).state
    bad = s.copy()
    bad.v_m = np.array([np.nan])
    with pytest.raises(ValueError, match=r"state\.v_m contains NaN"):
        lf.simulate(X, state=bad)
    bad = s.copy()
    bad.wt = np.zeros((1, 2))
    with pytest.raises(ValueError, match=r"state\.wt must have shape"):
        lf.simulate(X, state=bad)
    with pytest.raises(ValueError, match="state has"):
        lf.simulate(np.zeros((3, 2, 1)), state=s)
    with pytest.raises(ValueError, match="either in state or as fwt/wt"):
        lf.simulate(X, state=s, fwt=0.5)


def test_broadcast_schedules_are_not_copied_per_unit():
    from leabra_fast.core.schedule import prepare_schedules

    x = np.asarray(X, dtype=np.float64)
    s = prepare_schedules(x, None, None, 0.0, n_units=1000, n_inputs=10, state_shape=None)
    assert s.x.shape == (20, 1000, 10)
    assert s.x.strides[1:] == (0, 0) and np.shares_memory(s.x, x)
