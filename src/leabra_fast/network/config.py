"""Network run files: ``leabra-fast run --config net.toml`` for a network.

A run file with a ``[layers]`` or ``[projections]`` table is a network's (the models' run
files are :mod:`leabra_fast.core.config`)::

    [network]                   # all optional
    name = "PatAssoc"
    flavour = "go_v1"           # or "cpp85"
    n_batch = 1
    cyc_per_qtr = 25
    seed = 1                    # initial weights

    [layers.Input]              # one table per layer, in network order
    shape = [1, 4]              # int, 2-D or 4-D
    kind = "input"              # input, hidden, target, compare
    classes = []                # optional, for params selectors ".class"

    [projections.InputToOutput] # one table per projection (the name)
    send = "Input"
    recv = "Output"
    pattern = "full"            # full, one_to_one, pool_one_to_one, random (p, seed), mask
    class = "forward"           # forward, back, lateral, inhib
    # p = 0.5, seed = 3         # random;  mask = [[true, false], ...] or "mask.npy"

    [params.Layer]              # a params sheet: selector -> {dotted.path = value}, in order
    inhib.layer.gi = 1.4        # selectors: Layer, Prjn, "#Name", ".class"
    [params."#Output"]
    inhib.layer.gi = 1.2

    [inputs]                    # per input layer: (n_patterns, n_units) inline or .npy/.csv
    Input = [[1, 0, 0, 0], [0, 1, 0, 0]]
    [targets]                   # per target / compare layer
    Output = "targets.csv"

    [sweep]                     # leabra-fast sweep only: "selector:path" = [values]
    "Layer:inhib.layer.gi" = [1.2, 1.4, 1.8]
    "Prjn:learn.lrate" = [0.01, 0.04]

    [run]                       # options of leabra_fast.network.train()
    epochs = 30
    learn = true
    order = "permuted"          # or "sequential"
    seed = 0                    # the permutations
    stop_zero_epochs = 5        # 0: never stop early
    record = ["act"]            # cycle variables (and "wt"), kept for every trial
    trial_vars = ["act_m", "act_p"]  # per-unit trial variables kept (default all; [] none)
    sse_tol = 0.5
    backend = "cython"
    n_threads = 1

Everything is checked before anything runs; every problem is a
:class:`~leabra_fast.core.config.ConfigError` naming the file, the table and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.config import ConfigError, read_array_file, read_toml, suggest
from .network import Network
from .params import FLAVOURS
from .structure import LAYER_KINDS, PATTERNS, PRJN_CLASSES
from .training import ORDERS, TrainResult, train
from .variables import CYCLE_VARS, TRIAL_VARS

__all__ = ["NETWORK_TABLES", "NetworkRunConfig", "is_network_file", "load_network_config"]

#: The top-level tables of a network run file.
NETWORK_TABLES = (
    "network", "layers", "projections", "params", "inputs", "targets", "run", "sweep",
)
#: Tables that make a run file a network's.
MARKER_TABLES = ("layers", "projections")

_NETWORK_KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "flavour": (str,),
    "n_batch": (int,),
    "cyc_per_qtr": (int,),
    "seed": (int,),
}
_LAYER_KEYS: dict[str, tuple[type, ...]] = {
    "shape": (int, list),
    "kind": (str,),
    "classes": (list,),
}
_PRJN_KEYS: dict[str, tuple[type, ...]] = {
    "send": (str,),
    "recv": (str,),
    "pattern": (str,),
    "class": (str,),
    "p": (float, int),
    "seed": (int,),
    "mask": (list, str),
    "classes": (list,),
}
_RUN_KEYS: dict[str, tuple[type, ...]] = {
    "epochs": (int,),
    "learn": (bool,),
    "order": (str,),
    "seed": (int,),
    "stop_zero_epochs": (int,),
    "record": (list, str),
    "trial_vars": (list, str),
    "sse_tol": (float, int),
    "backend": (str,),
    "n_threads": (int,),
}
_TYPE_NAMES = {
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    bool: "true or false",
}


@dataclass
class NetworkRunConfig:
    """A checked network run file: the network (built, weights initialised), its patterns
    and the options of :func:`~leabra_fast.network.train`."""

    path: Path
    net: Network
    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    targets: dict[str, np.ndarray] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    #: The ``[sweep]`` table ("selector:path" -> values) and the ``[network]`` seed.
    sweep: dict[str, list[Any]] = field(default_factory=dict)
    seed: int | None = None

    def run_sweep(self, **overrides: Any) -> Any:
        """:func:`~leabra_fast.network.sweep` of the ``[sweep]`` table, the network's seed
        (0 when the file gives none) for every point's initial weights and the ``[run]``
        seed for the pattern order (``overrides``: more options of ``sweep``)."""
        from .sweep import sweep

        if not self.sweep:
            raise ConfigError(f'{self.path}: a [sweep] table ("selector:path" = [values]) is '
                              "required")  # fmt: skip
        opts = {**self.run, **overrides}
        for key in ("record", "trial_vars"):
            if key in opts:
                raise ConfigError(
                    f"{self.path}: [run] {key}: a sweep keeps the training curves only"
                )
        rng = opts.pop("seed", None)
        try:
            return sweep(self.net, self.sweep, self.inputs, self.targets,
                         init_rng=0 if self.seed is None else self.seed,
                         rng=0 if rng is None else rng, **opts)  # fmt: skip
        except (ValueError, TypeError, KeyError) as exc:
            msg = exc.args[0] if exc.args else str(exc)
            raise ConfigError(f"{self.path}: [sweep] {msg}") from None

    def train(self, **overrides: Any) -> TrainResult:
        """Train the network as the file says (``overrides``: more options of ``train``)."""
        opts = {**self.run, **overrides}
        seed = opts.pop("seed", None)
        try:
            return train(self.net, self.inputs, self.targets, rng=seed, **opts)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{self.path}: {exc}") from None


def is_network_file(doc: Mapping[str, Any]) -> bool:
    """True when a parsed run file has a ``[layers]`` or ``[projections]`` table."""
    return any(k in doc for k in MARKER_TABLES)


def _keys(where: str, table: Any, allowed: Mapping[str, tuple[type, ...]]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table, got {table!r}")
    for key, value in table.items():
        if key not in allowed:
            raise ConfigError(
                f"{where} unknown key {key!r}{suggest(key, list(allowed))}; "
                f"valid keys: {', '.join(allowed)}"
            )
        kinds = allowed[key]
        ok = isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))
        if not ok:
            what = " or ".join(_TYPE_NAMES[k] for k in kinds)
            raise ConfigError(f"{where} {key} must be {what}, got {value!r}")
    return dict(table)


def _choice(where: str, key: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(
            f"{where} {key} = {value!r}: choose one of {', '.join(map(repr, choices))}"
            f"{suggest(str(value), list(choices))}"
        )
    return str(value)


def _array(where: str, key: str, value: Any, root: Path, dtype: Any = np.float64) -> np.ndarray:
    """Inline (nested lists) or a .npy / .csv file relative to the run file."""
    if isinstance(value, str):
        arr = read_array_file(where, key, value, root)
    elif isinstance(value, list):
        try:
            arr = np.asarray(value, dtype=dtype)
        except (ValueError, TypeError):
            raise ConfigError(
                f"{where} {key} must be numbers in nested lists of equal length"
            ) from None
    else:
        raise ConfigError(
            f"{where} {key} must be a (nested) list of numbers or a .npy/.csv file name, "
            f"got {value!r}"
        )
    try:
        return np.asarray(arr, dtype=dtype)
    except (ValueError, TypeError):
        raise ConfigError(f"{where} {key}: values must be {np.dtype(dtype).name}") from None


def _flatten(where: str, table: Any, prefix: str = "") -> dict[str, Any]:
    """TOML dotted keys (``inhib.layer.gi = 1``) arrive nested: back to dotted paths."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(where, value, path + "."))
        else:
            out[path] = value
    return out


