"""Learning-rate sweeps: one batch equals one run per rate, and the figure scrubs them truthfully.

The oracles are independent of the code under test: one ``optimizers.run``
per learning rate, steps-to-tolerance found by a plain Python loop, the
theory limits checked by running just below and just above them, and the
figure read back the way plotly.js reads it (typed arrays decoded, frames
merged into the traces they name).
"""

from __future__ import annotations

import base64
import math

import numpy as np
import plotly.io as pio
import plotly.graph_objects as go
import pytest

import optimizers
import surfaces
from viz import figures, sweep
from viz.state import Run

BUDGET = 400_000


def arr(v) -> np.ndarray:
    if isinstance(v, dict):
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" in v:
            a = a.reshape([int(n) for n in str(v["shape"]).split(",")])
        return a
    return np.array([np.nan if x is None else x for x in v], dtype=float)


def one_at_a_time(surface, run, start, steps, lr):
    return optimizers.run(optimizers.get(run.name, **{**run.kwargs, "lr": float(lr)}), surface, start, steps)


def settled_from(path, minima, tol):
    """First step from which the path stays within tol of a minimum: a plain loop."""
    t_in = -1
    for t, p in enumerate(path):
        near = np.all(np.isfinite(p)) and min(math.dist(p, m) for m in minima) <= tol
        if near and t_in < 0:
            t_in = t
        elif not near:
            t_in = -1
    return t_in


CASES = [
    ("bowl", Run.of("sgd", lr=0.1)),
    ("rosenbrock", Run.of("momentum", lr=0.001, momentum=0.8)),
    ("himmelblau", Run.of("adam", lr=0.01, betas=(0.8, 0.99))),
    ("camel", Run.of("rmsprop", lr=0.01)),
    ("least_squares", Run.of("nesterov", lr=0.01)),
]


@pytest.mark.parametrize("surface,run", CASES, ids=[f"{s}-{r.name}" for s, r in CASES])
def test_sweep_equals_one_run_per_lr(surface, run):
    s = surfaces.get(surface)
    steps = 120
    lrs = sweep.lr_grid(run.name)
    res = sweep.sweep(s, run, s.start, steps, lrs)
    assert res.points.shape == (steps + 1, len(lrs), 2)
    tol = sweep.tolerance(s)
    for i, lr in enumerate(lrs):
        tr = one_at_a_time(s, run, s.start, steps, lr)
        assert np.array_equal(res.points[:, i], tr.points, equal_nan=True), lr
        assert res.diverged_at[i] == int(tr.diverged_at)
        want = np.nan if tr.diverged_at >= 0 else float(s.value(tr.points[-1])) - s.f_min
        assert np.array_equal(res.final[i], want, equal_nan=True)
        assert res.steps_to_tol[i] == settled_from(tr.points, s.minima, tol)
    assert (res.diverged_at >= 0).any() or run.name in ("adam", "rmsprop")  # the grid reaches blow-up


def test_results_are_read_only():
    s = surfaces.get("bowl")
    res = sweep.sweep(s, Run.of("sgd", lr=0.1), s.start, 10, sweep.lr_grid("sgd"))
    for a in (res.lrs, res.final, res.steps_to_tol, res.diverged_at, res.points):
        with pytest.raises(ValueError):
            a[0] = 0


@pytest.mark.parametrize("name", optimizers.names())
def test_lr_grid_spans_the_knob(name):
    knob = sweep.lr_knob(name)
    g = sweep.lr_grid(name)
    assert len(g) >= 200 and np.all(np.diff(g) > 0)
    assert g[0] == pytest.approx(max(knob.lo, 1e-5)) and g[-1] == pytest.approx(knob.hi)
    assert np.allclose(np.diff(np.log(g)), np.log(g[1] / g[0]))  # evenly spaced in log
    with pytest.raises(ValueError, match="Invalid number of learning rates: 1"):
        sweep.lr_grid(name, 1)


def fake(diverged):
    d = np.array([5 if x else -1 for x in diverged])
    lrs = np.arange(1, len(d) + 1, dtype=float)
    return sweep.SweepResult(lrs, np.where(d >= 0, np.nan, 1.0), np.full(len(d), -1), d, np.zeros((1, len(d), 2)))


