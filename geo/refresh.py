"""Refresh occupation snapshots from the DeepStateMap API: fetch, classify, check, write.

The pieces an unattended refresh needs, each small:

- `fetch_json`: one HTTP GET with a timeout, bounded retries with backoff,
  ``429 Retry-After`` honoured, a size cap and an honest User-Agent; http(s) only.
- `occupied_area`: DeepState's features of every naming era (tokens since
  2024-03, ``Ukrainian /// English`` names since 2022-05, Ukrainian names and
  black fills in April–May 2022) → the occupied MultiPolygon.  Editorial
  "occupied" areas outside Ukraine are dropped; Z is dropped;
  GeometryCollections are unwrapped.  The rules are those of
  ../shared/data/occupation/API.md §1.6.
- `check_snapshot`: valid geometry (repaired and reported), inside Ukraine's
  box, a plausible total area, and no jump of more than 5 % from the previous
  snapshot unless forced.
- `snapshot_bytes`, `sidecar_for`: what gets written; the pipeline writes every
  snapshot, sidecar and report together (staged, fsynced, renamed, sidecars
  first) while holding `refresh_lock`, so that two refreshes cannot interleave.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import shapely

from geo import __version__, schema
from geo.errors import RefreshError
from geo.files import file_sha256

DEFAULT_BASE_URL: Final = "https://deepstatemap.live/api"
BASE_URL_ENV: Final = "DEEPSTATE_API_URL"
USER_AGENT: Final = f"resource-control-mapper/{__version__} (occupation refresh; +https://deepstatemap.live credit)"
MAX_BYTES: Final = 20 * 1024 * 1024
TIMEOUT_S: Final = 30.0
RETRIES: Final = 3
#: First backoff pause (seconds); doubles on each retry.  Retry-After is capped at `MAX_WAIT_S`.
BACKOFF_S: Final = 1.0
MAX_WAIT_S: Final = 120.0
#: Plausible occupied area (EPSG:6933): 2022-05 → 2026-08 ranged 108,458–125,184 km².
PLAUSIBLE_KM2: Final = (100_000.0, 130_000.0)
MAX_CHANGE_SHARE: Final = 0.05
LOCK_WAIT_S: Final = 10.0
LICENCE: Final = (
    "DeepStateMap.Live terms: free for volunteer, charitable and Ukraine-defence (non-commercial) use with credit; "
    "commercial use needs prior approval; no redistribution as a standalone data set"
)
CREDIT: Final = "Source: DeepStateMap.Live"
_VERSION_RE = re.compile(r"^\d{1,12}$")

# --- fetching ------------------------------------------------------------------------------


def base_url(explicit: str | None, environ: Mapping[str, str]) -> str:
    """Pick the API base URL: the option, else ``DEEPSTATE_API_URL``, else the public API."""
    url = (explicit or environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        msg = f"base URL {url!r} is not http(s); pass --base-url https://… or set {BASE_URL_ENV}"
        raise RefreshError(msg)
    return url


#: Version ids are Unix seconds of publication: none before 2022.
_FIRST_VERSION = 1_640_995_200  # 2022-01-01T00:00:00Z


def check_version_id(version: str) -> str:
    """Return `version` if it is a DeepState version id (digits only: it becomes part of file names)."""
    if not _VERSION_RE.match(version) or not _FIRST_VERSION <= int(version) <= time.time() + 86_400:
        shown = repr(version) if version else "(missing)"
        msg = f"version id {shown} is not a DeepState version id (Unix seconds since 2022, e.g. 1754251105)"
        raise RefreshError(msg)
    return version


def _retry_after(header: str | None, attempt: int) -> float:
    if header and header.strip().isdigit():
        return float(min(float(header.strip()), MAX_WAIT_S))
    return float(min(BACKOFF_S * 2**attempt, MAX_WAIT_S))


def fetch_bytes(
    url: str,
    *,
    timeout: float = TIMEOUT_S,
    retries: int = RETRIES,
    max_bytes: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """GET `url` and return its body.

    Timeouts, connection errors, HTTP 5xx and 429 are retried up to `retries`
    times (``Retry-After`` honoured, otherwise exponential backoff); other
    HTTP errors and a body over `max_bytes` fail at once.

    Raises
    ------
    geo.errors.RefreshError
        With one line saying what failed and where.
    """
    return _get(url, timeout=timeout, retries=retries, max_bytes=max_bytes, sleep=sleep)[0]


def _get(
    url: str, *, timeout: float, retries: int, max_bytes: int | None, sleep: Callable[[float], None]
) -> tuple[bytes, str]:
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        msg = f"{url}: only http(s) URLs are fetched"
        raise RefreshError(msg)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    problem = ""
    for attempt in range(retries + 1):
        wait = 0.0
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read(max_bytes + 1)
                kind = str(response.headers.get("Content-Type", ""))
                length = str(response.headers.get("Content-Length", "")).strip()
        except urllib.error.HTTPError as exc:
            if exc.code != 429 and exc.code < 500:
                msg = f"{url}: HTTP {exc.code} {exc.reason}"
                raise RefreshError(msg) from exc
            problem = f"HTTP {exc.code}"
            wait = _retry_after(exc.headers.get("Retry-After") if exc.headers else None, attempt)
        except TimeoutError:
            problem = f"timed out after {timeout:g} s"
            wait = _retry_after(None, attempt)
        except urllib.error.URLError as exc:
            problem = f"cannot connect ({exc.reason})"
            wait = _retry_after(None, attempt)
        except (ConnectionError, http.client.HTTPException) as exc:
            problem = f"connection broken ({type(exc).__name__})"
            wait = _retry_after(None, attempt)
        else:
            if len(body) > max_bytes:
                msg = f"{url}: response larger than {max_bytes / 1024 / 1024:g} MiB; refusing it"
                raise RefreshError(msg)
            if length.isdigit() and len(body) < int(length):
                problem = f"response cut short ({len(body)} of {length} bytes)"
                wait = _retry_after(None, attempt)
            else:
                return body, kind
        if attempt < retries:
            sleep(wait)
    msg = f"{url}: {problem} after {retries + 1} attempts; try again later"
    raise RefreshError(msg)


def fetch_json(
    url: str,
    *,
    timeout: float = TIMEOUT_S,
    retries: int = RETRIES,
    max_bytes: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """GET `url` (as `fetch_bytes`) and parse its JSON body; an HTML page or broken JSON fails at once."""
    body, kind = _get(url, timeout=timeout, retries=retries, max_bytes=max_bytes, sleep=sleep)
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        html = "html" in kind.lower() or body.lstrip()[:1] == b"<"
        what = "an HTML page, not JSON" if html else "not valid JSON (truncated or damaged)"
        msg = f"{url}: the response is {what}; keeping the previous snapshot"
        raise RefreshError(msg) from exc


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
        (("під питанням", "contested", "невідом", "unknown"), "unknown"),
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
    name = str(properties.get("name") or "").replace("\xa0", " ")
    lowered = name.casefold()
    fill = str(properties.get("fill") or "").strip().lower()
    return _by_token(name) or _by_name(lowered) or _FILL_CLASS.get(fill) or _by_words(lowered)


def _polygons(geometry: Mapping[str, Any] | None) -> list[shapely.Geometry]:
    """Return the 2-D polygons of a GeoJSON geometry (GeometryCollections unwrapped, Z dropped)."""
    if not geometry:
        return []
    geom = shapely.geometry.shape(dict(geometry))
    parts = shapely.get_parts(shapely.force_2d(geom))
    flat: list[shapely.Geometry] = []
    for part in parts:
        kind = shapely.get_type_id(part)
        if kind == shapely.GeometryType.GEOMETRYCOLLECTION:
            flat += _polygons(shapely.geometry.mapping(part))
        elif kind in (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON):
            flat += list(shapely.get_parts(part))
    return flat


def _inside_box(geom: shapely.Geometry, box: tuple[float, float, float, float]) -> bool:
    point = shapely.point_on_surface(geom)
    xmin, ymin, xmax, ymax = box
    return bool(xmin <= point.x <= xmax and ymin <= point.y <= ymax)


@dataclass
class Parsed:
    """The occupied area of one DeepState version, and what parsing noticed."""

    occupied: shapely.Geometry
    pre2022: shapely.Geometry
    counts: dict[str, int] = field(default_factory=dict)
    repaired: int = 0
    outside_box: int = 0


def feature_collection(payload: Any) -> list[Mapping[str, Any]]:
    """Return the features of a ``/history/last`` (``{"map": …}``) or ``/history/{id}/geojson`` payload."""
    collection = payload.get("map", payload) if isinstance(payload, dict) else None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        msg = "the response has no GeoJSON features (expected a FeatureCollection, or {'map': FeatureCollection})"
        raise RefreshError(msg)
    return [f for f in features if isinstance(f, dict)]


def occupied_area(
    features: Sequence[Mapping[str, Any]], *, box: tuple[float, float, float, float] = schema.UKRAINE_BBOX
) -> Parsed:
    """Union the occupied classes of DeepState `features` into one (Multi)Polygon in lon/lat.

    Editorial areas outside Ukraine (by token, name or fill, or lying outside
    `box`) are left out and counted; invalid polygons are repaired with
    ``make_valid`` and counted.
    """
    counts: dict[str, int] = {}
    occupied: list[shapely.Geometry] = []
    pre2022: list[shapely.Geometry] = []
    repaired = outside = 0
    for feature in features:
        try:
            polygons = _polygons(feature.get("geometry"))
        except (shapely.errors.ShapelyError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            msg = f"a feature's geometry is not valid GeoJSON ({exc}); the response is damaged"
            raise RefreshError(msg) from exc
        if not polygons:
            continue
        properties = feature.get("properties")
        kind = classify(properties if isinstance(properties, dict) else {})
        counts[kind] = counts.get(kind, 0) + 1
        if kind not in OCCUPIED_KEYS:
            continue
        for raw in polygons:
            polygon = raw if shapely.is_valid(raw) else shapely.make_valid(raw)
            repaired += int(polygon is not raw)
            if not _inside_box(polygon, box):
                outside += 1
                continue
            (pre2022 if kind in PRE2022_KEYS else occupied).append(polygon)
    before = shapely.union_all(pre2022)
    everything = shapely.union(shapely.union_all(occupied), before)
    polygonal = shapely.get_parts(everything)
    keep = polygonal[shapely.get_type_id(polygonal) >= shapely.GeometryType.POLYGON]
    return Parsed(shapely.union_all(keep), before, counts, repaired, outside)


def area_km2(geom: shapely.Geometry) -> float:
    """Area of a lon/lat geometry in `geo.schema.AREA_CRS`, km²."""
    series = gpd.GeoSeries([geom], crs=schema.STORAGE_CRS).to_crs(schema.AREA_CRS)
    return float(series.area.iloc[0]) / 1e6


def check_snapshot(
    parsed: Parsed,
    *,
    source: str,
    previous: shapely.Geometry | None,
    force: bool,
    plausible_km2: tuple[float, float] = PLAUSIBLE_KM2,
) -> float:
    """Refuse a snapshot that is empty, outside Ukraine, too different from the previous one, or implausible.

    Returns
    -------
    float
        The occupied area, km².
    """
    if shapely.is_empty(parsed.occupied):
        where = f" ({parsed.outside_box} occupied polygons lie outside Ukraine's box: lat/lon swapped or not degrees?)"
        msg = f"{source}: no occupied polygons inside Ukraine{where if parsed.outside_box else ''}; keeping the previous snapshot"
        raise RefreshError(msg)
    if parsed.outside_box:
        msg = (
            f"{source}: {parsed.outside_box} occupied polygons lie outside Ukraine's box {schema.UKRAINE_BBOX} "
            "(lat/lon swapped, or coordinates not in degrees?); keeping the previous snapshot"
        )
        raise RefreshError(msg)
    km2 = area_km2(parsed.occupied)
    if previous is not None and not force:
        before = area_km2(previous)
        change = (km2 - before) / before if before > 0 else float("inf")
        if abs(change) > MAX_CHANGE_SHARE:
            msg = (
                f"{source}: occupied area changes by {change:+.1%} ({before:,.0f} → {km2:,.0f} km²), more than "
                f"{MAX_CHANGE_SHARE:.0%}; check the source and rerun with --force to accept it"
            )
            raise RefreshError(msg)
    low, high = plausible_km2
    if not low <= km2 <= high:
        msg = f"{source}: occupied area {km2:,.0f} km² is outside the plausible {low:,.0f}–{high:,.0f} km²; keeping the previous snapshot"
        raise RefreshError(msg)
    return km2


# --- writing ------------------------------------------------------------------------------


@contextlib.contextmanager
def refresh_lock(directory: Path, *, wait_s: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock on `directory` (waiting up to `wait_s`) so refreshes never interleave.

    The lock is taken on the folder itself (no lock file is left behind), and
    temporary files left by a refresh that was killed are removed once it is held.
    """
    directory.mkdir(parents=True, exist_ok=True)
    limit = LOCK_WAIT_S if wait_s is None else wait_s
    fd = os.open(directory, os.O_RDONLY)
    try:
        deadline = time.monotonic() + limit
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    msg = f"{directory}: another refresh is running (waited {limit:g} s for its lock); try again later"
                    raise RefreshError(msg) from None
                time.sleep(0.05)
        for stale in directory.glob(f".{schema.SNAPSHOT_PREFIX}*.tmp"):
            stale.unlink(missing_ok=True)
        yield
    finally:
        os.close(fd)


