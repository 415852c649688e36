"""Every page under Streamlit's AppTest: renders, reacts to every kind of control, reads and writes links.

AppTest cannot click on a chart (that logic is tested in test_tables.py,
test_sweep.py and test_maps.py) but it runs the real session state, callbacks
and query parameters.  Figures are read back from what Streamlit would send:
``json.loads(chart.proto.spec)``; on the pages that draw paths each drawn path
is compared, point for point, with what ``optimizers.run`` computes for the
scenario the page should be showing (an independent call, not the app's
caches).  Hostile links, injection and the worst allowed link are in
test_app_limits.py.

Moving between pages: a browser drops the query string when the user follows
the navigation, AppTest keeps it, so ``open_page`` clears it first.
"""

from __future__ import annotations

import base64
import json
import re
from typing import NamedTuple
from urllib.parse import parse_qs

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

import optimizers
import surfaces
from ui import cache, plotchart
from ui.options import lr_options
from viz import figures, maps, presets, state
from viz.state import Run, Scenario, surface_of
from viz.tuning import default_lr


class Page(NamedTuple):
    prefix: str
    default: Scenario
    charts: tuple[str, ...]
    title: str
    max_runs: int


# The pages that draw paths (compared point for point below) ...
PAGES = {
    "playground": Page("pg", presets.ZIGZAG, ("pg.chart", "pg.loss"), "Optimizer playground", 8),
    "side_by_side": Page("sbs", presets.TEXTBOOK, ("sbs.chart",), "Side by side", 4),
    "surface_3d": Page("3d", presets.BY_KEY["saddle"].scenario, ("3d.chart",), "3D view", 8),
}
# ... and the pages that draw a batch per optimizer (their numbers are tested in test_sweep.py
# and test_maps.py; here: state, link, controls and chart).
BATCH_PAGES = {
    "lr_sweep": Page("lr", presets.SWEEP, ("lr.chart",), "Learning-rate sweep", 4),
    "convergence_map": Page("map", presets.MAP, ("map.chart",), "Convergence map", maps.MAX_PANELS),
}
ALL_PAGES = {**PAGES, **BATCH_PAGES}
LINK_NOTICE = "**This link had problems; the rest of it is shown.**"

# A NumPy warning inside a page (issue 8: none may appear) becomes an exception the page shows.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


# --- sessions -------------------------------------------------------------------------------------

def app(**query) -> AppTest:
    """A new session on the app's default page (the Playground), opened with this query string."""
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.query_params.update(query)
    return at.run()


def open_page(at: AppTest, name: str, **query) -> AppTest:
    """Follow the navigation to page ``name`` (file stem), with this query string."""
    at.query_params.clear()
    at.query_params.update(query)
    return at.switch_page(f"app_pages/{name}.py").run()


def page(name: str, **query) -> AppTest:
    """A new session whose page ``name`` was opened with ``query``."""
    if name == "playground":
        return app(**query)
    return open_page(app(), name, **query)


# --- reading what the browser would get ------------------------------------------------------------

def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def charts(at: AppTest) -> dict[str, dict]:
    """Chart key -> the figure as sent to the browser."""
    return {c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def specs(at: AppTest) -> dict[str, str]:
    return {c.proto.id.rsplit("-", 1)[-1]: c.proto.spec for c in at.get("plotly_chart")}


def arr(v) -> np.ndarray:
    """A trace array: plotly.js's typed-array form (base64) or a plain list."""
    if isinstance(v, dict):
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(n) for n in v["shape"].split(",")]) if "shape" in v else a
    return np.asarray(v, dtype=float)


def xy(trace: dict) -> np.ndarray:
    return np.stack([arr(trace["x"]), arr(trace["y"])], axis=1).astype(np.float32)


def drawn(fig: dict, group: str) -> np.ndarray:
    """One path's drawn points (float32, shape (n, 2)), recovered from its trail traces.

    A trail is chunk traces (``customdata`` holds their step numbers, adjacent
    chunks share their boundary point) and one partial trace that starts where
    the last chunk ends.  All of them carry the path's ``legendgroup``.
    """
    trail = [t for t in fig["data"] if t.get("legendgroup") == group and "line" in t]
    chunks = [t for t in trail if "customdata" in t]
    partial = [t for t in trail if "customdata" not in t]
    assert len(partial) == 1, (group, [t.get("name") for t in trail])
    steps: list[int] = []
    points: list[np.ndarray] = []
    for t in chunks:
        assert t["opacity"] == 1
        k, p = arr(t["customdata"]).astype(int), xy(t)
        if k.size == 0:  # a chunk past the end of a path that stopped early: its last point again
            assert points and np.array_equal(p, points[-1][None]), group
            continue
        assert len(k) == len(p), (group, len(k), len(p))
        for step, q in zip(k, p):
            if steps and step == steps[-1]:  # the boundary point two chunks share
                assert np.array_equal(q, points[-1]), (group, step)
                continue
            steps.append(int(step))
            points.append(q)
    assert steps == list(range(len(steps))), (group, steps[:5], steps[-5:])
    tail = xy(partial[0])
    if points:
        assert np.array_equal(tail[0], points[-1]), group  # the partial trace starts at the last chunk's end
        tail = tail[1:]
    return np.concatenate([np.array(points, dtype=np.float32).reshape(-1, 2), tail])


def groups(fig: dict) -> list[str]:
    """The legend groups of the drawn paths, in order."""
    out = []
    for t in fig["data"]:
        g = t.get("legendgroup")
        if "customdata" in t and g not in out:
            out.append(g)
    return out


def group(sc: Scenario, i: int) -> str:
    return f"{sc.runs[i].name}.{figures.copy_index(sc.runs, i)}"


def expected(sc: Scenario, run: Run) -> np.ndarray:
    """The path as optimizers.run computes it, up to where it stops, as float32 (what is drawn)."""
    tr = optimizers.run(optimizers.get(run.name, **run.kwargs), state.surface_of(sc.surface), sc.start,
                        sc.steps, noise=sc.noise, seed=sc.seed)
    d = int(tr.diverged_at)
    return (tr.points if d < 0 else tr.points[:d]).astype(np.float32)


def as_lists(params) -> dict:
    return {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in dict(params).items()}


def link_of(at: AppTest) -> dict:
    return as_lists(at.query_params)


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def link_notices(at: AppTest) -> list[str]:
    return [w for w in warnings(at) if w.startswith(LINK_NOTICE)]


def unescape(md: str) -> str:
    """Markdown's backslash escapes removed (the notice escapes every piece of the link it quotes),
    and the zero-width spaces that keep a quoted URL from being linked."""
    return re.sub(r"\\(.)", r"\1", md).replace("\u200b", "")


def assert_thinned(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """``got`` is ``want`` with some rows left out (first and last kept, order kept; NaN equals NaN)."""
    assert 10 <= len(got) < len(want), (what, len(got), len(want))
    same = lambda a, b: bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))  # noqa: E731
    assert same(got[0], want[0]) and same(got[-1], want[-1]), what
    j = 0
    for i, row in enumerate(got):
        while j < len(want) and not same(row, want[j]):
            j += 1
        assert j < len(want), (what, f"drawn point {i} {row} is not a step of the path after step {j}")
        j += 1


