"""The surface registry: values against textbook formulas, exact gradients, minima, grids.

Reference formulas are written here from the standard definitions (Surjanovic & Bingham,
Virtual Library of Simulation Experiments, SFU, https://www.sfu.ca/~ssurjano/optimization.html),
in their general d-dimensional form with d = 2 where the library gives one, so they share no
code or algebraic rearrangement with ``optviz.engine.surfaces``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import optviz
from optviz import OPTIMIZERS, SURFACES, get_surface, simulate, surface_grid


def _rosenbrock(x: float, y: float) -> float:
    # SFU: sum_{i=1}^{d-1} [100 (x_{i+1} - x_i^2)^2 + (x_i - 1)^2]
    return 100.0 * (y - x**2) ** 2 + (x - 1.0) ** 2


def _beale(x: float, y: float) -> float:
    # SFU: (1.5 - x1 + x1 x2)^2 + (2.25 - x1 + x1 x2^2)^2 + (2.625 - x1 + x1 x2^3)^2
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _himmelblau(x: float, y: float) -> float:
    # Himmelblau (1972): (x^2 + y - 11)^2 + (x + y^2 - 7)^2
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def _rastrigin(x: float, y: float) -> float:
    # SFU: 10 d + sum_i [x_i^2 - 10 cos(2 pi x_i)]
    xs = (x, y)
    return 10.0 * len(xs) + sum(u**2 - 10.0 * math.cos(2.0 * math.pi * u) for u in xs)


def _ackley(x: float, y: float) -> float:
    # SFU: -a exp(-b sqrt(sum x_i^2 / d)) - exp(sum cos(c x_i) / d) + a + exp(1), a = 20, b = 0.2, c = 2 pi
    a, b, c, xs = 20.0, 0.2, 2.0 * math.pi, (x, y)
    d = len(xs)
    term1 = -a * math.exp(-b * math.sqrt(sum(u**2 for u in xs) / d))
    term2 = -math.exp(sum(math.cos(c * u) for u in xs) / d)
    return term1 + term2 + a + math.exp(1.0)


def _booth(x: float, y: float) -> float:
    # SFU: (x1 + 2 x2 - 7)^2 + (2 x1 + x2 - 5)^2
    return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2


def _matyas(x: float, y: float) -> float:
    # SFU: 0.26 (x1^2 + x2^2) - 0.48 x1 x2
    return 0.26 * (x**2 + y**2) - 0.48 * x * y


def _three_hump_camel(x: float, y: float) -> float:
    # SFU: 2 x1^2 - 1.05 x1^4 + x1^6 / 6 + x1 x2 + x2^2
    return 2.0 * x**2 - 1.05 * x**4 + x**6 / 6.0 + x * y + y**2


def _six_hump_camel(x: float, y: float) -> float:
    # SFU: (4 - 2.1 x1^2 + x1^4 / 3) x1^2 + x1 x2 + (-4 + 4 x2^2) x2^2
    return (4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (-4.0 + 4.0 * y**2) * y**2


def _goldstein_price(x: float, y: float) -> float:
    # SFU: [1 + (x1 + x2 + 1)^2 (19 - 14 x1 + 3 x1^2 - 14 x2 + 6 x1 x2 + 3 x2^2)]
    #    * [30 + (2 x1 - 3 x2)^2 (18 - 32 x1 + 12 x1^2 + 48 x2 - 36 x1 x2 + 27 x2^2)]
    first = 1.0 + (x + y + 1.0) ** 2 * (19.0 - 14.0 * x + 3.0 * x**2 - 14.0 * y + 6.0 * x * y + 3.0 * y**2)
    second = 30.0 + (2.0 * x - 3.0 * y) ** 2 * (18.0 - 32.0 * x + 12.0 * x**2 + 48.0 * y - 36.0 * x * y + 27.0 * y**2)
    return first * second


def _styblinski_tang(x: float, y: float) -> float:
    # SFU: (1/2) sum_i (x_i^4 - 16 x_i^2 + 5 x_i)
    return 0.5 * sum(u**4 - 16.0 * u**2 + 5.0 * u for u in (x, y))


REFERENCE = {
    "quadratic": lambda x, y: 0.1 * x**2 + 2.0 * y**2,  # d2l sec. 12.8
    "rosenbrock": _rosenbrock,
    "beale": _beale,
    "himmelblau": _himmelblau,
    "rastrigin": _rastrigin,
    "ackley": _ackley,
    "booth": _booth,
    "matyas": _matyas,
    "three_hump_camel": _three_hump_camel,
    "six_hump_camel": _six_hump_camel,
    "goldstein_price": _goldstein_price,
    "styblinski_tang": _styblinski_tang,
    "saddle": lambda x, y: x**2 - y**2,
    "monkey_saddle": lambda x, y: x**3 - 3.0 * x * y**2,
}

SURFACE_IDS = list(SURFACES)
WITH_MINIMA = [s for s in SURFACES if SURFACES[s].minima]


def _random_points(surface_id: str, n: int = 200, seed: int = 20240611) -> np.ndarray:
    (x_lo, x_hi), (y_lo, y_hi) = SURFACES[surface_id].bounds
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x_lo, x_hi, n), rng.uniform(y_lo, y_hi, n)])


def test_every_surface_has_a_reference_formula() -> None:
    assert set(REFERENCE) == set(SURFACES)


@pytest.mark.parametrize("surface_id", SURFACE_IDS)
def test_value_matches_textbook_formula(surface_id: str) -> None:
    surface = SURFACES[surface_id]
    points = _random_points(surface_id)
    kernel = np.array([surface.value_and_grad(x, y)[0] for x, y in points])
    reference = np.array([REFERENCE[surface_id](x, y) for x, y in points])
    np.testing.assert_allclose(kernel, reference, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("surface_id", SURFACE_IDS)
def test_gradient_matches_central_differences(surface_id: str) -> None:
    # Central differences of the textbook formula: truncation error ~ h^2 f''' / 6 and rounding
    # error ~ 1e-16 |f| / h, both far below 1e-6 of the gradient's size at h = 1e-6.
    surface = SURFACES[surface_id]
    f = REFERENCE[surface_id]
    points = _random_points(surface_id)
    assert not np.any(np.all(points == 0.0, axis=1))  # never Ackley's non-differentiable origin
    h = 1e-6
    for x, y in points:
        _, gx, gy = surface.value_and_grad(x, y)
        fd_x = (f(x + h, y) - f(x - h, y)) / (2.0 * h)
        fd_y = (f(x, y + h) - f(x, y - h)) / (2.0 * h)
        scale = max(1.0, math.hypot(gx, gy))
        assert abs(gx - fd_x) <= 1e-6 * scale, (surface_id, x, y, gx, fd_x)
        assert abs(gy - fd_y) <= 1e-6 * scale, (surface_id, x, y, gy, fd_y)


@pytest.mark.parametrize("surface_id", WITH_MINIMA)
def test_known_minima_values_and_zero_gradient(surface_id: str) -> None:
    surface = SURFACES[surface_id]
    for m in surface.minima:
        f, gx, gy = surface.value_and_grad(m.x, m.y)
        np.testing.assert_allclose(f, m.value, rtol=0.0, atol=1e-9)
        np.testing.assert_allclose(REFERENCE[surface_id](m.x, m.y), m.value, rtol=0.0, atol=1e-9)
        np.testing.assert_allclose([gx, gy], [0.0, 0.0], rtol=0.0, atol=1e-6)
    assert surface.min_value == min(m.value for m in surface.minima)


@pytest.mark.parametrize("surface_id", WITH_MINIMA)
def test_registered_minimum_is_lowest_on_a_fine_grid(surface_id: str) -> None:
    # The registry's value is the global minimum over the view: nothing on a 401 x 401 grid of
    # the bounds lies below it (a grid can only overestimate a minimum).
    surface = SURFACES[surface_id]
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    grid = [REFERENCE[surface_id](x, y) for x in np.linspace(x_lo, x_hi, 401) for y in np.linspace(y_lo, y_hi, 401)]
    assert min(grid) >= surface.min_value - 1e-9
    # and the minima lie inside the view
    for m in surface.minima:
        assert x_lo <= m.x <= x_hi and y_lo <= m.y <= y_hi


@pytest.mark.parametrize(("surface_id", "direction"), [("saddle", (0.0, 1.0)), ("monkey_saddle", (-1.0, 0.0))])
def test_saddles_have_no_minimum(surface_id: str, direction: tuple[float, float]) -> None:
    surface = SURFACES[surface_id]
    assert surface.minima == ()
    assert surface.min_value is None
    # Unbounded below along `direction`: f(t d) = -t^2 (saddle) or -t^3 (monkey saddle).
    for t, expected in ((10.0, (-100.0, -1000.0)), (1e3, (-1e6, -1e9))):
        value = surface.value_and_grad(t * direction[0], t * direction[1])[0]
        assert value == expected[0 if surface_id == "saddle" else 1]


@pytest.mark.parametrize("surface_id", SURFACE_IDS)
def test_start_and_bounds_are_sane(surface_id: str) -> None:
    surface = SURFACES[surface_id]
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    assert x_lo < x_hi and y_lo < y_hi
    assert x_lo <= surface.start[0] <= x_hi and y_lo <= surface.start[1] <= y_hi
    assert surface.id == surface_id


def test_ackley_origin_gradient_is_exactly_zero() -> None:
    f, gx, gy = SURFACES["ackley"].value_and_grad(0.0, 0.0)
    assert (gx, gy) == (0.0, 0.0)
    assert f == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("optimizer_id", list(OPTIMIZERS))
def test_ackley_run_from_origin_stays_there(optimizer_id: str) -> None:
    # Zero gradient at x = y = 0: every update (weight decay included, since it scales x) is 0.
    traj = simulate("ackley", optimizer_id, start=(0.0, 0.0), steps=25)
    assert traj.diverged_at is None
    np.testing.assert_array_equal(traj.path, np.zeros((26, 2)))
    assert traj.reached_at == 0


@pytest.mark.parametrize("surface_id", SURFACE_IDS)
def test_surface_grid_shape_and_orientation(surface_id: str) -> None:
    surface = SURFACES[surface_id]
    xs, ys, z = surface_grid(surface_id, 7)
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    np.testing.assert_array_equal(xs, np.linspace(x_lo, x_hi, 7))
    np.testing.assert_array_equal(ys, np.linspace(y_lo, y_hi, 7))
    assert z.shape == (7, 7)
    expected = np.array([[REFERENCE[surface_id](x, y) for x in xs] for y in ys])  # row i is y = ys[i]
    np.testing.assert_allclose(z, expected, rtol=1e-12, atol=1e-12)


def test_surface_grid_with_explicit_rectangular_bounds() -> None:
    # x and y ranges of different width and an asymmetric function tell rows from columns.
    xs, ys, z = surface_grid("quadratic", 5, bounds=((0.0, 4.0), (-1.0, 0.0)))
    np.testing.assert_array_equal(xs, [0.0, 1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(ys, [-1.0, -0.75, -0.5, -0.25, 0.0])
    # z[i, j] = 0.1 xs[j]^2 + 2 ys[i]^2, by hand for two corners and one interior point
    assert z[0, 4] == pytest.approx(0.1 * 16 + 2.0 * 1.0, rel=1e-15)  # (x=4, y=-1): 3.6
    assert z[4, 0] == pytest.approx(0.0, abs=0.0)  # (x=0, y=0)
    assert z[2, 1] == pytest.approx(0.1 + 2.0 * 0.25, rel=1e-15)  # (x=1, y=-0.5): 0.6


def test_get_surface_accepts_ids_and_entries() -> None:
    assert get_surface("booth") is SURFACES["booth"]
    assert get_surface(SURFACES["booth"]) is SURFACES["booth"]


@pytest.mark.parametrize("bad", ["nope", "", "Rosenbrock", None, 3])
def test_get_surface_unknown_names_the_choices(bad) -> None:
    with pytest.raises(ValueError) as info:
        get_surface(bad)
    message = str(info.value)
    assert repr(bad) in message
    for surface_id in SURFACES:
        assert surface_id in message


def test_surface_indices_match_registry_order() -> None:
    # The compiled dispatcher is indexed by Surface.index: each index must reach its own kernel.
    for surface in SURFACES.values():
        x, y = 0.37, -0.61
        assert optviz.engine.surfaces.evaluate(surface.index, 0, x, y)[0] == pytest.approx(REFERENCE[surface.id](x, y), rel=1e-12)
