"""A classroom at once: N sessions on the Playground, each changing a setting every few seconds,
through Streamlit's own websocket protocol (the protobuf BackMsg/ForwardMsg the browser sends and
receives, over the `websockets` library).

Run by hand:  .venv/bin/python benchmarks/load.py --sessions 20 --seconds 60 [--url http://host:port] [--heavy]
Without --url it starts `streamlit run serve.py` on a free port and measures that server's memory.
Prints sessions, reruns, errors, p50/p95/max from a changed setting to the rerun's end, and the
server's resident memory (its process and children) before and at the end. With --heavy, one more
session runs the heaviest race the Playground allows, again and again; its times are reported apart.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import random
import statistics
import sys
import threading
import time
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

warnings.filterwarnings("ignore", message="connect\\(\\) must be used as a context manager")
STEPS = (100, 150, 200, 250, 300, 350, 400)  # the setting each session moves: the Playground's steps slider
# The heaviest race: every optimizer, the most steps, on the most samples (each step's loss is
# taken over all of them); its session moves the steps among HEAVY_STEPS, a new race each time.
HEAVIEST = ("surface=logistic_regression&samples=10000&steps=5000&optimizers=sgd,momentum,nesterov,adagrad,"
            "adadelta,rmsprop,rprop,adam,adamw,adamax,nadam,radam")
HEAVY_STEPS = tuple(range(4000, 5001, 10))


@dataclass
class Tally:
    reruns: list[float] = field(default_factory=list)  # seconds from a change to the rerun's end
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float | None, error: str | None = None) -> None:
        with self.lock:
            if error is None:
                self.reruns.append(seconds)
            else:
                self.errors.append(error)


class Session:
    """One browser tab's conversation with the server."""

    def __init__(self, url: str, query: str = "") -> None:
        jar = http.cookiejar.CookieJar()
        urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)).open(url + "/", timeout=30).read()
        xsrf = next((c.value for c in jar if c.name == "_streamlit_xsrf"), "")
        host = url.split("://", 1)[1]
        self.ws = connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit", xsrf] if xsrf else ["streamlit"],
                          additional_headers={"Origin": url,
                                              "Cookie": "; ".join(f"{c.name}={c.value}" for c in jar)},
                          max_size=None, open_timeout=30)
        self.query = query
        self.steps_id: str | None = None
        self.texts: list[str] = []  # the Markdown the page drew, every run
        self.page_hash = ""

    def rerun(self, widget: tuple[str, float] | None = None, timeout: float = 120) -> float:
        """Ask for a rerun (with one slider moved) and wait for its end; raises on an exception
        element on the page or a timeout. Returns the seconds it took."""
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = self.page_hash
        if widget is not None:
            state = msg.rerun_script.widget_states.widgets.add()
            state.id = widget[0]
            state.double_array_value.data.append(widget[1])
        started = time.perf_counter()
        self.texts = []
        self.ws.send(msg.SerializeToString())
        while True:
            left = timeout - (time.perf_counter() - started)
            if left <= 0:
                raise TimeoutError("no end of the rerun")
            reply = ForwardMsg()
            reply.ParseFromString(self.ws.recv(timeout=left))
            kind = reply.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = reply.new_session.page_script_hash
            elif kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                element = reply.delta.new_element
                if element.WhichOneof("type") == "exception":
                    raise RuntimeError(f"exception on the page: {element.exception.message[:200]}")
                if element.WhichOneof("type") == "slider" and element.slider.id.endswith("-steps"):
                    self.steps_id = element.slider.id
                if element.WhichOneof("type") == "markdown":
                    self.texts.append(element.markdown.body)
            elif kind == "script_finished":
                return time.perf_counter() - started

    def close(self) -> None:
        self.ws.close()


def session_loop(url: str, seconds: float, interval: float, tally: Tally, seed: int, query: str,
                 steps: tuple[int, ...] = STEPS) -> None:
    rng = random.Random(seed)
    try:
        session = Session(url, query)
        session.rerun()  # the first load
        session.rerun()  # the rerun the page asks for after writing its URL
    except Exception as err:
        tally.add(None, f"session {seed} could not start: {err!r}")
        return
    end = time.monotonic() + seconds
    time.sleep(rng.uniform(0, interval))
    while time.monotonic() < end:
        try:
            if session.steps_id is None:
                raise RuntimeError("the page drew no steps slider")
            tally.add(session.rerun((session.steps_id, float(rng.choice(steps))), timeout=600))
        except Exception as err:
            tally.add(None, f"session {seed}: {err!r}")
            break
        time.sleep(rng.uniform(0.5 * interval, 1.5 * interval))
    session.close()


def memory_mb(pid: int) -> float:
    import psutil

    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


def run_load(url: str, sessions: int, seconds: float, interval: float = 3.0, query: str = "",
             heavy: Tally | None = None) -> Tally:
    """Run the sessions; with ``heavy``, one more session runs the heaviest race into that tally."""
    tally = Tally()
    threads = [threading.Thread(target=session_loop, args=(url, seconds, interval, tally, k, query), daemon=True)
               for k in range(sessions)]
    if heavy is not None:
        threads.insert(0, threading.Thread(target=session_loop, daemon=True,
                                           args=(url, seconds, 1.0, heavy, -1, HEAVIEST, HEAVY_STEPS)))
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(seconds + 900)
    return tally


def report(tally: Tally, sessions: int, memory: tuple[float, float] | None = None, heavy: Tally | None = None) -> str:
    times = sorted(tally.reruns)
    p = (lambda q: times[min(len(times) - 1, int(q * len(times)))]) if times else (lambda q: float("nan"))
    lines = [f"sessions {sessions}, reruns {len(times)}, errors {len(tally.errors)}",
             f"rerun after a change: p50 {statistics.median(times) if times else float('nan'):.2f} s, "
             f"p95 {p(0.95):.2f} s, max {times[-1] if times else float('nan'):.2f} s"]
    if memory is not None:
        lines.append(f"server memory: {memory[0]:.0f} MB idle, {memory[1]:.0f} MB with {sessions} sessions")
    if heavy is not None:
        lines.append(f"the heavy session: {len(heavy.reruns)} heaviest races, errors {len(heavy.errors)}, "
                     f"each {', '.join(f'{t:.1f}' for t in heavy.reruns)} s")
    lines += [f"  error: {e}" for e in (tally.errors + (heavy.errors if heavy else []))[:5]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between one session's changes (mean)")
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--query", default="", help="the link each session opens, e.g. steps=300&surface=rosenbrock")
    parser.add_argument("--heavy", action="store_true", help="one more session running the heaviest race throughout")
    args = parser.parse_args()
    heavy = Tally() if args.heavy else None
    if args.url:
        tally = run_load(args.url, args.sessions, args.seconds, args.interval, args.query, heavy)
        print(report(tally, args.sessions, heavy=heavy))
        return
    from serving import serving

    with open("/tmp/optviz-load-server.log", "w") as log, serving(log) as (url, proc):
        idle = memory_mb(proc.pid)
        peak = [idle]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(1.0):
                peak[0] = max(peak[0], memory_mb(proc.pid))

        threading.Thread(target=sample, daemon=True).start()
        tally = run_load(url, args.sessions, args.seconds, args.interval, args.query, heavy)
        done.set()
        print(report(tally, args.sessions, (idle, peak[0]), heavy))


if __name__ == "__main__":
    main()
