"""The driver of the canonical emergent model: validate, allocate, then run a backend.

``leabra_fast.simulate(..., model="emergent")`` lands here.  Inputs:

* ``inputs`` (optional): sending activity per trial through learning synapses,
  ``(n_trials,)`` or ``(n_trials, n_units, n_inputs)`` as for the seed model;
  ``net_raw = wt_scale_abs * mean_j(x_j * wt_j) + ge``.  ``su_avg_s_eff`` and
  ``su_avg_m`` are the senders' running averages (default: equal to ``inputs``).
* ``ge``: extra excitatory drive added to ``net_raw`` each cycle;
  ``gc_i``: inhibitory conductance each cycle (``g_i = g_bar_i * gc_i``);
  ``ext``: external input that hard-clamps a unit (``act = clip(ext, clamp_min,
  clamp_max)``), NaN where the unit is free; ``targ``: target that hard-clamps a
  unit in the plus phase only (NaN where none).  Each is a scalar,
  ``(n_trials,)``, ``(n_trials, n_units)`` or ``(n_trials, n_cycles, n_units)``,
  with length-1 axes broadcast (no copies).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np

from ..core import driver
from ..core.driver import PreparedRun, count, import_compiled
from ..core.paramspec import check_unit_count, unit_groups, vars_of
from ..core.perunit import contiguous_bounds, run_groups
from ..core.result import SimulationResult
from ..core.schedule import _numeric, _resolve, _synapse_schedule, broadcast, check_synapses
from ..core.statebase import check_allocation
from ..core.traces import DEFAULT_MAX_TRACE_BYTES
from . import reference
from .params import EmergentParams, derived_constants, derived_constants_units
from .state import EmergentState

__all__ = [
    "BACKENDS",
    "DEFAULT_PARAMS",
    "build_table",
    "compiled_kernel",
    "prepare",
    "prepare_unit_schedule",
    "runner",
    "simulate_emergent",
]

BACKENDS = driver.BACKENDS
#: Frozen: one validated instance serves every call that gives no parameters.
DEFAULT_PARAMS = EmergentParams()


def compiled_kernel() -> Any:
    """The emergent model's compiled kernel module (the only place it is imported from)."""
    return import_compiled("leabra_fast.emergent.compiled")


def runner(backend: str) -> Any:
    """``run_emergent`` of the compiled kernel (``"cython"``) or of the NumPy reference."""
    if backend == "cython":
        return compiled_kernel().run_emergent
    return reference.run_emergent


def _phase_records(act_q: np.ndarray, params: EmergentParams) -> dict[str, np.ndarray]:
    """emergent's per-trial records: act_nd at each quarter's end, and at the end of each phase."""
    out = {"act_q": act_q}
    if params.minus_quarters > 0:
        out["act_m"] = act_q[:, params.minus_quarters - 1]
    if params.minus_quarters < params.n_quarters:
        out["act_p"] = act_q[:, -1]
    if "act_m" in out and "act_p" in out:
        out["act_dif"] = out["act_p"] - out["act_m"]
    return out


@functools.lru_cache(maxsize=32)
def build_table(params: EmergentParams) -> tuple[np.ndarray, float, float]:
    """The NXX1 lookup table when ``params.nxx1 == 'table'``; a 2-entry dummy otherwise.

    Built once per parameter set (cached; the array is read-only).
    """
    if params.nxx1 == "table":
        table, x0, res = reference.nxx1_table(params)
    else:
        table, x0, res = np.zeros(2), 0.0, 1.0
    table.setflags(write=False)
    return table, x0, res


def prepare_unit_schedule(
    name: str, value: object, n_cycles: int, *, allow_nan: bool = False, nonneg: bool = False
) -> np.ndarray:
    """A per-unit, per-cycle schedule as a 3-D array (trials, cycles, units) with length-1 axes."""
    arr = _numeric(name, value, allow_nan=allow_nan)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1, 1)
    elif arr.ndim == 1:
        arr = arr[:, None, None]
    elif arr.ndim == 2:
        arr = arr[:, None, :]
    elif arr.ndim != 3:
        raise ValueError(
            f"{name} must be a scalar, (n_trials,), (n_trials, n_units) or "
            f"(n_trials, n_cycles, n_units), got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is an empty schedule: give at least one trial")
    if arr.shape[1] not in (1, n_cycles):
        raise ValueError(f"{name} has {arr.shape[1]} cycles per trial, the trial has {n_cycles}")
    if nonneg and np.any(arr < 0.0):
        raise ValueError(f"{name} is a conductance and must be >= 0")
    return arr


