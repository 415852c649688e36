"""Bad input, tried on purpose: every invalid hyperparameter or run argument is refused
with a ValueError or TypeError whose message names the value (torch.optim's pattern).

The tables are generated from the registry, so a new optimizer's
hyperparameters are covered without editing this file.
"""

import math

import numpy as np
import pytest

import optimizers
import surfaces

# torch's wording for each hyperparameter's message.
WHAT = {
    "lr": "learning rate", "eps": "epsilon value", "weight_decay": "weight_decay value",
    "momentum": "momentum value", "dampening": "dampening value", "rho": "rho value",
    "alpha": "alpha value", "lr_decay": "lr_decay value",
    "initial_accumulator_value": "initial_accumulator_value value",
    "momentum_decay": "momentum_decay value",
}
UPPER = {"dampening": 1.5, "rho": 1.5}  # closed upper bound 1: a value above it

# (bad value, exception, the text that must follow "Invalid <what>: ")
BAD_NUMBERS = [
    (math.nan, ValueError, "nan"),
    (math.inf, ValueError, "inf"),
    (-math.inf, ValueError, "-inf"),
    (-0.5, ValueError, "-0.5"),
    (np.float64(-2.0), ValueError, "-2.0"),
    ("0.1", TypeError, "'0.1'"),
    ("abc", TypeError, "'abc'"),
    (True, TypeError, "True"),
    (False, TypeError, "False"),
    (np.True_, TypeError, "True"),
    (None, TypeError, "None"),
    (1 + 2j, TypeError, "(1+2j)"),
    ({"lr": 1}, TypeError, "{'lr': 1}"),
    (10 ** 400, ValueError, "an integer of 1329 bits"),
    ([0.1, math.nan], ValueError, "nan (at index 1)"),
    (np.array([0.1, 0.2, -1.0]), ValueError, "-1.0 (at index 2)"),
    (np.array([[0.1, 0.2], [0.3, math.inf]]), ValueError, "inf (at index (1, 1))"),
    ([0.1, "x"], TypeError, "'x' (at index 1"),
    ([0.1, None], TypeError, "None (at index 1"),
    ([True, False], TypeError, "True (at index 0"),
    (np.array([1, 2], dtype=complex), TypeError, "(1+0j) (at index 0"),
    ([], ValueError, "an empty array shaped (0,)"),
    ([[0.1], [0.2, 0.3]], ValueError, "[[0.1], [0.2, 0.3]]"),
    (np.zeros(optimizers.MAX_ARRAY_SIZE + 1), ValueError, f"an array of {optimizers.MAX_ARRAY_SIZE + 1:,} values"),
]


def numeric_cases():
    for name in optimizers.names():
        for key, default in optimizers.spec(name).defaults.items():
            if isinstance(default, (bool, tuple)):
                continue
            for value, error, text in BAD_NUMBERS:
                yield name, {key: value}, error, f"Invalid {WHAT[key]}: {text}"
            if key in UPPER:
                yield name, {key: UPPER[key]}, ValueError, f"Invalid {WHAT[key]}: {UPPER[key]}"
        if "betas" in optimizers.spec(name).defaults:
            for i in (0, 1):
                for value, error, text in BAD_NUMBERS + [(1.0, ValueError, "1.0"), (1.5, ValueError, "1.5")]:
                    betas = [0.9, 0.999]
                    betas[i] = value
                    yield name, {"betas": tuple(betas)}, error, f"Invalid beta parameter at index {i}: {text}"


@pytest.mark.parametrize("name, kwargs, error, message", list(numeric_cases()))
def test_bad_numbers_are_named(name, kwargs, error, message):
    with pytest.raises(error) as err:
        optimizers.get(name, **kwargs)
    assert str(err.value).startswith(message), str(err.value)
    assert len(str(err.value)) < 300


@pytest.mark.parametrize("name", ["adam", "amsgrad", "adamax", "nadam", "radam"])
@pytest.mark.parametrize("betas, text", [
    (0.9, "0.9"),
    ((0.9,), "(0.9,)"),
    ((0.9, 0.99, 0.5), "(0.9, 0.99, 0.5)"),
    ([0.9] * 20, "a list of 20 items"),
    ("ab", "'ab'"),
    ("0.9,0.999", "'0.9,0.999'"),
    (None, "None"),
    (np.zeros((4, 3)), "an array shaped (4, 3)"),
    (np.array(0.9), "0.9"),
])
def test_betas_of_the_wrong_shape(name, betas, text):
    with pytest.raises(ValueError) as err:
        optimizers.get(name, betas=betas)
    assert str(err.value).startswith(f"Invalid betas: {text} (need two numbers (beta1, beta2)")


