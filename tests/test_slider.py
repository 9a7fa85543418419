"""The time slider's "changes since" mode and its play button (issue 22).

Expected km² are worked out by hand from lon/lat boxes: EPSG:6933 is a cylindrical equal-area projection, so a
lon/lat box is a rectangle there, its area the product of its projected sides (`box_km2`, pyproj only).  The
shipped build's figures are checked against its own history_regions.csv and ledger.csv, read from disk.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from playwright.sync_api import Browser, Page
from pyproj import Transformer
from shapely.geometry import box

from geo import build, geometry, schema, style, webmap
from tests.browsing import Opened, open_map, wait_for_map
from tests.conftest import DEPOSITS, add_december_2024, deposit_row, make_layers, write_sidecar

_EQUAL_AREA = Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True)
#: |gained − lost − (occupied_km2(B) − occupied_km2(A))| at most: history_regions.csv rounds to 0.001 km² (two
#: values, 0.0005 each), the page's pieces are whole m² (0.5 m² each, a few thousand pieces a region at most).
TOLERANCE_KM2 = 0.005
#: The tiny world with a month-end of December 2024 (the front at lon 30.9) before its three dates: January 2025
#: 31.5-32 occupied, February 2025 and now 31.25-32 (now with the grey zone 31-31.25). Lat 48-49 throughout.
DATES = ["2024-12-31", "2025-01-31", "2025-02-28", "2026-08-22"]


def near(km2: float) -> Any:
    """Compare km² as the page states them: whole m² of pieces noded on a 1 mm grid (a few parts in 10⁸)."""
    return pytest.approx(km2, rel=1e-7, abs=1e-5)


def box_km2(west: float, south: float, east: float, north: float) -> float:
    """Return a lon/lat box's area in EPSG:6933 (km²): its projected width times its projected height."""
    (x0, x1), (y0, y1) = _EQUAL_AREA.transform([west, east], [south, north])
    return float(abs(x1 - x0) * abs(y1 - y0) / 1e6)


# --- the overlay, by hand --------------------------------------------------------------------------------------

WEST, EAST = box(30, 48, 31, 49), box(31, 48, 32, 49)
#: Three dates: 30.5-31.5 (south half); 30.8-32 (south half); 30.5-31.2 (south half) and 31.5-32 (north half).
SNAPSHOTS = [
    box(30.5, 48, 31.5, 48.5),
    box(30.8, 48, 32, 48.5),
    shapely.union(box(30.5, 48, 31.2, 48.5), box(31.5, 48.5, 32, 49)),
]


def _changes(overlay: geometry.Overlay, km2: np.ndarray, a: int, b: int) -> tuple[list[float], list[float]]:
    """Return per region the km² occupied on date `b` and not on `a` (gained), and the reverse (lost)."""
    then, later = overlay.occupied(a), overlay.occupied(b)
    return km2[:, later & ~then].sum(axis=1).tolist(), km2[:, then & ~later].sum(axis=1).tolist()


