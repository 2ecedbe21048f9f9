"""Training over epochs: same bits as run() loops, any chunking; stop rules; Ctrl-C keeps
what finished; the per-epoch history is the trial statistics' mean."""

import os
import signal
import warnings

import numpy as np
import pytest

from leabra_fast import PartialRunWarning
from leabra_fast.network import basic_test_net, bench_net, bench_patterns, epoch_stats, train

EASY = np.eye(4)
HARD = np.array([[1, 1, 1, 0], [0, 1, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]], dtype=float)
TARG = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float)


def _net(n_batch=1):
    return bench_net(25, rng=1, n_batch=n_batch)


def _pats():
    p = bench_patterns(6, 25, rng=2)
    return {"Input": p["Input"]}, {"Output": p["Output"]}


def _pat_assoc(n_batch=1):
    from leabra_fast.network import Network

    net = Network("PatAssoc", n_batch=n_batch)
    net.add_layer("Input", (1, 4), "input")
    net.add_layer("Output", (1, 2), "target")
    net.connect("Input", "Output", "full")
    net.apply_params([
        ("Prjn", {"learn.norm.on": False, "learn.momentum.on": False, "learn.wt_bal.on": False,
                  "learn.xcal.set_l_lrn": True, "learn.xcal.l_lrn": 0.0}),
        ("Layer", {"learn.avg_l.gain": 1.5, "inhib.layer.gi": 1.4, "inhib.layer.fb": 0.5,
                   "inhib.act_avg.init": 0.5, "inhib.act_avg.fixed": True}),
    ])  # fmt: skip
    net.init_weights(1)
    return net


def test_train_equals_a_loop_of_runs():
    ins, tgs = _pats()
    res = train(_net(), ins, tgs, epochs=3, record=["act"], progress=False)
    net = _net()
    outs = [net.run(ins, tgs, record=["act"]) for _ in range(3)]
    for ly in res.cycles:
        np.testing.assert_array_equal(
            res.cycles[ly]["act"], np.concatenate([o.cycles[ly]["act"] for o in outs])
        )
        for s in res.stats[ly]:
            np.testing.assert_array_equal(
                res.stats[ly][s], np.concatenate([o.stats[ly][s] for o in outs])
            )
    for p, w in res.weights.items():
        np.testing.assert_array_equal(w, outs[-1].weights[p])
    assert res.epoch.tolist() == [0] * 6 + [1] * 6 + [2] * 6
    assert res.pattern.tolist() == list(range(6)) * 3
    assert (res.n_epochs, res.partial, res.stopped_early) == (3, False, False)


@pytest.mark.parametrize("chunk", [1, 4, 6])
def test_chunking_does_not_change_the_bits(chunk):
    ins, tgs = _pats()
    ref = train(_net(2), ins, tgs, epochs=2, order="permuted", rng=5, chunk_trials=6,
                record=["act", "wt"], progress=False)  # fmt: skip
    res = train(_net(2), ins, tgs, epochs=2, order="permuted", rng=5, chunk_trials=chunk,
                record=["act", "wt"], progress=False)  # fmt: skip
    for ly in ref.cycles:
        np.testing.assert_array_equal(res.cycles[ly]["act"], ref.cycles[ly]["act"])
    for p in ref.weights:
        np.testing.assert_array_equal(res.trial_weights[p], ref.trial_weights[p])
        np.testing.assert_array_equal(res.weights[p], ref.weights[p])


def test_permuted_order_is_a_fresh_permutation_per_epoch():
    ins, tgs = _pats()
    res = train(_net(), ins, tgs, epochs=4, order="permuted", rng=7, progress=False)
    orders = res.pattern.reshape(4, 6)
    gen = np.random.default_rng(7)
    assert orders.tolist() == [gen.permutation(6).tolist() for _ in range(4)]
    # the same as running the permuted patterns in sequence
    net = _net()
    for e in range(4):
        out = net.run({"Input": ins["Input"][orders[e]]}, {"Output": tgs["Output"][orders[e]]})
    np.testing.assert_array_equal(out.stats["Output"]["sse"], res.stats["Output"]["sse"][-6:])
    for p in res.weights:
        np.testing.assert_array_equal(res.weights[p], out.weights[p])


