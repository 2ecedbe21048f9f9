"""What the benchmarks run: leabra_fast, and the yardsticks it is measured against.

* :func:`run_leabra` - the public :func:`leabra_fast.simulate`, whole call.
* :func:`run_numpy_units` - NumPy vectorised over units: the reference backend's
  loop (:func:`leabra_fast.seed.reference.run_seed`) called directly, without the
  driver, nothing recorded.
* :func:`run_yardstick` - ``bench/yardstick.c``, a straightforward C loop of the
  same equations (glibc ``exp``/``pow``), compiled on first use with the
  package's default flags and called through ctypes.
* :func:`run_brian2_neurons` - the neuron part of the model in Brian2's cython
  target, when Brian2 is installed.

All runs use the notebook's schedule style: one input value per trial shared
by every synapse of every unit (``su_avg_s_eff = su_avg_m = input``, gc_i = 0).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shlex
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np

import leabra_fast as lf
from leabra_fast.seed import reference
from leabra_fast.seed.params import derived_constants

HERE = Path(__file__).resolve().parent

#: The package's default compile flags (setup.py ``compile_args()``, without -fopenmp:
#: the yardstick is single-threaded).
PACKAGE_FLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"]

CONST_NAMES = tuple(derived_constants(lf.SeedParams(), 1))


def schedule(n_cycles_total: int, cycles_per_trial: int = 100, value: float = 0.5) -> np.ndarray:
    """One input value per trial; ``n_cycles_total`` must be a multiple of the trial length."""
    n_trials = max(1, n_cycles_total // cycles_per_trial)
    x = np.full(n_trials, value)
    x[1::3] = 0.2 * value  # vary the drive so spiking and learning both change
    return x


def run_leabra(
    x,
    n_units: int,
    n_inputs: int,
    *,
    cycles_per_trial: int = 100,
    n_threads: int | None = 1,
    record=None,
    record_every: int = 1,
    backend: str = "cython",
    out: lf.SimulationResult | None = None,
) -> lf.SimulationResult:
    return lf.simulate(
        x, n_units=n_units, n_inputs=n_inputs, n_cycles=cycles_per_trial, record=record,
        record_every=record_every, n_threads=n_threads, backend=backend, out=out,
    )  # fmt: skip


def _initial_blocks(n_units: int, n_inputs: int) -> tuple[np.ndarray, np.ndarray]:
    _, unit_block, syn_block = lf.SeedState.initial_packed(lf.SeedParams(), n_units, n_inputs)
    return unit_block, syn_block


def run_numpy_units(x, n_units: int, n_inputs: int, *, cycles_per_trial: int = 100):
    """NumPy vectorised over units (the reference loop), nothing recorded."""
    x = np.asarray(x, dtype=np.float64)
    n_trials = x.shape[0]
    sched = np.broadcast_to(x[:, None, None], (n_trials, n_units, n_inputs))
    gc_i = np.zeros((n_trials, 1))
    gc_i = np.broadcast_to(gc_i, (n_trials, n_units))
    unit_block, syn_block = _initial_blocks(n_units, n_inputs)
    spikes = np.zeros(n_units, dtype=np.int64)
    first_bad = np.full(n_units, -1, dtype=np.int64)
    slots = np.full(len(lf.TRACE_NAMES), -1, dtype=np.intp)
    reference.run_seed(
        derived_constants(lf.SeedParams(), n_inputs), sched, sched, sched, gc_i,
        unit_block, syn_block, cycles_per_trial, 0, n_trials * cycles_per_trial, 0, 1, 0,
        slots, np.full(n_units, -1, dtype=np.intp), np.empty((0, 0, 0)),
        np.empty((0, 0, 0, 0)), spikes, first_bad,
    )  # fmt: skip
    return unit_block, syn_block, spikes


# --- the C yardstick -------------------------------------------------------------------


class _Consts(ctypes.Structure):
    _fields_ = [(name, ctypes.c_double) for name in CONST_NAMES]


_YARDSTICK: ctypes.CDLL | None = None


def yardstick_library() -> ctypes.CDLL:
    """Compile bench/yardstick.c once (cached by source and flags) and load it."""
    global _YARDSTICK
    if _YARDSTICK is not None:
        return _YARDSTICK
    src = HERE / "yardstick.c"
    cc = shlex.split(sysconfig.get_config_var("CC") or "cc")
    flags = [*PACKAGE_FLAGS, "-shared", "-fPIC"]
    key = hashlib.sha1((src.read_text() + " ".join(cc + flags)).encode()).hexdigest()[:12]
    cache = Path(os.environ.get("LEABRA_FAST_BENCH_CACHE", tempfile.gettempdir()))
    lib = cache / f"leabra_fast_yardstick_{key}{sysconfig.get_config_var('SHLIB_SUFFIX') or '.so'}"
    if not lib.exists():
        tmp = lib.with_suffix(f".{os.getpid()}.tmp")
        subprocess.run([*cc, *flags, str(src), "-o", str(tmp), "-lm"], check=True)
        os.replace(tmp, lib)
    dll = ctypes.CDLL(str(lib))
    dll.yardstick_run.restype = ctypes.c_longlong
    dll.yardstick_run.argtypes = [
        ctypes.POINTER(_Consts),
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    _YARDSTICK = dll
    return dll


def run_yardstick(x, n_units: int, n_inputs: int, *, cycles_per_trial: int = 100):
    """The straightforward C loop on the same run; returns (unit_block, syn_block, n_spikes)."""
    dll = yardstick_library()
    x = np.ascontiguousarray(x, dtype=np.float64)
    c = _Consts(**derived_constants(lf.SeedParams(), n_inputs))
    unit_block, syn_block = _initial_blocks(n_units, n_inputs)
    n = dll.yardstick_run(
        ctypes.byref(c), n_units, n_inputs, x.shape[0], cycles_per_trial,
        x.ctypes.data, unit_block.ctypes.data, syn_block.ctypes.data,
    )  # fmt: skip
    return unit_block, syn_block, int(n)


# --- Brian2, neuron part only -----------------------------------------------------------

BRIAN2_SCRIPT = r"""
import sys, time, json
import numpy as np
import brian2 as b2
b2.prefs.codegen.target = "cython"
b2.prefs.logging.console_log_level = "ERROR"
n_units, n_steps, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ns = {k: float(v) for k, v in json.loads(sys.argv[4]).items()}
ns["net_raw"] = 0.5 * 0.5  # input times a fixed weight: the neuron part alone
eqs = '''
net : 1
v_m : 1
adapt : 1
i_net : 1
act : 1
avg_ss : 1
avg_s : 1
avg_m : 1
'''
code = '''
net = net + k_net * (net_raw - net)
i_net = net * (e_rev_e - v_m) + gc_l * (e_rev_l - v_m) + noise
i_net = i_net + k_exp * exp((v_m - thr) / exp_slope)
v_m = v_m + k_vm * (i_net - adapt)
act = int(v_m > spk_thr)
v_m = act * vm_r + (1 - act) * v_m
adapt = adapt + ((vm_gain * (v_m - e_rev_l)) + act * spike_gain) / adapt_div
avg_ss = avg_ss + k_ss * (act - avg_ss)
avg_s = avg_s + k_s * (avg_ss - avg_s)
avg_m = avg_m + k_m * (avg_s - avg_m)
'''
times = []
b2.defaultclock.dt = 1 * b2.ms
g = b2.NeuronGroup(n_units, eqs, namespace=ns)
g.v_m = 0.3
g.run_regularly(code, dt=1 * b2.ms)
net = b2.Network(g)
net.run(n_steps * b2.ms)  # compiles (cached across runs) and warms up
for _ in range(reps):
    t = time.perf_counter()
    net.run(n_steps * b2.ms)
    times.append(time.perf_counter() - t)
