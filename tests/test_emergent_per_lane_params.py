"""Emergent per-unit parameters in the kernel's SIMD blocks: each lane with its own constants.

Parameter sets that are runs of units (a sweep's points) go to the compiled emergent
kernel in one call.  A block whose units share one set runs with scalar constants, as a
uniform run; a block of several sets reads each constant from its lane (and its lane's
NXX1 table and avg_l gate).  Sets whose mode differs (spiking or rate code, table,
adaptation, KNa, the quirks, SIG's power) never share a block.  Every unit must have the
bits of a lone ``simulate(model="emergent")`` with its set, at every instruction set and
thread count, with traces or not.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams
from leabra_fast.emergent import compiled as ekernel

LEVELS = ekernel.simd_levels()
BLOCK, MID, NARROW = ekernel.WIDTHS
CYC = 5  # cycles per quarter: 20-cycle trials


@pytest.fixture
def restore_simd():
    before = ekernel.BUILD_INFO["simd"]
    yield
    ekernel.select_simd(before)


def _schedule(n_trials: int, n: int, n_inputs: int, seed: int) -> dict[str, np.ndarray]:
    """Per-unit schedules: sending activity, excitatory drive and inhibition."""
    rng = np.random.default_rng(seed)
    return {
        "inputs": rng.uniform(0.0, 1.0, (n_trials, n, n_inputs)),
        "ge": rng.uniform(0.0, 0.6, (n_trials, 4 * CYC, n)),
        "gc_i": rng.uniform(0.0, 0.3, (n_trials, 4 * CYC, n)),
        "fwt": rng.uniform(0.2, 0.8, (n, n_inputs)),
    }


def _unit(sched: dict[str, np.ndarray], u: int) -> dict[str, np.ndarray]:
    return {
        "inputs": sched["inputs"][:, u : u + 1],
        "ge": sched["ge"][:, :, u : u + 1],
        "gc_i": sched["gc_i"][:, :, u : u + 1],
        "fwt": sched["fwt"][u : u + 1],
    }


def _run(sched: dict[str, np.ndarray], params: EmergentParams, **opts) -> lf.SimulationResult:
    x = sched["inputs"]
    return lf.simulate(x, x, x, ge=sched["ge"], gc_i=sched["gc_i"], fwt=sched["fwt"],
                       params=params, model="emergent", **opts)  # fmt: skip


def _assert_unit_is_lone(run, lone, u: int, traces: bool) -> None:
    assert run.spike_count[u] == lone.spike_count[0]
    assert run.first_nonfinite[u] == lone.first_nonfinite[0]
    for name in ("fwt", "wt", "v_m", "act", "act_nd", "adapt", "isi_avg", "avg_s", "avg_m",
                 "avg_l", "gkna_f"):  # fmt: skip
        a, b = getattr(run.state, name), getattr(lone.state, name)
        assert a[u].tobytes() == b[0].tobytes(), name
    if traces:
        for name in lone.traces:
            got, want = np.asarray(run[name])[:, u], np.asarray(lone[name])[:, 0]
            assert got.tobytes() == want.tobytes(), name


def _sets(n: int, base: EmergentParams) -> list[EmergentParams]:
    """n parameter sets of one mode, every lane of a block different in several
    constants (those a sweep varies most: learning, threshold, gains, leak)."""
    return [
        base.replace(
            lrate=0.01 + 0.05 * ((k * 7) % 11) / 11, thr=0.48 + 0.04 * ((k * 5) % 13) / 13,
            g_bar_l=0.08 + 0.04 * (k % 4), gain=80.0 + 20.0 * (k % 3),
            d_rev=0.05 + 0.1 * (k % 2), vm_gain=0.02 * (k % 3),
        )
        for k in range(n)
    ]


def _per_unit(sets: list[EmergentParams]) -> EmergentParams:
    """One EmergentParams with every field that differs among the sets per unit."""
    base = sets[0]
    fields = {}
    for name in base.to_dict():
        values = [getattr(p, name) for p in sets]
        if any(v != values[0] for v in values):
            fields[name] = np.asarray(values)
    return base.replace(**fields)


PRESETS = {
    "spike": EmergentParams.neuron("spike").replace(cyc_per_qtr=CYC),
    "rate": EmergentParams.neuron("rate").replace(cyc_per_qtr=CYC),
    "emergent81": EmergentParams.emergent81(cyc_per_qtr=CYC),  # NXX1 from its table
    "go": EmergentParams.go(cyc_per_qtr=CYC),
    "seed": EmergentParams.seed(cyc_per_qtr=CYC),
}


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("traces", [False, True])
def test_distinct_sets_in_one_call_equal_lone_runs(restore_simd, preset, n_threads, traces):
    """Full, 16-lane, narrow and padded blocks of distinct sets, at every level."""
    n = BLOCK + MID + NARROW + 3
    sched = _schedule(3, n, 2, seed=5)
    sets = _sets(n, PRESETS[preset])
    record = "all" if traces else None
    lone_runs = [_run(_unit(sched, u), p, record=record or ["v_m"]) for u, p in enumerate(sets)]
    assert sum(int(r.spike_count[0]) for r in lone_runs) > 0 or preset != "spike"
    for level in LEVELS:
        ekernel.select_simd(level)
        run = _run(sched, _per_unit(sets), record=record, n_threads=n_threads)
        for u in range(n):
            _assert_unit_is_lone(run, lone_runs[u], u, traces)


def test_per_lane_blocks_run_in_one_call(monkeypatch):
    """A sweep's points reach the kernel as one grouped call (not one call per set)."""
    from leabra_fast.emergent import simulation as esim

    def no_groups(*args: object, **kw: object) -> int:
        raise AssertionError("one kernel call expected, not one per group")

    monkeypatch.setattr(esim, "run_groups", no_groups)
    sched = _schedule(2, 40, 1, seed=3)
    sets = _sets(40, PRESETS["go"])
    run = _run(sched, _per_unit(sets), record=["v_m"], n_threads=2)
    monkeypatch.undo()
    lone = _run(_unit(sched, 17), sets[17], record=["v_m"])
    _assert_unit_is_lone(run, lone, 17, traces=True)


