import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

DATA = Path(__file__).parent / "data"


def assert_traces_close(actual, expected, rtol=1e-12, name=""):
    """Values agree to ``rtol`` relative to each trace's own scale.

    Plain elementwise rtol is meaningless where a trace crosses zero (XCAL's
    ``x - th`` cancels to ~1e-17); the tolerance is therefore rtol times the
    largest magnitude of the expected trace (its scale), never looser than
    that.
    """
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (name, actual.shape, expected.shape)
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=name)


#: Relative agreement of I_net at the cycles where a unit spikes (see below).
SPIKE_I_NET_RTOL = 1e-10


def assert_run_traces_close(fast, ref, rtol=1e-12):
    """The traces of two runs of the seed model agree to ``rtol`` (assert_traces_close).

    All but one kind of value: I_net at a cycle where the unit spikes, which holds the
    AdEx term ``k_exp * exp((v_m - thr) / exp_slope)`` of a v_m just under spk_thr.
    Its exponent reaches ~40 there, so the backends' ~1e-14 relative difference in
    v_m (each cycle's exp is within an ulp, not bit-equal) comes out up to ~40x
    larger, and such values reach 1e12 or more.  The spike then resets v_m exactly,
    so nothing downstream carries it.  Those values are checked elementwise to
    SPIKE_I_NET_RTOL, and the scale of the rest of I_net is taken without them.
    """
    assert list(fast) == list(ref)
    for name in ref:
        actual, expected = np.asarray(fast[name]), np.asarray(ref[name])
        if name == "I_net" and "act" in ref:
            spiking = np.asarray(ref["act"]) == 1
            np.testing.assert_allclose(
                actual[spiking], expected[spiking], rtol=SPIKE_I_NET_RTOL, err_msg=name
            )
            actual, expected = np.where(spiking, 0.0, actual), np.where(spiking, 0.0, expected)
        assert_traces_close(actual, expected, rtol, name=name)


@pytest.fixture(params=["cython", "python"])
def backend(request):
    return request.param
