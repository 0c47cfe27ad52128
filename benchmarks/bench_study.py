"""The fair comparison (issue 17): the full default study here and on a 2-worker LocalCluster, and
the Compare page's live single-surface run (7 optimizers).

Run by hand (never as a test):  .venv/bin/python benchmarks/bench_study.py
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import median_time  # noqa: E402

from optviz.engine.optimizers import DEFAULT_OPTIMIZERS  # noqa: E402
from optviz.engine.study import study  # noqa: E402
from optviz.out.cluster import dask_map  # noqa: E402


def timed(work, repeats: int = 3) -> float:
    return median_time(work, repeats)


def main() -> None:
    study(["quadratic"], ["sgd"])  # kernels loaded
    live = timed(lambda: study(["rosenbrock"], list(DEFAULT_OPTIMIZERS)), 5)
    local = timed(lambda: study())
    cluster = timed(lambda: study(run_tasks=partial(dask_map, workers=2)))
    rows = [
        ("live: one surface (Rosenbrock) x 7 optimizers, default protocol", f"{live:.2f} s", "< 5 s"),
        ("full default study (14 surfaces x 12 optimizers), this process", f"{local:.2f} s", "(report)"),
        ("the same on a 2-worker LocalCluster (start, warm, run, stop)", f"{cluster:.2f} s",
         f"{cluster / local:.1f}x the local run"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>8}  {note}")


if __name__ == "__main__":
    main()
