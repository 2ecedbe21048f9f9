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


NET_EXAMPLE = EXAMPLE.with_name("pattern_associator_sweep.toml")


def test_network_sweep_file_writes_dataset_and_heatmap(tmp_path: Path) -> None:
    """The network example: every point of the file's grid equals network.sweep's (and so
    a lone train), written as netCDF with the heat map of the Output's last-epoch SSE."""
    xr = pytest.importorskip("xarray")
    from leabra_fast.network import sweep as net_sweep
    from leabra_fast.network.config import load_network_config

    assert main(["sweep", "--config", str(NET_EXAMPLE), "--out", str(tmp_path)]) == 0
    cfg = load_network_config(NET_EXAMPLE)
    want = net_sweep(cfg.net, cfg.sweep, cfg.inputs, cfg.targets, epochs=40,
                     order="permuted", rng=0, init_rng=1)  # fmt: skip
    with xr.open_dataset(tmp_path / "sweep.nc") as ds:
        assert ds.sse.dims == ("Layer:inhib.layer.gi", "Prjn:learn.lrate", "layer", "epoch",
                               "batch")  # fmt: skip
        assert ds.sse.shape == (4, 3, 2, 40, 4)
        np.testing.assert_array_equal(ds.sse.values, want.sse.values)
        last = ds.sse.sel(layer="Output").isel(epoch=-1).mean("batch")
        assert float(last.sel({"Layer:inhib.layer.gi": 1.4, "Prjn:learn.lrate": 0.1})) < 0.1
        assert float(last.sel({"Layer:inhib.layer.gi": 2.2, "Prjn:learn.lrate": 0.1})) > 0.5
    if pytest.importorskip("matplotlib"):
        assert (tmp_path / "heatmap.png").stat().st_size > 1000


def test_network_sweep_file_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = NET_EXAMPLE.read_text()
    head, rest = text.split("[sweep]", 1)
    no_sweep = head + rest[rest.index("[run]"):]
    cfg = tmp_path / "n.toml"
    for content, expected in [
        (no_sweep, "a [sweep] table"),
        (text.replace("inhib.layer.gi\" = [1.2", "inhib.layer.gx\" = [1.2"), "inhib.layer.gx"),
        (text.replace("[sweep] ", "[sweep.Layer] "), 'one quoted key per parameter'),
        (text.replace("seed = 0\n", 'seed = 0\nrecord = ["act"]\n'),
         "[run] record: a sweep keeps the training curves only"),
        (text.replace("seed = 0\n", 'seed = 0\ntrial_vars = ["act_m"]\n'),
         "[run] trial_vars: a sweep keeps the training curves only"),
    ]:
        assert content != text
        cfg.write_text(content)
        assert main(["sweep", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err
        assert str(cfg) in err and expected in err, err
