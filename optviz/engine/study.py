"""A fair comparison of optimizers: each tuned on a learning-rate grid with the same budget, then
judged on starts it was not tuned on.

The protocol, per (surface, optimizer), one independent task (so a Dask cluster can run one per
worker): run every learning rate of a log grid from K tuning starts (and S seeds where gradients
are noisy), all with the same budget of steps (one gradient evaluation a step, for every
optimizer here); the objective of a rate is the median steps to come within the surface's
tolerance of a minimum (a run that never does counts as the budget plus one), ties broken by
the median final loss. The best rate is then run from held-out starts: success rate, median and
quartiles of the steps, median final loss. Mode "defaults" skips the tuning and runs the
registry's defaults. Tuning and held-out starts are drawn uniformly in the surface's view from
the study's seed, the same for every optimizer.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from .optimizers import OPTIMIZERS, get_optimizer
from .presets import view_tolerance
from .simulate import MAX_STEPS, simulate_batch
from .surfaces import SURFACES, get_surface

STUDY_VERSION = 1


@dataclass(frozen=True)
class Protocol:
    """What every (surface, optimizer) gets: the same grid, starts, seeds and budget."""

    lr_low: float = 1e-4
    lr_high: float = 10.0
    lr_count: int = 25
    tuning_starts: int = 16
    held_out_starts: int = 64
    seeds: int = 1  # per start, where gradients are noisy (noise > 0)
    noise: float = 0.0
    budget: int | None = None  # steps for every optimizer; None: each surface's own race length
    seed: int = 0  # draws the starts (and, with noise, the runs' seeds)
    mode: str = "tuned"  # or "defaults": the registry's hyperparameters, no tuning

    def __post_init__(self) -> None:
        def whole(name, value, low, high):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
                raise ValueError(f"{name}={value!r} is not valid: expected a whole number from {low:,} to {high:,}")

        for name in ("lr_low", "lr_high", "noise"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name}={value!r} is not valid: expected a finite number >= 0")
        if not 0 < self.lr_low < self.lr_high:
            raise ValueError(f"lr_low={self.lr_low!r}, lr_high={self.lr_high!r}: expected 0 < lr_low < lr_high")
        whole("lr_count", self.lr_count, 1, 200)
        whole("tuning_starts", self.tuning_starts, 1, 1000)
        whole("held_out_starts", self.held_out_starts, 1, 10_000)
        whole("seeds", self.seeds, 1, 100)
        whole("seed", self.seed, 0, 2**31 - 1)
        if self.budget is not None:
            whole("budget", self.budget, 1, MAX_STEPS)
        if self.mode not in ("tuned", "defaults"):
            raise ValueError(f"mode={self.mode!r} is not valid: expected 'tuned' or 'defaults'")

    @property
    def lr_grid(self) -> np.ndarray:
        return np.geomspace(self.lr_low, self.lr_high, self.lr_count)


@dataclass(frozen=True)
class Entry:
    """One optimizer on one surface: the rate chosen (with the table it was chosen from) and how
    it did from the held-out starts."""

    surface: str
    optimizer: str
    budget: int
    tolerance: float
    hyperparameters: dict  # every value the held-out runs used
    objective: list = field(default_factory=list)  # per grid rate: [lr, median steps, median final loss, successes]
    steps: list = field(default_factory=list)  # held-out steps to tolerance (budget + 1: never)
    final_loss: list = field(default_factory=list)  # held-out final losses (None where a run diverged)

    @property
    def success_rate(self) -> float:
        return float(np.mean(np.array(self.steps) <= self.budget))

    @property
    def quartiles(self) -> tuple[float, float, float]:
        q1, median, q3 = np.percentile(self.steps, [25, 50, 75])
        return float(q1), float(median), float(q3)

    @property
    def median_final_loss(self) -> float:
        values = [v for v in self.final_loss if v is not None]
        return float(np.median(values)) if values else math.inf


@dataclass(frozen=True)
class Study:
    """Every (surface, optimizer) entry under one protocol, in the order asked."""

    protocol: Protocol
    entries: list[Entry]

    def entry(self, surface: str, optimizer: str) -> Entry:
        return next(e for e in self.entries if e.surface == surface and e.optimizer == optimizer)

    def to_json(self) -> str:
        """Canonical JSON: the same study gives the same text wherever it ran."""
        document = {"optviz_study": STUDY_VERSION, "protocol": asdict(self.protocol),
                    "entries": [asdict(e) for e in self.entries]}
        return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Study:
        document = json.loads(text)
        if document.get("optviz_study") != STUDY_VERSION:
            raise ValueError("not an optviz study file (version 1)")
        return cls(Protocol(**document["protocol"]), [Entry(**e) for e in document["entries"]])


def starts_for(surface: str, count: int, seed: int, stream: int) -> np.ndarray:
    """``count`` starts uniform in the surface's view, drawn from (seed, surface, stream): the same
    for every optimizer (stream 0: tuning, 1: held out)."""
    (x_lo, x_hi), (y_lo, y_hi) = get_surface(surface).bounds
    key = sum(ord(c) * 31**k for k, c in enumerate(surface)) % 2**31
    rng = np.random.default_rng([seed, key, stream])
    return np.column_stack([rng.uniform(x_lo, x_hi, count), rng.uniform(y_lo, y_hi, count)])


def _runs(surface, optimizer, starts, budget, protocol, tol, lrs, fixed) -> tuple[np.ndarray, np.ndarray]:
    """Steps to tolerance (budget + 1 for never) and final losses (NaN where diverged), shaped
    (len(lrs), seeds x starts): every rate from every start, for every seed."""
    n = len(starts)
    steps, losses = [], []
    for s in range(protocol.seeds if protocol.noise > 0 else 1):
        result = simulate_batch(surface, optimizer, np.tile(starts, (len(lrs), 1)), budget, noise=protocol.noise,
                                seed=protocol.seed * 1000 + s, tol=tol, lr=np.repeat(lrs, n), **fixed)
        reached = np.where(result.reached_at >= 0, result.reached_at, budget + 1)
        loss = np.where(result.diverged_at >= 0, np.nan, result.final_loss)
        steps.append(reached.reshape(len(lrs), n))
        losses.append(loss.reshape(len(lrs), n))
    return np.concatenate(steps, axis=1), np.concatenate(losses, axis=1)


def _median_loss(values: np.ndarray) -> float:
    """The median final loss, a diverged run counting as the worst (inf)."""
    return float(np.median(np.where(np.isnan(values), np.inf, values)))


def study_task(surface: str, optimizer: str, protocol: Protocol) -> Entry:
    """One (surface, optimizer) of a study: tune, then judge on held-out starts."""
    surf = get_surface(surface)
    opt = get_optimizer(optimizer)
    budget = protocol.budget or surf.steps
    tol = view_tolerance(surf)
    fixed = {k: v for k, v in opt.defaults.items() if k != "lr"}
    objective = []
    if protocol.mode == "tuned":
        grid = protocol.lr_grid
        steps, losses = _runs(surf, opt.id, starts_for(surf.id, protocol.tuning_starts, protocol.seed, 0), budget,
                              protocol, tol, grid, fixed)
        for k, lr in enumerate(grid):
            objective.append([float(lr), float(np.median(steps[k])), _median_loss(losses[k]),
                              int((steps[k] <= budget).sum())])
        best = min(range(len(grid)), key=lambda k: (objective[k][1], objective[k][2], k))
        lr = objective[best][0]
    else:
        lr = float(opt.defaults["lr"])
    steps, losses = _runs(surf, opt.id, starts_for(surf.id, protocol.held_out_starts, protocol.seed, 1), budget,
                          protocol, tol, np.array([lr]), fixed)
    return Entry(
        surface=surf.id, optimizer=opt.id, budget=budget, tolerance=tol,
        hyperparameters={**{k: (bool(v) if isinstance(v, bool) else float(v)) for k, v in fixed.items()}, "lr": lr},
        objective=[[v if not (isinstance(v, float) and math.isinf(v)) else None for v in row] for row in objective],
        steps=[int(v) for v in steps[0]],
        final_loss=[None if math.isnan(v) else float(v) for v in losses[0]],
    )


def local_map(tasks: list[tuple[str, str, Protocol]], progress: Callable[[float], None] | None = None) -> list[Entry]:
    """Run the tasks one after another in this process."""
    entries = []
    for k, task in enumerate(tasks):
        entries.append(study_task(*task))
        if progress is not None:
            progress((k + 1) / len(tasks))
    return entries


def study(
    surfaces: Sequence[str] = tuple(SURFACES),
    optimizers: Sequence[str] = tuple(OPTIMIZERS),
    *,
    run_tasks: Callable[[list], list[Entry]] | None = None,
    progress: Callable[[float], None] | None = None,
    **protocol,
) -> Study:
    """Every optimizer on every surface under one protocol (see the module and :class:`Protocol`).

    ``run_tasks`` maps the (surface, optimizer, protocol) tasks to entries, in order: this
    process by default; :func:`optviz.out.cluster.dask_map` runs one task per Dask worker.
    """
    proto = Protocol(**protocol)
    surfaces = [get_surface(s).id for s in surfaces]
    optimizers = [get_optimizer(o).id for o in optimizers]
    if not surfaces or not optimizers:
        raise ValueError("a study needs at least one surface and one optimizer")
    if any(get_surface(s).is_custom or get_surface(s).is_data for s in surfaces):
        raise ValueError("a study runs on the built-in surfaces (a task must be rebuilt by name on a worker)")
    tasks = [(s, o, proto) for s in surfaces for o in optimizers]
    entries = run_tasks(tasks) if run_tasks is not None else local_map(tasks, progress)
    return Study(proto, list(entries))


def leaderboard(result: Study, surface: str) -> list[Entry]:
    """The surface's entries, best first: by median steps to tolerance, then median final loss."""
    entries = [e for e in result.entries if e.surface == surface]
    return sorted(entries, key=lambda e: (e.quartiles[1], e.median_final_loss, e.optimizer))


CLAIM = (("sgd", "momentum", "nesterov"), ("adagrad", "adadelta"))
"""The seed document's claim: RMSProp converges faster than these, and slower than those."""


def claim_table(result: Study) -> list[dict]:
    """Per surface: RMSProp's median steps beside each rival's, and whether the claim holds there
    (faster than each of the first group and slower than each of the second; a tie is neither)."""
    rows = []
    for surface in dict.fromkeys(e.surface for e in result.entries):
        have = {e.optimizer: e for e in result.entries if e.surface == surface}
        if "rmsprop" not in have or not all(o in have for group in CLAIM for o in group):
            continue
        median = {o: have[o].quartiles[1] for o in ("rmsprop", *CLAIM[0], *CLAIM[1])}
        faster = all(median["rmsprop"] < median[o] for o in CLAIM[0])
        slower = all(median["rmsprop"] > median[o] for o in CLAIM[1])
        rows.append({"surface": surface, **median, "faster than SGD, Momentum, NAG": faster,
                     "slower than AdaGrad, AdaDelta": slower, "claim holds": faster and slower})
    return rows
