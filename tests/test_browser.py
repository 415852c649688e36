"""End to end in headless Chromium: what a student sees and clicks.

    .venv/bin/python -m pytest tests/test_browser.py -q

Each test opens its own browser context, so its own Streamlit session; the
page fixture fails any test whose page shows an exception box.  Screenshots
land in test-artifacts/screenshots/.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser fixture then skips (or fails under CI) with the reason
    PlaywrightTimeout = TimeoutError

from tests.appserver import EXCEPTION, IDLE, JS_HAS_CHART, JS_SIGNATURE, wait_idle

pytestmark = pytest.mark.browser

NAV = ["Playground", "Side by side", "3D", "Update rules"]
CHART = "document.querySelectorAll('.js-plotly-plot')[0]"


def open_app(page, url: str, timeout: float = 30_000) -> None:
    page.goto(url)
    wait_idle(page, timeout=timeout)


def signature(page, i: int = 0) -> str:
    return page.evaluate(JS_SIGNATURE, i)


def wait_signature_change(page, before: str, timeout: float) -> None:
    page.wait_for_function(f"([i, old]) => ({JS_SIGNATURE})(i) !== old", arg=[0, before],
                           timeout=timeout)


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def lr_in_url(page, name: str) -> float:
    for text in query(page)["opt"]:
        opt, *pairs = text.split(",")
        if opt == name:
            return float(dict(p.split("=", 1) for p in pairs)["lr"])
    raise AssertionError(f"no opt={name} in {page.url}")


def nudge(page, key_class: str, key: str) -> None:
    """Focus the slider with this widget key, press ``key``, wait for the redrawn chart.

    The first key presses right after a load can be dropped: press again until
    the chart changes.
    """
    handle = page.locator(f".{key_class} [data-testid='stSlider'] input[type='range']")
    before = signature(page)
    for _ in range(4):
        handle.focus()
        handle.press(key)
        try:
            wait_signature_change(page, before, timeout=6_000)
            break
        except PlaywrightTimeout:
            continue
    else:
        pytest.fail(f"pressing {key} on {key_class} never changed the chart")
    wait_idle(page)


def test_first_page_shows_the_zigzag(page, app_url, shot):
    open_app(page, app_url + "/")
    traces = page.evaluate(f"""() => {CHART}._fullData
        .filter(t => (t.name || '').startsWith('SGD'))
        .map(t => ({{name: t.name, y: Array.from(t.y)}}))""")
    assert traces, "no trace named SGD… on the first chart"
    for t in traces:
        y = t["y"]
        assert len(y) > 10, t
        flips = [a * b < 0 for a, b in zip(y, y[1:])]
        assert all(flips), f"{t['name']}: y does not flip sign every step: {y}"
    shot(page, "playground-default")


def test_nudging_a_slider_redraws_the_path_and_updates_the_url(page, app_url):
    open_app(page, app_url + "/")
    assert lr_in_url(page, "sgd") == 0.95
    before = signature(page)
    nudge(page, "st-key-pg-opt-sgd-lr", "ArrowLeft")
    assert signature(page) != before
    assert lr_in_url(page, "sgd") < 0.95

    n_before = page.evaluate(f"() => {CHART}._fullData.find(t => t.name.startsWith('SGD')).x.length")
    nudge(page, "st-key-pg-steps", "ArrowRight")
    steps = int(query(page)["steps"][0])
    assert steps > 30
    n_after = page.evaluate(f"() => {CHART}._fullData.find(t => t.name.startsWith('SGD')).x.length")
    assert n_after == steps + 1 > n_before


def test_clicking_the_plot_moves_the_start(page, app_url, shot):
    open_app(page, app_url + "/")
    ranges = page.evaluate(f"() => {{ const l = {CHART}._fullLayout; "
                           "return [l.xaxis.range, l.yaxis.range]; }")
    (x_lo, x_hi), (y_lo, y_hi) = ranges
    # Lower right: away from the default paths, which run from (-7, 2) to the minimum at 0.
    want_x, want_y = x_lo + 0.8 * (x_hi - x_lo), y_lo + 0.2 * (y_hi - y_lo)
    box = page.locator(".js-plotly-plot .nsewdrag[data-subplot='xy']").first.bounding_box()
    px = box["x"] + (want_x - x_lo) / (x_hi - x_lo) * box["width"]
    py = box["y"] + (y_hi - want_y) / (y_hi - y_lo) * box["height"]

    start_js = f"() => {{ const s = {CHART}._fullData.find(t => t.name === 'start'); return [s.x[0], s.y[0]]; }}"
    start_before = page.evaluate(start_js)
    old = page.evaluate("() => location.search")
    for _ in range(3):
        page.mouse.move(px, py)
        page.wait_for_timeout(150)
        page.mouse.click(px, py)
        try:
            page.wait_for_function("(old) => location.search !== old", arg=old, timeout=8_000)
            break
        except PlaywrightTimeout:
            continue
    else:
        pytest.fail("clicking the plot never changed the URL")
    wait_idle(page)
    page.wait_for_function(f"""(old) => {{ const s = {CHART}._fullData.find(t => t.name === 'start');
        return s && (s.x[0] !== old[0] || s.y[0] !== old[1]); }}""", arg=start_before)

    q = query(page)
    x0, y0 = float(q["x0"][0]), float(q["y0"][0])
    tol_x, tol_y = 0.05 * (x_hi - x_lo), 0.05 * (y_hi - y_lo)  # the click grid is 41 x 41
    assert abs(x0 - want_x) <= tol_x and abs(y0 - want_y) <= tol_y, (x0, y0, want_x, want_y)
    sidebar = page.locator("[data-testid='stSidebar']")
    x_in = sidebar.locator("[data-testid='stNumberInput']").filter(has_text="x₀").locator("input")
    y_in = sidebar.locator("[data-testid='stNumberInput']").filter(has_text="y₀").locator("input")
    assert float(x_in.input_value()) == pytest.approx(x0, abs=1e-3)
    assert float(y_in.input_value()) == pytest.approx(y0, abs=1e-3)
    start = page.evaluate(start_js)
    assert start == pytest.approx([x0, y0], abs=1e-6)
    shot(page, "playground-after-click")


def test_play_advances_the_frames(page, app_url, shot):
    open_app(page, app_url + "/")
    last = page.evaluate(f"() => {CHART}._fullLayout.sliders[0].steps.length - 1")
    page.locator(".js-plotly-plot .updatemenu-button", has_text="Play").first.click()
    seen, pictures, mid_shot = [], set(), False
    for _ in range(80):
        active = page.evaluate(f"() => {CHART}._fullLayout.sliders[0].active")
        seen.append(active)
        pictures.add(signature(page))
        if not mid_shot and last // 4 <= active <= 3 * last // 4:
            shot(page, "playground-mid-animation")
            mid_shot = True
        if len(seen) > 2 and active == last:
            break
        page.wait_for_timeout(100)
    assert min(seen) < last // 2, f"Play did not restart from the beginning: {seen}"
    assert seen[-1] == last, f"the animation did not reach the last step: {seen}"
    rising = [b for a, b in zip(seen, seen[1:]) if b > a]
    assert len(rising) >= 3, f"the step slider did not advance: {seen}"
    assert len(pictures) >= 3, "the paths did not move while playing"
    assert mid_shot


def test_play_keeps_the_contour(page, app_url, shot):
    """The surface stays drawn while and after the paths animate.

    Known plotly.js behaviour (plotly.js#4491, plotly.py#2151): animating with
    redraw=False removes contour/heatmap traces that are not in the frames, which
    is why the filled contour is a layout image: count its visible <image>.
    """
    open_app(page, app_url + "/")
    count = (f"() => [...{CHART}.querySelectorAll('.imagelayer image')]"
             ".filter(i => (i.getAttribute('href') || i.getAttribute('xlink:href') || '')"
             ".startsWith('data:image/png')"
             " && i.getBoundingClientRect().width > 100).length")
    assert page.evaluate(count) > 0
    page.locator(".js-plotly-plot .updatemenu-button", has_text="Play").first.click()
    page.wait_for_timeout(700)
    during = page.evaluate(count)
    page.wait_for_function(f"() => {CHART}._fullLayout.sliders[0].active === "
                           f"{CHART}._fullLayout.sliders[0].steps.length - 1", timeout=15_000)
    page.wait_for_timeout(300)
    after = page.evaluate(count)
    if not (during and after):
        shot(page, "playground-after-play")
    assert during > 0 and after > 0, (f"the contour vanished on Play: {during} backdrop images while "
                                      f"playing, {after} after")


SUBPAGES = {
    "side_by_side": f"() => ({JS_HAS_CHART})(0)",
    "surface_3d": f"""() => {{ const g = {CHART};
        return !!(g && g._fullData && g._fullData.some(t => t.type === 'surface')
                  && g._fullLayout.scene && g._fullLayout.scene._scene
                  && g.querySelector('.gl-container canvas')); }}""",
    "update_rules": """() => document.querySelectorAll('.katex').length > 0""",
}


@pytest.mark.parametrize("path", list(SUBPAGES))
def test_direct_link_on_a_fresh_server(page, fresh_app_url, shot, path):
    """A shared link to a sub-page, as the server's very first request, shows that page
    with the app's own navigation (not the legacy pages/ sidebar, no 'Page not found')."""
    page.goto(f"{fresh_app_url}/{path}")
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_function(SUBPAGES[path], timeout=60_000)
    wait_idle(page, chart=path != "update_rules", timeout=60_000)
    shot(page, f"direct-{path}", full_page=path == "update_rules")

    links = page.locator("[data-testid='stSidebarNav'] [data-testid='stSidebarNavLink']")
    texts = [links.nth(i).inner_text().splitlines()[-1].strip() for i in range(links.count())]
    assert texts == NAV, f"sidebar navigation shows {texts}"
    active = page.locator("[data-testid='stSidebarNav'] [data-testid='stSidebarNavLink'][aria-current='page']")
    assert active.count() == 1 and active.get_attribute("href").rstrip("/").endswith(path)
    not_found = page.get_by_text("Page not found").count()
    assert not_found == 0, ("a 'Page not found' dialog covers the page: Streamlit treats the "
                            "server's first request in legacy pages/ mode while a pages/ folder exists")
    assert page.locator(EXCEPTION).count() == 0
    assert urlparse(page.url).path == f"/{path}"
    if path == "surface_3d":
        assert page.get_by_text("WebGL is not supported").count() == 0
    if path == "update_rules":
        rules = page.get_by_role("button", name="Open in Playground").count()
        assert rules >= 2 and page.locator(".katex-display").count() >= rules



def test_malformed_link_warns_and_still_draws(page, app_url, shot):
    open_app(page, app_url + "/?opt=nope&steps=-5&x0=nan")
    alerts = page.locator("[data-testid='stAlert']")
    text = "\n".join(alerts.nth(i).inner_text() for i in range(alerts.count()))
    shot(page, "malformed-link")
    assert alerts.count() >= 3, text
    for bad in ("'nope'", "'-5'", "'nan'"):
        assert bad in text, f"no warning names {bad}:\n{text}"
    assert page.evaluate(JS_HAS_CHART, 0)
    assert page.locator(EXCEPTION).count() == 0
    q = query(page)  # the address bar now holds the view actually shown
    assert q["steps"] == ["30"] and q["x0"] == ["-7"]
    assert [o.split(",")[0] for o in q["opt"]] == ["sgd", "adam"]


def test_presentation_mode_hides_the_sidebar(page, app_url, shot):
    open_app(page, app_url + "/?present=1")
    shot(page, "presentation-mode")
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    assert page.get_by_role("button", name="Exit presentation mode").is_visible()
    assert page.locator("[data-testid='stPlotlyChart']").first.is_visible()
    assert query(page).get("present") == ["1"]


def test_preset_changes_the_surface(page, app_url, shot):
    open_app(page, app_url + "/")
    assert query(page)["surface"] == ["bowl"]
    before = signature(page)
    # A button with help text is rendered twice (one copy hidden): click the visible one.
    page.locator(".st-key-pg-preset-banana button:visible").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('surface') === 'rosenbrock'")
    wait_idle(page)
    wait_signature_change(page, before, timeout=15_000)
    wait_idle(page)
    assert query(page)["surface"] == ["rosenbrock"]
    shot(page, "preset-banana")
