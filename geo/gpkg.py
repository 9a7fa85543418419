"""Write the QGIS outputs: one GeoPackage with default styles and metadata, and a project file.

The GeoPackage is written as version 1.2 (QGIS 3.22 warns on 1.4).  Each layer
gets a QML style in ``layer_styles`` marked ``useAsDefault``, so QGIS applies
it when the layer is opened; the QML carries the field aliases (QGIS ignores
``gpkg_data_columns``).  Layer metadata (title, abstract, source link,
licence, credit, snapshot date) is stored as a QGIS metadata document in
``gpkg_metadata``, which QGIS reads on open.  Every timestamp is the snapshot
date, so the same inputs give the same tables.

The project (``.qgz``) refers to the GeoPackage by a relative path, groups and
orders the layers, opens on the focus regions and carries the same styles.

Colours, shapes and labels come from `geo.style`, as for the HTML maps; every
word (field aliases, layer titles and abstracts, group names, the project's
title and abstract) from the English catalogue, the field aliases by the column
registry (`geo.schema.COLUMNS`), so that no column is left without one.  No
QGIS is needed to write any of this.

Every text written into an XML document (the QML styles, the layer metadata,
the project) or into ``gpkg_contents`` goes through `geo.i18n.xml_text` first:
a control character XML 1.0 forbids, from a region's name or a source's
credit, is dropped, and TAB, LF and CR in one-line text become a space, so
that QGIS can read the documents.  The attribute tables keep the data as it is.
"""

from __future__ import annotations

import dataclasses
import io
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from geo import geometry, i18n, schema, style

QGIS_VERSION = "3.22.16-Białowieża"
_GEOMETRY_TYPES = {"point": 0, "line": 1, "polygon": 2, "none": 4}
#: Declared so that an empty layer (no grey zone at this snapshot) still has its geometry type.
_OGR_TYPES = {"point": "Point", "line": "MultiLineString", "polygon": "MultiPolygon"}


@dataclass(frozen=True)
class LayerInfo:
    """What one GeoPackage table holds and how it is styled and described."""

    name: str  # table name
    title: str
    abstract: str
    frame: pd.DataFrame  # GeoDataFrame for spatial layers
    kind: str  # point, line, polygon or none
    renderer: str = ""  # <renderer-v2> XML; empty for attribute tables
    aliases: Mapping[str, str] = field(default_factory=dict)
    sources: Sequence[Mapping[str, str]] = ()  # {"url", "licence", "credit"}
    temporal: tuple[str, str] | None = None  # start and end date fields, for QGIS's temporal controller
    label: str = ""  # the column QGIS labels the features by; empty: no labels
    subset: str = ""  # the project's filter on the layer (QGIS's subset string, `_source`); empty: none


# --- text -------------------------------------------------------------------------------


def _text(value: object, *, one_line: bool = True) -> str:
    """Return `value` as XML character data: made what XML 1.0 can carry (`geo.i18n.xml_text`), then escaped."""
    return escape(i18n.xml_text(value, one_line=one_line))


def _attr(value: object) -> str:
    """Return `value` as a quoted XML attribute value, one line: made what XML 1.0 can carry, then quoted."""
    return quoteattr(i18n.xml_text(value))


# --- QML ------------------------------------------------------------------------------


def _rgba(colour: str, alpha: float = 1.0) -> str:
    """``#rrggbb`` → QGIS ``r,g,b,a``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{round(alpha * 255)}"


def _options(values: Mapping[str, str]) -> str:
    items = "".join(f'<Option type="QString" name={_attr(k)} value={_attr(v)}/>' for k, v in values.items())
    return f'<Option type="Map">{items}</Option>'


def _data_defined(expressions: Mapping[str, str]) -> str:
    props = "".join(
        f'<Option type="Map" name={_attr(key)}><Option type="bool" name="active" value="true"/>'
        f'<Option type="QString" name="expression" value={_attr(expr)}/><Option type="int" name="type" value="3"/></Option>'
        for key, expr in expressions.items()
    )
    inner = f'<Option type="Map" name="properties">{props}</Option>' if props else '<Option name="properties"/>'
    return (
        f'<data_defined_properties><Option type="Map"><Option type="QString" name="name" value=""/>{inner}'
        f'<Option type="QString" name="type" value="collection"/></Option></data_defined_properties>'
    )


def _symbol(
    name: str, kind: str, layer_class: str, values: Mapping[str, str], defined: Mapping[str, str] | None = None
) -> str:
    return (
        f'<symbol name="{name}" type="{kind}" alpha="1" clip_to_extent="1" force_rhr="0">{_data_defined({})}'
        f'<layer class="{layer_class}" enabled="1" locked="0" pass="0">{_options(values)}{_data_defined(defined or {})}</layer>'
        "</symbol>"
    )


def _control_outline() -> dict[str, str]:
    """Data-defined outline by control status, the same rule as the HTML markers."""
    cases = {
        "outlineColor": "CASE {occ} THEN '{o}' WHEN \"control_status\" = '{unk}' THEN '{u}' ELSE '{h}' END",
        "outlineWidth": "CASE {occ} THEN {o} WHEN \"control_status\" = '{unk}' THEN {u} ELSE {h} END",
        "outlineStyle": "CASE WHEN \"control_status\" = '{unk}' THEN 'dash' ELSE 'solid' END",
    }
    occupied = "WHEN \"control_status\" LIKE 'occupied%'"
    colours = {status: style.CONTROL_OUTLINE[status][0] for status in schema.CONTROL_STATUSES}
    widths = {
        status: round(style.CONTROL_OUTLINE[status][1] * style.MM_PER_PX, 2) for status in schema.CONTROL_STATUSES
    }
    held_colour = "255,255,255,255"
    return {
        "outlineColor": cases["outlineColor"].format(
            occ=occupied,
            o=_rgba(colours[schema.OCCUPIED_SINCE_2022]),
            unk=schema.UNKNOWN,
            u=_rgba(colours[schema.UNKNOWN]),
            h=held_colour,
        ),
        "outlineWidth": cases["outlineWidth"].format(
            occ=occupied,
            o=widths[schema.OCCUPIED_SINCE_2022],
            unk=schema.UNKNOWN,
            u=widths[schema.UNKNOWN],
            h=widths[schema.HELD],
        ),
        "outlineStyle": cases["outlineStyle"].format(unk=schema.UNKNOWN),
    }


def _marker(name: str, group: str, colour: str) -> str:
    shape, angle = style.QGIS_SHAPES[style.GROUP_SHAPES[group]]
    size = style.LITHIUM_MARKER_SIZE if group == "lithium" else style.MARKER_SIZE
    values = {
        "name": shape,
        "angle": str(angle),
        "color": _rgba(colour),
        "outline_color": "255,255,255,255",
        "outline_style": "solid",
        "outline_width": "0.4",
        "outline_width_unit": "MM",
        "size": f"{size * style.MM_PER_PX:.2f}",
        "size_unit": "MM",
        "scale_method": "diameter",
        "joinstyle": "bevel",
    }
    return _symbol(name, "marker", "SimpleMarker", values, _control_outline())


def _fill(
    name: str, colour: str | None, outline: str, width_px: float, alpha: float = 1.0, *, brush: str = "solid"
) -> str:
    values = {
        "color": _rgba(colour, alpha) if colour else "0,0,0,0",
        "style": brush if colour else "no",
        "outline_color": _rgba(outline),
        "outline_style": "solid" if width_px else "no",
        "outline_width": f"{width_px * style.MM_PER_PX:.2f}",
        "outline_width_unit": "MM",
        "joinstyle": "bevel",
    }
    return _symbol(name, "fill", "SimpleFill", values)


def _line(name: str, colour: str, width_px: float) -> str:
    values = {
        "line_color": _rgba(colour),
        "line_style": "solid",
        "line_width": f"{width_px * style.MM_PER_PX:.2f}",
        "line_width_unit": "MM",
        "capstyle": "round",
        "joinstyle": "round",
    }
    return _symbol(name, "line", "SimpleLine", values)


def categorized(attribute: str, categories: Sequence[tuple[str, str, str]]) -> str:
    """Build a categorized renderer from ``(value, label, symbol XML)`` triples (symbols are renamed 0, 1, …)."""
    cats = "".join(
        f'<category render="true" value={_attr(v)} label={_attr(label)} symbol="{i}"/>'
        for i, (v, label, _s) in enumerate(categories)
    )
    symbols = "".join(
        sym.replace('<symbol name="0"', f'<symbol name="{i}"', 1) for i, (_v, _l, sym) in enumerate(categories)
    )
    return (
        f'<renderer-v2 type="categorizedSymbol" attr={_attr(attribute)} forceraster="0" symbollevels="0" '
        f'enableorderby="0" referencescale="-1"><categories>{cats}</categories><symbols>{symbols}</symbols>'
        "<rotation/><sizescale/></renderer-v2>"
    )


def single(symbol: str) -> str:
    """Build a single-symbol renderer."""
    return (
        '<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0" referencescale="-1">'
        f"<symbols>{symbol}</symbols><rotation/><sizescale/></renderer-v2>"
    )


def field_ref(column: str) -> str:
    """Return a QGIS expression naming the field `column`: in double quotes, a double quote in it doubled.

    So that no column name can end the reference and add to the expression (``"a""b"`` is the field ``a"b``).
    """
    return '"' + column.replace('"', '""') + '"'


#: The font of every text QGIS draws from the project (layout labels, scale bar, deposit labels); Debian ships it.
_FONT: Final = "DejaVu Sans"
#: The deposit labels: points, and the white halo around them (mm), as the static maps' labels have one.
LABEL_SIZE_PT: Final = 7.0
LABEL_HALO_MM: Final = 0.8


def _text_style(size_pt: float, *, buffer_mm: float = 0.0, expression: str = "") -> str:
    """Return a QGIS text format (``<text-style>``): `_FONT` at `size_pt` points, black, with a white halo if asked.

    A scale bar without one makes QGIS 3.22 parse an empty font description (``QFont::fromString`` warns).  A
    label's text is the QGIS `expression` (a layer's labels keep it in this element).
    """
    halo = (
        f'<text-buffer bufferDraw="1" bufferSize="{buffer_mm}" bufferSizeUnits="MM" bufferColor="255,255,255,255" '
        'bufferOpacity="0.85" bufferJoinStyle="128" bufferNoFill="1" bufferBlendMode="0"/>'
        if buffer_mm
        else '<text-buffer bufferDraw="0"/>'
    )
    field_attrs = f'fieldName={_attr(expression)} isExpression="1" ' if expression else ""
    return (
        f'<text-style {field_attrs}fontFamily="{_FONT}" namedStyle="Book" fontSize="{size_pt}" fontSizeUnit="Point" '
        'fontWeight="50" fontItalic="0" textColor="0,0,0,255" textOpacity="1" multilineHeight="1" '
        f'fontKerning="1" blendMode="0" allowHtml="0" capitalization="0">{halo}</text-style>'
    )


def _labeling(layer: LayerInfo) -> str:
    """Return the layer's labels (``<labeling>``): its `LayerInfo.label` column, around the point, never overlapping."""
    if not layer.label:
        return ""
    # placement 6: ordered positions around the point (top right first), 1 mm from the marker's edge
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f"{_text_style(LABEL_SIZE_PT, buffer_mm=LABEL_HALO_MM, expression=field_ref(layer.label))}"
        '<text-format wrapChar="" autoWrapLength="24" useMaxLineLengthForAutoWrap="1" multilineAlign="3" '
        'formatNumbers="0" decimals="3" plussign="0" addDirectionSymbol="0"/>'
        '<placement placement="6" dist="1" distUnits="MM" offsetType="1" '
        'predefinedPositionOrder="TR,TL,BR,BL,R,L,TSR,BSR" priority="5" quadOffset="4" xOffset="0" yOffset="0" '
        'rotationAngle="0" centroidWhole="0" centroidInside="0" fitInPolygonOnly="0" overrunDistance="0" '
        'overrunDistanceUnit="MM" lineAnchorPercent="0.5" lineAnchorType="0" placementFlags="10" '
        'repeatDistance="0" repeatDistanceUnit="MM" maxCurvedCharAngleIn="25" maxCurvedCharAngleOut="-25"/>'
        '<rendering obstacle="1" obstacleFactor="1" obstacleType="1" scaleVisibility="0" displayAll="0" '
        'upsidedownLabels="0" limitNumLabels="0" maxNumLabels="2000" drawLabels="1" labelPerPart="0" '
        'mergeLines="0" minFeatureSize="0" zIndex="0" fontLimitPixelSize="0" unplacedVisibility="0"/>'
        "</settings></labeling>"
    )


