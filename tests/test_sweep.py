"""leabra_fast.sweep: every point equals a lone simulate; bad input is refused by name."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams

X = np.asarray(lf.NOTEBOOK_INPUT)[:4]


@settings(max_examples=10, deadline=None)
@given(
    lrates=st.lists(st.sampled_from([0.0, 0.02, 0.04, 0.1, 0.3]), min_size=1, max_size=3,
                    unique=True),
    thrs=st.lists(st.sampled_from([0.45, 0.5, 0.55]), min_size=1, max_size=2, unique=True),
    backend=st.sampled_from(["cython", "python"]),
    chunk=st.sampled_from([None, 1, 2]),
)  # fmt: skip
def test_seed_grid_points_equal_lone_runs(
    lrates: list[float], thrs: list[float], backend: str, chunk: int | None
) -> None:
    ds = lf.sweep({"lrate": lrates, "thr": thrs}, inputs=X, n_cycles=30, backend=backend,
                  record=["v_m"], summaries=("spike_count", "rate", "final_wt"),
                  chunk_size=chunk)  # fmt: skip
    assert ds.spike_count.dims == ("lrate", "thr")
    for lr in lrates:
        for th in thrs:
            lone = lf.simulate(X, params=lf.SeedParams(lrate=lr, thr=th), n_cycles=30,
                               backend=backend, record=["v_m"])  # fmt: skip
            point = ds.sel(lrate=lr, thr=th)
            assert int(point.spike_count) == int(lone.spike_count[0])
            assert float(point.rate) == lone.spike_count[0] / 120
            np.testing.assert_array_equal(point.final_wt.values, lone.state.wt[0])
            np.testing.assert_array_equal(point.v_m.values.reshape(-1), lone["v_m"][:, 0])


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_emergent_list_points_equal_lone_runs(backend: str) -> None:
    base = EmergentParams.neuron("spike").replace(cyc_per_qtr=10)
    ge = np.array([0.2, 0.5])
    pts = [{"g_bar_l": 0.1, "gain": 80.0}, {"g_bar_l": 0.3, "gain": 100.0}]
    ds = lf.sweep(pts, model="emergent", params=base, ge=ge, backend=backend,
                  summaries=("spike_count", "final_v_m"))  # fmt: skip
    assert ds.spike_count.dims == ("point",)
    np.testing.assert_array_equal(ds.g_bar_l.values, [0.1, 0.3])
    for i, p in enumerate(pts):
        lone = lf.simulate(ge=ge, params=base.replace(**p), model="emergent", backend=backend)
        assert int(ds.spike_count[i]) == int(lone.spike_count[0])
        assert float(ds.final_v_m[i]) == float(lone.state.v_m[0])


def test_sweep_bad_input() -> None:
    with pytest.raises(lf.ParameterError, match=r"unknown parameter 'lrat'.*did you mean 'lrate'"):
        lf.sweep({"lrat": [0.1]}, inputs=X)
    with pytest.raises(ValueError, match="grid is empty"):
        lf.sweep({}, inputs=X)
    with pytest.raises(ValueError, match="'lrate' has no values"):
        lf.sweep({"lrate": []}, inputs=X)
    with pytest.raises(ValueError, match="list of parameter sets is empty"):
        lf.sweep([], inputs=X)
    with pytest.raises(lf.ParameterError, match=r"grid point \{'lrate': -1.0, 'thr': 0.5\}"):
        lf.sweep({"lrate": [0.1, -1.0], "thr": [0.5]}, inputs=X)
    with pytest.raises(ValueError, match="repeat"):
        lf.sweep({"lrate": [0.1, 0.1]}, inputs=X)
    with pytest.raises(ValueError, match="unknown summary 'spikes'"):
        lf.sweep({"lrate": [0.1]}, inputs=X, summaries=["spikes"])
    with pytest.raises(TypeError, match="'n_units' is set by the sweep"):
        lf.sweep({"lrate": [0.1]}, inputs=X, n_units=3)
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="chunk_size must be an int >= 1"):
            lf.sweep({"lrate": [0.1]}, inputs=X, chunk_size=bad)


def test_sweep_trace_budget_refused_before_running() -> None:
    # 4 trials x 100 cycles x 8 bytes = 3200 bytes of v_m per point; 50 points = 160,000
    with pytest.raises(lf.TraceBudgetError, match="needs 160,000 bytes"):
        lf.sweep({"lrate": np.linspace(0, 0.5, 50)}, inputs=X, record="v_m",
                 max_trace_bytes=100_000)  # fmt: skip


def test_sweep_zarr_store_restart(tmp_path: object) -> None:
    pytest.importorskip("zarr")
    path = str(tmp_path) + "/s.zarr"  # type: ignore[operator]
    grid = {"lrate": [0.0, 0.05, 0.1, 0.2], "thr": [0.45, 0.5]}
    full = lf.sweep(grid, inputs=X, n_cycles=20)
    import zarr

    lf.sweep(grid, inputs=X, n_cycles=20, store=path, chunk_size=3)
    root = zarr.open_group(path, mode="a")
    root["_done"][1] = False  # as if interrupted before chunk 1 was stored
    root["spike_count"][3:6] = -1
    again = lf.sweep(grid, inputs=X, n_cycles=20, store=path, chunk_size=3)
    assert again.identical(full.assign_attrs(again.attrs))
    root = zarr.open_group(path, mode="a")
    root["spike_count"][0] = -7  # a chunk marked done is not rerun
    kept = lf.sweep(grid, inputs=X, n_cycles=20, store=path, chunk_size=3)
    assert int(kept.spike_count.values.reshape(-1)[0]) == -7
    with pytest.raises(ValueError, match="holds another sweep"):
        lf.sweep(grid, inputs=X, n_cycles=30, store=path, chunk_size=3)


def test_sweep_lazy_store_read_back(tmp_path: object) -> None:
    """lazy=True: the Dataset reads the Zarr store on demand (Dask arrays), same values."""
    pytest.importorskip("zarr")
    pytest.importorskip("dask")
    path = str(tmp_path) + "/lazy.zarr"  # type: ignore[operator]
    grid = {"lrate": [0.0, 0.05, 0.1], "thr": [0.45, 0.5]}
    full = lf.sweep(grid, inputs=X, n_cycles=20, record=["v_m"])
    lazy = lf.sweep(grid, inputs=X, n_cycles=20, record=["v_m"], store=path, chunk_size=4,
                    lazy=True)  # fmt: skip
    assert lazy.spike_count.chunks is not None and lazy.v_m.chunks is not None  # not loaded
    assert lazy.load().identical(full.assign_attrs(lazy.attrs))
    with pytest.raises(ValueError, match="lazy=True reads the results back from a store"):
        lf.sweep(grid, inputs=X, n_cycles=20, lazy=True)


def test_sweep_progress_bar_counts_chunks(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    lf.sweep({"lrate": [0.0, 0.1, 0.2]}, inputs=X, n_cycles=10, chunk_size=1, progress=True)
    assert "3/3" in capsys.readouterr().err