def assert_shows(at: AppTest, name: str, sc: Scenario, *, present: bool = False) -> None:
    """The page shows ``sc``: in its state, in the address bar, and in every path it draws."""
    pg = ALL_PAGES[name]
    ok(at)
    assert at.session_state[f"{pg.prefix}.scenario"] == sc
    assert link_of(at) == as_lists(state.encode(sc, present=present))
    figs = charts(at)
    assert sorted(figs) == sorted(pg.charts)
    fig = figs[pg.charts[0]]
    if name in BATCH_PAGES:
        return
    if name == "surface_3d":
        scat = [t for t in fig["data"] if t["type"] == "scatter3d" and t["name"] not in ("start",
                                                                                      "global minimum")]
        assert [t["name"] for t in scat] == [figures.run_label(r) for r in sc.runs]
        s = state.surface_of(sc.surface)
        (x0, x1), (y0, y1) = s.x_range, s.y_range
        for t, run in zip(scat, sc.runs):
            want = expected(sc, run).copy()
            outside = (want[:, 0] < x0) | (want[:, 0] > x1) | (want[:, 1] < y0) | (want[:, 1] > y1)
            want[outside] = np.nan
            got = xy(t)
            if len(got) == len(want):
                np.testing.assert_array_equal(got, want, err_msg=t["name"])
            else:  # a long run is thinned to fit the chart budget: every step drawn is a step of the path
                assert_thinned(got, want, t["name"])
        return
    assert groups(fig) == [group(sc, i) for i in range(len(sc.runs))]
    for i, run in enumerate(sc.runs):
        np.testing.assert_array_equal(drawn(fig, group(sc, i)), expected(sc, run),
                                      err_msg=f"{name}: {run.text}")
    if name == "playground":
        assert len(figs["pg.loss"]["data"]) == len(sc.runs)


# --- every page renders --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL_PAGES)
def test_page_renders_its_default_view(name):
    pg = ALL_PAGES[name]
    at = page(name)
    ok(at)
    assert not warnings(at)
    assert [t.value for t in at.title] == [pg.title]
    assert_shows(at, name, pg.default)
    assert link_of(at) == as_lists(state.encode(pg.default))
    for fig in charts(at).values():
        go.Figure(fig)  # what the browser gets passes Plotly's validator
    for spec in specs(at).values():
        assert len(spec.encode()) <= 400_000  # issue 6's chart budget


@pytest.mark.parametrize("name", PAGES)
def test_every_page_exports_what_it_shows(name):
    """The share box draws its link and download buttons only while open; the buttons build
    their files only when clicked (AppTest cannot click them): build them here from what the
    page shows."""
    from viz import tables

    pg = PAGES[name]
    at = page(name)
    assert not at.get("download_button") and not at.get("code")  # closed: nothing sent
    at.session_state[f"{pg.prefix}.share"] = True  # what opening the box does
    at.run()
    ok(at)
    assert {b.key for b in at.get("download_button")} == {f"{pg.prefix}.csv", f"{pg.prefix}.html"}
    assert [c.value for c in at.get("code")] == ["?" + at.session_state[f"{pg.prefix}.scenario"].link]
    spec = charts(at)[pg.charts[0]]
    html = figures.standalone_html(figures.PlainFigure(spec["data"], spec["layout"], spec.get("frames")),
                                   title="t")
    assert "<head><title>t</title>" in html and len(html) > 1_000_000  # plotly.js inlined
    sc = at.session_state[f"{pg.prefix}.scenario"]
    csv = tables.paths_csv(state.surface_of(sc.surface), cache.paths(sc), sc)
    assert len(csv.splitlines()) > sum(len(expected(sc, r)) for r in sc.runs)


def test_update_rules_page_shows_every_rule():
    at = page("update_rules")
    ok(at)
    assert not warnings(at)
    assert [t.value for t in at.title] == ["Update rules"]
    bodies = [el.body for el in at.get("latex")]
    for name in optimizers.names():
        assert any(optimizers.get(name).latex in b for b in bodies), name
    assert sorted(b.key for b in at.button) == sorted(f"rules.{n}" for n in optimizers.names())
    assert not at.get("plotly_chart")


def test_playground_draws_the_default_paths_exactly():
    at = page("playground")
    fig = charts(at)["pg.chart"]
    sc = presets.ZIGZAG
    for i, r in enumerate(sc.runs):
        got = drawn(fig, group(sc, i))
        assert got.shape == (sc.steps + 1, 2)
        np.testing.assert_array_equal(got, expected(sc, r))
    start = next(t for t in fig["data"] if t.get("name") == "start")
    assert (start["x"], start["y"]) == ([-7.0], [2.0])
    loss = charts(at)["pg.loss"]
    assert loss["layout"]["yaxis"]["type"] == "log"
    assert [t["name"] for t in loss["data"]] == [figures.run_label(r) for r in sc.runs]
    assert any("| Optimizer |" in m.value for m in at.markdown)


# --- every kind of control changes the picture and the link ------------------------------------------

def opened_on(surface: str, sc: Scenario, max_runs: int) -> Scenario:
    """What a page shows after its surface is changed to ``surface``.

    The surface's own lesson view where it has one (``presets.opening``, issue 7);
    otherwise the same optimizers at their tuned rates there, from the surface's start.
    """
    opening = getattr(presets, "opening", None)
    if opening is not None:
        view = opening(surface)
        return view.with_(runs=view.runs[:max_runs])
    return sc.with_(surface=surface, start=surfaces.get(surface).start,
                    runs=tuple(Run.of(r.name, **{**r.kwargs, "lr": default_lr(surface, r.name)})
                               for r in sc.runs))


