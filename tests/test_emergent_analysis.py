"""The canonical emergent model against analysis: threshold, equilibrium, monotonicity, demo.

Derivations (docs/emergent_equations.md, sections 3.3, 4.5, 11):

* the rate-code threshold conductance is where the equilibrium potential equals thr,
  g_e_thr = g_l (thr - e_rev_l) / (e_rev_e - thr) = 0.3 * 0.2 / 0.5 = 0.12 for the
  textbook neuron;
* with constant conductances v_m_eq converges to
  v_eq = (g_e e_rev_e + g_l e_rev_l + g_i e_rev_i - adapt) / (g_e + g_l + g_i);
* above threshold the rate code settles at NoisyXX1(g_e - g_e_thr): for the neuron
  (gain 30, nvar 0.01, g_e = 0.3) x = 0.18 is past the gain correction, so act = 5.4/6.4;
* spiking (Go: refractory 3 cycles, reset 0.3, threshold 0.5) at g_e = 0.3 fires
  every 8 cycles, so the ISI rate estimate is (1/(0.001*180))/8 = 0.69444.
"""

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.emergent import (
    EmergentParams,
    derived_constants,
    neuron_demo,
    neuron_demo_schedule,
)
from leabra_fast.emergent import compiled as K
from leabra_fast.emergent import reference as R
from leabra_fast.emergent.simulation import build_table


def steady(params, ge=1.0, gc_i=0.0, backend="cython", **kw):
    return lf.simulate(ge=ge, gc_i=gc_i, params=params, model="emergent", backend=backend, **kw)


def test_threshold_conductance_formula():
    p = EmergentParams.neuron("rate")
    c = derived_constants(p, 1)
    assert float(R.ge_thr(0.0, 0.0, c)) == pytest.approx(0.12, rel=1e-14)
    assert K.ge_thr_scalar(c, 0.0, 0.0) == pytest.approx(0.12, rel=1e-14)
    # Go's unit-test setting (g_l = .2) and Go default (g_l = .1).
    assert K.ge_thr_scalar(derived_constants(EmergentParams(), 1), 0.0, 0.0) == pytest.approx(0.08)
    assert K.ge_thr_scalar(derived_constants(EmergentParams.go(), 1), 0.0, 0.0) == pytest.approx(
        0.04
    )


@pytest.mark.parametrize("g_bar_e", [0.1195, 0.1199])
def test_spiking_stays_silent_just_below_threshold(g_bar_e):
    res = steady(EmergentParams.neuron("spike", g_bar_e=g_bar_e, cyc_per_qtr=250))
    assert res.spike_count[0] == 0
    assert res["v_m_eq"][-1, 0] < 0.5


@pytest.mark.parametrize("g_bar_e", [0.1201, 0.1205])
def test_spiking_fires_just_above_threshold(g_bar_e):
    res = steady(EmergentParams.neuron("spike", g_bar_e=g_bar_e, cyc_per_qtr=250))
    assert res.spike_count[0] > 0
    assert res["v_m_eq"][-1, 0] > 0.5


def test_rate_code_at_threshold_is_nxx1_of_zero(backend):
    # At g_e = g_e_thr, v_m_eq -> thr and the drive g_e - g_e_thr = 0.
    p = EmergentParams.neuron("rate", g_bar_e=0.12, cyc_per_qtr=250)
    res = steady(p, backend=backend)
    c = derived_constants(p, 1)
    assert res["v_m_eq"][-1, 0] == pytest.approx(0.5, abs=1e-9)
    assert res["act"][-1, 0] == pytest.approx(c["sig_val_at_0"], rel=1e-6)


@pytest.mark.parametrize(
    ("params", "gc_i"),
    [
        (EmergentParams.neuron("rate", cyc_per_qtr=100), 0.0),
        (EmergentParams.neuron("rate", cyc_per_qtr=100), 0.2),
        (EmergentParams(g_bar_e=0.4, cyc_per_qtr=100), 0.3),  # C++: midpoint v_m, spike resets
        (EmergentParams.go(cyc_per_qtr=800, adapt_on=True), 0.1),  # adapt tau 144 cycles
    ],
)
def test_equilibrium_membrane_potential(params, gc_i, backend):
    res = steady(params, gc_i=gc_i, backend=backend, ge=0.5 if not params.direct_ge else 1.0)
    g_e = res["g_e"][-1, 0]
    g_l, g_i = params.g_bar_l, params.g_bar_i * gc_i
    adapt = res["adapt"][-1, 0]
    v_eq = (g_e * params.e_rev_e + g_l * params.e_rev_l + g_i * params.e_rev_i - adapt) / (
        g_e + g_l + g_i
    )
    assert res["v_m_eq"][-1, 0] == pytest.approx(v_eq, abs=1e-10)
    if not (params.rate_spikes and v_eq > params.thr):  # v_m itself settles unless it spikes
        assert res["v_m"][-1, 0] == pytest.approx(v_eq, abs=1e-10)


