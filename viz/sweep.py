"""Learning-rate sweeps: one optimizer at hundreds of learning rates, in one batch.

    lrs = lr_grid("adam")                                  # 200 rates, log-spaced
    res = sweep(surface, Run.of("adam", lr=0.01), start, 300, lrs)
    res.final[i], res.steps_to_tol[i], res.diverged_at[i]  # one entry per lr
    fig = sweep_figure(surface, grid, [(run, res), ...], start)

The runner broadcasts array hyperparameters over the batch, so the sweep is a
single call to ``optimizers.run`` with ``lr=lrs`` and one start per rate: row
``i`` is, bit for bit, the run with ``lr=lrs[i]`` alone (the tests check it).

Definitions used throughout (the page's words should match them):

- *tolerance*: 1% of the window's longer side (``TOL_FRACTION * surface.span``).
- *final loss*: ``f(end) - f*`` where the surface lists a minimum, else
  ``f(end)``; NaN for a path that diverged.
- *steps to tolerance*: the first step from which the path stays within the
  tolerance of one of the surface's listed (global) minima up to the last
  step; -1 if it is not within it at the end (or there is no minimum).
  "Stays", not "first touches": an oscillating path that swings through the
  minimum has not converged when it first passes it.
- *blow-up learning rate*: see ``blowup_lr``.

The figure (``sweep_figure``) scrubs through the learning rates in the
browser: every path is in the figure once, as Plotly frames, so moving the
slider needs no server rerun.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

import optimizers
from viz.figures import (PANEL_MOST, RERUN_BUDGET, DASHES, FONT, MINIMUM_COLOR, PAPER, SLIDER_BOX, START_COLOR, _f32,
                         _fast, backdrop, color, copy_index, fmt, hyper_labels, log_ticks, sent_size)

TOL_FRACTION = 0.01
SWEEP_DROP = 40          # px from the plot area's bottom to the rate slider: under the axis title
STACK_BELOW = 300        # px: a path panel beside the sweep narrower than this goes under it
STACKED_SWEEP = 300      # px: the sweep's plot when the path panel is under it
STACK_GAP = 100          # px between them: the sweep's tick labels and title, the path's y name
LR_FLOOR = 1e-5          # below this no optimizer moves visibly in a few hundred steps
DEFAULT_POINTS = 200
MAX_PATH_POINTS = 80     # per path per frame: frames x paths x points is the figure's weight
HEAD_STEPS = 40          # the first steps are drawn at full resolution (they move the most)
LOSS_FLOOR = 1e-16       # a path that lands exactly on the minimum still shows on a log axis


class SweepResult(NamedTuple):
    """One optimizer at every learning rate of ``lrs``; all arrays read-only."""

    lrs: np.ndarray           # (n,) float, ascending
    final: np.ndarray         # (n,) final loss (f - f* where known, else f); NaN if diverged
    steps_to_tol: np.ndarray  # (n,) int, first step from which it stays within tolerance; -1 never
    diverged_at: np.ndarray   # (n,) int, the runner's divergence step; -1 never
    points: np.ndarray        # (steps + 1, n, 2), NaN after divergence

    @property
    def steps(self) -> int:
        return self.points.shape[0] - 1


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def lr_knob(name: str):
    return next(k for k in optimizers.spec(name).knobs if k.name == "lr")


def lr_grid(name: str, n: int = DEFAULT_POINTS) -> np.ndarray:
    """``n`` log-spaced learning rates over the optimizer's lr knob, from ``max(lo, 1e-5)`` to ``hi``.

    The knob's own range (1e-6 to 10 for most, 0.01 to 100 for Adadelta) is
    what a person can set on the Playground, so a rate picked here opens there
    unchanged.  Below 1e-5 nothing moves visibly in a few hundred steps.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"Invalid number of learning rates: {n!r} (need a whole number >= 2)")
    knob = lr_knob(name)
    lo = max(knob.lo, LR_FLOOR)
    return _readonly(np.geomspace(lo, knob.hi, int(n)))


def tolerance(surface) -> float:
    """How close counts as "there": 1% of the window's longer side."""
    return TOL_FRACTION * surface.span


def loss_gap(surface, points: np.ndarray) -> np.ndarray:
    """``f - f*`` where the surface lists a minimum, else ``f``."""
    f = surface.value(points)
    return f - surface.f_min if surface.f_min is not None else f


