"""Figures of the emergent model: the right lines with the right data, on the Agg backend."""

import numpy as np
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import leabra_fast as lf  # noqa: E402
from leabra_fast import plot  # noqa: E402
from leabra_fast.cli import main  # noqa: E402
from leabra_fast.emergent import (  # noqa: E402
    EmergentParams,
    derived_constants,
    neuron_demo,
    neuron_demo_schedule,
)
from leabra_fast.emergent import plot as eplot  # noqa: E402
from leabra_fast.emergent.reference import ge_thr, noisy_xx1, nxx1_lookup, sig, xcal  # noqa: E402
from leabra_fast.emergent.simulation import build_table  # noqa: E402


@pytest.fixture(scope="module")
def spike():
    return neuron_demo("spike", adapt=True)


@pytest.fixture(scope="module")
def rate():
    return neuron_demo("rate")


@pytest.fixture(scope="module")
def trials():
    """C++ defaults: 3 trials of 4 x 25 cycles, two units, learning synapses, a plus target."""
    rng = np.random.default_rng(1)
    targ = np.full((3, 2), np.nan)
    targ[1, 0] = 0.9
    return lf.simulate(
        rng.uniform(0, 1, (3, 2, 2)), ge=0.3, targ=targ, params=EmergentParams(kna_on=True),
        model="emergent",
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _line(ax, label):
    lines = [*ax.lines, *(ax.dwt_axis.lines if hasattr(ax, "dwt_axis") else [])]
    found = [ln for ln in lines if ln.get_label() == label]
    assert len(found) == 1, (label, [ln.get_label() for ln in lines])
    return found[0]


def _labels(ax):
    return [ln.get_label() for ln in ax.lines]


def _vlines(ax, gid):
    coll = [c for c in ax.collections if c.get_gid() == gid]
    if not coll:
        return np.empty(0)
    return np.array(sorted(seg[0][0] for seg in coll[0].get_segments()))


# --- shared trace plots with the model's thresholds ------------------------------------


def test_membrane_potential_threshold_and_spikes_are_the_models(spike, rate):
    ax = plot.plot_membrane_potential(spike)
    thr = _line(ax, "spike threshold thr = 0.5")  # no exponential term: thr, not spk_thr
    np.testing.assert_array_equal(thr.get_ydata(), [0.5, 0.5])
    ticks = _line(ax, "spikes")
    np.testing.assert_array_equal(ticks.get_xdata(), np.flatnonzero(spike["spike"][:, 0]))
    assert len(ticks.get_xdata()) == spike.spike_count[0] > 5
    ex = neuron_demo("spike", ex=True, spk_thr=0.9)
    ax = plot.plot_membrane_potential(ex)
    np.testing.assert_array_equal(_line(ax, "spike threshold spk_thr = 0.9").get_ydata(), [0.9] * 2)
    ax = plot.plot_membrane_potential(rate)  # Go rate code: no spikes, the firing threshold
    np.testing.assert_array_equal(_line(ax, "firing threshold thr = 0.5").get_ydata(), [0.5] * 2)
    assert "spikes" not in _labels(ax)


def test_every_shared_trace_plot_works_with_the_same_data(trials):
    for func, names, synapse in plot.REPORT_PANELS:
        kwargs = {"unit": 1, "input": 1} if synapse else {"unit": 1}
        ax = func(trials, **kwargs)
        for name in names:
            label = "XCAL(srs, avg_l)" if name == "XCAL" else name
            want = trials[name][:, 1, 1] if trials[name].ndim == 3 else trials[name][:, 1]
            np.testing.assert_array_equal(_line(ax, label).get_ydata(), want)
        plt.close("all")


# --- phases -------------------------------------------------------------------------------


def test_phase_boundaries_at_quarters_on_every_time_axis(trials):
    quarters = [c for c in range(25, 300, 25) if c % 100 not in (0, 75)]
    for ax in (plot.plot_activation(trials), eplot.plot_conductances(trials)):
        np.testing.assert_array_equal(_vlines(ax, "quarter_boundaries"), quarters)
        np.testing.assert_array_equal(_vlines(ax, "phase_boundaries"), [75, 175, 275])
        np.testing.assert_array_equal(_vlines(ax, "trial_boundaries"), [100, 200])
    # Within the recorded span only, and for another quarter layout.
    p = EmergentParams(cyc_per_qtr=10, n_quarters=5, minus_quarters=4)
    res = lf.simulate(ge=[0.2, 0.4], params=p, model="emergent", record_every=3)
    q, ph = eplot.phase_boundaries(res)
    np.testing.assert_array_equal(q, [10, 20, 30, 60, 70, 80])
    np.testing.assert_array_equal(ph, [40, 90])
    many = lf.simulate(ge=np.full(40, 0.3), model="emergent", record=["v_m"])
    ax = plot.plot_membrane_potential(many)  # 80 quarter lines would hide the trace
    assert not _vlines(ax, "quarter_boundaries").size
    np.testing.assert_array_equal(_vlines(ax, "phase_boundaries"), np.arange(75, 4000, 100))
    seed = lf.simulate(lf.NOTEBOOK_INPUT[:3], record=["v_m"])
    assert not _vlines(plot.plot_membrane_potential(seed), "quarter_boundaries").size  # seed: none


def test_phase_records_drawn_where_they_were_taken(trials):
    ax = eplot.plot_phase_records(trials, unit=1)
    dots = _line(ax, "act_q (act_nd at each quarter's end)")
    at = np.arange(24, 300, 25)
    np.testing.assert_array_equal(dots.get_xdata(), at)
    np.testing.assert_array_equal(dots.get_ydata(), trials["act_nd"][at, 1])
    np.testing.assert_array_equal(dots.get_ydata(), trials.extra["act_q"][:, :, 1].ravel())
    m = _line(ax, "act_m (minus-phase end)")
    np.testing.assert_array_equal(m.get_xdata(), [74, 174, 274])
    np.testing.assert_array_equal(m.get_ydata(), trials.extra["act_m"][:, 1])
    p = _line(ax, "act_p (plus-phase end)")
    np.testing.assert_array_equal(p.get_xdata(), [99, 199, 299])
    np.testing.assert_array_equal(p.get_ydata(), trials.extra["act_p"][:, 1])
    ax = eplot.plot_phase_records(trials, unit=0)
    bars = next(c for c in ax.collections if c.get_gid() == "act_dif").get_segments()
    dif = np.array([s[1][1] - s[0][1] for s in bars])
    np.testing.assert_allclose(dif, trials.extra["act_dif"][:, 0], rtol=0, atol=1e-15)
    assert abs(trials.extra["act_dif"][1, 0]) > 0.05  # the plus-phase target shows


def test_partial_run_draws_only_finished_records():
    def stop(done, total):
        if done >= 150:
            raise KeyboardInterrupt

    with pytest.warns(lf.PartialRunWarning):
        res = lf.simulate(ge=[0.3, 0.3], model="emergent", progress=stop, chunk_cycles=25)
    assert res.partial
    done = int(res.state.cycle)
    ax = eplot.plot_phase_records(res)
    x = _line(ax, "act_q (act_nd at each quarter's end)").get_xdata()
    assert x.max() < done and len(x) == done // 25


# --- emergent figures ---------------------------------------------------------------------


def test_membrane_potential_eq(spike, rate):
    ax = eplot.plot_membrane_potential_eq(spike)
    np.testing.assert_array_equal(_line(ax, "v_m_eq").get_ydata(), spike["v_m_eq"][:, 0])
    np.testing.assert_array_equal(_line(ax, "v_m").get_ydata(), spike["v_m"][:, 0])
    np.testing.assert_array_equal(
        _line(ax, "firing and spike threshold thr = 0.5").get_ydata(), [0.5] * 2
    )
    assert len(_line(ax, "spikes").get_xdata()) == spike.spike_count[0]
    ex = neuron_demo("spike", ex=True, spk_thr=0.9)
    ax = eplot.plot_membrane_potential_eq(ex)
    np.testing.assert_array_equal(_line(ax, "spike threshold spk_thr = 0.9").get_ydata(), [0.9] * 2)
    np.testing.assert_array_equal(_line(ax, "spikes").get_ydata(), [0.9] * ex.spike_count[0])
    ax = eplot.plot_membrane_potential_eq(rate)
    assert _labels(ax) == ["v_m", "v_m_eq", "firing threshold thr = 0.5"]
    with pytest.raises(ValueError, match="needs a result of the emergent model"):
        eplot.plot_membrane_potential_eq(lf.simulate([1.0]))


def test_conductances(spike, trials):
    ax = eplot.plot_conductances(spike)
    np.testing.assert_array_equal(_line(ax, "g_e").get_ydata(), spike["g_e"][:, 0])
    np.testing.assert_array_equal(_line(ax, "g_i").get_ydata(), spike["g_i"][:, 0])
    assert "g_k (KNa)" not in _labels(ax)  # KNa off
    c = derived_constants(spike.params, 1)
    want = ge_thr(spike["g_i"][:, 0], spike["adapt"][:, 0], c)
    np.testing.assert_array_equal(_line(ax, "g_e_thr").get_ydata(), want)
    assert want[0] == pytest.approx(0.12, abs=1e-15) and want[-1] > 0.2  # adaptation raises it
    np.testing.assert_array_equal(_line(ax, "leak g_bar_l = 0.3").get_ydata(), [0.3, 0.3])
    ax = eplot.plot_conductances(trials, unit=1)
    g_k = _line(ax, "g_k (KNa)").get_ydata()
    np.testing.assert_array_equal(g_k, trials["g_k"][:, 1])
    assert g_k.max() > 0
    c = derived_constants(trials.params, 2)
    want = ge_thr(trials["g_i"][:, 1], 0.0, c, trials["g_k"][:, 1])
    np.testing.assert_array_equal(_line(ax, "g_e_thr").get_ydata(), want)
    # Without g_e, net scaled by g_bar_e.
    res = lf.simulate(ge=[1.0], params=EmergentParams(g_bar_e=0.5), model="emergent",
                      record=["net"])  # fmt: skip
    ax = eplot.plot_conductances(res)
    np.testing.assert_array_equal(_line(ax, "g_e = 0.5 · net").get_ydata(), 0.5 * res["net"][:, 0])


def test_nxx1_function_is_the_models(rate):
    p = rate.params
    ax = eplot.plot_nxx1_function(p)
    closed = _line(ax, "NXX1 closed form (used)")
    table = _line(ax, "NXX1 lookup table")
    assert table.get_linestyle() == "--" and closed.get_linestyle() == "-"
    g = closed.get_xdata()
    c = derived_constants(p, 1)
    np.testing.assert_array_equal(closed.get_ydata(), noisy_xx1(g - 0.3 * 0.2 / 0.5, c))
    tab, x0, res = build_table(p.replace(nxx1="table"))
    np.testing.assert_array_equal(table.get_ydata(), nxx1_lookup(g - 0.12, tab, x0, res, p.gain))
    thr = _line(ax, "g_e_thr = 0.12").get_xdata()
    assert thr[0] == pytest.approx(0.12, abs=1e-15)
    # The curve is the run's steady state: act at g_e = 0.3 after 150 cycles of input.
    ax = eplot.plot_nxx1_function(p, g_e=[0.3])
    assert _line(ax, "NXX1 closed form (used)").get_ydata()[0] == pytest.approx(
        rate["act"][159, 0], rel=1e-12
    )
    # The table form marked as used, and inhibition moving the threshold.
    ax = eplot.plot_nxx1_function(p.replace(nxx1="table"), g_i=0.1)
    assert _line(ax, "NXX1 lookup table (used)").get_linestyle() == "-"
    want = (0.1 * (0.25 - 0.5) + 0.3 * (0.3 - 0.5)) / (0.5 - 1.0)
    assert _line(ax, f"g_e_thr = {want:.4g}").get_xdata()[0] == pytest.approx(want, abs=1e-15)
    with pytest.raises(TypeError, match="EmergentParams"):
        eplot.plot_nxx1_function(lf.SeedParams())


def test_xcal_and_sig_functions_for_emergent_params():
    p = EmergentParams(d_rev=0.2)
    ax = plot.plot_xcal_function(p, th=0.4)
    curve = ax.lines[0]
    np.testing.assert_array_equal(
        curve.get_ydata(), xcal(curve.get_xdata(), 0.4, derived_constants(p, 1))
    )
    assert "th·d_rev = 0.08" in _labels(ax)
    ax = plot.plot_sig_function(EmergentParams())
    s = _line(ax, "wt = SIG(fwt): gain 6, off 1")
    x = s.get_xdata()
    np.testing.assert_array_equal(s.get_ydata(), sig(x, derived_constants(EmergentParams(), 1)))
    assert s.get_ydata()[0] == 0.0 and s.get_ydata()[-1] == 1.0 and x[500] == 0.5
    assert s.get_ydata()[500] == 0.5
    np.testing.assert_array_equal(_line(ax, "wt = fwt (linear weight)").get_ydata(), x)
    ax = plot.plot_sig_function(EmergentParams.seed())
    assert _labels(ax)[0] == "wt = SIG(fwt) (seed form): gain 1.5, off 1"


def test_new_figures_reachable_from_leabra_fast_plot():
    assert plot.plot_nxx1_function is eplot.plot_nxx1_function
    with pytest.raises(AttributeError):
        plot.no_such_figure  # noqa: B018


# --- report and CLI ---------------------------------------------------------------------


def test_report_png_and_pdf(trials, tmp_path):
    fig = plot.plot_report(trials, tmp_path / "r.png", unit=1, input=1)
    png = (tmp_path / "r.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    titles = [a.get_title() for a in fig.axes]
    assert titles[:3] == ["NXX1 activation (g_i = adapt = 0)", "XCAL check mark",
                          "Weight contrast enhancement"]  # fmt: skip
    for want in ("Conductances", "Membrane potential and its equilibrium", "Phase records",
                 "Synaptic strength", "Weight change"):  # fmt: skip
        assert any(t.startswith(want) for t in titles), (want, titles)
    assert not any(t.startswith("Adaptation") for t in titles)
    heading = fig._suptitle.get_text()
    assert "emergent model, rate code" in heading and "adaptation current off" in heading
    g_max = trials["g_e"][:, 1].max()
    assert f"max g_e of unit 1 = {g_max:.3g}" in _labels(fig.axes[0])
    fig = plot.plot_report(trials, tmp_path / "r.pdf")
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"
    with pytest.raises(ValueError, match=r"\.png or \.pdf"):
        plot.plot_report(trials, tmp_path / "r.jpg")


def test_report_of_the_demo_leaves_out_synapse_panels(spike, tmp_path):
    fig = plot.plot_report(spike)
    titles = [a.get_title() for a in fig.axes]
    assert "Adaptation current" in titles and "Synaptic strength over time" not in titles
    assert titles[0] == "NXX1 rate-code activation\n(for reference: this run spikes)"
    assert "no synaptic input" in fig._suptitle.get_text()
    back = lf.load(spike.save(tmp_path / "run.npz"))  # a loaded run draws the same
    assert [a.get_title() for a in plot.plot_report(back).axes] == titles
    p = EmergentParams.neuron("spike")
    res = lf.simulate(
        ge=neuron_demo_schedule(), params=p, model="emergent", record=["v_m", "spike"]
    )
    fig = plot.plot_report(res)
    assert "not recorded, not shown: plot_net_input, plot_conductances" in fig._suptitle.get_text()


def test_emergent_demo_writes_report(tmp_path, capsys):
    assert main(["emergent-demo", "--out", str(tmp_path), "--mode", "rate"]) == 0
    assert f"wrote {tmp_path / 'report.png'}" in capsys.readouterr().out
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["emergent-demo", "--out", str(tmp_path / "b"), "--no-report"]) == 0
    assert not (tmp_path / "b" / "report.png").exists()


def test_emergent_demo_says_when_it_skips_the_report(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real(name, *a),
    )
    assert main(["emergent-demo", "--out", str(tmp_path)]) == 0
    assert "skipped report.png: matplotlib is not installed" in capsys.readouterr().out
    assert not (tmp_path / "report.png").exists() and (tmp_path / "run.npz").exists()
