"""The simulation driver: run an optimizer on a surface, one path or a batch of them.

Two compiled loops share the same kernels: :func:`_integrate` serves :func:`simulate` (which
records the path, the loss and the optimizer's state at every step), and :func:`_run_lanes`
serves :func:`simulate_batch` (which runs many starts or hyperparameter settings, LANES at a
time in SIMD lockstep, threads in parallel, and keeps only where each run ended). Both take
the surface and the optimizer as integer indices into module-level kernels, so each is
compiled once, cached on disk, and never recompiled per surface, optimizer or call.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from numba import njit, prange, uint64

from .lanes import LANES
from .optimizers import (
    STATE_WIDTH,
    Optimizer,
    choose,
    get_optimizer,
    init_state,
    resolve_hyperparameter_table,
    resolve_hyperparameters,
    update,
    update_lanes,
)
from .surfaces import Surface, batch_loss, data_loss, evaluate, evaluate_lanes, get_surface, minima_array

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
def _fresh_state(oid, h):
    """The hyperparameters per coordinate (H: column 0 serves x, column 1 serves y) and the
    optimizer's initial state S, for one run."""
    H = np.empty((h.shape[0], 2))
    for k in range(h.shape[0]):  # a loop, not H[:, 0] = h: numba's shape-mismatch message for a
        H[k, 0] = h[k]  # slice assignment compiles string formatting, which slows a fresh install
        H[k, 1] = h[k]
    S = np.empty((STATE_WIDTH, 2))
    init_state(oid, H, S, 0)
    init_state(oid, H, S, 1)
    return H, S


@njit(cache=True, error_model="numpy", inline="always")
def _write(path, loss, states, row, x, y, f, S, with_state):
    """Record a point, its loss and (``with_state``) the optimizer's state in ``row``."""
    path[row, 0] = x
    path[row, 1] = y
    loss[row] = f
    if with_state:
        for k in range(STATE_WIDTH):
            states[row, 0, k] = S[k, 0]
            states[row, 1, k] = S[k, 1]


@njit(cache=True, error_model="numpy", nogil=True)
def _integrate(sid, address, oid, h, x0, y0, steps, noise, seed, minima, tol, path, loss, states):
    """Run ``steps`` updates from (x0, y0), filling path/loss/states row by row.

    Returns (points, diverged_at, reached_at, reached_index): the number of finite points
    (the start included), the first step whose position or loss is not finite (-1 if none),
    and the first step within ``tol`` of a minimum and which one (-1 if never). No fastmath
    here: the finiteness checks must see inf/NaN.
    """
    H, S = _fresh_state(oid, h)
    x, y = x0, y0
    f, gx, gy = evaluate(sid, address, x, y)
    _write(path, loss, states, 0, x, y, f, S, False)
    states[0] = np.nan
    if not math.isfinite(f):
        return 1, 0, -1, -1
    reached_index = _nearest_within(minima, tol, x, y)
    reached_at = 0 if reached_index >= 0 else -1
    for t in range(1, steps + 1):
        if noise > 0.0:
            gx += noise * gaussian(seed, 2 * t)
            gy += noise * gaussian(seed, 2 * t + 1)
        x = update(oid, H, S, 0, x, gx, float(t))
        y = update(oid, H, S, 1, y, gy, float(t))
        f, gx, gy = evaluate(sid, address, x, y)
        if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(f)):
            return t, t, reached_at, reached_index
        _write(path, loss, states, t, x, y, f, S, True)
        if reached_at < 0:
            reached_index = _nearest_within(minima, tol, x, y)
            if reached_index >= 0:
                reached_at = t
    return steps + 1, -1, reached_at, reached_index


@njit(cache=True, error_model="numpy", nogil=True)
def _integrate_minibatch(address, oid, h, x0, y0, steps, noise, seed, minima, tol, indices, offsets, path, loss, states,
                         record=True):
    """:func:`_integrate` on a data surface with mini-batches: step t's gradient is the mean
    over samples ``indices[offsets[t-1]:offsets[t]]`` at the current point; ``loss`` records the
    full-batch loss at each point (what the map's contours show). Without ``record`` only row 0
    of path and loss is written, and the last point goes there (a batch of runs keeps only that)."""
    H, S = _fresh_state(oid, h)
    x, y = x0, y0
    f = data_loss(address, x, y)[0]
    _write(path, loss, states, 0, x, y, f, S, False)
    if record:
        states[0] = np.nan
    if not math.isfinite(f):
        return 1, 0, -1, -1
    reached_index = _nearest_within(minima, tol, x, y)
    reached_at = 0 if reached_index >= 0 else -1
    for t in range(1, steps + 1):
        _, gx, gy = batch_loss(address, x, y, indices, offsets[t - 1], offsets[t])
        if noise > 0.0:
            gx += noise * gaussian(seed, 2 * t)
            gy += noise * gaussian(seed, 2 * t + 1)
        x = update(oid, H, S, 0, x, gx, float(t))
        y = update(oid, H, S, 1, y, gy, float(t))
        f = data_loss(address, x, y)[0]
        if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(f)):
            return t, t, reached_at, reached_index
        _write(path, loss, states, t if record else 0, x, y, f, S, record)
        if reached_at < 0:
            reached_index = _nearest_within(minima, tol, x, y)
            if reached_index >= 0:
                reached_at = t
    return steps + 1, -1, reached_at, reached_index


