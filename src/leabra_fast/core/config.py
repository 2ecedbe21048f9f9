"""Run files: a user's parameters, schedules and run options in one TOML file.

Used by ``leabra-fast run --config FILE``.  Three tables, all optional except
``[schedule].inputs``::

    [params]            # any SeedParams field by its notebook name (and sdc)
    lrate = 0.05
    m_lrn = 1.0

    [schedule]          # inline values, or a .npy/.csv file relative to this file
    inputs = [0, 0, 1, 1, 1, 1, 0, 0, 0, 0.2, 0.2, 0.2, 0, 0, 0.5, 0.5, 0, 0, 0.3, 0]
    su_avg_s_eff = "sender_avg_s_eff.npy"
    gc_i = 0.0

    [run]               # options of leabra_fast.simulate
    n_cycles = 100
    record = "all"
    backend = "cython"

``[run]``'s ``model`` (default ``"seed"``) picks the registered model, which
reads ``[params]`` and names its ``[schedule]`` keys (:mod:`leabra_fast.seed.config`;
for ``model = "emergent"``, a ``preset`` and EmergentParams fields and also
``ge``, ``ext``, ``targ``: :mod:`leabra_fast.emergent.config` and
``examples/emergent_config.toml``).

Every problem is a :class:`ConfigError` (a ValueError) naming the file, the
table and the key, e.g. ``config.toml: [params] unknown key 'gian' (did you
mean 'gain'?)``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import registry
from .paramspec import suggest
from .result import SimulationResult

__all__ = ["ConfigError", "RunConfig", "load_config", "suggest"]

# [run] options and the TOML types each accepts.
RUN_KEYS: dict[str, tuple[type, ...]] = {
    "n_cycles": (int,),
    "n_units": (int,),
    "n_inputs": (int,),
    "record": (str, list),
    "units": (int, list),
    "record_every": (int,),
    "backend": (str,),
    "n_threads": (int,),
    "model": (str,),
}
TABLES = ("params", "schedule", "run", "sweep")


class ConfigError(ValueError):
    """A run file is unreadable or names an unknown key or a bad value."""


@dataclass
class RunConfig:
    """A parsed run file: what to pass to :func:`leabra_fast.simulate`."""

    path: Path
    params: Any  # the parameters of the model run["model"] names
    schedules: dict[str, Any] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    #: ``[sweep]``: parameter name -> list of values (``leabra-fast sweep``).
    sweep: dict[str, list[Any]] = field(default_factory=dict)

    def simulate(self, **overrides: Any) -> SimulationResult:
        """Run it; errors from the simulation are re-raised naming this file."""
        from .driver import simulate

        options = {**self.run, **overrides}
        try:
            return simulate(**self.schedules, params=self.params, **options)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{self.path}: {exc}") from None


def read_array_file(where: str, key: str, value: str, root: Path) -> np.ndarray:
    """The array in a ``.npy`` (as saved) or ``.csv`` file (2-D, ``#`` comments) named by a
    run file, relative to the run file's folder ``root``; errors name ``where`` and ``key``."""
    path = Path(value)
    if not path.is_absolute():
        path = root / path
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".csv"):
        raise ConfigError(f"{where} {key}: {value!r} must be a .npy or .csv file")
    if not path.is_file():
        raise ConfigError(f"{where} {key}: file {value!r} not found (looked for {path})")
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        return np.loadtxt(path, delimiter=",", comments="#", dtype=np.float64, ndmin=2)
    except (ValueError, OSError) as exc:
        raise ConfigError(f"{where} {key}: could not read {value!r}: {exc}") from None


def _array_file(
    where: str, key: str, value: str, root: Path, per_unit: tuple[str, ...]
) -> np.ndarray:
    arr = read_array_file(where, key, value, root)
    if not value.lower().endswith(".csv"):
        return arr
    if 1 in arr.shape:  # one row or one column: one value per trial
        return arr.reshape(-1)
    if key in per_unit:
        return arr  # (n_trials, n_units)
    raise ConfigError(
        f"{where} {key}: {value!r} has shape {arr.shape}; a .csv schedule is one value "
        "per trial (one row or one column), or for gc_i (n_trials, n_units); give "
        "per-unit or per-input schedules as a 3-D .npy file"
    )


