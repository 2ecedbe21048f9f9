"""Chunked runs give the same bits; progress; Ctrl-C stops cleanly with a partial result."""

import io
import os
import signal
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leabra_fast as lf
from leabra_fast.core import progress as prog
from leabra_fast.seed import reference

X = lf.NOTEBOOK_INPUT


def _same_bits(a, b):
    assert list(a) == list(b)
    for name in a:
        assert a[name].tobytes() == b[name].tobytes(), name
    np.testing.assert_array_equal(a.cycles, b.cycles)
    np.testing.assert_array_equal(a.spike_count, b.spike_count)
    np.testing.assert_array_equal(a.first_nonfinite, b.first_nonfinite)
    assert a.state.equals(b.state)


@pytest.mark.parametrize("chunk", [1, 7, 99, 100, 101, 250, 5000])
def test_chunked_run_gives_identical_bits(backend, chunk):
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 1, (5, 3, 2))
    start = lf.simulate(x[:1], n_cycles=60, backend=backend, record=None).state  # cycle 60
    kwargs = dict(n_cycles=60, backend=backend, record_every=3, units=[0, 2], state=start,
                  gc_i=rng.uniform(0, 0.05, (5, 3)))  # fmt: skip
    whole = lf.simulate(x, **kwargs)
    chunked = lf.simulate(x, chunk_cycles=chunk, **kwargs)
    _same_bits(whole, chunked)
    assert not chunked.partial


@settings(max_examples=25, deadline=None)
@given(
    n_cycles=st.integers(1, 40),
    n_trials=st.integers(1, 6),
    chunk=st.integers(1, 300),
    every=st.integers(1, 9),
    start=st.integers(0, 50),
    seed=st.integers(0, 2**32 - 1),
)
def test_chunking_never_changes_a_bit(n_cycles, n_trials, chunk, every, start, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n_trials, 2, 2))
    state = lf.simulate(x[:1], n_cycles=start, record=None).state if start else None
    kwargs = dict(n_cycles=n_cycles, record_every=every, state=state)
    _same_bits(lf.simulate(x, **kwargs), lf.simulate(x, chunk_cycles=chunk, **kwargs))


def test_chunked_nonfinite_run_reports_the_same_cycle(backend):
    params = lf.SeedParams(spk_thr=1e6, exp_slope=0.01)
    with pytest.warns(lf.NonFiniteWarning):
        whole = lf.simulate([1.0] * 3, params=params, backend=backend)
    first = int(whole.first_nonfinite[0])
    for chunk in (1, first, first + 1):
        with pytest.warns(lf.NonFiniteWarning):
            res = lf.simulate([1.0] * 3, params=params, backend=backend, chunk_cycles=chunk)
        assert int(res.first_nonfinite[0]) == first
        for name in whole:
            assert np.array_equal(res[name], whole[name], equal_nan=True), name


def test_callback_sees_every_chunk():
    calls = []
    res = lf.simulate(X, progress=lambda done, total: calls.append((done, total)), chunk_cycles=300)
    assert calls == [(300, 2000), (600, 2000), (900, 2000), (1200, 2000), (1500, 2000),
                     (1800, 2000), (2000, 2000)]  # fmt: skip
    assert res.spike_count[0] == 137 and not res.partial


def _stop_after(cycles):
    def callback(done, total):
        if done >= cycles:
            raise KeyboardInterrupt

    return callback


def test_interrupt_returns_a_clean_partial_result(backend):
    whole = lf.simulate(X, backend=backend, record_every=3)
    with pytest.warns(lf.PartialRunWarning, match="after 700 of 2000 cycles"):
        part = lf.simulate(X, backend=backend, record_every=3, progress=_stop_after(700),
                           chunk_cycles=350)  # fmt: skip
    assert part.partial and part.state.cycle == 700
    rows = np.count_nonzero(whole.cycles < 700)
    assert len(part.cycles) == rows == 234
    np.testing.assert_array_equal(part.cycles, whole.cycles[:rows])
    np.testing.assert_array_equal(part.trial, whole.trial[:rows])
    for name in whole:
        assert part[name].shape[0] == rows and part[name].flags.c_contiguous
        assert part[name].tobytes() == whole[name][:rows].tobytes(), name
    # The state is the state after 7 trials: continuing gives the uninterrupted run.
    rest = lf.simulate(X[7:], backend=backend, record_every=3, state=part.state)
    assert rest.state.equals(whole.state)
    np.testing.assert_array_equal(part.spike_count + rest.spike_count, whole.spike_count)
    assert "partial=True" in repr(part) and part.summary()["partial"] is True


def test_interrupt_mid_trial_keeps_trial_bookkeeping():
    with pytest.warns(lf.PartialRunWarning, match=r"trial 4, cycle 50"):
        part = lf.simulate(X, progress=_stop_after(450), chunk_cycles=150)
    assert part.state.cycle == 450 and len(part.cycles) == 450
    assert part.trial[-1] == 4 and part.cycle_in_trial[-1] == 49
    full = lf.simulate(X[:5])
    np.testing.assert_array_equal(part["v_m"], full["v_m"][:450])


