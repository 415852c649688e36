"""Numbers about paths: the summary table, the CSV export, and a click turned into a start."""

import csv
import io
import math

import numpy as np
import pytest

import optimizers
import surfaces
from viz import presets, tables
from viz.figures import Path

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
    assert set(row) == {"optimizer", "final loss", "diverged at"}
    assert row["final loss"] == pytest.approx(1.44**2 - 0.012**2)


def test_summary_markdown_table():
    ps = [path("sgd", [[-7, 2], [-1, 0], [0.1, 0]], label="SGD (η=0.95)"),
          path("adam", [[3, 4], [30, 40], [NAN, NAN]], diverged_at=2, label="Adam (η=0.3)")]
    lines = tables.summary_markdown(BOWL, ps).splitlines()
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    assert len(head) == 5 and head[:2] == ["Optimizer", "Final loss"]
    assert "0.2" in head[3]  # the tolerance is spelled out
    assert lines[1] == "|---|---|---|---|---|"
    assert lines[2] == "| SGD (η=0.95) | 5.00e-04 | 0.1 | 2 | — |"
    assert lines[3] == "| Adam (η=0.3) | 1.64e+03 | 50 | not reached | step 2 |"
    saddle = tables.summary_markdown(SADDLE, [path("sgd", [[-1.8, 0.01], [1e-4, 0]])]).splitlines()
    head = [c.strip() for c in saddle[0].strip("|").split("|")]
    assert head[:2] == ["Optimizer", "Final loss"] and head[2].startswith("Left the plot")
    assert saddle[2] == "| SGD | 1.00e-08 | — |"


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
    view = presets.BY_KEY["saddle"].view
    ps = []
    for r in view.runs:
        tr = optimizers.run(optimizers.get(r.name, **r.kwargs), SADDLE, view.start, view.steps)
        ps.append(path(r.name, tr.points, int(tr.diverged_at), label=r.name))
    rows = tables.summary_markdown(SADDLE, ps).splitlines()[2:]
    shown = {row.split(" | ")[0].strip("| "): row.rsplit(" | ", 1)[1].strip(" |") for row in rows}
    left = {p.name: first_step_outside(SADDLE, p.points) for p in ps}
    want = {n: "—" if s is None else f"step {s}" for n, s in left.items()}
    assert shown == want, (f"'Left the plot' column {shown}; the paths actually leave the "
                           f"[-2, 2]² window at {want}")


def test_paths_csv():
    ps = [path("sgd", [[-7, 2], [-1, 0.5], [0.1, 0]]),
          path("adam", [[3, 4], [30, 40], [NAN, NAN], [NAN, NAN]], diverged_at=2)]
    text = tables.paths_csv(BOWL, ps)
    assert text.splitlines()[0] == "step,optimizer,x,y,loss"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3 + 2  # diverged points left out
    assert [(r["step"], r["optimizer"]) for r in rows] == [
        ("0", "sgd"), ("1", "sgd"), ("2", "sgd"), ("0", "adam"), ("1", "adam")]
    for r in rows:  # values read back exactly
        x, y = float(r["x"]), float(r["y"])
        assert float(r["loss"]) == float(BOWL.value([x, y]))
    assert (float(rows[1]["x"]), float(rows[1]["y"])) == (-1.0, 0.5)


def test_paths_csv_row_count_for_a_real_run():
    view = presets.TEXTBOOK
    ps = []
    for r in view.runs:
        tr = optimizers.run(optimizers.get(r.name, **r.kwargs), BOWL, view.start, view.steps)
        ps.append(path(r.name, tr.points, int(tr.diverged_at)))
    text = tables.paths_csv(BOWL, ps)
    assert len(text.splitlines()) == 1 + len(view.runs) * (view.steps + 1)
    assert text.endswith("\n")


# --- a click on the plot -> a start --------------------------------------------------

def sel(*points):
    return {"selection": {"points": [dict(p) for p in points], "box": [], "lasso": []}}


def test_start_from_selection_takes_the_last_point_rounded():
    s = tables.start_from_selection(sel({"x": 9, "y": 9}, {"x": 1.23456, "y": -0.98765,
                                                         "curve_number": 1, "point_index": 7}), BOWL)
    assert s == (1.23, -0.99)  # window 20 wide: 2 decimals
    assert tables.start_from_selection(sel({"x": 0.123456, "y": -1.99999}), SADDLE) == (0.123, -2.0)
    assert tables.start_from_selection(sel({"x": "0.5", "y": 1}), SADDLE) == (0.5, 1.0)


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
