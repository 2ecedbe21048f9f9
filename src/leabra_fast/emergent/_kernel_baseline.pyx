"""The emergent kernel compiled for the baseline instruction set (SSE2 on x86-64); see _kernel.pxi."""
ISA = "baseline"
include "_kernel.pxi"
