"""What every page shares: cached computations, the sidebar controls, the URL.

Each page keeps its own View under a key prefix (``pg``, ``sbs``, ``3d``), so
a page opened fresh shows its own default lesson.  The View is the single
source of truth: widgets are initialised from it (from the link on a session's
first visit, from a preset when one is clicked), the page reads it back from
the widgets on every run, and writes it to the URL.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

import optimizers
import surfaces
from viz import figures, presets, state, tables
from viz.state import Run, View
from viz.tuning import tuned_lr

# --- cached work: shared by every session in the server process -------------


@st.cache_resource(max_entries=64, show_spinner=False)
def grid(surface: str, n: int = 120) -> figures.Grid:
    return figures.surface_grid(surfaces.get(surface), n)


@st.cache_resource(max_entries=2048, show_spinner=False)
def trajectory(surface: str, run: Run, start: tuple[float, float], steps: int,
               noise: float, seed: int) -> optimizers.Trajectory:
    opt = optimizers.get(run.name, **run.kwargs)
    return optimizers.run(opt, surfaces.get(surface), start, steps, noise=noise, seed=seed)


@st.cache_resource(max_entries=512, show_spinner=False)
def default_lr(surface: str, name: str) -> float:
    return tuned_lr(surface, name)


def paths(view: View) -> list[figures.Path]:
    out = []
    for run in view.runs:
        tr = trajectory(view.surface, run, view.start, view.steps, view.noise, view.seed)
        out.append(figures.Path(run.name, run_label(run), tr.points, int(tr.diverged_at)))
    return out


def run_label(run: Run) -> str:
    spec = optimizers.spec(run.name)
    return f"{spec.label} (η={fmt(run.lr)})"


def fmt(x: float) -> str:
    """Compact, exact enough for a label: 0.95, 1.5, 3e-4, 0.999."""
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.6g}"
    mantissa, exponent = f"{x:.5e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


# --- option lists for sliders ----------------------------------------------

LOG_MANTISSAS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)
MEMORY = (0.0, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999)
STEPS = (5, 10, 15, 20, 25, 29, 30, 40, 50, 60, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000)
NOISE = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def log_options(lo: float, hi: float) -> list[float]:
    out = [float(f"{m}e{e}") for e in range(-12, 5) for m in LOG_MANTISSAS]
    return [x for x in out if lo * (1 - 1e-9) <= x <= hi * (1 + 1e-9)]


def with_value(options, value) -> list:
    """The option list, plus ``value`` if a link or preset asked for one off the grid."""
    opts = list(options)
    if value is not None and value not in opts:
        opts = sorted(opts + [value])
    return opts


def knob_options(knob: optimizers.Knob) -> list[float]:
    if knob.scale == "log":
        return log_options(knob.lo, knob.hi)
    if knob.scale == "memory":
        return [m for m in MEMORY if knob.lo <= m <= knob.hi]
    return [round(knob.lo + (knob.hi - knob.lo) * i / 100, 10) for i in range(101)]


# --- view <-> widgets ---------------------------------------------------------

def _k(prefix: str, *parts) -> str:
    return ".".join([prefix, *map(str, parts)])


def _run_keys(prefix: str, run_name: str) -> dict[str, str]:
    keys = {}
    for knob in optimizers.spec(run_name).knobs:
        if knob.name == "betas":
            keys["betas.0"] = _k(prefix, "opt", run_name, "betas", 0)
            keys["betas.1"] = _k(prefix, "opt", run_name, "betas", 1)
        else:
            keys[knob.name] = _k(prefix, "opt", run_name, knob.name)
    return keys


def _init_run(prefix: str, surface: str, run: Run | None, name: str, force: bool) -> None:
    """Put one optimizer's hyperparameters into the widget keys (defaults where unset)."""
    values = {**optimizers.spec(name).defaults, **(run.kwargs if run else {})}
    if run is None or "lr" not in run.kwargs:
        values["lr"] = default_lr(surface, name)
    for field, key in _run_keys(prefix, name).items():
        if force or key not in st.session_state:
            if field.startswith("betas."):
                st.session_state[key] = float(values["betas"][int(field[-1])])
            elif isinstance(values[field], bool):
                st.session_state[key] = values[field]
            else:
                st.session_state[key] = float(values[field])


def apply_view(prefix: str, view: View) -> None:
    """Make the widgets show ``view`` (a link, a preset)."""
    ss = st.session_state
    for key in [k for k in ss if isinstance(k, str) and k.startswith(prefix + ".opt.")]:
        del ss[key]
    ss[_k(prefix, "surface")] = view.surface
    ss[_k(prefix, "opts")] = [r.name for r in view.runs]
    for run in view.runs:
        _init_run(prefix, view.surface, run, run.name, force=True)
    ss[_k(prefix, "x0")], ss[_k(prefix, "y0")] = float(view.start[0]), float(view.start[1])
    ss[_k(prefix, "steps")] = view.steps
    ss[_k(prefix, "noise")] = float(view.noise)
    ss[_k(prefix, "seed")] = int(view.seed)
    ss[_k(prefix, "present")] = view.present


