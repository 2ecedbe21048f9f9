"""The compiled emergent kernel on several threads: the same bits as on one.

Units of the emergent model are independent, so the kernel splits them into
chunks of whole unit blocks run on the threads, each running every cycle.  Whatever the
split, every unit is computed by the same code on the same data, so traces,
state, spike counts, first non-finite cycles and the per-quarter records must
match bit for bit (not to a tolerance).
"""

import multiprocessing
import os

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams
from leabra_fast.emergent import compiled as K

N_UNITS = 37
THREADS = (1, 2, 3)


def _kwargs(act_fun: str, n_units: int = N_UNITS, n_inputs: int = 3, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    p = EmergentParams(act_fun=act_fun, adapt_on=True, kna_on=act_fun == "spike", cyc_per_qtr=10)
    nc, n_trials = p.cycles_per_trial, 3
    ext = np.where(rng.uniform(size=(n_trials, nc, n_units)) < 0.1, rng.uniform(0, 1.2), np.nan)
    targ = np.where(rng.uniform(size=(n_trials, n_units)) < 0.3, rng.uniform(0, 1), np.nan)
    return dict(
        inputs=rng.uniform(0, 1, (n_trials, n_units, n_inputs)),
        su_avg_s_eff=rng.uniform(0, 1, (n_trials, n_units, n_inputs)),
        ge=rng.uniform(0, 0.6, (n_trials, nc, n_units)),
        gc_i=rng.uniform(0, 0.3, (n_trials, n_units)),
        ext=ext, targ=targ, params=p, model="emergent",
        fwt=rng.uniform(0.05, 0.95, (n_units, n_inputs)),
    )  # fmt: skip


def assert_bitwise_equal(a: lf.SimulationResult, b: lf.SimulationResult) -> None:
    assert list(a) == list(b)
    for name in a:
        assert a[name].tobytes() == b[name].tobytes(), name
    assert a.state.equals(b.state)
    for name in a.state.UNIT_STATE + a.state.SYNAPSE_STATE:  # bits: -0.0 is not 0.0 here
        assert getattr(a.state, name).tobytes() == getattr(b.state, name).tobytes(), name
    np.testing.assert_array_equal(a.spike_count, b.spike_count)
    np.testing.assert_array_equal(a.first_nonfinite, b.first_nonfinite)
    assert list(a.extra) == list(b.extra)
    for name in a.extra:
        assert a.extra[name].tobytes() == b.extra[name].tobytes(), name


@pytest.mark.parametrize("act_fun", ["rate", "spike"])
def test_thread_count_does_not_change_a_bit(act_fun):
    kw = _kwargs(act_fun)
    runs = [lf.simulate(**kw, n_threads=k) for k in THREADS]
    assert runs[0].ok
    if act_fun == "spike":
        assert runs[0].spike_count.sum() > 0
    assert 0.0 < float(np.abs(runs[0]["act"]).max())
    for other in runs[1:]:
        assert_bitwise_equal(runs[0], other)


@pytest.mark.parametrize("act_fun", ["rate", "spike"])
def test_threads_with_recording_subset(act_fun):
    """A scattered subset recorded every 3rd cycle, synapse traces included."""
    kw = _kwargs(act_fun, seed=1)
    units = [0, 5, 18, 19, 36]
    runs = [
        lf.simulate(**kw, units=units, record=["v_m", "act_nd", "spike", "wt", "dwt"],
                    record_every=3, n_threads=k)
        for k in THREADS
    ]  # fmt: skip
    for other in runs[1:]:
        assert_bitwise_equal(runs[0], other)
    # The recorded columns are the whole-population run's columns for those units.
    full = lf.simulate(**kw, record=["v_m", "wt"], n_threads=1)
    assert runs[0]["v_m"].tobytes() == np.ascontiguousarray(full["v_m"][::3][:, units]).tobytes()
    assert runs[0]["wt"].tobytes() == np.ascontiguousarray(full["wt"][::3][:, units]).tobytes()


def test_threads_agree_with_reference():
    """Threads do not move the compiled kernel away from the Python reference."""
    kw = _kwargs("spike", n_units=9, seed=2)
    fast = lf.simulate(**kw, n_threads=3)
    ref = lf.simulate(**kw, backend="python", n_threads=1)
    np.testing.assert_array_equal(fast.spike_count, ref.spike_count)
    for name in ref:
        np.testing.assert_allclose(fast[name], ref[name], rtol=1e-12, atol=1e-300, err_msg=name)


def test_threads_with_nonfinite_unit():
    """Units whose AdEx exponential overflows report the same first cycle on any thread count."""
    n = N_UNITS
    rng = np.random.default_rng(4)
    p = EmergentParams(act_fun="spike", ex=True, spk_thr=1e6, exp_slope=0.01, vm_max=np.inf,
                       cyc_per_qtr=10)  # no spike, no clip: v_m runs away
    ge = np.zeros((2, n))
    ge[:, [3, 20, 30]] = rng.uniform(0.8, 1.5, (2, 3))  # these run away
    kw = dict(inputs=rng.uniform(0, 0.05, (2, n, 2)), ge=ge, gc_i=0.3, params=p, model="emergent",
              units=[0, 3, 20, 36], record_every=2, on_nonfinite="ignore")  # fmt: skip
    runs = [lf.simulate(**kw, n_threads=k) for k in THREADS]
    bad = np.flatnonzero(runs[0].first_nonfinite >= 0)
    assert not runs[0].ok
    assert set(bad) == {3, 20, 30}
    for other in runs[1:]:
        assert_bitwise_equal(runs[0], other)
    ref = lf.simulate(**kw, backend="python")
    np.testing.assert_array_equal(runs[0].first_nonfinite, ref.first_nonfinite)


def test_more_threads_than_units():
    kw = _kwargs("rate", n_units=2, seed=5)
    assert_bitwise_equal(lf.simulate(**kw, n_threads=1), lf.simulate(**kw, n_threads=5))


def test_bad_n_threads_is_refused():
    kw = _kwargs("rate", n_units=2)
    for bad in (0, -1, 1.5):
        with pytest.raises((ValueError, TypeError), match="n_threads"):
            lf.simulate(**kw, n_threads=bad)


def _spikes_with_two_threads(seed: int) -> list[int]:
    kw = _kwargs("spike", n_units=8, seed=seed)
    return lf.simulate(**kw, record=None, n_threads=2).spike_count.tolist()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_after_threads_does_not_hang():
    """GNU OpenMP hangs in a child forked after threads ran; the kernel goes serial there."""
    here = _spikes_with_two_threads(0)  # threads used in this (parent) process
    with multiprocessing.get_context("fork").Pool(2) as pool:
        there = pool.map_async(_spikes_with_two_threads, [0, 0]).get(timeout=60)
    assert there == [here, here]


def test_build_reports_openmp():
    assert isinstance(K.HAS_OPENMP, bool)


_CROSS_KERNEL_FORK = """
import multiprocessing, sys
import numpy as np
import leabra_fast as lf
from leabra_fast.emergent import EmergentParams

def run(model):
    if model == "seed":
        res = lf.simulate(np.full((1, 64, 1), 0.5), n_cycles=20, record=None, n_threads=2)
    else:
        res = lf.simulate(ge=np.linspace(0.2, 0.8, 8)[None, :], model="emergent",
                          params=EmergentParams(act_fun="spike"), record=None, n_threads=2)
    return res.spike_count.tolist()

if __name__ == "__main__":
    # Only one kernel runs threads in the parent; the other, run in the child, shares the
    # process's one OpenMP pool and must notice.
    parent, child = sys.argv[1:]
    run(parent)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        there = pool.map_async(run, [child]).get(timeout=40)
    assert there == [run(child)], there
    print("ok")
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("parent, child", [("seed", "emergent"), ("emergent", "seed")])
def test_forked_child_after_other_kernels_threads_does_not_hang(tmp_path, parent, child):
    """The fork guard covers both kernels: threads of either one poison the child's pool."""
    import subprocess
    import sys

    script = tmp_path / "cross_fork.py"
    script.write_text(_CROSS_KERNEL_FORK)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, str(script), parent, child], capture_output=True,
                          text=True, timeout=120, env=env)  # fmt: skip
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


