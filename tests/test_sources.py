"""Reading layers into canonical frames."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from geo import schema, sources, style
from geo.errors import SourceError
from tests.conftest import SHIPPED_LAYERS


def test_read_oblasts_is_indexed_by_code(tiny_layers: Path) -> None:
    oblasts = sources.read_oblasts(tiny_layers / schema.OBLASTS_FILE)
    assert list(oblasts.index) == ["UA14", "UA35", "UA23"]
    assert oblasts.index.name == schema.REGION_ID
    assert oblasts.loc["UA14", "name_en"] == "Donetsk Oblast"
    assert set(oblasts["level"]) == {"oblast"}
    assert oblasts.attrs["source"] == str(tiny_layers / schema.OBLASTS_FILE)


def test_read_raions_and_hromadas_name_their_parents(tiny_layers: Path) -> None:
    raions = sources.read_raions(tiny_layers / schema.RAIONS_FILE)
    assert raions.loc["UA1416", "name_en"] == "Pokrovskyi Raion"
    assert raions.loc["UA1416", "parent_id"] == "UA14"
    hromadas = sources.read_hromadas(tiny_layers / schema.HROMADAS_FILE)
    assert hromadas.loc["UA1416021", "parent_id"] == "UA1416"
    city = sources.read_city(tiny_layers / schema.POKROVSK_FILE)
    assert list(city.index) == [schema.POKROVSK_CITY_ID]
    assert city.loc[schema.POKROVSK_CITY_ID, "parent_id"] == schema.POKROVSK_HROMADA_ID


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.geojson"
    with pytest.raises(SourceError) as err:
        sources.read_oblasts(path)
    assert str(err.value) == (
        f"{path}: file not found; restore it from the repository or pass --layers DIR with a complete layers folder"
    )


def test_missing_column_names_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "deposits.csv"
    path.write_text("id,name_en\nX,Y\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"deposits.csv: missing column\(s\) name_uk, commodities, "):
        sources.read_deposits(path)


def test_unreadable_vector_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(SourceError, match=r"broken.geojson: cannot read it as a vector layer"):
        sources.read_vector(path)


def test_deposit_points_keep_records_without_coordinates(tiny_layers: Path) -> None:
    records = sources.read_deposits(tiny_layers / schema.DEPOSITS_FILE)
    points = sources.deposit_points(records, oblast_ids=pd.Series(["UA14"] * len(records)))
    assert len(points) == len(records) == 6
    assert points.loc["D4", "location_known"] is False or not points.loc["D4", "location_known"]
    assert points.geometry["D4"] is None
    assert points.geometry["D1"].x == pytest.approx(31.6)
    assert points.geometry["D1"].y == pytest.approx(48.5)
    assert points.loc["D3", "commodity_list"] == ("lithium", "tantalum")


def test_find_snapshot_newest_or_named(tmp_path: Path) -> None:
    for date in ("2026-08-22", "2025-01-31"):
        (tmp_path / f"{schema.SNAPSHOT_PREFIX}{date}.geojson").write_text("{}", encoding="utf-8")
    (tmp_path / f"{schema.SNAPSHOT_PREFIX}latest.geojson").write_text("{}", encoding="utf-8")
    assert sources.find_snapshot(tmp_path)[0] == "2026-08-22"
    assert sources.find_snapshot(tmp_path, date="2025-01-31")[0] == "2025-01-31"
    with pytest.raises(SourceError) as err:
        sources.find_snapshot(tmp_path, date="2024-01-01")
    assert str(err.value) == f"{tmp_path}: no occupation snapshot for 2024-01-01; available: 2025-01-31, 2026-08-22"


def test_no_snapshot_at_all(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no occupation snapshot"):
        sources.find_snapshot(tmp_path)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Donetsk", "UA14"),
        ("Donetska", "UA14"),
        ("Donets'k", "UA14"),
        ("Donetsk Oblast", "UA14"),
        ("Донецька область", "UA14"),
        ("Zaporizhzhia", "UA23"),
        ("Zaporizhia", "UA23"),
        ("Zaporozhye", "UA23"),
        ("zaporizhzhya oblast", "UA23"),
        ("Kirovohrad", "UA35"),
        ("Kropyvnytskyi", "UA35"),
        ("Kirovograd", "UA35"),
        ("UA35", "UA35"),
        ("Atlantis", None),
    ],
)
def test_oblast_name_variants_resolve(name: str, code: str | None) -> None:
    aliases = sources.oblast_aliases(sources.read_oblast_lookup(SHIPPED_LAYERS / schema.OBLAST_LOOKUP_FILE))
    assert sources.resolve_oblasts(pd.Series([name]), aliases).iloc[0] == code


def test_read_sidecar(tmp_path: Path) -> None:
    data = tmp_path / "x.geojson"
    data.write_text("{}", encoding="utf-8")
    assert sources.read_sidecar(data) is None
    (tmp_path / "x.source.json").write_text(json.dumps({"sha256": "ab"}), encoding="utf-8")
    assert sources.read_sidecar(data) == {"sha256": "ab"}
    (tmp_path / "x.source.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SourceError, match=r"x.source.json: not valid JSON"):
        sources.read_sidecar(data)


def test_every_shipped_data_file_has_provenance_and_a_matching_hash() -> None:
    data_files = sorted(
        p
        for p in SHIPPED_LAYERS.rglob("*")
        if p.is_file() and p.name != "README.md" and not p.name.endswith(".source.json")
    )
    assert len(data_files) == 14 + 53 + 1 + 2  # + the month-end series, the occupied-since layer, the scenarios
    provenance = sources.read_provenance(data_files)
    for path, row in provenance.iterrows():
        sidecar = row["sidecar"]
        assert isinstance(sidecar, dict), path
        for key in ("url", "licence", "credit", "retrieved", "sha256", "source"):
            assert key in sidecar, (path, key)
        assert sidecar["sha256"] == row["sha256"], path


def test_a_layer_file_that_is_not_what_its_name_says_is_not_handed_to_gdal(tmp_path: Path) -> None:
    vrt = tmp_path / "oblasts.geojson"
    vrt.write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/vsicurl/http://127.0.0.1:9/x</SrcDataSource>'
        "</OGRVRTLayer></OGRVRTDataSource>",
        encoding="utf-8",
    )
    fake = tmp_path / "hromadas.gpkg"
    fake.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    for path in (vrt, fake):
        with pytest.raises(
            SourceError, match=r"^.*: not what its name says \(a \.geojson, \.gpkg, \.json file is read"
        ):
            sources.read_vector(path)


@pytest.mark.parametrize(
    "content",
    [
        '{"type": "gdal_streamed_alg", "command_line": "gdal vector pipeline ! read /vsicurl/http://127.0.0.1:9/x.geojson'
        ' ! write --of stream streamed_dataset"}',
        '{ <OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource></OGRVRTLayer>'
        "</OGRVRTDataSource>",
        '{"type": "FeatureCollection", "crs": {"properties": "x"}, "features": []}',
    ],
)
def test_a_geojson_layer_is_read_without_gdal(tmp_path: Path, content: str) -> None:
    path = tmp_path / "country.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError, match=r"country.geojson: cannot read it as a vector layer \("):
        sources.read_vector(path)


# --- every hromada of Ukraine (Minregion 2020, coarse) ---------------------------------------------------------------


def _square(x: float, y: float) -> dict[str, Any]:
    """A 1° × 1° square with its south-west corner at (x, y), as a GeoJSON geometry."""
    return {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]}


def _minregion(path: Path, rows: list[tuple[str | None, str | None, str | None, dict[str, Any] | None]]) -> Path:
    """Write a tiny Minregion-style hromada file: rows of (name, TYPE, COD_3, geometry)."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": name, "ADMIN_1": "", "ADMIN_2": "", "TYPE": kind, "KOATUU_old": None, "COD_3": code},
            "geometry": geometry,
        }
        for name, kind, code, geometry in rows
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    return path