def _build(path: Path, doc: dict[str, Any]) -> Network:
    where = f"{path}: [network]"
    nt = _keys(where, doc.get("network", {}), _NETWORK_KEYS)
    flavour = _choice(where, "flavour", nt.get("flavour", "go_v1"), tuple(FLAVOURS))
    try:
        net = Network(
            nt.get("name", path.stem),
            n_batch=nt.get("n_batch", 1),
            flavour=flavour,
            cyc_per_qtr=nt.get("cyc_per_qtr", 25),
        )
    except ValueError as exc:
        raise ConfigError(f"{where} {exc}") from None
    layers = doc.get("layers", {})
    if not isinstance(layers, dict) or not layers:
        raise ConfigError(
            f"{path}: [layers] must hold one table per layer, e.g. [layers.Input] shape = 4"
        )
    for name, lt in layers.items():
        lw = f"{path}: [layers.{name}]"
        lt = _keys(lw, lt, _LAYER_KEYS)
        if "shape" not in lt:
            raise ConfigError(f"{lw} shape is required (an int, or a list of 2 or 4 ints)")
        shape = lt["shape"]
        if isinstance(shape, list) and not all(
            isinstance(s, int) and not isinstance(s, bool) for s in shape
        ):
            raise ConfigError(f"{lw} shape must be an int or a list of ints, got {shape!r}")
        kind = _choice(lw, "kind", lt.get("kind", "hidden"), LAYER_KINDS)
        classes = lt.get("classes", [])
        if not all(isinstance(c, str) for c in classes):
            raise ConfigError(f"{lw} classes must be a list of strings, got {classes!r}")
        try:
            net.add_layer(name, shape, kind, classes=classes)
        except ValueError as exc:
            raise ConfigError(f"{lw} {exc}") from None
    prjns = doc.get("projections", {})
    if not isinstance(prjns, dict):
        raise ConfigError(f"{path}: [projections] must hold one table per projection")
    for name, pt in prjns.items():
        pw = f"{path}: [projections.{name}]"
        pt = _keys(pw, pt, _PRJN_KEYS)
        for key in ("send", "recv"):
            if key not in pt:
                raise ConfigError(f"{pw} {key} is required (a layer name)")
            if pt[key] not in layers:
                raise ConfigError(
                    f"{pw} {key} = {pt[key]!r}: no such layer{suggest(pt[key], list(layers))}; "
                    f"layers are {', '.join(layers)}"
                )
        pattern = _choice(pw, "pattern", pt.get("pattern", "full"), PATTERNS)
        cls = _choice(pw, "class", pt.get("class", "forward"), PRJN_CLASSES)
        mask = pt.get("mask")
        if mask is not None:
            mask = _array(pw, "mask", mask, path.parent, dtype=np.float64)
            if not np.isin(mask, (0, 1)).all():
                raise ConfigError(f"{pw} mask must hold only true/false (or 0/1) values")
            mask = mask.astype(bool)
        classes = pt.get("classes", [])
        if not all(isinstance(c, str) for c in classes):
            raise ConfigError(f"{pw} classes must be a list of strings, got {classes!r}")
        try:
            net.connect(
                pt["send"], pt["recv"], pattern, cls, name=name, p=pt.get("p"),
                seed=pt.get("seed"), mask=mask, classes=classes,
            )  # fmt: skip
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{pw} {exc}") from None
    sheet = doc.get("params", {})
    if not isinstance(sheet, dict):
        raise ConfigError(f'{path}: [params] must hold tables: [params.Layer], [params."#Name"]')
    for sel, vals in sheet.items():
        sw = f"{path}: [params.{sel!r}]" if not sel.isidentifier() else f"{path}: [params.{sel}]"
        if not isinstance(vals, dict):
            raise ConfigError(
                f"{path}: [params] {sel} = {vals!r}: give a table per selector, e.g. "
                f"[params.Layer] act.gbar.l = 0.2"
            )
        for key, value in _flatten(sw, vals).items():
            try:
                net.apply_params([(sel, {key: value})])
            except (ValueError, KeyError, TypeError) as exc:
                msg = exc.args[0] if exc.args else str(exc)
                raise ConfigError(f"{sw} {key} = {value!r}: {msg}") from None
    try:
        net.init_weights(nt.get("seed"))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where} {exc}") from None
    return net


