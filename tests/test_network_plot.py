"""Network figures draw the result's own arrays (checked on the drawn artists), take ax=,
and are reachable from leabra_fast.plot."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import leabra_fast as lf  # noqa: E402
from leabra_fast.network import basic_test_net, bench_net, bench_patterns, train  # noqa: E402
from leabra_fast.network import plot as nplot  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def res():
    net = bench_net(25, rng=1, n_batch=2)
    p = bench_patterns(4, 25, rng=2)
    return train(net, {"Input": p["Input"]}, {"Output": p["Output"]}, epochs=3,
                 record=["act", "ge", "wt"], progress=False)  # fmt: skip


def test_layer_activity_heat_map(res):
    _fig, ax = plt.subplots()
    out = lf.plot.plot_layer_activity(res, "Hidden2", trial=5, batch=1, ax=ax)
    assert out is ax
    img = ax.images[0].get_array()
    np.testing.assert_array_equal(img, res.cycles["Hidden2"]["act"][5, :, 1, :].T)
    assert img.shape == (25, 100)
    assert ax.images[0].get_extent() == [-0.5, 99.5, -0.5, 24.5]
    xs = sorted(line.get_xdata()[0] for line in ax.lines)  # quarter lines, plus phase
    assert xs == [24.5, 49.5, 74.5]
    assert ax.get_title() == "Hidden2: act, trial 5, batch 1"
    ax2 = nplot.plot_layer_activity(res, "Output", var="ge", colorbar=False)  # new figure
    np.testing.assert_array_equal(
        ax2.images[0].get_array(), res.cycles["Output"]["ge"][-1, :, 0, :].T
    )
    assert ax2.get_title() == "Output: ge, trial 11"


def test_network_activity_one_axes_per_layer(res):
    _fig, axes = plt.subplots(5, 1)
    out = nplot.plot_network_activity(res, trial=0, axes=axes)
    assert out == list(axes)
    for ax, ly in zip(axes, res.cycles, strict=True):
        np.testing.assert_array_equal(ax.images[0].get_array(), res.cycles[ly]["act"][0, :, 0].T)
    assert len(nplot.plot_network_activity(res)) == 5
    with pytest.raises(ValueError, match="one Axes per layer"):
        nplot.plot_network_activity(res, axes=axes[:2])


def test_act_m_vs_act_p_scatter(res):
    _fig, ax = plt.subplots()
    assert nplot.plot_act_m_vs_act_p(res, "Output", trials=[0, 11], batch=1, ax=ax) is ax
    assert len(ax.collections) == 2
    for coll, t in zip(ax.collections, [0, 11], strict=True):
        want = np.column_stack(
            [res.trials["Output"]["act_m"][t, 1], res.trials["Output"]["act_p"][t, 1]]
        )
        np.testing.assert_array_equal(coll.get_offsets(), want)
    ax2 = nplot.plot_act_m_vs_act_p(res, "Output")  # default: every trial (12 <= 20)
    assert len(ax2.collections) == 12
    np.testing.assert_array_equal(ax.lines[0].get_xydata(), [[0, 0], [1, 1]])  # the diagonal


def test_prjn_weights_image(res):
    _fig, ax = plt.subplots()
    assert nplot.plot_prjn_weights(res, "Hidden1ToHidden2", batch=1, ax=ax) is ax
    np.testing.assert_array_equal(ax.images[0].get_array(), res.weights["Hidden1ToHidden2"][1])
    assert (
        ax.get_xlabel() == "sending unit (Hidden1)"
        and ax.get_ylabel() == "receiving unit (Hidden2)"
    )
    ax2 = nplot.plot_prjn_weights(res, "OutputToHidden3", trial=2, colorbar=False)
    np.testing.assert_array_equal(
        ax2.images[0].get_array(), res.trial_weights["OutputToHidden3"][2, 0]
    )
    net = basic_test_net()
    ax3 = nplot.plot_prjn_weights(net, "InputToHidden")
    np.testing.assert_array_equal(ax3.images[0].get_array(), net.weights("InputToHidden")[0])
    np.testing.assert_array_equal(np.diag(net.weights("InputToHidden")[0]), [0.5] * 4)  # Go's init
    with pytest.raises(ValueError, match="no projection named 'Nope'"):
        nplot.plot_prjn_weights(res, "Nope")


def test_training_curves(res):
    _fig, axes = plt.subplots(1, 2)
    out = lf.plot.plot_training_curves(res, axes=axes)
    assert out == list(axes)
    (sse_line,) = axes[0].lines  # the target layer only
    np.testing.assert_array_equal(sse_line.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(
        sse_line.get_ydata(), res.history["Output"]["sse"].mean(axis=1), rtol=1e-15
    )
    np.testing.assert_allclose(
        axes[1].lines[0].get_ydata(), res.history["Output"]["cos_diff"].mean(axis=1), rtol=1e-15
    )
    axes = nplot.plot_training_curves(
        res.history, layers=["Hidden1", "Output"], batch=1, sse="sse_sum"
    )
    np.testing.assert_array_equal(
        axes[0].lines[0].get_ydata(), res.history["Hidden1"]["sse_sum"][:, 1]
    )
    assert [ln.get_label() for ln in axes[0].lines] == ["Hidden1", "Output"]
    with pytest.raises(TypeError, match="needs a TrainResult"):
        nplot.plot_training_curves(object())
    with pytest.raises(ValueError, match="sse must be"):
        nplot.plot_training_curves(res, sse="mse")


def test_report(tmp_path):
    net = basic_test_net(n_batch=2)
    res = train(net, {"Input": np.eye(4)}, {"Output": np.eye(4)}, epochs=2, record=["act"],
                progress=False)  # fmt: skip
    fig = nplot.plot_network_report(res, tmp_path / "r.png", dpi=50)
    assert (tmp_path / "r.png").stat().st_size > 5_000
    # 3 heat maps, act_m vs act_p of Output, 3 projections' weights, 2 training curves
    # (+ colorbars)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 3 + 3
    (scatter,) = [ax for ax in fig.axes if ax.get_title() == "Output: act_m vs act_p"]
    assert len(scatter.collections) == 8  # every trial
    curves = [ax for ax in fig.axes if ax.get_xlabel() == "epoch"]
    np.testing.assert_array_equal(
        curves[0].lines[0].get_ydata(), res.history["Output"]["sse"].mean(axis=1)
    )
    with pytest.raises(ValueError, match=r"\.png or \.pdf"):
        nplot.plot_network_report(res, tmp_path / "r.txt")


def test_report_and_scatter_without_trial_variables(tmp_path):
    """After train(trial_vars=()) the report leaves out the act_m vs act_p scatter (the
    rest is drawn) and the scatter alone says what it needs."""
    net = basic_test_net()
    res = train(net, {"Input": np.eye(4)}, {"Output": np.eye(4)}, epochs=2, progress=False,
                trial_vars=())  # fmt: skip
    fig = nplot.plot_network_report(res, tmp_path / "r.png", dpi=50)
    assert not [ax for ax in fig.axes if ax.get_title() == "Output: act_m vs act_p"]
    assert len([ax for ax in fig.axes if ax.images]) == 3  # the projections' weights
    with pytest.raises(ValueError, match="needs the trial variables act_m and act_p"):
        nplot.plot_act_m_vs_act_p(res, "Output")


def test_reachable_from_lf_plot():
    for name in nplot.__all__:
        assert getattr(lf.plot, name) is getattr(nplot, name)
        assert name in dir(lf.plot) and name in lf.plot.__all__


def test_errors_name_the_argument(res):
    with pytest.raises(ValueError, match=r"var: 'vm' was not recorded"):
        nplot.plot_layer_activity(res, "Output", var="vm")
    with pytest.raises(ValueError, match=r"layer: no layer named 'Out'"):
        nplot.plot_layer_activity(res, "Out")
    with pytest.raises(ValueError, match=r"trial = 12 is out of range"):
        nplot.plot_layer_activity(res, "Output", trial=12)
    with pytest.raises(ValueError, match=r"batch = 2 is out of range"):
        nplot.plot_act_m_vs_act_p(res, "Output", batch=2)
    with pytest.raises(TypeError, match="needs a NetworkResult"):
        nplot.plot_layer_activity({"act": 1}, "Output")


def test_example_script(tmp_path, capsys):
    # examples/network_pattern_associator.py: builds, trains, plots (notebook-style)
    import runpy
    from pathlib import Path

    script = Path(__file__).parent.parent / "examples" / "network_pattern_associator.py"
    mod = runpy.run_path(str(script), run_name="example")
    written = mod["main"](tmp_path / "figs")
    assert sorted(written) == ["activity", "phases_and_weights", "report", "training_curves"]
    assert all(p.stat().st_size > 5_000 for p in written.values())
    out = capsys.readouterr().out
    assert "hard task, error-driven: 8 of 8 networks without error" in out
    assert "easy task, Hebbian: 0% of trials wrong" in out
    assert "hard task, Hebbian: 0%" not in out  # Hebbian learning alone fails the hard task
