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

from .optimizers import OPTIMIZERS
from .raster import CONTOUR_STOPS, colour_levels, contour_bands, png_data_uri
from .simulate import Trajectory, surface_grid
from .surfaces import Surface, get_surface

# One colour per optimizer, the same on every chart and page (index = registry index).
PALETTE = (
    "#1f77b4",  # sgd: blue
    "#ff7f0e",  # momentum: orange
    "#2ca02c",  # nesterov: green
    "#9467bd",  # adagrad: purple
    "#8c564b",  # adadelta: brown
    "#d62728",  # rmsprop: red
    "#e377c2",  # rprop: pink
    "#17becf",  # adam: cyan
    "#bcbd22",  # adamw: olive
    "#7f7f7f",  # adamax: grey
    "#ff9896",  # nadam: salmon
    "#393b79",  # radam: indigo
)
COLORS: dict[str, str] = {o.id: PALETTE[o.index] for o in OPTIMIZERS.values()}

CONTOUR_SCALE = [[stop, colour] for stop, colour in CONTOUR_STOPS]
CLICK_TRACE = 0  # index of the invisible grid whose clicks set the start point
MAX_PATH_POINTS = 1500  # points drawn per full path; longer runs are thinned evenly
ROUND = 6  # decimals kept in the figure JSON
MAP_HEIGHT = 620  # pixels: the race map, its 3D view and the placeholder that holds its place
LOG_FLOOR = 1e-16  # log charts show anything below as this: float64 cannot tell it from 0 here

