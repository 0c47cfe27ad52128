"""The "Why RMSProp" page's settings, one row each, and their round trip through a link."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from ..engine.conventions import CONVENTIONS
from ..engine.lessons import HINTON_BATCHES, MAX_BATCHES, MAX_CYCLES, batch_gradients, drift_per_cycle
from ..engine.presets import decay_stops, nice_log_grid
from ..engine.replay import replay
from ..engine.simulate import Trajectory, simulate
from ..engine.surfaces import SURFACES
from .settings import RaceSettings, complete, with_params
from .table import Refused, Setting, Widget, checked, finite, last_values, read_rows, text_of, write_rows

RMSPROP_DECAYS = tuple(v for v in decay_stops(0.999) if v >= 0.5)
LRS = tuple(nice_log_grid(1e-4, 1.0))
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class WhySettings:
    """What the "Why RMSProp" page shows."""

    batches: tuple[float, ...] = HINTON_BATCHES  # the gradient on each mini-batch of a cycle
    cycles: int = 50
    shuffled: bool = False  # each cycle in a new order (drawn from seed), as an epoch is
    seed: int = 0
    decay: float = 0.9  # RMSProp's alpha
    lr: float = 0.01  # every optimizer's learning rate in the mini-batch race
    bowl_lr: float = 0.4  # the per-weight step sizes: Dive into Deep Learning's example
    bowl_steps: int = 20
    conv_surface: str = "quadratic"  # the conventions' race
    conv_lr: float = 0.05
    conv_steps: int = 150
    notices: tuple[str, ...] = field(default=(), compare=False)


BATCH_TERM = re.compile(r"^\s*(?:(\d+)\s*[x*×]\s*)?([-+]?[0-9.]+(?:[eE][-+]?\d+)?)\s*$")


def read_batches(text: str, so_far: dict | None = None) -> tuple[float, ...]:
    """Comma-separated gradients; ``9x0.1`` (or ``9*0.1``) repeats one nine times."""
    values: list[float] = []
    for term in text.split(","):
        match = BATCH_TERM.match(term)
        if not match:
            raise Refused(f"expected numbers separated by commas, like 9x0.1, -0.9 (could not read {term.strip()!r})")
        try:
            value = finite(match[2])
        except ValueError:
            raise Refused(f"{match[2]!r} is not a finite number") from None
        count = int(match[1] or 1)
        if not 1 <= count <= MAX_BATCHES or len(values) + count > MAX_BATCHES:
            raise Refused(f"expected 1 to {MAX_BATCHES} mini-batches a cycle")
        values += [value] * count
    return tuple(values)


def batches_text(batches) -> str:
    """The shortest text :func:`read_batches` reads back as ``batches``: runs written as 9x0.1."""
    parts, k = [], 0
    while k < len(batches):
        run = 1
        while k + run < len(batches) and batches[k + run] == batches[k]:
            run += 1
        parts.append(f"{run}x{batches[k]!r}" if run > 1 else repr(batches[k]))
        k += run
    return ", ".join(parts)


WHY_SETTINGS: tuple[Setting, ...] = (
    Setting("batches", "g", None, "G,G,...", "the gradient on each mini-batch of a cycle",
            read_batches, lambda s: None if s.batches == HINTON_BATCHES else batches_text(s.batches),
            Widget("text", "Gradient on each mini-batch of a cycle", ("why_batches",), place="minibatch",
                   help="Numbers separated by commas; 9x0.1 repeats 0.1 nine times. Lecture 6e: 9x0.1, -0.9.")),
    Setting("cycles", "cycles", None, "N", f"cycles of mini-batches, 1 to {MAX_CYCLES}",
            checked(int, f"expected a whole number from 1 to {MAX_CYCLES}", lambda v: 1 <= v <= MAX_CYCLES),
            lambda s: None if s.cycles == 50 else str(s.cycles),
            Widget("int_slider", "Cycles", ("why_cycles",), place="minibatch", low=1, high=MAX_CYCLES)),
    Setting("shuffled", "order", None, "cyclic|shuffled", "the mini-batches' order in each cycle",
            checked(lambda t: {"cyclic": False, "shuffled": True}[t], "expected cyclic or shuffled"),
            lambda s: "shuffled" if s.shuffled else None,
            Widget("segmented", "Order", ("why_order",), place="minibatch", options=(False, True),
                   help="Cyclic: the same order every cycle. Shuffled: a new order each cycle, as an epoch.")),
    Setting("seed", "seed", None, "N", "the shuffles' seed",
            checked(int, f"expected a whole number from 0 to {MAX_SEED}", lambda v: 0 <= v <= MAX_SEED),
            lambda s: str(s.seed) if s.shuffled and s.seed else None,
            Widget("int", "Seed", ("why_seed",), place="minibatch", low=0, high=MAX_SEED, enabled_if=lambda v: bool(v.get("shuffled")))),
    Setting("decay", "decay", None, "D", "RMSProp's decay (alpha)",
            checked(finite, "expected a decay from 0.5 to 0.999", lambda v: 0.5 <= v <= 0.999),
            lambda s: None if s.decay == 0.9 else text_of(s.decay),
            Widget("choice_slider", "RMSProp's decay (alpha)", ("why_decay",), place="minibatch", options=RMSPROP_DECAYS)),
    Setting("lr", "lr", None, "LR", "every optimizer's learning rate in the mini-batch race",
            checked(finite, f"expected a learning rate from {LRS[0]:g} to {LRS[-1]:g}", lambda v: LRS[0] <= v <= LRS[-1]),
            lambda s: None if s.lr == 0.01 else text_of(s.lr),
            Widget("choice_slider", "Learning rate (all)", ("why_lr",), place="minibatch", options=LRS,
                   help="For Rprop, its first step size.")),
    Setting("bowl_lr", "bowl_lr", None, "LR", "the learning rate on the bowl",
            checked(finite, "expected a learning rate from 0.001 to 1", lambda v: 0.001 <= v <= 1.0),
            lambda s: None if s.bowl_lr == 0.4 else text_of(s.bowl_lr),
            Widget("choice_slider", "Learning rate on the bowl", ("why_bowl_lr",), options=tuple(nice_log_grid(1e-3, 1.0)),
                   place="bowl")),
    Setting("bowl_steps", "bowl_steps", None, "N", "steps on the bowl",
            checked(int, "expected a whole number from 1 to 300", lambda v: 1 <= v <= 300),
            lambda s: None if s.bowl_steps == 20 else str(s.bowl_steps),
            Widget("int_slider", "Steps on the bowl", ("why_bowl_steps",), low=1, high=300, place="bowl")),
    Setting("conv_surface", "conv_surface", None, "ID", "the surface the conventions race on",
            checked(lambda t: t if t in SURFACES else {}[t], "not a known surface"),
            lambda s: None if s.conv_surface == "quadratic" else s.conv_surface,
            Widget("select", "Surface", ("why_conv_surface",), options=tuple(SURFACES), place="conventions")),
    Setting("conv_lr", "conv_lr", None, "LR", "the conventions' common learning rate",
            checked(finite, f"expected a learning rate from {LRS[0]:g} to {LRS[-1]:g}", lambda v: LRS[0] <= v <= LRS[-1]),
            lambda s: None if s.conv_lr == 0.05 else text_of(s.conv_lr),
            Widget("choice_slider", "Learning rate (all)", ("why_conv_lr",), options=LRS, place="conventions")),
    Setting("conv_steps", "conv_steps", None, "N", "the conventions' steps",
            checked(int, "expected a whole number from 1 to 2000", lambda v: 1 <= v <= 2000),
            lambda s: None if s.conv_steps == 150 else str(s.conv_steps),
            Widget("int_slider", "Steps", ("why_conv_steps",), low=1, high=2000, place="conventions")),
)


def why_to_query(settings: WhySettings) -> dict[str, str]:
    return write_rows(WHY_SETTINGS, settings)


def why_from_query(query: Mapping[str, str | list[str]]) -> WhySettings:
    """The page's settings from a link; a value that cannot be used keeps its default, with a notice."""
    notices: list[str] = []
    q = last_values(query)
    values = read_rows(WHY_SETTINGS, q, notices)
    known = {row.key for row in WHY_SETTINGS}
    notices += [f"Ignored {k}={v!r}: not a setting of this page." for k, v in q.items() if k not in known]
    return replace(WhySettings(**values), notices=tuple(notices))


