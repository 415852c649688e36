"""One page's state: the scenario it shows, kept in the session, mirrored by widgets and the link.

The stored ``Scenario`` is the single source of truth.  Widgets are views of
it: a widget whose key is missing (first run, after a lesson, or because
Streamlit dropped the key of a widget that was not drawn) is given its value
from the scenario just before it is drawn, and after the controls are drawn
``read`` folds the widgets' values back into a new scenario.  Anything that
changes the shape of the controls (a lesson, a surface, adding or removing an
optimizer) edits the scenario and forgets the page's widget keys, so they are
re-read from it.  The link is written from the scenario at the end of a run.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import optimizers
import surfaces
from viz import presets, state
from viz.state import Run, Scenario

from . import cache, viewport


EXAMPLE_FORMULA = ("sin(x)*cos(y) + 0.1*(x^2 + y^2)", (-5.0, 5.0), (-5.0, 5.0))


class PageState:
    def __init__(self, prefix: str, default: Scenario, *, min_runs: int = 1,
                 max_runs: int = state.MAX_RUNS):
        self.prefix, self.default = prefix, default
        self.min_runs, self.max_runs = min_runs, max_runs
        self._load()

    # --- keys ------------------------------------------------------------------------------------
    def key(self, *parts: Any) -> str:
        return ".".join([self.prefix, *map(str, parts)])

    def run_keys(self, i: int, name: str) -> dict[str, str]:
        """Widget key per hyperparameter field of run slot ``i`` (betas as two fields)."""
        keys = {}
        for knob in optimizers.spec(name).knobs:
            if knob.name == "betas":
                keys["betas.0"], keys["betas.1"] = self.key("run", i, "betas", 0), self.key("run", i, "betas", 1)
            else:
                keys[knob.name] = self.key("run", i, knob.name)
        return keys

    # --- the stored scenario -------------------------------------------------------------------------
    @property
    def scenario(self) -> Scenario:
        return st.session_state[self.key("scenario")]

    @property
    def present(self) -> bool:
        return bool(st.session_state.get(self.key("present"), False))

    def column_width(self) -> int | None:
        """The width the browser draws the page's main column at (ui/viewport.py); None until it
        has said.  A projector's column (no sidebar) is measured and kept apart, by a page that
        mounts its reporter there (``fit_present``); the other views keep their fixed heights
        there and do not ask."""
        return viewport.reported(*self.width_keys())

    def width_keys(self) -> tuple[str, str]:
        """The reporter's state key and cookie for this mode."""
        return (self.key("width", "present"), viewport.PRESENT_COOKIE) if self.present \
            else (self.key("width"), viewport.COOKIE)

    @property
    def problems(self) -> list[str]:
        """Problems with the link this page was opened from (until the first edit)."""
        return st.session_state.get(self.key("link_problems"), [])

    def dismiss(self) -> None:
        st.session_state[self.key("link_problems")] = []

    def _load(self) -> None:
        ss = st.session_state
        if self.key("scenario") in ss:
            if self.key("present") not in ss:  # the widget key was dropped while away
                ss[self.key("present")] = ss.get(self.key("present_value"), False)
            return
        params = {k: st.query_params.get_all(k) for k in st.query_params.keys()}
        decoded = state.decode(params, self.default, max_runs=self.max_runs)
        ss[self.key("scenario")] = decoded.scenario
        ss[self.key("present")] = decoded.present
        ss[self.key("link_problems")] = decoded.problems
        ss[self.key("link_seen")] = None

    @classmethod
    def preset(cls, prefix: str, scenario: Scenario) -> None:
        """Make page ``prefix`` show ``scenario`` next time it is opened (from another page)."""
        ps = cls.__new__(cls)
        ps.prefix = prefix
        if ps.key("scenario") not in st.session_state:
            st.session_state[ps.key("present")] = False
        ps.show(scenario)
        st.session_state[ps.key("link_seen")] = True

    def show(self, scenario: Scenario, *, present: bool | None = None) -> None:
        """Make the page show ``scenario`` (a lesson, a demo, a structural edit)."""
        ss = st.session_state
        self._forget_widgets()
        ss[self.key("scenario")] = scenario
        if present is not None:
            ss[self.key("present")] = present
        self.dismiss()

    def _forget_widgets(self) -> None:
        ss = st.session_state
        for k in [k for k in ss if isinstance(k, str) and k.startswith(self.prefix + ".w.")]:
            del ss[k]
        for k in [k for k in ss if isinstance(k, str) and k.startswith(self.prefix + ".run.")]:
            del ss[k]
        for name in ("surface", "x0", "y0", "steps", "noise", "seed", "cloud", "batch", "add", "shown", "f", "xr", "yr"):
            ss.pop(self.key(name), None)

    # --- widgets <-> scenario --------------------------------------------------------------------------
    def seed_widgets(self) -> None:
        """Give every missing widget key its value from the stored scenario."""
        ss, sc = st.session_state, self.scenario
        formula = state.split_formula(sc.surface)
        plain = {"surface": state.FORMULA if formula else sc.surface,
                 "x0": float(sc.start[0]), "y0": float(sc.start[1]),
                 "steps": sc.steps, "noise": float(sc.noise), "seed": int(sc.seed), "cloud": int(sc.cloud),
                 "batch": int(sc.batch)}
        plain["shown"] = list(range(len(sc.runs)))
        # The add box is an action, not a state: set it back to empty through session
        # state, so the browser is told to clear it (a dropped key leaves the browser
        # holding its last choice, which it would send again with every rerun).
        plain["add"] = None
        if formula:
            text, xr, yr = formula
            plain.update(f=text, xr=f"{xr[0]:g}, {xr[1]:g}", yr=f"{yr[0]:g}, {yr[1]:g}")
        for name, value in plain.items():
            ss.setdefault(self.key(name), value)
        for i, run in enumerate(sc.runs):
            sched = run.schedule_obj()
            ss.setdefault(self.key("run", i, "sched"), sched.name if sched else None)
            if sched:
                for k, v in sched.kwargs.items():
                    ss.setdefault(self.key("run", i, "sched", k), v)
            values = {**optimizers.spec(run.name).defaults, **run.kwargs}
            for field, key in self.run_keys(i, run.name).items():
                if key in ss:
                    continue
                if field.startswith("betas."):
                    ss[key] = float(values["betas"][int(field[-1])])
                elif isinstance(values[field], bool):
                    ss[key] = values[field]
                else:
                    ss[key] = float(values[field])

    def read(self) -> tuple[Scenario, list[str]]:
        """The scenario the widgets show now (stored), and problems with it (named, never raised).

        A hyperparameter the optimizer refuses (Nesterov without momentum) leaves
        that optimizer out of the picture, with a message, but keeps it in the
        controls so the user can fix it.
        """
        ss, old = st.session_state, self.scenario
        runs, problems = [], []
        for i, run in enumerate(old.runs):
            keys = self.run_keys(i, run.name)
            hyper = {**run.kwargs}
            hyper.update({f: ss[k] for f, k in keys.items() if not f.startswith("betas.") and k in ss})
            if keys.get("betas.0") in ss and keys.get("betas.1") in ss:
                hyper["betas"] = (ss[keys["betas.0"]], ss[keys["betas.1"]])
            runs.append(Run.of(run.name, schedule=self._schedule(i, run), **hyper))
        surface = ss.get(self.key("surface"), old.surface)
        if surface == state.FORMULA or state.split_formula(old.surface):
            surface = old.surface  # the formula box sets a formula; the selectbox leaves it
        sc = Scenario(
            surface, tuple(runs),
            (float(ss.get(self.key("x0"), old.start[0])), float(ss.get(self.key("y0"), old.start[1]))),
            int(ss.get(self.key("steps"), old.steps)), float(ss.get(self.key("noise"), old.noise)),
            int(ss.get(self.key("seed"), old.seed)), int(ss.get(self.key("cloud"), old.cloud)),
            int(ss.get(self.key("batch"), old.batch)))
        if sc != old and self.problems and ss.get(self.key("link_seen")) is not None:
            self.dismiss()  # the first edit after opening a link clears its notice
        ss[self.key("link_seen")] = True
        ss[self.key("scenario")] = sc
        ss[self.key("present_value")] = self.present
        shown = []
        for run in sc.runs:
            try:
                optimizers.get(run.name, **run.kwargs)
            except (ValueError, TypeError) as err:
                problems.append(f"{optimizers.spec(run.name).label} is left out: {err}.")
                continue
            shown.append(run)
        if len(shown) < self.min_runs:
            problems.append(f"Pick at least {self.min_runs} optimizer{'s' if self.min_runs > 1 else ''} "
                            f"in the sidebar.")
        return sc.with_(runs=tuple(shown)), problems

    def _schedule(self, i: int, run: Run) -> str:
        """The run's schedule as its widgets show it (link form), or its stored one."""
        ss = st.session_state
        name = ss.get(self.key("run", i, "sched"), None)
        if self.key("run", i, "sched") not in ss:
            return run.schedule
        if not name:
            return ""
        spec = optimizers.schedules.spec(name)
        args = {}
        for knob in spec.knobs:
            v = ss.get(self.key("run", i, "sched", knob.name))
            if v is not None:
                args[knob.name] = int(v) if knob.scale == "int" else float(v)
        try:
            text = state.schedule_text(optimizers.schedule(name, **args))
        except (ValueError, TypeError) as err:
            kept = (optimizers.schedules.spec(state.schedule_of(run.schedule).name).label if run.schedule
                    else "a constant η")
            ss[self.key("run", i, "sched_error")] = (f"{spec.label} refuses these arguments: "
                                                      f"{str(err).rstrip('.')}. The path keeps {kept} "
                                                      "until they are fixed.")
            return run.schedule
        ss.pop(self.key("run", i, "sched_error"), None)
        return text

    def standardize(self) -> None:
        """The data's inputs standardized or not: the same runs on the other line fit."""
        sc = self.scenario
        s = state.surface_of(sc.surface)
        other = s.unstandardized if s.name == s.standardized else s.standardized
        if other and other != sc.surface:
            self.show(sc.with_(surface=other))

    def pick_schedule(self, i: int) -> None:
        """A schedule was picked for run ``i``: its arguments start spread over the steps."""
        ss = st.session_state
        name = ss.get(self.key("run", i, "sched"))
        for k in [k for k in ss if isinstance(k, str) and k.startswith(self.key("run", i, "sched") + ".")]:
            del ss[k]
        if name:
            for k, v in self.schedule_defaults(name, self.scenario.steps).items():
                ss[self.key("run", i, "sched", k)] = v

    def schedule_defaults(self, name: str, steps: int) -> dict:
        """Arguments a schedule starts with when picked: spread over the run's steps."""
        spec = optimizers.schedules.spec(name)
        guess = {"step_size": max(1, steps // 4), "T_max": max(1, steps), "total_iters": max(1, steps // 5),
                 "warmup_steps": max(1, steps // 10), "gamma": 0.97 if name == "exponential" else 0.5}
        out = {**spec.defaults}
        for k in spec.required:
            out[k] = guess[k]
        if name == "warmup_cosine":
            out["T_max"] = max(1, steps - out["warmup_steps"])
        if name == "step":
            out["gamma"] = 0.5
        return out

    # --- edits (callbacks) --------------------------------------------------------------------------------
    def set_surface(self) -> None:
        """A new surface gets its own start and every optimizer its tuned learning rate."""
        name = st.session_state.get(self.key("surface"))
        sc = self.scenario
        if name is None or name == sc.surface:  # an earlier callback of this rerun reset it
            return
        if name == state.FORMULA:
            st.session_state[self.key("formula_error")] = None
            key = state.formula_key(*EXAMPLE_FORMULA)
            self.show(self._on_surface(sc, key))
            return
        opening = getattr(presets, "opening", None)
        if opening is not None:  # each surface opens on a view that shows its lesson
            view = opening(name)
            self.show(view.with_(runs=view.runs[: self.max_runs]))
            return
        self.show(self._on_surface(sc, name))

    def _on_surface(self, sc: Scenario, key: str) -> Scenario:
        """The scenario moved to surface ``key``: its start, and each optimizer's tuned rate."""
        s = state.surface_of(key)
        runs = tuple(Run.of(r.name, schedule=r.schedule, **{**r.kwargs, "lr": cache.default_lr(key, r.name)})
                     for r in sc.runs)
        return sc.with_(surface=key, start=s.start, runs=runs, batch=0)

    def set_formula(self) -> None:
        """The formula box changed: use it if it works, else say why and keep the last good one."""
        ss = st.session_state
        text = ss.get(self.key("f"), "")
        try:
            windows = []
            for axis in ("xr", "yr"):
                raw = str(ss.get(self.key(axis), ""))
                parts = [p for p in raw.replace("/", ",").replace(" to ", ",").split(",") if p.strip()]
                try:
                    lo, hi = (float(p) for p in parts)
                except ValueError:
                    raise ValueError(f"the {axis[0]} window {raw!r} is not two numbers like -5, 5") from None
                windows.append((lo, hi))
            surfaces.from_formula(text, *windows)
        except ValueError as err:
            ss[self.key("formula_error")] = str(err)
            return
        ss[self.key("formula_error")] = None
        key = state.formula_key(text, *windows)
        if key != self.scenario.surface:
            self.show(self._on_surface(self.scenario, key))

    def add_run(self) -> None:
        name = st.session_state.get(self.key("add"))
        sc = self.scenario
        if name and len(sc.runs) < self.max_runs:
            lr = cache.default_lr(sc.surface, name)
            taken = [r.lr for r in sc.runs if r.name == name]
            while lr in taken:  # a second copy to compare: start it at half the rate
                lr = float(f"{lr / 2:.3g}")
            self.show(sc.with_(runs=sc.runs + (Run.of(name, lr=lr),)))
        else:
            st.session_state.pop(self.key("add"), None)

    def keep_runs(self) -> None:
        """The optimizer list lost an entry (its ✕ was clicked): keep the others."""
        keep = st.session_state.get(self.key("shown")) or []
        sc = self.scenario
        self.show(sc.with_(runs=tuple(r for i, r in enumerate(sc.runs) if i in keep)))

    def set_start(self, xy: tuple[float, float]) -> None:
        st.session_state[self.key("x0")], st.session_state[self.key("y0")] = xy

    # --- the link ---------------------------------------------------------------------------------------------
    def write_link(self, scenario: Scenario) -> None:
        """Keep the address bar equal to what is shown, so it can be copied and shared."""
        want = state.encode(scenario, present=self.present)
        have = {k: (st.query_params.get_all(k) if k == "opt" else st.query_params.get(k))
                for k in st.query_params.keys()}
        if have != want:
            st.query_params.from_dict(want)
