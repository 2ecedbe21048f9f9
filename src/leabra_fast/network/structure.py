"""Layers, projections and their connectivity patterns (structure only, no dynamics)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .params import LayerParams, PrjnParams

__all__ = ["LAYER_KINDS", "PATTERNS", "PRJN_CLASSES", "Layer", "Projection", "make_mask"]

LAYER_KINDS = ("input", "hidden", "target", "compare")
PRJN_CLASSES = ("forward", "back", "lateral", "inhib")
PATTERNS = ("full", "one_to_one", "pool_one_to_one", "random", "mask")


@dataclass
class Layer:
    """A named layer of units.

    ``shape`` is 1-D ``(n,)``, 2-D ``(y, x)`` or 4-D ``(pools_y, pools_x, units_y, units_x)``;
    a 4-D layer has ``pools_y * pools_x`` unit groups (pools) with their own FFFB
    inhibition when ``inhib.pool.on``.  Units are numbered in C order of ``shape``, so a
    pool's units are contiguous.
    """

    name: str
    shape: tuple[int, ...]
    kind: str = "hidden"
    classes: tuple[str, ...] = ()
    params: LayerParams = field(default_factory=LayerParams)
    index: int = 0

    @property
    def n_units(self) -> int:
        # math.prod: run() asks for it ~70 times per call (np.prod costs ~8 us each)
        return int(math.prod(self.shape))

    @property
    def n_pools(self) -> int:
        """Number of unit groups (0 unless the shape is 4-D)."""
        return int(self.shape[0] * self.shape[1]) if len(self.shape) == 4 else 0

    @property
    def pool_size(self) -> int:
        return int(self.shape[2] * self.shape[3]) if len(self.shape) == 4 else self.n_units

    def matches(self, sel: str) -> bool:
        return _matches(sel, "Layer", self.name, {self.kind, *self.classes})


@dataclass
class Projection:
    """A projection from ``send`` to ``recv``; ``mask[r, s]`` is True where unit ``s`` of the
    sending layer connects to unit ``r`` of the receiving layer.  ``cls`` "inhib" makes it an
    inhibitory projection (its input goes to GiRaw, as Go's ``emer.Inhib``)."""

    name: str
    send: str
    recv: str
    pattern: str
    cls: str
    mask: np.ndarray
    classes: tuple[str, ...] = ()
    params: PrjnParams = field(default_factory=PrjnParams)
    index: int = 0

    @property
    def inhib(self) -> bool:
        return self.cls == "inhib"

    def matches(self, sel: str) -> bool:
        return _matches(sel, "Prjn", self.name, {self.cls, *self.classes})


def _matches(sel: str, typ: str, name: str, classes: set[str]) -> bool:
    """emergent's selectors: the type ("Layer" / "Prjn"), ``#Name`` or ``.class`` (layer kind,
    projection class or a user class; case-insensitive)."""
    if sel == typ:
        return True
    if sel.startswith("#"):
        return sel[1:] == name
    if sel.startswith("."):
        return sel[1:].lower() in {c.lower() for c in classes}
    return False


def make_mask(
    pattern: str,
    send: Layer,
    recv: Layer,
    *,
    p: float | None = None,
    seed: int | None = None,
    mask: Any = None,
) -> np.ndarray:
    """Boolean connectivity ``(recv.n_units, send.n_units)`` of ``pattern``.

    - "full": every sender to every receiver.
    - "one_to_one": unit i to unit i (equal sizes).
    - "pool_one_to_one": pool i to pool i, fully within the pool pair (4-D layers with the
      same number of pools; a 1-D/2-D layer counts as one pool).
    - "random": each pair connected with probability ``p`` (seeded by ``seed``).
    - "mask": the given boolean ``mask`` of shape (n_recv, n_send).
    """
    nr, ns = recv.n_units, send.n_units
    if pattern == "full":
        return np.ones((nr, ns), dtype=bool)
    if pattern == "one_to_one":
        if nr != ns:
            raise ValueError(
                f"pattern 'one_to_one' needs equal layer sizes, got send "
                f"{send.name!r} {ns} and recv {recv.name!r} {nr} units"
            )
        return np.eye(nr, dtype=bool)
    if pattern == "pool_one_to_one":
        sp, rp = max(send.n_pools, 1), max(recv.n_pools, 1)
        if sp != rp:
            raise ValueError(
                f"pattern 'pool_one_to_one' needs equal pool counts, got send "
                f"{send.name!r} {sp} and recv {recv.name!r} {rp} pools"
            )
        out = np.zeros((nr, ns), dtype=bool)
        for i in range(sp):
            out[
                i * recv.pool_size : (i + 1) * recv.pool_size,
                i * send.pool_size : (i + 1) * send.pool_size,
            ] = True
        return out
    if pattern == "random":
        if p is None or not (0 < float(p) <= 1):
            raise ValueError(f"p must be in (0, 1] for pattern 'random', got {p!r}")
        rng = np.random.default_rng(seed)
        return rng.random((nr, ns)) < float(p)
    if pattern == "mask":
        if mask is None:
            raise ValueError("mask is required for pattern 'mask'")
        m = np.asarray(mask)
        if m.dtype != bool:
            raise ValueError(f"mask must be a boolean array, got dtype {m.dtype}")
        if m.shape != (nr, ns):
            raise ValueError(f"mask must have shape (n_recv, n_send) = ({nr}, {ns}), got {m.shape}")
        return m.copy()
    raise ValueError(f"pattern must be one of {PATTERNS}, got {pattern!r}")
