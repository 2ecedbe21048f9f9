"""A new user's first hour (issue 13): the CLI's errors, the namespace, the figures, docs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
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


# --- figures -------------------------------------------------------------------------------
@pytest.fixture
def plt():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    yield pyplot
    pyplot.close("all")


X = [1.0, 0.0, 0.5, 0.5, 0.2]


def _lines(ax):
    return {ln.get_label(): ln for ln in [*ax.lines, *getattr(ax, "dwt_axis", ax).lines]}


def test_single_unit_plots_default_to_the_first_recorded_unit(plt):
    res = lf.simulate(np.tile(np.asarray(X)[:, None, None], (1, 4, 2)), units=[2, 3],
                      record="all")  # fmt: skip
    for func, name in ((lf.plot.plot_net_input, "net"), (lf.plot.plot_membrane_potential, "v_m"),
                       (lf.plot.plot_weights, "wt"), (lf.plot.plot_dwt, "dwt")):  # fmt: skip
        ax = func(res)
        want = res[name][:, 0, 0] if res[name].ndim == 3 else res[name][:, 0]
        np.testing.assert_array_equal(_lines(ax)[name].get_ydata(), want)
        assert "(unit 2" in ax.get_title()
    with pytest.raises(ValueError) as info:
        lf.plot.plot_activation(res, unit=0)
    assert str(info.value) == (
        "unit 0 was not recorded; recorded units: [2, 3] (the default, unit=None, is the "
        "first recorded unit)"
    )
    em = lf.simulate(ge=np.full((1, 100, 3), 0.5), model="emergent", units=[1], record="all")
    for func in (lf.plot.plot_conductances, lf.plot.plot_membrane_potential_eq,
                 lf.plot.plot_phase_records):  # fmt: skip
        assert func(em).get_title().endswith("(unit 1)")
    with pytest.raises(ValueError, match=r"^unit 0 was not recorded; recorded units: \[1\]"):
        lf.plot.plot_phase_records(em, unit=0)


def test_net_and_net_raw_are_told_apart_in_the_legend(plt):
    ax = lf.plot.plot_net_input(lf.simulate(X, record="all"))
    net, raw = ax.get_legend().get_lines()
    assert (net.get_label(), net.get_linestyle(), net.get_linewidth()) == ("net", "-", 2.5)
    assert (raw.get_label(), raw.get_linestyle(), raw.get_linewidth()) == ("net_raw", "--", 1)


def test_dwt_has_its_own_axis_against_the_weights(plt):
    res = lf.simulate(lf.NOTEBOOK_INPUT, record="all")
    ax = lf.plot.plot_weights(res)
    lo, hi = ax.get_ylim()
    weights = np.concatenate([res["wt"].ravel(), res["fwt"].ravel()])
    assert lo <= weights.min() and hi >= weights.max() and lo > 0.45  # scaled to wt and fwt
    dlo, dhi = ax.dwt_axis.get_ylim()
    assert dlo <= res["dwt"].min() and dhi >= res["dwt"].max() and dhi < 0.001  # to dwt
    assert ax.dwt_axis.get_ylabel() == "dwt"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["wt", "fwt", "dwt"]


@pytest.mark.parametrize("params", [None, lf.EmergentParams()])
def test_sig_legend_lies_inside_the_image(plt, params):
    ax = lf.plot.plot_sig_function(params)
    fig = ax.figure
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent()
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width and 0 <= box.y0 and box.y1 <= fig.bbox.height
    inside = ax.get_window_extent()
    assert inside.x0 <= box.x0 and box.x1 <= inside.x1  # inside the axes, too


def test_v_m_figure_says_it_is_recorded_after_the_reset(plt):
    res = lf.simulate(X, record="all")
    ax = lf.plot.plot_membrane_potential(res)
    assert res["v_m"].max() < res.params.spk_thr  # what the note explains
    note = "note: v_m is recorded after the reset,\nso it never reaches spk_thr"
    assert note in [t.get_text() for t in ax.get_legend().get_texts()]
    em = lf.emergent.neuron_demo("spike")
    texts = [t.get_text() for t in lf.plot.plot_membrane_potential_eq(em).get_legend().get_texts()]
    assert "note: v_m is recorded after the reset,\nso it never reaches thr" in texts
    assert em["v_m"].max() < 0.5  # what the note explains: below thr = 0.5 at every record
    rate = lf.emergent.neuron_demo("rate")
    legend = lf.plot.plot_membrane_potential_eq(rate).get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert not [t for t in texts if t.startswith("note")]  # rate code does not reset v_m
    assert np.isfinite(rate["v_m"]).all()


def test_phase_markers_are_not_cut_by_the_axes_edge(plt):
    em = lf.emergent.neuron_demo("spike")
    ax = lf.plot.plot_phase_records(em)
    lo, hi = ax.get_ylim()
    values = np.concatenate([em.extra["act_q"].ravel(), em.extra["act_m"].ravel(),
                             em.extra["act_p"].ravel(), em["act_nd"].ravel()])  # fmt: skip
    span = values.max() - values.min()
    assert hi >= values.max() + 0.1 * span and lo <= values.min() - 0.1 * span
    markers = [ln for ln in ax.lines if ln.get_marker() in ("o", "v", "^")]
    assert len(markers) == 3 and not any(ln.get_clip_on() for ln in markers)


# --- packaging -----------------------------------------------------------------------------
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


@pytest.mark.skipif(not PYPROJECT.exists(), reason="pyproject.toml not next to the tests")
def test_pyproject_metadata_has_no_empty_urls_and_an_spdx_license():
    import tomllib

    project = tomllib.loads(PYPROJECT.read_text())["project"]
    # No public repository or documentation site exists yet: no URLs rather than empty ones.
    assert "urls" not in project
    assert project["license"] == "BSD-3-Clause" and project["license-files"] == ["LICENSE"]
    license_file = PYPROJECT.parent / "LICENSE"  # not copied with the tests for wheel checks
    if license_file.exists():
        assert license_file.read_text().startswith("BSD 3-Clause License")


def test_simulate_typos_get_a_suggestion_and_do_not_blame_a_model():
    with pytest.raises(TypeError) as info:
        lf.simulate(X, n_cycle=50)
    assert str(info.value) == (
        "simulate() got unexpected keyword argument(s) 'n_cycle' (did you mean 'n_cycles'?)"
    )
    with pytest.raises(TypeError, match=r"^simulate\(\) got .* 'g_e' \(did you mean 'ge'\?\)$"):
        lf.simulate(X, g_e=1.0)
    with pytest.raises(TypeError, match=r"\['ge'\] \(ge belong to model='emergent'\)$"):
        lf.simulate(X, ge=1.0)