def test_country_hromadas_keep_hromadas_outside_the_focus_oblasts(tmp_path: Path) -> None:
    path = _minregion(
        tmp_path / "hromadas.geojson",
        [
            ("Пoкpoвськa", "міська територіальна громада", "UA05020010000012345", _square(28, 48)),  # Latin o, p, a
            ("Гресівська", "селищна рада", "UA01160030030037634", _square(33, 44)),  # an old Crimean council
            ("Бахмутська", "міська територіальна громада", "UA14020010000012345", _square(37, 48)),  # a focus oblast
            ("оз. Ялпуг", "Державні території", None, _square(28, 45)),  # a state territory, no code
            ("Зіньківська", "сільськa теритaріальна громада", "UA68040190000021840", _square(27, 49)),  # Latin a
            ("Ямпільська", "селищна територіальма громада", "UA59020150000012345", _square(33, 51)),  # a typo
            ("Тeплoдapськa", "міська територіальна громада", "UA51100310000010196", None),  # no polygon
        ],
    )
    hromadas = sources.read_country_hromadas(path)
    assert list(hromadas.index) == ["UA0502001", "UA6804019", "UA5902015"]
    assert hromadas.index.name == schema.REGION_ID
    assert list(hromadas["name_uk"]) == [
        "Покровська міська громада",
        "Зіньківська сільська громада",
        "Ямпільська селищна громада",
    ]
    assert list(hromadas["name_en"]) == [
        "Pokrovska miska hromada",
        "Zinkivska silska hromada",
        "Yampilska selyshchna hromada",
    ]
    assert list(hromadas["parent_id"]) == ["UA0502", "UA6804", "UA5902"]
    assert set(hromadas["level"]) == {"hromada"}
    assert hromadas.attrs["source"] == str(path)
    assert hromadas.attrs["left_out"] == {
        "old Crimean council": 1,
        "state territory (Державні території)": 1,
        "not a hromada (no or other TYPE)": 0,
        "hromada without COD_3": 0,
        "hromada in an oblast with OSM hromadas": 1,
        "hromada without a geometry": 1,
        "hromada part merged into its first row": 0,
    }
    every = sources.read_country_hromadas(path, skip_oblasts=())
    assert "UA1402001" in every.index
    assert every.loc["UA1402001", "name_en"] == "Bakhmutska miska hromada"


