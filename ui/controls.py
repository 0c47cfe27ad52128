"""The Playground's sidebar, drawn from the settings table (optviz.race.settings.SETTINGS).

Each row's ``widget.kind`` names one of the :data:`KINDS` below: how its value is drawn, and
how it is spread over the widgets' session-state keys (a start is two number inputs). A new
setting of an existing kind is one row of the table and nothing here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from optviz import OPTIMIZERS, SURFACES
from optviz.engine.data import MODELS, DataError, read_csv
from optviz.engine.presets import nice_log_grid, surface_defaults
from optviz.race.settings import (
    CUSTOM,
    DEFAULT_CUSTOM_BOUNDS,
    EXAMPLE_FORMULA,
    SETTINGS,
    RaceSettings,
    Setting,
    complete,
    slider_stops,
    surface_of,
    with_params,
)
from optviz.render.figures import COLORS
from ui.store import STORE, keep, literal, put, remember, stored

LR_HELP = OPTIMIZERS["sgd"].hyperparameter("lr").help


def hp_key(oid: str, name: str) -> str:
    return f"{oid}.{name}"


def expander_key(oid: str) -> str:
    """Session-state key of an optimizer's expander: True while it is open."""
    return f"open.{oid}"


@dataclass(frozen=True)
class Kind:
    """How one kind of setting is drawn (``draw(row, sidebar, values above) -> value``) and
    spread over its widget keys (``spread(value) -> values``; the inverse reads the store)."""

    draw: Callable[..., Any]  # (row, container, values above, store) -> value
    spread: Callable[[Setting, Any], tuple]
    gather: Callable[[Setting, tuple], Any]


def _one(row: Setting, value: Any) -> tuple:
    return (value,)


def _first(row: Setting, values: tuple) -> Any:
    return values[0]


def with_value(options, key: str) -> list:
    """A slider's options, plus the stored value where it is off the grid (from a link, say)."""
    value = st.session_state[key]
    return list(options) if value in options else sorted({*options, value})


def _draw_surface(row: Setting, sb, values: dict, store: str = STORE) -> str:
    return sb.selectbox(row.widget.label, list(row.widget.options), key=row.widget.keys[0],
                        on_change=on_surface_change, kwargs={"new_surface": True},
                        format_func=lambda sid: SURFACES[sid].name if sid in SURFACES else
                        f"{MODELS[sid].name} (trained on data)" if sid in MODELS else "Custom formula...")


def _draw_formula(row: Setting, sb, values: dict, store: str = STORE) -> str:
    # Imported here: optviz.engine.formula brings in SymPy, 0.3 s of a first page's server
    # time, for a box shown only once "custom formula" is chosen.
    from optviz.engine.formula import ALLOWED_TEXT, MAX_LENGTH

    return sb.text_input(row.widget.label, key=row.widget.keys[0], on_change=on_surface_change, max_chars=MAX_LENGTH,
                         help=f"Ordinary math: {ALLOWED_TEXT}. `^` works as power. Example: {EXAMPLE_FORMULA}")


def _draw_bounds(row: Setting, sb, values: dict, store: str = STORE):
    cx, cy = sb.columns(2)
    numbers = {}
    for col, key, label in zip((cx, cy, cx, cy), row.widget.keys, ("x min", "x max", "y min", "y max"), strict=True):
        keep(key, store)
        numbers[key] = col.number_input(label, key=key, step=0.5, format="%.3g", on_change=on_surface_change)
    return _gather_bounds(row, tuple(numbers[k] for k in row.widget.keys))


def _gather_bounds(row: Setting, values: tuple):
    x_lo, x_hi, y_lo, y_hi = (float(v) for v in values)
    return (x_lo, x_hi), (y_lo, y_hi)


def _draw_optimizers(row: Setting, sb, values: dict, store: str = STORE) -> tuple[str, ...]:
    chosen = sb.multiselect(row.widget.label, list(row.widget.options), key=row.widget.keys[0],
                            format_func=lambda oid: OPTIMIZERS[oid].name, help=row.widget.help)
    if not chosen:
        sb.warning("Pick at least one optimizer to race.")
    return tuple(chosen)


