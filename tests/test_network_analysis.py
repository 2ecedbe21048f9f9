"""Closed-form checks of the network dynamics (float64 reference).

FFFB (Go fffb/fffb.go ``Inhib``): with a hard-clamped layer the feedforward term is constant
and the feedback term relaxes geometrically, ``FBi_n = FB A (1 - (1 - FBDt)^(n-1))`` (the
first cycle sees the decayed, zero activity average).  Net input (Go act.go
``SLayActScale``, layer.go ``GScaleFmAvgAct``, prjn.go ``SendGDelta``): a clamped sender
sends once, so ``GeRaw`` is the constant ``sum_p GScale_p sum_s Wt Act_s`` and
``Ge_n = GeRaw (1 - (1 - GDt)^n)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from leabra_fast.network import Network
from leabra_fast.network.reference import sig_fun, sig_inv_fun

RTOL = 1e-12


def clamped_input(n=10, on=(0, 3, 7)):
    x = np.zeros(n)
    x[list(on)] = 1
    return x


def test_fffb_steady_state_of_clamped_input_layer():
    """Go fffb/fffb.go Inhib + layer.go InhibFmGeAct: a hard-clamped input layer of 10 units,
    3 at 0.95, has FF = 0 (no net input) and Gi_n = Gi FB A (1 - (1 - 1/FBTau)^(n-1)),
    A = 0.285, reaching Gi FB A; every trial restarts from the decayed state."""
    net = Network()
    net.add_layer("Input", 10, "input")
    net.apply_params([("Layer", {"inhib.layer.gi": 2.0, "inhib.layer.fb": 1.5})])
    net.init_weights(0)
    res = net.run({"Input": np.stack([clamped_input()] * 2)}, learn=False, record=["gi", "act"])
    a = 3 * 0.95 / 10
    n = np.arange(1, 101)
    want = 2.0 * 1.5 * a * (1 - (1 - 1 / 1.4) ** (n - 1))
    for t in range(2):
        gi = res.cycles["Input"]["gi"][t, :, 0]
        assert np.allclose(gi, want[:, None], rtol=RTOL, atol=1e-15)
    assert np.isclose(gi[-1, 0], 2.0 * 1.5 * a, rtol=RTOL)
    assert np.array_equal(res.cycles["Input"]["act"][0, :, 0, 0], np.full(100, 0.95))


def test_netin_scaling_two_projections():
    """Go act.go SLayActScale and layer.go GScaleFmAvgAct: two full projections into Hidden
    with (abs, rel) = (2, 1) from A (10 units, 2 on) and (1, 3) from B (30 units, 5 on);
    expected activity 0.15 gives 1/round(1.5) = 1/2 and 1/round(4.5) = 1/5 (Go rounds half
    away from zero), rel normalised over 1 + 3.  Ge follows GeRaw (1 - (1 - GDt)^n)."""
    net = Network()
    net.add_layer("A", 10, "input")
    net.add_layer("B", 30, "input")
    net.add_layer("Hidden", 3)
    net.connect("A", "Hidden")
    net.connect("B", "Hidden")
    net.apply_params([
        ("Prjn", {"wt_init.var": 0.0}),
        ("#AToHidden", {"wt_scale.abs": 2.0, "wt_scale.rel": 1.0}),
        ("#BToHidden", {"wt_scale.abs": 1.0, "wt_scale.rel": 3.0}),
        ("#Hidden", {"inhib.layer.on": False}),
    ])
    net.init_weights(0)
    xa, xb = clamped_input(10, (1, 4)), clamped_input(30, (0, 5, 9, 20, 29))
    res = net.run({"A": xa[None], "B": xb[None]}, learn=False, record=["ge", "ge_raw"])
    ga = 2.0 * 1.0 * (1 / 2) / 4
    gb = 1.0 * 3.0 * (1 / 5) / 4
    assert net.state.prjns["AToHidden"]["gscale"][0] == ga
    assert np.isclose(net.state.prjns["BToHidden"]["gscale"][0], gb, rtol=RTOL)
    raw = ga * 0.5 * 2 * 0.95 + gb * 0.5 * 5 * 0.95
    assert np.allclose(res.cycles["Hidden"]["ge_raw"][0, :, 0], raw, rtol=RTOL)
    n = np.arange(1, 101)
    want = raw * (1 - (1 - 1 / 1.4) ** n)
    assert np.allclose(res.cycles["Hidden"]["ge"][0, :, 0], want[:, None], rtol=RTOL)


def test_netin_scaling_partial_connectivity():
    """Go act.go SLayActScale, partial connectivity: 40 senders at 0.15 (6 expected active),
    4 connections per receiver: 1 / min(max(round(0.6), 1) + 2, min(4, 6)) = 1/3."""
    net = Network()
    net.add_layer("A", 40, "input")
    net.add_layer("H", 8)
    mask = np.zeros((8, 40), bool)
    for r in range(8):
        mask[r, (5 * r + np.arange(4)) % 40] = True
    net.connect("A", "H", "mask", mask=mask)
    net.init_weights(0)
    net.alpha_cyc_init(True)
    assert np.isclose(net.state.prjns["AToH"]["gscale"][0], 1 / 3, rtol=RTOL)


def test_fffb_feedforward_and_feedback_of_receiving_layer():
    """Go fffb/fffb.go: in a hidden layer driven by a clamped input, FFi_n = FF (Ge_n - FF0)
    (Ge_n in closed form) and Gi_n = Gi (FFi_n + FBi_n) with FBi integrating FB times the
    previous cycle's layer activity average (FBDt = 1/FBTau)."""
    net = Network()
    net.add_layer("Input", 10, "input")
    net.add_layer("Hidden", 4)
    net.connect("Input", "Hidden")
    net.apply_params([("Prjn", {"wt_init.var": 0.0})])
    net.init_weights(0)
    res = net.run({"Input": clamped_input()[None]}, learn=False, record=["ge", "gi", "act"])
    raw = 0.5 * 0.5 * 3 * 0.95  # GScale 1/round(1.5), Wt .5, 3 senders at .95
    n = np.arange(1, 101)
    ge = raw * (1 - (1 - 1 / 1.4) ** n)
    assert np.allclose(res.cycles["Hidden"]["ge"][0, :, 0], ge[:, None], rtol=RTOL)
    ffi = np.where(ge > 0.1, ge - 0.1, 0.0)
    act_avg = res.cycles["Hidden"]["act"][0, :, 0].mean(axis=1)
    fbi = np.zeros(100)
    prev = 0.0
    for i in range(100):
        prev_avg = act_avg[i - 1] if i > 0 else 0.0
        prev = prev + (1 / 1.4) * (prev_avg - prev)
        fbi[i] = prev
    want = 1.8 * (ffi + fbi)
    assert np.allclose(res.cycles["Hidden"]["gi"][0, :, 0], want[:, None], rtol=1e-12)


