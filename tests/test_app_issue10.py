"""Issue 10's controls under AppTest: your own formula, schedules, minibatches, noise clouds,
and the inside-one-step view.  Each test checks what a student would see: the picture, the
numbers and the link agree with the library run the same way."""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optimizers
import surfaces
from viz import state

QUERY = {"surface": "bowl", "opt": ["sgd,lr=0.95", "adam,lr=0.2"], "x0": "-7", "y0": "2", "steps": "30"}


def app(**query) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=90)
    for k, v in (query or QUERY).items():
        at.query_params[k] = v
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def link(at: AppTest) -> dict:
    return {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in at.query_params.items()}


def chart(at: AppTest, key: str = "pg.chart") -> dict:
    for c in at.get("plotly_chart"):
        if c.proto.id.endswith(key):
            return json.loads(c.proto.spec)
    raise AssertionError(f"no chart {key}")


def charts(at: AppTest) -> list[str]:
    return [c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")]


def arr(v) -> np.ndarray:
    import base64
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=float)


def drawn_path(fig: dict, label_start: str) -> np.ndarray:
    """The solid trail as drawn at the last frame: its chunks (customdata = steps) then the partial."""
    chunks = [t for t in fig["data"] if t.get("name", "").startswith(label_start) and "customdata" in t]
    partial = [t for t in fig["data"] if t.get("name", "").startswith(label_start) and t.get("showlegend")]
    pts = {}
    for t in chunks:
        for s, x, y in zip(arr(t["customdata"]), arr(t["x"]), arr(t["y"])):
            pts[int(s)] = (x, y)
    out = np.array([pts[s] for s in sorted(pts)])
    tail = np.stack([arr(partial[0]["x"]), arr(partial[0]["y"])], axis=1)
    return np.concatenate([out, tail[1:]]) if len(out) else tail


# --- your own formula ------------------------------------------------------------------------------

def test_a_formula_from_the_box_draws_its_surface_and_travels_in_the_link():
    at = app()
    at.selectbox(key="pg.surface").set_value(state.FORMULA).run()
    ok(at)
    at.text_input(key="pg.f").set_value("(1-x)^2 + 100*(y-x^2)^2").run()
    at.text_input(key="pg.xr").set_value("-2, 2").run()
    at.text_input(key="pg.yr").set_value("-1, 3").run()
    ok(at)
    q = link(at)
    assert q["surface"] == ["formula"] and q["f"] == ["(1-x)^2 + 100*(y-x^2)^2"]
    assert q["xr"] == ["-2/2"] and q["yr"] == ["-1/3"]
    assert chart(at)["layout"]["xaxis"]["range"] == [-2.0, 2.0]
    # The path drawn is the library's run on that formula surface.
    s = surfaces.from_formula("(1-x)^2 + 100*(y-x^2)^2", (-2, 2), (-1, 3))
    sc = state.decode({k: v for k, v in q.items()}, state.Scenario("bowl", (), (0, 0), 1)).scenario
    run = sc.runs[0]
    want = optimizers.run(optimizers.get(run.name, **run.kwargs), s, sc.start, sc.steps).points
    got = drawn_path(chart(at), optimizers.spec(run.name).label)
    finite = want[np.isfinite(want).all(axis=1)]
    np.testing.assert_array_equal(got, finite[: len(got)].astype(np.float32))


@pytest.mark.parametrize("bad, needle", [
    ("x**", "at the end"),
    ("x + * y", "column"),
    ("foo(x)", "foo"),
    ("__import__('os')", "__import__"),
    ("3 + 4", "constant"),
    ("9**9**9**9", ""),
])
def test_a_bad_formula_is_named_under_the_box_and_the_last_good_surface_stays(bad, needle):
    at = app()
    at.selectbox(key="pg.surface").set_value(state.FORMULA).run()
    good = link(at)
    at.text_input(key="pg.f").set_value(bad[:200] if len(bad) > 200 and needle != "200" else bad).run()
    ok(at)
    errors = [e.value.replace("\\", "") for e in at.error]  # the message is escaped markdown
    assert errors, "no message under the formula box"
    assert needle in errors[0], errors
    assert link(at) == good, "a bad formula changed what is shown"
    assert "pg.chart" in charts(at)


