"""The shape every optimizer shares: a pure ``init``/``update`` pair plus a spec.

An optimizer here is what optax calls a gradient transformation:

    state = init(params)
    updates, state = update(grads, state, params)        # or update(..., lr=lr_t)
    params = params + updates            # the sign lives in ``updates``

Nothing is mutated, and every array is a batch of points shaped ``(..., 2)``,
so one call steps thousands of trajectories at once.  The arithmetic follows
``torch.optim``'s single-tensor code operation by operation (same order, same
association), which is what lets the tests demand agreement to float64
rounding rather than "close enough".

Hyperparameters that broadcast.  Any numeric hyperparameter may be an array
(``betas`` either component, or an array shaped ``(..., 2)``).  Inside the
pure functions every hyperparameter is a Python float or an array that
broadcasts against the points, and the update is the same expression either
way: elementwise ``+ - * /`` and ``sqrt`` round alike in Python and NumPy, so
row ``i`` of a batch equals a lone run with the ``i``-th values, bit for bit.
Two things are not elementwise-safe and get a helper each: a Python ``if`` on
a hyperparameter (``np.where`` on both branches when it is an array), and
``**`` (see ``per_step``).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, NamedTuple

import numpy as np

from .limits import MAX_ARRAY_SIZE

Init = Callable[[np.ndarray], NamedTuple]
Update = Callable[..., "tuple[np.ndarray, NamedTuple]"]
StepSize = Callable[..., np.ndarray]


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
    factory: Callable[..., tuple]  # hyperparameters -> (init, update[, step_size])
    knobs: tuple[Knob, ...]
    latex: str | Callable[[dict], str]   # the update rule as implemented
    fixes: str                     # "direction", "step size", "both" or "neither"
    idea: str                      # plain sentences for the classroom
    torch: str                     # the torch.optim call this reproduces
    textbook: str = ""             # the lecture notes' form of the rule (LaTeX), if they give one
    textbook_note: str = ""        # how that form relates to the one implemented
    # Hyperparameters whose per-step numbers go through ``per_step`` (Python
    # floats, once per distinct value): the runner bounds their cost.
    stepwise: tuple[str, ...] = ()
    # The optimizer's memory for ``run(record=True)``: the state field holding
    # its momentum buffer or first moment (a direction, drawn as an arrow), or
    # a function of the hyperparameters giving it; None when it has none.
    memory: str | Callable[[dict], str | None] | None = None

    @property
    def defaults(self) -> dict[str, Any]:
        """Hyperparameter defaults, read from the factory's signature (one source).

        A fresh dict each time (callers may edit it); the signature is read once."""
        return dict(_defaults(self.factory))


@dataclass(frozen=True)
class Optimizer:
    """A configured optimizer: validated hyperparameters and its pure functions.

    ``hyper`` holds floats, bools, read-only float arrays, and ``betas`` as a
    ``(beta1, beta2)`` tuple of those.  With array hyperparameters ``init`` and
    ``update`` take points shaped ``(*shape, 2)`` (``shape`` is the arrays'
    broadcast shape, or any shape it broadcasts to).
    """

    spec: Spec
    hyper: dict[str, Any]
    init: Init = field(repr=False)
    update: Update = field(repr=False)
    # Adaptive methods: (state before, state after, lr) -> the per-coordinate
    # step size of that step (see ``run``'s ``record``).
    step_size: StepSize | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def memory(self) -> str | None:
        """The state field ``run(record=True)`` reports as the memory, or None."""
        m = self.spec.memory
        return m(self.hyper) if callable(m) else m

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def latex(self) -> str:
        """The update rule in the form implemented, for these hyperparameters."""
        rule = self.spec.latex(self.hyper) if callable(self.spec.latex) else self.spec.latex
        if any_nonzero(self.hyper.get("weight_decay", 0)):
            rule = WEIGHT_DECAY_LATEX + rule
        return rule

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The array hyperparameters by name (``betas[0]``, ``betas[1]`` for the pair)."""
        return _arrays(self.hyper)

    @property
    def shape(self) -> tuple[int, ...]:
        """The broadcast shape of the array hyperparameters; ``()`` when all are scalars."""
        return np.broadcast_shapes(*(a.shape for a in self.arrays.values()))

    def rows(self, batch: tuple[int, ...], index: np.ndarray | None = None) -> Optimizer:
        """This optimizer for a flat batch: the runner's view of it.

        Every array hyperparameter is broadcast to ``batch``, flattened to one
        value per path (only the paths ``index``, if given) and repeated over
        the two coordinates, so the pure functions take points shaped
        ``(n, 2)`` (``hyper`` holds those rows).  The functions are closures
        over their hyperparameters, so calling the factory again with these
        rows is exact.  Scalars only: this optimizer itself.
        """
        if not self.arrays:
            return self
        kwargs = {k: (tuple(_row_values(c, batch, index) for c in v) if isinstance(v, tuple)
                      else _row_values(v, batch, index))
                  for k, v in self.hyper.items()}
        return Optimizer(self.spec, kwargs, *self.spec.factory(**kwargs))


