"""Tests for surfaces.from_formula: a student's own f(x, y).

Oracles: the hand-written catalog surfaces (the same formulas typed as text),
central finite differences for the symbolic gradients, and explicit timings
for hostile input. Hypothesis builds random formulas from the grammar.
"""

import ast
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import surfaces
from surfaces import formula

REPO_ROOT = Path(__file__).resolve().parents[1]

# The catalog's formulas as a student would type them.
CATALOG_AS_TEXT = {
    "bowl": "x**2/20 + y**2",
    "saddle": "x^2 - y^2",
    "rosenbrock": "(1-x)^2 + 100*(y-x^2)^2",
    "beale": "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
    "himmelblau": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    "rastrigin": "20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)",
    "camel": "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2",
    "goldstein_price": (
        "(1 + (x + y + 1)^2*(19 - 14*x + 3*x^2 - 14*y + 6*x*y + 3*y^2))"
        "*(30 + (2*x - 3*y)^2*(18 - 32*x + 12*x^2 + 48*y - 36*x*y + 27*y^2))"
    ),
    "monkey_saddle": "x**3 - 3*x*y**2",
}

# Formulas using every function, with windows where they are defined.
SMOOTH = [
    ("sin(x)*cos(y) + 0.1*(x^2+y^2)", (-5, 5), (-5, 5)),
    ("exp(-(x^2 + y^2)/4) * tan(x/3) + y", (-3, 3), (-3, 3)),
    ("asin(x/3) + acos(y/3) + atan(x*y)", (-2.5, 2.5), (-2.5, 2.5)),
    ("sinh(x/2) + cosh(y/2) + tanh(x - y)", (-3, 3), (-3, 3)),
    ("log(x) + ln(y) + sqrt(x*y)", (0.5, 4), (0.5, 4)),
    ("abs(x - 0.3) + abs(y + 0.1)^1.5", (-2, 2), (-2, 2)),
    ("2^x + e^(-y^2) + x^y", (0.5, 2), (-1, 1)),
    ("pi*x − y×x ÷ 3 · 2", (-1, 1), (-1, 1)),
    ("-x^2 - -y^-2 + 3^-1*x", (0.5, 2), (0.5, 2)),
]


def _random_points(s, n, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(*s.x_range, n), rng.uniform(*s.y_range, n)], axis=-1)


_PROBE = np.random.default_rng(7).uniform(-1, 1, 12)  # offsets no lattice of float spacings lines up with


def _rounding_noise(s, xy, e, reach):
    """How far the values near each point (twelve, at irregular offsets within ``reach``
    along ``e``) scatter about a parabola: the rounding a big inner term adds (``cos(x +
    1e10)`` only moves in steps of the float spacing at 1e10, 2e-6), which no estimate
    from the value alone sees.  Infinite where the values are all equal: no difference
    can be measured there."""
    t = _PROBE
    v = s.value((xy[:, None, :] + (t[None, :, None] * reach[:, None, None]) * e).reshape(-1, 2))
    v = v.reshape(len(xy), len(t))
    basis = np.vander(t, 3)
    resid = v - v @ np.linalg.pinv(basis).T @ basis.T
    with np.errstate(invalid="ignore"):
        noise = np.sqrt(np.mean(resid ** 2, axis=1))
    return np.where(np.ptp(v, axis=1) == 0, np.inf, noise)


