"""The compiled emergent kernel against the reference backend: scalar functions and random runs."""

import numpy as np
import pytest
from conftest import assert_traces_close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams, derived_constants
from leabra_fast.emergent import compiled as K
from leabra_fast.emergent import reference as R
from leabra_fast.emergent.simulation import build_table

C = derived_constants(EmergentParams(), 1)


@given(x=st.floats(-1.0, 2.0), gain=st.floats(5.0, 200.0), nvar=st.floats(0.001, 0.05))
def test_noisy_xx1_c_equals_python(x, gain, nvar):
    c = derived_constants(EmergentParams(gain=gain, nvar=nvar), 1)
    assert K.noisy_xx1_scalar(c, x) == pytest.approx(
        float(R.noisy_xx1(x, c)), rel=1e-14, abs=1e-300
    )


@given(x=st.floats(-0.5, 0.5), th=st.floats(0.0, 1.0), d_thr=st.sampled_from([0.0, 1e-4, 0.05]),
       d_rev=st.floats(0.01, 0.99))  # fmt: skip
def test_xcal_c_equals_python(x, th, d_thr, d_rev):
    c = derived_constants(EmergentParams(d_thr=d_thr, d_rev=d_rev), 1)
    assert K.xcal_scalar(c, x, th) == float(R.xcal(x, th, c))


@given(w=st.floats(-0.5, 1.5), gain=st.floats(0.5, 8.0), off=st.floats(0.5, 2.0),
       seed_form=st.booleans())  # fmt: skip
def test_sig_c_equals_python(w, gain, off, seed_form):
    c = derived_constants(
        EmergentParams(wt_sig_gain=gain, wt_sig_off=off, quirk_sig_seed=seed_form), 1
    )
    got, want = K.sig_scalar(c, w), float(R.sig(w, c))
    assert got == pytest.approx(want, rel=1e-14) or (np.isnan(got) and np.isnan(want))


def test_sig_exact_at_ends_and_inverse():
    for w in (-0.1, 0.0):
        assert K.sig_scalar(C, w) == 0.0 and float(R.sig(w, C)) == 0.0
    for w in (1.0, 1.2):
        assert K.sig_scalar(C, w) == 1.0 and float(R.sig(w, C)) == 1.0
    w = np.linspace(0.01, 0.99, 99)
    np.testing.assert_allclose(R.sig(R.sig_inv(w, C), C), w, rtol=1e-13)
    assert K.sig_scalar(C, 0.75) == pytest.approx(1 / (1 + (0.25 / 0.75) ** 6), rel=1e-15)


@given(x=st.floats(-0.2, 1.5))
def test_table_lookup_c_equals_python(x):
    p = EmergentParams(nxx1="table")
    table, x0, res = build_table(p)
    c = derived_constants(p, 1)
    c["table_x0"], c["table_res"] = x0, res
    want = float(R.nxx1_lookup(x, table, x0, res, p.gain))
    assert K.nxx1_lookup_scalar(c, table, x) == pytest.approx(want, rel=1e-14, abs=1e-300)


