"""ISW's assessed control of terrain (with AEI's Critical Threats Project): ArcGIS layers saved as GeoJSON (CRS84).

Users download their own copies (ISW's data may not be redistributed; nothing of it is shipped).  A date is read
from ``YYYY-MM-DD_RussianAssessedCoTinUkraine.geojson`` (control of terrain), with or without
``YYYY-MM-DD_RussianAssessedAdvanceinUkraine.geojson`` (assessed advances) of the same date, or from one
``YYYY-MM-DD_all_layers.geojson`` whose features name their layer in ``layer``; each may be gzipped.

- Layers by name.  Control of terrain: the file-name part ``RussianAssessedCoTinUkraine``, or a feature ``layer``
  matching `COT_LAYER_RE` (``VIEW_RussiaCoTinUkraine_V3`` in the sample; any ``_V<n>``).  Assessed advances:
  ``RussianAssessedAdvanceinUkraine``, or ``layer`` matching `ADVANCE_LAYER_RE`
  (``MDS_AssessedRussianAdvanceInUkraine_view``).  The claimed layers (`CLAIMED_LAYER_RE`:
  ``VIEW_ClaimedRussianTerritoryinUkraine_V2``, ``VIEW_ClaimedUkrainianCounteroffensives_V2``) and any other layer
  are ignored and counted; so are features without a geometry (5 in the all-layers sample of 2023-06-01).
- Normalised: occupied = control of terrain (`geo.occupation.OCCUPIED_NAME`); assessed advances less control of
  terrain → `geo.occupation.CONTESTED_NAME`.  Assessed advances are their own class, stored as the snapshot's
  contested class, never counted occupied.
- What it leaves out, measured on the 9 sample dates (../shared/data/occupation/second_sources/isw, EPSG:6933,
  against layers/occupation/deepstate_pre2022_occupied.geojson: Crimea 27,173 km², the Donbas areas held before
  2022 16,805 km²): the control-of-terrain layer includes both on every date, Crimea 26,134 km² (96.2 %) on
  2022-04-10 … 09-11 and 26,900 km² (99.0 %) from 09-14, the pre-2022 Donbas 16,562–16,748 km² (98.6–99.7 %).  So
  ``leaves_out`` is ``()``; given DeepState's pre-2022 area (`read`'s ``pre2022``), a reading covering less than
  `PRE2022_COVERED_MIN` of it leaves it out: ``(LEAVES_OUT_PRE2022,)``.
- Control of terrain on the samples: 101,147 km² (2022-04-10), 115,557 (05-15), 120,444 (09-05), 119,170 (09-08),
  112,944 (09-11: the Kharkiv counteroffensive), 113,614 (09-14), 112,923 (09-20), 111,657 (09-30), 106,726
  (2023-06-01); assessed advances less it 1,855–15,147 km².
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import shapely

from geo.errors import RefreshError
from geo.occupation import CONTESTED_NAME, LEAVES_OUT_PRE2022, OCCUPIED_NAME, Reading
from geo.occupation.checks import area_km2
from geo.occupation.http import printable
from geo.occupation.reading import (
    MAX_VERTICES,
    base_name,
    calendar_date,
    folder_entries,
    json_type,
    listed,
    load_json,
    polygon_features,
    use_instead,
    vertices,
)

NAME: Final = "isw"
#: The occupied area (control of terrain) ISW may draw (EPSG:6933).  Measured over the 9 sample dates: 101,147 km²
#: (2022-04-10) to 120,444 km² (2022-09-05), Crimea and the pre-2022 Donbas included, like DeepState's
#: (100,000–130,000).  The bounds leave room below the least and for March 2022 (not sampled), and refuse a
#: polygon across the whole country (~603,628 km²).
PLAUSIBLE_KM2: Final = (90_000.0, 170_000.0)
#: The file-name parts of the layers read, and of one file with every layer.
COT_FILE: Final = "RussianAssessedCoTinUkraine"
ADVANCE_FILE: Final = "RussianAssessedAdvanceinUkraine"
ALL_LAYERS_FILE: Final = "all_layers"
#: The feature ``layer`` names: control of terrain (any version), assessed advances, the claimed layers (ignored).
COT_LAYER_RE: Final = re.compile(r"VIEW_RussiaCoTinUkraine_V[0-9]+", re.ASCII)
ADVANCE_LAYER_RE: Final = re.compile(r"MDS_AssessedRussianAdvanceInUkraine_view", re.ASCII)
CLAIMED_LAYER_RE: Final = re.compile(
    r"VIEW_Claimed(RussianTerritoryinUkraine|UkrainianCounteroffensives)_V[0-9]+", re.ASCII
)
#: The ``crs`` names of lon/lat (GeoJSON without ``crs`` is CRS84 too).
LONLAT_CRS: Final = frozenset(
    {
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "OGC:CRS84",
        "CRS84",
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "urn:ogc:def:crs:EPSG:4326",
    }
)
#: With DeepState's pre-2022 area given, a reading whose control of terrain covers less of it than this leaves it
#: out.  The samples cover 97.1–99.3 % of it; without Crimea they would cover 38 %, without the Donbas 62 %.
PRE2022_COVERED_MIN: Final = 0.9

_FILE_RE: Final = re.compile(
    rf"([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})_({COT_FILE}|{ADVANCE_FILE}|{ALL_LAYERS_FILE})\.geojson(\.gz)?", re.ASCII
)
_NAMES: Final = (
    f"YYYY-MM-DD_{COT_FILE}.geojson (with or without YYYY-MM-DD_{ADVANCE_FILE}.geojson) or "
    f"YYYY-MM-DD_{ALL_LAYERS_FILE}.geojson, each optionally .gz"
)
_FIX: Final = "download ISW's layer again"
_COT, _ADVANCE, _CLAIMED, _OTHER = "cot", "advance", "claimed", "other"


@dataclass
class _Layers:
    """What the files of one date hold, by class."""

    cot: list[dict[str, Any]] = field(default_factory=list)
    advance: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((_COT, _ADVANCE, _CLAIMED, _OTHER), 0))
    names: set[str] = field(default_factory=set)
    no_geometry: int = 0
    total: int = 0


def _layer_class(layer: str) -> str:
    if COT_LAYER_RE.fullmatch(layer):
        return _COT
    if ADVANCE_LAYER_RE.fullmatch(layer):
        return _ADVANCE
    return _CLAIMED if CLAIMED_LAYER_RE.fullmatch(layer) else _OTHER


def _file_class(part: str) -> str | None:
    return {COT_FILE: _COT, ADVANCE_FILE: _ADVANCE}.get(part)


def _names(files: Sequence[tuple[str, bytes]], *, source: str) -> list[tuple[str, str]]:
    """Return each file's (date, layer part) from its name; refuse a wrong name, mixed dates or a wrong set."""
    parsed = []
    for name, data in files:
        found = _FILE_RE.fullmatch(base_name(name))
        if found is None or calendar_date(found.group(1)) is None:
            hint = ""
            if data.lstrip()[:1] in (b"{", b"\x1f"):
                try:
                    hint = use_instead(load_json(data, source=source, fix=_FIX), name, expected=NAME)
                except RefreshError:
                    hint = ""
            msg = f"{source}: '{printable(base_name(name), limit=80)}' is not named as an ISW layer file ({_NAMES})"
            raise RefreshError(msg + (hint or "; rename it"))
        parsed.append((found.group(1), found.group(2)))
    dates = sorted({day for day, _ in parsed})
    if len(dates) > 1:
        msg = f"{source}: the files are of different dates ({', '.join(dates)}); read one date at a time"
        raise RefreshError(msg)
    parts = sorted(part for _, part in parsed)
    if parts not in ([COT_FILE], [ALL_LAYERS_FILE], sorted([COT_FILE, ADVANCE_FILE])):
        got = ", ".join(parts) or "none"
        msg = f"{source}: got the layer files {got} for {dates[0] if dates else 'no date'}; pass {_NAMES}"
        raise RefreshError(msg)
    return parsed


