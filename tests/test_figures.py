"""Figure builders: what they hand to Plotly is valid, immutable, animates every step, stays small.

The builders skip Plotly's validation for speed (``PlainFigure``), so this
file is where validation happens: every figure goes through ``go.Figure``
(on ``fig.thawed()``), which checks every attribute, frames
included.

Where a test needs to know what plotly.js will draw, it works it out the way
plotly.js does: a frame's data are merged into the traces it names (so the
trail at a frame is the chunks it makes opaque plus its partial chunk), log
axis ticks follow plotly.js's ``autoTicks``, and a layout image is placed by
its ``x``/``y``/``sizex``/``sizey`` and anchors.
"""

from __future__ import annotations

import base64
import json
import math
import operator
import re
import struct
import zlib

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import optimizers
import surfaces
from viz import figures, presets, state, tables, tuning
from viz.state import Run, Scenario

BUDGET = 400_000  # bytes of chart JSON per figure (issue 6)


def arr(v) -> np.ndarray:
    """A trace array as plotly.js reads it: a typed-array dict or a plain list."""
    if isinstance(v, dict):
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" in v:
            a = a.reshape([int(n) for n in str(v["shape"]).split(",")])
        return a
    return np.asarray(v, dtype=float)


def make_paths(sc: Scenario) -> list[figures.Path]:
    """The paths a page draws for ``sc``, built as ui.cache builds them."""
    s = surfaces.get(sc.surface)
    out = []
    for i, r in enumerate(sc.runs):
        tr = optimizers.run(optimizers.get(r.name, **r.kwargs), s, sc.start, sc.steps,
                            noise=sc.noise, seed=sc.seed)
        out.append(figures.Path(r.name, figures.run_label(r), tr.points, int(tr.diverged_at),
                                copy=figures.copy_index(sc.runs, i)))
    return out


def parts(sc: Scenario, n: int = 120):
    s = surfaces.get(sc.surface)
    return s, figures.surface_grid(s, n), make_paths(sc)


def size(fig) -> int:
    """Chart JSON as Streamlit sends it (plotly.io.to_json escapes '/', '<' and '>')."""
    return len(pio.to_json(fig.to_dict(), validate=False))


ZIGZAG = presets.ZIGZAG
TEXTBOOK = presets.TEXTBOOK
DIVERGE = presets.BY_KEY["diverge"].scenario      # bowl; SGD at lr 1.1 blows up
SADDLE = presets.BY_KEY["saddle"].scenario        # no minima; paths run away
BANANA = presets.BY_KEY["banana"].scenario        # 300 steps: more steps than frames
TWINS = Scenario("bowl", (Run.of("sgd", lr=0.1), Run.of("sgd", lr=0.5), Run.of("sgd", lr=1.05)),
                 (-7.0, 2.0), 45)                 # one optimizer three times; the last diverges
VIEWS = {"zigzag": ZIGZAG, "textbook": TEXTBOOK, "diverge": DIVERGE, "saddle": SADDLE,
         "banana": BANANA, "twins": TWINS}


def validated(fig) -> dict:
    """Plotly's full validator over the whole figure as the app sends it; the plain dict itself.

    The validator pops each trace's "type" while it works, so it reads a copy of its own.
    """
    go.Figure(fig.thawed())  # raises on any invalid attribute, in data, layout or frames
    return fig.thawed()


