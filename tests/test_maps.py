"""Convergence maps: one batch equals one run per start, the minima are minima, the figure tells the truth.

Oracles: a run per sampled start, the steps taken and the basin found by
plain Python loops, minima checked by finite differences of the value alone
(not the analytic gradient the refinement used), and the figure decoded the
way plotly.js decodes typed arrays.
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
from viz import figures, maps
from viz.state import Run

BUDGET = 400_000


def arr(v) -> np.ndarray:
    if isinstance(v, dict):
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" in v:
            a = a.reshape([int(n) for n in str(v["shape"]).split(",")])
        return a
    return np.asarray(v, dtype=float)


def fd_grad(s, p, h):
    p = np.asarray(p, float)
    return np.array([(float(s.value(p + e)) - float(s.value(p - e))) / (2 * h)
                     for e in (np.array([h, 0.0]), np.array([0.0, h]))])


def fd_hessian(s, p, h):
    p = np.asarray(p, float)
    E = (np.array([h, 0.0]), np.array([0.0, h]))
    f = lambda q: float(s.value(q))
    return np.array([[(f(p + a + b) - f(p + a - b) - f(p - a + b) + f(p - a - b)) / (4 * h * h) for b in E]
                     for a in E])


def check_minimum(s, m):
    h = 1e-4 * s.span
    assert np.abs(s.grad(m)).max() < 1e-8, (m, s.grad(m))
    scale = np.abs(fd_hessian(s, m, h)).max()
    assert np.abs(fd_grad(s, m, h)).max() < 1e-6 * max(scale, 1), m
    assert np.all(np.linalg.eigvalsh(fd_hessian(s, m, h)) > 1e-6 * scale), m
    assert bool(s.contains(m))


@pytest.mark.parametrize("name,count", [("camel", 6), ("himmelblau", 4), ("rastrigin", 121),
                                        ("goldstein_price", 4), ("bowl", 1), ("rosenbrock", 1)])
def test_local_minima_are_minima(name, count):
    s = surfaces.get(name)
    ms = maps.local_minima(s)
    assert len(ms) == count
    for m in ms:
        check_minimum(s, m)
    d = [math.dist(a, b) for i, a in enumerate(ms) for b in ms[i + 1:]]
    assert min(d, default=1) > 0.2  # distinct
    for m in s.minima:  # the listed global ones come first, unchanged
        assert tuple(m) in ms


def test_camel_minima_values_and_symmetry():
    s = surfaces.get("camel")
    ms = maps.local_minima(s)
    values = sorted(round(float(s.value(m)), 4) for m in ms)
    assert values == [-1.0316, -1.0316, -0.2155, -0.2155, 2.1043, 2.1043]  # the published values
    for m in ms:
        assert any(math.dist((-m[0], -m[1]), q) < 1e-12 for q in ms)  # f(-x, -y) = f(x, y)


def test_rastrigin_minima_sit_near_every_integer_point():
    s = surfaces.get("rastrigin")
    ms = np.array(maps.local_minima(s))
    lattice = np.array([(i, j) for j in range(-5, 6) for i in range(-5, 6)])
    assert np.abs(ms - lattice).max() < 0.03
    assert tuple(ms[60]) == (0.0, 0.0)


def test_a_typed_in_surface_uses_its_listed_minima():
    s = surfaces.from_formula("(x-1)^2 + y^2", (-2, 2), (-2, 2))
    assert maps.local_minima(s) == tuple(tuple(map(float, m)) for m in s.minima)


def test_starts_grid_tiles_the_window():
    s = surfaces.get("bowl")
    xs, ys, starts = maps.starts_grid(s)
    assert len(xs) >= 100 and len(ys) >= 100 and starts.shape == (len(xs) * len(ys), 2)
    dx, dy = np.diff(xs), np.diff(ys)
    assert np.allclose(dx, 0.2) and np.allclose(dy, 0.1)
    assert xs[0] - dx[0] / 2 == pytest.approx(-10) and xs[-1] + dx[0] / 2 == pytest.approx(10)
    assert ys[0] - dy[0] / 2 == pytest.approx(-5) and ys[-1] + dy[0] / 2 == pytest.approx(5)
    assert tuple(starts[3 * 100 + 7]) == (xs[7], ys[3])  # y outer
    with pytest.raises(ValueError, match="Invalid grid size: 1 "):
        maps.starts_grid(s, 1)


def oracle(s, run, start, steps, minima):
    """One run and its classification by plain loops."""
    tr = optimizers.run(optimizers.get(run.name, **run.kwargs), s, start, steps)
    pts, d = tr.points, int(tr.diverged_at)
    tol = 0.01 * s.span
    if d >= 0:
        return pts[-1], -2, d, np.nan
    end = pts[-1]
    taken = 0
    for t in range(len(pts)):
        if math.dist(pts[t], end) > tol:
            taken = t + 1
    near = [i for i, m in enumerate(minima) if math.dist(end, m) <= tol]
    basin = min(near, key=lambda i: math.dist(end, minima[i])) if near else -1
    f = float(s.value(end)) - (s.f_min if s.f_min is not None else 0.0)
    return end, basin, taken, f


CASES = [("himmelblau", Run.of("sgd", lr=0.01)), ("camel", Run.of("momentum", lr=0.01, momentum=0.9)),
         ("rastrigin", Run.of("adam", lr=0.05)), ("bowl", Run.of("sgd", lr=0.95)),
         ("saddle", Run.of("rmsprop", lr=0.01)), ("goldstein_price", Run.of("adam", lr=0.02))]


@pytest.mark.parametrize("surface,run", CASES, ids=[f"{s}-{r.name}" for s, r in CASES])
def test_map_equals_one_run_per_start(surface, run):
    s = surfaces.get(surface)
    res = maps.convergence_map(s, run, n=100, steps=300)
    minima = maps.local_minima(s)
    rng = np.random.default_rng(0)
    sample = np.concatenate([rng.choice(len(res.starts), 40, replace=False),
                             np.flatnonzero(res.basin == -2)[:5], np.flatnonzero(res.basin == -1)[:5]])
    for i in sample:
        end, basin, taken, f = oracle(s, run, res.starts[i], 300, minima)
        assert np.array_equal(res.end[i], end, equal_nan=True)
        assert res.basin[i] == basin and res.steps[i] == taken, i
        assert np.array_equal(res.final[i], f, equal_nan=True)
    assert set(np.unique(res.basin)) <= set(range(-2, len(minima)))


def test_results_are_read_only():
    s = surfaces.get("himmelblau")
    res = maps.convergence_map(s, Run.of("adam", lr=0.1), n=20, steps=10)
    for a in res:
        with pytest.raises(ValueError):
            a.flat[0] = 0


def map_results(surface, names, n=100, steps=300):
    s = surfaces.get(surface)
    lr = {"sgd": 0.01, "momentum": 0.005, "nesterov": 0.005}
    return s, [(Run.of(m, lr=lr.get(m, 0.05)), maps.convergence_map(s, Run.of(m, lr=lr.get(m, 0.05)), n, steps))
               for m in names]


FOUR = ("sgd", "momentum", "rmsprop", "adam")


@pytest.fixture(scope="module", params=["himmelblau", "rastrigin", "camel", "saddle", "bowl"])
def four(request):
    return map_results(request.param, FOUR)


@pytest.mark.parametrize("color_by", ["loss", "basin"])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_map_figure_is_valid_and_within_budget(four, color_by, k):
    s, res = four
    fig = maps.map_figure(s, res[:k], color_by)
    size = len(pio.to_json(fig.to_dict(), validate=False).encode())
    assert size <= BUDGET, size
    go.Figure(fig.thawed())


def test_panels_share_axes_and_one_colour_key(four):
    s, res = four
    for color_by in ("loss", "basin"):
        fig = maps.map_figure(s, res, color_by).thawed()
        heat = [t for t in fig["data"] if t["type"] == "heatmap"]
        assert len(heat) == 4 and all(t["coloraxis"] == "coloraxis" for t in heat)
        lay = fig["layout"]
        assert "coloraxis2" not in lay
        assert lay["coloraxis"]["showscale"] == (color_by == "loss")
        for i in range(2, 5):
            assert lay[f"xaxis{i}"]["matches"] == "x" and lay[f"yaxis{i}"]["matches"] == "y"
            assert list(lay[f"xaxis{i}"]["range"]) == list(s.x_range)


def test_loss_colours_decode_to_the_final_loss():
    s, res = map_results("himmelblau", ("rmsprop", "adam"))
    fig = maps.map_figure(s, res, "loss").thawed()
    key = maps.loss_key(s, [r for _, r in res])
    heat = [t for t in fig["data"] if t["type"] == "heatmap"]
    for t, (_, r) in zip(heat, res):
        z = arr(t["z"])
        assert z.shape == r.shape
        ok = np.isfinite(r.final) & (r.final > 10 ** key.lo)
        assert ok.sum() > 1000
        assert np.all(z.ravel()[np.isfinite(r.final) & ~ok] == 0)  # below the key: its bottom colour
        got = maps.level_value(z.ravel()[ok], key)
        # Within half a level of the quantization, on the log scale.
        assert np.abs(np.log10(got) - np.log10(r.final[ok])).max() <= 0.5 * (key.hi - key.lo) / maps.LOSS_LEVELS + 1e-9
        assert np.all(z.ravel()[np.isnan(r.final)] == 255)


def test_basin_colours_and_legend_name_each_minimum():
    s, res = map_results("himmelblau", ("sgd", "rmsprop"))
    fig = maps.map_figure(s, res, "basin").thawed()
    names = [t["name"] for t in fig["data"] if t.get("showlegend")]
    assert names == [f"minimum {maps.minimum_name(m)}" for m in maps.local_minima(s)] + \
        ["no minimum reached", "diverged"]
    assert "minimum (3, 2)" in names
    heat = [t for t in fig["data"] if t["type"] == "heatmap"]
    for t, (_, r) in zip(heat, res):
        z = arr(t["z"]).ravel()
        assert np.array_equal(z, np.where(r.basin >= 0, r.basin, np.where(r.basin == -2, 5, 4)))


def test_rastrigin_basin_colours_differ_between_neighbours():
    s, res = map_results("rastrigin", ("adam",), n=40, steps=50)
    codes, slots = maps.basin_codes([res[0][1]])
    assert slots == 8
    colour = np.arange(121) % 8
    grid = colour.reshape(11, 11)
    for dj, di in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = grid[max(0, -dj):11 - max(0, dj), max(0, -di):11 - max(0, di)]
        b = grid[max(0, dj):, max(0, di):][:a.shape[0], :a.shape[1]]
        assert np.all(a != b)


@pytest.mark.parametrize("k", [1, 4])
def test_hover_decodes_to_start_end_and_steps(k):
    s, res = map_results("himmelblau", FOUR[:k])
    fig = maps.map_figure(s, res, "loss").thawed()
    clicks = [t for t in fig["data"] if t["type"] == "scatter" and t["name"].startswith("click")]
    assert len(clicks) == 2 * k
    rng = np.random.default_rng(1)
    for p in range(k):
        r = res[p][1]
        settled, diverged = clicks[2 * p], clicks[2 * p + 1]
        assert "%{customdata[2]} steps" in settled["hovertemplate"]
        x, y, cd = arr(settled["x"]), arr(settled["y"]), arr(settled["customdata"])
        assert cd.shape == (len(x), 3)
        lookup = {(np.float32(a), np.float32(b)): i for i, (a, b) in enumerate(r.starts)}
        for j in rng.choice(len(x), 30, replace=False):
            i = lookup[(x[j], y[j])]
            assert cd[j, 0] == np.float32(r.end[i, 0]) and cd[j, 1] == np.float32(r.end[i, 1])
            assert cd[j, 2] == r.steps[i] and r.diverged_at[i] < 0
        dx, dy, dd = arr(diverged["x"]), arr(diverged["y"]), arr(diverged["customdata"])
        for j in range(len(dx)):
            i = lookup[(dx[j], dy[j])]
            assert dd[j] == r.diverged_at[i] >= 0
        n_points = len(x) + len(dx)
        assert n_points == (10_000 if k == 1 else 2_500)
        for t in (settled, diverged):  # invisible but clickable
            assert t["marker"]["opacity"] == 0 and "hoverinfo" not in t
            assert t["selected"]["marker"]["opacity"] == 0 and t["unselected"]["marker"]["opacity"] == 0


def test_start_from_map_selection_gives_the_exact_start():
    s, res = map_results("himmelblau", ("adam",))
    fig = maps.map_figure(s, res, "basin").thawed()
    click = next(t for t in fig["data"] if t["name"] == "click to start here")
    x, y = arr(click["x"]), arr(click["y"])
    r = res[0][1]
    for j in (0, 123, len(x) - 1):
        point = {"curve_number": 1, "point_index": j, "x": float(x[j]), "y": float(y[j])}
        got = maps.start_from_map_selection({"selection": {"points": [point]}}, s)
        i = int(np.flatnonzero((r.starts.astype(np.float32) == (x[j], y[j])).all(axis=1))[0])
        assert got == tuple(r.starts[i])
    assert maps.start_from_map_selection({"points": [{"x": 9.0, "y": 0.0}]}, s) is None  # off the window
    assert maps.start_from_map_selection({"points": []}, s) is None
    assert maps.start_from_map_selection(None, s) is None


def test_map_figure_rejects_bad_arguments():
    s, res = map_results("bowl", ("sgd",), n=10, steps=5)
    with pytest.raises(ValueError, match="Invalid color_by: 'colour'"):
        maps.map_figure(s, res, "colour")
    with pytest.raises(ValueError, match="1 to 4 optimizers, got 5"):
        maps.map_figure(s, res * 5, "loss")


# --- drawn for the column's width -------------------------------------------------------------

def _plot_area(lay: dict) -> tuple[float, float]:
    m = lay["margin"]
    return WIDTH - m["l"] - m["r"], lay["height"] - m["t"] - m["b"]


WIDTH = 700


@pytest.mark.parametrize("color_by", ["loss", "basin"])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_a_map_drawn_for_its_width_leaves_no_band_empty(four, color_by, k):
    """Each panel's plot, at equal aspect, fills its share of the width and all of its height
    (up to PANEL_MOST): the figure is as tall as the panels, their gaps and its margins."""
    s, res = four
    lay = maps.map_figure(s, res[:k], color_by, width=WIDTH).thawed()["layout"]
    plot_w, plot_h = _plot_area(lay)
    cols = maps.map_columns(k, plot_w)
    rows = -(-k // cols)
    assert (cols, rows) == ((k, 1) if k <= 2 else (2, 2))  # 3 or 4 panels at 700 px: under 200 px each
    for i in range(k):
        ax = "" if i == 0 else str(i + 1)
        dx, dy = lay[f"xaxis{ax}"]["domain"], lay[f"yaxis{ax}"]["domain"]
        panel_w, panel_h = (dx[1] - dx[0]) * plot_w, (dy[1] - dy[0]) * plot_h
        assert panel_h == pytest.approx(min(panel_w * s.aspect, figures.PANEL_MOST), abs=1.0), (i, panel_w, panel_h)
        row, col = divmod(i, cols)
        # reading order: left to right, then the next row below
        assert dx[0] == pytest.approx(col * (dx[1] - dx[0] + maps.PANEL_GAP_X)) and \
            dy[1] == pytest.approx(1 - row * (panel_h + figures.PANEL_GAP) / plot_h, abs=1e-3)
        title = lay["yaxis" + ax].get("title")
        assert (title is not None) == (col == 0) and lay["yaxis" + ax].get("showticklabels", True) == (col == 0)
    assert lay["height"] == pytest.approx(
        rows * panel_h + (rows - 1) * figures.PANEL_GAP + lay["margin"]["t"] + lay["margin"]["b"], abs=1.0)


def test_three_or_four_maps_stay_in_one_row_when_the_width_allows_or_is_unknown():
    assert maps.map_columns(4, 1200) == 4 and maps.map_columns(3, 700) == 3
    assert maps.map_columns(4, 700) == 2 and maps.map_columns(3, 500) == 2
    assert maps.map_columns(4, None) == 4  # a projector's fixed height: one row, as before
    assert maps.map_columns(2, 300) == 2


@pytest.mark.parametrize("color_by", ["loss", "basin"])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_a_map_fitted_in_a_projectors_screen_keeps_one_row_no_taller_than_it(four, color_by, k):
    """On a projector (``fit_height``) the panels stay in one row however narrow, each as tall as its
    width needs unless the figure would be taller than the screen allows: then no taller."""
    s, res = four
    assert maps.map_columns(4, 500, one_row=True) == 4
    for width in (864, 1120, 1800):
        lay = maps.map_figure(s, res[:k], color_by, width=width, height=400, fit_height=True).thawed()["layout"]
        plot_w, plot_h = width - lay["margin"]["l"] - lay["margin"]["r"], lay["height"] - lay["margin"]["t"] - lay["margin"]["b"]
        assert {tuple(lay[f"yaxis{a}"]["domain"]) for a in ["", "2", "3", "4"][:k]} == {(0.0, 1.0)}
        panel_w = (lay["xaxis"]["domain"][1] - lay["xaxis"]["domain"][0]) * plot_w
        wanted = min(panel_w * s.aspect, figures.PANEL_MOST)
        assert lay["height"] <= 400 and (plot_h == pytest.approx(wanted, abs=1.0) or lay["height"] >= 399), \
            (width, lay["height"], plot_h, wanted)


def test_a_map_without_a_width_keeps_the_height_it_is_given(four):
    s, res = four
    for color_by in ("loss", "basin"):
        lay = maps.map_figure(s, res, color_by, height=460).thawed()["layout"]
        assert lay["height"] == 460 and all("domain" in lay[f"yaxis{a}"] and lay[f"yaxis{a}"]["domain"] == [0.0, 1.0]
                                            for a in ("", "2", "3", "4"))


def test_the_basin_legend_gets_the_rows_it_wraps_into():
    """The bottom margin holds every row of the legend (plotly.js would otherwise push it and lay
    the figure out twice); calibrated against Chromium, which wrapped Himmelblau's six entries
    into 3 rows at 484 px of plot, 2 at 740 and 1 at 1060."""
    s, res = map_results("himmelblau", ("sgd", "adam"))
    b = {w: maps.map_figure(s, res, "basin", width=w + 80).thawed()["layout"]["margin"]["b"] for w in (484, 740, 1060)}
    one = maps.LEGEND_DROP + maps.LEGEND_ROW + maps.LEGEND_PAD
    assert b == {484: one + 2 * maps.LEGEND_ROW, 740: one + maps.LEGEND_ROW, 1060: one}
    loss = maps.map_figure(s, res, "loss", width=800).thawed()["layout"]
    assert loss["margin"]["r"] == maps.COLORBAR_MARGIN and loss["coloraxis"]["colorbar"]["x"] == 1
