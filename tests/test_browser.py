"""The Playground in a real browser: Debian's Chromium, driven by Playwright, against `streamlit run`.

Never downloads a browser: Playwright launches /usr/bin/chromium (``bash dev.sh test`` installs
it). The server is started here on a free loopback port and stopped at the end.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, sync_playwright
from serving import serving

import optviz

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


def _notch_up() -> float:
    from optviz.engine.presets import nice_log_grid, suggested_lr

    grid = nice_log_grid(1e-6, 10.0)
    return grid[grid.index(suggested_lr("quadratic", "rmsprop")) + 1]


NOTCH_UP = _notch_up()  # the lr slider's next stop above RMSProp's suggested rate on the bowl


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
    assert f"rmsprop.lr={NOTCH_UP}" in page.url  # one notch up the 1, 1.5, 2, 3, 5, 7 grid
    # The expander draws its widgets only while open; closed and reopened, the value is kept.
    expander.locator("summary").click()
    thumb.wait_for(state="detached")
    assert f"rmsprop.lr={NOTCH_UP}" in page.url and trace(page, "RMSProp")["x"] == after["x"]
    expander.locator("summary").click()
    assert thumb.get_attribute("aria-valuetext") == f"{NOTCH_UP:g}"
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
    from optviz.out import export
    from optviz.race.settings import from_query

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


MAP_XY = """([x, y]) => { const gd = document.querySelector('.js-plotly-plot');
    const fl = gd._fullLayout, r = gd.getBoundingClientRect();
    return [r.left + fl._size.l + fl.xaxis.l2p(x), r.top + fl._size.t + fl.yaxis.l2p(y)]; }"""


def click_map_at(page: Page, x: float, y: float) -> None:
    xy = settled(page, MAP_XY, [x, y])
    page.mouse.move(*xy)
    page.mouse.click(*xy)


def shown_step(page: Page) -> int:
    """The step the map's slider says it shows ("step 120")."""
    text = page.locator(".js-plotly-plot .slider-group > text.slider-label").first.text_content()
    return int(text.split()[-1])


def test_a_click_moves_the_start_after_play_and_after_a_scrub(server, browser):
    # After Play, plotly.js had recomputed the traces no frame touched without drawing them,
    # and the next click's selection failed on them: the start stayed where it was.
    page = open_page(browser, server + "/?optimizers=adam&steps=50")
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.get_by_text("▶ Play").first.click()
    page.wait_for_timeout(4500)  # 50 frames at 60 ms, and a margin
    before = trace(page, "start")
    click_map_at(page, 2.0, 1.0)
    after = wait_for_change(page, "start", before)
    assert (after["x"][0], after["y"][0]) == (2.0, 1.0)
    # A scrub: a click on the slider's rail shows one frame; the map still takes a click.
    page.wait_for_function(RACE_READY, timeout=60_000)
    rail = page.locator(".js-plotly-plot .slider-rail-rect").first.bounding_box()
    page.mouse.click(rail["x"] + rail["width"] * 0.3, rail["y"] + rail["height"] / 2)
    page.wait_for_timeout(500)
    assert 0 < shown_step(page) < 50
    before = trace(page, "start")
    click_map_at(page, -2.0, -1.0)
    after = wait_for_change(page, "start", before)
    assert (after["x"][0], after["y"][0]) == (-2.0, -1.0)
    assert not errors
    page.close()


def test_a_paused_animation_shows_the_true_path_up_to_its_step(server, browser):
    import optviz
    from optviz.race.settings import from_query

    page = open_page(browser, server + "/?optimizers=momentum,adam")
    page.get_by_text("⟲ Replay").first.click()
    page.wait_for_timeout(1200)
    page.get_by_text("❚❚ Pause").first.click()
    page.wait_for_timeout(300)
    step = shown_step(page)
    assert 0 < step < 300
    settings = from_query({"optimizers": "momentum,adam"})
    for name, oid in (("Momentum", "momentum"), ("Adam", "adam")):
        run = optviz.simulate("quadratic", oid, settings.start_point, 300, **settings.params_of(oid))
        drawn = trace(page, name)
        # every step up to the one shown, not a polygon through the frames' steps
        assert len(drawn["x"]) == step + 1
        assert drawn["x"] == pytest.approx(run.path[: step + 1, 0], abs=1e-6)
        assert drawn["y"] == pytest.approx(run.path[: step + 1, 1], abs=1e-6)
    page.close()


SCALE = """() => { const fl = document.querySelector('.js-plotly-plot')._fullLayout;
    return [fl.xaxis._m, -fl.yaxis._m, fl.xaxis.range, fl.yaxis.range]; }"""
"""Pixels per unit along x and along y, and the ranges shown."""


