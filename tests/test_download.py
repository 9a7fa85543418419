"""The maps' download control (issue 22 §3): the deposit records shown, as CSV and GeoJSON, and the panel's tables.

The records' CSV must be the lines of the build's ``deposits.csv`` (same header, cells and escaping), in real
Chromium from ``file:``, under the page's Content-Security-Policy; the expected rows are read from
``deposits.csv`` with the csv module and chosen by hand-stated ids or by the map's bounds, never by the page's code.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from geo import build, schema, tables
from tests.browsing import Opened, open_map
from tests.conftest import DEPOSITS, deposit_row, make_layers

CSV_LABEL = "Records shown (CSV)"
GEOJSON_LABEL = "Records shown (GeoJSON)"
PANEL_LABEL = "The panel's tables (CSV)"

HYPERLINK = '=HYPERLINK("http://x")'
EVIL_HTML = '<img src=x onerror="window.__pwned=1">'


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _written(rows: list[list[str]]) -> bytes:
    """Write rows as the build's CSV writer does (the csv module, minimal quoting, ``\\n``)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _deposits(maps: Path) -> tuple[bytes, list[list[str]]]:
    data = (maps / schema.DEPOSITS_CSV).read_bytes()
    rows = _rows(data)
    assert _written(rows) == data  # rewriting the parsed rows gives deposits.csv back: compare bytes through it
    return data, rows


def _open_menu(page: Page) -> None:
    if page.locator(".map-download-menu").is_hidden():
        page.click(".map-download-toggle")


def _download(page: Page, label: str) -> tuple[str, bytes]:
    _open_menu(page)
    with page.expect_download() as info:
        page.get_by_role("button", name=label, exact=True).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def _expected(rows: list[list[str]], keep: Any) -> bytes:
    header, body = rows[0], rows[1:]
    record = [dict(zip(header, row, strict=True)) for row in body]
    return _written([header, *(row for row, r in zip(body, record, strict=True) if keep(r))])


def _in_bounds(page: Page) -> Any:
    (south, west), (north, east) = page.evaluate(
        "(() => { const b = window.resourceMap.map.getBounds(); "
        "return [[b.getSouth(), b.getWest()], [b.getNorth(), b.getEast()]]; })()"
    )

    def inside(r: dict[str, str]) -> bool:
        return bool(r["lon"]) and south <= float(r["lat"]) <= north and west <= float(r["lon"]) <= east

    return inside


# --- the shipped build -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_maps(shipped_build: tuple[Path, dict[str, object]]) -> Path:
    return shipped_build[0]


@pytest.fixture
def lithium(browser: Browser, shipped_maps: Path) -> Iterator[Opened]:
    opened = open_map(browser, shipped_maps / "lithium.html")
    yield opened
    opened.page.close()


def test_the_visible_lithium_sites_download_as_their_lines_of_deposits_csv(lithium: Opened, shipped_maps: Path) -> None:
    # the lithium map shows the lithium layer only, framed on the located lithium records: CUR-001 Shevchenkivske,
    # CUR-003 Polokhivske, CUR-004 Dobra; CUR-002 Kruta Balka has no known site (drawn in its oblast): left out
    _data, rows = _deposits(shipped_maps)
    name, got = _download(lithium.page, CSV_LABEL)
    assert name == "lithium-deposits-visible.csv"
    assert [row[0] for row in _rows(got)[1:]] == ["CUR-001", "CUR-003", "CUR-004"]
    assert got == _expected(rows, lambda r: r["id"] in {"CUR-001", "CUR-003", "CUR-004"})
    assert _rows(got)[0] == rows[0] == list(schema.TABLE_COLUMNS[schema.DEPOSITS_CSV])
    assert "(3)" in lithium.page.locator(".map-download-what").inner_text()
    assert lithium.errors == []


def test_the_geojson_has_the_records_ids_coordinates_and_columns(lithium: Opened, shipped_maps: Path) -> None:
    _data, rows = _deposits(shipped_maps)
    header = rows[0]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    name, got = _download(lithium.page, GEOJSON_LABEL)
    assert name == "lithium-deposits-visible.geojson"
    collection = json.loads(got)
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [f["properties"]["id"] for f in features] == ["CUR-001", "CUR-003", "CUR-004"]
    for feature in features:
        row = by_id[feature["properties"]["id"]]
        assert feature["geometry"] == {"type": "Point", "coordinates": [float(row["lon"]), float(row["lat"])]}
        assert list(feature["properties"]) == header
        props = feature["properties"]
        assert [props["lon"], props["lat"]] == [float(row["lon"]), float(row["lat"])]
        assert props["location_known"] is True
        assert isinstance(props["status_uncertain"], bool)
        assert [props["name_en"], props["name_uk"]] == [row["name_en"], row["name_uk"]]
        for column in ("distance_to_front_km", "coord_uncertainty_km", "reserve_quantity"):
            assert props[column] == (float(row[column]) if row[column] else None), column
    assert by_id["CUR-001"]["distance_to_front_km"]  # a number the download must carry as a number
    assert lithium.errors == []


