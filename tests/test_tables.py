"""Numbers about paths: the summary table, the CSV export, and a click turned into a start."""

import csv
import io
import math

import numpy as np
import pytest

import optimizers
import surfaces
from viz import figures, presets, tables
from viz.figures import Path
from viz.state import Run, Scenario

BOWL = surfaces.get("bowl")          # x²/20 + y², window [-10, 10] × [-5, 5], minimum (0, 0)
SADDLE = surfaces.get("saddle")      # x² − y², window [-2, 2]², no minimum
HIMMELBLAU = surfaces.get("himmelblau")
NAN = math.nan


def path(name, points, diverged_at=-1, label=None):
    return Path(name, label or name.upper(), np.array(points, dtype=float), diverged_at)


def test_tolerance_is_one_percent_of_the_larger_side():
    assert tables.tolerance(BOWL) == pytest.approx(0.2)
    assert tables.tolerance(SADDLE) == pytest.approx(0.04)
    assert tables.tolerance(surfaces.get("rastrigin")) == pytest.approx(0.1024)


def test_summary_of_a_converging_path():
    p = path("sgd", [[-7, 2], [-1, 0], [0.1, 0], [0.05, 0.01]])
    (row,) = tables.summary(BOWL, [p])
    assert row["optimizer"] == "SGD"
    assert row["final loss"] == pytest.approx(0.05**2 / 20 + 0.01**2)
    assert row["distance to minimum"] == pytest.approx(math.hypot(0.05, 0.01))
    assert row["steps to within tol"] == 2  # |(0.1, 0)| = 0.1 <= 0.2; step 1 is 1 away
    assert row["diverged at"] is None


def test_summary_of_a_path_that_never_gets_close_and_one_that_diverges():
    slow = path("adam", [[-7, 2], [-6, 1.5], [-5, 1]])
    gone = path("sgd", [[3, 4], [30, 40], [NAN, NAN], [NAN, NAN]], diverged_at=2)
    r_slow, r_gone = tables.summary(BOWL, [slow, gone])
    assert r_slow["steps to within tol"] is None
    assert r_slow["distance to minimum"] == pytest.approx(math.hypot(5, 1))
    # the diverged path is measured at its last finite point
    assert r_gone["final loss"] == pytest.approx(30**2 / 20 + 40**2)
    assert r_gone["distance to minimum"] == pytest.approx(50.0)
    assert r_gone["diverged at"] == 2 and r_gone["steps to within tol"] is None


def test_summary_uses_the_nearest_of_several_minima():
    p = path("adam", [[0, 0], [-2.805118086952745, 3.5], [3.0, 2.05]])
    (row,) = tables.summary(HIMMELBLAU, [p])
    assert row["distance to minimum"] == pytest.approx(0.05)  # to (3, 2), not the first listed
    assert row["steps to within tol"] == 2  # step 1 is 0.37 from (-2.8, 3.13); tol is 0.1
    assert row["final loss"] == pytest.approx(float(HIMMELBLAU.value([3.0, 2.05])))


def test_summary_without_minimum_has_no_distance_columns():
    (row,) = tables.summary(SADDLE, [path("sgd", [[-1.8, 0.01], [-1.44, 0.012]])])
    assert set(row) == {"optimizer", "final loss", "path ratio", "diverged at"}
    assert row["final loss"] == pytest.approx(1.44**2 - 0.012**2)


