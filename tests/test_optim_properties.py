"""Properties of every run, over random valid hyperparameters, surfaces, starts and step counts.

For any optimizer, any hyperparameters across their whole valid range (lr
from 1e-12 to 1e4, betas next to 1, eps from 0 to large), any surface, starts
inside the window or far outside it, and 0 to 1000 steps:

- nothing raises, and NumPy warns about nothing (warnings are errors here,
  under NumPy's default error state);
- every point is finite up to the step marked in ``diverged_at``, and NaN
  from that step on (the losses likewise);
- a batch equals one run per start, bit for bit (without noise), and so does
  a batch of hyperparameter values, and a batch of learning rates under any
  schedule;
- ``record=True`` leaves the path as it is;
- minibatch runs on the data surfaces are as sound, and shared by the batch.

Sized to run in seconds; for a long hunt set OPTIM_EXAMPLES (examples per test).
"""

import math
import os
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimizers
import surfaces

EXAMPLES = int(os.environ.get("OPTIM_EXAMPLES", 12))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ONE_BELOW_1 = math.nextafter(1.0, 0.0)


def log_uniform(lo_exp, hi_exp, extremes=()):
    """10**u for u uniform in [lo_exp, hi_exp], or one of the extremes."""
    return st.one_of(st.sampled_from(list(extremes) or [10.0 ** lo_exp]),
                     st.floats(lo_exp, hi_exp).map(lambda e: 10.0 ** e))


def unit(closed=False):
    """[0, 1) (or [0, 1]), crowded towards both ends as well as spread between."""
    near_one = st.floats(1, 16).map(lambda k: 1 - 10.0 ** -k).filter(lambda b: b < 1)
    ends = [0.0, ONE_BELOW_1] + ([1.0] if closed else [])
    return st.one_of(st.sampled_from(ends), st.floats(0, 1, exclude_max=not closed), near_one)


VALUE = {
    "lr": log_uniform(-12, 4, extremes=(0.0, 1e-12, 1e4)),
    "eps": log_uniform(-300, 2, extremes=(0.0, 1e-300, 100.0)),
    "weight_decay": st.one_of(st.just(0.0), log_uniform(-6, 1)),
    "momentum": st.one_of(unit(), st.floats(1, 2)),
    "dampening": unit(closed=True),
    "rho": unit(closed=True),
    "alpha": st.one_of(unit(), st.floats(1, 1.5)),
    "lr_decay": st.one_of(st.just(0.0), log_uniform(-6, 3)),
    "initial_accumulator_value": st.one_of(st.just(0.0), log_uniform(-6, 3)),
    "momentum_decay": st.one_of(st.just(0.0), log_uniform(-6, 1)),
    "centered": st.booleans(),
}


def hyperparameters(name):
    """Random valid kwargs for optimizer ``name`` (every hyperparameter, every time)."""
    keys = {}
    for key in optimizers.spec(name).defaults:
        if key == "betas":
            keys[key] = st.tuples(unit(), unit())
        elif name == "nesterov" and key == "momentum":
            keys[key] = st.floats(1e-6, 2)
        else:
            keys[key] = VALUE[key]
    return st.fixed_dictionaries(keys)


SURFACES = surfaces.names()


@st.composite
def starts(draw, surface, k):
    """k starts: inside the window, or up to a million window widths outside it."""
    s = surfaces.get(surface)
    lo = np.array([s.x_range[0], s.y_range[0]])
    width = np.array([s.x_range[1] - s.x_range[0], s.y_range[1] - s.y_range[0]])
    out = []
    for _ in range(k):
        where = draw(st.sampled_from(["inside", "inside", "near", "far", "huge"]))
        u = np.array([draw(st.floats(0, 1)), draw(st.floats(0, 1))])
        if where == "inside":
            xy = lo + width * u
        elif where == "near":
            xy = lo + width * (3 * u - 1)
        elif where == "far":
            xy = lo + width * 1e6 * (2 * u - 1)
        else:
            xy = np.array([draw(st.sampled_from([1e300, -1e300, 1e200])), 0.0]) * u[1]
        out.append(xy)
    return np.array(out)


STEPS = st.one_of(st.sampled_from([0, 1, 2, 7]), st.integers(0, 1000))


@contextmanager
def strict():
    """NumPy's default error state, and every warning an error."""
    with warnings.catch_warnings(), np.errstate(divide="warn", over="warn", under="ignore",
                                                invalid="warn"):
        warnings.simplefilter("error")
        yield