def test_a_hromada_in_two_parts_becomes_one_row_and_a_clash_of_names_stays(tmp_path: Path) -> None:
    path = _minregion(
        tmp_path / "hromadas.geojson",
        [
            ("Вільшанська", "селищна територіальна громада", "UA71020010000012345", _square(30, 49)),
            ("Іванівська", "сільська територіальна громада", "UA71020030000012345", _square(31, 49)),
            ("Вільшанськa", "селищна територіальна громада", "UA71020010000012345", _square(30, 47)),  # Latin a
            ("Інша", "сільська територіальна громада", "UA71020030000012345", _square(32, 49)),
        ],
    )
    hromadas = sources.read_country_hromadas(path)
    assert list(hromadas.index) == ["UA7102001", "UA7102003", "UA7102003"]  # validate reports the second id
    assert hromadas.geometry.iloc[0].area == pytest.approx(2.0)  # both squares, in square degrees
    assert hromadas.geometry.iloc[0].geom_type == "MultiPolygon"
    assert hromadas.attrs["left_out"]["hromada part merged into its first row"] == 1


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("Пoкpoвськa", "Покровська"),  # Latin o, p, a in a Cyrillic word
        ("Кaм'янськa", "Кам'янська"),
        ("Pokrovsk Пoкpoвськa", "Pokrovsk Покровська"),  # a Latin word stays Latin
        ("Oлeксaндpiвкa", "Олександрівка"),
    ],
)
def test_latin_lookalikes_become_cyrillic_in_cyrillic_words(text: str, fixed: str) -> None:
    assert sources.fix_lookalikes(text) == fixed


def test_shipped_country_hromadas_fit_the_raions_and_the_osm_hromadas() -> None:
    hromadas = sources.read_country_hromadas(SHIPPED_LAYERS / schema.COUNTRY_HROMADAS_FILE)
    raions = sources.read_raions(SHIPPED_LAYERS / schema.RAIONS_FILE)
    osm = sources.read_hromadas(SHIPPED_LAYERS / schema.HROMADAS_FILE)
    assert len(hromadas) == 1469 - 182 - 4  # SOURCES.md's 1 469 hromadas, less the focus oblasts and 4 without polygon
    assert hromadas.attrs["left_out"]["old Crimean council"] == 303
    assert hromadas.attrs["left_out"]["state territory (Державні території)"] == 6
    assert set(hromadas["parent_id"]) <= set(raions.index)
    assert not set(hromadas.index) & set(osm.index)
    assert not hromadas.index.duplicated().any()
    assert not hromadas["name_uk"].str.contains("[A-Za-z]").any()


def _scenario_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


_SQUARE = '{"type": "Polygon", "coordinates": [[[30, 48], [31, 48], [31, 49], [30, 49], [30, 48]]]}'