def _patterns(path: Path, doc: dict[str, Any], net: Network) -> tuple[dict[str, np.ndarray], ...]:
    out: list[dict[str, np.ndarray]] = []
    n_rows: dict[str, int] = {}
    for table, kinds in (("inputs", ("input", "hidden")), ("targets", ("target", "compare"))):
        where = f"{path}: [{table}]"
        t = doc.get(table, {})
        if not isinstance(t, dict):
            raise ConfigError(f"{where} must be a table of layer name = patterns")
        pats: dict[str, np.ndarray] = {}
        for name, value in t.items():
            names = [ly.name for ly in net.layers]
            if name not in names:
                raise ConfigError(
                    f"{where} unknown layer {name!r}{suggest(name, names)}; layers are "
                    f"{', '.join(names)}"
                )
            ly = net.layer(name)
            if ly.kind not in kinds:
                other = "targets" if table == "inputs" else "inputs"
                raise ConfigError(
                    f"{where} {name}: a {ly.kind} layer takes its patterns in [{other}]"
                )
            a = _array(where, name, value, path.parent)
            n, b = ly.n_units, net.n_batch
            rest = a.shape[1:]
            if a.ndim < 2 or rest not in ((n,), ly.shape, (b, n), (b, *ly.shape)):
                raise ConfigError(
                    f"{where} {name} must be (n_patterns, {n}) (or the layer shape "
                    f"{ly.shape}, or per batch copy (n_patterns, {b}, {n})), got shape {a.shape}"
                )
            if not np.all(np.isfinite(a)):
                raise ConfigError(f"{where} {name} must be finite numbers")
            n_rows[f"[{table}] {name}"] = a.shape[0]
            pats[name] = a
        out.append(pats)
    if not out[0]:
        raise ConfigError(f"{path}: [inputs] must give the patterns of at least one input layer")
    if len(set(n_rows.values())) > 1:
        raise ConfigError(f"{path}: the patterns must have the same number of rows: {n_rows}")
    return out[0], out[1]