@pytest.mark.parametrize("name", PAGES)
def test_every_control_changes_the_picture_and_the_link(name):
    """One session walks through every kind of control; after each edit the page shows exactly
    the scenario the edit asks for (state, address bar, every drawn point)."""
    pg = PAGES[name]
    k = lambda *parts: ".".join([pg.prefix, *map(str, parts)])  # noqa: E731
    at = page(name)
    sc = pg.default
    last = specs(at)

    def check(new: Scenario) -> None:
        nonlocal last
        assert_shows(at, name, new)
        now = specs(at)
        assert now[pg.charts[0]] != last[pg.charts[0]], "the picture did not change"
        assert not warnings(at)
        last = now

    # the learning rate of the first optimizer
    lr = 0.2 if sc.runs[0].lr != 0.2 else 0.1
    assert lr in lr_options(sc.runs[0].name)
    at.select_slider(key=k("run", 0, "lr")).set_value(lr).run()
    sc = sc.with_(runs=(Run.of(sc.runs[0].name, **{**sc.runs[0].kwargs, "lr": lr}),) + sc.runs[1:])
    check(sc)

    # the first beta of an Adam-like optimizer (two sliders for one knob)
    i = next((i for i, r in enumerate(sc.runs) if "betas" in optimizers.spec(r.name).defaults), None)
    if i is None:  # the default view has none: add Adam (adding is tested again below)
        at.selectbox(key=k("add")).set_value("adam").run()
        sc = sc.with_(runs=sc.runs + (Run.of("adam", lr=default_lr(sc.surface, "adam")),))
        check(sc)
        i = len(sc.runs) - 1
    beta1 = 0.5 if sc.runs[i].kwargs.get("betas", (0.9,))[0] != 0.5 else 0.7
    at.select_slider(key=k("run", i, "betas", 0)).set_value(beta1).run()
    runs = list(sc.runs)
    old = {**optimizers.spec(runs[i].name).defaults, **runs[i].kwargs}["betas"]
    runs[i] = Run.of(runs[i].name, **{**runs[i].kwargs, "betas": (beta1, old[1])})
    sc = sc.with_(runs=tuple(runs))
    check(sc)
    assert any(o.startswith(f"{runs[i].name},betas={beta1}/") for o in link_of(at)["opt"])

    # steps
    steps = 40 if sc.steps == 60 else 60
    at.select_slider(key=k("steps")).set_value(steps).run()
    sc = sc.with_(steps=steps)
    check(sc)

    # start: x0, then y0
    s = surfaces.get(sc.surface)
    x0 = round(sc.start[0] + 0.25 * (s.x_range[1] - sc.start[0]), 2)
    at.number_input(key=k("x0")).set_value(x0).run()
    sc = sc.with_(start=(x0, sc.start[1]))
    check(sc)
    y0 = round(sc.start[1] + 0.3, 2)
    at.number_input(key=k("y0")).set_value(y0).run()
    sc = sc.with_(start=(x0, y0))
    check(sc)
    start = next(t for t in charts(at)[pg.charts[0]]["data"] if t.get("name") == "start")
    assert (start["x"][0], start["y"][0]) == (x0, y0)

    # noise; its seed is offered only once there is noise
    assert k("seed") not in [n.key for n in at.number_input]
    at.select_slider(key=k("noise")).set_value(0.1).run()
    sc = sc.with_(noise=0.1)
    check(sc)
    at.number_input(key=k("seed")).set_value(3).run()
    sc = sc.with_(seed=3)
    check(sc)
    assert link_of(at)["noise"] == ["0.1"] and link_of(at)["seed"] == ["3"]

    # a noise cloud: several noisy runs drawn faintly around their mean (in the link; then off again)
    at.select_slider(key=k("cloud")).set_value(5).run()
    ok(at)
    assert at.session_state[k("scenario")] == sc.with_(cloud=5)
    assert link_of(at) == as_lists(state.encode(sc.with_(cloud=5))) and link_of(at)["cloud"] == ["5"]
    cloudy = specs(at)
    assert cloudy[pg.charts[0]] != last[pg.charts[0]] and "mean of 5" in cloudy[pg.charts[0]]
    last = cloudy
    at.select_slider(key=k("cloud")).set_value(0).run()
    check(sc)

    # remove optimizers with the ✕ of the list: keep the first two
    assert at.multiselect(key=k("shown")).value == list(range(len(sc.runs)))
    if len(sc.runs) > 2:
        at.multiselect(key=k("shown")).set_value([0, 1]).run()
        sc = sc.with_(runs=sc.runs[:2])
        check(sc)
    at.multiselect(key=k("shown")).set_value([1]).run()
    sc = sc.with_(runs=sc.runs[1:])
    if name == "side_by_side":  # two at least: the page says so and draws nothing
        ok(at)
        assert any("Pick at least 2 optimizers" in w for w in warnings(at))
        assert not at.get("plotly_chart")
        at.selectbox(key=k("add")).set_value("sgd").run()
        sc = sc.with_(runs=sc.runs + (Run.of("sgd", lr=default_lr(sc.surface, "sgd")),))
        assert_shows(at, name, sc)
        last = specs(at)
    else:
        check(sc)

    # add an optimizer: it comes with its tuned learning rate
    at.selectbox(key=k("add")).set_value("rmsprop").run()
    sc = sc.with_(runs=sc.runs + (Run.of("rmsprop", lr=default_lr(sc.surface, "rmsprop")),))
    check(sc)

    # add one that is already there: a second copy at another rate, both drawn, both in the link
    first = sc.runs[0].name
    at.selectbox(key=k("add")).set_value(first).run()
    taken = [r.lr for r in sc.runs if r.name == first]
    lr = default_lr(sc.surface, first)
    while lr in taken:
        lr = float(f"{lr / 2:.3g}")
    sc = sc.with_(runs=sc.runs + (Run.of(first, lr=lr),))
    check(sc)
    assert sum(o.startswith(first + ",") for o in link_of(at)["opt"]) == 2
    assert group(sc, len(sc.runs) - 1) == f"{first}.1"

    # a boolean knob, shown only with every hyperparameter
    i = [r.name for r in sc.runs].index("rmsprop")
    assert k("run", i, "centered") not in [c.key for c in at.checkbox]
    at.toggle(key=k("advanced")).set_value(True).run()
    ok(at)
    assert specs(at) == last  # more controls, same picture
    at.checkbox(key=k("run", i, "centered")).check().run()
    runs = list(sc.runs)
    runs[i] = Run.of("rmsprop", **{**runs[i].kwargs, "centered": True})
    sc = sc.with_(runs=tuple(runs))
    check(sc)
    assert any(o.startswith("rmsprop,centered=1,") for o in link_of(at)["opt"])

    # a new surface: its own start, and every optimizer its tuned rate there
    new = "himmelblau" if sc.surface != "himmelblau" else "beale"
    at.selectbox(key=k("surface")).set_value(new).run()
    s = surfaces.get(new)
    sc = opened_on(new, sc, pg.max_runs)
    check(sc)
    assert sc.start == s.start
    assert (at.session_state[k("x0")], at.session_state[k("y0")]) == s.start
    assert at.session_state[k("run", 0, "lr")] == sc.runs[0].lr
    fig = charts(at)[pg.charts[0]]
    if name != "surface_3d":
        assert fig["layout"]["xaxis"]["range"] == list(s.x_range)
    for fig in charts(at).values():
        go.Figure(fig)


def test_the_same_optimizer_three_times_at_three_rates():
    at = page("playground")
    sc = at.session_state["pg.scenario"]
    name = sc.runs[0].name
    rates = [r.lr for r in sc.runs if r.name == name]
    for _ in range(2):
        at.selectbox(key="pg.add").set_value(name).run()
        lr = default_lr(sc.surface, name)
        while lr in rates:  # taken: half of it
            lr = float(f"{lr / 2:.3g}")
        rates.append(lr)
        sc = sc.with_(runs=sc.runs + (Run.of(name, lr=lr),))
        assert_shows(at, "playground", sc)
    assert len(set(rates)) == 3 and default_lr(sc.surface, name) / 2 in rates
    fig = charts(at)["pg.chart"]
    dashes = {t["legendgroup"]: t["line"]["dash"] for t in fig["data"]
              if t.get("legendgroup", "").startswith(name + ".") and "line" in t}
    assert dashes == {f"{name}.0": "solid", f"{name}.1": "dash", f"{name}.2": "dot"}
    assert [o for o in link_of(at)["opt"] if o.startswith(name + ",")] == [
        Run.of(name, lr=lr).text for lr in rates]


