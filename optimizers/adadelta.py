r"""Adadelta: AdaGrad's history made a moving average, with units fixed by a second average.

.. math::
    v_t = \rho v_{t-1} + (1-\rho) g_t^2, \qquad
    \Delta_t = \frac{\sqrt{u_{t-1} + \varepsilon}}{\sqrt{v_t + \varepsilon}}\, g_t, \qquad
    u_t = \rho u_{t-1} + (1-\rho) \Delta_t^2, \qquad
    \theta_t = \theta_{t-1} - \eta\, \Delta_t

The ratio of two RMS values gives the step the units of :math:`\theta`, so the
original method needs no learning rate; torch keeps an ``lr`` multiplier
(default 1.0).  It starts very slowly: :math:`u_0 = 0`, so the first steps are
about :math:`\sqrt{\varepsilon}` in size.

References: Zeiler 2012.
Implemented: ``torch.optim.Adadelta`` (coupled weight decay).
"""

from typing import NamedTuple

import numpy as np

from .base import GRAD_LATEX, Knob, Spec, check_eps, check_lr, check_range, check_weight_decay, with_weight_decay
from .sgd import WD


class AdadeltaState(NamedTuple):
    count: int
    v: np.ndarray  # torch's square_avg
    u: np.ndarray  # torch's acc_delta


def adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    lr = check_lr(lr)
    rho = check_range(rho, "rho value", 0.0, 1.0, hi_open=False)
    eps = check_eps(eps)
    weight_decay = check_weight_decay(weight_decay)

    def init(params):
        return AdadeltaState(0, np.zeros_like(params), np.zeros_like(params))

    def update(g, state, params, lr=lr):
        g = with_weight_decay(g, params, weight_decay)
        v = state.v * rho + (1 - rho) * g * g
        delta = np.sqrt(state.u + eps) / np.sqrt(v + eps) * g
        u = state.u * rho + (1 - rho) * delta * delta
        return -lr * delta, AdadeltaState(state.count + 1, v, u)

    def step_sizes(old, new, lr=lr):
        """η √(u_{t−1} + ε) / √(v_t + ε), the factor on g_t."""
        return lr * (np.sqrt(old.u + eps) / np.sqrt(new.v + eps))

    return init, update, step_sizes


ADADELTA = Spec(
    name="adadelta", label="Adadelta", factory=adadelta,
    knobs=(Knob("lr", "η", 1e-2, 100.0, scale="log", help="multiplier on the step (1 in the paper)"),
           Knob("rho", "ρ", 0.0, 0.999, scale="memory", help="how long the averages remember"),
           Knob("eps", "ε", 1e-10, 1.0, scale="log", help="sets the size of the first steps"), WD),
    latex=rf"\begin{{aligned}}&{GRAD_LATEX}\\ &v_t = \rho\, v_{{t-1}} + (1-\rho)\, g_t^2\\"
          r" &\Delta_t = \frac{\sqrt{u_{t-1} + \varepsilon}}{\sqrt{v_t + \varepsilon}}\, g_t\\"
          r" &u_t = \rho\, u_{t-1} + (1-\rho)\, \Delta_t^2\\"
          r" &\theta_t = \theta_{t-1} - \eta\, \Delta_t\end{aligned}",
    fixes="step size",
    idea="AdaGrad that forgets: the gradient history is a moving average, so steps do not "
         "shrink forever. A second average of past steps sets their size, so in principle "
         "no learning rate is needed, but it starts very slowly.",
    torch="torch.optim.Adadelta(params, lr, rho, eps, weight_decay)",
)
