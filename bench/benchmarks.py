"""asv benchmarks of leabra_fast (``asv run --python=same --quick`` runs them here).

``time_*`` are wall-clock times of whole public calls (validation, allocation,
kernel, result); ``peakmem_*`` the peak resident memory of the same calls.
Parameterised over population size, backend and recording.  The reference
(``python``) backend is only timed where it finishes in seconds.  The C
yardstick and NumPy-over-units baselines of ``bench/compare.py`` are here too,
so asv's history shows the ratios move, not just the times.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

try:
    from . import _common as C
except ImportError:  # run as plain modules (python -m pytest bench, or compare.py's path)
    import _common as C

import leabra_fast as lf

CYCLES = 200  # two trials of 100 cycles


def _skip_slow_reference(backend: str, n_units: int) -> None:
    if backend == "python" and n_units > 10_000:
        raise NotImplementedError("the reference backend takes too long at this size")


class Simulate:
    """Many units with one synapse each: the neuron-heavy case."""

    params: ClassVar = (
        [100, 10_000, 100_000],
        ["cython", "python"],
        ["none", "all", "every10", "all_reused"],
    )
    param_names: ClassVar = ["n_units", "backend", "recording"]
    timeout = 300

    def setup(self, n_units, backend, recording):
        _skip_slow_reference(backend, n_units)
        if recording != "none" and n_units > 10_000:
            raise NotImplementedError("trace memory would exceed a benchmark's budget")
        self.x = C.schedule(CYCLES)
        self.kw = {
            "none": dict(record=None),
            "all": dict(record="all"),
            "every10": dict(record="all", record_every=10),
            "all_reused": dict(record="all"),
        }[recording]
        if recording == "all_reused":  # into a previous result's traces (out=)
            self.kw["out"] = C.run_leabra(self.x, n_units, 1, backend=backend, **self.kw)

    def time_simulate(self, n_units, backend, recording):
        C.run_leabra(self.x, n_units, 1, backend=backend, n_threads=1, **self.kw)

    def peakmem_simulate(self, n_units, backend, recording):
        C.run_leabra(self.x, n_units, 1, backend=backend, n_threads=1, **self.kw)


class Notebook:
    """The seed notebook's run (1 unit, 2000 cycles, all 19 traces), whole public call."""

    params: ClassVar = (["cython", "python"],)
    param_names: ClassVar = ["backend"]

    def time_notebook(self, backend):
        lf.simulate(lf.NOTEBOOK_INPUT, backend=backend)


class SynapseHeavy:
    """1000 units x 1000 inputs, learning on every synapse every cycle."""

    timeout = 300

    def setup(self):
        self.x = C.schedule(100)

    def time_1000_units_1000_inputs(self):
        C.run_leabra(self.x, 1000, 1000, n_threads=1)

    def peakmem_1000_units_1000_inputs(self):
        C.run_leabra(self.x, 1000, 1000, n_threads=1)


class Threads:
    """Blocks of units over threads; results are bit-identical for any count."""

    params: ClassVar = ([1, 2],)
    param_names: ClassVar = ["n_threads"]

    def setup(self, n_threads):
        self.x = C.schedule(CYCLES)

    def time_100k_units(self, n_threads):
        C.run_leabra(self.x, 100_000, 1, n_threads=n_threads)


class SimdLevels:
    """The kernel's instruction-set entries (same bits, different speed), N = 10k units."""

    params: ClassVar = (["avx512", "avx2", "baseline"],)
    param_names: ClassVar = ["level"]

    def setup(self, level):
        from leabra_fast.seed import compiled as seed_kernel

        if level not in seed_kernel.simd_levels():
            raise NotImplementedError(f"this CPU cannot run {level}")
        self.previous = seed_kernel.select_simd(level)
        self.x = C.schedule(CYCLES)

    def teardown(self, level):
        from leabra_fast.seed import compiled as seed_kernel

        seed_kernel.select_simd(self.previous)

    def time_10k_units(self, level):
        C.run_leabra(self.x, 10_000, 1, n_threads=1)


class Baselines:
    """The yardsticks of bench/compare.py at N = 10k units, 200 cycles."""

    params: ClassVar = (["c_loop", "numpy_units", "leabra_fast"],)
    param_names: ClassVar = ["implementation"]
    timeout = 300

    def setup(self, implementation):
        self.x = C.schedule(CYCLES)
        if implementation == "c_loop":
            C.yardstick_library()  # compile outside the timing

    def time_10k_units(self, implementation):
        fn = {
            "c_loop": C.run_yardstick,
            "numpy_units": C.run_numpy_units,
            "leabra_fast": lambda x, n, j: C.run_leabra(x, n, j, n_threads=1),
        }[implementation]
        fn(self.x, 10_000, 1)


class Memory:
    """Peak memory of one million units without traces (state: 9 arrays of 8 MB)."""

    timeout = 300

    def peakmem_1m_units_no_traces(self):
        lf.simulate(np.full(1, 0.5), n_units=1_000_000, n_cycles=100, record=None)


class BenchNetwork:
    """emergent's bench network (examples/bench: 5 layers of N units, 7 full projections),
    one trial with learning per call: the compiled kernel on 1 and 2 threads, and the NumPy
    dense yardstick of bench/compare.py (bench/network_numpy.py) up to N = 625."""

    params: ClassVar = ([25, 100, 625, 1024], ["cython_1", "cython_2", "numpy_dense"])
    param_names: ClassVar = ["n_units", "implementation"]
    timeout = 600

    def setup(self, n_units, implementation):
        from leabra_fast.network import bench_net, bench_patterns

        if implementation == "numpy_dense" and n_units > 625:
            raise NotImplementedError("the NumPy yardstick takes too long at this size")
        pats = bench_patterns(20, n_units, rng=2)
        self.inp = {"Input": pats["Input"][:1]}
        self.tg = {"Output": pats["Output"][:1]}
        self.net = bench_net(n_units, rng=1)
        self.net.run(self.inp, self.tg, backend="cython")  # warm up
        if implementation == "numpy_dense":
            try:
                from .network_numpy import DenseNumpyNet
            except ImportError:
                from network_numpy import DenseNumpyNet
            self.dense = DenseNumpyNet(self.net)
            self.pat = {"Input": pats["Input"][0], "Output": pats["Output"][0]}

    def time_trial(self, n_units, implementation):
        if implementation == "numpy_dense":
            self.dense.trial(self.pat)
        else:
            n_threads = int(implementation[-1])
            self.net.run(self.inp, self.tg, backend="cython", n_threads=n_threads)
