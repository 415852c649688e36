"""Figure builders: plain data in, ``go.Figure`` out, no Streamlit.

Speed matters here: a class of thirty shares one server process, and Plotly's
property validation costs milliseconds per trace (a validated contour about
7 ms, a template about 17 ms, and animation frames are validated even when
the figure is not: 85 ms for 31 frames).  So figures are assembled from plain
dicts with arrays already in plotly.js's compact base64 form, and wrapped in
``PlainFigure``, whose ``to_dict`` hands them over untouched.  The test suite
runs every builder's output through Plotly's full validator instead.

Named templates are resolved by Plotly's validator, which is skipped, so all
styling is explicit; ``standalone_html`` adds a real template for export.
"""

from __future__ import annotations

import base64
import struct
import zlib
from binascii import b2a_base64
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, NamedTuple

import numpy as np
import plotly.graph_objects as go

import optimizers

MAX_FRAMES = 100
FONT = dict(family="Inter, 'Segoe UI', Helvetica, Arial, sans-serif", size=15, color="#1f2933")
PAPER = "#ffffff"
# Pale blue-grey: lower is darker, so the valley reads at a glance, and every
# path colour below stays legible on top of it, also on a washed-out projector.
CONTOUR_SCALE = [[0.0, "#8fa7bf"], [0.25, "#b9c9d9"], [0.6, "#e2e9f0"], [1.0, "#fafbfc"]]
# One fixed colour per optimizer, by registry position, the same on every page.
# Each reaches at least 4.5:1 contrast on white (WCAG AA), so a line and its
# label stay legible on a washed-out projector.
PALETTE = ("#d62728", "#1f5fbf", "#0f7c8f", "#1f7f1f", "#8c564b", "#b8348f",
           "#7b3fbf", "#7a7a00", "#c04f00", "#393b79", "#8b6b00")
# The 3D surface needs more contrast than a backdrop for paths: shading carries the shape.
SURFACE_SCALE = [[0.0, "#2f4f6f"], [0.35, "#6f8fae"], [0.7, "#b7c9da"], [1.0, "#eef3f7"]]
START_COLOR = "#111111"
MINIMUM_COLOR = "#f2b600"


def color(name: str) -> str:
    """The optimizer's colour, from its place in the registry: a new optimizer needs no entry
    here (past the palette, hues go round the wheel at a contrast-safe darkness)."""
    i = optimizers.names().index(name)
    if i < len(PALETTE):
        return PALETTE[i]
    import colorsys

    r, g, b = colorsys.hls_to_rgb((i * 0.381966) % 1.0, 0.30, 0.75)
    return "#%02x%02x%02x" % (round(255 * r), round(255 * g), round(255 * b))


@dataclass(frozen=True)
class Grid:
    """A surface sampled for drawing: axes, values and the colour transform."""

    x: np.ndarray        # (nx,) float32
    y: np.ndarray        # (ny,) float32
    z: np.ndarray        # (ny, nx) float32, the surface values
    shade: np.ndarray    # (ny, nx) float32, what the colours encode (log-scaled if asked)
    f_min: float | None  # lowest value of a listed minimum; None if unbounded
    log: bool
    image: str = ""      # the filled contour as a PNG data URI (see backdrop_png)

    @cached_property
    def encoded(self) -> dict:
        """x, y and shade in plotly.js's base64 form, encoded once per grid."""
        return {"x": _b64(self.x), "y": _b64(self.y), "z": _b64(self.shade)}

    def shade_of(self, values: np.ndarray) -> np.ndarray:
        return shade_transform(values, self.f_min if self.f_min is not None else float(np.nanmin(self.z)),
                               float(np.nanmax(self.z)), self.log)


def shade_transform(z, z_lo: float, z_hi: float, log: bool):
    """Values to colour scale: log10(1 + (z - z_lo)/s) opens up a deep valley."""
    z = np.asarray(z, dtype=float)
    if not log:
        return z
    s = max(z_hi - z_lo, 1e-12) * 1e-4
    return np.log10(1.0 + np.maximum(z - z_lo, 0.0) / s)


def surface_grid(surface, n: int = 120) -> Grid:
    """Sample ``surface`` on its window: ``n`` points along the longer side."""
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    ratio = (y1 - y0) / (x1 - x0)
    nx, ny = (n, max(int(n * ratio), 40)) if ratio <= 1 else (max(int(n / ratio), 40), n)
    x, y = np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)
    with np.errstate(all="ignore"):  # a user's formula may be undefined in part of its window
        z = surface.value(np.stack(np.meshgrid(x, y), axis=-1))
    z = np.where(np.isfinite(z), z, np.nan)
    f_min = surface.f_min
    lo = f_min if f_min is not None else float(np.nanmin(z))
    hi = float(np.nanmax(z))
    shade = shade_transform(z, lo, hi, surface.log_color)
    # The backdrop is sampled afresh at pixel resolution, so band edges are crisp.
    px = 5 * n
    w, h = (px, max(int(px * ratio), 2)) if ratio <= 1 else (max(int(px / ratio), 2), px)
    with np.errstate(all="ignore"):
        zz = surface.value(np.stack(np.meshgrid(np.linspace(x0, x1, w), np.linspace(y0, y1, h)), axis=-1))
        sh = shade_transform(np.where(np.isfinite(zz), zz, np.nan), lo, hi, surface.log_color)
    image = "data:image/png;base64," + base64.b64encode(
        backdrop_png(sh, float(np.nanmin(shade)), float(np.nanmax(shade)))).decode()
    return Grid(x.astype(np.float32), y.astype(np.float32), z.astype(np.float32),
                shade.astype(np.float32), f_min, surface.log_color, image)


def backdrop_png(shade: np.ndarray, lo: float, hi: float, levels: int = 24) -> bytes:
    """A filled contour plot as a PNG: colour bands plus a light line at each band edge.

    Why an image and not a contour trace: plotly.js drops contour and heatmap
    traces when animating with ``redraw: False`` (plotly.js#4491), and redrawing
    every frame makes the animation stutter.  A layout image is not a trace, so
    the animation leaves it alone.  Row 0 of ``shade`` is the bottom of the plot.
    """
    # Equal-area bands: edges at quantiles of the window's values, so the colour
    # range is spent where the structure is, whatever the surface's scale.
    shade = np.nan_to_num(shade, nan=hi, posinf=hi, neginf=lo)
    edges = np.unique(np.quantile(shade, np.linspace(0, 1, levels + 1)[1:-1]))
    band = np.searchsorted(edges, shade, side="right")
    levels = len(edges) + 1
    pos = np.array([p for p, _ in CONTOUR_SCALE])
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for _, c in CONTOUR_SCALE], float)
    mid = (np.arange(levels) + 0.5) / levels
    palette = np.stack([np.interp(mid, pos, rgb[:, k]) for k in range(3)], axis=-1)
    edge = np.zeros(band.shape, bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    # An indexed PNG: one byte per pixel (a band, or a band's iso-line shade)
    # compresses to a third of the RGB size, and the figure ships it every time.
    palette = np.concatenate([palette, 0.45 * palette + 0.55 * 255])  # + the white iso-lines
    index = (band + levels * edge).astype(np.uint8)
    index = np.ascontiguousarray(index[::-1])  # PNG rows run top down
    h, w = index.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), index], axis=1).tobytes()

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    plte = palette.round().astype(np.uint8).tobytes()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", plte) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


@dataclass(frozen=True)
class Path:
    """One optimizer's trajectory, ready to draw."""

    name: str
    label: str                 # legend text, e.g. "SGD (η=0.95)"
    points: np.ndarray         # (steps + 1, 2), NaN after divergence
    diverged_at: int           # -1 if never
    copy: int = 0              # 0 for the first run of this optimizer, 1 for the second...
    cloud: np.ndarray | None = None  # (steps + 1, k, 2): noisy runs drawn faintly around ``points``

    @property
    def color(self) -> str:
        return color(self.name)

    @property
    def dash(self) -> str:
        """A second run of the same optimizer keeps its colour and changes its line."""
        return DASHES[self.copy % len(DASHES)]

    @property
    def key(self) -> str:
        """Unique per path on a plot (legend groups)."""
        return f"{self.name}.{self.copy}"

    @property
    def finite(self) -> np.ndarray:
        return self.points if self.diverged_at < 0 else self.points[: self.diverged_at]


