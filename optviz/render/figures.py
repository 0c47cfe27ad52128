"""Plotly figures of optimizer races: the animated contour map, the 3D view and the charts.

The only module of optviz that imports plotly. Every builder is a pure function of
trajectories and a surface, so the figures are tested without Streamlit.

The animated map keeps the contour (and the invisible click grid) static in ``data``; its
frames are raw dicts that touch only the path and head traces (``traces=[...]``), and a long
run is cut to at most ``max_frames`` frames, so the figure stays small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from _plotly_utils.utils import convert_to_base64

from ..engine.data import batch_gradient, get_model
from ..engine.optimizers import OPTIMIZERS
from ..engine.simulate import Trajectory, surface_grid
from ..engine.surfaces import Surface, get_surface
from ..race.run import frame_ms
from ..race.settings import RaceSettings, surface_of
from .polyline import drawn_points
from .raster import CONTOUR_STOPS, colour_levels, colour_scale, contour_bands, png_data_uri

COLORS: dict[str, str] = {o.id: o.colour for o in OPTIMIZERS.values()}  # each optimizer's colour, from its registry entry

CONTOUR_SCALE = [[stop, colour] for stop, colour in CONTOUR_STOPS]
CLICK_TRACE = 0  # index of the invisible grid whose clicks set the start point
MAX_PATH_POINTS = 1500  # points per line on the loss and distance charts; longer runs are thinned evenly
MAP_PATH_POINTS = 5001  # points per path on the race map: any Playground race in full; past it, simplified
ROUND = 6  # decimals kept in the figure JSON
MAP_HEIGHT = 620  # pixels: the race map, its 3D view and the placeholder that holds its place
LOG_FLOOR = 1e-16  # log charts show anything below as this: float64 cannot tell it from 0 here

# Every figure carries its own look, so the Playground draws its charts with theme=None
# (Streamlit's chart theme makes the browser draw each chart twice). These are that theme's
# fonts and colours (Streamlit's light theme); exports get them too.
FONT = '"Source Sans", "Source Sans Pro", sans-serif'
TEXT_COLOR = "#31333F"
GRID_COLOR = "#e6eaf1"
# Margins are fixed (autoexpand off, no axis automargin): plotly otherwise measures the
# legend, colour bar, animation controls and tick labels and draws the chart a second time
# to fit them, which doubled its drawing time. Each layout below sets margins that fit.
_AXIS_STYLE = dict(automargin=False, gridcolor=GRID_COLOR, linecolor=GRID_COLOR, zerolinecolor=GRID_COLOR,
                   title=dict(font=dict(size=14)))
_STYLE = dict(
    font=dict(family=FONT, size=12, color=TEXT_COLOR),
    title=dict(font=dict(size=16, weight=600)),
    paper_bgcolor="white",
    plot_bgcolor="white",
    xaxis=_AXIS_STYLE,
    yaxis=_AXIS_STYLE,
    hoverlabel=dict(font=dict(family=FONT)),
    margin=dict(autoexpand=False),
)


def _merged(base: dict, over: dict) -> dict:
    """``base`` with ``over`` on top, merging nested dicts (new dicts; neither is changed)."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def styled(layout: dict) -> dict:
    """``layout`` in optviz's chart style: fonts, colours, grid lines, fixed margins."""
    return _merged(_STYLE, layout)


def color_of(optimizer: str) -> str:
    return COLORS[optimizer]


def _thin(n: int, limit: int) -> np.ndarray:
    """Indices 0..n-1 thinned evenly to at most ``limit``, always keeping both ends."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))


def _rounded(a) -> np.ndarray:
    """``a`` to ROUND decimals. Values past 1e15 have no decimals left to drop and are kept as
    they are: np.round scales by 10**ROUND first, which would turn 1e305 into inf."""
    a = np.asarray(a, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(np.abs(a) < 1e15, np.round(a, ROUND), a)


def _r(a) -> np.ndarray:
    """Coordinates for a trace, rounded; an array, which plotly validates without a Python loop."""
    return _rounded(a)


def _raw(a) -> list:
    """Coordinates for a raw frame: a short list of rounded floats is the most compact JSON."""
    return _rounded(a).tolist()


def label_of(t: Trajectory) -> str:
    name = OPTIMIZERS[t.optimizer].name
    return f"{name}: diverged at step {t.diverged_at}" if t.diverged_at is not None else name


@lru_cache(maxsize=64)
def _background(surface: Surface, width: int, height: int) -> tuple[str, tuple[float, float], str]:
    """The contour map of a surface as a PNG data URI (cached: it depends on nothing else)."""
    indices, palette, value_range, meaning = contour_bands(surface, width, height)
    return png_data_uri(indices, palette), value_range, meaning


SURROUNDINGS_ASPECT = (0.5, 3.0)
"""The narrowest and widest map (width / height) the surroundings picture fills."""


def surroundings(bounds) -> tuple[tuple[float, float], tuple[float, float]]:
    """The region around a view that a map drawn to scale may show: a chart wider or taller
    than the view shows more of the surface on two sides rather than blank paper."""
    (x_lo, x_hi), (y_lo, y_hi) = bounds
    narrow, wide = SURROUNDINGS_ASPECT
    half_x = 0.5 * max(x_hi - x_lo, wide * (y_hi - y_lo))
    half_y = 0.5 * max(y_hi - y_lo, (x_hi - x_lo) / narrow)
    cx, cy = 0.5 * (x_lo + x_hi), 0.5 * (y_lo + y_hi)
    return (cx - half_x, cx + half_x), (cy - half_y, cy + half_y)


@lru_cache(maxsize=64)
def _surroundings_image(surface: Surface, width: int, height: int, longest: int = 1200) -> dict:
    """The surface around its view (:func:`surroundings`), coloured as the view's picture of
    this size is, as a layout image below it."""
    (x_lo, x_hi), (y_lo, y_hi) = region = surroundings(surface.bounds)
    ratio = (x_hi - x_lo) / (y_hi - y_lo)
    size = (longest, max(2, round(longest / ratio))) if ratio >= 1 else (max(2, round(longest * ratio)), longest)
    scale = colour_scale(surface, width, height)
    indices, palette, _, _ = contour_bands(surface, *size, bounds=region, scale=scale)
    return dict(source=png_data_uri(indices, palette), xref="x", yref="y", x=x_lo, y=y_hi, sizex=x_hi - x_lo,
                sizey=y_hi - y_lo, sizing="stretch", layer="below")


def _round_nodes(lo: float, hi: float, most: int) -> np.ndarray:
    """Round numbers in [lo, hi]: the multiples of the smallest 1-2-2.5-5 step that gives at most
    ``most`` of them. The map's click grid: a click starts the race at one of these, so a start
    picked by mouse reads 0.25 or -1.5, not -1.4838. Each node is an SVG element in the browser:
    25 per axis (625) redraw several times faster than the 1,600 of a 40 x 40 grid."""
    span = hi - lo
    if not (math.isfinite(span) and span / max(most - 1, 1) > 1e-300):  # degenerate or vast bounds
        t = np.linspace(0.0, 1.0, most)
        return lo * (1.0 - t) + hi * t  # hi - lo may overflow; this form cannot
    step = 10.0 ** math.floor(math.log10(span / max(most - 1, 1)))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0, 20.0):
        first, last = math.ceil(lo / (step * factor) - 1e-9), math.floor(hi / (step * factor) + 1e-9)
        if last - first + 1 <= most:
            break
    return np.round(np.arange(first, last + 1) * step * factor, 12)


def frame_steps(steps_done: int, max_frames: int) -> np.ndarray:
    """The step shown by each animation frame: 0..steps_done, at most ``max_frames`` of them."""
    return _thin(steps_done + 1, max_frames)


FRAME_POINT_BUDGET = 70_000
"""Most path points the race map's frames carry in all (about 20 bytes of JSON each): every
frame redraws each path from its start, so frames cost the sum of their paths' lengths."""
MIN_FRAMES = 20
DRAW_TOLERANCE = 5e-4
"""A drawn path stays this close to the true one, as a fraction of the view's diagonal (half a
pixel across a 1000-pixel map), where it has more than MAP_PATH_POINTS points; a doubling of
it at a time where the frames would exceed their budget. The figure's ``layout.meta``
says what was used (0: every point drawn)."""