@pytest.mark.parametrize("layer_on", [True, False])
def test_pool_inhibition_closed_form(layer_on):
    """Go layer.go PoolInhibFmGeAct: a 4-D clamped layer with two unit groups (2 and 1 of 3
    units on); with layer inhibition on each pool gets max(own, layer), otherwise the layer
    takes the max of its pools; steady state Gi FB A for each average A."""
    net = Network()
    net.add_layer("Input", (2, 1, 1, 3), "input")
    net.apply_params([("Layer", {"inhib.pool.on": True, "inhib.layer.on": layer_on,
                                 "inhib.pool.gi": 2.4})])
    net.init_weights(0)
    res = net.run({"Input": np.array([[1, 1, 0, 1, 0, 0]])}, learn=False, record=["gi"])
    st = net.state.layers["Input"]
    a_lay, a1, a2 = 3 * 0.95 / 6, 2 * 0.95 / 3, 0.95 / 3
    lay = 1.8 * a_lay if layer_on else 0.0
    p1, p2 = max(2.4 * a1, lay), max(2.4 * a2, lay)
    assert np.allclose(st["pool_gi"][0], [lay if layer_on else max(p1, p2), p1, p2], rtol=RTOL)
    gi = res.cycles["Input"]["gi"][0, -1, 0]
    assert np.allclose(gi, [p1, p1, p1, p2, p2, p2], rtol=RTOL)


