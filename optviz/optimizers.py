"""Optimizer update rules, one ``@njit`` kernel each, matching ``torch.optim`` in float64.

Every kernel updates one coordinate: ``step(h, s, x, g, t) -> x_new`` where ``h`` holds the
hyperparameters in registry order (booleans as 0.0 / 1.0), ``s`` is this coordinate's state
vector (updated in place, laid out as the registry's ``state`` names), ``g`` the gradient and
``t`` the step number counted from 1. All the optimizers here are elementwise, so the 2D
update is the kernel applied to x and to y.

The arithmetic follows torch's CPU single-tensor code operation by operation (``lerp``'s two
branches, ``addcmul``/``addcdiv``'s ``value * a * b`` order, where eps is added), so paths
agree with ``torch.optim`` to rounding. Where a default differs from torch's, the registry
says so in the hyperparameter's help text.

:data:`OPTIMIZERS` is the registry the driver, the UI, the docs and the tests iterate over;
:func:`update` is the dispatcher the driver compiles once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numba import njit

STATE_WIDTH = 4  # the longest state vector of any optimizer


@njit(cache=True, error_model="numpy", inline="always")
def _lerp(a: float, b: float, w: float) -> float:
    """torch.lerp: a + w (b - a), computed from the nearer end as torch does."""
    if w < 0.5:
        return a + w * (b - a)
    return b - (b - a) * (1.0 - w)


@njit(cache=True, error_model="numpy")
def sgd(h, s, x, g, t):
    """SGD.   g <- g + weight_decay x;   x <- x - lr g."""
    lr, weight_decay = h[0], h[1]
    g = g + weight_decay * x
    return x + -lr * g


@njit(cache=True, error_model="numpy")
def momentum(h, s, x, g, t):
    """SGD with (heavy-ball) momentum, as torch.optim.SGD(momentum > 0).

    g <- g + weight_decay x
    b <- g at t = 1, else momentum b + (1 - dampening) g
    x <- x - lr b                            (momentum = 0: x <- x - lr g, as torch)
    """
    lr, mu, dampening, weight_decay = h[0], h[1], h[2], h[3]
    g = g + weight_decay * x
    if mu == 0.0:  # torch keeps no buffer then: plain SGD, dampening unused
        return x + -lr * g
    b = g if t == 1 else s[0] * mu + (1.0 - dampening) * g
    s[0] = b
    return x + -lr * b


@njit(cache=True, error_model="numpy")
def nesterov(h, s, x, g, t):
    """Nesterov momentum, as torch.optim.SGD(nesterov=True, dampening=0).

    g <- g + weight_decay x
    b <- g at t = 1, else momentum b + g
    x <- x - lr (g + momentum b)
    """
    lr, mu, weight_decay = h[0], h[1], h[2]
    g = g + weight_decay * x
    b = g if t == 1 else s[0] * mu + g
    s[0] = b
    return x + -lr * (g + mu * b)


@njit(cache=True, error_model="numpy")
def adagrad(h, s, x, g, t):
    """AdaGrad (Duchi et al., 2011), as torch.optim.Adagrad.

    g <- g + weight_decay x
    clr = lr / (1 + (t - 1) lr_decay)
    sum <- sum + g^2                     (sum starts at initial_accumulator_value)
    x <- x - clr g / (sqrt(sum) + eps)
    """
    lr, lr_decay, _initial, eps, weight_decay = h[0], h[1], h[2], h[3], h[4]
    g = g + weight_decay * x
    clr = lr / (1.0 + (t - 1.0) * lr_decay)
    s[0] = s[0] + 1.0 * g * g
    std = math.sqrt(s[0]) + eps
    s[1] = clr / std
    return x + -clr * g / std


@njit(cache=True, error_model="numpy")
def adadelta(h, s, x, g, t):
    """AdaDelta (Zeiler, 2012), as torch.optim.Adadelta; eps sits inside both roots.

    g <- g + weight_decay x
    v <- rho v + (1 - rho) g^2
    d = sqrt(u + eps) / sqrt(v + eps) g
    u <- rho u + (1 - rho) d^2
    x <- x - lr d
    """
    lr, rho, eps, weight_decay = h[0], h[1], h[2], h[3]
    g = g + weight_decay * x
    s[0] = s[0] * rho + (1.0 - rho) * g * g
    std = math.sqrt(s[0] + eps)
    delta = math.sqrt(s[1] + eps)
    s[2] = lr * delta / std
    delta = delta / std * g
    s[1] = s[1] * rho + (1.0 - rho) * delta * delta
    return x + -lr * delta


@njit(cache=True, error_model="numpy")
def rmsprop(h, s, x, g, t):
    """RMSProp (Hinton, Coursera lecture 6e), as torch.optim.RMSprop.

    g <- g + weight_decay x
    v <- alpha v + (1 - alpha) g^2
    m <- alpha m + (1 - alpha) g                     (centered only)
    a = sqrt(v - m^2 if centered else v) + eps       (eps_in_sqrt: sqrt(... + eps), TF/Keras)
    b <- momentum b + g / a;  x <- x - lr b          (momentum > 0)
    x <- x - lr g / a                                (momentum = 0)
    """
    lr, alpha, eps, mu = h[0], h[1], h[2], h[3]
    centered, weight_decay, eps_in_sqrt = h[4] != 0.0, h[5], h[6] != 0.0
    g = g + weight_decay * x
    s[0] = s[0] * alpha + (1.0 - alpha) * g * g
    v = s[0]
    if centered:
        s[1] = _lerp(s[1], g, 1.0 - alpha)
        v = v + -1.0 * s[1] * s[1]
    avg = math.sqrt(v + eps) if eps_in_sqrt else math.sqrt(v) + eps
    s[3] = lr / avg
    if mu > 0.0:
        s[2] = s[2] * mu + 1.0 * g / avg
        return x + -lr * s[2]
    return x + -lr * g / avg


@njit(cache=True, error_model="numpy")
def rprop(h, s, x, g, t):
    """Resilient backpropagation, iRprop- (Riedmiller & Braun, 1993), as torch.optim.Rprop.

    factor = eta_plus if g g_prev > 0, eta_minus if g g_prev < 0, else 1
    step <- clamp(step factor, step_size_min, step_size_max)      (step starts at lr)
    g <- 0 where the sign flipped (that coordinate waits one step)
    x <- x - sign(g) step;   g_prev <- g
    """
    eta_minus, eta_plus, step_min, step_max = h[1], h[2], h[3], h[4]
    product = g * s[0]
    factor = eta_plus if product > 0.0 else (eta_minus if product < 0.0 else 1.0)
    s[1] = min(max(s[1] * factor, step_min), step_max)
    if factor == eta_minus:
        g = 0.0
    s[0] = g
    sign = 1.0 if g > 0.0 else (-1.0 if g < 0.0 else 0.0)
    return x + -1.0 * sign * s[1]


@njit(cache=True, error_model="numpy")
def _adam_core(lr, beta1, beta2, eps, amsgrad, s, g, t):
    """The shared Adam step for one coordinate; returns the displacement to add to x."""
    s[0] = _lerp(s[0], g, 1.0 - beta1)
    s[1] = s[1] * beta2 + (1.0 - beta2) * g * g
    bias_correction1 = 1.0 - beta1**t
    bias_correction2 = 1.0 - beta2**t
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5
    if amsgrad:
        s[2] = max(s[2], s[1])
        denom = math.sqrt(s[2]) / bias_correction2_sqrt + eps
    else:
        denom = math.sqrt(s[1]) / bias_correction2_sqrt + eps
    s[3] = step_size / denom
    return -step_size * s[0] / denom


@njit(cache=True, error_model="numpy")
def adam(h, s, x, g, t):
    """Adam (Kingma & Ba, 2015), as torch.optim.Adam.

    g <- g + weight_decay x
    m <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
    v_max <- max(v_max, v)                    (amsgrad: use v_max in place of v)
    x <- x - lr / (1 - beta1^t) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    """
    lr, beta1, beta2, eps, amsgrad, weight_decay = h[0], h[1], h[2], h[3], h[4] != 0.0, h[5]
    g = g + weight_decay * x
    return x + _adam_core(lr, beta1, beta2, eps, amsgrad, s, g, t)


@njit(cache=True, error_model="numpy")
def adamw(h, s, x, g, t):
    """AdamW (Loshchilov & Hutter, 2019), as torch.optim.AdamW: decoupled weight decay.

    x <- x (1 - lr weight_decay), then the Adam step on the plain gradient.
    """
    lr, beta1, beta2, eps, amsgrad, weight_decay = h[0], h[1], h[2], h[3], h[4] != 0.0, h[5]
    x = x * (1.0 - lr * weight_decay)
    return x + _adam_core(lr, beta1, beta2, eps, amsgrad, s, g, t)


@njit(cache=True, error_model="numpy")
def adamax(h, s, x, g, t):
    """Adamax (Kingma & Ba, 2015, sec. 7.1), as torch.optim.Adamax.

    g <- g + weight_decay x
    m <- beta1 m + (1 - beta1) g;   u <- max(beta2 u, |g| + eps)
    x <- x - lr / (1 - beta1^t) m / u
    """
    lr, beta1, beta2, eps, weight_decay = h[0], h[1], h[2], h[3], h[4]
    g = g + weight_decay * x
    s[0] = _lerp(s[0], g, 1.0 - beta1)
    s[1] = max(s[1] * beta2, abs(g) + eps)
    clr = lr / (1.0 - beta1**t)
    s[2] = clr / s[1]
    return x + -clr * s[0] / s[1]


@njit(cache=True, error_model="numpy")
def nadam(h, s, x, g, t):
    """NAdam (Dozat, 2016), as torch.optim.NAdam with its momentum schedule.

    g <- g + weight_decay x   (decoupled_weight_decay: x <- x (1 - lr weight_decay) instead)
    mu_t = beta1 (1 - 0.5 * 0.96^(t momentum_decay));   P_t = mu_1 ... mu_t
    m <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
    d = sqrt(v / (1 - beta2^t)) + eps
    x <- x - lr (1 - mu_t) / (1 - P_t) g / d - lr mu_{t+1} / (1 - P_t mu_{t+1}) m / d
    """
    lr, beta1, beta2, eps, weight_decay = h[0], h[1], h[2], h[3], h[4]
    momentum_decay, decoupled = h[5], h[6] != 0.0
    bias_correction2 = 1.0 - beta2**t
    if decoupled:
        x = x * (1.0 - lr * weight_decay)
    else:
        g = g + weight_decay * x
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1.0) * momentum_decay))
    s[2] = s[2] * mu
    s[0] = _lerp(s[0], g, 1.0 - beta1)
    s[1] = s[1] * beta2 + (1.0 - beta2) * g * g
    denom = math.sqrt(s[1] / bias_correction2) + eps
    mu_product_next = s[2] * mu_next
    s[3] = lr / denom
    x = x + (-lr * (1.0 - mu) / (1.0 - s[2])) * g / denom
    return x + ((-lr * mu_next) / (1.0 - mu_product_next)) * s[0] / denom


@njit(cache=True, error_model="numpy")
def radam(h, s, x, g, t):
    """RAdam (Liu et al., 2020), as torch.optim.RAdam: Adam rectified once rho_t > 5.

    g <- g + weight_decay x   (decoupled_weight_decay: x <- x (1 - lr weight_decay) instead)
    m, v as in Adam;   rho_inf = 2 / (1 - beta2) - 1;   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
    x <- x - lr m / (1 - beta1^t) * r_t sqrt(1 - beta2^t) / (sqrt(v) + eps)   if rho_t > 5
    x <- x - lr m / (1 - beta1^t)                                             otherwise
    """
    lr, beta1, beta2, eps, weight_decay, decoupled = h[0], h[1], h[2], h[3], h[4], h[5] != 0.0
    if decoupled:
        x = x * (1.0 - lr * weight_decay)
    else:
        g = g + weight_decay * x
    s[0] = _lerp(s[0], g, 1.0 - beta1)
    s[1] = s[1] * beta2 + (1.0 - beta2) * g * g
    bias_correction1 = 1.0 - beta1**t
    bias_correction2 = 1.0 - beta2**t
    corrected = s[0] / bias_correction1
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * beta2**t / bias_correction2
    if rho_t > 5.0:
        rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
        adaptive_lr = bias_correction2**0.5 / (math.sqrt(s[1]) + eps)
        s[2] = lr * adaptive_lr * rect / bias_correction1
        return x + -1.0 * (corrected * lr * adaptive_lr * rect)
    s[2] = lr / bias_correction1
    return x + -1.0 * (corrected * lr)


@njit(cache=True, error_model="numpy")
def init_state(index: int, h: np.ndarray, s: np.ndarray) -> None:
    """Set one coordinate's state to torch's initial values (zeros but for these)."""
    s[:] = 0.0
    if index == 3:  # adagrad: the running sum starts at initial_accumulator_value
        s[0] = h[2]
    elif index == 6:  # rprop: every step size starts at lr
        s[1] = h[0]
    elif index == 10:  # nadam: the product of momentum coefficients starts at 1
        s[2] = 1.0


@njit(cache=True, error_model="numpy", inline="always")
def update(index: int, h: np.ndarray, s: np.ndarray, x: float, g: float, t: float) -> float:
    """Dispatch one coordinate's update to the optimizer with this index."""
    if index == 0:
        return sgd(h, s, x, g, t)
    if index == 1:
        return momentum(h, s, x, g, t)
    if index == 2:
        return nesterov(h, s, x, g, t)
    if index == 3:
        return adagrad(h, s, x, g, t)
    if index == 4:
        return adadelta(h, s, x, g, t)
    if index == 5:
        return rmsprop(h, s, x, g, t)
    if index == 6:
        return rprop(h, s, x, g, t)
    if index == 7:
        return adam(h, s, x, g, t)
    if index == 8:
        return adamw(h, s, x, g, t)
    if index == 9:
        return adamax(h, s, x, g, t)
    if index == 10:
        return nadam(h, s, x, g, t)
    return radam(h, s, x, g, t)


