"""Gradient-descent optimizers in NumPy, step for step the ones in ``torch.optim``.

    import optimizers, surfaces
    opt = optimizers.get("adam", lr=0.01)
    tr = optimizers.run(opt, surfaces.get("bowl"), start, steps=100)

Any numeric hyperparameter may also be an array that broadcasts with the
batch of starts, one path per value, each bit for bit the path of a run with
that value alone (a learning-rate sweep in one call)::

    lrs = np.geomspace(1e-4, 1, 200)
    tr = optimizers.run(optimizers.get("adam", lr=lrs), surface, start, 500)   # 200 paths

``run`` also takes ``schedule=optimizers.schedule("cosine", T_max=100)``
(torch.optim.lr_scheduler's schedules, step for step), ``record=True`` (the
gradient, update, memory and step size inside every step) and, on a data
surface, ``batch_size=B`` (minibatch gradients, SGD's real noise; with
``seed=[s0, s1, ...]`` each path of the batch draws its own minibatches, bit
for bit the run with its seed alone), and ``losses=False`` (skip evaluating
the loss at every point afterwards).  What one
call may ask for is bounded (``MAX_STEPS``, ``MAX_PATHS``, ``MAX_POINT_STEPS``,
... in ``optimizers.limits``); beyond a limit, a ValueError names it.

Add an optimizer: one new file with its factory and ``Spec``, one line below.
"""

from __future__ import annotations

from . import adadelta, adagrad, adam, adamax, nadam, radam, rmsprop, sgd
from .base import Knob, Optimizer, Spec, build
from .limits import (DATA_GRADIENT_COST, DATA_ROWS_PER_POINT_STEP, MAX_ARRAY_SIZE, MAX_PATHS, MAX_POINT_STEPS,
                     MAX_RECORD_POINT_STEPS, MAX_STEPS, MAX_STEPWISE, point_step_cost)
from . import schedules
from .run import Trajectory, escape_radius, run
from .schedules import Schedule, ScheduleSpec

_SPECS = {spec.name: spec for spec in (
    sgd.SGD,
    sgd.MOMENTUM,
    sgd.NESTEROV,
    adagrad.ADAGRAD,
    adadelta.ADADELTA,
    rmsprop.RMSPROP,
    adam.ADAM,
    adam.AMSGRAD,
    adamax.ADAMAX,
    nadam.NADAM,
    radam.RADAM,
)}


def names() -> tuple[str, ...]:
    """Registered optimizer names, in display order."""
    return tuple(_SPECS)


def spec(name: str) -> Spec:
    """The registry entry for ``name`` (label, knobs, defaults, rule, intuition)."""
    try:
        return _SPECS[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown optimizer: {name!r}. Valid optimizers: {', '.join(_SPECS)}") from None


def get(name: str, **hyper) -> Optimizer:
    """A configured optimizer; torch.optim's names and defaults, validated up front."""
    return build(spec(name), hyper)


def schedule(name: str, **kwargs) -> Schedule:
    """A learning-rate schedule, ``torch.optim.lr_scheduler``'s (see ``optimizers.schedules``).

    ``schedule("step", step_size=30, gamma=0.1)``, ``schedule("exponential", gamma=0.99)``,
    ``schedule("cosine", T_max=100, eta_min=0.0)``,
    ``schedule("linear", start_factor=1/3, end_factor=1.0, total_iters=5)``,
    ``schedule("warmup_cosine", warmup_steps=10, T_max=90, start_factor=1/3, eta_min=0.0)``;
    pass it to ``run(..., schedule=...)``.
    """
    return schedules.schedule(name, **kwargs)


def schedule_names() -> tuple[str, ...]:
    """Registered schedule names, in display order."""
    return schedules.names()


def schedule_spec(name: str) -> ScheduleSpec:
    """The registry entry for schedule ``name`` (label, knobs, defaults, torch call, idea)."""
    return schedules.spec(name)


__all__ = ["Knob", "Optimizer", "Schedule", "ScheduleSpec", "Spec", "Trajectory",
           "schedule", "schedule_names", "schedule_spec", "escape_radius", "get", "names", "run", "spec",
           "DATA_GRADIENT_COST", "DATA_ROWS_PER_POINT_STEP", "MAX_ARRAY_SIZE", "MAX_PATHS", "MAX_POINT_STEPS", "MAX_RECORD_POINT_STEPS", "MAX_STEPS",
           "MAX_STEPWISE", "point_step_cost"]
