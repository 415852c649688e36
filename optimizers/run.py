"""The trajectory runner: step a whole batch of starts through one optimizer.

All trajectories advance together, one vectorized update per step, so 4096
starts cost little more than one.  Every operation is elementwise, so a batch
gives bit-for-bit the same paths as one run per start (without noise).

A path that blows up is not an error: from the first step whose point is not
finite or lies hopelessly outside the surface's window it is NaN, and
``diverged_at`` records that step.  NumPy's overflow warnings are silenced
here, where they are expected, and nowhere else.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .base import Optimizer

# A point further than this many window widths from the window's centre is
# treated as gone: no surface here brings a path back from that far.
ESCAPE_WIDTHS = 10.0


class Trajectory(NamedTuple):
    points: np.ndarray       # (steps + 1, *batch, 2); row 0 is the start; NaN after divergence
    losses: np.ndarray       # (steps + 1, *batch)
    diverged_at: np.ndarray  # (*batch,) int: first non-finite / escaped step, -1 if never


def _check_run_args(start: Any, steps: Any, noise: Any) -> tuple[np.ndarray, int, float]:
    try:
        start = np.array(start, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid start: {start!r} (need (x, y) or an array of shape (B, 2))") from None
    if start.ndim not in (1, 2) or start.shape[-1] != 2:
        raise ValueError(f"Invalid start shape: {start.shape} (need (2,) or (B, 2))")
    if not np.isfinite(start).all():
        raise ValueError(f"Invalid start: {start.tolist()} (coordinates must be finite)")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"Invalid steps: {steps!r} (need a whole number >= 0)")
    try:
        noise = float(noise)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid noise: {noise!r} (need a number >= 0)") from None
    if not (0.0 <= noise < math.inf):
        raise ValueError(f"Invalid noise: {noise} (need a number >= 0)")
    return start, int(steps), noise


def run(opt: Optimizer, surface, start, steps: int, noise: float = 0.0,
        seed: int | None = None) -> Trajectory:
    """Run ``opt`` on ``surface`` from ``start`` ((2,) or (B, 2)) for ``steps`` steps.

    ``noise`` adds Gaussian noise of that standard deviation to every gradient
    (a stand-in for minibatch noise), drawn from ``numpy.random.default_rng(seed)``
    in one block of shape ``(steps, *batch, 2)``: the same seed and batch give
    the same paths.
    """
    start, steps, noise = _check_run_args(start, steps, noise)
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    centre = np.array([(x_lo + x_hi) / 2, (y_lo + y_hi) / 2])
    reach = ESCAPE_WIDTHS * np.array([x_hi - x_lo, y_hi - y_lo])
    kicks = (noise * np.random.default_rng(seed).standard_normal((steps, *start.shape))
             if noise > 0 else None)

    points = np.full((steps + 1, *start.shape), np.nan)
    points[0] = start
    diverged_at = np.full(start.shape[:-1], -1, dtype=int)
    alive = np.ones(start.shape[:-1], dtype=bool)
    p = start
    state = opt.init(p)
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            g = surface.grad(p)
            if kicks is not None:
                g = g + kicks[t - 1]
            updates, state = opt.update(g, state, p)
            p = p + updates
            # NaN compares False, so non-finite points fail this test too.
            ok = (np.abs(p - centre) <= reach).all(axis=-1)
            if not ok.all():
                gone = alive & ~ok
                diverged_at[gone] = t
                alive &= ok
                if not alive.any():
                    break
                p = np.where(alive[..., None], p, np.nan)
            points[t] = p
        losses = surface.value(points)
    return Trajectory(points, losses, diverged_at)
