"""Our optimizers take the same paths as torch.optim, to float64 rounding.

The reference paths in fixtures/torch_reference.npz come from PyTorch itself
(its own autograd gradient, its own update rules), written by
tools/make_torch_reference.py. PyTorch is not needed here: only the fixture.
fixtures/torch_schedules.npz holds the same under torch.optim.lr_scheduler,
with the lr torch used at each step, which our schedules match exactly.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import optimizers
import surfaces

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "torch_reference.npz"
SCHEDULE_FIXTURE = FIXTURE.with_name("torch_schedules.npz")
REGENERATE = "regenerate it: make fixtures (or any Python with torch: python tools/make_torch_reference.py)"
SURFACES = ("bowl", "saddle", "rosenbrock")
RTOL, ATOL = 1e-10, 1e-12  # float64 rounding, with room for 100 steps of it

with np.load(FIXTURE, allow_pickle=False) as _data:
    CASES = json.loads(str(_data["cases"]))
    TORCH_VERSION = str(_data["torch_version"])
    REFERENCE = {case["id"]: _data[case["id"]] for case in CASES}

with np.load(SCHEDULE_FIXTURE, allow_pickle=False) as _data:
    SCHEDULE_CASES = json.loads(str(_data["cases"]))
    SCHEDULE_REFERENCE = {case["id"]: (_data[case["id"]], _data[case["id"] + "-lrs"])
                          for case in SCHEDULE_CASES}


def first_deviation(points, ref):
    """Describe the first step whose points are not within tolerance of ref."""
    bad = ~np.isclose(points, ref, rtol=RTOL, atol=ATOL)
    step, row, axis = np.argwhere(bad)[0]
    ours, theirs = float(points[step, row, axis]), float(ref[step, row, axis])
    return (f"first deviation at step {step}, start {row}, {'xy'[axis]}: "
            f"ours {ours!r}, torch {theirs!r}, diff {ours - theirs:.3g}")


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_matches_torch(case):
    ref = REFERENCE[case["id"]]
    starts = np.array(case["starts"], dtype=np.float64)
    steps = case["steps"]
    opt = optimizers.get(case["optimizer"], **case["kwargs"])
    tr = optimizers.run(opt, surfaces.get(case["surface"]), starts, steps)

    assert tr.points.shape == ref.shape
    assert tr.losses.shape == ref.shape[:2]
    np.testing.assert_array_equal(
        tr.diverged_at, -1,
        err_msg=f"{case['id']} was chosen not to diverge in torch {TORCH_VERSION}; "
                f"if the divergence rule is right, pick a smaller lr in the generator",
    )
    if not np.allclose(tr.points, ref, rtol=RTOL, atol=ATOL):
        np.testing.assert_allclose(
            tr.points, ref, rtol=RTOL, atol=ATOL,
            err_msg=f"{case['id']} {case['kwargs']} vs torch {TORCH_VERSION}: "
                    + first_deviation(tr.points, ref),
        )


def kwarg_sets(name, surface):
    return {json.dumps(c["kwargs"], sort_keys=True)
            for c in CASES if c["optimizer"] == name and c["surface"] == surface}


def test_fixture_covers_every_optimizer():
    missing = [f"{name} on {surface}" for name in optimizers.names() for surface in SURFACES
               if len(kwarg_sets(name, surface)) < 2]
    assert not missing, (
        f"{FIXTURE.name} needs at least 2 hyperparameter sets per surface for: "
        f"{', '.join(missing)}; add them to CONFIGS in tools/make_torch_reference.py and {REGENERATE}"
    )


def test_fixture_has_no_unknown_optimizer():
    unknown = sorted({c["optimizer"] for c in CASES} - set(optimizers.names()))
    assert not unknown, f"{FIXTURE.name} has cases for {unknown}, not in optimizers.names(); {REGENERATE}"


# --- learning-rate schedules -------------------------------------------------

@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=[case["id"] for case in SCHEDULE_CASES])
def test_schedule_matches_torch(case):
    ref, ref_lrs = SCHEDULE_REFERENCE[case["id"]]
    sched = optimizers.schedule(case["schedule"], **case["schedule_kwargs"])
    # The lr sequence is the same Python arithmetic as torch's: equal, not close.
    lrs = sched.lrs(case["kwargs"]["lr"], case["steps"])
    np.testing.assert_array_equal(lrs, ref_lrs, err_msg=f"{case['id']}: lr per step")
    opt = optimizers.get(case["optimizer"], **case["kwargs"])
    starts = np.array(case["starts"], dtype=np.float64)
    tr = optimizers.run(opt, surfaces.get(case["surface"]), starts, case["steps"], schedule=sched)
    assert tr.points.shape == ref.shape and (tr.diverged_at == -1).all()
    if not np.allclose(tr.points, ref, rtol=RTOL, atol=ATOL):
        np.testing.assert_allclose(
            tr.points, ref, rtol=RTOL, atol=ATOL,
            err_msg=f"{case['id']} {case['schedule_kwargs']} vs torch {TORCH_VERSION}: "
                    + first_deviation(tr.points, ref))


def test_schedule_fixture_covers_every_optimizer_and_schedule():
    have = {(c["optimizer"], c["schedule"], c["surface"]) for c in SCHEDULE_CASES}
    missing = [f"{o} with {s} on {f}" for o in optimizers.names() for s in optimizers.schedule_names()
               for f in ("bowl", "rosenbrock") if (o, s, f) not in have]
    assert not missing, (f"{SCHEDULE_FIXTURE.name} lacks {', '.join(missing)}; add the schedule to "
                         f"SCHEDULES in tools/make_torch_reference.py and {REGENERATE}")