def simulate_emergent(
    inputs: Any = None,
    su_avg_s_eff: Any = None,
    su_avg_m: Any = None,
    *,
    ge: Any = 0.0,
    gc_i: Any = 0.0,
    ext: Any = None,
    targ: Any = None,
    params: EmergentParams | None = None,
    n_cycles: int | None = None,
    n_units: int | None = None,
    n_inputs: int | None = None,
    state: EmergentState | None = None,
    fwt: Any = None,
    wt: Any = None,
    record: str | Iterable[str] | None = "all",
    units: int | Sequence[int] | slice | None = None,
    record_every: int = 1,
    out: SimulationResult | None = None,
    backend: Literal["cython", "python"] = "cython",
    n_threads: int | None = None,
    max_trace_bytes: int = DEFAULT_MAX_TRACE_BYTES,
    on_nonfinite: Literal["warn", "raise", "ignore"] = "warn",
    progress: Any = None,
    chunk_cycles: int | None = None,
) -> SimulationResult:
    """Simulate emergent's Leabra units (rate code or spiking) and XCAL synapses over trials.

    Each trial is ``params.n_quarters`` quarters of ``params.cyc_per_qtr`` cycles;
    the first ``minus_quarters`` are the minus phase, the rest the plus phase.
    At each trial start avg_l is updated and the activity decays toward its
    initial values; after the last cycle of the trial the synapses learn (XCAL).
    See the module docstring for the input schedules and :func:`leabra_fast.simulate`
    for the recording, ``out``, ``progress`` and ``chunk_cycles`` arguments (the same).
    ``n_threads`` (default: every core) splits the units over threads in the
    compiled kernel, without changing a bit; the Python backend ignores it.
    ``result.schedules`` holds the call's schedules, compact.

    Besides the traces, ``result.extra`` holds emergent's per-trial records,
    shaped ``(n_trials, n_units)`` per quarter: ``act_q`` (act_nd at the end of
    each quarter, ``(n_trials, n_quarters, n_units)``: ActQ1..ActQ4), ``act_m``
    (end of the minus phase), ``act_p`` (end of the plus phase) and
    ``act_dif = act_p - act_m``.

    Examples
    --------
    >>> import leabra_fast as lf
    >>> from leabra_fast.emergent import EmergentParams, neuron_demo_schedule
    >>> p = EmergentParams.neuron("rate")
    >>> res = lf.simulate(ge=neuron_demo_schedule(), params=p, model="emergent")
    >>> round(float(res["act"][159, 0]), 6)
    0.84375
    """
    return driver.simulate(
        inputs, su_avg_s_eff, su_avg_m, ge=ge, gc_i=gc_i, ext=ext, targ=targ, params=params,
        n_cycles=n_cycles, n_units=n_units, n_inputs=n_inputs, state=state, fwt=fwt, wt=wt,
        record=record, units=units, record_every=record_every, out=out, backend=backend,
        n_threads=n_threads, max_trace_bytes=max_trace_bytes, on_nonfinite=on_nonfinite,
        progress=progress, chunk_cycles=chunk_cycles, model="emergent",
    )  # fmt: skip


