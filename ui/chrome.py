"""Page chrome: the skeleton every page shares, messages, presentation mode, exports."""

from __future__ import annotations

import re
import threading
from functools import partial

import numpy as np
from typing import Callable, NamedTuple

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import optimizers

from viz import figures, maps, presets, state, sweep, tables
from viz.state import Scenario, surface_of

from . import cache, controls, keys, plotchart, viewport
from .pagestate import PageState
from .turns import turn

CSS = f"<style>.block-container{{padding-top:2.5rem}}{plotchart.HIDE_CSS}</style>"
PRESENT_CSS = ("<style>[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl'],"
               "header[data-testid='stHeader']{display:none !important}"
               ".block-container{padding-top:0.6rem;padding-bottom:0.5rem;max-width:100% !important}"
               f"{plotchart.HIDE_CSS}</style>")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:&])")


_AUTOLINK = re.compile(r"(?i)(://|www\.|@)")


def escape(text: str) -> str:
    """User text made inert in Streamlit markdown: no links, HTML, LaTeX, emoji or colour codes.

    Markdown punctuation is backslash-escaped; bare URLs, www. names and e-mail
    addresses, which GitHub-flavoured markdown links on sight, get a zero-width
    space that breaks the pattern without changing what is read."""
    text = _AUTOLINK.sub(lambda m: m.group(1)[0] + "\u200b" + m.group(1)[1:], str(text))
    return _MD_SPECIAL.sub(r"\\\1", text)


def surface_intro(s, tail: str = "") -> str:
    """The surface's name (escaped: a formula's name is the student's text), formula and lesson."""
    return f"**{escape(s.label)}**: ${s.latex}$. {tail or s.lesson}"


def page(prefix: str, default: Scenario, *, title: str, intro: Callable[[object], str],
         body: Callable[[PageState, Scenario], None], min_runs: int = 1, max_runs: int = state.MAX_RUNS,
         start: bool = True, noise: bool = True, fit: bool = False, fit_present: bool = False) -> None:
    """Every page's skeleton: title, messages, link, then the page's ``body`` (its figure and
    numbers), and the sidebar; the page stops before its body when there is nothing to draw.

    The body and the controls that only change it (hyperparameters, start, steps,
    noise) are one ``st.fragment``: a nudge of one of them reruns just that, not
    the title, the lessons, the surface list and the rest.  When the text around
    the view would change too (a lesson's note or a link's notice goes, a problem
    appears), the fragment reruns the whole page instead.

    The rest of the sidebar is drawn last (``draw_sidebar``, after the body):
    Streamlit sends each element as the script reaches it, so a figure written
    before the unchanged controls reaches the browser sooner.  The scenario comes
    from the widgets' session state, which the browser sent with the rerun.

    ``start``/``noise`` say whether the page uses those controls (a map covers
    every start; sweeps and maps run without noise).  ``fit``: the page draws its figure for
    its column's width (``PageState.column_width``), which the browser reports through an
    element drawn after the body (ui/viewport.py); ``fit_present``: in presentation mode too
    (where the Playground keeps its fixed height and uses the width for its legend's rows, and
    the map draws one row of panels no taller than a projector's screen allows).  The body draws
    its charts with ``plotchart.chart``, which keeps them between reruns once the browser has
    reported plotly.js through the loader drawn after the body (ui/plotchart.py)."""
    goto = st.session_state.pop("goto", None)  # a callback asked for another page
    if goto:
        st.switch_page(goto)
    ps = PageState(prefix, default, min_runs=min_runs, max_runs=max_runs)
    ps.seed_widgets()
    scenario, problems = ps.read()
    top, below = st.sidebar.container(), st.sidebar.container()  # in this order, filled later
    _later.sidebar = partial(controls.sidebar, ps, top)
    st.markdown(PRESENT_CSS if ps.present else CSS, unsafe_allow_html=True)
    s = surface_of(scenario.surface)
    lesson = shown_lesson(ps, scenario)
    if ps.present:
        presentation_bar(ps)
        keys.teacher_keys()
    else:
        st.title(title)
        # while a lesson's callout says what to look at, the surface's own paragraph
        # would push the figure below the fold: name and formula only
        st.markdown(f"**{escape(s.label)}**: ${s.latex}$." if lesson else intro(s))
    # One slot, shown or empty: the view's chart keeps its place in the page whether or not a
    # callout or a notice shows, so a rerun that leaves its figure alone leaves the chart's
    # element alone.  (A chart that moved would mount again, from the figure Streamlit kept
    # for its id: one whose equal-aspect domains plotly.js fitted to the old window width.)
    with st.container():
        lesson_callout(ps, lesson)
        messages(ps, problems)
    ps.write_link(scenario)
    view = _View(prefix, default, min_runs, max_runs, start, noise, fit_present if ps.present else fit, body,
                 below, _around(ps, problems, lesson))
    if len(scenario.runs) < min_runs:
        controls.view_controls(ps, below, start=start, noise=noise)
        draw_sidebar()
        st.stop()
    st.fragment(_view)(view, ps, scenario)


