"""Playground speed, server side and in a real browser (Debian's Chromium via Playwright).

Run by hand (never as a test):  .venv/bin/python benchmarks/bench_playground.py
Prints one table of medians: a slider change's server-side rerun (AppTest, JIT warm), the
same work without Streamlit, the first page view of a fresh install (empty numba cache) and
with the cache warm, and a slider change seen in the browser.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import optviz  # noqa: E402
from optviz.engine.presets import nice_log_grid, view_tolerance  # noqa: E402
from optviz.race.settings import from_query, surface_of, to_query  # noqa: E402
from optviz.render.figures import distance_figure, loss_figure, race_figure, summary_rows  # noqa: E402
from server import warm_start  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
READY = """() => { const gd = document.querySelector('.js-plotly-plot');
    return gd && gd._fullData && gd._fullData.some(t => t.name === 'start'); }"""
VIEWS = 5
"""Warm first views (and baseline views) per run, each on a new server: the median of five."""
TIMING_LOG = str(Path(tempfile.gettempdir()) / f"optviz-page-runs-{os.getpid()}.log")
"""The Playground appends each page run's server-side duration here (OPTVIZ_TIMING_LOG)."""
RMSPROP_X = """() => { const gd = document.querySelector('.js-plotly-plot');
    const t = gd && gd._fullData ? gd._fullData.find(t => t.name === 'RMSProp') : null;
    return t ? Array.from(t.x).slice(0, 40).join(',') : null; }"""


def server_side_rerun() -> tuple[float, float]:
    """Median seconds of a slider change: through AppTest, and the same work without Streamlit."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.session_state["open.rmsprop"] = True  # the expander draws its sliders only while open
    at.run()
    values = [v for v in nice_log_grid(1e-3, 1.0) if v != 0.1][:15]  # each a new race: no cache hit
    times = []
    for v in values:
        t0 = time.perf_counter()
        at.sidebar.select_slider(key="rmsprop.lr").set_value(v).run()
        times.append(time.perf_counter() - t0)
        assert not at.exception
    direct = []
    for v in values:
        s = from_query({**to_query(from_query({})), "rmsprop.lr": repr(v * 1.01)})
        t0 = time.perf_counter()
        surf = surface_of(s)
        runs = [optviz.simulate(surf, o, s.start_point, s.steps, tol=view_tolerance(surf), **s.params_of(o))
                for o in s.optimizers]
        race_figure(surf, runs).to_dict()  # what st.plotly_chart serialises
        loss_figure(surf, runs).to_dict()
        distance_figure(surf, runs).to_dict()
        summary_rows(surf, runs)
        direct.append(time.perf_counter() - t0)
    return statistics.median(times), statistics.median(direct)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BASELINE_APP = """
import plotly.graph_objects as go
import streamlit as st
st.title("baseline")
lr = st.sidebar.slider("Learning rate (`lr`)", 0.0, 1.0, 0.5, 0.01)
st.plotly_chart(go.Figure([go.Scatter(x=[0, 1, 2], y=[0, lr, 1], name="RMSProp"), go.Scatter(x=[0], y=[0], name="start")]))
"""
BASELINE_Y = """() => { const gd = document.querySelector('.js-plotly-plot');
    const t = gd && gd._fullData ? gd._fullData.find(t => t.name === 'RMSProp') : null;
    return t ? Array.from(t.y).join(',') : null; }"""


def start_server(cache_dir: str, script: Path = ROOT / "serve.py") -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "OPTVIZ_TIMING_LOG": TIMING_LOG}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


@contextmanager
def serving(cache_dir: str, script: Path = ROOT / "serve.py"):
    """A `streamlit run` of ``script`` for the duration of the block; yields its URL."""
    proc, url = start_server(cache_dir, script)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait()


def first_view(browser, url: str) -> tuple[float, bool]:
    """Seconds from navigation to a drawn race; and whether a worded spinner showed meanwhile."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    t0 = time.perf_counter()
    page.goto(url)
    spinner_seen = False
    while not page.evaluate(READY):
        if not spinner_seen and page.get_by_text("Preparing the optimizers").count():
            spinner_seen = True
        page.wait_for_timeout(50)
        if time.perf_counter() - t0 > 180:
            raise RuntimeError("no race after 180 s")
    elapsed = time.perf_counter() - t0
    page.close()
    return elapsed, spinner_seen


