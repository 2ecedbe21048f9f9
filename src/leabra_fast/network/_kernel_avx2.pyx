# cython: language_level=3, freethreading_compatible=True
"""The network's compiled kernel, built for avx2 (the loop: _kernel.pxi; chosen by compiled.py)."""
include "_kernel.pxi"
