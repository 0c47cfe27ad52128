"""Maps: one run per cell of a plane, through the batch engine.

:func:`sweep` runs one optimizer from one start with two of its hyperparameters varied over a
grid; :func:`basins` runs it from every start of a grid. Each cell equals :func:`simulate`
with the same values, bit for bit (the batch engine's promise). With gradient noise or
mini-batches every cell uses the same ``seed``, so a cell is reproduced alone by
``simulate(..., seed=seed)`` with that cell's values.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .optimizers import get_optimizer
from .presets import view_tolerance
from .simulate import simulate_batch
from .surfaces import Surface, get_surface

MAX_SIDE = 400
"""The most cells along either axis of a map."""
MAX_MAP_STEPS = 2000
"""The most steps a map's runs take."""
CHUNKS_FOR_PROGRESS = 2_000_000
"""Run steps per progress report (a map is run in parts of about this many)."""


@dataclass(frozen=True, eq=False)
class MapResult:
    """Where each cell's run ended; arrays indexed [row = y value, column = x value]. -1 in an
    integer array means "never"."""

    surface: str
    optimizer: str
    x_name: str  # a hyperparameter's name, or "x" for a basin map's starts
    xs: np.ndarray
    y_name: str
    ys: np.ndarray
    steps: int
    seed: int
    fixed: dict  # the hyperparameters every cell shares (and, for a sweep, the start)
    final: np.ndarray  # (ny, nx, 2)
    final_loss: np.ndarray  # (ny, nx)
    diverged_at: np.ndarray  # (ny, nx) int64
    reached_at: np.ndarray
    reached_minimum: np.ndarray  # index into the surface's minima


Sweep = MapResult
Basins = MapResult


def _axis(name: str, values, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what} values are not valid: expected numbers") from None
    if arr.ndim != 1 or not 1 <= arr.shape[0] <= MAX_SIDE or not np.isfinite(arr).all():
        raise ValueError(f"{what} ({name}) needs 1 to {MAX_SIDE} finite values, got shape {arr.shape}")
    return arr


def _steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or not 1 <= steps <= MAX_MAP_STEPS:
        raise ValueError(f"steps={steps!r} is not valid: expected a whole number from 1 to {MAX_MAP_STEPS}")
    return int(steps)