INF = math.inf


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter: torch's keyword name, its default, where it is valid, how to show it.

    Valid values lie between ``low`` and ``high``; ``low_open``/``high_open`` exclude the end.
    ``ui_low``/``ui_high`` bound the app's slider, which moves on ``scale`` ("log", "linear"
    or "bool" for a switch).
    """

    name: str
    label: str
    default: float | bool
    low: float
    high: float
    scale: str
    help: str
    low_open: bool = False
    high_open: bool = False
    ui_low: float | None = None
    ui_high: float | None = None

    @property
    def is_bool(self) -> bool:
        return self.scale == "bool"

    def valid_range(self) -> str:
        if self.is_bool:
            return "True or False"
        lo = f"{'(' if self.low_open else '['}{_fmt(self.low)}"
        hi = f"{_fmt(self.high)}{')' if self.high_open or self.high == INF else ']'}"
        return f"{lo}, {hi}"

    def contains(self, value: float) -> bool:
        if self.is_bool:
            return value in (0.0, 1.0)
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return math.isfinite(value) and above and below

    @property
    def slider_range(self) -> tuple[float, float]:
        lo = self.ui_low if self.ui_low is not None else self.low
        hi = self.ui_high if self.ui_high is not None else self.high
        return lo, hi


def _fmt(v: float) -> str:
    return "inf" if v == INF else f"{v:g}"


def _lr(default: float, note: str = "") -> Hyperparameter:
    return Hyperparameter(
        "lr", "Learning rate", default, 0.0, INF, "log",
        "Step size: how far each update moves." + note, ui_low=1e-6, ui_high=10.0,
    )


def _eps(default: float, what: str = "the root") -> Hyperparameter:
    return Hyperparameter(
        "eps", "Epsilon", default, 0.0, INF, "log",
        f"Small constant added to {what} so the division never blows up.", ui_low=1e-12, ui_high=1.0,
    )


def _decay(name: str, label: str, default: float, what: str) -> Hyperparameter:
    return Hyperparameter(
        name, label, default, 0.0, 1.0, "linear", what, high_open=True, ui_high=0.9999,
    )


WEIGHT_DECAY = Hyperparameter(
    "weight_decay", "Weight decay", 0.0, 0.0, INF, "linear",
    "L2 penalty: adds weight_decay * x to the gradient.", ui_high=1.0,
)
DECOUPLED_WEIGHT_DECAY = Hyperparameter(
    "weight_decay", "Weight decay", 1e-2, 0.0, INF, "linear",
    "Decoupled decay: shrinks x by lr * weight_decay each step, apart from the gradient.", ui_high=1.0,
)
AMSGRAD = Hyperparameter(
    "amsgrad", "AMSGrad", False, 0.0, 1.0, "bool",
    "Divide by the largest second moment seen so far (Reddi et al., 2018).",
)
DECOUPLED = Hyperparameter(
    "decoupled_weight_decay", "Decoupled weight decay", False, 0.0, 1.0, "bool",
    "Apply weight decay to x directly, AdamW-style, instead of adding it to the gradient.",
)
BETA1 = _decay("beta1", "First-moment decay", 0.9, "Decay of the running mean of gradients (torch's betas[0]).")
BETA2 = _decay("beta2", "Second-moment decay", 0.999, "Decay of the running mean of squared gradients (torch's betas[1]).")
MOMENTUM = Hyperparameter(
    "momentum", "Momentum", 0.9, 0.0, 1.0, "linear",
    "Fraction of the previous velocity kept each step. torch's default is 0 (plain SGD); 0.9 here.",
    high_open=True, ui_high=0.999,
)


@dataclass(frozen=True)
class Optimizer:
    """One optimizer: registry entry for the driver, the UI and the tests."""

    id: str
    name: str
    index: int
    hyperparameters: tuple[Hyperparameter, ...]
    state: tuple[str, ...]  # names of the state slots, per coordinate
    equation: str  # LaTeX, in the kernel's names
    reference: str
    demo_lr: float  # a learning rate that draws a telling path on the quadratic bowl in 300 steps

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.hyperparameters)

    @property
    def defaults(self) -> dict[str, float | bool]:
        return {p.name: (bool(p.default) if p.is_bool else p.default) for p in self.hyperparameters}

    def hyperparameter(self, name: str) -> Hyperparameter:
        for p in self.hyperparameters:
            if p.name == name:
                return p
        raise ValueError(
            f"{self.id} has no hyperparameter {name!r}; its hyperparameters are: {', '.join(self.names)}"
        )

    @property
    def kernel(self):
        return _STEP_KERNELS[self.index]


_STEP_KERNELS = (sgd, momentum, nesterov, adagrad, adadelta, rmsprop, rprop, adam, adamw, adamax, nadam, radam)

OPTIMIZERS: dict[str, Optimizer] = {
    o.id: o
    for o in (
        Optimizer(
            "sgd", "SGD", 0, (_lr(1e-3), WEIGHT_DECAY), (),
            r"x \leftarrow x - \mathrm{lr}\, g",
            "Robbins & Monro (1951); torch.optim.SGD", 0.4,
        ),
        Optimizer(
            "momentum", "Momentum", 1,
            (
                _lr(1e-3), MOMENTUM,
                Hyperparameter(
                    "dampening", "Dampening", 0.0, 0.0, 1.0, "linear",
                    "Scales the new gradient by (1 - dampening) when it joins the velocity.",
                ),
                WEIGHT_DECAY,
            ),
            ("momentum_buffer",),
            r"b \leftarrow \mu b + (1 - \tau) g,\quad x \leftarrow x - \mathrm{lr}\, b",
            "Polyak (1964); torch.optim.SGD(momentum=...)", 0.05,
        ),
        Optimizer(
            "nesterov", "Nesterov (NAG)", 2,
            (_lr(1e-3), replace(MOMENTUM, low_open=True), WEIGHT_DECAY),
            ("momentum_buffer",),
            r"b \leftarrow \mu b + g,\quad x \leftarrow x - \mathrm{lr}\,(g + \mu b)",
            "Nesterov (1983); Sutskever et al. (2013); torch.optim.SGD(nesterov=True)", 0.05,
        ),
        Optimizer(
            "adagrad", "AdaGrad", 3,
            (
                _lr(1e-2),
                Hyperparameter(
                    "lr_decay", "Learning-rate decay", 0.0, 0.0, INF, "linear",
                    "Divides lr by 1 + (t - 1) * lr_decay at step t.", ui_high=1.0,
                ),
                Hyperparameter(
                    "initial_accumulator_value", "Initial accumulator", 0.0, 0.0, INF, "linear",
                    "Starting value of the running sum of squared gradients.", ui_high=10.0,
                ),
                _eps(1e-10),
                WEIGHT_DECAY,
            ),
            ("state_sum", "effective_lr"),
            r"s \leftarrow s + g^2,\quad x \leftarrow x - \frac{\mathrm{lr}}{1 + (t-1)\,\mathrm{lr\_decay}}\,"
            r"\frac{g}{\sqrt{s} + \epsilon}",
            "Duchi, Hazan & Singer (2011), JMLR 12; torch.optim.Adagrad", 1.0,
        ),
        Optimizer(
            "adadelta", "AdaDelta", 4,
            (
                _lr(1.0),
                _decay("rho", "Decay rate", 0.9, "Decay of the running means of squared gradients and updates."),
                _eps(1e-6, "both running means inside their roots"),
                WEIGHT_DECAY,
            ),
            ("square_avg", "acc_delta", "effective_lr"),
            r"v \leftarrow \rho v + (1-\rho) g^2,\ d = \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}}\, g,\ "
            r"u \leftarrow \rho u + (1-\rho) d^2,\ x \leftarrow x - \mathrm{lr}\, d",
            "Zeiler (2012), arXiv:1212.5701; torch.optim.Adadelta", 10.0,
        ),
        Optimizer(
            "rmsprop", "RMSProp", 5,
            (
                _lr(1e-2),
                _decay(
                    "alpha", "Decay rate", 0.9,
                    "Decay of the running mean of squared gradients. 0.9 as in Hinton's lecture; torch's default is 0.99.",
                ),
                _eps(1e-8),
                Hyperparameter(
                    "momentum", "Momentum", 0.0, 0.0, 1.0, "linear",
                    "Velocity kept between steps (0 = none).", high_open=True, ui_high=0.999,
                ),
                Hyperparameter(
                    "centered", "Centered", False, 0.0, 1.0, "bool",
                    "Divide by the running variance (v - mean^2) instead of the raw second moment.",
                ),
                WEIGHT_DECAY,
                Hyperparameter(
                    "eps_in_sqrt", "Epsilon inside the root (TF/Keras)", False, 0.0, 1.0, "bool",
                    "Off: lr g / (sqrt(v) + eps), as PyTorch. On: lr g / sqrt(v + eps), as TensorFlow and Keras.",
                ),
            ),
            ("square_avg", "grad_avg", "momentum_buffer", "effective_lr"),
            r"v \leftarrow \alpha v + (1-\alpha) g^2,\quad x \leftarrow x - \frac{\mathrm{lr}\, g}{\sqrt{v} + \epsilon}",
            "Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, lecture 6e (2012); torch.optim.RMSprop",
            0.1,
        ),
        Optimizer(
            "rprop", "RProp", 6,
            (
                _lr(1e-2, " The initial step size of every coordinate."),
                Hyperparameter(
                    "eta_minus", "Shrink factor", 0.5, 0.0, 1.0, "linear",
                    "Step size multiplier after the gradient's sign flips (torch's etas[0]).",
                    low_open=True, high_open=True, ui_low=0.01, ui_high=0.99,
                ),
                Hyperparameter(
                    "eta_plus", "Growth factor", 1.2, 1.0, INF, "linear",
                    "Step size multiplier while the sign holds (torch's etas[1]).",
                    low_open=True, ui_low=1.01, ui_high=3.0,
                ),
                Hyperparameter(
                    "step_size_min", "Minimum step", 1e-6, 0.0, INF, "log",
                    "Smallest allowed step size (torch's step_sizes[0]).", ui_low=1e-9, ui_high=1.0,
                ),
                Hyperparameter(
                    "step_size_max", "Maximum step", 50.0, 0.0, INF, "log",
                    "Largest allowed step size (torch's step_sizes[1]).", low_open=True, ui_low=1e-3, ui_high=100.0,
                ),
            ),
            ("prev", "step_size"),
            r"\eta \leftarrow \mathrm{clip}(\eta \cdot \eta_\pm),\quad x \leftarrow x - \mathrm{sign}(g)\, \eta",
            "Riedmiller & Braun (1993), ICNN; torch.optim.Rprop", 0.1,
        ),
        Optimizer(
            "adam", "Adam", 7,
            (_lr(1e-3), BETA1, BETA2, _eps(1e-8), AMSGRAD, WEIGHT_DECAY),
            ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "effective_lr"),
            r"x \leftarrow x - \frac{\mathrm{lr}}{1-\beta_1^t}\,\frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}",
            "Kingma & Ba (2015), ICLR; torch.optim.Adam", 0.3,
        ),
        Optimizer(
            "adamw", "AdamW", 8,
            (_lr(1e-3), BETA1, BETA2, _eps(1e-8), AMSGRAD, DECOUPLED_WEIGHT_DECAY),
            ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "effective_lr"),
            r"x \leftarrow x(1 - \mathrm{lr}\,\lambda) - \frac{\mathrm{lr}}{1-\beta_1^t}\,"
            r"\frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}",
            "Loshchilov & Hutter (2019), ICLR; torch.optim.AdamW", 0.3,
        ),
        Optimizer(
            "adamax", "Adamax", 9,
            (_lr(2e-3), BETA1, BETA2, _eps(1e-8, "|g|"), WEIGHT_DECAY),
            ("exp_avg", "exp_inf", "effective_lr"),
            r"u \leftarrow \max(\beta_2 u, |g| + \epsilon),\quad x \leftarrow x - \frac{\mathrm{lr}}{1-\beta_1^t}\,\frac{m}{u}",
            "Kingma & Ba (2015), sec. 7.1; torch.optim.Adamax", 0.3,
        ),
        Optimizer(
            "nadam", "NAdam", 10,
            (
                _lr(2e-3), BETA1, BETA2, _eps(1e-8), WEIGHT_DECAY,
                Hyperparameter(
                    "momentum_decay", "Momentum decay", 4e-3, 0.0, INF, "log",
                    "Sets the momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay)).",
                    ui_low=1e-5, ui_high=1.0,
                ),
                DECOUPLED,
            ),
            ("exp_avg", "exp_avg_sq", "mu_product", "effective_lr"),
            r"x \leftarrow x - \mathrm{lr}\,\frac{1-\mu_t}{1-\Pi_t}\,\frac{g}{d} - "
            r"\mathrm{lr}\,\frac{\mu_{t+1}}{1-\Pi_{t+1}}\,\frac{m}{d}",
            "Dozat (2016), ICLR workshop; torch.optim.NAdam", 0.3,
        ),
        Optimizer(
            "radam", "RAdam", 11,
            (_lr(1e-3), BETA1, BETA2, _eps(1e-8), WEIGHT_DECAY, DECOUPLED),
            ("exp_avg", "exp_avg_sq", "effective_lr"),
            r"x \leftarrow x - \frac{\mathrm{lr}}{1-\beta_1^t}\, m \cdot "
            r"\begin{cases} r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v}+\epsilon} & \rho_t > 5 \\ 1 & \text{else}\end{cases}",
            "Liu et al. (2020), ICLR; torch.optim.RAdam", 0.3,
        ),
    )
}

assert [o.index for o in OPTIMIZERS.values()] == list(range(len(_STEP_KERNELS)))
assert all(len(o.state) <= STATE_WIDTH for o in OPTIMIZERS.values())


def get_optimizer(optimizer: str | Optimizer) -> Optimizer:
    """The registry entry for ``optimizer`` (an id), or a ValueError naming the choices."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer={optimizer!r} is not known; choose one of: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[optimizer]