@st.composite
def random_setup(draw):
    act_fun = draw(st.sampled_from(["rate", "spike"]))
    base = draw(st.sampled_from(["emergent", "go"]))
    p = getattr(EmergentParams, base)(
        act_fun=act_fun,
        nxx1=draw(st.sampled_from(["closed", "table"])),
        ex=draw(st.booleans()),
        adapt_on=draw(st.booleans()),
        kna_on=draw(st.booleans()),
        t_r=draw(st.integers(0, 4)),
        g_bar_l=draw(st.floats(0.05, 0.4)),
        g_bar_e=draw(st.floats(0.2, 1.5)),
        vm_tau=draw(st.floats(1.5, 5.0)),
        net_tau=draw(st.floats(1.0, 3.0)),
        direct_ge=draw(st.booleans()),
        gain=draw(st.floats(20.0, 120.0)),
        nvar=draw(st.floats(0.004, 0.02)),
        decay=draw(st.sampled_from([0.0, 0.5, 1.0])),
        ss_tau=draw(st.floats(1.0, 6.0)),
        lrate=draw(st.floats(0.0, 0.2)),
        soft_bound=draw(st.booleans()),
        vm_midpoint_spike=draw(st.booleans()),
        quirk_learn_every_cycle=draw(st.booleans()),
        quirk_sig_seed=draw(st.booleans()),
        quirk_adapt_seed=draw(st.booleans()),
        quirk_avg_l_seed=draw(st.booleans()),
        quirk_act_nd_spike=draw(st.booleans()),
        cyc_per_qtr=draw(st.integers(2, 8)),
        # SIG's power: multiplication (6, 2), b*sqrt(b) (1.5), libm pow (2.5)
        wt_sig_gain=draw(st.sampled_from([6.0, 1.5, 2.0, 2.5])),
    )
    n_trials = draw(st.integers(1, 3))
    # a few units (one narrow block), or enough for 16- and 64-lane blocks and remainders
    n_units = draw(st.one_of(st.integers(1, 3), st.integers(4, 70)))
    n_inputs = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    return p, n_trials, n_units, n_inputs, seed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_setup())
def test_random_runs_agree(setup):
    p, n_trials, n_units, n_inputs, seed = setup
    rng = np.random.default_rng(seed)
    nc = p.cycles_per_trial
    ext = np.where(rng.uniform(size=(n_trials, nc, n_units)) < 0.2, rng.uniform(0, 1.2), np.nan)
    targ = np.where(rng.uniform(size=(n_trials, n_units)) < 0.5, rng.uniform(0, 1), np.nan)
    kw = dict(
        inputs=rng.uniform(0, 1, (n_trials, n_units, n_inputs)),
        su_avg_s_eff=rng.uniform(0, 1, (n_trials, n_units, n_inputs)),
        ge=rng.uniform(0, 0.6, (n_trials, nc, n_units)),
        gc_i=rng.uniform(0, 0.3, (n_trials, n_units)),
        ext=ext, targ=targ, params=p, model="emergent",
        fwt=rng.uniform(0.05, 0.95, (n_units, n_inputs)),
    )  # fmt: skip
    fast = lf.simulate(backend="cython", **kw)
    ref = lf.simulate(backend="python", **kw)
    assert list(fast) == list(ref)
    for name in ref:
        assert_traces_close(fast[name], ref[name], rtol=1e-12, name=name)
    np.testing.assert_array_equal(fast["spike"], ref["spike"])
    np.testing.assert_array_equal(fast.spike_count, ref.spike_count)
    assert_traces_close(fast.extra["act_q"], ref.extra["act_q"], rtol=1e-12, name="act_q")
    for name in ("v_m", "v_m_eq", "act_nd", "adapt", "isi", "isi_avg", "avg_l", "gkna_s", "wt"):
        assert_traces_close(getattr(fast.state, name), getattr(ref.state, name), name=name)


def test_record_subset_and_every_agree():
    rng = np.random.default_rng(3)
    kw = dict(inputs=rng.uniform(0, 1, (4, 5, 2)), ge=rng.uniform(0, 0.5, (4, 1, 5)),
              params=EmergentParams(act_fun="spike"), model="emergent",
              record=["v_m", "wt", "act_nd"], units=[1, 3], record_every=7)  # fmt: skip
    fast, ref = lf.simulate(backend="cython", **kw), lf.simulate(backend="python", **kw)
    assert list(fast) == ["v_m", "act_nd", "wt"]
    assert fast["v_m"].shape == (58, 2) and fast["wt"].shape == (58, 2, 2)
    np.testing.assert_array_equal(fast.cycles, np.arange(0, 400, 7))
    for name in ref:
        assert_traces_close(fast[name], ref[name], name=name)
    full = lf.simulate(**{**kw, "record": "all", "units": None, "record_every": 1})
    np.testing.assert_array_equal(fast["v_m"], full["v_m"][::7][:, [1, 3]])
