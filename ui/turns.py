"""One script run at a time in this process: a class's reruns queue instead of thrashing.

Streamlit runs each session's script in a thread of its own.  Thirty
students' reruns at once are thirty threads passing the one GIL around, and
each of them finishes only when nearly all of them do.  Taken one at a time,
each rerun finishes as soon as its own work is done: on the class load test
the p95 latency halves (BENCHMARKS.md).

A run waits at most ``WAIT`` seconds for its turn and then runs anyway, so a
run that never ends (a bug) slows the class down instead of stopping it.
``ONE_SCRIPT_AT_A_TIME=0`` in the environment turns the queue off (to
measure what it buys).
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

WAIT = 10.0  # seconds a run waits for its turn before running alongside the others
ENABLED = os.environ.get("ONE_SCRIPT_AT_A_TIME", "1") != "0"

_turn = threading.Lock()


@contextmanager
def turn():
    """Hold the process's script-run turn for the ``with`` block (or run without it after ``WAIT``)."""
    held = ENABLED and _turn.acquire(timeout=WAIT)
    try:
        yield held
    finally:
        if held:
            _turn.release()
