"""The lessons, one click each: named scenarios that make a point on their own."""

from __future__ import annotations

from dataclasses import dataclass

from .state import Run, Scenario


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    blurb: str
    scenario: Scenario


ZIGZAG = Scenario("bowl", (Run.of("sgd", lr=0.95), Run.of("adam", lr=0.3)), (-7.0, 2.0), 30)
TEXTBOOK = Scenario("bowl", (Run.of("sgd", lr=0.95), Run.of("momentum", lr=0.1),
                         Run.of("adagrad", lr=1.5), Run.of("adam", lr=0.3)), (-7.0, 2.0), 29)

PRESETS = (
    Preset("zigzag", "Zigzag vs glide",
           "SGD bounces across the steep direction of the stretched bowl; Adam heads for the minimum.",
           ZIGZAG),
    Preset("textbook", "Textbook 2×2",
           "SGD, Momentum, AdaGrad and Adam on x²/20 + y² from (-7, 2): the classic comparison figure.",
           TEXTBOOK),
    Preset("saddle", "Saddle escape",
           "Started just off the ridge, plain gradient descent crawls toward the saddle point; "
           "momentum and adaptive steps leave it quickly.",
           Scenario("saddle", (Run.of("sgd", lr=0.05), Run.of("momentum", lr=0.05),
                           Run.of("rmsprop", lr=0.05), Run.of("adam", lr=0.05)), (-1.8, 0.01), 60)),
    Preset("banana", "Banana valley",
           "Getting into the curved valley is quick; following its flat floor to (1, 1) is the hard part.",
           Scenario("rosenbrock", (Run.of("sgd", lr=0.002), Run.of("momentum", lr=0.001),
                               Run.of("rmsprop", lr=0.05), Run.of("adam", lr=0.1)), (-1.2, 1.0), 300)),
    Preset("local", "Local minima",
           "On Rastrigin's egg-crate every dip is a trap. Small steps settle in the nearest one; "
           "bolder ones hop a ridge or two, but none finds the global minimum at (0, 0).",
           Scenario("rastrigin", (Run.of("sgd", lr=0.002), Run.of("momentum", lr=0.005),
                              Run.of("rmsprop", lr=0.1), Run.of("adam", lr=0.05)), (3.2, 2.4), 150)),
    Preset("diverge", "lr too large",
           "The bowl's steep direction has curvature 2, so SGD diverges once lr passes 2/2 = 1.",
           Scenario("bowl", (Run.of("sgd", lr=1.1), Run.of("momentum", lr=0.1), Run.of("adam", lr=0.3)),
                (-7.0, 2.0), 60)),
)

BY_KEY = {p.key: p for p in PRESETS}


def demo(name: str) -> Scenario:
    """The optimizer against plain SGD on the stretched bowl, where the difference shows."""
    from .tuning import default_lr

    runs = (Run.of("sgd", lr=0.95),) if name == "sgd" else (
        Run.of("sgd", lr=0.95), Run.of(name, lr=default_lr("bowl", name)))
    return Scenario("bowl", runs, (-7.0, 2.0), 60)
