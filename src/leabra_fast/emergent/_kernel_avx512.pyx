"""The emergent kernel compiled for AVX-512 (F, VL, DQ, BW); see _kernel.pxi."""
ISA = "avx512"
include "_kernel.pxi"
