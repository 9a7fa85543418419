"""Render the HTML maps (folium/Leaflet): self-contained, offline, deterministic.

This module keeps the Python: layers, the geometry cache and its encoding (the
maps are `geo.catalogue`'s records, their geometry steps `geo.geometry`'s).
The page's own JavaScript and CSS are files in ``geo/web`` (inlined by
`geo.offline` like the vendored Leaflet), and every HTML fragment (popups,
panel, legend, region labels) comes from a Jinja template in
``geo/web/templates``, rendered with autoescape by `fragment`: each value from
data is escaped there, once, by `text`.  Data reaches JavaScript only as JSON
(`js_json`).  The base map is drawn from shipped data (sea, land, neighbouring
countries, Ukraine), with OpenStreetMap tiles offered as an extra base layer
that is off by default.  Element ids are numbered in document order, so the
same inputs give the same bytes.

Geometry is reduced by `geo.geometry` (the steps and the one table of
tolerances the static maps share): simplified per map scale in
`geo.schema.DISTANCE_CRS` (metres), once per scale for every map (`Drawn`),
region layers as a coverage so that neighbours keep one shared border, then
snapped to a lon/lat grid; `geo.geometry.SCALES` states both, and the largest
displacement of a drawn vertex is their sum.
"""

from __future__ import annotations

import base64
import html
import re
import zlib
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date as _date
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Final, TypeVar, cast

import folium
import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import MarkerCluster
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from geo import catalogue, geometry, i18n, offline, schema, sources, style, tables
from geo.catalogue import MapRecord
from geo.errors import ArgumentError
from geo.geometry import SCALES, Box

WEB_DIR: Final = Path(__file__).resolve().parent / "web"

_T = TypeVar("_T")


_STATUS_CODES = {
    schema.OCCUPIED_SINCE_2022: "S",
    schema.OCCUPIED_BEFORE_2022: "B",
    schema.HELD: "H",
    schema.UNKNOWN: "U",
}


def script_words(words: i18n.Words, prefix: str) -> dict[str, str]:
    """Return the words the page's script shows (the script itself holds none): catalogue keys ``<prefix>.*``."""
    start = f"{prefix}."
    return {key[len(start) :]: text for key, text in words.messages.items() if key.startswith(start)}


def text(value: object) -> str:
    """Escape a data value for HTML.

    Besides ``& < > " '`` this escapes what would be live in the places folium
    puts HTML: backslash, backtick and ``$`` (JavaScript template literals) and
    braces (branca renders each element's output through Jinja once more, so a
    ``{{`` from data would be evaluated).
    """
    escaped = html.escape(
        "" if value is None or (isinstance(value, float) and pd.isna(value)) else i18n.without_bidi(str(value)),
        quote=True,
    )
    for char, entity in (("\\", "&#92;"), ("`", "&#96;"), ("$", "&#36;"), ("{", "&#123;"), ("}", "&#125;")):
        escaped = escaped.replace(char, entity)
    return escaped


_JINJA_OPENERS = re.compile(r"\{(?=[{%#])")


def js_json(value: object) -> str:
    r"""Encode a value as JSON safe inside ``<script>`` and through branca's second Jinja pass.

    ``<``, ``>``, ``&`` and ``'`` are escaped as ``\\u`` sequences (``htmlsafe_json_dumps``);
    a ``{`` that would open a Jinja tag (``{{``, ``{%``, ``{#``) — which in JSON can only
    occur inside a string — becomes ``\\u007b``.
    """
    return _JINJA_OPENERS.sub(r"\\u007b", str(htmlsafe_json_dumps(value)))


def _escape_output(value: object) -> object:
    """Jinja ``finalize``: every value a template prints is escaped by `text`, unless it is already markup."""
    return value if isinstance(value, Markup) else Markup(text(value))


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        finalize=_escape_output,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def fragment(template: str, /, *, words: i18n.Words | None = None, **values: object) -> Markup:
    """Render the HTML template ``geo/web/templates/<name>`` (autoescaped: data values go through `text`).

    A template with words gets `words` as ``t``: ``t("key", …)`` for a message,
    ``t.number(…)`` and ``t.share(…)`` for numbers as its language writes them.
    """
    return Markup(_templates().get_template(template).render(**values, **({"t": words} if words else {})).strip())


def marker_svg(shape: str, fill: str, outline: tuple[str, float, str | None], size: int) -> Markup:
    """Return an inline SVG marker (the same markup the page's script builds for each deposit)."""
    stroke, width, dash = outline
    return fragment(
        "marker.svg", size=size, path=style.SHAPES[shape], fill=fill, stroke=stroke, width=f"{width:g}", dash=dash
    )


def _swatch(css: str) -> Markup:
    return Markup(_templates().get_template("macros.html").module.swatch(css))  # type: ignore[attr-defined]


class OfflineMap(folium.Map):
    """A folium map that needs Leaflet and the page's own script only, both inlined (no jQuery, Bootstrap or icon fonts)."""

    default_js = [  # noqa: RUF012 (folium declares these per class)
        ("leaflet", offline.LEAFLET_JS),
        ("resource_map_js", offline.MAP_JS),
        ("resource_tableview_js", offline.TABLEVIEW_JS),
        ("resource_permalink_js", offline.PERMALINK_JS),
        ("resource_download_js", offline.DOWNLOAD_JS),
    ]
    default_css = [("leaflet_css", offline.LEAFLET_CSS), ("resource_map_css", offline.MAP_CSS)]  # noqa: RUF012


class OfflineCluster(MarkerCluster):
    """Marker clusters from the vendored leaflet.markercluster."""

    default_js = [("markerclusterjs", offline.MARKERCLUSTER_JS)]  # noqa: RUF012
    default_css = [  # noqa: RUF012
        ("markerclustercss", offline.MARKERCLUSTER_CSS),
        ("markerclusterdefaultcss", offline.MARKERCLUSTER_DEFAULT_CSS),
    ]


_POLYLINE_CHUNKS = 7  # 5-bit chunks per value: enough for ±2**34, i.e. any lon/lat at 1e-7 degrees


