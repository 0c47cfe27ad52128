"""The simulation driver: path invariants, noise, batches, divergence, reaching a minimum,
validation, state recording, and that nothing recompiles per call."""

from __future__ import annotations

import importlib
import math
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from optviz import MAX_STEPS, OPTIMIZERS, SURFACES, simulate, simulate_batch, surface_grid

# `optviz.engine.simulate` is the function (re-exported by the package); the module lives in sys.modules.
simulate_module = importlib.import_module("optviz.engine.simulate")

PROPERTY_SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _f(surface_id: str, x: float, y: float) -> float:
    return SURFACES[surface_id].value_and_grad(x, y)[0]


@st.composite
def runs(draw, optimizers=tuple(OPTIMIZERS), log_lr_factor=(-1.0, 4.0)):
    surface_id = draw(st.sampled_from(list(SURFACES)))
    optimizer_id = draw(st.sampled_from(optimizers))
    (x_lo, x_hi), (y_lo, y_hi) = SURFACES[surface_id].bounds
    start = (draw(st.floats(x_lo, x_hi)), draw(st.floats(y_lo, y_hi)))
    steps = draw(st.integers(1, 200))
    # by default from a tenth of the suggested lr to 10^4 times it, so some runs diverge
    lr = OPTIMIZERS[optimizer_id].demo_lr * SURFACES[surface_id].lr_scale * 10.0 ** draw(st.floats(*log_lr_factor))
    return surface_id, optimizer_id, start, steps, lr


@PROPERTY_SETTINGS
@given(runs())
def test_path_invariants(run) -> None:
    _check_path_invariants(run)


@PROPERTY_SETTINGS
@given(runs(optimizers=("sgd", "momentum", "nesterov"), log_lr_factor=(2.0, 6.0)))
def test_path_invariants_of_mostly_diverging_runs(run) -> None:
    _check_path_invariants(run)


def _check_path_invariants(run) -> None:
    surface_id, optimizer_id, start, steps, lr = run
    traj = simulate(surface_id, optimizer_id, start=start, steps=steps, lr=lr)
    n = len(traj.path)
    event("diverged" if traj.diverged_at is not None else "finished")
    if traj.diverged_at is None:
        assert n == steps + 1
    else:
        assert 1 <= traj.diverged_at <= steps
        assert n == traj.diverged_at
    assert traj.path.shape == (n, 2) and traj.loss.shape == (n,)
    assert tuple(traj.path[0]) == start
    assert np.isfinite(traj.path).all() and np.isfinite(traj.loss).all()
    np.testing.assert_array_equal(traj.loss, [_f(surface_id, x, y) for x, y in traj.path])
    assert set(traj.state) == set(OPTIMIZERS[optimizer_id].state)
    for values in traj.state.values():
        assert values.shape == (n, 2)
        assert np.isnan(values[0]).all()
    # A shorter run is a prefix of a longer one (and one step short of divergence, it does not diverge).
    k = (n - 1) // 2 if traj.diverged_at is None else n - 1
    if k >= 1:
        shorter = simulate(surface_id, optimizer_id, start=start, steps=k, lr=lr)
        assert shorter.diverged_at is None
        np.testing.assert_array_equal(shorter.path, traj.path[: k + 1])


# Points where the gradient is exactly (0, 0) in floating point (integer-valued brackets, sin 0 = 0).
STATIONARY = [
    ("quadratic", (0.0, 0.0)),
    ("rosenbrock", (1.0, 1.0)),
    ("beale", (3.0, 0.5)),
    ("himmelblau", (3.0, 2.0)),
    ("rastrigin", (0.0, 0.0)),
    ("ackley", (0.0, 0.0)),
    ("booth", (1.0, 3.0)),
    ("matyas", (0.0, 0.0)),
    ("three_hump_camel", (0.0, 0.0)),
    ("goldstein_price", (0.0, -1.0)),
    ("saddle", (0.0, 0.0)),
    ("monkey_saddle", (0.0, 0.0)),
]