@njit(cache=True, error_model="numpy")
def _run_lanes(sid, address, oid, HT, starts, first, steps, noise, seed, minima, tol, finals, counters):
    """Runs ``first`` to ``first + LANES - 1`` of a batch, in lockstep (see :func:`_integrate_batch`).

    Positions live in ``P`` (x of every run, then y of every run), gradients in ``G`` laid out
    the same way, so one optimizer or surface loop covers all lanes with no branch per lane.
    A run that stops (a non-finite point) has its position set to NaN, which every kernel
    carries forward, so it is counted as stopped without a per-lane test on the fast path.
    Runs past the end of the batch repeat its last run and are not written back.
    """
    n = LANES
    runs = starts.shape[0]
    P = np.empty(2 * n)
    G = np.empty(2 * n)
    F = np.empty(n)
    before = np.empty(2 * n)  # every lane's position before the current step
    pending = np.zeros(n)  # 1.0 while a lane runs and has not yet reached a minimum
    near = np.empty(n)
    H = np.empty((HT.shape[0], 2 * n))
    S = np.empty((STATE_WIDTH, 2 * n))
    last = np.empty((n, 3))  # where a stopped run's last finite point was
    diverged_at = np.full(n, -1, dtype=np.int64)
    reached_at = np.full(n, -1, dtype=np.int64)
    reached_index = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        run = min(first + i, runs - 1)
        for j in range(HT.shape[0]):
            H[j, i] = HT[j, run]
            H[j, n + i] = HT[j, run]
        init_state(oid, H, S, i)
        init_state(oid, H, S, n + i)
        P[i] = starts[run, 0]
        P[n + i] = starts[run, 1]
    evaluate_lanes(sid, address, P, F, G)
    stopped = 0
    for i in range(n):
        if not math.isfinite(F[i]):
            last[i, 0], last[i, 1], last[i, 2] = P[i], P[n + i], F[i]
            diverged_at[i] = 0
            P[i] = P[n + i] = np.nan
            stopped += 1
        else:
            reached_index[i] = _nearest_within(minima, tol, P[i], P[n + i])
            reached_at[i] = 0 if reached_index[i] >= 0 else -1
            pending[i] = 1.0 if reached_at[i] < 0 else 0.0
    for t in range(1, steps + 1):
        if stopped == n:
            break
        if noise > 0.0:
            noise_x = noise * gaussian(seed, 2 * t)
            noise_y = noise * gaussian(seed, 2 * t + 1)
            for i in range(n):
                G[i] += noise_x
                G[n + i] += noise_y
        update_lanes(oid, H, S, P, G, float(t), before)
        evaluate_lanes(sid, address, P, F, G)
        not_finite = 0  # 0 * v is NaN exactly when v is inf or NaN
        for i in range(n):
            not_finite += (0.0 * P[i] + 0.0 * P[n + i] + 0.0 * F[i]) != 0.0
        if not_finite > stopped:
            for i in range(n):
                if diverged_at[i] < 0 and not (math.isfinite(P[i]) and math.isfinite(P[n + i]) and math.isfinite(F[i])):
                    # the loss there, recomputed: the same kernel on the same point, the same bits
                    last[i, 0], last[i, 1] = before[i], before[n + i]
                    last[i, 2] = evaluate(sid, address, before[i], before[n + i])[0]
                    diverged_at[i] = t
                    P[i] = P[n + i] = np.nan
                    pending[i] = 0.0
                    stopped += 1
        for k in range(minima.shape[0]):
            # Which pending lanes are within tol of minimum k: a select and a max, so the
            # two loops vectorise; the rare hit is then sorted out lane by lane.
            mx, my, tol2 = minima[k, 0], minima[k, 1], tol * tol
            for i in range(n):
                dx = P[i] - mx
                dy = P[n + i] - my
                near[i] = choose(dx * dx + dy * dy <= tol2, pending[i], 0.0)
            hits = 0.0
            for i in range(n):
                hits = max(hits, near[i])
            if hits > 0.0:  # find which lanes arrived, and at which minimum (the first, as _integrate)
                for i in range(n):
                    if pending[i] > 0.0:
                        reached_index[i] = _nearest_within(minima, tol, P[i], P[n + i])
                        if reached_index[i] >= 0:
                            reached_at[i] = t
                            pending[i] = 0.0
                break
    for i in range(min(n, runs - first)):
        if diverged_at[i] < 0:
            finals[first + i, 0], finals[first + i, 1], finals[first + i, 2] = P[i], P[n + i], F[i]
        else:
            finals[first + i, 0], finals[first + i, 1], finals[first + i, 2] = last[i, 0], last[i, 1], last[i, 2]
        counters[first + i, 0] = diverged_at[i]
        counters[first + i, 1] = reached_at[i]
        counters[first + i, 2] = reached_index[i]


