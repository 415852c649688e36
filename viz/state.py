"""What a scenario is, and its URL form: every control of a page in a shareable link.

A ``Scenario`` is what gets computed and drawn: surface, optimizers with their
hyperparameters, start, steps, noise.  It is plain, hashable data, and its
canonical link text (``link``) is the cheap string every cache is keyed by.
Page flags (presentation mode) travel in the same address bar but are not part
of the scenario, so they never split a cache.

``encode`` turns a scenario into query parameters; ``decode`` turns query
parameters back into a scenario and never raises: whatever part of a link is
malformed falls back to the page's default, and *every* change it makes (a
dropped optimizer, a value read twice, an unknown parameter) is reported in a
problem that names the bad value and what is accepted.

URL form (one spelling per concept: registry names and torch's keywords)::

    ?surface=bowl&opt=sgd,lr=0.95&opt=adam,lr=0.3,betas=0.9/0.999&x0=-7&y0=2&steps=30

``noise``, ``seed`` and ``present`` appear only when they differ from the
default; an optimizer's ``lr`` always appears, its other hyperparameters only
when they differ from torch's default.  The same optimizer may appear more than
once (SGD at 0.1 against SGD at 0.5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Mapping, NamedTuple
from urllib.parse import urlencode

import optimizers
import surfaces

MAX_STEPS = 1000
MAX_NOISE = 10.0
MAX_SEED = 2**31 - 1
MAX_RUNS = 8            # paths on one plot: beyond this a plot stops teaching
MAX_PARAM_CHARS = 400   # a longer value in a link is not read at all
MAX_PROBLEMS_SHOWN = 12
# Streamlit's own query parameters: not ours to complain about.
FOREIGN_KEYS = frozenset({"embed", "embed_options"})
KEYS = ("surface", "f", "xr", "yr", "opt", "x0", "y0", "steps", "noise", "batch", "seed", "cloud",
        "present")
MAX_CLOUD = 30  # noise seeds drawn at once in a noise cloud
FORMULA = "formula"  # surface=formula&f=<text>&xr=lo/hi&yr=lo/hi: a user's own f(x, y)


def formula_key(text: str, x_range, y_range) -> str:
    """The scenario's surface string for a formula: what caches are keyed by."""
    return f"{FORMULA}|{_num(x_range[0])}/{_num(x_range[1])}|{_num(y_range[0])}/{_num(y_range[1])}|{text}"


def split_formula(key: str) -> tuple[str, tuple[float, float], tuple[float, float]] | None:
    if not key.startswith(FORMULA + "|"):
        return None
    _, xr, yr, text = key.split("|", 3)
    return text, _pair(xr), _pair(yr)


def _pair(text: str) -> tuple[float, float]:
    lo, hi = text.split("/")
    return float(lo), float(hi)


def surface_of(key: str):
    """The Surface behind a scenario's surface string: a registered name or a formula key."""
    parts = split_formula(key)
    if parts is None:
        return surfaces.get(key)
    return surfaces.from_formula(*parts)


@dataclass(frozen=True)
class Run:
    """One optimizer with its hyperparameters (only those that differ from torch's defaults)
    and its learning-rate schedule (``schedule_text`` form, "" for a constant rate)."""

    name: str
    hyper: tuple[tuple[str, Any], ...] = ()
    schedule: str = ""

    @staticmethod
    def of(name: str, schedule: str = "", **hyper) -> "Run":
        defaults = optimizers.spec(name).defaults
        kept = {k: _norm(v) for k, v in hyper.items() if k == "lr" or _norm(v) != _norm(defaults[k])}
        return Run(name, tuple(sorted(kept.items())), schedule)

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.hyper)

    @property
    def lr(self) -> float:
        return self.kwargs.get("lr", optimizers.spec(self.name).defaults["lr"])

    @property
    def text(self) -> str:
        """The link form: ``adam,betas=0.8/0.999,lr=0.3`` (``,schedule=cosine:T_max=100:eta_min=0``)."""
        parts = [self.name] + [f"{k}={_value_text(v)}" for k, v in self.hyper]
        if self.schedule:
            parts.append(f"schedule={self.schedule}")
        return ",".join(parts)

    def schedule_obj(self):
        """The ``optimizers.Schedule`` this run uses, or None."""
        return schedule_of(self.schedule) if self.schedule else None


def schedule_text(sched) -> str:
    """A schedule as it travels in a link: ``cosine:T_max=100:eta_min=0`` (every argument)."""
    return ":".join([sched.name] + [f"{k}={_num(v) if isinstance(v, float) else v}"
                                    for k, v in sched.kwargs.items()])


