"""Figure builders: what they hand to Plotly is valid, animates the right traces, stays small.

The builders skip Plotly's validation for speed (``PlainFigure``), so this
file is where validation happens: every figure goes through
``go.Figure(fig.to_dict())``, which checks every attribute, frames included.
"""

import base64
import struct
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import optimizers
import surfaces
from viz import figures, presets
from viz.state import Run, View


def arr(v) -> np.ndarray:
    """A trace array as plotly.js reads it: a typed-array dict or a plain list."""
    if isinstance(v, dict):
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" in v:
            a = a.reshape([int(n) for n in str(v["shape"]).split(",")])
        return a
    return np.asarray(v, dtype=float)


def make_paths(view: View) -> list[figures.Path]:
    s = surfaces.get(view.surface)
    out = []
    for r in view.runs:
        tr = optimizers.run(optimizers.get(r.name, **r.kwargs), s, view.start, view.steps,
                            noise=view.noise, seed=view.seed)
        out.append(figures.Path(r.name, f"{optimizers.spec(r.name).label} (η={r.lr:g})",
                                tr.points, int(tr.diverged_at)))
    return out


def parts(view: View, n: int = 120):
    s = surfaces.get(view.surface)
    return s, figures.surface_grid(s, n), make_paths(view)


ZIGZAG = presets.ZIGZAG
TEXTBOOK = presets.TEXTBOOK
DIVERGE = presets.BY_KEY["diverge"].view      # bowl; SGD at lr 1.1 blows up
SADDLE = presets.BY_KEY["saddle"].view        # no minima; momentum runs away
BANANA = presets.BY_KEY["banana"].view        # 300 steps: more steps than frames
VIEWS = {"zigzag": ZIGZAG, "textbook": TEXTBOOK, "diverge": DIVERGE, "saddle": SADDLE,
         "banana": BANANA}


def validated(fig) -> dict:
    """Plotly's full validator over the plain dicts the app sends; the dict itself."""
    d = fig.to_dict()
    go.Figure(d)  # raises on any invalid attribute, in data, layout or frames
    json.loads(pio.to_json(d, validate=False))
    return d


# --- validation ---------------------------------------------------------------

@pytest.mark.parametrize("key", VIEWS)
@pytest.mark.parametrize("animate", [True, False])
def test_contour_figure_is_valid(key, animate):
    s, grid, paths = parts(VIEWS[key])
    d = validated(figures.contour_figure(s, grid, paths, VIEWS[key].start, animate=animate))
    assert ("frames" in d) is animate
    assert ("sliders" in d["layout"]) is animate and ("updatemenus" in d["layout"]) is animate


@pytest.mark.parametrize("key", VIEWS)
def test_loss_figure_is_valid(key):
    s, grid, paths = parts(VIEWS[key])
    d = validated(figures.loss_figure(s, grid, paths))
    assert len(d["data"]) == len(paths)


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("key", ["textbook", "diverge", "saddle"])
def test_panels_figure_is_valid(key, n):
    view = VIEWS[key]
    extra = (Run.of("nesterov", lr=0.05), Run.of("adadelta", lr=1.0))
    runs = tuple({r.name: r for r in view.runs + extra}.values())[:n]
    assert len(runs) == n
    s, grid, paths = parts(view.with_(runs=runs), 80)
    d = validated(figures.panels_figure(s, grid, paths, view.start))
    assert len(d["layout"]["annotations"]) == len(paths)
    assert {k for k in d["layout"] if k.startswith("xaxis")} == \
        {"xaxis"} | {f"xaxis{i}" for i in range(2, len(paths) + 1)}
    assert len(d["frames"][0]["traces"]) == 2 * len(paths)


@pytest.mark.parametrize("key", VIEWS)
def test_surface3d_figure_is_valid(key):
    s, grid, paths = parts(VIEWS[key], 70)
    d = validated(figures.surface3d_figure(s, grid, paths, VIEWS[key].start))
    names = [t.get("name") for t in d["data"]]
    assert ("global minimum" in names) is bool(s.minima)
    assert names.count("start") == 1
    assert d["data"][0]["type"] == "surface"


