"""Why RMSProp: the mini-batch argument made interactive, per-weight step sizes, and the
conventions libraries follow. Controls -> cached runs of optviz -> charts; settings in the URL."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import streamlit as st

from optviz import OPTIMIZERS
from optviz.race.run import run_race
from optviz.race.settings import surface_of, to_query
from optviz.race.table import Refused
from optviz.race.why import (
    WHY_SETTINGS,
    WhySettings,
    batches_text,
    bowl_runs,
    drift_curve,
    excess_loss,
    minibatch_weights,
    read_batches,
    real_model_races,
    why_from_query,
    why_to_query,
)
from optviz.render.figures import COLORS, race_figure
from optviz.render.lessons import drift_figure, step_size_figure, weight_figure
from ui.charts import chart_downloads
from ui.controls import draw_rows
from ui.conventions import conventions_section
from ui.store import literal, load, loaded

STORE = "_why_values"

minibatch_weights = st.cache_data(max_entries=64, show_spinner=False)(minibatch_weights)
drift_curve = st.cache_data(max_entries=64, show_spinner=False)(drift_curve)
bowl_runs = st.cache_data(max_entries=64, show_spinner=False)(bowl_runs)
run_race = st.cache_data(max_entries=16, show_spinner=False)(run_race)


def widget_values(s: WhySettings) -> dict:
    return {"why_batches": batches_text(s.batches), "why_cycles": s.cycles, "why_order": s.shuffled,
            "why_seed": s.seed, "why_decay": s.decay, "why_lr": s.lr, "why_bowl_lr": s.bowl_lr,
            "why_bowl_steps": s.bowl_steps, "why_conv_surface": s.conv_surface, "why_conv_lr": s.conv_lr,
            "why_conv_steps": s.conv_steps}


def read_controls(container, place: str) -> dict:
    return draw_rows(WHY_SETTINGS, container, store=STORE, place=place, columns=3)


st.title("Why RMSProp")
if not loaded(STORE):
    linked = why_from_query(st.query_params.to_dict())
    st.session_state["_why_notices"] = linked.notices
    load(widget_values(linked), STORE)
    st.session_state["_why_batches"] = linked.batches
if st.session_state.get("_why_notices"):
    st.warning("Some settings in the link could not be used, so their defaults apply:\n\n- "
               + "\n- ".join(map(literal, st.session_state["_why_notices"])))

st.markdown(
    "**Rprop** (Riedmiller & Braun, 1993) gives every weight a step size of its own and moves it by that "
    "step in the direction opposite the gradient's *sign*, growing the step while the sign holds and "
    "shrinking it when the sign flips. With full batches that works well. With mini-batches it breaks "
    "what makes stochastic gradient descent work: small steps that *average* the gradients of successive "
    "batches. Take a weight whose gradient is +0.1 on nine mini-batches and -0.9 on the tenth. On average "
    "it is zero, so the weight should stay about where it is; Rprop moves it down nine times and never "
    "back by as much.\n\n"
    "**RMSProp** (Hinton, *Neural Networks for Machine Learning*, lecture 6e, 2012) keeps a moving average "
    "of each weight's squared gradient and divides the gradient by its root: each weight still gets a step "
    "size of its own, as in Rprop, but a gradient nine times larger now moves the weight nine times as far, "
    "so the batches' gradients combine as they should."
)
rprop, rmsprop = st.columns(2)  # side by side on a wide screen, one above the other on a phone
rprop.latex(r"\begin{aligned}&\text{Rprop:}\\ &\eta \leftarrow \mathrm{clip}(\eta\,\eta_\pm)\\ "
            r"&w \leftarrow w - \eta\,\mathrm{sign}(g)\end{aligned}")
rmsprop.latex(r"\begin{aligned}&\text{RMSProp:}\\ &v \leftarrow \alpha v + (1-\alpha)\,g^2\\ "
              r"&w \leftarrow w - \frac{\mathrm{lr}\,g}{\sqrt{v} + \epsilon}\end{aligned}")

st.header("The mini-batch argument")
controls = st.container()
values = read_controls(controls, "minibatch")
try:
    batches = read_batches(values["batches"])
    st.session_state["_why_batches"] = batches
except Refused as why:
    controls.error(f"These gradients cannot be used: {literal(str(why))}. The charts keep the last ones that worked.")
    batches = st.session_state["_why_batches"]
mini = {k: v for k, v in values.items() if k != "batches"}
section = WhySettings(batches=batches, **{k: v for k, v in mini.items() if k in ("cycles", "shuffled", "seed", "decay", "lr")})
weights = minibatch_weights(section)
decays, drifts, references = drift_curve(section)
left, right = st.columns(2)
weight_chart = weight_figure(weights, len(section.batches))
left.plotly_chart(weight_chart, key="why_weights", width="stretch", theme=None)
drift_chart = drift_figure(decays, drifts, references, section.decay)
right.plotly_chart(drift_chart, key="why_drift", width="stretch", theme=None)
here = drifts[decays.index(section.decay)]
if abs(sum(section.batches)) < 1e-12:
    st.markdown(
        f"Once the averages settle, RMSProp at decay {section.decay:g} moves the weight by **{here:.3g}** per "
        f"cycle, Rprop by **{references['rprop']:.4g}** and SGD by **{references['sgd']:.3g}**. RMSProp's drift "
        "is small but not zero: its running average still lags each batch, and less as the decay nears 1 "
        "(about tenfold less for each 9 added to 0.9, 0.99, 0.999). SGD does not drift at all: its steps are "
        "the gradients themselves, and these sum to zero over a cycle. Rprop, on this sequence, never even "
        "takes the step back: where the sign flips, torch's Rprop (iRprop-) shrinks the step and skips it."
    )
else:
    st.markdown(f"These gradients sum to {sum(section.batches):.4g} a cycle, so every optimizer should move the "
                f"weight: RMSProp by {here:.3g} a cycle, Rprop by {references['rprop']:.4g}, SGD by "
                f"{references['sgd']:.3g}.")
chart_downloads("minibatch", [("weights", weight_chart), ("drift", drift_chart)])

st.header("A step size for every weight")
st.markdown(
    "On the ill-conditioned bowl f = 0.1 x² + 2 y², plain gradient descent takes one step size for both "
    "coordinates: small enough for the steep y, it crawls along the shallow x. RMSProp divides each "
    "coordinate's gradient by its own running root mean square, so x and y get step sizes of their own. "
    "The defaults are *Dive into Deep Learning*'s RMSProp example (sec. 12.8: lr 0.4, decay 0.9, eps 1e-6 "
    "inside the root, from (-5, -2), 20 steps)."
)
bowl = read_controls(st.container(), "bowl")
settings = replace(section, bowl_lr=bowl["bowl_lr"], bowl_steps=bowl["bowl_steps"])
runs = bowl_runs(settings)
x, y = runs[1].final
st.caption(f"RMSProp ends at x = {x:.6f}, y = {y:.6f} after {settings.bowl_steps} steps"
           + (" (as the book prints: x1: -0.010599, x2: 0.000000)." if settings.bowl_lr == 0.4 and settings.bowl_steps == 20 else "."))
st.plotly_chart(race_figure("quadratic", runs, max_frames=min(60, settings.bowl_steps + 1), height=460, inside="rmsprop",
                            fit_legend=True),
                key="why_bowl_map", width="stretch", theme=None)
step_chart = step_size_figure(runs)
st.plotly_chart(step_chart, key="why_steps", width="stretch", theme=None)
chart_downloads("bowl", [("step-sizes", step_chart)])

settings = replace(settings, **conventions_section(STORE))

st.header("On a real model")
st.markdown(" ".join(f"<span style='color:{COLORS[oid]}'>■</span> {OPTIMIZERS[oid].name}" for oid in ("sgd", "rprop", "rmsprop"))
            + " &nbsp; ○ start, ★ minimum", unsafe_allow_html=True)
full, mini = real_model_races()
surface = surface_of(full)
results = {}
for column, race in zip(st.columns(2), (full, mini), strict=True):
    runs, _ = run_race(race)
    results[race.batch_size] = {t.optimizer: excess_loss(t, surface) for t in runs}
    label = "Full batch" if race is full else f"Mini-batches of {race.batch_size}"
    column.subheader(label)
    column.plotly_chart(race_figure(surface, runs, legend=False, height=520, max_frames=60),
                        key=f"why_real_{race.batch_size}", width="stretch", theme=None)
    column.link_button("Open this race in the Playground", "./?" + urlencode(to_query(race)))
before, after = ({oid: "0 (to rounding)" if v < 1e-12 else f"{v:.1e}" for oid, v in r.items()}
                 for r in (results[full.batch_size], results[mini.batch_size]))
st.markdown(
    f"Logistic regression (one sigmoid neuron) on {surface.data.description}; the map is the full-batch loss, and "
    f"the chart beside it the samples with each model at the step shown. Over the last 50 of 300 steps, each "
    f"optimizer's full-batch loss stays this far above the minimum: with the full batch, SGD "
    f"{before['sgd']}, Rprop {before['rprop']}, RMSProp {before['rmsprop']}; with mini-batches of "
    f"{mini.batch_size}, SGD {after['sgd']}, Rprop {after['rprop']}, RMSProp {after['rmsprop']}. "
    "Rprop is the best of the three on full batches and the worst on mini-batches: the batches' gradients "
    "disagree in sign near the minimum, every flip halves its step sizes, and they shrink to nothing before it "
    "gets there. RMSProp, dividing by a running root mean square instead of taking signs, keeps making progress."
)


query = why_to_query(settings)
if st.query_params.to_dict() != query:
    st.query_params.from_dict(query)
