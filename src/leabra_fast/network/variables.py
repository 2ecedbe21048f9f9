"""The names of what ``Network.run`` records: unit variables per cycle and per trial, and
layer statistics per trial (shared by the network, its result, exports and run files)."""

__all__ = ["CYCLE_VARS", "LAYER_STATS", "STATE_VARS_ADDED", "TRIAL_VARS"]

#: Unit variables that can be recorded every cycle (``record=``).
CYCLE_VARS = (
    "act",
    "act_lrn",
    "ge",
    "gi",
    "gi_syn",
    "gi_self",
    "vm",
    "inet",
    "ge_raw",
    "gi_raw",
    "avg_ss",
    "avg_s",
    "avg_m",
    "avg_s_lrn",
    "gk",
    "noise",
    "vm_eq",
    "act_raw",
)
#: Unit variables recorded once per trial (after the plus phase, before learning).
TRIAL_VARS = (
    "act_q0",
    "act_q1",
    "act_q2",
    "act_m",
    "act_p",
    "act_dif",
    "avg_l",
    "avg_l_lrn",
    "act_avg",
)
#: Layer statistics recorded once per trial, shape (n_trials, n_batch).
LAYER_STATS = ("act_m_avg", "act_p_avg", "sse", "cos_diff")
#: Layer state variables (``get_state``'s "layer/Name/var") added with KNa adaptation,
#: activation noise and the cpp85 equations; a state saved before them
#: still loads (``Network.set_state``).
STATE_VARS_ADDED = frozenset({
    "gkna_f", "gkna_m", "gkna_s", "noise", "vm_eq", "act_raw", "isi",
    "noise_key_hi", "noise_key_lo", "noise_ctr_hi", "noise_ctr_lo",
})  # fmt: skip
