"""A race's settings, named once each in :data:`SETTINGS`, and their round trip through a link.

Each row of :data:`SETTINGS` says, for one field of :class:`RaceSettings`: its URL key (the
same key names it in a JSON export), its command-line option, how its text is read and
written, and how the Playground shows it. ``to_query`` and ``from_query``, the command line
(optviz.out.cli) and the Playground's sidebar (ui/controls.py) all iterate over the table,
so a new setting is one new row.

A tampered or stale link never raises: each value that cannot be used is replaced by its
default and named in the notices the page shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from ..engine.data import MAX_SAMPLES, MIN_SAMPLES, MODELS, DataSet, data_surface, generate
from ..engine.optimizers import DEFAULT_OPTIMIZERS, OPTIMIZERS, resolve_hyperparameters
from ..engine.presets import decay_stops, nice_log_grid, surface_defaults
from ..engine.surfaces import MAX_BOUND, MIN_SPAN, SURFACES, Surface, check_bounds, get_surface
from .table import (
    Partly,
    Refused,
    Setting,
    Widget,
    checked,
    finite,
    last_values,
    numbers,
    read_rows,
    text_of,
    write_rows,
)

CUSTOM = "custom"
DEFAULT_CUSTOM_BOUNDS = ((-5.0, 5.0), (-5.0, 5.0))
EXAMPLE_FORMULA = "x^2 + 10*sin(y)"

PLAYGROUND_MAX_STEPS = 5000
MAX_NOISE = 1e4
MAX_SEED = 2**31 - 1
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)
DEFAULT_CAMERA = (-60.0, 30.0)
LR_RANGE = OPTIMIZERS["sgd"].hyperparameter("lr").slider_range
NOISE_OPTIONS = (0.0, *nice_log_grid(1e-3, MAX_NOISE, (1.0, 2.0, 5.0)))
SAMPLE_OPTIONS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
BATCH_OPTIONS = (1, 2, 5, 10, 20, 32, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
SPREAD_OPTIONS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0)
OUTLIER_OPTIONS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


@dataclass(frozen=True)
class RaceSettings:
    """What the Playground shows. Hyperparameters hold every chosen optimizer's full set once
    :func:`complete`; ``start`` and ``steps`` are then explicit too."""

    surface: str = "quadratic"  # a registry id, or "custom" with ``formula`` and ``bounds``
    formula: str | None = None
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS
    hyperparameters: tuple[tuple[str, tuple[tuple[str, float | bool], ...]], ...] = ()
    start: tuple[float, float] | None = None  # None: the surface's suggested start
    steps: int | None = None  # None: the surface's default length
    noise: float = 0.0
    seed: int = 0
    shared_lr: float | None = None  # when set, every optimizer uses this lr
    speed: float = 1.0
    view_3d: bool = False
    camera: tuple[float, float] = DEFAULT_CAMERA  # 3D view: azimuth and elevation, degrees
    equal_axes: bool = True  # the map draws x and y to one scale
    focus: str | None = None  # an optimizer drawn in full, the others faded
    inside: str | None = None  # an optimizer whose state and steps are shown beneath the map
    samples: int = 200  # a data surface's generated data: how many samples, their seed, spread, outliers
    data_seed: int = 0
    spread: float | None = None  # None: the model's default (class overlap or noise std)
    outliers: float = 0.0
    batch_size: int = 10  # a data surface's samples per step; the samples or more: the full batch
    data: DataSet | None = None  # uploaded samples (not in a link), used instead of generated ones
    notices: tuple[str, ...] = field(default=(), compare=False)

    @property
    def start_point(self) -> tuple[float, float]:
        """The start of complete settings (see :func:`complete`)."""
        if self.start is None:
            raise ValueError("these settings name no start: complete(settings) first")
        return self.start

    @property
    def step_count(self) -> int:
        """The steps of complete settings (see :func:`complete`)."""
        if self.steps is None:
            raise ValueError("these settings name no steps: complete(settings) first")
        return self.steps

    def params_of(self, optimizer: str) -> dict[str, float | bool]:
        """The hyperparameters this complete race uses for ``optimizer`` (shared lr applied)."""
        params = dict(dict(self.hyperparameters).get(optimizer, ()))
        if set(params) != set(OPTIMIZERS[optimizer].names):
            raise ValueError(f"these settings do not hold every {optimizer} hyperparameter: complete(settings) first")
        if self.shared_lr is not None:
            params["lr"] = self.shared_lr
        return params


def surface_of(settings: RaceSettings) -> Surface:
    """The race's surface: a registry entry, or its typed formula parsed, compiled and
    searched for minima (SymPy, LLVM and a batch of runs: cached per formula and view).

    Raises:
        FormulaError: (a ValueError) the formula cannot be used, and why.
    """
    if settings.surface == CUSTOM:
        return _typed_surface(settings.formula or "", settings.bounds or DEFAULT_CUSTOM_BOUNDS)
    if settings.surface in MODELS:
        if settings.data is not None and settings.data.model == settings.surface:
            return data_surface(settings.data)
        return _generated_surface(settings.surface, settings.samples, settings.data_seed, settings.spread,
                                  settings.outliers)
    return get_surface(settings.surface)


def is_data(settings: RaceSettings) -> bool:
    """Whether the race trains a model on samples (a data surface)."""
    return settings.surface in MODELS


def batch_size_of(settings: RaceSettings) -> int | None:
    """The batch size a race's runs use: None off a data surface, at most the samples on one."""
    if not is_data(settings):
        return None
    return min(settings.batch_size, surface_of(settings).data.samples)


