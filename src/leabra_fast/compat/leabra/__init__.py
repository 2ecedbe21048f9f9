"""leabra-psyneulink 0.3.2's API (import name ``leabra``) on leabra_fast's compiled kernel.

The same classes, keyword arguments and defaults; the same numbers (the package's model,
quirks included, as the "leabra-psyneulink flavour": docs/network_model.md); whole trials
in one compiled call.  ``leabra_fast.compat.install()`` makes ``import leabra`` load this
module.
"""

from ._network import Network, set_backend
from ._objects import Connection, Layer, Link, Unit
from ._specs import (
    HIDDEN,
    INPUT,
    OUTPUT,
    CompatArgumentError,
    ConnectionSpec,
    LayerSpec,
    NetworkSpec,
    UnitSpec,
)

__all__ = [
    "HIDDEN",
    "INPUT",
    "OUTPUT",
    "CompatArgumentError",
    "Connection",
    "ConnectionSpec",
    "Layer",
    "LayerSpec",
    "Link",
    "Network",
    "NetworkSpec",
    "Unit",
    "UnitSpec",
    "set_backend",
]
