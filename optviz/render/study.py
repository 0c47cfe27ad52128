"""Figures of a study (optviz.engine.study): held-out steps to tolerance per optimizer."""

from __future__ import annotations

from collections.abc import Sequence

from ..engine.optimizers import OPTIMIZERS
from ..engine.study import Entry
from .figures import COLORS, PlainFigure, styled


def steps_figure(entries: Sequence[Entry], height: int = 420) -> PlainFigure:
    """One box per optimizer (best first), every held-out run a dot: steps to come within the
    tolerance of a minimum; runs that never did sit on the dashed line at the budget plus one."""
    traces = [dict(type="box", y=e.steps, name=OPTIMIZERS[e.optimizer].name, boxpoints="all", jitter=0.4,
                   pointpos=0, marker=dict(color=COLORS[e.optimizer], size=4, opacity=0.6),
                   line=dict(color=COLORS[e.optimizer]), showlegend=False,
                   hovertemplate=f"{OPTIMIZERS[e.optimizer].name}: %{{y}} steps<extra></extra>") for e in entries]
    budget = max((e.budget for e in entries), default=1)
    layout = dict(
        height=height, margin=dict(l=70, r=20, t=50, b=60),
        title=dict(text="Steps to a minimum from held-out starts", x=0.01),
        yaxis=dict(title=dict(text="steps to tolerance"), type="log", exponentformat="power", rangemode="tozero"),
        shapes=[dict(type="line", xref="paper", x0=0, x1=1, y0=budget + 1, y1=budget + 1,
                     line=dict(color="#888", dash="dash", width=1))],
    )
    return PlainFigure(data=traces, layout=styled(layout), plain=True)
