"""Joins: occupied parts, line of contact, regions and control of deposits."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Point, box

from geo import join, schema

GEOD = Geod(ellps="WGS84")


def _gdf(geoms: list[shapely.Geometry], index: list[str] | None = None) -> gpd.GeoDataFrame:
    dense = [shapely.segmentize(g, 0.01) for g in geoms]
    return gpd.GeoDataFrame(geometry=dense, index=index, crs=schema.STORAGE_CRS)


COUNTRY = _gdf([box(30, 48, 33, 49)], ["UA"])
SNAPSHOT = _gdf([box(31.25, 48, 32, 49)])
PRE2022 = _gdf([box(31.75, 48, 32, 49), box(32.5, 48.5, 32.6, 48.6)])  # the second is "Tuzla": not in the snapshot


def _deposits(rows: dict[str, tuple[float, float] | None], oblast: str = "UA14") -> gpd.GeoDataFrame:
    geoms = gpd.GeoSeries(
        np.array([Point(xy) if xy else None for xy in rows.values()], dtype=object), crs=schema.STORAGE_CRS
    )
    return gpd.GeoDataFrame(
        {
            "location_known": [xy is not None for xy in rows.values()],
            "oblast_id": oblast,
            "coord_uncertainty_km": 2.0,
        },
        geometry=geoms.to_numpy(),
        index=pd.Index(list(rows), name="id"),
        crs=schema.STORAGE_CRS,
    )


def test_occupied_parts_split_at_2022_and_add_the_pre2022_layer() -> None:
    parts = join.occupied_parts(SNAPSHOT, PRE2022)
    assert list(parts.index) == [schema.OCCUPIED_BEFORE_2022, schema.OCCUPIED_SINCE_2022]
    before, since = parts.geometry
    # Planar lon/lat areas: since = 0.5 x 1; before = 0.25 x 1 plus the 0.1 x 0.1 island.
    assert since.area == pytest.approx(0.5)
    assert before.area == pytest.approx(0.25 + 0.01)
    assert shapely.intersection(before, since).area == pytest.approx(0.0)
    assert since.bounds == pytest.approx((31.25, 48, 31.75, 49))


def test_split_at_2022_gives_occupied_parts_with_the_layers_unioned_once() -> None:
    zone = shapely.union_all(shapely.make_valid(PRE2022.geometry.to_numpy()))
    zone = shapely.union_all(shapely.make_valid(np.array([zone], dtype=object)))  # as occupied_parts unions it
    expected = join.occupied_parts(SNAPSHOT, PRE2022).geometry
    before, since = join.split_at_2022(SNAPSHOT.geometry.iloc[0], zone)
    # the same rings, vertex for vertex (a ring may start elsewhere)
    assert shapely.equals_exact(shapely.normalize(before), shapely.normalize(expected.iloc[0]), tolerance=0.0)
    assert shapely.equals_exact(shapely.normalize(since), shapely.normalize(expected.iloc[1]), tolerance=0.0)
    assert shapely.area(since) == pytest.approx(0.5)


def test_front_line_is_the_occupied_edge_inside_the_country() -> None:
    parts = join.occupied_parts(SNAPSHOT, PRE2022)
    front = join.front_line(parts, join.land_interior(COUNTRY))
    line = front.iloc[0]
    _, ymin, xmax, ymax = line.bounds
    # Only the western edge of the occupied block (the meridian 31.25) remains, plus the island's
    # outline, which lies inside the country too.
    west = shapely.clip_by_rect(line, 31.0, 47.0, 31.5, 50.0)
    assert shapely.get_coordinates(west)[:, 0] == pytest.approx(31.25)
    meridian_m = GEOD.inv(31.25, 48.0, 31.25, 49.0)[2]
    expected_km = (meridian_m - 2 * schema.BORDER_TOLERANCE_M) / 1000
    measured_km = gpd.GeoSeries([west], crs=schema.STORAGE_CRS).to_crs(schema.DISTANCE_CRS).length.iloc[0] / 1000
    assert measured_km == pytest.approx(expected_km, rel=0.005)
    assert ymin > 48.0
    assert ymax < 49.0
    assert xmax == pytest.approx(32.6)  # the island


def test_no_occupation_gives_an_empty_front() -> None:
    empty = gpd.GeoDataFrame(geometry=[shapely.Polygon(), shapely.Polygon()], crs=schema.STORAGE_CRS)
    front = join.front_line(empty, join.land_interior(COUNTRY))
    assert front.iloc[0].is_empty


def test_distance_to_front_km() -> None:
    parts = join.occupied_parts(SNAPSHOT, PRE2022)
    front = join.front_line(parts, join.land_interior(COUNTRY))
    deposits = _deposits({"west": (31.0, 48.5), "nowhere": None})
    distance = join.distance_to_front_km(deposits, front)
    expected_km = GEOD.inv(31.0, 48.5, 31.25, 48.5)[2] / 1000  # about 18.5 km along the parallel
    assert distance["west"] == pytest.approx(expected_km, rel=0.005)
    assert pd.isna(distance["nowhere"])


def test_control_status_of_points_and_of_records_without_location() -> None:
    parts = join.occupied_parts(SNAPSHOT, PRE2022)
    deposits = _deposits({"since": (31.5, 48.5), "before": (31.9, 48.5), "held": (30.5, 48.5), "edge": (31.25, 48.5)})
    unplaced = pd.concat(
        [
            _deposits({"in_held_oblast": None}, oblast="UA35"),
            _deposits({"in_split_oblast": None}, oblast="UA14"),
            _deposits({"in_lost_oblast": None}, oblast="UA01"),
        ]
    )
    oblasts = pd.DataFrame(
        {
            "occupied_share": [0.0, 0.75, 1.0],
            "occupied_before_2022_km2": [0.0, 10.0, 100.0],
            "occupied_since_2022_km2": [0.0, 20.0, 0.0],
        },
        index=["UA35", "UA14", "UA01"],
    )
    status = join.control_status(pd.concat([deposits, unplaced]), parts, oblasts=oblasts)
    assert status.to_dict() == {
        "since": schema.OCCUPIED_SINCE_2022,
        "before": schema.OCCUPIED_BEFORE_2022,
        "held": schema.HELD,
        "edge": schema.OCCUPIED_SINCE_2022,  # on the boundary counts as inside
        "in_held_oblast": schema.HELD,
        "in_split_oblast": schema.UNKNOWN,
        "in_lost_oblast": schema.OCCUPIED_BEFORE_2022,
    }


def test_containing_regions_and_assign_regions() -> None:
    regions = gpd.GeoDataFrame(
        {"level": ["oblast", "oblast", "raion"], "name_en": ["East", "West", "East Raion"]},
        geometry=[box(31, 48, 32, 49), box(30, 48, 31, 49), box(31, 48, 31.5, 49)],
        index=pd.Index(["UA14", "UA35", "UA1416"], name=schema.REGION_ID),
        crs=schema.STORAGE_CRS,
    )
    deposits = _deposits({"a": (31.2, 48.5), "b": (30.5, 48.5), "c": None}, oblast="UA35")
    membership = join.containing_regions(deposits, regions)
    assert list(membership.itertuples(index=False, name=None)) == [
        ("a", "UA"),
        ("a", "UA14"),
        ("a", "UA1416"),
        ("b", "UA"),
        ("b", "UA35"),
        ("c", "UA"),
        ("c", "UA35"),
    ]
    named = join.assign_regions(deposits, regions, membership)
    rows = named.to_dict(orient="index")
    assert [rows["a"][k] for k in ("oblast", "raion", "hromada")] == ["East", "East Raion", ""]
    assert [rows["c"][k] for k in ("oblast_id", "raion_id")] == ["UA35", ""]


def test_a_hromada_counts_only_where_its_raion_does() -> None:
    # Two raions side by side at lon 31.5; the coarse hromada of the west raion reaches 0.1 degree into the east one.
    regions = gpd.GeoDataFrame(
        {
            "level": ["oblast", "raion", "raion", "hromada", "hromada"],
            "name_en": ["East", "West Raion", "East Raion", "West hromada", "East hromada"],
            "parent_id": ["UA", "UA14", "UA14", "UA1401", "UA1402"],
        },
        geometry=[box(31, 48, 32, 49), box(31, 48, 31.5, 49), box(31.5, 48, 32, 49), box(31, 48, 31.6, 49),
                  box(31.6, 48, 32, 49)],
        index=pd.Index(["UA14", "UA1401", "UA1402", "UA1401001", "UA1402001"], name=schema.REGION_ID),
        crs=schema.STORAGE_CRS,
    )  # fmt: skip
    # "gap": in the east raion but inside the west hromada's overreach; "west": in both west units.
    deposits = _deposits({"gap": (31.55, 48.5), "west": (31.2, 48.5)})
    membership = join.containing_regions(deposits, regions)
    assert list(membership.itertuples(index=False, name=None)) == [
        ("gap", "UA"),
        ("gap", "UA14"),
        ("gap", "UA1402"),  # its raion; the west raion's hromada is dropped, and it lies in no hromada of its own
        ("west", "UA"),
        ("west", "UA14"),
        ("west", "UA1401"),
        ("west", "UA1401001"),
    ]


def test_status_uncertain_when_the_front_is_within_the_uncertainty() -> None:
    deposits = _deposits({"near": (31.0, 48.5), "far": (30.0, 48.5), "lost": None})
    status = pd.Series([schema.HELD, schema.HELD, schema.UNKNOWN], index=deposits.index)
    distance = pd.Series([1.5, 90.0, float("nan")], index=deposits.index)
    assert join.status_uncertain(deposits, status, distance).tolist() == [True, False, True]
