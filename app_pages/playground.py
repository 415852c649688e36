"""Playground: every chosen optimizer on one contour plot, with loss and a summary."""

import streamlit as st

import surfaces
from ui import cache, chrome
from viz import figures, presets

P = "pg"

ps, sc = chrome.page(P, presets.ZIGZAG, title="Optimizer playground",
                     intro=lambda s: f"**{s.label}**: ${s.latex}$. {s.lesson}")
s = surfaces.get(sc.surface)
paths = cache.paths(sc)
height = min(figures.contour_height(s, 1400), 780) if ps.present else figures.contour_height(s)
fig = cache.contour(sc.link, height)
main, side = st.columns([1.65, 1]) if not ps.present else (st.container(), st.container())
with main:
    st.plotly_chart(fig, key=ps.key("chart"), on_select=lambda: chrome.on_plot_select(ps),
                    selection_mode=("points",), theme=None, width="stretch",
                    config={"displaylogo": False, "scrollZoom": False})
with side:
    st.plotly_chart(cache.loss(sc.link), key=ps.key("loss"), theme=None, width="stretch",
                    config={"displaylogo": False})
    st.markdown(cache.summary(sc.link))
    chrome.notes(s, paths)
if not ps.present:
    chrome.exports(ps, sc, fig, s, paths)