def test_the_changes_between_any_two_dates_are_measured_by_hand() -> None:
    assert schema.AREA_CRS == "EPSG:6933"
    overlay = geometry.slider_overlay(SNAPSHOTS)
    km2 = geometry.overlay_km2(overlay, [WEST, EAST])
    # the pieces are noded on a grid of 1 mm (geometry.OVERLAY_GRID_M): an edge moves by 0.5 mm at most, which for
    # these boxes (0.5° a side at most, 190 km around) is a few parts in 10⁸

    def approx(values: list[float]) -> list[Any]:
        return [pytest.approx(v, rel=1e-7, abs=1e-6) for v in values]

    # 2022 → … : date 0 to date 1: the west loses 30.5-30.8, the east gains 31.5-32 (south half)
    gained, lost = _changes(overlay, km2, 0, 1)
    assert gained == approx([0.0, box_km2(31.5, 48, 32, 48.5)])
    assert lost == approx([box_km2(30.5, 48, 30.8, 48.5), 0.0])
    # date 1 to date 2: the west gains 30.5-30.8 back; the east gains 31.5-32 north, loses 31.2-32 south
    gained, lost = _changes(overlay, km2, 1, 2)
    assert gained == approx([box_km2(30.5, 48, 30.8, 48.5), box_km2(31.5, 48.5, 32, 49)])
    assert lost == approx([0.0, box_km2(31.2, 48, 32, 48.5)])
    # date 0 to date 2: the west is as it was; the east gains 31.5-32 north, loses 31.2-31.5 south
    gained, lost = _changes(overlay, km2, 0, 2)
    assert gained == approx([0.0, box_km2(31.5, 48.5, 32, 49)])
    assert lost == approx([0.0, box_km2(31.2, 48, 31.5, 48.5)])
    assert _changes(overlay, km2, 2, 0) == (lost, gained)  # backwards, the other way round
    # each piece once: what changed anywhere adds up to the ground that is not the same on every date
    assert km2.sum() == pytest.approx(
        box_km2(30.5, 48, 30.8, 48.5) + box_km2(31.2, 48, 32, 48.5) + box_km2(31.5, 48.5, 32, 49), rel=1e-7
    )
    # 30.5-30.8 is occupied on the first and last dates: toggles at 0, 1 and 2
    assert (0, 1, 2) in overlay.patterns


def test_the_grey_zone_now_is_cut_out_of_the_drawn_pieces_but_not_out_of_the_km2() -> None:
    grey = box(31.2, 48, 31.4, 48.5)  # on the last date: part of what the east lost since date 0
    overlay = geometry.slider_overlay(SNAPSHOTS, grey=grey)
    km2 = geometry.overlay_km2(overlay, [WEST, EAST])
    _gained, lost = _changes(overlay, km2, 0, 2)
    assert lost == [near(0.0), pytest.approx(box_km2(31.2, 48, 31.5, 48.5), rel=1e-7)]
    real = geometry.overlay_real(overlay, geometry.SCALES["oblast"].slider_change)
    # every change is kilometres wide, none a redraw sliver: each piece changed control at each of its toggles
    for face, pattern in enumerate(overlay.pattern):
        assert [real[face, t] for t in overlay.patterns[pattern] if t > 0] == [True] * sum(
            t > 0 for t in overlay.patterns[pattern]
        )
    view = box(28, 46, 34, 51)
    pieces = geometry.slider_pieces(overlay, real, view=view, scale="oblast")
    greyed = [area for _p, _m, in_grey, area in pieces if in_grey]
    assert len(greyed) == 1
    assert shapely.bounds(greyed[0]) == pytest.approx([31.2, 48, 31.4, 48.5], abs=1e-4)
    for *_k, area in pieces:  # shells counter-clockwise: one fill of many pieces adds up, never cancels out
        for polygon in shapely.get_parts(area):
            assert polygon.exterior.is_ccw


def test_a_redraw_sliver_counts_in_the_km2_and_is_not_drawn() -> None:
    # a fourth date redraws the west edge of date 2's south area by 0.0005° (37 m): no change of control
    redrawn = shapely.union(box(30.5005, 48, 31.2, 48.5), box(31.5, 48.5, 32, 49))
    overlay = geometry.slider_overlay([*SNAPSHOTS, redrawn])
    km2 = geometry.overlay_km2(overlay, [WEST, EAST])
    _gained, lost = _changes(overlay, km2, 2, 3)
    assert lost == [pytest.approx(box_km2(30.5, 48, 30.5005, 48.5), rel=1e-5), near(0.0)]
    real = geometry.overlay_real(overlay, geometry.SCALES["oblast"].slider_change)
    (sliver,) = [f for f, p in enumerate(overlay.pattern) if overlay.patterns[p] == (0, 1, 2, 3)]
    # lost with 30.5-30.8 on date 1 and taken back on date 2 (changes of control), lost by the redraw on date 3
    assert real[sliver].tolist() == [False, True, True, False]
    pieces = geometry.slider_pieces(overlay, real, view=box(28, 46, 34, 51), scale="oblast")
    assert (overlay.pattern[sliver], (1, 2), False) in [(p, m, g) for p, m, g, _a in pieces]