def snapshot_path(directory: Path, date: str) -> Path:
    """Return the file of the snapshot dated `date` in `directory`."""
    return directory / f"{schema.SNAPSHOT_PREFIX}{date}.geojson"


def snapshot_bytes(geom: shapely.Geometry, *, properties: Mapping[str, Any]) -> bytes:
    """Encode one occupied MultiPolygon as an RFC 7946 FeatureCollection (6 decimals, CCW outer rings)."""
    oriented = shapely.orient_polygons(geom) if hasattr(shapely, "orient_polygons") else geom
    rounded = shapely.set_precision(oriented, 1e-6)
    multi = shapely.MultiPolygon(list(shapely.get_parts(rounded)))
    feature = {"type": "Feature", "properties": dict(properties), "geometry": json.loads(shapely.to_geojson(multi))}
    text = json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def existing_version(directory: Path, version: str) -> Path | None:
    """Return the snapshot already written from DeepState version `version`, if any."""
    for side in sorted(directory.glob(f"{schema.SNAPSHOT_PREFIX}*{schema.SIDECAR_SUFFIX}")):
        try:
            record = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if str(record.get("version_id")) == version:
            data = side.with_name(side.name.removesuffix(schema.SIDECAR_SUFFIX) + ".geojson")
            if data.is_file() and file_sha256(data) == record.get("sha256"):
                return data
    return None


