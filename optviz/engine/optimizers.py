"""Optimizer update rules, one ``@njit`` kernel each, matching ``torch.optim`` in float64.

Every kernel updates one coordinate: ``step(H, S, i, x, g, t) -> x_new`` where column ``i``
of ``H`` holds the hyperparameters in registry order (booleans as 0.0 / 1.0), column ``i`` of
``S`` is this coordinate's state (updated in place, rows laid out as the registry's ``state``
names), ``g`` the gradient and ``t`` the step number counted from 1. All the optimizers here
are elementwise, so the 2D update is the kernel applied to x and to y, and a batch is the
kernel applied to many columns at once (:func:`update_lanes`). Kernels read their state, then
write every slot back unconditionally, so a loop over columns has no conditional stores and
vectorises. A slot an option leaves unused is written as 0.0, its initial value, never as
"its old value": LLVM turns that into masked stores, slow on AMD.

Options pick values in one of two ways. :func:`choose` is a branch-free select: both sides
are computed, which suits short expressions. Where an option adds work to the chain of
dependent operations from one step to the next (RMSProp's centred average, where its eps
goes), a plain ``if`` on local values only picks the inputs of one shared root and one shared
division: the recording driver then branches (always the same way, so predicted) and runs
only the chosen side, and LLVM if-converts the same code into selects in the lane loops
(the README's speed section has the measurements).

The arithmetic follows torch's CPU single-tensor code operation by operation (``lerp``'s two
branches, ``addcmul``/``addcdiv``'s ``value * a * b`` order, where eps is added), so paths
agree with ``torch.optim`` to rounding. Where a default differs from torch's, the registry
says so in the hyperparameter's help text.

:data:`OPTIMIZERS` is the registry the driver, the UI, the docs and the tests iterate over;
:func:`update` is the dispatcher the driver compiles once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .lanes import LANES

STATE_WIDTH = 4  # the longest state vector of any optimizer


@intrinsic
def choose(typingctx, condition, a, b):
    """``a if condition else b`` as one LLVM ``select``: both values are computed, no branch.

    numba lowers ``a if c else b`` to branches, which LLVM may thread or duplicate around the
    state stores; the batch loop then vectorises them as masked stores, slow on AMD. With a
    select the lane loops stay straight-line code.
    """
    signature = types.float64(types.boolean, types.float64, types.float64)

    def codegen(context, builder, sig, args):
        flag = builder.icmp_unsigned("!=", args[0], ir.Constant(args[0].type, 0))
        return builder.select(flag, args[1], args[2])

    return signature, codegen


@njit(cache=True, error_model="numpy", inline="always")
def _lerp(a: float, b: float, w: float) -> float:
    """torch.lerp: a + w (b - a), computed from the nearer end as torch does."""
    return choose(w < 0.5, a + w * (b - a), b - (b - a) * (1.0 - w))


@njit(cache=True, error_model="numpy", inline="always")
def sgd(H, S, i, x, g, t):
    """SGD.   g <- g + weight_decay x;   x <- x - lr g."""
    lr, weight_decay = H[0, i], H[1, i]
    g = g + weight_decay * x
    return x + -lr * g


@njit(cache=True, error_model="numpy", inline="always")
def momentum(H, S, i, x, g, t):
    """SGD with (heavy-ball) momentum, as torch.optim.SGD(momentum > 0).

    g <- g + weight_decay x
    b <- g at t = 1, else momentum b + (1 - dampening) g
    x <- x - lr b                            (momentum = 0: x <- x - lr g, as torch)
    """
    lr, mu, dampening, weight_decay = H[0, i], H[1, i], H[2, i], H[3, i]
    g = g + weight_decay * x
    b = choose(t == 1.0, g, S[0, i] * mu + (1.0 - dampening) * g)
    kept = mu != 0.0  # torch keeps no buffer at momentum 0: plain SGD, dampening unused
    S[0, i] = choose(kept, b, 0.0)
    return x + -lr * choose(kept, b, g)


@njit(cache=True, error_model="numpy", inline="always")
def nesterov(H, S, i, x, g, t):
    """Nesterov momentum, as torch.optim.SGD(nesterov=True, dampening=0).

    g <- g + weight_decay x
    b <- g at t = 1, else momentum b + g
    x <- x - lr (g + momentum b)
    """
    lr, mu, weight_decay = H[0, i], H[1, i], H[2, i]
    g = g + weight_decay * x
    b = choose(t == 1.0, g, S[0, i] * mu + g)
    S[0, i] = b
    return x + -lr * (g + mu * b)


@njit(cache=True, error_model="numpy", inline="always")
def adagrad(H, S, i, x, g, t):
    """AdaGrad (Duchi et al., 2011), as torch.optim.Adagrad.

    g <- g + weight_decay x
    clr = lr / (1 + (t - 1) lr_decay)
    sum <- sum + g^2                     (sum starts at initial_accumulator_value)
    x <- x - clr g / (sqrt(sum) + eps)
    """
    lr, lr_decay, eps, weight_decay = H[0, i], H[1, i], H[3, i], H[4, i]
    g = g + weight_decay * x
    clr = lr / (1.0 + (t - 1.0) * lr_decay)
    total = S[0, i] + 1.0 * g * g
    S[0, i] = total
    std = math.sqrt(total) + eps
    S[1, i] = clr / std
    return x + -clr * g / std


@njit(cache=True, error_model="numpy", inline="always")
def adadelta(H, S, i, x, g, t):
    """AdaDelta (Zeiler, 2012), as torch.optim.Adadelta; eps sits inside both roots.

    g <- g + weight_decay x
    v <- rho v + (1 - rho) g^2
    d = sqrt(u + eps) / sqrt(v + eps) g
    u <- rho u + (1 - rho) d^2
    x <- x - lr d
    """
    lr, rho, eps, weight_decay = H[0, i], H[1, i], H[2, i], H[3, i]
    g = g + weight_decay * x
    square_avg = S[0, i] * rho + (1.0 - rho) * g * g
    S[0, i] = square_avg
    std = math.sqrt(square_avg + eps)
    delta = math.sqrt(S[1, i] + eps)
    S[2, i] = lr * delta / std
    delta = delta / std * g
    S[1, i] = S[1, i] * rho + (1.0 - rho) * delta * delta
    return x + -lr * delta


@njit(cache=True, error_model="numpy", inline="always")
def rmsprop(H, S, i, x, g, t):
    """RMSProp (Hinton, Coursera lecture 6e), as torch.optim.RMSprop.

    g <- g + weight_decay x
    v <- alpha v + (1 - alpha) g^2
    m <- alpha m + (1 - alpha) g                     (centered only)
    a = sqrt(v - m^2 if centered else v) + eps       (eps_in_sqrt: sqrt(... + eps), TF/Keras)
    b <- momentum b + g / a;  x <- x - lr b          (momentum > 0)
    x <- x - lr g / a                                (momentum = 0)
    """
    lr, alpha, eps, mu = H[0, i], H[1, i], H[2, i], H[3, i]
    centered, weight_decay, eps_in_sqrt = H[4, i] != 0.0, H[5, i], H[6, i] != 0.0
    square_avg, grad_avg, buf = S[0, i], S[1, i], S[2, i]
    g = g + weight_decay * x
    square_avg = square_avg * alpha + (1.0 - alpha) * g * g
    if centered:
        grad_avg = _lerp(grad_avg, g, 1.0 - alpha)
        v = square_avg + -1.0 * grad_avg * grad_avg
    else:
        grad_avg = 0.0
        v = square_avg
    # One root and one division whichever options are on (the ifs only pick their inputs).
    # sqrt(v + eps) + 0.0 == sqrt(v + eps) bit for bit: a root is never -0.0 here.
    if eps_in_sqrt:
        v = v + eps
        outer = 0.0
    else:
        outer = eps
    avg = math.sqrt(v) + outer
    with_momentum = mu > 0.0
    numerator = g if with_momentum else -lr * g  # torch: 1 * g / a, or -lr * g / a
    quotient = numerator / avg
    if with_momentum:
        buf = buf * mu + quotient
        x = x + -lr * buf
    else:
        buf = 0.0
        x = x + quotient
    S[0, i] = square_avg
    S[1, i] = grad_avg
    S[2, i] = buf
    S[3, i] = lr / avg
    return x


@njit(cache=True, error_model="numpy", inline="always")
def rprop(H, S, i, x, g, t):
    """Resilient backpropagation, iRprop- (Riedmiller & Braun, 1993), as torch.optim.Rprop.

    factor = eta_plus if g g_prev > 0, eta_minus if g g_prev < 0, else 1
    step <- clamp(step factor, step_size_min, step_size_max)      (step starts at lr)
    g <- 0 where the sign flipped (that coordinate waits one step)
    x <- x - sign(g) step;   g_prev <- g
    """
    eta_minus, eta_plus, step_min, step_max = H[1, i], H[2, i], H[3, i], H[4, i]
    product = g * S[0, i]
    factor = choose(product > 0.0, eta_plus, choose(product < 0.0, eta_minus, 1.0))
    step = min(max(S[1, i] * factor, step_min), step_max)
    S[1, i] = step
    g = choose(factor == eta_minus, 0.0, g)
    S[0, i] = g
    sign = choose(g > 0.0, 1.0, choose(g < 0.0, -1.0, 0.0))
    return x + -1.0 * sign * step


@njit(cache=True, error_model="numpy", inline="always")
def _adam_core(lr, beta1, beta2, eps, amsgrad, S, i, g, t):
    """The shared Adam step for one coordinate; returns the displacement to add to x."""
    bias_correction1, bias_correction2_sqrt = _adam_corrections(beta1, beta2, t)
    return _adam_corrected(lr, beta1, beta2, eps, amsgrad, S, i, g, bias_correction1, bias_correction2_sqrt)


@njit(cache=True, error_model="numpy", inline="always")
def _adam_corrections(beta1, beta2, t):
    """Adam's bias corrections at step t: 1 - beta1^t and sqrt(1 - beta2^t) (as a power 0.5, as torch)."""
    bias_correction2 = 1.0 - beta2**t
    return 1.0 - beta1**t, bias_correction2**0.5


