"""The seed model's side of a run: its schedules, state and kernel call.

:func:`prepare` is the model's ``prepare`` hook (see
:class:`leabra_fast.core.driver.PreparedRun`); :func:`compiled_kernel` is the one
place the seed model reaches its compiled kernel.
"""

from __future__ import annotations

from typing import Any

from ..core.driver import PreparedRun, count, import_compiled
from ..core.schedule import prepare_schedules
from . import reference
from .params import SeedParams, derived_constants
from .state import SeedState

__all__ = ["DEFAULT_PARAMS", "compiled_kernel", "prepare", "runner"]

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
    state_shape = None if state is None else (state.n_units, state.n_inputs)
    sched = prepare_schedules(
        inputs, su_avg_s_eff, su_avg_m, gc_i,
        n_units=n_units, n_inputs=n_inputs, state_shape=state_shape,
    )  # fmt: skip
    if state is None:  # built in place: no second copy of a fresh state
        work, unit_block, syn_block = SeedState.initial_packed(
            params, sched.n_units, sched.n_inputs, fwt=fwt, wt=wt
        )
    else:
        work, unit_block, syn_block = state.packed()  # a copy: the caller's is never modified
    consts = derived_constants(params, sched.n_inputs)
    x, s_eff, s_m, g = sched.x, sched.su_avg_s_eff, sched.su_avg_m, sched.gc_i

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