def schedule_of(text: str):
    """``optimizers.schedule`` from its link form; ValueError/TypeError naming what is wrong."""
    name, *pairs = text.split(":")
    kwargs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise ValueError(f"schedule argument {shown(pair)} is not key=value")
        x = _float(raw)
        if x is None:
            raise ValueError(f"schedule argument {key}={shown(raw)} is not a finite number")
        kwargs[key] = int(x) if x == int(x) and "." not in raw and "e" not in raw.lower() else x
    return optimizers.schedule(name, **kwargs)


@dataclass(frozen=True)
class Scenario:
    """What a page computes and draws; hashable, and keyed in caches by ``link``."""

    surface: str
    runs: tuple[Run, ...]
    start: tuple[float, float]
    steps: int
    noise: float = 0.0
    seed: int = 0
    cloud: int = 0   # with noise: this many noisy runs, drawn faintly around their mean
    batch: int = 0   # on a data surface: minibatch size (0: the full data set every step)

    def with_(self, **changes) -> "Scenario":
        return replace(self, **changes)

    @cached_property
    def link(self) -> str:
        """The canonical query string of this scenario (no page flags)."""
        return query_string(encode(self))


class Decoded(NamedTuple):
    scenario: Scenario
    present: bool
    problems: list[str]


def _norm(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return tuple(float(x) for x in v)
    if isinstance(v, bool):
        return v
    return float(v)


def _num(v: float) -> str:
    """Shortest text that reads back as the same float (and no '.0' tails)."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def _value_text(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, tuple):
        return "/".join(_num(x) for x in v)
    return _num(v)


def encode(scenario: Scenario, present: bool = False) -> dict[str, str | list[str]]:
    """Query parameters for ``scenario`` (``noise``/``seed``/``present`` only when not default)."""
    out: dict[str, str | list[str]] = {"surface": scenario.surface}
    formula = split_formula(scenario.surface)
    if formula is not None:
        text, xr, yr = formula
        out.update(surface=FORMULA, f=text, xr=f"{_num(xr[0])}/{_num(xr[1])}",
                   yr=f"{_num(yr[0])}/{_num(yr[1])}")
    out.update({
        "opt": [r.text for r in scenario.runs],
        "x0": _num(scenario.start[0]),
        "y0": _num(scenario.start[1]),
        "steps": str(scenario.steps),
    })
    if scenario.noise:
        out["noise"] = _num(scenario.noise)
    if scenario.seed:
        out["seed"] = str(scenario.seed)
    if scenario.cloud:
        out["cloud"] = str(scenario.cloud)
    if scenario.batch:
        out["batch"] = str(scenario.batch)
    if present:
        out["present"] = "1"
    return out


def query_string(params: Mapping[str, str | list[str]]) -> str:
    # '=' inside a value is legal in a query (a parser splits at the first one), and
    # keeps a shared link readable: opt=sgd,lr=0.95 rather than opt=sgd,lr%3D0.95.
    return urlencode(params, doseq=True, safe=",/=")


def decode_link(text: str) -> Scenario:
    """The scenario behind a canonical ``link`` (which ``encode`` made, so it is valid)."""
    from urllib.parse import parse_qs

    params = parse_qs(text, keep_blank_values=True)
    runs = tuple(run_from_text(t) for t in params["opt"])
    surface = params["surface"][0]
    if surface == FORMULA:
        surface = formula_key(params["f"][0], _pair(params["xr"][0]), _pair(params["yr"][0]))
    return Scenario(surface, runs, (float(params["x0"][0]), float(params["y0"][0])),
                    int(params["steps"][0]), float(params.get("noise", ["0"])[0]),
                    int(params.get("seed", ["0"])[0]), int(params.get("cloud", ["0"])[0]),
                    int(params.get("batch", ["0"])[0]))


def run_from_text(text: str) -> Run:
    name, *pairs = text.split(",")
    defaults = optimizers.spec(name).defaults
    hyper, schedule = {}, ""
    for pair in pairs:
        key, _, raw = pair.partition("=")
        if key == "schedule":
            schedule = raw
        else:
            hyper[key] = _parse_value(defaults[key], raw)
    return Run.of(name, schedule=schedule, **hyper)


# --- decoding: forgiving, and loud about what it forgave --------------------

def shown(text: Any, limit: int = 40) -> str:
    """A piece of a link quoted in a message: repr'd, and cut if long."""
    text = str(text)
    if len(text) > limit:
        return repr(text[:limit]) + f"… ({len(text)} characters)"
    return repr(text)


def _values(params: Mapping[str, Any], key: str) -> list[str]:
    v = params.get(key)
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]


def _float(text: str) -> float | None:
    # float() also reads '１０', '٣' and '1_0': a mangled link must not pass for a good one.
    if len(text) > 64 or not text.isascii() or "_" in text:
        return None
    try:
        x = float(text)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _parse_value(default: Any, text: str) -> Any:
    """Read ``text`` as the type of ``default``; None when it does not parse."""
    if isinstance(default, bool):
        return {"1": True, "true": True, "0": False, "false": False}.get(text.strip().lower())
    if isinstance(default, tuple):
        parts = [_float(p) for p in text.split("/")]
        return tuple(parts) if len(parts) == len(default) and None not in parts else None
    return _float(text)


