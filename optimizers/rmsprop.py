r"""RMSProp: divide by a moving root-mean-square of recent gradients.

.. math::
    v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \qquad
    \theta_t = \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \varepsilon}

``centered=True`` subtracts the squared running mean of :math:`g` under the
root (a variance instead of a second moment); ``momentum > 0`` feeds the
scaled gradient through a momentum buffer.  The lecture notes call
:math:`\alpha` ``decay_rate`` and use 0.99, torch's default too.

References: Hinton, Coursera lecture 6e, 2012; Graves 2013 (centered).
Implemented: ``torch.optim.RMSprop`` (coupled weight decay).
"""

from typing import NamedTuple

import numpy as np

from .base import (GRAD_LATEX, Knob, Spec, any_nonzero, check_bool, check_eps, check_lr, check_range,
                   check_weight_decay, lerp, with_weight_decay)
from .sgd import LR, WD


class RMSpropState(NamedTuple):
    count: int
    v: np.ndarray          # torch's square_avg
    mean: np.ndarray       # torch's grad_avg (centered only)
    b: np.ndarray          # torch's momentum_buffer (momentum > 0 only)


def rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    lr = check_lr(lr)
    alpha = check_range(alpha, "alpha value")
    eps = check_eps(eps)
    weight_decay = check_weight_decay(weight_decay)
    momentum = check_range(momentum, "momentum value")
    centered = check_bool(centered, "centered value")
    # torch's `if momentum > 0`, decided once: per row when momentum is an array.
    heavy = np.greater(momentum, 0)
    some, every = bool(heavy.any()), bool(heavy.all())

    def init(params):
        z = np.zeros_like(params)
        return RMSpropState(0, z, z, z)

    def scale(v, mean):
        """√v_t + ε, or √(v_t − ḡ_t²) + ε when centered."""
        return np.sqrt(v + -1 * mean * mean) + eps if centered else np.sqrt(v) + eps

    def update(g, state, params, lr=lr):
        g = with_weight_decay(g, params, weight_decay)
        v = state.v * alpha + (1 - alpha) * g * g
        mean = lerp(state.mean, g, 1 - alpha) if centered else state.mean
        avg = scale(v, mean)
        if not some:
            return (-lr * g) / avg, RMSpropState(state.count + 1, v, mean, state.b)
        b = state.b * momentum + 1 * g / avg
        if every:
            return -lr * b, RMSpropState(state.count + 1, v, mean, b)
        # An array momentum with zeros: those rows take the plain step and keep b = 0.
        return (np.where(heavy, -lr * b, (-lr * g) / avg),
                RMSpropState(state.count + 1, v, mean, np.where(heavy, b, state.b)))

    def step_sizes(old, new, lr=lr):
        """η / (√v_t + ε), the factor on g_t (with momentum, on g_t as it enters b)."""
        return lr / scale(new.v, new.mean)

    return init, update, step_sizes


def _latex(h):
    v = r"v_t = \alpha\, v_{t-1} + (1-\alpha)\, g_t^2"
    root = r"\sqrt{v_t}"
    if h.get("centered"):
        v += r"\\ &\bar g_t = \alpha\, \bar g_{t-1} + (1-\alpha)\, g_t"
        root = r"\sqrt{v_t - \bar g_t^2}"
    if any_nonzero(h.get("momentum", 0)):
        tail = (rf"b_t = \mu\, b_{{t-1}} + \frac{{g_t}}{{{root} + \varepsilon}}\\"
                r" &\theta_t = \theta_{t-1} - \eta\, b_t")
    else:
        tail = rf"\theta_t = \theta_{{t-1}} - \eta\, \frac{{g_t}}{{{root} + \varepsilon}}"
    return rf"\begin{{aligned}}&{GRAD_LATEX}\\ &{v}\\ &{tail}\end{{aligned}}"


RMSPROP = Spec(
    name="rmsprop", label="RMSProp", factory=rmsprop,
    memory=lambda h: "b" if any_nonzero(h["momentum"]) else None,
    knobs=(LR, Knob("alpha", "α", 0.0, 0.999, scale="memory", help="how long the average of g² remembers"),
           Knob("eps", "ε", 1e-10, 1e-1, scale="log", advanced=True, help="keeps the division finite"),
           Knob("momentum", "μ", 0.0, 0.99, scale="memory", advanced=True, help="momentum on the scaled step"),
           Knob("centered", "centered", scale="bool", advanced=True, help="divide by the variance, not the 2nd moment"),
           WD),
    latex=_latex,
    fixes="step size",
    idea="AdaGrad with a fading memory: divide each coordinate's gradient by the root of a "
         "moving average of its recent squares. Steep and shallow directions move at "
         "similar speeds, and the steps no longer die out.",
    torch="torch.optim.RMSprop(params, lr, alpha, eps, weight_decay, momentum, centered)",
    textbook=r"h \leftarrow \rho h + (1-\rho)\, g \odot g, \qquad W \leftarrow W - \eta\, \frac{g}{\sqrt{h} + \varepsilon}",
    textbook_note="The same rule: the notes' decay_rate ρ is torch's α (0.99 in both).",
)
