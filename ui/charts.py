"""Downloads for a page's charts: each as a PNG (drawn by the browser kaleido keeps) and as
CSV (one row per point of every line)."""

from __future__ import annotations

import csv
import io

import plotly.graph_objects as go
import streamlit as st

from optviz.out import export
from ui.exports import image_export


def figure_csv(figure: go.Figure) -> str:
    """Every line of ``figure`` as rows of (line, x, y), numbers in full."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["line", "x", "y"])
    for trace in figure.to_dict()["data"]:
        xs, ys = trace.get("x"), trace.get("y")
        if xs is None or ys is None or isinstance(xs, dict):
            continue
        for x, y in zip(xs, ys, strict=False):
            writer.writerow([trace.get("name", ""), repr(x), repr(y)])
    return buffer.getvalue()


def chart_downloads(section: str, charts: list[tuple[str, go.Figure]]) -> None:
    """A row of download buttons: PNG and CSV for each named chart of a section."""
    available, message = image_export()
    columns = st.columns(2 * len(charts))
    for k, (name, figure) in enumerate(charts):
        if available:
            columns[2 * k].download_button(
                f"{name} (PNG)", data=lambda f=figure: export.to_png(f),
                file_name=f"optviz-{section}-{name}.png", mime="image/png", on_click="ignore",
                key=f"png_{section}_{name}", width="stretch")
        columns[2 * k + 1].download_button(
            f"{name} (CSV)", data=lambda f=figure: figure_csv(f), file_name=f"optviz-{section}-{name}.csv",
            mime="text/csv", on_click="ignore", key=f"csv_{section}_{name}", width="stretch")
    if not available:
        st.caption(message)
