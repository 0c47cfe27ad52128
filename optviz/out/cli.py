"""The command line: ``python -m optviz run``, ``export``, ``sweep`` and ``basins``.

Both build the race exactly as a Playground link does: the options become query parameters
(``--steps 300`` is ``steps=300``, ``--set rmsprop.alpha=0.9`` is ``rmsprop.alpha=0.9``),
read by :func:`optviz.race.settings.from_query`, on top of a saved JSON export when ``--config``
names one. Where a link quietly falls back to a default, the command line stops instead: exit
status 2 and one line on stderr naming the option and the value.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from ..engine.data import MODELS
from ..engine.maps import MAX_MAP_STEPS, MAX_SIDE, axis_values, is_log_axis
from ..engine.optimizers import OPTIMIZERS
from ..engine.surfaces import SURFACES
from ..race.maps import run_basins, run_sweep
from ..race.run import race_title, run_race
from ..race.settings import SETTINGS, RaceSettings, from_query, surface_of
from ..render.figures import summary_rows
from .export import FORMATS, ImageExportError, export, read_query
from .maps import MAP_FORMATS, map_file

USAGE_ERROR = 2

# Query key -> the option that sets it, from the settings table (hyperparameters come from --set).
OPTION_OF = {row.key: row.flag for row in SETTINGS if row.flag and row.name != "hyperparameters"}
_NOTICE = re.compile(r"^Ignored (?P<key>[^\s=]+)=(?P<value>.+?): (?P<why>.+?)\.?$")


class UsageError(Exception):
    """A bad option or value: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and the exit status stays 2), and a
    value like ``-1.5,2`` or ``-1e-3`` is a value, not an option (``--start -1.5,2`` works)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d[\d.,eE+-]*$")

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def _ranged(kind: type, low: float, high: float, what: str):
    """An argparse type: ``kind`` of the text, from ``low`` to ``high``, else a message naming it."""

    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {what}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is out of range: expected {low:g} to {high:g}")
        return value

    return convert


_positive_float = _ranged(float, 0.25, 8.0, "number")
_pixels = _ranged(int, 200, 4000, "whole number of pixels")
_frames = _ranged(int, 2, 1000, "whole number of frames")


