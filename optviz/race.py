"""One race, as the Playground shows it: run every chosen optimizer, title it, draw it.

The page, the exports and the command line all call these, so a download or a ``python -m
optviz`` run is exactly the race on screen.
"""

from __future__ import annotations

from .figures import RaceFigure, race_figure
from .optimizers import OPTIMIZERS
from .presets import view_tolerance
from .settings import RaceSettings
from .simulate import Trajectory, simulate


def run_race(settings: RaceSettings) -> tuple[list[Trajectory], dict[str, str]]:
    """Every chosen optimizer's trajectory, in the order chosen; a run that cannot start
    (say, rprop with step_size_min > step_size_max) is left out and its reason reported.

    Returns:
        (runs, errors): the trajectories, and optimizer id -> error message for the others.
    """
    runs, errors = [], {}
    for oid in settings.optimizers:
        try:
            runs.append(
                simulate(
                    settings.surface_obj,
                    oid,
                    settings.start_point,
                    settings.steps,
                    noise=settings.noise,
                    seed=settings.seed,
                    tol=view_tolerance(settings.surface_obj),
                    **settings.params_of(oid),
                )
            )
        except ValueError as err:
            errors[oid] = str(err)
    return runs, errors


def race_title(settings: RaceSettings, runs: list[Trajectory]) -> str:
    """The map's title: surface, how many optimizers, steps, and the noise if any."""
    noise = f", noise {settings.noise:g} (seed {settings.seed})" if settings.noise else ""
    count = f"{len(runs)} optimizer{'s' if len(runs) != 1 else ''}"
    return f"{settings.surface_obj.name}: {count}, {settings.steps} steps{noise}"


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


def race_map(settings: RaceSettings, runs: list[Trajectory], **kwargs) -> RaceFigure:
    """The animated race map the Playground shows for ``settings`` (keyword arguments go to
    :func:`optviz.figures.race_figure`)."""
    kwargs.setdefault("title", race_title(settings, runs))
    return race_figure(
        settings.surface_obj,
        runs,
        start=settings.start_point,
        frame_ms=frame_ms(settings),
        **kwargs,
    )


def frame_ms(settings: RaceSettings) -> int:
    """Milliseconds per animation frame at the race's playback speed."""
    return int(60 / settings.speed)


def warm_up() -> None:
    """Run and draw the default race once, as a first page does.

    This loads the compiled kernels (on the first run after an install, compiles them), the
    plotting and export modules, and the default surface's contour raster. ``serve.py`` calls
    it in a background thread when the server starts, so the first visitor's page does not
    wait for it.
    """
    from . import export  # noqa: F401  (the page imports it; loading it here is the point)
    from .figures import distance_figure, loss_figure
    from .settings import from_query

    settings = from_query({})
    runs, _ = run_race(settings)
    race_map(settings, runs).to_json()
    loss_figure(settings.surface_obj, runs).to_json()
    distance_figure(settings.surface_obj, runs).to_json()
