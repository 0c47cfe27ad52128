"""The race as an animation, drawn with numpy and Pillow alone: animated GIF and MP4.

No browser is involved. Each frame is a palette image: the contour map of
:func:`optviz.render.raster.contour_bands` (the picture behind the Playground's map) with the
minima and the start, every optimizer's path so far and its head in
:data:`optviz.render.figures.COLORS`, and a side panel with the title, the legend and a step counter.
Each frame shows the true path through every step up to its own (a long run within half a
pixel), and the last frame the whole race, as the Playground's map does. With both axes on
one scale (the default, as on the map) the picture shows more of the surface on two sides
rather than stretching the view.

Drawing straight into palette indices keeps every colour exact, so the GIF needs no
quantising; the MP4 maps the indices to RGB and pipes them to the ffmpeg binary that the
``imageio-ffmpeg`` package ships.
"""

from __future__ import annotations

import itertools
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..engine.optimizers import OPTIMIZERS
from ..engine.simulate import Trajectory
from ..race.run import frame_ms, race_title
from ..race.settings import RaceSettings, surface_of
from ..render.figures import COLORS, frame_steps
from ..render.polyline import drawn_points, prefix
from ..render.raster import colour_scale, contour_bands, fit_view

DEFAULT_SIZE = (800, 600)
MIN_SIZE = (320, 240)
MAX_SIZE = (3840, 2160)
MAX_FRAMES = 100
HOLD_LAST_MS = 1500  # the GIF rests on its last frame before it loops
_DRAW_LIMIT = 20_000.0  # pixel coordinates beyond this are clipped before Pillow sees them
MAX_DRAWN_POINTS = 5_000  # per path and frame; a longer path is drawn within half a pixel

# Palette entries after the contour's own colours.
_FIXED = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "text": (51, 51, 51),
    "muted": (110, 110, 110),
    "gold": (255, 215, 0),
    "rule": (200, 200, 200),
}


@dataclass(frozen=True)
class Animation:
    """Frames as palette indices: ``frames[k]`` is (height, width) uint8 into ``palette``
    (n, 3), and shows the race after ``steps[k]`` steps. The map fills the frame's left
    ``plot_size`` (width, height) pixels and shows ``view`` ((x_min, x_max), (y_min, y_max)),
    the pixel centres at its edges."""

    frames: list[np.ndarray]
    palette: np.ndarray
    steps: np.ndarray
    frame_ms: int
    plot_size: tuple[int, int] = (0, 0)
    view: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 1.0), (0.0, 1.0))

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        height, width = self.frames[0].shape
        return width, height

    def rgb(self, k: int) -> np.ndarray:
        """Frame ``k`` as an (height, width, 3) uint8 RGB array."""
        return self.palette[self.frames[k]]


