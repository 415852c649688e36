"""Every page under Streamlit's AppTest: renders, reacts to its widgets, reads and writes links.

AppTest cannot click on a chart (that logic is tested in test_tables.py) but it
runs the real session state, callbacks and query parameters.  Figures are read
back from what Streamlit would send: ``json.loads(chart.proto.spec)``.

Moving between pages: a browser drops the query string when the user follows
the navigation, AppTest keeps it, so ``open_page`` clears it first.
"""

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

import optimizers
import surfaces
from viz import presets, state
from viz.state import Run, View
from viz.tuning import tuned_lr

PAGES = {  # file -> (prefix, default view, chart keys)
    "playground": ("pg", presets.ZIGZAG, ["pg.chart", "pg.loss"]),
    "side_by_side": ("sbs", presets.TEXTBOOK, ["sbs.chart"]),
    "surface_3d": ("3d", presets.BY_KEY["saddle"].view, ["3d.chart"]),
}


def app(**query) -> AppTest:
    """The app opened with this query string (the playground is the default page)."""
    at = AppTest.from_file("../app.py", default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    return at


def open_page(at: AppTest, page: str, **query) -> AppTest:
    at.query_params.clear()
    for k, v in query.items():
        at.query_params[k] = v
    return at.switch_page(f"pages/lab/{page}.py").run()


def page(name: str, **query) -> AppTest:
    """A fresh session whose first page is ``name``, opened with ``query``."""
    if name == "playground":
        return app(**query)
    return open_page(app(), name, **query)


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def charts(at: AppTest) -> dict[str, dict]:
    """Chart key -> the figure as sent to the browser."""
    out = {}
    for c in at.get("plotly_chart"):
        key = c.proto.id.rsplit("-", 1)[-1]
        out[key] = json.loads(c.proto.spec)
    return out


def arr(v) -> np.ndarray:
    if isinstance(v, dict):
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(n) for n in v["shape"].split(",")]) if "shape" in v else a
    return np.asarray(v, dtype=float)


def path_trace(fig: dict, label_start: str) -> dict:
    """The full (faint) path of one optimizer on the contour: it carries every step."""
    hits = [t for t in fig["data"] if t.get("type") == "scatter" and t.get("opacity") == 0.35
            and t.get("name", "").startswith(label_start)]
    assert len(hits) == 1, [t.get("name") for t in fig["data"]]
    return hits[0]


def as_lists(params: dict) -> dict:
    return {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in params.items()}


def link_of(at: AppTest) -> dict:
    return as_lists(at.query_params)


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def expected_path(view: View, run: Run) -> np.ndarray:
    s = surfaces.get(view.surface)
    return optimizers.run(optimizers.get(run.name, **run.kwargs), s, view.start, view.steps,
                          noise=view.noise, seed=view.seed).points


# --- every page renders ---------------------------------------------------------

@pytest.mark.parametrize("name", PAGES)
def test_page_renders_its_default_view(name):
    prefix, default, keys = PAGES[name]
    at = page(name)
    ok(at)
    assert not warnings(at)
    assert len(at.title) == 1
    figs = charts(at)
    assert sorted(figs) == sorted(keys)
    for fig in figs.values():
        go.Figure(fig)  # what the browser gets passes Plotly's validator
    assert link_of(at) == as_lists(state.encode(default))  # the address bar shows the view
    assert at.session_state[f"{prefix}.surface"] == default.surface
    assert at.session_state[f"{prefix}.opts"] == [r.name for r in default.runs]
    main = figs[keys[0]]
    names = [t.get("name", "") for t in main["data"]]
    for r in default.runs:
        label = optimizers.spec(r.name).label
        assert any(n.startswith(label + " (η=") for n in names), (label, names)