def test_textbook_neuron_equilibrium_is_0_65():
    res = neuron_demo("rate")
    assert res["v_m"][159, 0] == pytest.approx(0.65, abs=1e-12)
    assert res["g_e"][159, 0] == pytest.approx(0.3)


@pytest.mark.parametrize("nxx1", ["closed", "table"])
@pytest.mark.parametrize("base", ["neuron", "emergent"])
def test_steady_act_rises_monotonically_with_g_e(nxx1, base):
    levels = np.linspace(0.0, 0.6, 25)
    n_units = levels.size
    if base == "neuron":
        p = EmergentParams.neuron("rate", g_bar_e=1.0, nxx1=nxx1, cyc_per_qtr=100)
    else:
        p = EmergentParams(nxx1=nxx1, cyc_per_qtr=100, direct_ge=True)
    res = steady(p, ge=levels[None, :], record=["act"])
    act = res["act"][-1]
    assert act.shape == (n_units,)
    assert np.all(np.diff(act) >= 0)
    live = act > 1e-9  # the table is exactly 0 far below threshold
    assert np.all(np.diff(act[live]) > 0) and live.sum() >= 20
    assert act[0] < 1e-6 and act[-1] > 0.8


def test_rate_act_rises_monotonically_while_input_is_on(backend):
    res = neuron_demo("rate", backend=backend)
    a = res["act"][:, 0]
    assert np.all(np.diff(a[10:160]) >= 0)
    assert np.all(np.diff(a[160:]) <= 0)
    assert a[9] < 1e-10  # off before cycle 10


def test_textbook_rate_settles_at_0_84375(backend):
    res = neuron_demo("rate", backend=backend)
    assert res["act"][159, 0] == pytest.approx(5.4 / 6.4, rel=1e-12)
    assert res.spike_count[0] == 0  # Go: no spike bookkeeping in rate code


def test_textbook_spiking_every_8_cycles(backend):
    res = neuron_demo("spike", backend=backend)
    spikes = np.flatnonzero(res["spike"][:, 0])
    assert spikes[0] == 14
    assert np.all(np.diff(spikes) == 8)
    assert spikes[-1] < 160 and res.spike_count[0] == spikes.size == 19
    assert res["act_nd"][159, 0] == pytest.approx((1 / (0.001 * 180)) / 8, rel=1e-12)
    # act is the spike itself (C++ emergent); act_nd the rate estimate.
    np.testing.assert_array_equal(res["act"][:, 0], res["spike"][:, 0])


@pytest.mark.parametrize("mode", ["rate", "spike"])
def test_adaptation_lowers_activity(mode, backend):
    plain = neuron_demo(mode, adapt=False, backend=backend)
    adapted = neuron_demo(mode, adapt=True, backend=backend)
    assert adapted["adapt"][159, 0] > 0.0 and np.all(plain["adapt"] == 0.0)
    assert adapted["act_nd"][159, 0] < plain["act_nd"][159, 0]
    if mode == "spike":
        assert adapted.spike_count[0] < plain.spike_count[0]
        isi = np.diff(np.flatnonzero(adapted["spike"][:, 0]))
        assert isi[-1] > isi[0]  # intervals lengthen


def test_adaptation_decays_after_input_off():
    res = neuron_demo("rate", adapt=True)
    a = res["adapt"][:, 0]
    assert np.all(np.diff(a[165:]) < 0)  # decay term: adapt relaxes toward vm_gain*(v_m - e_rev_l)