# Every figure carries its own look: the Playground draws its charts with theme=None.
# Streamlit's chart theme is applied twice in the browser (once as a chart mounts, once more
# right after, which bolds the title a second time), so every chart was drawn twice per
# rerun; without it a slider change reaches the screen about 0.3 s sooner. These are the
# theme's fonts and colours (Streamlit's light theme), set once here; exports get them too.
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
def _background(surface: Surface, width: int) -> tuple[str, tuple[float, float], str]:
    """The contour map of a surface as a PNG data URI (cached: it depends on nothing else)."""
    indices, palette, value_range, meaning = contour_bands(surface, width, max(2, round(width * 0.75)))
    return png_data_uri(indices, palette), value_range, meaning


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
    height: int = MAP_HEIGHT,
) -> go.Figure:
    """The race: contour map, one coloured path per optimizer, animation controls.

    Trace order: contour, click grid, minima, start, then per optimizer its path and its head.
    Frames update only the paths and heads; the slider's label is the step number.

    The contour is a background image (see :mod:`optviz.raster`): plotly.js drops contour
    traces while it animates. The frames are kept raw (see :class:`RaceFigure`).
    """
    surf = get_surface(surface)
    (x_lo, x_hi), (y_lo, y_hi) = surf.bounds
    background, (c_lo, c_hi), colour_title = _background(surf, resolution)
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
            marker=dict(color=[c_lo, c_hi], colorscale=CONTOUR_SCALE, showscale=True, size=0,
                        colorbar=dict(title=dict(text=colour_title, side="right"), thickness=12, x=1.0)),
        ),
        dict(
            type="scatter", x=[m.x for m in surf.minima], y=[m.y for m in surf.minima], mode="markers",
            marker=dict(symbol="star", size=16, color="gold", line=dict(width=1.5, color="black")),
            name="global minimum", showlegend=bool(surf.minima),
            hovertemplate="minimum (%{x:.4g}, %{y:.4g})<extra></extra>",
        ),
        dict(
            type="scatter", x=[sx], y=[sy], mode="markers", name="start",
            marker=dict(symbol="circle-open", size=14, color="black", line=dict(width=3)),
            hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>",
        ),
    ]
    first_path = len(traces)
    for t in trajectories:
        colour = color_of(t.optimizer)
        name = OPTIMIZERS[t.optimizer].name
        keep = _thin(len(t.path), MAX_PATH_POINTS)
        diverged = t.diverged_at is not None
        traces.append(dict(
            type="scatter", x=_r(t.path[keep, 0]), y=_r(t.path[keep, 1]), mode="lines", name=label_of(t),
            line=dict(color=colour, width=2.5), legendgroup=t.optimizer,
            hovertemplate=f"{name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        ))
        traces.append(dict(
            type="scatter", x=_r(t.path[-1:, 0]), y=_r(t.path[-1:, 1]), mode="markers", legendgroup=t.optimizer,
            showlegend=False, name=f"{name} now",
            marker=dict(
                symbol="x" if diverged else "circle", size=15 if diverged else 11, color=colour,
                line=dict(width=2 if diverged else 1, color="black"),
            ),
            hovertemplate=f"{name}: diverged at step {t.diverged_at}<extra></extra>" if diverged else
            f"{name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        ))
    moving = list(range(first_path, len(traces)))
    longest = max((len(t.path) - 1 for t in trajectories), default=0)
    shown = frame_steps(longest, max_frames)
    # Each run's points at the shown steps, and its last point, rounded once; a frame is then
    # list slices (a long run has up to a million points: never convert them all).
    columns = []
    for t in trajectories:
        on_path = shown[shown < len(t.path)]
        end_x, end_y = _raw(t.path[-1])
        columns.append((_raw(t.path[on_path, 0]), _raw(t.path[on_path, 1]), end_x, end_y))
    frames = []
    for step in shown.tolist():
        data = []
        for t, (xs, ys, end_x, end_y) in zip(trajectories, columns, strict=True):
            last = min(step, len(t.path) - 1)
            count = int(np.searchsorted(shown, last, side="right"))  # shown steps <= last
            x, y = xs[:count], ys[:count]
            if shown[count - 1] != last:  # a run that stopped early ends at its last point
                x, y = [*x, end_x], [*y, end_y]
            data.append({"type": "scatter", "x": x, "y": y})
            data.append({"type": "scatter", "x": x[-1:], "y": y[-1:]})
        frames.append({"name": str(step), "data": data, "traces": moving})
    layout = dict(
        title=dict(text=title or surf.name, x=0.01, xanchor="left", y=0.99, yanchor="top"),
        height=height,
        margin=dict(l=60, r=95, t=90, b=50),
        xaxis=dict(range=[x_lo, x_hi], title=dict(text="x"), constrain="domain", showgrid=False, zeroline=False),
        yaxis=dict(range=[y_lo, y_hi], title=dict(text="y"), showgrid=False, zeroline=False),
        legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0.0, bgcolor="rgba(255,255,255,0.7)"),
        clickmode="event+select",
        dragmode="pan",
        hovermode="closest",  # what Streamlit sets on a selectable chart: set here, the map is not laid out again
        uirevision=surf.id,
        plot_bgcolor="white",
        images=[dict(
            source=background, xref="x", yref="y", x=x_lo, y=y_hi, sizex=x_hi - x_lo, sizey=y_hi - y_lo,
            sizing="stretch", layer="below",
        )],
    )
    if len(frames) > 1:
        layout.update(_animation_controls([f["name"] for f in frames], frame_ms))
    else:
        frames = []
    return RaceFigure(data=traces, layout=styled(layout), raw_frames=frames, plain=True)


class PlainFigure(go.Figure):
    """A go.Figure that, built with ``plain=True``, is serialised from the plain dicts it was
    built from.

    plotly validates every property as a figure is built (about 70 ms for a chart of seven
    lines) and deep-copies the figure again in ``to_dict``, which Streamlit, ``to_json``,
    ``write_html`` and kaleido all call: together more than a slider's rerun budget. A plain
    figure does neither. ``tests/test_figures.py`` validates every figure this module builds
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

    Building sixty validated frames of a dozen traces costs plotly about 0.2 s. The frames come
    from one generator that ``tests/test_figures.py`` validates in full, so they are attached
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


def placeholder_figure(text: str, height: int = MAP_HEIGHT) -> PlainFigure:
    """An empty chart of the race map's height with ``text`` in the middle: holds the map's
    place while the kernels load, and makes the browser fetch its chart library meanwhile."""
    hidden = dict(visible=False)
    return _figure([], dict(height=height, xaxis=hidden, yaxis=hidden, annotations=[dict(
        text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font=dict(size=16))]))


def _figure(data: list[dict], layout: dict) -> PlainFigure:
    return PlainFigure(data=data, layout=styled(layout), plain=True)


def _frame_args(duration: int, from_current: bool = True) -> dict:
    """One set of animation arguments, shared by play, replay, pause and every slider step."""
    return {
        "frame": {"duration": duration, "redraw": False},
        "mode": "immediate",
        "fromcurrent": from_current,
        "transition": {"duration": 0},
    }


def _animation_controls(names: list[str], frame_ms: int) -> dict:
    """Layout entries for play / pause / replay buttons and a scrub slider labelled by the step.

    Play continues from the frame on screen (so it resumes after a pause); Replay starts over.
    """
    return dict(
        updatemenus=[
            dict(
                type="buttons", direction="left", x=0.0, y=-0.02, xanchor="left", yanchor="top",
                pad=dict(r=10, t=50), showactive=False,
                buttons=[
                    dict(label="▶ Play", method="animate", args=[None, _frame_args(frame_ms)]),
                    dict(label="❚❚ Pause", method="animate", args=[[None], _frame_args(0)]),
                    dict(label="⟲ Replay", method="animate", args=[names, _frame_args(frame_ms, from_current=False)]),
                ],
            )
        ],
        sliders=[
            dict(
                active=len(names) - 1, x=0.22, y=-0.02, len=0.78, xanchor="left", yanchor="top",
                pad=dict(t=40, b=10), ticklen=0, minorticklen=0, font=dict(color="rgba(0,0,0,0)"),
                currentvalue=dict(prefix="step ", visible=True, xanchor="right", font=dict(color="#333", size=14)),
                steps=[dict(label=n, method="animate", args=[[n], _frame_args(0)]) for n in names],
            )
        ],
        margin=dict(l=60, r=95, t=90, b=150),
    )


def surface_3d_figure(surface: str | Surface, trajectories: Sequence[Trajectory], *, resolution: int = 80,
                      camera: tuple[float, float] = (-60.0, 30.0), view: dict | None = None,
                      height: int = MAP_HEIGHT) -> go.Figure:
    """The same race over the surface in 3D, seen from ``camera`` = (azimuth, elevation) in degrees,
    or exactly as ``view`` (plotly's scene.camera: ``eye``, and optionally ``center`` and ``up``).

    The camera is set from Python because a changed figure remounts the chart in the browser
    and forgets any rotation made there; the Playground sends a rotation made with the mouse
    back as ``view`` (views/camera_keeper.py).
    """
    surf = get_surface(surface)
    xs, ys, z = surface_grid(surf, resolution)
    height_of, z_title = colour_levels(surf, z)
    transform = surf.log_contours and np.isfinite(z).any()
    z_floor = float(np.nanmin(z[np.isfinite(z)])) if transform else 0.0

    def lift(values: np.ndarray) -> np.ndarray:
        return np.log10(np.maximum(values - z_floor, 0.0) + 1.0) if transform else values

    traces = [dict(
        type="surface", x=_r(xs), y=_r(ys), z=np.round(height_of, 4).tolist(), colorscale=CONTOUR_SCALE,
        opacity=0.85, showscale=False, hoverinfo="skip", name="surface",
    )]
    for t in trajectories:
        keep = _thin(len(t.path), MAX_PATH_POINTS)
        traces.append(dict(
            type="scatter3d", x=_r(t.path[keep, 0]), y=_r(t.path[keep, 1]), z=_r(lift(t.loss[keep]) + 1e-3),
            mode="lines", line=dict(color=color_of(t.optimizer), width=6), name=label_of(t),
            legendgroup=t.optimizer,
        ))
    return _figure(traces, dict(
        height=height, margin=dict(l=0, r=0, t=30, b=0, autoexpand=True), uirevision="race-3d",
        scene=dict(xaxis=dict(title=dict(text="x")), yaxis=dict(title=dict(text="y")),
                   zaxis=dict(title=dict(text=z_title)), aspectmode="manual",
                   aspectratio=dict(x=1, y=1, z=0.6), camera=view or dict(eye=_eye(*camera))),
        legend=dict(orientation="h", y=1.02),
    ))


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
    return _figure(traces, _line_layout("Loss", y_title, "log" if log_axis else "linear", height, "loss"))


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
            f"reached minimum (within {t.tolerance:g})": reached,
            "diverged at": "-" if t.diverged_at is None else f"step {t.diverged_at}",
        })
    return rows


def summary_markdown(rows: Sequence[dict]) -> str:
    """``rows`` (from :func:`summary_rows`) as a Markdown table: numbers to 4 significant
    digits, ``|`` escaped. The Playground shows this rather than an interactive data grid,
    which pulled 1.3 MB of JavaScript into the browser, and pandas into the server, for seven rows."""
    if not rows:
        return ""

    def cell(value) -> str:
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        return text.replace("|", "\\|")

    header = list(rows[0])
    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(row[k]) for k in header) + " |" for row in rows]
    return "\n".join(lines)
