"""Packed network sweeps: a chunk's points run as the batch copies of one network, each
copy with its own parameter tables in the kernel, and each point is still exactly its
lone train, bit for bit."""

import importlib

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_network_sweep import PATTERNS, TARGETS, _net  # the same small net and patterns

from leabra_fast.network import (
    bench_net,
    bench_patterns,
    compiled,
    compiled_backend,
    sweep,
    train,
)
from leabra_fast.network.training import EPOCH_STATS

# the module (the package's ``sweep`` is the function)
sweep_mod = importlib.import_module("leabra_fast.network.sweep")


#: Swept keys and a few values each: layer act / inhib parameters (incl. the flags hard
#: clamping and KNa, activation noise, C++ 8.5's equations), projection learning (lrate,
#: norm / momentum / WtBal flags), wt_scale abs / rel and wt_init.
VALUES = {
    "Layer:inhib.layer.gi": [1.3, 1.6, 2.1],
    "#Hidden:act.gbar.l": [0.1, 0.25],
    "#Hidden:act.kna.on": [False, True],
    "#Input:act.clamp.hard": [True, False],
    "#Output:inhib.layer.ff": [0.8, 1.2],
    "#Hidden:act.noise.type": ["none", "ge", "vm"],
    "#Hidden:act.noise.var": [0.01, 0.05],
    "#Hidden:equations": ["go_v1", "cpp85"],
    "Prjn:learn.lrate": [0.01, 0.04, 0.2],
    "Prjn:learn.norm.on": [True, False],
    "Prjn:learn.momentum.on": [True, False],
    "Prjn:learn.wt_bal.on": [False, True],
    "#HiddenToOutput:wt_scale.abs": [0.5, 1.0, 2.0],
    ".back:wt_scale.rel": [0.1, 0.3],
    "Prjn:wt_init.mean": [0.3, 0.5, 0.7],
}


def _spy(monkeypatch):
    """Count the packs run (and their sizes)."""
    calls = []
    real = sweep_mod._run_pack

    def run_pack(net, points, *args):
        calls.append(len(points))
        return real(net, points, *args)

    monkeypatch.setattr(sweep_mod, "_run_pack", run_pack)
    return calls


def _lone(point, n_batch, epochs, inputs=None, **kw):
    net = _net(n_batch, kw.pop("wt_bal_interval", 10))
    net.apply_params([(k.split(":")[0], {k.split(":")[1]: v}) for k, v in point.items()])
    net.init_weights(5)
    res = train(net, inputs or {"Input": PATTERNS}, {"Output": TARGETS}, epochs=epochs,
                order="permuted", rng=9, backend="cython", **kw)  # fmt: skip
    return res, net


def _check_points(ds, points, n_batch, epochs, inputs=None, **kw):
    for i, point in enumerate(points):
        res, lone = _lone(point, n_batch, epochs, inputs, **kw)
        got = ds.isel(point=i)
        for layer in ("Input", "Hidden", "Output"):
            for stat in EPOCH_STATS:
                want = res.history[layer][stat]
                np.testing.assert_array_equal(got[stat].sel(layer=layer).values, want, str(point))
        for pj in lone.prjns:
            np.testing.assert_array_equal(got[f"wt_{pj.name}"].values, lone.weights(pj.name))
        assert int(got.n_epochs) == res.n_epochs