def version_time(version: str) -> datetime:
    """DeepState version ids are Unix seconds of publication."""
    return datetime.fromtimestamp(int(version), tz=UTC)


def now_utc() -> str:
    """Return the current UTC time, ISO 8601 to the second."""
    return datetime.now(tz=UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def sidecar_for(
    *,
    data: bytes,
    url: str,
    version: str | None,
    published: str | None,
    snapshot_date: str,
    parsed: Parsed,
    km2: float,
    licence: str = LICENCE,
    credit: str = CREDIT,
) -> dict[str, Any]:
    """Build the provenance sidecar of a refreshed snapshot."""
    return {
        "file": f"{schema.SNAPSHOT_PREFIX}{snapshot_date}.geojson",
        "title": f"Russian-occupied territory of Ukraine per DeepStateMap.Live, version {version or 'n/a'}",
        "source": {"repository": "deepstatemap.live API" if version else "file", "path": url, "commit": version},
        "url": url,
        "version_id": version,
        "published_utc": published,
        "fetched_at": now_utc(),
        "licence": licence,
        "credit": credit,
        "retrieved": now_utc()[:10],
        "snapshot_date": snapshot_date,
        "sha256": hashlib.sha256(data).hexdigest(),
        "occupied_km2": round(km2, 1),
        "changes": "Written by scripts/refresh_occupation.py: union of the occupied, Crimea, ORDLO and Tuzla polygons; "
        "editorial areas outside Ukraine dropped; Z dropped; repaired with make_valid; 6 decimals.",
        "notes": f"feature classes: {json.dumps(parsed.counts, sort_keys=True)}; repaired polygons: {parsed.repaired}",
    }
