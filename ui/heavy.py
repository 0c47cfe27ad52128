"""Large work shared by every session: big maps and the largest races. Each result is kept in
one process-wide cache keyed by what was asked (a pure function of it), so another session
asking the same gets it at once; the work itself takes a slot of the server's bounded pool and
shows its progress, or says that it is queued."""

from __future__ import annotations

import threading

import streamlit as st

from optviz.race import run as race
from optviz.race.settings import RaceSettings
from server.heavy import heavy_slot

PROGRESS_ABOVE = 5_000_000  # work (see optviz.race.run.work) from which a progress bar shows: about half a second
CACHED = 32
_CACHE_LOCK = threading.Lock()  # sessions are threads of one process


@st.cache_resource(show_spinner=False)
def shared_cache() -> dict:
    """Results by what was asked. Not st.cache_data: its replay refuses the progress bar the
    first run draws."""
    return {}


def cached(key: tuple, compute):
    """``compute()``'s result under ``key``, computed once while it stays among the newest."""
    cache = shared_cache()
    value = cache.get(key)
    if value is None:
        value = compute()
        with _CACHE_LOCK:
            while len(cache) >= CACHED:
                cache.pop(next(iter(cache)))  # the oldest
            cache[key] = value
    return value


def with_progress(label: str, work: int, run, key: tuple | None = None):
    """``run(progress)``, with a progress bar when the work is large (nothing shown when cached).
    Heavy work takes a slot of the server's bounded pool; queued, it says so."""
    if work < PROGRESS_ABOVE or key in shared_cache():
        return run(None)
    bar = st.progress(0.0, text=label)
    try:
        with heavy_slot(work, on_queued=lambda: bar.progress(
                0.0, text="Queued: another session's large run is going; this one starts when it ends...")):
            return run(lambda done: bar.progress(min(done, 1.0), text=f"{label} {done:.0%}"))
    finally:
        bar.empty()


def large_race(settings: RaceSettings):
    """A race too large for the page's own cache: run with a progress bar, in the pool when
    heavy, and shared by every session. Returns (runs, errors) as run_race does."""
    key = ("race", settings)
    label = f"Running {len(settings.optimizers)} optimizers for {settings.step_count:,} steps..."
    return with_progress(label, race.race_work(settings),
                         lambda progress: cached(key, lambda: race.run_race(settings, progress)), key=key)
