r"""Adamax: Adam with the squared-gradient average replaced by a decaying maximum.

.. math::
    m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
    u_t = \max(\beta_2 u_{t-1},\ |g_t| + \varepsilon), \qquad
    \theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t}

:math:`u` is an infinity-norm (not an average), so it needs no bias
correction.  torch adds :math:`\varepsilon` inside the maximum.

References: Kingma & Ba 2015, section 7.1.
Implemented: ``torch.optim.Adamax`` (coupled weight decay).
"""

from typing import NamedTuple

import numpy as np

from .adam import BETAS, EPS
from .base import (GRAD_LATEX, Spec, check_betas, check_eps, check_lr, check_weight_decay, lerp, per_step,
                   with_weight_decay)
from .sgd import LR, WD


class AdamaxState(NamedTuple):
    count: int
    m: np.ndarray  # torch's exp_avg
    u: np.ndarray  # torch's exp_inf


def adamax(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    lr = check_lr(lr)
    b1, b2 = check_betas(betas)
    eps = check_eps(eps)
    weight_decay = check_weight_decay(weight_decay)
    correction = per_step(lambda b1, t: 1 - b1 ** t, b1)  # torch's Python float

    def init(params):
        return AdamaxState(0, np.zeros_like(params), np.zeros_like(params))

    def update(g, state, params, lr=lr):
        t = state.count + 1
        g = with_weight_decay(g, params, weight_decay)
        m = lerp(state.m, g, 1 - b1)
        u = np.maximum(state.u * b2, np.abs(g) + eps)
        clr = lr / correction(t)
        return (-clr * m) / u, AdamaxState(t, m, u)

    def step_sizes(old, new, lr=lr):
        """η / u_t, the factor on m̂_t = m_t / (1 − β₁ᵗ)."""
        return lr / new.u

    return init, update, step_sizes


ADAMAX = Spec(
    name="adamax", label="Adamax", factory=adamax, knobs=(LR, BETAS, EPS, WD), stepwise=("betas",), memory="m",
    latex=rf"\begin{{aligned}}&{GRAD_LATEX}\\ &m_t = \beta_1 m_{{t-1}} + (1-\beta_1)\, g_t\\"
          r" &u_t = \max(\beta_2\, u_{t-1},\ |g_t| + \varepsilon)\\"
          r" &\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t}\end{aligned}",
    fixes="both",
    idea="Adam scaled by the largest recent gradient instead of the root-mean-square one. "
         "One outsized gradient does not get averaged away: it caps the step size until "
         "it decays.",
    torch="torch.optim.Adamax(params, lr, betas, eps, weight_decay)",
)
