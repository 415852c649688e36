"""A class's script runs take turns: one at a time per process (ui/turns.py)."""

import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from ui import turns


def test_a_script_run_waits_for_its_turn_then_runs(monkeypatch):
    """While another session's run holds the turn, a run waits (here until WAIT, then runs anyway)."""
    monkeypatch.setattr(turns, "WAIT", 1.5)
    at = AppTest.from_file("../app.py", default_timeout=90)
    with turns._turn:  # another session's run, mid-way
        t = time.perf_counter()
        at.run()
        waited = time.perf_counter() - t
    assert waited >= 1.5, waited
    assert not at.exception and at.get("plotly_chart"), "the page did not draw after its wait"


def test_the_turn_is_free_again_after_a_run_and_after_an_error():
    at = AppTest.from_file("../app.py", default_timeout=90)
    at.run()
    assert not at.exception
    assert turns._turn.acquire(blocking=False), "a finished run kept the turn"
    turns._turn.release()
    with pytest.raises(RuntimeError):
        with turns.turn():
            raise RuntimeError("a page that fails")
    assert turns._turn.acquire(blocking=False), "a failed run kept the turn"
    turns._turn.release()


def test_runs_take_turns_first_in_first_out_of_the_block():
    events = []

    def run(name, hold):
        with turns.turn() as held:
            events.append((name, "in", held))
            time.sleep(hold)
            events.append((name, "out", held))

    first = threading.Thread(target=run, args=("a", 0.3))
    first.start()
    time.sleep(0.05)
    second = threading.Thread(target=run, args=("b", 0.0))
    second.start()
    first.join()
    second.join()
    assert [e[:2] for e in events] == [("a", "in"), ("a", "out"), ("b", "in"), ("b", "out")]
    assert all(held for *_, held in events)


def test_a_run_that_never_ends_only_delays_the_others(monkeypatch):
    monkeypatch.setattr(turns, "WAIT", 0.2)
    with turns._turn:  # stuck forever, as far as the next run knows
        t = time.perf_counter()
        with turns.turn() as held:
            assert not held
        assert 0.2 <= time.perf_counter() - t < 2


# --- the first run's objects leave the collector's walk (ui/gcfreeze.py) ----------------------------

FRESH_PROCESS = """
import gc, json, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=90)
before = gc.get_freeze_count()
at.run()
first = gc.get_freeze_count()
at.run()
print(json.dumps(dict(before=before, first=first, second=gc.get_freeze_count(),
                      ok=not at.exception and bool(at.get("plotly_chart")))))
"""


def fresh_process(**env) -> dict:
    """Two page runs in a new interpreter (freezing is once per process): freeze counts."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", FRESH_PROCESS], cwd=root, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(root), **env}, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_first_run_freezes_the_process_once():
    counts = fresh_process()
    assert counts["ok"]
    assert counts["before"] == 0 and counts["first"] > 20_000, counts  # the modules, at least
    assert counts["second"] <= counts["first"], "froze again after a later run"


def test_freezing_can_be_turned_off():
    counts = fresh_process(GC_FREEZE="0")
    assert counts["ok"] and counts["first"] == counts["second"] == 0, counts
