"""The load test's protocol client, a CI-sized load, the replicas behind HAProxy, and one
check of the client against a real browser.

The client is checked three ways: its widget encodings against the widget
protos (no server); a tiny app with a fragment, where the page itself counts
full and fragment runs; and the real app under a short load (any error fails).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from streamlit.proto.Element_pb2 import Element

import surfaces
from deploy.processes import HAPROXY, AppProcess, School, free_port, healthy, render_config
from tools.loadtest import widgets as wd
from tools.loadtest.report import summary
from tools.loadtest.session import AppSession, SessionError
from tools.loadtest.students import Config, run_round


def _run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API (a session-wide
    fixture) keeps an event loop running in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


# --- widget encodings, from protos alone ---------------------------------------------


def _widget(kind: str, fragment_id: str = "", **fields) -> wd.Widget:
    el = Element()
    getattr(el, kind).SetInParent()
    proto = getattr(el, kind)
    for k, v in fields.items():
        if isinstance(v, list):
            getattr(proto, k)[:] = v
        else:
            setattr(proto, k, v)
    return wd.from_element(el, fragment_id)


def test_select_slider_travels_as_formatted_option_strings():
    from streamlit.proto.Slider_pb2 import Slider
    w = _widget("slider", id="s", type=Slider.SELECT_SLIDER, data_type=Slider.INT,
                options=["1e-3", "0.01", "0.1"], default=[1.0], min=0, max=2, step=1)
    assert w.kind == "select_slider"
    first = wd.reported_state(w, None)
    assert first.WhichOneof("value") == "string_array_value" and wd.decode(first) == ["0.01"]
    rng = random.Random(0)
    for _ in range(20):
        new = wd.random_change(w, first, rng)
        assert wd.decode(new) in (["1e-3"], ["0.1"])


def test_numeric_widgets_stay_on_their_grid():
    from streamlit.proto.NumberInput_pb2 import NumberInput
    from streamlit.proto.Slider_pb2 import Slider
    rng = random.Random(1)
    s = _widget("slider", id="a", type=Slider.SLIDER, data_type=Slider.INT, min=0, max=10, step=2, default=[4.0])
    n = _widget("number_input", id="n", data_type=NumberInput.INT, has_min=True, has_max=True,
                min=0, max=5, step=1, default=2)
    f = _widget("number_input", id="f", data_type=NumberInput.FLOAT, has_min=True, has_max=False,
                min=-1, step=0.25, default=0.5)
    for _ in range(50):
        v = wd.decode(wd.random_change(s, wd.reported_state(s, None), rng))
        assert len(v) == 1 and v[0] in {0, 2, 6, 8, 10}
        st = wd.random_change(n, wd.reported_state(n, None), rng)
        assert st.WhichOneof("value") == "int_value" and st.int_value in {0, 1, 3, 4, 5}
        st = wd.random_change(f, wd.reported_state(f, None), rng)
        assert st.WhichOneof("value") == "double_value" and st.double_value >= -1
        assert (st.double_value / 0.25) == int(st.double_value / 0.25) and st.double_value != 0.5


def test_option_widgets_checkboxes_and_buttons():
    from streamlit.proto.Checkbox_pb2 import Checkbox
    rng = random.Random(2)
    sb = _widget("selectbox", id="sb", options=["a", "b"], default=0)
    assert wd.decode(wd.reported_state(sb, None)) == "a"
    assert wd.random_change(sb, wd.reported_state(sb, None), rng).string_value == "b"
    ms = _widget("multiselect", id="ms", options=["x", "y", "z"], default=[0])
    assert wd.decode(wd.reported_state(ms, None)) == ["x"]
    picked = wd.decode(wd.random_change(ms, wd.reported_state(ms, None), rng))
    assert picked and set(picked) <= {"x", "y", "z"} and picked != ["x"]
    tg = _widget("checkbox", id="t", type=Checkbox.TOGGLE, default=False)
    assert tg.kind == "toggle" and wd.random_change(tg, wd.reported_state(tg, None), rng).bool_value is True
    pills = _widget("button_group", id="p", style=1)  # PILLS, single select
    pills.proto.options.add(content="Banana valley")
    pills.proto.options.add(content="Saddle")
    assert pills.kind == "pills" and wd.decode(wd.reported_state(pills, None)) == []
    assert wd.decode(wd.random_change(pills, wd.reported_state(pills, None), rng)) in (["Banana valley"], ["Saddle"])
    bt = _widget("button", fragment_id="f1", id="b")
    assert wd.reported_state(bt, None) is None  # a button holds nothing between clicks
    assert wd.random_change(bt, None, rng).trigger_value is True and bt.fragment_id == "f1"


def test_value_set_by_the_script_wins_and_untouchables_are_skipped():
    prev = wd.reported_state(_widget("checkbox", id="c", default=False), None)
    prev.bool_value = True  # the student ticked it
    assert wd.reported_state(_widget("checkbox", id="c", default=False), prev).bool_value is True
    assert wd.reported_state(_widget("checkbox", id="c", default=False, set_value=True, value=False),
                             prev).bool_value is False
    picked = wd.reported_state(_widget("selectbox", id="s", options=["a", "b"]), None)
    assert picked is None  # index=None: nothing to report until a student picks
    picked = wd._encode(_widget("selectbox", id="s", options=["a", "b"]), "b")
    cleared = _widget("selectbox", id="s", options=["a", "b"], set_value=True)  # the script reset it
    assert wd.reported_state(cleared, picked) is None
    assert not _widget("checkbox", id="d", disabled=True).drivable
    assert not _widget("selectbox", id="e", options=["a", "b"], form_id="form").drivable
    assert _widget("selectbox", id="e", options=["a", "b"]).drivable


def test_percentiles_and_capacity_from_a_sweep():
    from tools.loadtest.report import percentile, sessions_at
    from tools.loadtest.students import Interaction, Round

    assert percentile([3, 1, 2, 4], 50) == 2 and percentile(list(range(1, 101)), 95) == 95

    def level(n, p95):
        return Round(Config(url="", sessions=n), interactions=[Interaction("slider", p95, False, 0)])

    sweep = [level(10, 0.2), level(20, 0.6), level(40, 1.4)]
    assert sessions_at(sweep, 1.0) == pytest.approx(30)
    assert sessions_at(sweep, 0.1) is None and sessions_at(sweep, 5) == 40


def test_the_report_names_the_slowest_controls_by_median_latency():
    from tools.loadtest.report import slowest
    from tools.loadtest.students import Interaction, Round

    r = Round(Config(url="", sessions=2), interactions=(
        [Interaction("select_slider", t, False, 0, "Steps") for t in (0.30, 0.31, 0.32, 0.33, 9.0)]
        + [Interaction("toggle", t, False, 0, "Advanced") for t in (0.05, 0.06, 0.07, 0.08, 0.09)]
        + [Interaction("selectbox", 5.0, False, 0, "Surface")] * 2))  # too few to rank
    line = slowest(r)
    assert line.startswith("select_slider 'Steps' 0.32 s (x5)")  # the median, not the outlier
    assert "toggle 'Advanced' 0.07 s (x5)" in line and "Surface" not in line
    assert slowest(Round(Config(url="", sessions=1))) == "n/a"


# --- a tiny app with a fragment: the page counts its own runs ----------------------------

FRAGMENT_APP = '''
import streamlit as st
ss = st.session_state
ss.setdefault("full", 0)
ss.setdefault("frag", 0)
ss.full += 1
a = st.slider("a", 0, 10, 3, key="a")
st.select_slider("pick", options=["x", "y", "z"], value="y", key="pick")

@st.fragment
def part():
    ss.frag += 1
    st.sidebar.number_input("n", 0.0, 1.0, 0.5, step=0.25, key="n")
    if st.button("go", key="go"):
        st.write("clicked")
    st.write(f"frag={ss.frag} n={ss.n}")

part()
st.write(f"full={ss.full} a={a} pick={ss.pick}")
'''


class _Reader(AppSession):
    """An AppSession that also keeps the markdown the page shows."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.text: dict[tuple, str] = {}

    def _handle(self, data, run, fragment_id):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "delta" and msg.delta.new_element.WhichOneof("type") == "markdown":
            self.text[tuple(msg.metadata.delta_path)] = msg.delta.new_element.markdown.body
        return super()._handle(data, run, fragment_id)

    def shows(self, prefix: str) -> str:
        return next(t for t in self.text.values() if t.startswith(prefix))

    def widget(self, label: str) -> wd.Widget:
        return next(w for w in self.widgets.values() if w.label == label)