def settle_step(dist: np.ndarray, tol: float) -> np.ndarray:
    """Per path, the first step from which ``dist`` (steps + 1, n) stays <= ``tol``; -1 if not at the end.

    NaN (a diverged path) counts as far away.  Squared distances against a
    squared tolerance give the same answer.
    """
    with np.errstate(invalid="ignore"):
        far = ~(dist <= tol)
    # Last step that is still far; the path has settled from the step after it.
    any_far = far.any(axis=0)
    last_far = far.shape[0] - 1 - np.argmax(far[::-1], axis=0)
    out = np.where(any_far, last_far + 1, 0)
    return np.where(out > far.shape[0] - 1, -1, out).astype(int)


def sweep(surface, run, start, steps: int, lrs) -> SweepResult:
    """``run``'s optimizer (its other hyperparameters kept) at every rate of ``lrs``, one batch.

    No noise: a sweep compares learning rates, and noise would blur that.
    """
    lrs = np.array(lrs, dtype=float).ravel()
    start = np.asarray(start, dtype=float)
    opt = optimizers.get(run.name, **{**run.kwargs, "lr": lrs})
    starts = np.broadcast_to(start, (lrs.size, 2))
    tr = optimizers.run(opt, surface, starts, steps)
    with np.errstate(all="ignore"):
        final = loss_gap(surface, tr.points[-1])
        final = np.where(tr.diverged_at >= 0, np.nan, final)
        if surface.minima:
            m = np.asarray(surface.minima, dtype=float)
            d2 = ((tr.points[:, :, None, :] - m) ** 2).sum(axis=-1).min(axis=-1)
            reached = settle_step(d2, tolerance(surface) ** 2)
        else:
            reached = np.full(lrs.size, -1)
    return SweepResult(_readonly(lrs), _readonly(final), _readonly(reached),
                       _readonly(tr.diverged_at.astype(int)), _readonly(tr.points))


def blowup_lr(result: SweepResult) -> float | None:
    """The smallest learning rate from which on every larger rate of the sweep diverged.

    That is the first rate of the trailing run of diverged rates; None when the
    largest rate did not diverge.  A lone diverged rate below a stable one (a
    chaotic surface can do that) is not "from which on", so it does not count;
    ``first_diverged_lr`` gives that one.
    """
    div = np.asarray(result.diverged_at) >= 0
    if div.size == 0 or not div[-1]:
        return None
    ok = np.flatnonzero(~div)
    return float(result.lrs[ok[-1] + 1 if ok.size else 0])


def first_diverged_lr(result: SweepResult) -> float | None:
    """The smallest learning rate of the sweep that diverged at all; None if none did."""
    div = np.flatnonzero(np.asarray(result.diverged_at) >= 0)
    return float(result.lrs[div[0]]) if div.size else None


# --- theory -------------------------------------------------------------------

def quadratic_hessian(surface) -> np.ndarray | None:
    """The constant Hessian of a quadratic surface; None if the surface is not quadratic.

    Read off the gradient (exactly linear on a quadratic) at the window's centre
    and one step along each axis, then checked at points spread over the window.
    This finds the stretched bowl, both line fits and a typed-in quadratic, with
    no list of names to keep in step.
    """
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    c = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    h = np.array([(x1 - x0) / 4, (y1 - y0) / 4])
    with np.errstate(all="ignore"):
        g0 = surface.grad(c)
        H = np.stack([(surface.grad(c + np.array([h[0], 0.0])) - g0) / h[0],
                      (surface.grad(c + np.array([0.0, h[1]])) - g0) / h[1]], axis=-1)
        u = np.linspace(0.05, 0.95, 5)
        probe = np.stack(np.meshgrid(x0 + u * (x1 - x0), y0 + u[::-1] * (y1 - y0)), axis=-1).reshape(-1, 2)
        got = surface.grad(probe)
        want = g0 + (probe - c) @ H.T
    if not (np.isfinite(H).all() and np.isfinite(got).all()):
        return None
    scale = np.abs(got).max() + np.abs(H).max() * max(x1 - x0, y1 - y0) + 1e-300
    if np.abs(got - want).max() > 1e-9 * scale:
        return None
    return (H + H.T) / 2


