"""emergent's JSON weight files (``.wts``), Go v1 format.

Layout (written by Go ``Network.WriteWtsJSON``, read by ``emergent/weights``)::

    {"Network": name, "MetaData": {...},
     "Layers": [{"Layer": name, "MetaData": {"ActMAvg": "..", "ActPAvg": ".."},
                 "Prjns": [{"From": sending layer, "MetaData": {"GScale": ".."},
                            "Rs": [{"Ri": recv unit, "N": n, "Si": [send units], "Wt": [..]}]}]}]}

Receiving projections are listed under their receiving layer and named by their sending
layer (``From``); Go v2 writes "Paths" instead of "Prjns" (both are read).  A file holds one
network, so one batch copy.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from . import reference as ref

if TYPE_CHECKING:
    from .network import Network

__all__ = ["read_wts", "write_wts", "wts_dict"]


def _g(x: Any) -> str:
    """Shortest text that reads back to the same value of its own float type (as Go's %g)."""
    return str(x)


def wts_dict(net: Network, batch: int = 0) -> dict[str, Any]:
    """The ``.wts`` content of batch copy ``batch`` as a dict."""
    net._need_built("write_wts")
    if not (0 <= batch < net.n_batch):
        raise ValueError(f"batch must be in [0, {net.n_batch}), got {batch!r}")
    layers = []
    for ly in net.layers:
        st = net.state.layers[ly.name]
        prjns = []
        for pj in net.recv_prjns(ly.name):
            pst = net.state.prjns[pj.name]
            rs = []
            for ri in range(pj.mask.shape[0]):
                si = np.flatnonzero(pj.mask[ri])
                rs.append(
                    {
                        "Ri": ri,
                        "N": int(si.size),
                        "Si": [int(s) for s in si],
                        "Wt": [float(w) for w in pst["wt"][batch, ri, si]],
                    }
                )
            prjns.append(
                {
                    "From": pj.send,
                    "MetaData": {"GScale": _g(pst["gscale"][batch])},
                    "Rs": rs,
                }
            )
        layers.append(
            {
                "Layer": ly.name,
                "MetaData": {
                    "ActMAvg": _g(st["pool_act_m_avg_run"][batch, 0]),
                    "ActPAvg": _g(st["pool_act_p_avg_run"][batch, 0]),
                },
                "Prjns": prjns or None,
            }
        )
    return {"Network": net.name, "MetaData": None, "Layers": layers}


def write_wts(net: Network, path: str | os.PathLike[str], batch: int = 0) -> None:
    """Write the weights of batch copy ``batch`` to ``path`` in emergent's JSON format."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(wts_dict(net, batch), fh, indent="\t")
        fh.write("\n")


def read_wts(net: Network, path: str | os.PathLike[str], batch: int | None = None) -> None:
    """Read an emergent ``.wts`` file into ``net`` (every batch copy, or only ``batch``).

    As Go's ``SetWts``: each listed synapse's Wt is set and its linear weight recomputed
    (inverse sigmoid); layer ActMAvg / ActPAvg and projection GScale are read from the
    metadata when present.  Layers, projections and synapses must exist in ``net``.
    """
    net._need_built("read_wts")
    with open(path, encoding="utf-8") as fh:
        try:
            doc = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"path: {os.fspath(path)!r} is not a JSON weights file: {exc}"
            ) from None
    load_wts_dict(net, doc, batch)


def load_wts_dict(net: Network, doc: Any, batch: int | None = None) -> None:
    """Set ``net``'s weights from a decoded ``.wts`` document (see ``read_wts``)."""
    if batch is not None and not (0 <= batch < net.n_batch):
        raise ValueError(f"batch must be in [0, {net.n_batch}), got {batch!r}")
    bsel = slice(None) if batch is None else slice(batch, batch + 1)
    if not isinstance(doc, dict) or not isinstance(doc.get("Layers"), list):
        raise ValueError("weights file: expected an object with a 'Layers' list")
    f = net.dtype.type
    for lw in doc["Layers"]:
        name = lw.get("Layer")
        ly = net._layer_arg(name, "weights file Layer")
        st = net.state.layers[ly.name]
        c = net._lc[ly.name]
        md = lw.get("MetaData") or {}
        if "ActMAvg" in md:
            st["pool_act_m_avg_run"][bsel, 0] = f(float(md["ActMAvg"]))
        if "ActPAvg" in md:
            st["pool_act_p_avg_run"][bsel, 0] = f(float(md["ActPAvg"]))
            st["pool_act_p_avg_eff"][bsel, 0] = (
                c.aa_init if c.aa_fixed else c.aa_adjust * st["pool_act_p_avg_run"][bsel, 0]
            )
        for pw in lw.get("Prjns") or lw.get("Paths") or []:
            frm = pw.get("From")
            cands = [pj for pj in net.recv_prjns(ly.name) if pj.send == frm]
            if not cands:
                raise ValueError(f"weights file: layer {ly.name!r} has no projection from {frm!r}")
            pj = cands[0]
            pst = net.state.prjns[pj.name]
            pmd = pw.get("MetaData") or {}
            if "GScale" in pmd:
                pst["gscale"][bsel] = f(float(pmd["GScale"]))
            for r in pw.get("Rs") or []:
                ri, si, wt = int(r["Ri"]), [int(s) for s in r["Si"]], [float(w) for w in r["Wt"]]
                if len(si) != len(wt) or not (0 <= ri < pj.mask.shape[0]):
                    raise ValueError(f"weights file: bad receiver record {r!r} in {pj.name!r}")
                for s, w in zip(si, wt, strict=False):
                    if not (0 <= s < pj.mask.shape[1]) or not pj.mask[ri, s]:
                        raise ValueError(f"weights file: {pj.name!r} has no synapse {s} -> {ri}")
                    pst["wt"][bsel, ri, s] = f(w)
                    pst["lwt"][bsel, ri, s] = ref.lin_from_sig(
                        net._pc[pj.name], np.asarray([f(w)], dtype=net.dtype)
                    )[0]
