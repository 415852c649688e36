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
import numbers
from typing import Any, NamedTuple, Sequence

import numpy as np

from .base import Optimizer, distinct_rows, show
from .schedules import Schedule
from .limits import (DATA_GRADIENT_COST, DATA_ROWS_PER_POINT_STEP, MAX_PATHS, MAX_POINT_STEPS,
                     MAX_RECORD_POINT_STEPS, MAX_STEPS, MAX_STEPWISE, point_step_cost)

# A point further out than this many window sizes beyond the window is
# treated as gone: no surface here brings a path back from that far.
ESCAPE_WIDTHS = 10.0

_largest = np.maximum.reduce


def escape_radius(surface) -> float:
    """Paths with |x| or |y| above this have escaped: the window plus 10 window sizes.

    One scalar bound for both axes keeps the per-step test one flat reduction
    (a per-axis bound broadcasts a (2,) array over the batch, which NumPy runs
    as one tiny inner loop per point: ten times slower).
    """
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    return max(abs(x_lo), abs(x_hi), abs(y_lo), abs(y_hi)) + ESCAPE_WIDTHS * max(x_hi - x_lo, y_hi - y_lo)


class Trajectory(NamedTuple):
    """A batch of paths; with ``run(..., record=True)`` also what happened inside each step.

    The recorded arrays are shaped ``(steps, *batch, 2)``; row ``k`` belongs
    to the step from ``points[k]`` to ``points[k + 1]`` (so it can be drawn
    at ``points[k]``), and is NaN where ``points[k + 1]`` is.

    - ``grads``: the gradient fed to the optimizer (the surface's, plus the
      noise or from the minibatch), before weight decay.
    - ``updates``: the update taken, ``points[k + 1] - points[k]`` up to rounding.
    - ``memory``: the optimizer's memory after the step, its momentum buffer
      ``b`` (Momentum, Nesterov, RMSProp with momentum) or first moment ``m``
      (Adam and its relatives); None for the others (``Optimizer.memory``
      names the state field).
    - ``step_size``: for the adaptive methods, the per-coordinate step size:
      the factor ``s`` in ``update = -s * d``, where the direction ``d`` is
      the gradient g (AdaGrad, Adadelta, RMSProp; with momentum, s·g is what
      enters the buffer) or the bias-corrected first moment m / (1 - β₁ᵗ)
      (Adam, AMSGrad, Adamax, RAdam; NAdam's d blends g and m).  It is the
      learning rate after the method's per-coordinate scaling: Adam's
      η / (√v̂ + ε).  None for SGD, Momentum and Nesterov, whose step size
      is η on both axes.
    """

    points: np.ndarray       # (steps + 1, *batch, 2); row 0 is the start; NaN after divergence
    losses: np.ndarray | None  # (steps + 1, *batch); None with run(..., losses=False)
    diverged_at: np.ndarray  # (*batch,) int: first non-finite / escaped step, -1 if never
    grads: np.ndarray | None = None      # (steps, *batch, 2), record=True only
    updates: np.ndarray | None = None    # (steps, *batch, 2), record=True only
    memory: np.ndarray | None = None     # (steps, *batch, 2), record=True and a memory only
    step_size: np.ndarray | None = None  # (steps, *batch, 2), record=True and adaptive only


def _check_run_args(start: Any, steps: Any, noise: Any, seed: Any) -> tuple[np.ndarray, int, float]:
    need = "(need (x, y) or an array of numbers shaped (..., 2))"
    try:
        raw = np.asarray(start)
        # Bools and strings float() would read, None it would make NaN: not coordinates.
        if raw.dtype.kind in "bUS" or (raw.dtype.kind == "O" and not all(
                isinstance(x, numbers.Real) and not isinstance(x, bool) for x in raw.ravel())):
            raise TypeError(f"Invalid start: {show(start)} {need}")
        start = np.array(start, dtype=float)
    except (TypeError, ValueError, OverflowError) as err:
        if isinstance(err, TypeError) and str(err).startswith("Invalid start"):
            raise
        raise ValueError(f"Invalid start: {show(start)} {need}") from None
    if start.ndim == 0 or start.shape[-1] != 2:
        raise ValueError(f"Invalid start shape: {start.shape} (need (2,) or (..., 2))")
    finite = np.isfinite(start)
    if not finite.all():
        where = ("" if start.size <= 8 else
                 f" (at index {tuple(int(i) for i in np.argwhere(~finite)[0])})")
        what = start.tolist() if start.size <= 8 else float(start[~finite][0])
        raise ValueError(f"Invalid start: {what}{where} (coordinates must be finite)")
    if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"Invalid steps: {show(steps)} (need a whole number >= 0)")
    if isinstance(noise, (bool, np.bool_)) or not isinstance(noise, numbers.Real):
        raise TypeError(f"Invalid noise: {show(noise)} (need a number >= 0)")
    if not (0.0 <= float(noise) < math.inf):
        raise ValueError(f"Invalid noise: {show(noise)} (need a finite number >= 0)")
    if seed is not None and (isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"Invalid seed: {show(seed)} (need a whole number >= 0, or None)")
    if seed is not None and seed < 0:
        raise ValueError(f"Invalid seed: {show(seed)} (need a whole number >= 0, or None)")
    return start, int(steps), float(noise)