def test_playground_draws_the_default_paths_exactly():
    at = page("playground")
    fig = charts(at)["pg.chart"]
    for r in presets.ZIGZAG.runs:
        t = path_trace(fig, optimizers.spec(r.name).label)
        want = expected_path(presets.ZIGZAG, r).astype(np.float32)
        np.testing.assert_array_equal(np.stack([arr(t["x"]), arr(t["y"])], axis=1), want)
    loss = charts(at)["pg.loss"]
    assert loss["layout"]["yaxis"]["type"] == "log"
    assert len(loss["data"]) == len(presets.ZIGZAG.runs)
    assert any("| Optimizer | Final loss |" in m.value for m in at.markdown)


def test_update_rules_page_shows_every_rule():
    at = page("update_rules")
    ok(at)
    bodies = [el.body for el in at.get("latex")]
    assert len(bodies) >= len(optimizers.names())
    for name in optimizers.names():
        assert any(optimizers.get(name).latex in b for b in bodies), name
    assert not at.get("plotly_chart")


# --- widgets change the picture --------------------------------------------------------

def test_learning_rate_slider_changes_the_path_and_the_link():
    at = page("playground")
    before = path_trace(charts(at)["pg.chart"], "SGD")
    at.select_slider(key="pg.opt.sgd.lr").set_value(0.2).run()
    ok(at)
    after = path_trace(charts(at)["pg.chart"], "SGD")
    assert after["name"] == "SGD (η=0.2)" and before["name"] == "SGD (η=0.95)"
    assert not np.array_equal(arr(before["y"]), arr(after["y"]))
    view = presets.ZIGZAG.with_(runs=(Run.of("sgd", lr=0.2), presets.ZIGZAG.runs[1]))
    np.testing.assert_array_equal(arr(after["x"]), expected_path(view, view.runs[0])[:, 0].astype(np.float32))
    assert link_of(at)["opt"] == ["sgd,lr=0.2", "adam,lr=0.3"]
    # Adam untouched
    np.testing.assert_array_equal(arr(path_trace(charts(at)["pg.chart"], "Adam")["x"]),
                                  expected_path(view, view.runs[1])[:, 0].astype(np.float32))


def test_steps_start_and_noise_change_the_picture():
    at = page("playground")
    at.select_slider(key="pg.steps").set_value(60).run()
    assert len(arr(path_trace(charts(at)["pg.chart"], "Adam")["x"])) == 61
    at.number_input(key="pg.x0").set_value(-3.0).run()
    fig = charts(at)["pg.chart"]
    start = next(t for t in fig["data"] if t.get("name") == "start")
    assert (start["x"], start["y"]) == ([-3.0], [2.0])
    assert arr(path_trace(fig, "Adam")["x"])[0] == -3.0
    clean = arr(path_trace(fig, "SGD")["y"])
    at.select_slider(key="pg.noise").set_value(0.5).run()
    noisy = arr(path_trace(charts(at)["pg.chart"], "SGD")["y"])
    assert not np.array_equal(clean, noisy)
    at.number_input(key="pg.seed").set_value(3).run()
    assert not np.array_equal(noisy, arr(path_trace(charts(at)["pg.chart"], "SGD")["y"]))
    ok(at)
    assert link_of(at) == as_lists(state.encode(presets.ZIGZAG.with_(steps=60, start=(-3.0, 2.0),
                                                                     noise=0.5, seed=3)))


def test_adding_an_optimizer_draws_it_with_its_tuned_rate():
    at = page("playground")
    at.multiselect(key="pg.opts").set_value(["sgd", "adam", "rmsprop"]).run()
    ok(at)
    assert at.session_state["pg.opt.rmsprop.lr"] == tuned_lr("bowl", "rmsprop")
    path_trace(charts(at)["pg.chart"], "RMSProp")
    assert len(charts(at)["pg.loss"]["data"]) == 3
    at.checkbox(key="pg.opt.rmsprop.centered").check().run()
    assert "rmsprop,centered=1," in link_of(at)["opt"][2]


