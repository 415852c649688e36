"""Where a slider nudge's time goes, part by part, and what the page costs without its charts.

    .venv/bin/python bench/bench_nudge_parts.py [--nudges 12] [--rounds 2]

bench/bench_app.py says how long a nudge takes against the floor app; this
splits each nudge, as the browser sees it, into:

- key -> send: the slider's keydown until the browser sends the rerun request
  (Streamlit's own debounce; the same for any app);
- send -> chart message: until the websocket message that carries the
  nudged chart arrives (the largest message of the rerun): the server's
  script run up to that chart, and the way back;
- chart message -> redrawn: until the first animation frame whose chart
  data differ, a frame with no chart not counted (the browser's React commit, Plotly's newPlot, style and
  layout); also the longest main-thread task of the nudge (PerformanceObserver
  "longtask", 50 ms and up);
- key -> redrawn, the figure bench/bench_app.py compares with the floor.

Four servers, each started with the command `make run` uses, nudged in turn
(the same load on each):

- app: the Playground's opening view, the first optimizer's learning rate;
- no loss chart: the same app with the loss chart left out;
- floor charts: the same app with both charts replaced by the floor's one
  line (its frequency follows the learning rate, so it changes on each nudge):
  what the page's other elements (the view's controls, the table) and its
  server run cost, with a chart no dearer than the floor's;
- floor: bench/floor_app.py, one slider and one line.

The variants are copies of the app in a temporary folder with
app_pages/playground.py patched; the patch fails loudly if the page changes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from bench_app import FLOOR, SLIDERS, make_run_command  # noqa: E402
from tests.appserver import IDLE, JS_SIGNATURE, VIEWPORT, AppServer, launch_chromium, wait_idle  # noqa: E402

# Every websocket message's size and arrival, the rerun request's send, and long tasks.
INIT = """(() => {
  window.__ev = [];
  const log = (kind, size, t) => window.__ev.push([kind, t === undefined ? performance.now() : t, size || 0]);
  window.__log = log;
  const Native = window.WebSocket;
  function Logged(...args) {
    const ws = new Native(...args);
    const send = ws.send.bind(ws);
    ws.send = d => { log('send', d.byteLength || d.size || d.length); return send(d); };
    ws.addEventListener('message', e => log('recv', e.data.byteLength || e.data.size || 0));
    return ws;
  }
  Logged.prototype = Native.prototype;
  Object.assign(Logged, Native);
  window.WebSocket = Logged;
  new PerformanceObserver(l => { for (const e of l.getEntries()) log('long', e.duration, e.startTime); })
    .observe({type: 'longtask', buffered: true});
})();"""

# On each keydown: clear the log, mark the key, and mark when chart 0's data change.
ARM = f"""() => {{
  const sig = {JS_SIGNATURE};
  document.addEventListener('keydown', () => {{
    window.__ev = []; window.__log('key');
    const before = sig(0), t0 = performance.now();
    const poll = () => {{
      const now = sig(0);  // null: no chart on the screen at this frame (the old one gone, the new one not drawn or hidden)
      if (now !== null && now !== before) window.__log('drawn');
      else if (performance.now() - t0 < 5000) requestAnimationFrame(poll);
    }};
    requestAnimationFrame(poll);
  }}, true);
}}"""

LOSS_CHART = '        plotchart.chart(cache.loss(sc.link)'
CONTOUR_CHART = '    plotchart.chart(figure(), key=ps.key("chart")'
NO = lambda line: line.replace("plotchart.chart", "0 and plotchart.chart", 1)  # noqa: E731  (left out)
FLOOR_CHART = '''    import numpy as np, plotly.graph_objects as go  # bench_nudge_parts: the floor's chart
    _x = np.linspace(0.0, 10.0, 200)
    _f = go.Figure(go.Scatter(x=_x, y=np.sin(10 * sc.runs[0].lr * _x), mode="lines", name="sin(a x)"))
    _f.update_layout(height=420, margin=dict(l=40, r=10, t=30, b=40))
    st.plotly_chart(_f, key="floor.chart", config={"displaylogo": False})
'''


def patched(tmp: Path, name: str, edits: list[tuple[str, str]]) -> Path:
    """A copy of the app in tmp/name with app_pages/playground.py edited (old -> new, each once)."""
    dest = tmp / name
    shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(".venv", ".git", "test-artifacts", "__pycache__"))
    page = dest / "app_pages" / "playground.py"
    text = page.read_text()
    for old, new in edits:
        if text.count(old) != 1:
            raise SystemExit(f"bench_nudge_parts: app_pages/playground.py changed; cannot find {old.strip()!r}")
        text = text.replace(old, new)
    page.write_text(text)
    return dest


def command_in(folder: Path, script: str = "app.py"):
    run = make_run_command(script)
    python = str(REPO / ".venv" / "bin" / "python")
    return lambda port: f"cd {folder} && " + run(port).replace(".venv/bin/python", python, 1)


class Page:
    """One open page of one server; ``nudge()`` presses its slider one notch left."""

    def __init__(self, browser, server: AppServer, slider: str):
        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.page.add_init_script(INIT)
        self.page.goto(server.url + "/")
        wait_idle(self.page, timeout=90_000)
        self.page.wait_for_timeout(1000)
        self.page.evaluate(ARM)
        self.slider = self.page.locator(f"{slider} [data-testid='stSlider'] input[type='range']")
        self.parts: list[dict] = []

    def nudge(self) -> None:
        self.slider.focus()
        self.slider.press("ArrowLeft")
        try:
            self.page.wait_for_function("() => window.__ev.some(e => e[0] === 'drawn')", timeout=10_000)
        except Exception:  # a key press right after a load can be lost: not counted
            return
        self.page.wait_for_selector(IDLE)
        self.page.wait_for_timeout(300)  # the long-task observer reports a little later
        ev = self.page.evaluate("() => window.__ev")
        t0 = ev[0][1]
        first = lambda kind: next((t - t0 for k, t, _ in ev if k == kind), None)  # noqa: E731
        sent, drawn = first("send"), first("drawn")
        recvs = [(size, t - t0) for k, t, size in ev if k == "recv" and t - t0 <= drawn]
        if sent is None or not recvs:
            return
        chart_at = max(recvs)[1]  # the largest message before the redraw carries the chart
        longest = max([size for k, t, size in ev if k == "long" and 0 <= t - t0 <= drawn + 50] or [0])
        self.parts.append({"send": sent, "chart": chart_at - sent, "draw": drawn - chart_at,
                           "total": drawn, "long": longest})

    def close(self) -> None:
        self.context.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nudges", type=int, default=12, help="nudges per server per round")
    ap.add_argument("--rounds", type=int, default=2, help="rounds, each on freshly loaded pages")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()
    print(f"Nudge parts ({os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          f"at start; headless Chromium; {args.rounds} rounds x {args.nudges} nudges per server)")
    with tempfile.TemporaryDirectory(prefix="nudge-parts-") as tmp:
        tmp = Path(tmp)
        variants = {
            "app": (make_run_command("app.py"), SLIDERS["app"]),
            "no loss chart": (command_in(patched(tmp, "noloss", [(LOSS_CHART, NO(LOSS_CHART))])),
                              SLIDERS["app"]),
            "floor charts": (command_in(patched(tmp, "floorcharts", [
                (LOSS_CHART, NO(LOSS_CHART)),
                (CONTOUR_CHART, FLOOR_CHART + NO(CONTOUR_CHART))])), SLIDERS["app"]),
            "floor": (make_run_command(FLOOR), SLIDERS["floor"]),
        }
        servers = {name: AppServer(command=cmd) for name, (cmd, _) in variants.items()}
        try:
            with sync_playwright() as p:
                browser = launch_chromium(p)
                parts: dict[str, list[dict]] = {name: [] for name in variants}
                for _ in range(args.rounds):
                    pages = {name: Page(browser, servers[name], variants[name][1]) for name in variants}
                    for _ in range(args.nudges):
                        for name, pg in pages.items():
                            pg.nudge()
                    for name, pg in pages.items():
                        parts[name] += pg.parts
                        pg.close()
                browser.close()
        finally:
            for s in servers.values():
                s.stop()
    floor = statistics.median(r["total"] for r in parts["floor"])
    print(f"\n  medians, ms{'':22} {'key->send':>10} {'send->chart msg':>16} {'msg->redrawn':>13} "
          f"{'key->redrawn':>13} {'/ floor':>8} {'longest task':>13}   n")
    for name, rows in parts.items():
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]} if rows else {}
        if not med:
            print(f"  {name:36} (no nudge counted)")
            continue
        print(f"  {name:36} {med['send']:>10.0f} {med['chart']:>16.0f} {med['draw']:>13.0f} "
              f"{med['total']:>13.0f} {med['total'] / floor:>7.2f}x {med['long']:>13.0f} {len(rows):>3}")
    print("\n  (the target is key->redrawn <= 1.7x the floor's; every figure is a median over the rounds)")


if __name__ == "__main__":
    main()
