"""The "Why RMSProp" page's last section: RMSProp as each library writes it, raced on one map."""

from __future__ import annotations

import streamlit as st

from optviz.engine.conventions import CONVENTIONS
from optviz.engine.surfaces import SURFACES
from optviz.race.why import WHY_SETTINGS, WhySettings, convention_runs, largest_gap
from optviz.render.figures import race_figure
from ui.charts import chart_downloads
from ui.controls import draw_rows
from ui.store import literal

convention_runs = st.cache_data(max_entries=64, show_spinner=False)(convention_runs)


def conventions_section(store: str) -> dict:
    """Draw the section; returns its settings' values (for the page's link)."""
    st.header("One name, six conventions")
    st.markdown(
        "Libraries agree on the idea and differ in the details: the decay, eps and whether it sits inside "
        "the root, and where the running average starts. Each preset below is optviz's RMSProp with that "
        "library's defaults, checked against its source (cited under the table). The learning rate is one for "
        "all: the libraries' own defaults differ (1e-3 to 1e-2) and would hide the rest. How momentum enters "
        "differs too (PyTorch multiplies its buffer by lr, the others accumulate lr-scaled steps), but with "
        "a constant learning rate both give the same points, up to rounding."
    )
    values = draw_rows(WHY_SETTINGS, st.container(), store=store, place="conventions", columns=3)
    settings = WhySettings(conv_surface=values["conv_surface"], conv_lr=values["conv_lr"], conv_steps=values["conv_steps"])
    rows = ["| preset | decay | eps | eps sits | v starts at | momentum |", "|---|---|---|---|---|---|"]
    for c in CONVENTIONS:
        v = c.values
        rows.append(f"| <span style='color:{c.colour}'>■</span> {c.name} | {v['alpha']:g} | {v['eps']:g} | "
                    f"{'inside the root' if v['eps_in_sqrt'] else 'outside the root'} | "
                    f"{v['initial_square_avg']:g} | {literal(c.momentum_form)} |")
    st.markdown("\n".join(rows), unsafe_allow_html=True)
    with st.expander("Where each preset comes from (file and line)"):
        st.markdown("\n".join(f"- **{c.name}**: {literal(c.source)}" for c in CONVENTIONS))
    runs = convention_runs(settings)
    gap, step, i, j = largest_gap(runs)
    surface = SURFACES[settings.conv_surface]
    st.markdown(f"On {surface.name}, at lr {settings.conv_lr:g}, the paths part most between "
                f"**{CONVENTIONS[i].name}** and **{CONVENTIONS[j].name}**: **{gap:.3g}** apart at step {step}."
                + " " + " ".join(f"{c.name}: {c.notes}" for c in CONVENTIONS if c.notes))
    figure = race_figure(surface, runs, styles=[(c.name, c.colour) for c in CONVENTIONS], height=600,
                         max_frames=min(60, settings.conv_steps + 1), fit_legend=True)
    st.plotly_chart(figure, key="why_conventions", width="stretch", theme=None)
    chart_downloads("conventions", [("map", figure)])
    return {k: values[k] for k in ("conv_surface", "conv_lr", "conv_steps")}
