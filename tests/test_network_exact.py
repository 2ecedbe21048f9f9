"""A one-to-one network equals independent units of ``model="emergent"`` (issue #11).

Input (hard clamped) -> Hidden, one to one: each hidden unit receives one sender, and
Go's GScale of a one-to-one projection is exactly 1 (``SLayActScale`` with one
connection), so its net input is ``x * w`` as in the unit model's
``wt_scale_abs * mean_j(x_j w_j)``.  The settings that make the two the same computation:

- no inhibition in Hidden (``inhib.layer.on`` off; the unit model gets ``gc_i = 0``);
- the Input layer sends every change (``opt_thresh`` 0: the unit model has no
  sender-side threshold);
- no trial-start decay: Go's DecayState resets Act but not ActLrn (the learning
  averages keep integrating ActLrn), the unit model decays act_nd, which drives them;
  without decay the two are the same value;
- AvgLLrn without the cos-diff modulation (``err_mod`` off), DWt without Norm and
  Momentum (the unit model has neither), no AvgL ceiling (``avg_l_max``, Go has none);
- the unit model's Go preset (``EmergentParams.go``) and its compiled kernel (the
  network's exp is ``lf_exp``, as there; the unit model's NumPy reference uses np.exp);
- the senders' XCAL averages (AvgSLrn, AvgM at the trial end) are the network's Input's.

Then every cycle variable, AvgL and LWt are the same bits, trial after trial.  The
one difference is SIG's sixth power when a weight changes: Go (and the network)
multiplies the base six times in a row, the unit model squares (``b^2 (b^2)^2``), so
Wt = 1 / (1 + b^6) may differ by a few ulp (measured: at most 2 on this run).  Each
unit-model trial therefore starts from the network's weights of the trial before.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams
from leabra_fast.network import Network

pytest.importorskip("leabra_fast.emergent.compiled")
pytest.importorskip("leabra_fast.network.compiled")

N, T = 8, 6
#: network cycle variable -> unit-model trace
SAME = {"act": "act", "ge": "net", "vm": "v_m", "inet": "I_net", "avg_ss": "avg_ss",
        "avg_s": "avg_s", "avg_m": "avg_m", "avg_s_lrn": "avg_s_eff"}  # fmt: skip


def units_trial(x, sender, params, state, wt, lwt):
    """The trial of ``x`` on ``model="emergent"`` units driven by the network's Input
    (its last-cycle AvgSLrn and AvgM), continuing ``state`` (None: the first trial) with
    the network's weights of the trial before (see the module docstring)."""
    if state is None:
        start = {"wt": wt[:, None], "fwt": lwt[:, None]}
    else:
        start = {"state": dataclasses.replace(state, wt=wt[:, None].copy(),
                                              fwt=lwt[:, None].copy())}  # fmt: skip
    return lf.simulate(
        x[:, :, None], su_avg_s_eff=sender["avg_s_lrn"][:, -1, 0, :, None],
        su_avg_m=sender["avg_m"][:, -1, 0, :, None], params=params, model="emergent",
        n_cycles=100, backend="cython", **start,
    )  # fmt: skip


def one_to_one_net(kna: bool = False) -> Network:
    net = Network("OneToOne")
    net.add_layer("Input", N, "input")
    net.add_layer("Hidden", N)
    net.connect("Input", "Hidden", "one_to_one")
    net.apply_params([
        ("Layer", {"act.init.decay": 0.0}),
        ("#Input", {"act.opt_thresh.send": 0.0, "act.opt_thresh.delta": 0.0}),
        ("#Hidden", {"inhib.layer.on": False, "learn.avg_l.err_mod": False}),
        ("Prjn", {"learn.norm.on": False, "learn.momentum.on": False}),
        ("#Hidden", {"act.kna.on": kna}),
    ])  # fmt: skip
    net.init_weights(rng=np.random.default_rng(0))
    return net


