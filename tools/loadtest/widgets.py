"""Widgets as the browser sees them: found in the element protos of a script run.

Each widget element the server sends carries its id, its kind, its allowed
values (options, min/max/step) and either a default or, when the script set
it (`set_value`), its current value.  From that we reproduce two things the
browser's widget manager does: the value a widget reports before anyone
touches it, and the wire encoding of a value (`WidgetState`), which differs
per widget type (a select_slider travels as the formatted option strings, a
numeric slider as doubles, a selectbox as the option string, ...).

Nothing here knows the app: ids, labels and allowed values all come from the
page, so the load test keeps working when the UI changes.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from streamlit.proto.ButtonGroup_pb2 import ButtonGroup
from streamlit.proto.Checkbox_pb2 import Checkbox
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState

# Element types we can drive, keyed by the Element oneof name.
KINDS = ("slider", "number_input", "selectbox", "multiselect", "checkbox", "radio", "button", "button_group")
# st.pills and st.segmented_control are both ButtonGroup elements.
_GROUPS = ("pills", "segmented_control")

# The app's column-width reporter (ui/viewport.py): not a control, but a browser reports
# through it once the page is drawn, and that report is a rerun.
COLUMN_WIDTH = "column_width"
# The loader of plotly.js (ui/plotchart.py): on a page that keeps its charts, a browser reports
# through it once plotly.js is loaded (a rerun), and from then on gets kept charts.
PLOTLY_READY = "plotly_ready"

# Numeric sliders and number inputs with more steps than this are sampled
# rather than enumerated.
_MAX_ENUMERATED = 2000


@dataclass(frozen=True)
class Widget:
    id: str
    kind: str  # "slider", "select_slider", "number_input", ..., "toggle", "button", "pills"
    label: str
    proto: Any  # the element's own message (Slider, Selectbox, ...)
    fragment_id: str  # "" unless the widget was written inside an st.fragment

    @property
    def drivable(self) -> bool:
        """Whether a student could change it and get a rerun.

        Disabled widgets cannot be touched; form widgets only rerun on submit
        (this app has no forms); `on_change="ignore"` widgets never rerun.
        """
        p = self.proto
        if getattr(p, "disabled", False) or getattr(p, "form_id", ""):
            return False
        if getattr(p, "ignore_rerun", False):
            return False
        if self.kind in (COLUMN_WIDTH, PLOTLY_READY):
            return False  # no student changes it; AppSession.report_width/report_ready do, as a browser would
        if self.kind == "button":
            return not p.is_form_submitter
        return bool(choices(self)) or self.kind in ("slider", "number_input", "checkbox", "toggle")


def from_element(element, fragment_id: str = "") -> Widget | None:
    """The widget in an Element proto, or None for non-widgets and kinds we skip
    (date/time sliders, file uploaders, charts with selections, ...)."""
    kind = element.WhichOneof("type")
    if kind == "bidi_component" and element.bidi_component.component_name.endswith(COLUMN_WIDTH):
        p = element.bidi_component
        return Widget(id=p.id, kind=COLUMN_WIDTH, label="column width", proto=p, fragment_id=fragment_id)
    if kind == "bidi_component" and element.bidi_component.component_name == "plotchart" \
            and element.bidi_component.WhichOneof("data") == "json":
        p = element.bidi_component
        if json.loads(p.json).get("preload"):  # the loader (a kept chart sends its figure as bytes)
            return Widget(id=p.id, kind=PLOTLY_READY, label="plotly.js there", proto=p, fragment_id=fragment_id)
        return None
    if kind not in KINDS:
        return None
    p = getattr(element, kind)
    if kind == "slider":
        if p.type == Slider.SELECT_SLIDER:
            kind = "select_slider"
        elif p.data_type not in (Slider.INT, Slider.FLOAT):
            return None
    elif kind == "checkbox" and p.type == Checkbox.TOGGLE:
        kind = "toggle"
    elif kind == "button_group":
        kind = "pills" if p.style == ButtonGroup.PILLS else "segmented_control"
    return Widget(id=p.id, kind=kind, label=p.label, proto=p, fragment_id=fragment_id)


def choices(w: Widget) -> list[str]:
    """The option strings of an option widget (empty for the others)."""
    if w.kind in ("select_slider", "selectbox", "multiselect", "radio"):
        return list(w.proto.options)
    if w.kind in _GROUPS:
        return [o.content for o in w.proto.options]
    return []


# --- the value a widget reports ------------------------------------------------

def reported_state(w: Widget, previous: WidgetState | None) -> WidgetState | None:
    """What the browser's widget manager holds for `w` after it is drawn.

    A value the script set (`set_value`) wins; otherwise a widget keeps what it
    had, and a new one reports its default.  Buttons hold nothing between clicks.
    """
    p = w.proto
    if w.kind == "button":
        return None
    if w.kind in (COLUMN_WIDTH, PLOTLY_READY):
        return previous  # nothing until its JavaScript has measured the column / loaded plotly.js
    if getattr(p, "set_value", False):
        return _encode(w, _script_value(w))
    if previous is not None:
        return previous
    return _encode(w, _default_value(w))


def _script_value(w: Widget) -> Any:
    p = w.proto
    if w.kind == "select_slider":
        return list(p.raw_value)
    if w.kind == "slider":
        return list(p.value)
    if w.kind in ("selectbox", "radio"):
        return p.raw_value if p.HasField("raw_value") else None
    if w.kind == "multiselect" or w.kind in _GROUPS:
        return list(p.raw_values)
    if w.kind == "number_input":
        return p.value if p.HasField("value") else None
    return p.value  # checkbox, toggle


def _default_value(w: Widget) -> Any:
    p = w.proto
    if w.kind == "select_slider":
        return [p.options[int(i)] for i in p.default]
    if w.kind == "slider":
        return list(p.default)
    if w.kind in ("selectbox", "radio"):
        return p.options[p.default] if p.HasField("default") and p.default < len(p.options) else None
    if w.kind == "multiselect":
        return [p.options[i] for i in p.default]
    if w.kind in _GROUPS:
        return [p.options[i].content for i in p.default if i < len(p.options)]
    if w.kind == "number_input":
        return p.default if p.HasField("default") else None
    return p.default  # checkbox, toggle


def _encode(w: Widget, value: Any) -> WidgetState | None:
    """The WidgetState the browser sends for `value` (None: no value to send)."""
    if value is None:
        return None
    s = WidgetState(id=w.id)
    if w.kind in ("select_slider", "multiselect", *_GROUPS):
        s.string_array_value.data[:] = [str(v) for v in value]
    elif w.kind == "slider":
        s.double_array_value.data[:] = [float(v) for v in value]
    elif w.kind in ("selectbox", "radio"):
        s.string_value = str(value)
    elif w.kind == "number_input":
        if w.proto.data_type == NumberInput.INT:
            s.int_value = int(value)
        else:
            s.double_value = float(value)
    elif w.kind in ("checkbox", "toggle"):
        s.bool_value = bool(value)
    elif w.kind == "button":
        s.trigger_value = True
    return s


def decode(state: WidgetState | None) -> Any:
    """The plain Python value inside a WidgetState (for logs and comparisons)."""
    if state is None:
        return None
    which = state.WhichOneof("value")
    if which is None:
        return None
    v = getattr(state, which)
    return list(v.data) if which.endswith("_array_value") else v


# --- a student's move ------------------------------------------------------------

def random_change(w: Widget, current: WidgetState | None, rng: random.Random) -> WidgetState | None:
    """A random allowed value for `w` that differs from its current one, encoded
    for the wire; a click for a button.  None if the widget has no other value."""
    if w.kind == "button":
        return _encode(w, True)
    now = decode(current)
    if w.kind in ("checkbox", "toggle"):
        return _encode(w, not bool(now))
    if w.kind in ("select_slider", "selectbox", "radio"):
        opts = choices(w)
        n_values = 2 if (w.kind == "select_slider" and len(w.proto.default) == 2) else 1
        for _ in range(20):
            pick = sorted(rng.sample(range(len(opts)), n_values)) if len(opts) >= n_values else []
            value = [opts[i] for i in pick]
            if w.kind != "select_slider":
                value = value[0] if value else None
            if value is not None and value != now and value != [now]:
                return _encode(w, value)
        return None
    if w.kind == "multiselect" or (w.kind in _GROUPS and w.proto.click_mode == ButtonGroup.MULTI_SELECT):
        return _encode(w, _random_subset(w, now, rng))
    if w.kind in _GROUPS:  # single select: press another option
        others = [o for o in choices(w) if [o] != now]
        return _encode(w, [rng.choice(others)]) if others else None
    if w.kind == "slider":
        return _encode(w, _random_numbers(w.proto.min, w.proto.max, w.proto.step,
                                          w.proto.data_type == Slider.INT, len(w.proto.default) or 1, now, rng))
    if w.kind == "number_input":
        return _encode(w, _random_number_input(w, now, rng))
    return None


def _random_subset(w: Widget, now: list[str] | None, rng: random.Random) -> list[str] | None:
    opts = choices(w)
    if not opts:
        return None
    cap = getattr(w.proto, "max_selections", 0) or len(opts)
    # At least one, so the page has something to draw; up to all of them.
    for _ in range(20):
        k = rng.randint(1, min(cap, len(opts)))
        value = [opts[i] for i in sorted(rng.sample(range(len(opts)), k))]
        if value != now:
            return value
    return None


def _grid_value(lo: float, hi: float, step: float, is_int: bool, rng: random.Random) -> float:
    """A random point of lo, lo+step, ..., hi (what a slider can land on)."""
    if step <= 0 or hi <= lo:
        return lo
    n = int(round((hi - lo) / step))
    k = rng.randint(0, n) if n <= _MAX_ENUMERATED else int(rng.random() * n)
    v = min(lo + k * step, hi)
    return int(round(v)) if is_int else round(v, 12)


def _random_numbers(lo, hi, step, is_int, count, now, rng) -> list[float] | None:
    for _ in range(20):
        value = sorted(_grid_value(lo, hi, step, is_int, rng) for _ in range(count))
        if value != now:
            return value
    return None


def _random_number_input(w: Widget, now, rng) -> float | None:
    p = w.proto
    is_int = p.data_type == NumberInput.INT
    step = p.step or (1 if is_int else 0.01)
    base = now if now is not None else (p.default if p.HasField("default") else 0)
    # Unbounded sides: a student types something within ten steps of where it is.
    lo = p.min if p.has_min else base - 10 * step
    hi = p.max if p.has_max else base + 10 * step
    for _ in range(20):
        v = _grid_value(lo, hi, step, is_int, rng)
        if v != now:
            return v
    return None


def width_state(w: Widget, width: int) -> WidgetState:
    """The column-width reporter's report, as the browser's widget manager sends it (a JSON value)."""
    return WidgetState(id=w.id, json_value=json.dumps({"width": width}))


def ready_state(w: Widget) -> WidgetState:
    """The plotly.js loader's report, as the browser's widget manager sends it (a JSON value)."""
    return WidgetState(id=w.id, json_value=json.dumps({"ready": True}))