print(json.dumps({"times": times, "spiking": float(np.mean(g.act[:]))}))
"""


def brian2_python() -> str | None:
    """An interpreter with Brian2: $LEABRA_FAST_BENCH_BRIAN2_PYTHON, else this one if it has it.

    (Brian2 may not support the newest NumPy; a separate virtual env with an older
    NumPy can then run the Brian2 side.  The script needs only brian2 and numpy.)
    """
    env = os.environ.get("LEABRA_FAST_BENCH_BRIAN2_PYTHON")
    candidates = [env] if env else [sys.executable]
    for py in candidates:
        ok = subprocess.run([py, "-c", "import brian2"], capture_output=True).returncode == 0
        if ok:
            return py
    return None


def run_brian2_neurons(n_units: int, n_steps: int, reps: int) -> list[float] | None:
    """Seconds per run of Brian2 (cython target), neuron equations only; None if unavailable."""
    import json

    py = brian2_python()
    if py is None:
        return None
    consts = json.dumps(derived_constants(lf.SeedParams(), 1))
    proc = subprocess.run(
        [py, "-c", BRIAN2_SCRIPT, str(n_units), str(n_steps), str(reps), consts],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if proc.returncode != 0:
        print("brian2 failed:", proc.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])["times"]


def kernel_recording_times(x, n_units: int, repeat: int) -> tuple[list[float], list[float]]:
    """Seconds of the compiled kernel alone without traces and with all 19 (one thread).

    The trace buffers are allocated and written once before timing, so the figure
    is the kernel's own cost of recording, free of the operating system's cost of
    handing out fresh pages (which dominates a first write of hundreds of MB).
    """
    from leabra_fast.core.traces import RecordPlan
    from leabra_fast.seed import SYNAPSE_TRACES, UNIT_TRACES
    from leabra_fast.seed import compiled as seed_kernel

    x = np.asarray(x, dtype=np.float64)
    n_trials, n_cycles = x.shape[0], 100
    total = n_trials * n_cycles
    sched = np.broadcast_to(x[:, None, None], (n_trials, n_units, 1))
    gc_i = np.broadcast_to(np.zeros((n_trials, 1)), (n_trials, n_units))
    consts = derived_constants(lf.SeedParams(), 1)
    out: list[list[float]] = []
    for record in (None, "all"):
        plan = RecordPlan.build(
            record, None, 1, n_units=n_units, n_inputs=1, first_cycle=0, n_cycles=total,
            unit_catalog=UNIT_TRACES, synapse_catalog=SYNAPSE_TRACES,
        )  # fmt: skip
        unit_buf, syn_buf = plan.allocate()
        unit_buf.fill(0.0)
        syn_buf.fill(0.0)
        times = []
        for _ in range(repeat):
            unit_block, syn_block = _initial_blocks(n_units, 1)
            spikes = np.zeros(n_units, dtype=np.int64)
            first_bad = np.full(n_units, -1, dtype=np.int64)
            t = time.perf_counter()
            seed_kernel.run_seed(
                consts, sched, sched, sched, gc_i, unit_block, syn_block, n_cycles, 0, total,
                0, 1, 0, plan.slots(), plan.unit_rows(n_units), unit_buf, syn_buf, spikes,
                first_bad, 1,
            )  # fmt: skip
            times.append(time.perf_counter() - t)
        out.append(times)
    return out[0], out[1]


def fresh_pages_times(nbytes: int, repeat: int) -> list[float]:
    """Seconds to allocate ``nbytes`` of float64 and touch each 4 KiB page once.

    What the operating system charges for handing out (and zeroing) fresh memory of
    that size, before anyone writes a value: the share of a first recording run that
    no kernel can avoid.
    """
    n = nbytes // 8
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        buf = np.empty(n)
        buf[::512] = 0.0
        times.append(time.perf_counter() - t)
        del buf
    return times


def write_times(nbytes: int, repeat: int) -> list[float]:
    """Seconds to write ``nbytes`` into memory already paged in (``ndarray.fill``).

    The machine's own cost of storing that much, with nothing computed: the floor
    under any kernel that records as many bytes.
    """
    buf = np.empty(nbytes // 8)
    buf.fill(0.0)  # page in
    times = []
    for k in range(repeat):
        t = time.perf_counter()
        buf.fill(float(k + 1))
        times.append(time.perf_counter() - t)
    return times


def interleaved(
    fns: dict[str, Callable[[], object]], repeat: int, warm: Collection[str] = ()
) -> dict[str, list[float]]:
    """Wall-clock seconds of each function, ``repeat`` rounds of one call each, interleaved.

    On a shared machine the background load drifts; taking turns exposes every
    contender to the same load, so the ratios of medians stay meaningful.

    A function named in ``warm`` is called twice in a row in each round and the second
    call is the one timed, as one epoch follows another in a training loop: a first
    call pays for its code and data being out of the caches after the previous
    contender's work (measured: 0.15-0.25 ms a call for the network at N = 25, 5-7% of
    its call), which otherwise falls on whichever function follows the slowest.  The
    first calls' times are returned too, under ``name + ":first"``.
    """
    out: dict[str, list[float]] = {name: [] for name in fns}
    out.update({name + ":first": [] for name in fns if name in warm})
    for _ in range(repeat):
        for name, fn in fns.items():
            for key in (name + ":first", name) if name in warm else (name,):
                t = time.perf_counter()
                fn()
                out[key].append(time.perf_counter() - t)
    return out


def timeit(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out