def _features(payload: Any, name: str, *, source: str) -> list[Any]:
    """Return the features of an ISW GeoJSON FeatureCollection in lon/lat; refuse another shape or CRS."""
    features = payload.get("features") if isinstance(payload, dict) else None
    if not isinstance(features, list) or payload.get("type") != "FeatureCollection":
        hint = use_instead(payload, name, expected=NAME)
        msg = f"{source}: not a GeoJSON FeatureCollection as ISW's layers are{hint or '; ' + _FIX}"
        raise RefreshError(msg)
    hint = use_instead(payload, name, expected=NAME)
    if hint:
        msg = f"{source}: not an ISW layer{hint}"
        raise RefreshError(msg)
    crs = payload.get("crs")
    if crs is not None:
        props = crs.get("properties") if isinstance(crs, dict) else None
        crs_name = props.get("name") if isinstance(props, dict) else None
        if not isinstance(crs_name, str) or crs_name not in LONLAT_CRS:
            shown = printable(crs_name, limit=60) if isinstance(crs_name, str) else json_type(crs_name)
            msg = f"{source}: its crs is '{shown}', not lon/lat (CRS84 or EPSG:4326); reproject it to CRS84"
            raise RefreshError(msg)
    return features


def _feature_class(feature: Any, number: int, file_class: str | None, *, source: str) -> tuple[str, str]:
    """Return a feature's (class, layer name): by its ``layer`` if it has one, else by the file name."""
    if not isinstance(feature, dict):
        msg = f"{source}: feature {number} is {json_type(feature)}, not a GeoJSON object; {_FIX}"
        raise RefreshError(msg)
    props = feature.get("properties")
    if props is not None and not isinstance(props, dict):
        msg = f"{source}: feature {number}'s properties are {json_type(props)}, not an object; {_FIX}"
        raise RefreshError(msg)
    layer = (props or {}).get("layer")
    if layer is not None and not isinstance(layer, str):
        msg = f"{source}: feature {number}'s layer is {json_type(layer)}, not a string; {_FIX}"
        raise RefreshError(msg)
    if layer is None:
        if file_class is None:
            msg = f"{source}: feature {number} has no layer property, which an all-layers file needs; {_FIX}"
            raise RefreshError(msg)
        return file_class, {_COT: COT_FILE, _ADVANCE: ADVANCE_FILE}[file_class]
    kind = _layer_class(layer)
    if file_class is not None and kind != file_class:
        msg = (
            f"{source}: feature {number}'s layer '{printable(layer, limit=60)}' contradicts the file name's "
            f"{COT_FILE if file_class == _COT else ADVANCE_FILE}; name the file by the layer it holds"
        )
        raise RefreshError(msg)
    return kind, printable(layer, limit=60)


