"""Default learning rates: searched per (surface, optimizer), checked in, and usable as a first picture.

No visitor waits for the search (issue 6): ``default_lr`` reads the checked-in
``viz/tuned_lr.json``.  The table must equal what the search gives today for
every registered pair, so a change to an optimizer, a surface or the search
that moves a default fails here until the table is regenerated
(``python -m viz.tuning``).  The whole search takes about 10 s on 2 cores.
"""

import json

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
    outside = ~s.contains(pts)
    assert not outside.any(), (
        f"{optimizer} at its default lr={lr} leaves the {surface} window at step {np.argmax(outside)}")


# --- the checked-in table ---------------------------------------------------------------

def test_checked_in_table_covers_exactly_the_registered_pairs():
    table = json.loads(tuning.TABLE_FILE.read_text())
    assert sorted(table) == sorted(surfaces.names()), "regenerate with: python -m viz.tuning"
    for s, row in table.items():
        assert sorted(row) == sorted(optimizers.names()), (s, "regenerate with: python -m viz.tuning")
        assert all(isinstance(v, float) and v in tuning.SEARCH for v in row.values()), row


def test_checked_in_table_equals_the_search_for_every_pair():
    table = tuning.table()
    stale = {(s, o): (table[s][o], tuning.tuned_lr(s, o)) for s, o in PAIRS
             if table[s][o] != tuning.tuned_lr(s, o)}
    assert not stale, f"(table, search) differ for {stale}; regenerate with: python -m viz.tuning"


def test_regenerating_the_table_gives_the_checked_in_file(tmp_path, monkeypatch):
    checked_in = tuning.TABLE_FILE.read_text()
    monkeypatch.setattr(tuning, "TABLE_FILE", tmp_path / "tuned_lr.json")
    out = tuning.write_table()
    assert (tmp_path / "tuned_lr.json").read_text() == checked_in
    assert out == json.loads(checked_in)


# --- default_lr: the table first, the search only for what it lacks ----------------------

def test_default_lr_reads_the_table_without_searching(monkeypatch):
    def no_search(*args):
        raise AssertionError("default_lr searched although the pair is in the table")

    monkeypatch.setattr(tuning, "tuned_lr", no_search)
    for s, o in PAIRS:
        lr = tuning.default_lr(s, o)
        assert isinstance(lr, float) and lr == tuning.table()[s][o]


def test_default_lr_falls_back_to_the_search_for_a_pair_not_in_the_table(monkeypatch):
    full = tuning.table()
    partial = {s: dict(row) for s, row in full.items()}
    del partial["rosenbrock"]["adam"]
    del partial["saddle"]
    monkeypatch.setattr(tuning, "table", lambda: partial)
    searched = []
    real = tuning.tuned_lr
    monkeypatch.setattr(tuning, "tuned_lr", lambda s, o: searched.append((s, o)) or real(s, o))
    assert tuning.default_lr("rosenbrock", "adam") == real("rosenbrock", "adam")
    assert tuning.default_lr("saddle", "sgd") == real("saddle", "sgd")
    assert tuning.default_lr("rosenbrock", "sgd") == full["rosenbrock"]["sgd"]
    assert searched == [("rosenbrock", "adam"), ("saddle", "sgd")]


def test_a_missing_or_broken_table_means_searching_not_failing(tmp_path, monkeypatch):
    for content in (None, "{not json"):
        path = tmp_path / "tuned_lr.json"
        if content is not None:
            path.write_text(content)
        monkeypatch.setattr(tuning, "TABLE_FILE", path)
        tuning.table.cache_clear()
        try:
            assert tuning.table() == {}
            assert tuning.default_lr("bowl", "adam") == tuning.tuned_lr("bowl", "adam")
        finally:
            tuning.table.cache_clear()
    monkeypatch.undo()
    assert tuning.table() == json.loads(tuning.TABLE_FILE.read_text())


# --- what the search picks ---------------------------------------------------------------

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
