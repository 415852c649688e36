"""A page's view is a fragment: a nudge of a hyperparameter, the start, the steps or the noise
reruns the figure, its numbers and those controls, not the title, the lessons and the surface
list; when the text around the view would change, the whole page reruns.

Spoken over Streamlit's own protocol (tools/loadtest/session.py) to the app as `make run`
starts it: AppTest reruns the whole script for every widget, fragments included, so only a
real server shows which runs happen.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from deploy.processes import AppProcess
from tools.loadtest import widgets as wd
from tools.loadtest.session import AppSession
from viz import presets


def _run(coro):
    """asyncio.run in a thread of its own (a Playwright fixture may hold the main thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="module")
def app_server():
    app = AppProcess()
    try:
        app.wait_healthy()
        yield app.url
    finally:
        app.stop()


class _Watcher(AppSession):
    """An AppSession that lists the elements each run sent: (type, text)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.got: list[tuple[str, str]] = []

    async def open(self):
        self.got = []
        return await super().open()

    async def interact(self, widget, state):
        self.got = []
        return await super().interact(widget, state)

    def _handle(self, data, run, fragment_id):
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "ref_hash" and msg.ref_hash in self._cache:
            msg.ParseFromString(self._cache[msg.ref_hash][0])
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            kind = el.WhichOneof("type")
            inner = getattr(el, kind)
            text = getattr(inner, "body", "") or getattr(inner, "label", "")
            self.got.append((kind, text))
        return super()._handle(data, run, fragment_id)

    def widget(self, label: str) -> wd.Widget:
        return next(w for w in self.widgets.values() if w.label == label)

    def texts(self, kind: str) -> list[str]:
        return [t for k, t in self.got if k == kind]


LR = "η  (lr)"


def _lr(query: str, slot: int = 0) -> str:
    opt = parse_qs(query)["opt"][slot].split(",")
    return dict(p.split("=", 1) for p in opt[1:])["lr"]


async def _nudge_lr(s: _Watcher):
    """Move the first optimizer's learning rate one notch down."""
    w = s.widget(LR)
    now = wd.decode(s.states[w.id])[0]
    options = wd.choices(w)
    return await s.interact(w, wd._encode(w, [options[options.index(now) - 1]]))


def test_a_hyperparameter_nudge_reruns_only_the_view(app_server):
    async def go():
        s = _Watcher(app_server, timeout=60)
        assert not (await s.open()).errors
        assert "Optimizer playground" in s.texts("heading")
        # the figure goes out first, then its view's controls, then the rest (ui/chrome.py)
        kinds = [k for k, _ in s.got]
        labels = [t for _, t in s.got]
        assert kinds.index("plotly_chart") < labels.index(LR) < labels.index("Surface"), s.got
        lr, surface = s.widget(LR), s.widget("Surface")
        assert lr.fragment_id and not surface.fragment_id
        for label in ("Steps", "Every hyperparameter", "Gradient noise σ", "Start x₀"):
            assert s.widget(label).fragment_id == lr.fragment_id, label
        for label in ("Presentation mode", "Optimizers", "Lessons (one click each)"):
            assert not s.widget(label).fragment_id, label
        before = _lr(s.query_string)

        r = await _nudge_lr(s)
        assert not r.errors and r.fragment and r.script_runs == 1
        assert float(_lr(s.query_string)) < float(before), s.query_string  # the link follows
        assert "plotly_chart" in [k for k, _ in s.got]  # the figure is redrawn ...
        assert LR in [t for _, t in s.got]  # ... with its controls
        assert not s.texts("heading"), s.got  # the title did not run again
        assert "Surface" not in [t for _, t in s.got] and "Presentation mode" not in [t for _, t in s.got]
        assert s.widget("Surface") == surface  # and the rest of the page stays
        await s.close()

    _run(go())


def test_the_first_edit_after_a_lesson_redraws_the_whole_page(app_server):
    """While a lesson is shown its note says what to look at; the first edit forgets it."""
    lesson = presets.BY_KEY["zigzag"]

    async def go():
        s = _Watcher(app_server, timeout=60)
        await s.open()
        pills = s.widget("Lessons (one click each)")
        r = await s.interact(pills, wd._encode(pills, [lesson.title]))
        assert not r.errors and any(lesson.title in t for t in s.texts("alert")), s.got

        r = await _nudge_lr(s)
        assert not r.errors and r.script_runs == 2, r  # the view, then the whole page
        assert "Optimizer playground" in s.texts("heading")
        assert not any(lesson.title in t for t in s.texts("alert")), s.texts("alert")

        r = await _nudge_lr(s)  # no note any more: the view alone
        assert not r.errors and r.script_runs == 1 and not s.texts("heading")
        await s.close()

    _run(go())


def test_the_first_edit_after_a_bad_link_clears_its_notice(app_server):
    async def go():
        s = _Watcher(app_server, query="opt=sgd,lr=0.1&opt=nonsense&steps=40", timeout=60)
        await s.open()
        assert any("This link had problems" in t for t in s.texts("alert")), s.got

        r = await _nudge_lr(s)
        assert not r.errors and r.script_runs == 2, r
        assert not any("This link had problems" in t for t in s.texts("alert")), s.texts("alert")
        await s.close()

    _run(go())


def test_a_nudge_that_leaves_an_optimizer_out_redraws_the_whole_page_with_the_reason(app_server):
    """Nesterov's momentum set to 0: torch refuses it, so the page leaves it out with a message
    above the figure, outside the view: the view's rerun hands over to the whole page."""
    async def go():
        s = _Watcher(app_server, query="surface=bowl&opt=nesterov,lr=0.1,momentum=0.9&opt=adam,lr=0.2"
                                       "&x0=-7&y0=2&steps=30", timeout=60)
        assert not (await s.open()).errors
        mu = s.widget("μ  (momentum)")
        assert mu.fragment_id
        r = await s.interact(mu, wd._encode(mu, ["0"]))
        assert not r.errors and r.script_runs == 2, r
        left_out = [t for t in s.texts("alert") if "left out" in t]
        assert len(left_out) == 1 and "momentum=0.0" in left_out[0], s.texts("alert")
        assert "nesterov" not in s.query_string, s.query_string  # the link is what is drawn

        r = await s.interact(s.widget("μ  (momentum)"), wd._encode(mu, ["0.9"]))  # fixed: it is back
        assert not r.errors and r.script_runs == 2, r
        assert not [t for t in s.texts("alert") if "left out" in t], s.texts("alert")
        assert "opt=nesterov%2Clr%3D0.1&" in s.query_string, s.query_string  # momentum 0.9: its default
        await s.close()

    _run(go())
