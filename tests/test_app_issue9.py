"""The learning-rate sweep and convergence map pages (issue 9) under Streamlit's AppTest.

What the pages send is read back from the chart's JSON (``proto.spec``) and
checked against independent one-at-a-time ``optimizers.run`` calls, not only
against the app's caches.

A click on a chart: AppTest cannot click, so ``select`` sends the chart's
widget the value the browser would send for a selected point (a JSON
``{"selection": {"points": [...]}}``), built from a real point of the figure.
That runs the page's own ``on_select`` callback, its ``goto`` key and
``st.switch_page``.  It goes through AppTest's private ``_tree``/``_run``
(Streamlit 1.67); the pure functions the callbacks use
(``sweep.lr_from_selection``, ``maps.start_from_map_selection``) are also
checked directly with selections taken from the figure.

Moving between pages: a browser drops the query string when the user follows
the navigation, AppTest keeps it, so ``open_page`` clears it first.
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optimizers
from ui import cache
from viz import figures, maps, presets, state, sweep
from viz.state import Run, Scenario, surface_of

SWEEP, MAP = "lr_sweep", "convergence_map"
PREFIX = {SWEEP: "lr", MAP: "map"}
DEFAULT = {SWEEP: presets.SWEEP, MAP: presets.MAP}
TITLE = {SWEEP: "Learning-rate sweep", MAP: "Convergence map"}


# --- sessions ----------------------------------------------------------------------------------------

def open_page(name: str, **query) -> AppTest:
    """A new session: the app's first page, then the navigation to ``name`` (query string as a browser)."""
    at = AppTest.from_file("../app.py", default_timeout=60).run()
    at.query_params.clear()
    at.query_params.update(query)
    return at.switch_page(f"app_pages/{name}.py").run()


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]


def as_lists(params) -> dict:
    return {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in dict(params).items()}


def link_of(at: AppTest) -> dict:
    return as_lists(at.query_params)


def title(at: AppTest) -> str:
    return at.title[0].value if len(at.title) else ""


def chart(at: AppTest, key: str):
    """(element, figure as sent to the browser) of the chart with this widget key."""
    found = [c for c in at.get("plotly_chart") if c.proto.id.rsplit("-", 1)[-1] == key]
    assert len(found) == 1, [c.proto.id for c in at.get("plotly_chart")]
    return found[0], json.loads(found[0].proto.spec)


def figure(at: AppTest, key: str) -> dict:
    return chart(at, key)[1]


def spec(at: AppTest, key: str) -> str:
    return chart(at, key)[0].proto.spec


def arr(v) -> np.ndarray:
    """A trace array: plotly.js's typed-array form (base64, maybe with a shape) or a plain list."""
    if isinstance(v, dict):
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(n) for n in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.array([np.nan if x is None else x for x in v], dtype=float)


def select(at: AppTest, key: str, points: list[dict]) -> AppTest:
    """Rerun as if the user had selected ``points`` on chart ``key`` (what the browser sends)."""
    element, _ = chart(at, key)
    states = at._tree.get_widget_states()
    w = states.widgets.add()
    w.id = element.proto.id
    w.string_value = json.dumps({"selection": {"points": points,
                                               "point_indices": [p["point_index"] for p in points],
                                               "box": [], "lasso": []}})
    return at._run(states)


def point(fig: dict, curve: int, index: int) -> dict:
    """A real point of trace ``curve`` of the figure, as Streamlit reports a selected one."""
    t = fig["data"][curve]
    x, y = arr(t["x"]), arr(t["y"])
    return {"curve_number": curve, "point_number": index, "point_index": index,
            "x": float(x[index]), "y": None if not np.isfinite(y[index]) else float(y[index])}


def one_run(surface, run: Run, start, steps: int, **hyper) -> optimizers.Trajectory:
    opt = optimizers.get(run.name, **{**run.kwargs, **hyper})
    return optimizers.run(opt, surface, tuple(float(v) for v in start), steps)


# --- both pages render their defaults ---------------------------------------------------------------

@pytest.fixture(scope="module")
def sweep_page() -> AppTest:
    return open_page(SWEEP)