def _temporal(layer: LayerInfo) -> str:
    if layer.temporal is None:
        return ""
    start, end = layer.temporal
    # mode 1: "separate fields for start and end date"; the end is exclusive and empty means open-ended
    return (
        f'<temporal enabled="1" mode="1" startField="{start}" endField="{end}" durationField="" durationUnit="min" '
        'fixedDuration="0" accumulate="0" limitMode="0" startExpression="" endExpression="">'
        "<fixedRange><start></start><end></end></fixedRange></temporal>"
    )


def qml(layer: LayerInfo) -> str:
    """Return the QML style document of a layer: renderer, field aliases, map tip.

    Raises
    ------
    KeyError
        If a column of the layer has no alias in `LayerInfo.aliases` (QGIS would show it blank).
    """
    columns = [c for c in layer.frame.columns if c != "geometry"]
    missing = [c for c in columns if not layer.aliases.get(c)]
    if missing:
        msg = f"layer {layer.name!r}: no alias for {', '.join(missing[:10])}; pass one for every column (see `aliases`)"
        raise KeyError(msg)
    aliases = "".join(
        f'<alias field={_attr(c)} index="{i}" name={_attr(layer.aliases[c])}/>' for i, c in enumerate(columns)
    )
    geometry_type = _GEOMETRY_TYPES[layer.kind]
    name = next((field_ref(c) for c in ("name_map", "name_en") if c in columns), "")
    # QGIS shows a map tip as HTML: the name goes in as text, its & < > escaped
    tip = f"[% replace({name}, array('&', '<', '>'), array('&amp;', '&lt;', '&gt;')) %]" if name else ""
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" '
        'minScale="100000000" maxScale="0" readOnly="0" '
        f'labelsEnabled="{int(bool(layer.label))}">'
        f"{_temporal(layer)}{layer.renderer}{_labeling(layer)}<aliases>{aliases}</aliases>"
        f"<mapTip>{_text(tip)}</mapTip><previewExpression>{_text(name)}</previewExpression>"
        f"<layerGeometryType>{geometry_type}</layerGeometryType></qgis>\n"
    )


# --- layer metadata -----------------------------------------------------------------------


def metadata_xml(layer: LayerInfo, *, snapshot_date: str, source_revision: str | None) -> str:
    """Return a QGIS layer-metadata document (the QMD format) for `layer`."""
    links = "".join(
        f'<link name="source" type="WWW:LINK" url={_attr(s["url"])} description={_attr(s["credit"])} '
        'format="" mimeType="" size=""/>'
        for s in layer.sources
        if s.get("url")
    )
    rights = "".join(f"<rights>{_text(s['credit'])}</rights>" for s in layer.sources)
    licences = "".join(f"<license>{_text(s['licence'])}</license>" for s in layer.sources)
    words = i18n.words("en")  # the GeoPackage is in English
    history = (
        words("qgis.metadata.history_revision", date=snapshot_date, revision=source_revision)
        if source_revision
        else words("qgis.metadata.history", date=snapshot_date)
    )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}"><identifier>{_text(layer.name)}</identifier><parentidentifier/>'
        f"<language>en</language><type>dataset</type><title>{_text(layer.title)}</title>"
        f"<abstract>{_text(layer.abstract, one_line=False)}</abstract>"
        f'<keywords vocabulary="snapshot_date"><keyword>{_text(snapshot_date)}</keyword></keywords>'
        f"<links>{links}</links><history>{_text(history)}</history><fees/>{rights}{licences}<encoding/></qgis>\n"
    )


# --- the GeoPackage ----------------------------------------------------------------------


_STYLES_TABLE = """
CREATE TABLE layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
  styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30),
  ui TEXT(30), update_time DATETIME
)"""


def _stamp(snapshot_date: str) -> str:
    return f"{snapshot_date}T00:00:00.000Z"


def write_gpkg_file(
    path: Path, layers: Sequence[LayerInfo], *, snapshot_date: str, source_revision: str | None
) -> None:
    """Write `layers` into a new GeoPackage 1.2 at `path`, with default styles and metadata."""
    stamp = _stamp(snapshot_date)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": stamp})
    try:
        for i, layer in enumerate(layers):
            # gpkg_contents' identifier and description: text, but QGIS shows it (and GDAL ends it at a NUL)
            options = {
                "IDENTIFIER": i18n.xml_text(layer.title),
                "DESCRIPTION": i18n.xml_text(layer.abstract, one_line=False),
            }
            if isinstance(layer.frame, gpd.GeoDataFrame):
                options["GEOMETRY_NAME"] = "geom"
            spatial = isinstance(layer.frame, gpd.GeoDataFrame)
            pyogrio.write_dataframe(
                layer.frame,
                path,
                layer=layer.name,
                driver="GPKG",
                promote_to_multi=layer.kind in ("line", "polygon"),
                geometry_type=_OGR_TYPES.get(layer.kind) if spatial else None,
                dataset_options={"VERSION": "1.2"} if i == 0 else None,
                layer_options=options,
            )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    _ensure_metadata_tables(path)
    with sqlite3.connect(path) as db:
        db.execute(_STYLES_TABLE)
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles', ?, ?)",
            (i18n.words("en")("qgis.styles"), stamp),
        )
        for layer in layers:
            geometry_column = "geom" if isinstance(layer.frame, gpd.GeoDataFrame) else ""
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, "
                "styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, ?)",
                (layer.name, geometry_column, layer.name, qml(layer), i18n.xml_text(layer.title), stamp),
            )
            cursor = db.execute(
                "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
                "VALUES ('dataset', 'http://mrcc.com/qgis.dtd', 'text/xml', ?)",
                (metadata_xml(layer, snapshot_date=snapshot_date, source_revision=source_revision),),
            )
            db.execute(
                "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, column_name, row_id_value, "
                "timestamp, md_file_id, md_parent_id) VALUES ('table', ?, NULL, NULL, ?, ?, NULL)",
                (layer.name, stamp, cursor.lastrowid),
            )
        db.execute("UPDATE gpkg_contents SET last_change = ?", (stamp,))
    with sqlite3.connect(path) as db:
        db.execute("VACUUM")


def _ensure_metadata_tables(path: Path) -> None:
    """Create the GeoPackage metadata extension tables if GDAL did not."""
    with sqlite3.connect(path) as db:
        have = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "gpkg_extensions" not in have:
            db.execute(
                "CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, "
                "definition TEXT NOT NULL, scope TEXT NOT NULL, "
                "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
            )
        if "gpkg_metadata" not in have:
            db.executescript(
                """
CREATE TABLE gpkg_metadata (
  id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, md_scope TEXT NOT NULL DEFAULT 'dataset',
  md_standard_uri TEXT NOT NULL, mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '');
CREATE TABLE gpkg_metadata_reference (
  reference_scope TEXT NOT NULL, table_name TEXT, column_name TEXT, row_id_value INTEGER,
  timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  md_file_id INTEGER NOT NULL, md_parent_id INTEGER,
  CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
  CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id));
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
VALUES ('gpkg_metadata', NULL, 'gpkg_metadata', 'http://www.geopackage.org/spec120/#extension_metadata', 'read-write'),
       ('gpkg_metadata_reference', NULL, 'gpkg_metadata', 'http://www.geopackage.org/spec120/#extension_metadata',
        'read-write');
"""
            )


def render_gpkg(layers: Sequence[LayerInfo], *, snapshot_date: str, source_revision: str | None) -> bytes:
    """Write the GeoPackage in a scratch folder and return its bytes."""
    with tempfile.TemporaryDirectory(prefix="geo-gpkg-") as scratch:
        path = Path(scratch) / schema.GPKG_FILE
        write_gpkg_file(path, layers, snapshot_date=snapshot_date, source_revision=source_revision)
        return path.read_bytes()


# --- the layers --------------------------------------------------------------------------


def aliases(columns: Sequence[str], *, words: i18n.Words | None = None) -> dict[str, str]:
    """Return the QGIS field alias of each of `columns`: its label in the catalogue (English by default).

    Raises
    ------
    KeyError
        Naming a column that is not in `geo.schema.COLUMNS`, or whose label the catalogue lacks.
    """
    words = words or i18n.words("en")  # the GeoPackage and the QGIS project are in English
    unknown = [c for c in columns if c != "geometry" and c not in schema.COLUMNS]
    if unknown:
        msg = f"columns {', '.join(unknown[:10])} are not in geo.schema.COLUMNS; add an entry for each"
        raise KeyError(msg)
    return {c: words(schema.COLUMNS[c].alias_key) for c in columns if c != "geometry"}


def _layer(
    name: str,
    frame: pd.DataFrame,
    kind: str,
    renderer: str,
    sources: Sequence[Mapping[str, str]],
    *,
    temporal: tuple[str, str] | None = None,
    label: str = "",
    **values: object,
) -> LayerInfo:
    """Describe one table: its title and abstract from the catalogue (``qgis.layer.<name>.*``), its columns' aliases."""
    words = i18n.words("en")  # the GeoPackage and the QGIS project are in English
    return LayerInfo(
        name,
        words(f"qgis.layer.{name}.title"),
        words(f"qgis.layer.{name}.abstract", **values),
        frame,
        kind,
        renderer,
        aliases(list(frame.columns), words=words),
        sources,
        temporal=temporal,
        label=label,
    )