def test_history_is_the_mean_of_each_epoch():
    ins, tgs = _pats()
    res = train(_net(2), ins, tgs, epochs=3, progress=False)
    sse = res.stats["Output"]["sse"].reshape(3, 6, 2)
    h = res.history["Output"]
    np.testing.assert_allclose(h["sse"], sse.mean(axis=1), rtol=1e-15)
    np.testing.assert_allclose(h["sse_sum"], sse.sum(axis=1), rtol=1e-15)
    np.testing.assert_array_equal(h["pct_err"], (sse > 0).mean(axis=1))
    cos = res.stats["Output"]["cos_diff"].reshape(3, 6, 2)
    np.testing.assert_allclose(h["cos_diff"], cos.mean(axis=1), rtol=1e-15)
    assert h["sse"][0].min() > 0  # the bench net errs at first
    again = epoch_stats(res, res.epoch)
    np.testing.assert_array_equal(
        again["Hidden1"]["act_m_avg"], res.history["Hidden1"]["act_m_avg"]
    )
    with pytest.raises(ValueError, match="one value per trial"):
        epoch_stats(res, [0, 1])


def test_pattern_associator_learns_and_stops_after_zero_epochs():
    res = train(_pat_assoc(), {"Input": EASY}, {"Output": TARG}, epochs=100, order="permuted",
                rng=0, stop_zero_epochs=5, progress=False)  # fmt: skip
    err = res.history["Output"]["pct_err"][:, 0]
    assert res.stopped_early and res.n_epochs < 100
    assert err[-5:].tolist() == [0.0] * 5 and err[-6] > 0  # stops at the 5th zero epoch in a row
    assert err[0] > 0
    assert res.n_trials == 4 * res.n_epochs


def test_hebbian_fails_the_hard_task_error_driven_learns_it():
    # the textbook's point (CCN ch. 4, pat_assoc): Hebbian (BCM) learning alone cannot
    # learn the hard task; error-driven learning can
    def run(m_lrn, l_lrn):
        net = _pat_assoc(n_batch=4)
        net.apply_params([("Prjn", {"learn.xcal.m_lrn": m_lrn, "learn.xcal.l_lrn": l_lrn})])
        net.init_weights(1)
        res = train(net, {"Input": HARD}, {"Output": TARG}, epochs=100, order="permuted",
                    rng=0, progress=False)  # fmt: skip
        return res.history["Output"]["pct_err"][-10:].mean(axis=0)

    assert (run(1.0, 0.0) == 0).all()  # all four networks: no errors over the last 10 epochs
    assert (run(0.0, 1.0) >= 0.25).all()  # at least one pattern of four wrong, every network


def test_ctrl_c_keeps_the_finished_trials():
    ins, tgs = _pats()

    def stop(epoch, done, net):
        if (epoch, done) == (1, 2):
            raise KeyboardInterrupt

    with pytest.warns(PartialRunWarning, match="after 8 of 18 trials"):
        res = train(_net(), ins, tgs, epochs=3, chunk_trials=1, callback=stop, progress=False)
    assert res.partial and res.n_trials == 8 and res.n_epochs == 1
    assert res.history["Output"]["sse"].shape == (1, 1)  # full epochs only
    net = _net()
    net.run(ins, tgs)
    out = net.run({"Input": ins["Input"][:2]}, {"Output": tgs["Output"][:2]})
    np.testing.assert_array_equal(res.stats["Output"]["sse"][6:], out.stats["Output"]["sse"])
    for p in res.weights:
        np.testing.assert_array_equal(res.weights[p], out.weights[p])


