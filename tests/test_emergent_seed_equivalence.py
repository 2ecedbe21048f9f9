"""The canonical model with the seed notebook's quirks switched on gives the seed model's traces.

``EmergentParams.seed()`` sets the notebook's constants and its departures from
emergent (docs/emergent_model.md, "Seed quirks"): spiking with the exponential
term and Euler v_m, no refractory period, leak 0.1 but AdEx scale 0.3,
gc_i*(e_rev_e - v_m), adaptation without decay divided by 144, rates divided by
sdc = 5, avg_l's seed update, avg_l_lrn's parenthesisation, the seed SIG,
learning every cycle, no trial-start decay, act_nd = the spike.  The seed
model's 19 traces, its spike train and final weights must then agree to
rtol 1e-12 (in practice bit for bit), on the notebook's run and on others.
"""

import numpy as np
import pytest
from conftest import DATA, assert_traces_close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams


def both(inputs, su_s=None, su_m=None, *, n_cycles=100, seed_params=None, backend="cython", **kw):
    seed_params = seed_params or lf.SeedParams()
    s = lf.simulate(
        inputs, su_s, su_m, params=seed_params, n_cycles=n_cycles, backend=backend, **kw
    )
    overrides = {}
    if seed_params.m_lrn != 0.0:
        overrides["m_lrn"] = seed_params.m_lrn
    if seed_params.lrate != 0.1:
        overrides["lrate"] = seed_params.lrate
    e_params = EmergentParams.seed(cyc_per_qtr=n_cycles // 4, **overrides)
    e = lf.simulate(inputs, su_s, su_m, params=e_params, model="emergent", backend=backend, **kw)
    return s, e


def assert_equivalent(s, e):
    assert set(s) <= set(e), set(s) - set(e)
    for name in s:
        assert_traces_close(e[name], s[name], rtol=1e-12, name=name)
    np.testing.assert_array_equal(e["act"], s["act"])
    np.testing.assert_array_equal(e.spike_count, s.spike_count)
    assert_traces_close(e.state.fwt, s.state.fwt, name="final fwt")
    assert_traces_close(e.state.wt, s.state.wt, name="final wt")


def test_notebook_run_equivalent(backend):
    s, e = both(lf.NOTEBOOK_INPUT, backend=backend)
    assert e.spike_count[0] == 137
    assert_equivalent(s, e)
    # And against the stored golden traces of the notebook itself.
    with np.load(DATA / "seed_golden.npz") as golden:
        for name in lf.TRACE_NAMES:
            got = e[name][:, 0] if e[name].ndim == 2 else e[name][:, 0, 0]
            assert_traces_close(got, golden[name], rtol=1e-12, name=name)


def test_notebook_run_is_bit_identical():
    s, e = both(lf.NOTEBOOK_INPUT)
    for name in s:
        np.testing.assert_array_equal(e[name], s[name], err_msg=name)


@pytest.mark.parametrize("m_lrn", [0.0, 1.0])
def test_many_units_inputs_and_inhibition_equivalent(backend, m_lrn):
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, size=(8, 3, 4))
    su_s = rng.uniform(0, 1, size=(8, 3, 4))
    su_m = rng.uniform(0, 1, size=(8, 1, 4))
    fwt = rng.uniform(0.1, 0.9, size=(3, 4))
    s, e = both(x, su_s, su_m, n_cycles=60, backend=backend,
                seed_params=lf.SeedParams(m_lrn=m_lrn, lrate=0.05),
                gc_i=rng.uniform(0, 0.05, (8, 3)), fwt=fwt, wt=fwt)  # fmt: skip
    assert s.spike_count.sum() > 0
    assert_equivalent(s, e)


def test_quirks_matter():
    """Each quirk flag changes the run: none of them is dead code on the notebook's run."""
    base = lf.simulate(lf.NOTEBOOK_INPUT, params=EmergentParams.seed(), model="emergent",
                       record=["v_m", "wt", "avg_l_lrn"])  # fmt: skip
    for flag in ("quirk_adapt_seed", "quirk_avg_l_seed", "quirk_avg_l_lrn_seed",
                 "quirk_sig_seed", "quirk_learn_every_cycle", "quirk_act_nd_spike"):  # fmt: skip
        other = lf.simulate(lf.NOTEBOOK_INPUT, params=EmergentParams.seed(**{flag: False}),
                            model="emergent", record=["v_m", "wt", "avg_l_lrn"])  # fmt: skip
        assert any(not np.array_equal(base[n], other[n]) for n in base), flag


