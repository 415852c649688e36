"""Write tests/fixtures/torch_reference.npz and torch_schedules.npz: PyTorch trajectories.

PyTorch is the independent oracle for ``tests/test_torch_parity.py``: the
three surfaces are written again here in torch, autograd supplies the
gradient, and ``torch.optim`` takes the steps. The NumPy optimizers must
reproduce these paths to float64 rounding.

When to run: whenever an update rule, a default, or the set of optimizers
changes (the coverage test fails and names this script when an optimizer has
no cases here). Run it by hand, from the repository root, with a Python that
has torch (CPU build) and NumPy::

    /tmp/torchvenv/bin/python tools/make_torch_reference.py

then commit the regenerated fixture together with the change. PyTorch is not
a dependency of the app or of its tests; only this script imports it.

What it records: for each case (optimizer x surface x hyperparameter set) a
float64 parameter tensor ``P`` of shape (B, 2) holds B starts; the loss is
``f(P).sum()`` so each row gets its own gradient and torch's elementwise
optimizers move the rows as independent trajectories. ``P`` is stored before
the first step and after each of ``STEPS`` steps: an array (STEPS + 1, B, 2).
The single-tensor code path (``foreach=False``) is used, as on CPU.

Schedules (``torch_schedules.npz``): every optimizer (its first
hyperparameter set) under every learning-rate schedule in SCHEDULES, on the
bowl and Rosenbrock, with ``scheduler.step()`` after every
``optimizer.step()``; each case also stores the lr torch used at every step
(``<id>-lrs``), which the schedule must reproduce exactly.

Before writing, every case is checked: finite, within two window widths of
the surface's window, and well conditioned (a tiny change of the starts is
not amplified enough to turn float64 rounding into a visible difference).
A case that fails stops the script with a message; change its lr.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

STEPS = 100
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
OUT = FIXTURES / "torch_reference.npz"
OUT_SCHEDULES = FIXTURES / "torch_schedules.npz"

torch.set_default_dtype(torch.float64)


# Surfaces, written independently of surfaces/: P is (B, 2), result is (B,).
def bowl(P):
    x, y = P[:, 0], P[:, 1]
    return x**2 / 20 + y**2


def saddle(P):
    x, y = P[:, 0], P[:, 1]
    return x**2 - y**2


def rosenbrock(P):
    x, y = P[:, 0], P[:, 1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


# name: (function, window ((xmin, xmax), (ymin, ymax)), starts; the default first)
SURFACES = {
    "bowl": (bowl, ((-10, 10), (-5, 5)), [(-7.0, 2.0), (8.0, -4.0), (-2.5, -4.5)]),
    "saddle": (saddle, ((-2, 2), (-2, 2)), [(-1.8, 0.01), (1.5, -0.1), (0.5, 0.3)]),
    "rosenbrock": (rosenbrock, ((-2, 2), (-1, 3)), [(-1.5, 2.0), (-0.5, 2.5), (1.2, -0.5)]),
}


# Our registry name -> (torch class, fixed torch kwargs that pick the variant).
TORCH = {
    "sgd": (torch.optim.SGD, {"momentum": 0.0}),
    "momentum": (torch.optim.SGD, {"nesterov": False}),
    "nesterov": (torch.optim.SGD, {"nesterov": True, "dampening": 0.0}),
    "adagrad": (torch.optim.Adagrad, {}),
    "adadelta": (torch.optim.Adadelta, {}),
    "rmsprop": (torch.optim.RMSprop, {}),
    "adam": (torch.optim.Adam, {"amsgrad": False}),
    "amsgrad": (torch.optim.Adam, {"amsgrad": True}),
    "adamax": (torch.optim.Adamax, {}),
    "nadam": (torch.optim.NAdam, {}),
    "radam": (torch.optim.RAdam, {}),
}


# Hyperparameter sets per optimizer: (our kwargs without lr, lr per surface).
# The first set stays near the defaults (with an lr that draws a visible
# path); the others move the remaining hyperparameters off their defaults.
# Every kwarg is spelled out so the library's defaults do not matter.
def lrs(on_bowl, on_saddle, on_rosenbrock):
    return {"bowl": on_bowl, "saddle": on_saddle, "rosenbrock": on_rosenbrock}


CONFIGS = {
    "sgd": [
        ({"weight_decay": 0.0}, lrs(0.1, 0.01, 5e-4)),
        ({"weight_decay": 0.05}, lrs(0.3, 0.015, 2e-4)),
    ],
    "momentum": [
        ({"momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0}, lrs(0.02, 0.002, 1e-4)),
        ({"momentum": 0.7, "dampening": 0.3, "weight_decay": 0.02}, lrs(0.05, 0.005, 2e-4)),
    ],
    "nesterov": [
        ({"momentum": 0.9, "weight_decay": 0.0}, lrs(0.02, 0.002, 1e-4)),
        ({"momentum": 0.5, "weight_decay": 0.02}, lrs(0.1, 0.008, 3e-4)),
    ],
    "adagrad": [
        ({"lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0,
          "eps": 1e-10}, lrs(1.0, 0.1, 0.2)),
        ({"lr_decay": 0.02, "weight_decay": 0.01, "initial_accumulator_value": 0.1,
          "eps": 1e-6}, lrs(2.0, 0.15, 0.3)),
    ],
    "adadelta": [
        ({"rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}, lrs(10.0, 0.3, 2.0)),
        ({"rho": 0.95, "eps": 1e-3, "weight_decay": 0.01}, lrs(1.0, 0.05, 0.05)),
    ],
    "rmsprop": [
        ({"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
          "centered": False}, lrs(0.1, 0.01, 0.01)),
        ({"alpha": 0.9, "eps": 1e-6, "weight_decay": 0.01, "momentum": 0.5,
          "centered": True}, lrs(0.05, 0.005, 0.001)),
        ({"alpha": 0.95, "eps": 1e-4, "weight_decay": 0.0, "momentum": 0.8,
          "centered": False}, lrs(0.03, 0.003, 0.002)),
        ({"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
          "centered": True}, lrs(0.1, 0.01, 0.005)),
    ],
    "adam": [
        ({"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}, lrs(0.3, 0.02, 0.05)),
        ({"betas": [0.8, 0.99], "eps": 1e-4, "weight_decay": 0.05}, lrs(0.5, 0.03, 0.03)),
    ],
    "amsgrad": [
        ({"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}, lrs(0.3, 0.02, 0.05)),
        ({"betas": [0.8, 0.99], "eps": 1e-4, "weight_decay": 0.05}, lrs(0.5, 0.03, 0.03)),
    ],
    "adamax": [
        ({"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}, lrs(0.3, 0.02, 0.05)),
        ({"betas": [0.85, 0.95], "eps": 1e-3, "weight_decay": 0.02}, lrs(0.5, 0.03, 0.03)),
    ],
    "nadam": [
        ({"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0,
          "momentum_decay": 4e-3}, lrs(0.3, 0.02, 0.02)),
        ({"betas": [0.95, 0.98], "eps": 1e-6, "weight_decay": 0.01,
          "momentum_decay": 0.05}, lrs(0.5, 0.03, 0.03)),
    ],
    "radam": [
        ({"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}, lrs(0.3, 0.02, 1e-3)),
        ({"betas": [0.85, 0.99], "eps": 1e-6, "weight_decay": 0.01}, lrs(0.5, 0.03, 2e-3)),
    ],
}

# Schedules, by our registry name: our kwargs (eta_min as a fraction of the
# case's lr, made absolute per case) and torch's scheduler built from them.
SCHEDULES = {
    "step": {"step_size": 30, "gamma": 0.5},
    "exponential": {"gamma": 0.97},
    "cosine": {"T_max": 40, "eta_min": 0.1},             # T_max < STEPS: it turns back up
    "linear": {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 20},
    "warmup_cosine": {"warmup_steps": 10, "T_max": 90, "start_factor": 0.1, "eta_min": 0.05},
}
SCHEDULE_SURFACES = ("bowl", "rosenbrock")


def torch_scheduler(opt, name, kw):
    """torch's scheduler for our schedule ``name`` with our kwargs ``kw``."""
    S = torch.optim.lr_scheduler
    if name == "step":
        return S.StepLR(opt, step_size=kw["step_size"], gamma=kw["gamma"])
    if name == "exponential":
        return S.ExponentialLR(opt, gamma=kw["gamma"])
    if name == "cosine":
        return S.CosineAnnealingLR(opt, T_max=kw["T_max"], eta_min=kw["eta_min"])
    if name == "linear":
        return S.LinearLR(opt, start_factor=kw["start_factor"], end_factor=kw["end_factor"],
                          total_iters=kw["total_iters"])
    if name == "warmup_cosine":
        warm = S.LinearLR(opt, start_factor=kw["start_factor"], end_factor=1.0,
                          total_iters=kw["warmup_steps"])
        cos = S.CosineAnnealingLR(opt, T_max=kw["T_max"], eta_min=kw["eta_min"])
        return S.SequentialLR(opt, [warm, cos], milestones=[kw["warmup_steps"]])
    raise ValueError(f"no torch scheduler for {name!r}")


