"""Structure, parameters, runs and state of ``leabra_fast.network`` (the NumPy reference).

Errors name the argument or the parameter field; runs are deterministic, batch copies are
independent, and a saved state continues bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from leabra_fast.network import Network, params
from leabra_fast.network.params import DtParams, LayerParams, with_path


def small_net(n_batch=1, dtype=np.float64, seed=1):
    net = Network("Small", n_batch=n_batch, dtype=dtype)
    net.add_layer("Input", (2, 3), "input")
    net.add_layer("Hidden", 5)
    net.add_layer("Output", 4, "target")
    net.connect("Input", "Hidden", "full")
    net.connect("Hidden", "Output", "full")
    net.connect("Output", "Hidden", "full", "back")
    net.apply_params([(".back", {"wt_scale.rel": 0.2})])
    net.init_weights(np.random.default_rng(seed))
    return net


def patterns(n_trials=4, seed=2):
    rng = np.random.default_rng(seed)
    x = (rng.random((n_trials, 6)) < 0.4).astype(float)
    return x, (rng.random((n_trials, 4)) < 0.5).astype(float)


# ----------------------------------------------------------------------------- parameters

def test_defaults_are_go_v1():
    """Go emergent v1 act.go / inhib.go / learn.go / fffb.go Defaults(): spot checks of the
    default values and of derived rates computed once."""
    p = LayerParams()
    assert (p.act.gbar.e, p.act.gbar.l, p.act.gbar.i, p.act.gbar.k) == (1.0, 0.1, 1.0, 1.0)
    assert (p.act.erev.e, p.act.erev.l, p.act.erev.i, p.act.erev.k) == (1.0, 0.3, 0.25, 0.25)
    assert p.act.dt.vm_dt == 1 / 3.3 and p.act.dt.g_dt == 1 / 1.4
    assert p.inhib.layer.gi == 1.8 and p.inhib.layer.fb_dt == 1 / 1.4 and not p.inhib.pool.on
    assert p.learn.act_avg.ss_tau == 2 and p.learn.act_avg.lrn_s == 0.9
    assert p.learn.avg_l.lrn_fact == (0.5 - 0.0001) / (2.5 - 0.2)
    pp = params.PrjnParams()
    assert pp.learn.lrate == 0.04 and pp.learn.norm.on and pp.learn.momentum.on
    assert not pp.learn.wt_bal.on and pp.learn.xcal.d_rev_ratio == -(1 - 0.1) / 0.1
    assert (pp.wt_init.mean, pp.wt_init.var, pp.wt_init.dist) == (0.5, 0.25, "uniform")


def test_flavour_cpp85():
    """C++ emergent 8.5 defaults where they differ from Go v1 (LeabraUnitSpec_mbrs.h,
    LeabraConSpec_mbrs.h per docs): ss_tau 4, g_bar.l .2, g_bar.k .2, WtBal on, LrnMin offset."""
    net = Network(flavour="cpp85")
    ly = net.add_layer("A", 3, "input")
    net.add_layer("B", 3)
    pj = net.connect("A", "B")
    assert ly.params.learn.act_avg.ss_tau == 4 and ly.params.act.gbar.l == 0.2
    assert ly.params.act.gbar.k == 0.2 and ly.params.learn.avg_l.lrn_min_offset
    assert pj.params.learn.wt_bal.on
    with pytest.raises(ValueError, match="flavour"):
        Network(flavour="cpp7")


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: DtParams(vm_tau=0.5), r"DtParams\.vm_tau must be >= 1"),
        (lambda: params.FFFBParams(gi=-1), r"FFFBParams\.gi must be >= 0"),
        (lambda: params.XCalParams(d_rev=1.0), r"XCalParams\.d_rev"),
        (lambda: params.WtInitParams(dist="cauchy"), r"WtInitParams\.dist"),
        (lambda: params.ClampParams(range_min=1, range_max=0.5), r"ClampParams\.range_max"),
        (lambda: params.OptThreshParams(send=float("nan")), r"OptThreshParams\.send must be fin"),
        (lambda: params.DWtNormParams(on=1), r"DWtNormParams\.on must be a bool"),
        (
            lambda: with_path(LayerParams(), "act.dt.vm_tau", 0),
            r"parameter 'act\.dt\.vm_tau': DtParams\.vm_tau must be >= 1",
        ),
    ],
)
def test_param_validation_names_field(build, match):
    """Parameter errors name the field (and the dotted path when set through one)."""
    with pytest.raises(ValueError, match=match):
        build()


def test_param_paths():
    """Dotted paths by Go's names in snake case; unknown paths and groups are errors."""
    p = with_path(LayerParams(), "inhib.layer.gi", 2.1)
    assert p.inhib.layer.gi == 2.1 and LayerParams().inhib.layer.gi == 1.8
    assert p.inhib.layer.fb_dt == 1 / 1.4
    assert params.get_path(p, "inhib.layer.gi") == 2.1
    with pytest.raises(KeyError, match=r"act\.gbar\.x"):
        with_path(LayerParams(), "act.gbar.x", 1.0)
    with pytest.raises(KeyError, match=r"act\.dt\.vm_dt"):
        with_path(LayerParams(), "act.dt.vm_dt", 1.0)  # derived, not settable
    with pytest.raises(ValueError, match="group"):
        with_path(LayerParams(), "act.gbar", 1.0)


