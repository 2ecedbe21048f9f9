"""Per-unit parameters in the kernel's SIMD blocks: each lane with its own constants.

A sweep of distinct parameter sets runs as one compiled kernel call in which every
block of 64 or 16 lanes reads each constant from its lane (blocks whose units share a
set run with scalar constants, as a uniform run).  Every unit must still have the bits
of a lone ``simulate`` with its parameter set, at every instruction set and thread
count, with traces or not.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_speed_paths import _schedule

import leabra_fast as lf
from leabra_fast.seed import compiled as seed_kernel
from leabra_fast.seed.params import derived_constants

LEVELS = seed_kernel.simd_levels()
BLOCK, MID, NARROW = seed_kernel.WIDTHS


@pytest.fixture
def restore_simd():
    before = seed_kernel.BUILD_INFO["simd"]
    yield
    seed_kernel.select_simd(before)


def _lone(args, kw, u, params, **opts):
    """Unit u of a per-unit-schedule run, run alone with its own parameter set."""
    x, su_s, su_m = (a[:, u : u + 1] for a in args)
    kw1 = {"gc_i": kw["gc_i"][:, u : u + 1], "fwt": kw["fwt"][u : u + 1],
           "wt": kw["wt"][u : u + 1]}  # fmt: skip
    return lf.simulate(x, su_s, su_m, **kw1, params=params, **opts)


def _assert_unit_is_lone(run, lone, u):
    for name in lone:
        assert np.asarray(run[name])[:, u].tobytes() == np.asarray(lone[name])[:, 0].tobytes(), name
    assert run.spike_count[u] == lone.spike_count[0]
    assert run.first_nonfinite[u] == lone.first_nonfinite[0]
    for name in ("fwt", "wt", "v_m", "net", "adapt", "avg_ss", "avg_s", "avg_m", "avg_l"):
        a, b = getattr(run.state, name), getattr(lone.state, name)
        assert a[u].tobytes() == b[0].tobytes(), name


def _distinct_sets(n: int) -> dict[str, np.ndarray]:
    """n parameter sets, every lane of a block different in several constants; SIG gains
    of 1.5 (x*sqrt(x)) and 2.0 (pow) mixed in one block."""
    u = np.arange(n)
    return {
        "lrate": 0.02 + 0.3 * ((u * 7) % 11) / 11,
        "thr": 0.47 + 0.06 * ((u * 5) % 13) / 13,
        "gain": np.where(u % 3 == 0, 2.0, 1.5),
        "m_lrn": 0.5 + (u % 4) / 8,
        "noise": 0.001 * (u % 5),
        "d_rev": 0.05 + 0.1 * (u % 2),
        "v_m_init": 0.3 + 0.01 * (u % 3),
    }


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("record", [None, "all"])
def test_distinct_sets_in_one_call_equal_lone_runs(restore_simd, n_threads, record):
    """Full, 16-lane and padded left-over blocks of distinct sets, at every level."""
    n = 2 * BLOCK + MID + 3
    args, kw = _schedule(2, n, 2, seed=5)
    fields = _distinct_sets(n)
    params = lf.SeedParams(**fields)
    lone_runs = [
        _lone(args, kw, u, lf.SeedParams(**{k: float(v[u]) for k, v in fields.items()}),
              n_cycles=30, record=record or ["v_m"])
        for u in range(n)
    ]  # fmt: skip
    assert sum(int(r.spike_count[0]) for r in lone_runs) > 0
    for level in LEVELS:
        seed_kernel.select_simd(level)
        run = lf.simulate(*args, **kw, params=params, n_cycles=30, record=record,
                          n_threads=n_threads)  # fmt: skip
        for u in range(n):
            lone = lone_runs[u]
            if record is None:  # summaries only: state and spikes
                assert run.spike_count[u] == lone.spike_count[0]
                assert run.state.wt[u].tobytes() == lone.state.wt[0].tobytes()
                assert run.state.v_m[u].tobytes() == lone.state.v_m[0].tobytes()
            else:
                _assert_unit_is_lone(run, lone, u)


@pytest.mark.parametrize("n_inputs", [1, 2])
def test_distinct_sets_streamed_traces_equal_lone_runs(restore_simd, monkeypatch, n_inputs):
    """Trace rows written by non-temporal stores (full blocks, every level): the same bits."""
    n = 2 * BLOCK + 5
    args, kw = _schedule(2, n, n_inputs, seed=11)
    fields = _distinct_sets(n)
    lone_runs = [
        _lone(args, kw, u, lf.SeedParams(**{k: float(v[u]) for k, v in fields.items()}),
              n_cycles=20, record="all")
        for u in range(n)
    ]  # fmt: skip
    for level in LEVELS:
        seed_kernel.select_simd(level)
        monkeypatch.setattr(seed_kernel.current(), "STREAM_MIN_BYTES", 0)
        run = lf.simulate(*args, **kw, params=lf.SeedParams(**fields), n_cycles=20,
                          record="all")  # fmt: skip
        for u in range(n):
            _assert_unit_is_lone(run, lone_runs[u], u)


def test_uniform_and_per_lane_blocks_mixed():
    """A block of one set (scalar constants) next to blocks of distinct sets."""
    n = BLOCK + MID + 40
    args, kw = _schedule(2, n, 1, seed=9)
    lr = np.concatenate([np.full(BLOCK, 0.1), np.linspace(0.0, 0.3, n - BLOCK)])
    gain = np.concatenate([np.full(BLOCK + 8, 2.0), np.full(n - BLOCK - 8, 1.5)])
    run = lf.simulate(*args, **kw, params=lf.SeedParams(lrate=lr, gain=gain), n_cycles=25,
                      record="all")  # fmt: skip
    for u in range(n):
        lone = _lone(args, kw, u, lf.SeedParams(lrate=float(lr[u]), gain=float(gain[u])),
                     n_cycles=25, record="all")  # fmt: skip
        _assert_unit_is_lone(run, lone, u)


@settings(max_examples=10, deadline=None)
@given(
    n=st.integers(1, 2 * BLOCK + 7),
    seed=st.integers(0, 2**16),
    n_inputs=st.sampled_from([1, 3]),
    n_threads=st.sampled_from([1, 2]),
)
def test_random_sets_equal_lone_runs(n, seed, n_inputs, n_threads):
    """Random sets from small pools (repeats make some blocks uniform, units of one set
    scattered, not runs), any population size: every unit a lone run's bits."""
    rng = np.random.default_rng(seed)
    fields = {
        "lrate": rng.choice([0.0, 0.04, 0.3], n),
        "thr": rng.choice([0.48, 0.5, 0.52], n),
        "gain": rng.choice([1.5, 3.0], n),
        "dt_net_dt": rng.choice([0.7, 0.8], n),
        "gc_i_reversal": rng.choice(["e_rev_e", "e_rev_i"], n),
    }
    args, kw = _schedule(2, n, n_inputs, seed=seed)
    run = lf.simulate(*args, **kw, params=lf.SeedParams(**fields), n_cycles=20, record="all",
                      n_threads=n_threads)  # fmt: skip
    for u in rng.choice(n, min(n, 12), replace=False):
        p = lf.SeedParams(**{k: (str(v[u]) if k == "gc_i_reversal" else float(v[u]))
                             for k, v in fields.items()})  # fmt: skip
        _assert_unit_is_lone(run, _lone(args, kw, u, p, n_cycles=20, record="all"), u)