@pytest.fixture(scope="module")
def fragment_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fragment_app")
    (folder / "app.py").write_text(FRAGMENT_APP)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not healthy(url):
            assert proc.poll() is None and time.monotonic() < deadline, "fragment app did not start"
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def test_fragment_widgets_rerun_their_fragment_only(fragment_app):
    async def go():
        s = _Reader(fragment_app, timeout=20)
        await s.open()
        assert s.shows("full=") == "full=1 a=3 pick=y"
        n, a, go_ = s.widget("n"), s.widget("a"), s.widget("go")
        assert n.fragment_id and n.fragment_id == go_.fragment_id and not a.fragment_id

        r = await s.interact(a, wd._encode(a, [7]))  # a full rerun
        assert not r.fragment and s.shows("full=") == "full=2 a=7 pick=y"
        r = await s.interact(n, wd._encode(n, 1.0))  # the sidebar widget inside the fragment
        assert r.fragment and s.shows("frag=") == "frag=3 n=1.0"
        assert s.shows("full=") == "full=2 a=7 pick=y"  # the rest of the script did not run
        r = await s.interact(go_, wd._encode(go_, True))
        assert r.fragment and "clicked" in s.text.values()
        pick = s.widget("pick")
        r = await s.interact(pick, wd._encode(pick, ["z"]))
        # Every widget's state travels with each rerun: a and n kept their values.
        assert s.shows("full=") == "full=3 a=7 pick=z" and s.shows("frag=") == "frag=5 n=1.0"
        await s.close()

    _run(go())


