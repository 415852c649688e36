"""The optimizers' contract: validation, batching, divergence, the textbook figure.

Parity with torch.optim itself lives in test_torch_parity.py.
"""

import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import optimizers
import surfaces

ROOT = Path(__file__).resolve().parents[1]
ALL = optimizers.names()


def test_registry_order_and_unknown_name():
    assert ALL == ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop",
                   "adam", "amsgrad", "adamax", "nadam", "radam")
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adamw'\. Valid optimizers: sgd, momentum"):
        optimizers.get("adamw")


def test_torch_defaults_except_momentum():
    d = {n: optimizers.spec(n).defaults for n in ALL}
    assert d["sgd"] == {"lr": 1e-3, "weight_decay": 0.0}
    assert d["momentum"]["momentum"] == 0.9 and d["nesterov"]["momentum"] == 0.9
    assert d["adagrad"] == {"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0,
                            "initial_accumulator_value": 0.0, "eps": 1e-10}
    assert d["adadelta"] == {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}
    assert d["rmsprop"] == {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0,
                            "momentum": 0.0, "centered": False}
    for n in ("adam", "amsgrad", "radam"):
        assert d[n] == {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}
    assert d["adamax"]["lr"] == 2e-3 and d["nadam"]["lr"] == 2e-3
    assert d["nadam"]["momentum_decay"] == 4e-3