def test_unit_constants_rows_are_derived_constants():
    """The per-unit table has, row by row, the bits of derived_constants of each set,
    in the kernel's field order (its own row of a dict: consts_row)."""
    from leabra_fast.seed.simulation import unit_constants

    names = seed_kernel.CONST_NAMES
    fields = _distinct_sets(50)
    params = lf.SeedParams(**fields, adapt_dt=1 / 144, avg_l_max=[1.5] * 25 + [2.0] * 25)
    table = unit_constants(params, 50, 3)
    for u in range(50):
        p = lf.SeedParams(**{k: float(v[u]) for k, v in fields.items()}, adapt_dt=1 / 144,
                          avg_l_max=1.5 if u < 25 else 2.0)  # fmt: skip
        d = derived_constants(p, 3)
        assert table[u].tobytes() == np.array([d[k] for k in names]).tobytes()
        assert table[u].tobytes() == seed_kernel.consts_row(d).tobytes()
    assert set(names) == set(derived_constants(lf.SeedParams(), 1))


def test_kernel_refuses_bad_unit_consts_shape():
    c = derived_constants(lf.SeedParams(), 1)
    n = 3
    x = np.ones((1, n, 1))
    g = np.zeros((1, n))
    args = (x, x, x, g, np.zeros((7, n)), np.full((2, n, 1), 0.5), 10, 0, 10, 0, 1, 0,
            np.full(19, -1, dtype=np.intp), np.full(n, -1, dtype=np.intp),
            np.zeros((0, 0, 0)), np.zeros((0, 0, 0, 0)), np.zeros(n, dtype=np.int64),
            np.full(n, -1, dtype=np.int64), 1)  # fmt: skip
    k = len(seed_kernel.CONST_NAMES)
    row = seed_kernel.consts_row(c)
    assert seed_kernel.run_seed(c, *args, np.tile(row, (n, 1))) == seed_kernel.STATUS_OK
    for shape in [(n - 1, k), (n + 1, k), (n, k - 1), (n, k + 1)]:
        status = seed_kernel.run_seed(c, *args, np.zeros(shape))
        assert status == seed_kernel.STATUS_BAD_ARGS, shape