def test_a_ten_thousand_character_formula_in_a_link_is_refused_naming_the_limit():
    at = app(surface="formula", f="x+" * 5000 + "y", xr="-1/1", yr="-1/1", opt=["sgd,lr=0.1"], steps="10")
    notices = [w.value.replace("\\", "") for w in at.warning]
    assert len(notices) == 1 and "10001 characters" in notices[0], notices
    assert link(at)["surface"] == ["bowl"]


def test_a_hostile_formula_in_the_link_is_refused_with_one_notice():
    at = app(surface="formula", f="__import__('os').system('x')", xr="-1/1", yr="-1/1",
             opt=["sgd,lr=0.1"], steps="10")
    notices = [w.value for w in at.warning]
    assert len(notices) == 1 and "formula" in notices[0], notices
    assert link(at)["surface"] == ["bowl"]


# --- learning-rate schedules ------------------------------------------------------------------------

def test_a_schedule_changes_the_path_adds_the_lr_chart_and_travels_in_the_link():
    at = app()
    before = drawn_path(chart(at), "Adam")
    at.toggle(key="pg.advanced").set_value(True).run()
    at.selectbox(key="pg.run.1.sched").set_value("step").run()
    at.number_input(key="pg.run.1.sched.step_size").set_value(5).run()
    ok(at)
    opt = link(at)["opt"][1]
    assert opt.startswith("adam,lr=0.2,schedule=step:step_size=5:gamma="), opt
    assert "pg.lrs" in charts(at)
    lrs = arr(chart(at, "pg.lrs")["data"][0]["y"])
    sched = state.schedule_of(opt.split("schedule=")[1])
    np.testing.assert_allclose(lrs, sched.lrs(0.2, 30).astype(np.float32))
    after = drawn_path(chart(at), "Adam")
    assert not np.array_equal(before, after)
    want = optimizers.run(optimizers.get("adam", lr=0.2), surfaces.get("bowl"), (-7, 2), 30,
                          schedule=sched).points
    np.testing.assert_array_equal(after, want.astype(np.float32))


def test_a_schedule_from_a_link_round_trips_and_a_bad_one_is_named():
    q = dict(QUERY, opt=["sgd,lr=0.5,schedule=cosine:T_max=30:eta_min=0"])
    at = app(**q)
    assert not at.warning and link(at)["opt"] == q["opt"]
    at = app(**dict(QUERY, opt=["sgd,lr=0.5,schedule=cosine:T_max=-3"]))
    notices = [w.value for w in at.warning]
    assert len(notices) == 1 and "T_max" in notices[0].replace("\\", ""), notices
    assert link(at)["opt"] == ["sgd,lr=0.5"]


# --- real minibatches, noise clouds, standardizing --------------------------------------------------

LINE = {"surface": "least_squares", "opt": ["sgd,lr=0.04"], "x0": "0", "y0": "0", "steps": "40"}


def test_minibatches_on_a_data_surface_are_the_library_path_and_travel_in_the_link():
    at = app(**LINE)
    at.select_slider(key="pg.batch").set_value(4).run()
    ok(at)
    assert link(at)["batch"] == ["4"]
    want = optimizers.run(optimizers.get("sgd", lr=0.04), surfaces.get("least_squares"), (0, 0), 40,
                          batch_size=4, seed=0).points
    np.testing.assert_array_equal(drawn_path(chart(at), "SGD"), want.astype(np.float32))
    full = optimizers.run(optimizers.get("sgd", lr=0.04), surfaces.get("least_squares"), (0, 0), 40).points
    assert not np.array_equal(want, full)


def test_batch_on_a_surface_without_data_is_named():
    at = app(**dict(QUERY, batch="4"))
    notices = [w.value for w in at.warning]
    assert len(notices) == 1 and "batch" in notices[0]


