"""Side by side: one optimizer per panel, same surface, start and axes."""

from functools import partial

from ui import cache, chrome, plotchart
from ui.pagestate import PageState
from viz.state import Scenario, surface_of
from viz import figures, presets

P = "sbs"


def body(ps: PageState, sc: Scenario) -> None:
    s = surface_of(sc.surface)
    paths = cache.paths(sc)
    width = None if ps.present else ps.column_width()  # on a projector: rows that fit it
    figure = partial(cache.panels, sc.link, figures.panel_row_height(s, ps.present), 2, width)
    plotchart.chart(figure(), key=ps.key("chart"))
    chrome.summary(sc.link, s, paths)
    if not ps.present:
        chrome.exports(ps, sc, figure)


chrome.page(P, presets.TEXTBOOK, title="Side by side", min_runs=2, max_runs=4, body=body, fit=True,
            intro=lambda s: chrome.surface_intro(s, "One optimizer per panel, identical axes; "
                                                       "Play moves them all together."))
