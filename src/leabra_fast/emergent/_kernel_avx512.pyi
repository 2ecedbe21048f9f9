"""Type stubs for the emergent kernel built for avx512: the same source as the baseline
module (``_kernel.pxi``) compiled with other flags, so the same names."""

from leabra_fast.emergent._kernel_baseline import *  # noqa: F403
