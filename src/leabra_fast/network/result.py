"""``NetworkResult``: what ``Network.run`` returns (NumPy arrays per layer and projection)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from . import export

__all__ = ["LazyViews", "NetworkResult"]

V = TypeVar("V")


class LazyViews(MutableMapping[str, V]):
    """A mapping of names (layers, projections) to values made on first access, then
    kept: ``Network.run`` hands out the compiled kernel's record arrays this way, so a
    call pays for no view it does not use (all of them took 2% of a 20-trial call of
    the bench network at N = 25).  Otherwise a dict: set, delete and iterate (in the
    network's order); a copy or a pickle is a plain dict of every value."""

    __slots__ = ("_done", "_make", "_order")

    def __init__(self, names: Iterable[str], make: Callable[[str], V]) -> None:
        self._make = make
        self._order = list(names)
        self._done: dict[str, V] = {}

    def __getitem__(self, key: str) -> V:
        try:
            return self._done[key]
        except KeyError:
            if key not in self._order:
                raise
        value = self._done[key] = self._make(key)
        return value

    def __setitem__(self, key: str, value: V) -> None:
        if key not in self._order:
            self._order.append(key)
        self._done[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self._order:
            raise KeyError(key)
        self._order.remove(key)
        self._done.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._order  # (without making its value)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)

    def __repr__(self) -> str:
        return repr(dict(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self),))

    def __copy__(self) -> dict[str, V]:
        return dict(self)


@dataclass
class NetworkResult:
    """What ``Network.run`` returns.

    ``cycles[layer][var]`` has shape (n_trials, n_cycles_per_trial, n_batch, n_units) for
    each recorded cycle variable; ``trials[layer][var]`` (n_trials, n_batch, n_units);
    ``stats[layer][stat]`` (n_trials, n_batch); ``weights[prjn]`` the weights after the run
    (n_batch, n_recv, n_send) and ``trial_weights[prjn]`` (n_trials, n_batch, n_recv,
    n_send) if "wt" was recorded.
    """

    # (dicts, or LazyViews of the compiled kernel's arrays: the same mapping)
    cycles: MutableMapping[str, dict[str, np.ndarray]] = field(default_factory=dict)
    trials: MutableMapping[str, dict[str, np.ndarray]] = field(default_factory=dict)
    stats: MutableMapping[str, dict[str, np.ndarray]] = field(default_factory=dict)
    weights: MutableMapping[str, np.ndarray] = field(default_factory=dict)
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