def run(opt: Optimizer, surface, start, steps: int, noise: float = 0.0,
        seed: int | Sequence[int] | None = None, *, schedule: Schedule | None = None,
        record: bool = False, batch_size: int | None = None, losses: bool = True) -> Trajectory:
    """Run ``opt`` on ``surface`` from ``start`` ((2,) or (..., 2)) for ``steps`` steps.

    Array hyperparameters broadcast with the batch of starts (NumPy's rules):
    ``get("adam", lr=lrs)`` from one start, or from starts shaped
    ``(len(lrs), 2)``, runs one path per learning rate, bit for bit the path
    that a run with that scalar ``lr`` takes.  The batch is then the
    broadcast shape of the starts' batch and the hyperparameter arrays.

    ``noise`` adds Gaussian noise of that standard deviation to every gradient
    (a stand-in for minibatch noise), drawn from ``numpy.random.default_rng(seed)``
    as one ``(*batch, 2)`` block per step: the same seed and batch give the
    same paths.

    ``schedule`` (``optimizers.schedule(...)``) sets the learning rate of every
    step from the optimizer's ``lr``: the path torch.optim takes when
    ``scheduler.step()`` follows every ``optimizer.step()``.

    ``record=True`` also returns, per step, the gradient, the update, the
    optimizer's memory and its per-coordinate step size (see ``Trajectory``).
    The path is the same with or without it.

    ``batch_size`` (data surfaces, ``surface.n_data > 0``): every step uses
    the gradient of the mean loss over one minibatch of the data, drawn
    without replacement: each epoch is a permutation from
    ``numpy.random.default_rng(seed)``, cut into consecutive minibatches of
    ``batch_size`` rows (the last one smaller when it does not divide the
    data), each minibatch's indices sorted; the next epoch starts a new
    permutation.  Every path of the batch sees the same minibatches, and
    ``batch_size == n_data`` is exactly the full-batch path.  ``noise``, if
    also given, draws from its own generator with the same seed.

    ``losses=False`` skips evaluating the surface on every point afterwards
    (``Trajectory.losses`` is then None): on a data surface that is a pass
    over the whole data set per point, which callers that keep only the
    points need not pay.

    ``seed`` may also be a sequence of seeds, one per path of a 1-D batch:
    path ``i`` then draws its noise and its minibatches from its own
    generators, seeded ``seed[i]``, and is bit for bit the path a run with
    ``seed=seed[i]`` alone takes (a noise cloud of minibatch orders in one
    batch).
    """
    if schedule is not None and not isinstance(schedule, Schedule):
        raise TypeError(f"Invalid schedule: {show(schedule)} (need optimizers.schedule(name, ...) or None)")
    if not isinstance(record, (bool, np.bool_)):
        raise TypeError(f"Invalid record: {show(record)} (need True or False)")
    if not isinstance(losses, (bool, np.bool_)):
        raise TypeError(f"Invalid losses: {show(losses)} (need True or False)")
    seeds = seed if isinstance(seed, (list, tuple, np.ndarray)) else None
    start, steps, noise = _check_run_args(start, steps, noise, None if seeds is not None else seed)
    batch_size = _check_batch_size(surface, batch_size)
    batch = _batch_shape(opt, start)
    _check_limits(opt, surface, steps, batch, record, batch_size)
    start = np.broadcast_to(start, (*batch, 2))
    radius = escape_radius(surface)
    if seeds is None:
        kicks = _shared_kicks(noise, np.random.default_rng(seed), math.prod(batch)) if noise > 0 else None
        minibatches = (_minibatches(surface.n_data, batch_size, np.random.default_rng(seed))
                       if batch_size else None)
    else:  # one generator per path (and a second one per path for the minibatches)
        seeds = _check_seeds(seeds, batch)
        kicks = _own_kicks(noise, [np.random.default_rng(s) for s in seeds]) if noise > 0 else None
        minibatches = (_minibatches_per_path(surface.n_data, batch_size,
                                             [np.random.default_rng(s) for s in seeds])
                       if batch_size else None)

    # Internally the batch is flat, (n, 2), and shrinks as paths die: a dead
    # path is dropped from the arrays (and from the optimizer state and its
    # hyperparameter rows), so it costs nothing afterwards and the per-step
    # check stays one reduction.
    n = math.prod(batch)
    points = np.full((steps + 1, n, 2), np.nan)
    points[0] = start.reshape(n, 2)
    diverged_at = np.full(n, -1, dtype=int)
    rows = np.arange(n)
    p = points[0].copy()
    flat = opt.rows(batch)
    update = flat.update
    state = flat.init(p)
    lr = flat.hyper["lr"]  # a float, or one value per row
    if schedule is not None:
        base, lr = lr, schedule.first(lr)
    if record:
        field, step_size = flat.memory, flat.step_size
        kept = {"grads": True, "updates": True, "memory": field is not None,
                "step_size": step_size is not None}
        recorded = {k: np.full((steps, n, 2), np.nan) for k, on in kept.items() if on}
    # The loop's own points are already a flat float batch: the surface's raw ``df`` takes them
    # as they are (``grad`` would check and reshape them again on every step).
    full_grad = getattr(surface, "df", surface.grad)
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1 if n else 1):
            if minibatches is None:
                g = full_grad(p)
            else:
                picked = next(minibatches)
                g = surface.grad(p, rows=picked if picked.ndim == 1 or rows.size == n else picked[rows])
            if kicks is not None:
                g = g + kicks(rows)
            before = state
            if schedule is None:
                updates, state = update(g, state, p)
            else:
                updates, state = update(g, state, p, lr=lr)
            if record:
                inside = {"grads": g, "updates": updates,
                          "memory": getattr(state, field) if field else None,
                          "step_size": step_size(before, state, lr) if step_size else None}
            if schedule is not None:
                lr = schedule.next(lr, t, base)
            p = p + updates
            # NaN propagates through the maximum and compares False, so non-finite
            # points fail this test too.  One ufunc and one flat reduction (the
            # ufunc's own, without ndarray.max's Python wrapper): cheaper than
            # max() and min(), most of all for a single path.
            if not _largest(np.abs(p), axis=None) <= radius:
                keep = (np.abs(p) <= radius).all(axis=-1)
                diverged_at[rows[~keep]] = t
                rows, p = rows[keep], p[keep]
                state = _select(state, keep)
                if record:
                    inside = {k: v[keep] if v is not None else None for k, v in inside.items()}
                if rows.size == 0:
                    break
                if flat is not opt:
                    update = opt.rows(batch, rows).update
                if isinstance(lr, np.ndarray):
                    lr = lr[keep]
                if schedule is not None and isinstance(base, np.ndarray):
                    base = base[keep]
            if rows.size == n:
                points[t] = p  # a plain copy: much cheaper than fancy indexing
                if record:
                    for k, a in recorded.items():
                        a[t - 1] = inside[k]
            else:
                points[t, rows] = p
                if record:
                    for k, a in recorded.items():
                        a[t - 1, rows] = inside[k]
        points = points.reshape(steps + 1, *batch, 2)
        values = surface.value(points) if losses else None
    if not record:
        return Trajectory(points, values, diverged_at.reshape(batch))
    shaped = {k: a.reshape(steps, *batch, 2) for k, a in recorded.items()}
    return Trajectory(points, values, diverged_at.reshape(batch), **shaped)


