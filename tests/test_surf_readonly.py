"""Every array the surfaces package keeps is read-only (issue 8: shared state stays sound).

Surfaces are module-level objects, and formula surfaces come from a cache:
one object serves every session. So any array reachable from one, through its
fields, its data set or the closures of its functions, must refuse to be
written, and what a call returns must be the caller's own fresh array.
"""

import dataclasses
import types

import numpy as np
import pytest

import surfaces
from surfaces import catalog, data, formula

FORMULAS = [("sin(x)*cos(y) + 0.1*(x^2+y^2)", (-5, 5), (-5, 5)), ("x + 0*y", (-1, 1), (-1, 1))]


def _all_surfaces():
    return [surfaces.get(n) for n in surfaces.names()] + [surfaces.from_formula(*f) for f in FORMULAS]


def _held_arrays(obj, seen=None):
    """Arrays reachable from ``obj`` through fields, containers and closures."""
    seen = set() if seen is None else seen
    if id(obj) in seen or isinstance(obj, (types.ModuleType, type)):
        return []
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return [obj]
    found = []
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for field in dataclasses.fields(obj):
            found += _held_arrays(getattr(obj, field.name), seen)
    elif isinstance(obj, (tuple, list, set, frozenset)):
        for item in obj:
            found += _held_arrays(item, seen)
    elif isinstance(obj, dict):
        for item in obj.values():
            found += _held_arrays(item, seen)
    elif isinstance(obj, types.FunctionType):
        for cell in obj.__closure__ or ():
            try:
                found += _held_arrays(cell.cell_contents, seen)
            except ValueError:  # an empty cell
                pass
        found += _held_arrays(obj.__defaults__ or (), seen)
    return found


@pytest.mark.parametrize("s", _all_surfaces(), ids=lambda s: f"{s.name}:{s.label[:20]}")
def test_every_array_a_surface_holds_is_read_only(s):
    arrays = _held_arrays(s)
    if s.data is not None:
        assert len(arrays) >= 3  # the walk does reach the data and the closures
    for a in arrays:
        assert not a.flags.writeable, (a.shape, a.dtype)
        with pytest.raises(ValueError, match="read-only"):
            a[...] = 0


@pytest.mark.parametrize("module", [catalog, data, formula])
def test_module_level_arrays_are_read_only(module):
    for name, value in vars(module).items():
        if isinstance(value, np.ndarray):
            assert not value.flags.writeable, f"{module.__name__}.{name}"


@pytest.mark.parametrize("s", _all_surfaces(), ids=lambda s: f"{s.name}:{s.label[:20]}")
def test_what_a_call_returns_is_fresh_and_writable(s):
    xy = np.array([list(s.start), list(s.start)])
    for out in (s.value(xy), s.grad(xy), s.contains(xy), s.clip(xy), s.mesh(3, 2)):
        assert out.flags.writeable
        before = s.value(xy).copy()
        out[...] = 123.0
        assert np.array_equal(s.value(xy), before, equal_nan=True)
    assert xy.tolist() == [list(s.start)] * 2


def test_cached_formula_surface_cannot_be_changed():
    s = surfaces.from_formula(*FORMULAS[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.start = (0.0, 0.0)
    assert surfaces.from_formula(*FORMULAS[0]) is s
