"""Everything the Playground shows, as files: images, animations, interactive HTML, data, code.

One function per format, each a pure function of a race (:class:`~optviz.race.settings.RaceSettings`
and its trajectories from :func:`optviz.race.run_race`); :data:`FORMATS` lists them and
:func:`export` dispatches on a format id, for the page's download buttons and the command
line alike.

- PNG, SVG and PDF are drawn by plotly.js in a headless Chrome or Chromium through kaleido.
  One browser per process is started on first use and kept (a cold start costs seconds), and
  renders go through it one at a time. MathJax is off, so nothing is fetched from the network.
  :func:`image_export_available` says whether a browser was found and, if not, how to get one.
- GIF and MP4 need no browser: see :mod:`optviz.out.animation`.
- HTML embeds plotly.js and the animation frames: it plays offline.
- CSV has one row per optimizer per step with the optimizer's internal state; JSON holds the
  race's settings (as the URL's query parameters) and every trajectory, and :func:`from_json`
  reads the settings back through the same validation as a link.
- The NumPy and PyTorch scripts are in :mod:`optviz.out.codegen`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import csv
import io
import json
import math
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from ..engine.data import read_csv
from ..engine.optimizers import OPTIMIZERS
from ..engine.simulate import Trajectory
from ..race.run import race_title, run_race, settings_caption
from ..race.settings import UPLOADED_KEY, RaceSettings, complete, from_query, surface_of, to_query
from ..render.figures import CLICK_TRACE, race_map
from .animation import DEFAULT_SIZE, MAX_FRAMES, gif_bytes, mp4_bytes, render_frames
from .codegen import numpy_script, pytorch_script, script_filename

FILE_VERSION = 1  # the "optviz" key of a JSON export
IMAGE_SIZE = (1000, 720)  # PNG, SVG and PDF, in CSS pixels (PNG's pixels are these times the scale)
IMAGE_TEMPLATE = "plotly_white"  # explicit: importing streamlit makes its own dark-ish template the default
BROWSER_START_TIMEOUT = 60.0
RENDER_TIMEOUT = 90.0
BACKGROUND_RESOLUTION = 1600  # pixels across of the exported contour picture
HTML_FRAME_POINT_BUDGET = 400_000  # a file, not a page's rerun: every frame in full (about 8 MB at most)


__all__ = [
    "FORMATS",
    "Format",
    "ImageExportError",
    "export",
    "filename",
    "from_json",
    "image_export_available",
    "numpy_script",
    "pytorch_script",
    "race_figure_for_export",
    "read_query",
    "run_race",
    "to_csv",
    "to_gif",
    "to_html",
    "to_json",
    "to_mp4",
    "to_pdf",
    "to_png",
    "to_svg",
]


class ImageExportError(RuntimeError):
    """Static image export could not run: no browser, or the browser failed."""


# --- The race as a figure -------------------------------------------------------------------


def race_figure_for_export(
    settings: RaceSettings,
    runs: Sequence[Trajectory],
    *,
    width: int = IMAGE_SIZE[0],
    height: int = IMAGE_SIZE[1],
    interactive: bool = False,
) -> go.Figure:
    """The Playground's race map, titled with the surface and the settings, in a light template.

    ``interactive=False`` (images) shows the final state without the play controls;
    ``interactive=True`` (HTML) keeps the animation frames, buttons and slider. Either way the
    invisible click grid the page uses to pick a start is hidden.
    """
    runs = list(runs)
    lines = _wrap_words(settings_caption(settings, runs), max(60, width // 7))
    figure = race_map(settings, runs, height=height, resolution=BACKGROUND_RESOLUTION, max_frames=MAX_FRAMES,
                      frame_budget=HTML_FRAME_POINT_BUDGET).validated()
    figure.data[CLICK_TRACE].visible = False
    figure.update_layout(
        template=IMAGE_TEMPLATE,
        width=width,
        plot_bgcolor="white",
        title=dict(
            text=race_title(settings, runs),
            y=1.0 - 10 / height,
            yanchor="top",
            subtitle=dict(text="<br>".join(lines), font=dict(size=12)),
        ),
        legend=dict(y=1.0, yanchor="bottom"),
        margin=dict(t=50 + 15 * len(lines) + 28 * _legend_rows(figure, width - 150)),
    )
    if interactive:
        return figure
    static = figure.without_frames()
    static.layout.updatemenus = ()
    static.layout.sliders = ()
    static.update_layout(margin=dict(b=50), dragmode=False)
    return static


def _legend_rows(figure: go.Figure, room: float) -> int:
    """About how many rows the horizontal legend takes: plotly.js wraps it but does not say."""
    widths = [7.0 * len(trace.name or "") + 50.0 for trace in figure.data if trace.showlegend is not False]
    rows, used = 1, 0.0
    for w in widths:
        if used and used + w > room:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def _wrap_words(text: str, limit: int) -> list[str]:
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


# --- Static images through kaleido ----------------------------------------------------------


def image_export_available() -> tuple[bool, str]:
    """Whether PNG/SVG/PDF export can run here, and a sentence saying so (or how to enable it).

    Looks for Chrome or Chromium the way kaleido does (``BROWSER_PATH`` first, then the
    usual names on ``PATH`` and the usual install places); it does not start the browser.
    """
    others = "GIF, MP4, HTML, CSV, JSON and the scripts work without it."
    try:
        from choreographer.browsers.chromium import Chromium
    except ImportError:
        return False, f"Image export (PNG, SVG, PDF) needs the kaleido package: pip install kaleido. {others}"
    path = Chromium.find_browser(skip_local=False)
    if not path or not os.path.isfile(path):
        return False, (
            "Image export (PNG, SVG, PDF) needs Chrome or Chromium, and none was found. Install Chromium "
            "(Debian or Ubuntu: sudo apt-get install chromium) or set BROWSER_PATH to a Chrome or Chromium "
            f"executable, then restart optviz. {others}"
        )
    return True, f"Images are drawn by the browser at {path}."


def offline_page():
    """kaleido's render page with nothing from the network: plotly.js from the plotly package,
    MathJax off (kaleido's default fetches it from a CDN)."""
    import kaleido
    import plotly

    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return kaleido.PageGenerator(plotly=str(bundle), mathjax=False)


class _ImageServer:
    """One headless browser per process, started on first use and kept; one render at a time.

    kaleido's own ``start_sync_server`` waits forever when the browser fails to start (its
    worker thread dies and the request queue is never served), so this runs kaleido on an
    event loop of its own, where a failed start raises and every wait has a timeout.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido = None

    def render(self, figure: dict, fmt: str, width: int, height: int, scale: float) -> bytes:
        with self._lock:
            if self._kaleido is None:
                self._start()
            opts = {"format": fmt, "width": width, "height": height, "scale": scale}
            future = asyncio.run_coroutine_threadsafe(self._kaleido.calc_fig(figure, opts=opts), self._loop)
            try:
                return future.result(RENDER_TIMEOUT)
            except Exception as err:
                future.cancel()
                self._stop()  # a browser that failed once is not trusted again: the next call starts afresh
                raise ImageExportError(f"the browser could not draw the {fmt.upper()}: {err}") from err

    def _start(self) -> None:
        available, message = image_export_available()
        if not available:
            raise ImageExportError(message)
        import kaleido

        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="optviz-kaleido", daemon=True).start()

        async def open_browser():
            browser = kaleido.Kaleido(n=1, page_generator=offline_page(), timeout=RENDER_TIMEOUT)
            await browser.open()
            return browser

        future = asyncio.run_coroutine_threadsafe(open_browser(), loop)
        try:
            self._kaleido = future.result(BROWSER_START_TIMEOUT)
        except Exception as err:
            future.cancel()
            loop.call_soon_threadsafe(loop.stop)
            raise ImageExportError(f"the browser for image export did not start: {err}") from err
        self._loop = loop

    def _stop(self) -> None:
        if self._kaleido is not None and self._loop is not None:
            with contextlib.suppress(Exception):  # closing a broken browser may fail too; it is dropped anyway
                asyncio.run_coroutine_threadsafe(self._kaleido.close(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._kaleido, self._loop = None, None

    def close(self) -> None:
        """Close the browser (at exit; the next render would start a new one)."""
        with self._lock:
            self._stop()


_SERVER = _ImageServer()
atexit.register(_SERVER.close)


def _image(fig: go.Figure, fmt: str, scale: float) -> bytes:
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0.25 <= scale <= 8:
        raise ValueError(f"scale={scale!r} is not valid: expected a number from 0.25 to 8")
    width = int(fig.layout.width or IMAGE_SIZE[0])
    height = int(fig.layout.height or IMAGE_SIZE[1])
    return _SERVER.render(fig.to_dict(), fmt, width, height, float(scale))


def to_png(fig: go.Figure, scale: float = 2.0) -> bytes:
    """The figure as a PNG of (width * scale) x (height * scale) pixels."""
    return _image(fig, "png", scale)


def to_svg(fig: go.Figure) -> bytes:
    """The figure as SVG (the contour map inside it is an embedded picture)."""
    return _image(fig, "svg", 1.0)


def to_pdf(fig: go.Figure) -> bytes:
    """The figure as a one-page PDF."""
    return _image(fig, "pdf", 1.0)


# --- Animations (no browser) -----------------------------------------------------------------


def to_gif(settings: RaceSettings, runs: Sequence[Trajectory], **size) -> bytes:
    """The race's animation as a looping GIF (numpy and Pillow only; see :mod:`optviz.out.animation`).
    ``size``: ``width`` and ``height`` in pixels, ``max_frames``, as :func:`render_frames` takes them."""
    return gif_bytes(render_frames(settings, runs, **size))


def to_mp4(settings: RaceSettings, runs: Sequence[Trajectory], **size) -> bytes:
    """The race's animation as an H.264 MP4 (yuv420p; odd sizes round down to even); ``size`` as for GIF."""
    return mp4_bytes(render_frames(settings, runs, **size))


# --- Interactive HTML -----------------------------------------------------------------------


def to_html(fig: go.Figure) -> str:
    """A self-contained HTML page: plotly.js embedded, so the animation plays offline."""
    return pio.to_html(
        fig,
        include_plotlyjs=True,
        full_html=True,
        auto_play=False,
        config={"displaylogo": False, "scrollZoom": True},
    )


# --- Data -----------------------------------------------------------------------------------


def state_columns(runs: Sequence[Trajectory]) -> list[str]:
    """The state slots of the race's optimizers, in the order they first appear."""
    return list(dict.fromkeys(name for t in runs for name in OPTIMIZERS[t.optimizer].state))


def to_csv(runs: Sequence[Trajectory]) -> str:
    """One row per optimizer per step: optimizer, step, x, y, loss, then each state slot per
    coordinate (``square_avg_x``, ``square_avg_y``, ...), empty where the optimizer has no such
    slot. Numbers are written in full (Python's repr), so they read back exactly; step 0's
    state is ``nan`` since no step has been taken."""
    slots = state_columns(runs)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["optimizer", "step", "x", "y", "loss", *(f"{s}_{c}" for s in slots for c in "xy")])
    for t in runs:
        columns = [t.path[:, 0], t.path[:, 1], t.loss]
        for slot in slots:
            if slot in t.state:
                columns += [t.state[slot][:, 0], t.state[slot][:, 1]]
            else:
                columns += [None, None]
        n = len(t.path)
        text = [[repr(v) for v in c.tolist()] if c is not None else [""] * n for c in columns]
        for step in range(n):
            writer.writerow([t.optimizer, step, *(c[step] for c in text)])
    return buffer.getvalue()


