"""The Playground in a real browser: Debian's Chromium, driven by Playwright, against `streamlit run`.

Never downloads a browser: Playwright launches /usr/bin/chromium (``bash dev.sh test`` installs
it). The server is started here on a free loopback port and stopped at the end.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from serving import serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    with open(log_path, "w") as log, serving(log) as (url, _proc):
        yield url


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `bash dev.sh test`, which installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(url)
    page.wait_for_function(RACE_READY, timeout=120_000)
    return page


RACE_READY = """() => { const gd = document.querySelector('.js-plotly-plot');
    return gd && gd.data && gd.data.some(t => t.name === 'start'); }"""


def trace(page: Page, name: str) -> dict:
    """x and y of a trace of the race map, as plotly drew them (typed arrays decoded)."""
    return page.evaluate(
        """(name) => { const gd = document.querySelector('.js-plotly-plot');
            const t = gd._fullData.find(t => t.name === name);
            return t ? {x: Array.from(t.x), y: Array.from(t.y)} : null; }""",
        name,
    )


def settled(page: Page, script: str, arg=None, timeout_s: float = 60):
    """What ``script`` returns once it is not null and the same twice, 250 ms apart."""
    last, deadline = None, time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = page.evaluate(script, arg)
        if now is not None and now == last:
            return now
        last = now
        page.wait_for_timeout(250)
    raise AssertionError(f"no settled value within {timeout_s} s (last: {last!r})")


def wait_for_change(page: Page, name: str, before: dict, timeout_ms: int = 15_000) -> dict:
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        try:
            now = trace(page, name)
        except Exception:  # the chart is being replaced: look again
            now = None
        if now is not None and now != before:
            return now
        page.wait_for_timeout(100)
    raise AssertionError(f"{name} did not change within {timeout_ms} ms")


def test_load_shows_the_race(server, browser):
    page = open_page(browser, server)
    names = page.evaluate("() => document.querySelector('.js-plotly-plot').data.map(t => t.name)")
    for expected in ["SGD", "Momentum", "Nesterov (NAG)", "AdaGrad", "AdaDelta", "RMSProp", "Adam", "start"]:
        assert expected in names
    assert "surface=quadratic" in page.url  # the page wrote its settings into the URL
    # Nothing but st.* calls draws: a bare string in the page (the timing log's description,
    # once) showed up as text above the race while Streamlit's "magic" was on.
    assert "unix time" not in page.inner_text("body")
    # serve.py's middleware put plotly's chunk in the page: fetched with the page's own modules,
    # before the page asked for its settings (host-config, fetched before the websocket opens).
    # Without it, the chunk is fetched only once the script's first chart has arrived.
    fetched = page.evaluate("""() => performance.getEntriesByType('resource')
        .map(e => [e.name.split('/').pop(), e.startTime])""")
    chart = [t for name, t in fetched if name.startswith("PlotlyChart.")]
    settings = [t for name, t in fetched if name == "host-config"]
    assert len(chart) == 1 and settings and chart[0] < min(settings)
    # Its loader watched for the first websocket message only, and put the browser's own send back.
    assert page.evaluate("() => WebSocket.prototype.send.toString().includes('[native code]')")
    page.close()


def test_learning_rate_slider_changes_the_chart(server, browser):
    page = open_page(browser, server + "/?optimizers=rmsprop,adam")
    before = trace(page, "RMSProp")
    expander = page.locator("[data-testid=stSidebar] [data-testid=stExpander]", has_text="RMSProp")
    expander.locator("summary").click()
    thumb = expander.locator("input[type=range][aria-label=\"Learning rate (`lr`)\"]")
    thumb.focus()
    thumb.press("ArrowRight")
    after = wait_for_change(page, "RMSProp", before)
    assert after["x"][0] == before["x"][0]  # same start
    assert after["x"][1:] != before["x"][1:]
    assert "rmsprop.lr=0.15" in page.url  # one notch up the 1, 1.5, 2, 3, 5, 7 grid from 0.1
    # The expander draws its widgets only while open; closed and reopened, the value is kept.
    expander.locator("summary").click()
    thumb.wait_for(state="detached")
    assert "rmsprop.lr=0.15" in page.url and trace(page, "RMSProp")["x"] == after["x"]
    expander.locator("summary").click()
    assert thumb.get_attribute("aria-valuetext") == "0.15"
    page.close()


def test_click_on_the_map_moves_the_start(server, browser):
    page = open_page(browser, server + "/?optimizers=adam&steps=50")
    before = trace(page, "start")
    grid = trace(page, "click to start here")
    target = (grid["x"][5 * 40 + 30], grid["y"][5 * 40 + 30])  # a grid point, away from the paths
    xy = settled(  # the chart is drawn again once it knows its width: click once it stays put
        page,
        """([x, y]) => { const gd = document.querySelector('.js-plotly-plot');
            const fl = gd._fullLayout, r = gd.getBoundingClientRect();
            return [r.left + fl._size.l + fl.xaxis.l2p(x), r.top + fl._size.t + fl.yaxis.l2p(y)]; }""",
        list(target),
    )
    page.mouse.move(*xy)
    page.mouse.click(*xy)
    after = wait_for_change(page, "start", before)
    assert after["x"][0] == pytest.approx(target[0], abs=1e-6) and after["y"][0] == pytest.approx(target[1], abs=1e-6)
    adam = trace(page, "Adam")
    assert (adam["x"][0], adam["y"][0]) == pytest.approx(target, abs=1e-6)
    page.close()


SCENE_EYE = """(points) => { const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g =>
        g._fullLayout && g._fullLayout.scene && g._fullData && g._fullData.some(t => t.type === 'scatter3d' && t.x.length === points));
    return gd ? gd._fullLayout.scene.camera.eye : null; }"""
"""The camera eye of the 3D chart whose paths have ``points`` points (one more than the steps)."""


def test_a_3d_view_turned_with_the_mouse_stays_turned_when_a_setting_changes(server, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(server + "/?optimizers=adam,rmsprop&view=3d")
    start = settled(page, SCENE_EYE, 301)
    page.wait_for_selector(".js-plotly-plot[data-camera-kept]", state="attached", timeout=30_000)
    box = page.locator(".js-plotly-plot").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x + 20 * i, y + 5 * i)
    page.mouse.up()
    turned = page.evaluate(SCENE_EYE, 301)
    assert math.dist(turned.values(), start.values()) > 0.5
    # The sliders (and the link) follow the mouse, in whole degrees.
    azimuth = round(math.degrees(math.atan2(turned["y"], turned["x"])))
    elevation = round(math.degrees(math.atan2(turned["z"], math.hypot(turned["x"], turned["y"]))))
    page.wait_for_url(f"**camera={azimuth}.0%2C{elevation}.0**", timeout=15_000)
    # A changed setting draws a new chart; it is seen from where the mouse left the old one.
    steps = page.get_by_role("slider", name="Steps")
    steps.focus()
    steps.press("ArrowLeft")
    redrawn = settled(page, SCENE_EYE, 300)  # the chart of the 299-step race
    assert redrawn == pytest.approx(turned, abs=1e-9)
    page.close()


def test_play_animates_the_heads(server, browser):
    page = open_page(browser, server + "/?optimizers=sgd,adam")
    final = trace(page, "Adam now")
    page.get_by_text("⟲ Replay").first.click()
    page.wait_for_timeout(400)
    early = trace(page, "Adam now")
    assert early != final  # the head went back to the start of the race
    page.wait_for_timeout(1200)
    later = trace(page, "Adam now")
    assert later != early  # and moves on its own
    page.close()


def test_downloads_are_the_race_on_screen(server, browser, tmp_path):
    import csv
    import io

    from PIL import Image

    page = open_page(browser, server + "/?optimizers=rmsprop,adam&steps=60")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="CSV (every step, with state)").click()
    rows = list(csv.DictReader(io.StringIO(info.value.path().read_text())))
    assert len(rows) == 2 * 61
    rmsprop = [r for r in rows if r["optimizer"] == "rmsprop"]
    drawn = trace(page, "RMSProp")
    assert [float(r["x"]) for r in rmsprop] == pytest.approx(drawn["x"], abs=1e-6)
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="PNG", exact=True).click()
    image = Image.open(info.value.path())
    assert image.format == "PNG" and image.size == (2000, 1440)  # 1000 x 720 CSS pixels at the default 2x
    page.close()


def test_uploading_a_json_export_restores_the_race(server, browser, tmp_path):
    from optviz import export
    from optviz.settings import from_query

    saved = from_query({"surface": "booth", "optimizers": "nadam,rprop", "steps": "80", "nadam.lr": "0.3"})
    path = tmp_path / "race.json"
    path.write_bytes(export.export(saved, "json"))
    page = open_page(browser, server + "/?optimizers=sgd")
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(path))
    page.wait_for_function("() => location.search.includes('surface=booth')", timeout=60_000)
    page.wait_for_function(RACE_READY, timeout=60_000)
    assert "nadam.lr=0.3" in page.url and "optimizers=nadam%2Crprop" in page.url
    wait_for_change(page, "NAdam", None)
    # A file that is not an export says so, and the race stays as it was.
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"hello": "world"}')
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(bogus))
    page.get_by_text("That file is not an optviz JSON export").wait_for(timeout=60_000)
    assert "surface=booth" in page.url and trace(page, "NAdam") is not None
    page.close()


def test_the_reference_page_opens_directly_inside_the_app_frame(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server + "/reference")
    page.get_by_text("The surfaces").wait_for(timeout=60_000)
    nav = page.locator("[data-testid=stSidebarNav] a").all_inner_texts()
    assert any("Playground" in item for item in nav) and any("The optimizers" in item for item in nav)
    assert page.title().startswith("optviz")
    assert page.get_by_text("Page not found").count() == 0
    page.close()