def test_a_random_class_on_the_fragment_app_has_no_errors(fragment_app):
    r = _run(run_round(Config(url=fragment_app, sessions=4, seconds=4, ramp=0.5, timeout=20, seed=3)))
    assert r.error_count == 0, r.errors
    kinds = {i.kind for i in r.interactions}
    assert any(i.fragment for i in r.interactions) and len(kinds) >= 3, kinds


# --- the real app under a CI-sized load ---------------------------------------------------


def test_ci_sized_load_has_no_errors():
    """8 students x 15 s against the app as `make run` starts it; latency is not asserted
    (machines are noisy), errors are."""
    app = AppProcess()
    try:
        app.wait_healthy()
        from tools.loadtest.procstat import children
        r = _run(run_round(Config(url=app.url, sessions=8, seconds=15, ramp=1.0, timeout=60, seed=6),
                                  children(app.pid)))
    finally:
        app.stop()
    print(summary("CI load", r))
    assert r.error_count == 0, "\n".join(r.errors)
    assert len(r.interactions) >= 8 and r.script_runs > len(r.interactions)
    assert r.server_cpu and r.server_cpu > 0 and r.rss_peak >= r.rss_before > 0
    # every student's browser reported its column's width once the Playground was drawn, and
    # that it had loaded plotly.js
    assert sum(i.kind == wd.COLUMN_WIDTH for i in r.interactions) >= 8
    assert sum(i.kind == wd.PLOTLY_READY for i in r.interactions) >= 8


def test_a_student_reports_the_column_width_as_its_browser_would():
    """The column-width reporter is no control a student changes; its one report is a fragment
    rerun that draws the contour for that width, and an unchanged width is not sent again."""
    from ui import cache
    from viz import figures, presets

    async def go():
        s = _ChartReader(app.url, timeout=60)
        assert not (await s.open()).errors
        assert any(w.kind == wd.COLUMN_WIDTH for w in s.widgets.values())
        assert not any(w.kind == wd.COLUMN_WIDTH for w in s.drivable())
        s.charts.clear()
        r = await s.report_width(840)
        again = await s.report_width(840)
        await s.close()
        return s, r, again

    app = AppProcess()
    try:
        app.wait_healthy()
        s, r, again = _run(go())
    finally:
        app.stop()
    assert r is not None and r.fragment and not r.errors and again is None
    sc = presets.ZIGZAG
    fitted = figures.contour_figure(surfaces.get(sc.surface), cache.grid(sc.surface), cache.paths(sc), sc.start,
                                    width=840).thawed()["layout"]["height"]
    assert [c["layout"]["height"] for c in s.charts.values()][0] == fitted


