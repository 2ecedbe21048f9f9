"""The emergent model's API: dispatch, validation, trial structure, clamping, continuation."""

import dataclasses

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast import ParameterError
from leabra_fast.emergent import EmergentParams, EmergentState, derived_constants
from leabra_fast.emergent import reference as R


def run(**kw):
    kw.setdefault("model", "emergent")
    return lf.simulate(**kw)


# --- dispatch and errors ---------------------------------------------------------------------
def test_dispatch_and_result():
    res = run(ge=0.5)
    assert res.model == "emergent" and isinstance(res.state, EmergentState)
    assert tuple(res) == R.TRACE_NAMES
    assert res["v_m"].shape == (100, 1) and res["wt"].shape == (100, 1, 1)
    assert res.summary()["model"] == "emergent"


def test_model_params_mismatch_is_a_clear_error():
    with pytest.raises(TypeError, match="EmergentParams"):
        run(ge=0.5, params=lf.SeedParams())
    with pytest.raises(TypeError, match="model='emergent'"):
        lf.simulate(lf.NOTEBOOK_INPUT, params=EmergentParams())
    with pytest.raises(ValueError, match="unknown model"):
        lf.simulate(lf.NOTEBOOK_INPUT, model="nest")
    with pytest.raises(TypeError, match="unexpected keyword"):
        lf.simulate(lf.NOTEBOOK_INPUT, ge=0.5)
    with pytest.raises(TypeError, match="needs inputs"):
        lf.simulate()
    with pytest.raises(TypeError, match="state must be an EmergentState"):
        run(ge=0.5, state=lf.SeedState.initial(lf.SeedParams(), 1, 1))


def test_seed_model_unchanged_by_dispatch():
    assert lf.simulate(lf.NOTEBOOK_INPUT).spike_count[0] == 137
    assert lf.simulate(lf.NOTEBOOK_INPUT, n_cycles=100, model="seed").spike_count[0] == 137


@pytest.mark.parametrize(
    ("kw", "err", "match"),
    [
        (dict(ge=-0.1), ValueError, "ge is a conductance"),
        (dict(gc_i=[-1.0]), ValueError, "gc_i is a conductance"),
        (dict(ext=np.inf), ValueError, "ext contains inf"),
        (dict(ge=np.nan), ValueError, "ge contains NaN"),
        (dict(ge=np.zeros((1, 7, 1))), ValueError, "7 cycles per trial"),
        (dict(ge=np.zeros((1, 1, 1, 1))), ValueError, "ge must be a scalar"),
        (dict(ge=np.zeros(3), gc_i=np.zeros(2)), ValueError, "trials"),
        (dict(ge=np.zeros((2, 3)), ext=np.zeros((2, 4))), ValueError, "n_units"),
        (dict(n_cycles=200), ValueError, "n_quarters"),
        (dict(ge="a"), TypeError, "numeric"),
        (dict(backend="fortran"), ValueError, "unknown backend"),
        (dict(record=["spike", "nope"]), ValueError, "unknown trace"),
        (dict(wt=1.5), ValueError, "wt values must lie in"),
        (dict(max_trace_bytes=10), lf.TraceBudgetError, "max_trace_bytes"),
    ],
)
def test_bad_inputs_raise_clear_errors(kw, err, match):
    with pytest.raises(err, match=match):
        run(**kw)


@pytest.mark.parametrize(
    ("kw", "err", "match"),
    [
        (dict(act_fun="poisson"), ParameterError, "act_fun"),
        (dict(vm_tau=0.5), ParameterError, "vm_tau"),
        (dict(g_bar_l=-0.1), ParameterError, "g_bar_l"),
        (dict(t_r=1.5), TypeError, "t_r must be an int"),
        (dict(cyc_per_qtr=0), ParameterError, "cyc_per_qtr"),
        (dict(minus_quarters=5), ParameterError, "minus_quarters"),
        (dict(ex="yes"), TypeError, "ex must be a bool"),
        (dict(thr=1.0), ParameterError, "thr must differ"),
        (dict(vm_min=2.0), ParameterError, "vm_min"),
        (dict(d_rev=1.0), ParameterError, "d_rev"),
        (dict(gain=float("nan")), ParameterError, "gain"),
        (dict(nxx1="table", table_res=1e-7), ParameterError, "too large"),
    ],
)
def test_bad_params_raise(kw, err, match):
    with pytest.raises(err, match=match):
        p = EmergentParams(**kw)
        derived_constants(p, 1)
        lf.emergent.simulation.build_table(p)


