"""Side by side: one optimizer per panel, same surface, start and axes."""

import streamlit as st

import surfaces
from ui import cache, chrome
from viz import presets

P = "sbs"

ps, sc = chrome.page(P, presets.TEXTBOOK, title="Side by side", min_runs=2, max_runs=4,
                     intro=lambda s: f"**{s.label}**: ${s.latex}$. One optimizer per panel, identical "
                                     f"axes; Play moves them all together.")
s = surfaces.get(sc.surface)
paths = cache.paths(sc)
fig = cache.panels(sc.link, 235 if ps.present else 360, 2)
st.plotly_chart(fig, key=ps.key("chart"), theme=None, width="stretch", config={"displaylogo": False})
chrome.summary(sc.link, s, paths)
if not ps.present:
    chrome.exports(ps, sc, fig, s, paths)
