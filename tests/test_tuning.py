"""Default learning rates: searched per (surface, optimizer), and usable as a first picture."""

import numpy as np
import pytest

import optimizers
import surfaces
from viz import tuning

PAIRS = [(s, o) for s in surfaces.names() for o in optimizers.names()]


def lr_knob(name):
    return next(k for k in optimizers.spec(name).knobs if k.name == "lr")


@pytest.mark.parametrize("surface, optimizer", PAIRS, ids=[f"{s}-{o}" for s, o in PAIRS])
def test_tuned_lr_is_in_range_and_keeps_the_path_on_the_plot(surface, optimizer):
    lr = tuning.tuned_lr(surface, optimizer)
    knob = lr_knob(optimizer)
    assert isinstance(lr, float) and np.isfinite(lr)
    assert knob.lo <= lr <= knob.hi
    s = surfaces.get(surface)
    tr = optimizers.run(optimizers.get(optimizer, lr=lr), s, s.start, tuning.SEARCH_STEPS)
    pts, diverged_at = tr.points, int(tr.diverged_at)
    assert diverged_at == -1, (
        f"{optimizer} at its default lr={lr} diverges on {surface} at step {diverged_at}")
    (x0, x1), (y0, y1) = s.x_range, s.y_range
    outside = ~((pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1))
    assert not outside.any(), (
        f"{optimizer} at its default lr={lr} leaves the {surface} window at step {np.argmax(outside)}")


def test_tuned_lr_beats_its_neighbours_on_the_search_grid():
    """The pick is the best of the grid: one step up or down is not better (bowl, Adam)."""
    s = surfaces.get("bowl")
    best = tuning.tuned_lr("bowl", "adam")
    i = tuning.SEARCH.index(best)

    def score(lr):
        tr = optimizers.run(optimizers.get("adam", lr=lr), s, s.start, tuning.SEARCH_STEPS)
        return float(np.mean(np.log10(tr.losses - 0.0 + 1e-12)))

    for j in (i - 1, i + 1):
        if 0 <= j < len(tuning.SEARCH):
            assert score(tuning.SEARCH[j]) >= score(best)


def test_tuned_lr_is_cached_and_depends_on_the_surface():
    assert tuning.tuned_lr("bowl", "sgd") is tuning.tuned_lr("bowl", "sgd")
    # a rate that suits the gentle bowl would throw SGD off Rosenbrock's steep walls
    assert tuning.tuned_lr("rosenbrock", "sgd") < tuning.tuned_lr("bowl", "sgd")
    assert tuning.SEARCH[0] == 1e-6 and tuning.SEARCH[-1] == 50.0
