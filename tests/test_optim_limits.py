"""Limits no caller can exceed: each refusal is a ValueError naming the limit.

The numbers live in optimizers/limits.py (exported as optimizers.MAX_*); they
are sized so that any run within them takes about a second or less on the
project's 2-core machine (bench/bench_sweep.py prints the worst cases).
"""

import numpy as np
import pytest

import optimizers
import surfaces
from optimizers import (DATA_GRADIENT_COST, DATA_ROWS_PER_POINT_STEP, MAX_PATHS, MAX_POINT_STEPS, MAX_STEPS,
                        MAX_STEPWISE)

BOWL = surfaces.get("bowl")
SGD = optimizers.get("sgd", lr=0.1)


def refused(match, opt=SGD, surface=BOWL, start=(1.0, 1.0), steps=10, **kw):
    with pytest.raises(ValueError, match=match):
        optimizers.run(opt, surface, start, steps, **kw)


def test_the_limits_are_exported_numbers():
    assert MAX_STEPS == 10_000 and MAX_PATHS == 250_000
    assert MAX_STEPS < MAX_POINT_STEPS and MAX_PATHS < MAX_POINT_STEPS
    assert optimizers.MAX_RECORD_POINT_STEPS <= MAX_POINT_STEPS
    assert MAX_POINT_STEPS >= 100 * 100 * 300  # a 100 x 100 convergence map of 300 steps


class Costly:
    name, x_range, y_range, grad_cost = "costly", (-1.0, 1.0), (-1.0, 1.0), 2.5

    def value(self, xy):
        return BOWL.value(xy)

    def grad(self, xy):
        return BOWL.grad(xy)


def test_point_step_cost():
    assert optimizers.point_step_cost(BOWL) == 1
    assert optimizers.point_step_cost(Costly()) == 2.5
    paths = int(MAX_POINT_STEPS / 2.5) // 100 + 1
    refused(rf"^Too much work: 100 steps × {paths:,} paths × 2.5 \(the surface's grad_cost\)",
            surface=Costly(), start=np.zeros((paths, 2)), steps=100)
    assert optimizers.point_step_cost(DataBowl(60)) == DATA_GRADIENT_COST + 60 / DATA_ROWS_PER_POINT_STEP
    assert optimizers.point_step_cost(DataBowl(60), batch_size=4) == (
        DATA_GRADIENT_COST + 4 / DATA_ROWS_PER_POINT_STEP)


def test_steps():
    refused(rf"^Too many steps: 10001 \(at most MAX_STEPS = 10,000\)$", steps=MAX_STEPS + 1)
    refused(r"^Too many steps: an integer of 1329 bits", steps=10 ** 400)
    tr = optimizers.run(SGD, BOWL, (1.0, 1.0), MAX_STEPS)
    assert tr.points.shape == (MAX_STEPS + 1, 2)


def test_paths_counted_after_broadcasting():
    refused(r"^Too many paths: 250,001 \(batch shaped \(250001,\); at most MAX_PATHS = 250,000\)$",
            start=np.zeros((MAX_PATHS + 1, 2)), steps=1)
    lrs = optimizers.get("sgd", lr=np.full((1000, 1), 0.1))
    refused(r"^Too many paths: 1,000,000 \(batch shaped \(1000, 1000\)", opt=lrs,
            start=np.zeros((1000, 2)), steps=1)


def test_work_is_steps_times_paths():
    paths = MAX_POINT_STEPS // 1000 + 1
    refused(rf"^Too much work: 1,000 steps × {paths:,} paths = {1000 * paths:,} point-steps "
            rf"\(at most MAX_POINT_STEPS = {MAX_POINT_STEPS:,}\)$",
            start=np.zeros((paths, 2)), steps=1000)


class DataBowl:
    """A stand-in data surface: n_data rows, each the bowl shifted a little."""

    name, x_range, y_range = "data_bowl", (-10.0, 10.0), (-5.0, 5.0)

    def __init__(self, n_data):
        self.n_data = n_data
        self.shift = np.linspace(-1, 1, n_data)

    def value(self, xy):
        return BOWL.value(xy)

    def grad(self, xy, rows=None):
        return BOWL.grad(xy)


def test_data_gradients_cost_more():
    n = 60
    cost = DATA_GRADIENT_COST + n / DATA_ROWS_PER_POINT_STEP
    paths = int(MAX_POINT_STEPS / cost) // 100 + 1
    refused(rf"^Too much work: 100 steps × {paths:,} paths × {cost:g} \(a gradient over 60 data rows "
            rf"costs {DATA_GRADIENT_COST} \+ 60/{DATA_ROWS_PER_POINT_STEP} point-steps\)",
            surface=DataBowl(n), start=np.zeros((paths, 2)), steps=100)


def test_distinct_stepwise_values():
    betas = (np.linspace(0, 0.99, 5000), 0.999)
    opt = optimizers.get("adam", betas=betas)
    steps = MAX_STEPWISE // 5000 + 1
    refused(rf"^Too many distinct values of betas\[0\] for {steps:,} steps: 5,000 × {steps:,} = "
            rf"{5000 * steps:,} \(at most MAX_STEPWISE = {MAX_STEPWISE:,};", opt=opt, steps=steps)
    # The same number of paths with one beta1 broadcast over them costs one value per step.
    one = optimizers.get("adam", betas=(np.full(5000, 0.9), 0.999))
    optimizers.run(one, BOWL, (1.0, 1.0), steps)
    # lr is never a per-step Python number: any number of distinct values is fine.
    optimizers.run(optimizers.get("adam", lr=np.geomspace(1e-4, 1, 5000)), BOWL, (1.0, 1.0), steps)
