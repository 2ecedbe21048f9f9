"""The canonical emergent model against the expected values of Go emergent's own unit tests.

Numbers from github.com/emer/leabra (BSD-3), see docs/emergent_published_values.md:

* ``nxx1/nxx1_test.go`` ``TestXX1`` (commits 612bc9d3, 329158f3): 16 NoisyXX1 values, difTol 1e-10;
* ``leabra/act_test.go`` ``TestActUpdt`` (commits 329158f3, e34c31d6): 8 steps of Ge, Inet, Vm,
  Act, difTol 1e-8; "validated against emergent v8.5.6 svn 11473";
* ``leabra/learn_test.go`` ``TestXCal`` (commit 329158f3): 13 XCAL values, difTol 1e-8;
* ``leabra/basic_test.go`` ``TestSynValues``: sig_inv(0.15) = 0.42822415.

Tolerance.  Go computes in float32 and compares with an absolute ``difTol``; at
magnitudes ~0.5 one float32 ulp is 6e-8, so ``difTol`` demands float32 bit
equality.  We compute in float64, so we accept ``|ours - published| <=
max(difTol, 2 ulp32(published))``: Go's own tolerance, or two float32 ulps of
the published number (the published value is itself a float32 rounding of a
float32 computation, at least one rounding each).  The sub-threshold Act values
of TestActUpdt (1e-29 .. 1e-13) come from a sigmoid whose relative error is
``sig_gain/nvar = 600`` times the float32 error of Vm (~3e-8), so relative
agreement there is checked at 5e-5 (measured: 1.5e-5); their absolute error is
~1e-19, far inside Go's 1e-8.
"""

import numpy as np
import pytest

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams, derived_constants
from leabra_fast.emergent import compiled as K
from leabra_fast.emergent import reference as R


def assert_published(got, published, dif_tol, name=""):
    got = np.asarray(got, dtype=np.float64)
    pub32 = np.asarray(published, dtype=np.float32)
    tol = np.maximum(dif_tol, 2.0 * np.spacing(np.abs(pub32)).astype(np.float64))
    err = np.abs(got - pub32.astype(np.float64))
    assert np.all(err <= tol), f"{name}: err {err} > tol {tol}"


# --- TestXX1 ------------------------------------------------------------------------------
XX1_CASES = [
    (-0.05, 1.7735989e-14), (-0.04, 7.155215e-12), (-0.03, 2.8866178e-09),
    (-0.02, 1.1645374e-06), (-0.01, 0.00046864923), (0.0, 0.094767615),
    (0.01, 0.47916666), (0.02, 0.65277773), (0.03, 0.742268), (0.04, 0.7967479),
    (0.05, 0.8333333), (0.1, 0.90909094), (0.2, 0.95238096), (0.3, 0.96774197),
    (0.4, 0.9756098), (0.5, 0.98039216),
]  # fmt: skip
C = derived_constants(EmergentParams(), 1)


def test_nxx1_published_values_python():
    xs, ys = zip(*XX1_CASES, strict=True)
    assert_published(R.noisy_xx1(np.array(xs), C), ys, 1e-10, "NoisyXX1")


@pytest.mark.parametrize(("x", "y"), XX1_CASES)
def test_nxx1_published_values_c(x, y):
    assert_published(K.noisy_xx1_scalar(C, x), y, 1e-10, f"NoisyXX1({x})")
    assert K.noisy_xx1_scalar(C, x) == pytest.approx(float(R.noisy_xx1(x, C)), rel=1e-15)


def test_nxx1_derived_constants():
    # Go's derived values with defaults: sig_mult_eff = 0.33 * 0.5**0.8, interp at x = 0.01.
    assert C["sig_gain_nvar"] == pytest.approx(600.0)
    assert C["sig_mult_eff"] == pytest.approx(0.33 * 0.5**0.8, rel=1e-15)
    assert C["sig_val_at_0"] == pytest.approx(0.094767615, rel=1e-7)
    assert C["interp_val"] == pytest.approx(0.92 / 1.92 - 0.5 * 0.33 * 0.5**0.8, rel=1e-14)
    assert_published(C["interp_val"], 0.38439906, 1e-10, "interp_val")


