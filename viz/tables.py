"""Numbers about paths, for the summary table, the CSV export and the click mapping."""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np

from .figures import Path, run_label, stop_step


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "—"
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def tolerance(surface) -> float:
    """'Close to a minimum' means within 1% of the window's larger side."""
    return 0.01 * max(np.ptp(surface.x_range), np.ptp(surface.y_range))


def path_ratio(pts: np.ndarray) -> float:
    """Distance travelled over the straight line from start to end: 1 is a beeline,
    5 means four fifths of the motion was wasted going back and forth."""
    if len(pts) < 2:
        return float("nan")
    travelled = float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())
    straight = float(np.linalg.norm(pts[-1] - pts[0]))
    return travelled / straight if straight > 1e-12 else float("inf") if travelled > 0 else 1.0


def summary(surface, paths: list[Path]) -> list[dict[str, Any]]:
    """One row per path: final loss, how roundabout the path was, distance to the nearest
    minimum, steps to get close, and where it diverged (or, on a surface without a minimum,
    left the plot)."""
    tol = tolerance(surface)
    rows = []
    for p in paths:
        pts = p.finite
        last = pts[-1]
        step = stop_step(surface, p)
        row = {"optimizer": p.label, "final loss": float(surface.value(last)),
               "path ratio": path_ratio(pts), "diverged at": step if step >= 0 else None}
        if surface.minima:
            mins = np.asarray(surface.minima)
            dist = np.linalg.norm(pts[:, None, :] - mins[None, :, :], axis=-1).min(axis=1)
            close = np.nonzero(dist <= tol)[0]
            row["distance to minimum"] = float(dist[-1])
            row["steps to within tol"] = int(close[0]) if close.size else None
        rows.append(row)
    return rows


def summary_markdown(surface, paths: list[Path]) -> str:
    rows = summary(surface, paths)
    tol = _fmt(tolerance(surface))
    head = ["Optimizer", "Final loss", "Path ÷ straight line"]
    if surface.minima:
        head += ["Distance to the minimum", f"Steps to within {tol} of the minimum"]
    head += ["Diverged" if surface.minima else "Left the plot"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["optimizer"], _fmt(r["final loss"]), f"{r['path ratio']:.2f}×"
                 if np.isfinite(r["path ratio"]) else "—"]
        if surface.minima:
            s = r["steps to within tol"]
            cells += [_fmt(r["distance to minimum"]), "not reached" if s is None else str(s)]
        cells.append("—" if r["diverged at"] is None else f"step {r['diverged at']}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def reading(surface, paths: list[Path]) -> str:
    """One line that reads the table for a class: who ends lowest, and what it paid."""
    rows = [r for r in summary(surface, paths) if r["diverged at"] is None or not surface.minima]
    if len(rows) < 2:
        return ""
    low = min(rows, key=lambda r: r["final loss"])
    wasteful = max(rows, key=lambda r: r["path ratio"] if np.isfinite(r["path ratio"]) else 0)
    direct = min(rows, key=lambda r: r["path ratio"] if np.isfinite(r["path ratio"]) else np.inf)
    text = f"{low['optimizer']} ends lowest (f = {_fmt(low['final loss'])})"
    if wasteful is not direct and wasteful["path ratio"] > 1.5 * direct["path ratio"]:
        how = ("but" if wasteful is low else "while")
        text += (f", {how} {wasteful['optimizer']} travels {wasteful['path ratio']:.1f}× the straight "
                 f"line to get where it ends and {direct['optimizer']} only {direct['path ratio']:.1f}×")
    text += "."
    limit = STABILITY.get(surface.name)
    if limit:
        text += " " + limit
    return text


# Where theory gives the largest stable learning rate, say it: plain gradient descent on a
# quadratic diverges once lr > 2 / L, L the largest curvature.
STABILITY = {
    "bowl": "On this bowl plain SGD diverges once η passes 2/L = 1.0 (L = 2, the curvature along y): "
            "its low loss comes from an η just under that edge, which is also why it zigzags.",
    "least_squares_std": "Here the curvature is 2 in every direction, so plain SGD diverges once η passes 1.0.",
}


def describe(surface, scenario) -> str:
    """One line naming what a figure shows: surface, formula, start, steps and every run."""
    runs = "; ".join(run_label(r) for r in scenario.runs)
    noise = f", gradient noise σ={scenario.noise:g} (seed {scenario.seed})" if scenario.noise else ""
    lhs = _plain(surface.latex.split("=", 1)[0]) if "=" in surface.latex else "f(x, y)"
    return (f"{surface.label} {lhs} = {plain_formula(surface)}, from ({scenario.start[0]:g}, "
            f"{scenario.start[1]:g}), {scenario.steps} steps{noise}: {runs}")


_FRAC = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")
_WORDS = {"left": "", "right": "", "quad": "  ", "qquad": "  ", "cdot": "·", "times": "×",
          "pi": "π", "sum": " Σ", "bar": "mean"}


def _group(text: str) -> str:
    return text if re.fullmatch(r"[\w.^]+", text) else f"({text})"


def _plain(latex: str) -> str:
    # \bar{x} -> mean(x) first, so that a \frac around it has no braces left inside
    text = re.sub(r"\\(?!frac)([A-Za-z]+)\{([^{}]*)\}", lambda m: f"{_WORDS.get(m[1], m[1])}({m[2]})", latex)
    while _FRAC.search(text):  # innermost first: \frac{a}{b} -> a/b, (a + 1)/b
        text = _FRAC.sub(lambda m: f"{_group(m[1])}/{_group(m[2])}", text)
    for a, b in ((r"\,", " "), (r"\;", " "), (r"\!", "")):
        text = text.replace(a, b)
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _WORDS.get(m[1], m[1]), text)
    text = text.replace("{", "(").replace("}", ")")
    return re.sub(r"\s+", " ", text).strip()


