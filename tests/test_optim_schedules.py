"""Learning-rate schedules: torch.optim.lr_scheduler's names, defaults, messages and arithmetic.

That their paths are torch's own is tested against PyTorch's fixtures in
test_torch_parity.py; here: the API, the messages, arrays of learning rates.
"""

import math

import numpy as np
import pytest

import optimizers
import surfaces

EXAMPLES = {
    "step": {"step_size": 10, "gamma": 0.5},
    "exponential": {"gamma": 0.95},
    "cosine": {"T_max": 25, "eta_min": 1e-3},
    "linear": {"start_factor": 0.2, "end_factor": 1.0, "total_iters": 15},
    "warmup_cosine": {"warmup_steps": 5, "T_max": 30, "start_factor": 0.1, "eta_min": 0.0},
}


def test_registry():
    assert optimizers.schedule_names() == ("step", "exponential", "cosine", "linear", "warmup_cosine")
    for name in optimizers.schedule_names():
        spec = optimizers.schedule_spec(name)
        accepted = (*spec.required, *spec.defaults)
        assert [k.name for k in spec.knobs] == list(accepted)
        assert spec.torch.startswith("torch.optim.lr_scheduler.") and spec.idea and spec.label
    assert optimizers.schedule_spec("linear").defaults == {
        "start_factor": 1 / 3, "end_factor": 1.0, "total_iters": 5}
    assert optimizers.schedule_spec("step").defaults == {"gamma": 0.1}


def test_name_kwargs_and_label():
    s = optimizers.schedule("cosine", T_max=100)
    assert s.name == "cosine" and s.kwargs == {"T_max": 100, "eta_min": 0.0}
    assert s.label == "cosine(T_max=100, eta_min=0)"
    s = optimizers.schedule("step", step_size=np.int64(30))
    assert s.kwargs == {"step_size": 30, "gamma": 0.1} and type(s.kwargs["step_size"]) is int
    assert optimizers.schedule("linear").label == "linear(start_factor=0.333333, end_factor=1, total_iters=5)"


@pytest.mark.parametrize("name", EXAMPLES)
def test_lrs_of_an_array_are_the_lrs_of_each_value(name):
    s = optimizers.schedule(name, **EXAMPLES[name])
    base = np.array([[0.1], [2.5]])
    lrs = s.lrs(base, 80)
    assert lrs.shape == (80, 2, 1)
    for i, b in enumerate(base[:, 0]):
        assert np.array_equal(lrs[:, i, 0], s.lrs(b, 80))
    assert s.lrs(0.1, 0).shape == (0,)


def test_familiar_shapes():
    lrs = optimizers.schedule("step", step_size=3, gamma=0.5).lrs(1.0, 7)
    assert lrs.tolist() == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    lrs = optimizers.schedule("linear", start_factor=0.5, total_iters=2).lrs(1.0, 4)
    assert lrs.tolist() == [0.5, 0.75, 1.0, 1.0]
    lrs = optimizers.schedule("cosine", T_max=10).lrs(1.0, 21)
    assert lrs[0] == 1.0 and abs(lrs[10]) < 1e-15 and abs(lrs[20] - 1.0) < 1e-12  # and back up
    lrs = optimizers.schedule("warmup_cosine", warmup_steps=4, T_max=8, start_factor=0.25).lrs(1.0, 14)
    assert lrs[0] == 0.25 and lrs[4] == 1.0 and abs(lrs[12]) < 1e-15


@pytest.mark.parametrize("name", optimizers.names())
@pytest.mark.parametrize("sched", EXAMPLES)
def test_array_lr_under_a_schedule_is_the_loop(name, sched):
    """Bit for bit, including rows that diverge and are dropped mid-run."""
    s = surfaces.get("rosenbrock")
    schedule = optimizers.schedule(sched, **EXAMPLES[sched])
    lrs = np.array([1e-3, 0.01, 0.1, 3.0, 100.0])
    batch = optimizers.run(optimizers.get(name, lr=lrs), s, s.start, 60, schedule=schedule)
    assert (batch.diverged_at > 0).any() or name == "adadelta"
    for i, lr in enumerate(lrs):
        one = optimizers.run(optimizers.get(name, lr=lr), s, s.start, 60, schedule=schedule)
        assert np.array_equal(one.points, batch.points[:, i], equal_nan=True)
        assert one.diverged_at == batch.diverged_at[i]