def test_one_to_one_units_are_independent():
    """A one-to-one network without hidden-layer inhibition is a set of independent units:
    each hidden unit's trajectory equals (bit for bit) that of a one-unit network with the
    same weight and input (GScale is 1 in both, Go act.go SLayActScale)."""
    x = np.array([[0.3, 0.5, 0.7, 0.9, 0.2], [0.9, 0.05, 0.4, 0.6, 1.0]])
    w = np.array([0.3, 0.55, 0.8, 0.45, 0.9])

    def build(n):
        net = Network()
        net.add_layer("Input", n, "input")
        net.add_layer("Hidden", n)
        net.connect("Input", "Hidden", "one_to_one")
        net.apply_params([("#Hidden", {"inhib.layer.on": False})])
        net.init_weights(0)
        return net

    big = build(5)
    big.set_weights("InputToHidden", np.diag(w))
    rb = big.run({"Input": x}, learn=False, record=["act", "ge", "vm", "avg_m"])
    for i in range(5):
        one = build(1)
        one.set_weights("InputToHidden", w[i:i + 1, None])
        r1 = one.run({"Input": x[:, i:i + 1]}, learn=False, record=["act", "ge", "vm", "avg_m"])
        hb, h1 = rb.cycles["Hidden"], r1.cycles["Hidden"]
        for v in ("act", "ge", "vm", "avg_m"):
            assert np.array_equal(hb[v][..., i], h1[v][..., 0]), (i, v)
        tb, t1 = rb.trials["Hidden"]["avg_l"], r1.trials["Hidden"]["avg_l"]
        assert np.array_equal(tb[..., i], t1[..., 0])


def test_sig_functions():
    """Go learn.go SigFun61 / SigInvFun61: SIG(.5) = .5, the inverse inverts, the clips."""
    w = np.linspace(0.01, 0.99, 99)
    assert sig_fun(np.array([0.5]), 6.0, 1.0)[0] == 0.5
    assert np.allclose(sig_fun(sig_inv_fun(w, 6.0, 1.0), 6.0, 1.0), w, rtol=1e-13)
    assert np.allclose(sig_inv_fun(sig_fun(w, 3.0, 1.5), 3.0, 1.5), w, rtol=1e-13)
    assert sig_fun(np.array([-0.1, 0.0, 1.0, 1.2]), 6.0, 1.0).tolist() == [0, 0, 1, 1]


def test_wt_bal_factors():
    """Go learn.go WtBalParams.WtBal and prjn.go WtBalFmWt: mean of weights >= AvgThr per
    receiver; below LoThr: Dec = 1/(1 + LoGain (LoThr - max(avg, AvgThr))), Inc = 2 - Dec;
    above HiThr: Inc = 1/(1 + HiGain (avg - HiThr)), Dec = 2 - Inc; computed every
    WtBalInterval weight updates."""
    net = Network(wt_bal_interval=1)
    net.add_layer("A", 4, "input")
    net.add_layer("H", 3)
    net.connect("A", "H")
    net.apply_params([("Prjn", {"learn.wt_bal.on": True})])
    net.init_weights(0)
    w = np.array([[0.3, 0.3, 0.1, 0.3], [0.9, 0.7, 0.8, 0.6], [0.4, 0.4, 0.4, 0.4]])
    net.set_weights("AToH", w)
    net.wt_from_dwt()  # no DWt: weights unchanged, WtBal recomputed (interval 1)
    st = net.state.prjns["AToH"]
    lo_dec = 1 / (1 + 6 * (0.4 - 0.3))
    hi_inc = 1 / (1 + 4 * (0.75 - 0.4))
    assert np.allclose(st["wb_avg"][0], [0.3, 0.75, 0.4], rtol=RTOL)
    assert np.allclose(st["wb_dec"][0], [lo_dec, 2 - hi_inc, 1], rtol=RTOL)
    assert np.allclose(st["wb_inc"][0], [2 - lo_dec, hi_inc, 1], rtol=RTOL)


def test_self_inhibition_closed_form():
    """Go inhib.go SelfInhibParams.Inhib with layer.go InhibFromPool: GiSelf integrates
    Gi_self x Act (the act before this cycle's update); a clamped unit at 0.95 gives
    GiSelf_n = 0.4 x 0.95 (1 - (1 - 1/1.4)^n), added to the pool's Gi."""
    net = Network()
    net.add_layer("Input", 4, "input")
    net.apply_params([("Layer", {"inhib.self_inhib.on": True, "inhib.layer.on": False})])
    net.init_weights(0)
    res = net.run({"Input": np.array([[1.0, 0, 0, 1.0]])}, learn=False, record=["gi_self", "gi"])
    n = np.arange(1, 101)
    want = 0.4 * 0.95 * (1 - (1 - 1 / 1.4) ** n)
    assert np.allclose(res.cycles["Input"]["gi_self"][0, :, 0, 0], want, rtol=RTOL)
    assert np.array_equal(res.cycles["Input"]["gi_self"][0, :, 0, 1], np.zeros(100))
    assert np.array_equal(res.cycles["Input"]["gi"], res.cycles["Input"]["gi_self"])