@pytest.mark.parametrize("name", BATCH_PAGES)
def test_every_control_of_the_batch_pages(name):
    """The same walk on the sweep and map pages: each edit changes the picture, the state and the link."""
    pg = BATCH_PAGES[name]
    k = lambda *parts: ".".join([pg.prefix, *map(str, parts)])  # noqa: E731
    at = page(name)
    sc = pg.default
    last = specs(at)

    def check(new: Scenario, changes_picture: bool = True) -> None:
        nonlocal last
        assert_shows(at, name, new)
        assert not warnings(at)
        go.Figure(charts(at)[pg.charts[0]])
        now = specs(at)
        assert (now != last) == changes_picture
        last = now

    lr = 0.2 if sc.runs[0].lr != 0.2 else 0.1
    at.select_slider(key=k("run", 0, "lr")).set_value(lr).run()
    sc = sc.with_(runs=(Run.of(sc.runs[0].name, **{**sc.runs[0].kwargs, "lr": lr}),) + sc.runs[1:])
    check(sc)
    at.select_slider(key=k("steps")).set_value(50).run()
    sc = sc.with_(steps=50)
    check(sc)
    # no noise here: the batch runs without it
    assert k("noise") not in [w.key for w in at.select_slider]
    if name == "lr_sweep":
        at.number_input(key=k("x0")).set_value(-5.0).run()
        sc = sc.with_(start=(-5.0, sc.start[1]))
        check(sc)
    else:  # a map covers every start
        assert k("x0") not in [n.key for n in at.number_input]
        colour = at.segmented_control(key=k("color"))
        other = next(o for o in ("basin", "loss") if o != colour.value)
        colour.set_value(other).run()
        check(sc)  # the picture changes, the link does not
    at.multiselect(key=k("shown")).set_value([0]).run()
    sc = sc.with_(runs=sc.runs[:1])
    check(sc)
    at.selectbox(key=k("add")).set_value("rmsprop").run()
    sc = sc.with_(runs=sc.runs + (Run.of("rmsprop", lr=default_lr(sc.surface, "rmsprop")),))
    check(sc)
    new = "himmelblau" if sc.surface != "himmelblau" else "beale"
    at.selectbox(key=k("surface")).set_value(new).run()
    check(opened_on(new, sc, pg.max_runs))


@pytest.mark.parametrize("name", BATCH_PAGES)
def test_a_lesson_and_a_shared_link_on_the_batch_pages(name):
    pg = BATCH_PAGES[name]
    at = page(name)
    lesson = presets.BY_KEY["saddle"]
    at.button_group(key=f"{pg.prefix}.lesson").set_value(lesson.key).run()
    assert_shows(at, name, lesson.scenario)
    assert f"**{lesson.title}.** {lesson.blurb}" in infos(at)
    at.button_group(key=f"{pg.prefix}.lesson").set_value("textbook").run()  # drawn side by side
    assert [t.value for t in at.title] == ["Side by side"]
    assert_shows(at, "side_by_side", presets.TEXTBOOK)
    sc = Scenario("rastrigin", (Run.of("adam", lr=0.05, betas=(0.8, 0.99)), Run.of("sgd", lr=0.002),
                                Run.of("sgd", lr=0.001, weight_decay=0.1)), (2.5, -1.5), 40)
    at = page(name, **state.encode(sc))
    assert not warnings(at)
    assert_shows(at, name, sc)
    assert at.session_state[f"{pg.prefix}.run.2.weight_decay"] == 0.1


# A map is 10,000 paths per optimizer: on that page, pick in the selectbox the surfaces whose
# opening views cost the most (minibatch gradients, many steps), and open the rest by link, short.
MAP_PICKED = ("least_squares", "least_squares_std", "logistic", "goldstein_price")


@pytest.mark.parametrize("name", ALL_PAGES)
def test_every_surface_on_every_page(name):
    """Pick each surface in turn (each opens on its own view): no exception, no warning, a chart."""
    pg = ALL_PAGES[name]
    at = page(name)
    picked = MAP_PICKED if name == "convergence_map" else surfaces.names()
    for surface in picked:
        at.selectbox(key=f"{pg.prefix}.surface").set_value(surface).run()
        assert not at.exception, (surface, [e.value for e in at.exception])
        assert not warnings(at), (surface, warnings(at))
        assert at.session_state[f"{pg.prefix}.scenario"].surface == surface
        assert set(charts(at)) == set(pg.charts), surface
    for surface in set(surfaces.names()) - set(picked):
        sc = pg.default.with_(surface=surface, start=surfaces.get(surface).start, steps=20)
        at = page(name, **state.encode(sc))
        assert not warnings(at), (surface, warnings(at))
        assert_shows(at, name, sc)


@pytest.mark.parametrize("name", PAGES)
def test_your_own_formula(name):
    """The formula box: pick it, type a formula and its window, get a wrong one named under the box."""
    pg = PAGES[name]
    k = lambda *parts: ".".join([pg.prefix, *map(str, parts)])  # noqa: E731
    at = page(name)
    assert k("f") not in [t.key for t in at.text_input]
    at.selectbox(key=k("surface")).set_value(state.FORMULA).run()
    ok(at)
    sc = at.session_state[k("scenario")]
    text, xr, yr = state.split_formula(sc.surface)
    assert at.text_input(key=k("f")).value == text
    assert_shows(at, name, sc)
    assert link_of(at)["surface"] == ["formula"] and link_of(at)["f"] == [text]
    # a formula of one's own, and its window
    at.text_input(key=k("f")).set_value("x^2 + 3*y^2 + sin(3*x)").run()
    at.text_input(key=k("xr")).set_value("-3, 3").run()
    ok(at)
    sc = at.session_state[k("scenario")]
    assert state.split_formula(sc.surface) == ("x^2 + 3*y^2 + sin(3*x)", (-3.0, 3.0), yr)
    assert_shows(at, name, sc)
    assert not at.error and not warnings(at)
    assert link_of(at)["f"] == ["x^2 + 3*y^2 + sin(3*x)"] and link_of(at)["xr"] == ["-3/3"]
    # a wrong one is named under the box (as text), and the picture keeps the last good surface
    before = specs(at)
    at.text_input(key=k("f")).set_value("x^2 + <b>import</b>").run()
    ok(at)
    assert len(at.error) == 1 and "\\<b\\>" in at.error[0].value, [e.value for e in at.error]
    assert_shows(at, name, sc)
    assert specs(at) == before
    # and the link opens the same view in a new session
    link = state.encode(sc)
    again = page(name, **link)
    assert not warnings(again)
    assert_shows(again, name, sc)


def test_a_noise_cloud_whose_runs_all_leave_the_plot_draws_without_a_numpy_warning():
    """Every run of SGD's cloud escapes the saddle by step 60: its mean path ends there, quietly."""
    link = ("surface=saddle&opt=sgd,lr=0.2&opt=momentum,lr=0.05&opt=rmsprop,lr=0.05&opt=adagrad,lr=0.3"
            "&x0=-0.85&y0=0.31&steps=60&noise=0.1&seed=3&cloud=5")
    query = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(link).items()}
    at = app(**query)
    ok(at)  # a RuntimeWarning would show as an exception (pytestmark above)
    assert not warnings(at)
    assert link_of(at) == as_lists(query)


