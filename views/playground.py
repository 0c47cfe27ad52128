"""The Playground: race optimizers across a surface. Widgets -> one cached run -> charts.

Every widget is generated from the registries and keyed; its value also lives in a small
store in session state, so an optimizer's settings survive being deselected and the URL
(st.query_params) can be written from, and read into, the same keys.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import replace

import streamlit as st

from optviz import OPTIMIZERS, SURFACES, Trajectory
from optviz.engine.cache import first_page_cached
from optviz.engine.presets import decay_stops, nice_log_grid, surface_defaults
from optviz.out import export
from optviz.race import run as race
from optviz.race.settings import (
    CUSTOM,
    DEFAULT_CUSTOM_BOUNDS,
    MAX_NOISE,
    PLAYGROUND_MAX_STEPS,
    SPEEDS,
    RaceSettings,
    complete,
    from_query,
    to_query,
    with_params,
)
from optviz.render.figures import (
    CLICK_TRACE,
    COLORS,
    camera_angles,
    distance_figure,
    label_of,
    loss_figure,
    placeholder_figure,
    race_3d,
    race_map,
    scene_camera,
    summary_markdown,
    summary_rows,
    turned_camera,
)
from server import warm_up as warm
from ui import camera_keeper

STORE = "_values"  # key -> value for every setting, kept even while its widget is not shown
MAP_KEY = "race_map"
LR_SPEC = OPTIMIZERS["sgd"].hyperparameter("lr")
EXAMPLE_FORMULA = "x^2 + 10*sin(y)"
MARKDOWN_SPECIALS = set("\\`*_[]<>$~#|")  # what Streamlit's Markdown would read as markup or LaTeX
NOISE_OPTIONS = [0.0, *nice_log_grid(1e-3, MAX_NOISE, (1.0, 2.0, 5.0))]


@st.cache_resource(show_spinner=False)
def warm_up() -> bool:
    """Load (or, on a fresh install, compile) the kernels a first page needs, once per process.

    Under ``streamlit run serve.py``, unless the kernels are recorded as cached, a thread
    started with the server is loading or compiling them, and this waits for it. Otherwise
    this loads them (about 0.5 s) while the browser is still evaluating plotly.js. The
    parallel batch kernel is left to the first custom formula (its minima search), so a
    fresh install's first page does not wait for it.
    """
    warm.warm_up()
    return True


run_race = st.cache_data(max_entries=256, show_spinner=False)(race.run_race)


@st.cache_resource(show_spinner=False)
def image_export() -> tuple[bool, str]:
    """Whether this server can draw PNG/SVG/PDF (a Chromium is needed), checked once."""
    return export.image_export_available()


def literal(text: str) -> str:
    """``text`` shown as typed inside Markdown: a link's ``__import__`` is not bold "import"."""
    return "".join("\\" + c if c in MARKDOWN_SPECIALS else c for c in text)


def hp_key(oid: str, name: str) -> str:
    return f"{oid}.{name}"


def expander_key(oid: str) -> str:
    """Session-state key of an optimizer's expander: True while it is open."""
    return f"open.{oid}"


def load(settings: RaceSettings) -> None:
    """Put ``settings`` into the store and the widget keys (before any widget is drawn)."""
    values = {
        "surface": settings.surface,
        "optimizers": list(settings.optimizers),
        "start_x": float(settings.start_point[0]),
        "start_y": float(settings.start_point[1]),
        "steps": settings.step_count,
        "noise": settings.noise,
        "seed": settings.seed,
        "shared_lr_on": settings.shared_lr is not None,
        "shared_lr": settings.shared_lr if settings.shared_lr is not None else 0.01,
        "speed": settings.speed,
        "view_3d": settings.view_3d,
        "camera_az": settings.camera[0],
        "camera_el": settings.camera[1],
        "equal_axes": settings.equal_axes,
        "focus": settings.focus,
        "formula": settings.formula if settings.surface == CUSTOM else EXAMPLE_FORMULA,
    }
    (values["x_min"], values["x_max"]), (values["y_min"], values["y_max"]) = (
        settings.bounds if settings.surface == CUSTOM else DEFAULT_CUSTOM_BOUNDS
    )
    st.session_state["_good_surface"] = (settings.surface, settings.formula, settings.bounds)
    chosen = dict(settings.hyperparameters)
    for oid, defaults in surface_defaults(settings.surface_obj).items():
        for name, value in {**defaults, **dict(chosen.get(oid, ()))}.items():
            values[hp_key(oid, name)] = value
    st.session_state[STORE] = values
    for key, value in values.items():
        st.session_state[key] = value


