"""Join deposits, regions and occupation: who holds each place.

Overlay work happens in `geo.schema.STORAGE_CRS`; distances in
`geo.schema.DISTANCE_CRS`.  Nothing here computes an area.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema


def occupied_parts(snapshot: gpd.GeoDataFrame, pre2022: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Split the occupied area into the parts occupied before and since 24 Feb 2022.

    The occupied area is the union of the snapshot and the pre-2022 layer (the
    DeepState daily files leave out Tuzla Island, which the pre-2022 layer has).

    Returns
    -------
    geopandas.GeoDataFrame
        Two rows indexed by ``part``: `geo.schema.OCCUPIED_BEFORE_2022` (inside the
        pre-2022 layer) and `geo.schema.OCCUPIED_SINCE_2022` (the rest); storage CRS.
        Either geometry may be empty.
    """
    before_zone = shapely.union_all(shapely.make_valid(pre2022.geometry.to_numpy()))
    occupied = shapely.union(shapely.union_all(shapely.make_valid(snapshot.geometry.to_numpy())), before_zone)
    before = shapely.intersection(occupied, before_zone)
    since = shapely.difference(occupied, before_zone)
    index = pd.Index([schema.OCCUPIED_BEFORE_2022, schema.OCCUPIED_SINCE_2022], name="part")
    return gpd.GeoDataFrame(geometry=[before, since], index=index, crs=schema.STORAGE_CRS)


def split_at_2022(occupied: shapely.Geometry, zone: shapely.Geometry) -> tuple[shapely.Geometry, shapely.Geometry]:
    """Split an occupied area into its parts before and since 24 Feb 2022, as `occupied_parts` does, for a history.

    `occupied_parts` with the two inputs unioned already: `occupied` a valid
    union (a refreshed snapshot's one MultiPolygon), `zone` the pre-2022
    layer's union as `occupied_parts` makes it, computed once for every date.
    The same overlays give the same parts: the same rings, vertex for vertex
    (a ring may start at another of its vertices).

    Returns
    -------
    tuple
        The part occupied before 2022, the part occupied since.
    """
    whole = shapely.union(occupied, zone)
    return shapely.intersection(whole, zone), shapely.difference(whole, zone)


#: How far the border is simplified before the inward buffer of `land_interior` (metres).
BORDER_SIMPLIFY_M = 50.0


def land_interior(country: gpd.GeoDataFrame) -> shapely.Geometry:
    """Ukraine less a `geo.schema.BORDER_TOLERANCE_M` strip along its border and coast, in `geo.schema.DISTANCE_CRS`.

    Compute it once and pass it to `front_line` for every snapshot.
    """
    land = shapely.union_all(shapely.make_valid(country.to_crs(schema.DISTANCE_CRS).geometry.to_numpy()))
    # the border's 40,000 vertices, simplified by 5 % of the tolerance first: the same interior within 50 m,
    # in a tenth of a second instead of more than a second and 270 MB
    interior = shapely.buffer(shapely.simplify(land, BORDER_SIMPLIFY_M), -schema.BORDER_TOLERANCE_M)
    shapely.prepare(interior)
    return interior


def front_line(parts: gpd.GeoDataFrame, interior: shapely.Geometry) -> gpd.GeoSeries:
    """Trace the line of contact: the occupied area's edge inside Ukraine.

    Edges within `geo.schema.BORDER_TOLERANCE_M` of Ukraine's border or coast
    trace the state border, not a front, and are left out.

    Parameters
    ----------
    interior
        From `land_interior`.

    Returns
    -------
    geopandas.GeoSeries
        One (multi)line indexed ``front``, storage CRS; empty if nothing is occupied.
    """
    # reprojection can leave self-touching rings that GEOS rejects: make the pieces valid first
    occupied = shapely.union_all(shapely.make_valid(parts.to_crs(schema.DISTANCE_CRS).geometry.to_numpy()))
    line: shapely.Geometry
    if shapely.is_empty(occupied):
        line = shapely.MultiLineString()
    else:
        line = shapely.line_merge(shapely.intersection(shapely.boundary(occupied), interior))
    return gpd.GeoSeries([line], index=pd.Index(["front"]), crs=schema.DISTANCE_CRS).to_crs(schema.STORAGE_CRS)


