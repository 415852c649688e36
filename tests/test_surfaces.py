"""Tests for the surfaces registry and every registered test function.

Oracles are independent of the code under test where possible: central finite
differences for the gradients, a dense grid for "global minimum", and values
worked out by hand from the published formulas.
"""

import functools
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import surfaces

NAMES = surfaces.names()
WITH_MINIMA = [n for n in NAMES if surfaces.get(n).minima]
UNBOUNDED = [n for n in NAMES if not surfaces.get(n).minima]
REPO_ROOT = Path(__file__).resolve().parents[1]


def _random_points(s, n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(*s.x_range, size=n)
    y = rng.uniform(*s.y_range, size=n)
    return np.stack([x, y], axis=-1)


@functools.lru_cache(maxsize=None)
def _grid(name, n=801):
    """Coordinates (n, n, 2) and values (n, n) on a dense grid of the window."""
    s = surfaces.get(name)
    xs = np.linspace(*s.x_range, n)
    ys = np.linspace(*s.y_range, n)
    xy = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1)
    return xy, s.value(xy)


# Registry ------------------------------------------------------------------


def test_names_in_display_order():
    assert NAMES == (
        "bowl",
        "saddle",
        "rosenbrock",
        "beale",
        "himmelblau",
        "rastrigin",
        "camel",
        "goldstein_price",
        "monkey_saddle",
        "least_squares",
        "least_squares_std",
        "logistic",
    )


@pytest.mark.parametrize("name", NAMES)
def test_get_returns_surface_with_that_name(name):
    s = surfaces.get(name)
    assert isinstance(s, surfaces.Surface)
    assert s.name == name


@pytest.mark.parametrize("bad", ["rosenbrok", "", "Rosenbrock", None])
def test_unknown_name_lists_valid_names(bad):
    with pytest.raises(ValueError) as err:
        surfaces.get(bad)
    message = str(err.value)
    assert repr(bad) in message
    assert "Valid surfaces: " + ", ".join(NAMES) in message


def test_surface_is_frozen():
    s = surfaces.get("bowl")
    with pytest.raises(AttributeError):
        s.start = (0.0, 0.0)


# Metadata ------------------------------------------------------------------


def _inside(point, s):
    (x, y), (x0, x1), (y0, y1) = point, s.x_range, s.y_range
    return x0 <= x <= x1 and y0 <= y <= y1


def _is_float_pair(p):
    return isinstance(p, tuple) and len(p) == 2 and all(type(v) is float for v in p)


@pytest.mark.parametrize("name", NAMES)
def test_window_start_and_minima_are_well_formed(name):
    s = surfaces.get(name)
    for lo, hi in (s.x_range, s.y_range):
        assert lo < hi
    assert _is_float_pair(s.x_range) and _is_float_pair(s.y_range)
    assert _is_float_pair(s.start)
    assert _inside(s.start, s)
    assert isinstance(s.minima, tuple)
    for m in s.minima:
        assert _is_float_pair(m)
        assert _inside(m, s)
    assert type(s.log_color) is bool


@pytest.mark.parametrize("name", NAMES)
def test_text_fields_are_filled_in(name):
    s = surfaces.get(name)
    for text in (s.label, s.latex, s.lesson):
        assert isinstance(text, str) and text.strip()
    # A test function is f(x, y); a data surface is the loss L of its two parameters.
    assert s.latex.startswith("L(" if s.data is not None else "f(x, y) = ")
    assert "$" not in s.latex


def test_labels_are_unique():
    labels = [surfaces.get(n).label for n in NAMES]
    assert len(set(labels)) == len(labels)


# Facts derived on the surface ------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_f_min_is_the_lowest_listed_minimum(name):
    s = surfaces.get(name)
    if s.minima:
        assert type(s.f_min) is float
        assert s.f_min == min(float(s.value(m)) for m in s.minima)
    else:
        assert s.f_min is None


def test_f_min_known_values():
    assert surfaces.get("rosenbrock").f_min == 0.0
    assert surfaces.get("goldstein_price").f_min == pytest.approx(3.0, rel=1e-14)
    assert surfaces.get("saddle").f_min is None


@pytest.mark.parametrize("name", NAMES)
def test_surface_stays_hashable_and_equal_to_itself(name):
    s = surfaces.get(name)
    before = hash(s)
    s.f_min  # cached on the instance: must not change identity, equality or hash
    assert hash(s) == before and s == surfaces.get(name)
    assert {s: 1}[surfaces.get(name)] == 1


def test_contains_is_the_closed_window():
    s = surfaces.get("rosenbrock")  # x in [-2, 2], y in [-1, 3]
    xy = np.array([
        [0.0, 0.0], [-2.0, -1.0], [2.0, 3.0], [2.0, 3.0000001], [-2.0000001, 0.0],
        [np.nan, 0.0], [0.0, np.inf], [5.0, 5.0],
    ])
    assert s.contains(xy).tolist() == [True, True, True, False, False, False, False, False]
    assert s.contains(xy.reshape(2, 4, 2)).shape == (2, 4)
    assert s.contains((0, 0)).shape == () and bool(s.contains((0, 0)))


