"""leabra_fast.compat.leabra against leabra-psyneulink 0.3.2 itself (a test-only dependency:
``pip install --no-deps leabra-psyneulink==0.3.2``), cycle by cycle, and the compiled
kernel against the NumPy reference of the flavour."""

from __future__ import annotations

import copy
import random
import time
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leabra_fast.compat.leabra as fast
from leabra_fast.compat import _engine as E

try:
    import leabra as orig
except ImportError:
    orig = None
#: tests that run leabra-psyneulink itself (a test-only dependency)
needs_orig = pytest.mark.skipif(
    orig is None or orig is fast,
    reason="leabra-psyneulink is not installed (pip install --no-deps leabra-psyneulink==0.3.2)")

UNIT_VARS = ("g_e", "I_net", "I_net_r", "v_m", "v_m_eq", "act", "act_nd", "act_m", "adapt",
             "avg_ss", "avg_s", "avg_m", "avg_l", "avg_s_eff")
LAYER_VARS = ("gc_i", "ffi", "fbi", "avg_act")
RTOL, ATOL = 1e-9, 1e-12


def build(mod: Any, desc: dict[str, Any], seed: int) -> Any:
    """The network ``desc`` in module ``mod`` (leabra or the compat module), weights drawn
    after ``random.seed(seed)``."""
    random.seed(seed)
    layers = []
    for i, (size, genre, uspec, lspec) in enumerate(desc["layers"]):
        g = {"input": mod.INPUT, "hidden": mod.HIDDEN, "output": mod.OUTPUT}[genre]
        layers.append(mod.Layer(size, spec=mod.LayerSpec(**lspec),
                                unit_spec=mod.UnitSpec(**uspec) if uspec is not None else None,
                                genre=g, name=f"L{i}"))
    conns = [mod.Connection(layers[a], layers[b], mod.ConnectionSpec(**cs))
             for a, b, cs in desc["conns"]]
    return mod.Network(spec=mod.NetworkSpec(quarter_size=desc["qs"]), layers=layers,
                       connections=conns)


def weights(conn: Any) -> np.ndarray:
    return np.array([[lk.wt, lk.fwt] for lk in conn.links])


def check_state(a: Any, b: Any, where: str) -> None:
    for la, lb in zip(a.layers, b.layers, strict=True):
        for v in LAYER_VARS:
            np.testing.assert_allclose(getattr(lb, v), getattr(la, v), RTOL, ATOL,
                                       err_msg=f"{where} layer {la.name} {v}")
        for v in UNIT_VARS:
            np.testing.assert_allclose([getattr(u, v) for u in lb.units],
                                       [getattr(u, v) for u in la.units], RTOL, ATOL,
                                       err_msg=f"{where} layer {la.name} {v}")
    for ca, cb in zip(a.connections, b.connections, strict=True):
        np.testing.assert_allclose(weights(cb), weights(ca), RTOL, ATOL, err_msg=f"{where} wts")
    assert (b.cycle_count, b.quarter_nb, b.trial_count, b.phase) == (
        a.cycle_count, a.quarter_nb, a.trial_count, a.phase)


def patterns(desc: dict[str, Any], n_trials: int, seed: int) -> list[tuple[dict, dict]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_trials):
        ins = {f"L{i}": rng.choice([0.0, 1.0, 0.5, 0.95], size=s).tolist()
               for i, (s, g, _, _) in enumerate(desc["layers"]) if g == "input"}
        outs = {f"L{i}": rng.choice([0.0, 1.0, 0.95], size=s).tolist()
                for i, (s, g, _, _) in enumerate(desc["layers"]) if g == "output"}
        out.append((ins, outs))
    return out


def compare_cycles(desc: dict[str, Any], seed: int, n_trials: int, backend: str) -> None:
    """Every unit and layer variable after every cycle, stepping both with cycle()."""
    prev = fast.set_backend(backend)
    try:
        a, b = build(orig, desc, seed), build(fast, desc, seed)
        check_state(a, b, "init")
        for t, (ins, outs) in enumerate(patterns(desc, n_trials, seed)):
            for net in (a, b):
                net.set_inputs(ins)
                net.set_outputs(outs)
            for c in range(4 * desc["qs"]):
                a.cycle()
                b.cycle()
                check_state(a, b, f"trial {t} cycle {c}")
            assert b.compute_sse() == pytest.approx(a.compute_sse(), rel=RTOL, abs=ATOL)
    finally:
        fast.set_backend(prev)