def _schedules(
    where: str, table: dict[str, Any], root: Path, spec: registry.ModelSpec
) -> dict[str, Any]:
    keys = spec.schedule_keys
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in keys:
            owners = [
                name for name in registry.names() if key in registry.get(name).schedule_keys
            ]
            only = (
                f" ({owners[0]} model only: set model = {owners[0]!r} in [run])"
                if len(owners) == 1
                else ""
            )
            raise ConfigError(
                f"{where} unknown key {key!r}{only}{suggest(key, list(keys))}; "
                f"valid keys: {', '.join(keys)}"
            )
        if isinstance(value, str):
            out[key] = _array_file(where, key, value, root, spec.per_unit_schedule_keys)
        elif isinstance(value, bool) or not isinstance(value, int | float | list):
            raise ConfigError(
                f"{where} {key} must be a number, a list of numbers or a .npy/.csv file name, "
                f"got {value!r}"
            )
        else:
            try:
                out[key] = np.asarray(value, dtype=np.float64)
            except (ValueError, TypeError):
                raise ConfigError(
                    f"{where} {key} must be numbers in (nested) lists of equal length"
                ) from None
    for key in spec.required_schedule_keys:
        if key not in out:
            what = " (the sending activity per trial)" if key == "inputs" else ""
            raise ConfigError(f"{where} {key!r} is required{what}")
    return out


def _run(where: str, table: dict[str, Any]) -> dict[str, Any]:
    for key, value in table.items():
        if key not in RUN_KEYS:
            raise ConfigError(
                f"{where} unknown key {key!r}{suggest(key, list(RUN_KEYS))}; "
                f"valid keys: {', '.join(RUN_KEYS)}"
            )
        kinds = RUN_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, kinds):
            what = " or ".join(
                {int: "an integer", str: "a string", list: "a list"}[k] for k in kinds
            )
            raise ConfigError(f"{where} {key} must be {what}, got {value!r}")
    return dict(table)


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML document of a run file; a missing, undecodable or unparsable file is a
    ConfigError naming it."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8; tomllib decodes before parsing
        raise ConfigError(
            f"{path}: not a UTF-8 text file (byte {exc.start} is {exc.object[exc.start]:#04x}); "
            "save the run file as UTF-8"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a run file") from None


def load_config(path: str | Path) -> RunConfig:
    """Read and check a run file (see the module docstring for its layout)."""
    path = Path(path)
    doc = read_toml(path)
    other = registry.run_file_kind(doc)
    if other is not None:  # e.g. a network's ([layers], [projections]): not simulate's
        raise ConfigError(
            f"{path}: a {other.name} run file (it has "
            f"{', '.join(f'[{t}]' for t in other.tables if t in doc)}): run it with "
            "leabra-fast run --config"
        )
    for key, value in doc.items():
        if key not in TABLES or not isinstance(value, dict):
            raise ConfigError(
                f"{path}: unknown {'table' if isinstance(value, dict) else 'key'} {key!r}"
                f"{suggest(key, list(TABLES))}; expected the tables [params], [schedule], [run]"
            )
    model = doc.get("run", {}).get("model", "seed")
    spec = registry.find(model) if isinstance(model, str) else None
    if spec is None:
        raise ConfigError(
            f"{path}: [run] model = {model!r}: choose one of "
            f"{', '.join(map(repr, registry.names()))}"
        )
    params = spec.params_from_table(f"{path}: [params]", doc.get("params", {}), ConfigError)
    run = _run(f"{path}: [run]", doc.get("run", {}))
    if "schedule" not in doc and spec.required_schedule_keys:
        needed = ", ".join(map(repr, spec.required_schedule_keys))
        raise ConfigError(f"{path}: a [schedule] table with {needed} is required")
    schedules = _schedules(f"{path}: [schedule]", doc.get("schedule", {}), path.parent, spec)
    grid = doc.get("sweep", {})
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(
                f"{path}: [sweep] {key} must be a non-empty list of values, got {values!r}"
            )
    return RunConfig(path=path, params=params, schedules=schedules, run=run, sweep=dict(grid))