def _finite_difference_mismatch(s, xy, steps=(1e-6, 1e-4)):
    """Points and axes where the gradient disagrees with a converged central difference.

    A step h says something only where its difference has converged (steps h,
    h/2 and h/3 agree; one not a power of two apart, or a value that moves in
    whole units of a big inner term's float spacing agrees by coincidence), the
    values near the point do not scatter by more than the tolerance over the
    step (rounding in ``cos(x + 1e10)``, a wave far shorter than the step), and
    every value is finite (a kink or a pole within h says nothing).  A point is
    wrong when some step says something, the steps that do agree with each
    other, and none agrees with the gradient: rounding inside the formula
    (``sin(x + cosh(14))`` adds x to 6e5) can spoil the smallest step, and the
    larger one then tells; steps that disagree with each other measure nothing.
    """
    g = s.grad(xy)
    f = np.abs(s.value(xy))
    bad = []
    for axis in range(2):
        e = np.zeros(2)
        e[axis] = 1.0
        said = []  # (converged, difference, tolerance) per step
        for h in steps:
            step = h * np.maximum(1.0, np.abs(xy[:, axis]))[:, None] * e
            noise = _rounding_noise(s, xy, e, step[:, axis])
            fd1, fd2, fd3 = ((s.value(xy + step / k) - s.value(xy - step / k)) / (2 * step[:, axis] / k)
                             for k in (1, 2, 3))
            tol = 1e-5 * np.maximum(1.0, np.abs(fd2)) + 100 * np.finfo(float).eps * f / step[:, axis]
            ok = (np.isfinite(fd1) & np.isfinite(fd2) & np.isfinite(fd3) & np.isfinite(g[:, axis])
                  & (np.abs(fd1 - fd2) <= tol) & (np.abs(fd3 - fd2) <= tol)
                  & (10 * noise / step[:, axis] <= tol))
            said.append((ok, fd2, tol))
        (ok_a, fd_a, tol_a), (ok_b, fd_b, tol_b) = said
        right = (ok_a & (np.abs(g[:, axis] - fd_a) <= 2 * tol_a)) | (ok_b & (np.abs(g[:, axis] - fd_b) <= 2 * tol_b))
        consistent = ~(ok_a & ok_b) | (np.abs(fd_a - fd_b) <= 2 * (tol_a + tol_b))
        wrong = (ok_a | ok_b) & consistent & ~right
        bad += [(tuple(xy[i]), axis, g[i, axis], (fd_a if ok_a[i] else fd_b)[i]) for i in np.flatnonzero(wrong)]
    return bad


# The examples and the catalog ------------------------------------------------


@pytest.mark.parametrize("name", list(CATALOG_AS_TEXT))
def test_typed_catalog_formula_equals_the_hand_written_surface(name):
    hand = surfaces.get(name)
    typed = surfaces.from_formula(CATALOG_AS_TEXT[name], hand.x_range, hand.y_range)
    xy = _random_points(hand, 500, seed=3)
    v, v0 = typed.value(xy), hand.value(xy)
    g, g0 = typed.grad(xy), hand.grad(xy)
    # Equal to rounding: SymPy reorders terms and folds constants (x^2/20 is
    # computed as (1/20)*x^2), so the last few bits may differ.
    assert np.allclose(v, v0, rtol=1e-12, atol=1e-12 * np.abs(v0).max())
    assert np.allclose(g, g0, rtol=1e-11, atol=1e-11 * np.abs(g0).max())
    # The colour-scale rule picks what was picked by hand for the catalog.
    assert typed.log_color == hand.log_color


def test_the_issue_examples_parse():
    for text, window in [
        ("x**2/20 + y**2", ((-10, 10), (-5, 5))),
        ("sin(x)*cos(y) + 0.1*(x^2+y^2)", ((-5, 5), (-5, 5))),
        ("(1-x)^2 + 100*(y-x^2)^2", ((-2, 2), (-1, 3))),
    ]:
        s = surfaces.from_formula(text, *window)
        assert isinstance(s, surfaces.Surface)
        assert s.name == "formula" == formula.FORMULA_NAME
        assert s.label == text


