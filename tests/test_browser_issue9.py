"""The learning-rate sweep and convergence map pages (issue 9) in headless Chromium.

    .venv/bin/python -m pytest tests/test_browser_issue9.py -q -s   # -s prints the scrub latency

- Scrubbing the sweep's learning-rate slider with the mouse redraws the paths
  and moves the markers in the browser alone: no websocket message leaves the
  page and the script state never leaves ``notRunning``.  The time from the
  mouse input to the redrawn path is measured over 15 steps.
- A click on a map cell opens the Playground from that cell's start.
- A click on a point of a sweep curve opens the Playground at that rate.

Screenshots land in test-artifacts/screenshots/ (issue9-*.png).
"""

from __future__ import annotations

import statistics
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser fixture then skips (or fails under CI) with the reason
    PlaywrightTimeout = TimeoutError

from tests.appserver import IDLE, click_until, data_to_screen, wait_idle, wait_plot_still
from viz import maps, presets
from viz.state import surface_of

pytestmark = pytest.mark.browser

CHART = "document.querySelectorAll('.js-plotly-plot')[0]"
SCRIPT_STATE = "[data-testid='stApp']"
PLAYGROUND_TITLE = "Optimizer playground"

# Before any page script: count the websocket messages the page sends (every rerun
# request, widget change or selection is one), and time an input to the redrawn path.
INIT = """
window.__ws = {sends: 0};
const _send = WebSocket.prototype.send;
WebSocket.prototype.send = function (...args) { window.__ws.sends += 1; return _send.apply(this, args); };
window.__scrub = {t0: null, drawn: null, painted: null};
document.addEventListener('mousedown', (e) => {
    window.__scrub = {t0: e.timeStamp, drawn: null, painted: null};
}, true);
"""

# Once the chart is up: note every change of the script state, and when a path on the
# contour (subplot x2y2) is redrawn after the last mouse input (then one frame for paint).
WATCH = f"""() => {{
    const app = document.querySelector("{SCRIPT_STATE}");
    window.__states = [];
    new MutationObserver(() => window.__states.push(app.getAttribute('data-test-script-state')))
        .observe(app, {{attributes: true, attributeFilter: ['data-test-script-state']}});
    new MutationObserver((records) => {{
        const s = window.__scrub;
        if (s.t0 === null || s.drawn !== null) return;
        if (!records.some(r => r.target.closest && r.target.closest('.x2y2'))) return;
        s.drawn = performance.now();
        requestAnimationFrame(() => {{ s.painted = performance.now(); }});
    }}).observe({CHART}, {{attributes: true, attributeFilter: ['d'], subtree: true}});
}}"""

# What the scrubber shows: slider step, markers and paths as plotly.js holds them.
JS_SCRUB = f"""(k) => {{ const g = {CHART}, d = g._fullData;
    const xy = t => [Array.from(t.x || []), Array.from(t.y || [])];
    return {{active: g._fullLayout.sliders[0].active,
             markers: d.slice(k, 2 * k).map(xy), paths: d.slice(2 * k, 3 * k).map(xy)}}; }}"""

# The centre of every slider step on the page (plotly.js draws one tick per step).
JS_TICKS = f"""() => [...{CHART}.querySelectorAll('.slider-container .slider-tick-rect')]
    .map(t => {{ const r = t.getBoundingClientRect(); return [r.x + r.width / 2, r.y]; }})"""


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def open_page(page, url: str) -> None:
    page.add_init_script(INIT)
    page.goto(url)
    wait_idle(page, timeout=60_000)


def script_state(page) -> str:
    return page.get_attribute(SCRIPT_STATE, "data-test-script-state")


def sends(page) -> int:
    return page.evaluate("() => window.__ws.sends")


def wait_playground(page, old_path: str) -> None:
    """Until the Playground is shown, idle, with its chart."""
    page.wait_for_function("(p) => location.pathname !== p", arg=old_path, timeout=30_000)
    page.locator("h1", has_text=PLAYGROUND_TITLE).first.wait_for(timeout=30_000)
    wait_idle(page, timeout=30_000)


# --- scrubbing the learning rate needs no server ----------------------------------------------

