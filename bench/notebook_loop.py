"""The seed notebook's own simulation loop: the yardstick of compare.py's row 1b.

A copy of ``tests/notebook_seed.py`` (the notebook's cell kept as close to verbatim
as Python 3 allows; see there for the few changes), kept here so the benchmark does
not depend on the test tree.  Row 1b times it against ``simulate`` on the same run,
all 19 traces recorded by both.
"""
import numpy as np

NOTEBOOK_INPUT = [0, 0, 1, 1, 1, 1, 0, 0, 0, .2, .2, .2, 0, 0, .5, .5, 0, 0, .3, 0]

NAMES = ("net", "net_raw", "v_m", "act", "adapt", "I_net", "act_nd", "avg_ss", "avg_s", "avg_m",
         "avg_l", "avg_l_lrn", "avg_s_eff", "dwt", "srs", "srm", "fwt", "wt", "XCAL")


def run_notebook(neuron_input=NOTEBOOK_INPUT, su_avg_s_eff_full=NOTEBOOK_INPUT,
                 su_avg_m_full=NOTEBOOK_INPUT, num_cycles=100, m_lrn=0, lrate=.1):
    n = 1
    noise = 0
    dt_integ = 1
    dt_net_dt = 1/1.4
    gc_l = 0.1
    e_rev_e = 1
    e_rev_l = 0.3
    dt_vm_dt = 1/3.3
    thr = 0.5
    vm_gain = 0.04
    spike_gain = .00805
    spk_thr = 1.2
    vm_r = .3
    exp_slope = .02
    g_bar_l = .3
    sdc = 5
    ss_dt = .5/sdc
    s_dt = .5/sdc
    m_dt = .1/sdc
    avg_l_max = 1.5
    avg_l_min = .2
    l_dt = .1/sdc
    m_in_s = .1
    avg_l_lrn_min = 0.005
    avg_l_lrn_max = 0.05
    d_thr = 0.0001
    d_rev = .1
    gain = 1.5

    def XCAL(x, th):
        out = -x * ((1-d_rev)/d_rev)
        if (x < d_thr):
            out = 0
        elif x > th * d_rev:
            out = x - th
        return out

    def SIG(x):
        return 1 / (1+((1 - x)/(x+.01))**gain)

    net = 0
    v_m = 0.3
    adapt = 0
    avg_ss = 0
    avg_s = 0
    avg_m = 0
    avg_l = 0
    dwt = 0
    fwt = .5
    wt = 0.5
    saved = {k: [] for k in NAMES}

    for trial in range(len(neuron_input)):
        for cycle in range(num_cycles):
            net_raw = 1/n * neuron_input[trial]*wt
            net = net + dt_integ * dt_net_dt * (net_raw - net)
            gc_i = 0
            I_net = net * (e_rev_e - v_m) + gc_l * (e_rev_l - v_m) + gc_i * (e_rev_e - v_m) + noise
            I_net = I_net + g_bar_l * exp_slope * np.exp((v_m - thr) / exp_slope)
            v_m = v_m + dt_integ * dt_vm_dt * (I_net - adapt)
            if (v_m > spk_thr):
                spike = 1
                v_m = vm_r
            else:
                spike = 0
            act = spike
            adapt = adapt + ((vm_gain * (v_m - e_rev_l)) + spike * spike_gain)/144
            act_nd = act
            avg_ss = avg_ss + dt_integ * ss_dt * (act_nd - avg_ss)
            avg_s = avg_s + dt_integ * s_dt * (avg_ss - avg_s)
            avg_m = avg_m + dt_integ * m_dt * (avg_s - avg_m)
            if cycle == 0:
                avg_l = avg_l + l_dt * (avg_m - avg_l)
            avg_l_lrn = avg_l_lrn_min + (avg_l - avg_l_min) * (
                (avg_l_lrn_max - avg_l_lrn_min)/avg_l_max - avg_l_min)
            avg_s_eff = m_in_s * avg_m + (1-m_in_s) * avg_s
            su_avg_s_eff = su_avg_s_eff_full[trial]
            srs = avg_s_eff * su_avg_s_eff
            su_avg_m = su_avg_m_full[trial]
            srm = avg_m * su_avg_m
            dwt = dwt + lrate * (m_lrn * XCAL(srs, srm) + avg_l_lrn * XCAL(srs, avg_l))
            if dwt > 0:
                dwt = dwt * (1-fwt)
            else:
                dwt = dwt * fwt
            fwt = fwt + dwt
            wt = SIG(fwt)
            values = (net, net_raw, v_m, act, adapt, I_net, act_nd, avg_ss, avg_s, avg_m, avg_l,
                      avg_l_lrn, avg_s_eff, dwt, srs, srm, fwt, wt, XCAL(srs, avg_l))
            for k, v in zip(NAMES, values, strict=True):
                saved[k].append(float(v))
            dwt = 0
    return {k: np.array(v) for k, v in saved.items()}