# Largest factor by which a small change of the starts may grow along a path.
# Rounding differences (~1e-16 relative per step) times this factor times the
# step count must stay far below the test's rtol of 1e-10.
MAX_AMPLIFICATION = 1e3


def trajectory(name, kwargs, surface, starts, steps=STEPS, schedule=None, lrs=None):
    """Run torch.optim from `starts` (B, 2); return the path (steps + 1, B, 2).

    With `schedule` ((name, kwargs)), `scheduler.step()` follows every
    `optimizer.step()`, and the lr of each step is appended to `lrs`.
    """
    cls, fixed = TORCH[name]
    f = SURFACES[surface][0]
    torch_kwargs = dict(kwargs, **fixed)
    if "betas" in torch_kwargs:
        torch_kwargs["betas"] = tuple(torch_kwargs["betas"])
    P = torch.tensor(np.asarray(starts, dtype=np.float64), requires_grad=True)
    opt = cls([P], foreach=False, **torch_kwargs)
    scheduler = torch_scheduler(opt, *schedule) if schedule else None
    path = [P.detach().numpy().copy()]
    for _ in range(steps):
        if lrs is not None:
            lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        f(P).sum().backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
        path.append(P.detach().numpy().copy())
    return np.stack(path)


def amplification(name, kwargs, surface, starts, path, schedule=None):
    """Largest growth of a 1e-9 nudge of the starts along the path."""
    nudge = 1e-9 * np.array([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])[: len(starts)]
    other = trajectory(name, kwargs, surface, np.asarray(starts) + nudge, schedule=schedule)
    return float(np.max(np.abs(other - path)) / 1e-9)


