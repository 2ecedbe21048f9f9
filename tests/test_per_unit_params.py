"""Per-unit parameters: every unit equals a lone run with its parameter set, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams

X = np.asarray(lf.NOTEBOOK_INPUT)[:3]


def _same(run: lf.SimulationResult, lone: lf.SimulationResult, u: int) -> None:
    for name, arr in lone.traces.items():
        np.testing.assert_array_equal(np.asarray(run.traces[name])[:, u], np.asarray(arr)[:, 0])
    for name, arr in lone.extra.items():
        np.testing.assert_array_equal(run.extra[name][..., u], arr[..., 0])
    assert run.spike_count[u] == lone.spike_count[0]
    np.testing.assert_array_equal(run.state.wt[u], lone.state.wt[0])
    np.testing.assert_array_equal(run.state.v_m[u], lone.state.v_m[0])


@settings(max_examples=12, deadline=None)
@given(
    lrate=st.lists(st.sampled_from([0.0, 0.04, 0.1, 0.3]), min_size=1, max_size=5),
    thr=st.sampled_from([0.45, 0.5, 0.55]),
    v_m_init=st.sampled_from([0.3, 0.4]),
    backend=st.sampled_from(["cython", "python"]),
)
def test_seed_per_unit_equals_lone_runs(
    lrate: list[float], thr: float, v_m_init: float, backend: str
) -> None:
    n = len(lrate)
    thrs = [thr + 0.01 * (u % 2) for u in range(n)]
    p = lf.SeedParams(lrate=lrate, thr=thrs, v_m_init=v_m_init)
    run = lf.simulate(X, params=p, n_cycles=40, backend=backend)
    for u in range(n):
        lone = lf.simulate(
            X, params=lf.SeedParams(lrate=lrate[u], thr=thrs[u], v_m_init=v_m_init),
            n_cycles=40, backend=backend, n_units=1,
        )  # fmt: skip
        _same(run, lone, u)


@settings(max_examples=8, deadline=None)
@given(
    g_bar_l=st.lists(st.sampled_from([0.1, 0.2, 0.3]), min_size=1, max_size=4),
    backend=st.sampled_from(["cython", "python"]),
)
def test_emergent_per_unit_equals_lone_runs(g_bar_l: list[float], backend: str) -> None:
    base = EmergentParams.neuron("spike").replace(cyc_per_qtr=10)
    ge = np.linspace(0.0, 0.6, 2)
    run = lf.simulate(ge=ge, params=base.replace(g_bar_l=g_bar_l), model="emergent",
                      backend=backend)  # fmt: skip
    for u, g in enumerate(g_bar_l):
        lone = lf.simulate(ge=ge, params=base.replace(g_bar_l=g), model="emergent",
                           backend=backend, n_units=1)  # fmt: skip
        _same(run, lone, u)


def test_per_unit_with_per_unit_schedule_and_threads() -> None:
    """Units with different inputs and parameters, several threads: still a lone run's bits."""
    rng = np.random.default_rng(3)
    x = rng.random((2, 4, 5))
    gc_i = rng.random((2, 4)) * 0.2
    lr = np.array([0.1, 0.2, 0.1, 0.3])
    run = lf.simulate(x, gc_i=gc_i, params=lf.SeedParams(lrate=lr), n_cycles=30, n_threads=2)
    for u in range(4):
        lone = lf.simulate(x[:, u : u + 1], gc_i=gc_i[:, u : u + 1],
                           params=lf.SeedParams(lrate=lr[u]), n_cycles=30)  # fmt: skip
        _same(run, lone, u)


def test_uniform_values_are_scalars_fast_path() -> None:
    assert lf.SeedParams(lrate=0.1).per_unit == {}
    p = lf.SeedParams(lrate=[0.1, 0.1])
    assert list(p.per_unit) == ["lrate"]
    np.testing.assert_array_equal(p.lrate, [0.1, 0.1])


def test_per_unit_errors_name_field_and_unit() -> None:
    with pytest.raises(lf.ParameterError, match=r"lrate\[unit 2\] must be a number >= 0"):
        lf.SeedParams(lrate=[0.1, 0.2, -1.0])
    with pytest.raises(lf.ParameterError, match=r"unit 1: SeedParams.avg_l_lrn_min"):
        lf.SeedParams(avg_l_lrn_min=[0.001, 0.1])
    with pytest.raises(lf.ParameterError, match="differ in length"):
        lf.SeedParams(lrate=[0.1, 0.2], thr=[0.5, 0.5, 0.5])
    with pytest.raises(lf.ParameterError, match="1-D array over units"):
        lf.SeedParams(lrate=np.zeros((2, 2)))
    with pytest.raises(lf.ParameterError, match="cyc_per_qtr shapes the run"):
        EmergentParams(cyc_per_qtr=[10, 20])
    with pytest.raises(ValueError, match="per unit for 2 units, the run has n_units = 3"):
        lf.simulate(X, params=lf.SeedParams(lrate=[0.1, 0.2]), n_units=3, n_cycles=5)


def test_per_unit_params_roundtrip_dict() -> None:
    p = lf.SeedParams(lrate=[0.1, 0.2])
    q = lf.SeedParams.from_dict(p.to_dict())
    np.testing.assert_array_equal(q.lrate, [0.1, 0.2])


