"""The URL codec: every view survives a link, and a bad link never breaks a page.

``decode`` must never raise; each malformed piece costs only that piece, falls
back to the page's default and says so in a warning that quotes the bad value.
"""

import math
import random
import string
from urllib.parse import parse_qs, urlencode

import pytest

import optimizers
import surfaces
from viz import presets, state
from viz.state import Run, View

DEFAULT = presets.ZIGZAG
OTHER = presets.TEXTBOOK  # a different default, so a round trip cannot pass by falling back


def through_url(params: dict) -> dict:
    """What a browser gives back for these parameters: a real query string, parsed."""
    query = urlencode(params, doseq=True, safe=",/")
    return parse_qs(query, keep_blank_values=True)


def decoded(**params) -> tuple[View, list[str]]:
    return state.decode(params, DEFAULT)


def one_warning(warnings: list[str], *needles: str) -> str:
    hits = [w for w in warnings if all(n in w for n in needles)]
    assert len(hits) == 1, f"expected one warning containing {needles}, got {warnings}"
    return hits[0]


# --- round trips -------------------------------------------------------------

@pytest.mark.parametrize("preset", presets.PRESETS, ids=lambda p: p.key)
def test_every_preset_round_trips(preset):
    params = state.encode(preset.view)
    assert set(params) == {"surface", "opt", "x0", "y0", "steps"}  # defaults stay out of the link
    for default in (DEFAULT, OTHER):
        view, warnings = state.decode(through_url(params), default)
        assert warnings == []
        assert view == preset.view


NON_DEFAULT = [
    View("bowl", (Run.of("adam", lr=0.3, betas=(0.8, 0.99)),
                  Run.of("rmsprop", lr=0.01, centered=True, momentum=0.5, eps=1e-6)),
         (-6.5, 1.25), 75, noise=0.1, seed=42, present=True),
    View("rosenbrock", (Run.of("nadam", lr=2e-3, momentum_decay=0.01, weight_decay=0.1),
                        Run.of("adagrad", lr=0.5, lr_decay=0.01, initial_accumulator_value=0.1),
                        Run.of("momentum", lr=1e-3, momentum=0.5, dampening=0.3),
                        Run.of("nesterov", lr=1e-3, momentum=0.95),
                        Run.of("adadelta", lr=1.0, rho=0.95, eps=1e-4)),
         (1 / 3, 0.1 + 0.2), 1000, noise=2.5, seed=state.MAX_SEED),
    View("saddle", tuple(Run.of(n, lr=1e-4) for n in optimizers.names()),
         (-2.0, 2.0), 1, noise=10.0, seed=1),
    View("himmelblau", (Run.of("amsgrad", lr=1e-12, betas=(0.0, 0.9999), eps=1e-10),),
         (-1e-7, 4.999999), 37, present=True),
]


@pytest.mark.parametrize("view", NON_DEFAULT, ids=lambda v: v.surface)
def test_views_with_non_default_settings_round_trip(view):
    params = state.encode(view)
    back, warnings = state.decode(through_url(params), DEFAULT)
    assert warnings == []
    assert back == view
    assert state.encode(back) == params


def test_link_form_matches_the_documented_one():
    view = View("bowl", (Run.of("sgd", lr=0.95), Run.of("adam", lr=0.3, betas=(0.8, 0.999))),
                (-7.0, 2.0), 30)
    assert state.encode(view) == {"surface": "bowl", "opt": ["sgd,lr=0.95", "adam,betas=0.8/0.999,lr=0.3"],
                                  "x0": "-7", "y0": "2", "steps": "30"}
    full = state.encode(view.with_(noise=0.05, seed=3, present=True))
    assert (full["noise"], full["seed"], full["present"]) == ("0.05", "3", "1")
    rms = state.encode(View("bowl", (Run.of("rmsprop", lr=0.1, centered=True),), (0.0, 0.0), 5))
    assert rms["opt"] == ["rmsprop,centered=1,lr=0.1"]


def test_docstring_example_decodes_and_drops_torch_defaults():
    query = "surface=bowl&opt=sgd,lr=0.95&opt=adam,lr=0.3,betas=0.9/0.999&x0=-7&y0=2&steps=30"
    view, warnings = state.decode(parse_qs(query), OTHER)
    assert warnings == []
    assert view == presets.ZIGZAG
    assert view.runs[1].hyper == (("lr", 0.3),)  # betas at torch's default are not kept


def test_partial_link_keeps_the_rest_of_the_default():
    view, warnings = decoded(steps="50")
    assert warnings == [] and view == DEFAULT.with_(steps=50)
    view, warnings = decoded(surface="rosenbrock")
    assert warnings == []
    assert view.start == surfaces.get("rosenbrock").start  # a new surface brings its own start
    assert view.runs == DEFAULT.runs and view.steps == DEFAULT.steps


def test_present_flag_spellings():
    for raw, want in [("1", True), ("true", True), ("YES", True), ("0", False), ("no", False)]:
        assert decoded(present=raw)[0].present is want