def first_visit(prefix: str, default: View) -> None:
    """Give the widgets their values: from the link on a session's first visit,
    from the page's last View when coming back (Streamlit drops the widget keys
    of a page that is not shown)."""
    ss = st.session_state
    if ss.get(_k(prefix, "ready")):
        if _k(prefix, "surface") not in ss and _k(prefix, "view") in ss:
            apply_view(prefix, ss[_k(prefix, "view")])
        return
    params = {k: st.query_params.get_all(k) for k in st.query_params.keys()}
    view, warnings = state.decode(params, default)
    apply_view(prefix, view)
    ss[_k(prefix, "warnings")] = warnings
    ss[_k(prefix, "ready")] = True


def _on_surface_change(prefix: str) -> None:
    """A new surface gets its own start and its own tuned learning rates."""
    ss = st.session_state
    s = surfaces.get(ss[_k(prefix, "surface")])
    ss[_k(prefix, "x0")], ss[_k(prefix, "y0")] = s.start
    for name in ss.get(_k(prefix, "opts"), []):
        ss[_k(prefix, "opt", name, "lr")] = default_lr(s.name, name)


def _on_preset(prefix: str, key: str) -> None:
    apply_view(prefix, presets.BY_KEY[key].view.with_(present=st.session_state.get(_k(prefix, "present"), False)))
    st.session_state[_k(prefix, "warnings")] = []


def read_view(prefix: str) -> tuple[View, list[str]]:
    """The View the widgets show now, and problems with it (named, never raised)."""
    ss = st.session_state
    surface = ss[_k(prefix, "surface")]
    runs, problems = [], []
    for name in ss[_k(prefix, "opts")]:  # their keys were set up by sidebar()
        keys = _run_keys(prefix, name)
        hyper = {f: ss[k] for f, k in keys.items() if not f.startswith("betas.")}
        if "betas.0" in keys:
            hyper["betas"] = (ss[keys["betas.0"]], ss[keys["betas.1"]])
        try:
            optimizers.get(name, **hyper)
        except (ValueError, TypeError) as err:
            problems.append(f"{optimizers.spec(name).label} is left out: {err}.")
            continue
        runs.append(Run.of(name, **hyper))
    view = View(surface, tuple(runs), (float(ss[_k(prefix, "x0")]), float(ss[_k(prefix, "y0")])),
                int(ss[_k(prefix, "steps")]), float(ss[_k(prefix, "noise")]),
                int(ss[_k(prefix, "seed")]), bool(ss.get(_k(prefix, "present"), False)))
    ss[_k(prefix, "view")] = view  # not a widget key: survives a visit to another page
    return view, problems


def sync_url(view: View) -> None:
    """Keep the address bar equal to the view, so it can be copied and shared."""
    want = state.encode(view)
    have = {k: (st.query_params.get_all(k) if k == "opt" else st.query_params.get(k))
            for k in st.query_params.keys()}
    if have != want:
        st.query_params.from_dict(want)


def share_url(view: View) -> str:
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{urlencode(state.encode(view), doseq=True, safe=',/')}"


# --- widgets ---------------------------------------------------------------

def _knob_widget(prefix: str, name: str, knob: optimizers.Knob, container) -> None:
    keys = _run_keys(prefix, name)
    label = f"{knob.symbol}  ({knob.name})" if knob.symbol != knob.name else knob.name
    if knob.scale == "bool":
        container.checkbox(label, key=keys[knob.name], help=knob.help)
        return
    fields = ["betas.0", "betas.1"] if knob.name == "betas" else [knob.name]
    for i, field in enumerate(fields):
        key = keys[field]
        lab = (f"β{'₁₂'[i]}  (betas[{i}])" if knob.name == "betas" else label)
        opts = with_value(knob_options(knob), st.session_state.get(key))
        container.select_slider(lab, options=opts, key=key, format_func=fmt, help=knob.help)


def optimizer_controls(prefix: str, name: str) -> None:
    spec = optimizers.spec(name)
    color = figures.color(name)
    st.markdown(f"<div style='border-left:6px solid {color};padding-left:8px;font-weight:600;"
                f"font-size:1.05rem'>{spec.label}</div>", unsafe_allow_html=True)
    basic = [k for k in spec.knobs if not k.advanced]
    more = [k for k in spec.knobs if k.advanced]
    for knob in basic:
        _knob_widget(prefix, name, knob, st)
    if more:
        with st.expander(f"More {spec.label} settings"):
            for knob in more:
                _knob_widget(prefix, name, knob, st)


