"""Starting hyperparameters that draw a telling race on each surface.

Rather than a hand-kept table, the suggested learning rate is searched for: every value of
:data:`LR_GRID` is run from the surface's start, and the one whose loss drops soonest and
stays down (or, on a surface with no minimum, ends lowest while staying in view) wins. It
takes milliseconds and is cached per (surface, optimizer).
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


LR_GRID = np.array(nice_log_grid(1e-6, 10.0, (1.0, 2.0, 5.0)))  # 1, 2, 5 a decade
PRESET_STEPS = 300
MAX_JUMP = 0.2  # a suggested lr never jumps more than this fraction of the view's diagonal in one step


@lru_cache(maxsize=4096)
def suggested_lr(surface: str | Surface, optimizer: str, steps: int = PRESET_STEPS) -> float:
    """The grid learning rate whose path gets low fastest and stays low, from the surface's start.

    Each grid value is run for ``steps`` steps. Runs that diverge, leave the view (widened
    by a quarter on each side) or jump across it (one step longer than a fifth of its
    diagonal: no race to watch) are ruled out. Where the minimum is known, the score is the
    mean of log10(f - f_min) along the path, so a run that drops early and stays down wins
    over one that thrashes; where it is not (the saddles), the lowest final value wins. Falls
    back to the optimizer's own default when every grid value is ruled out.
    """
    surf = get_surface(surface)
    opt = get_optimizer(optimizer)
    (x_lo, x_hi), (y_lo, y_hi) = surf.bounds
    pad_x, pad_y = 0.25 * (x_hi - x_lo), 0.25 * (y_hi - y_lo)
    diagonal = float(np.hypot(x_hi - x_lo, y_hi - y_lo))
    best_lr, best_score = float(opt.defaults["lr"]), np.inf
    for lr in LR_GRID:
        t = simulate(surf, opt, steps=steps, lr=float(lr))
        x, y = t.path[:, 0], t.path[:, 1]
        in_view = (x.min() >= x_lo - pad_x) & (x.max() <= x_hi + pad_x) & (y.min() >= y_lo - pad_y) & (y.max() <= y_hi + pad_y)
        longest_step = float(np.max(np.hypot(np.diff(x), np.diff(y))))
        if t.diverged_at is not None or not in_view or longest_step > MAX_JUMP * diagonal:
            continue
        if surf.min_value is None:
            score = t.final_loss
        else:
            score = float(np.mean(np.log10(np.maximum(t.loss - surf.min_value, 0.0) + 1e-12)))
        if score < best_score:
            best_lr, best_score = float(lr), score
    return best_lr


def view_tolerance(surface: str | Surface) -> float:
    """A distance that counts as "at the minimum" in this view: a thousandth of its diagonal."""
    (x_lo, x_hi), (y_lo, y_hi) = get_surface(surface).bounds
    return 1e-3 * float(np.hypot(x_hi - x_lo, y_hi - y_lo))


def surface_defaults(surface: str | Surface) -> dict[str, dict[str, float | bool]]:
    """Every optimizer's hyperparameters on this surface: registry defaults, suggested lr."""
    surf = get_surface(surface)
    return {oid: {**o.defaults, "lr": suggested_lr(surf, oid)} for oid, o in OPTIMIZERS.items()}