# --- TestActUpdt ------------------------------------------------------------------------
GE_INC = [0.01, 0.02, 0.03, 0.04, 0.05, 0.1, 0.2, 0.3]
ACT_UPDT = {
    "net": [0.007142857, 0.023469387, 0.049562685, 0.085589334, 0.13159695, 0.21617055,
            0.3831916, 0.64519763],
    "I_net": [-0.015714284, -0.0048542274, 0.011293108, 0.032156322, 0.056659013, 0.09967137,
              0.1782439, 0.275567],
    "v_m": [0.3952381, 0.39376712, 0.39718926, 0.4069336, 0.424103, 0.45430642, 0.50831974,
            0.5918249],
    "act": [2.8884673e-29, 3.2081596e-29, 1.1549086e-28, 3.2309342e-26, 9.598328e-22,
            7.120265e-14, 0.29335475, 0.5022214],
}  # fmt: skip


def act_updt_run(backend):
    """Go's TestActUpdt: Go defaults with Gbar.L = 0.2, GeRaw += geinc each cycle, 8 cycles.

    One trial of 4 quarters x 2 cycles; at trial start the state is the
    initial one (v_m 0.4, act 0, Ge 0), so the decay changes nothing.  Ge is
    ``net`` (g_bar_e = 1), GeRaw is ``net_raw``.
    """
    p = EmergentParams.go(g_bar_l=0.2, cyc_per_qtr=2)
    ge_raw = np.cumsum(GE_INC).reshape(1, 8, 1)
    return lf.simulate(ge=ge_raw, params=p, model="emergent", backend=backend)


@pytest.mark.parametrize("name", list(ACT_UPDT))
def test_act_updt_published_values(backend, name):
    res = act_updt_run(backend)
    np.testing.assert_allclose(res["net_raw"][:, 0], np.cumsum(GE_INC), rtol=1e-15)
    assert_published(res[name][:, 0], ACT_UPDT[name], 1e-8, name)


def test_act_updt_subthreshold_act_relative(backend):
    res = act_updt_run(backend)
    np.testing.assert_allclose(res["act"][:6, 0], ACT_UPDT["act"][:6], rtol=5e-5)
    # Steps 0..5 use the v_m branch (v_m <= thr), steps 6..7 the g_e branch.
    assert np.all(res["v_m"][:6, 0] <= 0.5) and np.all(res["v_m"][6:, 0] > 0.5)


# --- TestXCal ---------------------------------------------------------------------------------
XCAL_CASES = [
    (0.01, 0.1, -0.089999996), (0.02, 0.1, -0.08), (0.03, 0.1, -0.07),
    (0.04, 0.1, -0.060000002), (0.05, 0.1, -0.05), (0.1, 0.1, 0.0), (0.2, 0.2, 0.0),
    (0.3, 0.2, 0.10000001), (0.4, 0.2, 0.2), (0.5, 0.2, 0.3), (0.6, 0.2, 0.40000004),
    (0.7, 0.3, 0.39999998), (0.8, 0.3, 0.5),
]  # fmt: skip


@pytest.mark.parametrize(("x", "th", "expected"), XCAL_CASES)
def test_xcal_published_values(x, th, expected):
    assert_published(R.xcal(x, th, C), expected, 1e-8, "xcal python")
    assert_published(K.xcal_scalar(C, x, th), expected, 1e-8, "xcal C")


def test_xcal_reversal_point_is_the_reversed_branch():
    # srval == thrP * DRev exactly: the strict comparison takes the linear reversal.
    assert K.xcal_scalar(C, 0.01, 0.1) == pytest.approx(-0.09, rel=1e-15)


# --- TestSynValues: the weight sigmoid and its inverse ---------------------------------------
def test_sig_inverse_published_value():
    assert_published(R.sig_inv(0.15, C), 0.42822415, 1e-8, "sig_inv(0.15)")
    assert R.sig(R.sig_inv(0.15, C), C) == pytest.approx(0.15, rel=1e-14)
    assert R.sig(0.5, C) == 0.5 and K.sig_scalar(C, 0.5) == 0.5


def test_initial_weights_from_wt_use_the_inverse_sigmoid():
    res = lf.simulate(lf.NOTEBOOK_INPUT[:1], wt=0.15, params=EmergentParams(lrate=0.0),
                      model="emergent", record=None)  # fmt: skip
    assert_published(res.state.fwt[0, 0], 0.42822415, 1e-8, "fwt")
    assert res.state.wt[0, 0] == 0.15
