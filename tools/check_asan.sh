#!/usr/bin/env bash
# AddressSanitizer check of the compiled kernels: in a clean copy of the work tree,
# build both kernels in place with -fsanitize=address and run, under ASan, the fuzz
# suite's bounded slice and the kernel tests.  Any out-of-bounds read or write, use
# after free or double free in a kernel aborts the run with ASan's report (exit != 0).
#
#   bash tools/check_asan.sh            # PYTHON=... selects the interpreter
#
# The interpreter must already have the build and test requirements (numpy, Cython,
# pytest, hypothesis); only a setuptools older than pyproject.toml asks for gets a newer
# one beside it, for the build.  About 3 minutes on 2 idle cores: ~1 for the
# instrumented build (setup.py's -O3 stays on), ~1.5 for the tests.
# Leak detection is off: CPython keeps memory until exit, which LeakSanitizer reports.
# GCC or Clang with libasan is needed; the runtime is preloaded because the Python
# binary is not instrumented.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
CC="${CC:-cc}"
CC_BIN="${CC##* }"   # CC may be "ccache gcc": ask the compiler itself for its runtime
WORK="$(mktemp -d "${TMPDIR:-/tmp}/leabra-fast-asan.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
start=$SECONDS

SRC="$WORK/src"
"$PY" "$ROOT/tools/dist_checks.py" clean-copy "$ROOT" "$SRC"
LIBASAN="$("$CC_BIN" -print-file-name=libasan.so)"
if [ ! -e "$LIBASAN" ]; then
    echo "check_asan: $CC has no libasan.so ($LIBASAN); install the compiler's ASan runtime" >&2
    exit 2
fi

# The build needs the setuptools pyproject.toml asks for (the SPDX license string):
# an older one in the interpreter gets a newer one beside it, for the build only.
BUILD_PATH=""
if ! "$PY" -c "import setuptools, sys; sys.exit(int(setuptools.__version__.split('.')[0]) < 77)"; then
    "$PY" -m pip install -q --disable-pip-version-check --target "$WORK/build-reqs" "setuptools>=77"
    BUILD_PATH="$WORK/build-reqs"
fi

# -fno-omit-frame-pointer and -g give ASan's reports readable stacks.
ASAN_FLAGS="-fsanitize=address -fno-omit-frame-pointer -g"
# Only the baseline module of each kernel (LEABRA_FAST_ONLY): the three instruction-set
# modules compile one .pxi, so their indexing is the same code; building all nine took
# most of this check's time.  The tests then run every kernel on its baseline module.
(cd "$SRC" && PYTHONPATH="$BUILD_PATH" CFLAGS="$ASAN_FLAGS" LDFLAGS="-fsanitize=address" \
    LEABRA_FAST_ONLY=_kernel_baseline "$PY" setup.py build_ext --inplace -q -j 2) > "$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log"; exit 1; }
echo "asan: kernels built in $((SECONDS - start)) s"

# The kernels must really be instrumented: their shared objects link libasan.
# (ldd's output is read whole first: `ldd | grep -q` under pipefail fails at random when
# grep exits early and ldd gets SIGPIPE.)
for so in "$SRC"/src/leabra_fast/*/_kernel_*.so; do
    needed="$(ldd "$so")"
    if [[ "$needed" != *libasan* ]]; then
        echo "check_asan: $so is not linked against libasan" >&2
        exit 1
    fi
done

ASAN_ENV=(LD_PRELOAD="$LIBASAN" PYTHONPATH="$SRC/src" PYTHONMALLOC=malloc
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:allocator_may_return_null=1")
# The runtime is live in the interpreter, and both kernels import under it.
env "${ASAN_ENV[@]}" "$PY" -c "
import ctypes
ctypes.CDLL(None).__asan_report_load8  # raises AttributeError without the ASan runtime
from leabra_fast.emergent import compiled as emergent_kernel
from leabra_fast.seed import compiled as seed_kernel
print('asan: runtime loaded,', seed_kernel.current().__file__, emergent_kernel.BUILD_INFO)"

TESTS=(tests/test_fuzz.py tests/test_hardening.py tests/test_backends.py
       tests/test_emergent_simd.py tests/test_simd_levels.py tests/test_speed_paths.py
       tests/test_kernel_hashes.py tests/test_emergent_kernel_hashes.py)
# halt_on_error + abort: the first report fails the run loudly.
(cd "$SRC" && env "${ASAN_ENV[@]}" "$PY" -m pytest -q -p no:cacheprovider -x "${TESTS[@]}")
echo "asan: done in $((SECONDS - start)) s"
