"""Keep the 3D view's camera where the mouse left it, across reruns.

Streamlit draws a new chart (a new React element) whenever a figure changes, so a rotation
made with the mouse was lost as soon as any setting moved. This component has no face: its
script, in the app's page, listens to the 3D chart's ``plotly_relayout`` events and reports
the camera plotly ended a drag or zoom with. The Playground turns that into its azimuth and
elevation sliders and draws the next figure from exactly that camera.
"""

from __future__ import annotations

import streamlit as st

KEY = "camera_keeper"

JS = """
export default function ({ setStateValue }) {
  // The chart is replaced when its figure changes: attach to each new 3D chart (one with a scene).
  let queued = false;
  const attach = () => {
    queued = false;
    for (const gd of document.querySelectorAll(".js-plotly-plot")) {
      if (gd.__optvizCamera || !gd._fullLayout || !gd._fullLayout.scene || typeof gd.on !== "function") continue;
      gd.__optvizCamera = true;
      gd.on("plotly_relayout", (change) => {
        const camera = change && change["scene.camera"];
        if (camera && camera.eye) setStateValue("camera", camera);
      });
    }
  };
  const observer = new MutationObserver(() => {
    if (!queued) { queued = true; requestAnimationFrame(attach); }
  });
  observer.observe(document.body, { childList: true, subtree: true });
  attach();
  return () => observer.disconnect();
}
"""

_component = st.components.v2.component("optviz_camera_keeper", js=JS)


def keep_camera(on_change) -> None:
    """Mount the listener; ``on_change`` runs (before the page) when the camera was moved, and
    finds plotly's camera in ``st.session_state[KEY]["camera"]``."""
    _component(key=KEY, on_camera_change=on_change, height=0)
