"""The one timing helper the benchmarks share."""

from __future__ import annotations

import statistics
import time


def median_time(work, repeats: int = 5, warm: bool = False) -> float:
    """Median seconds of ``repeats`` calls of ``work()``; with ``warm``, one untimed call first."""
    if warm:
        work()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