@njit(cache=True, error_model="numpy", parallel=True, nogil=True)  # other sessions run meanwhile
def _integrate_batch(sid, address, oid, HT, starts, steps, noise, seed, minima, tol, finals, counters):
    """Run every column of ``HT`` (hyperparameters, one column per run) from the matching row
    of ``starts``, LANES runs per task, tasks in parallel.

    Each run does exactly :func:`_integrate`'s arithmetic (the same kernels, no fastmath), so a
    batch equals single runs bit for bit. Writes (x, y, f) of each run's last finite point to
    ``finals`` and (diverged_at, reached_at, reached_index) to ``counters``.
    """
    tasks = (starts.shape[0] + LANES - 1) // LANES
    for task in prange(tasks):
        _run_lanes(sid, address, oid, HT, starts, task * LANES, steps, noise, seed, minima, tol, finals, counters)


@njit(cache=True, error_model="numpy", parallel=True, nogil=True)  # other sessions run meanwhile
def _minibatch_batch(address, oid, HT, starts, steps, noise, seed, minima, tol, indices, offsets, finals, counters):
    """:func:`_integrate_minibatch` for every run of a batch (runs in parallel, one at a time each:
    a mini-batch step's cost is its samples, not the optimizer's arithmetic, so no lanes)."""
    for run in prange(starts.shape[0]):
        path = np.empty((1, 2))
        loss = np.empty(1)
        states = np.empty((1, 2, STATE_WIDTH))
        h = HT[:, run].copy()
        _, diverged_at, reached_at, reached_index = _integrate_minibatch(
            address, oid, h, starts[run, 0], starts[run, 1], steps, noise, seed, minima, tol, indices, offsets,
            path, loss, states, False)
        finals[run, 0], finals[run, 1], finals[run, 2] = path[0, 0], path[0, 1], loss[0]
        counters[run, 0] = diverged_at
        counters[run, 1] = reached_at
        counters[run, 2] = reached_index


@njit(cache=True, error_model="numpy", nogil=True)
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
    batches: object = None  # a data surface's Batches (optviz.engine.data): each step's samples

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
    batch_size: int | None = None,
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
        batch_size: on a data surface, the samples per step's gradient (1 to all; None: all).
            Each epoch is a new permutation drawn from ``seed``; ``Trajectory.batches`` says
            which samples each step used. The loss recorded is the full-batch loss.
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
    batches = _batches(surf, batch_size, steps, seed)
    path = np.empty((steps + 1, 2))
    loss = np.empty(steps + 1)
    states = np.empty((steps + 1, 2, STATE_WIDTH))
    if batches is None or batches.full:
        points, diverged_at, reached_at, reached_index = _integrate(
            surf.index, surf.address, opt.index, h, x0, y0, steps, noise, seed, minima_array(surf), tol, path, loss, states,
        )
    else:
        points, diverged_at, reached_at, reached_index = _integrate_minibatch(
            surf.address, opt.index, h, x0, y0, steps, noise, seed, minima_array(surf), tol, batches.indices,
            batches.offsets, path, loss, states,
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
        batches=batches,
    )


def _batches(surf: Surface, batch_size, steps: int, seed: int):
    """A data surface's mini-batch schedule (full batches when ``batch_size`` is None), or None."""
    if not surf.is_data:
        if batch_size is not None:
            raise ValueError(f"batch_size={batch_size!r} applies only to a data surface (a model trained on samples)")
        return None
    from .data import batch_schedule

    n = surf.data.samples
    if batch_size is None:
        batch_size = n
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or not 1 <= batch_size <= n:
        raise ValueError(f"batch_size={batch_size!r} is not valid: expected a whole number from 1 to {n} (the samples)")
    return batch_schedule(n, int(batch_size), steps, seed)


