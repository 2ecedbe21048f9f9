#!/usr/bin/env bash
# Build leabra_fast with LEABRA_FAST_DEBUG=1 (Cython bounds, wraparound and
# initialisation checks on, -O0 -g) from a clean copy of the work tree, install it
# into a fresh venv, and run the whole test suite against it from outside the
# source tree.  The suite must pass under the debug build as under the release one;
# tests/test_build.py checks the kernel really is the debug build.
#
#   bash tools/check_debug.sh
#
# It then checks that in-place builds in a checkout switch between release and
# debug both ways.  PYTHON selects the interpreter (default python3).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/leabra-fast-debug.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_QUIET=1

"$PY" "$ROOT/tools/dist_checks.py" clean-copy "$ROOT" "$WORK/src"
"$PY" -m venv "$WORK/venv"
V="$WORK/venv/bin/python"
# pip passes the environment on to the isolated build, so setup.py sees the switch.
LEABRA_FAST_DEBUG=1 "$V" -m pip install "$WORK/src[test]" > "$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log"; exit 1; }

mkdir "$WORK/run"
cp -R "$WORK/src/tests" "$WORK/src/examples" "$WORK/run/"
cd "$WORK/run"
"$V" -c "from leabra_fast import _seed_kernel as k; print('debug kernel:', k.__file__); \
assert k.DEBUG_BUILD is True, 'LEABRA_FAST_DEBUG=1 did not give a debug build'"
LEABRA_FAST_EXPECT_DEBUG=1 "$V" -m pytest -q -p no:cacheprovider tests

# In-place builds in a checkout switch mode both ways: setup.py regenerates the C
# when the existing _seed_kernel.c was made for the other mode (cythonize alone
# would keep the stale file and silently build the wrong mode).
"$V" -m pip install "Cython>=3.1" "setuptools>=68"
cd "$WORK/src"
for mode in 0 1 0; do
    LEABRA_FAST_DEBUG=$mode "$V" setup.py build_ext --inplace -q > "$WORK/inplace.log" 2>&1 \
        || { cat "$WORK/inplace.log"; exit 1; }
    PYTHONPATH=src "$V" -c "from leabra_fast import _seed_kernel as k; \
assert k.DEBUG_BUILD is bool($mode), 'in-place LEABRA_FAST_DEBUG=$mode gave DEBUG_BUILD=%s' % k.DEBUG_BUILD; \
print('in-place LEABRA_FAST_DEBUG=$mode: DEBUG_BUILD', k.DEBUG_BUILD)"
done
