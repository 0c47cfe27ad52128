"""The bounded pool for heavy work (server/heavy.py)."""

from __future__ import annotations

import threading
import time

from server.heavy import HEAVY_STEPS, heavy_slot


def test_heavy_work_queues_behind_heavy_work_and_light_work_never_waits():
    inside, release, events = threading.Event(), threading.Event(), []

    def first():
        with heavy_slot(HEAVY_STEPS):
            inside.set()
            release.wait(10)
            events.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(10)
    started = time.perf_counter()
    with heavy_slot(HEAVY_STEPS - 1) as pooled:  # light: straight through
        assert not pooled and time.perf_counter() - started < 0.5
    queued = []
    threading.Timer(0.3, release.set).start()
    with heavy_slot(HEAVY_STEPS, on_queued=lambda: queued.append(True)) as pooled:
        assert pooled and queued == [True] and events == ["first done"]  # it waited for the first
    thread.join(10)
    with heavy_slot(HEAVY_STEPS, on_queued=lambda: queued.append(True)):  # the slot is free again
        assert queued == [True]


HEAVY_RACE = {"surface": "logistic_regression", "samples": "2000", "steps": "1000",
              "optimizers": "sgd,momentum,nesterov,adagrad,adadelta,rmsprop,rprop,adam,adamw,adamax,nadam,radam"}


def holding_the_slot(seconds: float) -> threading.Thread:
    """Another session's heavy work, holding the pool's one slot for ``seconds``."""
    inside = threading.Event()

    def hold():
        with heavy_slot(HEAVY_STEPS):
            inside.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    inside.wait(10)
    return thread


def test_the_largest_races_wait_for_the_pool_and_are_shared_by_every_session():
    from streamlit.testing.v1 import AppTest

    from optviz.race.run import race_work, run_race
    from optviz.race.settings import complete, from_query
    from ui.heavy import shared_cache

    settings = complete(from_query(HEAVY_RACE))
    assert race_work(settings) == 12 * 1000 * 2000 >= HEAVY_STEPS  # each step's loss over every sample

    holder = holding_the_slot(3.0)
    started = time.perf_counter()
    at = AppTest.from_file("../app.py", default_timeout=180)
    at.query_params.update(HEAVY_RACE)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert time.perf_counter() - started >= 2.0  # it waited for the other session's heavy work
    holder.join()
    runs, errors = shared_cache()[("race", settings)]  # kept for every session
    direct, _ = run_race(settings)
    assert not errors and [t.final for t in runs] == [t.final for t in direct]
    assert any("12 optimizers, 1000 steps" in m.value for m in at.markdown)  # the race drawn is that one

    holder = holding_the_slot(5.0)  # a second session asking the same race never waits
    started = time.perf_counter()
    again = AppTest.from_file("../app.py", default_timeout=180)
    again.query_params.update(HEAVY_RACE)
    again.run()
    assert not again.exception and time.perf_counter() - started < 4.0
    holder.join()
