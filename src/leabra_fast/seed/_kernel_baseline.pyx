# cython: language_level=3, freethreading_compatible=True
"""The seed model's compiled kernel, built for baseline (the loop: _kernel.pxi; chosen by compiled.py)."""
from leabra_fast.core._lf_wide_baseline cimport LF_WIDE_STREAM, lf_exp_stream, lf_stream_rows
include "_kernel.pxi"
