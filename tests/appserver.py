"""Run the app and drive it in headless Chromium: shared by the browser tests and bench/bench_app.py.

Chromium comes from Debian (/usr/bin/chromium); Playwright's own browser
download does not work on these machines.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1600, "height": 1000}

# The app is idle when Streamlit says the script is not running.
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
EXCEPTION = "[data-testid='stException']"

# JavaScript, evaluated in the page.  `i` is the index of the chart on the page.
# JS_HAS_CHART: chart i holds data, and so does every other chart the page has sent (each
# chart is drawn on its own, so until all are, "the i-th plot" may be a later chart).
JS_HAS_CHART = """(i) => { const boxes = [...document.querySelectorAll("[data-testid='stPlotlyChart'], div.plotchart")];
    const drawn = b => { const g = b.matches('.js-plotly-plot') ? b : b.querySelector('.js-plotly-plot');
                         return !!(g && g._fullData && g._fullData.length > 0); };
    return boxes.length > (i || 0) && boxes.every(drawn); }"""
# What the chart shows, minus the fixed backdrop (click grid): changes when a path does.
# null while chart i is not on the screen: Streamlit mounts a new chart element for each new
# figure and keeps it `visibility: hidden` until a later render, tens of ms after plotly.js
# has drawn into it, so a drawn but hidden chart is not yet what the user sees.
JS_SIGNATURE = """(i) => { const g = document.querySelectorAll('.js-plotly-plot')[i || 0];
    if (!g || !g._fullData || getComputedStyle(g).visibility === 'hidden' || !g.getClientRects().length) return null;
    return JSON.stringify(g._fullData
        .filter(t => t.type !== 'contour' && t.name !== 'click to start here')
        .map(t => [t.name, Array.from(t.x || []), Array.from(t.y || [])])); }"""
# Each path's trail as drawn (viz/figures.py): per legend group, the chunk traces
# (`customdata` holds each point's step; opacity 1 = steps taken, less = the rest
# of the path), the partial trace (solid, from the last whole chunk to the current
# step; no customdata) and the head marker (one point).
JS_TRAILS = """(i) => { const g = document.querySelectorAll('.js-plotly-plot')[i || 0];
    const out = {};
    for (const t of (g && g._fullData) || []) {
        const key = t.legendgroup;
        if (!key || key === 'start' || key === 'min' || t.type !== 'scatter') continue;
        const p = out[key] = out[key] || {name: null, chunks: [], partial: null, head: null};
        const x = Array.from(t.x || []), y = Array.from(t.y || []);
        if (t.customdata && t.customdata.length) {
            p.chunks.push({steps: Array.from(t.customdata), x, y, opacity: t.opacity});
            p.name = p.name || t.name;
        } else if ((t.mode || '').includes('lines')) {
            p.partial = {x, y}; p.name = t.name;
        } else if (x.length === 1) {
            p.head = [x[0], y[0]];
        }
    }
    return out; }"""


def trail_points(trail: dict, solid_only: bool = False) -> dict[int, tuple[float, float]]:
    """Step -> (x, y) drawn for one path of ``JS_TRAILS``: chunks (only the solid ones
    if ``solid_only``) plus the partial trace, which starts where the solid chunks end."""
    pts: dict[int, tuple[float, float]] = {}
    solid_end = 0
    for c in trail["chunks"]:
        solid = c["opacity"] >= 0.99
        if solid:
            solid_end = max(solid_end, max(c["steps"]))
        if solid or not solid_only:
            pts.update({int(s): (x, y) for s, x, y in zip(c["steps"], c["x"], c["y"])})
    if trail["partial"]:
        for j, xy in enumerate(zip(trail["partial"]["x"], trail["partial"]["y"])):
            pts.setdefault(solid_end + j, xy)
    return pts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(script: str = "app.py", port: int = 8501) -> list[str]:
    """`make run`'s command (Makefile target `run`), on ``port`` and bound to loopback."""
    return [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--server.address", "127.0.0.1"]


class AppServer:
    """A Streamlit app served as `make run` serves the app (`python -m streamlit run app.py`,
    MALLOC_ARENA_MAX=2, the repo's .streamlit/config.toml), on a free loopback port,
    started fresh; `stop()` ends it.

    ``command(port)`` may replace the command line (bench/bench_app.py passes the
    one `make -n run` prints); ``script`` is relative to the repo.
    """

    def __init__(self, script: str = "app.py", timeout: float = 60.0, command=None,
                 env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False)
        cmd = command(self.port) if command else streamlit_command(script, self.port)
        self.proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "MALLOC_ARENA_MAX": "2", **(env or {})},
            shell=isinstance(cmd, str))
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"streamlit not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        text = Path(self.log.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            # The process group: a shell command line (make's recipe) runs streamlit as a child.
            try:
                os.killpg(self.proc.pid, 15)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)
        self.log.close()
        os.unlink(self.log.name)

    def __enter__(self) -> "AppServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# Where chart i's main plot area is on screen, and the data ranges it shows.