def plain_formula(surface) -> str:
    """The surface's LaTeX as plain text (no backslash commands), for a file's header line."""
    return _plain(surface.latex.split("=", 1)[-1])


def paths_csv(surface, paths: list[Path], scenario=None) -> str:
    """step, optimizer, run, x, y, loss: one line per point (diverged points omitted).

    Comment lines at the top say what was run: the surface and each optimizer's
    hyperparameters, so a file keeps its context away from the app.
    """
    out = io.StringIO()
    if scenario is not None:
        out.write(f"# {describe(surface, scenario)}\n")
        for i, r in enumerate(scenario.runs):
            out.write(f"# run {i}: {r.text}\n")
    out.write("step,optimizer,run,x,y,loss\n")
    for j, p in enumerate(paths):
        pts = p.finite
        losses = surface.value(pts)
        for i, ((x, y), f) in enumerate(zip(pts.tolist(), losses.tolist())):
            out.write(f"{i},{p.name},{j},{x!r},{y!r},{f!r}\n")
    return out.getvalue()


def start_from_selection(selection: Any, surface) -> tuple[float, float] | None:
    """The start a click on the plot asks for, or None if the selection holds no point.

    Streamlit hands over ``{"selection": {"points": [{"x": .., "y": ..}, ..]}}``
    (box or lasso selections list their points too).  Take the last point,
    round it to a readable precision and keep it inside the window.
    """
    try:
        points = selection["selection"]["points"]
        x, y = float(points[-1]["x"]), float(points[-1]["y"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if not (np.isfinite(x) and np.isfinite(y)):
        return None
    span = max(np.ptp(surface.x_range), np.ptp(surface.y_range))
    digits = max(0, int(-np.floor(np.log10(span / 1000))))
    x = round(min(max(x, surface.x_range[0]), surface.x_range[1]), digits)
    y = round(min(max(y, surface.y_range[0]), surface.y_range[1]), digits)
    return (x, y)
