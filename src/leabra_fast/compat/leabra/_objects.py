"""Units, layers, connections and networks of the compat API: views onto packed arrays.

A layer keeps its units' state in one array (``_engine.U_*`` rows by unit); a network packs
its layers' and connections' arrays into one set (:class:`_engine.Packed`) and rebinds
them as views, so a trial is one call of the compiled kernel and ``layer.units[j].act``
reads the state in place.  Unit objects are made lazily, on first access.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _engine as E
from ._specs import (
    _VERSION,
    HIDDEN,
    INPUT,
    OUTPUT,
    CompatArgumentError,
    ConnectionSpec,
    LayerSpec,
    UnitSpec,
)

#: what each unit logs (the package's default ``log_names``)
LOG_NAMES = ("net", "I_net", "v_m", "act", "v_m_eq", "adapt")
_LOG_ROWS = np.array([E.LOG_NET, E.U_I_NET, E.U_V_M, E.U_ACT, E.U_V_M_EQ, E.U_ADAPT],
                     dtype=np.intp)
_GENRES = (INPUT, HIDDEN, OUTPUT)


def _new_state(n: int, specs: list[UnitSpec]) -> np.ndarray:
    U = np.zeros((E.U_N, n))
    for j, s in enumerate(specs):
        U[E.U_V_M, j] = U[E.U_V_M_EQ, j] = s._num("v_m_init")
        U[E.U_AVG_SS, j] = U[E.U_AVG_S, j] = U[E.U_AVG_M, j] = s._num("avg_init")
        U[E.U_AVG_L, j] = s._num("avg_l_init")
    return U


class Unit:
    """A unit: a view onto one column of its layer's state.

    Standalone units (``Unit(spec, genre)``) get a one-unit layer of their own.
    """

    if TYPE_CHECKING:  # the state properties are added below the class
        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, spec: UnitSpec | None = None, genre: int = HIDDEN,
                 log_names: tuple[str, ...] = LOG_NAMES, *, _layer: Layer | None = None,
                 _index: int = 0) -> None:
        if genre not in _GENRES:
            raise CompatArgumentError(f"genre must be INPUT, HIDDEN or OUTPUT, got {genre!r}")
        if _layer is None:
            _layer = Layer(1, unit_spec=spec, genre=genre)
            _layer._unit_objs = [self]
        self._layer = _layer
        self._i = _index
        self._log_names = tuple(log_names)
        self._own_logs: dict[str, list[Any]] | None = None
        if self._log_names != LOG_NAMES:
            bad = [n for n in self._log_names if not hasattr(type(self), n)]
            if bad:
                raise CompatArgumentError(f"log_names: unknown unit variables {bad}")
            self._own_logs = {n: [] for n in self._log_names}

    # state views -------------------------------------------------------------------------
    def _get(self, row: int) -> float:
        return float(self._layer._U[row, self._i])

    def _set(self, row: int, value: float) -> None:
        self._layer._U[row, self._i] = value

    @property
    def genre(self) -> int:
        return self._layer.genre

    @property
    def spec(self) -> UnitSpec:
        return self._layer._unit_spec(self._i)

    @spec.setter
    def spec(self, value: UnitSpec) -> None:
        self._layer._set_unit_spec(self._i, value)

    @property
    def log_names(self) -> tuple[str, ...]:
        return self._log_names

    @property
    def logs(self) -> dict[str, list[Any]]:
        """Per-cycle records of ``log_names`` (lists, as the package keeps them)."""
        if self._own_logs is not None:
            return self._own_logs
        return self._layer._unit_logs(self._i)

    def update_logs(self) -> None:
        """Record the current state (the layer's cycles do this for every unit)."""
        if self._own_logs is not None:
            for n in self._log_names:
                self._own_logs[n].append(getattr(self, n))
        else:
            self._layer._log_now()

    @property
    def act_eq(self) -> float:
        return self.act

    @property
    def net(self) -> float:
        """Excitatory conductance ``g_bar_e * g_e``."""
        return self.spec.g_bar_e * self.g_e

    @property
    def avg_l_lrn(self) -> float:
        return self.spec.avg_l_lrn(self)

    @property
    def act_ext(self) -> float | None:
        return self._get(E.U_ACT_EXT) if self._get(E.U_FORCED) else None

    @act_ext.setter
    def act_ext(self, value: float | None) -> None:
        self._set(E.U_FORCED, 0.0 if value is None else 1.0)
        self._set(E.U_ACT_EXT, 0.0 if value is None else float(value))

    @property
    def spike(self) -> int:
        return int(self._get(E.U_SPIKE))

    # the package's unit methods ----------------------------------------------------------
    def reset(self) -> None:
        """Reset the unit state (as at the start of every trial)."""
        for r in (E.U_G_E, E.U_I_NET, E.U_I_NET_R, E.U_ACT, E.U_ACT_ND, E.U_ACT_M, E.U_ADAPT,
                  E.U_ACT_EXT, E.U_FORCED, E.U_NET_RAW):
            self._set(r, 0.0)
        self._set(E.U_V_M, self.spec._num("v_m_init"))
        self._set(E.U_V_M_EQ, self._get(E.U_V_M))
        self._layer._pending[self._i] = []

    def force_activity(self, act_ext: float) -> None:
        """Clamp the unit's activity to ``act_ext`` (not clipped) until the next reset."""
        if self._layer._pending[self._i]:
            raise CompatArgumentError("force_activity: the unit has pending excitatory inputs")
        v = float(act_ext)
        if not math.isfinite(v):
            raise CompatArgumentError(f"act_ext must be finite, got {act_ext!r}")
        p = self._layer._one_packed(self._i)
        E.force(p, slice(0, 1), np.array([v]))

    def add_excitatory(self, inp_act: float) -> None:
        """Add an input for the next cycle."""
        self._layer._pending[self._i].append(inp_act)

    def calculate_net_in(self) -> None:
        """Integrate g_e from the inputs added since the last call (not for clamped units)."""
        if self._get(E.U_FORCED):
            return
        pend = self._layer._pending[self._i]
        net_raw = 0.0
        if pend:
            net_raw = sum(pend)
            self._layer._pending[self._i] = []
        g_e = self._get(E.U_G_E)
        self._set(E.U_G_E, g_e + self.spec.dt_net * (net_raw - g_e))

    def cycle(self, phase: str = "minus", g_i: float = 0.0, dt_integ: float = 1) -> None:
        """One cycle of the unit with inhibition ``g_i`` (call calculate_net_in first)."""
        if dt_integ != 1:
            raise CompatArgumentError(f"dt_integ: only 1 is supported, got {dt_integ!r}")
        p = self._layer._one_packed(self._i)
        E._unit_cycle(p, slice(0, 1), float(g_i))
        self.update_logs()

    def update_avg_l(self) -> None:
        """The trial-level update of avg_l."""
        p = self._layer._one_packed(self._i)
        E._update_avg_l(p)

    def show_config(self) -> None:
        print("Parameters:")
        for name in ["dt_v_m", "dt_net", "g_l", "g_bar_e", "g_bar_l", "g_bar_i",
                     "e_rev_e", "e_rev_l", "e_rev_i", "act_thr", "act_gain"]:
            print(f"   {name}: {getattr(self.spec, name):.2f}")
        print("State:")
        for name in ["g_e", "I_net", "v_m", "act", "v_m_eq"]:
            print(f"   {name}: {getattr(self, name):.2f}")


def _unit_prop(row: int) -> property:
    def fget(self: Unit) -> float:
        return float(self._layer._U[row, self._i])

    def fset(self: Unit, value: float) -> None:
        self._layer._U[row, self._i] = value

    return property(fget, fset)


for _name, _row in (("g_e", E.U_G_E), ("I_net", E.U_I_NET), ("I_net_r", E.U_I_NET_R),
                    ("v_m", E.U_V_M), ("v_m_eq", E.U_V_M_EQ), ("act", E.U_ACT),
                    ("act_nd", E.U_ACT_ND), ("act_m", E.U_ACT_M), ("adapt", E.U_ADAPT),
                    ("avg_ss", E.U_AVG_SS), ("avg_s", E.U_AVG_S), ("avg_m", E.U_AVG_M),
                    ("avg_l", E.U_AVG_L), ("avg_s_eff", E.U_AVG_S_EFF)):
    setattr(Unit, _name, _unit_prop(_row))


class Layer:
    """A layer of ``size`` units (``Layer(size, spec, unit_spec, genre, name)``)."""

    if TYPE_CHECKING:  # gc_i, ffi, fbi, avg_act are added below the class
        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, size: int, spec: LayerSpec | None = None,
                 unit_spec: UnitSpec | None = None, genre: int = HIDDEN,
                 name: str | None = None) -> None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise CompatArgumentError(f"size must be a positive integer, got {size!r}")
        if genre not in _GENRES:
            raise CompatArgumentError(f"genre must be INPUT, HIDDEN or OUTPUT, got {genre!r}")
        if spec is not None and not isinstance(spec, LayerSpec):
            raise CompatArgumentError(f"spec must be a LayerSpec, got {type(spec).__name__}")
        if unit_spec is not None and not isinstance(unit_spec, UnitSpec):
            raise CompatArgumentError(
                f"unit_spec must be a UnitSpec, got {type(unit_spec).__name__}")
        self.genre = genre
        self.name = name
        self.spec = spec if spec is not None else LayerSpec()
        n = int(size)
        self._n = n
        # one shared spec, or (unit_spec=None, as the package) one default spec per unit,
        # made when first asked for
        self._shared_spec = unit_spec
        self._specs: list[UnitSpec | None] = [None] * n
        self._U = _new_state(n, [unit_spec or _DEFAULT_SPEC] * n)
        self._L = np.zeros(E.L_N)
        self._pending: list[list[float]] = [[] for _ in range(n)]
        self._unit_objs: list[Unit] | None = None
        # per run: (unit logs (cycle, variable, unit) or the run's _Replay, gc_i, first and
        # last unit of this layer in it)
        self._log_chunks: list[tuple[Any, np.ndarray, int, int]] = []
        self.avg_act_p_eff = self.spec.avg_act_targ_init
        self.from_connections: list[Connection] = []
        self.to_connections: list[Connection] = []

    # specs ---------------------------------------------------------------------------------
    def _unit_spec(self, j: int) -> UnitSpec:
        s = self._specs[j]
        if s is None:
            s = self._shared_spec if self._shared_spec is not None else UnitSpec()
            self._specs[j] = s
        return s

    def _set_unit_spec(self, j: int, spec: UnitSpec) -> None:
        if not isinstance(spec, UnitSpec):
            raise CompatArgumentError(f"spec must be a UnitSpec, got {type(spec).__name__}")
        self._specs[j] = spec
        _VERSION[0] += 1

    def _unit_params(self) -> np.ndarray:
        """Parameter rows (``_engine.P_*``) of the units, table index column left 0."""
        UP = np.empty((E.P_N, self._n))
        if self._shared_spec is not None and all(s is None or s is self._shared_spec
                                                for s in self._specs):
            UP[:E.P_HIDDEN] = np.array(self._shared_spec.params())[:, None]
        else:
            default = None
            for j, s in enumerate(self._specs):
                if s is None:
                    if default is None:
                        default = np.array(_DEFAULT_SPEC.params())
                    UP[:E.P_HIDDEN, j] = default
                else:
                    UP[:E.P_HIDDEN, j] = s.params()
        UP[E.P_HIDDEN] = 1.0 if self.genre == HIDDEN else 0.0
        UP[E.P_TABLE] = 0.0
        return UP

    def _table_keys(self) -> list[tuple[float, float]]:
        return [(self._unit_spec_or_default(j)._num("act_sd"),
                 self._unit_spec_or_default(j)._num("act_gain")) for j in range(self._n)]

    def _unit_spec_or_default(self, j: int) -> UnitSpec:
        s = self._specs[j]
        if s is None:
            return self._shared_spec if self._shared_spec is not None else _DEFAULT_SPEC
        return s

    def _one_packed(self, j: int) -> E.Packed:
        """A packed view of unit ``j`` alone (for the per-unit methods)."""
        p = E.Packed()
        p.U = self._U[:, j:j + 1]
        spec = self._unit_spec_or_default(j)
        p.UP = np.empty((E.P_N, 1))
        p.UP[:E.P_HIDDEN, 0] = spec.params()
        p.UP[E.P_HIDDEN, 0] = 1.0 if self.genre == HIDDEN else 0.0
        p.UP[E.P_TABLE, 0] = 0.0
        tx, ty = E.nxx1_table(spec._num("act_sd"), spec._num("act_gain"))
        p.TX, p.TY, p.TLEN = tx[None], ty[None], np.array([len(tx)])
        return p

    # units -----------------------------------------------------------------------------------
    @property
    def units(self) -> list[Unit]:
        if self._unit_objs is None:
            self._unit_objs = [Unit(genre=self.genre, _layer=self, _index=j)
                               for j in range(self._n)]
        return self._unit_objs

    @property
    def size(self) -> int:
        return self._n

    def _unit_logs(self, j: int) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for k, name in enumerate(LOG_NAMES):
            vals: list[Any] = []
            for block, _, a, _ in self._log_chunks:
                arr = block if isinstance(block, np.ndarray) else block.logs()
                vals.extend(arr[:, k, a + j].tolist())
            out[name] = vals
        return out

    def _log_now(self) -> None:
        block = np.empty((1, len(LOG_NAMES), self._n))
        for k, r in enumerate(_LOG_ROWS):
            if r == E.LOG_NET:
                block[0, k] = [self._unit_spec_or_default(j).g_bar_e for j in range(self._n)]
                block[0, k] *= self._U[E.U_G_E]
            else:
                block[0, k] = self._U[r]
        self._log_chunks.append((block, np.array([self.gc_i]), 0, self._n))

    @property
    def logs(self) -> dict[str, list[float]]:
        """Per-cycle records of the layer's inhibition, ``{'gc_i': [...]}``."""
        vals: list[float] = []
        for _, g, _, _ in self._log_chunks:
            vals.extend(g.tolist())
        return {"gc_i": vals}

    # layer state -----------------------------------------------------------------------------
    @property
    def activities(self) -> list[float]:
        return self._U[E.U_ACT].tolist()

    @property
    def g_e(self) -> list[float]:
        return self._U[E.U_G_E].tolist()

    def force_activity(self, activities: Any) -> None:
        """Clamp the units' activities to ``activities`` (one value per unit, not clipped)."""
        vals = _layer_values(self, activities, "activities")
        if any(self._pending):
            raise CompatArgumentError("force_activity: units have pending excitatory inputs")
        p = E.Packed()
        p.U, p.UP = self._U, self._unit_params()
        E.force(p, slice(0, self._n), vals)

    def add_excitatory(self, inputs: Any) -> None:
        if len(inputs) != self._n:
            raise CompatArgumentError(f"inputs: expected {self._n} values, got {len(inputs)}")
        for j, v in enumerate(inputs):
            self._pending[j].append(v)

    def trial_init(self) -> None:
        """Reset the units and decay the inhibition (start of a trial)."""
        for u in self.units:
            u.reset()
        self._L[E.L_FFI] -= self.spec.trial_decay * self._L[E.L_FFI]
        self._L[E.L_FBI] -= self.spec.trial_decay * self._L[E.L_FBI]

    def show_config(self) -> None:
        print("Parameters:")
        for name in ["fb_dt", "ff0", "ff", "fb", "g_i"]:
            print(f"   {name}: {getattr(self.spec, name):.2f}")
        print("State:")
        for name in ["gc_i", "fbi", "ffi"]:
            print(f"   {name}: {getattr(self, name):.2f}")