def test_params_are_frozen_documented_and_round_trip():
    p = EmergentParams.go()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.g_bar_l = 0.3  # type: ignore[misc]
    doc = EmergentParams.describe()
    assert set(doc) == {f.name for f in dataclasses.fields(EmergentParams)}
    assert all(len(d) > 10 for d in doc.values())
    assert EmergentParams.from_dict(p.to_dict()) == p
    assert p.replace(gain=30.0).gain == 30.0
    with pytest.raises(TypeError, match="unknown parameter"):
        p.replace(gbar=1.0)
    with pytest.raises(ParameterError, match="unknown"):
        EmergentParams.from_dict({"gbar": 1.0})


def test_presets_differ_as_documented():
    cpp, go = EmergentParams(), EmergentParams.go()
    assert (cpp.g_bar_l, go.g_bar_l) == (0.2, 0.1)
    assert (cpp.ss_tau, go.ss_tau) == (4.0, 2.0)
    assert cpp.vm_midpoint_rate and not go.vm_midpoint_rate
    assert cpp.avg_l_lrn_min_term and not go.avg_l_lrn_min_term
    n = EmergentParams.neuron("rate", adapt=True)
    assert (n.g_bar_e, n.g_bar_l, n.gain, n.nvar, n.cycles_per_trial) == (0.3, 0.3, 30.0, 0.01, 200)
    assert n.adapt_on and n.act_fun == "rate"


# --- trial structure ---------------------------------------------------------------------
def test_trial_start_decay_and_avg_l_once_per_trial():
    p = EmergentParams()
    res = run(ge=[0.6, 0.0, 0.6], params=p, record=["v_m_eq", "avg_l", "avg_m", "avg_l_lrn"])
    avg_l = res["avg_l"][:, 0]
    # avg_l changes only at trial starts, by emergent's formula, and (C++ gate) only when
    # the previous trial's act_p averaged >= 0.01: not at cycle 0 (after initialisation
    # act_p is 0), at 100 (trial 1 was driven), not at 200 (trial 2 was silent).
    assert res.extra["act_p"][0, 0] > 0.5 and res.extra["act_p"][1, 0] < 0.01
    changes = np.flatnonzero(np.diff(avg_l)) + 1
    np.testing.assert_array_equal(changes, [100])
    assert avg_l[0] == 0.4
    want = avg_l[99] + 0.1 * (2.5 * res["avg_m"][99, 0] - avg_l[99])
    assert avg_l[100] == pytest.approx(max(want, 0.2), rel=1e-15)
    # Without the gate (Go) it updates at every trial start.
    ungated = run(ge=[0.6, 0.0, 0.6], params=p.replace(avg_l_gate=False), record=["avg_l"])
    changes = np.flatnonzero(np.diff(ungated["avg_l"][:, 0])) + 1
    np.testing.assert_array_equal(changes, [100, 200])
    assert ungated["avg_l"][0, 0] == pytest.approx(0.4 + 0.1 * (2.5 * 0.15 - 0.4))  # Go's 0.3975
    lrn = res["avg_l_lrn"][:, 0]
    np.testing.assert_allclose(lrn, 0.0001 + (avg_l - 0.2) * (0.5 - 0.0001) / 2.3, rtol=1e-14)
    # Full decay: cycle 0 of trial 2 starts from init v_m = 0.4 (one step away from it).
    single = run(ge=[0.6], params=p, record=["v_m_eq"])
    assert res["v_m_eq"][200, 0] == pytest.approx(single["v_m_eq"][0, 0], rel=1e-15)