def _run(surf: Surface, optimizer: str, starts: np.ndarray, steps: int, shape: tuple[int, int],
         progress: Callable[[float], None] | None, noise: float, seed: int, batch_size, hyper: dict) -> tuple:
    """simulate_batch over ``starts`` in parts (reporting progress), reshaped to the map."""
    runs = starts.shape[0]
    part = max(1, min(runs, CHUNKS_FOR_PROGRESS // steps))
    pieces = []
    for lo in range(0, runs, part):
        hi = min(runs, lo + part)
        chunk = {k: (v[lo:hi] if np.ndim(v) else v) for k, v in hyper.items()}
        pieces.append(simulate_batch(surf, optimizer, starts[lo:hi], steps, noise=noise, seed=seed,
                                     tol=view_tolerance(surf), batch_size=batch_size, **chunk))
        if progress is not None:
            progress(hi / runs)
    ny, nx = shape
    join = lambda name: np.concatenate([getattr(p, name) for p in pieces])  # noqa: E731
    return (join("final").reshape(ny, nx, 2), join("final_loss").reshape(ny, nx),
            join("diverged_at").reshape(ny, nx), join("reached_at").reshape(ny, nx),
            join("reached_minimum").reshape(ny, nx))


def sweep(
    surface: str | Surface,
    optimizer: str,
    start: tuple[float, float] | None = None,
    steps: int = 500,
    *,
    x: tuple[str, Sequence[float]] = ("lr", np.geomspace(1e-4, 1.0, 50)),
    y: tuple[str, Sequence[float]] = ("alpha", np.linspace(0.5, 0.999, 50)),
    noise: float = 0.0,
    seed: int = 0,
    batch_size: int | None = None,
    progress: Callable[[float], None] | None = None,
    **fixed,
) -> MapResult:
    """One run per (x value, y value): two numeric hyperparameters of ``optimizer`` as the axes,
    the others ``fixed`` (the registry's defaults otherwise), all from ``start``.

    >>> s = sweep("quadratic", "sgd", (1.0, 1.0), 10, x=("lr", [0.1, 0.6]), y=("weight_decay", [0.0]))
    >>> s.diverged_at.tolist()  # lr 0.6 on 2 y^2: each step multiplies y by 1 - 0.6 * 4 = -1.4
    [[-1, -1]]
    """
    surf = get_surface(surface)
    opt = get_optimizer(optimizer)
    (x_name, x_values), (y_name, y_values) = x, y
    for name in (x_name, y_name):
        spec = opt.hyperparameter(name)  # a ValueError naming the choices for an unknown name
        if spec.is_bool:
            raise ValueError(f"{opt.id}.{name} is true or false: a map's axis needs a numeric hyperparameter")
        if name in fixed:
            raise ValueError(f"{opt.id}.{name} is an axis of the map and cannot also be fixed")
    if x_name == y_name:
        raise ValueError(f"x and y are both {x_name!r}: a map needs two different hyperparameters")
    xs, ys = _axis(x_name, x_values, "x"), _axis(y_name, y_values, "y")
    steps = _steps(steps)
    start = surf.start if start is None else start
    gx, gy = np.meshgrid(xs, ys)
    starts = np.tile(np.asarray(start, dtype=np.float64), (gx.size, 1))
    fields = _run(surf, opt.id, starts, steps, gx.shape, progress, noise, seed, batch_size,
                  {**fixed, x_name: gx.ravel(), y_name: gy.ravel()})
    return MapResult(surf.id, opt.id, x_name, xs, y_name, ys, steps, seed, {**fixed, "start": tuple(map(float, start))},
                     *fields)


def basins(
    surface: str | Surface,
    optimizer: str,
    xs: Sequence[float],
    ys: Sequence[float],
    steps: int = 500,
    *,
    noise: float = 0.0,
    seed: int = 0,
    batch_size: int | None = None,
    progress: Callable[[float], None] | None = None,
    **hyperparameters,
) -> MapResult:
    """One run from every start (x, y) of the grid ``xs`` x ``ys``, with these hyperparameters.
    ``reached_minimum`` says which of the surface's minima each start reaches (-1: none)."""
    surf = get_surface(surface)
    opt = get_optimizer(optimizer)
    xs, ys = _axis("x", xs, "x"), _axis("y", ys, "y")
    steps = _steps(steps)
    gx, gy = np.meshgrid(xs, ys)
    starts = np.column_stack([gx.ravel(), gy.ravel()])
    fields = _run(surf, opt.id, starts, steps, gx.shape, progress, noise, seed, batch_size, hyperparameters)
    return MapResult(surf.id, opt.id, "x", xs, "y", ys, steps, seed, dict(hyperparameters), *fields)


def axis_values(low: float, high: float, count: int, log: bool) -> np.ndarray:
    """``count`` values from low to high, evenly on a log scale or a linear one."""
    if log:
        return np.geomspace(low, high, count)
    return np.linspace(low, high, count)


def is_log_axis(optimizer: str, name: str) -> bool:
    """Whether a hyperparameter is drawn on a log axis (learning rates, eps, step sizes)."""
    return get_optimizer(optimizer).hyperparameter(name).scale == "log"


def decay_like(optimizer: str) -> str | None:
    """The optimizer's first hyperparameter other than lr worth sweeping against it."""
    opt = get_optimizer(optimizer)
    names = [p.name for p in opt.hyperparameters if not p.is_bool and p.name != "lr"]
    for p in opt.hyperparameters:
        if p.name in names and p.scale == "decay":
            return p.name
    return names[0] if names else None


def finite_or(value: float, fallback: float) -> float:
    return value if math.isfinite(value) else fallback
