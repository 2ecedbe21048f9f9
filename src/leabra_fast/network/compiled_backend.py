"""The compiled backend of ``Network.run``: validation, the kernel's tables, its call.

Everything the kernel reads is checked here (it runs without bounds checks): float64
state, finite patterns, parameters the reference accepts.  The kernel runs whole trials
(AlphaCycInit, all quarters' cycles, quarter ends, statistics, learning) of every batch
copy per call, in place on the network's packed state (``layout``), and records into
arrays allocated here.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from . import reference as ref
from .built import BuiltNetwork

__all__ = ["available", "layer_tables", "run_trials"]

_KINDS = {"input": 0, "hidden": 1, "target": 2, "compare": 3}

#: Tests only: a team of threads inside one copy runs the copy on thread 0 alone from
#: this trial of each call on (what the kernel does when other work takes the cores).
_SOLO_FROM = -1
#: A team of threads inside one copy hands it to thread 0 alone when a cache line takes
#: longer than this (s) to go from thread 0 to another thread and back, at the start of
#: two trials running.  Measured on this project's 2-core VM with the bench network at
#: N = 625: round trips of 0.09-0.18 us gave 1.4-1.8x on 2 threads, 0.49-0.59 us (the
#: host's cores on different dies, at times) 0.8-0.9x, slower than one thread.
_TEAM_RTT_MAX = 3e-7
#: ... and when one of its threads had less than this share of a core (CPU time over wall
#: time) in two trials running: other work takes the cores (0: never, for tests whose
#: machine may be busy).
_TEAM_BUSY_MIN = 0.8
PAT_NONE, PAT_EXT, PAT_TARG, PAT_CMPR = 0, 1, 2, 3
#: How a layer's patterns are applied, by its kind (others: Ext, hard or soft clamped).
_PAT_MODE = {"target": PAT_TARG, "compare": PAT_CMPR}
#: No cycle records (read-only, shared: the kernel writes none of them).
_NO_REC_VARS = np.zeros(0, np.intp)
_NO_REC_VARS.flags.writeable = False

_LAYER_CONSTS = (
    "thr", "gain", "n_var", "vm_act_thr", "interp_range", "gain_cor_range", "gain_cor",
    "sig_gain_nvar", "sig_mult_eff", "sig_val_at_0", "interp_val", "send", "delta",
    "decay", "init_vm", "init_act", "init_ge", "vm_dt", "g_dt", "avg_dt",
    "gbar_e", "gbar_l", "gbar_i", "gbar_k", "erev_e", "erev_l", "erev_i", "erev_k",
    "erev_sub_thr_i", "erev_sub_thr_l", "erev_sub_thr_k", "thr_sub_erev_e",
    "clamp_min", "clamp_max", "clamp_gain", "clamp_avg_gain", "vm_min", "vm_max",
    "self_gi", "self_dt", "aa_init", "aa_dt", "aa_adjust", "ss_dt", "s_dt", "m_dt",
    "lrn_m", "lrn_s", "avg_l_dt", "avg_l_gain", "avg_l_min", "lrn_min", "lrn_fact",
    "mod_min", "cd_dt", "cd_dt_c",
)  # fmt: skip
_PRJN_CONSTS = (
    "lrate", "m_lrn", "l_lrn", "d_rev", "d_thr", "lrn_thr", "d_rev_ratio", "sig_gain",
    "sig_off", "norm_min", "norm_lr_comp", "norm_decay_dt_c", "mom_lr_comp", "mom_dt_c",
    "wb_avg_thr", "wb_hi_thr", "wb_hi_gain", "wb_lo_thr", "wb_lo_gain", "rel",
)  # fmt: skip


#: layer tables, projection tables and the two packed index arrays the kernel reads
_Tables = tuple[list[dict[str, Any]], list[dict[str, Any]], Any, Any]

def _kernel() -> Any:
    from . import compiled

    return compiled.current()


def available() -> bool:
    """The compiled kernel is built and importable."""
    try:
        _kernel()
    except ImportError:
        return False
    return True


#: Per network: its constants and packed state (by identity) and the tables made from
#: them (about 0.15 ms of Python per call saved: small nets run calls of a few ms).
_TABLES: weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], Any]] = (
    weakref.WeakKeyDictionary()
)


def _cached_tables(net: BuiltNetwork) -> _Tables:
    """``layer_tables(net)``, made again only when the network's constants or state
    buffers were replaced (apply_params, build)."""
    hit = _TABLES.get(net)
    if hit is not None:
        lc, pc, packed = hit[0]
        if lc is net._lc and pc is net._pc and packed is net._packed:
            return hit[1]
    tables = layer_tables(net)
    _TABLES[net] = ((net._lc, net._pc, net._packed), tables)
    return tables


def layer_tables(net: BuiltNetwork) -> _Tables:
    """The kernel's per-layer and per-projection tables (LayerC / PrjnC fields) and the
    send / receive projection lists."""
    ps = net._packed
    send_list: list[int] = []
    recv_list: list[int] = []
    layers: list[dict[str, Any]] = []
    index = {ly.name: i for i, ly in enumerate(net.layers)}
    for li, ly in enumerate(net.layers):
        c = net._lc[ly.name]
        d: dict[str, Any] = {k: float(getattr(c, k)) for k in _LAYER_CONSTS}
        for pre, fc in (("lay_", c.lay_fffb), ("pool_", c.pool_fffb)):
            for k in ("gi", "ff", "fb", "fb_dt", "mva", "ff0"):
                d[pre + k] = float(fc[k])
            d[pre + "on"] = int(bool(fc["on"]))
        s0 = len(send_list)
        send_list += [pi for pi, pj in enumerate(net.prjns) if pj.send == ly.name]
        r0 = len(recv_list)
        recv_list += [pi for pi, pj in enumerate(net.prjns) if pj.recv == ly.name]
        d.update(
            off=ps.unit_off[li],
            n=ly.n_units,
            # the layer's units and padding (zeros the kernel's ActFmG blocks may read)
            n_pad=(ps.unit_off[li + 1] if li + 1 < len(net.layers) else ps.U.shape[2])
            - ps.unit_off[li],
            pool_off=ps.pool_off[li],
            n_pools=ly.n_pools,
            pool_size=ly.pool_size,
            kind=_KINDS[ly.kind],
            pat_mode=PAT_NONE,
            send0=s0,
            send1=len(send_list),
            recv0=r0,
            recv1=len(recv_list),
            hard=int(bool(c.hard)),
            clamp_avg=int(bool(c.clamp_avg)),
            self_on=int(bool(c.self_on)),
            aa_fixed=int(bool(c.aa_fixed)),
            aa_use_first=int(bool(c.aa_use_first)),
            lrn_min_offset=int(bool(c.lrn_min_offset)),
            err_mod=int(bool(c.err_mod)),
            kna_on=int(bool(c.kna_on)),
            kna_rate=float(c.kna_rate),
            noise_type=int(c.noise_type),
            noise_gauss=int(bool(c.noise_gauss)),
            noise_fixed=int(bool(c.noise_fixed)),
            noise_mean=float(c.noise_mean),
            noise_var=float(c.noise_var),
            cpp85=int(bool(c.cpp85)),
            vm_r=float(c.vm_r),
            t_r=float(c.t_r),
            lay_act_thr=float(c.lay_act_thr),
        )
        for ch, (on, rise, gmax, dt) in (
            ("f", c.kna_fast), ("m", c.kna_med), ("s", c.kna_slow)
        ):
            d.update({f"kna_{ch}_on": int(bool(on)), f"kna_{ch}_rise": float(rise),
                      f"kna_{ch}_max": float(gmax), f"kna_{ch}_dt": float(dt)})  # fmt: skip
        layers.append(d)
    prjns: list[dict[str, Any]] = []
    for pi, pj in enumerate(net.prjns):
        pc = net._pc[pj.name]
        nr, ns = pj.mask.shape
        d = {k: float(getattr(pc, k)) for k in _PRJN_CONSTS}
        d.update(
            abs_=float(pc.abs),
            ncon=float(net._ncon[pj.name]),
            snu=float(net.layer(pj.send).n_units),
            send=index[pj.send],
            recv=index[pj.recv],
            syn_off=ps.syn_off[pi],
            mask_off=ps.mask_off[pi],
            recv_off=ps.recv_off[pi],
            ns=ns,
            nr=nr,
            inhib=int(pj.inhib),
            learn=int(bool(pc.learn)),
            full=int(bool(pj.mask.all())),
            set_l_lrn=int(bool(pc.set_l_lrn)),
            sig_lin=int(bool(pc.sig_gain == 1 and pc.sig_off == 1)),
            sig6=int(bool(pc.sig_gain == 6 and pc.sig_off == 1)),
            soft_bound=int(bool(pc.soft_bound)),
            norm_on=int(bool(pc.norm_on)),
            mom_on=int(bool(pc.mom_on)),
            wb_on=int(bool(pc.wb_on)),
            wb_skip=int(net.layer(pj.recv).kind == "target" and not pc.wb_targs),
        )
        prjns.append(d)
    return layers, prjns, np.asarray(send_list, np.intp), np.asarray(recv_list, np.intp)


def run_trials(
    net: BuiltNetwork,
    pats: dict[str, np.ndarray],
    t0: int,
    t1: int,
    *,
    learn: bool,
    update_act_avg: bool,
    cyc_rec: list[str],
    sse_tol: float,
    n_threads: int,
    weights_out: bool = False,
) -> dict[str, Any]:
    """Run trials ``t0 .. t1-1`` of the (validated, (n_trials, n_batch, n_units)) patterns
    in the kernel.  Returns the recorded arrays: ``cycles`` (n_rec, nt, n_cyc, n_batch,
    n_units_total), ``trials`` (9, nt, n_batch, n_units_total), ``stats`` (4, nt,
    n_batch, n_layers) and ``n_sent`` (n_batch,), units that sent, summed over cycles; with
    ``weights_out`` also ``wt``, the weights after the last trial in ``S[0]``'s layout
    (copied by the kernel's threads); ``solo_at`` (n_batch,), the trial (of this call) from
    which a copy's team of threads left it to one thread, or -1.

    A network carrying per-copy tables (``net._copy_tables``, one ``(layers, prjns)``
    pair of :func:`layer_tables` per batch copy, set by ``network.sweep``) runs each copy
    with its own parameters: the kernel gets the copies' tables end to end."""
    if net.dtype != np.dtype(np.float64):
        raise ValueError(
            f"backend='cython' runs float64 networks only; this network's dtype is "
            f"{net.dtype} (use backend='python' for float32)"
        )
    if not isinstance(n_threads, (int, np.integer)) or isinstance(n_threads, bool) or n_threads < 1:
        raise ValueError(f"n_threads must be a positive int, got {n_threads!r}")
    k = _kernel()
    ps = net._packed
    layers, prjns, send_list, recv_list = _cached_tables(net)
    nt, nb = t1 - t0, net.n_batch
    tables = [layers]
    if net._copy_tables is not None:
        if len(net._copy_tables) != nb:
            raise ValueError(
                f"per-copy tables: {len(net._copy_tables)} sets for {nb} batch copies"
            )
        tables = [lt for lt, _ in net._copy_tables]
        layers = [d for lt in tables for d in lt]
        prjns = [d for _, pt in net._copy_tables for d in pt]
    n_tot = ps.U.shape[2]
    pat = np.zeros((nt, nb, n_tot))
    for li, ly in enumerate(net.layers):
        mode = PAT_NONE
        if ly.name in pats:
            o = ps.unit_off[li]
            pat[:, :, o : o + ly.n_units] = pats[ly.name][t0:t1]
            mode = _PAT_MODE.get(ly.kind, PAT_EXT)
        for lt in tables:  # every copy's (the kernel checks they agree)
            lt[li]["pat_mode"] = mode
    rec_vars = (np.asarray([ref._UNIT_VARS.index(v) for v in cyc_rec], np.intp) if cyc_rec
                else _NO_REC_VARS)
    ncyc = 4 * net.cyc_per_qtr
    rec_cyc = np.zeros((len(cyc_rec), nt, ncyc, nb, n_tot) if cyc_rec else (0, 0, 0, 0, 0))
    rec_trial = np.zeros((9, nt, nb, n_tot))
    rec_stats = np.zeros((4, nt, nb, len(net.layers)))
    n_sent = np.zeros(nb, np.int64)
    wt = np.empty(ps.S.shape[1]) if weights_out else None
    solo_at = np.full(nb, -1, np.int64)
    ctr = np.asarray([net.state.scalars["wt_bal_ctr"]], np.int64)
    # rows of senders that do not learn are skipped only when no DWt is pending (the
    # kernel and WtFmDWt leave DWt zero; the step API, set_state or new params may not)
    dwt_clean = not learn or not net._dwt_pending or not bool(ps.S[2].any())
    status = k.run_trials(
        layers, prjns, send_list, recv_list,
        ps.U, ps.F.view(np.uint8), ps.P, ps.LV, ps.S, ps.M, ps.R, ps.G,
        pat, rec_vars, rec_cyc, rec_trial, rec_stats, n_sent, ctr,
        net.cyc_per_qtr, net.wt_bal_interval, bool(learn), bool(update_act_avg),
        dwt_clean, float(sse_tol), int(n_threads), wt, solo_at, _solo_from=_SOLO_FROM,
        _team_rtt_max=_TEAM_RTT_MAX, _team_busy_min=_TEAM_BUSY_MIN,
    )  # fmt: skip
    if status != k.STATUS_OK:
        raise RuntimeError(f"network kernel refused its arguments (status {status})")
    if learn:
        net.state.scalars["wt_bal_ctr"] = int(ctr[0])
        # DWt of learning projections is now zero; others are as they were when checked
        net._dwt_pending = not dwt_clean
    return {"cycles": rec_cyc, "trials": rec_trial, "stats": rec_stats, "n_sent": n_sent, "wt": wt,
            "solo_at": solo_at}