def _race_options(parser: argparse.ArgumentParser) -> None:
    """One option per row of the settings table that has one (optviz.race.settings.SETTINGS)."""
    race = parser.add_argument_group("the race (defaults: the Playground's)")
    race.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="a JSON export (from the Playground or `export --format json`) to start from; options given here override it",
    )
    for row in SETTINGS:
        if row.flag is None:
            continue
        if row.name == "hyperparameters":
            race.add_argument(row.flag, metavar=row.metavar, action="append", default=[], dest="assignments",
                              help=row.help)
        else:
            race.add_argument(row.flag, metavar=row.metavar, dest=row.name, help=row.help)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``python -m optviz``."""
    parser = _Parser(
        prog="python -m optviz",
        description="Race optimizers across 2D loss surfaces from the command line: the same races, "
        "files and checks as the optviz Playground.",
        epilog="examples:\n"
        "  python -m optviz run --surface rosenbrock --optimizers rmsprop,adam --set rmsprop.lr=0.01\n"
        "  python -m optviz run --json --steps 100 > race.json\n"
        "  python -m optviz run --format csv --steps 100 --output race.csv\n"
        "  python -m optviz export --format gif --output race.gif --surface himmelblau\n"
        "  python -m optviz export --format numpy --optimizer rmsprop --config race.json --output rmsprop.py\n"
        "  python -m optviz sweep --surface rosenbrock --optimizer rmsprop --x lr:1e-4:1:100 --y alpha:0.5:0.999:100 "
        "--output sweep.png\n"
        "  python -m optviz basins --surface himmelblau --optimizer adam --cells 200 --output basins.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{run,export,sweep,basins,study}",
                                     parser_class=_Parser)

    run = commands.add_parser(
        "run",
        help="simulate the race and print a table of how each optimizer did (or every trajectory)",
        description="Simulate the race and print one line per optimizer: final point, final loss, when it "
        "reached a minimum and when it diverged. --json writes every trajectory instead (settings and "
        "paths, the same file as `export --format json`); --format csv one row per optimizer per step.",
    )
    _race_options(run)
    out = run.add_argument_group("output")
    out.add_argument("--format", choices=("table", "json", "csv"), default="table",
                     help="table (default), json or csv")
    out.add_argument("--json", action="store_const", const="json", dest="format", help="the same as --format json")
    out.add_argument("--output", metavar="PATH", type=Path, help="write here instead of standard output")

    exp = commands.add_parser(
        "export",
        help="write the race to a file in any format",
        description="Write the race as an image, animation, page, data file or script.",
    )
    _race_options(exp)
    out = exp.add_argument_group("output")
    out.add_argument(
        "--format",
        required=True,
        choices=tuple(FORMATS),
        help="; ".join(f"{f.id}: {f.label}" for f in FORMATS.values()),
    )
    out.add_argument("--output", metavar="PATH", type=Path, required=True, help="the file to write")
    out.add_argument(
        "--optimizer",
        metavar="ID",
        help="numpy and pytorch formats: whose path the script reproduces (default: the first racing)",
    )
    out.add_argument(
        "--scale", type=_positive_float, default=2.0, help="png: pixels per CSS pixel, 0.25 to 8 (default: 2)"
    )
    out.add_argument(
        "--width", type=_pixels, help="png, svg, pdf, html: CSS pixels (default 1000); gif, mp4: pixels (default 800)"
    )
    out.add_argument(
        "--height", type=_pixels, help="png, svg, pdf, html: CSS pixels (default 720); gif, mp4: pixels (default 600)"
    )
    out.add_argument("--frames", type=_frames, default=100, help="gif, mp4: at most this many frames (default: 100)")

    sweep = commands.add_parser(
        "sweep", help="a map of two hyperparameters: one run per cell, where each ended",
        description="Run one optimizer from the race's start once per cell of a grid of two of its "
        "hyperparameters (the others at the surface's defaults) and write the map. --steps (at most "
        f"{MAX_MAP_STEPS}) sets each run's length.")
    _race_options(sweep)
    _map_options(sweep)
    sweep.add_argument("--x", metavar="NAME:LOW:HIGH:COUNT", required=True, type=_axis,
                       help="the x axis, e.g. lr:1e-4:1:100 (log spacing where the hyperparameter has a log scale)")
    sweep.add_argument("--y", metavar="NAME:LOW:HIGH:COUNT", required=True, type=_axis, help="the y axis, e.g. alpha:0.5:0.999:100")
    sweep.add_argument("--colour", choices=("loss", "steps"), default="loss",
                       help="png, svg: colour by the final loss (default) or the steps to the minimum")

    basin = commands.add_parser(
        "basins", help="a basin map: one run from every start of a grid over the view",
        description="Run one optimizer from every start of a CELLS x CELLS grid over the surface's view "
        "(its suggested lr, or --lr) and write which minimum each start reaches and when.")
    _race_options(basin)
    _map_options(basin)
    st = commands.add_parser(
        "study", help="a fair comparison: every optimizer tuned on a lr grid, judged on held-out starts",
        description="Tune each optimizer's learning rate on a log grid from tuning starts (the same budget of "
        "steps for all), then run the best rate from held-out starts; writes the study as JSON. Runs here by "
        "default; --workers N on a local Dask cluster, --scheduler on a running one (one task per surface "
        "and optimizer; the same results every way).")
    st.add_argument("--surfaces", metavar="ID,ID,...", help="default: every built-in surface")
    st.add_argument("--optimizers", metavar="ID,ID,...", help="default: every optimizer")
    st.add_argument("--mode", choices=("tuned", "defaults"), default="tuned",
                    help="tuned (default) or defaults: the registry's hyperparameters, no tuning")
    st.add_argument("--lr-grid", metavar="LOW:HIGH:COUNT", default="1e-4:10:25", help="the log grid (default 1e-4:10:25)")
    st.add_argument("--tuning-starts", type=int, default=16, metavar="K", help="starts to tune on (default 16)")
    st.add_argument("--held-out", type=int, default=64, metavar="N", help="held-out starts (default 64)")
    st.add_argument("--seeds", type=int, default=1, metavar="S", help="seeds per start with --noise (default 1)")
    st.add_argument("--noise", type=float, default=0.0, metavar="STD", help="gradient noise (default 0)")
    st.add_argument("--budget", type=int, metavar="STEPS", help="steps for every run (default: each surface's own)")
    st.add_argument("--seed", type=int, default=0, metavar="N", help="draws the starts (default 0)")
    where = st.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_ranged(int, 1, 256, "whole number"), metavar="N",
                       help="run on a local Dask cluster of N worker processes")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask cluster")
    st.add_argument("--output", metavar="PATH", type=Path, required=True, help="the study's JSON file")

    basin.add_argument("--cells", type=_ranged(int, 2, MAX_SIDE, "whole number"), default=100,
                       help=f"starts along each axis, 2 to {MAX_SIDE} (default: 100)")
    return parser


def _map_options(parser: argparse.ArgumentParser) -> None:
    out = parser.add_argument_group("the map")
    out.add_argument("--optimizer", metavar="ID", required=True, help="the optimizer to map")
    out.add_argument("--output", metavar="PATH", type=Path, required=True,
                     help=f"the file to write: {', '.join(MAP_FORMATS)} (from the extension, or --format)")
    out.add_argument("--format", choices=MAP_FORMATS, help="the file's format (default: from --output's extension)")


def _axis(text: str) -> tuple[str, float, float, int]:
    parts = text.split(":")
    try:
        name, low, high, count = parts[0], float(parts[1]), float(parts[2]), int(parts[3])
    except (IndexError, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME:LOW:HIGH:COUNT, like lr:1e-4:1:100") from None
    if len(parts) != 4 or not low < high or not 1 <= count <= MAX_SIDE:
        raise argparse.ArgumentTypeError(f"{text!r}: expected LOW < HIGH and COUNT from 1 to {MAX_SIDE}")
    return name, low, high, count


def run_study(args: argparse.Namespace):
    """The study the options describe, here or on a Dask cluster."""
    from functools import partial

    from ..engine.study import study
    from .cluster import dask_map

    def names(text: str | None, known, flag: str) -> list[str]:
        if text is None:
            return list(known)
        chosen = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in chosen if n not in known]
        if unknown or not chosen:
            raise UsageError(f"{flag} {text!r}: choose from {', '.join(known)}")
        return chosen

    try:
        low, high, count = args.lr_grid.split(":")
        grid = dict(lr_low=float(low), lr_high=float(high), lr_count=int(count))
    except ValueError:
        raise UsageError(f"--lr-grid {args.lr_grid!r}: expected LOW:HIGH:COUNT, like 1e-4:10:25") from None
    runner = None
    if args.workers is not None or args.scheduler is not None:
        runner = partial(dask_map, workers=args.workers, scheduler=args.scheduler)
    try:
        return study(names(args.surfaces, SURFACES, "--surfaces"), names(args.optimizers, OPTIMIZERS, "--optimizers"),
                     run_tasks=runner, mode=args.mode, tuning_starts=args.tuning_starts,
                     held_out_starts=args.held_out, seeds=args.seeds, noise=args.noise, budget=args.budget,
                     seed=args.seed, **grid)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None


def run_map(args: argparse.Namespace, settings: RaceSettings) -> bytes:
    """The sweep or basin map the options describe, in the output's format."""
    if args.optimizer not in OPTIMIZERS:
        raise UsageError(f"--optimizer {args.optimizer!r}: not a known optimizer; choose from: {', '.join(OPTIMIZERS)}")
    fmt = args.format or args.output.suffix.lstrip(".").lower()
    if fmt not in MAP_FORMATS:
        raise UsageError(f"--output {args.output}: cannot tell the format; add --format ({', '.join(MAP_FORMATS)})")
    if settings.step_count > MAX_MAP_STEPS:
        raise UsageError(f"--steps {settings.step_count}: a map's runs take at most {MAX_MAP_STEPS} steps")
    if args.command == "sweep":
        axes = []
        for flag, (name, low, high, count) in (("--x", args.x), ("--y", args.y)):
            try:
                log = is_log_axis(args.optimizer, name)
            except ValueError as err:
                raise UsageError(f"{flag} {name}: {err}") from None
            axes.append((name, axis_values(low, high, count, log)))
        try:
            result = run_sweep(settings, args.optimizer, axes[0], axes[1], settings.step_count)
        except ValueError as err:
            raise UsageError(str(err)) from None
        colour = "steps to the minimum" if args.colour == "steps" else "final loss"
    else:
        result = run_basins(settings, args.optimizer, args.cells, settings.step_count, lr=settings.shared_lr)
        colour = "final loss"
    return map_file(result, surface_of(settings), fmt, colour)


