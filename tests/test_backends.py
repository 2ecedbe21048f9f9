"""The compiled kernel against the reference backend: scalar functions, many units, random runs."""

import numpy as np
import pytest
from conftest import assert_run_traces_close, assert_traces_close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leabra_fast as lf
from leabra_fast import reference
from leabra_fast.params import derived_constants
from leabra_fast.seed import compiled as seed_kernel


def _both(*args, **kwargs):
    return (
        lf.simulate(*args, backend="cython", **kwargs),
        lf.simulate(*args, backend="python", **kwargs),
    )


def assert_same_run(fast, ref):
    assert_run_traces_close(fast, ref)
    np.testing.assert_array_equal(fast.spike_count, ref.spike_count)
    if "act" in ref:
        np.testing.assert_array_equal(fast["act"], ref["act"])
    assert fast.state.cycle == ref.state.cycle
    for name in ("v_m", "net", "adapt", "avg_ss", "avg_s", "avg_m", "avg_l", "fwt", "wt"):
        assert_traces_close(getattr(fast.state, name), getattr(ref.state, name), name=name)
    np.testing.assert_array_equal(fast.first_nonfinite, ref.first_nonfinite)


C = derived_constants(lf.SeedParams(), 1)


@given(
    x=st.floats(-0.5, 2.0, allow_nan=False),
    th=st.floats(0.0, 2.0, allow_nan=False),
    d_thr=st.sampled_from([0.0, 1e-4, 0.05]),
    d_rev=st.floats(0.01, 0.99),
)
def test_xcal_c_equals_python(x, th, d_thr, d_rev):
    c = derived_constants(lf.SeedParams(d_thr=d_thr, d_rev=d_rev), 1)
    assert seed_kernel.xcal_scalar(c, x, th) == float(reference.xcal(x, th, c))


def test_xcal_values():
    # The check mark at th = .5: zero below d_thr, linear reversal, then x - th.
    assert seed_kernel.xcal_scalar(C, 0.00005, 0.5) == 0.0
    assert seed_kernel.xcal_scalar(C, 0.01, 0.5) == pytest.approx(-0.09)
    assert seed_kernel.xcal_scalar(C, 0.05, 0.5) == pytest.approx(-0.45)
    assert seed_kernel.xcal_scalar(C, 0.06, 0.5) == pytest.approx(-0.44)
    assert seed_kernel.xcal_scalar(C, 0.9, 0.5) == pytest.approx(0.4)


@given(w=st.floats(0.0, 1.0), gain=st.floats(0.0, 8.0), eps=st.floats(0.0, 0.1))
def test_sig_c_close_to_python(w, gain, eps):
    c = derived_constants(lf.SeedParams(gain=gain, sig_eps=eps), 1)
    got = seed_kernel.sig_scalar(c, w)
    want = float(reference.sig(w, c))
    assert got == pytest.approx(want, rel=1e-14, abs=1e-300) or (np.isnan(got) and np.isnan(want))


def test_sig_values():
    assert seed_kernel.sig_scalar(C, 1.0) == 1.0
    want = 1 / (1 + (0.5 / 0.51) ** 1.5)
    assert seed_kernel.sig_scalar(C, 0.5) == pytest.approx(want, rel=1e-15)
    assert seed_kernel.sig_scalar(C, 0.0) == pytest.approx(1 / (1 + 100**1.5), rel=1e-15)


def test_soft_bound():
    assert seed_kernel.soft_bound_scalar(0.1, 0.8) == pytest.approx(0.1 * 0.2)
    assert seed_kernel.soft_bound_scalar(-0.1, 0.8) == pytest.approx(-0.08)
    assert seed_kernel.soft_bound_scalar(0.0, 0.8) == 0.0


def test_many_units_and_inputs_agree():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, size=(12, 7, 5))
    su_s = rng.uniform(0, 1, size=(12, 7, 5))
    su_m = rng.uniform(0, 1, size=(12, 1, 5))
    fwt = rng.uniform(0.05, 0.95, size=(7, 5))
    fast, ref = _both(x, su_s, su_m, gc_i=rng.uniform(0, 0.1, (12, 7)), fwt=fwt, wt=fwt,
                      params=lf.SeedParams(m_lrn=1.0), n_cycles=60)
    assert fast["wt"].shape == (720, 7, 5) and fast["v_m"].shape == (720, 7)
    assert fast.spike_count.sum() > 0
    assert_same_run(fast, ref)


def test_units_are_independent():
    """Unit u of a population run equals a run of that unit alone."""
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, size=(6, 4, 3))
    pop = lf.simulate(x, n_cycles=50)
    for u in range(4):
        alone = lf.simulate(x[:, u : u + 1, :], n_cycles=50)
        for name in pop:
            np.testing.assert_array_equal(pop[name][:, u], alone[name][:, 0], err_msg=name)


