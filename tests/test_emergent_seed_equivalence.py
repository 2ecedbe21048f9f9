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