def test_modes_mixed_in_a_block_are_split():
    """Neighbouring sets of different modes (rate code and spiking, adaptation, KNa, SIG
    power, table or closed form, quirks): blocks cut where the mode changes, each unit
    still a lone run's bits."""
    n = BLOCK + MID + 9
    sched = _schedule(2, n, 2, seed=13)
    kinds = [
        PRESETS["go"],
        PRESETS["go"].replace(act_fun="spike"),
        PRESETS["go"].replace(adapt_on=True),
        PRESETS["go"].replace(kna_on=True),
        PRESETS["go"].replace(wt_sig_gain=1.5),
        PRESETS["go"].replace(wt_sig_gain=2.5),
        PRESETS["go"].replace(nxx1="table"),
        PRESETS["go"].replace(soft_bound=False),
    ]
    # Runs of 1..7 units of a kind, the kinds cycling, each unit its own lrate.
    sets, k = [], 0
    while len(sets) < n:
        for _ in range(1 + (k * 3) % 7):
            sets.append(kinds[k % len(kinds)].replace(lrate=0.01 + 0.001 * len(sets)))
        k += 1
    sets = sets[:n]
    run = _run(sched, _per_unit(sets), record="all", n_threads=2)
    for u in range(n):
        _assert_unit_is_lone(run, _run(_unit(sched, u), sets[u], record="all"), u, traces=True)


def test_uniform_and_per_lane_blocks_mixed_with_the_avg_l_gate():
    """Runs of one set (scalar blocks) beside blocks of distinct sets; each set its own
    layer for emergent's avg_l gate (a lone run's gate), which opens for some sets and
    not others."""
    base = PRESETS["go"].replace(avg_l_gate=True)
    sizes = [BLOCK + 3, 1, 1, 2, 30, 1, MID]
    thr = [0.0, 0.5, 0.001, 0.2, 0.01, 0.05, 1.0]  # lay_act_thr: open, shut or in between
    sets = [
        base.replace(lay_act_thr=t, lrate=0.02 + 0.01 * k)
        for k, (size, t) in enumerate(zip(sizes, thr, strict=True))
        for _ in range(size)
    ]
    n = len(sets)
    sched = _schedule(4, n, 1, seed=21)
    run = _run(sched, _per_unit(sets), record=["avg_l", "v_m"], n_threads=2)
    start = 0
    for size in sizes:
        p = sets[start]
        sub = {k: (v[:, :, start : start + size] if k in ("ge", "gc_i") else
                   (v[:, start : start + size] if k == "inputs" else v[start : start + size]))
               for k, v in sched.items()}  # fmt: skip
        lone = _run(sub, p, record=["avg_l", "v_m"])
        sl = slice(start, start + size)
        assert np.asarray(run["avg_l"])[:, sl].tobytes() == np.asarray(lone["avg_l"]).tobytes()
        assert np.asarray(run["v_m"])[:, sl].tobytes() == np.asarray(lone["v_m"]).tobytes()
        assert run.state.avg_l[sl].tobytes() == lone.state.avg_l.tobytes()
        start += size
    assert start == n


