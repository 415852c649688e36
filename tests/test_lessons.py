"""Every view that teaches says what it draws (issue 7).

A surface opens on ``presets.opening(name)`` and shows its ``lesson`` text
beside it; a lesson button shows its blurb; a demo on the Update rules page
shows ``demo_note``. Each test below runs the view with ``optimizers.run`` and
checks the claim its text makes, in the words of the text. Change a learning
rate in ``viz/presets.py`` and the claim it breaks fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

import optimizers
import surfaces
from viz import presets, state
from viz.state import Run, Scenario


def trace(sc: Scenario, run: Run) -> optimizers.Trajectory:
    s = state.surface_of(sc.surface)
    return optimizers.run(optimizers.get(run.name, **run.kwargs), s, sc.start, sc.steps)


def traces(sc: Scenario) -> dict[str, optimizers.Trajectory]:
    """One trajectory per optimizer name (the views here use each optimizer once)."""
    assert len({r.name for r in sc.runs}) == len(sc.runs)
    return {r.name: trace(sc, r) for r in sc.runs}


def lr_of(sc: Scenario, name: str) -> float:
    return next(r.lr for r in sc.runs if r.name == name)


def with_lr(sc: Scenario, name: str, lr: float) -> optimizers.Trajectory:
    """The view's run of ``name`` at another learning rate (a claim about what would happen)."""
    return trace(sc, Run.of(name, lr=lr))


def left_at(surface, tr) -> int | None:
    """First step whose point lies outside the plot window (None if it never leaves)."""
    out = np.nonzero(~surface.contains(tr.points))[0]
    return int(out[0]) if out.size else None


def end(tr) -> np.ndarray:
    pts = tr.points[np.isfinite(tr.points).all(axis=-1)]
    return pts[-1]


def dist(p, q) -> float:
    return float(np.linalg.norm(np.asarray(p, float) - np.asarray(q, float)))


def sign_flips(values) -> float:
    """Fraction of steps at which ``values`` changes sign."""
    v = np.sign(np.asarray(values))
    return float(np.mean(v[1:] != v[:-1]))


def monotone(losses) -> bool:
    return bool(np.all(np.diff(losses) <= 0))


def steep_direction(s, at) -> np.ndarray:
    """The Hessian's steepest eigenvector at ``at`` (central differences of the gradient)."""
    h = 1e-5
    rows = [(s.grad(np.add(at, d)) - s.grad(np.subtract(at, d))) / (2 * h)
            for d in ((h, 0.0), (0.0, h))]
    w, v = np.linalg.eigh((np.array(rows) + np.array(rows).T) / 2)
    return v[:, np.argmax(w)]


def uncovered(a: np.ndarray, b: np.ndarray) -> float:
    """How far path ``a`` strays from the drawn polyline ``b``: the largest distance from a
    point of ``a`` to its nearest point on any segment of ``b``. Near 0: ``a`` is hidden under ``b``."""
    a = a[np.isfinite(a).all(axis=-1)]
    b = b[np.isfinite(b).all(axis=-1)]
    if len(b) == 1:
        return float(np.linalg.norm(a - b[0], axis=-1).max())
    p, q = b[:-1], b[1:]
    d = q - p
    t = np.einsum("nmk,mk->nm", a[:, None, :] - p[None], d) / np.maximum((d * d).sum(-1), 1e-300)
    nearest = p[None] + np.clip(t, 0, 1)[..., None] * d[None]
    return float(np.linalg.norm(a[:, None, :] - nearest, axis=-1).min(axis=1).max())


VIEWS = ([(f"opening:{k}", v) for k, v in presets.OPENINGS.items()]
         + [(f"lesson:{p.key}", p.scenario) for p in presets.PRESETS]
         + [(f"demo:{n}", presets.demo(n)) for n in optimizers.names()])


# --- every view is a sound picture -------------------------------------------------------------


def test_every_surface_has_a_hand_picked_opening():
    assert set(presets.OPENINGS) == set(surfaces.names())
    for name in surfaces.names():
        assert presets.opening(name) is presets.OPENINGS[name]
        assert presets.OPENINGS[name].surface == name


@pytest.mark.parametrize("key,sc", VIEWS, ids=[k for k, _ in VIEWS])
def test_view_is_drawable(key, sc):
    s = state.surface_of(sc.surface)
    assert bool(s.contains(sc.start)), f"{key}: start {sc.start} is outside the window"
    assert 1 <= sc.steps <= 300
    assert 1 <= len(sc.runs) <= 4 and (key.startswith("demo:") or len(sc.runs) >= 2)
    assert sc.noise == 0
    for r in sc.runs:
        tr = trace(sc, r)
        assert np.isfinite(tr.points[:4]).all(), f"{key}: {r.text} is not finite in its first steps"
    # what a link makes of the view is the view
    assert state.decode_link(sc.link) == sc


