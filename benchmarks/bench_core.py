"""Core engine speed: simulate, simulate_batch, compile and warm-start times.

Run by hand (never as a test):  .venv/bin/python benchmarks/bench_core.py
Prints one table; every time is a median over repeats, and each compiled figure is set
against a baseline measured in the same process (a plain-Python loop of the same update).
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import median_time  # noqa: E402

import optviz  # noqa: E402


def python_rmsprop_rosenbrock(steps: int, lr=0.001, alpha=0.9, eps=1e-8) -> tuple[float, float]:
    """The same RMSProp update on Rosenbrock, in plain Python, recording path and loss too."""
    x, y = -1.5, 2.5
    vx = vy = 0.0
    path = [(x, y)]
    loss = []
    for _ in range(steps):
        r = y - x * x
        f = (1 - x) ** 2 + 100 * r * r
        gx = -2 * (1 - x) - 400 * x * r
        gy = 200 * r
        loss.append(f)
        vx = vx * alpha + (1 - alpha) * gx * gx
        vy = vy * alpha + (1 - alpha) * gy * gy
        x = x - lr * gx / (math.sqrt(vx) + eps)
        y = y - lr * gy / (math.sqrt(vy) + eps)
        path.append((x, y))
    return x, y


@njit(error_model="numpy")
def _floor_loop(steps, lr, alpha, eps, path, loss, states):
    """A lower bound for a recorded step: the same update, hand-written for this one case,
    filling the same arrays simulate fills (path, loss, and per coordinate square_avg,
    grad_avg, momentum_buffer, effective lr) with a finiteness check per step, and nothing
    else: no options, no noise, no reading of hyperparameters or state from arrays, no check
    for reaching a minimum (its loss row is the step's start point, one row earlier)."""
    x, y = -1.5, 2.5
    vx = vy = 0.0
    path[0, 0], path[0, 1] = x, y
    for t in range(1, steps + 1):
        r = y - x * x
        f = (1 - x) ** 2 + 100 * r * r
        gx = -2 * (1 - x) - 400 * x * r
        gy = 200 * r
        if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(f)):
            return t
        loss[t - 1] = f
        vx = vx * alpha + (1 - alpha) * gx * gx
        vy = vy * alpha + (1 - alpha) * gy * gy
        ax = math.sqrt(vx) + eps
        ay = math.sqrt(vy) + eps
        x = x - lr * gx / ax
        y = y - lr * gy / ay
        path[t, 0], path[t, 1] = x, y
        states[t, 0, 0], states[t, 1, 0], states[t, 0, 3], states[t, 1, 3] = vx, vy, lr / ax, lr / ay
        states[t, 0, 1] = states[t, 1, 1] = states[t, 0, 2] = states[t, 1, 2] = 0.0
    return steps


def floor_rmsprop_rosenbrock(steps: int) -> int:
    """:func:`_floor_loop` into fresh arrays, as simulate allocates them."""
    return _floor_loop(steps, 0.001, 0.9, 1e-8, np.empty((steps + 1, 2)), np.empty(steps + 1),
                       np.empty((steps + 1, 2, 4)))