@settings(max_examples=12, deadline=None)
@given(
    n=st.integers(1, BLOCK + MID + 7),
    seed=st.integers(0, 2**16),
    n_inputs=st.sampled_from([1, 3]),
    n_threads=st.sampled_from([1, 2]),
    preset=st.sampled_from(list(PRESETS)),
)
def test_random_sets_equal_lone_runs(n, seed, n_inputs, n_threads, preset):
    """Random sets from small pools (repeats make runs of one set and scalar blocks; an
    occasional other mode splits blocks): every sampled unit a lone run's bits."""
    rng = np.random.default_rng(seed)
    base = PRESETS[preset]
    pools = {
        "lrate": [0.0, 0.02, 0.1],
        "thr": [0.48, 0.5, 0.52],
        "g_bar_l": [0.1, 0.2],
        "wt_sig_gain": [6.0, 6.0, 6.0, 1.5],
        "adapt_on": [False, False, False, True],
        "decay": [0.0, 0.5],
    }
    choice = {k: rng.integers(0, len(v), n) for k, v in pools.items()}
    # Repeats only as runs of units (scattered repeats take the per-group path instead):
    # a unit repeats the one before, or gets a set no other unit has (init_net differs).
    sets: list[EmergentParams] = []
    for u in range(n):
        if sets and rng.random() < 0.3:
            sets.append(sets[-1])
            continue
        values = {k: pools[k][int(choice[k][u])] for k in pools}
        sets.append(base.replace(**values, init_net=1e-9 * u))
    sched = _schedule(2, n, n_inputs, seed=seed)
    run = _run(sched, _per_unit(sets) if n > 1 else sets[0], record="all", n_threads=n_threads)
    for u in rng.choice(n, min(n, 10), replace=False):
        _assert_unit_is_lone(run, _run(_unit(sched, u), sets[u], record="all"), u, traces=True)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    preset=st.sampled_from(list(PRESETS)),
    names=st.lists(st.sampled_from(["gain", "nvar", "sig_mult", "sig_mult_pow", "thr", "lrate",
                                    "net_tau", "vm_tau", "avg_l_tau", "g_bar_l", "interp_range",
                                    "gain_cor", "adapt_dt", "d_rev", "m_in_s", "act_max_hz"]),
                   min_size=1, max_size=4, unique=True),
)  # fmt: skip
def test_constants_of_all_sets_at_once_have_each_sets_bits(seed, preset, names):
    """derived_constants_units (a sweep's constants without a scalar instance per set):
    every set's constants, ** and the XX1 term included, have derived_constants' bits."""
    from leabra_fast.core.paramspec import vars_of
    from leabra_fast.emergent.params import derived_constants, derived_constants_units

    rng = np.random.default_rng(seed)
    base = PRESETS[preset]
    n = 40
    arrays = {}
    for name in names:
        v = getattr(base, name)
        arrays[name] = v * rng.uniform(0.8, 1.0, n) if v else rng.uniform(0.0, 0.1, n)
    try:
        p = base.replace(**arrays)
    except ValueError:
        return  # a drawn value out of range: nothing to compare
    many = derived_constants_units({**vars_of(p), **p.per_unit}, 3)
    assert many is not None
    for u in range(n):
        one = derived_constants(base.replace(**{k: float(v[u]) for k, v in arrays.items()}), 3)
        for key, value in one.items():
            got = many[key] if many[key].ndim == 0 else many[key][u]
            assert np.float64(value).tobytes() == np.float64(got).tobytes(), key


