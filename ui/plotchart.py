"""A Plotly chart that keeps its element between reruns and redraws it in place.

``st.plotly_chart`` gives its element a new identity for every new figure: each rerun that
changes a figure removes the chart and mounts a new, hidden element that plotly.js draws
into and that is shown a render later.  On most slider nudges the Playground's charts
vanish for 50-80 ms (BENCHMARKS.md, "Charts kept between reruns").
The element here (``st.components.v2``: inline JavaScript, no iframe) is keyed, so it lives
as long as the page does; each rerun hands it the figure's JSON, and it redraws the same
plot with ``Plotly.react`` as soon as the data arrive: the old picture stays until the new
one replaces it.

It draws with the plotly.js that Streamlit's own chart brings into the page: evaluating
Streamlit's chart code defines ``window.Plotly`` (plotly.js 4.2 with Streamlit 1.67).  So a
page's first charts are Streamlit's, and an element with no look (the loader, ``preload``,
drawn after the charts) waits until the page shows a chart drawn for the column's width and
``window.Plotly`` is there, then reports it: one more rerun of the view, after which
``chart`` draws kept elements (each chart re-created one last time).  Where the global never
comes (another Streamlit), nothing is reported and the page keeps Streamlit's charts.
Clients that run no JavaScript (AppTest) keep Streamlit's charts; the load test's students
report as a browser does.

A redraw that only moves paths (the layout, the frames' names and every trace's look as
before, every trace a scatter on axes with fixed ranges, the plot at rest) animates just the
traces that moved, with no transition and no frame's wait, and then replaces the frames
that Play runs: on the Playground's learning-rate nudge that is about a third of what
``Plotly.react`` spends redrawing the whole figure (BENCHMARKS.md, "Only the paths redrawn").
An axis of its own (not tied to another's scale) may move its range and ticks along with the
paths, as the loss chart's axes do when a curve ends lower: they are animated with the traces,
and drawn exactly as ``Plotly.react`` draws them.  Anything else goes through ``Plotly.react``.

A click on a chart that asks for one comes back as the selection ``st.plotly_chart``
gives: ``{"selection": {"points": [{"x": .., "y": .., ..}]}}`` (``clicked``).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Callable

import streamlit as st

READY = "plotly-js"   # the loader's key; its state says the page has plotly.js
KEPT = ".kept"        # a kept chart's key: the page's chart key with this after it
LOADED = "plotly_js_loaded"  # the report, kept past a page switch
HIDE_CSS = f".st-key-{READY}{{display:none}}"  # the loader takes no room (nor the gap around an element)

_JS = """
// Once the page shows a chart drawn for the column's width, and Streamlit's chart code has
// defined window.Plotly, say so.
function preload(host, data, setStateValue) {
  host.dataset.ready = data.ready ? "1" : "0";  // for tests: the server has drawn kept charts
  if (data.ready || host.__waiting) return;
  host.__waiting = true;
  const shown = () => [...document.querySelectorAll(".js-plotly-plot")]
    .some(g => g._fullData && getComputedStyle(g).visibility !== "hidden");
  const fitted = () => [...document.querySelectorAll("[class*='-width'] [data-testid='stBidiComponentRegular']")]
    .every(e => e.dataset.measured !== undefined && e.dataset.measured === e.dataset.drawn);
  const until = performance.now() + 120000;  // a page whose chart never comes gives up
  const wait = () => {
    if (!host.isConnected || performance.now() > until) { host.__waiting = false; return; }
    if (window.Plotly && typeof window.Plotly.react === "function" && shown() && fitted()) setStateValue("ready", true);
    else setTimeout(wait, 100);
  };
  wait();
}