def _view_diagonal(surface: Surface) -> float:
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    return math.hypot(x_hi - x_lo, y_hi - y_lo)


def _frame_plan(trajectories: Sequence[Trajectory], tolerance: float, max_frames: int,
                budget: int) -> tuple[list[np.ndarray], np.ndarray, float]:
    """Which points each path draws, which steps the frames show, and how close the drawn
    paths stay to the true ones (0: every point drawn), within ``budget`` points in all
    where the truth allows.

    Every point of every path while the frames fit the budget (and a path has at most
    MAP_PATH_POINTS). Past that, in turn: paths simplified at ``tolerance`` (half a pixel:
    the same picture), fewer frames (down to MIN_FRAMES), then the path with the most points
    coarsened, one doubling at a time, but never past MAX_COARSENING times ``tolerance``: a
    path that zigzags visibly for thousands of steps is drawn as it is, over budget, rather
    than as a line it is not. Every frame draws the path up to its step, never a path through
    the frames' steps alone.
    """
    longest = max((len(t.path) - 1 for t in trajectories), default=0)

    def plan(drawn: list[np.ndarray], most_frames: int) -> tuple[np.ndarray, int]:
        frames = most_frames
        while True:
            shown = frame_steps(longest, frames)
            total = sum(int(_prefix_counts(d, len(t.path), shown).sum()) for d, t in zip(drawn, trajectories, strict=True))
            if total <= budget or frames <= MIN_FRAMES:
                return shown, total
            frames = max(MIN_FRAMES, min(frames - 1, int(frames * budget / total)))

    if all(len(t.path) <= MAP_PATH_POINTS for t in trajectories):
        drawn = [np.arange(len(t.path)) for t in trajectories]
        shown, total = plan(drawn, max_frames)
        if total <= budget and len(shown) == min(max_frames, longest + 1):
            return drawn, shown, 0.0
    tolerances = [tolerance] * len(trajectories)
    drawn = []
    for k, t in enumerate(trajectories):
        keep = drawn_points(t.path, tolerances[k], 0)
        while len(keep) > MAP_PATH_POINTS and math.isfinite(tolerances[k] * 2):
            tolerances[k] *= 2.0
            keep = drawn_points(t.path, tolerances[k], 0)
        drawn.append(keep)
    while True:
        shown, total = plan(drawn, max_frames)
        coarsenable = [k for k in range(len(drawn)) if len(drawn[k]) > 2 and tolerances[k] < MAX_COARSENING * tolerance]
        if total <= budget or not coarsenable:
            used = [tol for tol, d, t in zip(tolerances, drawn, trajectories, strict=True) if len(d) < len(t.path)]
            return drawn, shown, max(used, default=0.0)
        biggest = max(coarsenable, key=lambda k: len(drawn[k]))
        tolerances[biggest] *= 2.0
        drawn[biggest] = drawn_points(trajectories[biggest].path, tolerances[biggest], 0)


MAX_COARSENING = 4  # a long race is drawn within 4 x DRAW_TOLERANCE (2 pixels of a 1000-pixel map) at most


def _prefix_counts(drawn: np.ndarray, points: int, shown: np.ndarray) -> np.ndarray:
    """How many points each frame draws of a path with these drawn indices (see polyline.prefix)."""
    last = np.minimum(shown, points - 1)
    count = np.searchsorted(drawn, last, side="right")
    return count + (drawn[count - 1] != last)


def map_height(surface: Surface, equal_axes: bool = True, animated: bool = True) -> int:
    """The race map's height in pixels: where both axes share one scale, enough for the view's
    aspect across a desktop-wide chart (within limits), plus room for the controls."""
    chrome = MAP_MARGIN_TOP + (MAP_MARGIN_BOTTOM_ANIMATED if animated else MAP_MARGIN_BOTTOM)
    if not equal_axes:
        return MAP_HEIGHT
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    plot = MAP_PLOT_WIDTH * (y_hi - y_lo) / (x_hi - x_lo)
    return round(min(max(plot, 360), 560)) + chrome


MAP_PLOT_WIDTH = 900  # pixels across the map's plot area in a desktop browser (for its height)
MAP_MARGIN_TOP = 40
MAP_MARGIN_TOP_COLOUR_BAR = 62  # without a legend, the colour bar sits above the map
MAP_MARGIN_BOTTOM = 50
MAP_MARGIN_BOTTOM_ANIMATED = 165