@settings(max_examples=int(__import__('os').environ.get('PACK_EXAMPLES', 12)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    keys=st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=3, unique=True),
    picks=st.lists(st.integers(0, 2), min_size=9, max_size=9),
    n_points=st.integers(2, 5),
    n_batch=st.sampled_from([1, 2]),
    n_threads=st.sampled_from([1, 2]),
)
def test_packed_points_equal_lone_trains_bit_for_bit(monkeypatch, keys, picks, n_points,
                                                     n_batch, n_threads):  # fmt: skip
    points = []
    for i in range(n_points):
        points.append({k: VALUES[k][picks[(i * len(keys) + j) % 9] % len(VALUES[k])]
                       for j, k in enumerate(keys)})  # fmt: skip
    # (KNa with the cpp85 equations is refused: not modelled)
    assume(not any(p.get("#Hidden:act.kna.on") and p.get("#Hidden:equations") == "cpp85"
                   for p in points))  # fmt: skip
    calls = _spy(monkeypatch)
    ds = sweep(_net(n_batch, wt_bal_interval=2), points, {"Input": PATTERNS},
               {"Output": TARGETS}, epochs=2, init_rng=5, rng=9, order="permuted",
               weights=True, n_threads=n_threads)  # fmt: skip
    monkeypatch.undo()
    assert calls == [n_points]  # one pack: every point a batch copy of one network
    _check_points(ds, points, n_batch, 2, wt_bal_interval=2)


def test_per_copy_patterns_repeat_for_every_point_of_a_pack(monkeypatch):
    rng = np.random.default_rng(3)
    per_copy = (rng.random((4, 2, 4)) > 0.5).astype(float)
    points = [{"Prjn:learn.lrate": v} for v in (0.02, 0.08, 0.3)]
    calls = _spy(monkeypatch)
    ds = sweep(_net(2), points, {"Input": per_copy}, {"Output": TARGETS}, epochs=2,
               init_rng=5, rng=9, order="permuted", weights=True)  # fmt: skip
    assert calls == [3]
    _check_points(ds, points, 2, 2, {"Input": per_copy})


def test_a_chunk_above_the_memory_budget_runs_as_several_packs(monkeypatch):
    points = [{"Layer:inhib.layer.gi": v} for v in (1.3, 1.5, 1.7, 1.9, 2.1)]
    net = _net(2)
    net.init_weights(0)
    per_point = sweep_mod._copy_bytes(net, len(PATTERNS), 2, True) * 2
    assert per_point > 8 * 9 * 12 * 2 * 4  # at least the trial records
    monkeypatch.setattr(sweep_mod, "PACK_BYTES", 2 * per_point + 1)
    calls = _spy(monkeypatch)
    ds = sweep(_net(2), points, {"Input": PATTERNS}, {"Output": TARGETS}, epochs=2,
               init_rng=5, rng=9, order="permuted", weights=True, chunk_size=5)  # fmt: skip
    assert calls == [2, 2, 1]
    _check_points(ds, points, 2, 2)


def test_stop_zero_epochs_runs_points_one_by_one_and_each_stops_on_its_own(monkeypatch):
    """The stop rule is over all copies of a network: packed points would stop together.
    With stop_zero_epochs the points run as lone trains (no pack) and stop at their own
    epochs."""
    points = [{"Prjn:learn.lrate": v} for v in (0.005, 0.4)]
    calls = _spy(monkeypatch)
    ds = sweep(_net(1), points, {"Input": PATTERNS}, {"Output": TARGETS}, epochs=40,
               init_rng=5, rng=9, order="permuted", weights=True, stop_zero_epochs=1)  # fmt: skip
    assert calls == []
    ran = []
    for i, point in enumerate(points):
        res, lone = _lone(point, 1, 40, stop_zero_epochs=1)
        assert int(ds.n_epochs[i]) == res.n_epochs
        n = res.n_epochs
        np.testing.assert_array_equal(ds.sse.isel(point=i).sel(layer="Output").values[:n],
                                      res.history["Output"]["sse"])  # fmt: skip
        assert np.isnan(ds.sse.isel(point=i).values[:, n:]).all()
        np.testing.assert_array_equal(ds.wt_HiddenToOutput.isel(point=i).values,
                                      lone.weights("HiddenToOutput"))  # fmt: skip
        ran.append(n)
    assert ran[1] < ran[0] == 40  # the fast learner stopped early, the slow one did not


def test_the_python_backend_runs_points_one_by_one(monkeypatch):
    calls = _spy(monkeypatch)
    points = [{"Prjn:learn.lrate": v} for v in (0.02, 0.1)]
    ds = sweep(_net(1), points, {"Input": PATTERNS}, {"Output": TARGETS}, epochs=1,
               backend="python")  # fmt: skip
    assert calls == []
    assert ds.sse.shape == (2, 3, 1, 1)


