"""The NZZ adapter (`geo.occupation.nzz`) on tiny hand-made files, and on the real samples where they are present.

The hand-made world: unit squares in lon/lat near Donetsk (lon 36–38, lat 47–48).  NZZ's data may not be
redistributed, so nothing of it is stored here: the sample tests read ../shared and skip where it is absent.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from geo import occupation
from geo.errors import RefreshError
from geo.occupation import nzz, reading

SAMPLES = Path(__file__).resolve().parents[2] / "shared/data/occupation/second_sources"
NZZ_SAMPLES = SAMPLES / "nzz"
ABSENT = "../shared/data/occupation/second_sources absent: the NZZ/ISW samples may not be redistributed; see README"
TO_AREA = Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True)

SQUARE_A = [[[36.0, 47.0], [37.0, 47.0], [37.0, 48.0], [36.0, 48.0], [36.0, 47.0]]]
SQUARE_B = [[[37.0, 47.0], [38.0, 47.0], [38.0, 48.0], [37.0, 48.0], [37.0, 47.0]]]
SQUARE_C = [[[36.0, 46.0], [37.0, 46.0], [37.0, 47.0], [36.0, 47.0], [36.0, 46.0]]]


def nzz_feature(
    kind: str, geometry: Any, *, start: str = "2026-08-17", end: str = "2026-08-21", **extra: Any
) -> dict[str, Any]:
    props: dict[str, Any] = {"type": kind, "date": end, "_datefrom": start, "_dateto": end, "view": "daily"}
    props.update(extra)
    return {"type": "Feature", "properties": props, "geometry": geometry}


def polygon(rings: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": rings}


def payload(*features: dict[str, Any]) -> bytes:
    return json.dumps({"value": {"type": "FeatureCollection", "features": list(features)}}).encode()


def world() -> bytes:
    """Nochange = squares A and B (a MultiPolygon), gains = square C, losses = square C again."""
    return payload(
        nzz_feature("nochange", {"type": "MultiPolygon", "coordinates": [SQUARE_A, SQUARE_B]}),
        nzz_feature("gains", polygon(SQUARE_C)),
        nzz_feature("losses", polygon(SQUARE_C)),
    )


def refused(call: Callable[[], object], *words: str) -> str:
    """Run `call`, expect one `RefreshError` line containing every word; return it."""
    with pytest.raises(RefreshError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    return message


def read_one(data: bytes, name: str = "2026-08-22.json") -> occupation.Reading:
    return nzz.read([(name, data)], source=name)


def km2(geoms: list[shapely.Geometry]) -> float:
    """Area of the union of lon/lat geometries in EPSG:6933, km² (independent of the module under test)."""
    merged = shapely.make_valid(shapely.union_all([shapely.make_valid(g) for g in geoms]))
    projected = shapely.transform(merged, lambda xy: np.column_stack(TO_AREA.transform(xy[:, 0], xy[:, 1])))
    return float(shapely.area(projected)) / 1e6


# --- the normalisation ---------------------------------------------------------------------------


def test_occupied_is_nochange_and_gains_one_feature_per_polygon_losses_dropped() -> None:
    reading = read_one(world())
    assert [f["properties"] for f in reading.features] == [{"name": occupation.OCCUPIED_NAME}] * 3
    assert [f["geometry"] for f in reading.features] == [polygon(SQUARE_A), polygon(SQUARE_B), polygon(SQUARE_C)]
    assert reading.counts == {"nochange": 1, "gains": 1, "losses": 1}
    assert reading.date == "2026-08-22"
    assert reading.window == ("2026-08-17", "2026-08-21")
    assert reading.leaves_out == (occupation.LEAVES_OUT_PRE2022,)
    assert "dropped 1 losses" in reading.notes
    assert "\n" not in reading.notes


def test_a_gzipped_file_reads_the_same() -> None:
    assert read_one(gzip.compress(world()), "2026-08-22.json.gz") == read_one(world())


def test_z_is_dropped_and_integers_are_numbers() -> None:
    ring = [[36, 47, 100.0], [37, 47, 0], [37, 48, 0], [36, 48, 0], [36, 47, 0]]
    reading = read_one(payload(nzz_feature("nochange", polygon([ring]))))
    assert reading.features[0]["geometry"]["coordinates"] == SQUARE_A


def test_without_a_date_in_its_name_the_snapshot_is_of_the_features_date() -> None:
    assert read_one(world(), "nzz_download.json").date == "2026-08-21"


def test_the_window_spans_every_feature() -> None:
    data = payload(
        nzz_feature("nochange", polygon(SQUARE_A), start="2026-08-10", end="2026-08-12"),
        nzz_feature("gains", polygon(SQUARE_B), start="2026-08-11", end="2026-08-20"),
    )
    assert read_one(data).window == ("2026-08-10", "2026-08-20")


@pytest.mark.parametrize(
    ("name", "ok"),
    [("2026-08-29.json", True), ("2026-09-05.json", False), ("2026-08-20.json", True), ("2026-08-19.json", False)],
)
def test_the_features_date_may_lie_up_to_14_days_before_the_file_and_one_after(name: str, ok: bool) -> None:
    # the features' date is 2026-08-21: 8 days before 08-29 (ok), 15 before 09-05, one after 08-20, two after 08-19
    if ok:
        assert read_one(world(), name).date == name[:10]
    else:
        refused(lambda: read_one(world(), name), name, "contradicts the file name's")


def test_a_name_with_an_impossible_date_is_refused() -> None:
    refused(lambda: read_one(world(), "2026-02-30.json"), "2026-02-30", "not a calendar date")


def test_a_window_of_40_days_is_refused_and_of_14_accepted() -> None:
    assert nzz.MAX_WINDOW_DAYS < 40
    long = payload(nzz_feature("nochange", polygon(SQUARE_A), start="2026-07-12", end="2026-08-21"))
    refused(lambda: read_one(long), "2026-08-22.json", "40 days", "more than the 14")
    edge = payload(nzz_feature("nochange", polygon(SQUARE_A), start="2026-08-07", end="2026-08-21"))
    assert read_one(edge).window == ("2026-08-07", "2026-08-21")


def test_a_feature_date_outside_its_window_or_not_a_date_is_refused() -> None:
    outside = payload(nzz_feature("nochange", polygon(SQUARE_A), date="2026-08-01"))
    refused(lambda: read_one(outside), "outside its window")
    bad = payload(nzz_feature("nochange", polygon(SQUARE_A), _datefrom="2026-02-30"))
    refused(lambda: read_one(bad), "_datefrom", "not a YYYY-MM-DD date")
    backwards = payload(nzz_feature("nochange", polygon(SQUARE_A), start="2026-08-21", end="2026-08-17"))
    refused(lambda: read_one(backwards), "outside its window")


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 2])
def test_exactly_one_file_is_read(count: int) -> None:
    files = [("2026-08-22.json", world())] * count
    refused(lambda: nzz.read(files, source="nzz files"), "nzz files", "exactly one file", f"got {count}")


def test_not_json_is_refused() -> None:
    refused(lambda: read_one(b"<html>Too many requests</html>"), "2026-08-22.json", "not JSON")
    refused(lambda: read_one(b"\xff\xfe\x00garbage"), "not JSON")
    refused(lambda: read_one(b"[" * 100_000), "not JSON")


@pytest.mark.parametrize(
    "data",
    [
        b"[]",
        b'{"value": []}',
        b'{"type": "FeatureCollection", "features": []}',
        b'{"value": {"type": "FeatureCollection", "features": {}}}',
    ],
)
def test_another_shape_is_refused(data: bytes) -> None:
    refused(lambda: read_one(data), "2026-08-22.json", "not NZZ's shape")


def test_an_isw_file_is_refused_with_a_pointer_to_its_source() -> None:
    isw_like = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"layer": "VIEW_RussiaCoTinUkraine_V3"}, "geometry": polygon(SQUARE_A)}
        ],
    }
    refused(lambda: read_one(json.dumps(isw_like).encode(), "cot.geojson"), "looks like an ISW file", "--source isw")
    by_name = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"FID": 1}, "geometry": None}],
    }
    name = "2022-09-05_RussianAssessedCoTinUkraine.geojson"
    refused(lambda: read_one(json.dumps(by_name).encode(), name), "--source isw")


def test_a_deepstate_file_is_refused_with_a_pointer_to_its_source() -> None:
    feature = {
        "type": "Feature",
        "properties": {"name": "Occupied /// geoJSON.status.occupied"},
        "geometry": polygon(SQUARE_A),
    }
    plain = {"type": "FeatureCollection", "features": [feature]}
    refused(lambda: read_one(json.dumps(plain).encode(), "map.geojson"), "looks like a DeepStateMap file")
    history = {"id": 1, "datetime": "2026-08-22", "map": plain}
    refused(lambda: read_one(json.dumps(history).encode(), "last.json"), "looks like a DeepStateMap file")


def test_a_file_without_an_occupied_feature_is_refused() -> None:
    refused(lambda: read_one(payload()), "2026-08-22.json", "no occupied feature")
    refused(lambda: read_one(payload(nzz_feature("losses", polygon(SQUARE_A)))), "no occupied feature")
    empty = payload(nzz_feature("nochange", {"type": "MultiPolygon", "coordinates": []}))
    refused(lambda: read_one(empty), "no occupied feature")


def test_an_unknown_type_is_refused() -> None:
    data = payload(nzz_feature("nochange", polygon(SQUARE_A)), nzz_feature("frontline", polygon(SQUARE_B)))
    refused(lambda: read_one(data), "feature 2", "unknown type 'frontline'")


@pytest.mark.parametrize(
    ("geometry", "words"),
    [
        ({"type": "Point", "coordinates": [36.5, 47.5]}, ("a Point", "not a Polygon or MultiPolygon")),
        ({"type": "LineString", "coordinates": [[36, 47], [37, 48]]}, ("a LineString",)),
        (None, ("null", "not a Polygon")),
        ([1, 2], ("a list", "not a Polygon")),
        ({"type": "Polygon", "coordinates": "36 47"}, ("coordinates that are a string",)),
        ({"type": "Polygon", "coordinates": [[[36, 47], [37, 47], [36, 47]]]}, ("fewer than 4",)),
        ({"type": "Polygon", "coordinates": [5]}, ("a ring that is a number",)),
    ],
)
def test_a_geometry_that_is_not_a_polygon_is_refused(geometry: Any, words: tuple[str, ...]) -> None:
    refused(lambda: read_one(payload(nzz_feature("nochange", geometry))), "2026-08-22.json", "feature 1", *words)


@pytest.mark.parametrize(
    "position",
    ['["36", 47]', "[true, 47]", "[NaN, 47]", "[Infinity, 47]", "[36]", "[null, 47]", "[1e400, 47]"],
)
def test_coordinates_that_are_not_finite_numbers_are_refused(position: str) -> None:
    ring = f"[{position}, [37, 47], [37, 48], [36, 48], [36, 47]]"
    data = payload(nzz_feature("nochange", polygon(SQUARE_A))).replace(json.dumps(SQUARE_A[0]).encode(), ring.encode())
    refused(lambda: read_one(data), "not pairs of finite numbers")


def test_coordinates_outside_lon_lat_are_refused() -> None:
    metres = [
        [[4_000_000.0, 6_000_000.0], [4_100_000.0, 6_000_000.0], [4_100_000.0, 6_100_000.0], [4_000_000.0, 6_000_000.0]]
    ]
    refused(lambda: read_one(payload(nzz_feature("nochange", polygon(metres)))), "outside longitude", "CRS84")


@pytest.mark.parametrize(
    ("key", "value"),
    [("type", 5), ("_dateto", 20260821), ("_datefrom", None), ("date", ["2026-08-21"]), ("view", True)],
)
def test_properties_that_are_not_text_are_refused(key: str, value: Any) -> None:
    feature = nzz_feature("nochange", polygon(SQUARE_A))
    feature["properties"][key] = value
    refused(lambda: read_one(payload(feature)), f"feature 1's {key}", "not a string")


def test_a_feature_or_properties_of_the_wrong_type_are_refused() -> None:
    refused(lambda: read_one(payload("feature")), "feature 1 is a string")  # type: ignore[arg-type]
    bare = {"type": "Feature", "properties": None, "geometry": polygon(SQUARE_A)}
    refused(lambda: read_one(payload(bare)), "properties are null")


def test_a_gzip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "unpack", functools.partial(occupation.unpack, limit=1024 * 1024))
    bomb = gzip.compress(b" " * (3 * 1024 * 1024))
    refused(lambda: read_one(bomb, "2026-08-22.json.gz"), "2026-08-22.json.gz", "unpacks to more than 1 MiB")


def test_a_gzip_bomb_is_refused_at_the_real_limit() -> None:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as fh:
        chunk = b" " * (8 * 1024 * 1024)
        for _ in range(occupation.UNPACKED_MAX_BYTES // len(chunk) + 1):
            fh.write(chunk)
    bomb = out.getvalue()
    assert len(bomb) < 2 * 1024 * 1024
    refused(lambda: read_one(bomb, "2026-08-22.json.gz"), "unpacks to more than 200 MiB")


def test_a_damaged_gzip_is_refused() -> None:
    refused(lambda: read_one(gzip.compress(world())[:-20], "2026-08-22.json.gz"), "damaged gzip")


def test_too_many_vertices_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nzz, "MAX_VERTICES", 9)
    refused(lambda: read_one(world()), "more than 9 polygon vertices")  # 3 polygons of 5 positions


def test_control_characters_in_names_and_values_are_escaped() -> None:
    data = payload(nzz_feature("nochange", polygon(SQUARE_A)), nzz_feature("bad\nline", polygon(SQUARE_B)))
    message = refused(lambda: nzz.read([("x\n.json", data)], source="x\n.json"), "x\\x0a.json", "bad\\x0aline")
    assert "\n" not in message


def test_the_plausible_area_refuses_the_corrupt_week_and_the_whole_country() -> None:
    low, high = nzz.PLAUSIBLE_KM2
    for wrong in (603_628.0, 750_000.0, 0.0):
        assert not low <= wrong <= high
    assert high < 603_628.0


# --- a folder of dated files -------------------------------------------------------------------------


def test_dated_files_sorted_by_date_hidden_files_and_subfolders_ignored(tmp_path: Path) -> None:
    for name in ("2022-09-02.json.gz", "2022-09-01.json", "2023-06-01.json"):
        (tmp_path / name).write_bytes(b"{}")
    (tmp_path / ".DS_Store").write_bytes(b"")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "notes.txt").write_text("ignored")
    assert nzz.dated_files(tmp_path) == [
        ("2022-09-01", (tmp_path / "2022-09-01.json",)),
        ("2022-09-02", (tmp_path / "2022-09-02.json.gz",)),
        ("2023-06-01", (tmp_path / "2023-06-01.json",)),
    ]


def test_other_files_are_refused_naming_up_to_ten(tmp_path: Path) -> None:
    (tmp_path / "2022-09-01.json").write_bytes(b"{}")
    for number in range(12):
        (tmp_path / f"notes{number:02d}.txt").write_text("x")
    message = refused(
        lambda: nzz.dated_files(tmp_path), str(tmp_path), "12 files", "notes00.txt", "notes09.txt", "and 2 more"
    )
    assert "notes10.txt" not in message


@pytest.mark.parametrize("name", ["2022-02-30.json", "2022-09-01.geojson", "20220901.json", "2022-09-01.json.zip"])
def test_a_name_that_is_not_a_dated_nzz_file_is_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"{}")
    refused(lambda: nzz.dated_files(tmp_path), name, "YYYY-MM-DD.json")


def test_two_files_of_one_date_are_refused(tmp_path: Path) -> None:
    (tmp_path / "2022-09-01.json").write_bytes(b"{}")
    (tmp_path / "2022-09-01.json.gz").write_bytes(b"{}")
    refused(lambda: nzz.dated_files(tmp_path), "two files of one date", "2022-09-01.json, 2022-09-01.json.gz")


def test_symbolic_links_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_bytes(b"{}")
    folder = tmp_path / "nzz"
    folder.mkdir()
    (folder / "2022-09-01.json").symlink_to(target)
    refused(lambda: nzz.dated_files(folder), "symbolic links", "2022-09-01.json", "copy")


def test_an_empty_folder_or_a_file_is_refused(tmp_path: Path) -> None:
    refused(lambda: nzz.dated_files(tmp_path), "no NZZ files")
    refused(lambda: nzz.dated_files(tmp_path / "missing"), "not a folder")


# --- the real samples ---------------------------------------------------------------------------------


def samples() -> list[Path]:
    if not NZZ_SAMPLES.is_dir():
        pytest.skip(ABSENT)
    return sorted(NZZ_SAMPLES.glob("*.json.gz"))


def occupied_geoms(data: bytes) -> list[shapely.Geometry]:
    """The nochange and gains geometries of an NZZ file, read with json + shapely only."""
    features = json.loads(gzip.decompress(data))["value"]["features"]
    return [shape(f["geometry"]) for f in features if f["properties"]["type"] in ("nochange", "gains")]


def test_every_sample_reads_and_its_area_is_plausible() -> None:
    paths = samples()
    assert len(paths) == 42
    assert [day for day, _ in nzz.dated_files(NZZ_SAMPLES)] == [p.name[:10] for p in paths]
    low, high = nzz.PLAUSIBLE_KM2
    areas = {}
    for path in paths:
        data = path.read_bytes()
        reading = nzz.read([(path.name, data)], source=path.name)
        assert reading.date == path.name[:10]
        assert reading.window is not None
        assert reading.window[1] <= reading.date
        areas[reading.date] = km2(occupied_geoms(data))
        assert km2([shape(f["geometry"]) for f in reading.features]) == pytest.approx(areas[reading.date], rel=1e-9)
        assert low <= areas[reading.date] <= high
    # the measurements the module's comment states
    assert min(areas.values()) == pytest.approx(71_080, abs=1)
    assert max(areas.values()) == pytest.approx(126_493, abs=1)


def test_the_sample_of_2026_08_22_covers_about_74_300_km2() -> None:
    samples()
    data = (NZZ_SAMPLES / "2026-08-22.json.gz").read_bytes()
    reading = nzz.read([("2026-08-22.json.gz", data)], source="2026-08-22.json.gz")
    assert reading.window == ("2026-08-17", "2026-08-21")
    assert reading.counts == {"nochange": 1, "gains": 0, "losses": 1}
    assert km2([shape(f["geometry"]) for f in reading.features]) == pytest.approx(74_300, rel=0.001)


def test_the_samples_windows_are_within_the_limit() -> None:
    spans = []
    for path in samples():
        window = nzz.read([(path.name, path.read_bytes())], source=path.name).window
        assert window is not None
        spans.append((np.datetime64(window[1]) - np.datetime64(window[0])).astype(int))
    assert max(spans) == 9 <= nzz.MAX_WINDOW_DAYS


def test_an_isw_sample_is_refused_as_nzz() -> None:
    samples()
    path = SAMPLES / "isw" / "2023-06-01_all_layers.geojson.gz"
    refused(lambda: nzz.read([(path.name, path.read_bytes())], source=path.name), "--source isw")


def test_a_file_dated_at_the_end_of_the_calendar_is_refused_with_one_line() -> None:
    refused(lambda: nzz.read([("9999-12-31.json", world())], source="9999-12-31.json"), "out of range")


def test_a_fifo_in_the_folder_is_refused_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "2026-08-22.json").write_bytes(world())
    os.mkfifo(tmp_path / "2026-08-21.json")
    refused(lambda: nzz.dated_files(tmp_path), "not regular files", "2026-08-21.json")