def race_figure(
    surface: str | Surface,
    trajectories: Sequence[Trajectory],
    *,
    start: tuple[float, float] | None = None,
    max_frames: int = 60,
    frame_ms: int = 60,
    resolution: int = 800,
    click_nodes: int = 25,
    title: str | None = None,
    height: int | None = None,
    equal_axes: bool = True,
    legend: bool = True,
    focus: str | None = None,
    frame_budget: int = FRAME_POINT_BUDGET,
    styles: Sequence[tuple[str, str]] | None = None,
    inside: str | None = None,
    fit_legend: bool = False,
) -> go.Figure:
    """The race: contour map, one coloured path per optimizer, animation controls.

    Trace order: click grid, colour bar, minima, start, then per optimizer its path and its
    head. Frames update only the paths and heads; each frame draws every path through every
    step up to its own, so the last frame is the still picture. A long race (a path past
    MAP_PATH_POINTS points, or frames past ``frame_budget`` points) is drawn within a small
    distance of the true paths, given in ``layout.meta.drawn_within`` (see DRAW_TOLERANCE).

    ``equal_axes`` draws both axes to one scale (a square domain looks square): the view
    always shows, and a chart of another shape shows more of the surface around it.
    ``inside`` (a racing optimizer's id) adds its inside beneath the map: its state slots and
    effective step size per coordinate over steps, with a cursor at the frame's step, and two
    arrows on the map from its point at that step (see :func:`_inside`).
    ``focus`` (an optimizer id) fades the other paths. ``styles`` gives each trajectory its
    own (name, colour), where several runs of one optimizer race (RMSProp's conventions). ``legend=False`` draws no legend and
    a thin colour bar above the map, so the map has the chart's whole width (the Playground
    shows its own key above it). ``fit_legend`` lets plotly grow the top margin to a legend of
    several rows (many or long names, a narrow chart), at the cost of a second layout pass. The contour is a background image (see
    :mod:`optviz.render.raster`): plotly.js drops contour traces while it animates. The frames are
    kept raw (see :class:`RaceFigure`).
    """
    surf = get_surface(surface)
    (x_lo, x_hi), (y_lo, y_hi) = surf.bounds
    image_height = round(resolution * (y_hi - y_lo) / (x_hi - x_lo)) if equal_axes else round(resolution * 0.75)
    image_size = (resolution, min(max(image_height, 2), 4 * resolution))
    background, (c_lo, c_hi), colour_title = _background(surf, *image_size)
    if legend:
        colour_bar = dict(title=dict(text=colour_title, side="right"), thickness=12, x=1.0)
    else:
        colour_bar = dict(title=dict(text=colour_title, side="top", font=dict(size=12)), orientation="h", thickness=8,
                          len=220, lenmode="pixels", x=1.0, xanchor="right", y=1.0, yanchor="bottom", ypad=2,
                          tickfont=dict(size=10))
    gx, gy = np.meshgrid(_round_nodes(x_lo, x_hi, click_nodes), _round_nodes(y_lo, y_hi, click_nodes))
    sx, sy = start if start is not None else (trajectories[0].start if trajectories else surf.start)
    traces: list[dict] = [
        dict(  # invisible, but a click on it is a selection event Streamlit reports
            type="scatter", x=_r(gx.ravel()), y=_r(gy.ravel()), mode="markers", name="click to start here",
            marker=dict(size=max(4, 600 // click_nodes), color="rgba(0,0,0,0)", opacity=0.01),
            hovertemplate="start here: (%{x:.3g}, %{y:.3g})<extra></extra>", showlegend=False,
        ),
        dict(  # carries the colour bar of the background map
            type="scatter", x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="none",
            marker=dict(color=[c_lo, c_hi], colorscale=CONTOUR_SCALE, showscale=True, size=0, colorbar=colour_bar),
        ),
        dict(
            type="scatter", x=[m.x for m in surf.minima], y=[m.y for m in surf.minima], mode="markers",
            marker=dict(symbol="star", size=16, color="gold", line=dict(width=1.5, color="black")),
            name="minimum" if len(surf.minima) == 1 else "minima", showlegend=bool(surf.minima),
            hovertemplate="minimum (%{x:.4g}, %{y:.4g})<extra></extra>",
        ),
        dict(
            type="scatter", x=[sx], y=[sy], mode="markers", name="start",
            marker=dict(symbol="circle-open", size=14, color="black", line=dict(width=3)),
            hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>",
        ),
    ]
    looked_at = next((t for t in trajectories if t.optimizer == inside), None)
    if looked_at is not None:
        traces += _inside_lines(looked_at)  # static: the charts beneath the map
    first_path = len(traces)
    drawn, shown, drawn_within = _frame_plan(trajectories, DRAW_TOLERANCE * _view_diagonal(surf), max_frames,
                                             frame_budget)
    own_styles = styles is not None
    styles = styles or [(OPTIMIZERS[t.optimizer].name, color_of(t.optimizer)) for t in trajectories]
    for k, (t, keep) in enumerate(zip(trajectories, drawn, strict=True)):
        name, colour = styles[k]
        diverged = t.diverged_at is not None
        faded = {"opacity": FADED} if focus is not None and t.optimizer != focus else {}
        label = f"{name}: diverged at step {t.diverged_at}" if diverged else name
        traces.append(dict(
            type="scatter", x=_r(t.path[keep, 0]), y=_r(t.path[keep, 1]), mode="lines", name=label,
            line=dict(color=colour, width=2.5), legendgroup=f"{t.optimizer}-{k}" if own_styles else t.optimizer,
            hovertemplate=f"{name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>", **faded,
        ))
        traces.append(dict(
            type="scatter", x=_r(t.path[-1:, 0]), y=_r(t.path[-1:, 1]), mode="markers",
            legendgroup=f"{t.optimizer}-{k}" if own_styles else t.optimizer, showlegend=False, name=f"{name} now",
            marker=dict(
                symbol="x" if diverged else "circle", size=15 if diverged else 11, color=colour,
                line=dict(width=2 if diverged else 1, color="black"),
            ),
            hovertemplate=f"{name}: diverged at step {t.diverged_at}<extra></extra>" if diverged else
            f"{name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>", **faded,
        ))
    frames = _path_frames(trajectories, drawn, shown, first_path,
                          coordinates=lambda t, index: (t.path[index, 0], t.path[index, 1]))
    movers = []  # traces that change with the frames, after every other trace
    if looked_at is not None:
        movers.append(_inside_movers(surf, looked_at, shown))
    if surf.is_data:
        traces += _data_points(surf)
        movers.append(_model_movers(surf, trajectories, shown, styles))
    for moving, per_frame in movers:
        for frame, extra in zip(frames, per_frame, strict=True):
            frame["data"] += extra
            frame["traces"] = list(range(len(traces) + len(moving)))
        traces += [{**m, **per_frame[-1][k]} for k, m in enumerate(moving)]
    top = (MAP_MARGIN_TOP if legend else MAP_MARGIN_TOP_COLOUR_BAR) + (50 if title else 0)
    images = [_surroundings_image(surf, *image_size)] if equal_axes else []
    images.append(dict(source=background, xref="x", yref="y", x=x_lo, y=y_hi, sizex=x_hi - x_lo, sizey=y_hi - y_lo,
                       sizing="stretch", layer="below"))
    layout = dict(
        height=height or map_height(surf, equal_axes, animated=len(frames) > 1) + (top - MAP_MARGIN_TOP),
        margin=dict(l=60 if legend else 50, r=95 if legend else 15, t=top, b=MAP_MARGIN_BOTTOM),
        # Constrained by widening the range: a chart not of the view's shape shows more surface.
        xaxis=dict(range=[x_lo, x_hi], title=dict(text="x"), constrain="range", showgrid=False, zeroline=False),
        yaxis=dict(range=[y_lo, y_hi], title=dict(text="y"), constrain="range", showgrid=False, zeroline=False),
        showlegend=legend,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0.0, bgcolor="rgba(255,255,255,0.7)"),
        clickmode="event+select",
        dragmode="pan",
        hovermode="closest",  # what Streamlit sets on a selectable chart: set here, the map is not laid out again
        uirevision=surf.id,
        plot_bgcolor="white",
        images=images,
        meta=dict(drawn_within=drawn_within),  # how far a drawn path may be from the true one (0: exact)
    )
    if equal_axes:
        layout["yaxis"].update(scaleanchor="x", scaleratio=1)
    if legend and fit_legend:
        layout["margin"]["autoexpand"] = True
    if title:
        layout["title"] = dict(text=title, x=0.01, xanchor="left", y=0.99, yanchor="top")
    if looked_at is not None:
        _inside_layout(layout, looked_at)
        if legend:  # the vertical colour bar belongs beside the map, not across the charts beneath
            traces[1]["marker"]["colorbar"].update(y=INSIDE_MAP[0], yanchor="bottom", len=1 - INSIDE_MAP[0])
    if surf.is_data:  # after the inside's layout: the data chart takes the map's height
        _data_layout(layout, surf, legend)
        traces[1]["marker"]["colorbar"].update(x=DATA_MAP_WIDTH + (0.01 if legend else 0.0))
    if len(frames) > 1:
        below = INSIDE_TITLE_ROOM if looked_at is not None else 0
        layout.update(_animation_controls([f["name"] for f in frames], frame_ms, below=below))
        layout["margin"]["b"] = MAP_MARGIN_BOTTOM_ANIMATED + below
    else:
        frames = []
    return RaceFigure(data=traces, layout=styled(layout), raw_frames=frames, plain=True)


INSIDE_HEIGHT = 330  # pixels the inside charts add beneath the map
INSIDE_TITLE_ROOM = 18  # pixels the animation controls move down, below the inside charts' axis titles
INSIDE_MAP = (0.45, 1.0)  # the map's share of the plot area's height, with the inside beneath it


def _inside_values(t: Trajectory) -> dict[str, np.ndarray]:
    """The state slots worth plotting (the effective step size apart), each (steps, 2)."""
    return {name: values for name, values in t.state.items() if name != "effective_lr" and np.any(values[1:] != 0)}


def _step_sizes(t: Trajectory) -> np.ndarray:
    """Each coordinate's effective step size after each step: the kernel's own where it keeps
    one, lr otherwise (SGD and the momentum methods scale the gradient, or its average, by lr)."""
    if "effective_lr" in t.state:
        return t.state["effective_lr"]
    return np.full((len(t.path), 2), t.hyperparameters["lr"])


def _inside_lines(t: Trajectory) -> list[dict]:
    """The static lines beneath the map: state slots (|value|, log) and effective step sizes."""
    lines = []
    steps = np.arange(1, len(t.path))
    keep = _thin(len(steps), MAX_PATH_POINTS)
    colour = color_of(t.optimizer)
    palette = ("#444444", "#8c564b", "#e377c2", "#17becf")
    for k, (name, values) in enumerate(_inside_values(t).items()):
        for c, dash in ((0, "solid"), (1, "dot")):
            lines.append(dict(type="scatter", x=steps[keep].tolist(), y=np.abs(values[1:, c][keep]).tolist(),
                              mode="lines", name=f"{name} ({'xy'[c]})", xaxis="x2", yaxis="y2", showlegend=False,
                              line=dict(color=palette[k % len(palette)], width=1.5, dash=dash),
                              hovertemplate=f"{name}, {'xy'[c]}: %{{y:.3g}} at step %{{x}}<extra></extra>"))
    sizes = _step_sizes(t)
    for c, dash in ((0, "solid"), (1, "dot")):
        lines.append(dict(type="scatter", x=steps[keep].tolist(), y=sizes[1:, c][keep].tolist(), mode="lines",
                          name=f"step size ({'xy'[c]})", xaxis="x3", yaxis="y3", showlegend=False,
                          line=dict(color=colour, width=2, dash=dash),
                          hovertemplate=f"effective step size, {'xy'[c]}: %{{y:.3g}} at step %{{x}}<extra></extra>"))
    return lines


def _inside_movers(surface: Surface, t: Trajectory, shown: np.ndarray) -> tuple[list[dict], list[list[dict]]]:
    """The traces that move with the frames: from the inspected optimizer's point at the
    frame's step, the plain gradient step -lr g (the surface's gradient there, without noise)
    and the step it actually takes next; and a cursor at that step in each chart beneath."""
    lr = t.hyperparameters["lr"]
    colour = color_of(t.optimizer)
    last = len(t.path) - 1
    state_values = [np.abs(v[1:]) for v in _inside_values(t).values()]
    state_range = _log_span(np.concatenate([v.ravel() for v in state_values]) if state_values else np.ones(1))
    size_range = _log_span(_step_sizes(t)[1:].ravel())

    def arrow(name: str, dash: str) -> dict:
        tone = {"solid": colour, "dash": "#222222", "dot": "#b8860b"}[dash]  # taken, full gradient, mini-batch
        return dict(type="scatter", mode="lines+markers", name=name, showlegend=True, legendgroup="inside",
                    line=dict(color=tone, width=2.5, dash=dash),
                    marker=dict(symbol=["circle", "arrow"], size=[0, 13], angleref="previous", color=tone),
                    hoverinfo="skip")

    def cursor(axes: str) -> dict:
        return dict(type="scatter", mode="lines", xaxis=f"x{axes}", yaxis=f"y{axes}", showlegend=False,
                    line=dict(color="#555555", width=1, dash="dot"), hoverinfo="skip")

    batches = t.batches if surface.is_data and t.batches is not None and not t.batches.full else None
    plain = "full-batch gradient step (-lr g)" if batches is not None else "plain gradient step (-lr g)"
    moving = [arrow("step taken", "solid"), arrow(plain, "dash"), cursor("2"), cursor("3")]
    if batches is not None:
        moving.append(arrow("mini-batch gradient step (-lr g_batch)", "dot"))
    per_frame = []
    for step in shown.tolist():
        k = min(step, last)
        x, y = t.path[k]
        _, gx, gy = surface.value_and_grad(x, y)
        nx, ny = t.path[min(k + 1, last)]
        frame = [
            {"type": "scatter", "x": _raw([x, nx]), "y": _raw([y, ny])},
            {"type": "scatter", "x": _raw([x, x - lr * gx]), "y": _raw([y, y - lr * gy])},
            {"type": "scatter", "x": [max(k, 1)] * 2, "y": list(state_range)},
            {"type": "scatter", "x": [max(k, 1)] * 2, "y": list(size_range)},
        ]
        if batches is not None:  # the batch the next step uses, at this point
            bx, by = batch_gradient(surface, x, y, batches[min(k + 1, len(batches))])
            frame.append({"type": "scatter", "x": _raw([x, x - lr * bx]), "y": _raw([y, y - lr * by])})
        per_frame.append(frame)
    return moving, per_frame


def _log_span(values: np.ndarray) -> tuple[float, float]:
    """Low and high of the positive finite values (for a cursor across a log chart)."""
    ok = values[np.isfinite(values) & (values > 0)]
    return (float(ok.min()), float(ok.max())) if ok.size else (1e-3, 1.0)


def _inside_layout(layout: dict, t: Trajectory) -> None:
    """Room beneath the map for the inside charts, side by side, and their axes."""
    layout["height"] += INSIDE_HEIGHT
    layout["yaxis"]["domain"] = list(INSIDE_MAP)
    name = OPTIMIZERS[t.optimizer].name
    axis = dict(showgrid=True, gridcolor=GRID_COLOR, zeroline=False, automargin=False)
    layout["xaxis2"] = dict(**axis, domain=[0.0, 0.42], anchor="y2", title=dict(text="step"))
    layout["yaxis2"] = dict(**axis, domain=[0.0, INSIDE_MAP[0] - 0.13], anchor="x2", type="log",
                            exponentformat="power", title=dict(text=f"{name}'s state"))
    layout["xaxis3"] = dict(**axis, domain=[0.6, 1.0], anchor="y3", title=dict(text="step"))
    layout.setdefault("annotations", []).append(dict(  # one key for both charts, above them
        text="x solid, y dotted", xref="paper", yref="paper", x=0.0, y=INSIDE_MAP[0] - 0.13, xanchor="left",
        yanchor="bottom", yshift=6, showarrow=False, font=dict(size=12, color="#555555")))
    layout["yaxis3"] = dict(**axis, domain=[0.0, INSIDE_MAP[0] - 0.13], anchor="x3", type="log",
                            exponentformat="power", title=dict(text="step size"))


FADED = 0.18  # opacity of the paths not in focus
DATA_MAP_WIDTH = 0.58  # a data surface's map: its share of the width, the data and models beside it
DATA_POINTS = 2000  # samples drawn at most (every k-th beyond)
MODEL_POINTS = 60  # points along each model's curve


def _data_points(surf: Surface) -> list[dict]:
    """The samples, on the chart beside the map: x against y (for a classifier, the 0/1 label
    with a little vertical spread so that equal points stay visible)."""
    data = surf.data
    keep = _thin(data.samples, DATA_POINTS)
    x, y = data.x[keep], data.y[keep]
    classifier = get_model(surf.data.model).classification
    if classifier:
        y = y + 0.06 * np.sin(np.arange(len(keep)) * 2.399963)  # a fixed, even spread (the golden angle)
    shown = f"{len(keep):,} of {data.samples:,} samples" if len(keep) < data.samples else f"{data.samples:,} samples"
    return [dict(type="scatter", x=_r(x), y=_r(y), mode="markers", xaxis="x4", yaxis="y4", showlegend=False,
                 name=shown, marker=dict(size=5, color="rgba(60,60,60,0.45)", line=dict(width=0)),
                 hovertemplate="x %{x:.3g}, y %{y:.3g}<extra>sample</extra>")]


def _model_curve(surf: Surface, w: float, b: float, xs: np.ndarray) -> np.ndarray:
    """The model's prediction along ``xs``: the probability of label 1, or the fitted line."""
    z = w * xs + b
    if get_model(surf.data.model).classification:
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    return z


def _model_movers(surf: Surface, trajectories: Sequence[Trajectory], shown: np.ndarray, styles) -> tuple[list[dict], list[list[dict]]]:
    """Each optimizer's model at the frame's step, in its colour, over the samples."""
    lo, hi = float(surf.data.x.min()), float(surf.data.x.max())
    pad = 0.05 * (hi - lo or 1.0)
    xs = np.linspace(lo - pad, hi + pad, MODEL_POINTS)
    moving = [dict(type="scatter", mode="lines", xaxis="x4", yaxis="y4", showlegend=False, name=f"{name}'s model",
                   line=dict(color=colour, width=2), hovertemplate=f"{name}: %{{y:.3g}} at x %{{x:.3g}}<extra></extra>")
              for name, colour in styles]
    per_frame = []
    for step in shown.tolist():
        frame = []
        for t in trajectories:
            w, b = t.path[min(step, len(t.path) - 1)]
            frame.append({"type": "scatter", "x": _raw(xs), "y": _raw(_model_curve(surf, w, b, xs))})
        per_frame.append(frame)
    return moving, per_frame


def _data_layout(layout: dict, surf: Surface, legend: bool) -> None:
    """The map on the left, the samples and each optimizer's model on the right."""
    layout["xaxis"]["domain"] = [0.0, DATA_MAP_WIDTH]
    layout["xaxis"]["title"] = dict(text="w")
    layout["yaxis"]["title"] = dict(text="b")
    classifier = get_model(surf.data.model).classification
    y = surf.data.y
    span = [-0.15, 1.15] if classifier else [float(y.min()) - 0.5, float(y.max()) + 0.5]
    axis = dict(showgrid=True, gridcolor=GRID_COLOR, zeroline=False, automargin=False)
    layout["xaxis4"] = dict(**axis, domain=[DATA_MAP_WIDTH + (0.17 if legend else 0.13), 1.0], anchor="y4",
                            title=dict(text="x (data)"))
    layout["yaxis4"] = dict(**axis, domain=layout["yaxis"].get("domain", [0.0, 1.0]), anchor="x4", range=span,
                            title=dict(text="P(y = 1)" if classifier else "y", standoff=4, font=dict(size=12)))


def _path_frames(trajectories: Sequence[Trajectory], drawn: Sequence[np.ndarray], shown: np.ndarray,
                 first_path: int, coordinates, touch_static: bool = True) -> list[dict]:
    """One raw frame per shown step: each path through every drawn point up to that step, and
    its head at that step (a run that stopped earlier stays at its end).

    The paths and heads are the traces from ``first_path`` on. With ``touch_static`` every
    frame also lists the traces before them, unchanged (an empty update): plotly.js
    recomputes every trace when it animates without a redraw but draws only the listed ones,
    and a trace it recomputed without drawing broke the next click selection (the start
    could not be moved after Play).

    ``coordinates(t, index)`` gives the trace's coordinate arrays (x, y, maybe z) at those
    path indices. Each point is rounded and converted once; a frame is then list slices (a
    long run has up to a million points: never convert them all).
    """
    kind = None
    columns = []
    for t, keep in zip(trajectories, drawn, strict=True):
        last = np.minimum(shown, len(t.path) - 1)
        kept, heads = ([_raw(c) for c in coordinates(t, idx)] for idx in (keep, last))
        kind = kind or ("scatter3d" if len(kept) == 3 else "scatter")
        counts = np.searchsorted(keep, last, side="right")
        exact = keep[counts - 1] == last
        columns.append((kept, heads, counts.tolist(), exact.tolist()))
    frames = []
    kind = kind or "scatter"
    unchanged = [{"type": kind}] * first_path if touch_static else []
    moving = list(range(first_path - len(unchanged), first_path + 2 * len(columns)))
    for f, step in enumerate(shown.tolist()):
        data = list(unchanged)
        for kept, heads, counts, exact in columns:
            axes = "xyz"[: len(kept)]
            head = {axis: h[f:f + 1] for axis, h in zip(axes, heads, strict=True)}
            path = {axis: k[:counts[f]] if exact[f] else [*k[:counts[f]], *head[axis]]
                    for axis, k in zip(axes, kept, strict=True)}
            data.append({"type": kind, **path})
            data.append({"type": kind, **head})
        frames.append({"name": str(step), "data": data, "traces": moving})
    return frames


class PlainFigure(go.Figure):
    """A go.Figure that, built with ``plain=True``, is serialised from the plain dicts it was
    built from.

    plotly validates every property as a figure is built and deep-copies the figure again in
    ``to_dict``, which Streamlit, ``to_json``, ``write_html`` and kaleido all call: more than a
    slider's rerun budget. A plain figure does neither. ``tests/test_figures.py`` validates every figure this module builds
    in full instead (``go.Figure(fig.to_dict())`` raises on any invalid property).

    A plain figure is read-only: ``data`` and ``layout`` are read from a validated copy made
    on first use, and ``to_dict`` does not see edits made through plotly's API. Edit
    :meth:`validated`, an ordinary copy.
    """

    def __init__(self, *args, plain: bool = False, **kwargs):
        self._plain = self._view = None
        if not plain:
            super().__init__(*args, **kwargs)
            return
        super().__init__()  # empty: building trace objects is the cost this class avoids
        self._source = (list(kwargs.pop("data")), dict(kwargs.pop("layout")))
        self._plain = _copy_structure({"data": self._source[0], "layout": self._source[1]})
        convert_to_base64(self._plain)  # numpy arrays as typed arrays, as plotly's to_dict does

    def _validated_view(self) -> go.Figure:
        if self._view is None:
            self._view = go.Figure(data=self._source[0], layout=self._source[1])
        return self._view

    @property
    def data(self):
        return go.Figure.data.fget(self) if self._plain is None else self._validated_view().data

    @data.setter
    def data(self, value):
        go.Figure.data.fset(self, value)

    @property
    def layout(self):
        return go.Figure.layout.fget(self) if self._plain is None else self._validated_view().layout

    @layout.setter
    def layout(self, value):
        go.Figure.layout.fset(self, value)

    def to_dict(self) -> dict:
        return super().to_dict() if self._plain is None else dict(self._plain)

    def to_plotly_json(self) -> dict:
        return self.to_dict()

    def __reduce__(self):
        return (_rebuild_figure, (type(self), self.to_dict()))

    def validated(self) -> go.Figure:
        """An ordinary plotly copy, validated and coerced, for code that edits the figure through
        plotly's API (``update_layout(template="plotly_white")`` needs it)."""
        return type(self)(self.to_dict())


def _copy_structure(value):
    """A copy of the dicts and lists in ``value`` (arrays and scalars shared), so converting the
    copy's arrays to typed arrays leaves the caller's figure description as it was."""
    if isinstance(value, dict):
        return {k: _copy_structure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_structure(v) for v in value]
    return value


class RaceFigure(PlainFigure):
    """A figure whose animation frames stay plain dicts, even in a validated copy.

    Validating sixty frames of a dozen traces would cost more than the rest of a rerun. The
    frames come from one generator that ``tests/test_figures.py`` validates in full, so they are attached
    as they are: ``to_dict`` adds them back.
    """

    def __init__(self, *args, raw_frames: Sequence[dict] = (), **kwargs):
        if args and isinstance(args[0], dict) and "frames" in args[0]:  # a to_dict() result
            raw_frames = raw_frames or args[0]["frames"]
            args = ({k: v for k, v in args[0].items() if k != "frames"}, *args[1:])
        super().__init__(*args, **kwargs)
        self._raw_frames = list(raw_frames)

    def to_dict(self) -> dict:
        figure = super().to_dict()
        figure["frames"] = self._raw_frames
        return figure

    def without_frames(self) -> go.Figure:
        """The figure as a still: an ordinary plotly figure of its traces and layout."""
        return go.Figure({k: v for k, v in self.to_dict().items() if k != "frames"})


def _rebuild_figure(cls: type, figure: dict) -> PlainFigure:
    frames = figure.get("frames", ())
    figure = {k: v for k, v in figure.items() if k != "frames"}
    if cls is RaceFigure:
        return RaceFigure(plain=True, raw_frames=frames, **figure)
    return cls(plain=True, **figure)


def placeholder_figure(text: str, height: int | None = None) -> PlainFigure:
    """An empty chart of the default race map's height with ``text`` in the middle: holds the
    map's place while the kernels load, and makes the browser fetch its chart library meanwhile."""
    height = height or map_height(get_surface("quadratic"))
    hidden = dict(visible=False)
    return _figure([], dict(height=height, xaxis=hidden, yaxis=hidden, annotations=[dict(
        text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font=dict(size=16))]))


def _figure(data: list[dict], layout: dict) -> PlainFigure:
    return PlainFigure(data=data, layout=styled(layout), plain=True)


def _frame_args(duration: int, from_current: bool = True, redraw: bool = False) -> dict:
    """One set of animation arguments, shared by play, replay, pause and every slider step
    (``redraw``: the 3D view, whose WebGL scene plotly cannot update without one)."""
    return {
        "frame": {"duration": duration, "redraw": redraw},
        "mode": "immediate",
        "fromcurrent": from_current,
        "transition": {"duration": 0},
    }


def _animation_controls(names: list[str], frame_ms: int, redraw: bool = False, below: int = 0) -> dict:
    """Layout entries for play / pause / replay buttons and, on the row below them, a scrub
    slider across the whole width, labelled by the step (two rows: side by side, the buttons
    covered the slider on a phone).

    Play continues from the frame on screen (so it resumes after a pause); Replay starts over.
    ``below`` moves both rows that many pixels further down (room for axis titles above them).
    """
    return dict(
        updatemenus=[
            dict(
                type="buttons", direction="left", x=0.0, y=0.0, xanchor="left", yanchor="top",
                pad=dict(r=10, t=45 + below), showactive=False,
                buttons=[
                    dict(label="▶ Play", method="animate", args=[None, _frame_args(frame_ms, redraw=redraw)]),
                    dict(label="❚❚ Pause", method="animate", args=[[None], _frame_args(0, redraw=redraw)]),
                    dict(label="⟲ Replay", method="animate",
                         args=[names, _frame_args(frame_ms, from_current=False, redraw=redraw)]),
                ],
            )
        ],
        sliders=[
            dict(
                active=len(names) - 1, x=0.0, y=0.0, len=1.0, xanchor="left", yanchor="top",
                pad=dict(t=85 + below, b=10), ticklen=0, minorticklen=0, font=dict(color="rgba(0,0,0,0)"),
                currentvalue=dict(prefix="step ", visible=True, xanchor="right", offset=4, font=dict(color="#333", size=14)),
                steps=[dict(label=n, method="animate", args=[[n], _frame_args(0, redraw=redraw)]) for n in names],
            )
        ],
    )


def surface_3d_figure(surface: str | Surface, trajectories: Sequence[Trajectory], *, resolution: int = 80,
                      camera: tuple[float, float] = (-60.0, 30.0), view: dict | None = None,
                      height: int = MAP_HEIGHT, start: tuple[float, float] | None = None, max_frames: int = 40,
                      frame_ms: int = 60, equal_axes: bool = True, legend: bool = True,
                      focus: str | None = None) -> go.Figure:
    """The same race over the surface in 3D, seen from ``camera`` = (azimuth, elevation) in degrees,
    or exactly as ``view`` (plotly's scene.camera: ``eye``, and optionally ``center`` and ``up``).

    Marks the start and the minima as the map does, and has the map's play, pause and step
    slider (each frame the true path up to its step). With ``equal_axes`` the floor is drawn
    to scale: a view twice as wide as it is deep looks so.

    The camera is set from Python because a changed figure remounts the chart in the browser
    and forgets any rotation made there; the Playground sends a rotation made with the mouse
    back as ``view`` (ui/camera_keeper.py). Frames leave the layout, and so the camera, alone.
    """
    surf = get_surface(surface)
    xs, ys, z = surface_grid(surf, resolution)
    height_of, z_title = colour_levels(surf, z)
    transform = surf.log_contours and np.isfinite(z).any()
    z_floor = float(np.nanmin(z[np.isfinite(z)])) if transform else 0.0

    def lift(values) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        return (np.log10(np.maximum(values - z_floor, 0.0) + 1.0) if transform else values) + 1e-3

    def height_at(x: float, y: float) -> float:
        return float(lift([surf.value_and_grad(x, y)[0]])[0])

    sx, sy = start if start is not None else (trajectories[0].start if trajectories else surf.start)
    start_z = height_at(sx, sy)
    traces = [
        dict(type="surface", x=_r(xs), y=_r(ys), z=np.round(height_of, 4).tolist(), colorscale=CONTOUR_SCALE,
             opacity=0.85, showscale=False, hoverinfo="skip", name="surface"),
        dict(type="scatter3d", x=[m.x for m in surf.minima], y=[m.y for m in surf.minima],
             z=[height_at(m.x, m.y) for m in surf.minima], mode="markers", showlegend=bool(surf.minima),
             name="minimum" if len(surf.minima) == 1 else "minima",
             marker=dict(symbol="diamond", size=7, color="gold", line=dict(width=2, color="black")),
             hovertemplate="minimum (%{x:.4g}, %{y:.4g})<extra></extra>"),
        dict(type="scatter3d", x=[sx], y=[sy], z=[start_z if math.isfinite(start_z) else None], mode="markers",
             name="start", marker=dict(symbol="circle-open", size=7, color="black", line=dict(width=3)),
             hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>"),
    ]
    first_path = len(traces)
    drawn, shown, drawn_within = _frame_plan(trajectories, DRAW_TOLERANCE * _view_diagonal(surf), max_frames,
                                             FRAME_POINT_BUDGET_3D)
    for t, keep in zip(trajectories, drawn, strict=True):
        colour = color_of(t.optimizer)
        faded = {"opacity": FADED} if focus is not None and t.optimizer != focus else {}
        diverged = t.diverged_at is not None
        traces.append(dict(
            type="scatter3d", x=_r(t.path[keep, 0]), y=_r(t.path[keep, 1]), z=_r(lift(t.loss[keep])),
            mode="lines", line=dict(color=colour, width=6), name=label_of(t), legendgroup=t.optimizer, **faded,
        ))
        traces.append(dict(
            type="scatter3d", x=_r(t.path[-1:, 0]), y=_r(t.path[-1:, 1]), z=_r(lift(t.loss[-1:])), mode="markers",
            name=f"{OPTIMIZERS[t.optimizer].name} now", legendgroup=t.optimizer, showlegend=False,
            marker=dict(symbol="x" if diverged else "circle", size=5, color=colour, line=dict(width=1, color="black")),
            **faded,
        ))
    frames = _path_frames(trajectories, drawn, shown, first_path, touch_static=False,
                          coordinates=lambda t, index: (t.path[index, 0], t.path[index, 1], lift(t.loss[index])))
    (x_lo, x_hi), (y_lo, y_hi) = surf.bounds
    longest_side = max(x_hi - x_lo, y_hi - y_lo)
    floor = (dict(x=(x_hi - x_lo) / longest_side, y=(y_hi - y_lo) / longest_side) if equal_axes else dict(x=1, y=1))
    layout = dict(
        height=height, margin=dict(l=0, r=0, t=30, b=0), uirevision="race-3d", showlegend=legend,
        scene=dict(xaxis=dict(title=dict(text="x")), yaxis=dict(title=dict(text="y")),
                   zaxis=dict(title=dict(text=z_title)), aspectmode="manual",
                   aspectratio=dict(**floor, z=0.6), camera=view or dict(eye=_eye(*camera))),
        legend=dict(orientation="h", y=1.02), meta=dict(drawn_within=drawn_within),
    )
    if len(frames) > 1:
        layout.update(_animation_controls([f["name"] for f in frames], frame_ms, redraw=True))
        layout["margin"]["b"] = MAP_MARGIN_BOTTOM_ANIMATED - 40
        layout["height"] = height + layout["margin"]["b"]
        layout["scene"]["domain"] = dict(x=[0, 1], y=[0, 1])
    else:
        frames = []
    return RaceFigure(data=traces, layout=styled(layout), raw_frames=frames, plain=True)


FRAME_POINT_BUDGET_3D = 40_000
"""The 3D view's frames carry three coordinates a point and redraw the whole scene."""


def _eye(azimuth: float, elevation: float, distance: float = 2.2) -> dict:
    """Plotly's scene.camera.eye for a view from this azimuth and elevation (degrees)."""
    az, el = math.radians(azimuth), math.radians(elevation)
    return dict(x=distance * math.cos(el) * math.cos(az), y=distance * math.cos(el) * math.sin(az),
                z=distance * math.sin(el))


_ORIGIN = {"x": 0.0, "y": 0.0, "z": 0.0}  # plotly's scene.camera.center when none is given


def camera_angles(camera: dict) -> tuple[float, float, float]:
    """(azimuth, elevation, distance) of plotly's scene.camera, in degrees: where its ``eye``
    is as seen from its ``center`` (the origin if absent). The inverse of the eye the 3D view
    is given for an azimuth and elevation."""
    centre = camera.get("center") or _ORIGIN
    x, y, z = (float(camera["eye"][k]) - float(centre[k]) for k in "xyz")
    return math.degrees(math.atan2(y, x)), math.degrees(math.atan2(z, math.hypot(x, y))), math.sqrt(x * x + y * y + z * z)


def turned_camera(camera: dict, azimuth: float, elevation: float) -> dict:
    """``camera`` (plotly's scene.camera) turned to look from this azimuth and elevation, at
    the same distance from the same centre: what the sliders do to a view zoomed or panned
    with the mouse."""
    centre = camera.get("center") or _ORIGIN
    eye = _eye(azimuth, elevation, camera_angles(camera)[2])
    return {**camera, "eye": {k: eye[k] + centre[k] for k in "xyz"}}


def scene_camera(reported) -> dict | None:
    """A 3D camera as the browser reported it, made safe: plotly's scene.camera with only an
    ``eye`` (required), ``center`` and ``up``, each x, y, z finite and modest, the eye away
    from the centre and the up vector not zero; None if it is not that."""
    try:
        camera = {}
        for part in ("eye", "center", "up"):
            if part in reported:
                vector = {k: float(reported[part][k]) for k in "xyz"}
                if not all(math.isfinite(v) and abs(v) <= 100 for v in vector.values()):
                    return None
                camera[part] = vector
        centre = camera.get("center", _ORIGIN)
        if math.dist(camera["eye"].values(), centre.values()) < 1e-3:
            return None
        if "up" in camera and math.hypot(*camera["up"].values()) < 1e-6:
            return None
        return camera
    except (TypeError, KeyError, ValueError, AttributeError, ArithmeticError):
        return None


def _gap(surface: Surface, t: Trajectory) -> tuple[np.ndarray, bool]:
    """What to plot on a log axis: f - f_min when the minimum is known, else f itself."""
    if surface.min_value is not None:
        return np.maximum(t.loss - surface.min_value, LOG_FLOOR), True
    return t.loss, False


def loss_figure(surface: str | Surface, trajectories: Sequence[Trajectory], *, height: int = 320) -> go.Figure:
    """Loss against step, same colours; a log axis of f - f_min where the minimum is known."""
    surf = get_surface(surface)
    log_axis = surf.min_value is not None
    traces = []
    for t in trajectories:
        values, _ = _gap(surf, t)
        keep = _thin(len(values), MAX_PATH_POINTS)
        traces.append(_line(keep, values[keep], t))
    y_title = "f - f_min (log)" if log_axis else "f"
    layout = _line_layout("Loss", y_title, "log" if log_axis else "linear", height, "loss")
    batches = next((t.batches for t in trajectories if t.batches is not None and not t.batches.full), None)
    if batches is not None:  # mini-batches: the full-batch loss, with each epoch's end marked
        layout["title"]["text"] = f"Full-batch loss; dotted lines: epochs of {batches.per_epoch} steps"
        every = max(1, -(-batches.steps // batches.per_epoch) // 30) * batches.per_epoch  # at most about 30 lines
        layout["shapes"] = [dict(type="line", xref="x", yref="paper", x0=e, x1=e, y0=0, y1=1,
                                 line=dict(color="#999999", width=1, dash="dot"))
                            for e in range(every, batches.steps + 1, every)]
    return _figure(traces, layout)


def _line(steps: np.ndarray, values: np.ndarray, t: Trajectory) -> dict:
    """One optimizer's line on a chart against step, in its colour."""
    return dict(type="scatter", x=steps.tolist(), y=values.tolist(), mode="lines", name=label_of(t),
                line=dict(color=color_of(t.optimizer), width=2), legendgroup=t.optimizer)


def _line_layout(title: str, y_title: str, y_type: str, height: int, revision: str) -> dict:
    return dict(
        height=height, margin=dict(l=75, r=15, t=40, b=45), title=dict(text=title, x=0.01),
        xaxis=dict(title=dict(text="step")), yaxis=dict(title=dict(text=y_title), type=y_type, exponentformat="power"),
        showlegend=False, uirevision=revision,
    )


def distance_figure(surface: str | Surface, trajectories: Sequence[Trajectory], *, height: int = 320) -> go.Figure:
    """Distance to the nearest known minimum against step (log axis)."""
    surf = get_surface(surface)
    minima = np.array([(m.x, m.y) for m in surf.minima]).reshape(-1, 2)
    traces = []
    for t in trajectories:
        if not len(minima):
            break
        d = np.min(np.hypot(t.path[:, None, 0] - minima[None, :, 0], t.path[:, None, 1] - minima[None, :, 1]), axis=1)
        keep = _thin(len(d), MAX_PATH_POINTS)
        traces.append(_line(keep, np.maximum(d[keep], LOG_FLOOR), t))
    title = "Distance to the nearest minimum" if len(minima) else "Distance to the nearest minimum: no minimum here"
    return _figure(traces, _line_layout(title, "distance (log)", "log", height, "distance"))


def summary_rows(surface: str | Surface, trajectories: Sequence[Trajectory]) -> list[dict]:
    """One row per optimizer: final loss and point, when it reached a minimum, when it diverged."""
    surf = get_surface(surface)
    rows = []
    for t in trajectories:
        if t.diverged_at is not None:
            reached = "diverged"
        elif not surf.minima:
            reached = "no minimum"
        elif t.reached_at is None:
            reached = "never"
        else:
            reached = f"step {t.reached_at}"
        fx, fy = t.final
        rows.append({
            "optimizer": OPTIMIZERS[t.optimizer].name,
            "final loss": t.final_loss,
            "final point": f"({fx:.4g}, {fy:.4g})" if math.isfinite(fx) else "-",
            reached_header(surf, t.tolerance): reached,
            "diverged at": "-" if t.diverged_at is None else f"step {t.diverged_at}",
        })
    return rows


def reached_header(surface: Surface, tolerance: float) -> str:
    """The summary's arrival column: the tolerance rounded, and what it is where it is the view's."""
    meaning = ", 1/1000 of the view" if math.isclose(tolerance, 1e-3 * _view_diagonal(surface), rel_tol=1e-9) else ""
    return f"reached minimum (distance ≤ {tolerance:.2g}{meaning})"


def summary_markdown(rows: Sequence[dict]) -> str:
    """``rows`` (from :func:`summary_rows`) as a Markdown table: numbers to 4 significant
    digits, ``|`` escaped. The Playground shows this rather than an interactive data grid,
    whose JavaScript (and pandas on the server) is a heavy price for seven rows."""
    if not rows:
        return ""

    def cell(value) -> str:
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        return text.replace("|", "\\|")

    header = list(rows[0])
    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(row[k]) for k in header) + " |" for row in rows]
    return "\n".join(lines)


# --- A race as the Playground draws it: its settings decide the start, speed, scale and focus.


def race_map(settings: RaceSettings, runs: Sequence[Trajectory], **kwargs) -> RaceFigure:
    """The animated race map the Playground shows for ``settings`` (keyword arguments go to
    :func:`optviz.render.figures.race_figure`; untitled unless given a ``title``)."""
    return race_figure(
        surface_of(settings),
        runs,
        start=settings.start_point,
        frame_ms=frame_ms(settings),
        equal_axes=settings.equal_axes,
        focus=settings.focus,
        inside=settings.inside,
        **kwargs,
    )


def race_3d(settings: RaceSettings, runs: Sequence[Trajectory], **kwargs) -> RaceFigure:
    """The race over the surface in 3D, seen from the settings' camera (keyword arguments go
    to :func:`optviz.render.figures.surface_3d_figure`, such as a ``view`` turned with the mouse)."""
    return surface_3d_figure(
        surface_of(settings),
        runs,
        camera=settings.camera,
        start=settings.start_point,
        frame_ms=frame_ms(settings),
        equal_axes=settings.equal_axes,
        focus=settings.focus,
        **kwargs,
    )
