"""Every figure of the notebook: the right lines with the right data, on the Agg backend."""

import runpy
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from conftest import DATA, assert_traces_close  # noqa: E402

import leabra_fast as lf  # noqa: E402
from leabra_fast import plot  # noqa: E402

X = lf.NOTEBOOK_INPUT
EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture(scope="module")
def seed():
    return lf.simulate(X)


@pytest.fixture(scope="module")
def many():
    rng = np.random.default_rng(7)
    return lf.simulate(rng.uniform(0, 1, (6, 4, 3)), n_cycles=50, units=[1, 3])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _line(ax, label):
    lines = [*ax.lines, *(ax.dwt_axis.lines if hasattr(ax, "dwt_axis") else [])]
    found = [ln for ln in lines if ln.get_label() == label]
    assert len(found) == 1, (label, [ln.get_label() for ln in lines])
    return found[0]


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _boundaries(ax):
    coll = [c for c in ax.collections if c.get_gid() == "trial_boundaries"]
    if not coll:
        return np.empty(0)
    return np.array(sorted(seg[0][0] for seg in coll[0].get_segments()))


# --- the function plots -------------------------------------------------------


def _notebook_xcal(x, th, d_thr=0.0001, d_rev=0.1):
    # The notebook's array branch of XCAL, transcribed.
    out = -x * ((1 - d_rev) / d_rev)
    out[x < d_thr] = 0
    out[x > th * d_rev] = x[x > th * d_rev] - th[x > th * d_rev]
    return out


def test_xcal_function_is_the_notebooks_check_mark():
    ax = plot.plot_xcal_function()
    srs = np.arange(0, 1, 0.0001)
    curve = ax.lines[0]
    np.testing.assert_array_equal(curve.get_xdata(), srs)
    np.testing.assert_allclose(
        curve.get_ydata(), _notebook_xcal(srs, np.repeat(0.5, 10000)), rtol=0, atol=1e-15
    )
    # The check mark: minimum -0.45 at th*d_rev = .05, zero crossing at th = .5, 0.4999 at the end.
    y = np.asarray(curve.get_ydata())
    assert y.min() == pytest.approx(-0.45, abs=1e-3) and y[-1] == pytest.approx(0.4999)
    np.testing.assert_array_equal(_line(ax, "th = 0.5").get_xdata(), [0.5, 0.5])
    np.testing.assert_array_equal(_line(ax, "th·d_rev = 0.05").get_xdata(), [0.05, 0.05])
    np.testing.assert_array_equal(_line(ax, "_zero").get_ydata(), [0, 0])
    assert ax.get_xlabel().startswith("srs") and ax.get_ylabel().startswith("XCAL")


def test_xcal_function_other_threshold_and_params():
    p = lf.SeedParams(d_rev=0.2)
    ax = plot.plot_xcal_function(p, th=0.3)
    y = np.asarray(ax.lines[0].get_ydata())
    srs = np.arange(0, 1, 0.0001)
    np.testing.assert_allclose(
        y, _notebook_xcal(srs, np.repeat(0.3, srs.size), d_rev=0.2), atol=1e-15
    )
    with pytest.raises(ValueError, match="th must be a finite"):
        plot.plot_xcal_function(th=float("nan"))


def test_sig_function_against_logistic_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the notebook's RuntimeWarning must not happen
        ax = plot.plot_sig_function()
    x = np.arange(-3, 3, 0.01)
    logistic, sig = ax.lines[0], ax.lines[1]
    np.testing.assert_array_equal(logistic.get_xdata(), x)
    np.testing.assert_allclose(logistic.get_ydata(), 1 / (1 + np.e**-x), rtol=1e-15)
    y = np.asarray(sig.get_ydata())
    inside = (x > -0.01) & (x <= 1)
    assert np.all(np.isnan(y[~inside])) and np.all(np.isfinite(y[inside]))
    with np.errstate(all="ignore"):
        expected = 1 / (1 + ((1 - x) / (x + 0.01)) ** 1.5)  # the notebook's SIG
    np.testing.assert_allclose(y[inside], expected[inside], rtol=1e-14)
    assert sig.get_color() == "r"
    assert y[inside].min() == 0.0 or y[inside].min() < 1e-3  # rises from 0 near x = -.01 ...
    assert y[inside].max() > 0.999  # ... to 1 at x = 1


# --- the trace plots ----------------------------------------------------------