SUBPROCESS_PROBE = """
import time
t0 = time.perf_counter()
import optviz
t1 = time.perf_counter()
optviz.simulate("rosenbrock", "rmsprop", steps=300, lr=0.001)
t2 = time.perf_counter()
{extra}
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""
ALL_KERNELS = """
optviz.simulate_batch("rosenbrock", "rmsprop", [[0.0, 0.0]], steps=10)
optviz.surface_grid("rosenbrock", 50)
"""


def run_probe(env: dict, extra: str = "") -> tuple[float, float, float, float]:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", SUBPROCESS_PROBE.format(extra=extra)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout
    wall = time.perf_counter() - t0
    imp, first, rest = map(float, out.split())
    return imp, first, rest, wall


def main() -> None:
    rows: list[tuple[str, str, str, str]] = []

    # 1. simulate vs plain Python, same update, same process. They alternate, round by round
    # (simulate, Python, the hand-written reference, Python), so a burst of load from the
    # machine's other tenants hits all alike; a ratio is the median of the rounds' ratios.
    steps, py_steps, rounds = 200_000, 20_000, 15
    optviz.simulate("rosenbrock", "rmsprop", steps=10, lr=0.001)  # warm
    floor_rmsprop_rosenbrock(10)
    ns_numba, ns_py, ns_floor = [], [], []
    for _ in range(rounds):
        ns_numba.append(median_time(lambda: optviz.simulate("rosenbrock", "rmsprop", steps=steps, lr=0.001), 1)
                        / steps * 1e9)
        ns_py.append(median_time(lambda: python_rmsprop_rosenbrock(py_steps), 1) / py_steps * 1e9)
        ns_floor.append(median_time(lambda: floor_rmsprop_rosenbrock(steps), 1) / steps * 1e9)
        ns_py.append(median_time(lambda: python_rmsprop_rosenbrock(py_steps), 1) / py_steps * 1e9)
    # Each compiled run's ratio is to the Python run right after it.
    ratios = sorted(p / n for p, n in zip(ns_py[0::2], ns_numba, strict=True))
    floor_ratios = sorted(p / n for p, n in zip(ns_py[1::2], ns_floor, strict=True))
    over_floor = statistics.median(n / f for n, f in zip(ns_numba, ns_floor, strict=True))  # same round
    ns_numba, ns_py, ns_floor = statistics.median(ns_numba), statistics.median(ns_py), statistics.median(ns_floor)
    rows.append(("simulate, RMSProp on Rosenbrock, 200k steps", f"{ns_numba:.1f} ns/step",
                 f"{statistics.median(ratios):.0f}x plain Python ({ns_py:.0f} ns/step); "
                 f"rounds {ratios[0]:.0f}x-{ratios[-1]:.0f}x", ">= 30x, aim ~20 ns"))
    rows.append(("  reference: a hand-written numba loop filling the same arrays", f"{ns_floor:.1f} ns/step",
                 f"{statistics.median(floor_ratios):.0f}x plain Python; simulate takes {over_floor:.2f}x this",
                 "(context)"))

    # 2. batch throughput.
    rng = np.random.default_rng(0)
    starts = np.column_stack([rng.uniform(-2, 2, 40_000), rng.uniform(-1, 3, 40_000)])
    optviz.simulate_batch("rosenbrock", "rmsprop", starts[:10], steps=10, lr=0.001)  # warm
    t_batch = median_time(lambda: optviz.simulate_batch("rosenbrock", "rmsprop", starts, steps=500, lr=0.001), 5)
    rate = 40_000 * 500 / t_batch
    one_thread = ns_numba * 1e-9
    rows.append(("simulate_batch, 40,000 starts x 500 steps", f"{rate / 1e6:.0f} M steps/s ({t_batch * 1e3:.0f} ms)",
                 f"{rate * one_thread:.1f}x one recorded simulate", ">= 200 M steps/s"))

    # 3. cold compile of a fresh install (empty numba cache), and 4. warm new process.
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as cache:
        env["NUMBA_CACHE_DIR"] = cache
        cold = run_probe(env, ALL_KERNELS)
        warm = [run_probe(env, ALL_KERNELS) for _ in range(5)]
    rows.append(("cold start: import + compile every kernel", f"{cold[3]:.1f} s wall",
                 f"import {cold[0]:.2f} s, simulate {cold[1]:.1f} s, batch+grid {cold[2]:.1f} s", "(first page < 15 s)"))
    w_first = statistics.median(w[0] + w[1] for w in warm)
    w_wall = statistics.median(w[3] for w in warm)
    rows.append(("warm new process: import + first simulate", f"{w_first:.2f} s",
                 f"{cold[3] / w_wall:.0f}x faster than cold (process wall {w_wall:.2f} s)", "< 1 s"))

    widths = [max(len(r[i]) for r in [*rows, ("what", "median", "ratio", "target")]) for i in range(4)]
    header = ("what", "median", "ratio", "target")
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print(f"\n{os.cpu_count()} cores; numba {__import__('numba').__version__}, numpy {np.__version__}")


if __name__ == "__main__":
    main()
