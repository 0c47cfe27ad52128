"""Maps: a whole hyperparameter plane, or every start, at once. A click on a cell opens its race
in the Playground. Controls -> one cached batch of runs (progress shown) -> figure -> downloads."""

from __future__ import annotations

import numpy as np
import streamlit as st

from optviz import OPTIMIZERS, SURFACES
from optviz.engine.data import MODELS
from optviz.engine.maps import MAX_MAP_STEPS, axis_values, decay_like, is_log_axis
from optviz.out.maps import map_csv, map_json
from optviz.race import maps, run
from optviz.race.settings import CUSTOM, EXAMPLE_FORMULA, RaceSettings, complete, slider_stops, surface_of, to_query
from optviz.render.maps import COLOUR_BY, basins_figure, sweep_figure
from ui.exports import image_export
from ui.heavy import cached, with_progress
from ui.store import STORE, literal

SIDES = (10, 20, 50, 100, 150, 200, 300, 400)
STEP_CHOICES = (50, 100, 200, 300, 500, 1000, 2000)
def cached_sweep(race: RaceSettings, optimizer: str, x: tuple, y: tuple, steps: int, _progress=None):
    return cached(("sweep", race, optimizer, x, y, steps), lambda: maps.run_sweep(
        race, optimizer, (x[0], list(x[1])), (y[0], list(y[1])), steps, progress=_progress))


def cached_basins(race: RaceSettings, optimizer: str, side: int, steps: int, _progress=None):
    return cached(("basins", race, optimizer, side, steps),
                  lambda: maps.run_basins(race, optimizer, side, steps, progress=_progress))


def open_in_playground(race: RaceSettings) -> None:
    """The Playground with this race: its store is dropped, so it reads the link afresh."""
    st.session_state.pop(STORE, None)
    st.switch_page("views/playground.py", query_params=to_query(race))


def clicked_cell(event, key: str) -> tuple[int, int] | None:
    """The (row, column) a click selected on a map, once per click."""
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "points", [])
    cells = [p["customdata"][:2] for p in points if p.get("customdata")]
    if not cells:
        st.session_state.pop(f"_handled_{key}", None)
        return None
    cell = (int(cells[0][0]), int(cells[0][1]))
    if st.session_state.get(f"_handled_{key}") == cell:
        return None
    st.session_state[f"_handled_{key}"] = cell
    return cell


def downloads(name: str, figure, result) -> None:
    available, message = image_export()
    from optviz.out import export

    columns = st.columns(4)  # CSV: one row per cell
    if available:
        columns[0].download_button("PNG", data=lambda: export.to_png(figure), file_name=f"optviz-{name}.png",
                                   mime="image/png", on_click="ignore", key=f"png_{name}", width="stretch")
        columns[1].download_button("SVG", data=lambda: export.to_svg(figure), file_name=f"optviz-{name}.svg",
                                   mime="image/svg+xml", on_click="ignore", key=f"svg_{name}", width="stretch")
    columns[2].download_button("CSV", data=lambda: map_csv(result), file_name=f"optviz-{name}.csv",
                               mime="text/csv", on_click="ignore", key=f"csv_{name}", width="stretch")
    columns[3].download_button("JSON", data=lambda: map_json(result), file_name=f"optviz-{name}.json",
                               mime="application/json", on_click="ignore", key=f"json_{name}", width="stretch")
    if not available:
        st.caption(message)


def choose_surface() -> RaceSettings | None:
    """The surface, as a race chooses it (a typed formula compiled, data generated)."""
    left, right = st.columns(2)
    options = (*SURFACES, *MODELS, CUSTOM)
    sid = left.selectbox("Surface", options, key="maps_surface",
                         format_func=lambda s: SURFACES[s].name if s in SURFACES else
                         f"{MODELS[s].name} (200 samples, full batch)" if s in MODELS else "Custom formula...")
    formula = None
    if sid == CUSTOM:
        formula = right.text_input("f(x, y) =", value=EXAMPLE_FORMULA, key="maps_formula", max_chars=300)
    try:
        race = complete(RaceSettings(surface=sid, formula=formula, optimizers=("sgd",), batch_size=10_000))
    except ValueError as err:  # a formula that cannot be used, and why
        right.error(f"This formula cannot be used: {literal(getattr(err, 'reason', str(err)))}.")
        return None
    surface = surface_of(race)
    if surface.approximate_minima and surface.minima:
        st.caption("The minima of this surface are found numerically (approximate); a run counts as reaching one "
                   "within a thousandth of the view's diagonal.")
    if not surface.minima:
        st.caption("This surface has no minimum to reach: the sweep colours by the final loss, and a basin map is "
                   "all white or grey.")
    return race


