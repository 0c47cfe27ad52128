"""Starting hyperparameters that draw a telling race on each surface.

Rather than a hand-kept table, the suggested learning rate is searched for: every value of
:data:`LR_GRID` is run from the surface's start for twice the surface's default steps. Rates
that diverge, leave the view, jump across it or end in a zigzag (see :func:`zigzags`) are
ruled out; of the rest, the one whose loss drops soonest and stays down wins. It takes
milliseconds and is cached per (surface, optimizer).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .optimizers import OPTIMIZERS, get_optimizer
from .simulate import simulate
from .surfaces import Surface, get_surface


def nice_log_grid(low: float, high: float, mantissas: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)) -> list[float]:
    """Round numbers from ``low`` to ``high`` spaced evenly on a log scale: 1, 1.5, 2, 3, 5, 7, 10, ...

    >>> nice_log_grid(0.1, 1.0, (1.0, 2.0, 5.0))
    [0.1, 0.2, 0.5, 1.0]
    """
    values = []
    for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for m in mantissas:
            v = float(f"{m}e{exponent}")
            if low * (1 - 1e-12) <= v <= high * (1 + 1e-12):
                values.append(v)
    return values


def decay_stops(high: float = 0.9999) -> list[float]:
    """Where a decay-rate slider stops: 0 to 0.6 in tenths, then evenly on a log scale of
    1 - decay (1, 1.5, 2, 3, 5, 7 a decade), so 0.9, 0.99, 0.999 and 0.9999 are all stops.

    >>> decay_stops(0.999)[-6:]
    [0.993, 0.995, 0.997, 0.998, 0.9985, 0.999]
    """
    upper = sorted(float(f"{1.0 - gap:.12g}") for gap in nice_log_grid(1.0 - high, 0.5))
    return sorted({0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, *upper})


LR_GRID = np.array(nice_log_grid(1e-6, 10.0, (1.0, 2.0, 5.0)))  # 1, 2, 5 a decade
MAX_JUMP = 0.2  # a suggested lr never jumps more than this fraction of the view's diagonal in one step
VIEW_MARGIN = 0.02  # a suggested lr keeps the race on the map: within the view and this fraction of it
ZIGZAG_STEP = 5e-3  # a zigzag whose steps are shorter than this fraction of the diagonal reads as a line


def view_tolerance(surface: str | Surface) -> float:
    """A distance that counts as "at the minimum" in this view: a thousandth of its diagonal."""
    (x_lo, x_hi), (y_lo, y_hi) = get_surface(surface).bounds
    return 1e-3 * float(np.hypot(x_hi - x_lo, y_hi - y_lo))


def zigzags(path: np.ndarray, min_step: float) -> bool:
    """Whether ``path`` oscillates visibly: most consecutive steps turn back by more than 120
    degrees, and the median step is longer than ``min_step``.

    Plain gradient descent whose zigzag dies out, or a run that hovers at the minimum closer
    than ``min_step``, does not count; RMSProp at too large a rate, bouncing across a valley
    with steps of about lr, does.
    """
    steps = np.diff(path, axis=0)
    if len(steps) < 3:
        return False
    length = np.hypot(steps[:, 0], steps[:, 1])
    dot = np.sum(steps[1:] * steps[:-1], axis=1)
    turned_back = dot < -0.5 * length[1:] * length[:-1]
    return bool(np.mean(turned_back) > 0.5 and np.median(length) > min_step)


def wanders(path: np.ndarray, min_step: float, ratio: float = 10.0) -> bool:
    """Whether ``path`` moves a lot and gets nowhere: its length is more than ``ratio`` times
    the distance between its ends, with a median step longer than ``min_step``. Catches a
    run that bounces chaotically among ripples (SGD at too large a rate on Ackley), which
    does not turn back step after step as a zigzag does."""
    steps = np.diff(path, axis=0)
    if len(steps) < 3:
        return False
    length = np.hypot(steps[:, 0], steps[:, 1])
    net = float(np.hypot(*(path[-1] - path[0])))
    return bool(length.sum() > ratio * net and np.median(length) > min_step)


@lru_cache(maxsize=4096)
def suggested_lr(surface: str | Surface, optimizer: str, steps: int | None = None) -> float:
    """The grid learning rate whose path gets low fastest and stays low, from the surface's start.

    Each grid value runs ``2 * steps`` steps (``steps`` defaults to the surface's). Ruled
    out: runs that diverge (or cannot start: f is not finite at the start), leave the view
    within ``steps`` steps (by more than VIEW_MARGIN of it: off the map), jump across it (one step
    longer than a fifth of its diagonal: no race to watch), or zigzag or wander in their
    second half (:func:`zigzags`, :func:`wanders`: steps over half a percent of the diagonal). Where the minimum is known, the score is the mean
    of log10(f - f_min) over the first ``steps`` steps, so a run that drops early and stays
    down wins over one that thrashes; where it is not (the saddles), the lowest value after
    ``steps`` steps wins. Falls back to the optimizer's own default when every value is ruled out.
    """
    surf = get_surface(surface)
    opt = get_optimizer(optimizer)
    steps = surf.steps if steps is None else steps
    (x_lo, x_hi), (y_lo, y_hi) = surf.bounds
    pad_x, pad_y = VIEW_MARGIN * (x_hi - x_lo), VIEW_MARGIN * (y_hi - y_lo)
    diagonal = float(np.hypot(x_hi - x_lo, y_hi - y_lo))
    best_lr, best_score = float(opt.defaults["lr"]), np.inf
    for lr in LR_GRID:
        t = simulate(surf, opt, steps=2 * steps, lr=float(lr))
        if t.diverged_at is not None:  # also rules out a path that never got past its start
            continue
        x, y = t.path[: steps + 1, 0], t.path[: steps + 1, 1]  # the race as drawn
        in_view = (x.min() >= x_lo - pad_x) & (x.max() <= x_hi + pad_x) & (y.min() >= y_lo - pad_y) & (y.max() <= y_hi + pad_y)
        longest_step = float(np.max(np.hypot(np.diff(x), np.diff(y))))
        late = t.path[steps:]
        if not in_view or longest_step > MAX_JUMP * diagonal or zigzags(late, ZIGZAG_STEP * diagonal) or wanders(
                late, ZIGZAG_STEP * diagonal):
            continue
        if surf.min_value is None:
            score = float(t.loss[steps])
        else:
            score = float(np.mean(np.log10(np.maximum(t.loss[: steps + 1] - surf.min_value, 0.0) + 1e-12)))
        if score < best_score:
            best_lr, best_score = float(lr), score
    return best_lr


LR_SEARCH_SAMPLES = 200
"""A data surface's learning rates are searched on at most this many of its samples (every
k-th): the full-batch loss of 10,000 samples would make the search take seconds."""


def surface_defaults(surface: str | Surface) -> dict[str, dict[str, float | bool]]:
    """Every optimizer's hyperparameters on this surface: registry defaults, suggested lr."""
    surf = get_surface(surface)
    if surf.is_data and surf.data.samples > LR_SEARCH_SAMPLES:
        from .data import data_surface, subsample

        surf = data_surface(subsample(surf.data, LR_SEARCH_SAMPLES))
    return {oid: {**o.defaults, "lr": suggested_lr(surf, oid)} for oid, o in OPTIMIZERS.items()}
