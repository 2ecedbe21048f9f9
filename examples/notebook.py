"""The seed notebook, cell for cell, with leabra_fast.

Run it as ``python examples/notebook.py [OUT_DIR]`` (default ``notebook-figures``);
it writes each of the notebook's figures as a PNG into OUT_DIR, plus the
stacked report and the saved run.  Needs ``pip install "leabra-fast[plot]"``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; remove this line to see the figures in a window
import matplotlib.pyplot as plt
import numpy as np

import leabra_fast as lf
from leabra_fast import plot


def main(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    def save(ax: plt.Axes, name: str) -> None:
        path = out / f"{name}.png"
        ax.figure.savefig(path, bbox_inches="tight")
        plt.close(ax.figure)
        written[name] = path

    # Cells 2-3: the unit and synapse parameters.  One object holds all of the
    # notebook's constants by its own names, including its final m_lrn = 0.
    params = lf.SeedParams()
    print(f"num_cycles = 100, lrate = {params.lrate}, m_lrn = {params.m_lrn}, gain = {params.gain}")

    # Cells 5-7, "Visual of XCAL Function": srs from 0 to 1 in steps of 1e-4, th = .5.
    save(plot.plot_xcal_function(params, th=0.5), "xcal_function")

    # Cell 8, "Visual of Squashing Function": SIG against the logistic, x from -3 to 3.
    # (SIG is undefined outside (-.01, 1]; it is drawn where defined, without warnings.)
    save(plot.plot_sig_function(params), "sig_function")

    # Cell 10, the simulation loop: 20 trials of 100 cycles.
    neuron_input = [0, 0, 1, 1, 1, 1, 0, 0, 0, 0.2, 0.2, 0.2, 0, 0, 0.5, 0.5, 0, 0, 0.3, 0]
    su_avg_s_eff_full = neuron_input
    su_avg_m_full = neuron_input
    result = lf.simulate(
        neuron_input, su_avg_s_eff_full, su_avg_m_full, params=params, n_cycles=100
    )
    print(result)
    print(f"spikes: {int(result.spike_count[0])}, final wt: {float(result.state.wt[0, 0]):.6f}")
    # The notebook's *_saved lists are the traces, by the same names:
    v_m_saved = result["v_m"][:, 0]
    assert v_m_saved.shape == (2000,) and np.all(v_m_saved < params.spk_thr)

    # Cells 11-18: one figure each, as in the notebook.
    save(plot.plot_net_input(result), "net_input")
    save(plot.plot_membrane_potential(result), "membrane_potential")
    save(plot.plot_adaptation(result), "adaptation")
    save(plot.plot_activation(result), "activation")
    save(plot.plot_running_averages(result), "running_averages")
    save(plot.plot_weights(result), "synaptic_strength")
    save(plot.plot_coproducts(result), "srs_srm")
    save(plot.plot_xcal_trace(result), "avg_l_srs_xcal")
    save(plot.plot_dwt(result), "dwt")

    # Everything in one file, and the run saved for later (lf.load(path)).
    written["report"] = out / "report.png"
    plot.plot_report(result, written["report"])
    written["run"] = result.save(out / "run.npz")
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("notebook-figures")
    for name, path in main(target).items():
        print(f"{name}: {path}")