def keep(key: str) -> None:
    """Give a widget its stored value if Streamlit dropped its state while it was hidden."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state[STORE][key]


def remember(key: str, value) -> None:
    st.session_state[STORE][key] = value


def typed_surface() -> RaceSettings:
    """The surface the sidebar names now (maybe a custom formula), as settings; may raise FormulaError."""
    surface = st.session_state["surface"]
    if surface != CUSTOM:
        return RaceSettings(surface=surface)
    bounds = ((float(st.session_state["x_min"]), float(st.session_state["x_max"])),
              (float(st.session_state["y_min"]), float(st.session_state["y_max"])))
    typed = RaceSettings(surface=CUSTOM, formula=st.session_state["formula"], bounds=bounds)
    _ = typed.surface_obj  # parse and compile now, so a bad formula is caught here
    return typed


def on_surface_change(new_surface: bool = False) -> None:
    """A new formula or view gets its own start and learning rates, a newly chosen surface its
    own steps too; other settings stay."""
    for key in ("surface", "formula", "x_min", "x_max", "y_min", "y_max"):
        if key in st.session_state:
            remember(key, st.session_state[key])
    try:
        surf = typed_surface().surface_obj
    except ValueError:
        return  # the sidebar shows the error at the formula
    x, y = surf.start
    updates = {"start_x": x, "start_y": y, **({"steps": surf.steps} if new_surface else {})}
    updates.update({hp_key(oid, "lr"): d["lr"] for oid, d in surface_defaults(surf).items()})
    for key, value in updates.items():
        remember(key, value)
        st.session_state[key] = value


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
    for key, value in (("start_x", x), ("start_y", y)):
        remember(key, value)
        st.session_state[key] = value


def on_camera_change() -> None:
    """The 3D view was turned or zoomed with the mouse: its sliders follow, and the next figure
    is drawn from exactly that camera while they stay there."""
    try:
        camera = scene_camera(st.session_state[camera_keeper.KEY]["camera"])
    except (KeyError, TypeError):
        camera = None
    if camera is None:
        return  # not a camera (the browser's word is checked, not trusted): keep the view as it is
    azimuth, elevation, _ = camera_angles(camera)
    if abs(elevation) > 89.999:  # straight above or below: no azimuth to read, keep the slider's
        azimuth = st.session_state[STORE]["camera_az"]
    angles = (float(round(azimuth)), float(round(elevation)))
    for key, value in zip(("camera_az", "camera_el"), angles, strict=True):
        remember(key, value)
        st.session_state[key] = value
    st.session_state["_camera_view"] = {"angles": angles, "camera": camera}


def mouse_camera(settings: RaceSettings) -> dict | None:
    """The camera last set with the mouse: as it was while the sliders still say where it
    was; turned to the sliders' angles, at its distance and centre, once they moved."""
    view = st.session_state.get("_camera_view")
    if not view:
        return None
    if tuple(view["angles"]) == tuple(settings.camera):
        return view["camera"]
    return turned_camera(view["camera"], *settings.camera)


def with_value(options: list[float], key: str) -> list[float]:
    """The slider's options, plus the stored value where it is off the grid (from a link, say)."""
    value = float(st.session_state[key])
    return options if value in options else sorted({*options, value})


def log_slider(label: str, key: str, low: float, high: float, **kwargs):
    """A slider over round log-spaced values; a stored value off the grid joins the options."""
    keep(key)
    value = st.select_slider(label, options=with_value(nice_log_grid(low, high), key), key=key,
                             format_func=lambda v: f"{v:g}", **kwargs)
    remember(key, value)
    return value


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
        st.session_state[key] = st.session_state[STORE][key]
        showing_shared.discard(key)
    keep(key)
    low, high = spec.slider_range
    if spec.is_bool:
        value = st.toggle(label, key=key, help=spec.help)
    elif spec.scale == "log":
        value = st.select_slider(label, options=with_value(nice_log_grid(low, high), key), key=key,
                                 format_func=lambda v: f"{v:g}", disabled=shared,
                                 help="The shared learning rate applies." if shared else spec.help)
    elif spec.scale == "decay":
        stops = [v for v in decay_stops(high) if spec.contains(v) and v >= low]
        value = st.select_slider(label, options=with_value(stops, key), key=key, format_func=lambda v: f"{v:g}",
                                 help=spec.help)
    else:
        value = st.slider(label, float(low), float(high), key=key, step=(high - low) / 1000 if high < 1.5 else 0.01,
                          format="%.4g", help=spec.help)
    if shared:
        return st.session_state[STORE][key]
    remember(key, value)
    return value


