"""Each surface's default race: stable suggested rates, and optimizers that visibly differ."""

from __future__ import annotations

import math

import numpy as np
import pytest

import optviz
from optviz.engine.presets import LR_GRID, suggested_lr, view_tolerance, wanders, zigzags
from optviz.race.settings import DEFAULT_OPTIMIZERS


def turning_angles(path: np.ndarray) -> np.ndarray:
    """Degrees each step turns from the one before (0 = straight on, 180 = straight back),
    from headings: a second way to measure what zigzags() measures with dot products."""
    step = np.diff(path, axis=0)
    heading = np.degrees(np.arctan2(step[:, 1], step[:, 0]))
    return np.abs((np.diff(heading) + 180.0) % 360.0 - 180.0)


def is_zigzag(path: np.ndarray, view_diagonal: float) -> bool:
    lengths = np.hypot(*np.diff(path, axis=0).T)
    return np.mean(turning_angles(path) > 120.0) > 0.5 and np.median(lengths) > 0.005 * view_diagonal


def diagonal(surface) -> float:
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    return math.hypot(x_hi - x_lo, y_hi - y_lo)


@pytest.mark.parametrize("sid", list(optviz.SURFACES))
def test_suggested_rates_do_not_zigzag_and_the_default_race_differs(sid):
    surface = optviz.SURFACES[sid]
    ends, arrivals = [], []
    for oid in DEFAULT_OPTIMIZERS:
        lr = suggested_lr(surface, oid)
        assert lr in LR_GRID
        t = optviz.simulate(surface, oid, steps=2 * surface.steps, lr=lr, tol=view_tolerance(surface))
        assert t.diverged_at is None, (oid, lr)
        assert not is_zigzag(t.path[surface.steps:], diagonal(surface)), (oid, lr)
        race = optviz.simulate(surface, oid, steps=surface.steps, lr=lr, tol=view_tolerance(surface))
        ends.append(np.round(np.array(race.final) / (0.02 * diagonal(surface))))
        arrivals.append(race.reached_at)
    distinct_ends = {tuple(e) for e in ends}
    arrival_spread = {a if a is None else round(a / (0.1 * surface.steps)) for a in arrivals}
    assert len(distinct_ends) >= 2 or len(arrival_spread) >= 3, (distinct_ends, arrivals)


def test_rmsprop_on_rosenbrock_no_longer_zigzags_across_the_valley():
    # As reported: lr 0.2 bounced across the valley, worse the longer it ran.
    surface = optviz.SURFACES["rosenbrock"]
    bad = optviz.simulate(surface, "rmsprop", steps=2000, lr=0.2)
    assert is_zigzag(bad.path[150:300], diagonal(surface)) and zigzags(bad.path[150:300], 0.005 * diagonal(surface))
    lr = suggested_lr(surface, "rmsprop")
    good = optviz.simulate(surface, "rmsprop", steps=2000, lr=lr)
    assert lr < 0.2 and not is_zigzag(good.path[1000:], diagonal(surface))
    assert good.loss[-1] < bad.loss[-1]


def test_rastrigin_default_race_ends_in_several_wells():
    # As reported: all seven stopped in one local minimum beside the start.
    surface = optviz.SURFACES["rastrigin"]
    ends = set()
    for oid in DEFAULT_OPTIMIZERS:
        t = optviz.simulate(surface, oid, steps=surface.steps, lr=suggested_lr(surface, oid))
        ends.add((round(t.final[0]), round(t.final[1])))  # Rastrigin's wells sit near whole numbers
    assert len(ends) >= 3


def test_rosenbrock_races_long_enough_for_someone_to_arrive():
    surface = optviz.SURFACES["rosenbrock"]
    arrivals = [optviz.simulate(surface, oid, steps=surface.steps, lr=suggested_lr(surface, oid),
                                tol=view_tolerance(surface)).reached_at for oid in DEFAULT_OPTIMIZERS]
    assert surface.steps == 1000 and any(a is not None for a in arrivals)


def test_every_surface_says_why_its_start_was_chosen():
    for surface in optviz.SURFACES.values():
        assert len(surface.why_start) > 40, surface.id


def test_zigzags_tells_a_dying_zigzag_from_a_lasting_one():
    # Gradient descent on f = y^2 with lr 0.9: y <- -0.8 y, a zigzag that dies out.
    dying = np.column_stack([np.arange(60) * 0.0, 1.0 * (-0.8) ** np.arange(60)])
    lasting = np.column_stack([np.arange(60) * 0.0, 0.1 * (-1.0) ** np.arange(60)])
    assert not zigzags(dying[30:], 1e-3)
    assert zigzags(lasting[30:], 1e-3)
    assert not zigzags(lasting[:2], 1e-3)  # too short to say


def test_suggested_lr_on_a_restricted_domain_returns_a_rate():
    # log(x): large steps cross x = 0 at step 1 and stop there (a one-point path), which
    # once made the search take the maximum of an empty array.
    surface = optviz.custom_surface("log(x) + y^2")
    for oid in ("sgd", "adam", "rprop"):
        assert suggested_lr(surface, oid) > 0


def test_wanders_tells_a_random_walk_from_a_descent():
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(size=(200, 2)), axis=0)  # length ~250, ends ~14 apart
    descent = np.column_stack([np.linspace(5, 0, 200), np.linspace(3, 0, 200)])
    assert wanders(walk, 0.1) and not wanders(descent, 0.001)
    assert not wanders(walk * 1e-6, 0.1)  # a jitter below the visible step does not count


def test_sgd_on_ackley_no_longer_bounces_among_the_ripples():
    # As drawn before: lr 0.2 wandered over the centre's ripples for hundreds of steps.
    surface = optviz.SURFACES["ackley"]
    bad = optviz.simulate(surface, "sgd", steps=600, lr=0.2)
    assert wanders(bad.path[300:], 0.005 * diagonal(surface))
    assert suggested_lr(surface, "sgd") < 0.2
