"""Type stubs for the emergent kernel built for baseline (_kernel.pyx, _kernel.pxi)."""

import numpy as np
import numpy.typing as npt

STATUS_OK: int
STATUS_NONFINITE: int
STATUS_BAD_ARGS: int
HAS_OPENMP: bool
DEBUG_BUILD: bool
BLOCK: int
WIDTHS: tuple[int, int, int]
CONST_NAMES: tuple[str, ...]

def cpu_levels() -> tuple[str, ...]: ...
def run_emergent(
    consts: dict[str, float],
    table: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    su_s: npt.NDArray[np.float64],
    su_m: npt.NDArray[np.float64],
    ge: npt.NDArray[np.float64],
    gc_i: npt.NDArray[np.float64],
    ext: npt.NDArray[np.float64],
    targ: npt.NDArray[np.float64],
    unit_state: npt.NDArray[np.float64],
    syn_state: npt.NDArray[np.float64],
    n_cycles: int,
    c0: int,
    c1: int,
    abs0: int,
    every: int,
    rec_base: int,
    slots: npt.NDArray[np.intp],
    unit_cols: npt.NDArray[np.intp],
    unit_buf: npt.NDArray[np.float64],
    syn_buf: npt.NDArray[np.float64],
    spikes: npt.NDArray[np.int64],
    first_bad: npt.NDArray[np.int64],
    act_q: npt.NDArray[np.float64],
    n_threads: int = 1,
    group_consts: npt.NDArray[np.float64] | None = None,
    group_bounds: npt.NDArray[np.intp] | None = None,
    group_spans: npt.NDArray[np.intp] | None = None,
) -> int: ...
def noisy_xx1_scalar(consts: dict[str, float], x: float) -> float: ...
def nxx1_lookup_scalar(
    consts: dict[str, float], table: npt.NDArray[np.float64], x: float
) -> float: ...
def xcal_scalar(consts: dict[str, float], x: float, th: float) -> float: ...
def sig_scalar(consts: dict[str, float], w: float) -> float: ...
def ge_thr_scalar(
    consts: dict[str, float], g_i: float, adapt: float, g_k: float = 0.0
) -> float: ...
def pow_int_scalar(b: float, n: int) -> float: ...
def sig_pow_kind(gain: float) -> int: ...
