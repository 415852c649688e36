"""The Surface type: a 2D test function bundled with what it takes to show it.

A surface is more than a formula. To draw it and run optimizers on it the app
also needs a plot window, a start that makes the surface's lesson visible, the
known global minimisers (to mark them and to measure distance to them), and
the formula as LaTeX. Keeping all of it on one frozen object means a page never
hard-codes anything about a particular surface, and adding a surface is one
``Surface(...)`` in ``catalog.py`` (or ``data.py``) plus one registry line in
``__init__.py``.

A data surface is the loss of a small model over a data set, plotted over the
model's two parameters. It carries its ``Data`` and answers
``grad(xy, rows=...)``: the gradient of the mean loss over just those rows, so
minibatch noise in the app comes from real data.
"""

from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

Point = tuple[float, float]
ArrayFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class Data:
    """A small data set behind a data surface, for the app to show.

    ``inputs`` is shaped ``(n, d)`` with one column per name in ``input_names``
    (what the model sees: standardized inputs on a standardized surface), and
    ``targets`` is shaped ``(n,)``. Both are read-only copies: one data set is
    shared by every session, so a mutation raises instead of corrupting it.
    Compared and hashed by identity, which keeps ``Surface`` hashable.
    """

    inputs: np.ndarray
    targets: np.ndarray
    input_names: tuple[str, ...]
    target_name: str

    def __post_init__(self):
        inputs, targets = readonly(self.inputs), readonly(self.targets)
        if inputs.ndim != 2 or inputs.shape[1] != len(self.input_names) or targets.shape != inputs.shape[:1]:
            raise ValueError(f"Data: inputs {inputs.shape} and targets {targets.shape} do not match "
                             f"the input names {self.input_names}")
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "targets", targets)

    def __len__(self) -> int:
        return len(self.targets)


def readonly(a) -> np.ndarray:
    """A read-only float copy of ``a``, for arrays shared across sessions."""
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


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
    ``clip``, ``reach``, ``mesh``, ``extent``, ``size``, ``span``), so figures, tables,
    tuning and the runner ask the surface instead of re-deriving them.

    ``axis_names`` names the two coordinates for axis titles (``("w", "b")``
    on a line fit). A data surface sets ``data``; its ``df`` then also takes
    ``rows`` (see ``grad``). ``standardized`` and ``unstandardized`` name the
    two registered versions of a data surface whose inputs can be
    standardized (both are set on both), for a "standardize the inputs"
    switch: ``surfaces.get(s.standardized if on else s.unstandardized)``.
    ``grad_cost`` is what one point-step of ``df`` is worth in the runner's
    unit of work (``optimizers.limits``): 1 for the registered test functions,
    more for a costly formula, so pages size their batches by it.
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
    axis_names: tuple[str, str] = ("x", "y")
    data: Data | None = None
    standardized: str | None = None
    unstandardized: str | None = None
    grad_cost: float = 1.0

    @property
    def n_data(self) -> int:
        """Rows in the data set behind the surface; 0 for a plain test function."""
        return len(self.data) if self.data is not None else 0

    def value(self, xy) -> np.ndarray:
        """f at points shaped ``(..., 2)``; returns float64 shaped ``(...)``.

        On a data surface: the mean loss over the whole data set.
        """
        xy = _points(xy)
        return self.f(xy.reshape(-1, 2)).reshape(xy.shape[:-1])

    def grad(self, xy, rows=None) -> np.ndarray:
        """Analytic gradient at points ``(..., 2)``; returns ``(..., 2)``.

        ``rows`` (data surfaces only) is a 1-D array of data indices: the
        gradient is then that of the mean loss over those rows, a minibatch
        gradient. ``rows=None`` is the full gradient, computed by the same code
        with every row, so ``grad(xy, rows=np.arange(n_data))`` equals
        ``grad(xy)`` bit for bit. Repeated indices count repeatedly.
        Rows shaped ``(P, m)``, for ``P`` points (``xy`` flattened to
        ``(P, 2)``), give each point its own minibatch of ``m`` rows: point
        ``i`` gets exactly ``grad(xy[i], rows=rows[i])``.
        """
        xy = _points(xy)
        flat = xy.reshape(-1, 2)
        if rows is None:
            g = self.df(flat)
        else:
            g = self.df(flat, self._rows(rows, len(flat)))
        return g.reshape(xy.shape)

    def _rows(self, rows, points: int) -> np.ndarray:
        if self.data is None:
            raise ValueError(f"Surface {self.name!r} has no data set, so it has no minibatch "
                             f"gradients: pass rows=None (or use a data surface)")
        rows = np.asarray(rows)
        if (rows.ndim not in (1, 2) or rows.size == 0 or rows.dtype.kind not in "iu"
                or (rows.ndim == 2 and rows.shape[0] != points)):
            raise ValueError(f"Invalid rows for surface {self.name!r}: need a non-empty 1-D array "
                             f"of integer data indices, or one such row per point ({points} rows), "
                             f"got dtype {rows.dtype} shape {rows.shape}")
        lo, hi = rows.min(), rows.max()
        if lo < 0 or hi >= self.n_data:
            bad = lo if lo < 0 else hi
            raise ValueError(f"Invalid rows for surface {self.name!r}: index {bad} is outside "
                             f"0..{self.n_data - 1}")
        return rows

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
    def aspect(self) -> float:
        """The plot window's height over its width (drawn at equal aspect)."""
        width, height = self.size
        return height / width

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

    def reach(self, point, vec) -> float:
        """The largest t <= 1 with ``point + t * vec`` in the window (``point`` is in it)."""
        t = 1.0
        for axis, (lo, hi) in enumerate((self.x_range, self.y_range)):
            end = point[axis] + vec[axis]
            if end > hi:
                t = min(t, (hi - point[axis]) / vec[axis])
            elif end < lo:
                t = min(t, (lo - point[axis]) / vec[axis])
        return float(t)

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


def pair(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """The gradient (∂f/∂x, ∂f/∂y) shaped ``(..., 2)``: ``np.stack([dx, dy], axis=-1)``,
    without its overhead (2 µs a call; an optimizer steps a single point in about 18)."""
    out = np.empty(np.shape(dx) + (2,))
    out[..., 0] = dx
    out[..., 1] = dy
    return out


def _points(xy) -> np.ndarray:
    xy = np.asarray(xy, dtype=float)
    if xy.ndim == 0 or xy.shape[-1] != 2:
        raise ValueError(f"Expected points shaped (..., 2), got shape {xy.shape}")
    return xy