@pytest.mark.parametrize("fixed", [False, True])
def test_layer_activity_average(fixed):
    """Go inhib.go ActAvgParams.AvgFmAct / EffFmAvg, run at each trial start (layer.go
    AlphaCycInit): the first real average replaces Init halfway (UseFirst), later trials
    move by 1/Tau; ActPAvgEff = Adjust x ActPAvg, or Init when Fixed; and the sending
    layer's ActPAvgEff sets the projection scale (40 senders: 1/round(40 x avg))."""
    net = Network()
    net.add_layer("A", 40, "input")
    net.add_layer("H", 3)
    net.connect("A", "H")
    net.apply_params([("#A", {"inhib.act_avg.adjust": 0.8, "inhib.act_avg.fixed": fixed})])
    net.init_weights(0)
    x = np.zeros((3, 40))
    x[:, :16] = 1  # act 0.95 on 16 of 40: layer average 0.38
    st = net.state.layers["A"]
    a = 16 * 0.95 / 40
    net.run({"A": x[:1]}, learn=False, update_act_avg=True)
    assert st["pool_act_p_avg_run"][0, 0] == 0.15  # first trial start: no average yet (< 1e-4)
    net.run({"A": x[1:2]}, learn=False, update_act_avg=True)
    avg1 = 0.15 + 0.5 * (a - 0.15)
    assert np.isclose(st["pool_act_p_avg_run"][0, 0], avg1, rtol=RTOL)
    net.run({"A": x[2:]}, learn=False, update_act_avg=True)
    avg2 = avg1 + (a - avg1) / 100
    assert np.isclose(st["pool_act_p_avg_run"][0, 0], avg2, rtol=RTOL)
    eff = 0.15 if fixed else 0.8 * avg2
    assert np.isclose(st["pool_act_p_avg_eff"][0, 0], eff, rtol=RTOL)
    n_act = max(int(np.floor(40 * eff + 0.5)), 1)
    assert np.isclose(net.state.prjns["AToH"]["gscale"][0], 1 / n_act, rtol=RTOL)


def test_learning_rate_and_learn_off():
    """Go prjn.go DWt / WtFmDWt: a projection with Learn off keeps its weights; DWt scales
    with the projection's Lrate (doubling it doubles every DWt exactly, Norm and Momentum
    off); the cosine of the plus/minus difference is Go's CosDiffFmActs."""
    dw = []
    for lrate in (0.04, 0.08):
        net = Network()
        net.add_layer("Input", 6, "input")
        net.add_layer("Hidden", 5)
        net.add_layer("Output", 3, "target")
        net.connect("Input", "Hidden")
        net.connect("Hidden", "Output")
        net.apply_params([
            ("Prjn", {"learn.norm.on": False, "learn.momentum.on": False, "learn.lrate": lrate}),
            ("#InputToHidden", {"learn.learn": False}),
        ])
        net.init_weights(5)
        w0 = {p.name: net.weights(p.name) for p in net.prjns}
        net.init_ext()
        net.apply_ext("Input", [1, 0, 1, 0, 0, 1])
        net.apply_ext("Output", [0, 1, 0])
        net.alpha_cyc_init(True)
        for q in range(4):
            for _ in range(25):
                net.cycle()
            net.quarter_final(q)
        net.dwt()
        dw.append(net.state.prjns["HiddenToOutput"]["dwt"].copy())
        assert np.array_equal(net.state.prjns["InputToHidden"]["dwt"], np.zeros((1, 5, 6)))
        net.wt_from_dwt()
        assert np.array_equal(net.weights("InputToHidden"), w0["InputToHidden"])
        assert not np.array_equal(net.weights("HiddenToOutput"), w0["HiddenToOutput"])
        st = net.state.layers["Hidden"]
        ap, am = st["act_p"][0] - st["act_p"][0].mean(), st["act_m"][0] - st["act_m"][0].mean()
        cos = (ap * am).sum() / np.sqrt((ap * ap).sum() * (am * am).sum())
        assert np.isclose(st["cos"][0], cos, rtol=1e-12)
    assert np.abs(dw[0]).max() > 0
    assert np.array_equal(dw[1], 2 * dw[0])
