"""The network's compiled kernel (``run(backend="cython")``) against the NumPy reference:
values at rtol 1e-12 on every recorded trace, statistic, weight and state variable
(identical flags), for Go's 4-4-4 network, the bench network and hypothesis over random
small nets; same bits at any thread count and instruction set; bad input refused in
Python with the argument named."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leabra_fast.network import CYCLE_VARS, Network, basic_test_net, bench_net, bench_patterns

compiled = pytest.importorskip("leabra_fast.network.compiled")

RTOL = 1e-12


def _close(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, what
    if a.dtype == bool or np.issubdtype(a.dtype, np.integer):
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=1e-300, err_msg=what)


def assert_same_run(ra, rb, na, nb):
    for ly in ra.cycles:
        for v in ra.cycles[ly]:
            _close(ra.cycles[ly][v], rb.cycles[ly][v], f"cycles {ly} {v}")
        for v in ra.trials[ly]:
            _close(ra.trials[ly][v], rb.trials[ly][v], f"trials {ly} {v}")
        for v in ra.stats[ly]:
            _close(ra.stats[ly][v], rb.stats[ly][v], f"stats {ly} {v}")
    for p in ra.weights:
        _close(ra.weights[p], rb.weights[p], f"weights {p}")
    for p in ra.trial_weights:
        _close(ra.trial_weights[p], rb.trial_weights[p], f"trial_weights {p}")
    sa, sb = na.get_state(), nb.get_state()
    assert sa.keys() == sb.keys()
    for k in sa:
        _close(sa[k], sb[k], f"state {k}")


def assert_same_bits(ra, rb, na, nb):
    """Every recorded trace, trial variable, statistic, weight and state variable of two
    compiled runs: the same bits."""
    for ly in ra.cycles:
        for part in ("cycles", "trials", "stats"):
            for v, a in getattr(ra, part)[ly].items():
                np.testing.assert_array_equal(getattr(rb, part)[ly][v], a, f"{part} {ly} {v}")
    for p in ra.weights:
        np.testing.assert_array_equal(rb.weights[p], ra.weights[p], p)
    sa, sb = na.get_state(), nb.get_state()
    assert sa.keys() == sb.keys()
    for k in sa:
        np.testing.assert_array_equal(sb[k], sa[k], k)


def run_both(make, inputs, targets, **kw):
    na, nb = make(), make()
    ra = na.run(inputs, targets, backend="python", **kw)
    rb = nb.run(inputs, targets, backend="cython", **kw)
    assert_same_run(ra, rb, na, nb)
    return na, nb, ra, rb


@pytest.mark.parametrize(
    ("norm", "momentum", "inhib"),
    [(False, False, False), (True, False, False), (False, True, False), (True, True, False),
     (False, False, True)],
)
def test_basic_net_matches_reference(norm, momentum, inhib):
    """Go's basic_test.go network, every NormOn/MomentOn set and TestInhibAct's inhibitory
    projection, 8 trials with learning, all cycle variables recorded."""
    pats = np.tile(np.eye(4), (2, 1))
    ra = run_both(
        lambda: basic_test_net(norm=norm, momentum=momentum, inhib=inhib),
        {"Input": pats}, {"Output": pats}, record=[*CYCLE_VARS, "wt"],
    )[2]
    # the net learned something and the hidden layer was active (the test is not vacuous)
    assert not np.array_equal(ra.trial_weights["InputToHidden"][0],
                              ra.trial_weights["InputToHidden"][-1])
    assert ra.trials["Hidden"]["act_m"].max() > 0.4


def test_bench_net_matches_reference_bit_for_bit():
    """The bench network at N=25, 3 batch copies with their own patterns: the compiled
    kernel performs the reference's operations in its order, so the state is identical."""
    pats = np.stack([bench_patterns(6, 25, rng=s)["Input"] for s in range(3)], axis=1)
    outs = np.stack([bench_patterns(6, 25, rng=10 + s)["Output"] for s in range(3)], axis=1)
    na, nb, _, _ = run_both(lambda: bench_net(25, n_batch=3, rng=1),
                              {"Input": pats}, {"Output": outs}, record=["act", "ge", "vm"])
    sa, sb = na.get_state(), nb.get_state()
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k], err_msg=k)
    assert nb.last_n_sent.shape == (3,)
    assert (nb.last_n_sent > 0).all()


