"""Limits on the work one call may ask for: a shared classroom server must stay responsive.

Each is checked up front with a ``ValueError`` that names the limit, so a
crafted link cannot ask for more than about a second of work (measured on the
2-core machine this project runs on; see ``bench/``).  Import them as
``optimizers.MAX_STEPS`` and so on.
"""

MAX_STEPS = 10_000
"""Steps in one run."""

MAX_PATHS = 250_000
"""Paths (starts × hyperparameter values, after broadcasting) in one run."""

MAX_POINT_STEPS = 12_000_000
"""Steps × paths in one run: the work, the memory of the result (24 bytes per
point-step) and the Gaussian noise samples drawn (two per point-step)."""

DATA_ROWS_PER_POINT_STEP = 4
"""On a data surface a gradient costs ``1 + rows / DATA_ROWS_PER_POINT_STEP``
point-steps, ``rows`` being the data rows it averages over."""

MAX_RECORD_POINT_STEPS = 3_000_000
"""Steps × paths when ``record=True`` keeps four more arrays per step."""

MAX_STEPWISE = 2_000_000
"""Distinct values × steps of the hyperparameters whose per-step numbers are
computed as Python floats (``betas``, ``momentum_decay``; see
``base.per_step``).  Scalars count as one value."""

MAX_ARRAY_SIZE = MAX_PATHS
"""Elements in one hyperparameter array."""
