"""Array hyperparameters: a batch run equals one scalar run per value, bit for bit.

A sweep is only worth drawing if each of its paths is the path that value
would take on its own, so the comparison is ``np.array_equal``, not
``allclose``.  The values cross every branch the update rules take on a
hyperparameter (RMSprop's ``momentum > 0``, RAdam's ``rho_t > 5``, lerp's two
forms, weight decay of zero) and include values that diverge, so rows are
dropped and the optimizer rebuilt mid-run.
"""

import numpy as np
import pytest

import optimizers
import surfaces

STEPS = 100
SURFACES = ("bowl", "rosenbrock", "saddle")
BASE_LR = {"adadelta": 1.0, "sgd": 0.01, "momentum": 0.002, "nesterov": 0.002}

# Values per hyperparameter; betas components are swept one at a time.
VALUES = {
    "lr": [1e-4, 1e-3, 0.01, 0.1, 0.5, 2.0, 50.0],
    "momentum": [0.0, 0.3, 0.9, 0.99],
    "dampening": [0.0, 0.5, 1.0],
    "betas[0]": [0.0, 0.3, 0.5, 0.9, 0.99],
    "betas[1]": [0.3, 0.6, 0.9, 0.999, 0.99999],
    "eps": [1e-12, 1e-8, 1e-3, 1.0],
    "rho": [0.0, 0.5, 0.9, 1.0],
    "alpha": [0.0, 0.5, 0.99, 0.999],
    "weight_decay": [0.0, 0.01, 0.5],
    "lr_decay": [0.0, 0.01, 1.0],
    "initial_accumulator_value": [0.0, 0.1, 10.0],
    "momentum_decay": [0.0, 4e-3, 0.1],
}


def sweeps():
    for name in optimizers.names():
        for key, default in optimizers.spec(name).defaults.items():
            if isinstance(default, bool):
                continue
            keys = ["betas[0]", "betas[1]"] if key == "betas" else [key]
            for k in keys:
                values = VALUES[k]
                if name == "nesterov" and k == "momentum":
                    values = values[1:]  # Nesterov needs a momentum
                yield name, k, values


def kwargs_for(name, key, value):
    """The optimizer's kwargs with ``key`` (maybe ``betas[i]``) set to ``value``."""
    kw = {} if key == "lr" else {"lr": BASE_LR.get(name, 0.02)}
    if key.startswith("betas"):
        i = int(key[-2])
        betas = list(optimizers.spec(name).defaults["betas"])
        betas[i] = value
        kw["betas"] = tuple(betas)
    else:
        kw[key] = value
    return kw


def starts_for(surface, k, seed=0):
    s = surfaces.get(surface)
    rng = np.random.default_rng(seed)
    lo, hi = np.array([s.x_range[0], s.y_range[0]]), np.array([s.x_range[1], s.y_range[1]])
    return lo + (hi - lo) * rng.random((k, 2))


def assert_same(one, batch, i):
    assert np.array_equal(one.points, batch.points[:, i], equal_nan=True)
    assert np.array_equal(one.losses, batch.losses[:, i], equal_nan=True)
    assert one.diverged_at == batch.diverged_at[i]


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("name, key, values", list(sweeps()),
                         ids=[f"{n}-{k}" for n, k, _ in sweeps()])
def test_array_equals_one_run_per_value(name, key, values, surface):
    s = surfaces.get(surface)
    starts = starts_for(surface, len(values))
    array = np.array(values)
    batch = optimizers.run(optimizers.get(name, **kwargs_for(name, key, array)), s, starts, STEPS)
    assert batch.points.shape == (STEPS + 1, len(values), 2)
    for i, value in enumerate(values):
        one = optimizers.run(optimizers.get(name, **kwargs_for(name, key, value)), s, starts[i], STEPS)
        assert_same(one, batch, i)


@pytest.mark.parametrize("name", optimizers.names())
def test_several_arrays_and_a_grid_of_starts(name):
    """lr shaped (3, 1) against 4 starts: a (3, 4) batch; betas as an array shaped (..., 2)."""
    s = surfaces.get("rosenbrock")
    lrs = np.array([[1e-3], [0.02], [0.3]])
    kw = {"lr": lrs}
    if "betas" in optimizers.spec(name).defaults:
        kw["betas"] = np.array([[[0.9, 0.999]], [[0.5, 0.9]], [[0.0, 0.6]]])  # (3, 1, 2)
    if "weight_decay" in optimizers.spec(name).defaults:
        kw["weight_decay"] = np.array([0.0, 0.1, 0.0, 0.02])  # (4,)
    starts = starts_for("rosenbrock", 4, seed=1)
    batch = optimizers.run(optimizers.get(name, **kw), s, starts, STEPS)
    assert batch.points.shape == (STEPS + 1, 3, 4, 2) and batch.diverged_at.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            one_kw = {"lr": float(lrs[i, 0])}
            if "betas" in kw:
                one_kw["betas"] = tuple(kw["betas"][i, 0])
            if "weight_decay" in kw:
                one_kw["weight_decay"] = float(kw["weight_decay"][j])
            one = optimizers.run(optimizers.get(name, **one_kw), s, starts[j], STEPS)
            assert np.array_equal(one.points, batch.points[:, i, j], equal_nan=True)
            assert one.diverged_at == batch.diverged_at[i, j]