def biggest(surface: str, *, early_divergence: bool = False) -> Scenario:
    """The largest view the controls allow: MAX_RUNS runs of MAX_STEPS steps (tuned rates), or
    half of them blowing up within a few steps."""
    s = surfaces.get(surface)
    names = optimizers.names()
    runs = [Run.of(names[i % len(names)], lr=tuning.default_lr(surface, names[i % len(names)]))
            for i in range(state.MAX_RUNS)]
    if early_divergence:
        runs[: state.MAX_RUNS // 2] = [Run.of("sgd", lr=10.0 - i) for i in range(state.MAX_RUNS // 2)]
    return Scenario(surface, tuple(runs), s.start, state.MAX_STEPS)


# --- validation ---------------------------------------------------------------

@pytest.mark.parametrize("key", VIEWS)
@pytest.mark.parametrize("animate", [True, False])
def test_contour_figure_is_valid(key, animate):
    s, grid, paths = parts(VIEWS[key], 60)
    d = validated(figures.contour_figure(s, grid, paths, VIEWS[key].start, animate=animate))
    assert ("frames" in d) is animate
    assert ("sliders" in d["layout"]) is animate and ("updatemenus" in d["layout"]) is animate


@pytest.mark.parametrize("key", VIEWS)
def test_loss_figure_is_valid(key):
    s, grid, paths = parts(VIEWS[key], 40)
    d = validated(figures.loss_figure(s, grid, paths))
    assert len(d["data"]) == len(paths)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("key", ["textbook", "diverge", "saddle", "twins"])
def test_panels_figure_is_valid(key, n):
    sc = VIEWS[key]
    extra = (Run.of("nesterov", lr=0.05), Run.of("adadelta", lr=1.0))
    runs = (sc.runs + extra)[:n]
    s, grid, paths = parts(sc.with_(runs=runs), 60)
    d = validated(figures.panels_figure(s, grid, paths, sc.start))
    want = [f"<b>{p.label}</b>" for p in paths]
    assert [a["text"] for a in d["layout"]["annotations"] if a["text"] in want] == want  # a title each
    assert {k for k in d["layout"] if k.startswith("xaxis")} == \
        {"xaxis"} | {f"xaxis{i}" for i in range(2, len(paths) + 1)}
    assert len(d["layout"]["images"]) == len(paths)


@pytest.mark.parametrize("key", VIEWS)
def test_surface3d_figure_is_valid(key):
    s, grid, paths = parts(VIEWS[key], 50)
    d = validated(figures.surface3d_figure(s, grid, paths, VIEWS[key].start))
    names = [t.get("name") for t in d["data"]]
    assert ("global minimum" in names) is bool(s.minima)
    assert names.count("start") == 1
    assert d["data"][0]["type"] == "surface"


@pytest.mark.parametrize("name", surfaces.names())
def test_every_surface_gives_valid_figures(name):
    s = surfaces.get(name)
    sc = ZIGZAG.with_(surface=name, start=s.start, steps=40)
    s, grid, paths = parts(sc, 50)
    validated(figures.contour_figure(s, grid, paths, sc.start))
    validated(figures.loss_figure(s, grid, paths))
    validated(figures.panels_figure(s, grid, paths, sc.start))
    validated(figures.surface3d_figure(s, grid, paths, sc.start))


def test_figures_with_no_steps_and_no_paths_are_valid():
    s, grid, paths = parts(ZIGZAG.with_(steps=0), 40)
    d = validated(figures.contour_figure(s, grid, paths, ZIGZAG.start))
    assert "frames" not in d
    validated(figures.contour_figure(s, grid, [], ZIGZAG.start))
    validated(figures.loss_figure(s, grid, []))
    validated(figures.surface3d_figure(s, grid, [], ZIGZAG.start))


def test_figures_accept_every_optimizer_at_once():
    sc = Scenario("himmelblau", tuple(Run.of(n, lr=1e-2) for n in optimizers.names()), (-0.3, -0.9), 40)
    s, grid, paths = parts(sc, 40)
    d = validated(figures.contour_figure(s, grid, paths, sc.start))
    assert len({t.get("legendgroup") for t in d["data"]} - {None, "start", "min"}) == len(paths)
    validated(figures.loss_figure(s, grid, paths))
    validated(figures.surface3d_figure(s, grid, paths, sc.start))


# --- immutability: figures are cached and shared by a class ------------------------------

def every_builder():
    s, grid, paths = parts(TWINS, 40)
    return {
        "contour": figures.contour_figure(s, grid, paths, TWINS.start),
        "loss": figures.loss_figure(s, grid, paths),
        "panels": figures.panels_figure(s, grid, paths, TWINS.start),
        "3d": figures.surface3d_figure(s, grid, paths, TWINS.start),
    }


@pytest.mark.parametrize("kind", ["contour", "loss", "panels", "3d"])
def test_a_shared_figure_refuses_every_change(kind):
    fig = every_builder()[kind]
    before = pio.to_json(fig.to_dict(), validate=False)
    d = fig.to_dict()
    attempts = [
        lambda: fig.update_layout(height=100),
        lambda: fig.update_traces(opacity=0.5),
        lambda: fig.add_trace(go.Scatter(x=[0], y=[0])),
        lambda: fig.add_annotation(text="x"),
        lambda: setattr(fig, "layout", {}),
        lambda: setattr(fig, "_json", b"{}"),
        lambda: d["layout"].__setitem__("height", 100),
        lambda: d["layout"].update(height=100),
        lambda: d["layout"].pop("height"),
        lambda: d.__setitem__("data", ()),
        lambda: d.__setitem__("layout", {}),
    ]
    for attempt in attempts:
        with pytest.raises(TypeError):
            attempt()
    # what a reader gets is its own copy: editing it changes nothing shared
    copy = fig.thawed()
    copy["data"][0]["name"] = "changed"
    copy["layout"]["height"] = 123
    assert pio.to_json(fig.to_dict(), validate=False) == before == fig.json()
    assert fig.thawed()["data"][0].get("name") != "changed"
    # and it is a valid Plotly figure, one call away from an editable one
    edited = go.Figure(fig.thawed())
    edited.update_layout(height=123)
    assert edited.layout.height == 123 and fig.to_dict()["layout"].get("height") != 123


@pytest.mark.parametrize("kind", ["contour", "loss", "panels", "3d"])
def test_a_figure_is_sent_as_plotly_would_write_it(kind):
    """The JSON encoded once at build is what plotly.io.to_json writes for the whole figure
    (data, layout and frames), and what st.plotly_chart's path (to_dict, then to_json) sends."""
    fig = every_builder()[kind]
    whole = fig.thawed()
    assert set(whole) >= {"data", "layout"} and whole["data"]
    assert pio.to_json(whole, validate=False) == fig.json()
    assert pio.to_json(fig.to_dict(), validate=False) == fig.json()
    assert pio.to_json(fig, validate=False) == fig.json()
    assert figures.sent_size(fig) == len(fig.json().encode())


@pytest.mark.parametrize("kind", ["contour", "loss", "panels", "3d"])
def test_nothing_a_shared_figure_keeps_is_mutable(kind):
    """A cached figure is encoded bytes and a frozen dict: nothing a session could change."""
    kept = vars(every_builder()[kind])
    assert kept and all(isinstance(v, (bytes, bool, type(None), figures.Frozen)) for v in kept.values()), \
        {k: type(v).__name__ for k, v in kept.items()}


# --- the animated trail: every step, every frame ---------------------------------------------

def frame_state(d: dict, frame: dict) -> dict[int, dict]:
    """The animated traces as plotly.js shows them after ``frame``: its data merged into them."""
    shown = {}
    for i, change in zip(frame["traces"], frame["data"]):
        shown[i] = {**d["data"][i], **change}
    return shown


def trail_at(shown: dict[int, dict], group: str) -> tuple[np.ndarray, np.ndarray]:
    """(solid trail, head) of one path: its opaque chunks and its partial chunk, joined in order
    (each piece starts where the previous one ended), and its head marker."""
    lines = [shown[i] for i in sorted(shown) if shown[i].get("legendgroup") == group
             and "lines" in shown[i]["mode"]]
    heads = [shown[i] for i in sorted(shown) if shown[i].get("legendgroup") == group
             and shown[i]["mode"] == "markers"]
    assert len(heads) == 1
    chunks = [t for t in lines if "opacity" in t]
    (partial,) = [t for t in lines if "opacity" not in t]
    pieces = [np.stack([arr(t["x"]), arr(t["y"])], axis=1) for t in chunks if t["opacity"] == 1]
    pieces.append(np.stack([arr(partial["x"]), arr(partial["y"])], axis=1))
    trail = pieces[0]
    for piece in pieces[1:]:
        if len(piece) == 0:
            continue
        np.testing.assert_array_equal(piece[0], trail[-1])  # pieces join without a gap
        trail = np.concatenate([trail, piece[1:]])
    head = np.array([arr(heads[0]["x"])[0], arr(heads[0]["y"])[0]])
    return trail, head


TRAIL_CASES = {
    **VIEWS,
    "1000 steps": BANANA.with_(steps=1000),
    "early divergence": biggest("bowl", early_divergence=True).with_(steps=240),
    "8 runs x 1000": biggest("rosenbrock"),
    "2 steps": ZIGZAG.with_(steps=2),
    "1 step": ZIGZAG.with_(steps=1),
}


@pytest.mark.parametrize("kind", ["contour", "panels"])
@pytest.mark.parametrize("key", TRAIL_CASES)
def test_the_trail_passes_through_every_step_at_every_frame(key, kind):
    sc = TRAIL_CASES[key]
    if kind == "panels":
        sc = sc.with_(runs=sc.runs[:4])
    s, grid, paths = parts(sc, 40)
    build = figures.contour_figure if kind == "contour" else figures.panels_figure
    d = build(s, grid, paths, sc.start).thawed()
    frames = d["frames"]
    steps = max(p.points.shape[0] - 1 for p in paths)

    # frames are named by step, 0 to the last, at most MAX_FRAMES + 1 of them, driven by the slider
    names = [f["name"] for f in frames]
    ks = [int(n) for n in names]
    assert ks[0] == 0 and ks[-1] == steps and ks == sorted(set(ks))
    assert len(frames) <= figures.MAX_FRAMES + 1
    assert [list(st["args"][0]) for st in d["layout"]["sliders"][0]["steps"]] == [[n] for n in names]
    assert d["layout"]["sliders"][0]["active"] == len(frames) - 1  # opens on the whole path

    # every frame names the same traces and sets each of them, so what is shown never depends
    # on which frames came before (a slider jumps); frames carry only opacity or x and y
    traces = frames[0]["traces"]
    groups = {d["data"][i].get("legendgroup") for i in traces}
    assert groups == {p.key for p in paths}
    for f in frames:
        assert f["traces"] == traces and len(f["data"]) == len(traces)
        for i, change in zip(f["traces"], f["data"]):
            assert set(change) in ({"opacity"}, {"x", "y"}), change
            assert ("opacity" in change) == ("opacity" in d["data"][i])

    for j, (k, f) in enumerate(zip(ks, frames)):
        shown = frame_state(d, f)
        for p in paths:
            trail, head = trail_at(shown, p.key)
            want = p.finite[: k + 1].astype(np.float32)
            assert trail.shape == want.shape, (p.label, k, trail.shape, want.shape)
            np.testing.assert_array_equal(trail, want, err_msg=f"{p.label} at step {k}")
            np.testing.assert_array_equal(np.float32(head), want[-1], err_msg=f"{p.label} head at {k}")

    # with no frame applied the figure shows the last frame: the whole path
    base = {i: d["data"][i] for i in traces}
    for p in paths:
        trail, head = trail_at(base, p.key)
        np.testing.assert_array_equal(trail, p.finite.astype(np.float32))


@pytest.mark.parametrize("steps", [0, 1, 2, 29, 99, 100, 101, 150, 299, 300, 1000, 1001])
def test_frame_steps(steps):
    idx = figures.frame_steps(steps)
    assert idx[0] == 0 and idx[-1] == steps
    assert np.all(np.diff(idx) > 0)
    assert len(idx) == min(steps, figures.MAX_FRAMES) + 1
    if steps <= figures.MAX_FRAMES:
        assert idx.tolist() == list(range(steps + 1))
    else:  # evenly spread: no gap more than one step wider than the average
        gaps = np.diff(idx)
        assert gaps.max() - gaps.min() <= 1
    assert figures.frame_steps(steps, max_frames=10).size == min(steps, 10) + 1


# --- chart JSON budget (issue 6) ------------------------------------------------------------

@pytest.mark.parametrize("preset", presets.PRESETS, ids=lambda p: p.key)
def test_every_lesson_fits_the_chart_budget(preset):
    sc = preset.scenario
    s, grid, paths = parts(sc)
    for name, fig in (("contour", figures.contour_figure(s, grid, paths, sc.start)),
                      ("loss", figures.loss_figure(s, grid, paths)),
                      ("panels", figures.panels_figure(s, figures.surface_grid(s, 80), paths[:4], sc.start))):
        assert size(fig) <= BUDGET, f"{preset.key} {name}: {size(fig)} bytes"


@pytest.mark.parametrize("early", [False, True], ids=["long runs", "early divergence"])
@pytest.mark.parametrize("surface", surfaces.names())
def test_the_largest_view_fits_the_chart_budget(surface, early):
    """8 runs of 1000 steps on the Playground, 4 on Side by side, as a link allows."""
    sc = biggest(surface, early_divergence=early)
    s, grid, paths = parts(sc)
    sizes = {
        "contour": size(figures.contour_figure(s, grid, paths, sc.start)),
        "contour, presenting": size(figures.contour_figure(s, grid, paths, sc.start,
                                                           height=figures.contour_height(s, 1400))),
        "loss": size(figures.loss_figure(s, grid, paths)),
        "panels": size(figures.panels_figure(s, figures.surface_grid(s, 80), paths[:4], sc.start)),
    }
    over = {k: v for k, v in sizes.items() if v > BUDGET}
    assert not over, f"over {BUDGET} bytes: {over}"


def test_the_3d_view_fits_the_chart_budget():
    cases = {p.key: p.scenario for p in presets.PRESETS}
    cases.update({f"{n}, largest": biggest(n) for n in surfaces.names()})
    cases.update({f"{n}, early divergence": biggest(n, early_divergence=True) for n in surfaces.names()})
    over = {}
    for key, sc in cases.items():
        s = surfaces.get(sc.surface)
        n = size(figures.surface3d_figure(s, figures.surface_grid(s, 70), make_paths(sc), sc.start))
        if n > BUDGET:
            over[key] = n
    assert not over, f"over {BUDGET} bytes: {over}"


def test_default_playground_figure_is_small_and_sends_typed_arrays():
    s, grid, paths = parts(ZIGZAG)
    fig = figures.contour_figure(s, grid, paths, ZIGZAG.start)
    assert size(fig) <= 120_000
    chunk = next(t for t in fig.thawed()["data"] if "opacity" in t and t.get("legendgroup"))
    assert isinstance(chunk["x"], dict) and "bdata" in chunk["x"]


# --- the loss chart's log axis: readable ticks on every surface (issue 7) ----------------------

def _round_up(x: float, options=(2, 5, 10)) -> float:
    return next((o for o in options if o > x), options[-1])


def plotly_log_labels(lo: float, hi: float, axis: dict, length: int = 210) -> int:
    """How many tick labels plotly.js draws on a log axis spanning log10 range [lo, hi].

    A transcription of plotly.js's ``autoTicks`` for log axes (checked against plotly.js in
    Chromium): ``dtick`` n labels every n-th decade; without one, the rough step is range/nticks:
    above 0.7 decades it labels whole decades, under one decade of range it labels linear steps
    (about 1.5 x nticks of them), and otherwise "D1"/"D2" label every digit or 1-2-5 per decade.
    """
    if "tickvals" in axis:
        return sum(lo <= math.log10(v) <= hi for v in axis["tickvals"])
    if "dtick" in axis:
        d = axis["dtick"]
    else:
        nt = axis.get("nticks") or min(max(length / 40, 4), 9) + 1
        t = (hi - lo) / nt
        if t > 0.7:
            d = math.ceil(t)
        elif hi - lo < 1:
            u = 1.5 * (hi - lo) / t
            tl = abs(10 ** hi - 10 ** lo) / u
            base = 10 ** math.floor(math.log10(tl))
            dl = base * _round_up(tl / base)
            return math.floor(10 ** hi / dl) - math.ceil(10 ** lo / dl) + 1
        else:
            digits = range(1, 10) if t <= 0.3 else (1, 2, 5)
            return sum(lo <= e + math.log10(m) <= hi
                       for e in range(math.floor(lo) - 1, math.ceil(hi) + 1) for m in digits)
    return math.floor(hi / d) - math.ceil(lo / d) + 1


def labels_for(values: np.ndarray, axis: dict) -> int:
    if "range" in axis:  # a range of its own (log10 units)
        return plotly_log_labels(*axis["range"], axis)
    v = values[np.isfinite(values) & (values > 0)]
    lo, hi = math.log10(v.min()), math.log10(v.max())
    pad = (hi - lo) / 18  # plotly's autorange keeps the data in the middle 90% of the axis
    return plotly_log_labels(lo - pad, hi + pad, axis)


def test_the_plotly_tick_model_matches_what_plotly_js_drew():
    """Label counts plotly.js 3 drew in headless Chromium for these ranges (500 x 300 px plot)."""
    seen = [((-0.0278, 0.5278), {"nticks": 8}, 5), ((-0.0528, 1.0028), {"nticks": 8}, 11),
            ((-3.0722, -1.6278), {"nticks": 8}, 12), ((-0.0744, 1.4144), {"nticks": 8}, 12),
            ((-0.1667, 3.1667), {"nticks": 8}, 10), ((-0.2778, 5.2778), {"nticks": 8}, 16),
            ((-0.0528, 1.0028), {"dtick": 1}, 2), ((-16.942, 1.902), {"dtick": 3}, 6),
            ((-10.667, 2.667), {"nticks": 8}, 7), ((-0.2778, 5.2778), {"dtick": 1}, 6)]
    for (lo, hi), axis, want in seen:
        assert plotly_log_labels(lo, hi, axis) == want, (lo, hi, axis)


@pytest.mark.parametrize("decades", [0.05, 0.3, 0.5, 0.79, 0.8, 0.9, 0.95, 1.0, 1.2, 1.34, 1.49, 1.5,
                                     2.0, 3.0, 5.0, 7.0, 10.0, 16.96, 20.7, 30.0])
@pytest.mark.parametrize("offset", [-7.3, -0.5, 0.0, 0.9, 2.25])
def test_log_ticks_give_two_to_eight_labels(decades, offset):
    values = np.logspace(offset, offset + decades, 50)
    axis = figures.log_ticks(values)
    assert 2 <= labels_for(values, axis) <= 8, (decades, offset, axis)


def loss_views(name: str) -> dict[str, Scenario]:
    s = surfaces.get(name)
    views = {
        "opening": ZIGZAG.with_(surface=name, start=s.start,
                                runs=tuple(Run.of(r.name, lr=tuning.default_lr(name, r.name))
                                           for r in ZIGZAG.runs)),
        "every optimizer, 200 steps": Scenario(name, tuple(
            Run.of(o, lr=tuning.default_lr(name, o)) for o in optimizers.names()), s.start, 200),
        "largest": biggest(name),
    }
    opening = getattr(presets, "opening", None)
    if opening is not None:
        views["lesson view"] = opening(name)
    views.update({p.key: p.scenario for p in presets.PRESETS if p.scenario.surface == name})
    return views


@pytest.mark.parametrize("name", [n for n in surfaces.names() if surfaces.get(n).minima])
def test_every_loss_chart_has_readable_log_ticks(name):
    for label, sc in loss_views(name).items():
        s, grid, paths = parts(sc, 30)
        d = figures.loss_figure(s, grid, paths).thawed()
        axis = d["layout"]["yaxis"]
        assert axis["type"] == "log"
        ys = np.concatenate([arr(t["y"]).astype(float) for t in d["data"]])
        n = labels_for(ys, axis)
        assert 2 <= n <= 8, f"{name}, {label}: {n} labels with {dict(axis)}"


def test_loss_axis_is_log_gap_with_minimum_linear_without():
    s, grid, paths = parts(ZIGZAG, 40)
    d = figures.loss_figure(s, grid, paths).thawed()
    assert d["layout"]["yaxis"]["type"] == "log"
    for t, p in zip(d["data"], paths):
        y = arr(t["y"])
        np.testing.assert_allclose(y, np.maximum(s.value(p.points) - 0.0, 1e-16), rtol=1e-6)
        assert (y > 0).all()
        assert arr(t["x"]).tolist() == list(range(ZIGZAG.steps + 1))
    s, grid, paths = parts(SADDLE, 40)
    d = figures.loss_figure(s, grid, paths).thawed()
    assert d["layout"]["yaxis"]["type"] == "linear"
    for t, p in zip(d["data"], paths):  # raw f, negative values and all; stops at divergence
        np.testing.assert_allclose(arr(t["y"]), s.value(p.finite), rtol=1e-6)


def test_loss_of_diverged_path_stops_before_divergence():
    s, grid, paths = parts(DIVERGE, 40)
    d = figures.loss_figure(s, grid, paths).thawed()
    sgd = next(i for i, p in enumerate(paths) if p.name == "sgd")
    assert len(arr(d["data"][sgd]["y"])) == paths[sgd].diverged_at
    assert np.isfinite(arr(d["data"][sgd]["y"])).all()


@pytest.mark.parametrize("log", [True, False])
def test_a_held_axis_range_holds_the_data_fills_most_of_it_and_stays_put_for_small_moves(log):
    rng = np.random.default_rng(3)
    for _ in range(300):
        lo = rng.uniform(-20, 5) if log else rng.choice([-1, 1]) * 10.0 ** rng.uniform(-6, 6)
        span = 10.0 ** rng.uniform(-3, 1.5) if log else abs(lo) * 10.0 ** rng.uniform(-3, 1)
        hi = lo + span
        r0, r1 = figures.held_range(lo, hi, log=log)
        pad = span / 18
        assert r0 <= lo - pad * 0.999 and r1 >= hi + pad * 0.999, (lo, hi, r0, r1)  # as padded as autorange
        assert span / (r1 - r0) >= 0.55, (lo, hi, r0, r1)  # the curves fill most of the height
        assert figures.held_range(lo, hi, log=log) == [r0, r1]
        if log and span > 8:  # a log axis with a step of a decade or more ends on whole decades
            assert float(r0).is_integer() and float(r1).is_integer(), (lo, hi, r0, r1)
    # a curve that ends a little lower leaves the axis as it was (so the chart moves just the curve)
    assert figures.held_range(-1.9, 0.8, log=True) == figures.held_range(-1.95, 0.8, log=True) == [-2.5, 1.0]
    assert figures.held_range(3.0, 3.0, log=log)[0] < 3.0 < figures.held_range(3.0, 3.0, log=log)[1]
    assert figures.held_range(-1.7e308, 1.7e308) is None  # out of floats: plotly.js fits it


def test_the_loss_axes_have_ranges_that_hold_every_curve():
    for name, sc in VIEWS.items():
        s, grid, paths = parts(sc, 30)
        d = figures.loss_figure(s, grid, paths).thawed()
        x, y = d["layout"]["xaxis"], d["layout"]["yaxis"]
        assert x["range"] == [0, max(len(arr(t["x"])) and int(arr(t["x"])[-1]) for t in d["data"])], name
        ys = np.concatenate([arr(t["y"]).astype(float) for t in d["data"]])
        ys = np.log10(ys) if y["type"] == "log" else ys
        assert y["range"][0] < ys.min() and ys.max() < y["range"][1], (name, y["range"], ys.min(), ys.max())


def _nudged(sc: Scenario, lr: float) -> Scenario:
    return sc.with_(runs=(Run.of(sc.runs[0].name, **{**sc.runs[0].kwargs, "lr": lr}), *sc.runs[1:]))


def test_a_learning_rate_nudge_changes_the_loss_chart_only_where_it_can_be_animated():
    """What ui/plotchart.py animates without Plotly.react: points and names, and on an axis of
    its own the range and ticks.  Any other change (a name in a hover text, say) would send
    every nudge of the Playground's loss chart through a full redraw."""
    from ui.options import lr_options

    moving = {"x", "y", "name"}
    axis_moving = {"range", "dtick", "tickvals", "nticks"}
    for key in ("zigzag", "saddle", "diverge"):
        sc = VIEWS[key]
        lrs = [v for v in lr_options(sc.runs[0].name) if 0.3 <= v <= 1.0][:8]
        figs = []
        for lr in lrs:
            s, grid, paths = parts(_nudged(sc, lr), 30)
            figs.append(figures.loss_figure(s, grid, paths).thawed())
        for a, b in zip(figs, figs[1:]):
            assert [{k: v for k, v in t.items() if k not in moving} for t in a["data"]] == \
                   [{k: v for k, v in t.items() if k not in moving} for t in b["data"]], key
            la, lb = dict(a["layout"]), dict(b["layout"])
            for ax in ("xaxis", "yaxis"):
                la[ax] = {k: v for k, v in la[ax].items() if k not in axis_moving}
                lb[ax] = {k: v for k, v in lb[ax].items() if k not in axis_moving}
            assert la == lb, key
        assert [t["name"] for t in figs[0]["data"]] != [t["name"] for t in figs[-1]["data"]]
        assert all("%{fullData.name}" in t["hovertemplate"] for t in figs[0]["data"])


# --- the backdrop: the surface, the right way up --------------------------------------------

def _unfilter(raw: np.ndarray, h: int, stride: int, bpp: int) -> np.ndarray:
    """PNG scanline filters undone (none, Sub, Up, Average, Paeth)."""
    rows = raw.reshape(h, 1 + stride)
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.int64)
    for r in range(h):
        kind, line = rows[r, 0], rows[r, 1:].astype(np.int64)
        if kind == 0:
            cur = line
        elif kind == 1:  # Sub: a running sum along each channel
            cur = np.concatenate([np.cumsum(line.reshape(-1, bpp), axis=0).ravel()]) % 256
        elif kind == 2:
            cur = (line + prev) % 256
        else:
            cur = np.zeros(stride, np.int64)
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                if kind == 3:
                    pred = (a + b) // 2
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                cur[i] = (line[i] + pred) % 256
        out[r] = cur
        prev = cur
    return out


