"""run(..., record=True): what happens inside each step, without changing the path."""

import numpy as np
import pytest

import optimizers
import surfaces

BOWL, ROSEN = surfaces.get("bowl"), surfaces.get("rosenbrock")
MEMORY = {"momentum": "b", "nesterov": "b", "adam": "m", "amsgrad": "m", "adamax": "m",
          "nadam": "m", "radam": "m"}
ADAPTIVE = {"adagrad", "adadelta", "rmsprop", "adam", "amsgrad", "adamax", "nadam", "radam"}
LR = {"adadelta": 1.0, "sgd": 0.05, "momentum": 0.01, "nesterov": 0.01}


def lr_for(name):
    return LR.get(name, 0.05)


def same_path(a, b):
    return (np.array_equal(a.points, b.points, equal_nan=True)
            and np.array_equal(a.losses, b.losses, equal_nan=True)
            and np.array_equal(a.diverged_at, b.diverged_at))


@pytest.mark.parametrize("name", optimizers.names())
@pytest.mark.parametrize("extra", ["plain", "noise", "schedule", "lr array"])
def test_record_does_not_change_the_path(name, extra):
    starts = np.array([[-1.5, 2.0], [1.2, -0.5], [0.5, 2.9]])
    kw, run_kw = {"lr": lr_for(name)}, {}
    if extra == "noise":
        run_kw = {"noise": 2.0, "seed": 7}
    elif extra == "schedule":
        run_kw = {"schedule": optimizers.schedule("warmup_cosine", warmup_steps=5, T_max=40)}
    elif extra == "lr array":
        kw["lr"] = np.array([lr_for(name), 3.0, 1e6 if name == "adadelta" else 100.0])
    opt = optimizers.get(name, **kw)
    plain = optimizers.run(opt, ROSEN, starts, 80, **run_kw)
    rec = optimizers.run(opt, ROSEN, starts, 80, record=True, **run_kw)
    assert same_path(plain, rec)
    assert plain.grads is None and plain.updates is None and plain.memory is None and plain.step_size is None
    for field in ("grads", "updates") + (("memory",) if name in MEMORY else ()) + (
            ("step_size",) if name in ADAPTIVE else ()):
        a = getattr(rec, field)
        assert a.shape == (80, 3, 2), field
        # Recorded where the step landed on a live point, NaN where it did not.
        assert np.array_equal(np.isnan(a), np.isnan(rec.points[1:])), field
    if extra == "lr array":
        assert rec.diverged_at[2] > 0  # rows dropped mid-run


@pytest.mark.parametrize("name", optimizers.names())
def test_what_is_recorded(name):
    opt = optimizers.get(name, lr=lr_for(name))
    tr = optimizers.run(opt, BOWL, [(-7.0, 2.0), (8.0, -4.0)], 40, record=True)
    assert opt.memory == MEMORY.get(name)
    assert (tr.memory is None) == (name not in MEMORY)
    assert (tr.step_size is None) == (name not in ADAPTIVE)
    # The gradient at each point, and the update that leads to the next one.
    assert np.array_equal(tr.grads, BOWL.grad(tr.points[:-1]))
    np.testing.assert_allclose(tr.updates, np.diff(tr.points, axis=0), rtol=0, atol=1e-13)
    if name in ADAPTIVE:
        assert (tr.step_size > 0).all()


def test_the_step_size_is_the_factor_on_the_direction():
    g_of = {}
    for name in ("adagrad", "adadelta", "rmsprop"):  # update = -s * g
        tr = optimizers.run(optimizers.get(name, lr=lr_for(name)), ROSEN, ROSEN.start, 50, record=True)
        np.testing.assert_allclose(tr.updates, -tr.step_size * tr.grads, rtol=1e-13)
        g_of[name] = tr
    betas = (0.9, 0.999)
    for name in ("adam", "amsgrad", "adamax", "radam"):  # update = -s * m / (1 - beta1^t)
        tr = optimizers.run(optimizers.get(name, lr=0.05, betas=betas), ROSEN, ROSEN.start, 50,
                            record=True)
        t = np.arange(1, 51)[:, None]
        np.testing.assert_allclose(tr.updates, -tr.step_size * tr.memory / (1 - 0.9 ** t), rtol=1e-12)
    # RMSProp with momentum: s * g is what enters the buffer.
    tr = optimizers.run(optimizers.get("rmsprop", lr=0.01, momentum=0.5), ROSEN, ROSEN.start, 30,
                        record=True)
    b = tr.memory
    np.testing.assert_allclose(b[1:], 0.5 * b[:-1] + tr.step_size[1:] / 0.01 * tr.grads[1:], rtol=1e-12)
    np.testing.assert_allclose(tr.updates, -0.01 * b, rtol=1e-13)


def test_momentum_memory_is_the_buffer():
    tr = optimizers.run(optimizers.get("momentum", lr=1e-4, momentum=0.9), ROSEN, ROSEN.start, 30,
                        record=True)
    assert tr.diverged_at == -1
    b = [tr.grads[0]]
    for g in tr.grads[1:]:
        b.append(0.9 * b[-1] + g)
    assert np.array_equal(tr.memory, np.array(b))


def test_adam_steps_are_about_lr_long_on_both_axes_where_sgd_zigzags():
    """The lesson of the stretched bowl, in numbers."""
    adam = optimizers.run(optimizers.get("adam", lr=0.3), BOWL, (-7.0, 2.0), 20, record=True)
    steps = np.abs(adam.updates[2:6])
    assert ((steps > 0.15) & (steps < 0.45)).all()
    sgd = optimizers.run(optimizers.get("sgd", lr=0.95), BOWL, (-7.0, 2.0), 20, record=True)
    ratio = np.abs(sgd.updates[:5, 1]) / np.abs(sgd.updates[:5, 0])
    assert (ratio > 5).all() and (np.diff(np.sign(sgd.updates[:5, 1])) != 0).all()


def test_rmsprop_memory_only_with_momentum():
    assert optimizers.get("rmsprop").memory is None
    assert optimizers.get("rmsprop", momentum=0.9).memory == "b"
    assert optimizers.get("rmsprop", momentum=np.array([0.0, 0.9])).memory == "b"


def test_record_must_be_a_bool_and_has_its_own_limit():
    with pytest.raises(TypeError, match=r"^Invalid record: 1 \(need True or False\)"):
        optimizers.run(optimizers.get("sgd"), BOWL, (1, 1), 5, record=1)
    paths = optimizers.MAX_RECORD_POINT_STEPS // 100 + 1
    with pytest.raises(ValueError, match=rf"^Too much to record: 100 steps × {paths:,} paths = "
                                         rf".* \(at most MAX_RECORD_POINT_STEPS = "):
        optimizers.run(optimizers.get("sgd"), BOWL, np.zeros((paths, 2)), 100, record=True)