def test_real_sigint_between_chunks_stops_cleanly():
    before = signal.getsignal(signal.SIGINT)

    def press_ctrl_c(done, total):
        if done == 400:
            os.kill(os.getpid(), signal.SIGINT)  # the deferred handler turns it into a flag

    with pytest.warns(lf.PartialRunWarning):
        part = lf.simulate(X, progress=press_ctrl_c, chunk_cycles=200)
    assert part.partial and part.state.cycle == 400
    assert signal.getsignal(signal.SIGINT) is before  # handler restored
    whole = lf.simulate(X[:4])
    assert part.state.equals(whole.state)


def test_interrupt_after_last_chunk_is_a_complete_run():
    res = lf.simulate(X, progress=_stop_after(2000), chunk_cycles=500)
    assert not res.partial and res.state.cycle == 2000


def test_progress_bar_with_and_without_tqdm(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    lf.simulate(X, progress=True, chunk_cycles=500)
    err = capsys.readouterr().err
    assert "2.00k/2.00k" in err and "cycle" in err
    monkeypatch.setitem(sys.modules, "tqdm", None)
    lf.simulate(X, progress=True)
    err = capsys.readouterr().err
    assert "100.0% (2000/2000 cycles)" in err
    lf.simulate(X, progress=False)
    assert capsys.readouterr().err == ""


def test_text_progress_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    out = io.StringIO()
    bar = prog.Progress(1000, "run", stream=out)
    bar.update(500)
    bar.update(1000)
    bar.close()
    text = out.getvalue()
    assert text.startswith("\rrun:   0.0% (0/1000 cycles)")
    assert "100.0% (1000/1000 cycles)" in text and text.endswith("\n")


def test_auto_progress_decision(monkeypatch):
    assert not prog.want_bar(False, 100.0)
    assert prog.want_bar(True, 0.0)
    monkeypatch.setattr(prog, "_stderr_is_terminal", lambda: True)
    assert prog.want_bar(None, 10.0) and not prog.want_bar(None, 0.5)
    monkeypatch.setattr(prog, "_stderr_is_terminal", lambda: False)
    assert not prog.want_bar(None, 10.0)  # not a terminal, not Jupyter: no bar
    assert prog.estimate_seconds("cython", 1000, 100, 10_000) > prog.PROGRESS_MIN_SECONDS
    assert prog.estimate_seconds("cython", 1, 1, 2000) < 0.01


def test_long_runs_are_chunked_on_trial_boundaries(monkeypatch):
    calls = []
    real = reference.run_seed

    def spy(*args):
        calls.append((args[8], args[9]))  # c0, c1
        return real(*args)

    monkeypatch.setattr(reference, "run_seed", spy)
    lf.simulate(X, backend="python")
    assert calls == [(0, 2000)]  # a short run is one call
    calls.clear()
    monkeypatch.setattr(prog, "PROGRESS_MIN_SECONDS", 0.0)
    monkeypatch.setattr(prog, "CHUNK_SECONDS", 0.035)  # ~580 cycles: rounded to 500
    res = lf.simulate(X, backend="python")
    assert calls == [(0, 500), (500, 1000), (1000, 1500), (1500, 2000)]
    assert res.spike_count[0] == 137


def test_auto_chunk_sizes():
    chunk = prog.auto_chunk("cython", 100, 100, 1, 100)
    assert chunk >= 100 and chunk % 100 == 0  # whole trials
    assert prog.auto_chunk("cython", 10**5, 100, 1, 10**6) < 10**6  # long trials: plain chunks
    one, two = (prog.auto_chunk("cython", 100, 100, k, 1) for k in (1, 2))
    assert 1.9 * one < two <= 2 * one  # units split over threads


def test_bad_progress_arguments():
    with pytest.raises(TypeError, match="progress must be"):
        lf.simulate(X, progress="yes")
    with pytest.raises(ValueError, match="chunk_cycles must be >= 1"):
        lf.simulate(X, chunk_cycles=0)


CHILD = """
import sys, warnings
import numpy as np
import leabra_fast as lf

x = np.random.default_rng(0).uniform(0, 1, (400, 100, 100))
started = []

def tell(done, total):
    if not started:
        started.append(done)
        print("started", done, flush=True)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    res = lf.simulate(x, record=["v_m"], n_threads=1, progress=tell, chunk_cycles=200)
print("partial", res.partial, res.state.cycle, len(res.cycles), res["v_m"].shape[0], flush=True)
print("warned", any(issubclass(w.category, lf.PartialRunWarning) for w in caught), flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_in_a_real_process_returns_a_partial_result():
    import subprocess

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )  # fmt: skip
    try:
        first = proc.stdout.readline().split()
        assert first[:1] == ["started"], proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    lines = dict(line.split(" ", 1) for line in out.strip().splitlines())
    partial, cycle, rows, trace_rows = lines["partial"].split()
    assert partial == "True"
    assert 200 <= int(cycle) < 40_000 and int(cycle) % 200 == 0
    assert int(rows) == int(trace_rows) == int(cycle)
    assert lines["warned"] == "True"


def test_jupyter_counts_as_interactive(monkeypatch):
    import types

    class ZMQInteractiveShell:  # the class name ipykernel's shell has
        pass

    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: ZMQInteractiveShell()
    monkeypatch.setitem(sys.modules, "IPython", fake)
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setattr(prog, "_stderr_is_terminal", lambda: False)
    assert prog.in_jupyter()
    assert prog.want_bar(None, 10.0) and not prog.want_bar(None, 0.1)
    fake.get_ipython = lambda: None  # IPython imported, but not running a kernel
    assert not prog.in_jupyter()
