r"""Adam and AMSGrad: momentum for the direction, RMSProp for the step size.

.. math::
    m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
    v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2

    \hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
    \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}

The division by :math:`1-\beta^t` undoes the bias of starting both averages at
zero.  AMSGrad replaces :math:`v_t` by its running maximum, so the effective
step size never grows.  The lecture notes fold both corrections into one
``lr_t`` and add ``1e-7`` to :math:`\sqrt{v_t}` rather than to
:math:`\sqrt{\hat v_t}`: the same path up to where epsilon sits.

References: Kingma & Ba 2015; Reddi, Kale, Kumar 2018 (AMSGrad).
Implemented: ``torch.optim.Adam`` with ``amsgrad=False`` / ``True``
(coupled weight decay, not AdamW's decoupled one).
"""

from typing import NamedTuple

import numpy as np

from .base import (GRAD_LATEX, Knob, Spec, check_betas, check_eps, check_lr,
                   check_weight_decay, lerp, per_step, with_weight_decay)
from .sgd import LR, WD


class AdamState(NamedTuple):
    count: int
    m: np.ndarray      # torch's exp_avg
    v: np.ndarray      # torch's exp_avg_sq
    v_max: np.ndarray  # torch's max_exp_avg_sq (AMSGrad only)


def adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *, amsgrad=False):
    lr = check_lr(lr)
    b1, b2 = check_betas(betas)
    eps = check_eps(eps)
    weight_decay = check_weight_decay(weight_decay)
    corrections = per_step(_corrections, b1, b2)

    def init(params):
        z = np.zeros_like(params)
        return AdamState(0, z, z, z)

    def update(g, state, params, lr=lr):
        t = state.count + 1
        g = with_weight_decay(g, params, weight_decay)
        m = lerp(state.m, g, 1 - b1)
        v = state.v * b2 + (1 - b2) * g * g
        v_max = np.maximum(state.v_max, v) if amsgrad else state.v_max
        bc1, bc2_sqrt = corrections(t)
        step_size = lr / bc1
        denom = np.sqrt(v_max if amsgrad else v) / bc2_sqrt + eps
        return (-step_size * m) / denom, AdamState(t, m, v, v_max)

    def step_sizes(old, new, lr=lr):
        """η / (√v̂_t + ε), the factor on m̂_t = m_t / (1 − β₁ᵗ)."""
        _, bc2_sqrt = corrections(new.count)
        return lr / (np.sqrt(new.v_max if amsgrad else new.v) / bc2_sqrt + eps)

    return init, update, step_sizes


def _corrections(b1, b2, t):
    """1 - β₁ᵗ and √(1 - β₂ᵗ), as torch computes them (Python floats)."""
    return 1 - b1 ** t, (1 - b2 ** t) ** 0.5


def amsgrad(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    return adam(lr, betas, eps, weight_decay, amsgrad=True)


BETAS = Knob("betas", "β₁, β₂", 0.0, 0.9999, scale="memory",
             help="memory of the gradient average (β₁) and of the squared-gradient average (β₂)")
EPS = Knob("eps", "ε", 1e-10, 1.0, scale="log", advanced=True, help="keeps the division finite")

_MOMENTS = (r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t\\"
            r" &v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2\\")

ADAM = Spec(
    name="adam", label="Adam", factory=adam, knobs=(LR, BETAS, EPS, WD), stepwise=("betas",), memory="m",
    latex=rf"\begin{{aligned}}&{GRAD_LATEX}\\ &{_MOMENTS}"
          r" &\hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t}\\"
          r" &\theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}\end{aligned}",
    fixes="both",
    idea="Momentum and RMSProp together: a moving average of gradients picks the direction, "
         "a moving average of squared gradients sets each coordinate's step size, and both "
         "are corrected for starting at zero. Steps are about η long whatever the slope, "
         "so it glides down narrow valleys where SGD zigzags.",
    torch="torch.optim.Adam(params, lr, betas, eps, weight_decay)",
    textbook=r"\begin{aligned}&\eta_t = \eta\, \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\\"
             r" &m \leftarrow m + (1-\beta_1)(g - m)\\ &v \leftarrow v + (1-\beta_2)(g^2 - v)\\"
             r" &W \leftarrow W - \eta_t\, \frac{m}{\sqrt{v} + \varepsilon}\end{aligned}",
    textbook_note="The same averages, with both bias corrections folded into η_t. The one difference "
                  "is where ε sits: the notes add it to √v, torch to √v̂ = √v / √(1−β₂ᵗ).",
)

AMSGRAD = Spec(
    name="amsgrad", label="AMSGrad", factory=amsgrad, knobs=(LR, BETAS, EPS, WD), stepwise=("betas",),
    memory="m",
    latex=rf"\begin{{aligned}}&{GRAD_LATEX}\\ &{_MOMENTS}"
          r" &v^{\max}_t = \max(v^{\max}_{t-1},\, v_t)\\"
          r" &\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,"
          r"\frac{m_t}{\sqrt{v^{\max}_t / (1-\beta_2^t)} + \varepsilon}\end{aligned}",
    fixes="both",
    idea="Adam that never lets its step size grow back: it divides by the largest "
         "squared-gradient average seen so far. Safer after a burst of large gradients, "
         "slower once the surface flattens out.",
    torch="torch.optim.Adam(params, lr, betas, eps, weight_decay, amsgrad=True)",
)
