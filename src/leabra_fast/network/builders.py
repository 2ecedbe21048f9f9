"""Ready-made networks of Go emergent v1: the 4-4-4 test network of ``leabra/basic_test.go``
and the benchmark network of ``examples/bench/bench.go`` (github.com/emer/leabra, BSD-3;
structure and parameter sheets re-expressed with this package's API)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from .network import Network

__all__ = ["basic_test_net", "bench_net", "bench_patterns"]


def basic_test_net(
    *,
    dtype: Any = np.float64,
    inhib: bool = False,
    norm: bool = False,
    momentum: bool = False,
    n_batch: int = 1,
    rng: np.random.Generator | int | None = 0,
) -> Network:
    """The network of Go's ``basic_test.go``: Input, Hidden, Output (target) of 4 x 1 units,
    one-to-one Input->Hidden, Hidden->Output and Output->Hidden (back, Rel 0.2); Gbar.L 0.2,
    all weights 0.5 (WtInit.Var 0); ``norm`` / ``momentum`` select the NormOn / MomentOn
    parameter sets (both off in Base); ``inhib`` adds TestInhibAct's inhibitory one-to-one
    Input->Hidden projection.  Weights are initialised."""
    net = Network("TestNet", dtype=dtype, n_batch=n_batch)
    net.add_layer("Input", (4, 1), "input")
    net.add_layer("Hidden", (4, 1), "hidden")
    net.add_layer("Output", (4, 1), "target")
    net.connect("Input", "Hidden", "one_to_one")
    if inhib:
        net.connect("Input", "Hidden", "one_to_one", "inhib", name="InputToHiddenInhib")
    net.connect("Hidden", "Output", "one_to_one")
    net.connect("Output", "Hidden", "one_to_one", "back")
    net.apply_params(
        [
            ("Layer", {"act.gbar.l": 0.2}),
            ("Prjn", {"wt_init.var": 0.0, "learn.norm.on": norm, "learn.momentum.on": momentum}),
            (".back", {"wt_scale.rel": 0.2}),
        ]
    )
    net.init_weights(rng)
    return net


def bench_net(
    units: int = 100,
    *,
    dtype: Any = np.float64,
    n_batch: int = 1,
    rng: np.random.Generator | int | None = None,
) -> Network:
    """emergent's benchmark network (``examples/bench/bench.go`` ConfigNet): Input, Hidden1-3,
    Output (target), each ``sqrt(units) x sqrt(units)``; full forward projections along the
    chain and full back projections Output->Hidden3->Hidden2->Hidden1 (Rel 0.2); Gi 1.8
    (Output 1.4), Gbar.L 0.2, Norm and Momentum on, WtBal off.  Weights are initialised."""
    if not isinstance(units, (int, np.integer)) or units < 1:
        raise ValueError(f"units must be a positive int, got {units!r}")
    side = math.isqrt(int(units))
    if side * side != units:
        raise ValueError(
            f"units must be a perfect square (bench.go uses sqrt(units)^2), got {units}"
        )
    net = Network("BenchNet", dtype=dtype, n_batch=n_batch)
    names = ["Input", "Hidden1", "Hidden2", "Hidden3", "Output"]
    kinds = ["input", "hidden", "hidden", "hidden", "target"]
    for name, kind in zip(names, kinds, strict=True):
        net.add_layer(name, (side, side), kind)
    for a, b in itertools.pairwise(names):
        net.connect(a, b, "full", "forward")
    for a, b in (("Output", "Hidden3"), ("Hidden3", "Hidden2"), ("Hidden2", "Hidden1")):
        net.connect(a, b, "full", "back")
    net.apply_params(
        [
            ("Prjn", {"learn.norm.on": True, "learn.momentum.on": True, "learn.wt_bal.on": False}),
            ("Layer", {"inhib.layer.gi": 1.8, "act.gbar.l": 0.2}),
            ("#Output", {"inhib.layer.gi": 1.4}),
            (".back", {"wt_scale.rel": 0.2}),
        ]
    )
    net.init_weights(rng)
    return net


def bench_patterns(
    n_pats: int = 20, units: int = 100, rng: np.random.Generator | int | None = None
) -> dict[str, np.ndarray]:
    """Patterns of ``bench.go`` ConfigPats (patgen.PermutedBinaryRows): each row has exactly
    ``units // 6`` ones at random positions, independently for Input and Output.  Returns
    ``{"Input": (n_pats, units), "Output": (n_pats, units)}``."""
    if not isinstance(n_pats, (int, np.integer)) or n_pats < 1:
        raise ValueError(f"n_pats must be a positive int, got {n_pats!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    n_on = max(units // 6, 1)
    out = {}
    for name in ("Input", "Output"):
        pats = np.zeros((n_pats, units))
        for row in pats:
            row[gen.permutation(units)[:n_on]] = 1
        out[name] = pats
    return out
