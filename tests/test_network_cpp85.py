"""``flavour="cpp85"``: C++ emergent 8.5's unit equations in networks (the parts a one-to-one
net cannot show; the cycle itself equals ``model="emergent"``'s C++ units bit for bit in
``test_network_exact.py``, and the backends agree over random cpp85 nets, noise included,
in ``test_network_kernel.py`` / ``test_network_noise_kna.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from test_network_kernel import assert_same_run

from leabra_fast.network import CYCLE_VARS, Network


def three_layer(flavour: str, n_batch: int = 1) -> Network:
    net = Network("Cpp", flavour=flavour, n_batch=n_batch, cyc_per_qtr=10)
    net.add_layer("Input", 6, "input")
    net.add_layer("Hidden", 8)
    net.add_layer("Output", 4, "target")
    net.connect("Input", "Hidden", "full")
    net.connect("Hidden", "Output", "full")
    net.connect("Output", "Hidden", "full", "back")
    net.apply_params([("Layer", {"inhib.layer.gi": 1.5}), (".back", {"wt_scale.rel": 0.2})])
    net.init_weights(7)
    return net


X = np.array([[0.0, 1.0, 0.5, 0.0, 1.0, 0.2], [1.0, 0.0, 0.0, 1.0, 0.0, 0.7]])
Y = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])


def test_hard_clamp_follows_cpp():
    """C++ Compute_HardClamp: act = act_nd = clip(ext, 0, .95), act_raw = ext, v_m = v_m_eq
    = e_rev.l where the act is 0, else thr + act / gain; Go: Vm = thr + act / gain always."""
    res = three_layer("cpp85").run({"Input": X}, {"Output": Y}, record=["act", "vm", "vm_eq",
                                                                          "act_raw"])  # fmt: skip
    c = {v: res.cycles["Input"][v][0, -1, 0] for v in ("act", "vm", "vm_eq", "act_raw")}
    np.testing.assert_array_equal(c["act"], np.clip(X[0], 0, 0.95))
    np.testing.assert_array_equal(c["act_raw"], X[0])
    want = np.where(c["act"] == 0, 0.3, 0.5 + c["act"] / 100.0)
    np.testing.assert_array_equal(c["vm"], want)
    np.testing.assert_array_equal(c["vm_eq"], want)
    go = three_layer("go_v1").run({"Input": X}, {"Output": Y}, record=["vm"]).cycles["Input"]
    np.testing.assert_array_equal(go["vm"][0, -1, 0], 0.5 + np.clip(X[0], 0, 0.95) / 100.0)
    # the target layer in the plus phase: the same rule
    out = res.cycles["Output"]["vm"][0, -1, 0]
    np.testing.assert_array_equal(out, np.where(Y[0] == 0, 0.3, 0.5 + 0.95 / 100.0))


def test_avg_l_gate_and_no_bcm_outside_hidden_layers():
    """C++ Trial_Init_SRAvg: AvgL moves only once the layer's last plus-phase average
    reached lay_act_thr (never on the first trial: it is 0 after init_weights), and
    avg_l_lrn is 0 outside hidden layers; Go updates every trial and gives the input
    layer a BCM factor."""
    pats = np.tile(X, (2, 1))
    tg = np.tile(Y, (2, 1))
    cpp, go = three_layer("cpp85"), three_layer("go_v1")
    rc = cpp.run({"Input": pats}, {"Output": tg})
    rg = go.run({"Input": pats}, {"Output": tg})
    avg_l_c, avg_l_g = rc.trials["Hidden"]["avg_l"][:, 0], rg.trials["Hidden"]["avg_l"][:, 0]
    assert (avg_l_c[0] == 0.4).all()  # gate closed on trial 1 (init 0.4)
    assert not (avg_l_g[0] == 0.4).all()  # Go: updated
    assert not np.array_equal(avg_l_c[1], avg_l_c[0])  # open once the layer was active
    assert (rc.trials["Input"]["avg_l_lrn"] == 0).all()
    assert (rc.trials["Output"]["avg_l_lrn"] == 0).all()
    assert (rg.trials["Input"]["avg_l_lrn"][1:] > 0).all()
    assert (rc.trials["Hidden"]["avg_l_lrn"][1:] > 0).all()
    # a layer that stays silent keeps its gate closed
    net = three_layer("cpp85")
    net.run({"Input": np.zeros((3, 6))}, {"Output": np.zeros((3, 4))})
    assert (net.state.layers["Hidden"]["avg_l"] == 0.4).all()


def test_two_potentials_spikes_and_learning_activity():
    """v_m spikes (reset to vm_r, I_net 0) and is held for t_r cycles while v_m_eq runs on;
    Act is clipped to [0, 1] and is also the learning activity (ActLrn = act_nd)."""
    net = three_layer("cpp85")
    res = net.run({"Input": X}, {"Output": Y}, record=["vm", "vm_eq", "act", "act_lrn", "inet"])
    h = {v: res.cycles["Hidden"][v][:, :, 0] for v in ("vm", "vm_eq", "act", "act_lrn", "inet")}
    np.testing.assert_array_equal(h["act"], h["act_lrn"])
    reset = h["vm"] == 0.3
    assert reset.sum() > 5  # spikes happened
    assert (h["inet"][reset] == 0).all()
    # a spike's reset starts a run of 1 + t_r cycles at vm_r (the spike cycle, then held)
    first = reset & ~np.concatenate([np.zeros_like(reset[:, :1]), reset[:, :-1]], axis=1)
    t, c, u = np.nonzero(first[:, 1:-4])
    assert len(t) > 2
    for ti, ci, ui in zip(t, c + 1, u, strict=True):
        assert (h["vm"][ti, ci : ci + 4, ui] == 0.3).all()
        assert h["vm"][ti, ci + 4, ui] != 0.3
    assert (h["vm_eq"].max() > 0.5) and not np.array_equal(h["vm"], h["vm_eq"])
    assert h["act"].min() >= 0 and h["act"].max() <= 1


@pytest.mark.parametrize("t_r", [0, 1, 5])
def test_refractory_period_parameter_and_backends(t_r):
    def make():
        net = Network("Cpp", flavour="cpp85", n_batch=2, cyc_per_qtr=10)
        net.add_layer("Input", 6, "input")
        net.add_layer("Hidden", 8)
        net.connect("Input", "Hidden", "full")
        net.apply_params([("#Hidden", {"act.spike_misc.t_r": t_r, "act.spike_misc.vm_r": 0.35})])
        net.init_weights(3)
        return net

    na, nb = make(), make()
    ra = na.run({"Input": X}, record=list(CYCLE_VARS), backend="python")
    rb = nb.run({"Input": X}, record=list(CYCLE_VARS), backend="cython")
    assert_same_run(ra, rb, na, nb)
    vm = ra.cycles["Hidden"]["vm"]
    assert (vm == 0.35).sum() > 0


def test_cpp85_refuses_kna_and_bad_values():
    net = Network(flavour="cpp85")
    net.add_layer("A", 4)
    with pytest.raises(ValueError, match=r"kna.*cpp85.*not modelled"):
        net.apply_params([("Layer", {"act.kna.on": True})])
    with pytest.raises(ValueError, match="equations"):
        net.apply_params([("Layer", {"equations": "cpp80"})])
    with pytest.raises(ValueError, match="t_r"):
        net.apply_params([("Layer", {"act.spike_misc.t_r": -1})])
    assert net.layers[0].params.equations == "cpp85"
    assert Network().flavour == "go_v1"