@pytest.mark.parametrize("name", ["side_by_side", "surface_3d"])
def test_other_pages_react_to_their_widgets(name):
    prefix, default, keys = PAGES[name]
    at = page(name)
    first = default.runs[0]
    key = f"{prefix}.opt.{first.name}.lr"
    before = charts(at)[keys[0]]
    new_lr = 0.01 if first.lr != 0.01 else 0.02
    at.select_slider(key=key).set_value(new_lr).run()
    ok(at)
    after = charts(at)[keys[0]]
    label = f"{optimizers.spec(first.name).label} (η={new_lr:g})"
    assert label in [t.get("name") for t in after["data"]]
    assert before != after
    assert link_of(at)["opt"][0] == f"{first.name},lr={new_lr:g}"


def test_side_by_side_draws_one_panel_per_optimizer():
    at = page("side_by_side")
    fig = charts(at)["sbs.chart"]
    assert len(fig["layout"]["annotations"]) == 4
    at.multiselect(key="sbs.opts").set_value(["sgd", "adam", "nadam"]).run()
    ok(at)
    fig = charts(at)["sbs.chart"]
    assert [a["text"] for a in fig["layout"]["annotations"]] == [
        "<b>SGD (η=0.95)</b>", "<b>Adam (η=0.3)</b>", f"<b>NAdam (η={tuned_lr('bowl', 'nadam'):g})</b>"]


# --- presets ----------------------------------------------------------------------------

@pytest.mark.parametrize("key", presets.BY_KEY)
def test_preset_button_shows_the_lesson(key):
    view = presets.BY_KEY[key].view
    at = page("playground")
    at.button(key=f"pg.preset.{key}").click().run()
    ok(at)
    assert at.session_state["pg.surface"] == view.surface
    assert at.session_state["pg.opts"] == [r.name for r in view.runs]
    assert link_of(at) == as_lists(state.encode(view))
    fig = charts(at)["pg.chart"]
    assert fig["layout"]["xaxis"]["range"] == list(surfaces.get(view.surface).x_range)
    for r in view.runs:
        assert len(arr(path_trace(fig, optimizers.spec(r.name).label)["x"])) <= view.steps + 1


def test_preset_on_other_pages_and_it_clears_link_warnings():
    at = page("side_by_side", surface="foo")
    assert any("'foo'" in w for w in warnings(at))
    at.button(key="sbs.preset.banana").click().run()
    ok(at)
    assert at.session_state["sbs.surface"] == "rosenbrock"
    assert not warnings(at)
    assert len(charts(at)["sbs.chart"]["layout"]["annotations"]) == 4
    at = page("surface_3d")
    at.button(key="3d.preset.zigzag").click().run()
    ok(at)
    assert [t["name"] for t in charts(at)["3d.chart"]["data"] if t["type"] == "scatter3d"][:2] == [
        "SGD (η=0.95)", "Adam (η=0.3)"]


# --- links ---------------------------------------------------------------------------------

SHARED = View("rosenbrock", (Run.of("adam", lr=0.01, betas=(0.8, 0.99)),
                             Run.of("rmsprop", lr=0.001, centered=True),
                             Run.of("nesterov", lr=0.0005, momentum=0.5)),
              (-1.5, 2.5), 37, noise=0.1, seed=7)


def test_shared_link_round_trip_on_the_playground():
    at = app(**state.encode(SHARED))
    ok(at)
    assert not warnings(at)
    ss = at.session_state
    assert ss["pg.surface"] == "rosenbrock" and ss["pg.opts"] == ["adam", "rmsprop", "nesterov"]
    assert (ss["pg.opt.adam.betas.0"], ss["pg.opt.adam.betas.1"]) == (0.8, 0.99)
    assert ss["pg.opt.rmsprop.centered"] is True and ss["pg.opt.nesterov.momentum"] == 0.5
    assert (ss["pg.x0"], ss["pg.y0"], ss["pg.steps"], ss["pg.noise"], ss["pg.seed"]) == (-1.5, 2.5, 37, 0.1, 7)
    assert link_of(at) == as_lists(state.encode(SHARED))
    fig = charts(at)["pg.chart"]
    for r in SHARED.runs:
        t = path_trace(fig, optimizers.spec(r.name).label)
        np.testing.assert_array_equal(np.stack([arr(t["x"]), arr(t["y"])], axis=1),
                                      expected_path(SHARED, r)[: len(arr(t["x"]))].astype(np.float32))
        assert len(arr(t["x"])) == 38 or np.isnan(expected_path(SHARED, r)[len(arr(t["x"]))]).all()