@pytest.mark.parametrize("value", [1, 0, 1.0, "True", "false", None, np.array([True]), [True]])
def test_centered_must_be_a_real_bool(value):
    with pytest.raises(TypeError) as err:
        optimizers.get("rmsprop", centered=value)
    assert str(err.value).startswith(f"Invalid centered value: {optimizers.base.show(value)} "
                                     f"(need True or False)")


def test_real_bools_and_numpy_numbers_are_fine():
    assert optimizers.get("rmsprop", centered=np.True_).hyper["centered"] is True
    opt = optimizers.get("adam", lr=np.float32(0.5), eps=np.int64(0), betas=[np.float16(0.5), 0])
    assert opt.hyper["lr"] == 0.5 and type(opt.hyper["lr"]) is float
    assert opt.hyper["betas"] == (0.5, 0.0) and opt.hyper["eps"] == 0.0
    assert optimizers.get("sgd", lr=-0.0).hyper["lr"] == 0.0
    assert math.copysign(1, optimizers.get("sgd", lr=-0.0).hyper["lr"]) == 1  # -0.0 reads as 0.0


def test_nesterov_needs_momentum():
    with pytest.raises(ValueError, match=r"^Nesterov momentum requires a momentum and zero dampening, "
                                         r"got momentum=0.0$"):
        optimizers.get("nesterov", momentum=0.0)


def test_unknown_names():
    with pytest.raises(TypeError, match=r"Unknown hyperparameter for adam: 'beta1'\. Accepted: lr, betas"):
        optimizers.get("adam", beta1=0.9)
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'ＳＧＤ'\."):
        optimizers.get("ＳＧＤ")
    with pytest.raises(ValueError, match=r"Unknown optimizer: \['sgd'\]\."):
        optimizers.get(["sgd"])


BOWL = surfaces.get("bowl")


@pytest.mark.parametrize("kwargs, error, message", [
    ({"start": [1, 2, 3]}, ValueError, "Invalid start shape: (3,) (need (2,) or (..., 2))"),
    ({"start": 5.0}, ValueError, "Invalid start shape: ()"),
    ({"start": np.zeros((4, 3))}, ValueError, "Invalid start shape: (4, 3)"),
    ({"start": [np.nan, 0]}, ValueError, "Invalid start: [nan, 0.0] (coordinates must be finite)"),
    ({"start": np.r_[np.zeros(99), np.inf].reshape(50, 2)}, ValueError,
     "Invalid start: inf (at index (49, 1)) (coordinates must be finite)"),
    ({"start": "here"}, TypeError, "Invalid start: 'here'"),
    ({"start": [True, False]}, TypeError, "Invalid start: [True, False]"),
    ({"start": ["a", "b"]}, TypeError, "Invalid start: ['a', 'b']"),
    ({"start": ["1.5", "2"]}, TypeError, "Invalid start: ['1.5', '2']"),
    ({"start": [None, 1.0]}, TypeError, "Invalid start: [None, 1.0]"),
    ({"start": [[0, 1], [2]]}, ValueError, "Invalid start: [[0, 1], [2]]"),
    ({"steps": -5}, ValueError, "Invalid steps: -5 (need a whole number >= 0)"),
    ({"steps": 2.5}, ValueError, "Invalid steps: 2.5"),
    ({"steps": True}, ValueError, "Invalid steps: True"),
    ({"steps": "10"}, ValueError, "Invalid steps: '10'"),
    ({"noise": -1}, ValueError, "Invalid noise: -1 (need a finite number >= 0)"),
    ({"noise": math.nan}, ValueError, "Invalid noise: nan"),
    ({"noise": math.inf}, ValueError, "Invalid noise: inf"),
    ({"noise": "x"}, TypeError, "Invalid noise: 'x' (need a number >= 0)"),
    ({"noise": True}, TypeError, "Invalid noise: True"),
    ({"noise": [0.1]}, TypeError, "Invalid noise: [0.1]"),
    ({"seed": -1}, ValueError, "Invalid seed: -1 (need a whole number >= 0, or None)"),
    ({"seed": 1.5}, TypeError, "Invalid seed: 1.5"),
    ({"seed": "7"}, TypeError, "Invalid seed: '7'"),
    ({"seed": True}, TypeError, "Invalid seed: True"),
])
def test_invalid_run_arguments_are_named(kwargs, error, message):
    args = {"start": (-7, 2), "steps": 10, "noise": 0.0, "seed": None} | kwargs
    with pytest.raises(error) as err:
        optimizers.run(optimizers.get("sgd"), BOWL, **args)
    assert str(err.value).startswith(message), str(err.value)
    assert len(str(err.value)) < 300


def test_a_long_bad_start_is_not_printed_whole():
    with pytest.raises(ValueError) as err:
        optimizers.run(optimizers.get("sgd"), BOWL, [[0.0, 1.0]] * 5000 + [[1.0]], 10)
    assert len(str(err.value)) < 300
