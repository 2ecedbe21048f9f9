"""The reference backend of the canonical emergent model: readable NumPy, the kernel's oracle.

The scalar functions (``noisy_xx1``, ``xcal``, ``sig`` ...) are emergent's
equations one by one; ``run_emergent`` strings them together in emergent's
per-cycle order (``docs/emergent_model.md``), vectorised over units.  It has
the same signature as the compiled kernel's ``run_emergent`` so the driver can
call either.  Every expression is written in the same order as in the kernel,
so the two agree to rounding (in practice bit for bit).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "SYNAPSE_STATE",
    "SYNAPSE_TRACES",
    "TRACE_NAMES",
    "UNIT_STATE",
    "UNIT_TRACES",
    "ge_thr",
    "noisy_xx1",
    "nxx1_lookup",
    "nxx1_table",
    "run_emergent",
    "sig",
    "sig_inv",
    "xcal",
    "xx1",
    "xx1_gain_cor",
]

#: Per-unit state carried from cycle to cycle, in the packed block's row order.
UNIT_STATE = (
    "net", "v_m", "v_m_eq", "act", "act_nd", "adapt", "isi", "isi_avg",
    "avg_ss", "avg_s", "avg_m", "avg_l", "gkna_f", "gkna_m", "gkna_s",
)  # fmt: skip
#: Per-synapse state: linear (fwt, emergent's lwt) and effective (sigmoidal) weight.
SYNAPSE_STATE = ("fwt", "wt")
#: Per-unit traces (emergent's names; those shared with the seed model mean the same).
UNIT_TRACES = (
    "net_raw", "net", "g_e", "g_i", "g_k", "I_net", "v_m", "v_m_eq", "act", "act_nd", "spike",
    "adapt", "avg_ss", "avg_s", "avg_m", "avg_l", "avg_l_lrn", "avg_s_eff",
)  # fmt: skip
#: Per-synapse traces; ``XCAL`` is XCAL(srs, avg_l), as in the seed model.
SYNAPSE_TRACES = ("dwt", "srs", "srm", "fwt", "wt", "XCAL")
TRACE_NAMES = UNIT_TRACES + SYNAPSE_TRACES


# --- activation function --------------------------------------------------------
def xx1(x: Any) -> Any:
    """XX1(x) = x / (x + 1), for x >= 0."""
    return x / (x + 1.0)


def xx1_gain_cor(x: Any, c: dict[str, float]) -> Any:
    """XX1 of gain*x, the gain lowered by up to gain_cor near 0 (gone by gain_cor_range*nvar)."""
    x = np.asarray(x, dtype=np.float64)
    gcf = (c["gain_cor_range"] - x / c["nvar"]) / c["gain_cor_range"]
    with np.errstate(divide="ignore", invalid="ignore"):  # both branches are evaluated
        plain = xx1(c["gain"] * x)
        corrected = xx1(c["gain"] * (1.0 - c["gain_cor"] * gcf) * x)
    out = np.where(gcf < 0.0, plain, corrected)
    return out[()] if out.ndim == 0 else out


def noisy_xx1(x: Any, c: dict[str, float]) -> Any:
    """Closed-form noisy XX1 of C++ emergent 8 and Go (x = value minus threshold).

    Sigmoid below 0, linear interpolation over [0, interp_range), gain-corrected
    XX1 above.
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        below = c["sig_mult_eff"] / (1.0 + np.exp(-(x * c["sig_gain_nvar"])))
    interp = 1.0 - ((c["interp_range"] - x) / c["interp_range"])
    near = c["sig_val_at_0"] + interp * c["interp_val"]
    out = np.where(x < 0.0, below, np.where(x < c["interp_range"], near, xx1_gain_cor(x, c)))
    return out[()] if out.ndim == 0 else out


_MAX_TABLE_WORK = 50_000_000