@pytest.mark.parametrize("stack_kib", [128, 64])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_kernel_runs_on_a_small_thread_stack(stack_kib, n_threads):
    """musl's default thread stack is 128 KiB: the kernel keeps its working set off the
    stack but for the lanes of one block (~21 KiB), so a thread with 64 KiB runs it, with
    the bits of a run on the main thread (every block width, spiking and rate code)."""
    import threading

    runs = {}
    for act_fun in ("rate", "spike"):
        kw = _kwargs(act_fun, n_units=2 * 64 + 16 + 3, seed=4)
        runs[act_fun] = (kw, lf.simulate(**kw, n_threads=1, record="all"))
    got: dict[str, object] = {}

    def work() -> None:
        try:
            for act_fun, (kw, _) in runs.items():
                got[act_fun] = lf.simulate(**kw, n_threads=n_threads, record="all")
        except BaseException as exc:  # reported below
            got["error"] = exc

    before = threading.stack_size(stack_kib * 1024)
    try:
        t = threading.Thread(target=work)
        t.start()
        t.join()
    finally:
        threading.stack_size(before)
    if "error" in got:
        raise got["error"]  # type: ignore[misc]
    for act_fun, (_, expected) in runs.items():
        assert_bitwise_equal(got[act_fun], expected)  # type: ignore[arg-type]