@njit(cache=True, error_model="numpy", inline="always")
def _adam_corrected(lr, beta1, beta2, eps, amsgrad, S, i, g, bias_correction1, bias_correction2_sqrt):
    """The Adam step with its bias corrections given (a batch whose lanes share the betas
    computes them once a step: the powers were nine tenths of Adam's time in a batch)."""
    exp_avg = _lerp(S[0, i], g, 1.0 - beta1)
    exp_avg_sq = S[1, i] * beta2 + (1.0 - beta2) * g * g
    S[0, i] = exp_avg
    S[1, i] = exp_avg_sq
    step_size = lr / bias_correction1
    max_exp_avg_sq = choose(amsgrad, max(S[2, i], exp_avg_sq), 0.0)
    S[2, i] = max_exp_avg_sq
    denom = math.sqrt(choose(amsgrad, max_exp_avg_sq, exp_avg_sq)) / bias_correction2_sqrt + eps
    S[3, i] = step_size / denom
    return -step_size * exp_avg / denom


@njit(cache=True, error_model="numpy", inline="always")
def adam(H, S, i, x, g, t):
    """Adam (Kingma & Ba, 2015), as torch.optim.Adam.

    g <- g + weight_decay x
    m <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
    v_max <- max(v_max, v)                    (amsgrad: use v_max in place of v)
    x <- x - lr / (1 - beta1^t) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    """
    lr, beta1, beta2, eps, amsgrad, weight_decay = H[0, i], H[1, i], H[2, i], H[3, i], H[4, i] != 0.0, H[5, i]
    g = g + weight_decay * x
    return x + _adam_core(lr, beta1, beta2, eps, amsgrad, S, i, g, t)


@njit(cache=True, error_model="numpy", inline="always")
def adamw(H, S, i, x, g, t):
    """AdamW (Loshchilov & Hutter, 2019), as torch.optim.AdamW: decoupled weight decay.

    x <- x (1 - lr weight_decay), then the Adam step on the plain gradient.
    """
    lr, beta1, beta2, eps, amsgrad, weight_decay = H[0, i], H[1, i], H[2, i], H[3, i], H[4, i] != 0.0, H[5, i]
    x = x * (1.0 - lr * weight_decay)
    return x + _adam_core(lr, beta1, beta2, eps, amsgrad, S, i, g, t)


