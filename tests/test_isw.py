"""The ISW adapter (`geo.occupation.isw`) on tiny hand-made layers, and on the real samples where they are present.

The hand-made world: control of terrain = lon 30–31, lat 48–49; assessed advances = lon 30–32, lat 48–49, so the
advances less control of terrain are lon 31–32 (1 square degree).  ISW's data may not be redistributed, so nothing
of it is stored here: the sample tests read ../shared and skip where it is absent.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box, shape

from geo import occupation
from geo.errors import RefreshError
from geo.occupation import isw, reading

SAMPLES = Path(__file__).resolve().parents[2] / "shared/data/occupation/second_sources"
ISW_SAMPLES = SAMPLES / "isw"
ABSENT = "../shared/data/occupation/second_sources absent: the NZZ/ISW samples may not be redistributed; see README"
REPO = Path(__file__).resolve().parents[1]
TO_AREA = Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True)

COT_NAME = "2022-09-05_RussianAssessedCoTinUkraine.geojson"
ADVANCE_NAME = "2022-09-05_RussianAssessedAdvanceinUkraine.geojson"
ALL_NAME = "2023-06-01_all_layers.geojson"
COT_BOX = box(30.0, 48.0, 31.0, 49.0)
ADVANCE_BOX = box(30.0, 48.0, 32.0, 49.0)


def feature(geom: shapely.Geometry | None, **props: Any) -> dict[str, Any]:
    geometry = None if geom is None else json.loads(shapely.to_geojson(geom))
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(*features: dict[str, Any], **extra: Any) -> bytes:
    return json.dumps({"type": "FeatureCollection", **extra, "features": list(features)}).encode()


def cot_file(name: str = COT_NAME, geom: shapely.Geometry = COT_BOX) -> tuple[str, bytes]:
    return name, collection(feature(geom, OBJECTID=1, datetime=1662336000000))


def advance_file(name: str = ADVANCE_NAME) -> tuple[str, bytes]:
    return name, collection(feature(ADVANCE_BOX, FID=1))


def refused(call: Callable[[], object], *words: str) -> str:
    """Run `call`, expect one `RefreshError` line containing every word; return it."""
    with pytest.raises(RefreshError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    return message


def read(*files: tuple[str, bytes], **kwargs: Any) -> occupation.Reading:
    return isw.read(list(files), source="isw files", **kwargs)


def union(features: list[dict[str, Any]], name: str) -> shapely.Geometry:
    return shapely.union_all([shape(f["geometry"]) for f in features if f["properties"]["name"] == name])


def km2(geoms: list[shapely.Geometry]) -> float:
    """Area of the union of lon/lat geometries in EPSG:6933, km² (independent of the module under test)."""
    merged = shapely.make_valid(shapely.union_all([shapely.make_valid(g) for g in geoms]))
    projected = shapely.transform(merged, lambda xy: np.column_stack(TO_AREA.transform(xy[:, 0], xy[:, 1])))
    return float(shapely.area(projected)) / 1e6


# --- the normalisation ---------------------------------------------------------------------------------


def test_control_of_terrain_is_occupied_and_advances_less_it_contested() -> None:
    reading = read(cot_file(), advance_file())
    occupied = union(reading.features, occupation.OCCUPIED_NAME)
    contested = union(reading.features, occupation.CONTESTED_NAME)
    assert shapely.equals(occupied, COT_BOX)
    assert shapely.equals(contested, box(31.0, 48.0, 32.0, 49.0))
    assert shapely.area(contested) == pytest.approx(1.0)
    assert len(reading.features) == 2
    assert reading.date == "2022-09-05"
    assert reading.window is None
    assert reading.leaves_out == ()
    assert reading.counts == {"cot": 1, "advance": 1, "claimed": 0, "other": 0, "no_geometry": 0}
    assert "never counted occupied" in reading.notes
    assert "\n" not in reading.notes


def test_the_files_may_come_in_any_order_and_gzipped() -> None:
    name, data = advance_file()
    gz = (name + ".gz", gzip.compress(data))
    assert read(gz, cot_file()).features == read(cot_file(), advance_file()).features


def test_control_of_terrain_alone_has_no_contested_class() -> None:
    reading = read(cot_file())
    assert [f["properties"]["name"] for f in reading.features] == [occupation.OCCUPIED_NAME]
    assert reading.counts["advance"] == 0


def test_an_advance_inside_control_of_terrain_adds_nothing() -> None:
    inside = (ADVANCE_NAME, collection(feature(box(30.2, 48.2, 30.8, 48.8))))
    assert read(cot_file(), inside).features == read(cot_file()).features


def test_an_all_layers_file_reads_its_layers_by_name_and_counts_what_it_ignores() -> None:
    data = collection(
        feature(COT_BOX, layer="VIEW_RussiaCoTinUkraine_V3"),
        feature(box(30.0, 47.0, 31.0, 48.0), layer="VIEW_RussiaCoTinUkraine_V12"),  # another version
        feature(ADVANCE_BOX, layer="MDS_AssessedRussianAdvanceInUkraine_view"),
        feature(None, layer="MDS_AssessedRussianAdvanceInUkraine_view"),
        feature(box(33.0, 48.0, 34.0, 49.0), layer="VIEW_ClaimedRussianTerritoryinUkraine_V2"),
        feature(shapely.Point(35.0, 48.0), layer="VIEW_ClaimedUkrainianCounteroffensives_V2"),
        feature(box(35.0, 48.0, 36.0, 49.0), layer="VIEW_Frontline_V1"),
        feature(None, layer="VIEW_ClaimedRussianTerritoryinUkraine_V2"),
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
    )
    reading = read((ALL_NAME, data))
    assert reading.date == "2023-06-01"
    assert shapely.equals(union(reading.features, occupation.OCCUPIED_NAME), box(30.0, 47.0, 31.0, 49.0))
    assert shapely.equals(union(reading.features, occupation.CONTESTED_NAME), box(31.0, 48.0, 32.0, 49.0))
    assert reading.counts == {"cot": 2, "advance": 2, "claimed": 3, "other": 1, "no_geometry": 1}


@pytest.mark.parametrize("crs", ["EPSG:4326", "urn:ogc:def:crs:OGC::CRS84", "urn:ogc:def:crs:EPSG::4326"])
def test_lon_lat_crs_names_are_accepted(crs: str) -> None:
    data = collection(feature(COT_BOX), crs={"type": "name", "properties": {"name": crs}})
    assert read((COT_NAME, data)).date == "2022-09-05"


def test_leaves_out_is_measured_against_the_pre2022_area_when_given() -> None:
    pre2022 = box(31.0, 48.0, 32.0, 49.0)
    assert read(cot_file(), pre2022=pre2022).leaves_out == (occupation.LEAVES_OUT_PRE2022,)  # covers 0 of it
    covering = cot_file(geom=box(30.0, 48.0, 32.0, 49.0))
    assert read(covering, pre2022=pre2022).leaves_out == ()  # covers all of it
    assert isw.covers_pre2022(box(30.0, 48.0, 31.5, 49.0), pre2022) == pytest.approx(0.5, rel=1e-3)


# --- refusals ----------------------------------------------------------------------------------------------


def test_files_of_different_dates_are_refused() -> None:
    other = advance_file("2022-09-08_RussianAssessedAdvanceinUkraine.geojson")
    refused(lambda: read(cot_file(), other), "isw files", "different dates", "2022-09-05, 2022-09-08")


@pytest.mark.parametrize(
    "names",
    [
        [ADVANCE_NAME],
        [COT_NAME, COT_NAME + ".gz"],
        ["2022-09-05_all_layers.geojson", COT_NAME],
        [COT_NAME, ADVANCE_NAME, ADVANCE_NAME],
        [],
    ],
)
def test_a_wrong_set_of_files_is_refused(names: list[str]) -> None:
    files = [(name, collection(feature(COT_BOX))) for name in names]
    refused(lambda: read(*files), "isw files", "got the layer files")


@pytest.mark.parametrize(
    "name", ["cot.geojson", "2022-09-05_RussianAssessedCoT.geojson", "2022-02-30_all_layers.geojson"]
)
def test_a_file_not_named_as_an_isw_layer_is_refused(name: str) -> None:
    refused(lambda: read((name, collection(feature(COT_BOX)))), "not named as an ISW layer file", "rename it")


def test_a_file_without_control_of_terrain_names_the_layers_it_has() -> None:
    data = collection(
        feature(ADVANCE_BOX, layer="MDS_AssessedRussianAdvanceInUkraine_view"),
        feature(COT_BOX, layer="VIEW_ClaimedRussianTerritoryinUkraine_V2"),
        feature(None, layer="VIEW_RussiaCoTinUkraine_V3"),
    )
    refused(
        lambda: read((ALL_NAME, data)),
        "no assessed control of terrain",
        "MDS_AssessedRussianAdvanceInUkraine_view, VIEW_ClaimedRussianTerritoryinUkraine_V2, VIEW_RussiaCoTinUkraine_V3",
    )
    refused(lambda: read((COT_NAME, collection())), "no assessed control of terrain", "it has: no features")


def test_a_feature_without_a_layer_in_an_all_layers_file_is_refused() -> None:
    refused(lambda: read((ALL_NAME, collection(feature(COT_BOX)))), "feature 1 has no layer")


def test_a_layer_contradicting_the_file_name_is_refused() -> None:
    data = collection(feature(ADVANCE_BOX, layer="MDS_AssessedRussianAdvanceInUkraine_view"))
    refused(lambda: read((COT_NAME, data)), "contradicts the file name's RussianAssessedCoTinUkraine")


@pytest.mark.parametrize("crs", ["EPSG:3857", "urn:ogc:def:crs:EPSG::32636"])
def test_a_crs_other_than_lon_lat_is_refused(crs: str) -> None:
    data = collection(feature(COT_BOX), crs={"type": "name", "properties": {"name": crs}})
    refused(lambda: read((COT_NAME, data)), f"its crs is '{crs}'", "reproject it to CRS84")
    refused(lambda: read((COT_NAME, collection(feature(COT_BOX), crs="EPSG:4326"))), "its crs is 'null'")


def test_coordinates_outside_lon_lat_are_refused() -> None:
    metres = box(3_339_584.7, 6_106_854.8, 3_450_904.2, 6_274_861.4)  # lon 30–31, lat 48–49 in Web Mercator
    refused(lambda: read(cot_file(geom=metres)), "outside longitude", "CRS84")


@pytest.mark.parametrize("geom", [shapely.Point(30.5, 48.5), shapely.LineString([(30, 48), (31, 49)])])
def test_a_geometry_that_is_not_a_polygon_is_refused(geom: shapely.Geometry) -> None:
    refused(
        lambda: read((COT_NAME, collection(feature(geom)))), "feature 1's geometry", "not a Polygon or MultiPolygon"
    )


@pytest.mark.parametrize("position", [b'["31", 48.0]', b"[NaN, 48.0]", b"[true, 48.0]", b"[1e400, 48.0]"])
def test_coordinates_that_are_not_finite_numbers_are_refused(position: bytes) -> None:
    good = collection(feature(COT_BOX))
    assert b"[31.0, 48.0]" in good
    data = good.replace(b"[31.0, 48.0]", position)
    refused(lambda: read((COT_NAME, data)), "not pairs of finite numbers")


def test_a_layer_or_properties_of_the_wrong_type_are_refused() -> None:
    refused(lambda: read((ALL_NAME, collection(feature(COT_BOX, layer=3)))), "layer is a number")
    bad = {"type": "Feature", "properties": ["layer"], "geometry": None}
    refused(lambda: read((ALL_NAME, collection(bad))), "properties are a list")


@pytest.mark.parametrize("data", [b"not json", b"[]", b'{"type": "Feature"}', b'{"type": "FeatureCollection"}'])
def test_not_a_feature_collection_is_refused(data: bytes) -> None:
    refused(lambda: read((COT_NAME, data)), "isw files")


def test_an_nzz_file_is_refused_with_a_pointer_to_its_source() -> None:
    nzz_data = json.dumps(
        {
            "value": {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"type": "nochange", "_datefrom": "2022-09-01", "_dateto": "2022-09-04"},
                        "geometry": json.loads(shapely.to_geojson(COT_BOX)),
                    }
                ],
            }
        }
    ).encode()
    refused(lambda: read(("2022-09-05.json", nzz_data)), "looks like an NZZ file", "--source nzz")
    refused(lambda: read(("2022-09-05.json.gz", gzip.compress(nzz_data))), "--source nzz")
    refused(lambda: read((COT_NAME, nzz_data)), "looks like an NZZ file", "--source nzz")


def test_a_deepstate_file_is_refused_with_a_pointer_to_its_source() -> None:
    data = collection(feature(COT_BOX, name="Окуповано /// Occupied /// geoJSON.status.occupied"))
    refused(lambda: read((COT_NAME, data)), "looks like a DeepStateMap file")
    refused(lambda: read(("deepstate.geojson", data)), "looks like a DeepStateMap file")


def test_a_gzip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "unpack", functools.partial(occupation.unpack, limit=1024 * 1024))
    bomb = gzip.compress(b" " * (3 * 1024 * 1024))
    refused(lambda: read((COT_NAME + ".gz", bomb)), "isw files", "unpacks to more than 1 MiB")


def test_too_many_vertices_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isw, "MAX_VERTICES", 9)
    refused(lambda: read(cot_file(), advance_file()), "more than 9 polygon vertices")  # 2 boxes of 5 positions


def test_the_plausible_area_refuses_the_whole_country() -> None:
    low, high = isw.PLAUSIBLE_KM2
    for wrong in (603_628.0, 750_000.0, 0.0):
        assert not low <= wrong <= high


# --- a folder of dated files -----------------------------------------------------------------------------


def test_dated_files_groups_each_dates_layers(tmp_path: Path) -> None:
    for name in (ADVANCE_NAME + ".gz", COT_NAME, "2022-04-10_RussianAssessedCoTinUkraine.geojson.gz", ALL_NAME):
        (tmp_path / name).write_bytes(b"{}")
    (tmp_path / ".hidden").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    assert isw.dated_files(tmp_path) == [
        ("2022-04-10", (tmp_path / "2022-04-10_RussianAssessedCoTinUkraine.geojson.gz",)),
        ("2022-09-05", (tmp_path / COT_NAME, tmp_path / (ADVANCE_NAME + ".gz"))),
        ("2023-06-01", (tmp_path / ALL_NAME,)),
    ]


def test_other_files_are_refused_in_one_error(tmp_path: Path) -> None:
    for name in (COT_NAME, "2022-09-05_ClaimedRussianTerritoryinUkraine.geojson", "readme.txt"):
        (tmp_path / name).write_bytes(b"{}")
    refused(
        lambda: isw.dated_files(tmp_path), "2 files", "2022-09-05_ClaimedRussianTerritoryinUkraine.geojson, readme.txt"
    )


@pytest.mark.parametrize(
    ("names", "words"),
    [
        ([COT_NAME, COT_NAME + ".gz"], ("two files of one date and layer",)),
        ([COT_NAME, "2022-09-05_all_layers.geojson"], ("an all-layers file beside", "2022-09-05")),
        ([ADVANCE_NAME], ("no RussianAssessedCoTinUkraine file of 2022-09-05",)),
        ([], ("no ISW layer files",)),
    ],
)
def test_a_folder_with_a_wrong_set_of_files_is_refused(
    tmp_path: Path, names: list[str], words: tuple[str, ...]
) -> None:
    for name in names:
        (tmp_path / name).write_bytes(b"{}")
    refused(lambda: isw.dated_files(tmp_path), str(tmp_path), *words)


def test_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "target").write_bytes(b"{}")
    folder = tmp_path / "isw"
    folder.mkdir()
    (folder / COT_NAME).symlink_to(tmp_path / "target")
    refused(lambda: isw.dated_files(folder), "symbolic links", COT_NAME)


# --- the real samples --------------------------------------------------------------------------------------


def sample_dates() -> list[tuple[str, tuple[Path, ...]]]:
    if not ISW_SAMPLES.is_dir():
        pytest.skip(ABSENT)
    return isw.dated_files(ISW_SAMPLES)


def sample_cot(paths: tuple[Path, ...]) -> list[shapely.Geometry]:
    """The control-of-terrain geometries of a date's files, read with json + shapely only."""
    out: list[shapely.Geometry] = []
    for path in paths:
        collection = json.loads(gzip.decompress(path.read_bytes()))
        for feat in collection["features"]:
            layer = feat["properties"].get("layer", "VIEW_RussiaCoTinUkraine_V3" if "CoT" in path.name else "")
            if layer == "VIEW_RussiaCoTinUkraine_V3" and feat["geometry"]:
                out.append(shape(feat["geometry"]))
    return out


