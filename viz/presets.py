"""The lessons, one click each: named scenarios that make a point on their own.

Three tables, all hand-picked and each checked by ``tests/test_lessons.py``:

- ``OPENINGS``: the view a surface opens on when a user picks it. It draws what
  the surface's ``lesson`` text says (tuned learning rates often do not: the
  bowl's tuned SGD rate kills the zigzag in one step).
- ``PRESETS``: the lesson buttons, each with a blurb that describes its picture.
- ``DEMOS``: the Update rules page's "Open in Playground" view per optimizer,
  where that optimizer beats plain SGD on the metric ``demo_note`` names.
"""

from __future__ import annotations

from dataclasses import dataclass

from .state import Run, Scenario, surface_of


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    blurb: str
    scenario: Scenario

    @property
    def view(self) -> Scenario:
        """Another name for ``scenario`` (what the page shows)."""
        return self.scenario


def _sc(surface: str, runs: dict[str, float], start: tuple[float, float], steps: int) -> Scenario:
    return Scenario(surface, tuple(Run.of(name, lr=lr) for name, lr in runs.items()), start, steps)


# The zigzag lesson: SGD at 0.95 overshoots the steep y-direction at every step
# (y flips sign), Adam at 0.2 glides in with a loss that falls at every step.
ZIGZAG = _sc("bowl", {"sgd": 0.95, "adam": 0.2}, (-7.0, 2.0), 30)
TEXTBOOK = Scenario("bowl", (Run.of("sgd", lr=0.95), Run.of("momentum", lr=0.1),
                             Run.of("adagrad", lr=1.5), Run.of("adam", lr=0.3)), (-7.0, 2.0), 29)
SADDLE_ESCAPE = _sc("saddle", {"sgd": 0.05, "momentum": 0.05, "rmsprop": 0.05, "adagrad": 0.3},
                    (-1.8, 0.01), 40)
BANANA = _sc("rosenbrock", {"sgd": 0.002, "momentum": 0.001, "rmsprop": 0.05, "adam": 0.1},
             (-1.2, 1.0), 300)
# Four optimizers, four different dips: every path visible, none at (0, 0).
LOCAL = _sc("rastrigin", {"sgd": 0.002, "momentum": 0.005, "adagrad": 0.7, "rmsprop": 0.1},
            (3.2, 2.4), 150)

PRESETS = (
    Preset("zigzag", "Zigzag vs glide",
           "At lr 0.95 SGD overshoots the bowl's steep y-direction at every step, so it zigzags "
           "while creeping along x; Adam at lr 0.2 glides in, its loss falling at every step.",
           ZIGZAG),
    Preset("textbook", "Textbook 2×2",
           "SGD, Momentum, AdaGrad and Adam on x²/20 + y² from (-7, 2): the classic comparison figure.",
           TEXTBOOK),
    Preset("saddle", "Saddle escape",
           "Started just off the ridge, plain gradient descent crawls to the saddle point and is "
           "still beside it after 40 steps; RMSProp leaves the plot at step 5, AdaGrad at step 9 "
           "and Momentum at step 21.",
           SADDLE_ESCAPE),
    Preset("banana", "Banana valley",
           "All four reach the curved valley within about ten steps; following its flat floor to "
           "(1, 1) is the hard part, and in 300 steps none gets there. Momentum gets closest.",
           BANANA),
    Preset("local", "Local minima",
           "On Rastrigin's egg-crate every dip is a trap. SGD's small steps settle in the nearest "
           "dip, near (3, 2); Momentum hops a ridge to (3, 1), AdaGrad to (2, 2) and RMSProp to "
           "(1, 1), but none finds the global minimum at (0, 0).",
           LOCAL),
    Preset("diverge", "lr too large",
           "The bowl's steep direction has curvature 2, so SGD diverges once lr passes 2/2 = 1: "
           "at lr 1.1 its zigzag grows every step: it leaves the plot at step 6 and counts as "
           "diverged at step 26, once it is far beyond it, while Momentum and Adam at small rates "
           "settle.",
           Scenario("bowl", (Run.of("sgd", lr=1.1), Run.of("momentum", lr=0.1), Run.of("adam", lr=0.3)),
                    (-7.0, 2.0), 60)),
)

BY_KEY = {p.key: p for p in PRESETS}

# What the two issue-9 pages open on.  The sweep: on the bowl SGD's final loss
# falls as η grows until 2/L = 1.0, where it blows up; Momentum's edge lies
# further out; Adam has no such edge.  The map: Himmelblau's four basins, which
# SGD and Adam carve up differently.
SWEEP = _sc("bowl", {"sgd": 0.95, "momentum": 0.1, "adam": 0.2}, (-7.0, 2.0), 100)
MAP = _sc("himmelblau", {"sgd": 0.01, "adam": 0.1}, (-0.3, -0.9), 100)


# What each surface opens on; the surface's lesson text describes this view.
OPENINGS: dict[str, Scenario] = {
    "bowl": ZIGZAG,
    "saddle": _sc("saddle", {"sgd": 0.05, "rmsprop": 0.05, "adagrad": 0.3, "adam": 0.1},
                  (-1.8, 0.01), 40),
    "rosenbrock": BANANA,
    "beale": _sc("beale", {"sgd": 0.01, "adagrad": 1.0, "adam": 0.1}, (1.0, -1.0), 200),
    "himmelblau": _sc("himmelblau", {"sgd": 0.01, "momentum": 0.005, "rmsprop": 0.05, "adam": 0.1},
                      (-0.3, -0.9), 100),
    "rastrigin": LOCAL,
    "camel": _sc("camel", {"sgd": 0.02, "momentum": 0.01, "adam": 0.05}, (-1.4, -1.1), 150),
    "goldstein_price": _sc("goldstein_price", {"sgd": 1e-5, "rmsprop": 0.2, "adam": 0.2},
                           (-0.6, 0.6), 200),
    "monkey_saddle": _sc("monkey_saddle", {"sgd": 0.05, "rmsprop": 0.05, "adagrad": 0.3, "adam": 0.1},
                         (0.8, 0.05), 25),
    "least_squares": _sc("least_squares", {"sgd": 0.04, "momentum": 0.02, "adam": 0.5},
                         (0.0, 0.0), 150),
    "least_squares_std": _sc("least_squares_std", {"sgd": 0.1, "adam": 0.1}, (0.0, 0.0), 60),
    "logistic": _sc("logistic", {"sgd": 0.5, "momentum": 0.5, "adam": 0.1}, (-1.5, 3.0), 100),
}


