"""Type stubs for the network kernel built for avx2: the same source as the baseline
module (``_kernel.pxi``) compiled with other flags, so the same names."""

from leabra_fast.network._kernel_baseline import *  # noqa: F403
