"""The kernel's instruction-set entries and its streamed trace stores give the same bits.

The compiled kernel carries one entry point per instruction set (AVX-512, AVX2,
baseline) and picks the best the CPU runs; ``select_simd`` / ``LEABRA_FAST_SIMD``
choose another.  Large trace buffers are written with non-temporal stores
(``STREAM_MIN_BYTES``).  Neither may change a single bit of any result.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_speed_paths import _schedule, assert_bitwise_equal

import leabra_fast as lf
from leabra_fast.seed import compiled as seed_kernel
from leabra_fast.traces import ALIGN_MIN_BYTES, BUFFER_ALIGN, aligned_empty

LEVELS = seed_kernel.simd_levels()
BLOCK, MID, NARROW = seed_kernel.WIDTHS


@pytest.fixture
def restore_simd():
    before = seed_kernel.BUILD_INFO["simd"]
    yield
    seed_kernel.select_simd(before)


def test_levels_are_listed_best_first_and_baseline_is_always_there():
    assert LEVELS[-1] == "baseline"
    assert set(LEVELS) <= {"avx512", "avx2", "baseline"}
    order = ["avx512", "avx2", "baseline"]
    assert list(LEVELS) == sorted(LEVELS, key=order.index)
    if not os.environ.get("LEABRA_FAST_SIMD"):
        assert seed_kernel.BUILD_INFO["simd"] == LEVELS[0]


@pytest.mark.parametrize("gain", [1.5, 2.0])  # x*sqrt(x), and the pow path
def test_every_level_gives_the_same_bits(restore_simd, gain):
    n_units = 2 * BLOCK + MID + 5  # full blocks, a 16-lane block and a narrow one
    args, kw = _schedule(3, n_units, 2, seed=int(gain * 10))
    params = lf.SeedParams(gain=gain, m_lrn=1.0)
    runs = {}
    for level in LEVELS:
        seed_kernel.select_simd(level)
        assert seed_kernel.BUILD_INFO["simd"] == level
        runs[level] = lf.simulate(*args, **kw, n_cycles=40, params=params, record="all")
    assert runs[LEVELS[0]].spike_count.sum() > 0
    for level in LEVELS[1:]:
        assert_bitwise_equal(runs[LEVELS[0]], runs[level])


def test_every_level_reports_overflow_alike(restore_simd):
    """The non-finite path (first_nonfinite, the statuses) is the same at every level."""
    args, kw = _schedule(2, BLOCK + MID + 3, 1, seed=4)
    params = lf.SeedParams(spk_thr=1e6, exp_slope=0.01)  # every unit runs away
    runs = []
    for level in LEVELS:
        seed_kernel.select_simd(level)
        runs.append(lf.simulate(*args, **kw, params=params, n_cycles=60, on_nonfinite="ignore"))
    assert (runs[0].first_nonfinite >= 0).sum() > BLOCK // 2
    for other in runs[1:]:
        assert_bitwise_equal(runs[0], other)


def test_select_simd_returns_the_previous_level_and_none_means_best(restore_simd):
    before = seed_kernel.BUILD_INFO["simd"]
    assert seed_kernel.select_simd("baseline") == before
    assert seed_kernel.BUILD_INFO["simd"] == "baseline"
    assert seed_kernel.select_simd(None) == "baseline"
    assert seed_kernel.BUILD_INFO["simd"] == LEVELS[0]


@pytest.mark.parametrize("name", ["sse9", "AVX2 ", "avx-512"])
def test_select_simd_rejects_unknown_names(restore_simd, name):
    before = seed_kernel.BUILD_INFO["simd"]
    with pytest.raises(ValueError, match="unknown SIMD level"):
        seed_kernel.select_simd(name)
    assert seed_kernel.BUILD_INFO["simd"] == before  # unchanged by the failed call


def test_select_simd_empty_name_means_best(restore_simd):
    seed_kernel.select_simd("baseline")
    seed_kernel.select_simd("")
    assert seed_kernel.BUILD_INFO["simd"] == LEVELS[0]


def test_select_simd_rejects_a_level_this_cpu_lacks(restore_simd):
    missing = [k for k in ("avx512", "avx2") if k not in LEVELS]
    if not missing:
        pytest.skip("this CPU runs every level")
    with pytest.raises(ValueError, match="cannot run"):
        seed_kernel.select_simd(missing[0])


def _import_with(value):
    env = dict(os.environ, LEABRA_FAST_SIMD=value)
    code = "from leabra_fast.seed import compiled as k; print(k.BUILD_INFO['simd'])"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_environment_variable_selects_the_level():
    proc = _import_with("baseline")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "baseline"


def test_environment_variable_with_a_bad_value_fails_the_import_clearly():
    proc = _import_with("neon9")
    assert proc.returncode != 0
    assert "LEABRA_FAST_SIMD='neon9'" in proc.stderr
    assert "unknown SIMD level" in proc.stderr


# --- streamed (non-temporal) trace stores ---------------------------------------------


def _run_streamed(monkeypatch, stream, *args, **kw):
    monkeypatch.setattr(seed_kernel.current(), "STREAM_MIN_BYTES", 0 if stream else 1 << 62)
    return lf.simulate(*args, **kw)


@pytest.mark.parametrize(
    "n_units, record_kw",
    [
        (3 * BLOCK, {}),  # every row of every trace starts on a cache line
        (2 * BLOCK + 7, {}),  # rows of 135 doubles: lines split between rows
        (BLOCK + MID + 2, {"record_every": 3}),
        (3 * BLOCK, {"units": list(range(5, 3 * BLOCK - 2))}),  # columns shifted by 5
        (3 * BLOCK, {"units": list(range(0, 3 * BLOCK, 2))}),  # not contiguous
    ],
)
@pytest.mark.parametrize("n_inputs", [1, 3])
@pytest.mark.parametrize("level", LEVELS)  # each level streams with its own stores
def test_streamed_traces_equal_plain_stores(
    monkeypatch, restore_simd, level, n_inputs, n_units, record_kw
):
    seed_kernel.select_simd(level)
    args, kw = _schedule(3, n_units, n_inputs, seed=n_units)
    kw.update(n_cycles=30, record="all", **record_kw)
    plain = _run_streamed(monkeypatch, False, *args, **kw)
    streamed = _run_streamed(monkeypatch, True, *args, **kw)
    assert_bitwise_equal(plain, streamed)
    ref = lf.simulate(*args, **kw, backend="python")
    np.testing.assert_array_equal(streamed["act"], ref["act"])
    np.testing.assert_array_equal(streamed["wt"], plain["wt"])


@pytest.mark.parametrize("level", LEVELS)
def test_streamed_traces_of_runaway_units_equal_plain_stores(monkeypatch, restore_simd, level):
    """Blocks whose exponents leave exp's normal range write the waiting traces at once."""
    seed_kernel.select_simd(level)
    args, kw = _schedule(2, 2 * BLOCK, 1, seed=4)
    # Every unit runs away, at different cycles: blocks with some lanes past |ex| = 700.
    kw.update(params=lf.SeedParams(spk_thr=1e6, exp_slope=0.01), n_cycles=60, record="all")
    kw.update(on_nonfinite="ignore")
    plain = _run_streamed(monkeypatch, False, *args, **kw)
    streamed = _run_streamed(monkeypatch, True, *args, **kw)
    assert (plain.first_nonfinite >= 0).sum() > BLOCK
    assert_bitwise_equal(plain, streamed)