TRACE_PLOTS = [
    (plot.plot_net_input, ["net", "net_raw"], False),
    (plot.plot_membrane_potential, ["v_m"], False),
    (plot.plot_adaptation, ["adapt"], False),
    (plot.plot_activation, ["act", "act_nd"], False),
    (plot.plot_running_averages, ["avg_ss", "avg_s", "avg_m", "avg_l"], False),
    (plot.plot_weights, ["wt", "fwt", "dwt"], True),  # dwt on the twin axis
    (plot.plot_coproducts, ["srm", "srs"], True),
    (plot.plot_xcal_trace, ["avg_l", "srs", "XCAL"], True),
    (plot.plot_dwt, ["dwt"], True),
]


@pytest.mark.parametrize(("func", "names", "synapse"), TRACE_PLOTS)
def test_trace_plot_draws_the_traces(seed, func, names, synapse):
    ax = func(seed)
    for name in names:
        label = "XCAL(srs, avg_l)" if name == "XCAL" else name
        line = _line(ax, label)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(2000))
        expected = seed[name][:, 0, 0] if seed[name].ndim == 3 else seed[name][:, 0]
        np.testing.assert_array_equal(line.get_ydata(), expected)
    legend = _legend(ax)
    assert legend[: len(names)] == ["XCAL(srs, avg_l)" if n == "XCAL" else n for n in names]
    np.testing.assert_array_equal(_boundaries(ax), np.arange(100, 2000, 100))
    assert ax.get_xlabel() == "cycle (ms)"
    assert ax.get_ylabel() and ax.get_title()
    assert ax.get_xlim() == (0, 1999)


def test_notebook_colours_and_zero_lines(seed):
    ax = plot.plot_running_averages(seed)
    colours = [mpl.colors.to_hex(ln.get_color()) for ln in ax.lines]
    assert colours == ["#0000ff", "#008000", "#ff0000", "#000000"]  # b, g, r, black
    for func in (plot.plot_xcal_trace, plot.plot_dwt):
        zero = _line(func(seed), "_zero")
        np.testing.assert_array_equal(zero.get_ydata(), [0, 0])
        assert zero.get_linewidth() == 2


def test_membrane_potential_marks_threshold_and_spikes(seed):
    ax = plot.plot_membrane_potential(seed)
    thr = _line(ax, "spike threshold spk_thr = 1.2")
    np.testing.assert_array_equal(thr.get_ydata(), [1.2, 1.2])
    spikes = _line(ax, "spikes")
    assert len(spikes.get_xdata()) == 137
    np.testing.assert_array_equal(spikes.get_xdata(), np.flatnonzero(seed["act"][:, 0]))
    # Another threshold is drawn where the parameters say.
    res = lf.simulate(X[:4], params=lf.SeedParams(spk_thr=1.0), record=["v_m"])
    ax = plot.plot_membrane_potential(res)
    np.testing.assert_array_equal(_line(ax, "spike threshold spk_thr = 1").get_ydata(), [1, 1])
    assert "spikes" not in [ln.get_label() for ln in ax.lines]  # act not recorded


def test_unit_and_input_selection(many):
    ax = plot.plot_weights(many, unit=3, input=2)
    np.testing.assert_array_equal(_line(ax, "wt").get_ydata(), many["wt"][:, 1, 2])
    assert "(unit 3, input 2)" in ax.get_title()
    ax = plot.plot_membrane_potential(many, unit=1)
    np.testing.assert_array_equal(_line(ax, "v_m").get_ydata(), many["v_m"][:, 0])
    np.testing.assert_array_equal(_boundaries(ax), np.arange(50, 300, 50))
    with pytest.raises(ValueError, match=r"unit 0 was not recorded; recorded units: \[1, 3\]"):
        plot.plot_net_input(many, unit=0)
    with pytest.raises(ValueError, match="input 3 out of range"):
        plot.plot_dwt(many, unit=1, input=3)
    with pytest.raises(TypeError, match="unit must be an int"):
        plot.plot_dwt(many, unit=1.0)


def test_missing_trace_is_a_clear_error():
    res = lf.simulate(X, record=["v_m", "act"])
    with pytest.raises(ValueError, match=r"plot_weights needs the trace 'dwt'.*record="):
        plot.plot_weights(res)
    _, ax = plt.subplots()
    with pytest.raises(ValueError):
        plot.plot_net_input(res, ax=ax)
    assert not ax.lines  # nothing half-drawn


def test_boundaries_follow_absolute_cycles_and_record_every():
    first = lf.simulate(X[:3], record=None)
    res = lf.simulate(X[3:8], state=first.state, record_every=7)
    assert res.cycles[0] == 301
    ax = plot.plot_adaptation(res)
    np.testing.assert_array_equal(_line(ax, "adapt").get_xdata(), res.cycles)
    np.testing.assert_array_equal(_boundaries(ax), [400, 500, 600, 700])
    assert plot.run_start(res) == 300