def custom_surface_inputs(sb) -> RaceSettings:
    """The formula box and view bounds. A formula that fails shows why, right there, and the
    race stays on the last surface that worked."""
    # Imported here: optviz.engine.formula brings in SymPy, 0.3 s that a first page spent on the
    # server before its map, for a box shown only once "custom formula" is chosen.
    from optviz.engine.formula import ALLOWED_TEXT, MAX_LENGTH

    keep("formula")
    sb.text_input(
        "f(x, y) =", key="formula", on_change=on_surface_change, max_chars=MAX_LENGTH,
        help=f"Ordinary math: {ALLOWED_TEXT}. `^` works as power. Example: {EXAMPLE_FORMULA}",
    )
    remember("formula", st.session_state["formula"])
    cx, cy = sb.columns(2)
    for col, key, label in ((cx, "x_min", "x min"), (cy, "x_max", "x max"), (cx, "y_min", "y min"), (cy, "y_max", "y max")):
        keep(key)
        remember(key, col.number_input(label, key=key, step=0.5, format="%.3g", on_change=on_surface_change))
    try:
        typed = typed_surface()
    except ValueError as err:
        reason = getattr(err, "reason", str(err))
        where = f" (column {err.column})" if getattr(err, "column", None) else ""
        sb.error(f"This formula cannot be used{where}: {literal(reason)}. The race shows the last surface that worked.")
        surface, formula, bounds = st.session_state.get("_good_surface", ("quadratic", None, None))
        return RaceSettings(surface=surface, formula=formula, bounds=bounds)
    return typed