def _draw_optional_log(row: Setting, sb, values: dict, store: str = STORE) -> float | None:
    on_key, value_key = row.widget.keys
    on = sb.toggle(row.widget.label, key=on_key, help=row.widget.help)
    remember(on_key, on, store)
    if not on:
        return None
    keep(value_key, store)
    return sb.select_slider("Learning rate for all (`lr`)", options=with_value(nice_log_grid(row.widget.low,
                            row.widget.high), value_key), key=value_key, format_func=lambda v: f"{v:g}", help=LR_HELP)


def _spread_optional(row: Setting, value: float | None) -> tuple:
    return (value is not None, value if value is not None else 0.01)


def _gather_optional(row: Setting, values: tuple) -> float | None:
    return float(values[1]) if values[0] else None


def _draw_point(row: Setting, sb, values: dict, store: str = STORE) -> tuple[float, float]:
    sb.subheader(row.widget.label)
    cx, cy = sb.columns(2)
    point = []
    for col, key in zip((cx, cy), row.widget.keys, strict=True):
        keep(key, store)
        point.append(float(col.number_input(key[-1], key=key, step=0.1, format="%.4f")))
    sb.caption("Or click anywhere on the map.")
    try:
        defined = math.isfinite(surface_of(values["_surface"]).value_and_grad(*point)[0])
    except ValueError:
        defined = True  # the formula's own error is shown above
    if not defined:
        sb.error(f"f is not defined at the start ({point[0]:g}, {point[1]:g}), so every optimizer stops at step 0. "
                 "Pick a start where the map is coloured (grey marks where f is undefined).")
    return point[0], point[1]


def _draw_int_slider(row: Setting, sb, values: dict, store: str = STORE) -> int:
    return int(sb.slider(row.widget.label, int(row.widget.low), int(row.widget.high), key=row.widget.keys[0]))


def _draw_choice_slider(row: Setting, sb, values: dict, store: str = STORE) -> float:
    key = row.widget.keys[0]
    return float(sb.select_slider(row.widget.label, with_value(row.widget.options, key), key=key,
                                  format_func=row.widget.format.format, help=row.widget.help or None))


def _draw_int_choice(row: Setting, sb, values: dict, store: str = STORE) -> int:
    key = row.widget.keys[0]
    return int(sb.select_slider(row.widget.label, with_value(row.widget.options, key), key=key,
                                help=row.widget.help or None, on_change=on_data_change))


def _draw_int(row: Setting, sb, values: dict, store: str = STORE) -> int:
    enabled = row.widget.enabled_if(values) if row.widget.enabled_if else True
    return int(sb.number_input(row.widget.label, int(row.widget.low), int(row.widget.high), key=row.widget.keys[0],
                               step=1, disabled=not enabled))


def _draw_toggle(row: Setting, sb, values: dict, store: str = STORE) -> bool:
    return bool(sb.toggle(row.widget.label, key=row.widget.keys[0], help=row.widget.help or None))


def _draw_angles(row: Setting, sb, values: dict, store: str = STORE) -> tuple[float, float]:
    ca, ce = sb.columns(2)
    az_key, el_key = row.widget.keys
    keep(az_key, store)
    keep(el_key, store)
    azimuth = ca.slider("Azimuth", -180.0, 180.0, key=az_key, step=1.0, help=row.widget.help)
    elevation = ce.slider("Elevation", -90.0, 90.0, key=el_key, step=1.0)
    return float(azimuth), float(elevation)


def _draw_hyperparameters(row: Setting, sb, values: dict, store: str = STORE) -> dict[str, dict[str, float | bool]]:
    """One expander per racing optimizer, drawn only while open: a closed one takes its values
    from the store (seven expanders of sliders and equations were most of the browser's work)."""
    params = {}
    for oid in values["optimizers"]:
        opt = OPTIMIZERS[oid]
        panel = sb.expander(f":material/circle: {opt.name}", key=expander_key(oid), on_change="rerun")
        if not panel.open:
            for spec in opt.hyperparameters:
                st.session_state.pop(hp_key(oid, spec.name), None)  # stale widget state: keep() restores the store's
            params[oid] = {spec.name: stored(hp_key(oid, spec.name)) for spec in opt.hyperparameters}
            continue
        with panel:
            st.markdown(f"<span style='color:{COLORS[oid]}'>■</span> `{oid}`", unsafe_allow_html=True)
            st.latex(opt.equation)
            params[oid] = {spec.name: hyperparameter_widget(oid, spec, values["shared_lr"])
                           for spec in opt.hyperparameters}
    return params


