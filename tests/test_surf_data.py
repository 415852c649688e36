"""Tests for the data surfaces: least squares (raw and standardized) and logistic regression.

Oracles independent of the code under test: losses recomputed here from the
exposed data with plain per-row Python arithmetic, central finite differences,
``numpy.polyfit`` for the least-squares line, and Hessians from finite
differences of the gradient.
"""

import math

import numpy as np
import pytest

import surfaces
from surfaces import data as data_module

DATA = ["least_squares", "least_squares_std", "logistic"]
PLAIN = [n for n in surfaces.names() if n not in DATA]


def _random_points(s, n, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(*s.x_range, n), rng.uniform(*s.y_range, n)], axis=-1)


def _oracle_loss(s, p, rows):
    """The mean loss over ``rows`` at one point, one row at a time in plain floats."""
    u, v = map(float, p)
    total = 0.0
    for i in rows:
        inputs, target = s.data.inputs[i], float(s.data.targets[i])
        if s.name == "logistic":
            z = u * float(inputs[0]) + v * float(inputs[1])
            total += math.log1p(math.exp(z)) - target * z if z < 30 else z - target * z
        else:
            total += (u * float(inputs[0]) + v - target) ** 2
    return total / len(rows)


# Registry and interface ---------------------------------------------------------


def test_registered_after_the_test_functions():
    assert surfaces.names()[-3:] == tuple(DATA)


@pytest.mark.parametrize("name", DATA)
def test_data_surface_interface(name):
    s = surfaces.get(name)
    n = {"least_squares": 48, "least_squares_std": 48, "logistic": 60}[name]
    assert s.n_data == n == len(s.data) and type(s.n_data) is int
    assert s.data.inputs.shape == (n, len(s.data.input_names)) and s.data.targets.shape == (n,)
    assert s.data.inputs.dtype == np.float64 == s.data.targets.dtype
    assert s.axis_names == (("w1", "w2") if name == "logistic" else ("w", "b"))
    assert s.latex.startswith("L(") and s.minima_known
    hash(s)
    assert s == surfaces.get(name)


@pytest.mark.parametrize("name", PLAIN)
def test_plain_surfaces_have_no_data(name):
    s = surfaces.get(name)
    assert s.n_data == 0 and s.data is None
    assert s.standardized is None and s.unstandardized is None
    assert s.axis_names == ("x", "y")


def test_data_is_what_the_module_says():
    line = surfaces.get("least_squares").data
    x = line.inputs[:, 0]
    assert line.input_names == ("x",) and line.target_name == "y"
    assert x.min() >= 3 and x.max() <= 7  # uncentred on purpose
    classes = surfaces.get("logistic").data
    assert sorted(set(classes.targets.tolist())) == [0.0, 1.0]
    assert classes.targets.sum() == 30  # balanced
    # Generated again from the seed: the same numbers, bit for bit.
    x2, y2 = data_module._line_data()
    assert np.array_equal(x2, x) and np.array_equal(y2, line.targets)


# Values and gradients ------------------------------------------------------------


@pytest.mark.parametrize("name", DATA)
def test_value_is_the_mean_loss_over_the_whole_data_set(name):
    s = surfaces.get(name)
    every = range(s.n_data)
    for p in _random_points(s, 10, seed=2):
        assert s.value(p) == pytest.approx(_oracle_loss(s, p, every), rel=1e-12)


@pytest.mark.parametrize("name", DATA)
def test_minibatch_gradient_matches_finite_differences_of_the_minibatch_loss(name):
    s = surfaces.get(name)
    rng = np.random.default_rng(4)
    h = 1e-6
    for p in _random_points(s, 15, seed=3):
        rows = rng.choice(s.n_data, size=rng.integers(1, 12), replace=False)
        g = s.grad(p, rows=rows)
        fd = [(_oracle_loss(s, p + h * e, rows) - _oracle_loss(s, p - h * e, rows)) / (2 * h)
              for e in np.eye(2)]
        assert g == pytest.approx(fd, rel=1e-6, abs=1e-6), (p, rows)


@pytest.mark.parametrize("name", DATA)
def test_all_rows_is_the_full_gradient_bit_for_bit(name):
    s = surfaces.get(name)
    xy = _random_points(s, 500, seed=5).reshape(20, 25, 2)
    full = s.grad(xy)
    assert np.array_equal(s.grad(xy, rows=np.arange(s.n_data)), full)
    assert np.array_equal(s.grad(xy, rows=list(range(s.n_data))), full)
    assert np.array_equal(s.grad(xy, rows=np.arange(s.n_data, dtype=np.int32)), full)