def test_go_avg_l_lrn_has_no_min_term():
    res = run(ge=0.0, params=EmergentParams.go(), record=["avg_l", "avg_l_lrn"])
    np.testing.assert_allclose(res["avg_l_lrn"][:, 0], (res["avg_l"][:, 0] - 0.2) * 0.4999 / 2.3,
                               rtol=1e-14)  # fmt: skip


def test_learning_once_per_trial_at_its_end():
    res = run(inputs=[0.9, 0.1, 0.9], ge=0.3, record=["fwt", "wt", "dwt"])
    fwt = res["fwt"][:, 0, 0]
    changes = np.flatnonzero(np.diff(fwt)) + 1
    assert set(changes) <= {99, 199, 299} and len(changes) >= 2
    dwt = res["dwt"][:, 0, 0]
    assert np.all(dwt[np.setdiff1d(np.arange(300), [99, 199, 299])] == 0.0)
    c = derived_constants(EmergentParams(), 1)
    np.testing.assert_allclose(res["wt"][:, 0, 0], R.sig(fwt, c), rtol=1e-15)
    assert fwt[99] == pytest.approx(0.5 + dwt[99], rel=1e-15)


def test_xcal_weight_change_matches_formula():
    p = EmergentParams()
    res = run(inputs=[0.8], su_avg_s_eff=[0.7], su_avg_m=[0.4], ge=0.4, params=p)
    c = derived_constants(p, 1)
    s_eff, m, avg_l, l_lrn = (res[n][99, 0] for n in ("avg_s_eff", "avg_m", "avg_l", "avg_l_lrn"))
    srs, srm = s_eff * 0.7, m * 0.4
    assert res["srs"][99, 0, 0] == srs and res["srm"][99, 0, 0] == srm
    raw = 0.04 * (1.0 * R.xcal(srs, srm, c) + l_lrn * R.xcal(srs, avg_l, c))
    bounded = raw * (1 - 0.5) if raw > 0 else raw * 0.5
    assert res["dwt"][99, 0, 0] == pytest.approx(bounded, rel=1e-14)


def test_hard_clamp_and_plus_phase_target(backend):
    ext = np.full((1, 100, 2), np.nan)
    ext[:, :, 0] = 1.3  # clipped to clamp_max
    targ = np.array([[np.nan, 0.6]])
    res = run(ext=ext, targ=targ, ge=0.0, backend=backend,
              record=["act", "act_nd", "v_m", "net", "I_net"])  # fmt: skip
    assert np.all(res["act"][:, 0] == 0.95) and np.all(res["act_nd"][:, 0] == 0.95)
    assert np.all(res["v_m"][:, 0] == pytest.approx(0.5 + 0.95 / 100))
    assert np.all(res["I_net"][:, 0] == 0.0) and np.all(res["net"][:, 0] == 1.3)
    # Unit 1: free in the minus phase (75 cycles), clamped to its target in the plus phase.
    assert np.all(res["act"][:75, 1] < 0.01)
    assert np.all(res["act"][75:, 1] == 0.6)
    # Phase records: act_nd at the end of each quarter; ActM after quarter 3, ActP after 4.
    np.testing.assert_array_equal(res.extra["act_q"][0], res["act_nd"][[24, 49, 74, 99]])
    assert res.extra["act_m"][0, 1] < 0.01 and res.extra["act_p"][0, 1] == 0.6
    np.testing.assert_array_equal(res.extra["act_dif"], res.extra["act_p"] - res.extra["act_m"])
    zero = run(ext=0.0, record=["v_m", "act"])
    assert np.all(zero["v_m"][:, 0] == 0.3) and np.all(zero["act"] == 0.0)


def test_continuation_equals_one_long_run(backend):
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 1, (6, 2, 3))
    ge = rng.uniform(0, 0.5, (6, 100, 2))
    for p in (EmergentParams(), EmergentParams(act_fun="spike", adapt_on=True)):
        whole = run(inputs=x, ge=ge, params=p, backend=backend)
        first = run(inputs=x[:2], ge=ge[:2], params=p, backend=backend)
        rest = run(inputs=x[2:], ge=ge[2:], params=p, backend=backend, state=first.state)
        assert rest.state.equals(whole.state)
        for name in whole:
            np.testing.assert_array_equal(
                np.concatenate([first[name], rest[name]]), whole[name], err_msg=name
            )
        np.testing.assert_array_equal(rest.cycles, np.arange(200, 600))


