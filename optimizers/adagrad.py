r"""AdaGrad: a step size per coordinate that shrinks with that coordinate's history.

.. math::
    G_t = G_{t-1} + g_t^2, \qquad
    \theta_t = \theta_{t-1} - \eta_t\, \frac{g_t}{\sqrt{G_t} + \varepsilon}, \qquad
    \eta_t = \frac{\eta}{1 + (t-1)\,\text{lr\_decay}}

The lecture notes' ``h`` is :math:`G`.  Their code adds ``1e-7`` inside the
square root; torch (and this file) adds :math:`\varepsilon` outside it, which
is the published rule.  Because :math:`G` only grows, steps only shrink: on a
long run AdaGrad slows to a stop.

References: Duchi, Hazan, Singer 2011.
Implemented: ``torch.optim.Adagrad`` (coupled weight decay).
"""

from typing import NamedTuple

import numpy as np

from .base import GRAD_LATEX, Knob, Spec, check_eps, check_lr, check_range, check_weight_decay, with_weight_decay
from .sgd import LR, WD


class AdagradState(NamedTuple):
    count: int
    G: np.ndarray  # torch's state_sum


def adagrad(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    lr = check_lr(lr)
    lr_decay = check_range(lr_decay, "lr_decay value")
    weight_decay = check_weight_decay(weight_decay)
    G0 = check_range(initial_accumulator_value, "initial_accumulator_value value")
    eps = check_eps(eps)

    def init(params):
        return AdagradState(0, np.full_like(params, G0))  # an array G0 broadcasts

    def update(g, state, params, lr=lr):
        t = state.count + 1
        g = with_weight_decay(g, params, weight_decay)
        lr_t = lr / (1 + (t - 1) * lr_decay)
        G = state.G + 1 * g * g
        return (-lr_t * g) / (np.sqrt(G) + eps), AdagradState(t, G)

    def step_sizes(old, new, lr=lr):
        """η_t / (√G_t + ε), the factor on g_t."""
        return (lr / (1 + (new.count - 1) * lr_decay)) / (np.sqrt(new.G) + eps)

    return init, update, step_sizes


ADAGRAD = Spec(
    name="adagrad", label="AdaGrad", factory=adagrad,
    knobs=(LR, Knob("eps", "ε", 1e-12, 1e-2, scale="log", advanced=True, help="keeps the division finite"),
           Knob("lr_decay", "lr_decay", 0.0, 1.0, advanced=True, help="shrinks η over time"),
           Knob("initial_accumulator_value", "G₀", 0.0, 1.0, advanced=True, help="starting value of G"),
           WD),
    latex=rf"\begin{{aligned}}&{GRAD_LATEX}\\ &G_t = G_{{t-1}} + g_t^2\\"
          r" &\theta_t = \theta_{t-1} - \frac{\eta}{1+(t-1)\,\mathrm{lr\_decay}}\,"
          r"\frac{g_t}{\sqrt{G_t} + \varepsilon}\end{aligned}",
    fixes="step size",
    idea="Each coordinate gets its own step size: divide by the root of the sum of all its "
         "squared gradients so far. Steep directions are tamed and shallow ones sped up, "
         "but the sum only grows, so every step gets smaller until the path stalls.",
    torch="torch.optim.Adagrad(params, lr, lr_decay, weight_decay, initial_accumulator_value, eps)",
    textbook=r"h \leftarrow h + \frac{\partial L}{\partial W} \odot \frac{\partial L}{\partial W}, \qquad "
             r"W \leftarrow W - \eta\, \frac{1}{\sqrt{h}}\, \frac{\partial L}{\partial W}",
    textbook_note="The same rule with h = G. The notes' code adds 1e-7 inside the square root; "
                  "torch adds ε outside it, as the paper does.",
)