def compare_trials(desc: dict[str, Any], seed: int, n_trials: int, backend: str) -> None:
    """Whole trials (one compiled call each): sse, state after each trial, and the unit and
    layer logs of every cycle."""
    prev = fast.set_backend(backend)
    try:
        a, b = build(orig, desc, seed), build(fast, desc, seed)
        for t, (ins, outs) in enumerate(patterns(desc, n_trials, seed)):
            for net in (a, b):
                net.set_inputs(ins)
                net.set_outputs(outs)
            sa, sb = a.trial(), b.trial()
            assert sb == pytest.approx(sa, rel=RTOL, abs=ATOL)
            check_state(a, b, f"trial {t}")
        for la, lb in zip(a.layers, b.layers, strict=True):
            np.testing.assert_allclose(lb.logs["gc_i"], la.logs["gc_i"], RTOL, ATOL)
            for ua, ub in zip(la.units, lb.units, strict=True):
                for name in ua.log_names:
                    np.testing.assert_allclose(ub.logs[name], ua.logs[name], RTOL, ATOL,
                                               err_msg=f"log {name}")
    finally:
        fast.set_backend(prev)


#: the bench network of bench/psyneulink_bench.py at 25 units per layer, scaled down in
#: cycles; and the package's pattern-associator shape (25 inputs -> 25 outputs, learning)
def bench_desc(n: int, qs: int) -> dict[str, Any]:
    us = {"g_bar_l": 0.2}
    lay = [(n, "input", us, {})] + [(n, "hidden", us, {}) for _ in range(3)] + [
        (n, "output", us, {"g_i": 1.4})]
    fwd = [(i, i + 1, {"lrule": "leabra", "lrate": 0.04}) for i in range(4)]
    back = [(i + 1, i, {"lrule": "leabra", "lrate": 0.04, "wt_scale_rel": 0.2})
            for i in (3, 2, 1)]
    return {"layers": lay, "conns": fwd + back, "qs": qs}


PATTERN_ASSOCIATOR = {"layers": [(25, "input", None, {}), (25, "output", None, {})],
                      "conns": [(0, 1, {"lrule": "leabra"})], "qs": 25}


@needs_orig
@pytest.mark.parametrize("backend", ["python", "cython"])
def test_pattern_associator_trials(backend: str) -> None:
    compare_trials(PATTERN_ASSOCIATOR, 3, 3, backend)


@needs_orig
@pytest.mark.parametrize("backend", ["python", "cython"])
def test_bench_network_trials(backend: str) -> None:
    compare_trials(bench_desc(25, 25), 5, 2, backend)


@needs_orig
def test_cycles_small_net() -> None:
    desc = {"layers": [(3, "input", None, {}), (4, "hidden", {"adapt_on": True}, {}),
                       (2, "output", None, {"g_i": 1.4})],
            "conns": [(0, 1, {"lrule": "leabra"}), (1, 2, {"lrule": "leabra"}),
                      (2, 1, {"wt_scale_rel": 0.3, "lrule": "leabra"})], "qs": 5}
    compare_cycles(desc, 11, 3, "cython")


