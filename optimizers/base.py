"""The shape every optimizer shares: a pure ``init``/``update`` pair plus a spec.

An optimizer here is what optax calls a gradient transformation:

    state = init(params)
    updates, state = update(grads, state, params)
    params = params + updates            # the sign lives in ``updates``

Nothing is mutated, and every array is a batch of points shaped ``(..., 2)``,
so one call steps thousands of trajectories at once.  The arithmetic follows
``torch.optim``'s single-tensor code operation by operation (same order, same
association), which is what lets the tests demand agreement to float64
rounding rather than "close enough".
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np

Init = Callable[[np.ndarray], NamedTuple]
Update = Callable[[np.ndarray, NamedTuple, np.ndarray], "tuple[np.ndarray, NamedTuple]"]


@dataclass(frozen=True)
class Knob:
    """A hyperparameter as a person sets it: its torch name, symbol and sane range.

    ``lo``/``hi`` bound the slider, not validity (validity is the factory's
    check).  ``scale`` says how values are spaced: ``"log"`` (learning rates,
    epsilons), ``"memory"`` (averaging coefficients such as betas, whose
    interesting values crowd towards 1), ``"linear"`` or ``"bool"``.  For
    ``betas`` the range applies to each of the two components.
    """

    name: str
    symbol: str
    lo: float = 0.0
    hi: float = 1.0
    scale: str = "linear"
    advanced: bool = False
    help: str = ""


@dataclass(frozen=True)
class Spec:
    """Everything the registry knows about one optimizer."""

    name: str                      # registry key, URL value, one spelling everywhere
    label: str                     # display name
    factory: Callable[..., tuple[Init, Update]]
    knobs: tuple[Knob, ...]
    latex: str | Callable[[dict], str]   # the update rule as implemented
    fixes: str                     # "direction", "step size", "both" or "neither"
    idea: str                      # plain sentences for the classroom
    torch: str                     # the torch.optim call this reproduces
    textbook: str = ""             # the lecture notes' form of the rule (LaTeX), if they give one
    textbook_note: str = ""        # how that form relates to the one implemented

    @property
    def defaults(self) -> dict[str, Any]:
        """Hyperparameter defaults, read from the factory's signature (one source)."""
        sig = inspect.signature(self.factory)
        # Keyword-only parameters are internal switches (Adam's ``amsgrad``,
        # which has its own registry entry), not hyperparameters.
        return {n: p.default for n, p in sig.parameters.items()
                if p.kind is not p.KEYWORD_ONLY}


@dataclass(frozen=True)
class Optimizer:
    """A configured optimizer: validated hyperparameters and its pure functions."""

    spec: Spec
    hyper: dict[str, Any]
    init: Init = field(repr=False)
    update: Update = field(repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def latex(self) -> str:
        """The update rule in the form implemented, for these hyperparameters."""
        rule = self.spec.latex(self.hyper) if callable(self.spec.latex) else self.spec.latex
        if self.hyper.get("weight_decay", 0):
            rule = WEIGHT_DECAY_LATEX + rule
        return rule


GRAD_LATEX = r"g_t = \nabla f(\theta_{t-1})"
WEIGHT_DECAY_LATEX = r"g_t \leftarrow g_t + \lambda\,\theta_{t-1} \quad\text{(weight decay)}\\[2pt]"


def build(spec: Spec, kwargs: dict[str, Any]) -> Optimizer:
    """Validate ``kwargs`` against ``spec`` and return the configured optimizer."""
    defaults = spec.defaults
    unknown = [k for k in kwargs if k not in defaults]
    if unknown:
        raise TypeError(
            f"Unknown hyperparameter for {spec.name}: {unknown[0]!r}. "
            f"Accepted: {', '.join(defaults)}"
        )
    hyper = {**defaults, **kwargs}
    init, update = spec.factory(**hyper)  # validates
    if "betas" in hyper:
        hyper["betas"] = tuple(hyper["betas"])
    return Optimizer(spec, hyper, init, update)


# --- validation, with torch.optim's messages (NaN is rejected too) ----------

def _number(value: Any, what: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid {what}: {value!r}") from None
    return x


def check_range(value: Any, what: str, lo: float = 0.0, hi: float = math.inf,
                hi_open: bool = True) -> float:
    """``lo <= value < hi`` (or ``<= hi``), finite; otherwise ``Invalid <what>: <value>``."""
    x = _number(value, what)
    ok = lo <= x < hi if hi_open else lo <= x <= hi
    if not ok or math.isnan(x):
        raise ValueError(f"Invalid {what}: {value}")
    return x


def check_lr(lr: Any) -> float:
    return check_range(lr, "learning rate")


def check_eps(eps: Any) -> float:
    return check_range(eps, "epsilon value")


def check_weight_decay(wd: Any) -> float:
    return check_range(wd, "weight_decay value")


def check_betas(betas: Any) -> tuple[float, float]:
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"Invalid betas: {betas!r} (need two numbers in [0, 1))") from None
    return (check_range(b1, "beta parameter at index 0", 0.0, 1.0),
            check_range(b2, "beta parameter at index 1", 0.0, 1.0))


# --- torch's elementwise primitives, same association -----------------------

def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``torch.lerp`` as ATen computes it on the CPU (two forms, for accuracy)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def with_weight_decay(g: np.ndarray, p: np.ndarray, weight_decay: float) -> np.ndarray:
    """torch's coupled (L2) weight decay: ``grad.add(param, alpha=weight_decay)``."""
    return g + weight_decay * p if weight_decay else g