@pytest.mark.parametrize("name", DATA)
@pytest.mark.parametrize("batch", [1, 5, 16, 48])
def test_minibatch_gradients_average_to_the_full_gradient(name, batch):
    # Over a partition of the rows, the size-weighted mean of the minibatch
    # gradients is the full gradient: minibatch noise is unbiased.
    s = surfaces.get(name)
    xy = _random_points(s, 30, seed=6)
    order = np.random.default_rng(batch).permutation(s.n_data)
    parts = np.array_split(order, math.ceil(s.n_data / batch))
    mean = sum(len(rows) * s.grad(xy, rows=rows) for rows in parts) / s.n_data
    full = s.grad(xy)
    assert np.allclose(mean, full, rtol=1e-12, atol=1e-12 * np.abs(full).max())
    # ...and single minibatches really differ from it (the noise is real).
    if batch < s.n_data:
        assert not np.allclose(s.grad(xy, rows=parts[0]), full)


@pytest.mark.parametrize("name", DATA)
def test_minibatch_batch_equals_one_at_a_time_bit_for_bit(name):
    s = surfaces.get(name)
    rows = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    xy = _random_points(s, 200, seed=7).reshape(10, 20, 2)
    g = s.grad(xy, rows=rows)
    for index in np.ndindex(xy.shape[:-1]):
        assert np.array_equal(g[index], s.grad(xy[index], rows=rows)), index


@pytest.mark.parametrize("name", DATA)
def test_a_minibatch_per_point_is_each_point_with_its_own_rows_bit_for_bit(name):
    s = surfaces.get(name)
    xy = _random_points(s, 12, seed=9).reshape(3, 4, 2)
    rows = np.random.default_rng(10).integers(0, s.n_data, size=(12, 5))
    g = s.grad(xy, rows=rows)
    assert g.shape == xy.shape
    for i, index in enumerate(np.ndindex(xy.shape[:-1])):
        assert np.array_equal(g[index], s.grad(xy[index], rows=rows[i])), index
    # Different rows give different gradients: the rows really are per point.
    same = s.grad(xy, rows=np.broadcast_to(rows[0], rows.shape))
    assert not np.array_equal(g.reshape(12, 2)[1:], same.reshape(12, 2)[1:])


@pytest.mark.parametrize("name", DATA)
def test_a_minibatch_per_point_in_blocks_has_the_same_result(name):
    s = surfaces.get(name)
    n = data_module.BLOCK + 3
    xy = _random_points(s, n, seed=11)
    rows = np.random.default_rng(12).integers(0, s.n_data, size=(n, 4))
    g = s.grad(xy, rows=rows)
    for i in (0, data_module.BLOCK - 1, data_module.BLOCK, n - 1):
        assert np.array_equal(g[i], s.grad(xy[i], rows=rows[i])), i


@pytest.mark.parametrize("name", DATA)
def test_large_batches_are_computed_in_blocks_with_the_same_result(name):
    s = surfaces.get(name)
    xy = _random_points(s, 2 * data_module.BLOCK + 7, seed=8)
    v, g = s.value(xy), s.grad(xy)
    assert np.array_equal(v[-7:], s.value(xy[-7:]))
    assert np.array_equal(g[:5], s.grad(xy[:5]))
    assert np.array_equal(v[data_module.BLOCK - 2: data_module.BLOCK + 2],
                          s.value(xy[data_module.BLOCK - 2: data_module.BLOCK + 2]))


# Minima --------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATA)
def test_the_minimiser_has_zero_gradient(name):
    s = surfaces.get(name)
    (m,) = s.minima
    assert np.all(np.abs(s.grad(m)) <= 1e-12), s.grad(m)
    assert s.f_min == s.value(m)


@pytest.mark.parametrize("name", ["least_squares", "least_squares_std"])
def test_least_squares_minimiser_is_the_fitted_line(name):
    s = surfaces.get(name)
    w, b = np.polyfit(s.data.inputs[:, 0], s.data.targets, 1)
    assert s.minima[0] == pytest.approx((w, b), rel=1e-12)


def test_standardized_minimiser_is_the_same_line():
    # y = w z + b with z = (x - mean)/sd is the line y = (w/sd) x + (b - w mean/sd).
    raw, std = surfaces.get("least_squares"), surfaces.get("least_squares_std")
    x = raw.data.inputs[:, 0]
    w, b = std.minima[0]
    assert raw.minima[0] == pytest.approx((w / x.std(), b - w * x.mean() / x.std()), rel=1e-12)
    assert raw.f_min == pytest.approx(std.f_min, rel=1e-12)


