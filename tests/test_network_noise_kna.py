"""Activation noise (Go ``ActNoiseParams``) and KNa adaptation (Go ``knadapt``) in networks.

Both backends give the same values (rtol 1e-12; in practice the same bits) with noise of
every type and distribution, fixed or per cycle, and with KNa on; the same bits at every
thread count and instruction set.  The noise is a function of the network's ``rng`` (a
key per layer and batch copy) and a draw counter carried in the state, so runs repeat,
continue bit for bit and batch copies differ.  Its equations are checked against the
recorded traces (Ge, Vm, Act, the hard clamp, the three KNa channels), its generator
against an independent pure-Python computation, and its distributions by their moments.
The one-to-one equality with ``model="emergent"`` units under KNa is in
``test_network_exact.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_network_kernel import assert_same_run, build, net_specs

from leabra_fast.network import CYCLE_VARS, Network
from leabra_fast.network import reference as ref

compiled = pytest.importorskip("leabra_fast.network.compiled")

N = 16


def make(sheet=(), *, n_batch=2, seed=3, cyc_per_qtr=10, dtype=np.float64) -> Network:
    net = Network("Noisy", n_batch=n_batch, cyc_per_qtr=cyc_per_qtr, dtype=dtype)
    net.add_layer("Input", N, "input")
    net.add_layer("Hidden", N)
    net.add_layer("Output", N, "target")
    net.connect("Input", "Hidden", "full")
    net.connect("Hidden", "Output", "full")
    net.connect("Output", "Hidden", "full", "back")
    net.apply_params([("Layer", {"inhib.layer.gi": 1.6}), (".back", {"wt_scale.rel": 0.2}),
                      *sheet])  # fmt: skip
    net.init_weights(seed)
    return net


def patterns(n_trials=3, n_batch=2, seed=1):
    rng = np.random.default_rng(seed)
    x = (rng.random((n_trials, n_batch, N)) < 0.3).astype(float)
    y = (rng.random((n_trials, n_batch, N)) < 0.3).astype(float)
    return {"Input": x}, {"Output": y}


def noise(kind, dist="gaussian", var=0.02, fixed=False, mean=0.0, layer="Layer"):
    """A params-sheet entry switching on noise of ``kind`` in ``layer``."""
    return (layer, {"act.noise.type": kind, "act.noise.dist": dist, "act.noise.var": var,
                    "act.noise.mean": mean, "act.noise.fixed": fixed})  # fmt: skip


KNA = ("#Hidden", {"act.kna.on": True})

CASES = [
    [noise("ge")], [noise("ge", "uniform", 0.05, fixed=True)], [noise("vm", var=0.01)],
    [noise("act", var=0.05)], [noise("act", "uniform", 0.05, fixed=True)],
    [noise("ge_mult", var=0.05)], [KNA], [KNA, noise("act", var=0.03)],
    [("Layer", {"act.kna.on": True, "act.kna.med.on": False}), noise("ge", mean=0.01)],
]  # fmt: skip


@pytest.mark.parametrize("sheet", CASES)
def test_backends_agree_with_noise_and_kna(sheet):
    inp, tg = patterns()
    na, nb = make(sheet), make(sheet)
    ra = na.run(inp, tg, backend="python", record=list(CYCLE_VARS))
    rb = nb.run(inp, tg, backend="cython", record=list(CYCLE_VARS))
    assert_same_run(ra, rb, na, nb)
    for k, v in na.get_state().items():
        np.testing.assert_array_equal(v, nb.get_state()[k], err_msg=k)  # the same bits
    hidden = ra.cycles["Hidden"]
    assert hidden["act"].max() > 0.2  # the net is active (the test is not vacuous)
    if any(k == "#Hidden" or "act.kna.on" in v for k, v in sheet):
        assert hidden["gk"].max() > 0.01
    if any("act.noise.type" in v for _, v in sheet):
        assert np.abs(hidden["noise"]).max() > 0.001


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    spec=net_specs(),
    kind=st.sampled_from(["none", "vm", "ge", "act", "ge_mult"]),
    dist=st.sampled_from(["uniform", "gaussian"]),
    fixed=st.booleans(),
    var=st.sampled_from([0.0, 0.01, 0.1]),
    kna=st.booleans(),
    pseed=st.integers(0, 99),
)
def test_random_nets_with_noise_and_kna_match_reference(spec, kind, dist, fixed, var, kna,
                                                         pseed):  # fmt: skip
    shapes, pattern, out_kind, flavour, sheet, seed, n_batch, inhib_prjn = spec
    kna = kna and flavour == "go_v1"  # cpp85 refuses KNa (C++'s kna_misc is not modelled)
    sheet = [*sheet, ("Layer", {"act.noise.type": kind, "act.noise.dist": dist,
                                "act.noise.fixed": fixed, "act.noise.var": var,
                                "act.kna.on": kna})]  # fmt: skip
    spec = (shapes, pattern, out_kind, flavour, sheet, seed, n_batch, inhib_prjn)
    rng = np.random.default_rng(pseed)
    x = (rng.random((3, n_batch, int(np.prod(shapes[0])))) < 0.5).astype(float)
    y = (rng.random((3, n_batch, int(np.prod(shapes[-1])))) < 0.5).astype(float)
    na, nb = build(spec), build(spec)
    inp, tg = {"L0": x}, {f"L{len(shapes) - 1}": y}
    ra = na.run(inp, tg, backend="python", record=list(CYCLE_VARS))
    rb = nb.run(inp, tg, backend="cython", record=list(CYCLE_VARS))
    assert_same_run(ra, rb, na, nb)


SHEET = [KNA, noise("ge", var=0.05), noise("act", "uniform", 0.05, True, layer="#Input")]


def test_simd_levels_and_threads_give_same_bits():
    inp, tg = patterns(3, 4)
    out = []
    prev = compiled.select_simd()
    try:
        for level in compiled.simd_levels():
            compiled.select_simd(level)
            for n_threads in (1, 2, 3) if compiled.OPENMP else (1,):
                net = make(SHEET, n_batch=4)
                net.run(inp, tg, backend="cython", n_threads=n_threads)
                out.append(net.get_state())
    finally:
        compiled.select_simd(prev or None)
    assert len(out) > 1
    for s in out[1:]:
        for k in s:
            np.testing.assert_array_equal(s[k], out[0][k], err_msg=k)


def test_noise_is_reproducible_continues_and_differs_between_copies():
    inp, tg = patterns(4, 2)
    a = make(SHEET)
    ra = a.run(inp, tg, record=["noise"])
    b = make(SHEET)  # same seed: same bits
    b.run(inp, tg, record=["noise"])
    for k, v in a.get_state().items():
        np.testing.assert_array_equal(v, b.get_state()[k], err_msg=k)
    # 2 + 2 trials, through save / load of the state, equal 4
    c = make(SHEET)
    c.run({"Input": inp["Input"][:2]}, {"Output": tg["Output"][:2]})
    d = make(SHEET)
    d.set_state(c.get_state())
    d.run({"Input": inp["Input"][2:]}, {"Output": tg["Output"][2:]}, backend="python")
    for k, v in a.get_state().items():
        np.testing.assert_array_equal(v, d.get_state()[k], err_msg=k)
    nz = ra.cycles["Hidden"]["noise"]  # (trials, cycles, batch, units)
    assert not np.array_equal(nz[:, :, 0], nz[:, :, 1])  # copies draw their own
    assert len(np.unique(nz)) == nz.size  # a new value per unit, cycle, trial and copy
    e = make(SHEET, seed=4)  # another seed: other noise
    re_ = e.run(inp, tg, record=["noise"])
    assert not np.array_equal(re_.cycles["Hidden"]["noise"], nz)


def test_fixed_noise_is_drawn_once_per_trial():
    inp, tg = patterns(3, 1)
    net = make([noise("ge", "uniform", 0.1, fixed=True)], n_batch=1)
    res = net.run(inp, tg, record=["noise"])
    nz = res.cycles["Hidden"]["noise"][:, :, 0]  # (trials, cycles, units)
    assert (nz == nz[:, :1]).all()  # the same for the whole trial
    assert not np.array_equal(nz[0, 0], nz[1, 0])  # a new draw each trial
    st = net.state.layers["Hidden"]
    assert st["noise_ctr_lo"][0] == 3 and st["noise_ctr_hi"][0] == 0


def _mix(x):
    m = (1 << 64) - 1
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & m
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & m
    return x ^ (x >> 31)


def test_generator_is_the_documented_counter_based_one():
    """Python integers, independently of NumPy's uint64 arithmetic: u = mix(mix(key +
    G (ctr + 1)) + G (2 i + s + 1)) >> 11, times 2^-53; Gaussian by Box-Muller."""
    g, m = 0x9E3779B97F4A7C15, (1 << 64) - 1
    key, ctr = 123456789012345, 70000000
    u0, u1 = ref.noise_uniforms(np.array([key], np.uint64), np.array([ctr], np.uint64), 5)
    h = _mix((key + g * (ctr + 1)) & m)
    for i in range(5):
        for s, u in ((0, u0), (1, u1)):
            want = (_mix((h + g * (2 * i + s + 1)) & m) >> 11) * 2.0**-53
            assert u[0, i] == want
    net = make([noise("vm", "gaussian", 0.5, mean=0.25, layer="#Hidden")], n_batch=1)
    c = net._lc["Hidden"]
    z = ref.noise_values(c, np.array([key], np.uint64), np.array([ctr], np.uint64), 5)[0]
    for i in range(5):
        want = 0.25 + 0.5 * (math.sqrt(-2.0 * math.log(1.0 - u0[0, i]))
                             * math.cos(6.283185307179586 * u1[0, i]))  # fmt: skip
        assert z[i] == want


@pytest.mark.parametrize(("dist", "mean", "var"), [("uniform", 0.1, 0.3), ("gaussian", -0.2, 0.5)])
def test_noise_distribution(dist, mean, var):
    """Moments over 400 units x 40 cycles x 2 copies (32,000 draws): the uniform lies in
    [mean - var, mean + var] with variance var^2/3, the Gaussian has sd ``var``."""
    net = Network(n_batch=2, cyc_per_qtr=10)
    net.add_layer("Input", 400, "input")
    net.apply_params([noise("vm", dist, var, mean=mean)])
    net.init_weights(0)
    x = net.run({"Input": np.zeros((1, 400))}, record=["noise"]).cycles["Input"]["noise"]
    sd = var / math.sqrt(3) if dist == "uniform" else var
    assert abs(x.mean() - mean) < 4 * sd / math.sqrt(x.size)
    assert abs(x.std() / sd - 1) < 0.02
    if dist == "uniform":
        assert x.min() >= mean - var and x.max() < mean + var
        assert x.min() < mean - 0.99 * var and x.max() > mean + 0.99 * var
    else:
        assert abs(((x - mean) ** 4).mean() / sd**4 - 3) < 0.15  # Gaussian kurtosis


def _free_net(sheet):
    """A hidden layer with no input and no inhibition: its Ge, Vm and Act follow the noise."""
    net = Network(n_batch=1, cyc_per_qtr=10)
    net.add_layer("Input", 1, "input")  # unconnected: it only takes the run's patterns
    net.add_layer("Hidden", 8)
    net.apply_params([("Layer", {"inhib.layer.on": False, "act.init.decay": 0.0}),
                      *[(ly, v) for ly, v in sheet]])  # fmt: skip
    net.init_weights(5)
    return net


def test_ge_vm_and_act_noise_enter_where_go_adds_them():
    """Go GeFmRaw: Ge = Ge + GDt (GeRaw - Ge) + Noise; VmFmG: Vm = clip(Vm + VmDt Inet +
    Noise); ActFmG: Act = Act + VmDt (nxx1 - Act) + Noise (ActDel without it)."""
    x = {"Input": np.zeros((2, 1))}
    res = _free_net([noise("ge", var=0.05, layer="#Hidden")]).run(
        x, record=["ge", "noise"], backend="cython"
    )
    ge, nz = res.cycles["Hidden"]["ge"][:, :, 0], res.cycles["Hidden"]["noise"][:, :, 0]
    g_dt = 1 / 1.4
    prev = np.concatenate([np.zeros((1, 8)), ge.reshape(-1, 8)[:-1]])
    np.testing.assert_array_equal(ge.reshape(-1, 8), (prev + g_dt * (0 - prev)) + nz.reshape(-1, 8))
    res = _free_net([noise("vm", var=0.05, layer="#Hidden")]).run(x, record=["vm", "inet", "noise"])
    c = res.cycles["Hidden"]
    vm, inet, nz = (c[v][:, :, 0].reshape(-1, 8) for v in ("vm", "inet", "noise"))
    prev = np.concatenate([np.full((1, 8), 0.4), vm[:-1]])
    np.testing.assert_array_equal(vm, np.clip((prev + (1 / 3.3) * inet) + nz, 0.0, 2.0))
    assert np.abs(vm - 0.3).max() > 0.02  # the noise moves Vm off rest
    res = _free_net([noise("act", var=0.05, layer="#Hidden")]).run(
        x, record=["act", "act_lrn", "noise"]
    )
    c = res.cycles["Hidden"]
    act, lrn, nz = (c[v][:, :, 0].reshape(-1, 8) for v in ("act", "act_lrn", "noise"))
    assert np.abs(act - lrn).max() > 0.01  # ActLrn has no noise
    assert np.abs(lrn).max() < 1e-9
    # without input NXX1's value is below 1e-9 on either branch: Act decays and adds Noise
    prev = np.concatenate([np.zeros((1, 8)), act[:-1]])
    np.testing.assert_allclose(act, (prev + (1 / 3.3) * (0 - prev)) + nz, rtol=0, atol=1e-9)


def test_hard_clamp_with_noise_follows_go():
    """Go's HardClamp: Act = clip(Ext + Noise (ActNoise only)) + Noise, ActLrn = the clip,
    Vm = Thr + Act / Gain; other types add their Noise to Act too."""
    ext = np.linspace(0.0, 1.0, 8)[None]
    for kind in ("act", "ge"):
        net = Network(n_batch=1, cyc_per_qtr=5)
        net.add_layer("Input", 8, "input")
        net.apply_params([noise(kind, "uniform", 0.2, fixed=True)])
        net.init_weights(2)
        res = net.run({"Input": ext}, record=["act", "act_lrn", "vm", "noise"])
        c = {v: res.cycles["Input"][v][0, -1, 0] for v in ("act", "act_lrn", "vm", "noise")}
        clmp = np.clip(ext[0] + (c["noise"] if kind == "act" else 0.0), 0.0, 0.95)
        np.testing.assert_array_equal(c["act_lrn"], clmp)
        np.testing.assert_array_equal(c["act"], clmp + c["noise"])
        np.testing.assert_array_equal(c["vm"], 0.5 + c["act"] / 100.0)


def test_kna_channels_follow_their_equation_and_adapt():
    """The three channels from the recorded Act (Go GcFmRate, a = 0.8 Act): g_c += a rise_c
    (max_c - g_c) - g_c / tau_c, Gk their sum, and the adapted layer is less active."""
    inp, tg = patterns(2, 1)
    on = make([KNA], n_batch=1)
    ra = on.run(inp, tg, record=["act", "gk"])
    act, gk = ra.cycles["Hidden"]["act"][:, :, 0], ra.cycles["Hidden"]["gk"][:, :, 0]
    g = {c: np.zeros(N) for c in "fms"}
    chans = {"f": (0.05, 0.1, 1 / 50), "m": (0.02, 0.1, 1 / 200), "s": (0.001, 1.0, 1 / 1000)}
    for t in range(act.shape[0]):
        for cyc in range(act.shape[1]):
            a = act[t, cyc] * 0.8
            for c, (rise, gmax, dt) in chans.items():
                g[c] = g[c] + a * rise * (gmax - g[c]) - dt * g[c]
            # Gk after the cycle (the trial-start decay zeroes Gk, not the channels)
            np.testing.assert_array_equal(gk[t, cyc], (g["f"] + g["m"]) + g["s"])
    off = make([], n_batch=1).run(inp, tg, record=["act"]).cycles["Hidden"]["act"]
    assert ra.cycles["Hidden"]["act"][:, -30:].mean() < off[:, -30:].mean()
    assert gk.max() > 0.05


def test_float32_reference_runs_noise_and_kna():
    inp, tg = patterns(2, 2)
    a = make(SHEET, dtype=np.float32).run(inp, tg, record=["act", "noise"], backend="python")
    b = make(SHEET).run(inp, tg, record=["act", "noise"], backend="python")
    np.testing.assert_array_equal(
        a.cycles["Hidden"]["noise"], b.cycles["Hidden"]["noise"].astype(np.float32)
    )
    np.testing.assert_allclose(a.cycles["Hidden"]["act"][:, :10], b.cycles["Hidden"]["act"][:, :10],
                               atol=1e-4)  # fmt: skip


def test_bad_noise_and_kna_params_are_named():
    net = Network()
    net.add_layer("A", 4)
    with pytest.raises(ValueError, match=r"act\.noise\.type.*one of"):
        net.apply_params([("Layer", {"act.noise.type": "pink"})])
    with pytest.raises(ValueError, match=r"act\.noise\.dist"):
        net.apply_params([("Layer", {"act.noise.dist": "poisson"})])
    with pytest.raises(ValueError, match=r"act\.noise\.var.*>= 0"):
        net.apply_params([("Layer", {"act.noise.var": -0.1})])
    with pytest.raises(ValueError, match=r"act\.kna\.fast\.tau.*>= 1"):
        net.apply_params([("Layer", {"act.kna.fast.tau": 0.5})])
    with pytest.raises(ValueError, match=r"act\.kna\.rate"):
        net.apply_params([("Layer", {"act.kna.rate": float("nan")})])
    with pytest.raises(KeyError, match="unknown parameter path"):
        net.apply_params([("Layer", {"act.kna.fastest.on": True})])


def test_without_noise_the_rng_is_drawn_as_before():
    """The noise keys are drawn after the weights, and only for layers with noise: a
    network without noise leaves the generator where the weights left it."""
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    make([], n_batch=1, seed=g1)
    net = make([noise("ge", var=0.1, layer="#Hidden")], n_batch=1, seed=g2)
    assert not np.array_equal(g1.bit_generator.state["state"]["state"],
                              g2.bit_generator.state["state"]["state"])  # fmt: skip
    g3 = np.random.default_rng(9)
    make([], n_batch=1, seed=g3)
    assert g1.bit_generator.state == g3.bit_generator.state
    st = net.state.layers["Hidden"]
    assert st["noise_key_hi"][0] * 2**24 + st["noise_key_lo"][0] > 0
    assert net.state.layers["Input"]["noise_key_hi"][0] == 0


@pytest.mark.skipif(not compiled.OPENMP, reason="built without OpenMP")
@pytest.mark.parametrize("flavour", ["go_v1", "cpp85"])
def test_threads_inside_one_copy_with_noise_and_kna(flavour):
    """256-unit layers, one batch copy: the units of each step are shared by 2 and 3
    threads (the work pool); noise is drawn per layer before the shared steps, so the
    bits do not move."""
    kna = [KNA] if flavour == "go_v1" else []
    sheet = [*kna, noise("ge", var=0.05), noise("vm", var=0.01, layer="#Output")]
    rng = np.random.default_rng(2)
    x = (rng.random((2, 256)) < 0.2).astype(float)
    y = (rng.random((2, 256)) < 0.2).astype(float)
    states = []
    for n_threads in (1, 2, 3):
        net = Network("Big", cyc_per_qtr=5, flavour=flavour)
        for name, kind in (("Input", "input"), ("Hidden", "hidden"), ("Output", "target")):
            net.add_layer(name, 256, kind)
        net.connect("Input", "Hidden", "full")
        net.connect("Hidden", "Output", "full")
        net.apply_params(sheet)
        net.init_weights(1)
        net.run({"Input": x}, {"Output": y}, backend="cython", n_threads=n_threads)
        states.append(net.get_state())
    for s in states[1:]:
        for k in s:
            np.testing.assert_array_equal(s[k], states[0][k], err_msg=k)


def test_float32_reference_runs_cpp85_with_noise():
    """The float32 reference runs the cpp85 equations (rounded as its float type; no Go
    values exist for them) and tracks float64 over the first cycles."""
    sheet = [noise("act", var=0.02)]
    inp, tg = patterns(1, 1)

    def make_cpp(dtype):
        net = Network("Cpp32", n_batch=1, cyc_per_qtr=10, dtype=dtype, flavour="cpp85")
        net.add_layer("Input", N, "input")
        net.add_layer("Hidden", N)
        net.add_layer("Output", N, "target")
        net.connect("Input", "Hidden", "full")
        net.connect("Hidden", "Output", "full")
        net.apply_params(sheet)
        net.init_weights(3)
        return net

    a = make_cpp(np.float32).run(inp, tg, record=["act", "vm_eq"], backend="python")
    b = make_cpp(np.float64).run(inp, tg, record=["act", "vm_eq"], backend="python")
    assert a.cycles["Hidden"]["act"].dtype == np.float32
    va, vb = a.cycles["Hidden"]["vm_eq"][:, :8], b.cycles["Hidden"]["vm_eq"][:, :8]
    np.testing.assert_allclose(va, vb, atol=1e-5)


def test_a_gk_left_by_kna_switched_off_is_still_followed():
    """KNa on for two trials, then off with a trial-start decay of 0.5: Hidden keeps half
    the Gk it had each trial (nothing adapts it any more), so the compiled kernel's
    usual blocks meet lanes with a Gk and compute ActLrn's NXX1 argument without K for
    them (lf_act_drive_nok); both backends give the same bits."""
    inp, tg = patterns(n_trials=4)
    first = ({"Input": inp["Input"][:2]}, {"Output": tg["Output"][:2]})
    then = ({"Input": inp["Input"][2:]}, {"Output": tg["Output"][2:]})
    na, nb = make([KNA]), make([KNA])
    na.run(*first, backend="python")
    nb.run(*first, backend="cython")
    gk = na.state.layers["Hidden"]["gk"]
    assert gk.max() > 0.01
    for net in (na, nb):
        net.apply_params([("#Hidden", {"act.kna.on": False, "act.init.decay": 0.5})])
    ra = na.run(*then, backend="python", record=list(CYCLE_VARS))
    rb = nb.run(*then, backend="cython", record=list(CYCLE_VARS))
    assert_same_run(ra, rb, na, nb)
    for k, v in na.get_state().items():
        np.testing.assert_array_equal(v, nb.get_state()[k], err_msg=k)
    assert ra.cycles["Hidden"]["gk"].max() > 0.01  # the Gk stayed: the branch was taken
    act, lrn = ra.cycles["Hidden"]["act"], ra.cycles["Hidden"]["act_lrn"]
    assert not np.array_equal(act, lrn)  # ActLrn follows its own argument (no K)
