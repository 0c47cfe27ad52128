"""A benchmark's aid: each page run's duration, appended to a file when OPTVIZ_TIMING_LOG names one."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

TIMING_LOG = os.environ.get("OPTVIZ_TIMING_LOG")


def timed(page: Callable[[], None]) -> None:
    """Run ``page``; with OPTVIZ_TIMING_LOG set, append "<unix time> <milliseconds>" to that file."""
    started = time.perf_counter()
    try:
        page()
    finally:
        if TIMING_LOG:
            try:
                with open(TIMING_LOG, "a") as log:
                    log.write(f"{time.time():.3f} {(time.perf_counter() - started) * 1e3:.1f}\n")
            except OSError:  # never a reason for the page to fail
                pass
