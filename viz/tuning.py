"""Default learning rates per surface, found by running the optimizers themselves.

A learning rate that is instructive on the stretched bowl is useless on
Rosenbrock, and a table of (surface, optimizer) rates would need a new row for
every addition.  Instead the default is searched: run the optimizer from the
surface's start for each rate on a coarse log grid and keep the one whose path
gets lowest fastest (mean log loss over the run) without leaving the plot
window.  On a surface with no minimum (a saddle) "lowest" means "escapes
furthest while still on the plot".

No visitor waits for the search: its results for every registered pair are
checked in (``tuned_lr.json``, regenerated with ``python -m viz.tuning``, and a
test keeps it equal to the search).  A pair missing from the table (a surface
typed in by a user) is searched on first use and cached.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

import optimizers
import surfaces

from .state import surface_of

SEARCH = tuple(float(f"{m}e{e}") for e in range(-6, 2) for m in (1, 2, 5))  # 1e-6 .. 50
SEARCH_STEPS = 100


@lru_cache(maxsize=None)
def tuned_lr(surface: str, optimizer: str) -> float:
    """Search the rates in ``SEARCH`` (one broadcast batch, bit for bit one run per rate)."""
    s = surface_of(surface)
    knob = next(k for k in optimizers.spec(optimizer).knobs if k.name == "lr")
    lrs = np.array([lr for lr in SEARCH if knob.lo <= lr <= knob.hi])
    if lrs.size == 0:
        return max(knob.lo, SEARCH[0])
    tr = optimizers.run(optimizers.get(optimizer, lr=lrs), s, np.tile(s.start, (lrs.size, 1)),
                        SEARCH_STEPS)
    f_min = s.f_min
    best, best_score = None, np.inf
    for i, lr in enumerate(lrs):
        pts = tr.points[:, i]
        if not (np.isfinite(pts).all() and s.contains(pts).all()):
            continue
        losses = np.ascontiguousarray(tr.losses[:, i])
        score = float(losses[-1]) if f_min is None else float(np.mean(np.log10(losses - f_min + 1e-12)))
        if score < best_score:
            best, best_score = float(lr), score
    # Nothing stayed on the plot: the smallest rate offered is the least bad.
    return best if best is not None else max(knob.lo, SEARCH[0])


TABLE_FILE = Path(__file__).with_name("tuned_lr.json")


@lru_cache(maxsize=1)
def table() -> dict[str, dict[str, float]]:
    try:
        return json.loads(TABLE_FILE.read_text())
    except (OSError, ValueError):
        return {}


def default_lr(surface: str, optimizer: str) -> float:
    """The tuned learning rate: from the checked-in table, else searched now."""
    hit = table().get(surface, {}).get(optimizer)
    return float(hit) if hit is not None else tuned_lr(surface, optimizer)


def write_table() -> dict[str, dict[str, float]]:
    out = {s: {o: tuned_lr(s, o) for o in optimizers.names()} for s in surfaces.names()}
    TABLE_FILE.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    return out


if __name__ == "__main__":
    write_table()
    print(f"wrote {TABLE_FILE}")
