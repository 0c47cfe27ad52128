"""A bounded pool for the heaviest work: at most HEAVY_AT_ONCE heavy computations run at a time
in this server process; another waits for a slot and says so. Light work (a slider's race) never
waits here. The batch kernels release the GIL, so other sessions' pages keep running meanwhile."""

from __future__ import annotations

import threading
from contextlib import contextmanager

HEAVY_AT_ONCE = 1  # a heavy map already uses every core of this 2-core machine
HEAVY_STEPS = 20_000_000  # run steps (times samples on a data surface) from which work counts as heavy

_slots = threading.BoundedSemaphore(HEAVY_AT_ONCE)


@contextmanager
def heavy_slot(work: int, on_queued=None):
    """Run the block in a heavy slot when ``work`` is heavy (else at once). ``on_queued()`` is
    called when the block must wait for another session's heavy work to finish."""
    if work < HEAVY_STEPS:
        yield False
        return
    if not _slots.acquire(blocking=False):
        if on_queued is not None:
            on_queued()
        _slots.acquire()
    try:
        yield True
    finally:
        _slots.release()