def _reason(notice: str, origin: dict[str, str]) -> str:
    """A settings notice rewritten to name the command-line option that caused it."""
    match = _NOTICE.match(notice)
    if match:
        key, value, why = match["key"], match["value"], match["why"]
        where = origin.get(key, "--set")
        if where.startswith("--config"):
            return f"{where}: {key}={value}: {why}"
        if where == "--set":
            return f"--set {key}={value.strip(chr(39))}: {why}"
        return f"{where} {value}: {why}"
    if notice.startswith("Ignored unknown optimizer"):
        return f"--optimizers: {notice.removeprefix('Ignored ').rstrip('.')}; choose from: {', '.join(OPTIMIZERS)}"
    if notice.startswith("Ignored an empty optimizer list"):
        return "--optimizers: the list is empty"
    if notice.startswith("Ignored the formula"):
        return f"--formula: {notice.removeprefix('Ignored the formula ').rstrip('.')}"
    if notice.startswith("Ignored the "):  # values valid one by one that clash (rprop's step sizes)
        return f"--set: {notice.removeprefix('Ignored ').rstrip('.')}"
    return notice.removeprefix("Ignored ").rstrip(".")


def settings_from_args(args: argparse.Namespace) -> RaceSettings:
    """The race the options describe, validated as a link would be, but strictly.

    Raises:
        UsageError: naming the option and value that cannot be used.
    """
    query: dict[str, str] = {}
    origin: dict[str, str] = {}
    if args.config is not None:
        try:
            stored, notices = read_query(args.config.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise UsageError(f"--config {args.config}: {err}") from None
        if notices:
            raise UsageError(f"--config {args.config}: {notices[0].removeprefix('Ignored ').rstrip('.')}")
        query.update(stored)
        origin.update({key: f"--config {args.config}" for key in stored})
    for row in SETTINGS:
        value = getattr(args, row.name, None) if row.key in OPTION_OF else None
        if value is not None:
            query[row.key], origin[row.key] = value, row.flag
    for row in SETTINGS:  # an option the link would quietly pass over (a formula without --surface custom)
        if row.applies_if is not None and origin.get(row.key) == row.flag and not row.applies_if(query):
            needs = "--surface custom" if row.name in ("formula", "bounds") else f"a data surface: --surface {' or '.join(MODELS)}"
            raise UsageError(f"{row.flag} needs {needs}")
    for assignment in args.assignments:
        name, sep, value = assignment.partition("=")
        oid, dot, hp = name.partition(".")
        if not sep or not dot or not oid or not hp:
            raise UsageError(f"--set {assignment!r}: expected OPTIMIZER.NAME=VALUE, like rmsprop.alpha=0.9")
        query[name], origin[name] = value, "--set"
    settings = from_query(query)
    if settings.notices:
        raise UsageError(_reason(settings.notices[0], origin))
    racing = set(settings.optimizers)
    for name, where in origin.items():
        oid = name.partition(".")[0]
        if where == "--set" and oid not in racing:
            raise UsageError(f"--set {name}={query[name]}: {oid} is not racing; add it to --optimizers")
    return settings


def summary_table(settings: RaceSettings, runs) -> str:
    """The race in a few lines: each optimizer's final point and loss, and when it reached a
    minimum or diverged (the Playground's summary table, as plain text)."""
    rows = summary_rows(surface_of(settings), runs)
    header = list(rows[0]) if rows else []
    cells = [[_cell(row[k]) for k in header] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    lines = [race_title(settings, runs), "", "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _write(data: bytes, path: Path | None) -> None:
    if path is None:
        sys.stdout.buffer.write(data if data.endswith(b"\n") else data + b"\n")
        sys.stdout.buffer.flush()
        return
    path.write_bytes(data)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 1 for a failure, 2 for bad usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    prog = f"{parser.prog} {args.command}"
    try:
        if args.command == "study":
            _write(run_study(args).to_json().encode(), args.output)
            return 0
        settings = settings_from_args(args)
        if args.command in ("sweep", "basins"):
            _write(run_map(args, settings), args.output)
            return 0
        if getattr(args, "optimizer", None) is not None and args.optimizer not in OPTIMIZERS:
            raise UsageError(
                f"--optimizer {args.optimizer!r}: not a known optimizer; choose from: {', '.join(OPTIMIZERS)}"
            )
        needs_runs = args.command == "run" or not FORMATS[args.format].per_optimizer
        runs = None
        if needs_runs:
            runs, errors = run_race(settings)
            if errors:
                oid, message = next(iter(errors.items()))
                raise UsageError(f"{oid} cannot run: {message}")
        if args.command == "run" and args.format == "table":
            data = summary_table(settings, runs).encode()
        elif args.command == "run":
            data = export(settings, args.format, runs)
        else:
            data = export(
                settings,
                args.format,
                runs,
                optimizer=args.optimizer,
                scale=args.scale,
                width=args.width,
                height=args.height,
                max_frames=args.frames,
            )
        _write(data, args.output)
    except UsageError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return USAGE_ERROR
    except ValueError as err:  # a value the exporters refuse (say, a script for a custom formula)
        print(f"{prog}: error: {err}", file=sys.stderr)
        return USAGE_ERROR
    except (ImageExportError, OSError) as err:
        print(f"{prog}: failed: {err}", file=sys.stderr)
        return 1
    return 0