def sweep_section(race: RaceSettings) -> None:
    surface = surface_of(race)
    a, b, c = st.columns(3)
    optimizer = a.selectbox("Optimizer", list(OPTIMIZERS), index=list(OPTIMIZERS).index("rmsprop"), key="maps_opt",
                            format_func=lambda o: OPTIMIZERS[o].name)
    numeric = [p.name for p in OPTIMIZERS[optimizer].hyperparameters if not p.is_bool]
    x_name = b.selectbox("x axis", numeric, index=0, key=f"maps_x_{optimizer}")
    others = [n for n in numeric if n != x_name]
    if not others:
        st.info(f"{OPTIMIZERS[optimizer].name} has only one numeric hyperparameter: choose another optimizer.")
        return
    default_y = decay_like(optimizer)
    y_name = c.selectbox("y axis", others, index=others.index(default_y) if default_y in others else 0,
                         key=f"maps_y_{optimizer}_{x_name}")
    axes = []
    for column, name in zip(st.columns(2), (x_name, y_name), strict=True):
        spec = OPTIMIZERS[optimizer].hyperparameter(name)
        low, high = spec.slider_range
        log = is_log_axis(optimizer, name)
        stops = slider_stops(spec) or [float(v) for v in np.linspace(low, high, 21)]
        default = {"log": (1e-4, 1.0), "decay": (0.5, 0.999)}.get(spec.scale, (low, high))
        ends = (min(stops, key=lambda v: abs(v - default[0])), min(stops, key=lambda v: abs(v - default[1])))
        values = column.select_slider(f"{name}: from ... to ...{' (log axis)' if log else ''}", stops, value=ends,
                                      key=f"maps_range_{optimizer}_{name}", format_func=lambda v: f"{v:g}")
        if not values[0] < values[1]:
            column.error("The range needs two different ends.")
            return
        axes.append((name, values, log))
    d, e, f = st.columns(3)
    side = d.select_slider("Cells per axis", SIDES, value=100, key="maps_side")
    steps = e.select_slider("Steps", STEP_CHOICES, value=min(500, MAX_MAP_STEPS), key="maps_steps")
    colour_by = f.radio("Colour by", COLOUR_BY, key="maps_colour", horizontal=True)
    (xn, xr, xl), (yn, yr, yl) = axes
    x = (xn, tuple(axis_values(*xr, side, xl).tolist()))
    y = (yn, tuple(axis_values(*yr, side, yl).tolist()))
    work = run.work(surface, side * side, steps)
    result = with_progress("Running the sweep...", work,
                           lambda progress: cached_sweep(race, optimizer, x, y, steps, _progress=progress),
                           key=("sweep", race, optimizer, x, y, steps))
    figure = sweep_figure(result, surface, colour_by)
    event = st.plotly_chart(figure, key="maps_sweep_chart", on_select="rerun", selection_mode="points",
                            width="stretch", theme=None)
    st.caption(f"{side * side:,} runs from ({race.start_point[0]:.3g}, {race.start_point[1]:.3g}), the other "
               f"hyperparameters at their defaults. Grey: diverged. Click a cell to open that race in the Playground.")
    downloads("sweep", figure, result)
    cell = clicked_cell(event, "sweep")
    if cell is not None:
        open_in_playground(maps.cell_race(race, result, *cell))


def basins_section(race: RaceSettings) -> None:
    surface = surface_of(race)
    a, b, c = st.columns(3)
    chosen = a.multiselect("Optimizers", list(OPTIMIZERS), default=["sgd", "momentum", "rmsprop", "adam"],
                           key="maps_basin_opts", format_func=lambda o: OPTIMIZERS[o].name, max_selections=6)
    side = b.select_slider("Starts per axis", SIDES, value=150, key="maps_basin_side")
    steps = c.select_slider("Steps", STEP_CHOICES, value=500, key="maps_basin_steps")
    if not chosen:
        st.info("Choose optimizers to map.")
        return
    st.caption("Each pixel is a start: the hue of the minimum it reaches (the stars, numbered), darker the more "
               "steps it took; grey where the run diverged, white where it reached no minimum. Each optimizer "
               "runs at its suggested learning rate on this surface. Click a pixel to race from there.")
    work = run.work(surface, side * side, steps)
    for row in range(0, len(chosen), 2):
        for column, optimizer in zip(st.columns(2), chosen[row:row + 2], strict=False):
            with column:
                result = with_progress(f"Mapping {OPTIMIZERS[optimizer].name}...", work,
                                       lambda progress, o=optimizer: cached_basins(race, o, side, steps, _progress=progress),
                                       key=("basins", race, optimizer, side, steps))
                (x_lo, x_hi), (y_lo, y_hi) = surface.bounds  # about the picture's shape in half the page
                figure = basins_figure(result, surface, height=int(min(max(480 * (y_hi - y_lo) / (x_hi - x_lo), 200), 560)) + 110)
                event = st.plotly_chart(figure, key=f"maps_basins_{optimizer}", on_select="rerun",
                                        selection_mode="points", width="stretch", theme=None)
                downloads(f"basins-{optimizer}", figure, result)
                cell = clicked_cell(event, f"basins_{optimizer}")
                if cell is not None:
                    open_in_playground(maps.cell_race(race, result, *cell))


st.title("Maps")
st.markdown("Thousands of runs at once, each cell one run through the same kernels as the Playground's: "
            "how the outcome depends on two hyperparameters, or on where the run starts.")
race = choose_surface()
if race is not None:
    mode = st.segmented_control("Map", ("Hyperparameter sweep", "Basins of attraction"), key="maps_mode",
                                default="Hyperparameter sweep")
    if mode == "Basins of attraction":
        basins_section(race)
    else:
        sweep_section(race)
