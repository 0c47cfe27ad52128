"""server.early_plotly: Streamlit's page gains a module script for its plotly chunk, nothing else changes."""

from __future__ import annotations

import asyncio
import re

from server.early_plotly import LOADER, STATIC_JS, EvaluatePlotlyEarly, add_module, plotly_chunk

INDEX = (STATIC_JS.parents[1] / "index.html").read_bytes()
"""The page the installed Streamlit serves."""


def test_the_installed_streamlit_has_one_plotly_chunk_and_an_entry_script():
    # Fails on a Streamlit upgrade that renames either: the speed-up would otherwise vanish quietly.
    chunk = plotly_chunk()
    assert chunk is not None and (STATIC_JS / chunk).stat().st_size > 1_000_000  # plotly.js is in it
    assert b"plotly" in (STATIC_JS / chunk).read_bytes()[:2_000_000].lower()
    assert len(re.findall(rb'<script type="module"[^>]*src="[^"]*index\.[\w-]+\.js"', INDEX)) == 1


def test_the_loader_goes_right_after_the_entry_script_and_nothing_else_changes():
    page = add_module(INDEX, "PlotlyChart.abc.js")
    loader = LOADER.format(src="./static/js/PlotlyChart.abc.js").encode()
    assert page.count(loader) == 1
    before, after = page.split(loader)
    assert re.search(rb'<script type="module" crossorigin src="\./static/js/index\.[\w-]+\.js"></script>$', before)
    assert before + after == INDEX
    # The chunk is fetched at once, and imported (evaluated) from the first websocket message.
    assert b'<link rel="modulepreload" crossorigin href="./static/js/PlotlyChart.abc.js">' in loader
    assert b'import("./static/js/PlotlyChart.abc.js")' in loader


def test_a_page_without_the_entry_script_is_left_alone():
    html = b'<html><head><script type="module" src="./static/js/main.js"></script></head></html>'
    assert add_module(html, "PlotlyChart.abc.js") == html


def serve(inner_messages, accept=b"text/html,*/*", method="GET"):
    """Run the middleware around an app that answers with ``inner_messages``; returns what the
    browser would receive and the request (headers, extensions) the app saw."""
    seen, sent = {}, []

    async def app(scope, receive, send):
        seen["headers"], seen["extensions"] = dict(scope["headers"]), scope.get("extensions", {})
        for message in inner_messages:
            await send(message)

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": "/",
        "headers": [
            (b"accept", accept),
            (b"accept-encoding", b"gzip, br"),
            (b"if-none-match", b'"abc"'),
            (b"if-modified-since", b"Tue, 01 Dec 2026 10:00:00 GMT"),
        ],
        "extensions": {"http.response.pathsend": {}, "http.response.trailers": {}},
    }
    asyncio.run(EvaluatePlotlyEarly(app)(scope, None, send))
    return sent, seen


def start(status=200, content_type=b"text/html; charset=utf-8", **extra):
    headers = [(b"content-type", content_type), *((k.encode().replace(b"_", b"-"), v) for k, v in extra.items())]
    return {"type": "http.response.start", "status": status, "headers": headers}


def body(data: bytes, more: bool = False) -> dict:
    return {"type": "http.response.body", "body": data, "more_body": more}


def test_the_page_in_two_pieces_goes_out_edited_in_one_with_its_new_length():
    half = len(INDEX) // 2
    sent, request = serve(
        [
            start(
                content_length=str(len(INDEX)).encode(), etag=b'"abc"', last_modified=b"Tue, 01 Dec 2026 10:00:00 GMT"
            ),
            body(INDEX[:half], more=True),
            body(INDEX[half:]),
        ]
    )
    # Asked for whole: uncompressed, never a 304 against a copy cached before the edit, not by path.
    assert not {b"accept-encoding", b"if-none-match", b"if-modified-since"} & set(request["headers"])
    assert "http.response.pathsend" not in request["extensions"] and "http.response.trailers" in request["extensions"]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    page = sent[1]["body"]
    loader = LOADER.format(src="./static/js/" + plotly_chunk()).encode()
    assert page.count(loader) == 1 and page.replace(loader, b"") == INDEX
    headers = dict(sent[0]["headers"])
    assert headers[b"content-length"] == str(len(page)).encode()
    assert b"etag" not in headers and b"last-modified" not in headers  # they describe the unedited file
    assert headers[b"content-type"] == b"text/html; charset=utf-8" and sent[0]["status"] == 200


def test_other_html_pages_pass_through_unchanged_even_when_longer_than_the_page():
    small = [start(), body(b"<html><head></head><body>hello</body></html>")]
    assert serve(small)[0] == small
    other = INDEX.replace(b"<title>Streamlit</title>", b"<title>Other</title>")  # same entry script
    assert serve([start(), body(other)])[0] == [start(), body(other)]
    long = [start(), *(body(INDEX[:4000], more=True) for _ in range(4)), body(b"</html>")]  # 16 kB in pieces
    assert serve(long)[0] == long


def test_assets_and_other_answers_pass_through_untouched():
    js = [start(content_type=b"application/javascript"), body(b"export{}")]
    sent, request = serve(js, accept=b"*/*")
    assert sent == js and request["headers"][b"accept-encoding"] == b"gzip, br"
    not_modified = [start(status=304), body(b"")]
    assert serve(not_modified)[0] == not_modified
    compressed = [start(content_encoding=b"gzip"), body(b"\x1f\x8b...")]
    assert serve(compressed)[0] == compressed
    json_reply = [start(content_type=b"application/json"), body(b"{}")]
    assert serve(json_reply)[0] == json_reply
    for method in ("POST", "HEAD"):
        answer = [start(content_length=str(len(INDEX)).encode()), body(INDEX if method == "POST" else b"")]
        sent, request = serve(answer, method=method)
        assert sent == answer and b"if-none-match" in request["headers"]