def test_sin_cos_example_against_numpy_written_by_hand():
    s = surfaces.from_formula("sin(x)*cos(y) + 0.1*(x^2+y^2)", (-5, 5), (-5, 5))
    xy = _random_points(s, 300)
    x, y = xy[:, 0], xy[:, 1]
    assert np.allclose(s.value(xy), np.sin(x) * np.cos(y) + 0.1 * (x**2 + y**2), rtol=1e-13, atol=1e-13)
    expected = np.stack([np.cos(x) * np.cos(y) + 0.2 * x, -np.sin(x) * np.sin(y) + 0.2 * y], -1)
    assert np.allclose(s.grad(xy), expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("text, point, expected", [
    ("x^2 + 1", (3.0, 0.0), 10.0),           # ^ binds tighter than +, unlike Python's xor
    ("2^3^2 + 0*y + x", (0.0, 0.0), 512.0),   # right-associative, as on paper
    ("-x^2 + y", (3.0, 0.0), -9.0),          # -(x^2), not (-x)^2
    ("x**-1 + y", (4.0, 0.0), 0.25),
    ("e^x + y", (1.0, 0.0), np.e),
    ("pi*x + y", (1.0, 0.0), np.pi),
    ("ln(x) + log(y)", (np.e, 1.0), 1.0),
    ("x − 2×y ÷ 4 · 3", (1.0, 2.0), -2.0),  # typographic signs
])
def test_reads_like_paper(text, point, expected):
    s = surfaces.from_formula(text, (-5, 5), (-5, 5))
    assert s.value(point) == pytest.approx(expected, rel=1e-14)


# Gradients -------------------------------------------------------------------


@pytest.mark.parametrize("text, xr, yr", SMOOTH)
def test_symbolic_gradient_matches_finite_differences(text, xr, yr):
    s = surfaces.from_formula(text, xr, yr)
    xy = _random_points(s, 300, seed=5)
    assert np.isfinite(s.grad(xy)).all() and np.isfinite(s.value(xy)).all()
    assert _finite_difference_mismatch(s, xy) == []


@pytest.mark.parametrize("text, xr, yr", SMOOTH)
def test_batch_equals_one_at_a_time_bit_for_bit(text, xr, yr):
    s = surfaces.from_formula(text, xr, yr)
    xy = _random_points(s, 600, seed=1).reshape(20, 30, 2)
    value, grad = s.value(xy), s.grad(xy)
    for index in np.ndindex(xy.shape[:-1]):
        assert np.array_equal(value[index], s.value(xy[index])), index
        assert np.array_equal(grad[index], s.grad(xy[index])), index


@pytest.mark.parametrize("shape", [(2,), (5, 2), (3, 4, 2), (0, 2)])
def test_shapes_and_dtype(shape):
    s = surfaces.from_formula("x^2 + 3", (-1, 1), (-1, 1))  # d/dy is the constant 0
    xy = np.full(shape, 0.5)
    value, grad = s.value(xy), s.grad(xy)
    assert value.shape == shape[:-1] and grad.shape == shape
    assert value.dtype == np.float64 and grad.dtype == np.float64
    assert np.all(grad[..., 1] == 0.0)


def test_results_are_fresh_arrays_not_views_of_the_input():
    s = surfaces.from_formula("x + 0*y", (-1, 1), (-1, 1))  # f is x itself
    xy = np.array([[0.25, 0.5]])
    v = s.value(xy)
    v[...] = 99.0
    assert xy.tolist() == [[0.25, 0.5]]
    assert s.value(xy).tolist() == [0.25]


def test_partly_undefined_is_nan_there_without_warnings():
    s = surfaces.from_formula("sqrt(x) + y^2", (-2, 2), (-2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v, g = s.value([[-1.0, 0.0], [4.0, 1.0]]), s.grad([[-1.0, 0.0], [4.0, 1.0]])
    assert np.isnan(v[0]) and v[1] == 3.0
    assert np.isnan(g[0, 0]) and g[1].tolist() == [0.25, 2.0]


# Surface facts ----------------------------------------------------------------


@pytest.mark.parametrize("text, xr, yr", SMOOTH + [(t, (-3, 3), (-2, 2)) for t in CATALOG_AS_TEXT.values()])
def test_facts_of_a_formula_surface(text, xr, yr):
    s = surfaces.from_formula(text, xr, yr)
    assert s.x_range == tuple(map(float, xr)) and s.y_range == tuple(map(float, yr))
    assert all(type(v) is float for v in (*s.x_range, *s.y_range, *s.start))
    assert s.contains(s.start)
    assert np.isfinite(s.value(s.start)) and np.isfinite(s.grad(s.start)).all()
    assert s.minima == () and s.f_min is None and s.minima_known is False
    assert type(s.log_color) is bool
    assert s.latex.startswith("f(x, y) = ") and "$" not in s.latex
    assert s.label == " ".join(text.split()) and s.lesson.strip()
    hash(s)


def test_start_is_on_low_ground_away_from_the_lowest_point():
    # Bowl: the lowest grid point is the centre; the start is in the window's
    # inner 80%, below the median value, and far from the centre.
    s = surfaces.from_formula("x^2/20 + y^2", (-10, 10), (-5, 5))
    x, y = s.start
    assert -8 <= x <= 8 and -4 <= y <= 4
    assert np.hypot(x / 20, y / 10) > 0.3
    grid = s.value(s.mesh(41, 41))
    assert s.value(s.start) <= np.median(grid)
    # Rosenbrock: the start lands on the curved valley floor, far from (1, 1).
    r = surfaces.from_formula("(1-x)^2 + 100*(y-x^2)^2", (-2, 2), (-1, 3))
    assert r.start[0] < 0 and abs(r.start[1] - r.start[0] ** 2) < 0.5


def test_rebuilt_from_its_label():
    s = surfaces.from_formula("  x^2   +\ty^2 ", (-1, 1), (-2, 2))
    assert s.label == "x^2 + y^2"
    again = surfaces.from_formula(s.label, s.x_range, s.y_range)
    xy = _random_points(s, 50)
    assert np.array_equal(again.value(xy), s.value(xy)) and again.start == s.start


def test_same_text_and_window_give_the_same_cached_surface():
    a = surfaces.from_formula("x^2 + 2*y^2", (-3, 3), (-2, 2))
    b = surfaces.from_formula("x^2 + 2*y^2", [-3.0, 3.0], np.array([-2, 2]))
    assert a is b and a == b and hash(a) == hash(b)
    assert surfaces.from_formula("x^2 + 2*y^2", (-3, 3), (-2, 2.5)) is not a


def test_cached_lookup_is_fast():
    surfaces.from_formula("x^2 + 3*y^2", (-3, 3), (-2, 2))
    t = time.perf_counter()
    for _ in range(1000):
        surfaces.from_formula("x^2 + 3*y^2", (-3, 3), (-2, 2))
    assert (time.perf_counter() - t) / 1000 < 1e-3


def test_sympy_is_imported_only_when_a_formula_is_compiled():
    code = (
        "import sys, surfaces\n"
        "assert 'sympy' not in sys.modules\n"
        "for bad in ['__import__(\"os\")', '9**9**9**9', 'x.y']:\n"
        "    try: surfaces.from_formula(bad, (-1, 1), (-1, 1))\n"
        "    except ValueError: pass\n"
        "assert 'sympy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


# Hostile input -----------------------------------------------------------------

HOSTILE = [
    "9**9**9**9",
    "9^9^9^9",
    "x" * 10_000,
    "x+" * 5_000 + "y",
    "__import__('os')",
    "__import__('os').system('echo pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "(lambda: 1)()",
    "lambda x: x",
    "[x for x in range(10**9)]",
    "{x: y for x in y}",
    "(x for x in y)",
    "x[0]",
    "eval('1')",
    "exec('import os')",
    "open('/etc/passwd')",
    "getattr(x, 'real')",
    "sin(x=1)",
    "sin(*x)",
    "'a' * 10**9",
    "b'abc'",
    "f'{x}'",
    "x if y else 1",
    "x < y",
    "x and y",
    "not x",
    "(x := 1)",
    "x @ y",
    "10**10**10",
    "1e308 * 1e308 * x",
    "exp(exp(exp(100))) * x",
    "(10^10)^10^10",
    "x^1000000",
    "sin(" * 60 + "x" + ")" * 60,
    "(" * 150 + "x" + ")" * 150,
    "-" * 199 + "x",
    "9" * 199,
    "x**(9**9**9)",
    "\x00x",
    "x\u202e+y",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:30]))
def test_hostile_input_is_refused_quickly(text):
    t = time.perf_counter()
    with pytest.raises(ValueError):
        surfaces.from_formula(text, (-5, 5), (-5, 5))
    # Refused in about a millisecond; the bound leaves room for a busy machine.
    assert time.perf_counter() - t < 0.5


# Messages ------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    # A syntax error and where it is.
    ("x + * y", ["Syntax error", "column 5"]),
    ("x +", ["Syntax error", "at the end"]),
    ("(x + y", ["Syntax error", "never closed"]),
    ("2x + y", ["Syntax error", "2*x"]),
    ("(x+1)(y-1)", ["product needs a *"]),
    # An unknown name, with the allowed ones.
    ("foo + x", ["Unknown name 'foo'", "column 1", "x, y", "pi", "sin", "sqrt", "tanh"]),
    ("x + Y", ["Unknown name 'Y'", "column 5", "did you mean y"]),
    ("bar(x)", ["Unknown function 'bar'", "sin, cos, tan"]),
    ("__import__('os')", ["Unknown function '__import__'"]),
    ("sin + x", ["sin", "is a function", "sin(x)"]),
    ("x(y)", ["x", "not a function"]),
    # Constructs outside the grammar, with where they are.
    ("x.real", ["Attribute access", "column 2"]),
    ("x[0] + y", ["Indexing", "column 2"]),
    ("x % y", ["%", "column 3"]),
    ("'a' + x", ["Text in quotes"]),
    ("lambda: x", ["lambda"]),
    ("[x for x in y]", ["comprehension"]),
    ("sin(x, y)", ["sin()", "exactly one argument"]),
    ("x²", ["'²'", "^2"]),
    # Limits, naming the limit.
    ("x" * 201, ["201 characters", "200"]),
    ("+".join(["x"] * 60), ["too complex", "100"]),
    ("sin(" * 25 + "x" + ")" * 25, ["20 levels"]),
    ("9**9**9**9", ["exponent 9**9", "387", "-10 and 10"]),
    ("x^11", ["exponent 11", "-10 and 10"]),
    ("2000000*x", ["2000000", "too large", "1e+06"]),
    ("exp(100)*x", ["exp(100)", "too large"]),
    # Undefined constants.
    ("x/0", ["x/0", "divides by zero"]),
    ("log(-1) + x", ["log(-1)", "domain of log"]),
    ("(-8)^(1/3) + x", ["not a real number"]),
    ("(-2)^x", ["positive base"]),
    # Constant functions.
    ("3", ["constant"]),
    ("x - x + 1", ["constant"]),
    ("sin(x)^2 + cos(x)^2", ["constant"]),
    # Not finite anywhere in the window (-5..5).
    ("log(-x^2 - 1) + y", ["not finite anywhere", "x in [-5, 5]"]),
    ("", ["empty"]),
])
def test_message_names_what_is_wrong(text, expected):
    with pytest.raises(ValueError) as err:
        surfaces.from_formula(text, (-5, 5), (-5, 5))
    for part in expected:
        assert part in str(err.value), (part, str(err.value))


