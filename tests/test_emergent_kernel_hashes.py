"""The compiled emergent kernel keeps its bits: SHA-256 of every case's traces and state.

The hashes in ``tests/data/emergent_kernel_hashes.json`` were taken with the
hand-written C kernel before it moved to typed Cython (``emergent_hash_cases.py``
lists the cases and regenerates the file).  Every case must give them at every SIMD
level and with 1 and 2 threads.
"""

import json

import pytest
from emergent_hash_cases import (
    HASH_FILE,
    THREADS,
    case_names,
    kernel_module,
    run_case,
    scalar_hashes,
)

K = kernel_module()
EXPECTED = json.loads(HASH_FILE.read_text())
LEVELS = K.simd_levels()


@pytest.fixture
def at_level(request):
    before = K.select_simd(request.param)
    yield request.param
    K.select_simd(before)


def test_every_case_is_stored():
    assert sorted(EXPECTED["cases"]) == sorted(case_names())
    assert len(EXPECTED["cases"]) > 500


@pytest.mark.parametrize("at_level", LEVELS, indirect=True)
@pytest.mark.parametrize("n_threads", THREADS)
def test_every_case_gives_the_stored_bits(at_level, n_threads):
    wrong = []
    for name in case_names():
        got, want = run_case(name, n_threads), EXPECTED["cases"][name]
        if got != want:
            wrong.append((name, sorted(k for k in want if got.get(k) != want[k])))
    assert not wrong, f"{len(wrong)} cases differ at {at_level}, {n_threads} threads: {wrong[:5]}"


@pytest.mark.parametrize("at_level", LEVELS, indirect=True)
def test_scalar_functions_give_the_stored_bits(at_level):
    got = scalar_hashes(K)
    assert got == EXPECTED["scalars"], sorted(k for k in got if got[k] != EXPECTED["scalars"][k])