def slider_in_browser(browser, url: str, repeats: int = 9, baseline: bool = False) -> tuple[float, float | None]:
    """Median seconds from a learning-rate keypress to the redrawn path on screen, and the median
    server-side run of the page those keypresses caused (from the page's timing log)."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(url)
    page.wait_for_function(READY, timeout=180_000)
    if baseline:
        thumb, probe = page.locator("[data-testid=stSidebar] input[type=range]"), BASELINE_Y
    else:
        expander = page.locator("[data-testid=stSidebar] [data-testid=stExpander]", has_text="RMSProp")
        expander.locator("summary").click()
        thumb, probe = expander.locator('input[type=range][aria-label="Learning rate (`lr`)"]'), RMSPROP_X
    page.wait_for_timeout(1000)
    times, started = [], []
    for i in range(repeats):
        before = page.evaluate(probe)
        thumb.focus()
        started.append(time.time())
        t0 = time.perf_counter()
        thumb.press("ArrowLeft" if i % 2 else "ArrowRight")
        while True:
            try:
                now = page.evaluate(probe)
            except Exception:  # the chart is being replaced
                now = None
            if now is not None and now != before:
                break
            if time.perf_counter() - t0 > 30:
                raise RuntimeError("the chart did not change within 30 s of the keypress")
            page.wait_for_timeout(10)
        times.append(time.perf_counter() - t0)
        page.wait_for_timeout(500)
    page.close()
    server = None
    if not baseline:
        runs = [tuple(map(float, line.split())) for line in Path(TIMING_LOG).read_text().split("\n") if line]
        server = statistics.median(ms / 1e3 for when, ms in runs if when > started[0])
    return statistics.median(times), server


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    Path(TIMING_LOG).unlink(missing_ok=True)
    progress("server-side reruns (AppTest)...")
    rerun, direct = server_side_rerun()
    progress("first view with an empty numba cache...")
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        baseline_app = Path(folder) / "baseline.py"
        baseline_app.write_text(BASELINE_APP)
        try:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            with serving(cache) as url:
                cold, spinner = first_view(browser, url)
                # A fresh install's server goes on to compile the batch kernel in a helper process
                # (optviz.race.warm_up), then records that every kernel is cached (server.warm_start):
                # let it finish, so the warm views below start as a server started later would.
                deadline = time.monotonic() + 300
                while not warm_start.kernels_cached(cache_dir=cache):
                    if time.monotonic() > deadline:
                        raise RuntimeError("the server did not finish compiling and record it within 300 s")
                    time.sleep(1)
            progress("first views with the cache warm...")
            warm_views = []
            for _ in range(VIEWS):
                with serving(cache) as url:
                    warm_views.append(first_view(browser, url)[0])
            progress("baseline: a one-chart Streamlit page...")
            baseline_views = []
            for _ in range(VIEWS):
                with serving(cache, baseline_app) as url:
                    baseline_views.append(first_view(browser, url)[0])
            progress("slider changes in the browser...")
            with serving(cache) as url:
                browser_change, server_run = slider_in_browser(browser, url)
            progress("baseline: slider changes on a one-chart page...")
            with serving(cache, baseline_app) as url:
                baseline_change, _ = slider_in_browser(browser, url, baseline=True)
            browser.close()
        finally:
            warm_start.stamp_path(cache_dir=cache).unlink(missing_ok=True)  # the record of a cache now gone
    warm = statistics.median(warm_views)
    baseline = statistics.median(baseline_views)
    rows = [
        ("slider change, server-side page run (streamlit run, 7 optimizers, 300 steps)", f"{server_run * 1e3:.0f} ms",
         f"{server_run / direct:.1f}x the bare work ({direct * 1e3:.0f} ms: runs + figures)", "< 150 ms"),
        ("the same rerun through AppTest (its own overhead included)", f"{rerun * 1e3:.0f} ms",
         f"{rerun / server_run:.1f}x the real server's page run", "(context)"),
        ("slider change seen in Chromium (keypress to redrawn path)", f"{browser_change * 1e3:.0f} ms",
         f"{browser_change / server_run:.1f}x the server-side run", "< 1 s"),
        ("baseline: slider change on a one-chart Streamlit page", f"{baseline_change * 1e3:.0f} ms",
         f"the Playground takes {browser_change / baseline_change:.1f}x this", "(context)"),
        ("first page view, fresh install (empty numba cache)", f"{cold:.1f} s",
         f"spinner with words shown: {'yes' if spinner else 'no'}", "< 15 s"),
        ("first page view, numba cache warm (new server)", f"{warm:.1f} s", f"{cold / warm:.1f}x faster than cold",
         "< 3 s"),
        ("baseline: first view of a one-chart Streamlit page", f"{baseline:.1f} s",
         f"the Playground takes {warm / baseline:.1f}x this", "(context)"),
    ]
    header = ("what", "median", "ratio / note", "target")
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(4)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print(f"\n{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