@pytest.mark.parametrize("x_range, y_range, expected", [
    ((0, float("nan")), (0, 1), ["x range", "finite"]),
    ((0, 1), (float("-inf"), 0), ["y range", "finite"]),
    ((1, 1), (0, 1), ["x range", "empty"]),
    ((2, 1), (0, 1), ["x range", "empty"]),
    ((0, 1), (-2e4, 0), ["y range", "too large", "10000"]),
    ((0, 100), (0, 1), ["too thin", "20 times"]),
    ((1, 2, 3), (0, 1), ["x range", "two numbers"]),
    ("ab", (0, 1), ["x range", "two numbers"]),
    (None, (0, 1), ["x range", "two numbers"]),
])
def test_bad_windows_are_named(x_range, y_range, expected):
    with pytest.raises(ValueError) as err:
        surfaces.from_formula("x + y", x_range, y_range)
    for part in expected:
        assert part in str(err.value), (part, str(err.value))


def test_deep_parentheses_within_the_length_limit_are_harmless():
    t = time.perf_counter()
    s = surfaces.from_formula("(" * 99 + "x" + ")" * 99, (-1, 1), (-1, 1))
    assert time.perf_counter() - t < 0.5
    assert s.value((0.5, 0.0)) == 0.5


def test_non_text_formula_is_a_value_error():
    with pytest.raises(ValueError, match="must be text"):
        surfaces.from_formula(None, (0, 1), (0, 1))