@PROPERTY_SETTINGS
@given(
    st.sampled_from(STATIONARY),
    st.sampled_from(list(OPTIMIZERS)),
    st.integers(1, 200),
    st.floats(-2.0, 2.0),
)
def test_stationary_start_stays_put(stationary, optimizer_id: str, steps: int, log_lr: float) -> None:
    surface_id, start = stationary
    assert SURFACES[surface_id].value_and_grad(*start)[1:] == (0.0, 0.0)
    overrides = {"lr": 10.0**log_lr}
    if "weight_decay" in OPTIMIZERS[optimizer_id].names:
        overrides["weight_decay"] = 0.0  # decay would pull a nonzero start towards the origin
    traj = simulate(surface_id, optimizer_id, start=start, steps=steps, **overrides)
    assert traj.diverged_at is None
    np.testing.assert_array_equal(traj.path, np.tile(start, (steps + 1, 1)))
    is_minimum = any((m.x, m.y) == start for m in SURFACES[surface_id].minima)
    assert traj.reached_at == (0 if is_minimum else None)


@pytest.mark.parametrize("optimizer_id", list(OPTIMIZERS))
def test_origin_of_the_bowl_stays_put_even_with_weight_decay(optimizer_id: str) -> None:
    overrides = {"weight_decay": 0.5} if "weight_decay" in OPTIMIZERS[optimizer_id].names else {}
    traj = simulate("quadratic", optimizer_id, start=(0.0, 0.0), steps=20, **overrides)
    np.testing.assert_array_equal(traj.path, np.zeros((21, 2)))


# --------------------------------------------------------------------------------------------
# Noise
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer_id", list(OPTIMIZERS))
def test_noise_is_reproducible_and_seeded(optimizer_id: str) -> None:
    kwargs = {"start": (-3.0, 1.0), "steps": 40, "noise": 0.5}
    a = simulate("quadratic", optimizer_id, seed=7, **kwargs)
    b = simulate("quadratic", optimizer_id, seed=7, **kwargs)
    c = simulate("quadratic", optimizer_id, seed=8, **kwargs)
    clean = simulate("quadratic", optimizer_id, start=(-3.0, 1.0), steps=40)
    np.testing.assert_array_equal(a.path, b.path)
    # (whole paths: Rprop's step depends only on the gradient's sign, which noise need not flip at once)
    assert not np.array_equal(a.path, c.path)
    assert not np.array_equal(a.path, clean.path)


@pytest.mark.parametrize("optimizer_id", list(OPTIMIZERS))
def test_zero_noise_is_the_noiseless_path_for_any_seed(optimizer_id: str) -> None:
    clean = simulate("himmelblau", optimizer_id, start=(-1.0, 1.0), steps=60)
    for seed in (0, 1, 2**63 - 1):
        other = simulate("himmelblau", optimizer_id, start=(-1.0, 1.0), steps=60, noise=0.0, seed=seed)
        np.testing.assert_array_equal(other.path, clean.path)
        np.testing.assert_array_equal(other.loss, clean.loss)


def test_noise_is_standard_normal_scaled_by_noise() -> None:
    # SGD on the bowl: x_t = x_{t-1} - lr (0.2 x_{t-1} + noise z_t), so each draw can be read back:
    # z_t = ((x_{t-1} - x_t) / lr - 0.2 x_{t-1}) / noise (and 4 y for y). They must look i.i.d. N(0, 1).
    lr, noise, n = 0.01, 2.0, 20000
    traj = simulate("quadratic", "sgd", start=(0.0, 0.0), steps=n, lr=lr, noise=noise, seed=12345)
    x, y = traj.path[:, 0], traj.path[:, 1]
    zx = ((x[:-1] - x[1:]) / lr - 0.2 * x[:-1]) / noise
    zy = ((y[:-1] - y[1:]) / lr - 4.0 * y[:-1]) / noise
    z = np.concatenate([zx, zy])
    m = z.size
    assert abs(z.mean()) < 4.0 / math.sqrt(m)
    assert abs(z.std() - 1.0) < 4.0 * math.sqrt(0.5 / m)
    assert abs(np.corrcoef(zx, zy)[0, 1]) < 4.0 / math.sqrt(n)
    assert abs(np.corrcoef(zx[:-1], zx[1:])[0, 1]) < 4.0 / math.sqrt(n)
    for c in (-2.0, -1.0, 0.0, 0.5, 1.5):  # empirical CDF against Phi(c)
        p = 0.5 * (1.0 + math.erf(c / math.sqrt(2.0)))
        assert abs(np.mean(z <= c) - p) < 4.0 * math.sqrt(p * (1 - p) / m)


