"""Standalone scripts that reproduce one optimizer's path: NumPy (exact) and PyTorch (torch.optim).

Each script is short, readable Python that users can carry into their own work: the surface's
f and gradient written out, the start, the hyperparameters and the steps, the update rule,
and a final ``print`` of the last point at full float64 precision. Both keep every point in a
list named ``path``.

The NumPy script repeats optviz's arithmetic operation by operation (which is torch's: the
two branches of ``lerp``, where eps is added), so it reproduces the path to the last bit.
Two details of the compiled kernels are copied on purpose: numba expands ``x**3`` and
``x**4`` into products and turns ``v ** 0.5`` into a square root, so the scripts write those
the same way (Python's ``**`` calls the C library's ``pow``, which can differ in the last bit).

The PyTorch script uses ``torch.optim`` and autograd, so it agrees with optviz to rounding:
autograd's gradient is summed in a different order from the hand-derived one.

:data:`SURFACE_CODE` (per surface id) and :data:`UPDATE_CODE` (per optimizer id) are the
registries; the tests iterate over both, so every surface and optimizer is covered.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from ..engine.optimizers import OPTIMIZERS, get_optimizer, resolve_hyperparameters
from ..race.settings import RaceSettings


@dataclass(frozen=True)
class SurfaceCode:
    """One surface in script form: the formula in plain text, a NumPy-script body over floats
    ``x, y`` that returns ``f, gx, gy`` (math module only), and a torch body returning f
    (autograd does the rest)."""

    formula: str
    numpy: str
    torch: str


SURFACE_CODE: dict[str, SurfaceCode] = {
    "quadratic": SurfaceCode(
        "f(x, y) = 0.1 x^2 + 2 y^2",
        "return 0.1 * x * x + 2.0 * y * y, 0.2 * x, 4.0 * y",
        "return 0.1 * x * x + 2.0 * y * y",
    ),
    "rosenbrock": SurfaceCode(
        "f(x, y) = (1 - x)^2 + 100 (y - x^2)^2",
        """
        r = y - x * x
        a = 1.0 - x
        return a * a + 100.0 * r * r, -2.0 * a - 400.0 * x * r, 200.0 * r
        """,
        "return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2",
    ),
    "beale": SurfaceCode(
        "f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        """
        y2 = y * y
        y3 = y2 * y
        a = 1.5 - x + x * y
        b = 2.25 - x + x * y2
        c = 2.625 - x + x * y3
        gx = 2.0 * a * (y - 1.0) + 2.0 * b * (y2 - 1.0) + 2.0 * c * (y3 - 1.0)
        gy = 2.0 * a * x + 4.0 * b * x * y + 6.0 * c * x * y2
        return a * a + b * b + c * c, gx, gy
        """,
        "return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2",
    ),
    "himmelblau": SurfaceCode(
        "f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        """
        p = x * x + y - 11.0
        q = x + y * y - 7.0
        return p * p + q * q, 4.0 * x * p + 2.0 * q, 2.0 * p + 4.0 * y * q
        """,
        "return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2",
    ),
    "rastrigin": SurfaceCode(
        "f(x, y) = 20 + x^2 - 10 cos(2 pi x) + y^2 - 10 cos(2 pi y)",
        """
        f = 20.0 + x * x - 10.0 * math.cos(TWO_PI * x) + y * y - 10.0 * math.cos(TWO_PI * y)
        gx = 2.0 * x + 10.0 * TWO_PI * math.sin(TWO_PI * x)
        gy = 2.0 * y + 10.0 * TWO_PI * math.sin(TWO_PI * y)
        return f, gx, gy
        """,
        "return 20.0 + x * x - 10.0 * torch.cos(TWO_PI * x) + y * y - 10.0 * torch.cos(TWO_PI * y)",
    ),
    "ackley": SurfaceCode(
        "f(x, y) = -20 exp(-0.2 sqrt((x^2 + y^2) / 2)) - exp((cos 2 pi x + cos 2 pi y) / 2) + e + 20",
        """
        r = math.sqrt(0.5 * (x * x + y * y))
        cone = math.exp(-0.2 * r)
        ripple = math.exp(0.5 * (math.cos(TWO_PI * x) + math.cos(TWO_PI * y)))
        f = -20.0 * cone - ripple + math.e + 20.0
        radial = 2.0 * cone / r if r > 0.0 else 0.0  # the cone's tip: take the subgradient 0
        gx = radial * x + math.pi * math.sin(TWO_PI * x) * ripple
        gy = radial * y + math.pi * math.sin(TWO_PI * y) * ripple
        return f, gx, gy
        """,
        """
        # At the origin (the cone's tip) autograd's gradient is NaN; optviz takes 0 there.
        r = torch.sqrt(0.5 * (x * x + y * y))
        ripple = torch.exp(0.5 * (torch.cos(TWO_PI * x) + torch.cos(TWO_PI * y)))
        return -20.0 * torch.exp(-0.2 * r) - ripple + math.e + 20.0
        """,
    ),
    "booth": SurfaceCode(
        "f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
        """
        p = x + 2.0 * y - 7.0
        q = 2.0 * x + y - 5.0
        return p * p + q * q, 2.0 * p + 4.0 * q, 4.0 * p + 2.0 * q
        """,
        "return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2",
    ),
    "matyas": SurfaceCode(
        "f(x, y) = 0.26 (x^2 + y^2) - 0.48 xy",
        "return 0.26 * (x * x + y * y) - 0.48 * x * y, 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x",
        "return 0.26 * (x * x + y * y) - 0.48 * x * y",
    ),
    "three_hump_camel": SurfaceCode(
        "f(x, y) = 2x^2 - 1.05x^4 + x^6 / 6 + xy + y^2",
        """
        x2 = x * x
        f = 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x * y + y * y
        return f, 4.0 * x - 4.2 * x2 * x + x2 * x2 * x + y, x + 2.0 * y
        """,
        "return 2.0 * x**2 - 1.05 * x**4 + x**6 / 6.0 + x * y + y * y",
    ),
    "six_hump_camel": SurfaceCode(
        "f(x, y) = (4 - 2.1x^2 + x^4 / 3) x^2 + xy + (4y^2 - 4) y^2",
        """
        x2 = x * x
        y2 = y * y
        f = (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (4.0 * y2 - 4.0) * y2
        gx = 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y
        gy = x - 8.0 * y + 16.0 * y2 * y
        return f, gx, gy
        """,
        "return (4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (4.0 * y**2 - 4.0) * y**2",
    ),
    "goldstein_price": SurfaceCode(
        "f(x, y) = [1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)] [30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]",
        """
        p = x + y + 1.0
        q = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
        r = 2.0 * x - 3.0 * y
        s = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
        a = 1.0 + p * p * q
        b = 30.0 + r * r * s
        a_xy = 2.0 * p * q + p * p * (6.0 * x + 6.0 * y - 14.0)  # da/dx = da/dy
        b_x = 4.0 * r * s + r * r * (24.0 * x - 36.0 * y - 32.0)
        b_y = -6.0 * r * s + r * r * (54.0 * y - 36.0 * x + 48.0)
        return a * b, a_xy * b + a * b_x, a_xy * b + a * b_y
        """,
        """
        a = 1.0 + (x + y + 1.0) ** 2 * (19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y)
        b = 30.0 + (2.0 * x - 3.0 * y) ** 2 * (18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y)
        return a * b
        """,
    ),
    "styblinski_tang": SurfaceCode(
        "f(x, y) = (x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y) / 2",
        """
        x2 = x * x
        y2 = y * y
        f = 0.5 * (x2 * x2 - 16.0 * x * x + 5.0 * x + y2 * y2 - 16.0 * y * y + 5.0 * y)
        return f, 2.0 * (x2 * x) - 16.0 * x + 2.5, 2.0 * (y2 * y) - 16.0 * y + 2.5
        """,
        "return 0.5 * (x**4 - 16.0 * x * x + 5.0 * x + y**4 - 16.0 * y * y + 5.0 * y)",
    ),
    "saddle": SurfaceCode(
        "f(x, y) = x^2 - y^2",
        "return x * x - y * y, 2.0 * x, -2.0 * y",
        "return x * x - y * y",
    ),
    "monkey_saddle": SurfaceCode(
        "f(x, y) = x^3 - 3xy^2",
        "return x * x * x - 3.0 * x * y * y, 3.0 * x * x - 3.0 * y * y, -6.0 * x * y",
        "return x**3 - 3.0 * x * y * y",
    ),
}


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


def _sgd(h: dict) -> UpdateCode:
    return UpdateCode([], [*_weight_decay(h)[0], "p_new = p + -lr * g"])


def _momentum(h: dict) -> UpdateCode:
    return UpdateCode(
        ["momentum_buffer = np.zeros(2)"],
        [
            *_weight_decay(h)[0],
            "momentum_buffer = g if t == 1 else momentum_buffer * momentum + (1.0 - dampening) * g",
            "p_new = p + -lr * momentum_buffer",
        ],
    )


def _nesterov(h: dict) -> UpdateCode:
    return UpdateCode(
        ["momentum_buffer = np.zeros(2)"],
        [
            *_weight_decay(h)[0],
            "momentum_buffer = g if t == 1 else momentum_buffer * momentum + g",
            "p_new = p + -lr * (g + momentum * momentum_buffer)",
        ],
    )


def _adagrad(h: dict) -> UpdateCode:
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


def _adadelta(h: dict) -> UpdateCode:
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


def _rmsprop(h: dict) -> UpdateCode:
    init = ["square_avg = np.zeros(2)"]
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


def _rprop(h: dict) -> UpdateCode:
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


def _adam_like(h: dict, decoupled: bool) -> UpdateCode:
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


def _adam(h: dict) -> UpdateCode:
    return _adam_like(h, decoupled=False)


def _adamw(h: dict) -> UpdateCode:
    return _adam_like(h, decoupled=True)


def _adamax(h: dict) -> UpdateCode:
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


def _nadam(h: dict) -> UpdateCode:
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


def _radam(h: dict) -> UpdateCode:
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


UPDATE_CODE: dict[str, Callable[[dict], UpdateCode]] = {
    "sgd": _sgd,
    "momentum": _momentum,
    "nesterov": _nesterov,
    "adagrad": _adagrad,
    "adadelta": _adadelta,
    "rmsprop": _rmsprop,
    "rprop": _rprop,
    "adam": _adam,
    "adamw": _adamw,
    "adamax": _adamax,
    "nadam": _nadam,
    "radam": _radam,
}
assert set(UPDATE_CODE) == set(OPTIMIZERS)


# --- torch.optim: the constructor call for each optimizer (registry names -> torch's keywords).


def _torch_call(oid: str, h: dict) -> str | None:
    """The torch.optim constructor for these values, or None where torch has no counterpart."""
    b = f"betas=({h.get('beta1')!r}, {h.get('beta2')!r})"
    calls = {
        "sgd": f"SGD([p], lr={h['lr']!r}, weight_decay={h.get('weight_decay')!r})",
        "momentum": (
            f"SGD([p], lr={h['lr']!r}, momentum={h.get('momentum')!r}, dampening={h.get('dampening')!r}, "
            f"weight_decay={h.get('weight_decay')!r})"
        ),
        "nesterov": (
            f"SGD([p], lr={h['lr']!r}, momentum={h.get('momentum')!r}, nesterov=True, "
            f"weight_decay={h.get('weight_decay')!r})"
        ),
        "adagrad": (
            f"Adagrad([p], lr={h['lr']!r}, lr_decay={h.get('lr_decay')!r}, "
            f"initial_accumulator_value={h.get('initial_accumulator_value')!r}, eps={h.get('eps')!r}, "
            f"weight_decay={h.get('weight_decay')!r})"
        ),
        "adadelta": (
            f"Adadelta([p], lr={h['lr']!r}, rho={h.get('rho')!r}, eps={h.get('eps')!r}, "
            f"weight_decay={h.get('weight_decay')!r})"
        ),
        "rmsprop": (
            f"RMSprop([p], lr={h['lr']!r}, alpha={h.get('alpha')!r}, eps={h.get('eps')!r}, "
            f"weight_decay={h.get('weight_decay')!r}, momentum={h.get('momentum')!r}, centered={h.get('centered')!r})"
        ),
        "rprop": (
            f"Rprop([p], lr={h['lr']!r}, etas=({h.get('eta_minus')!r}, {h.get('eta_plus')!r}), "
            f"step_sizes=({h.get('step_size_min')!r}, {h.get('step_size_max')!r}))"
        ),
        "adam": (
            f"Adam([p], lr={h['lr']!r}, {b}, eps={h.get('eps')!r}, weight_decay={h.get('weight_decay')!r}, "
            f"amsgrad={h.get('amsgrad')!r})"
        ),
        "adamw": (
            f"AdamW([p], lr={h['lr']!r}, {b}, eps={h.get('eps')!r}, weight_decay={h.get('weight_decay')!r}, "
            f"amsgrad={h.get('amsgrad')!r})"
        ),
        "adamax": f"Adamax([p], lr={h['lr']!r}, {b}, eps={h.get('eps')!r}, weight_decay={h.get('weight_decay')!r})",
        "nadam": (
            f"NAdam([p], lr={h['lr']!r}, {b}, eps={h.get('eps')!r}, weight_decay={h.get('weight_decay')!r}, "
            f"momentum_decay={h.get('momentum_decay')!r}, decoupled_weight_decay={h.get('decoupled_weight_decay')!r})"
        ),
        "radam": (
            f"RAdam([p], lr={h['lr']!r}, {b}, eps={h.get('eps')!r}, weight_decay={h.get('weight_decay')!r}, "
            f"decoupled_weight_decay={h.get('decoupled_weight_decay')!r})"
        ),
    }
    if oid == "rmsprop" and h["eps_in_sqrt"]:
        return None
    return "torch.optim." + calls[oid]


# RMSProp with eps inside the root (TensorFlow/Keras): torch.optim.RMSprop's step with that one change.
_RMSPROP_EPS_IN_SQRT = """\
class RMSpropEpsInSqrt(torch.optim.Optimizer):
    \"\"\"torch.optim.RMSprop with eps inside the square root, as TensorFlow and Keras put it.

    torch.optim.RMSprop divides by sqrt(v) + eps and has no option for sqrt(v + eps), so this
    is its single-tensor step written out with that one change.
    \"\"\"

    def __init__(self, params, lr, alpha, eps, weight_decay, momentum, centered):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for q in group["params"]:
                state = self.state[q]
                if not state:
                    state["square_avg"] = torch.zeros_like(q)
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
                    avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).add_(group["eps"]).sqrt_()
                else:
                    avg = square_avg.add(group["eps"]).sqrt_()
                if group["momentum"] > 0:
                    buf = state["momentum_buffer"]
                    buf.mul_(group["momentum"]).addcdiv_(g, avg)
                    q.add_(buf, alpha=-group["lr"])
                else:
                    q.addcdiv_(g, avg, value=-group["lr"])