def test_given_axes_is_used_and_returned(seed):
    _, axes = plt.subplots(2)
    assert plot.plot_dwt(seed, ax=axes[1]) is axes[1]
    assert not axes[0].lines


def test_report_png_and_pdf(seed, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning, no layout or font warnings
        fig = plot.plot_report(seed, tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    axes = [ax for ax in fig.get_axes() if ax.get_label() != "dwt_axis"]
    assert len(axes) == 11 and len(fig.get_axes()) == 12  # and plot_weights' dwt axis
    assert axes[0].get_title() == "XCAL check-mark function"
    assert axes[1].get_title().startswith("SIG")
    assert [ax.get_title() for ax in axes[2:]] == [
        "Net input", "Membrane potential", "Adaptation current", "Receiving unit activation",
        "Running average activations", "Synaptic strength over time",
        "Short- and medium-term sender-receiver co-products",
        "BCM term: srs against the floating threshold avg_l",
        "Weight change from sending to receiving unit",
    ]  # fmt: skip
    assert "showing unit 0 (137 spikes)" in fig._suptitle.get_text()
    # The report's curves are the notebook's (its own loop's values, tests/data).
    with np.load(DATA / "seed_golden.npz") as golden:
        checked = 0
        for ax in axes[2:]:
            for line in [*ax.lines, *(ax.dwt_axis.lines if hasattr(ax, "dwt_axis") else [])]:
                name = {"XCAL(srs, avg_l)": "XCAL"}.get(line.get_label(), line.get_label())
                if name in lf.TRACE_NAMES:
                    assert_traces_close(line.get_ydata(), golden[name], name=name)
                    checked += 1
        assert checked == 19  # every trace line of the nine panels
    plot.plot_report(seed, tmp_path / "r.pdf")
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"
    with pytest.raises(ValueError, match=r"\.png or \.pdf"):
        plot.plot_report(seed, tmp_path / "r.jpg")


def test_report_leaves_out_unrecorded_panels(many, tmp_path):
    res = lf.simulate(X, record=["v_m", "act", "adapt"])
    fig = plot.plot_report(res)
    titles = [ax.get_title() for ax in fig.get_axes()]
    assert titles[2:] == ["Membrane potential", "Adaptation current"]
    assert "not shown: plot_net_input" in fig._suptitle.get_text()
    fig = plot.plot_report(many, unit=3, input=1)
    ax = fig.get_axes()[-1]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), many["dwt"][:, 1, 1])
    with pytest.raises(ValueError, match="unit 2 was not recorded"):
        plot.plot_report(many, unit=2)


def test_clear_message_without_matplotlib(monkeypatch, seed):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "leabra-fast\[plot\]"'):
        plot.plot_dwt(seed)
    with pytest.raises(ImportError, match="matplotlib"):
        plot.plot_report(seed)


def test_notebook_example_writes_every_figure(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["notebook.py", str(tmp_path)])
    runpy.run_path(str(EXAMPLES / "notebook.py"), run_name="__main__")
    names = ["xcal_function", "sig_function", "net_input", "membrane_potential", "adaptation",
             "activation", "running_averages", "synaptic_strength", "srs_srm",
             "avg_l_srs_xcal", "dwt", "report"]  # fmt: skip
    for name in names:
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG", name
    assert "spikes: 137" in capsys.readouterr().out
    assert lf.load(tmp_path / "run.npz").spike_count[0] == 137


def test_report_heading_says_partial_and_sparse_recording():
    def stop(done, total):
        if done >= 300:
            raise KeyboardInterrupt

    with pytest.warns(lf.PartialRunWarning):
        part = lf.simulate(
            X, record=["v_m", "act"], record_every=2, progress=stop, chunk_cycles=100
        )
    fig = plot.plot_report(part)
    heading = fig._suptitle.get_text()
    assert "PARTIAL run, interrupted at cycle 300" in heading
    assert "one cycle in 2 recorded" in heading
    ax = plot.plot_membrane_potential(part)
    spikes = _line(ax, "spikes (recorded cycles only)")
    np.testing.assert_array_equal(spikes.get_xdata(), part.cycles[part["act"][:, 0] > 0])
    np.testing.assert_array_equal(_boundaries(ax), [100, 200])


def test_report_of_a_loaded_run_and_of_nothing(tmp_path, seed):
    back = lf.load(seed.save(tmp_path / "run.npz"))
    fig = plot.plot_report(back)
    np.testing.assert_array_equal(fig.get_axes()[3].lines[0].get_ydata(), seed["v_m"][:, 0])
    fig = plot.plot_report(lf.simulate(X, record=None))  # only the function plots
    assert len(fig.get_axes()) == 2
    assert "not shown: plot_net_input, plot_membrane_potential" in fig._suptitle.get_text()
