"""A map's files: CSV (one row per cell), JSON (the axes and every field), PNG and SVG."""

from __future__ import annotations

import csv
import io
import json

from ..engine.maps import MapResult
from ..engine.surfaces import Surface
from ..render.maps import basins_figure, sweep_figure
from .export import to_png, to_svg

MAP_FORMATS = ("csv", "json", "png", "svg")


def map_csv(result: MapResult) -> str:
    """One row per cell: its row and column, its two values, and where its run ended."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", "column", result.x_name, result.y_name, "final_x", "final_y", "final_loss",
                     "diverged_at", "reached_at", "reached_minimum"])
    for i, y in enumerate(result.ys.tolist()):
        for j, x in enumerate(result.xs.tolist()):
            fx, fy = result.final[i, j]
            writer.writerow([i, j, repr(x), repr(y), repr(float(fx)), repr(float(fy)), repr(float(result.final_loss[i, j])),
                             int(result.diverged_at[i, j]), int(result.reached_at[i, j]), int(result.reached_minimum[i, j])])
    return buffer.getvalue()


def map_json(result: MapResult) -> str:
    """The map as JSON: what was run (surface, optimizer, steps, seed, fixed values, both axes)
    and each field as rows of cells (null where a value is not finite)."""
    def rows(a):
        return [[v if v == v and abs(v) != float("inf") else None for v in row] for row in a.tolist()]

    document = {
        "optviz_map": 1, "kind": "basins" if result.x_name == "x" else "sweep", "surface": result.surface,
        "optimizer": result.optimizer, "steps": result.steps, "seed": result.seed,
        "fixed": {k: (list(v) if isinstance(v, tuple) else v) for k, v in result.fixed.items()},
        "x": {"name": result.x_name, "values": result.xs.tolist()},
        "y": {"name": result.y_name, "values": result.ys.tolist()},
        "final_x": rows(result.final[:, :, 0]), "final_y": rows(result.final[:, :, 1]),
        "final_loss": rows(result.final_loss), "diverged_at": result.diverged_at.tolist(),
        "reached_at": result.reached_at.tolist(), "reached_minimum": result.reached_minimum.tolist(),
    }
    return json.dumps(document, allow_nan=False, separators=(",", ":"))


def map_figure(result: MapResult, surface: Surface, colour_by: str = "final loss"):
    return basins_figure(result, surface) if result.x_name == "x" else sweep_figure(result, surface, colour_by)


def map_file(result: MapResult, surface: Surface, fmt: str, colour_by: str = "final loss") -> bytes:
    """The map in ``fmt`` (one of MAP_FORMATS)."""
    if fmt == "csv":
        return map_csv(result).encode()
    if fmt == "json":
        return map_json(result).encode()
    if fmt == "png":
        return to_png(map_figure(result, surface, colour_by))
    if fmt == "svg":
        return to_svg(map_figure(result, surface, colour_by))
    raise ValueError(f"format={fmt!r} is not a map format; choose one of: {', '.join(MAP_FORMATS)}")
