"""Reading layers into canonical frames."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geo import schema, sources
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
    assert len(data_files) == 13 + 53 + 1  # + the month-end series and the occupied-since layer
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