def containing_regions(deposits: gpd.GeoDataFrame, regions: gpd.GeoDataFrame) -> pd.DataFrame:
    """List every region each deposit lies in.

    A located deposit lies in every region whose polygon contains or touches its
    point; a deposit without coordinates lies only in the oblast named in its
    record (column ``oblast_id``).  Every deposit also lies in the country.

    A hromada counts only if the deposit lies in its raion too (when `regions`
    has a ``parent_id`` column and the deposit lies in some raion): outside the
    focus oblasts the hromadas come from a coarser file than the raions, whose
    borders can be a few hundred metres off, and a deposit must not be counted
    in a hromada of one raion while it lies in another.

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` and ``region_id``, one row per (deposit, region), sorted.
    """
    located = deposits[deposits["location_known"]]
    tree = shapely.STRtree(regions.geometry.to_numpy())
    point_idx, region_idx = tree.query(located.geometry.to_numpy(), predicate="intersects")
    pairs = [
        pd.DataFrame({"id": located.index[point_idx], schema.REGION_ID: regions.index[region_idx]}),
        pd.DataFrame(
            {
                "id": deposits.index[~deposits["location_known"]],
                schema.REGION_ID: deposits.loc[~deposits["location_known"], "oblast_id"],
            }
        ),
        pd.DataFrame({"id": deposits.index, schema.REGION_ID: schema.COUNTRY_ID}),
    ]
    membership = pd.concat(pairs, ignore_index=True).drop_duplicates()
    if "parent_id" in regions.columns and "level" in regions.columns:
        membership = _hromadas_inside_their_raion(membership, regions)
    return membership.sort_values(["id", schema.REGION_ID]).reset_index(drop=True)


def _hromadas_inside_their_raion(membership: pd.DataFrame, regions: gpd.GeoDataFrame) -> pd.DataFrame:
    """Drop each (deposit, hromada) pair whose hromada's raion is not one of the deposit's raions."""
    levels = membership[schema.REGION_ID].map(regions["level"])
    raions = membership[levels == "raion"]
    in_raion = set(zip(raions["id"], raions[schema.REGION_ID], strict=True))
    with_raion = set(raions["id"])
    hromada = levels == "hromada"
    parents = membership[schema.REGION_ID].map(regions["parent_id"])
    keep = [
        not is_hromada or deposit not in with_raion or (deposit, parent) in in_raion
        for is_hromada, deposit, parent in zip(hromada, membership["id"], parents, strict=True)
    ]
    return membership[keep]


def assign_regions(deposits: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, membership: pd.DataFrame) -> pd.DataFrame:
    """Name each deposit's oblast, raion and hromada.

    Returns
    -------
    pandas.DataFrame
        Indexed like `deposits`; columns ``oblast_id``, ``raion_id``, ``hromada_id`` and
        ``oblast``, ``raion``, ``hromada`` (English names); empty string where the
        deposit lies in no region of that level (no hromada layer outside the focus
        oblasts; no raion for a deposit without coordinates).
    """
    levels = membership.join(regions[["level", "name_en"]], on=schema.REGION_ID, how="inner")
    out = pd.DataFrame(index=deposits.index)
    for level in ("oblast", "raion", "hromada"):
        rows = levels[levels["level"] == level].drop_duplicates("id").set_index("id")
        out[f"{level}_id"] = rows[schema.REGION_ID].reindex(deposits.index).fillna("")
        out[level] = rows["name_en"].reindex(deposits.index).fillna("")
    return out


def distance_to_front_km(deposits: gpd.GeoDataFrame, front: gpd.GeoSeries) -> pd.Series:
    """Measure each deposit's distance to the line of contact.

    Returns
    -------
    pandas.Series
        Kilometres, indexed like `deposits`; NaN for a deposit without coordinates
        or when there is no line of contact.
    """
    line = front.to_crs(schema.DISTANCE_CRS).iloc[0]
    points = deposits.geometry.to_crs(schema.DISTANCE_CRS)
    if line is None or line.is_empty:
        return pd.Series(np.nan, index=deposits.index, name="distance_to_front_km")
    meters = shapely.distance(points.to_numpy(), line)
    return pd.Series(meters / 1000.0, index=deposits.index, name="distance_to_front_km")