# --------------------------------------------------------------------------------------------
# Batches reproduce single runs exactly
# --------------------------------------------------------------------------------------------


def _as_counter(value: int | None) -> int:
    return -1 if value is None else value


def _check_batch_matches_simulate(surface_id, optimizer_id, starts, steps, noise, seed, hyper) -> None:
    batch = simulate_batch(surface_id, optimizer_id, starts, steps, noise=noise, seed=seed, **hyper)
    assert batch.final.shape == (len(starts), 2)
    for i, start in enumerate(starts):
        single_hyper = {k: (v[i] if np.ndim(v) else v) for k, v in hyper.items()}
        traj = simulate(
            surface_id, optimizer_id, start=tuple(start), steps=steps, noise=noise, seed=seed, **single_hyper
        )
        np.testing.assert_array_equal(batch.final[i], traj.path[-1])
        np.testing.assert_array_equal(batch.final_loss[i], traj.loss[-1])
        assert batch.diverged_at[i] == _as_counter(traj.diverged_at)
        assert batch.reached_at[i] == _as_counter(traj.reached_at)
        assert batch.reached_minimum[i] == _as_counter(traj.reached_minimum)


HIMMELBLAU_STARTS = np.vstack(
    [
        np.random.default_rng(3).uniform(-5.0, 5.0, size=(6, 2)),
        [[3.0, 2.0], [-3.7793, -3.2832]],  # on a minimum / within tol of minimum 2: reached at step 0
    ]
)


@pytest.mark.parametrize("optimizer_id", list(OPTIMIZERS))
@pytest.mark.parametrize("noise", [0.0, 0.7])
def test_batch_equals_single_runs(optimizer_id: str, noise: float) -> None:
    base = OPTIMIZERS[optimizer_id].demo_lr * SURFACES["himmelblau"].lr_scale
    lrs = base * np.array([0.1, 0.5, 1.0, 2.0, 10.0, 100.0, 1.0, 1.0])  # large ones diverge for some optimizers
    _check_batch_matches_simulate("himmelblau", optimizer_id, HIMMELBLAU_STARTS, 150, noise, 5, {"lr": lrs})


def test_batch_with_scalar_and_array_hyperparameters_mixed() -> None:
    starts = np.array([[-1.5, 2.5], [0.0, 0.0], [1.2, 1.2]])
    hyper = {"lr": 0.002, "alpha": np.array([0.5, 0.9, 0.99]), "centered": np.array([True, False, True])}
    _check_batch_matches_simulate("rosenbrock", "rmsprop", starts, 300, 0.1, 9, hyper)


def test_batch_sees_divergence_and_minima() -> None:
    # SGD on Himmelblau from the same start: a small lr reaches minimum 0 at (3, 2), a huge one diverges.
    starts = np.array([[2.0, 1.0]] * 3)
    lrs = np.array([0.01, 0.05, 10.0])
    batch = simulate_batch("himmelblau", "sgd", starts, 500, lr=lrs)
    assert batch.reached_minimum[0] == 0 and batch.reached_at[0] > 0
    assert batch.diverged_at[2] > 0
    _check_batch_matches_simulate("himmelblau", "sgd", starts, 500, 0.0, 0, {"lr": lrs})


