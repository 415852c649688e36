"""Playground: every chosen optimizer on one contour plot, with loss and a summary."""

from functools import partial

import streamlit as st

from ui import cache, chrome, plotchart
from ui.pagestate import PageState
from viz.state import Scenario, surface_of
from viz import figures, presets

P = "pg"


def body(ps: PageState, sc: Scenario) -> None:
    s = surface_of(sc.surface)
    paths = cache.paths(sc)
    # on a projector a fixed height that fits (the width sets its legend's rows); otherwise the
    # height the column's width needs
    width = ps.column_width()
    height = figures.PRESENT_HEIGHT if ps.present else None if width else figures.contour_height(s, 760)
    inside = False if ps.present else st.toggle(
        "Inside one step", key=ps.key("inside"),
        help="Arrows at one step: where the gradient points, where the optimizer's memory points, "
             "and the step it actually takes.")
    k = st.slider("Step", 0, sc.steps - 1, key=ps.key("inside_step"), value=min(3, sc.steps - 1)) \
        if inside and sc.steps > 1 else 0
    figure = partial(cache.contour_inside, sc.link, height, width, k) if inside \
        else partial(cache.contour, sc.link, height, width)
    plotchart.chart(figure(), key=ps.key("chart"), on_click=partial(chrome.on_plot_select, ps),
                    config={"scrollZoom": False})
    if inside:
        chrome.inside_table(cache.inside_step(sc.link, k))
    chart, numbers = st.columns([1, 1.35], vertical_alignment="top")
    with chart:
        plotchart.chart(cache.loss(sc.link), key=ps.key("loss"))
        lr_fig = cache.lr_chart(sc.link)
        if lr_fig is not None:
            plotchart.chart(lr_fig, key=ps.key("lrs"))
    with numbers:
        chrome.summary(sc.link, s, paths)
    if not ps.present:
        chrome.exports(ps, sc, figure)


chrome.page(P, presets.ZIGZAG, title="Optimizer playground", intro=chrome.surface_intro, body=body, fit=True,
            fit_present=True)
