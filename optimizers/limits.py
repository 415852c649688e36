"""Limits on the work one call may ask for: a shared classroom server must stay responsive.

Each is checked up front with a ``ValueError`` that names the limit, so no
link or combination of controls can ask for much more than a second of work
on the 2-core machine this project runs on (``bench/bench_sweep.py --limits``
times runs at the limits).  Import them as ``optimizers.MAX_STEPS`` and so on.

The unit of work is a point-step: one path, one step, on an analytic
surface.  The limits are sized for the slowest registered ones, the six-hump
camel and Beale (their ``x**5``-style powers go through NumPy's vectorised
``pow``): about 340 ns of CPU per point-step with NAdam and noise, against
20-60 ns on the bowl, Rosenbrock or Himmelblau.  A data surface's gradient
averages over data rows; ``point_step_cost`` counts it as
``DATA_GRADIENT_COST + rows / DATA_ROWS_PER_POINT_STEP`` point-steps, fitted
to logistic regression, the slowest (7.2 with all 60 rows, 3.6 with one).
"""

MAX_STEPS = 10_000
"""Steps in one run."""

MAX_PATHS = 250_000
"""Paths (starts × hyperparameter values, after broadcasting) in one run."""

MAX_POINT_STEPS = 3_000_000
"""Steps × paths × ``point_step_cost`` in one run (a 100 × 100 map of 300
steps): the work, the memory of the result (24 bytes per point-step) and the
Gaussian noise samples drawn (two per point-step)."""

MAX_RECORD_POINT_STEPS = 2_000_000
"""The same with ``record=True``, which keeps four more arrays per step."""

DATA_GRADIENT_COST = 4
DATA_ROWS_PER_POINT_STEP = 16
"""See ``point_step_cost``."""

MAX_STEPWISE = 1_000_000
"""Distinct values × steps of the hyperparameters whose per-step numbers are
computed as Python floats (``betas``, ``momentum_decay``: about a microsecond
each; see ``base.per_step``).  Scalars count as one value."""

MAX_ARRAY_SIZE = MAX_PATHS
"""Elements in one hyperparameter array."""


def point_step_cost(surface, batch_size: int | None = None) -> float:
    """What one path's step on ``surface`` counts towards ``MAX_POINT_STEPS``.

    On a data surface (``surface.n_data > 0``) ``DATA_GRADIENT_COST + rows /
    DATA_ROWS_PER_POINT_STEP``, ``rows`` being the data rows a gradient
    averages over: ``batch_size``, or all of them.  Otherwise 1, unless the
    surface declares a ``grad_cost`` above 1: how many point-steps its
    gradient is worth (a formula full of transcendental functions can cost
    ~700 ns a point-step, twice the camel).  A page can size a run with it:
    at most ``MAX_POINT_STEPS / cost`` path-steps.
    """
    rows = batch_size or getattr(surface, "n_data", 0)
    if rows:
        return DATA_GRADIENT_COST + rows / DATA_ROWS_PER_POINT_STEP
    declared = getattr(surface, "grad_cost", 1)
    return max(1.0, float(declared)) if declared != 1 else 1
