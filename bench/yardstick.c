/*
 * The yardstick: the seed model as a straightforward C loop.
 *
 * What a competent C programmer writes first: the notebook's equations for one
 * unit per loop iteration, glibc exp() and pow(), no blocking, no SIMD, no
 * threads.  bench/compare.py builds it with the package's default compile
 * flags and times leabra_fast against it on the same run.  Schedule: one input
 * value per trial shared by every synapse (the notebook's set-up), gc_i = 0,
 * su_avg_s_eff = su_avg_m = input; no traces.
 */
#include <math.h>

/* Same names and order as leabra_fast.seed.params.derived_constants. */
typedef struct {
    double k_net, k_vm, noise, gc_l, e_rev_e, e_rev_l, e_inh, thr, exp_slope, k_exp;
    double spk_thr, vm_r, vm_gain, spike_gain, adapt_div, k_ss, k_s, k_m, l_dt;
    double avg_l_min, avg_l_lrn_min, lrn_fac, m_in_s, one_m_in_s, lrate, m_lrn;
    double d_thr, d_rev, rev_fac, gain, off, sig_eps, inv_n_inputs;
} Consts;

static double xcal(double x, double th, const Consts *c)
{
    if (x < c->d_thr) return 0.0;
    if (x > th * c->d_rev) return x - th;
    return -x * c->rev_fac;
}

/*
 * us: (7, n_units) net, v_m, adapt, avg_ss, avg_s, avg_m, avg_l;
 * ss: (2, n_units, n_inputs) fwt, wt; x: (n_trials,); spikes: (n_units,).
 */
long long yardstick_run(const Consts *c, int n_units, int n_inputs, int n_trials,
                        int n_cycles, const double *x, double *us, double *ss)
{
    long long n_spikes = 0;
    double *net = us, *v_m = us + n_units, *adapt = us + 2 * n_units;
    double *avg_ss = us + 3 * n_units, *avg_s = us + 4 * n_units, *avg_m = us + 5 * n_units;
    double *avg_l = us + 6 * n_units;
    double *fwt = ss, *wt = ss + (long)n_units * n_inputs;
    for (int trial = 0; trial < n_trials; trial++) {
        double in = x[trial];
        for (int cycle = 0; cycle < n_cycles; cycle++) {
            for (int u = 0; u < n_units; u++) {
                double acc = 0.0;
                for (int j = 0; j < n_inputs; j++) acc = acc + in * wt[(long)u * n_inputs + j];
                double net_raw = c->inv_n_inputs * acc;
                net[u] = net[u] + c->k_net * (net_raw - net[u]);
                double i_net = (net[u] * (c->e_rev_e - v_m[u]) + c->gc_l * (c->e_rev_l - v_m[u])
                                + 0.0 * (c->e_inh - v_m[u]) + c->noise);
                i_net = i_net + c->k_exp * exp((v_m[u] - c->thr) / c->exp_slope);
                v_m[u] = v_m[u] + c->k_vm * (i_net - adapt[u]);
                double act = 0.0;
                if (v_m[u] > c->spk_thr) {
                    v_m[u] = c->vm_r;
                    act = 1.0;
                    n_spikes++;
                }
                adapt[u] = adapt[u] + ((c->vm_gain * (v_m[u] - c->e_rev_l)) + act * c->spike_gain)
                                      / c->adapt_div;
                avg_ss[u] = avg_ss[u] + c->k_ss * (act - avg_ss[u]);
                avg_s[u] = avg_s[u] + c->k_s * (avg_ss[u] - avg_s[u]);
                avg_m[u] = avg_m[u] + c->k_m * (avg_s[u] - avg_m[u]);
                if (cycle == 0) avg_l[u] = avg_l[u] + c->l_dt * (avg_m[u] - avg_l[u]);
                double avg_l_lrn = c->avg_l_lrn_min + (avg_l[u] - c->avg_l_min) * c->lrn_fac;
                double avg_s_eff = c->m_in_s * avg_m[u] + c->one_m_in_s * avg_s[u];
                for (int j = 0; j < n_inputs; j++) {
                    long k = (long)u * n_inputs + j;
                    double srs = avg_s_eff * in, srm = avg_m[u] * in;
                    double dwt = 0.0 + c->lrate * (c->m_lrn * xcal(srs, srm, c)
                                                   + avg_l_lrn * xcal(srs, avg_l[u], c));
                    dwt = dwt > 0 ? dwt * (1.0 - fwt[k]) : dwt * fwt[k];
                    fwt[k] = fwt[k] + dwt;
                    wt[k] = 1.0 / (1.0 + pow((c->off * (1.0 - fwt[k])) / (fwt[k] + c->sig_eps),
                                             c->gain));
                }
            }
        }
    }
    return n_spikes;
}