@lru_cache(maxsize=64)
def _generated_surface(model: str, samples: int, seed: int, spread: float | None, outliers: float) -> Surface:
    spread = MODELS[model].spread_default if spread is None else spread
    return data_surface(generate(model, samples, seed, spread, outliers))


@lru_cache(maxsize=128)
def _typed_surface(formula: str, bounds) -> Surface:
    from ..engine.custom import custom_surface  # brings in SymPy: only when a formula is used

    return custom_surface(formula, bounds)


def complete(settings: RaceSettings) -> RaceSettings:
    """The same race with everything explicit: the start, the steps, and every chosen
    optimizer's full hyperparameters (shared lr not folded in). Two complete settings that
    draw the same race are equal.

    The defaults come from the surface: its start, its steps and each optimizer's suggested
    learning rate (a search of runs; cached per surface and optimizer).
    """
    surface = surface_of(settings)
    chosen = dict(settings.hyperparameters)
    defaults = surface_defaults(surface)
    params = {oid: {**defaults[oid], **dict(chosen.get(oid, ()))} for oid in settings.optimizers}
    start = settings.start if settings.start is not None else surface.start
    steps = settings.steps if settings.steps is not None else surface.steps
    if is_data(settings) and settings.spread is None:
        settings = replace(settings, spread=MODELS[settings.surface].spread_default)
    return with_params(replace(settings, start=start, steps=steps), params)


def with_params(settings: RaceSettings, params: Mapping[str, Mapping[str, float | bool]]) -> RaceSettings:
    """``settings`` with these per-optimizer hyperparameters, stored in a hashable form."""
    frozen = tuple((oid, tuple(sorted(p.items()))) for oid, p in sorted(params.items()))
    return replace(settings, hyperparameters=frozen)


# --- The table -------------------------------------------------------------------------------


def _read_surface(text: str, so_far: dict) -> str:
    if text in SURFACES or text in MODELS or text == CUSTOM:
        return text
    raise Refused("not a known surface")


def _read_bounds(text: str, so_far: dict):
    try:
        x_lo, x_hi, y_lo, y_hi = numbers(text, 4)
        return check_bounds(((x_lo, x_hi), (y_lo, y_hi)))
    except ValueError:
        raise Refused(f"expected x_min,x_max,y_min,y_max with min < max, within ±{MAX_BOUND:g} "
                      f"and at least {MIN_SPAN:g} apart") from None