def _check_batch_size(surface, batch_size: Any) -> int | None:
    if batch_size is None:
        return None
    n_data = getattr(surface, "n_data", 0)
    name = getattr(surface, "name", "this surface")
    if not n_data:
        raise ValueError(f"batch_size needs a data surface: {name!r} has no data set (n_data = 0); "
                         f"leave batch_size=None")
    need = f"need a whole number from 1 to {n_data}, the size of {name!r}'s data set"
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"Invalid batch_size: {show(batch_size)} ({need})")
    if not 1 <= batch_size <= n_data:
        raise ValueError(f"Invalid batch_size: {show(batch_size)} ({need})")
    return int(batch_size)


def _minibatches(n_data: int, batch_size: int, rng: np.random.Generator):
    """Sorted row indices, ``batch_size`` at a time, a fresh permutation each epoch."""
    while True:
        order = rng.permutation(n_data)
        for i in range(0, n_data, batch_size):
            yield np.sort(order[i:i + batch_size])


def _shared_kicks(noise: float, rng: np.random.Generator, n: int):
    """The noise added to the live paths' gradients: one (n, 2) draw per step for the whole batch."""
    def kicks(rows: np.ndarray) -> np.ndarray:
        kick = noise * rng.standard_normal((n, 2))
        return kick if rows.size == n else kick[rows]
    return kicks