def test_blowup_lr_is_the_start_of_the_trailing_diverged_run():
    assert sweep.blowup_lr(fake([0, 0, 1, 0, 1, 1])) == 5.0
    assert sweep.first_diverged_lr(fake([0, 0, 1, 0, 1, 1])) == 3.0
    assert sweep.blowup_lr(fake([0, 0, 1, 0])) is None
    assert sweep.blowup_lr(fake([1, 1])) == 1.0
    assert sweep.blowup_lr(fake([0, 0])) is None and sweep.first_diverged_lr(fake([0, 0])) is None


def test_theory_limits_on_the_quadratics():
    assert sweep.theory_limit(surfaces.get("bowl"), "sgd") == pytest.approx(1.0, rel=1e-12)
    assert sweep.theory_limit(surfaces.get("least_squares_std"), "sgd") == pytest.approx(1.0, rel=1e-9)
    ls = surfaces.get("least_squares")
    x, y = ls.data.inputs[:, 0], ls.data.targets
    H = 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])  # Hessian of the mean squared error
    assert sweep.theory_limit(ls, "sgd") == pytest.approx(2 / np.linalg.eigvalsh(H).max(), rel=1e-9)
    assert sweep.theory_limit(surfaces.get("bowl"), "momentum", {"momentum": 0.5}) == pytest.approx(1.5)
    assert sweep.theory_limit(surfaces.get("bowl"), "nesterov", {"momentum": 0.5}) == pytest.approx(0.75)
    for name, s in [("adam", "bowl"), ("sgd", "rosenbrock"), ("sgd", "saddle"), ("sgd", "logistic"),
                    ("rmsprop", "least_squares")]:
        assert sweep.theory_limit(surfaces.get(s), name) is None, (name, s)
    assert sweep.theory_limit(surfaces.from_formula("3*x^2 + y^2 + x*y", (-2, 2), (-2, 2)), "sgd") == \
        pytest.approx(2 / np.linalg.eigvalsh([[6, 1], [1, 2]]).max(), rel=1e-9)


@pytest.mark.parametrize("surface,name,hyper", [
    ("bowl", "sgd", {}), ("least_squares", "sgd", {}), ("least_squares_std", "sgd", {"weight_decay": 0.3}),
    ("bowl", "momentum", {"momentum": 0.9}), ("bowl", "momentum", {"momentum": 0.5, "dampening": 0.3}),
    ("least_squares", "momentum", {"momentum": 0.7}),
    ("bowl", "nesterov", {"momentum": 0.9}), ("least_squares_std", "nesterov", {"momentum": 0.3}),
])
def test_theory_limit_separates_converging_from_diverging(surface, name, hyper):
    """Just below the limit the path shrinks; just above it blows up: the formula, checked by running."""
    s = surfaces.get(surface)
    limit = sweep.theory_limit(s, name, hyper)
    run = Run.of(name, lr=1.0, **hyper)
    res = sweep.sweep(s, run, s.start, 3000, np.array([0.97, 1.03]) * limit)
    # Settled (with weight decay the resting point is not the surface's minimum).
    assert res.diverged_at[0] == -1
    first, last = (np.abs(res.points[a, 0] - res.points[a - 1, 0]).max() for a in (1, -1))
    assert last < 1e-3 * first
    assert res.diverged_at[1] > 0


def sweep_results(surface, names, steps=300, n=200):
    s = surfaces.get(surface)
    out = []
    for name in names:
        run = Run.of(name, lr=0.05)
        out.append((run, sweep.sweep(s, run, s.start, steps, sweep.lr_grid(name, n))))
    return s, figures.surface_grid(s), out


FOUR = ("sgd", "momentum", "rmsprop", "adam")


@pytest.mark.parametrize("surface", ["bowl", "rastrigin", "himmelblau", "rosenbrock", "saddle"])
def test_sweep_figure_is_valid_and_within_budget(surface):
    s, g, res = sweep_results(surface, FOUR)
    fig = sweep.sweep_figure(s, g, res, s.start)
    size = len(pio.to_json(fig.to_dict(), validate=False).encode())
    assert size <= BUDGET, size
    go.Figure(fig.thawed())  # validates every attribute, frames included


def test_sweep_figure_of_one_optimizer_validates():
    s, g, res = sweep_results("least_squares", ("sgd",), steps=50, n=200)
    fig = sweep.sweep_figure(s, g, res, s.start, scrub=200)
    go.Figure(fig.thawed())
    assert len(fig.thawed()["frames"]) == 200