@pytest.mark.parametrize("name", NAMES)
def test_start_and_minima_are_contained(name):
    s = surfaces.get(name)
    assert s.contains(s.start)
    assert all(s.contains(m) for m in s.minima)


def test_clip_moves_points_into_the_window():
    s = surfaces.get("bowl")  # x in [-10, 10], y in [-5, 5]
    got = s.clip([[20.0, 0.0], [-20.0, -9.0], [1.0, 2.0], [np.nan, 9.0]])
    assert got[:3].tolist() == [[10.0, 0.0], [-10.0, -5.0], [1.0, 2.0]]
    assert np.isnan(got[3, 0]) and got[3, 1] == 5.0
    assert s.contains(got[:3]).all()


def test_window_helpers():
    s = surfaces.get("bowl")
    assert s.extent == (-10.0, 10.0, -5.0, 5.0)
    assert s.size == (20.0, 10.0)
    assert s.span == 20.0


def test_mesh_rows_are_y_and_columns_are_x():
    s = surfaces.get("camel")
    m = s.mesh(5, 3)
    assert m.shape == (3, 5, 2)
    assert np.array_equal(m[0, :, 0], np.linspace(*s.x_range, 5))
    assert np.array_equal(m[:, 0, 1], np.linspace(*s.y_range, 3))
    # The same numbers the figures build with np.meshgrid today.
    x, y = np.linspace(*s.x_range, 5), np.linspace(*s.y_range, 3)
    assert np.array_equal(m, np.stack(np.meshgrid(x, y), axis=-1))
    assert s.contains(m).all()


# Values --------------------------------------------------------------------

# Worked out by hand from the published formulas, not from the code.
KNOWN_VALUES = [
    ("bowl", (10.0, 0.0), 5.0),
    ("bowl", (0.0, -3.0), 9.0),
    ("saddle", (1.0, 2.0), -3.0),
    ("rosenbrock", (0.0, 0.0), 1.0),
    ("rosenbrock", (-1.0, 1.0), 4.0),
    ("beale", (0.0, 0.0), 1.5**2 + 2.25**2 + 2.625**2),
    ("beale", (1.0, 1.0), 1.5**2 + 2.25**2 + 2.625**2),
    ("himmelblau", (0.0, 0.0), 170.0),
    ("rastrigin", (0.5, 0.5), 40.5),
    ("rastrigin", (1.0, 0.0), 1.0),
    ("camel", (1.0, 1.0), 4 - 2.1 + 1 / 3 + 1),
    ("camel", (0.0, 1.0), 0.0),
    ("goldstein_price", (0.0, 0.0), 600.0),
    ("goldstein_price", (0.0, -1.0), 3.0),
    ("monkey_saddle", (1.0, 1.0), -2.0),
    ("monkey_saddle", (2.0, 0.0), 8.0),
]


@pytest.mark.parametrize("name, point, expected", KNOWN_VALUES)
def test_known_values(name, point, expected):
    assert surfaces.get(name).value(point) == pytest.approx(expected, rel=1e-14)


def test_six_hump_camel_minimum_value():
    # The published global minimum of the six-hump camel is -1.0316284535.
    for m in surfaces.get("camel").minima:
        assert surfaces.get("camel").value(m) == pytest.approx(-1.0316284535, abs=1e-10)


# Gradients -----------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_finite_differences(name):
    s = surfaces.get(name)
    xy = _random_points(s, 200)
    h = 1e-6
    fd = np.empty_like(xy)
    for axis in range(2):
        step = np.zeros(2)
        step[axis] = h
        fd[:, axis] = (s.value(xy + step) - s.value(xy - step)) / (2 * h)
    g = s.grad(xy)
    # Central differences carry O(h^2) truncation error, relative to the
    # gradient, plus rounding error of about eps * |f| / h, which matters
    # where f is large but the gradient is not (Goldstein-Price walls).
    f = np.abs(s.value(xy))[:, None]
    tol = 1e-6 * np.maximum(1.0, np.abs(g)) + 100 * np.finfo(float).eps * f / h
    assert np.all(np.abs(fd - g) <= tol), np.max(np.abs(fd - g) / tol)


# Minima --------------------------------------------------------------------


@pytest.mark.parametrize("name", WITH_MINIMA)
def test_minimisers_are_stationary(name):
    s = surfaces.get(name)
    for m in s.minima:
        assert np.all(np.abs(s.grad(m)) <= 1e-8), (m, s.grad(m))


@pytest.mark.parametrize("name", WITH_MINIMA)
def test_minimisers_are_global_on_a_dense_grid(name):
    s = surfaces.get(name)
    _, values = _grid(name)
    floor = values.min()
    for m in s.minima:
        assert s.value(m) <= floor + 1e-12 * max(1.0, abs(floor))