@pytest.mark.parametrize("optimizer_id", ["rmsprop", "momentum"])
def test_lockstep_lanes_each_equal_their_single_run(optimizer_id: str) -> None:
    # The batch advances LANES runs in lockstep and masks per lane: 2.5 blocks of runs, each with
    # its own lr and options (some diverge, at different steps), starts whose loss is already
    # inf (diverged at step 0) and starts on a minimum (reached at step 0).
    from optviz.engine.lanes import LANES

    runs = 2 * LANES + LANES // 2
    rng = np.random.default_rng(11)
    starts = rng.uniform(-5.0, 5.0, size=(runs, 2))
    starts[3] = [1e100, 0.0]  # (x^2 + y - 11)^2 overflows: diverged at step 0
    starts[LANES + 1] = [-2.805118, 3.131312]  # on minimum 1
    starts[runs - 1] = [3.0, 2.0]  # on minimum 0, in the partial last block
    if optimizer_id == "rmsprop":
        hyper = {
            "lr": 10.0 ** rng.uniform(-3.0, 0.0, runs),
            "momentum": np.where(rng.random(runs) < 0.5, 0.0, 0.9),
            "centered": rng.random(runs) < 0.5,
            "eps_in_sqrt": rng.random(runs) < 0.5,
        }
    else:  # SGD with momentum blows up once lr is past ~0.02 here, sooner the larger it is
        hyper = {"lr": 10.0 ** rng.uniform(-3.0, -0.5, runs), "momentum": np.where(rng.random(runs) < 0.3, 0.0, 0.8)}
    batch = simulate_batch("himmelblau", optimizer_id, starts, 400, **hyper)
    assert batch.diverged_at[3] == 0
    assert batch.reached_at[LANES + 1] == 0 and batch.reached_minimum[LANES + 1] == 1
    assert batch.reached_at[runs - 1] == 0 and batch.reached_minimum[runs - 1] == 0
    assert (batch.reached_at > 0).sum() >= 3
    if optimizer_id == "momentum":
        assert len(set(batch.diverged_at[batch.diverged_at > 0])) >= 3, "runs should diverge at different steps"
    _check_batch_matches_simulate("himmelblau", optimizer_id, starts, 400, 0.0, 0, hyper)


# --------------------------------------------------------------------------------------------
# Divergence and reaching a minimum, derived by hand
# --------------------------------------------------------------------------------------------


def test_divergence_power_of_two_exact(recwarn) -> None:
    # SGD on the bowl with lr = 2^98: y <- y - lr * 4y = y (1 - 2^100), which rounds to -2^100 y exactly
    # for y a power of two. From (0, 1): y_t = (-2^100)^t, f_t = 2 y_t^2 = 2^(200 t + 1), finite up to
    # t = 5 (2^1001) and inf at t = 6 (y_6^2 = 2^1200 > DBL_MAX ~ 2^1024), while y_6 = 2^600 is finite.
    traj = simulate("quadratic", "sgd", start=(0.0, 1.0), steps=10, lr=2.0**98)
    assert traj.diverged_at == 6
    assert len(traj.path) == 6
    np.testing.assert_array_equal(traj.path[:, 1], [(-(2.0**100)) ** t for t in range(6)])
    np.testing.assert_array_equal(traj.path[:, 0], np.zeros(6))
    np.testing.assert_array_equal(traj.loss, [2.0 ** (200 * t + 1) for t in range(6)])
    assert traj.final == (0.0, -(2.0**500))
    assert len(recwarn) == 0


def test_divergence_step_from_logarithms(recwarn) -> None:
    # lr = 1000: y_t = (1 - 4 lr)^t y0 = (-3999)^t and the loss 2 y_t^2 overflows at the first t with
    # ln 2 + 2 t ln 3999 > ln DBL_MAX, i.e. t > 42.75: step 43 (y itself would last until t = 85).
    t_loss = math.floor((math.log(sys.float_info.max) - math.log(2.0)) / (2.0 * math.log(3999.0))) + 1
    t_position = math.floor(math.log(sys.float_info.max) / math.log(3999.0)) + 1
    assert (t_loss, t_position) == (43, 86)
    traj = simulate("quadratic", "sgd", start=(0.0, 1.0), steps=100, lr=1000.0)
    assert traj.diverged_at == t_loss
    assert len(traj.path) == t_loss and np.isfinite(traj.path).all() and np.isfinite(traj.loss).all()
    np.testing.assert_allclose(traj.path[:, 1], [(-3999.0) ** t for t in range(t_loss)], rtol=1e-13)
    batch = simulate_batch("quadratic", "sgd", [[0.0, 1.0]], 100, lr=1000.0)
    assert batch.diverged_at[0] == t_loss
    np.testing.assert_array_equal(batch.final[0], traj.path[-1])
    assert len(recwarn) == 0


