"""Exports to xarray and pandas: same numbers, labelled."""

import json
import sys

import numpy as np
import pytest

import leabra_fast as lf

X = lf.NOTEBOOK_INPUT


@pytest.fixture(scope="module")
def many():
    rng = np.random.default_rng(5)
    first = lf.simulate(rng.uniform(0, 1, (2, 4, 3)), n_cycles=10, record=None)
    return lf.simulate(rng.uniform(0, 1, (3, 4, 3)), n_cycles=10, units=[3, 1], record_every=4,
                       state=first.state, params=lf.SeedParams(lrate=0.2))  # fmt: skip


def test_xarray_dataset(many):
    xr = pytest.importorskip("xarray")
    ds = many.to_xarray()
    assert isinstance(ds, xr.Dataset)
    assert dict(ds.sizes) == {"cycle": len(many.cycles), "unit": 2, "input": 3}
    np.testing.assert_array_equal(ds["cycle"], [20, 24, 28, 32, 36, 40, 44, 48])
    np.testing.assert_array_equal(ds["trial"], [0, 0, 0, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(ds["cycle_in_trial"], [0, 4, 8, 2, 6, 0, 4, 8])
    np.testing.assert_array_equal(ds["unit"], [1, 3])
    np.testing.assert_array_equal(ds["input"], [0, 1, 2])
    assert ds["v_m"].dims == ("cycle", "unit") and ds["wt"].dims == ("cycle", "unit", "input")
    np.testing.assert_array_equal(ds["v_m"].sel(unit=3), many["v_m"][:, 1])
    np.testing.assert_array_equal(ds["wt"].sel(unit=1, input=2), many["wt"][:, 0, 2])
    np.testing.assert_array_equal(ds["spike_count"], many.spike_count[[1, 3]])
    assert set(lf.TRACE_NAMES) <= set(ds.data_vars)
    assert ds.attrs["backend"] == "cython" and ds.attrs["model"] == "seed"
    assert ds.attrs["version"] == lf.__version__
    assert lf.SeedParams.from_dict(json.loads(ds.attrs["params"])) == many.params
    assert ds["v_m"].attrs["long_name"] == "membrane potential"
    # Selecting by trial works through the coordinate.
    np.testing.assert_array_equal(ds["act"].where(ds.trial == 1, drop=True).cycle, [32, 36])


def test_dataframe_long_layout(many):
    pd = pytest.importorskip("pandas")
    df = many.to_dataframe()
    assert list(df.columns) == ["cycle", "trial", "cycle_in_trial", "unit", "input", "variable",
                                "value"]  # fmt: skip
    rows, n_syn = len(many.cycles), 2 * 3
    assert len(df) == rows * (13 * 2 + 6 * n_syn)
    assert list(df["variable"].cat.categories) == list(lf.TRACE_NAMES)
    unit_rows = df[df["variable"].isin(lf.UNIT_TRACES)]
    assert (unit_rows["input"] == -1).all()
    assert (df.loc[df["variable"].isin(lf.SYNAPSE_TRACES), "input"] >= 0).all()
    sel = df[(df.variable == "wt") & (df.unit == 3) & (df.input == 1)]
    np.testing.assert_array_equal(sel["value"], many["wt"][:, 1, 1])
    np.testing.assert_array_equal(sel["cycle"], many.cycles)
    np.testing.assert_array_equal(sel["trial"], many.trial)
    np.testing.assert_array_equal(sel["cycle_in_trial"], many.cycle_in_trial)
    sel = df[(df.variable == "v_m") & (df.unit == 1)]
    np.testing.assert_array_equal(sel["value"], many["v_m"][:, 0])
    wide = df[df.unit == 3].pivot_table(index="cycle", columns="variable", values="value",
                                        observed=True)  # fmt: skip
    np.testing.assert_array_equal(wide["act"], many["act"][:, 1])
    assert df.attrs["record_every"] == 4 and isinstance(df, pd.DataFrame)


def test_select_names_and_seed_run():
    pytest.importorskip("pandas")
    res = lf.simulate(X)
    df = res.to_dataframe(["wt", "v_m"])
    assert list(df["variable"].cat.categories) == ["v_m", "wt"]
    assert len(df) == 4000
    np.testing.assert_array_equal(df[df.variable == "v_m"]["value"], res["v_m"][:, 0])
    assert int(df[df.variable == "v_m"]["cycle"].iloc[-1]) == 1999
    with pytest.raises(KeyError, match="not recorded"):
        lf.simulate(X, record="act").to_dataframe("v_m")
    empty = lf.simulate(X, record=None).to_dataframe()
    assert len(empty) == 0 and list(empty.columns)[-1] == "value"


def test_clear_messages_without_the_libraries(monkeypatch):
    res = lf.simulate(X[:2])
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(ImportError, match=r'needs pandas.*pip install "leabra-fast\[export\]"'):
        res.to_dataframe()
    with pytest.raises(ImportError, match=r'needs xarray.*pip install "leabra-fast\[export\]"'):
        res.to_xarray()


def test_dataset_survives_netcdf(tmp_path):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("scipy")  # xarray's built-in netCDF3 writer
    res = lf.simulate(X[:3], record=["v_m", "wt"])
    path = tmp_path / "run.nc"
    res.to_xarray().to_netcdf(path, engine="scipy")
    with xr.open_dataset(path, engine="scipy") as back:
        np.testing.assert_array_equal(back["v_m"].values, res["v_m"])
        np.testing.assert_array_equal(back["trial"].values, res.trial)
        assert json.loads(back.attrs["params"])["spk_thr"] == 1.2
