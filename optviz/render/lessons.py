"""The "Why RMSProp" page's charts: a weight fed mini-batch gradients, its drift per cycle
against RMSProp's decay, and each coordinate's effective step size on the ill-conditioned bowl."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ..engine.optimizers import OPTIMIZERS
from ..engine.simulate import Trajectory
from .figures import LOG_FLOOR, _figure, _thin, color_of

CHART_HEIGHT = 440
BOTTOM_LEGEND = dict(orientation="h", y=-0.2, yanchor="top", x=0.0)  # below the axis title: clear of the chart


def weight_figure(weights: Mapping[str, np.ndarray], batches_per_cycle: int, *, clip_to_others: str | None = "rprop",
                  height: int = CHART_HEIGHT) -> go.Figure:
    """Each optimizer's weight against step. The vertical range fits every line but
    ``clip_to_others`` (Rprop, whose drift dwarfs the rest): that line runs off the chart and
    an annotation gives where it ends."""
    traces, annotations = [], []
    kept = [w for oid, w in weights.items() if oid != clip_to_others] or list(weights.values())
    finite = np.concatenate([w[np.isfinite(w)] for w in kept]) if kept else np.zeros(1)
    low, high = float(finite.min()), float(finite.max())
    pad = 0.1 * (high - low) or 0.1
    for oid, w in weights.items():
        keep = _thin(len(w), 4000)
        traces.append(dict(type="scatter", x=keep.tolist(), y=w[keep].tolist(), mode="lines",
                           name=OPTIMIZERS[oid].name, line=dict(color=color_of(oid), width=2)))
        if oid == clip_to_others and len(kept) < len(weights) and not low - pad <= w[-1] <= high + pad:
            annotations.append(dict(
                text=f"{OPTIMIZERS[oid].name} ends at {w[-1]:.4g}, off the chart", xref="paper", yref="paper",
                x=0.99, y=0.02 if w[-1] < low else 0.98, xanchor="right", showarrow=False,
                font=dict(color=color_of(oid), size=12)))
    steps = max(len(w) for w in weights.values()) - 1
    cycle_lines = [dict(type="line", xref="x", yref="paper", x0=c, x1=c, y0=0, y1=1,
                        line=dict(color="#e6eaf1", width=1)) for c in range(0, steps + 1, batches_per_cycle)][:200]
    return _figure(traces, dict(
        height=height, margin=dict(l=70, r=15, t=40, b=105), title=dict(text="The weight, step by step", x=0.01),
        xaxis=dict(title=dict(text="step (a faint line starts each cycle of mini-batches)"), range=[0, steps]),
        yaxis=dict(title=dict(text="weight"), range=[low - pad, high + pad]),
        legend=BOTTOM_LEGEND, annotations=annotations, shapes=cycle_lines,
    ))


def drift_figure(decays: Sequence[float], drifts: Sequence[float], references: Mapping[str, float],
                 current: float | None = None, *, height: int = CHART_HEIGHT) -> go.Figure:
    """RMSProp's drift per cycle (its size, log) against 1 - decay (log), with each reference
    optimizer's drift as a horizontal line (SGD's, exactly zero, as a note)."""
    gap = [1.0 - d for d in decays]
    size = [max(abs(v), LOG_FLOOR) for v in drifts]
    traces = [dict(type="scatter", x=gap, y=size, mode="lines+markers", name="RMSProp",
                   line=dict(color=color_of("rmsprop"), width=2), marker=dict(size=5),
                   customdata=list(decays), hovertemplate="decay %{customdata:g}: %{y:.3g} per cycle<extra></extra>")]
    annotations, shapes = [], []
    for oid, drift in references.items():
        if abs(drift) < 1e-12:
            annotations.append(dict(text=f"{OPTIMIZERS[oid].name}: no drift (the gradients sum to zero)",
                                    xref="paper", yref="paper", x=0.01, y=0.02, xanchor="left", showarrow=False,
                                    font=dict(color=color_of(oid), size=12)))
            continue
        traces.append(dict(type="scatter", x=[min(gap), max(gap)], y=[abs(drift)] * 2, mode="lines",
                           name=f"{OPTIMIZERS[oid].name} ({abs(drift):.3g} per cycle)",
                           line=dict(color=color_of(oid), width=2, dash="dash")))
    if current is not None:
        shapes.append(dict(type="line", xref="x", yref="paper", x0=1.0 - current, x1=1.0 - current, y0=0, y1=1,
                           line=dict(color="#555", width=1, dash="dot")))
        annotations.append(dict(text=f"decay {current:g}", x=float(np.log10(1.0 - current)), xref="x", yref="paper",
                                y=1.0, yanchor="bottom", showarrow=False, font=dict(size=11)))
    return _figure(traces, dict(
        height=height, margin=dict(l=70, r=15, t=40, b=105),
        title=dict(text="Drift per cycle, once settled", x=0.01),
        xaxis=dict(title=dict(text="1 - decay (log): decay 0.5 on the right, 0.999 on the left"), type="log",
                   autorange="reversed", exponentformat="power"),
        yaxis=dict(title=dict(text="|weight change| per cycle (log)"), type="log", exponentformat="power"),
        legend=BOTTOM_LEGEND, annotations=annotations, shapes=shapes,
    ))


def step_size_figure(runs: Sequence[Trajectory], *, height: int = CHART_HEIGHT) -> go.Figure:
    """Each coordinate's effective step size over steps: lr for SGD; lr / (sqrt(v) + eps) (or
    its eps-inside-the-root form) for RMSProp, from the state the engine records."""
    traces = []
    for t in runs:
        steps = np.arange(1, len(t.path))
        for c, (axis, dash) in enumerate((("x", "solid"), ("y", "dot"))):
            if "effective_lr" in t.state:
                size = t.state["effective_lr"][1:, c]
            else:
                size = np.full(len(steps), t.hyperparameters["lr"])
            traces.append(dict(type="scatter", x=steps.tolist(), y=size.tolist(), mode="lines",
                               name=f"{OPTIMIZERS[t.optimizer].name}, {axis}",
                               line=dict(color=color_of(t.optimizer), width=2, dash=dash)))
    return _figure(traces, dict(
        height=height, margin=dict(l=70, r=15, t=40, b=105), title=dict(text="Step size per coordinate", x=0.01),
        xaxis=dict(title=dict(text="step")), yaxis=dict(title=dict(text="effective step size (log)"), type="log",
                                                         exponentformat="power"),
        legend=BOTTOM_LEGEND,
    ))