def test_integers_are_written_as_polyline_characters() -> None:
    # 0 → "?" (63); 31 → "^"; 32 → 0x20 + 0 + 63 = "_", then 1 + 63 = "@"; 1000 = 31·32 + 8 → "g" (0x20+8+63), "^"
    assert webmap.int_text([0, 31, 32, 1000]) == "?^_@g^"
    with pytest.raises(ValueError, match="non-negative"):
        webmap.int_text([-1])


# --- the pages of the tiny world -------------------------------------------------------------------------------

EVIL = '<img src=x onerror="window.__pwned=1">{gained} $& $1'


def _tiny_world(root: Path, *, hostile: bool = False) -> Path:
    """Build the tiny world with a December 2024 month-end (30.9-32 occupied); hostile: evil names in the panel."""
    rows = [dict(d) for d in DEPOSITS]
    if hostile:  # a record in what Kirovohrad lost in January (lon 30.95), and Kirovohrad's own name
        rows.append(deposit_row(id="EVIL-1", name_en=EVIL, lon="30.95", oblast="Kirovohrad"))
    layers = make_layers(root / "layers", deposits=rows)
    if hostile:
        oblasts = gpd.read_file(layers / schema.OBLASTS_FILE)
        oblasts.loc[oblasts["adm1_pcode"] == "UA35", "name_en"] = EVIL
        (layers / schema.OBLASTS_FILE).unlink()
        oblasts.to_file(layers / schema.OBLASTS_FILE, driver="GeoJSON")
        write_sidecar(layers / schema.OBLASTS_FILE)
    add_december_2024(layers)
    out = root / "maps"
    build.build(layers, out)
    return out


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny_world(tmp_path_factory.mktemp("slider"))


def _pair(page: Page, first: str, second: str) -> dict[str, Any]:
    assert page.evaluate("d => window.resourceMap.slider.setFrom(d)", first) is True
    assert page.evaluate("d => window.resourceMap.slider.setDate(d)", second) is True
    changes: dict[str, Any] = page.evaluate("window.resourceMap.slider.changes()")
    return changes


def _by_id(changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in changes["regions"]}


def test_the_changes_since_mode_shows_the_km2_by_hand(browser: Browser, tiny_world: Path) -> None:
    opened = open_map(browser, tiny_world / "donetsk.html")
    page = opened.page
    assert page.evaluate("window.resourceMap.slider.dates") == DATES
    assert page.evaluate("window.resourceMap.slider.from()") is None
    assert page.evaluate("window.resourceMap.slider.changes()") is None
    events = page.evaluate("""() => { window.__events = 0;
      document.addEventListener('resource:state', () => { window.__events += 1; }); return 0; }""")
    # December → January: Donetsk (31-32) loses 31-31.5, and Deposit six (lon 31.3) with it; Unplaced five (no site)
    # counted occupied while all of Donetsk was, of unknown control since
    changes = _pair(page, DATES[0], DATES[1])
    assert page.evaluate("window.__events") > events  # the mode and the dates are announced
    assert (changes["from"], changes["to"]) == (DATES[0], DATES[1])
    donetsk = _by_id(changes)["UA14"]
    assert donetsk["gained"] == near(0.0)
    assert donetsk["lost"] == near(box_km2(31, 48, 31.5, 49))
    assert (donetsk["taken"], donetsk["freed"]) == (0, 2)
    assert [(r["id"], r["taken"]) for r in changes["records"]] == [("D6", False), ("D5", False)]
    panel = page.locator(".map-panel .panel-changes").inner_text()
    lost = f"{box_km2(31, 48, 31.5, 49):,.1f}"
    assert "Changes from 2024-12-31 to 2025-01-31" in panel
    assert (
        f"Donetsk Oblast: 0.0 km² newly occupied, {lost} km² no longer occupied (net \u2212{lost} km²); "
        "deposit records: 0 newly occupied, 2 no longer occupied"
    ) in panel
    assert "Deposit six: Occupied since 24 Feb 2022 → Held by Ukraine" in panel
    assert "Unplaced five: Occupied since 24 Feb 2022 → Control unknown" in panel
    freed = page.locator("path.slider-freed")
    assert freed.count() == 1
    assert freed.get_attribute("fill") == style.FREED_SINCE_COLOUR
    assert page.locator("path.slider-taken").count() == 0
    legend = page.locator(".legend-slider")
    assert "No longer occupied between the two dates" in legend.inner_text()
    assert "Occupied then, no longer occupied" not in legend.inner_text()
    # January → now: Donetsk gains 31.25-31.5, and Deposit six
    donetsk = _by_id(_pair(page, DATES[1], DATES[3]))["UA14"]
    assert donetsk["gained"] == near(box_km2(31.25, 48, 31.5, 49))
    assert donetsk["lost"] == near(0.0)
    assert (donetsk["taken"], donetsk["freed"]) == (1, 0)
    assert page.locator("path.slider-taken").count() == 1
    # December → now: 31-31.25 is the grey zone now: no longer occupied in the km² (as in the tables), not drawn so
    donetsk = _by_id(_pair(page, DATES[0], DATES[3]))["UA14"]
    assert donetsk["lost"] == near(box_km2(31, 48, 31.25, 49))
    bounds = page.evaluate("""() => { let b = null; window.resourceMap.map.eachLayer(l => {
      if (l.options && l.options.className === 'slider-freed') { b = l.getBounds(); } });
      return [b.getWest(), b.getEast()]; }""")
    assert bounds == [pytest.approx(30.9, abs=0.001), pytest.approx(31.0, abs=0.001)]
    # off again: against now, as before
    assert page.evaluate("window.resourceMap.slider.setFrom(null)") is True
    assert page.evaluate("window.resourceMap.slider.from()") is None
    assert not page.locator(".map-panel .panel-changes").is_visible()
    assert opened.errors == []
    page.close()