class _View(NamedTuple):
    """What a page's view fragment needs to draw itself again on its own."""
    prefix: str
    default: Scenario
    min_runs: int
    max_runs: int
    start: bool
    noise: bool
    fit: bool  # the body reads the column's width in this mode: mount its reporter
    body: Callable[[PageState, Scenario], None]
    box: object  # the sidebar box of the view's controls
    around: tuple  # what the page shows around the view (``_around``) when it was drawn


def _around(ps: PageState, problems: list[str], lesson) -> tuple:
    """What the page shows outside its view: a change here needs the whole page redrawn."""
    return (ps.present, tuple(ps.problems), tuple(problems), lesson.key if lesson else None)


def _view(view: _View, ps: PageState, scenario: Scenario) -> None:
    """The page's body and its view controls: drawn by the page's run, and redrawn alone when
    one of those controls changes (a fragment rerun reads the state afresh)."""
    ctx = get_script_run_ctx()
    if ctx is None or not ctx.fragment_ids_this_run:
        _draw_view(view, ps, scenario)
        return
    with turn():
        goto = st.session_state.pop("goto", None)  # a click on the view's chart opens another page
        if goto:
            st.switch_page(goto)
        ps = PageState(view.prefix, view.default, min_runs=view.min_runs, max_runs=view.max_runs)
        ps.seed_widgets()
        scenario, problems = ps.read()
        if _around(ps, problems, shown_lesson(ps, scenario)) != view.around:
            st.rerun()  # a note, notice or problem comes or goes: the whole page
        ps.write_link(scenario)
        _draw_view(view, ps, scenario)


def _draw_view(view: _View, ps: PageState, scenario: Scenario) -> None:
    try:
        view.body(ps, scenario)
        if view.fit:
            viewport.reporter(*ps.width_keys())  # last: its width is the column's, and it takes no room above
        plotchart.preload()  # after the charts: it reports plotly.js once they are drawn
    finally:  # the controls stay, whatever the body did
        controls.view_controls(ps, view.box, start=view.start, noise=view.noise)


_later = threading.local()  # the sidebar of the page this script thread runs, until drawn


def draw_sidebar() -> None:
    """The sidebar of the page that ran ``page()`` in this script run (none otherwise)."""
    draw, _later.sidebar = getattr(_later, "sidebar", None), None
    if draw is not None:
        draw()


def presentation_bar(ps: PageState) -> None:
    """On a projector: the lessons in a row, and the way back."""
    left, right = st.columns([5, 1], vertical_alignment="center")
    with left:
        controls.lessons(ps, "plesson")
    right.button("Exit", key=ps.key("exit"), help="Leave presentation mode", icon=":material/close_fullscreen:",
                    on_click=st.session_state.__setitem__, args=(ps.key("present"), False),
                    width="stretch")


