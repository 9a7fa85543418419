"""Check the canonical frames before anything is computed from them.

Every ``check_*`` function collects all the problems it finds and raises one
`geo.errors.ValidationError` whose single-line message names the file, the
offending ids (first ten) and how to fix it.  Checks return None and never
change their input; `repair_geometries` is the one function that returns a
changed frame, and it reports what it changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo import schema
from geo.errors import ValidationError

_MAX_IDS = 10


def format_ids(ids: Sequence[str]) -> str:
    """Return the first ten ids, comma-separated, with a count of the rest."""
    shown = ", ".join(str(i) for i in ids[:_MAX_IDS])
    rest = len(ids) - _MAX_IDS
    return f"{shown} (+{rest} more)" if rest > 0 else shown


@dataclass
class _Problems:
    """Collects (file, what, ids, fix) and raises them as one error."""

    items: list[tuple[str, str, list[str], str]] = field(default_factory=list)

    def add(self, source: str, what: str, ids: Iterable[Any], fix: str) -> None:
        ids = [str(i) for i in ids]
        if ids:
            self.items.append((source, what, ids, fix))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        parts = []
        for source, what, ids, fix in self.items:
            prefix = f"{source}: " if source else ""
            parts.append(f"{prefix}{what}: {format_ids(ids)} ({fix})")
        count = len(self.items)
        head = f"{count} problem{'s' if count > 1 else ''}: " if count > 1 else ""
        raise ValidationError(head + "; ".join(parts))


def _is_storage_crs(crs: CRS | None) -> bool:
    if crs is None:
        return False
    return bool(crs.to_epsg() == 4326 or crs.equals(CRS.from_user_input("OGC:CRS84")))


def _check_vector(frame: gpd.GeoDataFrame, problems: _Problems) -> bool:
    """Check CRS, presence and extent of geometries; return False if unusable."""
    source = str(frame.attrs.get("source", ""))
    if frame.crs is None:
        problems.add(source, "no CRS", ["whole file"], f"store it in {schema.STORAGE_CRS} (WGS 84 lon/lat)")
        return False
    if not _is_storage_crs(frame.crs):
        problems.add(
            source,
            f"CRS is {frame.crs.to_string()}, expected {schema.STORAGE_CRS}",
            ["whole file"],
            f"reproject it, e.g. ogr2ogr -t_srs {schema.STORAGE_CRS} out.geojson in.geojson",
        )
        return False
    geoms = np.asarray(frame.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    problems.add(source, "missing or empty geometry", frame.index[missing], "give every feature a polygon")
    xmin, ymin, xmax, ymax = schema.UKRAINE_BBOX
    bounds = frame.geometry.bounds[~missing]
    outside = (bounds["minx"] < xmin) | (bounds["miny"] < ymin) | (bounds["maxx"] > xmax) | (bounds["maxy"] > ymax)
    problems.add(
        source,
        f"geometry outside Ukraine's box {schema.UKRAINE_BBOX}",
        bounds.index[outside],
        "check for swapped lat/lon or projected coordinates",
    )
    return True


def _not_polygonal(frame: gpd.GeoDataFrame) -> list[str]:
    kinds = shapely.get_type_id(np.asarray(frame.geometry.array, dtype=object))
    polygonal = (kinds == shapely.GeometryType.POLYGON) | (kinds == shapely.GeometryType.MULTIPOLYGON)
    return [str(i) for i in frame.index[(kinds >= 0) & ~polygonal]]


def check_regions(frames: Sequence[gpd.GeoDataFrame], *, required_ids: Sequence[str] = ()) -> None:
    """Check region layers: CRS, geometries in Ukraine, polygons, ids unique across layers, required ids present."""
    problems = _Problems()
    seen: dict[str, str] = {}
    for frame in frames:
        source = str(frame.attrs.get("source", ""))
        if _check_vector(frame, problems):
            problems.add(source, "not a polygon", _not_polygonal(frame), "regions must be polygons")
        ids = pd.Index(frame.index.astype(str))
        problems.add(source, "empty id", ids[(ids == "") | (ids == "nan")], "give every region its KATOTTG code")
        problems.add(source, "duplicate id", sorted(set(ids[ids.duplicated()])), "ids must be unique")
        clashes = [i for i in ids.unique() if i in seen]
        problems.add(source, "id also used in another layer", clashes, "region ids must be unique across layers")
        seen.update(dict.fromkeys(ids.unique(), source))
    problems.add(
        "",
        "region missing from the boundary layers",
        [i for i in required_ids if i not in seen],
        "restore the focus regions' boundaries in layers/boundaries",
    )
    problems.raise_if_any()


def check_occupation(frame: gpd.GeoDataFrame) -> None:
    """Check an occupation layer: CRS, polygons in Ukraine, not empty."""
    problems = _Problems()
    source = str(frame.attrs.get("source", ""))
    if frame.empty:
        problems.add(source, "no features", ["whole file"], "use a snapshot with at least one occupied polygon")
    elif _check_vector(frame, problems):
        problems.add(source, "not a polygon", _not_polygonal(frame), "occupied areas must be polygons")
    problems.raise_if_any()


def repair_geometries(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Repair invalid geometries with ``make_valid`` and say which.

    Returns
    -------
    tuple
        A copy of `frame` with valid geometries (polygonal parts kept), and a
        list of notes, one per file that needed repairs (empty if none did).
    """
    geoms = np.asarray(frame.geometry.array, dtype=object)
    invalid = ~shapely.is_missing(geoms) & ~shapely.is_valid(geoms)
    if not invalid.any():
        return frame, []
    fixed = geoms.copy()
    for k in np.flatnonzero(invalid):
        parts = shapely.get_parts(shapely.make_valid(geoms[k]))
        fixed[k] = shapely.union_all(parts[shapely.get_type_id(parts) >= shapely.GeometryType.POLYGON])
    out = frame.copy()
    out[frame.geometry.name] = gpd.GeoSeries(fixed, index=frame.index, crs=frame.crs)
    out.attrs = dict(frame.attrs)
    ids = format_ids([str(i) for i in frame.index[invalid]])
    note = f"{frame.attrs.get('source', '')}: repaired {int(invalid.sum())} invalid geometries with make_valid: {ids}"
    return out, [note]


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _not_non_negative(text: str) -> bool:
    value = _number(text)
    return value is None or value < 0