def test_the_overview_states_each_oblast_and_agrees_with_the_history(browser: Browser, tiny_world: Path) -> None:
    opened = open_map(browser, tiny_world / "overview.html")
    page = opened.page
    table = pd.read_csv(tiny_world / schema.HISTORY_REGIONS_CSV)
    history = {
        (str(d), str(r)): float(v)
        for d, r, v in zip(table["date"], table["region_id"], table["occupied_km2"], strict=True)
    }
    for first, second in ((DATES[0], DATES[1]), (DATES[1], DATES[3]), (DATES[3], DATES[0])):
        changes = _by_id(_pair(page, first, second))
        assert list(changes) == ["UA", "UA14", "UA35", "UA23"]  # Ukraine (the focus), then the oblasts
        for rid, row in changes.items():
            net = history[second, rid] - history[first, rid]
            assert row["gained"] - row["lost"] == pytest.approx(net, abs=TOLERANCE_KM2), (first, second, rid)
    changes = _by_id(_pair(page, DATES[0], DATES[1]))
    assert changes["UA35"]["lost"] == near(box_km2(30.9, 48, 31, 49))  # Kirovohrad: 30.9-31
    assert changes["UA"]["lost"] == near(box_km2(30.9, 48, 31.5, 49))
    panel = page.locator(".map-panel .panel-changes").inner_text()
    assert "Kirovohrad Oblast: 0.0 km² newly occupied" in panel
    assert "Zaporizhzhia Oblast" not in panel  # no change there: an oblast is named where something changed
    # the control: a toggle and a select of the slider's dates
    page.evaluate("window.resourceMap.slider.setFrom(null)")
    toggle = page.locator(".map-slider-since")
    assert toggle.get_attribute("aria-pressed") == "false"
    page.locator(".map-slider input").fill("2")  # 2025-02-28
    toggle.click()  # from the step before: 2025-01-31
    assert toggle.get_attribute("aria-pressed") == "true"
    assert page.evaluate("window.resourceMap.slider.from()") == DATES[1]
    page.locator(".map-slider-from").select_option(DATES[0])
    assert page.evaluate("window.resourceMap.slider.from()") == DATES[0]
    assert page.locator(".map-slider-from").get_attribute("aria-label") == "Earlier date the changes are counted from"
    assert opened.errors == []
    page.close()