def test_a_schedule_changes_the_path_and_a_constant_one_does_not():
    s, opt = surfaces.get("bowl"), optimizers.get("momentum", lr=0.05)
    plain = optimizers.run(opt, s, s.start, 50)
    flat = optimizers.run(opt, s, s.start, 50, schedule=optimizers.schedule("exponential", gamma=1.0))
    decayed = optimizers.run(opt, s, s.start, 50, schedule=optimizers.schedule("exponential", gamma=0.9))
    assert np.array_equal(plain.points, flat.points)
    assert not np.allclose(plain.points, decayed.points)


@pytest.mark.parametrize("name, kwargs, error, message", [
    ("linear", {"start_factor": 0.0}, ValueError,
     "Starting multiplicative factor expected to be greater than 0 and less or equal to 1. "
     "Got start_factor=0.0."),
    ("linear", {"start_factor": 1.5}, ValueError, "Starting multiplicative factor expected"),
    ("linear", {"start_factor": math.nan}, ValueError, "Starting multiplicative factor expected"),
    ("warmup_cosine", {"warmup_steps": 5, "T_max": 5, "start_factor": -1}, ValueError,
     "Starting multiplicative factor expected to be greater than 0 and less or equal to 1. "
     "Got start_factor=-1."),
    ("linear", {"end_factor": 1.5}, ValueError,
     "Ending multiplicative factor expected to be between 0 and 1. Got end_factor=1.5."),
    ("linear", {"end_factor": -0.1}, ValueError, "Ending multiplicative factor expected"),
    ("linear", {"total_iters": 0}, ValueError, "Expected positive integer total_iters, but got 0"),
    ("step", {"step_size": 0}, ValueError, "Expected positive integer step_size, but got 0"),
    ("step", {"step_size": 2.5}, TypeError, "Expected positive integer step_size, but got 2.5"),
    ("step", {"step_size": True}, TypeError, "Expected positive integer step_size, but got True"),
    ("step", {"step_size": "10"}, TypeError, "Expected positive integer step_size, but got '10'"),
    ("step", {"step_size": 10 ** 12}, ValueError, "Expected positive integer step_size, but got "
                                                  "1000000000000 (at most 1,000,000,000)"),
    ("step", {"step_size": 5, "gamma": -0.5}, ValueError,
     "Invalid gamma value: -0.5 (need a finite number >= 0)"),
    ("exponential", {"gamma": math.inf}, ValueError, "Invalid gamma value: inf"),
    ("exponential", {"gamma": None}, TypeError, "Invalid gamma value: None (need a number)"),
    ("exponential", {"gamma": np.array([0.9])}, TypeError, "Invalid gamma value: an array shaped (1,)"),
    ("cosine", {"T_max": -3}, ValueError, "Expected positive integer T_max, but got -3"),
    ("cosine", {"T_max": 10, "eta_min": -1e-3}, ValueError, "Invalid eta_min value: -0.001"),
    ("cosine", {"T_max": 10, "eta_min": math.nan}, ValueError, "Invalid eta_min value: nan"),
    ("warmup_cosine", {"warmup_steps": 0, "T_max": 5}, ValueError,
     "Expected positive integer warmup_steps, but got 0"),
    ("cosine", {}, TypeError, "Schedule 'cosine' needs T_max"),
    ("warmup_cosine", {}, TypeError, "Schedule 'warmup_cosine' needs warmup_steps and T_max"),
    ("cosine", {"T_max": 5, "T_0": 3}, TypeError,
     "Unknown argument for schedule 'cosine': 'T_0'. Accepted: T_max, eta_min"),
    ("onecycle", {}, ValueError, "Unknown schedule: 'onecycle'. Valid schedules: step, exponential, "
                                 "cosine, linear, warmup_cosine"),
])
def test_invalid_arguments_get_torch_style_messages(name, kwargs, error, message):
    with pytest.raises(error) as err:
        optimizers.schedule(name, **kwargs)
    assert str(err.value).startswith(message), str(err.value)


def test_run_refuses_a_schedule_that_is_not_one():
    with pytest.raises(TypeError, match=r"^Invalid schedule: 'cosine' \(need optimizers.schedule"):
        optimizers.run(optimizers.get("sgd"), surfaces.get("bowl"), (1, 1), 5, schedule="cosine")