def _finite_or_none(values) -> list:
    return [v if math.isfinite(v) else None for v in values]


def _pairs(array) -> list:
    return [_finite_or_none(row) for row in array.tolist()]


def to_json(settings: RaceSettings, runs: Sequence[Trajectory]) -> str:
    """The race as JSON: ``{"optviz": 1, "settings": {...}, "trajectories": [...]}``.

    ``settings`` are the URL's query parameters (:func:`optviz.race.settings.to_query`), so the
    file restores the race wherever a link would. Each trajectory holds its hyperparameters,
    ``path`` ([x, y] per step), ``loss``, ``state`` (slot -> [x, y] per step) and where it
    diverged or reached a minimum. Numbers are exact; a value that is not finite (the state
    before the first step) is null.
    """
    trajectories = [
        {
            "optimizer": t.optimizer,
            "surface": t.surface,
            "hyperparameters": t.hyperparameters,
            "start": list(t.start),
            "steps": t.steps,
            "noise": t.noise,
            "seed": t.seed,
            "tolerance": t.tolerance,
            "diverged_at": t.diverged_at,
            "reached_at": t.reached_at,
            "reached_minimum": t.reached_minimum,
            "path": _pairs(t.path),
            "loss": _finite_or_none(t.loss.tolist()),
            "state": {name: _pairs(values) for name, values in t.state.items()},
            **({} if t.batches is None else {"batch_size": t.batches.batch_size, "batches": t.batches.to_json()}),
        }
        for t in runs
    ]
    document = {"optviz": FILE_VERSION, "settings": to_query(settings), "trajectories": trajectories}
    surface = surface_of(settings)
    if surface.is_data:
        document["data"] = {"model": surface.data.model, "x": surface.data.x.tolist(), "y": surface.data.y.tolist()}
    return json.dumps(document, allow_nan=False, separators=(",", ":"))


