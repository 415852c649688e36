"""Data surfaces: the loss of a small model on a small data set, over its two parameters.

Here the noise of SGD is real: ``grad(xy, rows)`` is the gradient of the mean
loss over just the rows of one minibatch, and the contour is the mean loss over
the whole data set. The data sets are generated here, deterministically, from
``numpy.random.default_rng(SEED)``: nothing is downloaded.

- Line fit (least squares), y ≈ w·x + b on ``N_LINE`` points whose x lie
  between 3 and 7. Uncentred inputs couple w and b (raise w by 1 and every
  prediction rises by about 5, which lowering b by 5 almost undoes), so the
  bowl is a long thin valley. The same fit with standardized inputs
  z = (x − x̄)/s_x has a round bowl: its Hessian is exactly 2·I.
- Logistic regression with two weights and no bias on ``N_CLASSES`` points of
  two overlapping classes placed symmetrically about the origin. The classes
  overlap, so the mean log-loss has a finite minimum; it is found by Newton's
  method at import.

Each loss is written as on the slide, for points ``(P, 1)`` against data rows
``(m,)``: the ``(P, m)`` terms are averaged along the rows, one point per
row of the array, so a point's result does not depend on what else is in the
batch. A minibatch per point (data rows ``(P, m)``, e.g. one noisy run per
seed) goes through the same code. Large batches (the contour grid) are cut
into blocks of ``BLOCK`` points to keep those temporaries small.
"""

import numpy as np

from surfaces.base import Data, Surface, pair, readonly

SEED = 20240917
N_LINE = 48
N_CLASSES = 60
BLOCK = 4096  # points per block: a (4096, 60) temporary is 2 MB


def _blocks(n, fn):
    """``fn(part)`` over ``n`` points, a slice of at most ``BLOCK`` of them at a time
    (results are per point)."""
    if n <= BLOCK:
        return fn(slice(None))
    return np.concatenate([fn(slice(i, i + BLOCK)) for i in range(0, n, BLOCK)])


def _loss_and_grad(loss, grad, columns):
    """A surface's ``f`` and ``df`` (as keywords) from a loss and its gradient over data columns.

    ``loss(u, v, *columns)`` and ``grad(u, v, *columns)`` take the parameters as
    ``(P, 1)`` arrays and each data column as ``(m,)``. ``df(p, rows)`` hands
    them the chosen rows; ``rows=None`` means every row, through the same code.
    Rows shaped ``(P, m)`` give each point its own minibatch: the columns are
    then picked ``(P, m)``, one row per point, as the points are.
    """
    def f(p):
        return _blocks(len(p), lambda part: loss(p[part, :1], p[part, 1:], *columns))

    def df(p, rows=None):
        if rows is not None and rows.ndim == 2:  # a minibatch per point
            return _blocks(len(p), lambda part: grad(p[part, :1], p[part, 1:],
                                                     *(c[rows[part]] for c in columns)))
        # Every row is the columns themselves (equal to picking them all, without the copy).
        picked = columns if rows is None else [c[rows] for c in columns]
        return _blocks(len(p), lambda part: grad(p[part, :1], p[part, 1:], *picked))

    return {"f": f, "df": df}


# Line fit ------------------------------------------------------------------


def _line_data():
    rng = np.random.default_rng(SEED)
    x = rng.uniform(3.0, 7.0, N_LINE)
    y = 0.5 * x + 3.0 + rng.normal(0.0, 0.5, N_LINE)
    return x, y


def _squared_error(w, b, x, y):
    r = w * x + b - y  # residuals, (points, rows)
    return np.mean(r * r, axis=-1)


def _squared_error_grad(w, b, x, y):
    r = w * x + b - y
    return pair(2 * np.mean(r * x, axis=-1), 2 * np.mean(r, axis=-1))


def _least_squares_minimum(x, y):
    # The exact minimiser: the least-squares solution of [x 1] (w, b) = y.
    (w, b), *_ = np.linalg.lstsq(np.stack([x, np.ones_like(x)], axis=-1), y, rcond=None)
    return (float(w), float(b))


_X, _Y = _line_data()
# Population standard deviation (ddof=0): then mean(z) = 0, mean(z^2) = 1 and
# the Hessian 2 [[mean z^2, mean z], [mean z, 1]] is exactly 2 I.
_Z = (_X - _X.mean()) / _X.std()
_X, _Y, _Z = readonly(_X), readonly(_Y), readonly(_Z)

_line_lesson = (
    "Fitting a line y ≈ w·x + b to {n} points whose x lie between 3 and 7: "
    "raising w by 1 lifts every prediction by about 5, which lowering b by 5 "
    "almost undoes, so the loss is a long thin valley along b ≈ −5w. SGD at lr "
    "0.04, just under the rate where it blows up, zigzags across the valley at "
    "every step while crawling along it. Momentum, which builds up speed along "
    "the valley floor, and Adam, which rescales each direction, get much closer "
    "to the best line."
).format(n=N_LINE)

