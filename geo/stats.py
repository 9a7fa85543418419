"""Statistics: small functions named for the quantity they return.

Areas are measured in `geo.schema.AREA_CRS` (equal-area) and returned in km²;
shares are floats in [0, 1], 0.0 (never NaN) where nothing is occupied.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo import schema
from geo.errors import ValidationError

_M2_PER_KM2 = 1_000_000.0


def area_km2(regions: gpd.GeoDataFrame) -> pd.Series:
    """Measure each region's area.

    Returns
    -------
    pandas.Series
        km², indexed like `regions`, named ``area_km2``.
    """
    return (regions.geometry.to_crs(schema.AREA_CRS).area / _M2_PER_KM2).rename("area_km2")


def overlap_km2(regions: gpd.GeoDataFrame, geom: shapely.Geometry) -> pd.Series:
    """Measure how much of each region a lon/lat geometry covers.

    Returns
    -------
    pandas.Series
        km², indexed like `regions`.
    """
    eq_regions = regions.geometry.to_crs(schema.AREA_CRS).to_numpy()
    eq_geom = gpd.GeoSeries([geom], crs=regions.crs).to_crs(schema.AREA_CRS).iloc[0]
    return pd.Series(_overlap_km2(eq_regions, eq_geom), index=regions.index, name="km2")


def _overlap_km2(geoms: np.ndarray, part: shapely.Geometry) -> np.ndarray:
    """Area of each geometry's overlap with `part`, both in the equal-area CRS, in km²."""
    out = np.zeros(len(geoms))
    if part is None or shapely.is_empty(part):
        return out
    if not shapely.is_valid(part):  # reprojection can leave slivers that GEOS rejects
        part = shapely.make_valid(part)
    shapely.prepare(part)
    touching = shapely.intersects(part, geoms)
    inside = np.zeros(len(geoms), dtype=bool)
    inside[touching] = shapely.contains_properly(part, geoms[touching])
    out[inside] = shapely.area(geoms[inside])
    partial = touching & ~inside
    out[partial] = shapely.area(shapely.intersection(geoms[partial], part))
    return out / _M2_PER_KM2