def radam_crosses_rectification(kwargs, steps=STEPS):
    """True when RAdam takes both branches (rho_t <= 5, then > 5) within `steps`."""
    beta2 = kwargs["betas"][1]
    rho_inf = 2 / (1 - beta2) - 1
    t = np.arange(1, steps + 1)
    rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    return bool(rho_t[0] <= 5 and rho_t[-1] > 5)


def check(case_id, name, kwargs, surface, starts, path, problems, schedule=None):
    """Print a case's summary; append to `problems` why it is unfit as a fixture."""
    (x0, x1), (y0, y1) = SURFACES[surface][1]
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    width = max(x1 - x0, y1 - y0)
    reach = float(np.max(np.abs(path - centre))) / width
    amp = amplification(name, kwargs, surface, starts, path, schedule)
    moved = float(np.min(np.linalg.norm(path[-1] - path[0], axis=-1)))
    print(f"{case_id:38s} lr={kwargs['lr']:<8g} reach={reach:5.2f} "
          f"moved={moved:7.3f} amp={amp:9.3g}")
    if not np.all(np.isfinite(path)):
        problems.append(f"{case_id}: path is not finite")
    elif reach > 2:
        problems.append(f"{case_id}: path leaves the window by {reach:.1f} widths")
    if not amp < MAX_AMPLIFICATION:
        problems.append(f"{case_id}: amplification {amp:.3g} >= {MAX_AMPLIFICATION:g}")


def build_cases():
    cases, arrays, problems = [], {}, []
    for name, configs in CONFIGS.items():
        for surface, (_, window, starts) in SURFACES.items():
            for k, (hyper, lr) in enumerate(configs):
                case_id = f"{name}-{surface}-{k}"
                kwargs = dict(lr=lr[surface], **hyper)
                path = trajectory(name, kwargs, surface, starts)
                check(case_id, name, kwargs, surface, starts, path, problems)
                if name == "radam" and not radam_crosses_rectification(kwargs):
                    problems.append(f"{case_id}: RAdam never switches on rectification")
                cases.append({"id": case_id, "optimizer": name, "kwargs": kwargs,
                              "surface": surface, "starts": [list(s) for s in starts],
                              "steps": STEPS})
                arrays[case_id] = path
    return cases, arrays, problems


def build_schedule_cases():
    """Every optimizer (first hyperparameter set) x every schedule x SCHEDULE_SURFACES."""
    cases, arrays, problems = [], {}, []
    for name, configs in CONFIGS.items():
        hyper, lr = configs[0]
        for surface in SCHEDULE_SURFACES:
            starts = SURFACES[surface][2]
            kwargs = dict(lr=lr[surface], **hyper)
            for sched, sched_kwargs in SCHEDULES.items():
                sched_kwargs = dict(sched_kwargs)
                if "eta_min" in sched_kwargs:  # a fraction of this case's lr
                    sched_kwargs["eta_min"] = sched_kwargs["eta_min"] * kwargs["lr"]
                schedule = (sched, sched_kwargs)
                case_id = f"{name}-{surface}-{sched}"
                lrs = []
                path = trajectory(name, kwargs, surface, starts, schedule=schedule, lrs=lrs)
                check(case_id, name, kwargs, surface, starts, path, problems, schedule)
                cases.append({"id": case_id, "optimizer": name, "kwargs": kwargs,
                              "schedule": sched, "schedule_kwargs": sched_kwargs,
                              "surface": surface, "starts": [list(s) for s in starts],
                              "steps": STEPS})
                arrays[case_id] = path
                arrays[f"{case_id}-lrs"] = np.array(lrs)
    return cases, arrays, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"default: {OUT}")
    parser.add_argument("--out-schedules", type=Path, default=OUT_SCHEDULES,
                        help=f"default: {OUT_SCHEDULES}")
    args = parser.parse_args(argv)

    built = [(args.out, *build_cases()), (args.out_schedules, *build_schedule_cases())]
    problems = [p for _, _, _, found in built for p in found]
    if problems:
        print("\nNot written; change these cases:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    for out, cases, arrays, _ in built:
        out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(out, cases=np.array(json.dumps(cases)),
                            torch_version=np.array(torch.__version__), **arrays)
        print(f"\n{len(cases)} cases, torch {torch.__version__} -> {out} "
              f"({out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
