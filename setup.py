"""Build the compiled kernel of leabra_fast.

Set ``LEABRA_FAST_DEBUG=1`` in the environment to build with Cython's bounds
checking, wraparound and initialisation checks switched back on (and no
optimisation): slow, but every out-of-range index raises instead of reading
garbage.  The test suite must pass under both builds.

Threads: ``LEABRA_FAST_OPENMP=1`` (the default with GCC/Clang on Linux) builds
with ``-fopenmp`` so ``n_threads`` runs blocks of units in parallel (manylinux
wheels get libgomp bundled by auditwheel); ``LEABRA_FAST_OPENMP=0`` (the default
elsewhere) builds without OpenMP: the kernel then runs single-threaded and the
wheel needs no OpenMP runtime.  Results are bit-identical either way.
"""

import json
import os
import platform
import sys
import threading
from pathlib import Path
from typing import ClassVar

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

DEBUG = os.environ.get("LEABRA_FAST_DEBUG", "") not in ("", "0")
OPENMP = os.environ.get("LEABRA_FAST_OPENMP", "1" if sys.platform.startswith("linux") else "0")
OPENMP = OPENMP not in ("", "0")


def compile_args() -> list[str]:
    if sys.platform == "win32":
        # /fp:precise keeps IEEE semantics; MSVC does not contract a*b+c by default.
        return ["/Od"] if DEBUG else ["/O2", "/fp:precise"]
    # -ffp-contract=off: no fused multiply-add, so every product is rounded exactly
    # as in the Python reference backend (bit-for-bit agreement on the seed run).
    # -fno-math-errno lets sqrt compile to one instruction (and vectorise);
    # -fno-trapping-math lets branches become selects (we never read FP flags).
    # Neither changes a value: no -ffast-math, NaN and inf behave as IEEE says.
    args = ["-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"]
    args += ["-O0", "-g"] if DEBUG else ["-O3"]
    # Python's own CFLAGS carry -g; at -O3 the debug info took about a third of each
    # module's compile time (and most of the .so's size).  It never changes the code,
    # so a release build drops it (-g0, last on the command line, wins), unless
    # CFLAGS in the environment asks for it (tools/check_asan.sh does, for its stacks).
    if not DEBUG and not any(f.startswith("-g") for f in os.environ.get("CFLAGS", "").split()):
        args += ["-g0"]
    # Without OpenMP threads, still honour the kernel's `omp simd` loop hints.
    args += ["-fopenmp"] if OPENMP else ["-fopenmp-simd", "-DLF_OPENMP_SIMD"]
    return args


def link_args() -> list[str]:
    return ["-fopenmp"] if OPENMP and sys.platform != "win32" else []


def stale_generated_c(pyx: str) -> bool:
    """The C file Cython generated earlier from ``pyx`` was made for another build setup.

    cythonize regenerates C only when the .pyx is newer, not when directives or
    options change, so without this a debug build in a tree holding a release
    ``_kernel_avx2.c`` would silently compile the release code (and back), and a
    tree with C from before the shared utility module would keep compiling its own
    memoryview copy.  The mode is read from the ``LEABRA_FAST_DEBUG`` macro that
    Cython records in the generated file's metadata header; the shared module from
    its path, which the C names where it imports the module.
    """
    c_file = Path(pyx).with_suffix(".c")
    if not c_file.exists():
        return False
    text = c_file.read_text(errors="replace")
    head = text[:4000]
    begin, end = "BEGIN: Cython Metadata", "END: Cython Metadata"
    if begin not in head or end not in head:
        return True
    meta = json.loads(head[head.index(begin) + len(begin) : head.index(end)])
    macros = dict(meta.get("distutils", {}).get("define_macros", []))
    if macros.get("LEABRA_FAST_DEBUG") != ("1" if DEBUG else "0"):
        return True
    return SHARED_UTILITY.replace(".", "/") + ".pxd" not in text


directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,  # divisions follow C (IEEE) semantics in both builds
    "embedsignature": True,
    "freethreading_compatible": True,
}

# Instruction sets each kernel is compiled for, one extension module each
# (leabra_fast.<model>._kernel_<isa>), best first; leabra_fast.<model>.compiled picks
# the best this CPU runs before importing it.  x86-64 with GCC or Clang on Linux;
# elsewhere the baseline module only.  add, mul, div and sqrt round correctly at
# every width and there is no FMA (-ffp-contract=off), so the modules give the same
# bits and differ only in speed.
ISA_FLAGS = {
    "avx512": ["-mavx512f", "-mavx512vl", "-mavx512dq", "-mavx512bw"],
    "avx2": ["-mavx2"],
    "baseline": [],
}
MULTI_ISA = (sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")
             and os.environ.get("LEABRA_FAST_NO_DISPATCH", "") in ("", "0"))