def pre2022() -> shapely.Geometry:
    layer = json.loads((REPO / "layers/occupation/deepstate_pre2022_occupied.geojson").read_text())
    return shapely.union_all([shapely.make_valid(shape(f["geometry"])) for f in layer["features"]])


def test_every_sample_date_reads_includes_the_pre2022_area_and_is_plausible() -> None:
    dates = sample_dates()
    assert [day for day, _ in dates] == [
        "2022-04-10", "2022-05-15", "2022-09-05", "2022-09-08", "2022-09-11", "2022-09-14", "2022-09-20",
        "2022-09-30", "2023-06-01",
    ]  # fmt: skip
    before = pre2022()
    low, high = isw.PLAUSIBLE_KM2
    areas = {}
    for day, paths in dates:
        reading = isw.read([(p.name, p.read_bytes()) for p in paths], source=day, pre2022=before)
        assert reading.date == day
        assert reading.leaves_out == ()
        areas[day] = km2(sample_cot(paths))
        assert km2(
            [shape(f["geometry"]) for f in reading.features if f["properties"]["name"] == occupation.OCCUPIED_NAME]
        ) == pytest.approx(areas[day], rel=1e-9)
        assert low <= areas[day] <= high
        # the module's docstring: control of terrain covers 97.1–99.3 % of DeepState's pre-2022 area
        covered = km2([shapely.intersection(shapely.union_all(sample_cot(paths)), before)]) / km2([before])
        assert 0.97 < covered < 0.995
    assert min(areas.values()) == pytest.approx(101_147, abs=1)
    assert max(areas.values()) == pytest.approx(120_444, abs=1)