@njit(cache=True, error_model="numpy", inline="always")
def adamax(H, S, i, x, g, t):
    """Adamax (Kingma & Ba, 2015, sec. 7.1), as torch.optim.Adamax.

    g <- g + weight_decay x
    m <- beta1 m + (1 - beta1) g;   u <- max(beta2 u, |g| + eps)
    x <- x - lr / (1 - beta1^t) m / u
    """
    lr, beta1, beta2, eps, weight_decay = H[0, i], H[1, i], H[2, i], H[3, i], H[4, i]
    g = g + weight_decay * x
    exp_avg = _lerp(S[0, i], g, 1.0 - beta1)
    exp_inf = max(S[1, i] * beta2, abs(g) + eps)
    S[0, i] = exp_avg
    S[1, i] = exp_inf
    clr = lr / (1.0 - beta1**t)
    S[2, i] = clr / exp_inf
    return x + -clr * exp_avg / exp_inf


@njit(cache=True, error_model="numpy", inline="always")
def nadam(H, S, i, x, g, t):
    """NAdam (Dozat, 2016), as torch.optim.NAdam with its momentum schedule.

    g <- g + weight_decay x   (decoupled_weight_decay: x <- x (1 - lr weight_decay) instead)
    mu_t = beta1 (1 - 0.5 * 0.96^(t momentum_decay));   P_t = mu_1 ... mu_t
    m <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
    d = sqrt(v / (1 - beta2^t)) + eps
    x <- x - lr (1 - mu_t) / (1 - P_t) g / d - lr mu_{t+1} / (1 - P_t mu_{t+1}) m / d
    """
    lr, beta1, beta2, eps, weight_decay = H[0, i], H[1, i], H[2, i], H[3, i], H[4, i]
    momentum_decay, decoupled = H[5, i], H[6, i] != 0.0
    bias_correction2 = 1.0 - beta2**t
    g = choose(decoupled, g, g + weight_decay * x)
    x = choose(decoupled, x * (1.0 - lr * weight_decay), x)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1.0) * momentum_decay))
    mu_product = S[2, i] * mu
    exp_avg = _lerp(S[0, i], g, 1.0 - beta1)
    exp_avg_sq = S[1, i] * beta2 + (1.0 - beta2) * g * g
    S[0, i] = exp_avg
    S[1, i] = exp_avg_sq
    S[2, i] = mu_product
    denom = math.sqrt(exp_avg_sq / bias_correction2) + eps
    mu_product_next = mu_product * mu_next
    S[3, i] = lr / denom
    x = x + (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
    return x + ((-lr * mu_next) / (1.0 - mu_product_next)) * exp_avg / denom


@njit(cache=True, error_model="numpy", inline="always")
def radam(H, S, i, x, g, t):
    """RAdam (Liu et al., 2020), as torch.optim.RAdam: Adam rectified once rho_t > 5.

    g <- g + weight_decay x   (decoupled_weight_decay: x <- x (1 - lr weight_decay) instead)
    m, v as in Adam;   rho_inf = 2 / (1 - beta2) - 1;   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
    x <- x - lr m / (1 - beta1^t) * r_t sqrt(1 - beta2^t) / (sqrt(v) + eps)   if rho_t > 5
    x <- x - lr m / (1 - beta1^t)                                             otherwise
    """
    lr, beta1, beta2, eps, weight_decay, decoupled = H[0, i], H[1, i], H[2, i], H[3, i], H[4, i], H[5, i] != 0.0
    g = choose(decoupled, g, g + weight_decay * x)
    x = choose(decoupled, x * (1.0 - lr * weight_decay), x)
    exp_avg = _lerp(S[0, i], g, 1.0 - beta1)
    exp_avg_sq = S[1, i] * beta2 + (1.0 - beta2) * g * g
    S[0, i] = exp_avg
    S[1, i] = exp_avg_sq
    bias_correction1 = 1.0 - beta1**t
    bias_correction2 = 1.0 - beta2**t
    corrected = exp_avg / bias_correction1
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * beta2**t / bias_correction2
    rectified = rho_t > 5.0  # both sides are computed; the unused one may be NaN
    rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
    adaptive_lr = bias_correction2**0.5 / (math.sqrt(exp_avg_sq) + eps)
    S[2, i] = choose(rectified, lr * adaptive_lr * rect / bias_correction1, lr / bias_correction1)
    return choose(rectified, x + -1.0 * (corrected * lr * adaptive_lr * rect), x + -1.0 * (corrected * lr))


@njit(cache=True, error_model="numpy")
def init_state(index: int, H: np.ndarray, S: np.ndarray, i: int) -> None:
    """Set column i of the state to torch's initial values: each optimizer's ``initial_state``
    in the registry (a constant, or a hyperparameter's value), as tabled in _INITIAL_SOURCE
    and _INITIAL_VALUE. A loop, not S[:, i] = ...: see simulate._integrate on slice assignment."""
    for row in range(S.shape[0]):
        source = _INITIAL_SOURCE[index, row]
        if source >= 0:
            S[row, i] = H[source, i]
        else:
            S[row, i] = _INITIAL_VALUE[index, row]


@njit(cache=True, error_model="numpy", inline="always")
def update(index: int, H: np.ndarray, S: np.ndarray, i: int, x: float, g: float, t: float) -> float:
    """Dispatch one coordinate's update (column i of H and S) to the optimizer with this index."""
    if index == 0:
        return sgd(H, S, i, x, g, t)
    if index == 1:
        return momentum(H, S, i, x, g, t)
    if index == 2:
        return nesterov(H, S, i, x, g, t)
    if index == 3:
        return adagrad(H, S, i, x, g, t)
    if index == 4:
        return adadelta(H, S, i, x, g, t)
    if index == 5:
        return rmsprop(H, S, i, x, g, t)
    if index == 6:
        return rprop(H, S, i, x, g, t)
    if index == 7:
        return adam(H, S, i, x, g, t)
    if index == 8:
        return adamw(H, S, i, x, g, t)
    if index == 9:
        return adamax(H, S, i, x, g, t)
    if index == 10:
        return nadam(H, S, i, x, g, t)
    return radam(H, S, i, x, g, t)


@njit(cache=True, error_model="numpy", inline="always")
def _same_in_every_lane(H: np.ndarray, row: int) -> bool:
    """Whether every lane holds the same value of hyperparameter ``row``."""
    first = H[row, 0]
    same = True
    for i in range(2 * LANES):
        same &= H[row, i] == first
    return same


@njit(cache=True, error_model="numpy", inline="always")
def update_lanes(index, H: np.ndarray, S: np.ndarray, P: np.ndarray, G: np.ndarray, t: float, previous: np.ndarray) -> None:
    """Update the 2 * LANES coordinates P[i] with gradients G[i], columns i of H and S, in place;
    ``previous`` receives P as it was (the copy rides along in the same loop).

    The dispatch sits outside the loop, so each loop is one optimizer's kernel over
    independent lanes, which LLVM turns into SIMD code: the batch driver's inner loop.
    """
    if index == 0:
        for i in range(2 * LANES):
            previous[i] = P[i]
            P[i] = sgd(H, S, i, P[i], G[i], t)
    elif index == 1:
        for i in range(2 * LANES):
            previous[i] = P[i]
            P[i] = momentum(H, S, i, P[i], G[i], t)
    elif index == 2:
        for i in range(2 * LANES):
            previous[i] = P[i]
            P[i] = nesterov(H, S, i, P[i], G[i], t)
    elif index == 3:
        for i in range(2 * LANES):
            previous[i] = P[i]
            P[i] = adagrad(H, S, i, P[i], G[i], t)
    elif index == 4:
        for i in range(2 * LANES):
            previous[i] = P[i]
            P[i] = adadelta(H, S, i, P[i], G[i], t)
    elif index == 5:
        for i in range(2 * LANES):
            previous[i] = P[i]
            P[i] = rmsprop(H, S, i, P[i], G[i], t)
    elif index == 6:
        for i in range(2 * LANES):
            previous[i] = P[i]
            P[i] = rprop(H, S, i, P[i], G[i], t)
    elif index == 7 or index == 8:
        if _same_in_every_lane(H, 1) and _same_in_every_lane(H, 2):  # the betas: correct once for all lanes
            bc1, bc2_sqrt = _adam_corrections(H[1, 0], H[2, 0], t)
            for i in range(2 * LANES):
                previous[i] = P[i]
                lr, beta1, beta2, eps, amsgrad, wd = H[0, i], H[1, i], H[2, i], H[3, i], H[4, i] != 0.0, H[5, i]
                if index == 7:
                    x = P[i]
                    P[i] = x + _adam_corrected(lr, beta1, beta2, eps, amsgrad, S, i, G[i] + wd * x, bc1, bc2_sqrt)
                else:
                    x = P[i] * (1.0 - lr * wd)
                    P[i] = x + _adam_corrected(lr, beta1, beta2, eps, amsgrad, S, i, G[i], bc1, bc2_sqrt)
        elif index == 7:
            for i in range(2 * LANES):
                previous[i] = P[i]
                P[i] = adam(H, S, i, P[i], G[i], t)
        else:
            for i in range(2 * LANES):
                previous[i] = P[i]
                P[i] = adamw(H, S, i, P[i], G[i], t)
    elif index == 9:
        for i in range(2 * LANES):
            previous[i] = P[i]
            P[i] = adamax(H, S, i, P[i], G[i], t)
    elif index == 10:
        for i in range(2 * LANES):
            previous[i] = P[i]
            P[i] = nadam(H, S, i, P[i], G[i], t)
    else:
        for i in range(2 * LANES):
            previous[i] = P[i]
            P[i] = radam(H, S, i, P[i], G[i], t)


INF = math.inf


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter: torch's keyword name, its default, where it is valid, how to show it.

    Valid values lie between ``low`` and ``high``; ``low_open``/``high_open`` exclude the end.
    ``ui_low``/``ui_high`` bound the app's slider, which moves on ``scale``: "log", "linear",
    "decay" (a decay rate in [0, 1), whose slider stops at 0.9, 0.99, 0.999 and 0.9999: log
    steps in 1 - decay) or "bool" for a switch. ``torch_default`` is torch.optim's default
    where optviz's differs.
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
    torch_default: float | bool | None = None

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


def _decay(name: str, label: str, default: float, what: str, torch_default: float | None = None) -> Hyperparameter:
    return Hyperparameter(
        name, label, default, 0.0, 1.0, "decay", what, high_open=True, ui_high=0.9999, torch_default=torch_default,
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
    "momentum", "Momentum", 0.9, 0.0, 1.0, "decay",
    "Fraction of the previous velocity kept each step. torch's default is 0 (plain SGD); 0.9 here.",
    high_open=True, ui_high=0.999, torch_default=0.0,
)


# --- The update rules, in NumPy over both coordinates at once (p, g and the state are arrays
# of two). Each builder gets the hyperparameters and returns (state initialisation, one step);
# the step reads p and g and leaves the new point in p_new. Lines that would only add zero
# (weight_decay = 0, say) are left out: x + 0 * y is x, so the path is the same to the bit.


@dataclass(frozen=True)
class UpdateCode:
    """One optimizer in NumPy-script form: state initialisation and step lines, for given values."""

    init: list[str]
    step: list[str]


def _weight_decay(h: dict, *, decoupled: bool = False) -> tuple[list[str], str]:
    """Weight decay's line (none when it is 0) and the name the update then adds to."""
    if h["weight_decay"] == 0.0:
        return [], "p"
    if decoupled:
        return ["p_new = p * (1.0 - lr * weight_decay)  # decoupled: shrink the point itself"], "p_new"
    return ["g = g + weight_decay * p"], "p"


def _sgd_numpy(h: dict) -> UpdateCode:
    return UpdateCode([], [*_weight_decay(h)[0], "p_new = p + -lr * g"])


def _momentum_numpy(h: dict) -> UpdateCode:
    return UpdateCode(
        ["momentum_buffer = np.zeros(2)"],
        [
            *_weight_decay(h)[0],
            "momentum_buffer = g if t == 1 else momentum_buffer * momentum + (1.0 - dampening) * g",
            "p_new = p + -lr * momentum_buffer",
        ],
    )


def _nesterov_numpy(h: dict) -> UpdateCode:
    return UpdateCode(
        ["momentum_buffer = np.zeros(2)"],
        [
            *_weight_decay(h)[0],
            "momentum_buffer = g if t == 1 else momentum_buffer * momentum + g",
            "p_new = p + -lr * (g + momentum * momentum_buffer)",
        ],
    )


def _adagrad_numpy(h: dict) -> UpdateCode:
    return UpdateCode(
        ["state_sum = np.full(2, initial_accumulator_value)"],
        [
            *_weight_decay(h)[0],
            "clr = lr / (1.0 + (t - 1) * lr_decay)",
            "state_sum = state_sum + g * g",
            "std = np.sqrt(state_sum) + eps",
            "p_new = p + -clr * g / std",
        ],
    )


def _adadelta_numpy(h: dict) -> UpdateCode:
    return UpdateCode(
        ["square_avg = np.zeros(2)", "acc_delta = np.zeros(2)"],
        [
            *_weight_decay(h)[0],
            "square_avg = square_avg * rho + (1.0 - rho) * g * g",
            "std = np.sqrt(square_avg + eps)",
            "delta = np.sqrt(acc_delta + eps) / std * g",
            "acc_delta = acc_delta * rho + (1.0 - rho) * delta * delta",
            "p_new = p + -lr * delta",
        ],
    )


def _rmsprop_numpy(h: dict) -> UpdateCode:
    init = ["square_avg = np.full(2, initial_square_avg)"]
    step = [*_weight_decay(h)[0], "square_avg = square_avg * alpha + (1.0 - alpha) * g * g"]
    v = "square_avg"
    if h["centered"]:
        init.append("grad_avg = np.zeros(2)")
        step += ["grad_avg = lerp(grad_avg, g, 1.0 - alpha)", "v = square_avg - grad_avg * grad_avg  # centered"]
        v = "v"
    if h["eps_in_sqrt"]:
        step.append(f"avg = np.sqrt({v} + eps)  # eps inside the root, as TensorFlow and Keras")
    else:
        step.append(f"avg = np.sqrt({v}) + eps")
    if h["momentum"] > 0.0:
        init.append("momentum_buffer = np.zeros(2)")
        step += ["momentum_buffer = momentum_buffer * momentum + g / avg", "p_new = p + -lr * momentum_buffer"]
    else:
        step.append("p_new = p + -lr * g / avg")
    return UpdateCode(init, step)


def _rprop_numpy(h: dict) -> UpdateCode:
    return UpdateCode(
        ["prev = np.zeros(2)", "step_size = np.full(2, lr)"],
        [
            "product = g * prev",
            "factor = np.where(product > 0.0, eta_plus, np.where(product < 0.0, eta_minus, 1.0))",
            "step_size = np.minimum(np.maximum(step_size * factor, step_size_min), step_size_max)",
            "g = np.where(factor == eta_minus, 0.0, g)  # after a sign flip, wait one step",
            "prev = g",
            "p_new = p + -1.0 * np.sign(g) * step_size",
        ],
    )


def _adam_like_numpy(h: dict, decoupled: bool) -> UpdateCode:
    decay, base = _weight_decay(h, decoupled=decoupled)
    init = ["exp_avg = np.zeros(2)", "exp_avg_sq = np.zeros(2)"]
    step = [
        *decay,
        "exp_avg = lerp(exp_avg, g, 1.0 - beta1)",
        "exp_avg_sq = exp_avg_sq * beta2 + (1.0 - beta2) * g * g",
        "bias_correction1 = 1.0 - beta1**t",
        "bias_correction2 = 1.0 - beta2**t",
        "step_size = lr / bias_correction1",
    ]
    if h["amsgrad"]:
        init.append("max_exp_avg_sq = np.zeros(2)")
        step += [
            "max_exp_avg_sq = np.maximum(max_exp_avg_sq, exp_avg_sq)",
            "denom = np.sqrt(max_exp_avg_sq) / math.sqrt(bias_correction2) + eps",
        ]
    else:
        step.append("denom = np.sqrt(exp_avg_sq) / math.sqrt(bias_correction2) + eps")
    step.append(f"p_new = {base} + -step_size * exp_avg / denom")
    return UpdateCode(init, step)


def _adam_numpy(h: dict) -> UpdateCode:
    return _adam_like_numpy(h, decoupled=False)


def _adamw_numpy(h: dict) -> UpdateCode:
    return _adam_like_numpy(h, decoupled=True)


def _adamax_numpy(h: dict) -> UpdateCode:
    return UpdateCode(
        ["exp_avg = np.zeros(2)", "exp_inf = np.zeros(2)"],
        [
            *_weight_decay(h)[0],
            "exp_avg = lerp(exp_avg, g, 1.0 - beta1)",
            "exp_inf = np.maximum(exp_inf * beta2, np.abs(g) + eps)",
            "clr = lr / (1.0 - beta1**t)",
            "p_new = p + -clr * exp_avg / exp_inf",
        ],
    )


def _nadam_numpy(h: dict) -> UpdateCode:
    decay, base = _weight_decay(h, decoupled=bool(h["decoupled_weight_decay"]))
    return UpdateCode(
        ["exp_avg = np.zeros(2)", "exp_avg_sq = np.zeros(2)", "mu_product = 1.0"],
        [
            "bias_correction2 = 1.0 - beta2**t",
            *decay,
            "mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))",
            "mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))",
            "mu_product = mu_product * mu",
            "exp_avg = lerp(exp_avg, g, 1.0 - beta1)",
            "exp_avg_sq = exp_avg_sq * beta2 + (1.0 - beta2) * g * g",
            "denom = np.sqrt(exp_avg_sq / bias_correction2) + eps",
            "mu_product_next = mu_product * mu_next",
            f"p_new = {base} + (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom",
            "p_new = p_new + ((-lr * mu_next) / (1.0 - mu_product_next)) * exp_avg / denom",
        ],
    )


def _radam_numpy(h: dict) -> UpdateCode:
    decay, base = _weight_decay(h, decoupled=bool(h["decoupled_weight_decay"]))
    return UpdateCode(
        ["exp_avg = np.zeros(2)", "exp_avg_sq = np.zeros(2)"],
        [
            *decay,
            "exp_avg = lerp(exp_avg, g, 1.0 - beta1)",
            "exp_avg_sq = exp_avg_sq * beta2 + (1.0 - beta2) * g * g",
            "bias_correction1 = 1.0 - beta1**t",
            "bias_correction2 = 1.0 - beta2**t",
            "corrected = exp_avg / bias_correction1",
            "rho_inf = 2.0 / (1.0 - beta2) - 1.0",
            "rho_t = rho_inf - 2.0 * t * beta2**t / bias_correction2",
            "if rho_t > 5.0:  # the variance is tractable: rectify the adaptive step",
            "    rect = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))",
            "    adaptive_lr = math.sqrt(bias_correction2) / (np.sqrt(exp_avg_sq) + eps)",
            f"    p_new = {base} + -1.0 * (corrected * lr * adaptive_lr * rect)",
            "else:  # too early: plain momentum",
            f"    p_new = {base} + -1.0 * (corrected * lr)",
        ],
    )


# RMSProp with eps inside the root (TensorFlow/Keras): torch.optim.RMSprop's step with that one change.
_RMSPROP_VARIANT = """\
class RMSpropVariant(torch.optim.Optimizer):
    \"\"\"torch.optim.RMSprop with the two options torch lacks: eps inside the square root
    (TensorFlow, Keras, Optax's default) and a running average that starts above 0 (TF1: 1).

    torch.optim.RMSprop divides by sqrt(v) + eps and has no option for sqrt(v + eps), nor for
    v's starting value, so this is its single-tensor step written out with those two options.
    \"\"\"

    def __init__(self, params, lr, alpha, eps, momentum, centered, weight_decay, eps_in_sqrt, initial_square_avg):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, centered=centered, weight_decay=weight_decay,
                        eps_in_sqrt=eps_in_sqrt, initial_square_avg=initial_square_avg)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for q in group["params"]:
                state = self.state[q]
                if not state:
                    state["square_avg"] = torch.full_like(q, group["initial_square_avg"])
                    state["grad_avg"] = torch.zeros_like(q)
                    state["momentum_buffer"] = torch.zeros_like(q)
                g = q.grad
                if group["weight_decay"] != 0:
                    g = g.add(q, alpha=group["weight_decay"])
                square_avg = state["square_avg"]
                square_avg.mul_(group["alpha"]).addcmul_(g, g, value=1 - group["alpha"])
                if group["centered"]:
                    grad_avg = state["grad_avg"]
                    grad_avg.lerp_(g, 1 - group["alpha"])
                    v = square_avg.addcmul(grad_avg, grad_avg, value=-1)
                else:
                    v = square_avg
                if group["eps_in_sqrt"]:
                    avg = v.add(group["eps"]).sqrt_()
                else:
                    avg = v.sqrt().add_(group["eps"])
                if group["momentum"] > 0:
                    buf = state["momentum_buffer"]
                    buf.mul_(group["momentum"]).addcdiv_(g, avg)
                    q.add_(buf, alpha=-group["lr"])
                else:
                    q.addcdiv_(g, avg, value=-group["lr"])
"""


def _rmsprop_variant(h: dict) -> tuple[str, str] | None:
    """torch.optim.RMSprop has no option for eps inside the root nor for v's starting value:
    the class a script carries instead where these are asked for."""
    return ("RMSpropVariant", _RMSPROP_VARIANT) if h["eps_in_sqrt"] or h["initial_square_avg"] else None


@dataclass(frozen=True)
class TorchCall:
    """How ``torch.optim`` builds this optimizer: its class, the keyword (or the place in a
    tuple keyword) for each hyperparameter not passed under its own name, keywords fixed for
    this optimizer, and a test for values torch.optim has no counterpart for (then a script
    carries the returned class source, named as the ``cls`` it defines, instead)."""

    cls: str
    renamed: dict[str, tuple[str, int] | str] = field(default_factory=dict)
    fixed: dict[str, object] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()  # optviz's options torch.optim has no keyword for
    unavailable: Callable[[dict], tuple[str, str] | None] | None = None

    def keywords(self, values: dict[str, float | bool]) -> dict[str, object]:
        """torch.optim's keyword arguments for these hyperparameter values, in registry order."""
        keywords: dict[str, object] = {}
        for name, value in values.items():
            if name in self.dropped:
                continue
            keyword = self.renamed.get(name, name)
            if isinstance(keyword, tuple):
                tuple_name, place = keyword
                parts = list(keywords.get(tuple_name, (None, None)))
                parts[place] = value
                keywords[tuple_name] = tuple(parts)
            else:
                keywords[keyword] = value
        return {**keywords, **self.fixed}


@dataclass(frozen=True)
class Optimizer:
    """One optimizer: everything the driver, the UI, the exports and the tests derive from.

    Its place in :data:`OPTIMIZERS` is its ``index`` in the compiled dispatch. ``state``
    names the kernel's state slots; ``initial_state`` gives the ones torch does not start at
    0 (a constant, or a hyperparameter's name). ``numpy_update`` writes the update as lines of
    a NumPy script for given values; ``torch`` says how torch.optim builds it; ``check``
    refuses values that are valid one by one but not together.
    """

    id: str
    name: str
    hyperparameters: tuple[Hyperparameter, ...]
    state: tuple[str, ...]  # names of the state slots, per coordinate
    equation: str  # LaTeX, in the kernel's names
    reference: str
    demo_lr: float  # a learning rate that draws a telling path on the quadratic bowl in 300 steps
    kernel: Callable = field(repr=False, compare=False)
    colour: str  # the same on every chart and page
    torch: TorchCall
    numpy_update: Callable[[dict], UpdateCode] = field(repr=False, compare=False)
    initial_state: dict[str, float | str] = field(default_factory=dict)
    in_default_race: bool = False
    check: Callable[[dict], None] | None = field(default=None, repr=False, compare=False)
    index: int = -1  # set from the registry's order

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


def _rprop_step_sizes_ordered(values: dict[str, float]) -> None:
    if values["step_size_min"] > values["step_size_max"]:
        raise ValueError(
            f"rprop.step_size_min={values['step_size_min']!r} exceeds step_size_max={values['step_size_max']!r}: "
            "the minimum step must not exceed the maximum"
        )


OPTIMIZERS: dict[str, Optimizer] = {
    o.id: replace(o, index=k)
    for k, o in enumerate((
        Optimizer(
            "sgd", "SGD", (_lr(1e-3), WEIGHT_DECAY), (),
            r"x \leftarrow x - \mathrm{lr}\, g",
            "Robbins & Monro (1951); torch.optim.SGD", 0.4,
            kernel=sgd, colour="#1f77b4",
            in_default_race=True,
            numpy_update=_sgd_numpy,
            torch=TorchCall("SGD"),
        ),
        Optimizer(
            "momentum", "Momentum",
            (
                _lr(1e-3), MOMENTUM,
                Hyperparameter(
                    "dampening", "Dampening", 0.0, 0.0, 1.0, "linear",
                    "Scales the new gradient by (1 - dampening) when it joins the velocity.",
                ),
                WEIGHT_DECAY,
            ),
            ("momentum_buffer",),
            r"\begin{aligned} b &\leftarrow \mu\, b + (1 - \tau)\, g \\ x &\leftarrow x - \mathrm{lr}\, b \end{aligned}",
            "Polyak (1964); torch.optim.SGD(momentum=...)", 0.05,
            kernel=momentum, colour="#ff7f0e",
            in_default_race=True,
            numpy_update=_momentum_numpy,
            torch=TorchCall("SGD"),
        ),
        Optimizer(
            "nesterov", "Nesterov (NAG)",
            (_lr(1e-3), replace(MOMENTUM, low_open=True), WEIGHT_DECAY),
            ("momentum_buffer",),
            r"\begin{aligned} b &\leftarrow \mu\, b + g \\ x &\leftarrow x - \mathrm{lr}\,(g + \mu\, b) \end{aligned}",
            "Nesterov (1983); Sutskever et al. (2013); torch.optim.SGD(nesterov=True)", 0.05,
            kernel=nesterov, colour="#2ca02c",
            in_default_race=True,
            numpy_update=_nesterov_numpy,
            torch=TorchCall("SGD", fixed={"nesterov": True}),
        ),
        Optimizer(
            "adagrad", "AdaGrad",
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
            r"\begin{aligned} \eta_t &= \tfrac{\mathrm{lr}}{1 + (t-1)\,\mathrm{lr\_decay}} \\ s &\leftarrow s + g^2 \\ x &\leftarrow x - \eta_t\,\frac{g}{\sqrt{s} + \epsilon} \end{aligned}",
            "Duchi, Hazan & Singer (2011), JMLR 12; torch.optim.Adagrad", 1.0,
            kernel=adagrad, colour="#9467bd",
            initial_state={"state_sum": "initial_accumulator_value"},
            in_default_race=True,
            numpy_update=_adagrad_numpy,
            torch=TorchCall("Adagrad"),
        ),
        Optimizer(
            "adadelta", "AdaDelta",
            (
                _lr(1.0),
                _decay("rho", "Decay rate", 0.9, "Decay of the running means of squared gradients and updates."),
                _eps(1e-6, "both running means inside their roots"),
                WEIGHT_DECAY,
            ),
            ("square_avg", "acc_delta", "effective_lr"),
            r"\begin{aligned} v &\leftarrow \rho\, v + (1-\rho)\, g^2 \\ d &= \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}}\, g \\ u &\leftarrow \rho\, u + (1-\rho)\, d^2 \\ x &\leftarrow x - \mathrm{lr}\, d \end{aligned}",
            "Zeiler (2012), arXiv:1212.5701; torch.optim.Adadelta", 10.0,
            kernel=adadelta, colour="#8c564b",
            in_default_race=True,
            numpy_update=_adadelta_numpy,
            torch=TorchCall("Adadelta"),
        ),
        Optimizer(
            "rmsprop", "RMSProp",
            (
                _lr(1e-2),
                _decay(
                    "alpha", "Decay rate", 0.9,
                    "Decay of the running mean of squared gradients. 0.9 as in Hinton's lecture; torch's default is 0.99.",
                    torch_default=0.99,
                ),
                _eps(1e-8),
                Hyperparameter(
                    "momentum", "Momentum", 0.0, 0.0, 1.0, "decay",
                    "Velocity kept between steps (0 = none).", high_open=True, ui_high=0.999,
                ),
                Hyperparameter(
                    "centered", "Centered", False, 0.0, 1.0, "bool",
                    "Divide by the running variance (v - mean^2) instead of the raw second moment.",
                ),
                WEIGHT_DECAY,
                Hyperparameter(
                    "eps_in_sqrt", "Epsilon inside the root (TF/Keras)", False, 0.0, 1.0, "bool",
                    "Off: lr g / (sqrt(v) + eps), as PyTorch. On: lr g / sqrt(v + eps), as TensorFlow, Keras "
                    "and Optax (its default).",
                ),
                Hyperparameter(
                    "initial_square_avg", "Starting v", 0.0, 0.0, INF, "linear",
                    "The running average's value before the first step: 0 as PyTorch, Keras and Optax "
                    "(initial_scale); 1 as TensorFlow 1's RMSPropOptimizer.", ui_high=1.0,
                ),
            ),
            ("square_avg", "grad_avg", "momentum_buffer", "effective_lr"),
            r"\begin{aligned} v &\leftarrow \alpha\, v + (1-\alpha)\, g^2 \\ x &\leftarrow x - \frac{\mathrm{lr}\, g}{\sqrt{v} + \epsilon} \end{aligned}",
            "Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, lecture 6e (2012); torch.optim.RMSprop",
            0.1,
            kernel=rmsprop, colour="#d62728",
            initial_state={"square_avg": "initial_square_avg"},
            in_default_race=True,
            numpy_update=_rmsprop_numpy,
            torch=TorchCall("RMSprop", dropped=("eps_in_sqrt", "initial_square_avg"), unavailable=_rmsprop_variant),
        ),
        Optimizer(
            "rprop", "RProp",
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
            r"\begin{aligned} \eta &\leftarrow \mathrm{clip}(\eta\, \eta_\pm) \\ x &\leftarrow x - \mathrm{sign}(g)\, \eta \end{aligned}",
            "Riedmiller & Braun (1993), ICNN; torch.optim.Rprop", 0.1,
            kernel=rprop, colour="#e377c2",
            initial_state={"step_size": "lr"},
            check=_rprop_step_sizes_ordered,
            numpy_update=_rprop_numpy,
            torch=TorchCall("Rprop", {"eta_minus": ("etas", 0), "eta_plus": ("etas", 1), "step_size_min": ("step_sizes", 0), "step_size_max": ("step_sizes", 1)}),
        ),
        Optimizer(
            "adam", "Adam",
            (_lr(1e-3), BETA1, BETA2, _eps(1e-8), AMSGRAD, WEIGHT_DECAY),
            ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "effective_lr"),
            r"\begin{aligned} m &\leftarrow \beta_1 m + (1-\beta_1)\, g \\ v &\leftarrow \beta_2 v + (1-\beta_2)\, g^2 \\ \hat m &= m / (1-\beta_1^t) \\ \hat v &= v / (1-\beta_2^t) \\ x &\leftarrow x - \frac{\mathrm{lr}\, \hat m}{\sqrt{\hat v} + \epsilon} \end{aligned}",
            "Kingma & Ba (2015), ICLR; torch.optim.Adam", 0.3,
            kernel=adam, colour="#17becf",
            in_default_race=True,
            numpy_update=_adam_numpy,
            torch=TorchCall("Adam", {"beta1": ("betas", 0), "beta2": ("betas", 1)}),
        ),
        Optimizer(
            "adamw", "AdamW",
            (_lr(1e-3), BETA1, BETA2, _eps(1e-8), AMSGRAD, DECOUPLED_WEIGHT_DECAY),
            ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "effective_lr"),
            r"\begin{aligned} x &\leftarrow x\,(1 - \mathrm{lr}\,\lambda) \\ m &\leftarrow \beta_1 m + (1-\beta_1)\, g \\ v &\leftarrow \beta_2 v + (1-\beta_2)\, g^2 \\ \hat m &= m / (1-\beta_1^t) \\ \hat v &= v / (1-\beta_2^t) \\ x &\leftarrow x - \frac{\mathrm{lr}\, \hat m}{\sqrt{\hat v} + \epsilon} \end{aligned}",
            "Loshchilov & Hutter (2019), ICLR; torch.optim.AdamW", 0.3,
            kernel=adamw, colour="#bcbd22",
            numpy_update=_adamw_numpy,
            torch=TorchCall("AdamW", {"beta1": ("betas", 0), "beta2": ("betas", 1)}),
        ),
        Optimizer(
            "adamax", "Adamax",
            (_lr(2e-3), BETA1, BETA2, _eps(1e-8, "|g|"), WEIGHT_DECAY),
            ("exp_avg", "exp_inf", "effective_lr"),
            r"\begin{aligned} m &\leftarrow \beta_1 m + (1-\beta_1)\, g \\ u &\leftarrow \max(\beta_2 u,\ |g| + \epsilon) \\ x &\leftarrow x - \frac{\mathrm{lr}}{1-\beta_1^t}\,\frac{m}{u} \end{aligned}",
            "Kingma & Ba (2015), sec. 7.1; torch.optim.Adamax", 0.3,
            kernel=adamax, colour="#7f7f7f",
            numpy_update=_adamax_numpy,
            torch=TorchCall("Adamax", {"beta1": ("betas", 0), "beta2": ("betas", 1)}),
        ),
        Optimizer(
            "nadam", "NAdam",
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
            r"\begin{aligned} m &\leftarrow \beta_1 m + (1-\beta_1)\, g \\ v &\leftarrow \beta_2 v + (1-\beta_2)\, g^2 \\ d &= \sqrt{v / (1-\beta_2^t)} + \epsilon \\ x &\leftarrow x - \mathrm{lr}\,\frac{1-\mu_t}{1-\Pi_t}\,\frac{g}{d} \\ &\quad\ - \mathrm{lr}\,\frac{\mu_{t+1}}{1-\Pi_{t+1}}\,\frac{m}{d} \end{aligned}",
            "Dozat (2016), ICLR workshop; torch.optim.NAdam", 0.3,
            kernel=nadam, colour="#ff9896",
            initial_state={"mu_product": 1.0},
            numpy_update=_nadam_numpy,
            torch=TorchCall("NAdam", {"beta1": ("betas", 0), "beta2": ("betas", 1)}),
        ),
        Optimizer(
            "radam", "RAdam",
            (_lr(1e-3), BETA1, BETA2, _eps(1e-8), WEIGHT_DECAY, DECOUPLED),
            ("exp_avg", "exp_avg_sq", "effective_lr"),
            r"\begin{aligned} m &\leftarrow \beta_1 m + (1-\beta_1)\, g \\ v &\leftarrow \beta_2 v + (1-\beta_2)\, g^2 \\ \hat m &= m / (1-\beta_1^t) \\ s &= \begin{cases} r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v}+\epsilon} & \rho_t > 5 \\ 1 & \text{else}\end{cases} \\ x &\leftarrow x - \mathrm{lr}\, \hat m\, s \end{aligned}",
            "Liu et al. (2020), ICLR; torch.optim.RAdam", 0.3,
            kernel=radam, colour="#393b79",
            numpy_update=_radam_numpy,
            torch=TorchCall("RAdam", {"beta1": ("betas", 0), "beta2": ("betas", 1)}),
        ),
    ))
}