def _collect(payload: Any, name: str, part: str, into: _Layers, *, source: str) -> None:
    """Add one file's features to `into`, by class; geometries of the classes read are checked."""
    file_class = _file_class(part)
    for number, feature in enumerate(_features(payload, name, source=source), 1):
        kind, layer = _feature_class(feature, number, file_class, source=source)
        into.names.add(layer)
        into.counts[kind] += 1
        geometry = feature.get("geometry")
        if kind not in (_COT, _ADVANCE):
            continue
        if geometry is None:
            into.no_geometry += 1
            continue
        label = OCCUPIED_NAME if kind == _COT else CONTESTED_NAME
        try:
            polygons = polygon_features(geometry, where=f"feature {number}'s geometry ({layer})", name=label)
        except (ValueError, TypeError) as exc:
            msg = f"{source}: {exc}; {_FIX}"
            raise RefreshError(msg) from exc
        into.total += vertices(polygons)
        if into.total > MAX_VERTICES:
            msg = f"{source}: more than {MAX_VERTICES:,} polygon vertices; not an ISW layer (damaged or hostile)"
            raise RefreshError(msg)
        (into.cot if kind == _COT else into.advance).extend(polygons)


def _union(features: Sequence[dict[str, Any]]) -> shapely.Geometry:
    """Union polygon features into one valid polygonal geometry."""
    if not features:
        return shapely.Polygon()
    polygons = [shapely.make_valid(shapely.geometry.shape(f["geometry"])) for f in features]
    merged = shapely.union_all(polygons)
    parts = shapely.get_parts(merged)
    keep = parts[shapely.get_type_id(parts) >= shapely.GeometryType.POLYGON]
    return shapely.union_all(keep) if len(keep) else shapely.Polygon()


