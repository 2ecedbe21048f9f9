"""The seed notebook's own simulation loop: the yardstick of compare.py's row 1b.

It is ``tests/notebook_seed.py`` (the notebook's cell kept as close to verbatim as
Python 3 allows; see there for the few changes), loaded from the checkout's test
tree so the yardstick and the test oracle are one copy.  Row 1b times it against
``simulate`` on the same run, all 19 traces recorded by both.
"""

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "tests" / "notebook_seed.py"
_spec = importlib.util.spec_from_file_location("notebook_seed", _PATH)
if _spec is None or _spec.loader is None:  # pragma: no cover - a checkout without tests/
    raise ImportError(f"the notebook's loop is read from {_PATH}, which is missing")
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

NOTEBOOK_INPUT = _module.NOTEBOOK_INPUT
run_notebook = _module.run_notebook