def test_from_seed_of_the_defaults_is_the_seed_preset():
    a = lf.simulate(lf.NOTEBOOK_INPUT, params=EmergentParams.seed(), model="emergent")
    b = lf.simulate(lf.NOTEBOOK_INPUT, params=EmergentParams.from_seed(lf.SeedParams()),
                    model="emergent")  # fmt: skip
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_from_seed_rejects_what_has_no_counterpart():
    with pytest.raises(lf.ParameterError, match="noise"):
        EmergentParams.from_seed(lf.SeedParams(noise=0.01))
    with pytest.raises(TypeError, match="SeedParams"):
        EmergentParams.from_seed(EmergentParams())


@st.composite
def seed_setup(draw):
    # Rates drawn as reciprocals of doubles, so each has an exact time constant.
    def recip(lo, hi):
        return st.floats(lo, hi).map(lambda tau: 1.0 / tau)

    rate = recip(1.0, 100.0)
    p = lf.SeedParams(
        dt_net_dt=draw(rate), dt_vm_dt=draw(recip(1.6, 20.0)), gc_l=draw(st.floats(0.0, 0.5)),
        e_rev_l=draw(st.floats(0.1, 0.5)), e_rev_i=draw(st.floats(0.1, 0.4)),
        gc_i_reversal=draw(st.sampled_from(["e_rev_e", "e_rev_i"])),
        thr=draw(st.floats(0.3, 0.7)), exp_slope=draw(st.floats(0.01, 0.05)),
        g_bar_l=draw(st.floats(0.0, 0.5)), spk_thr=draw(st.floats(0.8, 2.5)),
        vm_r=draw(st.floats(0.0, 0.5)), adapt_dt=draw(st.floats(0.001, 0.1)),
        vm_gain=draw(st.floats(0.0, 0.1)), spike_gain=draw(st.floats(0.0, 0.05)),
        ss_dt=draw(rate), s_dt=draw(rate), m_dt=draw(rate), l_dt=draw(rate),
        avg_l_min=draw(st.floats(0.0, 0.5)), avg_l_max=draw(st.floats(0.6, 3.0)),
        m_in_s=draw(st.floats(0.0, 1.0)), lrate=draw(st.floats(0.0, 0.5)),
        m_lrn=draw(st.floats(0.0, 1.0)), d_rev=draw(st.floats(0.05, 0.5)),
        gain=draw(st.floats(0.5, 6.0)), v_m_init=draw(st.floats(0.0, 0.6)),
        fwt_init=draw(st.floats(0.1, 0.9)), wt_init=draw(st.floats(0.1, 0.9)),
    )  # fmt: skip
    n_cycles = draw(st.sampled_from([8, 12, 13, 40]))
    return (
        p,
        n_cycles,
        draw(st.integers(1, 3)),
        draw(st.integers(1, 3)),
        draw(st.integers(0, 2**32 - 1)),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed_setup())
def test_random_seed_params_are_bit_identical(setup):
    """Any SeedParams, through EmergentParams.from_seed, gives the seed model's bits.

    The rates are drawn as reciprocals of doubles.  A seed rate that is the
    reciprocal of no double (e.g. 0.05046168846497188) becomes a time constant
    one ulp off, and agreement is then only to rounding (which the AdEx
    exponential can amplify to ~1e-11 just before a spike).
    """
    sp, n_cycles, n_units, n_inputs, seed = setup
    rng = np.random.default_rng(seed)
    n_trials = 4
    kw = dict(
        inputs=rng.uniform(0, 1.5, (n_trials, n_units, n_inputs)),
        su_avg_s_eff=rng.uniform(0, 1, (n_trials, n_units, n_inputs)),
        su_avg_m=rng.uniform(0, 1, (n_trials, 1, n_inputs)),
        gc_i=rng.uniform(0, 0.2, (n_trials, n_units)),
        on_nonfinite="ignore",
    )
    s = lf.simulate(params=sp, n_cycles=n_cycles, **kw)
    e = lf.simulate(params=EmergentParams.from_seed(sp, n_cycles), model="emergent", **kw)
    for name in s:
        np.testing.assert_array_equal(e[name], s[name], err_msg=name)
    np.testing.assert_array_equal(e.spike_count, s.spike_count)
    np.testing.assert_array_equal(e.first_nonfinite, s.first_nonfinite)