"""

_GAUSSIAN = '''\
MASK64 = (1 << 64) - 1


def splitmix64(z):
    """SplitMix64 (Steele, Lea & Flood, 2014) on 64-bit unsigned integers."""
    z = (z + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def gaussian(seed, counter):
    """optviz's gradient noise: a standard normal draw for (seed, counter), by Box-Muller."""
    key = splitmix64(seed ^ splitmix64(counter))
    bits_a = splitmix64(key)
    bits_b = splitmix64(key ^ 0x5851F42D4C957F2D)
    u1 = ((bits_a >> 11) + 1) * (1.0 / 9007199254740992.0)  # (0, 1]
    u2 = (bits_b >> 11) * (1.0 / 9007199254740992.0)  # [0, 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
'''

_LERP = '''\
def lerp(a, b, w):
    """torch.lerp: a + w (b - a), computed from the nearer end as torch does."""
    return a + w * (b - a) if w < 0.5 else b - (b - a) * (1.0 - w)
'''


def _body(code: str, indent: str = "    ") -> str:
    return textwrap.indent(textwrap.dedent(code).strip("\n"), indent)


def _code_of(settings: RaceSettings) -> SurfaceCode:
    """The race's surface in script form: a template for a built-in, printed from the exact
    SymPy expression for a typed formula."""
    surf = settings.surface_obj
    if surf.is_custom:
        return _custom_code(surf)
    if surf.id not in SURFACE_CODE:
        raise ValueError(
            f"no script template for surface {surf.id!r}: scripts can be written for {', '.join(SURFACE_CODE)}"
        )
    return SURFACE_CODE[surf.id]


def _custom_code(surface) -> SurfaceCode:
    """A typed formula's f and exact gradient as Python (math module) and f as torch code.

    Printed by SymPy's code printer from the parsed expression tree (whitelisted names only:
    x, y, numbers, math functions), with shared subexpressions named once. The arithmetic
    order differs from optviz's compiled code, so the path agrees to rounding, not to the bit.
    """
    import sympy as sp
    from sympy.printing.pycode import pycode

    from ..engine.formula import RealAbs

    compiled = surface.compiled
    plain = [e.replace(RealAbs, sp.Abs) for e in (compiled.expr, *compiled.grad)]
    replacements, (f, gx, gy) = sp.cse(plain, optimizations=None)
    lines = [f"{symbol} = {pycode(value, fully_qualified_modules=True)}" for symbol, value in replacements]
    lines.append(f"return {pycode(f)}, {pycode(gx)}, {pycode(gy)}")
    torch_f = pycode(plain[0], fully_qualified_modules=True).replace("math.", "torch.")
    return SurfaceCode(f"f(x, y) = {surface.formula}", "\n".join(lines), f"return {torch_f}")


def _header(settings: RaceSettings, optimizer_id: str, library: str, filename: str) -> tuple[str, dict]:
    surf = settings.surface_obj
    opt = get_optimizer(optimizer_id)
    values = resolve_hyperparameters(opt, settings.params_of(opt.id))
    h = {p.name: (bool(v) if p.is_bool else float(v)) for p, v in zip(opt.hyperparameters, values, strict=True)}
    x0, y0 = (float(v) for v in settings.start_point)
    formula = _code_of(settings).formula
    constants = [f"START = ({x0!r}, {y0!r})", f"STEPS = {settings.step_count}"]
    if settings.noise:
        constants += [
            f"NOISE = {float(settings.noise)!r}  # std of the Gaussian noise added to each gradient component",
            f"SEED = {settings.seed}",
        ]
    hyper = "\n".join(f"{name} = {value!r}" for name, value in h.items())
    doc = f'''\
