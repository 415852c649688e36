r"""NAdam: Adam with a Nesterov look-ahead in the momentum term.

.. math::
    \mu_t = \beta_1 \bigl(1 - \tfrac12\, 0.96^{\,t\psi}\bigr), \qquad
    m_t,\ v_t \text{ as in Adam}

    \theta_t = \theta_{t-1} - \eta\, \frac{
        \frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\, g_t
        + \frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\, m_t}
        {\sqrt{v_t / (1-\beta_2^t)} + \varepsilon}

:math:`\psi` is ``momentum_decay``: the momentum coefficient warms up from
:math:`\beta_1/2` towards :math:`\beta_1`.  Unlike Adam, torch puts
:math:`\varepsilon` after the bias-corrected root.

References: Dozat 2016.
Implemented: ``torch.optim.NAdam`` (coupled weight decay, ``decoupled_weight_decay=False``).
"""

from typing import NamedTuple

import numpy as np

from .adam import BETAS, EPS
from .base import (GRAD_LATEX, Knob, Spec, check_betas, check_eps, check_lr, check_range,
                   check_weight_decay, lerp, per_step, with_weight_decay)
from .sgd import LR, WD


class NAdamState(NamedTuple):
    count: int
    m: np.ndarray       # torch's exp_avg
    v: np.ndarray       # torch's exp_avg_sq
    mu_product: float   # prod of mu_1..mu_t (an array when betas or momentum_decay is)


def nadam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
    lr = check_lr(lr)
    b1, b2 = check_betas(betas)
    eps = check_eps(eps)
    weight_decay = check_weight_decay(weight_decay)
    momentum_decay = check_range(momentum_decay, "momentum_decay value")
    factors = per_step(_factors, b1, b2, momentum_decay)

    def init(params):
        return NAdamState(0, np.zeros_like(params), np.zeros_like(params), 1.0)

    def update(g, state, params, lr=lr):
        t = state.count + 1
        g = with_weight_decay(g, params, weight_decay)
        mu_t, mu_next, bc2 = factors(t)
        mu_product = state.mu_product * mu_t
        m = lerp(state.m, g, 1 - b1)
        v = state.v * b2 + (1 - b2) * g * g
        denom = np.sqrt(v / bc2) + eps
        now = ((-lr * (1.0 - mu_t) / (1.0 - mu_product)) * g) / denom
        ahead = (((-lr * mu_next) / (1.0 - mu_product * mu_next)) * m) / denom
        return now + ahead, NAdamState(t, m, v, mu_product)

    def step_sizes(old, new, lr=lr):
        """η / (√v̂_t + ε), the factor on the blend of g_t and m_t."""
        _, _, bc2 = factors(new.count)
        return lr / (np.sqrt(new.v / bc2) + eps)

    return init, update, step_sizes


def _factors(b1, b2, momentum_decay, t):
    """μ_t, μ_{t+1} and 1 - β₂ᵗ, as torch computes them (Python floats)."""
    def mu(t):
        return b1 * (1.0 - 0.5 * (0.96 ** (t * momentum_decay)))
    return mu(t), mu(t + 1), 1 - b2 ** t


NADAM = Spec(
    name="nadam", label="NAdam", factory=nadam, stepwise=("betas", "momentum_decay"), memory="m",
    knobs=(LR, BETAS, EPS, Knob("momentum_decay", "ψ", 0.0, 0.1, advanced=True,
                                help="how fast the momentum coefficient warms up"), WD),
    latex=rf"\begin{{aligned}}&{GRAD_LATEX}\\ &\mu_t = \beta_1\bigl(1 - \tfrac12\, 0.96^{{\,t\psi}}\bigr)\\"
          r" &m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2\\"
          r" &\theta_t = \theta_{t-1} - \eta\,\frac{\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\, g_t"
          r" + \frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\, m_t}{\sqrt{v_t/(1-\beta_2^t)} + \varepsilon}\end{aligned}",
    fixes="both",
    idea="Adam with Nesterov's look-ahead: the momentum part of the step uses the average "
         "as it will be after this gradient, so it reacts a step sooner when the slope turns.",
    torch="torch.optim.NAdam(params, lr, betas, eps, weight_decay, momentum_decay)",
)
