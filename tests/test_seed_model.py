"""The seed notebook's run: both backends against the notebook and the stored golden file."""

import numpy as np
import pytest
from conftest import DATA, assert_traces_close
from notebook_seed import NAMES, run_notebook

import leabra_fast as lf


@pytest.fixture(scope="module")
def notebook():
    return run_notebook()


@pytest.fixture(scope="module")
def golden():
    with np.load(DATA / "seed_golden.npz") as f:
        return dict(f)


def _single(res):
    return {k: (v[:, 0] if v.ndim == 2 else v[:, 0, 0]) for k, v in res.items()}


def test_notebook_transliteration_has_137_spikes(notebook):
    assert notebook["act"].sum() == 137
    assert len(notebook["v_m"]) == 2000


def test_golden_file_matches_notebook(golden, notebook):
    for name in NAMES:
        assert_traces_close(golden[name], notebook[name], name=name)
    np.testing.assert_array_equal(golden["act"], notebook["act"])


def test_backend_reproduces_notebook(backend, notebook, golden):
    res = lf.simulate(lf.NOTEBOOK_INPUT, backend=backend)
    got = _single(res)
    assert tuple(res) == lf.TRACE_NAMES
    for name in NAMES:
        assert got[name].shape == (2000,)
        assert_traces_close(got[name], notebook[name], name=name)
        assert_traces_close(got[name], golden[name], name=name)
    # Identical spike trains, not merely close.
    np.testing.assert_array_equal(got["act"], notebook["act"])
    assert int(res.spike_count[0]) == 137
    assert res.ok and not res.partial
    assert_traces_close(res.state.fwt, golden["final_fwt"])
    assert_traces_close(res.state.wt, golden["final_wt"])


def test_trace_layout(backend):
    res = lf.simulate(lf.NOTEBOOK_INPUT, backend=backend)
    for name in lf.UNIT_TRACES:
        assert res[name].shape == (2000, 1)
    for name in lf.SYNAPSE_TRACES:
        assert res[name].shape == (2000, 1, 1)
    for arr in res.values():
        assert arr.dtype == np.float64 and arr.flags.c_contiguous
    np.testing.assert_array_equal(res.cycles, np.arange(2000))
    np.testing.assert_array_equal(res.trial, np.repeat(np.arange(20), 100))
    np.testing.assert_array_equal(res.cycle_in_trial, np.tile(np.arange(100), 20))


def test_seed_quirks_are_reproduced(golden):
    """Spot checks of the notebook's departures from emergent, on the golden run."""
    p = lf.SeedParams()
    avg_l, avg_m = golden["avg_l"], golden["avg_m"]
    # avg_l changes only at cycle 0 of each trial.
    changes = np.flatnonzero(np.diff(avg_l) != 0) + 1
    assert set(changes % 100) <= {0}
    # avg_l update uses avg_m of the same cycle, without gain or floor.
    assert avg_l[100] == avg_l[99] + p.l_dt * (avg_m[100] - avg_l[99])
    # avg_l_lrn with the notebook's parenthesisation: factor (.045/1.5 - .2) = -0.17.
    fac = (p.avg_l_lrn_max - p.avg_l_lrn_min) / p.avg_l_max - p.avg_l_min
    assert fac == pytest.approx(-0.17)
    want = p.avg_l_lrn_min + (avg_l - p.avg_l_min) * fac
    np.testing.assert_array_equal(golden["avg_l_lrn"], want)
    # Adaptation without decay: increments are exactly (vm_gain*(v_m - e_rev_l) + spike*g)/144.
    inc = (p.vm_gain * (golden["v_m"][1:] - p.e_rev_l) + golden["act"][1:] * p.spike_gain) / 144
    np.testing.assert_array_equal(golden["adapt"][1:], golden["adapt"][:-1] + inc)
    # SIG with the +.01: wt = 1/(1 + ((1-fwt)/(fwt+.01))**1.5), so SIG(.5) != .5.
    fwt = golden["fwt"]
    assert_traces_close(golden["wt"], 1 / (1 + ((1 - fwt) / (fwt + 0.01)) ** 1.5))
    # Learning every cycle: fwt changes within a trial, and dwt is reset (not accumulated).
    assert np.count_nonzero(np.diff(golden["fwt"][200:300])) > 50
    np.testing.assert_array_equal(golden["fwt"][1:], golden["fwt"][:-1] + golden["dwt"][1:])


def test_inhibitory_reversal_option(backend):
    x = lf.NOTEBOOK_INPUT
    quirk = lf.simulate(x, gc_i=0.05, backend=backend)
    physiological = lf.SeedParams(gc_i_reversal="e_rev_i")
    fixed = lf.simulate(x, gc_i=0.05, backend=backend, params=physiological)
    # Driving force toward e_rev_e (quirk) excites; toward e_rev_i inhibits.
    assert quirk.spike_count[0] > 137 > fixed.spike_count[0]
    v0 = 0.3
    i0 = quirk["I_net"][0, 0] - 0.05 * (1.0 - v0)
    assert fixed["I_net"][0, 0] == pytest.approx(i0 + 0.05 * (0.25 - v0), rel=1e-12)


def test_zero_gc_i_is_the_notebook(backend, golden):
    res = lf.simulate(lf.NOTEBOOK_INPUT, gc_i=np.zeros(20), backend=backend)
    assert_traces_close(res["v_m"][:, 0], golden["v_m"])


def test_m_lrn_one_changes_learning(backend):
    base = lf.simulate(lf.NOTEBOOK_INPUT, backend=backend)
    err = lf.simulate(lf.NOTEBOOK_INPUT, params=lf.SeedParams(m_lrn=1.0), backend=backend)
    nb = run_notebook(m_lrn=1)
    assert_traces_close(err["fwt"][:, 0, 0], nb["fwt"], name="fwt m_lrn=1")
    np.testing.assert_array_equal(err["act"][:, 0], nb["act"])
    assert not np.array_equal(err["fwt"], base["fwt"])