def sidebar(prefix: str, default: View, *, min_runs: int = 1, max_runs: int = state.MAX_RUNS,
            title: str = "") -> tuple[View, list[str]]:
    """All the controls of a page, in the sidebar. Returns the View they show."""
    first_visit(prefix, default)
    ss = st.session_state
    st.markdown("<style>.block-container{padding-top:2.5rem}</style>", unsafe_allow_html=True)
    with st.sidebar:
        st.markdown("**Lessons** (one click each)")
        cols = st.columns(2)
        for i, p in enumerate(presets.PRESETS):
            cols[i % 2].button(p.title, key=_k(prefix, "preset", p.key), help=p.blurb,
                               on_click=_on_preset, args=(prefix, p.key), width="stretch")
        st.divider()
        st.selectbox("Surface", surfaces.names(), key=_k(prefix, "surface"),
                     format_func=lambda n: surfaces.get(n).label,
                     on_change=_on_surface_change, args=(prefix,))
        chosen = ss.get(_k(prefix, "opts"), [])
        if len(chosen) > max_runs:
            ss[_k(prefix, "opts")] = chosen[:max_runs]
        st.multiselect("Optimizers", optimizers.names(), key=_k(prefix, "opts"),
                       format_func=lambda n: optimizers.spec(n).label, max_selections=max_runs,
                       help="Each gets its own colour and its own settings below.")
        for name in ss[_k(prefix, "opts")]:
            _init_run(prefix, ss[_k(prefix, "surface")], None, name, force=False)
            optimizer_controls(prefix, name)
        st.divider()
        s = surfaces.get(ss[_k(prefix, "surface")])
        st.markdown("**Start** (or click the plot)")
        c1, c2 = st.columns(2)
        c1.number_input("x₀", min_value=float(s.x_range[0]), max_value=float(s.x_range[1]),
                        key=_k(prefix, "x0"), step=0.1, format="%.3f")
        c2.number_input("y₀", min_value=float(s.y_range[0]), max_value=float(s.y_range[1]),
                        key=_k(prefix, "y0"), step=0.1, format="%.3f")
        st.select_slider("Steps", options=with_value(STEPS, ss.get(_k(prefix, "steps"))),
                         key=_k(prefix, "steps"))
        with st.expander("Gradient noise (minibatch stand-in)"):
            st.select_slider("Noise σ", options=with_value(NOISE, ss.get(_k(prefix, "noise"))),
                             key=_k(prefix, "noise"), format_func=fmt,
                             help="Gaussian noise of this standard deviation added to every gradient.")
            st.number_input("Seed", min_value=0, max_value=state.MAX_SEED, step=1,
                            key=_k(prefix, "seed"))
        st.toggle("Presentation mode", key=_k(prefix, "present"),
                  help="Hide the controls and enlarge the figure, for a projector.")
    view, problems = read_view(prefix)
    if len(view.runs) < min_runs:
        problems.append(f"Pick at least {min_runs} optimizer{'s' if min_runs > 1 else ''} in the sidebar.")
    return view, problems


def messages(prefix: str, problems: list[str]) -> None:
    """Warnings about the link (until the next preset) and about the current settings."""
    for w in st.session_state.get(_k(prefix, "warnings"), []):
        st.warning(w, icon=":material/link_off:")
    for p in problems:
        st.warning(p, icon=":material/warning:")


def presentation(prefix: str, on: bool) -> None:
    """Projector mode: no sidebar or toolbar, and a way back."""
    if not on:
        return
    st.markdown("<style>[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl'],"
                "header[data-testid='stHeader']{display:none !important}"
                ".block-container{padding-top:1rem;max-width:100% !important}</style>",
                unsafe_allow_html=True)
    st.button("Exit presentation mode", key=_k(prefix, "exit"),
              on_click=lambda: st.session_state.__setitem__(_k(prefix, "present"), False))


def exports(prefix: str, view: View, fig, csv_fn) -> None:
    """Copy-link, CSV and standalone HTML, without any work until clicked."""
    with st.expander("Share and export"):
        st.caption("Link to exactly this view (copy button on the right):")
        st.code(share_url(view), language=None, wrap_lines=True)
        c1, c2 = st.columns(2)
        c1.download_button("Paths as CSV", data=csv_fn, file_name="optimizer_paths.csv",
                           mime="text/csv", key=_k(prefix, "csv"), on_click="ignore",
                           width="stretch")
        c2.download_button("Figure as HTML", data=lambda: figures.standalone_html(fig),
                           file_name="optimizer_paths.html", mime="text/html",
                           key=_k(prefix, "html"), on_click="ignore", width="stretch")


def on_plot_select(prefix: str) -> None:
    """A click on the plot selects a (hidden) grid point: start there."""
    ss = st.session_state
    start = tables.start_from_selection(ss.get(_k(prefix, "chart")), surfaces.get(ss[_k(prefix, "surface")]))
    if start is not None:
        ss[_k(prefix, "x0")], ss[_k(prefix, "y0")] = start


def summary(prefix: str, view: View, surface, paths: list[figures.Path], fig) -> None:
    """Under a figure: the numbers, notes on paths that blew up or left, and export."""
    st.markdown(tables.summary_markdown(surface, paths))
    notes(surface, paths)
    if not view.present:
        exports(prefix, view, fig, lambda: tables.paths_csv(surface, paths))


def notes(surface, paths: list[figures.Path]) -> None:
    for p in paths:
        if figures.stop_step(surface, p) > 0:
            icon = ":material/bolt:" if surface.minima else ":material/call_made:"
            st.info(figures.divergence_note(surface, p), icon=icon)