def _as_value(p: Hyperparameter, optimizer: str, value) -> float:
    """One hyperparameter value as the float the kernels take, or a ValueError."""
    where = f"{optimizer}.{p.name}={value!r}"
    if p.is_bool:
        if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer)) and value in (0, 1)):
            return float(bool(value))
        raise ValueError(f"{where} is not valid: expected True or False")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{where} is not valid: expected a number in {p.valid_range()}")
    v = float(value)
    if not p.contains(v):
        raise ValueError(f"{where} is out of range: expected a finite number in {p.valid_range()}")
    return v


def _check_cross(optimizer: Optimizer, values: dict[str, float]) -> None:
    if optimizer.id == "rprop" and values["step_size_min"] > values["step_size_max"]:
        raise ValueError(
            f"rprop.step_size_min={values['step_size_min']!r} exceeds step_size_max={values['step_size_max']!r}: "
            "the minimum step must not exceed the maximum"
        )


def resolve_hyperparameters(optimizer: str | Optimizer, overrides: dict | None = None) -> np.ndarray:
    """The full hyperparameter vector (registry order) with defaults filled in, validated.

    >>> resolve_hyperparameters("sgd", {"lr": 0.1}).tolist()
    [0.1, 0.0]
    """
    opt = get_optimizer(optimizer)
    overrides = dict(overrides or {})
    for name in overrides:
        opt.hyperparameter(name)  # raises on unknown names
    values = {p.name: _as_value(p, opt.id, overrides.get(p.name, p.default)) for p in opt.hyperparameters}
    _check_cross(opt, values)
    return np.array([values[n] for n in opt.names], dtype=np.float64)


