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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from geo import build, catalogue, i18n, schema, style
from tests.conftest import DEPOSITS, SHIPPED_LAYERS, deposit_row, make_layers

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MAPS = sorted(spec.file for spec in catalogue.MAPS)
#: A deposit inside each map's frame, clear of the panels, to click.
CLICK = {
    "overview.html": "CUR-001",
    "donetsk.html": "CUR-001",
    "zaporizhzhia.html": "CUR-014",
    "kirovohrad.html": "CUR-003",
    "pokrovsk.html": "GEM-M0983",
    "lithium.html": "CUR-004",
}


@dataclass
class Opened:
    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (the README's test command does)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def shipped_maps(shipped_build: tuple[Path, dict[str, object]]) -> Path:
    return shipped_build[0]


def _wait_for_map(page: Page, timeout_s: float = 15.0) -> None:
    """Wait until the page's script has set up the map.

    Polled from here with ``evaluate`` (run by the DevTools protocol), not with
    ``wait_for_function``, whose in-page polling compiles a string, which the
    page's Content-Security-Policy rightly refuses (no ``unsafe-eval``).
    """
    deadline = time.monotonic() + timeout_s
    while not page.evaluate("window.resourceMap !== undefined"):
        if time.monotonic() > deadline:
            pytest.fail(f"the map did not set up within {timeout_s} s")
        time.sleep(0.02)


def _open(browser: Browser, path: Path) -> Opened:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    opened = Opened(page)
    page.on("request", lambda r: opened.requests.append(r.url))
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    _wait_for_map(page)
    return opened


@pytest.fixture
def opened(request: pytest.FixtureRequest, browser: Browser, shipped_maps: Path) -> Iterator[Opened]:
    result = _open(browser, shipped_maps / request.param)
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
    opened = _open(browser, shipped_maps / "overview.html")
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
    opened = _open(browser, shipped_maps / "overview.html")
    page = opened.page
    page.fill(".map-search input", query)
    page.press(".map-search input", "Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Shevchenkivske lithium deposit" in popup.inner_text()
    # CUR-001 lies at 47.90934 N, 36.71260 E. The map pans there, then the popup pans it again to fit (by how
    # much depends on the popup's height): the site must be in view, and near the centre across (east-west).
    deadline = time.monotonic() + 5.0
    while not page.evaluate("window.resourceMap.map.getBounds().contains([47.90934, 36.71260])"):
        assert time.monotonic() < deadline, f"the site is not in view; the map is centred on {_centre(page)}"
        time.sleep(0.05)
    assert _centre(page)[1] == pytest.approx(36.713, abs=0.3)
    assert page.evaluate("window.resourceMap.map.getZoom()") >= 9
    page.close()


def _centre(page: Page) -> list[float]:
    centre: list[float] = page.evaluate(
        "(() => { const c = window.resourceMap.map.getCenter(); return [c.lat, c.lng]; })()"
    )
    return centre


def test_search_finds_a_region_and_says_when_nothing_matches(browser: Browser, shipped_maps: Path) -> None:
    page = _open(browser, shipped_maps / "overview.html").page
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
    # the occupied-since-2022 fill over the white of Ukraine
    target = _blend(style.OCCUPIED_SINCE_2022_COLOUR, style.OCCUPATION_OPACITY)
    rgb = image.tobytes()
    pixels = zip(rgb[0::3], rgb[1::3], rgb[2::3], strict=True)
    near = sum(1 for px in pixels if all(abs(a - b) <= 8 for a, b in zip(px, target, strict=True)))
    assert near > 2000, f"{near} pixels of the occupation colour {target}"


def test_hostile_names_render_as_text(browser: Browser, tmp_path: Path) -> None:
    evil = '<img src=x onerror="window.__pwned=1">'
    rows = [
        *[dict(d) for d in DEPOSITS],
        deposit_row(id="EVIL-1", name_en=evil, lon="30.7", oblast="Kirovohrad", source_name="`${window.__pwned=2}`"),
        deposit_row(id="JINJA-1", name_en="{{ 7*7 }} {% if 1 %}x{% endif %}", lon="30.2", oblast="Kirovohrad"),
    ]
    out = tmp_path / "maps"
    build.build(make_layers(tmp_path / "layers", deposits=rows), out)
    opened = _open(browser, out / "overview.html")
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
    page = _open(browser, shipped_maps / "pokrovsk.html").page
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
    _wait_for_map(page)
    assert page.evaluate(
        "[...document.querySelectorAll('.map-panel details, .map-legend details')].map(d => d.open)"
    ) == [
        False,
        False,
    ]
    page.close()


@pytest.mark.parametrize("name", ["overview.html", "donetsk.html"])
def test_time_slider_steps_through_the_snapshots(browser: Browser, shipped_maps: Path, name: str) -> None:
    opened = _open(browser, shipped_maps / name)
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
        opened = _open(browser, out / name)
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
    opened = _open(browser, shipped_maps / "uk" / "overview.html")
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
        opened = _open(browser, path)
        panel = opened.page.locator(".map-panel").inner_text()
        assert f"{name}: " in panel
        assert written in panel, (lang, written)
        opened.page.close()


def test_the_panel_puts_every_basis_of_the_metals_share_in_one_table(browser: Browser, shipped_maps: Path) -> None:
    summary = json.loads((shipped_maps / schema.SUMMARY_JSON).read_text(encoding="utf-8"))
    comparison = summary["metals_comparison"]
    lithium = next(item for item in comparison["reserves_by_commodity"] if item["commodity"] == "lithium")
    opened = _open(browser, shipped_maps / "overview.html")
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
    opened = _open(browser, shipped_maps / "lithium.html")
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
