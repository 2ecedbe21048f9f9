"""leabra_fast: fast, faithful simulation of Leabra neurons and XCAL synapses.

The seed model is the spiking neuron and learning synapse of the seed notebook
(``docs/seed_model.md``), run by a typed Cython kernel (``backend="cython"``)
or by a readable NumPy transliteration of the notebook (``backend="python"``)
that serves as its oracle.

>>> import leabra_fast as lf
>>> res = lf.simulate([0, 0, 1, 1, 1, 1, 0, 0, 0, .2, .2, .2, 0, 0, .5, .5, 0, 0, .3, 0])
>>> res["v_m"].shape
(2000, 1)
"""

from importlib.metadata import PackageNotFoundError, version

from . import emergent
from .emergent import EmergentParams, EmergentState
from .params import ParameterError, SeedParams
from .progress import PartialRunWarning
from .result import SimulationResult
from .saving import load
from .simulation import BACKENDS, MODELS, NonFiniteError, NonFiniteWarning, simulate
from .state import SeedState
from .traces import SYNAPSE_TRACES, TRACE_NAMES, UNIT_TRACES, TraceBudgetError

try:
    __version__ = version("leabra-fast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

#: The notebook's input schedule: 20 trials, also its sender averages.
NOTEBOOK_INPUT = (0, 0, 1, 1, 1, 1, 0, 0, 0, 0.2, 0.2, 0.2, 0, 0, 0.5, 0.5, 0, 0, 0.3, 0)

__all__ = [
    "BACKENDS",
    "MODELS",
    "NOTEBOOK_INPUT",
    "SYNAPSE_TRACES",
    "TRACE_NAMES",
    "UNIT_TRACES",
    "EmergentParams",
    "EmergentState",
    "NonFiniteError",
    "NonFiniteWarning",
    "ParameterError",
    "PartialRunWarning",
    "SeedParams",
    "SeedState",
    "SimulationResult",
    "TraceBudgetError",
    "__version__",
    "emergent",
    "load",
    "simulate",
]