def resolve_hyperparameter_table(optimizer: str | Optimizer, overrides: dict | None, runs: int) -> np.ndarray:
    """Like :func:`resolve_hyperparameters`, but any value may be an array of length ``runs``.

    Returns a (runs, P) table, every entry validated.
    """
    opt = get_optimizer(optimizer)
    overrides = dict(overrides or {})
    table = np.empty((runs, len(opt.names)), dtype=np.float64)
    scalars: dict = {}
    arrays: dict[str, np.ndarray] = {}
    for name, value in overrides.items():
        opt.hyperparameter(name)
        if np.ndim(value) == 0:
            scalars[name] = value.item() if isinstance(value, np.generic) else value
        else:
            arr = np.asarray(value, dtype=object)  # object: a stray string is reported as itself
            if arr.shape != (runs,):
                raise ValueError(
                    f"{opt.id}.{name} has shape {arr.shape}; an array hyperparameter needs one value per start, "
                    f"shape ({runs},)"
                )
            arrays[name] = arr
    base = resolve_hyperparameters(opt, scalars)
    table[:] = base
    for name, arr in arrays.items():
        p = opt.hyperparameter(name)
        col = opt.names.index(name)
        converted = np.array([_as_value(p, opt.id, v.item() if isinstance(v, np.generic) else v) for v in arr],
                             dtype=np.float64)
        table[:, col] = converted
    if arrays:
        for row in table:
            _check_cross(opt, dict(zip(opt.names, row.tolist(), strict=False)))
    return table
