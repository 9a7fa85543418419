"""Geometry: projection, coverage cleaning, simplification, frames and the drawability check, on shapes checked by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo import build, catalogue, geometry, schema
from geo.errors import ValidationError
from tests.conftest import SHIPPED_LAYERS

#: A metric CRS whose metres the tests write down directly (x, y in metres from the UTM zone 36N origin).
METRES = schema.PRINT_CRS


def _metric(*shapes: shapely.Geometry, index: list[str] | None = None) -> gpd.GeoSeries:
    return gpd.GeoSeries(list(shapes), index=index, crs=METRES)


def _overlap_and_gaps_km2(geoms: gpd.GeoSeries) -> tuple[float, float]:
    """Area drawn twice by neighbours, and area of the holes inside the union (equal-area CRS)."""
    equal = geoms.to_crs(schema.AREA_CRS)
    union = shapely.union_all(equal.to_numpy())
    holes = sum(shapely.area(shapely.polygons(ring)) for poly in shapely.get_parts(union) for ring in poly.interiors)
    return (float(equal.area.sum()) - union.area) / 1e6, holes / 1e6


# --- the table of tolerances -------------------------------------------------------------------


def test_every_scale_states_each_medium_with_a_reason() -> None:
    assert set(geometry.SCALES) == {"country", "oblast", "local"}
    assert {spec.scale for spec in catalogue.MAPS} <= set(geometry.SCALES)
    for name, s in geometry.SCALES.items():
        for tolerance in (s.web, s.printed, s.slider, s.base):
            assert tolerance.metres > 0, name
            assert len(tolerance.reason) > 20, name
        # a web map is zoomed in, a page has one scale: the web is never coarser than print
        assert s.web.metres <= s.printed.metres, name
        assert s.web.metres < s.slider.metres, name  # the slider carries every date: it is coarser


def test_the_readme_table_has_a_row_per_scale_and_medium() -> None:
    table = geometry.tolerances_markdown()
    rows = table.strip().split("\n")
    assert len(rows) == 2 + 3 * 4 + 1  # header, rule, four media per scale, the locator
    assert "| oblast | HTML maps | 25 m | 0.00001° (1.1 × 0.7 m) |" in table
    assert "| oblast | static maps | 50 m |" in table
    assert "| country | HTML time slider | 1,500 m | 0.001° (111 × 74 m) |" in table
    assert "| all | static maps' locator | 3,000 m |" in table


def test_the_readme_states_the_table_of_tolerances_the_code_uses() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert geometry.tolerances_markdown().strip() in readme, "paste geometry.tolerances_markdown() into the README"


# --- the steps -----------------------------------------------------------------------------------


def test_project_refuses_geometry_that_is_not_lon_lat() -> None:
    with pytest.raises(ValidationError, match="deposits: expected CRS EPSG:4326"):
        geometry.project(_metric(shapely.Point(0, 0)), what="deposits")
    with pytest.raises(ValidationError, match="expected CRS EPSG:4326"):
        geometry.project(gpd.GeoSeries([shapely.Point(30, 48)]))


def test_a_tolerance_in_metres_needs_a_metric_crs() -> None:
    lonlat = gpd.GeoSeries([shapely.box(30, 48, 31, 49)], crs=schema.STORAGE_CRS)
    with pytest.raises(ValidationError, match="metric CRS"):
        geometry.simplify(lonlat, 100.0)


def test_simplify_moves_no_vertex_more_than_the_tolerance() -> None:
    # a 10 m bump on a 1 km edge: kept at 5 m, gone at 20 m
    bumpy = Polygon([(0, 0), (500, 10), (1000, 0), (1000, 1000), (0, 1000)])
    kept = geometry.simplify(_metric(bumpy), 5.0).iloc[0]
    gone = geometry.simplify(_metric(bumpy), 20.0).iloc[0]
    assert [500.0, 10.0] in shapely.get_coordinates(kept).tolist()
    assert gone.equals(shapely.box(0, 0, 1000, 1000))


def test_simplify_for_web_states_its_error() -> None:
    # A 1 km bump on a 74 km edge survives a 500 m tolerance and vanishes at 2 km.
    bump = Polygon([(30, 48), (30.5, 48.009), (31, 48), (31, 49), (30, 49)])
    series = gpd.GeoSeries([bump], crs=schema.STORAGE_CRS)
    kept = shapely.get_coordinates(geometry.simplify_for_web(series, tolerance_m=500, decimals=5).to_numpy())
    gone = shapely.get_coordinates(geometry.simplify_for_web(series, tolerance_m=2000, decimals=5).to_numpy())
    assert len(kept) == 6
    assert len(gone) == 5
    assert (30.5, 48.009) in [tuple(round(float(c), 5) for c in xy) for xy in kept]


def test_cleaning_gives_an_overlap_to_the_smaller_region() -> None:
    # a 2 x 2 km region and a 1 x 1 km one overlapping it by 0.5 km²
    big, small = shapely.box(0, 0, 2000, 2000), shapely.box(1500, 0, 2500, 1000)
    clean = geometry.clean_coverage(_metric(big, small, index=["big", "small"]))
    assert clean["small"].area == pytest.approx(1_000_000)
    assert clean["big"].area == pytest.approx(3_500_000)
    assert clean.crs == METRES


def test_cleaning_only_the_regions_drawn_keeps_their_whole_area() -> None:
    # a focus hromada (2 x 2 km) and a coarse one of another oblast (1 x 1 km) that overlaps it by 0.5 km²
    regions = gpd.GeoDataFrame(
        {"level": ["hromada", "hromada", "raion"]},
        geometry=[shapely.box(0, 0, 2000, 2000), shapely.box(1500, 0, 2500, 1000), shapely.box(0, 0, 3000, 3000)],
        index=["UA14001", "UA63001", "UA1402"],
        crs=METRES,
    )
    everything = geometry.clean_coverage(gpd.GeoSeries(regions.geometry[regions["level"] == "hromada"]))
    assert everything["UA14001"].area == pytest.approx(3_500_000)  # drawn 12.5 % smaller
    drawn = geometry.drawn_ids(regions, [("hromada", "UA14"), ("raion", "UA14")])
    assert list(drawn["hromada"]) == ["UA14001"]
    assert list(drawn["raion"]) == ["UA1402"]
    focus = geometry.clean_coverage(gpd.GeoSeries(regions.geometry.loc[drawn["hromada"]]))
    assert focus["UA14001"].area == pytest.approx(4_000_000)


def test_drawn_ids_take_every_prefix_of_a_level_in_the_frames_order() -> None:
    regions = pd.DataFrame(
        {"level": ["oblast", "hromada", "hromada", "hromada", "hromada"]},
        index=["UA14", "UA35002", "UA14001", "UA23001", "UA1416001"],
    )
    drawn = geometry.drawn_ids(
        regions, [("hromada", "UA35"), ("hromada", "UA1416"), ("oblast", ""), ("hromada", "UA35")]
    )
    assert list(drawn["hromada"]) == ["UA35002", "UA1416001"]
    assert list(drawn["oblast"]) == ["UA14"]


def test_a_coverage_keeps_one_border_between_neighbours() -> None:
    # two squares sharing a zigzag border whose teeth (30 m) are below the tolerance (100 m)
    teeth = [(1000, y) if i % 2 else (1030, y) for i, y in enumerate(range(0, 1001, 100))]
    left = Polygon([(0, 0), *teeth, (0, 1000)])
    right = Polygon([(2000, 0), (2000, 1000), *teeth[::-1]])
    simple = geometry.simplify_coverage(geometry.clean_coverage(_metric(left, right)), 100.0)
    assert (
        shapely.get_num_coordinates(simple.to_numpy()).sum()
        < shapely.get_num_coordinates(np.array([left, right])).sum()
    )
    assert simple.area.sum() == pytest.approx(shapely.union_all(simple.to_numpy()).area)  # no overlap
    assert shapely.union_all(simple.to_numpy()).equals(shapely.box(0, 0, 2000, 1000))  # no gap


def test_simplifying_each_region_alone_would_fail_the_border_check() -> None:
    raw = build.load(SHIPPED_LAYERS).regions
    oblasts = gpd.GeoSeries(raw.geometry[raw["level"] == "oblast"])
    alone = geometry.simplify_for_web(oblasts, tolerance_m=400, decimals=4)
    shared = geometry.simplify_coverage_for_web(oblasts, tolerance_m=400, decimals=4)
    assert _overlap_and_gaps_km2(alone)[0] > 10  # measured 43.75 km² drawn twice
    overlap, gaps = _overlap_and_gaps_km2(shared)
    assert overlap < 0.5
    assert gaps < 0.5


def test_to_lonlat_snaps_to_the_grid_and_drops_what_vanishes() -> None:
    metric = geometry.project(
        gpd.GeoSeries([shapely.Point(31.123456, 48.5), shapely.Polygon()], crs=schema.STORAGE_CRS)
    )
    snapped = geometry.to_lonlat(metric, 3)
    assert list(snapped.index) == [0]
    assert shapely.get_coordinates(snapped.to_numpy()).tolist() == [[31.123, 48.5]]


def test_occupation_layers_name_each_layer_and_leave_out_an_empty_grey_zone() -> None:
    parts = gpd.GeoDataFrame(
        geometry=[shapely.box(30, 48, 31, 49)], index=[schema.OCCUPIED_SINCE_2022], crs=schema.STORAGE_CRS
    )
    front = gpd.GeoSeries(
        [shapely.MultiLineString([[(30, 48), (30, 49)]]), shapely.LineString([(31, 48), (31, 49)])],
        crs=schema.STORAGE_CRS,
    )
    layers = geometry.occupation_layers(parts, front, shapely.Polygon())
    assert list(layers.index) == [schema.OCCUPIED_SINCE_2022, "front"]
    assert layers["front"].equals(shapely.MultiLineString([[(30, 48), (30, 49)], [(31, 48), (31, 49)]]))
    grey = shapely.box(31, 48, 31.1, 48.1)
    assert list(geometry.occupation_layers(parts, front, grey).index)[-1] == "contested"
    with pytest.raises(ValidationError, match="parts: expected CRS"):
        geometry.occupation_layers(parts.to_crs(METRES), front, None)


# --- frames and views ---------------------------------------------------------------------------


def test_widen_keeps_the_centre_and_takes_the_aspect() -> None:
    assert geometry.widen((0, 0, 10, 10), 2.0, margin=0.0) == (-5.0, 0.0, 15.0, 10.0)
    assert geometry.widen((0, 0, 10, 10), 1.0, margin=0.1) == pytest.approx((-1.0, -1.0, 11.0, 11.0))
    assert geometry.clip_box((0, 0, 10, 20)) == (-25.0, -20.0, 35.0, 40.0)  # 3x the size (30 x 60), square


def _deposits(rows: list[tuple[float, float, tuple[str, ...], bool]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"commodity_list": [r[2] for r in rows], "location_known": [r[3] for r in rows]},
        geometry=[shapely.Point(r[0], r[1]) for r in rows],
        index=[f"D{i}" for i in range(len(rows))],
        crs=schema.STORAGE_CRS,
    )


def test_the_lithium_frame_is_the_located_lithium_sites_and_one_margin_in_metres() -> None:
    deposits = _deposits(
        [
            (31.0, 48.0, ("lithium",), True),
            (36.0, 47.5, ("lithium", "tantalum"), True),
            (25.0, 50.0, ("lithium",), False),  # no known site: not framed
            (38.0, 49.0, ("coal",), True),
        ]
    )
    points = gpd.GeoSeries([shapely.Point(31, 48), shapely.Point(36, 47.5)], crs=schema.STORAGE_CRS).to_crs(METRES)
    xmin, ymin, xmax, ymax = points.total_bounds
    pad = geometry.LITHIUM_MARGIN_M
    assert pad == 70_000.0
    assert geometry.lithium_frame(deposits) == pytest.approx((xmin - pad, ymin - pad, xmax + pad, ymax + pad))
    west, south, east, north = geometry.lithium_frame(deposits, crs=schema.STORAGE_CRS) or (0, 0, 0, 0)
    # 70 km is about 0.63° of latitude and 0.94° of longitude here; the lon/lat box holds the metric one
    assert south == pytest.approx(47.5 - 0.63, abs=0.03)
    assert north == pytest.approx(48.0 + 0.63, abs=0.03)
    assert west < 31 - 0.9
    assert east > 36 + 0.9
    assert geometry.lithium_frame(deposits.iloc[2:]) is None


def test_the_lithium_map_fits_the_lithium_frame_or_ukraine() -> None:
    lithium = next(spec for spec in catalogue.MAPS if spec.frame == catalogue.LITHIUM)
    regions = gpd.GeoDataFrame(
        geometry=[shapely.box(22, 44, 40, 52)], index=[schema.COUNTRY_ID], crs=schema.STORAGE_CRS
    )
    deposits = _deposits([(31.0, 48.0, ("lithium",), True)])
    assert geometry.frame_bounds(lithium, regions, deposits) == geometry.lithium_frame(deposits, crs=schema.STORAGE_CRS)
    assert geometry.frame_bounds(lithium, regions, deposits.iloc[:0]) == (22.0, 44.0, 40.0, 52.0)


def test_views_are_where_the_slider_and_the_static_maps_draw() -> None:
    donetsk = shapely.box(36, 47, 39, 49)
    regions = gpd.GeoDataFrame(
        geometry=[shapely.box(22, 44, 40, 52), donetsk, shapely.box(37, 48, 37.5, 48.5)],
        index=[schema.COUNTRY_ID, schema.DONETSK_ID, schema.POKROVSK_RAION_ID],
        crs=schema.STORAGE_CRS,
    )
    maps = [spec for spec in catalogue.MAPS if spec.id in ("overview", "donetsk", "pokrovsk")]
    views = geometry.map_views(regions, _deposits([]), maps)
    assert set(views.slider) == {"overview", "donetsk"}  # the maps with a time slider
    scale, view = views.slider["donetsk"]
    assert scale == "oblast"
    assert shapely.equals(view, shapely.box(34, 45, 41, 51))  # two degrees around the frame
    assert views.printed["country"] is None  # the overview looks everywhere
    x0, y0, x1, y1 = (float(v) for v in gpd.GeoSeries([donetsk], crs=schema.STORAGE_CRS).to_crs(METRES).total_bounds)
    assert views.printed["oblast"] == pytest.approx(geometry.clip_box((x0, y0, x1, y1)))


# --- the time slider's changes --------------------------------------------------------------------

#: The slider's view and today's occupied area (lon/lat): the front at lon 31.25, between lat 48 and 49.
SLIDER_VIEW = shapely.box(29, 46, 34, 51)
NOW = shapely.box(31.25, 48, 32, 49)


def _km2(geom: shapely.Geometry) -> list[float]:
    """Each polygon's km² in the equal-area CRS, largest first."""
    parts = gpd.GeoSeries(shapely.get_parts(geom), crs=schema.STORAGE_CRS).to_crs(schema.AREA_CRS)
    return sorted((parts.area / 1e6).round(1).tolist(), reverse=True)