@functools.lru_cache(maxsize=None)
def _defaults(factory) -> tuple[tuple[str, Any], ...]:
    sig = inspect.signature(factory)
    # Keyword-only parameters are internal switches (Adam's ``amsgrad``,
    # which has its own registry entry), not hyperparameters.
    return tuple((n, p.default) for n, p in sig.parameters.items() if p.kind is not p.KEYWORD_ONLY)


GRAD_LATEX = r"g_t = \nabla f(\theta_{t-1})"
WEIGHT_DECAY_LATEX = r"g_t \leftarrow g_t + \lambda\,\theta_{t-1} \quad\text{(weight decay)}\\[2pt]"


def build(spec: Spec, kwargs: dict[str, Any]) -> Optimizer:
    """Validate ``kwargs`` against ``spec`` and return the configured optimizer."""
    defaults = spec.defaults
    unknown = [k for k in kwargs if k not in defaults]
    if unknown:
        raise TypeError(
            f"Unknown hyperparameter for {spec.name}: {show(unknown[0])}. "
            f"Accepted: {', '.join(defaults)}"
        )
    hyper = {**defaults, **kwargs}
    # The factory validates, so messages quote the caller's own values and indices.
    functions = spec.factory(**hyper)
    hyper = {k: _normalized(v, defaults[k]) for k, v in hyper.items()}
    arrays = _arrays(hyper)
    if arrays:
        try:
            np.broadcast_shapes(*(a.shape for a in arrays.values()))
        except ValueError:
            shapes = ", ".join(f"{k} shaped {a.shape}" for k, a in arrays.items())
            raise ValueError(f"Hyperparameter arrays do not broadcast together: {shapes}") from None
        # Give each array a trailing axis, so it broadcasts against points (..., 2).
        functions = spec.factory(**{k: (tuple(_column(c) for c in v) if isinstance(v, tuple) else _column(v))
                                    for k, v in hyper.items()})
    return Optimizer(spec, hyper, *functions)


def _normalized(value: Any, default: Any) -> Any:
    """An already validated value as the pure functions see it."""
    if isinstance(default, bool):
        return bool(value)
    if isinstance(default, tuple):
        return tuple(numbers_of(c, "") for c in split_pair(value, ""))
    return numbers_of(value, "")


def _arrays(hyper: dict[str, Any]) -> dict[str, np.ndarray]:
    out = {}
    for k, v in hyper.items():
        for i, c in enumerate(v) if isinstance(v, tuple) else [(None, v)]:
            if isinstance(c, np.ndarray):
                out[k if i is None else f"{k}[{i}]"] = c
    return out


def _column(value: Any) -> Any:
    return value[..., None] if isinstance(value, np.ndarray) else value


def _row_values(value: Any, batch: tuple[int, ...], index: np.ndarray | None) -> Any:
    if not isinstance(value, np.ndarray):
        return value
    flat = np.broadcast_to(value, batch).reshape(-1)
    if index is not None:
        flat = flat[index]
    # (n, 2), contiguous: a (n, 1) column broadcast over (n, 2) points costs
    # NumPy one tiny inner loop per row, several times slower.
    return np.repeat(flat[:, None], 2, axis=1)