def decode_png(uri: str) -> np.ndarray:
    """An 8-bit RGB or palette PNG data URI as RGB (rows, cols, 3), row 0 at the top."""
    assert uri.startswith("data:image/png;base64,")
    png = base64.b64decode(uri.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header, palette = 8, b"", None, None
    while pos < len(png):
        n, tag = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + n]
        assert zlib.crc32(tag + data) & 0xFFFFFFFF == struct.unpack(">I", png[pos + 8 + n:pos + 12 + n])[0]
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif tag == b"PLTE":
            palette = np.frombuffer(data, np.uint8).reshape(-1, 3)
        elif tag == b"IDAT":
            idat += data
        pos += 12 + n
    w, h, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 3) and interlace == 0
    bpp = 3 if colour == 2 else 1
    pixels = _unfilter(np.frombuffer(zlib.decompress(idat), np.uint8), h, bpp * w, bpp)
    return pixels.reshape(h, w, 3) if colour == 2 else palette[pixels.reshape(h, w)]


def backdrop_as_drawn(name: str, n: int = 40):
    """The backdrop's brightness per pixel and the (x, y) each pixel lands on, placed as
    plotly.js places the contour figure's layout image."""
    s = surfaces.get(name)
    grid = figures.surface_grid(s, n)
    (img,) = figures.contour_figure(s, grid, [], s.start, clickable=False).thawed()["layout"]["images"]
    bright = decode_png(img["source"]).astype(float).sum(axis=-1)
    h, w = bright.shape
    assert img["sizing"] == "stretch" and img["xanchor"] == "left"
    left = img["x"]
    top = img["y"] if img["yanchor"] == "top" else img["y"] + img["sizey"]
    xs = left + (np.arange(w) + 0.5) / w * img["sizex"]
    ys = top - (np.arange(h) + 0.5) / h * img["sizey"]
    return s, bright, xs, ys