def test_slider_changes_leave_out_a_redrawn_line() -> None:
    # the line redrawn 0.0001 degrees (7 m) west: a sliver 7 m wide and 111 km long (0.8 km²) is no change
    freed, taken = geometry.slider_changes([shapely.box(31.2499, 48, 32, 49)], NOW, view=SLIDER_VIEW, scale="oblast")
    assert shapely.is_empty(freed[0])
    assert shapely.is_empty(taken[0])


def test_slider_changes_do_not_call_the_grey_zone_no_longer_occupied() -> None:
    # occupied then from lon 31.0; now from 31.25, with the grey zone 31.1-31.25: only 31.0-31.1 is no longer
    # occupied.  A strip 0.1 degrees of longitude wide between lat 48 and 49 on the authalic sphere (R 6,371.007 km):
    # R² x 0.1 x pi/180 x (sin 49° - sin 48°) = 40,589,732 x 0.00174533 x 0.011565 = 819.3 km²
    then = [shapely.box(31.0, 48, 32, 49)]
    grey = shapely.box(31.1, 48, 31.25, 49)
    freed, taken = geometry.slider_changes(then, NOW, view=SLIDER_VIEW, scale="oblast", grey=grey)
    assert shapely.bounds(freed[0]) == pytest.approx([31.0, 48.0, 31.1, 49.0], abs=1e-4)
    assert _km2(freed[0]) == [pytest.approx(819.3, rel=0.005)]
    assert shapely.is_empty(taken[0])
    ungreyed, _ = geometry.slider_changes(then, NOW, view=SLIDER_VIEW, scale="oblast")  # no grey zone known
    assert shapely.bounds(ungreyed[0]) == pytest.approx([31.0, 48.0, 31.25, 49.0], abs=1e-4)