def test_learn_false_and_update_act_avg():
    pats = bench_patterns(4, 16, rng=3)
    run_both(lambda: bench_net(16, rng=2), {"Input": pats["Input"]}, {"Output": pats["Output"]},
             learn=False, record=["act"])
    run_both(lambda: bench_net(16, rng=2), {"Input": pats["Input"]}, {"Output": pats["Output"]},
             learn=True, update_act_avg=False, record=["act"])


def test_continuation_and_mixed_backends():
    """3 + 3 compiled trials (state carried through the shared buffers) and python then
    cython equal 6 reference trials; per-trial calls (callback) equal one call."""
    pats = bench_patterns(6, 16, rng=4)
    inp, tg = {"Input": pats["Input"]}, {"Output": pats["Output"]}
    ref = bench_net(16, rng=5)
    ref.run(inp, tg)
    a = bench_net(16, rng=5)
    a.run({"Input": pats["Input"][:3]}, {"Output": pats["Output"][:3]}, backend="cython")
    a.run({"Input": pats["Input"][3:]}, {"Output": pats["Output"][3:]}, backend="cython")
    b = bench_net(16, rng=5)
    b.run({"Input": pats["Input"][:3]}, {"Output": pats["Output"][:3]})
    b.run({"Input": pats["Input"][3:]}, {"Output": pats["Output"][3:]}, backend="cython")
    c = bench_net(16, rng=5)
    seen = []
    c.run(inp, tg, backend="cython", callback=lambda t, net: seen.append(t))
    assert seen == list(range(6))
    sr = ref.get_state()
    for net in (a, b, c):
        s = net.get_state()
        for k in sr:
            _close(sr[k], s[k], k)
    assert c.state.scalars["trials"] == 6


def test_pending_dwt_from_step_api_is_applied():
    """DWt left by the step API (dwt without wt_from_dwt) is applied by the kernel's first
    weight update, including rows of senders that do not learn in that trial."""
    pats = bench_patterns(2, 16, rng=6)
    inp, tg = {"Input": pats["Input"]}, {"Output": pats["Output"]}

    def make():
        net = bench_net(16, rng=7)
        net.run({"Input": pats["Input"][:1]}, {"Output": pats["Output"][:1]}, learn=False)
        net.dwt()
        return net

    run_both(make, inp, tg)


def test_set_state_with_pending_dwt_and_progress_bar():
    """A state restored with non-zero DWt (set_state) is applied as the reference does;
    progress=True (one kernel call per trial) gives the same result."""
    pytest.importorskip("tqdm")
    pats = bench_patterns(3, 16, rng=15)
    inp, tg = {"Input": pats["Input"]}, {"Output": pats["Output"]}
    src = bench_net(16, rng=16)
    src.run({"Input": pats["Input"][:1]}, {"Output": pats["Output"][:1]}, learn=False)
    src.dwt()
    saved = src.get_state()
    assert np.abs(saved["prjn/InputToHidden1/dwt"]).max() > 0

    def make():
        net = bench_net(16, rng=16)
        net.set_state(saved)
        return net

    na, nb = make(), make()
    ra = na.run(inp, tg, record=["act"])
    rb = nb.run(inp, tg, record=["act"], backend="cython", progress=True)
    assert_same_run(ra, rb, na, nb)


SHAPES = [(3,), (2, 3), (2, 1, 1, 2), (1, 2, 2, 2), (2, 2, 1, 2)]


