"""The simulation driver: validate everything, allocate everything, then run a backend.

No per-cycle work happens here.  :func:`simulate` looks the model up in the
registry; the model's ``prepare`` hook checks its schedules and parameters and
packs its state; the driver then plans and allocates the trace buffers and
calls the chosen backend (the model's compiled kernel or its NumPy reference,
same signature) over the requested cycles, in chunks when asked.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from . import progress as _progress
from . import registry
from .paramspec import suggest
from .result import SimulationResult
from .statebase import PackedState
from .traces import DEFAULT_MAX_TRACE_BYTES, RecordPlan, lease_buffers

__all__ = [
    "BACKENDS",
    "MAX_THREADS",
    "NonFiniteError",
    "NonFiniteWarning",
    "PreparedRun",
    "import_compiled",
    "simulate",
]

BACKENDS = ("cython", "python")

#: The most threads a run may ask for.  OpenMP starts every thread it is asked for
#: (libgomp kills the process near 50,000 and crashes near 100,000); the kernels cut the
#: units into about 8 chunks per thread, so far more threads than cores only add overhead.
MAX_THREADS = 1024


class NonFiniteWarning(RuntimeWarning):
    """Some unit's dynamics became NaN or inf (for example the AdEx exponential overflowed)."""


class NonFiniteError(FloatingPointError):
    """Raised with ``on_nonfinite="raise"``; ``.result`` still holds everything recorded."""

    def __init__(self, message: str, result: SimulationResult) -> None:
        super().__init__(message)
        self.result = result