def rank_corr(a: np.ndarray, b: np.ndarray) -> float:
    ra = np.argsort(np.argsort(a.ravel())).astype(float)
    rb = np.argsort(np.argsort(b.ravel())).astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])


@pytest.mark.parametrize("name", surfaces.names())
def test_the_backdrop_is_darker_where_the_surface_is_lower(name):
    s, bright, xs, ys = backdrop_as_drawn(name)
    f = s.value(np.stack(np.meshgrid(xs, ys), axis=-1))
    good = rank_corr(bright, f)
    assert good > 0.8
    # where the surface is not symmetric, the picture upside down or mirrored must not fit
    for how, flip in (("upside down", lambda a: a[::-1]), ("mirrored", lambda a: a[:, ::-1])):
        if rank_corr(f, flip(f)) < 0.5:
            assert rank_corr(flip(bright), f) < good - 0.3, how


def test_the_darkest_band_sits_in_rosenbrocks_valley_at_its_minimum():
    """(1, 1) is on the darkest band, (-1, 1) is not, and each column is darkest at y = x^2: the
    valley bends up. Upside down it would bend down (y = 2 - x^2), mirrored the minimum would
    sit at (-1, 1)."""
    s, bright, xs, ys = backdrop_as_drawn("rosenbrock", 60)

    def at(x, y):
        return bright[np.abs(ys - y).argmin(), np.abs(xs - x).argmin()]

    darkest = bright.min()
    assert at(1.0, 1.0) == darkest
    assert at(-1.0, 1.0) > darkest
    assert at(0.0, 0.0) < at(0.0, 2.0)  # the valley floor at x = 0 is y = 0, not y = 2
    for x in (-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5):
        col = bright[:, np.abs(xs - x).argmin()]
        y_dark = ys[np.flatnonzero(col == col.min())].mean()
        assert abs(y_dark - x * x) < 0.1, (x, y_dark)


