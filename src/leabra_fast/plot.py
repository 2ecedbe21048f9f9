"""Figures of every model, in one place.

Needs matplotlib: ``pip install "leabra-fast[plot]"``.

The shared plots (:mod:`leabra_fast.core.plotting`): the nine trace plots
(``plot_net_input``, ``plot_membrane_potential``, ..., ``plot_dwt``) for a
result of any model, and :func:`plot_xcal_function`, :func:`plot_sig_function`
and :func:`plot_report`, which draw what the model of their parameters or
result draws.  Then each registered model's own figures: the seed notebook's
(:mod:`leabra_fast.seed.plot`: ``sig_curve``, ``REPORT_PANELS``, ...) and the
emergent model's (:mod:`leabra_fast.emergent.plot`: ``plot_nxx1_function``,
``plot_conductances``, ``plot_phase_records``, ...), and the networks'
(:mod:`leabra_fast.network.plot`: ``plot_layer_activity``, ``plot_prjn_weights``,
``plot_training_curves``, ...).  Every function accepts ``ax=`` (or ``axes=``) and
returns the Axes (a report returns the Figure).
"""

from __future__ import annotations

from typing import Any

from .core import plotting as _plotting
from .core import registry as _registry
from .core.plotting import *  # noqa: F403  (the shared figures)
from .core.plotting import MAX_TRIAL_LINES, TIME_LABEL

# The package's __init__ (run before this module) imported and so registered the models.
__all__ = [*_plotting.__all__, "MAX_TRIAL_LINES", "TIME_LABEL"]


def _add_model_figures() -> None:
    """Every registered model's public figures (and the networks'), under their own names."""
    for figures in _registry.figure_modules():
        module = figures()
        for attr in module.__all__:
            if attr not in globals():
                globals()[attr] = getattr(module, attr)
                __all__.append(attr)


_add_model_figures()


def __getattr__(name: str) -> Any:
    # A model registered after this module was imported: look its figures up on demand.
    for figures in _registry.figure_modules():
        module = figures()
        if name in getattr(module, "__all__", ()):
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # The figures (with any model registered since), not this module's helper imports.
    extra = {a for figures in _registry.figure_modules() for a in figures().__all__}
    return sorted({*__all__, *extra})