@functools.cache  # once: a small run should not pay for the import machinery
def import_compiled(module: str) -> Any:
    """Import a compiled kernel module (``leabra_fast.seed.compiled``, ...) with a clear error."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - only on a broken install
        raise ImportError(
            f"the compiled kernel {module} is not available "
            f"({exc}); reinstall leabra-fast, or use backend='python'"
        ) from exc


@dataclass
class PreparedRun:
    """What a model's ``prepare`` hook hands the driver: a run ready for its kernel.

    Attributes
    ----------
    params : object
        The validated parameters (stored in the result).
    state : PackedState
        The working state the kernel advances in place (a copy of the caller's),
        whose arrays are views of ``unit_block`` and ``syn_block``.
    n_cycles, n_trials : int
        Cycles per trial and trials of the call.
    reads : tuple of ndarray
        Every array the kernel reads while it writes traces (``out=`` must not overlap them).
    schedules : dict of str to ndarray
        The call's schedules, compact (broadcast axes of length 1), for the result.
    call : callable
        ``call(runner, c0, c1, rec_first, every, rec_base, slots, unit_rows, unit_buf,
        syn_buf, spikes, first_bad, threads) -> status``: runs cycles ``c0 .. c1``.
    extra : callable, optional
        ``extra(done) -> dict``: the model's per-trial records for ``result.extra``
        after ``done`` cycles.
    """

    params: Any
    state: PackedState
    n_cycles: int
    n_trials: int
    reads: tuple[np.ndarray, ...]
    schedules: dict[str, np.ndarray]
    call: Callable[..., int]
    extra: Callable[[int], dict[str, Any]] | None = None


def check_run_options(on_nonfinite: str, max_trace_bytes: object) -> None:
    """Validate the options every model shares."""
    # str first: ``in`` on an array would compare elementwise and raise numpy's error.
    if not isinstance(on_nonfinite, str) or on_nonfinite not in ("warn", "raise", "ignore"):
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
    # Iterating a buffer yields its traces as views (faster than indexing each).
    traces = dict(zip(plan.unit_names, unit_buf, strict=True))
    traces.update(zip(plan.synapse_names, syn_buf, strict=True))
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


# The package (leabra_fast/, one up from core/): frames in any of its modules are ours.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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



def count(name: str, value: object) -> int:
    """``value`` as an int >= 1, or a TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def resolve_threads(n_threads: int | None) -> int:
    """``None`` means every core this process may use (at most :data:`MAX_THREADS`)."""
    if n_threads is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - not on Linux
            cores = os.cpu_count() or 1
        return min(max(1, cores), MAX_THREADS)
    threads = count("n_threads", n_threads)
    if threads > MAX_THREADS:
        raise ValueError(
            f"n_threads must be <= {MAX_THREADS} (MAX_THREADS), got {n_threads}; "
            "use about one per core (n_threads=None uses every core)"
        )
    return threads


def _an(cls: type) -> str:
    name = cls.__name__
    return f"{'an' if name[:1] in 'AEIOU' else 'a'} {name}"


def _check_model_args(
    spec: registry.ModelSpec, params: Any, state: Any, fwt: Any, wt: Any, options: dict[str, Any]
) -> Any:
    """The options, parameters and state every model checks alike; returns the parameters."""
    unknown = sorted(set(options) - set(spec.option_keys))
    if unknown:
        owners = [
            f"{', '.join(k for k in unknown if k in other.option_keys)} belong to "
            f"model={other.name!r}"
            for other in map(registry.get, registry.names())
            if other is not spec and set(unknown) & set(other.option_keys)
        ]
        if not owners:  # a typo, most likely: the closest of simulate's own arguments
            model_keys = [k for n in registry.names() for k in registry.get(n).option_keys]
            own = inspect.signature(simulate).parameters.values()
            valid = [a.name for a in own if a.kind != a.VAR_KEYWORD] + model_keys
            hints = [f"{k!r}{suggest(k, valid)}" for k in unknown]
            raise TypeError(f"simulate() got unexpected keyword argument(s) {', '.join(hints)}")
        raise TypeError(
            f"simulate() got unexpected keyword argument(s) {unknown} ({'; '.join(owners)})"
        )
    if params is None:
        params = spec.default_params()
    elif not isinstance(params, spec.params_class):
        other = registry.spec_for_params(params)
        hint = f"; pass model={other.name!r} to run it" if other is not None else ""
        raise TypeError(
            f"params must be {_an(spec.params_class)}, got {type(params).__name__}{hint}"
        )
    if state is not None:
        if not isinstance(state, spec.state_class):
            raise TypeError(f"state must be {_an(spec.state_class)}, got {type(state).__name__}")
        if fwt is not None or wt is not None:
            raise ValueError("give initial weights either in state or as fwt/wt, not both")
        state.validate()
    return params


def simulate(
    inputs: Any = None,
    su_avg_s_eff: Any = None,
    su_avg_m: Any = None,
    *,
    gc_i: Any = 0.0,
    params: Any = None,
    n_cycles: int | None = None,
    n_units: int | None = None,
    n_inputs: int | None = None,
    state: Any = None,
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
    """Simulate a model's neurons and synapses over a schedule of trials.

    ``model`` names a registered model: ``"seed"`` (default), the seed notebook's
    neuron and synapse, or ``"emergent"``, the canonical emergent unit
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
        Threads for the compiled kernel, 1 to ``MAX_THREADS`` (1024); default all
        cores.  A run never starts more threads than it has units.
    max_trace_bytes : int
        Refuse (:class:`~leabra_fast.TraceBudgetError`) to allocate more
        trace memory than this.
    on_nonfinite : {"warn", "raise", "ignore"}, default "warn"
        What to do when a unit's dynamics become NaN/inf.  The result always
        says so in ``first_nonfinite`` and ``ok``.
    progress : None, bool or callable, default None
        Show a progress bar (tqdm if installed, else a text line on stderr).
        ``None``: only for runs estimated to take over
        :data:`~leabra_fast.core.progress.PROGRESS_MIN_SECONDS` seconds, and only when
        stderr is a terminal or in Jupyter.  A callable is called as
        ``progress(cycles_done, cycles_total)`` after each chunk instead of a bar;
        raising ``KeyboardInterrupt`` in it stops the run like Ctrl-C.
    chunk_cycles : int, optional
        Run the kernel this many cycles at a time (same bits as one call).  Default:
        one call for short runs, chunks of ~0.2 s for long runs, progress bars and
        callbacks.  Ctrl-C between chunks stops the run cleanly: the result holds
        what was simulated, with ``partial=True`` and a
        :class:`~leabra_fast.PartialRunWarning`.  Automatic chunks hold
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
    spec = registry.get(model)
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a str, one of {BACKENDS}, got {type(backend).__name__}")
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    runner = spec.runner(backend)
    params = _check_model_args(spec, params, state, fwt, wt, model_options)
    threads = resolve_threads(n_threads)
    check_run_options(on_nonfinite, max_trace_bytes)
    prep: PreparedRun = spec.prepare(
        inputs, su_avg_s_eff, su_avg_m, gc_i=gc_i, params=params, n_cycles=n_cycles,
        n_units=n_units, n_inputs=n_inputs, state=state, fwt=fwt, wt=wt, **model_options,
    )  # fmt: skip
    work, n_cycles_ = prep.state, prep.n_cycles
    nu, ni = work.n_units, work.n_inputs
    threads = min(threads, nu)  # a thread with no unit would only be started and joined

    total = prep.n_trials * n_cycles_
    plan = RecordPlan.build(
        record, units, record_every, n_units=nu, n_inputs=ni,
        first_cycle=int(work.cycle), n_cycles=total,
        unit_catalog=spec.unit_traces, synapse_catalog=spec.synapse_traces,
    )  # fmt: skip
    plan.check_budget(int(max_trace_bytes))
    unit_buf, syn_buf = trace_buffers(plan, out, prep.reads)
    spikes = np.zeros(nu, dtype=np.int64)
    first_bad = np.full(nu, -1, dtype=np.int64)
    slots, unit_rows = plan.slots(), plan.unit_rows(nu)

    def run_chunk(c0: int, c1: int) -> None:
        status = prep.call(
            runner, c0, c1, plan.first_cycle + c0, plan.every, plan.rec_base,
            slots, unit_rows, unit_buf, syn_buf, spikes, first_bad, threads,
        )  # fmt: skip
        if status < 0:  # pragma: no cover - the driver validated everything the kernel checks
            raise RuntimeError(
                f"internal error: the {backend} {spec.name} kernel rejected its input"
            )

    with lease_buffers(unit_buf, syn_buf):  # one run at a time may write a shared out=
        done = run_chunks(
            run_chunk, total, n_cycles_, backend, nu, ni, threads, progress, chunk_cycles
        )
    work.cycle = plan.first_cycle + done
    traces, cycles = collect_traces(plan, unit_buf, syn_buf, done)
    local = cycles - plan.first_cycle
    trial = local // n_cycles_
    cycle_in_trial = local - trial * n_cycles_  # local % n_cycles_, in a third of the time
    result = SimulationResult(
        traces=traces,
        cycles=cycles,
        trial=trial,
        cycle_in_trial=cycle_in_trial,
        units=plan.units,
        state=work,
        spike_count=spikes,
        first_nonfinite=first_bad,
        params=prep.params,
        n_cycles=n_cycles_,
        n_trials=prep.n_trials,
        record_every=plan.every,
        backend=backend,
        model=spec.name,
        partial=done < total,
        extra={} if prep.extra is None else prep.extra(done),
        schedules=prep.schedules,
        _buffers=(unit_buf, syn_buf) if done == total else None,
    )
    report_problems(result, done, total, on_nonfinite, spec.nonfinite_hint)
    return result


def run_chunks(
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
        chunk_cycles = count("chunk_cycles", chunk_cycles)
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
