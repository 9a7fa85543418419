"""The static maps' symbols and legend: what a map draws, listed with the symbol it is drawn with.

Part of the static maps (`geo.printmap`).  Symbols are those of the HTML maps
(`geo.style`), sized in points: `PT_PER_PX` turns the HTML styles' pixels into
points.  The legend lists only what its map shows (`Shown`): occupied areas,
the grey zone, the line of contact, the region levels, the focus region, the commodity groups and
control statuses of the records in view, and how many records have no known site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from geo import plot, schema, style
from geo.geometry import Box
from geo.i18n import Words
from geo.page import Layout, wrap_text

#: Points per pixel of the HTML styles (a CSS pixel is 0.75 pt), a little finer for print.
PT_PER_PX: Final = 0.6
#: A marker's width as a share of the HTML icon box, and its outline as a share of the HTML outline.
MARKER_SHARE: Final = 0.62
OUTLINE_SHARE: Final = 0.5


# --- symbols -------------------------------------------------------------------------


def markers(
    shape: str,
    xy: np.ndarray,
    *,
    fill: str,
    statuses: Sequence[str],
    diameter_pt: float,
    transform: plot.Transform,
    scale: float,
) -> plot.PathCollection:
    """Return deposit markers of one shape: filled by commodity group, outlined by control status."""
    marker = plot.MarkerStyle(style.MATPLOTLIB_SHAPES[shape])
    path = marker.get_path().transformed(marker.get_transform())
    edges, widths, dashes = [], [], []
    for status in statuses:
        colour, width, dash = control_outline(status)
        edges.append(colour)
        widths.append(width * PT_PER_PX * OUTLINE_SHARE * scale)
        dashes.append((0.0, tuple(float(v) * PT_PER_PX * scale for v in dash.split())) if dash else "solid")
    collection = plot.PathCollection(
        [path],
        sizes=[diameter_pt**2] * len(xy),
        offsets=xy,
        offset_transform=transform,
        facecolors=[fill],
        edgecolors=edges,
        linewidths=widths,
        linestyles=dashes,
    )
    collection.set_transform(plot.IdentityTransform())
    return collection


def control_outline(status: str) -> tuple[str, float, str | None]:
    """Return a marker's outline (colour, width px, dash or None) for a control status or a scenario's control class.

    A scenario's Russian-controlled records look like today's occupied ones; its demilitarised ones get
    `geo.style.DEMILITARISED_OUTLINE`.
    """
    if status == schema.RUSSIAN_CONTROLLED:
        return style.CONTROL_OUTLINE[schema.OCCUPIED_SINCE_2022]
    if status == schema.DEMILITARISED:
        return style.DEMILITARISED_OUTLINE
    return style.CONTROL_OUTLINE[status]


def hatch_colour(colour: str) -> dict[str, str]:
    """Return the keyword that gives a patch's hatching `colour` (matplotlib 3.10+; before, its edge colour does)."""
    return {"hatchcolor": colour} if hasattr(plot.PathPatch, "set_hatchcolor") else {}


def marker_diameter(group: str, layout: Layout) -> float:
    """Return the diameter (points) of a commodity group's marker in `layout`."""
    size = style.LITHIUM_MARKER_SIZE if group == "lithium" else style.MARKER_SIZE
    return size * PT_PER_PX * MARKER_SHARE * layout.symbol_scale


def rgba(colour: str, alpha: float) -> tuple[float, float, float, float]:
    """Return a ``#rrggbb`` colour with `alpha`, as matplotlib takes it."""
    value = colour.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255, alpha)


# --- the legend --------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """What a map draws in its view (and so what its legend lists)."""

    parts: tuple[str, ...]
    contested: bool
    front: bool
    levels: tuple[str, ...]
    points: pd.DataFrame  # located records in view: group, control_status (and x, y, lithium…)
    focus: str = ""  # the name of the region the map highlights (`geo.catalogue.MapRecord.focus_region`), if any