def _run_options(path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    where = f"{path}: [run]"
    run = _keys(where, doc.get("run", {}), _RUN_KEYS)
    if "order" in run:
        _choice(where, "order", run["order"], ORDERS)
    if "backend" in run:
        _choice(where, "backend", run["backend"], ("cython", "python"))
    for key, low in (("epochs", 1), ("stop_zero_epochs", 0), ("n_threads", 1)):
        if key in run and run[key] < low:
            raise ConfigError(f"{where} {key} must be >= {low}, got {run[key]!r}")
    if "sse_tol" in run and run["sse_tol"] < 0:
        raise ConfigError(f"{where} sse_tol must be >= 0, got {run['sse_tol']!r}")
    for key, allowed in (("record", (*CYCLE_VARS, "wt")), ("trial_vars", TRIAL_VARS)):
        if key in run:
            run[key] = _names(where, key, run[key], allowed)
    return run


def _names(where: str, key: str, value: Any, allowed: tuple[str, ...]) -> list[str]:
    """A [run] list of variable names (or one name), each checked against ``allowed``."""
    names = [value] if isinstance(value, str) else list(value)
    for v in names:
        if v not in allowed:
            raise ConfigError(
                f"{where} {key}: unknown variable {v!r}{suggest(str(v), list(allowed))}; "
                f"choose from {', '.join(allowed)}"
            )
    return names


def load_network_config(path: str | Path) -> NetworkRunConfig:
    """Read and check a network run file (the module docstring shows its layout); builds
    the network and initialises its weights, so every error is raised before a run."""
    path = Path(path)
    doc = read_toml(path)
    for key, value in doc.items():
        if key not in NETWORK_TABLES or not isinstance(value, dict):
            raise ConfigError(
                f"{path}: unknown {'table' if isinstance(value, dict) else 'key'} {key!r}"
                f"{suggest(key, list(NETWORK_TABLES))}; a network run file has the tables "
                + ", ".join(f"[{t}]" for t in NETWORK_TABLES)
            )
    net = _build(path, doc)
    inputs, targets = _patterns(path, doc, net)
    run = _run_options(path, doc)
    seed = doc.get("network", {}).get("seed")
    return NetworkRunConfig(path=path, net=net, inputs=inputs, targets=targets, run=run,
                            sweep=_sweep_table(path, doc), seed=seed)  # fmt: skip


def _sweep_table(path: Path, doc: dict[str, Any]) -> dict[str, list[Any]]:
    """``[sweep]``: "selector:path" = [values] (the values are checked by the sweep)."""
    out: dict[str, list[Any]] = {}
    for key, values in doc.get("sweep", {}).items():
        where = f'{path}: [sweep] "{key}"'
        if isinstance(values, dict):
            raise ConfigError(
                f'{where} is a table; write one quoted key per parameter, "selector:path" = '
                '[values], e.g. "Layer:inhib.layer.gi" = [1.2, 1.8]'
            )
        if ":" not in key:
            raise ConfigError(
                f'{where}: a key is "selector:path" (quoted), e.g. "Layer:inhib.layer.gi"'
            )
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where} must be a non-empty list of values, got {values!r}")
        out[key] = values
    return out