def read_query(text: str | bytes) -> tuple[dict[str, str], tuple[str, ...]]:
    """The query parameters stored in a JSON export, and notices for stored values that are
    not text (they are left out).

    Raises:
        ValueError: the text is not an optviz JSON export at all.
    """
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"not an optviz race file: the JSON does not parse ({err})") from None
    if not isinstance(document, dict) or "optviz" not in document:
        raise ValueError('not an optviz race file: expected a JSON object with an "optviz" key')
    version = document["optviz"]
    if version != FILE_VERSION:
        raise ValueError(f"optviz race file version {version!r} is not supported: this optviz reads version 1")
    stored = document.get("settings")
    if not isinstance(stored, dict):
        raise ValueError('not an optviz race file: "settings" should be an object of text values')
    notices = tuple(
        f"Ignored {key}={value!r}: expected text." for key, value in stored.items() if not isinstance(value, str)
    )
    return {str(k): v for k, v in stored.items() if isinstance(v, str)}, notices


def from_json(text: str | bytes) -> tuple[RaceSettings, tuple[str, ...]]:
    """The race settings in a JSON export, and notices for anything that could not be used.

    The settings go through :func:`optviz.race.settings.from_query`, exactly as a link's would:
    a tampered or stale value falls back to its default and is named in the notices. The
    trajectories in the file are not read: the race is simulated again from the settings.

    Raises:
        ValueError: the text is not an optviz JSON export at all.
    """
    query, notices = read_query(text)
    data = _uploaded_data(text, query)
    if data is not None:
        query.pop(UPLOADED_KEY)
    settings = from_query(query)
    if data is not None and settings.surface == data.model:
        settings = complete(replace(settings, data=data))
    notices = (*notices, *settings.notices)
    return replace(settings, notices=notices), notices


