"""Surfaces from typed formulas: :func:`custom_surface` makes one that works wherever a built-in does."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .formula import FormulaError, compile_formula, parse
from .simulate import evaluate_grid, simulate_batch
from .surfaces import CUSTOM_INDEX, Minimum, Surface, check_bounds

DEFAULT_BOUNDS = ((-5.0, 5.0), (-5.0, 5.0))
MAX_MINIMA = 8


def custom_surface(expression: str, bounds=DEFAULT_BOUNDS, start: tuple[float, float] | None = None) -> Surface:
    """A :class:`~optviz.engine.surfaces.Surface` for f(x, y) as typed, usable in place of a registry id.

    The gradient is exact (symbolic), the code compiled once per formula. Its minima are not
    known: local minima inside ``bounds`` are searched for numerically and marked approximate.
    Raises :class:`~optviz.engine.formula.FormulaError` (a ValueError) naming what is wrong.

    >>> s = custom_surface("x^2 + 10*sin(y)", bounds=((-3, 3), (-3, 3)))
    >>> s.value_and_grad(1.0, 0.0)
    (1.0, 2.0, 10.0)
    """
    bounds = check_bounds(bounds)
    if start is not None:
        try:
            start = (float(start[0]), float(start[1]))
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"start={start!r} is not valid: expected two finite numbers (x, y)") from None
        if not all(math.isfinite(v) for v in start):
            raise ValueError(f"start={start!r} is not valid: expected two finite numbers (x, y)")
    parse(expression)  # the text as typed: its columns, and characters strip() would hide
    return _build(expression.strip(), bounds, start)


@lru_cache(maxsize=128)
def _build(expression: str, bounds, start) -> Surface:
    compiled = compile_formula(expression)
    (x_lo, _), (y_lo, _) = bounds
    probe = Surface(
        id="custom", name="Custom formula", index=CUSTOM_INDEX, latex=f"f(x, y) = {compiled.latex}",
        source="typed in optviz", bounds=bounds, start=(x_lo, y_lo), formula=expression,
        address=compiled.address, compiled=compiled,
    )
    minima = find_minima(probe)
    if start is None:
        start = suggest_start(probe, minima)
    return Surface(
        id="custom", name=f"f(x, y) = {expression}", index=CUSTOM_INDEX, latex=probe.latex,
        source="typed in optviz; minima found numerically (approximate)", bounds=bounds, start=start,
        minima=minima, formula=expression, approximate_minima=True, address=compiled.address,
        compiled=compiled,
        note="Minima are approximate: found by a grid search refined with Rprop, inside the view only.",
    )


def find_minima(surface: Surface, grid: int = 121, steps: int = 2000) -> tuple[Minimum, ...]:
    """Approximate local minima inside the view: grid points lower than their 8 neighbours,
    each refined by Rprop (scale-free, so one setting fits any surface), kept if nothing close
    by is lower, then de-duplicated (points closer than a hundredth of the view's diagonal
    count as one, the lowest kept)."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    xs, ys = np.linspace(x_lo, x_hi, grid), np.linspace(y_lo, y_hi, grid)
    z = evaluate_grid(surface.index, surface.address, xs, ys)
    z = np.where(np.isfinite(z), z, np.inf)
    centre = z[1:-1, 1:-1]
    lower = np.isfinite(centre)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                lower &= centre < z[1 + di:grid - 1 + di, 1 + dj:grid - 1 + dj]
    rows, cols = np.nonzero(lower)
    if rows.size == 0:
        return ()
    order = np.argsort(centre[rows, cols])[:64]
    starts = np.column_stack([xs[cols[order] + 1], ys[rows[order] + 1]])
    spacing = min(xs[1] - xs[0], ys[1] - ys[0])
    result = simulate_batch(
        surface, "rprop", starts, steps, lr=0.25 * spacing, step_size_min=0.0, step_size_max=spacing,
    )
    found: list[Minimum] = []
    diagonal = math.hypot(x_hi - x_lo, y_hi - y_lo)
    for (x, y), value, diverged in zip(result.final, result.final_loss, result.diverged_at, strict=True):
        if diverged < 0:
            x, y, value = _polish(surface, x, y, value, 1e-3 * spacing)
        inside = x_lo <= x <= x_hi and y_lo <= y <= y_hi
        if diverged >= 0 or not inside or not math.isfinite(value) or not _lowest_nearby(surface, x, y, value, 0.1 * spacing):
            continue
        if any(math.hypot(x - m.x, y - m.y) < 1e-2 * diagonal for m in found):
            continue
        found.append(Minimum(float(x), float(y), float(value)))
    found.sort(key=lambda m: m.value)
    return tuple(found[:MAX_MINIMA])