@st.composite
def net_specs(draw):
    n_hidden = draw(st.integers(1, 2))
    shapes = [draw(st.sampled_from(SHAPES)) for _ in range(n_hidden + 2)]
    pattern = draw(st.sampled_from(["full", "random", "pool_one_to_one"]))
    out_kind = draw(st.sampled_from(["target", "compare", "target"]))
    flavour = draw(st.sampled_from(["go_v1", "cpp85"]))
    layer = {
        "inhib.layer.gi": draw(st.floats(1.2, 2.4)),
        "inhib.layer.on": draw(st.sampled_from([True, True, False])),
        "inhib.layer.max_vs_avg": draw(st.sampled_from([0.0, 0.5])),
        "inhib.pool.on": draw(st.booleans()),
        "inhib.self_inhib.on": draw(st.booleans()),
        "inhib.act_avg.fixed": draw(st.booleans()),
        "inhib.act_avg.use_first": draw(st.booleans()),
        "act.init.decay": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "act.clamp.hard": draw(st.sampled_from([True, True, False])),
        "act.clamp.avg": draw(st.booleans()),
        "act.opt_thresh.delta": draw(st.sampled_from([0.005, 0.0, 0.05])),
        "learn.avg_l.err_mod": draw(st.booleans()),
        "learn.avg_l.lrn_min_offset": draw(st.booleans()),
    }
    prjn = {
        "learn.norm.on": draw(st.booleans()),
        "learn.momentum.on": draw(st.booleans()),
        "learn.wt_bal.on": draw(st.booleans()),
        "learn.wt_bal.targs": draw(st.booleans()),
        "learn.wt_sig.gain": draw(st.sampled_from([6.0, 6.0, 1.0, 3.0])),
        "learn.wt_sig.soft_bound": draw(st.booleans()),
        "learn.xcal.set_l_lrn": draw(st.booleans()),
        "learn.lrate": draw(st.sampled_from([0.04, 0.2])),
    }
    sheet = [("Layer", layer), ("Prjn", prjn),
             (".back", {"wt_scale.rel": draw(st.floats(0.1, 0.5))})]
    if draw(st.booleans()):
        sheet.append(("#L0ToL1", {"learn.learn": False}))
    seed = draw(st.integers(0, 2**31 - 1))
    n_batch = draw(st.integers(1, 3))
    inhib_prjn = draw(st.booleans())
    return shapes, pattern, out_kind, flavour, sheet, seed, n_batch, inhib_prjn


def build(spec):
    shapes, pattern, out_kind, flavour, sheet, seed, n_batch, inhib_prjn = spec
    net = Network(n_batch=n_batch, flavour=flavour, wt_bal_interval=2, cyc_per_qtr=10)
    names = [f"L{i}" for i in range(len(shapes))]
    for i, (nm, shp) in enumerate(zip(names, shapes, strict=True)):
        kind = "input" if i == 0 else (out_kind if i == len(shapes) - 1 else "hidden")
        net.add_layer(nm, shp, kind)
    for i in range(len(names) - 1):
        pat = pattern
        if pat == "pool_one_to_one" and (max(net.layers[i].n_pools, 1)
                                         != max(net.layers[i + 1].n_pools, 1)):
            pat = "full"
        kw = {"p": 0.7, "seed": seed + i} if pat == "random" else {}
        net.connect(names[i], names[i + 1], pat, **kw)
        if i > 0:
            net.connect(names[i + 1], names[i], pat, "back", **kw)
    if inhib_prjn:
        net.connect(names[0], names[1], "full", "inhib", name="Inhib01")
    net.apply_params(sheet)
    net.init_weights(seed)
    return net


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(spec=net_specs(), pseed=st.integers(0, 1000))
def test_random_nets_match_reference(spec, pseed):
    rng = np.random.default_rng(pseed)
    n_batch = spec[6]
    n_in, n_out = int(np.prod(spec[0][0])), int(np.prod(spec[0][-1]))
    x = (rng.random((4, n_batch, n_in)) < 0.5).astype(float)
    y = (rng.random((4, n_batch, n_out)) < 0.5).astype(float)
    run_both(lambda: build(spec), {"L0": x}, {f"L{len(spec[0]) - 1}": y},
             record=list(CYCLE_VARS), sse_tol=float(rng.choice([0.0, 0.5])))


@pytest.mark.skipif(not compiled.OPENMP, reason="built without OpenMP")
def test_thread_count_gives_same_bits():
    pats = np.stack([bench_patterns(3, 16, rng=s)["Input"] for s in range(4)], axis=1)
    outs = np.stack([bench_patterns(3, 16, rng=9 + s)["Output"] for s in range(4)], axis=1)
    states = []
    for n_threads in (1, 2, 3):
        net = bench_net(16, n_batch=4, rng=8)
        res = net.run({"Input": pats}, {"Output": outs}, backend="cython", n_threads=n_threads,
                      record=["act"])
        states.append((net.get_state(), res.cycles["Hidden2"]["act"]))
    for s, a in states[1:]:
        np.testing.assert_array_equal(a, states[0][1])
        for k in s:
            np.testing.assert_array_equal(s[k], states[0][0][k], err_msg=k)