LEAST_SQUARES = Surface(
    name="least_squares",
    label="Line fit (raw inputs)",
    latex=r"L(w, b) = \frac{1}{n}\sum_{i=1}^{n} \left(w\,x_i + b - y_i\right)^2",
    **_loss_and_grad(_squared_error, _squared_error_grad, (_X, _Y)),
    x_range=(-1.5, 2.5),
    y_range=(-1.0, 4.0),
    minima=(_least_squares_minimum(_X, _Y),),
    start=(0.0, 0.0),
    log_color=True,
    lesson=_line_lesson,
    axis_names=("w", "b"),
    data=Data(_X[:, None], _Y, ("x",), "y"),
    standardized="least_squares_std",
    unstandardized="least_squares",
)

LEAST_SQUARES_STD = Surface(
    name="least_squares_std",
    label="Line fit (standardized inputs)",
    latex=(
        r"L(w, b) = \frac{1}{n}\sum_{i=1}^{n} \left(w\,z_i + b - y_i\right)^2,"
        r"\quad z_i = \frac{x_i - \bar{x}}{s_x}"
    ),
    **_loss_and_grad(_squared_error, _squared_error_grad, (_Z, _Y)),
    x_range=(-3.0, 4.0),
    y_range=(-1.0, 7.0),
    minima=(_least_squares_minimum(_Z, _Y),),
    start=(0.0, 0.0),
    log_color=False,
    lesson=(
        "The same {n} points with x standardized: z = (x − x̄)/s_x has mean 0 "
        "and spread 1, so w tilts the line about the middle of the data, b "
        "shifts it, and neither undoes the other. The loss is a round bowl whose "
        "slope points straight at the minimum, so SGD goes straight in, with no "
        "zigzag, at a learning rate (0.1) that blows up on the raw inputs. Adam, "
        "which scales each direction separately, gains nothing on a round bowl "
        "and takes a bent path."
    ).format(n=N_LINE),
    axis_names=("w", "b"),
    data=Data(_Z[:, None], _Y, ("x standardized",), "y"),
    standardized="least_squares_std",
    unstandardized="least_squares",
)


# Logistic regression ---------------------------------------------------------


def _class_data():
    rng = np.random.default_rng(SEED + 1)
    half = N_CLASSES // 2
    mean = np.array([0.8, 0.4])
    cov = 0.8 * np.array([[1.0, 0.5], [0.5, 1.0]])
    x = np.concatenate([rng.multivariate_normal(mean, cov, half),
                        rng.multivariate_normal(-mean, cov, half)])
    y = np.concatenate([np.ones(half), np.zeros(half)])
    return x[:, 0], x[:, 1], y


def _log_loss(w1, w2, x1, x2, y):
    z = w1 * x1 + w2 * x2
    return np.mean(np.logaddexp(0, z) - y * z, axis=-1)  # log(1 + e^z) - y z, without overflow


def _log_loss_grad(w1, w2, x1, x2, y):
    z = w1 * x1 + w2 * x2
    err = np.exp(-np.logaddexp(0, -z)) - y  # sigmoid(z) - y
    return pair(np.mean(err * x1, axis=-1), np.mean(err * x2, axis=-1))


def _logistic_minimum(x1, x2, y):
    # Newton's method on the mean log-loss, which is strictly convex here; the
    # classes overlap, so the minimum is finite. Quadratic convergence from 0
    # takes a handful of steps; the last ones only confirm it.
    X = np.stack([x1, x2], axis=-1)
    w = np.zeros(2)
    for _ in range(50):
        s = 1 / (1 + np.exp(-X @ w))
        g = X.T @ (s - y) / len(y)
        H = (X * (s * (1 - s))[:, None]).T @ X / len(y)
        step = np.linalg.solve(H, g)
        w = w - step
        if np.abs(step).max() <= 1e-15 * (1 + np.abs(w).max()):
            break
    return (float(w[0]), float(w[1]))


_X1, _X2, _C = (readonly(a) for a in _class_data())

LOGISTIC = Surface(
    name="logistic",
    label="Logistic regression",
    latex=(
        r"L(w_1, w_2) = \frac{1}{n}\sum_{i=1}^{n} \left[\log\left(1 + e^{z_i}\right)"
        r" - y_i z_i\right],\quad z_i = w_1 x_{i1} + w_2 x_{i2}"
    ),
    **_loss_and_grad(_log_loss, _log_loss_grad, (_X1, _X2, _C)),
    x_range=(-2.0, 5.0),
    y_range=(-3.0, 4.0),
    minima=(_logistic_minimum(_X1, _X2, _C),),
    start=(-1.5, 3.0),
    log_color=False,
    lesson=(
        "A linear classifier's log-loss on {n} points of two overlapping "
        "classes: a bowl with a single minimum, but a shallow one, with a slope "
        "of only about 0.4 where the paths start. At lr 0.5 plain gradient "
        "descent is still crawling toward the minimum after 100 steps; Momentum "
        "builds up speed on the gentle slope and Adam scales the small slopes "
        "up, so both arrive. On a bowl this shallow SGD needs a learning rate "
        "near 5 to keep up."
    ).format(n=N_CLASSES),
    axis_names=("w1", "w2"),
    data=Data(np.stack([_X1, _X2], axis=-1), _C, ("x1", "x2"), "class"),
)
