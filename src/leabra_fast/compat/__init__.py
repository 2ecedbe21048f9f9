"""Drop-in replacements for other Leabra packages.

:mod:`leabra_fast.compat.leabra` has leabra-psyneulink 0.3.2's API.  ``install()`` makes
``import leabra`` (as PsyNeuLink's ``LeabraMechanism`` does) load it::

    import leabra_fast.compat; leabra_fast.compat.install()
"""

from __future__ import annotations

import sys
from types import ModuleType

__all__ = ["install", "uninstall"]

_SAVED: dict[str, ModuleType | None] = {}


def install() -> ModuleType:
    """Make ``import leabra`` return :mod:`leabra_fast.compat.leabra`; return that module.

    Call it before the first ``import leabra`` (or before importing PsyNeuLink).
    """
    from . import leabra as mod

    if "leabra" not in _SAVED:
        _SAVED["leabra"] = sys.modules.get("leabra")
    sys.modules["leabra"] = mod
    return mod


def uninstall() -> None:
    """Undo :func:`install` (``import leabra`` finds the installed package again)."""
    if "leabra" in _SAVED:
        prev = _SAVED.pop("leabra")
        if prev is None:
            sys.modules.pop("leabra", None)
        else:
            sys.modules["leabra"] = prev
