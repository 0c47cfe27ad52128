"""One weight fed an explicit sequence of gradients: the optimizers with the surface taken away.

Hinton's argument for RMSProp is about a single weight that sees +0.1 on nine mini-batches and
-0.9 on the tenth; :func:`replay` runs exactly that, for any optimizer, with the same kernels
as :func:`optviz.simulate` (so the same arithmetic as ``torch.optim``, setting ``p.grad`` to
each value in turn).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from numba import njit

from .optimizers import STATE_WIDTH, get_optimizer, init_state, resolve_hyperparameters, update
from .simulate import MAX_STEPS


@njit(cache=True, error_model="numpy")
def _replay(oid, h, x0, gradients, weights, states):
    """weights[t] is the weight after t steps (weights[0] = x0); states[t] the state after them."""
    H = np.empty((h.shape[0], 1))
    for k in range(h.shape[0]):
        H[k, 0] = h[k]
    S = np.empty((STATE_WIDTH, 1))
    init_state(oid, H, S, 0)
    x = x0
    weights[0] = x
    for k in range(STATE_WIDTH):
        states[0, k] = S[k, 0]
    for t in range(1, gradients.shape[0] + 1):
        x = update(oid, H, S, 0, x, gradients[t - 1], float(t))
        weights[t] = x
        for k in range(STATE_WIDTH):
            states[t, k] = S[k, 0]


@dataclass(frozen=True, eq=False)
class Replay:
    """A replayed weight: ``weights[t]`` after t steps, ``state[name][t]`` each state slot after
    them (``state[name][0]``: its initial value)."""

    optimizer: str
    hyperparameters: dict
    gradients: np.ndarray
    weights: np.ndarray
    state: dict[str, np.ndarray]


def _gradients(gradients) -> np.ndarray:
    if isinstance(gradients, (str, bytes)):
        raise ValueError("gradients is not valid: expected a sequence of finite numbers")
    try:
        array = np.asarray(gradients, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("gradients is not valid: expected a sequence of finite numbers") from None
    if array.ndim != 1 or not 1 <= array.shape[0] <= MAX_STEPS:
        raise ValueError(f"gradients has shape {array.shape}: expected a sequence of 1 to {MAX_STEPS} numbers")
    if not np.isfinite(array).all():
        raise ValueError(f"gradients holds a value that is not finite at step {int(np.argmin(np.isfinite(array))) + 1}")
    return np.ascontiguousarray(array)


def replay_trace(optimizer: str, gradients, start: float = 0.0, **hyperparameters) -> Replay:
    """:func:`replay`, with the optimizer's internal state after every step."""
    opt = get_optimizer(optimizer)
    grads = _gradients(gradients)
    if isinstance(start, bool) or not isinstance(start, numbers.Real) or not np.isfinite(start):
        raise ValueError(f"start={start!r} is not valid: expected a finite number")
    h = resolve_hyperparameters(opt, hyperparameters)
    weights = np.empty(grads.shape[0] + 1)
    states = np.empty((grads.shape[0] + 1, STATE_WIDTH))
    _replay(opt.index, h, float(start), grads, weights, states)
    values = {p.name: (bool(v) if p.is_bool else float(v)) for p, v in zip(opt.hyperparameters, h, strict=True)}
    return Replay(opt.id, values, grads, weights, {name: states[:, k] for k, name in enumerate(opt.state)})


def replay(optimizer: str, gradients, start: float = 0.0, **hyperparameters) -> np.ndarray:
    """The weight before and after each step when ``optimizer`` is fed ``gradients`` in turn.

    Args:
        optimizer: an optimizer id from :data:`optviz.OPTIMIZERS`.
        gradients: the gradient at each step (1 to MAX_STEPS finite numbers).
        start: the weight's value before the first step.
        **hyperparameters: torch.optim keyword names; the rest default.

    Returns:
        An array of ``len(gradients) + 1`` weights, ``[start, after step 1, ...]``. The weight
        may overflow to inf or NaN (no surface stops it); nothing is raised for that.

    >>> replay("sgd", [1.0, -2.0], start=0.5, lr=0.1).tolist()
    [0.5, 0.4, 0.6000000000000001]
    """
    return replay_trace(optimizer, gradients, start, **hyperparameters).weights