def test_a_noise_cloud_draws_k_faint_runs_around_their_mean():
    at = app(**dict(QUERY, noise="0.5", seed="3", cloud="10"))
    fig = chart(at)
    clouds = [t for t in fig["data"] if t.get("name", "").endswith("noisy runs")]
    assert len(clouds) == 2
    xs = arr(clouds[0]["x"])
    assert np.isnan(xs).sum() == 10  # ten runs, each ended by a break
    members = optimizers.run(optimizers.get("sgd", lr=0.95), surfaces.get("bowl"),
                             np.tile([-7.0, 2.0], (10, 1)), 30, noise=0.5, seed=3).points
    mean = np.nanmean(members, axis=1)
    np.testing.assert_array_equal(drawn_path(fig, "SGD"), mean.astype(np.float32))


def test_a_minibatch_cloud_is_one_run_per_seed_each_as_its_link_shows_it_alone():
    at = app(**dict(LINE, batch="4", seed="2", cloud="5"))
    ok(at)
    s = surfaces.get("least_squares")
    members = np.stack([optimizers.run(optimizers.get("sgd", lr=0.04), s, (0, 0), 40, seed=2 + j,
                                       batch_size=4).points for j in range(5)], axis=1)
    assert not np.array_equal(members[:, 0], members[:, 1])  # each seed its own order of the data
    np.testing.assert_array_equal(drawn_path(chart(at), "SGD"), members.mean(axis=1).astype(np.float32))
    # The first member is exactly the path the same link without a cloud draws.
    alone = app(**dict(LINE, batch="4", seed="2"))
    np.testing.assert_array_equal(drawn_path(chart(alone), "SGD"), members[:, 0].astype(np.float32))


def test_standardizing_the_inputs_switches_to_the_round_bowl():
    at = app(**LINE)
    at.toggle(key="pg.std.least_squares").set_value(True).run()
    ok(at)
    assert link(at)["surface"] == ["least_squares_std"]
    at.toggle(key="pg.std.least_squares_std").set_value(False).run()
    assert link(at)["surface"] == ["least_squares"]


# --- inside one step ---------------------------------------------------------------------------------

def test_inside_one_step_draws_the_recorded_arrows_and_numbers():
    at = app()
    at.toggle(key="pg.inside").set_value(True).run()
    at.slider(key="pg.inside_step").set_value(10).run()
    ok(at)
    tr = optimizers.run(optimizers.get("adam", lr=0.2), surfaces.get("bowl"), (-7, 2), 30, record=True)
    table = [m.value for m in at.markdown if "step size (x, y)" in m.value]
    assert table, "no inside-one-step table"
    s = tr.step_sizes[10] if hasattr(tr, "step_sizes") and tr.step_sizes is not None else tr.step_size[10]
    assert f"{s[0]:.3g}, {s[1]:.3g}" in table[0]
    arrows = [a for a in chart(at)["layout"]["annotations"] if a.get("showarrow")]
    solid = [a for a in arrows if a.get("arrowwidth") == 3.5]
    assert len(solid) == 2  # one step taken per run
    adam = [a for a in solid if abs(a["ax"] - tr.points[10, 0]) < 1e-9 and abs(a["ay"] - tr.points[10, 1]) < 1e-9]
    assert adam and np.allclose([adam[0]["x"], adam[0]["y"]], tr.points[11], atol=1e-9)
    # Adam's step stays about η long on both axes where SGD's does not: what the view is for.
    assert np.all(np.abs(tr.updates[10]) <= 0.2 * 1.05)


CUT_LINK = ("surface=least_squares&opt=sgd,lr=0.04,schedule=step:step_size=10:gamma=0.5&opt=adam,lr=0.5"
            "&x0=0&y0=0&steps=60&batch=4&cloud=10")


