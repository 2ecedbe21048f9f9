"""The seed model's side of a run: its schedules, state and kernel call.

:func:`prepare` is the model's ``prepare`` hook (see
:class:`leabra_fast.core.driver.PreparedRun`); :func:`compiled_kernel` is the one
place the seed model reaches its compiled kernel.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from ..core.driver import PreparedRun, count, import_compiled
from ..core.paramspec import check_unit_count, unit_groups, vars_of
from ..core.perunit import run_groups
from ..core.schedule import prepare_schedules
from . import reference
from .params import SeedParams, derived_constants
from .state import SeedState

__all__ = ["DEFAULT_PARAMS", "compiled_kernel", "prepare", "runner", "unit_constants"]

#: The parameters that set the initial state (the rest only the dynamics).
_INITIAL = {"v_m_init", "fwt_init", "wt_init"}

#: Frozen: one validated instance serves every call that gives no parameters.
DEFAULT_PARAMS = SeedParams()


def compiled_kernel() -> Any:
    """The seed model's compiled kernel module (the only place it is imported from)."""
    return import_compiled("leabra_fast.seed.compiled")


def runner(backend: str) -> Any:
    """``run_seed`` of the compiled kernel (``"cython"``) or of the NumPy reference."""
    if backend == "cython":
        return compiled_kernel().run_seed
    return reference.run_seed


def prepare(
    inputs: Any,
    su_avg_s_eff: Any,
    su_avg_m: Any,
    *,
    gc_i: Any,
    params: SeedParams,
    n_cycles: int | None,
    n_units: int | None,
    n_inputs: int | None,
    state: SeedState | None,
    fwt: Any,
    wt: Any,
) -> PreparedRun:
    """Validate the seed model's schedules, pack its state and constants.

    The model's ``prepare`` hook; the driver checked the parameters' and state's
    types and the shared options.
    """
    if inputs is None:
        raise TypeError("simulate() needs inputs: the sending activity per trial")
    n_cycles = count("n_cycles", 100 if n_cycles is None else n_cycles)
    per_unit = getattr(params, "_unit_groups", None)
    first_params = params if per_unit is None else per_unit.first()
    if per_unit is not None and n_units is None and state is None:
        n_units = per_unit.n_units  # the per-unit parameters give the number of units
    state_shape = None if state is None else (state.n_units, state.n_inputs)
    sched = prepare_schedules(
        inputs, su_avg_s_eff, su_avg_m, gc_i,
        n_units=n_units, n_inputs=n_inputs, state_shape=state_shape,
    )  # fmt: skip
    if state is None:  # built in place: no second copy of a fresh state
        work, unit_block, syn_block = SeedState.initial_packed(
            first_params, sched.n_units, sched.n_inputs, fwt=fwt, wt=wt
        )
    else:
        work, unit_block, syn_block = state.packed()  # a copy: the caller's is never modified
    consts = derived_constants(params if per_unit is None else first_params, sched.n_inputs)
    x, s_eff, s_m, g = sched.x, sched.su_avg_s_eff, sched.su_avg_m, sched.gc_i
    if per_unit is not None:
        check_unit_count(params, sched.n_units)
        if state is None and _INITIAL & set(params.per_unit):  # per-unit initial values
            _fill_initial(unit_groups(params, sched.n_units), unit_block, syn_block,
                          sched.n_inputs, fwt, wt)  # fmt: skip
        table: list[np.ndarray] = []  # the compiled kernel's per-unit constants, once built
        plan: list[tuple[tuple[Any, ...], np.ndarray]] = []

        def call_groups(run: Any, c0: int, c1: int, *recording: Any) -> int:
            if run is not reference.run_seed:  # the compiled kernel: all units in one call
                if not table:
                    table.append(unit_constants(params, sched.n_units, sched.n_inputs))
                return int(
                    run(consts, x, s_eff, s_m, g, unit_block, syn_block, n_cycles, c0, c1,
                        *recording, table[0])
                )  # fmt: skip
            if not plan:  # the reference backend: one call per parameter set
                plan.extend(((derived_constants(p, sched.n_inputs),), idx)
                            for p, idx in unit_groups(params, sched.n_units))  # fmt: skip
            args = (x, s_eff, s_m, g, unit_block, syn_block, n_cycles, c0, c1, *recording)
            # positions in args: 0-3 schedules (unit axis 1), 4-5 state blocks (axis 1),
            # 13 unit_cols, 16 spikes, 17 first_bad (axis 0).
            axes = {0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 13: 0, 16: 0, 17: 0}
            return run_groups(run, plan, args, axes, (4, 5, 16, 17))

        return PreparedRun(
            params=params,
            state=work,
            n_cycles=n_cycles,
            n_trials=sched.n_trials,
            reads=(x, s_eff, s_m, g),
            schedules=sched.compact(),
            call=call_groups,
        )

    def call(run: Any, c0: int, c1: int, *recording: Any) -> int:
        # recording: rec_first, every, rec_base, slots, unit_rows, unit_buf, syn_buf,
        # spikes, first_bad, threads (the kernels' common tail).
        return int(
            run(consts, x, s_eff, s_m, g, unit_block, syn_block, n_cycles, c0, c1, *recording)
        )

    return PreparedRun(
        params=params,
        state=work,
        n_cycles=n_cycles,
        n_trials=sched.n_trials,
        reads=(x, s_eff, s_m, g),
        schedules=sched.compact(),
        call=call,
    )




def unit_constants(params: SeedParams, n_units: int, n_inputs: int) -> np.ndarray:
    """Each unit's derived constants as a row (the compiled kernel's ``unit_consts``).

    Computed on the per-unit arrays at once: :func:`derived_constants` only adds,
    subtracts, multiplies and divides, which NumPy rounds as Python does, so every
    row has the bits of ``derived_constants`` of that unit's parameter set.  (A
    per-unit ``gc_i_reversal``, a choice, goes group by group.)
    """
    names = compiled_kernel().CONST_NAMES
    arrays = params.per_unit
    table = np.empty((n_units, len(names)))
    if "gc_i_reversal" in arrays:
        for p, idx in unit_groups(params, n_units):
            d = derived_constants(p, n_inputs)
            table[idx] = [d[name] for name in names]
        return table
    fields = {name: arrays.get(name, getattr(params, name)) for name in vars_of(params)}
    with np.errstate(all="ignore"):  # every set was checked finite when params was built
        d = derived_constants(SimpleNamespace(**fields), n_inputs)  # type: ignore[arg-type]
    for k, name in enumerate(names):
        table[:, k] = d[name]
    return table


def _fill_initial(
    groups: Any, unit_block: np.ndarray, syn_block: np.ndarray, n_inputs: int, fwt: Any, wt: Any
) -> None:
    """Each group's initial state, written into its units' rows of the blocks."""
    n_units = unit_block.shape[1]
    for p, idx in groups:
        f = None if fwt is None else np.broadcast_to(np.asarray(fwt), (n_units, n_inputs))[idx]
        w = None if wt is None else np.broadcast_to(np.asarray(wt), (n_units, n_inputs))[idx]
        _, ub, sb = SeedState.initial_packed(p, idx.shape[0], n_inputs, fwt=f, wt=w)
        unit_block[:, idx] = ub
        syn_block[:, idx] = sb
