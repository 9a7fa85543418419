"""What the refresh writes for a snapshot of any source: the RFC 7946 file and its provenance sidecar."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import shapely

from geo import schema, style
from geo.occupation import Parsed, now_utc
from geo.occupation.checks import area_km2


def _multipolygon(geom: shapely.Geometry) -> dict[str, Any]:
    oriented = shapely.orient_polygons(geom) if hasattr(shapely, "orient_polygons") else geom
    rounded = shapely.set_precision(oriented, 1e-6)
    parts = [p for p in shapely.get_parts(rounded) if shapely.get_type_id(p) == shapely.GeometryType.POLYGON]
    result: dict[str, Any] = json.loads(shapely.to_geojson(shapely.MultiPolygon(parts)))
    return result


def snapshot_bytes(parsed: Parsed, *, properties: Mapping[str, Any]) -> bytes:
    """Encode a version as an RFC 7946 FeatureCollection (6 decimals, CCW outer rings).

    The first feature is the occupied MultiPolygon (``class`` ``occupied``); a
    second, the grey zone (``class`` ``contested``), follows when there is one.
    """
    features = [
        {
            "type": "Feature",
            "properties": {"class": schema.SNAPSHOT_OCCUPIED, **properties},
            "geometry": _multipolygon(parsed.occupied),
        }
    ]
    if not shapely.is_empty(parsed.contested):
        features.append(
            {
                "type": "Feature",
                "properties": {"class": schema.SNAPSHOT_CONTESTED, **properties},
                "geometry": _multipolygon(parsed.contested),
            }
        )
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def sidecar_for(
    *,
    data: bytes,
    file_name: str,
    url: str,
    occupation_source: str,
    version: str | None,
    published: str | None,
    snapshot_date: str,
    parsed: Parsed,
    km2: float,
    check: str,
    changes: str,
    notes: str = "",
    window: tuple[str, str] | None = None,
    credit: str | None = None,
    leaves_out: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Build the provenance sidecar of a refreshed snapshot of `occupation_source` (an id of `style.OCCUPATION_SOURCES`).

    Its credit, licence and what the source leaves out come from that one entry; `window` is the first and last
    day the source's file covers, where it says so; `leaves_out` names what the snapshot does not cover
    (`geo.occupation.LEAVES_OUT`), for the comparison's footprint.
    """
    entry = style.OCCUPATION_SOURCES[occupation_source]
    credit = credit or entry.credit
    from_api = version is not None
    title = (
        f"Russian-occupied territory of Ukraine per {credit}, version {version}"
        if from_api
        else f"Russian-occupied territory of Ukraine per {credit}, {snapshot_date}"
    )
    counts = f"feature classes: {json.dumps(parsed.counts, sort_keys=True)}; repaired polygons: {parsed.repaired}"
    record: dict[str, Any] = {
        "file": file_name,
        "title": title,
        "source": {"repository": "deepstatemap.live API" if from_api else "file", "path": url, "commit": version},
        "url": url,
        "occupation_source": occupation_source,
        "version_id": version,
        "published_utc": published,
        "fetched_at": now_utc(),
        "licence": entry.licence,
        "credit": f"Source: {credit}",
        "leaves_out": list(leaves_out),  # ids of `geo.occupation.LEAVES_OUT`: cut away, and left out when compared
        "what_it_leaves_out": entry.leaves_out,
        "retrieved": now_utc()[:10],
        "snapshot_date": snapshot_date,
        "sha256": hashlib.sha256(data).hexdigest(),
        "occupied_km2": round(km2, 1),
        "contested_km2": round(area_km2(parsed.contested), 1),
        "check": check,
        "changes": changes,
        "notes": f"{notes}; {counts}" if notes else counts,
    }
    if window is not None:
        record["window"] = list(window)
    return record
