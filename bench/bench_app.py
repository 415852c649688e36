"""What a student waits for, and what the server pays per rerun.

    .venv/bin/python bench/bench_app.py

Starts the app on a free port and opens it in headless Chromium
(/usr/bin/chromium), then prints, each against its target:

- time to first chart: navigation start to the first `.js-plotly-plot`
  holding data, on a freshly started server and on later fresh page loads;
- slider nudge to redrawn chart: keydown on SGD's η slider to the first
  animation frame in which the contour chart's plotted paths differ, over 15
  nudges to values not seen before (median and p90);
- chart JSON per rerun of the default Playground (what Streamlit ships to the
  browser: the charts' spec strings, through AppTest);
- server rerun time through AppTest after warm-up: the same view rerun, and a
  rerun after moving SGD's η to a value not seen before (so the trajectory and
  figure caches miss, as they do when a student explores).  AppTest adds its
  own overhead, so these are upper bounds.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.appserver import (  # noqa: E402
    IDLE, JS_SIGNATURE, VIEWPORT, AppServer, launch_chromium, wait_idle)

TARGETS = {"first": 4.0, "nudge": 0.300, "json": 400_000, "rerun": 0.025}
NUDGES = 15
RERUNS = 30

# Records, relative to navigation start, when the first chart holds data.
FIRST_CHART_PROBE = """(() => {
  const check = () => {
    const g = document.querySelector('.js-plotly-plot');
    if (g && g._fullData && g._fullData.length) { window.__firstChart = performance.now(); return; }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();"""

# On each keydown, times until the first animation frame whose plotted paths differ.
NUDGE_PROBE = f"""() => {{
  const sig = {JS_SIGNATURE};
  window.__nudge = {{t0: 0, t1: 0}};
  document.addEventListener('keydown', () => {{
    const n = window.__nudge, before = sig(0);
    n.t0 = performance.now(); n.t1 = 0;
    const poll = () => {{
      if (sig(0) !== before) n.t1 = performance.now();
      else if (performance.now() - n.t0 < 15000) requestAnimationFrame(poll);
    }};
    requestAnimationFrame(poll);
  }}, true);
}}"""


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "FAIL"


def p90(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=10)[-1] if len(xs) > 1 else xs[0]


def first_chart_s(browser, url: str) -> float:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.add_init_script(FIRST_CHART_PROBE)
        page.goto(url)
        page.wait_for_function("() => window.__firstChart !== undefined", timeout=60_000)
        return page.evaluate("() => window.__firstChart") / 1000
    finally:
        context.close()


def nudge_times_s(browser, url: str, n: int) -> tuple[list[float], int]:
    """Seconds from keydown to redrawn chart for ``n`` nudges; also how many presses were dropped."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(url)
        wait_idle(page)
        page.evaluate(NUDGE_PROBE)
        slider = page.locator(".st-key-pg-opt-sgd-lr [data-testid='stSlider'] input[type='range']")
        times, dropped = [], 0
        while len(times) < n:
            slider.focus()
            slider.press("ArrowLeft")
            try:
                page.wait_for_function("() => window.__nudge.t1 > 0", timeout=8_000)
            except PlaywrightTimeout:
                dropped += 1
                if dropped > n:
                    raise RuntimeError("slider key presses keep being dropped")
                continue
            t0, t1 = page.evaluate("() => [window.__nudge.t0, window.__nudge.t1]")
            times.append((t1 - t0) / 1000)
            page.wait_for_selector(IDLE)
            page.wait_for_timeout(250)  # a student's pause, and the rest of the rerun settles
        return times, dropped
    finally:
        context.close()


def browser_figures() -> dict:
    from playwright.sync_api import sync_playwright

    out = {}
    with AppServer() as server, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            out["first_cold"] = first_chart_s(browser, server.url + "/")
            out["first_warm"] = [first_chart_s(browser, server.url + "/") for _ in range(3)]
            out["nudges"], out["dropped"] = nudge_times_s(browser, server.url + "/", NUDGES)
        finally:
            browser.close()
    return out


def apptest_figures() -> dict:
    from streamlit.testing.v1 import AppTest

    # AppTest's own "missing ScriptRunContext ... bare mode" notice is noise here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    charts = at.get("plotly_chart")
    sizes = [len(c.proto.spec.encode()) for c in charts]
    frames = [len(json.loads(c.proto.spec).get("frames", [])) for c in charts]

    for _ in range(3):  # warm-up: imports, caches, first-run work
        at.run()
    same = []
    for _ in range(RERUNS):
        t0 = time.perf_counter()
        at.run()
        same.append(time.perf_counter() - t0)

    nudged, key, last_spec = [], "pg.opt.sgd.lr", at.get("plotly_chart")[0].proto.spec
    for _ in range(RERUNS):
        w = at.select_slider(key=key)
        values = [float(o) for o in w.options]
        i = min(range(len(values)), key=lambda j: abs(values[j] - float(w.value)))
        if i == 0:
            raise RuntimeError("ran out of new learning rates to try")
        w.set_value(values[i - 1])  # one notch left: a value this process has not seen yet
        t0 = time.perf_counter()
        at.run()
        nudged.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
        spec = at.get("plotly_chart")[0].proto.spec
        assert spec != last_spec, "the nudge did not change the chart"
        last_spec = spec
    return {"sizes": sizes, "frames": frames, "same": same, "nudged": nudged}


def main() -> None:
    b = browser_figures()
    a = apptest_figures()

    rows = []
    rows.append(("time to first chart, fresh server", f"{b['first_cold']:.2f} s",
                 f"<= {TARGETS['first']:.0f} s", verdict(b["first_cold"], TARGETS["first"])))
    warm = statistics.median(b["first_warm"])
    rows.append(("time to first chart, later page loads (median of 3)", f"{warm:.2f} s",
                 f"<= {TARGETS['first']:.0f} s", verdict(warm, TARGETS["first"])))
    med = statistics.median(b["nudges"])
    rows.append((f"slider nudge -> redrawn chart, median of {len(b['nudges'])}",
                 f"{med * 1000:.0f} ms (p90 {p90(b['nudges']) * 1000:.0f} ms)",
                 f"<= {TARGETS['nudge'] * 1000:.0f} ms", verdict(med, TARGETS["nudge"])))
    total = sum(a["sizes"])
    parts = ", ".join(f"{s / 1000:.0f} kB" + (f" ({f} frames)" if f else "")
                      for s, f in zip(a["sizes"], a["frames"]))
    rows.append((f"chart JSON per rerun, default view ({parts})", f"{total / 1000:.0f} kB",
                 f"<= {TARGETS['json'] / 1000:.0f} kB", verdict(total, TARGETS["json"])))
    for name in ("same", "nudged"):
        xs = a[name]
        m = statistics.median(xs)
        rows.append((f"server rerun (AppTest), {name} view, median of {len(xs)}",
                     f"{m * 1000:.1f} ms (p90 {p90(xs) * 1000:.1f} ms)",
                     f"<= {TARGETS['rerun'] * 1000:.0f} ms", verdict(m, TARGETS["rerun"])))

    width = max(len(r[0]) for r in rows)
    print(f"App benchmark ({REPO.name}, headless Chromium)")
    for what, value, target, ok in rows:
        print(f"  {what:<{width}}  {value:<26} target {target:<10} {ok}")
    print(f"  (cold/warm first chart: {b['first_cold']:.2f} s / "
          + " ".join(f"{x:.2f}" for x in b["first_warm"]) + " s; "
          f"nudges: {' '.join(f'{x * 1000:.0f}' for x in b['nudges'])} ms; "
          f"dropped key presses: {b['dropped']})")
    print(f"  ratios to target: first chart {b['first_cold'] / TARGETS['first']:.2f}, "
          f"nudge {med / TARGETS['nudge']:.2f}, JSON {total / TARGETS['json']:.2f}, "
          f"rerun same {statistics.median(a['same']) / TARGETS['rerun']:.2f}, "
          f"nudged {statistics.median(a['nudged']) / TARGETS['rerun']:.2f}")


if __name__ == "__main__":
    main()