@settings(max_examples=40, deadline=None)
@given(
    avg_l_min=st.lists(st.sampled_from([0.1, 0.2, 2.5]), min_size=3, max_size=3),
    avg_l_max=st.lists(st.sampled_from([0.5, 1.5]), min_size=3, max_size=3),
    avg_l_lrn_min=st.lists(st.sampled_from([0.0001, 0.0005, 0.1]), min_size=3, max_size=3),
    avg_l_lrn_max=st.lists(st.sampled_from([0.001, 0.5]), min_size=3, max_size=3),
    dt_vm_dt=st.lists(st.sampled_from([0.1, 0.3, 1.0]), min_size=3, max_size=3),
)
def test_all_units_check_accepts_what_the_scalar_check_accepts(**lists):
    """Per-unit arrays are checked on all units at once; a set is refused exactly when
    the scalar check refuses it, and the error names the first bad unit as before."""
    arrays = {k: np.array(v) for k, v in lists.items()}
    first_bad, message = None, None
    for u in range(3):
        try:
            lf.SeedParams(**{k: float(v[u]) for k, v in arrays.items()})
        except lf.ParameterError as exc:
            first_bad, message = u, str(exc)
            break
    if first_bad is None:
        p = lf.SeedParams(**arrays)
        fields = {**{k: getattr(p, k) for k in p.to_dict()}, **arrays}
        assert p._check_combined_units(fields) is True
    else:
        with pytest.raises(lf.ParameterError) as info:
            lf.SeedParams(**arrays)
        assert str(info.value) == f"unit {first_bad}: {message}"


def test_float_array_fields_checked_by_value_and_named_at_first_bad_unit():
    with pytest.raises(lf.ParameterError, match=r"lrate\[unit 1\] must be a number >= 0"):
        lf.SeedParams(lrate=np.array([0.1, -1.0, 0.2, -1.0]))
    with pytest.raises(lf.ParameterError, match=r"thr\[unit 2\] must be"):
        lf.SeedParams(thr=np.array([0.5, 0.5, np.nan]))
    p = lf.SeedParams(lrate=np.array([0.1, -0.0, 0.0]))
    assert p.lrate.tobytes() == np.array([0.1, -0.0, 0.0]).tobytes()
    assert not p.lrate.flags.writeable


def test_unit_constants_every_field_varied():
    """Every float field of SeedParams per unit at once: each table row still has the
    bits of derived_constants of its unit's set (a new derived constant computed
    otherwise than by + - * / would show here)."""
    import dataclasses

    from leabra_fast.seed.simulation import unit_constants

    n = 24
    defaults = lf.SeedParams()
    scale = np.linspace(0.9, 1.0, n) + 1e-3 * np.sin(np.arange(n))  # not round numbers
    fields = {
        f.name: getattr(defaults, f.name) * np.minimum(scale, 1.0)
        for f in dataclasses.fields(defaults)
        if isinstance(getattr(defaults, f.name), float) and getattr(defaults, f.name) != 0.0
    }
    assert len(fields) > 25
    params = lf.SeedParams(**fields)
    table = unit_constants(params, n, 4)
    for u in range(n):
        d = derived_constants(lf.SeedParams(**{k: float(v[u]) for k, v in fields.items()}), 4)
        assert table[u].tobytes() == np.array([d[k] for k in seed_kernel.CONST_NAMES]).tobytes()
