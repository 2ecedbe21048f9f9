"""A new user's first hour (issue 13): the CLI's errors, the namespace, the figures, docs."""

from __future__ import annotations

import re

import pytest

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
