"""Where a slider nudge's time goes in the browser: the app against the floor app.

    .venv/bin/python bench/bench_nudge_profile.py [--nudges 6] [--top 12]

bench/bench_app.py says how long a nudge takes; this says what the browser's
main thread does meanwhile.  For the app (`app.py`, the first optimizer's
learning-rate slider) and the floor (bench/floor_app.py, its one slider),
each served as `make run` serves it, it records the Chrome DevTools CPU
profile (sampling every 200 µs) over ``--nudges`` nudges in headless
Chromium and prints, per nudge:

- the main thread's busy time (everything but idle);
- self time by source: plotly.js by its own source module (the bundle keeps
  markers such as "src/components/sliders/draw.js"), Streamlit's other
  bundles by file, and the browser's native work (style, layout, paint,
  garbage collection) as Chrome names it;
- inclusive time of the plotly.js modules (a module's callees included).

Whether the chart is drawn afresh on every rerun is printed too: a new
`.js-plotly-plot` element after a nudge means a full `Plotly.newPlot`.

The profiler itself and the harness's polling cost a few milliseconds per
nudge on both sides; compare the app with the floor of the same run.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from bench_app import FLOOR, SLIDERS, make_run_command  # noqa: E402
from tests.appserver import IDLE, VIEWPORT, AppServer, launch_chromium, wait_idle  # noqa: E402

# Counts the chart elements that appear after a keydown (a re-created chart).
NEW_CHARTS = """() => {
  window.__charts = new WeakSet(document.querySelectorAll('.js-plotly-plot'));
  window.__fresh = 0;
  const seen = window.__charts;
  const look = () => {
    document.querySelectorAll('.js-plotly-plot').forEach(g => { if (!seen.has(g)) { seen.add(g); window.__fresh++; } });
    requestAnimationFrame(look);
  };
  look();
}"""


def plotly_modules() -> tuple[list[tuple[int, int]], list[str]]:
    """Positions (line, column) of the plotly.js source-module markers in Streamlit's chart bundle."""
    bundle = next((REPO / ".venv").glob("lib/python*/site-packages/streamlit/static/static/js/PlotlyChart.*.js"))
    marks = []
    for ln, text in enumerate(bundle.read_text(encoding="utf-8").split("\n")):
        marks += [((ln, m.start()), m.group(1))
                  for m in re.finditer(r'"((?:src|node_modules)/[^"]+?\.js)"\(', text)]
    marks.sort()
    return [m[0] for m in marks], [m[1] for m in marks]


def profile(script: str, slider: str, nudges: int) -> tuple[dict, int]:
    from playwright.sync_api import sync_playwright

    with AppServer(command=make_run_command(script)) as server, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(server.url)
        wait_idle(page, timeout=90_000)
        page.wait_for_timeout(1500)
        box = page.locator(f"{slider} [data-testid='stSlider'] input[type='range']")
        box.focus()
        box.press("ArrowLeft")  # the first nudge warms the caches; it is not profiled
        page.wait_for_selector(IDLE)
        page.wait_for_timeout(800)
        page.evaluate(NEW_CHARTS)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        cdp.send("Profiler.start")
        for n in range(nudges):
            box.focus()
            box.press("ArrowRight" if n % 2 else "ArrowLeft")
            page.wait_for_timeout(150)
            page.wait_for_selector(IDLE)
            page.wait_for_timeout(700)
        prof = cdp.send("Profiler.stop")["profile"]
        fresh = page.evaluate("() => window.__fresh")
        browser.close()
    return prof, fresh


def tally(prof: dict, keys, names) -> tuple[float, collections.Counter, collections.Counter]:
    nodes = {n["id"]: n for n in prof["nodes"]}
    parent = {c: n["id"] for n in prof["nodes"] for c in n.get("children", [])}
    spent = collections.Counter()
    for sid, dt in zip(prof["samples"], prof["timeDeltas"][1:] + [0]):
        spent[sid] += dt

    def source(cf) -> str:
        if "PlotlyChart" in cf["url"]:
            i = bisect.bisect_right(keys, (cf["lineNumber"], cf["columnNumber"])) - 1
            return "plotly.js " + (names[i] if i >= 0 else "(bundle)")
        return cf["url"].split("/")[-1].split(".")[0] or cf["functionName"] or "(native)"

    own, incl, busy = collections.Counter(), collections.Counter(), 0.0
    for sid, us in spent.items():
        cf = nodes[sid]["callFrame"]
        if cf["functionName"] == "(idle)":
            continue
        busy += us
        own[source(cf)] += us
        seen, cur = set(), sid
        while cur is not None:
            k = source(nodes[cur]["callFrame"])
            if k.startswith("plotly.js") and k not in seen:
                incl[k] += us
                seen.add(k)
            cur = parent.get(cur)
    return busy, own, incl


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nudges", type=int, default=6)
    ap.add_argument("--top", type=int, default=12)
    a = ap.parse_args()
    keys, names = plotly_modules()
    for label, script in (("app", "app.py"), ("floor", FLOOR)):
        prof, fresh = profile(script, SLIDERS[label], a.nudges)
        busy, own, incl = tally(prof, keys, names)
        n = a.nudges
        print(f"\n{label}: main thread busy {busy / 1000 / n:.0f} ms per nudge ({n} nudges); "
              f"charts created afresh: {fresh / n:.1f} per nudge")
        print("  self time, ms per nudge:")
        for k, us in own.most_common(a.top):
            print(f"    {us / 1000 / n:6.1f}  {k}")
        print("  plotly.js modules, inclusive, ms per nudge:")
        for k, us in incl.most_common(a.top):
            print(f"    {us / 1000 / n:6.1f}  {k}")


if __name__ == "__main__":
    main()
