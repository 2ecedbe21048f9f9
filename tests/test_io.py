"""Saved runs: exact round trips, exact continuation, clear errors for bad files."""

import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.core.saving import FORMAT_VERSION

X = lf.NOTEBOOK_INPUT


def _assert_same(a, b):
    assert list(a) == list(b)
    for name in a:
        assert a[name].dtype == b[name].dtype and a[name].tobytes() == b[name].tobytes(), name
    for attr in ("cycles", "trial", "cycle_in_trial", "units", "spike_count", "first_nonfinite"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr), err_msg=attr)
    assert a.state.equals(b.state)
    assert a.params == b.params
    for attr in ("n_cycles", "n_trials", "record_every", "backend", "model", "partial"):
        assert getattr(a, attr) == getattr(b, attr), attr
    assert a.schedules.keys() == b.schedules.keys()
    for name in a.schedules:
        assert a.schedules[name].shape == b.schedules[name].shape
        np.testing.assert_array_equal(a.schedules[name], b.schedules[name])


def test_round_trip_seed_run(tmp_path, backend):
    res = lf.simulate(X, params=lf.SeedParams(m_lrn=1.0, gc_i_reversal="e_rev_i"), backend=backend)
    path = res.save(tmp_path / "run.npz")
    back = lf.load(path)
    _assert_same(res, back)
    assert back.extra["saved_by_version"] == lf.__version__
    assert back.params.gc_i_reversal == "e_rev_i" and back.params.m_lrn == 1.0
    assert back.spike_count[0] == res.spike_count[0]


def test_round_trip_many_units_subset(tmp_path):
    rng = np.random.default_rng(1)
    res = lf.simulate(rng.uniform(0, 1, (5, 1, 3)), n_units=4, n_cycles=20, units=[0, 2],
                      record=["v_m", "wt", "XCAL"], record_every=3, gc_i=rng.uniform(0, .1, 5),
                      fwt=rng.uniform(0, 1, (4, 3)))  # fmt: skip
    res.extra["note"] = "pilot"
    back = lf.load(res.save(tmp_path / "many.npz", compress=True))
    _assert_same(res, back)
    assert back.extra["note"] == "pilot"


def test_schedules_are_stored_compact():
    res = lf.simulate(X)  # 1-D schedule, broadcast to every unit and input
    assert res.schedules["inputs"].shape == (20, 1, 1)
    assert res.schedules["gc_i"].shape == (20, 1)
    x = np.random.default_rng(2).uniform(0, 1, (6, 1, 5))
    res = lf.simulate(x, n_units=1000, n_cycles=10, record=None, su_avg_m=0.5)
    s = res.schedules
    assert s["inputs"].shape == (6, 1, 5) and s["su_avg_s_eff"].shape == (6, 1, 5)
    assert s["su_avg_m"].shape == (6, 1, 1) and np.all(s["su_avg_m"] == 0.5)
    assert sum(a.nbytes for a in s.values()) < 1000  # not (6, 1000, 5) each
    np.testing.assert_array_equal(s["inputs"], x)
    # Feeding them back reruns the same run.
    again = lf.simulate(**s, n_units=1000, n_cycles=10, record=None)
    assert again.state.equals(res.state)


def test_continue_from_a_loaded_run_gives_identical_bits(tmp_path, backend):
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, (12, 3, 2))
    whole = lf.simulate(x, n_cycles=40, backend=backend, record_every=3)
    first = lf.simulate(x[:5], n_cycles=40, backend=backend, record_every=3)
    loaded = lf.load(first.save(tmp_path / "first.npz"))
    second = lf.simulate(x[5:], n_cycles=40, backend=backend, record_every=3, state=loaded.state)
    assert second.state.equals(whole.state)
    for name in whole:
        joined = np.concatenate([loaded[name], second[name]])
        assert joined.tobytes() == whole[name].tobytes(), name
    np.testing.assert_array_equal(loaded.spike_count + second.spike_count, whole.spike_count)


def test_partial_and_nonfinite_round_trip(tmp_path):
    def stop(done, total):
        if done >= 300:
            raise KeyboardInterrupt

    with pytest.warns(lf.PartialRunWarning):
        part = lf.simulate(X, progress=stop, chunk_cycles=100)
    back = lf.load(part.save(tmp_path / "p.npz"))
    assert back.partial and back.state.cycle == 300 and len(back.cycles) == 300
    _assert_same(part, back)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.NonFiniteWarning)
        bad = lf.simulate([1.0] * 3, params=lf.SeedParams(spk_thr=1e6, exp_slope=0.01))
    back = lf.load(bad.save(tmp_path / "bad.npz"))
    assert not back.ok and back.first_nonfinite[0] == bad.first_nonfinite[0] >= 0
    assert np.array_equal(back["v_m"], bad["v_m"], equal_nan=True)