def test_not_finite_in_this_window_but_fine_in_another():
    with pytest.raises(ValueError, match="not finite anywhere"):
        surfaces.from_formula("log(x) + y", (-5, -1), (-1, 1))
    assert surfaces.from_formula("log(x) + y", (1, 5), (-1, 1)).contains((2, 0))


def test_limits_are_the_documented_constants():
    assert formula.MAX_LENGTH == 200 and formula.MAX_EXPONENT == 10
    assert formula.MAX_CONSTANT == 1e6 and formula.MAX_NODES == 100 and formula.MAX_DEPTH == 20
    assert set(formula.FUNCTIONS) == {"sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
                                      "tanh", "exp", "log", "ln", "sqrt", "abs"}
    assert set(formula.CONSTANTS) == {"pi", "e"}


# Property tests ------------------------------------------------------------------

_numbers = st.one_of(
    st.integers(-12, 12).map(str),
    st.floats(0, 50, allow_nan=False).map(lambda v: f"{v:.3g}"),
    st.sampled_from(["1e7", "1e-300", "0", "0.0", "1e6", "10**10", "9**9**9"]),
)
# Mostly variables: a formula made of numbers alone is just refused as constant.
_leaves = st.one_of(st.sampled_from(["x", "y"]), st.sampled_from(["x*y", "x", "y", "pi", "e"]), _numbers)