@pytest.mark.skipif(not compiled.OPENMP, reason="built without OpenMP")
@pytest.mark.parametrize("units", [16, 256])
def test_threads_inside_one_copy_give_same_bits(units):
    """One batch copy on 2 and 3 threads (a team: each thread owns a run of the layers'
    units) at 256 units per layer; below LF_MIN_UNITS_THREADS the copy runs on one
    thread."""
    pats = bench_patterns(3, units, rng=13)
    states = []
    for n_threads in (1, 2, 3):
        net = bench_net(units, rng=14)
        net.run({"Input": pats["Input"]}, {"Output": pats["Output"]}, backend="cython",
                n_threads=n_threads)
        states.append(net.get_state())
    for s in states[1:]:
        for k in s:
            np.testing.assert_array_equal(s[k], states[0][k], err_msg=k)


def _team_net(sizes, pools, seed, extra=()):
    """Layers of unequal sizes (one 4-D with pools), forward, back, lateral and
    inhibitory projections: team cuts fall inside layers, on pool edges, and threads
    may own no units at all.  ``extra``: more params sheet rows."""
    net = Network("Team")
    net.add_layer("In", sizes[0], "input")
    net.add_layer("H1", (2, pools, sizes[1] // (2 * pools), 1), "hidden")
    net.add_layer("H2", sizes[2], "hidden")
    net.add_layer("Out", sizes[3], "target")
    net.connect("In", "H1")
    net.connect("H1", "H2")
    net.connect("H2", "Out")
    net.connect("Out", "H2", cls="back")
    net.connect("H2", "H1", cls="back")
    net.connect("H2", "H2", "random", "lateral", p=0.2, seed=seed)
    net.connect("H1", "H2", "random", "inhib", name="H1InhibH2", p=0.3, seed=seed + 1)
    net.apply_params([("Layer", {"inhib.pool.on": True}), (".back", {"wt_scale.rel": 0.3}),
                      *extra])
    net.init_weights(seed)
    return net


@pytest.mark.skipif(not compiled.OPENMP, reason="built without OpenMP")
@pytest.mark.parametrize(
    ("sizes", "pools", "n_threads"),
    [((300, 512, 40, 24), 4, 2), ((300, 512, 40, 24), 4, 3), ((20, 256, 600, 8), 2, 4),
     ((272, 256, 16, 16), 8, 5), ((8, 256, 8, 8), 2, 7)],
)
@pytest.mark.parametrize("extra", [(), (("Layer", {"act.noise.type": "ge", "act.noise.var": 0.01,
                                                   "act.kna.on": True}),)],
                         ids=["plain", "noise_kna"])
def test_team_of_threads_gives_same_bits(sizes, pools, n_threads, extra):
    """Every cycle variable, trial variable, statistic, weight and state variable of one
    copy on a team of 2-7 threads equals one thread's, with learning, over four trials
    (with per-cycle Ge noise, drawn by each thread for its units, and KNa too)."""
    rng = np.random.default_rng(sum(sizes) + n_threads)
    inp = (rng.random((4, sizes[0])) < 0.3).astype(float)
    out = (rng.random((4, sizes[3])) < 0.3).astype(float)
    runs = []
    for th in (1, n_threads):
        net = _team_net(sizes, pools, 5, extra)
        res = net.run({"In": inp}, {"Out": out}, backend="cython", n_threads=th,
                      record=list(CYCLE_VARS))
        runs.append((net, res))
    (na, ra), (nb, rb) = runs
    assert_same_bits(ra, rb, na, nb)
    initial = _team_net(sizes, pools, 5, extra).state.prjns
    assert any(not np.array_equal(nb.state.prjns[p]["wt"], initial[p]["wt"]) for p in initial)


@pytest.mark.skipif(not compiled.OPENMP, reason="built without OpenMP")
@pytest.mark.parametrize(("n_threads", "n_batch", "solo_from"), [(2, 1, 1), (3, 1, 2), (3, 2, 0)])
def test_team_going_solo_gives_same_bits(monkeypatch, n_threads, n_batch, solo_from):
    """A team whose cores are taken hands the copy to thread 0 alone for the rest of the
    call (forced here from a given trial): every result and the state stay the same bits,
    also with two copies run one after the other by a team of three threads."""
    from leabra_fast.network import compiled_backend

    pats = bench_patterns(4, 256, rng=21)
    runs = []
    # (three threads on two cores take long round trips: the team could go solo earlier)
    monkeypatch.setattr(compiled_backend, "_TEAM_RTT_MAX", 1.0)
    for th, solo in ((1, -1), (n_threads, solo_from)):
        monkeypatch.setattr(compiled_backend, "_SOLO_FROM", solo)
        net = bench_net(256, n_batch=n_batch, rng=22)
        res = net.run({"Input": pats["Input"]}, {"Output": pats["Output"]}, backend="cython",
                      n_threads=th, record=["act", "ge"])
        runs.append((net, res))
    (na, ra), (nb, rb) = runs
    np.testing.assert_array_equal(na.last_solo_trial, [-1] * n_batch)
    np.testing.assert_array_equal(nb.last_solo_trial, [solo_from] * n_batch)
    assert_same_bits(ra, rb, na, nb)


@pytest.mark.skipif(not compiled.OPENMP, reason="built without OpenMP")
@pytest.mark.parametrize(("rtt_max", "solo_at"), [(0.0, 1), (1.0, -1)])
def test_team_with_slow_round_trips_goes_solo(monkeypatch, rtt_max, solo_at):
    """The team measures its threads' cache-line round trip at each trial start: longer
    than ``_TEAM_RTT_MAX`` at two trials running (0 s: always), thread 0 runs the
    copy's other trials alone, from the second; with 1 s, never.  Same bits either way.
    (The rule for busy cores is off: other work on the machine, as CI's, would send the
    team solo too.)"""
    from leabra_fast.network import compiled_backend

    pats = bench_patterns(5, 256, rng=23)
    monkeypatch.setattr(compiled_backend, "_TEAM_BUSY_MIN", 0.0)
    runs = []
    for th, rtt in ((1, 3e-7), (2, rtt_max)):
        monkeypatch.setattr(compiled_backend, "_TEAM_RTT_MAX", rtt)
        net = bench_net(256, rng=24)
        res = net.run({"Input": pats["Input"]}, {"Output": pats["Output"]}, backend="cython",
                      n_threads=th, record=["act", "ge"])
        runs.append((net, res))
    (na, ra), (nb, rb) = runs
    np.testing.assert_array_equal(nb.last_solo_trial, [solo_at])
    assert_same_bits(ra, rb, na, nb)


def test_team_round_trip():
    """What a team measures at each trial start: a positive time with OpenMP (two
    threads, or three on this machine's two cores; well under a millisecond on an idle
    machine, but a thread waiting for its core's time slice takes longer), NaN without;
    fewer than two threads is refused."""
    if compiled.OPENMP:
        for n in (2, 3):
            rtt = compiled.team_round_trip(n)
            assert 0.0 < rtt < 0.1
    else:
        assert np.isnan(compiled.team_round_trip())
    with pytest.raises(ValueError, match="n_threads"):
        compiled.team_round_trip(1)


def test_simd_levels_give_same_bits():
    pats = bench_patterns(3, 16, rng=11)
    out = {}
    prev = compiled.select_simd()
    try:
        for level in compiled.simd_levels():
            compiled.select_simd(level)
            net = bench_net(16, rng=12)
            net.run({"Input": pats["Input"]}, {"Output": pats["Output"]}, backend="cython")
            out[level] = net.get_state()
    finally:
        compiled.select_simd(prev or None)
    first = next(iter(out.values()))
    for s in out.values():
        for k in s:
            np.testing.assert_array_equal(s[k], first[k], err_msg=k)
    with pytest.raises(ValueError, match="unknown SIMD level"):
        compiled.select_simd("sse9")


def test_bad_input_refused_in_python():
    pats = bench_patterns(2, 16, rng=1)
    inp, tg = {"Input": pats["Input"]}, {"Output": pats["Output"]}
    net32 = bench_net(16, dtype=np.float32, rng=1)
    with pytest.raises(ValueError, match="backend='cython' runs float64"):
        net32.run(inp, tg, backend="cython")
    net = bench_net(16, rng=1)
    with pytest.raises(ValueError, match="backend must be"):
        net.run(inp, tg, backend="fortran")
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="n_threads"):
            net.run(inp, tg, backend="cython", n_threads=bad)
    bad_in = pats["Input"].copy()
    bad_in[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"inputs\['Input'\].*finite"):
        net.run({"Input": bad_in}, tg, backend="cython")
    with pytest.raises(ValueError, match=r"inputs\['Input'\].*shape"):
        net.run({"Input": pats["Input"][:, :5]}, tg, backend="cython")
    with pytest.raises(ValueError, match="sse_tol"):
        net.run(inp, tg, backend="cython", sse_tol=-1.0)
    with pytest.raises(ValueError, match="record"):
        net.run(inp, tg, backend="cython", record=["bogus"])
    with pytest.raises(RuntimeError, match="init_weights"):
        Network().run({"x": np.zeros((1, 1))}, backend="cython")
    # nothing ran: the state is still the initial one
    fresh = bench_net(16, rng=1).get_state()
    for k, v in net.get_state().items():
        np.testing.assert_array_equal(v, fresh[k], err_msg=k)


def test_kernel_status_on_inconsistent_arrays():
    """The kernel itself re-checks sizes and returns STATUS_BAD_ARGS (never reads out of
    bounds) when called directly with inconsistent arrays."""
    from leabra_fast.network import compiled_backend

    net = bench_net(16, rng=1)
    k = compiled.current()
    layers, prjns, sl, rl = compiled_backend.layer_tables(net)
    ps = net._packed
    nb, n_tot, nl = 1, ps.U.shape[2], len(net.layers)

    def call(U=ps.U, pats=None, prj=prjns, lay=layers, recv=rl):
        return k.run_trials(
            lay, prj, sl, recv, U, ps.F.view(np.uint8), ps.P, ps.LV, ps.S, ps.M, ps.R, ps.G,
            np.zeros((1, nb, n_tot)) if pats is None else pats, np.zeros(0, np.intp),
            np.zeros((0, 0, 0, 0, 0)), np.zeros((9, 1, nb, n_tot)), np.zeros((4, 1, nb, nl)),
            np.zeros(nb, np.int64), np.zeros(1, np.int64), 25, 10, True, True, True, 0.5, 1,
        )

    assert call(U=np.zeros((3, nb, n_tot))) == k.STATUS_BAD_ARGS
    assert call(pats=np.zeros((1, nb, n_tot + 1))) == k.STATUS_BAD_ARGS
    bad = [dict(p) for p in prjns]
    bad[0]["syn_off"] = ps.S.shape[1]
    assert call(prj=bad) == k.STATUS_BAD_ARGS
    # a layer whose padding (read by ActFmG's last block) runs past the units' row, or
    # into the next layer's units
    for li, n_pad in ((nl - 1, n_tot - layers[nl - 1]["off"] + 1),
                      (0, layers[1]["off"] - layers[0]["off"] + 1)):  # fmt: skip
        bad_l = [dict(d) for d in layers]
        bad_l[li]["n_pad"] = n_pad
        assert call(lay=bad_l) == k.STATUS_BAD_ARGS
    assert call() == k.STATUS_OK
    # a layer's receive list naming a projection into another layer
    bad_rl = rl.copy()
    hid = next(i for i, ly in enumerate(net.layers) if layers[i]["recv1"] > layers[i]["recv0"])
    other = next(j for j, p in enumerate(prjns) if p["recv"] != hid)
    bad_rl[layers[hid]["recv0"]] = other
    assert call(recv=bad_rl) == k.STATUS_BAD_ARGS


@pytest.mark.parametrize("n_threads", [1, 2])
def test_padding_between_layers_stays_zero(n_threads):
    """ActFmG's last block of a layer reads the layer's padding (units n .. n_pad-1) and
    the learning averages run over it: it stays zeros, and layers start at multiples of
    16 units (a block of 16 never runs past the padding)."""
    net = bench_net(25, n_batch=2, rng=3)
    pats = bench_patterns(4, 25, rng=4)
    net.run({"Input": pats["Input"]}, {"Output": pats["Output"]}, backend="cython",
            n_threads=n_threads)  # fmt: skip
    ps = net._packed
    pad = np.ones(ps.U.shape[2], bool)
    for li, ly in enumerate(net.layers):
        assert ps.unit_off[li] % 16 == 0
        pad[ps.unit_off[li] : ps.unit_off[li] + ly.n_units] = False
    assert pad.sum() == 5 * 7
    assert not ps.U[:, :, pad].any()
    assert not ps.F[:, :, pad].any()
    assert ps.U[:, :, ~pad].any()


@pytest.mark.parametrize(("n_units", "n_threads"), [(25, 1), (324, 2)])
@pytest.mark.parametrize("decay", [1.0, 0.0])
def test_steady_hard_clamp_matches_reference(n_units, n_threads, decay):
    """After a quarter's first cycle the kernel skips the hard clamp of a wholly clamped
    layer (it would write the values already there) and the sending decision of a
    clamped layer that sent nothing since: the clamped input and the plus phase's
    target, every cycle, equal the reference's, on one thread and on a team whose cut
    falls inside the input layer; with decay 0 too (Act carries over between trials, so
    a clamp skipped after a new pattern would leave the old one)."""
    pats = bench_patterns(4, n_units, rng=21)
    # the same pattern twice in a row, then a new one: a skip must not outlive a trial
    inp = pats["Input"][[0, 0, 1, 2]]
    out = pats["Output"][[0, 0, 1, 2]]
    sheet = [("Layer", {"act.init.decay": decay})]

    def make():
        net = bench_net(n_units, rng=22)
        net.apply_params(sheet)
        return net

    na, nb = make(), make()
    vars_ = ["act", "act_lrn", "vm", "inet", "ge", "gi", "avg_ss"]
    ra = na.run({"Input": inp}, {"Output": out}, backend="python", record=vars_)
    rb = nb.run({"Input": inp}, {"Output": out}, backend="cython", record=vars_,
                n_threads=n_threads)
    assert_same_run(ra, rb, na, nb)
    # the input is the pattern at every cycle of every trial; the plus phase's target
    # is the target (Go's clamp range keeps 1 at 0.95)
    np.testing.assert_array_equal(rb.cycles["Input"]["act"][:, :, 0],
                                  np.repeat(np.clip(inp, 0, 0.95)[:, None], 100, axis=1))
    np.testing.assert_array_equal(rb.cycles["Output"]["act"][:, 76:, 0],
                                  np.repeat(np.clip(out, 0, 0.95)[:, None], 24, axis=1))


@pytest.mark.parametrize("n_units", [16, 36])
def test_actfmg_paths_with_a_gk_set_without_kna(n_units):
    """ActFmG's full blocks run straight on the state's rows and fall back to lanes when
    a unit has a Gk (ActLrn then has its own NXX1 argument); part-full blocks always use
    lanes.  A Gk set through ``set_state`` on a net without KNa and without decay
    (constant, so every cycle takes that path) gives the reference's values, in full
    and part-full blocks."""
    pats = bench_patterns(2, n_units, rng=31)
    nets = [bench_net(n_units, rng=32) for _ in range(2)]
    for net in nets:  # (decay would zero the Gk at the trial start)
        net.apply_params([("Layer", {"act.init.decay": 0.0})])
    state = nets[0].get_state()
    gk = np.random.default_rng(33).uniform(0.0, 0.3, state["layer/Hidden1/gk"].shape)
    state["layer/Hidden1/gk"] = gk
    for net in nets:
        net.set_state(state)
    ra = nets[0].run({"Input": pats["Input"]}, {"Output": pats["Output"]}, backend="python",
                     record=["act", "act_lrn", "vm", "gk"])
    rb = nets[1].run({"Input": pats["Input"]}, {"Output": pats["Output"]}, backend="cython",
                     record=["act", "act_lrn", "vm", "gk"])
    assert_same_run(ra, rb, nets[0], nets[1])
    np.testing.assert_array_equal(rb.cycles["Hidden1"]["gk"][-1, -1, 0], gk[0])
    # ActLrn (without K) and Act (with it) went apart: the Gk path was taken
    assert not np.array_equal(rb.cycles["Hidden1"]["act_lrn"], rb.cycles["Hidden1"]["act"])


_DEBUG_CHILD = """
import sys
import numpy as np
from leabra_fast.network import bench_net, bench_patterns, compiled_backend

field, value = sys.argv[1], int(sys.argv[2])
real = compiled_backend._kernel()


class Corrupted:
    # the kernel, called with one projection's offset moved out of its array and the
    # table checks skipped, so the kernel's own index checks meet it
    STATUS_OK = real.STATUS_OK

    def run_trials(self, layers, prjns, *args, **kwargs):
        prjns[0][field] = value
        return real.run_trials(layers, prjns, *args, _validate=False, **kwargs)


compiled_backend._kernel = Corrupted
pats = bench_patterns(2, 16, rng=1)
bench_net(16, rng=1).run({"Input": pats["Input"]}, {"Output": pats["Output"]})
print("no check stopped the kernel")
"""


@pytest.mark.parametrize(
    ("field", "what"), [("syn_off", "synapses S"), ("recv_off", "receiver state R")]
)
def test_debug_build_index_checks_name_the_array(field, what):
    """The debug build (LEABRA_FAST_DEBUG=1, tools/check_debug.sh) checks the kernel's
    indexing: an offset outside its array stops the process with the array's name
    (the kernel's loops cannot raise).  The release build refuses to skip the table
    checks that keep such offsets out."""
    import os
    import signal
    import subprocess
    import sys

    from leabra_fast.network import compiled_backend

    net = bench_net(16, rng=1)
    if not compiled.DEBUG_BUILD:
        layers, prjns, sl, rl = compiled_backend.layer_tables(net)
        ps = net._packed
        n_tot, nl = ps.U.shape[2], len(net.layers)
        with pytest.raises(ValueError, match="_validate=False needs the debug build"):
            compiled.current().run_trials(
                layers, prjns, sl, rl, ps.U, ps.F.view(np.uint8), ps.P, ps.LV, ps.S, ps.M,
                ps.R, ps.G, np.zeros((1, 1, n_tot)), np.zeros(0, np.intp),
                np.zeros((0, 0, 0, 0, 0)), np.zeros((9, 1, 1, n_tot)), np.zeros((4, 1, 1, nl)),
                np.zeros(1, np.int64), np.zeros(1, np.int64), 25, 10, True, True, True, 0.5, 1,
                _validate=False,
            )
        pytest.skip("release build: the kernel's index checks compile away")
    size = net._packed.S.shape[1] if field == "syn_off" else net._packed.R.shape[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run(
        [sys.executable, "-c", _DEBUG_CHILD, field, str(size)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGABRT, (proc.returncode, proc.stdout, proc.stderr)
    assert f"leabra_fast network kernel: index out of range: {what}" in proc.stderr


def test_new_params_reach_the_kernel():
    """The kernel's tables are cached per network; parameters applied between runs (and a
    run without a target pattern) must still reach it."""
    pats = bench_patterns(3, 16, rng=5)
    inp, tg = {"Input": pats["Input"]}, {"Output": pats["Output"]}
    nets = {}
    for backend in ("python", "cython"):
        net = bench_net(16, rng=6)
        net.run(inp, tg, backend=backend)
        net.apply_params([("Layer", {"act.gbar.l": 0.3}), ("Prjn", {"learn.lrate": 0.1})])
        net.run(inp, tg, backend=backend)
        net.run(inp, backend=backend)  # Output free: no target this time
        nets[backend] = net
    sa, sb = nets["python"].get_state(), nets["cython"].get_state()
    for k in sa:
        _close(sa[k], sb[k], f"state {k}")
    # and they changed something: the same runs without them end elsewhere
    same = bench_net(16, rng=6)
    for _ in range(2):
        same.run(inp, tg)
    same.run(inp)
    assert not np.array_equal(same.get_state()["layer/Hidden1/act"], sb["layer/Hidden1/act"])
