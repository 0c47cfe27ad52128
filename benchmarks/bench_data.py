"""A data surface in the Playground: logistic regression on 1,000 samples, batches of 32 (issue 15).

Run by hand (never as a test):  .venv/bin/python benchmarks/bench_data.py
Prints medians, each beside a baseline measured in the same process: the race's server-side
work (7 optimizers x 300 steps, figures included) against the same race on the quadratic bowl;
the full-batch contour on the map's grid against the bowl's; the mini-batch kernel against a
hand-written compiled loop doing the same arithmetic; and a learning-rate keypress seen in
Chromium, with the server-side page run it caused.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from bench_playground import CHROMIUM_ARGS, TIMING_LOG, serving, slider_in_browser  # noqa: E402
from numba import njit  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from optviz.engine.data import batch_schedule  # noqa: E402
from optviz.race.run import run_race  # noqa: E402
from optviz.race.settings import RaceSettings, complete, surface_of, to_query  # noqa: E402
from optviz.render import figures  # noqa: E402
from optviz.render.figures import distance_figure, loss_figure, race_figure, summary_rows  # noqa: E402

QUERY = "surface=logistic_regression&samples=1000&batch=32"


def race_work(settings: RaceSettings) -> float:
    """Seconds for the race and every figure the Playground draws of it (the contour cached)."""
    started = time.perf_counter()
    surf = surface_of(settings)
    runs, _ = run_race(settings)
    race_figure(surf, runs).to_dict()
    loss_figure(surf, runs).to_dict()
    distance_figure(surf, runs).to_dict()
    summary_rows(surf, runs)
    return time.perf_counter() - started


def median_of(work, settings_list) -> float:
    return statistics.median(work(s) for s in settings_list)


def with_lr(settings: RaceSettings, lr: float) -> RaceSettings:
    return replace(settings, shared_lr=lr)


def contour(settings: RaceSettings, repeats: int = 7) -> float:
    surf = surface_of(settings)
    times = []
    for _ in range(repeats):
        figures._background.cache_clear()
        started = time.perf_counter()
        figures._background(surf, 800, 800)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


@njit(cache=True, error_model="numpy")
def reference_sgd(x, y, indices, offsets, w, b, lr):
    """Plain mini-batch SGD on logistic regression, written out: the loop the engine should match."""
    n = x.shape[0]
    for t in range(1, offsets.shape[0]):
        gw = gb = 0.0
        for k in range(offsets[t - 1], offsets[t]):
            i = indices[k]
            z = w * x[i] + b
            if z >= 0.0:
                s = 1.0 / (1.0 + np.exp(-z))
            else:
                e = np.exp(z)
                s = e / (1.0 + e)
            gw += (s - y[i]) * x[i]
            gb += s - y[i]
        m = offsets[t] - offsets[t - 1]
        w -= lr * gw / m
        b -= lr * gb / m
        f = 0.0  # the full-batch loss at the new point, as the engine records it
        for i in range(n):
            z = w * x[i] + b
            f += max(z, 0.0) - y[i] * z + np.log1p(np.exp(-abs(z)))
    return w, b, f / n


def kernels(settings: RaceSettings, repeats: int = 9) -> tuple[float, float]:
    """Seconds for one SGD run of 300 mini-batch steps: the engine, and the hand-written loop."""
    import optviz

    surf = surface_of(settings)
    data = surf.data
    batches = batch_schedule(data.samples, 32, 300, settings.seed)
    reference_sgd(data.x, data.y, batches.indices, batches.offsets, 0.0, 0.0, 0.1)
    optviz.simulate(surf, "sgd", steps=300, batch_size=32, lr=0.1)
    engine, reference = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        optviz.simulate(surf, "sgd", steps=300, batch_size=32, lr=0.1)
        engine.append(time.perf_counter() - started)
        started = time.perf_counter()
        reference_sgd(data.x, data.y, batches.indices, batches.offsets, 0.0, 0.0, 0.1)
        reference.append(time.perf_counter() - started)
    return statistics.median(engine), statistics.median(reference)


def main() -> None:
    data = complete(RaceSettings(surface="logistic_regression", samples=1000, batch_size=32))
    bowl = complete(RaceSettings(surface="quadratic"))
    lrs = [0.011 * 1.07**k for k in range(9)]  # each a new race
    race_work(data), race_work(bowl)  # compile and cache the contours
    data_race = median_of(race_work, [with_lr(data, lr) for lr in lrs])
    bowl_race = median_of(race_work, [with_lr(bowl, lr) for lr in lrs])
    data_contour, bowl_contour = contour(data), contour(bowl)
    engine, reference = kernels(data)
    Path(TIMING_LOG).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as cache, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        with serving(cache) as url:
            seen, server = slider_in_browser(browser, f"{url}/?{QUERY}")
        browser.close()
    rows = [
        ("race + figures, 1,000 samples, batch 32, 7 optimizers x 300 steps", f"{data_race * 1e3:.0f} ms",
         f"{data_race / bowl_race:.1f}x the quadratic bowl's ({bowl_race * 1e3:.0f} ms)", "< 150 ms"),
        ("full-batch contour on the map's grid (800 x 800, 1,000 samples)", f"{data_contour * 1e3:.0f} ms",
         f"{data_contour / bowl_contour:.1f}x the bowl's ({bowl_contour * 1e3:.0f} ms)", "< 100 ms"),
        ("one SGD run, 300 mini-batch steps (full-batch loss recorded)", f"{engine * 1e6:.0f} us",
         f"{engine / reference:.2f}x a hand-written compiled loop ({reference * 1e6:.0f} us)", "(context)"),
        ("lr keypress seen in Chromium (page run on the server)", f"{seen * 1e3:.0f} ms ({server * 1e3:.0f} ms)",
         f"{seen / server:.1f}x the server-side run", "< 1 s"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'median':>16}  {'against':<52}  target")
    for name, value, ratio, target in rows:
        print(f"{name:<{width}}  {value:>16}  {ratio:<52}  {target}")
    print(f"(settings: {to_query(data)})")


if __name__ == "__main__":
    main()
