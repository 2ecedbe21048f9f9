"""A new user's first hour (issue 13): the CLI's errors, the namespace, the figures, docs."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import leabra_fast as lf
from leabra_fast.cli import build_parser, main
from leabra_fast.core.config import RunConfig

RUN_FILE = "[run]\nn_units = 2\n[schedule]\ninputs = [1.0, 0.5]\n"


# --- CLI -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (MemoryError(), "leabra-fast: error: out of memory\n"),
        (MemoryError("Unable to allocate 8 EiB"),
         "leabra-fast: error: out of memory: Unable to allocate 8 EiB\n"),
        (OverflowError("int too large to convert to float"),
         "leabra-fast: error: number too large: int too large to convert to float\n"),
    ],
)  # fmt: skip
def test_memory_and_overflow_errors_are_one_line(tmp_path, capsys, monkeypatch, exc, line):
    path = tmp_path / "run.toml"
    path.write_text(RUN_FILE)

    def fail(self, **overrides):
        raise exc

    monkeypatch.setattr(RunConfig, "simulate", fail)
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == line


def test_a_non_utf8_run_file_is_named(tmp_path, capsys):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"[run]\nn_units = 2\n# caf\xe9\n")  # latin-1 e-acute at byte 23
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"leabra-fast: error: {path}: not a UTF-8 text file (byte 23 is 0xe9); "
        "save the run file as UTF-8\n"
    )


@pytest.mark.parametrize("command", [["seed"], ["emergent-demo"], ["run", "--config", "x.toml"]])
def test_out_naming_an_existing_file_is_refused_before_running(tmp_path, capsys, command):
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me")
    with pytest.raises(SystemExit) as info:
        main([*command, "--out", str(existing)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --out: {existing} is an existing file, not a folder" in err
    assert existing.read_text() == "keep me"


def test_help_has_no_rst_markup(capsys):
    parser = build_parser()
    texts = [parser.format_help()]
    sub = next(a for a in parser._actions if a.dest == "command")
    texts += [p.format_help() for p in sub.choices.values()]
    for text in texts:
        assert not re.search(r"``|:(func|class|mod|data|meth):|^\.\. ", text, re.M), text
    assert "Fast simulation of Leabra neurons and XCAL synapses." in texts[0]


# --- the namespace ---------------------------------------------------------------------------
def test_dir_shows_the_public_api_without_stray_names():
    names = dir(lf)
    assert names == sorted({*lf.__all__, "core"})
    for stray in ("Any", "np", "version", "PackageNotFoundError", "registry", "annotations"):
        assert stray not in names


def test_plot_without_an_explicit_import_and_every_models_figures_in_dir():
    code = (
        "import leabra_fast as lf, sys\n"
        "assert 'leabra_fast.plot' not in sys.modules\n"
        "names = dir(lf.plot)\n"
        "print(lf.plot.plot_nxx1_function.__module__, lf.plot.sig_curve.__module__)\n"
        "print('Any' in names, 'annotations' in names, len(names))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "leabra_fast.emergent.plot leabra_fast.seed.plot"
    want = {a for m in lf.MODELS for a in lf.core.registry.get(m).figures().__all__}
    want |= set(lf.core.plotting.__all__)
    assert want <= set(dir(lf.plot))
    assert out[1] == f"False False {len(dir(lf.plot))}"