def within_knob(spec, key: str, value: Any) -> Any:
    """``value`` brought inside the slider range of ``spec``'s knob ``key`` (each of the betas);
    as given when it is inside, or the knob has no range (a switch)."""
    knob = next((k for k in spec.knobs if k.name == key), None)
    if knob is None or knob.scale == "bool" or isinstance(value, bool):
        return value
    if isinstance(value, tuple):
        return tuple(min(max(v, knob.lo), knob.hi) for v in value)
    return min(max(value, knob.lo), knob.hi)


def decode_run(text: str, problems: list[str]) -> Run | None:
    """``"adam,lr=0.3,betas=0.9/0.999"`` -> Run; every bad or repeated piece is reported."""
    name, *pairs = [p.strip() for p in text.split(",")]
    try:
        spec = optimizers.spec(name)
    except ValueError:
        problems.append(f"unknown optimizer {shown(name)} was skipped "
                        f"(valid: {', '.join(optimizers.names())})")
        return None
    defaults = spec.defaults
    hyper: dict[str, Any] = {}
    schedule = ""
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if key == "schedule" and sep:
            try:
                schedule = schedule_text(schedule_of(raw))
            except (ValueError, TypeError) as err:
                problems.append(f"{spec.label}: the schedule {shown(raw)} cannot be used ({err}); "
                                f"a constant learning rate instead")
            continue
        if not sep or key not in defaults:
            problems.append(f"{spec.label}: unknown setting {shown(pair)} was ignored "
                            f"(accepted: {', '.join(defaults)})")
            continue
        value = _parse_value(defaults[key], raw)
        if value is None:
            want = ("two numbers like 0.9/0.999" if isinstance(defaults[key], tuple) else
                    "0 or 1" if isinstance(defaults[key], bool) else "a finite number")
            problems.append(f"{spec.label}: {key}={shown(raw)} is not valid ({want} expected); "
                            f"using the default")
            continue
        try:  # the optimizer's own check, one key at a time, so one bad value costs one setting
            optimizers.get(name, **{key: value})
        except (ValueError, TypeError) as err:
            problems.append(f"{spec.label}: {err}; using the default")
            continue
        inside = within_knob(spec, key, value)
        if inside != value:
            lo, hi = next((k.lo, k.hi) for k in spec.knobs if k.name == key)
            problems.append(f"{spec.label}: {key}={_value_text(value)} is outside its slider's range, "
                            f"{_num(lo)} to {_num(hi)}; using {_value_text(inside)}")
            value = inside
        if key in hyper and hyper[key] != value:
            problems.append(f"{spec.label}: {key} given twice ({_value_text(hyper[key])} and "
                            f"{_value_text(value)}); kept the last")
        hyper[key] = value
    return Run.of(name, schedule=schedule, **hyper)


