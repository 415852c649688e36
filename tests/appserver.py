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
JS_HAS_CHART = """(i) => { const g = document.querySelectorAll('.js-plotly-plot')[i || 0];
    return !!(g && g._fullData && g._fullData.length > 0); }"""
# What the chart shows, minus the fixed backdrop (contour, click grid): changes when a path does.
JS_SIGNATURE = """(i) => { const g = document.querySelectorAll('.js-plotly-plot')[i || 0];
    if (!g || !g._fullData) return null;
    return JSON.stringify(g._fullData
        .filter(t => t.type !== 'contour' && t.name !== 'click to start here')
        .map(t => [t.name, Array.from(t.x || []), Array.from(t.y || [])])); }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """The app served as `make run` serves it (`serve.py`), on a free port, started
    fresh; `stop()` ends it."""

    def __init__(self, timeout: float = 60.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise

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
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()
        os.unlink(self.log.name)

    def __enter__(self) -> "AppServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_idle(page, chart: bool = True, timeout: float = 30_000) -> None:
    """Until the script has finished and (by default) the first chart holds data."""
    page.wait_for_selector(IDLE, timeout=timeout)
    if chart:
        page.wait_for_function(JS_HAS_CHART, arg=0, timeout=timeout)
        page.wait_for_selector(IDLE, timeout=timeout)