def _open(browser: Browser, path: Path, **options: Any) -> Opened:
    page = browser.new_page(viewport={"width": 1400, "height": 900}, **options)
    opened = Opened(page)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    wait_for_map(page)
    return opened


def _date(page: Page) -> str:
    date: str = page.evaluate("window.resourceMap.slider.date()")
    return date


def test_play_steps_through_the_dates_and_pauses(browser: Browser, tiny_world: Path) -> None:
    opened = _open(browser, tiny_world / "donetsk.html", reduced_motion="no-preference")
    page = opened.page
    button = page.locator(".map-slider-play")
    assert button.inner_text().endswith("Play")
    assert button.get_attribute("aria-label") == "Play: show the dates one after another"
    page.evaluate("d => window.resourceMap.slider.setDate(d)", DATES[0])
    button.focus()
    page.keyboard.press("Enter")  # a button: the keyboard plays it
    assert page.evaluate("window.resourceMap.slider.playing()") is True
    assert button.get_attribute("aria-label") == "Pause the play"
    page.wait_for_timeout(1400)  # a date a second
    assert _date(page) == DATES[1]
    page.keyboard.press("Space")  # pause
    assert page.evaluate("window.resourceMap.slider.playing()") is False
    assert button.inner_text().endswith("Play")
    page.wait_for_timeout(1600)
    assert _date(page) == DATES[1]  # paused: it stays
    page.keyboard.press("Enter")  # on to the end, where it stops by itself
    page.wait_for_timeout(2600)
    assert _date(page) == DATES[3]
    assert page.evaluate("window.resourceMap.slider.playing()") is False
    page.evaluate("window.resourceMap.slider.play()")  # at the end, play starts over from the first date
    assert _date(page) == DATES[0]
    page.locator(".map-slider input").fill("2")  # the reader takes the slider: play stops
    assert page.evaluate("window.resourceMap.slider.playing()") is False
    page.wait_for_timeout(1400)
    assert _date(page) == DATES[2]
    assert opened.errors == []
    page.close()


def test_reduced_motion_steps_one_date_per_press(browser: Browser, tiny_world: Path) -> None:
    opened = _open(browser, tiny_world / "donetsk.html", reduced_motion="reduce")
    page = opened.page
    button = page.locator(".map-slider-play")
    assert button.inner_text().endswith("Next date")
    label = button.get_attribute("aria-label") or ""
    assert label.startswith("Next date")
    assert "one date per press" in label
    assert "reduced motion" in label
    page.evaluate("d => window.resourceMap.slider.setDate(d)", DATES[0])
    button.click()
    assert _date(page) == DATES[1]
    assert page.evaluate("window.resourceMap.slider.playing()") is False
    page.wait_for_timeout(2500)  # no automatic stepping
    assert _date(page) == DATES[1]
    button.focus()
    page.keyboard.press("Enter")
    assert _date(page) == DATES[2]
    assert opened.errors == []
    page.close()


def test_hostile_names_are_inert_in_the_changes_lines(browser: Browser, tmp_path: Path) -> None:
    out = _tiny_world(tmp_path, hostile=True)
    opened = open_map(browser, out / "overview.html")
    page = opened.page
    changes = _pair(page, DATES[0], DATES[1])
    assert _by_id(changes)["UA35"]["name"] == EVIL
    lines = page.locator(".map-panel .panel-changes")
    text = lines.inner_text()
    assert f"{EVIL}: 0.0 km² newly occupied" in text  # the name as it is: no placeholder or $-pattern filled in it
    assert f"{EVIL}: Occupied since 24 Feb 2022 → Held by Ukraine" in text
    assert lines.locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert opened.errors == []
    page.close()


def test_the_slider_reads_integers_beyond_32_bits(browser: Browser, tiny_world: Path) -> None:
    page = open_map(browser, tiny_world / "donetsk.html").page
    values = [0, 1, 31, 32, 2**31, 2**40 + 7, 60_231_271_700]
    assert page.evaluate("s => resourceInts(s)", webmap.int_text(values)) == values
    page.close()


# --- the shipped build ----------------------------------------------------------------------------------------