@pytest.mark.parametrize("key,sc", [(k, v) for k, v in VIEWS if not k.startswith("demo:sgd")],
                         ids=[k for k, _ in VIEWS if not k.startswith("demo:sgd")])
def test_every_path_is_visible(key, sc):
    """No path lies under another: each strays from every other by more than 1% of the window."""
    s = state.surface_of(sc.surface)
    tol = 0.01 * s.span
    pts = {r.text: trace(sc, r).points for r in sc.runs}
    for a in pts:
        for b in pts:
            if a != b:
                assert uncovered(pts[a], pts[b]) > tol, f"{key}: {a} is drawn under {b}"


def test_a_formula_surface_opens_on_sgd_and_adam_at_their_tuned_rates():
    from viz.tuning import default_lr

    key = state.formula_key("x^2 + 3*y^2", (-2.0, 2.0), (-2.0, 2.0))
    sc = presets.opening(key)
    assert [r.name for r in sc.runs] == ["sgd", "adam"]
    assert [r.lr for r in sc.runs] == [default_lr(key, "sgd"), default_lr(key, "adam")]
    assert sc.start == state.surface_of(key).start and sc.steps == 100 and sc.surface == key


# --- each surface's lesson text, on its opening view ---------------------------------------------

OPEN = presets.OPENINGS


def test_bowl_sgd_zigzags_and_adam_glides():
    sc = OPEN["bowl"]
    t = traces(sc)
    assert (lr_of(sc, "sgd"), lr_of(sc, "adam")) == (0.95, 0.2)
    assert sign_flips(t["sgd"].points[:, 1]) >= 0.9           # "y flips sign each time"
    assert monotone(t["adam"].losses)                         # "loss falling at every step"
    assert t["sgd"].losses[-1] < t["adam"].losses[-1]         # "SGD still ends lower here"
    y = with_lr(sc, "sgd", 1.05).points[:, 1]                 # "beyond 1.0 its zigzag grows"
    assert sign_flips(y) >= 0.9 and np.all(np.abs(y[1:]) > np.abs(y[:-1]))


def _escapes(name, stay_near_saddle):
    sc = OPEN[name]
    s = surfaces.get(name)
    t = traces(sc)
    assert left_at(s, t["sgd"]) is None                       # "still on the plot / beside it"
    if stay_near_saddle:
        assert dist(end(t["sgd"]), (0, 0)) < 0.5
    for n in ("rmsprop", "adagrad", "adam"):                  # "leave within 5 to 20 steps"
        step = left_at(s, t[n])
        assert step is not None and 5 <= step <= 20, (n, step)


def test_saddle_adaptive_methods_leave_while_sgd_crawls_to_the_saddle():
    _escapes("saddle", stay_near_saddle=True)


def test_monkey_saddle_adaptive_methods_leave_while_sgd_crawls():
    _escapes("monkey_saddle", stay_near_saddle=False)


def test_rosenbrock_valley_is_quick_its_floor_is_slow():
    sc = OPEN["rosenbrock"]
    t = traces(sc)
    for n, tr in t.items():
        p = tr.points
        in_valley = np.nonzero(np.abs(p[:, 1] - p[:, 0] ** 2) < 0.1)[0]
        assert in_valley.size and in_valley[0] <= 12, n      # "in it within about ten steps"
        assert dist(end(tr), (1, 1)) > 0.1, n                 # "none has arrived"
    assert end(t["sgd"])[0] < -0.1                            # "less than half the way" (x from -1.2 to 1)
    gaps = {n: dist(end(tr), (1, 1)) for n, tr in t.items()}
    assert min(gaps, key=gaps.get) == "momentum"              # "Momentum gets closest"


def test_beale_fixed_step_crawls_or_blows_up_adaptive_steps_arrive():
    sc = OPEN["beale"]
    s = surfaces.get("beale")
    t = traces(sc)
    g = np.linalg.norm(s.grad(t["adam"].points), axis=-1)
    assert g[0] / g[-1] > 1000                                # "the slope shrinks a thousandfold"
    assert dist(end(t["sgd"]), (3, 0.5)) > 0.2                # "still short of the minimum"
    assert left_at(s, with_lr(sc, "sgd", 10 * lr_of(sc, "sgd"))) is not None   # "at lr 0.1 thrown off"
    for n in ("adagrad", "adam"):
        assert dist(end(t[n]), (3, 0.5)) < 0.01, n            # "reach the minimum"


