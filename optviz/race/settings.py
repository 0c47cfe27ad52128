"""A race's settings, and their round trip through a page URL's query string.

:class:`RaceSettings` is everything that decides what the Playground draws. ``to_query``
writes it as short, readable query parameters (``surface=rosenbrock&optimizers=sgd,adam&
adam.lr=0.1&start=-1.5,2.5``); ``from_query`` reads them back, validating each one against
the registries. A tampered or stale link never raises: each value that cannot be used is
replaced by its default and named in the notices the page shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..engine.optimizers import DEFAULT_OPTIMIZERS, OPTIMIZERS, get_optimizer, resolve_hyperparameters
from ..engine.presets import surface_defaults
from ..engine.surfaces import MAX_BOUND, MIN_SPAN, SURFACES, Surface, check_bounds, get_surface

CUSTOM = "custom"
DEFAULT_CUSTOM_BOUNDS = ((-5.0, 5.0), (-5.0, 5.0))

PLAYGROUND_MAX_STEPS = 5000
MAX_NOISE = 1e4
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)
DEFAULT_CAMERA = (-60.0, 30.0)


@dataclass(frozen=True)
class RaceSettings:
    """What the Playground shows. Hyperparameters hold every chosen optimizer's full set."""

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
    notices: tuple[str, ...] = field(default=(), compare=False)

    @property
    def surface_obj(self) -> Surface:
        """The surface itself: a registry entry, or the compiled custom formula (cached)."""
        if self.surface == CUSTOM:
            from ..engine.custom import custom_surface  # brings in SymPy: only when a formula is used

            return custom_surface(self.formula or "", self.bounds or DEFAULT_CUSTOM_BOUNDS)
        return get_surface(self.surface)

    @property
    def start_point(self) -> tuple[float, float]:
        return self.start if self.start is not None else self.surface_obj.start

    @property
    def step_count(self) -> int:
        return self.steps if self.steps is not None else self.surface_obj.steps

    def params_of(self, optimizer: str) -> dict[str, float | bool]:
        """The hyperparameters this race uses for ``optimizer`` (shared lr applied)."""
        params = dict(surface_defaults(self.surface_obj)[optimizer])
        params.update(dict(self.hyperparameters).get(optimizer, ()))
        if self.shared_lr is not None:
            params["lr"] = self.shared_lr
        return params


def with_params(settings: RaceSettings, params: Mapping[str, Mapping[str, float | bool]]) -> RaceSettings:
    """``settings`` with these per-optimizer hyperparameters, stored in a hashable form."""
    frozen = tuple((oid, tuple(sorted(p.items()))) for oid, p in sorted(params.items()))
    return replace(settings, hyperparameters=frozen)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError
    return value