// What a message's figure looks like apart from where its paths go: a nudge of a learning rate
// changes the points (and the names that show the rate), and on a chart whose axes are fitted to
// its curves (the loss chart) maybe an axis's range and ticks; nothing else.  Null for a figure
// whose redraw can never be just its paths: one with a trace other than a plain scatter (animating
// without a redraw drops contour and heatmap traces, plotly.js#4491, and draws no 3D), or with an
// axis that follows the data.
const MOVES = new Set(["x", "y", "customdata", "name", "text", "hovertext"]);
// What of a free axis (one not tied to another's scale) may move with them: animated as the
// frame's layout, plotly.js draws the axis as Plotly.react would, pixel for pixel.
const AXIS_MOVES = ["range", "dtick", "tickvals", "nticks"];
function outline(fig, config) {
  if (fig.data.some(t => (t.type || "scatter") !== "scatter")) return null;
  const layout = {...fig.layout}, axes = {};
  for (const id of new Set(fig.data.flatMap(t => [t.xaxis || "x", t.yaxis || "y"]))) {
    const name = id[0] + "axis" + id.slice(1), ax = layout[name];
    if (!ax || !Array.isArray(ax.range) || ax.autorange === true) return null;
    if (ax.scaleanchor || ax.matches) continue;
    layout[name] = {...ax};
    for (const k of AXIS_MOVES) if (k in ax) { axes[name + "." + k] = ax[k]; layout[name][k] = "moves"; }
  }
  return {layout: JSON.stringify([layout, config]), axes, traces: fig.data.map(t => JSON.stringify(t)),
          looks: fig.data.map(t => JSON.stringify(Object.keys(t).sort().map(k => MOVES.has(k) ? k : [k, t[k]]))),
          frames: JSON.stringify((fig.frames || []).map(f => f.name))};
}

// The traces that moved and the axis settings that changed with them ({traces, axes}), when
// that is all and the plot is at rest (no Play under way, the step slider where the figure
// puts it); otherwise null: Plotly.react.
function moved(host, gd, fig, was, now) {
  if (!was || !now || !gd._fullLayout || host.__playing || was.layout !== now.layout || was.frames !== now.frames
      || was.looks.length !== now.looks.length || now.looks.some((l, j) => l !== was.looks[j])) return null;
  const want = fig.layout.sliders || [], shown = gd.layout.sliders || [], drawn = gd._fullLayout.sliders || [];
  if (want.some((s, i) => !shown[i] || !drawn[i] || shown[i].active !== s.active || drawn[i].active !== s.active)) return null;
  const axes = {};
  for (const k in now.axes) if (JSON.stringify(now.axes[k]) !== JSON.stringify(was.axes[k])) axes[k] = now.axes[k];
  return {traces: now.traces.flatMap((t, j) => t === was.traces[j] ? [] : [j]), axes};
}

// The ranges and domains of a figure's axes when one of them keeps another's scale, else null.
// plotly.js 4.2's Plotly.react from one such figure to another with other ranges keeps the old
// constraint: an equal-aspect plot switched from a wide window to a square one (a lesson that
// changes the surface) widened its x range across the whole figure instead of narrowing its
// domain, and left white bands beside the backdrop.  Such a figure is drawn on a purged plot.
function windowOf(fig) {
  const axes = Object.keys(fig.layout).filter(k => /^[xy]axis[0-9]*$/.test(k)).sort();
  if (!axes.some(k => fig.layout[k] && fig.layout[k].scaleanchor)) return null;
  return JSON.stringify(axes.map(k => [k, fig.layout[k].range, fig.layout[k].domain]));
}

// Redraw: only the paths that moved when that is all (Plotly.animate with no transition and no
// frame's wait redraws just those traces, and the axes whose range or ticks moved), else
// Plotly.react.  One draw at a time per chart; a message that arrives meanwhile is drawn when
// it ends (the newest one).
function draw(host, Plotly) {
  if (host.__busy && performance.now() - host.__busy < 2000) return;
  const text = host.__text;
  if (host.__drawn === text) return;  // no news
  host.__drawn = text;
  const msg = JSON.parse(text), fig = msg.figure, gd = host.__gd;
  fig.layout.width = Math.max(150, Math.floor(host.getBoundingClientRect().width));
  fig.config = msg.config;
  gd.style.height = (fig.layout.height || 450) + "px";
  host.__clicks = msg.clicks;
  const was = host.__outline, now = outline(fig, msg.config), quick = moved(host, gd, fig, was, now);
  host.__outline = now;
  let done;
  if (quick) {
    host.__quick = (host.__quick || 0) + 1;  // for tests: how many redraws took this way
    const renamed = quick.traces.filter(j => fig.data[j].name !== gd.data[j].name);
    const frame = {data: quick.traces.map(j => fig.data[j]), traces: quick.traces};
    if (Object.keys(quick.axes).length) frame.layout = quick.axes;
    done = Plotly.animate(gd, frame, {frame: {duration: 0, redraw: false}, transition: {duration: 0}, mode: "immediate"})
      .then(() => renamed.length && Plotly.restyle(gd, {name: renamed.map(j => fig.data[j].name)}, renamed))
      .then(() => fig.frames && fig.frames.length && Plotly.addFrames(gd, fig.frames));
  } else {
    const win = windowOf(fig);
    if (win && host.__window && win !== host.__window && gd._fullLayout) {
      Plotly.purge(gd);  // drawn anew, as on a fresh page (see windowOf); a Play under way ends
      host.__wired = host.__playing = false;
    }
    host.__window = win;
    done = Plotly.react(gd, fig);
  }
  host.__busy = performance.now();
  done.catch(() => { host.__outline = null; }).then(() => {  // interrupted: the next draws afresh
    host.__busy = 0;
    wire(host, gd, Plotly);
    draw(host, Plotly);
  });
}

