"""Kept charts (ui/plotchart.py), as the server sends them.

A new session draws Streamlit's own charts and a loader element that asks the browser to
report once the page has plotly.js; from that report on, every page's charts are elements
that keep their plot between reruns, fed the same figure JSON, and a click on one does what
the same click on Streamlit's chart did.  What the browser does with them (redrawn in place,
no frame without a chart, clicks) is in tests/test_browser.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests import test_app_issue9 as issue9
from tests.test_app_pages import app, charts, link_of, ok, open_page, specs
from ui import plotchart
from viz import presets

def kept(at: AppTest) -> dict[str, dict]:
    """Chart key -> what its kept element was sent (src, config, clicks and the figure)."""
    return {e.key[:-len(plotchart.KEPT)]: json.loads(e.proto.bytes)
            for e in at.get("bidi_component") if e.key and e.key.endswith(plotchart.KEPT)}


def loader(at: AppTest) -> dict:
    [e] = [e for e in at.get("bidi_component") if e.key == plotchart.READY]
    return json.loads(e.proto.json)


def report_ready(at: AppTest, value=True) -> AppTest:
    """Rerun as the loader does once the page has plotly.js."""
    at.session_state[plotchart.READY] = {"ready": value}
    return at.run()


def click_kept(at: AppTest, key: str, x: float, y: float, curve: int = 0, index: int = 0) -> AppTest:
    """Rerun as if the user had clicked the point (x, y) of kept chart ``key`` (the trigger the
    browser sends: one event in the element's event list; the point as ui/plotchart.py reports it)."""
    from streamlit.runtime.state.session_state import STREAMLIT_INTERNAL_KEY_PREFIX

    [e] = [e for e in at.get("bidi_component") if e.key == key + plotchart.KEPT]
    states = at._tree.get_widget_states()
    w = states.widgets.add()
    w.id = f"{STREAMLIT_INTERNAL_KEY_PREFIX}_{e.proto.id}__events"
    w.json_trigger_value = json.dumps([{"event": "select", "value": {"selection": {"points": [
        {"x": x, "y": y, "curve_number": curve, "point_number": index, "point_index": index}]}}}])
    return at._run(states)


def click_streamlit(at: AppTest, key: str, x: float, y: float) -> AppTest:
    """The same click on Streamlit's own chart (its selection, as the browser sends it)."""
    [c] = [c for c in at.get("plotly_chart") if c.proto.id.rsplit("-", 1)[-1] == key]
    states = at._tree.get_widget_states()
    w = states.widgets.add()
    w.id = c.proto.id
    w.string_value = json.dumps({"selection": {"points": [{"x": x, "y": y, "curve_number": 0, "point_number": 0,
                                                           "point_index": 0}], "point_indices": [0],
                                               "box": [], "lasso": []}})
    return at._run(states)


def test_a_new_session_draws_streamlits_charts_and_asks_its_browser_to_report_plotly_js():
    at = app()
    ok(at)
    assert sorted(charts(at)) == ["pg.chart", "pg.loss"] and kept(at) == {}
    assert loader(at) == {"preload": True, "ready": False}


def test_once_plotly_js_is_reported_the_playground_keeps_its_charts_with_the_same_figures():
    at = app()
    before = specs(at)
    report_ready(at)
    ok(at)
    assert not at.get("plotly_chart"), "Streamlit's charts are still drawn"
    got = kept(at)
    assert sorted(got) == ["pg.chart", "pg.loss"]
    for key, spec in before.items():
        assert got[key]["figure"] == json.loads(spec), key
        assert got[key]["config"]["displaylogo"] is False
    assert got["pg.chart"]["clicks"] is True and got["pg.chart"]["config"]["scrollZoom"] is False
    assert got["pg.loss"]["clicks"] is False
    assert loader(at)["ready"] is True


def test_a_kept_chart_follows_the_controls():
    at = report_ready(app())
    first = kept(at)["pg.chart"]["figure"]
    at.session_state["pg.steps"] = 15
    at.run()
    ok(at)
    assert kept(at)["pg.chart"]["figure"] != first
    assert link_of(at)["steps"] == ["15"]


@pytest.mark.parametrize("kept_charts", [False, True], ids=["streamlit", "kept"])
def test_a_click_on_the_contour_moves_the_start(kept_charts):
    at = app()
    if kept_charts:
        report_ready(at)
    click = click_kept if kept_charts else click_streamlit
    click(at, "pg.chart", 1.5, -0.75)
    ok(at)
    assert (link_of(at)["x0"], link_of(at)["y0"]) == (["1.5"], ["-0.75"])
    fig = kept(at)["pg.chart"]["figure"] if kept_charts else charts(at)["pg.chart"]
    start = next(t for t in fig["data"] if t.get("name") == "start")
    assert np.allclose([np.ravel(start["x"])[0], np.ravel(start["y"])[0]], [1.5, -0.75])


@pytest.mark.parametrize("report", ["yes", 1, None, [True], {"ready": True}])
def test_a_report_that_is_not_true_keeps_streamlits_charts(report):
    """A hand-made websocket message may report anything: only `true` switches."""
    at = report_ready(app(), report)
    ok(at)
    assert sorted(charts(at)) == ["pg.chart", "pg.loss"] and kept(at) == {}


@pytest.mark.parametrize("name, key", [("side_by_side", "sbs.chart"), ("surface_3d", "3d.chart"),
                                       ("lr_sweep", "lr.chart"), ("convergence_map", "map.chart")])
def test_every_page_keeps_its_chart_and_the_report_outlives_a_page_switch(name, key):
    before = specs(open_page(app(), name))[key]  # Streamlit's chart, in a session with no report
    at = report_ready(app())
    open_page(at, name)
    ok(at)
    assert not at.get("plotly_chart"), "Streamlit's chart is still drawn"
    assert kept(at)[key]["figure"] == json.loads(before)
    assert loader(at)["ready"] is True
    at.switch_page("app_pages/playground.py").run()
    ok(at)
    assert sorted(kept(at)) == ["pg.chart", "pg.loss"] and not at.get("plotly_chart")


def _sweep_point(at: AppTest) -> dict:
    return issue9.point(issue9.figure(at, "lr.chart"), 1, 77)  # on Momentum's curve


def _map_point(at: AppTest) -> dict:
    fig = issue9.figure(at, "map.chart")
    c = [c for c, t in enumerate(fig["data"]) if t.get("name") == "click to start here"][1]
    return issue9.point(fig, c, 1234)


@pytest.mark.parametrize("name, key, pick", [(issue9.SWEEP, "lr.chart", _sweep_point),
                                             (issue9.MAP, "map.chart", _map_point)])
def test_a_click_on_a_kept_sweep_or_map_does_what_it_did_on_streamlits_chart(name, key, pick):
    """The same point, clicked on Streamlit's chart and on the kept one: the same Playground opens."""
    outcome = []
    for keep in (False, True):
        at = issue9.open_page(name)
        p = pick(at)
        if keep:
            report_ready(at)
        at.query_params.clear()  # what the browser does on a page switch (AppTest would keep them)
        if keep:
            click_kept(at, key, p["x"], p["y"], p["curve_number"], p["point_index"])
        else:
            issue9.select(at, key, [p])
        ok(at)
        assert issue9.title(at) == "Optimizer playground"
        outcome.append((at.session_state["pg.scenario"], link_of(at)))
    assert outcome[0] == outcome[1]
