"""Checks on built distributions and on the release configuration (run by check_dist.sh).

Usage::

    python tools/dist_checks.py clean-copy SOURCE_ROOT DEST
    python tools/dist_checks.py sdist SDIST.tar.gz SOURCE_ROOT
    python tools/dist_checks.py wheel WHEEL.whl SOURCE_ROOT
    python tools/dist_checks.py generated-c SOURCE_ROOT  # ignored by git, excluded from sdist
    python tools/dist_checks.py identifiers           # needs cibuildwheel installed
    python tools/dist_checks.py workflow WORKFLOW.yml  # needs PyYAML installed

Each command prints what it checked and exits non-zero with the reasons if
anything is wrong.  Only the standard library is used, except where noted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

PACKAGE = "leabra_fast"

# The wheels the release builds, per cibuildwheel platform: CPython 3.11-3.14 and
# free-threaded 3.14t; manylinux + musllinux on x86_64 and aarch64; macOS x86_64 and
# arm64; Windows AMD64.  Changing [tool.cibuildwheel] means changing this on purpose.
_PYTHONS = ("cp311", "cp312", "cp313", "cp314", "cp314t")
EXPECTED_IDENTIFIERS = {
    "linux": {
        f"{py}-{libc}_{arch}"
        for py in _PYTHONS
        for libc in ("manylinux", "musllinux")
        for arch in ("x86_64", "aarch64")
    },
    "macos": {f"{py}-macosx_{arch}" for py in _PYTHONS for arch in ("x86_64", "arm64")},
    "windows": {f"{py}-win_amd64" for py in _PYTHONS},
}

BUILD_DEBRIS = (".so", ".pyd", ".dylib", ".dll", ".o", ".obj", ".pyc", ".html")


def _fail(problems: list[str]) -> int:
    for p in problems:
        print(f"  FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


def clean_copy(root: Path, dest: Path) -> int:
    """Copy the source tree as a fresh checkout would have it, plus uncommitted edits.

    In a git work tree: tracked files and untracked files that .gitignore does not
    ignore (so build products, .so, generated .c and caches stay behind).  Elsewhere
    (an unpacked sdist), everything but the usual debris.
    """
    listing = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=False,
    )  # fmt: skip
    if listing.returncode == 0:
        dest.mkdir(parents=True)
        n = 0
        for rel in filter(None, listing.stdout.decode().split("\0")):
            src = root / rel
            if src.is_file():  # skip tracked files deleted in the work tree
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / rel)
                n += 1
        print(f"clean copy of {root} (git work tree): {n} files")
    else:
        ignore = shutil.ignore_patterns(
            "build", "dist", "__pycache__", "*.egg-info", ".*_cache", ".hypothesis", *(
                f"*{suffix}" for suffix in BUILD_DEBRIS))  # fmt: skip
        shutil.copytree(root, dest, ignore=ignore)
        for c in generated_c_files(dest):
            (dest / c).unlink(missing_ok=True)
        print(f"clean copy of {root} (not a git work tree)")
    return 0


# The C of Cython's shared utility module (setup.py SHARED_UTILITY), which has no .pyx.
SHARED_UTILITY_C = f"src/{PACKAGE}/core/_cyutility.c"


def kernel_stubs(root: Path) -> list[Path]:
    """The stub of each compiled kernel module (``<model>/_kernel_<isa>.pyi``), one per
    module: every module is its model's ``_kernel.pyx`` built for one instruction set."""
    return sorted((root / "src" / PACKAGE).rglob("_kernel_*.pyi"))


def generated_c_files(root: Path) -> set[str]:
    """Package-relative paths of the C files the build generates: same name as a .pyx,
    each kernel module's (a copy of its model's ``_kernel.c``), and the shared utility
    module's."""
    pkg = root / "src" / PACKAGE
    pyx = {p.with_suffix(".c").relative_to(root).as_posix() for p in pkg.rglob("*.pyx")}
    kernels = {p.with_suffix(".c").relative_to(root).as_posix() for p in kernel_stubs(root)}
    return pyx | kernels | {SHARED_UTILITY_C}