@pytest.mark.parametrize("n_threads", [1, 2])
def test_runs_of_units_in_one_kernel_call_equal_uniform_runs(n_threads: int) -> None:
    """Runs of units sharing a set, in one kernel call: blocks inside a run take the scalar
    constants, blocks across two runs per-lane ones; each run equals a uniform run."""
    sizes = [70, 1, 20, 3, 90]  # blocks of every width, and a lone unit
    lr = np.repeat([0.0, 0.1, 0.05, 0.3, 0.02], sizes)
    p = lf.SeedParams(lrate=lr)
    run = lf.simulate(X, params=p, n_cycles=40, record=["v_m", "wt"], n_threads=n_threads)
    start = 0
    for size, value in zip(sizes, [0.0, 0.1, 0.05, 0.3, 0.02], strict=True):
        lone = lf.simulate(X, params=lf.SeedParams(lrate=value), n_units=size, n_cycles=40,
                           record=["v_m", "wt"])  # fmt: skip
        sl = slice(start, start + size)
        np.testing.assert_array_equal(run["v_m"][:, sl], lone["v_m"])
        np.testing.assert_array_equal(run["wt"][:, sl], lone["wt"])
        np.testing.assert_array_equal(run.spike_count[sl], lone.spike_count)
        start += size


@pytest.mark.parametrize("avg_l_gate", [True, False])
def test_emergent_runs_of_units_in_one_kernel_call(monkeypatch, avg_l_gate: bool) -> None:
    """Emergent groups that are runs of units go to the compiled kernel in one call, each
    group its own layer for the avg_l gate: each run equals a lone run of its units."""
    from leabra_fast.emergent import simulation as esim

    def no_groups(*args: object, **kw: object) -> int:
        raise AssertionError("one kernel call expected, not one per group")

    base = EmergentParams.neuron("spike").replace(cyc_per_qtr=10, avg_l_gate=avg_l_gate,
                                                  lay_act_thr=0.02)  # fmt: skip
    sizes = [3, 1, 70, 2, 17]
    values = [0.1, 0.3, 0.2, 0.15, 0.25]
    g = np.repeat(values, sizes)
    ge = np.linspace(0.0, 0.8, 3)
    monkeypatch.setattr(esim, "run_groups", no_groups)
    run = lf.simulate(ge=ge, params=base.replace(g_bar_l=g), model="emergent",
                      record=["v_m", "act"], n_threads=1)  # fmt: skip
    monkeypatch.undo()
    start = 0
    for size, value in zip(sizes, values, strict=True):
        lone = lf.simulate(ge=ge, params=base.replace(g_bar_l=value), model="emergent",
                           n_units=size, record=["v_m", "act"])  # fmt: skip
        sl = slice(start, start + size)
        for name in ("v_m", "act"):
            assert np.asarray(run[name])[:, sl].tobytes() == np.asarray(lone[name]).tobytes()
        np.testing.assert_array_equal(run.spike_count[sl], lone.spike_count)
        assert run.state.avg_l[sl].tobytes() == lone.state.avg_l.tobytes()
        start += size
    assert run.spike_count.sum() > 0


def test_emergent_kernel_refuses_bad_groups(monkeypatch) -> None:
    """The grouped call re-checks its groups: bounds, each set's table span inside the
    pool, the table width and the trial's shape."""
    from leabra_fast.emergent import compiled as ekernel

    calls: list[tuple[tuple, dict]] = []
    real = ekernel.run_emergent

    def spy(*args: object, **kw: object) -> int:
        calls.append((args, kw))
        return int(real(*args, **kw))

    monkeypatch.setattr(ekernel, "run_emergent", spy)
    base = EmergentParams.neuron("spike").replace(cyc_per_qtr=5)
    lf.simulate(ge=[0.3], params=base.replace(g_bar_l=[0.1, 0.2, 0.3]), model="emergent",
                n_threads=1)  # fmt: skip
    monkeypatch.undo()
    ((args, _kw),) = calls
    *head, consts, bounds, spans = args
    assert consts.shape == (3, len(ekernel.CONST_NAMES)) and bounds.tolist() == [0, 1, 2, 3]
    g_bar_l = ekernel.CONST_NAMES.index("g_bar_l")
    assert consts[:, g_bar_l].tolist() == [0.1, 0.2, 0.3]
    n_table = head[1].shape[0]  # the pool: one distinct table here
    assert spans.tolist() == [[0, n_table]] * 3

    def status(c: np.ndarray, b: list, s: list) -> int:
        fresh = [a.copy() if isinstance(a, np.ndarray) else a for a in head]
        return int(real(*fresh, c, np.asarray(b, dtype=np.intp), np.asarray(s, dtype=np.intp)))

    ok_spans = spans.tolist()
    assert status(consts, [0, 1, 2, 3], ok_spans) == ekernel.STATUS_OK
    bad = ekernel.STATUS_BAD_ARGS
    assert status(consts, [0, 2, 2, 3], ok_spans) == bad  # an empty group
    assert status(consts, [1, 2, 3, 3], ok_spans) == bad  # not from 0
    assert status(consts, [0, 1, 2], ok_spans) == bad  # one bound short
    assert status(consts, [0, 1, 2, 3], ok_spans[:2]) == bad  # a span missing
    assert status(consts, [0, 1, 2, 3], [[0, n_table], [1, n_table], [0, n_table]]) == bad
    assert status(consts, [0, 1, 2, 3], [[0, n_table], [0, 1], [0, n_table]]) == bad
    assert status(consts, [0, 1, 2, 3], [[0, n_table], [-1, 2], [0, n_table]]) == bad
    assert status(consts[:, :-1].copy(), [0, 1, 2, 3], ok_spans) == bad  # a column short
    other = consts.copy()
    other[1, ekernel.CONST_NAMES.index("cyc_per_qtr")] = 7.0
    assert status(other, [0, 1, 2, 3], ok_spans) == bad
