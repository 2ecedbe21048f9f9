#!/usr/bin/env bash
# The debug build: in a clean copy of the work tree, build the kernel in place with
# LEABRA_FAST_DEBUG=1 (Cython bounds, wraparound and initialisation checks on,
# -O0 -g) and run the whole test suite against it; the suite must pass under the
# debug build as under the release one (tests/test_build.py checks the kernel
# really is the debug build).
#
# The copy is first built in release mode, so the debug build also shows that
# setup.py regenerates a kernel .c made for the other mode (cythonize alone
# would keep the stale file and silently build the wrong mode); a last release-mode
# run checks the way back.
#
#   bash tools/check_debug.sh
#
# Everything is installed into a venv under a temporary directory, removed at the
# end.  PYTHON selects the interpreter (default python3).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/leabra-fast-debug.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_QUIET=1

SRC="$WORK/src"
"$PY" "$ROOT/tools/dist_checks.py" clean-copy "$ROOT" "$SRC"
"$PY" -m venv "$WORK/venv"
V="$WORK/venv/bin/python"
# Build requirements (as in pyproject.toml), the dependencies and the test extras.
"$V" - "$SRC/pyproject.toml" > "$WORK/requirements.txt" <<'EOF'
import sys
import tomllib

with open(sys.argv[1], "rb") as f:
    pyproject = tomllib.load(f)
project = pyproject["project"]
reqs = pyproject["build-system"]["requires"] + project["dependencies"]
print("\n".join(reqs + project["optional-dependencies"]["test"]))
EOF
"$V" -m pip install -r "$WORK/requirements.txt"

mkdir "$WORK/run"
cp -R "$SRC/tests" "$SRC/examples" "$SRC/pyproject.toml" "$WORK/run/"

build_in_place() {  # $1: LEABRA_FAST_DEBUG value; then check the kernel says so
    (cd "$SRC" && LEABRA_FAST_DEBUG=$1 "$V" setup.py build_ext --inplace -q -j 2) \
        > "$WORK/inplace.log" 2>&1 || { cat "$WORK/inplace.log"; exit 1; }
    (cd "$WORK/run" && PYTHONPATH="$SRC/src" "$V" -c "from leabra_fast.seed import compiled as k
assert k.DEBUG_BUILD is bool($1), 'LEABRA_FAST_DEBUG=$1 gave DEBUG_BUILD=%s' % k.DEBUG_BUILD
print('in-place LEABRA_FAST_DEBUG=$1: DEBUG_BUILD', k.DEBUG_BUILD, k.__file__)")
}

build_in_place 0
build_in_place 1
(cd "$WORK/run" && PYTHONPATH="$SRC/src" LEABRA_FAST_EXPECT_DEBUG=1 \
    "$V" -m pytest -q -p no:cacheprovider tests)

# And back: a release-mode build must regenerate the debug C (setup.py runs Cython in
# build_ext, so a build it is; with ccache, as in CI, the release objects of the first
# build_in_place are reused), checked in the generated files' metadata too.
build_in_place 0
"$V" - "$SRC" <<'EOF'
import json
import sys
from pathlib import Path

for pyx in sorted(Path(sys.argv[1], "src").rglob("*.pyx")):
    head = pyx.with_suffix(".c").read_text(errors="replace")[:4000]
    meta = head.split("BEGIN: Cython Metadata", 1)[1].split("END: Cython Metadata", 1)[0]
    macros = dict(json.loads(meta)["distutils"]["define_macros"])
    assert macros["LEABRA_FAST_DEBUG"] == "0", f"{pyx.name}: stale debug C kept"
    print(f"release mode after debug: {pyx.with_suffix('.c').name} regenerated")
EOF
