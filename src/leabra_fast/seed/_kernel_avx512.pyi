"""Type stubs for the seed kernel built for avx512: the same source as the baseline
module (``_kernel.pxi``) compiled with other flags, so the same names."""

from leabra_fast.seed._kernel_baseline import *  # noqa: F403