DASHES = ("solid", "dash", "dot", "dashdot")


def fmt(x: float) -> str:
    """Compact, exact enough for a label: 0.95, 1.5, 3e-4, 0.999."""
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.6g}"
    mantissa, exponent = f"{x:.5e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def run_label(run) -> str:
    """Legend text for a run: its name and learning rate, plus what else differs from torch's defaults."""
    extra = hyper_labels(run)
    sched = getattr(run, "schedule", "")
    if sched:
        extra.append(sched.split(":")[0])
    return f"{optimizers.spec(run.name).label} (η={fmt(run.lr)}{''.join(', ' + e for e in extra)})"


def hyper_labels(run) -> list[str]:
    """What besides the learning rate differs from torch's defaults, in symbols: ["μ=0.5", "β=(0.8, 0.99)"]."""
    spec = optimizers.spec(run.name)
    extra = []
    for k, v in run.hyper:
        if k == "lr":
            continue
        knob = next((kn for kn in spec.knobs if kn.name == k), None)
        sym = knob.symbol if knob else k
        if isinstance(v, bool):
            extra.append(sym if v else f"not {sym}")
        elif isinstance(v, tuple):
            extra.append(f"β=({', '.join(fmt(x) for x in v)})")
        else:
            extra.append(f"{sym}={fmt(v)}")
    return extra


LOSS_POINTS = 300


def lr_figure(series: list[tuple[str, str, str, np.ndarray]], *, height: int = 200) -> PlainFigure:
    """Learning rate per step, one line per run: ``(label, colour, dash, lrs)`` each."""
    data = [dict(type="scatter", mode="lines", x=_b64(np.arange(1, len(lrs) + 1, dtype=np.int32)),
                 y=_f32(lrs), name=label, line=dict(color=c, width=2.5, dash=dash, shape="hv"),
                 hovertemplate=f"<b>{label}</b><br>step %{{x}}: η = %{{y:.4g}}<extra></extra>")
            for label, c, dash, lrs in series]
    axis = dict(showgrid=True, gridcolor="#e4e7eb", zeroline=False, linecolor="#9aa5b1", mirror=True,
                ticks="outside")
    layout = dict(font=dict(FONT, size=13), paper_bgcolor=PAPER, plot_bgcolor=PAPER, height=height,
                  margin=dict(l=70, r=15, t=34, b=40), showlegend=False, hovermode="closest",
                  title=dict(text="Learning rate per step", font=dict(size=15), x=0, xanchor="left"),
                  xaxis=dict(axis, title=dict(text="step")), yaxis=dict(axis, title=dict(text="η"),
                                                                        rangemode="tozero"))
    return _fast(data, layout)


class StepView(NamedTuple):
    """One run inside one step (from ``optimizers.run(..., record=True)``)."""

    name: str
    label: str
    copy: int
    step: int
    lr: float                    # the learning rate of this step (after any schedule)
    point: np.ndarray            # θ before the step
    grad: np.ndarray             # g
    memory: np.ndarray | None    # momentum buffer b or first moment m, after the step
    update: np.ndarray           # the step actually taken
    step_size: np.ndarray | None  # adaptive methods: the per-coordinate step size


CUT = " …"  # ends the label of an arrow cut at the plot's edge


def step_arrows(surface, views: list[StepView]) -> list[dict]:
    """Arrows at each run's point: −η·g (where plain SGD would step: dotted), −η·memory (where
    the memory points: dashed), and the step actually taken (solid), each thin one named at
    its head (Plotly would write an arrow's text at its tail, where they all start).

    An arrow that would reach past the plot window stops at its edge, in its own direction,
    and its name ends in ``CUT`` (the step's too: "step …"): annotations are not clipped by
    the plot, so a long one would otherwise be drawn across the margins and the page.  A
    name sits beyond its arrow's head, or inside the plot beside the edge a cut arrow stops
    at.  A point outside the window (a path that left) gets no arrows.  Names whose heads
    nearly meet (Momentum's −η·g and −η·memory at its first step are the same arrow) are
    stacked a line apart instead of written over each other."""
    out, placed = [], []
    for v in views:
        c = color(v.name)
        p = np.asarray(v.point, float)
        if not surface.contains(p):
            continue
        vectors = [(-v.lr * np.asarray(v.grad), "−η·g", 1.5)]
        if v.memory is not None:
            vectors.append((-v.lr * np.asarray(v.memory), "−η·memory", 2))
        vectors.append((np.asarray(v.update), "step", 3.5))
        for vec, text, width in vectors:
            if not np.isfinite(vec).all() or not np.any(vec):
                continue
            t = surface.reach(p, vec)
            head = p + vec if t == 1.0 else p + t * vec
            out.append(dict(x=float(head[0]), y=float(head[1]), ax=float(p[0]), ay=float(p[1]),
                            xref="x", yref="y", axref="x", ayref="y", showarrow=True, arrowhead=2,
                            arrowsize=1.2, arrowwidth=width, arrowcolor=c, opacity=0.5 if width < 3 else 1,
                            text="", standoff=0, startstandoff=0))
            if width < 3 or t < 1.0:
                anchors = _inward(surface, head) if t < 1.0 else _beyond(vec)
                out.append(dict(x=float(head[0]), y=float(head[1]), xref="x", yref="y", showarrow=False,
                                text=text + (CUT if t < 1.0 else ""), font=dict(size=13, color=c),
                                bgcolor="rgba(255,255,255,0.6)",
                                **_clear_of(surface, head, anchors, placed)))
    return out


NAME_LINE = 17  # px between stacked arrow names (13 px text and its padding)


def _clear_of(surface, head: np.ndarray, anchors: dict, placed: list) -> dict:
    """``anchors``, shifted a line further (the way the name already grows from its head) for
    each name already placed at nearly the same spot; the spot is then remembered."""
    x0, _, y0, _ = surface.extent
    at = (head - (x0, y0)) / surface.size  # where in the window, 0..1 each way
    up = anchors["yanchor"] != "top"
    near = sum(1 for p, a, u in placed if u == up and a == anchors["xanchor"]
               and abs(p[0] - at[0]) < 0.12 and abs(p[1] - at[1]) < 0.05)
    placed.append((at, anchors["xanchor"], up))
    if not near:
        return anchors
    return dict(anchors, yshift=anchors.get("yshift", 0) + (NAME_LINE if up else -NAME_LINE) * near)


def _beyond(vec: np.ndarray) -> dict:
    """Text anchors that put a name just past an arrow's head, in the arrow's direction."""
    return {"xanchor": "left" if vec[0] >= 0 else "right", "yanchor": "bottom" if vec[1] >= 0 else "top"}


def _inward(surface, head: np.ndarray) -> dict:
    """Text anchors that keep a name at ``head`` (on the window's edge) inside the plot, beside
    the arrowhead rather than over it: moved a little along the edge, into the window."""
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    eps = 1e-9 * max(x1 - x0, y1 - y0)
    on_x = "right" if head[0] >= x1 - eps else "left" if head[0] <= x0 + eps else None
    on_y = "top" if head[1] >= y1 - eps else "bottom" if head[1] <= y0 + eps else None
    return {"xanchor": on_x or "left", "yanchor": on_y or "bottom",
            "xshift": 0 if on_x else 6, "yshift": 0 if on_y else 6}


def copy_index(runs, i: int) -> int:
    """How many runs of the same optimizer come before run ``i``."""
    return sum(1 for r in runs[:i] if r.name == runs[i].name)