def test_param_sheet_selectors():
    """emergent params sheets: type ("Layer"/"Prjn"), "#Name", ".class" (layer kind,
    projection class, user class), applied in order, later entries winning."""
    net = Network()
    net.add_layer("In", 4, "input")
    net.add_layer("Hid", 4, classes=("Special",))
    net.add_layer("Out", 4, "target")
    net.connect("In", "Hid")
    net.connect("Hid", "Out")
    net.connect("Out", "Hid", cls="back")
    net.apply_params([
        ("Layer", {"inhib.layer.gi": 2.0}),
        (".target", {"inhib.layer.gi": 1.4}),
        ("#Hid", {"act.gbar.l": 0.2}),
        (".special", {"act.init.decay": 0.0}),
        ("Prjn", {"learn.lrate": 0.1}),
        (".back", {"wt_scale.rel": 0.2}),
        ("#InToHid", {"wt_scale.abs": 1.5}),
    ])
    gi = {ly.name: ly.params.inhib.layer.gi for ly in net.layers}
    assert gi == {"In": 2.0, "Hid": 2.0, "Out": 1.4}
    assert net.layer("Hid").params.act.gbar.l == 0.2 and net.layer("In").params.act.gbar.l == 0.1
    assert net.layer("Hid").params.act.init.decay == 0.0
    assert [p.params.wt_scale.rel for p in net.prjns] == [1.0, 1.0, 0.2]
    assert [p.params.wt_scale.abs for p in net.prjns] == [1.5, 1.0, 1.0]
    assert all(p.params.learn.lrate == 0.1 for p in net.prjns)
    with pytest.raises(ValueError, match=r"sheet\[0\] selector '#Nope' matches no"):
        net.apply_params([("#Nope", {"act.gbar.l": 0.2})])
    with pytest.raises(ValueError, match=r"sheet\[0\] 'Layer' on 'In': parameter 'act\.dt\.g_tau'"):
        net.apply_params([("Layer", {"act.dt.g_tau": 0.1})])
    with pytest.raises(ValueError, match=r"sheet\[0\] selector"):
        net.apply_params([("Hid", {"act.gbar.l": 0.2})])


# ----------------------------------------------------------------------------- structure

