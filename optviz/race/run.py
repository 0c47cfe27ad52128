"""One race, as the Playground shows it: run every chosen optimizer and title it.

The page, the exports and the command line all call these, so a download or a ``python -m
optviz`` run is exactly the race on screen.
"""

from __future__ import annotations

from collections.abc import Callable

from ..engine.optimizers import OPTIMIZERS
from ..engine.presets import view_tolerance
from ..engine.simulate import Trajectory, simulate
from .settings import RaceSettings, batch_size_of, surface_of


def run_race(settings: RaceSettings, progress: Callable[[float], None] | None = None
             ) -> tuple[list[Trajectory], dict[str, str]]:
    """Every chosen optimizer's trajectory, in the order chosen; a run that cannot start
    (say, rprop with step_size_min > step_size_max) is left out and its reason reported.
    ``progress(fraction)`` is called after each optimizer when given.

    Returns:
        (runs, errors): the trajectories, and optimizer id -> error message for the others.
    """
    runs, errors = [], {}
    for oid in settings.optimizers:
        try:
            runs.append(
                simulate(
                    surface_of(settings),
                    oid,
                    settings.start_point,
                    settings.step_count,
                    noise=settings.noise,
                    seed=settings.seed,
                    tol=view_tolerance(surface_of(settings)),
                    batch_size=batch_size_of(settings),
                    **settings.params_of(oid),
                )
            )
        except ValueError as err:
            errors[oid] = str(err)
        if progress is not None:
            progress((len(runs) + len(errors)) / len(settings.optimizers))
    return runs, errors


def work(surface, runs: int, steps: int) -> int:
    """The cost of ``runs`` runs of ``steps`` steps, in steps times the samples each step's loss
    is taken over (one on a formula surface): the measure the server's heavy pool counts in."""
    return runs * steps * (surface.data.samples if surface.is_data else 1)


def race_work(settings: RaceSettings) -> int:
    """The cost of a complete race (see :func:`work`)."""
    return work(surface_of(settings), len(settings.optimizers), settings.step_count)


def race_title(settings: RaceSettings, runs: list[Trajectory]) -> str:
    """The map's title: surface, how many optimizers, steps, and the noise if any."""
    noise = f", noise {settings.noise:g} (seed {settings.seed})" if settings.noise else ""
    batch = batch_size_of(settings)
    if batch is not None:
        n = surface_of(settings).data.samples
        noise += ", full batch" if batch == n else f", batch {batch} of {n} (seed {settings.seed})"
    count = f"{len(runs)} optimizer{'s' if len(runs) != 1 else ''}"
    return f"{surface_of(settings).name}: {count}, {settings.step_count} steps{noise}"


def settings_caption(settings: RaceSettings, runs: list[Trajectory]) -> str:
    """One line naming the start and each optimizer's learning rate and other changed values."""
    x, y = settings.start_point
    parts = [f"start ({x:g}, {y:g})"]
    for t in runs:
        defaults = OPTIMIZERS[t.optimizer].defaults
        changed = [f"{k}={_short(v)}" for k, v in t.hyperparameters.items() if k == "lr" or v != defaults[k]]
        parts.append(f"{OPTIMIZERS[t.optimizer].name} {', '.join(changed)}")
    return "; ".join(parts)


def _short(value: float | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else f"{value:g}"


def frame_ms(settings: RaceSettings) -> int:
    """Milliseconds per animation frame at the race's playback speed."""
    return int(60 / settings.speed)
