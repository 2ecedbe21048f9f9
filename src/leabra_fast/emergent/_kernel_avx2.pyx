"""The emergent kernel compiled for AVX2; see _kernel.pxi."""
ISA = "avx2"
include "_kernel.pxi"