def test_frames_move_only_markers_and_paths_and_the_marker_sits_on_the_curve():
    s, g, res = sweep_results("bowl", ("sgd", "momentum", "adam"))
    fig = sweep.sweep_figure(s, g, res, s.start, scrub=60).thawed()
    k = len(res)
    lay = sweep.trace_layout(k)
    moving = list(lay.markers) + list(lay.paths)
    frames = fig["frames"]
    assert 55 <= len(frames) <= 60
    steps = fig["layout"]["sliders"][0]["steps"]
    assert [st["args"][0][0] for st in steps] == [f["name"] for f in frames]
    assert all(st["args"][1]["frame"]["redraw"] is False and st["method"] == "animate" for st in steps)
    for f in frames:
        assert list(f["traces"]) == moving
        assert len(f["data"]) == len(moving)
    lrs = res[0][1].lrs
    seen_nan = False
    for f, st in zip(frames, steps):
        j = int(f["name"])
        assert st["label"] == f"{lrs[j]:.3g}"
        for i, (run, r) in enumerate(res):
            m = f["data"][i]
            assert list(m["x"]) == [float(r.lrs[j])]
            want = r.final[j]
            if np.isnan(want):
                assert list(m["y"]) == [None]
                seen_nan = True
            else:
                assert m["y"][0] == max(float(want), sweep.LOSS_FLOOR)
            # The path is the run at that lr, thinned to at most MAX_PATH_POINTS steps.
            p = f["data"][k + i]
            x, y = arr(p["x"]), arr(p["y"])
            pts = r.points[:, j]
            finite = np.isfinite(pts).all(axis=-1)
            keep = sweep.path_steps(int(np.flatnonzero(finite)[-1]))
            assert len(x) <= sweep.MAX_PATH_POINTS
            assert np.array_equal(x, pts[keep, 0].astype(np.float32))
            assert np.array_equal(y, pts[keep, 1].astype(np.float32))
    assert seen_nan  # SGD blows up somewhere on the grid: its marker leaves the curve
    # Curves carry the lr as x, so a chosen point names its rate.
    for i, (_, r) in enumerate(res):
        c = fig["data"][lay.curves[i]]
        assert np.array_equal(arr(c["x"]), r.lrs.astype(np.float32))


def test_base_figure_shows_the_frame_nearest_the_runs_lr():
    s, g, res = sweep_results("bowl", ("sgd", "adam"))
    fig = sweep.sweep_figure(s, g, res, s.start).thawed()
    active = fig["layout"]["sliders"][0]["active"]
    frame = fig["frames"][active]
    for t, d in zip(frame["traces"], frame["data"]):
        for axis in "xy":
            assert np.array_equal(arr(fig["data"][t][axis]), arr(d[axis]), equal_nan=True)
    assert float(frame["name"]) == pytest.approx(np.argmin(np.abs(np.log(res[0][1].lrs) - np.log(0.05))), abs=2)


def test_divergence_and_theory_lines():
    s, g, res = sweep_results("bowl", ("sgd", "adam"))
    fig = sweep.sweep_figure(s, g, res, s.start).thawed()
    shapes = fig["layout"]["shapes"]
    notes = [a["text"] for a in fig["layout"]["annotations"]]
    b = sweep.blowup_lr(res[0][1])
    assert 1.0 < b < 1.1
    assert any(sh["x0"] == b and sh["line"]["dash"] == "dot" for sh in shapes)
    assert any(sh["x0"] == pytest.approx(1.0) and sh["line"]["dash"] == "dash" for sh in shapes)
    assert any(t.startswith("2/L = 1") for t in notes)
    assert any("blows up" in t for t in notes)
    # The curve stops where the rate diverged.
    y = arr(fig["data"][0]["y"])
    assert np.all(np.isnan(y[res[0][1].lrs >= b]))


def test_path_steps_keep_the_zigzag():
    for last in (10, 79, 80, 300, 500, 10_000):
        k = sweep.path_steps(last)
        assert k[0] == 0 and k[-1] == last and len(k) <= sweep.MAX_PATH_POINTS
        assert np.all(np.diff(k) > 0)
        gaps = np.diff(k[sweep.HEAD_STEPS:-1])
        assert np.all(gaps % 2 == 1)  # an odd stride alternates sides of a period-2 zigzag