# ------------------------------------------------------------------ the kernel's per-copy tables


def _kernel_call(net, layers, prjns, n_threads=1, n_trials=2, seed=4):
    """One kernel call of ``n_trials`` random patterns on ``net``'s state; the records."""
    k = compiled.current()
    _, _, sl, rl = compiled_backend.layer_tables(net)
    ps = net._packed
    nb, n_tot, nl = net.n_batch, ps.U.shape[2], len(net.layers)
    pats = np.zeros((n_trials, nb, n_tot))
    rng = np.random.default_rng(seed)
    for li, ly in enumerate(net.layers):
        if ly.kind in ("input", "target"):
            o = ps.unit_off[li]
            pats[:, :, o : o + ly.n_units] = rng.random((n_trials, nb, ly.n_units)) > 0.7
    rec = np.zeros((9, n_trials, nb, n_tot))
    stats = np.zeros((4, n_trials, nb, nl))
    status = k.run_trials(
        layers, prjns, sl, rl, ps.U, ps.F.view(np.uint8), ps.P, ps.LV, ps.S, ps.M, ps.R, ps.G,
        pats, np.zeros(0, np.intp), np.zeros((0, 0, 0, 0, 0)), rec, stats,
        np.zeros(nb, np.int64), np.zeros(1, np.int64), 25, 10, True, True, True, 0.5,
        n_threads,
    )  # fmt: skip
    return status, rec, stats


def _tables(net):
    layers, prjns, _, _ = compiled_backend.layer_tables(net)
    for li, ly in enumerate(net.layers):
        layers[li]["pat_mode"] = {"input": 1, "target": 2}.get(ly.kind, 0)
    return layers, prjns


@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_per_copy_tables_all_equal_give_the_shared_tables_bits(n_threads):
    """Per-copy tables that are all the same run as the shared tables do, bit for bit, on
    one thread, threads over copies (2) and a team of threads per copy (3 > 2 copies)."""
    runs = []
    for per_copy in (False, True):
        net = bench_net(25, n_batch=2, rng=1)
        layers, prjns = _tables(net)
        if per_copy:
            layers, prjns = [dict(d) for d in layers * 2], [dict(d) for d in prjns * 2]
        status, rec, stats = _kernel_call(net, layers, prjns, n_threads)
        assert status == compiled.current().STATUS_OK
        runs.append((rec, stats, net.get_state()))
    for a, b in zip(runs[0][:2], runs[1][:2], strict=True):
        np.testing.assert_array_equal(a, b)
    for k, v in runs[0][2].items():
        np.testing.assert_array_equal(v, runs[1][2][k], err_msg=k)


@pytest.mark.parametrize("n_threads", [1, 3])
def test_each_copy_runs_with_its_own_tables(n_threads):
    """Copy 1 with another lrate and gi equals a network of one copy with those
    parameters: the same bits as its lone kernel call (threads over copies or teams)."""
    net = bench_net(25, n_batch=2, rng=1)
    sheet = [("Layer", {"inhib.layer.gi": 2.0}), ("Prjn", {"learn.lrate": 0.1})]
    other = bench_net(25, n_batch=2, rng=1)
    other.apply_params(sheet)
    layers = _tables(net)[0] + _tables(other)[0]
    prjns = _tables(net)[1] + _tables(other)[1]
    status, rec, stats = _kernel_call(net, layers, prjns, n_threads)
    assert status == compiled.current().STATUS_OK
    for b, lone in enumerate((bench_net(25, n_batch=2, rng=1), other)):
        st0 = lone.get_state()
        _, rec1, stats1 = _kernel_call(lone, *_tables(lone), 1)
        np.testing.assert_array_equal(rec[:, :, b], rec1[:, :, b])
        np.testing.assert_array_equal(stats[:, :, b], stats1[:, :, b])
        got, after = net.get_state(), lone.get_state()
        assert any(not np.array_equal(st0[k], after[k]) for k in st0 if k.endswith("/wt"))
        for k, v in after.items():
            if not k.startswith("net/"):
                np.testing.assert_array_equal(got[k][b], v[b], err_msg=k)
    assert not np.array_equal(rec[:, :, 0], rec[:, :, 1])