def test_a_sweep_builds_no_scalar_set(monkeypatch):
    """Float fields per unit, each set a run of units: checked and run without building
    each set as a scalar instance (10,000 sets cost milliseconds of Python, not seconds)."""
    from leabra_fast.core import paramspec

    def no_build(self, check):
        raise AssertionError("a scalar instance per set was built")

    monkeypatch.setattr(paramspec.UnitGroups, "build", no_build)
    n = 300
    lrate = np.linspace(0.001, 0.3, n)
    thr = np.tile([0.49, 0.5, 0.51], n // 3)
    p = PRESETS["go"].replace(lrate=lrate, thr=thr)
    sched = _schedule(2, n, 1, seed=2)
    run = _run(sched, p, record=["v_m"], n_threads=2)
    monkeypatch.undo()
    for u in (0, 77, 299):
        lone = _run(_unit(sched, u), PRESETS["go"].replace(lrate=lrate[u], thr=thr[u]),
                    record=["v_m"])  # fmt: skip
        _assert_unit_is_lone(run, lone, u, traces=True)


@pytest.mark.parametrize("record", [None, ["avg_l", "v_m"]])
def test_one_unit_sets_with_the_avg_l_gate(restore_simd, record):
    """Every set one unit (a sweep): each unit's gate from its own act_nd at each trial
    start, opening for some lanes of a block and not others; with recording windows
    too.  Every unit a lone run's bits, at every level, 2 threads."""
    n = 2 * BLOCK + 11
    sched = _schedule(5, n, 1, seed=8)
    sets = [
        PRESETS["go"].replace(avg_l_gate=True, lay_act_thr=1.5 * ((u * 7) % 23) / 23,
                              lrate=0.01 + 0.0002 * u)
        for u in range(n)
    ]  # fmt: skip
    lone_runs = [_run(_unit(sched, u), p, record=record or ["v_m"]) for u, p in enumerate(sets)]
    moved = [r.state.avg_l[0] != sets[0].avg_l_init for r in lone_runs]
    assert any(moved) and not all(moved)  # the gate opened for some sets only
    for level in LEVELS:
        ekernel.select_simd(level)
        run = _run(sched, _per_unit(sets), record=record, n_threads=2)
        for u in range(n):
            _assert_unit_is_lone(run, lone_runs[u], u, traces=record is not None)


def test_a_set_in_two_places_runs_set_by_set():
    """Float fields per unit, but one set in two places (not runs of units): grouped set
    by set (the layer of a set is all its units, for the avg_l gate), each unit a lone
    run of its set's units."""
    from leabra_fast.emergent.simulation import _runs_of_sets

    base = PRESETS["go"].replace(avg_l_gate=True, lay_act_thr=0.3)
    lrate = np.asarray([0.1, 0.2, 0.1, 0.3])
    p = base.replace(lrate=lrate)
    assert _runs_of_sets(p, base.replace(lrate=0.1), 1) is None
    assert _runs_of_sets(base.replace(lrate=np.asarray([0.1, 0.1, 0.2])), base, 1) is not None
    sched = _schedule(3, 4, 1, seed=4)
    run = _run(sched, p, record=["v_m", "avg_l"])
    for u in (1, 3):  # sets of one unit
        _assert_unit_is_lone(run, _run(_unit(sched, u), base.replace(lrate=lrate[u]),
                                       record=["v_m", "avg_l"]), u, traces=True)  # fmt: skip
    both = {k: (v[:, :, [0, 2]] if k in ("ge", "gc_i") else (v[:, [0, 2]] if k == "inputs"
                                                              else v[[0, 2]]))
            for k, v in sched.items()}  # fmt: skip
    lone = _run(both, base.replace(lrate=0.1), record=["v_m", "avg_l"])
    for name in ("v_m", "avg_l"):
        assert np.asarray(run[name])[:, [0, 2]].tobytes() == np.asarray(lone[name]).tobytes()


@pytest.mark.parametrize(
    ("field", "bad", "says"),
    [
        ("thr", None, "thr must differ from e_rev_e"),  # None: e_rev_e's value
        ("sig_mult_pow", -1e300, "derived constant"),
        ("vm_min", 50.0, "must be < vm_max"),
    ],
)
def test_a_bad_set_among_many_is_named(field, bad, says):
    """The vectorised cross-field checks accept exactly what the scalar ones do: a bad
    set among 50 good ones is refused, named by its unit, with the scalar message."""
    base = PRESETS["go"].replace(vm_max=2.0)
    values = getattr(base, field) + np.linspace(0.0, 0.01, 50)
    values[37] = base.e_rev_e if bad is None else bad
    with pytest.raises(ValueError, match="unit 37") as err:
        base.replace(**{field: values})
    assert says in str(err.value)
    base.replace(**{field: np.delete(values, 37)})  # the others pass
