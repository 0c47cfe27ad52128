"""Maps (issue 16): sweeps and basin maps, warm, server side.

Run by hand (never as a test):  .venv/bin/python benchmarks/bench_maps.py
Prints medians: a 200 x 200 sweep and a 200 x 200 basin map of 500 steps (runs, figure and its
JSON), the kernel alone (simulate_batch on the same runs in one call, no progress parts), and
400 x 400 x 2,000 steps with progress reports; beside each, the batch engine's own throughput on
the same surface and optimizer (one simulate_batch of 40,000 random starts).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from timing import median_time  # noqa: E402

from optviz.engine.maps import basins, sweep  # noqa: E402
from optviz.engine.presets import surface_defaults, view_tolerance  # noqa: E402
from optviz.engine.simulate import simulate_batch  # noqa: E402
from optviz.engine.surfaces import get_surface  # noqa: E402
from optviz.render.maps import basins_figure, sweep_figure  # noqa: E402

CASES = (("rosenbrock", "rmsprop"), ("himmelblau", "rmsprop"), ("himmelblau", "adam"))


def timed(work, repeats: int = 5) -> float:
    return median_time(work, repeats, warm=True)


def engine_rate(surface: str, optimizer: str, steps: int = 500) -> float:
    """Steps a second of one simulate_batch over 40,000 random starts in the view."""
    (x_lo, x_hi), (y_lo, y_hi) = get_surface(surface).bounds
    rng = np.random.default_rng(0)
    starts = np.column_stack([rng.uniform(x_lo, x_hi, 40_000), rng.uniform(y_lo, y_hi, 40_000)])
    lr = surface_defaults(surface)[optimizer]["lr"]
    seconds = timed(lambda: simulate_batch(surface, optimizer, starts, steps, tol=view_tolerance(surface), lr=lr))
    return 40_000 * steps / seconds


def measure(surface: str, optimizer: str) -> list[tuple[str, str, str, str]]:
    surf = get_surface(surface)
    lr = surface_defaults(surface)[optimizer]["lr"]
    (x_lo, x_hi), (y_lo, y_hi) = surf.bounds
    xs, ys = np.linspace(x_lo, x_hi, 200), np.linspace(y_lo, y_hi, 200)
    lrs = np.geomspace(1e-4, 1, 200)
    y_axis = ("alpha", np.linspace(0.5, 0.999, 200)) if optimizer == "rmsprop" else ("eps", np.geomspace(1e-10, 1e-2, 200))
    rate = engine_rate(surface, optimizer)
    tol = view_tolerance(surf)
    full_sweep = timed(lambda: sweep_figure(sweep(surface, optimizer, None, 500, x=("lr", lrs), y=y_axis), surf).to_json())
    gx, gy = np.meshgrid(lrs, y_axis[1])
    starts = np.tile(np.asarray(surf.start), (gx.size, 1))
    grid = {"lr": gx.ravel(), y_axis[0]: gy.ravel()}
    kernel_sweep = timed(lambda: simulate_batch(surface, optimizer, starts, 500, tol=tol, **grid))
    full_basins = timed(lambda: basins_figure(basins(surface, optimizer, xs, ys, 500, lr=lr), surf).to_json())
    bx, by = np.meshgrid(xs, ys)
    points = np.column_stack([bx.ravel(), by.ravel()])
    kernel_basins = timed(lambda: simulate_batch(surface, optimizer, points, 500, tol=tol, lr=lr))
    big_x, big_y = np.linspace(x_lo, x_hi, 400), np.linspace(y_lo, y_hi, 400)
    big = timed(lambda: basins(surface, optimizer, big_x, big_y, 2000, lr=lr, progress=lambda done: None), repeats=1)
    name = f"{optimizer} on {surface}"
    return [
        (f"{name}: sweep 200 x 200 x 500, runs + figure", f"{full_sweep * 1e3:.0f} ms",
         f"kernel {kernel_sweep * 1e3:.0f} ms = {20e6 / kernel_sweep / 1e6:.0f} M steps/s", "< 500 ms (kernel < 50 ms)"),
        (f"{name}: basins 200 x 200 x 500, runs + figure", f"{full_basins * 1e3:.0f} ms",
         f"kernel {kernel_basins * 1e3:.0f} ms = {20e6 / kernel_basins / 1e6:.0f} M steps/s", "< 500 ms (kernel < 50 ms)"),
        (f"{name}: basins 400 x 400 x 2,000, in parts with progress", f"{big:.2f} s",
         f"{320e6 / big / 1e6:.0f} M steps/s", "< 5 s"),
        (f"{name}: the batch engine alone (40,000 random starts)", f"{rate / 1e6:.0f} M steps/s", "baseline", ""),
    ]


def main() -> None:
    rows = [row for surface, optimizer in CASES for row in measure(surface, optimizer)]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'median':>9}  {'against':<40}  target")
    for name, value, ratio, target in rows:
        print(f"{name:<{width}}  {value:>9}  {ratio:<40}  {target}")


if __name__ == "__main__":
    main()
