"""Learning-rate sweeps and convergence maps: one batch against one run at a time.

    .venv/bin/python bench/bench_maps.py [--reps 3] [--surface himmelblau] [--maps-only]

(a) The seven seed optimizers (sgd, momentum, nesterov, adagrad, adadelta,
    rmsprop, adam) x 200 learning rates x 500 steps through ``viz.sweep.sweep``
    on the stretched bowl from its start: total time (target < 1 s).
(b) 10,000 starts (100 x 100) x 300 steps per optimizer through
    ``viz.maps.convergence_map`` on Himmelblau, or on ``--surface`` (target < 2 s each).
    ``--maps-only`` times (b)'s batches alone: no sweep (a), no loop.

Each is printed next to the one-at-a-time loop measured in the same run: one
``optimizers.run`` per learning rate (or per start) with the same optimizer
and steps.  Running the whole loop would take minutes, so a sample of it is
timed and scaled up to the full count (the line says so, with the sample
size).  Repeated ``--reps`` times; min / median / max shown; the ratio uses
the medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import optimizers  # noqa: E402
import surfaces  # noqa: E402
from viz import maps, sweep  # noqa: E402
from viz.state import Run  # noqa: E402

SEED = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam")
MAP_LR = {"sgd": 0.01, "momentum": 0.005, "nesterov": 0.005, "adagrad": 0.5, "adadelta": 1.0,
          "rmsprop": 0.05, "adam": 0.05}
SWEEP_SAMPLE = 10    # learning rates per optimizer timed one at a time (of 200)
MAP_SAMPLE = 50      # starts timed one at a time (of 10,000)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def spread(xs: list[float]) -> str:
    return f"min {min(xs):7.3f} s  median {statistics.median(xs):7.3f} s  max {max(xs):7.3f} s"


def sweep_batch(s) -> float:
    return sum(timed(lambda: sweep.sweep(s, Run.of(n, lr=0.1), s.start, 500, sweep.lr_grid(n)))
               for n in SEED)


def sweep_loop(s) -> float:
    """One run per lr for a sample of each optimizer's grid, scaled to all 200."""
    total = 0.0
    for n in SEED:
        lrs = sweep.lr_grid(n)
        pick = lrs[np.linspace(0, len(lrs) - 1, SWEEP_SAMPLE).round().astype(int)]
        t = sum(timed(lambda: optimizers.run(optimizers.get(n, lr=float(lr)), s, s.start, 500)) for lr in pick)
        total += t * len(lrs) / len(pick)
    return total


def map_batch(s, name) -> float:
    return timed(lambda: maps.convergence_map(s, Run.of(name, lr=MAP_LR[name]), n=100, steps=300))


def map_loop(s, name) -> float:
    _, _, starts = maps.starts_grid(s, 100)
    pick = starts[np.random.default_rng(0).choice(len(starts), MAP_SAMPLE, replace=False)]
    opt = optimizers.get(name, lr=MAP_LR[name])
    t = sum(timed(lambda: optimizers.run(opt, s, p, 300)) for p in pick)
    return t * len(starts) / len(pick)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--surface", default="himmelblau", choices=surfaces.names(), help="the maps' surface")
    ap.add_argument("--maps-only", action="store_true", help="only the maps' batches: no sweep, no loop")
    args = ap.parse_args()
    reps = args.reps

    bowl, where = surfaces.get("bowl"), surfaces.get(args.surface)
    sweep_batch(bowl)  # warm-up: imports, first allocations
    if not args.maps_only:
        print(f"(a) sweep: {len(SEED)} optimizers x 200 learning rates x 500 steps, bowl (target < 1 s)")
        b = [sweep_batch(bowl) for _ in range(reps)]
        loop = [sweep_loop(bowl) for _ in range(reps)]
        print(f"    batch  {spread(b)}")
        print(f"    loop   {spread(loop)}   (timed {SWEEP_SAMPLE} of 200 rates per optimizer, scaled x20)")
        print(f"    ratio  {statistics.median(loop) / statistics.median(b):7.1f}x")

    print(f"(b) convergence map: 100 x 100 starts x 300 steps per optimizer, {args.surface} (target < 2 s each)")
    for name in SEED:
        b = [map_batch(where, name) for _ in range(reps)]
        ok = "ok" if statistics.median(b) < 2 else "OVER"
        print(f"    {name:9s} batch {spread(b)}  [{ok}]")
        if args.maps_only:
            continue
        loop = [map_loop(where, name) for _ in range(reps)]
        print(f"    {'':9s} loop  {spread(loop)}   (timed {MAP_SAMPLE} of 10,000 starts, scaled x200)")
        print(f"    {'':9s} ratio {statistics.median(loop) / statistics.median(b):7.1f}x")


if __name__ == "__main__":
    main()