def test_himmelblau_runs_end_in_different_minima():
    t = traces(OPEN["himmelblau"])
    s = surfaces.get("himmelblau")
    low_left, up_left = s.minima[2], s.minima[1]
    assert np.allclose(low_left, (-3.78, -3.28), atol=0.01) and np.allclose(up_left, (-2.81, 3.13), atol=0.01)
    for n in ("sgd", "momentum"):
        assert dist(end(t[n]), low_left) < 0.05, n
    for n in ("rmsprop", "adam"):
        assert dist(end(t[n]), up_left) < 0.05, n
        first = t[n].points[1] - t[n].points[0]               # "first steps go equally far in x and y"
        assert abs(abs(first[0]) - abs(first[1])) < 1e-6 * np.abs(first).max()


def test_rastrigin_each_run_settles_in_its_own_dip_none_at_the_origin():
    sc = OPEN["rastrigin"]
    assert sc == presets.BY_KEY["local"].scenario
    t = traces(sc)
    dips = {"sgd": (3, 2), "momentum": (3, 1), "adagrad": (2, 2), "rmsprop": (1, 1)}
    for n, dip in dips.items():
        assert dist(end(t[n]), dip) < 0.1, (n, end(t[n]))
    for n, tr in t.items():
        assert np.linalg.norm(tr.points, axis=-1).min() > 0.5, n   # never near the global minimum


def test_camel_local_and_global_outcomes():
    t = traces(OPEN["camel"])
    s = surfaces.get("camel")
    assert dist(end(t["sgd"]), (-1.607, -0.569)) < 0.01           # the poor dip next to the start
    assert dist(end(t["sgd"]), OPEN["camel"].start) < 0.6
    assert t["sgd"].losses[-1] > s.f_min + 3
    assert dist(end(t["momentum"]), (-1.70, 0.80)) < 0.01         # another dip
    assert dist(end(t["adam"]), (0.09, -0.71)) < 0.01             # a global minimum
    assert t["adam"].losses[-1] == pytest.approx(s.f_min, abs=1e-4)


def test_goldstein_price_sgd_needs_a_tiny_rate_and_settles_in_the_local_minimum():
    sc = OPEN["goldstein_price"]
    s = surfaces.get("goldstein_price")
    corners = s.value([(x, y) for x in s.x_range for y in s.y_range])
    assert s.f_min == pytest.approx(3) and 5e5 < corners.max() < 2e6  # "3 ... about a million"
    t = traces(sc)
    assert lr_of(sc, "sgd") == 1e-5
    assert left_at(s, with_lr(sc, "sgd", 5e-5)) == 1                  # "its first step throws it off"
    for n in ("sgd", "rmsprop"):
        assert dist(end(t[n]), (-0.6, -0.4)) < 0.02, n
        assert t[n].losses[-1] == pytest.approx(30, abs=0.1)
    assert dist(end(t["adam"]), (0, -1)) < 0.01


def test_least_squares_sgd_zigzags_across_the_valley():
    sc = OPEN["least_squares"]
    s = surfaces.get("least_squares")
    t = traces(sc)
    m = s.minima[0]
    across = steep_direction(s, m)
    assert abs(across[1] / across[0]) < 0.25                          # the valley runs along b ≈ -5w
    assert sign_flips((t["sgd"].points - m) @ across) >= 0.9          # "zigzags at every step"
    assert left_at(s, with_lr(sc, "sgd", 0.045)) is not None  # "just under the rate where it blows up"
    d_sgd = dist(end(t["sgd"]), m)
    assert d_sgd > 1                                                  # "crawling along it"
    for n in ("momentum", "adam"):                                    # "get much closer"
        assert dist(end(t[n]), m) < d_sgd / 3, n


def test_least_squares_std_sgd_goes_straight_in_adam_bends():
    sc = OPEN["least_squares_std"]
    s = surfaces.get("least_squares_std")
    t = traces(sc)
    start, m = np.array(sc.start), np.array(s.minima[0])
    u = (m - start) / np.linalg.norm(m - start)
    off_line = lambda p: np.abs((p - start) @ np.array([-u[1], u[0]])).max()  # noqa: E731
    p = t["sgd"].points
    assert off_line(p) < 1e-9                                          # "straight in"
    d = np.linalg.norm(p - m, axis=-1)
    assert np.all(np.diff(d[d > 1e-9]) < 0) and d[-1] < 1e-3           # no zigzag, and it arrives
    raw = Scenario("least_squares", sc.runs, surfaces.get("least_squares").start, sc.steps)
    assert left_at(surfaces.get("least_squares"), with_lr(raw, "sgd", lr_of(sc, "sgd"))) is not None
    assert off_line(t["adam"].points) > 0.3                            # "takes a bent path"


