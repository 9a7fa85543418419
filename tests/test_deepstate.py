"""The DeepState protocol pieces, on small hand-made payloads (the HTTP paths are in test_update.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import box

from geo import deepstate
from geo.errors import RefreshError

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
    assert deepstate.area_km2(parsed.occupied) == pytest.approx(geodesic_km2(box(36.0, 47.0, 37.0, 48.0)), rel=1e-3)
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
    parsed = deepstate.Parsed(occupied=box(36.0, 47.0, 37.0, 48.0), pre2022=west, foreign_by_fill={"#880e4f": 3534.0})
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
    assert deepstate.jump_allowance(days) == pytest.approx(share)


def test_a_jump_guard_message_names_the_change_and_the_days() -> None:
    with pytest.raises(RefreshError) as caught:
        deepstate.check_jump(110_000.0, 100_000.0, days=3, source="v", previous_date="2026-08-22")
    assert str(caught.value) == (
        "v: occupied area changes by +10.0% from 2026-08-22 (100,000 → 110,000 km² in 3 days), more than the 2.6% "
        "allowed without DeepState's own figure; check the source and rerun with --force to accept it"
    )
    assert deepstate.check_jump(102_000.0, 100_000.0, days=3, source="v", previous_date="d") == pytest.approx(0.02)


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
    assert deepstate.printable("a\x1b[31mred\r\nb\u202e") == "a\\x1b[31mred\\x0d\\x0ab\\x202e"
    assert len(deepstate.printable("x" * 500)) == 200


def test_the_snapshot_file_holds_the_occupied_area_then_the_grey_zone() -> None:
    parsed = deepstate.Parsed(
        occupied=box(36.0, 47.0, 37.0, 48.0), pre2022=shapely.Polygon(), contested=box(37, 47, 38, 48)
    )
    data = deepstate.snapshot_bytes(parsed, properties={"version_id": "1"})
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