def _read_optimizers(text: str, so_far: dict):
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in OPTIMIZERS]
    known = tuple(dict.fromkeys(n for n in names if n in OPTIMIZERS))
    if unknown:
        return Partly(known or DEFAULT_OPTIMIZERS, f"Ignored unknown optimizer(s) {', '.join(map(repr, unknown))}.")
    if not known:
        return Partly(DEFAULT_OPTIMIZERS, "Ignored an empty optimizer list.")
    return known


def _read_focus(text: str, so_far: dict) -> str:
    if text in so_far.get("optimizers", DEFAULT_OPTIMIZERS):
        return text
    raise Refused("not one of the racing optimizers")


def parse_value(spec, text: str) -> float | bool | None:
    """A hyperparameter value from its URL text, or None if it is not valid for ``spec``."""
    if spec.is_bool:
        return {"true": True, "1": True, "false": False, "0": False}.get(text.strip().lower())
    try:
        value = finite(text)
    except ValueError:
        return None
    lo, hi = spec.slider_range  # the Playground offers the slider's range, a part of the valid one
    return value if spec.contains(value) and lo <= value <= hi else None


def _write_hyperparameters(settings: RaceSettings) -> dict[str, str]:
    """Each chosen optimizer's lr always (a link must not depend on the suggested rates staying
    the same), its other hyperparameters where they differ from the registry's defaults."""
    chosen = dict(settings.hyperparameters)
    query = {}
    for oid in settings.optimizers:
        defaults = OPTIMIZERS[oid].defaults
        for name, value in dict(chosen.get(oid, ())).items():
            if name == "lr" or value != defaults[name]:
                query[f"{oid}.{name}"] = text_of(value)
    return query


def _is_custom(so_far: dict) -> bool:
    return so_far.get("surface") == CUSTOM


def _is_data(so_far: dict) -> bool:
    return so_far.get("surface") in MODELS


def _read_spread(text: str, so_far: dict) -> float:
    model = MODELS[so_far["surface"]]
    lo, hi = model.spread_range
    return checked(finite, f"expected the {model.spread} from {lo:g} to {hi:g}", lambda v: lo <= v <= hi)(text, so_far)