def test_streamed_traces_with_threads(monkeypatch):
    args, kw = _schedule(2, 6 * BLOCK + 3, 1, seed=8)
    kw.update(n_cycles=50, record="all")
    one = _run_streamed(monkeypatch, True, *args, **kw, n_threads=1)
    two = _run_streamed(monkeypatch, True, *args, **kw, n_threads=2)
    assert_bitwise_equal(one, two)


@pytest.mark.parametrize("shape", [(3, 5, 7), (1,), (0, 4), (2, 3, 1, 9)])
def test_trace_buffers_start_on_a_cache_line(shape):
    buf = aligned_empty(shape)
    assert buf.shape == shape
    assert buf.dtype == np.float64
    assert buf.flags.c_contiguous and buf.flags.writeable
    if buf.size:
        assert buf.ctypes.data % BUFFER_ALIGN == 0


def test_large_recorded_traces_are_aligned_views_that_save_and_load(tmp_path):
    res = lf.simulate(lf.NOTEBOOK_INPUT, n_units=3 * BLOCK, n_cycles=100, record=["v_m", "wt"])
    assert 8 * (res["v_m"].size + res["wt"].size) >= ALIGN_MIN_BYTES
    assert res["v_m"].ctypes.data % BUFFER_ALIGN == 0
    path = tmp_path / "run.npz"
    res.save(path)
    back = lf.load(path)
    np.testing.assert_array_equal(back["v_m"], res["v_m"])
    np.testing.assert_array_equal(back["wt"], res["wt"])


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    n_units=st.integers(1, 3 * BLOCK + 5),
    n_inputs=st.integers(1, 3),
    n_cycles=st.integers(1, 40),
    every=st.integers(1, 3),
    level=st.sampled_from(LEVELS),
    threads=st.integers(1, 2),
    subset=st.sampled_from(["all", "from", "every_other"]),
    first=st.integers(0, 20),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_recordings_stream_the_same_bits(
    monkeypatch, n_units, n_inputs, n_cycles, every, level, threads, subset, first, seed
):
    """Forced streaming (every size) against plain stores, over random layouts."""
    first = min(first, n_units - 1)
    units = {
        "all": None,
        "from": list(range(first, n_units)),
        "every_other": list(range(first % 2, n_units, 2)),
    }[subset]
    args, kw = _schedule(2, n_units, n_inputs, seed=seed % 1000)
    kw.update(n_cycles=n_cycles, record="all", units=units, record_every=every)
    kw.update(n_threads=threads)
    previous = seed_kernel.select_simd(level)
    try:
        plain = _run_streamed(monkeypatch, False, *args, **kw)
        streamed = _run_streamed(monkeypatch, True, *args, **kw)
    finally:
        seed_kernel.select_simd(previous)
    assert_bitwise_equal(plain, streamed)
