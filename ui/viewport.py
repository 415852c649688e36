"""How wide the browser draws the page's main column: the one thing about the window the
server cannot know, and what an equal-aspect figure's height depends on.

A tiny component with no look of its own (``st.components.v2``: inline JavaScript, no
iframe) measures its own width, which is the column's, and reports it when the page
first draws and whenever the window or the sidebar changes it by more than a scrollbar.
Reports are rounded to ``STEP`` px, so that a class's laptops share a few figures, and a
report reruns only the view's fragment.  The element also keeps the width in a cookie, so
that a returning browser's first run already knows it (no report, no second drawing).
Until then (and for clients that run no JavaScript, such as ``AppTest``) the width is
unknown: ``None``.  The load test's students report one, as their browsers would
(tools/loadtest/students.py).

A page asks for it with ``chrome.page(..., fit=True)``, which mounts the element after the
page's body, and reads it with ``PageState.column_width()``.  Presentation mode has no sidebar,
so its column is measured under a key and a cookie of its own, and only by a page that asks
(``fit_present=True``: the Playground, whose legend's rows depend on it, and the convergence
map, whose one row of panels is as tall as their width needs).
"""

from __future__ import annotations

from functools import cache

import streamlit as st

STEP = 40             # px: reported widths are multiples of this
COOKIE = "column_width"
PRESENT_COOKIE = "column_width_present"  # presentation mode: no sidebar, a wider column
WIDEST = 8000         # px: anything wider (or narrower than NARROWEST) is not a width
NARROWEST = 200

# The width the server drew with comes back as data.width; the element notes it next to the
# width it measured (data-drawn, data-measured), so that a test can wait until they agree.
_JS = """
export default function ({ parentElement, data, setStateValue }) {
  // Streamlit calls this again with each rerun's data, and an earlier call's observer may
  // outlive it: everything reads the element's latest data and callback, through one observer.
  const host = parentElement;
  host.__data = data;
  host.__set = setStateValue;
  host.dataset.drawn = data.width === null ? "" : String(data.width);
  host.__report = () => {
    const now = host.__data, raw = host.getBoundingClientRect().width;
    // A change under 24 px (a scrollbar coming or going) is no news: otherwise a taller
    // figure that brings a scrollbar could narrow the column, and back, forever.
    if (raw <= 0 || (host.__raw !== undefined && Math.abs(raw - host.__raw) < 24)) return;
    host.__raw = raw;
    const w = Math.round(raw / now.step) * now.step;
    host.dataset.measured = String(w);
    document.cookie = `${now.cookie}=${w}; path=/; max-age=31536000; SameSite=Lax`;
    if (w !== now.width) host.__set("width", w);
  };
  if (!host.__watch) {
    let timer = 0;
    host.__watch = new ResizeObserver(() => { clearTimeout(timer); timer = setTimeout(() => host.__report(), 150); });
    host.__watch.observe(host);
  }
  host.__report();
  return () => { if (host.__watch) host.__watch.disconnect(); host.__watch = null; };
}
"""


@cache
def _reporter():
    return st.components.v2.component("column_width", js=_JS, isolate_styles=False)


def reported(key: str, cookie: str = COOKIE) -> int | None:
    """The column width the browser last reported under ``key``, else the one its ``cookie``
    kept from an earlier visit; None if neither is a width."""
    state = st.session_state.get(key)
    width = _width(state.get("width")) if hasattr(state, "get") else None
    return width if width is not None else _width(_cookie(cookie))


def _width(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not NARROWEST <= value <= WIDEST:
        return None
    return value


def _cookie(name: str = COOKIE) -> int | None:
    try:
        text = st.context.cookies.get(name)
    except Exception:  # no browser request behind this run (AppTest, bare mode)
        return None
    return cookie_width(text)


def cookie_width(text) -> int | None:
    """The width in the cookie's text, if it is one (a cookie is text, and anyone's to write)."""
    return _width(int(text)) if isinstance(text, str) and text.isascii() and text.isdigit() \
        and len(text) <= 5 else None


def reporter(key: str, cookie: str = COOKIE) -> None:
    """Mount the measuring element (draw it where its width is the column's, e.g. last)."""
    _reporter()(key=key, data={"step": STEP, "width": reported(key, cookie), "cookie": cookie},
                default={"width": None}, on_width_change=_ignore)


def _ignore() -> None:
    """A report only needs the rerun it causes."""
