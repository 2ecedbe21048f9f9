"""The simulation driver: validate everything, allocate everything, then run a backend.

No per-cycle work happens here.  The driver checks inputs and parameters,
broadcasts schedules, plans and allocates the trace buffers, packs the state,
and calls the chosen backend's ``run_seed`` (the compiled kernel or the NumPy
reference, same signature) over the requested cycles.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from . import progress as _progress
from . import reference
from .params import SeedParams, derived_constants
from .result import SimulationResult
from .schedule import prepare_schedules
from .state import SeedState
from .traces import DEFAULT_MAX_TRACE_BYTES, RecordPlan

if TYPE_CHECKING:
    from .emergent import EmergentParams, EmergentState

__all__ = ["BACKENDS", "MODELS", "NonFiniteError", "NonFiniteWarning", "simulate"]

BACKENDS = ("cython", "python")
_DEFAULT_PARAMS = SeedParams()  # frozen: one validated instance serves every call


class NonFiniteWarning(RuntimeWarning):
    """Some unit's dynamics became NaN or inf (for example the AdEx exponential overflowed)."""


class NonFiniteError(FloatingPointError):
    """Raised with ``on_nonfinite="raise"``; ``.result`` still holds everything recorded."""

    def __init__(self, message: str, result: SimulationResult) -> None:
        super().__init__(message)
        self.result = result


def compiled_kernel(name: str) -> Any:
    """Import a compiled kernel (``seed.compiled``, ``_emergent_kernel``) with a clear error."""
    try:
        return importlib.import_module(f"leabra_fast.{name}")
    except ImportError as exc:  # pragma: no cover - only on a broken install
        raise ImportError(
            f"the compiled kernel leabra_fast.{name} is not available "
            f"({exc}); reinstall leabra-fast, or use backend='python'"
        ) from exc


def check_run_options(on_nonfinite: str, max_trace_bytes: object) -> None:
    """Validate the options every model's driver shares."""
    if on_nonfinite not in ("warn", "raise", "ignore"):
        raise ValueError(f"on_nonfinite must be 'warn', 'raise' or 'ignore', got {on_nonfinite!r}")
    if isinstance(max_trace_bytes, bool) or not isinstance(max_trace_bytes, int | np.integer):
        raise TypeError("max_trace_bytes must be an int")