# --- validation, with torch.optim's messages (NaN is rejected too) ----------

def show(value: Any, limit: int = 40) -> str:
    """A value quoted in a message: numbers as written, short, never a whole array."""
    if isinstance(value, np.ndarray):
        return f"an array shaped {value.shape}" if value.ndim else show(value.item(), limit)
    if isinstance(value, (list, tuple)) and len(value) > 8:
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10 ** 30:
        return f"an integer of {value.bit_length()} bits"  # str() of a huge int is slow, or refused
    is_number = isinstance(value, numbers.Number) and not isinstance(value, (bool, np.bool_))
    text = str(value) if is_number else repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def _index(i: int, shape: tuple[int, ...]) -> int | tuple[int, ...]:
    if len(shape) == 1:
        return i
    return tuple(int(k) for k in np.unravel_index(i, shape))


def numbers_of(value: Any, what: str) -> float | np.ndarray:
    """``value`` as a float, or as a read-only float64 array of at least one dimension.

    Not a number (a string, ``None``, a bool: ``True`` is not a learning rate)
    is a ``TypeError``; a ragged, empty or oversized array a ``ValueError``.
    ``-0.0`` becomes ``0.0``, so equal values are equal bit for bit.
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Invalid {what}: {bool(value)} (need a number, not a bool)")
    if isinstance(value, numbers.Real):
        try:
            return float(value) + 0.0
        except (OverflowError, ValueError):
            raise ValueError(f"Invalid {what}: {show(value)} (too large for a float)") from None
    if not isinstance(value, (np.ndarray, list, tuple)):
        raise TypeError(f"Invalid {what}: {show(value)} (need a number or an array of numbers)")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"Invalid {what}: {show(value)} (need a number or a rectangular "
                         f"array of numbers)") from None
    if arr.ndim == 0:
        return numbers_of(arr.item(), what)
    if arr.size == 0:
        raise ValueError(f"Invalid {what}: an empty array shaped {arr.shape}")
    if arr.size > MAX_ARRAY_SIZE:
        raise ValueError(f"Invalid {what}: an array of {arr.size:,} values "
                         f"(at most MAX_ARRAY_SIZE = {MAX_ARRAY_SIZE:,})")
    if arr.dtype.kind not in "iuf":
        # Look at the caller's elements: asarray turns [0.1, "x"] into strings.
        items = arr if isinstance(value, np.ndarray) else np.asarray(value, dtype=object)
        for i, x in enumerate(items.ravel()):
            x = x.item() if isinstance(x, np.generic) else x
            if isinstance(x, bool) or not isinstance(x, numbers.Real):
                raise TypeError(f"Invalid {what}: {show(x)} (at index {_index(i, arr.shape)}; "
                                f"need numbers)")
    try:
        out = arr.astype(np.float64) + 0.0
    except OverflowError:
        raise ValueError(f"Invalid {what}: an array with a value too large for a float") from None
    out.setflags(write=False)
    return out


def check_range(value: Any, what: str, lo: float = 0.0, hi: float = math.inf,
                hi_open: bool = True) -> float | np.ndarray:
    """``lo <= value < hi`` (or ``<= hi``), finite, elementwise for arrays.

    Returns the value as the pure functions use it (see ``numbers_of``);
    otherwise ``Invalid <what>: <value>``, plus ``(at index i)`` for an array.
    """
    x = numbers_of(value, what)
    if isinstance(x, float):
        if not (lo <= x < hi if hi_open else lo <= x <= hi):  # NaN fails too
            raise ValueError(f"Invalid {what}: {show(value)}")
        return x
    ok = (x >= lo) & ((x < hi) if hi_open else (x <= hi))
    if not ok.all():
        i = int(np.argmin(ok.ravel()))
        raise ValueError(f"Invalid {what}: {float(x.ravel()[i])} (at index {_index(i, x.shape)})")
    return x


def check_lr(lr: Any) -> float | np.ndarray:
    return check_range(lr, "learning rate")


def check_eps(eps: Any) -> float | np.ndarray:
    return check_range(eps, "epsilon value")


def check_weight_decay(wd: Any) -> float | np.ndarray:
    return check_range(wd, "weight_decay value")


def split_pair(value: Any, what: str) -> tuple[Any, Any]:
    """``(a, b)`` from a tuple or list of two, or from an array shaped ``(..., 2)``."""
    if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[-1] == 2:
        return value[..., 0], value[..., 1]
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value[0], value[1]
    raise ValueError(f"Invalid {what}: {show(value)} (need two numbers (beta1, beta2) in [0, 1), "
                     f"or an array shaped (..., 2))")


def check_betas(betas: Any) -> tuple[float | np.ndarray, float | np.ndarray]:
    b1, b2 = split_pair(betas, "betas")
    return (check_range(b1, "beta parameter at index 0", 0.0, 1.0),
            check_range(b2, "beta parameter at index 1", 0.0, 1.0))


def check_bool(value: Any, what: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"Invalid {what}: {show(value)} (need True or False)")


def first_failing(ok: bool | np.ndarray) -> str | None:
    """None when ``ok`` holds everywhere, else where it fails first: ``""`` or ``" (at index i)"``."""
    if isinstance(ok, np.ndarray):
        if ok.all():
            return None
        i = int(np.argmin(ok.ravel()))
        return f" (at index {_index(i, ok.shape)})"
    return None if ok else ""


def any_nonzero(x: Any) -> bool:
    return bool(np.any(np.asarray(x) != 0))


# --- torch's elementwise primitives, same association -----------------------

def lerp(start: np.ndarray, end: np.ndarray, weight: float | np.ndarray) -> np.ndarray:
    """``torch.lerp`` as ATen computes it on the CPU (two forms, for accuracy)."""
    if isinstance(weight, np.ndarray):
        return np.where(np.abs(weight) < 0.5, start + weight * (end - start),
                        end - (end - start) * (1 - weight))
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def with_weight_decay(g: np.ndarray, p: np.ndarray, weight_decay: float | np.ndarray) -> np.ndarray:
    """torch's coupled (L2) weight decay: ``grad.add(param, alpha=weight_decay)`` when it is not 0."""
    if isinstance(weight_decay, np.ndarray):
        return np.where(weight_decay != 0, g + weight_decay * p, g)
    return g + weight_decay * p if weight_decay else g


