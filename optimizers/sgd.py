r"""SGD, Momentum and Nesterov: ``torch.optim.SGD`` in its three modes.

Plain SGD steps against the gradient:

.. math::  \theta_t = \theta_{t-1} - \eta\, g_t

Momentum keeps a buffer :math:`b` of past gradients (torch's form):

.. math::  b_t = \mu b_{t-1} + (1-\tau) g_t \ (b_1 = g_1), \qquad \theta_t = \theta_{t-1} - \eta\, b_t

The lecture notes write it as a velocity, ``v <- a*v - lr*g; W <- W + v``.
That is the same path: put :math:`v_t = -\eta\, b_t` (with :math:`\tau = 0`).

Nesterov (torch's form, Sutskever et al. 2013) steps along the gradient plus
the momentum buffer once more, which approximates evaluating the gradient at
the look-ahead point :math:`\theta + \mu v` that the notes describe:

.. math::  b_t = \mu b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\,(g_t + \mu b_t)

References: Polyak 1964; Sutskever, Martens, Dahl, Hinton 2013.
Implemented: ``torch.optim.SGD`` (coupled weight decay, ``maximize=False``),
except that ``momentum`` and ``nesterov`` default to ``momentum=0.9``.
"""

from typing import NamedTuple

import numpy as np

from .base import (GRAD_LATEX, Knob, Spec, check_lr, check_range, check_weight_decay, first_failing,
                   with_weight_decay)


class SGDState(NamedTuple):
    count: int


class MomentumState(NamedTuple):
    count: int
    b: np.ndarray  # torch's momentum_buffer


def sgd(lr=1e-3, weight_decay=0.0):
    lr = check_lr(lr)
    weight_decay = check_weight_decay(weight_decay)

    def init(params):
        return SGDState(0)

    def update(g, state, params, lr=lr):
        g = with_weight_decay(g, params, weight_decay)
        return -lr * g, SGDState(state.count + 1)

    return init, update


def _heavy_ball(lr, momentum, dampening, weight_decay, nesterov):
    lr = check_lr(lr)
    momentum = check_range(momentum, "momentum value")
    dampening = check_range(dampening, "dampening value", 0.0, 1.0, hi_open=False)
    weight_decay = check_weight_decay(weight_decay)
    # The registry's Nesterov entry fixes dampening at 0; momentum is >= 0 by now.
    where = first_failing(np.greater(momentum, 0)) if nesterov else None
    if where is not None:
        raise ValueError(f"Nesterov momentum requires a momentum and zero dampening, "
                         f"got momentum=0.0{where}")

    def init(params):
        return MomentumState(0, np.zeros_like(params))

    def update(g, state, params, lr=lr):
        g = with_weight_decay(g, params, weight_decay)
        # torch starts the buffer at the first gradient, undamped.
        b = g.copy() if state.count == 0 else state.b * momentum + (1 - dampening) * g
        direction = g + momentum * b if nesterov else b
        return -lr * direction, MomentumState(state.count + 1, b)

    return init, update


def momentum(lr=1e-3, momentum=0.9, dampening=0.0, weight_decay=0.0):
    return _heavy_ball(lr, momentum, dampening, weight_decay, nesterov=False)


def nesterov(lr=1e-3, momentum=0.9, weight_decay=0.0):
    return _heavy_ball(lr, momentum, 0.0, weight_decay, nesterov=True)


LR = Knob("lr", "η", 1e-6, 10.0, scale="log", help="learning rate: how far each step goes")
MU = Knob("momentum", "μ", 0.0, 0.99, scale="memory", help="how much of the previous step is kept")
WD = Knob("weight_decay", "λ", 0.0, 1.0, advanced=True, help="L2 pull towards the origin")

SGD = Spec(
    name="sgd", label="SGD", factory=sgd, knobs=(LR, WD),
    latex=rf"\begin{{aligned}}&{GRAD_LATEX}\\ &\theta_t = \theta_{{t-1}} - \eta\, g_t\end{{aligned}}",
    fixes="neither",
    idea="Step straight down the local slope, a fixed fraction η of the gradient. "
         "Where the valley is much steeper across than along, the steep direction "
         "dominates: the path zigzags across the valley and crawls along it.",
    torch="torch.optim.SGD(params, lr, weight_decay=weight_decay)",
    textbook=r"W \leftarrow W - \eta\, \frac{\partial L}{\partial W}",
    textbook_note="The same rule: W is θ and ∂L/∂W is g.",
)

MOMENTUM = Spec(
    name="momentum", label="Momentum", factory=momentum, memory="b",
    knobs=(LR, MU, Knob("dampening", "τ", 0.0, 0.99, advanced=True,
                        help="how much of each new gradient is damped"), WD),
    latex=rf"\begin{{aligned}}&{GRAD_LATEX}\\ &b_t = \mu\, b_{{t-1}} + (1-\tau)\, g_t \quad (b_1 = g_1)\\"
          r" &\theta_t = \theta_{t-1} - \eta\, b_t\end{aligned}",
    fixes="direction",
    idea="A ball rolling downhill: each step keeps a fraction μ of the previous one. "
         "Zigzags across the valley cancel out while the push along it adds up, "
         "so the direction straightens and speed builds, at the price of overshooting.",
    torch="torch.optim.SGD(params, lr, momentum=momentum, dampening=dampening)",
    textbook=r"v \leftarrow \alpha v - \eta\, \frac{\partial L}{\partial W}, \qquad W \leftarrow W + v",
    textbook_note="The same path: the notes' velocity is v = −η·b and their α is μ (with τ = 0).",
)

NESTEROV = Spec(
    name="nesterov", label="Nesterov", factory=nesterov, knobs=(LR, MU, WD), memory="b",
    latex=rf"\begin{{aligned}}&{GRAD_LATEX}\\ &b_t = \mu\, b_{{t-1}} + g_t \quad (b_1 = g_1)\\"
          r" &\theta_t = \theta_{t-1} - \eta\,(g_t + \mu\, b_t)\end{aligned}",
    fixes="direction",
    idea="Momentum that looks ahead: it corrects with the gradient where the momentum "
         "is about to carry it, so it brakes before overshooting and settles sooner.",
    torch="torch.optim.SGD(params, lr, momentum=momentum, nesterov=True)",
    textbook=r"v \leftarrow \alpha v - \eta\, \nabla L(W + \alpha v), \qquad W \leftarrow W + v",
    textbook_note="The notes evaluate the gradient at the look-ahead point W + αv. torch rewrites the "
                  "rule in terms of that look-ahead point, so it needs only the gradient where it is; "
                  "the points it visits are the look-ahead points of the notes' form.",
)
