"""optviz's server: ``streamlit run serve.py`` serves the app in ``app.py``, warmed up.

The first page of a plain ``streamlit run app.py`` starts with about a second of imports and
numba cache loading (after an install, 14 s of compiling), all after the visitor arrived.
Here a lifespan hook (``st.App``) starts that work in a background thread as the server
starts, while the browser is still loading Streamlit's front end; the page then finds it
done, or waits for it under its spinner. On a fresh install the kernels compile in parallel
(optviz.race.warm_up), the batch kernel included, once the first page's are ready.

A middleware (views.early_plotly) also has the browser evaluate plotly.js while the page is
still connecting, rather than after the first chart has arrived.
"""

import logging
import threading
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from views.early_plotly import EvaluatePlotlyEarly


def _warm_up() -> None:
    try:
        from optviz.race import warm_up

        warm_up(parallel=True)
    except Exception:  # never the server's problem: the page does the same work and reports it
        logging.getLogger("optviz").exception("warming up failed; the first page will do it")


@asynccontextmanager
async def _lifespan(_app):
    threading.Thread(target=_warm_up, name="optviz-warm-up", daemon=True).start()
    yield


app = st.App("app.py", lifespan=_lifespan, middleware=[Middleware(EvaluatePlotlyEarly)])