def test_per_copy_tables_with_another_structure_are_refused():
    """Copy 1's tables must describe copy 0's structure (offsets, sizes, kinds, pattern
    modes, lists, inhib, full); a wrong number of tables is refused too.  Nothing runs."""
    net = bench_net(16, n_batch=2, rng=1)
    layers, prjns = _tables(net)
    k = compiled.current()
    before = net.get_state()
    for field in ("off", "n", "n_pad", "pool_off", "n_pools", "pool_size", "kind",
                  "pat_mode", "send0", "send1", "recv0", "recv1"):  # fmt: skip
        bad = [dict(d) for d in layers * 2]
        bad[len(layers) + 1][field] += 1
        assert _kernel_call(net, bad, prjns * 2)[0] == k.STATUS_BAD_ARGS, field
    for field in ("send", "recv", "syn_off", "mask_off", "recv_off", "ns", "nr", "inhib", "full"):
        bad = [dict(d) for d in prjns * 2]
        bad[len(prjns)][field] = 1 - bad[len(prjns)][field] if field in ("inhib", "full") \
            else bad[len(prjns)][field] + 1
        assert _kernel_call(net, layers * 2, bad)[0] == k.STATUS_BAD_ARGS, field
    assert _kernel_call(net, layers * 3, prjns)[0] == k.STATUS_BAD_ARGS
    assert _kernel_call(net, layers, prjns + prjns[:1])[0] == k.STATUS_BAD_ARGS
    assert _kernel_call(net, layers[:-1], prjns)[0] == k.STATUS_BAD_ARGS
    for key, v in before.items():
        np.testing.assert_array_equal(net.get_state()[key], v, err_msg=key)
    # parameters may differ (doubles and parameter flags)
    ok = [dict(d) for d in layers * 2]
    ok[len(layers)].update(hard=0, gbar_l=0.3, kna_on=1)
    okp = [dict(d) for d in prjns * 2]
    okp[len(prjns)].update(norm_on=0, mom_on=0, lrate=0.2)
    assert _kernel_call(net, ok, okp)[0] == k.STATUS_OK


def test_per_copy_tables_are_refused_by_the_reference_backend():
    net = _net(2)
    net.init_weights(1)
    net._copy_tables = [compiled_backend.layer_tables(net)[:2]] * 2
    with pytest.raises(ValueError, match=r"per-copy parameter tables.*backend='cython'"):
        net.run({"Input": PATTERNS}, {"Output": TARGETS}, backend="python")
    with pytest.raises(ValueError, match="per-copy parameter tables"):
        net.cycle()
    net._copy_tables = [compiled_backend.layer_tables(net)[:2]] * 3
    with pytest.raises(ValueError, match="3 sets for 2 batch copies"):
        net.run({"Input": PATTERNS}, {"Output": TARGETS}, backend="cython")


