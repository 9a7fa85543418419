"""DeepStateMap: the API's routes and versions, the classifier across naming eras, its own area figures.

- `parse_features`: DeepState's features of every naming era (tokens since
  2024-03, ``Ukrainian /// English`` names since 2022-05, Ukrainian names and
  black fills in April–May 2022) → the occupied area, its pre-2022 part and the
  grey zone.  Editorial "occupied" areas outside Ukraine are dropped (and their
  area by fill colour kept, because DeepState's own ``/areas`` counts them);
  Z is dropped; GeometryCollections are unwrapped.  The rules are those of
  ../shared/data/occupation/API.md §1.6.  Every field read from a server is
  type-checked first: a wrong type is one `RefreshError`, never a traceback.
  The other adapters name their features with DeepState's tokens
  (`geo.occupation.OCCUPIED_NAME`), so this one parser reads every source.
- `official_areas`, `check_against_official`, `check_grey_zone`: the checks
  against DeepState's own ``/areas`` figures.

Fetching goes through `geo.occupation.http`; the checks every source shares are
in `geo.occupation.checks`; writing in `geo.occupation.snapshot`.
"""

from __future__ import annotations

import math
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import shapely

from geo import schema, store, style
from geo.errors import RefreshError
from geo.occupation import Parsed, iso_utc
from geo.occupation.checks import area_km2
from geo.occupation.http import CONTROL_CHARS, printable
from geo.occupation.reading import json_type, ring_xy

DEFAULT_BASE_URL: Final = "https://deepstatemap.live/api"
BASE_URL_ENV: Final = "DEEPSTATE_API_URL"
#: Caps on what one payload may cost to repair, union and draw: 3 times the most in the whole public archive
#: (1,359 versions, 2022-04 → 2025-08: 1,003 vertices in one polygon, 15,696 in one version).  The checks of a
#: hostile polygon grow with the square of its vertices (a valid ring of radial spikes: 2.4 s at 3,000, 6 s at
#: 5,000, 23 s at 10,000; bench/geometry_checks.py), so the caps stay close to real data; the version's deadline
#: bounds the rest.
MAX_VERTICES: Final = 50_000
MAX_POLYGON_VERTICES: Final = 3_000
#: A user's ``--from-file`` is already a union (the real version of 2025-08-03 unions into a 3,192-vertex polygon;
#: another source may draw larger ones): it keeps the caps of before, the deadline bounding its checks.
FILE_MAX_VERTICES: Final = 2_000_000
FILE_MAX_POLYGON_VERTICES: Final = 500_000
#: Our area against DeepState's own ``/areas`` figure for the same version, after and before 24 Feb 2022 each.
OFFICIAL_TOLERANCE: Final = 0.01
#: Our grey zone (clipped to Ukraine) may exceed DeepState's own ``unspecified`` figure by at most this (km²).
#: DeepState sums one grey colour (#bcaaa4), not clipped; we take every grey-zone polygon inside Ukraine.  Over the
#: 1,359 versions of the archive ours exceeds its figure by at most 1,222 km² (April 2022: grey areas drawn in
#: other colours); it may be far below (2 Feb 2023: 421 against 26,345 km², a 25,772 km² grey patch in the
#: Arabian Sea), so there is no lower bound.
GREY_EXCESS_KM2: Final = 2_500.0
#: Without DeepState's figure, the grey zone may cover at most this (km²): the archive's largest is 7,022 km²
#: (4 Apr 2022; DeepState's largest figure inside Ukraine 7,843 km²); all of Ukraine less the occupied area is ~488,000.
MAX_GREY_KM2: Final = 20_000.0
#: Plausible occupied area (EPSG:6933): 2022-04 → 2026-08 ranged 106,883–125,184 km².
PLAUSIBLE_KM2: Final = (100_000.0, 130_000.0)
LICENCE: Final = (
    "DeepStateMap.Live terms: free for volunteer, charitable and Ukraine-defence (non-commercial) use with credit; "
    "commercial use needs prior approval; no redistribution as a standalone data set"
)
CREDIT: Final = f"Source: {style.OCCUPATION_CREDIT}"
_VERSION_RE = re.compile(r"[0-9]{1,12}", re.ASCII)

