"""Regenerate tests/data/seed_golden.npz: the notebook's run by the reference backend.

Run from the repository root: ``python tests/make_golden.py``.  The file is
committed; tests compare both backends and the notebook transliteration to it.
"""

from pathlib import Path

import numpy as np

import leabra_fast as lf


def main() -> None:
    res = lf.simulate(lf.NOTEBOOK_INPUT, backend="python")
    out = Path(__file__).parent / "data" / "seed_golden.npz"
    out.parent.mkdir(exist_ok=True)
    arrays = {k: (v[:, 0] if v.ndim == 2 else v[:, 0, 0]) for k, v in res.items()}
    np.savez_compressed(out, **arrays, final_fwt=res.state.fwt, final_wt=res.state.wt)
    print(f"wrote {out}: {int(arrays['act'].sum())} spikes")


if __name__ == "__main__":
    main()
