"""Once the first script run is done, move what the process has built out of the collector's way.

Streamlit's own ``gc.collect()`` after every run is off (``.streamlit/config.toml``),
but CPython's collector still walks every tracked object on each full
collection: Streamlit's, Plotly's, NumPy's and the app's modules and
functions, about 110 k objects here, none of which will ever be garbage.
Under a class's load that was a full collection every few seconds, each a
pause of 100-200 ms for whichever students were waiting (BENCHMARKS.md).
``gc.freeze()`` moves them into a permanent generation the collector skips.

It is done once: an object frozen is never collected if it later becomes
part of a reference cycle, so only what exists after the first run (the
modules, and the first session) is frozen; everything made later is
collected as usual.  ``GC_FREEZE=0`` in the environment turns it off (to
measure what it buys).
"""

from __future__ import annotations

import gc
import os
import threading

ENABLED = os.environ.get("GC_FREEZE", "1") != "0"

_lock = threading.Lock()
_done = False


def after_run() -> None:
    """Collect once and freeze what survives, after the process's first completed script run."""
    global _done
    if _done or not ENABLED:
        return
    with _lock:
        if _done:
            return
        _done = True
        gc.collect()
        gc.freeze()