def test_start_whose_loss_overflows_diverges_at_step_zero() -> None:
    # f(1e200, 0) = 0.1 * 1e400 = inf: the start itself is the first non-finite point.
    traj = simulate("quadratic", "adam", start=(1e200, 0.0), steps=5)
    assert traj.diverged_at == 0
    assert tuple(traj.path[-1]) == (1e200, 0.0)
    batch = simulate_batch("quadratic", "adam", [[1e200, 0.0], [1.0, 0.0]], 5)
    assert batch.diverged_at.tolist() == [0, -1]


def test_reached_at_geometric_decay() -> None:
    # lr = 0.5 from (1, 0): x_t = (1 - 0.5 * 0.2)^t = 0.9^t, y stays 0. The first t with 0.9^t <= 1e-3
    # is ceil(ln 1e-3 / ln 0.9) = ceil(65.56) = 66 (0.9^65 = 1.04e-3, 0.9^66 = 9.4e-4).
    t_star = math.ceil(math.log(1e-3) / math.log(0.9))
    assert t_star == 66
    traj = simulate("quadratic", "sgd", start=(1.0, 0.0), steps=100, lr=0.5, tol=1e-3)
    assert traj.reached_at == 66
    assert traj.reached_minimum == 0
    assert traj.tolerance == 1e-3
    assert traj.diverged_at is None and len(traj.path) == 101  # reaching does not stop the run


def test_reached_at_after_y_is_zeroed() -> None:
    # lr = 0.25 from (1, 3): y_1 = 3 - 0.25 * 12 = 0 exactly and x_t = 0.95^t. With tol = 0.5 the first
    # step within reach is t = 14 (0.95^13 = 0.513, 0.95^14 = 0.488).
    traj = simulate("quadratic", "sgd", start=(1.0, 3.0), steps=30, lr=0.25, tol=0.5)
    assert traj.path[1, 1] == 0.0
    assert traj.reached_at == 14


def test_reached_minimum_names_which_one() -> None:
    # Himmelblau has four minima; a start within tol of the third (index 2) is reached at step 0.
    m = SURFACES["himmelblau"].minima[2]
    traj = simulate("himmelblau", "sgd", start=(m.x + 3e-4, m.y - 3e-4), steps=1, lr=1e-6, tol=1e-3)
    assert (traj.reached_at, traj.reached_minimum) == (0, 2)
    never = simulate("himmelblau", "sgd", start=(0.0, 0.0), steps=3, lr=1e-6)
    assert never.reached_at is None and never.reached_minimum is None


def test_saddles_are_never_reached() -> None:
    traj = simulate("saddle", "sgd", start=(0.0, 0.0), steps=5)
    assert traj.reached_at is None


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

BAD_SIMULATE = [
    ({"surface": "nope"}, ["surface", "'nope'", "rosenbrock"]),
    ({"steps": 0}, ["steps", "0", f"[1, {MAX_STEPS}]"]),
    ({"steps": MAX_STEPS + 1}, ["steps", str(MAX_STEPS + 1), f"[1, {MAX_STEPS}]"]),
    ({"steps": 1.5}, ["steps", "1.5", "whole number"]),
    ({"steps": True}, ["steps", "True", "whole number"]),
    ({"steps": "10"}, ["steps", "'10'", "whole number"]),
    ({"start": (float("nan"), 0.0)}, ["start", "nan", "finite"]),
    ({"start": (float("inf"), 0.0)}, ["start", "inf", "finite"]),
    ({"start": (0.0, -float("inf"))}, ["start", "-inf", "finite"]),
    ({"start": "ab"}, ["start", "'ab'"]),
    ({"start": (1,)}, ["start", "(1,)", "two"]),
    ({"start": (1.0, 2.0, 3.0)}, ["start", "(1.0, 2.0, 3.0)", "two"]),
    ({"start": 5.0}, ["start", "5.0", "two"]),
    ({"noise": -1}, ["noise", "-1", ">= 0"]),
    ({"noise": float("nan")}, ["noise", "nan"]),
    ({"seed": -1}, ["seed", "-1", "[0, 2**63)"]),
    ({"seed": 1.5}, ["seed", "1.5", "whole number"]),
    ({"tol": 0}, ["tol", "0", "> 0"]),
    ({"tol": -1e-3}, ["tol", "-0.001", "> 0"]),
]