def _extend(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^", "**"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda a: f"-{a}"),
        st.tuples(st.sampled_from(sorted(formula.FUNCTIONS)), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.integers(-4, 12)).map(lambda t: f"({t[0]})^{t[1]}"),
    )


# At least one operation or function at the top, so few draws are a lone number.
formulas = _extend(st.recursive(_leaves, _extend, max_leaves=14))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formulas)
def test_random_formulas_are_refused_cleanly_or_have_consistent_gradients(text):
    try:
        s = surfaces.from_formula(text, (-3, 3), (-2, 2))
    except ValueError as err:
        assert str(err)
        return
    assert s.contains(s.start)
    assert np.isfinite(s.value(s.start)) and np.isfinite(s.grad(s.start)).all()
    xy = _random_points(s, 40, seed=len(text))
    with np.errstate(all="ignore"):
        assert _finite_difference_mismatch(s, xy) == [], text


# Everything the walk might meet: grammar pieces, Python syntax, odd characters.
_alphabet = st.sampled_from(list("xy0123456789.+-*/^() ,e") + [
    "pi", "sin", "exp", "sqrt", "abs", "log", "__", "import", "'", '"', "[", "]", "{", "}",
    ":", "=", "<", "lambda ", " for ", " in ", ".real", "%", "@", "~", "!", "\\", "\n", "\t",
    "−", "²", "\x00", "ｘ", "1e999", "**", "9**9**9", ";", "#", "j",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_alphabet, max_size=40).map("".join))
def test_random_text_raises_only_value_error(text):
    try:
        s = surfaces.from_formula(text, (-2, 2), (-2, 2))
    except ValueError as err:
        assert str(err)
        return
    assert isinstance(s, surfaces.Surface)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=250))
def test_arbitrary_unicode_raises_only_value_error(text):
    try:
        surfaces.from_formula(text, (-2, 2), (-2, 2))
    except ValueError:
        pass