# --- routes -------------------------------------------------------------------------------


def base_url(explicit: str | None, environ: Mapping[str, str]) -> str:
    """Pick the API base URL: the option, else ``DEEPSTATE_API_URL``, else the public API."""
    url = (explicit or environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host or CONTROL_CHARS.search(url):
        msg = f"base URL {url!r} is not an http(s) URL; pass --base-url https://… or set {BASE_URL_ENV}"
        raise RefreshError(msg)
    if parts.username is not None or parts.password is not None:
        msg = f"base URL of {host!r} has a user name or password in it; they are not supported (and would be printed)"
        raise RefreshError(msg)
    return url


def last_url(base: str) -> str:
    """Return the URL of the newest version, wrapped as ``{"id": …, "map": FeatureCollection}``."""
    return f"{base}/history/last"


def listing_url(base: str) -> str:
    """Return the URL of the list of every published version."""
    return f"{base}/history/public"


def geojson_url(base: str, version: str) -> str:
    """Return the URL of one version's bare FeatureCollection."""
    return f"{base}/history/{version}/geojson"


def areas_url(base: str, version: str) -> str:
    """Return the URL of DeepState's own area totals of one version, by fill colour."""
    return f"{base}/history/{version}/areas"


#: Version ids are Unix seconds of publication: none before 2022.
_FIRST_VERSION = store.FIRST_VERSION  # 2022-01-01T00:00:00Z (its one home: the stored history checks it too)


def check_version_id(version: str) -> str:
    """Return `version` if it is a DeepState version id (ASCII digits only: it becomes part of file names)."""
    if not _VERSION_RE.fullmatch(version) or not _FIRST_VERSION <= int(version) <= time.time() + 86_400:
        shown = repr(version[:40] + ("…" if len(version) > 40 else "")) if version else "(missing)"
        msg = f"version id {shown} is not a DeepState version id (Unix seconds since 2022, e.g. 1754251105)"
        raise RefreshError(msg)
    return version


def version_time(version: str) -> datetime:
    """DeepState version ids are Unix seconds of publication."""
    return datetime.fromtimestamp(int(version), tz=UTC)


@dataclass(frozen=True)
class Version:
    """One published DeepState map version."""

    version: str
    published: str  # ISO UTC
    date: str  # YYYY-MM-DD (UTC) of publication


def version_of(version: str) -> Version:
    """Describe version id `version` (checked)."""
    when = version_time(check_version_id(version))
    return Version(version, iso_utc(when), when.date().isoformat())


def list_versions(listing: Any, *, source: str) -> list[Version]:
    """Return the published versions of a ``/history/public`` listing, oldest first.

    Entries with ``status`` not true are left out; malformed entries are
    skipped, but a listing with entries and none usable means the API changed.
    """
    if not isinstance(listing, list):
        msg = f"{source}: expected a JSON list of versions; the API may have changed"
        raise RefreshError(msg)
    found: dict[str, Version] = {}
    malformed = 0
    for record in listing:
        if not isinstance(record, dict) or not isinstance(record.get("status"), bool):
            malformed += 1
            continue
        if record["status"] is not True:
            continue
        try:
            item = version_of(str(record.get("id", ""))[:20])
        except RefreshError:
            malformed += 1
            continue
        found[item.version] = item
    if listing and not found and malformed:
        msg = f"{source}: none of its {len(listing)} entries is a version (id and status); the API may have changed"
        raise RefreshError(msg)
    return sorted(found.values(), key=lambda v: int(v.version))


# --- classifying --------------------------------------------------------------------------

OCCUPIED_KEYS: Final = ("occupied", "crimea", "ordlo", "tuzla")
PRE2022_KEYS: Final = ("crimea", "ordlo", "tuzla")
_TOKEN = re.compile(r"geoJSON\.(?:status|territories)\.([a-z_\-]+)")
_FOREIGN_WORDS = (
    "придністров", "transnistria", "абхаз", "abkhaz", "цхінвал", "tskhinval", "карел", "karelia", "прусс",
    "prussia", "курил", "kuril", "латві", "latvia", "естоні", "estonia", "петсамо", "petsamo", "салла", "salla",
    "печорськ", "pechor", "ічкері", "ichker",
)  # fmt: skip
_FILL_CLASS = {
    "#a52714": "occupied",
    "#bcaaa4": "unknown",
    "#bdbdbd": "unknown",
    "#757575": "unknown",
    "#0f9d58": "liberated",
    "#0288d1": "liberated",
    "#01579b": "liberated",
    "#ff5252": "foreign",
    "#ce93d8": "foreign",
}
#: The fill colours DeepState's ``/areas`` sums as occupied after / before 24 Feb 2022.
AFTER_FILL: Final = "#a52714"
BEFORE_FILL: Final = "#880e4f"


def _by_token(name: str) -> str | None:
    token = _TOKEN.search(name)
    if not token:
        return None
    key = token.group(1)
    if key in OCCUPIED_KEYS or key == "unknown":
        return key
    if key.startswith("dismissed"):
        return "liberated"
    return "other" if key == "kyiv" else "foreign"


def _by_name(lowered: str) -> str | None:
    if any(word in lowered for word in _FOREIGN_WORDS):
        return "foreign"
    for words, key in ((("крим", "crimea"), "crimea"), (("ордло", "cadr"), "ordlo"), (("тузла", "tuzla"), "tuzla")):
        if any(word in lowered for word in words):
            return key
    return None


def _by_words(lowered: str) -> str:
    for words, key in (
        (("окупов", "occupied"), "occupied"),
        (("під питанням", "contested", "contensed", "невідом", "unknown"), "unknown"),
        (("звільнено", "liberated", "taken back"), "liberated"),
    ):
        if any(word in lowered for word in words):
            return key
    return "other"


def classify(properties: Mapping[str, Any]) -> str:
    """Classify one DeepState polygon: occupied, crimea, ordlo, tuzla, unknown, liberated, foreign or other.

    In order: the ``geoJSON.<kind>.<key>`` token (since 2024-03); foreign and
    pre-2022 names (all eras); the fill colour; words in the name.
    """
    name = str(properties.get("name") or "")[:2000].replace("\xa0", " ")
    lowered = name.casefold()
    fill = str(properties.get("fill") or "").strip().lower()
    return _by_token(name) or _by_name(lowered) or _FILL_CLASS.get(fill) or _by_words(lowered)


def _polygons(geometry: Any, depth: int = 0) -> list[shapely.Geometry]:
    """Return the 2-D polygons of a GeoJSON geometry (GeometryCollections unwrapped, Z dropped).

    A null geometry, another geometry type and an empty Polygon give nothing;
    a member of the wrong JSON type anywhere (a list where an object belongs,
    a string or true/false for a coordinate) raises `TypeError`, an impossible
    shape `ValueError`.
    """
    if geometry is None or depth > 3:
        return []
    if not isinstance(geometry, dict):
        msg = f"it is {json_type(geometry)}, not an object"
        raise TypeError(msg)
    kind = geometry.get("type")
    if not isinstance(kind, str):
        msg = f"its type is {json_type(kind)}, not a string"
        raise TypeError(msg)
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list):
            msg = f"a GeometryCollection's geometries are {json_type(members)}, not a list"
            raise TypeError(msg)
        return [p for g in members for p in _polygons(g, depth + 1)]
    if kind not in ("Polygon", "MultiPolygon"):
        return []
    coords = geometry.get("coordinates")
    if not isinstance(coords, list):
        msg = f"a {kind} has no coordinates list"
        raise TypeError(msg)
    out: list[shapely.Geometry] = []
    for poly in [coords] if kind == "Polygon" else coords:
        if not isinstance(poly, list):
            msg = f"a {kind} has a polygon that is {json_type(poly)}, not a list of rings"
            raise TypeError(msg)
        if not poly:
            continue  # an empty Polygon: nothing to draw
        rings = [ring_xy(ring, where=f"a {kind}") for ring in poly]
        if len(rings[0]) < 4:
            msg = f"a {kind} ring has fewer than 4 positions"
            raise ValueError(msg)
        out.append(shapely.Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4]))
    return out