RACERS = ("sgd", "rprop", "rmsprop", "adam", "adagrad")
"""The optimizers in the mini-batch race: plain SGD, the sign-based Rprop, and the running averages."""
DRIFT_DECAYS = tuple(v for v in decay_stops(0.999) if 0.5 <= v <= 0.999)


def minibatch_weights(settings: WhySettings) -> dict[str, np.ndarray]:
    """Each racer's weight over the page's mini-batch sequence, all at the page's lr
    (RMSProp at the page's decay), from 0."""
    gradients = batch_gradients(settings.batches, settings.cycles, settings.shuffled, settings.seed)
    extra = {"rmsprop": {"alpha": settings.decay}}
    return {oid: replay(oid, gradients, 0.0, lr=settings.lr, **extra.get(oid, {})) for oid in RACERS}


def drift_curve(settings: WhySettings) -> tuple[list[float], list[float], dict[str, float]]:
    """RMSProp's settled drift per cycle at each decay of DRIFT_DECAYS, and SGD's and Rprop's."""
    common = dict(shuffled=settings.shuffled, seed=settings.seed, lr=settings.lr)
    drifts = [drift_per_cycle("rmsprop", settings.batches, alpha=d, **common) for d in DRIFT_DECAYS]
    references = {oid: drift_per_cycle(oid, settings.batches, **common) for oid in ("sgd", "rprop")}
    return list(DRIFT_DECAYS), drifts, references


