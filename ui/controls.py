"""The sidebar: every control of a page, drawn from (and read back into) its PageState."""

from __future__ import annotations

from functools import lru_cache

import streamlit as st

import optimizers
import surfaces
from viz import figures, presets, state
from viz.figures import fmt

from .options import CLOUD, NOISE, STEPS, knob_options
from .pagestate import PageState

def with_value(options: tuple, value) -> tuple:
    """The option list, plus ``value`` if a link or lesson asked for one off the grid."""
    if value is None or value in options:
        return options
    return _with_value(options, value)


@lru_cache(maxsize=1024)
def _with_value(options: tuple, value) -> tuple:
    return tuple(sorted(options + (value,)))


@lru_cache(maxsize=None)
def _labels(options: tuple) -> dict:
    return {o: fmt(o) for o in options}


def number_input(container, label: str, *, key: str, **kwargs) -> None:
    """``container.number_input`` keyed by ``key``, its value sent to the browser on every run.

    A number input with no ``value`` argument tells the browser its value only in a run that
    set its key through session state; otherwise the browser keeps what it holds, and where it
    holds nothing it shows the input's minimum.  Streamlit 1.67's browser sometimes holds
    nothing after a page switch followed by a quick rerun (a map cell opening the Playground,
    then the column-width report): the Playground's start read x₀ = −5 while its path started
    at −1.55.  Setting the key to its own value makes every run send it."""
    ss = st.session_state
    if key in ss:
        ss[key] = ss[key]
    container.number_input(label, key=key, **kwargs)


def _slider(label: str, options: tuple, key: str, help: str = "", container=st) -> None:
    opts = with_value(options, st.session_state.get(key))
    labels = _labels(opts)
    container.select_slider(label, options=opts, key=key, format_func=labels.__getitem__, help=help)


def _knob(ps: PageState, i: int, name: str, knob: optimizers.Knob) -> None:
    keys = ps.run_keys(i, name)
    label = f"{knob.symbol}  ({knob.name})" if knob.symbol != knob.name else knob.name
    if knob.scale == "bool":
        st.checkbox(label, key=keys[knob.name], help=knob.help)
        return
    if knob.name == "betas":
        for j in (0, 1):
            _slider(f"β{'₁₂'[j]}  (betas[{j}])", knob_options(knob), keys[f"betas.{j}"], knob.help)
        return
    _slider(label, knob_options(knob), keys[knob.name], knob.help)


def schedule_controls(ps: PageState, i: int) -> None:
    """The run's learning-rate schedule (torch.optim.lr_scheduler's) and its arguments."""
    names = optimizers.schedules.names()
    st.selectbox("Learning-rate schedule", (None, *names), key=ps.key("run", i, "sched"),
                 format_func=lambda n: "constant η" if n is None else optimizers.schedules.spec(n).label,
                 on_change=ps.pick_schedule, args=(i,))
    name = st.session_state.get(ps.key("run", i, "sched"))
    if not name:
        return
    spec = optimizers.schedules.spec(name)
    cols = st.columns(len(spec.knobs))
    for col, knob in zip(cols, spec.knobs):
        key = ps.key("run", i, "sched", knob.name)
        if knob.scale == "int":
            number_input(col, knob.name, min_value=1, max_value=int(knob.hi), step=1, key=key, help=knob.help)
        else:
            number_input(col, knob.name, min_value=0.0, max_value=float(knob.hi), step=0.01, key=key,
                         format="%.4g", help=knob.help)
    err = st.session_state.get(ps.key("run", i, "sched_error"))
    if err:
        st.warning(escape_text(err), icon=":material/warning:")


def run_controls(ps: PageState, i: int, name: str, label: str, advanced: bool) -> None:
    """One optimizer: a header in its colour, then its sliders (all of them if ``advanced``).

    Few elements on purpose: every element is a message from the script thread
    to the event loop, and a class pays for each one on every rerun.
    """
    spec = optimizers.spec(name)
    st.markdown(f"<div style='border-left:6px solid {figures.color(name)};padding-left:8px;"
                f"font-weight:600;margin-top:0.4rem'>{label}</div>", unsafe_allow_html=True)
    for knob in spec.knobs:
        if advanced or not knob.advanced:
            _knob(ps, i, name, knob)
    if advanced or st.session_state.get(ps.key("run", i, "sched")):
        schedule_controls(ps, i)


def lessons(ps: PageState, key: str = "lesson") -> None:
    """The lessons as one row of pills (one widget, not one button each); a click shows it."""
    st.pills("Lessons (one click each)", [p.key for p in presets.PRESETS], key=ps.key(key),
             format_func=lambda k: presets.BY_KEY[k].title, on_change=_lesson_picked, args=(ps, key),
             selection_mode="single")


def _lesson_picked(ps: PageState, key: str) -> None:
    picked = st.session_state.get(ps.key(key))
    if picked:
        presets_apply(ps, picked)
    st.session_state[ps.key(key)] = None  # a pill is an action here, not a state


# Lessons drawn on another page than the one they were picked on: the textbook
# figure is one optimizer per panel, not four paths piled onto one plot.
LESSON_PAGES = {"textbook": ("sbs", "app_pages/side_by_side.py")}


def presets_apply(ps: PageState, key: str) -> None:
    target = LESSON_PAGES.get(key)
    if target and target[0] != ps.prefix:
        prefix, page = target
        PageState.preset(prefix, presets.BY_KEY[key].scenario)
        st.session_state[f"{prefix}.lesson_shown"] = key
        st.session_state[f"{prefix}.present"] = ps.present
        st.session_state["goto"] = page  # a callback cannot switch pages; the page body does
        return
    ps.show(presets.BY_KEY[key].scenario)
    st.session_state[ps.key("lesson_shown")] = key