def test_panning_and_switching_layers_change_what_is_downloaded(browser: Browser, shipped_maps: Path) -> None:
    _data, rows = _deposits(shipped_maps)
    opened = open_map(browser, shipped_maps / "overview.html")
    page = opened.page
    _name, everything = _download(page, CSV_LABEL)
    located = len(_rows(_expected(rows, lambda r: bool(r["lon"])))) - 1
    assert len(_rows(everything)) - 1 == located == 90  # all 92 records but the two with no known site
    page.evaluate("window.resourceMap.map.setView([47.9, 36.9], 10, {animate: false})")  # around Shevchenkivske
    _name, near = _download(page, CSV_LABEL)
    assert 1 <= len(_rows(near)) - 1 < located
    assert near == _expected(rows, _in_bounds(page))
    assert f"({len(_rows(near)) - 1})" in page.locator(".map-download-what").inner_text()
    page.evaluate("(() => { const r = window.resourceMap; r.map.removeLayer(r.groups.lithium); })()")
    _name, without = _download(page, CSV_LABEL)
    inside = _in_bounds(page)
    assert without == _expected(rows, lambda r: inside(r) and r["primary_commodity"] != "lithium")
    assert "CUR-001" in near.decode()
    assert "CUR-001" not in without.decode()
    assert opened.errors == []
    page.close()


def test_the_panel_csv_holds_the_panels_numbers(browser: Browser, shipped_maps: Path) -> None:
    summary = json.loads((shipped_maps / schema.SUMMARY_JSON).read_text(encoding="utf-8"))
    lithium = next(i for i in summary["metals_comparison"]["reserves_by_commodity"] if i["commodity"] == "lithium")
    opened = open_map(browser, shipped_maps / "overview.html")
    page = opened.page
    name, got = _download(page, PANEL_LABEL)
    assert name == "overview-panel.csv"
    cells = _rows(got)
    assert cells[0] == ["Basis (this project)", "Occupied", "Records with a figure"]
    assert ["Reserves: lithium (LCE)", f"{lithium['occupied_share']:.0%}", "3 of 4"] in cells
    shown = page.evaluate(
        "[...document.querySelectorAll('.map-panel table tr')].map(tr => [...tr.cells].map(c => c.textContent.trim()))"
    )
    assert cells == shown
    assert opened.errors == []
    page.close()


# --- a tiny world with hostile names ----------------------------------------------------------------------------

HOSTILE = [
    *[dict(d) for d in DEPOSITS],
    deposit_row(id="EVIL-1", name_en=HYPERLINK, lon="30.6", oblast="Kirovohrad"),
    deposit_row(id="EVIL-2", name_en="+1", name_uk="@SUM(1+1)", lon="31.1"),
    deposit_row(id="EVIL-3", name_en=EVIL_HTML, name_uk="-2+3", lon="32.5", oblast="Zaporizhzhia"),
]


@pytest.fixture(scope="module")
def hostile_maps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("download")
    out = root / "maps"
    build.build(make_layers(root / "layers", deposits=[dict(d) for d in HOSTILE]), out, languages=("en", "uk"))
    return out


def _payload(page_file: Path) -> dict[str, Any]:
    html = page_file.read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="download_control_\d+_data">(.*?)</script>', html, re.S)
    assert block is not None
    payload: dict[str, Any] = json.loads(block.group(1))
    return payload


def test_the_page_carries_deposits_csv_itself_and_the_formula_rule_of_the_tables(hostile_maps: Path) -> None:
    data = (hostile_maps / schema.DEPOSITS_CSV).read_bytes()
    for name in ("overview.html", "uk/overview.html", "lithium.html", "scenarios.html"):
        payload = _payload(hostile_maps / name)
        assert zlib.decompress(base64.b64decode(payload["csv"])) == data, name
        assert payload["formula"] == ["=", "+", "-", "@", "\t", "\r"] == list(tables.FORMULA_STARTS)
        kinds = dict(zip(_rows(data)[0], payload["kinds"], strict=True))
        assert (kinds["lon"], kinds["distance_to_front_km"], kinds["location_known"], kinds["name_en"]) == tuple("nnbs")
        assert payload["name"] == Path(name).stem