def _sources(provenance: Mapping[str, Mapping[str, object]], files: Sequence[str]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for key in files:
        side = provenance.get(key) or {}
        entry = {k: str(side.get(k) or "") for k in ("url", "licence", "credit")}
        if entry not in out:
            out.append(entry)
    return out


def gpkg_layers(
    *,
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    parts: gpd.GeoDataFrame,
    part_area_km2: pd.Series,
    history: Mapping[str, gpd.GeoDataFrame],
    contested: shapely.Geometry,
    front: gpd.GeoSeries,
    front_km: float,
    control: pd.DataFrame,
    provenance: Mapping[str, Mapping[str, object]],
    snapshot_date: str,
    contested_km2: float = 0.0,
    basemap: gpd.GeoDataFrame | None = None,
    scenarios: Sequence[Mapping[str, Any]] = (),
    compared: SourcesCompared | None = None,
) -> list[LayerInfo]:
    """Assemble the GeoPackage's tables, styles and descriptions from the computed frames.

    Parameters
    ----------
    compared
        The occupation sources compared (`geo.build.compute_sources`): with them, the layer
        ``sources_disagreement`` and the tables ``sources_compare`` and ``sources_deposits`` (`source_layers`).
    scenarios
        The scenario views (`geo.build.scenario_views`): with them, the layers ``scenario_areas`` and
        ``scenarios`` (`scenario_layers`) are added, off when the project opens, drawn by its atlas layout.
    basemap
        The offline base map (`geo.sources.read_basemap`): with it, the layers ``neighbours`` and ``sea``
        (`base_layers`) are added, drawn beneath everything else.
    provenance
        Sidecar of each input, keyed by its path relative to the layers folder
        (`geo.schema` file constants; the snapshot under ``"snapshot"``).
    """
    boundaries = [
        schema.OBLASTS_FILE,
        schema.RAIONS_FILE,
        schema.HROMADAS_FILE,
        schema.COUNTRY_HROMADAS_FILE,
        schema.POKROVSK_FILE,
    ]
    occupation = ["snapshot", schema.PRE2022_FILE]
    region_cols = [c for c in schema.REGION_COLUMNS if c != schema.REGION_ID]
    region_frame = gpd.GeoDataFrame(
        regions[region_cols].reset_index(names=schema.REGION_ID),
        geometry=regions.geometry.to_numpy(),
        crs=schema.STORAGE_CRS,
    )
    words = i18n.words("en")  # the GeoPackage and the QGIS project are in English
    levels = [lvl for lvl in style.LEVEL_STYLE if lvl in set(region_frame["level"])]
    region_renderer = categorized(
        "level",
        [(lvl, words(f"level.{lvl}"), _fill("0", None, *style.LEVEL_STYLE[lvl])) for lvl in levels],
    )

    deposit_cols = [c for c in schema.DEPOSIT_COLUMNS if c not in ("lon", "lat")] + ["lon", "lat"]
    deposit_frame = deposits.reset_index()[deposit_cols].copy()
    deposit_frame.insert(3, DEPOSIT_GROUP_COLUMN, deposits["primary_commodity"].map(style.commodity_group).to_numpy())
    # the Latin name the maps show (the print and HTML maps' one rule), which QGIS labels the deposits by
    deposit_frame.insert(3, "name_map", [words.map_name(row) for row in deposit_frame.to_dict("records")])
    for column in ("status_uncertain", "location_known"):
        deposit_frame[column] = deposit_frame[column].astype(bool)
    deposit_frame["near_front"] = deposit_frame["near_front"].astype("boolean")
    deposit_frame = gpd.GeoDataFrame(deposit_frame, geometry=deposits.geometry.to_numpy(), crs=schema.STORAGE_CRS)
    used = set(deposit_frame[DEPOSIT_GROUP_COLUMN])
    deposit_renderer = categorized(
        DEPOSIT_GROUP_COLUMN,
        [
            (key, words(f"group.{key}"), _marker("0", key, colour))
            for key, _m, colour in style.COMMODITY_GROUPS
            if key in used
        ],
    )

    occupied_frame = gpd.GeoDataFrame(
        {
            "period": list(parts.index),
            "area_km2": part_area_km2.reindex(parts.index).round(schema.KM2_DECIMALS).to_numpy(),
            "snapshot_date": snapshot_date,
        },
        geometry=parts.geometry.to_numpy(),
        crs=schema.STORAGE_CRS,
    )
    occupied_frame = occupied_frame[~occupied_frame.geometry.is_empty]
    colours = {
        schema.OCCUPIED_SINCE_2022: style.OCCUPIED_SINCE_2022_COLOUR,
        schema.OCCUPIED_BEFORE_2022: style.OCCUPIED_BEFORE_2022_COLOUR,
    }
    occupied_renderer = categorized(
        "period",
        [
            (
                period,
                words(f"control.{period}"),
                _fill("0", colours[period], colours[period], 0.6, style.OCCUPATION_OPACITY),
            )
            for period in (schema.OCCUPIED_SINCE_2022, schema.OCCUPIED_BEFORE_2022)
        ],
    )
    front_frame = gpd.GeoDataFrame(
        {"snapshot_date": [snapshot_date], "length_km": [schema.COLUMNS["length_km"].rounded(front_km)]},
        geometry=front.to_numpy(),
        crs=schema.STORAGE_CRS,
    )
    front_frame = front_frame[~front_frame.geometry.is_empty]

    dates = list(history)
    rows: list[dict[str, Any]] = []
    for i, date in enumerate(dates):
        end = dates[i + 1] if i + 1 < len(dates) else None
        for period, geom in history[date].geometry.items():
            if geom is not None and not geom.is_empty:
                rows.append({"period": period, "start_date": date, "end_date": end, "geometry": geom})
    history_frame = gpd.GeoDataFrame(
        pd.DataFrame(rows).drop(columns="geometry"),
        geometry=gpd.GeoSeries([r["geometry"] for r in rows], crs=schema.STORAGE_CRS).to_numpy(),
        crs=schema.STORAGE_CRS,
    )
    for column in ("start_date", "end_date"):
        history_frame[column] = pd.to_datetime(history_frame[column]).astype("datetime64[ms]")

    grey = [contested] if contested is not None and not shapely.is_empty(contested) else []
    contested_frame = gpd.GeoDataFrame(
        {
            "snapshot_date": [snapshot_date] * len(grey),
            "area_km2": [schema.COLUMNS["area_km2"].rounded(contested_km2)] * len(grey),
        },
        geometry=grey,
        crs=schema.STORAGE_CRS,
    )
    stats_frame = regions[region_cols].reset_index(names=schema.REGION_ID)
    control_frame = control.reset_index()[list(schema.CONTROL_COLUMNS)]
    return [
        _layer(
            "deposits",
            deposit_frame,
            "point",
            deposit_renderer,
            _sources(provenance, [schema.DEPOSITS_FILE]),
            label="name_map",  # the GeoPackage's language is English: the maps' Latin name
            date=snapshot_date,
        ),
        _layer(
            "line_of_contact",
            front_frame,
            "line",
            single(_line("0", style.FRONT_COLOUR, 2.2)),
            _sources(provenance, occupation),
            km=words.figure(schema.BORDER_TOLERANCE_M / 1000),
        ),
        _layer(
            "occupied_areas",
            occupied_frame,
            "polygon",
            occupied_renderer,
            _sources(provenance, occupation),
            date=snapshot_date,
        ),
        _layer(
            "contested_areas",
            contested_frame,
            "polygon",
            single(_fill("0", style.CONTESTED_COLOUR, style.CONTESTED_COLOUR, 0.6, brush="b_diagonal")),
            _sources(provenance, occupation),
            date=snapshot_date,
        ),
        _layer(
            "occupation_history",
            history_frame,
            "polygon",
            occupied_renderer,
            _sources(provenance, occupation),
            temporal=("start_date", "end_date"),
        ),
        _layer(
            "regions", region_frame, "polygon", region_renderer, _sources(provenance, boundaries), crs=schema.AREA_CRS
        ),
        _layer(
            "region_stats",
            stats_frame,
            "none",
            "",
            _sources(provenance, boundaries + occupation),
            file=schema.REGIONS_CSV,
        ),
        _layer(
            "control",
            control_frame,
            "none",
            "",
            _sources(provenance, [schema.DEPOSITS_FILE, *occupation]),
            file=schema.CONTROL_CSV,
        ),
        *(scenario_layers(scenarios, provenance) if scenarios else []),
        *(source_layers(compared, provenance, snapshot_date=snapshot_date) if compared is not None else []),
        *(base_layers(basemap, regions.geometry[schema.COUNTRY_ID], provenance) if basemap is not None else []),
    ]


# --- the scenarios --------------------------------------------------------------------------

#: The project variable naming the scenario the canvas draws when no atlas page is being drawn (the frozen line).
SCENARIO_VARIABLE: Final = "scenario"
#: The classes of ground a scenario draws, each with its geometry in the view and its area in the view's regions.
_SCENARIO_CLASSES: Final = (
    (schema.RUSSIAN_CONTROLLED, "russian", "russian_controlled_km2"),
    (schema.DEMILITARISED, "demilitarised", "demilitarised_km2"),
)
#: The column of ``scenario_areas`` that says which class a feature is (the renderer's categories).
SCENARIO_CLASS_COLUMN: Final = "class"
#: How far apart the demilitarised zone's hatching lines are, and how wide, mm (as the other maps' diagonal hatch).
_HATCH_DISTANCE_MM: Final = 2.0
_HATCH_WIDTH_MM: Final = 0.3


def scenario_shown() -> str:
    """Return the QGIS expression that keeps a ``scenario_areas`` feature drawn: the atlas page's scenario.

    On an atlas page (the ``Scenarios`` layout) it is the page's feature's ``scenario_id``; elsewhere (the canvas)
    the project variable `SCENARIO_VARIABLE` (the frozen line, which an analyst may change).  The feature's field
    and the atlas feature's attribute are named by `field_ref` and `_string_literal`, never spliced in as data.
    """
    column = "scenario_id"
    page = f"attribute(@atlas_feature, {_string_literal(column)})"
    return f"{field_ref(column)} = CASE WHEN @atlas_feature IS NULL THEN @{SCENARIO_VARIABLE} ELSE {page} END"


def _scenario_symbols(shown: str) -> dict[str, str]:
    """Return the fill symbol of each scenario class, each of its symbol layers drawn only where `shown` holds."""
    defined = {"enabled": shown}
    russian = _symbol(
        "0",
        "fill",
        "SimpleFill",
        {
            "color": _rgba(style.SCENARIO_RUSSIAN_COLOUR, style.OCCUPATION_OPACITY),
            "style": "solid",
            "outline_color": _rgba(style.SCENARIO_RUSSIAN_COLOUR),
            "outline_style": "solid",
            "outline_width": f"{0.6 * style.MM_PER_PX:.2f}",
            "outline_width_unit": "MM",
            "joinstyle": "bevel",
        },
        defined,
    )
    fill = {
        "color": _rgba(style.DEMILITARISED_COLOUR, style.DEMILITARISED_OPACITY),
        "style": "solid",
        "outline_color": _rgba(style.DEMILITARISED_COLOUR),
        "outline_style": "solid",
        "outline_width": f"{0.6 * style.MM_PER_PX:.2f}",
        "outline_width_unit": "MM",
        "joinstyle": "bevel",
    }
    hatch_line = {
        "line_color": _rgba(style.DEMILITARISED_COLOUR),
        "line_style": "solid",
        "line_width": str(_HATCH_WIDTH_MM),
        "line_width_unit": "MM",
        "capstyle": "flat",
        "joinstyle": "bevel",
    }
    hatch = {
        "angle": "45",  # the other maps' "////"
        "color": _rgba(style.DEMILITARISED_COLOUR),
        "distance": str(_HATCH_DISTANCE_MM),
        "distance_unit": "MM",
        "line_width": str(_HATCH_WIDTH_MM),
        "line_width_unit": "MM",
        "offset": "0",
        "offset_unit": "MM",
        "outline_width_unit": "MM",
    }
    line = (
        f'<symbol name="@0@1" type="line" alpha="1" clip_to_extent="1" force_rhr="0">{_data_defined({})}'
        f'<layer class="SimpleLine" enabled="1" locked="0" pass="0">{_options(hatch_line)}{_data_defined({})}</layer>'
        "</symbol>"
    )
    demilitarised = (
        f'<symbol name="0" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">{_data_defined({})}'
        f'<layer class="SimpleFill" enabled="1" locked="0" pass="0">{_options(fill)}{_data_defined(defined)}</layer>'
        f'<layer class="LinePatternFill" enabled="1" locked="0" pass="0">{_options(hatch)}{_data_defined(defined)}'
        f"{line}</layer></symbol>"
    )
    return {schema.RUSSIAN_CONTROLLED: russian, schema.DEMILITARISED: demilitarised}


def _country_row(view: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the Ukraine row of a scenario view's ``regions`` (its figures, as ``summary.json`` has them)."""
    row: Mapping[str, Any] = next(r for r in view["regions"] if r["region_id"] == schema.COUNTRY_ID)
    return row


def _quote(view: Mapping[str, Any]) -> str:
    """Return a scenario's quote as its atlas page shows it: with our English translation beneath, labelled."""
    quote, english = str(view.get("quote") or ""), str(view.get("quote_en") or "")
    if not english:
        return quote
    translation = i18n.words("en")("qgis.layout.scenarios.translation", quote=english)
    return f"{quote}\n{translation}" if quote else translation


def _scenario_geometry(geoms: Sequence[shapely.Geometry | None]) -> np.ndarray:
    """Simplify lon/lat geometries as the country maps' static maps do (`geo.geometry.SCALES`), on their grid.

    An empty or missing geometry, or one the simplification leaves empty, comes back as None.
    """
    scale = geometry.SCALES["country"]
    out = np.full(len(geoms), None, dtype=object)
    kept = {i: g for i, g in enumerate(geoms) if g is not None and not shapely.is_empty(g)}
    if not kept:
        return out
    series = gpd.GeoSeries(list(kept.values()), index=list(kept), crs=schema.STORAGE_CRS)
    simple = geometry.simplify_for_web(series, tolerance_m=scale.printed.metres, decimals=scale.decimals)
    for i, geom in zip(simple.index, simple.array, strict=True):
        out[i] = geom
    return out


def scenario_frames(views: Sequence[Mapping[str, Any]]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return the scenarios as two layers: (one feature per scenario × class of ground, one row per scenario).

    ``scenario_areas`` holds the ground each scenario gives Russia (``russian_controlled``) and the demilitarised
    zone (``demilitarised``), a class left out where it is empty; its ``area_km2`` is Ukraine's figure of that
    class (equal-area, from the full-detail geometry, as ``scenarios.csv``), the geometry simplified for a country
    map (`geo.geometry.SCALES` ``country``, printed).  ``scenarios`` is the atlas coverage: one row per scenario,
    its source, quote (followed by our English translation, labelled, where the quote is in another language), the
    date of the line it starts from, Ukraine's figures (with ``russian_or_demilitarised_share``, Russian-controlled and
    demilitarised together), and the union of its two classes (None where both are empty).
    """
    rows: list[dict[str, Any]] = []
    geoms: list[shapely.Geometry] = []
    coverage: list[dict[str, Any]] = []
    unions: list[shapely.Geometry | None] = []
    for view in views:
        country = _country_row(view)
        about = {key: view[key] for key in ("scenario_id", "name_en", "name_uk", "proposed", "source_url")}
        for cls, geometry_key, km2_key in _SCENARIO_CLASSES:
            geom = view[geometry_key]
            if geom is None or shapely.is_empty(geom):
                continue
            rows.append(
                {
                    **about,
                    SCENARIO_CLASS_COLUMN: cls,
                    "area_km2": float(country[km2_key]),
                    "russian_controlled_share": float(country["russian_controlled_share"]),
                }
            )
            geoms.append(geom)
        both = country.get("russian_or_demilitarised_share")
        coverage.append(
            {
                **about,
                "quote": _quote(view),
                "date": str(view["date"]),
                "russian_controlled_share": float(country["russian_controlled_share"]),
                "russian_controlled_km2": float(country["russian_controlled_km2"]),
                "demilitarised_km2": float(country["demilitarised_km2"]),
                "russian_or_demilitarised_share": None if both is None else float(both),
            }
        )
        parts = [view[key] for _cls, key, _km2 in _SCENARIO_CLASSES if view[key] is not None]
        unions.append(shapely.union_all(parts) if parts else None)
    area_columns = ["scenario_id", "name_en", "name_uk", "proposed", "source_url", SCENARIO_CLASS_COLUMN, "area_km2",
                    "russian_controlled_share"]  # fmt: skip
    areas = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=area_columns), geometry=_scenario_geometry(geoms), crs=schema.STORAGE_CRS
    )
    areas = areas[~areas.geometry.isna()].reset_index(drop=True)
    coverage_columns = ["scenario_id", "name_en", "name_uk", "proposed", "source_url", "quote", "date",
                        "russian_controlled_share", "russian_controlled_km2", "demilitarised_km2",
                        "russian_or_demilitarised_share"]  # fmt: skip
    table = gpd.GeoDataFrame(
        pd.DataFrame(coverage, columns=coverage_columns), geometry=_scenario_geometry(unions), crs=schema.STORAGE_CRS
    )
    return areas, table


def scenario_layers(
    views: Sequence[Mapping[str, Any]], provenance: Mapping[str, Mapping[str, object]]
) -> list[LayerInfo]:
    """Return the scenarios' layers for QGIS: ``scenario_areas`` (styled by class) and ``scenarios`` (the atlas's)."""
    words = i18n.words("en")  # the GeoPackage and the QGIS project are in English
    areas, table = scenario_frames(views)
    credit = _sources(provenance, [schema.SCENARIOS_FILE, "snapshot"])
    symbols = _scenario_symbols(scenario_shown())
    renderer = categorized(
        SCENARIO_CLASS_COLUMN, [(cls, words(f"qgis.class.{cls}"), symbols[cls]) for cls, _g, _k in _SCENARIO_CLASSES]
    )
    outline = single(_fill("0", None, style.SCENARIO_RUSSIAN_COLOUR, 1.2))
    date = str(views[0]["date"]) if views else ""
    return [
        _layer("scenario_areas", areas, "polygon", renderer, credit, date=date, variable=SCENARIO_VARIABLE),
        _layer("scenarios", table, "polygon", outline, credit, date=date),
    ]


# --- the occupation sources compared ----------------------------------------------------------------

#: The column of ``sources_disagreement`` naming the one source that shows a feature's ground occupied.
ONLY_SOURCE_COLUMN: Final = "only_source"
#: The style of a source `geo.style.SOURCE_ONLY_STYLE` has none for: a user's file's (as the HTML maps' popups).
_UNKNOWN_SOURCE: Final = "file"


def source_only_symbol(source: str) -> str:
    """Return the fill of the ground only `source` shows occupied: `geo.style.SOURCE_ONLY_STYLE`'s, as the HTML maps'.

    Its colour at `geo.style.SOURCE_ONLY_OPACITY`, outlined in that colour with the source's dash (the SVG dash
    pattern in px, in mm here), which tells the sources apart in grey print.
    """
    colour, dash = style.SOURCE_ONLY_STYLE.get(source, style.SOURCE_ONLY_STYLE[_UNKNOWN_SOURCE])
    fill = {
        "color": _rgba(colour, style.SOURCE_ONLY_OPACITY),
        "style": "solid",
        "outline_style": "no",
        "outline_color": _rgba(colour),
        "outline_width": "0",
        "outline_width_unit": "MM",
        "joinstyle": "bevel",
    }
    outline = {
        "line_color": _rgba(colour),
        "line_style": "solid",
        "line_width": f"{1.2 * style.MM_PER_PX:.2f}",
        "line_width_unit": "MM",
        "use_custom_dash": "1" if dash else "0",
        "customdash": ";".join(f"{float(v) * style.MM_PER_PX:.2f}" for v in dash.split()),
        "customdash_unit": "MM",
        "capstyle": "flat",
        "joinstyle": "bevel",
    }
    return (
        f'<symbol name="0" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">{_data_defined({})}'
        f'<layer class="SimpleFill" enabled="1" locked="0" pass="0">{_options(fill)}{_data_defined({})}</layer>'
        f'<layer class="SimpleLine" enabled="1" locked="0" pass="0">{_options(outline)}{_data_defined({})}</layer>'
        "</symbol>"
    )


@dataclass(frozen=True)
class SourcesCompared:
    """The occupation sources compared, as `geo.build.SourcesResult` holds them and the CSVs write them."""

    shapes: gpd.GeoDataFrame  # date, source_a, source_b, only, km2; lon/lat (`geo.build.SourcesResult.shapes`)
    compare: pd.DataFrame  # ``sources_compare.csv``'s rows and columns
    deposits: pd.DataFrame  # ``sources_deposits.csv``'s rows and columns
    credits: Mapping[str, str]  # source id → its credit, in the comparison's order (`geo.build.SourcesResult`)


def shown_day(compared: SourcesCompared, snapshot_date: str) -> str:
    """Return the day ``sources_disagreement`` shows when the project opens: the snapshot's, or the last before it.

    The snapshot's own day where another source has a snapshot of it; else the last day compared before it; the
    snapshot's day when no day is compared (the layer is empty then).
    """
    days = sorted({str(d) for d in compared.shapes["date"]} | set(compared.compare["date"].astype(str)))
    before = [d for d in days if d <= snapshot_date]
    return before[-1] if before else snapshot_date


def day_filter(day: str) -> str:
    """Return ``sources_disagreement``'s filter keeping the features of `day` (QGIS's subset string), quoted."""
    return f"{field_ref('date')} = {_string_literal(day)}"


def _as_table(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Return `frame` as the CSV `name` has it: its columns in order, each rounded as registered (`geo.tables`)."""
    table = frame[list(schema.TABLE_COLUMNS[name])].reset_index(drop=True).copy()
    for column in table.columns:
        decimals = schema.COLUMNS[column].decimals
        if decimals is not None:
            table[column] = table[column].astype(float).round(decimals)
    return table