def _inside_box(geom: shapely.Geometry, box: tuple[float, float, float, float]) -> bool:
    point = shapely.point_on_surface(geom)
    xmin, ymin, xmax, ymax = box
    return bool(xmin <= point.x <= xmax and ymin <= point.y <= ymax)


def feature_collection(payload: Any) -> list[Mapping[str, Any]]:
    """Return the features of a ``/history/last`` (``{"map": …}``) or ``/history/{id}/geojson`` payload."""
    collection = payload.get("map", payload) if isinstance(payload, dict) else None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        msg = "the response has no GeoJSON features (expected a FeatureCollection, or {'map': FeatureCollection})"
        raise RefreshError(msg)
    for number, feature in enumerate(features, 1):
        if not isinstance(feature, dict):
            msg = f"feature {number} is {json_type(feature)}, not a GeoJSON object; the API may have changed"
            raise RefreshError(msg)
    return features


def _valid(polygon: shapely.Geometry) -> shapely.Geometry:
    return polygon if shapely.is_valid(polygon) else _repair(polygon)


def _properties(feature: Mapping[str, Any], number: int) -> dict[str, str]:
    """Return the polygon feature's ``name`` and ``fill`` (the only properties read), each checked to be text."""
    properties = feature.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        msg = f"feature {number}'s properties are {json_type(properties)}, not an object; the API may have changed"
        raise RefreshError(msg)
    out = {}
    for key in ("name", "fill"):
        value = properties.get(key)
        if value is not None and not isinstance(value, str):
            msg = f"feature {number}'s {key} is {json_type(value)}, not a string; the API may have changed"
            raise RefreshError(msg)
        out[key] = value or ""
    return out


