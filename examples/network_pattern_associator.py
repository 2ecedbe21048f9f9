"""The CCN textbook's pattern associator, built, trained and plotted with leabra_fast.

Run it as ``python examples/network_pattern_associator.py [OUT_DIR]`` (default
``pat-assoc-figures``); it writes the figures as PNGs into OUT_DIR.  Needs
``pip install "leabra-fast[plot]"``.  The same network as a run file:
``examples/pattern_associator.toml``.

The network and its parameters are the textbook sim's (github.com/CompCogNeuro/sims,
ch4/pat_assoc): 4 input units, 2 output units, one full projection.  Error-driven
learning (XCAL's m_lrn 1, no BCM term) learns both the "easy" and the "hard" task;
Hebbian (BCM) learning alone learns the easy one only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; remove this line to see the figures in a window
import matplotlib.pyplot as plt
import numpy as np

from leabra_fast import plot
from leabra_fast.network import Network, train

# The sim's pattern tables: Input (1 x 4) -> Output (1 x 2).
EASY = np.eye(4)
HARD = np.array([[1, 1, 1, 0], [0, 1, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]], dtype=float)
TARGETS = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float)


def pattern_associator(learning: str = "error_driven", seed: int = 1, n_batch: int = 1) -> Network:
    """The sim's ConfigNet and its "Base" parameter set, then "ErrorDriven" or "Hebbian"."""
    net = Network("PatAssoc", n_batch=n_batch)
    net.add_layer("Input", (1, 4), "input")
    net.add_layer("Output", (1, 2), "target")
    net.connect("Input", "Output", "full")
    m_lrn, l_lrn = (1.0, 0.0) if learning == "error_driven" else (0.0, 1.0)
    net.apply_params(
        [
            ("Prjn", {"learn.norm.on": False, "learn.momentum.on": False,
                      "learn.wt_bal.on": False, "learn.xcal.m_lrn": m_lrn,
                      "learn.xcal.set_l_lrn": True, "learn.xcal.l_lrn": l_lrn}),
            ("Layer", {"learn.avg_l.gain": 1.5, "inhib.layer.gi": 1.4, "inhib.layer.fb": 0.5,
                       "inhib.act_avg.init": 0.5, "inhib.act_avg.fixed": True}),
        ]
    )  # fmt: skip
    net.init_weights(rng=seed)
    return net


def main(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    def save(fig: plt.Figure, name: str) -> None:
        path = out / f"{name}.png"
        fig.savefig(path, bbox_inches="tight")
        plt.close(fig)
        written[name] = path

    # 1. Train on the hard task with error-driven learning: 8 networks side by side
    #    (n_batch: own initial weights each), 100 epochs in permuted order.
    net = pattern_associator("error_driven", seed=1, n_batch=8)
    res = train(net, {"Input": HARD}, {"Output": TARGETS}, epochs=100, order="permuted",
                rng=0, record=["act"], progress=True)  # fmt: skip
    last = res.history["Output"]["pct_err"][-10:].mean(axis=0)  # per network
    print(f"hard task, error-driven: {int((last == 0).sum())} of 8 networks without error "
          "over the last 10 epochs")  # fmt: skip

    # 2. Training curves: SSE and cos_diff per epoch, mean over the 8 networks.
    fig, axes = plt.subplots(1, 2, figsize=(9, 3), layout="constrained")
    plot.plot_training_curves(res, axes=axes)
    save(fig, "training_curves")

    # 3. The last trial of network 0: activity over the trial's cycles (minus phase, then
    #    the plus phase with the target clamped), act_m vs act_p, and the learned weights.
    fig, axes = plt.subplots(2, 1, figsize=(8, 4), layout="constrained")
    plot.plot_network_activity(res, trial=-1, axes=axes)
    save(fig, "activity")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
    plot.plot_act_m_vs_act_p(res, "Output", trials=range(res.n_trials - 4, res.n_trials),
                             ax=axes[0])  # fmt: skip
    plot.plot_prjn_weights(res, "InputToOutput", ax=axes[1])
    save(fig, "phases_and_weights")

    # 4. Test without learning: the minus-phase answers to each pattern (network 0).
    test = net.run({"Input": HARD}, {"Output": TARGETS}, learn=False)
    print("test act_m of Output (rows: patterns):")
    print(np.round(test.trials["Output"]["act_m"][:, 0], 2))

    # 5. Hebbian learning alone on the easy and the hard task (the textbook's contrast).
    for task, pats in (("easy", EASY), ("hard", HARD)):
        heb = train(pattern_associator("hebbian", seed=1, n_batch=8), {"Input": pats},
                    {"Output": TARGETS}, epochs=40, order="permuted", rng=0)  # fmt: skip
        err = heb.history["Output"]["pct_err"][-5:].mean()
        print(f"{task} task, Hebbian: {100 * err:.0f}% of trials wrong over the last 5 epochs")

    # 6. Everything as a table: one row per trial, batch copy, layer and variable.
    df = res.to_dataframe("stats")
    print(df[df.variable == "sse"].groupby("epoch", observed=True).value.mean().tail())
    fig = plot.plot_network_report(res)
    save(fig, "report")
    return written


if __name__ == "__main__":
    for name, path in main(Path(sys.argv[1] if len(sys.argv) > 1 else "pat-assoc-figures")).items():
        print(f"wrote {path} ({name})")