def test_playground_accepts_up_to_eight_optimizers_and_no_more():
    at = page("playground")
    for name in ("momentum", "nesterov", "adagrad", "rmsprop", "amsgrad", "nadam"):
        at.selectbox(key="pg.add").set_value(name).run()
    ok(at)
    sc = at.session_state["pg.scenario"]
    assert len(sc.runs) == state.MAX_RUNS == 8
    assert at.selectbox(key="pg.add").disabled
    assert_shows(at, "playground", sc)


def test_nesterov_without_momentum_is_left_out_with_a_message():
    at = page("playground")
    at.selectbox(key="pg.add").set_value("nesterov").run()
    at.select_slider(key="pg.run.2.momentum").set_value(0.0).run()
    ok(at)
    hits = [w for w in warnings(at) if "Nesterov" in w]
    assert len(hits) == 1 and "momentum" in hits[0], warnings(at)
    fig = charts(at)["pg.chart"]
    assert groups(fig) == ["sgd.0", "adam.0"]
    assert [o.split(",")[0] for o in link_of(at)["opt"]] == ["sgd", "adam"]
    # it stays in the controls, so it can be fixed there
    assert at.select_slider(key="pg.run.2.momentum").value == 0.0
    at.select_slider(key="pg.run.2.momentum").set_value(0.5).run()
    ok(at)
    assert not warnings(at)
    assert groups(charts(at)["pg.chart"]) == ["sgd.0", "adam.0", "nesterov.0"]


# --- lessons ---------------------------------------------------------------------------------------

def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


# A lesson may be drawn on another page than the one it was picked on (issue 7: the
# textbook 2x2 figure is one optimizer per panel).
LESSON_PAGE = {"textbook": "side_by_side"}


@pytest.mark.parametrize("name", PAGES)
def test_lessons_apply_their_scenario_and_explain_it(name):
    pg = PAGES[name]
    at = page(name)
    for p in presets.PRESETS:
        at.button_group(key=f"{pg.prefix}.lesson").set_value(p.key).run()
        shown_on = LESSON_PAGE.get(p.key, name)
        assert [t.value for t in at.title] == [PAGES[shown_on].title], p.key
        assert_shows(at, shown_on, p.scenario)
        assert not warnings(at)
        assert f"**{p.title}.** {p.blurb}" in infos(at), (p.key, infos(at))
        # the callout stands in for the surface's paragraph, which would push the figure down
        surf = surface_of(p.scenario.surface)
        texts = [m.value for m in at.markdown]
        assert any(t.startswith(f"**{surf.label}**: ${surf.latex}$") for t in texts), p.key
        assert not any(surf.lesson in t for t in texts), p.key
        assert at.button_group(key=f"{PAGES[shown_on].prefix}.lesson").value is None  # an action
        if shown_on != name:
            open_page(at, name)
            ok(at)
    # the callout goes with the first edit, and the surface's paragraph comes back
    at.select_slider(key=f"{pg.prefix}.steps").set_value(20).run()
    ok(at)
    assert not [i for i in infos(at) if i.startswith("**")]
    surf = surface_of(presets.PRESETS[-1].scenario.surface)
    if name == "playground":
        assert any(surf.lesson in m.value for m in at.markdown)


def test_lesson_clears_a_link_notice():
    at = page("side_by_side", surface="foo")
    assert len(link_notices(at)) == 1 and "'foo'" in link_notices(at)[0]
    at.button_group(key="sbs.lesson").set_value("banana").run()
    assert_shows(at, "side_by_side", presets.BY_KEY["banana"].scenario)
    assert not warnings(at)


# --- links ---------------------------------------------------------------------------------------

SHARED = {
    "playground": Scenario("rosenbrock", (Run.of("adam", lr=0.01, betas=(0.8, 0.99)),
                                          Run.of("rmsprop", lr=0.001, centered=True, alpha=0.9),
                                          Run.of("nesterov", lr=0.0005, momentum=0.5),
                                          Run.of("adam", lr=0.05)),
                           (-1.5, 2.5), 37, noise=0.1, seed=7),
    "side_by_side": Scenario("himmelblau", (Run.of("sgd", lr=0.01, weight_decay=0.1),
                                            Run.of("adagrad", lr=0.5, eps=1e-6),
                                            Run.of("sgd", lr=0.02)), (1.0, -1.0), 40, noise=0.05, seed=11),
    "surface_3d": Scenario("monkey_saddle", (Run.of("adamax", lr=0.05, betas=(0.7, 0.9)),
                                             Run.of("momentum", lr=0.01, dampening=0.2)),
                           (0.5, 0.1), 80, noise=0.2, seed=2),
}


@pytest.mark.parametrize("name", PAGES)
def test_a_shared_link_round_trips(name):
    sc = SHARED[name]
    at = page(name, **state.encode(sc))
    assert not warnings(at)
    assert_shows(at, name, sc)
    ss, p = at.session_state, PAGES[name].prefix
    assert (ss[f"{p}.surface"], ss[f"{p}.x0"], ss[f"{p}.y0"]) == (sc.surface, *sc.start)
    assert (ss[f"{p}.steps"], ss[f"{p}.noise"], ss[f"{p}.seed"]) == (sc.steps, sc.noise, sc.seed)
    assert ss[f"{p}.shown"] == list(range(len(sc.runs)))
    for i, run in enumerate(sc.runs):
        for knob, value in run.kwargs.items():
            if knob == "betas":
                assert (ss[f"{p}.run.{i}.betas.0"], ss[f"{p}.run.{i}.betas.1"]) == value
            else:
                assert ss[f"{p}.run.{i}.{knob}"] == value, (run.text, knob)
    at.run()  # and it stays
    assert not warnings(at)
    assert_shows(at, name, sc)
    for fig in charts(at).values():
        go.Figure(fig)


def test_a_link_value_off_the_slider_grid_is_kept():
    sc = presets.ZIGZAG.with_(runs=(Run.of("sgd", lr=0.37),), steps=37, noise=0.3)
    at = app(**state.encode(sc))
    assert not warnings(at)
    assert_shows(at, "playground", sc)
    assert 0.37 in at.select_slider(key="pg.run.0.lr").options or "0.37" in at.select_slider(
        key="pg.run.0.lr").options


MALFORMED = dict(surface="foo", opt=["nope", "sgd,lr=abc", "adam,lr=0.3"], steps="-5", x0="nan")


def test_a_malformed_link_gives_one_notice_naming_every_bad_part():
    at = app(**MALFORMED)
    ok(at)
    assert len(warnings(at)) == 1, warnings(at)
    [notice] = link_notices(at)
    text = unescape(notice)
    for needle in ("'foo'", "'nope'", "lr='abc'", "steps='-5'", "x0='nan'"):
        assert text.lower().count(needle) == 1, (needle, text)
    # the good parts are drawn: Adam at its rate, SGD at a default rate, default surface, start, steps
    sc = at.session_state["pg.scenario"]
    assert [r.name for r in sc.runs] == ["sgd", "adam"]
    assert sc.runs[1] == Run.of("adam", lr=0.3)
    assert (sc.surface, sc.start, sc.steps) == ("bowl", (-7.0, 2.0), 30)
    assert_shows(at, "playground", sc)  # and the address bar is cleaned up to what is shown
    assert "nope" not in json.dumps(link_of(at)) and "abc" not in json.dumps(link_of(at))
    at.run()  # a rerun without an edit keeps the notice
    assert len(link_notices(at)) == 1


