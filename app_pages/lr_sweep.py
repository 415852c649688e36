"""Learning-rate sweep: final loss against the learning rate, and the paths, scrubbed in the browser."""

import streamlit as st

from ui import cache, chrome, pagestate
from viz import presets, sweep
from viz.state import surface_of

P = "lr"


def open_in_playground() -> None:
    """A point chosen on a curve opens the Playground with that optimizer at that rate."""
    picked = sweep.lr_from_selection(st.session_state.get(ps.key("chart")), cache.sweeps(sc.link))
    if picked is None:
        return
    i, lr = picked
    lr = float(f"{lr:.3g}")  # a readable rate for the Playground's label and slider
    runs = tuple(r if j != i else type(r).of(r.name, **{**r.kwargs, "lr": lr}) for j, r in enumerate(sc.runs))
    pagestate.PageState.preset("pg", sc.with_(runs=runs, steps=min(sc.steps, 1000)))
    st.session_state["goto"] = "app_pages/playground.py"


ps, sc = chrome.page(P, presets.SWEEP, title="Learning-rate sweep", max_runs=4, noise=False,
                     intro=lambda s: chrome.surface_intro(
                         s, "Each optimizer runs at 200 learning rates from the same start, in one batch. "
                            "Left: where it ends (log scale) against the learning rate. Right: its path at "
                            "the rate the slider picks; scrub it, the browser redraws without asking the "
                            "server. Click a point on a curve to open that rate in the Playground."))
s = surface_of(sc.surface)
fig = cache.sweep_figure(sc.link, 520 if ps.present else 560)
st.plotly_chart(fig, key=ps.key("chart"), on_select=open_in_playground, selection_mode=("points",),
                theme=None, width="stretch", config={"displaylogo": False, "scrollZoom": False})
chrome.sweep_summary(s, cache.sweeps(sc.link))