def _layer_prop(row: int) -> property:
    def fget(self: Layer) -> float:
        return float(self._L[row])

    def fset(self: Layer, value: float) -> None:
        self._L[row] = value

    return property(fget, fset)


for _name, _row in (("gc_i", E.L_GC_I), ("ffi", E.L_FFI), ("fbi", E.L_FBI),
                    ("avg_act", E.L_AVG_ACT)):
    setattr(Layer, _name, _layer_prop(_row))

_DEFAULT_SPEC = UnitSpec()


def _layer_values(layer: Layer, values: Any, arg: str) -> np.ndarray:
    try:
        vals = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise CompatArgumentError(f"{arg}: expected numbers, got {values!r}") from None
    if vals.shape != (layer._n,):
        raise CompatArgumentError(
            f"{arg}: layer {layer.name!r} has {layer._n} units, got shape {vals.shape}")
    if not np.isfinite(vals).all():
        raise CompatArgumentError(f"{arg}: values for layer {layer.name!r} must be finite")
    return vals


class Link:
    """A view onto one synapse of a connection."""

    __slots__ = ("_conn", "_k", "post", "pre")

    def __init__(self, conn: Connection, k: int, pre: Unit, post: Unit) -> None:
        self._conn, self._k, self.pre, self.post = conn, k, pre, post

    @property
    def wt(self) -> float:
        return float(self._conn._wt[self._k])

    @wt.setter
    def wt(self, v: float) -> None:
        self._conn._wt[self._k] = v
        self._conn._unsync()

    @property
    def fwt(self) -> float:
        return float(self._conn._fwt[self._k])

    @fwt.setter
    def fwt(self, v: float) -> None:
        self._conn._fwt[self._k] = v
        self._conn._unsync()

    @property
    def dwt(self) -> float:
        return 0.0


