"""Type stubs for the network's compiled kernel, one module per instruction set
(``leabra_fast.network._kernel_{avx512,avx2,baseline}``, all from ``_kernel.pxi``);
use it through :mod:`leabra_fast.network.compiled`."""

from typing import Any

import numpy as np
import numpy.typing as npt

STATUS_OK: int
STATUS_BAD_ARGS: int
OPENMP: bool
DEBUG_BUILD: bool
N_UNIT_VARS: int
N_FLAGS: int
N_POOL_VARS: int
N_LAYER_VARS: int
N_SYN_VARS: int
N_RECV_VARS: int

def run_trials(
    # LV.shape[2] layer / G.shape[1] projection tables shared by every batch copy, or
    # n_batch times as many (copy b's at [b * nL : (b + 1) * nL]): per-copy parameters,
    # the structure equal to copy 0's (else STATUS_BAD_ARGS)
    layers: list[dict[str, Any]],
    prjns: list[dict[str, Any]],
    send_list: npt.NDArray[np.intp],
    recv_list: npt.NDArray[np.intp],
    U: npt.NDArray[np.float64],
    F: npt.NDArray[np.uint8],
    P: npt.NDArray[np.float64],
    LV: npt.NDArray[np.float64],
    S: npt.NDArray[np.float64],
    M: npt.NDArray[np.uint8],
    R: npt.NDArray[np.float64],
    G: npt.NDArray[np.float64],
    pats: npt.NDArray[np.float64],
    rec_vars: npt.NDArray[np.intp],
    rec_cyc: npt.NDArray[np.float64],
    rec_trial: npt.NDArray[np.float64],
    rec_stats: npt.NDArray[np.float64],
    n_sent: npt.NDArray[np.int64],
    wt_bal_ctr: npt.NDArray[np.int64],
    cyc_per_qtr: int,
    wt_bal_interval: int,
    learn: bool,
    update_act_avg: bool,
    dwt_clean: bool,
    sse_tol: float,
    n_threads: int = 1,
    wt_out: npt.NDArray[np.float64] | None = None,
    solo_at: npt.NDArray[np.int64] | None = None,
    _validate: bool = True,
    _solo_from: int = -1,
    _team_rtt_max: float = 3e-7,
    _team_busy_min: float = 0.8,
) -> int: ...
def nxx1_scalar(layer: dict[str, Any], x: float) -> float: ...
def exp_scalar(x: float) -> float: ...
def cpu_levels() -> tuple[str, ...]: ...
def team_round_trip(n_threads: int = 2) -> float: ...
def lpn_run(
    U: npt.NDArray[np.float64],
    UP: npt.NDArray[np.float64],
    LS: npt.NDArray[np.float64],
    LP: npt.NDArray[np.float64],
    lay_off: npt.NDArray[np.intp],
    CI: npt.NDArray[np.intp],
    CP: npt.NDArray[np.float64],
    WT: npt.NDArray[np.float64],
    FWT: npt.NDArray[np.float64],
    TX: npt.NDArray[np.float64],
    TY: npt.NDArray[np.float64],
    TLEN: npt.NDArray[np.intp],
    CT: npt.NDArray[np.int64],
    in_vals: npt.NDArray[np.float64],
    in_mask: npt.NDArray[np.uint8],
    out_vals: npt.NDArray[np.float64],
    out_mask: npt.NDArray[np.uint8],
    n_cycles: int,
    quarter_size: int,
    log_rows: npt.NDArray[np.intp],
    logs: npt.NDArray[np.float64],
    gci: npt.NDArray[np.float64],
) -> int: ...