def _repair(geom: shapely.Geometry) -> shapely.Geometry:
    """Make a polygon valid: shells unioned less holes (GEOS "structure"), polygons only.

    On all 38 distinct invalid polygons of the archive it gives exactly what the default ("linework") gives; on a
    self-intersecting ring it costs a small fraction (a 20,000-vertex star: 8 s against 125 s) and, unlike
    linework's polygon building, it stops when `within`'s alarm asks.
    """
    return shapely.make_valid(geom, method="structure", keep_collapsed=False)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(geom)
    keep = parts[shapely.get_type_id(parts) >= shapely.GeometryType.POLYGON]
    return shapely.union_all(keep) if len(keep) else shapely.Polygon()


def parse_features(
    features: Sequence[Mapping[str, Any]],
    *,
    box: tuple[float, float, float, float] = schema.UKRAINE_BBOX,
    max_polygon_vertices: int | None = None,
    max_vertices: int | None = None,
) -> Parsed:
    """Union the occupied classes of DeepState `features` into one (Multi)Polygon in lon/lat.

    Editorial areas outside Ukraine (by token, name or fill, or lying outside
    `box`) are left out and counted; invalid polygons are repaired with
    ``make_valid`` and counted.  The grey zone (``unknown``) is kept apart,
    less what is occupied; whether it lies in Ukraine is for the caller to clip.
    A polygon over `max_polygon_vertices`, or more than `max_vertices` in all,
    is refused before anything is repaired (`MAX_POLYGON_VERTICES` and
    `MAX_VERTICES` unless given; a user's file, already a union, gets the
    ``FILE_MAX_…`` caps).
    """
    per_polygon = MAX_POLYGON_VERTICES if max_polygon_vertices is None else max_polygon_vertices
    in_all = MAX_VERTICES if max_vertices is None else max_vertices
    counts: dict[str, int] = {}
    occupied: list[shapely.Geometry] = []
    pre2022: list[shapely.Geometry] = []
    grey: list[shapely.Geometry] = []
    foreign: dict[str, list[shapely.Geometry]] = {}
    repaired = outside = vertices = 0
    for number, feature in enumerate(features, 1):
        try:
            polygons = _polygons(feature.get("geometry"))
        except (shapely.errors.ShapelyError, ValueError, TypeError, OverflowError, RecursionError) as exc:
            msg = (
                f"a feature's geometry is not valid GeoJSON ({printable(exc, limit=120)}: feature {number}); "
                "the response is damaged"
            )
            raise RefreshError(msg) from exc
        if not polygons:
            continue
        sizes = [int(shapely.get_num_coordinates(p)) for p in polygons]
        if max(sizes) > per_polygon:
            msg = (
                f"a polygon has {max(sizes):,} vertices, more than the {per_polygon:,} allowed; the response is "
                "damaged or hostile"
            )
            raise RefreshError(msg)
        vertices += sum(sizes)
        if vertices > in_all:
            msg = f"the response has more than {in_all:,} polygon vertices; it is damaged or hostile"
            raise RefreshError(msg)
        props = _properties(feature, number)
        kind = classify(props)
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "foreign":
            fill = props["fill"].strip().lower()[:16]
            foreign.setdefault(fill, []).extend(_valid(p) for p in polygons)
            continue
        if kind not in (*OCCUPIED_KEYS, "unknown"):
            continue
        for raw in polygons:
            polygon = _valid(raw)
            repaired += int(polygon is not raw)
            if shapely.is_empty(polygon):
                continue  # a ring with no area (all its points on a line)
            if not _inside_box(polygon, box):
                if kind == "unknown":
                    continue  # a grey patch far from Ukraine (the Arabian Sea one in 2023) is no concern
                outside += 1
                continue
            (grey if kind == "unknown" else pre2022 if kind in PRE2022_KEYS else occupied).append(polygon)
    before = _polygonal(shapely.union_all(pre2022))
    everything = _polygonal(shapely.union(shapely.union_all(occupied), before))
    contested = _polygonal(shapely.difference(shapely.union_all(grey), everything)) if grey else shapely.Polygon()
    foreign_km2 = {fill: area_km2(shapely.union_all(geoms)) for fill, geoms in sorted(foreign.items())}
    return Parsed(everything, before, contested, counts, repaired, outside, foreign_km2)