def _polyline_chars(ints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encode integer deltas (one value after another) as polyline characters; return (chars, chars per value)."""
    values = np.where(ints < 0, ~(ints << 1), ints << 1)
    shifts = np.arange(_POLYLINE_CHUNKS, dtype=np.int64) * 5
    chunks = (values[:, None] >> shifts) & 0x1F
    count = np.maximum(1, (np.floor(np.log2(np.maximum(values, 1))).astype(np.int64) // 5) + 1)
    count[values == 0] = 1
    used = np.arange(_POLYLINE_CHUNKS)[None, :] < count[:, None]
    more = np.arange(_POLYLINE_CHUNKS)[None, :] < (count[:, None] - 1)
    chars = (chunks | np.where(more, 0x20, 0)) + 63
    return chars[used].astype(np.uint8), count


def _encode_runs(coords: np.ndarray, starts: np.ndarray, factor: float) -> list[str]:
    """Encode each run of lon/lat pairs ``coords[starts[i]:starts[i + 1]]`` as a polyline (lat first)."""
    if len(coords) == 0:
        return ["" for _ in range(len(starts) - 1)]
    scaled = np.asarray(coords)[:, [1, 0]] * factor
    if not np.all(np.isfinite(scaled)) or np.abs(scaled).max() >= 2**33:
        msg = f"cannot encode coordinates beyond ±{2**33 / factor:g} degrees at {factor:g} per degree (or not finite)"
        raise ValueError(msg)
    ints = np.round(scaled).astype(np.int64)
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    firsts = starts[:-1][starts[:-1] < len(coords)]
    deltas[firsts] = ints[firsts]  # each run starts from zero
    chars, count = _polyline_chars(deltas.ravel())
    per_coord = count.reshape(-1, 2).sum(axis=1)
    bounds = np.concatenate([[0], np.cumsum(per_coord)])[starts]
    encoded = chars.tobytes().decode("ascii")
    return [encoded[a:b] for a, b in pairwise(bounds)]


def encode_polyline(coords: np.ndarray, factor: float) -> str:
    """Encode lon/lat pairs with Google's polyline algorithm (lat first), at ``1/factor`` degrees."""
    return _encode_runs(np.asarray(coords, dtype=float).reshape(-1, 2), np.array([0, len(coords)]), factor)[0]


def _is_polygonal(geom: shapely.Geometry) -> bool:
    return int(shapely.get_type_id(geom)) in (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
_LINEAL = (shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING, shapely.GeometryType.MULTILINESTRING)


def _drawable(geom: shapely.Geometry) -> shapely.Geometry:
    """Reduce a geometry to what a layer draws: its polygons, else its lines (a clip can leave both, and points).

    Points are dropped: a clip that meets a polygon at one vertex leaves one.
    """
    kind = int(shapely.get_type_id(geom))
    if kind in _POLYGONAL or kind in _LINEAL[::2]:
        return geom
    parts = shapely.get_parts(geom)
    while np.any(nested := shapely.get_type_id(parts) == shapely.GeometryType.GEOMETRYCOLLECTION):
        parts = np.concatenate([parts[~nested], shapely.get_parts(parts[nested])])
    kinds = shapely.get_type_id(parts)
    polygons = parts[np.isin(kinds, _POLYGONAL)]
    if len(polygons):
        return cast("shapely.Geometry", shapely.multipolygons(shapely.get_parts(polygons)))
    lines = parts[np.isin(kinds, _LINEAL)]
    return cast("shapely.Geometry", shapely.multilinestrings(shapely.get_parts(lines)))


def encode_geometries(geoms: Sequence[shapely.Geometry], factor: float) -> list[list[Any]]:
    """Encode each geometry: polygons → [[ring, …], …] of encoded rings; lines → [line, …]; all at once.

    The geometries must be all polygonal or all lineal (one layer's).
    """
    if not len(geoms):
        return []
    array = np.asarray(geoms, dtype=object)
    kind, coords, offsets = shapely.to_ragged_array(array)
    if kind == shapely.GeometryType.POLYGON:  # one polygon each: rings, geometries
        rings, whole = offsets
        texts = _encode_runs(coords, rings, factor)
        return [[texts[a:b]] for a, b in pairwise(whole)]
    if kind == shapely.GeometryType.MULTIPOLYGON:  # rings, polygons, geometries
        rings, polys, whole = offsets
        texts = _encode_runs(coords, rings, factor)
        return [[texts[a:b] for a, b in pairwise(polys[p0 : p1 + 1])] for p0, p1 in pairwise(whole)]
    if kind == shapely.GeometryType.LINESTRING:  # one line each
        (whole,) = offsets
        return [[t] if t else [] for t in _encode_runs(coords, whole, factor)]
    lines, whole = offsets  # multilinestrings: lines, geometries
    texts = _encode_runs(coords, lines, factor)
    return [[t for t in texts[a:b] if t] for a, b in pairwise(whole)]


class VectorLayer(folium.map.Layer):
    """Polygons or lines stored as encoded polylines and built only when first shown.

    Compared with `folium.GeoJson`, a coordinate costs about 4 bytes instead of
    about 16.  The geometry is a JSON data block, not script: the browser only
    scans it, and parses it (``JSON.parse``) when the layer is first shown, so a
    layer that starts hidden costs next to nothing.
    """

    _template = jinja2.Template(
        "{% macro html(this, kwargs) %}"
        '<script type="application/json" id="{{ this.get_name() }}_data">{{ this.payload }}</script>'
        "{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = resourceVectorLayer("
        "'{{ this.get_name() }}_data', {{ this.style }}, {{ this.highlight }});"
        "{% endmacro %}"
    )

    def __init__(
        self,
        geoms: gpd.GeoSeries,
        labels: Sequence[str] | None,
        *,
        name: str,
        decimals: int,
        style_: dict[str, Any],
        show: bool = True,
        control: bool = True,
        highlight: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "VectorLayer"
        factor = 10.0**decimals
        shapes = [_drawable(g) for g in geoms]
        polygonal = [_is_polygonal(g) for g in shapes]
        encoded: list[list[Any]] = [[] for _ in shapes]
        for want in (True, False):
            chosen = [i for i, p in enumerate(polygonal) if p is want]
            for i, enc in zip(chosen, encode_geometries([shapes[i] for i in chosen], factor), strict=True):
                encoded[i] = enc
        self.payload = js_json(
            {
                "f": factor,
                "features": [
                    {"t": "P" if p else "L", "g": g, **({"label": labels[i]} if labels else {})}
                    for i, (g, p) in enumerate(zip(encoded, polygonal, strict=True))
                ],
            }
        )
        self.style = js_json(style_)
        self.highlight = js_json(highlight)


def _vector(
    geoms: gpd.GeoSeries, labels: Sequence[str] | None, *, name: str, shown: bool, style_: dict[str, Any], decimals: int
) -> VectorLayer:
    highlight = {**style_, "weight": style_.get("weight", 1) + 1.5} if labels else None
    return VectorLayer(geoms, labels, name=name, decimals=decimals, style_=style_, show=shown, highlight=highlight)


class Drawn:
    """Geometry as the HTML maps draw it, simplified once per scale and shared by every map at that scale.

    Region outlines are the regions `maps` draw, cleaned together per level
    (`geo.geometry.drawn_ids`): regions no map draws take no area from them.
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
        only: gpd.GeoSeries | None = None,
    ) -> None:
        self._only = only  # `SourcesView.shapes`' geometry, by `SourcesView.keys`
        self._regions = regions
        self._parts = parts
        self._front = front
        self._contested = contested
        self._basemap = basemap
        self._levels = [(lv.level, lv.within) for spec in maps for lv in spec.levels]
        self._drawn = geometry.drawn_ids(regions, self._levels)
        self._cache: dict[tuple[str, ...], gpd.GeoSeries] = {}
        self._made: dict[tuple[str, ...], object] = {}

    def _memo(self, key: tuple[str, ...], make: Any) -> gpd.GeoSeries:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def regions(self, level: str, scale: str, prefix: str = "") -> gpd.GeoSeries:
        """Return the regions of `level` whose id starts with `prefix`, simplified as one coverage at `scale`.

        Raises
        ------
        ValueError
            No map this geometry was made for draws those regions.
        """
        if not any(lv == level and prefix.startswith(within) for lv, within in self._levels):
            msg = f"no map of this geometry draws {level} regions {prefix!r}: pass its map record to Drawn"
            raise ValueError(msg)
        s = SCALES[scale]

        def clean() -> gpd.GeoSeries:  # the same at every scale
            chosen = gpd.GeoSeries(self._regions.geometry.loc[self._drawn[level]])
            return geometry.clean_coverage(geometry.project(chosen, what="regions"))

        cleaned = self._memo(("clean", level), clean)
        drawn = self._memo(
            ("regions", level, scale),
            lambda: geometry.to_lonlat(geometry.simplify_coverage(cleaned, s.web.metres), s.region_decimals),
        )
        return gpd.GeoSeries(drawn[drawn.index.str.startswith(prefix)])

    @property
    def grey(self) -> shapely.Geometry | None:
        """The grey zone at the map's snapshot (lon/lat), or None."""
        return self._contested

    def once(self, key: tuple[str, ...], make: Callable[[], _T]) -> _T:
        """Return what `make` makes, made once per `key` for every map and language drawn from this geometry."""
        if key not in self._made:
            self._made[key] = make()
        return cast("_T", self._made[key])

    def _metres(self, name: str, make: Any) -> gpd.GeoSeries:
        """Reproject a source once to `geo.schema.DISTANCE_CRS`, for every scale that simplifies it."""
        return self._memo(("metres", name), lambda: geometry.project(make(), what=name))

    def occupation(self, scale: str) -> gpd.GeoSeries:
        """Return the occupied parts (by part), the line of contact (``front``) and the grey zone (``contested``)."""
        s = SCALES[scale]
        metric = self._metres(
            "occupation", lambda: geometry.occupation_layers(self._parts, self._front, self._contested)
        )
        return self._memo(
            ("occupation", scale), lambda: geometry.to_lonlat(geometry.simplify(metric, s.web.metres), s.decimals)
        )

    def source_only(self, scale: str) -> gpd.GeoSeries:
        """Return the ground only one source shows occupied (`SourcesView`), simplified as the occupied areas are.

        Indexed like the ``only`` series the geometry was made with (empty without one); a piece the simplification
        empties is left out.
        """
        if self._only is None or self._only.empty:
            return gpd.GeoSeries([], crs=schema.STORAGE_CRS)
        s = SCALES[scale]
        metric = self._metres("source only", lambda: self._only)
        return self._memo(
            ("source only", scale), lambda: geometry.to_lonlat(geometry.simplify(metric, s.web.metres), s.decimals)
        )

    def country(self, scale: str) -> gpd.GeoSeries:
        """Return Ukraine's outline at `scale`."""
        s = SCALES[scale]
        metric = self._metres("country", lambda: self._regions.geometry.loc[[schema.COUNTRY_ID]])
        return self._memo(
            ("country", scale), lambda: geometry.to_lonlat(geometry.simplify(metric, s.web.metres), s.decimals)
        )

    def base_extent(self) -> Box:
        """Return the lon/lat box the base map's data covers (Natural Earth, as shipped: cut to a box around Ukraine)."""
        west, south, east, north = (float(v) for v in self._basemap.total_bounds)
        return west, south, east, north

    def base(self, kind: str, scale: str) -> gpd.GeoSeries:
        """Return the base map's land or neighbouring countries at `scale`'s base tolerance."""
        s = SCALES[scale]
        metric = self._metres(f"base {kind}", lambda: self._basemap[self._basemap["kind"] == kind].geometry)
        return self._memo(
            ("base", kind, str(s.base.metres)),
            lambda: geometry.to_lonlat(geometry.simplify(metric, s.base.metres), geometry.BASE_DECIMALS),
        )


def _region_layer(
    drawn: Drawn, regions: gpd.GeoDataFrame, level: str, prefix: str, *, scale: str, shown: bool, words: i18n.Words
) -> VectorLayer | None:
    geoms = drawn.regions(level, scale, prefix)
    if geoms.empty:
        return None
    labels = []
    for rid in geoms.index:
        row = regions.loc[rid].to_dict()
        name, other = words.names(row)
        labels.append(
            fragment(
                "region_label.html",
                words=words,
                r=row,
                rid=rid,
                name=name,
                other_name=other,
                level=words(f"level_one.{level}"),
            )
        )
    colour, weight = style.LEVEL_STYLE[level]
    return _vector(
        geoms,
        labels,
        name=words(f"level.{level}"),
        shown=shown,
        style_={"color": colour, "weight": weight, "fillOpacity": 0.0},
        decimals=SCALES[scale].region_decimals,
    )


@dataclass
class _Layer:
    """A toggleable layer, its legend entry (markup) and its key in the page's address (`Permalink`)."""

    element: Element
    legend: Markup
    key: str = ""  # the same in every language: ``oblasts``, ``front``, a commodity group, a scenario kind…


def _legend(symbol: Markup, words: str, note: str = "") -> Markup:
    return Markup("{} {}{}").format(symbol, words, note)


#: The base map fades into the sea over this many rings, from the farthest point of Ukraine to the edge of its disk.
_FADE_RINGS = 6


def base_disk(extent: Box, country: shapely.Geometry) -> tuple[shapely.Geometry, list[shapely.Geometry]]:
    """Return where the base map is drawn: the largest disk (round on the web's Mercator map) inside its data's box.

    Natural Earth's land and borders are shipped cut to a box around Ukraine; drawn as they are, they end in a
    hard rectangle.  Cut to a disk centred in that box, fading into the sea from the farthest point of Ukraine
    (`country`) outwards, the base map ends as a vignette.  Returns the disk and the fading rings (lon/lat),
    innermost first.
    """
    west, south, east, north = extent
    corners = gpd.GeoSeries([shapely.Point(west, south), shapely.Point(east, north)], crs=schema.STORAGE_CRS)
    (x0, y0), (x1, y1) = shapely.get_coordinates(corners.to_crs(_WEB_CRS).to_numpy())
    centre = shapely.Point((x0 + x1) / 2, (y0 + y1) / 2)
    radius = min(x1 - x0, y1 - y0) / 2
    outline = gpd.GeoSeries([country], crs=schema.STORAGE_CRS).to_crs(_WEB_CRS).iloc[0]
    farthest = float(shapely.hausdorff_distance(centre, shapely.boundary(outline))) if not outline.is_empty else 0
    inner = min(max(farthest * 1.02, radius * 0.8), radius * 0.95)
    steps = [inner + (radius - inner) * k / _FADE_RINGS for k in range(_FADE_RINGS + 1)]
    circles = [centre.buffer(r, quad_segs=32) for r in steps]
    rings = [shapely.difference(b, a) for a, b in pairwise(circles)]
    lonlat = gpd.GeoSeries([circles[-1], *rings], crs=_WEB_CRS).to_crs(schema.STORAGE_CRS).to_numpy()
    return lonlat[0], list(lonlat[1:])


#: Leaflet's map projection (Web Mercator), in which the base map's disk is round.
_WEB_CRS: Final = "EPSG:3857"


def _base_layers(fmap: folium.Map, drawn: Drawn, scale: str, words: i18n.Words) -> None:
    """Sea (the map's background colour), land and neighbouring countries, and Ukraine, in the base-map pane.

    The land ends in a disk that fades into the sea (`base_disk`), not in the box the data is cut to.
    """
    country = drawn.country(scale)
    disk, rings = base_disk(drawn.base_extent(), shapely.union_all(country.to_numpy()))
    base = folium.FeatureGroup(name=words("layer.base"), overlay=False, control=True, show=True)
    land = drawn.base("land", scale).intersection(disk)
    paint = {"stroke": False, "fillColor": style.LAND_COLOUR, "fillOpacity": 1.0, "interactive": False}
    VectorLayer(
        gpd.GeoSeries(land[~land.is_empty]),
        None,
        name="base land",
        decimals=geometry.BASE_DECIMALS,
        style_={**paint, "pane": "basemap"},
        control=False,
    ).add_to(base)
    borders = drawn.base("country", scale).boundary.intersection(disk)  # the borders, not the disk's edge
    line = {"color": style.BORDER_COLOUR, "weight": 0.8, "fill": False, "interactive": False, "pane": "basemap"}
    VectorLayer(
        gpd.GeoSeries(borders[~borders.is_empty]),
        None,
        name="base borders",
        decimals=geometry.BASE_DECIMALS,
        style_=line,
        control=False,
    ).add_to(base)
    outline, width = style.LEVEL_STYLE["country"]
    paint = {
        "color": outline,
        "weight": width,
        "fillColor": style.UKRAINE_FILL,
        "fillOpacity": 1.0,
        "interactive": False,
        "pane": "basemap",
    }
    VectorLayer(
        country, None, name="base Ukraine", decimals=SCALES[scale].decimals, style_=paint, control=False
    ).add_to(base)
    for k, ring in enumerate(rings):
        fade = {
            "stroke": False,
            "fillColor": style.SEA_COLOUR,
            "fillOpacity": round((k + 1) / (len(rings) + 1), 3),
            "interactive": False,
            "pane": "basemap",
        }
        VectorLayer(
            gpd.GeoSeries([ring]), None, name="base fade", decimals=geometry.BASE_DECIMALS, style_=fade, control=False
        ).add_to(base)
    base.add_to(fmap)
    folium.TileLayer("OpenStreetMap", name=words("layer.osm"), overlay=False, control=True, show=False).add_to(fmap)


def _focus_layers(fmap: folium.Map, drawn: Drawn, regions: gpd.GeoDataFrame, spec: MapRecord) -> None:
    """Highlight the map's focus region (`MapRecord.focus_region`): veil the land outside it, outline it.

    The veil (`geo.style.OUTSIDE_FOCUS_VEIL`) lies over the other regions' outlines and occupied areas but under the
    markers; the outline (`geo.style.FOCUS_OUTLINE`) over the veil.  Neither takes the pointer.
    """
    rid = spec.focus_region
    if rid is None or rid not in regions.index:
        return
    level = str(regions.loc[rid, "level"])
    drawn_regions = drawn.regions(level, spec.scale, rid)
    if rid not in drawn_regions.index:
        return
    focus = gpd.GeoSeries(drawn_regions.loc[[rid]])
    land = shapely.union_all([*drawn.base("land", spec.scale).to_numpy(), *drawn.country(spec.scale).to_numpy()])
    disk, _rings = base_disk(drawn.base_extent(), shapely.union_all(drawn.country(spec.scale).to_numpy()))
    outside = shapely.difference(shapely.intersection(land, disk), focus.iloc[0])
    colour, opacity = style.OUTSIDE_FOCUS_VEIL
    veil = {"stroke": False, "fillColor": colour, "fillOpacity": opacity, "interactive": False, "pane": "veil"}
    VectorLayer(
        gpd.GeoSeries([outside]), None, name="focus veil", decimals=geometry.BASE_DECIMALS, style_=veil, control=False
    ).add_to(fmap)
    colour, width = style.FOCUS_OUTLINE
    line = {"color": colour, "weight": width, "fill": False, "interactive": False, "pane": "focus"}
    VectorLayer(
        focus, None, name="focus outline", decimals=SCALES[spec.scale].region_decimals, style_=line, control=False
    ).add_to(fmap)


#: The hatching the grey zone is filled with (an SVG pattern the map's paths refer to by id).
_HATCH_ID = "contested-hatch"
#: The panel names at most this many deposit records two sources disagree on, then says how many more.
PANEL_SOURCES_NAMES: Final = 5


def _contested_layer(drawn: Drawn, scale: str, *, shown: bool, words: i18n.Words) -> _Layer | None:
    geoms = drawn.occupation(scale)
    if "contested" not in geoms.index:
        return None
    fill = {
        "color": style.CONTESTED_COLOUR,
        "weight": 0.8,
        "fillColor": f"url(#{_HATCH_ID})",
        "fillOpacity": 1.0,
        "className": "contested-area",
    }
    name = words("layer.contested")
    element = _vector(
        gpd.GeoSeries(geoms.loc[["contested"]]),
        [text(name)],
        name=name,
        shown=shown,
        style_=fill,
        decimals=SCALES[scale].decimals,
    )
    swatch = _swatch(
        f"background:repeating-linear-gradient(45deg,{style.CONTESTED_COLOUR} 0 2px,transparent 2px 6px);"
        f"border:1px solid {style.CONTESTED_COLOUR}"
    )
    return _Layer(element, _legend(swatch, name), "contested")


def _occupation_layers(drawn: Drawn, scale: str, words: i18n.Words, *, credit: str) -> list[_Layer]:
    geoms = drawn.occupation(scale)
    decimals = SCALES[scale].decimals
    layers: list[_Layer] = []
    for part, colour in (
        (schema.OCCUPIED_SINCE_2022, style.OCCUPIED_SINCE_2022_COLOUR),
        (schema.OCCUPIED_BEFORE_2022, style.OCCUPIED_BEFORE_2022_COLOUR),
    ):
        if part not in geoms.index:
            continue
        name = words(f"control.{part}")
        fill = {"color": colour, "weight": 0.6, "fillColor": colour, "fillOpacity": style.OCCUPATION_OPACITY}
        element = _vector(
            gpd.GeoSeries(geoms.loc[[part]]), [text(name)], name=name, shown=True, style_=fill, decimals=decimals
        )
        swatch = _swatch(f"background:{colour};opacity:{style.OCCUPATION_OPACITY + 0.25}")
        layers.append(_Layer(element, _legend(swatch, name, Markup(f" ({text(credit)})")), part))
    if "front" in geoms.index:
        line_style = {"color": style.FRONT_COLOUR, "weight": 2.2}
        name = words("layer.front")
        element = _vector(
            gpd.GeoSeries(geoms.loc[["front"]]),
            [text(name)],
            name=name,
            shown=True,
            style_=line_style,
            decimals=decimals,
        )
        swatch = _swatch(f"border-top:3px solid {style.FRONT_COLOUR};height:0;margin-bottom:4px")
        layers.append(_Layer(element, _legend(swatch, words("legend.front")), "front"))
    return layers


@dataclass(frozen=True)
class SourcesView:
    """What the maps show of the comparison of occupation sources on the build's snapshot day (`geo.build.sources_view`).

    Each pair of the build's own source (`own`, source A) with another source that has a snapshot of that day:
    the ground only one of the two shows occupied (a layer per pair, off when the map opens), the deposits they
    disagree on (a line in the popup) and Ukraine's figures (a line in the panel).  Credits are data: escaped where
    they land.
    """

    date: str  # the build's snapshot date
    own: str  # the build's source id (`geo.style.DEFAULT_OCCUPATION_SOURCE`)
    shapes: gpd.GeoDataFrame  # source_b, only (the source that alone shows it occupied); geometry lon/lat
    credits: Mapping[str, str]  # source id → its credit
    footprints: Mapping[str, str]  # source_b → what the pair was compared on (`geo.build.FOOTPRINT_UKRAINE`, …)
    deposits: pd.DataFrame  # deposit_id, source_b, control_a, control_b (``held`` or ``occupied``)
    #: Ukraine's row of each pair (`geo.build.SourcesResult.compare`): source_b, a_only_km2, b_only_km2, agreement
    ukraine: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["source_b", "a_only_km2", "b_only_km2", "agreement"])
    )

    def only(self) -> gpd.GeoSeries:
        """Return the shapes' geometry indexed ``<source_b>/<only>`` (what `Drawn` simplifies)."""
        keys = [f"{b}/{only}" for b, only in zip(self.shapes["source_b"], self.shapes["only"], strict=True)]
        return gpd.GeoSeries(self.shapes.geometry.to_numpy(), index=keys, crs=schema.STORAGE_CRS)

    def credit(self, source: str) -> str:
        """Return a source's credit (its id where none is known)."""
        return self.credits.get(source, source)

    def popup_lines(self, deposit_id: str, words: i18n.Words) -> list[str]:
        """Return a deposit's lines "held per A, occupied per B (date)", one per pair that disagrees on it (plain text)."""
        rows = self.deposits[self.deposits["deposit_id"] == deposit_id]
        return [
            words(
                "popup.sources_differ",
                control_a=words(f"popup.source_control.{row['control_a']}"),
                a=self.credit(self.own),
                control_b=words(f"popup.source_control.{row['control_b']}"),
                b=self.credit(str(row["source_b"])),
                date=self.date,
            )
            for _n, row in rows.iterrows()
        ]

    def panel_lines(self, words: i18n.Words, names: Mapping[str, str]) -> list[str]:
        """Return the panel's line per pair: Ukraine's agreement, km² only each shows, the records they disagree on.

        `names` is deposit id → the name the map shows (`geo.i18n.Words.map_name`); at most `PANEL_SOURCES_NAMES`
        are named, then how many more.  Plain text (the template escapes it).
        """
        lines = []
        for _n, row in self.ukraine.iterrows():
            other = str(row["source_b"])
            ids = self.deposits.loc[self.deposits["source_b"] == other, "deposit_id"].astype(str)
            named = [names.get(d, d) for d in dict.fromkeys(ids)]
            shown = ", ".join(named[:PANEL_SOURCES_NAMES])
            if len(named) > PANEL_SOURCES_NAMES:
                shown = words("panel.sources.more", names=shown, n=len(named) - PANEL_SOURCES_NAMES)
            lines.append(
                words(
                    "panel.sources",
                    a=self.credit(self.own),
                    b=self.credit(other),
                    date=self.date,
                    agreement=words.share(row["agreement"]),
                    footprint=words(f"panel.sources.footprint.{self.footprints.get(other, 'ukraine')}"),
                    a_only=words.number(row["a_only_km2"]),
                    b_only=words.number(row["b_only_km2"]),
                    deposits=shown or words("panel.sources.none"),
                )
            )
        return lines


def _source_only_layers(drawn: Drawn, scale: str, words: i18n.Words, view: SourcesView | None) -> list[_Layer]:
    """Return a layer per pair of sources: the ground only one of the two shows occupied, in each one's style."""
    if view is None:
        return []
    geoms = drawn.source_only(scale)
    layers = []
    for other in dict.fromkeys(str(b) for b in view.shapes["source_b"]):
        name = text(words("layer.source_only", a=view.credit(view.own), b=view.credit(other), date=view.date))
        group = folium.FeatureGroup(name=name, show=False)
        entries = []
        for only in (view.own, other):
            colour, dash = style.SOURCE_ONLY_STYLE.get(only, style.SOURCE_ONLY_STYLE["file"])
            label = Markup(text(words("legend.source_only", credit=view.credit(only))))
            key = f"{other}/{only}"
            if key in geoms.index:
                fill = {
                    "color": colour,
                    "weight": 1.6,
                    "dashArray": dash,
                    "fillColor": colour,
                    "fillOpacity": style.SOURCE_ONLY_OPACITY,
                }
                VectorLayer(
                    gpd.GeoSeries(geoms.loc[[key]]),
                    [label],
                    name=key,
                    decimals=SCALES[scale].decimals,
                    style_=fill,
                    control=False,
                    highlight={**fill, "weight": 3.1},
                ).add_to(group)
            swatch = _swatch(
                f"background:{colour};opacity:{style.SOURCE_ONLY_OPACITY + 0.35};border:1.5px dashed {colour}"
            )
            entries.append(Markup("{} {}").format(swatch, label))
        note = text(words(f"legend.source_footprint.{view.footprints.get(other, 'ukraine')}"))
        legend = Markup("{}<br>{}<br><small>{}</small>").format(
            Markup(name), Markup("<br>").join(entries), Markup(note)
        )
        layers.append(_Layer(group, legend, f"only_{other}"))
    return layers


def _word(words: i18n.Words, kind: str, value: object) -> str:
    """Return the catalogue's word for a vocabulary value (``commodity.iron_ore``), or the value itself if it has none."""
    return words.messages.get(f"{kind}.{value}", str(value).replace("_", " "))


def region_names(regions: pd.DataFrame, words: i18n.Words) -> dict[str, str]:
    """Return region id → the region's name in the language of `words` (its English name where it has none)."""
    return {str(rid): words.names(row.to_dict())[0] for rid, row in regions[["name_en", "name_uk"]].iterrows()}


def _where(row: Mapping[Any, Any], names: Mapping[str, str]) -> str:
    """Name a deposit's hromada, raion and oblast, in the language of `names` (the recorded name where no id)."""
    found = []
    for level in ("hromada", "raion", "oblast"):
        rid = row.get(f"{level}_id")
        name = names.get(rid, "") if isinstance(rid, str) and rid else row.get(level)
        if isinstance(name, str) and name:
            found.append(name)
    return ", ".join(found)


def _reserve(record: Mapping[Any, Any], words: i18n.Words) -> dict[str, Any] | None:
    """Return the deposit's preferred reserve figure for its popup (None where it has none)."""
    quantity = record.get("reserve_quantity")
    if not isinstance(quantity, float | int) or pd.isna(quantity):
        return None
    return {
        "figure": " ".join(
            (
                words.figure(float(quantity)),
                _word(words, "reserve_unit", record["reserve_unit"]),
                _word(words, "measure", record["reserve_measure"]),
            )
        ),
        "category": record["reserve_category"],
        "as_of": record["reserve_as_of"],
        "confidence": _word(words, "confidence", record.get("reserve_confidence")),
        "url": record["reserve_source_url"],
    }


def popup_html(
    row: pd.Series, words: i18n.Words, names: Mapping[str, str] | None = None, *, differ: Sequence[str] = ()
) -> str:
    """Build a deposit's popup: name, commodities, status, control, precision, source link.

    `names` (from `region_names`) names the regions the deposit lies in, in the language of `words`; `differ` are
    the lines saying where the occupation sources disagree on its control (`SourcesView.popup_lines`, plain text).
    """
    distance = row["distance_to_front_km"]
    record = row.to_dict()
    name = words.map_name(record)  # the maps' one naming rule; the source's own spelling follows where it differs
    other = words.names(record)[1]
    source = i18n.visible(record.get("name_en"))
    return str(
        fragment(
            "popup.html",
            words=words,
            d=record,
            name=name,
            other_name=other,
            source_name=source if source not in (name, other) else None,
            rid=row.name,
            commodities=", ".join(_word(words, "commodity", c) for c in row["commodity_list"]),
            status=_word(words, "status", row["status"]),
            snapshot_date=row["snapshot_date"],
            control=words(f"control.{row['control_status']}"),
            uncertain=bool(row["status_uncertain"]) and bool(row["location_known"]),
            distance=float(distance) if pd.notna(distance) else None,
            where=_where(record, names or {}),
            precision=_word(words, "precision", row["coord_precision"]),
            located=bool(row["location_known"]),
            reserve=_reserve(record, words),
            differ=list(differ),
        )
    )


def reserve_marker_sizes(deposits: pd.DataFrame) -> pd.Series:
    """Return each deposit's marker size (px) when sized by its published reserve; NaN where it has no figure.

    Within a commodity group and one measure, the largest figure gets the
    largest size and the others the square root of their share of it, so that
    a marker's area is in proportion to its tonnes (`geo.style.RESERVE_MARKER_SIZES`).
    """
    if "reserve_t" not in deposits.columns:
        return pd.Series(np.nan, index=deposits.index)
    group = deposits["primary_commodity"].map(style.commodity_group)
    key = group + "/" + deposits["reserve_measure"].fillna("")
    tonnes = deposits["reserve_t"]
    largest = tonnes.groupby(key).transform("max")
    low, high = style.RESERVE_MARKER_SIZES
    return pd.Series(low + (high - low) * np.sqrt(tonnes / largest), index=deposits.index).round()


def _deposit_records(
    deposits: gpd.GeoDataFrame,
    anchors: pd.Series,
    snapshot_date: str,
    words: i18n.Words,
    names: Mapping[str, str],
    *,
    labelled: Sequence[str] = (),
    sources_view: SourcesView | None = None,
) -> list[dict[str, Any]]:
    """Return each deposit's marker data; those of the commodity groups `labelled` carry their name as a label.

    With `sources_view`, the popup of a deposit the occupation sources disagree on says so.
    """
    records = []
    sizes = reserve_marker_sizes(deposits).dropna().to_dict()
    latin = i18n.words("en")  # a Ukrainian map's search finds the Latin map name too
    for rid, row in deposits.assign(snapshot_date=snapshot_date).iterrows():
        if row["location_known"]:
            lat, lon = float(row["lat"]), float(row["lon"])
        else:
            anchor = anchors[row["oblast_id"]]
            lat, lon = round(anchor.y, 5), round(anchor.x, 5)
        group = style.commodity_group(row["primary_commodity"])
        stroke, width, dash = style.CONTROL_OUTLINE[row["control_status"]]
        name = i18n.without_bidi(words.map_name(row.to_dict()))  # the title attribute and search are plain text
        rsize = sizes.get(rid)
        records.append(
            {
                "rsize": None if rsize is None else int(rsize),
                "label": group in labelled,
                "id": str(rid),
                "lat": lat,
                "lon": lon,
                "group": group,
                "shape": style.GROUP_SHAPES[group],
                "fill": style.group_colour(group),
                "stroke": stroke,
                "sw": width,
                "dash": dash or "",
                "control": "occupied"
                if row["control_status"] in schema.OCCUPIED_STATUSES
                else str(row["control_status"]),
                "size": style.LITHIUM_MARKER_SIZE if group == "lithium" else style.MARKER_SIZE,
                "base": style.LITHIUM_MARKER_SIZE if group == "lithium" else style.MARKER_SIZE,
                "popup": popup_html(
                    row, words, names, differ=sources_view.popup_lines(str(rid), words) if sources_view else ()
                ),
                "name": text(name),  # HTML, for the tooltip
                "title": str(name),  # plain text, set as the icon's title attribute by Leaflet
                "search": [  # the map's name, its Latin map name, and the source's spellings in both languages
                    *dict.fromkeys(
                        i18n.without_bidi(n)
                        for n in (
                            name,
                            latin.map_name(row.to_dict()),
                            i18n.visible(row["name_en"]),
                            i18n.visible(row["name_uk"]),
                        )
                        if n
                    )
                ],
            }
        )
    return records


def _deposit_layers(records: list[dict[str, Any]], *, first: Sequence[str], words: i18n.Words) -> dict[str, _Layer]:
    """Return a layer per commodity group; those of `first` (all if empty) are shown when the map opens."""
    used = {r["group"] for r in records}
    layers = {}
    rings = {**style.cluster_rings(), "title": words("script.clusterTitle")}
    cluster_icon = f"resourceClusterIcon({js_json(rings)})"
    for key, _members, colour in style.COMMODITY_GROUPS:
        if key not in used:
            continue
        label = words(f"group.{key}")
        name = words("layer.lithium") if key == "lithium" else words("layer.deposits", group=label)
        shown = not first or key in first
        element: Element
        if key in style.CLUSTERED_GROUPS:
            element = OfflineCluster(  # type: ignore[no-untyped-call]
                name=name,
                show=shown,
                options={"maxClusterRadius": 40, "disableClusteringAtZoom": 9, "clusterPane": "clusters"},
                icon_create_function=cluster_icon,
            )
        else:
            element = folium.FeatureGroup(name=name, show=shown)
        size = style.LITHIUM_MARKER_SIZE if key == "lithium" else style.MARKER_SIZE
        symbol = marker_svg(style.GROUP_SHAPES[key], colour, style.CONTROL_OUTLINE[schema.HELD], size)
        entry = words("legend.clustered", group=label) if key in style.CLUSTERED_GROUPS else label
        layers[key] = _Layer(element, _legend(symbol, entry), key)
    return layers


def _control_legend(words: i18n.Words) -> list[tuple[Markup, str]]:
    items = []
    for status in (schema.HELD, schema.OCCUPIED_SINCE_2022, schema.UNKNOWN):
        symbol = marker_svg("circle", style.LEGEND_MARKER_FILL, style.CONTROL_OUTLINE[status], style.MARKER_SIZE)
        label = words("control.occupied") if status == schema.OCCUPIED_SINCE_2022 else words(f"control.{status}")
        items.append((symbol, label))
    return items


class _Call(MacroElement):
    """One call of a function of ``geo/web/map.js`` with the map and JSON arguments."""

    _template = jinja2.Template(
        "{% macro script(this, kwargs) %}"
        "{{ this.function }}({{ this._parent.get_name() }}{% for a in this.arguments %}, {{ a }}{% endfor %});"
        "{% endmacro %}"
    )

    def __init__(self, function: str, *arguments: object) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Call"
        self.function = function
        self.arguments = [js_json(a) for a in arguments]


#: The address's key of each region level's outlines (`Permalink`): the level's plural.
_LEVEL_KEYS: Final = {"city": "cities"}


class Permalink(MacroElement):
    """The address keeps what the reader sees, a copy-link control, and the embed mode (``geo/web/permalink.js``).

    The layers of the layer control are named in the address by their `_Layer.key`, the same in every language;
    the script gets them, the layer control, the map's frame and the scenario the page opens with, and checks
    whatever the address holds against them.
    """

    _template = jinja2.Template(
        "{% macro script(this, kwargs) %}"
        "resourcePermalink({{ this._parent.get_name() }}, {{ this.keyed }}, {{ this.control.get_name() }}, "
        "{{ this.options }});"
        "{% endmacro %}"
    )

    def __init__(
        self,
        *,
        layers: Sequence[_Layer],
        control: folium.LayerControl,
        bounds: list[list[float]],
        words: i18n.Words,
        scenario: str | None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Permalink"
        keys = [layer.key for layer in layers]
        if "" in keys or len(set(keys)) != len(keys):
            msg = f"every layer of a map needs a key of its own for the address: {keys}"
            raise AssertionError(msg)
        self.layers = list(layers)
        self.control = control
        self.options = js_json({"bounds": bounds, "scenario": scenario, "words": script_words(words, "permalink")})

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Name the layers once the element ids are final."""
        self.keyed = "{" + ",".join(f"{js_json(layer.key)}:{layer.element.get_name()}" for layer in self.layers) + "}"
        super().render(**kwargs)  # type: ignore[no-untyped-call]


class MapExtras(MacroElement):
    """Deposit markers, search, full screen, per-layer legend, panel and credits (``resourceExtras``)."""

    _template = jinja2.Template(
        "{% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        "resourceExtras({{ this._parent.get_name() }}, "
        "{ {%- for key, layer in this.groups.items() %}{{ key|tojson }}: {{ layer.element.get_name() }}"
        '{{ "," if not loop.last }}{%- endfor %} }, '
        "{ {%- for layer in this.layers %}{{ layer.element.get_name()|tojson }}: {{ layer.element.get_name() }}"
        '{{ "," if not loop.last }}{%- endfor %} }, '
        "{{ this.options }});"
        "{% endmacro %}"
    )

    def __init__(
        self,
        *,
        title: str,
        panel: Markup,
        records: list[dict[str, Any]],
        groups: dict[str, _Layer],
        layers: list[_Layer],
        regions: list[dict[str, Any]],
        words: i18n.Words,
        slider_legend: Markup | None = None,
        control: list[tuple[Markup, str]] | None = None,
        dmz_marker: Markup | None = None,
        credit: str,
        download: DownloadControl | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "MapExtras"
        if download is not None:  # its script runs after this one's, which sets up the markers it reads
            self.add_child(download)
        self.slider_legend = slider_legend
        self.control = control
        self.dmz_marker = dmz_marker
        self.words = words
        self.records = records
        self.groups = groups
        self.layers = layers
        self.title = title
        self.panel = panel
        self.data = {
            "records": records,
            "regions": regions,
            "shapes": style.SHAPES,
            "words": script_words(words, "script"),
            "credits": text(style.credits_line(credit)),
        }

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Render the legend, panel and script once the element ids are final."""
        self.options = js_json({**self.data, "id": self.get_name()})
        self.markup = fragment(
            "extras.html",
            words=self.words,
            id=self.get_name(),
            control=self.control or _control_legend(self.words),
            dmz_marker=self.dmz_marker,
            sizable=any(record["rsize"] for record in self.records),
            sections=[(layer.element.get_name(), layer.legend) for layer in self.layers],
            title=self.title,
            panel=self.panel,
            slider=self.slider_legend,
        )
        super().render(**kwargs)  # type: ignore[no-untyped-call]


def _csv_kind(values: pd.Series) -> str:
    """Say what a ``deposits.csv`` column holds, for the GeoJSON: ``n`` numbers, ``b`` True/False, ``s`` text."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return "b"
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "n"
    present = values.dropna()
    return "b" if len(present) and all(isinstance(v, bool | np.bool_) for v in present) else "s"


class DownloadControl(MacroElement):
    """The download control (``resourceDownload`` in ``geo/web/download.js``): the records shown and the panel's tables.

    The page carries ``deposits.csv`` itself (`geo.tables.deposits_csv`, deflated, one line per record in the
    markers' order), so that a download of the records shown is exactly its header and their lines; the GeoJSON
    reads the same cells (`_csv_kind`: numbers as numbers).  The panel's tables are written by the page, with the
    formula rule of `geo.tables.FORMULA_STARTS`.  A JSON data block (`js_json`), parsed when the control is added.
    """

    _template = jinja2.Template(
        "{% macro html(this, kwargs) %}"
        '<script type="application/json" id="{{ this.get_name() }}_data">{{ this.payload }}</script>'
        "{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        "resourceDownload({{ this.get_name()|tojson }});"
        "{% endmacro %}"
    )

    def __init__(self, deposits: pd.DataFrame, *, name: str, words: i18n.Words, snapshot_date: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "DownloadControl"
        columns = deposits.reset_index()[list(schema.TABLE_COLUMNS[schema.DEPOSITS_CSV])]
        self.payload = js_json(
            {
                "csv": base64.b64encode(zlib.compress(tables.deposits_csv(deposits), 9)).decode("ascii"),
                "kinds": "".join(_csv_kind(columns[column]) for column in columns.columns),
                "point": ["lon", "lat"],
                "formula": list(tables.FORMULA_STARTS),
                "name": name,
                "date": snapshot_date,
                "words": script_words(words, "download"),
            }
        )


def _valued(basis: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Return a value basis for the panel, or None where nothing was valued (no data is not 0 %)."""
    return basis if basis and basis.get("records_valued") else None


def _panel_state(
    date: str,
    focus: Sequence[Mapping[str, Any]],
    shares: Mapping[str, Mapping[str, Any]],
    counts: Mapping[str, int],
    words: i18n.Words,
    *,
    credit: str,
) -> dict[str, Any]:
    """Return the panel's lines that follow the time slider: the date and its source, each focus region's share.

    `credit` names the source of that date's snapshot, and the counts follow.  `shares` is region id → ``occupied_share``, ``occupied_km2``, ``area_km2`` at `date`; `counts` is control
    status → records at `date`.  Plain text (the page sets it as text; the template escapes it).
    """
    lines = []
    for f in focus:
        row = shares.get(f["id"])
        if row is not None:
            lines.append(
                i18n.without_bidi(
                    words(
                        "panel.focus",
                        name=f["name"],
                        share=words.share(row["occupied_share"]),
                        occupied=words.number(row["occupied_km2"]),
                        area=words.number(row["area_km2"]),
                    )
                )
            )
    phrases = [
        words("panel.count", count=int(counts.get(status, 0)), phrase=words(f"control_phrase.{status}"))
        for status in schema.CONTROL_STATUSES
    ]
    return {
        "when": words("panel.occupied_as_of", date=date, credit=credit),
        "focus": lines,
        "counts": ", ".join(phrases),
    }


@dataclass(frozen=True)
class _Subject:
    """What a map's panel is about: the regions whose share it states and the records it counts."""

    focus: list[dict[str, Any]]  # each region's `regions` columns, ``id`` and ``name`` (in the page's language)
    records: pd.Index  # the deposit ids it counts
    label: str  # what it calls them
    groups: tuple[str, ...]  # the commodity groups it is about (empty: all)


def _subject(spec: MapRecord, regions: gpd.GeoDataFrame, deposits: gpd.GeoDataFrame, words: i18n.Words) -> _Subject:
    """Return what the panel of `spec` states: its focus regions (Ukraine on the maps of all Ukraine) and records.

    A map about some commodity groups (`MapRecord.groups`: the lithium map) counts the records of those groups;
    a regional map the records in its region; the overview every record.
    """
    table = regions.drop(columns=regions.geometry.name)
    focus = [
        {**(values := {str(k): v for k, v in table.loc[rid].items()}), "id": rid, "name": words.names(values)[0]}
        for rid in (spec.focus or (schema.COUNTRY_ID,))
        if rid in table.index
    ]
    if spec.groups:
        chosen = deposits["primary_commodity"].map(style.commodity_group).isin(spec.groups)
        names = ", ".join(words(f"group.{group}") for group in spec.groups)
        label = words("panel.records_groups", groups=names)
    elif spec.frame in regions.index and spec.frame != schema.COUNTRY_ID:
        chosen = deposits["region_ids"].map(lambda ids: isinstance(ids, tuple) and spec.frame in ids)
        label = words("panel.records_here")
    else:
        chosen = pd.Series(True, index=deposits.index)
        label = words("panel.records")
    return _Subject(focus, deposits.index[chosen.to_numpy(dtype=bool)], label, spec.groups)


def _now_state(
    subject: _Subject, snapshot_date: str, deposits: gpd.GeoDataFrame, words: i18n.Words, *, credit: str
) -> dict[str, Any]:
    """Return the panel's slider lines at the map's own snapshot (`credit`: its source)."""
    shares = {f["id"]: f for f in subject.focus}
    counts = deposits.loc[subject.records, "control_status"].value_counts().to_dict()
    return _panel_state(snapshot_date, subject.focus, shares, counts, words, credit=credit)


def _sites(subject: _Subject, deposits: gpd.GeoDataFrame, words: i18n.Words) -> list[str]:
    """Name each record a map about commodity groups counts, with its control (and where it has no known site)."""
    if not subject.groups:
        return []
    sites = []
    for _rid, row in deposits.loc[subject.records].iterrows():
        key = "panel.site" if row["location_known"] else "panel.site_unlocated"
        name = words.map_name(row.to_dict())
        sites.append(words(key, name=name, control=words(f"control.{row['control_status']}")))
    return sites


def _panel_html(
    subject: _Subject,
    state: Mapping[str, Any],
    metals: pd.DataFrame,
    deposits: gpd.GeoDataFrame,
    *,
    words: i18n.Words,
    bases: Mapping[str, Any] | None,
    sources_view: SourcesView | None = None,
) -> Markup:
    """Return the panel: the snapshot's lines, the records, the metals' shares, and where the sources disagree."""
    names = {str(rid): words.map_name(row.to_dict()) for rid, row in deposits.iterrows()} if sources_view else {}
    figures = [
        {"id": fid, **{k: (None if pd.isna(v) else v) for k, v in fig.items()}}
        for fid, fig in metals.drop(index="computed").iterrows()
    ]
    about = {key for group, members, _c in style.COMMODITY_GROUPS if group in subject.groups for key in members}
    return fragment(
        "panel.html",
        words=words,
        state=state,
        records_label=subject.label,
        sites=_sites(subject, deposits, words),
        sources=sources_view.panel_lines(words, names) if sources_view else [],
        metals=not subject.groups,
        computed=metals.loc["computed"].to_dict(),
        figures=figures,
        reserves=[
            {
                **item,
                "label": _word(words, "commodity", item["commodity"]),
                "measure": _word(words, "measure", item["measure"]),
            }
            for item in (bases or {}).get("reserves", [])
            if item["commodity"] in schema.METALS
            and item["records_with_figure"]
            and (not subject.groups or item["commodity"] in about)
        ],
        value=None if subject.groups else _valued((bases or {}).get("value_metals")),
        value_confident=None if subject.groups else _valued((bases or {}).get("value_metals_confident")),
    )


def stabilize_ids(root: Element) -> None:
    """Renumber every element in document order, replacing folium's random ids (byte-stable output)."""
    counter = 0

    def walk(element: Element) -> None:
        nonlocal counter
        element._id = f"{counter:04d}"
        counter += 1
        for child in element._children.values():
            walk(child)

    walk(root)

    # the children dicts are keyed by the old names; rebuild them with the new ones
    def rekey(element: Element) -> None:
        element._children = OrderedDict((child.get_name(), child) for child in element._children.values())
        for child in element._children.values():
            rekey(child)

    rekey(root)


def _latlon(frame: Box) -> list[list[float]]:
    """Return a lon/lat box as Leaflet takes bounds: [[south, west], [north, east]]."""
    west, south, east, north = frame
    return [[south, west], [north, east]]


def slider_shapes(geoms: Sequence[shapely.Geometry], *, view: shapely.Geometry, scale: str) -> list[list[Any]]:
    """Run the time slider's geometry step (`geo.geometry.slider_geometry`) and encode each date's area."""
    polygonal = geometry.slider_geometry(geoms, view=view, scale=scale)
    factor = 10.0 ** SCALES[scale].slider_decimals
    encoded = dict(zip(polygonal.index, encode_geometries(list(polygonal), factor), strict=True))
    return [encoded.get(i, []) for i in range(len(geoms))]


#: The time slider steps through each month's last snapshot, plus every snapshot of this many last days.
SLIDER_RECENT_DAYS = 90

#: The kinds of step ``--slider`` takes: each month-end snapshot, the last snapshot of each ISO week, every
#: snapshot, or every snapshot of the last N days (``last:N``).
SLIDER_KINDS: Final = ("monthly", "weekly", "daily", "last")


@dataclass(frozen=True)
class SliderSteps:
    """One rule of the time slider's steps (``--slider``): `kind` between `start` and `end` (inclusive, if given)."""

    kind: str
    start: str | None = None
    end: str | None = None
    days: int = 0  # for ``last``

    def pick(self, dates: Sequence[str], month_ends: Collection[str] = ()) -> set[str]:
        """Return the dates of `dates` (ISO, any order) this rule steps through.

        ``monthly`` picks the dates of `month_ends`, the month-end files (`geo.sources.read_monthly`: each is
        dated by its publication, the 1st of the next month for some); without them, the last date of each
        calendar month.
        """
        if not dates:
            return set()
        if self.kind == "last":
            newest = _date.fromisoformat(max(dates))
            return {d for d in dates if (newest - _date.fromisoformat(d)).days <= self.days}
        within = sorted(d for d in dates if (self.start or d) <= d <= (self.end or d))
        if self.kind == "daily":
            return set(within)
        if self.kind == "monthly" and month_ends:
            return set(within).intersection(month_ends)
        if self.kind == "weekly":
            key = {d: "{}-W{:02d}".format(*_date.fromisoformat(d).isocalendar()[:2]) for d in within}
        else:
            key = {d: d[:7] for d in within}
        return set({key[d]: d for d in within}.values())


#: The steps when ``--slider`` is not given: each month's last snapshot and every snapshot of the last 90 days.
DEFAULT_SLIDER: Final = (SliderSteps("monthly"), SliderSteps("last", days=SLIDER_RECENT_DAYS))

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_slider(text: str) -> SliderSteps:
    """Read one ``--slider`` rule: ``KIND[:START[:END]]`` (``monthly``, ``weekly``, ``daily``) or ``last:DAYS``.

    START and END are ISO dates (either may be empty: ``daily::2022-05-31``).

    Raises
    ------
    geo.errors.ArgumentError
        One line saying what is wrong and what is allowed.
    """
    shown = "".join(char for char in text if char.isprintable())[:60]
    usage = (
        "use monthly, weekly or daily, each optionally with :START[:END] (ISO dates, e.g. daily:2022-04-01:2022-05-31),"
        " or last:DAYS (e.g. last:90)"
    )
    kind, *rest = text.strip().split(":")
    if kind not in SLIDER_KINDS or len(rest) > 2:
        msg = f"--slider {shown!r}: not a slider step rule; {usage}"
        raise ArgumentError(msg)
    if kind == "last":
        if len(rest) != 1 or not re.fullmatch(r"[0-9]{1,5}", rest[0], flags=re.ASCII) or int(rest[0]) == 0:
            msg = f"--slider {shown!r}: last takes a number of days (1-99999), e.g. last:90"
            raise ArgumentError(msg)
        return SliderSteps("last", days=int(rest[0]))
    start, end = [*rest, None, None][:2]
    for value in (start, end):
        if value and not _valid_date(value):
            msg = f"--slider {shown!r}: {value!r} is not an ISO date (YYYY-MM-DD); {usage}"
            raise ArgumentError(msg)
    if start and end and end < start:
        msg = f"--slider {shown!r}: the end {end} is before the start {start}"
        raise ArgumentError(msg)
    return SliderSteps(kind, start or None, end or None)


def _valid_date(value: str) -> bool:
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        return _date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def slider_dates(
    dates: Sequence[str], steps: Sequence[SliderSteps] = DEFAULT_SLIDER, *, month_ends: Collection[str] = ()
) -> list[str]:
    """Pick the time slider's steps: the dates any rule of `steps` picks, and always the newest (the map's own).

    By default each month-end snapshot (`month_ends`: `SliderSteps.pick`) plus every snapshot of the last 90
    days: a daily history of a thousand dates becomes about 140 steps, so that the page stays small.  Picking
    again from the picked dates gives them back.
    """
    if not dates:
        return []
    picked = {max(dates)}
    for rule in steps or DEFAULT_SLIDER:
        picked |= rule.pick(dates, month_ends)
    return sorted(picked)


def check_slider(dates: Sequence[str], steps: Sequence[SliderSteps], *, month_ends: Collection[str] = ()) -> None:
    """Refuse a ``--slider`` rule that picks no date of the history `dates` (and so adds no step).

    Raises
    ------
    geo.errors.ArgumentError
        One line naming the rule and the history's span.
    """
    for rule in steps:
        if dates and rule.pick(dates, month_ends):
            continue
        text = ":".join([rule.kind, *([str(rule.days)] if rule.kind == "last" else [rule.start or "", rule.end or ""])])
        span = f"{min(dates)} to {max(dates)}, {len(dates)} dates" if dates else "no dates"
        what = "month-end snapshot" if rule.kind == "monthly" and month_ends else "snapshot"
        msg = f"--slider {text.rstrip(':')!r}: no {what} of the history is in that period (the history: {span})"
        raise ArgumentError(msg)


def _slider(
    spec: MapRecord,
    bounds: list[list[float]],
    series: Mapping[str, shapely.Geometry],
    statuses: pd.DataFrame,
    deposits: gpd.GeoDataFrame,
    *,
    regions: gpd.GeoDataFrame,
    drawn: Drawn,
    subject: _Subject,
    now: Mapping[str, Any],
    history: pd.DataFrame | None,
    steps: Sequence[SliderSteps],
    month_ends: Collection[str],
    words: i18n.Words,
    credits: Mapping[str, str],
) -> _Call:
    (south, west), (north, east) = bounds
    view = geometry.slider_view((west, south, east, north))
    dates = slider_dates(list(series), steps, month_ends=month_ends)
    factor = 10.0 ** SCALES[spec.scale].slider_decimals

    def overlay() -> geometry.Overlay:  # everywhere: the maps clip their pieces, and measure whole regions
        return geometry.slider_overlay([series[d] for d in dates], grey=drawn.grey)

    cut = drawn.once(("slider overlay", *dates), overlay)

    def encode() -> tuple[list[list[Any]], list[tuple[int, tuple[int, ...], bool, list[Any]]]]:
        keep = SCALES[spec.scale].slider_change  # the same for maps of scales that keep the same changes
        real = drawn.once(
            ("slider real", str(keep.width_m), str(keep.km2), *dates), lambda: geometry.overlay_real(cut, keep)
        )
        pieces = geometry.slider_pieces(cut, real, view=view, scale=spec.scale)
        encoded = encode_geometries([area for *_k, area in pieces], factor)
        past = slider_shapes([series[d] for d in dates], view=view, scale=spec.scale)
        return past, [(p, m, g, e) for (p, m, g, _a), e in zip(pieces, encoded, strict=True)]

    shapes, pieces = drawn.once(("slider", spec.id, spec.scale, *dates), encode)  # the same in every language
    ids = _change_regions(spec, subject, regions)
    km2 = drawn.once(
        ("slider km2", *ids, "|", *dates), lambda: geometry.overlay_km2(cut, [regions.geometry[r] for r in ids])
    )
    chosen = statuses[dates]
    codes = ["".join(_STATUS_CODES[str(v)] for v in chosen.loc[rid].tolist()) for rid in deposits.index]
    outline = {
        code: [*style.CONTROL_OUTLINE[status], "occupied" if status in schema.OCCUPIED_STATUSES else status]
        for status, code in _STATUS_CODES.items()
    }
    counted = chosen.loc[subject.records]
    table = history if history is not None else pd.DataFrame(columns=["date", schema.REGION_ID])
    panel = []
    for date in dates[:-1]:
        rows = table[table["date"] == date].set_index(schema.REGION_ID)
        shares = {str(rid): {str(k): v for k, v in row.items()} for rid, row in rows.iterrows()}
        counts = {str(k): int(v) for k, v in counted[date].value_counts().items()}
        panel.append(_panel_state(date, subject.focus, shares, counts, words, credit=credits[date]))
    panel.append(dict(now))
    return _SliderCall(
        "resourceSlider",
        {
            "dates": dates,
            "shapes": shapes,
            "codes": codes,
            "outline": outline,
            "panel": panel,
            "factor": factor,
            "style": style.SLIDER_STYLE,
            "change": {
                "freed": _change_style(style.FREED_SINCE_COLOUR),
                "taken": _change_style(style.TAKEN_SINCE_COLOUR),
            },
            "words": script_words(words, "slider"),
            **_changes_data(
                cut, pieces, km2, ids=ids, regions=regions, deposits=deposits, subject=subject, words=words
            ),
        },
    )


class _SliderCall(JSCSSMixin, _Call):
    """The time slider's call; it brings its script (``geo/web/slider.js``) to the maps that have a slider only."""

    default_js = [("resource_slider_js", offline.SLIDER_JS)]  # noqa: RUF012 (folium declares these per class)


def _change_regions(spec: MapRecord, subject: _Subject, regions: gpd.GeoDataFrame) -> list[str]:
    """Return the regions whose changes between two dates the slider's panel states.

    The focus regions (Ukraine on the maps of all Ukraine), and on those each oblast too.
    """
    ids = [str(f["id"]) for f in subject.focus]
    if spec.frame == schema.COUNTRY_ID:
        ids += [str(rid) for rid in regions.index[regions["level"] == "oblast"] if rid not in ids]
    return ids


def int_text(values: Sequence[int]) -> str:
    """Write non-negative integers as polyline characters, what ``resourceInts`` (slider.js) reads.

    Five bits a character, the low ones first, ``0x20`` added to every character of a number but its last, then
    63 (Google's polyline format, unsigned): any size.
    """
    out = []
    for value in values:
        if value < 0:
            msg = f"int_text writes non-negative integers, not {value}"
            raise ValueError(msg)
        rest = int(value)
        while rest >= 0x20:
            out.append(chr((0x20 | (rest & 0x1F)) + 63))
            rest >>= 5
        out.append(chr(rest + 63))
    return "".join(out)


def _changes_data(
    cut: geometry.Overlay,
    pieces: Sequence[tuple[int, tuple[int, ...], bool, list[Any]]],
    km2: np.ndarray,
    *,
    ids: Sequence[str],
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    subject: _Subject,
    words: i18n.Words,
) -> dict[str, Any]:
    """Return what the slider needs to show the changes between any two of its dates (`geo.geometry.Overlay`).

    ``patterns``: the dates of each piece, as `int_text` of its count of toggles and their steps (`Overlay`);
    ``pieces``: [pattern, in the grey zone now (1) or not (0), the positions of its toggles that are changes of
    control (`geo.geometry.slider_pieces`), encoded polygons], as the map draws them;
    ``regions``: per region its ``name``, ``id``, ``km2`` (`int_text` of the step to the next pattern and the m²
    of the region it covers, at full detail) and ``records`` (positions of the deposit records in it);
    ``records``: positions of the records the panel counts; ``labels``: control status code → its name;
    ``marks``: the language's thousands separator and decimal mark.
    """
    m2 = np.rint(km2 * 1e6).astype(np.int64)
    used = sorted({p for p, *_r in pieces} | {int(p) for p in np.flatnonzero((m2 > 0).any(axis=0))})
    position = {p: k for k, p in enumerate(used)}
    flat: list[int] = []
    for p in used:
        toggles = cut.patterns[p]
        flat += [len(toggles), *np.diff(toggles, prepend=0).tolist()]
    names = region_names(regions.loc[list(ids)], words)
    located = deposits["region_ids"].map(lambda r: r if isinstance(r, tuple) else ())
    entries = []
    for k, rid in enumerate(ids):
        here = [p for p in used if m2[k, p] > 0]
        steps = np.diff([position[p] for p in here], prepend=0).tolist()
        values = [v for step, p in zip(steps, here, strict=True) for v in (step, int(m2[k, p]))]
        inside = np.flatnonzero(located.map(lambda r, rid=rid: rid in r).to_numpy(dtype=bool)).tolist()
        focus = rid in {str(f["id"]) for f in subject.focus}
        entry = {"id": rid, "name": i18n.without_bidi(names[rid]), "focus": focus, "km2": int_text(values)}
        entries.append({**entry, "records": inside})
    sample = words.number(1000.5, 1)  # "1,000.5": the separator and mark of the page's language
    return {
        "patterns": int_text(flat),
        "pieces": [[position[p], int(g), list(m), e] for p, m, g, e in pieces],
        "regions": entries,
        "records": deposits.index.get_indexer(subject.records).tolist(),
        "labels": {code: words(f"control.{status}") for status, code in _STATUS_CODES.items()},
        "marks": [sample[1], sample[-2]],
    }


def _change_style(colour: str) -> dict[str, Any]:
    """Style the slider's changes: one fill per kind, no outline (the pieces of one change meet without a seam)."""
    return {"stroke": False, "fillColor": colour, "fillOpacity": style.SLIDER_CHANGE_OPACITY, "fillRule": "nonzero"}


def _slider_legend(words: i18n.Words) -> Markup:
    """Return the legend's entries of the time slider at a past date: its area, no longer occupied, taken since.

    Against now (``legend-vs-now``) or, in the changes-since mode, between two dates (``legend-since``, hidden
    until the mode is on): the same two colours.
    """
    then = _swatch(f"border:1.5px dashed {style.SLIDER_STYLE['color']};background:transparent")
    kinds = {"vs-now": ("slider.freed", "slider.taken"), "since": ("slider.lost", "slider.gained")}
    items = _legend(then, words("slider.then"))
    for kind, keys in kinds.items():
        entries = []
        for colour, key in zip((style.FREED_SINCE_COLOUR, style.TAKEN_SINCE_COLOUR), keys, strict=True):
            swatch = _swatch(f"background:{colour};opacity:{style.SLIDER_CHANGE_OPACITY + 0.25}")
            entries.append(_legend(swatch, words(key)))
        hidden = Markup(" hidden") if kind == "since" else Markup("")
        items += Markup('<span class="legend-{}"{}><br>{}</span>').format(kind, hidden, Markup("<br>").join(entries))
    return items


#: The scenario map's areas, in the order they are drawn and listed (`scenario_shapes`).
SCENARIO_KINDS: Final = ("russian", "demilitarised", "ceded", "returned")
#: One letter per scenario control in the markers' codes (a string per deposit, a letter per scenario).
_SCENARIO_CODES: Final = {
    schema.RUSSIAN_CONTROLLED: "R",
    schema.DEMILITARISED: "D",
    schema.HELD: "H",
    schema.UNKNOWN: "U",
}
#: The demilitarised zone's hatching (an SVG pattern the map's paths refer to by id).
_DMZ_HATCH_ID = "demilitarised-hatch"


def scenario_shapes(views: Sequence[Mapping[str, Any]], *, scale: str) -> list[dict[str, shapely.Geometry]]:
    """Return each scenario's areas as the scenario map draws them at `scale`: lon/lat, simplified, on its grid.

    ``russian`` and ``demilitarised`` are the scenario's line; ``ceded`` (Russian-controlled under the scenario,
    not occupied on the line's date: russian − occupied) and ``returned`` (occupied, not Russian-controlled:
    occupied − russian) are measured at full detail, without the pieces `geo.geometry.drop_slivers` drops
    (`SCALES` [scale] ``.slider_change``, as the time slider's changes); then every area is simplified at the
    scale's web tolerance and snapped to its grid (`geo.geometry.simplify_for_web`).  An area that is empty, or
    that simplification leaves empty, is an empty polygon.
    """
    if not views:
        return []
    s = SCALES[scale]
    russian = np.asarray([v["russian"] for v in views], dtype=object)
    occupied = np.asarray([v["occupied"] for v in views], dtype=object)
    keep = s.slider_change
    areas = {
        "russian": list(russian),
        "demilitarised": [v["demilitarised"] for v in views],
        "ceded": geometry.drop_slivers(shapely.difference(russian, occupied), keep),
        "returned": geometry.drop_slivers(shapely.difference(occupied, russian), keep),
    }
    flat = [areas[kind][i] for i in range(len(views)) for kind in SCENARIO_KINDS]
    array = np.asarray(flat, dtype=object)
    present = ~shapely.is_missing(array) & ~shapely.is_empty(array)
    series = gpd.GeoSeries(array[present], index=np.flatnonzero(present), crs=schema.STORAGE_CRS)
    simple = geometry.simplify_for_web(series, tolerance_m=s.web.metres, decimals=s.decimals)
    empty = shapely.Polygon()
    out = []
    for i in range(len(views)):
        shapes = {}
        for k, kind in enumerate(SCENARIO_KINDS):
            position = i * len(SCENARIO_KINDS) + k
            shape = _drawable(simple[position]) if position in simple.index else empty
            shapes[kind] = shape if _is_polygonal(shape) and not shapely.is_empty(shape) else empty
        out.append(shapes)
    return out


def _encode_scenario_shapes(shapes: Sequence[Mapping[str, shapely.Geometry]], factor: float) -> list[dict[str, Any]]:
    """Encode each scenario's areas as polygons of encoded rings (``[]`` where an area is empty)."""
    present = [
        (i, kind) for i, area in enumerate(shapes) for kind in SCENARIO_KINDS if not shapely.is_empty(area[kind])
    ]
    encoded = encode_geometries([shapes[i][kind] for i, kind in present], factor)
    out: list[dict[str, Any]] = [{kind: [] for kind in SCENARIO_KINDS} for _ in shapes]
    for (i, kind), enc in zip(present, encoded, strict=True):
        out[i][kind] = enc
    return out


def _scenario_styles() -> dict[str, dict[str, Any]]:
    """Return the Leaflet style of each scenario area (`geo.style`'s scenario colours)."""
    return {
        "russian": {
            "color": style.SCENARIO_RUSSIAN_COLOUR,
            "weight": 0.6,
            "fillColor": style.SCENARIO_RUSSIAN_COLOUR,
            "fillOpacity": style.OCCUPATION_OPACITY,
        },
        "demilitarised": {
            "color": style.DEMILITARISED_COLOUR,
            "weight": 1.2,
            "fillColor": f"url(#{_DMZ_HATCH_ID})",
            "fillOpacity": 1.0,
            "className": "demilitarised-area",
        },
        "ceded": {"color": style.CEDED_COLOUR, "weight": 2.5, "fill": False, "className": "scenario-ceded"},
        "returned": {"color": style.RETURNED_COLOUR, "weight": 2.5, "fill": False, "className": "scenario-returned"},
    }


def _scenario_swatches() -> dict[str, Markup]:
    """Return the legend's symbol of each scenario area (drawn as the map draws it)."""
    russian = f"background:{style.SCENARIO_RUSSIAN_COLOUR};opacity:{style.OCCUPATION_OPACITY + 0.25}"
    hatch = (
        f"background:repeating-linear-gradient(45deg,{style.DEMILITARISED_COLOUR} 0 2px,transparent 2px 6px);"
        f"border:1px solid {style.DEMILITARISED_COLOUR}"
    )
    return {
        "russian": _swatch(russian),
        "demilitarised": _swatch(hatch),
        "ceded": _swatch(f"border:2.5px solid {style.CEDED_COLOUR};background:transparent"),
        "returned": _swatch(f"border:2.5px solid {style.RETURNED_COLOUR};background:transparent"),
    }


def _and_list(items: Sequence[str], words: i18n.Words) -> str:
    """Join words as a sentence lists them: ``a, b and c``."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {words('scenarios_page.and')} {items[-1]}"


def _not_covered(commodities: Sequence[str], words: i18n.Words) -> str:
    """Name the commodities the minerals deal leaves out; a kind of one listed (``coal_thermal``) goes under it."""
    listed = set(commodities)
    kept = [c for c in commodities if not any(c.startswith(f"{p}_") for p in listed if p != c)]
    return _and_list([_word(words, "commodity", c) for c in kept], words)


def _share_range(basis: Mapping[str, Any] | None, words: i18n.Words) -> str:
    """Write a value share as ``central (low–high)``; ``""`` where nothing was valued."""
    valued = _valued(basis)
    if valued is None or valued.get("central") is None:
        return ""
    return f"{words.share(valued['central'], 0)} ({words.share(valued['low'], 0)}–{words.share(valued['high'], 0)})"


def _deal_valued(basis: Mapping[str, Any] | None, words: i18n.Words) -> str:
    """Write how many of the deal's records the value share is made from: ``(N of M records valued)``."""
    valued = _valued(basis)
    if valued is None or valued.get("central") is None:
        return ""
    return words("scenarios_page.deal.valued", n=int(valued["records_valued"]), of=int(valued.get("records") or 0))


def dmz_depth_text(depths: Sequence[float], words: i18n.Words, key: str = "scenarios_page.dmz_depth") -> str:
    """Say how deep a scenario's demilitarised band is (its view's ``dmz_depths_km``), and that the depth is assumed.

    ``""`` where it has none.
    """
    if not depths:
        return ""
    return words(key, km=_and_list([words.figure(d) for d in depths], words))


def _count_share(counts: Mapping[str, int], words: i18n.Words) -> str:
    """Write the Russian-controlled share of the records of known control, with the counts."""
    known = sum(int(counts.get(c, 0)) for c in schema.SCENARIO_CLASSES)
    russian = int(counts.get(schema.RUSSIAN_CONTROLLED, 0))
    if not known:
        return ""
    return words("scenarios_page.bases.of", share=words.share(russian / known, 0), n=russian, of=known)


def _scenario_bases(
    view: Mapping[str, Any], today: Mapping[str, Any] | None, words: i18n.Words
) -> list[dict[str, str]]:
    """Return the panel's rows of Russian-controlled shares: by count, reserves (metals) and value; beside today's."""
    bases = view.get("bases") or {}
    then = (today or {}).get("bases") or {}
    rows = [
        {
            "label": words("scenarios_page.bases.count"),
            "scenario": _count_share(view["deposits"], words),
            "today": _count_share(today["deposits"], words) if today else "",
        }
    ]
    earlier = {(r["commodity"], r["measure"]): r for r in then.get("reserves", [])}
    for item in bases.get("reserves", []):
        if item["commodity"] not in schema.METALS or not item["records_with_figure"]:
            continue
        before = earlier.get((item["commodity"], item["measure"]))
        label = words(
            "panel.bases.reserves",
            commodity=_word(words, "commodity", item["commodity"]),
            measure=_word(words, "measure", item["measure"]),
        )
        rows.append(
            {
                "label": label,
                "scenario": words.share(item["occupied_share"], 0),
                "today": words.share(before["occupied_share"], 0) if before else "",
            }
        )
    for key, label in (
        ("value_metals", "scenarios_page.bases.value_metals"),
        ("value_all", "scenarios_page.bases.value_all"),
    ):
        if _valued(bases.get(key)):
            rows.append(
                {
                    "label": words(label),
                    "scenario": _share_range(bases.get(key), words),
                    "today": _share_range(then.get(key), words),
                }
            )
    return rows


def _scenario_panel_items(
    views: Sequence[Mapping[str, Any]],
    deposits: gpd.GeoDataFrame,
    words: i18n.Words,
    *,
    snapshot_date: str = "",
    credits: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Return what each scenario's panel states (plain values: the template escapes and writes them).

    ``credit`` is the source of the line the scenario starts from (`credits`: date → credit; "" if not given).

    ``dated`` is True where the scenario starts from another date's line than the snapshot's (``--scenario-date``):
    the panel then names that date instead of "today".
    """
    today = next((v for v in views if v["scenario_id"] == schema.FROZEN_SCENARIO), None)
    items = []
    for view in views:
        ukraine = next((r for r in view["regions"] if r["region_id"] == schema.COUNTRY_ID), None)
        moved = []
        for change in view["changes_hands"]:
            rid = change["id"]
            row = deposits.loc[rid].to_dict() if rid in deposits.index else {"name_en": change.get("name_en")}
            moved.append(
                {
                    "name": words.map_name(row),
                    "from": words(f"scenarios_page.control.{change['from']}"),
                    "to": words(f"scenarios_page.control.{change['to']}"),
                }
            )
        deal = view.get("deal") or {}
        dated = bool(snapshot_date) and str(view["date"]) != snapshot_date
        items.append(
            {
                "id": view["scenario_id"],
                "name": words.names(view)[0],
                "drawn": bool(view.get("drawn", False)),
                "proposed": view["proposed"],
                "source_url": view["source_url"],
                "quote": view["quote"],
                "quote_en": view.get("quote_en") or "",
                "notes": view["notes"],
                "date": view["date"],
                "credit": (credits or {}).get(str(view["date"]), ""),
                "dated": dated,
                "dmz_depth": dmz_depth_text(view.get("dmz_depths_km") or (), words),
                "ukraine": ukraine,
                "bases": _scenario_bases(view, today if today is not view else None, words),
                "compared": today is not None and today is not view,
                "deal": deal,
                "deal_value": _share_range(deal.get("value_all"), words),
                "deal_valued": _deal_valued(deal.get("value_all"), words),
                "not_covered": _not_covered(view.get("deal_not_covered") or [], words),
                "moved": moved,
            }
        )
    return items


class ScenarioSwitcher(MacroElement):
    """The scenario map's switcher: a select over the scenarios, each one's areas, marker outlines and panel.

    The areas are a JSON data block (`js_json`), read by ``resourceScenarios`` in ``geo/web/map.js``, which
    fills the scenario layers (`SCENARIO_KINDS`), lists in the layer control only those the chosen scenario
    has, recolours the markers, shows its panel and keeps the choice in the address (``#scenario=<id>``).
    """

    _template = jinja2.Template(
        "{% macro html(this, kwargs) %}"
        '<script type="application/json" id="{{ this.get_name() }}_data">{{ this.payload }}</script>'
        "{{ this.markup }}"
        "{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        "resourceScenarios({{ this._parent.get_name() }}, {{ this.control.get_name() }}, "
        "{ {%- for key, layer in this.kinds.items() %}{{ key|tojson }}: {{ layer.get_name() }}"
        '{{ "," if not loop.last }}{%- endfor %} }, '
        "{{ this.get_name()|tojson }});"
        "{% endmacro %}"
    )

    def __init__(
        self,
        *,
        control: folium.LayerControl,
        kinds: Mapping[str, Element],
        data: Mapping[str, Any],
        items: Sequence[Mapping[str, Any]],
        words: i18n.Words,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "ScenarioSwitcher"
        self.control = control
        self.kinds = dict(kinds)
        self.payload = js_json(data)
        self.items = items
        self.words = words

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Render the switcher's select once the element ids are final."""
        self.markup = fragment("scenario_switcher.html", words=self.words, id=self.get_name(), items=self.items)
        super().render(**kwargs)  # type: ignore[no-untyped-call]


@dataclass
class _ScenarioPage:
    """The scenario map's parts: its layers (with legend entries), panel, marker legend and switcher."""

    layers: list[_Layer]
    kinds: dict[str, Element]
    panel: Markup
    data: dict[str, Any]
    items: list[dict[str, Any]]
    control: list[tuple[Markup, str]]  # the legend's marker outlines
    dmz_marker: Markup  # the legend's marker outline in the demilitarised zone (shown where a scenario has one)


def _scenario_page(
    spec: MapRecord,
    views: Sequence[Mapping[str, Any]],
    deposits: gpd.GeoDataFrame,
    *,
    drawn: Drawn,
    snapshot_date: str,
    words: i18n.Words,
    credits: Mapping[str, str],
) -> _ScenarioPage:
    """Build the scenario map's layers, panel and switcher data from `geo.build.scenario_views`."""
    s = SCALES[spec.scale]
    factor = 10.0**s.decimals
    key = ("scenarios", spec.scale, *(f"{v['scenario_id']}={v.get('rules', '')}@{v.get('date', '')}" for v in views))
    encoded = drawn.once(key, lambda: _encode_scenario_shapes(scenario_shapes(views, scale=spec.scale), factor))
    date = str(views[0].get("date") or snapshot_date)
    dated = date != snapshot_date
    names = {
        kind: words(f"scenarios_page.layer.{kind}_on", date=date)
        if dated and kind in ("ceded", "returned")
        else words(f"scenarios_page.layer.{kind}")
        for kind in SCENARIO_KINDS
    }
    swatches = _scenario_swatches()
    layers: list[_Layer] = []
    kinds: dict[str, Element] = {}
    for kind in SCENARIO_KINDS:
        group = folium.FeatureGroup(name=names[kind], show=True)
        kinds[kind] = group
        layers.append(_Layer(group, _legend(swatches[kind], names[kind]), kind))
    front = _scenario_front(views[0], spec.scale, drawn=drawn)
    if front is not None:
        name = (
            words("scenarios_page.layer.front", date=date) if dated else words("scenarios_page.layer.today", date=date)
        )
        line = {"color": style.FRONT_COLOUR, "weight": 2.0, "dashArray": style.TODAYS_LINE_DASH}
        element = _vector(front, [text(name)], name=name, shown=True, style_=line, decimals=s.decimals)
        swatch = _swatch(f"border-top:3px dashed {style.FRONT_COLOUR};height:0;margin-bottom:4px")
        layers.append(_Layer(element, _legend(swatch, name), "front"))
    outline = {
        code: [
            *(
                style.DEMILITARISED_OUTLINE
                if control == schema.DEMILITARISED
                else style.CONTROL_OUTLINE[
                    schema.OCCUPIED_SINCE_2022 if control == schema.RUSSIAN_CONTROLLED else control
                ]
            ),
            "occupied" if control == schema.RUSSIAN_CONTROLLED else control,
        ]
        for control, code in _SCENARIO_CODES.items()
    }
    controls = [v["control"] for v in views]
    codes = ["".join(_SCENARIO_CODES[str(c.get(rid, schema.UNKNOWN))] for c in controls) for rid in deposits.index]
    items = _scenario_panel_items(views, deposits, words, snapshot_date=snapshot_date, credits=credits)
    data = {
        "ids": [v["scenario_id"] for v in views],
        "kinds": list(SCENARIO_KINDS),
        "names": {kind: text(name) for kind, name in names.items()},
        "factor": factor,
        "shapes": encoded,
        "styles": _scenario_styles(),
        "codes": codes,
        "outline": outline,
        "dmz": [
            bool(e["demilitarised"]) or int(v["deposits"].get(schema.DEMILITARISED, 0)) > 0
            for e, v in zip(encoded, views, strict=True)
        ],
        "moved": [[str(change["id"]) for change in v["changes_hands"]] for v in views],
    }
    panel = fragment("scenario_panel.html", words=words, items=items)
    dmz_marker = _legend(
        marker_svg("circle", style.LEGEND_MARKER_FILL, style.DEMILITARISED_OUTLINE, style.MARKER_SIZE),
        words("scenarios_page.control.demilitarised"),
    )
    return _ScenarioPage(layers, kinds, panel, data, items, _scenario_control_legend(words), dmz_marker)


def _scenario_front(view: Mapping[str, Any], scale: str, *, drawn: Drawn) -> gpd.GeoSeries | None:
    """Return the line of contact a scenario starts from, as the map draws it at `scale` (None where there is none).

    It is the view's ``front``, the line of the view's ``date`` (with ``--scenario-date`` not the snapshot's),
    simplified at the scale's web tolerance once per date; a view without one falls back to the snapshot's line.
    """
    if view.get("front") is None:
        geoms = drawn.occupation(scale)
        return gpd.GeoSeries(geoms.loc[["front"]]) if "front" in geoms.index else None
    s = SCALES[scale]

    def make() -> gpd.GeoSeries | None:
        lines = geometry.line_parts(shapely.get_parts(np.asarray([view["front"]], dtype=object)))
        if shapely.is_empty(lines):
            return None
        series = gpd.GeoSeries([lines], index=["front"], crs=schema.STORAGE_CRS)
        simple = geometry.simplify_for_web(series, tolerance_m=s.web.metres, decimals=s.decimals)
        return None if simple.empty else gpd.GeoSeries(simple)

    return drawn.once(("scenario-front", scale, str(view.get("date", ""))), make)


def _scenario_control_legend(words: i18n.Words) -> list[tuple[Markup, str]]:
    """Return the marker outlines of the scenario map's legend: held, Russian-controlled, unknown."""
    items = []
    for status, label in (
        (schema.HELD, "scenarios_page.control.held_by_ukraine"),
        (schema.OCCUPIED_SINCE_2022, "scenarios_page.control.russian_controlled"),
        (schema.UNKNOWN, "scenarios_page.control.unknown"),
    ):
        symbol = marker_svg("circle", style.LEGEND_MARKER_FILL, style.CONTROL_OUTLINE[status], style.MARKER_SIZE)
        items.append((symbol, words(label)))
    return items


def _colour_variables() -> Element:
    css = ";".join(f"--{name}:{colour}" for name, colour in style.WEB_COLOURS.items())
    return Element(f"<style>:root{{{css}}}</style>")  # colours from geo/style.py, no data


def _page_credits(
    credit: str,
    dated_credits: Mapping[str, str] | None,
    *,
    snapshot_date: str,
    slider: Sequence[str] | None,
    scenarios: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, str], str]:
    """Return a page's date → source credit, and what its credits line names (`geo.sources.history_credit`).

    The credits line names the sources of what the page shows: the `slider`'s dates where it has a time slider,
    else the lines its `scenarios` start from, else the snapshot's (`credit`).
    """
    known = {**(dated_credits or {}), snapshot_date: credit}
    lines = sorted({str(view.get("date")) for view in scenarios})
    credits = {date: known.get(date, credit) for date in sorted({*known, *(slider or ()), *lines})}
    shown = slider if slider is not None else lines or [snapshot_date]
    return credits, sources.history_credit({date: credits[date] for date in shown})


def _slide_dates(
    spec: MapRecord,
    series: Mapping[str, shapely.Geometry] | None,
    statuses: pd.DataFrame | None,
    steps: Sequence[SliderSteps],
    month_ends: Collection[str],
) -> list[str]:
    """Return the dates a map's slider shows: none without a slider, or where one date is all there is."""
    if not (spec.slider and series) or statuses is None:
        return []
    dates = slider_dates(list(series), steps, month_ends=month_ends)
    return dates if len(dates) > 1 else []


def build_map(
    spec: MapRecord,
    *,
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    metals: pd.DataFrame,
    snapshot_date: str,
    drawn: Drawn,
    series: Mapping[str, shapely.Geometry] | None = None,
    statuses: pd.DataFrame | None = None,
    words: i18n.Words | None = None,
    bases: Mapping[str, Any] | None = None,
    history: pd.DataFrame | None = None,
    slider_steps: Sequence[SliderSteps] = DEFAULT_SLIDER,
    month_ends: Collection[str] = (),
    scenarios: Sequence[Mapping[str, Any]] = (),
    credit: str,
    dated_credits: Mapping[str, str] | None = None,
    sources_view: SourcesView | None = None,
) -> folium.Map:
    """Build one map: base map, region outlines, occupied areas, line of contact, deposits, controls.

    With `series` (date → occupied area) and `statuses` (control per deposit and
    date), a map whose spec asks for it gets a time slider.  The page is in the
    language of `words` (default: English).  With `bases` (`geo.stats.share_bases`),
    the panel puts the metals share by reserves and by value beside the count.  With `history` (columns
    ``date``, ``region_id``, ``occupied_share``, ``occupied_km2``, ``area_km2``), the panel follows the time
    slider (`slider_steps`: `slider_dates`; `month_ends`, the month-end files' dates, are ``monthly``'s) to each
    date.  The scenario map (`MapRecord.scenarios`) draws `scenarios` (`geo.build.scenario_views`) instead of
    today's occupied areas, with a switcher over them (`ScenarioSwitcher`) and a panel for each.

    `credit` is the source of the snapshot's occupied areas (`geo.sources.occupation_credit`), named on their
    legend, in the panel and the credits; `dated_credits` (date → credit) those of the history's other dates
    (`credit` where not given), named where the slider or a scenario shows that date's line.  Both are data: escaped
    where they land.  With `sources_view` (another source has a snapshot of the snapshot's day), the map has a layer
    per pair of the ground only one source shows occupied, the popups say where the sources disagree and the panel
    what the comparison found in Ukraine.
    """
    words = words or i18n.words(i18n.DEFAULT_LANGUAGE)
    title = catalogue.title(spec, words, regions)
    sliding = _slide_dates(spec, series, statuses, slider_steps, month_ends)
    credits, footer = _page_credits(
        credit,
        dated_credits,
        snapshot_date=snapshot_date,
        slider=sliding or None,
        scenarios=scenarios if spec.scenarios else (),
    )
    bounds = _latlon(geometry.frame_bounds(spec, regions, deposits))
    fmap = OfflineMap(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=6,
        tiles=None,
        control_scale=True,
    )
    # with no tile layer, Leaflet (and clustering) need the zooms on the map; zoomSnap: the opening frame fills the
    # window, not the nearest whole zoom below it
    fmap.options.update(minZoom=4, maxZoom=18, zoomSnap=0.25)
    _Call("resourceSetup", bounds, script_words(words, "setup")).add_to(fmap)
    _base_layers(fmap, drawn, spec.scale, words)
    _focus_layers(fmap, drawn, regions, spec)

    layers: list[_Layer] = []
    for lv in spec.levels:
        outline = _region_layer(drawn, regions, lv.level, lv.within, scale=spec.scale, shown=lv.shown, words=words)
        if outline is not None:
            colour, weight = style.LEVEL_STYLE[lv.level]
            swatch = _swatch(f"border:{weight + 0.5}px solid {colour};background:transparent")
            entry = words("legend.boundaries", level=words(f"level.{lv.level}").lower())
            layers.append(_Layer(outline, _legend(swatch, entry), _LEVEL_KEYS.get(lv.level, f"{lv.level}s")))
    page = (
        _scenario_page(
            spec, scenarios, deposits, drawn=drawn, snapshot_date=snapshot_date, words=words, credits=credits
        )
        if spec.scenarios and scenarios
        else None
    )
    grey = None if page else _contested_layer(drawn, spec.scale, shown=spec.frame != schema.COUNTRY_ID, words=words)
    layers += (
        page.layers
        if page
        else [
            *_occupation_layers(drawn, spec.scale, words, credit=credit),
            *([grey] if grey else []),
            *_source_only_layers(drawn, spec.scale, words, sources_view),
        ]
    )
    anchors = regions[regions["level"] == "oblast"].geometry.representative_point()
    names = region_names(regions, words)
    records = _deposit_records(  # the scenario map's popups are about the scenario
        deposits,
        anchors,
        snapshot_date,
        words,
        names,
        labelled=spec.groups,
        sources_view=None if page else sources_view,
    )
    groups = _deposit_layers(records, first=spec.groups, words=words)
    layers += list(groups.values())
    for layer in layers:
        layer.element.add_to(fmap)
    control = folium.LayerControl(collapsed=True, position="topright")
    control.add_to(fmap)

    subject = _subject(spec, regions, deposits, words)
    region_entries, first_entry = _search_regions(spec, regions, drawn, words)
    now = _now_state(subject, snapshot_date, deposits, words, credit=credit)
    panel = (
        page.panel
        if page is not None
        else _panel_html(subject, now, metals, deposits, words=words, bases=bases, sources_view=sources_view)
    )
    MapExtras(
        title=title,
        panel=panel,
        records=records,
        groups=groups,
        layers=layers,
        regions=region_entries,
        words=words,
        slider_legend=_slider_legend(words) if sliding else None,
        control=page.control if page else None,
        dmz_marker=page.dmz_marker if page else None,
        credit=footer,
        download=DownloadControl(deposits, name=Path(spec.file).stem, words=words, snapshot_date=snapshot_date),
    ).add_to(fmap)
    if page is not None:
        ScenarioSwitcher(control=control, kinds=page.kinds, data=page.data, items=page.items, words=words).add_to(fmap)
    if sliding and series and statuses is not None:
        _slider(
            spec,
            bounds,
            series,
            statuses,
            deposits,
            regions=regions,
            drawn=drawn,
            subject=subject,
            now=now,
            history=history,
            steps=slider_steps,
            month_ends=month_ends,
            words=words,
            credits=credits,
        ).add_to(fmap)
    scenario = str(page.data["ids"][0]) if page is not None and page.data["ids"] else None
    Permalink(layers=layers, control=control, bounds=bounds, words=words, scenario=scenario).add_to(fmap)
    _table_view(
        fmap,
        title=title,
        deposits=deposits,
        regions=regions,
        first=first_entry,
        words=words,
        snapshot_date=snapshot_date,
        slider=bool(sliding),
        scenario=page is not None,
    )
    root = cast("Figure", fmap.get_root())
    csp = Element(f'<meta http-equiv="Content-Security-Policy" content="{offline.CONTENT_SECURITY_POLICY}">')
    root.header.add_child(csp, name="content_security_policy", index=0)
    root.header.add_child(_colour_variables(), name="map_colours")
    noscript = fragment("noscript.html", words=words, credits=style.credits_line(footer))
    root.html.add_child(Element(str(noscript)), name="noscript")
    _hatches(root, contested=grey is not None, demilitarised=page is not None)
    root.title = text(words("page.title", title=title))
    stabilize_ids(root)
    return fmap


#: The region levels in the order the table view lists them (`_search_regions`, ``geo/web/tableview.js``).
TABLE_LEVELS: Final = ("country", "oblast", "raion", "hromada", "city")


def _table_figures(row: Mapping[Any, Any]) -> list[int | None]:
    """Return a region's occupied share (tenths of a per cent) and occupied and whole area (km²) for the table view.

    Each is rounded as the region's label writes it (`geo.i18n.Words.share` to 0.1 %, ``number`` to 1 km²), as a
    whole number: the page's script writes it in the page's language; None where it is missing.
    """

    def whole(value: object, decimals: int) -> int | None:
        if not isinstance(value, int | float) or pd.isna(value):
            return None
        return int(format(float(value), f".{decimals}f").replace(".", ""))

    share = row.get("occupied_share")
    return [
        whole(float(share) * 100.0 if isinstance(share, int | float) else None, 1),
        whole(row.get("occupied_km2"), 0),
        whole(row.get("area_km2"), 0),
    ]


def _search_regions(
    spec: MapRecord, regions: gpd.GeoDataFrame, drawn: Drawn, words: i18n.Words
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Return the search's regions and region id → its first entry (the table view's row).

    The search has an entry per name of each region of the map's levels and of each oblast: its label and bounds.
    The first entry of each region the map outlines also holds its row of the table view (key ``t``): the level (an
    index of `TABLE_LEVELS`) and `_table_figures`.  The table view names it by the entry's label (its name in the
    page's language), so that no name is in the page twice.
    """
    searchable = regions[regions["level"].isin([lv.level for lv in spec.levels] + ["oblast"])]
    entries: list[dict[str, Any]] = []
    first: dict[str, int] = {}
    for rid, row in searchable.iterrows():
        xmin, ymin, xmax, ymax = (round(float(v), 4) for v in row.geometry.bounds)
        for label in dict.fromkeys(name for name in words.names(row.to_dict()) if name):
            first.setdefault(str(rid), len(entries))
            entries.append({"label": i18n.without_bidi(label), "bounds": [[ymin, xmin], [ymax, xmax]]})
    for lv in spec.levels:
        for rid in drawn.regions(lv.level, spec.scale, lv.within).index:
            at = first.get(str(rid))
            if at is not None:
                entries[at]["t"] = [TABLE_LEVELS.index(lv.level), *_table_figures(regions.loc[rid].to_dict())]
    return entries, first


def _table_view(
    fmap: folium.Map,
    *,
    title: str,
    deposits: gpd.GeoDataFrame,
    regions: pd.DataFrame,
    first: Mapping[str, int],
    words: i18n.Words,
    snapshot_date: str,
    slider: bool,
    scenario: bool,
) -> None:
    """Add the table view: a skip link and the page's heading first in the page, a dialog, ``resourceTableView``.

    The dialog (``table_view.html``) lists the regions the map outlines (`_search_regions`) and every deposit record
    with its commodities, regions (search entries, by `first`) and control as the markers show it (the time
    slider's date, the scenario).  Everything from data is set by the script as text.
    """
    root = cast("Figure", fmap.get_root())
    head = fragment("page_head.html", words=words, title=title)
    root.html.add_child(Element(str(head)), name="page_head", index=0)
    date = Markup('<span class="table-view-date">{}</span>').format(Markup(text(snapshot_date)))
    caption = (
        Markup(text(words("table.deposits_scenario", scenario="\0"))).replace(
            "\0", Markup('<span class="table-view-scenario"></span>')
        )
        if scenario
        else Markup(text(words("table.deposits", date="\0"))).replace("\0", date)
    )
    dialog = fragment(
        "table_view.html",
        words=words,
        title=title,
        slider=slider,
        snapshot_date=snapshot_date,
        deposits_caption=Markup(caption),
    )
    root.html.add_child(Element(str(dialog)), name="table_view")
    kinds: dict[str, int] = {}
    rows = []
    for _rid, row in deposits.iterrows():  # in the order of the map's records (`_deposit_records`)
        listed = row["commodity_list"] if isinstance(row["commodity_list"], list | tuple) else []
        places = [
            first[str(row[column])]
            for column in ("hromada_id", "raion_id", "oblast_id")
            if column in row.index and isinstance(row[column], str) and str(row[column]) in first
        ]
        rows.append([[kinds.setdefault(str(c), len(kinds)) for c in listed], places])
    control = (
        {
            "occupied": words("scenarios_page.control.russian_controlled"),
            schema.DEMILITARISED: words("scenarios_page.control.demilitarised"),
            schema.HELD: words("scenarios_page.control.held_by_ukraine"),
            schema.UNKNOWN: words("scenarios_page.control.unknown"),
        }
        if scenario
        else {
            "occupied": words("control.occupied"),
            schema.HELD: words(f"control.{schema.HELD}"),
            schema.UNKNOWN: words(f"control.{schema.UNKNOWN}"),
        }
    )
    country = None
    if schema.COUNTRY_ID in regions.index:
        values = regions.loc[schema.COUNTRY_ID].to_dict()
        country = [i18n.without_bidi(words.names(values)[0]), *_table_figures(values)]
    _Call(
        "resourceTableView",
        {
            "words": {
                "open": words("table.open"),
                "show": words("table.show"),
                "showNamed": words.messages["table.show_named"],
                "closePopup": words("table.close_popup"),
            },
            "marks": [words.number(1000)[1:-3], words.number(0.5, 1)[1:-1], words.share(0.5, 0)[2:]],
            "levels": [words(f"level_one.{level}") for level in TABLE_LEVELS],
            "country": country,
            "commodities": [_word(words, "commodity", c) for c in kinds],
            "deposits": rows,
            "control": control,
            "snapshot": snapshot_date,
        },
    ).add_to(fmap)


def _hatches(root: Figure, *, contested: bool, demilitarised: bool) -> None:
    """Add the SVG patterns the grey zone and the demilitarised zone are hatched with, where the map draws them."""
    if contested:
        hatch = fragment("hatch.svg", id=_HATCH_ID, colour=style.CONTESTED_COLOUR, background=style.UKRAINE_FILL)
        root.html.add_child(Element(str(hatch)), name="contested_hatch")
    if demilitarised:
        hatch = fragment(
            "hatch.svg", id=_DMZ_HATCH_ID, colour=style.DEMILITARISED_COLOUR, background=style.DEMILITARISED_COLOUR
        )
        root.html.add_child(Element(str(hatch)), name="demilitarised_hatch")


#: folium's viewport meta's words that stop a reader zooming the page (dropped by `render_html`).
_ZOOMABLE: Final = re.compile(
    r'(<meta name="viewport" content="width=device-width,\s*initial-scale=1\.0),\s*maximum-scale=1\.0,\s*user-scalable=no'
)


def render_html(fmap: folium.Map, *, lang: str = i18n.DEFAULT_LANGUAGE) -> str:
    """Render a built map to one self-contained HTML page in `lang` (assets inlined, external URLs refused)."""
    page = offline.inline_assets(fmap.get_root().render())
    page = _ZOOMABLE.sub(r"\1", page, count=1)  # folium forbids zooming the page: a reader may need to (WCAG 1.4.4)
    opening = "<!DOCTYPE html>\n<html>"
    if not page.startswith(opening):
        msg = "folium's page no longer starts with <!DOCTYPE html><html>: update geo.webmap.render_html"
        raise AssertionError(msg)
    return f'<!DOCTYPE html>\n<html lang="{lang}">' + page[len(opening) :]


def render_map(spec: MapRecord, **arguments: Any) -> bytes:
    """Render one map to self-contained HTML bytes; `arguments` are those of `build_map`."""
    words = arguments.get("words") or i18n.words(i18n.DEFAULT_LANGUAGE)
    return render_html(build_map(spec, **arguments), lang=words.lang).encode("utf-8")


def render_maps(
    *,
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    parts: gpd.GeoDataFrame,
    front: gpd.GeoSeries,
    metals: pd.DataFrame,
    basemap: gpd.GeoDataFrame,
    snapshot_date: str,
    series: Mapping[str, shapely.Geometry] | None = None,
    statuses: pd.DataFrame | None = None,
    contested: shapely.Geometry | None = None,
    specs: Sequence[MapRecord] = catalogue.MAPS,
    words: i18n.Words | None = None,
    bases: Mapping[str, Any] | None = None,
    history: pd.DataFrame | None = None,
    slider_steps: Sequence[SliderSteps] = DEFAULT_SLIDER,
    month_ends: Collection[str] = (),
    scenarios: Sequence[Mapping[str, Any]] = (),
    credit: str,
    dated_credits: Mapping[str, str] | None = None,
    sources_view: SourcesView | None = None,
) -> dict[str, bytes]:
    """Render every map in `specs` to self-contained HTML bytes, one after another.

    Parameters
    ----------
    regions
        Indexed by region id (country row included), with geometry and the
        columns of `geo.stats.region_table`.
    deposits
        Deposits with their control columns and ``region_ids`` (every region each lies in).
    basemap
        Land and neighbouring countries (column ``kind``: ``land`` or ``country``).

    Returns
    -------
    dict
        Output file name (`geo.catalogue.MapRecord.file`) → HTML bytes.
    """
    only = sources_view.only() if sources_view is not None else None
    drawn = Drawn(regions, parts, front, contested, basemap, maps=specs, only=only)
    common: dict[str, Any] = {"regions": regions, "deposits": deposits, "metals": metals}
    common.update(snapshot_date=snapshot_date, series=series, statuses=statuses, words=words, bases=bases)
    common.update(history=history, slider_steps=slider_steps, month_ends=month_ends, scenarios=scenarios)
    common.update(credit=credit, dated_credits=dated_credits, sources_view=sources_view)
    return {spec.file: render_map(spec, drawn=drawn, **common) for spec in specs}