def assert_marked(tr, surface):
    """Finite until diverged_at, NaN from it on: points and losses.

    A start may lie beyond the escape radius (the path is then marked at step
    1 unless the first step brings it back), and a surface may overflow out
    there: only that step-0 loss may be inf or NaN.
    """
    steps = tr.points.shape[0] - 1
    points = tr.points.reshape(steps + 1, -1, 2)
    losses = tr.losses.reshape(steps + 1, -1)
    radius = optimizers.escape_radius(surface)
    for i, t in enumerate(tr.diverged_at.ravel()):
        end = steps + 1 if t == -1 else t
        assert t == -1 or 1 <= t <= steps, t
        assert np.isfinite(points[:end, i]).all(), f"path {i} not finite before step {end}"
        assert (np.abs(points[1:end, i]) <= radius).all(), f"path {i} escaped but is not marked"
        first = 0 if (np.abs(points[0, i]) <= radius).all() else 1
        assert np.isfinite(losses[first:end, i]).all(), f"loss {i} not finite before step {end}"
        assert np.isnan(points[end:, i]).all() and np.isnan(losses[end:, i]).all()


def same(a, b):
    return (np.array_equal(a.points, b.points, equal_nan=True)
            and np.array_equal(a.losses, b.losses, equal_nan=True)
            and np.array_equal(a.diverged_at, b.diverged_at))


@pytest.mark.parametrize("name", optimizers.names())
@SETTINGS
@given(data=st.data())
def test_any_valid_run_is_sound(name, data):
    surface = data.draw(st.sampled_from(SURFACES), "surface")
    kwargs = data.draw(hyperparameters(name), "kwargs")
    k = data.draw(st.integers(1, 3), "k")
    xy = data.draw(starts(surface, k), "starts")
    steps = data.draw(STEPS, "steps")
    s = surfaces.get(surface)
    with strict():
        opt = optimizers.get(name, **kwargs)
        batch = optimizers.run(opt, s, xy, steps)
        loop = [optimizers.run(opt, s, start, steps) for start in xy]
        recorded = optimizers.run(opt, s, xy, steps, record=True)
    assert batch.points.shape == (steps + 1, k, 2)
    assert_marked(batch, s)
    assert same(recorded, batch), "record=True changed the path"
    for field in ("grads", "updates", "memory", "step_size"):
        a = getattr(recorded, field)
        if a is not None:
            assert a.shape == (steps, k, 2)
            assert np.isnan(a[np.isnan(batch.points[1:])]).all(), f"{field} recorded after divergence"
    for i, one in enumerate(loop):
        assert same(one, optimizers.Trajectory(batch.points[:, i], batch.losses[:, i],
                                               batch.diverged_at[i])), f"start {i} differs"


@pytest.mark.parametrize("name", optimizers.names())
@SETTINGS
@given(data=st.data())
def test_a_batch_of_hyperparameter_values_is_the_loop(name, data):
    """Every hyperparameter an array of k values at once: row i is the run with the i-th values."""
    surface = data.draw(st.sampled_from(SURFACES), "surface")
    k = data.draw(st.integers(1, 3), "k")
    rows = [data.draw(hyperparameters(name), f"kwargs {i}") for i in range(k)]
    xy = data.draw(starts(surface, 1), "start")[0]
    steps = data.draw(STEPS, "steps")
    arrays = {}
    for key, value in rows[0].items():
        if isinstance(value, bool):
            arrays[key] = value  # a switch, not a number: the same for every row
            for r in rows:
                r[key] = value
        else:
            arrays[key] = np.array([r[key] for r in rows])
    s = surfaces.get(surface)
    with strict():
        batch = optimizers.run(optimizers.get(name, **arrays), s, xy, steps)
        loop = [optimizers.run(optimizers.get(name, **r), s, xy, steps) for r in rows]
    assert_marked(batch, s)
    for i, one in enumerate(loop):
        assert same(one, optimizers.Trajectory(batch.points[:, i], batch.losses[:, i],
                                               batch.diverged_at[i])), f"values {i} differ"


