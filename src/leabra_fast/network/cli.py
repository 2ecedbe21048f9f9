"""``leabra-fast run --config net.toml`` for a network run file (:mod:`.config`).

Writes into the output folder:

* ``result.npz``: every array of the :class:`~leabra_fast.network.TrainResult`
  (``cycles/<layer>/<var>``, ``trials/<layer>/<var>``, ``stats/<layer>/<stat>``,
  ``weights/<prjn>``, ``trial_weights/<prjn>``, ``history/<layer>/<stat>``, ``epoch``,
  ``pattern``; plain arrays, no pickle) and ``state.npz`` (``Network.save_state``);
* ``trials.csv`` (one row per trial, batch copy and layer: the layer statistics) and
  ``history.csv`` (one row per epoch, batch copy and layer: the training curves);
* ``weights.wts``: emergent's JSON weight file of batch copy 0;
* ``result.nc``: :func:`~leabra_fast.network.export.to_xarray` as netCDF (with xarray and
  a netCDF engine, e.g. scipy);
* ``summary.json`` and ``report.png`` (:func:`~leabra_fast.network.plot.plot_network_report`,
  with matplotlib).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

from .training import EPOCH_STATS, TrainResult

__all__ = ["result_arrays", "run_network_file", "sweep_network_file", "write_network_outputs"]


def result_arrays(res: TrainResult) -> dict[str, np.ndarray]:
    """A result's arrays under slash-separated names (what ``result.npz`` holds)."""
    out: dict[str, np.ndarray] = {"epoch": res.epoch, "pattern": res.pattern}
    for part in ("cycles", "trials", "stats", "history"):
        for layer, d in getattr(res, part).items():
            for var, a in d.items():
                out[f"{part}/{layer}/{var}"] = a
    for part in ("weights", "trial_weights"):
        for prjn, a in getattr(res, part).items():
            out[f"{part}/{prjn}"] = a
    return out


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    lines = [",".join(header)]
    lines += [",".join(repr(float(v)) if isinstance(v, float) else str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_network_outputs(
    res: TrainResult, net: Any, out: Path, *, report: bool = True
) -> list[Path]:
    """Write a training run's outputs (see the module docstring) into ``out``."""
    from .wts import write_wts

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    npz = out / "result.npz"
    np.savez(npz, **result_arrays(res))  # type: ignore[arg-type]
    paths.append(npz)
    state = out / "state.npz"
    net.save_state(state)
    paths.append(state)
    layers = list(res.stats)
    stats = ("act_m_avg", "act_p_avg", "sse", "cos_diff")
    rows = [
        [
            int(res.epoch[t]),
            t,
            int(res.pattern[t]),
            b,
            ly,
            *(float(res.stats[ly][s][t, b]) for s in stats),
        ]
        for t in range(res.n_trials)
        for b in range(net.n_batch)
        for ly in layers
    ]
    paths.append(
        _csv(out / "trials.csv", ["epoch", "trial", "pattern", "batch", "layer", *stats], rows)
    )
    rows = [
        [e, b, ly, *(float(res.history[ly][s][e, b]) for s in EPOCH_STATS)]
        for e in range(res.n_epochs)
        for b in range(net.n_batch)
        for ly in layers
    ]
    paths.append(_csv(out / "history.csv", ["epoch", "batch", "layer", *EPOCH_STATS], rows))
    wts = out / "weights.wts"
    write_wts(net, wts)
    paths.append(wts)
    if importlib.util.find_spec("xarray") is not None:
        nc = out / "result.nc"
        try:
            res.to_xarray().to_netcdf(nc)
            paths.append(nc)
        except (ValueError, ImportError) as exc:  # no netCDF engine installed
            print(f"skipped result.nc: {exc}")
    else:
        print('skipped result.nc: xarray is not installed (pip install "leabra-fast[export]")')
    outs = [k for k, (kind, _) in res.layer_info.items() if kind in ("target", "compare")]
    summary = {
        "network": net.name,
        "n_batch": net.n_batch,
        "trials": res.n_trials,
        "epochs": res.n_epochs,
        "partial": res.partial,
        "stopped_early": res.stopped_early,
        "last_epoch_sse": {ly: res.history[ly]["sse"][-1].tolist() for ly in outs if res.n_epochs},
    }
    js = out / "summary.json"
    js.write_text(json.dumps(summary, indent=2) + "\n")
    paths.append(js)
    if report:
        if importlib.util.find_spec("matplotlib") is None:
            print(
                'skipped report.png: matplotlib is not installed (pip install "leabra-fast[plot]")'
            )
        else:
            from .plot import plot_network_report

            png = out / "report.png"
            plot_network_report(res, png)
            paths.append(png)
    return paths


def run_network_file(config: Any, out: Path | None, report: bool = True) -> int:
    """``leabra-fast run`` for a network run file: check, train, write; returns 0."""
    from ..core.cli import out_folder, print_written
    from .config import load_network_config

    cfg = load_network_config(config)
    res = cfg.train()
    folder = out or out_folder(str(cfg.path.with_name(cfg.path.stem + "-out")))
    paths = write_network_outputs(res, cfg.net, folder, report=report)
    outs = [k for k, (kind, _) in res.layer_info.items() if kind in ("target", "compare")]
    sse = ", ".join(
        f"{ly} {float(np.mean(res.history[ly]['sse'][-1])):.4g}" for ly in outs if res.n_epochs
    )
    print(
        f"{cfg.path}: network {cfg.net.name!r}, {len(cfg.net.layers)} layers, "
        f"{len(cfg.net.prjns)} projections; {res.n_epochs} epochs of "
        f"{next(iter(cfg.inputs.values())).shape[0]} trials"
        + (" (stopped: zero error)" if res.stopped_early else "")
        + (" (interrupted)" if res.partial else "")
        + (f"; last epoch's SSE: {sse}" if sse else "")
    )
    print_written(paths)
    return 0


def sweep_network_file(config: Any, out: Path | None, options: Any) -> int:
    """``leabra-fast sweep`` for a network run file with a ``[sweep]`` table: train once per
    point, write ``sweep.nc`` (or ``sweep.zarr``) and ``heatmap.png`` (the last epoch's
    ``options.summary``, default ``sse``, of the first target layer, over two swept
    parameters, averaged over batch copies); returns 0."""
    from ..core.cli import out_folder, print_written, write_sweep
    from ..core.sweep import heatmap
    from .config import load_network_config

    cfg = load_network_config(config)
    ds = cfg.run_sweep(chunk_size=options.chunk_size)  # None: the sweep's default (packs)
    folder = out or out_folder(str(cfg.path.with_name(cfg.path.stem + "-out")))
    swept = list(cfg.sweep)
    summary = options.summary or "sse"
    outs = [ly.name for ly in cfg.net.layers if ly.kind in ("target", "compare")]
    layer = outs[0] if outs else cfg.net.layers[-1].name

    def draw() -> Any:
        if len(swept) < 2:
            return None
        ax = heatmap(ds.sel(layer=layer).isel(epoch=-1), summary, x=options.x, y=options.y)
        ax.set_title(f"{layer} {summary}, last epoch (mean over batch)")
        return ax

    paths = write_sweep(ds, folder, options.format, draw)
    sizes = " x ".join(f"{n}={ds.sizes[n]}" for n in swept)
    epochs = int(ds.attrs["epochs"])
    print(f"{cfg.path}: network {cfg.net.name!r}, swept {sizes}, {epochs} epochs each")
    print_written(paths)
    return 0