# --- malformed links ------------------------------------------------------------

def test_unknown_surface():
    view, warnings = decoded(surface="foo")
    w = one_warning(warnings, "'foo'")
    assert "Valid surfaces: bowl, saddle" in w
    assert view == DEFAULT


def test_unknown_optimizer_is_skipped_others_kept():
    view, warnings = decoded(opt=["nope", "adam,lr=0.1"])
    w = one_warning(warnings, "'nope'")
    assert "Valid optimizers: sgd, momentum" in w
    assert view.runs == (Run.of("adam", lr=0.1),)


def test_no_usable_optimizer_falls_back_to_the_defaults():
    view, warnings = decoded(opt=["nope", "adamw,lr=1"])
    one_warning(warnings, "'nope'")
    one_warning(warnings, "'adamw'")
    one_warning(warnings, "No usable optimizer")
    assert view.runs == DEFAULT.runs


@pytest.mark.parametrize("raw, message", [
    ("abc", "lr='abc' is not valid (a finite number expected)"),
    ("nan", "lr='nan' is not valid"),
    ("inf", "lr='inf' is not valid"),
    ("", "lr='' is not valid"),
    ("-1", "Invalid learning rate: -1.0"),
])
def test_bad_learning_rate_falls_back_to_the_default(raw, message):
    view, warnings = decoded(opt=[f"sgd,lr={raw}", "adam,lr=0.2"])
    w = one_warning(warnings, message)
    assert w.startswith("SGD: ") and "using the default" in w
    # No lr in the Run: the page then takes its tuned default for the surface.
    assert view.runs == (Run("sgd"), Run.of("adam", lr=0.2))
    assert "lr" not in view.runs[0].kwargs


def test_unknown_knob_is_ignored_and_the_accepted_ones_listed():
    view, warnings = decoded(opt=["adam,lr=0.2,foo=1,momentum=0.9"])
    one_warning(warnings, "'foo=1'", "Accepted: lr, betas, eps, weight_decay")
    one_warning(warnings, "'momentum=0.9'")
    assert view.runs == (Run.of("adam", lr=0.2),)
    view, warnings = decoded(opt=["sgd,lr"])  # a setting with no value
    one_warning(warnings, "'lr'")
    assert view.runs == (Run("sgd"),)


@pytest.mark.parametrize("raw, message", [
    ("0.9", "betas='0.9' is not valid (two numbers like 0.9/0.999 expected)"),
    ("0.9/x", "betas='0.9/x' is not valid"),
    ("0.9/0.99/0.9", "betas='0.9/0.99/0.9' is not valid"),
    ("1.5/0.999", "Invalid beta parameter at index 0: 1.5"),
    ("0.9/1", "Invalid beta parameter at index 1: 1.0"),
])
def test_bad_betas_fall_back_to_the_default(raw, message):
    view, warnings = decoded(opt=[f"adam,lr=0.2,betas={raw}"])
    one_warning(warnings, "Adam: ", message)
    assert view.runs == (Run.of("adam", lr=0.2),)
    assert "betas" not in view.runs[0].kwargs


def test_bad_bool_and_nesterov_without_momentum():
    view, warnings = decoded(opt=["rmsprop,lr=0.1,centered=maybe", "nesterov,lr=0.1,momentum=0"])
    one_warning(warnings, "centered='maybe'", "0 or 1")
    one_warning(warnings, "Nesterov: ", "momentum=0.0")
    assert view.runs == (Run.of("rmsprop", lr=0.1), Run.of("nesterov", lr=0.1))


def test_duplicated_optimizer_keeps_the_first():
    view, warnings = decoded(opt=["sgd,lr=0.1", "adam,lr=0.3", "sgd,lr=0.2"])
    one_warning(warnings, "SGD appears twice")
    assert view.runs == (Run.of("sgd", lr=0.1), Run.of("adam", lr=0.3))


@pytest.mark.parametrize("raw", ["-5", "0", "2.5", "1001", "abc", "nan", "1e400", ""])
def test_bad_steps(raw):
    view, warnings = decoded(steps=raw)
    one_warning(warnings, f"steps={raw!r}", "whole number from 1 to 1000", f"using {DEFAULT.steps}")
    assert view.steps == DEFAULT.steps


@pytest.mark.parametrize("key, raw", [("x0", "nan"), ("x0", "inf"), ("x0", "abc"), ("x0", "10.5"),
                                      ("x0", "-11"), ("y0", "5.01"), ("y0", "")])
def test_bad_start_coordinate(key, raw):
    view, warnings = decoded(**{key: raw, "x0" if key == "y0" else "y0": "1"})
    i = 0 if key == "x0" else 1
    w = one_warning(warnings, f"{key}={raw!r}")
    window = surfaces.get("bowl").x_range if key == "x0" else surfaces.get("bowl").y_range
    assert f"[{window[0]:g}, {window[1]:g}]" in w
    assert f"using {DEFAULT.start[i]:g}" in w
    assert view.start[i] == DEFAULT.start[i]
    assert view.start[1 - i] == 1.0  # the good coordinate is kept


