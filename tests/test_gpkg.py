"""The QGIS outputs: GeoPackage tables, styles and metadata; then the real QGIS (python3-qgis) opening them."""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from PIL import Image

from geo import build, gpkg, i18n, schema, style
from tests.conftest import (
    DEPOSITS,
    REPO,
    SCENARIOS,
    as_deepstate,
    make_layers,
    store_second_source,
    write_csv,
    write_sidecar,
)

SYSTEM_PYTHON = "/usr/bin/python3"
PROBE = REPO / "tests" / "qgis_probe.py"
SPATIAL = (
    "contested_areas",
    "deposits",
    "line_of_contact",
    "neighbours",
    "occupation_history",
    "occupied_areas",
    "regions",
    "scenario_areas",
    "scenarios",
    "sea",
)
TABLES = ("region_stats", "control")


@pytest.fixture(scope="module")
def tiny_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    out = root / "maps"
    build.build(make_layers(root / "layers"), out)
    return out


def _qgis_files(layers: Path, out: Path, sources: build.SourcesResult | None = None, *, compare: bool = True) -> Path:
    """Write the QGIS files (and the sources' CSVs) of the world in `layers` into `out`, without the HTML maps.

    The sources compared are `compute_sources`' unless `sources` is given (or none, with `compare` False).
    """
    inputs = build.load(layers)
    results = build.compute(inputs)
    if sources is None and compare:
        sources = build.compute_sources(inputs, results, build.list_second_sources(layers))
    results = dataclasses.replace(results, sources=sources)
    out.mkdir(parents=True)
    for name, data in {**build.render_qgis(inputs, results), **build.source_tables(results)}.items():
        (out / name).write_bytes(data)
    return out