def test_shared_link_to_side_by_side_and_3d():
    view = View("himmelblau", (Run.of("sgd", lr=0.01), Run.of("adam", lr=0.5)), (1.0, -1.0), 40,
                present=False)
    for name in ("side_by_side", "surface_3d"):
        prefix, _, keys = PAGES[name]
        at = page(name, **state.encode(view))
        ok(at)
        assert not warnings(at)
        assert at.session_state[f"{prefix}.surface"] == "himmelblau"
        assert link_of(at) == as_lists(state.encode(view))
        assert keys[0] in charts(at)


def test_link_with_a_value_off_the_slider_grid_keeps_it():
    at = app(opt=["sgd,lr=0.37"], steps="37", noise="0.3")
    ok(at)
    assert not warnings(at)
    assert at.session_state["pg.opt.sgd.lr"] == 0.37
    assert 0.37 in at.select_slider(key="pg.opt.sgd.lr").options or \
        "0.37" in at.select_slider(key="pg.opt.sgd.lr").options
    assert link_of(at)["opt"] == ["sgd,lr=0.37"] and link_of(at)["steps"] == ["37"]
    assert link_of(at)["noise"] == ["0.3"]


def test_malformed_link_warns_and_still_draws():
    at = app(surface="foo", opt=["nope", "sgd,lr=abc", "adam,lr=0.3"], steps="-5", x0="nan")
    ok(at)
    ws = warnings(at)
    for needle in ("'foo'", "'nope'", "lr='abc'", "steps='-5'", "x0='nan'"):
        assert sum(needle in w for w in ws) == 1, (needle, ws)
    figs = charts(at)
    assert sorted(figs) == ["pg.chart", "pg.loss"]
    # each bad piece fell back on its own: default surface, start and steps, tuned lr for SGD
    ss = at.session_state
    assert (ss["pg.surface"], ss["pg.x0"], ss["pg.steps"]) == ("bowl", -7.0, 30)
    assert ss["pg.opts"] == ["sgd", "adam"] and ss["pg.opt.sgd.lr"] == tuned_lr("bowl", "sgd")
    # and the address bar is cleaned up to what is shown
    assert link_of(at) == as_lists(state.encode(View(
        "bowl", (Run.of("sgd", lr=tuned_lr("bowl", "sgd")), Run.of("adam", lr=0.3)), (-7.0, 2.0), 30)))
    # the warnings stay until the next preset, not just for one run
    at.select_slider(key="pg.steps").set_value(40).run()
    assert len(warnings(at)) == len(ws)


def test_link_with_no_usable_optimizer_shows_the_default_ones():
    at = app(opt=["nope"])
    ok(at)
    assert any("No usable optimizer" in w for w in warnings(at))
    assert at.session_state["pg.opts"] == ["sgd", "adam"]
    assert "pg.chart" in charts(at)


# --- the view's own rules -----------------------------------------------------------------------

def test_surface_change_resets_the_start_and_the_rates():
    at = page("playground")
    at.number_input(key="pg.x0").set_value(-3.0).run()
    at.selectbox(key="pg.surface").set_value("himmelblau").run()
    ok(at)
    s = surfaces.get("himmelblau")
    assert (at.session_state["pg.x0"], at.session_state["pg.y0"]) == s.start
    for name in ("sgd", "adam"):
        assert at.session_state[f"pg.opt.{name}.lr"] == tuned_lr("himmelblau", name)
    fig = charts(at)["pg.chart"]
    start = next(t for t in fig["data"] if t.get("name") == "start")
    assert (start["x"][0], start["y"][0]) == s.start
    assert fig["layout"]["xaxis"]["range"] == list(s.x_range)
    assert link_of(at)["surface"] == ["himmelblau"]
    assert (link_of(at)["x0"], link_of(at)["y0"]) == ([f"{s.start[0]:g}"], [f"{s.start[1]:g}"])