"""{opt.name} on the {surf.name} surface: the path optviz draws, in {library}.

Run it with {library} installed:  python {filename}
It prints the final point at full float64 precision; `path` holds every point.

Surface:  {formula}
          ({surf.source})
Optimizer: {opt.reference}
"""
'''
    return doc, {"constants": "\n".join(constants), "hyper": hyper, "h": h}


def script_filename(settings: RaceSettings, optimizer_id: str, library: str) -> str:
    """A file name for a script: ``rmsprop_rosenbrock_numpy.py``."""
    return f"{get_optimizer(optimizer_id).id}_{settings.surface}_{library}.py"


def numpy_script(settings: RaceSettings, optimizer_id: str) -> str:
    """A standalone NumPy script that reproduces this optimizer's path in the race to the last bit.

    Raises:
        ValueError: for an unknown optimizer, or a surface with no script template.
    """
    code = _code_of(settings)
    doc, parts = _header(settings, optimizer_id, "NumPy", script_filename(settings, optimizer_id, "numpy"))
    update = UPDATE_CODE[get_optimizer(optimizer_id).id](parts["h"])
    step = "\n".join(update.step)
    helpers = [_LERP] if "lerp(" in step else []
    if settings.noise:
        helpers.append(_GAUSSIAN)
        step = "g = g + NOISE * np.array([gaussian(SEED, 2 * t), gaussian(SEED, 2 * t + 1)])\n" + step
    init = "\n".join(update.init)
    return f'''{doc}
