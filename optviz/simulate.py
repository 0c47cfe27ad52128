"""The simulation driver: run an optimizer on a surface, one path or a batch of them.

One compiled loop, :func:`_integrate`, serves both :func:`simulate` (which records the path,
the loss and the optimizer's state at every step) and :func:`simulate_batch` (which runs many
starts or hyperparameter settings in parallel and keeps only where each run ended). It takes
the surface and the optimizer as integer indices into module-level kernels, so it is
compiled once, cached on disk, and never recompiled per surface, optimizer or call.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from numba import njit, prange, uint64

from .optimizers import (
    STATE_WIDTH,
    Optimizer,
    get_optimizer,
    init_state,
    resolve_hyperparameter_table,
    resolve_hyperparameters,
    update,
)
from .surfaces import Surface, evaluate, get_surface, minima_array

MAX_STEPS = 1_000_000
"""The most steps one run may take (a recorded run of this length holds about 100 MB)."""

MAX_BATCH = 10_000_000
"""The most runs one batch may hold."""

DEFAULT_TOLERANCE = 1e-3
"""A run has reached a minimum once its distance to that minimum is at most this."""


# --- Gradient noise: a counter-based generator, so a run's noise depends only on (seed, step),
# never on thread scheduling; a batch therefore reproduces single runs exactly.


@njit(cache=True, error_model="numpy", inline="always")
def _splitmix64(z):
    """SplitMix64 (Steele, Lea & Flood, 2014): a well-mixed 64-bit hash of z."""
    z = z + uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> uint64(27))) * uint64(0x94D049BB133111EB)
    return z ^ (z >> uint64(31))


@njit(cache=True, error_model="numpy")
def gaussian(seed: int, counter: int) -> float:
    """A standard normal draw for (seed, counter), by Box-Muller on two hashed uniforms."""
    key = _splitmix64(uint64(seed) ^ _splitmix64(uint64(counter)))
    bits_a = _splitmix64(key)
    bits_b = _splitmix64(key ^ uint64(0x5851F42D4C957F2D))
    u1 = ((bits_a >> uint64(11)) + uint64(1)) * (1.0 / 9007199254740992.0)  # (0, 1]
    u2 = (bits_b >> uint64(11)) * (1.0 / 9007199254740992.0)  # [0, 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True, error_model="numpy", inline="always")
def _nearest_within(minima, tol, x, y) -> int:
    """Index of the first minimum within tol of (x, y), or -1."""
    for k in range(minima.shape[0]):
        dx = x - minima[k, 0]
        dy = y - minima[k, 1]
        if dx * dx + dy * dy <= tol * tol:
            return k
    return -1


@njit(cache=True, error_model="numpy", inline="always")
def _step(sid, address, oid, h, s0, s1, x, y, gx, gy, t, noise, seed):
    """One update of both coordinates from the gradient at (x, y); returns the new point,
    f there and its gradient. The single and the batch loops share it, so they agree bit
    for bit."""
    if noise > 0.0:
        gx += noise * gaussian(seed, 2 * t)
        gy += noise * gaussian(seed, 2 * t + 1)
    nx = update(oid, h, s0, x, gx, float(t))
    ny = update(oid, h, s1, y, gy, float(t))
    nf, ngx, ngy = evaluate(sid, address, nx, ny)
    return nx, ny, nf, ngx, ngy


@njit(cache=True, error_model="numpy")
def _integrate(sid, address, oid, h, x0, y0, steps, noise, seed, minima, tol, record, path, loss, states):
    """Run ``steps`` updates from (x0, y0); with ``record``, fill path/loss/states row by row.

    Returns (points, diverged_at, reached_at, reached_index, x, y, f): the number of finite
    points (the start included), the first step whose position or loss is not finite (-1 if
    none), the first step within ``tol`` of a minimum and which one (-1 if never), and the
    last finite point and its loss. No fastmath here: the finiteness checks must see inf/NaN.
    """
    s0 = np.empty(STATE_WIDTH)
    s1 = np.empty(STATE_WIDTH)
    init_state(oid, h, s0)
    init_state(oid, h, s1)
    x, y = x0, y0
    f, gx, gy = evaluate(sid, address, x, y)
    if record:
        path[0, 0] = x
        path[0, 1] = y
        loss[0] = f
        states[0] = np.nan
    if not math.isfinite(f):
        return 1, 0, -1, -1, x, y, f
    reached_index = _nearest_within(minima, tol, x, y)
    reached_at = 0 if reached_index >= 0 else -1
    for t in range(1, steps + 1):
        nx, ny, nf, ngx, ngy = _step(sid, address, oid, h, s0, s1, x, y, gx, gy, t, noise, seed)
        if not (math.isfinite(nx) and math.isfinite(ny) and math.isfinite(nf)):
            return t, t, reached_at, reached_index, x, y, f
        x, y, f, gx, gy = nx, ny, nf, ngx, ngy
        if record:
            path[t, 0] = x
            path[t, 1] = y
            loss[t] = f
            for k in range(STATE_WIDTH):
                states[t, 0, k] = s0[k]
                states[t, 1, k] = s1[k]
        if reached_at < 0:
            reached_index = _nearest_within(minima, tol, x, y)
            if reached_index >= 0:
                reached_at = t
    return steps + 1, -1, reached_at, reached_index, x, y, f


@njit(cache=True, error_model="numpy", parallel=True)
def _integrate_batch(sid, address, oid, table, starts, steps, noise, seed, minima, tol, finals, counters):
    """Run every row of ``table`` from the matching row of ``starts``, in parallel.

    Each run is :func:`_integrate` itself (not recording), so a batch equals single runs bit
    for bit. Writes (x, y, f) of each run's last finite point to ``finals`` and
    (diverged_at, reached_at, reached_index) to ``counters``.
    """
    unused_path = np.empty((1, 2))
    unused_loss = np.empty(1)
    unused_states = np.empty((1, 2, STATE_WIDTH))
    for i in prange(starts.shape[0]):
        _, diverged_at, reached_at, reached_index, x, y, f = _integrate(
            sid, address, oid, table[i], starts[i, 0], starts[i, 1], steps, noise, seed, minima, tol,
            False, unused_path, unused_loss, unused_states,
        )
        finals[i, 0] = x
        finals[i, 1] = y
        finals[i, 2] = f
        counters[i, 0] = diverged_at
        counters[i, 1] = reached_at
        counters[i, 2] = reached_index


@njit(cache=True, error_model="numpy")
def evaluate_grid(sid, address, xs, ys):
    """f on the grid xs x ys, as an array indexed [row = y, column = x] (plotly's layout).

    Serial on purpose: a 800 x 600 map takes milliseconds, and a parallel kernel would add
    seconds to the first compile of a fresh install.
    """
    z = np.empty((ys.shape[0], xs.shape[0]))
    for i in range(ys.shape[0]):
        for j in range(xs.shape[0]):
            z[i, j] = evaluate(sid, address, xs[j], ys[i])[0]
    return z


@dataclass(frozen=True, eq=False)
class Trajectory:
    """One optimizer's run: the path, the loss along it, and its internal state per step.

    ``path[t]`` is the point after t steps (``path[0]`` is the start) and ``loss[t]`` the
    surface value there. If the run diverged, ``diverged_at`` is the first step whose position
    or loss was not finite and the arrays hold only the finite points before it (a start
    whose loss is already not finite gives ``diverged_at == 0`` and the start alone).
    ``state[name][t]`` is the state slot ``name`` after step t, per coordinate (x, y);
    row 0 is NaN since no step has been taken.
    """

    surface: str
    optimizer: str
    hyperparameters: dict
    start: tuple[float, float]
    steps: int
    noise: float
    seed: int
    path: np.ndarray
    loss: np.ndarray
    state: dict[str, np.ndarray]
    diverged_at: int | None
    reached_at: int | None
    reached_minimum: int | None  # index into the surface's minima
    tolerance: float = DEFAULT_TOLERANCE

    @property
    def final(self) -> tuple[float, float]:
        return float(self.path[-1, 0]), float(self.path[-1, 1])

    @property
    def final_loss(self) -> float:
        return float(self.loss[-1])


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Where each run of a batch ended; -1 in an integer array means "never"."""

    final: np.ndarray  # (B, 2): last finite point
    final_loss: np.ndarray  # (B,)
    diverged_at: np.ndarray  # (B,) int64
    reached_at: np.ndarray  # (B,) int64
    reached_minimum: np.ndarray  # (B,) int64, index into the surface's minima


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise ValueError(f"steps={steps!r} is not valid: expected a whole number in [1, {MAX_STEPS}]")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps={steps!r} is out of range: expected a whole number in [1, {MAX_STEPS}]")
    return int(steps)


def _check_number(name: str, value, low: float = -math.inf, *, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}={value!r} is not valid: expected a finite number")
    v = float(value)
    if not math.isfinite(v) or v < low or (low_open and v == low):
        bound = f"a finite number {'>' if low_open else '>='} {low:g}" if low > -math.inf else "a finite number"
        raise ValueError(f"{name}={value!r} is out of range: expected {bound}")
    return v


def _check_start(start) -> tuple[float, float]:
    message = f"start={start!r} is not valid: expected two finite numbers (x, y)"
    if isinstance(start, (str, bytes)):
        raise ValueError(message)
    try:
        x, y = start
        return _check_number("start x", x), _check_number("start y", y)
    except (TypeError, ValueError):
        raise ValueError(message) from None


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**63:
        raise ValueError(f"seed={seed!r} is not valid: expected a whole number in [0, 2**63)")
    return int(seed)


def _common(surface, optimizer, steps, noise, seed, tol) -> tuple[Surface, Optimizer, int, float, int, float]:
    return (
        get_surface(surface),
        get_optimizer(optimizer),
        _check_steps(steps),
        _check_number("noise", noise, 0.0),
        _check_seed(seed),
        _check_number("tol", tol, 0.0, low_open=True),
    )


def simulate(
    surface: str | Surface,
    optimizer: str | Optimizer,
    start: tuple[float, float] | None = None,
    steps: int = 300,
    *,
    noise: float = 0.0,
    seed: int = 0,
    tol: float = DEFAULT_TOLERANCE,
    **hyperparameters,
) -> Trajectory:
    """Run ``optimizer`` on ``surface`` from ``start`` for ``steps`` updates.

    Args:
        surface: a surface id from :data:`optviz.SURFACES` (or a Surface).
        optimizer: an optimizer id from :data:`optviz.OPTIMIZERS`.
        start: the starting point; the surface's suggested start if omitted.
        steps: number of updates, 1 to :data:`MAX_STEPS`.
        noise: standard deviation of Gaussian noise added to each gradient component.
        seed: picks the noise; the same seed gives the same path.
        tol: distance at which a known minimum counts as reached.
        **hyperparameters: torch.optim keyword names (``lr=0.01, alpha=0.9``); the rest default.

    Returns:
        A :class:`Trajectory`. Divergence is reported in ``diverged_at``, never raised.

    >>> t = simulate("quadratic", "sgd", start=(1.0, 1.0), steps=1, lr=0.1)
    >>> t.path[1].tolist()
    [0.98, 0.6]
    """
    surf, opt, steps, noise, seed, tol = _common(surface, optimizer, steps, noise, seed, tol)
    x0, y0 = _check_start(surf.start if start is None else start)
    h = resolve_hyperparameters(opt, hyperparameters)
    path = np.empty((steps + 1, 2))
    loss = np.empty(steps + 1)
    states = np.empty((steps + 1, 2, STATE_WIDTH))
    points, diverged_at, reached_at, reached_index, *_ = _integrate(
        surf.index, surf.address, opt.index, h, x0, y0, steps, noise, seed, minima_array(surf), tol,
        True, path, loss, states,
    )
    return Trajectory(
        surface=surf.id,
        optimizer=opt.id,
        hyperparameters={
            p.name: (bool(v) if p.is_bool else float(v)) for p, v in zip(opt.hyperparameters, h, strict=False)
        },
        start=(x0, y0),
        steps=steps,
        noise=noise,
        seed=seed,
        path=path[:points],
        loss=loss[:points],
        state={name: states[:points, :, k] for k, name in enumerate(opt.state)},
        diverged_at=None if diverged_at < 0 else int(diverged_at),
        reached_at=None if reached_at < 0 else int(reached_at),
        reached_minimum=None if reached_index < 0 else int(reached_index),
        tolerance=tol,
    )


def simulate_batch(
    surface: str | Surface,
    optimizer: str | Optimizer,
    starts,
    steps: int = 300,
    *,
    noise: float = 0.0,
    seed: int = 0,
    tol: float = DEFAULT_TOLERANCE,
    **hyperparameters,
) -> BatchResult:
    """Run B trajectories in parallel and report where each ended.

    ``starts`` is a (B, 2) array; any hyperparameter may be a scalar or an array of length B
    (one value per run), so a call can sweep a learning rate, a start grid, or both. Every
    run equals :func:`simulate` with the same arguments, to the last bit.
    """
    surf, opt, steps, noise, seed, tol = _common(surface, optimizer, steps, noise, seed, tol)
    try:
        starts = np.asarray(starts, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("starts is not valid: expected a (B, 2) array of finite numbers") from None
    if starts.ndim != 2 or starts.shape[1] != 2 or not 1 <= starts.shape[0] <= MAX_BATCH:
        raise ValueError(f"starts has shape {starts.shape}: expected (B, 2) with 1 <= B <= {MAX_BATCH}")
    if not np.isfinite(starts).all():
        raise ValueError("starts holds a non-finite value: every start must be two finite numbers")
    starts = np.ascontiguousarray(starts)
    table = resolve_hyperparameter_table(opt, hyperparameters, starts.shape[0])
    finals = np.empty((starts.shape[0], 3))
    counters = np.empty((starts.shape[0], 3), dtype=np.int64)
    _integrate_batch(
        surf.index, surf.address, opt.index, table, starts, steps, noise, seed, minima_array(surf), tol, finals,
        counters,
    )
    return BatchResult(
        final=finals[:, :2],
        final_loss=finals[:, 2],
        diverged_at=counters[:, 0],
        reached_at=counters[:, 1],
        reached_minimum=counters[:, 2],
    )


def surface_grid(surface: str | Surface, resolution: int = 200, bounds=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, z) with z[i, j] = f(xs[j], ys[i]) over the surface's view bounds."""
    surf = get_surface(surface)
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral) or not 2 <= resolution <= 4000:
        raise ValueError(f"resolution={resolution!r} is not valid: expected a whole number in [2, 4000]")
    (x_lo, x_hi), (y_lo, y_hi) = bounds or surf.bounds
    xs = np.linspace(x_lo, x_hi, resolution)
    ys = np.linspace(y_lo, y_hi, resolution)
    return xs, ys, evaluate_grid(surf.index, surf.address, xs, ys)