assert all(len(o.state) <= STATE_WIDTH for o in OPTIMIZERS.values())
DEFAULT_OPTIMIZERS = tuple(o.id for o in OPTIMIZERS.values() if o.in_default_race)
"""The classic field the Playground races by default."""

# init_state's tables: per optimizer and state slot, the hyperparameter column it starts from
# (-1: none) and the constant it starts at otherwise.
_INITIAL_SOURCE = np.full((len(OPTIMIZERS), STATE_WIDTH), -1, dtype=np.int64)
_INITIAL_VALUE = np.zeros((len(OPTIMIZERS), STATE_WIDTH))
for _o in OPTIMIZERS.values():
    for _slot, _start in _o.initial_state.items():
        if isinstance(_start, str):
            _INITIAL_SOURCE[_o.index, _o.state.index(_slot)] = _o.names.index(_start)
        else:
            _INITIAL_VALUE[_o.index, _o.state.index(_slot)] = _start


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
    if optimizer.check is not None:
        optimizer.check(values)


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
        table[:, col] = _numeric_column(p, arr) if not p.is_bool else None
        if p.is_bool or np.isnan(table[:, col]).any():  # one by one: the first bad value, named
            table[:, col] = np.array([_as_value(p, opt.id, v.item() if isinstance(v, np.generic) else v) for v in arr],
                                     dtype=np.float64)
    if arrays and opt.check is not None:
        for row in np.unique(table, axis=0):  # each distinct setting once
            _check_cross(opt, dict(zip(opt.names, row.tolist(), strict=False)))
    return table


def _numeric_column(p: Hyperparameter, arr: np.ndarray) -> np.ndarray:
    """A column of numbers checked all at once (a sweep holds up to 160,000 values); NaN
    throughout when the values are not plain numbers or one is out of range, for the caller to
    name the first bad one."""
    plain = arr.tolist()  # numpy numbers become Python ones
    if not set(map(type, plain)) <= {float, int}:  # bools, strings, other objects: the slow path names them
        return np.full(len(arr), np.nan)
    values = np.array(plain, dtype=np.float64)
    above = values > p.low if p.low_open else values >= p.low
    below = values < p.high if p.high_open else values <= p.high
    return values if (np.isfinite(values) & above & below).all() else np.full(len(arr), np.nan)
