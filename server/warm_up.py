"""Warming a server process up: run and draw the default race once, as a first page does."""

from __future__ import annotations

import subprocess
import threading

from optviz.engine.cache import LATER_KERNELS, compile_elsewhere
from optviz.engine.simulate import _integrate, evaluate_grid
from optviz.out import export  # noqa: F401  (the page imports it; loading it is part of warming up)
from optviz.race.run import run_race
from optviz.race.settings import from_query, surface_of
from optviz.render.figures import distance_figure, loss_figure, race_map

WARM = threading.Event()
"""Set once :func:`warm_up` has finished in this process (the page shows a placeholder map until then)."""
_WARMING = threading.Lock()


def warm_up(parallel: bool = False) -> subprocess.Popen | None:
    """Run and draw the default race once, as a first page does; later calls return at once.

    This loads the compiled kernels (on the first run after an install, compiles them), the
    plotting and export modules, and the default surface's contour raster. ``serve.py`` calls
    it in a background thread as the server starts, unless the kernels are recorded as cached
    (server/warm_start.py); a page that arrives meanwhile waits here for that call to finish.

    With ``parallel``, kernels missing from numba's on-disk cache (or stale there) are compiled
    in helper processes, which this thread waits for without holding the GIL (compiled here,
    numba would hold it throughout, and the first visitor's page would crawl): the simulation
    and the contour grid side by side; then, whoever warmed the process up, the batch kernel
    that typed formulas and sweeps need later.

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
    return compile_elsewhere(LATER_KERNELS, "simulate_batch('quadratic', 'sgd', [[0.0, 0.0]], 2); optviz.replay('sgd', [1.0])",
                             nice=19)


def _warm_up_here(parallel: bool) -> None:
    if parallel:
        helpers = [compile_elsewhere(_integrate, "optviz.simulate('quadratic', 'sgd', steps=2)"),
                   compile_elsewhere(evaluate_grid, "optviz.surface_grid('quadratic', 4)", nice=5)]
        for helper in filter(None, helpers):
            helper.wait()  # then the calls below load the kernels from the cache
    settings = from_query({})  # runs the optimizers: each surface's suggested learning rates
    runs, _ = run_race(settings)
    race_map(settings, runs).to_json()
    loss_figure(surface_of(settings), runs).to_json()
    distance_figure(surface_of(settings), runs).to_json()