@pytest.mark.parametrize("name, kwargs, message", [
    ("sgd", {"lr": -0.1}, "Invalid learning rate: -0.1"),
    ("adam", {"lr": math.nan}, "Invalid learning rate: nan"),
    ("adam", {"lr": math.inf}, "Invalid learning rate: inf"),
    ("adam", {"lr": "abc"}, "Invalid learning rate: 'abc'"),
    ("adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    ("nadam", {"betas": (0.9, math.nan)}, "Invalid beta parameter at index 1: nan"),
    ("adam", {"betas": 0.9}, "Invalid betas: 0.9"),
    ("adam", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    ("momentum", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("momentum", {"dampening": 2.0}, "Invalid dampening value: 2.0"),
    ("nesterov", {"momentum": 0.0}, "Nesterov momentum requires a momentum and zero dampening"),
    ("adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
    ("rmsprop", {"alpha": -0.1}, "Invalid alpha value: -0.1"),
    ("adagrad", {"lr_decay": -1}, "Invalid lr_decay value: -1"),
    ("adagrad", {"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
    ("sgd", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("nadam", {"momentum_decay": -1}, "Invalid momentum_decay value: -1"),
])
def test_invalid_hyperparameters_name_the_value(name, kwargs, message):
    with pytest.raises((ValueError, TypeError)) as err:
        optimizers.get(name, **kwargs)
    assert str(err.value).startswith(message)


def test_unknown_keyword_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match=r"Unknown hyperparameter for sgd: 'momentum'\. Accepted: lr, weight_decay"):
        optimizers.get("sgd", momentum=0.9)
    with pytest.raises(TypeError, match="'amsgrad'"):
        optimizers.get("adam", amsgrad=True)  # AMSGrad is its own entry


@pytest.mark.parametrize("name", ALL)
def test_latex_and_docs_present(name):
    opt = optimizers.get(name)
    assert r"\theta_t" in opt.latex and opt.spec.idea and opt.spec.torch.startswith("torch.optim.")
    assert opt.spec.fixes in ("direction", "step size", "both", "neither")
    assert "g_t + \\lambda" in optimizers.get(name, weight_decay=0.1).latex
    mod = sys.modules[opt.spec.factory.__module__]
    assert "Implemented:" in mod.__doc__ and "References:" in mod.__doc__


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("surface", ["bowl", "rosenbrock", "himmelblau"])
def test_batch_equals_loop_bit_for_bit(name, surface):
    s = surfaces.get(surface)
    rng = np.random.default_rng(0)
    lo, hi = np.array([s.x_range[0], s.y_range[0]]), np.array([s.x_range[1], s.y_range[1]])
    starts = lo + (hi - lo) * rng.random((7, 2))
    opt = optimizers.get(name, lr=0.01)
    batch = optimizers.run(opt, s, starts, 60)
    assert batch.points.shape == (61, 7, 2) and batch.losses.shape == (61, 7)
    for i, start in enumerate(starts):
        one = optimizers.run(opt, s, start, 60)
        assert one.points.shape == (61, 2)
        assert np.array_equal(one.points, batch.points[:, i], equal_nan=True)
        assert np.array_equal(one.losses, batch.losses[:, i], equal_nan=True)
        assert one.diverged_at == batch.diverged_at[i]


@pytest.mark.parametrize("name", ALL)
def test_divergence_is_marked_without_warnings(name):
    s = surfaces.get("bowl")
    # Gradient methods blow up once lr exceeds 2/curvature; adaptive ones take
    # steps of about lr, so they need an lr larger than the window.
    big = 50.0 if name in ("sgd", "momentum", "nesterov") else 1e6 if name == "adadelta" else 1e4
    starts = np.array([[-7.0, 2.0], [0.0, 0.0]])  # the second start sits at the minimum
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = optimizers.run(optimizers.get(name, lr=big), s, starts, 200)
    t = tr.diverged_at[0]
    assert t > 0, f"{name} with lr={big} should blow up on the bowl"
    assert np.isfinite(tr.points[:t, 0]).all()
    assert np.isnan(tr.points[t:, 0]).all() and np.isnan(tr.losses[t:, 0]).all()
    assert tr.diverged_at[1] == -1 and np.isfinite(tr.points[:, 1]).all()


def test_losses_are_the_surface_values():
    s = surfaces.get("rosenbrock")
    tr = optimizers.run(optimizers.get("adam", lr=0.05), s, s.start, 40)
    assert np.array_equal(tr.losses, s.value(tr.points))
    assert np.array_equal(tr.points[0], np.asarray(s.start, float))


def test_noise_is_reproducible_from_seed():
    s, opt = surfaces.get("bowl"), optimizers.get("sgd", lr=0.1)
    a = optimizers.run(opt, s, s.start, 30, noise=0.5, seed=3)
    b = optimizers.run(opt, s, s.start, 30, noise=0.5, seed=3)
    c = optimizers.run(opt, s, s.start, 30, noise=0.5, seed=4)
    clean = optimizers.run(opt, s, s.start, 30)
    assert np.array_equal(a.points, b.points)
    assert not np.allclose(a.points, c.points) and not np.allclose(a.points, clean.points)


def test_noise_of_a_path_does_not_depend_on_another_path_leaving():
    """Each step draws one noise row per path of the batch; a path that blows up only stops using its row."""
    s = surfaces.get("bowl")
    leaves = optimizers.run(optimizers.get("sgd", lr=np.array([0.01, 5.0, 0.02])), s, s.start, 40,
                            noise=0.3, seed=5)
    stays = optimizers.run(optimizers.get("sgd", lr=np.array([0.01, 0.001, 0.02])), s, s.start, 40,
                           noise=0.3, seed=5)
    assert leaves.diverged_at[1] > 0 and stays.diverged_at[1] == -1
    assert np.array_equal(leaves.points[:, [0, 2]], stays.points[:, [0, 2]])


@pytest.mark.parametrize("kwargs, message", [
    ({"start": [1, 2, 3]}, "Invalid start shape: (3,)"),
    ({"start": [np.nan, 0]}, "Invalid start: [nan, 0.0]"),
    ({"start": "here"}, "Invalid start: 'here'"),
    ({"steps": -5}, "Invalid steps: -5"),
    ({"steps": 2.5}, "Invalid steps: 2.5"),
    ({"noise": -1}, "Invalid noise: -1"),
    ({"noise": "x"}, "Invalid noise: 'x'"),
])
def test_invalid_run_arguments(kwargs, message):
    args = {"start": (-7, 2), "steps": 10, "noise": 0.0} | kwargs
    with pytest.raises((ValueError, TypeError)) as err:
        optimizers.run(optimizers.get("sgd"), surfaces.get("bowl"), **args)
    assert str(err.value).startswith(message)


# --- the textbook figure, from the lecture notes' formulas ------------------

def _textbook(update, steps=29):
    """The seed material's loop: W <- update(W, dL/dW), 30 recorded points."""
    s = surfaces.get("bowl")
    w, state, path = np.array([-7.0, 2.0]), {}, []
    for _ in range(steps + 1):
        path.append(w.copy())
        w = update(w, s.grad(w), state)
    return np.array(path[: steps + 1])


def sgd_rule(w, g, st, lr=0.95):
    return w - lr * g                                    # W <- W - eta dL/dW


def momentum_rule(w, g, st, lr=0.1, alpha=0.9):
    st["v"] = alpha * st.get("v", 0.0) - lr * g          # v <- alpha v - eta dL/dW
    return w + st["v"]                                   # W <- W + v


def adagrad_rule(w, g, st, lr=1.5):
    st["h"] = st.get("h", 0.0) + g * g                   # h <- h + dL/dW * dL/dW
    return w - lr * g / (np.sqrt(st["h"]) + 1e-7)        # W <- W - eta dL/dW / sqrt(h)


def adam_rule(w, g, st, lr=0.3, b1=0.9, b2=0.999):
    st["t"] = st.get("t", 0) + 1
    lr_t = lr * np.sqrt(1 - b2 ** st["t"]) / (1 - b1 ** st["t"])
    st["m"] = st.get("m", 0.0) + (1 - b1) * (g - st.get("m", 0.0))
    st["v"] = st.get("v", 0.0) + (1 - b2) * (g ** 2 - st.get("v", 0.0))
    return w - lr_t * st["m"] / (np.sqrt(st["v"]) + 1e-7)


@pytest.mark.parametrize("name, lr, rule", [
    ("sgd", 0.95, sgd_rule), ("momentum", 0.1, momentum_rule),
    ("adagrad", 1.5, adagrad_rule), ("adam", 0.3, adam_rule),
])
def test_textbook_figure(name, lr, rule):
    tr = optimizers.run(optimizers.get(name, lr=lr), surfaces.get("bowl"), (-7.0, 2.0), 29)
    assert tr.points.shape == (30, 2)
    np.testing.assert_allclose(tr.points, _textbook(rule), atol=1e-4, rtol=0)


def test_sgd_zigzags_where_adam_glides():
    """The lesson itself: SGD's y flips sign every step on the bowl."""
    tr = optimizers.run(optimizers.get("sgd", lr=0.95), surfaces.get("bowl"), (-7.0, 2.0), 29)
    assert (np.sign(tr.points[1:, 1]) != np.sign(tr.points[:-1, 1])).all()


def test_library_imports_numpy_only():
    code = ("import sys, optimizers, surfaces; "
            "bad = [m for m in ('streamlit', 'plotly', 'torch', 'pandas') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