def test_the_link_notice_goes_with_the_first_edit():
    at = app(**MALFORMED)
    assert len(link_notices(at)) == 1
    at.select_slider(key="pg.steps").set_value(40).run()
    ok(at)
    assert not warnings(at)
    assert at.session_state["pg.scenario"].steps == 40


def test_the_link_notice_can_be_dismissed():
    at = app(**MALFORMED)
    before = at.session_state["pg.scenario"]
    at.button(key="pg.dismiss").click().run()
    ok(at)
    assert not warnings(at)
    assert "pg.dismiss" not in [b.key for b in at.button]
    assert at.session_state["pg.scenario"] == before


def test_side_by_side_keeps_four_and_names_the_dropped_one():
    runs = ["sgd,lr=0.5", "momentum,lr=0.05", "adagrad,lr=1.5", "adam,lr=0.3", "radam,lr=0.25"]
    at = page("side_by_side", opt=runs)
    ok(at)
    [notice] = link_notices(at)
    assert len(warnings(at)) == 1
    text = unescape(notice)
    assert "radam,lr=0.25" in text and "at most 4" in text, text
    sc = at.session_state["sbs.scenario"]
    assert [r.text for r in sc.runs] == runs[:4]
    assert_shows(at, "side_by_side", sc)
    assert len(charts(at)["sbs.chart"]["layout"]["annotations"]) == 4


def test_present_maybe_is_reported():
    at = app(present="maybe")
    ok(at)
    [notice] = link_notices(at)
    assert "present='maybe'" in unescape(notice).lower()
    assert [t.value for t in at.title] == ["Optimizer playground"]  # presentation mode stays off
    assert_shows(at, "playground", presets.ZIGZAG)


@pytest.mark.parametrize("name", ALL_PAGES)
def test_presentation_mode_from_a_link(name):
    pg = ALL_PAGES[name]
    at = page(name, **state.encode(pg.default, present=True))
    ok(at)
    assert not warnings(at)
    assert not at.title  # no page title on the projector
    assert_shows(at, name, pg.default, present=True)
    assert link_of(at)["present"] == ["1"]
    assert at.toggle(key=f"{pg.prefix}.present").value is True
    # the lessons are on the projector too, and keep presentation mode
    at.button_group(key=f"{pg.prefix}.plesson").set_value("saddle").run()
    lesson = presets.BY_KEY["saddle"]
    assert_shows(at, name, lesson.scenario, present=True)
    # on a projector the lesson's note is one caption line, not a callout
    assert f"**{lesson.title}.** {lesson.blurb}" in [c.value for c in at.caption]
    assert not at.title
    at.button(key=f"{pg.prefix}.exit").click().run()
    ok(at)
    assert [t.value for t in at.title] == [pg.title]
    assert_shows(at, name, lesson.scenario)
    assert "present" not in link_of(at)
    assert f"{pg.prefix}.exit" not in [b.key for b in at.button]


def test_presentation_toggle_writes_the_flag_into_the_link():
    at = page("playground")
    at.toggle(key="pg.present").set_value(True).run()
    ok(at)
    assert not at.title and link_of(at)["present"] == ["1"]
    assert_shows(at, "playground", presets.ZIGZAG, present=True)


def test_open_in_playground_from_the_update_rules_for_every_optimizer():
    at = page("update_rules")
    for name in optimizers.names():
        at.button(key=f"rules.{name}").click().run()
        ok(at)
        assert [t.value for t in at.title] == ["Optimizer playground"], name
        assert not warnings(at), (name, warnings(at))
        assert_shows(at, "playground", presets.demo(name))
        open_page(at, "update_rules")
        ok(at)


def test_going_to_another_page_and_back_keeps_each_pages_scenario():
    at = page("playground")
    at.select_slider(key="pg.run.0.lr").set_value(0.2).run()
    at.selectbox(key="pg.add").set_value("nadam").run()
    pg_sc = at.session_state["pg.scenario"]
    pg_link, pg_specs = link_of(at), specs(at)
    open_page(at, "side_by_side")
    at.select_slider(key="sbs.steps").set_value(50).run()
    sbs_sc = at.session_state["sbs.scenario"]
    assert sbs_sc == presets.TEXTBOOK.with_(steps=50)
    open_page(at, "surface_3d")
    open_page(at, "update_rules")
    open_page(at, "playground")
    assert_shows(at, "playground", pg_sc)
    assert link_of(at) == pg_link and specs(at) == pg_specs
    assert at.select_slider(key="pg.run.0.lr").value == 0.2
    open_page(at, "side_by_side")
    assert_shows(at, "side_by_side", sbs_sc)


def test_presentation_mode_survives_a_visit_elsewhere():
    at = page("playground", present="1")
    assert not at.title
    open_page(at, "update_rules")
    open_page(at, "playground")
    ok(at)
    assert not at.title and link_of(at)["present"] == ["1"]


# --- what the server does per rerun (issue 6) and what sessions share (issue 8) ---------------------------

# What a rerun could build, as ui.cache reaches it: figures, trajectories, sweeps and maps.
BUILDERS = {"figures": ("contour_figure", "loss_figure", "panels_figure", "surface3d_figure"),
            "sweep": ("sweep", "sweep_figure"), "maps": ("convergence_map", "map_figure"),
            "optimizers": ("run",)}


@pytest.fixture
def builds(monkeypatch):
    """Counts of every figure built and every trajectory, sweep and map computed, by name."""
    counts = {}

    def counting(name, fn):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    for module, names in BUILDERS.items():
        for n in names:
            counts[n] = 0
            monkeypatch.setattr(getattr(cache, module), n, counting(n, getattr(getattr(cache, module), n)))
    return counts


def clear_caches() -> None:
    for f in vars(cache).values():
        if hasattr(f, "cache_clear") and not isinstance(f, type):
            f.cache_clear()


@pytest.mark.parametrize("name", ALL_PAGES)
def test_rerunning_an_unchanged_view_builds_nothing(name, builds):
    pg = ALL_PAGES[name]
    clear_caches()
    at = page(name, **state.encode(pg.default.with_(steps=21)))
    ok(at)
    assert builds["run"] > 0 and sum(builds.values()) > builds["run"]  # the counters see the work
    first = specs(at)
    for b in builds:
        builds[b] = 0
    at.run()
    ok(at)
    at.toggle(key=f"{pg.prefix}.advanced").set_value(True).run()  # more controls, same view
    ok(at)
    assert builds == {b: 0 for b in builds}
    assert specs(at) == first


