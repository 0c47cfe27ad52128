"""Which points of a path a picture draws: every one, or as few as keep it true to the pixel.

A picture of a long run need not send every point: :func:`drawn_points` drops points that
lie within ``tolerance`` of the last point kept (radial-distance simplification). The line
through the kept points then stays within ``tolerance`` of the true path, and so does every
prefix of it ending at any step k (the kept points up to k, then the point at k). That is
what lets an animation frame show the true path up to its step from the same points as the
still picture.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def _radial_keep(path, tolerance):
    """Indices of the points kept: the first, each point at least ``tolerance`` from the last
    one kept, and the last."""
    n = path.shape[0]
    keep = np.empty(n, dtype=np.int64)
    count = 1
    keep[0] = 0
    lx, ly = path[0, 0], path[0, 1]
    limit = tolerance * tolerance
    for i in range(1, n - 1):
        dx = path[i, 0] - lx
        dy = path[i, 1] - ly
        if dx * dx + dy * dy >= limit:
            keep[count] = i
            count += 1
            lx, ly = path[i, 0], path[i, 1]
    if n > 1:
        keep[count] = n - 1
        count += 1
    return keep[:count]


def drawn_points(path: np.ndarray, tolerance: float, limit: int) -> np.ndarray:
    """Indices into ``path`` to draw: all of them if there are at most ``limit``; else the
    radial simplification at ``tolerance`` (which may keep more than ``limit``). Always keeps
    the first and the last point."""
    if len(path) <= limit:
        return np.arange(len(path))
    return _radial_keep(np.ascontiguousarray(path, dtype=np.float64), max(float(tolerance), 1e-300))


def prefix(drawn: np.ndarray, step: int) -> np.ndarray:
    """The drawn indices of the path up to ``step``: the kept points up to it, then ``step`` itself."""
    count = int(np.searchsorted(drawn, step, side="right"))
    if count and drawn[count - 1] == step:
        return drawn[:count]
    return np.append(drawn[:count], step)
