"""The compiled seed kernel keeps the exact bits recorded before its move to Cython.

``tests/data/seed_kernel_hashes.json`` holds SHA-256 digests of every trace and the
final state over a matrix of runs (widths 1..130 units, 1 and 3 inputs, both SIG
gain paths, runaway units, unit subsets, record_every > 1, continued and chunked
runs, streamed traces), taken with the hand-written C kernel by
``tests/make_kernel_hashes.py``.  Every SIMD level and thread count must give them.
"""

import json

import pytest
from make_kernel_hashes import PATH, cases, compute, kernel

EXPECTED = json.loads(PATH.read_text())
CASES = dict(cases())


def test_the_matrix_is_the_recorded_one():
    assert sorted(CASES) == sorted(EXPECTED)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("level", kernel().simd_levels())
@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_gives_the_recorded_bits(name, level, n_threads):
    got = compute(CASES[name], level, n_threads)
    assert sorted(got) == sorted(EXPECTED[name])
    wrong = sorted(k for k in got if got[k] != EXPECTED[name][k])
    assert not wrong, f"{name} at {level} x {n_threads} threads: {wrong}"


def test_streamed_cases_cross_the_streaming_threshold():
    import numpy as np

    import leabra_fast as lf

    case = CASES["streamed_N130_J3"]
    n_rows = 4 * case["n_cycles"]
    unit_bytes = 13 * n_rows * case["n_units"] * 8
    assert unit_bytes >= kernel().STREAM_MIN_BYTES
    runaway = CASES["runaway_N70"]
    args = (np.full((3, 70, 1), 1.0),)
    res = lf.simulate(*args, params=lf.SeedParams(spk_thr=1e6, exp_slope=0.01),
                      n_cycles=runaway["n_cycles"], on_nonfinite="ignore", record=None)
    assert (res.first_nonfinite >= 0).all()