def test_scrubbing_the_learning_rate_redraws_paths_without_the_server(page, app_url, shot):
    open_page(page, app_url + "/lr_sweep")
    assert script_state(page) == "notRunning"
    k = len(presets.SWEEP.runs)
    page.evaluate(WATCH)
    page.wait_for_timeout(500)
    sent = sends(page)
    first = page.evaluate(JS_SCRUB, k)
    ticks = page.evaluate(JS_TICKS)
    n = page.evaluate(f"() => {CHART}._fullLayout.sliders[0].steps.length")
    assert len(ticks) == n > 15, f"{len(ticks)} slider ticks for {n} steps"
    y_rail = page.evaluate(f"""() => {{ const r = {CHART}.querySelector('.slider-rail-rect')
        .getBoundingClientRect(); return r.y + r.height / 2; }}""")

    # A real drag of the grip, 20 steps to the left.
    grip = page.locator(".js-plotly-plot .slider-grip-rect").first.bounding_box()
    gx, gy = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
    target = first["active"] - 20
    page.mouse.move(gx, gy)
    page.mouse.down()
    page.mouse.move(ticks[target][0], gy, steps=12)
    page.mouse.up()
    page.wait_for_function(f"(a) => {CHART}._fullLayout.sliders[0].active === a", arg=target)
    page.wait_for_timeout(300)
    dragged = page.evaluate(JS_SCRUB, k)
    assert dragged["active"] == target
    for i in range(k):
        assert dragged["paths"][i] != first["paths"][i], f"path {i} did not change on the drag"
        assert dragged["markers"][i][0] != first["markers"][i][0], f"marker {i} did not move"
    # Every marker sits at the slider's rate (its label has three digits).
    label = float(page.evaluate(f"() => {CHART}._fullLayout.sliders[0].steps[{target}].label"))
    for i in range(k):
        assert dragged["markers"][i][0][0] == pytest.approx(label, rel=0.01)

    # 15 clicks on the rail, each on another step's tick: input -> redrawn path.
    order = [target - 3 - 2 * i if i % 2 == 0 else target + 3 + 2 * i for i in range(15)]
    order = [min(max(s, 0), n - 1) for s in order]
    latencies, previous = [], dragged
    for step in order:
        if step == previous["active"]:
            continue
        page.evaluate("() => { window.__scrub = {t0: null, drawn: null, painted: null}; }")
        page.mouse.click(ticks[step][0], y_rail)
        try:
            page.wait_for_function("() => window.__scrub.painted !== null", timeout=10_000)
        except PlaywrightTimeout:
            now = page.evaluate(JS_SCRUB, k)
            pytest.fail(f"clicked step {step} (from {previous['active']}): no path redrawn in 10 s; "
                        f"the slider is at {now['active']}, scrub timing {page.evaluate('() => window.__scrub')}, "
                        f"paths changed: {now['paths'] != previous['paths']}")
        now = page.evaluate(JS_SCRUB, k)
        assert now["active"] == step, f"clicked step {step}, the slider is at {now['active']}"
        assert now["paths"] != previous["paths"], f"step {step}: the paths did not change"
        assert now["markers"] != previous["markers"], f"step {step}: the markers did not move"
        s = page.evaluate("() => window.__scrub")
        latencies.append(s["painted"] - s["t0"])
        previous = now
    assert len(latencies) >= 14
    median = statistics.median(latencies)
    print(f"\nscrub step, mouse input to redrawn path (painted): median {median:.1f} ms over "
          f"{len(latencies)} steps; min {min(latencies):.1f}, max {max(latencies):.1f} ms "
          f"(issue target <= 100 ms)")
    # For the picture: a rate where every path shows (the last steps went down to 1e-5).
    show = min(range(n), key=lambda i: abs(float(page.evaluate(
        f"(i) => {CHART}._fullLayout.sliders[0].steps[i].label", i)) - 0.3))
    page.mouse.click(ticks[show][0], y_rail)
    page.wait_for_function(f"(a) => {CHART}._fullLayout.sliders[0].active === a", arg=show)
    page.wait_for_timeout(300)
    shot(page, "issue9-sweep-scrubbed")

    page.wait_for_timeout(500)  # anything the scrub might have triggered has had time to go out
    assert sends(page) == sent, f"scrubbing sent {sends(page) - sent} websocket messages to the server"
    assert page.evaluate("() => window.__states") == [], "the script ran while scrubbing"
    assert script_state(page) == "notRunning"
    assert median < 1000, f"median scrub step {median:.0f} ms"

    # The instruments see a rerun when there is one: a sidebar toggle is a message and a run.
    toggle = page.locator(".st-key-lr-advanced label").first
    for _ in range(3):
        toggle.click()
        try:
            page.wait_for_function("(n) => window.__ws.sends > n && window.__states.includes('running')",
                                   arg=sent, timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    else:
        pytest.fail(f"the control rerun went unseen: {sends(page) - sent} messages sent, script states "
                    f"{page.evaluate('() => window.__states')}")
    wait_idle(page)


# --- a click on a map cell opens the Playground from that start ---------------------------------

def test_a_map_cell_opens_the_playground_from_that_start(page, app_url, shot):
    open_page(page, app_url + "/convergence_map")
    shot(page, "issue9-map")
    s = surface_of(presets.MAP.surface)
    (x_lo, x_hi), (y_lo, y_hi) = page.evaluate(f"() => {{ const l = {CHART}._fullLayout;"
                                               "return [l.xaxis.range, l.yaxis.range]; }")
    assert (x_lo, x_hi) == pytest.approx(s.x_range) and (y_lo, y_hi) == pytest.approx(s.y_range)
    # Upper left of SGD's panel, off the minima; x and y differ in sign and size.
    want_x, want_y = x_lo + 0.35 * (x_hi - x_lo), y_lo + 0.8 * (y_hi - y_lo)
    click_until(page, lambda: data_to_screen(page, want_x, want_y), "() => location.pathname === '/'", None,
                "a map cell")
    wait_playground(page, "/convergence_map")
    q = query(page)
    x0, y0 = float(q["x0"][0]), float(q["y0"][0])
    xs, ys, _ = maps.starts_grid(s, 100)
    cell_x, cell_y = xs[1] - xs[0], ys[1] - ys[0]
    assert abs(x0 - want_x) <= cell_x, f"x0={x0}, clicked at x={want_x:.3f} (y0={y0}, y={want_y:.3f})"
    assert abs(y0 - want_y) <= cell_y, f"y0={y0}, clicked at y={want_y:.3f} (x0={x0}, x={want_x:.3f})"
    # Exactly a cell's start (as the link writes it), and the page's start fields agree.
    assert np.min(np.abs(xs - x0)) < 1e-3 and np.min(np.abs(ys - y0)) < 1e-3
    assert float(page.locator(".st-key-pg-x0 input").input_value()) == pytest.approx(x0, abs=1e-3)
    assert float(page.locator(".st-key-pg-y0 input").input_value()) == pytest.approx(y0, abs=1e-3)
    assert q["surface"] == [presets.MAP.surface]
    assert [o.split(",")[0] for o in q["opt"]] == [r.name for r in presets.MAP.runs]
    start = page.evaluate(f"() => {{ const s = {CHART}._fullData.find(t => t.name === 'start');"
                          "return [s.x[0], s.y[0]]; }")
    assert start == pytest.approx([x0, y0], abs=1e-3)
    shot(page, "issue9-map-click-playground")


# --- a click on a sweep curve opens the Playground at that rate --------------------------------------

# The SGD curve point farthest (on screen) from every other curve and marker, inside the plot:
# [index, lr, page x, page y].
JS_LONELY_POINT = f"""(k) => {{
    const g = {CHART}, d = g._fullData, L = g._fullLayout, xa = L.xaxis, ya = L.yaxis;
    const box = g.getBoundingClientRect();
    const px = (x, y) => [box.x + xa._offset + xa.c2p(x), box.y + ya._offset + ya.c2p(y)];
    const others = [];
    for (let c = 1; c < 2 * k; c++) {{
        const t = d[c];
        for (let j = 0; j < t.x.length; j++) if (t.y[j] > 0) others.push(px(t.x[j], t.y[j]));
    }}
    let best = null;
    const t = d[0];
    for (let j = 0; j < t.x.length; j++) {{
        if (!(t.y[j] > 0)) continue;
        const [x, y] = px(t.x[j], t.y[j]);
        if (x < box.x + xa._offset + 10 || x > box.x + xa._offset + xa._length - 10) continue;
        if (y < box.y + ya._offset + 10 || y > box.y + ya._offset + ya._length - 10) continue;
        const far = Math.min(...others.map(([u, v]) => Math.hypot(u - x, v - y)));
        const near = Math.min(...[-2, -1, 1, 2].filter(s => t.y[j + s] > 0)
            .map(s => {{ const [u, v] = px(t.x[j + s], t.y[j + s]); return Math.hypot(u - x, v - y); }}));
        if (near < 4) continue;  // points this close on the curve: either could be picked
        if (!best || far > best.far) best = {{j, lr: t.x[j], x, y, far}};
    }}
    return best; }}"""


def test_a_point_on_a_sweep_curve_opens_the_playground_at_that_rate(page, app_url, shot):
    open_page(page, app_url + "/lr_sweep")
    k = len(presets.SWEEP.runs)
    wait_plot_still(page)
    best = page.evaluate(JS_LONELY_POINT, k)
    assert best and best["far"] > 12, f"no SGD point stands apart from the other curves: {best}"
    lr = best["lr"]  # float32 in the figure

    click_until(page, lambda: (best["x"], best["y"]), "() => location.pathname === '/'", None,
                f"SGD's curve at lr={lr:.3g}")
    wait_playground(page, "/lr_sweep")
    q = query(page)
    opt = q["opt"][0].split(",")
    assert opt[0] == "sgd", q["opt"]
    got = float(dict(p.split("=", 1) for p in opt[1:])["lr"])
    want = float(f"{lr:.3g}")  # the page opens the clicked rate rounded to 3 digits
    assert got == pytest.approx(want, rel=1e-6), f"clicked lr={lr}, the Playground runs SGD at {got}"
    # The others keep their rates; the start and surface are the sweep's.
    assert q["opt"][1:] == [r.text for r in presets.SWEEP.runs[1:]]
    assert q["surface"] == [presets.SWEEP.surface]
    assert (float(q["x0"][0]), float(q["y0"][0])) == presets.SWEEP.start
    assert page.locator(IDLE).count() == 1
    shot(page, "issue9-sweep-click-playground")