def hyperparameter_widget(oid: str, spec, shared_lr: float | None = None):
    """The widget for one hyperparameter, by its scale. With a shared learning rate, the lr
    slider is greyed and shows the shared rate; the optimizer's own rate waits in the store."""
    key = hp_key(oid, spec.name)
    label = f"{spec.label} (`{spec.name}`)"
    shared = spec.name == "lr" and shared_lr is not None
    showing_shared = st.session_state.setdefault("_showing_shared_lr", set())
    if shared:
        st.session_state[key] = shared_lr
        showing_shared.add(key)
    elif key in showing_shared:  # the shared rate was on show: back to the optimizer's own
        st.session_state[key] = stored(key)
        showing_shared.discard(key)
    keep(key)
    low, high = spec.slider_range
    stops = slider_stops(spec)
    if spec.is_bool:
        value = st.toggle(label, key=key, help=spec.help)
    elif stops:
        value = st.select_slider(label, options=with_value(stops, key), key=key, format_func=lambda v: f"{v:g}",
                                 disabled=shared, help="The shared learning rate applies." if shared else spec.help)
    else:
        value = st.slider(label, float(low), float(high), key=key, step=(high - low) / 1000 if high < 1.5 else 0.01,
                          format="%.4g", help=spec.help)
    if shared:
        return stored(key)
    remember(key, value)
    return value


def _draw_text(row: Setting, sb, values: dict, store: str = STORE) -> str:
    return sb.text_input(row.widget.label, key=row.widget.keys[0], help=row.widget.help or None)


def _draw_segmented(row: Setting, sb, values: dict, store: str = STORE):
    value = sb.segmented_control(row.widget.label, list(row.widget.options), key=row.widget.keys[0],
                                 format_func=lambda v: {False: "cyclic", True: "shuffled"}.get(v, str(v)),
                                 help=row.widget.help or None)
    return row.widget.options[0] if value is None else value  # clicking the chosen one again unselects it


def _draw_select(row: Setting, sb, values: dict, store: str = STORE):
    return sb.selectbox(row.widget.label, list(row.widget.options), key=row.widget.keys[0],
                        format_func=lambda v: SURFACES[v].name if v in SURFACES else str(v), help=row.widget.help or None)


KINDS: dict[str, Kind] = {
    "select": Kind(_draw_select, _one, _first),
    "text": Kind(_draw_text, _one, _first),
    "segmented": Kind(_draw_segmented, _one, _first),
    "surface": Kind(_draw_surface, _one, _first),
    "formula": Kind(_draw_formula, _one, _first),
    "bounds": Kind(_draw_bounds, lambda row, b: (*b[0], *b[1]), _gather_bounds),
    "optimizers": Kind(_draw_optimizers, lambda row, v: (list(v),), lambda row, v: tuple(v[0])),
    "optional_log": Kind(_draw_optional_log, _spread_optional, _gather_optional),
    "point": Kind(_draw_point, lambda row, p: (float(p[0]), float(p[1])), lambda row, v: (float(v[0]), float(v[1]))),
    "int_slider": Kind(_draw_int_slider, _one, lambda row, v: int(v[0])),
    "choice_slider": Kind(_draw_choice_slider, _one, lambda row, v: float(v[0])),
    "int": Kind(_draw_int, _one, lambda row, v: int(v[0])),
    "int_choice": Kind(_draw_int_choice, _one, lambda row, v: int(v[0])),
    "toggle": Kind(_draw_toggle, _one, lambda row, v: bool(v[0])),
    "angles": Kind(_draw_angles, lambda row, a: (float(a[0]), float(a[1])), lambda row, v: (float(v[0]), float(v[1]))),
    "key": Kind(lambda row, sb, values, store=STORE: stored(row.widget.keys[0], store), _one, _first),
    "hyperparameters": Kind(_draw_hyperparameters, lambda row, v: (), lambda row, v: None),
}