def test_figures_with_no_steps_and_no_paths_are_valid():
    s, grid, paths = parts(ZIGZAG.with_(steps=0))
    d = validated(figures.contour_figure(s, grid, paths, ZIGZAG.start))
    assert "frames" not in d
    validated(figures.contour_figure(s, grid, [], ZIGZAG.start))
    validated(figures.loss_figure(s, grid, []))
    validated(figures.surface3d_figure(s, grid, [], ZIGZAG.start))


# --- frames ---------------------------------------------------------------------

def animated_indices(d, paths) -> list[int]:
    """Trail and head traces: the only ones grouped under an optimizer's name."""
    names = {p.name for p in paths}
    trails = [i for i, t in enumerate(d["data"]) if t.get("legendgroup") in names and "lines" in t["mode"]]
    heads = [i for i, t in enumerate(d["data"]) if t.get("legendgroup") in names and t["mode"] == "markers"]
    return trails + heads


@pytest.mark.parametrize("kind", ["contour", "panels"])
@pytest.mark.parametrize("key", VIEWS)
def test_frames_move_only_trails_and_heads(key, kind):
    view = VIEWS[key]
    s, grid, paths = parts(view, 80)
    build = figures.contour_figure if kind == "contour" else figures.panels_figure
    d = build(s, grid, paths, view.start).to_dict()
    frames = d["frames"]
    steps = view.steps

    assert 2 <= len(frames) <= figures.MAX_FRAMES + 1
    names = [f["name"] for f in frames]
    assert names == [str(k) for k in figures.frame_steps(steps)]
    assert names[0] == "0" and names[-1] == str(steps)
    # The slider drives exactly these frames, by name.
    assert [st["args"][0] for st in d["layout"]["sliders"][0]["steps"]] == [[n] for n in names]

    traces = animated_indices(d, paths)
    assert len(traces) == 2 * len(paths)
    for f in frames:
        assert f["traces"] == traces
        assert len(f["data"]) == len(traces)
        assert all(set(fd) == {"x", "y"} for fd in f["data"])  # no styling re-sent per frame

    n = len(paths)
    first, last = frames[0]["data"], frames[-1]["data"]
    for j, p in enumerate(paths):
        for fd in (first[j], first[n + j]):  # trail and head at step 0: just the start
            np.testing.assert_allclose(arr(fd["x"]), [view.start[0]], rtol=1e-6)  # float32 trails
            np.testing.assert_allclose(arr(fd["y"]), [view.start[1]], rtol=1e-6)
        for fd, i in ((last[j], traces[j]), (last[n + j], traces[n + j])):  # final frame = figure
            np.testing.assert_array_equal(arr(fd["x"]), arr(d["data"][i]["x"]))
            np.testing.assert_array_equal(arr(fd["y"]), arr(d["data"][i]["y"]))
        final = p.finite[-1]
        np.testing.assert_allclose([arr(last[n + j]["x"])[0], arr(last[n + j]["y"])[0]], final)

    # A frame in the middle: each head sits on its path at that step.
    k = int(names[len(names) // 2])
    mid = frames[len(names) // 2]["data"]
    for j, p in enumerate(paths):
        want = p.points[min(k, p.finite.shape[0] - 1)]
        np.testing.assert_allclose([arr(mid[n + j]["x"])[0], arr(mid[n + j]["y"])[0]], want)
        trail_x = arr(mid[j]["x"])
        assert len(trail_x) <= len(names) // 2 + 1
        np.testing.assert_allclose(trail_x[-1], want[0], rtol=1e-6)


def test_long_run_is_capped_at_101_frames():
    s, grid, paths = parts(BANANA, 60)
    d = figures.contour_figure(s, grid, paths, BANANA.start).to_dict()
    assert len(d["frames"]) == figures.MAX_FRAMES + 1 == 101
    # the faint full path keeps every step, the animated trail only the frame steps
    ghost = [t for t in d["data"] if t.get("opacity") == 0.35]
    assert len(arr(ghost[0]["x"])) == BANANA.steps + 1


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


# --- content ----------------------------------------------------------------------

def test_divergence_marker_and_note():
    s, grid, paths = parts(DIVERGE)
    sgd = next(p for p in paths if p.name == "sgd")
    assert sgd.diverged_at > 0 and all(p.diverged_at < 0 for p in paths if p is not sgd)
    d = figures.contour_figure(s, grid, paths, DIVERGE.start).to_dict()
    marks = [t for t in d["data"] if t.get("mode") == "markers+text"]
    assert len(marks) == 1
    assert marks[0]["text"] == [f"diverged at step {sgd.diverged_at}"]
    # drawn on the plot (the last finite point itself is far outside it)
    mx, my = marks[0]["x"][0], marks[0]["y"][0]
    assert s.x_range[0] <= mx <= s.x_range[1] and s.y_range[0] <= my <= s.y_range[1]
    assert np.sign(mx) == np.sign(sgd.points[sgd.diverged_at - 1][0])  # on the side it left by
    note = figures.divergence_note(s, sgd)
    assert note.startswith(sgd.label) and f"diverged at step {sgd.diverged_at}" in note
    assert "smaller learning rate" in note
    # the panel of the diverged path carries the marker too
    pd = figures.panels_figure(s, grid, paths, DIVERGE.start).to_dict()
    assert [t["text"] for t in pd["data"] if t.get("mode") == "markers+text"] == [marks[0]["text"]]


def test_runaway_on_a_surface_without_minimum_is_worded_as_leaving():
    s, grid, paths = parts(SADDLE)
    gone = [p for p in paths if p.diverged_at > 0]
    assert gone
    note = figures.divergence_note(s, gone[0])
    assert "left the plot" in note and "no minimum" in note and "diverged" not in note


def test_loss_axis_is_log_gap_with_minimum_linear_without():
    s, grid, paths = parts(ZIGZAG)
    d = figures.loss_figure(s, grid, paths).to_dict()
    assert d["layout"]["yaxis"]["type"] == "log"
    for t, p in zip(d["data"], paths):
        y = arr(t["y"])
        np.testing.assert_allclose(y, np.maximum(s.value(p.points) - 0.0, 1e-16), rtol=1e-6)
        assert (y > 0).all()
        assert arr(t["x"]).tolist() == list(range(ZIGZAG.steps + 1))
    s, grid, paths = parts(SADDLE)
    d = figures.loss_figure(s, grid, paths).to_dict()
    assert d["layout"]["yaxis"]["type"] == "linear"
    for t, p in zip(d["data"], paths):  # raw f, negative values and all; stops at divergence
        np.testing.assert_allclose(arr(t["y"]), s.value(p.finite), rtol=1e-6)


def test_loss_of_diverged_path_stops_before_divergence():
    s, grid, paths = parts(DIVERGE)
    d = figures.loss_figure(s, grid, paths).to_dict()
    sgd = next(i for i, p in enumerate(paths) if p.name == "sgd")
    assert len(arr(d["data"][sgd]["y"])) == paths[sgd].diverged_at
    assert np.isfinite(arr(d["data"][sgd]["y"])).all()


def test_click_grid_is_invisible_but_clickable():
    s, grid, paths = parts(ZIGZAG)
    d = figures.contour_figure(s, grid, paths, ZIGZAG.start).to_dict()
    clicks = [t for t in d["data"] if t.get("name") == "click to start here"]
    assert len(clicks) == 1
    c = clicks[0]
    assert c["type"] == "scatter" and c["mode"] == "markers"
    assert c["hoverinfo"] == "none"  # "skip" would make the points unclickable
    assert c["marker"]["opacity"] == 0
    assert c["selected"]["marker"]["opacity"] == 0 and c["unselected"]["marker"]["opacity"] == 0
    x, y = arr(c["x"]), arr(c["y"])
    assert len(x) == len(y) >= 400
    assert (x.min(), x.max()) == s.x_range and (y.min(), y.max()) == s.y_range
    assert d["layout"]["clickmode"] == "event+select"
    d = figures.contour_figure(s, grid, paths, ZIGZAG.start, clickable=False).to_dict()
    assert not [t for t in d["data"] if t.get("name") == "click to start here"]


def test_contour_window_and_aspect():
    s, grid, paths = parts(ZIGZAG)
    d = figures.contour_figure(s, grid, paths, ZIGZAG.start).to_dict()
    lay = d["layout"]
    assert lay["xaxis"]["range"] == list(s.x_range) and lay["yaxis"]["range"] == list(s.y_range)
    assert lay["yaxis"]["scaleanchor"] == "x" and lay["yaxis"]["scaleratio"] == 1
    # the filled contour is a PNG backdrop spanning exactly the window (a layout
    # image, because plotly.js drops contour traces while animating)
    (img,) = lay["images"]
    assert img["source"].startswith("data:image/png;base64,") and img["layer"] == "below"
    assert (img["x"], img["y"], img["sizex"], img["sizey"]) == (
        s.x_range[0], s.y_range[1], s.x_range[1] - s.x_range[0], s.y_range[1] - s.y_range[0])
    png = base64.b64decode(img["source"].split(",", 1)[1])
    w, h = struct.unpack(">II", png[16:24])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and abs(w / h - 2.0) < 0.02  # the bowl's 2:1 window
    assert not [t for t in d["data"] if t.get("type") in ("contour", "heatmap")]
    # start and minimum are marked where they are
    start = next(t for t in d["data"] if t.get("name") == "start")
    assert (start["x"], start["y"]) == ([ZIGZAG.start[0]], [ZIGZAG.start[1]])
    star = next(t for t in d["data"] if t.get("name") == "global minimum")
    assert list(zip(star["x"], star["y"])) == list(s.minima)


def test_same_optimizer_has_the_same_colour_everywhere():
    s, grid, paths = parts(TEXTBOOK)
    c = figures.contour_figure(s, grid, paths, TEXTBOOK.start).to_dict()
    p3 = figures.surface3d_figure(s, grid, paths, TEXTBOOK.start).to_dict()
    for p in paths:
        colours = {t["line"]["color"] for t in c["data"] + p3["data"]
                   if t.get("name") == p.label and "line" in t}
        assert colours == {figures.color(p.name)}
    assert len({figures.color(n) for n in optimizers.names()}) == len(optimizers.names())


def test_default_playground_figure_is_small():
    s, grid, paths = parts(presets.ZIGZAG)
    fig = figures.contour_figure(s, grid, paths, presets.ZIGZAG.start)
    size = len(pio.to_json(fig.to_dict(), validate=False))
    assert size <= 400_000, f"default playground figure is {size} bytes"
    # and the arrays really travel as typed arrays, not as lists of numbers
    ghost = next(t for t in fig.to_dict()["data"] if t.get("opacity") == 0.35)
    assert isinstance(ghost["x"], dict) and "bdata" in ghost["x"]


def test_plain_figure_to_dict_keeps_frames_and_data():
    s, grid, paths = parts(ZIGZAG)
    fig = figures.contour_figure(s, grid, paths, ZIGZAG.start)
    assert isinstance(fig, go.Figure)
    d = fig.to_dict()
    assert set(d) == {"data", "layout", "frames"}
    assert len(fig.data) == len(d["data"]) and fig.data[0].type == "scatter"


def test_standalone_html_has_plotly_js_and_an_explicit_template():
    import streamlit  # noqa: F401  (makes "streamlit" Plotly's default template)

    assert pio.templates.default == "streamlit"
    s, grid, paths = parts(ZIGZAG, 60)
    fig = figures.contour_figure(s, grid, paths, ZIGZAG.start)
    html = figures.standalone_html(fig)
    assert html.lstrip().lower().startswith("<html") or "<!doctype html" in html.lower()[:200]
    assert "plotly.js v" in html or "Plotly.newPlot" in html
    assert len(html) > 1_000_000  # plotly.js inlined, not fetched from a CDN
    assert '"template":{' in html
    assert '"colorway":["#636efa"' in html  # plotly_white's own palette
    assert "#000011" not in html  # none of the streamlit template's placeholder colours
    assert '"frames":' in html or "addFrames" in html  # animation survives the export


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


def test_figures_accept_a_view_with_every_optimizer():
    view = View("himmelblau", tuple(Run.of(n, lr=1e-2) for n in optimizers.names()), (-0.3, -0.9), 40)
    s, grid, paths = parts(view, 60)
    d = validated(figures.contour_figure(s, grid, paths, view.start))
    assert len(d["frames"][0]["traces"]) == 2 * len(optimizers.names())
    validated(figures.loss_figure(s, grid, paths))
    validated(figures.surface3d_figure(s, grid, paths, view.start))
