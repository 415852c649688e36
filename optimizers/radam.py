r"""RAdam: Adam that holds back its adaptive step until the variance estimate is trustworthy.

.. math::
    \rho_\infty = \frac{2}{1-\beta_2} - 1, \qquad
    \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t}, \qquad
    \hat m_t = \frac{m_t}{1-\beta_1^t}

    \theta_t = \theta_{t-1} - \eta\, \hat m_t\, r_t\, \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \varepsilon}
    \ \text{ if } \rho_t > 5, \qquad
    \theta_t = \theta_{t-1} - \eta\, \hat m_t \ \text{ otherwise}

    r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}

For the first few steps (five with the default betas) it is SGD with
momentum; then the rectifier :math:`r_t` phases Adam's scaling in.

References: Liu et al. 2020.
Implemented: ``torch.optim.RAdam`` (coupled weight decay, ``decoupled_weight_decay=False``).
"""

import math
from typing import NamedTuple

import numpy as np

from .adam import BETAS, EPS
from .base import (GRAD_LATEX, Spec, check_betas, check_eps, check_lr, check_weight_decay, lerp, per_step,
                   with_weight_decay)
from .sgd import LR, WD


class RAdamState(NamedTuple):
    count: int
    m: np.ndarray  # torch's exp_avg
    v: np.ndarray  # torch's exp_avg_sq


def radam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    lr = check_lr(lr)
    b1, b2 = check_betas(betas)
    eps = check_eps(eps)
    weight_decay = check_weight_decay(weight_decay)
    factors = per_step(_factors, b1, b2)

    def init(params):
        return RAdamState(0, np.zeros_like(params), np.zeros_like(params))

    def update(g, state, params, lr=lr):
        t = state.count + 1
        g = with_weight_decay(g, params, weight_decay)
        m = lerp(state.m, g, 1 - b1)
        v = state.v * b2 + (1 - b2) * g * g
        bc1, bc2_sqrt, rho_t, rect = factors(t)
        m_hat = m / bc1
        step = m_hat * lr
        rectified = rho_t > 5.0
        if isinstance(rectified, np.ndarray):  # betas is an array: torch's branch, per row
            adaptive = bc2_sqrt / (np.sqrt(v) + eps)
            step = np.where(rectified, step * adaptive * rect, step)
        elif rectified:
            adaptive = bc2_sqrt / (np.sqrt(v) + eps)
            step = step * adaptive * rect
        return -1.0 * step, RAdamState(t, m, v)

    def step_sizes(old, new, lr=lr):
        """η r_t √(1 − β₂ᵗ) / (√v_t + ε) once rectified, η before: the factor on m̂_t."""
        _, bc2_sqrt, rho_t, rect = factors(new.count)
        return np.where(rho_t > 5.0, lr * rect * bc2_sqrt / (np.sqrt(new.v) + eps), lr)

    return init, update, step_sizes


def _factors(b1, b2, t):
    """1 - β₁ᵗ, √(1 - β₂ᵗ), ρ_t and r_t (NaN while ρ_t <= 5), as torch computes them."""
    bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * (b2 ** t) / bc2
    if rho_t <= 5.0:
        return bc1, bc2 ** 0.5, rho_t, math.nan
    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    return bc1, bc2 ** 0.5, rho_t, rect


RADAM = Spec(
    name="radam", label="RAdam", factory=radam, knobs=(LR, BETAS, EPS, WD), stepwise=("betas",), memory="m",
    latex=rf"\begin{{aligned}}&{GRAD_LATEX}\\ &m_t = \beta_1 m_{{t-1}} + (1-\beta_1)\, g_t,\quad"
          r" v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,\quad \hat m_t = \frac{m_t}{1-\beta_1^t}\\"
          r" &\rho_\infty = \frac{2}{1-\beta_2} - 1,\quad \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t}\\"
          r" &\theta_t = \begin{cases}\theta_{t-1} - \eta\, \hat m_t\, r_t\, \dfrac{\sqrt{1-\beta_2^t}}"
          r"{\sqrt{v_t} + \varepsilon} & \rho_t > 5\\ \theta_{t-1} - \eta\, \hat m_t & \text{otherwise}\end{cases}\\"
          r" &r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}\end{aligned}",
    fixes="both",
    idea="Adam with a warm-up built in: while only a few squared gradients have been seen "
         "their average is too noisy to divide by, so RAdam takes plain momentum steps first "
         "and phases the adaptive scaling in as the estimate firms up.",
    torch="torch.optim.RAdam(params, lr, betas, eps, weight_decay)",
)
