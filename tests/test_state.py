"""The URL codec: every scenario survives a link, and a bad link never breaks a page.

``decode`` never raises; each malformed piece costs only that piece, falls
back to the page's default, and *every* change it makes to what the link asked
for is reported in a problem that quotes the bad value.  Presentation mode is a
page flag: it travels in the link but is not part of the ``Scenario``.

Property-based fuzzing of the same codec lives in ``test_codec_fuzz.py``.
"""

from urllib.parse import parse_qs, urlencode

import pytest

import optimizers
import surfaces
from viz import presets, state
from viz.state import Run, Scenario

DEFAULT = presets.ZIGZAG
OTHER = presets.TEXTBOOK  # a different default, so a round trip cannot pass by falling back


def through_url(params: dict) -> dict:
    """What a browser gives back for these parameters: a real query string, parsed."""
    return parse_qs(urlencode(params, doseq=True, safe=",/"), keep_blank_values=True)


def decoded(max_runs: int = state.MAX_RUNS, **params) -> state.Decoded:
    return state.decode(params, DEFAULT, max_runs=max_runs)


def one_problem(problems: list[str], *needles: str) -> str:
    hits = [p for p in problems if all(n in p for n in needles)]
    assert len(hits) == 1, f"expected one problem containing {needles}, got {problems}"
    return hits[0]


# --- round trips -------------------------------------------------------------

@pytest.mark.parametrize("preset", presets.PRESETS, ids=lambda p: p.key)
def test_every_preset_round_trips(preset):
    params = state.encode(preset.scenario)
    assert set(params) == {"surface", "opt", "x0", "y0", "steps"}  # defaults stay out of the link
    for default in (DEFAULT, OTHER):
        got = state.decode(through_url(params), default)
        assert got == (preset.scenario, False, [])
    assert state.decode_link(preset.scenario.link) == preset.scenario


NON_DEFAULT = [
    Scenario("bowl", (Run.of("adam", lr=0.3, betas=(0.8, 0.99)),
                      Run.of("rmsprop", lr=0.01, centered=True, momentum=0.5, eps=1e-6)),
             (-6.5, 1.25), 75, noise=0.1, seed=42),
    Scenario("rosenbrock", (Run.of("nadam", lr=2e-3, momentum_decay=0.01, weight_decay=0.1),
                            Run.of("adagrad", lr=0.5, lr_decay=0.01, initial_accumulator_value=0.1),
                            Run.of("momentum", lr=1e-3, momentum=0.5, dampening=0.3),
                            Run.of("nesterov", lr=1e-3, momentum=0.95),
                            Run.of("adadelta", lr=1.0, rho=0.95, eps=1e-4)),
             (1 / 3, 0.1 + 0.2), 1000, noise=2.5, seed=state.MAX_SEED),
    Scenario("saddle", tuple(Run.of(n, lr=0.01) for n in optimizers.names()[:state.MAX_RUNS]),
             (-2.0, 2.0), 1, noise=10.0, seed=1),
    Scenario("himmelblau", (Run.of("amsgrad", lr=1e-6, betas=(0.0, 0.9999), eps=1e-10),),  # the range ends
             (-1e-7, 4.999999), 37),
    Scenario("rastrigin", (Run.of("sgd", lr=0.002),), (3.2, 2.4), 150, noise=0.5, seed=3, cloud=12),
    # a student's own formula, its window in the link
    Scenario(state.formula_key("(1 - x)^2 + 100*(y - x^2)^2", (-2.0, 2.0), (-1.0, 3.0)),
             (Run.of("adam", lr=0.05),), (-1.5, 2.5), 200),
    Scenario(state.formula_key("abs(x) + y^2", (-3.0, 3.5), (-1e-3, 2.0)),
             (Run.of("sgd", lr=0.5),), (0.25, 1.75), 20),
    # the same optimizer twice, with different settings: SGD at 0.1 against SGD at 0.5
    Scenario("bowl", (Run.of("sgd", lr=0.1), Run.of("sgd", lr=0.5), Run("sgd")), (-0.0, 5.0), 2),
]


@pytest.mark.parametrize("scenario", NON_DEFAULT, ids=lambda v: v.surface)
@pytest.mark.parametrize("present", [False, True])
def test_scenarios_with_non_default_settings_round_trip(scenario, present):
    params = state.encode(scenario, present=present)
    assert ("present" in params) is present
    back = state.decode(through_url(params), DEFAULT)
    assert back == (scenario, present, [])
    assert state.encode(back.scenario, present=back.present) == params
    assert state.decode_link(scenario.link) == scenario