def test_no_optimizer_selected_warns_without_error():
    at = page("playground")
    at.multiselect(key="pg.opts").set_value([]).run()
    ok(at)
    assert any("Pick at least 1 optimizer" in w for w in warnings(at))
    assert not at.get("plotly_chart")
    at.multiselect(key="pg.opts").set_value(["adam"]).run()
    ok(at)
    assert "pg.chart" in charts(at)


def test_side_by_side_needs_two():
    at = page("side_by_side")
    at.multiselect(key="sbs.opts").set_value(["adam"]).run()
    ok(at)
    assert any("Pick at least 2 optimizers" in w for w in warnings(at))
    assert not at.get("plotly_chart")


def test_nesterov_without_momentum_is_left_out_with_a_warning():
    at = page("playground")
    at.multiselect(key="pg.opts").set_value(["sgd", "adam", "nesterov"]).run()
    at.select_slider(key="pg.opt.nesterov.momentum").set_value(0.0).run()
    ok(at)
    hits = [w for w in warnings(at) if "Nesterov" in w]
    assert len(hits) == 1 and "momentum=0.0" in hits[0]
    fig = charts(at)["pg.chart"]
    path_trace(fig, "SGD"), path_trace(fig, "Adam")
    assert not [t for t in fig["data"] if t.get("name", "").startswith("Nesterov")]
    assert [o.split(",")[0] for o in link_of(at)["opt"]] == ["sgd", "adam"]


def test_presentation_mode_from_a_link():
    at = app(present="1")
    ok(at)
    assert not at.title  # no page title on the projector
    assert "pg.chart" in charts(at)
    assert link_of(at)["present"] == ["1"]
    assert any(b.label == "Exit presentation mode" for b in at.button)
    at.button(key="pg.exit").click().run()
    ok(at)
    assert [t.value for t in at.title] == ["Optimizer playground"]
    assert "present" not in link_of(at)


@pytest.mark.parametrize("name", optimizers.names())
def test_open_in_playground_from_the_update_rules(name):
    at = page("update_rules")
    at.button(key=f"rules.{name}").click().run()
    ok(at)
    assert [t.value for t in at.title] == ["Optimizer playground"]
    want = ["sgd"] if name == "sgd" else ["sgd", name]
    assert at.session_state["pg.opts"] == want
    assert at.session_state["pg.surface"] == "bowl"
    fig = charts(at)["pg.chart"]
    path_trace(fig, optimizers.spec(name).label)
    assert [o.split(",")[0] for o in link_of(at)["opt"]] == want


def test_going_back_to_a_page_keeps_its_settings():
    """Visit another page and come back: the playground should show what it showed."""
    at = page("playground")
    at.select_slider(key="pg.opt.sgd.lr").set_value(0.2).run()
    link = link_of(at)
    open_page(at, "side_by_side")
    ok(at)
    open_page(at, "playground")
    ok(at)
    assert at.session_state["pg.opts"] == ["sgd", "adam"], (
        f"playground came back with optimizers {at.session_state['pg.opts']} and link {link_of(at)}")
    assert link_of(at) == link
    assert "pg.chart" in charts(at)


def test_small_learning_rates_are_labelled_readably():
    at = page("playground")
    at.select_slider(key="pg.opt.sgd.lr").set_value(3e-4).run()
    ok(at)
    name = path_trace(charts(at)["pg.chart"], "SGD")["name"]
    assert name == "SGD (η=3e-4)", name
    labels = at.select_slider(key="pg.opt.sgd.lr").options
    assert not [o for o in labels if o.endswith("e0")], labels[:8]
