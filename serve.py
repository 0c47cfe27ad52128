"""optviz's server: ``streamlit run serve.py`` serves the app in ``app.py``, warmed up.

On a fresh install a plain ``streamlit run app.py`` compiles the kernels (about 14 s) only
once the first visitor has arrived, in the page's own thread, holding the GIL. Here a
lifespan hook (``st.App``) starts that work as the server starts: the kernels compile in
helper processes side by side (optviz.race.warm_up), and a page that arrives sooner waits
under its spinner. Once the kernels are in numba's cache, the server starts without touching
optviz at all and the first page loads them itself, while the browser evaluates plotly.js
(views.warm_start says why and how that is decided).

A middleware (views.early_plotly) also has the browser evaluate plotly.js while the page is
still connecting, rather than after the first chart has arrived.
"""

import logging
import threading
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from views import warm_start
from views.early_plotly import EvaluatePlotlyEarly


def _warm_up() -> None:
    try:
        from optviz.race import kernel_index_files, warm_up

        batch = warm_up(parallel=True)
        if batch is not None:
            batch.wait()
        warm_start.record(kernel_index_files())
    except Exception:  # never the server's problem: the page does the same work and reports it
        logging.getLogger("optviz").exception("warming up failed; the first page will do it")


@asynccontextmanager
async def _lifespan(_app):
    if not warm_start.kernels_cached():
        threading.Thread(target=_warm_up, name="optviz-warm-up", daemon=True).start()
    yield


app = st.App("app.py", lifespan=_lifespan, middleware=[Middleware(EvaluatePlotlyEarly)])