def prepare(
    inputs: Any,
    su_avg_s_eff: Any,
    su_avg_m: Any,
    *,
    gc_i: Any,
    params: EmergentParams,
    n_cycles: int | None,
    n_units: int | None,
    n_inputs: int | None,
    state: EmergentState | None,
    fwt: Any,
    wt: Any,
    ge: Any = 0.0,
    ext: Any = None,
    targ: Any = None,
) -> PreparedRun:
    """Validate the emergent model's schedules, pack its state and constants.

    The model's ``prepare`` hook (see :class:`leabra_fast.core.driver.PreparedRun`);
    the driver checked the parameters' and state's types and the shared options.
    """
    per_trial = params.cycles_per_trial
    if n_cycles is not None and count("n_cycles", n_cycles) != per_trial:
        raise ValueError(
            f"n_cycles = {n_cycles} but the emergent trial is n_quarters * cyc_per_qtr = "
            f"{params.n_quarters} * {params.cyc_per_qtr} = {per_trial}; set the quarters in params"
        )
    n_cycles = per_trial

    # --- schedules -------------------------------------------------------------
    unit_sched = {
        "ge": prepare_unit_schedule("ge", ge, n_cycles, nonneg=True),
        "gc_i": prepare_unit_schedule("gc_i", gc_i, n_cycles, nonneg=True),
        "ext": prepare_unit_schedule(
            "ext", np.nan if ext is None else ext, n_cycles, allow_nan=True
        ),
        "targ": prepare_unit_schedule(
            "targ", np.nan if targ is None else targ, n_cycles, allow_nan=True
        ),
    }
    given = {"ge": ge, "gc_i": gc_i, "ext": ext, "targ": targ}
    trial_sizes = {
        k: a.shape[0]
        for k, a in unit_sched.items()
        if given[k] is not None and np.ndim(given[k]) > 0
    }
    if inputs is not None:
        x = _synapse_schedule("inputs", inputs, None)
        trial_sizes = {"inputs": x.shape[0], **trial_sizes}
    for k, v in (("su_avg_s_eff", su_avg_s_eff), ("su_avg_m", su_avg_m)):
        if v is not None and np.ndim(v) > 0:
            trial_sizes.setdefault(k, _synapse_schedule(k, v, None).shape[0])
    n_trials, first_name = 1, "the default of 1 trial"
    if trial_sizes:
        first_name, n_trials = next(iter(trial_sizes.items()))
        for k, size in trial_sizes.items():
            if size != n_trials:
                raise ValueError(f"{k} has {size} trials, {first_name} has {n_trials}")
    if inputs is None:
        x = np.zeros((n_trials, 1, 1))
    # source=: the argument that set n_trials, for a mismatch message that blames it.
    s_eff = x if su_avg_s_eff is None else _synapse_schedule(
        "su_avg_s_eff", su_avg_s_eff, n_trials, source=first_name
    )
    s_m = x if su_avg_m is None else _synapse_schedule(
        "su_avg_m", su_avg_m, n_trials, source=first_name
    )

    syn = {"inputs": x, "su_avg_s_eff": s_eff, "su_avg_m": s_m}
    unit_sizes = [(k, a.shape[1]) for k, a in syn.items()]
    unit_sizes += [(k, a.shape[2]) for k, a in unit_sched.items()]
    input_sizes = [(k, a.shape[2]) for k, a in syn.items()]
    if state is not None:
        unit_sizes.append(("state", state.n_units))
        input_sizes.append(("state", state.n_inputs))
    per_unit = getattr(params, "_unit_groups", None)
    if per_unit is not None and n_units is None and state is None:
        n_units = per_unit[0]  # the per-unit parameters give the number of units
    nu = _resolve("n_units", unit_sizes, n_units)
    ni = _resolve("n_inputs", input_sizes, n_inputs)
    # Sizes refused before anything of that size is broadcast or allocated.
    check_synapses(nu, ni)
    check_allocation({
        f"act_q (n_trials={n_trials}, n_quarters={params.n_quarters}, n_units={nu})":
            (n_trials, params.n_quarters, nu),
        **{f"schedule {k} (n_trials={n_trials})": (n_trials, *a.shape[1:])
           for k, a in unit_sched.items()},
    })  # fmt: skip
    if state is not None and (state.n_units, state.n_inputs) != (nu, ni):
        raise ValueError(
            f"state has (n_units, n_inputs) = {(state.n_units, state.n_inputs)}, "
            f"schedules need {(nu, ni)}"
        )
    compact = {k: np.ascontiguousarray(a) for k, a in syn.items()}
    compact.update(
        {k: np.ascontiguousarray(np.broadcast_to(a, (n_trials, *a.shape[1:])))
         for k, a in unit_sched.items()}
    )  # fmt: skip
    full_syn = (n_trials, nu, ni)
    full_unit = (n_trials, n_cycles, nu)
    x, s_eff, s_m = (broadcast(a, full_syn) for a in (x, s_eff, s_m))
    ge_a, gi_a, ext_a, targ_a = (broadcast(a, full_unit) for a in unit_sched.values())
    per_set = per_unit is not None
    if per_set:
        check_unit_count(params, nu)
    # The parameters of unit 0 (all units' when every field is a scalar); a sweep's
    # points, runs of units with float fields per unit, have their constants computed
    # on all runs at once (else: set by set).
    first = per_unit.first() if per_unit is not None else params
    runs = _runs_of_sets(params, first, ni) if per_set else None
    fresh = state is None
    if state is None:
        state = EmergentState.initial(first, nu, ni, fwt=fwt, wt=wt)
    work, unit_block, syn_block = state.packed()

    act_q = np.zeros((n_trials, params.n_quarters, nu))
    if per_set:
        built: list[Any] = []  # the sets as scalar instances, and their plan, on demand

        def plan() -> list[tuple[tuple[dict[str, float], np.ndarray], np.ndarray]]:
            if not built:
                built.extend((_constants(p, ni), idx) for p, idx in unit_groups(params, nu))
            return built

        if fresh and (runs is None or _INITIAL & set(params.per_unit)):
            for (p, idx) in unit_groups(params, nu):  # each set's initial values
                f = None if fwt is None else np.broadcast_to(np.asarray(fwt), (nu, ni))[idx]
                w = None if wt is None else np.broadcast_to(np.asarray(wt), (nu, ni))[idx]
                _, ub, sb = EmergentState.initial(p, idx.shape[0], ni, fwt=f, wt=w).packed()
                unit_block[:, idx] = ub
                syn_block[:, idx] = sb
        bounds = runs[0] if runs is not None else contiguous_bounds(
            [idx for _, idx in plan()], nu
        )
        one_call = None
        if runs is not None:  # one NXX1 table for all sets
            consts0, table0 = _constants(first, ni)
            spans = np.tile(np.asarray([0, table0.shape[0]], dtype=np.intp), (runs[1].shape[0], 1))
            one_call = (consts0, table0, runs[1], spans)
        elif bounds is not None:
            one_call = _group_tables(plan())

        def call_groups(run: Any, c0: int, c1: int, *recording: Any) -> int:
            *common, threads = recording
            if one_call is not None and run is not reference.run_emergent:
                # Runs of units (a sweep's points): one compiled call, every set its own
                # layer, blocks of several sets with per-lane constants.
                first_consts, pool, table, spans = one_call
                return int(
                    run(first_consts, pool, x, s_eff, s_m, ge_a, gi_a, ext_a, targ_a,
                        unit_block, syn_block, n_cycles, c0, c1, *common, act_q, threads,
                        table, bounds, spans)
                )  # fmt: skip
            args = (x, s_eff, s_m, ge_a, gi_a, ext_a, targ_a, unit_block, syn_block,
                    n_cycles, c0, c1, *common, act_q, threads)  # fmt: skip
            # positions: 0-2 synapse schedules (unit axis 1), 3-6 unit schedules (axis 2),
            # 7-8 state blocks (axis 1), 16 unit_cols, 19 spikes, 20 first_bad, 21 act_q.
            axes = {0: 1, 1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 6: 2, 7: 1, 8: 1,
                    16: 0, 19: 0, 20: 0, 21: 2}  # fmt: skip
            return run_groups(run, plan(), args, axes, (7, 8, 19, 20, 21))

        call_run = call_groups
    consts, table = _constants(first, ni)

    def call(run: Any, c0: int, c1: int, *recording: Any) -> int:
        # recording: rec_first, every, rec_base, slots, unit_rows, unit_buf, syn_buf,
        # spikes, first_bad, threads; act_q goes before threads.
        *common, threads = recording
        return int(
            run(consts, table, x, s_eff, s_m, ge_a, gi_a, ext_a, targ_a,
                unit_block, syn_block, n_cycles, c0, c1, *common, act_q, threads)
        )  # fmt: skip

    if not per_set:
        call_run = call

    def extra(done: int) -> dict[str, np.ndarray]:
        done_q = act_q if done == n_trials * n_cycles else act_q[: -(-done // n_cycles)].copy()
        return _phase_records(done_q, params)

    return PreparedRun(
        params=params,
        state=work,
        n_cycles=n_cycles,
        n_trials=n_trials,
        reads=(x, s_eff, s_m, ge_a, gi_a, ext_a, targ_a),
        schedules=compact,
        call=call_run,
        extra=extra,
    )


#: The fields that set the initial state (with the SIG of the initial weights).
_INITIAL = {"fwt_init", "wt_init", "init_net", "init_v_m", "init_act", "avg_init", "avg_l_init",
            "wt_sig_gain", "wt_sig_off", "quirk_sig_seed", "sig_eps"}  # fmt: skip

#: The fields the NXX1 lookup table is built from.
_TABLE = {"nxx1", "gain", "nvar", "table_res", "table_max"}


def _runs_of_sets(
    params: EmergentParams, first: EmergentParams, n_inputs: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """A sweep's layout, without a scalar instance per set: when every per-unit field is
    a float array, each distinct set is one run of consecutive units and all sets share
    one NXX1 table, ``(bounds, rows)``: the runs' bounds (``0 = b[0] < ... < b[n] =
    n_units``) and each run's constants as a row (``CONST_NAMES`` order, the bits of
    :func:`derived_constants` of its set).  Else None (the caller goes set by set)."""
    arrays = params.per_unit
    if any(a.dtype != np.float64 for a in arrays.values()):
        return None
    if first.nxx1 == "table" and _TABLE & set(arrays):
        return None
    bits = np.stack([a.view(np.uint64) for a in arrays.values()], axis=1)  # -0.0 != 0.0
    starts = np.flatnonzero(np.r_[True, np.any(bits[1:] != bits[:-1], axis=1)])
    keys = np.ascontiguousarray(bits[starts]).view(np.dtype((np.void, 8 * bits.shape[1])))
    if len(set(keys.ravel().tolist())) != starts.size:  # a set in two places: not runs
        return None
    fields = vars_of(params)
    fields.update({name: a[starts] for name, a in arrays.items()})
    derived = derived_constants_units(fields, n_inputs)
    if derived is None:
        return None
    _, derived["table_x0"], derived["table_res"] = build_table(first)  # type: ignore[assignment]
    names = compiled_kernel().CONST_NAMES
    rows = np.empty((starts.size, len(names)))
    for k, name in enumerate(names):
        rows[:, k] = derived[name]
    bounds = np.append(starts, bits.shape[0]).astype(np.intp)
    return bounds, rows


def _group_tables(
    plan: list[tuple[tuple[dict[str, float], np.ndarray], np.ndarray]],
) -> tuple[dict[str, float], np.ndarray, np.ndarray, np.ndarray]:
    """The compiled kernel's per-group arguments, groups in order of their first unit:
    the first set's constants, the pool of distinct NXX1 tables one after another, each
    set's constants as a row (``CONST_NAMES`` order) and its table's (offset, length)."""
    names = compiled_kernel().CONST_NAMES
    ordered = sorted(plan, key=lambda item: int(item[1][0]))
    rows = np.array([[consts[k] for k in names] for (consts, _), _ in ordered], dtype=np.float64)
    where: dict[bytes, tuple[int, int]] = {}
    parts: list[np.ndarray] = []
    spans = np.empty((len(ordered), 2), dtype=np.intp)
    offset = 0
    for g, ((_, table), _) in enumerate(ordered):
        key = table.tobytes()
        if key not in where:
            where[key] = (offset, table.shape[0])
            parts.append(table)
            offset += table.shape[0]
        spans[g] = where[key]
    pool = np.ascontiguousarray(np.concatenate(parts), dtype=np.float64)
    return ordered[0][0][0], pool, rows, spans


def _constants(params: EmergentParams, n_inputs: int) -> tuple[dict[str, float], np.ndarray]:
    """The kernel's constants and NXX1 table for one scalar parameter set."""
    consts = derived_constants(params, n_inputs)
    table, consts["table_x0"], consts["table_res"] = build_table(params)
    return consts, table
