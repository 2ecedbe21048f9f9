"""The ``Network``: structure, parameter sheets, state, trials and runs (NumPy reference)."""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.statebase import check_allocation, memory_limit
from . import compiled_backend, layout
from . import reference as ref
from .params import LayerParams, PrjnParams, flavour_overrides, with_path
from .result import LazyViews, NetworkResult
from .structure import LAYER_KINDS, PRJN_CLASSES, Layer, Projection, make_mask
from .variables import CYCLE_VARS, LAYER_STATS, STATE_VARS_ADDED, TRIAL_VARS

__all__ = ["CYCLE_VARS", "LAYER_STATS", "TRIAL_VARS", "Network", "NetworkResult"]

@dataclass
class _State:
    layers: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    prjns: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    scalars: dict[str, int] = field(default_factory=dict)


class Network:
    """A Leabra network of named layers and projections, simulated as Go emergent v1 does.

    Parameters
    ----------
    name : str
        Network name (written to ``.wts`` files).
    n_batch : int
        Number of independent copies simulated side by side (own weights, own state, own
        patterns).
    dtype : numpy dtype
        float64 (default) or float32 (reproduces Go's float32 arithmetic).
    flavour : {"go_v1", "cpp85"}
        Default parameters: Go emergent v1 (default) or C++ emergent 8.5's values where
        they differ (see ``params.FLAVOURS``).
    cyc_per_qtr : int
        Cycles per quarter (Go ``Time.CycPerQtr``, 25).
    wt_bal_interval : int
        Weight updates between weight-balance recomputations (Go ``WtBalInterval``, 10).

    Build with ``add_layer`` and ``connect``, set parameters with ``apply_params``, then
    ``init_weights(rng=...)`` and ``run(...)``.
    """

    def __init__(
        self,
        name: str = "Network",
        *,
        n_batch: int = 1,
        dtype: Any = np.float64,
        flavour: str = "go_v1",
        cyc_per_qtr: int = 25,
        wt_bal_interval: int = 10,
    ) -> None:
        if not isinstance(n_batch, (int, np.integer)) or isinstance(n_batch, bool) or n_batch < 1:
            raise ValueError(f"n_batch must be a positive int, got {n_batch!r}")
        dt = np.dtype(dtype)
        if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
        if not isinstance(cyc_per_qtr, (int, np.integer)) or cyc_per_qtr < 1:
            raise ValueError(f"cyc_per_qtr must be a positive int, got {cyc_per_qtr!r}")
        if not isinstance(wt_bal_interval, (int, np.integer)) or wt_bal_interval < 1:
            raise ValueError(f"wt_bal_interval must be a positive int, got {wt_bal_interval!r}")
        self.name = name
        self.n_batch = int(n_batch)
        self.dtype = dt
        self.flavour = flavour
        self._flav = flavour_overrides(flavour)
        self.cyc_per_qtr = int(cyc_per_qtr)
        self.wt_bal_interval = int(wt_bal_interval)
        self.layers: list[Layer] = []
        self.prjns: list[Projection] = []
        self._built = False
        self.state = _State()
        self._lc: dict[str, ref.LayerConsts] = {}
        self._pc: dict[str, ref.PrjnConsts] = {}
        self._ncon: dict[str, Any] = {}
        self._packed: layout.PackedState
        # DWt may be non-zero somewhere (step API, set_state, changed params): the compiled
        # kernel then checks before skipping the rows of senders that do not learn
        self._dwt_pending = True
        #: Units that sent (Go SendGDelta, incl. un-sends) during the last compiled
        #: ``run``, summed over its cycles and layers, per batch copy.
        self.last_n_sent = np.zeros(0, np.int64)
        #: Per batch copy, the trial of the last compiled ``run`` from which the copy ran
        #: on one thread instead of ``n_threads`` because other work took the cores or
        #: the cores were far apart (slow cache-line round trips), or -1.
        self.last_solo_trial = np.zeros(0, np.int64)
        # Private (network.sweep's packed runs): per batch copy, the compiled kernel's
        # (layer, projection) tables made from that copy's parameters, or None (the
        # copies share the network's parameters).  The reference backend refuses it.
        self._copy_tables: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] | None = None

    # ------------------------------------------------------------------ structure
    def add_layer(
        self,
        name: str,
        shape: int | Sequence[int],
        kind: str = "hidden",
        *,
        classes: Iterable[str] = (),
    ) -> Layer:
        """Add a layer of ``shape`` units (int, 2-D or 4-D); ``kind`` input / hidden /
        target / compare."""
        self._check_unbuilt("add_layer")
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty str, got {name!r}")
        if any(ly.name == name for ly in self.layers):
            raise ValueError(f"name {name!r}: a layer of that name exists")
        shp = (
            (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
        )
        if len(shp) not in (1, 2, 4) or any(s < 1 for s in shp):
            raise ValueError(
                f"shape must be a positive int or 2-D / 4-D tuple of positive ints, got {shape!r}"
            )
        if kind not in LAYER_KINDS:
            raise ValueError(f"kind must be one of {LAYER_KINDS}, got {kind!r}")
        params = LayerParams()
        for path, val in self._flav["layer"].items():
            params = with_path(params, path, val)
        ly = Layer(name, shp, kind, tuple(classes), params, len(self.layers))
        self.layers.append(ly)
        return ly

    def connect(
        self,
        send: str,
        recv: str,
        pattern: str = "full",
        cls: str = "forward",
        *,
        name: str | None = None,
        p: float | None = None,
        seed: int | None = None,
        mask: Any = None,
        classes: Iterable[str] = (),
    ) -> Projection:
        """Project ``send`` onto ``recv`` with ``pattern`` (full, one_to_one, pool_one_to_one,
        random with ``p`` and ``seed``, mask with ``mask``) of class ``cls`` (forward, back,
        lateral, inhib).  The name defaults to Go's "SendToRecv"."""
        self._check_unbuilt("connect")
        s, r = self._layer_arg(send, "send"), self._layer_arg(recv, "recv")
        if cls not in PRJN_CLASSES:
            raise ValueError(f"cls must be one of {PRJN_CLASSES}, got {cls!r}")
        nm = name if name is not None else f"{s.name}To{r.name}"
        if any(pj.name == nm for pj in self.prjns):
            raise ValueError(f"name {nm!r}: a projection of that name exists; pass name=")
        m = make_mask(pattern, s, r, p=p, seed=seed, mask=mask)
        params = PrjnParams()
        for path, val in self._flav["prjn"].items():
            params = with_path(params, path, val)
        pj = Projection(
            nm, s.name, r.name, pattern, cls, m, tuple(classes), params, len(self.prjns)
        )
        self.prjns.append(pj)
        return pj

    def layer(self, name: str) -> Layer:
        return self._layer_arg(name, "name")

    def prjn(self, name: str) -> Projection:
        for pj in self.prjns:
            if pj.name == name:
                return pj
        raise KeyError(
            f"name {name!r}: no projection of that name; have {[p.name for p in self.prjns]}"
        )

    def recv_prjns(self, name: str) -> list[Projection]:
        return [pj for pj in self.prjns if pj.recv == name]

    def send_prjns(self, name: str) -> list[Projection]:
        return [pj for pj in self.prjns if pj.send == name]

    def _layer_arg(self, name: str, arg: str) -> Layer:
        for ly in self.layers:
            if ly.name == name:
                return ly
        raise ValueError(
            f"{arg}: no layer named {name!r}; layers are {[ly.name for ly in self.layers]}"
        )

    def _with_n_batch(self, n_batch: int) -> Network:
        """A new, unbuilt network of the same structure, parameters and options with
        ``n_batch`` batch copies (network.sweep packs its points as batch copies)."""
        other = Network(
            self.name, n_batch=n_batch, dtype=self.dtype, flavour=self.flavour,
            cyc_per_qtr=self.cyc_per_qtr, wt_bal_interval=self.wt_bal_interval,
        )  # fmt: skip
        # each its own Layer / Projection objects (apply_params replaces their params);
        # the params (frozen dataclasses) and masks (never written) are shared
        other.layers = [copy.copy(ly) for ly in self.layers]
        other.prjns = [copy.copy(pj) for pj in self.prjns]
        return other

    def _refuse_copy_tables(self, what: str) -> None:
        if self._copy_tables is not None:
            raise ValueError(
                f"{what}: this network carries per-copy parameter tables (a packed sweep), "
                "which only the compiled kernel runs; use backend='cython'"
            )

    def _check_unbuilt(self, what: str) -> None:
        if self._built:
            raise RuntimeError(
                f"{what}: the network is built (weights initialised); build a new Network"
            )

    # ------------------------------------------------------------------ params
    def apply_params(
        self, sheet: Sequence[tuple[str, Mapping[str, Any]]] | Mapping[str, Mapping[str, Any]]
    ) -> None:
        """Apply a params sheet in order, as emergent's ``ApplyParams``.

        ``sheet`` is a sequence of ``(selector, {dotted.path: value})`` (or a dict of them).
        Selectors: "Layer" (all layers), "Prjn" (all projections), "#Name" (one layer or
        projection), ".class" (layer kind such as ".hidden", projection class such as
        ".back", or a user class).  Paths are relative to ``LayerParams`` /
        ``PrjnParams``, e.g. ``{"act.gbar.l": 0.2}``, ``{"wt_scale.rel": 0.2}``.
        """
        items = list(sheet.items()) if isinstance(sheet, Mapping) else list(sheet)
        self._dwt_pending = True
        for i, item in enumerate(items):
            if not (
                isinstance(item, tuple)
                and len(item) == 2
                and isinstance(item[0], str)
                and isinstance(item[1], Mapping)
            ):
                raise ValueError(
                    f"sheet[{i}] must be (selector str, {{path: value}}), got {item!r}"
                )
            sel, vals = item
            if not (sel in ("Layer", "Prjn") or sel[:1] in ("#", ".")):
                raise ValueError(
                    f"sheet[{i}] selector must be 'Layer', 'Prjn', '#Name' or '.class', got {sel!r}"
                )
            hit = False
            objs: list[Layer | Projection] = [*self.layers, *self.prjns]
            for obj in objs:
                if obj.matches(sel):
                    hit = True
                    p: Any = obj.params
                    for path, val in vals.items():
                        try:
                            p = with_path(p, path, val)
                        except (KeyError, ValueError) as exc:
                            raise type(exc)(f"sheet[{i}] {sel!r} on {obj.name!r}: {exc}") from None
                    obj.params = p
            if not hit:
                raise ValueError(f"sheet[{i}] selector {sel!r} matches no layer or projection")
        if self._built:
            self._make_consts()

    # ------------------------------------------------------------------ build / init
    def build(self) -> None:
        """Allocate the state (done by ``init_weights``)."""
        if not self.layers:
            raise ValueError("the network has no layers")
        self.state = _State()
        # one set of packed buffers, viewed per layer / projection (layout.py): the
        # compiled kernel runs on the buffers, the reference on the views
        self._packed, self.state.layers, self.state.prjns = layout.allocate(
            self.layers, self.prjns, self.n_batch, self.dtype
        )
        for pj in self.prjns:
            f = self.dtype.type
            # Go RConNAvgMax.Avg: mean number of receiving connections per receiver (float32 sum)
            self._ncon[pj.name] = f(pj.mask.sum(axis=1).astype(self.dtype).sum()) / f(
                pj.mask.shape[0]
            )
        self.state.scalars = {"wt_bal_ctr": 0, "trials": 0}
        self._make_consts()
        self._built = True

    def _make_consts(self) -> None:
        self._lc = {ly.name: ref.LayerConsts(ly.params, self.dtype) for ly in self.layers}
        self._pc = {pj.name: ref.PrjnConsts(pj.params, self.dtype) for pj in self.prjns}

    def init_weights(self, rng: np.random.Generator | int | None = None) -> None:
        """Random initial weights from ``rng`` (a ``numpy.random.Generator`` or a seed) and
        fresh unit state (Go ``InitWeights``).  Each batch copy gets its own draw."""
        if not self._built:
            self.build()
        else:
            self._make_consts()
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        ref.init_weights(self, gen)
        self._dwt_pending = False
        for st in self.state.layers.values():
            for v in ("has_ext", "has_targ", "has_cmpr"):
                st[v][...] = False
        self.state.scalars["trials"] = 0

    # ------------------------------------------------------------------ weights
    def weights(self, prjn: str) -> np.ndarray:
        """Copy of the weights of ``prjn``, (n_batch, n_recv, n_send); 0 where unconnected."""
        return self.state.prjns[self.prjn(prjn).name]["wt"].copy()

    def set_weights(self, prjn: str, wt: Any) -> None:
        """Set the weights of ``prjn`` (Go ``SetSynVal("Wt")``: the linear weight follows by the
        inverse sigmoid).  ``wt`` is (n_recv, n_send) or (n_batch, n_recv, n_send), in [0, 1]."""
        self._need_built("set_weights")
        pj = self.prjn(prjn)
        w = np.asarray(wt, dtype=self.dtype)
        if w.shape == pj.mask.shape:
            w = np.broadcast_to(w, (self.n_batch, *w.shape))
        if w.shape != (self.n_batch, *pj.mask.shape):
            raise ValueError(
                f"wt must have shape {pj.mask.shape} or {(self.n_batch, *pj.mask.shape)}, "
                f"got {np.shape(wt)}"
            )
        if not np.all(np.isfinite(w)) or (w < 0).any() or (w > 1).any():
            raise ValueError("wt must be finite and in [0, 1]")
        st = self.state.prjns[pj.name]
        st["wt"][...] = w * pj.mask
        st["lwt"][...] = ref.lin_from_sig(self._pc[pj.name], st["wt"]) * pj.mask

    def _need_built(self, what: str) -> None:
        if not self._built:
            raise RuntimeError(f"{what}: call init_weights first")

    def _check_records(
        self,
        n_trials: int,
        cycle_vars: Sequence[str],
        weights: bool,
        trial_vars: Sequence[str] = TRIAL_VARS,
        what: str = "run",
    ) -> None:
        """Refuse (:class:`~leabra_fast.core.statebase.TooLargeError`, before anything is
        allocated) records of ``n_trials`` trials above the machine's memory: the cycle
        variables, the trial variables, the layer statistics and the weights after every
        trial.  For a run, over the units with their padding and with the patterns (the
        compiled kernel's arrays; the reference's are smaller); for ``train``'s records of
        all its trials (``what="train"``), over the units."""
        run = what == "run"
        nb, nl, ncyc = self.n_batch, len(self.layers), 4 * self.cyc_per_qtr
        n_units = (int(self._packed.U.shape[2]) if run and self._built
                   else sum(ly.n_units for ly in self.layers))  # fmt: skip
        n_syn = sum(pj.mask.size for pj in self.prjns)
        shapes = [
            (len(cycle_vars), n_trials, ncyc, nb, n_units),
            (len(trial_vars) + run, n_trials, nb, n_units),
            (len(LAYER_STATS), n_trials, nb, nl),
            (n_trials if weights else 0, nb, n_syn),
        ]
        if 8 * sum(math.prod(sh) for sh in shapes) <= memory_limit():
            return  # (the common case, every call: no message made)
        check_allocation(dict(zip([
            f"{what}: cycle records (record={list(cycle_vars)}, {n_trials} trials of "
            f"{ncyc} cycles, {nb} batch copies, {n_units} units)",
            f"{what}: trial records ({len(trial_vars)} variables"
            f"{' and the patterns' if run else ''}, {n_trials} trials)",
            f"{what}: layer statistics",
            f"{what}: weights after every trial (record=['wt'], {n_syn} synapses)",
        ], shapes, strict=True)))  # fmt: skip

    # ------------------------------------------------------------------ state out / in
    def get_state(self) -> dict[str, np.ndarray]:
        """Copy of the full state as flat arrays ("layer/Name/var", "prjn/Name/var",
        "net/var"); ``set_state`` of it continues bit for bit."""
        self._need_built("get_state")
        out: dict[str, np.ndarray] = {}
        for n, d in self.state.layers.items():
            out.update({f"layer/{n}/{k}": v.copy() for k, v in d.items()})
        for n, d in self.state.prjns.items():
            out.update({f"prjn/{n}/{k}": v.copy() for k, v in d.items()})
        out.update({f"net/{k}": np.asarray(v) for k, v in self.state.scalars.items()})
        return out

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restore a state from ``get_state`` (same structure, n_batch and dtype).

        A state saved before KNa adaptation, activation noise and the cpp85 equations
        existed lacks their variables (``STATE_VARS_ADDED``); they keep this network's
        values (their initial ones after ``init_weights``), as a network of that time
        had none of them."""
        self._need_built("set_state")
        self._dwt_pending = True
        cur = self.get_state()
        missing = {
            k for k in set(cur) - set(state)
            if not (k.startswith("layer/") and k.rsplit("/", 1)[1] in STATE_VARS_ADDED)
        }  # fmt: skip
        extra = set(state) - set(cur)
        if missing or extra:
            raise ValueError(
                f"state keys differ: missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}"
            )
        for k, v in state.items():
            a = np.asarray(v)
            if a.shape != cur[k].shape or a.dtype != cur[k].dtype:
                raise ValueError(
                    f"state[{k!r}] must have shape {cur[k].shape} and dtype {cur[k].dtype}, "
                    f"got {a.shape} {a.dtype}"
                )
            kind, *rest = k.split("/")
            if kind == "net":
                self.state.scalars[rest[0]] = int(a)
            elif kind == "layer":
                self.state.layers[rest[0]][rest[1]][...] = a
            else:
                self.state.prjns[rest[0]][rest[1]][...] = a

    def save_state(self, path: str | os.PathLike[str]) -> None:
        """Write ``get_state()`` to an ``.npz`` file (plain arrays, no pickle)."""
        np.savez(path, **self.get_state())  # type: ignore[arg-type]

    def load_state(self, path: str | os.PathLike[str]) -> None:
        """Read a state written by ``save_state`` into this network (same structure)."""
        with np.load(path, allow_pickle=False) as data:
            self.set_state({k: data[k] for k in data.files})

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        """What pickle (Dask, multiprocessing, ``copy.deepcopy``) keeps: the state as
        ``get_state``'s flat arrays.  Each layer's and projection's arrays are views of
        shared packed buffers (layout.py), which pickle would otherwise copy apart."""
        d = dict(self.__dict__)
        d.pop("_packed", None)
        d["state"] = self.get_state() if self._built else None
        return d

    def __setstate__(self, d: dict[str, Any]) -> None:
        flat = d.pop("state")
        d.setdefault("_copy_tables", None)  # pickled before per-copy tables existed
        self.__dict__.update(d)
        self.state = _State()
        if self._built:  # new packed buffers and views, then the values
            dwt_pending = self._dwt_pending
            self._built = False
            self.build()
            self.set_state(flat)
            self._dwt_pending = dwt_pending

    # ------------------------------------------------------------------ one trial, step by step
    def init_ext(self) -> None:
        """Clear external inputs and targets (Go ``InitExt``)."""
        for st in self.state.layers.values():
            st["ext"][...] = 0
            st["targ"][...] = 0
            for v in ("has_ext", "has_targ", "has_cmpr"):
                st[v][...] = False

    def apply_ext(self, layer: str, pattern: Any) -> None:
        """Apply one pattern to ``layer`` (Go ``ApplyExt``): input/hidden layers get Ext,
        target layers Targ (clamped in the plus phase), compare layers Targ (never clamped).
        ``pattern`` has n_units values (or the layer shape), or (n_batch, ...) of them."""
        ly = self._layer_arg(layer, "layer")
        pat = self._pattern(np.asarray(pattern, dtype=self.dtype), ly, "pattern", with_time=False)
        st = self.state.layers[ly.name]
        if ly.kind in ("target", "compare"):
            st["targ"][...] = pat
            st["has_targ" if ly.kind == "target" else "has_cmpr"][...] = True
            st["has_ext"][...] = False
        else:
            st["ext"][...] = pat
            st["has_ext"][...] = True
            st["has_targ"][...] = False
            st["has_cmpr"][...] = False

    def _pattern(self, a: np.ndarray, ly: Layer, arg: str, *, with_time: bool) -> np.ndarray:
        lead = a.shape[:1] if with_time else ()
        rest = a.shape[1:] if with_time else a.shape
        n, b = ly.n_units, self.n_batch
        if rest == (n,) or rest == ly.shape:
            out = a.reshape((*lead, 1, n))
            if b > 1:  # (broadcast_to costs more than the rest of this method)
                out = np.broadcast_to(out, (*lead, b, n))
            out.flags.writeable = False  # a view of the caller's array, as broadcast_to's
        elif rest == (b, n) or rest == (b, *ly.shape):
            out = a.reshape((*lead, b, n))
        else:
            want = "(n_trials, " if with_time else "("
            raise ValueError(
                f"{arg} for layer {ly.name!r} must have shape {want}{n}) or "
                f"{want}n_batch={b}, {n}) (or the layer shape), got {a.shape}"
            )
        if not np.isfinite(a).all():
            raise ValueError(f"{arg} for layer {ly.name!r} must be finite")
        return out

    def alpha_cyc_init(self, update_act_avg: bool = True) -> None:
        """Go ``AlphaCycInit``: AvgL / ActAvg updates, projection scales, decay, clamp."""
        self._need_built("alpha_cyc_init")
        self._refuse_copy_tables("alpha_cyc_init")
        ref.alpha_cyc_init(self, update_act_avg)

    def cycle(self) -> None:
        """One cycle (Go ``Network.Cycle``)."""
        self._refuse_copy_tables("cycle")
        ref.cycle(self)

    def quarter_final(self, qtr: int) -> None:
        """End of quarter ``qtr`` in 0..3 (Go ``QuarterFinal``)."""
        if qtr not in (0, 1, 2, 3):
            raise ValueError(f"qtr must be 0, 1, 2 or 3, got {qtr!r}")
        ref.quarter_final(self, qtr)

    def dwt(self) -> None:
        """Weight changes from the trial's averages (Go ``DWt``)."""
        self._dwt_pending = True
        ref.dwt(self)

    def wt_from_dwt(self) -> None:
        """Apply the weight changes (Go ``WtFmDWt``, with the WtBal interval)."""
        ref.wt_from_dwt(self)

    # ------------------------------------------------------------------ runs
    def run(
        self,
        inputs: Mapping[str, Any] | None = None,
        targets: Mapping[str, Any] | None = None,
        *,
        learn: bool = True,
        update_act_avg: bool | None = None,
        record: Sequence[str] = (),
        sse_tol: float = 0.5,
        callback: Callable[[int, Network], Any] | None = None,
        progress: bool = False,
        backend: str | None = None,
        n_threads: int = 1,
    ) -> NetworkResult:
        """Run one trial per row of the patterns.

        Parameters
        ----------
        inputs, targets : dict of layer name -> array
            ``(n_trials, n_units)`` (same pattern for every batch copy) or
            ``(n_trials, n_batch, n_units)``; the layer shape may replace ``n_units``.
            ``inputs`` go to input (or hidden) layers, ``targets`` to target or compare layers.
        learn : bool
            Learn after each trial's plus phase (DWt, WtFmDWt).
        update_act_avg : bool, optional
            Update AvgL and the layer activity averages at each trial start (Go's
            ``AlphaCycInit(updtActAvg)``); defaults to ``learn``.
        record : sequence of str
            Cycle variables to record (``CYCLE_VARS``) and "wt" for the weights after every
            trial.  Trial variables and layer statistics are always recorded.
        sse_tol : float
            Per-unit tolerance of the layer SSE (Go ``Layer.MSE(tol)``).
        callback : callable, optional
            ``callback(trial_index, net)`` after every trial (progress bars, logging).
        progress : bool
            Show a tqdm progress bar over trials (needs the optional ``tqdm``).
        backend : {"cython", "python"}, optional
            Default: "cython" for float64 networks, "python" for float32 ones.
            "python": the NumPy reference (float32 or float64).  "cython": the compiled
            kernel (float64 networks only): whole trials per call, no Python per cycle;
            same results as the reference to rounding (``docs/network_model.md``).
        n_threads : int
            Threads of the compiled kernel (over batch copies; same bits at any count).
        """
        self._need_built("run")
        if backend is None:
            backend = "cython" if self.dtype == np.dtype(np.float64) else "python"
        if backend not in ("python", "cython"):
            raise ValueError(f"backend must be 'python' or 'cython', got {backend!r}")
        if backend == "python":
            self._refuse_copy_tables("run(backend='python')")
        if (
            not isinstance(n_threads, (int, np.integer))
            or isinstance(n_threads, bool)
            or n_threads < 1
        ):
            raise ValueError(f"n_threads must be a positive int, got {n_threads!r}")
        if backend == "cython" and self.dtype != np.dtype(np.float64):
            raise ValueError(
                f"backend='cython' runs float64 networks only; this network's dtype is "
                f"{self.dtype} (use backend='python' for float32)"
            )
        inputs = dict(inputs or {})
        targets = dict(targets or {})
        for r in record:
            if r not in CYCLE_VARS and r != "wt":
                raise ValueError(
                    f"record: unknown variable {r!r}; choose from {(*CYCLE_VARS, 'wt')}"
                )
        pats: dict[str, np.ndarray] = {}
        n_trials = None
        for arg, d in (("inputs", inputs), ("targets", targets)):
            for name, arr in d.items():
                ly = self._layer_arg(name, arg)
                if arg == "inputs" and ly.kind in ("target", "compare"):
                    raise ValueError(
                        f"inputs: layer {name!r} is a {ly.kind} layer; pass it in targets"
                    )
                if arg == "targets" and ly.kind not in ("target", "compare"):
                    raise ValueError(
                        f"targets: layer {name!r} is a {ly.kind} layer, not target/compare"
                    )
                a = np.asarray(arr, dtype=self.dtype)
                if a.ndim < 2:
                    raise ValueError(
                        f"{arg}[{name!r}] must be (n_trials, n_units), got shape {a.shape}"
                    )
                a = self._pattern(a, ly, f"{arg}[{name!r}]", with_time=True)
                if n_trials is not None and a.shape[0] != n_trials:
                    raise ValueError(f"{arg}[{name!r}] has {a.shape[0]} trials, others {n_trials}")
                n_trials = a.shape[0]
                pats[name] = a
        if n_trials is None:
            raise ValueError("inputs: give at least one layer's patterns")
        if not isinstance(sse_tol, (int, float)) or sse_tol < 0:
            raise ValueError(f"sse_tol must be a number >= 0, got {sse_tol!r}")
        upd = learn if update_act_avg is None else bool(update_act_avg)
        ncyc = 4 * self.cyc_per_qtr
        cyc_rec = [r for r in record if r != "wt"]
        self._check_records(n_trials, cyc_rec, "wt" in record)
        res = NetworkResult(
            layer_info={ly.name: (ly.kind, ly.shape) for ly in self.layers},
            prjn_info={pj.name: (pj.send, pj.recv) for pj in self.prjns},
            cyc_per_qtr=self.cyc_per_qtr,
        )
        # The compiled kernel's one call for all trials hands its own arrays out as views
        # (_run_compiled); otherwise the trials are copied into these as they run.
        one_call = backend == "cython" and n_trials > 0 and not (
            callback is not None or progress or "wt" in record
        )
        for ly in [] if one_call else self.layers:
            res.cycles[ly.name] = {
                v: np.zeros((n_trials, ncyc, self.n_batch, ly.n_units), self.dtype) for v in cyc_rec
            }
            res.trials[ly.name] = {
                v: np.zeros((n_trials, self.n_batch, ly.n_units), self.dtype) for v in TRIAL_VARS
            }
            res.stats[ly.name] = {
                v: np.zeros((n_trials, self.n_batch), self.dtype) for v in LAYER_STATS
            }
        if "wt" in record:
            res.trial_weights = {
                pj.name: np.zeros((n_trials, self.n_batch, *pj.mask.shape), self.dtype)
                for pj in self.prjns
            }
        bar = None
        if progress:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                raise ImportError("progress=True needs tqdm (pip install tqdm)") from None
            bar = tqdm(total=n_trials, unit="trial")
        if backend == "cython":
            self._run_compiled(
                pats, n_trials, res, learn, upd, cyc_rec, float(sse_tol), record,
                callback, bar, int(n_threads),
            )  # fmt: skip
            if bar is not None:
                bar.close()
            return res
        for t in range(n_trials):
            self.init_ext()
            for name, a in pats.items():
                self.apply_ext(name, a[t])
            self.alpha_cyc_init(upd)
            for q in range(4):
                for cyc in range(self.cyc_per_qtr):
                    ref.cycle(self)
                    ci = q * self.cyc_per_qtr + cyc
                    for ly in self.layers:
                        st = self.state.layers[ly.name]
                        for v in cyc_rec:
                            res.cycles[ly.name][v][t, ci] = st[v]
                ref.quarter_final(self, q)
            for ly in self.layers:
                st = self.state.layers[ly.name]
                for v in TRIAL_VARS:
                    res.trials[ly.name][v][t] = st[v]
                s = res.stats[ly.name]
                s["act_m_avg"][t] = st["pool_act_m_avg"][:, 0]
                s["act_p_avg"][t] = st["pool_act_p_avg"][:, 0]
                s["cos_diff"][t] = st["cos"]
                d = (
                    (st["targ"] - st["act_m"])
                    if ly.kind == "compare"
                    else (st["act_p"] - st["act_m"])
                )
                s["sse"][t] = ref._ssum(np.where(np.abs(d) < sse_tol, 0, d * d), 1)
            if learn:
                ref.dwt(self)
                ref.wt_from_dwt(self)
            if "wt" in record:
                for pj in self.prjns:
                    res.trial_weights[pj.name][t] = self.state.prjns[pj.name]["wt"]
            self.state.scalars["trials"] += 1
            if callback is not None:
                callback(t, self)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        res.weights = {
            pj.name: self.state.prjns[pj.name]["wt"].copy(order="K") for pj in self.prjns
        }
        return res

    def _run_compiled(
        self,
        pats: dict[str, np.ndarray],
        n_trials: int,
        res: NetworkResult,
        learn: bool,
        upd: bool,
        cyc_rec: list[str],
        sse_tol: float,
        record: Sequence[str],
        callback: Callable[[int, Network], Any] | None,
        bar: Any,
        n_threads: int,
    ) -> None:
        """``run`` on the compiled kernel: all trials in one call, or one trial per call
        when something happens between trials (callback, progress bar, weights recorded)."""
        per_trial = callback is not None or bar is not None or "wt" in record
        step = 1 if per_trial else max(n_trials, 1)
        ps = self._packed
        if step < n_trials or n_trials == 0:
            self.last_n_sent = np.zeros(self.n_batch, np.int64)
            self.last_solo_trial = np.full(self.n_batch, -1, np.int64)
        for t0 in range(0, n_trials, step):
            t1 = min(t0 + step, n_trials)
            out = compiled_backend.run_trials(
                self, pats, t0, t1, learn=learn, update_act_avg=upd, cyc_rec=cyc_rec,
                sse_tol=sse_tol, n_threads=n_threads, weights_out=t1 == n_trials,
            )  # fmt: skip
            if step == n_trials:  # all trials in this call: the kernel's arrays, as views
                self.last_n_sent, self.last_solo_trial = out["n_sent"], out["solo_at"]
                res.cycles, res.trials, res.stats = self._record_views(out, cyc_rec)
            else:  # copied into run's arrays, and the counters added up
                self.last_n_sent += out["n_sent"]
                went = (self.last_solo_trial < 0) & (out["solo_at"] >= 0)
                self.last_solo_trial[went] = t0 + out["solo_at"][went]
                for li, ly in enumerate(self.layers):
                    o, n = ps.unit_off[li], ly.n_units
                    got = ((res.cycles, cyc_rec, out["cycles"][..., o : o + n]),
                           (res.trials, TRIAL_VARS, out["trials"][..., o : o + n]),
                           (res.stats, LAYER_STATS, out["stats"][..., li]))  # fmt: skip
                    for part, names, rows in got:
                        for v, a in zip(names, rows, strict=True):
                            part[ly.name][v][t0:t1] = a
            self.state.scalars["trials"] += t1 - t0
            if "wt" in record:
                for pj in self.prjns:
                    res.trial_weights[pj.name][t0] = self.state.prjns[pj.name]["wt"]
            if callback is not None:
                callback(t0, self)
            if bar is not None:
                bar.update(t1 - t0)
        # the kernel copied the final weights (sender-major, as the state's memory: each
        # projection's array is the transpose of its rows, like the state's view)
        if n_trials == 0:
            res.weights = {pj.name: self.state.prjns[pj.name]["wt"].copy() for pj in self.prjns}
            return
        wt = out["wt"]
        index = {pj.name: (ps.syn_off[pi], pj.mask.shape) for pi, pj in enumerate(self.prjns)}
        nb = self.n_batch

        def weights(name: str) -> np.ndarray:
            off, (nr, ns) = index[name]
            return wt[off : off + nb * ns * nr].reshape(nb, ns, nr).transpose(0, 2, 1)

        res.weights = LazyViews(index, weights)

    def _record_views(
        self, out: dict[str, Any], cyc_rec: list[str]
    ) -> tuple[LazyViews[dict[str, np.ndarray]], ...]:
        """The cycle records, trial variables and layer statistics of one kernel call
        (``compiled_backend.run_trials``'s arrays), per layer: views made on first use,
        one slice per layer whose rows are the variables."""
        ps, names = self._packed, [ly.name for ly in self.layers]
        span = {ly.name: (li, ps.unit_off[li], ly.n_units) for li, ly in enumerate(self.layers)}

        def units(arr: np.ndarray, var_names: Sequence[str]) -> LazyViews[dict[str, np.ndarray]]:
            def make(name: str) -> dict[str, np.ndarray]:
                _, o, n = span[name]
                return dict(zip(var_names, arr[..., o : o + n], strict=True))

            return LazyViews(names, make)

        def stats(name: str) -> dict[str, np.ndarray]:
            return dict(zip(LAYER_STATS, out["stats"][..., span[name][0]], strict=True))

        return (units(out["cycles"], cyc_rec), units(out["trials"], TRIAL_VARS),
                LazyViews(names, stats))  # fmt: skip