def decode(params: Mapping[str, Any], default: Scenario, *, max_runs: int = MAX_RUNS) -> Decoded:
    """A scenario (and the presentation flag) from query parameters; never raises.

    Anything unusable falls back to ``default``; every change made to what the
    link asked for is listed in ``problems``.
    """
    problems: list[str] = []
    scenario = default

    unknown = [k for k in params if k not in KEYS and k not in FOREIGN_KEYS]
    if unknown:
        listed = ", ".join(shown(k, 20) for k in unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        problems.append(f"unknown link parameter{'s' if len(unknown) > 1 else ''} {listed} "
                        f"ignored (accepted: {', '.join(KEYS)})")

    def single(key: str) -> str | None:
        values = _values(params, key)
        if not values:
            return None
        if len(values) > 1 and len(set(values)) > 1:
            problems.append(f"{key} given {len(values)} times; kept the last, {shown(values[-1])}")
        value = values[-1]
        if len(value) > MAX_PARAM_CHARS:
            problems.append(f"{key} is {len(value)} characters long (at most {MAX_PARAM_CHARS}); ignored")
            return None
        return value

    name = single("surface")
    if name == FORMULA:
        text, xr, yr = single("f"), single("xr"), single("yr")
        try:
            if text is None:
                raise ValueError("the link has no formula (f=...)")
            windows = []
            for key, raw in (("xr", xr), ("yr", yr)):
                parts = [_float(p) for p in (raw or "").split("/")]
                if len(parts) != 2 or None in parts:
                    raise ValueError(f"{key}={shown(raw)} is not a window like -5/5")
                windows.append((parts[0], parts[1]))
            surfaces.from_formula(text, *windows)
            scenario = scenario.with_(surface=formula_key(text, *windows))
        except ValueError as err:
            problems.append(f"the formula in the link cannot be used ({err}); showing "
                            f"{surface_of(default.surface).label}")
    elif name is not None:
        try:
            surfaces.get(name)
            scenario = scenario.with_(surface=name)
        except ValueError:
            problems.append(f"unknown surface {shown(name)}; showing "
                            f"{surface_of(default.surface).label} (valid: {', '.join(surfaces.names())}, "
                            f"or formula with f=...)")
    stray = [k for k in ("f", "xr", "yr") if k in params] if name != FORMULA else []
    if stray:
        problems.append(f"{', '.join(stray)} ignored: a formula is read only with surface=formula")
    s = surface_of(scenario.surface)

    texts = _values(params, "opt")
    if texts:
        runs: list[Run] = []
        copies: dict[Run, int] = {}
        for text in texts[:4 * max_runs]:
            if len(text) > MAX_PARAM_CHARS:
                problems.append(f"an optimizer entry {len(text)} characters long was skipped "
                                f"(at most {MAX_PARAM_CHARS})")
                continue
            run = decode_run(text, problems)
            if run is None:
                continue
            copies[run] = copies.get(run, 0) + 1
            if copies[run] == 1:
                runs.append(run)
        for run, n in copies.items():  # one problem per repeated entry, however often it repeats
            if n > 1:
                problems.append(f"{shown(run.text)} appears {n} times; kept one")
        if len(texts) > 4 * max_runs:
            problems.append(f"the link lists {len(texts)} optimizers; read the first {4 * max_runs}")
        if len(runs) > max_runs:
            dropped = ", ".join(r.text for r in runs[max_runs:])
            problems.append(f"this page shows at most {max_runs} optimizers; dropped {shown(dropped, 80)}")
            runs = runs[:max_runs]
        if runs:
            scenario = scenario.with_(runs=tuple(runs))
        else:
            problems.append("no usable optimizer in the link; showing the default ones")

    start = list(scenario.start if scenario.surface == default.surface else s.start)
    for i, (key, (lo, hi)) in enumerate((("x0", s.x_range), ("y0", s.y_range))):
        raw = single(key)
        if raw is None:
            continue
        x = _float(raw)
        if x is None or not lo <= x <= hi:
            problems.append(f"{key}={shown(raw)} is not a number inside the plot window "
                            f"[{_num(lo)}, {_num(hi)}]; using {_num(start[i])}")
        else:
            start[i] = x
    scenario = scenario.with_(start=(start[0], start[1]))

    for key, lo, hi, whole in (("steps", 1, MAX_STEPS, True), ("noise", 0.0, MAX_NOISE, False),
                               ("seed", 0, MAX_SEED, True), ("cloud", 0, MAX_CLOUD, True)):
        raw = single(key)
        if raw is None:
            continue
        x = _float(raw)
        if x is None or (whole and x != int(x)) or not lo <= x <= hi:
            kind = "a whole number" if whole else "a number"
            problems.append(f"{key}={shown(raw)} is not {kind} from {_num(lo)} to {_num(hi)}; "
                            f"using {_num(getattr(scenario, key))}")
        else:
            scenario = scenario.with_(**{key: int(x) if whole else x})

    raw = single("batch")
    if raw is not None:
        rows = getattr(s, "n_data", 0)
        x = _float(raw)
        if x == 0:
            pass  # the full data set: the default, on any surface
        elif not rows:
            problems.append(f"batch={shown(raw)} ignored: {s.label} has no data to draw minibatches from")
        elif x is None or x != int(x) or not 0 <= x <= rows:
            problems.append(f"batch={shown(raw)} is not a whole number from 0 (the full data set) to "
                            f"{rows}; using the full data set")
        else:
            scenario = scenario.with_(batch=int(x))

    present = False
    raw = single("present")
    if raw is not None:
        flag = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False,
                "": False}.get(raw.strip().lower())
        if flag is None:
            problems.append(f"present={shown(raw)} is not 1 or 0; presentation mode is off")
        present = bool(flag)
    return Decoded(scenario, present, problems)


def summarize(problems: list[str]) -> str:
    """All problems of a link as one notice (a bulleted list, the long tail counted).

    A message that repeats (the same bad entry two hundred times) is listed once, with a count.
    """
    counts: dict[str, int] = {}
    for p in problems:
        counts[p] = counts.get(p, 0) + 1
    distinct = list(counts)
    head = distinct[:MAX_PROBLEMS_SHOWN]
    lines = [f"- {p[0].upper()}{p[1:]}" + (f" ({counts[p]} times)." if counts[p] > 1 else ".")
             for p in head]
    if len(distinct) > len(head):
        lines.append(f"- … and {len(distinct) - len(head)} more.")
    return "\n".join(lines)
