"""``NetworkResult``: what ``Network.run`` returns (NumPy arrays per layer and projection)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import export

__all__ = ["NetworkResult"]


@dataclass
class NetworkResult:
    """What ``Network.run`` returns.

    ``cycles[layer][var]`` has shape (n_trials, n_cycles_per_trial, n_batch, n_units) for
    each recorded cycle variable; ``trials[layer][var]`` (n_trials, n_batch, n_units);
    ``stats[layer][stat]`` (n_trials, n_batch); ``weights[prjn]`` the weights after the run
    (n_batch, n_recv, n_send) and ``trial_weights[prjn]`` (n_trials, n_batch, n_recv,
    n_send) if "wt" was recorded.
    """

    cycles: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    trials: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    stats: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    trial_weights: dict[str, np.ndarray] = field(default_factory=dict)
    #: Structure, for exports and figures: layer name -> (kind, shape), projection name ->
    #: (sending layer, receiving layer), in the network's order; cycles per quarter.
    layer_info: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    prjn_info: dict[str, tuple[str, str]] = field(default_factory=dict)
    cyc_per_qtr: int = 25

    @property
    def n_trials(self) -> int:
        """Trials recorded (rows of ``trials`` and ``stats``)."""
        first = next(iter(self.stats.values()), {})
        return int(next(iter(first.values())).shape[0]) if first else 0

    # Thin front ends to leabra_fast.network.export (xarray / pandas imported on use).
    def to_xarray(self) -> Any:
        """The result as an ``xarray.Dataset``: :func:`leabra_fast.network.export.to_xarray`."""
        return export.to_xarray(self)

    def to_dataframe(self, level: str = "all") -> Any:
        """A long pandas DataFrame: :func:`leabra_fast.network.export.to_dataframe`."""
        return export.to_dataframe(self, level)
