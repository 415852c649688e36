"""2D test functions for watching optimizers, looked up by name.

    import surfaces
    s = surfaces.get("rosenbrock")
    s.value(xy), s.grad(xy)     # xy shaped (..., 2)

    s = surfaces.from_formula("x^2/20 + y^2", (-10, 10), (-5, 5))   # your own

The registry order is the display order. To add a surface, define one
``Surface(...)`` in ``catalog.py`` (a test function) or ``data.py`` (a model's
loss on a data set, with minibatch gradients) and add one line to
``_SURFACES`` below.

Surfaces are shared by every session (the registry's, and the cached ones
``from_formula`` returns): they are frozen, every array they hold is
read-only so a mutation raises, and every call returns a fresh array that
belongs to the caller.
"""

from surfaces import catalog, data
from surfaces.base import Surface
from surfaces.formula import from_formula

_SURFACES = (
    catalog.BOWL,
    catalog.SADDLE,
    catalog.ROSENBROCK,
    catalog.BEALE,
    catalog.HIMMELBLAU,
    catalog.RASTRIGIN,
    catalog.CAMEL,
    catalog.GOLDSTEIN_PRICE,
    catalog.MONKEY_SADDLE,
    data.LEAST_SQUARES,
    data.LEAST_SQUARES_STD,
    data.LOGISTIC,
)
_REGISTRY = {s.name: s for s in _SURFACES}
if len(_REGISTRY) != len(_SURFACES):
    raise RuntimeError("Two surfaces share a name; names must be unique")


def names() -> tuple[str, ...]:
    """Names of all registered surfaces, in display order."""
    return tuple(_REGISTRY)


def get(name: str) -> Surface:
    """The surface registered under ``name``; ValueError if there is none."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        valid = ", ".join(_REGISTRY)
        message = f"Unknown surface: {name!r}. Valid surfaces: {valid}"
        raise ValueError(message) from None


__all__ = ["Surface", "from_formula", "get", "names"]