def test_link_form_matches_the_documented_one():
    sc = Scenario("bowl", (Run.of("sgd", lr=0.95), Run.of("adam", lr=0.3, betas=(0.8, 0.999))),
                  (-7.0, 2.0), 30)
    assert state.encode(sc) == {"surface": "bowl", "opt": ["sgd,lr=0.95", "adam,betas=0.8/0.999,lr=0.3"],
                                "x0": "-7", "y0": "2", "steps": "30"}
    # the link is what a teacher copies: readable, no %3D inside an optimizer's settings
    assert sc.link == "surface=bowl&opt=sgd,lr=0.95&opt=adam,betas=0.8/0.999,lr=0.3&x0=-7&y0=2&steps=30"
    assert sc.link == state.query_string(state.encode(sc))
    full = state.encode(sc.with_(noise=0.05, seed=3), present=True)
    assert (full["noise"], full["seed"], full["present"]) == ("0.05", "3", "1")
    rms = Scenario("bowl", (Run.of("rmsprop", lr=0.1, centered=True),), (0.0, 0.0), 5)
    assert state.encode(rms)["opt"] == ["rmsprop,centered=1,lr=0.1"]


def test_presentation_mode_is_not_part_of_the_scenario():
    """Two students, one presenting: the same scenario, the same cache key."""
    a = state.decode(through_url(state.encode(DEFAULT, present=True)), OTHER)
    b = state.decode(through_url(state.encode(DEFAULT, present=False)), OTHER)
    assert a.present and not b.present
    assert a.scenario == b.scenario == DEFAULT and a.scenario.link == b.scenario.link
    assert "present" not in DEFAULT.link
    assert "present" not in {f.name for f in Scenario.__dataclass_fields__.values()}


def test_scenario_is_hashable_and_its_link_is_its_identity():
    same = Scenario(DEFAULT.surface, tuple(Run.of(r.name, **r.kwargs) for r in DEFAULT.runs),
                    tuple(DEFAULT.start), DEFAULT.steps)
    assert same == DEFAULT and hash(same) == hash(DEFAULT) and same.link == DEFAULT.link
    assert len({s.link for s in NON_DEFAULT}) == len(NON_DEFAULT)


def test_run_text_and_defaults():
    assert Run.of("adam", lr=0.3, betas=(0.9, 0.999), eps=1e-8).hyper == (("lr", 0.3),)
    assert Run.of("adam", lr=0.3, betas=(0.8, 0.999)).text == "adam,betas=0.8/0.999,lr=0.3"
    assert Run.of("rmsprop", lr=0.1, centered=False).text == "rmsprop,lr=0.1"
    assert Run.of("rmsprop", lr=0.1, centered=True).text == "rmsprop,centered=1,lr=0.1"
    assert Run.of("sgd", lr=1e-5).text == "sgd,lr=1e-05"
    assert Run("sgd").text == "sgd" and Run("sgd").lr == optimizers.spec("sgd").defaults["lr"]
    for run in (Run.of("adam", lr=0.3, betas=(0.8, 0.999)), Run.of("nesterov", lr=0.1, momentum=0.5),
                Run("adagrad")):
        assert state.run_from_text(run.text) == run


def test_docstring_example_decodes_and_drops_torch_defaults():
    query = "surface=bowl&opt=sgd,lr=0.95&opt=adam,lr=0.3,betas=0.9/0.999&x0=-7&y0=2&steps=30"
    assert query in state.__doc__
    got = state.decode(parse_qs(query), OTHER)
    want = Scenario("bowl", (Run.of("sgd", lr=0.95), Run.of("adam", lr=0.3)), (-7.0, 2.0), 30)
    assert got == (want, False, [])
    assert got.scenario.runs[1].hyper == (("lr", 0.3),)  # betas at torch's default are not kept


def test_partial_link_keeps_the_rest_of_the_default():
    assert decoded(steps="50") == (DEFAULT.with_(steps=50), False, [])
    sc, _, problems = decoded(surface="rosenbrock")
    assert problems == []
    assert sc.start == surfaces.get("rosenbrock").start  # a new surface brings its own start
    assert sc.runs == DEFAULT.runs and sc.steps == DEFAULT.steps
    # the page's own start is kept when the link names no start and no other surface
    moved = DEFAULT.with_(start=(3.0, -1.0))
    assert state.decode({"steps": ["5"]}, moved) == (moved.with_(steps=5), False, [])
    assert state.decode({"surface": ["bowl"]}, moved) == (moved, False, [])


