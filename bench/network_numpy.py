"""The yardstick of the network rows: emergent's bench network's trial in plain NumPy with
dense matrices (Go v1's equations, vectorised over a layer's units; net input as a dense
matrix-vector product of every sender's delta, zero for units that do not send).

It starts from a ``leabra_fast.network.Network``'s weights and state and runs the same
algorithm as its backends, with NumPy's own summation order and ``exp`` (so it agrees
with them to rounding, not bit for bit).  Batch copy 0 only; the bench network's
configuration only (full projections, no pools, hard clamping, no WtBal, SIG gain 6):
``DenseNumpyNet`` refuses anything else.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _xcal(c: Any, srval: np.ndarray, thr_p: np.ndarray) -> np.ndarray:
    lin = np.where(srval > thr_p * c.d_rev, srval - thr_p, srval * c.d_rev_ratio)
    return np.where(srval < c.d_thr, 0.0, lin)


def _nxx1(c: Any, x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        below = c.sig_mult_eff / (1.0 + np.exp(-(x * c.sig_gain_nvar)))
        mid = c.sig_val_at_0 + (1.0 - ((c.interp_range - x) / c.interp_range)) * c.interp_val
        gcf = (c.gain_cor_range - x / c.n_var) / c.gain_cor_range
        gx = np.where(gcf < 0, c.gain, c.gain * (1.0 - c.gain_cor * gcf)) * x
        above = gx / (gx + 1.0)
    return np.where(x < 0, below, np.where(x < c.interp_range, mid, above))


def _slay_act_scale(sa: float, snu: int, ncon: float) -> float:
    def rnd(x: float) -> int:
        return int(np.sign(x) * np.floor(abs(x) + 0.5))

    ncon = max(ncon, 1.0)
    n = max(rnd(sa * snu), 1)
    if ncon == snu:
        return 1.0 / n
    return 1.0 / min(max(rnd(sa * ncon), 1) + 2, int(min(ncon, n)))


class DenseNumpyNet:
    """Batch copy 0 of ``net`` (float64), as dense NumPy arrays."""

    UNIT = ("act", "act_lrn", "ge", "gi", "vm", "act_sent", "ge_raw", "ext", "targ", "act_q0",
            "act_q1", "act_q2", "act_m", "act_p", "act_dif", "act_avg", "avg_ss", "avg_s",
            "avg_m", "avg_l", "avg_l_lrn", "avg_s_lrn", "has_ext", "has_targ")  # fmt: skip

    def __init__(self, net: Any) -> None:
        self.net = net
        for ly in net.layers:
            c = net._lc[ly.name]
            if ly.n_pools or c.self_on or not c.hard or not c.lay_fffb["on"]:
                raise ValueError(f"layer {ly.name!r}: only the bench network's configuration")
        for pj in net.prjns:
            c = net._pc[pj.name]
            if pj.inhib or not pj.mask.all() or c.wb_on or not (c.sig_gain == 6 and c.sig_off == 1):
                raise ValueError(f"projection {pj.name!r}: only the bench network's configuration")
        self.L = {
            ly.name: {v: np.array(net.state.layers[ly.name][v][0]) for v in self.UNIT}
            for ly in net.layers
        }
        for ly in net.layers:
            s, st = self.L[ly.name], net.state.layers[ly.name]
            for v in ("act_avg", "fbi", "act_m_avg", "act_p_avg", "act_m_avg_run",
                      "act_p_avg_run", "act_p_avg_eff"):  # fmt: skip
                s["pool_" + v] = float(st["pool_" + v][0, 0])
            for v in ("cos_avg", "cos_var", "mod_avg_l_lrn"):
                s[v] = float(st[v][0])
        # sender-major (n_send, n_recv) copies of the synapse state
        self.P = {
            pj.name: {
                v: np.array(net.state.prjns[pj.name][v][0].T, order="C", copy=True)
                for v in ("wt", "lwt", "dwt", "norm", "moment")
            }
            for pj in net.prjns
        }
        self.gscale = {pj.name: 1.0 for pj in net.prjns}
        self.n_sent = 0

    # ------------------------------------------------------------------ trial
    def trial(self, pats: dict[str, np.ndarray], learn: bool = True) -> None:
        net = self.net
        for ly in net.layers:
            s = self.L[ly.name]
            s["ext"][:] = 0
            s["targ"][:] = 0
            s["has_ext"][:] = False
            s["has_targ"][:] = False
            if ly.name in pats:
                if ly.kind == "target":
                    s["targ"][:] = pats[ly.name]
                    s["has_targ"][:] = True
                else:
                    s["ext"][:] = pats[ly.name]
                    s["has_ext"][:] = True
        self._alpha_cyc_init(learn)
        for q in range(4):
            for _ in range(net.cyc_per_qtr):
                self._cycle()
            self._quarter_final(q)
        if learn:
            self._learn()

    def _alpha_cyc_init(self, upd: bool) -> None:
        net = self.net
        for ly in net.layers:
            c, s = net._lc[ly.name], self.L[ly.name]
            s["act_q0"][:] = s["act_p"]
            if upd:
                s["avg_l"] += c.avg_l_dt * (c.avg_l_gain * s["avg_m"] - s["avg_l"])
                np.maximum(s["avg_l"], c.avg_l_min, out=s["avg_l"])
                lrn = c.lrn_fact * (s["avg_l"] - c.avg_l_min)
                s["avg_l_lrn"][:] = lrn * s["mod_avg_l_lrn"] if c.err_mod else lrn
                for run, cur in (("pool_act_m_avg_run", "pool_act_m_avg"),
                                 ("pool_act_p_avg_run", "pool_act_p_avg")):  # fmt: skip
                    avg, act = s[run], s[cur]
                    if act >= 0.0001:
                        dt = 0.5 if (c.aa_use_first and avg == c.aa_init) else c.aa_dt
                        s[run] = avg + dt * (act - avg)
                s["pool_act_p_avg_eff"] = (
                    c.aa_init if c.aa_fixed else c.aa_adjust * s["pool_act_p_avg_run"]
                )
            rp = net.recv_prjns(ly.name)
            tot = sum(float(net._pc[pj.name].rel) for pj in rp)
            for pj in rp:
                pc = net._pc[pj.name]
                sa = self.L[pj.send]["pool_act_p_avg_eff"]
                sc = _slay_act_scale(sa, net.layer(pj.send).n_units, float(net._ncon[pj.name]))
                self.gscale[pj.name] = float(pc.abs * pc.rel * sc) / (tot if tot > 0 else 1.0)
            d = c.decay
            s["act"] -= d * (s["act"] - c.init_act)
            s["ge"] -= d * (s["ge"] - c.init_ge)
            s["gi"] -= d * s["gi"]
            s["vm"] -= d * (s["vm"] - c.init_vm)
            s["pool_act_avg"] -= d * s["pool_act_avg"]
            s["pool_fbi"] -= d * s["pool_fbi"]
            s["act_sent"][:] = 0
            s["ge_raw"][:] = 0
            if ly.kind == "input":
                self._clamp(c, s)

    @staticmethod
    def _clamp(c: Any, s: dict[str, Any]) -> None:
        h = s["has_ext"]
        clmp = np.clip(s["ext"], c.clamp_min, c.clamp_max)
        s["act"][h] = clmp[h]
        s["act_lrn"][h] = clmp[h]
        s["vm"][h] = c.thr + clmp[h] / c.gain

    def _cycle(self) -> None:
        net = self.net
        inc = {ly.name: np.zeros(ly.n_units) for ly in net.layers}
        for ly in net.layers:
            c, s = net._lc[ly.name], self.L[ly.name]
            act, sent = s["act"], s["act_sent"]
            above = act > c.send
            delta = act - sent
            snd = above & (np.abs(delta) > c.delta)
            uns = ~above & (sent > c.send)
            d = np.where(snd, delta, np.where(uns, -sent, 0.0))
            s["act_sent"] = np.where(snd, act, np.where(uns, 0.0, sent))
            self.n_sent += int(snd.sum() + uns.sum())
            for pj in net.send_prjns(ly.name):
                inc[pj.recv] += (d * self.gscale[pj.name]) @ self.P[pj.name]["wt"]
        for ly in net.layers:
            c, s = net._lc[ly.name], self.L[ly.name]
            s["ge_raw"] += inc[ly.name]
            s["ge"] += c.g_dt * (s["ge_raw"] - s["ge"])
            ge_avg, ge_max = s["ge"].mean(), s["ge"].max()
            fc = c.lay_fffb
            ffnetin = ge_avg + fc["mva"] * (ge_max - ge_avg)
            ffi = fc["ff"] * (ffnetin - fc["ff0"]) if ffnetin > fc["ff0"] else 0.0
            s["pool_fbi"] += fc["fb_dt"] * (fc["fb"] * s["pool_act_avg"] - s["pool_fbi"])
            s["gi"][:] = fc["gi"] * (ffi + s["pool_fbi"])
        for ly in net.layers:
            c, s = net._lc[ly.name], self.L[ly.name]
            vm, ge, gi = s["vm"], s["ge"] * c.gbar_e, s["gi"] * c.gbar_i
            inet = ge * (c.erev_e - vm) + c.gbar_l * (c.erev_l - vm) + gi * (c.erev_i - vm)
            vm = np.clip(vm + c.vm_dt * inet, c.vm_min, c.vm_max)
            s["vm"] = vm
            act = s["act"]
            sub = (act < c.vm_act_thr) & (vm <= c.thr)
            ge_thr = (c.gbar_i * s["gi"] * c.erev_sub_thr_i + c.gbar_l * c.erev_sub_thr_l) / (
                c.thr_sub_erev_e
            )
            x = np.where(sub, vm - c.thr, ge - ge_thr)
            nw = _nxx1(c, x)
            s["act"] = act + c.vm_dt * (nw - act)
            s["act_lrn"] += c.vm_dt * (nw - s["act_lrn"])
            if ly.kind == "input" or s["has_ext"].any():
                self._clamp(c, s)
            s["avg_ss"] += c.ss_dt * (s["act_lrn"] - s["avg_ss"])
            s["avg_s"] += c.s_dt * (s["avg_ss"] - s["avg_s"])
            s["avg_m"] += c.m_dt * (s["avg_s"] - s["avg_m"])
            s["avg_s_lrn"] = c.lrn_s * s["avg_s"] + c.lrn_m * s["avg_m"]
            s["pool_act_avg"] = float(s["act"].mean())

    def _quarter_final(self, q: int) -> None:
        net = self.net
        for ly in net.layers:
            c, s = net._lc[ly.name], self.L[ly.name]
            if q == 0:
                s["act_q1"][:] = s["act"]
            elif q == 1:
                s["act_q2"][:] = s["act"]
            elif q == 2:
                s["pool_act_m_avg"] = s["pool_act_avg"]
                s["act_m"][:] = s["act"]
                ht = s["has_targ"]
                s["ext"][ht] = s["targ"][ht]
                s["has_ext"] |= ht
            else:
                s["pool_act_p_avg"] = s["pool_act_avg"]
                s["act_p"][:] = s["act"]
                s["act_dif"][:] = s["act_p"] - s["act_m"]
                s["act_avg"] += c.avg_dt * (s["act"] - s["act_avg"])
                ap = s["act_p"] - s["pool_act_p_avg"]
                am = s["act_m"] - s["pool_act_m_avg"]
                dist = np.sqrt((am @ am) * (ap @ ap))
                cosv = (ap @ am) / dist if dist != 0 else ap @ am
                avg, var = s["cos_avg"], s["cos_var"]
                if avg == 0:
                    s["cos_avg"], s["cos_var"] = cosv, 0.0
                else:
                    dl = cosv - avg
                    incr = c.cd_dt * dl
                    s["cos_avg"] = avg + incr
                    s["cos_var"] = (2 * c.cd_dt_c * dl * incr if var == 0
                                    else c.cd_dt_c * (var + dl * incr))  # fmt: skip
                if ly.kind == "target":
                    s["mod_avg_l_lrn"] = 0.0
                else:
                    lrn = 1.0 - s["cos_avg"]
                    s["mod_avg_l_lrn"] = max(lrn, c.mod_min) if c.err_mod else 1.0

    def _learn(self) -> None:
        net = self.net
        for pj in net.prjns:
            c, p = net._pc[pj.name], self.P[pj.name]
            if not c.learn:
                continue
            su, ru = self.L[pj.send], self.L[pj.recv]
            active = ~((su["avg_s"] < c.lrn_thr) & (su["avg_m"] < c.lrn_thr))[:, None]
            srs = np.outer(su["avg_s_lrn"], ru["avg_s_lrn"])
            srm = np.outer(su["avg_m"], ru["avg_m"])
            lrn = c.l_lrn if c.set_l_lrn else ru["avg_l_lrn"]
            d = _xcal(c, srs, ru["avg_l"]) * lrn + _xcal(c, srs, srm) * c.m_lrn
            nf: Any = 1.0
            if c.norm_on:
                nn = np.maximum(c.norm_decay_dt_c * p["norm"], np.abs(d))
                with np.errstate(divide="ignore"):
                    nf = np.where(nn == 0, 1.0, c.norm_lr_comp / np.maximum(nn, c.norm_min))
                nn = np.where(active, nn.max(axis=1, keepdims=True), p["norm"])
                p["norm"] = nn
            if c.mom_on:
                p["moment"] = np.where(active, c.mom_dt_c * p["moment"] + d, p["moment"])
                d = nf * (c.mom_lr_comp * p["moment"])
            else:
                d = d * nf
            dw = np.where(active, p["dwt"] + c.lrate * d, p["dwt"])
            lw = p["lwt"]
            lw_new = np.clip(lw + np.where(dw > 0, dw * (1 - lw), dw * lw), 0, 1)
            chg = dw != 0
            p["lwt"] = np.where(chg, lw_new, lw)
            with np.errstate(divide="ignore", invalid="ignore"):
                pw = (1 - p["lwt"]) / p["lwt"]
                sig = 1 / (1 + pw**6)
            sig = np.where(p["lwt"] <= 0, 0.0, np.where(p["lwt"] >= 1, 1.0, sig))
            p["wt"] = np.where(chg, sig, p["wt"])
            p["dwt"] = np.zeros_like(dw)

    def weights(self, prjn: str) -> np.ndarray:
        """(n_recv, n_send), as ``Network.weights`` of one copy."""
        return self.P[prjn]["wt"].T.copy()
