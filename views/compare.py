"""Compare: the optimizers under a fair protocol (optviz.engine.study). Opens on the shipped study
(assets/); another protocol or choice runs live, with progress."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from optviz import OPTIMIZERS, SURFACES
from optviz.engine.optimizers import DEFAULT_OPTIMIZERS
from optviz.engine.study import CLAIM, Protocol, Study, leaderboard, study
from optviz.race.settings import RaceSettings, complete, to_query, with_params
from optviz.render.study import steps_figure

ASSETS = Path(__file__).resolve().parents[1] / "assets"
SHIPPED = {"tuned": ASSETS / "study.json", "defaults": ASSETS / "study-defaults.json"}


@st.cache_resource(show_spinner=False)
def shipped(mode: str) -> Study | None:
    try:
        return Study.from_json(SHIPPED[mode].read_text())
    except (OSError, ValueError):
        return None


@st.cache_resource(show_spinner=False)
def live_cache() -> dict:
    return {}


def results(surface: str, optimizers: tuple[str, ...], protocol: Protocol) -> tuple[Study, str]:
    """The study's entries for this choice: from the shipped study when it holds them, else run now."""
    ready = shipped(protocol.mode)
    if ready is not None and ready.protocol == protocol and all(
            any(e.surface == surface and e.optimizer == o for e in ready.entries) for o in optimizers):
        return Study(protocol, [ready.entry(surface, o) for o in optimizers]), "the shipped study (assets/)"
    key = (surface, optimizers, protocol)
    cache = live_cache()
    if key not in cache:
        bar = st.progress(0.0, text="Tuning and judging...")
        try:
            cache[key] = study([surface], list(optimizers), progress=lambda d: bar.progress(d, text=f"Tuning and judging... {d:.0%}"),
                               **asdict(protocol))
        finally:
            bar.empty()
    return cache[key], "a run just now"


def playground_link(surface: str, entry) -> str:
    race = complete(RaceSettings(surface=surface, optimizers=(entry.optimizer,), steps=entry.budget))
    race = with_params(race, {entry.optimizer: entry.hyperparameters})
    return "./?" + urlencode(to_query(race))


st.title("Compare")
st.markdown(
    "Each optimizer gets the same chance: its learning rate tuned on a log grid from the same tuning starts, "
    "the same budget of steps (one gradient each), then judged from starts it was not tuned on. The score is "
    "the median number of steps to come within the surface's tolerance of a minimum; a run that never does "
    "counts as the budget plus one, ties go to the lower median final loss.")
left, right = st.columns([1, 2])
surface = left.selectbox("Surface", list(SURFACES), format_func=lambda s: SURFACES[s].name, key="cmp_surface")
chosen = right.multiselect("Optimizers", list(OPTIMIZERS), default=list(DEFAULT_OPTIMIZERS), key="cmp_optimizers",
                           format_func=lambda o: OPTIMIZERS[o].name)
mode = st.segmented_control("Hyperparameters", ("tuned", "defaults"), default="tuned", key="cmp_mode",
                            format_func=lambda m: "tuned lr (fair)" if m == "tuned" else "registry defaults (no tuning)")
with st.expander("Protocol"):
    a, b, c, d = st.columns(4)
    count = a.number_input("Learning rates (log grid, 1e-4 to 10)", 2, 60, 25, key="cmp_grid")
    tuning = b.number_input("Tuning starts", 1, 200, 16, key="cmp_tuning")
    held = c.number_input("Held-out starts", 1, 1000, 64, key="cmp_held")
    seed = d.number_input("Seed (draws the starts)", 0, 2**31 - 1, 0, key="cmp_seed")
if not chosen:
    st.info("Choose optimizers to compare.")
    st.stop()
protocol = replace(Protocol(), mode=mode or "tuned", lr_count=int(count), tuning_starts=int(tuning),
                   held_out_starts=int(held), seed=int(seed))
result, origin = results(surface, tuple(chosen), protocol)
board = leaderboard(result, surface)
rows = []
for rank, e in enumerate(board, start=1):
    q1, median, q3 = e.quartiles
    rows.append({"rank": rank, "optimizer": OPTIMIZERS[e.optimizer].name, "lr": e.hyperparameters["lr"],
                 "success": e.success_rate, "median steps": median, "quartiles": f"{q1:g} to {q3:g}",
                 "median final loss": e.median_final_loss, "race": playground_link(surface, e)})
st.dataframe(rows, hide_index=True, width="stretch", column_config={
    "lr": st.column_config.NumberColumn(format="%.3g"),
    "success": st.column_config.ProgressColumn("reached a minimum", format="percent", min_value=0, max_value=1),
    "median final loss": st.column_config.NumberColumn(format="%.3g"),
    "race": st.column_config.LinkColumn("in the Playground", display_text="open the race")})
st.caption("The score counts the first arrival within the tolerance. The median final loss says where the runs "
           "ended: a rate that passes through the minimum early and then bounces away scores well on arrival and "
           "badly there.")
st.plotly_chart(steps_figure(board), key="cmp_steps", width="stretch", theme=None)
entry = board[0]
with st.container(border=True):
    st.markdown(f"**Fairness card** (from {origin})")
    grid = (f"{protocol.lr_count} learning rates, log-spaced from {protocol.lr_low:g} to {protocol.lr_high:g}"
            if protocol.mode == "tuned" else "none: each optimizer's registry defaults")
    st.markdown(
        f"- Budget: {entry.budget} steps for every optimizer (one gradient evaluation each)\n"
        f"- Grid: {grid}\n"
        f"- Starts: {protocol.tuning_starts} for tuning and {protocol.held_out_starts} held out, uniform in the "
        f"view, drawn from seed {protocol.seed}, the same for every optimizer\n"
        f"- Seeds per start: {protocol.seeds} (gradient noise {protocol.noise:g})\n"
        f"- Tolerance: within {entry.tolerance:.3g} of a minimum (a thousandth of the view's diagonal)\n"
        "- Chosen: " + "; ".join(f"{OPTIMIZERS[e.optimizer].name} lr {e.hyperparameters['lr']:.3g}" for e in board))
if "rmsprop" in chosen and all(o in chosen for group in CLAIM for o in group):
    med = {e.optimizer: e.quartiles[1] for e in board}
    faster = [OPTIMIZERS[o].name for o in CLAIM[0] if med["rmsprop"] < med[o]]
    slower = [OPTIMIZERS[o].name for o in CLAIM[1] if med["rmsprop"] > med[o]]
    st.markdown(f"**The claim** that RMSProp is faster than SGD, Momentum and NAG and slower than AdaGrad and "
                f"AdaDelta, here: faster than {', '.join(faster) or 'none of them'}; slower than "
                f"{', '.join(slower) or 'neither'} (median steps: RMSProp {med['rmsprop']:g}).")