import math

import numpy as np

np.seterr(over="ignore", invalid="ignore")  # a diverging run overflows to inf; the loop stops there
TWO_PI = 2.0 * math.pi

{parts["constants"]}

# Hyperparameters, by torch.optim's names
{parts["hyper"]}


def f_and_grad(x, y):
    """f(x, y) and its exact gradient (df/dx, df/dy), for floats x and y."""
{_body(code.numpy)}


{(chr(10) * 2).join(helpers)}
p = np.array(START, dtype=np.float64)
{init}
f, gx, gy = f_and_grad(*p.tolist())
g = np.array([gx, gy])
path = [tuple(p.tolist())]
for t in range(1, STEPS + 1):
{_body(step)}
    try:
        f, gx, gy = f_and_grad(*p_new.tolist())
    except (OverflowError, ValueError):  # math.exp or math.cos of a huge or infinite value
        f = math.inf
    if not (np.isfinite(p_new).all() and math.isfinite(f)):
        print(f"diverged at step {{t}}; the last finite point is")
        break
    p, g = p_new, np.array([gx, gy])
    path.append(tuple(p.tolist()))

print(repr(float(p[0])), repr(float(p[1])))
'''.replace("\n\n\n\n", "\n\n\n")


def pytorch_script(settings: RaceSettings, optimizer_id: str) -> str:
    """A standalone PyTorch script: the same race step with torch.optim and autograd, float64.

    It agrees with optviz to rounding (autograd sums the gradient in its own order). RMSProp
    with ``eps_in_sqrt`` has no torch.optim counterpart; the script then carries a small
    optimizer class that writes that step out.

    Raises:
        ValueError: for an unknown optimizer, or a surface with no script template.
    """
    code = _code_of(settings)
    opt = get_optimizer(optimizer_id)
    doc, parts = _header(settings, opt.id, "PyTorch", script_filename(settings, opt.id, "pytorch"))
    h = parts["h"]
    call = _torch_call(opt.id, h)
    helpers = []
    if call is None:
        helpers.append(_RMSPROP_EPS_IN_SQRT)
        call = (
            f"RMSpropEpsInSqrt([p], lr={h['lr']!r}, alpha={h['alpha']!r}, eps={h['eps']!r}, "
            f"weight_decay={h['weight_decay']!r}, momentum={h['momentum']!r}, centered={h['centered']!r})"
        )
    noise = ""
    if settings.noise:
        helpers.append(_GAUSSIAN)
        noise = "\n    p.grad += NOISE * torch.tensor([gaussian(SEED, 2 * t), gaussian(SEED, 2 * t + 1)])"
    hyper = "\n".join(f"#   {line}" for line in parts["hyper"].splitlines())
    return f'''{doc}
import math

import torch

torch.set_default_dtype(torch.float64)
TWO_PI = 2.0 * math.pi

{parts["constants"]}
# Hyperparameters, as optviz names them (passed to torch.optim below):
{hyper}


def f(x, y):
    """The surface, in torch operations: autograd supplies the gradient."""
{_body(code.torch)}


{(chr(10) * 2).join(helpers)}
p = torch.tensor(START, requires_grad=True)
optimizer = {call}
path = [tuple(p.tolist())]
for t in range(1, STEPS + 1):
    optimizer.zero_grad()
    f(p[0], p[1]).backward(){noise}
    previous = p.detach().clone()
    optimizer.step()
    with torch.no_grad():
        if not (torch.isfinite(p).all() and torch.isfinite(f(p[0], p[1]))):
            print(f"diverged at step {{t}}; the last finite point is")
            p.copy_(previous)
            break
    path.append(tuple(p.tolist()))

x, y = p.tolist()
print(repr(x), repr(y))
'''.replace("\n\n\n\n", "\n\n\n")
