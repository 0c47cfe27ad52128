"""Have the browser evaluate Streamlit's plotly.js early (``serve.py`` uses this middleware).

Streamlit's front end imports its chart component, which bundles plotly.js, only once the
first chart's message has arrived. Evaluating it holds the browser's main thread for most of
a second, and on a first visit that came last, after the script had run on the server.
This ASGI middleware adds two things to the page's HTML, next to Streamlit's entry script:
a ``modulepreload`` of that chunk, so it is fetched at once, and a few lines that import it
right after the page has sent its first websocket message (its request for a script run).
The evaluation then overlaps the script's run on the server (importing it any earlier holds
up the websocket itself). When the chart arrives, its own import finds the module evaluated
(one URL, one module instance). The README's Playground section has the measurements.

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
    setTimeout(() => import("{src}").catch(() => {{}}), 0);  /* failing, the chart imports it as before */
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
    """ASGI middleware: Streamlit's own HTML page goes out with :data:`LOADER` added.

    Only a GET that accepts HTML is looked at, and only a 200 answer whose uncompressed body
    is, byte for byte, Streamlit's installed ``index.html`` is edited (to a copy made once,
    here). Any other answer passes through as it came: held back only while it is no longer
    than that page, then sent on unchanged.
    """

    def __init__(self, app) -> None:
        self.app = app
        chunk = plotly_chunk()
        self.page = (STATIC_JS.parents[1] / "index.html").read_bytes()
        self.edited = add_module(self.page, chunk) if chunk else self.page
        self.active = self.edited != self.page  # False: this Streamlit has no chunk or entry to use

    async def __call__(self, scope, receive, send) -> None:
        if not (self.active and scope["type"] == "http" and scope["method"] == "GET"
                and any(k == b"accept" and b"text/html" in v for k, v in scope["headers"])):
            await self.app(scope, receive, send)  # assets, API calls, websockets, HEAD: untouched
            return
        # Asked for whole and uncompressed (the page is 8 kB), so its text can be compared and
        # edited: no gzip, no 304 against a copy cached before the edit, no file sent by path.
        dropped = (b"accept-encoding", b"if-none-match", b"if-modified-since")
        scope = {
            **scope,
            "headers": [(k, v) for k, v in scope["headers"] if k not in dropped],
            "extensions": {k: v for k, v in (scope.get("extensions") or {}).items() if k != "http.response.pathsend"},
        }
        held: list[dict] = []  # the start message, then body messages, while they may be the page
        size = 0

        async def edit(message) -> None:
            nonlocal size
            if message["type"] == "http.response.start":
                response = dict(message.get("headers", []))
                if (
                    message["status"] == 200
                    and b"text/html" in response.get(b"content-type", b"")
                    and b"content-encoding" not in response
                ):
                    held.append(message)
                    return
            elif held and message["type"] == "http.response.body":
                held.append(message)
                size += len(message.get("body", b""))
                if size > len(self.page):  # not the page: let it all go as it came
                    for kept in held:
                        await send(kept)
                    held.clear()
                    return
                if message.get("more_body"):
                    return
                start, messages = held[0], held[1:]
                held.clear()
                if b"".join(m.get("body", b"") for m in messages) != self.page:
                    for kept in (start, *messages):  # another page: as it came
                        await send(kept)
                    return
                validators = (b"content-length", b"etag", b"last-modified")  # they describe the file
                kept = [(k, v) for k, v in start.get("headers", []) if k not in validators]
                await send({**start, "headers": [*kept, (b"content-length", str(len(self.edited)).encode())]})
                await send({"type": "http.response.body", "body": self.edited})
                return
            await send(message)

        await self.app(scope, receive, edit)
