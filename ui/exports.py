"""The Playground's export panel: one download button per format, and restoring a race from JSON."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from optviz import OPTIMIZERS, Trajectory
from optviz.out import export
from optviz.race.settings import RaceSettings
from ui.controls import widget_values
from ui.store import load


@st.cache_resource(show_spinner=False)
def image_export() -> tuple[bool, str]:
    """Whether this server can draw PNG/SVG/PDF (a Chromium is needed), checked once."""
    return export.image_export_available()


def exports(settings: RaceSettings, runs: Sequence[Trajectory]) -> None:
    """Download buttons for what is on screen; each file is made only when its button is pressed."""
    st.subheader("Export")

    def button(col, fmt: str, label: str, **options) -> None:
        col.download_button(
            label, data=lambda: export.export(settings, fmt, runs, **options), on_click="ignore",
            file_name=export.filename(settings, fmt, options.get("optimizer")), mime=export.FORMATS[fmt].mime,
            width="stretch", key=f"download_{fmt}",
        )

    images, motion, data, code = st.columns(4)
    images.markdown("**Image**")
    available, message = image_export()
    if available:
        scale = images.select_slider("PNG scale", [1, 2, 3, 4], value=2, key="png_scale", format_func=lambda v: f"{v}x")
        button(images, "png", "PNG", scale=scale)
        button(images, "svg", "SVG")
        button(images, "pdf", "PDF")
    else:
        images.info(message)
    motion.markdown("**Animation**")
    button(motion, "gif", "GIF")
    button(motion, "mp4", "MP4")
    button(motion, "html", "Interactive HTML")
    data.markdown("**Data**")
    button(data, "csv", "CSV (every step, with state)")
    button(data, "json", "JSON (settings + paths)")
    code.markdown("**Code**")
    oid = code.selectbox("Optimizer", settings.optimizers, key="script_optimizer", format_func=lambda o: OPTIMIZERS[o].name)
    button(code, "numpy", "NumPy script", optimizer=oid)
    button(code, "pytorch", "PyTorch script", optimizer=oid)

    st.file_uploader("Restore a race from its JSON export", type=["json"], key="restore_json")
    if st.session_state.get("_restore_error"):
        st.error(st.session_state["_restore_error"])


def restore_from_upload() -> None:
    """An uploaded JSON export replaces every setting (before any widget is drawn this run)."""
    upload = st.session_state.get("restore_json")
    if upload is None or st.session_state.get("_restored") == upload.file_id:
        return
    st.session_state["_restored"] = upload.file_id
    try:
        restored, notices = export.from_json(upload.getvalue())
    except ValueError as err:
        st.session_state["_restore_error"] = f"That file is not an optviz JSON export: {err}"
        return
    st.session_state["_restore_error"] = None
    st.session_state["_notices"] = notices
    load(widget_values(restored))
    st.session_state["_good_surface"] = (restored.surface, restored.formula, restored.bounds)