def test_walk_accepts_only_whitelisted_nodes():
    # A tree that got past the walk holds nothing but these node types.
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Call,
               ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd, ast.Load)
    for text, xr, yr in SMOOTH:
        tree, reader = formula._parse(text)
        reader.check(tree.body, 1)
        assert all(isinstance(n, allowed) for n in ast.walk(tree)), text


HEAVY = ("sin(sin(sin(sin(sin(sin(sin(sin(x*y))))))))+cos(cos(cos(cos(cos(cos(cos(x+y)))))))"
         "+exp(sin(exp(sin(exp(sin(x))))))*exp(cos(exp(cos(exp(cos(y))))))")


def test_a_costly_formula_declares_what_its_gradient_costs():
    """grad_cost grows with the gradient's operations (an estimate from the expressions, the same
    on every machine): 1 for a plain formula, up to COST_CAP, and it sizes the runner's limits and
    the convergence map's steps."""
    import optimizers
    from urllib.parse import urlencode

    from ui import cache

    plain = formula.from_formula("x^2/20 + y^2", (-5.0, 5.0), (-5.0, 5.0))
    middle = formula.from_formula("sin(x)*cos(y)*exp(-(x^2+y^2)/10) + log(1+x^2+y^2)*tanh(x*y)",
                                  (-5.0, 5.0), (-5.0, 5.0))
    heavy = formula.from_formula(HEAVY, (-5.0, 5.0), (-5.0, 5.0))
    assert plain.grad_cost == 1.0
    assert 1.0 < middle.grad_cost < heavy.grad_cost <= formula.COST_CAP
    assert surfaces.get("bowl").grad_cost == 1.0
    assert optimizers.point_step_cost(heavy) == heavy.grad_cost
    with pytest.raises(ValueError, match="grad_cost"):
        optimizers.run(optimizers.get("adam"), heavy, np.zeros((10_000, 2)), 300)
    links = {name: urlencode(dict(surface="formula", f=text, xr="-5/5", yr="-5/5", opt="adam,lr=0.1",
                                  x0=1, y0=1, steps=300))
             for name, text in (("plain", "x^2/20 + y^2"), ("heavy", HEAVY))}
    assert cache.map_steps(links["plain"]) == cache.MAP_STEPS
    assert cache.map_steps(links["heavy"]) == int(cache.MAP_STEPS / heavy.grad_cost)


def test_a_start_rounded_onto_a_pole_is_not_used():
    """Found by the random formulas: ln(y - x - 1)'s start rounds to (0.6, 1.6), where it is ln(0)."""
    s = surfaces.from_formula("ln(((y - x) - (x)^0))", (-3, 3), (-2, 2))
    assert s.contains(s.start)
    assert np.isfinite(s.value(s.start)) and np.isfinite(s.grad(s.start)).all()


def test_the_start_keeps_off_the_edge_of_where_a_formula_is_defined():
    """ln(y - x - 1) one grid step from y = x + 1 had a gradient of 2e15 and a start of
    (0.5999999999999996, 1.6) in the link: every path left the window at once."""
    for text, window in [("ln(y - x - 1)", ((-3, 3), (-2, 2))), ("ln(y - x - 1)", ((-2, 2), (-2, 2))),
                         ("sqrt(x) + y^2", ((-2, 2), (-2, 2))), ("sqrt(1 - x^2 - y^2)", ((-2, 2), (-2, 2)))]:
        s = surfaces.from_formula(text, *window)
        x, y = s.start
        assert (round(x, 12), round(y, 12)) == (x, y), (text, s.start)
        (x0, x1), (y0, y1) = window
        dx, dy = (x1 - x0) / (formula.GRID - 1), (y1 - y0) / (formula.GRID - 1)
        near = np.array([[x + i * dx, y + j * dy] for i in (-1, 0, 1) for j in (-1, 0, 1)])
        assert np.isfinite(s.value(near)).all() and np.isfinite(s.grad(near)).all(), (text, s.start)