@pytest.mark.parametrize("raw, want", [("1", True), ("true", True), ("YES", True), (" 1 ", True),
                                       ("0", False), ("no", False), ("False", False), ("", False)])
def test_present_flag_spellings(raw, want):
    assert decoded(present=raw) == (DEFAULT, want, [])


def test_present_maybe_becomes_false_and_says_so():
    sc, present, problems = decoded(present="maybe")
    assert present is False and sc == DEFAULT
    one_problem(problems, "present='maybe'", "1 or 0", "off")


# --- nothing dropped silently (issue 8) ------------------------------------------

def test_a_setting_given_twice_keeps_the_last_and_says_so():
    sc, _, problems = decoded(opt="adam,lr=0.1,lr=0.2")
    assert sc.runs == (Run.of("adam", lr=0.2),)
    one_problem(problems, "Adam", "lr given twice", "0.1", "0.2", "kept the last")
    # the same value twice changes nothing, so there is nothing to say
    assert decoded(opt="adam,lr=0.1,lr=0.1") == (DEFAULT.with_(runs=(Run.of("adam", lr=0.1),)), False, [])


def test_side_by_side_link_with_five_optimizers_keeps_four_and_names_the_fifth():
    names = ["sgd,lr=0.1", "momentum,lr=0.1", "adagrad,lr=1", "adam,lr=0.3", "nadam,lr=0.2"]
    sc, _, problems = decoded(max_runs=4, opt=names)
    assert [r.text for r in sc.runs] == names[:4]
    one_problem(problems, "at most 4", "'nadam,lr=0.2'")
    # the Playground's limit is higher: the same link loses nothing there
    assert len(decoded(opt=names).scenario.runs) == 5 and decoded(opt=names).problems == []


def test_same_optimizer_with_different_settings_is_kept_twice():
    sc, _, problems = decoded(opt=["sgd,lr=0.1", "sgd,lr=0.5"])
    assert problems == []
    assert sc.runs == (Run.of("sgd", lr=0.1), Run.of("sgd", lr=0.5))


def test_identical_optimizer_entries_keep_one_and_say_so():
    sc, _, problems = decoded(opt=["sgd,lr=0.1", "adam,lr=0.3", "sgd,lr=0.1"])
    one_problem(problems, "'sgd,lr=0.1'", "kept one")
    assert sc.runs == (Run.of("sgd", lr=0.1), Run.of("adam", lr=0.3))


def test_unknown_top_level_parameters_are_named():
    sc, _, problems = decoded(foo="1", Steps="5", surface="bowl")
    assert sc == DEFAULT
    p = one_problem(problems, "'foo'", "'Steps'", "ignored")
    assert f"accepted: {', '.join(state.KEYS)}" in p
    many = {f"k{i}": "1" for i in range(12)}
    p = one_problem(decoded(**many).problems, "'k0'", "'k4'")
    assert "and 7 more" in p and "'k5'" not in p  # a bounded message, with the rest counted
    assert decoded(embed="true", embed_options="light_theme").problems == []  # Streamlit's own


def test_a_repeated_scalar_takes_the_last_and_says_so():
    sc, _, problems = decoded(steps=["10", "20"], surface=["foo", "saddle"])
    assert sc.steps == 20 and sc.surface == "saddle"
    one_problem(problems, "steps given 2 times", "'20'")
    one_problem(problems, "surface given 2 times", "'saddle'")
    # the same value repeated is not a change
    assert decoded(steps=["10", "10"]) == (DEFAULT.with_(steps=10), False, [])


def test_an_optimizer_repeated_200_times_gives_one_short_notice():
    sc, _, problems = decoded(opt=["sgd,lr=0.1"] * 200)
    assert sc.runs == (Run.of("sgd", lr=0.1),)
    notice = state.summarize(problems)
    lines = notice.splitlines()
    assert 1 <= len(lines) <= 3, notice
    assert sum("'sgd,lr=0.1'" in line for line in lines) == 1, notice  # named once, not 199 times
    assert "200" in notice