def test_logistic_minimiser_is_the_global_minimum():
    # Convex: zero gradient plus a positive definite Hessian is the minimum.
    s = surfaces.get("logistic")
    H = _hessian(s, s.minima[0])
    assert np.all(np.linalg.eigvalsh(H) > 0)
    rng = np.random.default_rng(9)
    around = np.array(s.minima[0]) + rng.normal(0, 0.5, (2000, 2))
    assert np.all(s.value(around) >= s.f_min)


def _hessian(s, p, h=1e-5):
    p = np.asarray(p, dtype=float)
    H = np.stack([(s.grad(p + h * e) - s.grad(p - h * e)) / (2 * h) for e in np.eye(2)])
    return (H + H.T) / 2


def test_standardizing_turns_the_valley_into_a_round_bowl():
    raw = np.linalg.cond(_hessian(surfaces.get("least_squares"), (0.0, 0.0)))
    std = np.linalg.cond(_hessian(surfaces.get("least_squares_std"), (0.0, 0.0)))
    # Measured: about 509 against exactly 1 (the standardized Hessian is 2 I).
    assert raw > 300
    assert std == pytest.approx(1.0, abs=1e-6)
    assert raw / std > 300


def test_raw_valley_runs_along_b_about_minus_mean_x_times_w():
    s = surfaces.get("least_squares")
    ev, vecs = np.linalg.eigh(_hessian(s, s.minima[0]))
    flat = vecs[:, 0]  # the direction of least curvature: along the valley floor
    assert flat[1] / flat[0] == pytest.approx(-s.data.inputs.mean(), rel=0.05)


def test_standardized_inputs_have_mean_zero_and_spread_one():
    z = surfaces.get("least_squares_std").data.inputs[:, 0]
    assert abs(z.mean()) < 1e-14 and z.std() == pytest.approx(1.0, rel=1e-14)
    assert np.array_equal(surfaces.get("least_squares_std").data.targets,
                          surfaces.get("least_squares").data.targets)


# The standardize switch --------------------------------------------------------------


@pytest.mark.parametrize("name", ["least_squares", "least_squares_std"])
def test_standardize_switch_maps_between_the_two_line_fits(name):
    s = surfaces.get(name)
    assert s.standardized == "least_squares_std" and s.unstandardized == "least_squares"
    assert surfaces.get(s.standardized).unstandardized == s.unstandardized
    # The start is the same model, w = b = 0, in both coordinates.
    assert surfaces.get(s.standardized).start == surfaces.get(s.unstandardized).start == (0.0, 0.0)


def test_logistic_has_no_switch():
    s = surfaces.get("logistic")
    assert s.standardized is None and s.unstandardized is None


# Errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PLAIN)
def test_rows_on_a_surface_without_data_is_an_error_naming_it(name):
    with pytest.raises(ValueError, match=f"Surface '{name}' has no data set"):
        surfaces.get(name).grad((0.0, 0.0), rows=np.arange(4))


@pytest.mark.parametrize("rows, expected", [
    (np.array([], dtype=int), "non-empty 1-D array"),
    (np.array([[0, 1], [2, 3]]), "one such row per point (1 rows)"),
    (np.array([[[0, 1]]]), "non-empty 1-D array"),
    (np.array([0.0, 1.0]), "integer data indices"),
    (np.array([True, False]), "integer data indices"),
    (np.array([0, 48]), "index 48 is outside 0..47"),
    (np.array([-1, 3]), "index -1 is outside 0..47"),
    ([0, "a"], "integer data indices"),
])
def test_bad_rows_are_named(rows, expected):
    with pytest.raises(ValueError) as err:
        surfaces.get("least_squares").grad((0.0, 0.0), rows=rows)
    assert "least_squares" in str(err.value) and expected in str(err.value)


# Shared arrays are read-only -----------------------------------------------------------


@pytest.mark.parametrize("name", DATA)
def test_data_arrays_are_read_only(name):
    d = surfaces.get(name).data
    with pytest.raises(ValueError, match="read-only"):
        d.inputs[0, 0] = 99.0
    with pytest.raises(ValueError, match="read-only"):
        d.targets[...] = 0.0
    with pytest.raises(AttributeError):
        d.inputs = np.zeros_like(d.inputs)
    assert not d.inputs.flags.writeable and not d.targets.flags.writeable


@pytest.mark.parametrize("name", DATA)
def test_results_are_fresh_writable_arrays(name):
    # What a call returns belongs to the caller; what the module keeps does not.
    s = surfaces.get(name)
    v, g = s.value([[0.0, 0.0]]), s.grad([[0.0, 0.0]], rows=[0, 1])
    v[...] = 0.0
    g[...] = 0.0
    assert s.value([[0.0, 0.0]])[0] != 0.0
