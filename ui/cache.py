"""Work shared by every session in the server process, keyed by cheap strings.

A whole class shares one process, so anything computed for one student is
computed for all.  Keys are short strings (a surface name, a run's link text,
the scenario's link) rather than dataclasses.  The caches are bounded
``functools.lru_cache``s, not ``st.cache_resource``: Streamlit's cache inspects
the function's signature and hashes every argument on each lookup (about half
a millisecond each, a dozen lookups per rerun), while a string key costs a
dictionary probe.  The bounds keep one class from filling the memory.  What is cached is read-only: trajectories are
frozen arrays and figures refuse mutation, so one session cannot change
another's picture.

A path for fewer steps is a prefix of the path for more: each run keeps the
longest path asked of it, and fewer steps slice it.  A run asked for the
first time is computed for exactly its steps; asked for more than it has
(someone is raising the steps), for a bucket of steps ahead.

The hand-picked views (every surface's opening, the lessons, the update-rule
demos, the sweep's and the map's defaults) are what a class opens most, and
every student opens them: their paths, figures and tables live in caches of
their own (``pinned``), which the views students make up never evict.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Callable

import numpy as np

import optimizers
from viz import figures, maps, sweep, tables, tuning
from viz.state import Run, Scenario, decode_link, run_from_text, surface_of

from .options import lr_options


@lru_cache(maxsize=1)
def pinned_links() -> frozenset[str]:
    """The links of the hand-picked views (a fixed set: their caches stay bounded)."""
    from viz import presets

    views = [*presets.OPENINGS.values(), *(p.scenario for p in presets.PRESETS),
             *(presets.demo(n) for n in optimizers.names()), presets.SWEEP, presets.MAP]
    return frozenset(v.link for v in views)


def pinned(maxsize: int, pinned_size: int):
    """An ``lru_cache(maxsize)`` keyed by a link first, with a second cache of ``pinned_size``
    for the hand-picked views' links, so made-up views never evict them."""
    def wrap(fn):
        common, kept = lru_cache(maxsize=maxsize)(fn), lru_cache(maxsize=pinned_size)(fn)

        def cached(link: str, *args):
            return (kept if link in pinned_links() else common)(link, *args)

        cached.__wrapped__, cached.__doc__, cached.__name__ = fn, fn.__doc__, fn.__name__
        cached.cache_clear = lambda: (common.cache_clear(), kept.cache_clear())
        cached.cache_info = lambda: (common.cache_info(), kept.cache_info())
        return cached
    return wrap


STEP_BUCKETS = (30, 60, 100, 200, 300, 500, 1000)


def bucket(steps: int) -> int:
    return next((b for b in STEP_BUCKETS if steps <= b), steps)


@lru_cache(maxsize=24)
def grid(surface: str, n: int = 120) -> figures.Grid:
    return figures.surface_grid(surface_of(surface), n)


def _keep(tr: optimizers.Trajectory) -> tuple[np.ndarray, np.ndarray]:
    """What the caches keep of a run: points and divergence steps, read-only.

    The losses are dropped (a third of the memory; figures and tables evaluate
    the surface on the points they show)."""
    points, diverged = tr.points, np.asarray(tr.diverged_at)
    points.flags.writeable = False
    diverged.flags.writeable = False
    return points, diverged


class Longest:
    """Per key, the longest path computed so far, a bounded LRU (thread-safe).

    ``get(key, steps, compute)`` answers from the kept path when it has at
    least ``steps`` steps (the caller slices it); otherwise it calls
    ``compute(n)``: ``n = steps`` for a key never seen, ``bucket(steps)`` for
    one asked for more than it has, so raising the steps slider again is free.
    """

    def __init__(self, maxsize: int):
        self.maxsize, self._kept, self._lock = maxsize, OrderedDict(), threading.Lock()
        self.hits = self.misses = 0

    def get(self, key, steps: int, compute):
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0].shape[0] > steps:
                self._kept.move_to_end(key)
                self.hits += 1
                return kept
            self.misses += 1
        out = compute(steps if kept is None else bucket(steps))
        with self._lock:
            now = self._kept.get(key)
            if now is None or now[0].shape[0] < out[0].shape[0]:
                self._kept[key] = out
            self._kept.move_to_end(key)
            while len(self._kept) > self.maxsize:
                self._kept.popitem(last=False)
        return out

    def cache_clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self.hits = self.misses = 0

    def cache_info(self) -> tuple[int, int, int]:
        return self.hits, self.misses, len(self._kept)


_singles = Longest(512)


