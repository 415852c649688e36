"""The Surface type: a 2D test function bundled with what it takes to show it.

A surface is more than a formula. To draw it and run optimizers on it the app
also needs a plot window, a start that makes the surface's lesson visible, the
known global minimisers (to mark them and to measure distance to them), and
the formula as LaTeX. Keeping all of it on one frozen object means a page never
hard-codes anything about a particular surface, and adding a surface is one
``Surface(...)`` in ``catalog.py`` plus one registry line in ``__init__.py``.
"""

from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

Point = tuple[float, float]
ArrayFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Surface:
    """A 2D test function f(x, y) with its analytic gradient and display data.

    ``f`` maps points shaped ``(n, 2)`` to values shaped ``(n,)``; ``df`` maps
    them to gradients shaped ``(n, 2)``. Both use elementwise NumPy only, so a
    point's result never depends on what else is in the batch: the same code
    evaluates a mesh grid for the contour plot and a single optimizer step.

    Call ``value`` and ``grad`` rather than ``f`` and ``df``: they accept any
    array-like shaped ``(..., 2)`` and always hand ``f``/``df`` a 2-D batch.
    That is deliberate. NumPy rounds scalar arithmetic differently from its
    array loops (``x ** 2`` on a scalar goes through ``pow``, on an array it is
    ``x * x``), so evaluating a lone point as a scalar would not reproduce the
    same point evaluated inside a grid, bit for bit.

    ``minima`` lists the global minimisers; it is empty when the function is
    unbounded below (the saddles), or when nobody knows them: a user's formula
    says ``minima_known=False``, so "no minimum listed" does not read as "falls
    without bound". ``log_color`` asks for a log colour scale,
    for surfaces whose interesting valley is orders of magnitude below the
    walls around it.

    Facts derived from these fields live here too (``f_min``, ``contains``,
    ``clip``, ``mesh``, ``extent``, ``size``, ``span``), so figures, tables,
    tuning and the runner ask the surface instead of re-deriving them.
    """

    name: str
    label: str
    latex: str
    f: ArrayFn
    df: ArrayFn
    x_range: Point
    y_range: Point
    minima: tuple[Point, ...]
    start: Point
    log_color: bool
    lesson: str
    minima_known: bool = True

    def value(self, xy) -> np.ndarray:
        """f at points shaped ``(..., 2)``; returns float64 shaped ``(...)``."""
        xy = _points(xy)
        return self.f(xy.reshape(-1, 2)).reshape(xy.shape[:-1])

    def grad(self, xy) -> np.ndarray:
        """Analytic gradient at points ``(..., 2)``; returns ``(..., 2)``."""
        xy = _points(xy)
        return self.df(xy.reshape(-1, 2)).reshape(xy.shape)

    # Facts about the surface ----------------------------------------------

    @cached_property
    def f_min(self) -> float | None:
        """The lowest value over the listed minima; None when none are listed."""
        return min((float(self.value(m)) for m in self.minima), default=None)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """The plot window as ``(x_lo, x_hi, y_lo, y_hi)``."""
        return (*self.x_range, *self.y_range)

    @property
    def size(self) -> tuple[float, float]:
        """Width and height of the plot window."""
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        return (x1 - x0, y1 - y0)

    @property
    def span(self) -> float:
        """The window's larger side: the natural length scale for tolerances."""
        return max(self.size)

    def contains(self, xy) -> np.ndarray:
        """Whether points ``(..., 2)`` lie in the closed plot window; shape ``(...)``.

        NaN compares False, so a point with a NaN coordinate is outside.
        """
        xy = _points(xy)
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        x, y = xy[..., 0], xy[..., 1]
        return (x0 <= x) & (x <= x1) & (y0 <= y) & (y <= y1)

    def clip(self, xy) -> np.ndarray:
        """Points ``(..., 2)`` moved to the nearest point of the window (NaN stays NaN)."""
        xy = _points(xy)
        lo = (self.x_range[0], self.y_range[0])
        hi = (self.x_range[1], self.y_range[1])
        return np.clip(xy, lo, hi)

    def mesh(self, nx: int, ny: int) -> np.ndarray:
        """An ``nx`` by ``ny`` grid over the window as points shaped ``(ny, nx, 2)``.

        Row 0 is the bottom edge (y ascending), as image rows and Plotly's
        ``z[j][i]`` expect; ``mesh[0, :, 0]`` and ``mesh[:, 0, 1]`` are the axes.
        """
        x = np.linspace(*self.x_range, nx)
        y = np.linspace(*self.y_range, ny)
        return np.stack(np.meshgrid(x, y), axis=-1)


def _points(xy) -> np.ndarray:
    xy = np.asarray(xy, dtype=float)
    if xy.ndim == 0 or xy.shape[-1] != 2:
        raise ValueError(f"Expected points shaped (..., 2), got shape {xy.shape}")
    return xy