def theory_limit(surface, name: str, hyper: dict[str, Any] | None = None) -> float | None:
    """The learning rate above which theory says the optimizer diverges on this surface.

    Only for a convex quadratic f with largest Hessian eigenvalue L (plus any
    weight decay λ, which adds λ to every eigenvalue); None elsewhere.

    - SGD: η < 2/L (the step along the steepest direction must not overshoot
      by more than it started with).  Stretched bowl: L = 2, so 1.0.
    - Momentum (heavy ball, torch's form; dampening τ scales the gradient by
      1 - τ): η < 2(1 + μ) / ((1 - τ) L).
    - Nesterov (torch's form): η < 2(1 + μ) / ((1 + 2μ) L).

    The last two come from the roots of z² - (1 + μ - ηλ)z + μ = 0 and
    z² - (1 + μ)(1 - ηλ)z + μ(1 - ηλ) = 0 staying inside the unit circle.
    Exactly at the limit a path neither shrinks nor grows, so a finite sweep
    sees it blow up a little above the line.
    """
    if name not in ("sgd", "momentum", "nesterov"):
        return None
    H = quadratic_hessian(surface)
    if H is None:
        return None
    hp = {**optimizers.spec(name).defaults, **(hyper or {})}
    eig = np.linalg.eigvalsh(H) + float(hp.get("weight_decay", 0.0))
    if eig.min() <= 0:
        return None  # not convex: some direction runs away at any rate (a saddle)
    L = float(eig.max())
    if name == "sgd":
        return 2.0 / L
    mu = float(hp["momentum"])
    if name == "momentum":
        tau = float(hp.get("dampening", 0.0))
        return None if tau >= 1 else 2.0 * (1 + mu) / ((1 - tau) * L)
    return 2.0 * (1 + mu) / ((1 + 2 * mu) * L)


def theory_name(name: str) -> str:
    return {"sgd": "2/L", "momentum": "2(1+μ)/L", "nesterov": "2(1+μ)/((1+2μ)L)"}.get(name, "")


# --- the figure -----------------------------------------------------------------

def scrub_indices(n: int, scrub: int) -> np.ndarray:
    """About ``scrub`` evenly spaced indices into an ``n``-rate grid, first and last included."""
    if n <= 0:
        return np.zeros(0, dtype=int)
    return np.unique(np.round(np.linspace(0, n - 1, max(1, min(scrub, n)))).astype(int))