def kernel_extensions(model: str) -> list[Extension]:
    """``leabra_fast.<model>._kernel_<isa>``, one per instruction set, from the C of
    ``src/leabra_fast/<model>/_kernel.pyx``.

    Cython runs once per model (it took 2-4 s per module), and its C is compiled once
    per instruction set, from a copy named ``_kernel_<isa>.c`` each (so the objects do
    not collide), with the module's init function renamed by a macro to match the
    module's file name.  The module takes its name from the file it is imported from;
    only its functions' ``__module__`` says ``leabra_fast.<model>._kernel``.  The source
    includes the model's ``_kernel.pxi`` and cimports the shared maths and stores of
    ``leabra_fast.core`` (whose wide stores follow the build's flags); only the
    instruction-set flags differ.
    """
    here = Path("src/leabra_fast")
    one_pyx = f"src/leabra_fast/{model}/_kernel.pyx"
    depends = [one_pyx, *(str(p) for p in sorted((here / model).glob("*.pxi")))]
    depends += [str(p) for p in sorted((here / "core").glob("*.pxd"))]
    isas = list(ISA_FLAGS) if MULTI_ISA else ["baseline"]
    exts = []
    for isa in isas:
        ext = Extension(
            f"leabra_fast.{model}._kernel_{isa}",
            [f"src/leabra_fast/{model}/_kernel_{isa}.c"],
            depends=depends,
            define_macros=[("PyInit__kernel", f"PyInit__kernel_{isa}")],
            extra_compile_args=compile_args() + ISA_FLAGS[isa],
            extra_link_args=link_args(),
        )
        ext.one_pyx = one_pyx  # type: ignore[attr-defined]
        exts.append(ext)
    return exts


# Cython's memoryview implementation (the view types, slicing, copying, buffer
# format checks: ~30,000 lines of C) goes into one shared module that every kernel
# imports, instead of a copy in each of the nine: that copy took ~4 s of -O3 compile
# per module.  Only Python-facing glue moves; the kernels' nogil loops are unchanged.
# cythonize writes its C (from the installed Cython, so it always matches the kernels').
SHARED_UTILITY = "leabra_fast.core._cyutility"
shared_utility = Extension(
    SHARED_UTILITY,
    ["src/" + SHARED_UTILITY.replace(".", "/") + ".c"],
    extra_compile_args=compile_args(),
    extra_link_args=link_args(),
)

# Longest compile first: the parallel build hands extensions to its workers in order.
extensions = (
    kernel_extensions("emergent") + kernel_extensions("network") + kernel_extensions("seed")
)

# LEABRA_FAST_ONLY=name[,name]: build only the extensions whose module name contains one
# of the names (development on a shared machine; a normal build builds everything).
# The shared utility module is always built: every kernel imports it.
_ONLY = [n for n in os.environ.get("LEABRA_FAST_ONLY", "").split(",") if n]
if _ONLY:
    extensions = [e for e in extensions if any(n in e.name for n in _ONLY)]
extensions.append(shared_utility)

# Every extension records the build mode in its generated C (see stale_generated_c).
# The kernels also read both macros (LEABRA_FAST_DEBUG turns on their index checks).
for ext in extensions:
    ext.define_macros.append(("LEABRA_FAST_DEBUG", "1" if DEBUG else "0"))
    ext.define_macros.append(("LEABRA_FAST_OPENMP", "1" if OPENMP else "0"))

# The shared module first: its C is made in a second and its compile overlaps Cython's
# work on the first kernel (see ParallelBuildExt).
extensions.insert(0, extensions.pop())


class ParallelBuildExt(build_ext):
    """Cythonize and compile each extension in one task, the tasks side by side (one per
    core) unless ``-j`` says otherwise.

    Cython runs here, by the first task that needs a model's C, not when setup.py is
    loaded: loaded, it ran every module before the first compile could start (and
    again for every later setup.py run of a pip build checking them), while one core
    at a time is enough for it.  A lock keeps one Cython at work (it is not
    thread-safe, and holds the GIL anyway); the other worker compiles meanwhile.
    Each emergent kernel module takes ~12-15 s to compile, the others ~5-10 s; built
    one after the other they would add up.
    """

    _cython_lock = threading.Lock()
    _one_c: ClassVar[dict[str, bytes]] = {}  # each model's kernel C, made once per build

    def finalize_options(self) -> None:
        super().finalize_options()
        if not self.parallel:
            self.parallel = max(1, min(len(self.extensions), os.cpu_count() or 1))

    def build_extension(self, ext: Extension) -> None:
        one_pyx = getattr(ext, "one_pyx", None)
        if one_pyx is None:  # the shared utility module: Cython writes its C
            with self._cython_lock:
                ext.sources = self.cython(ext).sources
        else:
            self.copy_one_c(ext, one_pyx)
        super().build_extension(ext)

    def cython(self, ext: Extension) -> Extension:
        """Cython's C for the .pyx of ``ext`` (regenerated when stale); under the lock."""
        pyx = [s for s in ext.sources if s.endswith(".pyx")]
        (cythonized,) = cythonize(
            [ext],
            compiler_directives=directives,
            include_path=["src"],  # cimports of leabra_fast.*.pxd
            compile_time_env={"LEABRA_FAST_DEBUG": DEBUG},
            shared_utility_qualified_name=SHARED_UTILITY,
            force=bool(self.force) or any(stale_generated_c(p) for p in pyx),
            quiet=not self.verbose,
        )
        return cythonized

    def copy_one_c(self, ext: Extension, one_pyx: str) -> None:
        """Write this instruction set's copy of the C of ``one_pyx``: Cython runs for the
        first that needs it, and a copy is rewritten only when it changed (so a rebuild
        that changed nothing compiles nothing)."""
        with self._cython_lock:
            if one_pyx not in self._one_c:
                name = ext.name.rsplit("_", 1)[0]  # leabra_fast.<model>._kernel
                macros = [m for m in ext.define_macros if m[0] != "PyInit__kernel"]
                c_file = self.cython(Extension(name, [one_pyx], define_macros=macros)).sources[0]
                self._one_c[one_pyx] = Path(c_file).read_bytes()
            text = self._one_c[one_pyx]
        copy = Path(ext.sources[0])
        if not copy.exists() or copy.read_bytes() != text:
            copy.write_bytes(text)


setup(cmdclass={"build_ext": ParallelBuildExt}, ext_modules=extensions)
