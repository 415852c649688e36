"""3D: the surface with the paths lifted onto it; drag to rotate, scroll to zoom."""

import streamlit as st

import surfaces
from ui import common
from viz import figures, presets

P = "3d"
DEFAULT = presets.BY_KEY["saddle"].view


@st.cache_resource(max_entries=32, show_spinner=False)
def scene(view, height):
    s = surfaces.get(view.surface)
    return figures.surface3d_figure(s, common.grid(view.surface, 70), common.paths(view), view.start,
                                    height=height)


view, problems = common.sidebar(P, DEFAULT)
common.presentation(P, view.present)
s = surfaces.get(view.surface)
if not view.present:
    st.title("3D view")
    st.markdown(f"**{s.label}**: ${s.latex}$. Drag to rotate, scroll to zoom."
                + (" Height is log-scaled, as the contour colours are." if s.log_color else ""))
common.messages(P, problems)
common.sync_url(view)
if not view.runs:
    st.stop()

paths = common.paths(view)
st.plotly_chart(scene(view.with_(present=False), 780 if view.present else 680), key=f"{P}.chart",
                theme=None, width="stretch", config={"displaylogo": False})
common.summary(P, view, s, paths, scene(view.with_(present=False), 680))
