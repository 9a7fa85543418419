"""The HTML maps in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

Every map built from the shipped layers must load with no request outside
``file:``/``data:`` URLs and no console error, toggle each layer with its
legend, open a deposit popup with its source link, find deposits by name
(Latin and Cyrillic) and draw something that is not blank.  A tiny world with
hostile names checks that data cannot run script or Jinja.
"""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page
from shapely.geometry import box

from geo import build, catalogue, i18n, schema, style
from tests.browsing import Opened, open_map, wait_for_map
from tests.conftest import (
    DEPOSITS,
    SHIPPED_LAYERS,
    add_december_2024,
    deposit_row,
    make_layers,
    store_second_source,
)

MAPS = sorted(spec.file for spec in catalogue.MAPS)
#: A deposit inside each map's frame, clear of the panels, to click.
CLICK = {
    "overview.html": "CUR-001",
    "donetsk.html": "CUR-001",
    "zaporizhzhia.html": "CUR-014",
    "kirovohrad.html": "CUR-003",
    "pokrovsk.html": "GEM-M0983",
    "lithium.html": "CUR-004",
    "scenarios.html": "CUR-004",
}


@pytest.fixture(scope="module")
def shipped_maps(shipped_build: tuple[Path, dict[str, object]]) -> Path:
    return shipped_build[0]


@pytest.fixture
def opened(request: pytest.FixtureRequest, browser: Browser, shipped_maps: Path) -> Iterator[Opened]:
    result = open_map(browser, shipped_maps / request.param)
    yield result
    result.page.close()


def _source_urls() -> dict[str, str]:
    with (SHIPPED_LAYERS / schema.DEPOSITS_FILE).open(encoding="utf-8") as fh:
        return {row["id"]: row["source_url"] for row in csv.DictReader(fh)}


@pytest.mark.parametrize("opened", [*MAPS, *(f"uk/{name}" for name in MAPS)], indirect=True)
def test_loads_offline_without_errors(opened: Opened) -> None:
    opened.page.wait_for_timeout(300)
    assert [u for u in opened.requests if not u.startswith(("file:", "data:"))] == []
    assert opened.errors == []
    assert opened.page.locator(".leaflet-control-attribution").inner_text().count("© Мінрегіон") == 1


def test_the_browser_itself_refuses_what_the_page_was_not_built_to_load(browser: Browser, shipped_maps: Path) -> None:
    opened = open_map(browser, shipped_maps / "overview.html")
    page = opened.page
    refused = page.evaluate(
        """() => new Promise(resolve => {
          document.addEventListener('securitypolicyviolation', e => resolve(e.blockedURI));
          setTimeout(() => resolve(null), 3000);  // no policy: nothing refuses it
          const img = document.createElement('img');
          img.src = 'https://example.org/pixel.png';
          document.body.appendChild(img);
        })"""
    )
    assert refused == "https://example.org/pixel.png"  # the page's policy refused it before any request
    page.close()


LAYER_STATE = """() => {
  const r = window.resourceMap;
  const onMap = Object.keys(r.layers).filter(k => r.map.hasLayer(r.layers[k])).sort();
  const legend = [...document.querySelectorAll('.legend-section')]
    .filter(el => el.style.display !== 'none').map(el => el.dataset.layer).sort();
  return {onMap, legend};
}"""


@pytest.mark.parametrize("opened", MAPS, indirect=True)
def test_every_layer_toggles_and_its_legend_follows(opened: Opened) -> None:
    page = opened.page
    page.hover(".leaflet-control-layers")  # the control is collapsed until pointed at
    labels = page.locator(".leaflet-control-layers-overlays label")
    count = labels.count()
    assert count >= 6
    for i in range(count):
        before: dict[str, Any] = page.evaluate(LAYER_STATE)
        assert before["legend"] == before["onMap"]
        labels.nth(i).locator("input").click()
        after: dict[str, Any] = page.evaluate(LAYER_STATE)
        assert after["legend"] == after["onMap"], labels.nth(i).inner_text()
        assert len(set(before["onMap"]) ^ set(after["onMap"])) == 1, labels.nth(i).inner_text()
        labels.nth(i).locator("input").click()
        assert page.evaluate(LAYER_STATE) == before
    assert opened.errors == []


def _click_deposit(page: Page, deposit_id: str) -> None:
    box = page.evaluate(
        """id => {
      const m = window.resourceMap.markers.find(x => x.depositId === id);
      const r = m.getElement().getBoundingClientRect();
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      return {x, y, hit: m.getElement().contains(document.elementFromPoint(x, y))};
    }""",
        deposit_id,
    )
    assert box["hit"], f"{deposit_id} is covered or outside the view"
    page.mouse.click(box["x"], box["y"])


@pytest.mark.parametrize("opened", MAPS, indirect=True)
def test_clicking_a_deposit_opens_its_popup_with_the_source_link(
    opened: Opened, request: pytest.FixtureRequest
) -> None:
    name = request.node.callspec.params["opened"]
    deposit_id = CLICK[name]
    _click_deposit(opened.page, deposit_id)
    popup = opened.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert f"id {deposit_id}" in popup.inner_text()
    link = popup.locator("a").last  # the record's source (a reserve figure's source may come before it)
    assert link.get_attribute("href") == _source_urls()[deposit_id]
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"