@dataclass(frozen=True)
class Entry:
    """One legend row: a symbol and its text; a heading and a note have no symbol."""

    text: str
    kind: str  # fill, hatch, line, outline, marker, heading, note
    colour: str = ""
    width: float = 0.0
    shape: str = "circle"
    status: str = schema.HELD
    group: str = "other"
    opacity: float = style.OCCUPATION_OPACITY  # a fill's
    hatch: str = ""  # a fill's hatching, in its colour
    dash: str = ""  # a line's dash pattern (px, as `geo.style.TODAYS_LINE_DASH`)


def legend_entries(words: Words, shown: Shown, not_drawn: int) -> list[Entry]:
    """List what the map draws, in the HTML legend's order; control outlines only for the statuses drawn."""
    entries = [
        Entry(words(f"control.{part}"), "fill", colour)
        for part, colour in (
            (schema.OCCUPIED_SINCE_2022, style.OCCUPIED_SINCE_2022_COLOUR),
            (schema.OCCUPIED_BEFORE_2022, style.OCCUPIED_BEFORE_2022_COLOUR),
        )
        if part in shown.parts
    ]
    if shown.contested:
        entries.append(Entry(words("layer.contested"), "hatch", style.CONTESTED_COLOUR))
    if shown.front:
        text = words("legend.front")
        entries.append(Entry(text[:1].upper() + text[1:], "line", style.FRONT_COLOUR, 2.2))
    for level in shown.levels:
        colour, width = style.LEVEL_STYLE[level]
        entries.append(Entry(words("legend.boundaries", level=words(f"level.{level}")), "line", colour, width))
    if shown.focus:
        colour, width = style.FOCUS_OUTLINE
        entries.append(Entry(words("print.focus", name=shown.focus), "line", colour, width))
    groups = set(shown.points["group"])
    for key, *_rest in style.COMMODITY_GROUPS:
        if key in groups:
            entries.append(
                Entry(
                    words(f"group.{key}"), "marker", style.group_colour(key), shape=style.GROUP_SHAPES[key], group=key
                )
            )
    statuses = set(shown.points["control_status"])
    controls = [
        (words("control.held_by_ukraine"), schema.HELD, schema.HELD in statuses),
        (words("control.occupied"), schema.OCCUPIED_SINCE_2022, bool(statuses & set(schema.OCCUPIED_STATUSES))),
        (words("control.unknown"), schema.UNKNOWN, schema.UNKNOWN in statuses),
    ]
    if any(present for _t, _s, present in controls):
        entries.append(Entry(words("legend.control"), "heading"))
        entries += [
            Entry(text, "marker", style.LEGEND_MARKER_FILL, status=status)
            for text, status, present in controls
            if present
        ]
    if not_drawn:
        entries.append(Entry(words("print.not_drawn", count=words.number(not_drawn, 0)), "note"))
    return entries


def _symbol(figure: plot.Figure, entry: Entry, box: Box, layout: Layout) -> list[plot.Artist]:
    """Draw a legend symbol in `box` (inches)."""
    x0, y0, x1, y1 = box
    trans = figure.dpi_scale_trans
    s = layout.symbol_scale
    if entry.kind == "fill":
        face = rgba(entry.colour, entry.opacity)
        hatched: dict[str, Any] = {"hatch": entry.hatch, **hatch_colour(entry.colour)} if entry.hatch else {}
        return [
            plot.Rectangle(
                (x0, y0), x1 - x0, y1 - y0, transform=trans, facecolor=face, edgecolor=entry.colour, lw=0.5, **hatched
            )
        ]
    if entry.kind == "outline":
        width = entry.width * PT_PER_PX * s
        return [
            plot.Rectangle(
                (x0, y0), x1 - x0, y1 - y0, transform=trans, facecolor="none", edgecolor=entry.colour, lw=width
            )
        ]
    if entry.kind == "hatch":
        return [
            plot.Rectangle(
                (x0, y0), x1 - x0, y1 - y0, transform=trans, facecolor="none", edgecolor=entry.colour, hatch="/////"
            )
        ]
    if entry.kind == "line":
        ym = (y0 + y1) / 2
        line = plot.Line2D([x0, x1], [ym, ym], transform=trans, color=entry.colour, lw=entry.width * PT_PER_PX * s)
        if entry.dash:
            line.set_dashes([float(v) * PT_PER_PX * s for v in entry.dash.split()])
        return [line]
    diameter = min(marker_diameter(entry.group, layout), (y1 - y0) * 72 * 1.3)
    centre = np.asarray([[(x0 + x1) / 2, (y0 + y1) / 2]])
    statuses = [entry.status]
    return [
        markers(
            entry.shape, centre, fill=entry.colour, statuses=statuses, diameter_pt=diameter, transform=trans, scale=s
        )
    ]