def _single(surface: str, run_text: str, x0: float, y0: float, steps: int,
            noise: float, seed: int, batch: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One run's points (at least ``steps + 1`` of them) and the step it diverged at."""
    def compute(n: int):
        run = run_from_text(run_text)
        opt = optimizers.get(run.name, **run.kwargs)
        return _keep(optimizers.run(opt, surface_of(surface), (x0, y0), n, noise=noise, seed=seed,
                                    schedule=run.schedule_obj(), batch_size=batch or None, losses=False))
    return _singles.get((surface, run_text, x0, y0, noise, seed, batch), steps, compute)


@lru_cache(maxsize=32)
def _sweep(surface: str, rest_text: str, x0: float, y0: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Every learning rate the slider offers, in one broadcast batch (about 1.4x one path).

    Nudging the learning rate is what a class does most; after the first
    nudge every value on the slider is already computed.
    """
    run = run_from_text(rest_text)
    lrs = np.array(lr_options(run.name))
    opt = optimizers.get(run.name, **{**run.kwargs, "lr": lrs})
    return _keep(optimizers.run(opt, surface_of(surface), np.tile([x0, y0], (lrs.size, 1)), steps,
                                losses=False))


# The learning rates each (surface, run without its lr, start, steps) was asked
# for.  The first lr gets one path; a second one means someone is nudging the
# lr slider, and then every value on the slider is computed in one batch.
_asked: OrderedDict[tuple, float] = OrderedDict()


def _nudged(key: tuple, lr: float) -> bool:
    """True from the second distinct lr asked for ``key`` on (NaN marks a swept key)."""
    first = _asked.pop(key, lr)
    nudged = first != lr  # NaN != anything: once swept, always swept
    _asked[key] = float("nan") if nudged else lr
    while len(_asked) > 4096:
        _asked.popitem(last=False)
    return nudged


def trajectory(surface: str, run: Run, start, steps: int, noise: float = 0.0,
               seed: int = 0, batch: int = 0) -> tuple[np.ndarray, int]:
    """Points (steps + 1, 2), read-only, and the step it diverged at (-1 if never).

    Identical, bit for bit, whichever cache answers: a path for fewer steps is
    a prefix of a longer one, and a broadcast batch equals one run per value.
    """
    x0, y0, b = float(start[0]), float(start[1]), bucket(steps)
    options = lr_options(run.name)
    if not noise and not batch and not run.schedule and run.lr in options:
        rest = Run.of(run.name, **{**run.kwargs, "lr": options[0]}).text
        if _nudged((surface, rest, x0, y0, b), run.lr):
            all_points, diverged = _sweep(surface, rest, x0, y0, b)
            i = options.index(run.lr)
            return _prefix(all_points[:, i], int(diverged[i]), steps)
    points, diverged = _single(surface, run.text, x0, y0, steps, float(noise), int(seed), int(batch))
    return _prefix(points, int(diverged), steps)


def _prefix(points: np.ndarray, diverged: int, steps: int) -> tuple[np.ndarray, int]:
    return points[: steps + 1], (diverged if diverged <= steps else -1)


@lru_cache(maxsize=64)
def _cloud(surface: str, run_text: str, x0: float, y0: float, steps: int, noise: float, seed: int,
           k: int, batch: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``k`` noisy runs from one start in one batch.

    With added noise only: one noise draw per run and step from one seed.
    With minibatches: run ``j`` is the run with seed ``seed + j`` (its own order
    of the data, and its own noise), as a link with that seed shows it alone.
    """
    run = run_from_text(run_text)
    opt = optimizers.get(run.name, **run.kwargs)
    seeds = [seed + j for j in range(k)] if batch else seed
    return _keep(optimizers.run(opt, surface_of(surface), np.tile([x0, y0], (k, 1)), steps,
                                noise=noise, seed=seeds, schedule=run.schedule_obj(),
                                batch_size=batch or None, losses=False))


def cloud(scenario: Scenario, run: Run) -> tuple[np.ndarray, np.ndarray, int]:
    """The noise cloud of ``run``: its k paths (steps + 1, k, 2), their mean path, and the
    step the mean stopped being finite (-1 if never)."""
    points, _ = _cloud(scenario.surface, run.text, float(scenario.start[0]), float(scenario.start[1]),
                       bucket(scenario.steps), float(scenario.noise), int(scenario.seed), scenario.cloud,
                       int(scenario.batch))
    points = points[: scenario.steps + 1]
    # The mean of the runs still on the plot at each step: a sum over a count, because
    # nanmean warns once every run has left (and then the mean is simply NaN).
    alive = np.isfinite(points).all(axis=-1, keepdims=True)
    count = alive.sum(axis=1)
    total = np.where(alive, points, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    bad = np.flatnonzero(~np.isfinite(mean).all(axis=1))
    return points, mean, (int(bad[0]) if bad.size else -1)


def paths(scenario: Scenario) -> list[figures.Path]:
    """What the figures draw: each run's path (with noise and a cloud: the cloud's mean path)."""
    if scenario.link in pinned_links():
        return list(_pinned_paths(scenario.link))
    return _paths(scenario)


@lru_cache(maxsize=64)
def _pinned_paths(link: str) -> tuple[figures.Path, ...]:
    return tuple(_paths(_scenario(link)))


def _paths(scenario: Scenario) -> list[figures.Path]:
    out = []
    for i, run in enumerate(scenario.runs):
        copy = figures.copy_index(scenario.runs, i)
        if (scenario.noise or scenario.batch) and scenario.cloud > 1:
            members, mean, diverged = cloud(scenario, run)
            out.append(figures.Path(run.name, figures.run_label(run) + f", mean of {scenario.cloud}",
                                    mean, diverged, copy=copy, cloud=members))
            continue
        points, diverged = trajectory(scenario.surface, run, scenario.start, scenario.steps,
                                      scenario.noise, scenario.seed, scenario.batch)
        out.append(figures.Path(run.name, figures.run_label(run), points, diverged, copy=copy))
    return out


@lru_cache(maxsize=512)
def default_lr(surface: str, name: str) -> float:
    return tuning.default_lr(surface, name)


@lru_cache(maxsize=1024)
def _scenario(link: str) -> Scenario:
    return decode_link(link)


def scenario(link: str) -> Scenario:
    return _scenario(link)


def paths_csv(link: str) -> str:
    """The paths of a view as CSV, built on a click (Export), not kept."""
    sc = _scenario(link)
    return tables.paths_csv(surface_of(sc.surface), paths(sc), sc)


def figure_html(link: str, figure: Callable[[], figures.PlainFigure]) -> str:
    """A view's figure as a standalone HTML page titled by what it shows, built on a click."""
    sc = _scenario(link)
    return figures.standalone_html(figure(), title=tables.describe(surface_of(sc.surface), sc))


@pinned(32, 96)
def contour(link: str, height: int | None, width: int | None) -> figures.PlainFigure:
    sc = _scenario(link)
    s = surface_of(sc.surface)
    return figures.contour_figure(s, grid(sc.surface), paths(sc), sc.start, height=height, width=width)


@lru_cache(maxsize=64)
def lr_chart(link: str) -> figures.PlainFigure | None:
    """Learning rate per step for the runs with a schedule (None if none has one)."""
    sc = _scenario(link)
    series = [(figures.run_label(r), figures.color(r.name), figures.DASHES[figures.copy_index(sc.runs, i) % 4],
               r.schedule_obj().lrs(r.lr, sc.steps)) for i, r in enumerate(sc.runs) if r.schedule]
    return figures.lr_figure(series) if series else None


@pinned(96, 64)
def loss(link: str) -> figures.PlainFigure:
    sc = _scenario(link)
    return figures.loss_figure(surface_of(sc.surface), grid(sc.surface), paths(sc))


@pinned(12, 32)
def panels(link: str, height_per_row: int, cols: int, width: int | None) -> figures.PlainFigure:
    sc = _scenario(link)
    return figures.panels_figure(surface_of(sc.surface), grid(sc.surface, 80), paths(sc), sc.start,
                                 height_per_row=height_per_row, cols=cols, width=width)


@pinned(8, 32)
def scene(link: str, height: int) -> figures.PlainFigure:
    sc = _scenario(link)
    return figures.surface3d_figure(surface_of(sc.surface), grid(sc.surface, 70), paths(sc), sc.start,
                                    height=height)


@pinned(256, 64)
def summary(link: str) -> tuple[str, str]:
    """The summary table (markdown) and its one-line reading."""
    sc = _scenario(link)
    s, ps = surface_of(sc.surface), paths(sc)
    return tables.summary_markdown(s, ps), tables.reading(s, ps)


# --- learning-rate sweeps and convergence maps (issue 9) --------------------------------------

MAP_STEPS = 300  # a map runs 10,000 starts: at most this many steps each


@lru_cache(maxsize=64)
def _one_sweep(surface: str, run_text: str, x0: float, y0: float, steps: int, lo: float, hi: float):
    run = run_from_text(run_text)
    lrs = np.geomspace(lo, hi, sweep.DEFAULT_POINTS)
    return sweep.sweep(surface_of(surface), run, (x0, y0), steps, lrs)


def sweeps(link: str) -> list:
    """(Run, SweepResult) per optimizer of the scenario: each one broadcast batch of 200 rates.

    Every optimizer of a sweep uses the same grid (spanning all their sliders'
    ranges), so one position on the scrubber is one learning rate for all."""
    sc = _scenario(link)
    grids = [sweep.lr_grid(r.name) for r in sc.runs]
    lo, hi = float(min(g[0] for g in grids)), float(max(g[-1] for g in grids))
    # The sweep sets the lr itself: key it without the run's own lr, so nudging that slider
    # (which only moves where the scrubber starts) computes nothing.
    return [(r, _one_sweep(sc.surface, Run.of(r.name, **{**r.kwargs, "lr": 1.0}).text,
                           float(sc.start[0]), float(sc.start[1]), sc.steps, lo, hi))
            for r in sc.runs]


@lru_cache(maxsize=16)
def sweep_figure(link: str, height: int, width: int | None) -> figures.PlainFigure:
    sc = _scenario(link)
    return sweep.sweep_figure(surface_of(sc.surface), grid(sc.surface, 80), sweeps(link), sc.start,
                              height=height, width=width)


@lru_cache(maxsize=48)
def _one_map(surface: str, run_text: str, steps: int):
    return maps.convergence_map(surface_of(surface), run_from_text(run_text), steps=steps)


def map_steps(link: str) -> int:
    """Steps per start on a map: the scenario's, at most MAP_STEPS, and within the library's
    work limit (a gradient on a data surface costs more than one point-step)."""
    sc = _scenario(link)
    s = surface_of(sc.surface)
    from optimizers import limits

    # One rerun may ask for about a second of work in all: the library's limit for one run,
    # shared by every optimizer on the map.
    cost = limits.point_step_cost(s) * max(1, len(sc.runs))
    return int(max(1, min(sc.steps, MAP_STEPS, limits.MAX_POINT_STEPS // (MAP_STARTS * cost))))


MAP_STARTS = 100 * 100


def convergence_maps(link: str) -> list:
    """(Run, MapResult) per optimizer: 100 x 100 starts, one batch each, computed once per server."""
    sc = _scenario(link)
    return [(r, _fitting_map(sc.surface, r.text, map_steps(link))) for r in sc.runs]


def _fitting_map(surface: str, run_text: str, steps: int):
    """The map at ``steps``, or at fewer if the library's work limit refuses it (the limit is
    the library's to set; this page only asks)."""
    while True:
        try:
            return _one_map(surface, run_text, steps)
        except ValueError:
            if steps <= 1:
                raise
            steps //= 2


@lru_cache(maxsize=16)
def map_figure(link: str, color_by: str, height: int, width: int | None,
               fit_height: bool = False) -> figures.PlainFigure:
    sc = _scenario(link)
    return maps.map_figure(surface_of(sc.surface), convergence_maps(link), color_by=color_by, height=height,
                           width=width, fit_height=fit_height)


# --- inside one step (issue 10) -----------------------------------------------------------------

@lru_cache(maxsize=64)
def _recorded(surface: str, run_text: str, x0: float, y0: float, steps: int, noise: float, seed: int,
              batch: int) -> optimizers.Trajectory:
    run = run_from_text(run_text)
    opt = optimizers.get(run.name, **run.kwargs)
    tr = optimizers.run(opt, surface_of(surface), (x0, y0), steps, noise=noise, seed=seed,
                        schedule=run.schedule_obj(), batch_size=batch or None, record=True)
    for a in tr:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    return tr


def inside_step(link: str, k: int) -> list[figures.StepView]:
    """What happens inside step ``k`` of each run: where it is, its gradient, memory, update
    and (adaptive methods) per-coordinate step size, from ``run(..., record=True)``."""
    sc = _scenario(link)
    out = []
    for i, run in enumerate(sc.runs):
        # Step k needs only the first k + 1 steps: a shorter run is a prefix of a longer one.
        tr = _recorded(sc.surface, run.text, float(sc.start[0]), float(sc.start[1]), bucket(k + 1),
                       float(sc.noise), int(sc.seed), int(sc.batch))
        if k >= tr.updates.shape[0] or not np.isfinite(tr.points[k + 1]).all():
            continue
        lr = float(run.schedule_obj().lrs(run.lr, k + 1)[-1]) if run.schedule else run.lr
        out.append(figures.StepView(
            run.name, figures.run_label(run), figures.copy_index(sc.runs, i), k, lr,
            tr.points[k], tr.grads[k], None if tr.memory is None else tr.memory[k], tr.updates[k],
            None if tr.step_size is None else tr.step_size[k]))
    return out


@lru_cache(maxsize=32)
def contour_inside(link: str, height: int | None, width: int | None, k: int) -> figures.PlainFigure:
    """The contour figure with step ``k``'s arrows drawn on it."""
    sc = _scenario(link)
    arrows = inside_step(link, k)
    return figures.with_step_arrows(
        contour(link, height, width), surface_of(sc.surface), arrows,
        rebuild=lambda: figures.contour_figure(surface_of(sc.surface), grid(sc.surface), paths(sc),
                                               sc.start, height=height, width=width, arrows=arrows))
