"""Many users at once: a short load run through Streamlit's websocket protocol."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from serving import serving

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from load import Session, run_load


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    with open(log_path, "w") as log, serving(log) as (url, _proc):
        yield url


def test_a_moved_slider_reaches_the_page(server):
    session = Session(server)
    session.rerun()
    session.rerun()
    assert session.steps_id is not None and any("7 optimizers, 300 steps" in t for t in session.texts)
    session.rerun((session.steps_id, 150.0))
    assert any("7 optimizers, 150 steps" in t for t in session.texts)  # the race ran with the value sent
    session.close()


def test_a_few_sessions_for_a_few_seconds_make_no_errors(server):
    tally = run_load(server, sessions=3, seconds=6, interval=1.0)
    assert tally.errors == []
    assert len(tally.reruns) >= 6
