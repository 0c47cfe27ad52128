"""Have the browser evaluate Streamlit's plotly.js early (``serve.py`` uses this middleware).

Streamlit's front end imports its chart component, which bundles plotly.js (4.7 MB), only
once the first chart's message has arrived. Evaluating it takes the browser's main thread
about 0.7 s, and on a first visit that came last, after the script had run on the server.
This ASGI middleware adds two things to the page's HTML, next to Streamlit's entry script:
a ``modulepreload`` of that chunk, so it is fetched at once, and a few lines that import it
right after the page has sent its first websocket message (its request for a script run).
The evaluation then overlaps the script's run on the server. Importing it as soon as the
page's modules were in held up the websocket itself by those 0.7 s. When the chart arrives,
its own import finds the module evaluated (one URL, one module instance).

Interleaved first views of the Playground with the numba cache warm (5 each, medians, same
machine and hour): no middleware 4.12 s, the chunk as a module script 3.44 s, this 3.24 s.
``benchmarks/bench_playground.py`` measures the shipped state.

Nothing else in the response changes, and the page's ``WebSocket.prototype.send`` is the
browser's own again after that first message. If the installed Streamlit has no such chunk,
or its page no such entry script, the HTML goes out untouched; a test fails on a Streamlit
upgrade that renames them.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit

STATIC_JS = Path(streamlit.__file__).parent / "static" / "static" / "js"
ENTRY = re.compile(rb'<script type="module" crossorigin src="(?P<prefix>[^"]*/)index\.[\w-]+\.js"></script>')
"""Streamlit's entry script in its ``index.html``; the chart module goes right after it, with the same prefix."""


def plotly_chunk() -> str | None:
    """File name of the front end's plotly chart module, or None if there is not exactly one."""
    found = sorted(STATIC_JS.glob("PlotlyChart.*.js"))
    return found[0].name if len(found) == 1 else None


LOADER = """<link rel="modulepreload" crossorigin href="{src}"><script>
(() => {{  /* optviz: evaluate plotly.js once the page has asked for its first script run */
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (...message) {{
    WebSocket.prototype.send = send;  /* the first message only; every message goes out as sent */
    setTimeout(() => import("{src}"), 0);
    return send.apply(this, message);
  }};
}})();
</script>"""
"""Fetch the chunk at once; evaluate it once the page has sent its first websocket message
(its request for a script run), so the 0.7 s evaluation overlaps the script's run on the
server rather than holding up the connection that asks for it."""


def add_module(html: bytes, chunk: str) -> bytes:
    """``html`` with :data:`LOADER` for ``chunk`` after Streamlit's entry script (unchanged if none)."""
    entry = ENTRY.search(html)
    if entry is None:
        return html
    loader = LOADER.format(src=entry["prefix"].decode() + chunk).encode()
    return html[: entry.end()] + loader + html[entry.end() :]


class EvaluatePlotlyEarly:
    """ASGI middleware: Streamlit's HTML page gains a module script for its plotly chunk."""

    def __init__(self, app) -> None:
        self.app = app
        self.chunk = plotly_chunk()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or self.chunk is None or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"text/html" not in headers.get(b"accept", b""):  # not a page navigation: assets, API
            await self.app(scope, receive, send)
            return
        # The page goes out uncompressed (it is 4 kB), so its text can be edited here.
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]}
        start: dict | None = None
        body: list[bytes] = []

        async def edit(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                response = dict(message.get("headers", []))
                html = b"text/html" in response.get(b"content-type", b"")
                if message["status"] == 200 and html and b"content-encoding" not in response:
                    start = message  # held back until the whole body is in
                    return
            elif start is not None and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                page = add_module(b"".join(body), self.chunk)
                kept = [(k, v) for k, v in start.get("headers", []) if k not in (b"content-length", b"etag")]
                await send({**start, "headers": [*kept, (b"content-length", str(len(page)).encode())]})
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        await self.app(scope, receive, edit)
