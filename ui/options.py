"""The values each slider offers: fixed, cached lists (a select slider formats and sends all of them)."""

from __future__ import annotations

from functools import lru_cache

import optimizers

LOG_MANTISSAS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)
MEMORY = (0.0, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999)
STEPS = (5, 10, 15, 20, 25, 29, 30, 40, 50, 60, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000)
CLOUD = (0, 5, 10, 20, 30)
NOISE = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


@lru_cache(maxsize=None)
def log_options(lo: float, hi: float) -> tuple[float, ...]:
    out = [float(f"{m}e{e}") for e in range(-12, 5) for m in LOG_MANTISSAS]
    return tuple(x for x in out if lo * (1 - 1e-9) <= x <= hi * (1 + 1e-9))


@lru_cache(maxsize=None)
def knob_options(knob: optimizers.Knob) -> tuple[float, ...]:
    """The values a knob's slider offers, all inside the knob's range."""
    if knob.scale == "log":
        return log_options(knob.lo, knob.hi)
    if knob.scale == "memory":
        return tuple(m for m in MEMORY if knob.lo <= m <= knob.hi)
    return tuple(round(knob.lo + (knob.hi - knob.lo) * i / 100, 10) for i in range(101))


@lru_cache(maxsize=None)
def lr_options(name: str) -> tuple[float, ...]:
    """The learning rates an optimizer's slider offers."""
    return knob_options(next(k for k in optimizers.spec(name).knobs if k.name == "lr"))