def _components(mask):
    """Connected regions (8-neighbour) of a boolean grid, as index arrays."""
    unseen = {tuple(ij) for ij in np.argwhere(mask)}
    regions = []
    while unseen:
        stack = [unseen.pop()]
        region = []
        while stack:
            i, j = stack.pop()
            region.append((i, j))
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    if (i + di, j + dj) in unseen:
                        unseen.remove((i + di, j + dj))
                        stack.append((i + di, j + dj))
        regions.append(np.array(region))
    return regions


@pytest.mark.parametrize("name", WITH_MINIMA)
def test_every_global_minimum_is_listed(name):
    # Cut the grid just above the lowest value: each separate low region
    # holds a minimum no worse than the cut, so each must hold a listed one.
    # (Himmelblau has four such regions, the camel two.)
    s = surfaces.get(name)
    xy, v = _grid(name)
    floor = min(s.value(m) for m in s.minima)
    regions = _components(v <= floor + 0.05 * (1 + abs(floor)))
    assert len(regions) == len(s.minima)
    spacing = np.array([np.ptp(s.x_range), np.ptp(s.y_range)]) / (v.shape[0] - 1)
    listed = np.array(s.minima)
    for region in regions:
        points = xy[region[:, 0], region[:, 1]]
        lo, hi = points.min(axis=0) - spacing, points.max(axis=0) + spacing
        inside = np.all((lo <= listed) & (listed <= hi), axis=-1)
        assert inside.sum() == 1, f"low region around {tuple(points.mean(axis=0))}"


@pytest.mark.parametrize("name", UNBOUNDED)
def test_surfaces_without_minima_fall_off_the_window_edge(name):
    # Unbounded below: the lowest grid value is on the border, not inside,
    # and it is lower than the start.
    s = surfaces.get(name)
    _, v = _grid(name)
    i, j = np.unravel_index(np.argmin(v), v.shape)
    assert i in (0, v.shape[0] - 1) or j in (0, v.shape[1] - 1)
    assert v.min() < s.value(s.start)
    assert v[1:-1, 1:-1].min() > v.min()


def test_only_the_saddles_are_unbounded():
    assert UNBOUNDED == ["saddle", "monkey_saddle"]


# Shapes and batching -------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(2,), (5, 2), (3, 4, 2), (0, 2)])
def test_shapes_and_dtype(name, shape):
    s = surfaces.get(name)
    xy = _random_points(s, math.prod(shape[:-1])).reshape(shape)
    value, grad = s.value(xy), s.grad(xy)
    assert isinstance(value, np.ndarray) and value.shape == shape[:-1]
    assert isinstance(grad, np.ndarray) and grad.shape == shape
    assert value.dtype == np.float64 and grad.dtype == np.float64


@pytest.mark.parametrize("name", NAMES)
def test_accepts_lists_and_ints(name):
    s = surfaces.get(name)
    assert s.value([1, 0]) == s.value(np.array([1.0, 0.0]))
    assert np.array_equal(s.grad([[1, 0]]), s.grad(np.array([[1.0, 0.0]])))


@pytest.mark.parametrize("name", NAMES)
def test_batch_equals_one_at_a_time_bit_for_bit(name):
    # Enough points that a scalar-vs-array rounding difference would show.
    s = surfaces.get(name)
    xy = _random_points(s, 1000, seed=1).reshape(20, 50, 2)
    value, grad = s.value(xy), s.grad(xy)
    for index in np.ndindex(xy.shape[:-1]):
        assert np.array_equal(value[index], s.value(xy[index])), index
        assert np.array_equal(grad[index], s.grad(xy[index])), index
        assert np.array_equal(value[index], s.value(tuple(xy[index]))), index


@pytest.mark.parametrize("bad_shape", [(), (3,), (4, 3), (2, 1)])
def test_rejects_points_without_a_trailing_axis_of_two(bad_shape):
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        surfaces.get("bowl").value(np.zeros(bad_shape))
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        surfaces.get("bowl").grad(np.zeros(bad_shape))


@pytest.mark.parametrize("name", NAMES)
def test_huge_inputs_give_inf_nan_or_huge_values_without_raising(name):
    s = surfaces.get(name)
    xy = np.array(
        [[1e200, 1e200], [-1e200, 1e200], [1e200, -3.0], [np.inf, 0.0], [np.nan, 0.0]]
    )
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = s.value(xy), s.grad(xy)
    assert value.shape == (5,) and grad.shape == (5, 2)
    # Log-loss grows only linearly, so at 1e200 it is huge but finite.
    assert np.all(~np.isfinite(value) | (np.abs(value) > 1e100))


# Packaging -----------------------------------------------------------------


def test_import_pulls_in_neither_streamlit_nor_plotly():
    code = (
        "import surfaces, sys; "
        "assert 'streamlit' not in sys.modules and 'plotly' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)
