# cython: language_level=3, freethreading_compatible=True
"""The seed model's compiled kernel (the loop: _kernel.pxi).  Cython runs once; setup.py
compiles the C once per instruction set as _kernel_<isa>; compiled.py picks the module."""
include "_kernel.pxi"