def _contested(cot: shapely.Geometry, advance: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the assessed advances less control of terrain, one `CONTESTED_NAME` feature per polygon."""
    rest = shapely.difference(_union(advance), cot)
    out = []
    for part in shapely.get_parts(rest):
        if shapely.get_type_id(part) == shapely.GeometryType.POLYGON and not shapely.is_empty(part):
            geometry = json.loads(shapely.to_geojson(part))
            out.append({"type": "Feature", "geometry": geometry, "properties": {"name": CONTESTED_NAME}})
    return out


def covers_pre2022(cot: shapely.Geometry, pre2022: shapely.Geometry) -> float:
    """Return the share of `pre2022` (lon/lat) that `cot` (lon/lat) covers, by area in EPSG:6933."""
    whole = area_km2(pre2022)
    return area_km2(shapely.intersection(cot, pre2022)) / whole if whole > 0 else 1.0


def read(files: Sequence[tuple[str, bytes]], *, source: str, pre2022: shapely.Geometry | None = None) -> Reading:
    """Read the ISW layer files of one date (name, bytes; gzip or not) into a `Reading`.

    `pre2022`, DeepState's area occupied before 24 Feb 2022 in lon/lat, if given, decides ``leaves_out`` by
    measure (`PRE2022_COVERED_MIN`); without it ``leaves_out`` is ``()``, as measured on every sample date.

    Raises
    ------
    geo.errors.RefreshError
        One line: a file not named as an ISW layer, files of different dates, a wrong set of files, not JSON,
        not a FeatureCollection (another source's file named as such), a ``crs`` other than lon/lat, no control of
        terrain, a geometry that is not a (Multi)Polygon, coordinates that are not finite lon/lat.
    """
    source = printable(source)
    parsed = _names(files, source=source)
    layers = _Layers()
    for (name, data), (_, part) in zip(files, parsed, strict=True):
        _collect(load_json(data, source=source, fix=_FIX), name, part, layers, source=source)
    if not layers.cot:
        has = ", ".join(sorted(layers.names)) or "no features"
        msg = (
            f"{source}: no assessed control of terrain (a {COT_FILE} file, or layer VIEW_RussiaCoTinUkraine_V<n>) "
            f"with a polygon; it has: {has}; pass the {COT_FILE} file of that date"
        )
        raise RefreshError(msg)
    cot = _union(layers.cot)
    contested = _contested(cot, layers.advance)
    leaves_out: tuple[str, ...] = ()
    if pre2022 is not None and covers_pre2022(cot, pre2022) < PRE2022_COVERED_MIN:
        leaves_out = (LEAVES_OUT_PRE2022,)
    counts = {**layers.counts, "no_geometry": layers.no_geometry}
    notes = (
        f"ISW {parsed[0][0]}: {counts[_COT]} control-of-terrain features ({len(layers.cot)} polygons) occupied; "
        f"{counts[_ADVANCE]} assessed-advance features less control of terrain: {len(contested)} polygons contested "
        f"(never counted occupied); ignored {counts[_CLAIMED]} claimed, {counts[_OTHER]} other-layer and "
        f"{layers.no_geometry} geometry-less features"
    )
    return Reading(
        features=layers.cot + contested,
        date=parsed[0][0],
        window=None,
        leaves_out=leaves_out,
        notes=notes,
        counts=counts,
    )


def dated_files(directory: Path) -> list[tuple[str, tuple[Path, ...]]]:
    """Return the ISW layer files of `directory` by date, oldest first: (CoT, Advance) or (CoT,) or (all_layers,).

    Files are ``YYYY-MM-DD_<Layer>.geojson(.gz)`` with the layers of `_NAMES`.  Hidden files and subfolders are
    ignored; symbolic links, any other file (one error naming up to ten), two files of one date and layer, an
    all-layers file beside a layer file of its date and a date with an Advance file but no CoT are refused.
    """
    by_date: dict[str, dict[str, list[Path]]] = {}
    others: list[str] = []
    for path in folder_entries(directory, "ISW layer"):
        found = _FILE_RE.fullmatch(path.name)
        if found and calendar_date(found.group(1)):
            by_date.setdefault(found.group(1), {}).setdefault(found.group(2), []).append(path)
        else:
            others.append(path.name)
    where = printable(directory)
    if others:
        msg = f"{where}: {len(others)} files are not ISW layer files ({_NAMES}): {listed(others)}; move them out"
        raise RefreshError(msg)
    twice = [p.name for parts in by_date.values() for paths in parts.values() if len(paths) > 1 for p in paths]
    if twice:
        msg = f"{where}: two files of one date and layer ({listed(twice)}); keep one of each"
        raise RefreshError(msg)
    mixed = [day for day, parts in by_date.items() if ALL_LAYERS_FILE in parts and len(parts) > 1]
    if mixed:
        msg = (
            f"{where}: an all-layers file beside layer files of the same date ({listed(mixed)}); keep one or the other"
        )
        raise RefreshError(msg)
    orphan = [day for day, parts in by_date.items() if ADVANCE_FILE in parts and COT_FILE not in parts]
    if orphan:
        msg = (
            f"{where}: an {ADVANCE_FILE} file but no {COT_FILE} file of {listed(orphan)}; add the CoT file of that date"
        )
        raise RefreshError(msg)
    if not by_date:
        msg = f"{where}: no ISW layer files ({_NAMES}); download them first"
        raise RefreshError(msg)
    order = (COT_FILE, ADVANCE_FILE, ALL_LAYERS_FILE)
    return [(day, tuple(parts[part][0] for part in order if part in parts)) for day, parts in sorted(by_date.items())]