def test_contour_window_and_aspect():
    s, grid, paths = parts(ZIGZAG)
    d = figures.contour_figure(s, grid, paths, ZIGZAG.start).thawed()
    lay = d["layout"]
    assert lay["xaxis"]["range"] == list(s.x_range) and lay["yaxis"]["range"] == list(s.y_range)
    assert lay["yaxis"]["scaleanchor"] == "x" and lay["yaxis"]["scaleratio"] == 1
    (img,) = lay["images"]
    assert img["source"].startswith("data:image/png;base64,") and img["layer"] == "below"
    assert (img["x"], img["y"], img["sizex"], img["sizey"]) == (
        s.x_range[0], s.y_range[1], s.x_range[1] - s.x_range[0], s.y_range[1] - s.y_range[0])
    h, w, _ = decode_png(img["source"]).shape
    assert abs(w / h - 2.0) < 0.02  # the bowl's 2:1 window
    assert not [t for t in d["data"] if t.get("type") in ("contour", "heatmap")]
    start = next(t for t in d["data"] if t.get("name") == "start")
    assert (tuple(start["x"]), tuple(start["y"])) == ((ZIGZAG.start[0],), (ZIGZAG.start[1],))
    star = next(t for t in d["data"] if t.get("name") == "global minimum")
    assert list(zip(star["x"], star["y"])) == list(s.minima)