@pytest.mark.parametrize("query", ["Shevchenkivske", "шевченківське", "Шевченківське родовище"])
def test_search_finds_shevchenkivske_and_pans_there(browser: Browser, shipped_maps: Path, query: str) -> None:
    opened = open_map(browser, shipped_maps / "overview.html")
    page = opened.page
    page.fill(".map-search input", query)
    page.press(".map-search input", "Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Shevchenkivske lithium deposit" in popup.inner_text()
    # CUR-001 lies at 47.90934 N, 36.71260 E. The map pans there, then the popup pans it again to fit (by how
    # much depends on the popup's height): the site must be in view, and near the centre across (east-west).
    # The whole of Ukraine, the site included, is in view before the search too: wait for the zoom to arrive.
    arrived = "(m => m.getZoom() >= 9 && m.getBounds().contains([47.90934, 36.71260]))(window.resourceMap.map)"
    deadline = time.monotonic() + 5.0
    while not page.evaluate(arrived):
        assert time.monotonic() < deadline, f"the site is not in view; the map is centred on {_centre(page)}"
        time.sleep(0.05)
    page.wait_for_timeout(500)  # the popup's own pan
    assert _centre(page)[1] == pytest.approx(36.713, abs=0.3)
    assert page.evaluate("window.resourceMap.map.getZoom()") >= 9
    page.close()


def _centre(page: Page) -> list[float]:
    centre: list[float] = page.evaluate(
        "(() => { const c = window.resourceMap.map.getCenter(); return [c.lat, c.lng]; })()"
    )
    return centre


def test_search_finds_a_region_and_says_when_nothing_matches(browser: Browser, shipped_maps: Path) -> None:
    page = open_map(browser, shipped_maps / "overview.html").page
    page.fill(".map-search input", "Kirovohrad Oblast")
    page.press(".map-search input", "Enter")
    page.wait_for_timeout(400)
    centre = _centre(page)
    assert centre[0] == pytest.approx(48.4, abs=0.6)
    assert centre[1] == pytest.approx(31.8, abs=1.2)
    page.fill(".map-search input", "Atlantis")
    page.press(".map-search input", "Enter")
    assert page.locator(".map-search-status").inner_text() == "No match"
    page.close()


def _blend(hex_colour: str, opacity: float) -> tuple[float, ...]:
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    return tuple(opacity * c + (1 - opacity) * 255 for c in rgb)


@pytest.mark.parametrize("opened", MAPS, indirect=True)
def test_screenshot_is_not_blank_and_shows_the_occupation(opened: Opened) -> None:
    opened.page.wait_for_timeout(300)
    image = Image.open(io.BytesIO(opened.page.screenshot())).convert("RGB")
    grey = image.convert("L").tobytes()
    assert statistics.pstdev(grey) > 20
    # the occupied-since-2022 fill over the white of Ukraine, or outside a regional map's focus under its white veil
    # (Kirovohrad Oblast has no occupied land: its map shows the occupation beyond it, veiled)
    target = _blend(style.OCCUPIED_SINCE_2022_COLOUR, style.OCCUPATION_OPACITY)
    veil, opacity = style.OUTSIDE_FOCUS_VEIL
    veiled = tuple(opacity * int(veil[1:3], 16) + (1 - opacity) * c for c in target)
    rgb = image.tobytes()
    pixels = zip(rgb[0::3], rgb[1::3], rgb[2::3], strict=True)
    near = sum(
        1 for px in pixels if any(all(abs(a - b) <= 8 for a, b in zip(px, t, strict=True)) for t in (target, veiled))
    )
    assert near > 2000, f"{near} pixels of the occupation colour {target} or {veiled}"


def test_hostile_names_render_as_text(browser: Browser, tmp_path: Path) -> None:
    evil = '<img src=x onerror="window.__pwned=1">'
    rows = [
        *[dict(d) for d in DEPOSITS],
        deposit_row(id="EVIL-1", name_en=evil, lon="30.7", oblast="Kirovohrad", source_name="`${window.__pwned=2}`"),
        deposit_row(id="JINJA-1", name_en="{{ 7*7 }} {% if 1 %}x{% endif %}", lon="30.2", oblast="Kirovohrad"),
    ]
    out = tmp_path / "maps"
    build.build(make_layers(tmp_path / "layers", deposits=rows), out)
    opened = open_map(browser, out / "overview.html")
    page = opened.page
    for deposit_id, shown in (("EVIL-1", evil), ("JINJA-1", "{{ 7*7 }} {% if 1 %}x{% endif %}")):
        page.evaluate("id => window.resourceMap.markers.find(m => m.depositId === id).openPopup()", deposit_id)
        popup = page.locator(".leaflet-popup-content", has_text=f"id {deposit_id}")
        assert popup.locator("b").first.inner_text() == shown
        assert popup.locator("img").count() == 0
    page.fill(".map-search input", "7*7")
    page.press(".map-search input", "Enter")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None
    assert opened.errors == []
    page.close()


def test_search_prefers_the_closest_name(browser: Browser, shipped_maps: Path) -> None:
    # "Покровськ" is the start of the Nikopol "Покровський ГЗК" record too; the city's exact name wins.
    page = open_map(browser, shipped_maps / "pokrovsk.html").page
    page.fill(".map-search input", "Покровськ")
    page.press(".map-search input", "Enter")
    page.wait_for_timeout(400)
    assert page.locator(".leaflet-popup-content").count() == 0
    centre = _centre(page)
    assert centre[0] == pytest.approx(48.28, abs=0.05)
    assert centre[1] == pytest.approx(37.18, abs=0.08)
    page.close()


def test_switching_base_layers_keeps_the_overlays_on_top(browser: Browser, shipped_maps: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()
    )
    page.goto((shipped_maps / "donetsk.html").as_uri(), wait_until="load")
    page.hover(".leaflet-control-layers")
    bases = page.locator(".leaflet-control-layers-base label")
    assert bases.count() == 2
    bases.nth(1).locator("input").click()  # the online tiles (blocked here)
    bases.nth(0).locator("input").click()  # back to the offline base map
    page.mouse.move(5, 890)
    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    target = _blend(style.OCCUPIED_SINCE_2022_COLOUR, style.OCCUPATION_OPACITY)
    rgb = image.tobytes()
    pixels = zip(rgb[0::3], rgb[1::3], rgb[2::3], strict=True)
    assert sum(1 for px in pixels if all(abs(a - b) <= 8 for a, b in zip(px, target, strict=True))) > 2000
    page.close()


def test_phone_screens_start_with_the_boxes_closed(browser: Browser, shipped_maps: Path) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto((shipped_maps / "overview.html").as_uri(), wait_until="load")
    wait_for_map(page)
    assert page.evaluate(
        "[...document.querySelectorAll('.map-panel details, .map-legend details')].map(d => d.open)"
    ) == [
        False,
        False,
    ]
    page.close()


@pytest.mark.parametrize("name", ["overview.html", "donetsk.html"])
def test_time_slider_steps_through_the_snapshots(browser: Browser, shipped_maps: Path, name: str) -> None:
    opened = open_map(browser, shipped_maps / name)
    page = opened.page
    slider = page.locator(".map-slider input")
    control = "id => window.resourceMap.markers.find(m => m.depositId === id).options.control"
    dashed = "document.querySelectorAll('.leaflet-overlay-pane path[stroke-dasharray=\"4 3\"]').length"
    assert page.evaluate(control, "CUR-001") == "occupied"  # Shevchenkivske, now
    assert page.evaluate(dashed) == 0
    slider.fill("0")  # the first month-end, 2022-04-30
    assert page.locator(".map-slider-date").inner_text().startswith("2022-04-30")
    assert page.evaluate(control, "CUR-001") == schema.HELD
    assert page.evaluate(dashed) == 1  # that date's occupied area is drawn
    icon = page.evaluate(
        "id => window.resourceMap.markers.find(m => m.depositId === id).getElement().innerHTML", "CUR-001"
    )
    assert 'stroke="#ffffff"' in icon
    slider.fill(slider.get_attribute("max") or "0")
    assert page.evaluate(control, "CUR-001") == "occupied"
    assert page.evaluate(dashed) == 0
    assert opened.errors == []
    page.close()


def test_the_grey_zone_is_a_hatched_layer_off_on_the_overview(browser: Browser, tmp_path: Path) -> None:
    out = tmp_path / "maps"
    build.build(make_layers(tmp_path / "layers"), out)  # the tiny world's snapshot has a grey zone (lon 31–31.25)
    for name, shown in (("overview.html", False), ("donetsk.html", True)):
        opened = open_map(browser, out / name)
        page = opened.page
        grey = page.evaluate(
            "() => [...document.querySelectorAll('.legend-section')]"
            ".find(e => e.textContent.includes('Grey zone')).dataset.layer"
        )
        state: dict[str, Any] = page.evaluate(LAYER_STATE)
        assert (grey in state["onMap"]) is shown, name
        assert state["legend"] == state["onMap"]
        if not shown:
            page.hover(".leaflet-control-layers")
            page.locator(".leaflet-control-layers-overlays label", has_text="Grey zone").locator("input").click()
        hatched = page.locator("path.contested-area")
        assert hatched.count() == 1, name
        assert hatched.first.get_attribute("fill") == "url(#contested-hatch)"
        assert page.locator("pattern#contested-hatch line").count() == 1
        legend = page.locator(".legend-section", has_text="Grey zone")
        assert legend.is_visible()
        assert "not counted as occupied" in legend.inner_text()
        assert opened.errors == []
        page.close()


CYRILLIC = re.compile("[\u0400-\u04ff]")


def test_the_ukrainian_overview_speaks_ukrainian(browser: Browser, shipped_maps: Path) -> None:
    opened = open_map(browser, shipped_maps / "uk" / "overview.html")
    page = opened.page
    assert page.evaluate("document.documentElement.lang") == "uk"
    legend = page.locator(".map-legend").inner_text()
    panel = page.locator(".map-panel").inner_text()
    for words in (legend, panel):
        assert len(CYRILLIC.findall(words)) > 100
    assert "Умовні позначення" in legend
    assert "Окуповано після 24 лютого 2022" in legend
    assert "Літій" in legend
    assert "Хто контролює мінеральні ресурси України" in panel
    assert re.search(r"Цей проєкт: \d+\u00a0%", panel)  # a Ukrainian page writes "19 %", not "19%"
    assert page.get_attribute(".map-search input", "placeholder") == "Пошук родовищ і регіонів"
    assert page.get_attribute(".leaflet-control-zoom-in", "title") == "Збільшити"
    assert page.get_attribute(".leaflet-control-layers-toggle", "title") == "Шари"
    assert page.get_attribute(".leaflet-control-attribution a", "title") == i18n.words("uk")("setup.leaflet")
    assert page.title().startswith("Хто контролює")
    assert opened.errors == []
    page.close()


def test_ukrainian_panels_write_numbers_the_ukrainian_way(browser: Browser, shipped_maps: Path) -> None:
    summary = json.loads((shipped_maps / schema.SUMMARY_JSON).read_text(encoding="utf-8"))
    donetsk = next(r for r in summary["focus_regions"] if r["region_id"] == schema.DONETSK_ID)
    share = f"{donetsk['occupied_share'] * 100:.1f}".replace(".", ",") + "\u00a0%"  # e.g. 80,1 %
    for lang, name, written in (
        ("uk", "Донецька область", share),
        ("en", "Donetsk Oblast", f"{donetsk['occupied_share']:.1%}"),
    ):
        path = shipped_maps / ("uk/donetsk.html" if lang == "uk" else "donetsk.html")
        opened = open_map(browser, path)
        panel = opened.page.locator(".map-panel").inner_text()
        assert f"{name}: " in panel
        assert written in panel, (lang, written)
        opened.page.close()


def test_the_panel_puts_every_basis_of_the_metals_share_in_one_table(browser: Browser, shipped_maps: Path) -> None:
    summary = json.loads((shipped_maps / schema.SUMMARY_JSON).read_text(encoding="utf-8"))
    comparison = summary["metals_comparison"]
    lithium = next(item for item in comparison["reserves_by_commodity"] if item["commodity"] == "lithium")
    opened = open_map(browser, shipped_maps / "overview.html")
    rows = opened.page.locator(".map-panel table.bases tr").all_inner_texts()
    cells = [[cell.strip() for cell in row.split("\t")] for row in rows]
    assert cells[0] == ["Basis (this project)", "Occupied", "Records with a figure"]
    assert ["Reserves: lithium (LCE)", f"{lithium['occupied_share']:.0%}", "3 of 4"] in cells
    value = comparison["value"]
    low, central, high = (f"{value[k]:.0%}" for k in ("low", "central", "high"))
    flag = "\u00a0†" if value["low_confidence"] else ""
    assert [
        "Value, estimate (price range)",
        f"{central} ({low}–{high}){flag}",
        f"{value['records_valued']} of 33",
    ] in cells
    assert flag  # Velykyi Tokmak's figure is of low confidence, and the panel says so
    assert "† rests on a low-confidence figure" in opened.page.locator(".map-panel").inner_text()
    assert "F10: 42%" in opened.page.locator(".map-panel").inner_text()  # the published figures follow
    opened.page.close()


def test_markers_can_be_sized_by_their_published_reserve(browser: Browser, shipped_maps: Path) -> None:
    opened = open_map(browser, shipped_maps / "lithium.html")
    page = opened.page
    sizes = "id => window.resourceMap.markers.find(m => m.depositId === id).options.icon.options.iconSize[0]"
    assert page.evaluate(sizes, "CUR-001") == style.LITHIUM_MARKER_SIZE
    page.check("input[id$='_size']")
    low, high = style.RESERVE_MARKER_SIZES
    assert page.evaluate(sizes, "CUR-004") == high  # Dobra: 3.664 Mt LCE, the largest lithium figure
    assert page.evaluate(sizes, "CUR-001") == round(low + (high - low) * (0.353 / 3.664) ** 0.5)  # Shevchenkivske
    assert page.evaluate(sizes, "CUR-002") == style.LITHIUM_MARKER_SIZE  # Kruta Balka: no figure, no change
    page.uncheck("input[id$='_size']")
    assert page.evaluate(sizes, "CUR-004") == style.LITHIUM_MARKER_SIZE
    assert opened.errors == []
    page.close()


# --- issue 19 ----------------------------------------------------------------------------------------------------

LITHIUM_NAMES = [  # the four lithium records of layers/deposits/deposits.csv (CUR-001 to CUR-004), read by hand
    "Shevchenkivske lithium deposit",
    "Kruta Balka lithium deposit",
    "Polokhivske lithium deposit",
    "Dobra lithium site",
]


def test_the_lithium_map_counts_names_and_labels_the_lithium_sites(browser: Browser, shipped_maps: Path) -> None:
    # deposits.csv has 4 lithium records: Shevchenkivske (occupied since 2022), Polokhivske and Dobra (held), Kruta
    # Balka (no known site, control unknown); not the 92 records of the whole layer.
    opened = open_map(browser, shipped_maps / "lithium.html")
    page = opened.page
    panel = page.locator(".map-panel").inner_text()
    assert (
        "Records (Lithium): 1 occupied since 24 Feb 2022, 0 occupied before 24 Feb 2022, 2 held by Ukraine, "
        "1 of unknown control"
    ) in panel
    assert "53 held" not in panel
    assert "Metals under Russian control" not in panel
    sites = page.locator(".map-panel ul.panel-sites li").all_inner_texts()
    assert sites == [
        "Shevchenkivske lithium deposit: Occupied since 24 Feb 2022",
        "Kruta Balka lithium deposit: Control unknown (no known site; drawn at a point in its oblast)",
        "Polokhivske lithium deposit: Held by Ukraine",
        "Dobra lithium site: Held by Ukraine",
    ]
    labels = page.locator(".leaflet-tooltip.deposit-label")
    assert sorted(labels.all_inner_texts()) == sorted(LITHIUM_NAMES)  # shown without pointing at anything
    assert all(labels.nth(i).is_visible() for i in range(4))
    assert page.locator(".leaflet-tooltip.deposit-label").count() == 4
    assert opened.errors == []
    page.close()


def test_the_focus_region_is_outlined_and_the_land_outside_veiled(browser: Browser, tmp_path: Path) -> None:
    out = tmp_path / "maps"
    build.build(make_layers(tmp_path / "layers"), out, regions=["UA1416021"])  # the tiny world's one hromada
    colour, width = style.FOCUS_OUTLINE
    veil, opacity = style.OUTSIDE_FOCUS_VEIL
    # (map, a point inside its focus, a point outside it in view): the hromada is lon 31-31.5, lat 48-48.5
    for name, inside, outside in (
        ("ua1416021-pokrovsk-urban-hromada.html", [48.25, 31.25], [48.25, 31.53]),
        ("donetsk.html", [48.5, 31.5], [48.5, 30.9]),
    ):
        opened = open_map(browser, out / name)
        page = opened.page
        outline = page.locator(".leaflet-focus-pane path")
        assert outline.count() == 1, name
        assert outline.get_attribute("stroke") == colour
        assert outline.get_attribute("stroke-width") == f"{width:g}"
        assert outline.get_attribute("fill") == "none"
        shade = page.locator(".leaflet-veil-pane path")
        assert shade.count() == 1, name
        assert (shade.get_attribute("fill"), shade.get_attribute("fill-opacity")) == (veil, f"{opacity:g}")
        veiled = """([lat, lon]) => {
          const path = document.querySelector('.leaflet-veil-pane path');
          const p = window.resourceMap.map.latLngToLayerPoint([lat, lon]);
          return path.isPointInFill(new DOMPoint(p.x, p.y));
        }"""
        assert page.evaluate(veiled, outside) is True, name
        assert page.evaluate(veiled, inside) is False, name
        assert opened.errors == []
        page.close()


def test_the_slider_moves_the_panel_and_draws_what_was_freed_and_taken(browser: Browser, tmp_path: Path) -> None:
    # The tiny world's history (tests/conftest.py) plus a month-end of December 2024, when the front stood at
    # lon 30.9: then 30.9-32 was occupied, in January 2025 31.5-32, in February and now 31.25-32, with the grey zone
    # 31-31.25 now.
    layers = make_layers(tmp_path / "layers")
    add_december_2024(layers)
    out = tmp_path / "maps"
    build.build(layers, out)
    opened = open_map(browser, out / "donetsk.html")
    page = opened.page
    slider = page.locator(".map-slider input")
    assert slider.get_attribute("max") == "3"  # 2024-12-31, 2025-01-31, 2025-02-28, 2026-08-22
    panel = page.locator(".map-panel")
    legend = page.locator(".legend-slider")
    # now: Donetsk (lon 31-32) is 75 % occupied; of its 4 records (D1, D2, D5, D6) D1 and D6 since 2022, D2 before,
    # D5 (no site) unknown
    assert "Occupied areas as of 2026-08-22" in panel.inner_text()
    assert "Donetsk Oblast: 75.0% occupied" in panel.inner_text()
    assert "2 occupied since 24 Feb 2022, 1 occupied before 24 Feb 2022, 0 held by Ukraine, 1 of unknown control" in (
        panel.inner_text()
    )
    assert not legend.is_visible()
    slider.fill("1")  # 2025-01-31: 31.5-32 occupied (50 %); D6 (lon 31.3) held then
    text = panel.inner_text()
    assert "Occupied areas as of 2025-01-31" in text
    assert "Donetsk Oblast: 50.0% occupied" in text
    assert (
        "1 occupied since 24 Feb 2022, 1 occupied before 24 Feb 2022, 1 held by Ukraine, 1 of unknown control" in text
    )
    assert page.locator("path.slider-taken").count() == 1  # 31.25-31.5: occupied now, not then
    assert page.locator("path.slider-freed").count() == 0  # nothing occupied then is free now
    assert page.locator("path.slider-taken").get_attribute("fill") == style.TAKEN_SINCE_COLOUR
    assert legend.is_visible()
    assert "Occupied then, no longer occupied" in legend.inner_text()
    assert "Taken since" in legend.inner_text()
    slider.fill("0")  # 2024-12-31: 30.9-32 occupied (Donetsk 100 %); 30.9-31 no longer occupied, 31-31.25 grey now
    assert "Donetsk Oblast: 100.0% occupied" in panel.inner_text()
    assert page.locator("path.slider-freed").count() == 1
    freed = page.evaluate(
        """() => { let b = null; window.resourceMap.map.eachLayer(l => {
          if (l.options && l.options.className === 'slider-freed') { b = l.getBounds(); } });
          return [b.getWest(), b.getEast()]; }"""
    )
    assert freed == [pytest.approx(30.9, abs=0.001), pytest.approx(31.0, abs=0.001)]  # the grey zone is not "freed"
    assert page.locator("path.slider-taken").count() == 0
    assert page.locator("path.slider-freed").get_attribute("fill") == style.FREED_SINCE_COLOUR
    slider.fill("3")
    assert "Donetsk Oblast: 75.0% occupied" in panel.inner_text()
    assert page.locator("path.slider-freed, path.slider-taken").count() == 0
    assert not legend.is_visible()
    assert opened.errors == []
    page.close()


def _box(page: Page, selector: str) -> dict[str, float]:
    box: dict[str, float] = page.evaluate(
        "s => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {l: r.left, t: r.top, r: r.right, b: r.bottom}; }",
        selector,
    )
    return box


def _meet(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


@pytest.mark.parametrize("name", ["overview.html", "lithium.html", "donetsk.html", "uk/overview.html"])
def test_on_a_phone_nothing_covers_the_scale_bar(browser: Browser, shipped_maps: Path, name: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto((shipped_maps / name).as_uri(), wait_until="load")
    wait_for_map(page)
    scale = _box(page, ".leaflet-control-scale")
    for other in (".leaflet-control-attribution", ".map-legend", ".map-panel"):
        assert not _meet(scale, _box(page, other)), other
    assert not _meet(_box(page, ".map-legend"), _box(page, ".map-panel"))
    page.close()


@pytest.mark.parametrize("query", ["Shevchenkivske", "Polokhivske"])
def test_on_a_phone_no_control_covers_an_open_popup(browser: Browser, shipped_maps: Path, query: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto((shipped_maps / "overview.html").as_uri(), wait_until="load")
    wait_for_map(page)
    page.fill(".map-search input", query)
    page.press(".map-search input", "Enter")
    page.locator(".leaflet-popup-content").wait_for()
    page.wait_for_timeout(1500)  # the zoom, then the popup's pans
    popup = _box(page, ".leaflet-popup-content-wrapper")
    controls = page.evaluate(
        """() => [...document.querySelectorAll('.leaflet-control')].map(el => {
          const r = el.getBoundingClientRect();
          return {name: el.className, l: r.left, t: r.top, r: r.right, b: r.bottom}; })"""
    )
    covered = [c["name"] for c in controls if _meet(popup, c)]
    assert covered == [], (popup, covered)
    page.close()


def test_cluster_counts_are_not_hidden_under_markers(browser: Browser, shipped_maps: Path) -> None:
    opened = open_map(browser, shipped_maps / "overview.html")
    hidden = opened.page.evaluate(
        """() => [...document.querySelectorAll('.deposit-cluster')].filter(el => {
          const r = el.getBoundingClientRect();
          const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return !el.contains(top);
        }).map(el => el.textContent)"""
    )
    assert opened.page.locator(".deposit-cluster").count() >= 3
    assert hidden == []
    opened.page.close()


def test_the_overview_frames_ukraine_to_fill_the_window(browser: Browser, shipped_maps: Path) -> None:
    opened = open_map(browser, shipped_maps / "overview.html")
    # Ukraine's extreme points: 22.14 E (Zakarpattia), 40.23 E (Luhansk); 44.38 N (Crimea), 52.38 N (Chernihiv)
    span = opened.page.evaluate(
        """() => { const m = window.resourceMap.map;
          const a = m.latLngToContainerPoint([52.38, 22.14]), b = m.latLngToContainerPoint([44.38, 40.23]);
          return [b.x - a.x, b.y - a.y]; }"""
    )
    # beside the legend and the panel (330 px each side on a wide screen): 740 px of 1400
    assert span[0] >= 0.85 * (1400 - 2 * 330), span
    assert span[0] <= 1400 - 2 * 330
    opened.page.close()


MEASURE_WORDS = re.compile(r"\b(ore|coal|LCE|Li2O|TREO|ZrO2|TiO2|graphite|U|unclear|t|kt|Mt|bn)\b")


def test_ukrainian_pages_have_no_english_measure_words(browser: Browser, shipped_maps: Path) -> None:
    opened = open_map(browser, shipped_maps / "uk" / "overview.html")
    page = opened.page
    figures: list[str] = page.evaluate(
        """() => window.resourceMap.markers.map(m => {
          const div = document.createElement('div');
          div.innerHTML = m.getPopup().getContent();
          const line = [...div.querySelectorAll('br')].map(br => br.nextSibling && br.nextSibling.textContent || '')
            .find(t => t.startsWith('Запаси (опубліковано): '));
          return line ? line.slice('Запаси (опубліковано): '.length).split(' (')[0] : null;
        }).filter(x => x)"""
    )
    assert len(figures) >= 30  # the records with a reserve figure
    assert [f for f in figures if MEASURE_WORDS.search(f)] == []
    assert "0,353 млн т екв. карбонату літію" in figures  # Shevchenkivske, 0.353 Mt LCE in reserves.csv
    rows = page.locator(".map-panel table.bases tr td:first-child").all_inner_texts()
    assert "Запаси: залізна руда (руда)" in rows
    assert [r for r in rows if MEASURE_WORDS.search(r)] == []
    assert opened.errors == []
    page.close()


# --- the scenario map -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_maps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world's maps (its four scenarios: frozen, mix, back, band)."""
    out = tmp_path_factory.mktemp("tiny_scenarios") / "maps"
    build.build(make_layers(out.parent / "layers"), out)
    return out


SCENARIO_STATE = """() => {
  const r = window.resourceMap, id = r.id;
  const shown = [...document.querySelectorAll('#' + id + '_panel .scenario-panel')].filter(el => !el.hidden);
  const legend = [...document.querySelectorAll('#' + id + '_legend .legend-section')]
    .filter(el => el.style.display !== 'none').map(el => el.textContent.trim());
  const dmz = document.querySelector('#' + id + '_legend .legend-dmz-marker');
  return {
    scenario: r.scenario,
    select: document.querySelector('.map-scenarios select').value,
    panels: shown.map(el => el.dataset.scenario),
    share: shown.length ? shown[0].querySelector('.scenario-russian-share').textContent : null,
    panel: shown.length ? shown[0].innerText : '',
    legend,
    dmzMarker: dmz !== null && dmz.style.display !== 'none',
    hash: window.location.hash,
  };
}"""


def _outline(page: Page, deposit_id: str) -> str:
    stroke: str = page.evaluate(
        "id => window.resourceMap.markers.find(m => m.depositId === id).getElement().querySelector('path')"
        ".getAttribute('stroke')",
        deposit_id,
    )
    return stroke


def test_the_scenario_switcher_redraws_the_map_legend_and_panel(browser: Browser, tiny_maps: Path) -> None:
    opened = open_map(browser, tiny_maps / "scenarios.html")
    page = opened.page
    state = page.evaluate(SCENARIO_STATE)
    assert (state["scenario"], state["select"], state["panels"], state["hash"]) == ("frozen", "frozen", ["frozen"], "")
    assert state["share"] == "25.0%"  # lon 31.25-32 of 30-33 (the tiny world's occupied quarter)

    page.select_option(".map-scenarios select", "back")  # back returns Donetsk: nothing is Russian-controlled
    state = page.evaluate(SCENARIO_STATE)
    assert (state["scenario"], state["panels"], state["hash"]) == ("back", ["back"], "#scenario=back")
    assert state["share"] == "0.0%"
    assert not any("Demilitarised" in entry for entry in state["legend"]), state["legend"]
    assert not state["dmzMarker"]
    assert not any(entry.startswith("Russian-controlled under") for entry in state["legend"]), state["legend"]
    assert any(entry.startswith("Returned") for entry in state["legend"]), state["legend"]
    assert _outline(page, "D1") == style.CONTROL_OUTLINE[schema.HELD][0]  # D1 (lon 31.6) is returned

    page.select_option(".map-scenarios select", "mix")  # Kirovohrad ceded, Donetsk's held quarter demilitarised
    state = page.evaluate(SCENARIO_STATE)
    assert (state["scenario"], state["panels"], state["hash"]) == ("mix", ["mix"], "#scenario=mix")
    assert state["share"] == "58.3%"  # 7/12
    assert "Lithium three: Held by Ukraine → Russian-controlled" in state["panel"]
    assert "Unplaced four: Held by Ukraine → Russian-controlled" in state["panel"]
    assert "Demilitarised zone (no troops of either side)" in state["legend"]
    assert "With the demilitarised zone\t66.7%" in state["panel"]  # 8/12: Russian 7/12 and the twelfth between
    assert state["dmzMarker"]
    assert _outline(page, "D3") == style.CONTROL_OUTLINE[schema.OCCUPIED_SINCE_2022][0]
    # the layer control lists the mix's areas and not the returned ground it has none of
    page.hover(".leaflet-control-layers")
    overlays = page.locator(".leaflet-control-layers-overlays").inner_text()
    assert "Ceded: held by Ukraine today" in overlays
    assert "Returned:" not in overlays
    # what the layer control turns off stays off on the next scenario, and the legend follows
    labels = page.locator(".leaflet-control-layers-overlays label")
    labels.filter(has_text=re.compile("^ ?Russian-controlled under")).locator("input").click()
    page.select_option(".map-scenarios select", "band")
    state = page.evaluate(SCENARIO_STATE)
    assert state["scenario"] == "band"
    assert "Demilitarised band: 10 km from the line" in state["panel"]  # band: dmz@10:UA14
    assert not any(entry.startswith("Russian-controlled under") for entry in state["legend"])
    assert page.evaluate(LAYER_STATE)["legend"] == page.evaluate(LAYER_STATE)["onMap"]
    assert [u for u in opened.requests if not u.startswith(("file:", "data:"))] == []
    assert opened.errors == []
    page.close()


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [("#scenario=band", "band"), ("#scenario=nowhere", "frozen"), ("#scenario=%3Cimg%20src%3Dx%3E", "frozen")],
)
def test_the_address_chooses_the_scenario(browser: Browser, tiny_maps: Path, fragment: str, expected: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((tiny_maps / "scenarios.html").as_uri() + fragment, wait_until="load")
    wait_for_map(page)
    state = page.evaluate(SCENARIO_STATE)
    assert (state["scenario"], state["select"], state["panels"]) == (expected, expected, [expected])
    page.evaluate("window.location.hash = '#scenario=back'")  # a link within the page, or the reader's edit
    page.wait_for_timeout(100)
    assert page.evaluate(SCENARIO_STATE)["scenario"] == "back"
    assert errors == []
    page.close()


def test_on_a_phone_the_scenario_switcher_is_usable(browser: Browser, tiny_maps: Path) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto((tiny_maps / "scenarios.html").as_uri(), wait_until="load")
    wait_for_map(page)
    select = _box(page, ".map-scenarios select")
    assert select["l"] >= 0
    assert select["r"] <= 390
    assert select["b"] <= 844
    hit = page.evaluate(
        """() => { const s = document.querySelector('.map-scenarios select'), r = s.getBoundingClientRect();
                   return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === s; }"""
    )
    assert hit, "something covers the switcher"
    for other in (".map-search", ".leaflet-control-layers", f"#{page.evaluate('window.resourceMap.id')}_panel"):
        assert not _meet(select, _box(page, other)), other
    page.focus(".map-scenarios select")  # the keyboard alone steps through the scenarios
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(100)
    assert page.evaluate(SCENARIO_STATE)["scenario"] == "mix"
    page.close()


@pytest.mark.parametrize("name", ["scenarios.html", "uk/scenarios.html"])
def test_the_shipped_scenario_map_switches_every_scenario(browser: Browser, shipped_maps: Path, name: str) -> None:
    opened = open_map(browser, shipped_maps / name)
    page = opened.page
    ids = page.evaluate("[...document.querySelectorAll('.map-scenarios option')].map(o => o.value)")
    assert ids[0] == schema.FROZEN_SCENARIO
    assert len(ids) >= 2
    for sid in ids:
        page.select_option(".map-scenarios select", sid)
        state = page.evaluate(SCENARIO_STATE)
        assert (state["scenario"], state["panels"]) == (sid, [sid])
        assert state["share"]
        layers = page.evaluate(LAYER_STATE)
        assert layers["legend"] == layers["onMap"]
    assert opened.errors == []
    page.close()


def test_the_layer_of_one_source_only_toggles_on_with_its_legend_and_popups(browser: Browser, tmp_path: Path) -> None:
    # The tiny world's DeepState snapshot (lon 31.25–32) and an NZZ snapshot of its day (31.5–32.5, without the
    # pre-2022 area 31.75–32): DeepState alone shows 31.25–31.5 (with D6 at lon 31.3), NZZ alone 32–32.5.
    layers = make_layers(tmp_path / "layers")
    store_second_source(layers, "nzz", "2026-08-22", box(31.5, 48, 32.5, 49), leaves_out=("pre2022",))
    out = tmp_path / "maps"
    build.build(layers, out)
    opened = open_map(browser, out / "overview.html")
    page = opened.page
    name = "Occupied per one source only"
    layer = page.evaluate(
        "name => [...document.querySelectorAll('.legend-section')]"
        ".find(e => e.textContent.startsWith(name)).dataset.layer",
        name,
    )
    state: dict[str, Any] = page.evaluate(LAYER_STATE)
    assert layer not in state["onMap"]  # off when the map opens
    legend = page.locator(".legend-section", has_text=name)
    assert not legend.is_visible()
    page.hover(".leaflet-control-layers")
    page.locator(".leaflet-control-layers-overlays label", has_text=name).locator("input").click()
    state = page.evaluate(LAYER_STATE)
    assert layer in state["onMap"]
    assert state["legend"] == state["onMap"]
    assert legend.is_visible()
    text = legend.inner_text()
    for words in ("occupied per DeepStateMap.Live only", "occupied per NZZ, data from Liveuamap only", "(2026-08-22)"):
        assert words in text, words
    for colour in ("#2166ac", "#542788"):  # geo/style.py's SOURCE_ONLY_STYLE for deepstate and nzz
        assert page.locator(f'path.leaflet-interactive[stroke="{colour}"]').count() == 1, colour
    page.mouse.move(5, 450)
    _click_deposit(page, "D6")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Sources differ: occupied per DeepStateMap.Live, held per NZZ, data from Liveuamap (2026-08-22)" in (
        popup.inner_text()
    )
    assert opened.errors == []
    page.close()