def check_deposits(records: pd.DataFrame, *, oblast_ids: pd.Series) -> None:
    """Check deposit records against the vocabularies and coordinate rules.

    Parameters
    ----------
    records
        The text frame from `geo.sources.read_deposits`.
    oblast_ids
        The oblast code each record's ``oblast`` name resolves to (None if it does not),
        aligned with `records`.
    """
    problems = _Problems()
    source = str(records.attrs.get("source", ""))
    ids = records["id"].str.strip()
    label = ids.where(ids != "", pd.Series([f"row {k + 2}" for k in range(len(records))], index=records.index))
    problems.add(source, "empty id", label[ids == ""], "give every record a unique id")
    problems.add(source, "duplicate id", sorted(set(ids[(ids != "") & ids.duplicated()])), "ids must be unique")
    problems.add(
        source, "empty name_en", label[records["name_en"].str.strip() == ""], "give every record an English name"
    )

    allowed = set(schema.COMMODITIES)
    bad_commodity = []
    bad_primary = []
    for rid, listed, primary in zip(label, records["commodities"], records["primary_commodity"], strict=True):
        items = [c.strip() for c in listed.split(schema.COMMODITY_SEP) if c.strip()]
        unknown = [c for c in items if c not in allowed]
        if unknown or not items:
            bad_commodity.append(f"{rid} ({listed or 'empty'})")
        if primary not in items:
            bad_primary.append(f"{rid} ({primary or 'empty'})")
    vocab = ", ".join(schema.COMMODITIES)
    problems.add(source, "unknown commodity", bad_commodity, f"use ;-separated values from: {vocab}")
    problems.add(
        source, "primary_commodity not among commodities", bad_primary, "list the primary commodity in commodities too"
    )

    for column, values in (("status", schema.STATUSES), ("coord_precision", schema.COORD_PRECISIONS)):
        bad = ~records[column].isin(values)
        problems.add(
            source,
            f"unknown {column}",
            [f"{r} ({v or 'empty'})" for r, v in zip(label[bad], records[column][bad], strict=True)],
            f"use one of: {', '.join(values)}",
        )

    xmin, ymin, xmax, ymax = schema.UKRAINE_BBOX
    not_number, outside, half, precision_mismatch = [], [], [], []
    for rid, lat_text, lon_text, precision in zip(
        label, records["lat"].str.strip(), records["lon"].str.strip(), records["coord_precision"], strict=True
    ):
        if not lat_text and not lon_text:
            if precision != schema.NO_COORDS:
                precision_mismatch.append(rid)
            continue
        if not lat_text or not lon_text:
            half.append(rid)
            continue
        lat, lon = _number(lat_text), _number(lon_text)
        if lat is None or lon is None:
            not_number.append(f"{rid} ({lat_text}, {lon_text})")
        elif not (ymin <= lat <= ymax and xmin <= lon <= xmax):
            outside.append(f"{rid} ({lat_text}, {lon_text})")
        elif precision == schema.NO_COORDS:
            precision_mismatch.append(rid)
    problems.add(source, "lat/lon not a number", not_number, "write decimal degrees, e.g. 47.90934")
    problems.add(
        source, f"lat/lon outside Ukraine's box {schema.UKRAINE_BBOX}", outside, "check for swapped lat and lon"
    )
    problems.add(source, "only one of lat/lon given", half, "give both, or leave both blank with coord_precision none")
    problems.add(
        source,
        "coord_precision does not match coordinates",
        precision_mismatch,
        "use coord_precision none exactly when lat and lon are blank",
    )
    uncertainty = records["coord_uncertainty_km"].str.strip()
    bad_unc = (uncertainty != "") & uncertainty.map(_not_non_negative).astype(bool)
    problems.add(
        source,
        "coord_uncertainty_km not a non-negative number",
        label[bad_unc],
        "write kilometres, e.g. 2.5, or leave blank",
    )

    unresolved = oblast_ids.isna().to_numpy()
    problems.add(
        source,
        "unknown oblast",
        [f"{r} ({o or 'empty'})" for r, o in zip(label[unresolved], records["oblast"][unresolved], strict=True)],
        "use an oblast name from layers/boundaries/ua_adm1_lookup.csv",
    )
    url = records["source_url"].str.strip()
    problems.add(
        source,
        "source_url not an http(s) URL",
        label[~url.str.match(r"^https?://\S+$")],
        "every record needs the URL of its source",
    )
    problems.raise_if_any()