def test_structure_errors_name_argument():
    """Structure errors name the argument: unknown layers, bad pattern, mask shape, sizes."""
    net = Network()
    net.add_layer("A", 3, "input")
    net.add_layer("B", (2, 2))
    net.add_layer("P", (2, 1, 2, 2))
    with pytest.raises(ValueError, match="send: no layer named 'X'"):
        net.connect("X", "B")
    with pytest.raises(ValueError, match="recv: no layer named 'Y'"):
        net.connect("A", "Y")
    with pytest.raises(ValueError, match="pattern must be one of"):
        net.connect("A", "B", "diagonal")
    with pytest.raises(ValueError, match=r"mask must have shape \(n_recv, n_send\) = \(4, 3\)"):
        net.connect("A", "B", "mask", mask=np.ones((3, 4), bool))
    with pytest.raises(ValueError, match="mask must be a boolean"):
        net.connect("A", "B", "mask", mask=np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"one_to_one.*equal layer sizes"):
        net.connect("A", "B", "one_to_one")
    with pytest.raises(ValueError, match="p must be in"):
        net.connect("A", "B", "random")
    with pytest.raises(ValueError, match=r"pool_one_to_one.*pool counts"):
        net.connect("P", "B", "pool_one_to_one")
    with pytest.raises(ValueError, match="cls must be one of"):
        net.connect("A", "B", cls="sideways")
    with pytest.raises(ValueError, match="kind must be one of"):
        net.add_layer("C", 3, "output")
    with pytest.raises(ValueError, match="shape must be"):
        net.add_layer("C", (2, 2, 2))
    with pytest.raises(ValueError, match="name 'A'"):
        net.add_layer("A", 3)
    net.connect("A", "B")
    with pytest.raises(ValueError, match="name 'AToB'"):
        net.connect("A", "B")
    with pytest.raises(ValueError, match="n_batch"):
        Network(n_batch=0)
    with pytest.raises(ValueError, match="dtype"):
        Network(dtype=np.int32)


def test_patterns():
    """Connectivity masks: one_to_one is the identity, pool_one_to_one is block-diagonal over
    unit groups, random is reproducible from its seed with about the given fraction."""
    net = Network()
    net.add_layer("P", (2, 1, 2, 3), "input")
    net.add_layer("Q", (2, 1, 1, 2))
    net.add_layer("R", 200)
    net.add_layer("S", 300)
    pj = net.connect("P", "Q", "pool_one_to_one")
    want = np.zeros((4, 12), bool)
    want[:2, :6] = True
    want[2:, 6:] = True
    assert np.array_equal(pj.mask, want)
    r1 = net.connect("R", "S", "random", p=0.25, seed=7, name="r1")
    r2 = net.connect("R", "S", "random", p=0.25, seed=7, name="r2")
    assert np.array_equal(r1.mask, r2.mask)
    assert abs(r1.mask.mean() - 0.25) < 0.01
    assert net.layer("P").n_pools == 2 and net.layer("P").pool_size == 6


def test_weights_reproducible_and_settable():
    """Initial weights come from the Generator (same seed, same weights; uniform
    mean +- var in [0.25, 0.75]); symmetric back weights are the transposed forward ones;
    set_weights validates its argument."""
    a, b = small_net(seed=5), small_net(seed=5)
    for pj in a.prjns:
        assert np.array_equal(a.weights(pj.name), b.weights(pj.name))
    w = a.weights("InputToHidden")
    assert w.min() >= 0.25 and w.max() <= 0.75 and w.std() > 0.05
    assert np.array_equal(a.weights("OutputToHidden")[0], a.weights("HiddenToOutput")[0].T)
    with pytest.raises(ValueError, match="wt must have shape"):
        a.set_weights("InputToHidden", np.zeros((6, 5)))
    with pytest.raises(ValueError, match=r"wt must be finite and in \[0, 1\]"):
        a.set_weights("InputToHidden", np.full((5, 6), 1.5))


# ----------------------------------------------------------------------------- runs