@pytest.mark.parametrize("raw", ["ＳＧＤ", "SGD", "sgd\u200b", "ѕgd"])  # full-width, caps, zero-width, Cyrillic
def test_look_alike_optimizer_names_are_named(raw):
    sc, _, problems = decoded(opt=[raw + ",lr=0.1", "adam,lr=0.2"])
    one_problem(problems, repr(raw), "valid: sgd, momentum")
    assert sc.runs == (Run.of("adam", lr=0.2),)


@pytest.mark.parametrize("key, raw", [("steps", "１０"), ("steps", "1_0"), ("x0", "٣"), ("seed", "７"),
                                      ("noise", "0\u00b71")])
def test_look_alike_digits_are_not_read_as_numbers(key, raw):
    """Python's float() reads '１０' and '1_0' as 10: a mangled link must not pass for a good one."""
    sc, _, problems = decoded(**{key: raw})
    one_problem(problems, f"{key}={raw!r}")
    assert sc == DEFAULT
    _, _, problems = decoded(opt=f"sgd,lr={raw}")
    one_problem(problems, f"lr={raw!r}")


# --- malformed links ------------------------------------------------------------

def test_unknown_surface():
    sc, _, problems = decoded(surface="foo")
    p = one_problem(problems, "'foo'")
    assert "valid: bowl, saddle" in p and f"showing {surfaces.get('bowl').label}" in p
    assert sc == DEFAULT


def test_unknown_optimizer_is_skipped_others_kept():
    sc, _, problems = decoded(opt=["nope", "adam,lr=0.1"])
    one_problem(problems, "'nope'", "valid: sgd, momentum")
    assert sc.runs == (Run.of("adam", lr=0.1),)


def test_no_usable_optimizer_falls_back_to_the_defaults():
    sc, _, problems = decoded(opt=["nope", "adamw,lr=1"])
    one_problem(problems, "'nope'")
    one_problem(problems, "'adamw'")
    one_problem(problems, "no usable optimizer")
    assert sc.runs == DEFAULT.runs


@pytest.mark.parametrize("raw, message", [
    ("abc", "lr='abc' is not valid (a finite number expected)"),
    ("nan", "lr='nan' is not valid"),
    ("inf", "lr='inf' is not valid"),
    ("", "lr='' is not valid"),
    ("-1", "Invalid learning rate: -1.0"),
])
def test_bad_learning_rate_falls_back_to_the_default(raw, message):
    sc, _, problems = decoded(opt=[f"sgd,lr={raw}", "adam,lr=0.2"])
    p = one_problem(problems, message)
    assert p.startswith("SGD: ") and "using the default" in p
    # No lr in the Run: the page then takes its tuned default for the surface.
    assert sc.runs == (Run("sgd"), Run.of("adam", lr=0.2))
    assert "lr" not in sc.runs[0].kwargs


def test_unknown_knob_is_ignored_and_the_accepted_ones_listed():
    sc, _, problems = decoded(opt=["adam,lr=0.2,foo=1,momentum=0.9"])
    one_problem(problems, "'foo=1'", "accepted: lr, betas, eps, weight_decay")
    one_problem(problems, "'momentum=0.9'")
    assert sc.runs == (Run.of("adam", lr=0.2),)
    sc, _, problems = decoded(opt=["sgd,lr"])  # a setting with no value
    one_problem(problems, "'lr'")
    assert sc.runs == (Run("sgd"),)


@pytest.mark.parametrize("entry, key, want, message", [
    ("sgd,lr=50", "lr", 10.0, "SGD: lr=50 is outside its slider's range, 1e-06 to 10; using 10"),
    ("adam,lr=1e-9", "lr", 1e-6, "Adam: lr=1e-09 is outside its slider's range, 1e-06 to 10; using 1e-06"),
    ("adadelta,lr=1e-4", "lr", 0.01, "Adadelta: lr=0.0001 is outside its slider's range, 0.01 to 100"),
    ("adam,betas=0.5/0.99999", "betas", (0.5, 0.9999), "betas=0.5/0.99999 is outside its slider's range"),
    ("momentum,momentum=0.995", "momentum", 0.99, "momentum=0.995 is outside its slider's range, 0 to 0.99"),
])
def test_a_setting_past_its_sliders_range_is_brought_inside_and_said(entry, key, want, message):
    """torch would take these, but no slider can show them: the link's value moves to the
    range's end, and the notice says so (issue 7: no slider offers a value past its knob)."""
    sc, _, problems = decoded(opt=[entry])
    one_problem(problems, message)
    assert sc.runs[0].kwargs[key] == want