@pytest.fixture(scope="module")
def map_page() -> AppTest:
    return open_page(MAP)


@pytest.mark.parametrize("name", [SWEEP, MAP])
def test_page_renders_its_default(name, sweep_page, map_page):
    at = sweep_page if name == SWEEP else map_page
    ok(at)
    assert title(at) == TITLE[name]
    sc = DEFAULT[name]
    assert at.session_state[f"{PREFIX[name]}.scenario"] == sc
    assert link_of(at) == as_lists(state.encode(sc))
    assert [c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")] == [f"{PREFIX[name]}.chart"]
    assert len(spec(at, f"{PREFIX[name]}.chart")) <= 400_000  # the chart budget


def test_sweep_curves_hold_200_rates_per_optimizer(sweep_page):
    sc, fig = presets.SWEEP, figure(sweep_page, "lr.chart")
    k = len(sc.runs)
    lay = sweep.trace_layout(k)
    rows = cache.sweeps(sc.link)
    for i, run in zip(lay.curves, sc.runs):
        t = fig["data"][i]
        assert t["name"] == sweep.sweep_label(run)
        x = arr(t["x"])
        assert x.size == arr(t["y"]).size == 200
        np.testing.assert_array_equal(x, rows[i][1].lrs.astype(np.float32))
        # Log-spaced, covering what the optimizer's lr slider offers from 1e-5 up.
        step = np.diff(np.log(rows[i][1].lrs))
        assert np.all(step > 0) and np.allclose(step, step[0], rtol=1e-6)
        grid = sweep.lr_grid(run.name)
        assert rows[i][1].lrs[0] <= grid[0] * (1 + 1e-12) and rows[i][1].lrs[-1] >= grid[-1] * (1 - 1e-12)
    # The scrubber: frames that move exactly the markers and the paths; one slider step per frame.
    moving = sorted([*lay.markers, *lay.paths])
    assert fig["frames"] and all(sorted(f["traces"]) == moving for f in fig["frames"])
    steps = fig["layout"]["sliders"][0]["steps"]
    assert [s["args"][0] for s in steps] == [[f["name"]] for f in fig["frames"]]
    assert all(s["method"] == "animate" and s["args"][1]["frame"]["redraw"] is False for s in steps)


def test_map_is_100_by_100_per_optimizer(map_page):
    sc, fig = presets.MAP, figure(map_page, "map.chart")
    s = surface_of(sc.surface)
    heat = [t for t in fig["data"] if t["type"] == "heatmap"]
    assert [t["name"] for t in heat] == [figures.run_label(r) for r in sc.runs]
    xs, ys, _ = maps.starts_grid(s, 100)
    for t in heat:
        assert arr(t["z"]).shape == (100, 100)
        assert t["x0"] == pytest.approx(xs[0]) and t["dx"] == pytest.approx(xs[1] - xs[0])
        assert t["y0"] == pytest.approx(ys[0]) and t["dy"] == pytest.approx(ys[1] - ys[0])
    # One panel per optimizer, titled with it; Himmelblau has four minima: coloured by basin.
    notes = [a["text"] for a in fig["layout"]["annotations"] if a["text"].startswith("<b>")]  # panel titles
    assert len(notes) == len(sc.runs)
    assert map_page.session_state["map.color"] == "basin"
    legend = [t["name"] for t in fig["data"] if t.get("showlegend")]
    assert sum(n.startswith("minimum (") for n in legend) == 4, legend


# --- the results equal one run at a time ------------------------------------------------------------

def test_sweep_results_equal_one_run_at_a_time(sweep_page):
    sc, fig = presets.SWEEP, figure(sweep_page, "lr.chart")
    s = surface_of(sc.surface)
    rows = cache.sweeps(sc.link)
    assert [r for r, _ in rows] == list(sc.runs)
    for i, (run, res) in enumerate(rows):
        y = arr(fig["data"][i]["y"])
        div = np.flatnonzero(res.diverged_at >= 0)
        sample = sorted({0, 57, 120, 163, 199, *div[:2].tolist()})
        for j in sample:
            tr = one_run(s, run, sc.start, sc.steps, lr=float(res.lrs[j]))
            assert np.array_equal(res.points[:, j], tr.points, equal_nan=True), (run.name, j)
            assert res.diverged_at[j] == int(tr.diverged_at)
            want = np.nan if tr.diverged_at >= 0 else float(s.value(tr.points[-1])) - s.f_min
            assert np.array_equal(res.final[j], want, equal_nan=True), (run.name, j)
            # The curve's point is that final loss (floored for the log axis), as float32.
            shown = np.float32(max(want, sweep.LOSS_FLOOR)) if np.isfinite(want) else np.nan
            assert np.array_equal(y[j], shown, equal_nan=True), (run.name, j, y[j], want)
    # SGD on the bowl blows up a little above 2/L = 1.0 (at 1.0 itself a path neither grows nor
    # shrinks): the figure marks both, in SGD's colour.
    up = sweep.blowup_lr(rows[0][1])
    assert 1.0 < up < 1.2
    lines = {(round(sh["x0"], 6), sh["line"]["dash"]) for sh in fig["layout"]["shapes"]}
    assert {(1.0, "dash"), (round(up, 6), "dot")} <= lines, lines


def test_scrub_frames_show_the_one_run_path_at_that_rate(sweep_page):
    """Each frame's path is the one-run path at the frame's rate (thinned, float32), from the start."""
    sc, fig = presets.SWEEP, figure(sweep_page, "lr.chart")
    s = surface_of(sc.surface)
    k = len(sc.runs)
    lay = sweep.trace_layout(k)
    frames = fig["frames"]
    rows = cache.sweeps(sc.link)
    for f in (frames[0], frames[len(frames) // 2], frames[-5]):
        j = int(f["name"])
        byt = dict(zip(f["traces"], f["data"]))
        for i, run in enumerate(sc.runs):
            lr = float(rows[i][1].lrs[j])
            tr = one_run(s, run, sc.start, sc.steps, lr=lr)
            full = tr.points.astype(np.float32)
            full = full[np.isfinite(full).all(axis=1)]
            got = np.stack([arr(byt[lay.paths[i]]["x"]), arr(byt[lay.paths[i]]["y"])], axis=1)
            assert np.array_equal(got[0], np.float32(sc.start)), (run.name, j)
            assert np.array_equal(got[-1], full[-1]), (run.name, j)
            # In order, a subsequence of the path.
            pos = [int(np.flatnonzero((full == p).all(axis=1))[0]) for p in got]
            assert pos == sorted(pos), (run.name, j)
            m = byt[lay.markers[i]]
            assert m["x"] == [pytest.approx(lr, rel=1e-12)]


def test_map_results_equal_one_run_at_a_time(map_page):
    sc, fig = presets.MAP, figure(map_page, "map.chart")
    s = surface_of(sc.surface)
    steps = cache.map_steps(sc.link)
    assert steps == sc.steps  # 100 steps on Himmelblau: within every cap
    minima = maps.local_minima(s)
    tol = 0.01 * s.span
    heat = [arr(t["z"]) for t in fig["data"] if t["type"] == "heatmap"]
    rows = cache.convergence_maps(sc.link)
    rng = np.random.default_rng(9)
    for (run, res), z in zip(rows, heat):
        assert res.starts.shape == (10_000, 2)
        sample = np.concatenate([rng.choice(10_000, 15, replace=False),
                                 np.flatnonzero(res.basin == -2)[:3], np.flatnonzero(res.basin == -1)[:3]])
        for n in sample:
            tr = one_run(s, run, res.starts[n], steps)
            d = int(tr.diverged_at)
            assert res.diverged_at[n] == d, (run.name, n)
            end = np.full(2, np.nan) if d >= 0 else tr.points[-1]
            assert np.array_equal(res.end[n], end, equal_nan=True), (run.name, n)
            if d >= 0:
                code = len(minima) + 1
            else:
                near = [m for m in range(len(minima)) if math.dist(end, minima[m]) <= tol]
                code = min(near, key=lambda m: math.dist(end, minima[m])) if near else len(minima)
            row, col = divmod(int(n), 100)
            assert z[row, col] == code, (run.name, n, res.starts[n], z[row, col], code)


# --- the controls change the figure ------------------------------------------------------------------

def test_sweep_follows_its_controls():
    at = open_page(SWEEP)
    ok(at)
    before = spec(at, "lr.chart")
    slider0 = lambda f: f["layout"]["sliders"][0]["active"]  # noqa: E731

    # SGD's rate (the first optimizer): the scrubber and the markers start at it.
    at.select_slider(key="lr.run.0.lr").set_value(0.01).run()
    ok(at)
    fig = figure(at, "lr.chart")
    assert spec(at, "lr.chart") != before
    assert at.session_state["lr.scenario"].runs[0].lr == 0.01
    grid = cache.sweeps(at.session_state["lr.scenario"].link)[0][1].lrs
    rates = [float(grid[int(s["args"][0][0])]) for s in fig["layout"]["sliders"][0]["steps"]]
    nearest = int(np.argmin(np.abs(np.log(rates) - math.log(0.01))))
    assert slider0(fig) == nearest and rates[nearest] == pytest.approx(0.01, rel=0.15), rates
    assert fig["data"][len(presets.SWEEP.runs)]["x"][0] == pytest.approx(rates[nearest], rel=1e-9)

    # Another optimizer: a fourth curve, named, with its own 200 rates.
    before = spec(at, "lr.chart")
    at.selectbox(key="lr.add").set_value("rmsprop").run()
    ok(at)
    fig = figure(at, "lr.chart")
    runs = at.session_state["lr.scenario"].runs
    assert [r.name for r in runs] == ["sgd", "momentum", "adam", "rmsprop"]
    assert [fig["data"][i]["name"] for i in range(4)] == [sweep.sweep_label(r) for r in runs]
    assert arr(fig["data"][3]["x"]).size == 200
    assert all(sorted(f["traces"]) == list(range(4, 12)) for f in fig["frames"])
    assert link_of(at) == as_lists(state.encode(at.session_state["lr.scenario"]))

    # Another surface: its own opening view, its own curves.
    at.selectbox(key="lr.surface").set_value("camel").run()
    ok(at)
    sc = at.session_state["lr.scenario"]
    assert sc.surface == "camel" and link_of(at)["surface"] == ["camel"]
    fig = figure(at, "lr.chart")
    res = cache.sweeps(sc.link)
    np.testing.assert_array_equal(arr(fig["data"][0]["y"]),
                                  np.maximum(res[0][1].final, sweep.LOSS_FLOOR).astype(np.float32))


def test_map_follows_its_controls_and_the_colour_key():
    at = open_page(MAP)
    ok(at)
    basin = spec(at, "map.chart")
    z0 = [arr(t["z"]) for t in figure(at, "map.chart")["data"] if t["type"] == "heatmap"]

    # Colour by final loss: one shared colour bar, no basin legend; and back.
    at.button_group(key="map.color").set_value("loss").run()
    ok(at)
    fig = figure(at, "map.chart")
    assert fig["layout"]["coloraxis"]["showscale"] is True
    assert "diverged" in fig["layout"]["coloraxis"]["colorbar"]["ticktext"]
    assert not fig["layout"]["showlegend"]
    assert not any(t.get("showlegend") for t in fig["data"])
    assert all(t.get("coloraxis") == "coloraxis" for t in fig["data"] if t["type"] == "heatmap")
    at.button_group(key="map.color").set_value("basin").run()
    ok(at)
    assert spec(at, "map.chart") == basin

    # SGD's rate: SGD's map changes, Adam's does not.
    at.select_slider(key="map.run.0.lr").set_value(0.002).run()
    ok(at)
    z1 = [arr(t["z"]) for t in figure(at, "map.chart")["data"] if t["type"] == "heatmap"]
    assert not np.array_equal(z1[0], z0[0])
    assert np.array_equal(z1[1], z0[1])

    # Another optimizer: a third panel.
    at.selectbox(key="map.add").set_value("momentum").run()
    ok(at)
    fig = figure(at, "map.chart")
    assert len([t for t in fig["data"] if t["type"] == "heatmap"]) == 3
    assert len([a for a in fig["layout"]["annotations"] if a["text"].startswith("<b>")]) == 3  # one title a panel

    # The six-hump camel: six minima, one colour each, in the legend.
    at.selectbox(key="map.surface").set_value("camel").run()
    ok(at)
    sc = at.session_state["map.scenario"]
    assert sc.surface == "camel"
    fig = figure(at, "map.chart")
    legend = [t["name"] for t in fig["data"] if t.get("showlegend")]
    assert sum(n.startswith("minimum (") for n in legend) == 6, legend
    assert {"no minimum reached", "diverged"} <= set(legend)
    heat = [arr(t["z"]) for t in fig["data"] if t["type"] == "heatmap"]
    assert len(heat) == len(sc.runs) and all(z.shape == (100, 100) for z in heat)
    assert len(np.unique(np.concatenate([z.ravel() for z in heat]))) >= 4  # several basins show


# --- a selection on the chart opens the Playground ----------------------------------------------------

def test_a_point_on_a_sweep_curve_opens_the_playground_at_that_rate():
    at = open_page(SWEEP)
    sc, fig = presets.SWEEP, figure(at, "lr.chart")
    results = cache.sweeps(sc.link)
    k = len(sc.runs)
    # The pure function, with real points of the figure: a curve point names its rate ...
    for i, j in ((0, 40), (2, 150)):
        p = point(fig, i, j)
        assert sweep.lr_from_selection({"points": [p]}, results) == (i, float(results[i][1].lrs[j]))
        assert float(results[i][1].lrs[j]) == pytest.approx(p["x"], rel=1e-6)
    # ... the scrub marker names the grid rate at its x; a path on the contour names none.
    m = point(fig, k + 1, 0)
    i, lr = sweep.lr_from_selection({"points": [m]}, results)
    assert i == 1 and lr == pytest.approx(m["x"], rel=1e-6) and lr in results[1][1].lrs
    assert sweep.lr_from_selection({"points": [point(fig, 2 * k, 3)]}, results) is None

    # The page: a point on Momentum's curve opens the Playground with Momentum at that rate.
    j = 77
    p = point(fig, 1, j)
    lr = float(f"{float(results[1][1].lrs[j]):.3g}")  # the page opens it rounded, for a readable label
    at.query_params.clear()  # what the browser does on a page switch (AppTest would keep them)
    select(at, "lr.chart", [p])
    assert not at.exception, [e.value for e in at.exception]
    assert title(at) == "Optimizer playground"
    pg = at.session_state["pg.scenario"]
    runs = list(sc.runs)
    runs[1] = Run.of("momentum", **{**sc.runs[1].kwargs, "lr": lr})
    assert pg == sc.with_(runs=tuple(runs))
    q = link_of(at)
    assert q == as_lists(state.encode(pg))
    opt = q["opt"][1].split(",")
    assert opt[0] == "momentum" and float(dict(o.split("=") for o in opt[1:])["lr"]) == pytest.approx(lr)


def test_a_path_point_on_the_sweep_opens_nothing():
    at = open_page(SWEEP)
    fig = figure(at, "lr.chart")
    before = link_of(at)
    select(at, "lr.chart", [point(fig, 2 * len(presets.SWEEP.runs), 5)])
    ok(at)
    assert title(at) == TITLE[SWEEP] and link_of(at) == before


def test_a_map_cell_opens_the_playground_from_that_start():
    at = open_page(MAP)
    sc, fig = presets.MAP, figure(at, "map.chart")
    s = surface_of(sc.surface)
    clickable = [c for c, t in enumerate(fig["data"]) if t.get("name") == "click to start here"]
    assert len(clickable) == len(sc.runs)
    # Adam's panel (the second), a point in its lower left quarter.
    c = clickable[1]
    t = fig["data"][c]
    xs, ys = arr(t["x"]), arr(t["y"])
    (x0, x1), (y0, y1) = s.x_range, s.y_range
    n = int(np.argmin((xs - (x0 + 0.3 * (x1 - x0))) ** 2 + (ys - (y0 + 0.2 * (y1 - y0))) ** 2))
    p = point(fig, c, n)
    start = maps.start_from_map_selection({"points": [p]}, s)
    # The exact grid start (the figure holds it as float32) ...
    assert (np.float32(start[0]), np.float32(start[1])) == (xs[n], ys[n])
    gx, gy, _ = maps.starts_grid(s, 100)
    assert start[0] in gx and start[1] in gy
    # ... from which one run of Adam ends where the hover says it ends.
    custom = arr(t["customdata"]).reshape(-1, 3)
    steps = cache.map_steps(sc.link)
    tr = one_run(s, sc.runs[1], start, steps)
    assert np.array_equal(tr.points[-1].astype(np.float32), custom[n, :2])

    at.query_params.clear()
    select(at, "map.chart", [p])
    assert not at.exception, [e.value for e in at.exception]
    assert title(at) == "Optimizer playground"
    pg = at.session_state["pg.scenario"]
    # From that start, the map's optimizers and surface, for the steps the map ran (so the
    # paths end where the hover said).
    assert pg == sc.with_(start=start, steps=steps)
    q = link_of(at)
    assert q == as_lists(state.encode(pg))
    assert float(q["x0"][0]) == pytest.approx(start[0], abs=1e-3)
    assert float(q["y0"][0]) == pytest.approx(start[1], abs=1e-3)


# --- an unchanged view is built once per server ---------------------------------------------------------

def test_rerunning_an_unchanged_view_builds_nothing(monkeypatch):
    built: dict[str, int] = {}

    def counted(module, name):
        real = getattr(module, name)

        def wrapper(*a, **kw):
            built[name] = built.get(name, 0) + 1
            return real(*a, **kw)

        monkeypatch.setattr(module, name, wrapper)

    for module, name in ((sweep, "sweep"), (sweep, "sweep_figure"), (maps, "convergence_map"),
                         (maps, "map_figure")):
        counted(module, name)
    for f in (cache._one_sweep, cache.sweep_figure, cache._one_map, cache.map_figure):
        getattr(f, "cache_clear", lambda: None)()  # a fresh server's caches

    at = open_page(SWEEP)
    ok(at)
    k = len(presets.SWEEP.runs)
    assert built == {"sweep": k, "sweep_figure": 1}, built  # the counters see the first build
    built.clear()
    for _ in range(2):
        at.run()
        ok(at)
    assert built == {}, f"a rerun of the unchanged sweep built {built}"

    at.query_params.clear()
    at.switch_page(f"app_pages/{MAP}.py").run()
    ok(at)
    assert built == {"convergence_map": len(presets.MAP.runs), "map_figure": 1}, built
    built.clear()
    at.run()
    at.button_group(key="map.color").set_value("loss").run()
    assert built == {"map_figure": 1}, built  # another colour key: the same maps
    at.button_group(key="map.color").set_value("basin").run()
    at.run()
    ok(at)
    assert built == {"map_figure": 1}, f"the unchanged map was built again: {built}"

    # A new session on the same views: nothing is built either (once per server).
    built.clear()
    ok(open_page(SWEEP))
    ok(open_page(MAP))
    assert built == {}, built


def test_one_scrub_step_shows_every_optimizer_at_the_slider_rate():
    """Adadelta's lr slider spans 0.01..100, SGD's 1e-6..10: one scrubber position is still one
    rate for both (found broken in 8dfd4ed: each optimizer's own grid at the same index)."""
    sc = Scenario("bowl", (Run.of("sgd", lr=0.1), Run.of("adadelta", lr=1.0)), (-7.0, 2.0), 100)
    at = open_page(SWEEP, **state.encode(sc))
    ok(at)
    fig = figure(at, "lr.chart")
    k = len(sc.runs)
    lay = sweep.trace_layout(k)
    labels = {s["args"][0][0]: float(s["label"]) for s in fig["layout"]["sliders"][0]["steps"]}
    for f in fig["frames"]:
        byt = dict(zip(f["traces"], f["data"]))
        for i in range(k):
            x = byt[lay.markers[i]]["x"][0]
            assert x == pytest.approx(labels[f["name"]], rel=0.01), (sc.runs[i].name, f["name"])
            assert x == byt[lay.markers[0]]["x"][0]
    # The curves span both sliders' ranges.
    x = arr(fig["data"][0]["x"])
    assert x[0] <= np.float32(1e-5) and x[-1] >= np.float32(100)
