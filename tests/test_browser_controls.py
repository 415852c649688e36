"""Browser regressions for controls whose state lives in the browser as much as on the server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.appserver import wait_idle

pytestmark = pytest.mark.browser


def drawn(page, predicate: str, timeout: float = 30_000) -> None:
    """Until the JS ``predicate`` holds, or the timeout: the assertions after it then say what
    is missing."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(predicate, timeout=timeout)
    except PlaywrightTimeout:
        pass


def opts(page) -> list[str]:
    return parse_qs(urlparse(page.url).query)["opt"]


def test_adding_an_optimizer_adds_it_once_whatever_happens_next(page, app_url):
    """The add box is an action: after it adds Momentum, later reruns must not add it again
    (a browser that still holds its choice resends it with every rerun)."""
    page.goto(app_url + "/")
    wait_idle(page)
    page.locator(".st-key-pg-add").first.click()
    page.get_by_role("option", name="Momentum").click()
    page.wait_for_function("() => new URLSearchParams(location.search).getAll('opt').length === 3")
    wait_idle(page)
    assert [o.split(",")[0] for o in opts(page)] == ["sgd", "adam", "momentum"]
    slider = page.locator(".st-key-pg-steps [data-testid='stSlider'] input[type='range']")
    for _ in range(3):
        before = page.url
        slider.focus()
        slider.press("ArrowRight")
        page.wait_for_function("(old) => location.href !== old", arg=before, timeout=15_000)
        wait_idle(page)
    assert [o.split(",")[0] for o in opts(page)] == ["sgd", "adam", "momentum"], opts(page)


def test_controls_of_the_view_come_and_go_with_fragment_reruns(page, app_url):
    """The noise slider is one of the view's controls, which rerun as a fragment (that only the
    fragment runs is tested over the protocol, tests/test_app_fragments.py): raising it from 0
    adds the seed and cloud controls to the sidebar, and lowering it back removes them."""
    page.goto(app_url + "/")
    wait_idle(page)
    noise = ".st-key-pg-noise [data-testid='stSlider'] input[type='range']"
    sidebar = "[data-testid='stSidebar']"

    def extras() -> int:
        return page.locator(f"{sidebar} .st-key-pg-seed, {sidebar} .st-key-pg-cloud").count()

    assert extras() == 0
    for key, want, query in (("ArrowRight", 2, "noise="), ("ArrowLeft", 0, None)):
        before = page.url
        page.locator(noise).focus()
        page.locator(noise).press(key)
        page.wait_for_function("(old) => location.href !== old", arg=before, timeout=15_000)
        wait_idle(page)
        page.wait_for_function(f"""(n) => document.querySelectorAll(
            "{sidebar} .st-key-pg-seed, {sidebar} .st-key-pg-cloud").length === n""", arg=want,
            timeout=10_000)
        assert (query in page.url) if query else ("noise=" not in page.url), page.url
    assert page.locator(f"{sidebar} .st-key-pg-surface").count() == 1


# --- issue 10's controls, as a person uses them -------------------------------------------------

def test_typing_a_formula_draws_its_surface_and_a_bad_one_is_named(page, app_url, shot):
    page.goto(app_url + "/?surface=formula&f=x%5E2%2F20%2By%5E2&xr=-10/10&yr=-5/5&opt=sgd,lr=0.95"
                        "&x0=-7&y0=2&steps=30")
    wait_idle(page)
    box = page.locator(".st-key-pg-f input")
    box.fill("(1-x)^2 + 100*(y-x^2)^2")
    box.press("Enter")
    page.wait_for_function("() => new URLSearchParams(location.search).get('f') === '(1-x)^2 + 100*(y-x^2)^2'")
    wait_idle(page)
    shot(page, "issue10-formula")
    good = page.url
    box.fill("__import__('os')")
    box.press("Enter")
    page.locator("[data-testid='stAlertContentError']", has_text="__import__").wait_for()
    wait_idle(page)
    assert page.url == good, "a refused formula changed the view"
    assert page.locator(".js-plotly-plot").count() >= 1


def test_schedule_batch_cloud_and_inside_one_step_show_in_the_browser(page, app_url, shot):
    page.goto(app_url + "/?surface=least_squares&opt=sgd,lr=0.04,schedule=step:step_size=10:gamma=0.5"
                        "&opt=adam,lr=0.5&x0=0&y0=0&steps=60&batch=4&cloud=10")
    wait_idle(page)
    # The script has finished; the browser may still be drawing the later charts.
    drawn(page, """() => { const g = [...document.querySelectorAll('.js-plotly-plot')];
        return g.some(x => x._fullLayout && x._fullLayout.title && x._fullLayout.title.text === 'Learning rate per step')
            && g.some(x => (x._fullData || []).some(t => (t.name || '').endsWith('noisy runs'))); }""")
    names = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                          ".map(g => (g._fullData || []).map(t => t.name))")
    flat = [n for chart in names for n in chart]
    assert any(n.endswith("noisy runs") for n in flat), flat          # the cloud is drawn
    assert any("step" in n for n in flat), flat                       # the schedule is in the label
    titles = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                           ".map(g => g._fullLayout.title && g._fullLayout.title.text)")
    assert "Learning rate per step" in titles, titles
    shot(page, "issue10-schedule-batch-cloud")
    page.locator(".st-key-pg-inside label").first.click()
    page.locator("[data-testid='stMarkdownContainer'] table", has_text="step size").wait_for()
    wait_idle(page)
    drawn(page, "() => document.querySelectorAll('.js-plotly-plot .annotation-arrow-g').length >= 2")
    arrows = page.evaluate("() => document.querySelectorAll('.js-plotly-plot .annotation-arrow-g').length")
    assert arrows >= 2, arrows
    shot(page, "issue10-inside-one-step")


def test_the_share_box_gives_the_link_and_the_csv_of_what_is_shown(page, app_url):
    """Closed, the share box sends nothing (its content is drawn when it is opened); opened,
    it shows the page's own link and the CSV download holds the paths on the plot."""
    page.goto(app_url + "/?surface=bowl&opt=sgd,lr=0.3&x0=-7&y0=2&steps=5")
    wait_idle(page)
    assert page.locator("[data-testid='stCode']").count() == 0
    assert page.locator("[data-testid='stDownloadButton']").count() == 0
    page.locator(".st-key-pg-share summary").click()
    code = page.locator("[data-testid='stCode']")
    code.wait_for()
    wait_idle(page)
    assert code.inner_text().strip() == page.url, (code.inner_text(), page.url)
    with page.expect_download() as got:
        page.get_by_role("button", name="Paths as CSV").click()
    lines = [ln for ln in open(got.value.path()).read().splitlines() if not ln.startswith("#")]
    assert lines[0] == "step,optimizer,run,x,y,loss"
    rows = [ln.split(",") for ln in lines[1:]]
    assert [(r[0], r[1]) for r in rows] == [(str(i), "sgd") for i in range(6)]
    assert (float(rows[0][3]), float(rows[0][4])) == (-7.0, 2.0)
    # SGD on x^2/20 + y^2: x <- x (1 - 0.3/10), y <- y (1 - 0.6)
    assert float(rows[1][3]) == pytest.approx(-7 * 0.97) and float(rows[1][4]) == pytest.approx(2 * 0.4)