def shown_lesson(ps: PageState, scenario: Scenario):
    """The lesson on screen, while it is shown unchanged; the first edit forgets it."""
    key = st.session_state.get(ps.key("lesson_shown"))
    if key and presets.BY_KEY[key].scenario == scenario:
        return presets.BY_KEY[key]
    if key:
        st.session_state[ps.key("lesson_shown")] = None
    return None


def lesson_callout(ps: PageState, lesson) -> None:
    """While a lesson is shown, its blurb says what to look at."""
    if lesson is None:
        return
    if ps.present:  # on a projector the figure needs the height: one line of text
        st.caption(f"**{lesson.title}.** {lesson.blurb}")
    else:
        st.info(f"**{lesson.title}.** {lesson.blurb}", icon=":material/school:")


def messages(ps: PageState, problems: list[str]) -> None:
    """One notice for the link's problems (dismissable; it clears on the first edit), then the
    problems with the current settings."""
    if ps.problems:
        box = st.warning(
            f"**This link had problems; the rest of it is shown.**\n\n{escape_list(ps.problems)}",
            icon=":material/link_off:")
        del box
        st.button("Dismiss", key=ps.key("dismiss"), on_click=ps.dismiss, type="tertiary",
                  icon=":material/close:")
    for p in problems:
        st.warning(p, icon=":material/warning:")


def escape_list(problems: list[str]) -> str:
    lines = state.summarize(problems).splitlines()
    return "\n".join("- " + escape(line[2:]) if line.startswith("- ") else escape(line) for line in lines)


def share_url(scenario: Scenario) -> str:
    base = (st.context.url or "").split("?")[0]
    if base.count("/") == 2:  # "http://host:port": the root page's path is "/"
        base += "/"
    return f"{base}?{scenario.link}"


def exports(ps: PageState, scenario: Scenario, figure: Callable[[], figures.PlainFigure]) -> None:
    """Copy-link, CSV and standalone HTML, without any work until clicked.

    The download callables hold the link and a cached figure builder, nothing of
    this run: Streamlit keeps them with the session, after it disconnects too, so
    a closure over this run's figure would keep the figure alive per student.

    Its content is drawn only while it is open (a rerun opens it): closed, a page
    sends three elements fewer per rerun, and the browser does not load the code
    block's syntax highlighter, about a quarter of a second of a first load."""
    box = st.expander("Share this view (link, copy button on the right) and export",
                      key=ps.key("share"), on_change="rerun")
    if not box.open:
        return
    with box:
        st.code(share_url(scenario), language=None, wrap_lines=True)
        st.download_button("Paths as CSV", data=partial(cache.paths_csv, scenario.link),
                           file_name="optimizer_paths.csv", mime="text/csv", key=ps.key("csv"),
                           on_click="ignore")
        st.download_button("Figure as HTML", data=partial(cache.figure_html, scenario.link, figure),
                           file_name="optimizer_paths.html", mime="text/html",
                           key=ps.key("html"), on_click="ignore")


def summary(link: str, surface, paths: list[figures.Path]) -> None:
    """The numbers under a figure, a one-line reading of them, and notes on paths that left."""
    table, reading = cache.summary(link)
    st.markdown(table)
    if reading:
        st.caption(reading)
    notes(surface, paths)


def notes(surface, paths: list[figures.Path]) -> None:
    for p in paths:
        if figures.stop_step(surface, p) > 0:
            icon = ":material/bolt:" if surface.minima else ":material/call_made:"
            st.info(figures.divergence_note(surface, p), icon=icon)


def on_plot_select(ps: PageState) -> None:
    """A click on the plot selects a (hidden) grid point: start there."""
    ss = st.session_state
    start = tables.start_from_selection(plotchart.clicked(ps.key("chart")), surface_of(ps.scenario.surface))
    if start is not None:
        ps.set_start(start)