def per_step(fn: Callable[..., Any], *hyper: float | np.ndarray) -> Callable[[int], Any]:
    """``t -> fn(*hyper, t)``: the per-step numbers torch computes as Python floats.

    torch.optim computes bias corrections and the like on Python numbers
    (``1 - beta1 ** step``), and Python's ``**`` is C's ``pow``.  NumPy's
    vectorised ``power`` is a different routine (SIMD, on machines with
    AVX-512) that rounds differently in about one case in twenty, so a batch
    would drift from a lone run in the last bit.  So ``fn`` always runs on
    Python floats: with scalar hyperparameters it is simply called; with
    arrays it is called once per distinct combination of values and the
    results are spread back over the batch (``fn`` may return a float or a
    tuple of floats; the arrays come back in the same form).  The cost is a
    Python call per distinct value per step, which ``MAX_STEPWISE`` bounds.
    """
    if not any(isinstance(h, np.ndarray) for h in hyper):
        return partial(fn, *hyper)
    shape = np.broadcast_shapes(*(np.shape(h) for h in hyper))
    table = np.stack([np.broadcast_to(h, shape).ravel() for h in hyper], axis=1)
    values, where = distinct_rows(table)
    args = [tuple(row) for row in values.tolist()]
    where = where.reshape(shape)

    def at(t):
        out = np.array([fn(*a, t) for a in args], dtype=float)
        return out[where] if out.ndim == 1 else tuple(out[:, j][where] for j in range(out.shape[1]))

    return at


def distinct_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a 2-D array and, per row, the index of its distinct row.

    ``np.unique(axis=0)`` does the same ten times slower (it sorts a structured view).
    """
    order = np.lexsort(table.T[::-1])
    ordered = table[order]
    new = np.ones(len(table), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    where = np.empty(len(table), dtype=np.intp)
    where[order] = np.cumsum(new) - 1
    return ordered[new], where