def test_logistic_bowl_is_shallow_sgd_crawls_momentum_and_adam_arrive():
    sc = OPEN["logistic"]
    s = surfaces.get("logistic")
    t = traces(sc)
    slopes = np.linalg.norm(s.grad(t["sgd"].points), axis=-1)
    assert 0.35 < slopes[0] < 0.45 and slopes.max() <= slopes[0]       # "a slope of only about 0.4"
    m = s.minima[0]
    assert dist(end(t["sgd"]), m) > 0.5 and monotone(t["sgd"].losses)  # "still crawling"
    for n in ("momentum", "adam"):
        assert dist(end(t[n]), m) < 0.1, n                             # "both arrive"
    assert dist(end(with_lr(sc, "sgd", 5.0)), m) < 0.01                # "needs a rate near 5"


def test_every_surface_has_a_test_of_its_lesson():
    tested = {"bowl", "saddle", "monkey_saddle", "rosenbrock", "beale", "himmelblau", "rastrigin",
              "camel", "goldstein_price", "least_squares", "least_squares_std", "logistic"}
    assert tested == set(surfaces.names())


# --- the lesson buttons: each blurb describes its picture ----------------------------------------


def test_zigzag_lesson_is_the_bowl_opening():
    assert presets.BY_KEY["zigzag"].scenario == presets.ZIGZAG == OPEN["bowl"]


def test_saddle_escape_lesson():
    sc = presets.BY_KEY["saddle"].scenario
    s = surfaces.get(sc.surface)
    t = traces(sc)
    assert left_at(s, t["sgd"]) is None and dist(end(t["sgd"]), (0, 0)) < 0.5
    assert {n: left_at(s, t[n]) for n in ("rmsprop", "adagrad", "momentum")} == {
        "rmsprop": 5, "adagrad": 9, "momentum": 21}                    # as the blurb says


def test_banana_lesson():
    sc = presets.BY_KEY["banana"].scenario
    assert sc == OPEN["rosenbrock"]  # its claims are checked there


def test_local_minima_lesson_ends_in_four_different_dips():
    t = traces(presets.BY_KEY["local"].scenario)
    ends = [tuple(np.round(end(tr))) for tr in t.values()]
    assert len(set(ends)) == 4 and (0.0, 0.0) not in ends


def test_lr_too_large_lesson():
    sc = presets.BY_KEY["diverge"].scenario
    s = surfaces.get(sc.surface)
    t = traces(sc)
    assert lr_of(sc, "sgd") > 1 and left_at(s, t["sgd"]) == 6
    y = t["sgd"].points[: 6, 1]
    assert np.all(np.abs(y[1:]) > np.abs(y[:-1]))                     # the zigzag grows
    for n in ("momentum", "adam"):
        assert left_at(s, t[n]) is None and t[n].losses[-1] < 0.01 * t[n].losses[0]


# --- the Update rules demos: the demonstrated method wins on the stated number -------------------


@pytest.mark.parametrize("name", optimizers.names())
def test_demo_shows_its_method_beating_sgd(name):
    sc = presets.demo(name)
    note = presets.demo_note(name)
    assert isinstance(note, str) and note.endswith(".") and note.count(". ") == 0  # one sentence
    assert optimizers.spec(name).label.split()[0] in note
    s = state.surface_of(sc.surface)
    t = traces(sc)
    if name == "sgd":
        assert [r.name for r in sc.runs] == ["sgd"]
        assert sign_flips(t["sgd"].points[:, 1]) >= 0.9
        return
    assert [r.name for r in sc.runs] == ["sgd", name]
    metric = presets.DEMOS[name].metric
    if metric == "escape":
        assert left_at(s, t["sgd"]) is None
        assert left_at(s, t[name]) is not None and left_at(s, t[name]) <= 5
        return
    assert metric == "loss"
    f_min = s.f_min
    gap = {n: float(tr.losses[-1] - f_min) for n, tr in t.items()}
    assert left_at(s, t[name]) is None
    assert gap[name] < gap["sgd"] / 5, gap                            # wins by a margin you can read
    # ...and SGD is not handicapped: no learning rate near the demo's does much better
    lrs = lr_of(sc, "sgd") * np.array([0.5, 0.8, 1.25])
    other = optimizers.run(optimizers.get("sgd", lr=lrs), s, sc.start, sc.steps)
    ok = s.contains(other.points).all(axis=0)
    best = np.where(ok, other.losses[-1] - f_min, np.inf).min()
    if name != "adadelta":  # on the camel a larger SGD rate bounces between dips (the note says so)
        assert gap[name] < best, (gap, best)
