"""Time emergent's bench network in leabra-psyneulink (``pip install leabra-psyneulink``).

Run with the Python of a SEPARATE virtual environment that has leabra-psyneulink
installed (it is GPL-licensed: bench-only, never a dependency of leabra_fast, and only
run here, never copied); ``bench/compare.py --psyneulink-python PATH`` calls it.  Prints
one JSON line: seconds per trial (with learning) of each timed trial.

Usage: ``python psyneulink_bench.py N_UNITS N_TRIALS``.  The network: Input, Hidden1-3,
Output (target) of N units, full forward projections and back projections Output ->
Hidden3 -> Hidden2 -> Hidden1 (wt_scale_rel 0.2), g_i 1.8 (Output 1.4), g_bar_l 0.2,
XCAL learning ('leabra' rule, lrate 0.04); patterns with N // 6 units on.  The package
has no Norm / Momentum, so its learning step does a little less than Go's.
"""

import itertools
import json
import sys
import time

import leabra
import numpy as np

n, n_trials = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
unit_spec = leabra.UnitSpec(g_bar_l=0.2)
names = ["Input", "Hidden1", "Hidden2", "Hidden3", "Output"]
genres = [leabra.INPUT, leabra.HIDDEN, leabra.HIDDEN, leabra.HIDDEN, leabra.OUTPUT]
layers = [
    leabra.Layer(n, spec=leabra.LayerSpec(g_i=1.4 if nm == "Output" else 1.8),
                 unit_spec=unit_spec, genre=g, name=nm)
    for nm, g in zip(names, genres, strict=True)
]
conns = []
for a, b in itertools.pairwise(layers):
    conns.append(leabra.Connection(a, b, leabra.ConnectionSpec(proj="full", lrule="leabra",
                                                                lrate=0.04)))
for a, b in ((layers[4], layers[3]), (layers[3], layers[2]), (layers[2], layers[1])):
    conns.append(leabra.Connection(a, b, leabra.ConnectionSpec(proj="full", lrule="leabra",
                                                                lrate=0.04, wt_scale_rel=0.2)))
net = leabra.Network(layers=layers, connections=conns)


def pattern():
    p = np.zeros(n)
    p[rng.permutation(n)[: max(n // 6, 1)]] = 1
    return list(p)


times = []
for _ in range(n_trials):
    net.set_inputs({"Input": pattern()})
    net.set_outputs({"Output": pattern()})
    t = time.perf_counter()
    net.trial()
    times.append(time.perf_counter() - t)
print(json.dumps({"n_units": n, "trial_s": times}))
