"""The compat Network: packs its layers and connections and runs them in one call."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _engine as E
from . import _objects as O
from ._specs import _VERSION, CompatArgumentError, NetworkSpec

_PHASES = ("minus", "plus")


def _reference_run(p: E.Packed, n: int, qs: int, rows: np.ndarray, logs: np.ndarray,
                   gci: np.ndarray) -> None:
    E.run(p, n, qs, rows, logs, gci)


def _compiled_run() -> Callable[..., None] | None:
    try:
        from leabra_fast.network import compiled
    except ImportError:  # pragma: no cover - source tree without the built kernel
        return None
    mod = compiled.current()
    fn = getattr(mod, "lpn_run", None)
    if fn is None:
        return None

    def run(p: E.Packed, n: int, qs: int, rows: np.ndarray, logs: np.ndarray,
            gci: np.ndarray) -> None:
        status = fn(p.U, p.UP, p.LS, p.LP, p.lay_off, p.CI, p.CP, p.WT, p.FWT, p.TX, p.TY,
                    p.TLEN, p.CT, p.in_vals, p.in_mask, p.out_vals, p.out_mask, n, qs, rows,
                    logs, gci)
        if status != 0:  # pragma: no cover - sizes are built to match
            raise RuntimeError(f"leabra_fast compat kernel: bad arguments (status {status})")

    return run


#: "cython" (the compiled kernel) or "python" (the NumPy reference); see :func:`set_backend`
_BACKEND = ["cython"]


def set_backend(name: str) -> str:
    """Run compat networks with ``name`` ("cython" or "python"); return the previous one."""
    if name not in ("cython", "python"):
        raise CompatArgumentError(f"backend must be 'cython' or 'python', got {name!r}")
    prev = _BACKEND[0]
    _BACKEND[0] = name
    return prev


def _learns_before_last(ct: np.ndarray, qs: int, n: int) -> bool:
    """Whether a run of ``n`` cycles from counters ``ct`` ends a plus phase (and learns)
    before its last cycle; True too for counters outside the usual ranges."""
    cc, qn = int(ct[E.CT_CC]), int(ct[E.CT_QN])
    if cc < 0 or cc > qs or qn < 1 or qn > 4:
        return True
    if cc == qs:
        qn, cc = (qn + 1 if qn < 4 else 1), 0
    return (4 - qn) * qs + (qs - cc) < n  # cycles up to and including the first learning


class _Replay:
    """The inputs of one run: its unit logs are recomputed, bit for bit, when first read.

    Storing the logs of every cycle costs more than running the cycles (fresh memory for
    six values per unit and cycle); a copy of the state the run started from is a tenth
    of that, and the run is deterministic.  Most runs learn, if at all, only after their
    last cycle's logs (trial(), quarter() and cycle() end there): then the fast weights,
    which only learning reads, are not copied (half the copy, the costlier half).
    """

    _STATE = ("U", "LS", "WT", "CI", "CP", "CT", "in_vals", "in_mask", "out_vals",
              "out_mask")
    _SHARED = ("UP", "LP", "lay_off", "TX", "TY", "TLEN")  # replaced, never changed in place

    def __init__(self, p: E.Packed, n: int, qs: int, run: Callable[..., None]) -> None:
        q = E.Packed()
        for k in self._STATE:
            setattr(q, k, getattr(p, k).copy())
        for k in self._SHARED:
            setattr(q, k, getattr(p, k))
        # None: learning reads them only after the last logs; any values then do
        q.FWT = p.FWT.copy() if _learns_before_last(p.CT, qs, n) else None  # type: ignore[assignment]
        self._p: E.Packed | None = q
        self._n, self._qs, self._run = n, qs, run
        self._logs: np.ndarray | None = None

    def logs(self) -> np.ndarray:
        """(cycle, log variable, unit) of the run, computed on first use."""
        if self._logs is None:
            q = self._p
            assert q is not None
            if q.FWT is None:
                q.FWT = np.full(q.WT.shape[0], 0.5)
            logs = np.empty((self._n, len(O.LOG_NAMES), q.U.shape[1]))
            self._run(q, self._n, self._qs, O._LOG_ROWS, logs,
                      np.empty((self._n, q.LS.shape[1])))
            self._logs, self._p = logs, None
        return self._logs


class Network:
    """A network of layers and connections (``Network(spec, layers, connections)``)."""

    def __init__(self, spec: NetworkSpec | None = None, layers: Any = (),
                 connections: Any = ()) -> None:
        if spec is not None and not isinstance(spec, NetworkSpec):
            raise CompatArgumentError(f"spec must be a NetworkSpec, got {type(spec).__name__}")
        self.spec = spec if spec is not None else NetworkSpec()
        self._CT = np.array([0, 1, 0, 0, 0], dtype=np.int64)
        self.layers = list(layers)
        self.connections = list(connections)
        for ly in self.layers:
            if not isinstance(ly, O.Layer):
                raise CompatArgumentError(
                    f"layers: expected Layer objects, got {type(ly).__name__}")
        for c in self.connections:
            if not isinstance(c, O.Connection):
                raise CompatArgumentError(
                    f"connections: expected Connection objects, got {type(c).__name__}")
        self._inputs: dict[str, Any] = {}
        self._outputs: dict[str, Any] = {}
        self._packed: E.Packed | None = None
        self._pack_key: tuple[Any, ...] = ()
        self._param_version = -1
        #: leabra_fast extension: False stops recording the per-cycle unit logs (the
        #: package always records them; storing them is a good part of a small trial's time)
        self.record_logs = True
        self.build()

    # counters --------------------------------------------------------------------------------
    def _ctr(i: int) -> property:  # type: ignore[misc]
        def fget(self: Network) -> int:
            return int(self._CT[i])

        def fset(self: Network, v: int) -> None:
            self._CT[i] = v

        return property(fget, fset)

    cycle_count = _ctr(E.CT_CC)
    quarter_nb = _ctr(E.CT_QN)
    trial_count = _ctr(E.CT_TC)
    cycle_tot = _ctr(E.CT_CTOT)
    del _ctr

    @property
    def phase(self) -> str:
        return _PHASES[int(self._CT[E.CT_PHASE])]

    @phase.setter
    def phase(self, v: str) -> None:
        if v not in _PHASES:
            raise CompatArgumentError(f"phase must be 'minus' or 'plus', got {v!r}")
        self._CT[E.CT_PHASE] = _PHASES.index(v)

    # structure -------------------------------------------------------------------------------
    def add_connection(self, connection: O.Connection) -> None:
        if not isinstance(connection, O.Connection):
            raise CompatArgumentError(
                f"connection must be a Connection, got {type(connection).__name__}")
        self.connections.append(connection)
        self.build()

    def add_layer(self, layer: O.Layer) -> None:
        if not isinstance(layer, O.Layer):
            raise CompatArgumentError(f"layer must be a Layer, got {type(layer).__name__}")
        self.layers.append(layer)

    def build(self) -> None:
        """Relative net-input scaling of every layer's incoming connections (run it after
        changing a connection's ``wt_scale_rel``; add_connection runs it)."""
        for layer in self.layers:
            rel_sum = sum(c.spec.wt_scale_rel for c in layer.to_connections)
            for c in layer.to_connections:
                c.wt_scale_rel_eff = c.spec.wt_scale_rel / rel_sum

    def _get_layer(self, name: str) -> O.Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"layer '{name}' not found.")

    def set_inputs(self, act_map: dict[str, Any]) -> None:
        """Activities clamped on the named layers from the start of every trial."""
        if not isinstance(act_map, dict):
            raise CompatArgumentError(
                f"set_inputs: act_map must be a dict, got {type(act_map).__name__}")
        self._inputs = act_map

    def set_outputs(self, act_map: dict[str, Any]) -> None:
        """Activities clamped on the named layers in the plus phase (and used by the sse)."""
        if not isinstance(act_map, dict):
            raise CompatArgumentError(
                f"set_outputs: act_map must be a dict, got {type(act_map).__name__}")
        self._outputs = act_map

    # packing ----------------------------------------------------------------------------------
    def _pack(self) -> E.Packed:
        layers, conns = self.layers, self.connections
        index = {id(ly): i for i, ly in enumerate(layers)}
        for c in conns:
            for arg, ly in (("pre", c.pre), ("post", c.post)):
                if id(ly) not in index:
                    raise CompatArgumentError(
                        f"connections: the {arg} layer {ly.name!r} of a connection is not in "
                        "the network's layers")
        p = E.Packed()
        sizes = [ly._n for ly in layers]
        p.lay_off = np.zeros(len(layers) + 1, dtype=np.intp)
        p.lay_off[1:] = np.cumsum(sizes)
        N = int(p.lay_off[-1])
        p.U = np.zeros((E.U_N, N))
        p.LS = np.zeros((E.L_N, len(layers)))
        for i, ly in enumerate(layers):
            sl = slice(int(p.lay_off[i]), int(p.lay_off[i + 1]))
            p.U[:, sl] = ly._U
            ly._U = p.U[:, sl]
            p.LS[:, i] = ly._L
            ly._L = p.LS[:, i]
        n_w = sum(len(c._wt) for c in conns)
        p.WT, p.FWT = np.zeros(n_w), np.zeros(n_w)
        p.CI = np.zeros((len(conns), E.C_N), dtype=np.intp)
        off = 0
        for ci, c in enumerate(conns):
            n = len(c._wt)
            p.WT[off:off + n] = c._wt
            p.FWT[off:off + n] = c._fwt
            c._wt, c._fwt = p.WT[off:off + n], p.FWT[off:off + n]
            p.CI[ci] = (index[id(c.pre)], index[id(c.post)], c._proj, 0, off, 0)
            c._net = self
            c._ci = p.CI[ci]
            off += n
        p.CP = np.zeros((len(conns), E.CP_N))
        p.CT = self._CT
        p.in_vals, p.out_vals = np.zeros(N), np.zeros(N)
        p.in_mask = np.zeros(len(layers), dtype=np.uint8)
        p.out_mask = np.zeros(len(layers), dtype=np.uint8)
        return p

    def _params(self, p: E.Packed) -> None:
        layers = self.layers
        p.UP = np.concatenate([ly._unit_params() for ly in layers], axis=1)
        keys: dict[tuple[float, float], int] = {}
        tab = []
        for i, ly in enumerate(layers):
            for j, k in enumerate(ly._table_keys()):
                if k not in keys:
                    keys[k] = len(keys)
                    tab.append(E.nxx1_table(*k))
                p.UP[E.P_TABLE, int(p.lay_off[i]) + j] = keys[k]
        L = max(len(x) for x, _ in tab)
        p.TX = np.zeros((len(tab), L))
        p.TY = np.zeros((len(tab), L))
        p.TLEN = np.array([len(x) for x, _ in tab], dtype=np.intp)
        for t, (x, y) in enumerate(tab):
            p.TX[t, :len(x)] = x
            p.TY[t, :len(y)] = y
        p.LP = np.array([ly.spec.params() for ly in layers]).T.copy() if layers else np.zeros(
            (E.LP_N, 0))
        for ci, c in enumerate(self.connections):
            s = c.spec
            p.CI[ci, E.C_LEARN] = 0 if s.lrule is None else 1
            p.CP[ci, E.CP_LRATE:] = [s._num(n) for n in ("lrate", "m_lrn", "d_thr", "d_rev",
                                                         "sig_off", "sig_gain")]

    def _sync(self) -> E.Packed:
        """The packed state, re-packed after structure changes and re-parameterised after
        spec changes; per-call values (scaling, clamps) refreshed."""
        key = (tuple(map(id, self.layers)), tuple(map(id, self.connections)),
               tuple(id(ly._U.base) if ly._U.base is not None else id(ly._U) for ly in self.layers))
        p = self._packed
        if p is None or key != self._pack_key or not self._owns(p):
            p = self._pack()
            self._packed = p
            self._pack_key = (key[0], key[1], tuple(
                id(ly._U.base) if ly._U.base is not None else id(ly._U) for ly in self.layers))
            self._param_version = -1
        if self._param_version != _VERSION[0]:
            self._params(p)
            self._param_version = _VERSION[0]
        rows = []
        for c in self.connections:
            if c.wt_scale_rel_eff is None:
                raise TypeError("wt_scale_rel_eff is None: did you correctly run the "
                                "network.build() method?")
            rows.append((c.spec._num("wt_scale_abs"), c.wt_scale_act, O._wt_scale_act(c),
                         c.wt_scale_rel_eff))
        if rows:  # one assignment (the four columns are adjacent): cheaper than 4 per row
            p.CP[:, E.CP_ABS:E.CP_REL_EFF + 1] = rows
        return p

    def _owns(self, p: E.Packed) -> bool:
        return all(ly._U.base is p.U for ly in self.layers) and all(
            c._wt.base is p.WT for c in self.connections)

    def _clamps(self, p: E.Packed, act_map: dict[str, Any], vals: np.ndarray,
                mask: np.ndarray, arg: str) -> None:
        mask[:] = 0
        for name, acts in act_map.items():
            ly = self._get_layer(name)
            i = self.layers.index(ly)
            vals[int(p.lay_off[i]):int(p.lay_off[i + 1])] = O._layer_values(ly, acts, arg)
            mask[i] = 1

    # running ----------------------------------------------------------------------------------
    def _quarter_size(self) -> int:
        qs = self.spec.quarter_size
        if isinstance(qs, bool) or not isinstance(qs, (int, np.integer)) or qs < 1:
            raise CompatArgumentError(f"spec.quarter_size must be a positive integer, got {qs!r}")
        return int(qs)

    def _run(self, n: int) -> None:
        if n <= 0:
            return
        qs = self._quarter_size()
        p = self._sync()
        self._clamps(p, self._inputs, p.in_vals, p.in_mask, "set_inputs")
        self._clamps(p, self._outputs, p.out_vals, p.out_mask, "set_outputs")
        nL = len(self.layers)
        gci = np.empty((n, nL))
        run = (_compiled_run() if _BACKEND[0] == "cython" else None) or _reference_run
        replay = _Replay(p, n, qs, run) if self.record_logs else None
        run(p, n, qs, O._LOG_ROWS[:0], np.empty((n, 0, p.U.shape[1])), gci)
        for ci, c in enumerate(self.connections):
            c.wt_scale_act = float(p.CP[ci, E.CP_ACT_CUR])
        if replay is not None:
            for i, ly in enumerate(self.layers):
                ly._log_chunks.append((replay, gci[:, i], int(p.lay_off[i]),
                                       int(p.lay_off[i + 1])))

    def _quarter_cycles(self, cc: int, qn: int, qs: int) -> tuple[int, int, int]:
        """Cycles of one quarter() from counters (cc, qn); the counters after it."""
        if cc == qs:
            qn = qn + 1 if qn < 4 else 1
            cc = 0
        n = 1
        cc += 1
        if cc < qs:
            n += qs - cc
            cc = qs
        return n, cc, qn

    def cycle(self) -> None:
        """Run one cycle."""
        self._run(1)

    def quarter(self) -> None:
        """Run to the end of the current quarter (a whole quarter at a quarter's end)."""
        n, _, _ = self._quarter_cycles(self.cycle_count, self.quarter_nb, self._quarter_size())
        self._run(n)

    def trial(self) -> float:
        """Run to the end of the plus phase in one call; return the sse of the outputs."""
        qs = self._quarter_size()
        n, cc, qn = self._quarter_cycles(self.cycle_count, self.quarter_nb, qs)
        total = n
        while qn != 4:
            if cc != qs:  # the package's assertion (quarter_size lowered mid-quarter)
                raise CompatArgumentError(
                    f"trial: cycle_count {cc} passed spec.quarter_size {qs}; the quarter "
                    "cannot end")
            n, cc, qn = self._quarter_cycles(cc, qn, qs)
            total += n
        self._run(total)
        return self.compute_sse()

    def compute_sse(self) -> float:
        """Sum of squared differences of the outputs and the minus-phase activities."""
        sse = 0.0
        for name, activities in self._outputs.items():
            ly = self._get_layer(name)
            for a, m in zip(activities, ly._U[E.U_ACT_M].tolist(), strict=False):
                sse += (a - m) ** 2
        return sse

    def end_minus_phase(self) -> None:
        for ly in self.layers:
            ly._U[E.U_ACT_M] = ly._U[E.U_ACT]
        self.phase = "plus"

    def end_plus_phase(self) -> None:
        p = self._sync()
        E._learn(p)
        E._update_avg_l(p)
        self.phase = "minus"

    def __deepcopy__(self, memo: dict[int, Any]) -> Network:
        new = Network.__new__(Network)
        memo[id(self)] = new
        # the logs of past runs never change: the copy shares them (a cheap copy)
        for ly in self.layers:
            for blk, g, _, _ in ly._log_chunks:
                memo[id(blk)] = blk
                memo[id(g)] = g
        for k, v in self.__dict__.items():
            if k == "_packed":
                new._packed = None  # re-packed from the copied layers on the next run
            else:
                setattr(new, k, copy.deepcopy(v, memo))
        return new
