"""`leabra-fast sweep --config FILE --out DIR`: the Dataset on disk and the heat map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sweep.toml"


def test_example_sweep_file_writes_dataset_and_heatmap(tmp_path: Path) -> None:
    xr = pytest.importorskip("xarray")
    assert main(["sweep", "--config", str(EXAMPLE), "--out", str(tmp_path)]) == 0
    with xr.open_dataset(tmp_path / "sweep.nc") as ds:
        assert ds.spike_count.dims == ("lrate", "thr")
        assert ds.sizes == {"lrate": 6, "thr": 5, "input": 1}
        x = [0, 0, 1, 1, 1, 1, 0, 0, 0, 0.2, 0.2, 0.2, 0, 0, 0.5, 0.5, 0, 0, 0.3, 0]
        lone = lf.simulate(x, params=lf.SeedParams(lrate=0.2, thr=0.52, m_lrn=0.0))
        assert int(ds.spike_count.sel(lrate=0.2, thr=0.52)) == int(lone.spike_count[0])
    if pytest.importorskip("matplotlib"):
        assert (tmp_path / "heatmap.png").stat().st_size > 1000


def test_sweep_cli_zarr_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    xr = pytest.importorskip("xarray")
    pytest.importorskip("zarr")
    cfg = tmp_path / "s.toml"
    cfg.write_text('[sweep]\ngain = [1.0, 2.0]\n[schedule]\ninputs = [1, 0.5]\n'
                   '[run]\nn_cycles = 20\nrecord = ["v_m"]\n')  # fmt: skip
    assert main(["sweep", "--config", str(cfg), "--out", str(tmp_path / "o"),
                 "--format", "zarr"]) == 0  # fmt: skip
    ds = xr.open_zarr(tmp_path / "o" / "sweep.zarr", consolidated=False)
    lone = lf.simulate([1, 0.5], params=lf.SeedParams(gain=2.0), n_cycles=20, record="v_m")
    np.testing.assert_array_equal(ds.v_m.sel(gain=2.0).values.reshape(-1), lone["v_m"][:, 0])
    cfg.write_text('[sweep]\ngian = [1.0]\n[schedule]\ninputs = [1]\n')
    assert main(["sweep", "--config", str(cfg), "--out", str(tmp_path / "o2")]) == 2
    assert "unknown parameter 'gian' of model 'seed' (did you mean 'gain'?)" in (
        capsys.readouterr().err
    )
    cfg.write_text('[schedule]\ninputs = [1]\n')
    assert main(["sweep", "--config", str(cfg)]) == 2
    assert "a [sweep] table" in capsys.readouterr().err
    cfg.write_text('[sweep]\ngain = []\n[schedule]\ninputs = [1]\n')
    assert main(["sweep", "--config", str(cfg)]) == 2
    assert "[sweep] gain must be a non-empty list" in capsys.readouterr().err
