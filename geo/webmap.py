"""Render the HTML maps (folium/Leaflet): self-contained, offline, deterministic.

Every string that comes from data passes through `text` before it reaches
HTML, and reaches JavaScript only inside JSON (``tojson``).  Each map is one
file: Leaflet and its cluster plugin are inlined from ``geo/vendor`` and the
base map is drawn from shipped data (sea, land, neighbouring countries,
Ukraine), with OpenStreetMap tiles offered as an extra base layer that is off
by default.  Element ids are numbered in document order, so the same inputs
give the same bytes.

Geometry is simplified per map scale in `geo.schema.DISTANCE_CRS` (metres) and
then snapped to a lon/lat grid; `SCALES` states both, and the largest
displacement of a drawn vertex is their sum.
"""

from __future__ import annotations

import html
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.plugins import MarkerCluster
from jinja2 import Template
from jinja2.utils import htmlsafe_json_dumps

from geo import offline, schema, style

CREDITS_HTML = (
    "«© Мінрегіон» (CC BY-SA) · © OpenStreetMap contributors (ODbL) · "
    "Global Energy Monitor, ICMM (CC BY 4.0) · Occupied areas: DeepStateMap.Live · Made with Natural Earth"
)


@dataclass(frozen=True)
class Scale:
    """How finely one map draws its geometry."""

    tolerance_m: float  # Douglas-Peucker tolerance, metres
    decimals: int  # lon/lat decimals kept (5 ≈ 1.1 m, 4 ≈ 11 m)
    base_tolerance_m: float  # for the base map's neighbouring countries


#: How far (degrees) beyond a map's frame the base map is drawn.
_BASE_MARGIN_DEG = 6.0

#: Douglas-Peucker tolerance (metres) of the slider's past occupied areas, per map scale.
_HISTORY_TOLERANCE_M = {"country": 1500.0, "oblast": 150.0, "local": 50.0}
_STATUS_CODES = {
    schema.OCCUPIED_SINCE_2022: "S",
    schema.OCCUPIED_BEFORE_2022: "B",
    schema.HELD: "H",
    schema.UNKNOWN: "U",
}

SCALES = {
    "country": Scale(tolerance_m=400.0, decimals=3, base_tolerance_m=2000.0),
    "oblast": Scale(tolerance_m=25.0, decimals=5, base_tolerance_m=500.0),
    "local": Scale(tolerance_m=5.0, decimals=5, base_tolerance_m=500.0),
}