def _ledger(folder: Path) -> dict[tuple[str, str, str], int]:
    with (folder / schema.LEDGER_CSV).open(encoding="utf-8") as fh:
        return {(r["date"], r["region_id"], r["commodity"]): int(r["occupied"]) for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def shipped(shipped_build: tuple[Path, dict[str, Any]]) -> Path:
    return shipped_build[0]


@pytest.mark.parametrize("name", ["overview.html", "donetsk.html"])
def test_the_shipped_changes_agree_with_history_regions_and_the_ledger(
    browser: Browser, shipped: Path, name: str
) -> None:
    history = pd.read_csv(shipped / schema.HISTORY_REGIONS_CSV).set_index(["date", "region_id"])["occupied_km2"]
    ledger = _ledger(shipped)
    deposits = pd.read_csv(shipped / schema.DEPOSITS_CSV, dtype=str, keep_default_na=False).set_index("id")
    names = pd.read_csv(shipped / schema.HISTORY_REGIONS_CSV).drop_duplicates("region_id")
    oblast_ids = dict(zip(names["name_en"], names["region_id"], strict=True))
    opened = open_map(browser, shipped / name)
    page = opened.page
    dates = page.evaluate("window.resourceMap.slider.dates")
    for first, second in ((dates[10], dates[40]), (dates[-1], dates[0])):
        changes = _pair(page, first, second)
        assert changes["regions"], name
        for row in changes["regions"]:
            rid = row["id"]
            net = history[(second, rid)] - history[(first, rid)]
            assert row["gained"] - row["lost"] == pytest.approx(net, abs=TOLERANCE_KM2), (name, first, second, rid)
            # the records that changed hands, by commodity: the ledger's change of occupied records
            here = [
                r
                for r in changes["records"]
                if rid == schema.COUNTRY_ID or oblast_ids.get(deposits.loc[r["id"], "oblast"]) == rid
            ]
            assert row["taken"] - row["freed"] == sum(1 if r["taken"] else -1 for r in here), (name, rid)
            commodities = {c for (_d, region, c) in ledger if region == rid} - {schema.METALS_AGGREGATE}
            for commodity in commodities:
                moved = sum(
                    1 if r["taken"] else -1
                    for r in here
                    if commodity in deposits.loc[r["id"], "commodities"].split(";")
                )
                before, after = ledger.get((first, rid, commodity), 0), ledger.get((second, rid, commodity), 0)
                assert after - before == moved, (name, first, second, rid, commodity)
    changes = _pair(page, dates[10], dates[40])
    assert any(abs(r["gained"]) > 100 for r in changes["regions"])  # a pair with real changes
    assert changes["records"]  # and records that changed hands
    assert opened.errors == []
    page.close()


def test_the_ukrainian_overview_writes_the_changes_in_ukrainian(browser: Browser, shipped: Path) -> None:
    opened = open_map(browser, shipped / "uk" / "overview.html")
    page = opened.page
    dates = page.evaluate("window.resourceMap.slider.dates")
    ukraine = _by_id(_pair(page, dates[10], dates[40]))["UA"]
    text = page.locator(".map-panel .panel-changes").inner_text()
    assert f"Зміни з {dates[10]} по {dates[40]}" in text
    gained = f"{ukraine['gained']:,.1f}".replace(",", "\u00a0").replace(".", ",")
    assert f"Україна: нових окупованих {gained} км²" in text
    assert page.locator(".map-slider-play").inner_text().endswith("Відтворити")
    assert opened.errors == []
    page.close()


def test_a_history_of_one_date_gets_no_slider(tmp_path: Path) -> None:
    layers = make_layers(tmp_path / "layers")
    for month_end in (layers / schema.MONTHLY_DIR).glob("*.geojson"):  # only the snapshot's own date is left
        month_end.unlink()
        month_end.with_name(month_end.name + ".source.json").unlink(missing_ok=True)
    out = tmp_path / "maps"
    build.build(layers, out)
    page = (out / "donetsk.html").read_text(encoding="utf-8")
    assert "resourceSlider(" not in page
    assert "resourceExtras(" in page  # the map itself is made