def test_file_needs_no_pickle_and_is_plain_numpy(tmp_path):
    path = lf.simulate(X[:2], record=["v_m", "wt"]).save(tmp_path / "r.npz")
    with np.load(path, allow_pickle=False) as f:
        entries = {name: f[name] for name in f.files}  # every entry loads without pickle
    assert str(entries["leabra_fast_format"]) == "leabra_fast.run"
    assert entries["trace/v_m"].shape == (200, 1) and entries["trace/wt"].shape == (200, 1, 1)
    assert json.loads(str(entries["params"]))["spk_thr"] == 1.2
    assert json.loads(str(entries["meta"]))["version"] == lf.__version__
    assert not [p for p in tmp_path.iterdir() if p.name != "r.npz"]  # no temp file left


def test_save_overwrites_and_rejects_unsaveable_extra(tmp_path):
    path = tmp_path / "r.npz"
    lf.simulate(X[:2]).save(path)
    lf.simulate(X[:3]).save(path)
    assert lf.load(path).n_trials == 3
    res = lf.simulate(X[:2])
    res.extra["obj"] = object()
    with pytest.raises(TypeError, match="JSON"):
        res.save(tmp_path / "x.npz")
    with pytest.raises(TypeError, match="SimulationResult"):
        lf.core.saving.save({"v_m": 1}, tmp_path / "y.npz")


def test_truncated_file(tmp_path):
    path = lf.simulate(X).save(tmp_path / "run.npz")
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 100):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=rf"cut{cut}\.npz: .*truncated or corrupt"):
            lf.load(bad)


def test_corrupt_member(tmp_path):
    path = lf.simulate(X).save(tmp_path / "run.npz")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip bits inside a trace: the zip CRC catches it
    bad = tmp_path / "flip.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"flip\.npz"):
        lf.load(bad)


def test_foreign_npz_and_random_bytes(tmp_path):
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.arange(3))
    with pytest.raises(ValueError, match=r"foreign\.npz: not a leabra_fast saved run"):
        lf.load(foreign)
    np.savez(foreign, leabra_fast_format=np.array("something.else"))
    with pytest.raises(ValueError, match=r"format tag 'something\.else'"):
        lf.load(foreign)
    noise = tmp_path / "noise.npz"
    noise.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(ValueError, match=r"noise\.npz: not a readable leabra_fast saved run"):
        lf.load(noise)
    with pytest.raises(FileNotFoundError, match=r"nothing\.npz"):
        lf.load(tmp_path / "nothing.npz")


def _rewrite(src, dst, drop=(), change=None):
    with np.load(src, allow_pickle=False) as f:
        entries = {k: f[k] for k in f.files if k not in drop}
    entries.update(change or {})
    np.savez(dst, **entries)


def test_missing_entries_newer_format_and_bad_state(tmp_path):
    path = lf.simulate(X[:2]).save(tmp_path / "run.npz")
    _rewrite(path, tmp_path / "a.npz", drop=["trace/wt", "state/v_m"])
    with pytest.raises(ValueError, match=r"a\.npz: entries missing: trace/wt, state/v_m"):
        lf.load(tmp_path / "a.npz")
    _rewrite(path, tmp_path / "b.npz", change={"format_version": np.array(FORMAT_VERSION + 1)})
    with pytest.raises(ValueError, match="upgrade leabra-fast"):
        lf.load(tmp_path / "b.npz")
    _rewrite(path, tmp_path / "c.npz", change={"state/v_m": np.array([np.nan])})
    with pytest.raises(ValueError, match=r"c\.npz: saved parameters or state are invalid.*v_m"):
        lf.load(tmp_path / "c.npz")
    _rewrite(path, tmp_path / "d.npz", change={"trace/v_m": np.zeros((3, 1))})
    with pytest.raises(ValueError, match=r"d\.npz: trace 'v_m' has shape \(3, 1\)"):
        lf.load(tmp_path / "d.npz")
    assert zipfile.is_zipfile(path)


def test_files_saved_before_the_models_moved_still_load():
    # Written by leabra_fast at f34cd3b (models at the package top, meta naming classes);
    # classes are now found by the model's name.
    data = Path(__file__).parent / "data"
    seed = lf.load(data / "saved_v1_seed.npz")
    assert isinstance(seed.params, lf.SeedParams) and isinstance(seed.state, lf.SeedState)
    assert seed.spike_count.tolist() == [40]
    assert list(seed.traces) == ["v_m", "wt"] and seed["v_m"].shape == (40, 1)
    fresh = lf.simulate(lf.NOTEBOOK_INPUT[:4], record=["v_m", "wt"], record_every=10)
    np.testing.assert_array_equal(seed["wt"], fresh["wt"])
    assert seed.state.equals(fresh.state)
    em = lf.load(data / "saved_v1_emergent.npz")
    assert isinstance(em.params, lf.EmergentParams) and isinstance(em.state, lf.EmergentState)
    # Saved before I_net was recorded after adaptation: it loads with the old recording
    # (EmergentParams.LEGACY_DEFAULTS), so a continued run records what that run did.
    assert em.params == lf.EmergentParams.neuron("rate", quirk_i_net_seed=True)
    assert em["act_nd"][8, 0] == 0.5880681818181817
    assert em.extra["act_q"][0, :, 0].tolist() == pytest.approx(
        [0.843748096, 0.84375, 0.84375, 4.51616324e-07], rel=1e-8
    )