def test_nxx1_table_is_the_gaussian_convolution_of_xx1():
    p = EmergentParams(nxx1="table", nvar=0.01)
    table, x0, res = build_table(p)
    # Independent quadrature: XX1+ convolved with a normal of sigma = nvar/sqrt(2).
    y = np.linspace(-0.08, 0.08, 16001)
    w = np.exp(-(y**2) / p.nvar**2)
    w /= w.sum()
    for xi in (-0.02, -0.005, 0.0, 0.004, 0.02, 0.1, 0.5):
        z = p.gain * np.maximum(xi + y, 0.0)
        exact = float(np.sum(z / (z + 1.0) * w))
        c = derived_constants(p, 1)
        c["table_x0"], c["table_res"] = x0, res
        got = K.nxx1_lookup_scalar(c, table, xi)
        assert got == pytest.approx(exact, abs=2e-3), xi
        assert got == pytest.approx(float(R.nxx1_lookup(xi, table, x0, res, p.gain)), rel=1e-14)
    assert np.all(np.diff(table) > 0)
    assert K.nxx1_lookup_scalar(c, table, x0 - 0.1) == 0.0
    assert K.nxx1_lookup_scalar(c, table, 2.0) == pytest.approx(200.0 / 201.0)


def test_nxx1_closed_form_approximates_the_table():
    p = EmergentParams(nxx1="table")
    table, x0, res = build_table(p)
    c = derived_constants(p, 1)
    xs = np.linspace(-0.05, 0.5, 551)
    diff = np.abs(R.nxx1_lookup(xs, table, x0, res, p.gain) - R.noisy_xx1(xs, c))
    assert diff.max() < 0.03  # measured 0.022, near threshold
    assert diff[xs >= 0.1].max() < 2e-3


def test_neuron_demo_schedule():
    s = neuron_demo_schedule()
    assert s.shape == (1, 200, 1)
    assert s[0, 9, 0] == 0.0 and s[0, 10, 0] == 1.0 and s[0, 159, 0] == 1.0 and s[0, 160, 0] == 0.0


def test_nxx1_table_built_once_per_parameter_set():
    p = EmergentParams(nxx1="table")
    first = build_table(p)[0]
    assert build_table(EmergentParams(nxx1="table"))[0] is first  # equal params: cached
    assert build_table(p.replace(nvar=0.01))[0] is not first
    assert not first.flags.writeable


def test_kna_conductances_follow_their_equations(backend):
    """Spiking KNa: each spike adds rise*(max - g), then g decays by g/tau per cycle."""
    p = EmergentParams.neuron("spike", kna=True)
    res = lf.simulate(ge=neuron_demo_schedule(), params=p, model="emergent", backend=backend)
    g_k = res["g_k"][:, 0]  # the conductance that acted in each cycle
    assert np.flatnonzero(res["spike"][:, 0])[0] == 14 and np.all(g_k[:15] == 0.0)
    fast, med, slow = 0.05 * 0.1, 0.02 * 0.1, 0.001 * 1.0
    assert g_k[15] == pytest.approx(fast + med + slow, rel=1e-15)
    assert g_k[16] == pytest.approx(
        fast * (1 - 1 / 50) + med * (1 - 1 / 200) + slow * (1 - 1 / 1000)
    )


@pytest.mark.parametrize("mode", ["rate", "spike"])
def test_kna_adaptation_slows_activity(mode, backend):
    plain = neuron_demo(mode, backend=backend)
    kna = neuron_demo(mode, kna=True, backend=backend)
    assert kna["act_nd"][159, 0] < plain["act_nd"][159, 0]
    if mode == "spike":
        isi = np.diff(np.flatnonzero(kna["spike"][:, 0]))
        assert isi[0] == 8 and isi[-1] > 8 and kna.spike_count[0] < plain.spike_count[0]
    else:
        a = kna["act"][:, 0]
        assert a[159] < a[40]  # rises, then adapts while the input stays on


def test_kna_enters_the_threshold_conductance():
    c = derived_constants(EmergentParams.neuron("rate", kna=True), 1)
    g_k = 0.1
    want = (0.3 * (0.3 - 0.5) + g_k * (0.25 - 0.5)) / (0.5 - 1.0)
    assert K.ge_thr_scalar(c, 0.0, 0.0, g_k) == pytest.approx(want, rel=1e-14)
    assert float(R.ge_thr(0.0, 0.0, c, g_k)) == pytest.approx(want, rel=1e-14)