@pytest.mark.parametrize("backend", ["cython", "python"])
@pytest.mark.parametrize(("learn", "kna"), [(True, False), (False, False), (False, True)])
def test_one_to_one_net_equals_emergent_units(backend, learn, kna):
    """With KNa adaptation on (Go knadapt, the unit model's ``kna_on``) too: Act, Ge, Vm,
    Inet, Gk and the three channels stay the same bits.  The learning averages do not:
    Go's drive them by ActLrn, computed without the K current above threshold (Go's
    ``GeThrFmGnoK``), the unit model by its one, adapted activation; so with KNa on the
    network is compared without learning and only on the activation side."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, 0.95, (T, N))
    x[:, 0] = 0.0  # a silent sender
    x[2, 1] = 0.95  # the clamp's ceiling
    net = one_to_one_net(kna)
    pj = net.state.prjns["InputToHidden"]
    wt, lwt = pj["wt"][0].diagonal().copy(), pj["lwt"][0].diagonal().copy()
    params = EmergentParams.go(avg_l_max=1e6, decay=0.0, lrate=0.04 if learn else 0.0,
                               kna_on=kna)  # fmt: skip
    state = None
    n_ulp = []
    for t in range(T):
        res = net.run({"Input": x[t : t + 1]}, learn=learn, update_act_avg=True,
                      record=[*SAME, *(["gk"] if kna else [])], backend=backend)  # fmt: skip
        unit = units_trial(x[t : t + 1], res.cycles["Input"], params, state, wt, lwt)
        state = unit.state
        hidden = res.cycles["Hidden"]
        for v, u in SAME.items():
            if kna and v.startswith("avg"):
                # ActLrn (no K) against the adapted act: a real difference (docstring)
                assert not np.array_equal(hidden[v][0, :, 0, 1:], unit[u][:, 1:])
                continue
            np.testing.assert_array_equal(hidden[v][0, :, 0, :], unit[u], err_msg=f"{t} {v}")
        if not kna:
            np.testing.assert_array_equal(res.trials["Hidden"]["avg_l"][0, 0],
                                          unit["avg_l"][-1], err_msg=f"{t} avg_l")  # fmt: skip
        else:
            # the unit model's g_k of a cycle is Gk after the cycle before
            np.testing.assert_array_equal(hidden["gk"][0, :-1, 0, :], unit["g_k"][1:],
                                          err_msg=f"{t} gk")  # fmt: skip
            hs = net.state.layers["Hidden"]
            for v, u in (("gkna_f", "gkna_f"), ("gkna_m", "gkna_m"), ("gkna_s", "gkna_s")):
                np.testing.assert_array_equal(hs[v][0], getattr(state, u), err_msg=f"{t} {v}")
            assert float(hs["gkna_f"][0].max()) > 0.05  # the adaptation is engaged
        assert float(np.ptp(hidden["act"][0, :, 0, 1:])) > 0.1  # the units do something
        wt, lwt = pj["wt"][0].diagonal().copy(), pj["lwt"][0].diagonal().copy()
        np.testing.assert_array_equal(lwt, state.fwt[:, 0], err_msg=f"{t} lwt")
        if not learn:
            np.testing.assert_array_equal(wt, state.wt[:, 0], err_msg=f"{t} wt")
        n_ulp.append(np.abs(wt - state.wt[:, 0]) / np.spacing(wt))
    if learn:
        ulp = np.concatenate(n_ulp)
        assert ulp.max() <= 4  # SIG's power: 5 vs 3 roundings of b^6
        assert (ulp == 0).mean() > 0.5  # most weights are the same bits
        assert not np.array_equal(lwt, one_to_one_net().state.prjns["InputToHidden"]["lwt"][0]
                                  .diagonal())  # fmt: skip


#: network cycle variable -> unit-model trace, C++ 8.5 (both potentials; ActLrn = act_nd)
SAME_CPP = {**SAME, "vm_eq": "v_m_eq", "act_lrn": "act_nd"}


def one_to_one_cpp85(decay: float = 0.0) -> Network:
    net = Network("OneToOneCpp", flavour="cpp85")
    net.add_layer("Input", N, "input")
    net.add_layer("Hidden", N)
    net.connect("Input", "Hidden", "one_to_one")
    net.apply_params([
        ("Layer", {"act.init.decay": decay}),
        ("#Input", {"act.opt_thresh.send": 0.0, "act.opt_thresh.delta": 0.0}),
        ("#Hidden", {"inhib.layer.on": False, "learn.avg_l.err_mod": False}),
        ("Prjn", {"learn.norm.on": False, "learn.momentum.on": False,
                  "learn.wt_bal.on": False}),
    ])  # fmt: skip
    net.init_weights(rng=np.random.default_rng(1))
    return net


@pytest.mark.parametrize("backend", ["cython", "python"])
@pytest.mark.parametrize("learn", [True, False])
def test_one_to_one_cpp85_net_equals_emergent_cpp_units(backend, learn):
    """``flavour="cpp85"`` against ``model="emergent"``'s C++ defaults (``EmergentParams()``:
    midpoint v_m with spikes, reset and refractory period, Euler v_m_eq, the act_nd <
    vm_act_thr and v_m_eq <= thr test, net >= 0, learning on act_nd, AvgLLrn with lrn_min,
    the lay_act_thr gate of AvgL): every cycle variable, both potentials, AvgL and LWt are
    the same bits, trial after trial (Wt to SIG's few ulp, as above).  The strong inputs
    make v_m cross thr, so the spike reset and the refractory period are exercised."""
    rng = np.random.default_rng(4)
    x = rng.uniform(0.0, 0.95, (T, N))
    x[:, 0] = 0.0
    x[0] = 0.0  # a silent first trial: the AvgL gate stays closed on trial 2 as well
    net = one_to_one_cpp85()
    pj = net.state.prjns["InputToHidden"]
    wt, lwt = pj["wt"][0].diagonal().copy(), pj["lwt"][0].diagonal().copy()
    params = EmergentParams(avg_l_max=1e6, decay=0.0, lrate=0.04 if learn else 0.0)
    state = None
    n_spikes = 0
    gate_closed = []
    for t in range(T):
        avg_l0 = net.state.layers["Hidden"]["avg_l"][0].copy()
        res = net.run({"Input": x[t : t + 1]}, learn=learn, update_act_avg=True,
                      record=[*SAME_CPP], backend=backend)  # fmt: skip
        gate_closed.append(np.array_equal(res.trials["Hidden"]["avg_l"][0, 0], avg_l0))
        unit = units_trial(x[t : t + 1], res.cycles["Input"], params, state, wt, lwt)
        state = unit.state
        n_spikes += int(unit["spike"].sum())
        hidden = res.cycles["Hidden"]
        for v, u in SAME_CPP.items():
            np.testing.assert_array_equal(hidden[v][0, :, 0, :], unit[u], err_msg=f"{t} {v}")
        np.testing.assert_array_equal(res.trials["Hidden"]["avg_l"][0, 0],
                                      unit["avg_l"][-1], err_msg=f"{t} avg_l")  # fmt: skip
        wt, lwt = pj["wt"][0].diagonal().copy(), pj["lwt"][0].diagonal().copy()
        np.testing.assert_array_equal(lwt, state.fwt[:, 0], err_msg=f"{t} lwt")
        if learn:
            assert (np.abs(wt - state.wt[:, 0]) <= 4 * np.spacing(wt)).all()
        else:
            np.testing.assert_array_equal(wt, state.wt[:, 0], err_msg=f"{t} wt")
    assert n_spikes > 10  # v_m spikes: the reset and refractory paths ran
    assert gate_closed[:2] == [True, True] and not all(gate_closed[2:])