def collect_traces(
    plan: RecordPlan, unit_buf: np.ndarray, syn_buf: np.ndarray, done: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The traces by name and their absolute cycles; an interrupted run keeps the rows written."""
    cycles = plan.recorded_cycles()
    if done < plan.n_cycles:  # compact copies of the written rows
        rows = int(np.count_nonzero(cycles < plan.first_cycle + done))
        cycles = cycles[:rows]
        unit_buf, syn_buf = unit_buf[:, :rows].copy(), syn_buf[:, :rows].copy()
    traces = {name: unit_buf[k] for k, name in enumerate(plan.unit_names)}
    traces.update({name: syn_buf[k] for k, name in enumerate(plan.synapse_names)})
    return traces, cycles


def trace_buffers(
    plan: RecordPlan, out: object, reads: Iterable[Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Fresh trace buffers for ``plan``, or those of ``out`` (a previous result) to reuse.

    Reusing skips the operating system's cost of fresh memory, which for large
    recordings is several times the kernel's own time.  ``reads``: the arrays the
    run reads, which ``out``'s traces must not overlap.
    """
    if out is None:
        return plan.allocate()
    if not isinstance(out, SimulationResult):
        raise TypeError(f"out must be a SimulationResult from simulate(), got {type(out).__name__}")
    if out._buffers is None:
        raise ValueError(
            "out has no trace memory to lend: its traces are copies (it was interrupted, "
            "loaded from a file or unpickled). Pass a result that simulate() returned whole"
        )
    return plan.reuse(out._buffers, tuple(out.traces), reads)


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_stacklevel() -> int:
    """``stacklevel`` for a warning issued by the caller, naming the user's line.

    Counts the frames from the caller up to the first one outside this package, so a
    warning points at the user's call whichever public function (``simulate``,
    ``simulate_emergent``, the CLI) led there.
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        _PACKAGE_DIR + os.sep
    ):
        frame = frame.f_back
        level += 1
    return level


def report_problems(
    result: SimulationResult, done: int, total: int, on_nonfinite: str, hint: str = ""
) -> None:
    """Warn about an interrupted run; warn or raise about non-finite dynamics."""
    n_cycles = result.n_cycles
    if result.partial:
        warnings.warn(
            f"run interrupted after {done} of {total} cycles (trial {done // n_cycles}, cycle "
            f"{done % n_cycles}); the result holds what was simulated (partial=True)",
            _progress.PartialRunWarning,
            stacklevel=user_stacklevel(),
        )
    if not result.ok and on_nonfinite != "ignore":
        bad = np.flatnonzero(result.first_nonfinite >= 0)
        msg = (
            f"the dynamics of {bad.size} unit(s) became NaN/inf (first: unit {int(bad[0])} at "
            f"cycle {int(result.first_nonfinite[bad[0]])}){hint}. "
            "See result.first_nonfinite; traces after that cycle are not meaningful."
        )
        if on_nonfinite == "raise":
            raise NonFiniteError(msg, result)
        warnings.warn(msg, NonFiniteWarning, stacklevel=user_stacklevel())


def _backend_runner(backend: str) -> Any:
    if backend == "cython":
        return compiled_kernel("seed.compiled").run_seed
    if backend == "python":
        return reference.run_seed
    raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def resolve_threads(n_threads: int | None) -> int:
    """``None`` means every core this process may use."""
    if n_threads is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not on Linux
            return max(1, os.cpu_count() or 1)
    return _count("n_threads", n_threads)


MODELS = ("seed", "emergent")


def simulate(
    inputs: Any = None,
    su_avg_s_eff: Any = None,
    su_avg_m: Any = None,
    *,
    gc_i: Any = 0.0,
    params: SeedParams | EmergentParams | None = None,
    n_cycles: int | None = None,
    n_units: int | None = None,
    n_inputs: int | None = None,
    state: SeedState | EmergentState | None = None,
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
    progress: bool | _progress.ProgressCallback | None = None,
    chunk_cycles: int | None = None,
    model: str = "seed",
    **model_options: Any,
) -> SimulationResult:
    """Simulate the seed notebook's neuron and synapse over a schedule of trials.

    With ``model="emergent"`` the canonical emergent model runs instead
    (:func:`leabra_fast.emergent.simulate_emergent`): ``params`` must then be an
    :class:`~leabra_fast.emergent.EmergentParams`, and ``ge``, ``ext``, ``targ``
    (and a per-cycle ``gc_i``) are accepted as ``model_options``.

    Parameters
    ----------
    inputs : array_like
        Sending activity per trial, held for the trial's ``n_cycles`` cycles (the
        notebook's ``neuron_input``): shape ``(n_trials,)`` or
        ``(n_trials, n_units, n_inputs)`` with length-1 axes broadcast.
    su_avg_s_eff, su_avg_m : array_like, optional
        Sending units' ``avg_s_eff`` and ``avg_m`` per trial (the notebook's
        ``su_avg_s_eff_full`` and ``su_avg_m_full``), shaped like ``inputs``.
        Default: equal to ``inputs``, as in the notebook.
    gc_i : float or array_like, default 0
        Inhibitory conductance per trial: scalar, ``(n_trials,)`` or
        ``(n_trials, n_units)``; must be >= 0.
    params : SeedParams, optional
        Model constants; default the notebook's.
    n_cycles : int, default 100
        Cycles per trial (emergent: must equal params.n_quarters * params.cyc_per_qtr).
    n_units, n_inputs : int, optional
        Number of receiving units and synapses per unit, when not implied by
        the shapes of the schedules or of ``state``.
    state : SeedState, optional
        State to start from (for example ``previous_result.state``); default
        the notebook's initial state.  Never modified.
    fwt, wt : float or array_like, optional
        Initial weights per synapse, broadcastable to ``(n_units, n_inputs)``;
        only without ``state``.  Default ``params.fwt_init``, ``params.wt_init``.
    record : "all", str, iterable of str or None, default "all"
        Trace names to record (see :data:`leabra_fast.TRACE_NAMES`); None records nothing.
    units : int, sequence of int, slice or None
        Units to record; default all.
    record_every : int, default 1
        Record absolute cycle ``c`` when ``c % record_every == 0``.
    out : SimulationResult, optional
        A previous result whose trace memory this run writes into instead of
        allocating its own: a run that records the same traces, units and number
        of cycles (a parameter sweep, say) then skips the operating system's cost
        of fresh memory, several times the kernel's own time for large
        recordings.  ``out``'s traces are overwritten and the returned result
        shares them; copy what you want to keep first.  Must be a result that
        ``simulate`` returned whole (not interrupted, loaded or unpickled); its
        traces must not overlap this run's inputs.
    backend : {"cython", "python"}, default "cython"
        The compiled kernel or the NumPy reference; same results.
    n_threads : int, optional
        Threads for the compiled kernel; default all cores.
    max_trace_bytes : int
        Refuse (:class:`~leabra_fast.traces.TraceBudgetError`) to allocate more
        trace memory than this.
    on_nonfinite : {"warn", "raise", "ignore"}, default "warn"
        What to do when a unit's dynamics become NaN/inf.  The result always
        says so in ``first_nonfinite`` and ``ok``.
    progress : None, bool or callable, default None
        Show a progress bar (tqdm if installed, else a text line on stderr).
        ``None``: only for runs estimated to take over
        :data:`~leabra_fast.progress.PROGRESS_MIN_SECONDS` seconds, and only when
        stderr is a terminal or in Jupyter.  A callable is called as
        ``progress(cycles_done, cycles_total)`` after each chunk instead of a bar;
        raising ``KeyboardInterrupt`` in it stops the run like Ctrl-C.
    chunk_cycles : int, optional
        Run the kernel this many cycles at a time (same bits as one call).  Default:
        one call for short runs, chunks of ~0.2 s for long runs, progress bars and
        callbacks.  Ctrl-C between chunks stops the run cleanly: the result holds
        what was simulated, with ``partial=True`` and a
        :class:`~leabra_fast.progress.PartialRunWarning`.  Automatic chunks hold
        whole trials whenever a trial fits in one, so a stop falls on a trial
        boundary and ``simulate(inputs[k:], ..., state=result.state)`` with
        ``k = result.state.cycle // n_cycles`` trials done continues it exactly
        (for a fresh run; add the trials of earlier calls to ``k`` otherwise).
        A stop inside a trial (explicit ``chunk_cycles``, or trials longer than
        a chunk) cannot be continued exactly: the kernel would start the rest of
        that trial as a new trial.

    Returns
    -------
    SimulationResult

    Examples
    --------
    The notebook's run, in one line:

    >>> import leabra_fast as lf
    >>> x = [0, 0, 1, 1, 1, 1, 0, 0, 0, .2, .2, .2, 0, 0, .5, .5, 0, 0, .3, 0]
    >>> res = lf.simulate(x)
    >>> int(res["act"].sum())
    137
    """
    if model == "emergent":
        from .emergent.simulation import simulate_emergent

        e_params: Any = params  # checked there: must be an EmergentParams
        e_state: Any = state
        return simulate_emergent(
            inputs, su_avg_s_eff, su_avg_m, gc_i=gc_i, params=e_params, n_cycles=n_cycles,
            n_units=n_units, n_inputs=n_inputs, state=e_state, fwt=fwt, wt=wt, record=record,
            units=units, record_every=record_every, out=out, backend=backend, n_threads=n_threads,
            max_trace_bytes=max_trace_bytes, on_nonfinite=on_nonfinite, progress=progress,
            chunk_cycles=chunk_cycles, **model_options,
        )  # fmt: skip
    if model != "seed":
        raise ValueError(f"unknown model {model!r}; choose one of {MODELS}")
    if model_options:
        raise TypeError(
            f"simulate() got unexpected keyword argument(s) {sorted(model_options)} "
            "(ge, ext, targ belong to model='emergent')"
        )
    if inputs is None:
        raise TypeError("simulate() needs inputs: the sending activity per trial")
    n_cycles = 100 if n_cycles is None else n_cycles
    runner = _backend_runner(backend)
    params = _DEFAULT_PARAMS if params is None else params
    if not isinstance(params, SeedParams):
        emergent = type(params).__name__ == "EmergentParams"
        hint = "; pass model='emergent' to run it" if emergent else ""
        raise TypeError(f"params must be a SeedParams, got {type(params).__name__}{hint}")
    n_cycles = _count("n_cycles", n_cycles)
    threads = resolve_threads(n_threads)
    check_run_options(on_nonfinite, max_trace_bytes)

    if state is not None:
        if not isinstance(state, SeedState):
            raise TypeError(f"state must be a SeedState, got {type(state).__name__}")
        if fwt is not None or wt is not None:
            raise ValueError("give initial weights either in state or as fwt/wt, not both")
        state.validate()
        state_shape: tuple[int, int] | None = (state.n_units, state.n_inputs)
    else:
        state_shape = None
    sched = prepare_schedules(
        inputs, su_avg_s_eff, su_avg_m, gc_i,
        n_units=n_units, n_inputs=n_inputs, state_shape=state_shape,
    )  # fmt: skip
    if state is None:  # built in place: no second copy of a fresh state
        packed = SeedState.initial_packed(params, sched.n_units, sched.n_inputs, fwt=fwt, wt=wt)
        state = packed[0]
    else:
        packed = state.packed()  # a copy: the caller's state is never modified

    total = sched.n_trials * n_cycles
    plan = RecordPlan.build(
        record, units, record_every,
        n_units=sched.n_units, n_inputs=sched.n_inputs,
        first_cycle=int(state.cycle), n_cycles=total,
    )  # fmt: skip
    plan.check_budget(int(max_trace_bytes))

    work, unit_block, syn_block = packed
    reads = (sched.x, sched.su_avg_s_eff, sched.su_avg_m, sched.gc_i)
    unit_buf, syn_buf = trace_buffers(plan, out, reads)
    spikes = np.zeros(sched.n_units, dtype=np.int64)
    first_bad = np.full(sched.n_units, -1, dtype=np.int64)
    consts = derived_constants(params, sched.n_inputs)

    slots, unit_rows = plan.slots(), plan.unit_rows(sched.n_units)

    def run_chunk(c0: int, c1: int) -> None:
        status = runner(
            consts, sched.x, sched.su_avg_s_eff, sched.su_avg_m, sched.gc_i,
            unit_block, syn_block, n_cycles, c0, c1,
            plan.first_cycle + c0, plan.every, plan.rec_base,
            slots, unit_rows, unit_buf, syn_buf, spikes, first_bad, threads,
        )  # fmt: skip
        if status < 0:  # pragma: no cover - the driver validated everything the kernel checks
            raise RuntimeError(f"internal error: the {backend} kernel rejected its arguments")

    done = _run_chunks(
        run_chunk, total, n_cycles, backend, sched.n_units, sched.n_inputs, threads, progress,
        chunk_cycles,
    )
    work.cycle = plan.first_cycle + done
    traces, cycles = collect_traces(plan, unit_buf, syn_buf, done)
    local = cycles - plan.first_cycle
    result = SimulationResult(
        traces=traces,
        cycles=cycles,
        trial=local // n_cycles,
        cycle_in_trial=local % n_cycles,
        units=plan.units,
        state=work,
        spike_count=spikes,
        first_nonfinite=first_bad,
        params=params,
        n_cycles=n_cycles,
        n_trials=sched.n_trials,
        record_every=plan.every,
        backend=backend,
        partial=done < total,
        schedules=sched.compact(),
        _buffers=(unit_buf, syn_buf) if done == total else None,
    )
    report_problems(result, done, total, on_nonfinite, "; the AdEx exponential may have overflowed")
    return result


def _run_chunks(
    run_chunk: Any,
    total: int,
    n_cycles: int,
    backend: str,
    n_units: int,
    n_inputs: int,
    threads: int,
    progress: Any,
    chunk_cycles: int | None,
) -> int:
    """Run cycles ``0 .. total`` in chunks; return how many ran (``total`` unless stopped).

    Short runs without a bar or callback are one kernel call.  Otherwise the
    kernel runs in chunks, Ctrl-C is deferred to the next chunk boundary, and a
    stop (Ctrl-C, or ``KeyboardInterrupt`` from a progress callback) ends the
    loop with state and buffers consistent up to the last finished chunk.
    """
    if progress is not None and not isinstance(progress, bool) and not callable(progress):
        raise TypeError(f"progress must be None, True, False or a callable, got {progress!r}")
    if chunk_cycles is not None:
        chunk_cycles = _count("chunk_cycles", chunk_cycles)
    seconds = _progress.estimate_seconds(backend, n_units, n_inputs, total, threads)
    callback = progress if callable(progress) else None
    show = callback is None and _progress.want_bar(progress, seconds)
    long_run = seconds > _progress.PROGRESS_MIN_SECONDS
    if chunk_cycles is None and not (show or callback or long_run):
        run_chunk(0, total)
        return total
    chunk = chunk_cycles or _progress.auto_chunk(backend, n_units, n_inputs, threads, n_cycles)
    done = 0
    bar = _progress.Progress(total, f"leabra_fast ({backend})") if show else None
    try:
        with _progress.defer_sigint() as pressed:
            for c0, c1 in _progress.chunk_bounds(total, chunk):
                run_chunk(c0, c1)
                done = c1
                if bar is not None:
                    bar.update(done)
                stop = False
                if callback is not None:
                    try:
                        callback(done, total)
                    except KeyboardInterrupt:
                        stop = True
                if stop or pressed():
                    break
    finally:
        if bar is not None:
            bar.close()
    return done