def test_slider_changes_drop_pieces_below_the_scales_area() -> None:
    # then from lon 31.3, with a hole of 0.01 x 0.005 degrees (740 x 556 m; on the sphere
    # 40,589,732 x 0.000174533 x cos 48.5° x 0.0000872665 = 0.41 km²) that is occupied now: taken since are the
    # strip 31.25-31.3 (half the 819.3 km² above: 409.7 km²) and the hole, which is under the oblast scale's 1 km²
    # and over the local scale's 0.1 km²
    then = [shapely.box(31.3, 48, 32, 49).difference(shapely.box(31.5, 48.5, 31.51, 48.505))]
    assert geometry.SCALES["oblast"].slider_change.km2 == 1.0
    assert geometry.SCALES["local"].slider_change.km2 == 0.1
    _, taken = geometry.slider_changes(then, NOW, view=SLIDER_VIEW, scale="oblast")
    assert _km2(taken[0]) == [pytest.approx(409.7, rel=0.005)]
    _, taken = geometry.slider_changes(then, NOW, view=SLIDER_VIEW, scale="local")
    assert _km2(taken[0]) == [pytest.approx(409.7, rel=0.005), pytest.approx(0.4, abs=0.05)]


def test_every_scale_states_why_its_slider_changes_are_what_they_are() -> None:
    for name, s in geometry.SCALES.items():
        assert s.slider_change.width_m > 0, name
        assert s.slider_change.km2 > 0, name
        assert "redraw" in s.slider_change.reason, name