def open_sweep_pick(ps: PageState, link: str) -> None:
    """A point chosen on a sweep's curve opens the Playground with that optimizer at that rate."""
    sc = cache.scenario(link)
    picked = sweep.lr_from_selection(plotchart.clicked(ps.key("chart")), cache.sweeps(link))
    if picked is None:
        return
    i, lr = picked
    lr = float(f"{lr:.3g}")  # a readable rate for the Playground's label and slider
    # one grid spans every optimizer's slider: a point on this curve may lie past its own range
    lr = state.within_knob(optimizers.spec(sc.runs[i].name), "lr", lr)
    runs = tuple(r if j != i else type(r).of(r.name, **{**r.kwargs, "lr": lr}) for j, r in enumerate(sc.runs))
    PageState.preset("pg", sc.with_(runs=runs, steps=min(sc.steps, 1000)))
    st.session_state["goto"] = "app_pages/playground.py"


def open_map_pick(ps: PageState, link: str) -> None:
    """A click on a convergence map opens the Playground from that start."""
    sc = cache.scenario(link)
    start = maps.start_from_map_selection(plotchart.clicked(ps.key("chart")), surface_of(sc.surface))
    if start is None:
        return
    PageState.preset("pg", sc.with_(start=start, steps=cache.map_steps(link)))
    st.session_state["goto"] = "app_pages/playground.py"


def sweep_summary(surface, results) -> None:
    """Under a sweep: for each optimizer, its best rate, where it blows up, and the theory's limit."""
    lines = []
    for run, res in results:
        label = optimizers_label(run)
        ok = np.isfinite(res.final)
        best = f"lowest final loss at η ≈ {sweep.short(float(res.lrs[ok][np.argmin(res.final[ok])]))}" if ok.any() \
            else "every rate diverges"
        up = sweep.blowup_lr(res)
        blow = f"blows up from η ≈ {sweep.short(up)}" if up else "does not blow up on this grid"
        limit = sweep.theory_limit(surface, run.name, run.kwargs)
        theory = f"; theory: {sweep.theory_name(run.name)} = {sweep.short(limit)}" if limit else ""
        lines.append(f"- **{label}**: {best}; {blow}{theory}.")
    st.markdown("\n".join(lines))


def map_summary(surface, results) -> None:
    """Under a map: for each optimizer, the share of starts ending in each minimum, nowhere, or diverged."""
    lines = []
    for run, r in results:
        basin = np.asarray(r.basin)
        n = basin.size
        parts = []
        minima = np.asarray(r.minima)
        counts = np.bincount(basin[basin >= 0], minlength=len(minima)) if len(minima) else np.array([])
        for i in np.argsort(-counts)[:4]:
            if counts[i]:
                parts.append(f"{100 * counts[i] / n:.0f}% reach {maps.minimum_name(minima[i])}")
        if (basin == -1).any():
            parts.append(f"{100 * (basin == -1).mean():.0f}% reach no minimum")
        if (basin == -2).any():
            parts.append(f"{100 * (basin == -2).mean():.0f}% diverge")
        lines.append(f"- **{optimizers_label(run)}**: " + ", ".join(parts) + ".")
    st.markdown("\n".join(lines))


def optimizers_label(run) -> str:
    return escape(figures.run_label(run))


def inside_table(views) -> None:
    """The numbers behind the arrows: per run, the gradient, the step and the per-coordinate
    step size (the adaptive methods'), so a class sees why Adam's steps stay about η long."""
    if not views:
        return
    rows = ["| Optimizer | η this step | gradient g | step taken | step size (x, y) |", "|---|---|---|---|---|"]
    for v in views:
        size = ("η on both axes" if v.step_size is None
                else f"{v.step_size[0]:.3g}, {v.step_size[1]:.3g}")
        rows.append(f"| {escape(v.label)} | {v.lr:.3g} | ({v.grad[0]:.3g}, {v.grad[1]:.3g}) | "
                    f"({v.update[0]:.3g}, {v.update[1]:.3g}) | {size} |")
    st.markdown("\n".join(rows))
    st.caption("Arrows at each path's point before this step: dotted −η·g (where plain SGD would "
               "go), dashed −η·memory (where the momentum or first moment points), solid: the step "
               "actually taken. An arrow marked … would reach past the plot: it stops at the "
               "edge, in its own direction.")