@pytest.mark.parametrize("n_batch", [1, 2])
def test_packed_points_of_the_bench_net_equal_lone_trains(n_batch):
    """emergent's bench net, 12 patterns per epoch (numpy averages more than 8 trials in
    another order along a wider array: each point's curves come from its own copies)."""
    pats = bench_patterns(12, 16, rng=2)
    args = ({"Input": pats["Input"]}, {"Output": pats["Output"]})
    points = [{"Layer:inhib.layer.gi": 1.6, "Prjn:learn.lrate": 0.01},
              {"Layer:inhib.layer.gi": 2.0, "Prjn:learn.lrate": 0.04},
              {"Layer:inhib.layer.gi": 1.8, "Prjn:learn.lrate": 0.2}]  # fmt: skip
    ds = sweep(bench_net(16, n_batch=n_batch, rng=1), points, *args, epochs=2, init_rng=3,
               rng=4, order="permuted", weights=True, n_threads=2)  # fmt: skip
    for i, point in enumerate(points):
        net = bench_net(16, n_batch=n_batch, rng=1)
        net.apply_params([(k.split(":")[0], {k.split(":")[1]: v}) for k, v in point.items()])
        net.init_weights(3)
        res = train(net, *args, epochs=2, order="permuted", rng=4, backend="cython")
        for ly in net.layers:
            for stat in EPOCH_STATS:
                got = ds[stat].isel(point=i).sel(layer=ly.name).values
                np.testing.assert_array_equal(got, res.history[ly.name][stat], ly.name + stat)
        for pj in net.prjns:
            np.testing.assert_array_equal(ds[f"wt_{pj.name}"].isel(point=i).values,
                                          net.weights(pj.name))  # fmt: skip


def test_a_pack_holds_each_points_state_as_its_batch_copies():
    """Every state array is batch-first, and the pack's state is the points' states one
    after the other along the batch axis (what _put_state copies block-wise)."""
    net = _net(2)
    states = []
    packed = net._with_n_batch(6)
    packed.build()
    for i, seed in enumerate((3, 4, 5)):
        net.apply_params([("Prjn", {"wt_init.mean": 0.3 + 0.1 * i}),
                          ("#Hidden", {"act.noise.type": "ge"})])  # fmt: skip
        net.init_weights(seed)
        states.append(net.get_state())
        sweep_mod._put_state(packed, net, i)
    got = packed.get_state()
    assert got.keys() == states[0].keys()
    for k, v in got.items():
        if k.startswith("net/"):
            assert v == states[0][k]
            continue
        assert states[0][k].shape[0] == 2, k
        np.testing.assert_array_equal(v, np.concatenate([st[k] for st in states]), err_msg=k)


@pytest.mark.parametrize(("n_side", "epochs"), [(9, 1), (16, 3)])
def test_the_pack_memory_estimate_bounds_what_a_train_holds(n_side, epochs):
    """_copy_bytes (per copy) bounds what a pack holds: the state buffers, train's records
    of every trial and its final weights; and it is not loose by more than 3x."""
    net = bench_net(n_side, n_batch=2, rng=1)
    pats = bench_patterns(6, n_side, rng=2)
    res = train(net, {"Input": pats["Input"]}, {"Output": pats["Output"]}, epochs=epochs,
                backend="cython")  # fmt: skip
    ps = net._packed
    held = sum(a.nbytes for a in (ps.U, ps.F, ps.P, ps.LV, ps.S, ps.R, ps.G))
    held += sum(a.nbytes for part in (res.trials, res.stats) for d in part.values()
                for a in d.values())  # fmt: skip
    held += sum(a.nbytes for a in res.weights.values())
    bound = 2 * sweep_mod._copy_bytes(net, 6, epochs, True)
    assert held <= bound < 3 * held


def test_threads_default_to_every_core_and_do_not_change_the_bits(monkeypatch):
    from leabra_fast.core.driver import resolve_threads

    seen = []
    real = sweep_mod.train

    def spy(net, *args, **kw):
        seen.append((net.n_batch, kw["n_threads"]))
        return real(net, *args, **kw)

    monkeypatch.setattr(sweep_mod, "train", spy)
    points = [{"Prjn:learn.lrate": v} for v in (0.02, 0.05, 0.1)]
    runs = [sweep(_net(2), points, {"Input": PATTERNS}, {"Output": TARGETS}, epochs=2,
                  n_threads=n, weights=True) for n in (None, 1, 2)]  # fmt: skip
    assert seen == [(6, resolve_threads(None)), (6, 1), (6, 2)]  # one pack of 3 x 2 copies
    for ds in runs[1:]:
        assert ds.identical(runs[0])
    with pytest.raises(ValueError, match="n_threads must be >= 1"):
        sweep(_net(2), points, {"Input": PATTERNS}, {"Output": TARGETS}, n_threads=0)
