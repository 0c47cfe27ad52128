"""The Playground: race optimizers across a surface. Sidebar -> one cached run -> charts.

The sidebar is drawn from the settings table (ui/controls.py); every widget value also lives
in the page's store (ui/store.py), so settings survive being hidden and the URL is written
from, and read into, the same keys.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from optviz import OPTIMIZERS
from optviz.engine.cache import first_page_cached
from optviz.race import run as race
from optviz.race.settings import complete, from_query, surface_of, to_query
from optviz.render.figures import (
    distance_figure,
    loss_figure,
    placeholder_figure,
    race_3d,
    summary_markdown,
    summary_rows,
)
from server import warm_up as warm
from ui import camera_keeper
from ui.controls import sidebar, widget_values
from ui.exports import exports, restore_from_upload
from ui.heavy import PROGRESS_ABOVE, large_race
from ui.race_chart import PHONE_HINT, apply_map_click, colour_key, inside_picker, race_map_chart
from ui.store import literal, load, loaded
from ui.timing import timed


@st.cache_resource(show_spinner=False)
def warm_up() -> bool:
    """Load (or, on a fresh install, compile) the kernels a first page needs, once per process.

    Under ``streamlit run serve.py``, unless the kernels are recorded as cached, a thread
    started with the server is doing it, and this waits for it; otherwise this loads them
    while the browser is still evaluating plotly.js. The batch kernel is left to the first
    typed formula (its minima search), so a first page does not wait for it.
    """
    warm.warm_up()
    return True


run_light_race = st.cache_data(max_entries=256, show_spinner=False)(race.run_race)


def run_race(settings):
    """(runs, errors): light races from the page's cache; large ones shared, with progress, and
    the heaviest in the server's bounded pool (ui/heavy.py)."""
    if race.race_work(settings) < PROGRESS_ABOVE:
        return run_light_race(settings)
    return large_race(settings)


def main() -> None:
    st.html(PHONE_HINT)
    header = st.container()  # the formula and any notices, filled once the settings are read
    key_slot = st.container()  # the race's title and its colour key, filled once it has run
    map_slot = st.empty()
    waiting = "Loading the optimizers..."
    if not warm.WARM.is_set() and not first_page_cached():
        # The kernels have to compile (after an install): an empty map holds the place and says so.
        map_slot.plotly_chart(placeholder_figure("Preparing the race..."), theme=None, width="stretch")
        waiting = "Preparing the optimizers (compiling on the first visit after an install, about 20 s)..."
    with st.spinner(waiting):  # first: reading the link may already run the optimizers (suggested rates)
        warm_up()
    early = first_visit(map_slot)
    restore_from_upload()
    apply_map_click()

    settings = sidebar()
    query = to_query(settings)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)

    surface = surface_of(settings)
    header.latex(surface.latex)
    if surface.note:
        header.caption(surface.note)
    if surface.is_data:
        header.caption(data_caption(settings, surface))
    notices = st.session_state.get("_notices")
    if notices:
        header.warning("Some settings in the link could not be used, so their defaults apply:\n\n- "
                       + "\n- ".join(map(literal, notices)))
    if not settings.optimizers:
        map_slot.info("Choose optimizers in the sidebar to start a race.")
        return
    runs, errors = run_race(settings)
    for oid, message in errors.items():
        header.error(f"{OPTIMIZERS[oid].name} could not run: {literal(message)}")

    colour_key(key_slot, settings, runs)
    if not settings.view_3d:
        inside_picker(key_slot, settings)
    if settings.view_3d:
        with map_slot.container(gap=None):
            camera_keeper.keep_camera(camera_keeper.on_camera_change)
            figure = race_3d(settings, runs, view=camera_keeper.mouse_camera(settings.camera), legend=False)
            st.plotly_chart(figure, key="race_3d", width="stretch", theme=None)
    elif settings != early:
        if early is not None:  # the sidebar disagrees with the link it was loaded from
            st.session_state["_early_map_missed"] = True  # (tests/test_playground_app.py checks this)
            st.rerun()  # once: the store is filled now, so no early map is drawn again
        race_map_chart(map_slot, settings, runs)

    left, right = st.columns(2)
    left.plotly_chart(loss_figure(surface, runs), key="loss_chart", width="stretch", theme=None)
    right.plotly_chart(distance_figure(surface, runs), key="distance_chart", width="stretch", theme=None)
    st.markdown(summary_markdown(summary_rows(surface, runs)))
    st.caption(f"{surface.name}: {surface.source}.")
    exports(settings, runs)


def data_caption(settings, surface) -> str:
    """What a data surface's map shows, in a line."""
    n, batch = surface.data.samples, race.batch_size_of(settings)
    how = ("every step uses every sample (the full batch: the exact gradient)" if batch == n else
           f"each step's gradient is the mean over {batch} of the {n:,} samples; each epoch of "
           f"{-(-n // batch)} steps shuffles them anew (seed {settings.seed})"
           + ("" if n % batch == 0 else f", and its last batch holds the {n % batch} left over"))
    model = surface.name.split(" (")[0].lower()
    return (f"Training {model} on {surface.data.description}: {how}. The contours are the full-batch "
            "loss. Beside the map: the samples and each optimizer's model at the step shown. Look inside an "
            "optimizer to see the mini-batch and the full-batch gradient at each step.")


def first_visit(map_slot):
    """On a session's first run, read the link into the store; and, since its race is known
    before the sidebar is drawn, draw its map first (the browser starts on the chart library
    and the map while the sidebar's widgets arrive). Returns those settings, or None."""
    if loaded():
        return None
    linked = from_query(st.query_params.to_dict())
    st.session_state["_notices"] = linked.notices
    linked = replace(linked, notices=())  # shown once, above; not part of the race (nor its cache key)
    load(widget_values(linked))
    st.session_state["_good_surface"] = (linked.surface, linked.formula, linked.bounds)
    if not linked.optimizers or linked.view_3d:
        return None
    early = complete(linked)
    st.query_params.from_dict(to_query(early))  # the URL first, as on every other run
    if race.race_work(early) >= PROGRESS_ABOVE:
        return None  # a large race: the sidebar first, so its controls are there while it runs
    race_map_chart(map_slot, early, run_race(early)[0])
    return early


timed(main)
