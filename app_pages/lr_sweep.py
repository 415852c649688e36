"""Learning-rate sweep: final loss against the learning rate, and the paths, scrubbed in the browser."""

from functools import partial

from ui import cache, chrome, plotchart
from ui.pagestate import PageState
from viz import presets
from viz.state import Scenario, surface_of

P = "lr"


def body(ps: PageState, sc: Scenario) -> None:
    # on a projector a fixed height that fits; otherwise what the column's width needs
    fig = cache.sweep_figure(sc.link, 520 if ps.present else 560, None if ps.present else ps.column_width())
    plotchart.chart(fig, key=ps.key("chart"), on_click=partial(chrome.open_sweep_pick, ps, sc.link),
                    config={"scrollZoom": False})
    chrome.sweep_summary(surface_of(sc.surface), cache.sweeps(sc.link))


chrome.page(P, presets.SWEEP, title="Learning-rate sweep", max_runs=4, noise=False, body=body, fit=True,
            intro=lambda s: chrome.surface_intro(
                s, "Each optimizer runs at 200 learning rates from the same start, in one batch. "
                   "The first panel: where it ends (log scale) against the learning rate. The "
                   "second, beside it or (on a narrow screen) under it: its path at the rate the "
                   "slider picks; scrub it, the browser redraws without asking the server. Click a "
                   "point on a curve to open that rate in the Playground."))