def test_start_outside_a_new_surfaces_window_uses_that_surfaces_start():
    view, warnings = decoded(surface="rosenbrock", x0="-7", y0="2.5")  # fine for the bowl, not here
    one_warning(warnings, "x0='-7'", "[-2, 2]", "using -1.2")
    assert view.surface == "rosenbrock" and view.start == (-1.2, 2.5)


@pytest.mark.parametrize("raw", ["-1", "2147483648", "1.5", "abc", "1e20"])
def test_seed_out_of_range(raw):
    view, warnings = decoded(seed=raw)
    one_warning(warnings, f"seed={raw!r}", str(state.MAX_SEED))
    assert view.seed == DEFAULT.seed


@pytest.mark.parametrize("raw", ["-0.1", "10.01", "abc", "inf"])
def test_noise_out_of_range(raw):
    view, warnings = decoded(noise=raw)
    one_warning(warnings, f"noise={raw!r}", "from 0 to 10")
    assert view.noise == DEFAULT.noise


def test_many_problems_at_once_each_cost_only_themselves():
    view, warnings = decoded(surface="foo", opt=["nope", "sgd,lr=abc", "adam,lr=0.25"],
                             steps="-5", x0="nan", y0="1.5", seed="-3")
    assert len(warnings) == 6
    assert view == View("bowl", (Run("sgd"), Run.of("adam", lr=0.25)), (-7.0, 1.5), 30)


def test_repeated_scalar_parameter_takes_the_last():
    view, warnings = decoded(steps=["10", "20"], surface=["foo", "saddle"])
    assert warnings == [] and view.steps == 20 and view.surface == "saddle"


# --- fuzz: garbage never raises, and what comes out is a usable view -------------

PIECES = ["sgd", "adam", "rmsprop", "nesterov", "nope", "lr", "betas", "centered", "momentum",
          "eps", "rho", "=", ",", "/", "0", "1", "-1", "0.9", "1e-3", "1e999", "nan", "inf", "-0",
          "abc", " ", "", "é", "\x00", "%", "&", "?", "1/2/3", "true", "2.5", "9" * 30]
KEYS = ["surface", "opt", "x0", "y0", "steps", "noise", "seed", "present", "junk"]


def garbage(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return "".join(rng.choice(string.printable + "éλ€") for _ in range(rng.randint(0, 20)))
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8)))


VALUES = ["0", "1", "0.5", "0.9/0.99", "0.9", "1e-3", "0.25", "0.5/0.5", "1e-6",  # mostly fine
          "-1", "nan", "", "abc", "true", "1/1", "1e308"]


def opt_text(rng: random.Random) -> str:
    """Mostly well-formed ``name,knob=value`` pieces, so the value checks get exercised."""
    name = rng.choice(optimizers.names())
    knobs = list(optimizers.spec(name).defaults) + ["foo"]
    pairs = [rng.choice(knobs) + ("=" if rng.random() < 0.9 else "") +
             (rng.choice(VALUES) if rng.random() < 0.8 else garbage(rng))
             for _ in range(rng.randint(1, 4))]
    return ",".join([name, *pairs])


def fuzz_cases(n=300, seed=20240613):
    rng = random.Random(seed)
    for _ in range(n):
        params = {}
        for key in rng.sample(KEYS, rng.randint(0, len(KEYS))):
            if key == "surface" and rng.random() < 0.5:
                params[key] = rng.choice(surfaces.names())
            elif key == "opt":
                params[key] = [opt_text(rng) if rng.random() < 0.7 else garbage(rng)
                               for _ in range(rng.randint(0, 4))]
            else:
                params[key] = garbage(rng) if rng.random() < 0.8 else [garbage(rng), garbage(rng)]
        yield params


def test_fuzzed_links_never_raise_and_give_a_usable_view():
    for params in fuzz_cases():
        view, warnings = state.decode(params, DEFAULT)
        assert all(isinstance(w, str) and w for w in warnings), params
        s = surfaces.get(view.surface)
        assert s.x_range[0] <= view.start[0] <= s.x_range[1], params
        assert s.y_range[0] <= view.start[1] <= s.y_range[1], params
        assert 1 <= view.steps <= state.MAX_STEPS and 0 <= view.noise <= state.MAX_NOISE, params
        assert 0 <= view.seed <= state.MAX_SEED, params
        assert view.runs and len({r.name for r in view.runs}) == len(view.runs), params
        for run in view.runs:
            optimizers.get(run.name, **run.kwargs)  # every decoded run can be built
            assert all(math.isfinite(v) for k, v in run.hyper
                       if not isinstance(v, (bool, tuple))), params
        # What comes out is stable: encode it and it decodes to itself, silently.
        again, more = state.decode(through_url(state.encode(view)), OTHER)
        assert (again, more) == (view, []), params