D2L_RMSPROP = {"alpha": 0.9, "eps": 1e-6, "eps_in_sqrt": True}
"""Dive into Deep Learning's RMSProp (sec. 12.8): gamma 0.9, eps 1e-6 inside the root."""
D2L_START = (-5.0, -2.0)


def bowl_runs(settings: WhySettings) -> list[Trajectory]:
    """SGD and RMSProp (as Dive into Deep Learning writes it) on the ill-conditioned bowl."""
    return [simulate("quadratic", "sgd", D2L_START, settings.bowl_steps, lr=settings.bowl_lr),
            simulate("quadratic", "rmsprop", D2L_START, settings.bowl_steps, lr=settings.bowl_lr, **D2L_RMSPROP)]


def convention_runs(settings: WhySettings) -> list[Trajectory]:
    """RMSProp as each library writes it (optviz.engine.conventions), at one learning rate, from
    the surface's start."""
    surface = SURFACES[settings.conv_surface]
    return [simulate(surface, "rmsprop", surface.start, settings.conv_steps, lr=settings.conv_lr, **c.values)
            for c in CONVENTIONS]


def largest_gap(runs: list[Trajectory]) -> tuple[float, int, int, int]:
    """The largest distance between two runs' points at the same step: (distance, step, i, j),
    over the steps both still have."""
    best = (0.0, 0, 0, 0)
    for i in range(len(runs)):
        for j in range(i + 1, len(runs)):
            n = min(len(runs[i].path), len(runs[j].path))
            gaps = np.hypot(*(runs[i].path[:n] - runs[j].path[:n]).T)
            k = int(np.argmax(gaps))
            if gaps[k] > best[0]:
                best = (float(gaps[k]), k, i, j)
    return best


REAL_MODEL_LRS = {"sgd": 2.0, "rprop": 0.01, "rmsprop": 0.02}
"""Each optimizer's learning rate in both races (Rprop's is its first step size)."""


def real_model_races(batch_size: int = 10) -> tuple[RaceSettings, RaceSettings]:
    """The argument on a real model: SGD, Rprop and RMSProp training logistic regression on 200
    samples, with the full batch and with batches of ``batch_size``, at the same learning rates."""
    full = complete(RaceSettings(surface="logistic_regression", optimizers=tuple(REAL_MODEL_LRS), samples=200,
                                 batch_size=200, steps=300))
    full = with_params(full, {oid: {**dict(p), "lr": REAL_MODEL_LRS[oid]} for oid, p in full.hyperparameters})
    return full, replace(full, batch_size=batch_size)


def excess_loss(run: Trajectory, surface) -> float:
    """How far above the minimum a run's full-batch loss ends, averaged over its last 50 steps."""
    return float(np.mean(run.loss[-50:]) - surface.min_value)