def _fmt(value: float | bool) -> str:
    """The shortest text that reads back as exactly this value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(float(value))


def to_query(settings: RaceSettings) -> dict[str, str]:
    """Query parameters for ``settings``: the surface, the field, start and every changed value.

    Each chosen optimizer's lr is always written (so a link does not depend on the suggested
    rates staying the same); other hyperparameters only where they differ from the default.
    """
    defaults = surface_defaults(settings.surface_obj)
    query = {"surface": settings.surface}
    if settings.surface == CUSTOM:
        (x_lo, x_hi), (y_lo, y_hi) = settings.bounds or DEFAULT_CUSTOM_BOUNDS
        query["f"] = settings.formula or ""
        query["bounds"] = ",".join(_fmt(v) for v in (x_lo, x_hi, y_lo, y_hi))
    query["optimizers"] = ",".join(settings.optimizers)
    x, y = settings.start_point
    query["start"] = f"{_fmt(x)},{_fmt(y)}"
    query["steps"] = str(settings.step_count)
    if settings.noise:
        query["noise"] = _fmt(settings.noise)
        query["seed"] = str(settings.seed)
    if settings.shared_lr is not None:
        query["lr"] = _fmt(settings.shared_lr)
    if settings.speed != 1.0:
        query["speed"] = _fmt(settings.speed)
    if settings.view_3d:
        query["view"] = "3d"
        if settings.camera != DEFAULT_CAMERA:
            query["camera"] = f"{_fmt(settings.camera[0])},{_fmt(settings.camera[1])}"
    if not settings.equal_axes:
        query["axes"] = "free"
    if settings.focus in settings.optimizers:
        query["focus"] = settings.focus
    chosen = dict(settings.hyperparameters)
    for oid in settings.optimizers:
        for name, value in dict(chosen.get(oid, ())).items():
            if name == "lr" or value != defaults[oid][name]:
                query[f"{oid}.{name}"] = _fmt(value)
    return query


def from_query(query: Mapping[str, str | list[str]]) -> RaceSettings:
    """Settings from query parameters; anything unusable falls back to its default, with a notice."""
    notices: list[str] = []
    q = {k: (v[-1] if isinstance(v, list) else v) for k, v in query.items()}

    def ignore(key: str, why: str) -> None:
        notices.append(f"Ignored {key}={q[key]!r}: {why}.")

    settings = RaceSettings()
    if "surface" in q:
        if q["surface"] in SURFACES:
            settings = RaceSettings(surface=q["surface"])
        elif q["surface"] == CUSTOM:
            settings = _custom_from_query(q, notices)
        else:
            ignore("surface", "not a known surface")

    optimizers = DEFAULT_OPTIMIZERS
    if "optimizers" in q:
        names = [n.strip() for n in q["optimizers"].split(",") if n.strip()]
        unknown = [n for n in names if n not in OPTIMIZERS]
        known = tuple(dict.fromkeys(n for n in names if n in OPTIMIZERS))
        if unknown:
            notices.append(f"Ignored unknown optimizer(s) {', '.join(map(repr, unknown))}.")
        if known:
            optimizers = known
        elif not unknown:
            notices.append("Ignored an empty optimizer list.")
    settings = replace(settings, optimizers=optimizers)

    if "start" in q:
        try:
            x, y = (_number(part) for part in q["start"].split(","))
            settings = replace(settings, start=(x, y))
        except ValueError:
            ignore("start", "expected two finite numbers, like start=-1.5,2")

    if "steps" in q:
        try:
            steps = int(q["steps"])
            if not 1 <= steps <= PLAYGROUND_MAX_STEPS:
                raise ValueError
            settings = replace(settings, steps=steps)
        except ValueError:
            ignore("steps", f"expected a whole number from 1 to {PLAYGROUND_MAX_STEPS}")

    if "noise" in q:
        try:
            noise = _number(q["noise"])
            if not 0 <= noise <= MAX_NOISE:
                raise ValueError
            settings = replace(settings, noise=noise)
        except ValueError:
            ignore("noise", f"expected a number from 0 to {MAX_NOISE:g}")

    if "seed" in q:
        try:
            seed = int(q["seed"])
            if not 0 <= seed < 2**31:
                raise ValueError
            settings = replace(settings, seed=seed)
        except ValueError:
            ignore("seed", "expected a whole number from 0 to 2147483647")

    if "lr" in q:
        lr_spec = get_optimizer("sgd").hyperparameter("lr")
        try:
            lr = _number(q["lr"])
            if not lr_spec.slider_range[0] <= lr <= lr_spec.slider_range[1]:
                raise ValueError
            settings = replace(settings, shared_lr=lr)
        except ValueError:
            ignore("lr", f"expected a learning rate from {lr_spec.slider_range[0]:g} to {lr_spec.slider_range[1]:g}")

    if "speed" in q:
        try:
            speed = _number(q["speed"])
            if speed not in SPEEDS:
                raise ValueError
            settings = replace(settings, speed=speed)
        except ValueError:
            ignore("speed", f"expected one of {', '.join(f'{s:g}' for s in SPEEDS)}")

    if "view" in q:
        if q["view"] in ("2d", "3d"):
            settings = replace(settings, view_3d=q["view"] == "3d")
        else:
            ignore("view", "expected 2d or 3d")

    if "camera" in q:
        try:
            azimuth, elevation = (_number(part) for part in q["camera"].split(","))
            if not (-180 <= azimuth <= 180 and -90 <= elevation <= 90):
                raise ValueError
            settings = replace(settings, camera=(azimuth, elevation))
        except ValueError:
            ignore("camera", "expected azimuth,elevation in degrees, from -180 to 180 and -90 to 90")

    if "axes" in q:
        if q["axes"] in ("equal", "free"):
            settings = replace(settings, equal_axes=q["axes"] == "equal")
        else:
            ignore("axes", "expected equal or free")

    if "focus" in q:
        if q["focus"] in settings.optimizers:
            settings = replace(settings, focus=q["focus"])
        else:
            ignore("focus", "not one of the racing optimizers")

    params: dict[str, dict[str, float | bool]] = {}
    known_keys = {"surface", "f", "bounds", "optimizers", "start", "steps", "noise", "seed", "lr", "speed", "view",
                  "camera", "axes", "focus"}
    for key in q:
        if key in known_keys:
            continue
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
    return replace(complete(with_params(settings, params)), notices=tuple(notices))


def complete(settings: RaceSettings) -> RaceSettings:
    """The same race with everything explicit: the start, the steps, and every chosen
    optimizer's full hyperparameters (shared lr not folded in). Two complete settings that
    draw the same race are equal."""
    chosen = dict(settings.hyperparameters)
    defaults = surface_defaults(settings.surface_obj)
    params = {oid: {**defaults[oid], **dict(chosen.get(oid, ()))} for oid in settings.optimizers}
    return with_params(replace(settings, start=settings.start_point, steps=settings.step_count), params)


def _custom_from_query(q: dict, notices: list[str]) -> RaceSettings:
    """The custom surface a link names, or the default surface with a notice saying why not."""
    bounds = DEFAULT_CUSTOM_BOUNDS
    if "bounds" in q:
        try:
            x_lo, x_hi, y_lo, y_hi = (_number(part) for part in q["bounds"].split(","))
            bounds = check_bounds(((x_lo, x_hi), (y_lo, y_hi)))
        except ValueError:
            notices.append(
                f"Ignored bounds={q['bounds']!r}: expected x_min,x_max,y_min,y_max with min < max, "
                f"within ±{MAX_BOUND:g} and at least {MIN_SPAN:g} apart."
            )
    formula = q.get("f", "")
    candidate = RaceSettings(surface=CUSTOM, formula=formula, bounds=bounds)
    try:
        _ = candidate.surface_obj  # parses and compiles; raises FormulaError (a ValueError) with the reason
    except ValueError as err:
        notices.append(f"Ignored the formula f={formula!r}: {err}.")
        return RaceSettings()
    return candidate


def parse_value(spec, text: str) -> float | bool | None:
    """A hyperparameter value from its URL text, or None if it is not valid for ``spec``."""
    if spec.is_bool:
        lowered = text.strip().lower()
        return {"true": True, "1": True, "false": False, "0": False}.get(lowered)
    try:
        value = _number(text)
    except ValueError:
        return None
    lo, hi = spec.slider_range  # the Playground offers the slider's range, a part of the valid one
    return value if spec.contains(value) and lo <= value <= hi else None
