"""Leabra networks: layers, projections, FFFB inhibition, net-input scaling and XCAL learning,
as Go emergent v1 computes them: the NumPy reference backend (``run(backend="python")``)
and the compiled Cython kernel (``run(backend="cython")``, float64).

See ``docs/network_model.md``.
"""

from . import params
from .builders import basic_test_net, bench_net, bench_patterns
from .network import CYCLE_VARS, LAYER_STATS, TRIAL_VARS, Network, NetworkResult
from .params import LayerParams, PrjnParams
from .structure import Layer, Projection
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
    "basic_test_net",
    "bench_net",
    "bench_patterns",
    "params",
    "read_wts",
    "write_wts",
]