@pytest.fixture(scope="module")
def sources_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world's QGIS files with an NZZ snapshot of 2026-08-22 stored (and one of a day DeepState lacks).

    The tiny world's DeepState snapshot of 2026-08-22 is occupied from lon 31.25 to 32 (lat 48–49), its pre-2022
    area from 31.75 to 32.  NZZ's occupies 31.5–32.5 and leaves the pre-2022 area out, so the footprint is Ukraine
    less 31.75–32: DeepState alone shows 31.25–31.5, NZZ alone 32–32.5 (as in test_build.py).
    """
    root = tmp_path_factory.mktemp("sources")
    layers = make_layers(root / "layers")
    store_second_source(layers, "nzz", "2026-08-22", shapely.box(31.5, 48, 32.5, 49), leaves_out=("pre2022",))
    store_second_source(layers, "nzz", "2026-07-01", shapely.box(31.5, 48, 32.5, 49), leaves_out=("pre2022",))
    return _qgis_files(layers, root / "maps")


def _rows(db: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return list(db.execute(sql))


def test_geopackage_is_version_1_2_with_every_layer_registered(tiny_outputs: Path) -> None:
    with sqlite3.connect(tiny_outputs / schema.GPKG_FILE) as db:
        assert _rows(db, "PRAGMA application_id") == [(0x47504B47,)]  # "GPKG"
        assert _rows(db, "PRAGMA user_version") == [(10200,)]
        contents = dict(_rows(db, "SELECT table_name, data_type FROM gpkg_contents"))
    assert contents == {
        "contested_areas": "features",
        "deposits": "features",
        "line_of_contact": "features",
        "occupied_areas": "features",
        "occupation_history": "features",
        "regions": "features",
        "neighbours": "features",
        "sea": "features",
        "scenario_areas": "features",
        "scenarios": "features",
        "region_stats": "attributes",
        "control": "attributes",
        "layer_styles": "attributes",
    }


def test_every_layer_has_one_default_style_qgis_can_find(tiny_outputs: Path) -> None:
    with sqlite3.connect(tiny_outputs / schema.GPKG_FILE) as db:
        rows = _rows(
            db,
            "SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, useAsDefault, styleQML "
            "FROM layer_styles ORDER BY f_table_name",
        )
        geometry_columns = dict(_rows(db, "SELECT table_name, column_name FROM gpkg_geometry_columns"))
    assert [r[2] for r in rows] == sorted([*SPATIAL, *TABLES])
    for catalog, schema_name, table, column, default, qml in rows:
        assert (catalog, schema_name, default) == ("", "", 1)  # '' not NULL, or QGIS ignores the style
        assert column == geometry_columns.get(table, "")
        root = ET.fromstring(qml.split("\n", 1)[1])
        aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
        assert aliases or table == "sea", table  # the sea is a derived shape with no column
        if table in SPATIAL:
            assert root.find("renderer-v2") is not None, table
    deposits_qml = next(r[5] for r in rows if r[2] == "deposits")
    assert 'attr="commodity_group"' in deposits_qml
    assert "control_status" in deposits_qml  # the outline follows control


def test_every_column_of_every_layer_has_its_alias_from_the_catalogue(tiny_outputs: Path, sources_world: Path) -> None:
    words = i18n.words("en")
    in_layers: set[str] = set()
    for built in (tiny_outputs, sources_world):  # the sources compared' layers only when another source is stored
        with sqlite3.connect(built / schema.GPKG_FILE) as db:
            styles = dict(_rows(db, "SELECT f_table_name, styleQML FROM layer_styles"))
            geometry_columns = dict(_rows(db, "SELECT table_name, column_name FROM gpkg_geometry_columns"))
            columns = {table: [row[1] for row in _rows(db, f"PRAGMA table_info('{table}')")] for table in styles}
        for table, qml in styles.items():
            fields = [c for c in columns[table] if c not in ("fid", geometry_columns.get(table))]
            root = ET.fromstring(qml.split("\n", 1)[1])
            aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
            assert aliases == {c: words(f"column.{c}") for c in fields}, table
            assert all(aliases.values()), table  # none blank
            in_layers |= set(fields)
    # and the registry holds no column that no table and no layer has
    in_tables = {c for columns in schema.TABLE_COLUMNS.values() for c in columns}
    assert set(schema.COLUMNS) == in_layers | in_tables


def test_a_column_without_an_alias_is_refused_not_left_blank() -> None:
    frame = pd.DataFrame({"area_km2": [1.0], "mystery": [2]})
    with pytest.raises(KeyError, match=r"columns mystery are not in geo\.schema\.COLUMNS"):
        gpkg.aliases(list(frame.columns))
    layer = gpkg.LayerInfo("t", "T", "", frame, "none", aliases={"area_km2": "Area"})
    with pytest.raises(KeyError, match="layer 't': no alias for mystery"):
        gpkg.qml(layer)


def test_layer_titles_and_abstracts_come_from_the_catalogue(tiny_outputs: Path) -> None:
    words = i18n.words("en")
    with sqlite3.connect(tiny_outputs / schema.GPKG_FILE) as db:
        contents = {
            row[0]: row[1:] for row in _rows(db, "SELECT table_name, identifier, description FROM gpkg_contents")
        }
    for table in (*SPATIAL, *TABLES):
        assert contents[table][0] == words(f"qgis.layer.{table}.title"), table
    assert contents["occupied_areas"][1] == (
        "Russian-occupied territory at 2026-08-22, split into occupied before and since 24 Feb 2022."
    )
    assert contents["line_of_contact"][1] == (
        "Edge of the occupied area inside Ukraine, more than 1 km from the state border or coast."
    )
    assert contents["region_stats"][1] == "The regions table without geometry (as regions.csv)."
    assert contents["layer_styles"][1] == "QGIS default styles"


def test_a_source_revision_lands_escaped_in_the_layer_metadata() -> None:
    layer = gpkg.LayerInfo("t", "T", "A", pd.DataFrame({"area_km2": [1.0]}), "none", aliases={"area_km2": "Area"})
    document = gpkg.metadata_xml(layer, snapshot_date="2026-08-22", source_revision="<r&1>\x00\n2")
    root = ET.fromstring(document.split("\n", 1)[1])
    assert root.findtext("history") == "Occupation snapshot 2026-08-22; source revision <r&1> 2"
    assert "&lt;r&amp;1&gt;" in document


def test_layer_metadata_is_stored_for_qgis(tiny_outputs: Path) -> None:
    with sqlite3.connect(tiny_outputs / schema.GPKG_FILE) as db:
        rows = _rows(
            db,
            "SELECT r.table_name, m.md_standard_uri, m.metadata FROM gpkg_metadata_reference r "
            "JOIN gpkg_metadata m ON m.id = r.md_file_id",
        )
    assert sorted(r[0] for r in rows) == sorted([*SPATIAL, *TABLES])
    for table, uri, document in rows:
        assert uri == "http://mrcc.com/qgis.dtd"
        root = ET.fromstring(document.split("\n", 1)[1])
        assert root.findtext("title"), table
        assert root.findtext("rights"), table
        assert "2026-08-22" in (root.findtext("history") or "")


def test_project_is_relative_and_grouped(tiny_outputs: Path) -> None:
    with zipfile.ZipFile(tiny_outputs / schema.QGZ_FILE) as archive:
        project = ET.fromstring(archive.read("resource_control.qgs").decode("utf-8").split("\n", 1)[1])
    sources = [e.text for e in project.iter("datasource")]
    assert sources
    assert all(s and s.startswith(f"./{schema.GPKG_FILE}|layername=") for s in sources)
    assert project.findtext("properties/Paths/Absolute") == "false"
    groups = [g.get("name") for g in project.find("layer-tree-group").findall("layer-tree-group")]  # type: ignore[union-attr]
    assert "Occupation history" in groups


def _probe(maps: Path, png: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Open the two QGIS files in `maps` in real QGIS (`tests/qgis_probe.py`); return what it reports."""
    check = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, check=False)
    if check.returncode != 0:
        pytest.fail("python3-qgis is missing for /usr/bin/python3: install it (the README's test command does)")
    runtime = tmp_path_factory.mktemp("xdg")
    runtime.chmod(0o700)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)}
    result = subprocess.run(
        [SYSTEM_PYTHON, str(PROBE), str(maps), str(png)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.fixture(scope="module")
def qgis_report(
    tmp_path_factory: pytest.TempPathFactory, shipped_build: tuple[Path, dict[str, Any]]
) -> tuple[dict[str, Any], Path, Path]:
    """Take the build of the shipped layers, copy the two QGIS files elsewhere, open them in real QGIS."""
    built = shipped_build[0]
    moved = tmp_path_factory.mktemp("elsewhere") / "copy"
    moved.mkdir()
    for name in (schema.GPKG_FILE, schema.QGZ_FILE):
        shutil.copy(built / name, moved / name)
    png = moved / "render.png"
    return _probe(moved, png, tmp_path_factory), built, png


def test_qgis_opens_every_layer_with_the_expected_features(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    report, built, _ = qgis_report
    layers = report["layers"]
    with (built / schema.CONTROL_CSV).open(encoding="utf-8") as fh:
        control_rows = sum(1 for _ in csv.DictReader(fh))
    expected = {
        "deposits": 92,
        "regions": 1 + 27 + 136 + 182 + 1_283 + 1,  # the hromadas: 182 from OSM, 1,283 from Minregion
        "occupied_areas": 2,
        "contested_areas": 0,  # the shipped 2026-08-22 snapshot's source (cyterat) leaves the grey zone out
        "line_of_contact": 1,
        # 53 dates (the 2026-08 month-end is the 2026-08-22 snapshot itself), each split before/since 2022
        "occupation_history": 2 * 53,
        "region_stats": 1 + 27 + 136 + 182 + 1_283 + 1,
        "control": control_rows,
        "neighbours": 1 + 27,  # Natural Earth's land (Ukraine cut out) and the 27 countries of the base map
        "sea": 1,
        "scenarios": len(json.loads((built / schema.SUMMARY_JSON).read_text(encoding="utf-8"))["scenarios"]["list"]),
    }
    assert {name: layers[name]["features"] for name in expected} == expected
    for name in expected:
        assert layers[name]["valid"], name
    for name in SPATIAL:
        assert layers[name]["crs"] == "EPSG:4326", name


def test_qgis_applies_the_default_styles(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    layers = qgis_report[0]["layers"]
    deposits = layers["deposits"]
    assert deposits["renderer"] == "categorizedSymbol"
    assert deposits["attribute"] == "commodity_group"
    lithium = deposits["categories"]["lithium"]
    assert (lithium["label"], lithium["colour"], lithium["shape"]) == (
        "Lithium",
        style.group_colour("lithium").lower(),
        "star",
    )
    occupied = layers["occupied_areas"]
    assert set(occupied["categories"]) == {schema.OCCUPIED_SINCE_2022, schema.OCCUPIED_BEFORE_2022}
    assert occupied["categories"][schema.OCCUPIED_SINCE_2022]["colour"] == style.OCCUPIED_SINCE_2022_COLOUR
    regions = layers["regions"]
    assert set(regions["categories"]) == {"country", "oblast", "raion", "hromada", "city"}
    assert regions["categories"]["hromada"]["stroke"] == style.FOCUS_COLOUR
    assert layers["line_of_contact"]["colour"] == style.FRONT_COLOUR


def test_qgis_shows_aliases_and_metadata(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    layers = qgis_report[0]["layers"]
    assert layers["regions"]["aliases"]["area_km2"] == "Area, km² (EPSG:6933)"
    assert layers["control"]["aliases"]["occupied_share"] == "Occupied share (0–1)"
    assert layers["control"]["aliases"]["reserve_occupied_share"] == "Occupied share of reserves (0–1)"
    assert layers["deposits"]["aliases"]["reserve_quantity"] == "Reserve figure (as published)"
    for name, layer in layers.items():  # every field QGIS shows has its alias ("fid" is the GeoPackage's row id)
        assert [field for field, alias in layer["aliases"].items() if not alias and field != "fid"] == [], name
    assert "© Мінрегіон" in layers["regions"]["metadata"]["rights"]
    assert "© OpenStreetMap contributors" in layers["regions"]["metadata"]["rights"]
    assert layers["occupied_areas"]["metadata"]["rights"] == ["Source: DeepStateMap.Live"]
    assert layers["occupied_areas"]["metadata"]["title"] == "Occupied areas"
    assert any("2026-08-22" in h for h in layers["deposits"]["metadata"]["history"])
    assert any("CC BY 4.0" in lic for lic in layers["deposits"]["metadata"]["licenses"])


def test_project_opens_from_another_folder(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    report, _, png = qgis_report
    project = report["project"]
    assert project["read"] is True
    assert project["absolute_paths"] is False
    assert project["groups"] == [
        "Deposits",
        "Occupation (DeepStateMap.Live)",
        "Scenarios",
        "Occupation history",
        "Regions",
        "Tables",
        "Base map (Natural Earth)",
    ]
    assert project["order"][-2:] == ["Neighbouring land", "Sea"]  # drawn beneath everything else
    for name, layer in project["layers"].items():
        assert layer["valid"], name
        assert layer["source"].startswith(str(png.parent / schema.GPKG_FILE)), layer["source"]
    assert project["layers"]["Deposits and mines"]["renderer"] == "categorizedSymbol"
    assert "Occupation history" not in project["visible"]  # off until the temporal controller is used
    # the scenarios are off: the canvas opens on today's map; the atlas layout draws them
    assert not {"Scenarios: ground by control", "Scenarios: one row each"} & set(project["visible"])
    history = project["layers"]["Occupation history"]["temporal"]
    # mode 1: start and end date from fields, so QGIS's temporal controller animates the layer
    assert history == {"active": True, "mode": 1, "start": "start_date", "end": "end_date"}
    assert project["layers"]["Occupied areas"]["temporal"]["active"] is False
    assert "«© Мінрегіон»" in project["credits"]


def test_the_project_renders_a_map(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    png = qgis_report[2]
    image = Image.open(io.BytesIO(png.read_bytes())).convert("RGB")
    assert image.size == (800, 600)
    assert statistics.pstdev(image.convert("L").tobytes()) > 20
    r, g, b = (int(style.OCCUPIED_SINCE_2022_COLOUR[i : i + 2], 16) for i in (1, 3, 5))
    alpha = style.OCCUPATION_OPACITY
    target = (alpha * r + (1 - alpha) * 255, alpha * g + (1 - alpha) * 255, alpha * b + (1 - alpha) * 255)
    rgb = image.tobytes()
    near = sum(
        1
        for px in zip(rgb[0::3], rgb[1::3], rgb[2::3], strict=True)
        if all(abs(a - t) <= 10 for a, t in zip(px, target, strict=True))
    )
    assert near > 5000


@pytest.mark.qgis
def test_the_project_has_a_valid_crs_and_ellipsoid_in_qgis(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    project = qgis_report[0]["project"]
    # UTM zone 36N, as the layouts; WGS 84's ellipsoid, so that QGIS measures on the ellipsoid
    assert project["crs"] == {"valid": True, "authid": "EPSG:32636"}
    assert project["ellipsoid"] == "EPSG:7030"


@pytest.mark.qgis
def test_opening_the_project_prints_no_proj_or_font_warning(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    opening = qgis_report[0]["project"]["stderr"]
    assert "proj_create" not in opening
    assert "QFont::fromString" not in opening


@pytest.mark.qgis
def test_qgis_draws_the_sea_and_the_neighbouring_land(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    layers = qgis_report[0]["layers"]
    assert (layers["sea"]["colour"], layers["sea"]["stroke"]) == ("#cfe2ee", "#cfe2ee")
    assert (layers["neighbours"]["colour"], layers["neighbours"]["stroke"]) == ("#ece8df", "#a39d8f")
    assert layers["sea"]["metadata"]["rights"] == ["Made with Natural Earth"]
    layouts = {layout["name"]: layout for layout in qgis_report[0]["layouts"]}
    for name in ("Zaporizhzhia Oblast", "Ukraine"):  # the Sea of Azov is blue, not white on white
        assert any("Made with Natural Earth" in label for label in layouts[name]["labels"])
        with Image.open(layouts[name]["png"]) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=float)
        sea = np.abs(pixels - np.array((0xCF, 0xE2, 0xEE))).max(axis=2) <= 3
        assert sea.mean() > 0.02, name


def test_the_sea_is_the_frame_minus_the_land_and_ukraine_is_cut_out_of_the_land() -> None:
    # the base map's land: the frame's west half, lon 16–31; a neighbour inside it; Ukraine a 5° square in it
    basemap = gpd.GeoDataFrame(
        {"name": ["land", "Moldova"], "kind": ["land", "country"]},
        geometry=[shapely.box(16, 40, 31, 57), shapely.box(16, 40, 18, 42)],
        crs=schema.STORAGE_CRS,
    )
    neighbours, sea = gpkg.base_frames(basemap, shapely.box(20, 45, 25, 50))
    assert list(neighbours["name_en"]) == ["land", "Moldova"]
    assert shapely.area(neighbours.geometry.to_numpy()).round(6).tolist() == [15 * 17 - 25, 4]  # square degrees
    assert len(sea) == 1
    assert sea.geometry.iloc[0].equals(shapely.box(31, 40, 46, 57))  # lon 31–46 of the frame lon 16–46, lat 40–57


def test_a_field_reference_is_quoted_for_qgis_expressions() -> None:
    assert gpkg.field_ref("name_en") == '"name_en"'
    assert gpkg.field_ref('a"b') == '"a""b"'  # the quote doubled: no name ends the reference


@pytest.mark.qgis
def test_qgis_labels_the_deposits_by_the_maps_latin_name(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    labels = qgis_report[0]["layers"]["deposits"]["labels"]
    assert (labels["field"], labels["is_expression"], labels["parse_error"]) == ('"name_map"', True, "")
    texts = set(labels["texts"].values())
    assert "Shevchenkivske lithium deposit" in texts
    # the print and HTML maps' name (GEM-M4534, «Шахта Іловайська»), not the source's Russian-style spelling
    assert "Ilovaiska Coal Mine" in texts
    assert "Ilovayskaya Coal Mine" not in texts


def test_the_deposits_layer_keeps_the_sources_name_beside_the_maps(
    shipped_build: tuple[Path, dict[str, Any]],
) -> None:
    with sqlite3.connect(shipped_build[0] / schema.GPKG_FILE) as db:
        rows = {r[0]: r[1:] for r in _rows(db, "SELECT id, name_en, name_uk, name_map FROM deposits")}
        style_qml = _rows(db, "SELECT styleQML FROM layer_styles WHERE f_table_name = 'deposits'")[0][0]
    assert rows["GEM-M4534"] == ("Ilovayskaya Coal Mine", "Шахта Іловайська", "Ilovaiska Coal Mine")
    assert rows["GEM-M4541"] == (
        "Pivdennodonbaska 3 Coal Mine",
        "Шахта ім. М. С. Сургая",
        "Pivdennodonbaska 3 Coal Mine",
    )
    assert rows["GEM-M2836"] == ("Gorskaya Coal Mine", "", "Gorskaya Coal Mine")
    assert sum(r[0] != r[2] for r in rows.values()) == 7  # as README "Known limits" → "Names (issue 19)" says
    assert '<alias field="name_map" index="3" name="Name on the maps"/>' in style_qml
    assert '<mapTip>[% replace("name_map", array(' in style_qml


@pytest.mark.qgis
def test_the_layout_legends_key_the_black_outline_and_do_not_repeat_a_heading(
    qgis_report: tuple[dict[str, Any], Path, Path],
) -> None:
    for layout in qgis_report[0]["layouts"]:
        name = layout["name"]
        (lines,) = layout["legend_lines"]
        if layout["atlas"]:  # the scenarios' pages: no key, their deposits have no control outline
            assert ["subgroup", "Regions (Ukraine and oblasts)"] in lines
            assert ["subgroup", "Deposits (no control outline)"] in lines
            assert "Deposit outline = control" not in layout["labels"]
            continue
        assert ["subgroup", "Regions"] in lines, name
        assert ["group", "Regions"] not in lines, name  # no "Regions › Regions"
        assert ["group", "Deposits"] not in lines, name  # nor "Deposits › Deposits and mines"
        headings = [text for kind, text in lines if kind in ("group", "subgroup")]
        assert all(a != b for a, b in itertools.pairwise(headings)), name
        assert not any(text in ("Region statistics", "Occupation history") for _kind, text in lines), name
        # the key: the HTML legend's words, a grey marker with a black 3.5 px (0.93 mm) outline for occupied
        for words in ("Deposit outline = control", "Held by Ukraine", "Occupied (before or since 2022)"):
            assert words in layout["labels"], (name, words)
        assert {"fill": "#bbbbbb", "stroke": "#000000", "width": 0.93, "style": "solid"} in layout["shapes"], name
        assert {"fill": "#bbbbbb", "stroke": "#444444", "width": 0.53, "style": "dash"} in layout["shapes"], name


@pytest.mark.qgis
def test_the_scale_bars_count_kilometres(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    bars = {layout["name"]: layout["scale_bars"][0]["per_segment"] for layout in qgis_report[0]["layouts"]}
    # Donetsk Oblast is about 250 km across: two segments of 50 km, not of 0.05 km
    assert bars["Donetsk Oblast"] == 50.0
    assert bars["Pokrovskyi Raion"] == 10.0


#: A deposit name from hostile data: quotes, brackets, a QGIS concatenation and a would-be expression.
QUOTED_NAME = "Mine \"A\" [B] '||' 'x' || \"name_en\" [% 1 + 1 %] <img src=x onerror=alert(1)> &"


@pytest.mark.qgis
def test_a_hostile_deposit_name_is_labelled_as_written(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("quoted")
    rows = [dict(d) for d in DEPOSITS]
    rows[0]["name_en"] = QUOTED_NAME
    out = root / "maps"
    build.build(make_layers(root / "layers", deposits=rows), out)
    report = _probe(out, out / "render.png", tmp_path_factory)
    labels = report["layers"]["deposits"]["labels"]
    assert (labels["parse_error"], labels["eval_error"]) == ("", "")
    assert QUOTED_NAME in labels["texts"].values()
    # the map tip, which QGIS shows as HTML, gives the name as text
    tips = report["layers"]["deposits"]["map_tips"]
    assert (
        "Mine \"A\" [B] '||' 'x' || \"name_en\" [% 1 + 1 %] &lt;img src=x onerror=alert(1)&gt; &amp;" in tips.values()
    )


def test_the_grey_zone_has_its_own_hatched_layer(tiny_outputs: Path) -> None:
    with sqlite3.connect(tiny_outputs / schema.GPKG_FILE) as db:
        rows = _rows(db, "SELECT snapshot_date, area_km2 FROM contested_areas")
        qml = _rows(db, "SELECT styleQML FROM layer_styles WHERE f_table_name = 'contested_areas'")[0][0]
        regions = dict(_rows(db, "SELECT region_id, contested_km2 FROM region_stats"))
    assert len(rows) == 1
    assert rows[0][0] == "2026-08-22"
    assert rows[0][1] == pytest.approx(regions["UA"], rel=1e-6)  # the tiny world's lon 31–31.25 strip
    assert '<Option type="QString" name="style" value="b_diagonal"/>' in qml  # hatched, as in the HTML maps


def test_each_focus_region_has_a_print_layout_ready_to_export(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    layouts = {layout["name"]: layout for layout in qgis_report[0]["layouts"]}
    with (qgis_report[1] / schema.REGIONS_CSV).open(encoding="utf-8") as fh:
        share = {row["name_en"]: float(row["occupied_share"]) for row in csv.DictReader(fh)}
    # one per map of the catalogue: the overview (Ukraine), the four regional maps and the lithium map; the
    # scenarios' atlas (checked in its own tests)
    assert sorted(layouts) == [
        "Donetsk Oblast",
        "Kirovohrad Oblast",
        "Pokrovskyi Raion",
        "Scenarios",
        "Ukraine",
        "Ukraine's lithium deposits",
        "Zaporizhzhia Oblast",
    ]
    del layouts["Scenarios"]
    share["Ukraine's lithium deposits"] = share["Ukraine"]  # its subtitle states Ukraine's share
    since = tuple(int(style.OCCUPIED_SINCE_2022_COLOUR[i : i + 2], 16) for i in (1, 3, 5))
    fill = tuple(round(255 - style.OCCUPATION_OPACITY * (255 - c)) for c in since)  # the fill over white paper
    for name, layout in layouts.items():
        assert layout["exported"], name
        (map_item,) = layout["maps"]
        assert map_item["crs"] == schema.PRINT_CRS
        assert map_item["layers"] >= 5, name
        assert 100_000 < map_item["scale"] < 10_000_000, name
        assert layout["legends"] == [{"linked": True, "rows": layout["legends"][0]["rows"]}]
        assert layout["legends"][0]["rows"] >= 3
        assert layout["scale_bars"] == [
            {"linked": True, "units": "km", "per_segment": layout["scale_bars"][0]["per_segment"]}
        ]
        assert any(label.startswith(name) for label in layout["labels"])
        assert any("2026-08-22" in label and "%" in label for label in layout["labels"])
        assert any(label.startswith("Credits: «© Мінрегіон»") for label in layout["labels"])
        with Image.open(layout["png"]) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=float)
        assert pixels.shape == (826, 1169, 3)  # A4 landscape at 100 dpi
        assert pixels.std() > 20, name  # not blank
        near = np.abs(pixels - np.array(fill)).max(axis=2) <= 6
        if share[name] > 0.05:  # Kirovohrad is not occupied: only a corner of the occupied area may show
            # the occupied area is drawn in its colour (on Ukraine's page, under dense hromada outlines)
            assert near.mean() > (0.005 if name == "Ukraine" else 0.01), name


def test_a_region_name_cannot_run_a_qgis_expression_in_a_layout() -> None:
    layout = gpkg.PrintLayout(name="x", title="[% env('HOME') %] <b>&", subtitle="s", bounds=(36.0, 47.0, 38.0, 48.0))
    project = gpkg.render_project([], title="t", abstract="a", credits=["c"], credit="c", extent=(0, 0, 1, 1),
                                  snapshot_date="2026-08-22", layouts=[layout])  # fmt: skip
    with zipfile.ZipFile(io.BytesIO(project)) as archive:
        root = ET.fromstring(archive.read("resource_control.qgs").decode("utf-8").split("\n", 1)[1])
    texts = [item.get("labelText") for item in root.iter("LayoutItem") if item.get("type") == "65641"]
    assert "[\u200b% env('HOME') %] <b>&" in texts  # shown as typed, never evaluated
    assert not any("[%" in (t or "") for t in texts)


# --- the lithium layout draws the lithium deposits only, as the HTML and print lithium maps do ---------------------

#: The marker colours of the commodity groups no other colour of a layout page comes near (`geo.style`'s, by hand).
LITHIUM_PINK = (0xCC, 0x79, 0xA7)
OTHER_MARKERS = {
    "coal_coking": (0x33, 0x22, 0x88),
    "iron_ore": (0xD5, 0x5E, 0x00),
    "titanium": (0x00, 0x72, 0xB2),
    "manganese": (0xE6, 0x9F, 0x00),
    "rare_earths": (0x00, 0x9E, 0x73),
    "uranium": (0xF0, 0xE4, 0x42),
    "graphite": (0x56, 0xB4, 0xE9),
}


def _map_pixels(png: str, colour: tuple[int, int, int]) -> int:
    """Count the pixels of `colour` (± 6) inside the map frame of an A4 layout exported at 100 dpi."""
    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=int)
    frame = pixels[round(26 / 25.4 * 100) : round(184 / 25.4 * 100), round(10 / 25.4 * 100) : round(205 / 25.4 * 100)]
    return int((np.abs(frame - np.array(colour)).max(axis=2) <= 6).sum())


def test_a_group_filter_quotes_each_group_and_refuses_an_unknown_one() -> None:
    assert gpkg.group_filter(("lithium",)) == "\"commodity_group\" IN ('lithium')"
    assert gpkg.group_filter(("lithium", "coal")) == "\"commodity_group\" IN ('lithium', 'coal')"
    assert gpkg._string_literal("it's") == "'it''s'"  # a quote in a value cannot end the literal
    for groups in ((), ("lithium') OR (1=1",), ("Lithium",)):
        with pytest.raises(ValueError, match="COMMODITY_GROUPS"):
            gpkg.group_filter(groups)


def test_only_a_layout_of_some_groups_keeps_its_own_layer_set() -> None:
    point = gpd.GeoDataFrame({"commodity_group": ["lithium"]}, geometry=[shapely.Point(36, 48)], crs="EPSG:4326")
    deposits = gpkg.LayerInfo("deposits", "Deposits and mines", "a", point, "point", aliases={"commodity_group": "G"})
    bounds = (36.0, 47.0, 38.0, 48.0)
    layouts = [
        gpkg.PrintLayout(name="all", title="t", subtitle="s", bounds=bounds),
        gpkg.PrintLayout(name="lithium", title="t", subtitle="s", bounds=bounds, groups=("lithium",)),
    ]
    project = gpkg.render_project([deposits], title="t", abstract="a", credits=["c"], credit="c", extent=(0, 0, 1, 1),
                                  snapshot_date="2026-08-22", layouts=layouts)  # fmt: skip
    with zipfile.ZipFile(io.BytesIO(project)) as archive:
        root = ET.fromstring(archive.read("resource_control.qgs").decode("utf-8").split("\n", 1)[1])
    sources = {layer.findtext("id"): layer.findtext("datasource") for layer in root.iter("maplayer")}
    assert sources == {
        "deposits_layer_0000": "./resource_control.gpkg|layername=deposits",
        "deposits_lithium_layer_0000": "./resource_control.gpkg|layername=deposits|subset=\"commodity_group\" IN ('lithium')",
    }
    # the project's own tree (the canvas) keeps all the deposits only
    tree = root.find("layer-tree-group")
    assert [n.get("id") for n in tree.iter("layer-tree-layer")] == ["deposits_layer_0000"]  # type: ignore[union-attr]
    maps = {
        layout.get("name"): next(i for i in layout.iter("LayoutItem") if i.get("type") == "65639")
        for layout in root.iter("Layout")
    }
    assert maps["all"].get("keepLayerSet") == "false"
    assert maps["all"].find("LayerSet") is None
    assert maps["lithium"].get("keepLayerSet") == "true"
    assert [layer.text for layer in maps["lithium"].iter("Layer")] == ["deposits_lithium_layer_0000"]
    legends = {
        layout.get("name"): [n.get("id") for n in layout.iter("layer-tree-layer")] for layout in root.iter("Layout")
    }
    assert legends == {"all": ["deposits_layer_0000"], "lithium": ["deposits_lithium_layer_0000"]}


@pytest.mark.qgis
def test_the_lithium_layout_draws_the_lithium_deposits_only(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    report = qgis_report[0]
    layouts = {layout["name"]: layout for layout in report["layouts"]}
    lithium = layouts["Ukraine's lithium deposits"]
    (map_item,) = lithium["maps"]
    assert map_item["keep_layer_set"] is True
    (deposits,) = [layer for layer in map_item["drawn"] if "groups" in layer]
    # layers/deposits/deposits.csv: 4 lithium records (CUR-001 to CUR-004), Kruta Balka (CUR-002) without coordinates
    assert deposits == {
        "name": "Deposits and mines (Lithium)",
        "subset": "\"commodity_group\" IN ('lithium')",
        "drawn": 3,
        "groups": ["lithium"],
        "features": 4,
    }
    (lines,) = lithium["legend_lines"]
    assert ["subgroup", "Deposits and mines (Lithium)"] in lines
    assert ["subgroup", "Deposits and mines"] not in lines
    assert lines[: lines.index(["group", "Occupation (DeepStateMap.Live)"])] == [
        ["subgroup", "Deposits and mines (Lithium)"],
        ["item", "Lithium"],
    ]
    # the rest of the page as on the others: the same layers beside the deposits
    donetsk = layouts["Donetsk Oblast"]["maps"][0]
    assert [layer["name"] for layer in map_item["drawn"][1:]] == [layer["name"] for layer in donetsk["drawn"][1:]]
    assert _map_pixels(lithium["png"], LITHIUM_PINK) > 100
    assert {group: _map_pixels(lithium["png"], colour) for group, colour in OTHER_MARKERS.items()} == dict.fromkeys(
        OTHER_MARKERS, 0
    )
    # the other layouts follow the project's tree: Donetsk still draws its coal, the canvas all the deposits
    assert donetsk["keep_layer_set"] is False
    (all_deposits,) = [layer for layer in donetsk["drawn"] if "groups" in layer]
    assert (all_deposits["name"], all_deposits["subset"], all_deposits["features"]) == ("Deposits and mines", "", 92)
    assert {"coal", "coal_coking", "lithium"} <= set(all_deposits["groups"])
    assert _map_pixels(layouts["Donetsk Oblast"]["png"], OTHER_MARKERS["coal_coking"]) > 100
    assert "Deposits and mines (Lithium)" not in report["project"]["order"]
    assert report["project"]["layers"]["Deposits and mines (Lithium)"]["valid"]


# --- control characters from data: every XML the QGIS files hold stays well-formed ------------------------------

#: Every C0 control character and U+FFFE, which XML 1.0 forbids (but TAB, LF and CR): NUL last, as GDAL ends a text
#: attribute at a NUL (the data tables keep all the rest).
HOSTILE = "".join(map(chr, range(1, 32))) + "\ufffe\x00"
#: What no text in an XML document may hold: what XML 1.0 forbids, and TAB, LF and CR in one-line text.
NOT_ONE_LINE = re.compile("[\x00-\x1f\ud800-\udfff\ufffe\uffff]")
#: A region name from hostile data: every control character between two words, and a NUL inside ``[%``.
HOSTILE_REGION = f"Donetsk{HOSTILE}Oblast [\x00% 1 + 1 %]"
#: The name as the project shows it: one space for the run of controls, the NUL dropped, ``[%`` broken.
SHOWN_REGION = "Donetsk Oblast [\u200b% 1 + 1 %]"


def test_xml_text_drops_what_xml_forbids_and_keeps_the_rest() -> None:
    text = "<a & b> «Ж» \x7f\x85 " + "".join(map(chr, range(32))) + "\ufffe\uffff\ud800z"
    assert i18n.xml_text(text) == "<a & b> «Ж» \x7f\x85  z"  # the separators are one space, then the space before z
    assert i18n.xml_text(text, one_line=False) == "<a & b> «Ж» \x7f\x85 \t\n \r z"  # lines kept, VT FF … a space
    assert i18n.xml_text("a\r\n\tb") == "a b"
    assert i18n.xml_text(12.5) == "12.5"
    for one_line in (True, False):
        ET.fromstring(f"<t a={quoteattr(i18n.xml_text(text))}>{escape(i18n.xml_text(text, one_line=one_line))}</t>")


@pytest.fixture(scope="module")
def hostile_qgis(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The QGIS files of the tiny world with control characters in a deposit's and a region's name and in a credit.

    The deposit's name and the credit come from the layers' files; the region's name is set after loading (a
    boundary file cannot carry a NUL through GDAL).
    """
    root = tmp_path_factory.mktemp("hostile")
    rows = [dict(d) for d in DEPOSITS]
    rows[0]["name_en"] = f"Deposit{HOSTILE}one"
    layers = make_layers(root / "layers", deposits=rows)
    deposits_csv = layers / schema.DEPOSITS_FILE
    sidecar = deposits_csv.with_name(deposits_csv.stem + schema.SIDECAR_SUFFIX)
    record = json.loads(sidecar.read_text(encoding="utf-8"))
    record.update(credit=f"Test{HOSTILE}credit", licence=f"CC{HOSTILE}BY", url=f"https://example.org/{HOSTILE}")
    sidecar.write_text(json.dumps(record), encoding="utf-8")
    inputs = build.load(layers)
    results = build.compute(inputs)
    regions = results.regions.copy()
    regions.loc[schema.DONETSK_ID, "name_en"] = HOSTILE_REGION
    out = root / "maps"
    out.mkdir()
    for name, data in build.render_qgis(inputs, dataclasses.replace(results, regions=regions)).items():
        (out / name).write_bytes(data)
    return out


def _well_formed(document: str) -> ET.Element:
    """Parse an XML document strictly (expat), after the DOCTYPE line the QGIS documents start with."""
    root = ET.fromstring(document.split("\n", 1)[1] if document.startswith("<!DOCTYPE") else document)
    assert not NOT_ONE_LINE.search(document.replace("\n", "")), "TAB or CR in one-line text"
    return root


def test_a_hostile_name_leaves_the_project_well_formed(hostile_qgis: Path) -> None:
    with zipfile.ZipFile(hostile_qgis / schema.QGZ_FILE) as archive:
        project = _well_formed(archive.read("resource_control.qgs").decode("utf-8"))
    layouts = {layout.get("name"): layout for layout in project.iter("Layout")}
    assert "Donetsk Oblast [% 1 + 1 %]" in layouts  # a layout's name is shown, never evaluated
    labels = [item.get("labelText") or "" for item in layouts["Donetsk Oblast [% 1 + 1 %]"].iter("LayoutItem")]
    assert f"{SHOWN_REGION}: who controls the mineral resources" in labels
    assert not any("[%" in label for label in labels)  # the dropped NUL did not make an expression


def test_a_hostile_credit_leaves_every_xml_in_the_geopackage_well_formed(hostile_qgis: Path) -> None:
    with sqlite3.connect(hostile_qgis / schema.GPKG_FILE) as db:
        documents = _rows(db, "SELECT metadata FROM gpkg_metadata")
        styles = _rows(db, "SELECT f_table_name, styleQML, styleSLD, description FROM layer_styles")
        contents = _rows(db, "SELECT identifier, description FROM gpkg_contents")
        region = _rows(db, f"SELECT name_en FROM regions WHERE region_id = '{schema.DONETSK_ID}'")[0][0]
        deposit = _rows(db, "SELECT name_en FROM deposits WHERE id = 'D1'")[0][0]
    assert len(documents) == len(SPATIAL) + len(TABLES)
    shown: set[str | None] = set()
    for (document,) in documents:
        root = _well_formed(document)
        shown |= {e.text for e in root.iter("rights")} | {e.text for e in root.iter("license")}
        shown |= {e.get("description") for e in root.iter("link")}
    assert {"Test credit", "CC BY"} <= shown
    for table, qml, sld, description in styles:
        _well_formed(qml)
        if sld:
            _well_formed(sld)
        assert not NOT_ONE_LINE.search(description), table
    for identifier, description in contents:
        assert not NOT_ONE_LINE.search(identifier + (description or "").replace("\n", ""))
    # the tables are data: they keep the names as written (GDAL ends a text at its NUL)
    assert region.startswith(f"Donetsk{HOSTILE[:-1]}")
    assert deposit == f"Deposit{HOSTILE[:-1]}"


@pytest.mark.qgis
def test_qgis_opens_a_project_built_from_a_hostile_name(
    hostile_qgis: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    report = _probe(hostile_qgis, hostile_qgis / "render.png", tmp_path_factory)
    project = report["project"]
    assert project["read"] is True
    assert project["layers"]
    assert all(layer["valid"] for layer in project["layers"].values())
    layouts = {layout["name"]: layout for layout in report["layouts"]}
    assert "Donetsk Oblast [% 1 + 1 %]" in layouts
    donetsk = layouts["Donetsk Oblast [% 1 + 1 %]"]
    assert donetsk["exported"]
    assert f"{SHOWN_REGION}: who controls the mineral resources" in donetsk["labels"]
    assert "Test credit" in report["layers"]["deposits"]["metadata"]["rights"]


# --- the scenarios: a styled layer of their ground, and an atlas layout with a page per scenario -----------------

#: The tiny world's country, lon 30–33 × lat 48–49, in EPSG:6933 km² (as `test_stats` has it, by hand).
TINY_COUNTRY_KM2 = 24_653.196
#: The demilitarised fill over white paper (`geo.style.DEMILITARISED_COLOUR` #d99a1e at opacity 0.45), and the
#: Russian-controlled one (#a52714 at 0.35), by hand.
DMZ_ON_PAPER = (238, 210, 154)
RUSSIAN_ON_PAPER = (224, 180, 173)


def test_scenario_areas_hold_each_scenarios_ground_by_class(tiny_outputs: Path) -> None:
    areas = gpd.read_file(tiny_outputs / schema.GPKG_FILE, layer="scenario_areas")
    assert list(areas.columns) == ["scenario_id", "name_en", "name_uk", "proposed", "source_url", "class",
                                   "area_km2", "russian_controlled_share", "geometry"]  # fmt: skip
    # frozen: today's line; mix: Kirovohrad ceded and Donetsk's held quarter demilitarised; back: nothing; band: a band
    assert list(zip(areas["scenario_id"], areas["class"], strict=True)) == [
        ("frozen", "russian_controlled"),
        ("mix", "russian_controlled"),
        ("mix", "demilitarised"),
        ("band", "russian_controlled"),
        ("band", "demilitarised"),
    ]
    mix = areas[areas["scenario_id"] == "mix"].set_index("class")
    assert mix.loc["russian_controlled", "area_km2"] == pytest.approx(TINY_COUNTRY_KM2 * 7 / 12, rel=1e-3)
    assert mix.loc["demilitarised", "area_km2"] == pytest.approx(TINY_COUNTRY_KM2 * 1 / 12, rel=1e-3)
    assert (mix["russian_controlled_share"] == round(7 / 12, 6)).all()
    assert mix.loc["russian_controlled", "name_en"] == "Scenario mix"
    assert areas.crs is not None
    assert (areas.crs.to_epsg(), bool(areas.geometry.is_valid.all())) == (4326, True)
    # the simplified outline keeps the ground: lon 30–31 and 31.25–32, and lon 31–31.25, of lat 48–49
    measured = areas.to_crs(schema.AREA_CRS).area / 1e6
    assert measured[(areas["scenario_id"] == "mix").to_numpy()].tolist() == pytest.approx(
        [TINY_COUNTRY_KM2 * 7 / 12, TINY_COUNTRY_KM2 / 12], rel=5e-3
    )
    with sqlite3.connect(tiny_outputs / schema.GPKG_FILE) as db:
        qml = _rows(db, "SELECT styleQML FROM layer_styles WHERE f_table_name = 'scenario_areas'")[0][0]
    assert 'class="LinePatternFill"' in qml  # the demilitarised zone hatched
    assert 'attr="class"' in qml


def test_the_scenarios_layer_has_one_row_per_scenario(tiny_outputs: Path) -> None:
    table = gpd.read_file(tiny_outputs / schema.GPKG_FILE, layer="scenarios")
    assert list(table["scenario_id"]) == ["frozen", "mix", "back", "band"]
    assert list(table["quote"]) == ["The words the rules come from."] * 4
    assert list(table["date"]) == ["2026-08-22"] * 4
    assert table["russian_controlled_share"].tolist() == [0.25, round(7 / 12, 6), 0.0, 0.25]
    assert table["demilitarised_km2"].tolist()[:3] == pytest.approx([0.0, TINY_COUNTRY_KM2 / 12, 0.0], rel=1e-3)
    assert table.geometry.isna().tolist() == [False, False, True, False]  # back: Russia would hold nothing
    # Russian-controlled and demilitarised together: mix 8/12 of the country; band a quarter plus a 10 km × 111 km
    # band (≈1,112 km² of 24,653 km², 4.5 %): 29.5 %; frozen and back as their Russian share
    assert table["russian_or_demilitarised_share"].tolist() == pytest.approx([0.25, 8 / 12, 0.0, 0.295], abs=1e-3)


def test_the_scenario_filter_names_fields_and_quotes_literals() -> None:
    assert gpkg.level_filter(("country", "oblast")) == "\"level\" IN ('country', 'oblast')"
    assert gpkg.level_filter(("it's",)) == "\"level\" IN ('it''s')"
    assert gpkg.scenario_shown() == (
        '"scenario_id" = CASE WHEN @atlas_feature IS NULL THEN @scenario '
        "ELSE attribute(@atlas_feature, 'scenario_id') END"
    )
    # the words of a template are shown as written; only the expressions we give are evaluated
    text = gpkg._expression("[% 1 {a} '||' {b}", {"a": gpkg.field_ref("name_en"), "b": "2"})
    assert text == "[\u200b% 1 [% \"name_en\" %] '||' [% 2 %]"


@pytest.fixture(scope="module")
def tiny_qgis(tiny_outputs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    moved = tmp_path_factory.mktemp("tiny_qgis")
    for name in (schema.GPKG_FILE, schema.QGZ_FILE):
        shutil.copy(tiny_outputs / name, moved / name)
    return _probe(moved, moved / "render.png", tmp_path_factory)


def _atlas(report: dict[str, Any]) -> dict[str, Any]:
    (layout,) = [layout for layout in report["layouts"] if layout["atlas"]]
    assert layout["name"] == "Scenarios"
    atlas: dict[str, Any] = layout["atlas"]
    return atlas


@pytest.mark.qgis
def test_qgis_opens_the_scenarios_and_steps_through_them_in_an_atlas(tiny_qgis: dict[str, Any]) -> None:
    project = tiny_qgis["project"]
    assert (project["read"], project["stderr"]) == (True, "")  # no warning on opening
    assert project["scenario"] == "frozen"
    assert "Scenarios" in project["groups"]
    assert {"Scenarios: ground by control", "Scenarios: one row each"} <= set(project["layers"])
    assert not {"Scenarios: ground by control", "Scenarios: one row each"} & set(project["visible"])
    assert all(layer["valid"] for layer in project["layers"].values())
    layer = tiny_qgis["layers"]["scenario_areas"]
    assert (layer["renderer"], layer["attribute"], layer["features"]) == ("categorizedSymbol", "class", 5)
    assert {k: v["colour"] for k, v in layer["categories"].items()} == {
        "russian_controlled": style.SCENARIO_RUSSIAN_COLOUR,
        "demilitarised": style.DEMILITARISED_COLOUR,
    }
    atlas = _atlas(tiny_qgis)
    assert (atlas["coverage"], atlas["coverage_features"], atlas["count"]) == ("Scenarios: one row each", 4, 4)
    (layout,) = [layout for layout in tiny_qgis["layouts"] if layout["atlas"]]
    (map_item,) = layout["maps"]
    assert map_item["keep_layer_set"] is True
    assert [(layer["name"], layer["subset"]) for layer in map_item["drawn"]] == [
        ("Deposits (no control outline)", ""),
        ("Line of contact", ""),
        ("Scenarios: ground by control", ""),
        ("Regions (Ukraine and oblasts)", "\"level\" IN ('country', 'oblast')"),
        ("Neighbouring land", ""),
        ("Sea", ""),
    ]
    pages = atlas["pages"]
    assert [page["name"] for page in pages] == ["Scenario frozen", "Scenario mix", "Scenario back", "Scenario band"]
    assert all(page["exported"] for page in pages)
    mix, back = pages[1], pages[2]
    labels = sorted(mix["labels"].values())
    assert "Scenario mix" in labels
    assert (
        "Russia would control 58.3% of Ukraine (14,381 km²); demilitarised zone (no troops of either side) 2,054 km²; "
        "with the demilitarised zone: 66.7%. From the line of 2026-08-22 (test credit)." in labels
    )
    # no demilitarised zone (back): one share, no "with the demilitarised zone"
    assert not any("with the demilitarised zone" in label for label in back["labels"].values())
    assert "Proposed 2025-11-20. Source: https://example.org/plan" in labels
    assert "The words the rules come from." in labels
    assert any(label.startswith("Credits: «© Мінрегіон»") for label in labels)
    # page 2 draws mix's ground: the demilitarised strip and Russia's; page 3 (back) neither
    assert _map_pixels(mix["png"], DMZ_ON_PAPER) > 500
    assert _map_pixels(mix["png"], RUSSIAN_ON_PAPER) > 5_000
    assert _map_pixels(back["png"], DMZ_ON_PAPER) == 0
    assert _map_pixels(back["png"], RUSSIAN_ON_PAPER) == 0
    # frozen (page 1): today's occupied quarter only, no demilitarised zone
    assert _map_pixels(pages[0]["png"], DMZ_ON_PAPER) == 0
    assert _map_pixels(pages[0]["png"], RUSSIAN_ON_PAPER) > 1_000


#: A scenario name from hostile data: quotes, a QGIS concatenation, a would-be expression, markup.
HOSTILE_SCENARIO = "Plan \"A\" '||' 'x' || \"name_en\" [% 1+1 %] <b>&"


@pytest.mark.qgis
def test_a_hostile_scenario_name_is_shown_as_written_on_its_page(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("hostile_scenario")
    layers = make_layers(root / "layers")
    rows = [dict(row) for row in SCENARIOS]
    rows[1]["name_en"] = HOSTILE_SCENARIO
    write_csv(layers / schema.SCENARIOS_FILE, list(schema.SCENARIO_REQUIRED), rows)
    write_sidecar(layers / schema.SCENARIOS_FILE)
    out = root / "maps"
    build.build(layers, out)
    report = _probe(out, out / "render.png", tmp_path_factory)
    assert report["project"]["read"] is True
    pages = _atlas(report)["pages"]
    assert pages[1]["name"] == HOSTILE_SCENARIO
    assert HOSTILE_SCENARIO in pages[1]["labels"].values()  # not "Plan … 2 …", nor an error
    assert any(label.startswith("Russia would control 58.3% of Ukraine") for label in pages[1]["labels"].values())
    assert report["layers"]["scenario_areas"]["map_tips"]["2"] == (
        "Plan \"A\" '||' 'x' || \"name_en\" [% 1+1 %] &lt;b&gt;&amp;"
    )


@pytest.mark.qgis
def test_the_shipped_scenarios_have_an_atlas_page_each(qgis_report: tuple[dict[str, Any], Path, Path]) -> None:
    report, built, _ = qgis_report
    listed = json.loads((built / schema.SUMMARY_JSON).read_text(encoding="utf-8"))["scenarios"]["list"]
    atlas = _atlas(report)
    assert atlas["count"] == len(listed)
    assert [page["name"] for page in atlas["pages"]] == [item["name_en"] for item in listed]
    assert all(page["exported"] for page in atlas["pages"])
    assert report["layers"]["scenario_areas"]["valid"]
    frozen = atlas["pages"][0]  # the frozen line: Russia's ground is today's occupied area, no demilitarised zone
    assert _map_pixels(frozen["png"], DMZ_ON_PAPER) == 0
    assert _map_pixels(frozen["png"], RUSSIAN_ON_PAPER) > 5_000


@pytest.mark.qgis
def test_the_atlas_shows_the_translation_a_drawn_scenario_and_which_line_it_draws(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root = tmp_path_factory.mktemp("atlas_words")
    layers = make_layers(root / "layers")
    rows = [dict(row, quote_en="") for row in SCENARIOS]
    rows[1].update(quote="Слова плану.", quote_en="The plan's words [% 1+1 %] '||' x")
    write_csv(layers / schema.SCENARIOS_FILE, list(schema.SCENARIO_REQUIRED), rows)
    write_sidecar(layers / schema.SCENARIOS_FILE)
    drawn = root / "my_line.geojson"
    square = [[[31, 48], [32, 48], [32, 49], [31, 49], [31, 48]]]
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": square}}
    drawn.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    out = root / "maps"
    # the scenarios start from the line of 2025-01-31; the line_of_contact layer is the snapshot's (2026-08-22)
    build.build(layers, out, scenario_date="2025-01-31", scenario_files=[drawn])
    report = _probe(out, out / "render.png", tmp_path_factory)
    pages = _atlas(report)["pages"]
    assert [page["name"] for page in pages][-1] == "my_line"
    mix, mine = sorted(pages[1]["labels"].values()), sorted(pages[-1]["labels"].values())
    # the Ukrainian quote and our translation beneath it, labelled, shown as written (in the quote field)
    assert "Слова плану.\nTranslation (ours): The plan's words [% 1+1 %] '||' x" in mix
    # a drawn scenario: no "Proposed . Source: ", the user named instead
    assert "Drawn by the user (--scenario-file)" in mine
    assert not any(label.startswith("Proposed") for label in mine)
    # the subtitle says which line the map draws: the snapshot's, not the scenarios' date's
    line = "The line of contact drawn is the snapshot's (2026-08-22), not that of 2025-01-31."
    assert any(label.endswith(line) and "From the line of 2025-01-31" in label for label in mix), mix


# --- the occupation sources compared (issue 21) ----------------------------------------------------------------

#: 0.25° of longitude by 1° of latitude at lat 48–49 (the tiny world's strips), km² on the WGS 84 ellipsoid.
STRIP_KM2 = abs(pyproj.Geod(ellps="WGS84").geometry_area_perimeter(shapely.box(0, 48, 0.25, 49))[0]) / 1e6
#: What the tiny world's sources compared credit: its DeepState snapshot's sidecar, and NZZ's credit.
TINY_CREDITS = ["DeepStateMap.Live", "NZZ, data from Liveuamap"]


def test_the_disagreement_layer_holds_the_ground_only_one_source_shows(sources_world: Path) -> None:
    frame = gpd.read_file(sources_world / schema.GPKG_FILE, layer="sources_disagreement")
    bounds = [tuple(round(float(v), 6) for v in box) for box in shapely.bounds(frame.geometry.to_numpy())]
    rows = sorted(
        (r.date, r.source_a, r.source_b, r.only_source, box, r.area_km2)
        for r, box in zip(frame.itertuples(), bounds, strict=True)
    )
    assert [r[:5] for r in rows] == [
        ("2026-08-22", "deepstate", "nzz", "deepstate", (31.25, 48.0, 31.5, 49.0)),
        ("2026-08-22", "deepstate", "nzz", "nzz", (32.0, 48.0, 32.5, 49.0)),
    ]
    assert rows[0][5] == pytest.approx(STRIP_KM2, rel=1e-3)
    assert rows[1][5] == pytest.approx(2 * STRIP_KM2, rel=1e-3)
    assert set(frame.geom_type) == {"MultiPolygon"}
    assert frame.crs == "EPSG:4326"


def test_the_sources_tables_have_the_csvs_rows(sources_world: Path) -> None:
    for table, name in (
        ("sources_compare", schema.SOURCES_COMPARE_CSV),
        ("sources_deposits", schema.SOURCES_DEPOSITS_CSV),
    ):
        with (sources_world / name).open(encoding="utf-8") as fh:
            header, *csv_rows = list(csv.reader(fh))
        with sqlite3.connect(sources_world / schema.GPKG_FILE) as db:
            columns = [row[1] for row in _rows(db, f"PRAGMA table_info('{table}')")]
            data_type = _rows(db, f"SELECT data_type FROM gpkg_contents WHERE table_name = '{table}'")
            rows = _rows(db, f"SELECT * FROM {table}")
        assert data_type == [("attributes",)]
        assert columns == ["fid", *header], table
        assert len(rows) == len(csv_rows), table
    ukraine = [r for r in csv_rows_of(sources_world, schema.SOURCES_COMPARE_CSV) if r["region_id"] == "UA"]
    assert [(r["date"], r["source_a"], r["source_b"]) for r in ukraine] == [("2026-08-22", "deepstate", "nzz")]


def csv_rows_of(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_without_another_source_the_qgis_files_are_as_before(tmp_path: Path) -> None:
    # the same world twice: without another source, and with NZZ stored but nothing compared (as before issue 21)
    plain_layers = make_layers(tmp_path / "plain")
    as_deepstate(plain_layers)  # as store_second_source makes the other world's
    plain = _qgis_files(plain_layers, tmp_path / "plain_maps")
    layers = make_layers(tmp_path / "stored")
    store_second_source(layers, "nzz", "2026-08-22", shapely.box(31.5, 48, 32.5, 49), leaves_out=("pre2022",))
    before = _qgis_files(layers, tmp_path / "before_maps", compare=False)
    for name in (schema.GPKG_FILE, schema.QGZ_FILE):
        assert (plain / name).read_bytes() == (before / name).read_bytes(), name
    with sqlite3.connect(plain / schema.GPKG_FILE) as db:
        tables = {row[0] for row in _rows(db, "SELECT table_name FROM gpkg_contents")}
    assert not {t for t in tables if t.startswith("sources")}
    with zipfile.ZipFile(plain / schema.QGZ_FILE) as archive:
        project = archive.read("resource_control.qgs").decode("utf-8")
    assert "sources_" not in project
    assert "Sources compared" not in project


def test_the_day_filter_names_its_field_and_quotes_the_day() -> None:
    assert gpkg.day_filter("2026-08-22") == "\"date\" = '2026-08-22'"
    assert gpkg.day_filter("x' OR 'a'='a") == "\"date\" = 'x'' OR ''a''=''a'"


@pytest.fixture(scope="module")
def sources_qgis(sources_world: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _probe(sources_world, sources_world / "render.png", tmp_path_factory)


@pytest.mark.qgis
def test_qgis_draws_each_source_in_its_category(sources_qgis: dict[str, Any]) -> None:
    layer = sources_qgis["layers"]["sources_disagreement"]
    assert (layer["valid"], layer["features"], layer["crs"], layer["geometry_type"]) == (True, 2, "EPSG:4326", 2)
    assert (layer["renderer"], layer["attribute"]) == ("categorizedSymbol", "only_source")
    categories = layer["categories"]
    assert {key: c["label"] for key, c in categories.items()} == {
        "deepstate": "Only DeepStateMap.Live",
        "nzz": "Only NZZ, data from Liveuamap",
    }
    assert {key: c["stroke"] for key, c in categories.items()} == {"deepstate": "#2166ac", "nzz": "#542788"}
    assert layer["aliases"]["only_source"] == "Only this source"
    assert layer["aliases"]["area_km2"] == "Area, km² (EPSG:6933)"
    for name in ("sources_disagreement", "sources_compare", "sources_deposits"):
        rights = sources_qgis["layers"][name]["metadata"]["rights"]
        assert rights[:2] == TINY_CREDITS, name  # every source compared, first
        assert (
            "https://github.com/conflict-investigations/nzz-maps" in sources_qgis["layers"][name]["metadata"]["links"]
        )


@pytest.mark.qgis
def test_qgis_opens_the_sources_compared_in_their_group_filtered_to_the_snapshots_day(
    sources_qgis: dict[str, Any], sources_world: Path
) -> None:
    project = sources_qgis["project"]
    assert project["groups"] == [
        "Deposits",
        "Occupation (DeepStateMap.Live)",
        "Scenarios",
        "Sources compared",
        "Occupation history",
        "Regions",
        "Tables",
        "Base map (Natural Earth)",
    ]
    shown = project["layers"]["Sources compared: ground only one shows occupied"]
    assert shown["valid"]
    assert shown["renderer"] == "categorizedSymbol"
    assert shown["source"].endswith("|layername=sources_disagreement|subset=\"date\" = '2026-08-22'")
    assert shown["features"] == 2  # both of that day
    assert "Sources compared: ground only one shows occupied" not in project["visible"]  # off: today's map first
    tables = {
        "Sources compared by region": schema.SOURCES_COMPARE_CSV,
        "Deposits the sources disagree on": schema.SOURCES_DEPOSITS_CSV,
    }
    for name, csv_name in tables.items():
        assert project["layers"][name]["features"] == len(csv_rows_of(sources_world, csv_name)), name
    # the print layouts draw what they drew before: not the disagreement
    for layout in sources_qgis["layouts"]:
        assert "Sources compared" not in json.dumps(layout), layout["name"]


HOSTILE_SOURCE = 'nzz\' OR 1=1 -- "only_source" [% 1+1 %] <b>&'
HOSTILE_CREDIT = f'Credit [% 1+1 %] "x" \' <i>&amp;{chr(1)}'
HOSTILE_DAY = "2026-08-21' OR '1'='1"  # before the snapshot's day: the day the project opens on


@pytest.mark.qgis
def test_a_hostile_source_credit_and_day_stay_text_in_qgis(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("hostile_sources")
    shapes = gpd.GeoDataFrame(
        {"date": [HOSTILE_DAY, "2026-08-20"], "source_a": ["deepstate"] * 2, "source_b": [HOSTILE_SOURCE] * 2,
         "only": [HOSTILE_SOURCE, "deepstate"], "km2": [1.0, 1.0]},
        geometry=[shapely.box(32, 48, 32.5, 49), shapely.box(31.25, 48, 31.5, 49)],
        crs=schema.STORAGE_CRS,
    )  # fmt: skip
    compare = pd.DataFrame(columns=["date", "region_id", "source_a", "source_b", "a_only_km2", "b_only_km2",
                                    "both_km2", "agreement", "footprint"])  # fmt: skip
    deposits = pd.DataFrame(columns=["date", "deposit_id", "source_a", "source_b", "control_a", "control_b"])
    found = build.SourcesResult(
        compare, deposits, shapes, {"deepstate": "test credit", HOSTILE_SOURCE: HOSTILE_CREDIT},
        {"deepstate": ["2026-08-20", "2026-08-22"], HOSTILE_SOURCE: ["2026-08-20", HOSTILE_DAY]},
    )  # fmt: skip
    out = _qgis_files(make_layers(root / "layers"), root / "maps", found)
    report = _probe(out, out / "render.png", tmp_path_factory)
    layer = report["layers"]["sources_disagreement"]
    assert (layer["valid"], layer["features"]) == (True, 2)
    assert layer["categories"][HOSTILE_SOURCE]["label"] == 'Only Credit [% 1+1 %] "x" \' <i>&amp;'  # \x01 dropped
    assert 'Credit [% 1+1 %] "x" \' <i>&amp;' in layer["metadata"]["rights"]
    shown = report["project"]["layers"]["Sources compared: ground only one shows occupied"]
    # the day is the filter's string literal: the one feature of that day, not every feature ('1'='1')
    assert shown["valid"]
    assert shown["features"] == 1
    assert shown["source"].endswith("subset=\"date\" = '2026-08-21'' OR ''1''=''1'")
