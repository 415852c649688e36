r"""Learning-rate schedules: ``torch.optim.lr_scheduler``'s, as two pure functions.

torch updates the learning rate *recursively* ("chainable" form): each
``scheduler.step()`` computes the new lr from the current one.  The closed
forms on the slides give the same numbers only up to rounding, so this file
follows torch's recursions, operation by operation:

    lr = first(base_lr)               # what the scheduler's constructor leaves: step 1's lr
    lr = next(lr, epoch, base_lr)     # after scheduler.step(), last_epoch == epoch:
                                      # the lr of step epoch + 1

``optimizers.run(..., schedule=s)`` passes ``lr`` into each update, which is
the path torch.optim takes when ``scheduler.step()`` follows every
``optimizer.step()``.  ``lr`` may be an array (a learning-rate sweep): the
schedule's own arguments are scalars, and the recursion is elementwise.

    ================  ==============================  =====================================
    name              torch                           lr of step t+1 (e = t = last_epoch)
    ================  ==============================  =====================================
    step              StepLR(step_size, gamma=0.1)    γ·lr when e is a multiple of step_size
    exponential       ExponentialLR(gamma)            γ·lr
    cosine            CosineAnnealingLR(T_max,        η_min + (lr − η_min)·(1 + cos πe/T)
                      eta_min=0)                      / (1 + cos π(e−1)/T)
    linear            LinearLR(start_factor=1/3,      lr·(1 + (f₁ − f₀) / (n·f₀ + (e−1)(f₁ − f₀)))
                      end_factor=1, total_iters=5)    while e <= n; step 1 uses f₀·lr
    warmup_cosine     SequentialLR([LinearLR(         linear from start_factor·lr up to lr over
                      start_factor, 1, warmup_steps), warmup_steps steps, then cosine from lr
                      CosineAnnealingLR(T_max,        down to eta_min over T_max steps
                      eta_min)], [warmup_steps])
    ================  ==============================  =====================================

Implemented: torch 2.13's ``get_lr()`` (chainable) forms, and SequentialLR's
switch to the closed form at the milestone (``_update_lr(0)``).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .base import Knob, show

LR = float | np.ndarray
MAX_INT = 10 ** 9  # longer periods than any run; larger ints would overflow math.pi / T


@dataclass(frozen=True)
class Schedule:
    """A configured schedule: its name, its (torch) arguments and its two functions."""

    name: str
    kwargs: dict[str, Any]
    first: Callable[[LR], LR] = field(repr=False, compare=False)
    next: Callable[[LR, int, LR], LR] = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        """Short and stable, e.g. ``cosine(T_max=100, eta_min=0)``: fit for a legend or a cache key."""
        return f"{self.name}({', '.join(f'{k}={v:g}' for k, v in self.kwargs.items())})"

    def lrs(self, base_lr: LR, steps: int) -> np.ndarray:
        """The lr each of steps 1..steps uses, shaped ``(steps, *np.shape(base_lr))``."""
        base = base_lr if isinstance(base_lr, np.ndarray) else float(base_lr)
        out = np.empty((steps, *np.shape(base)))
        lr = self.first(base)
        for t in range(steps):
            out[t] = lr
            lr = self.next(lr, t + 1, base)
        return out


@dataclass(frozen=True)
class ScheduleSpec:
    """The registry entry: what a page needs to offer a schedule."""

    name: str
    label: str
    factory: Callable[..., tuple[Callable, Callable]]
    knobs: tuple[Knob, ...]      # scale "int" for whole numbers
    torch: str
    idea: str
    required: tuple[str, ...]    # arguments without a default

    @property
    def defaults(self) -> dict[str, Any]:
        import inspect
        return {n: p.default for n, p in inspect.signature(self.factory).parameters.items()
                if p.default is not p.empty}


# --- validation, in torch's words ------------------------------------------

def _whole(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Expected positive integer {name}, but got {show(value)}")
    if not 1 <= value <= MAX_INT:
        raise ValueError(f"Expected positive integer {name}, but got {show(value)} "
                         f"(at most {MAX_INT:,})")
    return int(value)


def _real(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {name} value: {show(value)} (need a number)")
    try:
        return float(value) + 0.0
    except OverflowError:
        raise ValueError(f"Invalid {name} value: {show(value)} (too large for a float)") from None


def _non_negative(value: Any, name: str) -> float:
    x = _real(value, name)
    if not 0.0 <= x < math.inf:
        raise ValueError(f"Invalid {name} value: {show(value)} (need a finite number >= 0)")
    return x


def _start_factor(value: Any) -> float:
    x = _real(value, "start_factor")
    if not 0.0 < x <= 1.0:
        raise ValueError("Starting multiplicative factor expected to be greater than 0 and less or "
                         f"equal to 1. Got start_factor={show(value)}.")
    return x


def _end_factor(value: Any) -> float:
    x = _real(value, "end_factor")
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"Ending multiplicative factor expected to be between 0 and 1. "
                         f"Got end_factor={show(value)}.")
    return x


# --- the schedules: torch's get_lr(), in the same association ---------------

def step(step_size, gamma=0.1):
    step_size, gamma = _whole(step_size, "step_size"), _non_negative(gamma, "gamma")

    def first(base):
        return base

    def next(lr, epoch, base):
        return lr * gamma if epoch % step_size == 0 else lr

    return first, next


def exponential(gamma):
    gamma = _non_negative(gamma, "gamma")

    def first(base):
        return base

    def next(lr, epoch, base):
        return lr * gamma

    return first, next


def cosine(T_max, eta_min=0.0):
    T_max, eta_min = _whole(T_max, "T_max"), _non_negative(eta_min, "eta_min")

    def first(base):
        return base

    def next(lr, epoch, base):
        if (epoch - 1 - T_max) % (2 * T_max) == 0:  # just past a trough: 1 + cos(...) would be 0
            return lr + (base - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
        return ((1 + math.cos(math.pi * epoch / T_max))
                / (1 + math.cos(math.pi * (epoch - 1) / T_max)) * (lr - eta_min) + eta_min)

    return first, next


def _cosine_closed_form(T_max, eta_min, epoch, base):
    """CosineAnnealingLR._get_closed_form_lr, used by SequentialLR at a milestone."""
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2


def linear(start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
    start_factor, end_factor = _start_factor(start_factor), _end_factor(end_factor)
    total_iters = _whole(total_iters, "total_iters")

    def first(base):
        return base * start_factor

    def next(lr, epoch, base):
        if epoch > total_iters:
            return lr
        return lr * (1.0 + (end_factor - start_factor)
                     / (total_iters * start_factor + (epoch - 1) * (end_factor - start_factor)))

    return first, next


def warmup_cosine(warmup_steps, T_max, start_factor=1.0 / 3, eta_min=0.0):
    """LinearLR(start_factor, 1.0, warmup_steps) then CosineAnnealingLR(T_max, eta_min),
    composed by SequentialLR with the milestone at warmup_steps."""
    warmup_steps = _whole(warmup_steps, "warmup_steps")
    warm_first, warm_next = linear(start_factor, 1.0, warmup_steps)
    _, cos_next = cosine(T_max, eta_min)
    T_max, eta_min = int(T_max), float(eta_min) + 0.0

    def next(lr, epoch, base):
        if epoch < warmup_steps:
            return warm_next(lr, epoch, base)
        if epoch == warmup_steps:
            return _cosine_closed_form(T_max, eta_min, 0, base)
        return cos_next(lr, epoch - warmup_steps, base)

    return warm_first, next


def _int_knob(name, symbol, hi, help):
    return Knob(name, symbol, 1, hi, scale="int", help=help)


_SPECS = {s.name: s for s in (
    ScheduleSpec("step", "Step decay", step,
                 (_int_knob("step_size", "s", 1000, "steps between decays"),
                  Knob("gamma", "γ", 0.0, 1.0, help="factor applied at each decay")),
                 "torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma)",
                 "Multiply the learning rate by γ every step_size steps: a staircase.",
                 ("step_size",)),
    ScheduleSpec("exponential", "Exponential decay", exponential,
                 (Knob("gamma", "γ", 0.9, 1.0, scale="memory", help="factor applied every step"),),
                 "torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)",
                 "Multiply the learning rate by γ after every step: a smooth decay.",
                 ("gamma",)),
    ScheduleSpec("cosine", "Cosine annealing", cosine,
                 (_int_knob("T_max", "T", 1000, "steps from the full lr down to eta_min"),
                  Knob("eta_min", "η_min", 0.0, 1.0, help="the lowest learning rate")),
                 "torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min)",
                 "Lower the learning rate along half a cosine, from η down to η_min in T_max "
                 "steps (and back up after that, as torch does).",
                 ("T_max",)),
    ScheduleSpec("linear", "Linear warm-up", linear,
                 (Knob("start_factor", "f₀", 0.01, 1.0, scale="log", help="fraction of lr at step 1"),
                  Knob("end_factor", "f₁", 0.0, 1.0, help="fraction of lr after total_iters steps"),
                  _int_knob("total_iters", "n", 1000, "steps to go from f₀ to f₁")),
                 "torch.optim.lr_scheduler.LinearLR(optimizer, start_factor, end_factor, total_iters)",
                 "Ramp the learning rate linearly from f₀·η to f₁·η over total_iters steps, "
                 "then hold it: the usual warm-up.",
                 ()),
    ScheduleSpec("warmup_cosine", "Warm-up, then cosine", warmup_cosine,
                 (_int_knob("warmup_steps", "w", 1000, "steps of linear warm-up"),
                  _int_knob("T_max", "T", 1000, "steps of cosine decay after the warm-up"),
                  Knob("start_factor", "f₀", 0.01, 1.0, scale="log", help="fraction of lr at step 1"),
                  Knob("eta_min", "η_min", 0.0, 1.0, help="the lowest learning rate")),
                 "torch.optim.lr_scheduler.SequentialLR(optimizer, [LinearLR(optimizer, start_factor, "
                 "1.0, warmup_steps), CosineAnnealingLR(optimizer, T_max, eta_min)], [warmup_steps])",
                 "Warm up linearly from f₀·η to η over warmup_steps steps, then anneal along a "
                 "cosine down to η_min over T_max steps.",
                 ("warmup_steps", "T_max")),
)}


def names() -> tuple[str, ...]:
    """Registered schedule names, in display order."""
    return tuple(_SPECS)


def spec(name: str) -> ScheduleSpec:
    try:
        return _SPECS[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown schedule: {show(name)}. Valid schedules: {', '.join(_SPECS)}") from None


def schedule(name: str, **kwargs) -> Schedule:
    """A configured schedule with torch.optim.lr_scheduler's argument names and defaults.

    ``schedule("cosine", T_max=100)``; invalid arguments raise torch's messages
    (a ValueError or TypeError naming the value).
    """
    s = spec(name)
    defaults = s.defaults
    accepted = (*s.required, *defaults)
    unknown = [k for k in kwargs if k not in accepted]
    if unknown:
        raise TypeError(f"Unknown argument for schedule {name!r}: {show(unknown[0])}. "
                        f"Accepted: {', '.join(accepted)}")
    missing = [k for k in s.required if k not in kwargs]
    if missing:
        raise TypeError(f"Schedule {name!r} needs {' and '.join(missing)}")
    first, next = s.factory(**kwargs)  # validates
    values = {**defaults, **kwargs}
    values = {k: int(v) if isinstance(v, (int, np.integer)) else float(v) + 0.0
              for k, v in ((k, values[k]) for k in accepted)}
    return Schedule(name, values, first, next)