def opening(surface: str) -> Scenario:
    """The view ``surface`` opens on: hand-picked for a registered surface; for any other
    (a user's formula) SGD and Adam at their tuned rates from the surface's start."""
    if surface in OPENINGS:
        return OPENINGS[surface]
    from .tuning import default_lr

    x0, y0 = surface_of(surface).start
    return Scenario(surface, tuple(Run.of(n, lr=default_lr(surface, n)) for n in ("sgd", "adam")),
                    (float(x0), float(y0)), 100)


# Update rules -> "Open in Playground": each optimizer against plain SGD, on a
# surface where its advantage shows. SGD runs at (about) its best rate for
# the surface and step count, so the comparison is fair. ``metric`` is what
# the numbers compare: "loss" (final loss) or "escape" (step it leaves the plot).
@dataclass(frozen=True)
class Demo:
    scenario: Scenario
    metric: str
    note: str


def _demo(surface, sgd_lr, name, lr, steps, note, metric="loss"):
    return Demo(_sc(surface, {"sgd": sgd_lr, name: lr}, surface_of(surface).start, steps), metric, note)


DEMOS: dict[str, Demo] = {
    "sgd": Demo(_sc("bowl", {"sgd": 0.95}, (-7.0, 2.0), 30), "zigzag",
                "Plain SGD on its own: at lr 0.95 every step overshoots the bowl's steep "
                "y-direction, so y flips sign at every step while x creeps toward 0."),
    "momentum": _demo("least_squares", 0.04, "momentum", 0.02, 150,
                      "In the line fit's long thin valley SGD, even at 0.04 (just under the rate that "
                      "blows up), zigzags and crawls; Momentum builds speed along the valley floor and "
                      "ends with a far lower loss."),
    "nesterov": _demo("rosenbrock", 0.004, "nesterov", 0.0015, 300,
                      "Along Rosenbrock's flat curved floor Nesterov keeps its speed, looking one step "
                      "ahead to brake at the walls, and ends closer to (1, 1) and lower than SGD at "
                      "its best rate."),
    "adagrad": _demo("bowl", 0.95, "adagrad", 1.5, 30,
                     "AdaGrad divides each axis by its own gradient history, which undoes the bowl's "
                     "stretch: no zigzag, and a final loss about 20 times lower than SGD's."),
    "adadelta": _demo("camel", 0.02, "adadelta", 1.0, 200,
                      "Adadelta at torch's default lr 1, with nothing tuned, scales each coordinate on "
                      "its own and heads for a global minimum, while SGD settles in the poor local "
                      "minimum beside the start (at larger rates SGD bounces between the humps)."),
    "rmsprop": _demo("saddle", 0.05, "rmsprop", 0.05, 40,
                     "Near the saddle the gradient is tiny; RMSProp divides by its recent size, so it "
                     "leaves the plot at step 5, while SGD at the same lr is still beside the saddle "
                     "after 40 steps.", metric="escape"),
    "adam": _demo("least_squares", 0.04, "adam", 0.5, 100,
                  "In the line fit's long thin valley SGD zigzags and crawls; Adam's momentum and "
                  "per-coordinate scaling carry it down the valley to a far lower loss."),
    "amsgrad": _demo("rosenbrock", 0.004, "amsgrad", 0.5, 300,
                     "AMSGrad (Adam that never lets its step-size denominator shrink) follows "
                     "Rosenbrock's flat floor much further toward (1, 1) than SGD at its best rate."),
    "adamax": _demo("goldstein_price", 2e-5, "adamax", 1.0, 100,
                    "Goldstein–Price's slopes range over five orders of magnitude: SGD needs a tiny "
                    "lr to survive them and is still short of the minimum after 100 steps, while "
                    "Adamax's steps stay about lr long and reach it."),
    "nadam": _demo("beale", 0.05, "nadam", 0.2, 100,
                   "On Beale's flat floor the gradient shrinks a thousandfold; NAdam's rescaled, "
                   "look-ahead steps keep moving and reach (3, 0.5), ending far lower than SGD."),
    "radam": _demo("beale", 0.05, "radam", 0.2, 100,
                   "RAdam starts with cautious momentum steps while its gradient statistics are "
                   "unreliable, then switches to Adam-like scaled steps and ends far lower than SGD "
                   "on Beale's flat floor."),
}


def demo(name: str) -> Scenario:
    """The optimizer against plain SGD, on a surface where its advantage shows (see ``demo_note``)."""
    try:
        return DEMOS[name].scenario
    except KeyError:  # an optimizer added later: against SGD on the bowl until it gets its own demo
        from .tuning import default_lr

        return Scenario("bowl", (Run.of("sgd", lr=0.95), Run.of(name, lr=default_lr("bowl", name))),
                        (-7.0, 2.0), 60)


def demo_note(name: str) -> str:
    """One sentence for the page: what the demo of ``name`` shows, and on which number."""
    d = DEMOS.get(name)
    return d.note if d else "The optimizer against plain SGD on the stretched bowl."
