"""Playground: every chosen optimizer on one contour plot, with loss and a summary."""

import streamlit as st

from ui import cache, chrome
from viz.state import surface_of
from viz import figures, presets

P = "pg"

ps, sc = chrome.page(P, presets.ZIGZAG, title="Optimizer playground",
                     intro=chrome.surface_intro)
s = surface_of(sc.surface)
paths = cache.paths(sc)
height = figures.PRESENT_HEIGHT if ps.present else figures.contour_height(s, 760)
fig = cache.contour(sc.link, height)
st.plotly_chart(fig, key=ps.key("chart"), on_select=lambda: chrome.on_plot_select(ps),
                selection_mode=("points",), theme=None, width="stretch",
                config={"displaylogo": False, "scrollZoom": False})
chart, numbers = st.columns([1, 1.35], vertical_alignment="top")
chart.plotly_chart(cache.loss(sc.link), key=ps.key("loss"), theme=None, width="stretch",
                   config={"displaylogo": False})
lr_fig = cache.lr_chart(sc.link)
if lr_fig is not None:
    chart.plotly_chart(lr_fig, key=ps.key("lrs"), theme=None, width="stretch", config={"displaylogo": False})
with numbers:
    chrome.summary(sc.link, s, paths)
if not ps.present:
    chrome.exports(ps, sc, fig, s, paths)