def simulate_batch(
    surface: str | Surface,
    optimizer: str | Optimizer,
    starts,
    steps: int = 300,
    *,
    noise: float = 0.0,
    seed: int = 0,
    tol: float = DEFAULT_TOLERANCE,
    batch_size: int | None = None,
    **hyperparameters,
) -> BatchResult:
    """Run B trajectories in parallel and report where each ended.

    ``starts`` is a (B, 2) array; any hyperparameter may be a scalar or an array of length B
    (one value per run), so a call can sweep a learning rate, a start grid, or both. Every
    run equals :func:`simulate` with the same arguments, to the last bit: on a data surface with
    ``batch_size``, every run sees the same batches (drawn from ``seed``), as simulate's would.
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
    batches = _batches(surf, batch_size, steps, seed)
    if batches is None or batches.full:
        _integrate_batch(
            surf.index, surf.address, opt.index, np.ascontiguousarray(table.T), starts, steps, noise, seed,
            minima_array(surf), tol, finals, counters,
        )
    else:
        _minibatch_batch(surf.address, opt.index, np.ascontiguousarray(table.T), starts, steps, noise, seed,
                         minima_array(surf), tol, batches.indices, batches.offsets, finals, counters)
    return BatchResult(
        final=finals[:, :2],
        final_loss=finals[:, 2],
        diverged_at=counters[:, 0],
        reached_at=counters[:, 1],
        reached_minimum=counters[:, 2],
    )


DATA_GRID_BUDGET = 4_000_000
"""Sample evaluations a data surface's picture may cost: its loss is computed exactly on a grid of
at most this many (grid points x samples), at least 24 x 24, and interpolated between."""


def grid_values(surf: Surface, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """f on the grid xs x ys, indexed [row = y, column = x]. A data surface costs its sample
    count per point, so its values come from an exact coarser grid of values and gradients,
    joined by cubic Hermite interpolation (the loss of these models is smooth); every other
    surface is evaluated at each point."""
    if not surf.is_data:
        return evaluate_grid(surf.index, surf.address, xs, ys)
    side = max(24, int(math.sqrt(DATA_GRID_BUDGET / surf.data.samples)))
    if xs.shape[0] <= side and ys.shape[0] <= side:
        return evaluate_grid(surf.index, surf.address, xs, ys)
    cx = np.linspace(min(xs[0], xs[-1]), max(xs[0], xs[-1]), min(side, xs.shape[0]))
    cy = np.linspace(min(ys[0], ys[-1]), max(ys[0], ys[-1]), min(side, ys.shape[0]))
    f, fx, fy = _values_and_gradients(surf.index, surf.address, cx, cy)
    rows = _hermite(cx, f, fx, xs)  # along x on each coarse row: (len(cy), len(xs))
    row_slopes = _hermite(cx, fy, None, xs)  # df/dy along those rows (no cross derivative: linear)
    return _hermite(cy, rows.T, row_slopes.T, ys).T


def _hermite(nodes: np.ndarray, values: np.ndarray, slopes: np.ndarray | None, at: np.ndarray) -> np.ndarray:
    """Along the last axis of ``values`` (at rising ``nodes``): cubic Hermite interpolation at ``at``
    with these slopes, or linear without them."""
    k = np.clip(np.searchsorted(nodes, at) - 1, 0, nodes.shape[0] - 2)
    h = nodes[k + 1] - nodes[k]
    t = (at - nodes[k]) / h
    v0, v1 = values[..., k], values[..., k + 1]
    if slopes is None:
        return v0 + t * (v1 - v0)
    t2, t3 = t * t, t * t * t
    return ((2 * t3 - 3 * t2 + 1) * v0 + (t3 - 2 * t2 + t) * h * slopes[..., k] + (3 * t2 - 2 * t3) * v1
            + (t3 - t2) * h * slopes[..., k + 1])


@njit(cache=True, error_model="numpy", nogil=True)
def _values_and_gradients(sid, address, xs, ys):
    """f, df/dx and df/dy on the grid xs x ys, each indexed [row = y, column = x]."""
    f = np.empty((ys.shape[0], xs.shape[0]))
    fx = np.empty_like(f)
    fy = np.empty_like(f)
    for i in range(ys.shape[0]):
        for j in range(xs.shape[0]):
            f[i, j], fx[i, j], fy[i, j] = evaluate(sid, address, xs[j], ys[i])
    return f, fx, fy


def surface_grid(surface: str | Surface, resolution: int = 200, bounds=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, z) with z[i, j] = f(xs[j], ys[i]) over the surface's view bounds."""
    surf = get_surface(surface)
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral) or not 2 <= resolution <= 4000:
        raise ValueError(f"resolution={resolution!r} is not valid: expected a whole number in [2, 4000]")
    (x_lo, x_hi), (y_lo, y_hi) = bounds or surf.bounds
    xs = np.linspace(x_lo, x_hi, resolution)
    ys = np.linspace(y_lo, y_hi, resolution)
    return xs, ys, grid_values(surf, xs, ys)
