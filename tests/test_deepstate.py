"""The DeepState protocol pieces, on small hand-made payloads (the HTTP paths are in test_update.py)."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import box

from geo import occupation
from geo.errors import RefreshError
from geo.occupation import checks, deepstate, http, snapshot

GEOD = Geod(ellps="WGS84")


def geodesic_km2(geom: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(shapely.segmentize(geom, 0.01))[0]) / 1e6


def feature(geom: shapely.Geometry, name: str, fill: str = "") -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": json.loads(shapely.to_geojson(geom)),
        "properties": {"name": name, "fill": fill},
    }


def test_the_grey_zone_is_kept_apart_less_what_is_occupied() -> None:
    occupied, grey = box(36.0, 47.0, 37.0, 48.0), box(36.5, 47.0, 37.5, 48.0)
    parsed = deepstate.parse_features(
        [
            feature(occupied, "Окуповано /// Occupied /// geoJSON.status.occupied"),
            feature(grey, "Статус невідомий /// Unknown status /// geoJSON.status.unknown"),
            feature(box(64.0, 14.0, 65.0, 15.0), "Unknown status", "#bcaaa4"),  # the 2023 patch in the Arabian Sea
        ]
    )
    assert parsed.counts == {"occupied": 1, "unknown": 2}
    assert parsed.outside_box == 0  # a stray grey patch is dropped, not an error
    assert shapely.equals(parsed.contested, box(37.0, 47.0, 37.5, 48.0))  # never counted twice, never as occupied
    assert shapely.equals(parsed.occupied, occupied)


def test_foreign_areas_are_dropped_but_measured_by_their_fill() -> None:
    transnistria = box(29.0, 46.5, 29.5, 47.5)
    parsed = deepstate.parse_features(
        [
            feature(box(36.0, 47.0, 37.0, 48.0), "Окуповано", "#a52714"),
            feature(transnistria, "Придністров'я", "#880e4f"),
        ]
    )
    assert parsed.counts == {"occupied": 1, "foreign": 1}
    assert checks.area_km2(parsed.occupied) == pytest.approx(geodesic_km2(box(36.0, 47.0, 37.0, 48.0)), rel=1e-3)
    assert parsed.foreign_by_fill["#880e4f"] == pytest.approx(geodesic_km2(transnistria), rel=1e-3)


def _official(after: float, before: float) -> deepstate.Official:
    payload = [
        {"hash": "#a52714", "area": after, "percent": "1", "type": "occupied_after_24_02_2022"},
        {"hash": "#880e4f", "area": before, "percent": "1", "type": "occupied_to_24_02_2022"},
        {"hash": "#bcaaa4", "area": 999.0, "percent": "1", "type": "unspecified"},
    ]
    return deepstate.official_areas(payload, source="areas")


def test_our_areas_are_checked_after_and_before_2022_each_less_the_foreign_area() -> None:
    east, west = box(36.5, 47.0, 37.0, 48.0), box(36.0, 47.0, 36.5, 48.0)
    parsed = occupation.Parsed(occupied=box(36.0, 47.0, 37.0, 48.0), pre2022=west, foreign_by_fill={"#880e4f": 3534.0})
    after, before = geodesic_km2(east), geodesic_km2(west)
    # DeepState's colour sum counts 3,534 km² of Transnistria in the pre-2022 figure: subtracted, it matches
    deepstate.check_against_official(parsed, _official(after, before + 3534.0), source="v")
    with pytest.raises(
        RefreshError, match=r"^v: occupied after 24 Feb 2022 .* differs by -1\.\d% from DeepState's own"
    ):
        deepstate.check_against_official(parsed, _official(after * 1.015, before + 3534.0), source="v")
    with pytest.raises(RefreshError, match=r"occupied before 24 Feb 2022 .* more than 1%"):
        deepstate.check_against_official(parsed, _official(after, before), source="v")  # the foreign area left in


@pytest.mark.parametrize("payload", [{}, [], [{"type": "occupied_after_24_02_2022", "area": "1"}], "x"])
def test_an_answer_without_both_occupied_figures_is_not_an_areas_answer(payload: Any) -> None:
    with pytest.raises(RefreshError, match="not an /areas answer"):
        deepstate.official_areas(payload, source="areas")


@pytest.mark.parametrize(("days", "share"), [(0, 0.02), (1, 0.022), (3, 0.026), (30, 0.08), (40, 0.10), (400, 0.10)])
def test_the_jump_allowance_grows_with_the_days_up_to_a_cap(days: int, share: float) -> None:
    assert checks.jump_allowance(days) == pytest.approx(share)


def test_a_jump_guard_message_names_the_change_and_the_days() -> None:
    with pytest.raises(RefreshError) as caught:
        checks.check_jump(110_000.0, 100_000.0, days=3, source="v", previous_date="2026-08-22")
    assert str(caught.value) == (
        "v: occupied area changes by +10.0% from 2026-08-22 (100,000 → 110,000 km² in 3 days), more than the 2.6% "
        "allowed without DeepState's own figure; check the source and rerun with --force to accept it"
    )
    assert checks.check_jump(102_000.0, 100_000.0, days=3, source="v", previous_date="d") == pytest.approx(0.02)


def test_listing_keeps_published_versions_and_skips_malformed_entries() -> None:
    listing = [
        {"id": 1754251105, "status": True},
        {"id": 1754000000, "status": False},
        {"id": "１７５４２５１１０６", "status": True},  # full-width digits: not an id
        {"id": "١٧٥٤٢٥١١٠٧", "status": True},  # Arabic-Indic digits: not an id
        {"id": "9" * 5001, "status": True},
        "junk",
    ]
    versions = deepstate.list_versions(listing, source="l")
    assert [(v.version, v.date, v.published) for v in versions] == [
        ("1754251105", "2025-08-03", "2025-08-03T19:58:25Z")
    ]
    assert deepstate.list_versions([], source="l") == []


def test_a_listing_with_no_usable_entry_means_the_api_changed() -> None:
    with pytest.raises(RefreshError, match=r"^l: none of its 2 entries is a version \(id and status\); the API may"):
        deepstate.list_versions([{"versionId": 1}, {"id": "x", "status": True}], source="l")
    with pytest.raises(RefreshError, match="expected a JSON list of versions"):
        deepstate.list_versions({"versions": []}, source="l")


@pytest.mark.parametrize("version", ["１７５４２５１１０５", "١٧٥٤٢٥١١٠٥", "1754251105\n", " 1754251105", "9" * 5001])
def test_version_ids_are_ascii_digits_only(version: str) -> None:
    with pytest.raises(RefreshError, match="is not a DeepState version id"):
        deepstate.check_version_id(version)


def test_printable_escapes_control_characters_and_caps_length() -> None:
    assert http.printable("a\x1b[31mred\r\nb\u202e") == "a\\x1b[31mred\\x0d\\x0ab\\x202e"
    assert len(http.printable("x" * 500)) == 200


def test_the_snapshot_file_holds_the_occupied_area_then_the_grey_zone() -> None:
    parsed = occupation.Parsed(
        occupied=box(36.0, 47.0, 37.0, 48.0), pre2022=shapely.Polygon(), contested=box(37, 47, 38, 48)
    )
    data = snapshot.snapshot_bytes(parsed, properties={"version_id": "1"})
    collection = shapely.from_geojson(data.decode())
    parts = shapely.get_parts(collection)
    assert [shapely.get_type_id(p) for p in parts] == [shapely.GeometryType.MULTIPOLYGON] * 2
    assert b'"class":"occupied"' in data
    assert b'"class":"contested"' in data
    assert shapely.equals(parts[1], box(37, 47, 38, 48))


@pytest.mark.parametrize(
    "url", ["http://[::1", "file:///etc", "ftp://127.0.0.1/", "http://", "http://a\nb", "gopher://x"]
)
def test_base_urls_that_are_not_http_are_one_error(url: str) -> None:
    with pytest.raises(RefreshError) as caught:
        deepstate.base_url(url, {})
    assert "\n" not in str(caught.value)
    assert str(caught.value).endswith("is not an http(s) URL; pass --base-url https://… or set DEEPSTATE_API_URL")


@pytest.mark.parametrize("coordinate", ["1" + "0" * 400, "Infinity", "-Infinity", "NaN", '"east"', "[36, 47]", "null"])
def test_coordinates_that_are_not_finite_numbers_are_refused(coordinate: str) -> None:
    text = f'{{"type": "Polygon", "coordinates": [[[36, 47], [{coordinate}, 47], [37, 48], [36, 47]]]}}'
    geometry = json.loads(text)
    with pytest.raises(RefreshError, match=r"^a feature's geometry is not valid GeoJSON"):
        deepstate.parse_features([{"geometry": geometry, "properties": {"name": "geoJSON.status.occupied"}}])


def test_empty_polygons_are_skipped() -> None:
    features = [
        {"geometry": {"type": "Polygon", "coordinates": []}, "properties": {"name": "geoJSON.status.occupied"}},
        {"geometry": {"type": "MultiPolygon", "coordinates": [[]]}, "properties": {"name": "geoJSON.status.occupied"}},
        feature(box(36.0, 47.0, 37.0, 48.0), "geoJSON.status.occupied"),
    ]
    assert shapely.equals(deepstate.parse_features(features).occupied, box(36.0, 47.0, 37.0, 48.0))


# --- issue 23: every field type-checked, the grey zone checked, one deadline per version ---------------------------

OCCUPIED = feature(box(36.0, 47.0, 37.0, 48.0), "Окуповано /// Occupied /// geoJSON.status.occupied")


@pytest.mark.parametrize(
    "row",
    [
        {"type": ["occupied_after_24_02_2022"], "area": 1.0},  # a list: unhashable, a traceback before
        {"type": {"kind": "unspecified"}, "area": 1.0},  # an object: the same
        {"type": None, "area": 1.0},
        {"type": 7, "area": 1.0},
        "occupied_after_24_02_2022",
        None,
        ["occupied_after_24_02_2022", 1.0],
    ],
)
def test_an_areas_row_of_the_wrong_type_is_one_error(row: Any) -> None:
    payload = [
        {"hash": "#a52714", "area": 70304.16, "type": "occupied_after_24_02_2022"},
        row,
        {"hash": "#880e4f", "area": 43968.93, "type": "occupied_to_24_02_2022"},
    ]
    with pytest.raises(RefreshError, match=r"^areas: not an /areas answer \(row 2(?:'s type)? is (?:a|an|null|true)"):
        deepstate.official_areas(payload, source="areas")


def test_the_grey_zone_figure_is_read_and_checked() -> None:
    figures = _official(70304.16, 43968.93)  # unspecified: 999 km²
    assert figures.unspecified_km2 == pytest.approx(999.0)
    assert deepstate.official_areas(
        [{"type": "occupied_after_24_02_2022", "area": 1}, {"type": "occupied_to_24_02_2022", "area": 2}], source="a"
    ) == deepstate.Official(1.0, 2.0, None)  # no unspecified row: no figure
    ok = deepstate.check_grey_zone(999.0 + 2_400.0, figures, source="v")
    assert ok == "grey zone 3,399 km² (DeepState's own figure: 999 km² unspecified)"
    with pytest.raises(RefreshError) as caught:
        deepstate.check_grey_zone(999.0 + 2_600.0, figures, source="v")
    assert str(caught.value) == (
        "v: the grey zone covers 3,599 km², more than DeepState's own figure for this version (999 km² "
        "unspecified) plus 2,500 km²"
    )
    # the grey zone of all Ukraine is refused, even when the server claims a figure as large
    for claimed in (999.0, 2_000_000.0):
        with pytest.raises(RefreshError, match="covers 488,494 km², more than the 20,000 km² plausible"):
            deepstate.check_grey_zone(488_494.0, deepstate.Official(1.0, 2.0, claimed), source="v")
    assert (
        deepstate.check_grey_zone(7_022.0, None, source="v") == "grey zone 7,022 km², within the 20,000 km² plausible"
    )
    with pytest.raises(RefreshError) as caught:
        deepstate.check_grey_zone(488_494.0, deepstate.Official(1.0, 2.0, None), source="v")
    assert str(caught.value) == (
        "v: the grey zone covers 488,494 km², more than the 20,000 km² plausible (the largest since 2022 was about "
        "7,000 km²), whatever the server's own figure says"
    )


def _with(**changes: Any) -> dict[str, Any]:
    """An occupied feature with `changes` applied (keys are paths: 'properties.name', 'geometry.type', …)."""
    out: dict[str, Any] = json.loads(json.dumps(OCCUPIED))
    for path, value in changes.items():
        *parents, key = path.split(".")
        node = out
        for parent in parents:
            node = node[parent]
        node[key] = value
    return out


@pytest.mark.parametrize(
    ("bad", "complaint"),
    [
        ("a feature", "feature 2 is a string, not a GeoJSON object"),
        (None, "feature 2 is null, not a GeoJSON object"),
        (_with(properties=["geoJSON.status.occupied"]), "feature 2's properties are a list, not an object"),
        (_with(**{"properties.name": ["geoJSON.status.occupied"]}), "feature 2's name is a list, not a string"),
        (_with(**{"properties.name": {"en": "Occupied"}}), "feature 2's name is an object, not a string"),
        (_with(**{"properties.fill": 10824468}), "feature 2's fill is a number, not a string"),
        (_with(geometry=[[36, 47], [37, 47], [37, 48]]), "it is a list, not an object: feature 2"),
        (_with(**{"geometry.type": ["Polygon"]}), "its type is a list, not a string: feature 2"),
        (
            {"type": "Feature", "properties": {}, "geometry": {"type": "GeometryCollection", "geometries": {}}},
            "a GeometryCollection's geometries are an object, not a list: feature 2",
        ),
        (_with(**{"geometry.coordinates": ["ring"]}), "a Polygon ring is not a list of positions"),
        (
            _with(**{"geometry.coordinates": [[["36", "47"], ["37", "47"], ["37", "48"], ["36", "47"]]]}),
            "a Polygon has coordinates that are not pairs of finite numbers: feature 2",
        ),
        (
            _with(**{"geometry.coordinates": [[[36, 47], [True, 47], [37, 48], [36, 47]]]}),
            "a Polygon has coordinates that are not pairs of finite numbers: feature 2",
        ),
        (
            _with(**{"geometry.type": "MultiPolygon", "geometry.coordinates": ["polygon"]}),
            "a MultiPolygon has a polygon that is a string, not a list of rings: feature 2",
        ),
    ],
)
def test_a_feature_field_of_the_wrong_type_is_one_error(bad: Any, complaint: str) -> None:
    collection = {"type": "FeatureCollection", "features": [OCCUPIED, bad]}
    with pytest.raises(RefreshError) as caught:
        deepstate.parse_features(deepstate.feature_collection(collection))
    assert complaint in str(caught.value)
    assert "\n" not in str(caught.value)


def test_points_and_null_geometries_are_not_read() -> None:
    point = {"type": "Feature", "properties": {"name": ["unit"], "icon": {}}, "geometry": {"type": "Point"}}
    empty = {"type": "Feature", "properties": None, "geometry": None}
    parsed = deepstate.parse_features([OCCUPIED, point, empty])
    assert shapely.equals(parsed.occupied, box(36.0, 47.0, 37.0, 48.0))


def test_polygon_caps_are_three_times_the_archives_largest() -> None:
    # the whole public archive (1,359 versions): 1,003 vertices in one polygon at most, 15,696 in one version
    assert deepstate.MAX_POLYGON_VERTICES == 3_000
    assert deepstate.MAX_VERTICES == 50_000
    ring = [
        [36.5 + 0.5 * math.cos(a), 47.5 + 0.3 * math.sin(a)] for a in (k * 2 * math.pi / 3_001 for k in range(3_001))
    ]
    big = {"type": "Feature", "properties": {"name": "geoJSON.status.occupied"},
           "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}}  # fmt: skip
    with pytest.raises(RefreshError, match=r"^a polygon has 3,002 vertices, more than the 3,000 allowed"):
        deepstate.parse_features([big])


def test_a_self_intersecting_ring_is_repaired_as_its_outline() -> None:
    # a 7-times-wound star: the default ("linework") repair took 125 s at 20,000 vertices and no signal stopped it
    n = 2_000
    angles = [2 * math.pi * k * 7 / n for k in range(n)]
    ring = [[36.5 + math.cos(a), 47.5 + 0.6 * math.sin(a)] for a in angles]
    star = {"type": "Feature", "properties": {"name": "geoJSON.status.occupied"},
            "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}}  # fmt: skip
    parsed = deepstate.parse_features([star])
    assert parsed.repaired == 1
    assert shapely.get_num_geometries(parsed.occupied) == 1
    assert shapely.get_num_interior_rings(parsed.occupied) == 0


def test_within_stops_the_checks_at_the_deadline() -> None:
    n = 3_000
    radii = [1.0 if k % 2 else 0.05 for k in range(n)]  # radial spikes: valid, and slow for GEOS
    angles = [k * 2 * math.pi / n for k in range(n)]
    polygon = shapely.Polygon(
        [(36.5 + r * math.cos(a), 47.5 + 0.6 * r * math.sin(a)) for r, a in zip(radii, angles, strict=True)]
    )

    def checks() -> None:
        with http.within(http.Deadline.after(0.3), source="v"):
            while True:  # GEOS calls one after another, as the checks make them
                shapely.is_valid(polygon)

    start = time.monotonic()
    with pytest.raises(http.DeadlineError) as caught:
        checks()
    assert time.monotonic() - start < 20  # 0.3 s, half a second of grace, and the call under way
    assert str(caught.value) == (
        "v: stopped at the version's deadline (0.3 s for all its requests and checks); a hostile or damaged "
        "response, or an overloaded machine?"
    )
    with http.within(None, source="v"):  # no deadline: nothing armed
        pass
    with pytest.raises(http.DeadlineError), http.within(http.Deadline.after(-1.0), source="v"):
        pass  # already passed: refused before anything is done