def handwritten_c_sources(root: Path) -> set[str]:
    """Tracked .c/.h files under src/ that are not generated from a .pyx."""
    out = subprocess.run(
        ["git", "-C", str(root), "ls-files", "--", "src"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:  # not a git checkout: look at the files themselves
        files = [p.relative_to(root).as_posix() for p in (root / "src").rglob("*")]
    else:
        files = out.stdout.split()
    generated = generated_c_files(root)
    return {f for f in files if f.endswith((".c", ".h")) and f not in generated}


def check_sdist(archive: Path, root: Path) -> int:
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    top = names[0].split("/")[0]
    members = {PurePosixPath(n).relative_to(top).as_posix() for n in names if n != top}
    problems = []
    required = [
        "pyproject.toml", "setup.py", "README.md", "MANIFEST.in", "PKG-INFO",
        f"src/{PACKAGE}/__init__.py", f"src/{PACKAGE}/py.typed",
        "tests/conftest.py", "tests/data/seed_golden.npz", "tools/check_dist.sh",
    ]  # fmt: skip
    pkg = root / "src" / PACKAGE
    required += [p.relative_to(root).as_posix() for p in pkg.rglob("*.pyx")]
    required += [p.relative_to(root).as_posix() for p in pkg.rglob("*.pxd")]
    required += [p.relative_to(root).as_posix() for p in pkg.rglob("*.pyi")]
    required += [p.relative_to(root).as_posix() for p in (root / "tests").rglob("*.py")]
    required += [p.relative_to(root).as_posix() for p in (root / "examples").rglob("*.*")]
    required += sorted(handwritten_c_sources(root))
    problems += [f"sdist lacks {r}" for r in required if r not in members]
    problems += [f"sdist holds generated C {c}" for c in generated_c_files(root) if c in members]
    # Also by name inside the archive, in case a .pyx moved: any .c beside a same-named .pyx.
    problems += [
        f"sdist holds generated C {m}"
        for m in members
        if m.endswith(".c") and m[:-2] + ".pyx" in members and m not in generated_c_files(root)
    ]
    problems += [f"sdist holds build debris {m}" for m in members if m.endswith(BUILD_DEBRIS)]
    problems += [
        f"sdist holds build directory {m}"
        for m in members
        if m.split("/")[0] in ("build", "dist", ".git") or "__pycache__" in m.split("/")
    ]
    n_pyx = sum(m.endswith(".pyx") for m in members)
    print(f"sdist {archive.name}: {len(members)} entries, {n_pyx} .pyx, "
          f"{len(handwritten_c_sources(root))} hand-written C source(s), "
          f"generated C excluded: {sorted(generated_c_files(root))}")  # fmt: skip
    return _fail(problems)


def check_wheel(wheel: Path, root: Path) -> int:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    problems = []
    found = []
    for stub in kernel_stubs(root):
        module = stub.relative_to(root / "src").with_suffix("").as_posix()
        ext = [n for n in names if n.startswith(module + ".") and n.endswith((".so", ".pyd"))]
        found += ext
        if len(ext) != 1:
            problems.append(f"expected one compiled {module}, found {ext}")
        if module + ".pyi" not in names:
            problems.append(f"wheel lacks the stub {module}.pyi")
    shared = SHARED_UTILITY_C.removeprefix("src/").removesuffix(".c")  # every kernel imports it
    ext = [n for n in names if n.startswith(shared + ".") and n.endswith((".so", ".pyd"))]
    found += ext
    if len(ext) != 1:
        problems.append(f"expected one compiled {shared}, found {ext}")
    for need in (f"{PACKAGE}/py.typed", f"{PACKAGE}/__init__.py"):
        if need not in names:
            problems.append(f"wheel lacks {need}")
    problems += [f"wheel holds C source {n}" for n in names if n.endswith((".c", ".h"))]
    problems += [f"wheel holds {n}" for n in names if n.endswith((".pyc", ".o", ".obj", ".html"))]
    problems += [f"wheel holds tests {n}" for n in names if n.startswith("tests/")]
    print(f"wheel {wheel.name}: {len(names)} files, extensions {found}")
    return _fail(problems)


def check_generated_c(root: Path) -> int:
    """Each C file Cython generates is git-ignored and excluded from the sdist by name."""
    manifest = (root / "MANIFEST.in").read_text().splitlines()
    excluded = {line.split(None, 1)[1].strip() for line in manifest if line.startswith("exclude ")}
    problems = []
    for c in sorted(generated_c_files(root)):
        if c not in excluded:
            problems.append(f"MANIFEST.in lacks 'exclude {c}' (generated by Cython)")
        ignored = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", c], check=False)
        if ignored.returncode == 1:  # 128: not a git work tree, nothing to check
            problems.append(f".gitignore does not ignore the generated {c}")
    print(f"generated C (each .pyx's, each kernel module's, the shared module's): "
          f"{sorted(generated_c_files(root))}")  # fmt: skip
    return _fail(problems)


def check_identifiers() -> int:
    problems = []
    for platform, expected in EXPECTED_IDENTIFIERS.items():
        out = subprocess.run(
            [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers",
             "--platform", platform],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        got = set(out.stdout.split())
        print(f"cibuildwheel {platform} ({len(got)}): {' '.join(sorted(got))}")
        if got != expected:
            problems.append(
                f"{platform}: missing {sorted(expected - got)}, unexpected {sorted(got - expected)}"
            )
    return _fail(problems)


def check_workflow(path: Path) -> int:
    import yaml  # PyYAML, installed by check_dist.sh

    wf = yaml.safe_load(path.read_text())
    jobs = wf.get("jobs", {})
    problems = []
    text = path.read_text()
    if "pypa/cibuildwheel@v" not in text:
        problems.append("cibuildwheel action is not pinned to a version tag")
    else:
        tag = text.split("pypa/cibuildwheel@v", 1)[1].split()[0]
        if tag.count(".") != 2:
            problems.append(f"cibuildwheel action pinned to v{tag}, not an exact vX.Y.Z")
    for name in ("build_wheels", "sdist", "publish"):
        if name not in jobs:
            problems.append(f"workflow has no job {name!r}")
    pub = jobs.get("publish", {})
    if pub.get("permissions", {}).get("id-token") != "write":
        problems.append("publish job lacks permissions: id-token: write (trusted publishing)")
    env = pub.get("environment")
    if (env.get("name") if isinstance(env, dict) else env) != "pypi":
        problems.append("publish job does not use the 'pypi' environment")
    if "release" not in str(pub.get("if", "")):
        problems.append("publish job is not restricted to releases")
    uses = [s.get("uses", "") for s in pub.get("steps", [])]
    if not any(u.startswith("pypa/gh-action-pypi-publish@") for u in uses):
        problems.append("publish job does not use pypa/gh-action-pypi-publish")
    print(f"workflow {path.name}: jobs {sorted(jobs)}, publish steps {uses}")
    return _fail(problems)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "clean-copy":
        return clean_copy(Path(args[0]), Path(args[1]))
    if cmd == "sdist":
        return check_sdist(Path(args[0]), Path(args[1]))
    if cmd == "wheel":
        return check_wheel(Path(args[0]), Path(args[1]))
    if cmd == "generated-c":
        return check_generated_c(Path(args[0]))
    if cmd == "identifiers":
        return check_identifiers()
    if cmd == "workflow":
        return check_workflow(Path(args[0]))
    print(f"unknown command {cmd!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