function wire(host, gd, Plotly) {
  if (host.__wired) return;  // (again after a purge, which drops a plot's listeners)
  host.__wired = true;
  gd.on("plotly_click", (ev) => {
    if (!host.__clicks) return;
    const points = (ev.points || []).map(p => ({x: p.x, y: p.y, curve_number: p.curveNumber,
                                               point_number: p.pointNumber, point_index: p.pointIndex}));
    host.__trigger("select", {selection: {points}});
  });
  gd.on("plotly_animating", () => { host.__playing = true; });
  for (const ev of ["plotly_animated", "plotly_animationinterrupted"]) gd.on(ev, () => { host.__playing = false; });
  if (host.__observed) return;
  host.__observed = true;
  new ResizeObserver(() => {
    const w = Math.floor(host.getBoundingClientRect().width);
    if (w > 0 && gd._fullLayout && Math.abs(w - gd._fullLayout.width) >= 1) Plotly.relayout(gd, {width: Math.max(150, w)});
  }).observe(host);
}

export default function ({ parentElement, data, setStateValue, setTriggerValue }) {
  const host = parentElement;
  if (data && data.preload) { preload(host, data, setStateValue); return; }
  host.__trigger = setTriggerValue;
  if (!host.__gd) {
    host.__gd = document.createElement("div");
    host.__gd.className = "plotchart";
    host.appendChild(host.__gd);
  }
  host.__text = new TextDecoder().decode(data);  // the message, sent as bytes
  const go = () => window.Plotly ? draw(host, window.Plotly) : setTimeout(go, 50);  // reported, so it comes
  go();
}
"""


@cache
def _component():
    return st.components.v2.component("plotchart", js=_JS, isolate_styles=False)


def ready() -> bool:
    """Whether this session's page has reported plotly.js there (then charts are kept).  The
    report is the loader's state, which is the element's on one page: kept under a plain session
    key too, so that it outlives a page switch (the page stays, and so does its plotly.js)."""
    ss = st.session_state
    if ss.get(LOADED) is True:
        return True
    state = ss.get(READY)
    if hasattr(state, "get") and state.get("ready") is True:
        ss[LOADED] = True
        return True
    return False


def preload() -> None:
    """The loader: an element with no look, drawn after a page's charts."""
    _component()(key=READY, data={"preload": True, "ready": ready()},
                 default={"ready": False}, on_ready_change=_ignore)


def chart(fig, *, key: str, config: dict | None = None, on_click: Callable[[], None] | None = None) -> None:
    """Draw ``fig`` (a ``figures.PlainFigure``) under ``key``: kept once the page has plotly.js,
    else Streamlit's own chart.  ``on_click`` runs when a point is clicked (``clicked(key)``)."""
    config = {"displaylogo": False, **(config or {})}
    if not ready():
        clicks = {} if on_click is None else {"on_select": on_click, "selection_mode": ("points",)}
        st.plotly_chart(fig, key=key, theme=None, width="stretch", config=config, **clicks)
        return
    head = json.dumps({"config": config, "clicks": on_click is not None}).encode()
    _component()(key=key + KEPT, data=head[:-1] + b',"figure":' + fig.json_bytes() + b"}",
                 on_select_change=on_click or _ignore)


def clicked(key: str):
    """The selection that the last click on chart ``key`` made, drawn either way (None: none)."""
    for name, field in ((key + KEPT, "select"), (key, None)):
        state = st.session_state.get(name)
        if state is not None:
            got = state.get(field) if field else state
            if got:
                return got
    return None


def _ignore() -> None:
    """A report only needs the rerun it causes."""