def test_run_shapes_and_errors():
    """run(): traces per layer with the documented shapes; bad inputs name the argument."""
    net = small_net()
    x, y = patterns(3)
    res = net.run({"Input": x}, {"Output": y}, record=["act", "ge", "wt"])
    assert res.cycles["Hidden"]["act"].shape == (3, 100, 1, 5)
    assert res.trials["Output"]["act_p"].shape == (3, 1, 4)
    assert res.stats["Output"]["sse"].shape == (3, 1)
    assert res.trial_weights["InputToHidden"].shape == (3, 1, 5, 6)
    assert np.array_equal(res.weights["InputToHidden"], net.weights("InputToHidden"))
    # the plus-phase output is the clamped target (range max .95)
    assert np.array_equal(res.trials["Output"]["act_p"][:, 0], np.minimum(y, 0.95))
    assert np.array_equal(res.trials["Input"]["act_m"][:, 0], np.minimum(x, 0.95))
    sse = ((res.trials["Output"]["act_p"] - res.trials["Output"]["act_m"]) ** 2)
    sse = np.where(np.sqrt(sse) < 0.5, 0, sse).sum(axis=2)
    assert np.array_equal(res.stats["Output"]["sse"], sse)
    with pytest.raises(ValueError, match=r"inputs\['Input'\] for layer 'Input' must have shape"):
        net.run({"Input": np.zeros((3, 5))})
    with pytest.raises(ValueError, match="inputs: no layer named 'Nope'"):
        net.run({"Nope": np.zeros((3, 5))})
    with pytest.raises(ValueError, match="inputs: layer 'Output' is a target layer"):
        net.run({"Output": y})
    with pytest.raises(ValueError, match="targets: layer 'Hidden' is a hidden layer"):
        net.run({"Input": x}, {"Hidden": np.zeros((3, 5))})
    with pytest.raises(ValueError, match=r"targets\['Output'\] has 2 trials"):
        net.run({"Input": x}, {"Output": y[:2]})
    with pytest.raises(ValueError, match="record: unknown variable 'spike'"):
        net.run({"Input": x}, record=["spike"])
    with pytest.raises(ValueError, match="must be finite"):
        net.run({"Input": np.full((3, 6), np.nan)})
    with pytest.raises(RuntimeError, match="init_weights"):
        Network().run({"Input": x})


def test_layer_shape_patterns():
    """Patterns may have the layer's own shape instead of a flat unit axis."""
    a, b = small_net(), small_net()
    x, y = patterns(2)
    ra = a.run({"Input": x}, {"Output": y})
    rb = b.run({"Input": x.reshape(2, 2, 3)}, {"Output": y})
    assert np.array_equal(ra.weights["InputToHidden"], rb.weights["InputToHidden"])


def test_deterministic():
    """Same structure, params, seed and patterns give the same bits."""
    x, y = patterns(3)
    r1 = small_net().run({"Input": x}, {"Output": y}, record=["act"])
    r2 = small_net().run({"Input": x}, {"Output": y}, record=["act"])
    assert np.array_equal(r1.cycles["Hidden"]["act"], r2.cycles["Hidden"]["act"])
    assert np.array_equal(r1.weights["HiddenToOutput"], r2.weights["HiddenToOutput"])


def test_learning_changes_weights_and_lowers_error():
    """Error-driven learning reduces the output error of a small associator (sanity)."""
    net = Network(n_batch=2)
    net.add_layer("Input", 8, "input")
    net.add_layer("Hidden", 10)
    net.add_layer("Output", 4, "target")
    net.connect("Input", "Hidden")
    net.connect("Hidden", "Output")
    net.connect("Output", "Hidden", cls="back")
    net.apply_params([(".back", {"wt_scale.rel": 0.2})])
    net.init_weights(np.random.default_rng(3))
    x = np.eye(8)[[0, 2, 4, 6]] + np.eye(8)[[1, 3, 5, 7]]
    y = np.eye(4)
    first = net.run({"Input": x}, {"Output": y}).stats["Output"]["sse"].sum(axis=0)
    for _ in range(8):
        last = net.run({"Input": x}, {"Output": y}).stats["Output"]["sse"].sum(axis=0)
    assert np.all(last < 0.9 * first)  # both batch copies (measured: 15% and 70% lower)