@SETTINGS
@given(data=st.data())
def test_noise_runs_are_sound_and_reproducible(data):
    name = data.draw(st.sampled_from(optimizers.names()), "name")
    surface = data.draw(st.sampled_from(SURFACES), "surface")
    kwargs = data.draw(hyperparameters(name), "kwargs")
    xy = data.draw(starts(surface, 2), "starts")
    steps = data.draw(STEPS, "steps")
    noise = data.draw(log_uniform(-6, 3, extremes=(0.0, 1e3)), "noise")
    seed = data.draw(st.integers(0, 2 ** 64), "seed")
    s = surfaces.get(surface)
    with strict():
        opt = optimizers.get(name, **kwargs)
        a = optimizers.run(opt, s, xy, steps, noise=noise, seed=seed)
        b = optimizers.run(opt, s, xy, steps, noise=noise, seed=seed)
    assert_marked(a, s)
    assert same(a, b)


SCHEDULES = st.one_of(
    st.builds(lambda s, g: optimizers.schedule("step", step_size=s, gamma=g),
              st.integers(1, 2000), st.floats(0, 1.5)),
    st.builds(lambda g: optimizers.schedule("exponential", gamma=g), st.floats(0, 1.5)),
    st.builds(lambda t, e: optimizers.schedule("cosine", T_max=t, eta_min=e),
              st.integers(1, 2000), st.one_of(st.just(0.0), log_uniform(-12, 2))),
    st.builds(lambda f0, f1, n: optimizers.schedule("linear", start_factor=f0, end_factor=f1,
                                                    total_iters=n),
              st.floats(1e-9, 1), st.floats(0, 1), st.integers(1, 2000)),
    st.builds(lambda w, t, f0, e: optimizers.schedule("warmup_cosine", warmup_steps=w, T_max=t,
                                                      start_factor=f0, eta_min=e),
              st.integers(1, 500), st.integers(1, 2000), st.floats(1e-9, 1),
              st.one_of(st.just(0.0), log_uniform(-12, 2))),
)


@SETTINGS
@given(data=st.data())
def test_any_schedule_is_sound_and_a_batch_of_learning_rates_is_the_loop(data):
    name = data.draw(st.sampled_from(optimizers.names()), "name")
    surface = data.draw(st.sampled_from(SURFACES), "surface")
    kwargs = data.draw(hyperparameters(name), "kwargs")
    lrs = data.draw(st.lists(VALUE["lr"], min_size=1, max_size=3), "lrs")
    schedule = data.draw(SCHEDULES, "schedule")
    xy = data.draw(starts(surface, 1), "start")[0]
    steps = data.draw(STEPS, "steps")
    s = surfaces.get(surface)
    with strict():
        batch = optimizers.run(optimizers.get(name, **{**kwargs, "lr": np.array(lrs)}), s, xy, steps,
                               schedule=schedule)
        loop = [optimizers.run(optimizers.get(name, **{**kwargs, "lr": lr}), s, xy, steps,
                               schedule=schedule) for lr in lrs]
    assert_marked(batch, s)
    for i, one in enumerate(loop):
        assert same(one, optimizers.Trajectory(batch.points[:, i], batch.losses[:, i],
                                               batch.diverged_at[i])), f"lr {i} differs"


DATA_SURFACES = [n for n in SURFACES if surfaces.get(n).n_data > 0]


@pytest.mark.skipif(not DATA_SURFACES, reason="no data surface registered")
@SETTINGS
@given(data=st.data())
def test_minibatch_runs_are_sound_and_a_batch_is_the_loop(data):
    name = data.draw(st.sampled_from(optimizers.names()), "name")
    surface = data.draw(st.sampled_from(DATA_SURFACES), "surface")
    s = surfaces.get(surface)
    kwargs = data.draw(hyperparameters(name), "kwargs")
    batch_size = data.draw(st.integers(1, s.n_data), "batch_size")
    xy = data.draw(starts(surface, 2), "starts")
    steps = data.draw(STEPS, "steps")
    seed = data.draw(st.integers(0, 2 ** 32), "seed")
    with strict():
        opt = optimizers.get(name, **kwargs)
        batch = optimizers.run(opt, s, xy, steps, batch_size=batch_size, seed=seed)
        loop = [optimizers.run(opt, s, start, steps, batch_size=batch_size, seed=seed) for start in xy]
    assert_marked(batch, s)
    for i, one in enumerate(loop):
        assert same(one, optimizers.Trajectory(batch.points[:, i], batch.losses[:, i],
                                               batch.diverged_at[i])), f"start {i} differs"
