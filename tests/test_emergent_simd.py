"""The blocked SIMD emergent kernel: every mode, width and instruction set against the reference.

The kernel runs units in blocks of ``BLOCK`` lanes (``WIDTHS``: full blocks, then
16 and 4 for what is left), every branch of the equations a select, with one entry
point per instruction set.  A unit's bits must not depend on the level, the block
width or the position it lands in, and every mode must agree with the NumPy
reference to rtol 1e-12 with identical spike trains.
"""

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import assert_traces_close
from test_emergent_threads import assert_bitwise_equal

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams, derived_constants
from leabra_fast.emergent import compiled as K
from leabra_fast.emergent import reference as R

LEVELS = K.simd_levels()
BLOCK, MID, NARROW = K.WIDTHS

#: Every mode the kernel specialises: rate code (closed form, table), spiking, AdEx,
#: adaptation (emergent and seed forms), KNa, midpoint or Euler, presets, SIG gains
#: (integer by multiplication, 1.5 by sqrt, other by libm pow), learning every cycle.
MODES = {
    "rate_closed": EmergentParams(),
    "rate_table": EmergentParams(nxx1="table"),
    "rate_kna_adapt": EmergentParams(kna_on=True, adapt_on=True, wt_sig_gain=2.5),
    "go": EmergentParams.go(),
    "emergent81": EmergentParams.emergent81(),
    "spike": EmergentParams(act_fun="spike"),
    "spike_adex_kna": EmergentParams(act_fun="spike", ex=True, adapt_on=True, kna_on=True,
                                     t_r=2),
    "neuron": EmergentParams.neuron(adapt=True, kna=True),
    "seed": EmergentParams.seed(),
    "every_cycle": EmergentParams(quirk_learn_every_cycle=True, soft_bound=False,
                                  wt_sig_gain=3.0, lrn_thr=0.3),
}  # fmt: skip


@pytest.fixture
def restore_simd():
    before = K.BUILD_INFO["simd"]
    yield
    K.select_simd(before)


def _kwargs(
    p: EmergentParams, n_units: int, n_inputs: int = 2, seed: int = 0, n_trials: int = 2
) -> dict:
    """Random schedules with clamped units (ext in any phase, targ in the plus phase)."""
    rng = np.random.default_rng(seed)
    nc = p.cycles_per_trial
    ext = np.where(rng.uniform(size=(n_trials, nc, n_units)) < 0.1, rng.uniform(0, 1.2), np.nan)
    targ = np.where(rng.uniform(size=(n_trials, n_units)) < 0.3, rng.uniform(0, 1), np.nan)
    return dict(
        inputs=rng.uniform(0, 1, (n_trials, n_units, n_inputs)),
        su_avg_s_eff=rng.uniform(0, 1, (n_trials, n_units, n_inputs)),
        ge=rng.uniform(0, 0.8, (n_trials, nc, n_units)),
        gc_i=rng.uniform(0, 0.3, (n_trials, n_units)),
        ext=ext, targ=targ, params=p, model="emergent",
        fwt=rng.uniform(0.05, 0.95, (n_units, n_inputs)),
    )  # fmt: skip


def _assert_agree(fast: lf.SimulationResult, ref: lf.SimulationResult) -> None:
    assert list(fast) == list(ref)
    for name in ref:
        assert_traces_close(fast[name], ref[name], rtol=1e-12, name=name)
    np.testing.assert_array_equal(fast["spike"], ref["spike"])
    np.testing.assert_array_equal(fast.spike_count, ref.spike_count)
    np.testing.assert_array_equal(fast.first_nonfinite, ref.first_nonfinite)
    assert_traces_close(fast.extra["act_q"], ref.extra["act_q"], rtol=1e-12, name="act_q")
    for name in fast.state.UNIT_STATE + fast.state.SYNAPSE_STATE:
        assert_traces_close(getattr(fast.state, name), getattr(ref.state, name), name=name)


def test_widths_and_levels_are_listed():
    assert BLOCK > MID > NARROW >= 1 and BLOCK == K.BUILD_INFO["block"]
    assert LEVELS[-1] == "baseline" and set(LEVELS) <= {"avx512", "avx2", "baseline"}
    if not os.environ.get("LEABRA_FAST_SIMD"):
        assert K.BUILD_INFO["simd"] == LEVELS[0]


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("n_units", [1, 3, 5, 17, 70])  # narrow, mid, a full block + rest
def test_every_mode_and_remainder_agrees_with_the_reference(mode, n_units):
    kw = _kwargs(MODES[mode], n_units, seed=n_units)
    fast = lf.simulate(backend="cython", **kw)
    ref = lf.simulate(backend="python", **kw)
    _assert_agree(fast, ref)
    if MODES[mode].act_fun == "spike" and n_units >= 5:
        assert fast.spike_count.sum() > 0