def path_steps(last: int, most: int = MAX_PATH_POINTS) -> np.ndarray:
    """Which steps 0..``last`` a drawn path keeps: at most ``most``.

    The first ``HEAD_STEPS`` all (the big moves), then every k-th step with k
    odd, so a path that zigzags from one wall to the other still shows a zigzag
    (an even stride would only ever pick one wall and draw a smooth slide),
    and the last step.
    """
    head = min(HEAD_STEPS, most // 2)
    if last + 1 <= most:
        return np.arange(last + 1)
    rest = most - head - 1
    k = math.ceil((last - head) / max(rest, 1))
    k += (k % 2 == 0)
    return np.unique(np.concatenate([np.arange(head), np.arange(head, last + 1, k), [last]]))


def _drawn_path(points: np.ndarray, most: int) -> np.ndarray:
    """The finite part of one path (steps + 1, 2), thinned: NaN rows dropped."""
    finite = np.isfinite(points).all(axis=-1)
    last = int(np.flatnonzero(finite)[-1]) if finite.any() else 0
    return points[path_steps(last, most)]


def sweep_label(run) -> str:
    """Legend text: the optimizer and whatever besides the learning rate differs from torch's defaults."""
    extra = hyper_labels(run)
    return optimizers.spec(run.name).label + (f" ({', '.join(extra)})" if extra else "")


def _shown_loss(final: np.ndarray, log: bool) -> np.ndarray:
    return np.maximum(final, LOSS_FLOOR) if log else np.asarray(final, dtype=float)


class SweepTraces(NamedTuple):
    """Where things are in a sweep figure's ``data`` (k = number of runs)."""

    curves: range     # run i's loss-vs-lr curve is trace i; its points' x are the lrs
    markers: range    # run i's scrub marker on its curve
    paths: range      # run i's path at the scrubbed lr, on the contour


def trace_layout(k: int) -> SweepTraces:
    return SweepTraces(range(0, k), range(k, 2 * k), range(2 * k, 3 * k))


def sweep_figure(surface, grid, results, start, scrub: int = 60, height: int = 560, width: int | None = None):
    """Final loss against learning rate (left) beside the paths on the contour (right).

    ``width``: how wide the browser draws the figure, if known.  The path panel then fills
    the top of its column at equal aspect; where beside the sweep it would be narrower than
    ``STACK_BELOW`` px, it goes under the sweep, as wide as the figure, and the figure is as
    tall as the two need (``height`` is then not used).

    ``results`` is a list of ``(Run, SweepResult)``, all over the same start.
    A slider below scrubs through about ``scrub`` of the learning rates in the
    browser (Plotly frames, ``redraw: False``): each frame sets every path and
    moves each optimizer's marker on its curve to (lr, final loss).

    Trace order (see ``trace_layout``): curves, then markers, then paths, then
    static marks.  The slider starts at the rate nearest the first run's lr.
    Divergence: a curve stops where its rate diverged; a dotted line in the
    optimizer's colour marks ``blowup_lr``.  A dashed line marks the theory
    limit where ``theory_limit`` knows one.
    """
    most = MAX_PATH_POINTS
    for _ in range(6):
        fig = _sweep_figure(surface, grid, results, start, scrub, height, most, width)
        size = sent_size(fig)
        if size <= RERUN_BUDGET or most <= 12:  # the sweep is its page's one chart
            return fig
        # Frames dominate; they scale with the points per path.
        most = max(12, int(most * (RERUN_BUDGET - 20_000) / size))
    return fig


def _sweep_figure(surface, grid, results, start, scrub, height, most, width=None):
    k = len(results)
    runs = [r for r, _ in results]
    log_y = surface.f_min is not None or all(
        bool(np.all(~np.isfinite(res.final) | (res.final > 0))) for _, res in results)
    n = len(results[0][1].lrs) if results else 0
    idx = scrub_indices(n, scrub)
    active = 0
    if results and idx.size:
        active = int(np.argmin(np.abs(np.log(results[0][1].lrs[idx]) - math.log(runs[0].lr))))

    data, frames = [], []
    # Curves: x is the lr itself, so a selected point names its rate.
    for i, (run, res) in enumerate(results):
        y = _shown_loss(res.final, log_y)
        text = [("diverged" if d >= 0 else f"within tolerance from step {int(s)}" if s >= 0
                 else "not within tolerance") for s, d in zip(res.steps_to_tol, res.diverged_at)]
        c = color(run.name)
        data.append(dict(type="scatter", mode="lines+markers", x=_f32(res.lrs), y=_f32(y),
                         xaxis="x", yaxis="y", name=sweep_label(run), legendgroup=f"r{i}",
                         line=dict(color=c, width=2.5, dash=DASHES[copy_index(runs, i) % len(DASHES)]),
                         marker=dict(size=4, color=c), text=text, connectgaps=False,
                         hovertemplate=f"<b>{sweep_label(run)}</b><br>η = %{{x:.3g}}<br>"
                                       "final loss %{y:.3g}<br>%{text}<extra></extra>"))

    def marker(i, res, j):
        y = _shown_loss(res.final[j:j + 1], log_y)[0]
        return dict(x=[float(res.lrs[j])], y=[float(y) if np.isfinite(y) else None])

    def path(res, j):
        p = _drawn_path(res.points[:, j], most).astype(np.float32)
        return dict(x=_f32(p[:, 0]), y=_f32(p[:, 1]))

    j0 = int(idx[active]) if idx.size else 0
    for i, (run, res) in enumerate(results):
        c = color(run.name)
        data.append(dict(type="scatter", mode="markers", **marker(i, res, j0), xaxis="x", yaxis="y",
                         legendgroup=f"r{i}", showlegend=False, hoverinfo="skip",
                         marker=dict(size=14, color=c, symbol="circle",
                                     line=dict(color="#ffffff", width=2.5))))
    for i, (run, res) in enumerate(results):
        c = color(run.name)
        data.append(dict(type="scatter", mode="lines+markers", **path(res, j0), xaxis="x2", yaxis="y2",
                         legendgroup=f"r{i}", showlegend=False, hoverinfo="skip",
                         line=dict(color=c, width=2.5, dash=DASHES[copy_index(runs, i) % len(DASHES)]),
                         marker=dict(size=4, color=c)))

    # Static marks: start and minima on the contour.
    data.append(dict(type="scatter", mode="markers", x=[float(start[0])], y=[float(start[1])],
                     xaxis="x2", yaxis="y2", name="start", showlegend=False, hoverinfo="skip",
                     marker=dict(size=13, color="#ffffff", line=dict(color=START_COLOR, width=3))))
    if surface.minima:
        mx, my = zip(*surface.minima)
        data.append(dict(type="scatter", mode="markers", x=list(mx), y=list(my), xaxis="x2", yaxis="y2",
                         name="global minimum", showlegend=False, hoverinfo="skip",
                         marker=dict(size=18, color=MINIMUM_COLOR, symbol="star",
                                     line=dict(color="#5c4500", width=1.5))))

    lr_lo = min((float(r.lrs[0]) for _, r in results), default=1e-5)
    lr_hi = max((float(r.lrs[-1]) for _, r in results), default=10.0)
    # Divergence and theory lines on the left panel.  Shapes take data values on a
    # log axis, annotations its log10.
    shapes, notes = [], []
    for i, (run, res) in enumerate(results):
        c = color(run.name)
        b = blowup_lr(res)
        if b is not None:
            shapes.append(dict(type="line", xref="x", yref="y domain", x0=b, x1=b, y0=0, y1=1,
                               line=dict(color=c, width=2, dash="dot")))
            notes.append(dict(text=f"{optimizers.spec(run.name).label} blows up ≥ {short(b)}", x=math.log10(b),
                              xref="x", yref="y domain", y=1 - 0.07 * len(notes), xanchor="right",
                              yanchor="top", showarrow=False, font=dict(size=12, color=c),
                              bgcolor="rgba(255,255,255,0.8)"))
        t = theory_limit(surface, run.name, run.kwargs)
        if t is not None:
            shapes.append(dict(type="line", xref="x", yref="y domain", x0=t, x1=t, y0=0, y1=1,
                               line=dict(color=c, width=1.5, dash="dash")))
            # beside its line, on the side with room: near the right end a label would run
            # out of the panel, into the path panel's ticks
            room = "right" if t > lr_lo ** 0.4 * lr_hi ** 0.6 else "left"  # past 60 % of the log axis
            notes.append(dict(text=f"{theory_name(run.name)} = {short(t)}", x=math.log10(t), xref="x",
                              yref="y domain",
                              y=1 - 0.07 * len(notes), xanchor=room, yanchor="top", showarrow=False,
                              font=dict(size=12, color=c), bgcolor="rgba(255,255,255,0.8)"))

    ys = np.concatenate([_shown_loss(r.final, log_y) for _, r in results]) if results else np.zeros(0)
    ys = ys[np.isfinite(ys)]
    axis = dict(showgrid=True, gridcolor="#e4e7eb", zeroline=False, linecolor="#9aa5b1", mirror=True,
                ticks="outside", exponentformat="power")
    xname, yname = getattr(surface, "axis_names", ("x", "y"))
    gap = surface.f_min is not None
    margin = dict(l=70, r=30, t=60, b=110)
    if idx.size and results:
        # a fixed drop under the plot area, in a margin that holds the slider: one that does
        # not fit makes plotly.js push the margin and lay the figure out twice per redraw
        margin["b"] = SWEEP_DROP + SLIDER_BOX + 2
    sweep_x, sweep_y, path_x, path_y = [0, 0.47], [0, 1], [0.55, 1], [0, 1]
    if width:
        plot_w = width - margin["l"] - margin["r"]
        beside = plot_w * (path_x[1] - path_x[0])
        if beside < STACK_BELOW:  # the path panel under the sweep, both as wide as the figure
            path_h = min(plot_w * surface.aspect, PANEL_MOST)
            plot_h = STACKED_SWEEP + STACK_GAP + path_h
            height = int(math.ceil(plot_h)) + margin["t"] + margin["b"]
            sweep_x = path_x = [0, 1]
            sweep_y, path_y = [1 - STACKED_SWEEP / plot_h, 1], [0, path_h / plot_h]
        else:  # beside it, at the top of its column, as tall as its width needs
            plot_h = height - margin["t"] - margin["b"]
            path_y = [max(0.0, 1 - beside * surface.aspect / plot_h), 1]
    layout = dict(
        font=FONT, paper_bgcolor=PAPER, plot_bgcolor=PAPER, height=height, hovermode="closest",
        clickmode="event+select", dragmode="zoom", uirevision="keep",
        margin=margin,
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom", font=dict(size=14)),
        # plotly.js spaces the decades for the panel's width (every decade when wide, every
        # second or third when narrow) and never tilts them into the axis title
        xaxis=dict(axis, type="log", domain=sweep_x, anchor="y", title=dict(text="learning rate η"),
                   range=[math.log10(lr_lo), math.log10(lr_hi)], tickangle=0),
        yaxis=dict(axis, type="log" if log_y else "linear", anchor="x", domain=sweep_y,
                   title=dict(text=f"final {'f − f*' if gap else 'f'} after {_steps(results)} steps"),
                   **(log_ticks(ys) if log_y and ys.size else {})),
        xaxis2=dict(axis, showgrid=False, domain=path_x, anchor="y2", range=list(surface.x_range),
                    constrain="domain", title=dict(text=xname)),
        yaxis2=dict(axis, showgrid=False, anchor="x2", range=list(surface.y_range), scaleanchor="x2",
                    scaleratio=1, constrain="domain", domain=path_y),
        images=[backdrop(surface, grid, "x2", "y2")],
        # the path panel's y name above its axis: beside it, it sat in the gap between the
        # panels, on the sweep's labels when the figure is narrow
        shapes=shapes, annotations=notes + [dict(text=f"<i>{yname}</i>", xref="x2 domain", yref="y2 domain",
                                                 x=0, y=1, xanchor="center", yanchor="bottom", yshift=4,
                                                 showarrow=False, font=dict(size=16))],
    )
    if idx.size and results:
        moving = list(trace_layout(k).markers) + list(trace_layout(k).paths)
        for j in idx:
            fdata = [marker(i, res, int(j)) for i, (_, res) in enumerate(results)]
            fdata += [path(res, int(j)) for _, res in results]
            frames.append(dict(name=str(int(j)), traces=moving, data=fdata))
        still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate",
                 "transition": {"duration": 0}}
        lrs = results[0][1].lrs
        plot_h = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
        layout["sliders"] = [dict(active=active, x=0, len=1, y=-SWEEP_DROP / plot_h, yanchor="top",
                                  pad=dict(t=0, b=0),
                                  currentvalue=dict(prefix="η = ", xanchor="right", font=dict(size=15)),
                                  font=dict(size=11), transition=dict(duration=0),
                                  steps=[dict(label=short(float(lrs[j])), method="animate",
                                              args=[[str(int(j))], still]) for j in idx])]
    return _fast(data, layout, frames or None)