def test_hostile_names_are_inert_in_the_download_as_in_deposits_csv(browser: Browser, hostile_maps: Path) -> None:
    _data, rows = _deposits(hostile_maps)
    names = {row[0]: row[1:3] for row in rows[1:]}
    assert names["EVIL-1"][0] == "'" + HYPERLINK  # what deposits.csv holds, read by hand
    assert names["EVIL-2"] == ["'+1", "'@SUM(1+1)"]
    assert names["EVIL-3"] == [EVIL_HTML, "'-2+3"]
    opened = open_map(browser, hostile_maps / "overview.html")
    page = opened.page
    _name, got = _download(page, CSV_LABEL)
    # every located record of the tiny world is in view (D4 and D5 have no known site)
    assert [row[0] for row in _rows(got)[1:]] == ["D1", "D2", "D3", "D6", "EVIL-1", "EVIL-2", "EVIL-3"]
    assert got == _expected(rows, lambda r: bool(r["lon"]))
    assert b'\n"\'=HYPERLINK(""http://x"")"' not in got  # the name is the second cell, not a line's start
    assert ',"\'=HYPERLINK(""http://x"")",' in got.decode()
    _name, geo = _download(page, GEOJSON_LABEL)
    props = {f["properties"]["id"]: f["properties"] for f in json.loads(geo)["features"]}
    assert props["EVIL-3"]["name_en"] == EVIL_HTML
    # GeoJSON goes to no spreadsheet: the names as recorded, without the CSV's guard
    assert (props["EVIL-1"]["name_en"], props["EVIL-2"]["name_en"]) == (HYPERLINK, "+1")
    assert (props["EVIL-2"]["name_uk"], props["EVIL-3"]["name_uk"]) == ("@SUM(1+1)", "-2+3")
    assert page.locator(".map-download img, .map-panel img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert opened.errors == []
    page.close()


def test_the_panel_csv_neutralises_formulas_by_the_tables_rule(browser: Browser, hostile_maps: Path) -> None:
    opened = open_map(browser, hostile_maps / "overview.html")
    page = opened.page
    page.evaluate(
        """(() => {
          const cells = document.querySelectorAll('.map-panel table td');
          ['=1+1', '-5', '@A1', 'a,"b"'].forEach((text, i) => { cells[i].textContent = text; });
        })()"""
    )
    _name, got = _download(page, PANEL_LABEL)
    cells = [cell for row in _rows(got) for cell in row]
    for text in ("'=1+1", "'-5", "'@A1", 'a,"b"'):
        assert text in cells
    assert b'"a,""b"""' in got
    assert opened.errors == []
    page.close()


def test_the_control_is_labelled_and_works_from_the_keyboard(browser: Browser, hostile_maps: Path) -> None:
    opened = open_map(browser, hostile_maps / "overview.html")
    page = opened.page
    toggle = page.locator(".map-download-toggle")
    assert toggle.get_attribute("aria-label") == "Download the data shown"
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator(".map-download-menu").is_visible()
    what = page.locator(".map-download-what").inner_text()
    assert "deposit layers switched on, within the map's current view" in what
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == CSV_LABEL
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename == "overview-deposits-visible.csv"
    page.keyboard.press("Escape")
    assert page.locator(".map-download-menu").is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('map-download-toggle')")
    assert opened.errors == []
    page.close()


def test_the_ukrainian_page_says_it_in_ukrainian_and_downloads_the_same_rows(
    browser: Browser, hostile_maps: Path
) -> None:
    english = open_map(browser, hostile_maps / "overview.html")
    _name, en_rows = _download(english.page, CSV_LABEL)
    english.page.close()
    opened = open_map(browser, hostile_maps / "uk" / "overview.html")
    page = opened.page
    assert page.locator(".map-download-toggle").get_attribute("aria-label") == "Завантажити показані дані"
    _open_menu(page)
    assert "у межах поточного виду мапи" in page.locator(".map-download-what").inner_text()
    with page.expect_download() as info:
        page.get_by_role("button", name="Показані записи (CSV)", exact=True).click()
    assert Path(info.value.path()).read_bytes() == en_rows
    with page.expect_download() as info:
        page.get_by_role("button", name="Таблиці панелі (CSV)", exact=True).click()
    assert info.value.suggested_filename == "overview-panel.csv"
    assert opened.errors == []
    page.close()