@pytest.mark.parametrize("k", [0, 3, 20])
def test_an_arrow_that_would_leave_the_plot_stops_at_its_edge(k):
    """Annotations are not clipped by the plot: an arrow past the window is cut at its edge,
    in its own direction, and its name says so; the others are drawn exactly as recorded.
    Each thin arrow (and each cut one) is named at its head, inside the window."""
    from ui import cache
    from viz import figures
    sc = cache.scenario(CUT_LINK)
    s = surfaces.get(sc.surface)
    views = cache.inside_step(CUT_LINK, k)
    drawn = figures.step_arrows(s, views)
    arrows = [a for a in drawn if a.get("showarrow")]
    names = [a for a in drawn if not a.get("showarrow")]
    (x0, x1), (y0, y1) = s.x_range, s.y_range
    eps = 1e-9 * s.span
    wanted = []
    for v in views:
        if not s.contains(v.point):  # a path that left the window: no arrows
            continue
        wanted.append((-v.lr * v.grad, "−η·g"))
        if v.memory is not None:
            wanted.append((-v.lr * v.memory, "−η·memory"))
        wanted.append((v.update, "step"))
    wanted = [(w, name) for w, name in wanted if np.any(w)]
    assert len(arrows) == len(wanted)
    cut, named = 0, iter(names)
    for a, (w, name) in zip(arrows, wanted):
        vec = np.array([a["x"] - a["ax"], a["y"] - a["ay"]])
        assert x0 - eps <= a["x"] <= x1 + eps and y0 - eps <= a["y"] <= y1 + eps, a
        shortened = not np.allclose(vec, w, rtol=1e-12, atol=1e-12)
        if shortened:
            cut += 1
            assert abs(vec[0] * w[1] - vec[1] * w[0]) <= 1e-9 * np.dot(w, w)  # the same direction
            assert 0 < np.dot(vec, w) < np.dot(w, w)                          # and shorter
        if name != "step" or shortened:  # named at its head, "…" if cut
            label = next(named)
            assert (label["x"], label["y"]) == (a["x"], a["y"])
            assert label["text"] == name + (figures.CUT if shortened else "")
            if shortened:  # anchored inward at the edge it stops on, beside the head
                on_x = "right" if abs(a["x"] - x1) <= eps else "left" if abs(a["x"] - x0) <= eps else None
                on_y = "top" if abs(a["y"] - y1) <= eps else "bottom" if abs(a["y"] - y0) <= eps else None
                assert on_x or on_y
                assert (label["xanchor"], label["yanchor"]) == (on_x or "left", on_y or "bottom")
    assert next(named, None) is None
    if k == 3:
        assert cut >= 1  # Adam's −η·g at η = 0.5 reaches far past this window (issue10 screenshot)
    fig = cache.contour_inside(CUT_LINK, 600, None, k).thawed()
    assert fig["layout"]["annotations"][-len(drawn):] == drawn


INSIDE_LINKS = [
    "surface=bowl&opt=sgd,lr=0.95&opt=adam,lr=0.2&x0=-7&y0=2&steps=30",
    "surface=rosenbrock&opt=sgd,lr=0.001,schedule=cosine%3AT_max=100&opt=adam,lr=0.05"
    "&x0=-1.5&y0=2&steps=300&noise=0.5&seed=3",
    "surface=logistic&opt=momentum,lr=0.3&opt=adam,lr=0.1&x0=-2&y0=2&steps=200&batch=5&seed=2",
]


@pytest.mark.parametrize("link", INSIDE_LINKS)
def test_inside_one_step_numbers_are_those_of_the_whole_run(link):
    """The step's numbers come from a run only as long as step k needs (a bucket of steps):
    they equal, bit for bit, the recorded run of the view's full length, noise, schedule and
    minibatch order included."""
    from ui import cache
    sc = cache.scenario(link)
    for k in sorted({0, 3, min(57, sc.steps - 1), sc.steps - 1}):
        _same_step(sc, k, cache.inside_step(link, k))


def _same_step(sc, k, views):
    assert len(views) == len(sc.runs)
    for run, view in zip(sc.runs, views):
        full = optimizers.run(optimizers.get(run.name, **run.kwargs), surfaces.get(sc.surface), sc.start,
                              sc.steps, noise=sc.noise, seed=sc.seed, schedule=run.schedule_obj(),
                              batch_size=sc.batch or None, record=True)
        assert view.step == k
        np.testing.assert_array_equal(view.point, full.points[k])
        np.testing.assert_array_equal(view.grad, full.grads[k])
        np.testing.assert_array_equal(view.update, full.updates[k])
        if full.memory is not None:
            np.testing.assert_array_equal(view.memory, full.memory[k])