@pytest.mark.parametrize("raw, message", [
    ("0.9", "betas='0.9' is not valid (two numbers like 0.9/0.999 expected)"),
    ("0.9/x", "betas='0.9/x' is not valid"),
    ("0.9/0.99/0.9", "betas='0.9/0.99/0.9' is not valid"),
    ("1.5/0.999", "Invalid beta parameter at index 0: 1.5"),
    ("0.9/1", "Invalid beta parameter at index 1: 1.0"),
])
def test_bad_betas_fall_back_to_the_default(raw, message):
    sc, _, problems = decoded(opt=[f"adam,lr=0.2,betas={raw}"])
    one_problem(problems, "Adam: ", message)
    assert sc.runs == (Run.of("adam", lr=0.2),)
    assert "betas" not in sc.runs[0].kwargs


def test_bad_bool_and_nesterov_without_momentum():
    sc, _, problems = decoded(opt=["rmsprop,lr=0.1,centered=maybe", "nesterov,lr=0.1,momentum=0"])
    one_problem(problems, "centered='maybe'", "0 or 1")
    one_problem(problems, "Nesterov: ", "momentum")
    assert sc.runs == (Run.of("rmsprop", lr=0.1), Run.of("nesterov", lr=0.1))


@pytest.mark.parametrize("raw", ["-5", "0", "2.5", "1001", "abc", "nan", "1e400", ""])
def test_bad_steps(raw):
    sc, _, problems = decoded(steps=raw)
    one_problem(problems, f"steps={raw!r}", "whole number from 1 to 1000", f"using {DEFAULT.steps}")
    assert sc.steps == DEFAULT.steps


@pytest.mark.parametrize("key, raw", [("x0", "nan"), ("x0", "inf"), ("x0", "abc"), ("x0", "10.5"),
                                      ("x0", "-11"), ("y0", "5.01"), ("y0", "")])
def test_bad_start_coordinate(key, raw):
    sc, _, problems = decoded(**{key: raw, "x0" if key == "y0" else "y0": "1"})
    i = 0 if key == "x0" else 1
    p = one_problem(problems, f"{key}={raw!r}")
    window = surfaces.get("bowl").x_range if key == "x0" else surfaces.get("bowl").y_range
    assert f"[{window[0]:g}, {window[1]:g}]" in p
    assert f"using {DEFAULT.start[i]:g}" in p
    assert sc.start[i] == DEFAULT.start[i]
    assert sc.start[1 - i] == 1.0  # the good coordinate is kept


def test_start_outside_a_new_surfaces_window_uses_that_surfaces_start():
    sc, _, problems = decoded(surface="rosenbrock", x0="-7", y0="2.5")  # fine for the bowl, not here
    one_problem(problems, "x0='-7'", "[-2, 2]", "using -1.2")
    assert sc.surface == "rosenbrock" and sc.start == (-1.2, 2.5)


@pytest.mark.parametrize("raw", ["-1", "2147483648", "1.5", "abc", "1e20"])
def test_seed_out_of_range(raw):
    sc, _, problems = decoded(seed=raw)
    one_problem(problems, f"seed={raw!r}", str(state.MAX_SEED))
    assert sc.seed == DEFAULT.seed


@pytest.mark.parametrize("raw", ["-0.1", "10.01", "abc", "inf"])
def test_noise_out_of_range(raw):
    sc, _, problems = decoded(noise=raw)
    one_problem(problems, f"noise={raw!r}", "from 0 to 10")
    assert sc.noise == DEFAULT.noise


def test_overlong_values_are_not_read_and_say_so():
    long = "1" * (state.MAX_PARAM_CHARS + 1)
    sc, _, problems = decoded(steps=long, opt=["sgd," + "lr=0.1," * 80, "adam,lr=0.2"])
    one_problem(problems, "steps is 401 characters long")
    one_problem(problems, "optimizer entry", "characters long was skipped")
    assert sc == DEFAULT.with_(runs=(Run.of("adam", lr=0.2),))
    assert all(len(p) < 400 for p in problems)  # a long value is quoted cut short


def test_many_problems_at_once_each_cost_only_themselves():
    sc, _, problems = decoded(surface="foo", opt=["nope", "sgd,lr=abc", "adam,lr=0.25"],
                              steps="-5", x0="nan", y0="1.5", seed="-3")
    assert len(problems) == 6
    assert sc == Scenario("bowl", (Run("sgd"), Run.of("adam", lr=0.25)), (-7.0, 1.5), 30)


