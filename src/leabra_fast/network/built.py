"""What the two backends read of a built network: ``Network`` (network.py) satisfies this
``Protocol``; the backends name it instead of the class, so they need not import the
module that imports them."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from .structure import Layer, Projection

__all__ = ["BuiltNetwork"]


class BuiltNetwork(Protocol):
    n_batch: int
    dtype: np.dtype
    cyc_per_qtr: int
    wt_bal_interval: int
    layers: list[Layer]
    prjns: list[Projection]
    #: layers / prjns: name -> variable -> array; scalars: trial and weight-balance counters
    state: Any
    _lc: dict[str, Any]  # layer name -> reference.LayerConsts
    _pc: dict[str, Any]  # projection name -> reference.PrjnConsts
    _ncon: dict[str, Any]
    _packed: Any  # layout.PackedState
    _dwt_pending: bool
    #: per batch copy, the kernel's (layer, projection) tables, or None (network.sweep)
    _copy_tables: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] | None

    def layer(self, name: str) -> Layer: ...

    def recv_prjns(self, name: str) -> list[Projection]: ...

    def send_prjns(self, name: str) -> list[Projection]: ...
