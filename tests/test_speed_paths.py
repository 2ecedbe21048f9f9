"""Correctness of every fast path of the compiled kernel (its speed is measured in bench/).

The kernel runs units in SIMD blocks of ``seed_kernel.BLOCK`` lanes (blocks of
16 for a remainder of at most 48 units, 4 for at most 4), splits blocks
over threads, uses its own ``exp``, special-cases the SIG gain 1.5 as
``x*sqrt(x)`` and has separate recording paths.  Each of these is checked here
against the reference backend (rtol 1e-12, identical spikes) or, where the
claim is bit-identity, bit for bit.
"""

import math
import sys

import numpy as np
import pytest
from conftest import assert_run_traces_close, assert_traces_close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leabra_fast as lf
from leabra_fast.seed import compiled as seed_kernel

BLOCK = seed_kernel.BLOCK
STATE_NAMES = ("net", "v_m", "adapt", "avg_ss", "avg_s", "avg_m", "avg_l", "fwt", "wt")


def _schedule(n_trials, n_units, n_inputs, seed=0):
    """Per-unit, per-input schedules: every lane of a block sees different values."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1.2, size=(n_trials, n_units, n_inputs))
    su_s = rng.uniform(0, 1, size=(n_trials, n_units, n_inputs))
    su_m = rng.uniform(0, 1, size=(n_trials, n_units, n_inputs))
    gc_i = rng.uniform(0, 0.2, size=(n_trials, n_units))
    fwt = rng.uniform(0.05, 0.95, size=(n_units, n_inputs))
    return (x, su_s, su_m), {"gc_i": gc_i, "fwt": fwt, "wt": fwt}


def assert_same_as_reference(fast, ref):
    assert_run_traces_close(fast, ref)
    if "act" in ref:
        np.testing.assert_array_equal(fast["act"], ref["act"])
    np.testing.assert_array_equal(fast.spike_count, ref.spike_count)
    np.testing.assert_array_equal(fast.first_nonfinite, ref.first_nonfinite)
    for name in STATE_NAMES:
        assert_traces_close(getattr(fast.state, name), getattr(ref.state, name), name=name)


def assert_bitwise_equal(a, b):
    assert list(a) == list(b)
    for name in a:
        assert a[name].tobytes() == b[name].tobytes(), name
    assert a.state.equals(b.state)
    np.testing.assert_array_equal(a.spike_count, b.spike_count)
    np.testing.assert_array_equal(a.first_nonfinite, b.first_nonfinite)


# --- blocks and remainders ------------------------------------------------------------


@pytest.mark.parametrize(
    "n_units",
    sorted(
        {1, 4, 5, 7, 8, 9, 15, 16, 17, 20, 36, 48, 49, BLOCK - 1, BLOCK, BLOCK + 1, BLOCK + 4}
        | {BLOCK + 16, BLOCK + 21, BLOCK + 49, 3 * BLOCK + 5}
    ),
)
def test_block_remainders_match_reference(n_units):
    args, kw = _schedule(3, n_units, 2, seed=n_units)
    fast = lf.simulate(*args, **kw, n_cycles=40, params=lf.SeedParams(m_lrn=1.0))
    ref = lf.simulate(*args, **kw, n_cycles=40, params=lf.SeedParams(m_lrn=1.0), backend="python")
    assert fast.spike_count.sum() > 0
    assert_same_as_reference(fast, ref)


def test_unit_result_does_not_depend_on_its_block_or_lane():
    """A unit run alone (lane 0, padded block) equals the same unit inside a population."""
    n = 2 * BLOCK + 3
    args, kw = _schedule(2, n, 3, seed=11)
    pop = lf.simulate(*args, **kw, n_cycles=30)
    for u in (0, BLOCK - 1, BLOCK, n - 1):
        alone = lf.simulate(
            *(a[:, u : u + 1] for a in args),
            gc_i=kw["gc_i"][:, u : u + 1],
            fwt=kw["fwt"][u : u + 1],
            wt=kw["wt"][u : u + 1],
            n_cycles=30,
        )
        for name in pop:
            assert pop[name][:, u].tobytes() == alone[name][:, 0].tobytes(), (u, name)


# --- threads ----------------------------------------------------------------------


@pytest.mark.parametrize("n_units, n_inputs", [(5 * BLOCK + 3, 2), (1000, 1)])
def test_thread_count_does_not_change_a_bit(n_units, n_inputs):
    args, kw = _schedule(2, n_units, n_inputs, seed=3)
    runs = [lf.simulate(*args, **kw, n_cycles=25, n_threads=k) for k in (1, 2, 3, 7)]
    for other in runs[1:]:
        assert_bitwise_equal(runs[0], other)


def test_threads_with_recording_subset_and_nonfinite():
    """Threads, a scattered recorded subset and a unit that overflows, together."""
    n = 4 * BLOCK + 1
    args, kw = _schedule(2, n, 1, seed=4)
    kw["gc_i"][:, 20] = 0.0
    params = lf.SeedParams(spk_thr=1e6, exp_slope=0.01)  # every unit runs away
    units = [0, 5, BLOCK, 20, n - 1]
    runs = [
        lf.simulate(
            *args,
            **kw,
            params=params,
            n_cycles=60,
            units=units,
            record_every=3,
            n_threads=k,
            on_nonfinite="ignore",
        )
        for k in (1, 2, 4)
    ]
    assert not runs[0].ok
    for other in runs[1:]:
        assert_bitwise_equal(runs[0], other)
    ref = lf.simulate(
        *args,
        **kw,
        params=params,
        n_cycles=60,
        units=units,
        record_every=3,
        backend="python",
        on_nonfinite="ignore",
    )
    np.testing.assert_array_equal(runs[0].first_nonfinite, ref.first_nonfinite)


# --- SIG: x*sqrt(x) for gain 1.5, pow otherwise -----------------------------------------


@pytest.mark.parametrize("gain", [1.5, np.nextafter(1.5, 2.0), 1.0, 2.0, 6.0])
def test_sig_gain_paths_match_reference(gain):
    args, kw = _schedule(3, BLOCK + 2, 2, seed=5)
    params = lf.SeedParams(gain=float(gain), m_lrn=1.0)
    fast = lf.simulate(*args, **kw, params=params, n_cycles=40)
    ref = lf.simulate(*args, **kw, params=params, n_cycles=40, backend="python")
    assert_same_as_reference(fast, ref)


def test_fast_and_general_gain_paths_agree():
    """gain 1.5 (x*sqrt(x)) and the next double up (pow) give the same run to ~1e-15."""
    args, kw = _schedule(3, 3, 2, seed=6)
    a = lf.simulate(*args, **kw, params=lf.SeedParams(gain=1.5), n_cycles=40)
    b = lf.simulate(
        *args, **kw, params=lf.SeedParams(gain=float(np.nextafter(1.5, 2))), n_cycles=40
    )
    for name in ("wt", "v_m", "fwt"):
        assert_traces_close(a[name], b[name], name=name)


@given(w=st.floats(0.0, 1.0), eps=st.floats(0.0, 0.1), off=st.floats(0.1, 3.0))
def test_sig_fast_path_close_to_pow(w, eps, off):
    c = lf.params.derived_constants(lf.SeedParams(gain=1.5, sig_eps=eps, off=off), 1)
    w, eps, off = np.float64(w), np.float64(eps), np.float64(off)
    with np.errstate(all="ignore"):
        want = float(1.0 / (1.0 + ((off * (1.0 - w)) / (w + eps)) ** 1.5))
    got = seed_kernel.sig_scalar(c, float(w))
    assert got == pytest.approx(want, rel=1e-15, abs=1e-300)


# --- exp ------------------------------------------------------------------------------


def _ulps(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.abs(a - b) / np.spacing(np.abs(b))


def test_exp_within_one_ulp_of_correctly_rounded():
    rng = np.random.default_rng(7)
    x = np.concatenate(
        [
            rng.uniform(-30, 30, 200_000),
            rng.uniform(-745, 709.78, 20_000),
            rng.uniform(-1e-8, 1e-8, 1000),
            np.arange(-20, 20, 0.5),
        ]
    )
    got = seed_kernel.exp_array(x)
    want = np.array([math.exp(v) for v in x])  # glibc exp: correctly rounded in practice
    normal = want >= sys.float_info.min
    assert _ulps(got[normal], want[normal]).max() <= 1.0
    # Compensated final sums: the same double as libm's (near-correctly-rounded) exp
    # for all but a few percent of arguments (NumPy's own exp differs more often).
    assert np.mean(got != want) < 0.03
    # Subnormal results: same absolute error bound as the spacing of the smallest normal.
    assert np.all(np.abs(got[~normal] - want[~normal]) <= np.spacing(sys.float_info.min))


def test_exp_special_values_and_range_ends():
    cases = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        709.782712893384,
        709.7827128933841,
        710.0,
        1e300,
        -745.1332191019411,
        -745.1332191019412,
        -746.0,
        -1e300,
        -708.5,
        -740.0,
        math.inf,
        -math.inf,
    ]
    got = seed_kernel.exp_array(np.array(cases))
    for x, g in zip(cases, got, strict=True):
        try:
            want = math.exp(x)
        except OverflowError:
            want = math.inf
        assert g == want or abs(g - want) <= np.spacing(want), (x, g, want)
    assert math.isnan(seed_kernel.exp_scalar(math.nan))
    assert seed_kernel.exp_scalar(0.0) == 1.0


def test_short_exp_gives_the_full_exps_bits_in_its_range():
    """Blocks whose exponents all lie within +-EXP_NORMAL_MAX take the shorter exp."""
    lim = seed_kernel.EXP_NORMAL_MAX
    rng = np.random.default_rng(8)
    x = np.concatenate(
        [
            rng.uniform(-lim, lim, 200_000),
            rng.uniform(-40, 40, 200_000),
            [-lim, lim, 0.0, -0.0, 1e-300, -1e-300, np.nextafter(lim, 0)],
        ]
    )
    full = seed_kernel.exp_array(x)
    short = seed_kernel.exp_array(x, normal=True)
    assert full.tobytes() == short.tobytes()


def test_blocks_with_and_without_the_short_exp_agree_with_the_reference():
    """One lane far above threshold (exponent beyond the short exp's range) sends its
    whole block down the full exp; the other blocks take the short one."""
    n = 3 * BLOCK
    args, kw = _schedule(2, n, 1, seed=12)
    params = lf.SeedParams(exp_slope=0.0005, spk_thr=1e6)  # (v_m - thr)/slope reaches 700+
    common = dict(params=params, n_cycles=30, on_nonfinite="ignore", record=["v_m", "act"])
    fast = lf.simulate(*args, **kw, **common)
    ref = lf.simulate(*args, **kw, **common, backend="python")
    big = np.abs((ref["v_m"] - params.thr) / params.exp_slope) > seed_kernel.EXP_NORMAL_MAX
    blocks_big = big.reshape(-1, 3, BLOCK).any(axis=2)
    assert blocks_big.any() and not blocks_big.all()  # both kinds of block occur
    np.testing.assert_array_equal(fast.first_nonfinite, ref.first_nonfinite)
    np.testing.assert_array_equal(fast["act"], ref["act"])
    np.testing.assert_allclose(fast["v_m"], ref["v_m"], rtol=1e-12, atol=0)


# --- recording paths --------------------------------------------------------------------


@pytest.mark.parametrize(
    "record",
    [["v_m", "act"], ["wt", "XCAL"], ["dwt"], "all"],
)
@pytest.mark.parametrize("units", [None, [1, BLOCK, BLOCK + 2], [BLOCK + 1]])
def test_recording_paths_equal_full_run(record, units):
    n = BLOCK + 4
    args, kw = _schedule(2, n, 2, seed=8)
    full = lf.simulate(*args, **kw, n_cycles=20)
    part = lf.simulate(*args, **kw, n_cycles=20, record=record, units=units, record_every=3)
    cols = np.arange(n) if units is None else np.asarray(units)
    for name in part:
        np.testing.assert_array_equal(part[name], full[name][::3][:, cols], err_msg=name)
    assert part.state.equals(full.state)


def test_no_recording_same_state_as_recording():
    args, kw = _schedule(3, BLOCK + 5, 3, seed=9)
    full = lf.simulate(*args, **kw, n_cycles=30)
    none = lf.simulate(*args, **kw, n_cycles=30, record=None)
    assert none.state.equals(full.state)
    np.testing.assert_array_equal(none.spike_count, full.spike_count)


def test_continued_runs_equal_one_run():
    """Starting mid-trial (c0 > 0 within a block's cycle loop) changes nothing."""
    args, kw = _schedule(4, BLOCK + 1, 2, seed=10)
    one = lf.simulate(*args, **kw, n_cycles=15, record_every=2)
    first = lf.simulate(
        *(a[:2] for a in args),
        gc_i=kw["gc_i"][:2],
        fwt=kw["fwt"],
        wt=kw["wt"],
        n_cycles=15,
        record_every=2,
    )
    second = lf.simulate(
        *(a[2:] for a in args), gc_i=kw["gc_i"][2:], state=first.state, n_cycles=15, record_every=2
    )
    assert second.state.equals(one.state)
    np.testing.assert_array_equal(np.concatenate([first["v_m"], second["v_m"]]), one["v_m"])


# --- random populations vs the reference ------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_units=st.integers(1, 2 * BLOCK + 3),
    n_inputs=st.integers(1, 4),
    n_cycles=st.integers(1, 25),
    n_trials=st.integers(1, 3),
    threads=st.integers(1, 3),
    every=st.integers(1, 4),
    gain=st.sampled_from([1.5, 2.5]),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_populations_match_reference(
    n_units, n_inputs, n_cycles, n_trials, threads, every, gain, seed
):
    args, kw = _schedule(n_trials, n_units, n_inputs, seed=seed)
    params = lf.SeedParams(gain=gain, m_lrn=0.5)
    common = dict(params=params, n_cycles=n_cycles, record_every=every, on_nonfinite="ignore")
    fast = lf.simulate(*args, **kw, **common, n_threads=threads)
    ref = lf.simulate(*args, **kw, **common, backend="python")
    assert_same_as_reference(fast, ref)


# --- the kernel's own argument checks --------------------------------------------------


def test_kernel_rejects_mismatched_trace_buffers():
    c = lf.params.derived_constants(lf.SeedParams(), 1)
    x = np.zeros((1, 2, 1))
    us = np.zeros((7, 2))
    ss = np.full((2, 2, 1), 0.5)
    slots = np.full(19, -1, dtype=np.intp)
    slots[2] = 0  # v_m
    slots[17] = 0  # wt
    status = seed_kernel.run_seed(
        c, x, x, x, np.zeros((1, 2)), us, ss, 5, 0, 5, 0, 1, 0, slots,
        np.arange(2, dtype=np.intp), np.zeros((1, 5, 2)), np.zeros((1, 4, 2, 1)),
        np.zeros(2, dtype=np.int64), np.full(2, -1, dtype=np.int64), 1,
    )  # fmt: skip
    assert status == seed_kernel.STATUS_BAD_ARGS


# --- the benchmark script itself ------------------------------------------------------


def test_bench_compare_quick_runs():
    """``python bench/compare.py --quick`` runs end to end (about a second) and prints 1-6."""
    import shlex
    import shutil
    import subprocess
    import sysconfig
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "bench" / "compare.py"
    cc = shlex.split(sysconfig.get_config_var("CC") or "cc")[0]
    if not script.exists() or shutil.which(cc) is None:
        pytest.skip("needs the source tree's bench/ and a C compiler")
    proc = subprocess.run(
        [sys.executable, str(script), "--quick", "--no-brian2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for row in ("1. notebook", "2a.", "2b.", "2c.", "3. ", "4. ", "5a.", "5c.", "6. peak RSS"):
        assert row in proc.stdout, row
    assert "2c. same: yardstick and NumPy final state" in proc.stdout
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("2c."))
    assert line.rstrip().endswith("yes"), line  # the yardsticks compute the same model


def _spikes_with_two_threads(seed):
    args, kw = _schedule(2, 3 * BLOCK, 1, seed=seed)
    return lf.simulate(*args, **kw, n_cycles=20, record=None, n_threads=2).spike_count.tolist()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_forked_child_after_threads_does_not_hang():
    """GNU OpenMP hangs in a child forked after threads ran; the kernel goes serial there."""
    import multiprocessing

    here = _spikes_with_two_threads(0)  # threads used in this (parent) process
    with multiprocessing.get_context("fork").Pool(2) as pool:
        there = pool.map_async(_spikes_with_two_threads, [0, 0]).get(timeout=60)
    assert there == [here, here]