def _check_size(width: int, height: int) -> tuple[int, int]:
    for name, value, low, high in (
        ("width", width, MIN_SIZE[0], MAX_SIZE[0]),
        ("height", height, MIN_SIZE[1], MAX_SIZE[1]),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
            raise ValueError(f"{name}={value!r} is not valid: expected a whole number of pixels from {low} to {high}")
    return int(width), int(height)


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _clip(p: np.ndarray, q: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The part of segment p-q inside the square [low, high]^2 (Liang-Barsky), or None."""
    t0, t1 = 0.0, 1.0
    d = q - p
    for k in range(2):
        for edge, sign in ((low, -1.0), (high, 1.0)):
            denom = sign * d[k]
            dist = sign * (edge - p[k])  # how far the edge is, measured along its outward normal
            if denom == 0.0:
                if dist < 0.0:
                    return None
                continue
            t = dist / denom
            if denom > 0.0:
                t1 = min(t1, t)
            else:
                t0 = max(t0, t)
    if t0 > t1:
        return None
    return p + t0 * d, p + t1 * d


class _Path:
    """One trajectory in pixels: every step, or (a long run) the points within half a pixel
    of it (:func:`optviz.render.polyline.drawn_points`)."""

    def __init__(self, t: Trajectory, to_pixels) -> None:
        pixels = to_pixels(t.path)
        with np.errstate(invalid="ignore", over="ignore"):
            self.index = drawn_points(pixels, 0.5, MAX_DRAWN_POINTS)  # within half a pixel past MAX_DRAWN_POINTS
        self.last = len(t.path) - 1
        self.xy_all = pixels
        self.fits = bool(np.all(np.abs(pixels[self.index]) <= _DRAW_LIMIT))
        self.colour = t.optimizer
        self.diverged = t.diverged_at is not None

    def points_at(self, step: int) -> np.ndarray:
        """The path up to ``step`` in pixels: every drawn point up to it, then the point at it."""
        return self.xy_all[prefix(self.index, min(step, self.last))]


def _star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    points = []
    for k in range(10):
        r = outer if k % 2 == 0 else 0.45 * outer
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return points


def render_frames(
    settings: RaceSettings,
    runs: Sequence[Trajectory],
    *,
    width: int = DEFAULT_SIZE[0],
    height: int = DEFAULT_SIZE[1],
    max_frames: int = MAX_FRAMES,
) -> Animation:
    """Draw the race's animation frames (see the module docstring for what each shows)."""
    width, height = _check_size(width, height)
    if not runs:
        raise ValueError("there is nothing to animate: the race has no trajectories")
    surf = surface_of(settings)
    unit = height / 600.0  # sizes below are for a 600-pixel-high frame
    panel = max(150, round(width * 0.25))
    plot_w, plot_h = width - panel, height
    (x_lo, x_hi), (y_lo, y_hi) = surf.bounds

    if settings.equal_axes:  # as the Playground draws it: one scale, more of the surface around the view
        (x_lo, x_hi), (y_lo, y_hi) = fit_view(surf.bounds, plot_w, plot_h)
        scale = colour_scale(surf, plot_w, plot_h)
    else:
        scale = None
    indices, contour_palette, _, _ = contour_bands(surf, plot_w, plot_h, bounds=((x_lo, x_hi), (y_lo, y_hi)),
                                                   scale=scale)
    names = [*_FIXED, *(f"opt:{oid}" for oid in OPTIMIZERS)]
    colours = [*_FIXED.values(), *(_hex(COLORS[oid]) for oid in OPTIMIZERS)]
    palette = np.vstack([contour_palette, np.array(colours, dtype=np.uint8)])
    ink = {name: len(contour_palette) + k for k, name in enumerate(names)}
    flat_palette = palette.ravel().tolist()

    def to_pixels(points: np.ndarray) -> np.ndarray:
        px = (points[:, 0] - x_lo) / (x_hi - x_lo) * (plot_w - 1)
        py = (y_hi - points[:, 1]) / (y_hi - y_lo) * (plot_h - 1)
        return np.column_stack([px, py])

    line_w = max(2, round(3 * unit))
    head_r = max(4, round(6 * unit))

    # The plot's background: contour, minima, start (below the paths, as on screen).
    plot_bg = Image.fromarray(indices.astype(np.uint8), mode="P")
    plot_bg.putpalette(flat_palette)
    draw = ImageDraw.Draw(plot_bg)
    for m in surf.minima:
        ((mx, my),) = to_pixels(np.array([[m.x, m.y]]))
        draw.polygon(_star(mx, my, 10 * unit), fill=ink["gold"], outline=ink["black"])
    ((sx, sy),) = to_pixels(np.array([settings.start_point], dtype=float))
    if abs(sx) <= _DRAW_LIMIT and abs(sy) <= _DRAW_LIMIT:
        r = 7 * unit
        draw.ellipse((sx - r, sy - r, sx + r, sy + r), outline=ink["black"], width=max(2, round(3 * unit)))

    # The panel: title, settings, legend; the step counter goes in per frame.
    frame_bg = Image.new("P", (width, height), ink["white"])
    frame_bg.putpalette(flat_palette)
    draw = ImageDraw.Draw(frame_bg)
    draw.line((plot_w, 0, plot_w, height), fill=ink["rule"], width=1)
    pad = round(12 * unit)
    left = plot_w + pad
    y = pad
    title_font, text_font, small_font = _font(round(16 * unit)), _font(round(14 * unit)), _font(round(12 * unit))
    for line in _wrap(race_title(settings, list(runs)), title_font, panel - 2 * pad):
        draw.text((left, y), line, fill=ink["text"], font=title_font)
        y += round(20 * unit)
    x0, y0 = settings.start_point
    draw.text((left, y), f"start ({x0:g}, {y0:g})", fill=ink["muted"], font=small_font)
    y += round(28 * unit)
    for t in runs:
        colour = ink[f"opt:{t.optimizer}"]
        mid = y + round(8 * unit)
        draw.line((left, mid, left + round(22 * unit), mid), fill=colour, width=line_w)
        draw.text((left + round(30 * unit), y), OPTIMIZERS[t.optimizer].name, fill=ink["text"], font=text_font)
        y += round(17 * unit)
        detail = f"lr {t.hyperparameters['lr']:g}"
        if t.diverged_at is not None:
            detail += f", diverged at step {t.diverged_at}"
        draw.text((left + round(30 * unit), y), detail, fill=ink["muted"], font=small_font)
        y += round(20 * unit)
    counter_font = _font(round(18 * unit))
    counter_y = height - pad - round(22 * unit)

    longest = max(len(t.path) - 1 for t in runs)
    shown = frame_steps(longest, max_frames)
    paths = [_Path(t, to_pixels) for t in runs]
    frames = []
    for step in shown:
        plot = plot_bg.copy()
        draw = ImageDraw.Draw(plot)
        for path in paths:
            xy = path.points_at(step)
            colour = ink[f"opt:{path.colour}"]
            if len(xy) > 1:
                if path.fits:
                    draw.line([tuple(p) for p in xy], fill=colour, width=line_w, joint="curve")
                else:
                    for a, b in itertools.pairwise(xy):
                        piece = _clip(a, b, -2.0 * line_w, max(plot_w, plot_h) + 2.0 * line_w)
                        if piece is not None:
                            draw.line([tuple(piece[0]), tuple(piece[1])], fill=colour, width=line_w)
        for path in paths:  # heads on top of every path
            hx, hy = path.points_at(step)[-1]
            if abs(hx) > _DRAW_LIMIT or abs(hy) > _DRAW_LIMIT:
                continue
            colour = ink[f"opt:{path.colour}"]
            if path.diverged:
                r = head_r + 1
                draw.line((hx - r, hy - r, hx + r, hy + r), fill=colour, width=max(3, line_w + 1))
                draw.line((hx - r, hy + r, hx + r, hy - r), fill=colour, width=max(3, line_w + 1))
            else:
                draw.ellipse((hx - head_r, hy - head_r, hx + head_r, hy + head_r), fill=colour, outline=ink["black"])
        frame = frame_bg.copy()
        frame.paste(plot, (0, 0))
        ImageDraw.Draw(frame).text((left, counter_y), f"step {int(step)}", fill=ink["text"], font=counter_font)
        frames.append(np.asarray(frame, dtype=np.uint8))
    return Animation(frames=frames, palette=palette, steps=shown, frame_ms=frame_ms(settings),
                     plot_size=(plot_w, plot_h), view=((x_lo, x_hi), (y_lo, y_hi)))


def _wrap(text: str, font, width: float) -> list[str]:
    """Greedy word wrap of ``text`` to lines no wider than ``width`` pixels."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def gif_bytes(animation: Animation) -> bytes:
    """The animation as a looping GIF; the last frame rests for :data:`HOLD_LAST_MS`."""
    images = []
    flat = animation.palette.ravel().tolist()
    for frame in animation.frames:
        image = Image.fromarray(frame, mode="P")
        image.putpalette(flat)
        images.append(image)
    durations = [animation.frame_ms] * len(images)
    durations[-1] = max(animation.frame_ms, HOLD_LAST_MS)
    with tempfile.SpooledTemporaryFile() as buffer:
        images[0].save(
            buffer,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=durations,
            loop=0,
            optimize=False,
            disposal=1,
        )
        buffer.seek(0)
        return buffer.read()


def mp4_bytes(animation: Animation, quality: float = 7.0) -> bytes:
    """The animation as an H.264 MP4 (yuv420p, plays in browsers and phones) at the race's speed.

    Uses the ffmpeg binary shipped by ``imageio-ffmpeg``. Odd dimensions lose their last pixel
    row or column: yuv420p needs even ones.
    """
    width, height = animation.size
    even_w, even_h = width - width % 2, height - height % 2
    handle, path = tempfile.mkstemp(suffix=".mp4")
    os.close(handle)
    try:
        writer = imageio_ffmpeg.write_frames(
            path,
            (even_w, even_h),
            fps=1000.0 / animation.frame_ms,
            codec="libx264",
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            quality=quality,
            macro_block_size=2,
            ffmpeg_log_level="error",
            output_params=["-movflags", "+faststart", "-preset", "veryfast"],
        )
        writer.send(None)
        for k in range(len(animation.frames)):
            writer.send(np.ascontiguousarray(animation.rgb(k)[:even_h, :even_w]).tobytes())
        writer.close()
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)