# --- what emergent 8.1 records (issue 11's gaps) ------------------------------------------


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_recorded_i_net_is_the_current_that_moved_v_m(backend):
    """emergent's I_net is the current of the v_m step, adaptation included (I_net -
    adapt), and 0 on a spike cycle: v_m[t] - v_m[t-1] = k_vm * I_net[t] off spikes, to
    the rounding of v_m.  The seed form records the channel current before adaptation:
    it is emergent's plus the adaptation current the step used, bit for bit."""
    p = EmergentParams.neuron("spike", adapt=True)
    kw = dict(ge=neuron_demo_schedule(), model="emergent", backend=backend,
              record=["v_m", "I_net", "spike", "adapt"])  # fmt: skip
    res = lf.simulate(params=p, **kw)
    k_vm = derived_constants(p, 1)["k_vm"]
    v, i, spk = res["v_m"][:, 0], res["I_net"][:, 0], res["spike"][:, 0]
    assert spk.sum() >= 5 and float(res["adapt"][:, 0].max()) > 0.01
    assert np.all(i[spk == 1] == 0.0)
    free = spk[1:] == 0
    np.testing.assert_allclose(np.diff(v)[free], k_vm * i[1:][free], rtol=0, atol=4.5e-16)

    seed_form = lf.simulate(params=p.replace(quirk_i_net_seed=True), **kw)
    i_seed = seed_form["I_net"][:, 0]
    adapt_used = np.concatenate([[0.0], res["adapt"][:-1, 0]])  # adapt before each cycle
    moved = (spk == 0) & (i_seed != 0.0)  # not refractory
    assert moved.sum() > 100
    assert (i_seed[moved] - adapt_used[moved]).tobytes() == i[moved].tobytes()
    assert np.all(i_seed[spk == 1] != 0.0)  # the seed keeps it on spike cycles
    for name in ("v_m", "spike", "adapt"):  # nothing else changes
        assert seed_form[name].tobytes() == res[name].tobytes()


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_emergent81_takes_the_sub_threshold_branch_whenever_v_m_eq_is_below_thr(backend):
    """C++ 8.1's rate code: act from NXX1(v_m_eq - thr) by the lookup table whenever
    v_m_eq <= thr, whatever act is (no vm_act_thr test); act above thr otherwise."""
    p = EmergentParams.emergent81()
    assert (p.nxx1, p.vm_act_thr, p.ss_tau) == ("table", np.finfo(float).max, 2.0)
    ge = 0.0794  # v_m_eq settles at 0.499, just below thr: NXX1 there is above 0.01
    res = lf.simulate(ge=ge, params=p, model="emergent", backend=backend,
                      record=["v_m_eq", "act_nd"])  # fmt: skip
    eq, nd = res["v_m_eq"][:, 0], res["act_nd"][:, 0]
    c = derived_constants(p, 1)
    table, x0, dx = build_table(p)
    below = np.flatnonzero((eq[1:] <= p.thr) & (nd[:-1] >= 0.01)) + 1
    assert below.size >= 30  # act above 0.01 while v_m_eq is below thr
    want = nd[below - 1] + c["k_vm"] * (R.nxx1_lookup(eq[below] - p.thr, table, x0, dx, p.gain)
                                        - nd[below - 1])  # fmt: skip
    np.testing.assert_allclose(nd[below], want, rtol=1e-14)
    default = lf.simulate(ge=ge, params=p.replace(vm_act_thr=0.01), model="emergent",
                          backend=backend, record=["act_nd"])  # fmt: skip
    assert not np.allclose(default["act_nd"][below, 0], nd[below])  # the branch matters


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_avg_l_gate_reads_the_whole_layer(backend):
    """emergent's avg_l gate is per layer (here: all units of the run): one unit of 100
    driven to act_p ~0.9 leaves the layer average under 0.01 and nobody's avg_l updates
    at the next trial start, the driven unit's included; two driven units open it for all."""
    p = EmergentParams()
    for n_on, opens in ((1, False), (2, True)):
        ge = np.zeros((2, 100))
        ge[0, :n_on] = 0.6  # trial 1: n_on units driven, trial 2: none
        res = lf.simulate(ge=ge, params=p, model="emergent", backend=backend, record=["avg_l"])
        layer_act_p = res.extra["act_p"][0].mean()
        assert bool(layer_act_p >= p.lay_act_thr) == opens
        assert 0.005 < layer_act_p < 0.02
        avg_l = res["avg_l"]
        assert np.all(avg_l[:100] == p.avg_l_init)  # the first trial never updates
        changed = avg_l[100] != avg_l[99]
        assert changed.all() if opens else not changed.any()
