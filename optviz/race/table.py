"""A table of settings: each named once, with its link key, command-line option and widget.

The race's settings (:mod:`optviz.race.settings`) and each page's own are such tables;
:func:`read_rows` and :func:`write_rows` turn a link's query into values and back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class Refused(ValueError):
    """A setting's text cannot be used; the message says what was expected."""


@dataclass(frozen=True)
class Partly:
    """A setting read in part (a list with unknown names): the value to use, and a notice."""

    value: Any
    notice: str


@dataclass(frozen=True)
class Widget:
    """How the Playground shows a setting (ui/controls.py draws each ``kind``).

    ``keys`` are the session-state keys of its widgets; ``options`` the values a slider
    stops at; ``shown_if``/``enabled_if`` read the values of the settings above it.
    """

    kind: str
    label: str
    keys: tuple[str, ...]
    options: tuple = ()
    low: float = 0.0
    high: float = 0.0
    help: str = ""  # the widget's tooltip, where it says more than the label
    format: str = "{:g}"  # how a slider shows its stops
    shown_if: Callable[[dict], bool] | None = None
    enabled_if: Callable[[dict], bool] | None = None
    place: str = "sidebar"  # or "main": drawn by the page beside the map


@dataclass(frozen=True)
class Setting:
    """One setting, named once: its field, URL key, command-line option, reading and writing, widget.

    ``read(text, so_far)`` turns a link's text into the value (``so_far``: the values of the
    rows above), raising :class:`Refused` with what it expected, or returning :class:`Partly`.
    ``write(settings)`` gives the URL text, or None where the link leaves it out (a default).
    ``applies_if(so_far)`` says whether the key is read at all (a formula only for "custom").
    """

    name: str
    key: str
    flag: str | None
    metavar: str
    help: str
    read: Callable[[str, dict], Any]
    write: Callable[[Any], str | dict[str, str] | None]  # a dict: several keys (hyperparameters)
    widget: Widget
    applies_if: Callable[[dict], bool] | None = None


def text_of(value: float | bool) -> str:
    """The shortest text that reads back as exactly this value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(float(value))


def finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError
    return value


def numbers(text: str, count: int) -> tuple[float, ...]:
    values = tuple(finite(part) for part in text.split(","))
    if len(values) != count:
        raise ValueError
    return values


def checked(convert: Callable[[str], Any], expected: str, ok: Callable[[Any], bool] = lambda v: True):
    """A reader that converts the text, checks the value, and otherwise refuses with ``expected``."""

    def read(text: str, so_far: dict) -> Any:
        try:
            value = convert(text)
        except (ValueError, TypeError, KeyError, OverflowError):
            raise Refused(expected) from None
        if not ok(value):
            raise Refused(expected)
        return value

    return read


def last_values(query: Mapping[str, str | list[str]]) -> dict[str, str]:
    """A query's values, the last one where a key repeats."""
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in query.items()}


def read_rows(rows, q: Mapping[str, str], notices: list[str]) -> dict[str, Any]:
    """Each row's value from the link's text where it has a usable one (by the row's field
    name); a value that cannot be used is named in ``notices`` and left to its default."""
    so_far: dict[str, Any] = {}
    for row in rows:
        if row.key not in q or (row.applies_if is not None and not row.applies_if(so_far)):
            continue
        try:
            value = row.read(q[row.key], so_far)
        except Refused as why:
            notices.append(f"Ignored {row.key}={q[row.key]!r}: {why}.")
            continue
        if isinstance(value, Partly):
            notices.append(value.notice)
            value = value.value
        if value is not None:
            so_far[row.name] = value
    return so_far


def write_rows(rows, settings) -> dict[str, str]:
    """Query parameters for ``settings``: each row's text, left out where it is at its default."""
    query: dict[str, str] = {}
    for row in rows:
        written = row.write(settings)
        if isinstance(written, dict):
            query.update(written)
        elif written is not None:
            query[row.key] = written
    return query