unit_specs = st.one_of(st.none(), st.fixed_dictionaries({}, optional={
    "noisy_act": st.booleans(), "adapt_on": st.booleans(),
    "act_thr": st.sampled_from([0.4, 0.5, 0.55]), "act_gain": st.sampled_from([40, 100, 200]),
    "act_sd": st.sampled_from([0.005, 0.01, 0.02]), "g_bar_l": st.sampled_from([0.1, 0.2, 0.3]),
    "g_bar_i": st.sampled_from([0.5, 1.0]), "tau_net": st.sampled_from([1.4, 2.0]),
    "avg_m_in_s": st.sampled_from([0.1, 0.3]), "avg_l_init": st.sampled_from([0.2, 0.4, 1.0]),
}))
layer_specs = st.fixed_dictionaries({}, optional={
    "g_i": st.sampled_from([1.0, 1.4, 1.8, 2.2]), "ff": st.sampled_from([0.5, 1.0]),
    "fb": st.sampled_from([0.5, 1.0]), "ff0": st.sampled_from([0.0, 0.1]),
    "lay_inhib": st.booleans(), "trial_decay": st.sampled_from([0.5, 1.0]),
    "avg_act_targ_init": st.sampled_from([0.1, 0.2, 0.5]),
})
conn_specs = st.fixed_dictionaries({}, optional={
    "lrule": st.sampled_from([None, "leabra"]), "lrate": st.sampled_from([0.01, 0.04, 0.2]),
    "m_lrn": st.sampled_from([0.0, 1.0]), "wt_scale_abs": st.sampled_from([0.5, 1.0, 2.0]),
    "wt_scale_rel": st.sampled_from([0.2, 1.0]), "rnd_mean": st.sampled_from([0.3, 0.5]),
    "rnd_var": st.sampled_from([0.05, 0.25]), "rnd_type": st.sampled_from(["uniform"]),
})


@st.composite
def networks(draw: Any) -> dict[str, Any]:
    n_layers = draw(st.integers(2, 4))
    layers = []
    for i in range(n_layers):
        genre = "input" if i == 0 else (draw(st.sampled_from(["output", "hidden"]))
                                        if i == n_layers - 1 else "hidden")
        layers.append((draw(st.integers(1, 5)), genre, draw(unit_specs), draw(layer_specs)))
    conns = []
    for _ in range(draw(st.integers(1, 5))):
        a = draw(st.integers(0, n_layers - 1))
        b = draw(st.integers(1, n_layers - 1))
        cs = draw(conn_specs)
        if layers[a][0] == layers[b][0] and draw(st.booleans()):
            cs = {**cs, "proj": "1to1"}
        conns.append((a, b, cs))
    return {"layers": layers, "conns": conns, "qs": draw(st.integers(2, 6))}


@needs_orig
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(desc=networks(), seed=st.integers(0, 1000))
def test_random_networks_cycles(desc: dict[str, Any], seed: int) -> None:
    compare_cycles(desc, seed, 2, "cython")


@needs_orig
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(desc=networks(), seed=st.integers(0, 1000))
def test_random_networks_trials(desc: dict[str, Any], seed: int) -> None:
    compare_trials(desc, seed, 3, "python")


@needs_orig
def test_noisy_xx1_table_matches() -> None:
    """The table and its interpolation give the package's values (also at grid points)."""
    a, b = orig.UnitSpec(), fast.UnitSpec()
    xs = np.concatenate([np.linspace(-0.05, 1.05, 501), E.nxx1_table(0.01, 100.0)[0][::97]])
    for x in xs.tolist():
        assert b.noisy_xx1(x) == pytest.approx(a.noisy_xx1(x), rel=1e-12, abs=1e-15)


@needs_orig
def test_same_weights_from_global_random() -> None:
    desc = bench_desc(6, 5)
    desc["conns"][0][2]["rnd_type"] = "gaussian"
    desc["conns"][0][2]["rnd_var"] = 0.01
    a = build(orig, desc, 42)
    state_a = random.getstate()
    b = build(fast, desc, 42)
    assert random.getstate() == state_a  # the same draws, no more, no fewer
    for ca, cb in zip(a.connections, b.connections, strict=True):
        np.testing.assert_array_equal(cb.weights, ca.weights)
        np.testing.assert_array_equal(weights(cb), weights(ca))


@needs_orig
def test_runtime_spec_changes_honoured() -> None:
    """lrule switched off and on, quarter_size changed, wt_scale_rel rebuilt: mid-run."""
    desc = bench_desc(4, 4)
    a, b = build(orig, desc, 1), build(fast, desc, 1)
    pats = patterns(desc, 4, 1)
    for t, (ins, outs) in enumerate(pats):
        for net in (a, b):
            net.set_inputs(ins)
            net.set_outputs(outs)
            net.connections[0].spec.lrule = None if t == 1 else "leabra"
            if t == 2:
                net.spec.quarter_size = 3
                net.connections[5].spec.wt_scale_rel = 0.5
                net.build()
                net.connections[1].weights = np.linspace(0.1, 0.9, 16).reshape(4, 4)
            if t == 3:
                net.layers[1].units[0].spec.act_thr = 0.45  # per-unit spec of a unit
                net.connections[2].links[5].wt = 0.77  # a weight set after learning
        assert b.trial() == pytest.approx(a.trial(), rel=RTOL, abs=ATOL)
        check_state(a, b, f"trial {t}")