def check_figures(figures: pd.DataFrame, *, required_ids: Sequence[str]) -> None:
    """Check published figures: unique ids, sources given, the figures the outputs cite present."""
    problems = _Problems()
    source = str(figures.attrs.get("source", ""))
    ids = figures["id"].str.strip()
    problems.add(source, "empty id", ("row " + (figures.index[ids == ""] + 2).astype(str)), "give every figure an id")
    problems.add(source, "duplicate id", sorted(set(ids[(ids != "") & ids.duplicated()])), "ids must be unique")
    problems.add(
        source, "missing figure", [i for i in required_ids if i not in set(ids)], "restore these published figures"
    )
    for column in ("value", "source_name", "source_url", "quote"):
        problems.add(
            source, f"empty {column}", ids[figures[column].str.strip() == ""], f"every figure needs its {column}"
        )
    problems.raise_if_any()


def check_provenance(provenance: pd.DataFrame) -> None:
    """Check that every data file has a sidecar with the required keys and a matching sha256.

    Parameters
    ----------
    provenance
        From `geo.sources.read_provenance`: indexed by file, columns ``sidecar`` and ``sha256``.
    """
    problems = _Problems()
    missing, incomplete, mismatched = [], [], []
    for path, row in provenance.iterrows():
        sidecar: Mapping[str, Any] | None = row["sidecar"] if isinstance(row["sidecar"], Mapping) else None
        if sidecar is None:
            missing.append(path)
            continue
        lacking = [k for k in schema.SIDECAR_KEYS if k not in sidecar or (k != "url" and not sidecar[k])]
        if lacking:
            incomplete.append(f"{path} ({', '.join(lacking)})")
        elif sidecar["sha256"] != row["sha256"]:
            mismatched.append(f"{path} (file is {row['sha256']})")
    keys = ", ".join(schema.SIDECAR_KEYS)
    problems.add("", "data file without a .source.json sidecar", missing, f"add <name>.source.json with {keys}")
    problems.add("", "sidecar lacks keys", incomplete, f"a sidecar needs {keys}")
    problems.add(
        "",
        "sha256 in the sidecar does not match the file",
        mismatched,
        "restore the original file, or record the new source and sha256 in its .source.json",
    )
    problems.raise_if_any()
