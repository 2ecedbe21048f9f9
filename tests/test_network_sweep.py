"""leabra_fast.network.sweep: each point is a lone train() of the network, bit for bit."""

import numpy as np
import pytest

from leabra_fast.core.sweep import heatmap
from leabra_fast.network import Network, sweep, train
from leabra_fast.network.training import EPOCH_STATS

PATTERNS = np.array([[1, 1, 1, 0], [0, 1, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]], float)
TARGETS = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], float)
BASE = [("Layer", {"inhib.layer.gi": 1.6}), (".back", {"wt_scale.rel": 0.3})]


def _net(n_batch=3, wt_bal_interval=10):
    net = Network("Small", n_batch=n_batch, wt_bal_interval=wt_bal_interval)
    net.add_layer("Input", (1, 4), "input")
    net.add_layer("Hidden", (2, 3))
    net.add_layer("Output", (1, 2), "target")
    net.connect("Input", "Hidden", "full")
    net.connect("Hidden", "Output", "full")
    net.connect("Output", "Hidden", "full", "back")
    net.apply_params(BASE)
    return net


def _lone(sheet, epochs, backend=None):
    """The run a sweep point must equal: a new network, its parameters, then init and train."""
    net = _net()
    net.apply_params(sheet)
    net.init_weights(5)
    res = train(net, {"Input": PATTERNS}, {"Output": TARGETS}, epochs=epochs, order="permuted",
                rng=9, backend=backend)  # fmt: skip
    return res, net


@pytest.mark.parametrize("backend", [None, "python"])
def test_every_grid_point_equals_a_lone_train_bit_for_bit(backend):
    grid = {"Layer:inhib.layer.gi": [1.4, 1.9], "Prjn:learn.lrate": [0.02, 0.1]}
    net = _net()
    ds = sweep(net, grid, {"Input": PATTERNS}, {"Output": TARGETS}, epochs=3, init_rng=5,
               rng=9, order="permuted", weights=True, backend=backend)  # fmt: skip
    assert ds.sse.dims == ("Layer:inhib.layer.gi", "Prjn:learn.lrate", "layer", "epoch", "batch")
    assert ds.sse.shape == (2, 2, 3, 3, 3)
    seen = set()
    for gi in (1.4, 1.9):
        for lr in (0.02, 0.1):
            sheet = [("Layer", {"inhib.layer.gi": gi}), ("Prjn", {"learn.lrate": lr})]
            res, lone = _lone(sheet, 3, backend)
            point = ds.sel({"Layer:inhib.layer.gi": gi, "Prjn:learn.lrate": lr})
            for layer in ("Input", "Hidden", "Output"):
                for stat in EPOCH_STATS:
                    got = point[stat].sel(layer=layer).values
                    np.testing.assert_array_equal(got, res.history[layer][stat])
            for pj in lone.prjns:
                np.testing.assert_array_equal(point[f"wt_{pj.name}"].values, lone.weights(pj.name))
            assert int(point.n_epochs) == 3
            seen.add(point.sse.sel(layer="Output").values.tobytes())
    assert len(seen) == 4  # the swept values change the training curves


def test_wt_init_can_be_swept_and_a_list_of_points_has_a_point_dimension():
    points = [{"Prjn:wt_init.mean": 0.3}, {"Prjn:wt_init.mean": 0.7}]
    ds = sweep(_net(), points, {"Input": PATTERNS}, {"Output": TARGETS}, epochs=2, weights=True)
    assert ds.sse.dims == ("point", "layer", "epoch", "batch")
    np.testing.assert_array_equal(ds["Prjn:wt_init.mean"].values, [0.3, 0.7])
    for i, mean in enumerate((0.3, 0.7)):
        net = _net()
        net.apply_params([("Prjn", {"wt_init.mean": mean})])
        net.init_weights(0)
        res = train(net, {"Input": PATTERNS}, {"Output": TARGETS}, epochs=2, rng=0)
        np.testing.assert_array_equal(ds.sse.isel(point=i).sel(layer="Output").values,
                                      res.history["Output"]["sse"])  # fmt: skip
        np.testing.assert_array_equal(ds.wt_InputToHidden.isel(point=i).values,
                                      net.weights("InputToHidden"))  # fmt: skip
    # the initial weights follow the swept mean (uniform around it, var 0.25 by default)
    assert ds.wt_InputToHidden.isel(point=0).mean() < ds.wt_InputToHidden.isel(point=1).mean()