def test_sigint_stops_between_chunks():
    ins, tgs = _pats()
    calls = []

    def press(epoch, done, net):
        calls.append((epoch, done))
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)  # deferred: the run stops after this chunk

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = train(_net(), ins, tgs, epochs=2, chunk_trials=2, callback=press, progress=False)
    assert any(issubclass(w.category, PartialRunWarning) for w in caught)
    assert res.partial and res.n_trials == 6 and res.n_epochs == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_progress_bar_over_epochs_and_trials(capsys):
    pytest.importorskip("tqdm")
    net = basic_test_net()
    train(net, {"Input": EASY}, {"Output": EASY}, epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "epoch 3/3" in err and "12/12" in err and "trial" in err


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, "epochs must be an int >= 1"),
        ({"epochs": 2.0}, "epochs must be an int >= 1"),
        ({"order": "random"}, "order must be one of"),
        ({"stop_zero_epochs": -1}, "stop_zero_epochs must be an int >= 0"),
        ({"chunk_trials": 0}, "chunk_trials must be an int >= 1"),
        ({"record": ["bogus"]}, "record: unknown variable 'bogus'"),
        ({"trial_vars": ["act"]}, "trial_vars: unknown variable 'act'"),
        ({"targets": {"Output": np.eye(3, 4)}}, "same number"),
        ({"targets": {"Nope": EASY}}, "no layer named 'Nope'"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    net = basic_test_net()
    kw = {"targets": {"Output": EASY}, **kwargs}
    targets = kw.pop("targets")
    with pytest.raises(ValueError, match=match):
        train(net, {"Input": EASY}, targets, progress=False, **kw)


@pytest.mark.parametrize("keep", [(), ("act_p", "act_m"), None])
def test_trial_vars_keeps_those_and_changes_nothing_else(keep):
    """train(trial_vars=...) keeps only those per-unit trial variables (in TRIAL_VARS'
    order; () none): the statistics, history and weights are the same bits as a train
    keeping all, and what is kept equals its arrays."""
    from leabra_fast.network import TRIAL_VARS

    ins, tgs = _pats()
    full = train(_net(), ins, tgs, epochs=2, progress=False)
    res = train(_net(), ins, tgs, epochs=2, progress=False, trial_vars=keep)
    want = list(TRIAL_VARS) if keep is None else [v for v in TRIAL_VARS if v in keep]
    for ly in full.trials:
        assert list(res.trials[ly]) == want
        for v in want:
            np.testing.assert_array_equal(res.trials[ly][v], full.trials[ly][v])
        for st in full.stats[ly]:
            np.testing.assert_array_equal(res.stats[ly][st], full.stats[ly][st])
        for st in full.history[ly]:
            np.testing.assert_array_equal(res.history[ly][st], full.history[ly][st])
    for pj, w in full.weights.items():
        np.testing.assert_array_equal(res.weights[pj], w)
    # exports hold what is kept
    df = res.to_dataframe("trial")
    assert sorted(set(df["variable"])) == sorted(want)
    ds = res.to_xarray()
    assert [v for v in TRIAL_VARS if v in ds] == want


def test_trial_vars_must_be_a_sequence_of_names():
    ins, tgs = _pats()
    with pytest.raises(TypeError, match="trial_vars must be a sequence"):
        train(_net(), ins, tgs, progress=False, trial_vars="act_m")


def test_records_too_large_for_memory_are_refused_before_training(monkeypatch):
    """Records that would not fit (here a 1 MiB limit: LEABRA_FAST_MAX_BYTES) are
    refused before the first trial, naming what asked for them; keeping fewer trial
    variables fits, and so does a run of fewer trials."""
    from leabra_fast.core.statebase import TooLargeError

    monkeypatch.setenv("LEABRA_FAST_MAX_BYTES", str(2**20))
    ins, tgs = _pats()
    net = _net()
    before = net.get_state()
    # train: 60 trials x 9 trial variables x 125 units x 8 B = 0.5 MB, plus 100 cycles of
    # act: 6 MB; 1200 trials: 10.8 MB (statistics only: 0.2 MB)
    with pytest.raises(TooLargeError, match=r"train: cycle records \(record=\['act'\]"):
        train(net, ins, tgs, epochs=10, record=["act"], progress=False)
    for k, a in net.get_state().items():
        np.testing.assert_array_equal(a, before[k])
    with pytest.raises(TooLargeError, match="train: trial records"):
        train(net, ins, tgs, epochs=200, progress=False)
    res = train(net, ins, tgs, epochs=200, progress=False, trial_vars=())
    assert res.n_epochs == 200
    with pytest.raises(TooLargeError, match=r"run: cycle records \(record=\['act', 'ge'\]"):
        net.run({"Input": np.repeat(ins["Input"], 3, 0)},
                {"Output": np.repeat(tgs["Output"], 3, 0)}, record=["act", "ge"])
    net.run(ins, tgs, record=["act"])
