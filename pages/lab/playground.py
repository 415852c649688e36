"""Playground: every chosen optimizer on one contour plot, with loss and a summary."""

import streamlit as st

import surfaces
from ui import common
from viz import figures, presets, tables

P = "pg"


@st.cache_resource(max_entries=64, show_spinner=False)
def contour(view, height):
    s = surfaces.get(view.surface)
    return figures.contour_figure(s, common.grid(view.surface), common.paths(view), view.start,
                                  height=height)


@st.cache_resource(max_entries=64, show_spinner=False)
def loss(view):
    s = surfaces.get(view.surface)
    return figures.loss_figure(s, common.grid(view.surface), common.paths(view))


view, problems = common.sidebar(P, presets.ZIGZAG)
common.presentation(P, view.present)
s = surfaces.get(view.surface)
if not view.present:
    st.title("Optimizer playground")
    st.markdown(f"**{s.label}**: ${s.latex}$. {s.lesson}")
common.messages(P, problems)
common.sync_url(view)
if not view.runs:
    st.stop()

paths = common.paths(view)
main, side = st.columns([1.65, 1]) if not view.present else (st.container(), st.container())
with main:
    height = min(figures.contour_height(s, 1400), 780) if view.present else figures.contour_height(s)
    st.plotly_chart(contour(view.with_(present=False), height),
                    key=f"{P}.chart", on_select=lambda: common.on_plot_select(P),
                    selection_mode=("points",), theme=None, width="stretch",
                    config={"displaylogo": False, "scrollZoom": False})
with side:
    st.plotly_chart(loss(view.with_(present=False)), key=f"{P}.loss", theme=None, width="stretch",
                    config={"displaylogo": False})
    st.markdown(tables.summary_markdown(s, paths))
    common.notes(s, paths)
if not view.present:
    common.exports(P, view, contour(view.with_(present=False), height),
                   lambda: tables.paths_csv(s, paths))