def test_the_kharkiv_counteroffensive_shrinks_control_of_terrain() -> None:
    dates = dict(sample_dates())
    before, after = km2(sample_cot(dates["2022-09-05"])), km2(sample_cot(dates["2022-09-11"]))
    assert before - after == pytest.approx(7_500, abs=10)  # 120,444 → 112,944 km²
    readings = [
        isw.read([(p.name, p.read_bytes()) for p in dates[day]], source=day) for day in ("2022-09-05", "2022-09-11")
    ]
    occupied = [union(r.features, occupation.OCCUPIED_NAME) for r in readings]
    assert km2([shapely.difference(occupied[0], occupied[1])]) > 7_000


def test_the_all_layers_sample_counts_its_layers() -> None:
    paths = dict(sample_dates())["2023-06-01"]
    reading = isw.read([(p.name, p.read_bytes()) for p in paths], source="2023-06-01")
    assert reading.counts == {"cot": 6, "advance": 24, "claimed": 68, "other": 0, "no_geometry": 4}


def test_an_nzz_sample_is_refused_as_isw() -> None:
    sample_dates()
    path = SAMPLES / "nzz" / "2022-09-05.json.gz"
    refused(lambda: isw.read([(path.name, path.read_bytes())], source=path.name), "--source nzz")


def test_a_crs_name_that_is_not_text_is_refused_with_its_type() -> None:
    data = collection(feature(COT_BOX), crs={"type": "name", "properties": {"name": {"a": 1}}})
    refused(lambda: read((COT_NAME, data)), "its crs is 'an object'", "reproject it to CRS84")