def test_surface_grid_shape_and_log_shading():
    for name in surfaces.names():
        s = surfaces.get(name)
        g = figures.surface_grid(s, 60)
        assert g.z.shape == (len(g.y), len(g.x)) == g.shade.shape
        assert max(len(g.x), len(g.y)) == 60 and min(len(g.x), len(g.y)) >= 40
        assert (g.x[0], g.x[-1]) == pytest.approx(s.x_range) and (g.y[0], g.y[-1]) == pytest.approx(s.y_range)
        assert g.log == s.log_color and np.isfinite(g.shade).all()
        assert (g.f_min is None) == (not s.minima)
        if not s.log_color:
            np.testing.assert_allclose(g.shade, g.z)
        else:  # monotone in z
            order = np.argsort(g.z.ravel())
            assert (np.diff(g.shade.ravel()[order]) >= -1e-4).all()


# --- content ----------------------------------------------------------------------

def exit_marks(d: dict, p) -> list[dict]:
    return [t for t in d["data"] if t.get("legendgroup") == p.key and t.get("marker", {}).get("symbol") == "x"]


def notes_in(d: dict) -> str:
    return "\n".join(a["text"] for a in d["layout"].get("annotations", ()))


def test_divergence_is_marked_and_said_on_the_plot():
    """Divergence notes are shown: an x where the path left, and its words in the plot's note."""
    s, grid, paths = parts(DIVERGE, 40)
    sgd = next(p for p in paths if p.name == "sgd")
    assert sgd.diverged_at > 0 and all(p.diverged_at < 0 for p in paths if p is not sgd)
    d = figures.contour_figure(s, grid, paths, DIVERGE.start).thawed()
    (mark,) = exit_marks(d, sgd)
    assert all(not exit_marks(d, p) for p in paths if p is not sgd)
    assert mark["marker"]["color"] == sgd.color
    mx, my = mark["x"][0], mark["y"][0]  # drawn on the plot, on the side it left by
    assert s.x_range[0] <= mx <= s.x_range[1] and s.y_range[0] <= my <= s.y_range[1]
    assert np.sign(mx) == np.sign(sgd.points[sgd.diverged_at - 1][0])
    said = f"diverged at step {sgd.diverged_at}"
    assert said in notes_in(d) and sgd.label in notes_in(d)
    note = figures.divergence_note(s, sgd)
    assert note.startswith(sgd.label) and said in note and "smaller learning rate" in note
    # the panel of the diverged path carries its mark and its words too, and only that panel
    pd = figures.panels_figure(s, grid, paths, DIVERGE.start).thawed()
    assert len(exit_marks(pd, sgd)) == 1 and notes_in(pd).count(said) == 1
    # nothing to say when nothing left
    calm = [p for p in paths if p is not sgd]
    assert "diverged" not in notes_in(figures.contour_figure(s, grid, calm, DIVERGE.start).thawed())