def widget_values(settings: RaceSettings) -> dict[str, Any]:
    """Every widget key's value for complete ``settings``: what the store is filled with."""
    shown = {
        **{row.name: getattr(settings, row.name) for row in SETTINGS if row.name != "hyperparameters"},
        "formula": settings.formula if settings.surface == CUSTOM else EXAMPLE_FORMULA,
        "bounds": settings.bounds if settings.surface == CUSTOM else DEFAULT_CUSTOM_BOUNDS,
        "spread": settings.spread if settings.spread is not None else 1.0,
    }
    values: dict[str, Any] = {}
    for row in SETTINGS:
        if row.widget.keys:
            values.update(zip(row.widget.keys, KINDS[row.widget.kind].spread(row, shown[row.name]), strict=True))
    chosen = dict(settings.hyperparameters)
    for oid, defaults in surface_defaults(surface_of(settings)).items():
        for name, value in {**defaults, **dict(chosen.get(oid, ()))}.items():
            values[hp_key(oid, name)] = value
    return values


def typed_surface() -> RaceSettings:
    """The surface the sidebar names now (maybe a custom formula), as settings; may raise FormulaError."""
    if st.session_state["surface"] in MODELS:  # the data the sidebar names now
        fields = ("samples", "data_seed", "spread", "outliers")
        return RaceSettings(surface=st.session_state["surface"], data=uploaded(st.session_state["surface"]),
                            **{k: st.session_state[k] for k in fields if k in st.session_state})
    if st.session_state["surface"] != CUSTOM:
        return RaceSettings(surface=st.session_state["surface"])
    bounds = _gather_bounds(None, tuple(st.session_state[k] for k in ("x_min", "x_max", "y_min", "y_max")))
    typed = RaceSettings(surface=CUSTOM, formula=st.session_state["formula"], bounds=bounds)
    surface_of(typed)  # parse and compile now, so a bad formula is caught here
    return typed


def on_surface_change(new_surface: bool = False) -> None:
    """A new formula or view gets its own start and learning rates, a newly chosen surface its
    own steps too; other settings stay."""
    for key in ("surface", "formula", "x_min", "x_max", "y_min", "y_max"):
        if key in st.session_state:
            remember(key, st.session_state[key])
    try:
        surface = surface_of(typed_surface())
    except ValueError:
        return  # the sidebar shows the error at the formula
    put("start_x", surface.start[0])
    put("start_y", surface.start[1])
    if new_surface:
        put("steps", surface.steps)
    for oid, defaults in surface_defaults(surface).items():
        put(hp_key(oid, "lr"), defaults["lr"])


def on_data_change() -> None:
    """New samples move the minimum: the start follows (the learning rates stay)."""
    for key in ("samples", "batch_size"):
        if key in st.session_state:
            remember(key, st.session_state[key])
    try:
        surface = surface_of(typed_surface())
    except ValueError:
        return
    put("start_x", surface.start[0])
    put("start_y", surface.start[1])


def upload_samples(sb, model: str) -> None:
    """A CSV upload that replaces the generated samples; a bad file is named at the uploader
    (line and column) and the samples in use stay."""
    generation = st.session_state.setdefault("_upload_generation", 0)
    file = sb.file_uploader("Or upload samples: a CSV with columns x,y", type=["csv", "txt"],
                            key=f"samples_upload_{generation}",
                            help="One sample per line under a header x,y; up to 10,000 samples. For logistic "
                                 "regression, y is the label, 0 or 1.")
    if file is not None and st.session_state.get("_upload_read") != (file.file_id, model):
        try:
            data = read_csv(file.getvalue().decode("utf-8", "replace"), model)
        except DataError as err:
            sb.error(f"{literal(file.name)} cannot be used: {literal(str(err))}. The race keeps its samples.")
        else:
            st.session_state["_upload_read"] = (file.file_id, model)
            st.session_state["_uploaded_data"] = data
            surface = surface_of(RaceSettings(surface=model, data=data))
            put("start_x", surface.start[0])
            put("start_y", surface.start[1])
    data = uploaded(model)
    if data is not None:
        sb.caption(f"The race uses {data.description} (the sliders above are for generated samples).")
        if sb.button("Use generated samples again", key="drop_upload"):
            st.session_state.pop("_uploaded_data")
            st.session_state.pop("_upload_read", None)
            st.session_state["_upload_generation"] = generation + 1  # a fresh, empty uploader
            surface = surface_of(typed_surface())
            put("start_x", surface.start[0])
            put("start_y", surface.start[1])
            st.rerun()


