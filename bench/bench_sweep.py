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


def cpu_and_wall(fn):
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - t0


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
    """Runs at the library's limits, on the slowest surfaces: each should take about a second."""
    M = optimizers
    camel = surfaces.get("camel")  # the slowest analytic gradient (x**5 through NumPy's pow)
    rng = np.random.default_rng(0)

    def starts(s, n):  # inside the window, where nothing diverges at these learning rates
        return 0.5 * np.column_stack([rng.uniform(*s.x_range, n), rng.uniform(*s.y_range, n)])

    cases = [
        ("MAX_STEPS, one path, NAdam, camel",
         lambda: M.run(M.get("nadam", lr=1e-4), camel, camel.start, M.MAX_STEPS)),
        ("MAX_PATHS x (MAX_POINT_STEPS / MAX_PATHS) steps, NAdam + noise, camel",
         lambda: M.run(M.get("nadam", lr=1e-4), camel, starts(camel, M.MAX_PATHS),
                       M.MAX_POINT_STEPS // M.MAX_PATHS, noise=0.1, seed=0)),
        ("MAX_POINT_STEPS as 10,000 paths, RMSProp centered + momentum + noise, camel",
         lambda: M.run(M.get("rmsprop", lr=1e-4, centered=True, momentum=0.5), camel,
                       starts(camel, 10_000), M.MAX_POINT_STEPS // 10_000, noise=0.1, seed=0)),
        ("MAX_POINT_STEPS as 10,000 paths, NAdam + noise, Beale",
         lambda: M.run(M.get("nadam", lr=1e-4), surfaces.get("beale"), starts(surfaces.get("beale"), 10_000),
                       M.MAX_POINT_STEPS // 10_000, noise=0.1, seed=0)),
        ("MAX_POINT_STEPS as MAX_STEPS steps, NAdam + noise, camel",
         lambda: M.run(M.get("nadam", lr=1e-4), camel, starts(camel, M.MAX_POINT_STEPS // M.MAX_STEPS),
                       M.MAX_STEPS, noise=0.1, seed=0)),
        ("MAX_RECORD_POINT_STEPS, RAdam, record=True, camel",
         lambda: M.run(M.get("radam", lr=1e-4), camel, starts(camel, M.MAX_RECORD_POINT_STEPS // 300), 300,
                       record=True)),
        ("MAX_STEPWISE: 2,000 distinct betas, RAdam, Rosenbrock",
         lambda: M.run(M.get("radam", lr=1e-4, betas=(np.linspace(0, 0.99, 2000), 0.999)), SURFACE,
                       SURFACE.start, M.MAX_STEPWISE // 2000)),
    ]
    for data in (surfaces.get(n) for n in surfaces.names()):
        if not data.n_data:
            continue
        for b in (None, 1):
            rows = b or data.n_data
            n = int(M.MAX_POINT_STEPS / M.point_step_cost(data, b) / 300)
            cases.append((f"MAX_POINT_STEPS on {data.name}, {rows} rows a gradient, {n:,} paths x 300, Adam",
                          lambda data=data, n=n, b=b: M.run(
                              M.get("adam", lr=1e-4), data, starts(data, n), 300,
                              **({"batch_size": b, "seed": 0} if b else {}))))
    print("\nRuns at the limits (best of 2; CPU time, which a busy machine inflates less, and wall time):")
    for label, fn in cases:
        best = min((cpu_and_wall(fn) for _ in range(2)), key=lambda cw: cw[0])
        print(f"  {best[0]:6.2f} s CPU {best[1]:6.2f} s wall  {label}")


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