def nxx1_table(p: Any) -> tuple[np.ndarray, float, float]:
    """The emergent <= 7 NXX1 lookup table: XX1 convolved with a Gaussian, built once per run.

    Returns ``(table, x0, res)``: ``table[i]`` is the noisy XX1 at
    ``x0 + i*res``, from ``x0 = -K*res`` (``K*res`` ~ ``max(3*nvar, res)``) up to
    ``table_max``.  The kernel is ``exp(-y**2 / nvar**2)`` sampled at ``res`` on
    [-K*res, K*res] and normalised to sum 1 (emergent's ``FunLookup::Convolve``);
    the source XX1(gain*x) (0 for x <= 0) is evaluated exactly, not from a table.
    """
    res = float(p.table_res)
    k = max(1, round(max(3.0 * p.nvar, res) / res))
    n = round((p.table_max + k * res) / res) + 1
    if n * (2 * k + 1) > _MAX_TABLE_WORK:
        from ..core.paramspec import ParameterError

        raise ParameterError(
            f"EmergentParams: an NXX1 table of {n} points with a {2 * k + 1}-point kernel is too "
            "large; raise table_res or lower nvar/table_max"
        )
    y = np.arange(-k, k + 1, dtype=np.float64) * res
    kernel = np.exp(-(y * y) / (p.nvar * p.nvar))
    kernel /= kernel.sum()
    x = -k * res + np.arange(n, dtype=np.float64) * res
    z = x[:, None] + y[None, :]
    gz = p.gain * np.maximum(z, 0.0)
    table = (gz / (gz + 1.0)) @ kernel
    return np.ascontiguousarray(table), float(x[0]), res


def _avg_l_open(act_nd: np.ndarray, c: dict[str, float]) -> bool:
    """emergent's avg_l gate at a trial start: the layer's (all units') average act_nd,
    the previous trial's act_p, is >= lay_act_thr (0 after initialisation, so the first
    trial's update is skipped).  Summed in unit order, as the compiled kernel does."""
    if not c["avg_l_gate"] or act_nd.shape[0] == 0:
        return True
    total = 0.0
    for v in act_nd.tolist():
        total += v
    return total / act_nd.shape[0] >= c["lay_act_thr"]


def nxx1_lookup(x: Any, table: np.ndarray, x0: float, res: float, gain: float) -> Any:
    """Noisy XX1 from the table, linear interpolation; plain XX1 above the table, 0 below it."""
    x = np.asarray(x, dtype=np.float64)
    n = table.shape[0]
    x_top = x0 + (n - 1) * res
    inside_x = np.where((x > x0) & (x < x_top), x, x0)
    k = np.minimum(((inside_x - x0) / res).astype(np.int64), n - 2)
    frac = (inside_x - (x0 + k * res)) / res
    inside = table[k] + (table[k + 1] - table[k]) * frac
    gx = gain * x
    out = np.where(x >= x_top, gx / (gx + 1.0), np.where(~(x > x0), 0.0, inside))
    return out[()] if out.ndim == 0 else out


def ge_thr(g_i: Any, adapt: Any, c: dict[str, float], g_k: Any = 0.0) -> Any:
    """Excitatory conductance that puts the equilibrium potential exactly at thr."""
    num = g_i * (c["e_rev_i"] - c["thr"]) + c["g_bar_l"] * (c["e_rev_l"] - c["thr"])
    if c["kna_on"]:
        num = num + g_k * (c["e_rev_k"] - c["thr"])
    return (num - adapt) / (c["thr"] - c["e_rev_e"])


# --- learning ------------------------------------------------------------------------
def xcal(x: Any, th: Any, c: dict[str, float]) -> Any:
    """XCAL check mark: 0 below d_thr; x - th above th*d_rev; else -x*(1 - d_rev)/d_rev."""
    x, th = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(th, dtype=np.float64))
    out = np.where(x > th * c["d_rev"], x - th, -x * c["rev_fac"])
    out = np.where(x < c["d_thr"], 0.0, out)
    return out[()] if out.ndim == 0 else out