def test_path_ratio():
    assert tables.path_ratio(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(1.0)
    # there and back and on: 5 + 5 + 10 travelled for 5 of progress
    assert tables.path_ratio(np.array([[0.0, 0], [3, 4], [0, 0], [3, 4]], float)) == pytest.approx(3.0)
    assert math.isnan(tables.path_ratio(np.array([[1.0, 2.0]])))
    assert tables.path_ratio(np.array([[1.0, 2.0], [1.0, 2.0]])) == 1.0
    assert tables.path_ratio(np.array([[0.0, 0], [1, 0], [0, 0]])) == math.inf


def test_summary_markdown_table():
    ps = [path("sgd", [[-7, 2], [-1, 0], [0.1, 0]], label="SGD (η=0.95)"),
          path("adam", [[3, 4], [30, 40], [NAN, NAN]], diverged_at=2, label="Adam (η=0.3)")]
    lines = tables.summary_markdown(BOWL, ps).splitlines()
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    assert head == ["Optimizer", "Final loss", "Path ÷ straight line", "Distance to the minimum",
                    "Steps to within 0.2 of the minimum", "Diverged"]  # a distance, named as one
    assert lines[1] == "|---|---|---|---|---|---|"
    ratio = tables.path_ratio(np.array([[-7, 2], [-1, 0], [0.1, 0]], float))
    assert lines[2] == f"| SGD (η=0.95) | 5.00e-04 | {ratio:.2f}× | 0.1 | 2 | — |"
    assert lines[3] == "| Adam (η=0.3) | 1.64e+03 | 1.00× | 50 | not reached | step 2 |"
    saddle = tables.summary_markdown(SADDLE, [path("sgd", [[-1.8, 0.01], [1e-4, 0]])]).splitlines()
    head = [c.strip() for c in saddle[0].strip("|").split("|")]
    assert head == ["Optimizer", "Final loss", "Path ÷ straight line", "Left the plot"]
    assert saddle[2] == "| SGD | 1.00e-08 | 1.00× | — |"


def test_divergence_is_in_the_table_and_in_the_notes():
    """A diverged path is never only a missing line: the table and the note both say so."""
    view = presets.BY_KEY["diverge"].scenario
    ps = make_paths(view)
    sgd = next(p for p in ps if p.name == "sgd")
    assert sgd.diverged_at > 0
    table = tables.summary_markdown(BOWL, ps)
    assert f"step {sgd.diverged_at}" in next(line for line in table.splitlines() if sgd.label in line)
    assert f"diverged at step {sgd.diverged_at}" in figures.divergence_note(BOWL, sgd)


def test_reading_names_who_ends_lowest_and_what_it_paid():
    ps = make_paths(presets.ZIGZAG)
    text = tables.reading(BOWL, ps)
    rows = {r["optimizer"]: r for r in tables.summary(BOWL, ps)}
    low = min(rows, key=lambda k: rows[k]["final loss"])
    assert text.startswith(f"{low} ends lowest")
    assert "2/L = 1.0" in text  # why SGD's loss is low here, and where it would diverge
    assert tables.reading(BOWL, ps[:1]) == ""  # nothing to compare


def first_step_outside(surface, points) -> int | None:
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    x, y = points[:, 0], points[:, 1]
    out = ~(np.isfinite(points).all(axis=1) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    return int(np.argmax(out)) if out.any() else None


def test_left_the_plot_column_names_the_step_a_path_left_the_plot():
    """On a surface without minimum the table's last column reads "Left the plot".

    That should be the first step outside the drawn window; what the app puts
    there is the runner's divergence step (a point 10 window widths out).
    """
    view = presets.BY_KEY["saddle"].scenario
    ps = [path(p.name, p.points, p.diverged_at, label=p.name) for p in make_paths(view)]
    rows = tables.summary_markdown(SADDLE, ps).splitlines()[2:]
    shown = {row.split(" | ")[0].strip("| "): row.rsplit(" | ", 1)[1].strip(" |") for row in rows}
    left = {p.name: first_step_outside(SADDLE, p.points) for p in ps}
    want = {n: "—" if s is None else f"step {s}" for n, s in left.items()}
    assert shown == want, (f"'Left the plot' column {shown}; the paths actually leave the "
                           f"[-2, 2]² window at {want}")


def make_paths(sc: Scenario) -> list[Path]:
    """The paths a page draws for ``sc`` (as ui.cache builds them)."""
    s = surfaces.get(sc.surface)
    out = []
    for i, r in enumerate(sc.runs):
        tr = optimizers.run(optimizers.get(r.name, **r.kwargs), s, sc.start, sc.steps,
                            noise=sc.noise, seed=sc.seed)
        out.append(Path(r.name, figures.run_label(r), tr.points, int(tr.diverged_at),
                        copy=figures.copy_index(sc.runs, i)))
    return out


def read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """Comment lines, then the rows (what pandas.read_csv(comment="#") would read)."""
    lines = text.splitlines()
    comments = [line for line in lines if line.startswith("#")]
    assert lines[:len(comments)] == comments, "comments come first"
    return comments, list(csv.DictReader(io.StringIO("\n".join(lines[len(comments):]))))


def test_paths_csv():
    ps = [path("sgd", [[-7, 2], [-1, 0.5], [0.1, 0]]),
          path("adam", [[3, 4], [30, 40], [NAN, NAN], [NAN, NAN]], diverged_at=2)]
    text = tables.paths_csv(BOWL, ps)
    assert text.splitlines()[0] == "step,optimizer,run,x,y,loss"
    _, rows = read_csv(text)
    assert len(rows) == 3 + 2  # diverged points left out
    assert [(r["step"], r["optimizer"], r["run"]) for r in rows] == [
        ("0", "sgd", "0"), ("1", "sgd", "0"), ("2", "sgd", "0"), ("0", "adam", "1"), ("1", "adam", "1")]
    for r in rows:  # values read back exactly
        x, y = float(r["x"]), float(r["y"])
        assert float(r["loss"]) == float(BOWL.value([x, y]))
    assert (float(rows[1]["x"]), float(rows[1]["y"])) == (-1.0, 0.5)


SCENARIOS = [
    presets.TEXTBOOK,
    presets.BY_KEY["diverge"].scenario,                  # SGD blows up: fewer rows for it
    presets.BY_KEY["saddle"].scenario,                   # no minimum
    Scenario("bowl", (Run.of("sgd", lr=0.1), Run.of("sgd", lr=0.5),  # the same optimizer twice
                      Run.of("adam", lr=0.3, betas=(0.8, 0.99), eps=1e-6)), (-7.0, 2.0), 40,
             noise=0.5, seed=7),
]


@pytest.mark.parametrize("sc", SCENARIOS, ids=lambda sc: sc.link[:40])
def test_paths_csv_says_what_was_run_and_has_a_line_per_finite_point(sc):
    s = surfaces.get(sc.surface)
    ps = make_paths(sc)
    text = tables.paths_csv(s, ps, sc)
    comments, rows = read_csv(text)
    assert text.endswith("\n") and rows, "never an empty file"
    # the header names the surface, its formula and every run with its hyperparameters
    assert comments[0] == f"# {tables.describe(s, sc)}"
    assert s.label in comments[0] and str(sc.steps) in comments[0]
    assert comments[1:] == [f"# run {i}: {r.text}" for i, r in enumerate(sc.runs)]
    # one line per finite point, per run, in order, each readable back exactly
    assert len(rows) == sum(p.finite.shape[0] for p in ps)
    for j, p in enumerate(ps):
        mine = [r for r in rows if r["run"] == str(j)]
        assert {r["optimizer"] for r in mine} == {sc.runs[j].name}
        assert [int(r["step"]) for r in mine] == list(range(p.finite.shape[0]))
        xy = np.array([[float(r["x"]), float(r["y"])] for r in mine])
        np.testing.assert_array_equal(xy, p.finite)
        np.testing.assert_array_equal([float(r["loss"]) for r in mine], s.value(p.finite))
    assert all(math.isfinite(float(r[k])) for r in rows for k in ("x", "y", "loss"))


def test_describe_names_everything():
    sc = SCENARIOS[-1]
    text = tables.describe(BOWL, sc)
    for needle in (BOWL.label, "x^2/20", "(-7, 2)", "40 steps", "σ=0.5", "seed 7",
                   "SGD (η=0.1)", "SGD (η=0.5)", "Adam (η=0.3", "β=(0.8, 0.99)", "ε=1e-6"):
        assert needle in text, (needle, text)
    assert "σ" not in tables.describe(BOWL, sc.with_(noise=0.0))
    for name in surfaces.names():  # every surface's line is plain text: no LaTeX commands left
        s = surfaces.get(name)
        line = tables.describe(s, presets.ZIGZAG.with_(surface=name, start=s.start))
        assert s.label in line and "\\" not in line and "frac" not in line and "\n" not in line, line
        assert ("L(w" in line) == s.latex.startswith("L(w"), line  # the surface's own left-hand side


# --- a click on the plot -> a start --------------------------------------------------

def sel(*points):
    return {"selection": {"points": [dict(p) for p in points], "box": [], "lasso": []}}


def test_start_from_selection_takes_the_last_point_rounded():
    s = tables.start_from_selection(sel({"x": 9, "y": 9}, {"x": 1.23456, "y": -0.98765,
                                                         "curve_number": 1, "point_index": 7}), BOWL)
    assert s == (1.23, -0.99)  # window 20 wide: 2 decimals
    assert tables.start_from_selection(sel({"x": 0.123456, "y": -1.99999}), SADDLE) == (0.123, -2.0)
    assert tables.start_from_selection(sel({"x": "0.5", "y": 1}), SADDLE) == (0.5, 1.0)


def test_start_from_selection_keeps_x_and_y_apart():
    """Rosenbrock's window is [-2, 2] x [-1, 3]: swapping x and y would land elsewhere, or clamp."""
    rosen = surfaces.get("rosenbrock")
    assert tables.start_from_selection(sel({"x": -1.5, "y": 2.5}), rosen) == (-1.5, 2.5)
    assert tables.start_from_selection(sel({"x": 1.9, "y": -0.8}), rosen) == (1.9, -0.8)
    assert tables.start_from_selection(sel({"x": 0.25, "y": 2.75}), rosen) == (0.25, 2.75)
    assert tables.start_from_selection(sel({"y": 3, "x": -1}), rosen) == (-1.0, 3.0)  # key order irrelevant
    # the bowl's window is twice as wide as it is tall
    assert tables.start_from_selection(sel({"x": 8.0, "y": -4.5}), BOWL) == (8.0, -4.5)


def test_a_click_on_the_figure_starts_where_it_was_clicked():
    """Through the figure's own click grid: the point plotly.js reports is the point clicked."""
    for name in ("rosenbrock", "bowl", "camel"):
        s = surfaces.get(name)
        grid = figures.click_grid_trace(s)
        xs, ys = (np.frombuffer(__import__("base64").b64decode(grid[k]["bdata"]), np.float32)
                  for k in ("x", "y"))
        for i in range(0, len(xs), 97):
            got = tables.start_from_selection(sel({"x": float(xs[i]), "y": float(ys[i]),
                                                   "curve_number": 0, "point_index": i}), s)
            assert got == pytest.approx((xs[i], ys[i]), abs=s.span / 1000), (name, i)


@pytest.mark.parametrize("xy, want", [
    ((50, 0), (10.0, 0.0)), ((-50, 0), (-10.0, 0.0)), ((0, 7), (0.0, 5.0)),
    ((-10.004, -5.004), (-10.0, -5.0)), ((9.999, 4.999), (10.0, 5.0)),
])
def test_start_from_selection_clamps_to_the_window(xy, want):
    got = tables.start_from_selection(sel({"x": xy[0], "y": xy[1]}), BOWL)
    assert got == want
    assert BOWL.x_range[0] <= got[0] <= BOWL.x_range[1] and BOWL.y_range[0] <= got[1] <= BOWL.y_range[1]


@pytest.mark.parametrize("selection", [
    None, {}, [], "points", 3, {"selection": None}, {"selection": {}},
    {"selection": {"points": []}}, {"selection": {"points": None}},
    {"selection": {"points": [{"x": 1}]}}, {"selection": {"points": [{"y": 1}]}},
    {"selection": {"points": [{"x": "abc", "y": 1}]}}, {"selection": {"points": [{"x": None, "y": 1}]}},
    {"selection": {"points": [{"x": [1], "y": 1}]}}, {"selection": {"points": ["x"]}},
    {"selection": {"points": [{"x": math.nan, "y": 1}]}}, {"selection": {"points": [{"x": 1, "y": math.inf}]}},
], ids=repr)
def test_start_from_selection_without_a_usable_point_is_none(selection):
    assert tables.start_from_selection(selection, BOWL) is None


@pytest.mark.parametrize("name", surfaces.names())
def test_start_from_selection_on_the_click_grid_stays_in_window(name):
    """Every point of the invisible click grid maps to a start inside the window."""
    s = surfaces.get(name)
    for x in np.linspace(*s.x_range, 41)[::4]:
        for y in np.linspace(*s.y_range, 41)[::4]:
            # plotly.js sends float32-rounded coordinates back
            got = tables.start_from_selection(sel({"x": float(np.float32(x)), "y": float(np.float32(y))}), s)
            assert s.x_range[0] <= got[0] <= s.x_range[1] and s.y_range[0] <= got[1] <= s.y_range[1]
            span = max(np.ptp(s.x_range), np.ptp(s.y_range))
            assert abs(got[0] - x) <= span / 1000 and abs(got[1] - y) <= span / 1000