def test_batch_copies_are_independent():
    """n_batch copies with their own weights and patterns give the same bits as separate
    single-copy networks."""
    x, y = patterns(3)
    rng = np.random.default_rng(9)
    xb = np.stack([x, x[::-1], 1 - x], axis=1)  # (T, B, N)
    yb = np.stack([y, y[::-1], 1 - y], axis=1)
    big = small_net(n_batch=3)
    singles = [small_net() for _ in range(3)]
    for pj in big.prjns:
        if pj.name == "OutputToHidden":
            continue
        w = rng.uniform(0.3, 0.7, (3, *pj.mask.shape))
        big.set_weights(pj.name, w)
        for b, s in enumerate(singles):
            s.set_weights(pj.name, w[b])
    big.set_weights("OutputToHidden", np.swapaxes(big.weights("HiddenToOutput"), 1, 2))
    for s in singles:
        s.set_weights("OutputToHidden", s.weights("HiddenToOutput")[0].T)
    rb = big.run({"Input": xb}, {"Output": yb}, record=["act"])
    for b, s in enumerate(singles):
        rs = s.run({"Input": xb[:, b]}, {"Output": yb[:, b]}, record=["act"])
        got, want = rb.cycles["Hidden"]["act"][:, :, b], rs.cycles["Hidden"]["act"][:, :, 0]
        assert np.array_equal(got, want)
        assert np.array_equal(rb.weights["InputToHidden"][b], rs.weights["InputToHidden"][0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_state_continuation_bit_exact(dtype):
    """get_state / set_state: 3 trials, save, 2 more equals 5 in one go, and a fresh network
    given the saved state continues identically."""
    x, y = patterns(5)
    ref = small_net(dtype=dtype)
    r5 = ref.run({"Input": x}, {"Output": y}, record=["act"])
    a = small_net(dtype=dtype)
    a.run({"Input": x[:3]}, {"Output": y[:3]})
    saved = a.get_state()
    ra = a.run({"Input": x[3:]}, {"Output": y[3:]}, record=["act"])
    b = small_net(dtype=dtype, seed=99)
    b.set_state(saved)
    rb = b.run({"Input": x[3:]}, {"Output": y[3:]}, record=["act"])
    for r in (ra, rb):
        assert np.array_equal(r.cycles["Hidden"]["act"], r5.cycles["Hidden"]["act"][3:])
        for pj in ref.prjns:
            assert np.array_equal(r.weights[pj.name], r5.weights[pj.name])
    bad = dict(saved)
    bad.pop("prjn/InputToHidden/wt")
    with pytest.raises(ValueError, match="missing"):
        b.set_state(bad)
    bad = dict(saved)
    bad["layer/Hidden/act"] = np.zeros((2, 5), dtype)
    with pytest.raises(ValueError, match=r"state\['layer/Hidden/act'\] must have shape"):
        b.set_state(bad)


def test_callback_every_trial():
    """The progress hook is called once per trial with the trial index and the network."""
    net = small_net()
    x, y = patterns(4)
    seen = []
    net.run({"Input": x}, {"Output": y}, callback=lambda t, n: seen.append((t, n is net)))
    assert seen == [(0, True), (1, True), (2, True), (3, True)]


def test_compare_layer_never_clamped():
    """Compare layers get targets for statistics only: no clamping, SSE = Targ - ActM."""
    net = Network()
    net.add_layer("Input", 4, "input")
    net.add_layer("Out", 4, "compare")
    net.connect("Input", "Out", "one_to_one")
    net.init_weights(0)
    x = np.eye(4)
    y = np.eye(4)[::-1]
    res = net.run({"Input": x}, {"Out": y}, learn=False)
    am, ap = res.trials["Out"]["act_m"], res.trials["Out"]["act_p"]
    assert not np.array_equal(ap, np.minimum(y, 0.95)[:, None])
    d = y[:, None] - am
    assert np.array_equal(res.stats["Out"]["sse"], np.where(np.abs(d) < 0.5, 0, d * d).sum(axis=2))


def test_lateral_symmetry():
    """Go prjn.go InitWtSym on a lateral projection onto its own layer: walking senders in
    index order, every pair ends with the weight of the synapse from the lower-index sender,
    so the weights are symmetric."""
    net = Network()
    net.add_layer("L", 5, "input")
    net.connect("L", "L", cls="lateral")
    net.init_weights(np.random.default_rng(4))
    w = net.weights("LToL")[0]
    assert np.array_equal(w, w.T)
    net2 = Network()
    net2.add_layer("L", 5, "input")
    net2.connect("L", "L", cls="lateral")
    net2.apply_params([("Prjn", {"wt_init.sym": False})])
    net2.init_weights(np.random.default_rng(4))
    raw = net2.weights("LToL")[0]
    lower = np.tril(raw)  # recv r >= send s: synapses from the lower-index sender
    assert np.array_equal(w, lower + np.tril(raw, -1).T)


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_pickled_network_continues_bit_for_bit_and_keeps_its_views(backend):
    """pickle and deepcopy (Dask, multiprocessing) keep the per-layer arrays views of the
    packed buffers the kernel runs on: the copy continues as the original does, and its
    get_state follows its runs (copied apart, the views would go stale)."""
    import copy
    import pickle

    x, y = patterns(4)
    a = small_net()
    a.run({"Input": x[:2]}, {"Output": y[:2]})
    for b in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
        ra = copy.deepcopy(a).run({"Input": x[2:]}, {"Output": y[2:]}, record=["act"],
                                  backend=backend)  # fmt: skip
        rb = b.run({"Input": x[2:]}, {"Output": y[2:]}, record=["act"], backend=backend)
        assert np.array_equal(ra.cycles["Hidden"]["act"], rb.cycles["Hidden"]["act"])
        assert np.array_equal(rb.weights["InputToHidden"][:, :, :], b.weights("InputToHidden"))
        assert np.array_equal(b.state.layers["Hidden"]["act"], rb.trials["Hidden"]["act_p"][-1])
        assert np.shares_memory(b.state.layers["Hidden"]["act"], b._packed.U)
    empty = pickle.loads(pickle.dumps(Network()))
    empty.add_layer("A", 3)  # not built: still open to structure
    assert not empty._built


def _continues_alike(a, load, x, y):
    """A fresh network (other initial weights) given a's saved state by ``load`` runs the
    next trials as a does: the same cycles and weights, bit for bit."""
    ra = a.run({"Input": x}, {"Output": y}, record=["act"])
    b = small_net(seed=7)
    load(b)
    rb = b.run({"Input": x}, {"Output": y}, record=["act"])
    assert np.array_equal(ra.cycles["Output"]["act"], rb.cycles["Output"]["act"])
    assert np.array_equal(ra.weights["HiddenToOutput"], rb.weights["HiddenToOutput"])


def test_save_load_state_npz(tmp_path):
    """save_state / load_state (.npz, no pickle) continue bit for bit."""
    x, y = patterns(4)
    a = small_net()
    a.run({"Input": x[:2]}, {"Output": y[:2]})
    a.save_state(tmp_path / "s.npz")
    _continues_alike(a, lambda b: b.load_state(tmp_path / "s.npz"), x[2:], y[2:])


def test_state_saved_before_kna_noise_cpp85_loads(tmp_path):
    """A state file written before KNa, noise and cpp85 had state variables (those keys
    dropped) still loads and continues bit for bit; any other missing key is refused."""
    from leabra_fast.network.variables import STATE_VARS_ADDED

    x, y = patterns(4)
    a = small_net()
    a.run({"Input": x[:2]}, {"Output": y[:2]})
    old = {k: v for k, v in a.get_state().items()
           if not (k.startswith("layer/") and k.rsplit("/", 1)[1] in STATE_VARS_ADDED)}
    assert len(old) < len(a.get_state())
    np.savez(tmp_path / "old.npz", **old)
    _continues_alike(a, lambda b: b.load_state(tmp_path / "old.npz"), x[2:], y[2:])
    del old["layer/Hidden/act"]
    with pytest.raises(ValueError, match=r"missing.*layer/Hidden/act"):
        small_net().set_state(old)


def test_builders():
    """Go basic_test.go (TestMakeNet, ParamSets) and examples/bench/bench.go (ConfigNet,
    ConfigPats) as builders: the 4-4-4 net reproduces TestNetAct's end-of-quarter-3 Hidden
    act 0.9431544 (float32, Go's 1e-8); the bench net's scales follow SLayActScale with
    1/round(0.15 x 25) = 1/4 and Rel 1 / 0.2; bench patterns have units // 6 ones per row."""
    from leabra_fast.network import basic_test_net, bench_net, bench_patterns

    net = basic_test_net(dtype=np.float32)
    res = net.run({"Input": np.eye(4)[:1]}, {"Output": np.eye(4)[:1]}, learn=False,
                  record=["act"])
    got = float(res.cycles["Hidden"]["act"][0, 99, 0, 0])
    assert abs(got - float(np.float32(0.9431544))) <= 1e-8
    assert len(basic_test_net(inhib=True).prjns) == 4
    assert basic_test_net(norm=True).prjn("InputToHidden").params.learn.norm.on
    b = bench_net(25, rng=0)
    assert [ly.shape for ly in b.layers] == [(5, 5)] * 5
    assert [p.name for p in b.prjns] == [
        "InputToHidden1", "Hidden1ToHidden2", "Hidden2ToHidden3", "Hidden3ToOutput",
        "OutputToHidden3", "Hidden3ToHidden2", "Hidden2ToHidden1"]
    assert b.layer("Output").params.inhib.layer.gi == 1.4
    assert b.layer("Hidden2").params.inhib.layer.gi == 1.8
    b.alpha_cyc_init(True)
    gs = {p.name: b.state.prjns[p.name]["gscale"][0] for p in b.prjns}
    assert np.isclose(gs["InputToHidden1"], 0.25 / 1.2, rtol=1e-15)
    assert np.isclose(gs["Hidden2ToHidden1"], 0.2 * 0.25 / 1.2, rtol=1e-15)
    assert gs["Hidden3ToOutput"] == 0.25
    pats = bench_patterns(20, 25, rng=1)
    assert pats["Input"].shape == (20, 25) and np.all(pats["Input"].sum(axis=1) == 4)
    assert not np.array_equal(pats["Input"], pats["Output"])
    with pytest.raises(ValueError, match="units must be a perfect square"):
        bench_net(24)


def test_progress_bar(capsys):
    """progress=True shows a tqdm bar over trials (tqdm is an optional dependency)."""
    pytest.importorskip("tqdm")
    net = small_net()
    x, y = patterns(2)
    net.run({"Input": x}, {"Output": y}, progress=True)
    assert "2/2" in capsys.readouterr().err


def test_negative_conductance_is_refused_naming_the_channel():
    with pytest.raises(ValueError, match=r"ActParams\.gbar\.l must be >= 0, got -0\.1"):
        with_path(LayerParams(), "act.gbar.l", -0.1)
    # Reversal potentials share the Chans struct but may be any finite value.
    assert with_path(LayerParams(), "act.erev.k", -0.1).act.erev.k == -0.1


def test_compiled_run_hands_out_lazy_views_as_a_dict_would():
    """``run(backend="cython")`` hands out its records as LazyViews (views made on first
    access): the same values as the per-trial path's copies, each view made once and
    kept, the network's order, set / delete / pickle / copy as a dict, an unknown name
    a KeyError."""
    import copy
    import pickle

    from leabra_fast.network import bench_net, bench_patterns
    from leabra_fast.network.result import LazyViews

    pats = bench_patterns(3, 16, rng=5)
    args = ({"Input": pats["Input"]}, {"Output": pats["Output"]})
    lazy = bench_net(16, rng=6).run(*args, backend="cython", record=["act"])
    eager = bench_net(16, rng=6).run(*args, backend="cython", record=["act"],
                                     callback=lambda t, net: None)  # one call per trial
    for part in ("cycles", "trials", "stats", "weights"):
        got, want = getattr(lazy, part), getattr(eager, part)
        # (the final weights are views of the kernel's copy in both)
        assert isinstance(got, LazyViews) and (part == "weights") == isinstance(want, LazyViews)
        assert list(got) == list(want) and len(got) == len(want)
        for name in want:
            if part == "weights":
                np.testing.assert_array_equal(got[name], want[name])
            else:
                assert list(got[name]) == list(want[name])
                for v in want[name]:
                    np.testing.assert_array_equal(got[name][v], want[name][v])
        assert got[next(iter(want))] is got[next(iter(want))]  # made once, kept
    t = lazy.trials
    assert dict(pickle.loads(pickle.dumps(t))).keys() == t.keys()
    assert type(pickle.loads(pickle.dumps(t))) is dict and type(copy.copy(t)) is dict
    np.testing.assert_array_equal(copy.deepcopy(t)["Hidden1"]["act_m"], t["Hidden1"]["act_m"])
    with pytest.raises(KeyError):
        t["NoSuchLayer"]
    t["Extra"] = {"act_m": np.zeros(1)}
    del t["Input"]
    assert list(t) == ["Hidden1", "Hidden2", "Hidden3", "Output", "Extra"]
    with pytest.raises(KeyError):
        del t["Input"]
    assert "Input" not in t and "Output" in t and len(t) == 5
    fresh = bench_net(16, rng=6).run(*args, backend="cython").trials
    assert "Output" in fresh and not fresh._done  # asking for a name makes no view
    assert "Hidden1" in repr(lazy.stats)
