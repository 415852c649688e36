"""What a view is, and its URL form: every control of a page in a shareable link.

A ``View`` is plain, hashable data (so it can key a cache).  ``encode`` turns
it into query parameters; ``decode`` turns query parameters back into a View
and never raises: whatever part of a link is malformed or outdated falls back
to the page's default, with a warning that names the bad value and what is
accepted.

URL form (one spelling per concept: registry names and torch's keywords)::

    ?surface=bowl&opt=sgd,lr=0.95&opt=adam,lr=0.3,betas=0.9/0.999&x0=-7&y0=2&steps=30

``noise``, ``seed`` and ``present`` appear only when they differ from the
default; an optimizer's ``lr`` always appears, its other hyperparameters only
when they differ from torch's default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping

import optimizers
import surfaces

MAX_STEPS = 1000
MAX_NOISE = 10.0
MAX_SEED = 2**31 - 1
MAX_RUNS = 11


@dataclass(frozen=True)
class Run:
    """One optimizer with its hyperparameters (only those that differ from torch's defaults)."""

    name: str
    hyper: tuple[tuple[str, Any], ...] = ()

    @staticmethod
    def of(name: str, **hyper) -> "Run":
        defaults = optimizers.spec(name).defaults
        kept = {k: _norm(v) for k, v in hyper.items() if k == "lr" or _norm(v) != _norm(defaults[k])}
        return Run(name, tuple(sorted(kept.items())))

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.hyper)

    @property
    def lr(self) -> float:
        return self.kwargs.get("lr", optimizers.spec(self.name).defaults["lr"])


@dataclass(frozen=True)
class View:
    surface: str
    runs: tuple[Run, ...]
    start: tuple[float, float]
    steps: int
    noise: float = 0.0
    seed: int = 0
    present: bool = False

    def with_(self, **changes) -> "View":
        return replace(self, **changes)


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


def encode(view: View, default: View | None = None) -> dict[str, str | list[str]]:
    """Query parameters for ``view`` (``noise``/``seed``/``present`` only when not default)."""
    out: dict[str, str | list[str]] = {
        "surface": view.surface,
        "opt": [",".join([r.name] + [f"{k}={_value_text(v)}" for k, v in r.hyper]) for r in view.runs],
        "x0": _num(view.start[0]),
        "y0": _num(view.start[1]),
        "steps": str(view.steps),
    }
    if view.noise:
        out["noise"] = _num(view.noise)
    if view.seed:
        out["seed"] = str(view.seed)
    if view.present:
        out["present"] = "1"
    return out


# --- decoding: forgiving, and loud about what it forgave --------------------

def _first(params: Mapping[str, Any], key: str) -> str | None:
    v = params.get(key)
    if isinstance(v, (list, tuple)):
        return v[-1] if v else None
    return v


def _all(params: Mapping[str, Any], key: str) -> list[str]:
    v = params.get(key)
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _float(text: str) -> float | None:
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


def decode_run(text: str, warnings: list[str]) -> Run | None:
    """``"adam,lr=0.3,betas=0.9/0.999"`` -> Run; bad pieces are dropped with a warning."""
    name, *pairs = [p.strip() for p in text.split(",")]
    try:
        spec = optimizers.spec(name)
    except ValueError:
        warnings.append(f"Unknown optimizer {name!r} in the link was skipped. "
                        f"Valid optimizers: {', '.join(optimizers.names())}.")
        return None
    defaults = spec.defaults
    hyper: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or key not in defaults:
            warnings.append(f"{spec.label}: unknown setting {pair!r} was ignored. "
                            f"Accepted: {', '.join(defaults)}.")
            continue
        value = _parse_value(defaults[key], raw)
        if value is None:
            shown = "two numbers like 0.9/0.999" if isinstance(defaults[key], tuple) else (
                "0 or 1" if isinstance(defaults[key], bool) else "a finite number")
            warnings.append(f"{spec.label}: {key}={raw!r} is not valid ({shown} expected); "
                            f"using the default.")
            continue
        try:  # the optimizer's own check, one key at a time, so one bad value costs one setting
            optimizers.get(name, **{key: value})
        except ValueError as err:
            warnings.append(f"{spec.label}: {err}; using the default.")
            continue
        hyper[key] = value
    return Run.of(name, **hyper)


def decode(params: Mapping[str, Any], default: View) -> tuple[View, list[str]]:
    """A View from query parameters; anything unusable falls back to ``default``."""
    warnings: list[str] = []
    view = default

    name = _first(params, "surface")
    if name is not None:
        try:
            surfaces.get(name)
            view = view.with_(surface=name)
        except ValueError:
            warnings.append(f"Unknown surface {name!r} in the link; showing "
                            f"{surfaces.get(default.surface).label}. Valid surfaces: "
                            f"{', '.join(surfaces.names())}.")
    s = surfaces.get(view.surface)

    texts = _all(params, "opt")
    if texts:
        runs: list[Run] = []
        for text in texts:
            run = decode_run(text, warnings)
            if run is not None and run.name in [r.name for r in runs]:
                warnings.append(f"{optimizers.spec(run.name).label} appears twice in the link; "
                                f"kept the first.")
            elif run is not None:
                runs.append(run)
        if runs:
            view = view.with_(runs=tuple(runs[:MAX_RUNS]))
        else:
            warnings.append("No usable optimizer in the link; showing the default ones.")

    start = list(view.start if view.surface == default.surface else s.start)
    for i, (key, (lo, hi)) in enumerate((("x0", s.x_range), ("y0", s.y_range))):
        raw = _first(params, key)
        if raw is None:
            continue
        x = _float(raw)
        if x is None or not lo <= x <= hi:
            warnings.append(f"{key}={raw!r} is not a number inside the plot window "
                            f"[{_num(lo)}, {_num(hi)}]; using {_num(start[i])}.")
        else:
            start[i] = x
    view = view.with_(start=(start[0], start[1]))

    for key, lo, hi, whole in (("steps", 1, MAX_STEPS, True), ("noise", 0.0, MAX_NOISE, False),
                               ("seed", 0, MAX_SEED, True)):
        raw = _first(params, key)
        if raw is None:
            continue
        x = _float(raw)
        if x is None or (whole and x != int(x)) or not lo <= x <= hi:
            kind = "a whole number" if whole else "a number"
            warnings.append(f"{key}={raw!r} is not {kind} from {_num(lo)} to {_num(hi)}; "
                            f"using {_num(getattr(view, key))}.")
        else:
            view = view.with_(**{key: int(x) if whole else x})

    raw = _first(params, "present")
    if raw is not None:
        view = view.with_(present=raw.strip().lower() in ("1", "true", "yes"))
    return view, warnings
