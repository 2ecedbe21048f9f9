"""leabra_fast: fast, faithful simulation of Leabra neurons and XCAL synapses.

The seed model is the spiking neuron and learning synapse of the seed notebook
(``docs/seed_model.md``), run by a typed Cython kernel (``backend="cython"``)
or by a readable NumPy transliteration of the notebook (``backend="python"``)
that serves as its oracle.  The canonical emergent unit is its sibling
(``model="emergent"``, :mod:`leabra_fast.emergent`), and networks of layers and
projections as Go emergent v1 runs them are :mod:`leabra_fast.network`.  Each model lives in its own
subpackage and registers itself with the shared machinery (:mod:`leabra_fast.core`)
when imported here.

>>> import leabra_fast as lf
>>> res = lf.simulate([0, 0, 1, 1, 1, 1, 0, 0, 0, .2, .2, .2, 0, 0, .5, .5, 0, 0, .3, 0])
>>> res["v_m"].shape
(2000, 1)
"""

from typing import Any

from . import emergent, network, seed
from .core import __version__, registry
from .core.config import ConfigError
from .core.driver import BACKENDS, NonFiniteError, NonFiniteWarning, simulate
from .core.paramspec import ParameterError
from .core.progress import PartialRunWarning
from .core.result import SimulationResult, load
from .core.saving import LoadError
from .core.statebase import TooLargeError
from .core.sweep import sweep
from .core.traces import BufferInUseError, TraceBudgetError
from .emergent import EmergentParams, EmergentState
from .seed import (
    NOTEBOOK_INPUT,
    SYNAPSE_TRACES,
    TRACE_NAMES,
    UNIT_TRACES,
    SeedParams,
    SeedState,
)

#: The registered models' names (``simulate(..., model=...)``).
MODELS = registry.names()

__all__ = [
    "BACKENDS",
    "MODELS",
    "NOTEBOOK_INPUT",
    "SYNAPSE_TRACES",
    "TRACE_NAMES",
    "UNIT_TRACES",
    "BufferInUseError",
    "ConfigError",
    "EmergentParams",
    "EmergentState",
    "LoadError",
    "NonFiniteError",
    "NonFiniteWarning",
    "ParameterError",
    "PartialRunWarning",
    "SeedParams",
    "SeedState",
    "SimulationResult",
    "TooLargeError",
    "TraceBudgetError",
    "__version__",
    "emergent",
    "load",
    "network",
    "plot",
    "seed",
    "simulate",
    "sweep",
]


def __getattr__(name: str) -> Any:
    # ``lf.plot`` without ``import leabra_fast.plot``, without importing it at start-up.
    if name == "plot":
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # The public names (``plot`` imported on first use) and the subpackage ``core``; not
    # this module's helper imports (``Any``, ``registry``).
    return sorted({*__all__, "core"})