@pytest.mark.parametrize("mode", ["rate_closed", "rate_table", "spike_adex_kna", "seed",
                                  "every_cycle"])  # fmt: skip
def test_every_level_gives_the_same_bits(restore_simd, mode):
    n_units = 2 * BLOCK + MID + 5  # full blocks, a 16-lane block and a narrow one
    kw = _kwargs(MODES[mode], n_units, seed=7)
    runs = {}
    for level in LEVELS:
        K.select_simd(level)
        assert K.BUILD_INFO["simd"] == level
        runs[level] = lf.simulate(**kw, record="all")
    for level in LEVELS[1:]:
        assert_bitwise_equal(runs[LEVELS[0]], runs[level])


@pytest.mark.parametrize("mode", ["rate_closed", "spike_adex_kna", "seed"])
def test_a_unit_gets_the_same_bits_whatever_block_it_lands_in(mode):
    """Unit k of a 70-unit run (a 64-lane block or the narrow rest) equals it run alone."""
    n_units = BLOCK + 6
    kw = _kwargs(MODES[mode], n_units, seed=3)
    full = lf.simulate(**kw, record="all")
    for k in (0, 5, BLOCK - 1, BLOCK, n_units - 1):
        alone_kw = dict(kw)
        for name in ("inputs", "su_avg_s_eff"):  # (trial, unit, input)
            alone_kw[name] = kw[name][:, k : k + 1]
        for name in ("ge", "gc_i", "ext", "targ"):  # units last
            alone_kw[name] = kw[name][..., k : k + 1]
        alone_kw["fwt"] = kw["fwt"][k : k + 1]
        alone = lf.simulate(**alone_kw, record="all")
        for name in full:
            assert full[name][:, k].tobytes() == alone[name][:, 0].tobytes(), (name, k)
        assert full.spike_count[k] == alone.spike_count[0]


def test_more_threads_than_one_block_give_the_same_bits():
    kw = _kwargs(MODES["spike_adex_kna"], 3 * BLOCK + 5, seed=11)
    one = lf.simulate(**kw, n_threads=1, record="all")
    two = lf.simulate(**kw, n_threads=2, record="all")
    assert_bitwise_equal(one, two)


def test_recording_a_subset_every_k_cycles_agrees():
    kw = _kwargs(MODES["spike_adex_kna"], BLOCK + MID + 3, seed=5)
    kw.update(record="all", units=[0, 2, BLOCK + 1, BLOCK + MID + 2], record_every=3)
    _assert_agree(lf.simulate(backend="cython", **kw), lf.simulate(backend="python", **kw))


@pytest.mark.parametrize("level", LEVELS)
def test_nonfinite_units_are_reported_alike_at_every_level(restore_simd, level):
    """AdEx with no spike threshold in reach and no v_m bound runs away to inf/NaN."""
    p = EmergentParams(act_fun="spike", ex=True, spk_thr=1e6, vm_max=math.inf, exp_slope=0.01)
    kw = _kwargs(p, BLOCK + 7, seed=2)
    kw["ge"] = kw["ge"] + 0.5  # every unit driven far above threshold
    K.select_simd(level)
    fast = lf.simulate(backend="cython", **kw, on_nonfinite="ignore")
    ref = lf.simulate(backend="python", **kw, on_nonfinite="ignore")
    assert (fast.first_nonfinite >= 0).sum() > BLOCK // 2
    np.testing.assert_array_equal(fast.first_nonfinite, ref.first_nonfinite)


# --- SIG's power, scalar functions ----------------------------------------------------


@pytest.mark.parametrize("gain, kind", [(1.5, -1), (1.0, 1), (6.0, 6), (16.0, 16),
                                        (17.0, 0), (2.5, 0), (0.5, 0)])  # fmt: skip
def test_sig_power_path_by_gain(gain, kind):
    assert K.sig_pow_kind(gain) == kind