def _uploaded_data(text: str | bytes, query: dict[str, str]):
    """The uploaded samples a JSON export carries (checked as an uploaded CSV is), or None."""
    if query.get(UPLOADED_KEY) != "uploaded":
        return None
    data = json.loads(text).get("data")
    try:
        model, xs, ys = data["model"], data["x"], data["y"]
        rows = "\n".join(f"{x!r},{y!r}" for x, y in zip(xs, ys, strict=True))
        return read_csv("x,y\n" + rows, model)
    except (TypeError, KeyError, ValueError):
        return None  # from_query then says the samples are not there and shows generated ones


# --- One entry point for every format -------------------------------------------------------


@dataclass(frozen=True)
class Format:
    """One export format: how it is named, saved and served, and whether it needs a browser."""

    id: str
    label: str
    extension: str
    mime: str
    needs_browser: bool = False
    per_optimizer: bool = False  # the scripts: one optimizer's path


FORMATS: dict[str, Format] = {
    f.id: f
    for f in (
        Format("png", "PNG image", "png", "image/png", needs_browser=True),
        Format("svg", "SVG image", "svg", "image/svg+xml", needs_browser=True),
        Format("pdf", "PDF", "pdf", "application/pdf", needs_browser=True),
        Format("gif", "Animated GIF", "gif", "image/gif"),
        Format("mp4", "MP4 video", "mp4", "video/mp4"),
        Format("html", "Interactive HTML", "html", "text/html"),
        Format("csv", "CSV (every step)", "csv", "text/csv"),
        Format("json", "JSON (settings and paths)", "json", "application/json"),
        Format("numpy", "NumPy script", "py", "text/x-python", per_optimizer=True),
        Format("pytorch", "PyTorch script", "py", "text/x-python", per_optimizer=True),
    )
}


