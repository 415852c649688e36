"""Convergence map: where each optimizer ends, from every start in the window."""

from functools import partial

import streamlit as st

from ui import cache, chrome, plotchart
from ui.pagestate import PageState
from viz import maps, presets
from viz.state import Scenario, surface_of

P = "map"
COLOR_BY = {"basin": "Which minimum it reaches", "loss": "Final loss"}


def body(ps: PageState, sc: Scenario) -> None:
    s = surface_of(sc.surface)
    steps = cache.map_steps(sc.link)
    if steps < sc.steps:
        st.caption(f"Each start runs {steps} steps (the steps control asks for {sc.steps}): a map runs "
                   f"10,000 starts at once, and one rerun may not ask the shared server for more.")
    color_by = st.segmented_control("Colour by", list(COLOR_BY), format_func=COLOR_BY.__getitem__,
                                    key=ps.key("color"),
                                    default="basin" if len(maps.local_minima(s)) > 1 else "loss")
    # the height the column's width needs; on a projector one row, in a height that fits
    fig = cache.map_figure(sc.link, color_by or "loss", maps.PRESENT_HEIGHT if ps.present else 520,
                           ps.column_width(), fit_height=ps.present)
    plotchart.chart(fig, key=ps.key("chart"), on_click=partial(chrome.open_map_pick, ps, sc.link),
                    config={"scrollZoom": False})
    chrome.map_summary(s, cache.convergence_maps(sc.link))


chrome.page(P, presets.MAP, title="Convergence map", max_runs=maps.MAX_PANELS, noise=False, start=False,
            body=body, fit=True, fit_present=True,
            intro=lambda s: chrome.surface_intro(
                s, "Each optimizer runs from 100 × 100 starts covering the window, one batch per "
                   "optimizer, and each cell is coloured by where the path from it ends. Hover a cell "
                   "for its start, end and steps; click it to open that start in the Playground."))