def test_the_network_keeps_its_parameters_and_state():
    net = _net()
    net.init_weights(3)
    before = net.get_state()
    params = [obj.params for obj in (*net.layers, *net.prjns)]
    sweep(net, {"#Hidden:inhib.layer.gi": [1.2, 2.0]}, {"Input": PATTERNS}, {"Output": TARGETS})
    assert [obj.params for obj in (*net.layers, *net.prjns)] == params
    after = net.get_state()
    assert after.keys() == before.keys()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k], err_msg=k)


def test_the_sweep_draws_a_heatmap_of_the_last_epoch(tmp_path):
    grid = {"Layer:inhib.layer.gi": [1.4, 1.8], "Prjn:learn.lrate": [0.02, 0.1]}
    ds = sweep(_net(), grid, {"Input": PATTERNS}, {"Output": TARGETS}, epochs=2)
    last = ds.sel(layer="Output").isel(epoch=-1)
    ax = heatmap(last, "sse")
    assert ax.get_xlabel() == "Layer:inhib.layer.gi"
    np.testing.assert_allclose(np.asarray(ax.collections[0].get_array()).reshape(2, 2),
                               last.sse.mean("batch").values.T)  # fmt: skip


@pytest.mark.parametrize(
    ("grid", "kw", "err", "match"),
    [
        ({}, {}, ValueError, "grid is empty"),
        ({"inhib.layer.gi": [1.0]}, {}, ValueError, "must be 'selector:path'"),
        ({"Layer:inhib.layer.gi": []}, {}, ValueError, "has no values"),
        ({"#Nope:inhib.layer.gi": [1.0]}, {}, ValueError, r"grid point .*#Nope.*matches no"),
        ({"Layer:inhib.layer.gx": [1.0]}, {}, KeyError, r"grid point .*gx"),
        ({"Layer:inhib.layer.gi": [1.0, -1.0]}, {}, ValueError, r"grid point \{'Layer:inhib"),
        ({"Layer:inhib.layer.gi": [1.0]}, {"epochs": 0}, ValueError, "epochs must be"),
        ({"Layer:inhib.layer.gi": [1.0]}, {"chunk_size": 0}, ValueError, "chunk_size must be"),
        ({"Layer:inhib.layer.gi": [1.0]}, {"init_rng": None}, TypeError, "init_rng must be"),
        ({"Layer:inhib.layer.gi": [1.0]}, {"max_bytes": 100}, MemoryError, "max_bytes = 100"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(grid, kw, err, match):
    net = _net()
    net.init_weights(1)
    before = net.get_state()
    with pytest.raises(err, match=match):
        sweep(net, grid, {"Input": PATTERNS}, {"Output": TARGETS}, **kw)
    np.testing.assert_array_equal(net.get_state()["prjn/InputToHidden/wt"],
                                  before["prjn/InputToHidden/wt"])  # fmt: skip
    assert net.layer("Hidden").params.inhib.layer.gi == 1.6


def test_a_store_is_resumed_with_generators_and_refused_for_another_sweep(tmp_path):
    """The store's identity holds the Generators' states (not their addresses) and not the
    network's current state (every point starts from init_rng's weights)."""
    zarr = pytest.importorskip("zarr")
    path = str(tmp_path / "s.zarr")
    grid = {"Prjn:learn.lrate": [0.02, 0.1]}
    args = ({"Input": PATTERNS}, {"Output": TARGETS})
    opts = {"epochs": 2, "order": "permuted"}
    first = sweep(_net(), grid, *args, init_rng=np.random.default_rng(4),
                  rng=np.random.default_rng(8), store=path, **opts)  # fmt: skip
    root = zarr.open_group(path, mode="a")
    root["n_epochs"][0] = 99  # kept if the first point is not run again
    net = _net()
    net.init_weights(123)  # another state: the same sweep
    again = sweep(net, grid, *args, init_rng=np.random.default_rng(4),
                  rng=np.random.default_rng(8), store=path, **opts)  # fmt: skip
    assert int(again.n_epochs[0]) == 99
    assert again.drop_vars("n_epochs").identical(first.drop_vars("n_epochs"))
    with pytest.raises(ValueError, match="holds another sweep"):
        sweep(_net(), grid, *args, init_rng=np.random.default_rng(5),
              rng=np.random.default_rng(8), store=path, **opts)  # fmt: skip