def test_every_path_that_left_is_named_once_in_one_note():
    s, grid, paths = parts(SADDLE, 40)
    gone = [p for p in paths if figures.stop_step(s, p) > 0]
    assert len(gone) >= 2
    d = figures.contour_figure(s, grid, paths, SADDLE.start).thawed()
    text = notes_in(d)
    for p in gone:
        assert text.count(f"<b>{p.label}</b> left the plot at step {figures.stop_step(s, p)}") == 1
        assert len(exit_marks(d, p)) == 1


def test_the_note_sits_in_a_corner_clear_of_where_paths_leave():
    """On the saddle lesson the paths leave through the top: the note goes elsewhere, and the
    box it takes holds none of the last in-window points of the paths that left."""
    s, grid, paths = parts(SADDLE, 40)
    d = figures.contour_figure(s, grid, paths, SADDLE.start).thawed()
    (note,) = [a for a in d["layout"]["annotations"] if "left the plot" in a["text"]]
    (x0, x1), (y0, y1) = s.x_range, s.y_range
    for p in paths:
        k = figures.stop_step(s, p)
        if k > 0:
            u = (p.points[k - 1] - (x0, y0)) / (x1 - x0, y1 - y0)
            in_x = u[0] <= 0.75 if note["xanchor"] == "left" else u[0] >= 0.25  # a box three quarters wide
            in_y = u[1] >= 0.7 if note["yanchor"] == "top" else u[1] <= 0.3
            assert not (in_x and in_y), (p.label, note["xanchor"], note["yanchor"])
    assert (note["x"] < 0.5) == (note["xanchor"] == "left") and (note["y"] > 0.5) == (note["yanchor"] == "top")


def test_runaway_on_a_surface_without_minimum_is_worded_as_leaving():
    s, grid, paths = parts(SADDLE, 40)
    gone = [p for p in paths if figures.stop_step(s, p) > 0]
    assert gone
    note = figures.divergence_note(s, gone[0])
    assert "left the plot" in note and "no minimum" in note and "diverged" not in note


def test_click_grid_is_invisible_but_clickable():
    s, grid, paths = parts(ZIGZAG, 40)
    d = figures.contour_figure(s, grid, paths, ZIGZAG.start).thawed()
    (c,) = [t for t in d["data"] if t.get("name") == "click to start here"]
    # text points with no text: nothing drawn, yet hover and click find them
    assert c["type"] == "scatter" and c["mode"] == "text" and c["text"] == ""
    assert "marker" not in c
    assert c["hoverinfo"] == "none"  # "skip" would make the points unclickable
    x, y = arr(c["x"]), arr(c["y"])
    assert len(x) == len(y) == 21 * 11  # the bowl's 20 x 10 window in steps of 1
    assert (x.min(), x.max()) == s.x_range and (y.min(), y.max()) == s.y_range
    step = max(np.ptp(s.x_range), np.ptp(s.y_range)) / 20  # starts in twentieths of the window
    assert np.allclose(np.diff(np.unique(x)), step) and np.allclose(np.diff(np.unique(y)), step)
    # a click between points still lands on one: plotly.js looks this far (px) from each point
    assert d["layout"]["hoverdistance"] >= 30
    assert d["layout"]["clickmode"] == "event+select"
    d = figures.contour_figure(s, grid, paths, ZIGZAG.start, clickable=False).thawed()
    assert not [t for t in d["data"] if t.get("name") == "click to start here"]


def test_each_optimizer_keeps_its_colour_and_a_second_run_changes_its_line():
    s, grid, paths = parts(TWINS, 40)
    assert [p.copy for p in paths] == [0, 1, 2] and len({p.key for p in paths}) == 3
    assert [p.dash for p in paths] == ["solid", "dash", "dot"]
    c = figures.contour_figure(s, grid, paths, TWINS.start).thawed()
    loss = figures.loss_figure(s, grid, paths).thawed()
    p3 = figures.surface3d_figure(s, grid, paths, TWINS.start).thawed()
    for p in paths:
        lines = [t["line"] for t in c["data"] + loss["data"] + p3["data"]
                 if t.get("name") == p.label and "line" in t]
        assert lines and {ln["color"] for ln in lines} == {figures.color("sgd")}
        assert {ln["dash"] for ln in lines} == {p.dash}
    assert len({figures.color(n) for n in optimizers.names()}) == len(optimizers.names())
    assert len({p.label for p in paths}) == 3  # the legend tells them apart


def test_run_labels_and_numbers():
    assert figures.run_label(Run.of("sgd", lr=0.95)) == "SGD (η=0.95)"
    assert figures.run_label(Run.of("adam", lr=3e-4, betas=(0.8, 0.999))) == "Adam (η=3e-4, β=(0.8, 0.999))"
    assert figures.run_label(Run.of("rmsprop", lr=0.01, centered=True)).startswith("RMSProp (η=0.01, ")
    assert figures.run_label(Run("sgd")) == f"SGD (η={figures.fmt(optimizers.spec('sgd').defaults['lr'])})"
    for x, want in [(0, "0"), (0.95, "0.95"), (1.5, "1.5"), (3e-4, "3e-4"), (0.999, "0.999"),
                    (1e-12, "1e-12"), (12345.0, "1.2345e4"), (-0.5, "-0.5")]:
        assert figures.fmt(x) == want
    runs = (Run.of("sgd", lr=0.1), Run.of("adam", lr=0.3), Run.of("sgd", lr=0.5))
    assert [figures.copy_index(runs, i) for i in range(3)] == [0, 0, 1]


# --- the HTML export (issue 7) ----------------------------------------------------------------

