"""Leabra networks: layers, projections, FFFB inhibition, net-input scaling and XCAL learning,
as Go emergent v1 computes them: the NumPy reference backend (``run(backend="python")``)
and the compiled Cython kernel (``run(backend="cython")``, float64).

Around them: :func:`train` (epochs with a progress bar), :func:`sweep` (a grid of
parameters, each point trained from the same start), exports to xarray and pandas
(``NetworkResult.to_xarray`` / ``to_dataframe``, :mod:`.export`), figures
(:mod:`.plot`, also in :mod:`leabra_fast.plot`) and run files for ``leabra-fast run``
(:mod:`.config`).  See ``docs/network_model.md``.
"""

from ..core import registry as _registry
from . import params
from .builders import basic_test_net, bench_net, bench_patterns
from .network import Network
from .params import LayerParams, PrjnParams
from .result import NetworkResult
from .structure import Layer, Projection
from .sweep import sweep
from .training import TrainResult, epoch_stats, train
from .variables import CYCLE_VARS, LAYER_STATS, TRIAL_VARS
from .wts import read_wts, write_wts

__all__ = [
    "CYCLE_VARS",
    "LAYER_STATS",
    "TRIAL_VARS",
    "Layer",
    "LayerParams",
    "Network",
    "NetworkResult",
    "PrjnParams",
    "Projection",
    "TrainResult",
    "basic_test_net",
    "bench_net",
    "bench_patterns",
    "epoch_stats",
    "params",
    "read_wts",
    "sweep",
    "train",
    "write_wts",
]


def _run_file(config: object, out: object, report: bool) -> int:
    from .cli import run_network_file

    return run_network_file(config, out, report)  # type: ignore[arg-type]


def _sweep_file(config: object, out: object, options: object) -> int:
    from .cli import sweep_network_file

    return sweep_network_file(config, out, options)  # type: ignore[arg-type]


# The figures in leabra_fast.plot, and ``leabra-fast run`` / ``sweep`` for files with
# [layers] tables.
_registry.register_figures("network", _registry.lazy_module(f"{__name__}.plot"))
_registry.register_run_file(
    _registry.RunFileKind("network", ("layers", "projections"), _run_file, _sweep_file)
)
