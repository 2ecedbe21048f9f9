"""Type stubs for the compiled seed-model kernel, one module per instruction set
(``leabra_fast.seed._kernel_{avx512,avx2,baseline}``, all from ``_kernel.pxi``);
use it through :mod:`leabra_fast.seed.compiled`."""

import numpy as np
import numpy.typing as npt

STATUS_OK: int
STATUS_NONFINITE: int
STATUS_BAD_ARGS: int
BLOCK: int
WIDTHS: tuple[int, int, int]
STREAM_MIN_BYTES: int
CONST_NAMES: tuple[str, ...]
EXP_NORMAL_MAX: float
OPENMP: bool
DEBUG_BUILD: bool

def run_seed(
    consts: dict[str, float],
    x: npt.NDArray[np.float64],
    su_s: npt.NDArray[np.float64],
    su_m: npt.NDArray[np.float64],
    gc_i: npt.NDArray[np.float64],
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
    n_threads: int = 1,
    unit_consts: npt.NDArray[np.float64] | None = None,
) -> int: ...
def xcal_scalar(consts: dict[str, float], x: float, th: float) -> float: ...
def sig_scalar(consts: dict[str, float], w: float) -> float: ...
def soft_bound_scalar(dwt: float, fwt: float) -> float: ...
def exp_scalar(x: float) -> float: ...
def exp_array(x: npt.NDArray[np.float64], normal: bool = False) -> npt.NDArray[np.float64]: ...
def cpu_levels() -> tuple[str, ...]: ...
def consts_row(consts: dict[str, float]) -> npt.NDArray[np.float64]: ...
