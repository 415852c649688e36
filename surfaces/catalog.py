"""The test functions, one ``Surface(...)`` each.

Each entry keeps its formula in two forms side by side: ``latex`` for display
and a pair of NumPy functions (value and analytic gradient) that read like it.
Keep the two in step when editing: the tests check each gradient against
finite differences of its value at random points in the window, and a few
values against numbers worked out by hand from the published formula.

Functions take points shaped ``(n, 2)`` and use elementwise operations only.
They do not guard against overflow: huge inputs give inf or nan, and the
caller decides whether to silence NumPy's warnings.
"""

import numpy as np

from surfaces.base import Surface, pair


# Stretched bowl ----------------------------------------------------------


def _bowl(xy):
    x, y = xy[..., 0], xy[..., 1]
    return x**2 / 20 + y**2


def _bowl_grad(xy):
    x, y = xy[..., 0], xy[..., 1]
    return pair(x / 10, 2 * y)


BOWL = Surface(
    name="bowl",
    label="Stretched bowl",
    latex=r"f(x, y) = \frac{x^2}{20} + y^2",
    f=_bowl,
    df=_bowl_grad,
    x_range=(-10.0, 10.0),
    y_range=(-5.0, 5.0),
    minima=((0.0, 0.0),),
    start=(-7.0, 2.0),
    log_color=False,
    lesson=(
        "The bowl curves 20 times more steeply along y than along x. At lr 0.95 "
        "plain "
        "gradient descent overshoots the steep direction at every step, so y flips "
        "sign each time and the path zigzags while it creeps along x; Adam, which "
        "scales each direction's step by that direction's typical slope, glides in "
        "with its loss falling at every step. SGD still ends lower here, but only "
        "because 0.95 sits just under 1.0, beyond which its zigzag grows instead."
    ),
)


# Saddle ------------------------------------------------------------------


def _saddle(xy):
    x, y = xy[..., 0], xy[..., 1]
    return x**2 - y**2


def _saddle_grad(xy):
    x, y = xy[..., 0], xy[..., 1]
    return pair(2 * x, -2 * y)


SADDLE = Surface(
    name="saddle",
    label="Saddle",
    latex=r"f(x, y) = x^2 - y^2",
    f=_saddle,
    df=_saddle_grad,
    x_range=(-2.0, 2.0),
    y_range=(-2.0, 2.0),
    minima=(),
    start=(-1.8, 0.01),
    log_color=False,
    lesson=(
        "The slope vanishes at the saddle point (0, 0), but it is not a minimum: "
        "the surface falls away along y. Started just off the ridge, plain "
        "gradient descent crawls toward the saddle and after 40 steps is still "
        "beside it. RMSProp, AdaGrad and Adam divide each step by the recent size "
        "of the slope, so even a tiny slope gives a full-size step: they leave "
        "the plot within 5 to 20 steps."
    ),
)


# Rosenbrock --------------------------------------------------------------