def test_units_are_independent():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (3, 4, 2))
    ge = rng.uniform(0, 0.5, (3, 100, 4))
    pop = run(inputs=x, ge=ge, params=EmergentParams(act_fun="spike"))
    for u in range(4):
        alone = run(
            inputs=x[:, u : u + 1], ge=ge[:, :, u : u + 1], params=EmergentParams(act_fun="spike")
        )
        for name in pop:
            np.testing.assert_array_equal(pop[name][:, u], alone[name][:, 0], err_msg=name)


def test_initial_state():
    s = EmergentState.initial(EmergentParams(), 2, 3)
    assert np.all(s.v_m == 0.4) and np.all(s.avg_m == 0.15) and np.all(s.avg_l == 0.4)
    assert np.all(s.isi == -1) and np.all(s.fwt == 0.5) and np.all(s.wt == 0.5)
    s.validate()
    bad = s.copy()
    bad.v_m = np.array([0.1])
    with pytest.raises(ValueError, match=r"state\.v_m must have shape"):
        bad.validate()


def test_chunked_runs_give_the_same_bits_and_can_stop(backend):
    rng = np.random.default_rng(4)
    kw = dict(inputs=rng.uniform(0, 1, (4, 3, 2)), ge=rng.uniform(0, 0.5, (4, 100, 3)),
              params=EmergentParams(act_fun="spike", kna_on=True), backend=backend)  # fmt: skip
    whole = run(**kw)
    chunked = run(**kw, chunk_cycles=37)
    assert chunked.state.equals(whole.state)
    for name in whole:
        np.testing.assert_array_equal(chunked[name], whole[name], err_msg=name)
    np.testing.assert_array_equal(chunked.extra["act_q"], whole.extra["act_q"])

    def stop_after_two_trials(done, total):
        if done >= 200:
            raise KeyboardInterrupt

    with pytest.warns(lf.PartialRunWarning, match="200 of 400"):
        part = run(**kw, chunk_cycles=100, progress=stop_after_two_trials)
    assert part.partial and part.state.cycle == 200 and part["v_m"].shape == (200, 3)
    rest = run(**{**kw, "inputs": kw["inputs"][2:], "ge": kw["ge"][2:]}, state=part.state)
    assert rest.state.equals(whole.state)


def test_save_and_load_round_trip(tmp_path):
    res = run(inputs=[0.3, 0.9], ge=0.2, targ=[[np.nan], [0.5]],
              params=EmergentParams.go(act_fun="spike"))  # fmt: skip
    back = lf.load(res.save(tmp_path / "run.npz"))
    assert back.model == "emergent" and back.params == res.params
    assert isinstance(back.state, EmergentState) and back.state.equals(res.state)
    for name in res:
        np.testing.assert_array_equal(back[name], res[name])
    for name in ("act_q", "act_m", "act_p", "act_dif"):
        np.testing.assert_array_equal(back.extra[name], res.extra[name])
    again = run(**{k: back.schedules[k] for k in ("inputs", "ge", "targ")}, params=back.params)
    np.testing.assert_array_equal(again["v_m"], res["v_m"])


@pytest.mark.parametrize("entry", ["simulate", "simulate_emergent"])
def test_warnings_point_at_the_callers_line(entry):
    from leabra_fast.emergent import simulate_emergent

    run = lf.simulate if entry == "simulate" else simulate_emergent
    kw = {"model": "emergent"} if entry == "simulate" else {}

    def stop(done, total):
        if done >= 50:
            raise KeyboardInterrupt

    with pytest.warns(lf.PartialRunWarning) as record:
        run(ge=np.full(3, 0.5), chunk_cycles=50, progress=stop, **kw)
    assert record[0].filename == __file__


def test_seed_warnings_point_at_the_callers_line():
    with pytest.warns(lf.NonFiniteWarning) as record:
        lf.simulate([1.0] * 3, params=lf.SeedParams(spk_thr=1e6, exp_slope=0.01))
    assert record[0].filename == __file__
