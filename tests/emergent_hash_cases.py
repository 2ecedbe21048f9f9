"""The runs whose bits the emergent kernel must keep: cases, and SHA-256 of their results.

``python tests/emergent_hash_cases.py`` (from the repository root, with the compiled
kernel built) writes ``tests/data/emergent_kernel_hashes.json``;
``tests/test_emergent_kernel_hashes.py`` recomputes every case at every SIMD level
and thread count and compares.  The file was first written with the hand-written C
kernel (``_emergent_block.h``) before it moved to typed Cython
(``emergent/_kernel.pxi``): same hashes, same bits.

A case is a mode (the parameter sets below: rate code by closed form and by table,
spiking with and without AdEx, adaptation, KNa, the presets, SIG power paths,
learning off), a population size (narrow, 16-lane, full and mixed blocks) and a
variant (clamped inputs and plus-phase targets, free units, no traces, a recorded
subset every 3rd cycle, chunked runs).  One set of hashes per case: every level and
thread count must give it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

import leabra_fast as lf
from leabra_fast.emergent import EmergentParams, derived_constants
from leabra_fast.emergent.simulation import build_table

HASH_FILE = Path(__file__).parent / "data" / "emergent_kernel_hashes.json"

MODES: dict[str, EmergentParams] = {
    "rate_closed": EmergentParams(),
    "rate_table": EmergentParams(nxx1="table"),
    "rate_euler": EmergentParams(vm_midpoint_rate=False),
    "rate_adapt": EmergentParams(adapt_on=True),
    "rate_kna_adapt": EmergentParams(kna_on=True, adapt_on=True, wt_sig_gain=2.5),
    "rate_spikes": EmergentParams(rate_spikes=True, t_r=3),
    "go": EmergentParams.go(),
    "spike": EmergentParams(act_fun="spike"),
    "spike_adex": EmergentParams(act_fun="spike", ex=True),
    "spike_adapt": EmergentParams(act_fun="spike", adapt_on=True),
    "spike_adex_kna": EmergentParams(act_fun="spike", ex=True, adapt_on=True, kna_on=True,
                                     t_r=2),
    "neuron": EmergentParams.neuron(adapt=True, kna=True),
    "neuron_rate": EmergentParams.neuron("rate"),
    "seed": EmergentParams.seed(),
    "every_cycle": EmergentParams(quirk_learn_every_cycle=True, soft_bound=False,
                                  wt_sig_gain=3.0, lrn_thr=0.3),
    "sig_1_5": EmergentParams(wt_sig_gain=1.5, lrn_thr=0.2),
    "no_learn": EmergentParams(lrate=0.0),
    "runaway": EmergentParams(act_fun="spike", ex=True, spk_thr=1e6, vm_max=math.inf,
                              exp_slope=0.01),
}  # fmt: skip

SIZES = (1, 3, 5, 17, 64, 70)
VARIANTS = ("clamped", "free", "state_only", "subset", "chunked")
#: Thread counts every case runs with; one wider population splits over threads for real.
THREADS = (1, 2)
WIDE = 3 * 64 + 5


def case_names() -> list[str]:
    names = [f"{m}/{n}/{v}" for m in MODES for n in SIZES for v in VARIANTS]
    return names + [f"{m}/{WIDE}/clamped" for m in ("rate_closed", "spike_adex_kna", "seed")]


def case_kwargs(name: str) -> dict[str, Any]:
    """The ``lf.simulate`` arguments of case ``name`` (mode/n_units/variant)."""
    mode, n, variant = name.split("/")
    p, n_units, n_inputs, n_trials = MODES[mode], int(n), 3, 2
    rng = np.random.default_rng(1000 * list(MODES).index(mode) + n_units)
    nc = p.cycles_per_trial
    kw: dict[str, Any] = dict(
        inputs=rng.uniform(0, 1, (n_trials, n_units, n_inputs)),
        su_avg_s_eff=rng.uniform(0, 1, (n_trials, n_units, n_inputs)),
        ge=rng.uniform(0, 0.8, (n_trials, nc, n_units)),
        gc_i=rng.uniform(0, 0.3, (n_trials, n_units)),
        params=p, model="emergent", backend="cython",
        fwt=rng.uniform(0.05, 0.95, (n_units, n_inputs)), on_nonfinite="ignore",
    )  # fmt: skip
    ext = np.where(rng.uniform(size=(n_trials, nc, n_units)) < 0.1, rng.uniform(0, 1.2), np.nan)
    targ = np.where(rng.uniform(size=(n_trials, n_units)) < 0.3, rng.uniform(0, 1), np.nan)
    if mode == "runaway":
        kw["ge"] = kw["ge"] + 0.5
    if variant != "free":
        kw.update(ext=ext, targ=targ)
    if variant == "state_only":
        kw["record"] = None
    elif variant == "subset":
        kw.update(units=sorted({0, n_units // 2, n_units - 1}), record_every=3)
    elif variant == "chunked":
        kw["chunk_cycles"] = 37
    return kw


def _digest(a: Any) -> str:
    a = np.ascontiguousarray(a)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.tobytes())
    return h.hexdigest()


def result_hashes(res: lf.SimulationResult) -> dict[str, str]:
    """SHA-256 of every trace, the final state, spike counts, non-finite cycles, extras."""
    out = {f"trace:{k}": _digest(res[k]) for k in res}
    for k in res.state.UNIT_STATE + res.state.SYNAPSE_STATE:
        out[f"state:{k}"] = _digest(getattr(res.state, k))
    out["state:cycle"] = str(int(res.state.cycle))
    out["spike_count"] = _digest(res.spike_count)
    out["first_nonfinite"] = _digest(res.first_nonfinite)
    for k in res.extra:
        out[f"extra:{k}"] = _digest(res.extra[k])
    return out


def run_case(name: str, n_threads: int = 1) -> dict[str, str]:
    return result_hashes(lf.simulate(**case_kwargs(name), n_threads=n_threads))


def scalar_hashes(kernel: Any) -> dict[str, str]:
    """The kernel's scalar functions (NXX1 both ways, XCAL, SIG, ge_thr, powers) on grids."""
    x = np.concatenate([np.linspace(-0.05, 0.1, 3001), [-1.0, 0.0, 1e-9, 0.01, 2.0, 50.0]])
    out = {}
    for label, p in (("default", EmergentParams()), ("neuron", EmergentParams.neuron("rate")),
                     ("table", EmergentParams(nxx1="table"))):  # fmt: skip
        c = derived_constants(p, 2)
        table, c["table_x0"], c["table_res"] = build_table(p)
        out[f"noisy_xx1:{label}"] = _digest([kernel.noisy_xx1_scalar(c, float(v)) for v in x])
        out[f"nxx1_lookup:{label}"] = _digest(
            [kernel.nxx1_lookup_scalar(c, table, float(v)) for v in x]
        )
        out[f"ge_thr:{label}"] = _digest(
            [kernel.ge_thr_scalar(c, float(g), 0.01 * float(g), 0.1) for g in x]
        )
    w = np.concatenate([np.linspace(-0.1, 1.1, 1201), [0.0, 1.0, 1e-9, 1 - 1e-9]])
    for gain in (1.0, 1.5, 2.5, 6.0, 16.0, 17.0):
        for seed_form in (False, True):
            c = derived_constants(EmergentParams(wt_sig_gain=gain, quirk_sig_seed=seed_form), 1)
            out[f"sig:{gain}:{seed_form}"] = _digest([kernel.sig_scalar(c, float(v)) for v in w])
    c = derived_constants(EmergentParams(), 1)
    th = np.linspace(0.0, 1.0, 41)
    out["xcal"] = _digest([kernel.xcal_scalar(c, float(v), float(t)) for v in w for t in th])
    b = np.geomspace(1e-6, 1e6, 401)
    out["pow_int"] = _digest([kernel.pow_int_scalar(float(v), n) for n in range(1, 17) for v in b])
    return out


def kernel_module() -> Any:
    """The compiled emergent kernel's Python API (simd_levels, select_simd, scalars)."""
    return importlib.import_module("leabra_fast.emergent.compiled")


def compute_all(kernel: Any) -> dict[str, Any]:
    """Every case's hashes at the kernel's current level with one thread, and the scalars."""
    return {"cases": {name: run_case(name) for name in case_names()},
            "scalars": scalar_hashes(kernel)}  # fmt: skip


def main() -> None:
    K = kernel_module()
    levels = K.simd_levels()
    before = K.select_simd(levels[-1])
    try:
        data = compute_all(K)
        for level in levels[:-1]:  # every level must agree before anything is stored
            K.select_simd(level)
            for name, hashes in data["cases"].items():
                for threads in THREADS:
                    if run_case(name, threads) != hashes:
                        sys.exit(f"{name} differs at {level}, {threads} threads: not stored")
    finally:
        K.select_simd(before)
    HASH_FILE.parent.mkdir(exist_ok=True)
    HASH_FILE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {HASH_FILE}: {len(data['cases'])} cases, levels {levels}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