def _shuffles(settings: RaceSettings) -> bool:
    """Whether the seed picks something: gradient noise, or the mini-batches' order."""
    return bool(settings.noise) or (is_data(settings) and settings.batch_size < surface_of(settings).data.samples)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "surface", "surface", "--surface", "ID",
        f"the surface: {', '.join(SURFACES)}; a model trained on data: {', '.join(MODELS)}; or custom",
        _read_surface, lambda s: s.surface,
        Widget("surface", "Surface", ("surface",), options=(*SURFACES, *MODELS, CUSTOM)),
    ),
    Setting(
        "formula", "f", "--formula", "EXPR", "with --surface custom: f(x, y) as typed, e.g. 'x^2 + 10*sin(y)'",
        lambda text, so_far: text, lambda s: (s.formula or "") if s.surface == CUSTOM else None,
        Widget("formula", "f(x, y) =", ("formula",), shown_if=_is_custom),
        applies_if=_is_custom,
    ),
    Setting(
        "bounds", "bounds", "--bounds", "XMIN,XMAX,YMIN,YMAX", "with --surface custom: the view (default: -5,5,-5,5)",
        _read_bounds,
        lambda s: ",".join(text_of(v) for v in sum(s.bounds or DEFAULT_CUSTOM_BOUNDS, ())) if s.surface == CUSTOM else None,
        Widget("bounds", "View", ("x_min", "x_max", "y_min", "y_max"), shown_if=_is_custom),
        applies_if=_is_custom,
    ),
    Setting(
        "samples", "samples", "--samples", "N", f"with a data surface: samples generated, {MIN_SAMPLES} to {MAX_SAMPLES:,} (default: 200)",
        checked(int, f"expected a whole number from {MIN_SAMPLES} to {MAX_SAMPLES}", lambda v: MIN_SAMPLES <= v <= MAX_SAMPLES),
        lambda s: str(s.samples) if is_data(s) and s.data is None else None,
        Widget("int_choice", "Samples", ("samples",), options=SAMPLE_OPTIONS, shown_if=_is_data),
        applies_if=_is_data,
    ),
    Setting(
        "data_seed", "data_seed", "--data-seed", "N", "with a data surface: the seed the samples are drawn from (default: 0)",
        checked(int, f"expected a whole number from 0 to {MAX_SEED}", lambda v: 0 <= v <= MAX_SEED),
        lambda s: str(s.data_seed) if is_data(s) and s.data is None else None,
        Widget("int", "Data seed", ("data_seed",), low=0, high=MAX_SEED, shown_if=_is_data),
        applies_if=_is_data,
    ),
    Setting(
        "spread", "spread", "--spread", "S",
        "with a data surface: the class overlap (logistic, default 1) or the noise std (linear, default 1)",
        _read_spread, lambda s: text_of(s.spread) if is_data(s) and s.data is None and s.spread not in (None, MODELS[s.surface].spread_default)
        else None,
        Widget("choice_slider", "Class overlap, or noise (std)", ("spread",), options=SPREAD_OPTIONS, shown_if=_is_data,
               help="Logistic regression: each class's spread around -1 and +1 (small: separable, no minimum). "
                    "Linear regression: the noise around y = 2x + 1."),
        applies_if=_is_data,
    ),
    Setting(
        "outliers", "outliers", "--outliers", "FRACTION",
        "with a data surface: the share of samples made outliers (flipped labels, or y moved by 10), 0 to 0.5",
        checked(finite, "expected a fraction from 0 to 0.5", lambda v: 0 <= v <= 0.5),
        lambda s: text_of(s.outliers) if is_data(s) and s.data is None and s.outliers else None,
        Widget("choice_slider", "Outliers", ("outliers",), options=OUTLIER_OPTIONS, format="{:.0%}", shown_if=_is_data),
        applies_if=_is_data,
    ),
    Setting(
        "batch_size", "batch", "--batch-size", "N",
        f"with a data surface: samples per step, 1 to {MAX_SAMPLES:,}; the samples or more is the full batch (default: 10)",
        checked(int, f"expected a whole number from 1 to {MAX_SAMPLES}", lambda v: 1 <= v <= MAX_SAMPLES),
        lambda s: str(s.batch_size) if is_data(s) else None,
        Widget("int_choice", "Batch size", ("batch_size",), options=BATCH_OPTIONS, shown_if=_is_data,
               help="Samples per step. Each epoch shuffles the samples (from the seed below); the last batch of an "
                    "epoch is smaller when the batch size does not divide the samples. The samples or more: the "
                    "full batch, the exact gradient."),
        applies_if=_is_data,
    ),
    Setting(
        "optimizers", "optimizers", "--optimizers", "ID,ID,...",
        f"comma-separated optimizers to race: {', '.join(OPTIMIZERS)} (default: {','.join(DEFAULT_OPTIMIZERS)})",
        _read_optimizers, lambda s: ",".join(s.optimizers),
        Widget("optimizers", "Optimizers", ("optimizers",), options=tuple(OPTIMIZERS),
               help="Race any of them; each keeps its colour on every chart."),
    ),
    Setting(
        "shared_lr", "lr", "--lr", "LR", "one learning rate for every optimizer (default: each its own suggested rate)",
        checked(finite, f"expected a learning rate from {LR_RANGE[0]:g} to {LR_RANGE[1]:g}",
                 lambda v: LR_RANGE[0] <= v <= LR_RANGE[1]),
        lambda s: None if s.shared_lr is None else text_of(s.shared_lr),
        Widget("optional_log", "Shared learning rate", ("shared_lr_on", "shared_lr"), low=LR_RANGE[0],
               high=LR_RANGE[1], help="One lr for every optimizer."),
    ),
    Setting(
        "hyperparameters", "<optimizer>.<name>", "--set", "OPT.NAME=VALUE",
        "a hyperparameter by torch.optim's name, e.g. --set rmsprop.lr=0.01 --set adam.amsgrad=true "
        "(repeatable; the optimizer must be racing)",
        lambda text, so_far: None, _write_hyperparameters,  # many keys: read by from_query itself
        Widget("hyperparameters", "", ()),
    ),
    Setting(
        "start", "start", "--start", "X,Y", "the starting point (default: the surface's suggested start)",
        checked(lambda text: numbers(text, 2), "expected two finite numbers, like start=-1.5,2"),
        lambda s: f"{text_of(s.start_point[0])},{text_of(s.start_point[1])}",
        Widget("point", "Start", ("start_x", "start_y")),
    ),
    Setting(
        "steps", "steps", "--steps", "N", f"number of steps, 1 to {PLAYGROUND_MAX_STEPS} (default: the surface's)",
        checked(int, f"expected a whole number from 1 to {PLAYGROUND_MAX_STEPS}",
                 lambda v: 1 <= v <= PLAYGROUND_MAX_STEPS),
        lambda s: str(s.step_count),
        Widget("int_slider", "Steps", ("steps",), low=1, high=PLAYGROUND_MAX_STEPS),
    ),
    Setting(
        "noise", "noise", "--noise", "STD", "std of Gaussian noise added to each gradient component (default: 0)",
        checked(finite, f"expected a number from 0 to {MAX_NOISE:g}", lambda v: 0 <= v <= MAX_NOISE),
        lambda s: text_of(s.noise) if s.noise else None,
        Widget("choice_slider", "Gradient noise (std)", ("noise",), options=NOISE_OPTIONS,
               help="Gaussian noise added to every gradient component, as a mini-batch would."),
    ),
    Setting(
        "seed", "seed", "--seed", "N", f"seed of the gradient noise and of the mini-batches' order, 0 to {MAX_SEED} (default: 0)",
        checked(int, f"expected a whole number from 0 to {MAX_SEED}", lambda v: 0 <= v <= MAX_SEED),
        lambda s: str(s.seed) if _shuffles(s) else None,
        Widget("int", "Seed (noise, batch order)", ("seed",), low=0, high=MAX_SEED,
               enabled_if=lambda v: v.get("noise", 0) > 0 or _is_data(v)),
    ),
    Setting(
        "speed", "speed", "--speed", "X", "animation speed for GIF, MP4 and HTML: 0.25, 0.5, 1, 2 or 4 (default: 1)",
        checked(finite, f"expected one of {', '.join(f'{v:g}' for v in SPEEDS)}", lambda v: v in SPEEDS),
        lambda s: text_of(s.speed) if s.speed != 1.0 else None,
        Widget("choice_slider", "Animation speed", ("speed",), options=SPEEDS, format="{:g}x"),
    ),
    Setting(
        "view_3d", "view", None, "2d|3d", "the race in 3D",
        checked(lambda text: {"2d": False, "3d": True}[text], "expected 2d or 3d"),
        lambda s: "3d" if s.view_3d else None,
        Widget("toggle", "3D view", ("view_3d",)),
    ),
    Setting(
        "camera", "camera", None, "AZIMUTH,ELEVATION", "the 3D view's camera, in degrees",
        checked(lambda text: numbers(text, 2),
                 "expected azimuth,elevation in degrees, from -180 to 180 and -90 to 90",
                 lambda v: -180 <= v[0] <= 180 and -90 <= v[1] <= 90),
        lambda s: f"{text_of(s.camera[0])},{text_of(s.camera[1])}" if s.view_3d and s.camera != DEFAULT_CAMERA else None,
        Widget("angles", "Camera", ("camera_az", "camera_el"), help="Or turn the view with the mouse.",
               shown_if=lambda v: v.get("view_3d", False)),
    ),
    Setting(
        "equal_axes", "axes", "--axes", "equal|free", "equal (default): both axes on one scale; free: stretched",
        checked(lambda text: {"equal": True, "free": False}[text], "expected equal or free"),
        lambda s: None if s.equal_axes else "free",
        Widget("toggle", "Same scale on both axes", ("equal_axes",),
               help="On: a circle looks round and each step meets the contours at its true angle. "
                    "Off: the map fills the chart, stretching one axis."),
    ),
    Setting(
        "focus", "focus", "--focus", "ID", "an optimizer drawn in full, the others faded",
        _read_focus, lambda s: s.focus if s.focus in s.optimizers else None,
        Widget("key", "Colour key: click one to single it out", ("focus",), place="main"),
    ),
    Setting(
        "inside", "inside", "--inside", "ID", "an optimizer whose state and step sizes are drawn beneath the map",
        _read_focus, lambda s: s.inside if s.inside in s.optimizers else None,
        Widget("key", "Look inside", ("inside",), place="main",
               help="Its running averages and step size per coordinate beneath the map, and two arrows on the "
                    "map: the plain gradient step (-lr g, dashed) and the step it takes (solid)."),
    ),
)
"""Every setting of a race, in the sidebar's order (each row's reading may use the rows above)."""