@pytest.mark.parametrize("width, height", [(1600, 1000), (1280, 720), (390, 844)])
def test_the_map_is_drawn_to_scale_at_every_size(server, browser, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(server + "/?surface=himmelblau&optimizers=adam")  # a square view: it was drawn 2.6 to 1
    page.wait_for_function(RACE_READY, timeout=120_000)
    x_scale, y_scale, x_range, y_range = settled(page, SCALE)
    assert x_scale == pytest.approx(y_scale, rel=1e-3)
    # The whole view shows, and more of the surface beside it where the chart is not square.
    assert x_range[0] <= -5 and x_range[1] >= 5 and y_range[0] <= -5 and y_range[1] >= 5
    page.close()


BOX = "(el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_on_a_phone_nothing_covers_the_controls_and_a_hint_points_to_the_sidebar(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "/?optimizers=sgd,momentum,nesterov,adagrad,adadelta,rmsprop,adam")
    page.wait_for_function(RACE_READY, timeout=120_000)
    page.get_by_text("are in the sidebar").wait_for(timeout=30_000)
    settled(page, "() => document.querySelector('.js-plotly-plot')._fullLayout.width")
    hint = page.get_by_text("are in the sidebar")
    assert hint.is_visible()
    buttons = [b.evaluate(BOX) for b in page.locator(".js-plotly-plot .updatemenu-button").all()]
    slider = page.locator(".js-plotly-plot .slider-container").first.evaluate(BOX)
    label = page.locator(".js-plotly-plot .slider-group > text.slider-label").first.evaluate(BOX)
    assert len(buttons) == 3 and not any(overlap(b, slider) or overlap(b, label) for b in buttons)
    # No legend or title inside the chart to cover one another: the key is above the map.
    race_map = page.locator(".js-plotly-plot").first
    assert race_map.locator(".legend").count() == 0 and race_map.locator(".gtitle").count() == 0
    page.locator(".st-key-focus button").nth(6).wait_for(timeout=30_000)  # drawn after the early map
    assert page.locator(".st-key-focus button").count() == 7
    assert page.get_by_text("Deploy").count() == 0
    page.close()
    wide = open_page(browser, server)
    assert not wide.get_by_text("are in the sidebar").is_visible()
    wide.close()


def test_each_optimizer_wears_its_own_colour_and_a_pill_singles_it_out(server, browser):
    from optviz.render.figures import COLORS

    def rgb(hex_colour: str) -> str:
        return "rgb({}, {}, {})".format(*(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)))

    page = open_page(browser, server + "/?optimizers=sgd,rmsprop,adam")
    for name, oid in (("SGD", "sgd"), ("RMSProp", "rmsprop"), ("Adam", "adam")):
        tag = page.locator(f'.st-key-optimizers span[data-tag][aria-label="{name}"]')
        assert tag.evaluate("(e) => getComputedStyle(e).backgroundColor") == rgb(COLORS[oid])
        dot = page.locator(f'.st-key-open-{oid} summary span[aria-label="circle icon"]')
        assert dot.evaluate("(e) => getComputedStyle(e).color") == rgb(COLORS[oid])
    pills = page.locator(".st-key-focus button")
    assert pills.nth(1).evaluate("(e) => getComputedStyle(e, '::before').backgroundColor") == rgb(COLORS["rmsprop"])
    pills.nth(1).click()
    page.wait_for_function("() => location.search.includes('focus=rmsprop')", timeout=30_000)
    page.wait_for_function("""() => { const gd = document.querySelector('.js-plotly-plot');
        return gd._fullData.find(t => t.name === 'SGD').opacity < 0.3; }""", timeout=30_000)
    assert page.evaluate("""() => document.querySelector('.js-plotly-plot')._fullData
        .find(t => t.name === 'RMSProp').opacity""") == 1
    page.close()


def test_the_3d_view_has_the_markers_and_plays_without_losing_its_camera(server, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(server + "/?optimizers=adam,rmsprop&view=3d&steps=120")
    start = settled(page, SCENE_EYE, 121)
    page.wait_for_selector(".js-plotly-plot[data-camera-kept]", state="attached", timeout=30_000)
    names = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData.map(t => t.name)")
    assert "start" in names and "minimum" in names
    box = page.locator(".js-plotly-plot").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 3
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x + 20 * i, y + 5 * i)
    page.mouse.up()
    turned = settled(page, SCENE_EYE, 121)
    assert math.dist(turned.values(), start.values()) > 0.5
    page.wait_for_timeout(1500)  # the keeper reports the camera; the page redraws from it
    turned = settled(page, SCENE_EYE, 121)
    page.get_by_text("⟲ Replay").first.click()
    page.wait_for_timeout(600)
    during = page.evaluate("""() => { const gd = document.querySelector('.js-plotly-plot');
        return [gd._fullData.find(t => t.name === 'Adam').x.length, gd._fullLayout.scene.camera.eye]; }""")
    assert during[0] < 121  # the path is growing again
    assert during[1] == pytest.approx(turned, abs=1e-6)  # and the camera did not move
    page.close()


