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


@pytest.fixture(params=["cython", "python"])
def backend(request):
    return request.param