def suggest_start(surface: Surface, minima: tuple[Minimum, ...], grid: int = 9) -> tuple[float, float]:
    """A start worth racing from: the highest of a coarse grid of points whose descent (by
    Rprop) ends at the lowest minimum found, so the paths cross the view and stay in it.
    Without minima, the view's upper-right region, or the nearest grid point where f is
    defined if it is not defined there."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    fractions = np.linspace(0.1, 0.9, grid)
    gx, gy = np.meshgrid(x_lo + fractions * (x_hi - x_lo), y_lo + fractions * (y_hi - y_lo))
    starts = np.column_stack([gx.ravel(), gy.ravel()])
    fallback = (float(f"{x_lo + 0.8 * (x_hi - x_lo):.6g}"), float(f"{y_lo + 0.8 * (y_hi - y_lo):.6g}"))
    if not math.isfinite(surface.value_and_grad(*fallback)[0]):  # outside f's domain (log(-x)): no race from there
        defined = np.array([math.isfinite(surface.value_and_grad(x, y)[0]) for x, y in starts])
        if defined.any():
            candidates = starts[defined]
            x, y = candidates[np.argmin(np.hypot(candidates[:, 0] - fallback[0], candidates[:, 1] - fallback[1]))]
            fallback = (float(f"{x:.6g}"), float(f"{y:.6g}"))
    if not minima:
        return fallback
    spacing = min(x_hi - x_lo, y_hi - y_lo) / 120
    result = simulate_batch(surface, "rprop", starts, 1000, lr=spacing, step_size_min=0.0, step_size_max=10 * spacing)
    best = minima[0]
    diagonal = math.hypot(x_hi - x_lo, y_hi - y_lo)
    away = np.hypot(starts[:, 0] - best.x, starts[:, 1] - best.y) > 0.1 * diagonal  # a race, not a finish
    arrives = away & (result.diverged_at < 0) & (
        np.hypot(result.final[:, 0] - best.x, result.final[:, 1] - best.y) < 0.01 * diagonal
    )
    if not arrives.any():
        return fallback
    heights = np.array([surface.value_and_grad(x, y)[0] for x, y in starts])
    heights[~arrives | ~np.isfinite(heights)] = -np.inf
    x, y = starts[int(np.argmax(heights))]
    return float(f"{x:.6g}"), float(f"{y:.6g}")


def _polish(surface: Surface, x: float, y: float, value: float, h: float, iterations: int = 30):
    """Newton's method on the exact gradient (Hessian by central differences of it), each step
    halved until it lowers f: it finishes a long curved valley where Rprop stalls, and leaves
    a kink (abs) where there is no curvature to use as it was."""
    for _ in range(iterations):
        _, gx, gy = surface.value_and_grad(x, y)
        _, gxx_p, gyx_p = surface.value_and_grad(x + h, y)
        _, gxx_m, gyx_m = surface.value_and_grad(x - h, y)
        _, gxy_p, gyy_p = surface.value_and_grad(x, y + h)
        _, gxy_m, gyy_m = surface.value_and_grad(x, y - h)
        hxx, hyy = (gxx_p - gxx_m) / (2 * h), (gyy_p - gyy_m) / (2 * h)
        hxy = 0.25 * ((gyx_p - gyx_m) + (gxy_p - gxy_m)) / h
        det = hxx * hyy - hxy * hxy
        if not (math.isfinite(det) and det > 0 and hxx > 0):
            break  # not locally convex here: Newton would not head for a minimum
        dx, dy = (hyy * gx - hxy * gy) / det, (hxx * gy - hxy * gx) / det
        for _halving in range(30):  # backtrack until the step lowers f
            new_value = surface.value_and_grad(x - dx, y - dy)[0]
            if math.isfinite(new_value) and new_value <= value:
                break
            dx, dy = 0.5 * dx, 0.5 * dy
        else:
            break
        x, y, value = x - dx, y - dy, new_value
        if math.hypot(dx, dy) <= 1e-15 * (1.0 + math.hypot(x, y)):
            break
    return x, y, value


def _lowest_nearby(surface: Surface, x: float, y: float, value: float, radius: float) -> bool:
    """Whether f(x, y) is at most f at eight points around it: refinement that stalled on a
    slope (a long curved valley) fails this; a true minimum, smooth or a kink, passes."""
    for angle in np.arange(8) * (math.pi / 4):
        if surface.value_and_grad(x + radius * math.cos(angle), y + radius * math.sin(angle))[0] < value:
            return False
    return True


__all__ = ["DEFAULT_BOUNDS", "FormulaError", "custom_surface", "find_minima"]