@pytest.mark.parametrize(("override", "expected"), BAD_SIMULATE, ids=[repr(o) for o, _ in BAD_SIMULATE])
def test_simulate_rejects_bad_input(override: dict, expected: list[str]) -> None:
    kwargs = {"surface": "quadratic", "optimizer": "sgd", "start": (1.0, 1.0), "steps": 5} | override
    with pytest.raises(ValueError) as info:
        simulate(**kwargs)
    for part in expected:
        assert part in str(info.value), (part, str(info.value))


BAD_BATCH = [
    ({"starts": np.zeros(3)}, ["starts", "(3,)", "(B, 2)"]),
    ({"starts": np.zeros((2, 3))}, ["starts", "(2, 3)", "(B, 2)"]),
    ({"starts": np.zeros((0, 2))}, ["starts", "(0, 2)", "(B, 2)"]),
    ({"starts": [[0.0, float("nan")], [1.0, 1.0]]}, ["starts", "non-finite"]),
    ({"starts": "ab"}, ["starts", "(B, 2)"]),
    ({"lr": np.array([0.1, 0.2, 0.3])}, ["lr", "(3,)", "(2,)"]),
    ({"lr": np.array([[0.1, 0.2]])}, ["lr", "(1, 2)", "(2,)"]),
    ({"lr": np.array([0.1, -1.0])}, ["lr", "-1.0", "[0, inf)"]),
    ({"lr": np.array([0.1, np.nan])}, ["lr", "nan", "[0, inf)"]),
    ({"weight_decay": [0.0, "x"]}, ["weight_decay", "'x'"]),
    ({"steps": 0}, ["steps", "0"]),
    ({"surface": "nope"}, ["surface", "'nope'"]),
]


@pytest.mark.parametrize(("override", "expected"), BAD_BATCH, ids=[repr(o)[:60] for o, _ in BAD_BATCH])
def test_simulate_batch_rejects_bad_input(override: dict, expected: list[str]) -> None:
    kwargs = {"surface": "quadratic", "optimizer": "sgd", "starts": np.ones((2, 2)), "steps": 5} | override
    with pytest.raises(ValueError) as info:
        simulate_batch(**kwargs)
    for part in expected:
        assert part in str(info.value), (part, str(info.value))


def test_simulate_batch_checks_every_row_of_cross_constraints() -> None:
    # rprop needs step_size_min <= step_size_max on every run, not only for the defaults
    with pytest.raises(ValueError, match=r"step_size_min=2\.0 exceeds step_size_max=1\.0"):
        simulate_batch("quadratic", "rprop", np.ones((2, 2)), 5, step_size_min=np.array([0.1, 2.0]), step_size_max=1.0)
    with pytest.raises(ValueError, match=r"rmsprop\.centered=2"):
        simulate_batch("quadratic", "rmsprop", np.ones((2, 2)), 5, centered=np.array([1, 2]))


# --------------------------------------------------------------------------------------------
# Recorded state and trajectory metadata
# --------------------------------------------------------------------------------------------


