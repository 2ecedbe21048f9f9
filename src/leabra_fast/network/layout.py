"""The network's state packed into a few contiguous buffers, with per-layer and
per-projection views.

Both backends work on the same memory: the reference backend through the views
(``state.layers[name][var]``, ``state.prjns[name][var]``, as before), the compiled kernel
through the buffers, so switching backends copies nothing.

- units ``U`` (n_unit_vars, n_batch, n_units_total); a layer's view of variable ``v`` is
  ``U[v, :, off:off + n]`` (n_batch, n); offsets are multiples of ``ALIGN`` (padding between
  layers)
- unit flags ``F`` (3, n_batch, n_units_total), bool
- pools ``P`` (n_pool_vars, n_batch, n_pools_total), a layer owns ``1 + n_pools`` columns
- layer scalars ``LV`` (n_layer_vars, n_batch, n_layers)
- synapses ``S`` (5, total): a projection owns ``n_batch * n_send * n_recv`` values laid
  out sender-major (n_batch, n_send, n_recv), so a sender's row of weights is contiguous
  (sender-based net input and learning run over rows); its view is the transpose
  (n_batch, n_recv, n_send), as the reference indexes synapses
- per-receiver projection variables ``R`` (5, n_batch, n_recv_total, offsets padded as
  ``U``'s) and the projection
  scales ``G`` (n_batch, n_prjns)
- connectivity ``M`` (total of n_send * n_recv), uint8, sender-major
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import reference as ref

__all__ = ["PackedState", "allocate"]

RECV_VARS = ("ginc", "wb_avg", "wb_fact", "wb_inc", "wb_dec")

#: Layers' units and projections' receivers start at multiples of this many values, in
#: buffers that start on a 64-byte boundary: threads sharing a batch copy own slices of
#: every layer, so no cache line holds two threads' units (the padding stays zero); and
#: the compiled kernel's ActFmG blocks of 16 units (LF_W) never run past a layer's
#: padding, so its last block is a plain vector load.
ALIGN = 16


def _round_up(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def _zeros_aligned(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """C-contiguous zeros whose data start on a 64-byte boundary."""
    dt = np.dtype(dtype)
    n = int(np.prod(shape))
    raw = np.zeros(n + 64 // dt.itemsize + 1, dt)
    skip = (-raw.ctypes.data % 64) // dt.itemsize
    return raw[skip : skip + n].reshape(shape)


@dataclass
class PackedState:
    U: np.ndarray
    F: np.ndarray
    P: np.ndarray
    LV: np.ndarray
    S: np.ndarray
    M: np.ndarray
    R: np.ndarray
    G: np.ndarray
    unit_off: list[int]
    pool_off: list[int]
    syn_off: list[int]
    mask_off: list[int]
    recv_off: list[int]


def allocate(
    layers: list[Any], prjns: list[Any], n_batch: int, dtype: np.dtype
) -> tuple[PackedState, dict[str, dict[str, np.ndarray]], dict[str, dict[str, np.ndarray]]]:
    """Zeroed buffers for ``layers`` and ``prjns`` and the views of each layer's and
    projection's variables (the names of ``reference.init_layer_state`` /
    ``init_prjn_state``, with the same initial values)."""
    unit_off, pool_off = [], []
    n_tot = p_tot = 0
    for ly in layers:
        unit_off.append(n_tot)
        pool_off.append(p_tot)
        n_tot += _round_up(ly.n_units)
        p_tot += 1 + ly.n_pools
    syn_off, mask_off, recv_off = [], [], []
    s_tot = m_tot = r_tot = 0
    for pj in prjns:
        nr, ns = pj.mask.shape
        syn_off.append(s_tot)
        mask_off.append(m_tot)
        recv_off.append(r_tot)
        s_tot += n_batch * ns * nr
        m_tot += ns * nr
        r_tot += _round_up(nr)
    nl, npj = len(layers), len(prjns)
    ps = PackedState(
        U=_zeros_aligned((len(ref._UNIT_VARS), n_batch, n_tot), dtype),
        F=np.zeros((len(ref._UNIT_FLAGS), n_batch, n_tot), bool),
        P=np.zeros((len(ref._POOL_VARS), n_batch, p_tot), dtype),
        LV=np.zeros((len(ref._LAYER_VARS), n_batch, nl), dtype),
        S=np.zeros((len(ref._PRJN_SYN), s_tot), dtype),
        M=np.zeros(m_tot, np.uint8),
        R=_zeros_aligned((len(RECV_VARS), n_batch, r_tot), dtype),
        G=np.ones((n_batch, max(npj, 1)), dtype)[:, :npj],
        unit_off=unit_off,
        pool_off=pool_off,
        syn_off=syn_off,
        mask_off=mask_off,
        recv_off=recv_off,
    )
    ps.G = np.ascontiguousarray(ps.G)
    lstates: dict[str, dict[str, np.ndarray]] = {}
    for li, ly in enumerate(layers):
        o, n = unit_off[li], ly.n_units
        po, npl = pool_off[li], 1 + ly.n_pools
        st: dict[str, np.ndarray] = {}
        for k, v in enumerate(ref._UNIT_VARS):
            st[v] = ps.U[k, :, o : o + n]
        for k, v in enumerate(ref._UNIT_FLAGS):
            st[v] = ps.F[k, :, o : o + n]
        for k, v in enumerate(ref._POOL_VARS):
            st["pool_" + v] = ps.P[k, :, po : po + npl]
        for k, v in enumerate(ref._LAYER_VARS):
            st[v] = ps.LV[k, :, li]
        lstates[ly.name] = st
    pstates: dict[str, dict[str, np.ndarray]] = {}
    for pi, pj in enumerate(prjns):
        nr, ns = pj.mask.shape
        so, ro = syn_off[pi], recv_off[pi]
        size = n_batch * ns * nr
        pst: dict[str, np.ndarray] = {}
        for k, v in enumerate(ref._PRJN_SYN):
            pst[v] = ps.S[k, so : so + size].reshape(n_batch, ns, nr).transpose(0, 2, 1)
        for k, v in enumerate(RECV_VARS):
            pst[v] = ps.R[k, :, ro : ro + nr]
        pst["gscale"] = ps.G[:, pi]
        pst["wb_inc"][...] = 1
        pst["wb_dec"][...] = 1
        ps.M[mask_off[pi] : mask_off[pi] + ns * nr] = pj.mask.T.reshape(-1)
        pstates[pj.name] = pst
    return ps, lstates, pstates