@needs_orig
def test_mixed_stepping() -> None:
    """cycle(), quarter() and trial() mixed give the package's counters and numbers."""
    desc = bench_desc(3, 4)
    a, b = build(orig, desc, 2), build(fast, desc, 2)
    ins, outs = patterns(desc, 1, 2)[0]
    for net in (a, b):
        net.set_inputs(ins)
        net.set_outputs(outs)
    for step in ("cycle", "cycle", "quarter", "trial", "quarter", "cycle", "trial", "trial"):
        getattr(a, step)()
        getattr(b, step)()
        check_state(a, b, step)


def test_deepcopy_is_independent_and_equal() -> None:
    desc = bench_desc(5, 5)
    b = build(fast, desc, 3)
    pats = patterns(desc, 3, 3)
    b.set_inputs(pats[0][0])
    b.set_outputs(pats[0][1])
    b.trial()
    for _ in range(200):  # a history of logs, which the copy shares
        b.trial()
    t0 = time.perf_counter()
    c = copy.deepcopy(b)
    assert time.perf_counter() - t0 < 0.5
    assert c.layers[1].units[3].logs == b.layers[1].units[3].logs
    for net in (b, c):
        for ins, outs in pats[1:]:
            net.set_inputs(ins)
            net.set_outputs(outs)
            net.trial()
    check_state(b, c, "copy")
    c.layers[1].units[0].v_m = 0.123
    assert b.layers[1].units[0].v_m != 0.123
    c.connections[0].weights = np.full((5, 5), 0.3)
    assert b.connections[0].weights[0, 0] != 0.3


def test_compiled_equals_reference_bits() -> None:
    desc = bench_desc(7, 6)
    nets = {}
    for be in ("python", "cython"):
        prev = fast.set_backend(be)
        try:
            net = build(fast, desc, 9)
            for ins, outs in patterns(desc, 3, 9):
                net.set_inputs(ins)
                net.set_outputs(outs)
                net.trial()
        finally:
            fast.set_backend(prev)
        nets[be] = net
    p, c = nets["python"], nets["cython"]
    for lp, lc in zip(p.layers, c.layers, strict=True):
        np.testing.assert_allclose(lc._U, lp._U, rtol=1e-12, atol=0)
        for k in range(3):
            np.testing.assert_allclose(lc._log_chunks[k][0].logs(), lp._log_chunks[k][0].logs(),
                                       rtol=1e-12, atol=1e-300)
    for cp, cc in zip(p.connections, c.connections, strict=True):
        np.testing.assert_allclose(cc._wt, cp._wt, rtol=1e-12, atol=0)


def test_record_logs_off_same_numbers() -> None:
    desc = bench_desc(5, 5)
    a, b = build(fast, desc, 4), build(fast, desc, 4)
    b.record_logs = False
    for ins, outs in patterns(desc, 3, 4):
        for net in (a, b):
            net.set_inputs(ins)
            net.set_outputs(outs)
        assert a.trial() == b.trial()
    check_state(a, b, "logs off")
    assert len(a.layers[1].units[0].logs["act"]) == 60
    assert b.layers[1].units[0].logs["act"] == []


def test_same_bits_at_every_instruction_set() -> None:
    from leabra_fast.network import compiled

    desc = bench_desc(6, 5)
    finals = {}
    prev = compiled.select_simd()
    try:
        for level in compiled.simd_levels():
            compiled.select_simd(level)
            net = build(fast, desc, 8)
            for ins, outs in patterns(desc, 3, 8):
                net.set_inputs(ins)
                net.set_outputs(outs)
                net.trial()
            finals[level] = np.concatenate([ly._U.ravel() for ly in net.layers]
                                           + [c._wt for c in net.connections])
    finally:
        compiled.select_simd(prev)
    first = next(iter(finals.values()))
    for level, arr in finals.items():
        np.testing.assert_array_equal(arr, first, err_msg=level)