def stop_step(surface, path: Path) -> int:
    """The step to report as the end of a path, -1 if none.

    Where the surface has a minimum that is the step the path diverged.  On a
    surface without one (a saddle) escaping is the lesson, not a failure: report
    the first step the path is outside the plotted window.
    """
    if surface.minima:
        return path.diverged_at
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    x, y = path.points[:, 0], path.points[:, 1]
    with np.errstate(invalid="ignore"):
        out = ~((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    hits = np.flatnonzero(out)
    return int(hits[0]) if hits.size else -1


def frame_steps(steps: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """Which steps get an animation frame: all of them, or ~100 evenly spaced."""
    return np.unique(np.round(np.linspace(0, steps, min(steps, max_frames) + 1)).astype(int))


def _b64(a: np.ndarray) -> dict:
    """An array in plotly.js's typed-array form (what Plotly itself would send)."""
    a = np.ascontiguousarray(a)
    out = {"dtype": {"float32": "f4", "int32": "i4", "int16": "i2", "uint8": "u1"}[a.dtype.name],
           "bdata": base64.b64encode(a.tobytes()).decode("ascii")}
    if a.ndim > 1:
        out["shape"] = ", ".join(map(str, a.shape))
    return out


def _f32(a) -> dict:
    return _b64(np.asarray(a, dtype=np.float32))


# --- traces -----------------------------------------------------------------

def backdrop(surface, grid: Grid, xref: str = "x", yref: str = "y") -> dict:
    """The filled contour, as a layout image spanning the plot window."""
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    return dict(source=grid.image, xref=xref, yref=yref, x=x0, y=y1, sizex=x1 - x0,
                sizey=y1 - y0, xanchor="left", yanchor="top", sizing="stretch", layer="below")


CLICK_REACH = 34  # px from a grid point that a click still lands on it (layout.hoverdistance)


def click_reach(surface, plot_w: float, plot_h: float, n: int = 21) -> int:
    """``CLICK_REACH``, or more on a plot area so large that half a click-grid cell's diagonal
    is farther: a click in the middle of a cell must still reach a point."""
    (width, height), step = surface.size, surface.span / (n - 1)
    cell = step * min(plot_w / width, plot_h / height)  # px: equal aspect, the tighter side
    return max(CLICK_REACH, int(np.ceil(0.75 * cell)))


def click_grid_trace(surface, n: int = 21) -> dict:
    """Invisible points that turn a click anywhere on the plot into a selection.

    Streamlit reports selections, not clicks, and contours are not selectable.
    ``hoverinfo="none"`` (not "skip") keeps the points clickable.  The grid has
    ``n`` points along the window's longer side and the same spacing along the
    other: starts in twentieths of the window (0.2 on Rosenbrock's, 1 on the
    bowl's).  Plotly picks the nearest point within ``layout.hoverdistance`` px
    (the figure sets ``click_reach``, more than half a cell's diagonal), so any
    click lands on the point nearest the cursor.  The points are text points
    with no text: nothing is drawn for them, where invisible markers were still
    SVG nodes that every redraw laid out (about 7 ms of the contour figure's
    redraw in headless Chromium; now about 2).
    """
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    step = max(x1 - x0, y1 - y0) / (n - 1)
    gx, gy = np.meshgrid(np.linspace(x0, x1, round((x1 - x0) / step) + 1),
                         np.linspace(y0, y1, round((y1 - y0) / step) + 1))
    return dict(type="scatter", mode="text", x=_f32(gx.ravel()), y=_f32(gy.ravel()), text="",
                hoverinfo="none", showlegend=False, name="click to start here")


# --- the animated trail -------------------------------------------------------
#
# A frame replaces the data of the traces it names, so a trail that frames
# resend up to the current step costs frames x points: megabytes for long runs.
# Instead the path is cut into chunks drawn once at full resolution, and a
# frame only sets each chunk's opacity (plotly.js applies opacity without a
# redraw; it does not apply `visible`): solid for the steps already taken,
# faint for the rest of the path, which doubles as a preview of where it goes.
# A short partial chunk, resent by each frame, draws the solid trail from the
# last whole chunk to the current step.  The trail passes through every step.
FAINT = 0.3

class Reveal(NamedTuple):
    """How a trail is cut: frame steps ``idx`` and ``per_chunk`` frame intervals per chunk."""

    idx: np.ndarray
    per_chunk: int

    @property
    def chunks(self) -> int:
        return (len(self.idx) - 1) // self.per_chunk

    def bounds(self, c: int) -> tuple[int, int]:
        return int(self.idx[c * self.per_chunk]), int(self.idx[(c + 1) * self.per_chunk])

    def done(self, j: int) -> int:
        """Whole chunks shown at frame ``j``."""
        return j // self.per_chunk


RERUN_BUDGET = 400_000  # bytes of chart JSON per rerun (issue 6): a page with one chart may use it all
CHART_BUDGET = 345_000  # per figure where the loss and lr charts come too: the rerun stays under 400 kB


def frame_budget(grid: Grid, paths: list[Path], clickable: bool, copies: int = 1) -> int:
    """What is left for the frames once the figure's fixed parts are counted.

    Each finite point costs about 13.4 bytes in the trail's chunks (float32 x
    and y and an int16 step, in base64).
    """
    fixed = copies * len(grid.image) + (6_000 if clickable else 0) + 8_000
    fixed += 11 * min(CLOUD_BUDGET_POINTS, sum(p.cloud.shape[0] * p.cloud.shape[1] for p in paths
                                               if p.cloud is not None))
    fixed += sum(13.4 * p.finite.shape[0] for p in paths) + 1_200 * len(paths)
    return int(max(40_000, CHART_BUDGET - fixed))


CHUNK_BYTES = 380  # a chunk trace's own JSON besides its points (style, hover template)


def plan_reveal(steps: int, n_paths: int, budget: int = 200_000) -> Reveal:
    """The most frames (up to MAX_FRAMES), and the chunking, whose bytes fit ``budget``.

    Per path, each chunk is a trace (``CHUNK_BYTES``), and each frame costs
    about 14 bytes per chunk (its opacity), 11 bytes per point of the partial
    chunk, and the head.  More chunks mean shorter partial chunks but more
    opacities: try each chunk length and keep the cheapest.
    """
    idx = frame_steps(steps, MAX_FRAMES)
    best = Reveal(idx, max(1, len(idx) - 1))
    for frames in (MAX_FRAMES, 80, 60, 45, 30, 20, 12, 6):
        idx = frame_steps(steps, frames)
        f = len(idx) - 1
        if f <= 0:
            return Reveal(idx, 1)
        s = steps / f
        cost, m = min((n_paths * ((f // m) * CHUNK_BYTES + f * (14 * (f // m) + 11 * m * s / 2 + 90)), m)
                      for m in range(1, f + 1))
        best = Reveal(idx, m)
        if cost <= budget:
            break
    return best


CLOUD_POINTS = 120  # per noisy run: the cloud shows a spread, not every step


CLOUD_BUDGET_POINTS = 3000  # all clouds of a figure together: about 32 kB of chart JSON


def cloud_trace(path: Path, most: int = CLOUD_POINTS) -> dict:
    """A path's noise cloud: its noisy runs as one faint trace (NaN between runs), thinned."""
    runs = np.asarray(path.cloud)  # (steps + 1, k, 2)
    keep = np.unique(np.linspace(0, runs.shape[0] - 1, min(runs.shape[0], most)).round().astype(int))
    parts = []
    for j in range(runs.shape[1]):
        parts.append(runs[keep, j])
        parts.append(np.full((1, 2), np.nan))
    pts = np.concatenate(parts)
    return dict(type="scatter", mode="lines", x=_f32(pts[:, 0]), y=_f32(pts[:, 1]), opacity=0.28,
                line=dict(color=path.color, width=1.2), hoverinfo="skip", showlegend=False,
                legendgroup=path.key, name=f"{path.label}: noisy runs", connectgaps=False)


def _base64(raw: bytes) -> str:
    return b2a_base64(raw, newline=False).decode("ascii")


class _Coords:
    """A path's finite points as float32 bytes, so any run of steps is one base64 call.

    The frames slice these bytes hundreds of times per figure; going back to
    NumPy for each slice cost more than the encoding itself.
    """

    def __init__(self, path: Path):
        pts = np.asarray(path.finite, dtype=np.float32)
        self.n = pts.shape[0]
        self.x, self.y = pts[:, 0].tobytes(), pts[:, 1].tobytes()
        self.hx, self.hy = pts[:, 0].tolist(), pts[:, 1].tolist()  # the head's floats, once

    def xy(self, lo: int, hi: int) -> dict:
        """Steps lo..hi inclusive (clamped to the finite part)."""
        last = self.n - 1
        lo, hi = 4 * (lo if lo < last else last), 4 * ((hi if hi < last else last) + 1)
        return {"x": {"dtype": "f4", "bdata": _base64(self.x[lo:hi])},
                "y": {"dtype": "f4", "bdata": _base64(self.y[lo:hi])}}

    def head(self, k: int) -> dict:
        k = min(int(k), self.n - 1)
        return {"x": (self.hx[k],), "y": (self.hy[k],)}


def _partial_bounds(plan: Reveal, j: int) -> tuple[int, int]:
    return int(plan.idx[plan.done(j) * plan.per_chunk]), int(plan.idx[j])


def _trail_traces(path: Path, plan: Reveal, markers: bool, xaxis="x", yaxis="y",
                  legend: bool = True) -> list[dict]:
    """The trail's chunks, its partial chunk and its head, as shown at the last frame."""
    style = dict(type="scatter", mode="lines+markers" if markers else "lines", xaxis=xaxis,
                 yaxis=yaxis, legendgroup=path.key, hoverinfo="skip", name=path.label,
                 line=dict(color=path.color, width=3, dash=path.dash),
                 marker=dict(size=6, color=path.color))
    coords = _Coords(path)
    # What every chunk shares, kept short: it is repeated for each chunk.
    chunk_style = dict(type="scatter", mode=style["mode"], xaxis=xaxis, yaxis=yaxis,
                       legendgroup=path.key, showlegend=False, line=style["line"],
                       hovertemplate="step %{customdata}<br>(%{x:.4g}, %{y:.4g})",
                       name=path.label, **({"marker": style["marker"]} if markers else {}))
    out = []
    for c in range(plan.chunks):
        lo, hi = plan.bounds(c)
        # The chunks carry the hover; a point's step is lo + its index in the chunk.
        steps = np.arange(lo, min(hi, coords.n - 1) + 1, dtype=np.int16)
        out.append(dict(chunk_style, **coords.xy(lo, hi), opacity=1, customdata=_b64(steps)))
    out.append(dict(style, **coords.xy(*_partial_bounds(plan, len(plan.idx) - 1)), showlegend=legend))
    out.append(dict(type="scatter", mode="markers", **coords.head(plan.idx[-1]), xaxis=xaxis,
                    yaxis=yaxis, legendgroup=path.key, showlegend=False, hoverinfo="skip",
                    marker=dict(size=15, color=path.color, line=dict(color="#ffffff", width=2.5),
                                symbol="circle")))
    return out


def _frames(paths: list[Path], plan: Reveal, traces: list[int]) -> list[dict]:
    """One frame per frame step: chunk opacities, the partial chunk and the head of each path."""
    coords = [_Coords(p) for p in paths]
    frames = []
    for j in range(len(plan.idx)):
        done = plan.done(j)
        flags = [_SHOWN] * done + [_HIDDEN] * (plan.chunks - done)
        lo, k = _partial_bounds(plan, j)
        data = []
        for c in coords:
            data += flags
            data.append(c.xy(lo, k))
            data.append(c.head(k))
        frames.append({"name": str(k), "traces": traces, "data": data})
    return frames


def _markers(surface, start, paths, xaxis="x", yaxis="y", legend=True) -> list[dict]:
    out = [dict(type="scatter", mode="markers", x=[float(start[0])], y=[float(start[1])],
                xaxis=xaxis, yaxis=yaxis, name="start", showlegend=legend, legendgroup="start",
                marker=dict(size=13, color="#ffffff", symbol="circle",
                            line=dict(color=START_COLOR, width=3)),
                hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>")]
    if surface.minima:
        mx, my = zip(*surface.minima)
        out.append(dict(type="scatter", mode="markers", x=list(mx), y=list(my), xaxis=xaxis,
                        yaxis=yaxis, name="global minimum", showlegend=legend, legendgroup="min",
                        marker=dict(size=20, color=MINIMUM_COLOR, symbol="star",
                                    line=dict(color="#5c4500", width=1.5)),
                        hovertemplate="minimum (%{x:.4g}, %{y:.4g})<extra></extra>"))
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    for p in paths:
        step = stop_step(surface, p)
        if step > 0:
            # The last point before the end is often far off the plot: mark
            # where the path leaves the window.  The words go in one note
            # (exit_note), not beside each mark, where they would overprint.
            q = p.points[step - 1]
            q = (min(max(float(q[0]), x0), x1), min(max(float(q[1]), y0), y1))
            out.append(dict(type="scatter", mode="markers", x=[q[0]], y=[q[1]],
                            xaxis=xaxis, yaxis=yaxis, showlegend=False, legendgroup=p.key,
                            marker=dict(size=16, symbol="x", color=p.color,
                                        line=dict(color="#ffffff", width=1.5)),
                            hovertemplate=f"<b>{p.label}</b><br>{divergence_note(surface, p, short=True)}"
                                          "<extra></extra>"))
    return out


def exit_note(surface, paths: list[Path], xref: str = "x", yref: str = "y") -> dict | None:
    """One boxed note naming every path that blew up or left, each in its colour: readable
    over any wall of lines, and never overprinted.  It sits in the corner of the plot that
    the paths cross least, so it does not cover where they leave."""
    lines = [f"<span style='color:{p.color}'><b>{p.label}</b> {divergence_note(surface, p, short=True)}</span>"
             for p in paths if stop_step(surface, p) > 0]
    if not lines:
        return None
    x, y = quiet_corner(surface, paths)
    return dict(text="<br>".join(lines), xref=f"{xref} domain", yref=f"{yref} domain",
                x=0.01 if x == "left" else 0.99, y=0.99 if y == "top" else 0.01,
                xanchor=x, yanchor=y, align="left", showarrow=False, font=dict(size=13),
                bgcolor="rgba(255,255,255,0.88)", bordercolor="#9aa5b1", borderwidth=1, borderpad=4)


def quiet_corner(surface, paths: list[Path], width: float = 0.75, height: float = 0.3) -> tuple[str, str]:
    """The plot corner (x anchor, y anchor) whose ``width`` × ``height`` box holds the fewest
    path points, counting the points in the window plus each path's last point before it
    leaves, clamped to the edge (where the eye follows it out).  Ties keep top-left."""
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    pts = [np.zeros((0, 2))]
    for p in paths:
        finite = p.points[np.isfinite(p.points).all(axis=1)]
        inside = ((finite[:, 0] >= x0) & (finite[:, 0] <= x1) & (finite[:, 1] >= y0) & (finite[:, 1] <= y1))
        pts.append(finite[inside])
        if (~inside).any():
            first_out = finite[np.argmax(~inside)]
            pts.append(np.repeat(np.clip(first_out, (x0, y0), (x1, y1))[None], 25, axis=0))
    u = (np.concatenate(pts) - (x0, y0)) / (x1 - x0, y1 - y0)
    best = None
    for yname in ("top", "bottom"):
        for xname in ("left", "right"):
            inx = u[:, 0] <= width if xname == "left" else u[:, 0] >= 1 - width
            iny = u[:, 1] >= 1 - height if yname == "top" else u[:, 1] <= height
            count = int((inx & iny).sum())
            if best is None or count < best[0]:
                best = (count, xname, yname)
    return best[1], best[2]


def divergence_note(surface, path: Path, short: bool = False) -> str:
    """The words for a path that blew up (or, on an unbounded surface, ran away)."""
    what = "left the plot" if not surface.minima else "diverged"
    step = stop_step(surface, path)
    if short:
        return f"{what} at step {step}"
    if surface.minima:
        tail = "; try a smaller learning rate"
    elif getattr(surface, "minima_known", True):
        tail = " (the surface has no minimum: the loss falls without bound)"
    else:
        tail = " (it ran out of the plotted window)"
    return f"{path.label} {what} at step {step}{tail}."


def _axes(surface, height: int) -> dict:
    """Equal-aspect axes.  The x name sits at the right end of the axis, not under it,
    where the Play controls and step slider need the room."""
    axis = dict(showgrid=False, zeroline=False, ticks="outside", linecolor="#9aa5b1",
                mirror=True, title_font=dict(size=16))
    xname, yname = getattr(surface, "axis_names", ("x", "y"))
    return dict(
        xaxis=dict(axis, range=list(surface.x_range), constrain="domain"),
        yaxis=dict(axis, range=list(surface.y_range), title=dict(text=yname), scaleanchor="x",
                   scaleratio=1, constrain="domain"),
        annotations=[dict(text=f"<i>{xname}</i>", xref="x domain", yref="y domain", x=1, y=0,
                          xanchor="left", yanchor="middle", xshift=6, showarrow=False,
                          font=dict(size=17))],
        height=height,
    )


_BASE_MARGIN = dict(l=60, r=34, t=45, b=100, autoexpand=True)  # t: one legend row


def _base_layout(height: int) -> dict:
    """The margins hold the axes, one legend row and the Play controls: on a projector the
    height goes to the plot.  A legend wrapping to more rows (a narrow screen, many
    optimizers) pushes the plot down (``autoexpand``) rather than being cut off.

    The legend hangs from the figure's top edge (``yref="container"``), not from the plot:
    when a resize re-wraps it, plotly.js moves the plot but leaves a plot-anchored legend
    where the old margins put it, over the plot's top."""
    return dict(font=FONT, paper_bgcolor=PAPER, plot_bgcolor=PAPER, height=height,
                margin=dict(_BASE_MARGIN), hovermode="closest",
                clickmode="event+select", dragmode="zoom", modebar=dict(orientation="v"),
                legend=dict(orientation="h", x=0, y=1, yref="container", yanchor="top",
                            font=dict(size=15), bgcolor="rgba(255,255,255,0.8)"),
                hoverlabel=dict(font=dict(size=14)), uirevision="keep")


# The Play controls hang a fixed distance under the plot area, whatever its height (a
# fraction of a short projector row would touch its tick labels, which take about 22 px),
# in a bottom margin that holds them: a control that does not fit makes plotly.js push the
# margin and lay the whole figure out a second time, on every redraw (the "step N"
# read-out alone cost a sixth of the contour figure's redraw that way).
CONTROLS_DROP = 36   # px from the plot area's bottom to the Play button's top
SLIDER_BOX = 86      # px the step slider takes: read-out, rail, labels (plotly.js's own sizes)
BUTTONS_W = 180      # px from the plot area's left edge to the step slider: the Play and Pause
                     # buttons take about 170 at their 15 px font, whatever the figure's width


def _controls_margin(drop: int = CONTROLS_DROP) -> int:
    """The bottom margin that holds the controls ``drop`` px under the plot area."""
    return drop - 8 + SLIDER_BOX


def _animation(idx: np.ndarray, *, drop: int = CONTROLS_DROP, redraw: bool = False,
               play_ms: int = 70) -> dict:
    """Play / Pause buttons and a step slider driving the frames named by step, ``drop`` px
    under the plot area (``redraw``: 3D traces only move with a full redraw).

    They hang from the plot area's bottom edge by a padding in pixels, not at a fraction of
    its height: the browser may draw the figure at another height than ``layout.height``
    (the Playground's chart follows its column's width)."""
    still = dict(frame=dict(duration=0, redraw=redraw), mode="immediate", transition=dict(duration=0))
    play = {"frame": {"duration": play_ms, "redraw": redraw}, "fromcurrent": False,
            "transition": {"duration": 0}, "mode": "immediate"}
    return dict(
        updatemenus=[dict(type="buttons", direction="left", x=0, y=0, xanchor="left",
                          yanchor="top", pad=dict(t=drop, r=10), showactive=False,
                          font=dict(size=15),
                          buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                                   dict(label="❚❚ Pause", method="animate",
                                        args=[[None], still])])],
        # the slider's box starts 8 px higher: its rail lines up with the buttons; and it starts
        # right of them by a padding in pixels (a fraction of the width put it under the Pause
        # button on a narrow figure)
        sliders=[dict(active=len(idx) - 1, x=0, len=1, y=0, yanchor="top",
                      pad=dict(t=drop - 8, b=0, l=BUTTONS_W, r=0),
                      currentvalue=dict(prefix="step ", xanchor="right", font=dict(size=15)),
                      font=dict(size=12), transition=dict(duration=0),
                      steps=[dict(label=str(int(k)), method="animate", args=[[str(int(k))], still])
                             for k in idx])],
    )


class Frozen(dict):
    """A dict that refuses changes: what a cached figure hands out is shared by every session."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("this figure is cached and shared between sessions; it cannot be changed")

    __setitem__ = __delitem__ = update = setdefault = popitem = clear = _refuse
    __ior__ = _refuse

    def pop(self, key, *default):
        # Removing nothing is not a change (plotly.io.to_json pops each trace's "uid").
        if key not in self and default:
            return default[0]
        self._refuse()


# What every frame says about every chunk (one object each: frames are encoded, not kept).
_SHOWN, _HIDDEN = dict(opacity=1), dict(opacity=FAINT)


class PlainFigure(go.Figure):
    """A finished figure, kept as the chart JSON that Streamlit sends, and immutable.

    Built from trusted plain dicts (no validation) and encoded once, by the
    very function ``plotly.io.to_json`` uses.  A cached figure is then a few
    byte strings: no rerun encodes it again, and the garbage collector has no
    tree of thousands of dicts to walk on every full collection.

    - ``to_dict()`` is what ``st.plotly_chart`` and ``plotly.io`` read: the
      layout's height and width (Streamlit sizes the chart by them), and
      ``to_plotly_json()`` (plotly.io's encoder hook) giving the finished
      JSON, which orjson copies in as it is.  It holds no traces.
    - ``thawed()`` decodes the whole figure (data, layout, frames) into plain
      editable dicts: for tests and exports, and ``go.Figure(fig.thawed())``.
    - ``json()`` is the chart JSON itself.

    Every way of changing the figure raises ``TypeError``: these figures live
    in a cache shared by a class, and a change that was silently dropped (or,
    worse, kept) would be a bug either way.
    """

    def __init__(self, data: list[dict], layout: dict, frames: list[dict] | None = None):
        # go.Figure's own __init__ is skipped: it costs milliseconds, and
        # nothing reads this figure through graph objects.
        self._set(_encode(list(data)), layout, _encode(list(frames)) if frames else None)

    @classmethod
    def _of(cls, data: bytes, layout: dict, frames: bytes | None) -> "PlainFigure":
        """A figure from already encoded traces and frames (shared, not copied) and a new layout."""
        fig = cls.__new__(cls)
        fig._set(data, layout, frames)
        return fig

    def _set(self, data: bytes, layout: dict, frames: bytes | None) -> None:
        size = Frozen((k, layout[k]) for k in ("height", "width") if k in layout)
        for name, value in (("_data", data), ("_frames", frames), ("_layout", _encode(layout)),
                            ("_size", size), ("_sealed", True)):
            object.__setattr__(self, name, value)

    def _parts(self) -> list[bytes]:
        parts = [b'{"data":', self._data, b',"layout":', self._layout]
        if self._frames is not None:
            parts += [b',"frames":', self._frames]
        return parts + [b"}"]

    def _whole(self) -> bytes:
        # Joined when sent (a copy, tens of microseconds), so a cached figure keeps each part once.
        return b"".join(self._parts())

    def to_dict(self) -> dict:
        return _Wire(layout=self._size, figure=self)

    def with_annotations(self, extra: list[dict]) -> "PlainFigure":
        """This figure with ``extra`` layout annotations; its traces and frames are shared, not encoded again."""
        import orjson

        layout = orjson.loads(self._layout)
        layout["annotations"] = layout.get("annotations", []) + list(extra)
        return PlainFigure._of(self._data, layout, self._frames)

    def to_plotly_json(self):
        import orjson

        return orjson.Fragment(self._whole())

    def json(self) -> str:
        """The chart JSON, exactly as ``plotly.io.to_json`` writes this figure."""
        return self._whole().decode()

    def json_bytes(self) -> bytes:
        """The chart JSON as UTF-8 bytes (what ui/plotchart.py sends)."""
        return self._whole()

    def thawed(self) -> dict:
        """The whole figure as plain, editable dicts and lists (``go.Figure(fig.thawed())`` validates it)."""
        import orjson

        return orjson.loads(self._whole())

    def _refuse(self, *args, **kwargs):
        raise TypeError("PlainFigure is immutable (it is cached and shared between sessions); "
                        "edit go.Figure(fig.thawed()) instead")

    def __setattr__(self, name, value):
        if getattr(self, "_sealed", False):
            self._refuse()
        super().__setattr__(name, value)

    __setitem__ = update = update_layout = update_traces = add_trace = add_traces = _refuse
    add_annotation = add_shape = add_layout_image = add_vline = add_hline = _refuse
    update_xaxes = update_yaxes = for_each_trace = plotly_update = set_subplots = _refuse
    add_scatter = batch_update = batch_animate = _refuse


class _Wire(Frozen):
    """What ``PlainFigure.to_dict()`` hands to Streamlit and ``plotly.io``: the layout's height
    and width, which ``st.plotly_chart`` reads to size the chart, and ``to_plotly_json()``, the
    hook plotly.io's JSON encoder calls, which gives the figure's finished JSON."""

    def __init__(self, layout: dict, figure: PlainFigure):
        super().__init__(layout=layout)
        dict.__setattr__(self, "_figure", figure)

    def to_plotly_json(self):
        return self._figure.to_plotly_json()


def _encode(obj) -> bytes:
    """``obj`` as chart JSON: plotly.io's own encoder (orjson, with '<', '>' and '/' escaped)."""
    from plotly.io.json import to_json_plotly

    return to_json_plotly(obj).encode()


def _fast(data: list[dict], layout: dict, frames: list[dict] | None = None) -> PlainFigure:
    return PlainFigure(data, layout, frames)


# --- figures ----------------------------------------------------------------

# On a projector (1280x720, 1024x768) the figure, its axes and its Play controls
# must fit under the lesson row without scrolling.
PRESENT_HEIGHT = 540


def panel_row_height(surface, present: bool = False) -> int:
    """A row of side-by-side panels as tall as its window needs at ~420 px per panel (a flat
    window gets a flat row, not dead space), and short enough for a projector."""
    return int(min(max(420 * surface.aspect + 60, 200), 235 if present else 380))


def contour_height(surface, width: int = 640, extra: int = 190) -> int:
    """A height that fits the window at equal aspect in a plot area ``width`` px wide,
    plus legend and controls."""
    return int(min(max(width * surface.aspect + extra, 430), 700))


FIT_MOST = 700  # px: the tallest a fitted figure gets (a wide screen gets a narrower plot)


def fitted_height(surface, plot_width: int, margins: int) -> int:
    """The figure height whose plot area, ``plot_width`` px wide under ``margins`` px of top and
    bottom margin, shows the window at equal aspect with no band left empty; at most
    ``FIT_MOST`` (the plot is then narrower instead), and at least 160 px of plot."""
    return int(min(max(plot_width * surface.aspect, 160) + margins, FIT_MOST))


LEGEND_ROW = 33  # px each further row of a horizontal legend takes (15 px font)


def legend_rows(labels: list[str], plot_width: int, symbol: float = 38, per_char: float = 8) -> int:
    """The rows plotly.js wraps a horizontal legend of these entries into over a plot area
    ``plot_width`` px wide: an entry is its ``symbol`` and about ``per_char`` px a character
    (Chromium; the defaults are the 15 px legend font's, and measured entries were within
    10 px of them)."""
    rows, used = 1, 0
    for label in labels:
        entry = symbol + per_char * len(label)
        if used and used + entry > plot_width:
            rows, used = rows + 1, 0
        used += entry + 3
    return rows


def sent_size(fig: PlainFigure) -> int:
    """Bytes of chart JSON Streamlit sends for ``fig``."""
    return sum(len(part) for part in fig._parts())


def within_budget(build, budget: int):
    """``build(frame_budget)``, rebuilt with fewer frames until its JSON fits ``CHART_BUDGET``.

    The frame planner's byte estimate is close but not exact; measuring the
    result (orjson, under a millisecond) makes the cap a guarantee.
    """
    for _ in range(4):
        fig = build(budget)
        size = sent_size(fig)
        if size <= CHART_BUDGET:
            return fig
        budget = max(10_000, budget - (size - CHART_BUDGET) - 20_000)
    return fig


def contour_figure(surface, grid: Grid, paths: list[Path], start, *, height: int | None = None,
                   width: int | None = None, clickable: bool = True, animate: bool = True,
                   arrows: list | None = None) -> PlainFigure:
    """Every path overlaid on the surface's contour, with Play/Pause and a step slider;
    ``arrows`` (StepViews) draws what happens inside one step.

    ``width``: how wide the browser draws the figure, if known.  The top margin then holds
    the legend's rows, and without a ``height`` the figure is as tall as its window's
    aspect needs at that width (``fitted_height``): no band left empty above and below."""
    return within_budget(lambda budget: _contour_figure(surface, grid, paths, start, height, width,
                                                        clickable, animate, budget, arrows),
                         frame_budget(grid, paths, clickable))


def with_step_arrows(fig: PlainFigure, surface, arrows: list,
                     rebuild: Callable[[], PlainFigure]) -> PlainFigure:
    """``fig`` (a contour figure) with what happens inside one step drawn on it.

    The arrows are layout annotations, so the traces and frames of ``fig`` are
    reused as they are; only if the arrows take it over ``CHART_BUDGET`` is
    ``rebuild()`` (the same figure built with its arrows, fewer frames) asked.
    """
    out = fig.with_annotations(step_arrows(surface, arrows))
    return out if sent_size(out) <= CHART_BUDGET else rebuild()


def _contour_figure(surface, grid, paths, start, height, width, clickable, animate, budget,
                    arrows=None) -> PlainFigure:
    steps = max((p.points.shape[0] - 1 for p in paths), default=0)
    plan = plan_reveal(steps, len(paths), budget) if animate else Reveal(np.array([0, steps]), 1)
    markers = steps <= 60
    data = []
    if clickable:
        data.append(click_grid_trace(surface))
    clouds = [p for p in paths if p.cloud is not None]
    most = max(8, CLOUD_BUDGET_POINTS // max(1, sum(p.cloud.shape[1] for p in clouds)))
    data += [cloud_trace(p, min(CLOUD_POINTS, most)) for p in clouds]
    first_anim = len(data)
    for p in paths:
        data += _trail_traces(p, plan, markers)
    animated = list(range(first_anim, len(data)))
    data += _markers(surface, start, paths)
    moving = animate and steps > 0 and paths
    margin = dict(_BASE_MARGIN, b=_controls_margin()) if moving else dict(l=60, r=20, t=50, b=60)
    reach = CLICK_REACH
    if width:
        plot_w = width - margin["l"] - margin["r"]
        margin["t"] += LEGEND_ROW * (legend_rows([t["name"] for t in data if t.get("showlegend")], plot_w) - 1)
        height = height or fitted_height(surface, plot_w, margin["t"] + margin["b"])
        reach = click_reach(surface, plot_w, height - margin["t"] - margin["b"])
    height = height or contour_height(surface)
    layout = {**_base_layout(height), **_axes(surface, height), "images": [backdrop(surface, grid)]}
    layout["margin"] = margin
    if clickable:
        layout["hoverdistance"] = reach
    note = exit_note(surface, paths)
    if note:
        layout["annotations"] = layout["annotations"] + [note]
    if arrows:
        layout["annotations"] = layout["annotations"] + step_arrows(surface, arrows)
    frames = None
    if moving:
        layout.update(_animation(plan.idx))
        frames = _frames(paths, plan, animated)
    return _fast(data, layout, frames)


def log_ticks(values: np.ndarray, most: int = 8) -> dict:
    """Tick settings for a log axis showing ``values``: at most ``most`` labels."""
    v = values[np.isfinite(values) & (values > 0)]
    if v.size == 0:
        return {}
    lo, hi = float(np.log10(v.min())), float(np.log10(v.max()))
    if hi - lo >= 2:  # whole decades: under two, a span like 10^2.2 .. 10^3.8 holds only one
        return dict(dtick=int(np.ceil((hi - lo) / (most - 1))))
    if hi - lo < 0.8:
        # Under a decade plotly.js labels linear steps, about 1.5 x nticks of them.
        return dict(nticks=5)
    # Around one decade plotly.js would label every digit (11 to 13 labels): name 1, 2 and 5.
    ticks = [m * 10.0 ** e for e in range(int(np.floor(lo)), int(np.ceil(hi)) + 1) for m in (1, 2, 5)]
    return dict(tickvals=[t for t in ticks if lo - 1e-9 <= np.log10(t) <= hi + 1e-9])


STEPS_OF_AXIS = (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5)


def held_range(lo: float, hi: float, log: bool = False, most: int = 8) -> list[float] | None:
    """An axis range around data from ``lo`` to ``hi`` (log10 units on a log axis) that stays
    put while the data move a little: padded as plotly.js pads a line chart (the data in the
    middle 90%), then out to whole steps of about an eighth of the span.  So a nudge that moves
    one curve's end a little leaves the axis, its ticks and the figure's layout as they were, and
    the chart redraws just the curves (ui/plotchart.py); the data fill at least three fifths
    of the axis (steps at most twice an eighth of the span, one at each end at most).  None where the data are too far apart for floats (plotly.js then
    fits the axis to them itself)."""
    span = hi - lo
    if not np.isfinite(span) or span <= 0:
        span = 1.0 if log or lo == 0 else abs(lo) / 2
        lo, hi = lo - span / 2, hi + span / 2
    scale = 10.0 ** np.floor(np.log10(span))
    steps = [d * scale for d in STEPS_OF_AXIS] + [10.0 * scale]
    if log:  # steps of a decade or more: whole decades
        steps = [d for d in steps if d < 1] + [1, 2, 3, 4, 5, 10, 20, 50]
    step = next((d for d in steps if d >= span / most), steps[-1] * np.ceil(span / most / steps[-1]))
    pad = span / 18
    with np.errstate(over="ignore", invalid="ignore"):
        lo, hi = np.floor((lo - pad) / step) * step, np.ceil((hi + pad) / step) * step
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    return [float(f"{lo:.12g}"), float(f"{hi:.12g}")]  # 0.35, not 0.35000000000000003


def loss_figure(surface, grid: Grid, paths: list[Path], *, height: int = 300) -> go.Figure:
    """Loss per step; on a log axis as the gap to the minimum where there is one.

    Both axes have fixed ranges (``held_range``; the steps from 0 to the longest curve's end),
    so a learning-rate nudge usually changes the curves and nothing else."""
    gap = grid.f_min is not None
    data, ys = [], []
    for p in paths:
        losses = surface.value(p.finite)
        y = losses - grid.f_min if gap else losses
        if gap:
            y = np.maximum(y, 1e-16)  # a path that lands exactly on the minimum
        ys.append(y)
        keep = _thin(len(y), LOSS_POINTS)  # a long run's loss curve needs no more to read
        data.append(dict(type="scatter", mode="lines", x=_b64(keep.astype(np.int32)),
                         y=_f32(y[keep]), name=p.label, line=dict(color=p.color, width=2.5, dash=p.dash),
                         # the name from the trace: a nudge that renames it leaves this as it was
                         hovertemplate="<b>%{fullData.name}</b><br>step %{x}<br>%{y:.4g}<extra></extra>"))
    ytitle = "f − f*  (log scale)" if gap else "f"
    axis = dict(showgrid=True, gridcolor="#e4e7eb", zeroline=False, linecolor="#9aa5b1",
                mirror=True, ticks="outside")
    xaxis, yaxis = dict(axis, title=dict(text="step")), dict(axis, title=dict(text=ytitle),
                                                            type="log" if gap else "linear",
                                                            exponentformat="power")
    shown = np.concatenate(ys) if ys else np.zeros(0)
    shown = shown[np.isfinite(shown) & ((shown > 0) if gap else True)]
    if shown.size:
        last = max(len(y) for y in ys) - 1
        xaxis["range"] = [0, max(last, 1)]
        v = np.log10(shown) if gap else shown
        held = held_range(float(v.min()), float(v.max()), log=gap)
        if held is not None:
            yaxis["range"] = held
        if gap:
            yaxis.update(log_ticks(10.0 ** np.array(held or [v.min(), v.max()])))
    layout = dict(font=dict(FONT, size=14), paper_bgcolor=PAPER, plot_bgcolor=PAPER, height=height,
                  margin=dict(l=70, r=15, t=40, b=50), showlegend=False, hovermode="closest",
                  title=dict(text="Loss per step", font=dict(size=16), x=0, xanchor="left"),
                  xaxis=xaxis, yaxis=yaxis)
    return _fast(data, layout)


PANEL_GAP = 64    # px between two rows of panels: the upper row's x labels, the lower one's title
PANEL_MOST = 330  # px: the tallest a panel fitted to the column's width gets


def panels_figure(surface, grid: Grid, paths: list[Path], start, *, cols: int = 2,
                  height_per_row: int = 380, width: int | None = None) -> PlainFigure:
    """One panel per path, identical axes, animated together.

    ``width``: how wide the browser draws the figure, if known: the panels are then as tall
    as the window's aspect needs at their width (at most ``PANEL_MOST``), ``PANEL_GAP`` px
    apart, and ``height_per_row`` is not used."""
    return within_budget(lambda budget: _panels_figure(surface, grid, paths, start, cols, height_per_row,
                                                       width, budget),
                         frame_budget(grid, paths, False, copies=len(paths)))


def _panels_figure(surface, grid, paths, start, cols, height_per_row, width, budget) -> PlainFigure:
    n = len(paths)
    rows = -(-n // cols)
    steps = max((p.points.shape[0] - 1 for p in paths), default=0)
    margin = dict(l=50, r=20, t=40, b=_controls_margin()) if steps > 0 else dict(_BASE_MARGIN, t=50)
    gap_x, gap_y = 0.08, 0.12
    w, h = (1 - gap_x * (cols - 1)) / cols, (1 - gap_y * (rows - 1)) / rows
    height = height_per_row * rows + 60
    if width:
        panel_h = min((width - margin["l"] - margin["r"]) * w * surface.aspect, PANEL_MOST)
        plot_h = rows * panel_h + (rows - 1) * PANEL_GAP
        gap_y, h = PANEL_GAP / plot_h, panel_h / plot_h
        height = int(np.ceil(plot_h)) + margin["t"] + margin["b"]
    plan = plan_reveal(steps, n, budget)
    markers = steps <= 60
    data, animated = [], []
    layout = _base_layout(height)
    layout["margin"] = margin  # no legend: the panels' titles only
    layout["showlegend"] = False
    layout["annotations"] = []
    layout["images"] = []
    for i, p in enumerate(paths):
        r, c = divmod(i, cols)
        ax = "" if i == 0 else str(i + 1)
        xa, ya = f"x{ax}", f"y{ax}"
        x0 = c * (w + gap_x)
        y1 = 1 - r * (h + gap_y)
        y0 = max(y1 - h, 0.0)  # float rounding can dip just below 0
        axis = dict(showgrid=False, zeroline=False, linecolor="#9aa5b1", mirror=True, ticks="outside")
        layout[f"xaxis{ax}"] = dict(axis, domain=[x0, x0 + w], range=list(surface.x_range),
                                    anchor=ya, constrain="domain", matches=None if i == 0 else "x")
        # Axes match across panels: y labels on the first column only, so they
        # never collide with the neighbouring panel's x labels.
        layout[f"yaxis{ax}"] = dict(axis, domain=[y0, y1], range=list(surface.y_range),
                                    showticklabels=c == 0,
                                    anchor=xa, scaleanchor=xa, scaleratio=1, constrain="domain",
                                    matches=None if i == 0 else "y")
        # The title sits on the panel's plot (its domain shrinks to the window's aspect).
        layout["annotations"].append(dict(text=f"<b>{p.label}</b>", x=0, y=1, xref=f"{xa} domain",
                                          yref=f"{ya} domain", xanchor="left", yanchor="bottom",
                                          showarrow=False, font=dict(size=17, color=p.color)))
        layout["images"].append(backdrop(surface, grid, xa, ya))
        trail = _trail_traces(p, plan, markers, xa, ya, legend=False)
        animated += range(len(data), len(data) + len(trail))
        data += trail
        data += _markers(surface, start, [p], xa, ya, legend=False)
        note = exit_note(surface, [p], xa, ya)
        if note:
            layout["annotations"].append(note)
    frames = None
    if steps > 0:
        layout.update(_animation(plan.idx))
        frames = _frames(paths, plan, animated)
    return _fast(data, layout, frames)


def _lifted(surface, grid: Grid, path: Path, lift: float) -> np.ndarray:
    """(n, 3) points of a path raised onto the drawn surface; NaN where it is off the window
    (a path that ran away would otherwise stretch the height axis and flatten the surface)."""
    pts = path.finite.copy()
    pts[~surface.contains(pts)] = np.nan
    with np.errstate(all="ignore"):
        h = grid.shade_of(surface.value(pts)) + lift
    return np.column_stack([pts, h])


def _thin(n: int, most: int) -> np.ndarray:
    """Indices of at most ``most`` evenly spread points of ``n``, first and last included."""
    return np.unique(np.linspace(0, n - 1, min(n, most)).round().astype(int))


FRAMES_3D = 40      # a 3D frame is a full WebGL redraw: fewer, and thinned
POINTS_3D = 150     # per path and frame


def surface3d_figure(surface, grid: Grid, paths: list[Path], start, *, height: int = 680) -> PlainFigure:
    """The 3D figure within the chart budget: fewer frames and thinner trails until it fits."""
    for frames, points in ((FRAMES_3D, POINTS_3D), (30, 100), (20, 60), (12, 40), (6, 25)):
        fig = _surface3d_figure(surface, grid, paths, start, height, frames, points)
        if sent_size(fig) <= CHART_BUDGET:
            break
    return fig


def _surface3d_figure(surface, grid: Grid, paths: list[Path], start, height: int, n_frames: int,
                      n_points: int) -> PlainFigure:
    """The surface in 3D with each path lifted onto it (heights as coloured), with Play/Pause.

    3D traces only animate with a redraw, so frames are fewer (``FRAMES_3D``)
    and each carries its trails thinned to ``POINTS_3D`` points; the figure
    at rest shows every step (thinned too when a long run would not fit).  The camera looks down from high on the side
    the paths leave by, so escaping paths are not hidden behind the surface.
    """
    z_label = "log-scaled f" if grid.log else "f"
    z_lo, z_hi = float(np.nanmin(grid.shade)), float(np.nanmax(grid.shade))
    lift = 0.01 * (z_hi - z_lo)
    data = [dict(type="surface", **grid.encoded, colorscale=SURFACE_SCALE,
                 showscale=False, opacity=0.92, hoverinfo="skip",
                 contours=dict(z=dict(show=True, usecolormap=False, color="rgba(80,100,120,0.35)",
                                      width=1)))]
    lifted = [_lifted(surface, grid, p, lift) for p in paths]
    for p, full in zip(paths, lifted):
        xyz = full[_thin(len(full), 8 * n_points)]
        data.append(dict(type="scatter3d", mode="lines+markers", x=_f32(xyz[:, 0]), y=_f32(xyz[:, 1]),
                         z=_f32(xyz[:, 2]), name=p.label, line=dict(color=p.color, width=7, dash=p.dash),
                         marker=dict(size=3, color=p.color),
                         hovertemplate=f"<b>{p.label}</b><br>x=%{{x:.4g}}, y=%{{y:.4g}}<extra></extra>"))
    with np.errstate(all="ignore"):
        s0 = grid.shade_of(surface.value(np.asarray(start, float))) + lift
    data.append(dict(type="scatter3d", mode="markers", x=[float(start[0])], y=[float(start[1])],
                     z=[float(s0)], name="start", marker=dict(size=7, color="#ffffff",
                                                            line=dict(color=START_COLOR, width=4))))
    if surface.minima:
        mx, my = zip(*surface.minima)
        mz = grid.shade_of(surface.value(np.array(surface.minima))) + lift
        data.append(dict(type="scatter3d", mode="markers", x=list(mx), y=list(my), z=_f32(mz),
                         name="global minimum", marker=dict(size=8, color=MINIMUM_COLOR,
                                                            symbol="diamond")))
    axis = dict(backgroundcolor=PAPER, gridcolor="#d9dee4", showspikes=False, nticks=5,
                tickfont=dict(size=11))
    # Look from where the paths went: the camera sits above the side they end on.
    ends = [xyz[np.isfinite(xyz[:, 0])][-1, :2] for xyz in lifted if np.isfinite(xyz[:, 0]).any()]
    cx, cy = np.mean(surface.x_range), np.mean(surface.y_range)
    if ends:
        dx, dy = np.mean(ends, axis=0) - (cx, cy)
        norm = float(np.hypot(dx / np.ptp(surface.x_range), dy / np.ptp(surface.y_range)))
        ex, ey = ((dx / np.ptp(surface.x_range) / norm, dy / np.ptp(surface.y_range) / norm) if norm > 0.05
                  else (-0.7, -0.7))
    else:
        ex, ey = -0.7, -0.7
    # far enough back that the scene's nearest corner and its tick labels stay inside the figure
    eye = dict(x=1.8 * ex - 0.55 * ey, y=1.8 * ey + 0.55 * ex, z=1.65)
    layout = dict(font=FONT, paper_bgcolor=PAPER, height=height, margin=dict(l=0, r=0, t=40, b=70),
                  legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"), uirevision="keep",
                  scene=dict(xaxis=dict(axis, title=dict(text=surface.axis_names[0]),
                                        range=list(surface.x_range)),
                             yaxis=dict(axis, title=dict(text=surface.axis_names[1]),
                                        range=list(surface.y_range)),
                             zaxis=dict(axis, title=dict(text=z_label), nticks=3,
                                        range=[z_lo - lift, z_hi + 3 * lift]),
                             aspectmode="manual", aspectratio=dict(x=1.3, y=1.3, z=0.7),
                             camera=dict(eye=eye)))
    steps = max((p.points.shape[0] - 1 for p in paths), default=0)
    frames = None
    if steps > 0 and paths:
        idx = frame_steps(steps, n_frames)
        layout["margin"] = dict(layout["margin"], b=_controls_margin(drop=11))
        layout.update(_animation(idx, drop=11, redraw=True, play_ms=120))
        frames = []
        for k in idx:
            fd = []
            for xyz in lifted:
                upto = xyz[: min(int(k), len(xyz) - 1) + 1]
                sub = upto[_thin(len(upto), n_points)]
                # the type, though plotly.js takes it from the trace: without it Plotly's
                # validator reads a 2D scatter, and go.Figure (the HTML export) raises
                fd.append(dict(type="scatter3d", x=_f32(sub[:, 0]), y=_f32(sub[:, 1]), z=_f32(sub[:, 2])))
            frames.append(dict(name=str(int(k)), traces=list(range(1, 1 + len(paths))), data=fd))
    return _fast(data, layout, frames)


def standalone_html(fig: go.Figure, title: str = "") -> str:
    """The figure as a self-contained HTML page: plotly.js inlined, an explicit template,
    a title saying what it shows, and the animation waiting for Play."""
    import html

    import plotly.io as pio

    out = go.Figure(fig.thawed() if isinstance(fig, PlainFigure) else fig.to_dict())
    out.update_layout(template=pio.templates["plotly_white"])
    if title:
        out.update_layout(title=dict(text=html.escape(title), font=dict(size=13), x=0, xanchor="left"),
                          margin=dict(t=90))
    page = out.to_html(include_plotlyjs=True, full_html=True, auto_play=False,
                       config={"displaylogo": False})
    return page.replace("<head>", f"<head><title>{html.escape(title or 'Optimizer paths')}</title>", 1)