class Connection:
    """A projection from ``pre_layer`` to ``post_layer`` (``spec.proj``: 'full' or '1to1').

    The initial weights are drawn here, from Python's global ``random``, sender-major, as
    leabra-psyneulink draws them (``random.seed(k)`` first gives the same weights).
    """

    def __init__(self, pre_layer: Layer, post_layer: Layer,
                 spec: ConnectionSpec | None = None) -> None:
        for arg, ly in (("pre_layer", pre_layer), ("post_layer", post_layer)):
            if not isinstance(ly, Layer):
                raise CompatArgumentError(f"{arg} must be a Layer, got {type(ly).__name__}")
        if spec is not None and not isinstance(spec, ConnectionSpec):
            raise CompatArgumentError(f"spec must be a ConnectionSpec, got {type(spec).__name__}")
        self.pre = pre_layer
        self.post = post_layer
        self.spec = spec if spec is not None else ConnectionSpec()
        self.wt_scale_act = 1.0
        self.wt_scale_rel_eff: float | None = None
        self._init_weights()
        pre_layer.from_connections.append(self)
        post_layer.to_connections.append(self)

    def _init_weights(self) -> None:
        proj = self.spec.proj
        if proj == "full":
            n = self.pre._n * self.post._n
            self._proj = E.PROJ_FULL
        elif proj == "1to1":
            if self.pre._n != self.post._n:
                raise CompatArgumentError(
                    f"spec.proj '1to1' needs layers of the same size, got {self.pre._n} "
                    f"and {self.post._n} units")
            n = self.post._n
            self._proj = E.PROJ_1TO1
        else:
            raise CompatArgumentError(f"spec.proj must be 'full' or '1to1', got {proj!r}")
        rnd = self.spec._rnd_wt
        sig_inv = self.spec.sig_inv
        w = [rnd() for _ in range(n)]
        self._wt = np.array(w, dtype=np.float64)
        self._fwt = np.array([sig_inv(x) for x in w], dtype=np.float64)
        # The Network holding it (_network.Network, which imports this module), once built.
        self._net: Any = None
        self._ci: np.ndarray | None = None  # its row of the packed CI, once packed

    def _unsync(self) -> None:
        """The weights no longer follow the last learning step (the kernel recomputes all)."""
        if self._ci is not None:
            self._ci[E.C_SYNCED] = 0

    @property
    def n_links(self) -> int:
        return len(self._wt)

    @property
    def links(self) -> list[Link]:
        pre, post = self.pre.units, self.post.units
        if self._proj == E.PROJ_FULL:
            return [Link(self, i * len(post) + j, pu, qu) for i, pu in enumerate(pre)
                    for j, qu in enumerate(post)]
        return [Link(self, i, pre[i], post[i]) for i in range(len(post))]

    @property
    def wt_scale(self) -> float:
        if self.wt_scale_rel_eff is None:
            raise TypeError("wt_scale_rel_eff is None: did you correctly run the "
                            "network.build() method?")
        return self.wt_scale_act * self.wt_scale_rel_eff

    @property
    def weights(self) -> np.ndarray:
        """The weights, (pre units, post units) for 'full', (1, units) for '1to1'."""
        if self._proj == E.PROJ_1TO1:
            return self._wt[None, :].copy()
        return self._wt.reshape(self.pre._n, self.post._n).copy()

    @weights.setter
    def weights(self, value: Any) -> None:
        shape = (self.pre._n, self.post._n) if self._proj == E.PROJ_FULL else (self.post._n,)
        try:
            w = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise CompatArgumentError(f"weights: expected numbers, got {value!r}") from None
        if w.size != self._wt.size or (self._proj == E.PROJ_FULL and w.shape != shape):
            raise CompatArgumentError(f"weights: expected shape {shape}, got {w.shape}")
        if not np.isfinite(w).all():
            raise CompatArgumentError("weights must be finite")
        flat = w.ravel().tolist()
        self._wt[:] = flat
        self._fwt[:] = [self.spec.sig_inv(x) for x in flat]
        self._unsync()

    def compute_netin_scaling(self) -> None:
        """The expected-activity scaling ``wt_scale_act`` (from the sender's avg_act_p_eff)."""
        self.wt_scale_act = _wt_scale_act(self)

    def learn(self) -> None:
        """XCAL learning of this connection now (the network does it after the plus phase)."""
        net = self._net
        if net is None:
            raise CompatArgumentError("learn: the connection is not in a built network")
        net._sync()
        p = net._packed
        assert p is not None
        ci = net.connections.index(self)
        sub = copy.copy(p)
        sub.CI = p.CI[ci:ci + 1]
        sub.CP = p.CP[ci:ci + 1]
        E._learn(sub)


def _wt_scale_act(conn: Connection) -> float:
    pre_act_avg = conn.pre.avg_act_p_eff
    pre_size = conn.pre._n
    n_links = len(conn._wt)
    pre_act_n = max(1, int(pre_act_avg * pre_size + 0.5))
    if n_links == pre_size:
        return 1.0 / pre_act_n
    post_act_n_max = min(n_links, pre_act_n)
    post_act_n_avg = max(1, pre_act_avg * n_links + 0.5)
    post_act_n_exp = min(post_act_n_max, post_act_n_avg + 2.0)
    return 1.0 / post_act_n_exp


__all__ = ["Connection", "Layer", "Link", "Unit"]
