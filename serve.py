"""optviz's server: ``streamlit run serve.py`` serves the app in ``app.py``, warmed up.

On a fresh install a plain ``streamlit run app.py`` compiles the kernels (about 14 s) only
once the first visitor has arrived, in the page's own thread, holding the GIL. Here a
lifespan hook (``st.App``) starts that work as the server starts: the kernels compile in
helper processes side by side (server/warm_up.py), and a page that arrives sooner waits
under its spinner. Once a warm-up here has recorded the kernels as cached, later starts leave
optviz alone and the first page loads them itself, while the browser evaluates plotly.js
(server.warm_start says why, and how the record is checked).

A middleware (server.early_plotly) also has the browser evaluate plotly.js while the page is
still connecting, rather than after the first chart has arrived.
"""

import threading
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware
from streamlit.logger import get_logger

from server import warm_start
from server.early_plotly import EvaluatePlotlyEarly

log = get_logger("optviz.serve")  # Streamlit's format and level, in the server's output


def _warm_up() -> None:
    try:
        digest = warm_start.sources_digest()  # before: an edit made while compiling is not recorded
        from optviz.engine.cache import cached_kernel_index_files
        from server.warm_up import warm_up

        batch = warm_up(parallel=True)
        if batch is not None:
            batch.wait()
    except Exception:  # never the server's problem: the page does the same work and reports it
        log.exception("warming up failed; the first page will do it")
        return
    try:
        if not warm_start.record(cached_kernel_index_files(), digest):
            log.warning("the kernels were not all cached after warming up; the next start warms up again")
    except Exception:
        log.exception("could not record that the kernels are cached; the next start warms up again")


@asynccontextmanager
async def _lifespan(_app):
    if warm_start.kernels_cached():
        log.info("optviz: kernels recorded as cached; the first page loads them")
    else:
        log.info("optviz: warming up at start (kernels not recorded as cached)")
        threading.Thread(target=_warm_up, name="optviz-warm-up", daemon=True).start()
    yield


app = st.App("app.py", lifespan=_lifespan, middleware=[Middleware(EvaluatePlotlyEarly)])