SETTING = {row.name: row for row in SETTINGS}

def to_query(settings: RaceSettings) -> dict[str, str]:
    """Query parameters for complete ``settings``: every row that is not at its default (the
    surface, optimizers, start, steps and each lr always)."""
    query = write_rows(SETTINGS, settings)
    if is_data(settings) and settings.data is not None:
        query[UPLOADED_KEY] = "uploaded"  # the samples themselves travel in a JSON export, not a link
    return query


UPLOADED_KEY = "data"


def from_query(query: Mapping[str, str | list[str]]) -> RaceSettings:
    """Complete settings from query parameters; anything unusable falls back to its default,
    with a notice. A typed formula is compiled here (see :func:`surface_of`)."""
    notices: list[str] = []
    q = last_values(query)
    so_far = read_rows(SETTINGS, q, notices)
    if so_far.get("surface") == CUSTOM:
        so_far.setdefault("bounds", DEFAULT_CUSTOM_BOUNDS)
        so_far.setdefault("formula", "")
        try:
            surface_of(RaceSettings(surface=CUSTOM, formula=so_far["formula"], bounds=so_far["bounds"]))
        except ValueError as err:  # FormulaError: why the formula cannot be used
            notices.append(f"Ignored the formula f={so_far['formula']!r}: {err}.")
            for name in ("surface", "formula", "bounds"):
                so_far.pop(name)
    if q.pop(UPLOADED_KEY, None) is not None and _is_data(so_far):
        notices.append("The race used uploaded samples, which a link does not carry: generated samples are shown "
                       "(a JSON export carries them).")
    known = {row.key for row in SETTINGS}
    params = _read_hyperparameters({k: v for k, v in q.items() if k not in known}, notices)
    return replace(complete(with_params(RaceSettings(**so_far), params)), notices=tuple(notices))


