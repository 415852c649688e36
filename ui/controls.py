"""The sidebar: every control of a page, drawn from (and read back into) its PageState."""

from __future__ import annotations

from functools import lru_cache

import streamlit as st

import optimizers
import surfaces
from viz import figures, presets, state
from viz.figures import fmt

from .pagestate import PageState

LOG_MANTISSAS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)
MEMORY = (0.0, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999)
STEPS = (5, 10, 15, 20, 25, 29, 30, 40, 50, 60, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000)
NOISE = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


@lru_cache(maxsize=None)
def log_options(lo: float, hi: float) -> tuple[float, ...]:
    out = [float(f"{m}e{e}") for e in range(-12, 5) for m in LOG_MANTISSAS]
    return tuple(x for x in out if lo * (1 - 1e-9) <= x <= hi * (1 + 1e-9))


@lru_cache(maxsize=None)
def knob_options(knob: optimizers.Knob) -> tuple[float, ...]:
    """The values a knob's slider offers, all inside the knob's range."""
    if knob.scale == "log":
        return log_options(knob.lo, knob.hi)
    if knob.scale == "memory":
        return tuple(m for m in MEMORY if knob.lo <= m <= knob.hi)
    return tuple(round(knob.lo + (knob.hi - knob.lo) * i / 100, 10) for i in range(101))


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


def run_controls(ps: PageState, i: int, name: str, label: str) -> None:
    spec = optimizers.spec(name)
    head, drop = st.columns([7, 1], vertical_alignment="center")
    head.markdown(f"<div style='border-left:6px solid {figures.color(name)};padding-left:8px;"
                  f"font-weight:600;font-size:1.0rem'>{label}</div>", unsafe_allow_html=True)
    drop.button(":material/close:", key=ps.key("run", i, "remove"), on_click=ps.remove_run, args=(i,),
                help=f"Remove this {spec.label}", type="tertiary")
    for knob in spec.knobs:
        if not knob.advanced:
            _knob(ps, i, name, knob)
    more = [k for k in spec.knobs if k.advanced]
    if more:
        with st.expander(f"More {spec.label} settings"):
            for knob in more:
                _knob(ps, i, name, knob)


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


def presets_apply(ps: PageState, key: str) -> None:
    ps.show(presets.BY_KEY[key].scenario)
    st.session_state[ps.key("lesson_shown")] = key


def sidebar(ps: PageState) -> None:
    """All the controls of a page, in the sidebar."""
    ps.seed_widgets()
    ss = st.session_state
    sc = ps.scenario
    with st.sidebar:
        st.toggle("Presentation mode", key=ps.key("present"),
                  help="Hide the controls and enlarge the figure, for a projector.")
        lessons(ps)
        st.selectbox("Surface", surfaces.names(), key=ps.key("surface"),
                     format_func=lambda n: surfaces.get(n).label, on_change=ps.set_surface)
        st.markdown("**Optimizers**")
        full = len(sc.runs) >= ps.max_runs
        for i, run in enumerate(sc.runs):
            run_controls(ps, i, run.name, figures.run_label(run))
        st.selectbox("Add an optimizer", optimizers.names(), index=None, key=ps.key("add"),
                     placeholder=(f"at most {ps.max_runs} optimizers" if full else
                                  "add one (again, to compare two settings)"),
                     format_func=lambda n: optimizers.spec(n).label, on_change=ps.add_run,
                     disabled=full, label_visibility="collapsed")
        s = surfaces.get(ss[ps.key("surface")])
        st.markdown("**Start** (or click the plot)")
        c1, c2 = st.columns(2)
        c1.number_input("x₀", min_value=float(s.x_range[0]), max_value=float(s.x_range[1]),
                        key=ps.key("x0"), step=0.1, format="%.3f")
        c2.number_input("y₀", min_value=float(s.y_range[0]), max_value=float(s.y_range[1]),
                        key=ps.key("y0"), step=0.1, format="%.3f")
        _slider("Steps", STEPS, ps.key("steps"))
        with st.expander("Gradient noise (minibatch stand-in)"):
            _slider("Noise σ", NOISE, ps.key("noise"),
                    help="Gaussian noise of this standard deviation added to every gradient.")
            st.number_input("Seed", min_value=0, max_value=state.MAX_SEED, step=1, key=ps.key("seed"))