def _polygonal(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """Return the polygons of `geom` (a difference of two areas may hold lines and points too); None if none."""
    if geom is None or shapely.is_empty(geom):
        return None
    if shapely.get_type_id(geom) in (3, 6):  # Polygon, MultiPolygon
        return geom
    # the parts of a difference do not overlap: gathered, not merged (a union of reprojected parts may fail)
    polygons = [p for p in shapely.get_parts(shapely.get_parts(geom)) if shapely.get_type_id(p) == 3]
    return shapely.multipolygons(polygons) if polygons else None


def source_frames(compared: SourcesCompared) -> gpd.GeoDataFrame:
    """Return ``sources_disagreement``: one feature per day × pair × the source that alone shows the ground occupied.

    Its columns are ``date``, ``source_a``, ``source_b``, ``only_source`` and ``area_km2`` (equal-area, as
    ``sources_compare.csv``'s), the geometry in lon/lat at full detail, so that a sliver keeps its area; the lines
    and points a difference of two areas may leave are dropped (a feature with no polygon left, too).
    """
    shapes = compared.shapes
    frame = pd.DataFrame(
        {
            "date": shapes["date"].astype(str).to_numpy(),
            "source_a": shapes["source_a"].astype(str).to_numpy(),
            "source_b": shapes["source_b"].astype(str).to_numpy(),
            ONLY_SOURCE_COLUMN: shapes["only"].astype(str).to_numpy(),
            "area_km2": [schema.COLUMNS["area_km2"].rounded(float(v)) for v in shapes["km2"]],
        }
    )
    geoms = [_polygonal(g) for g in shapes.geometry.to_crs(schema.STORAGE_CRS).to_numpy()]
    kept = [g is not None for g in geoms]
    return gpd.GeoDataFrame(
        frame[kept].reset_index(drop=True),
        geometry=[g for g in geoms if g is not None],
        crs=schema.STORAGE_CRS,
    )


def _source_credits(
    compared: SourcesCompared, provenance: Mapping[str, Mapping[str, object]], files: Sequence[str]
) -> list[dict[str, str]]:
    """Return the credits of the layers comparing the sources: every source compared, then the files `files` names.

    Each source's credit is `SourcesCompared.credits`'; its link and licence those of the build's snapshot for the
    build's own source (`geo.style.DEFAULT_OCCUPATION_SOURCE`), else `geo.style.OCCUPATION_SOURCES`'.
    """
    out: list[dict[str, str]] = []
    snapshot = provenance.get("snapshot") or {}
    for source, credit in compared.credits.items():
        known = style.OCCUPATION_SOURCES.get(source)
        if source == style.DEFAULT_OCCUPATION_SOURCE:
            url, licence = str(snapshot.get("url") or ""), str(snapshot.get("licence") or "")
        else:
            url, licence = (known.url, known.licence) if known is not None else ("", "")
        entry = {"url": url, "licence": licence, "credit": str(credit)}
        if entry not in out:
            out.append(entry)
    return out + [s for s in _sources(provenance, files) if s not in out]


def source_layers(
    compared: SourcesCompared, provenance: Mapping[str, Mapping[str, object]], *, snapshot_date: str
) -> list[LayerInfo]:
    """Return the sources compared for QGIS: ``sources_disagreement`` (by source) and the two tables, as the CSVs.

    ``sources_disagreement`` is categorised by `ONLY_SOURCE_COLUMN`, one category per source compared in its
    style (`source_only_symbol`), labelled with its credit; the project filters it to one day
    (`shown_day`, `day_filter`) and opens with it off.  Every layer credits every source compared.
    """
    words = i18n.words("en")  # the GeoPackage and the QGIS project are in English
    credits = "; ".join(dict.fromkeys(str(c) for c in compared.credits.values()))
    renderer = categorized(
        ONLY_SOURCE_COLUMN,
        [
            (
                source,
                words("qgis.layer.sources_disagreement.category", credit=credit),
                source_only_symbol(source),
            )
            for source, credit in compared.credits.items()
        ],
    )
    day = shown_day(compared, snapshot_date)
    occupation = [schema.PRE2022_FILE]
    boundaries = [schema.OBLASTS_FILE, schema.RAIONS_FILE, schema.HROMADAS_FILE, schema.COUNTRY_HROMADAS_FILE,
                  schema.POKROVSK_FILE]  # fmt: skip
    shapes = _layer(
        "sources_disagreement",
        source_frames(compared),
        "polygon",
        renderer,
        _source_credits(compared, provenance, occupation),
        credits=credits,
        date=day,
    )
    return [
        dataclasses.replace(shapes, subset=day_filter(day)),
        _layer(
            "sources_compare",
            _as_table(compared.compare, schema.SOURCES_COMPARE_CSV),
            "none",
            "",
            _source_credits(compared, provenance, [*boundaries, *occupation]),
            file=schema.SOURCES_COMPARE_CSV,
            credits=credits,
        ),
        _layer(
            "sources_deposits",
            _as_table(compared.deposits, schema.SOURCES_DEPOSITS_CSV),
            "none",
            "",
            _source_credits(compared, provenance, [schema.DEPOSITS_FILE, *occupation]),
            file=schema.SOURCES_DEPOSITS_CSV,
            credits=credits,
        ),
    ]


def base_frames(basemap: gpd.GeoDataFrame, ukraine: shapely.Geometry) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return the base map as two layers: (neighbouring land, sea), both derived from the base map alone.

    Neighbouring land is the base map's features (its ``land`` feature and the countries around Ukraine), the
    ``land`` feature without `ukraine` so that Ukraine stays white as on the other maps; the sea is the base map's
    frame (`geo.schema.BASEMAP_BBOX`, the box its data was clipped to) minus all its land, Ukraine's included.
    """
    geoms = shapely.make_valid(basemap.geometry.to_numpy())
    land = np.asarray(basemap["kind"].astype(str) == "land")
    neighbours = np.where(land, shapely.difference(geoms, ukraine), geoms)
    keep = ~shapely.is_empty(neighbours)
    neighbour_frame = gpd.GeoDataFrame(
        {"name_en": basemap["name"].astype(str).to_numpy()[keep]}, geometry=neighbours[keep], crs=schema.STORAGE_CRS
    )
    sea = shapely.difference(shapely.box(*schema.BASEMAP_BBOX), shapely.union_all(geoms))
    sea_frame = gpd.GeoDataFrame(geometry=[sea] if not shapely.is_empty(sea) else [], crs=schema.STORAGE_CRS)
    return neighbour_frame, sea_frame


def base_layers(
    basemap: gpd.GeoDataFrame, ukraine: shapely.Geometry, provenance: Mapping[str, Mapping[str, object]]
) -> list[LayerInfo]:
    """Return the base map's layers for QGIS: neighbouring land and sea, in `geo.style`'s base-map colours."""
    neighbour_frame, sea_frame = base_frames(basemap, ukraine)
    credit = _sources(provenance, [schema.BASEMAP_FILE])
    west, south, east, north = schema.BASEMAP_BBOX
    styles = (
        ("neighbours", neighbour_frame, _fill("0", style.LAND_COLOUR, style.BORDER_COLOUR, 0.8)),
        ("sea", sea_frame, _fill("0", style.SEA_COLOUR, style.SEA_COLOUR, 0.0)),
    )
    return [
        _layer(name, frame, "polygon", single(fill), credit, west=west, south=south, east=east, north=north)
        for name, frame, fill in styles
    ]


# --- the project -------------------------------------------------------------------------

_WGS84_SRS = (
    '<spatialrefsys><wkt>GEOGCRS["WGS 84",DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,'
    '298.257223563,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],'
    'CS[ellipsoidal,2],AXIS["geodetic latitude (Lat)",north,ORDER[1],ANGLEUNIT["degree",0.0174532925199433]],'
    'AXIS["geodetic longitude (Lon)",east,ORDER[2],ANGLEUNIT["degree",0.0174532925199433]],ID["EPSG",4326]]'
    "</wkt><proj4>+proj=longlat +datum=WGS84 +no_defs</proj4><srsid>3452</srsid><srid>4326</srid>"
    "<authid>EPSG:4326</authid><description>WGS 84</description><projectionacronym>longlat</projectionacronym>"
    "<ellipsoidacronym>EPSG:7030</ellipsoidacronym><geographicflag>true</geographicflag></spatialrefsys>"
)

#: Layer-tree groups of the project, top to bottom (named by the catalogue's ``qgis.group.<key>``), and their tables.
PROJECT_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("deposits", ("deposits",)),
    ("occupation", ("line_of_contact", "contested_areas", "occupied_areas")),
    ("scenarios", ("scenario_areas", "scenarios")),
    ("sources", ("sources_disagreement", "sources_compare", "sources_deposits")),
    ("history", ("occupation_history",)),
    ("regions", ("regions",)),
    ("tables", ("region_stats", "control")),
    ("base", ("neighbours", "sea")),
)


#: Groups of `PROJECT_GROUPS` the project leaves out when it has none of their layers: the sources compared (only
#: with another source stored), so that a project without them is the one built before they were added.
_LEFT_OUT_EMPTY: Final = ("sources",)


def project_title() -> str:
    """Return the QGIS project's title, from the English catalogue (``qgis.project.title``)."""
    return i18n.words("en")("qgis.project.title")


def project_abstract(*, snapshot_date: str, credit: str) -> str:
    """Return the QGIS project's abstract, from the English catalogue (``qgis.project.abstract``).

    `credit` names the snapshot's source (`geo.sources.occupation_credit`; data: `render_project` escapes it).
    """
    return i18n.words("en")("qgis.project.abstract", credit=credit, date=snapshot_date)


#: Layers off when the project opens: the history (the temporal controller animates it), the scenarios (the
#: ``Scenarios`` atlas layout draws them) and the sources' disagreement, so that the canvas and the print layouts
#: show today's map.
_UNCHECKED: Final = ("occupation_history", "scenario_areas", "scenarios", "sources_disagreement")


def _checked(name: str) -> str:
    """Layers shown when the project opens: all but `_UNCHECKED`."""
    return "Qt::Unchecked" if name in _UNCHECKED else "Qt::Checked"


def _layer_id(name: str) -> str:
    """Return the layer's id in the project: QGIS 3.22 ignores an id of 10 characters or fewer (and makes one up)."""
    return f"{name}_layer_0000"


@dataclass(frozen=True)
class PrintLayout:
    """A ready-to-export A4 page of one region: title, subtitle, map, legend, scale bar, credits."""

    name: str  # the layout's name in QGIS
    title: str
    subtitle: str
    bounds: tuple[float, float, float, float]  # lon/lat box the map must show
    #: The commodity groups its map draws (`geo.catalogue.MapRecord.groups`): the deposits of these only; () = all.
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class SetLayer:
    """A layer as a project refers to it: its id, its name in QGIS and its data source (relative to the project)."""

    id: str
    name: str
    source: str


#: The deposits layer's column holding each record's commodity group (`geo.style.commodity_group`).
DEPOSIT_GROUP_COLUMN: Final = "commodity_group"


def _string_literal(value: str) -> str:
    """Return `value` as a string literal of a QGIS expression or SQL filter: in single quotes, each one doubled."""
    return "'" + value.replace("'", "''") + "'"


def group_filter(groups: Sequence[str]) -> str:
    """Return the deposits layer's filter keeping the records of the commodity `groups` (QGIS's subset string).

    For example ``"commodity_group" IN ('lithium')``: the column the deposits layer has for its group (the one
    its renderer colours by), each group a quoted string literal.

    Raises
    ------
    ValueError
        If `groups` is empty or names a group that is not a key of `geo.style.COMMODITY_GROUPS`.
    """
    known = [key for key, _members, _colour in style.COMMODITY_GROUPS]
    unknown = [g for g in groups if g not in known]
    if unknown or not groups:
        msg = f"commodity groups {unknown or '()'} are not in geo.style.COMMODITY_GROUPS ({', '.join(known)})"
        raise ValueError(msg)
    return f"{field_ref(DEPOSIT_GROUP_COLUMN)} IN ({', '.join(_string_literal(g) for g in groups)})"


def _source(name: str, subset: str = "") -> str:
    """Return the data source of the GeoPackage table `name` relative to the project, filtered by `subset` if any."""
    return f"./{schema.GPKG_FILE}|layername={name}" + (f"|subset={subset}" if subset else "")


def _group_layer(deposits: LayerInfo, groups: tuple[str, ...]) -> SetLayer:
    """Return the deposits layer filtered to `groups` (`group_filter`), named after the groups it shows."""
    words = i18n.words("en")  # the QGIS project is in English
    shown = ", ".join(words(f"group.{g}") for g in groups)
    return SetLayer(
        _layer_id("_".join((deposits.name, *groups))),
        f"{deposits.title} ({shown})",
        _source(deposits.name, group_filter(groups)),
    )


def _project_layer(layer: LayerInfo) -> SetLayer:
    return SetLayer(_layer_id(layer.name), layer.title, _source(layer.name, layer.subset))


def _drawn(by_name: Mapping[str, LayerInfo], swap: Mapping[str, SetLayer]) -> list[SetLayer]:
    """Return the layers a layout map draws, top first: the shown spatial layers, each of `swap` replaced."""
    return [
        swap.get(n) or _project_layer(by_name[n])
        for _group, names in PROJECT_GROUPS
        for n in names
        if n in by_name and by_name[n].kind != "none" and _checked(n) == "Qt::Checked"
    ]


def _layer_set(layers: Sequence[SetLayer]) -> str:
    """Return a layout map's own layer set (``<LayerSet>``), top first; empty if it has none."""
    if not layers:
        return ""
    items = "".join(
        f'<Layer source={_attr(layer.source)} provider="ogr" name={_attr(layer.name)}>{_text(layer.id)}</Layer>'
        for layer in layers
    )
    return f"<LayerSet>{items}</LayerSet>"


#: The A4 landscape page, millimetres: the map frame (x, y, width, height) and the legend beside it.
_PAGE_MM = (297.0, 210.0)
_MAP_MM = (10.0, 26.0, 195.0, 158.0)
_LEGEND_MM = (212.0, 26.0, 75.0, 158.0)


def _spatialrefsys(crs: str) -> str:
    """Describe a CRS the way a QGIS project does (WKT and authority id)."""
    found = pyproj.CRS(crs)
    return (
        f"<spatialrefsys><wkt>{_text(found.to_wkt(), one_line=False)}</wkt>"
        f"<authid>{_text(crs)}</authid><description>{_text(found.name)}</description></spatialrefsys>"
    )


#: The project's CRS: the print layouts' (UTM zone 36N), so that the canvas shows Ukraine in the shape the print
#: maps and layouts do (lon/lat stretches it east-west by half at 48° N). The layers stay in `geo.schema.STORAGE_CRS`:
#: both are on the WGS 84 datum, so QGIS reprojects them on the fly with no datum transformation to choose.
PROJECT_CRS: Final = schema.PRINT_CRS


def project_ellipsoid() -> str:
    """Return the ellipsoid QGIS measures on (``EPSG:7030``, WGS 84): the layers' own, as the EPSG code QGIS reads.

    With it QGIS's measure tool and ``$area``/``$length`` are ellipsoidal, whatever the canvas projection.
    """
    ident = pyproj.CRS(schema.STORAGE_CRS).ellipsoid.to_json_dict()["id"]  # type: ignore[union-attr]
    return f"{ident['authority']}:{ident['code']}"


def _project_extent(extent: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Return the lon/lat box `extent` in `PROJECT_CRS` metres (the box around its edges, densified)."""
    outline = gpd.GeoSeries([shapely.segmentize(shapely.box(*extent), 0.05)], crs=schema.STORAGE_CRS)
    xmin, ymin, xmax, ymax = (round(float(v), 1) for v in outline.to_crs(PROJECT_CRS).total_bounds)
    return xmin, ymin, xmax, ymax


def _map_extent(bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Return the extent, in `geo.schema.PRINT_CRS` metres, that shows `bounds` with a margin in the map frame's shape."""
    xmin, ymin, xmax, ymax = shapely.bounds(
        gpd.GeoSeries([shapely.box(*bounds)], crs=schema.STORAGE_CRS).to_crs(schema.PRINT_CRS).iloc[0]
    )
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    width, height = (xmax - xmin) * 1.08, (ymax - ymin) * 1.08
    frame = _MAP_MM[2] / _MAP_MM[3]
    width, height = max(width, height * frame), max(height, width / frame)
    return cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


def _label(uid: str, text: str, box: tuple[float, float, float, float], font: str) -> str:
    """Return a layout label showing `text` as it is: QGIS evaluates ``[% … %]`` in label text, data must not.

    The text is made what XML can carry first, so that a dropped control character cannot join ``[`` and ``%``.
    """
    text = i18n.xml_text(text).replace("[%", "[\u200b%")  # a zero-width space: the same to the eye, no expression
    x, y, width, height = box
    return (
        f'<LayoutItem type="65641" uuid="{{{uid}}}" id={_attr(uid)} labelText={_attr(text)} '
        f'position="{x},{y},mm" positionOnPage="{x},{y},mm" size="{width},{height},mm" htmlState="0" halign="1" '
        f'valign="32" marginX="0" marginY="0" background="false" frame="false" zValue="5">'
        f'<LabelFont description="{font}" style=""/></LayoutItem>'
    )


#: The layouts' key to the deposits' outlines, at the foot of the legend column: the row height and marker size, mm.
_KEY_ROW_MM = 5.0
_KEY_MARKER_MM = 3.5


def _shape(uid: str, box: tuple[float, float, float, float], symbol: str) -> str:
    """Return a layout ellipse (a legend key's marker) drawn with the fill `symbol`."""
    x, y, width, height = box
    return (
        f'<LayoutItem type="65643" uuid="{{{uid}}}" id={_attr(uid)} shapeType="0" cornerRadiusMeasure="0,mm" '
        f'position="{x},{y},mm" positionOnPage="{x},{y},mm" size="{width},{height},mm" background="false" '
        f'frame="false" zValue="6">{symbol}</LayoutItem>'
    )


def control_key() -> list[tuple[str, str]]:
    """Return the layouts' key to the deposits' outline: (status, words), held, occupied, unknown, as the HTML's.

    Its heading is the catalogue's ``legend.control``; the outlines are `geo.style.CONTROL_OUTLINE`'s on the
    legends' neutral fill, so the key says what the map's message is: a black outline is an occupied deposit.
    """
    words = i18n.words("en")  # the QGIS project is in English
    return [
        (schema.HELD, words("control.held_by_ukraine")),
        (schema.OCCUPIED_SINCE_2022, words("control.occupied")),
        (schema.UNKNOWN, words("control.unknown")),
    ]


def _control_key(key: str, left: float, bottom: float) -> str:
    """Return the key to the deposits' outlines as layout items, its last row ending at `bottom` (mm)."""
    words = i18n.words("en")
    rows = control_key()
    top = bottom - _KEY_ROW_MM * (len(rows) + 1)
    items = [_label(f"{key}-key", words("legend.control"), (left + 2, top, 73, _KEY_ROW_MM), _legend_font("subgroup"))]
    for i, (status, text) in enumerate(rows, start=1):
        y = top + i * _KEY_ROW_MM
        colour, width_px, dash = style.CONTROL_OUTLINE[status]
        symbol = _fill("0", style.LEGEND_MARKER_FILL, colour, width_px)
        if dash:
            symbol = symbol.replace('name="outline_style" value="solid"', 'name="outline_style" value="dash"')
        pad = (_KEY_ROW_MM - _KEY_MARKER_MM) / 2
        items.append(_shape(f"{key}-key-{status}", (left + 3, y + pad, _KEY_MARKER_MM, _KEY_MARKER_MM), symbol))
        items.append(
            _label(f"{key}-key-{status}-text", text, (left + 9.5, y, 65, _KEY_ROW_MM), _legend_font("symbolLabel"))
        )
    return "".join(items)


def _legend_and_scale_bar(
    key: str,
    legend: tuple[float, float, float, float],
    frame: tuple[float, float, float],
    tree: Sequence[str],
    words: i18n.Words,
) -> str:
    """Return a layout's legend (at `legend`: x, y, width, height in mm) and its kilometre scale bar in its map's corner.

    `frame` is the map item's x, y and height (mm); `tree` the legend's layer tree (`_layer_tree`).
    """
    lx, ly, lw, lh = legend
    mx, my, mh = frame
    return (
        f'<LayoutItem type="65642" uuid="{{{key}-legend}}" id="legend" map_uuid="{{{key}-map}}" title={_attr(words("legend.title"))} '
        f'position="{lx},{ly},mm" positionOnPage="{lx},{ly},mm" size="{lw},{lh},mm" resizeToContents="1" '
        f'legendFilterByMap="1" columnCount="1" symbolWidth="6" symbolHeight="3.5" background="true" frame="false" '
        f'zValue="2">{_legend_styles()}<layer-tree-group><customproperties/>{"".join(tree)}</layer-tree-group>'
        "</LayoutItem>"
        f'<LayoutItem type="65646" uuid="{{{key}-scale}}" id="scale bar" mapUuid="{{{key}-map}}" style="Single Box" '
        f'unitType="km" unitLabel="km" numMapUnitsPerScaleBarUnit="1" segmentSizeMode="1" '
        f'minBarWidth="25" maxBarWidth="55" numSegments="2" numSegmentsLeft="0" height="2" '
        f'position="{mx + 3},{my + mh - 12},mm" positionOnPage="{mx + 3},{my + mh - 12},mm" size="60,10,mm" '
        f'background="true" frame="false" zValue="3">{_text_style(8)}</LayoutItem>'
    )


def _print_layout(
    layout: PrintLayout, index: int, credits: str, tree: Sequence[str] = (), layer_set: Sequence[SetLayer] = ()
) -> str:
    """Return one print layout as QGIS 3.22 project XML (QGIS fills in every property left out).

    `tree` is its legend's layer tree (`_layer_tree`); the scale bar is in kilometres (QGIS converts the map's
    metres itself, so one scale bar unit is one kilometre, not a thousand map units).  With a `layer_set` (the
    layers it draws, top first) the map keeps it (``keepLayerSet``) instead of following the project's tree.
    """
    words = i18n.words("en")  # the QGIS project is in English
    key = f"layout{index}"
    xmin, ymin, xmax, ymax = _map_extent(layout.bounds)
    mx, my, mw, mh = _MAP_MM
    lx, ly, lw, lh = _LEGEND_MM
    page_w, page_h = _PAGE_MM
    return (
        f'<Layout name={_attr(layout.name)} units="mm" printResolution="300" worldFileMap="">'
        f'<PageCollection><LayoutItem type="65638" uuid="{{{key}-page}}" position="0,0,mm" positionOnPage="0,0,mm" '
        f'size="{page_w},{page_h},mm" background="true" frame="false" zValue="0"/></PageCollection>'
        f'<LayoutItem type="65639" uuid="{{{key}-map}}" id="map" position="{mx},{my},mm" positionOnPage="{mx},{my},mm" '
        f'size="{mw},{mh},mm" frame="true" background="true" keepLayerSet="{"true" if layer_set else "false"}" '
        f'drawCanvasItems="true" mapRotation="0" zValue="1">'
        f'<Extent xmin="{xmin:.1f}" ymin="{ymin:.1f}" xmax="{xmax:.1f}" ymax="{ymax:.1f}"/>'
        f"<crs>{_spatialrefsys(schema.PRINT_CRS)}</crs>{_layer_set(layer_set)}</LayoutItem>"
        + _legend_and_scale_bar(key, (lx, ly, lw, lh), (mx, my, mh), tree, words)
        + _control_key(key, lx, ly + lh)
        + _label(f"{key}-title", layout.title, (10, 6, 277, 10), f"{_FONT},16,-1,5,75,0,0,0,0,0")
        + _label(f"{key}-subtitle", layout.subtitle, (10, 16, 277, 8), f"{_FONT},10,-1,5,50,0,0,0,0,0")
        + _label(
            f"{key}-credits",
            words("credits", credits=credits),
            (10, my + mh + 4, 277, 8),
            f"{_FONT},7,-1,5,50,0,0,0,0,0",
        )
        + "</Layout>"
    )


# --- the scenarios' atlas layout ---------------------------------------------------------------

#: The layers the scenarios' atlas map draws, top first (those the project has): the scenario's ground between
#: the deposits and today's line of contact above and the regions and the base map beneath.
SCENARIO_LAYOUT_LAYERS: Final = (
    "deposits",
    "line_of_contact",
    "scenario_areas",
    "regions",
    "neighbours",
    "sea",
)
#: The base map's layers, which the scenarios' legend leaves out; the height of the plan's quote under it, mm.
_BASE_LAYERS: Final = ("neighbours", "sea")
_QUOTE_MM: Final = 42.0
#: Marks standing for a QGIS expression in a template of the catalogue's words (private-use characters).
_MARK: Final = "\ue000"


def _expression(text: str, expressions: Mapping[str, str]) -> str:
    """Return a label text: `text` from the catalogue shown as it is, each ``{name}`` the QGIS expression given.

    `text` is a catalogue message with a placeholder per expression; its words are made what XML can carry and
    their ``[%`` broken (as `_label` does), then each placeholder becomes ``[% expression %]``.  The expressions
    are ours (field names through `field_ref`); what a field holds is shown by QGIS, never evaluated.
    """
    marked = text.format(**{key: f"{_MARK}{key}{_MARK}" for key in expressions})
    safe = i18n.xml_text(marked).replace("[%", "[\u200b%")
    for key, expression in expressions.items():
        safe = safe.replace(f"{_MARK}{key}{_MARK}", f"[% {expression} %]")
    return safe


def _concat(template: str, expressions: Mapping[str, str]) -> str:
    """Return a QGIS string expression: `template`'s words as string literals, each ``{name}`` the expression given.

    The pieces are joined with ``||``, each expression's value as text (``''`` for NULL).  `template` is a catalogue
    message (never data); the expressions are ours (field names through `field_ref`).
    """
    pieces = []
    for i, part in enumerate(re.split(r"\{(\w+)\}", template)):
        if i % 2:
            pieces.append(f"coalesce(to_string({expressions[part]}), '')")
        elif part:
            pieces.append(_string_literal(part))
    return " || ".join(pieces) or "''"


def _expression_label(
    uid: str, text: str, box: tuple[float, float, float, float], font: str, *, bottom: bool = False
) -> str:
    """Return a layout label whose text QGIS evaluates: `text` must come from `_expression`, never from data.

    QGIS wraps a text wider than the box; with `bottom` its last line sits on the box's foot (Qt::AlignBottom).
    """
    x, y, width, height = box
    return (
        f'<LayoutItem type="65641" uuid="{{{uid}}}" id={_attr(uid)} labelText={_attr(text)} '
        f'position="{x},{y},mm" positionOnPage="{x},{y},mm" size="{width},{height},mm" htmlState="0" halign="1" '
        f'valign="{64 if bottom else 32}" marginX="0" marginY="0" background="false" frame="false" zValue="5">'
        f'<LabelFont description="{font}" style=""/></LayoutItem>'
    )


def scenario_layout_name() -> str:
    """Return the name of the scenarios' atlas layout (``qgis.layout.scenarios.name``, English)."""
    return i18n.words("en")("qgis.layout.scenarios.name")


#: The region levels the scenarios' pages outline: Ukraine and its oblasts (a country map; no raion or hromada).
SCENARIO_REGION_LEVELS: Final = ("country", "oblast")


def level_filter(levels: Sequence[str]) -> str:
    """Return the regions layer's filter keeping the regions of `levels` (QGIS's subset string), each quoted."""
    return f"{field_ref('level')} IN ({', '.join(_string_literal(level) for level in levels)})"


def _scenario_regions(regions: LayerInfo) -> SetLayer:
    """Return the regions as the scenarios' pages draw them: Ukraine and its oblasts (`SCENARIO_REGION_LEVELS`)."""
    words = i18n.words("en")  # the QGIS project is in English
    return SetLayer(
        _layer_id(f"{regions.name}_scenarios"),
        words("qgis.layer.regions.scenario_title"),
        _source(regions.name, level_filter(SCENARIO_REGION_LEVELS)),
    )


def _scenario_deposits(deposits: LayerInfo) -> tuple[SetLayer, LayerInfo]:
    """Return the deposits as the scenarios' pages draw them: their markers without today's control outline.

    The outline says who holds a deposit at the snapshot; a scenario moves that, so on its page the outline would
    mislead.  The layer is the same table, its renderer without the data-defined outline (`_control_outline`), and
    unlabelled: on a country map the names would hide the ground the page is about.
    """
    words = i18n.words("en")  # the QGIS project is in English
    renderer = deposits.renderer.replace(_data_defined(_control_outline()), _data_defined({}))
    shown = SetLayer(
        _layer_id(f"{deposits.name}_scenarios"),
        words("qgis.layer.deposits.scenario_title"),
        _source(deposits.name),
    )
    return shown, dataclasses.replace(deposits, renderer=renderer, label="")


def _scenario_layout(
    index: int,
    credits: str,
    by_name: Mapping[str, LayerInfo],
    swap: Mapping[str, SetLayer] | None = None,
    *,
    credit: str,
) -> str:
    """Return the ``Scenarios`` layout: an atlas over the ``scenarios`` layer, one A4 page per scenario.

    Its map shows Ukraine (the same frame on every page, so that the pages compare) and keeps its own layers
    (`SCENARIO_LAYOUT_LAYERS`, each named in `swap` replaced: the deposits without today's control outline,
    `_scenario_deposits`, and Ukraine and its oblasts only, `_scenario_regions`); ``scenario_areas`` draws the page's scenario only (`scenario_shown`).  The title,
    subtitle, quote and source line are the page's feature's fields, which QGIS shows as text.
    """
    words = i18n.words("en")  # the QGIS project is in English
    key = f"layout{index}"
    coverage = _project_layer(by_name["scenarios"])
    names = [n for n in SCENARIO_LAYOUT_LAYERS if n in by_name]
    swap = swap or {}
    drawn = [swap.get(n) or _project_layer(by_name[n]) for n in names]
    # the legend leaves the base map out (drawn, but no key needed), so that the plan's quote fits beneath it
    tree = _layer_tree(by_name, legend=True, only=[n for n in names if n not in _BASE_LAYERS], swap=swap, credit=credit)
    regions = by_name.get("regions")
    if regions is not None and "level" in regions.frame.columns and (regions.frame["level"] == "country").any():
        bounds = tuple(float(v) for v in regions.frame[regions.frame["level"] == "country"].total_bounds)
    else:
        bounds = tuple(float(v) for v in by_name["scenarios"].frame.total_bounds)
    xmin, ymin, xmax, ymax = _map_extent((bounds[0], bounds[1], bounds[2], bounds[3]))
    mx, my, mw, mh = _MAP_MM
    lx, ly, lw, lh = _LEGEND_MM
    page_w, page_h = _PAGE_MM
    share = f"format_number({field_ref('russian_controlled_share')} * 100, 1)"
    km2 = {
        "km2": f"format_number({field_ref('russian_controlled_km2')}, 0)",
        "dmz": f"format_number({field_ref('demilitarised_km2')}, 0)",
    }
    both = f"format_number({field_ref('russian_or_demilitarised_share')} * 100, 1)"
    with_dmz = (
        f"CASE WHEN {field_ref('demilitarised_km2')} > 0 AND {field_ref('russian_or_demilitarised_share')} IS NOT NULL "
        f"THEN {_concat(words('qgis.layout.scenarios.with_dmz', share='{share}'), {'share': both})} ELSE '' END"
    )
    template = words(
        "qgis.layout.scenarios.subtitle",
        # data in a template `_expression` fills: its braces doubled, so that they stay text
        credit=credit.replace("{", "{{").replace("}", "}}"),
        share="{share}",
        km2="{km2}",
        dmz="{dmz}",
        with_dmz="{with_dmz}",
        date="{date}",
    )
    line = by_name.get("line_of_contact")
    snapshots = (
        sorted({str(d) for d in line.frame["snapshot_date"]})
        if line is not None and "snapshot_date" in line.frame.columns
        else []
    )
    dates = sorted({str(d) for d in by_name["scenarios"].frame["date"]})
    if "line_of_contact" in names and snapshots and dates and snapshots != dates:
        # the map draws the snapshot's line, not the one the scenarios start from: the subtitle says so
        template += " " + words("qgis.layout.scenarios.line", snapshot="{snapshot}", date="{date}")
    subtitle = _expression(
        template,
        {
            "share": share,
            **km2,
            "with_dmz": with_dmz,
            "date": field_ref("date"),
            "snapshot": _string_literal(", ".join(snapshots)),
        },
    )
    # a scenario the user drew (--scenario-file) has neither a date nor a source (a row of scenarios.csv must
    # have a date): its page names the user instead of "Proposed . Source: "
    source_words = words("qgis.layout.scenarios.source", proposed="{proposed}", url="{url}")
    drawn_words = words("qgis.layout.scenarios.drawn")
    source_text = (
        f"CASE WHEN coalesce({field_ref('proposed')}, '') = '' AND coalesce({field_ref('source_url')}, '') = '' "
        f"THEN {_string_literal(drawn_words)} "
        f"ELSE {_concat(source_words, {'proposed': field_ref('proposed'), 'url': field_ref('source_url')})} END"
    )
    source = _expression("{source}", {"source": source_text})
    filename = f"{_string_literal('scenario_')} || {field_ref('scenario_id')}"
    small = f"{_FONT},7,-1,5,50,0,0,0,0,0"
    return (
        f'<Layout name={_attr(scenario_layout_name())} units="mm" printResolution="300" worldFileMap="">'
        f'<PageCollection><LayoutItem type="65638" uuid="{{{key}-page}}" position="0,0,mm" positionOnPage="0,0,mm" '
        f'size="{page_w},{page_h},mm" background="true" frame="false" zValue="0"/></PageCollection>'
        f'<LayoutItem type="65639" uuid="{{{key}-map}}" id="map" position="{mx},{my},mm" positionOnPage="{mx},{my},mm" '
        f'size="{mw},{mh},mm" frame="true" background="true" keepLayerSet="true" '
        f'drawCanvasItems="true" mapRotation="0" zValue="1">'
        f'<Extent xmin="{xmin:.1f}" ymin="{ymin:.1f}" xmax="{xmax:.1f}" ymax="{ymax:.1f}"/>'
        f"<crs>{_spatialrefsys(schema.PRINT_CRS)}</crs>{_layer_set(drawn)}"
        '<AtlasMap atlasDriven="0" scalingMode="2" margin="0.1"/></LayoutItem>'
        + _legend_and_scale_bar(key, (lx, ly, lw, lh - _QUOTE_MM), (mx, my, mh), tree, words)
        + _expression_label(
            # a plan's name may take two lines: they end above the subtitle
            f"{key}-title",
            f"[% {field_ref('name_en')} %]",
            (10, 3, 277, 14),
            f"{_FONT},14,-1,5,75,0,0,0,0,0",
            bottom=True,
        )
        + _expression_label(f"{key}-subtitle", subtitle, (10, 17.5, 277, 8), f"{_FONT},8,-1,5,50,0,0,0,0,0")
        + _expression_label(
            f"{key}-quote",
            f"[% {field_ref('quote')} %]",
            (lx + 2, ly + lh - _QUOTE_MM, lw - 2, _QUOTE_MM),
            f"{_FONT},7,-1,5,50,1,0,0,0,0",
        )
        + _expression_label(f"{key}-source", source, (10, my + mh + 3, 277, 5), small)
        + _label(f"{key}-credits", words("credits", credits=credits), (10, my + mh + 8, 277, 8), small)
        + f'<Atlas enabled="1" hideCoverage="0" coverageLayer={_attr(coverage.id)} '
        f"coverageLayerName={_attr(coverage.name)} coverageLayerSource={_attr(coverage.source)} "
        f'coverageLayerProvider="ogr" filenamePattern={_attr(filename)} '
        f'pageNameExpression={_attr(field_ref("name_en"))} sortFeatures="0" sortAscending="1" filterFeatures="0"/>'
        "</Layout>"
    )


def _group_properties(group: str, titles: Sequence[str]) -> str:
    """Return a layer-tree group's custom properties: its legend heading hidden where it would repeat its one layer's.

    A group of one layer whose title starts with the group's name ("Regions" › "Regions", "Deposits" › "Deposits
    and mines") shows in the layouts' legends as the layer alone (``legend/title-style`` ``hidden``).
    """
    if len(titles) == 1 and titles[0].casefold().startswith(group.casefold()):
        return '<customproperties><property key="legend/title-style" value="hidden"/></customproperties>'
    return "<customproperties/>"


def _layer_tree(
    by_name: Mapping[str, LayerInfo],
    *,
    legend: bool = False,
    swap: Mapping[str, SetLayer] | None = None,
    only: Sequence[str] | None = None,
    credit: str,
) -> list[str]:
    """Return the project's layer-tree groups (`PROJECT_GROUPS`), or, if `legend`, a layout legend's own tree.

    A legend's tree holds only what its map draws (layers with geometry, shown when the project opens, or the
    layers `only` names), so that the attribute tables and the history (off) take no room on the page; a layer
    named in `swap` is replaced by the layer given there (the lithium layout's legend lists its lithium deposits,
    not all deposits).
    """
    swap = swap or {}
    words = i18n.words("en")  # the QGIS project is in English
    tree = []
    for key, group_names in PROJECT_GROUPS:
        names = [n for n in group_names if n in by_name]
        if not names and key in _LEFT_OUT_EMPTY:
            continue
        if legend:
            names = [
                n
                for n in names
                if by_name[n].kind != "none" and (_checked(n) == "Qt::Checked" if only is None else n in only)
            ]
            if not names:
                continue
        group = words(f"qgis.group.{key}", credit=credit)
        shown = [swap.get(n) or _project_layer(by_name[n]) for n in names]
        children = "".join(
            f'<layer-tree-layer id={_attr(layer.id)} name={_attr(layer.name)} providerKey="ogr" '
            f'source={_attr(layer.source)} checked="{"Qt::Checked" if legend else _checked(n)}" expanded="{int(legend)}">'
            "<customproperties/></layer-tree-layer>"
            for n, layer in zip(names, shown, strict=True)
        )
        tree.append(
            f'<layer-tree-group name={_attr(group)} checked="Qt::Checked" expanded="1">'
            f"{_group_properties(group, [layer.name for layer in shown])}{children}</layer-tree-group>"
        )
    return tree


#: The layout legends' text: (style, point size, bold, space above in mm); smaller than QGIS's defaults (16 to 12
#: points), so that a regional map's legend and the key to the outlines beneath it fit the A4 page's column.
_LEGEND_STYLES: Final = (
    ("title", 12, True, 0.0),
    ("group", 10, True, 2.0),
    ("subgroup", 9, True, 1.5),
    ("symbol", 8, False, 1.2),
    ("symbolLabel", 8, False, 1.2),
)


def _legend_font(name: str) -> str:
    """Return the Qt font description of the legend style `name` (`_LEGEND_STYLES`)."""
    size, bold = next((size, bold) for key, size, bold, _top in _LEGEND_STYLES if key == name)
    return f"{_FONT},{size},-1,5,{75 if bold else 50},0,0,0,0,0"


def _legend_styles() -> str:
    styles = "".join(
        f'<style name="{name}" alignment="1" indent="0" marginTop="{top}" '
        f'marginLeft="{1.5 if name == "symbolLabel" else 0}" marginBottom="{2.5 if name == "title" else 0}">'
        f'<styleFont description="{_legend_font(name)}" style=""/></style>'
        for name, _size, _bold, top in _LEGEND_STYLES
    )
    return f"<styles>{styles}</styles>"


def render_project(
    layers: Sequence[LayerInfo],
    *,
    title: str,
    abstract: str,
    credits: Sequence[str],
    extent: tuple[float, float, float, float],
    snapshot_date: str,
    layouts: Sequence[PrintLayout] = (),
    credit: str,
    scenario_credit: str | None = None,
) -> bytes:
    """Return the ``.qgz`` project: relative paths to the GeoPackage, groups, extent, metadata, styles, print layouts.

    `credit` names the snapshot's source (the occupation group's name); `scenario_credit` that of the lines the
    scenarios start from (`credit` if None).  Both are data: escaped where they land (XML, layout labels).
    """
    by_name = {layer.name: layer for layer in layers}
    words = i18n.words("en")  # the QGIS project is in English
    tree = _layer_tree(by_name, credit=credit)
    legend_tree = _layer_tree(by_name, legend=True, credit=credit)

    # a layout whose map draws some commodity groups only: its own filtered deposits layer, in no layer-tree group
    swaps: dict[str, dict[str, SetLayer]] = {}
    for layout in layouts:
        if layout.groups and "deposits" in by_name:
            swaps[layout.name] = {"deposits": _group_layer(by_name["deposits"], layout.groups)}
    extra = {swap["deposits"].id: ("deposits", swap["deposits"]) for swap in swaps.values()}
    # the scenarios' atlas pages: the deposits without today's control outline, which a scenario would change
    restyled: dict[str, LayerInfo] = {}
    scenario_swap: dict[str, SetLayer] = {}
    if "scenarios" in by_name and "scenario_areas" in by_name and "deposits" in by_name:
        plain, restyled_deposits = _scenario_deposits(by_name["deposits"])
        scenario_swap["deposits"] = plain
        extra[plain.id] = ("deposits", plain)
        restyled[plain.id] = restyled_deposits
    if "scenarios" in by_name and "scenario_areas" in by_name and "regions" in by_name:
        scenario_swap["regions"] = _scenario_regions(by_name["regions"])
        extra[scenario_swap["regions"].id] = ("regions", scenario_swap["regions"])

    maplayers = []
    for name, shown in [(layer.name, _project_layer(layer)) for layer in layers] + list(extra.values()):
        layer = restyled.get(shown.id, by_name[name])
        style_root = ET.fromstring(qml(layer).split("\n", 1)[1])
        inner = "".join(ET.tostring(child, encoding="unicode") for child in style_root)
        geometry = {"point": "Point", "line": "Line", "polygon": "Polygon", "none": "No geometry"}[layer.kind]
        srs = f"<srs>{_WGS84_SRS}</srs>" if layer.kind != "none" else ""
        maplayers.append(
            f'<maplayer type="vector" geometry="{geometry}" hasScaleBasedVisibilityFlag="0" minScale="100000000" '
            f'maxScale="0" readOnly="0" refreshOnNotifyEnabled="0" autoRefreshEnabled="0" autoRefreshTime="0" '
            f'styleCategories="AllStyleCategories" labelsEnabled="{int(bool(layer.label))}">'
            f"<id>{_text(shown.id)}</id><datasource>{_text(shown.source)}</datasource>"
            f"<layername>{_text(shown.name)}</layername>{srs}"
            f'<provider encoding="UTF-8">ogr</provider>{inner}</maplayer>'
        )
    layout_xml = [
        _print_layout(layout, i, " · ".join(credits), legend_tree)
        if layout.name not in swaps
        else _print_layout(
            layout,
            i,
            " · ".join(credits),
            _layer_tree(by_name, legend=True, swap=swaps[layout.name], credit=credit),
            _drawn(by_name, swaps[layout.name]),
        )
        for i, layout in enumerate(layouts)
    ]
    if "scenarios" in by_name and "scenario_areas" in by_name:
        layout_xml.append(
            _scenario_layout(
                len(layout_xml), " · ".join(credits), by_name, scenario_swap, credit=scenario_credit or credit
            )
        )
    order = "".join(f"<item>{_layer_id(n)}</item>" for _g, names in PROJECT_GROUPS for n in names if n in by_name)
    xmin, ymin, xmax, ymax = _project_extent(extent)
    rights = _text(" · ".join(credits))
    project = (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis projectname={_attr(title)} version="{QGIS_VERSION}">'
        '<homePath path=""/>'
        f"<title>{_text(title)}</title>"
        f"<projectCrs>{_spatialrefsys(PROJECT_CRS)}</projectCrs>"
        f'<layer-tree-group><customproperties/>{"".join(tree)}<custom-order enabled="0">{order}</custom-order></layer-tree-group>'
        '<mapcanvas name="theMapCanvas" annotationsVisible="1"><units>meters</units>'
        f"<extent><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></extent>"
        f"<rotation>0</rotation><destinationsrs>{_spatialrefsys(PROJECT_CRS)}</destinationsrs><rendermaptile>0</rendermaptile></mapcanvas>"
        f'<ProjectViewSettings UseProjectScales="0"><Scales/><DefaultViewExtent xmin="{xmin}" ymin="{ymin}" '
        f'xmax="{xmax}" ymax="{ymax}">{_spatialrefsys(PROJECT_CRS)}</DefaultViewExtent></ProjectViewSettings>'
        f"<projectlayers>{''.join(maplayers)}</projectlayers>"
        '<properties><Paths><Absolute type="bool">false</Absolute></Paths>'
        # QGIS 3.22 ignores <projectCrs> unless projections are enabled; the ellipsoid makes measurements ellipsoidal
        '<SpatialRefSys><ProjectionsEnabled type="int">1</ProjectionsEnabled></SpatialRefSys>'
        f'<Measure><Ellipsoid type="QString">{project_ellipsoid()}</Ellipsoid></Measure>'
        '<Measurement><DistanceUnits type="QString">km</DistanceUnits><AreaUnits type="QString">km2</AreaUnits></Measurement>'
        f'<Variables><variableNames type="QStringList"><value>project_credits</value>'
        f"<value>{SCENARIO_VARIABLE}</value></variableNames>"
        f'<variableValues type="QStringList"><value>{rights}</value>'
        f"<value>{_text(schema.FROZEN_SCENARIO)}</value></variableValues></Variables>"
        "</properties>"
        f"<projectMetadata><identifier>resource-control-mapper</identifier><parentidentifier/><language>en</language>"
        f"<type>project</type><title>{_text(title)}</title><abstract>{_text(abstract, one_line=False)} {_text(words('credits', credits=' · '.join(credits)))}</abstract>"
        f'<keywords vocabulary="snapshot_date"><keyword>{_text(snapshot_date)}</keyword></keywords>'
        f"<links/><history>{_text(words('qgis.project.history', date=snapshot_date))}</history>"
        f"<author>resource-control-mapper</author><creation>{_stamp(snapshot_date)[:19]}</creation>"
        "</projectMetadata>"
        f"<Layouts>{''.join(layout_xml)}</Layouts>"
        "</qgis>\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("resource_control.qgs", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, project.encode("utf-8"))
    return buffer.getvalue()