def test_standalone_html_names_what_it_shows_and_waits_for_play():
    import streamlit  # noqa: F401  (makes "streamlit" Plotly's default template)

    s, grid, paths = parts(TEXTBOOK, 40)
    fig = figures.contour_figure(s, grid, paths, TEXTBOOK.start)
    title = tables.describe(s, TEXTBOOK)
    page = figures.standalone_html(fig, title=title)
    head = re.search(r"<title>(.*?)</title>", page, re.S)
    assert head, "no <title>"
    import html as html_lib
    shown = html_lib.unescape(head.group(1))
    assert s.label in shown and all(figures.run_label(r) in shown for r in TEXTBOOK.runs), shown
    # the animation waits for Play: no Plotly.animate after the figure is drawn
    tail = page[page.rindex("Plotly.newPlot("):]
    assert "Plotly.addFrames" in tail and "Plotly.animate(" not in tail
    assert len(page) > 1_000_000  # plotly.js inlined, not fetched from a CDN
    assert '"template":{' in page and '"colorway":["#636efa"' in page  # plotly_white, explicit
    # the title is text, not markup
    evil = figures.standalone_html(fig, title="<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in evil


# --- a figure drawn for the column's width (ui/viewport.py) -------------------------------------

# Legends as Chromium wrapped them (plot area widths of a 1024, 1280 and 1600 px window with the
# sidebar open), measured on the app's Playground: rows per plot width.
LEGENDS_SEEN = [
    (["SGD (η=0.95)", "Adam (η=0.2)", "start", "global minimum"], {470: 2, 726: 1, 1046: 1}),
    (["SGD (η=0.002)", "Momentum (η=0.001)", "RMSProp (η=0.05)", "Adam (η=0.1)", "start", "global minimum"],
     {470: 3, 726: 2, 1046: 1}),
    (["SGD (η=0.05)", "Nesterov (η=0.05)", "AdaGrad (η=0.3)", "Adadelta (η=1)", "RMSProp (η=0.01)",
      "Adam (η=0.05)", "start"], {470: 3, 726: 2, 1046: 1}),
]


@pytest.mark.parametrize("labels,rows", LEGENDS_SEEN, ids=["two runs", "four runs", "six runs"])
def test_legend_rows_match_how_the_browser_wrapped_them(labels, rows):
    assert {w: figures.legend_rows(labels, w) for w in rows} == rows


@pytest.mark.parametrize("width", [564, 820, 1140])
@pytest.mark.parametrize("preset", [p for p in presets.PRESETS if p.key in ("zigzag", "banana", "saddle")],
                         ids=lambda p: p.key)
def test_a_figure_for_a_known_width_fits_its_legend_and_its_window(preset, width):
    """The top margin holds the legend's rows, and the plot area is as tall as the window's
    aspect needs at that width (or the figure is at its tallest)."""
    sc = preset.scenario
    s, grid, paths = parts(sc)
    fig = figures.contour_figure(s, grid, paths, sc.start, width=width).thawed()
    layout = fig["layout"]
    m = layout["margin"]
    plot_w = width - m["l"] - m["r"]
    shown = [t["name"] for t in fig["data"] if t.get("showlegend")]
    assert shown and "start" in shown
    assert m["t"] == 45 + figures.LEGEND_ROW * (figures.legend_rows(shown, plot_w) - 1)
    plot_h = layout["height"] - m["t"] - m["b"]
    needed = plot_w * np.ptp(s.y_range) / np.ptp(s.x_range)
    if layout["height"] < figures.FIT_MOST:
        assert abs(plot_h - max(needed, 160)) <= 1
    else:
        assert plot_h < needed
    # a height asked for wins; the legend's margin still follows the width
    fixed = figures.contour_figure(s, grid, paths, sc.start, height=540, width=width).thawed()["layout"]
    assert fixed["height"] == 540 and fixed["margin"]["t"] == m["t"]
    # without a width: one legend row, the old default height
    plain = figures.contour_figure(s, grid, paths, sc.start).thawed()["layout"]
    assert plain["margin"]["t"] == 45 and plain["height"] == figures.contour_height(s)


@pytest.mark.parametrize("width", [560, 840, 1160, 1480])
@pytest.mark.parametrize("surface", surfaces.names())
def test_a_click_in_the_middle_of_a_grid_cell_reaches_a_point_at_every_width(surface, width):
    """The wider the column, the larger the click grid's cells on screen: plotly.js must look
    at least half a cell's diagonal from each point."""
    s = surfaces.get(surface)
    sc = Scenario(surface, (Run.of("adam", lr=0.05),), tuple(map(float, s.start)), 20)
    _, grid, paths = parts(sc, 40)
    layout = figures.contour_figure(s, grid, paths, sc.start, width=width).thawed()["layout"]
    m = layout["margin"]
    plot_w, plot_h = width - m["l"] - m["r"], layout["height"] - m["t"] - m["b"]
    (x0, x1), (y0, y1) = s.x_range, s.y_range
    px_per_unit = min(plot_w / (x1 - x0), plot_h / (y1 - y0))  # equal aspect: the tighter side
    cell = max(x1 - x0, y1 - y0) / 20 * px_per_unit
    assert layout["hoverdistance"] >= cell * math.sqrt(2) / 2


@pytest.mark.parametrize("width", [560, 840, 1160])
@pytest.mark.parametrize("surface", ["bowl", "rosenbrock"])
def test_panels_for_a_known_width_are_as_tall_as_their_window_needs(surface, width):
    """Side by side: each panel as tall as its width shows the window at equal aspect (at most
    PANEL_MOST), rows PANEL_GAP px apart: no band left empty between or around them."""
    s = surfaces.get(surface)
    sc = Scenario(surface, tuple(Run.of(n, lr=0.001) for n in ("sgd", "momentum", "adam")),
                  tuple(map(float, s.start)), 20)
    _, grid, paths = parts(sc, 40)
    layout = figures.panels_figure(s, grid, paths, sc.start, width=width).thawed()["layout"]
    m = layout["margin"]
    plot_w, plot_h = width - m["l"] - m["r"], layout["height"] - m["t"] - m["b"]
    ratio = np.ptp(s.y_range) / np.ptp(s.x_range)
    for ax in ("", "2", "3"):
        (x0, x1), (y0, y1) = layout[f"xaxis{ax}"]["domain"], layout[f"yaxis{ax}"]["domain"]
        assert (y1 - y0) * plot_h == pytest.approx(min((x1 - x0) * plot_w * ratio, figures.PANEL_MOST), abs=1)
    assert (layout["yaxis"]["domain"][0] - layout["yaxis3"]["domain"][1]) * plot_h == \
        pytest.approx(figures.PANEL_GAP, abs=1)
    assert layout["yaxis"]["domain"][1] == pytest.approx(1) and layout["yaxis3"]["domain"][0] == pytest.approx(0)
