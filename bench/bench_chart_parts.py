"""What each part of the Playground's charts costs the browser on a nudge.

    .venv/bin/python bench/bench_chart_parts.py [--reps 4] [--redraws 12]

Every nudge redraws the Playground's charts from scratch (Streamlit re-creates
a chart whose figure changed: bench/bench_react.py), so a chart's price in the
browser is one ``Plotly.newPlot``.  This prices the contour figure's parts by
leaving each out in turn, with plotly.js alone in headless Chromium
(/usr/bin/chromium; the plotly.js the plotly package ships), on the figures the
app sends for its opening view at three neighbouring learning rates (through
AppTest, as bench/bench_react.py gets them):

- the whole contour figure, then without: the animation's step slider; only
  the slider's "step N" read-out (``currentvalue``); the Play/Pause buttons;
  the click grid (viz.figures.click_grid_trace); the filled-contour image;
  frames, slider and buttons together; everything but the paths and markers;
- the loss chart, whole.

``--reps`` rounds of ``--redraws`` redraws per variant (bench/bench_react.py's
``newPlot`` redraw: purge, draw, until the next frame; the first two of each
dropped), variants interleaved within a round: the median of each round, then
the median and range over rounds, and what leaving the part out saves.

Until the next frame, a redraw's time moves in steps of a 16.7 ms frame, so a
part that costs a few milliseconds shows as 0 or as a whole frame.
``--until promise`` times ``newPlot`` itself instead (the same redraws, each
until its promise resolves; the browser's paint left out), which resolves a
part's cost to about a millisecond.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

CLICK_GRID = "click to start here"

def _without_click_grid(fig: dict) -> None:
    fig["data"] = [t for t in fig["data"] if t.get("name") != CLICK_GRID]


def _without(*keys: str):
    def drop(fig: dict) -> None:
        for k in keys:
            if k == "frames":
                fig.pop("frames", None)
            else:
                fig["layout"].pop(k, None)
    return drop


def _without_readout(fig: dict) -> None:
    fig["layout"]["sliders"][0]["currentvalue"] = {"visible": False}


def _paths_only(fig: dict) -> None:
    _without("frames", "sliders", "updatemenus", "images")(fig)
    _without_click_grid(fig)


VARIANTS = {
    "contour figure, whole": lambda fig: None,
    "  without the step slider": _without("sliders"),
    "  without the slider's read-out": _without_readout,
    "  without Play/Pause": _without("updatemenus"),
    "  without the click grid": _without_click_grid,
    "  without the contour image": _without("images"),
    "  without frames, slider, buttons": _without("frames", "sliders", "updatemenus"),
    "  paths and markers only": _paths_only,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--redraws", type=int, default=12)
    ap.add_argument("--until", choices=("frame", "promise"), default="frame",
                    help="time each redraw until the next frame (bench_react's) or until newPlot resolves")
    args = ap.parse_args()

    import plotly

    from bench_react import REDRAW, playground_figures, plotly_page

    figs = playground_figures()
    contour, loss = figs["pg.chart"], figs["pg.loss"]
    names = [t.get("name") for t in contour[0]["data"]]
    assert CLICK_GRID in names and contour[0]["layout"].get("sliders"), "the figure changed: update the variants"
    variants = {}
    for label, cut in VARIANTS.items():
        variants[label] = []
        for f in contour:
            g = copy.deepcopy(f)
            cut(g)
            variants[label].append(g)
    variants["loss chart, whole"] = loss
    steps = len(contour[0]["layout"]["sliders"][0]["steps"])
    print(f"plotly.js from plotly {plotly.__version__}; the opening view: {len(names)} traces, "
          f"{steps} slider steps, {len(contour[0].get('frames', []))} frames")
    medians = {k: [] for k in variants}
    with plotly_page() as page:
        for _ in range(args.reps):
            for k, fs in variants.items():
                medians[k].append(statistics.median(page.evaluate(REDRAW, [fs, "newPlot", args.redraws + 2, args.until == "frame"])))
    whole = statistics.median(medians["contour figure, whole"])
    until = "the next frame" if args.until == "frame" else "newPlot resolves"
    print(f"\nms per newPlot, until {until}: median of {args.redraws} redraws per round, {args.reps} rounds "
          "(median over rounds, min-max; saved = whole contour figure - variant)")
    for k, m in medians.items():
        med = statistics.median(m)
        saved = f"   saves {whole - med:5.1f}" if k.startswith("  ") else ""
        print(f"  {k:36s} {med:6.1f}  ({min(m):5.1f}-{max(m):5.1f}){saved}")


if __name__ == "__main__":
    main()