def _own_kicks(noise: float, rngs: list[np.random.Generator]):
    """The noise added to the live paths' gradients: each path's own draw from its own generator."""
    def kicks(rows: np.ndarray) -> np.ndarray:
        return noise * np.array([rngs[i].standard_normal(2) for i in rows])
    return kicks


def _minibatches_per_path(n_data: int, batch_size: int, rngs: list[np.random.Generator]):
    """``_minibatches`` for each generator at once: row ``i`` of each (paths, rows) block
    is what ``_minibatches(n_data, batch_size, rngs[i])`` yields."""
    while True:
        orders = np.stack([rng.permutation(n_data) for rng in rngs])
        for i in range(0, n_data, batch_size):
            yield np.sort(orders[:, i:i + batch_size], axis=1)


def _check_seeds(seeds: Any, batch: tuple[int, ...]) -> tuple[int, ...]:
    need = f"need one whole number >= 0 per path, {math.prod(batch)} of them for a 1-D batch"
    try:
        seeds = tuple(seeds)
    except TypeError:
        raise TypeError(f"Invalid seed: {show(seeds)} (need a whole number >= 0, a sequence of them, "
                        f"or None)") from None
    if len(batch) != 1 or len(seeds) != batch[0]:
        raise ValueError(f"Invalid seed: {len(seeds)} seeds for a batch shaped {batch} ({need})")
    for s in seeds:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, numbers.Integral) or s < 0:
            raise ValueError(f"Invalid seed: {show(s)} in the seed sequence ({need})")
    return tuple(int(s) for s in seeds)


def _check_limits(opt: Optimizer, surface, steps: int, batch: tuple[int, ...], record: bool,
                  batch_size: int | None) -> None:
    """Refuse, naming the limit, a run that would take more than about a second."""
    if steps > MAX_STEPS:
        raise ValueError(f"Too many steps: {show(steps)} (at most MAX_STEPS = {MAX_STEPS:,})")
    n = math.prod(batch)
    if n > MAX_PATHS:
        raise ValueError(f"Too many paths: {n:,} (batch shaped {batch}; "
                         f"at most MAX_PATHS = {MAX_PATHS:,})")
    rows = batch_size or getattr(surface, "n_data", 0)
    cost = point_step_cost(surface, batch_size)
    work = steps * n * cost
    per = (f" × {cost:g} (a gradient over {rows} data rows costs {DATA_GRADIENT_COST} + "
           f"{rows}/{DATA_ROWS_PER_POINT_STEP} point-steps)" if rows else
           f" × {cost:g} (the surface's grad_cost)" if cost != 1 else "")
    if work > MAX_POINT_STEPS:
        raise ValueError(f"Too much work: {steps:,} steps × {n:,} paths{per} = {work:,.0f} point-steps "
                         f"(at most MAX_POINT_STEPS = {MAX_POINT_STEPS:,})")
    if record and work > MAX_RECORD_POINT_STEPS:
        raise ValueError(f"Too much to record: {steps:,} steps × {n:,} paths{per} = {work:,.0f} "
                         f"point-steps (at most MAX_RECORD_POINT_STEPS = {MAX_RECORD_POINT_STEPS:,} "
                         f"with record=True)")
    stepwise = {k: v for k, v in opt.arrays.items() if k.split("[")[0] in opt.spec.stepwise}
    if stepwise:
        shape = np.broadcast_shapes(*(a.shape for a in stepwise.values()))
        table = np.stack([np.broadcast_to(a, shape).ravel() for a in stepwise.values()], axis=1)
        distinct = len(distinct_rows(table)[0])
        if distinct * steps > MAX_STEPWISE:
            raise ValueError(
                f"Too many distinct values of {', '.join(stepwise)} for {steps:,} steps: "
                f"{distinct:,} × {steps:,} = {distinct * steps:,} (at most MAX_STEPWISE = "
                f"{MAX_STEPWISE:,}; their per-step numbers are Python arithmetic, one per value)")


def _batch_shape(opt: Optimizer, start: np.ndarray) -> tuple[int, ...]:
    """The starts' batch shape broadcast with the hyperparameter arrays' shape."""
    try:
        return np.broadcast_shapes(start.shape[:-1], opt.shape)
    except ValueError:
        arrays = ", ".join(f"{k} shaped {a.shape}" for k, a in opt.arrays.items())
        raise ValueError(f"Hyperparameter arrays do not broadcast with the starts: {arrays}, "
                         f"starts shaped {start.shape} (batch {start.shape[:-1]})") from None


def _select(state, keep: np.ndarray):
    """Keep the rows ``keep`` of every per-point array in an optimizer state."""
    return type(state)(*(f[keep] if isinstance(f, np.ndarray) and f.shape[:1] == keep.shape else f
                         for f in state))