@dataclass(frozen=True)
class Official:
    """DeepState's own area figures for one version (``/areas``), km², summed by fill colour."""

    after_km2: float
    before_km2: float
    #: The grey zone's colour (#bcaaa4), not clipped to Ukraine; None if the answer has no such row.
    unspecified_km2: float | None = None


#: An /areas figure above this (km²) is not a figure of DeepState's map (Ukraine is ~604,000 km²; the editorial
#: areas abroad add ~165,000).
MAX_OFFICIAL_KM2: Final = 2_000_000.0
_OFFICIAL_ROWS: Final = ("occupied_after_24_02_2022", "occupied_to_24_02_2022", "unspecified")


def official_areas(payload: Any, *, source: str) -> Official:
    """Read a ``/history/<id>/areas`` payload: the occupied km² after and before 24 Feb 2022, and the grey zone's.

    Every row must be an object with a text ``type``; the rows read (the two
    occupied ones, ``unspecified``) must have a finite ``area`` of plausible size.

    Raises
    ------
    geo.errors.RefreshError
        If it is not an /areas answer: not a list of such rows, or without both occupied figures.
    """
    if not isinstance(payload, list):
        msg = f"{source}: not an /areas answer (it is {json_type(payload)}, not a list of rows)"
        raise RefreshError(msg)
    totals = dict.fromkeys(_OFFICIAL_ROWS, 0.0)
    seen = set()
    for number, row in enumerate(payload, 1):
        if not isinstance(row, dict):
            msg = f"{source}: not an /areas answer (row {number} is {json_type(row)}, not an object)"
            raise RefreshError(msg)
        kind = row.get("type")
        if not isinstance(kind, str):
            msg = f"{source}: not an /areas answer (row {number}'s type is {json_type(kind)}, not a string)"
            raise RefreshError(msg)
        if kind not in totals:
            continue
        area = row.get("area")
        try:
            value = float(area) if isinstance(area, int | float) and not isinstance(area, bool) else math.nan
        except OverflowError:
            value = math.nan
        if not 0.0 <= value <= MAX_OFFICIAL_KM2:
            msg = f"{source}: not an /areas answer ({printable(kind, limit=40)} is not an area in km²)"
            raise RefreshError(msg)
        totals[kind] += value
        seen.add(kind)
    if not {"occupied_after_24_02_2022", "occupied_to_24_02_2022"} <= seen:
        msg = f"{source}: not an /areas answer (no occupied_after_24_02_2022 and occupied_to_24_02_2022 areas)"
        raise RefreshError(msg)
    grey = totals["unspecified"] if "unspecified" in seen else None
    return Official(totals["occupied_after_24_02_2022"], totals["occupied_to_24_02_2022"], grey)


