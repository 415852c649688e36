"""What a session keeps after its run (issue 6): nothing of the run's figures.

A live server keeps every session's widget callbacks (in its session state) and
the lazy callables of its download buttons (in the runtime's media file manager,
until no session refers to them), after the browser disconnects too, for
``server.disconnectedSessionTTL``.  When they closed over a page's globals, each
of thirty students kept their own figures alive and the server grew by hundreds
of MB per round of the load test.  The figures belong to the shared caches
alone: once those are emptied, nothing that a session keeps holds a figure.
"""

from __future__ import annotations

import gc

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from tests.test_app_pages import ALL_PAGES, clear_caches, ok, page
from viz import figures


def alive_figures() -> int:
    gc.unfreeze()  # the app freezes what exists after a process's first run (ui/gcfreeze.py),
    gc.collect()   # and gc.get_objects() does not list frozen objects
    return sum(isinstance(o, figures.PlainFigure) for o in gc.get_objects())


@pytest.fixture
def kept_downloads(monkeypatch):
    """The download callables a server would keep (AppTest drops its media manager after a run)."""
    kept = []
    real = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, *args, **kwargs):
        kept.append(data_callable)
        return real(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return kept


@pytest.mark.parametrize("name", ALL_PAGES)
def test_a_session_keeps_no_figure_once_the_caches_let_go(name, kept_downloads):
    at = page(name)
    ok(at)
    assert at.get("plotly_chart"), name
    assert alive_figures() > 0  # the caches hold what was drawn...
    clear_caches()
    # ... and nothing else does, while the session (its callbacks) and its downloads live on
    assert alive_figures() == 0, name
    assert at.session_state[f"{ALL_PAGES[name].prefix}.scenario"] is not None
    if name in ("playground", "side_by_side", "surface_3d"):
        assert not kept_downloads  # the share box is closed: no download registered
        at.session_state[f"{ALL_PAGES[name].prefix}.share"] = True  # a student opens it
        at.run()
        ok(at)
        clear_caches()
        assert alive_figures() == 0, name
        assert len(kept_downloads) >= 2  # CSV and HTML, registered lazily
        html = kept_downloads[-1]()
        assert html.startswith("<html") or "<head><title>" in html  # still works from the link alone


def test_made_up_views_never_evict_the_hand_picked_ones():
    """A class opens the lessons and openings again and again; the views students make up
    come and go through bounded caches of their own without pushing the lessons out."""
    from ui import cache
    from viz import presets

    clear_caches()
    lesson = presets.BY_KEY["banana"].scenario
    assert lesson.link in cache.pinned_links()
    fig, paths = cache.contour(lesson.link, 600, None), cache.paths(lesson)
    made_up = [lesson.with_(start=(-1.5 + 0.01 * i, 2.0), steps=30) for i in range(40)]
    for sc in made_up:
        assert sc.link not in cache.pinned_links()
        cache.contour(sc.link, 600, None)
    assert cache.contour(lesson.link, 600, None) is fig  # still the one built first: nothing rebuilt
    assert all(a is b for a, b in zip(cache.paths(lesson), paths))
    common, kept = cache.contour.cache_info()
    assert common.currsize == common.maxsize < len(made_up)  # made-up views stay bounded
    assert kept.currsize == 1
    clear_caches()