# --- a student's formula, a noise cloud -------------------------------------------------

def test_a_formula_link_reads_back_with_its_window_and_start():
    sc, _, problems = decoded(surface="formula", f="x^2 + 3*y^2", xr="-2/2", yr="-1/3")
    assert problems == []
    assert sc.surface == state.formula_key("x^2 + 3*y^2", (-2.0, 2.0), (-1.0, 3.0))
    s = state.surface_of(sc.surface)
    assert (s.x_range, s.y_range) == ((-2.0, 2.0), (-1.0, 3.0)) and sc.start == s.start
    assert sc.runs == DEFAULT.runs
    params = state.encode(sc)
    assert (params["surface"], params["f"], params["xr"], params["yr"]) == ("formula", "x^2 + 3*y^2", "-2/2", "-1/3")
    assert state.decode(through_url(params), OTHER) == (sc, False, [])


@pytest.mark.parametrize("params, needles", [
    ({"surface": "formula"}, ["no formula"]),
    ({"surface": "formula", "f": "x^", "xr": "-1/1", "yr": "-1/1"}, ["formula", "x^"]),
    ({"surface": "formula", "f": "import os", "xr": "-1/1", "yr": "-1/1"}, ["formula"]),
    ({"surface": "formula", "f": "x^2", "xr": "1/-1", "yr": "-1/1"}, ["formula", "x range"]),
    ({"surface": "formula", "f": "x^2", "xr": "-1", "yr": "-1/1"}, ["xr='-1'"]),
    ({"surface": "formula", "f": "x^2", "xr": "-1/1", "yr": "-1e9/1"}, ["too large"]),
    ({"surface": "formula", "f": "x" * 300, "xr": "-1/1", "yr": "-1/1"}, ["formula"]),
])
def test_a_bad_formula_link_keeps_the_page_surface_and_says_why(params, needles):
    sc, _, problems = decoded(**params)
    assert sc.surface == DEFAULT.surface
    assert problems and any(all(n in p for n in needles) for p in problems), problems


def test_formula_parameters_without_surface_formula_are_named():
    sc, _, problems = decoded(surface="rosenbrock", f="x^2", xr="-1/1")
    assert sc.surface == "rosenbrock"
    one_problem(problems, "f, xr", "surface=formula")
    assert decoded(f="x^2").problems  # no surface at all: still said


def test_noise_cloud_round_trips_and_its_limit_is_named():
    sc = DEFAULT.with_(noise=0.3, cloud=state.MAX_CLOUD)
    assert state.encode(sc)["cloud"] == str(state.MAX_CLOUD)
    assert state.decode(through_url(state.encode(sc)), OTHER) == (sc, False, [])
    for raw in ("-1", str(state.MAX_CLOUD + 1), "2.5", "lots"):
        got, _, problems = decoded(cloud=raw)
        one_problem(problems, f"cloud={raw!r}", f"0 to {state.MAX_CLOUD}")
        assert got.cloud == DEFAULT.cloud


# --- one notice --------------------------------------------------------------------

def test_summarize_is_one_bounded_notice():
    assert state.summarize([]) == ""
    assert state.summarize(["steps='x' is not a whole number"]) == "- Steps='x' is not a whole number."
    many = [f"problem {i}" for i in range(50)]
    lines = state.summarize(many).splitlines()
    assert len(lines) == state.MAX_PROBLEMS_SHOWN + 1
    assert lines[0] == "- Problem 0." and lines[-1] == f"- … and {50 - state.MAX_PROBLEMS_SHOWN} more."
    # the same message repeated is said once, with a count
    lines = state.summarize(["a thing", "b thing", "a thing", "a thing"]).splitlines()
    assert len(lines) == 2 and "A thing" in lines[0] and "3" in lines[0] and lines[1] == "- B thing."


def test_every_problem_is_a_sentence_naming_its_value():
    _, _, problems = decoded(surface="<b>x</b>", opt=["zz,lr=1"], steps="huge", present="perhaps",
                             extra="1")
    assert len(problems) == 6  # surface, optimizer, no usable optimizer, steps, present, extra
    for needle in ("'<b>x</b>'", "'zz'", "'huge'", "'perhaps'", "'extra'"):
        one_problem(problems, needle)
    assert all(isinstance(p, str) and p for p in problems)