def sidebar() -> RaceSettings:
    sb = st.sidebar
    keep("surface")
    surface = sb.selectbox(
        "Surface", [*SURFACES, CUSTOM], key="surface", on_change=on_surface_change, kwargs={"new_surface": True},
        format_func=lambda sid: SURFACES[sid].name if sid in SURFACES else "Custom formula...",
    )
    remember("surface", surface)
    chosen_surface = custom_surface_inputs(sb) if surface == CUSTOM else RaceSettings(surface=surface)
    st.session_state["_good_surface"] = (chosen_surface.surface, chosen_surface.formula, chosen_surface.bounds)

    keep("optimizers")
    chosen = sb.multiselect(
        "Optimizers", list(OPTIMIZERS), key="optimizers", format_func=lambda oid: OPTIMIZERS[oid].name,
        help="Race any of them; each keeps its colour on every chart.",
    )
    remember("optimizers", chosen)
    if not chosen:
        sb.warning("Pick at least one optimizer to race.")

    keep("shared_lr_on")
    shared_on = sb.toggle("Shared learning rate", key="shared_lr_on", help="One lr for every optimizer.")
    remember("shared_lr_on", shared_on)
    shared_lr = None
    if shared_on:
        with sb:
            shared_lr = log_slider("Learning rate for all (`lr`)", "shared_lr", *LR_SPEC.slider_range, help=LR_SPEC.help)

    params = {}
    for oid in chosen:
        opt = OPTIMIZERS[oid]
        # Lazy: a closed expander draws nothing and its values come from the store. Seven
        # expanders of sliders and equations, all drawn, were most of the browser's work.
        panel = sb.expander(f":material/circle: {opt.name}", key=expander_key(oid), on_change="rerun")
        if not panel.open:
            params[oid] = {}
            for spec in opt.hyperparameters:
                key = hp_key(oid, spec.name)
                st.session_state.pop(key, None)  # stale widget state: reopened, keep() restores the store's
                params[oid][spec.name] = st.session_state[STORE][key]
            continue
        with panel:
            st.markdown(f"<span style='color:{COLORS[oid]}'>■</span> `{oid}`", unsafe_allow_html=True)
            st.latex(opt.equation)
            params[oid] = {spec.name: hyperparameter_widget(oid, spec, shared_lr) for spec in opt.hyperparameters}

    sb.subheader("Start")
    cx, cy = sb.columns(2)
    for col, key in ((cx, "start_x"), (cy, "start_y")):
        keep(key)
        remember(key, col.number_input(key[-1], key=key, step=0.1, format="%.4f"))
    sb.caption("Or click anywhere on the map.")
    start = (float(st.session_state["start_x"]), float(st.session_state["start_y"]))
    if not math.isfinite(chosen_surface.surface_obj.value_and_grad(*start)[0]):
        sb.error(f"f is not defined at the start ({start[0]:g}, {start[1]:g}), so every optimizer stops at step 0. "
                 "Pick a start where the map is coloured (grey marks where f is undefined).")

    keep("steps")
    steps = sb.slider("Steps", 1, PLAYGROUND_MAX_STEPS, key="steps")
    remember("steps", steps)
    keep("noise")
    noise = sb.select_slider("Gradient noise (std)", with_value(NOISE_OPTIONS, "noise"), key="noise",
                             format_func=lambda v: f"{v:g}",
                             help="Gaussian noise added to every gradient component, as a mini-batch would.")
    remember("noise", noise)
    keep("seed")
    seed = sb.number_input("Noise seed", 0, 2**31 - 1, key="seed", step=1, disabled=noise == 0)
    remember("seed", seed)

    keep("speed")
    speed = sb.select_slider("Animation speed", SPEEDS, key="speed", format_func=lambda v: f"{v:g}x")
    remember("speed", speed)
    keep("view_3d")
    view_3d = sb.toggle("3D view", key="view_3d")
    remember("view_3d", view_3d)
    if view_3d:
        ca, ce = sb.columns(2)
        keep("camera_az")
        keep("camera_el")
        remember("camera_az", ca.slider("Azimuth", -180.0, 180.0, key="camera_az", step=1.0,
                                        help="Or turn the view with the mouse."))
        remember("camera_el", ce.slider("Elevation", -90.0, 90.0, key="camera_el", step=1.0))
    camera = (float(st.session_state[STORE]["camera_az"]), float(st.session_state[STORE]["camera_el"]))
    keep("equal_axes")
    equal_axes = sb.toggle("Same scale on both axes", key="equal_axes",
                           help="On: a circle looks round and each step meets the contours at its true angle. "
                                "Off: the map fills the chart, stretching one axis.")
    remember("equal_axes", equal_axes)
    focus = st.session_state.get("focus", st.session_state[STORE].get("focus"))
    focus = focus if focus in chosen else None

    settings = RaceSettings(
        surface=chosen_surface.surface, formula=chosen_surface.formula, bounds=chosen_surface.bounds,
        optimizers=tuple(chosen), start=(st.session_state["start_x"], st.session_state["start_y"]),
        steps=int(steps), noise=float(noise), seed=int(seed), shared_lr=shared_lr, speed=float(speed), view_3d=view_3d,
        camera=camera, equal_axes=equal_axes, focus=focus,
    )
    return complete(with_params(settings, params))


# If set, each run of this page appends "<unix time> <milliseconds>" to this file (benchmarks).
TIMING_LOG = os.environ.get("OPTVIZ_TIMING_LOG")


def timed_main() -> None:
    started = time.perf_counter()
    try:
        main()
    finally:
        if TIMING_LOG:
            try:
                with open(TIMING_LOG, "a") as log:
                    log.write(f"{time.time():.3f} {(time.perf_counter() - started) * 1e3:.1f}\n")
            except OSError:  # a benchmark's aid: never a reason for the page to fail
                pass


PHONE_HINT = """<div class="optviz-phone-hint">Settings (surface, optimizers, learning rates, start)
are in the sidebar: tap <b>&raquo;</b> at the top left.</div>
<style>.optviz-phone-hint{font-size:.9rem;color:#555;background:#f0f2f6;border-radius:.5rem;padding:.4rem .7rem;}
@media (min-width: 768px){.optviz-phone-hint{display:none;}}</style>"""
"""Shown only on a narrow screen, where Streamlit starts with the sidebar collapsed."""