@pytest.mark.parametrize("n", range(1, 17))
def test_integer_power_is_within_a_few_ulp_of_pow(n):
    b = np.concatenate([np.geomspace(1e-6, 1e6, 201), [0.0, 1.0, 0.37, 2.0]])
    got = np.array([K.pow_int_scalar(float(v), n) for v in b])
    want = b**n
    np.testing.assert_allclose(got, want, rtol=(n + 1) * 2.3e-16, atol=0)


def test_integer_power_keeps_ieee_specials():
    assert K.pow_int_scalar(math.inf, 6) == math.inf
    assert math.isnan(K.pow_int_scalar(math.nan, 6))
    assert K.pow_int_scalar(-2.0, 3) == -8.0
    assert K.pow_int_scalar(1e200, 2) == math.inf  # overflows like pow
    with pytest.raises(ValueError, match="n must be >= 1"):
        K.pow_int_scalar(2.0, 0)


@pytest.mark.parametrize("gain", [1.0, 1.5, 2.0, 2.5, 3.0, 6.0, 7.0, 16.0, 17.0])
@pytest.mark.parametrize("seed_form", [False, True])
def test_sig_matches_the_reference_for_every_power_path(gain, seed_form):
    c = derived_constants(EmergentParams(wt_sig_gain=gain, quirk_sig_seed=seed_form), 1)
    w = np.concatenate([np.linspace(-0.1, 1.1, 241), [0.0, 1.0, 1e-9, 1 - 1e-9]])
    got = np.array([K.sig_scalar(c, float(v)) for v in w])
    want = R.sig(w, c)
    np.testing.assert_allclose(got, want, rtol=gain * 2.3e-16 + 1e-15, atol=0)


# --- selecting the level -----------------------------------------------------------------


def test_select_simd_returns_the_previous_level(restore_simd):
    before = K.BUILD_INFO["simd"]
    assert K.select_simd("baseline") == before
    assert K.BUILD_INFO["simd"] == "baseline"
    assert K.select_simd(None) == "baseline"
    assert K.BUILD_INFO["simd"] == LEVELS[0]


@pytest.mark.parametrize("name", ["sse9", "AVX2 ", "avx-512"])
def test_select_simd_rejects_unknown_names(restore_simd, name):
    before = K.BUILD_INFO["simd"]
    with pytest.raises(ValueError, match="unknown SIMD level"):
        K.select_simd(name)
    assert K.BUILD_INFO["simd"] == before


def test_environment_variable_selects_the_level():
    env = dict(os.environ, LEABRA_FAST_SIMD="baseline")
    code = "from leabra_fast.emergent import compiled as k; print(k.BUILD_INFO['simd'])"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "baseline"


@pytest.mark.parametrize("gain", [6.0, 1.5, 2.0])
@pytest.mark.parametrize("soft_bound", [True, False])
def test_learning_while_recording_gives_the_same_weights(gain, soft_bound):
    """Recording cycles learn in separate passes (SIG's power in a loop of its own); the
    others fuse SIG into the learning loop for gains 6 and 1.5: the same bits either way."""
    p = EmergentParams(
        quirk_learn_every_cycle=True, wt_sig_gain=gain, soft_bound=soft_bound, lrn_thr=0.2
    )
    kw = _kwargs(p, BLOCK + MID + 3, n_inputs=3, seed=int(gain * 10))
    plain = lf.simulate(**kw, record=None)
    recorded = lf.simulate(**kw, record="all", record_every=2)
    assert plain.state.fwt.tobytes() == recorded.state.fwt.tobytes()
    assert plain.state.wt.tobytes() == recorded.state.wt.tobytes()
    frozen = lf.simulate(**{**kw, "params": p.replace(lrate=0.0)}, record=None)
    assert not np.array_equal(plain.state.wt, frozen.state.wt)  # the weights did learn


@pytest.mark.parametrize("chunk_cycles", [None, 37])
def test_recorded_windows_agree_with_the_reference(chunk_cycles):
    """Recording runs blocks through windows of cycles (and runs may come in chunks that
    do not line up with windows or trials): every row must still agree."""
    p = EmergentParams(act_fun="spike", adapt_on=True, cyc_per_qtr=13)  # 52-cycle trials
    kw = _kwargs(p, 2 * BLOCK + 3, seed=9, n_trials=3)
    fast = lf.simulate(backend="cython", **kw, record="all", chunk_cycles=chunk_cycles)
    _assert_agree(fast, lf.simulate(backend="python", **kw, record="all"))
    whole = lf.simulate(backend="cython", **kw, record="all")
    assert_bitwise_equal(fast, whole)
