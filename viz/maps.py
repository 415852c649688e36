"""Convergence maps: where an optimizer ends up from every start of a grid over the window.

    res = convergence_map(surface, Run.of("adam", lr=0.05), n=100, steps=300)
    res.basin.reshape(res.shape)      # which minimum each start reached
    fig = map_figure(surface, [(run, res), ...], color_by="basin")

All ``n × n`` starts run as one batch (``optimizers.run`` steps them together,
and without noise a batch gives bit for bit the paths of one run per start).

Definitions (the page's words should match them):

- *tolerance*: 1% of the window's longer side, as on the sweep page.
- *minimum reached*: the end point lies within the tolerance of one of
  ``local_minima(surface)`` (the nearest one); -1 when it lies near none,
  -2 when the path diverged.
- *steps taken*: the first step from which the path stays within the
  tolerance of its own end point (it has stopped moving visibly); for a path
  that diverged, the step it diverged at.
- *final loss*: ``f(end) - f*`` where the surface lists a minimum, else
  ``f(end)``; NaN for a path that diverged.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

import optimizers
from viz.figures import PANEL_GAP, PANEL_MOST, RERUN_BUDGET, legend_rows, FONT, PAPER, _b64, _fast, color, fmt, run_label, sent_size
from viz.sweep import _points, _readonly, loss_gap, settle_step, tolerance

NONE, DIVERGED = -1, -2
# One colour per minimum (colour-blind-safe where it can be), then grey for
# "no minimum reached" and near-black for "diverged".
BASIN_COLORS = ("#e69f00", "#0072b2", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#7b3fbf")
NONE_COLOR = "#c7c7c7"
DIVERGED_COLOR = "#1a1a1a"
# The loss key: dark (low) to light (high), the same sense as the contours.
# Plasma without its near-black end, so "diverged" (black) stands apart.
LOSS_SCALE = ("#5c01a6", "#9c179e", "#cc4778", "#ed7953", "#fdb42f", "#f0f921")
LOSS_LEVELS = 230        # quantized log-loss levels 0..230; 255 marks "diverged"
LOSS_FLOOR = 1e-16
MAX_PANELS = 4


class MapResult(NamedTuple):
    """Where one optimizer goes from every start of the grid; all arrays read-only.

    Flat arrays run over the starts row by row, y outer: start ``j * nx + i``
    is ``(xs[i], ys[j])``, so ``a.reshape(shape)`` is an image with row 0 at
    the bottom (Plotly's ``z[j][i]``).
    """

    xs: np.ndarray           # (nx,)
    ys: np.ndarray           # (ny,)
    starts: np.ndarray       # (N, 2)
    final: np.ndarray        # (N,) final loss (f - f* where known, else f); NaN if diverged
    basin: np.ndarray        # (N,) int: index into minima, -1 none reached, -2 diverged
    steps: np.ndarray        # (N,) int: steps taken (see the module docstring)
    end: np.ndarray          # (N, 2) end points; NaN if diverged
    last: np.ndarray         # (N, 2) last finite point (where a diverged path was last seen)
    diverged_at: np.ndarray  # (N,) int, -1 never
    minima: np.ndarray       # (K, 2) the minima classified by: local_minima(surface)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.ys), len(self.xs))


def starts_grid(surface, n: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n × n`` starts at the centres of an ``n × n`` grid of cells over the window.

    Centres, not edges: the heatmap's cells then exactly tile the window.
    Returns ``(xs, ys, starts)`` with ``starts`` shaped ``(n * n, 2)``, y outer.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= 500:
        raise ValueError(f"Invalid grid size: {n!r} (need a whole number from 2 to 500)")
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    xs = x0 + (np.arange(n) + 0.5) * ((x1 - x0) / n)
    ys = y0 + (np.arange(n) + 0.5) * ((y1 - y0) / n)
    starts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    return _readonly(xs), _readonly(ys), _readonly(starts)


# --- the minima ---------------------------------------------------------------

def _hessian(surface, p: np.ndarray, h: float) -> np.ndarray:
    """Central differences of the analytic gradient."""
    cols = [(surface.grad(p + e) - surface.grad(p - e)) / (2 * h) for e in (np.array([h, 0.0]), np.array([0.0, h]))]
    H = np.stack(cols, axis=-1)
    return (H + H.T) / 2


def refine_minimum(surface, seed, iterations: int = 60) -> tuple[float, float]:
    """Newton's method on the gradient from ``seed`` (Hessian by central differences)."""
    p = np.array(seed, dtype=float)
    h = 1e-5 * surface.span
    for _ in range(iterations):
        step = np.linalg.solve(_hessian(surface, p, h), surface.grad(p))
        p = p - step
        if np.abs(step).max() <= 1e-15 * (1 + np.abs(p).max()):
            break
    return (float(p[0]), float(p[1]))


# Approximate local minima the surfaces do not list (they list global ones);
# refined by Newton's method when first asked for.
_SEEDS = {
    # Six-hump camel: two global minima (listed) and four local ones.
    "camel": ((-1.7036, 0.7961), (1.7036, -0.7961), (-1.6071, -0.5687), (1.6071, 0.5687)),
    # Goldstein-Price: the local minima beside the global one at (0, -1).
    "goldstein_price": ((-0.6, -0.4), (1.8, 0.2), (1.2, 0.8)),
}


def _rastrigin_minima(surface) -> tuple[tuple[float, float], ...]:
    """One local minimum near each integer point inside the window.

    Rastrigin is a sum of one-variable terms, so each coordinate of a minimum
    solves 2x + 20π sin(2πx) = 0 near an integer k: Newton's method in one
    variable from k (k = 0 gives 0 exactly).  Row by row, y outer.
    """
    def root(k: float) -> float:
        x = float(k)
        for _ in range(50):
            step = (2 * x + 20 * math.pi * math.sin(2 * math.pi * x)) / (
                2 + 40 * math.pi ** 2 * math.cos(2 * math.pi * x))
            x -= step
            if abs(step) <= 1e-16 * (1 + abs(x)):
                break
        return x

    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    xs = [root(k) for k in range(math.ceil(x0), math.floor(x1) + 1)]
    ys = [root(k) for k in range(math.ceil(y0), math.floor(y1) + 1)]
    return tuple((x, y) for y in ys for x in xs if x0 <= x <= x1 and y0 <= y <= y1)


@lru_cache(maxsize=None)
def _known_minima(name: str, surface) -> tuple[tuple[float, float], ...]:
    if name == "rastrigin":
        return _rastrigin_minima(surface)
    listed = tuple(tuple(map(float, m)) for m in surface.minima)
    return listed + tuple(refine_minimum(surface, s) for s in _SEEDS.get(name, ()))


def local_minima(surface) -> tuple[tuple[float, float], ...]:
    """The minima a convergence map classifies end points by.

    The surface's listed (global) minima, plus the local ones it does not list:
    the six-hump camel's four, Goldstein-Price's three, and for Rastrigin one
    near every integer point of the window (121), found in closed form by a 1-D
    Newton solve per coordinate.  Other surfaces: their listed minima.
    """
    from surfaces import catalog
    builtin = {s.name: s for s in (catalog.CAMEL, catalog.RASTRIGIN, catalog.GOLDSTEIN_PRICE)}
    if builtin.get(surface.name) is surface:
        return _known_minima(surface.name, surface)
    return tuple(tuple(map(float, m)) for m in surface.minima)


# --- the map ------------------------------------------------------------------

def classify(surface, points: np.ndarray, diverged_at: np.ndarray, minima: np.ndarray):
    """End points, basins, steps and final losses of paths ``points`` (steps + 1, N, 2)."""
    tol = tolerance(surface)
    end = points[-1]
    div = diverged_at >= 0
    with np.errstate(all="ignore"):
        d2 = points - end  # squared distances to the end point: no square root over every step
        d2 *= d2
        steps = np.where(div, diverged_at, settle_step(d2[..., 0] + d2[..., 1], tol * tol))
        del d2
        final = np.where(div, np.nan, loss_gap(surface, end))
        if len(minima):
            d = np.hypot(end[:, None, 0] - minima[:, 0], end[:, None, 1] - minima[:, 1])
            near = np.argmin(np.where(np.isfinite(d), d, np.inf), axis=1)
            basin = np.where(d[np.arange(len(end)), near] <= tol, near, NONE)
        else:
            basin = np.full(len(end), NONE)
    basin = np.where(div, DIVERGED, basin)
    # Where a diverged path was last seen: the step before it diverged.
    last = np.where(div[:, None], points[np.maximum(diverged_at - 1, 0), np.arange(len(end))], end)
    return end, last, basin.astype(int), steps.astype(int), final


def convergence_map(surface, run, n: int = 100, steps: int = 300) -> MapResult:
    """``run`` from each of the ``n × n`` starts of ``starts_grid``, as one batch, without noise."""
    xs, ys, starts = starts_grid(surface, n)
    tr = optimizers.run(optimizers.get(run.name, **run.kwargs), surface, starts, steps)
    minima = np.array(local_minima(surface), dtype=float).reshape(-1, 2)
    end, last, basin, taken, final = classify(surface, tr.points, tr.diverged_at, minima)
    return MapResult(xs, ys, starts, _readonly(final), _readonly(basin), _readonly(taken),
                     _readonly(end), _readonly(last), _readonly(tr.diverged_at.astype(int)),
                     _readonly(minima))


# --- the figure ---------------------------------------------------------------

def basin_codes(results: list[MapResult]) -> tuple[np.ndarray, int]:
    """Colour codes per start for every panel: a minimum's colour slot, then none, then diverged.

    With more minima than colours (Rastrigin), minimum ``k`` takes colour
    ``k mod 8``: on a lattice 11 wide, left/right, up/down and diagonal
    neighbours then differ (1, 11, 10, 12 mod 8 are all nonzero).
    Returns the codes (one uint8 array per result, stacked) and the number of colour slots.
    """
    k = max((len(r.minima) for r in results), default=0)
    slots = min(k, len(BASIN_COLORS))
    codes = []
    for r in results:
        b = np.asarray(r.basin)
        c = np.where(b >= 0, b % max(slots, 1), np.where(b == DIVERGED, slots + 1, slots))
        codes.append(c.astype(np.uint8))
    return np.stack(codes) if codes else np.zeros((0, 0), np.uint8), slots


def _discrete_scale(colors: list[str]) -> list:
    n = len(colors)
    out = []
    for i, c in enumerate(colors):
        out += [[i / n, c], [(i + 1) / n, c]]
    return out


class LossKey(NamedTuple):
    lo: float     # shown value at level 0 (log10 of the loss, or f)
    hi: float     # shown value at level LOSS_LEVELS
    log: bool


def loss_key(surface, results: list[MapResult]) -> LossKey:
    """One colour range shared by every panel: log10 of the final loss, or f where unbounded."""
    log = surface.f_min is not None
    vals = [_loss_values(r.final, log) for r in results]
    v = np.concatenate([x[np.isfinite(x)] for x in vals]) if vals else np.zeros(0)
    if v.size == 0:
        return LossKey(0.0, 1.0, log)
    if log:
        hi = float(np.ceil(v.max()))
        lo = float(max(np.floor(v.min()), hi - 16))
    else:  # an unbounded f: the outliers would wash out the rest
        lo, hi = (float(x) for x in np.percentile(v, [1, 99]))
    return LossKey(lo, hi if hi > lo else lo + 1.0, log)


def _loss_values(final: np.ndarray, log: bool) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.log10(np.maximum(final, LOSS_FLOOR)) if log else np.asarray(final, dtype=float)


def loss_levels(final: np.ndarray, key: LossKey) -> np.ndarray:
    """Final losses as uint8 colour levels 0..LOSS_LEVELS on the shared key; 255 for diverged."""
    v = _loss_values(final, key.log)
    with np.errstate(all="ignore"):
        q = np.round((np.clip(v, key.lo, key.hi) - key.lo) / (key.hi - key.lo) * LOSS_LEVELS)
    return np.where(np.isfinite(v), q, 255).astype(np.uint8)


def level_value(level, key: LossKey):
    """The loss a colour level stands for (inverse of ``loss_levels``, to the level's resolution)."""
    v = key.lo + np.asarray(level, dtype=float) / LOSS_LEVELS * (key.hi - key.lo)
    return 10.0 ** v if key.log else v


COLORBAR_LEN = 0.9   # of the plot area's height: the loss colour bar with its title
COLORBAR_TITLE = 40  # px of the bar's length its title takes
TICK_APART = 24      # px at least between two of the bar's tick labels (a superscript is 18 px tall)


def _loss_axis(key: LossKey, plot_h: float | None = None) -> dict:
    """The shared colour axis for losses: a gradient, a black band on top for "diverged".
    At most 8 decades are labelled, fewer where the plot area (``plot_h`` px) is short."""
    top = LOSS_LEVELS / 255
    n = len(LOSS_SCALE)
    scale = [[top * i / (n - 1), c] for i, c in enumerate(LOSS_SCALE)]
    scale += [[(LOSS_LEVELS + 5) / 255, DIVERGED_COLOR], [1.0, DIVERGED_COLOR]]
    most = 8 if plot_h is None else max(2, min(8, int((COLORBAR_LEN * plot_h - COLORBAR_TITLE) // TICK_APART)))
    if key.log:
        decades = np.arange(math.ceil(key.lo), math.floor(key.hi) + 1)
        every = max(1, math.ceil(len(decades) / most))
        decades = decades[::-1][::every][::-1]
        # A decade at the very top would crowd the "diverged" label just above it.
        if len(decades) > 2:
            decades = decades[(decades - key.lo) / (key.hi - key.lo) <= 0.95]
        vals = [(d - key.lo) / (key.hi - key.lo) * LOSS_LEVELS for d in decades]
        text = [f"10<sup>{int(d)}</sup>" for d in decades]
        title = "final f − f*"
    else:
        ticks = np.linspace(key.lo, key.hi, min(5, most))
        vals = list(np.linspace(0, LOSS_LEVELS, min(5, most)))
        text = [f"{t:.3g}" for t in ticks]
        title = "final f"
    return dict(cmin=0, cmax=255, colorscale=scale, showscale=True,
                colorbar=dict(title=dict(text=title, side="top"), tickmode="array",
                              tickvals=[float(x) for x in vals] + [247.5], ticktext=text + ["diverged"],
                              len=COLORBAR_LEN, thickness=16, outlinewidth=0, x=1, xanchor="left"))


def minimum_name(m) -> str:
    return f"({fmt(round(m[0], 3))}, {fmt(round(m[1], 3))})"


def click_stride(n_panels: int, n: int) -> int:
    """Every how many starts along each axis a hover/click point sits: all of them for one panel
    of up to 100 × 100, every other one for more (what the JSON budget allows)."""
    per_panel = 10_000 if n_panels <= 1 else 2_500
    return max(1, math.ceil(n / math.isqrt(per_panel)))


def map_figure(surface, results, color_by: str = "loss", height: int = 480, width: int | None = None,
               fit_height: bool = False):
    """One panel per optimizer (1 to 4) side by side, one shared colour key.

    ``width``: how wide the browser draws the figure, if known: the figure is then as tall as
    its panels need at their width (at most ``PANEL_MOST`` px of panel), and ``height`` is not
    used, unless ``fit_height`` (a projector's screen): then the panels stay in one row and the
    figure is at most ``height`` tall, its panels shrinking to fit.

    ``results`` is a list of ``(Run, MapResult)`` over the same grid.
    ``color_by="loss"``: log10 of the final loss on one colour bar shared by
    all panels (one range over all of them), black for diverged.
    ``color_by="basin"``: one colour per minimum reached (legend names each by
    its coordinates), grey for none, black for diverged.

    The colours are uint8 heatmaps (no hover: they would need 3 floats per
    cell).  Hover and clicks come from a scatter of points on the starts (every
    start for one panel of 100 × 100, every other one along each axis for more):
    hover shows start → end point and the steps taken; clicking selects the
    point, which ``start_from_map_selection`` turns into its exact start.
    """
    if color_by not in ("loss", "basin"):
        raise ValueError(f"Invalid color_by: {color_by!r} (need 'loss' or 'basin')")
    if not 1 <= len(results) <= MAX_PANELS:
        raise ValueError(f"A map figure shows 1 to {MAX_PANELS} optimizers, got {len(results)}")
    n = max(len(r.xs) for _, r in results)
    stride = click_stride(len(results), n)
    while True:
        fig = _map_figure(surface, results, color_by, height, width, fit_height, stride)
        if sent_size(fig) <= RERUN_BUDGET or stride >= n:  # the map is its page's one chart
            return fig
        stride += 1


LEGEND_DROP = 72  # px from the panels' bottom edge to the legend's top: under the x tick labels
LEGEND_ROW = 20   # px a row of the basin legend takes (13 px font, 14 px squares)
LEGEND_PAD = 23   # px under the legend's last row
COLORBAR_MARGIN = 125  # px right of the panels: the loss colour bar with its tick labels
PANEL_GAP_X = 0.05     # of the plot area's width, between two panels of a row
MAP_PANEL_LEAST = 200  # px: three or four panels narrower than this go in two rows
PRESENT_HEIGHT = 460   # px: the map on a projector's 720 px screen, under its page's controls


def _basin_legend(minima) -> list[tuple[str, str]]:
    """The basin colours' legend: each minimum by its coordinates, then none and diverged."""
    legend = []
    if len(minima) <= len(BASIN_COLORS):
        legend += [(f"minimum {minimum_name(m)}", BASIN_COLORS[j]) for j, m in enumerate(minima)]
    else:
        legend.append((f"{len(minima)} local minima (colours repeat; hover gives the end point)",
                       BASIN_COLORS[0]))
    return legend + [("no minimum reached", NONE_COLOR), ("diverged", DIVERGED_COLOR)]


def map_columns(k: int, plot_width: float | None, one_row: bool = False) -> int:
    """Panels a row: all of them, unless the figure's known width would draw three or four
    narrower than ``MAP_PANEL_LEAST`` px; then two rows of two (or two and one)."""
    if one_row or not plot_width or k <= 2 or (plot_width - (k - 1) * PANEL_GAP_X * plot_width) / k >= MAP_PANEL_LEAST:
        return k
    return 2


def _map_figure(surface, results, color_by, height, width, fit_height, stride):
    k = len(results)
    maps = [r for _, r in results]
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    xname, yname = getattr(surface, "axis_names", ("x", "y"))
    data, annotations = [], []
    minima = maps[0].minima
    legend = _basin_legend(minima) if color_by == "basin" else []
    # the loss colour bar, its ticks and its "diverged" label in the right margin
    margin = dict(l=60, r=COLORBAR_MARGIN if color_by == "loss" else 20, t=50, b=60)
    plot_w = width - margin["l"] - margin["r"] if width else None
    if legend:  # room for every row the legend wraps into, so plotly.js need not push the margin
        # (until the browser has reported the width, one row is assumed)
        lines = legend_rows([name for name, _ in legend], plot_w, symbol=57, per_char=6.2) if width else 1
        margin["b"] = LEGEND_DROP + LEGEND_ROW * lines + LEGEND_PAD
    cols = map_columns(k, plot_w, one_row=fit_height)
    rows = -(-k // cols)
    gap = PANEL_GAP_X if cols > 1 else 0.0
    w = (1 - gap * (cols - 1)) / cols
    h, gap_y = 1.0, 0.0
    if width:  # the panels' height follows from their width: no empty bands above and below
        panel_h = min(plot_w * w * surface.aspect, PANEL_MOST)
        if fit_height:  # a projector's screen: narrower panels rather than a taller figure
            panel_h = min(panel_h, (height - margin["t"] - margin["b"] - (rows - 1) * PANEL_GAP) / rows)
        plot_h = rows * panel_h + (rows - 1) * PANEL_GAP
        h, gap_y = panel_h / plot_h, PANEL_GAP / plot_h
        height = int(np.ceil(plot_h)) + margin["t"] + margin["b"]
    plot_h = height - margin["t"] - margin["b"]
    layout = dict(font=FONT, paper_bgcolor=PAPER, plot_bgcolor=PAPER, height=height,
                  margin=margin, hovermode="closest", clickmode="event+select",
                  dragmode="zoom", uirevision="keep",
                  legend=dict(orientation="h", x=0, y=-LEGEND_DROP / plot_h, yanchor="top", font=dict(size=13)))
    if color_by == "loss":
        key = loss_key(surface, maps)
        layout["coloraxis"] = _loss_axis(key, plot_h)
        z = [loss_levels(r.final, key) for r in maps]
    else:
        codes, slots = basin_codes(maps)
        colors = [BASIN_COLORS[i] for i in range(slots)] + [NONE_COLOR, DIVERGED_COLOR]
        layout["coloraxis"] = dict(cmin=-0.5, cmax=len(colors) - 0.5, colorscale=_discrete_scale(colors),
                                   showscale=False)
        z = list(codes)
    for i, ((run, r), zi) in enumerate(zip(results, z)):
        ax = "" if i == 0 else str(i + 1)
        xa, ya = f"x{ax}", f"y{ax}"
        row, col = divmod(i, cols)
        left, top = col * (w + gap), 1 - row * (h + gap_y)
        axis = dict(showgrid=False, zeroline=False, linecolor="#9aa5b1", mirror=True, ticks="outside")
        layout[f"xaxis{ax}"] = dict(axis, domain=[left, left + w], range=[x0, x1], anchor=ya,
                                    constrain="domain", **({} if i == 0 else dict(matches="x")))
        layout[f"yaxis{ax}"] = dict(axis, domain=[max(top - h, 0.0), top], range=[y0, y1], anchor=xa,
                                    scaleanchor=xa, scaleratio=1, constrain="domain",
                                    **({} if i == 0 else dict(matches="y")),
                                    **(dict(title=dict(text=yname)) if col == 0 else dict(showticklabels=False)))
        # The x name at the end of the axis: under it, it would sit on the legend row.
        annotations.append(dict(text=f"<i>{xname}</i>", xref=f"{xa} domain", yref=f"{ya} domain", x=1, y=0,
                                xanchor="left", yanchor="middle", xshift=6, showarrow=False,
                                font=dict(size=15)))
        annotations.append(dict(text=f"<b>{run_label(run)}</b>", x=0, y=1.0, xref=f"{xa} domain",
                                yref=f"{ya} domain", xanchor="left", yanchor="bottom", showarrow=False,
                                font=dict(size=14, color=color(run.name))))
        ny, nx = r.shape
        data.append(dict(type="heatmap", z=_b64(zi.reshape(ny, nx)), x0=float(r.xs[0]),
                         dx=float(r.xs[1] - r.xs[0]), y0=float(r.ys[0]), dy=float(r.ys[1] - r.ys[0]),
                         xaxis=xa, yaxis=ya, coloraxis="coloraxis", hoverinfo="skip", zsmooth=False,
                         showlegend=False, name=run_label(run)))
        data += _click_traces(r, stride, xa, ya)
        if 0 < len(minima) <= 12:  # a lattice of 121 (Rastrigin) explains itself
            data.append(dict(type="scatter", mode="markers", x=_b64(minima[:, 0].astype(np.float32)),
                             y=_b64(minima[:, 1].astype(np.float32)), xaxis=xa, yaxis=ya,
                             showlegend=False, hoverinfo="skip", name="minima",
                             marker=dict(size=11, symbol="x-thin",
                                         line=dict(width=2, color="#ffffff"))))
    for name, c in legend:
        data.append(dict(type="scatter", mode="markers", x=[None], y=[None], name=name,
                         showlegend=True, hoverinfo="skip",
                         marker=dict(size=14, symbol="square", color=c,
                                     line=dict(color="#666666", width=1))))
    layout["annotations"] = annotations
    layout["showlegend"] = color_by == "basin"
    return _fast(data, layout)


HOVER_SETTLED = ("start (%{x:.3g}, %{y:.3g})<br>→ end (%{customdata[0]:.3g}, %{customdata[1]:.3g})"
                 "<br>%{customdata[2]} steps<extra></extra>")
HOVER_DIVERGED = "start (%{x:.3g}, %{y:.3g})<br>diverged at step %{customdata}<extra></extra>"


def click_points(r: MapResult, stride: int) -> np.ndarray:
    """Indices (into the flat starts) of the hover/click points: every ``stride``-th along each axis."""
    ny, nx = r.shape
    off_x, off_y = (nx - 1) % stride // 2, (ny - 1) % stride // 2  # centred in the window
    jj, ii = np.meshgrid(np.arange(off_y, ny, stride), np.arange(off_x, nx, stride), indexing="ij")
    return (jj * nx + ii).ravel()


def _click_traces(r: MapResult, stride: int, xa: str, ya: str) -> list[dict]:
    """Invisible, clickable points on the starts: one trace for settled paths, one for diverged.

    The points are hidden (opacity 0 everywhere, selected or not) but keep
    their hover label; Streamlit reports a click on one as a selected point.
    """
    idx = click_points(r, stride)
    div = r.diverged_at[idx] >= 0
    hidden = dict(marker=dict(opacity=0))
    size = 6 if stride == 1 else 9
    out = []
    for diverged, template in ((False, HOVER_SETTLED), (True, HOVER_DIVERGED)):
        sel = idx[div == diverged]
        if diverged:
            custom = r.diverged_at[sel].astype(np.int16)
        else:
            custom = np.column_stack([r.end[sel], r.steps[sel]]).astype(np.float32)
        pts = r.starts[sel].astype(np.float32)
        out.append(dict(type="scatter", mode="markers", x=_b64(pts[:, 0]), y=_b64(pts[:, 1]),
                        customdata=_b64(custom), xaxis=xa, yaxis=ya, hovertemplate=template,
                        marker=dict(size=size, opacity=0, color="#000"), selected=hidden,
                        unselected=hidden, showlegend=False,
                        name="click to start here" + (" (diverged)" if diverged else "")))
    return out


def start_from_map_selection(selection, surface, n: int = 100) -> tuple[float, float] | None:
    """The exact start behind a point chosen on a map figure; None if nothing usable was chosen.

    ``selection`` is what ``st.plotly_chart(..., on_select=...)`` reports (a
    dict with ``"points"``), a list of points, or one point.  Its ``x``/``y``
    (float32 in the figure) snap to the nearest start of ``starts_grid(surface,
    n)``, so the Playground runs from exactly the start whose end point and
    steps the hover showed.  The last point inside the window wins.
    """
    xs, ys, _ = starts_grid(surface, n)
    for p in reversed(_points(selection)):
        try:
            x, y = float(p["x"]), float(p["y"])
        except (KeyError, TypeError, ValueError):
            continue
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        (x0, x1), (y0, y1) = surface.x_range, surface.y_range
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            continue
        return float(xs[np.argmin(np.abs(xs - x))]), float(ys[np.argmin(np.abs(ys - y))])
    return None