def _surface_label(name: str) -> str:
    return "Your own f(x, y)" if name == state.FORMULA else surfaces.get(name).label


def formula_box(ps: PageState) -> None:
    """A student's own f(x, y) and its window; a bad one is named under the box while the
    plot keeps the last good surface."""
    st.text_input("f(x, y) =", key=ps.key("f"), on_change=ps.set_formula, max_chars=200,
                  help="x, y, numbers, + - * / ^ ( ), pi, e and sin cos tan exp log sqrt abs tanh …")
    c1, c2 = st.columns(2)
    c1.text_input("x from, to", key=ps.key("xr"), on_change=ps.set_formula)
    c2.text_input("y from, to", key=ps.key("yr"), on_change=ps.set_formula)
    err = st.session_state.get(ps.key("formula_error"))
    if err:
        st.error(escape_text(err), icon=":material/function:")


def escape_text(text: str) -> str:
    from .chrome import escape

    return escape(text)


def sidebar(ps: PageState, box) -> None:
    """The controls that reshape a page (what it shows, which optimizers), in ``box``: each
    change reruns the whole page.  The rest are ``view_controls``."""
    ps.seed_widgets()
    sc = ps.scenario
    with box:
        st.toggle("Presentation mode", key=ps.key("present"),
                  help="Hide the controls and enlarge the figure, for a projector.")
        lessons(ps)
        st.selectbox("Surface", (*surfaces.names(), state.FORMULA), key=ps.key("surface"),
                     format_func=_surface_label, on_change=ps.set_surface)
        if state.split_formula(sc.surface) is not None:
            formula_box(ps)
        here = state.surface_of(sc.surface)
        if getattr(here, "standardized", None):
            st.toggle("Standardize the inputs", value=here.name == here.standardized,
                      key=ps.key("std", here.name), on_change=ps.standardize,
                      help="Centre and scale the data's inputs: the long valley turns into a round bowl.")
        full = len(sc.runs) >= ps.max_runs
        # The list's labels must not change when a slider does: a multiselect's value travels
        # as its labels, and a stale label would read as "removed".
        names = [f"{optimizers.spec(r.name).label}" + (f" #{figures.copy_index(sc.runs, i) + 1}"
                                                       if figures.copy_index(sc.runs, i) else "")
                 for i, r in enumerate(sc.runs)]
        st.multiselect("Optimizers", list(range(len(sc.runs))), key=ps.key("shown"),
                       format_func=names.__getitem__,
                       on_change=ps.keep_runs, help="Remove one with its ✕; add one below. "
                       "The same optimizer may appear twice, to compare two settings.")
        st.selectbox("Add an optimizer", optimizers.names(), index=None, key=ps.key("add"),
                     placeholder=(f"at most {ps.max_runs} optimizers" if full else
                                  "+ add an optimizer (again, to compare)"),
                     format_func=lambda n: optimizers.spec(n).label, on_change=ps.add_run,
                     disabled=full, label_visibility="collapsed")


def view_controls(ps: PageState, box, *, start: bool = True, noise: bool = True) -> None:
    """The controls that only change the view (which hyperparameters are shown, their values,
    start, steps, noise), in ``box``, the sidebar box that the page's view fragment writes to
    (``start``/``noise`` only where they matter)."""
    ps.seed_widgets()
    ss = st.session_state
    sc = ps.scenario
    labels = [figures.run_label(r) for r in sc.runs]
    with box:
        advanced = st.toggle("Every hyperparameter", key=ps.key("advanced"),
                             help="Also show ε, weight decay and the other settings torch.optim offers.")
        for i, run in enumerate(sc.runs):
            run_controls(ps, i, run.name, labels[i], advanced)
        s = state.surface_of(sc.surface)
        if start:
            number_input(st, "Start x₀", min_value=float(s.x_range[0]),
                         max_value=float(s.x_range[1]), key=ps.key("x0"), step=0.1, format="%.3f")
            number_input(st, "Start y₀", min_value=float(s.y_range[0]), max_value=float(s.y_range[1]),
                         key=ps.key("y0"), step=0.1, format="%.3f")
        _slider("Steps", STEPS, ps.key("steps"))
        if not noise:
            return
        rows = getattr(s, "n_data", 0)
        if rows:
            sizes = tuple(b for b in (0, 1, 2, 4, 8, 16, 32) if b < rows) + (rows,)
            st.select_slider("Minibatch size", sizes, key=ps.key("batch"),
                             format_func=lambda b: "full data" if b in (0, rows) else str(b),
                             help=f"Each step's gradient from this many of the {rows} data points, "
                                  "drawn without replacement per epoch: SGD's real noise.")
        _slider("Gradient noise σ", NOISE, ps.key("noise"),
                help="Gaussian noise of this standard deviation added to every gradient "
                     "(a stand-in for minibatch noise).")
        if ss.get(ps.key("noise")) or ss.get(ps.key("batch")):
            number_input(st, "Noise seed", min_value=0, max_value=state.MAX_SEED, step=1, key=ps.key("seed"))
            _slider("Noise cloud (runs)", CLOUD, ps.key("cloud"),
                    help="Run each optimizer this many times under different noise: the runs are "
                         "drawn faintly, their mean path in full colour. 0: one run.")