def occupied_km2(regions: gpd.GeoDataFrame, parts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Measure the occupied area of each region, split at 24 Feb 2022.

    Parameters
    ----------
    parts
        From `geo.join.occupied_parts`: rows ``occupied_before_2022`` and
        ``occupied_since_2022``, which do not overlap.

    Returns
    -------
    pandas.DataFrame
        Indexed like `regions`; columns ``occupied_km2``, ``occupied_before_2022_km2``,
        ``occupied_since_2022_km2`` (km²; the first is the sum of the other two).
    """
    geoms = regions.geometry.to_crs(schema.AREA_CRS).to_numpy()
    eq_parts = parts.to_crs(schema.AREA_CRS).geometry
    before = _overlap_km2(geoms, eq_parts[schema.OCCUPIED_BEFORE_2022])
    since = _overlap_km2(geoms, eq_parts[schema.OCCUPIED_SINCE_2022])
    return pd.DataFrame(
        {
            "occupied_km2": before + since,
            "occupied_before_2022_km2": before,
            "occupied_since_2022_km2": since,
        },
        index=regions.index,
    )


def occupied_share(occupied: pd.Series, total: pd.Series) -> pd.Series:
    """Divide an occupied quantity by its total.

    Returns
    -------
    pandas.Series
        In [0, 1], aligned with the inputs; 0.0 where nothing is occupied or the
        total is zero.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        share = occupied.astype(float) / total.astype(float)
    return share.where(total > 0, 0.0).fillna(0.0).clip(0.0, 1.0).rename("occupied_share")


def region_table(
    regions: gpd.GeoDataFrame, parts: gpd.GeoDataFrame, *, contested: shapely.Geometry | None = None
) -> pd.DataFrame:
    """Tabulate area, occupied area, occupied share and grey-zone area for every region.

    Parameters
    ----------
    contested
        DeepState's grey zone (lon/lat), measured apart and never counted as occupied; None when the snapshot has none.

    Returns
    -------
    pandas.DataFrame
        Indexed like `regions`; columns ``name_en``, ``name_uk``, ``level``,
        ``parent_id``, ``area_km2``, ``occupied_km2``, ``occupied_before_2022_km2``,
        ``occupied_since_2022_km2``, ``occupied_share``, ``contested_km2``.
    """
    area = area_km2(regions)
    occupied = occupied_km2(regions, parts)
    table = pd.concat([regions[["name_en", "name_uk", "level", "parent_id"]], area, occupied], axis=1)
    table["occupied_share"] = occupied_share(table["occupied_km2"], table["area_km2"])
    table["contested_km2"] = overlap_km2(regions, contested).to_numpy() if contested is not None else 0.0
    return pd.DataFrame(table)


def near_front(distance_km: pd.Series, *, threshold_km: float = schema.NEAR_FRONT_KM) -> pd.Series:
    """Say whether each distance to the line of contact is at most `threshold_km`.

    Returns
    -------
    pandas.Series
        Nullable boolean aligned with `distance_km`; <NA> where the distance is unknown.
    """
    result = (distance_km <= threshold_km).astype("boolean")
    return result.mask(distance_km.isna()).rename("near_front")


def _count_by_status(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    status = frame["control_status"]
    counts = pd.DataFrame(
        {
            **{k: frame[k] for k in keys},
            "deposits_total": 1,
            "occupied_before_2022": (status == schema.OCCUPIED_BEFORE_2022).astype(int),
            "occupied_since_2022": (status == schema.OCCUPIED_SINCE_2022).astype(int),
            "held": (status == schema.HELD).astype(int),
            "unknown": (status == schema.UNKNOWN).astype(int),
            "near_front": frame["near_front"].fillna(False).astype(int),
        }
    )
    grouped = counts.groupby(keys, sort=True).sum()
    grouped.insert(1, "occupied", grouped["occupied_before_2022"] + grouped["occupied_since_2022"])
    grouped.insert(1, "known", grouped["occupied"] + grouped["held"])
    grouped["occupied_share"] = occupied_share(grouped["occupied"], grouped["occupied"] + grouped["held"])
    return grouped


def control_table(
    deposits: pd.DataFrame,
    membership: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    metals: Sequence[str] = schema.METALS,
    resource_kinds: Sequence[str] = schema.RESOURCE_SITE_KINDS,
) -> pd.DataFrame:
    """Count deposits by control status for every region and commodity.

    A deposit counts once under each commodity it lists, and once under the
    `geo.schema.METALS_AGGREGATE` row if it lists any commodity in `metals` and its
    ``site_kind`` is in `resource_kinds` (processing plants are not resources).
    ``known`` is occupied + held, and ``occupied_share`` is occupied / known:
    records of unknown status are counted in ``unknown`` but left out of the
    share (which is 0.0 where ``known`` is 0 — read it with ``known``).

    Parameters
    ----------
    deposits
        Indexed by deposit id; columns ``commodity_list``, ``site_kind``,
        ``control_status``, ``near_front``.
    membership
        From `geo.join.containing_regions`.
    regions
        Indexed by region id; columns ``name_en`` and ``level``, including the country row.

    Returns
    -------
    pandas.DataFrame
        One row per (region, commodity) with at least one deposit, indexed by
        ``region_id`` and ``commodity``; columns ``name_en``, ``level``,
        ``deposits_total``, ``known``, ``occupied``, ``occupied_before_2022``,
        ``occupied_since_2022``, ``held``, ``unknown``, ``near_front``, ``occupied_share``.
    """
    rows = _commodity_rows(deposits, membership, metals=metals, resource_kinds=resource_kinds)
    rows = rows.join(deposits[["control_status", "near_front"]], on="id")
    return _named(_count_by_status(rows, [schema.REGION_ID, "commodity"]), regions)


def _commodity_rows(
    deposits: pd.DataFrame, membership: pd.DataFrame, *, metals: Sequence[str], resource_kinds: Sequence[str]
) -> pd.DataFrame:
    """One row per (deposit, commodity or the metals aggregate, region it lies in): columns id, commodity, region_id."""
    per_commodity = (
        deposits[["commodity_list"]].explode("commodity_list").rename(columns={"commodity_list": "commodity"})
    )
    metal_set = set(metals)
    is_metal = deposits["commodity_list"].map(lambda items: bool(metal_set.intersection(items)))
    is_resource = deposits["site_kind"].isin(resource_kinds)
    aggregate = pd.DataFrame({"commodity": schema.METALS_AGGREGATE}, index=deposits.index[is_metal & is_resource])
    rows = pd.concat([per_commodity, aggregate])
    rows.index.name = "id"
    return rows.reset_index().merge(membership, on="id", how="inner")


def _named(table: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    names = regions[["name_en", "level"]].reindex(table.index.get_level_values(schema.REGION_ID))
    table.insert(0, "name_en", names["name_en"].to_numpy())
    table.insert(1, "level", names["level"].to_numpy())
    return table


def metals_comparison(control: pd.DataFrame, figures: pd.DataFrame, *, figure_ids: Sequence[str]) -> pd.DataFrame:
    """Put our computed metals share beside the published metals figures.

    Returns
    -------
    pandas.DataFrame
        First row ``computed`` (this project's count-based share for Ukraine), then
        one row per id in `figure_ids`; columns ``label``, ``share`` (0–1; NaN if the
        figure is not a plain percentage), ``value``, ``unit``, ``basis``, ``as_of``,
        ``source_name``, ``source_url``, ``quote``, and for ``computed`` the counts
        behind its share, ``records_occupied`` and ``records_known`` (NaN for the published figures).
    """
    key = (schema.COUNTRY_ID, schema.METALS_AGGREGATE)
    if key in control.index:
        ours = control.loc[[key]].iloc[0]
    else:  # no metal records at all
        ours = pd.Series({"occupied_share": 0.0, "occupied": 0, "held": 0, "unknown": 0})
    computed = {
        "label": "This project: share of our metal deposit/mine records in occupied territory",
        "share": float(ours["occupied_share"]),
        "value": f"{int(ours['occupied'])} of {int(ours['occupied'] + ours['held'])} records",
        "unit": "count of records",
        "basis": (
            f"count of the project's records (deposits and mines listing {', '.join(schema.METALS)}); "
            f"{int(ours['unknown'])} of unknown status left out; not weighted by size or value"
        ),
        "as_of": "",
        "source_name": "resource-control-mapper (computed)",
        "source_url": "",
        "quote": "",
        "records_occupied": int(ours["occupied"]),
        "records_known": int(ours["occupied"] + ours["held"]),
    }
    published = figures.set_index("id").loc[list(figure_ids)]
    numeric = pd.to_numeric(published["value"], errors="coerce")
    percent = published["unit"].str.startswith("percent")
    rows = pd.DataFrame(
        {
            "label": published["figure"],
            "share": (numeric / 100.0).where(percent),
            "value": published["value"],
            "unit": published["unit"],
            "basis": published["measure_basis"],
            "as_of": published["as_of"],
            "source_name": published["source_name"],
            "source_url": published["source_url"],
            "quote": published["quote"],
        }
    )
    out = pd.concat([pd.DataFrame([computed], index=pd.Index(["computed"])), rows])
    out.index.name = "figure_id"
    return out


def control_ledger(
    deposits: pd.DataFrame,
    statuses: pd.DataFrame,
    membership: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    metals: Sequence[str] = schema.METALS,
    resource_kinds: Sequence[str] = schema.RESOURCE_SITE_KINDS,
) -> pd.DataFrame:
    """Count deposits by control status for every date × region × commodity, as `control_table` does for one date.

    Parameters
    ----------
    statuses
        Control status per deposit (rows, like `deposits`) and date (columns).

    Returns
    -------
    pandas.DataFrame
        Columns ``date``, ``region_id``, ``commodity``, ``name_en``, ``level``,
        ``deposits_total``, ``known``, ``occupied``, ``occupied_before_2022``,
        ``occupied_since_2022``, ``held``, ``unknown``, ``occupied_share``.
    """
    rows = _commodity_rows(deposits, membership, metals=metals, resource_kinds=resource_kinds)
    stacked = (
        statuses.rename_axis(index="id").reset_index().melt(id_vars="id", var_name="date", value_name="control_status")
    )
    rows = rows.merge(stacked, on="id").assign(near_front=False)
    table = _named(
        _count_by_status(rows, ["date", schema.REGION_ID, "commodity"]), regions.rename_axis(schema.REGION_ID)
    )
    return table.drop(columns=["near_front"]).reset_index()


def _overlap_pieces_km2(geoms: np.ndarray, change: shapely.Geometry) -> np.ndarray:
    """Like `_overlap_km2` for a change made of many small pieces (km²).

    A piece wholly inside a region adds its own area; only pieces that cross a
    region's edge are intersected, with the region clipped to the piece's box.
    """
    return _pieces_km2(geoms, shapely.get_parts(change))


def _pieces_km2(geoms: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """Area of each geometry's overlap with the union of `pieces` (disjoint polygons), all in the equal-area CRS, km²."""
    out = np.zeros(len(geoms))
    pieces = pieces[shapely.area(pieces) > 0]
    if len(pieces) == 0:
        return out
    shapely.prepare(geoms)
    region_idx, piece_idx = shapely.STRtree(pieces).query(geoms, predicate="intersects")
    inside = shapely.contains_properly(geoms[region_idx], pieces[piece_idx])
    areas = np.where(inside, shapely.area(pieces[piece_idx]), 0.0)
    for k in np.flatnonzero(~inside):
        region, piece = geoms[region_idx[k]], pieces[piece_idx[k]]
        xmin, ymin, xmax, ymax = shapely.bounds(piece)
        areas[k] = shapely.area(shapely.intersection(shapely.clip_by_rect(region, xmin, ymin, xmax, ymax), piece))
    np.add.at(out, region_idx, areas)
    return out / _M2_PER_KM2


def change_overlap_km2(regions: gpd.GeoSeries, change: shapely.Geometry) -> pd.Series:
    """Measure how much of each region a change (an area gained or lost) covers.

    Both are in `geo.schema.AREA_CRS` already, so that a refresh projects its
    regions once for every version.  A piece of the change wholly inside a
    region adds its own area; only the pieces that cross a region's edge are
    intersected.

    Returns
    -------
    pandas.Series
        km², indexed like `regions`.
    """
    geoms = np.asarray(regions.array, dtype=object)
    if change is None or shapely.is_empty(change):
        return pd.Series(0.0, index=regions.index, name="km2")
    if not shapely.is_valid(change):
        change = shapely.make_valid(change)
    return pd.Series(_overlap_pieces_km2(geoms, change), index=regions.index, name="km2")


_TO_AREA = pyproj.Transformer.from_crs(schema.STORAGE_CRS, schema.AREA_CRS, always_xy=True)
#: How far the box around each changed edge reaches beyond it (metres in `geo.schema.AREA_CRS`).
_CHANGE_MARGIN_M = 1.0


def _to_area(geoms: np.ndarray) -> np.ndarray:
    """Project lon/lat geometries to `geo.schema.AREA_CRS` (the same coordinates as ``GeoSeries.to_crs``)."""
    coords = shapely.get_coordinates(geoms)
    x, y = _TO_AREA.transform(coords[:, 0], coords[:, 1])
    projected: np.ndarray = shapely.set_coordinates(geoms.copy(), np.column_stack([x, y]))
    return projected


def _edges(geom: shapely.Geometry) -> np.ndarray:
    """Every edge of a polygonal geometry's rings as (x1, y1, x2, y2), its end points in lexicographic order."""
    parts = shapely.get_parts(geom)
    rings = shapely.get_rings(parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON])
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    start, end = coords[:-1][same], coords[1:][same]
    swap = (start[:, 0] > end[:, 0]) | ((start[:, 0] == end[:, 0]) & (start[:, 1] > end[:, 1]))
    start[swap], end[swap] = end[swap], start[swap].copy()
    return np.column_stack([start, end])


def _components(count: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Label the connected components of a graph of `count` nodes with edges (left, right): the least node of each."""
    labels = np.arange(count)
    while not np.array_equal(labels[left], labels[right]):
        np.minimum.at(labels, labels[left], labels[right])
        np.minimum.at(labels, labels[right], labels[left])
        while not np.array_equal(labels, labels[labels]):
            labels = labels[labels]
    return labels


#: Odd 64-bit multipliers that hash an edge's four coordinates (their bits) into one integer.
_EDGE_HASH = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5], dtype=np.uint64)
#: Up to this many boxes are merged with a dense overlap test; more with a tree.
_DENSE_BOXES = 256


def _unmatched(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Return the edges (rows) that occur more often in one of `old` and `new` than in the other, each once.

    Edges are grouped by a hash of their coordinates' bits (one integer sort
    instead of a four-key one); should two different edges share a hash,
    they are sorted by their coordinates instead.
    """
    edges = np.ascontiguousarray(np.concatenate([old, new]))
    mixed = edges.view(np.uint64) * _EDGE_HASH
    key = mixed[:, 0] ^ (mixed[:, 1] >> np.uint64(17)) ^ mixed[:, 2] ^ (mixed[:, 3] >> np.uint64(29))
    order = np.argsort(key, kind="stable")
    ordered = edges[order]
    first = np.ones(len(edges), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    group = np.cumsum(first) - 1
    if not (ordered == ordered[first][group]).all():  # a shared hash: sort exactly
        order = np.lexsort(edges.T[::-1])
        ordered = edges[order]
        first[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
        group = np.cumsum(first) - 1
    balance = np.bincount(group, weights=np.where(order < len(old), 1.0, -1.0))
    unmatched: np.ndarray = ordered[first][balance != 0]
    return unmatched


def _touching(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the pairs (i, j) of boxes that touch or overlap (each box with itself too)."""
    if len(boxes) <= _DENSE_BOXES:
        xmin, ymin, xmax, ymax = (boxes[:, k] for k in range(4))
        touch = (xmin[:, None] <= xmax[None, :]) & (xmin[None, :] <= xmax[:, None])
        touch &= (ymin[:, None] <= ymax[None, :]) & (ymin[None, :] <= ymax[:, None])
        left, right = np.nonzero(touch)
        return left, right
    rects = shapely.box(*boxes.T)
    pairs: tuple[np.ndarray, np.ndarray] = tuple(shapely.STRtree(rects).query(rects, predicate="intersects"))
    return pairs


def _change_boxes(old: np.ndarray, new: np.ndarray, *, margin: float) -> np.ndarray:
    """Disjoint boxes (xmin, ymin, xmax, ymax) outside which two polygonal geometries, given by `_edges`, are the same.

    Where two polygonal geometries differ, the edge of the difference runs
    along edges that only one of them has (an edge both have has the same
    area on each side in both, or the difference on both sides).  Each piece
    of the difference is enclosed by a chain of such edges, which touch one
    another: it lies inside the box of the group of touching boxes (each
    `margin` wider than its edge) of its edges.  No boxes: the same geometry.
    """
    changed = _unmatched(old, new)
    boxes = np.column_stack(
        [
            np.minimum(changed[:, 0], changed[:, 2]) - margin,
            np.minimum(changed[:, 1], changed[:, 3]) - margin,
            np.maximum(changed[:, 0], changed[:, 2]) + margin,
            np.maximum(changed[:, 1], changed[:, 3]) + margin,
        ]
    )
    while len(boxes):  # merge touching boxes until none touch (a merged box can reach another one)
        left, right = _touching(boxes)
        roots, label = np.unique(_components(len(boxes), left, right), return_inverse=True)
        if len(roots) == len(boxes):
            break
        merged = np.empty((len(roots), 4))
        merged[:, :2], merged[:, 2:] = np.inf, -np.inf
        for k in (0, 1):
            np.minimum.at(merged[:, k], label, boxes[:, k])
            np.maximum.at(merged[:, k + 2], label, boxes[:, k + 2])
        boxes = merged
    return boxes


def _polygons(geoms: Sequence[shapely.Geometry]) -> np.ndarray:
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    kept: np.ndarray = parts[shapely.get_type_id(parts) >= shapely.GeometryType.POLYGON]
    return kept


@dataclass
class _Shape:
    """A polygonal geometry in a metric CRS, with what comparing it with another needs (each part made once)."""

    geom: shapely.Geometry
    edges: np.ndarray  # `_edges`
    valid: bool
    rings: tuple[shapely.Geometry, np.ndarray, shapely.STRtree] | None = None  # lines, as shells, their tree

    @classmethod
    def of(cls, geom: shapely.Geometry) -> _Shape:
        return cls(geom, _edges(geom), bool(shapely.is_valid(geom)))

    def in_box(self, xmin: float, ymin: float, xmax: float, ymax: float) -> shapely.Geometry:
        """Return ``make_valid(geom)`` within the box, without repairing the whole geometry.

        A valid geometry is clipped.  An invalid one (a reprojection turns a
        hole touching its shell into two rings crossing by a hair) cannot be:
        clipping reads its rings' sides wrongly.  Its rings, cut to the box and
        noded with the box's edge, bound faces; a face is inside where an odd
        number of rings encloses it, as `shapely.make_valid` decides.
        """
        if self.valid:
            return shapely.clip_by_rect(self.geom, xmin, ymin, xmax, ymax)
        if self.rings is None:
            parts = shapely.get_parts(self.geom)
            rings = shapely.get_rings(parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON])
            rings = rings[shapely.get_num_coordinates(rings) >= 4]
            shells: np.ndarray = np.asarray(shapely.polygons(rings), dtype=object)
            self.rings = (cast("shapely.Geometry", shapely.multilinestrings(rings)), shells, shapely.STRtree(shells))
        lines, shells, tree = self.rings
        cut = shapely.clip_by_rect(lines, xmin, ymin, xmax, ymax)
        edge = shapely.boundary(shapely.box(xmin, ymin, xmax, ymax))
        faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all([cut, edge]))))
        if len(faces) == 0:
            return shapely.Polygon()
        inner = shapely.point_on_surface(faces)
        face_idx, ring_idx = tree.query(inner)
        around = shapely.contains_xy(shells[ring_idx], shapely.get_x(inner[face_idx]), shapely.get_y(inner[face_idx]))
        odd = np.bincount(face_idx[around], minlength=len(faces)) % 2 == 1
        return shapely.union_all(faces[odd])


def _changes(old: _Shape, new: _Shape) -> tuple[np.ndarray, np.ndarray]:
    gained: list[shapely.Geometry] = []
    lost: list[shapely.Geometry] = []
    for box in _change_boxes(old.edges, new.edges, margin=_CHANGE_MARGIN_M):
        before, after = old.in_box(*box), new.in_box(*box)
        gained.append(shapely.difference(after, before))
        lost.append(shapely.difference(before, after))
    return _polygons(gained), _polygons(lost)


def polygon_changes(old: shapely.Geometry, new: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Return the pieces of ``difference(make_valid(new), make_valid(old))`` and of the reverse, as polygons.

    Both are polygonal geometries in a metric CRS, valid or nearly (a
    reprojection can leave rings crossing by a hair).  Only the boxes where
    the two differ (`_change_boxes`) are overlaid, so that two versions of a
    large area that differ in a few places cost little more than their
    differences; neither is repaired whole (`_Shape.in_box`).

    Returns
    -------
    tuple
        Arrays of polygons (disjoint within each array): gained, lost.
    """
    return _changes(_Shape.of(old), _Shape.of(new))


def occupied_km2_over_time(
    regions: gpd.GeoDataFrame,
    series: Mapping[str, gpd.GeoDataFrame],
    *,
    contested: Mapping[str, shapely.Geometry] | None = None,
) -> pd.DataFrame:
    """Measure each region's occupied area at every date of a series.

    The first date is measured in full; each later one as the previous value
    plus the area gained and minus the area lost since (`polygon_changes`,
    which overlays only where the two dates differ), so a long (daily) series
    costs little more per date than its changes.

    Parameters
    ----------
    series
        Date → occupied parts (rows ``occupied_before_2022`` and ``occupied_since_2022``), in date order.
    contested
        Date → the grey zone (lon/lat); a date missing here has none.

    Returns
    -------
    pandas.DataFrame
        Columns ``date``, ``region_id`` and those of `occupied_km2`, plus ``area_km2``, ``occupied_share``
        and ``contested_km2``.
    """
    geoms = _to_area(np.asarray(regions.geometry.array, dtype=object))
    area = shapely.area(geoms) / _M2_PER_KM2
    keys = (schema.OCCUPIED_BEFORE_2022, schema.OCCUPIED_SINCE_2022, schema.CONTESTED)
    grey = contested or {}
    empty = shapely.Polygon()
    previous: dict[str, tuple[shapely.Geometry | None, _Shape]] = {}  # the last date's: lon/lat, projected
    values: dict[str, np.ndarray] = {}
    columns: dict[str, list[np.ndarray]] = {key: [] for key in keys}
    for date, date_parts in series.items():
        parts = date_parts.geometry
        now = {keys[0]: parts[keys[0]], keys[1]: parts[keys[1]], keys[2]: grey.get(date)}
        for key in keys:
            current = now[key] if now[key] is not None else empty
            if key in previous and shapely.equals_exact(current, previous[key][0], tolerance=0.0):
                pass  # the same rings, vertex for vertex: no change
            else:
                shape = _Shape.of(_to_area(np.array([current], dtype=object))[0])
                if key not in previous:
                    values[key] = _overlap_km2(geoms, shapely.make_valid(shape.geom))
                else:
                    gained, lost = _changes(previous[key][1], shape)
                    if len(gained):
                        values[key] = values[key] + _pieces_km2(geoms, gained)
                    if len(lost):
                        values[key] = values[key] - _pieces_km2(geoms, lost)
                previous[key] = (current, shape)
            columns[key].append(np.clip(values[key], 0.0, None))
    dates = len(series)
    before, since, grey_km2 = (np.concatenate(columns[key]) if dates else np.zeros(0) for key in keys)
    total = np.tile(area, dates)
    occupied = before + since
    with np.errstate(divide="ignore", invalid="ignore"):  # as `occupied_share`: 0.0 where the area is 0
        share = np.clip(np.nan_to_num(np.where(total > 0, occupied / total, 0.0), nan=0.0), 0.0, 1.0)
    return pd.DataFrame(
        {
            "date": np.repeat(np.array(list(series), dtype=object), len(regions)),
            schema.REGION_ID: np.tile(np.asarray(regions.index, dtype=object), dates),
            "area_km2": total,
            "occupied_km2": occupied,
            "occupied_before_2022_km2": before,
            "occupied_since_2022_km2": since,
            "occupied_share": share,
            "contested_km2": grey_km2,
        }
    )


# --- reserves and value ------------------------------------------------------------------

_YEAR = re.compile(r"(19|20)\d\d")
#: What each kind of value column is called (`deposit_value_usd`).
_PRICE_KINDS = ("low", "central", "high")


def _first_ten(names: Sequence[object]) -> str:
    """Return the first ten names, comma-separated, with a count of the rest."""
    shown = ", ".join(str(name) for name in names[:10])
    return f"{shown} (+{len(names) - 10} more)" if len(names) > 10 else shown


def _year(as_of: str) -> int:
    years = [int(m.group(0)) for m in _YEAR.finditer(as_of)]
    return max(years) if years else 0


def _candidates(reserves: pd.DataFrame, deposits: pd.DataFrame) -> pd.DataFrame:
    """Return the figures that can stand for a deposit: in its measure, not partial, components of one source summed.

    Raises
    ------
    geo.errors.ValidationError
        Naming the rows (``row N`` as `geo.validate.check_reserves` counts them) whose quantity × unit, or
        whose parts' sum, is not a finite number of tonnes.
    """
    rows = reserves.assign(
        order=np.arange(len(reserves)),
        line=reserves.index + 2,
        source_url=reserves["source_url"].str.strip(),
        quantity_value=pd.to_numeric(reserves["quantity"].str.strip(), errors="coerce"),
    )
    rows = rows[rows["quantity_value"].notna() & rows["deposit_id"].isin(deposits.index)]
    commodity = deposits["primary_commodity"].reindex(rows["deposit_id"]).to_numpy()
    rows = rows.assign(commodity=commodity, wanted=[schema.RESERVE_MEASURE.get(str(c), "") for c in commodity])
    rows = rows[(rows["measure"] == rows["wanted"]) & (rows["category_class"] != "partial")]
    rows = rows.assign(tonnes=rows["quantity_value"] * rows["unit"].map(schema.RESERVE_UNITS))
    endless = rows[np.isinf(rows["tonnes"])]
    if len(endless):
        named = [
            f"row {line} ({did}: {quantity.strip()} {unit})"
            for line, did, quantity, unit in zip(
                endless["line"], endless["deposit_id"], endless["quantity"], endless["unit"], strict=True
            )
        ]
        msg = (
            f"{schema.RESERVES_FILE}: quantity × unit is not a finite number of tonnes: {_first_ten(named)}; "
            "check the quantity and its unit"
        )
        raise ValidationError(msg)
    parts = rows[rows["category_class"] == "component"]
    if parts.empty:
        return rows
    keys = ["deposit_id", "source_url", "measure"]
    first = {c: "first" for c in parts.columns if c not in (*keys, "tonnes", "quantity_value", "line")}
    with np.errstate(over="ignore"):  # an overflow is caught just below, by name
        whole = parts.groupby(keys, sort=False).agg({**first, "tonnes": "sum", "line": list})
    whole = whole.reset_index()
    endless = whole[np.isinf(whole["tonnes"])]
    if len(endless):
        named = [
            f"rows {', '.join(map(str, lines))} ({did})"
            for lines, did in zip(endless["line"], endless["deposit_id"], strict=True)
        ]
        msg = (
            f"{schema.RESERVES_FILE}: the sum of the parts of a deposit is not a finite number of tonnes: "
            f"{_first_ten(named)}; check the quantities and their units"
        )
        raise ValidationError(msg)
    whole = whole.drop(columns=["line"])
    whole = whole.assign(
        quantity_value=whole["tonnes"] / whole["unit"].map(schema.RESERVE_UNITS),
        category=whole["category"] + " (sum of its parts)",
    )
    return pd.concat([rows[rows["category_class"] != "component"], whole], ignore_index=True)


def preferred_reserves(reserves: pd.DataFrame, deposits: pd.DataFrame) -> pd.DataFrame:
    """Pick each deposit's reserve figure: the one its primary commodity is compared in, ranked by a stated rule.

    Candidates are the figures in the deposit's measure (`geo.schema.RESERVE_MEASURE`
    of its ``primary_commodity``), ``partial`` ones left out and the ``component``
    figures of one source (the parts of one deposit, e.g. its two ore bodies) summed.
    They are ranked by:
    1. the source that gives figures for the most deposits of the commodity (one
       basis for all, so that like is compared with like);
    2. confidence (high, medium, low);
    3. class (reserve, resource, prospective, not stated);
    4. the newest year in ``as_of``.
    Two different figures that tie on all four are refused: the data must say which counts.

    Parameters
    ----------
    reserves
        From `geo.sources.read_reserves` (text).
    deposits
        Indexed by deposit id; column ``primary_commodity``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the ids of deposits that have a figure: ``reserve_quantity``, ``reserve_unit``,
        ``reserve_measure``, ``reserve_category``, ``reserve_class``, ``reserve_as_of``, ``reserve_confidence``,
        ``reserve_source_url``, ``reserve_t`` (tonnes of the measure).

    Raises
    ------
    geo.errors.ValidationError
        Naming the deposits whose best figures tie, or the rows whose tonnes (quantity × unit, or the sum
        of a deposit's parts) are not a finite number.
    """
    rows = _candidates(reserves, deposits)
    coverage = rows.groupby(["commodity", "source_url"])["deposit_id"].transform("nunique")
    keys = ["coverage", "confidence_rank", "class_rank", "newest"]
    ranked = rows.assign(
        coverage=-coverage,
        confidence_rank=rows["confidence"].map({c: i for i, c in enumerate(schema.CONFIDENCES)}),
        class_rank=rows["category_class"].map({c: i for i, c in enumerate(schema.RESERVE_CLASSES)}),
        newest=-rows["as_of"].map(_year),
    ).sort_values(["deposit_id", *keys, "order"])
    top = ranked.groupby("deposit_id").head(2)
    ties = [
        str(did)
        for did, pair in top.groupby("deposit_id")
        if len(pair) == 2
        and (pair[keys].iloc[0] == pair[keys].iloc[1]).all()
        and pair["tonnes"].iloc[0] != pair["tonnes"].iloc[1]
    ]
    if ties:
        msg = (
            f"{schema.RESERVES_FILE}: {len(ties)} deposits have two different figures that tie on every rule: "
            f"{', '.join(ties[:10])}; mark one partial, or both component if they are parts to add up"
        )
        raise ValidationError(msg)
    best = ranked.drop_duplicates("deposit_id").set_index("deposit_id")
    out = pd.DataFrame(
        {
            "reserve_quantity": best["quantity_value"],
            "reserve_unit": best["unit"],
            "reserve_measure": best["measure"],
            "reserve_category": best["category"],
            "reserve_class": best["category_class"],
            "reserve_as_of": best["as_of"],
            "reserve_confidence": best["confidence"],
            "reserve_source_url": best["source_url"],
            "reserve_t": best["tonnes"],
        }
    )
    out.index.name = "id"
    return out


def _one_measure(figures: pd.DataFrame) -> None:
    measures = sorted(set(figures["reserve_measure"].dropna()))
    if len(measures) > 1:
        msg = f"reserve figures in different measures ({', '.join(measures)}) cannot be summed; compare one measure"
        raise ValidationError(msg)


def _held(statuses: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return (occupied, occupied or held) as 0/1 matrices, deposits × dates."""
    occupied = statuses.isin(schema.OCCUPIED_STATUSES).to_numpy(dtype=float)
    return occupied, np.maximum(occupied, (statuses == schema.HELD).to_numpy(dtype=float))


def _shares(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    shares: np.ndarray = np.divide(part, whole, out=np.zeros_like(part, dtype=float), where=whole > 0)
    return shares


def reserve_tonnes(figures: pd.DataFrame, statuses: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return the occupied and the known (occupied + held) tonnes at every date (columns of `statuses`).

    Raises
    ------
    geo.errors.ValidationError
        If the figures are in more than one measure: tonnes of ore and tonnes of LCE are not summed; or if a
        figure, or a sum of them, is not a finite number of tonnes (naming the deposits): never a 0 % share.
    """
    _one_measure(figures)
    tonnes = figures["reserve_t"].to_numpy(dtype=float)
    endless = ~np.isfinite(tonnes)
    if endless.any():
        msg = f"a reserve figure is not a finite number of tonnes: {_first_ten(list(figures.index[endless]))}"
        raise ValidationError(msg)
    occupied, known = _held(statuses.reindex(figures.index))
    with np.errstate(over="ignore"):  # an overflow is caught just below, by name
        occupied_t, known_t = tonnes @ occupied, tonnes @ known
    if not (np.isfinite(occupied_t).all() and np.isfinite(known_t).all()):
        largest = list(figures.index[np.argsort(-tonnes, kind="stable")])
        msg = f"the sum of the reserve figures is not a finite number of tonnes: {_first_ten(largest)}"
        raise ValidationError(msg)
    return occupied_t, known_t


def deposit_value_usd(figures: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Value each deposit's reserve figure at the low, central and high price of its primary commodity.

    A gross in-situ value (tonnes × the price of the nearest traded product): no
    costs, no recovery, no grade but what the price assumes (`prices` says how).

    Parameters
    ----------
    figures
        From `preferred_reserves` joined with ``primary_commodity``.
    prices
        From `geo.sources.read_prices`.

    Returns
    -------
    pandas.DataFrame
        Indexed like `figures`; ``value_low_usd``, ``value_central_usd``, ``value_high_usd`` (NaN where the
        commodity has no price in the figure's measure).

    Raises
    ------
    geo.errors.ValidationError
        Naming the deposits whose tonnes × price is not a finite number of USD (a finite but huge price
        overflows): never a value that a share would read as 0 % or NaN.
    """
    table = prices.assign(usd=pd.to_numeric(prices["usd_per_t"], errors="coerce"))
    grouped = table.groupby(["commodity", "measure"])["usd"]
    central = table[table["central"].str.strip() == "yes"].set_index(["commodity", "measure"])["usd"]
    key = pd.MultiIndex.from_arrays([figures["primary_commodity"], figures["reserve_measure"]])
    per_t = pd.DataFrame(
        {
            "value_low_usd": grouped.min().reindex(key).to_numpy(),
            "value_central_usd": central.reindex(key).to_numpy(),
            "value_high_usd": grouped.max().reindex(key).to_numpy(),
        },
        index=figures.index,
    )
    tonnes = figures["reserve_t"].astype(float)
    values = per_t.mul(tonnes, axis=0)
    endless = (per_t.notna() & ~np.isfinite(values)).any(axis=1) & tonnes.notna()
    if endless.any():
        named = [
            f"{did} ({tonnes[did]:.6g} t × {per_t.loc[did].max():.6g} USD/t)"
            for did in figures.index[endless.to_numpy()]
        ]
        msg = (
            f"the value of a reserve figure (tonnes × price) is not a finite number of USD: {_first_ten(named)}; "
            f"check the price in {schema.PRICES_FILE} and the figure in {schema.RESERVES_FILE}"
        )
        raise ValidationError(msg)
    return values


def value_shares(
    values: pd.DataFrame, commodity: pd.Series, statuses: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the occupied share of the value at every date: (lowest, central, highest) arrays over the dates.

    The central share uses every commodity's central price.  Each commodity's
    price may lie anywhere between its low and high price, independently of the
    others; the share is a ratio of sums, so its extremes lie at mixes of low and
    high prices: the range is the least and the greatest share over every mix (a
    commodity's own share does not depend on its price; the mix does).

    Parameters
    ----------
    values
        From `deposit_value_usd`; rows with a missing value are left out.
    commodity, statuses
        Each deposit's primary commodity, and its control status at each date (columns), indexed like `values`.

    Raises
    ------
    geo.errors.ValidationError
        Naming the deposits if a value, or a sum of values, is not a finite number of USD: an overflow
        never becomes a 0 % or NaN share.
    """
    valued = values.dropna()
    dates = statuses.shape[1]
    if valued.empty:
        zeros = np.zeros(dates)
        return zeros, zeros, zeros
    endless = ~np.isfinite(valued.to_numpy(dtype=float)).all(axis=1)
    if endless.any():
        msg = f"a value is not a finite number of USD: {_first_ten(list(valued.index[endless]))}"
        raise ValidationError(msg)
    occupied, known = _held(statuses.reindex(valued.index))
    codes, uniques = pd.factorize(commodity.reindex(valued.index))
    onehot = np.zeros((len(uniques), len(valued)))
    onehot[codes, np.arange(len(valued))] = 1.0
    sums = {}
    mixes = np.array(list(itertools.product((0.0, 1.0), repeat=len(uniques))))  # 1 = high price
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is caught just below, by name
        for kind in _PRICE_KINDS:
            weighted = valued[f"value_{kind}_usd"].to_numpy(dtype=float)[:, None]
            sums[kind] = (onehot @ (weighted * occupied), onehot @ (weighted * known))  # commodities × dates
        central_part, central_whole = sums["central"][0].sum(axis=0), sums["central"][1].sum(axis=0)
        part = mixes @ sums["high"][0] + (1 - mixes) @ sums["low"][0]
        whole = mixes @ sums["high"][1] + (1 - mixes) @ sums["low"][1]
    if not all(np.isfinite(total).all() for total in (central_part, central_whole, part, whole)):
        largest = list(valued.sort_values("value_high_usd", ascending=False, kind="stable").index)
        msg = f"the sum of the values is not a finite number of USD: {_first_ten(largest)}"
        raise ValidationError(msg)
    mixed = _shares(part, whole)
    return mixed.min(axis=0), _shares(central_part, central_whole), mixed.max(axis=0)


def _ratio(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole > 0 else 0.0


def _value_columns(deposits: pd.DataFrame) -> pd.DataFrame:
    return deposits[[f"value_{kind}_usd" for kind in _PRICE_KINDS]]


def reserves_by_region(figured: pd.DataFrame, membership: pd.DataFrame, control: pd.DataFrame) -> pd.DataFrame:
    """Sum reserve figures and values for every (region, commodity) row of `control`, next to the counts.

    A deposit's figure counts under its primary commodity only (the commodity
    it was measured for); the `geo.schema.METALS_AGGREGATE` rows get values, not
    tonnes (tonnes of different measures are not summed).  Shares are NaN where
    no record has a figure (no data is not 0 %).

    Parameters
    ----------
    figured
        Indexed by deposit id: ``primary_commodity``, ``control_status``, ``commodity_list``, ``site_kind`` and,
        where the deposit has a figure, ``reserve_t``, ``reserve_measure`` and the `deposit_value_usd` columns.
    control
        From `control_table`.

    Returns
    -------
    pandas.DataFrame
        Indexed like `control`: ``reserve_measure``, ``reserve_records`` (records with a figure),
        ``reserve_coverage`` (their share of the records whose primary commodity it is), ``reserve_occupied_t``,
        ``reserve_known_t``, ``reserve_occupied_share``, ``value_records``, ``value_occupied_share_low``,
        ``value_occupied_share`` (central prices), ``value_occupied_share_high``.
    """
    rows = _commodity_rows(figured, membership, metals=schema.METALS, resource_kinds=schema.RESOURCE_SITE_KINDS)
    rows = rows.join(figured.drop(columns=["commodity_list"]), on="id")
    by_id = rows.set_index("id")
    primary = rows["primary_commodity"].to_numpy(dtype=object)
    has_figure = rows["reserve_t"].notna().to_numpy(dtype=bool)
    records: dict[Any, dict[str, Any]] = {}
    # positions, not sub-frames: most (region, commodity) rows have no figure, and a frame per row costs milliseconds
    for key, at in rows.groupby([schema.REGION_ID, "commodity"], sort=False).indices.items():
        rid, commodity = cast("tuple[Any, Any]", key)
        positions = np.asarray(at)
        aggregate = commodity == schema.METALS_AGGREGATE
        own = positions if aggregate else positions[primary[positions] == commodity]
        figured_at = own[has_figure[own]]
        record: dict[str, Any] = {
            "reserve_measure": "" if aggregate else schema.RESERVE_MEASURE.get(str(commodity), ""),
            "reserve_records": len(figured_at),
            "reserve_coverage": _ratio(len(figured_at), len(own)),
            "reserve_occupied_t": np.nan,
            "reserve_known_t": np.nan,
            "reserve_occupied_share": np.nan,
            "value_records": 0,
            "value_occupied_share_low": np.nan,
            "value_occupied_share": np.nan,
            "value_occupied_share_high": np.nan,
        }
        if len(figured_at):
            with_figure = pd.DataFrame(by_id.iloc[figured_at])
            status = pd.DataFrame(with_figure[["control_status"]])
            values = _value_columns(with_figure)
            valued = int(values.notna().all(axis=1).sum())
            low, central, high = value_shares(values, with_figure["primary_commodity"], status)
            record.update(
                value_records=valued,
                value_occupied_share_low=float(low[0]) if valued else np.nan,
                value_occupied_share=float(central[0]) if valued else np.nan,
                value_occupied_share_high=float(high[0]) if valued else np.nan,
            )
            if not aggregate:
                occupied, known = reserve_tonnes(with_figure, status)
                record.update(
                    reserve_occupied_t=float(occupied[0]),
                    reserve_known_t=float(known[0]),
                    reserve_occupied_share=float(_shares(occupied, known)[0]),
                )
        records[(rid, commodity)] = record
    table = pd.DataFrame.from_dict(records, orient="index")
    table.index = pd.MultiIndex.from_tuples(table.index, names=[schema.REGION_ID, "commodity"])
    return pd.DataFrame(index=control.index).join(table)


def bases_over_time(deposits: pd.DataFrame, statuses: pd.DataFrame) -> pd.DataFrame:
    """Return Ukraine's occupied share on every basis at every date of `statuses` (control per deposit × date).

    Parameters
    ----------
    deposits
        Indexed by id: ``primary_commodity``, ``commodity_list``, ``site_kind``, ``reserve_t``,
        ``reserve_measure``, ``reserve_confidence`` and the `deposit_value_usd` columns.

    Returns
    -------
    pandas.DataFrame
        One row per date and basis: ``date``, ``basis`` (``reserves`` with a ``commodity`` and ``measure``;
        ``value_metals``; ``value_metals_confident``, the low-confidence figures left out; ``value_all``),
        ``occupied_share`` (central prices for values; empty where no record has a figure), ``share_low``,
        ``share_high`` (values only), ``records_with_figure``, ``records``, ``low_confidence`` (records whose
        figure is of low confidence), and for reserves ``occupied_t`` and ``known_t``.
    """
    dates = list(statuses.columns)
    statuses = statuses.reindex(deposits.index)
    pieces: list[pd.DataFrame] = []
    for commodity, measure in schema.RESERVE_MEASURE.items():
        own = deposits[deposits["primary_commodity"] == commodity]
        if own.empty:
            continue
        figures = own[own["reserve_t"].notna()]
        occupied, known = reserve_tonnes(figures, statuses)
        pieces.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "basis": "reserves",
                    "commodity": commodity,
                    "measure": measure,
                    "occupied_share": _shares(occupied, known) if len(figures) else np.nan,
                    "share_low": np.nan,
                    "share_high": np.nan,
                    "records_with_figure": len(figures),
                    "records": len(own),
                    "low_confidence": int((figures["reserve_confidence"] == "low").sum()),
                    "occupied_t": occupied,
                    "known_t": known,
                }
            )
        )
    metal = deposits["commodity_list"].map(lambda items: bool(set(schema.METALS).intersection(items)))
    metal &= deposits["site_kind"].isin(schema.RESOURCE_SITE_KINDS)
    confident = deposits["reserve_confidence"].isin(["high", "medium"])
    for name, chosen, mask in (
        ("value_metals", metal, None),
        ("value_metals_confident", metal, confident),
        ("value_all", pd.Series(True, index=deposits.index), None),
    ):
        picked = deposits[chosen]
        values = _value_columns(picked)
        if mask is not None:
            values = values.where(mask.reindex(picked.index), np.nan)
        valued = values.notna().all(axis=1)
        low, central, high = value_shares(values, picked["primary_commodity"], statuses.reindex(picked.index))
        pieces.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "basis": name,
                    "commodity": "",
                    "measure": "USD",
                    "occupied_share": central if valued.any() else np.nan,
                    "share_low": low if valued.any() else np.nan,
                    "share_high": high if valued.any() else np.nan,
                    "records_with_figure": int(valued.sum()),
                    "records": len(picked),
                    "low_confidence": int((picked.loc[valued, "reserve_confidence"] == "low").sum()),
                    "occupied_t": np.nan,
                    "known_t": np.nan,
                }
            )
        )
    table = pd.concat(pieces, keys=range(len(pieces)), names=["piece", "row"]).reset_index(level="piece")
    table["position"] = table["date"].map({date: i for i, date in enumerate(dates)})
    table = table.sort_values(["position", "piece"], kind="stable")
    return table.drop(columns=["piece", "position"]).reset_index(drop=True)


def share_bases(deposits: pd.DataFrame, status: pd.Series) -> dict[str, Any]:
    """Return Ukraine's occupied shares on every basis for one set of control statuses (`bases_over_time` at one date).

    Returns
    -------
    dict
        ``reserves``: per primary commodity with a measure, its ``measure``, ``records``,
        ``records_with_figure``, ``coverage``, ``low_confidence``, ``occupied_t``, ``known_t``,
        ``occupied_share`` (None where no record has a figure); ``value_metals``,
        ``value_metals_confident`` and ``value_all``: ``low``, ``central``, ``high`` (None where nothing is
        valued), ``records_valued`` of ``records``, ``low_confidence``; ``unpriced``: the primary commodities
        with a figure but no price (left out of the values).
    """
    table = bases_over_time(deposits, status.rename("now").to_frame())

    def share(value: float) -> float | None:
        return None if pd.isna(value) else float(value)

    reserves = [
        {
            "commodity": row["commodity"],
            "measure": row["measure"],
            "records": int(row["records"]),
            "records_with_figure": int(row["records_with_figure"]),
            "coverage": _ratio(row["records_with_figure"], row["records"]),
            "low_confidence": int(row["low_confidence"]),
            "occupied_t": float(row["occupied_t"]),
            "known_t": float(row["known_t"]),
            "occupied_share": share(row["occupied_share"]),
        }
        for _, row in table[table["basis"] == "reserves"].iterrows()
    ]
    unpriced = deposits["reserve_t"].notna() & deposits["value_central_usd"].isna()
    bases: dict[str, Any] = {"reserves": reserves, "unpriced": sorted(set(deposits.loc[unpriced, "primary_commodity"]))}
    for _, row in table[table["basis"] != "reserves"].iterrows():
        bases[str(row["basis"])] = {
            "low": share(row["share_low"]),
            "central": share(row["occupied_share"]),
            "high": share(row["share_high"]),
            "records_valued": int(row["records_with_figure"]),
            "records": int(row["records"]),
            "low_confidence": int(row["low_confidence"]),
        }
    return bases


def scenario_areas(
    regions: gpd.GeoDataFrame,
    *,
    russian: shapely.Geometry,
    demilitarised: shapely.Geometry,
    occupied: shapely.Geometry,
) -> pd.DataFrame:
    """Measure each region's ground by class under a scenario, and what changes against the snapshot.

    The Russian-controlled area is today's occupied area (``occupied_km2``, as `region_table` measures it) plus
    the ground ceded less the ground returned, so the frozen scenario (`russian` is `occupied`) gives today's
    figures exactly.

    Parameters
    ----------
    regions
        From `region_table` with its geometry: ``area_km2``, ``occupied_km2``.
    russian, demilitarised
        The scenario's classes (`geo.scenarios.Line`), lon/lat.
    occupied
        The snapshot's occupied ground, lon/lat.

    Returns
    -------
    pandas.DataFrame
        Indexed like `regions`: ``russian_controlled_km2``, ``demilitarised_km2``, ``ukrainian_km2`` (the rest),
        ``russian_controlled_share``, ``russian_or_demilitarised_share`` (the two classes together, for a plan that
        recognises its demilitarised zone as Russian), ``ceded_km2``, ``returned_km2`` (km²; shares in [0, 1]).
    """
    if russian is occupied:
        ceded = returned = pd.Series(0.0, index=regions.index)
    else:
        ceded = overlap_km2(regions, shapely.difference(russian, occupied))
        returned = overlap_km2(regions, shapely.difference(occupied, russian))
    dmz = overlap_km2(regions, demilitarised)
    area = regions["area_km2"].astype(float)
    russian_km2 = (regions["occupied_km2"].astype(float) + ceded - returned).clip(lower=0.0)
    russian_km2 = russian_km2.where(russian_km2 < area, area)
    return pd.DataFrame(
        {
            "russian_controlled_km2": russian_km2,
            "demilitarised_km2": dmz,
            "ukrainian_km2": (area - russian_km2 - dmz).clip(lower=0.0),
            "russian_controlled_share": occupied_share(russian_km2, area).to_numpy(),
            "russian_or_demilitarised_share": occupied_share((russian_km2 + dmz).clip(upper=area), area).to_numpy(),
            "ceded_km2": ceded,
            "returned_km2": returned,
        },
        index=regions.index,
    )


def scenario_counts(deposits: pd.DataFrame, control: pd.Series) -> pd.DataFrame:
    """Count the records of each commodity (any of a record's, as `control_table` counts them) by control.

    Parameters
    ----------
    deposits
        Indexed by id: ``commodity_list``.
    control
        One of `geo.schema.SCENARIO_CONTROLS` per deposit.

    Returns
    -------
    pandas.DataFrame
        Indexed by commodity (`geo.schema.COMMODITIES` order, those with records): ``records`` and one count per
        control; ``russian_controlled_share`` of the records of known control (0.0 where none is known).
    """
    rows = pd.DataFrame({"commodity": deposits["commodity_list"], "control": control}).explode("commodity")
    counts = pd.crosstab(rows["commodity"], rows["control"]).reindex(
        columns=list(schema.SCENARIO_CONTROLS), fill_value=0
    )
    order = [c for c in schema.COMMODITIES if c in counts.index]
    counts = counts.reindex(order).astype(int)
    counts.insert(0, "records", counts.sum(axis=1))
    known = counts["records"] - counts[schema.UNKNOWN]
    counts["russian_controlled_share"] = occupied_share(counts[schema.RUSSIAN_CONTROLLED], known).to_numpy()
    counts.index.name = "commodity"
    return counts


def sources_overlap_km2(
    regions: gpd.GeoSeries, a: shapely.Geometry, b: shapely.Geometry, *, footprint: shapely.Geometry
) -> pd.DataFrame:
    """Measure where two sources' occupied areas agree and where only one of them shows ground occupied.

    All three geometries and `regions` are in `geo.schema.AREA_CRS`; both areas are first cut to `footprint`
    (Ukraine less whatever either source leaves out).

    Returns
    -------
    pandas.DataFrame
        Indexed like `regions`: ``a_only_km2``, ``b_only_km2``, ``both_km2`` (km²) and ``agreement`` (both ÷
        their union; 1.0 where neither shows anything occupied: they agree).
    """
    inside_a = shapely.intersection(_valid(a), footprint)
    inside_b = shapely.intersection(_valid(b), footprint)
    return sources_overlap_from_pieces_km2(
        regions,
        a_km2=change_overlap_km2(regions, inside_a),
        a_only=shapely.difference(inside_a, inside_b),
        b_only=shapely.difference(inside_b, inside_a),
    )


def sources_overlap_from_pieces_km2(
    regions: gpd.GeoSeries, *, a_km2: pd.Series, a_only: shapely.Geometry, b_only: shapely.Geometry
) -> pd.DataFrame:
    """`sources_overlap_km2` from what it is made of: A's km² per region, and the pieces only A or only B shows.

    What both show is A's km² less what only A shows: only the (small) pieces are intersected with the regions.

    Returns
    -------
    pandas.DataFrame
        As `sources_overlap_km2`.
    """
    frame = pd.DataFrame(
        {"a_only_km2": change_overlap_km2(regions, a_only), "b_only_km2": change_overlap_km2(regions, b_only)}
    )
    frame["both_km2"] = (a_km2.reindex(regions.index) - frame["a_only_km2"]).clip(lower=0.0)
    union = frame.sum(axis=1)
    frame["agreement"] = (frame["both_km2"] / union.where(union > 0)).fillna(1.0).clip(0.0, 1.0)
    return frame


def _valid(geom: shapely.Geometry) -> shapely.Geometry:
    return geom if shapely.is_valid(geom) else shapely.make_valid(geom)