def filename(settings: RaceSettings, fmt: str, optimizer: str | None = None) -> str:
    """A file name for this export: ``optviz-rosenbrock.png``, ``rmsprop_rosenbrock_numpy.py``."""
    spec = _format(fmt)
    if spec.per_optimizer:
        return script_filename(settings, optimizer or settings.optimizers[0], spec.id)
    return f"optviz-{settings.surface}.{spec.extension}"


def _format(fmt: str) -> Format:
    if fmt not in FORMATS:
        raise ValueError(f"format={fmt!r} is not known; choose one of: {', '.join(FORMATS)}")
    return FORMATS[fmt]


def export(
    settings: RaceSettings,
    fmt: str,
    runs: Sequence[Trajectory] | None = None,
    *,
    optimizer: str | None = None,
    scale: float = 2.0,
    width: int | None = None,
    height: int | None = None,
    max_frames: int = MAX_FRAMES,
) -> bytes:
    """The race in format ``fmt`` (a :data:`FORMATS` id), as the bytes of the file.

    Args:
        settings: the race.
        fmt: png, svg, pdf, gif, mp4, html, csv, json, numpy or pytorch.
        runs: its trajectories from :func:`optviz.race.run_race`; run here if omitted.
        optimizer: the scripts' optimizer (default: the race's first).
        scale: PNG pixels per CSS pixel.
        width, height: the picture's size (images and HTML: CSS pixels; GIF and MP4: pixels).
        max_frames: most animation frames (GIF, MP4).
    """
    spec = _format(fmt)
    if spec.per_optimizer:
        oid = optimizer or settings.optimizers[0]
        return (numpy_script if spec.id == "numpy" else pytorch_script)(settings, oid).encode()
    if runs is None:
        runs, _ = run_race(settings)
    runs = list(runs)
    if spec.id in ("gif", "mp4"):
        size = {"width": width or DEFAULT_SIZE[0], "height": height or DEFAULT_SIZE[1], "max_frames": max_frames}
        return to_gif(settings, runs, **size) if spec.id == "gif" else to_mp4(settings, runs, **size)
    if spec.id == "csv":
        return to_csv(runs).encode()
    if spec.id == "json":
        return to_json(settings, runs).encode()
    size = {"width": width or IMAGE_SIZE[0], "height": height or IMAGE_SIZE[1]}
    if spec.id == "html":
        return to_html(race_figure_for_export(settings, runs, interactive=True, **size)).encode()
    fig = race_figure_for_export(settings, runs, **size)
    render: dict[str, Callable[[go.Figure], bytes]] = {
        "png": lambda f: to_png(f, scale),
        "svg": to_svg,
        "pdf": to_pdf,
    }
    return render[spec.id](fig)
