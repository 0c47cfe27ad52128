"""Figures of maps (optviz.engine.maps): a hyperparameter sweep as a heatmap, basins of attraction
as a picture of the start plane. Both take clicks: an invisible grid of markers over the cells
(a bare heatmap or image gives Streamlit no click selection), each carrying its cell's (row, column).
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from ..engine.maps import MapResult, is_log_axis
from ..engine.optimizers import OPTIMIZERS
from ..engine.surfaces import Surface
from .figures import GRID_COLOR, PlainFigure, styled

CLICK_SIDE = 100
"""At most this many click targets along an axis: a larger map takes a click at the nearest one."""
DIVERGED = "#7f7f7f"  # grey: the run blew up
NEVER = "#ffffff"  # white: it never came within the tolerance of a minimum
MINIMUM_HUES = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
SWEEP_SCALE = "Viridis"
COLOUR_BY = ("final loss", "steps to the minimum")


def _log(values: np.ndarray, log: bool) -> np.ndarray:
    return np.log10(values) if log else values


def _edges(centres: np.ndarray) -> tuple[float, float]:
    """The outer edges of cells centred at ``centres`` (evenly spaced)."""
    if len(centres) == 1:
        return float(centres[0]) - 0.5, float(centres[0]) + 0.5
    half = 0.5 * (centres[1] - centres[0])
    return float(centres[0] - half), float(centres[-1] + half)


def _click_layer(cx: np.ndarray, cy: np.ndarray, hover: str, customdata_of) -> dict:
    """Invisible markers on (at most) CLICK_SIDE x CLICK_SIDE cells; customdata (row, column)."""
    cols = np.unique(np.linspace(0, len(cx) - 1, min(len(cx), CLICK_SIDE)).round().astype(int))
    rows = np.unique(np.linspace(0, len(cy) - 1, min(len(cy), CLICK_SIDE)).round().astype(int))
    jj, ii = np.meshgrid(cols, rows)
    size = max(4, min(30, 600 // max(len(cols), len(rows))))
    return dict(type="scatter", x=cx[jj.ravel()].tolist(), y=cy[ii.ravel()].tolist(), mode="markers",
                marker=dict(size=size, color="rgba(0,0,0,0)", opacity=0.01, symbol="square"),
                customdata=customdata_of(ii.ravel(), jj.ravel()), hovertemplate=hover, showlegend=False,
                name="click a cell")


def _tick_axis(values: np.ndarray, log: bool, title: str) -> dict:
    axis = dict(title=dict(text=title), showgrid=False, zeroline=False, range=list(_edges(_log(values, log))))
    if log:
        lo, hi = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
        ticks = np.arange(lo, hi + 1)
        axis.update(tickvals=ticks.tolist(), ticktext=[f"1e{int(t)}" for t in ticks])
    return axis


def sweep_figure(result: MapResult, surface: Surface, colour_by: str = "final loss", height: int = 560) -> PlainFigure:
    """The sweep as a heatmap over its two hyperparameters (log axes for log-scale ones): colour by
    log10 of the final loss above the minimum (the final loss where none is known) or by the
    steps to reach a minimum; diverged cells grey and never-reached ones white, each in the legend."""
    opt = OPTIMIZERS[result.optimizer]
    x_log, y_log = is_log_axis(opt.id, result.x_name), is_log_axis(opt.id, result.y_name)
    cx, cy = _log(result.xs, x_log), _log(result.ys, y_log)
    diverged = result.diverged_at >= 0
    if colour_by == "steps to the minimum":
        z = np.where(result.reached_at >= 0, result.reached_at, np.nan).astype(float)
        title = "steps to the minimum"
    elif surface.min_value is not None:
        z = np.log10(np.maximum(result.final_loss - surface.min_value, 1e-16))
        title = "log10(final f - f_min)"
    else:
        z = result.final_loss.astype(float)
        title = "final f"
    z = np.where(diverged, np.nan, z)
    text = np.vectorize(lambda d, r, f: f"diverged at step {d}" if d >= 0 else
                        (f"final f {f:.4g}; minimum at step {r}" if r >= 0 else f"final f {f:.4g}; never reached"))(
        result.diverged_at, result.reached_at, result.final_loss)
    hover = (f"{result.x_name} %{{customdata[2]:.4g}}, {result.y_name} %{{customdata[3]:.4g}}<br>%{{customdata[4]}}"
             "<br>click: open this race in the Playground<extra></extra>")
    traces = [
        dict(type="heatmap", x=cx.tolist(), y=cy.tolist(), z=np.where(np.isfinite(z), z, None).tolist(),
             colorscale=SWEEP_SCALE, reversescale=True, hoverinfo="skip", name=title,
             colorbar=dict(title=dict(text=title, side="right"), thickness=12)),
        dict(type="heatmap", x=cx.tolist(), y=cy.tolist(), z=np.where(diverged, 1.0, None).tolist(),
             colorscale=[[0, DIVERGED], [1, DIVERGED]], showscale=False, hoverinfo="skip", name="diverged"),
        _click_layer(cx, cy, hover, lambda ii, jj: [
            [int(i), int(j), float(result.xs[j]), float(result.ys[i]), str(text[i, j])] for i, j in zip(ii, jj, strict=True)]),
        dict(type="scatter", x=[None], y=[None], mode="markers", name="diverged",
             marker=dict(symbol="square", size=12, color=DIVERGED)),
    ]
    if colour_by == "steps to the minimum":
        traces.append(dict(type="scatter", x=[None], y=[None], mode="markers", name="never reached",
                           marker=dict(symbol="square", size=12, color=NEVER, line=dict(width=1, color="#999"))))
    (sx, sy) = result.fixed["start"]
    layout = dict(
        height=height, margin=dict(l=70, r=110, t=60, b=55), plot_bgcolor=NEVER,
        title=dict(text=f"{opt.name}, {result.steps} steps from ({sx:.3g}, {sy:.3g})", x=0.01),
        xaxis=_tick_axis(result.xs, x_log, result.x_name), yaxis=_tick_axis(result.ys, y_log, result.y_name),
        legend=dict(orientation="h", x=0.0, y=1.0, yanchor="bottom", bgcolor="rgba(255,255,255,0.7)"),
        clickmode="event+select", dragmode="pan", hovermode="closest", meta=dict(kind="sweep"),
    )
    return PlainFigure(data=traces, layout=styled(layout), plain=True)


def basin_colours(result: MapResult) -> np.ndarray:
    """An (ny, nx, 3) uint8 picture: the hue of the minimum reached, darker the more steps it
    took (a third as bright at the last step); grey diverged, white never reached."""
    hues = np.array([[int(h[k:k + 2], 16) for k in (1, 3, 5)] for h in MINIMUM_HUES], dtype=float)
    picture = np.full((*result.reached_minimum.shape, 3), 255.0)
    reached = result.reached_minimum >= 0
    which = hues[result.reached_minimum[reached] % len(MINIMUM_HUES)]
    slowness = np.clip(result.reached_at[reached] / max(result.steps, 1), 0.0, 1.0)[:, None]
    picture[reached] = which * (1.0 - (2.0 / 3.0) * slowness)
    picture[result.diverged_at >= 0] = [int(DIVERGED[k:k + 2], 16) for k in (1, 3, 5)]
    return picture.round().astype(np.uint8)


def _png(picture: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(picture[::-1], mode="RGB").save(buffer, format="PNG")  # row 0 of the map is the lowest y
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def basins_figure(result: MapResult, surface: Surface, height: int = 480) -> PlainFigure:
    """Where each start of the grid ends up: one pixel per start (see :func:`basin_colours`), the
    minima starred, both axes to one scale."""
    opt = OPTIMIZERS[result.optimizer]
    (x_lo, x_hi), (y_lo, y_hi) = _edges(result.xs), _edges(result.ys)
    text = np.vectorize(lambda d, r, m: f"diverged at step {d}" if d >= 0 else
                        (f"minimum {m + 1} at step {r}" if r >= 0 else "never reached a minimum"))(
        result.diverged_at, result.reached_at, result.reached_minimum)
    hover = "start (%{x:.3g}, %{y:.3g})<br>%{customdata[2]}<br>click: race from here in the Playground<extra></extra>"
    traces = [
        _click_layer(result.xs, result.ys, hover,
                     lambda ii, jj: [[int(i), int(j), str(text[i, j])] for i, j in zip(ii, jj, strict=True)]),
        dict(type="scatter", x=[m.x for m in surface.minima], y=[m.y for m in surface.minima], mode="markers+text",
             text=[str(k + 1) for k in range(len(surface.minima))], textposition="top right",
             marker=dict(symbol="star", size=14, color="white", line=dict(width=1.5, color="black")),
             name="minima" + (" (approximate)" if surface.approximate_minima else ""), hoverinfo="skip"),
        dict(type="scatter", x=[None], y=[None], mode="markers", name="diverged",
             marker=dict(symbol="square", size=12, color=DIVERGED)),
        dict(type="scatter", x=[None], y=[None], mode="markers", name="never reached",
             marker=dict(symbol="square", size=12, color=NEVER, line=dict(width=1, color="#999"))),
    ]
    lr = result.fixed.get("lr")
    layout = dict(
        height=height, margin=dict(l=55, r=15, t=60, b=50), plot_bgcolor="white",
        title=dict(text=f"{opt.name}" + (f", lr {lr:g}" if lr is not None else "") + f", {result.steps} steps", x=0.01),
        xaxis=dict(range=[x_lo, x_hi], title=dict(text="start x"), showgrid=False, zeroline=False, constrain="domain"),
        yaxis=dict(range=[y_lo, y_hi], title=dict(text="start y"), showgrid=False, zeroline=False,
                   scaleanchor="x", scaleratio=1, constrain="domain"),
        images=[dict(source=_png(basin_colours(result)), xref="x", yref="y", x=x_lo, y=y_hi, sizex=x_hi - x_lo,
                     sizey=y_hi - y_lo, sizing="stretch", layer="below")],
        legend=dict(orientation="h", x=0.0, y=1.0, yanchor="bottom", bgcolor="rgba(255,255,255,0.7)"),
        clickmode="event+select", dragmode="pan", hovermode="closest", meta=dict(kind="basins"),
    )
    return PlainFigure(data=traces, layout=styled(layout), plain=True)


def with_grid(figure: PlainFigure) -> PlainFigure:
    """``figure`` with light grid lines, for an export where no hover tells the values."""
    figure.update_layout(xaxis_gridcolor=GRID_COLOR, yaxis_gridcolor=GRID_COLOR)
    return figure