@dataclass(frozen=True)
class LegendPlan:
    """A legend laid out: its font size and its rows in columns."""

    size: float  # font size, points
    columns: list[list[tuple[Entry, str, float]]]  # per column: (entry, wrapped text, row height in inches)
    column_in: float
    height_in: float


def plan_legend(
    figure: plot.Figure, entries: Sequence[Entry], width_in: float, height_in: float, layout: Layout
) -> LegendPlan:
    """Wrap and stack the legend's rows in columns, shrinking the text until it fits `height_in`."""
    size = layout.legend_pt
    while True:
        gap = size * 0.8 / 72
        column_in = (width_in - gap * (layout.legend_columns - 1)) / layout.legend_columns
        symbol_w, symbol_h = size * 2.0 / 72, size * 1.05 / 72
        line_h = plot.extent(plot.text(figure, 0, 0, "Ág", fontsize=size))[1]
        rows = []
        for entry in entries:
            plain = entry.kind in ("heading", "note")
            indent = 0.0 if plain else symbol_w + size * 0.5 / 72
            wrapped = wrap_text(entry.text, (column_in - indent) * 72, size)
            text_h = plot.extent(plot.text(figure, 0, 0, wrapped, fontsize=size, linespacing=1.15))[1]
            drop = max(0.0, (symbol_h - line_h) / 2)  # a row's first line is centred on its symbol
            rows.append((entry, wrapped, text_h if plain else max(symbol_h, text_h + drop)))
        spacing = size * 0.45 / 72
        target = sum(h + spacing for _e, _w, h in rows) / layout.legend_columns
        columns: list[list[tuple[Entry, str, float]]] = [[]]
        for row in rows:
            used = sum(h + spacing for _e, _w, h in columns[-1])
            if columns[-1] and len(columns) < layout.legend_columns and used + row[2] > target + 1e-9:
                # A heading moves on with the first row under it.
                columns.append([columns[-1].pop()] if columns[-1][-1][0].kind == "heading" else [])
            columns[-1].append(row)
        height = max(sum(h + spacing for _e, _w, h in col) for col in columns) - spacing
        if height <= height_in or size <= 3.5:
            return LegendPlan(size, columns, column_in, height)
        size *= 0.93


def draw_legend(figure: plot.Figure, plan: LegendPlan, origin: tuple[float, float], layout: Layout) -> None:
    """Draw a planned legend with its top left corner at `origin` (inches), as the SVG layer ``legend``."""
    size = plan.size
    symbol_w, symbol_h = size * 2.0 / 72, size * 1.05 / 72
    line_h = plot.extent(plot.text(figure, 0, 0, "Ág", fontsize=size))[1]
    spacing = size * 0.45 / 72
    artists: list[plot.Artist] = []
    for c, column in enumerate(plan.columns):
        x = origin[0] + c * (plan.column_in + size * 0.8 / 72)
        y = origin[1]
        for entry, wrapped, height in column:
            if entry.kind in ("heading", "note"):
                colour = style.PRINT_NOTE_COLOUR if entry.kind == "note" else "black"
                artists.append(
                    plot.text(figure, x, y, wrapped, va="top", linespacing=1.15, color=colour, fontsize=size)
                )
            else:
                artists += _symbol(figure, entry, (x, y - symbol_h, x + symbol_w, y), layout)
                top = y - max(0.0, (symbol_h - line_h) / 2)
                artists.append(
                    plot.text(
                        figure, x + symbol_w + size * 0.5 / 72, top, wrapped, va="top", linespacing=1.15, fontsize=size
                    )
                )
            y -= height + spacing
    plot.group(figure, "legend", artists, zorder=5)
