"""What a chart component of our own could save per nudge: Plotly.react against Plotly.newPlot.

    .venv/bin/python bench/bench_react.py [--reps 5] [--redraws 12]

Streamlit's chart element re-creates the chart whenever its figure changes
(bench/bench_nudge_profile.py), so every nudge is a full ``Plotly.newPlot``.
A component of our own could keep the element and call ``Plotly.react``.
Before building one, this measures the most it could save, with plotly.js alone
(no Streamlit, no page around it), in headless Chromium (/usr/bin/chromium):

- The Playground's opening view, as the app sends it (through AppTest: the
  contour figure and the loss figure), at three neighbouring learning rates of
  the first optimizer, so each redraw gets a figure it has not drawn just before.
- Three ways to go from one figure to the next, each timed from the call to
  the next animation frame after plotly.js settles:
  ``newPlot`` (purge, then draw from scratch: what the app does now),
  ``react`` (the same element, new figure objects: what a component would do),
  ``react, kept`` (as ``react``, but the traces that did not change keep their
  old objects, so plotly.js can skip them: the best a component could do).
- ``--reps`` rounds, each ``--redraws`` redraws per way (the first two of each
  are warm-up and dropped), ways interleaved within a round.  Prints the median
  of each round, the spread over rounds, and the ratios to ``newPlot``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WAYS = ("newPlot", "react", "react, kept")

REDRAW = """async ([figs, way, n, frame = true]) => {
  const div = document.getElementById('g');
  const fresh = f => JSON.parse(JSON.stringify(f));
  Plotly.purge(div);
  await Plotly.newPlot(div, fresh(figs[0]));
  const out = [];
  for (let i = 0; i < n; i++) {
    const last = figs[i === 0 ? 0 : 1 + ((i - 1) % 2)], f = fresh(figs[1 + (i % 2)]);
    if (way === 'react, kept') {  // an unchanged trace keeps the object plotly.js already has
      f.data = f.data.map((t, j) => JSON.stringify(t) === JSON.stringify(last.data[j]) ? div.data[j] : t);
    }
    const t0 = performance.now();
    if (way === 'newPlot') { Plotly.purge(div); await Plotly.newPlot(div, f); }
    else { await Plotly.react(div, f); }
    if (frame) await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
    out.push(performance.now() - t0);
  }
  return out.slice(2);
}"""


def playground_figures() -> dict[str, list[dict]]:
    """Chart key -> the figure the app sends, at three neighbouring learning rates."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    slider = next(s for s in at.select_slider if s.key.endswith(".run.0.lr"))
    values = [v for v in (slider.value, 0.9, 0.8)]
    out: dict[str, list[dict]] = {}
    for v in values:
        at.select_slider(key=slider.key).set_value(v).run()
        assert not at.exception, [e.value for e in at.exception]
        for c in at.get("plotly_chart"):
            out.setdefault(c.proto.id.rsplit("-", 1)[-1], []).append(json.loads(c.proto.spec))
    return out


@contextmanager
def plotly_page():
    """A headless Chromium page (/usr/bin/chromium) holding plotly.js, plotly.py's copy, and an
    empty 900 px wide ``div#g`` to draw in."""
    import plotly
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_content("<div id='g' style='width:900px'></div>")
            page.add_script_tag(path=str(Path(plotly.__file__).parent / "package_data" / "plotly.min.js"))
            yield page
        finally:
            browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--redraws", type=int, default=12)
    args = ap.parse_args()

    import plotly

    figs = playground_figures()
    print(f"plotly.js from plotly {plotly.__version__}; charts: "
          + ", ".join(f"{k} ({len(json.dumps(v[0])) // 1000} kB)" for k, v in figs.items()))
    medians = {(k, w): [] for k in figs for w in WAYS}
    with plotly_page() as page:
        for rep in range(args.reps):
            for key, three in figs.items():
                for way in WAYS:
                    times = page.evaluate(REDRAW, [three, way, args.redraws + 2])
                    medians[key, way].append(statistics.median(times))
    print(f"\nms per redraw: median of {args.redraws} redraws per round, {args.reps} rounds "
          "(median over rounds, min-max)")
    for key in figs:
        base = statistics.median(medians[key, "newPlot"])
        for way in WAYS:
            m = medians[key, way]
            print(f"  {key:10s} {way:12s} {statistics.median(m):6.1f}  ({min(m):5.1f}-{max(m):5.1f})"
                  f"   {statistics.median(m) / base:4.2f}x newPlot")
    saved = sum(statistics.median(medians[k, "newPlot"]) - statistics.median(medians[k, "react, kept"])
                for k in figs)
    print(f"\nat most {saved:.0f} ms per nudge saved on the Playground's charts by Plotly.react")


if __name__ == "__main__":
    main()