def uploaded(model: str):
    """The samples uploaded for ``model`` in this session, or None."""
    data = st.session_state.get("_uploaded_data")
    return data if data is not None and data.model == model else None


def _checked_surface(sb, values: dict) -> RaceSettings:
    """The surface the rows above name, or (a formula that fails) the last one that worked,
    with the reason shown at the formula."""
    try:
        chosen = typed_surface()
    except ValueError as err:
        reason = getattr(err, "reason", str(err))
        where = f" (column {err.column})" if getattr(err, "column", None) else ""
        sb.error(f"This formula cannot be used{where}: {literal(reason)}. The race shows the last surface that worked.")
        surface, formula, bounds = st.session_state.get("_good_surface", ("quadratic", None, None))
        chosen = RaceSettings(surface=surface, formula=formula, bounds=bounds)
    st.session_state["_good_surface"] = (chosen.surface, chosen.formula, chosen.bounds)
    return chosen


def draw_rows(rows, container, store: str = STORE, after=None, place: str = "sidebar",
              columns: int = 1) -> dict[str, Any]:
    """Draw each row placed at ``place`` (and shown) in ``container`` (in ``columns`` columns,
    row by row), in order; a row not drawn takes its value from the store, or (a widget the
    page draws itself) from its widget's state. ``after(row, values)`` runs after each row.
    Returns the values by name."""
    values: dict[str, Any] = {}
    placed = [row for row in rows if row.widget.place == place]
    cells = container.columns(columns) if columns > 1 and placed else [container]
    for row in rows:
        if row.widget.place == place:
            container = cells[placed.index(row) % len(cells)]
        widget = row.widget
        if widget.place == place and (widget.shown_if is None or widget.shown_if(values)):
            for key in widget.keys:
                keep(key, store)
            value = KINDS[widget.kind].draw(row, container, values, store)
            for key in widget.keys:
                if key in st.session_state:
                    remember(key, st.session_state[key], store)
        elif widget.keys:  # hidden (its value waits in the store) or drawn by the page (read its widget)
            if widget.place != "sidebar":
                parts = tuple(st.session_state.get(k, stored(k, store)) for k in widget.keys)
            else:
                parts = tuple(stored(k, store) for k in widget.keys)
            value = KINDS[widget.kind].gather(row, parts)
        else:
            value = None
        values[row.name] = value
        if after is not None:
            after(row, values)
    return values


def sidebar() -> RaceSettings:
    """Draw every sidebar row of the settings table, in order, and return the complete race."""
    sb = st.sidebar

    def settle_surface(row: Setting, values: dict) -> None:
        if row.name == "bounds":  # the last of the surface's rows: settle which surface races
            chosen = _checked_surface(sb, values)
            values.update(surface=chosen.surface, formula=chosen.formula, bounds=chosen.bounds, _surface=chosen)
        if row.name == "outliers" and values["surface"] in MODELS:  # the last of the generated data's rows
            upload_samples(sb, values["surface"])

    values = draw_rows(SETTINGS, sb, after=settle_surface)
    params = values.pop("hyperparameters")
    values.pop("_surface")
    for name in ("focus", "inside"):
        if values[name] not in values["optimizers"]:
            values[name] = None
    if values["surface"] != CUSTOM:
        values["formula"] = values["bounds"] = None
    values["data"] = uploaded(values["surface"])
    if values["surface"] not in MODELS:
        values["spread"] = None  # as complete() leaves it off a data surface
    return complete(with_params(RaceSettings(**values), params))
