"""The optimizer registry: hand-derived first steps, agreement with torch.optim, validation.

Hand derivations use the quadratic bowl f = 0.1 x^2 + 2 y^2, grad = (0.2 x, 4 y), written
here from the papers / torch documentation with every default spelled out as a literal, so a
changed default or a changed rule shows up as a failure.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch

from optviz import OPTIMIZERS, SURFACES, get_optimizer, resolve_hyperparameters, simulate

# --------------------------------------------------------------------------------------------
# Hand-derived first steps on the quadratic bowl
# --------------------------------------------------------------------------------------------


def grad(p: np.ndarray) -> np.ndarray:
    """Gradient of f = 0.1 x^2 + 2 y^2."""
    return np.array([0.2 * p[0], 4.0 * p[1]])


X0 = np.array([-4.0, 1.5])  # grad(X0) = (-0.8, 6.0): the two coordinates move in opposite directions


def hand_sgd(lr: float, wd: float = 0.0):
    x0 = X0
    x1 = x0 - lr * (grad(x0) + wd * x0)
    x2 = x1 - lr * (grad(x1) + wd * x1)
    return [x1, x2]


def hand_momentum(lr: float, dampening: float = 0.0):
    # torch SGD(momentum=0.9): the buffer starts as the gradient itself (no dampening on step 1).
    x0 = X0
    b1 = grad(x0)
    x1 = x0 - lr * b1
    b2 = 0.9 * b1 + (1.0 - dampening) * grad(x1)
    x2 = x1 - lr * b2
    return [x1, x2]


def hand_nesterov(lr: float):
    x0 = X0
    g0 = grad(x0)
    b1 = g0
    x1 = x0 - lr * (g0 + 0.9 * b1)
    g1 = grad(x1)
    b2 = 0.9 * b1 + g1
    x2 = x1 - lr * (g1 + 0.9 * b2)
    return [x1, x2]


def hand_adagrad(lr: float, lr_decay: float = 0.0, initial: float = 0.0):
    eps = 1e-10
    x0 = X0
    g0 = grad(x0)
    s1 = initial + g0**2
    x1 = x0 - lr / (1.0 + 0.0 * lr_decay) * g0 / (np.sqrt(s1) + eps)
    g1 = grad(x1)
    s2 = s1 + g1**2
    x2 = x1 - lr / (1.0 + 1.0 * lr_decay) * g1 / (np.sqrt(s2) + eps)
    return [x1, x2]


def hand_adadelta(lr: float):
    rho, eps = 0.9, 1e-6
    x0 = X0
    g0 = grad(x0)
    v1 = (1 - rho) * g0**2
    d1 = np.sqrt(0.0 + eps) / np.sqrt(v1 + eps) * g0
    u1 = (1 - rho) * d1**2
    x1 = x0 - lr * d1
    g1 = grad(x1)
    v2 = rho * v1 + (1 - rho) * g1**2
    d2 = np.sqrt(u1 + eps) / np.sqrt(v2 + eps) * g1
    x2 = x1 - lr * d2
    return [x1, x2]


def hand_rmsprop(
    lr: float,
    eps: float = 1e-8,
    eps_in_sqrt: bool = False,
    centered: bool = False,
    momentum: float = 0.0,
    wd: float = 0.0,
):
    alpha = 0.9

    def denom(v, m):
        var = v - m**2 if centered else v
        return np.sqrt(var + eps) if eps_in_sqrt else np.sqrt(var) + eps

    x0 = X0
    g0 = grad(x0) + wd * x0
    v1 = 0.1 * g0**2
    m1 = 0.1 * g0
    buf1 = g0 / denom(v1, m1)
    x1 = x0 - lr * buf1
    g1 = grad(x1) + wd * x1
    v2 = 0.9 * v1 + 0.1 * g1**2
    m2 = 0.9 * m1 + 0.1 * g1
    buf2 = momentum * buf1 + g1 / denom(v2, m2)
    x2 = x1 - lr * buf2
    assert alpha == 0.9  # the 0.1 / 0.9 above are 1 - alpha and alpha
    return [x1, x2]


def hand_adam(
    lr: float,
    beta2: float = 0.999,
    amsgrad: bool = False,
    wd: float = 0.0,
    decoupled_wd: float = 0.0,
    x0: np.ndarray = X0,
):
    # Kingma & Ba, Algorithm 1, with torch's eps placement: lr m_hat / (sqrt(v_hat) + eps);
    # AMSGrad (torch): the bias-corrected running max of v.  AdamW: x (1 - lr wd) before the step.
    b1, eps = 0.9, 1e-8
    x = x0
    m = v = vmax = np.zeros(2)
    out = []
    for t in (1, 2):
        g = grad(x) + wd * x
        x = x * (1.0 - lr * decoupled_wd)
        m = b1 * m + (1 - b1) * g
        v = beta2 * v + (1 - beta2) * g**2
        vmax = np.maximum(vmax, v)
        m_hat = m / (1 - b1**t)
        v_hat = (vmax if amsgrad else v) / (1 - beta2**t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(x)
    return out


def hand_adamax(lr: float):
    # Kingma & Ba sec. 7.1 with torch's eps: u = max(beta2 u, |g| + eps).
    x0 = X0
    g0 = grad(x0)
    m1 = 0.1 * g0
    u1 = np.maximum(0.999 * 0.0, np.abs(g0) + 1e-8)
    x1 = x0 - lr / (1 - 0.9) * m1 / u1
    g1 = grad(x1)
    m2 = 0.9 * m1 + 0.1 * g1
    u2 = np.maximum(0.999 * u1, np.abs(g1) + 1e-8)
    x2 = x1 - lr / (1 - 0.9**2) * m2 / u2
    return [x1, x2]


def hand_nadam(lr: float, wd: float = 0.0, decoupled: bool = False):
    # Dozat (2016) with torch's schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi)), psi = 0.004.
    b1, b2, eps, psi = 0.9, 0.999, 1e-8, 0.004
    mu = [None] + [b1 * (1 - 0.5 * 0.96 ** (t * psi)) for t in (1, 2, 3)]
    x0 = X0
    g0 = grad(x0) + (0.0 if decoupled else wd * x0)
    x0d = x0 * (1 - lr * wd) if decoupled else x0
    m1 = 0.1 * g0
    v1 = 0.001 * g0**2
    d1 = np.sqrt(v1 / (1 - b2)) + eps
    p1 = mu[1]
    x1 = x0d - lr * (1 - mu[1]) / (1 - p1) * g0 / d1 - lr * mu[2] / (1 - p1 * mu[2]) * m1 / d1
    g1 = grad(x1) + (0.0 if decoupled else wd * x1)
    x1d = x1 * (1 - lr * wd) if decoupled else x1
    m2 = 0.9 * m1 + 0.1 * g1
    v2 = 0.999 * v1 + 0.001 * g1**2
    d2 = np.sqrt(v2 / (1 - b2**2)) + eps
    p2 = mu[1] * mu[2]
    x2 = x1d - lr * (1 - mu[2]) / (1 - p2) * g1 / d2 - lr * mu[3] / (1 - p2 * mu[3]) * m2 / d2
    return [x1, x2]


def _rho(t: int, beta2: float) -> float:
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    return rho_inf - 2.0 * t * beta2**t / (1.0 - beta2**t)


def hand_radam(lr: float):
    # beta2 = 0.999: rho_inf = 1999, rho_1 = 1, rho_2 = 1.9995 (both <= 5): no rectification yet,
    # the step is lr * m_hat, so x1 = x0 - lr * g0 exactly (m_hat_1 = g0).
    assert _rho(1, 0.999) == pytest.approx(1.0, abs=1e-9)
    assert _rho(2, 0.999) == pytest.approx(1.9995, abs=1e-4)
    x0 = X0
    g0 = grad(x0)
    x1 = x0 - lr * g0
    m2 = 0.9 * (0.1 * g0) + 0.1 * grad(x1)
    x2 = x1 - lr * m2 / (1 - 0.9**2)
    return [x1, x2]


# (case id, optimizer, overrides, start, expected points after steps 1.., by hand)
HAND_CASES: list[tuple[str, str, dict, Callable[[], list]]] = [
    ("sgd", "sgd", {"lr": 0.1}, lambda: hand_sgd(0.1)),
    ("sgd-weight-decay", "sgd", {"lr": 0.1, "weight_decay": 0.5}, lambda: hand_sgd(0.1, wd=0.5)),
    ("momentum", "momentum", {"lr": 0.05}, lambda: hand_momentum(0.05)),
    ("momentum-dampening", "momentum", {"lr": 0.05, "dampening": 0.3}, lambda: hand_momentum(0.05, 0.3)),
    ("nesterov", "nesterov", {"lr": 0.05}, lambda: hand_nesterov(0.05)),
    ("adagrad", "adagrad", {"lr": 0.5}, lambda: hand_adagrad(0.5)),
    (
        "adagrad-lr-decay",
        "adagrad",
        {"lr": 0.5, "lr_decay": 0.5, "initial_accumulator_value": 0.2},
        lambda: hand_adagrad(0.5, lr_decay=0.5, initial=0.2),
    ),
    ("adadelta", "adadelta", {"lr": 5.0}, lambda: hand_adadelta(5.0)),
    ("rmsprop", "rmsprop", {"lr": 0.1}, lambda: hand_rmsprop(0.1)),
    (
        "rmsprop-eps-in-sqrt",
        "rmsprop",
        {"lr": 0.1, "eps": 0.5, "eps_in_sqrt": True},
        lambda: hand_rmsprop(0.1, eps=0.5, eps_in_sqrt=True),
    ),
    ("rmsprop-centered", "rmsprop", {"lr": 0.1, "centered": True}, lambda: hand_rmsprop(0.1, centered=True)),
    ("rmsprop-momentum", "rmsprop", {"lr": 0.1, "momentum": 0.5}, lambda: hand_rmsprop(0.1, momentum=0.5)),
    ("rmsprop-weight-decay", "rmsprop", {"lr": 0.1, "weight_decay": 0.5}, lambda: hand_rmsprop(0.1, wd=0.5)),
    ("adam", "adam", {"lr": 0.1}, lambda: hand_adam(0.1)),
    ("adam-weight-decay", "adam", {"lr": 0.1, "weight_decay": 0.5}, lambda: hand_adam(0.1, wd=0.5)),
    ("adamw", "adamw", {"lr": 0.1}, lambda: hand_adam(0.1, decoupled_wd=0.01)),
    ("adamax", "adamax", {"lr": 0.1}, lambda: hand_adamax(0.1)),
    ("nadam", "nadam", {"lr": 0.1}, lambda: hand_nadam(0.1)),
    ("nadam-weight-decay", "nadam", {"lr": 0.1, "weight_decay": 0.2}, lambda: hand_nadam(0.1, wd=0.2)),
    (
        "nadam-decoupled",
        "nadam",
        {"lr": 0.1, "weight_decay": 0.2, "decoupled_weight_decay": True},
        lambda: hand_nadam(0.1, wd=0.2, decoupled=True),
    ),
    ("radam", "radam", {"lr": 0.1}, lambda: hand_radam(0.1)),
    # Rprop from (-5, 1) with lr = 1.5: x: g = -1, -0.7, -0.34 keeps its sign, steps 1.5, 1.8, 2.16;
    # y: g0 = 4 overshoots to y1 = -0.5 (g1 = -2): the sign flips, y waits, its step shrinks to 0.75,
    # then (prev = 0) moves by 0.75 towards 0.
    ("rprop", "rprop", {"lr": 1.5}, lambda: [(-3.5, -0.5), (-1.7, -0.5), (0.46, 0.25)]),
    # The same with clamping: step_size_max = 1.6 caps 1.8 -> 1.6 and 1.92 -> 1.6; eta_minus = 0.25
    # would shrink y's step to 0.375 but step_size_min = 0.7 holds it at 0.7.
    (
        "rprop-clamped",
        "rprop",
        {"lr": 1.5, "eta_minus": 0.25, "step_size_min": 0.7, "step_size_max": 1.6},
        lambda: [(-3.5, -0.5), (-1.9, -0.5), (-0.3, 0.2)],
    ),
]

RPROP_START = (-5.0, 1.0)


@pytest.mark.parametrize(
    ("optimizer_id", "overrides", "expected"), [c[1:] for c in HAND_CASES], ids=[c[0] for c in HAND_CASES]
)
def test_first_steps_by_hand(optimizer_id: str, overrides: dict, expected: Callable[[], list]) -> None:
    points = np.array(expected(), dtype=float)
    start = RPROP_START if optimizer_id == "rprop" else tuple(X0)
    traj = simulate("quadratic", optimizer_id, start=start, steps=len(points), **overrides)
    np.testing.assert_array_equal(traj.path[0], start)
    np.testing.assert_allclose(traj.path[1:], points, rtol=1e-12, atol=0.0)


def test_every_optimizer_has_a_hand_case_with_default_hyperparameters() -> None:
    # Each registry entry must have a hand derivation that only chooses lr.
    lr_only = {c[1] for c in HAND_CASES if set(c[2]) == {"lr"}}
    assert lr_only == set(OPTIMIZERS)


def test_momentum_first_step_is_the_gradient_even_with_dampening() -> None:
    traj = simulate("quadratic", "momentum", start=tuple(X0), steps=2, lr=0.05, dampening=0.3)
    np.testing.assert_array_equal(traj.state["momentum_buffer"][1], grad(X0))  # (-0.8, 6.0), undamped
    # step 2: b = 0.9 b1 + 0.7 g1 with x1 = (-3.96, 1.2): g1 = (-0.792, 4.8)
    np.testing.assert_allclose(
        traj.state["momentum_buffer"][2], [0.9 * -0.8 + 0.7 * -0.792, 0.9 * 6.0 + 0.7 * 4.8], rtol=1e-14
    )


def test_rprop_state_on_sign_flip() -> None:
    traj = simulate("quadratic", "rprop", start=RPROP_START, steps=3, lr=1.5)
    # step sizes: x grows by eta_plus = 1.2 each step; y shrinks by eta_minus = 0.5 on the flip, then holds.
    np.testing.assert_allclose(traj.state["step_size"][1:], [[1.5, 1.5], [1.8, 0.75], [2.16, 0.75]], rtol=1e-14)
    # the stored previous gradient is zeroed where the sign flipped
    np.testing.assert_allclose(traj.state["prev"][1:], [[-1.0, 4.0], [-0.7, 0.0], [-0.34, -2.0]], rtol=1e-14)


def test_adagrad_lr_decay_divides_the_step() -> None:
    # With a huge lr_decay the second step is lr / (1 + 1e6) of the undecayed one: x barely moves.
    traj = simulate("quadratic", "adagrad", start=tuple(X0), steps=2, lr=0.5, lr_decay=1e6)
    x1, x2 = traj.path[1], traj.path[2]
    g1 = grad(x1)
    s2 = grad(X0) ** 2 + g1**2
    step = -0.5 / (1 + 1e6) * g1 / (np.sqrt(s2) + 1e-10)  # about 3e-7: x2 - x1 loses digits, so compare x2
    np.testing.assert_allclose(x2, x1 + step, rtol=1e-15, atol=0.0)
    assert np.all(np.abs(x2 - x1) < 4e-7)  # undecayed, the step would be about 0.35


def test_amsgrad_uses_the_running_max() -> None:
    # beta2 = 0.5, lr = 1 from (-5, -2): v1 = 0.5 g0^2 = (0.5, 32); x1 ~ (-4, -1), g1 = (-0.8, -4);
    # v2 = 0.25 g0^2 + 0.5 g1^2 = (0.57, 24): y's second moment fell, so the max (32) is used for y.
    start = np.array([-5.0, -2.0])
    traj = simulate("quadratic", "adam", start=tuple(start), steps=2, lr=1.0, beta2=0.5, amsgrad=True)
    # (x1, y1) sit 1e-8-relative short of (-4, -1) because of eps, hence rtol 1e-7 on the second moments
    np.testing.assert_allclose(traj.state["exp_avg_sq"][2], [0.57, 24.0], rtol=1e-7)
    np.testing.assert_allclose(traj.state["max_exp_avg_sq"][2], [0.57, 32.0], rtol=1e-7)
    expected = hand_adam(1.0, beta2=0.5, amsgrad=True, x0=start)
    np.testing.assert_allclose(traj.path[1:], expected, rtol=1e-12)
    plain = hand_adam(1.0, beta2=0.5, amsgrad=False, x0=start)
    assert abs(plain[1][1] - expected[1][1]) > 0.05  # the max really changed y's step


def test_nadam_mu_schedule_values() -> None:
    # mu_t = 0.9 (1 - 0.5 * 0.96^(0.004 t)): mu_1 = 0.450073..., not beta1 = 0.9.
    mu1 = 0.9 * (1 - 0.5 * 0.96**0.004)
    assert mu1 == pytest.approx(0.45007348, abs=1e-8)
    traj = simulate("quadratic", "nadam", start=tuple(X0), steps=2, lr=0.1)
    mu2 = 0.9 * (1 - 0.5 * 0.96**0.008)
    np.testing.assert_allclose(traj.state["mu_product"][1:], [[mu1, mu1], [mu1 * mu2, mu1 * mu2]], rtol=1e-14)


def test_radam_first_step_is_plain_sgd_on_the_gradient() -> None:
    traj = simulate("quadratic", "radam", start=tuple(X0), steps=1, lr=0.1)
    np.testing.assert_allclose(traj.path[1], X0 - 0.1 * grad(X0), rtol=1e-15)


def test_radam_rectification_threshold() -> None:
    # beta2 = 0.9: rho_inf = 19, rho_5 = 4.58 <= 5 < rho_6 = 5.39, so steps 1-5 are SGD with momentum
    # (lr m_hat) and steps 6+ are rectified Adam steps. A plain loop from Liu et al. (2020), Algorithm 2.
    assert _rho(5, 0.9) == pytest.approx(4.5805, abs=1e-4)
    assert _rho(6, 0.9) == pytest.approx(5.3895, abs=1e-4)
    lr, b1, b2, eps = 0.1, 0.9, 0.9, 1e-8
    rho_inf = 2 / (1 - b2) - 1
    x, m, v = X0.copy(), np.zeros(2), np.zeros(2)
    expected, unrectified_step6 = [], None
    for t in range(1, 9):
        g = grad(x)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho_t > 5:
            r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            if t == 6:
                unrectified_step6 = x - lr * m_hat
            x = x - lr * m_hat * r_t * math.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
        else:
            x = x - lr * m_hat
        expected.append(x)
    traj = simulate("quadratic", "radam", start=tuple(X0), steps=8, lr=lr, beta2=b2)
    np.testing.assert_allclose(traj.path[1:], expected, rtol=1e-12)
    assert np.max(np.abs(unrectified_step6 - expected[5])) > 1e-3  # step 6 really was rectified


# --------------------------------------------------------------------------------------------
# RMSProp with eps inside the root: TensorFlow's formulation, no torch counterpart
# --------------------------------------------------------------------------------------------


def _grad_quadratic(x, y):
    return 0.2 * x, 4.0 * y


def _grad_rosenbrock(x, y):
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


def _grad_himmelblau(x, y):
    return 4 * x * (x * x + y - 11) + 2 * (x + y * y - 7), 2 * (x * x + y - 11) + 4 * y * (x + y * y - 7)


HAND_GRADS = {"quadratic": _grad_quadratic, "rosenbrock": _grad_rosenbrock, "himmelblau": _grad_himmelblau}


def _tf_rmsprop(surface_id, start, steps, lr, rho, eps, momentum, centered, wd):
    """tf.raw_ops.ApplyRMSProp / ApplyCenteredRMSProp (plus L2 weight decay), one coordinate pair:
    ms <- rho ms + (1 - rho) g^2;  mg <- rho mg + (1 - rho) g;
    mom <- momentum mom + lr g / sqrt(ms - mg^2 + eps);  var <- var - mom."""
    x = np.array(start, dtype=float)
    ms = mg = mom = np.zeros(2)
    out = [x]
    for _ in range(steps):
        g = np.array(HAND_GRADS[surface_id](*x)) + wd * x
        ms = rho * ms + (1 - rho) * g * g
        if centered:
            mg = rho * mg + (1 - rho) * g
        mom = momentum * mom + lr * g / np.sqrt(ms - mg * mg + eps)
        x = x - mom
        out.append(x)
    return np.array(out)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"centered": True},
        {"momentum": 0.7},
        {"centered": True, "momentum": 0.5, "weight_decay": 0.1, "alpha": 0.95, "eps": 1e-3},
    ],
    ids=["plain", "centered", "momentum", "all"],
)
@pytest.mark.parametrize(("surface_id", "steps"), [("quadratic", 50), ("rosenbrock", 20), ("himmelblau", 20)])
def test_rmsprop_eps_in_sqrt_matches_tensorflow_loop(surface_id: str, steps: int, settings: dict) -> None:
    surface = SURFACES[surface_id]
    hp = {
        "lr": OPTIMIZERS["rmsprop"].demo_lr * surface.lr_scale,
        "alpha": 0.9,
        "eps": 1e-8,
        "momentum": 0.0,
        "centered": False,
        "weight_decay": 0.0,
    } | settings
    traj = simulate(surface_id, "rmsprop", start=surface.start, steps=steps, eps_in_sqrt=True, **hp)
    assert traj.diverged_at is None
    expected = _tf_rmsprop(
        surface_id,
        surface.start,
        steps,
        hp["lr"],
        hp["alpha"],
        hp["eps"],
        hp["momentum"],
        hp["centered"],
        hp["weight_decay"],
    )
    np.testing.assert_allclose(traj.path, expected, rtol=1e-10, atol=1e-12)


def test_eps_in_sqrt_changes_the_path() -> None:
    # g / sqrt(v + eps) vs g / (sqrt(v) + eps): with eps = 1 and v1 = 0.1 g^2 the first steps differ.
    a = simulate("quadratic", "rmsprop", start=tuple(X0), steps=1, lr=0.1, eps=1.0, eps_in_sqrt=True)
    b = simulate("quadratic", "rmsprop", start=tuple(X0), steps=1, lr=0.1, eps=1.0)
    g = grad(X0)
    np.testing.assert_allclose(a.path[1], X0 - 0.1 * g / np.sqrt(0.1 * g**2 + 1.0), rtol=1e-14)
    np.testing.assert_allclose(b.path[1], X0 - 0.1 * g / (np.sqrt(0.1 * g**2) + 1.0), rtol=1e-14)


# --------------------------------------------------------------------------------------------
# Agreement with torch.optim in float64
# --------------------------------------------------------------------------------------------

# optviz hyperparameter name -> torch keyword (or (keyword, index) inside a tuple argument)
TORCH_SPEC: dict[str, tuple[type, dict, dict]] = {
    "sgd": (torch.optim.SGD, {"lr": "lr", "weight_decay": "weight_decay"}, {}),
    "momentum": (
        torch.optim.SGD,
        {"lr": "lr", "momentum": "momentum", "dampening": "dampening", "weight_decay": "weight_decay"},
        {},
    ),
    "nesterov": (
        torch.optim.SGD,
        {"lr": "lr", "momentum": "momentum", "weight_decay": "weight_decay"},
        {"nesterov": True},
    ),
    "adagrad": (
        torch.optim.Adagrad,
        {
            "lr": "lr",
            "lr_decay": "lr_decay",
            "initial_accumulator_value": "initial_accumulator_value",
            "eps": "eps",
            "weight_decay": "weight_decay",
        },
        {},
    ),
    "adadelta": (torch.optim.Adadelta, {"lr": "lr", "rho": "rho", "eps": "eps", "weight_decay": "weight_decay"}, {}),
    "rmsprop": (
        torch.optim.RMSprop,
        {
            "lr": "lr",
            "alpha": "alpha",
            "eps": "eps",
            "momentum": "momentum",
            "centered": "centered",
            "weight_decay": "weight_decay",
        },
        {},
    ),
    "rprop": (
        torch.optim.Rprop,
        {
            "lr": "lr",
            "eta_minus": ("etas", 0),
            "eta_plus": ("etas", 1),
            "step_size_min": ("step_sizes", 0),
            "step_size_max": ("step_sizes", 1),
        },
        {},
    ),
    "adam": (
        torch.optim.Adam,
        {
            "lr": "lr",
            "beta1": ("betas", 0),
            "beta2": ("betas", 1),
            "eps": "eps",
            "amsgrad": "amsgrad",
            "weight_decay": "weight_decay",
        },
        {},
    ),
    "adamw": (
        torch.optim.AdamW,
        {
            "lr": "lr",
            "beta1": ("betas", 0),
            "beta2": ("betas", 1),
            "eps": "eps",
            "amsgrad": "amsgrad",
            "weight_decay": "weight_decay",
        },
        {},
    ),
    "adamax": (
        torch.optim.Adamax,
        {"lr": "lr", "beta1": ("betas", 0), "beta2": ("betas", 1), "eps": "eps", "weight_decay": "weight_decay"},
        {},
    ),
    "nadam": (
        torch.optim.NAdam,
        {
            "lr": "lr",
            "beta1": ("betas", 0),
            "beta2": ("betas", 1),
            "eps": "eps",
            "weight_decay": "weight_decay",
            "momentum_decay": "momentum_decay",
            "decoupled_weight_decay": "decoupled_weight_decay",
        },
        {},
    ),
    "radam": (
        torch.optim.RAdam,
        {
            "lr": "lr",
            "beta1": ("betas", 0),
            "beta2": ("betas", 1),
            "eps": "eps",
            "weight_decay": "weight_decay",
            "decoupled_weight_decay": "decoupled_weight_decay",
        },
        {},
    ),
}
NO_TORCH_COUNTERPART = {("rmsprop", "eps_in_sqrt"), ("rmsprop", "initial_square_avg")}  # checked against the TensorFlow loop above

# Settings per optimizer (lr comes from demo_lr * the surface's lr_scale). Every hyperparameter is
# moved off its default in some row and every switch is tried both ways (checked below).
TORCH_TABLE: list[tuple[str, dict]] = [
    ("sgd", {}),
    ("sgd", {"weight_decay": 0.3}),
    ("momentum", {}),
    ("momentum", {"momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1}),
    ("momentum", {"momentum": 0.0, "dampening": 0.5}),  # torch: momentum = 0 is plain SGD
    ("nesterov", {}),
    ("nesterov", {"momentum": 0.7, "weight_decay": 0.2}),
    ("adagrad", {}),
    ("adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.3, "eps": 1e-3, "weight_decay": 0.1}),
    ("adadelta", {}),
    ("adadelta", {"rho": 0.5, "eps": 1e-3, "weight_decay": 0.1}),
    ("rmsprop", {}),
    ("rmsprop", {"alpha": 0.99, "centered": True}),
    ("rmsprop", {"momentum": 0.8}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.2, "eps": 1e-4}),
    ("rprop", {}),
    ("rprop", {"eta_minus": 0.3, "eta_plus": 1.5, "step_size_min": 0.01, "step_size_max": 0.5}),
    ("adam", {}),
    ("adam", {"amsgrad": True}),
    ("adam", {"weight_decay": 0.1, "beta1": 0.8, "beta2": 0.9, "eps": 1e-4}),
    ("adam", {"amsgrad": True, "weight_decay": 0.1, "beta2": 0.95}),
    ("adamw", {}),
    ("adamw", {"weight_decay": 0.3, "amsgrad": True, "beta1": 0.5, "beta2": 0.9, "eps": 1e-4}),
    ("adamax", {}),
    ("adamax", {"weight_decay": 0.1, "beta1": 0.5, "beta2": 0.8, "eps": 1e-3}),
    ("nadam", {}),
    ("nadam", {"momentum_decay": 0.1, "beta1": 0.8, "beta2": 0.95, "eps": 1e-4}),
    ("nadam", {"weight_decay": 0.1}),
    ("nadam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("radam", {}),
    ("radam", {"beta2": 0.9, "beta1": 0.8, "eps": 1e-4}),
    ("radam", {"weight_decay": 0.1}),
    ("radam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
]

# demo_lr * lr_scale = 0.004 makes plain SGD diverge on Rosenbrock from (-1.5, 2.5), where the largest
# Hessian eigenvalue is about 1200 x^2 - 400 y + 2 = 1702 (stable only for lr < 2 / 1702).
LR_OVERRIDE = {("sgd", "rosenbrock"): 5e-4}

TORCH_SURFACES = {
    "quadratic": (lambda x, y: 0.1 * x**2 + 2 * y**2, 50),
    "rosenbrock": (lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, 20),
    "himmelblau": (lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2, 20),
}

# Worst difference observed over the table (torch 2.13.0 CPU, numba 0.68.1, float64): 1.0e-11 relative
# / 5.1e-13 absolute (adamax with weight_decay = 0.1, beta2 = 0.8 on the quadratic, a coordinate near
# zero); every other row stays below 4.5e-13 relative, most are at 1e-16 (one rounding of the gradient).
TORCH_RTOL = 1e-10


def _torch_kwargs(optimizer_id: str, hp: dict) -> tuple[type, dict]:
    cls, names, fixed = TORCH_SPEC[optimizer_id]
    kwargs: dict = dict(fixed)
    tuples: dict[str, list] = {}
    for name, value in hp.items():
        target = names[name]
        if isinstance(target, tuple):
            tuples.setdefault(target[0], [None, None])[target[1]] = value
        else:
            kwargs[target] = value
    kwargs.update({k: tuple(v) for k, v in tuples.items()})
    if "foreach" in inspect.signature(cls.__init__).parameters:
        kwargs["foreach"] = False  # the single-tensor reference code
    return cls, kwargs


def _torch_path(optimizer_id: str, hp: dict, surface_id: str, start, steps: int) -> np.ndarray:
    f = TORCH_SURFACES[surface_id][0]
    cls, kwargs = _torch_kwargs(optimizer_id, hp)
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = cls([p], **kwargs)
    out = [p.detach().clone().numpy()]
    for _ in range(steps):
        opt.zero_grad()
        f(p[0], p[1]).backward()
        opt.step()
        out.append(p.detach().clone().numpy())
    return np.array(out)


@pytest.fixture
def float64_default():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _row_id(row: tuple[str, dict]) -> str:
    return row[0] + ("-" + "-".join(f"{k}={v}" for k, v in row[1].items()) if row[1] else "")


@pytest.mark.parametrize("surface_id", list(TORCH_SURFACES))
@pytest.mark.parametrize("row", TORCH_TABLE, ids=[_row_id(r) for r in TORCH_TABLE])
def test_matches_torch_optim(row: tuple[str, dict], surface_id: str, float64_default) -> None:
    optimizer_id, settings = row
    opt, surface = OPTIMIZERS[optimizer_id], SURFACES[surface_id]
    steps = TORCH_SURFACES[surface_id][1]
    hp = opt.defaults | {"lr": LR_OVERRIDE.get((optimizer_id, surface_id), opt.demo_lr * surface.lr_scale)} | settings
    hp.pop("eps_in_sqrt", None)
    hp.pop("initial_square_avg", None)
    traj = simulate(surface_id, optimizer_id, start=surface.start, steps=steps, **hp)
    expected = _torch_path(optimizer_id, hp, surface_id, surface.start, steps)
    assert np.isfinite(expected).all()
    assert traj.diverged_at is None and traj.path.shape == expected.shape
    np.testing.assert_allclose(traj.path, expected, rtol=TORCH_RTOL, atol=1e-12)


def test_torch_table_covers_every_optimizer_and_setting() -> None:
    for optimizer_id, opt in OPTIMIZERS.items():
        assert optimizer_id in TORCH_SPEC, f"{optimizer_id} has no torch mapping"
        rows = [s for o, s in TORCH_TABLE if o == optimizer_id]
        assert rows, f"{optimizer_id} is missing from TORCH_TABLE"
        for p in opt.hyperparameters:
            if (optimizer_id, p.name) in NO_TORCH_COUNTERPART:
                continue
            assert p.name in TORCH_SPEC[optimizer_id][1], f"{optimizer_id}.{p.name} has no torch mapping"
            if p.name == "lr":
                continue  # lr varies per surface
            values = {bool(opt.defaults[p.name]) if p.is_bool else opt.defaults[p.name]}
            values |= {s[p.name] for s in rows if p.name in s}
            assert len(values) >= 2, f"{optimizer_id}.{p.name} is never moved off its default"


def test_registry_defaults_match_torch_or_say_so() -> None:
    # Where a default differs from torch's, the help text must say "torch's default".
    for optimizer_id, opt in OPTIMIZERS.items():
        cls, names, _ = TORCH_SPEC[optimizer_id]
        params = inspect.signature(cls.__init__).parameters
        for p in opt.hyperparameters:
            if (optimizer_id, p.name) in NO_TORCH_COUNTERPART:
                continue
            target = names[p.name]
            torch_default = (
                params[target[0]].default[target[1]] if isinstance(target, tuple) else params[target].default
            )
            if float(torch_default) != float(p.default):
                assert "torch's default" in p.help, (optimizer_id, p.name, p.default, torch_default)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

BAD_HYPERPARAMETERS = [
    ("sgd", {"lr": -1}, ["lr", "-1", "[0, inf)"]),
    ("rmsprop", {"alpha": 1.0}, ["alpha", "1.0", "[0, 1)"]),
    ("rmsprop", {"alpha": -0.1}, ["alpha", "-0.1", "[0, 1)"]),
    ("adam", {"eps": -1}, ["eps", "-1", "[0, inf)"]),
    ("adam", {"beta2": 1.0}, ["beta2", "1.0", "[0, 1)"]),
    ("rprop", {"eta_minus": 1.5}, ["eta_minus", "1.5", "(0, 1)"]),
    ("rprop", {"step_size_min": 2.0, "step_size_max": 1.0}, ["step_size_min", "2.0", "step_size_max", "1.0"]),
    ("sgd", {"lr": float("nan")}, ["lr", "nan", "[0, inf)"]),
    ("sgd", {"lr": float("inf")}, ["lr", "inf", "[0, inf)"]),
    ("sgd", {"lr": "0.1"}, ["lr", "'0.1'", "[0, inf)"]),
    ("sgd", {"lr": True}, ["lr", "True", "[0, inf)"]),
    ("rmsprop", {"centered": "yes"}, ["centered", "'yes'", "True or False"]),
    ("rmsprop", {"centered": 2}, ["centered", "2", "True or False"]),
    ("nesterov", {"momentum": 0.0}, ["momentum", "0.0", "(0, 1)"]),
    ("sgd", {"momentum": 0.9}, ["momentum", "lr", "weight_decay"]),  # unknown name: lists the valid ones
]


@pytest.mark.parametrize(
    ("optimizer_id", "overrides", "expected"),
    BAD_HYPERPARAMETERS,
    ids=[f"{o}-{next(iter(k))}={next(iter(k.values()))!r}" for o, k, _ in BAD_HYPERPARAMETERS],
)
def test_bad_hyperparameters_raise_with_a_useful_message(optimizer_id, overrides, expected) -> None:
    for call in (
        lambda: simulate("quadratic", optimizer_id, steps=1, **overrides),
        lambda: resolve_hyperparameters(optimizer_id, overrides),
    ):
        with pytest.raises(ValueError) as info:
            call()
        for part in expected:
            assert part in str(info.value), (part, str(info.value))


@pytest.mark.parametrize("bad", ["nope", "RMSProp", None])
def test_unknown_optimizer_names_the_choices(bad) -> None:
    with pytest.raises(ValueError) as info:
        simulate("quadratic", bad, steps=1)
    assert repr(bad) in str(info.value)
    for optimizer_id in OPTIMIZERS:
        assert optimizer_id in str(info.value)
    with pytest.raises(ValueError, match="choose one of"):
        get_optimizer(bad)


@pytest.mark.parametrize("optimizer_id", list(OPTIMIZERS))
def test_every_hyperparameter_rejects_nan_and_strings(optimizer_id: str) -> None:
    for p in OPTIMIZERS[optimizer_id].hyperparameters:
        for bad in (float("nan"), "1"):
            with pytest.raises(ValueError) as info:
                resolve_hyperparameters(optimizer_id, {p.name: bad})
            assert f"{optimizer_id}.{p.name}={bad!r}" in str(info.value)


@pytest.mark.parametrize("optimizer_id", list(OPTIMIZERS))
def test_defaults_resolve_in_registry_order(optimizer_id: str) -> None:
    opt = OPTIMIZERS[optimizer_id]
    h = resolve_hyperparameters(optimizer_id)
    assert h.dtype == np.float64
    assert h.tolist() == [float(v) for v in opt.defaults.values()]
    # and an override lands in its own slot only
    lr_slot = opt.names.index("lr")
    h2 = resolve_hyperparameters(optimizer_id, {"lr": 0.123})
    assert h2[lr_slot] == 0.123
    assert np.delete(h2, lr_slot).tolist() == np.delete(h, lr_slot).tolist()