def test_why_rmsprop_the_decay_slider_moves_the_drift_chart(server, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(server + "/why-rmsprop")
    page.get_by_text("The mini-batch argument").wait_for(timeout=120_000)
    marker = """() => { const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g =>
        g._fullLayout && g._fullLayout.title && (g._fullLayout.title.text || '').startsWith('Drift'));
        return gd && gd._fullLayout.shapes.length ? gd._fullLayout.shapes[0].x0 : null; }"""
    before = settled(page, marker)
    assert before == pytest.approx(0.1)  # 1 - 0.9
    thumb = page.locator("input[type=range][aria-label=\"RMSProp's decay (alpha)\"]")
    thumb.focus()
    thumb.press("ArrowRight")  # 0.9 -> 0.93, the next stop
    page.wait_for_url("**decay=0.93**", timeout=30_000)
    after = settled(page, marker)
    assert after == pytest.approx(0.07)
    assert page.get_by_text("RMSProp at decay 0.93 moves the weight").count() == 1
    page.close()


def test_why_rmsprop_maps_show_their_whole_legend_on_a_phone(server, browser):
    # Several legend rows do not fit the fixed top margin of a narrow map: the maps on this page
    # grow their margin to the legend, so no row is cut off above the chart.
    page = browser.new_page(viewport={"width": 390, "height": 7000})
    page.goto(server + "/why-rmsprop")
    page.get_by_text("One name, six conventions").wait_for(timeout=120_000)
    legends = """() => [...document.querySelectorAll('.js-plotly-plot')]
        .filter(g => g._fullLayout && g._fullLayout.images && g._fullLayout.images.length && g.querySelector('g.legend'))
        .map(g => { const l = g.querySelector('g.legend').getBoundingClientRect(), f = g.getBoundingClientRect();
                    return [l.top - f.top, l.height, g.querySelectorAll('g.legend g.traces').length]; })"""
    deadline = time.monotonic() + 60
    while len(found := page.evaluate(legends)) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(300)
    assert len(found) == 2, found  # the bowl map and the conventions map
    for top, height, entries in found:
        assert entries >= 4 and height > 40, found  # more than one row on a phone
        assert top >= 0, found  # its top row is inside the figure
    page.close()


def test_a_data_surface_takes_an_uploaded_csv_and_names_a_bad_one(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    page.goto(server + "/?surface=linear_regression&samples=50&batch=5")
    samples = """() => { const gd = document.querySelector('.js-plotly-plot');
        const t = gd && gd._fullData ? gd._fullData.find(t => t.xaxis === 'x4' && t.mode === 'markers') : null;
        return t ? t.name : null; }"""
    assert settled(page, samples) == "50 samples"
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\nfoo,3\n")
    page.locator("[data-testid=stSidebar] input[type=file]").set_input_files(str(bad))
    page.get_by_text("line 3, column x: 'foo' is not a number").wait_for(timeout=60_000)
    assert settled(page, samples) == "50 samples"  # the race keeps its samples
    good = tmp_path / "good.csv"
    good.write_text("x,y\n" + "".join(f"{x},{2 * x - 1}\n" for x in range(12)))
    page.locator("[data-testid=stSidebar] input[type=file]").set_input_files(str(good))
    page.get_by_text("The race uses 12 uploaded samples").wait_for(timeout=60_000)
    deadline = time.monotonic() + 60
    while page.evaluate(samples) != "12 samples" and time.monotonic() < deadline:
        page.wait_for_timeout(300)
    assert page.evaluate(samples) == "12 samples"
    assert "data=uploaded" in page.url
    assert page.locator("[data-testid=stException]").count() == 0
    page.close()


def test_a_click_on_a_sweep_cell_opens_that_race_in_the_playground(server, browser):
    from urllib.parse import parse_qs, urlparse

    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(server + "/maps")
    ready = """() => { const gd = document.querySelector('.js-plotly-plot');
        return gd && gd._fullLayout && gd._fullLayout.meta && gd._fullLayout.meta.kind === 'sweep'; }"""
    page.wait_for_function(ready, timeout=120_000)
    page.wait_for_timeout(1500)
    box = page.evaluate("""() => { const gd = document.querySelector('.js-plotly-plot');
        const r = gd.querySelector('.nsewdrag').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }""")
    left, top, width, height = box
    page.mouse.click(left + 0.5 * width, top + 0.25 * height)  # lr at the middle of 1e-4..1 (log), alpha high
    deadline = time.monotonic() + 60
    while "optimizers=rmsprop" not in page.url and time.monotonic() < deadline:  # switch_page: no page load
        page.wait_for_timeout(250)
    query = {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}
    assert query["surface"] == "quadratic" and query["start"] == "-5.0,-2.0"
    assert 10 ** -2.2 < float(query["rmsprop.lr"]) < 10 ** -1.8  # the cell under the click
    assert 0.8 < float(query["rmsprop.alpha"]) < 0.9
    lrs = np.geomspace(1e-4, 1.0, 100)
    assert np.isclose(lrs, float(query["rmsprop.lr"]), rtol=1e-12).any()  # exactly one of the sweep's values
    settled(page, """() => { const gd = document.querySelector('.js-plotly-plot');
        return gd && gd._fullData && gd._fullData.some(t => t.name === 'RMSProp') ? 1 : null; }""")
    assert page.locator("[data-testid=stException]").count() == 0
    page.close()


def test_the_compare_page_shows_the_shipped_study(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    page.goto(server + "/compare")
    boxes = """() => { const gd = document.querySelector('.js-plotly-plot');
        return gd && gd._fullData ? gd._fullData.filter(t => t.type === 'box').map(t => t.name).join(',') : null; }"""
    names = settled(page, boxes, timeout_s=120).split(",")
    assert len(names) == 7 and set(names) == {"SGD", "Momentum", "Nesterov (NAG)", "AdaGrad", "AdaDelta", "RMSProp", "Adam"}
    page.get_by_text("Fairness card").wait_for(timeout=30_000)
    assert page.locator("[data-testid=stDataFrame]").count() == 1
    assert page.locator("[data-testid=stException]").count() == 0
    page.close()


def test_two_sessions_never_see_each_others_formulas_or_uploads(server, browser, tmp_path):
    a_context, b_context = (browser.new_context(viewport={"width": 1280, "height": 1400}) for _ in range(2))
    a, b = a_context.new_page(), b_context.new_page()  # two students, two cookie jars
    title = """() => [...document.querySelectorAll('[data-testid=stMarkdownContainer]')].map(e => e.innerText)
        .find(t => t.includes('optimizers,')) || null"""
    a.goto(server + "/?surface=custom&f=x%5E2%2By%5E2")
    b.goto(server + "/?surface=custom&f=sin(x)%2By%5E2")
    assert settled(a, title).startswith("f(x, y) = x^2+y^2:")
    assert settled(b, title).startswith("f(x, y) = sin(x)+y^2:")
    a.goto(server + "/?surface=linear_regression&samples=50")
    b.goto(server + "/?surface=linear_regression&samples=50")
    samples = """() => { const gd = document.querySelector('.js-plotly-plot');
        const t = gd && gd._fullData ? gd._fullData.find(t => t.xaxis === 'x4' && t.mode === 'markers') : null;
        return t ? t.name : null; }"""
    assert settled(a, samples) == settled(b, samples) == "50 samples"
    upload = tmp_path / "a.csv"
    upload.write_text("x,y\n" + "".join(f"{x},{x}\n" for x in range(9)))
    a.locator("[data-testid=stSidebar] input[type=file]").set_input_files(str(upload))
    a.get_by_text("The race uses 9 uploaded samples").wait_for(timeout=60_000)
    deadline = time.monotonic() + 60
    while a.evaluate(samples) != "9 samples" and time.monotonic() < deadline:
        a.wait_for_timeout(300)
    assert a.evaluate(samples) == "9 samples"
    b.reload()
    assert settled(b, samples) == "50 samples" and b.get_by_text("uploaded samples").count() == 0
    assert settled(b, title).startswith("Linear regression (50 samples)")
    for c in (a_context, b_context):
        c.close()


def test_every_optimizers_update_fits_its_expander_at_laptop_width(server, browser):
    """Issue 12, item 8: RMSProp's update was cut after "x" (the equation wider than the sidebar,
    to be scrolled sideways)."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(server + "/?optimizers=" + ",".join(optviz.OPTIMIZERS))
    page.wait_for_function(RACE_READY, timeout=120_000)
    too_wide = {}
    for opt in optviz.OPTIMIZERS.values():
        expander = page.locator("[data-testid=stSidebar] [data-testid=stExpander]", has_text=opt.name).first
        expander.locator("summary").click()
        formula = expander.locator(".katex-html").first
        formula.wait_for(timeout=30_000)
        needed, shown = formula.evaluate("e => [e.scrollWidth, e.clientWidth]")
        if needed > shown + 3:  # KaTeX's last glyph overhangs its box by 2 px in every multi-line display
            too_wide[opt.name] = (needed, shown)
        expander.locator("summary").click()
    page.close()
    assert too_wide == {}
