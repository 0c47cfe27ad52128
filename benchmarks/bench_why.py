"""The "Why RMSProp" page's rerun when a slider moves, server side (issue 14's target: < 150 ms).

Run by hand (never as a test):  .venv/bin/python benchmarks/bench_why.py
Prints medians: the page's rerun through AppTest when the decay slider moves (every chart
recomputed: a new decay is a new cache key), the same when the lr moves (the mini-batch race
and the drift curve both recomputed), and the bare work of optviz without Streamlit.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from optviz.race.why import LRS, RMSPROP_DECAYS, WhySettings, convention_runs, drift_curve, minibatch_weights  # noqa: E402
from optviz.render.lessons import drift_figure, weight_figure  # noqa: E402


def page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("views/why_rmsprop.py").run()
    assert not at.exception
    return at


def rerun_times(at: AppTest, key: str, values) -> list[float]:
    times = []
    for value in values:
        started = time.perf_counter()
        at.select_slider(key=key).set_value(value).run()
        times.append(time.perf_counter() - started)
        assert not at.exception
    return times


def bare(values) -> list[float]:
    times = []
    for decay in values:
        settings = WhySettings(decay=decay, lr=0.0123)
        started = time.perf_counter()
        weights = minibatch_weights(settings)
        curve = drift_curve(settings)
        weight_figure(weights, 10).to_dict()
        drift_figure(*curve, decay).to_dict()
        convention_runs(settings)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    at = page()
    decays = [d for d in RMSPROP_DECAYS if d != 0.9][:12]
    lrs = [v for v in LRS if v != 0.01][:12]
    rows = [
        ("slider change (decay): page rerun through AppTest", statistics.median(rerun_times(at, "why_decay", decays))),
        ("slider change (lr): page rerun through AppTest", statistics.median(rerun_times(at, "why_lr", lrs))),
        ("bare work: races, drift curve, figures (no Streamlit)", statistics.median(bare(decays))),
    ]
    print(f"{'what':60} | {'median':>8} | target")
    print("-" * 60 + "-+-" + "-" * 8 + "-+-" + "-" * 9)
    for name, seconds in rows:
        print(f"{name:60} | {seconds * 1e3:6.0f} ms | {'< 150 ms' if 'AppTest' in name else '(context)'}")


if __name__ == "__main__":
    main()