def test_a_student_reports_plotly_js_loaded_as_its_browser_would():
    """The loader is no control a student changes; its one report is a fragment rerun after which
    the Playground's charts are kept elements carrying the same figures, and it is not sent again."""
    async def go():
        s = _ChartReader(app.url, timeout=60)
        assert not (await s.open()).errors
        assert any(w.kind == wd.PLOTLY_READY for w in s.widgets.values())
        assert not any(w.kind == wd.PLOTLY_READY for w in s.drivable())
        before = dict(s.charts)
        s.charts.clear()
        r = await s.report_ready()
        again = await s.report_ready()
        after = dict(s.charts)
        s.charts.clear()
        w = next(w for w in s.drivable() if w.kind in ("slider", "select_slider") and w.fragment_id)
        nudged = await s.interact(w, wd.random_change(w, s.states.get(w.id), random.Random(3)))
        await s.close()
        return before, r, again, after, nudged, dict(s.charts)

    app = AppProcess()
    try:
        app.wait_healthy()
        before, r, again, after, nudged, later = _run(go())
    finally:
        app.stop()
    assert r is not None and r.fragment and not r.errors and again is None
    assert sorted(map(json.dumps, before.values())) == sorted(map(json.dumps, after.values()))
    assert len(after) == 2 and not nudged.errors and later, "a nudge after the report drew no kept chart"


# --- a school: two replicas behind HAProxy -----------------------------------------------

needs_haproxy = pytest.mark.skipif(
    not os.access(HAPROXY, os.X_OK) and os.environ.get("CI", "").lower() != "true",
    reason=f"{HAPROXY} not found: install Debian's 'haproxy' package (make haproxy)")


def _get(url: str, cookie: str = "") -> tuple[int, str]:
    """(status, SERVERID the proxy set or "")."""
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()
        set_cookie = r.headers.get("Set-Cookie") or ""
    sid = set_cookie.split("SERVERID=", 1)[1].split(";", 1)[0] if "SERVERID=" in set_cookie else ""
    return r.status, sid