# --- the drawability check ----------------------------------------------------------------------


def _snapshot(occupied: shapely.Geometry) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries]:
    parts = gpd.GeoDataFrame(geometry=[occupied], index=[schema.OCCUPIED_SINCE_2022], crs=schema.STORAGE_CRS)
    front = gpd.GeoSeries([shapely.LineString([(31, 48), (31, 49)])], crs=schema.STORAGE_CRS)
    return parts, front


def test_the_drawability_check_takes_both_media_at_every_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    parts, front = _snapshot(shapely.box(31, 48, 32, 49))
    views = geometry.Views({"m": ("oblast", shapely.box(29, 46, 34, 51))}, {"country": None})
    seen: list[tuple[Any, float]] = []
    original = geometry.simplify

    def simplify(metric: gpd.GeoSeries, tolerance_m: float) -> Any:
        seen.append((metric.crs, tolerance_m))
        return original(metric, tolerance_m)

    def took(crs: str, metres: float) -> bool:
        return any(used.equals(crs) and tolerance == metres for used, tolerance in seen)

    monkeypatch.setattr(geometry, "simplify", simplify)
    geometry.check_drawable(parts, front, None, views=views)
    for s in geometry.SCALES.values():
        assert took(schema.DISTANCE_CRS, s.web.metres)
        assert took(schema.PRINT_CRS, s.printed.metres)
    assert took(schema.DISTANCE_CRS, geometry.SCALES["oblast"].slider.metres)