def text(value: object) -> str:
    """Escape a data value for HTML.

    Besides ``& < > " '`` this escapes what would be live in the places folium
    puts HTML: backslash, backtick and ``$`` (JavaScript template literals) and
    braces (branca renders each element's output through Jinja once more, so a
    ``{{`` from data would be evaluated).
    """
    escaped = html.escape(
        "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value), quote=True
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


def _link(url: object, label: str = "source") -> str:
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return f'<a href="{text(url)}" target="_blank" rel="noopener noreferrer">{text(label)}</a>'
    return ""


@dataclass(frozen=True)
class MapSpec:
    """What one HTML map shows."""

    name: str
    title: str
    frame: str  # region id to fit, or "lithium"
    region_levels: tuple[tuple[str, str, bool], ...]  # (level, id prefix, shown)
    scale: str
    lithium_first: bool = False
    slider: bool = False  # a time slider over the month-end snapshots


SPECS: tuple[MapSpec, ...] = (
    MapSpec(
        "overview",
        "Who controls Ukraine's mineral resources",
        schema.COUNTRY_ID,
        (("oblast", "", True), ("raion", "", False)),
        "country",
        slider=True,
    ),
    MapSpec(
        schema.DONETSK_ID,
        "Donetsk Oblast",
        schema.DONETSK_ID,
        (("oblast", "", True), ("raion", schema.DONETSK_ID, True), ("hromada", schema.DONETSK_ID, False)),
        "oblast",
        slider=True,
    ),
    MapSpec(
        schema.ZAPORIZHZHIA_ID,
        "Zaporizhzhia Oblast",
        schema.ZAPORIZHZHIA_ID,
        (("oblast", "", True), ("raion", schema.ZAPORIZHZHIA_ID, True), ("hromada", schema.ZAPORIZHZHIA_ID, False)),
        "oblast",
    ),
    MapSpec(
        schema.KIROVOHRAD_ID,
        "Kirovohrad Oblast",
        schema.KIROVOHRAD_ID,
        (("oblast", "", True), ("raion", schema.KIROVOHRAD_ID, True), ("hromada", schema.KIROVOHRAD_ID, False)),
        "oblast",
    ),
    MapSpec(
        schema.POKROVSK_RAION_ID,
        "Pokrovsk: raion, urban hromada and city",
        schema.POKROVSK_RAION_ID,
        (("raion", schema.POKROVSK_RAION_ID, True), ("hromada", schema.POKROVSK_RAION_ID, True), ("city", "", True)),
        "local",
    ),
    MapSpec("lithium", "Ukraine's lithium deposits", "lithium", (("oblast", "", True),), "country", lithium_first=True),
)


class OfflineMap(folium.Map):
    """A folium map that needs Leaflet only, from the vendored copy (no jQuery, Bootstrap or icon fonts)."""

    default_js = [("leaflet", offline.LEAFLET_JS)]  # noqa: RUF012 (folium declares these per class)
    default_css = [("leaflet_css", offline.LEAFLET_CSS)]  # noqa: RUF012


class OfflineCluster(MarkerCluster):
    """Marker clusters from the vendored leaflet.markercluster."""

    default_js = [("markerclusterjs", offline.MARKERCLUSTER_JS)]  # noqa: RUF012
    default_css = [  # noqa: RUF012
        ("markerclustercss", offline.MARKERCLUSTER_CSS),
        ("markerclusterdefaultcss", offline.MARKERCLUSTER_DEFAULT_CSS),
    ]


def simplify_for_web(geoms: gpd.GeoSeries, *, tolerance_m: float, decimals: int) -> gpd.GeoSeries:
    """Simplify in metres, back to lon/lat, snap to a ``10**-decimals`` grid; drop what vanishes.

    Reprojection and simplification can leave rings that touch or cross, which
    GEOS refuses to snap ("side location conflict"): such results are made
    valid before snapping.

    Returns
    -------
    geopandas.GeoSeries
        Indexed like `geoms` (minus empty results), storage CRS.
    """
    metric = geoms.to_crs(schema.DISTANCE_CRS)
    simple = gpd.GeoSeries(
        shapely.simplify(np.asarray(metric.array, dtype=object), tolerance_m, preserve_topology=True),
        index=geoms.index,
        crs=schema.DISTANCE_CRS,
    ).to_crs(schema.STORAGE_CRS)
    lonlat = np.asarray(simple.array, dtype=object)
    present = ~shapely.is_missing(lonlat)
    invalid = present & ~shapely.is_valid(lonlat)
    lonlat[invalid] = shapely.make_valid(lonlat[invalid])
    snapped = shapely.set_precision(lonlat, 10.0**-decimals)
    keep = ~shapely.is_missing(snapped) & ~shapely.is_empty(snapped)
    return gpd.GeoSeries(snapped[keep], index=geoms.index[keep], crs=schema.STORAGE_CRS)


def encode_polyline(coords: np.ndarray, factor: float) -> str:
    """Encode lon/lat pairs with Google's polyline algorithm (lat first), at ``1/factor`` degrees."""
    ints = np.round(np.asarray(coords)[:, [1, 0]] * factor).astype(np.int64)
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    out = []
    for value in deltas.tolist():
        v = ~(value << 1) if value < 0 else value << 1
        while v >= 0x20:
            out.append(chr((0x20 | (v & 0x1F)) + 63))
            v >>= 5
        out.append(chr(v + 63))
    return "".join(out)


def _is_polygonal(geom: shapely.Geometry) -> bool:
    return int(shapely.get_type_id(geom)) in (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def _encode_geometry(geom: shapely.Geometry, factor: float) -> list[Any]:
    """Polygons → [[ring, …], …] of encoded rings; lines → [line, …] of encoded lines."""
    if _is_polygonal(geom):
        return [
            [encode_polyline(shapely.get_coordinates(ring), factor) for ring in (poly.exterior, *poly.interiors)]
            for poly in shapely.get_parts(geom)
        ]
    return [
        encode_polyline(shapely.get_coordinates(line), factor) for line in shapely.get_parts(geom) if not line.is_empty
    ]


class VectorLayer(folium.map.Layer):
    """Polygons or lines stored as encoded polylines and built only when first shown.

    Compared with `folium.GeoJson`, a coordinate costs about 4 bytes instead of
    about 16, and a layer that starts hidden costs nothing until a reader turns it on.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = resourceVectorLayer({{ this.payload }}, {{ this.style }}, {{ this.highlight }});
{% endmacro %}
"""
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
        kinds = ["P" if _is_polygonal(g) else "L" for g in geoms]
        self.payload = js_json(
            {
                "f": factor,
                "features": [
                    {"t": kind, "g": _encode_geometry(g, factor), **({"label": labels[i]} if labels else {})}
                    for i, (g, kind) in enumerate(zip(geoms, kinds, strict=True))
                ],
            }
        )
        self.style = js_json(style_)
        self.highlight = js_json(highlight)


_VECTOR_JS = """
<script>
function resourceDecode(str, factor) {
  var index = 0, lat = 0, lng = 0, out = [];
  while (index < str.length) {
    var b, shift = 0, result = 0;
    do { b = str.charCodeAt(index++) - 63; result |= (b & 0x1f) << shift; shift += 5; } while (b >= 0x20);
    lat += (result & 1) ? ~(result >> 1) : (result >> 1);
    shift = 0; result = 0;
    do { b = str.charCodeAt(index++) - 63; result |= (b & 0x1f) << shift; shift += 5; } while (b >= 0x20);
    lng += (result & 1) ? ~(result >> 1) : (result >> 1);
    out.push([lat / factor, lng / factor]);
  }
  return out;
}
function resourceVectorLayer(payload, style, highlight) {
  // Geometry arrives simplified for the map's scale, so Leaflet's own simplification is off.
  style = L.extend({smoothFactor: 0}, style);
  var Lazy = L.FeatureGroup.extend({
    onAdd: function (map) {
      if (payload) {
        var group = this, p = payload;
        payload = null;
        p.features.forEach(function (f) {
          var shape;
          if (f.t === 'P') {
            shape = L.polygon(f.g.map(function (poly) {
              return poly.map(function (ring) { return resourceDecode(ring, p.f); });
            }), style);
          } else {
            shape = L.polyline(f.g.map(function (line) { return resourceDecode(line, p.f); }), style);
          }
          if (f.label) { shape.bindTooltip(f.label, {sticky: true}); }
          if (highlight) {
            shape.on('mouseover', function () { shape.setStyle(highlight); });
            shape.on('mouseout', function () { shape.setStyle(style); });
          }
          group.addLayer(shape);
        });
      }
      L.FeatureGroup.prototype.onAdd.call(this, map);
    }
  });
  return new Lazy();
}
</script>
"""


def _vector(
    geoms: gpd.GeoSeries, labels: Sequence[str] | None, *, name: str, shown: bool, style_: dict[str, Any], decimals: int
) -> VectorLayer:
    highlight = {**style_, "weight": style_.get("weight", 1) + 1.5} if labels else None
    return VectorLayer(geoms, labels, name=name, decimals=decimals, style_=style_, show=shown, highlight=highlight)


def _region_label(rid: str, r: pd.Series) -> str:
    return (
        f"<b>{text(r['name_en'])}</b> ({text(r['name_uk'])})<br>{text(style.label(str(r['level'])))} {text(rid)}<br>"
        f"area {r['area_km2']:,.0f} km²; occupied {r['occupied_km2']:,.0f} km² ({r['occupied_share']:.1%})<br>"
        f"before 2022 {r['occupied_before_2022_km2']:,.0f} km²; since 2022 {r['occupied_since_2022_km2']:,.0f} km²"
    )


def _region_layer(
    regions: gpd.GeoDataFrame, level: str, prefix: str, *, scale: Scale, shown: bool
) -> VectorLayer | None:
    chosen = regions[(regions["level"] == level) & regions.index.str.startswith(prefix)]
    if chosen.empty:
        return None
    geoms = simplify_for_web(chosen.geometry, tolerance_m=scale.tolerance_m, decimals=scale.decimals)
    labels = [_region_label(str(rid), chosen.loc[rid]) for rid in geoms.index]
    name, colour, weight = style.LEVEL_STYLE[level]
    return _vector(
        geoms,
        labels,
        name=name,
        shown=shown,
        style_={"color": colour, "weight": weight, "fillOpacity": 0.0},
        decimals=scale.decimals,
    )


def _legend_swatch(css: str) -> str:
    return f'<span class="swatch" style="{css}"></span>'


@dataclass
class _Layer:
    """A toggleable layer and its legend section."""

    element: Element
    legend: str


def _base_layers(
    fmap: folium.Map, basemap: gpd.GeoDataFrame, ukraine: gpd.GeoSeries, scale: Scale, bounds: list[list[float]]
) -> None:
    """Sea (the map's background colour), land and neighbouring countries, and Ukraine, in the base-map pane."""
    (south, west), (north, east) = bounds
    view = shapely.box(
        west - _BASE_MARGIN_DEG, south - _BASE_MARGIN_DEG, east + _BASE_MARGIN_DEG, north + _BASE_MARGIN_DEG
    )
    base = folium.FeatureGroup(name="Offline base map (shipped data)", overlay=False, control=True, show=True)
    for kind, stroke in (("land", style.LAND_COLOUR), ("country", style.BORDER_COLOUR)):
        clipped = basemap[basemap["kind"] == kind].geometry.clip(view)
        geoms = simplify_for_web(clipped, tolerance_m=scale.base_tolerance_m, decimals=3)
        paint = {
            "color": stroke,
            "weight": 0.8,
            "fillColor": style.LAND_COLOUR,
            "fillOpacity": 1.0,
            "interactive": False,
            "pane": "basemap",
        }
        VectorLayer(geoms, None, name=f"base {kind}", decimals=3, style_=paint, control=False).add_to(base)
    country = simplify_for_web(ukraine, tolerance_m=scale.tolerance_m, decimals=scale.decimals)
    paint = {
        "color": "#555555",
        "weight": 1.2,
        "fillColor": style.UKRAINE_FILL,
        "fillOpacity": 1.0,
        "interactive": False,
        "pane": "basemap",
    }
    VectorLayer(country, None, name="base Ukraine", decimals=scale.decimals, style_=paint, control=False).add_to(base)
    base.add_to(fmap)
    folium.TileLayer(
        "OpenStreetMap", name="OpenStreetMap tiles (online)", overlay=False, control=True, show=False
    ).add_to(fmap)


#: The hatching the grey zone is filled with (an SVG pattern the map's paths refer to by id).
_HATCH_ID = "contested-hatch"
_HATCH_SVG = (
    '<svg aria-hidden="true" focusable="false" style="position:absolute;width:0;height:0;overflow:hidden">'
    f'<defs><pattern id="{_HATCH_ID}" patternUnits="userSpaceOnUse" width="7" height="7" '
    'patternTransform="rotate(45)"><rect width="7" height="7" fill="#ffffff" fill-opacity="0.25"/>'
    f'<line x1="0" y1="0" x2="0" y2="7" stroke="{style.CONTESTED_COLOUR}" stroke-width="2.2"/></pattern></defs></svg>'
)


def _contested_layer(contested: shapely.Geometry | None, scale: Scale, *, shown: bool) -> _Layer | None:
    if contested is None or shapely.is_empty(contested):
        return None
    geoms = simplify_for_web(
        gpd.GeoSeries([contested], crs=schema.STORAGE_CRS), tolerance_m=scale.tolerance_m, decimals=scale.decimals
    )
    if geoms.empty:
        return None
    fill = {
        "color": style.CONTESTED_COLOUR,
        "weight": 0.8,
        "fillColor": f"url(#{_HATCH_ID})",
        "fillOpacity": 1.0,
        "className": "contested-area",
    }
    name = style.CONTESTED_LABEL
    element = _vector(geoms, [text(name)], name=name, shown=shown, style_=fill, decimals=scale.decimals)
    swatch = _legend_swatch(
        f"background:repeating-linear-gradient(45deg,{style.CONTESTED_COLOUR} 0 2px,transparent 2px 6px);"
        f"border:1px solid {style.CONTESTED_COLOUR}"
    )
    return _Layer(element, f"{swatch} {text(name)}")


def _occupation_layers(parts: gpd.GeoDataFrame, front: gpd.GeoSeries, scale: Scale) -> list[_Layer]:
    layers: list[_Layer] = []
    for part, colour in (
        (schema.OCCUPIED_SINCE_2022, style.OCCUPIED_SINCE_2022_COLOUR),
        (schema.OCCUPIED_BEFORE_2022, style.OCCUPIED_BEFORE_2022_COLOUR),
    ):
        geoms = simplify_for_web(
            gpd.GeoSeries(parts.geometry.loc[[part]]), tolerance_m=scale.tolerance_m, decimals=scale.decimals
        )
        if geoms.empty:
            continue
        name = style.CONTROL_LABELS[part]
        fill = {"color": colour, "weight": 0.6, "fillColor": colour, "fillOpacity": style.OCCUPATION_OPACITY}
        element = _vector(geoms, [text(name)], name=name, shown=True, style_=fill, decimals=scale.decimals)
        swatch = _legend_swatch(f"background:{colour};opacity:{style.OCCUPATION_OPACITY + 0.25}")
        layers.append(_Layer(element, f"{swatch} {text(name)} (DeepStateMap.Live)"))
    line = simplify_for_web(front, tolerance_m=scale.tolerance_m, decimals=scale.decimals)
    if not line.empty:
        line_style = {"color": style.FRONT_COLOUR, "weight": 2.2}
        element = _vector(
            line, ["Line of contact"], name="Line of contact", shown=True, style_=line_style, decimals=scale.decimals
        )
        swatch = _legend_swatch(f"border-top:3px solid {style.FRONT_COLOUR};height:0;margin-bottom:4px")
        layers.append(_Layer(element, f"{swatch} line of contact (edge of the occupied area)"))
    return layers


def popup_html(row: pd.Series) -> str:
    """Build a deposit's popup: name, commodities, status, control, precision, source link."""
    distance = row["distance_to_front_km"]
    where = ", ".join(text(v) for v in (row["hromada"], row["raion"], row["oblast"]) if v)
    uncertain = bool(row["status_uncertain"]) and bool(row["location_known"])
    lines = [
        f"<b>{text(row['name_en'])}</b>",
        text(row["name_uk"]),
        f"Commodities: {text(', '.join(style.label(c) for c in row['commodity_list']))}",
        f"Status: {text(style.label(row['status']))}",
        f"Control ({text(row['snapshot_date'])}): <b>{text(style.CONTROL_LABELS[row['control_status']])}</b>"
        + (" — uncertain: the front is within the location's uncertainty" if uncertain else ""),
        f"Distance to the line of contact: {distance:.1f} km"
        if pd.notna(distance)
        else "Distance to the line of contact: unknown",
        f"Where: {where}",
        f"Location precision: {text(style.PRECISION_LABELS.get(row['coord_precision'], row['coord_precision']))}"
        + ("" if row["location_known"] else " — drawn at a point inside the oblast, not at the site"),
        f"{text(row['source_name'])} {_link(row['source_url'])}",
        f"<small>id {text(row.name)}</small>",
    ]
    return '<div class="deposit-popup">' + "<br>".join(line for line in lines if line) + "</div>"


def _deposit_records(deposits: gpd.GeoDataFrame, anchors: pd.Series, snapshot_date: str) -> list[dict[str, Any]]:
    records = []
    for rid, row in deposits.assign(snapshot_date=snapshot_date).iterrows():
        if row["location_known"]:
            lat, lon = float(row["lat"]), float(row["lon"])
        else:
            anchor = anchors[row["oblast_id"]]
            lat, lon = round(anchor.y, 5), round(anchor.x, 5)
        group = style.commodity_group(row["primary_commodity"])
        stroke, width, dash = style.CONTROL_OUTLINE[row["control_status"]]
        records.append(
            {
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
                "popup": popup_html(row),
                "name": text(row["name_en"]),  # HTML, for the tooltip
                "title": str(row["name_en"]),  # plain text, set as the icon's title attribute by Leaflet
                "search": [str(row["name_en"]), str(row["name_uk"])],
            }
        )
    return records


#: Cluster icons say what the markers inside say: the count, the group's colour, and control by the
#: same outline rule (black ring: all occupied; white ring: all held; dashed black: a mix).
_CLUSTER_ICON_JS = """
function (cluster) {
  var markers = cluster.getAllChildMarkers(), occupied = 0;
  markers.forEach(function (m) { if (m.options.control === 'occupied') { occupied += 1; } });
  var ring = occupied === 0 ? '2px solid #ffffff' : (occupied === markers.length ? '3px solid #000000' : '3px dashed #000000');
  var size = markers.length < 10 ? 30 : 36;
  return L.divIcon({
    html: '<div class="deposit-cluster" style="width:' + size + 'px;height:' + size + 'px;line-height:' + (size - 6) +
      'px;border:' + ring + '" title="' + markers.length + ' sites, ' + occupied + ' occupied">' + markers.length + '</div>',
    className: 'deposit-cluster-icon', iconSize: [size, size]
  });
}
"""


def _deposit_layers(records: list[dict[str, Any]], *, lithium_first: bool) -> dict[str, _Layer]:
    used = {r["group"] for r in records}
    layers = {}
    for key, label, _members, colour in style.COMMODITY_GROUPS:
        if key not in used:
            continue
        name = "Lithium sites" if key == "lithium" else f"Deposits: {label}"
        shown = key == "lithium" or not lithium_first
        element: Element
        if key in style.CLUSTERED_GROUPS:
            element = OfflineCluster(  # type: ignore[no-untyped-call]
                name=name,
                show=shown,
                options={"maxClusterRadius": 40, "disableClusteringAtZoom": 9},
                icon_create_function=_CLUSTER_ICON_JS,
            )
        else:
            element = folium.FeatureGroup(name=name, show=shown)
        size = style.LITHIUM_MARKER_SIZE if key == "lithium" else style.MARKER_SIZE
        symbol = style.marker_svg(style.GROUP_SHAPES[key], colour, style.CONTROL_OUTLINE[schema.HELD], size)
        clustered = " (clustered where dense)" if key in style.CLUSTERED_GROUPS else ""
        layers[key] = _Layer(element, f"{symbol} {text(label)}{clustered}")
    return layers


def _control_legend() -> str:
    items = []
    for status in (schema.HELD, schema.OCCUPIED_SINCE_2022, schema.UNKNOWN):
        symbol = style.marker_svg("circle", "#bbbbbb", style.CONTROL_OUTLINE[status], style.MARKER_SIZE)
        label = (
            "occupied (before or since 2022)" if status == schema.OCCUPIED_SINCE_2022 else style.CONTROL_LABELS[status]
        )
        items.append(f"{symbol} {text(label)}")
    return "<b>Deposit outline = control</b><br>" + "<br>".join(items)


class _MapSetup(MacroElement):
    """Frame the map at once and make the base-map pane, before any layer is added.

    folium's fit_bounds animates, and layers added meanwhile draw only partly.
    On a wide screen the frame leaves room for the legend (left) and the panel
    (right); on a narrow one both start closed.  The base map gets its own
    pane below the overlays, so switching base layers never covers them.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  map.createPane('basemap').style.zIndex = 250;
  var side = window.innerWidth >= 1100 ? 330 : 0;
  map.fitBounds({{ this.bounds }}, {animate: false, paddingTopLeft: [side, 0], paddingBottomRight: [side, 0]});
})();
{% endmacro %}
"""
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "MapSetup"
        self.bounds = js_json(bounds)


class TimeSlider(MacroElement):
    """Step through dated snapshots: draw each date's occupied area and recolour the deposits by their status then."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var dates = {{ this.dates }}, shapes = {{ this.shapes }}, codes = {{ this.codes }}, outline = {{ this.outline }};
  var style = {color: '#5a1208', weight: 1.2, dashArray: '4 3', fillColor: '#a52714', fillOpacity: 0.3,
               interactive: false, smoothFactor: 0};
  var past = L.featureGroup(), cache = {};
  function drawn(i) {
    if (!cache[i]) {
      cache[i] = L.polygon(shapes[i].map(function (poly) {
        return poly.map(function (ring) { return resourceDecode(ring, {{ this.factor }}); });
      }), style);
    }
    return cache[i];
  }
  function show(i) {
    past.clearLayers();
    var now = i === dates.length - 1;
    if (!now) { past.addLayer(drawn(i)); if (!map.hasLayer(past)) { past.addTo(map); } } else { map.removeLayer(past); }
    window.resourceMap.markers.forEach(function (m, k) {
      var o = outline[codes[k].charAt(i)];
      var d = L.extend({}, m.resourceData, {stroke: o[0], sw: o[1], dash: o[2] || ''});
      m.setIcon(window.resourceMap.icon(d));
      m.options.control = o[3];
    });
    Object.keys(window.resourceMap.groups).forEach(function (key) {
      var g = window.resourceMap.groups[key];
      if (g.refreshClusters) { g.refreshClusters(); }
    });
    label.textContent = now ? dates[i] + ' (shown now)' : dates[i] + ' (dashed; deposits as then)';
    window.resourceMap.sliderDate = dates[i];
  }
  var label;
  var Slider = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-bar map-slider');
      div.innerHTML = '<div class="map-slider-title">Occupied on</div>';
      var input = L.DomUtil.create('input', '', div);
      input.type = 'range'; input.min = 0; input.max = dates.length - 1; input.step = 1; input.value = dates.length - 1;
      input.setAttribute('aria-label', 'Date of the occupied area shown');
      label = L.DomUtil.create('div', 'map-slider-date', div);
      label.textContent = dates[dates.length - 1] + ' (shown now)';
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.on(input, 'input', function () { show(parseInt(input.value, 10)); });
      return div;
    }
  });
  new Slider().addTo(map);
})();
{% endmacro %}
"""
    )

    def __init__(self, *, dates: list[str], shapes: list[list[list[str]]], codes: list[str], decimals: int) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "TimeSlider"
        self.dates = js_json(dates)
        self.shapes = js_json(shapes)
        self.codes = js_json(codes)
        self.factor = js_json(10.0**decimals)
        outline = {
            code: [*style.CONTROL_OUTLINE[status], "occupied" if status in schema.OCCUPIED_STATUSES else status]
            for status, code in _STATUS_CODES.items()
        }
        self.outline = js_json(outline)


def slider_views(regions: gpd.GeoDataFrame, deposits: gpd.GeoDataFrame) -> dict[str, tuple[str, shapely.Geometry]]:
    """Return the area each time-slider map draws past occupied areas in: spec name → (scale, lon/lat box)."""
    views: dict[str, tuple[str, shapely.Geometry]] = {}
    for spec in SPECS:
        if spec.slider:
            (south, west), (north, east) = _bounds(spec, regions, deposits)
            views[spec.name] = (spec.scale, shapely.box(west - 2, south - 2, east + 2, north + 2))
    return views


def _slider_decimals(scale: str) -> int:
    return 3 if scale == "country" else 4


def slider_shapes(geoms: Sequence[shapely.Geometry], *, view: shapely.Geometry, scale: str) -> list[list[Any]]:
    """Run the time slider's geometry step: clip each date's occupied area to `view`, simplify, encode."""
    decimals = _slider_decimals(scale)
    clipped = gpd.GeoSeries([shapely.intersection(g, view) for g in geoms], crs=schema.STORAGE_CRS)
    simple = simplify_for_web(clipped, tolerance_m=_HISTORY_TOLERANCE_M[scale], decimals=decimals)
    return [_encode_geometry(simple[i], 10.0**decimals) if i in simple.index else [] for i in range(len(geoms))]


def check_drawable(
    parts: gpd.GeoDataFrame,
    front: gpd.GeoSeries,
    contested: gpd.GeoSeries,
    *,
    views: Mapping[str, tuple[str, shapely.Geometry]],
) -> None:
    """Run every geometry step a map takes on one snapshot: each scale's simplification and the slider's.

    Raises whatever GEOS raises (``shapely.errors.GEOSException``); the caller
    names the file.  The refresh runs this on every version it accepts, so
    that each stored snapshot is one the build can draw.
    """
    every = gpd.GeoSeries(
        [*parts.geometry.to_numpy(), *front.to_numpy(), *contested.to_numpy()], crs=schema.STORAGE_CRS
    )  # simplification works geometry by geometry: one call per scale gives what separate calls give
    for scale in SCALES.values():
        simplify_for_web(every, tolerance_m=scale.tolerance_m, decimals=scale.decimals)
    occupied = shapely.union_all(parts.geometry.to_numpy())
    for scale_name, view in views.values():
        slider_shapes([occupied], view=view, scale=scale_name)


#: The time slider steps through each month's last snapshot, plus every snapshot of this many last days.
SLIDER_RECENT_DAYS = 90


def slider_dates(dates: Sequence[str], *, recent_days: int = SLIDER_RECENT_DAYS) -> list[str]:
    """Pick the time slider's steps: each month's last snapshot, plus every snapshot of the last `recent_days` days.

    A daily history of a thousand dates becomes about fifty steps and the
    last three months day by day, so that the page stays small.
    """
    if not dates:
        return []
    month_ends = {date[:7]: date for date in sorted(dates)}
    last = pd.Timestamp(max(dates))
    recent = {date for date in dates if (last - pd.Timestamp(date)).days <= recent_days}
    return sorted(set(month_ends.values()) | recent)


def _slider(
    spec: MapSpec,
    bounds: list[list[float]],
    series: Mapping[str, shapely.Geometry],
    statuses: pd.DataFrame,
    deposits: gpd.GeoDataFrame,
) -> TimeSlider:
    (south, west), (north, east) = bounds
    view = shapely.box(west - 2, south - 2, east + 2, north + 2)
    dates = slider_dates(list(series))
    shapes = slider_shapes([series[d] for d in dates], view=view, scale=spec.scale)
    chosen = statuses[dates]
    codes = ["".join(_STATUS_CODES[str(v)] for v in chosen.loc[rid].tolist()) for rid in deposits.index]
    return TimeSlider(dates=dates, shapes=shapes, codes=codes, decimals=_slider_decimals(spec.scale))


class MapExtras(MacroElement):
    """Deposit markers, search, full screen, per-layer legend, panel and credits."""

    _template = Template(
        """
{% macro html(this, kwargs) %}
<div id="{{ this.get_name() }}_legend" class="map-legend"><details open><summary>Legend</summary>
  <div class="legend-static">{{ this.control_legend }}</div>
  {% for layer in this.layers %}<div class="legend-section" data-layer="{{ layer.element.get_name() }}">{{ layer.legend }}</div>
  {% endfor %}
</details></div>
<div id="{{ this.get_name() }}_panel" class="map-panel"><details open><summary>{{ this.title }}</summary>{{ this.panel }}</details></div>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var shapes = {{ this.shapes }};
  var data = {{ this.records }};
  var groups = { {%- for key, layer in this.groups.items() %}{{ key|tojson }}: {{ layer.element.get_name() }}{{ "," if not loop.last }}{%- endfor %} };
  var regions = {{ this.regions }};
  function icon(d) {
    var svg = '<svg xmlns="http://www.w3.org/2000/svg" width="' + d.size + '" height="' + d.size +
      '" viewBox="-2 -2 24 24"><path d="' + shapes[d.shape] + '" fill="' + d.fill + '" stroke="' + d.stroke +
      '" stroke-width="' + d.sw + '"' + (d.dash ? ' stroke-dasharray="' + d.dash + '"' : '') + '/></svg>';
    return L.divIcon({html: svg, className: 'deposit-icon', iconSize: [d.size, d.size],
                      iconAnchor: [d.size / 2, d.size / 2], popupAnchor: [0, -d.size / 2]});
  }
  var byGroup = {};
  var markers = data.map(function (d) {
    var m = L.marker([d.lat, d.lon], {icon: icon(d), title: d.title, riseOnHover: true,
                                       zIndexOffset: d.group === 'lithium' ? 1000 : 0});
    m.options.control = d.control;
    m.resourceData = d;
    m.bindPopup(d.popup, {maxWidth: Math.min(360, window.innerWidth - 60)});
    m.bindTooltip(d.name, {direction: 'top', offset: [0, -d.size / 2]});
    m.depositId = d.id;
    (byGroup[d.group] = byGroup[d.group] || []).push(m);
    return m;
  });
  Object.keys(byGroup).forEach(function (key) {
    var g = groups[key];
    if (g.addLayers) { g.addLayers(byGroup[key]); } else { byGroup[key].forEach(function (m) { g.addLayer(m); }); }
  });

  var entries = [];
  data.forEach(function (d, i) { d.search.forEach(function (s) { if (s) entries.push({label: s, kind: 'deposit', index: i}); }); });
  regions.forEach(function (r) { entries.push({label: r.label, kind: 'region', bounds: r.bounds}); });
  function norm(s) { return s.normalize('NFC').toLowerCase().replace(/[\\u2019'\\u02bc`]/g, ''); }
  function rank(label, q) {
    if (label === q) { return 0; }
    if (label.indexOf(q) === 0) { return 1; }
    if ((' ' + label).indexOf(' ' + q) >= 0) { return 2; }
    return label.indexOf(q) >= 0 ? 3 : -1;
  }
  function find(q) {
    q = norm(q.trim());
    if (!q) { return null; }
    var best = null, bestScore = 99;
    entries.forEach(function (e) {
      var r = rank(norm(e.label), q);
      if (r < 0) { return; }
      var score = r * 2 + (e.kind === 'region' ? 0 : 1);  // regions first on ties
      if (score < bestScore) { best = e; bestScore = score; }
    });
    return best;
  }
  function go(q, status) {
    var e = find(q);
    status.textContent = e ? '' : 'No match';
    if (!e) { return; }
    if (e.kind === 'region') { map.fitBounds(e.bounds); return; }
    var m = markers[e.index], g = groups[data[e.index].group];
    if (!map.hasLayer(g)) { map.addLayer(g); }
    if (g.zoomToShowLayer) {
      g.zoomToShowLayer(m, function () { m.openPopup(); });
    } else {
      map.setView(m.getLatLng(), Math.max(map.getZoom(), 9));
      m.openPopup();
    }
  }
  var Search = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-bar map-search');
      var input = L.DomUtil.create('input', '', div);
      input.type = 'search';
      input.placeholder = 'Search deposits and regions';
      input.setAttribute('aria-label', 'Search deposits and regions (Latin or Cyrillic)');
      input.setAttribute('list', '{{ this.get_name() }}_names');
      var list = L.DomUtil.create('datalist', '', div);
      list.id = '{{ this.get_name() }}_names';
      entries.forEach(function (e) { var o = document.createElement('option'); o.value = e.label; list.appendChild(o); });
      var status = L.DomUtil.create('div', 'map-search-status', div);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.on(input, 'keydown', function (ev) { if (ev.key === 'Enter') { go(input.value, status); } });
      L.DomEvent.on(input, 'input', function (ev) {  // a pick from the suggestion list
        if (ev.inputType === 'insertReplacementText' || ev.inputType === undefined) { go(input.value, status); }
      });
      return div;
    }
  });
  new Search().addTo(map);

  var Fullscreen = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-bar');
      var a = L.DomUtil.create('a', 'map-fullscreen', div);
      a.href = '#'; a.title = 'Full screen'; a.setAttribute('role', 'button'); a.setAttribute('aria-label', 'Full screen');
      a.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" style="margin-top:7px"><path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" fill="none" stroke="#333" stroke-width="2"/></svg>';
      L.DomEvent.on(a, 'click', function (ev) {
        L.DomEvent.preventDefault(ev);
        if (document.fullscreenElement) { document.exitFullscreen(); } else { map.getContainer().requestFullscreen(); }
      });
      return div;
    }
  });
  new Fullscreen().addTo(map);
  document.addEventListener('fullscreenchange', function () { map.invalidateSize(); });

  function boxControl(id, position) {
    var C = L.Control.extend({options: {position: position}, onAdd: function () {
      var el = document.getElementById(id);
      L.DomEvent.disableClickPropagation(el);
      L.DomEvent.disableScrollPropagation(el);
      return el;
    }});
    new C().addTo(map);
  }
  boxControl('{{ this.get_name() }}_panel', 'bottomright');
  boxControl('{{ this.get_name() }}_legend', 'bottomleft');
  if (window.innerWidth < 700) {
    document.querySelectorAll('.map-panel details, .map-legend details').forEach(function (d) { d.open = false; });
  }
  var layers = { {%- for layer in this.layers %}{{ layer.element.get_name()|tojson }}: {{ layer.element.get_name() }}{{ "," if not loop.last }}{%- endfor %} };
  function updateLegend() {
    document.querySelectorAll('#{{ this.get_name() }}_legend .legend-section').forEach(function (el) {
      el.style.display = map.hasLayer(layers[el.dataset.layer]) ? '' : 'none';
    });
  }
  map.on('overlayadd overlayremove layeradd layerremove', updateLegend);
  updateLegend();
  map.attributionControl.addAttribution({{ this.credits }});
  window.resourceMap = {map: map, markers: markers, groups: groups, layers: layers, icon: icon};
})();
{% endmacro %}
"""
    )

    def __init__(
        self,
        *,
        title: str,
        panel: str,
        records: list[dict[str, Any]],
        groups: dict[str, _Layer],
        layers: list[_Layer],
        regions: list[dict[str, Any]],
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "MapExtras"
        self.title = text(title)
        self.panel = panel
        self.records = js_json(records)
        self.groups = groups
        self.layers = layers
        self.regions = js_json(regions)
        self.shapes = js_json(style.SHAPES)
        self.control_legend = _control_legend()
        self.credits = js_json(CREDITS_HTML)


_CSS = f"""
<style>
.folium-map.leaflet-container {{ background: {style.SEA_COLOUR}; font: 12px/1.4 system-ui, sans-serif; }}
.deposit-icon {{ background: none; border: none; filter: drop-shadow(0 0 1px rgba(0,0,0,.7)); }}
.deposit-cluster-icon {{ background: none; border: none; }}
.deposit-cluster {{ box-sizing: border-box; border-radius: 50%; background: #999999; color: #ffffff; font-weight: 700;
  text-align: center; filter: drop-shadow(0 0 1px rgba(0,0,0,.8)); }}
@media (max-width: 700px) {{
  .map-legend, .map-panel {{ max-width: 220px; max-height: 30vh; }}
  .map-search input {{ width: 150px; }}
  .leaflet-control-attribution {{ font-size: 9px; line-height: 1.2; }}
}}
.map-legend, .map-panel {{ background: rgba(255,255,255,.94); padding: 6px 8px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); max-width: 320px; max-height: 42vh; overflow: auto; }}
.map-legend svg {{ vertical-align: middle; }}
.legend-section {{ margin-top: 3px; }}
.swatch {{ display: inline-block; width: 14px; height: 10px; vertical-align: middle; }}
.map-panel summary, .map-legend summary {{ font-weight: 600; cursor: pointer; }}
.map-search input {{ width: 210px; padding: 4px 6px; border: none; font: inherit; }}
.map-search-status {{ padding: 0 6px; color: #a00; }}
.map-fullscreen {{ text-align: center; }}
.map-slider {{ background: #fff; padding: 4px 8px; width: 210px; }}
.map-slider input {{ width: 100%; }}
.map-slider-title {{ font-weight: 600; }}
</style>
"""


def _panel_html(snapshot_date: str, metals: pd.DataFrame, focus: pd.Series | None, here: pd.Series) -> str:
    computed = metals.loc["computed"]
    rows = [f"Occupied areas as of {text(snapshot_date)} (DeepStateMap.Live)"]
    if focus is not None:
        rows.append(
            f"{text(focus['name_en'])}: {focus['occupied_share']:.1%} occupied "
            f"({focus['occupied_km2']:,.0f} of {focus['area_km2']:,.0f} km²)"
        )
    counts = here.value_counts()
    rows.append(
        ("Deposit records: " if focus is None else "Deposit records in this region: ")
        + ", ".join(f"{int(counts.get(s, 0))} {text(style.CONTROL_PHRASES[s])}" for s in schema.CONTROL_STATUSES)
    )
    rows.append("<hr style='margin:4px 0'><b>Metals under Russian control</b>")
    rows.append(f"This project: <b>{computed['share']:.0%}</b> ({text(computed['value'])}; by count, not value)")
    for fid, fig in metals.drop(index="computed").iterrows():
        share = f"{fig['share']:.0%}" if pd.notna(fig["share"]) else text(fig["value"])
        rows.append(
            f"{text(fid)}: <b>{share}</b> — {text(fig['source_name'])}, {text(fig['as_of'])}; "
            f"basis: {text(fig['basis'])} {_link(fig['source_url'])}"
        )
    return "<br>".join(rows)


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


def _bounds(spec: MapSpec, regions: gpd.GeoDataFrame, deposits: gpd.GeoDataFrame) -> list[list[float]]:
    if spec.frame == "lithium":
        lithium = deposits[deposits["commodity_list"].map(lambda c: "lithium" in c) & deposits["location_known"]]
        frame = lithium if not lithium.empty else regions.loc[[schema.COUNTRY_ID]]
        xmin, ymin, xmax, ymax = (float(v) for v in frame.total_bounds)
        pad = 1.0
        return [[ymin - pad, xmin - pad], [ymax + pad, xmax + pad]]
    xmin, ymin, xmax, ymax = regions.geometry[spec.frame].bounds
    return [[ymin, xmin], [ymax, xmax]]


def build_map(
    spec: MapSpec,
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
) -> folium.Map:
    """Build one map: base map, region outlines, occupied areas, line of contact, deposits, controls.

    With `series` (date → occupied area) and `statuses` (control per deposit and
    date), a map whose spec asks for it gets a time slider.
    """
    scale = SCALES[spec.scale]
    bounds = _bounds(spec, regions, deposits)
    fmap = OfflineMap(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=6,
        tiles=None,
        control_scale=True,
    )
    fmap.options.update(minZoom=4, maxZoom=18)  # with no tile layer, Leaflet (and clustering) need these on the map
    _MapSetup(bounds).add_to(fmap)
    _base_layers(fmap, basemap, gpd.GeoSeries(regions.geometry.loc[[schema.COUNTRY_ID]]), scale, bounds)

    layers: list[_Layer] = []
    for level, prefix, shown in spec.region_levels:
        outline = _region_layer(regions, level, prefix, scale=scale, shown=shown)
        if outline is not None:
            name, colour, weight = style.LEVEL_STYLE[level]
            swatch = _legend_swatch(f"border:{weight + 0.5}px solid {colour};background:transparent")
            layers.append(_Layer(outline, f"{swatch} {text(name.lower())} (boundaries)"))
    layers += _occupation_layers(parts, front, scale)
    grey = _contested_layer(contested, scale, shown=spec.name != "overview")
    if grey is not None:
        layers.append(grey)
    anchors = regions[regions["level"] == "oblast"].geometry.representative_point()
    records = _deposit_records(deposits, anchors, snapshot_date)
    groups = _deposit_layers(records, lithium_first=spec.lithium_first)
    layers += list(groups.values())
    for layer in layers:
        layer.element.add_to(fmap)
    folium.LayerControl(collapsed=True, position="topright").add_to(fmap)

    focus = (
        regions.drop(columns=regions.geometry.name).loc[[spec.frame]].iloc[0]
        if spec.frame in regions.index and spec.frame != schema.COUNTRY_ID
        else None
    )
    if focus is None:
        here = deposits["control_status"]
    else:
        here = deposits.loc[deposits["region_ids"].map(lambda ids: spec.frame in ids), "control_status"]
    searchable = regions[regions["level"].isin([level for level, _p, _s in spec.region_levels] + ["oblast"])]
    region_entries = []
    for _rid, row in searchable.iterrows():
        xmin, ymin, xmax, ymax = (round(float(v), 4) for v in row.geometry.bounds)
        for label in (row["name_en"], row["name_uk"]):
            region_entries.append({"label": str(label), "bounds": [[ymin, xmin], [ymax, xmax]]})
    panel = _panel_html(snapshot_date, metals, focus, here)
    MapExtras(
        title=spec.title, panel=panel, records=records, groups=groups, layers=layers, regions=region_entries
    ).add_to(fmap)
    if spec.slider and series and statuses is not None:
        _slider(spec, bounds, series, statuses, deposits).add_to(fmap)
    root = cast("Figure", fmap.get_root())
    root.header.add_child(Element(_CSS), name="map_css")
    root.header.add_child(Element(_VECTOR_JS), name="vector_js")
    if grey is not None:
        root.html.add_child(Element(_HATCH_SVG), name="contested_hatch")
    root.title = text(f"{spec.title} — resource-control-mapper")
    stabilize_ids(root)
    return fmap


def render_html(fmap: folium.Map) -> str:
    """Render a built map to one self-contained HTML page (assets inlined, external URLs refused)."""
    return offline.inline_assets(fmap.get_root().render())


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
    specs: Sequence[MapSpec] = SPECS,
) -> dict[str, bytes]:
    """Render every map in `specs` to self-contained HTML bytes.

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
        Output file name (`geo.schema.MAP_FILES`) → HTML bytes.
    """
    out = {}
    for spec in specs:
        fmap = build_map(
            spec,
            regions=regions,
            deposits=deposits,
            parts=parts,
            front=front,
            metals=metals,
            basemap=basemap,
            snapshot_date=snapshot_date,
            series=series,
            statuses=statuses,
            contested=contested,
        )
        out[schema.MAP_FILES[spec.name]] = render_html(fmap).encode("utf-8")
    return out
