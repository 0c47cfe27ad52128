"""The race on the page: its colour key above the map, the map itself, and a click on it."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from optviz import OPTIMIZERS, Trajectory
from optviz.race.run import race_title
from optviz.race.settings import RaceSettings, batch_size_of, is_data, surface_of
from optviz.render.figures import CLICK_TRACE, COLORS, label_of, race_map
from ui.store import literal, put, remember

MAP_KEY = "race_map"


def race_map_chart(slot, settings: RaceSettings, runs: Sequence[Trajectory]) -> None:
    """The animated race map in ``slot``; a click on it (a selection) moves the start."""
    slot.plotly_chart(
        race_map(settings, runs, legend=False), key=MAP_KEY, on_select="rerun", selection_mode="points",
        width="stretch", theme=None,  # the figures carry their own style (optviz.render.figures.styled)
        config={"displaylogo": False, "scrollZoom": True},
    )


def apply_map_click() -> None:
    """A click on the map's invisible grid moves the start there."""
    try:
        points = st.session_state[MAP_KEY]["selection"]["points"]
    except (KeyError, TypeError):
        return
    clicks = [p for p in points if p.get("curve_number") == CLICK_TRACE]
    if not clicks:
        return
    x, y = float(clicks[-1]["x"]), float(clicks[-1]["y"])
    if st.session_state.get("_last_click") == (x, y):
        return
    st.session_state["_last_click"] = (x, y)
    put("start_x", x)
    put("start_y", y)


def colour_key(slot, settings: RaceSettings, runs: Sequence[Trajectory]) -> None:
    """The race's title, and one coloured pill per optimizer: the map's key (also on a phone,
    where a legend inside the chart had no room). Clicking a pill draws that optimizer alone,
    the others faded; clicking it again brings them back."""
    names = {t.optimizer: label_of(t) for t in runs}
    if st.session_state.get("focus") not in names:
        st.session_state["focus"] = None  # it left the race
    slot.html(colour_css(list(names)))
    minima = surface_of(settings).minima
    markers = "○&nbsp;start" + (",&nbsp;★&nbsp;minimum" if len(minima) == 1 else ",&nbsp;★&nbsp;minima" if minima else "")
    slot.markdown(f"**{literal(race_title(settings, runs))}** &nbsp; {markers}")
    slot.pills("Colour key: click one to single it out", list(names), key="focus", format_func=names.get,
               selection_mode="single", label_visibility="collapsed")
    remember("focus", st.session_state.get("focus"))


def inside_picker(slot, settings: RaceSettings) -> None:
    """The optimizer to look inside, beneath the map (none by default)."""
    if st.session_state.get("inside") not in settings.optimizers:
        st.session_state["inside"] = None  # it left the race
    slot.selectbox("Look inside", [None, *settings.optimizers], key="inside", width=320,
                   format_func=lambda oid: "nobody (choose an optimizer)" if oid is None else OPTIMIZERS[oid].name,
                   help="Its running averages and step size per coordinate beneath the map, and two arrows on the "
                        "map from its point at the shown step: the plain gradient step -lr g (dashed) and the step "
                        "it actually takes (solid).")
    remember("inside", st.session_state.get("inside"))
    inside = st.session_state.get("inside")
    if inside is not None:
        mini = is_data(settings) and batch_size_of(settings) < surface_of(settings).data.samples
        slot.caption(f"Arrows from {OPTIMIZERS[inside].name}'s point at the step shown: solid, the step it takes; "
                     + ("dashed black, -lr times the full-batch gradient; dotted gold, -lr times the gradient of "
                        "the mini-batch that step uses." if mini else "dashed black, the plain gradient step -lr g."))


def colour_css(key_order: Sequence[str]) -> str:
    """Each optimizer's colour on its sidebar tag, its expander's dot and its pill in the key
    (whose pills are in ``key_order``). Streamlit gives a keyed element the class st-key-<key>,
    with "." as "-"; a tag and the expander's icon are found by the label they carry."""
    rules = []
    for oid, colour in COLORS.items():
        name = OPTIMIZERS[oid].name
        rules.append(f'.st-key-optimizers span[data-tag][aria-label="{name}"]{{background-color:{colour};}}')
        rules.append(f'.st-key-open-{oid} summary span[aria-label="circle icon"]{{color:{colour};}}')
    for position, oid in enumerate(key_order, start=1):
        rules.append(f".st-key-focus button:nth-of-type({position})::before{{content:'';display:inline-block;"
                     f"width:.7em;height:.7em;border-radius:50%;margin-right:.4em;background:{COLORS[oid]};}}")
    return "<style>" + "".join(rules) + "</style>"


PHONE_HINT = """<div class="optviz-phone-hint">Settings (surface, optimizers, learning rates, start)
are in the sidebar: tap <b>&raquo;</b> at the top left.</div>
<style>.optviz-phone-hint{font-size:.9rem;color:#555;background:#f0f2f6;border-radius:.5rem;padding:.4rem .7rem;}
@media (min-width: 768px){.optviz-phone-hint{display:none;}}</style>"""
"""Shown only on a narrow screen, where Streamlit starts with the sidebar collapsed."""