def check_grey_zone(contested_km2: float, official: Official | None, *, source: str) -> str:
    """Refuse a grey zone larger than DeepState's own figure allows, or, without one, than `MAX_GREY_KM2`.

    `contested_km2` is our grey zone, clipped to Ukraine.  With DeepState's
    ``unspecified`` figure it may exceed it by `GREY_EXCESS_KM2` at most; it may
    be smaller (DeepState's figure counts grey areas abroad).  `MAX_GREY_KM2`
    holds either way: a server claiming a huge figure does not lift it.

    Returns
    -------
    str
        What was checked, for the sidecar.
    """
    theirs = official.unspecified_km2 if official is not None else None
    if theirs is None or contested_km2 > MAX_GREY_KM2:  # the bound holds whatever a server claims
        if contested_km2 > MAX_GREY_KM2:
            msg = (
                f"{source}: the grey zone covers {contested_km2:,.0f} km², more than the {MAX_GREY_KM2:,.0f} km² "
                "plausible (the largest since 2022 was about 7,000 km²), whatever the server's own figure says"
            )
            raise RefreshError(msg)
        return f"grey zone {contested_km2:,.0f} km², within the {MAX_GREY_KM2:,.0f} km² plausible"
    if contested_km2 > theirs + GREY_EXCESS_KM2:
        msg = (
            f"{source}: the grey zone covers {contested_km2:,.0f} km², more than DeepState's own figure for this "
            f"version ({theirs:,.0f} km² unspecified) plus {GREY_EXCESS_KM2:,.0f} km²"
        )
        raise RefreshError(msg)
    return f"grey zone {contested_km2:,.0f} km² (DeepState's own figure: {theirs:,.0f} km² unspecified)"


def check_against_official(
    parsed: Parsed, official: Official, *, source: str, tolerance: float = OFFICIAL_TOLERANCE
) -> tuple[float, float]:
    """Compare our areas after and before 24 Feb 2022 with DeepState's own, each within `tolerance`.

    DeepState sums by fill colour and does not clip to Ukraine: the editorial
    areas outside Ukraine painted in an occupied colour (Transnistria in
    April–May 2022) are subtracted from its figure first.

    Returns
    -------
    tuple
        Our relative difference from the adjusted figure, after and before 24 Feb 2022.
    """
    after_km2 = area_km2(shapely.difference(parsed.occupied, parsed.pre2022))
    before_km2 = area_km2(parsed.pre2022)
    expected_after = official.after_km2 - parsed.foreign_by_fill.get(AFTER_FILL, 0.0)
    expected_before = official.before_km2 - parsed.foreign_by_fill.get(BEFORE_FILL, 0.0)
    diffs = []
    for what, ours, theirs in (
        ("after 24 Feb 2022", after_km2, expected_after),
        ("before 24 Feb 2022", before_km2, expected_before),
    ):
        diff = ours / theirs - 1.0 if theirs > 0 else math.inf
        if not abs(diff) <= tolerance:
            msg = (
                f"{source}: occupied {what} {ours:,.0f} km² differs by {diff:+.1%} from DeepState's own figure for this "
                f"version ({theirs:,.0f} km², outside-Ukraine areas subtracted), more than {tolerance:.0%}"
            )
            raise RefreshError(msg)
        diffs.append(diff)
    return diffs[0], diffs[1]