@pytest.mark.parametrize("link", INSIDE_LINKS)
def test_inside_one_step_adds_its_arrows_to_the_cached_figure(link):
    """The figure with arrows is the cached contour figure plus annotations: the same traces
    and frames (not rebuilt), and the same JSON as building it with its arrows from scratch."""
    from ui import cache
    from viz import figures
    sc = cache.scenario(link)
    plain, inside = cache.contour(link, 600, None), cache.contour_inside(link, 600, None, 3)
    assert inside._data is plain._data and inside._frames is plain._frames  # shared, not encoded again
    built = figures.contour_figure(surfaces.get(sc.surface), cache.grid(sc.surface), cache.paths(sc),
                                   sc.start, height=600, arrows=cache.inside_step(link, 3))
    assert inside.json() == built.json()
    assert len([a for a in inside.thawed()["layout"]["annotations"] if a.get("showarrow")]) >= 2


def test_arrows_that_would_take_the_figure_over_budget_rebuild_it_with_fewer_frames(monkeypatch):
    from ui import cache
    from viz import figures
    link = INSIDE_LINKS[1]
    plain = cache.contour(link, 600, None)
    monkeypatch.setattr(figures, "CHART_BUDGET", figures.sent_size(plain) + 100)
    cache.contour_inside.cache_clear()
    try:
        inside = cache.contour_inside(link, 600, None, 3)
    finally:
        cache.contour_inside.cache_clear()
    assert inside._data is not plain._data
    assert len(inside.thawed()["frames"]) < len(plain.thawed()["frames"])
    assert figures.sent_size(inside) <= figures.CHART_BUDGET
    assert any(a.get("showarrow") for a in inside.thawed()["layout"]["annotations"])


def test_arrow_names_that_would_meet_are_stacked_a_line_apart():
    """At Momentum's first step its memory is the gradient itself: −η·g and −η·memory are the
    same arrow, and their names would be written over each other; the second one moves a line
    further out.  Names far apart keep their place."""
    from viz import figures

    s = surfaces.get("bowl")
    g = s.grad(np.array([-7.0, 2.0]))
    same = figures.StepView("momentum", "Momentum", 0, 0, 0.1, np.array([-7.0, 2.0]), g, g.copy(), -0.1 * g, None)
    names = [a for a in figures.step_arrows(s, [same]) if not a.get("showarrow")]
    assert [n["text"] for n in names] == ["−η·g", "−η·memory"]
    assert (names[0]["x"], names[0]["y"]) == (names[1]["x"], names[1]["y"])
    # the arrow points down (−g_y < 0): its names grow downwards, the second a line lower
    assert names[0]["yanchor"] == names[1]["yanchor"] == "top"
    assert names[0].get("yshift", 0) == 0 and names[1]["yshift"] == -figures.NAME_LINE
    apart = same._replace(memory=np.array([g[0], -g[1]]))  # the memory points the other way in y
    names = [a for a in figures.step_arrows(s, [apart]) if not a.get("showarrow")]
    assert all(n.get("yshift", 0) == 0 for n in names)


def test_a_schedule_argument_the_schedule_refuses_is_named_and_the_path_keeps_its_schedule():
    """A start factor of 0 is inside the box's range but refused by the schedule (torch's rule:
    0 < start_factor <= 1): the sidebar says so, naming the value, and the path and the link keep
    the schedule they had."""
    at = app()
    at.toggle(key="pg.advanced").set_value(True).run()
    at.selectbox(key="pg.run.0.sched").set_value("linear").run()
    ok(at)
    good = link(at)["opt"][0]
    assert "schedule=linear" in good, good
    path = drawn_path(chart(at), "SGD")
    at.number_input(key="pg.run.0.sched.start_factor").set_value(0.0).run()
    ok(at)
    notes = [w.value.replace("\\", "") for w in at.sidebar.warning]
    assert len(notes) == 1, notes
    assert "start_factor=0" in notes[0] and "greater than 0" in notes[0], notes
    assert f"keeps {optimizers.schedules.spec('linear').label} until" in notes[0], notes
    assert link(at)["opt"][0] == good
    np.testing.assert_array_equal(drawn_path(chart(at), "SGD"), path)
    at.number_input(key="pg.run.0.sched.start_factor").set_value(0.5).run()
    ok(at)
    assert not at.sidebar.warning, [w.value for w in at.sidebar.warning]
    assert "start_factor=0.5" in link(at)["opt"][0], link(at)["opt"][0]
