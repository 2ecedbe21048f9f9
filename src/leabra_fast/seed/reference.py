"""The reference backend: the seed notebook's loop in readable NumPy, the oracle of the kernel.

Each cycle is the notebook's cell, statement for statement and in its order,
vectorised over units (and synapses) instead of scalar.  Nothing is clever
here on purpose: when the compiled kernel and this module disagree, this module
is the one to read.  ``run_seed`` has the same signature as the compiled
kernel's, so the simulation driver can call either.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SYNAPSE_TRACES", "TRACE_NAMES", "UNIT_TRACES", "run_seed", "sig", "xcal"]

#: Per-unit traces, in the notebook's order of its ``*_saved`` lists.
UNIT_TRACES = (
    "net", "net_raw", "v_m", "act", "adapt", "I_net", "act_nd",
    "avg_ss", "avg_s", "avg_m", "avg_l", "avg_l_lrn", "avg_s_eff",
)  # fmt: skip
#: Per-synapse traces; ``XCAL`` is XCAL(srs, avg_l), as the notebook saves it.
SYNAPSE_TRACES = ("dwt", "srs", "srm", "fwt", "wt", "XCAL")
#: All 19 names (the notebook's ``*_saved`` lists without ``_saved``), unit traces
#: first.  The kernel indexes traces by position here.
TRACE_NAMES = UNIT_TRACES + SYNAPSE_TRACES



def xcal(x: np.ndarray, th: np.ndarray | float, c: dict[str, float]) -> np.ndarray:
    """XCAL check-mark function, the notebook's scalar branch order.

    0 below ``d_thr``; ``x - th`` above ``th * d_rev``; otherwise the linear
    reversal ``-x * (1 - d_rev) / d_rev``.  (The notebook's array branch would
    let ``x > th*d_rev`` override ``x < d_thr``; its simulation loop uses the
    scalar branch, reproduced here.)
    """
    x, th = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(th, dtype=np.float64))
    out = np.where(x > th * c["d_rev"], x - th, -x * c["rev_fac"])
    return np.where(x < c["d_thr"], 0.0, out)


def sig(w: np.ndarray, c: dict[str, float]) -> np.ndarray:
    """The notebook's SIG: 1 / (1 + (off*(1 - w) / (w + sig_eps)) ** gain)."""
    w = np.asarray(w, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return 1.0 / (1.0 + ((c["off"] * (1.0 - w)) / (w + c["sig_eps"])) ** c["gain"])


def run_seed(
    c: dict[str, float],
    x: np.ndarray,
    su_s: np.ndarray,
    su_m: np.ndarray,
    gc_i: np.ndarray,
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
    n_threads: int = 1,
) -> int:
    """Run schedule cycles ``c0 .. c1-1`` for all units; update state and buffers in place.

    Cycle ``t`` belongs to trial ``t // n_cycles`` at position ``t % n_cycles``;
    its absolute index is ``abs0 + t - c0``.  Returns 0, or 1 when some unit's
    dynamics became non-finite (its first such cycle is in ``first_bad``).
    """
    net, v_m, adapt, avg_ss, avg_s, avg_m, avg_l = unit_state  # views: updated in place
    fwt, wt = syn_state
    rec = unit_cols >= 0
    cols = unit_cols[rec]
    n_inputs = fwt.shape[1]
    old = np.seterr(all="ignore")  # overflow is detected below and reported, as in the kernel
    try:
        for t in range(c0, c1):
            trial, cycle = divmod(t, n_cycles)
            absolute = abs0 + (t - c0)
            xt = x[trial]

            # Input: net_raw = 1/n * sum_j x_j * wt_j, summed in input order.
            acc = np.zeros_like(net)
            for j in range(n_inputs):
                acc = acc + xt[:, j] * wt[:, j]
            net_raw = c["inv_n_inputs"] * acc
            net[:] = net + c["k_net"] * (net_raw - net)

            # Membrane potential: leak, excitation, inhibition, AdEx exponential term.
            i_net = (
                net * (c["e_rev_e"] - v_m)
                + c["gc_l"] * (c["e_rev_l"] - v_m)
                + gc_i[trial] * (c["e_inh"] - v_m)
                + c["noise"]
            )
            i_net = i_net + c["k_exp"] * np.exp((v_m - c["thr"]) / c["exp_slope"])
            v_m[:] = v_m + c["k_vm"] * (i_net - adapt)

            # Spike and reset; adaptation without decay (seed quirk).
            spike = v_m > c["spk_thr"]
            v_m[spike] = c["vm_r"]
            act = spike.astype(np.float64)
            adapt[:] = adapt + ((c["vm_gain"] * (v_m - c["e_rev_l"])) + act * c["spike_gain"]) / c[
                "adapt_div"
            ]
            act_nd = act

            # Running averages; avg_l once per trial, at cycle 0 (seed quirk).
            avg_ss[:] = avg_ss + c["k_ss"] * (act_nd - avg_ss)
            avg_s[:] = avg_s + c["k_s"] * (avg_ss - avg_s)
            avg_m[:] = avg_m + c["k_m"] * (avg_s - avg_m)
            if cycle == 0:
                avg_l[:] = avg_l + c["l_dt"] * (avg_m - avg_l)
            avg_l_lrn = c["avg_l_lrn_min"] + (avg_l - c["avg_l_min"]) * c["lrn_fac"]
            avg_s_eff = c["m_in_s"] * avg_m + c["one_m_in_s"] * avg_s

            # XCAL learning, every cycle (seed quirk), soft bounding, SIG.
            srs = avg_s_eff[:, None] * su_s[trial]
            srm = avg_m[:, None] * su_m[trial]
            xcal_l = xcal(srs, avg_l[:, None], c)
            dwt = 0.0 + c["lrate"] * (c["m_lrn"] * xcal(srs, srm, c) + avg_l_lrn[:, None] * xcal_l)
            dwt = np.where(dwt > 0, dwt * (1.0 - fwt), dwt * fwt)
            fwt[:] = fwt + dwt
            wt[:] = sig(fwt, c)

            spikes += spike
            bad = ~np.isfinite(i_net) & (first_bad < 0)
            first_bad[bad] = absolute

            if absolute % every == 0 and cols.size:
                row = absolute // every - rec_base
                values = {
                    "net": net, "net_raw": net_raw, "v_m": v_m, "act": act, "adapt": adapt,
                    "I_net": i_net, "act_nd": act_nd, "avg_ss": avg_ss, "avg_s": avg_s,
                    "avg_m": avg_m, "avg_l": avg_l, "avg_l_lrn": avg_l_lrn,
                    "avg_s_eff": avg_s_eff, "dwt": dwt, "srs": srs, "srm": srm, "fwt": fwt,
                    "wt": wt, "XCAL": xcal_l,
                }  # fmt: skip
                for k, value in enumerate(values.values()):
                    slot = slots[k]
                    if slot < 0:
                        continue
                    target = unit_buf if value.ndim == 1 else syn_buf
                    target[slot, row, cols] = value[rec]
    finally:
        np.seterr(**old)

    # A NaN born in the last cycle has not reached I_net yet: check the state too.
    finite = np.all(np.isfinite(unit_state), axis=0) & np.all(np.isfinite(syn_state), axis=(0, 2))
    nonfinite = ~finite
    first_bad[nonfinite & (first_bad < 0)] = abs0 + (c1 - c0) - 1
    return 1 if np.any(first_bad >= 0) else 0
