"""3D: the surface with the paths lifted onto it; drag to rotate, scroll to zoom."""

from functools import partial

from ui import cache, chrome, plotchart
from ui.pagestate import PageState
from viz.state import Scenario, surface_of
from viz import presets

P = "3d"


def body(ps: PageState, sc: Scenario) -> None:
    s = surface_of(sc.surface)
    paths = cache.paths(sc)
    figure = partial(cache.scene, sc.link, 560 if ps.present else 680)
    plotchart.chart(figure(), key=ps.key("chart"))
    chrome.summary(sc.link, s, paths)
    if not ps.present:
        chrome.exports(ps, sc, figure)


chrome.page(P, presets.BY_KEY["saddle"].scenario, title="3D view", body=body,
            intro=lambda s: chrome.surface_intro(s, "Drag to rotate, scroll to zoom." + (
                " Height is log-scaled, as the contour colours are." if s.log_color else "")))
