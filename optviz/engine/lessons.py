"""The numbers behind the "Why RMSProp" page: a weight fed mini-batch gradients, and its drift.

Hinton's lecture 6e argues with one weight whose gradient is +0.1 on nine mini-batches and
-0.9 on the tenth: the ten average to zero, so the weight should stay about where it is.
:func:`batch_gradients` lays such per-batch gradients out over many cycles (in order, or
shuffled within each cycle), and :func:`drift_per_cycle` measures how far an optimizer moves
the weight per cycle once its running averages have settled.
"""

from __future__ import annotations

import numpy as np

from .replay import replay

HINTON_BATCHES = (0.1,) * 9 + (-0.9,)
"""Lecture 6e's example: the gradient on each of ten mini-batches."""
MAX_BATCHES = 100
MAX_CYCLES = 1000
DRIFT_CYCLES = 1000
"""Cycles run to measure a drift: even a decay of 0.999 (a memory of about 1,000 steps) settles."""


def batch_gradients(batches, cycles: int, shuffled: bool = False, seed: int = 0) -> np.ndarray:
    """``cycles`` passes over the per-batch gradients, one step per mini-batch: in the given
    order, or (``shuffled``) each pass in a new order drawn from ``seed``, as an epoch is."""
    batches = np.asarray(batches, dtype=np.float64)
    if batches.ndim != 1 or not 1 <= len(batches) <= MAX_BATCHES or not np.isfinite(batches).all():
        raise ValueError(f"batches is not valid: expected 1 to {MAX_BATCHES} finite numbers")
    if isinstance(cycles, bool) or not isinstance(cycles, (int, np.integer)) or not 1 <= cycles <= MAX_CYCLES * 10:
        raise ValueError(f"cycles={cycles!r} is not valid: expected a whole number from 1 to {MAX_CYCLES * 10}")
    if not shuffled:
        return np.tile(batches, cycles)
    rng = np.random.default_rng(seed)
    return np.concatenate([batches[rng.permutation(len(batches))] for _ in range(cycles)])


def drift_per_cycle(optimizer: str, batches, *, shuffled: bool = False, seed: int = 0, cycles: int = DRIFT_CYCLES,
                    **hyperparameters) -> float:
    """How far ``optimizer`` moves the weight per cycle once settled: the mean over the second
    half of ``cycles`` cycles (0 for SGD, whose steps cancel exactly when the gradients sum to 0)."""
    weights = replay(optimizer, batch_gradients(batches, cycles, shuffled, seed), 0.0, **hyperparameters)
    n = len(batches)
    half = cycles // 2
    return float((weights[cycles * n] - weights[half * n]) / (cycles - half))
