"""The bounded pool for heavy work (server/heavy.py)."""

from __future__ import annotations

import threading
import time

from server.heavy import HEAVY_STEPS, heavy_slot


def test_heavy_work_queues_behind_heavy_work_and_light_work_never_waits():
    inside, release, events = threading.Event(), threading.Event(), []

    def first():
        with heavy_slot(HEAVY_STEPS):
            inside.set()
            release.wait(10)
            events.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(10)
    started = time.perf_counter()
    with heavy_slot(HEAVY_STEPS - 1) as pooled:  # light: straight through
        assert not pooled and time.perf_counter() - started < 0.5
    queued = []
    threading.Timer(0.3, release.set).start()
    with heavy_slot(HEAVY_STEPS, on_queued=lambda: queued.append(True)) as pooled:
        assert pooled and queued == [True] and events == ["first done"]  # it waited for the first
    thread.join(10)
    with heavy_slot(HEAVY_STEPS, on_queued=lambda: queued.append(True)):  # the slot is free again
        assert queued == [True]
