"""Sweeps and maps as one broadcast batch, against one run at a time (issue 9's speed).

    .venv/bin/python bench/bench_sweep.py [--repeats 5] [--limits]

(a) The seven seed optimizers, each over 200 log-spaced learning rates (its
    slider's range) x 500 steps on Rosenbrock from its start: one
    ``optimizers.run`` per optimizer with ``lr`` an array.  Target: < 1 s for
    all seven together.
(b) 10,000 starts (a 100 x 100 grid over Rosenbrock's window) x 300 steps,
    one run per optimizer.  Target: < 2 s per optimizer.

Each is printed next to the one-at-a-time loop (``optimizers.run`` with a
scalar ``lr`` or a single start) measured in the same process.  The loop is
timed on an evenly spaced subset (every 10th learning rate, every 100th
start) and scaled up to the full count; the report says so.  Times are
min / median / max over the repetitions.

``--limits`` also times runs at the library's limits (optimizers.MAX_*), the
worst a caller may ask for, which should each take about a second or less.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import optimizers  # noqa: E402
import surfaces  # noqa: E402

SEVEN = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam")
SURFACE = surfaces.get("rosenbrock")


def lr_grid(name, k=200):
    knob = next(k for k in optimizers.spec(name).knobs if k.name == "lr")
    return np.geomspace(knob.lo, knob.hi, k)


def start_grid(k=100):
    s = SURFACE
    xs, ys = np.linspace(*s.x_range, k), np.linspace(*s.y_range, k)
    return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def sweep_batched():
    """(a) seconds per optimizer, one broadcast run each."""
    return {n: timed(lambda: optimizers.run(optimizers.get(n, lr=lr_grid(n)), SURFACE, SURFACE.start, 500))
            for n in SEVEN}


def sweep_loop(every=10):
    """(a) one at a time, on every `every`-th learning rate, scaled to all 200."""
    out = {}
    for n in SEVEN:
        lrs = lr_grid(n)[::every]
        t = timed(lambda: [optimizers.run(optimizers.get(n, lr=lr), SURFACE, SURFACE.start, 500)
                           for lr in lrs])
        out[n] = t * 200 / len(lrs)
    return out


def map_batched():
    """(b) seconds per optimizer, 10,000 starts in one run."""
    starts = start_grid()
    return {n: timed(lambda: optimizers.run(optimizers.get(n, lr=1e-3 if n != "adadelta" else 1.0),
                                            SURFACE, starts, 300)) for n in SEVEN}


def map_loop(every=100):
    """(b) one start at a time, on every `every`-th start, scaled to all 10,000."""
    starts = start_grid()[::every]
    out = {}
    for n in SEVEN:
        opt = optimizers.get(n, lr=1e-3 if n != "adadelta" else 1.0)
        t = timed(lambda: [optimizers.run(opt, SURFACE, s, 300) for s in starts])
        out[n] = t * 10_000 / len(starts)
    return out


def spread(xs):
    return f"{min(xs):7.3f} / {statistics.median(xs):7.3f} / {max(xs):7.3f} s"


def report(title, target, batched, loop, note):
    print(f"\n{title}")
    print(f"  {'':10s} {'batched (min / median / max)':>34s} {'one at a time':>38s}   ratio (medians)")
    for n in SEVEN:
        b, lp = [r[n] for r in batched], [r[n] for r in loop]
        print(f"  {n:10s} {spread(b):>34s} {spread(lp):>38s}   {statistics.median(lp) / statistics.median(b):6.0f}x")
    tb = [sum(r.values()) for r in batched]
    tl = [sum(r.values()) for r in loop]
    print(f"  {'all seven':10s} {spread(tb):>34s} {spread(tl):>38s}   "
          f"{statistics.median(tl) / statistics.median(tb):6.0f}x")
    print(f"  target: {target}; {note}")


def limits():
    """Runs at the library's limits: each should take about a second or less."""
    M = optimizers
    s = SURFACE
    rng = np.random.default_rng(0)

    def starts(n):
        return np.column_stack([rng.uniform(*s.x_range, n), rng.uniform(*s.y_range, n)])

    data = next((surfaces.get(n) for n in surfaces.names() if surfaces.get(n).n_data > 0), None)
    cases = [
        ("MAX_STEPS, one path, NAdam", lambda: M.run(M.get("nadam", lr=1e-3), s, s.start, M.MAX_STEPS)),
        ("MAX_PATHS x (MAX_POINT_STEPS / MAX_PATHS) steps, NAdam, noise",
         lambda: M.run(M.get("nadam", lr=1e-3), s, starts(M.MAX_PATHS), M.MAX_POINT_STEPS // M.MAX_PATHS,
                       noise=0.1, seed=0)),
        ("MAX_POINT_STEPS as 4,000 paths, RMSProp centered + momentum, noise",
         lambda: M.run(M.get("rmsprop", lr=1e-3, centered=True, momentum=0.5), s, starts(4000),
                       M.MAX_POINT_STEPS // 4000, noise=0.1, seed=0)),
        ("MAX_POINT_STEPS as 1,200 paths x MAX_STEPS, Adam",
         lambda: M.run(M.get("adam", lr=1e-3), s, starts(M.MAX_POINT_STEPS // M.MAX_STEPS), M.MAX_STEPS)),
        ("MAX_RECORD_POINT_STEPS, RAdam, record=True",
         lambda: M.run(M.get("radam", lr=1e-3), s, starts(M.MAX_RECORD_POINT_STEPS // 300), 300,
                       record=True)),
        ("MAX_STEPWISE: distinct betas x steps, Adam",
         lambda: M.run(M.get("nadam", betas=(np.linspace(0, 0.99, 2000), 0.999)), s, s.start,
                       M.MAX_STEPWISE // 2000)),
    ]
    if data is not None:
        cost = 1 + data.n_data / M.DATA_ROWS_PER_POINT_STEP
        n = int(M.MAX_POINT_STEPS / cost / 300)
        cases.append((f"MAX_POINT_STEPS on {data.name} ({data.n_data} rows), {n:,} paths x 300, Adam",
                      lambda: M.run(M.get("adam", lr=1e-3), data, np.zeros((n, 2)), 300)))
        cost = 1 + 1 / M.DATA_ROWS_PER_POINT_STEP
        n = int(M.MAX_POINT_STEPS / cost / 300)
        cases.append((f"MAX_POINT_STEPS on {data.name}, batch_size=1, {n:,} paths x 300, SGD",
                      lambda: M.run(M.get("sgd", lr=1e-3), data, np.zeros((n, 2)), 300, batch_size=1,
                                    seed=0)))
    print("\nRuns at the limits (best of 2):")
    for label, fn in cases:
        print(f"  {min(timed(fn) for _ in range(2)):6.2f} s  {label}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--limits", action="store_true", help="also time runs at the library's limits")
    args = parser.parse_args(argv)
    sweep_batched(), map_batched()  # warm-up
    a_b, a_l, b_b, b_l = [], [], [], []
    for _ in range(args.repeats):
        a_b.append(sweep_batched())
        a_l.append(sweep_loop())
        b_b.append(map_batched())
        b_l.append(map_loop())
    print(f"Rosenbrock, {args.repeats} repetitions; seconds as min / median / max")
    report("(a) 200 learning rates (each optimizer's slider range, log-spaced) x 500 steps, "
           "one broadcast run per optimizer", "< 1 s for all seven", a_b, a_l,
           "the loop is timed on every 10th learning rate (20 runs) and scaled by 10")
    report("(b) 10,000 starts (100 x 100 grid over the window) x 300 steps, one run per optimizer",
           "< 2 s per optimizer", b_b, b_l,
           "the loop is timed on every 100th start (100 runs) and scaled by 100")
    if args.limits:
        limits()


if __name__ == "__main__":
    main()