def test_single_input_generalisation_is_the_notebook_formula():
    # net_raw = (1/n) * sum_j x_j * wt_j: with identical inputs and weights, n copies
    # of the notebook's input give the notebook's run.
    one = lf.simulate(lf.NOTEBOOK_INPUT)
    four = lf.simulate(np.asarray(lf.NOTEBOOK_INPUT)[:, None, None], n_inputs=4)
    assert four["wt"].shape == (2000, 1, 4)
    assert_traces_close(four["v_m"], one["v_m"])
    assert_traces_close(four["wt"][:, :, 3], one["wt"][:, :, 0])


schedules = st.integers(1, 6).flatmap(
    lambda n_trials: st.tuples(
        st.lists(st.floats(0, 1.5), min_size=n_trials, max_size=n_trials),
        st.lists(st.floats(0, 1), min_size=n_trials, max_size=n_trials),
        st.lists(st.floats(0, 1), min_size=n_trials, max_size=n_trials),
        st.lists(st.floats(0, 0.3), min_size=n_trials, max_size=n_trials),
    )
)

param_sets = st.fixed_dictionaries(
    {},
    optional={
        "dt_net_dt": st.floats(0.05, 1.0),
        "dt_vm_dt": st.floats(0.05, 0.6),
        "gc_l": st.floats(0.0, 0.5),
        "spk_thr": st.floats(0.6, 1.5),
        "vm_r": st.floats(0.0, 0.5),
        "exp_slope": st.floats(0.01, 0.2),
        "g_bar_l": st.floats(0.0, 0.6),
        "vm_gain": st.floats(0.0, 0.2),
        "spike_gain": st.floats(0.0, 0.05),
        "adapt_dt": st.floats(0.001, 0.1),
        "ss_dt": st.floats(0.01, 1.0),
        "s_dt": st.floats(0.01, 1.0),
        "m_dt": st.floats(0.01, 1.0),
        "l_dt": st.floats(0.001, 1.0),
        "m_in_s": st.floats(0.0, 1.0),
        "lrate": st.floats(0.0, 0.5),
        "m_lrn": st.floats(0.0, 1.0),
        "d_rev": st.floats(0.02, 0.5),
        "gain": st.floats(0.5, 6.0),
        "fwt_init": st.floats(0.05, 0.95),
        "gc_i_reversal": st.sampled_from(["e_rev_e", "e_rev_i"]),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sched=schedules,
    kw=param_sets,
    n_cycles=st.integers(1, 40),
    n_units=st.integers(1, 3),
    n_inputs=st.integers(1, 3),
    every=st.integers(1, 7),
)
def test_backends_agree_on_random_runs(sched, kw, n_cycles, n_units, n_inputs, every):
    x, s_eff, s_m, g = (np.asarray(v) for v in sched)
    params = lf.SeedParams(**kw)
    fast, ref = _both(
        x[:, None, None], s_eff, s_m[:, None, None], gc_i=g, params=params,
        n_cycles=n_cycles, n_units=n_units, n_inputs=n_inputs, record_every=every,
        on_nonfinite="ignore",
    )  # fmt: skip
    assert_same_run(fast, ref)


def test_overflow_is_reported_not_silent(backend):
    # A threshold the membrane can never reach lets v_m run away until exp overflows.
    params = lf.SeedParams(spk_thr=1e6, exp_slope=0.01)
    with pytest.warns(lf.NonFiniteWarning, match="NaN/inf"):
        res = lf.simulate([1.0] * 3, params=params, backend=backend)
    assert not res.ok
    first = int(res.first_nonfinite[0])
    assert 0 <= first < 300
    assert np.all(np.isfinite(res["v_m"][:first]))
    assert not np.isfinite(res["I_net"][first, 0])
    with pytest.raises(lf.NonFiniteError) as info:
        lf.simulate([1.0] * 3, params=params, backend=backend, on_nonfinite="raise")
    assert info.value.result.first_nonfinite[0] == first
    # Both backends detect it at the same cycle.
    other = "python" if backend == "cython" else "cython"
    res2 = lf.simulate([1.0] * 3, params=params, backend=other, on_nonfinite="ignore")
    assert int(res2.first_nonfinite[0]) == first


def test_deterministic_bits(backend):
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, size=(5, 3, 2))
    a = lf.simulate(x, backend=backend, n_cycles=30)
    b = lf.simulate(x, backend=backend, n_cycles=30)
    for name in a:
        assert a[name].tobytes() == b[name].tobytes()
