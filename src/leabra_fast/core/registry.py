"""The models the shared machinery knows, by name.

Each model package (``leabra_fast.seed``, ``leabra_fast.emergent``, ...) builds one
:class:`ModelSpec` and calls :func:`register` when it is imported.  The driver,
config files, saving, the CLI and the figures look a model up here and call
its hooks; none of them imports a model, so adding a model is adding a sibling
package that registers itself.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

__all__ = [
    "DEFAULT_MODEL",
    "ModelSpec",
    "RunFileKind",
    "figure_modules",
    "find",
    "get",
    "lazy_module",
    "names",
    "register",
    "register_figures",
    "register_run_file",
    "run_file_kind",
    "spec_for_params",
    "spec_for_state",
]


@dataclass(frozen=True)
class ModelSpec:
    """What the shared machinery needs to know about one model.

    Attributes
    ----------
    name : str
        The ``model=`` value that selects it.
    params_class, state_class : type
        Its parameter dataclass (a :class:`~leabra_fast.core.paramspec.ParamsMixin`)
        and state dataclass (a :class:`~leabra_fast.core.statebase.PackedState`).
    default_params : callable
        ``() -> params``: the parameters of a call that gives none.
    unit_traces, synapse_traces : tuple of str
        Trace names in kernel order (unit traces, then synapse traces).
    prepare : callable
        ``(inputs, su_avg_s_eff, su_avg_m, *, gc_i, params, n_cycles, n_units,
        n_inputs, state, fwt, wt, **options) -> PreparedRun``: validates the
        model's schedules and options and packs what its kernel reads
        (see :class:`leabra_fast.core.driver.PreparedRun`).
    runner : callable
        ``(backend) -> callable``: the compiled kernel's or the reference's run
        function; ValueError for an unknown backend.
    compiled_kernel : callable
        ``() -> module``: the model's compiled extension module.
    option_keys : tuple of str
        Keyword arguments of ``simulate`` that only this model takes (``ge``, ...).
    schedule_keys, required_schedule_keys : tuple of str
        Keys a run file's ``[schedule]`` table may and must hold.
    per_unit_schedule_keys : tuple of str
        Schedules a 2-D ``.csv`` file may give as ``(n_trials, n_units)``.
    params_from_table : callable
        ``(where, table, error) -> params``: a run file's ``[params]`` table; raises
        ``error`` with a message starting with ``where``.
    figures : callable
        ``() -> module``: the model's figures (imported on first use).  The module's
        ``__all__`` is shown by :mod:`leabra_fast.plot`; its ``FIGURES`` (a
        :class:`~leabra_fast.core.plotting.ModelFigures`) are the hooks of the shared plots.
    add_cli : callable, optional
        ``(subparsers) -> None``: the model's ``leabra-fast`` subcommands.
    nonfinite_hint : str
        Appended to the message when a unit's dynamics became NaN/inf.
    saved_schedules : mapping of str to str
        The schedules a saved run may hold (``SimulationResult.schedules``), each
        with its kind, which fixes the shape :func:`leabra_fast.load` checks
        (length-1 axes allowed after the first): ``"synapse"`` (n_trials, n_units,
        n_inputs), ``"unit"`` (n_trials, n_units), ``"cycle_unit"`` (n_trials,
        n_cycles, n_units), ``"cycle_unit_nan"`` the same with NaN allowed
        (NaN: not clamped).
    cycles_per_trial : callable, optional
        ``(params) -> int``: the cycles per trial the parameters fix, for a model
        whose parameters do (``load`` checks the saved ``n_cycles`` against it).
    """

    name: str
    params_class: type[Any]
    state_class: type[Any]
    default_params: Callable[[], Any]
    unit_traces: tuple[str, ...]
    synapse_traces: tuple[str, ...]
    prepare: Callable[..., Any]
    runner: Callable[[str], Callable[..., int]]
    compiled_kernel: Callable[[], ModuleType]
    figures: Callable[[], ModuleType]
    params_from_table: Callable[[str, Mapping[str, Any], type[Exception]], Any]
    option_keys: tuple[str, ...] = ()
    schedule_keys: tuple[str, ...] = ()
    required_schedule_keys: tuple[str, ...] = ()
    per_unit_schedule_keys: tuple[str, ...] = ()
    add_cli: Callable[[argparse._SubParsersAction], None] | None = None
    nonfinite_hint: str = ""
    saved_schedules: Mapping[str, str] = field(default_factory=dict)
    cycles_per_trial: Callable[[Any], int] | None = None

    @property
    def trace_names(self) -> tuple[str, ...]:
        """All trace names, unit traces first (the kernel's slot order)."""
        return self.unit_traces + self.synapse_traces


#: The model of a call that names none (``simulate``, run files, plots of bare parameters).
DEFAULT_MODEL = "seed"

_MODELS: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add ``spec`` (a model importing itself again re-registers the same name)."""
    _MODELS[spec.name] = spec
    return spec


def names() -> tuple[str, ...]:
    """The registered models' names: the default model first, then in registration order."""
    return tuple(sorted(_MODELS, key=lambda name: name != DEFAULT_MODEL))


def get(name: object) -> ModelSpec:
    """The model called ``name``; ValueError naming the registered ones otherwise."""
    spec = find(name)
    if spec is None:
        raise ValueError(f"unknown model {name!r}; choose one of {names()}")
    return spec


def find(name: object) -> ModelSpec | None:
    """The model called ``name``, or None."""
    return _MODELS.get(name) if isinstance(name, str) else None


def lazy_module(name: str) -> Callable[[], ModuleType]:
    """``() -> module``: imports ``name`` on first call (a model's figures need matplotlib)."""
    return lambda: importlib.import_module(name)


def spec_for_params(params: object) -> ModelSpec | None:
    """The model whose parameter class ``params`` is an instance of, or None."""
    for spec in _MODELS.values():
        if isinstance(params, spec.params_class):
            return spec
    return None


def spec_for_state(state: object) -> ModelSpec | None:
    """The model whose state class ``state`` is an instance of, or None."""
    for spec in _MODELS.values():
        if isinstance(state, spec.state_class):
            return spec
    return None


# --- packages that are not ``simulate`` models (networks): figures and run files -------

_FIGURES: dict[str, Callable[[], ModuleType]] = {}


def register_figures(name: str, figures: Callable[[], ModuleType]) -> None:
    """Add a figures module (``() -> module``, its ``__all__`` public) that no model owns;
    :mod:`leabra_fast.plot` shows it after the models' figures."""
    _FIGURES[name] = figures


def figure_modules() -> tuple[Callable[[], ModuleType], ...]:
    """Every figures module's loader: the models' (in :func:`names` order), then the others."""
    return (*(get(n).figures for n in names()), *_FIGURES.values())


@dataclass(frozen=True)
class RunFileKind:
    """A kind of ``leabra-fast run`` file other than the models' (``[params]``,
    ``[schedule]``, ``[run]``): a file with any of ``tables`` at its top level is this kind's,
    and ``run(config, out, report) -> exit code`` runs it (``out`` None: the default folder);
    ``sweep(config, out, options)``, if given, is ``leabra-fast sweep`` for it (``options``:
    the command's ``format``, ``summary``, ``x``, ``y``, ``chunk_size``)."""

    name: str
    tables: tuple[str, ...]
    run: Callable[[Any, Any, bool], int]
    sweep: Callable[[Any, Any, Any], int] | None = None


_RUN_FILES: dict[str, RunFileKind] = {}


def register_run_file(kind: RunFileKind) -> RunFileKind:
    """Add a run-file kind (registering a name again replaces it)."""
    _RUN_FILES[kind.name] = kind
    return kind


def run_file_kind(tables: Any) -> RunFileKind | None:
    """The registered kind that claims one of the top-level ``tables`` of a run file, or None."""
    keys = set(tables)
    for kind in _RUN_FILES.values():
        if keys & set(kind.tables):
            return kind
    return None