def test_kernel_refuses_inconsistent_arrays() -> None:
    from leabra_fast.network import compiled

    net = build(fast, bench_desc(3, 3), 0)
    p = net._sync()
    mod = compiled.current()
    rows = np.zeros(0, dtype=np.intp)

    def call(**over: Any) -> int:
        a = {k: getattr(p, k) for k in ("U", "UP", "LS", "LP", "lay_off", "CI", "CP", "WT",
                                         "FWT", "TX", "TY", "TLEN", "CT", "in_vals", "in_mask",
                                         "out_vals", "out_mask")}
        a.update(over)
        return mod.lpn_run(*a.values(), 2, 3, rows, np.empty((2, 0, p.U.shape[1])),
                           np.empty((2, p.LS.shape[1])))

    assert call() == mod.STATUS_OK
    bad_ci = p.CI.copy()
    bad_ci[0, E.C_POST] = 99
    assert call(CI=bad_ci) == mod.STATUS_BAD_ARGS
    bad_off = p.CI.copy()
    bad_off[0, E.C_OFF] = len(p.WT)
    assert call(CI=bad_off) == mod.STATUS_BAD_ARGS
    bad_lay = p.lay_off.copy()
    bad_lay[-1] += 1
    assert call(lay_off=bad_lay) == mod.STATUS_BAD_ARGS
    bad_tab = p.UP.copy()
    bad_tab[E.P_TABLE] = 5
    assert call(UP=bad_tab) == mod.STATUS_BAD_ARGS
    assert call(FWT=p.FWT[:-1]) == mod.STATUS_BAD_ARGS


@needs_orig
def test_growing_network_repacks_with_its_state() -> None:
    """add_layer / add_connection after trials: the state carries over into the new packing."""
    nets = []
    for mod in (orig, fast):
        random.seed(5)
        a = mod.Layer(4, genre=mod.INPUT, name="a")
        b = mod.Layer(3, name="b")
        net = mod.Network(layers=[a, b], connections=[
            mod.Connection(a, b, mod.ConnectionSpec(lrule="leabra"))])
        net.set_inputs({"a": [1, 0, 1, 0]})
        net.trial()
        c = mod.Layer(2, genre=mod.OUTPUT, name="c")
        net.add_layer(c)
        net.add_connection(mod.Connection(b, c, mod.ConnectionSpec(lrule="leabra")))
        net.set_outputs({"c": [0, 1]})
        net.trial()
        net.trial()
        nets.append(net)
    check_state(nets[0], nets[1], "grown")


@needs_orig
def test_psyneulink_mechanism_network_shape() -> None:
    """The network PsyNeuLink's LeabraMechanism builds (all layers of genre HIDDEN, adapt on,
    weights 0.75 +- 0.2, one shared spec per kind, quarter 50), trained with clamped input
    and output layers as its execute() does, against the package."""
    nets = []
    for mod in (orig, fast):
        random.seed(11)
        us = mod.UnitSpec(adapt_on=True, noisy_act=True)
        ls = mod.LayerSpec(lay_inhib=True)
        cs = mod.ConnectionSpec(proj="full", rnd_type="uniform", rnd_mean=0.75, rnd_var=0.2,
                                lrule="leabra")
        lays = [mod.Layer(n, spec=ls, unit_spec=us, name=nm)
                for n, nm in ((4, "input_layer"), (3, "hidden_layer_0"), (2, "output_layer"))]
        conns = [mod.Connection(lays[0], lays[1], spec=cs),
                 mod.Connection(lays[1], lays[2], spec=cs)]
        net = mod.Network(layers=lays, connections=conns, spec=mod.NetworkSpec(quarter_size=50))
        for k in range(3):
            net.set_inputs({"input_layer": [1, 0, k % 2, 0]})
            net.set_outputs({"output_layer": [0, 1]})
            net.trial()
        nets.append(net)
    check_state(nets[0], nets[1], "LeabraMechanism net")
    for la, lb in zip(nets[0].layers, nets[1].layers, strict=True):
        for ua, ub in zip(la.units, lb.units, strict=True):
            np.testing.assert_allclose(ub.logs["adapt"], ua.logs["adapt"], RTOL, ATOL)
