"""Static, print-ready maps: a web PNG, a social card, an SVG with live text and an A4 PDF per map.

The maps of `geo.catalogue` are drawn with matplotlib (`geo.plot`: no pyplot,
no network, DejaVu Sans for Latin and Cyrillic) in `geo.schema.PRINT_CRS`, so
that their scale bars measure kilometres.  Geometry is reprojected and
simplified once per build in a `PrintGeometry` (the steps and tolerances of
`geo.geometry`), which every map and every language reuses.  Each map carries
a title, a subtitle with the snapshot date and the region's occupied share and
the credits line, «© Мінрегіон» first (`geo.page`), a legend of what it draws
(`geo.legend`), a scale bar, a locator of Ukraine with the mapped area (not on
the overview, which is the whole country), and labels placed without overlaps
(`geo.labels`).

The catalogue's scenarios record (`geo.catalogue.MapRecord.scenarios`) gets one
print set per peace-plan scenario, ``print/scenario_<scenario_id>…``
(`geo.catalogue.SCENARIO_PRINT_PREFIX`), instead of one of its own: the
scenario's Russian-controlled ground in the occupied look, its demilitarised
zone hatched, the ground that would change hands outlined, the line of
contact it starts from dashed and every record outlined by its control under
the scenario; titled with the scenario's name, its Russian-controlled share of
Ukraine in the subtitle and its source in the footer.  A scenario's geometry
is simplified once per scale, as the occupied areas are (`PrintGeometry.scenario`).

Names from data are drawn as one line of printable text (`geo.page.clean_text`),
never as mathtext.

Deposit records without a known site (``location_known`` false) are not drawn
on the static maps: a point there would claim a place the data does not give.
The legend counts them instead.  The same inputs give the same bytes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, cast
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import catalogue, geometry, labels, plot, schema, style
from geo.catalogue import MapRecord
from geo.errors import ValidationError
from geo.geometry import Box
from geo.i18n import Words
from geo.legend import (
    PT_PER_PX,
    Entry,
    LegendPlan,
    Shown,
    draw_legend,
    hatch_colour,
    legend_entries,
    marker_diameter,
    markers,
    plan_legend,
    rgba,
)
from geo.page import (
    FILE_FORMAT,
    FILE_LAYOUT,
    LAYOUTS,
    NAME_MAX_CHARS,
    Layout,
    clean_text,
    cut,
    draw_page,
    label_text,
    page_words,
    wrap_text,
)
from geo.sources import CREDIT_MAX_CHARS

#: Region outlines are drawn finest first, so that a coarser border on the same line shows (the city last).
DRAW_ORDER: Final = ("hromada", "raion", "oblast", "country", "city")
#: Fixed SVG ids, so that the same inputs give the same bytes.
SVG_HASHSALT: Final = "resource-control-mapper"
#: The white box behind a label (padding in points) and its opacity.
LABEL_PAD_PT: Final = 0.8
LABEL_BOX_ALPHA: Final = 0.8
#: Commodity groups whose records are labelled first, in this order, and float on a leader line at once where they
#: find no room beside their marker (the rest is labelled after them, and floats only once all have tried).
LABEL_FIRST: Final = ("lithium", "rare_earths")
#: How far beyond the frame region the map shows (share of its size; the lithium frame has its margin built in).
FRAME_MARGIN: Final = 0.04
#: A scenario's name, its title, is cut at this many characters (the longest shipped one has 166; titles wrap).
SCENARIO_NAME_MAX_CHARS: Final = 240
#: A scenario's title is set smaller, down to this share of the page's title size, to take at most this many lines.
TITLE_MIN_SHARE: Final = 0.7
TITLE_LINES: Final = 3
#: Widths (screen px) of the outline of the ground a scenario hands over, and of the dashed line it starts from.
CHANGE_OUTLINE_PX: Final = 1.8
TODAYS_LINE_PX: Final = 1.6
#: Control statuses drawn and labelled as Russian-held: today's occupied ones and a scenario's Russian-controlled.
RUSSIAN_STATUSES: Final = (*schema.OCCUPIED_STATUSES, schema.RUSSIAN_CONTROLLED)
#: A scenario's layers (`PrintGeometry.scenario`), in the order they are listed.
SCENARIO_LAYERS: Final = ("russian", "demilitarised", "ceded", "returned", "today")
#: How far from Ukraine's border the edge of the occupied ground is not drawn as the line of contact (metres), where
#: a scenario starts from another date's line than the snapshot's (whose line of contact is drawn as it is).
BORDER_GAP_M: Final = 2000.0


# --- geometry ----------------------------------------------------------------------


def _path(geom: Any, *, polygons: bool) -> plot.Path | None:
    """Turn the polygons (or the lines) of `geom` into one matplotlib path (None if there are none)."""
    parts = shapely.get_parts(geom)
    kinds = shapely.get_type_id(parts)
    if polygons:
        chosen = shapely.get_rings(shapely.orient_polygons(parts[kinds == shapely.GeometryType.POLYGON]))
    else:
        chosen = parts[np.isin(kinds, (shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING))]
    coords, index = shapely.get_coordinates(chosen, return_index=True)
    if len(coords) < 2:
        return None
    codes = np.full(len(coords), plot.Path.LINETO, dtype=plot.Path.code_type)
    codes[np.r_[True, index[1:] != index[:-1]]] = plot.Path.MOVETO
    # Only MOVETO and LINETO (a filled ring closes itself), so that matplotlib may simplify further per output.
    return plot.Path(coords, codes)


def _polygons(geoms: gpd.GeoSeries) -> shapely.Geometry:
    """Return the polygons of `geoms` as one MultiPolygon."""
    parts = shapely.get_parts(geoms.to_numpy())
    return cast(
        "shapely.Geometry", shapely.multipolygons(parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON])
    )


class PrintGeometry:
    """The geometry of the static maps, in `geo.schema.PRINT_CRS`, simplified once per scale (`geo.geometry`).

    Build it once per build: every map, figure size and language reuses it,
    and what a map clips to its frame is kept, so that a second language does
    no geometry work.  Each scale's geometry is clipped to where its maps look
    (`geo.geometry.print_areas`) before it is simplified.

    Parameters
    ----------
    regions
        Indexed by region id (the country row included), in `geo.schema.STORAGE_CRS`; column ``level``.
    parts
        The occupied area by part (`geo.schema.OCCUPIED_BEFORE_2022`, `geo.schema.OCCUPIED_SINCE_2022`).
    front
        The line of contact.
    contested
        DeepState's grey zone (empty or None where there is none).
    basemap
        Land and neighbouring countries (column ``kind``: ``land`` or ``country``).
    maps
        The maps to draw; their region levels are cleaned together (`geo.geometry.drawn_ids`).
    """

    def __init__(
        self,
        regions: gpd.GeoDataFrame,
        parts: gpd.GeoDataFrame,
        front: gpd.GeoSeries,
        contested: shapely.Geometry | None,
        basemap: gpd.GeoDataFrame,
        *,
        maps: Sequence[MapRecord] = catalogue.MAPS,
    ) -> None:
        #: The maps this geometry is made for, in order.
        self.maps: tuple[MapRecord, ...] = tuple(maps)
        metric = geometry.project(regions.geometry, schema.PRINT_CRS, what="regions")
        metric.index = metric.index.astype(str)
        #: The bounds of every region a map is framed on (metres).
        self.frames: dict[str, Box] = geometry.region_frames(metric, self.maps)
        areas = geometry.print_areas(self.maps, self.frames)
        self._print_areas = areas

        # Region outlines: one coverage per (level, scale) of the regions some map draws, kept as their borders;
        # cleaned once per level (the same at every scale).
        wanted: dict[tuple[str, str], set[str]] = {}
        for spec in self.maps:
            for level, prefix in spec.printed_levels:
                wanted.setdefault((level, spec.scale), set()).add(prefix)
        drawn = geometry.drawn_ids(regions, [(level, p) for (level, _s), prefixes in wanted.items() for p in prefixes])
        clean = {level: geometry.clean_coverage(gpd.GeoSeries(metric.loc[ids])) for level, ids in drawn.items()}
        self._outlines: dict[tuple[str, str], pd.Series] = {}
        self._areas: dict[tuple[str, str], pd.Series] = {}  # the same regions as polygons (a map's focus region)
        for (level, scale), prefixes in sorted(wanted.items()):
            chosen = clean[level][[rid.startswith(tuple(prefixes)) for rid in clean[level].index]]
            clipped = geometry.clip(gpd.GeoSeries(chosen), areas.get(scale))
            cut = gpd.GeoSeries(clipped[~shapely.is_empty(clipped.to_numpy())])
            simple = geometry.simplify_coverage(cut, geometry.SCALES[scale].printed.metres)
            self._outlines[(level, scale)] = pd.Series(shapely.boundary(simple.to_numpy()), index=cut.index)
            self._areas[(level, scale)] = pd.Series(simple.to_numpy(), index=cut.index)
        # Occupied parts, line of contact, grey zone and Ukraine: simplified one by one at each scale.
        ukraine = gpd.GeoSeries([regions.geometry[schema.COUNTRY_ID]], ["ukraine"], crs=regions.crs)
        every = gpd.GeoSeries(pd.concat([geometry.occupation_layers(parts, front, contested), ukraine]))
        every = geometry.project(every, schema.PRINT_CRS, what="occupation")
        self._country: shapely.Geometry = every["ukraine"]  # full detail, for a past date's line (`scenario`)
        self._shapes: dict[tuple[str, str], Any] = {}
        for scale, s in geometry.SCALES.items():
            simple = geometry.simplify(geometry.clip(every, areas.get(scale)), s.printed.metres)
            for name, geom in simple.items():
                self._shapes[(str(name), scale)] = geom
        # The base map by kind, at each scale's base tolerance (drawn, never unioned: overlaps paint once).
        base = geometry.project(basemap.geometry, schema.PRINT_CRS, what="basemap")
        kinds = basemap["kind"].astype(str).to_numpy()
        for scale, s in geometry.SCALES.items():
            for kind in ("land", "country"):
                chosen = gpd.GeoSeries(base[kinds == kind])
                simple = geometry.simplify(geometry.clip(chosen, areas.get(scale)), s.base.metres)
                self._shapes[(f"base {kind}", scale)] = _polygons(simple)
        # The locator: Ukraine and every frame region, coarse.
        coarse = geometry.simplify(
            gpd.GeoSeries(
                [self._shapes[("ukraine", "country")], *[metric[f] for f in self.frames]], crs=schema.PRINT_CRS
            ),
            geometry.LOCATOR.metres,
        ).to_numpy()
        self.locator_country: shapely.Geometry = coarse[0]
        self.locator_regions: dict[str, shapely.Geometry] = dict(zip(self.frames, coarse[1:], strict=True))
        self._paths: dict[tuple[str, str, Box], plot.Path | None] = {}
        # (scenario id, scale) → the geometries it was made from, and its layers (`scenario`)
        self._scenarios: dict[tuple[str, str], tuple[tuple[Any, ...], dict[str, shapely.Geometry]]] = {}

    def scenario(self, view: Mapping[str, Any], scale: str, *, snapshot_date: str) -> dict[str, shapely.Geometry]:
        """Return a scenario's layers at `scale`, reprojected, clipped and simplified once (every language reuses them).

        `view` is one of `geo.build.scenario_views`.  The layers (`SCENARIO_LAYERS`): ``russian`` and
        ``demilitarised`` ground; ``ceded`` (Russian-controlled, not occupied on the line's date) and ``returned``
        (occupied, not Russian-controlled), less the slivers a redraw of the line leaves (`geo.geometry.drop_slivers`,
        the scale's ``slider_change``); ``today``, the line of contact the scenario starts from: the view's ``front``
        (the line of its ``date``); without one, the snapshot's, or the edge of another date's occupied ground away
        from Ukraine's border.
        """
        key = (str(view["scenario_id"]), scale)
        front = view.get("front")
        made_from = (view["russian"], view["demilitarised"], view["occupied"], view["date"] == snapshot_date, front)
        cached = self._scenarios.get(key)
        if cached is not None and all(a is b or a == b for a, b in zip(cached[0], made_from, strict=True)):
            return cached[1]
        russian, demilitarised, occupied = (view[k] for k in ("russian", "demilitarised", "occupied"))
        changes = np.asarray(
            [shapely.difference(russian, occupied), shapely.difference(occupied, russian)], dtype=object
        )
        ceded, returned = geometry.drop_slivers(changes, geometry.SCALES[scale].slider_change)
        line = None if front is None else geometry.line_parts(shapely.get_parts(np.asarray([front], dtype=object)))
        layers = gpd.GeoSeries(
            [russian, demilitarised, ceded, returned, occupied if line is None else line],
            index=[*SCENARIO_LAYERS[:4], "occupied" if line is None else "today"],
            crs=schema.STORAGE_CRS,
        )
        metric = geometry.project(layers, schema.PRINT_CRS, what="scenario")
        if line is None and view["date"] == snapshot_date:
            metric = metric.drop(index="occupied")
        elif line is None:
            edge = shapely.boundary(metric["occupied"])
            metric["occupied"] = shapely.difference(edge, shapely.buffer(shapely.boundary(self._country), BORDER_GAP_M))
            metric = metric.rename(index={"occupied": "today"})
        simple = geometry.simplify(
            geometry.clip(metric, self._print_areas.get(scale)), geometry.SCALES[scale].printed.metres
        )
        shapes: dict[str, shapely.Geometry] = {str(k): g for k, g in simple.items()}
        snapshot_front = self.shape("front", scale)
        if "today" not in shapes and snapshot_front is not None:
            shapes["today"] = snapshot_front
        self._scenarios[key] = (made_from, shapes)
        drawn = f"scenario {key[0]} "
        for stale in [k for k in self._paths if k[0].startswith(drawn) and k[1] == scale]:  # made from other geometry
            del self._paths[stale]
        return shapes

    def shape(self, name: str, scale: str) -> shapely.Geometry | None:
        """Return a simplified layer: ``ukraine``, ``front``, ``contested``, a part, ``base land``, ``base country``."""
        geom: shapely.Geometry | None = self._shapes.get((name, scale))
        return geom

    def in_view(self, name: str, scale: str, view: Box) -> bool:
        """Tell whether a layer has anything inside `view` (metres)."""
        geom = self.shape(name, scale)
        return geom is not None and bool(shapely.intersects(geom, shapely.box(*view)))

    def path(self, name: str, scale: str, clip: Box) -> plot.Path | None:
        """Return a layer clipped to `clip` as a matplotlib path, made once (``regions <level> <prefix>`` too)."""
        key = (name, scale, clip)
        if key not in self._paths:
            self._paths[key] = self._make_path(name, scale, clip)
        return self._paths[key]

    def focus(self, spec: MapRecord) -> shapely.Geometry | None:
        """Return a map's focus region (`geo.catalogue.MapRecord.focus_region`) as drawn, or None if it has none."""
        rid = spec.focus_region
        for level, prefix in spec.printed_levels:
            areas = self._areas.get((level, spec.scale))
            if rid is not None and rid.startswith(prefix) and areas is not None and rid in areas.index:
                geom: shapely.Geometry = areas[rid]
                return geom
        return None

    def _focus_path(self, name: str, scale: str, clip: Box) -> plot.Path | None:
        """Return ``focus <map id>``, the outline of a map's focus region, or ``veil <map id>``, the land outside it."""
        kind, key = name.split(" ", 1)
        focus = self.focus(next(s for s in self.maps if s.id == key))
        if focus is None:
            return None
        if kind == "focus":
            return _path(shapely.clip_by_rect(shapely.boundary(focus), *clip), polygons=False)
        land = [self.shape(n, scale) for n in ("base land", "base country", "ukraine")]
        clipped = shapely.clip_by_rect(np.asarray([g for g in land if g is not None], dtype=object), *clip)
        return _path(shapely.difference(shapely.union_all(clipped), shapely.clip_by_rect(focus, *clip)), polygons=True)

    def _scenario_path(self, name: str, scale: str, clip: Box) -> plot.Path | None:
        """Return ``scenario <id> <layer>``, one of a scenario's layers (made by `scenario` first)."""
        _word, sid, layer = name.split(" ")
        made = self._scenarios.get((sid, scale))
        geom = None if made is None else made[1].get(layer)
        if geom is None:
            return None
        return _path(shapely.clip_by_rect(geom, *clip), polygons=layer != "today")

    def _make_path(self, name: str, scale: str, clip: Box) -> plot.Path | None:
        if name.startswith(("focus ", "veil ")):
            return self._focus_path(name, scale, clip)
        if name.startswith("scenario "):
            return self._scenario_path(name, scale, clip)
        if name.startswith("regions "):
            _word, level, prefix = [*name.split(" "), ""][:3]
            lines = self._outlines.get((level, scale))
            if lines is None:
                return None
            chosen = lines[[rid.startswith(prefix) for rid in lines.index]].to_numpy()
            return _path(shapely.clip_by_rect(chosen, *clip), polygons=False)
        shape = self.shape(name, scale)
        if shape is None:
            return None
        return _path(shapely.clip_by_rect(shape, *clip), polygons=name != "front")


# --- drawing -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedLabel:
    """A label on a drawn map: the record it names, its text, its box and its marker's centre, and its leader.

    Pixels of the figure at its dpi; the leader line is there where the label floats away from its marker
    (`geo.labels.leader`).
    """

    deposit_id: str
    text: str
    box: Box
    anchor: tuple[float, float]
    leader: labels.Segment | None = None


@dataclass
class PrintMap:
    """One drawn figure and what was put on it."""

    figure: plot.Figure
    title: str = ""  # the page's title and subtitle, also the PDF's and the SVG's title and subject
    subject: str = ""
    labels: list[PlacedLabel] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # ids of records whose label found no free place
    legend: list[str] = field(default_factory=list)  # the legend's texts, in order


def _shown(
    geoms: PrintGeometry, spec: MapRecord, points: pd.DataFrame, view: Box, focus: str = "", *, scenario: bool = False
) -> Shown:
    """Tell what a map shows in `view`; a scenario's map draws its own areas and line, none of the snapshot's."""
    inside = points["x"].between(view[0], view[2]) & points["y"].between(view[1], view[3])
    if scenario:
        levels = tuple(level for level, _prefix in spec.printed_levels)
        return Shown(parts=(), contested=False, front=False, levels=levels, points=points[inside.to_numpy()])
    parts = tuple(
        part
        for part in (schema.OCCUPIED_SINCE_2022, schema.OCCUPIED_BEFORE_2022)
        if geoms.in_view(part, spec.scale, view)
    )
    return Shown(
        parts=parts,
        contested=geoms.in_view("contested", spec.scale, view),
        front=geoms.in_view("front", spec.scale, view),
        levels=tuple(level for level, _prefix in spec.printed_levels),
        points=points[inside.to_numpy()],
        focus=focus,
    )


def nice_length_km(width_km: float, share: float = 0.2) -> float:
    """Return a round scale-bar length (1, 2 or 5 times a power of ten, km), at most `share` of `width_km`."""
    target = max(width_km * share, 1e-3)
    power = 10.0 ** math.floor(math.log10(target))
    return max(m * power for m in (1.0, 2.0, 5.0) if m * power <= target)


@dataclass(frozen=True)
class _MapData:
    """What a map draws that no figure size changes: its frame and its located records."""

    spec: MapRecord
    stem: str
    frame: Box  # metres
    points: pd.DataFrame  # id, x, y, group, control_status, name, here (in the map's region), lithium, labelled
    not_drawn: int  # records of the map's area without a known site
    scenario: Mapping[str, Any] | None = None  # one of `geo.build.scenario_views`, on a scenario's map


def _map_data(
    spec: MapRecord, geoms: PrintGeometry, deposits: gpd.GeoDataFrame, metric: np.ndarray, words: Words
) -> _MapData:
    located = deposits["location_known"].astype(bool).to_numpy()
    groups = np.asarray([style.commodity_group(str(p)) for p in deposits["primary_commodity"]], dtype=object)
    if spec.frame == catalogue.LITHIUM:
        frame = geometry.lithium_frame(deposits) or geoms.frames[schema.COUNTRY_ID]
        here = groups == "lithium"
    else:
        frame = geoms.frames[spec.frame]
        here = np.asarray([spec.frame in tuple(ids) for ids in deposits["region_ids"]], dtype=bool)
    names = [words.map_name(row) for row in deposits[["name_en", "name_uk"]].to_dict("records")]
    points = pd.DataFrame(
        {
            "id": deposits.index.astype(str).to_numpy(),
            "x": shapely.get_x(metric),  # NaN where a record has no point
            "y": shapely.get_y(metric),
            "group": groups,
            "control_status": deposits["control_status"].astype(str).to_numpy(),
            "name": names,
            "here": here,
        }
    )[located]
    if spec.groups:
        points = points[points["group"].isin(spec.groups)]
    points = points.assign(lithium=points["group"] == "lithium").reset_index(drop=True)
    points = points.assign(labelled=points["lithium"] | spec.label_all)
    return _MapData(spec, spec.id, frame, points, int((here & ~located).sum()))


def _scenario_data(data: _MapData, view: Mapping[str, Any]) -> _MapData:
    """Return a map's data under a scenario: each record's control under it (labelled as on the map without one).

    The records that change hands are not labelled as well: most are coal mines of the dense Donbas, whose labels
    would float across the country on leader lines.
    """
    control = pd.Series(view["control"], dtype=object)
    points = data.points.assign(
        control_status=[str(control.get(rid, schema.UNKNOWN)) for rid in data.points["id"]],
    )
    stem = f"{catalogue.SCENARIO_PRINT_PREFIX}{view['scenario_id']}"
    return dataclasses.replace(data, stem=stem, points=points, scenario=view)


#: One named layer of a map: its SVG group id, its z-order and what it draws (`_add`).
_Layer = tuple[str, float, list[plot.Artist]]


class _PathSource(Protocol):
    """Where a map's occupied areas, grey zone and line of contact come from: the snapshot's, or a date's."""

    def path(self, name: str, scale: str, clip: Box) -> plot.Path | None:
        """Return a layer (a part, ``contested`` or ``front``) clipped to `clip` as a matplotlib path."""
        ...


def _add(axes: plot.Axes, layers: Sequence[_Layer]) -> None:
    """Add `layers` to the map in order, each a group clipped to it (an empty one adds nothing)."""
    for gid, zorder, artists in layers:
        plot.group(axes, gid, artists, zorder=zorder, clip=True)


def _patch(
    source: _PathSource, name: str, scale: str, clip: Box, gid: str | None = None, **kwargs: Any
) -> list[plot.Artist]:
    path = source.path(name, scale, clip)
    if path is None:
        return []
    item = plot.PathPatch(path, **kwargs)
    if gid:
        item.set_gid(gid)
    return [item]


def _base_map(geoms: PrintGeometry, *, spec: MapRecord, clip: Box, scale: float) -> list[_Layer]:
    """Return the base map: land, neighbouring countries and Ukraine."""
    px = PT_PER_PX * scale
    country_colour, country_width = style.LEVEL_STYLE["country"]
    base = [
        *_patch(geoms, "base land", spec.scale, clip, facecolor=style.LAND_COLOUR, edgecolor="none", linewidth=0),
        *_patch(
            geoms,
            "base country",
            spec.scale,
            clip,
            facecolor=style.LAND_COLOUR,
            edgecolor=style.BORDER_COLOUR,
            linewidth=0.8 * px,
        ),
        *_patch(
            geoms,
            "ukraine",
            spec.scale,
            clip,
            facecolor=style.UKRAINE_FILL,
            edgecolor=country_colour,
            linewidth=country_width * px,
        ),
    ]
    return [("base", 1, base)]


def _occupation(
    source: _PathSource, *, spec: MapRecord, parts: Collection[str], contested: bool, clip: Box, scale: float
) -> list[_Layer]:
    """Return the occupied areas (the `parts` drawn) and, if `contested`, the grey zone."""
    px = PT_PER_PX * scale
    occupation: list[plot.Artist] = []
    for part, colour in (
        (schema.OCCUPIED_BEFORE_2022, style.OCCUPIED_BEFORE_2022_COLOUR),
        (schema.OCCUPIED_SINCE_2022, style.OCCUPIED_SINCE_2022_COLOUR),
    ):
        if part in parts:
            face = rgba(colour, style.OCCUPATION_OPACITY)
            occupation += _patch(
                source, part, spec.scale, clip, part, facecolor=face, edgecolor=colour, linewidth=0.6 * px
            )
    layers: list[_Layer] = [("occupation", 2, occupation)]
    if contested:
        grey = _patch(
            source,
            "contested",
            spec.scale,
            clip,
            facecolor="none",
            edgecolor=style.CONTESTED_COLOUR,
            hatch="/////",
            linewidth=0.8 * px,
        )
        layers.append(("grey-zone", 2.5, grey))
    return layers


def _outlines(geoms: PrintGeometry, *, spec: MapRecord, clip: Box, scale: float) -> list[_Layer]:
    """Return the region outlines and, on a map with a focus region, the veil outside it and its outline."""
    px = PT_PER_PX * scale
    outlines: list[plot.Artist] = []
    for level, prefix in sorted(spec.printed_levels, key=lambda lp: DRAW_ORDER.index(lp[0])):
        colour, width = style.LEVEL_STYLE[level]
        name = f"regions {level} {prefix}".rstrip()
        outlines += _patch(
            geoms, name, spec.scale, clip, f"regions-{level}", facecolor="none", edgecolor=colour, linewidth=width * px
        )
    layers: list[_Layer] = [("regions", 3, outlines)]
    if spec.focus_region is not None:  # over the other outlines, under the line of contact and the records
        veil_colour, veil_opacity = style.OUTSIDE_FOCUS_VEIL
        veil = _patch(
            geoms,
            f"veil {spec.id}",
            spec.scale,
            clip,
            facecolor=rgba(veil_colour, veil_opacity),
            edgecolor="none",
            linewidth=0,
        )
        focus_colour, focus_width = style.FOCUS_OUTLINE
        outline = _patch(
            geoms,
            f"focus {spec.id}",
            spec.scale,
            clip,
            facecolor="none",
            edgecolor=focus_colour,
            linewidth=focus_width * px,
        )
        layers += [("focus-veil", 3.5, veil), ("focus", 3.6, outline)]
    return layers


def _front(source: _PathSource, *, spec: MapRecord, clip: Box, scale: float) -> list[_Layer]:
    """Return the line of contact."""
    px = PT_PER_PX * scale
    line = _patch(
        source,
        "front",
        spec.scale,
        clip,
        facecolor="none",
        edgecolor=style.FRONT_COLOUR,
        linewidth=2.2 * px,
        capstyle="round",
    )
    return [("front", 4, line)]


def _scenario_layers(
    axes: plot.Axes, geoms: PrintGeometry, *, spec: MapRecord, sid: str, clip: Box, scale: float
) -> None:
    """Draw a scenario's Russian-controlled and demilitarised ground, what changes hands and the line it starts from."""
    px = PT_PER_PX * scale

    def patch(layer: str, **kwargs: Any) -> list[plot.Artist]:
        path = geoms.path(f"scenario {sid} {layer}", spec.scale, clip)
        if path is None:
            return []
        item = plot.PathPatch(path, **kwargs)
        item.set_gid(f"scenario-{layer}")
        return [item]

    russian, dmz = style.SCENARIO_RUSSIAN_COLOUR, style.DEMILITARISED_COLOUR
    areas = [
        *patch("russian", facecolor=rgba(russian, style.OCCUPATION_OPACITY), edgecolor=russian, linewidth=0.6 * px),
        *patch(
            "demilitarised",
            facecolor=rgba(dmz, style.DEMILITARISED_OPACITY),
            edgecolor=dmz,
            linewidth=0.6 * px,
            hatch=style.DEMILITARISED_HATCH,
            **hatch_colour(dmz),
        ),
    ]
    plot.group(axes, "scenario", areas, zorder=2, clip=True)
    changes = [
        item
        for layer, colour in (("ceded", style.CEDED_COLOUR), ("returned", style.RETURNED_COLOUR))
        for item in patch(
            layer, facecolor="none", edgecolor=colour, linewidth=CHANGE_OUTLINE_PX * px, joinstyle="round"
        )
    ]
    plot.group(axes, "changes-hands", changes, zorder=3.7, clip=True)  # over the region outlines
    dashes = (0.0, tuple(float(v) * px for v in style.TODAYS_LINE_DASH.split()))
    line = patch(
        "today", facecolor="none", edgecolor=style.FRONT_COLOUR, linewidth=TODAYS_LINE_PX * px, linestyle=dashes
    )
    plot.group(axes, "todays-line", line, zorder=4, clip=True)


def scenario_entries(words: Words, shown: Shown, not_drawn: int, *, layers: Collection[str], date: str) -> list[Entry]:
    """List what a scenario's map draws: its `layers` in view, the region levels, the groups, control by the scenario."""
    styles = {
        "russian": Entry(words("print.scenario.russian"), "fill", style.SCENARIO_RUSSIAN_COLOUR),
        "demilitarised": Entry(
            words("print.scenario.demilitarised"),
            "fill",
            style.DEMILITARISED_COLOUR,
            opacity=style.DEMILITARISED_OPACITY,
            hatch=style.DEMILITARISED_HATCH,
        ),
        "ceded": Entry(words("print.scenario.ceded"), "outline", style.CEDED_COLOUR, CHANGE_OUTLINE_PX),
        "returned": Entry(words("print.scenario.returned"), "outline", style.RETURNED_COLOUR, CHANGE_OUTLINE_PX),
        "today": Entry(
            words("print.scenario.front", date=date),
            "line",
            style.FRONT_COLOUR,
            TODAYS_LINE_PX,
            dash=style.TODAYS_LINE_DASH,
        ),
    }
    entries = [styles[layer] for layer in SCENARIO_LAYERS if layer in layers]
    # the region levels and the commodity groups as on every map (no control statuses: the scenario's follow)
    entries += legend_entries(words, dataclasses.replace(shown, points=shown.points.assign(control_status="")), 0)
    statuses = set(shown.points["control_status"])
    controls = [
        (words("control.held_by_ukraine"), schema.HELD),
        (words("print.scenario.control.russian_controlled"), schema.RUSSIAN_CONTROLLED),
        (words("print.scenario.control.demilitarised"), schema.DEMILITARISED),
        (words("control.unknown"), schema.UNKNOWN),
    ]
    if statuses & {status for _t, status in controls}:
        entries.append(Entry(words("print.scenario.control"), "heading"))
        entries += [
            Entry(text, "marker", style.LEGEND_MARKER_FILL, status=status)
            for text, status in controls
            if status in statuses
        ]
    if not_drawn:
        entries.append(Entry(words("print.not_drawn", count=words.number(not_drawn, 0)), "note"))
    return entries


def fit_title(title: str, layout: Layout, *, lines: int = TITLE_LINES) -> Layout:
    """Return `layout` with a title size at which `title` takes at most `lines` lines (a scenario's name is long).

    The size shrinks down to `TITLE_MIN_SHARE` of the layout's; a title longer than that still wraps onto more lines.
    """
    width_pt = (layout.width_in - 2 * layout.margin_in) * 72
    size = layout.title_pt
    while size * 0.93 >= layout.title_pt * TITLE_MIN_SHARE:
        if wrap_text(title, width_pt, size).count("\n") < lines:
            break
        size *= 0.93
    return dataclasses.replace(layout, title_pt=size)


def scenario_words(view: Mapping[str, Any], words: Words, *, credit: str) -> tuple[str, str, str]:
    """Return a scenario map's title (its name), subtitle (its Russian-controlled share, km², date) and footer.

    The footer is the scenario's source line (when it was proposed, the source's domain) over the credits line;
    `credit` names the source of the line the scenario starts from (data: made one clean line here).
    """
    credit = cut(clean_text(credit), CREDIT_MAX_CHARS)
    name = words.names({"name_en": view.get("name_en"), "name_uk": view.get("name_uk")})[0]
    title = cut(clean_text(name or view["scenario_id"]), SCENARIO_NAME_MAX_CHARS)
    country: Mapping[str, Any] = next((r for r in view["regions"] if r["region_id"] == schema.COUNTRY_ID), {})
    both = country.get("russian_or_demilitarised_share")
    with_dmz = ""
    if float(country.get("demilitarised_km2") or 0.0) > 0 and both is not None:
        with_dmz = f"; {words('print.scenario.with_dmz', share=words.share(both, 1))}"
    subtitle = words(
        "print.scenario.subtitle",
        share=words.share(country.get("russian_controlled_share"), 1),
        with_dmz=with_dmz,
        km2=words.number(country.get("russian_controlled_km2"), 0),
        demilitarised=words.number(country.get("demilitarised_km2", 0.0), 0),
        date=clean_text(view["date"]),
        credit=credit,
    )
    depths = view.get("dmz_depths_km") or ()
    if depths:
        km = ", ".join(words.figure(d) for d in depths)
        subtitle = f"{subtitle}. {words('print.scenario.dmz_depth', km=km)}"
    try:
        domain = (urlsplit(str(view.get("source_url") or "")).hostname or "").removeprefix("www.")
    except ValueError:  # a malformed address names no domain
        domain = ""
    proposed = cut(clean_text(view.get("proposed") or ""), 20)
    if view.get("drawn"):
        source = words("print.scenario.drawn")
    elif proposed or domain:
        source = words(
            "print.scenario.source", proposed=proposed or "—", source=cut(clean_text(domain), NAME_MAX_CHARS) or "—"
        )
    else:
        source = ""
    credits = words("credits", credits=style.credits_line(credit))
    return title, subtitle, f"{source}\n{credits}" if source else credits


def _deposit_layer(axes: plot.Axes, points: pd.DataFrame, layout: Layout) -> _Layer:
    """Return the records by commodity group, lithium last (on top); occupied ones last within a group."""
    order = [key for key, *_r in style.COMMODITY_GROUPS if key != "lithium"] + ["lithium"]
    layers: list[plot.Artist] = []
    for key in order:
        rows = points[points["group"] == key]
        if rows.empty:
            continue
        rows = rows.assign(rank=rows["control_status"].isin(RUSSIAN_STATUSES))
        rows = rows.sort_values(["rank", "id"], kind="stable")
        collection = markers(
            style.GROUP_SHAPES[key],
            rows[["x", "y"]].to_numpy(),
            fill=style.group_colour(key),
            statuses=list(rows["control_status"]),
            diameter_pt=marker_diameter(key, layout),
            transform=axes.transData,
            scale=layout.symbol_scale,
        )
        collection.set_gid(f"deposits-{key}")
        layers.append(collection)
    return ("deposits", 6, layers)


def _corner(view: Box, size: tuple[float, float], points: pd.DataFrame, **kwargs: Any) -> Box:
    """Place a box over the fewest records in view (`geo.labels.place_box`), a lithium site counting as ten."""
    xy = points[["x", "y"]].to_numpy(dtype=float).reshape(-1, 2)
    weights = np.where(points["lithium"].to_numpy(dtype=bool), 10, 1)
    return labels.place_box(view, size, xy, weights, **kwargs)


def _scale_bar(
    axes: plot.Axes, view: Box, *, metres_per_pt: float, points: pd.DataFrame, layout: Layout, words: Words
) -> Box:
    """Draw a scale bar in km in a lower corner of the map (the one that hides fewer records); return its box (metres)."""
    figure = plot.figure_of(axes)
    length_km = nice_length_km((view[2] - view[0]) / 1000.0)
    pad = 5.0 * metres_per_pt
    bar_w, bar_h = length_km * 1000.0, 2.2 * layout.symbol_scale * metres_per_pt
    label = plot.text(
        figure,
        0,
        0,
        f"{words.number(length_km, 0 if length_km >= 1 else 1)} {words('unit.km')}",
        transform=axes.transData,
        ha="center",
        va="bottom",
        fontsize=layout.legend_pt,
    )
    text_w, text_h = (v * 72 * metres_per_pt for v in plot.extent(label))
    box_w, box_h = max(bar_w, text_w) + 2 * pad, bar_h + text_h + 1.5 * metres_per_pt + 1.6 * pad
    corners = ("bl", "br", "bc", "tl", "tr")
    reach = marker_diameter("lithium", layout) / 2 * metres_per_pt
    box_x, box_y, _x1, _y1 = _corner(view, (box_w, box_h), points, margin=1.4 * pad, corners=corners, reach=reach)
    bar_x, bar_y = box_x + (box_w - bar_w) / 2, box_y + 0.7 * pad
    label.set_position((bar_x + bar_w / 2, bar_y + bar_h + 1.5 * metres_per_pt))
    artists: list[plot.Artist] = [
        plot.Rectangle((box_x, box_y), box_w, box_h, facecolor="white", edgecolor="none", alpha=0.85),
        plot.Rectangle((bar_x, bar_y), bar_w / 2, bar_h, facecolor="black", edgecolor="black", linewidth=0.5),
        plot.Rectangle(
            (bar_x + bar_w / 2, bar_y), bar_w / 2, bar_h, facecolor="white", edgecolor="black", linewidth=0.5
        ),
        label,
    ]
    plot.group(axes, "scale-bar", artists, zorder=8)
    return (box_x, box_y, box_x + box_w, box_y + box_h)


def _labels(
    axes: plot.Axes, points: pd.DataFrame, obstacles: list[Box], layout: Layout
) -> tuple[list[PlacedLabel], list[str]]:
    """Label the lithium sites (and every named record on a regional map) where each fits; return placed, skipped."""
    figure = plot.figure_of(axes)
    dpi = layout.dpi
    to_px = axes.transData.transform
    chosen = points[points["labelled"] & (points["name"].str.strip() != "")]
    ranked = chosen.assign(
        rank=[LABEL_FIRST.index(g) if g in LABEL_FIRST else len(LABEL_FIRST) for g in chosen["group"]],
        away=~chosen["here"],
        held=~chosen["control_status"].isin(RUSSIAN_STATUSES),
    ).sort_values(["rank", "away", "held", "id"], kind="stable")
    blocked = list(obstacles)
    if len(points):
        for (x, y), group in zip(to_px(points[["x", "y"]].to_numpy()), points["group"], strict=True):
            r = marker_diameter(str(group), layout) / 2 * dpi / 72
            blocked.append((float(x) - r, float(y) - r, float(x) + r, float(y) + r))
    pad = LABEL_PAD_PT * dpi / 72
    ids = [str(v) for v in ranked["id"]]
    where = ranked[["x", "y"]].to_numpy(dtype=float)
    texts = [label_text(name) for name in ranked["name"]]
    sizes, anchors, gaps = [], [], []
    for text, (x, y), group in zip(texts, to_px(where) if len(where) else where, ranked["group"], strict=True):
        w, h = plot.extent(plot.text(figure, 0, 0, text, fontsize=layout.label_pt, linespacing=1.05))
        sizes.append((w * dpi + 2 * pad, h * dpi + 2 * pad))
        anchors.append((float(x), float(y)))
        gaps.append((marker_diameter(str(group), layout) / 2 + 1.0) * dpi / 72)
    frame = axes.get_window_extent(plot.measurer(dpi))
    bounds = (frame.x0 + 1, frame.y0 + 1, frame.x1 - 1, frame.y1 - 1)
    must = [str(g) in LABEL_FIRST for g in ranked["group"]]
    boxes = labels.place_labels(anchors, sizes, gaps, obstacles=blocked, bounds=bounds, must=must)
    artists: list[plot.Artist] = []
    ties: list[plot.Artist] = []
    placed: list[PlacedLabel] = []
    skipped: list[str] = []
    backdrop = {"facecolor": "white", "edgecolor": "none", "alpha": LABEL_BOX_ALPHA}
    to_data = axes.transData.inverted().transform
    colour, width = style.LABEL_LEADER
    for rid, (x, y), text, anchor, gap, box in zip(ids, where, texts, anchors, gaps, boxes, strict=True):
        if box is None:
            skipped.append(rid)
            continue
        offset = plot.ScaledTranslation(
            (box[0] + pad - anchor[0]) / dpi, (box[1] + pad - anchor[1]) / dpi, figure.dpi_scale_trans
        )
        item = plot.text(
            figure,
            float(x),
            float(y),
            text,
            transform=axes.transData + offset,
            fontsize=layout.label_pt,
            linespacing=1.05,
            ha="left",
            va="bottom",
            bbox={"boxstyle": f"square,pad={LABEL_PAD_PT / layout.label_pt:.4f}", **backdrop},
        )
        artists.append(item)
        tie = labels.leader(anchor, box, gap)
        if tie is not None:
            (x0, y0), (x1, y1) = to_data([tie[0], tie[1]])
            line = plot.Line2D([x0, x1], [y0, y1], color=colour, linewidth=width * PT_PER_PX * layout.symbol_scale)
            line.set_solid_capstyle("round")
            ties.append(line)
        placed.append(PlacedLabel(rid, text, box, anchor, tie))
    plot.group(axes, "leaders", ties, zorder=6.5)
    plot.group(axes, "labels", artists, zorder=7)
    return placed, skipped


def _locator(
    figure: plot.Figure,
    geoms: PrintGeometry,
    *,
    spec: MapRecord,
    view: Box,
    box: Box,
    layout: Layout,
    inset: bool = False,
) -> plot.Axes:
    """Draw a small map of Ukraine in `box` (inches), the mapped region filled and the map's frame outlined.

    An inset (over the map) gets a white, framed background.  Returns its axes.
    """
    W, H = layout.width_in, layout.height_in  # noqa: N806
    aspect = (box[2] - box[0]) / (box[3] - box[1])
    cx0, cy0, cx1, cy1 = (float(v) for v in shapely.bounds(geoms.locator_country))
    extent = geometry.widen(
        (min(cx0, view[0]), min(cy0, view[1]), max(cx1, view[2]), max(cy1, view[3])), aspect, margin=0.03
    )
    axes = figure.add_axes((box[0] / W, box[1] / H, (box[2] - box[0]) / W, (box[3] - box[1]) / H))
    axes.set_gid("locator")
    axes.set_xlim(extent[0], extent[2])
    axes.set_ylim(extent[1], extent[3])
    axes.set_autoscale_on(False)
    axes.set_zorder(1)
    if inset:
        axes.set_xticks([])
        axes.set_yticks([])
        axes.patch.set_alpha(0.9)
        for spine in axes.spines.values():
            spine.set_linewidth(0.5)
            spine.set_edgecolor("#888888")
    else:
        axes.set_axis_off()
    s = layout.symbol_scale
    artists: list[plot.Artist] = []
    country = _path(geoms.locator_country, polygons=True)
    if country is not None:
        artists.append(
            plot.PathPatch(country, facecolor=style.LOCATOR_FILL, edgecolor=style.LOCATOR_EDGE, linewidth=0.4 * s)
        )
    region = geoms.locator_regions.get(spec.frame) if spec.frame != schema.COUNTRY_ID else None
    highlight = None if region is None else _path(region, polygons=True)
    if highlight is not None:
        artists.append(
            plot.PathPatch(highlight, facecolor=style.FOCUS_COLOUR, edgecolor=style.FOCUS_COLOUR, linewidth=0.3 * s)
        )
    frame = plot.Rectangle((view[0], view[1]), view[2] - view[0], view[3] - view[1], facecolor="none")
    frame.set_edgecolor(style.FOCUS_COLOUR)
    frame.set_linewidth(0.8 * s)
    artists.append(frame)
    plot.group(axes, "locator-map", artists, zorder=2, clip=True)
    return axes


def _map_axes(figure: plot.Figure, box: Box, view: Box, layout: Layout) -> plot.Axes:
    W, H = layout.width_in, layout.height_in  # noqa: N806
    axes = figure.add_axes((box[0] / W, box[1] / H, (box[2] - box[0]) / W, (box[3] - box[1]) / H))
    axes.set_gid("map")
    axes.set_xlim(view[0], view[2])
    axes.set_ylim(view[1], view[3])
    axes.set_autoscale_on(False)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_facecolor(style.SEA_COLOUR)
    axes.patch.set_gid("sea")
    for spine in axes.spines.values():
        spine.set_linewidth(0.5)
        spine.set_edgecolor("#888888")
    return axes


def _draw(
    geoms: PrintGeometry,
    data: _MapData,
    layout: Layout,
    *,
    regions: gpd.GeoDataFrame,
    snapshot_date: str,
    words: Words,
    credit: str,
    dated_credits: Mapping[str, str] | None = None,
) -> PrintMap:
    """Draw one map at one figure size; `credit` names the snapshot's source, `dated_credits` other dates'."""
    spec, scenario = data.spec, data.scenario
    figure = plot.Figure(figsize=(layout.width_in, layout.height_in), dpi=layout.dpi, facecolor="white")
    if scenario is None:
        title, subtitle, credits = page_words(spec, words, regions=regions, snapshot_date=snapshot_date, credit=credit)
        bottom, top = draw_page(figure, layout, title, subtitle, credits)
    else:
        line_credit = (
            credit if scenario["date"] == snapshot_date else (dated_credits or {}).get(scenario["date"], credit)
        )
        title, subtitle, credits = scenario_words(scenario, words, credit=line_credit)
        bottom, top = draw_page(figure, fit_title(title, layout), title, subtitle, credits)
    arranged = _arrange(
        figure,
        geoms,
        data,
        layout,
        words,
        band=(bottom, top),
        focus=_focus_name(geoms, spec, regions, words),
        snapshot_date=snapshot_date,
    )
    draw_legend(figure, arranged.plan, (arranged.panel[0], arranged.panel[3]), layout)
    drawn = _draw_map(figure, geoms, data, layout, arranged, words=words)
    return PrintMap(figure, title, subtitle, drawn.placed, drawn.skipped, [e.text for e in arranged.entries])


def _focus_name(geoms: PrintGeometry, spec: MapRecord, regions: pd.DataFrame, words: Words) -> str:
    """Return the name of the region a map highlights, as its legend names it ("" where it highlights none)."""
    if spec.focus_region is None or geoms.focus(spec) is None:
        return ""
    return cut(clean_text(words.names(regions.loc[spec.focus_region].to_dict())[0]), NAME_MAX_CHARS)


@dataclass(frozen=True)
class _MapDrawn:
    """A map drawn on its figure: its axes, the box its layers are clipped to, its labels and its inset locator."""

    axes: plot.Axes
    clip: Box  # metres
    placed: list[PlacedLabel]
    skipped: list[str]
    inset: plot.Axes | None  # the locator over the map (a bottom panel's), if any
    stamp: Box | None  # the date stamp's box (metres), on a frame


#: Where a frame's date stamp may go, in order of preference (`geo.labels.place_box`).
STAMP_CORNERS: Final = ("tl", "tr", "bl", "br", "tc", "bc")


def _draw_map(
    figure: plot.Figure,
    geoms: PrintGeometry,
    data: _MapData,
    layout: Layout,
    arranged: _Arranged,
    *,
    words: Words,
    stamp: tuple[float, float] | None = None,
) -> _MapDrawn:
    """Draw the map, its scale bar, its locator and its labels.

    A static map draws the snapshot's occupied areas, grey zone, line of contact and records.  An animation's frame
    (`stamp`: the size of its date stamp, inches) leaves those out, as `FrameMaker` draws them for each date, and
    keeps a box (white, under the labels' rule) for the date stamp in the corner that hides the fewest records.
    """
    spec, scenario = data.spec, data.scenario
    view, map_box, shown = arranged.view, arranged.map_box, arranged.shown
    clip = geometry.clip_box(data.frame)  # the same for every figure size of a map, so that they share its paths
    if not labels.inside(view, clip):  # a figure far wider (or taller) than its frame region
        clip = geometry.union_boxes(clip, view)
    axes = _map_axes(figure, map_box, view, layout)
    s = layout.symbol_scale
    layers = _base_map(geoms, spec=spec, clip=clip, scale=s)
    if stamp is None:
        layers += _occupation(geoms, spec=spec, parts=shown.parts, contested=shown.contested, clip=clip, scale=s)
    layers += _outlines(geoms, spec=spec, clip=clip, scale=s)
    if stamp is None and shown.front:
        layers += _front(geoms, spec=spec, clip=clip, scale=s)
    _add(axes, layers)
    if scenario is not None:
        sid = str(scenario["scenario_id"])
        _scenario_layers(axes, geoms, spec=spec, sid=sid, clip=clip, scale=s)
    if stamp is None:
        _add(axes, [_deposit_layer(axes, shown.points, layout)])
    metres_per_pt = (view[2] - view[0]) / ((map_box[2] - map_box[0]) * 72)
    scale_bar = _scale_bar(axes, view, metres_per_pt=metres_per_pt, points=shown.points, layout=layout, words=words)
    to_px = axes.transData.transform
    obstacles = [_px_box(to_px, scale_bar)]
    avoid = [scale_bar]
    reach = marker_diameter("lithium", layout) / 2 * metres_per_pt
    inset_axes = None
    if arranged.locator is not None:
        _locator(figure, geoms, spec=spec, view=view, box=arranged.locator, layout=layout)
    elif spec.locator:  # an inset, in the map corner that hides the fewest records
        size = (layout.locator_in * 72 * metres_per_pt, layout.locator_in * 0.72 * 72 * metres_per_pt)
        inset = _corner(
            view,
            size,
            shown.points,
            margin=(view[2] - view[0]) * 0.01,
            corners=("tr", "tl", "br", "bl"),
            frame=data.frame,
            avoid=scale_bar,
            reach=reach,
        )
        obstacles.append(_px_box(to_px, inset))
        avoid.append(inset)
        (x0, y0), (x1, y1) = figure.dpi_scale_trans.inverted().transform(to_px([inset[:2], inset[2:]]))
        box = (float(x0), float(y0), float(x1), float(y1))
        inset_axes = _locator(figure, geoms, spec=spec, view=view, box=box, layout=layout, inset=True)
    stamp_box = None
    if stamp is not None:
        size = (stamp[0] * 72 * metres_per_pt, stamp[1] * 72 * metres_per_pt)
        margin = (view[2] - view[0]) * 0.01
        xy = shown.points[["x", "y"]].to_numpy(dtype=float).reshape(-1, 2)
        weights = np.where(shown.points["lithium"].to_numpy(dtype=bool), 10, 1)

        def box_at(corner: str) -> Box:
            return labels.place_box(view, size, xy, weights, margin=margin, corners=(corner,))

        free = [c for c in STAMP_CORNERS if not any(labels.overlaps(box_at(c), other) for other in avoid)]
        stamp_box = _corner(
            view, size, shown.points, margin=margin, corners=free or STAMP_CORNERS[:1], frame=data.frame, reach=reach
        )
        obstacles.append(_px_box(to_px, stamp_box))
        backdrop = plot.Rectangle(
            stamp_box[:2],
            stamp_box[2] - stamp_box[0],
            stamp_box[3] - stamp_box[1],
            facecolor="white",
            edgecolor="none",
            alpha=STAMP_ALPHA,
        )
        plot.group(axes, "date-stamp", [backdrop], zorder=8)
    placed, skipped = _labels(axes, shown.points, obstacles, layout)
    return _MapDrawn(axes, clip, placed, skipped, inset_axes, stamp_box)


@dataclass(frozen=True)
class _Arranged:
    """Where a figure's parts go (inches) and what its map shows."""

    map_box: Box
    panel: Box
    locator: Box | None  # the locator's box in the panel; None for an inset (or none)
    view: Box  # metres
    shown: Shown
    entries: list[Entry]
    plan: LegendPlan


def _arrange(
    figure: plot.Figure,
    geoms: PrintGeometry,
    data: _MapData,
    layout: Layout,
    words: Words,
    *,
    band: tuple[float, float],
    focus: str = "",
    snapshot_date: str = "",
    legend: Callable[[Shown], Shown] | None = None,
) -> _Arranged:
    """Divide the band between the title and the credits into the map and the panel, and plan the legend.

    Beside the map, the panel has the legend on top and the locator under it;
    under the map, the legend takes the height it needs and the map the rest.
    The legend lists what the map shows in its view, or what `legend` makes of that (an animation's: every date's).
    """
    W, m, gap = layout.width_in, layout.margin_in, 0.12  # noqa: N806
    bottom, top = band
    margin = FRAME_MARGIN if data.spec.frame != catalogue.LITHIUM else 0.0

    def boxes(panel_in: float) -> tuple[Box, Box]:
        """Return the map's box and the panel's."""
        if layout.panel == "right":
            return (m, bottom, W - m - panel_in - gap, top), (W - m - panel_in, bottom, W - m, top)
        return (m, bottom + panel_in + gap, W - m, top), (m, bottom, W - m, bottom + panel_in)

    def view_of(box: Box) -> Box:
        return geometry.widen(data.frame, (box[2] - box[0]) / (box[3] - box[1]), margin=margin)

    scenario = data.scenario
    if scenario is not None:  # its layers are made once, before the first figure asks what is in view
        layers = geoms.scenario(scenario, data.spec.scale, snapshot_date=snapshot_date)

    def shown_in(view: Box) -> tuple[Shown, list[Entry]]:
        shown = _shown(geoms, data.spec, data.points, view, focus, scenario=scenario is not None)
        if scenario is None:
            return shown, legend_entries(words, shown if legend is None else legend(shown), data.not_drawn)
        box = shapely.box(*view)
        drawn = [k for k in SCENARIO_LAYERS if layers.get(k) is not None and shapely.intersects(layers[k], box)]
        date = clean_text(scenario["date"])
        return shown, scenario_entries(words, shown, data.not_drawn, layers=drawn, date=date)

    map_box, panel = boxes(layout.panel_in)
    shown, entries = shown_in(view_of(map_box))
    locator = None
    legend_h = panel[3] - panel[1]
    if data.spec.locator and layout.panel == "right":
        side = min(panel[2] - panel[0], (panel[3] - panel[1]) * 0.38)
        locator = (panel[0], panel[1], panel[2], panel[1] + side)
        legend_h -= side + gap
    plan = plan_legend(figure, entries, panel[2] - panel[0], legend_h, layout)
    if layout.panel == "bottom":
        map_box, panel = boxes(min(plan.height_in, layout.panel_in))
        shown, final = shown_in(view_of(map_box))
        if final != entries:  # the map's final frame shows more or less than the first guess
            entries = final
            plan = plan_legend(figure, entries, panel[2] - panel[0], panel[3] - panel[1], layout)
    return _Arranged(map_box, panel, locator, view_of(map_box), shown, entries, plan)


def _px_box(to_px: Callable[[Any], np.ndarray], box: Box) -> Box:
    (x0, y0), (x1, y1) = to_px([box[:2], box[2:]])
    return (float(x0), float(y0), float(x1), float(y1))


def draw_print_map(
    geoms: PrintGeometry,
    key: str,
    *,
    layout: str,
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    snapshot_date: str,
    words: Words,
    scenario: Mapping[str, Any] | None = None,
    credit: str,
    dated_credits: Mapping[str, str] | None = None,
) -> PrintMap:
    """Draw one static map (`key`: the id of one of `geoms.maps`) at one figure size (`layout`, a key of `geo.page.LAYOUTS`).

    Call it inside `print_style`, as `render_print_maps` does, for the fonts and the fixed output settings.  The
    scenarios record (`geo.catalogue.MapRecord.scenarios`) is drawn under `scenario` (one of
    `geo.build.scenario_views`).

    Returns
    -------
    PrintMap
        The figure, the labels placed (boxes in pixels of the figure at its dpi) and the ids of those skipped.
    """
    spec = next(s for s in geoms.maps if s.id == key)
    metric = geometry.project(deposits.geometry, schema.PRINT_CRS, what="deposits").to_numpy()
    data = _map_data(spec, geoms, deposits, metric, words)
    if spec.scenarios and scenario is not None:
        data = _scenario_data(data, scenario)
    return _draw(
        geoms,
        data,
        LAYOUTS[layout],
        regions=regions,
        snapshot_date=snapshot_date,
        words=words,
        credit=credit,
        dated_credits=dated_credits,
    )


# --- output --------------------------------------------------------------------------


@contextmanager
def print_style() -> Iterator[None]:
    """Apply the static maps' matplotlib settings, starting from matplotlib's defaults, and restore them after.

    All text is DejaVu Sans in one weight (regular; the titles are larger, not bold): each PDF then embeds two
    subsets of one font file (Latin-1 and the rest) rather than four, and subsetting fonts is most of a PDF's cost.
    """
    with plot.settings(
        {
            "font.family": "DejaVu Sans",
            "text.hinting": "no_hinting",  # a third faster to draw, and the PNGs are at twice screen density
            "text.usetex": False,
            "text.parse_math": False,
            "svg.fonttype": "none",
            "svg.hashsalt": SVG_HASHSALT,
            "pdf.fonttype": 42,
            "hatch.linewidth": 0.5,
            "hatch.color": style.CONTESTED_COLOUR,
            "lines.scale_dashes": False,
            "path.simplify": True,
        }
    ):
        yield


def render_print_maps(
    geoms: PrintGeometry,
    *,
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    snapshot_date: str,
    words: Words,
    keys: Sequence[str] | None = None,
    on_map: Callable[[str, str, PrintMap], None] | None = None,
    scenarios: Sequence[Mapping[str, Any]] = (),
    credit: str,
    dated_credits: Mapping[str, str] | None = None,
) -> dict[str, bytes]:
    """Render the static maps in one language: a web PNG, a social card, an SVG and an A4 PDF per map.

    Parameters
    ----------
    geoms
        Built once per build from the same layers.
    regions
        Indexed by region id (the country row included); ``name_en``, ``name_uk``, ``occupied_share``.
    deposits
        Indexed by id, in `geo.schema.STORAGE_CRS`; ``name_en``, ``name_uk``, ``primary_commodity``,
        ``commodity_list``, ``control_status``, ``location_known``, ``region_ids``.  Records without a known
        site are not drawn (the legend counts them).
    snapshot_date
        The occupation snapshot's date: the one date the files carry.
    words
        The language's catalogue (`geo.i18n.words`); names come from its ``name_<lang>`` column, else ``name_en``.
    credit
        The source of the snapshot's occupied areas (`geo.sources.occupation_credit`): in each subtitle and credits
        line, as text (never mathtext).
    dated_credits
        Date → the source of that date's line, for a scenario that starts from another date's (`credit` if absent).
    keys
        The ids of the maps to draw (of `geoms.maps`); all of them by default.
    on_map
        Called with (key, layout name, drawn map) once each figure is saved; the key is the map's id, or a
        scenario's file stem (``scenario_<scenario_id>``).
    scenarios
        `geo.build.scenario_views`, in order: the scenarios record (`geo.catalogue.MapRecord.scenarios`) is drawn
        once for each (``print/scenario_<scenario_id><suffix>``), and not at all where there are none.

    Returns
    -------
    dict
        Path relative to the output folder (``print/<stem><suffix>``, `geo.schema.PRINT_FILES`) → bytes.
    """
    specs = [spec for spec in geoms.maps if keys is None or spec.id in keys]
    missing = sorted(
        {spec.share_id for spec in specs if spec.share_id not in regions.index}
        | {spec.frame for spec in specs if spec.frame != catalogue.LITHIUM and spec.frame not in geoms.frames}
    )
    if missing:
        msg = f"regions: no region {', '.join(missing[:10])}, which the static maps frame or state; check the boundary files"
        raise ValidationError(msg)
    metric = geometry.project(deposits.geometry, schema.PRINT_CRS, what="deposits").to_numpy()
    out: dict[str, bytes] = {}
    with print_style():
        for spec in specs:
            data = _map_data(spec, geoms, deposits, metric, words)
            every = [_scenario_data(data, view) for view in scenarios] if spec.scenarios else [data]
            for one in every:
                for name, layout in LAYOUTS.items():
                    drawn = _draw(
                        geoms,
                        one,
                        layout,
                        regions=regions,
                        snapshot_date=snapshot_date,
                        words=words,
                        credit=credit,
                        dated_credits=dated_credits,
                    )
                    for kind, suffix in schema.PRINT_FILES.items():
                        if FILE_LAYOUT[kind] == name:
                            out[f"{schema.PRINT_DIR}/{one.stem}{suffix}"] = plot.save(
                                drawn.figure, FILE_FORMAT[kind], title=drawn.title, subject=drawn.subject
                            )
                    if on_map is not None:
                        on_map(one.stem, name, drawn)
    return out


# --- animation frames ------------------------------------------------------------------

#: The date stamp of a frame: its backdrop's opacity (the scale bar's), its date's and its share's text sizes (shares of
#: the page's title and subtitle sizes), and its padding (points).
STAMP_ALPHA: Final = 0.85
STAMP_DATE_SIZE: Final = 1.0
STAMP_SHARE_SIZE: Final = 1.15
STAMP_PAD_PT: Final = 4.0
#: The print map's groups a frame draws once and lays over each date's occupied areas: under the line of contact
#: (with the map's frame), and over the records (with the inset locator).
_UNDER_FRONT: Final = ("regions", "focus-veil", "focus")
_OVER_RECORDS: Final = ("leaders", "labels", "scale-bar", "date-stamp")
_PARTS: Final = (schema.OCCUPIED_BEFORE_2022, schema.OCCUPIED_SINCE_2022)


@dataclass(frozen=True)
class Step:
    """One date of a map's animation: what its frame states besides the occupied areas (`DatedOccupation`)."""

    date: str
    share: float | None  # the occupied share of the map's region (`geo.catalogue.MapRecord.share_id`) that day
    credit: str  # the source of that date's snapshot (data: made one clean line where it is drawn)
    statuses: Mapping[str, str]  # deposit id → control status that day


class DatedOccupation:
    """One date's occupied parts, line of contact and grey zone as the static maps draw them.

    Reprojected once (`geo.schema.PRINT_CRS`), then clipped to a map's box and
    simplified at its scale's tolerance (`geo.geometry.SCALES`) once per box:
    every figure size and language of a map reuses them, as the snapshot's
    (`PrintGeometry`) are reused.

    Parameters
    ----------
    parts
        The occupied area by part (`geo.schema.OCCUPIED_BEFORE_2022`, `geo.schema.OCCUPIED_SINCE_2022`), lon/lat.
    front
        That date's line of contact, lon/lat.
    contested
        That date's grey zone (None or empty where it has none).
    """

    def __init__(self, parts: gpd.GeoDataFrame, front: gpd.GeoSeries, contested: shapely.Geometry | None) -> None:
        layers = geometry.occupation_layers(parts, front, contested)
        self._metric = geometry.project(layers, schema.PRINT_CRS, what="occupation")
        self._simple: dict[tuple[str, Box], gpd.GeoSeries] = {}
        self._paths: dict[tuple[str, str, Box], plot.Path | None] = {}

    def path(self, name: str, scale: str, clip: Box) -> plot.Path | None:
        """Return a layer (a part, ``front``, ``contested``) clipped to `clip` as a matplotlib path, made once."""
        key = (name, scale, clip)
        if key not in self._paths:
            at = (scale, clip)
            if at not in self._simple:
                clipped = geometry.clip(self._metric, clip)
                self._simple[at] = geometry.simplify(clipped, geometry.SCALES[scale].printed.metres)
            geom = self._simple[at].get(name)
            missing = geom is None or shapely.is_empty(geom)
            self._paths[key] = None if missing else _path(geom, polygons=name != "front")
        return self._paths[key]


class _Overlay:
    """A transparent layer drawn once, cut to the pixels it covers, to lay over a frame (Agg blends it)."""

    def __init__(self, rgba: np.ndarray) -> None:
        alpha = rgba[:, :, 3]
        rows, columns = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
        self.empty = not len(rows)
        if self.empty:
            return
        top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1
        self.left, self.bottom = left, rgba.shape[0] - bottom  # pixels from the lower left corner, as Agg counts
        self.image = np.ascontiguousarray(rgba[top:bottom, left:right][::-1])  # Agg's rows run bottom up

    def lay(self, renderer: Any) -> None:
        """Lay the layer over what `renderer` holds."""
        if not self.empty:
            renderer.draw_image(renderer.new_gc(), self.left, self.bottom, self.image)


def _agg(width: int, height: int, dpi: float) -> Any:
    """Return a blank Agg renderer of `width` × `height` pixels: matplotlib's, of the class `geo.plot.measurer` returns."""
    agg: Any = type(plot.measurer(dpi))
    return agg(width, height, dpi)


def _frame_texts(
    spec: MapRecord, words: Words, regions: pd.DataFrame, steps: Sequence[Step]
) -> tuple[str, list[tuple[str, str, str, str]]]:
    """Return a map's title and, for each step, its subtitle, credits line, date and share (the stamp's lines).

    The subtitle and the credits line are the static map's (`geo.page.page_words`), of that date.
    """
    named = [rid for rid in dict.fromkeys((spec.share_id, spec.frame)) if rid in regions.index]
    table = pd.DataFrame(regions.loc[named, ["name_en", "name_uk", "occupied_share"]])
    texts: list[tuple[str, str, str, str]] = []
    title = ""
    for step in steps:
        table.loc[spec.share_id, "occupied_share"] = math.nan if step.share is None else float(step.share)
        date = clean_text(step.date)
        title, subtitle, credits = page_words(spec, words, regions=table, snapshot_date=date, credit=step.credit)
        share = "" if step.share is None else words("print.animation.occupied", share=words.share(step.share, 1))
        texts.append((subtitle, credits, date, share))
    return title, texts


def _every_date(steps: Sequence[Step], *, parts: Collection[str], contested: bool) -> Callable[[Shown], Shown]:
    """Return what an animation's legend lists: what its map shows now, and what any date shows.

    `parts` and `contested`: the occupied parts and grey zone some date shows; the records' controls of every date.
    """

    def legend(shown: Shown) -> Shown:
        ids = [str(i) for i in shown.points["id"]]
        now = [str(v) for v in shown.points["control_status"]]
        seen = sorted({str(step.statuses.get(i, n)) for step in steps for i, n in zip(ids, now, strict=True)})
        extra = pd.DataFrame({"group": [""] * len(seen), "control_status": seen})
        return dataclasses.replace(
            shown,
            parts=tuple(p for p in _PARTS if p in shown.parts or p in parts),
            contested=shown.contested or contested,
            front=shown.front or bool(parts),
            points=pd.concat([shown.points[["group", "control_status"]], extra], ignore_index=True),
        )

    return legend


@dataclass(frozen=True)
class _Stamp:
    """A frame's date stamp: the date over the region's occupied share, large, on a white box in a map corner."""

    size: tuple[float, float]  # inches: as wide as the widest date and share, two lines high
    date_pt: float
    share_pt: float
    date_h: float  # inches
    gap: float  # inches
    pad: float  # inches

    @classmethod
    def measure(cls, figure: plot.Figure, layout: Layout, texts: Sequence[tuple[str, str, str, str]]) -> _Stamp:
        """Size the stamp for every date's text (`_frame_texts`)."""
        date_pt, share_pt = layout.title_pt * STAMP_DATE_SIZE, layout.subtitle_pt * STAMP_SHARE_SIZE
        pad, gap = STAMP_PAD_PT / 72, share_pt * 0.25 / 72

        def extent(values: Collection[str], size: float) -> tuple[float, float]:
            sizes = [plot.extent(plot.text(figure, 0, 0, v or "0", fontsize=size)) for v in values]
            return max(w for w, _h in sizes), max(h for _w, h in sizes)

        date_w, date_h = extent({t[2] for t in texts}, date_pt)
        share_w, share_h = extent({t[3] for t in texts}, share_pt)
        size = (max(date_w, share_w) + 2 * pad, date_h + gap + share_h + 2 * pad)
        return cls(size, date_pt, share_pt, date_h, gap, pad)

    def texts(self, figure: plot.Figure, drawn: _MapDrawn) -> tuple[plot.Text, plot.Text]:
        """Return the stamp's two lines of text (empty), placed in its box on the drawn map."""
        box = drawn.stamp if drawn.stamp is not None else (0.0, 0.0, 0.0, 0.0)
        corners = drawn.axes.transData.transform([box[:2], box[2:]])
        (x0, _y0), (_x1, y1) = figure.dpi_scale_trans.inverted().transform(corners)
        left, top = float(x0) + self.pad, float(y1) - self.pad
        date = plot.text(figure, left, top, "", va="top", fontsize=self.date_pt)
        share = plot.text(
            figure,
            left,
            top - self.date_h - self.gap,
            "",
            va="top",
            fontsize=self.share_pt,
            color=style.OCCUPIED_SINCE_2022_COLOUR,
        )
        return date, share


class FrameMaker:
    """The frames of one map's animation at one figure size, in one language: its static map, at each date.

    A frame is the static map (`draw_print_map`) with that date's occupied
    areas, grey zone and line of contact, each record outlined by its control
    that day, the subtitle of that day (its date, its snapshot's credit, the
    region's occupied share), the credits line naming that snapshot's source,
    and a date stamp on the map (the date and the share, large).  The legend
    lists what any date shows.  What no date changes is drawn once, as three
    images: under the occupied areas (the page, the title, the legend, the
    locator beside the map, the base map), between them and the line of
    contact (the region outlines, the veil outside the focus region, the map's
    frame) and over the records (labels, scale bar, inset locator, the date
    stamp's box).  A frame copies the first, draws the date's areas, lays the
    second over them, draws the line and the records, lays the third over them
    and writes the date's text: a few paths and lines of text per frame.

    Text from data (a region's name, a credit) is drawn as one line of printable text, never mathtext.

    Parameters
    ----------
    geoms
        The static maps' geometry, made for a set of maps that includes `key`.
    key
        The map's id (of `geoms.maps`).
    layout
        A key of `geo.page.LAYOUTS` (``web``: 1600 × 1000 px; ``card``: 1080 × 1080 px).
    regions, deposits, words
        As `render_print_maps` takes them; the records' control comes from each step.
    steps
        The dates, in order.
    parts
        The occupied parts some date shows in the map's region (the legend lists them with those in view now).
    contested
        Whether some date has a grey zone there (the legend lists it).
    """

    def __init__(
        self,
        geoms: PrintGeometry,
        key: str,
        *,
        layout: str,
        regions: gpd.GeoDataFrame,
        deposits: gpd.GeoDataFrame,
        words: Words,
        steps: Sequence[Step],
        parts: Collection[str] = (),
        contested: bool = False,
    ) -> None:
        if not steps:
            msg = "an animation needs at least one date"
            raise ValueError(msg)
        spec = next(s for s in geoms.maps if s.id == key)
        lay = LAYOUTS[layout]
        self.steps = tuple(steps)
        self.width, self.height = round(lay.width_in * lay.dpi), round(lay.height_in * lay.dpi)
        self._spec, self._layout = spec, lay
        with print_style():  # the static maps' settings, whatever a user's matplotlibrc says
            metric = geometry.project(deposits.geometry, schema.PRINT_CRS, what="deposits").to_numpy()
            data = _map_data(spec, geoms, deposits, metric, words)

            # the page, with room for the tallest subtitle and credits line of any date
            title, self._texts = _frame_texts(spec, words, regions, self.steps)
            self._width_pt = (lay.width_in - 2 * lay.margin_in) * 72

            def lines(text: str, size: float) -> int:
                return wrap_text(text, self._width_pt, size).count("\n")

            tallest = max(self._texts, key=lambda t: lines(t[0], lay.subtitle_pt))[0]
            longest = max(self._texts, key=lambda t: lines(t[1], lay.credits_pt))[1]
            figure = plot.Figure(figsize=(lay.width_in, lay.height_in), dpi=lay.dpi, facecolor="white")
            bottom, top = draw_page(figure, lay, title, tallest, longest)
            page = {str(a.get_gid()): a.get_children() for a in figure.artists}
            self._subtitle, self._credits = cast("plot.Text", page["title"][1]), cast("plot.Text", page["credits"][0])

            stamp = _Stamp.measure(figure, lay, self._texts)
            arranged = _arrange(
                figure,
                geoms,
                data,
                lay,
                words,
                band=(bottom, top),
                focus=_focus_name(geoms, spec, regions, words),
                legend=_every_date(self.steps, parts=parts, contested=contested),
            )
            draw_legend(figure, arranged.plan, (arranged.panel[0], arranged.panel[3]), lay)
            drawn = _draw_map(figure, geoms, data, lay, arranged, words=words, stamp=stamp.size)
            self._date, self._share = stamp.texts(figure, drawn)
            self._figure, self._axes, self._clip = figure, drawn.axes, drawn.clip
            self._points = arranged.shown.points
            self._legend = [e.text for e in arranged.entries]
            self._static_credits = len({t[1] for t in self._texts}) == 1  # one source every date: drawn with the page
            self._renderer = _agg(self.width, self.height, lay.dpi)
            self._buffer: np.ndarray = np.asarray(self._renderer.buffer_rgba())
            self._under, self._between, self._over = self._draw_static(drawn)
            self._records: dict[tuple[str, ...], _Layer] = {}  # the records drawn in each set of controls, made once

    def _draw_static(self, drawn: _MapDrawn) -> tuple[np.ndarray, _Overlay, _Overlay]:
        """Draw what no date changes: under the occupied areas; under the line of contact; over the records."""
        axes = drawn.axes
        between = [a for a in axes.artists if a.get_gid() in _UNDER_FRONT] + list(axes.spines.values())
        over = [a for a in axes.artists if a.get_gid() in _OVER_RECORDS]
        over += [drawn.inset] if drawn.inset is not None else []
        dynamic = [self._subtitle] if self._static_credits else [self._subtitle, self._credits]
        for artist in [*between, *over, *dynamic]:
            artist.set_visible(False)
        self._figure.draw(self._renderer)
        under = self._buffer.copy()
        overlays = []
        for chosen in (between, over):
            self._renderer.clear()
            for artist in chosen:
                artist.set_visible(True)
                artist.draw(self._renderer)
            overlays.append(_Overlay(self._buffer))
        for artist in dynamic:
            artist.set_visible(True)
        return under, overlays[0], overlays[1]

    @property
    def legend(self) -> list[str]:
        """Return the legend's texts, in order."""
        return list(self._legend)

    def texts(self, index: int) -> tuple[str, str, str, str]:
        """Return what the frame of step `index` writes: its subtitle, credits line, stamp date and stamp share."""
        return self._texts[index]

    def _draw_now(self, layers: Sequence[_Layer]) -> None:
        """Draw `layers` on the frame as the map's groups are drawn (in data coordinates, clipped to the map)."""
        axes = self._axes
        for _gid, _zorder, artists in layers:
            for artist in artists:
                artist.set_figure(self._figure)
                if not artist.is_transform_set():
                    artist.set_transform(axes.transData)
                artist.axes = axes
                artist.set_clip_path(axes.patch)
                artist.draw(self._renderer)

    def frame(self, index: int, occupation: DatedOccupation) -> np.ndarray:
        """Return the frame of step `index`, with `occupation` (that date's): height × width × 4, uint8 RGBA (opaque).

        The frame is a copy: the next call does not change it.
        """
        with print_style():
            return self._frame(index, occupation)

    def _frame(self, index: int, occupation: DatedOccupation) -> np.ndarray:
        step, spec, s = self.steps[index], self._spec, self._layout.symbol_scale
        subtitle, credits, date, share = self._texts[index]
        buffer = self._buffer
        buffer[...] = self._under
        self._draw_now(_occupation(occupation, spec=spec, parts=_PARTS, contested=True, clip=self._clip, scale=s))
        self._between.lay(self._renderer)
        points = self._points
        control = tuple(
            str(step.statuses.get(str(i), now)) for i, now in zip(points["id"], points["control_status"], strict=True)
        )
        if control not in self._records:
            self._records[control] = _deposit_layer(self._axes, points.assign(control_status=control), self._layout)
        self._draw_now([*_front(occupation, spec=spec, clip=self._clip, scale=s), self._records[control]])
        self._over.lay(self._renderer)
        self._subtitle.set_text(wrap_text(subtitle, self._width_pt, self._layout.subtitle_pt))
        self._date.set_text(date)
        self._share.set_text(share)
        texts = [self._subtitle, self._date, self._share]
        if not self._static_credits:
            self._credits.set_text(wrap_text(credits, self._width_pt, self._layout.credits_pt))
            texts.append(self._credits)
        for text in texts:
            text.draw(self._renderer)
        return buffer.copy()
