"""The shared machinery of leabra_fast; it imports no model.

Driver (:mod:`~leabra_fast.core.driver`), schedules, trace plans, results,
saving, export, progress, parameter and state bases, run files, the console
script and figure helpers.  Models register themselves in
:mod:`~leabra_fast.core.registry` and everything here reaches them through it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leabra-fast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"