def test_the_drawability_check_raises_where_a_snapshot_cannot_be_drawn() -> None:
    parts, front = _snapshot(shapely.Polygon([(30, 48), (31, 48), (31, 95), (30, 49)]))  # a vertex past the pole
    with pytest.raises((ValueError, shapely.errors.GEOSException)):
        geometry.check_drawable(parts, front, None, views=geometry.Views({}, {}))


def test_clip_pieces_keeps_pieces_inside_cuts_those_across_and_drops_those_outside() -> None:
    within = shapely.box(0, 0, 10, 10)
    pieces = shapely.MultiPolygon(
        [shapely.box(1, 1, 2, 2), shapely.box(9, 1, 11, 2), shapely.box(20, 20, 21, 21)]  # inside, across, outside
    )
    clipped = geometry.clip_pieces(pieces, within)
    assert shapely.area(clipped) == pytest.approx(1.0 + 1.0)  # the whole first, half of the second (x 9–10)
    assert shapely.equals(clipped, shapely.MultiPolygon([shapely.box(1, 1, 2, 2), shapely.box(9, 1, 10, 2)]))
    assert shapely.is_empty(geometry.clip_pieces(shapely.MultiPolygon(), within))


def test_the_slider_keeps_only_the_polygons_a_clip_leaves() -> None:
    square, edge = box(0, 0, 1, 1), shapely.LineString([(1, 0), (2, 0)])
    mixed = shapely.GeometryCollection([square, edge, shapely.Point(3, 3)])
    assert shapely.equals(geometry._polygonal_part(mixed), square)
    assert geometry._polygonal_part(square) is square
    assert shapely.is_empty(geometry._polygonal_part(shapely.GeometryCollection([edge])))
