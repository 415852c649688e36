"""Point-steps per second: the batched runner against the lecture notes' loop.

    .venv/bin/python bench/bench_core.py

Both run Adam (lr 0.01) on Rosenbrock in the same process.  The batched run
steps 4096 starts x 500 steps through ``optimizers.run``; the seed-style run
steps one point with the parameters in a dict and one Python-level update per
step, as the lecture code does.  Prints both rates and their ratio (target:
at least 300x); the ratio is what to compare across machines.
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import optimizers  # noqa: E402
import surfaces  # noqa: E402


class SeedAdam:
    """The lecture notes' Adam, with their bug-free structure (dict of params)."""

    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2, self.iter, self.m, self.v = lr, beta1, beta2, 0, None, None

    def update(self, params, grads):
        if self.m is None:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for key in params:
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


def rosen_grads(params):
    x, y = params["x"], params["y"]
    return {"x": -2 * (1 - x) - 400 * x * (y - x * x), "y": 200 * (y - x * x)}


def seed_rate(steps):
    params, opt = {"x": np.float64(-1.5), "y": np.float64(2.0)}, SeedAdam()
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.update(params, rosen_grads(params))
    return steps / (time.perf_counter() - t0)


def batched_rate(batch, steps):
    s = surfaces.get("rosenbrock")
    rng = np.random.default_rng(0)
    starts = np.column_stack([rng.uniform(*s.x_range, batch), rng.uniform(*s.y_range, batch)])
    opt = optimizers.get("adam", lr=0.01)
    t0 = time.perf_counter()
    optimizers.run(opt, s, starts, steps)
    return batch * steps / (time.perf_counter() - t0)


def best_of(fn, repeats, *args):
    return max(fn(*args) for _ in range(repeats))


if __name__ == "__main__":
    batched = best_of(batched_rate, 5, 4096, 500)
    seed = best_of(seed_rate, 5, 20_000)
    print(f"optimizers.run, Adam on Rosenbrock, 4096 starts x 500 steps: {batched:14,.0f} point-steps/s")
    print(f"seed-style loop, one point, dict of params:                 {seed:14,.0f} point-steps/s")
    print(f"ratio: {batched / seed:,.0f}x (target >= 300x)")
