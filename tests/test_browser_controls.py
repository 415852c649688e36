"""Browser regressions for controls whose state lives in the browser as much as on the server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.appserver import wait_idle

pytestmark = pytest.mark.browser


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