def test_rmsprop_state_after_the_first_steps() -> None:
    lr, alpha, eps = 0.1, 0.9, 1e-8
    traj = simulate("quadratic", "rmsprop", start=(-4.0, 1.5), steps=2, lr=lr, alpha=alpha, eps=eps)
    g0 = np.array([0.2 * -4.0, 4.0 * 1.5])  # (-0.8, 6.0)
    v1 = (1 - alpha) * g0**2  # (0.064, 3.6)
    np.testing.assert_allclose(v1, [0.064, 3.6], rtol=1e-15)
    np.testing.assert_allclose(traj.state["square_avg"][1], v1, rtol=1e-14)
    np.testing.assert_allclose(traj.state["effective_lr"][1], lr / (np.sqrt(v1) + eps), rtol=1e-14)
    x1 = traj.path[1]
    g1 = np.array([0.2 * x1[0], 4.0 * x1[1]])
    v2 = alpha * v1 + (1 - alpha) * g1**2
    np.testing.assert_allclose(traj.state["square_avg"][2], v2, rtol=1e-14)
    np.testing.assert_allclose(traj.state["effective_lr"][2], lr / (np.sqrt(v2) + eps), rtol=1e-14)
    # not centered, no momentum: those slots stay at zero
    np.testing.assert_array_equal(traj.state["grad_avg"][1:], np.zeros((2, 2)))
    np.testing.assert_array_equal(traj.state["momentum_buffer"][1:], np.zeros((2, 2)))
    for values in traj.state.values():
        assert np.isnan(values[0]).all()


def test_trajectory_metadata() -> None:
    traj = simulate("booth", "adam", start=(1, 2), steps=7, noise=0.25, seed=3, tol=0.01, lr=0.5, amsgrad=1)
    assert (traj.surface, traj.optimizer, traj.steps, traj.noise, traj.seed) == ("booth", "adam", 7, 0.25, 3)
    assert traj.start == (1.0, 2.0)
    assert traj.hyperparameters == {
        "lr": 0.5,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "amsgrad": True,
        "weight_decay": 0.0,
    }
    assert traj.final == tuple(traj.path[-1]) and traj.final_loss == traj.loss[-1]


def test_default_start_is_the_registry_start() -> None:
    for surface_id, surface in SURFACES.items():
        traj = simulate(surface_id, "sgd", steps=1)
        assert tuple(traj.path[0]) == surface.start


# --------------------------------------------------------------------------------------------
# Compilation happens once
# --------------------------------------------------------------------------------------------


def test_no_recompilation_across_surfaces_optimizers_and_argument_types() -> None:
    simulate("quadratic", "sgd", steps=2)
    simulate_batch("quadratic", "sgd", np.ones((2, 2)), 2)
    surface_grid("quadratic", 3)
    dispatchers = (simulate_module._integrate, simulate_module._integrate_batch, simulate_module.evaluate_grid)
    before = [len(d.signatures) for d in dispatchers]
    assert before[0] >= 1
    for surface_id, surface in SURFACES.items():
        surface_grid(surface_id, 5)
        surface_grid(surface_id, 4, bounds=((0, 1), (-1, 0)))  # integer bounds
        for optimizer_id in OPTIMIZERS:
            simulate(surface_id, optimizer_id, steps=3)
            simulate(
                surface_id,
                optimizer_id,
                start=np.array([1, 0], dtype=np.int32),
                steps=np.int64(2),
                noise=np.float32(0.1),
                seed=np.uint8(4),
                tol=1,
            )
            lrs = OPTIMIZERS[optimizer_id].demo_lr * surface.lr_scale * np.array([0.5, 1.0])
            simulate_batch(surface_id, optimizer_id, [[0, 1], [1, 0]], 3, noise=0.5, seed=2, lr=lrs)
            simulate_batch(surface_id, optimizer_id, np.ones((1, 2), dtype=np.float32), 2)
    assert [len(d.signatures) for d in dispatchers] == before


def test_zero_over_zero_is_a_divergence_not_an_exception():
    """RMSProp with eps=0 at a stationary point computes 0/0 on its first step: torch gives NaN,
    and optviz must report divergence at step 1 rather than raise ZeroDivisionError."""
    run = simulate("quadratic", "rmsprop", start=(0.0, 0.0), steps=5, eps=0.0)
    assert run.diverged_at == 1
    assert run.path.tolist() == [[0.0, 0.0]]
    batch = simulate_batch("quadratic", "rmsprop", [[0.0, 0.0], [1.0, 1.0]], steps=5, eps=0.0)
    assert batch.diverged_at.tolist() == [1, -1]


def test_lane_loops_use_the_same_maths_library_as_single_runs() -> None:
    # Intel's SVML vector functions (numba uses them when icc_rt is installed) differ from libm
    # in the last bits, which would part batches from single runs; optviz turns them off.
    import numba

    assert not numba.config.USING_SVML