def short(x: float) -> str:
    """A learning rate for a label: three significant digits (0.0955, 1.01, 2.5e-05)."""
    return f"{x:.3g}"


def _steps(results) -> int:
    return results[0][1].steps if results else 0


def lr_from_selection(selection, results) -> tuple[int, float] | None:
    """(run index, learning rate) of a point chosen on a sweep figure; None if it is not a curve point.

    ``selection`` is what ``st.plotly_chart(..., on_select=...)`` reports
    (``event.selection``: a dict with ``"points"``), a list of such points, or
    one point (``curve_number``, ``point_index``, ``x``, ``y``).  ``results``
    is the list the figure was built from.  A point on run i's curve (trace i)
    names ``lrs[point_index]``; a point on its scrub marker (trace k + i)
    names the grid rate nearest its x.  The last usable point wins.
    """
    points = _points(selection)
    k = len(results)
    lay = trace_layout(k)
    for p in reversed(points):
        c = p.get("curve_number", p.get("curveNumber"))
        if c is None:
            continue
        c = int(c)
        if c in lay.curves:
            lrs = results[c][1].lrs
            j = p.get("point_index", p.get("pointIndex", p.get("point_number")))
            if j is not None and 0 <= int(j) < len(lrs):
                return c, float(lrs[int(j)])
            i = c
        elif c in lay.markers:
            i = c - k
        else:
            continue
        x = p.get("x")
        if x is None or not float(x) > 0:
            continue
        lrs = results[i][1].lrs
        return i, float(lrs[int(np.argmin(np.abs(np.log(lrs) - math.log(float(x)))))])
    return None


def _points(selection) -> list[dict]:
    if selection is None:
        return []
    if isinstance(selection, dict):
        if "points" in selection:
            return list(selection["points"] or [])
        if "selection" in selection:
            return _points(selection["selection"])
        return [selection]
    if hasattr(selection, "selection"):
        return _points(selection.selection)
    return [p for p in selection if isinstance(p, dict)]
