"""Maps as the app runs them: a surface chosen as a race chooses it, and a cell back to its race."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..engine.maps import MapResult, basins, sweep
from ..engine.presets import surface_defaults
from .settings import RaceSettings, batch_size_of, complete, surface_of, with_params


def run_sweep(race: RaceSettings, optimizer: str, x: tuple, y: tuple, steps: int, progress=None) -> MapResult:
    """A sweep on the race's surface (a typed formula or data included), from its start, the
    other hyperparameters at the surface's defaults."""
    surface = surface_of(race)
    fixed = {k: v for k, v in surface_defaults(surface)[optimizer].items() if k not in (x[0], y[0])}
    return sweep(surface, optimizer, race.start_point, steps, x=x, y=y, noise=race.noise, seed=race.seed,
                 batch_size=batch_size_of(race), progress=progress, **fixed)


def run_basins(race: RaceSettings, optimizer: str, side: int, steps: int, lr: float | None = None,
               progress=None) -> MapResult:
    """A basin map over the race's view, ``side`` x ``side`` starts, at the surface's suggested lr
    (or ``lr``) and default hyperparameters."""
    surface = surface_of(race)
    params = dict(surface_defaults(surface)[optimizer])
    if lr is not None:
        params["lr"] = lr
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    return basins(surface, optimizer, np.linspace(x_lo, x_hi, side), np.linspace(y_lo, y_hi, side), steps,
                  noise=race.noise, seed=race.seed, batch_size=batch_size_of(race), progress=progress, **params)


def cell_race(race: RaceSettings, result: MapResult, row: int, column: int) -> RaceSettings:
    """The Playground race of one cell: this optimizer alone, the cell's values and start."""
    params = {k: v for k, v in result.fixed.items() if k != "start"}
    if result.x_name == "x":  # a basin map: the cell is a start
        start = (float(result.xs[column]), float(result.ys[row]))
    else:
        start = result.fixed["start"]
        params[result.x_name] = float(result.xs[column])
        params[result.y_name] = float(result.ys[row])
    chosen = replace(race, optimizers=(result.optimizer,), start=start, steps=result.steps, shared_lr=None,
                     focus=None, inside=None, hyperparameters=())
    return complete(with_params(chosen, {result.optimizer: params}))
