"""Side by side: one optimizer per panel, same surface, start and axes."""

import streamlit as st

import surfaces
from ui import common
from viz import figures, presets

P = "sbs"


@st.cache_resource(max_entries=64, show_spinner=False)
def panels(view, height_per_row):
    s = surfaces.get(view.surface)
    return figures.panels_figure(s, common.grid(view.surface, 80), common.paths(view), view.start,
                                 height_per_row=height_per_row)


view, problems = common.sidebar(P, presets.TEXTBOOK, min_runs=2, max_runs=4)
common.presentation(P, view.present)
s = surfaces.get(view.surface)
if not view.present:
    st.title("Side by side")
    st.markdown(f"**{s.label}**: ${s.latex}$. One optimizer per panel, identical axes; "
                f"Play moves them all together.")
common.messages(P, problems)
common.sync_url(view)
if len(view.runs) < 2:
    st.stop()

paths = common.paths(view)
st.plotly_chart(panels(view.with_(present=False), 390 if view.present else 360), key=f"{P}.chart",
                theme=None, width="stretch", config={"displaylogo": False})
common.summary(P, view, s, paths, panels(view.with_(present=False), 360))