def test_haproxy_config_is_valid():
    cfg = render_config(8501, [40001, 40002], bind="0.0.0.0")
    assert "cookie SERVERID insert indirect nocache" in cfg
    assert "server r2 127.0.0.1:40002 check cookie r2" in cfg and "/_stcore/health" in cfg
    if not os.access(HAPROXY, os.X_OK):
        pytest.skip("haproxy not installed")
    path = Path(tempfile.mkdtemp()) / "h.cfg"
    path.write_text(cfg)
    try:
        check = subprocess.run([HAPROXY, "-c", "-f", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        shutil.rmtree(path.parent)


@needs_haproxy
def test_two_replicas_behind_haproxy():
    with School(2) as school:
        url = school.url
        # The proxy sets the affinity cookie, spreads new browsers, and honours the cookie.
        first = [_get(url + "/") for _ in range(8)]
        assert all(status == 200 for status, _ in first)
        assert {sid for _, sid in first} == {"r1", "r2"}
        assert _get(url + "/", "SERVERID=r2") == (200, "")  # a valid cookie is not set again

        async def sessions():
            on = {}
            for sid in ("r1", "r2"):
                s = AppSession(url, timeout=30)
                s.cookies["SERVERID"] = sid  # this browser was sent to `sid` before
                first = await s.open()
                assert not first.errors and s.cookies["SERVERID"] == sid and s.drivable()
                on[sid] = s
            for s in on.values():  # websockets pass through and rerun
                w = s.drivable()[0]
                assert not (await s.interact(w, wd.random_change(w, s.states.get(w.id), random.Random(0)))).errors

            # r1 dies: its session goes with it (it really was on r1), r2's session goes on.
            os.killpg(school.apps[0].pid, signal.SIGKILL)
            school.apps[0].proc.wait(10)
            w = on["r2"].drivable()[0]
            r = await on["r2"].interact(w, wd.random_change(w, on["r2"].states.get(w.id), random.Random(1)))
            assert not r.errors
            with pytest.raises(SessionError):
                w = on["r1"].drivable()[0]
                await on["r1"].interact(w, wd.random_change(w, on["r1"].states.get(w.id), random.Random(2)))
            for s in on.values():
                await s.close()

            # The proxy keeps serving: new browsers, and one whose cookie names the dead replica.
            deadline = time.monotonic() + 10  # the health check marks r1 down within ~6 s
            while time.monotonic() < deadline:
                assert _get(url + "/")[0] == 200
                await asyncio.sleep(0.5)
            assert _get(url + "/")[1] == "r2"
            s = AppSession(url, timeout=30)
            s.cookies["SERVERID"] = "r1"
            assert not (await s.open()).errors and s.cookies["SERVERID"] == "r2"
            await s.close()

        _run(sessions())


# --- the protocol client against a real browser ---------------------------------------------


def _decode_array(v):
    """Plotly JSON arrays: plain lists or {"dtype": "f8", "bdata": base64}."""
    import numpy as np
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).astype(float).tolist()
    return list(v or [])


def _spec_signature(spec: dict) -> list:
    """The client-side twin of tests/appserver.JS_SIGNATURE: the traces that are not backdrop."""
    # plotly.js names an unnamed trace "trace <index>".
    return [[t.get("name", f"trace {i}"), _decode_array(t.get("x")), _decode_array(t.get("y"))]
            for i, t in enumerate(spec["data"])
            if t.get("type", "scatter") != "contour" and t.get("name") != "click to start here"]


class _ChartReader(AppSession):
    """An AppSession that also keeps the plotly chart specs, in page order."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.charts: dict[tuple, dict] = {}

    def _handle(self, data, run, fragment_id):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "ref_hash":
            pass  # a chart sent before is unchanged: keep what we have
        elif msg.WhichOneof("type") == "delta" and msg.delta.new_element.WhichOneof("type") == "plotly_chart":
            self.charts[tuple(msg.metadata.delta_path)] = json.loads(msg.delta.new_element.plotly_chart.spec)
        elif msg.WhichOneof("type") == "delta" and msg.delta.new_element.WhichOneof("type") == "bidi_component" \
                and msg.delta.new_element.bidi_component.WhichOneof("data") == "bytes":  # a kept chart (ui/plotchart.py)
            self.charts[tuple(msg.metadata.delta_path)] = json.loads(msg.delta.new_element.bidi_component.bytes)["figure"]
        return super()._handle(data, run, fragment_id)


def _key_class(widget_id: str) -> str:
    """The CSS class Streamlit gives a keyed widget's container (st-key-<key>)."""
    key = widget_id.split("-", 2)[2] if widget_id.startswith("$$ID-") else widget_id
    return "st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


@pytest.mark.browser
def test_protocol_client_reruns_like_the_browser(browser, app_url):
    """Nudge the page's first slider in Chromium; set the same widget to the same value
    over the protocol; the app must write the same link and draw the same paths."""
    import numpy as np

    from tests.appserver import JS_SIGNATURE, VIEWPORT, wait_idle

    context = browser.new_context(viewport=VIEWPORT)
    try:
        pg = context.new_page()
        pg.goto(app_url + "/")
        wait_idle(pg)
        pg.wait_for_selector("[data-testid='stSlider']")  # the sidebar is drawn after the figure
        before = pg.evaluate(JS_SIGNATURE, 0)
        key_class = pg.evaluate("""() => { const s = document.querySelector("[data-testid='stSlider']");
            const c = s && s.closest("[class*='st-key-']");
            return c ? [...c.classList].find(x => x.startsWith('st-key-')) : null; }""")
        assert key_class, "the page's first slider has no key"
        handle = pg.locator(f".{key_class} [data-testid='stSlider'] input[type='range']")
        for _ in range(10):  # the first key presses after load can be dropped
            handle.focus()
            handle.press("ArrowRight")
            pg.wait_for_timeout(500)
            wait_idle(pg)
            if pg.evaluate(JS_SIGNATURE, 0) != before:
                break
        # What the thumb shows: a select_slider's formatted option (the DOM `value` can lag).
        value = handle.get_attribute("aria-valuetext")
        browser_query = urlsplit(pg.url).query
        browser_sig = pg.evaluate(JS_SIGNATURE, 0)
        assert browser_sig != before, f"pressing ArrowRight on {key_class} never changed the chart"
    finally:
        context.close()

    async def client():
        s = _ChartReader(app_url, timeout=60)
        assert not (await s.open()).errors
        w = next(w for w in s.drivable() if _key_class(w.id) == key_class)
        if w.kind == "select_slider":
            state = wd._encode(w, [value])
        else:
            state = wd._encode(w, [float(value)])
        r = await s.interact(w, state)
        assert not r.errors
        await s.close()
        return s

    s = _run(client())
    assert s.query_string == browser_query
    mine = _spec_signature(s.charts[min(s.charts)])
    theirs = json.loads(browser_sig)
    assert [t[0] for t in mine] == [t[0] for t in theirs]
    for (name, x, y), (_, bx, by) in zip(mine, theirs):
        assert np.allclose(x, bx, rtol=1e-6, atol=1e-9, equal_nan=True), name
        assert np.allclose(y, by, rtol=1e-6, atol=1e-9, equal_nan=True), name
