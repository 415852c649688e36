"""Fixtures for the browser tests: a running app, a fresh one, headless Chromium, screenshots."""

from __future__ import annotations

import os

import pytest

from tests.appserver import CHROMIUM, EXCEPTION, REPO, VIEWPORT, AppServer, launch_chromium

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def app_url(browser):
    """Base URL of one app server shared by the session (each browser context is its own session).

    Asks for the browser first, so nothing starts when the browser tests skip.
    """
    with AppServer() as server:
        yield server.url


@pytest.fixture
def fresh_app_url(browser):
    """Base URL of a server started for this test alone: its first request is the test's."""
    with AppServer() as server:
        yield server.url


@pytest.fixture(scope="session")
def browser():
    why = None
    if not os.access(CHROMIUM, os.X_OK):
        why = f"{CHROMIUM} not found: install Debian's 'chromium' package (make browser)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            why = "the playwright Python package is not installed (requirements-dev.txt)"
    if why:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run under CI: {why}", pytrace=False)
        pytest.skip(why)
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    """new_page(viewport=None): a page in a new browser context (so a new Streamlit session).

    On teardown, fails the test if any such page shows a Streamlit exception
    box or threw an uncaught JavaScript error.
    """
    opened = []

    def make(viewport: dict | None = None):
        context = browser.new_context(viewport=viewport or VIEWPORT)
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        opened.append((context, pg, errors))
        return pg

    yield make
    try:
        for _, pg, errors in opened:
            if pg.is_closed():
                continue
            boxes = pg.locator(EXCEPTION)
            shown = [boxes.nth(i).inner_text()[:600] for i in range(boxes.count())]
            assert not shown, f"exception box on {pg.url}:\n" + "\n---\n".join(shown)
            assert not errors, f"uncaught JavaScript errors on {pg.url}: {errors}"
    finally:
        for context, _, _ in opened:
            context.close()


@pytest.fixture
def page(new_page):
    """A new browser context (so a new Streamlit session) at 1600x1000, checked as new_page's are."""
    return new_page()


@pytest.fixture
def shot():
    """shot(page, name): a screenshot of the viewport to test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(pg, name: str, full_page: bool = False):
        path = SCREENSHOTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=full_page)
        return path

    return take