def test_one_start_broadcasts_over_the_learning_rates():
    s = surfaces.get("bowl")
    lrs = np.geomspace(1e-3, 3.0, 50)
    tr = optimizers.run(optimizers.get("sgd", lr=lrs), s, s.start, 40)
    assert tr.points.shape == (41, 50, 2)
    assert (tr.points[0] == np.asarray(s.start)).all()
    assert (tr.diverged_at[lrs < 1.0] == -1).all()  # 2 / L = 1 on the stretched bowl
    assert (tr.diverged_at[lrs > 1.05] > 0).all()


def test_lists_are_arrays_and_the_hyperparameters_are_read_only_copies():
    lrs = np.array([0.1, 0.2])
    opt = optimizers.get("sgd", lr=lrs)
    lrs[0] = 99.0  # the caller's array changes; the optimizer must not
    assert opt.hyper["lr"].tolist() == [0.1, 0.2]
    with pytest.raises(ValueError):
        opt.hyper["lr"][0] = 5.0
    assert optimizers.get("sgd", lr=[0.1, 0.2]).hyper["lr"].tolist() == [0.1, 0.2]
    assert optimizers.get("adam", betas=np.array([0.8, 0.9])).hyper["betas"] == (0.8, 0.9)
    b1, b2 = optimizers.get("adam", betas=np.array([[0.8, 0.9], [0.7, 0.95]])).hyper["betas"]
    assert b1.tolist() == [0.8, 0.7] and b2.tolist() == [0.9, 0.95]


def test_array_optimizer_functions_take_points_of_its_shape():
    """Used directly (without run), init/update take points shaped (*shape, 2)."""
    s = surfaces.get("bowl")
    lrs = np.array([0.01, 0.1, 0.5])
    opt = optimizers.get("adam", lr=lrs)
    p = np.tile(np.asarray(s.start, float), (3, 1))
    state = opt.init(p)
    for _ in range(5):
        u, state = opt.update(s.grad(p), state, p)
        p = p + u
    tr = optimizers.run(opt, s, s.start, 5)
    assert np.array_equal(p, tr.points[-1])


@pytest.mark.parametrize("name, kwargs, message", [
    ("sgd", {"lr": np.array([0.1, 0.2, 0.3, -0.1])}, "Invalid learning rate: -0.1 (at index 3)"),
    ("sgd", {"lr": [[0.1, 0.2], [np.nan, 0.3]]}, "Invalid learning rate: nan (at index (1, 0))"),
    ("adam", {"betas": (np.array([0.9, 1.0]), 0.999)}, "Invalid beta parameter at index 0: 1.0 (at index 1)"),
    ("adam", {"betas": np.array([[0.9, 0.99], [0.9, -0.5]])}, "Invalid beta parameter at index 1: -0.5 (at index 1)"),
    ("nesterov", {"momentum": np.array([0.9, 0.0])}, "Nesterov momentum requires a momentum and zero "
                                                     "dampening, got momentum=0.0 (at index 1)"),
    ("rmsprop", {"eps": np.full(1000, -1.0)}, "Invalid epsilon value: -1.0 (at index 0)"),
])
def test_array_messages_name_the_element_and_its_index(name, kwargs, message):
    with pytest.raises(ValueError) as err:
        optimizers.get(name, **kwargs)
    assert str(err.value) == message


def test_messages_never_print_a_whole_array():
    with pytest.raises(ValueError) as err:
        optimizers.get("adam", betas=np.full((50, 3), 0.9))
    assert str(err.value).startswith("Invalid betas: an array shaped (50, 3)")
    assert len(str(err.value)) < 200


def test_arrays_that_do_not_broadcast_are_refused_with_their_shapes():
    with pytest.raises(ValueError, match=r"do not broadcast together: lr shaped \(3,\), eps shaped \(4,\)"):
        optimizers.get("adam", lr=np.full(3, 0.1), eps=np.full(4, 1e-8))
    opt = optimizers.get("adam", lr=np.full(3, 0.1))
    with pytest.raises(ValueError, match=r"do not broadcast with the starts: lr shaped \(3,\), "
                                         r"starts shaped \(5, 2\)"):
        optimizers.run(opt, surfaces.get("bowl"), np.zeros((5, 2)), 10)
