"""One race, as the Playground shows it: run every chosen optimizer, title it, draw it.

The page, the exports and the command line all call these, so a download or a ``python -m
optviz`` run is exactly the race on screen.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from .figures import RaceFigure, race_figure, surface_3d_figure
from .optimizers import OPTIMIZERS
from .presets import view_tolerance
from .settings import RaceSettings
from .simulate import Trajectory, _integrate, _integrate_batch, evaluate_grid, simulate


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
                    settings.step_count,
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
    return f"{settings.surface_obj.name}: {count}, {settings.step_count} steps{noise}"


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
    :func:`optviz.figures.race_figure`; untitled unless given a ``title``)."""
    return race_figure(
        settings.surface_obj,
        runs,
        start=settings.start_point,
        frame_ms=frame_ms(settings),
        equal_axes=settings.equal_axes,
        focus=settings.focus,
        **kwargs,
    )


def race_3d(settings: RaceSettings, runs: list[Trajectory], **kwargs) -> RaceFigure:
    """The race over the surface in 3D, seen from the settings' camera (keyword arguments go
    to :func:`optviz.figures.surface_3d_figure`, such as a ``view`` turned with the mouse)."""
    return surface_3d_figure(
        settings.surface_obj,
        runs,
        camera=settings.camera,
        start=settings.start_point,
        frame_ms=frame_ms(settings),
        equal_axes=settings.equal_axes,
        focus=settings.focus,
        **kwargs,
    )


def frame_ms(settings: RaceSettings) -> int:
    """Milliseconds per animation frame at the race's playback speed."""
    return int(60 / settings.speed)


WARM = threading.Event()
"""Set once :func:`warm_up` has finished in this process (the page shows a placeholder map until then)."""
_WARMING = threading.Lock()


def warm_up(parallel: bool = False) -> subprocess.Popen | None:
    """Run and draw the default race once, as a first page does; later calls return at once.

    This loads the compiled kernels (on the first run after an install, compiles them), the
    plotting and export modules, and the default surface's contour raster. ``serve.py`` calls
    it in a background thread as the server starts, unless the kernels are recorded as cached
    (views/warm_start.py); a page that arrives meanwhile waits here for that call to finish.

    With ``parallel``, kernels missing from numba's on-disk cache (or stale there) are compiled
    in helper processes, which this thread waits for without holding the GIL: the simulation
    (5 to 10 s, by machine) and the contour grid (2 to 4 s) side by side; then, whoever warmed
    the process up, the batch kernel (10 to 25 s) that typed formulas and sweeps need later.
    Compiled in this thread, numba held the GIL for the whole simulation compile, and the
    server's own threads (the first visitor's session and page) crawled.

    Returns:
        The batch kernel's helper process, still compiling, for the caller to wait for; None
        if none was started.
    """
    with _WARMING:
        if not WARM.is_set():
            _warm_up_here(parallel)
            WARM.set()
    if not parallel:
        return None
    # Niced: it runs while the first page is still being drawn, and no page waits for it.
    return _compile_elsewhere(_integrate_batch, "optviz.simulate_batch('quadratic', 'sgd', [[0.0, 0.0]], 2)", nice=19)


def _warm_up_here(parallel: bool) -> None:
    from . import export  # noqa: F401  (the page imports it; loading it here is the point)
    from .figures import distance_figure, loss_figure
    from .settings import from_query

    if parallel:
        helpers = [_compile_elsewhere(_integrate, "optviz.simulate('quadratic', 'sgd', steps=2)"),
                   _compile_elsewhere(evaluate_grid, "optviz.surface_grid('quadratic', 4)", nice=5)]
        for helper in filter(None, helpers):
            helper.wait()  # then the calls below load the kernels from the cache
    settings = from_query({})  # runs the optimizers: each surface's suggested learning rates
    runs, _ = run_race(settings)
    race_map(settings, runs).to_json()
    loss_figure(settings.surface_obj, runs).to_json()
    distance_figure(settings.surface_obj, runs).to_json()


FIRST_PAGE_KERNELS = (_integrate, evaluate_grid)
"""The kernels a first page needs: the simulation and the contour grid."""
WARMED_KERNELS = (*FIRST_PAGE_KERNELS, _integrate_batch)
"""The kernels :func:`warm_up` loads or compiles: the first page's two, and the batch kernel."""


def first_page_cached() -> bool:
    """Whether numba's cache holds fresh entries for the kernels a first page needs (else
    they compile: 5 to 10 s). Well under a millisecond."""
    return all(_cached(kernel) is not False for kernel in FIRST_PAGE_KERNELS)


def cached_kernel_index_files() -> list[str]:
    """Paths of numba's cache index files for :data:`WARMED_KERNELS` if every one of them
    holds a fresh entry (numba's own test: its version, and the source file's stamp); else
    an empty list. Reading an index takes well under a millisecond."""
    if not all(_cached(kernel) for kernel in WARMED_KERNELS):
        return []
    return [kernel._cache._cache_file._index_path for kernel in WARMED_KERNELS]


def _cached(kernel) -> bool | None:
    """Whether numba's on-disk cache has a fresh entry for ``kernel``; None if numba's
    internals moved (then nothing is compiled elsewhere, and numba compiles on first use)."""
    try:
        return bool(kernel._cache._cache_file._load_index())
    except AttributeError:
        return None
    except Exception:  # an unreadable index: numba itself would compile again
        return False


def _compile_elsewhere(kernel, call: str, nice: int = 0) -> subprocess.Popen | None:
    """Start a process that compiles ``kernel`` into numba's on-disk cache by running
    ``optviz.<call>`` (at CPU priority ``nice``: 0 as this process, up to 19, lowest); None
    if the cache already has a fresh entry for it (or numba's internals moved)."""
    if _cached(kernel) is not False:
        return None
    package_parent = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))}
    script = _HELPER_WATCH.format(parent=os.getpid()) + (f"os.nice({nice}); " if nice else "") + f"import optviz; {call}"
    return subprocess.Popen([sys.executable, "-c", script], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


_HELPER_WATCH = (
    "import os, threading, time\n"
    "def _watch():\n"
    "    while os.getppid() == {parent}:\n"
    "        time.sleep(0.5)\n"
    "    os._exit(1)\n"
    "threading.Thread(target=_watch, daemon=True).start()\n"
)
"""A compile helper's first lines: it ends itself once the process that started it is gone.

Without this, a server stopped (or restarted) while a helper compiled left the helper
running to its end, up to 25 s of a core on a slow machine, and a second server started
meanwhile found no cache entry yet and started another. numba's compile calls into LLVM through ctypes, which
lets the watching thread run."""