def _rosenbrock(xy):
    x, y = xy[..., 0], xy[..., 1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _rosenbrock_grad(xy):
    x, y = xy[..., 0], xy[..., 1]
    dx = -2 * (1 - x) - 400 * x * (y - x**2)
    dy = 200 * (y - x**2)
    return pair(dx, dy)


ROSENBROCK = Surface(
    name="rosenbrock",
    label="Rosenbrock",
    latex=r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
    f=_rosenbrock,
    df=_rosenbrock_grad,
    x_range=(-2.0, 2.0),
    y_range=(-1.0, 3.0),
    minima=((1.0, 1.0),),
    start=(-1.2, 1.0),
    log_color=True,
    lesson=(
        "Reaching the long, curved valley is easy: every optimizer here is in it "
        "within about ten steps. Following its nearly flat floor to the minimum at "
        "(1, 1) is slow: after 300 steps none has arrived, plain gradient descent "
        "has covered less than half the way, and Momentum, which keeps the speed "
        "it builds up, gets closest."
    ),
)


# Beale -------------------------------------------------------------------


def _beale(xy):
    x, y = xy[..., 0], xy[..., 1]
    return (
        (1.5 - x + x * y) ** 2
        + (2.25 - x + x * y**2) ** 2
        + (2.625 - x + x * y**3) ** 2
    )


def _beale_grad(xy):
    # Powers as products: on an array, NumPy's ** above 2 goes through pow(), about
    # six times slower than two multiplications, and a map takes 3 million gradients.
    x, y = xy[..., 0], xy[..., 1]
    y2 = y * y
    y3 = y2 * y
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y2
    t3 = 2.625 - x + x * y3
    dx = 2 * t1 * (y - 1) + 2 * t2 * (y2 - 1) + 2 * t3 * (y3 - 1)
    dy = 2 * t1 * x + 2 * t2 * (2 * x * y) + 2 * t3 * (3 * x * y2)
    return pair(dx, dy)


BEALE = Surface(
    name="beale",
    label="Beale",
    latex=(
        r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2"
        r" + (2.625 - x + xy^3)^2"
    ),
    f=_beale,
    df=_beale_grad,
    x_range=(-4.5, 4.5),
    y_range=(-4.5, 4.5),
    minima=((3.0, 0.5),),
    start=(1.0, -1.0),
    log_color=True,
    lesson=(
        "A flat plateau meets steep walls, so the slope shrinks a thousandfold on "
        "the way from the start to the minimum at (3, 0.5). Plain gradient descent "
        "at lr 0.01 slows to a crawl as the ground flattens and is still short of "
        "the minimum after 200 steps (at lr 0.1 it is thrown off the plot instead). "
        "AdaGrad and Adam divide each step by the size of recent slopes, so they "
        "keep moving on the flat and reach the minimum."
    ),
)


# Himmelblau --------------------------------------------------------------


def _himmelblau(xy):
    x, y = xy[..., 0], xy[..., 1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _himmelblau_grad(xy):
    x, y = xy[..., 0], xy[..., 1]
    u = x**2 + y - 11
    v = x + y**2 - 7
    return pair(4 * x * u + 2 * v, 2 * u + 4 * y * v)


HIMMELBLAU = Surface(
    name="himmelblau",
    label="Himmelblau",
    latex=r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    f=_himmelblau,
    df=_himmelblau_grad,
    x_range=(-5.0, 5.0),
    y_range=(-5.0, 5.0),
    # (3, 2) is exact; the other three were refined by Newton's method on the
    # gradient in 40-digit arithmetic and rounded to float64.
    minima=(
        (3.0, 2.0),
        (-2.805118086952745, 3.131312518250573),
        (-3.779310253377747, -3.2831859912861696),
        (3.5844283403304917, -1.8481265269644036),
    ),
    start=(-0.3, -0.9),
    log_color=True,
    lesson=(
        "Four equally good minima, all with value 0: which one a run ends in "
        "depends on the optimizer and its learning rate. From beside the hilltop "
        "in the middle, SGD and Momentum roll down to the minimum at (-3.78, "
        "-3.28), while RMSProp and Adam, whose first steps go equally far in x and "
        "y, head up to the one at (-2.81, 3.13)."
    ),
)


# Rastrigin ---------------------------------------------------------------


def _rastrigin(xy):
    x, y = xy[..., 0], xy[..., 1]
    return 20 + x**2 - 10 * np.cos(2 * np.pi * x) + y**2 - 10 * np.cos(2 * np.pi * y)


def _rastrigin_grad(xy):
    x, y = xy[..., 0], xy[..., 1]
    dx = 2 * x + 20 * np.pi * np.sin(2 * np.pi * x)
    dy = 2 * y + 20 * np.pi * np.sin(2 * np.pi * y)
    return pair(dx, dy)


RASTRIGIN = Surface(
    name="rastrigin",
    label="Rastrigin",
    latex=r"f(x, y) = 20 + x^2 - 10\cos(2\pi x) + y^2 - 10\cos(2\pi y)",
    f=_rastrigin,
    df=_rastrigin_grad,
    x_range=(-5.12, 5.12),
    y_range=(-5.12, 5.12),
    minima=((0.0, 0.0),),
    start=(3.2, 2.4),
    log_color=False,
    lesson=(
        "A bowl covered in ripples, with a dip near every point whose "
        "coordinates are whole numbers. From (3.2, 2.4) SGD's small steps settle "
        "in the nearest dip, near (3, 2); Momentum hops a ridge to (3, 1), AdaGrad "
        "to (2, 2) and RMSProp to (1, 1). Each follows only the local slope, so "
        "none finds the global minimum at the origin."
    ),
)


# Six-hump camel ----------------------------------------------------------


def _camel(xy):
    x, y = xy[..., 0], xy[..., 1]
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def _camel_grad(xy):
    x, y = xy[..., 0], xy[..., 1]
    x2, y2 = x * x, y * y  # x^3 = x2 x, x^5 = x2 x2 x: products, as in _beale_grad
    dx = 8 * x - 8.4 * x2 * x + 2 * x2 * x2 * x + y
    dy = x - 8 * y + 16 * y2 * y
    return pair(dx, dy)


CAMEL = Surface(
    name="camel",
    label="Six-hump camel",
    latex=(
        r"f(x, y) = \left(4 - 2.1\,x^2 + \frac{x^4}{3}\right) x^2 + xy"
        r" + (-4 + 4y^2)\,y^2"
    ),
    f=_camel,
    df=_camel_grad,
    x_range=(-2.0, 2.0),
    y_range=(-1.2, 1.2),
    # f(-x, -y) = f(x, y), so the two global minimisers are exact mirrors;
    # refined like Himmelblau's.
    minima=(
        (0.08984201310031806, -0.7126564030207396),
        (-0.08984201310031806, 0.7126564030207396),
    ),
    start=(-1.4, -1.1),
    log_color=False,
    lesson=(
        "Six dips, two of them global minima (the lowest points). From this start "
        "plain gradient descent settles in the poor dip next to it; Momentum "
        "carries its speed over a hump into another dip, at (-1.70, 0.80); Adam, "
        "whose first steps go equally far in x and y, heads for the centre and "
        "reaches the global minimum at (0.09, -0.71)."
    ),
)


# Goldstein-Price ---------------------------------------------------------


def _goldstein_price(xy):
    x, y = xy[..., 0], xy[..., 1]
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
    b = 30 + (2 * x - 3 * y) ** 2 * (
        18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2
    )
    return a * b


def _goldstein_price_grad(xy):
    # f = a * b with a = 1 + s^2 p and b = 30 + t^2 q; product and chain rule.
    x, y = xy[..., 0], xy[..., 1]
    s = x + y + 1
    p = 19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2
    t = 2 * x - 3 * y
    q = 18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2
    a = 1 + s**2 * p
    b = 30 + t**2 * q
    # ds/dx = ds/dy = 1 and dp/dx = dp/dy, so a has the same slope in x and y.
    da = 2 * s * p + s**2 * (-14 + 6 * x + 6 * y)
    db_dx = 4 * t * q + t**2 * (-32 + 24 * x - 36 * y)
    db_dy = -6 * t * q + t**2 * (48 - 36 * x + 54 * y)
    return pair(da * b + a * db_dx, da * b + a * db_dy)


GOLDSTEIN_PRICE = Surface(
    name="goldstein_price",
    label="Goldstein\u2013Price",
    latex=(
        r"f(x, y) = \left[1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
        r" \left[30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]"
    ),
    f=_goldstein_price,
    df=_goldstein_price_grad,
    x_range=(-2.0, 2.0),
    y_range=(-2.0, 2.0),
    minima=((0.0, -1.0),),
    start=(-0.6, 0.6),
    log_color=True,
    lesson=(
        "Values range from 3 at the global minimum (0, -1) to about a million "
        "in the corners. Plain gradient descent survives the steep walls only with "
        "a tiny learning rate, 0.00001 (at 0.00005 its first step throws it off "
        "the plot), and settles in the local minimum at (-0.6, -0.4), where the "
        "value is 30; so does RMSProp. Adam at lr 0.2 reaches the global minimum."
    ),
)


# Monkey saddle -----------------------------------------------------------


def _monkey_saddle(xy):
    x, y = xy[..., 0], xy[..., 1]
    return x**3 - 3 * x * y**2


def _monkey_saddle_grad(xy):
    x, y = xy[..., 0], xy[..., 1]
    return pair(3 * x**2 - 3 * y**2, -6 * x * y)


MONKEY_SADDLE = Surface(
    name="monkey_saddle",
    label="Monkey saddle",
    latex=r"f(x, y) = x^3 - 3xy^2",
    f=_monkey_saddle,
    df=_monkey_saddle_grad,
    x_range=(-2.0, 2.0),
    y_range=(-2.0, 2.0),
    minima=(),
    start=(0.8, 0.05),
    log_color=False,
    lesson=(
        "At the origin the slope and the curvature both vanish, so the ground "
        "is flat in every direction, and on three sides it falls away. Near the "
        "flat centre plain gradient descent crawls: after 25 steps it is still on "
        "the plot. RMSProp, AdaGrad and Adam scale small slopes up to full-size "
        "steps, so they leave the plot within 5 to 20 steps."
    ),
)