def test_a_scenario_file_is_geojson_or_kml_by_its_content(tmp_path: Path) -> None:
    geojson = _scenario_file(
        tmp_path,
        "a.kml",  # the name says KML, the content is GeoJSON: the content decides
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"class": "demilitarised"}, '
        f'"geometry": {_SQUARE}}}]}}',
    )
    frame = sources.read_scenario_file(geojson)
    assert list(frame["class"]) == ["demilitarised"]
    assert frame.geometry.iloc[0].area == 1.0
    kml = _scenario_file(
        tmp_path,
        "b.geojson",
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><Polygon><outerBoundaryIs>'
        "<LinearRing><coordinates>30,48 31,48 31,49 30,49 30,48</coordinates></LinearRing></outerBoundaryIs>"
        "</Polygon></Placemark></kml>",
    )
    frame = sources.read_scenario_file(kml)
    assert "class" not in frame.columns
    assert frame.geometry.iloc[0].area == 1.0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            '{"type": "FeatureCollection", "features": ['
            f'{{"type": "Feature", "properties": {{"class": "demilitarised"}}, "geometry": {_SQUARE}}}, '
            f'{{"type": "Feature", "properties": {{}}, "geometry": {_SQUARE}}}]}}',
            "some features have a 'class' and some do not",
        ),
        (
            '{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}, '
            '"features": []}',
            "its CRS 'EPSG:3857' is not WGS 84 lon/lat",
        ),
        ("SQLite format 3\x00 not really", "neither GeoJSON nor KML (by its content)"),
        ('<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x "y">]><kml></kml>', "a KML with a DOCTYPE or ENTITY"),
    ],
)
def test_a_bad_scenario_file_is_named_once_with_one_fix(tmp_path: Path, text: str, words: str) -> None:
    path = _scenario_file(tmp_path, "s.geojson", text)
    with pytest.raises(SourceError) as info:
        sources.read_scenario_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert words in message
    assert message.count(str(path)) == 1


# --- the credit of a snapshot's source ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sidecar", "credit"),
    [
        ({"occupation_source": "deepstate", "credit": "Source: DeepStateMap.Live"}, "DeepStateMap.Live"),
        ({"occupation_source": "nzz", "credit": "Source: anything"}, "NZZ, data from Liveuamap"),
        ({"occupation_source": "isw"}, style.OCCUPATION_SOURCES["isw"].credit),  # the one home of its wording
        # a sidecar written before the sources had ids: DeepState's where its credit names DeepStateMap
        ({"credit": "Source: DeepStateMap.Live"}, "DeepStateMap.Live"),
        ({"credit": "Source: 'my_line.geojson'"}, "'my_line.geojson'"),
        # a user's file (or a source not known here): its own credit, one line, without "Source: "
        ({"occupation_source": "file", "credit": "Source: my\x00 line\u202e\n.kml"}, "my line .kml"),
        ({"occupation_source": "file", "credit": "Source: DeepStateMap.Live, redrawn"}, "DeepStateMap.Live, redrawn"),
        ({"occupation_source": "elsewhere", "credit": "Our own survey"}, "Our own survey"),
        ({"occupation_source": "file", "credit": "Source: " + "x" * 200}, "x" * 120),
        ({"occupation_source": "file", "credit": "Source: \x01\x02"}, "a user-supplied file"),
        ({"occupation_source": "file"}, "a user-supplied file"),
        ({}, "a user-supplied file"),
        (None, "a user-supplied file"),
    ],
)
def test_occupation_credit_names_the_source_never_a_path_or_a_control_character(
    sidecar: dict[str, Any] | None, credit: str
) -> None:
    assert sources.occupation_credit(sidecar) == credit


def test_history_credit_names_the_source_of_most_dates_then_each_other_with_its_dates() -> None:
    deepstate = {"2025-01-31": "DeepStateMap.Live", "2025-02-28": "DeepStateMap.Live"}
    assert sources.history_credit(deepstate) == "DeepStateMap.Live"
    assert (
        sources.history_credit({**deepstate, "2026-08-22": "a user-supplied file"})
        == "DeepStateMap.Live; 2026-08-22: a user-supplied file"
    )
    nzz = {f"2026-08-{day:02d}": "NZZ" for day in range(1, 6)}
    assert sources.history_credit({**deepstate, **nzz}) == ("NZZ; 2025-01-31, 2025-02-28: DeepStateMap.Live")
    four = {f"2026-09-0{day}": "F" for day in range(1, 5)}
    assert sources.history_credit({**nzz, **four}) == "NZZ; 2026-09-01 … 2026-09-04 (4 dates): F"
    # a tie: the earliest date's source first
    assert sources.history_credit({"2026-01-02": "B", "2026-01-01": "A"}) == "A; 2026-01-02: B"
    assert sources.history_credit({}) == ""