def _read_hyperparameters(q: dict[str, str], notices: list[str]) -> dict[str, dict[str, float | bool]]:
    """The ``<optimizer>.<name>`` keys of a link, each checked against the registry."""

    def ignore(key: str, why: str) -> None:
        notices.append(f"Ignored {key}={q[key]!r}: {why}.")

    params: dict[str, dict[str, float | bool]] = {}
    for key in q:
        oid, _, name = key.partition(".")
        if oid not in OPTIMIZERS or not name:
            ignore(key, "not a setting optviz knows")
            continue
        try:
            spec = OPTIMIZERS[oid].hyperparameter(name)
        except ValueError:
            ignore(key, f"{OPTIMIZERS[oid].name} has no hyperparameter {name!r}")
            continue
        value = parse_value(spec, q[key])
        if value is None:
            lo, hi = spec.slider_range
            ignore(key, "expected true or false" if spec.is_bool else f"expected a number from {lo:g} to {hi:g}")
            continue
        params.setdefault(oid, {})[name] = value
    for oid, chosen in params.items():
        try:  # values valid one by one may still clash (rprop's step_size_min > step_size_max)
            resolve_hyperparameters(oid, chosen)
        except ValueError as err:
            notices.append(f"Ignored the {OPTIMIZERS[oid].name} settings: {err}.")
            params[oid] = {k: v for k, v in chosen.items() if k == "lr"}
    return params


def slider_stops(spec) -> list[float]:
    """Where a hyperparameter's slider stops: round log steps (lr, eps), decay stops, or none."""
    low, high = spec.slider_range
    if spec.scale == "log":
        return nice_log_grid(low, high)
    if spec.scale == "decay":
        return [v for v in decay_stops(high) if spec.contains(v) and v >= low]
    return []
