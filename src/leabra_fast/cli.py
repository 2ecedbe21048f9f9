"""The ``leabra-fast`` console script's entry point (``leabra_fast.cli:main``).

Importing :mod:`leabra_fast` registers the models and so their subcommands; the
parser and the shared commands are :mod:`leabra_fast.core.cli`.
"""

from __future__ import annotations

import sys

import leabra_fast  # noqa: F401  (registers the models before the parser is built)

from .core.cli import build_info, build_parser, main

__all__ = ["build_info", "build_parser", "main"]

if __name__ == "__main__":  # pragma: no cover - python -m leabra_fast.cli
    sys.exit(main())
