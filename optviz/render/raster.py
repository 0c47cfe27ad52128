"""Contour maps as pictures: a surface drawn to an RGB array with numpy alone.

The animated race draws its contour as a background image rather than a Contour trace:
plotly.js drops contour and heatmap traces while it animates frames with ``redraw: False``
(plotly.js#4491), and an image under the axes is untouched by the animation. The same
picture is the backdrop of the GIF and MP4 exports, which need no browser.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from ..engine.simulate import grid_values
from ..engine.surfaces import Surface, get_surface

CONTOUR_STOPS = ((0.0, "#ffffff"), (0.4, "#deebf7"), (0.75, "#9ecae1"), (1.0, "#4292c6"))
LINE_RGB = (107, 142, 181)  # contour lines: a darker blue, drawn where the level band changes
MISSING_RGB = (224, 224, 224)  # where f is not finite
LEVELS = 30


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def colour_levels(surface: Surface, z: np.ndarray, floor: float | None = None) -> tuple[np.ndarray, str]:
    """The values to colour by: log10(f - floor + 1) on steep surfaces (``floor``: the lowest
    finite f in ``z`` unless given), f itself otherwise."""
    finite = np.isfinite(z)
    if surface.log_contours and finite.any():
        floor = float(z[finite].min()) if floor is None else floor
        shifted = np.where(finite, np.maximum(z - floor, 0.0), np.nan)  # -inf stays missing, not the lowest band
        return np.log10(shifted + 1.0), "log10(f - min + 1)"
    return np.where(finite, z, np.nan), "f"


def colour_scale(surface: str | Surface, width: int = 800, height: int = 600, bounds=None) -> tuple[float, float, float]:
    """(floor, low, high): how :func:`contour_bands` colours this picture of the surface, for
    another picture (a wider view around it) to be coloured the same way."""
    surf = get_surface(surface)
    (x_lo, x_hi), (y_lo, y_hi) = bounds or surf.bounds
    z = grid_values(surf, np.linspace(x_lo, x_hi, width), np.linspace(y_hi, y_lo, height))
    finite = np.isfinite(z)
    floor = float(z[finite].min()) if finite.any() else 0.0
    values, _ = colour_levels(surf, z, floor)
    ok = np.isfinite(values)
    low, high = (float(values[ok].min()), float(values[ok].max())) if ok.any() else (0.0, 1.0)
    return floor, low, high


def contour_bands(
    surface: str | Surface, width: int = 800, height: int = 600, levels: int = LEVELS, bounds=None,
    scale: tuple[float, float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, tuple[float, float], str]:
    """The surface as filled level bands with lines between them, as a palette image.

    Returns (indices, palette, (low, high), meaning): ``indices`` is a (height, width) uint8
    array into ``palette`` (n, 3) with row 0 at the top of the view (largest y); low and high
    bound the colouring values, and ``meaning`` says what they are, for a colour bar. With
    ``scale`` (from :func:`colour_scale` of another picture) the bands match that picture's,
    values beyond its range taking its end colours.
    """
    surf = get_surface(surface)
    (x_lo, x_hi), (y_lo, y_hi) = bounds or surf.bounds
    xs = np.linspace(x_lo, x_hi, width)
    ys = np.linspace(y_hi, y_lo, height)
    values, meaning = colour_levels(surf, grid_values(surf, xs, ys), None if scale is None else scale[0])
    finite = np.isfinite(values)
    if scale is not None:
        low, high = scale[1], scale[2]
    else:
        low, high = (float(values[finite].min()), float(values[finite].max())) if finite.any() else (0.0, 1.0)
    span = high - low if high > low else 1.0
    band = np.zeros(values.shape, dtype=np.uint8)
    band[finite] = np.clip((values[finite] - low) / span * levels, 0, levels - 1).astype(np.uint8)
    edge = np.zeros(values.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    band[edge & finite] = levels  # the line colour
    band[~finite] = levels + 1  # the missing colour
    # Colour each band by its middle value, interpolating the colour stops.
    stops = np.array([s for s, _ in CONTOUR_STOPS])
    rgb_stops = np.array([_hex(c) for _, c in CONTOUR_STOPS], dtype=float)
    middles = (np.arange(levels) + 0.5) / levels
    bands = np.stack([np.interp(middles, stops, rgb_stops[:, k]) for k in range(3)], axis=1)
    palette = np.vstack([bands, [LINE_RGB, MISSING_RGB]]).round().astype(np.uint8)
    return band, palette, (low, high), meaning


def fit_view(bounds, width: float, height: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """``bounds`` widened in x or in y, about its centre, to the shape of a width x height
    picture: the region a map drawn to scale on both axes shows."""
    (x_lo, x_hi), (y_lo, y_hi) = bounds
    x_span, y_span = x_hi - x_lo, y_hi - y_lo
    if x_span / y_span < width / height:
        half = 0.5 * y_span * width / height
        centre = 0.5 * (x_lo + x_hi)
        return (centre - half, centre + half), (y_lo, y_hi)
    half = 0.5 * x_span * height / width
    centre = 0.5 * (y_lo + y_hi)
    return (x_lo, x_hi), (centre - half, centre + half)


def contour_rgb(surface: str | Surface, width: int = 800, height: int = 600, levels: int = LEVELS) -> np.ndarray:
    """The contour map as an (height, width, 3) uint8 RGB array, top row = largest y."""
    indices, palette, _, _ = contour_bands(surface, width, height, levels)
    return palette[indices]


def png_data_uri(indices: np.ndarray, palette: np.ndarray) -> str:
    """A palette PNG as a data: URI for a plotly layout image (few colours: it packs small)."""
    image = Image.fromarray(indices, mode="P")
    image.putpalette(palette.ravel().tolist())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