def test_two_sessions_opening_the_same_link_get_identical_charts():
    link = state.encode(SHARED["playground"])
    clear_caches()
    one = app(**link)
    clear_caches()  # computed afresh ...
    two = app(**link)
    three = app(**link)  # ... and from the cache
    ok(one), ok(two), ok(three)
    assert specs(one) == specs(two) == specs(three)
    assert set(specs(one)) == {"pg.chart", "pg.loss"}
    for name in ("side_by_side", "surface_3d"):
        link = state.encode(SHARED[name])
        a = page(name, **link)
        clear_caches()
        b = page(name, **link)
        assert specs(a) == specs(b) and specs(a)


@pytest.mark.parametrize("surface, name, lr, noise, batch", [
    ("rosenbrock", "adam", 0.0123, 0.0, 0),
    ("bowl", "sgd", 2.01, 0.0, 0),          # diverges within the first steps asked
    ("saddle", "momentum", 0.0123, 0.3, 0),  # noise: the same draws, step by step
    ("least_squares", "sgd", 0.0123, 0.0, 4),  # minibatches: the same order of the data
])
def test_a_cached_path_is_a_run_of_exactly_the_steps_asked(surface, name, lr, noise, batch):
    """Whatever the cache kept (a shorter path, a longer one, a bucket ahead), every answer is
    bit for bit a run of exactly the steps asked, with its divergence step; a run is computed
    only when the kept path is too short: the first time for exactly its steps, and when asked
    for more, for a bucket ahead."""
    clear_caches()
    run, start = Run.of(name, lr=lr), surface_of(surface).start
    assert lr not in lr_options(name)  # one path, not the learning-rate batch
    for steps in (40, 10, 40, 41, 75, 100, 30, 250, 0):
        points, diverged = cache.trajectory(surface, run, start, steps, noise, 3, batch)
        ref = optimizers.run(optimizers.get(name, lr=lr), surface_of(surface), start, steps, noise=noise,
                             seed=3, batch_size=batch or None)
        np.testing.assert_array_equal(points, ref.points)
        assert diverged == int(ref.diverged_at)
    hits, misses, kept = cache._singles.cache_info()
    assert (misses, hits, kept) == (4, 5, 1)  # 40, then 41 -> 60, 75 -> 100, 250 -> 300
    assert cache._singles._kept[next(iter(cache._singles._kept))][0].shape[0] == 301


def test_cached_arrays_and_figures_cannot_be_changed():
    sc = presets.ZIGZAG
    for run in sc.runs:
        for noise in (0.0, 0.2):
            points, _ = cache.trajectory(sc.surface, run, sc.start, sc.steps, noise, 1)
            with pytest.raises(ValueError):
                points[0, 0] = 1.0
    link = sc.link
    figs = [cache.contour(link, 500, None), cache.loss(link), cache.panels(link, 360, 2, None), cache.scene(link, 680)]
    for fig in figs:
        with pytest.raises(TypeError):
            fig.update_layout(title="changed")
        with pytest.raises(TypeError):
            fig.to_dict()["layout"]["title"] = "changed"
        fig.thawed()["data"][0]["name"] = "changed"  # a copy
    # and nothing changed
    assert cache.contour(link, 500, None) is figs[0]
    assert all("changed" not in fig.json() for fig in figs)


@pytest.mark.parametrize("lesson, word", [("diverge", "diverged"), ("saddle", "left the plot")])
@pytest.mark.parametrize("name", ["playground", "side_by_side", "surface_3d"])
def test_a_path_that_blew_up_or_left_is_said_under_the_figure(name, lesson, word):
    """The notes under the figure name each path that diverged (or left), with its step."""
    sc = presets.BY_KEY[lesson].scenario
    at = page(name, **state.encode(sc))
    ok(at)
    s = surface_of(sc.surface)
    gone = [p for p in cache.paths(sc) if figures.stop_step(s, p) > 0]
    assert gone, lesson
    notes = [i for i in infos(at) if word in i]
    for p in gone:
        said = figures.divergence_note(s, p)
        assert said.startswith(p.label) and f"{word} at step {figures.stop_step(s, p)}" in said
        assert [n for n in notes if n == said], (said, notes)
    assert len(notes) == len(gone)


# --- the column's width, as the browser reports it (ui/viewport.py) ------------------------------

def reporters(at) -> list:
    """The page's column-width reporters (its other component element is plotly.js's loader)."""
    return [e for e in at.get("bidi_component") if e.key != plotchart.READY]


def _fitted(link: str, width: int) -> int:
    from ui import cache
    sc = cache.scenario(link)
    return figures.contour_figure(surfaces.get(sc.surface), cache.grid(sc.surface), cache.paths(sc), sc.start,
                                  width=width).thawed()["layout"]["height"]


@pytest.mark.parametrize("width", [560, 840, 1160])
def test_the_playground_draws_its_contour_for_the_reported_column_width(width):
    at = app()
    assert charts(at)["pg.chart"]["layout"]["height"] == figures.contour_height(surfaces.get("bowl"), 760)
    assert len(reporters(at)) == 1  # the reporter, mounted while nothing is reported
    before = link_of(at)
    at.session_state["pg.width"] = {"width": width}
    at.run()
    ok(at)
    fig = charts(at)["pg.chart"]
    assert fig["layout"]["height"] == _fitted(presets.ZIGZAG.link, width)
    assert link_of(at) == before  # a window's width is not part of what a link shares


@pytest.mark.parametrize("report", [{"width": "wide"}, {"width": 10**9}, {"width": -840}, {"width": True},
                                    {"width": 840.5}, {"other": 1}, "840", None, [840]])
def test_a_column_width_that_is_not_one_is_ignored(report):
    """A hand-made websocket message may report anything: the page draws at its default height."""
    at = app()
    at.session_state["pg.width"] = report
    at.run()
    ok(at)
    assert charts(at)["pg.chart"]["layout"]["height"] == figures.contour_height(surfaces.get("bowl"), 760)


@pytest.mark.parametrize("width", [560, 1160])
def test_side_by_side_draws_its_panels_for_the_reported_column_width(width):
    from ui import cache
    at = page("side_by_side")
    before, plain = link_of(at), charts(at)["sbs.chart"]["layout"]["height"]
    assert len(reporters(at)) == 1
    at.session_state["sbs.width"] = {"width": width}
    at.run()
    ok(at)
    sc = presets.TEXTBOOK
    fitted = figures.panels_figure(surfaces.get(sc.surface), cache.grid(sc.surface, 80), cache.paths(sc), sc.start,
                                   width=width).thawed()["layout"]["height"]
    assert charts(at)["sbs.chart"]["layout"]["height"] == fitted != plain
    assert link_of(at) == before


@pytest.mark.parametrize("width", [560, 1160])
def test_the_convergence_map_draws_its_panels_for_the_reported_column_width(width):
    from ui import cache
    from viz import maps
    at = page("convergence_map")
    before, plain = link_of(at), charts(at)["map.chart"]["layout"]["height"]
    assert plain == 520 and len(reporters(at)) == 1
    at.session_state["map.width"] = {"width": width}
    at.run()
    ok(at)
    sc = presets.MAP
    fitted = maps.map_figure(surfaces.get(sc.surface), cache.convergence_maps(sc.link), "basin",
                             width=width).thawed()["layout"]["height"]
    assert charts(at)["map.chart"]["layout"]["height"] == fitted != plain
    assert link_of(at) == before


