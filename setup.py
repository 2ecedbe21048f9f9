"""Build the compiled kernel of leabra_fast.

Set ``LEABRA_FAST_DEBUG=1`` in the environment to build with Cython's bounds
checking, wraparound and initialisation checks switched back on (and no
optimisation): slow, but every out-of-range index raises instead of reading
garbage.  The test suite must pass under both builds.
"""

import os
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("LEABRA_FAST_DEBUG", "") not in ("", "0")


def compile_args() -> list[str]:
    if sys.platform == "win32":
        # /fp:precise keeps IEEE semantics; MSVC does not contract a*b+c by default.
        return ["/Od"] if DEBUG else ["/O2", "/fp:precise"]
    # -ffp-contract=off: no fused multiply-add, so every product is rounded exactly
    # as in the Python reference backend (bit-for-bit agreement on the seed run).
    args = ["-ffp-contract=off", "-fno-math-errno"]
    args += ["-O0", "-g"] if DEBUG else ["-O3"]
    return args


directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,  # divisions follow C (IEEE) semantics in both builds
    "embedsignature": True,
}

extensions = [
    Extension(
        "leabra_fast._seed_kernel",
        ["src/leabra_fast/_seed_kernel.pyx"],
        extra_compile_args=compile_args(),
    ),
    Extension(
        "leabra_fast._emergent_kernel",
        ["src/leabra_fast/_emergent_kernel.pyx"],
        extra_compile_args=compile_args(),
    ),
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives=directives,
        compile_time_env={"LEABRA_FAST_DEBUG": DEBUG},
    ),
)