def control_status(deposits: gpd.GeoDataFrame, parts: gpd.GeoDataFrame, *, oblasts: pd.DataFrame) -> pd.Series:
    """Say who controls each deposit at the snapshot date.

    A located deposit takes the status of the part its point falls in.  A
    deposit without coordinates takes its oblast's answer where the oblast
    gives one: wholly unoccupied → held, wholly occupied
    (`geo.schema.WHOLLY_OCCUPIED_SHARE`) → occupied (before or since 2022,
    whichever part is larger); otherwise unknown.

    Parameters
    ----------
    oblasts
        Indexed by oblast id, columns ``occupied_share``, ``occupied_before_2022_km2``,
        ``occupied_since_2022_km2``.

    Returns
    -------
    pandas.Series
        One of `geo.schema.CONTROL_STATUSES` per deposit, named ``control_status``.
    """
    status = np.full(len(deposits), schema.HELD, dtype=object)
    located = deposits["location_known"].to_numpy(dtype=bool)
    points = deposits.geometry.to_numpy()
    for part in (schema.OCCUPIED_BEFORE_2022, schema.OCCUPIED_SINCE_2022):
        geom = parts.geometry[part]
        shapely.prepare(geom)
        inside = np.zeros(len(deposits), dtype=bool)
        inside[located] = shapely.intersects(geom, points[located])
        status[inside] = part
    unlocated = np.flatnonzero(~located)
    if len(unlocated):
        oblast = oblasts.loc[deposits["oblast_id"].to_numpy()[unlocated]]
        share = oblast["occupied_share"].to_numpy(dtype=float)
        before = oblast["occupied_before_2022_km2"].to_numpy() >= oblast["occupied_since_2022_km2"].to_numpy()
        wholly = np.where(before, schema.OCCUPIED_BEFORE_2022, schema.OCCUPIED_SINCE_2022)
        status[unlocated] = np.where(
            share == 0.0, schema.HELD, np.where(share >= schema.WHOLLY_OCCUPIED_SHARE, wholly, schema.UNKNOWN)
        ).astype(object)
    return pd.Series(status, index=deposits.index, name="control_status", dtype=object)


def status_uncertain(deposits: gpd.GeoDataFrame, status: pd.Series, distance_km: pd.Series) -> pd.Series:
    """Flag deposits whose status could flip within their coordinate uncertainty.

    Returns
    -------
    pandas.Series
        Bool, indexed like `deposits`: True where the line of contact is closer than
        the record's ``coord_uncertainty_km``, or the status is unknown.
    """
    within = (distance_km <= deposits["coord_uncertainty_km"]).fillna(False)
    return (within | (status == schema.UNKNOWN)).rename("status_uncertain")


def occupied_since(deposits: gpd.GeoDataFrame, since: gpd.GeoDataFrame) -> pd.DataFrame:
    """Date since which each located deposit has been continuously occupied, from the "occupied since" layer.

    Parameters
    ----------
    since
        Features with ``class`` (``dated``, ``by_2022-04-30`` or ``pre2022``) and ``since_date``.

    Returns
    -------
    pandas.DataFrame
        Indexed like `deposits`; ``occupied_since`` (ISO date; ``2022-04-30`` means "by then",
        ``before 2022`` for the pre-2022 zone; empty where not occupied or not located) and
        ``occupied_since_basis``.
    """
    out = pd.DataFrame({"occupied_since": "", "occupied_since_basis": ""}, index=deposits.index)
    located = deposits[deposits["location_known"]]
    tree = shapely.STRtree(since.geometry.to_numpy())
    points, parts = tree.query(located.geometry.to_numpy(), predicate="intersects")
    for point, part in zip(points, parts, strict=True):
        rid = located.index[point]
        kind = since["class"].iloc[part]
        if kind == "pre2022":
            value, basis = "before 2022", "pre-2022 zone (Crimea, ORDLO, Tuzla)"
        elif kind == "by_2022-04-30":
            value, basis = "2022-04-30", "already occupied in the first version of the series (2022-04-30)"
        else:
            value, basis = (
                pd.Timestamp(since["since_date"].iloc[part]).strftime("%Y-%m-%d"),
                "first version of the continuous run",
            )
        out.loc[rid, ["occupied_since", "occupied_since_basis"]] = [value, basis]
    return out