def test_lr_from_selection():
    s, g, res = sweep_results("bowl", ("sgd", "adam"), steps=20)
    k = len(res)
    lrs = res[1][1].lrs
    assert sweep.lr_from_selection({"points": [{"curve_number": 1, "point_index": 17, "x": 0.1, "y": 1}]},
                                   res) == (1, float(lrs[17]))
    # Streamlit's event object shape, and the scrub marker (x only).
    sel = {"selection": {"points": [{"curve_number": k, "point_index": 0, "x": float(np.float32(res[0][1].lrs[40]))}]}}
    assert sweep.lr_from_selection(sel, res) == (0, float(res[0][1].lrs[40]))
    assert sweep.lr_from_selection({"points": [{"curve_number": 2 * k, "point_index": 3, "x": 1.0}]}, res) is None
    assert sweep.lr_from_selection({"points": []}, res) is None
    assert sweep.lr_from_selection(None, res) is None


# --- drawn for the column's width -------------------------------------------------------------

def _boxes(lay: dict, width: int) -> dict[str, tuple[float, float]]:
    """Each axis pair's domain size in px: (width, height)."""
    m = lay["margin"]
    plot_w, plot_h = width - m["l"] - m["r"], lay["height"] - m["t"] - m["b"]
    size = lambda d, n: (d[1] - d[0]) * n
    return {ax: (size(lay[f"xaxis{ax}"]["domain"], plot_w), size(lay[f"yaxis{ax}"]["domain"], plot_h))
            for ax in ("", "2")}


@pytest.mark.parametrize("surface", ["bowl", "rosenbrock", "saddle"])
@pytest.mark.parametrize("width", [560, 700, 840, 1160])
def test_a_sweep_drawn_for_its_width_gives_its_path_panel_room_at_equal_aspect(surface, width):
    """Beside the sweep where the path panel gets at least STACK_BELOW px, under it where not;
    either way its box is exactly what its window needs at its width (at most PANEL_MOST tall),
    so plotly.js leaves no band empty, and the sweep keeps a plot of its own height."""
    s, g, res = sweep_results(surface, ("sgd", "adam"), steps=50, n=40)
    lay = sweep.sweep_figure(s, g, res, s.start, width=width).thawed()["layout"]
    boxes = _boxes(lay, width)
    (sweep_w, sweep_h), (path_w, path_h) = boxes[""], boxes["2"]
    plot_w = width - lay["margin"]["l"] - lay["margin"]["r"]
    stacked = plot_w * 0.45 < sweep.STACK_BELOW
    plot_h = lay["height"] - lay["margin"]["t"] - lay["margin"]["b"]
    # (beside the sweep, a window taller than the figure allows fills its height, narrower)
    assert path_h == pytest.approx(min(path_w * s.aspect, figures.PANEL_MOST if stacked else plot_h), abs=1.0)
    if stacked:
        assert path_w == pytest.approx(plot_w) and sweep_w == pytest.approx(plot_w)
        assert sweep_h == pytest.approx(sweep.STACKED_SWEEP, abs=1.0)
        assert lay["yaxis2"]["domain"][1] < lay["yaxis"]["domain"][0]  # under it, a gap between
        assert lay["height"] == math.ceil(sweep.STACKED_SWEEP + sweep.STACK_GAP + path_h) + \
            lay["margin"]["t"] + lay["margin"]["b"]
    else:
        assert lay["height"] == 560 and lay["yaxis2"]["domain"][1] == 1  # beside it, from the top
        assert lay["xaxis2"]["domain"][0] > lay["xaxis"]["domain"][1]
    assert (width, stacked) != (1160, True) and (width, stacked) != (560, False)
    go.Figure(sweep.sweep_figure(s, g, res, s.start, width=width).thawed())


def test_a_sweep_without_a_width_is_as_before():
    s, g, res = sweep_results("bowl", ("sgd",), steps=50, n=40)
    lay = sweep.sweep_figure(s, g, res, s.start, height=520).thawed()["layout"]
    assert lay["height"] == 520 and lay["xaxis"]["domain"] == [0, 0.47] and lay["yaxis2"]["domain"] == [0, 1]