JS_PLOT_BOX = """(i) => { const g = document.querySelectorAll('.js-plotly-plot')[i || 0];
    const d = g && g.querySelector(".nsewdrag[data-subplot='xy']");
    if (!d || !g._fullLayout) return null;
    const r = d.getBoundingClientRect(), l = g._fullLayout;
    return {left: r.left, top: r.top, width: r.width, height: r.height,
            x: l.xaxis.range, y: l.yaxis.range}; }"""


def wait_plot_still(page, i: int = 0, timeout: float = 10.0) -> dict:
    """Chart i's plot box (JS_PLOT_BOX) once it has stopped moving: the sidebar is drawn after
    the chart, and the chart resizes when the sidebar appears."""
    last, deadline = None, time.monotonic() + timeout
    while True:
        box = page.evaluate(JS_PLOT_BOX, i)
        if box is not None and box == last:
            return box
        if time.monotonic() > deadline:
            raise AssertionError(f"chart {i}'s plot area kept moving: {last} -> {box}")
        last = box
        page.wait_for_timeout(300)


def data_to_screen(page, x: float, y: float, i: int = 0) -> tuple[float, float]:
    """Where the data point (x, y) of chart i's main (linear) axes is on screen, once still."""
    box = wait_plot_still(page, i)
    (x_lo, x_hi), (y_lo, y_hi) = box["x"], box["y"]
    return (box["left"] + (x - x_lo) / (x_hi - x_lo) * box["width"],
            box["top"] + (y_hi - y) / (y_hi - y_lo) * box["height"])


def click_until(page, where, done: str, arg, what: str) -> None:
    """Hover, then click at ``where()`` (screen pixels) until the JS predicate ``done(arg)``
    holds. ``where`` is asked again before each try: a click right after a redraw can be lost,
    and the plot may have moved."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        px, py = where()
        if attempt:
            print(f"\nclicking {what}: attempt {attempt + 1} at ({px:.0f}, {py:.0f})")
        page.mouse.move(px, py)
        page.wait_for_timeout(200)
        page.mouse.click(px, py)
        try:
            page.wait_for_function(done, arg=arg, timeout=10_000)
            return
        except PlaywrightTimeout:
            continue
    under = page.evaluate("""([x, y]) => { const e = document.elementFromPoint(x, y);
        return e ? `${e.tagName}.${e.getAttribute('class')}` : null; }""", [px, py])
    raise AssertionError(f"clicking {what} at ({px:.0f}, {py:.0f}) did nothing (three tries); under the "
                         f"pointer: {under}; chart 0's plot box: {page.evaluate(JS_PLOT_BOX, 0)}")


# Every column-width reporter on the page (ui/viewport.py) has measured the column, and the
# server has drawn with that width (a report is one more rerun, right after the page is drawn).
# A reporter is found by its element's key (a page's "<prefix>.width": class st-key-<prefix>-width;
# in presentation mode "<prefix>.width.present"),
# which the page has as soon as its run is drawn, before the reporter's script has run; and
# "measured" must be there: a reporter called before its element was laid out measures
# nothing yet, and reports a moment later.
JS_WIDTH_SETTLED = """() => [...document.querySelectorAll("[class*='st-key-'][class*='-width']")]
    .filter(c => [...c.classList].some(k => /^st-key-[a-z0-9]+-width(-present)?$/.test(k)))
    .every(c => { const e = c.querySelector("[data-testid='stBidiComponentRegular']");
                  return e && e.dataset.drawn !== undefined && e.dataset.measured === e.dataset.drawn; })"""

# The page's loader (ui/plotchart.py) has reported plotly.js and the server has drawn the kept
# charts (until then the page shows Streamlit's own).  Found by its key's container, which is
# there before the component's own code has loaded and run.
JS_KEPT_SETTLED = """() => [...document.querySelectorAll(".st-key-plotly-js")]
    .every(c => { const e = c.querySelector("[data-testid='stBidiComponentRegular']");
                  return e && e.dataset.ready === '1'; })"""


def wait_idle(page, chart: bool = True, timeout: float = 30_000) -> None:
    """Until the script has finished, (by default) the first chart holds data, the page's
    column width is reported and drawn with (a report is a rerun: then it has finished too),
    and a page that keeps its charts has switched to them (one more rerun)."""
    for _ in range(2):
        page.wait_for_selector(IDLE, timeout=timeout)
        if chart:
            page.wait_for_function(JS_HAS_CHART, arg=0, timeout=timeout)
        page.wait_for_function(JS_WIDTH_SETTLED, timeout=timeout)
        if chart:
            page.wait_for_function(JS_KEPT_SETTLED, timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)