def main() -> None:
    st.html(PHONE_HINT)
    header = st.container()  # the formula and any notices, filled once the settings are read
    key_slot = st.container()  # the race's title and its colour key, filled once it has run
    map_slot = st.empty()
    waiting = "Loading the optimizers..."
    if not warm.WARM.is_set() and not first_page_cached():
        # The kernels have to compile (after an install: about 20 s, in serve.py's helpers or
        # here). An empty map holds the place and says so.
        map_slot.plotly_chart(placeholder_figure("Preparing the race..."), theme=None, width="stretch")
        waiting = "Preparing the optimizers (compiling on the first visit after an install, about 20 s)..."
    # First: reading the link may already run the optimizers (each surface's suggested lr).
    with st.spinner(waiting):
        warm_up()
    early = None  # the race drawn before the sidebar, if any
    if STORE not in st.session_state:
        linked = from_query(st.query_params.to_dict())
        st.session_state["_notices"] = linked.notices
        linked = replace(linked, notices=())  # shown once, above; not part of the race (nor its cache key)
        load(linked)
        if linked.optimizers and not linked.view_3d:
            # A first visit's race is known before its sidebar is drawn: the link. Drawing the
            # map first lets the browser start on it (the chart library and the map are most
            # of a first view's work) while the sidebar's widgets arrive; the sidebar reads the
            # same values back, and the map is drawn again only if they differ.
            early = complete(linked)
            st.query_params.from_dict(to_query(early))  # the URL first, as on every other run
            race_map_chart(map_slot, early, run_race(early)[0])
    restore_from_upload()
    apply_map_click()

    settings = sidebar()
    query = to_query(settings)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)

    surf = settings.surface_obj
    header.latex(surf.latex)
    if surf.note:
        header.caption(surf.note)
    notices = st.session_state.get("_notices")
    if notices:
        header.warning("Some settings in the link could not be used, so their defaults apply:\n\n- " + "\n- ".join(map(literal, notices)))

    if not settings.optimizers:
        map_slot.info("Choose optimizers in the sidebar to start a race.")
        return
    runs, errors = run_race(settings)
    for oid, message in errors.items():
        header.error(f"{OPTIMIZERS[oid].name} could not run: {literal(message)}")

    colour_key(key_slot, settings, runs)
    if settings.view_3d:
        with map_slot.container(gap=None):
            camera_keeper.keep_camera(on_camera_change)
            st.plotly_chart(race_3d(settings, runs, view=mouse_camera(settings), legend=False),
                            key="race_3d", width="stretch", theme=None)
    elif settings != early:
        if early is not None:  # the sidebar disagrees with the link it was loaded from
            st.session_state["_early_map_missed"] = True  # (tests/test_playground_app.py checks this)
            st.rerun()  # once: the store is filled now, so no early map is drawn again
        race_map_chart(map_slot, settings, runs)

    left, right = st.columns(2)
    left.plotly_chart(loss_figure(surf, runs), key="loss_chart", width="stretch", theme=None)
    right.plotly_chart(distance_figure(surf, runs), key="distance_chart", width="stretch", theme=None)
    st.markdown(summary_markdown(summary_rows(surf, runs)))
    st.caption(f"{surf.name}: {surf.source}.")
    exports(settings, runs)


def colour_key(slot, settings: RaceSettings, runs: list[Trajectory]) -> None:
    """The race's title, and one coloured pill per optimizer: the map's key (also on a phone,
    where a legend inside the chart had no room). Clicking a pill draws that optimizer alone,
    the others faded; clicking it again brings them back."""
    names = {t.optimizer: label_of(t) for t in runs}
    slot.html(colour_css(list(names)))
    minima = settings.surface_obj.minima
    markers = "○&nbsp;start" + (",&nbsp;★&nbsp;minimum" if len(minima) == 1 else ",&nbsp;★&nbsp;minima" if minima else "")
    slot.markdown(f"**{literal(race.race_title(settings, runs))}** &nbsp; {markers}")
    slot.pills("Colour key: click one to single it out", list(names), key="focus", format_func=names.get,
               selection_mode="single", label_visibility="collapsed")
    remember("focus", st.session_state.get("focus"))


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


def race_map_chart(slot, settings: RaceSettings, runs: list[Trajectory]) -> None:
    """The animated race map in ``slot``; a click on it (a selection) moves the start."""
    slot.plotly_chart(
        race_map(settings, runs, legend=False), key=MAP_KEY, on_select="rerun",
        selection_mode="points", width="stretch",
        theme=None,  # the figures carry their own style (optviz.render.figures.styled)
        config={"displaylogo": False, "scrollZoom": True},
    )


def exports(settings: RaceSettings, runs: list[Trajectory]) -> None:
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
    load(restored)


timed_main()
