"""Keep the 3D view's camera where the mouse left it, across reruns.

Streamlit draws a new chart (a new React element) whenever a figure changes, so a rotation
made with the mouse was lost as soon as any setting moved. This component has no face: its
script, in the app's page, listens to the 3D chart's ``plotly_relayout`` events and reports
the camera plotly ended a drag or zoom with. The Playground turns that into its azimuth and
elevation sliders and draws the next figure from exactly that camera.
"""

from __future__ import annotations

import streamlit as st

from optviz.render.figures import camera_angles, scene_camera, turned_camera
from ui.store import put, stored

KEY = "camera_keeper"

JS = """
export default function ({ setStateValue }) {
  // One reporter for the page, always this mount's: a chart's handler outlives the mount that
  // attached it. A drag ends in one event, a wheel zoom sends one per notch: report the camera
  // once it has rested for 300 ms, and only if it moved, since each report reruns the page.
  const keeper = (window.__optvizCameraKeeper ||= {
    timer: 0, last: "", handlers: new WeakMap(), send: null,
    report(camera) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        const text = JSON.stringify(camera);
        if (this.send && text !== this.last) { this.last = text; this.send("camera", camera); }
      }, 300);
    },
  });
  keeper.send = setStateValue;
  // A changed figure is a new chart, and plotly drops a chart's listeners when it draws it
  // anew: (re)attach to every 3D chart (one with a scene) after each change to the page.
  let queued = false;
  const attach = () => {
    queued = false;
    for (const gd of document.querySelectorAll(".js-plotly-plot")) {
      if (!gd._fullLayout || !gd._fullLayout.scene || typeof gd.on !== "function") continue;
      let handler = keeper.handlers.get(gd);
      if (!handler) {
        handler = (change) => {
          const camera = change && change["scene.camera"];
          if (camera && camera.eye) keeper.report(camera);
        };
        keeper.handlers.set(gd, handler);
      }
      gd.removeListener("plotly_relayout", handler);
      gd.on("plotly_relayout", handler);
      gd.dataset.cameraKept = "";  // a mark for tests: this chart reports its camera
    }
  };
  const observer = new MutationObserver(() => {
    if (!queued) { queued = true; requestAnimationFrame(attach); }
  });
  observer.observe(document.body, { childList: true, subtree: true });
  attach();
  return () => {
    observer.disconnect();
    if (keeper.send === setStateValue) { keeper.send = null; clearTimeout(keeper.timer); }
  };
}
"""

_component = st.components.v2.component("optviz_camera_keeper", js=JS)


def keep_camera(on_change) -> None:
    """Mount the listener; ``on_change`` runs (before the page) when the camera was moved, and
    finds plotly's camera in ``st.session_state[KEY]["camera"]``."""
    _component(key=KEY, on_camera_change=on_change, height=0)


def on_camera_change() -> None:
    """The 3D view was turned or zoomed with the mouse: its sliders follow, and the next figure
    is drawn from exactly that camera while they stay there."""
    try:
        camera = scene_camera(st.session_state[KEY]["camera"])
    except (KeyError, TypeError):
        camera = None
    if camera is None:
        return  # not a camera (the browser's word is checked, not trusted): keep the view as it is
    azimuth, elevation, _ = camera_angles(camera)
    if abs(elevation) > 89.999:  # straight above or below: no azimuth to read, keep the slider's
        azimuth = stored("camera_az")
    angles = (float(round(azimuth)), float(round(elevation)))
    put("camera_az", angles[0])
    put("camera_el", angles[1])
    st.session_state["_camera_view"] = {"angles": angles, "camera": camera}


def mouse_camera(camera: tuple[float, float]) -> dict | None:
    """The camera last set with the mouse: as it was while the sliders still say where it
    was (``camera``: their azimuth and elevation); turned to them, at its distance and
    centre, once they moved."""
    view = st.session_state.get("_camera_view")
    if not view:
        return None
    if tuple(view["angles"]) == tuple(camera):
        return view["camera"]
    return turned_camera(view["camera"], *camera)