def sig(w: Any, c: dict[str, float]) -> Any:
    """Weight contrast enhancement 1/(1 + (off*(1-w)/w)**gain); exactly 0 at w <= 0, 1 at w >= 1.

    With ``quirk_sig_seed`` the seed notebook's 1/(1 + (off*(1-w)/(w + sig_eps))**gain).
    """
    w = np.asarray(w, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if c["quirk_sig_seed"]:
            out = 1.0 / (
                1.0 + ((c["wt_sig_off"] * (1.0 - w)) / (w + c["sig_eps"])) ** c["wt_sig_gain"]
            )
        else:
            mid = 1.0 / (1.0 + ((c["wt_sig_off"] * (1.0 - w)) / w) ** c["wt_sig_gain"])
            out = np.where(w <= 0.0, 0.0, np.where(w >= 1.0, 1.0, mid))
    return out[()] if np.ndim(out) == 0 else out


def sig_inv(w: Any, c: dict[str, float]) -> Any:
    """Inverse of :func:`sig` (emergent form): the linear weight of an effective weight."""
    w = np.asarray(w, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mid = 1.0 / (1.0 + ((1.0 - w) / w) ** (1.0 / c["wt_sig_gain"]) / c["wt_sig_off"])
    out = np.where(w <= 0.0, 0.0, np.where(w >= 1.0, 1.0, mid))
    return out[()] if out.ndim == 0 else out


def _inet(v: Any, g_e: Any, g_i: Any, g_k: Any, c: dict[str, float]) -> Any:
    i = g_e * (c["e_rev_e"] - v) + c["g_bar_l"] * (c["e_rev_l"] - v) + g_i * (c["e_rev_i"] - v)
    if c["kna_on"]:
        i = i + g_k * (c["e_rev_k"] - v)
    return i


def _avg_fm_isi(avg: np.ndarray, isi: np.ndarray, c: dict[str, float]) -> np.ndarray:
    return np.where((avg <= 0.0) | (isi < 0.8 * avg), isi, avg + c["isi_dt"] * (isi - avg))


def run_emergent(
    c: dict[str, float],
    table: np.ndarray,
    x: np.ndarray,
    su_s: np.ndarray,
    su_m: np.ndarray,
    ge: np.ndarray,
    gc_i: np.ndarray,
    ext: np.ndarray,
    targ: np.ndarray,
    unit_state: np.ndarray,
    syn_state: np.ndarray,
    n_cycles: int,
    c0: int,
    c1: int,
    abs0: int,
    every: int,
    rec_base: int,
    slots: np.ndarray,
    unit_cols: np.ndarray,
    unit_buf: np.ndarray,
    syn_buf: np.ndarray,
    spikes: np.ndarray,
    first_bad: np.ndarray,
    act_q: np.ndarray,
    n_threads: int = 1,
) -> int:
    """Run schedule cycles ``c0 .. c1-1`` of all units; update state and buffers in place.

    ``x``, ``su_s``, ``su_m``: (n_trials, n_units, n_inputs) sender activity and
    averages; ``ge``, ``gc_i``, ``ext``, ``targ``: (n_trials, n_cycles, n_units),
    ``ext``/``targ`` NaN where a unit is not clamped.  ``table`` is the NXX1
    lookup table (``c["table_x0"]``, ``c["table_res"]``).  ``act_q[trial, q]``
    receives act_nd at the end of quarter ``q`` (emergent's ActQ1..ActQ4).
    ``n_threads`` is accepted for the compiled kernel's signature and ignored.
    Returns 0, or 1 when some unit's dynamics became non-finite.
    """
    (net, v_m, v_m_eq, act, act_nd, adapt, isi, isi_avg,
     avg_ss, avg_s, avg_m, avg_l, gkna_f, gkna_m, gkna_s) = unit_state  # fmt: skip
    fwt, wt = syn_state
    rec = unit_cols >= 0
    cols = unit_cols[rec]
    n_inputs = fwt.shape[1]
    spike_mode = bool(c["spike_mode"])
    can_spike = spike_mode or bool(c["rate_spikes"])
    old = np.seterr(all="ignore")
    try:
        for t in range(c0, c1):
            trial, cyc = divmod(t, n_cycles)
            absolute = abs0 + (t - c0)

            if cyc == 0:  # trial start: avg_l, then decay toward the initial state
                if not c["quirk_avg_l_seed"] and _avg_l_open(act_nd, c):
                    avg_l[:] = avg_l + c["k_l"] * (c["avg_l_gain"] * avg_m - avg_l)
                    avg_l[:] = np.maximum(avg_l, c["avg_l_min"])
                d = c["decay"]
                act[:] = act - d * (act - c["init_act"])
                act_nd[:] = act_nd - d * (act_nd - c["init_act"])
                net[:] = net - d * (net - c["init_net"])
                v_m[:] = v_m - d * (v_m - c["init_v_m"])
                v_m_eq[:] = v_m_eq - d * (v_m_eq - c["init_v_m"])

            # External clamp: the target in the plus phase, else ext (NaN = free).
            clampv = ext[trial, cyc]
            if cyc >= c["minus_cycles"]:
                clampv = np.where(np.isnan(targ[trial, cyc]), clampv, targ[trial, cyc])
            clamped = ~np.isnan(clampv)

            # Net input: scaled sum of sender activity times effective weight, plus drive.
            acc = np.zeros_like(net)
            for j in range(n_inputs):
                acc = acc + x[trial, :, j] * wt[:, j]
            net_raw = c["net_scale"] * acc + ge[trial, cyc]
            if c["direct_ge"]:
                new_net = net_raw + 0.0
            else:
                new_net = net + c["k_net"] * (net_raw - net)
            if c["net_clip_zero"]:
                new_net = np.maximum(new_net, 0.0)
            net[:] = np.where(clamped, clampv, new_net)
            g_e = c["g_bar_e"] * net
            g_i = c["g_bar_i"] * gc_i[trial, cyc]
            g_k = c["g_bar_k"] * (gkna_f + gkna_m + gkna_s)

            # Membrane potential (held during the refractory period after a spike).
            refractory = (c["t_r"] > 0) & (isi >= 0.0) & (isi < c["t_r"]) if can_spike else False
            if c["vm_midpoint"]:
                i1 = _inet(v_m, g_e, g_i, g_k, c)
                v_eff = v_m + (0.5 * c["k_vm"]) * (i1 - adapt)
            else:
                v_eff = v_m
            i_net = _inet(v_eff, g_e, g_i, g_k, c)
            if c["exp_on"]:
                i_net = i_net + c["k_exp"] * np.exp((v_eff - c["thr"]) / c["exp_slope"])
            new_vm = np.where(refractory, v_m, v_m + c["k_vm"] * (i_net - adapt))
            i_net = np.where(refractory, 0.0, i_net)
            new_eq = v_m_eq + c["k_vm"] * (_inet(v_m_eq, g_e, g_i, g_k, c) - adapt)
            new_vm = np.minimum(np.maximum(new_vm, c["vm_min"]), c["vm_max"])
            new_eq = np.minimum(np.maximum(new_eq, c["vm_min"]), c["vm_max"])

            # Spikes on v_m: reset, and the inter-spike-interval estimate (Go's bookkeeping).
            if can_spike:
                spike = (new_vm > c["spk_thr"]) & ~clamped
                new_vm = np.where(spike, c["vm_r"], new_vm)
                first = spike & (isi_avg == -1.0)
                upd = spike & ~first & (isi > 0.0)
                new_avg = np.where(first, -2.0, isi_avg)
                new_avg = np.where(upd, _avg_fm_isi(isi_avg, isi + 1.0, c), new_avg)
                grow = ~spike & (isi >= 0.0) & ~clamped
                new_isi = np.where(spike, 0.0, np.where(grow, isi + 1.0, isi))
                longer = grow & (new_avg >= 0.0) & (new_isi > 0.0) & (new_isi > 1.2 * new_avg)
                new_avg = np.where(longer, _avg_fm_isi(new_avg, new_isi, c), new_avg)
                isi[:] = np.where(clamped, isi, new_isi)
                isi_avg[:] = np.where(clamped, isi_avg, new_avg)
            else:
                spike = np.zeros(net.shape, dtype=bool)
            spk = spike.astype(np.float64)
            # The recorded I_net: emergent's is the current that moved v_m (adapt
            # included), 0 while refractory and on a spike cycle; the seed's the channel
            # current.  (Non-finite values are still detected on i_net.)
            if c["i_net_seed"]:
                i_rec = i_net
            else:
                i_rec = np.where(spike | refractory, 0.0, i_net - adapt)

            # Activation.
            if spike_mode:
                new_act = spk
                if c["act_nd_spike"]:
                    new_nd = spk
                else:
                    rate = np.where(isi_avg > 0.0, c["rate_num"] / isi_avg, 0.0)
                    rate = np.minimum(rate, 1.0)
                    new_nd = act_nd + c["k_vm"] * (rate - act_nd)
            else:
                sub = (act_nd < c["vm_act_thr"]) & (new_eq <= c["thr"])
                drive = np.where(sub, new_eq - c["thr"], g_e - ge_thr(g_i, adapt, c, g_k))
                if c["use_table"]:
                    target = nxx1_lookup(drive, table, c["table_x0"], c["table_res"], c["gain"])
                else:
                    target = noisy_xx1(drive, c)
                new_nd = act_nd + c["k_vm"] * (target - act_nd)
                new_act = new_nd

            # Adaptation current (uses v_m after any reset, and this cycle's spike).
            if c["adapt_on"]:
                if c["quirk_adapt_seed"]:
                    new_adapt = (
                        adapt
                        + ((c["vm_gain"] * (new_vm - c["e_rev_l"])) + spk * c["spike_gain"])
                        / c["adapt_div"]
                    )
                else:
                    new_adapt = adapt + c["k_adapt_integ"] * (
                        c["adapt_dt"] * (c["vm_gain"] * (new_vm - c["e_rev_l"]) - adapt)
                        + spk * c["spike_gain"]
                    )
                adapt[:] = np.where(clamped, adapt, new_adapt)

            # KNa adaptation from this cycle's spike (spiking) or new act (rate code).
            if c["kna_on"]:
                for g, key in ((gkna_f, "kna_f"), (gkna_m, "kna_m"), (gkna_s, "kna_s")):
                    rise, gmax, dt = c[key + "_rise"], c[key + "_max"], c[key + "_dt"]
                    if spike_mode:
                        new_g = np.where(spike, g + rise * (gmax - g), g - dt * g)
                    else:
                        a = c["kna_rate_rise"] * new_nd
                        new_g = g + a * rise * (gmax - g) - dt * g
                    g[:] = np.where(clamped, g, new_g)

            # Hard clamp overrides v_m, act (C++ Compute_HardClamp).
            cv = np.minimum(
                np.maximum(np.where(clamped, clampv, 0.0), c["clamp_min"]), c["clamp_max"]
            )
            clamp_vm = np.where(cv == 0.0, c["e_rev_l"], c["thr"] + cv / c["gain"])
            v_m[:] = np.where(clamped, clamp_vm, new_vm)
            v_m_eq[:] = np.where(clamped, clamp_vm, new_eq)
            act[:] = np.where(clamped, cv, new_act)
            act_nd[:] = np.where(clamped, cv, new_nd)
            i_net = np.where(clamped, 0.0, i_net)
            i_rec = np.where(clamped, 0.0, i_rec)

            # Running averages, every cycle, from act_nd.
            avg_ss[:] = avg_ss + c["k_ss"] * (act_nd - avg_ss)
            avg_s[:] = avg_s + c["k_s"] * (avg_ss - avg_s)
            avg_m[:] = avg_m + c["k_m"] * (avg_s - avg_m)
            if c["quirk_avg_l_seed"] and cyc == 0:
                avg_l[:] = avg_l + c["k_l"] * (avg_m - avg_l)
            if c["set_l_lrn"]:
                avg_l_lrn = np.full(net.shape, c["l_lrn"])
            else:
                avg_l_lrn = c["avg_l_lrn_min"] + (avg_l - c["avg_l_min"]) * c["lrn_fact"]
            avg_s_eff = c["m_in_s"] * avg_m + c["one_m_in_s"] * avg_s

            # XCAL: once per trial at its last cycle (after the plus phase), or every cycle.
            srs = avg_s_eff[:, None] * su_s[trial]
            srm = avg_m[:, None] * su_m[trial]
            xcal_l = xcal(srs, avg_l[:, None], c)
            dwt = np.zeros_like(fwt)
            if c["learn_every_cycle"] or cyc == n_cycles - 1:
                learns = ~((su_s[trial] < c["lrn_thr"]) & (su_m[trial] < c["lrn_thr"]))
                raw = 0.0 + c["lrate"] * (
                    c["m_lrn"] * xcal(srs, srm, c) + avg_l_lrn[:, None] * xcal_l
                )
                raw = np.where(learns, raw, 0.0)
                if c["soft_bound"]:
                    raw = np.where(raw > 0, raw * (1.0 - fwt), raw * fwt)
                dwt = raw
                change = learns & ((raw != 0.0) | bool(c["learn_every_cycle"]))
                new_fwt = np.minimum(np.maximum(fwt + raw, 0.0), 1.0)
                fwt[:] = np.where(change, new_fwt, fwt)
                wt[:] = np.where(change, sig(fwt, c), wt)

            cyc_per_qtr = int(c["cyc_per_qtr"])
            if (cyc + 1) % cyc_per_qtr == 0:
                act_q[trial, cyc // cyc_per_qtr] = act_nd

            spikes += spike
            bad = ~np.isfinite(i_net) & (first_bad < 0)
            first_bad[bad] = absolute

            if absolute % every == 0 and cols.size:
                row = absolute // every - rec_base
                values = {
                    "net_raw": net_raw, "net": net, "g_e": g_e, "g_i": g_i, "g_k": g_k,
                    "I_net": i_rec, "v_m": v_m, "v_m_eq": v_m_eq, "act": act, "act_nd": act_nd,
                    "spike": spk,
                    "adapt": adapt, "avg_ss": avg_ss, "avg_s": avg_s, "avg_m": avg_m,
                    "avg_l": avg_l, "avg_l_lrn": avg_l_lrn, "avg_s_eff": avg_s_eff,
                    "dwt": dwt, "srs": srs, "srm": srm, "fwt": fwt, "wt": wt, "XCAL": xcal_l,
                }  # fmt: skip
                for k, value in enumerate(values.values()):
                    slot = slots[k]
                    if slot < 0:
                        continue
                    target_buf = unit_buf if value.ndim == 1 else syn_buf
                    target_buf[slot, row, cols] = value[rec]
    finally:
        np.seterr(**old)

    nonfinite = ~(
        np.all(np.isfinite(unit_state), axis=0) & np.all(np.isfinite(syn_state), axis=(0, 2))
    )
    if c1 > c0:
        first_bad[nonfinite & (first_bad < 0)] = abs0 + (c1 - c0) - 1
    return 1 if np.any(first_bad >= 0) else 0