@pytest.mark.parametrize("width", [560, 1160])
def test_the_sweep_draws_its_panels_for_the_reported_column_width(width):
    from ui import cache
    from viz import sweep
    at = page("lr_sweep")
    before, plain = link_of(at), charts(at)["lr.chart"]["layout"]
    assert plain["height"] == 560 and len(reporters(at)) == 1
    at.session_state["lr.width"] = {"width": width}
    at.run()
    ok(at)
    sc = presets.SWEEP
    fitted = sweep.sweep_figure(surfaces.get(sc.surface), cache.grid(sc.surface, 80), cache.sweeps(sc.link),
                                sc.start, width=width).thawed()["layout"]
    drawn = charts(at)["lr.chart"]["layout"]
    assert (drawn["height"], drawn["yaxis2"]["domain"]) == (fitted["height"], fitted["yaxis2"]["domain"])
    assert drawn["yaxis2"]["domain"] != plain["yaxis2"]["domain"]
    assert link_of(at) == before


@pytest.mark.parametrize("name,key,height", [("side_by_side", "sbs", None), ("lr_sweep", "lr", 520)])
def test_presentation_mode_keeps_its_projector_height_and_mounts_no_reporter(name, key, height):
    at = page(name, present="1")
    drawn = charts(at)[f"{key}.chart"]["layout"]["height"]
    for state in (f"{key}.width", f"{key}.width.present"):
        at.session_state[state] = {"width": 840}
    at.run()
    ok(at)
    assert charts(at)[f"{key}.chart"]["layout"]["height"] == (height or drawn)
    assert not reporters(at)


@pytest.mark.parametrize("surface,opts,width", [("rosenbrock", ["sgd", "adam", "momentum", "rmsprop"], 1120),
                                                 ("rosenbrock", ["sgd", "adam"], 864), ("rosenbrock", ["sgd"], 1120),
                                                 ("himmelblau", ["sgd", "adam"], 1120)])  # basins, with a legend
def test_the_map_on_a_projector_is_drawn_for_its_width_in_one_row_that_fits(surface, opts, width):
    """On a projector the map's reporter measures the column without the sidebar: the panels
    stay in one row, as tall as their width needs but no taller than the screen allows (no
    bands above and below them; four maps at 1024 px were drawn 145 px tall in a 460 px figure)."""
    from ui import cache
    from viz import maps
    at = page("convergence_map", present="1", surface=surface, opt=opts)
    assert len(reporters(at)) == 1
    assert charts(at)["map.chart"]["layout"]["height"] == 460  # not measured yet: the projector's height
    before = link_of(at)
    at.session_state["map.width"] = {"width": 2000}  # the normal mode's report: not this mode's
    at.session_state["map.width.present"] = {"width": width}
    at.run()
    ok(at)
    lay = charts(at)["map.chart"]["layout"]
    from viz import state
    sc = state.decode(at.query_params, presets.MAP, max_runs=maps.MAX_PANELS).scenario
    color_by = "basin" if lay["showlegend"] else "loss"
    want = maps.map_figure(surfaces.get(surface), cache.convergence_maps(sc.link), color_by, width=width,
                           height=460, fit_height=True).thawed()["layout"]
    assert lay["height"] == want["height"] <= 460
    assert {tuple(lay[k]["domain"]) for k in lay if k.startswith("yaxis")} == {(0.0, 1.0)}, \
        "the panels went into rows, or leave a band above or below them"
    plot_w = width - lay["margin"]["l"] - lay["margin"]["r"]
    panel_w = (lay["xaxis"]["domain"][1] - lay["xaxis"]["domain"][0]) * plot_w
    plot_h = lay["height"] - lay["margin"]["t"] - lay["margin"]["b"]
    aspect = surfaces.get(surface).aspect
    assert plot_h == pytest.approx(min(panel_w * aspect, figures.PANEL_MOST), abs=1) or lay["height"] == 460
    if len(opts) == 4:
        assert lay["height"] < 360, "four maps at a projector's width are short panels: the figure is as short"
    assert link_of(at) == before


def test_the_playground_on_a_projector_keeps_its_height_and_gives_its_legend_the_rows_it_needs():
    """On a projector the Playground's reporter measures the column without the sidebar, under a
    key and a cookie of its own: the figure keeps its projector height, and its top margin holds
    the legend's rows at that width (a margin plotly.js pushes is a second layout per redraw)."""
    at = page("playground", present="1", opt=["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
    assert len(reporters(at)) == 1
    one_row = charts(at)["pg.chart"]["layout"]
    assert one_row["height"] == figures.PRESENT_HEIGHT and one_row["margin"]["t"] == 45
    at.session_state["pg.width"] = {"width": 2000}  # the normal mode's report: not this mode's
    at.session_state["pg.width.present"] = {"width": 720}
    at.run()
    ok(at)
    lay = charts(at)["pg.chart"]["layout"]
    names = [t["name"] for t in charts(at)["pg.chart"]["data"] if t.get("showlegend")]
    rows = figures.legend_rows(names, 720 - lay["margin"]["l"] - lay["margin"]["r"])
    assert rows >= 2 and lay["height"] == figures.PRESENT_HEIGHT
    assert lay["margin"]["t"] == 45 + figures.LEGEND_ROW * (rows - 1)


@pytest.mark.parametrize("text,width", [("840", 840), ("560", 560), ("0840", 840), ("199", None), ("9000", None),
                                        ("99999999", None), ("-840", None), ("8 40", None), ("840px", None),
                                        ("", None), (None, None), ("８４０", None)])
def test_a_width_cookie_is_read_only_when_it_holds_a_width(text, width):
    from ui import viewport
    assert viewport.cookie_width(text) == width


def test_a_reported_width_wins_over_the_cookie(monkeypatch):
    from ui import viewport
    monkeypatch.setattr(viewport, "_cookie", lambda name=viewport.COOKIE: 560 if name == viewport.COOKIE else None)
    at = app()
    assert charts(at)["pg.chart"]["layout"]["height"] == _fitted(presets.ZIGZAG.link, 560)  # a returning browser
    at.session_state["pg.width"] = {"width": 1160}
    at.run()
    ok(at)
    assert charts(at)["pg.chart"]["layout"]["height"] == _fitted(presets.ZIGZAG.link, 1160)


@pytest.mark.parametrize("name", ["playground", "side_by_side", "surface_3d"])
def test_every_run_tells_the_browser_each_number_inputs_value(name):
    """A number input with no value argument defaults to its minimum; a run that does not send
    its value leaves the browser showing what it holds, and after a page switch and a quick
    rerun Streamlit's browser sometimes holds nothing (the start read x₀ = −5, the Himmelblau
    window's edge, while the path started at −1.55). So every run sends the value."""
    at = page(name, noise="0.5")  # the noise seed's input is shown too
    for _ in range(2):  # the first run seeds the keys; the second is any later rerun
        at.run()
        ok(at)
        inputs = [w for w in at.number_input if w.key]
        assert {w.key.split(".")[-1] for w in inputs} >= {"x0", "y0", "seed"}
        for w in inputs:
            assert w.proto.set_value and w.proto.value == pytest.approx(at.session_state[w.key]), w.key
