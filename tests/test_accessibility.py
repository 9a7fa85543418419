"""Maps everyone can use (issue 22 §4): axe-core in real Chromium, the keyboard, and the table view.

Every map of the shipped build (`geo.catalogue.MAPS`, English and Ukrainian, and one map made with ``--map``) must
give axe-core no violation of impact serious or critical, as it opens and with its table view open (and so must
the build's index page); its colour
contrast rule must measure (not skip) the text of the panel, the legend and the labels.  axe-core is the one
bundled with axe-playwright-python, put into the page as a ``<script>`` (``add_script_tag``: the pages' CSP allows
inline scripts, not eval) and run with ``evaluate``.

By keyboard alone: Tab reaches a marker and Enter opens its popup, Escape gives the focus back; the table view
opens from the skip link and the map's button, Escape closes it and the focus returns; a row's button shows a
clustered record and opens its popup.  The table view's figures are checked against the tiny world of
tests/conftest.py, whose shares are stated there by hand.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from geo import build, catalogue, i18n
from tests.browsing import Opened, open_map
from tests.conftest import DEPOSITS, SHIPPED_LAYERS, deposit_row, make_layers

#: axe-core as axe-playwright-python bundles it (the dev extras pin it).
AXE_JS = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
SERIOUS = ("serious", "critical")
MAPS = [spec.file for spec in catalogue.MAPS]
#: The region of the ``--map`` map checked here (any region would do: it is made as the build makes it).
REGION = "Kharkiv Oblast"

#: Run axe-core on the page (with the options given) and sum up in the page what the tests need: every violation
#: (with its nodes), counts by impact, and where the colour contrast rule measured, skipped (incomplete) or failed
#: text of the panel, the legend, the labels and the table view.
AXE_RUN = """async options => {
  const r = await axe.run(document, options);
  const areas = {panel: '.map-panel', legend: '.map-legend', labels: '.deposit-label', table: '#table-view'};
  const contrast = {};
  for (const [kind, list] of [['passes', r.passes], ['incomplete', r.incomplete], ['violations', r.violations]]) {
    for (const rule of list.filter(x => x.id === 'color-contrast')) {
      for (const node of rule.nodes) {
        const el = document.querySelector(node.target[node.target.length - 1]);
        for (const [area, selector] of Object.entries(areas)) {
          if (!el || !el.closest(selector)) { continue; }
          contrast[area] = contrast[area] || {passes: 0, incomplete: [], violations: []};
          if (kind === 'passes') { contrast[area].passes += 1; } else {
            const why = [...node.any, ...node.all].map(c => c.message).join('; ');
            contrast[area][kind].push(node.target.join(' ') + ': ' + why);
          }
        }
      }
    }
  }
  const counts = {};
  for (const v of r.violations) { counts[v.impact] = (counts[v.impact] || 0) + v.nodes.length; }
  return {
    version: r.testEngine.version, rules: r.passes.length + r.violations.length + r.incomplete.length, counts,
    contrast,
    violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 300), summary: n.failureSummary}))}))
  };
}"""
#: Every rule, with the nodes of each result type in full (the contrast areas count passing nodes).
EVERY_RULE: dict[str, Any] = {"resultTypes": ["violations", "incomplete", "passes"]}
CONTRAST: dict[str, Any] = {"runOnly": ["color-contrast"]}


def axe(page: Page, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run axe-core in `page` (put in once, as a script tag) and return `AXE_RUN`'s summary."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE_JS)
    assert page.evaluate("typeof window.axe === 'object' && typeof window.axe.run === 'function'"), (
        "axe-core did not load into the page (its Content-Security-Policy?)"
    )
    result: dict[str, Any] = page.evaluate(AXE_RUN, options or EVERY_RULE)
    assert result["version"].startswith("4.")
    assert result["rules"] >= (1 if options else 20)  # it ran
    return result


def serious(result: dict[str, Any], where: str) -> str:
    """Describe the serious and critical violations of an `axe` result ("" if none), each node with its fix."""
    lines = []
    for v in result["violations"]:
        if v["impact"] not in SERIOUS:
            continue
        lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']} ({v['url']}), {len(v['nodes'])} nodes")
        lines += [f"    {n['target']}\n      {n['summary']}\n      {n['html']}" for n in v["nodes"][:12]]
    return "\n".join(lines)


def measured(result: dict[str, Any], area: str, where: str) -> None:
    """Assert that the colour contrast rule measured text in `area` and found all of it enough (WCAG AA)."""
    found = result["contrast"].get(area)
    assert found is not None, f"{where}: axe-core measured no text contrast in the {area}"
    listed = "\n".join(found["violations"] + found["incomplete"])
    assert found["violations"] == [], f"{where}: contrast below WCAG AA in the {area}:\n{listed}"
    assert found["incomplete"] == [], f"{where}: axe-core could not measure the {area}:\n{listed}"
    assert found["passes"] > 0


#: Hide the map's panes (or show them again): under the opaque panel and legend they change nothing on screen, but
#: axe-core gives up on a text whose lines lie over different shapes of the map (incomplete, "partially overlaps").
MAP_PANES = "hide => { document.querySelector('.leaflet-map-pane').style.visibility = hide ? 'hidden' : ''; }"
#: Fold the panel and the legend (or unfold them), as a reader may, so that no label runs under them.
FOLD = "fold => document.querySelectorAll('.map-panel details, .map-legend details').forEach(d => { d.open = !fold; })"
#: The background of the panel and the legend: opaque, so that the map under them cannot change their contrast.
BACKGROUNDS = "[...document.querySelectorAll('.map-panel, .map-legend')].map(e => getComputedStyle(e).backgroundColor)"


@pytest.fixture(scope="module")
def region_maps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Render the ``--map`` map of `REGION` from the shipped layers as the build does, in English and Ukrainian."""
    inputs = build.load(SHIPPED_LAYERS)
    results = build.compute(inputs)
    spec = catalogue.region_map(inputs.regions, catalogue.resolve(inputs.regions, REGION))
    arguments = build.map_arguments(inputs, results, (spec,))
    drawn = build.drawn_geometry(arguments, (spec,))
    out = tmp_path_factory.mktemp("region_map")
    for lang in ("en", "uk"):
        path = out / build.language_path(lang, spec.file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(build.render_map(spec, arguments, drawn, words=i18n.words(lang)))
    return out, spec.file


def _check_page(browser: Browser, path: Path, where: str) -> None:
    opened = open_map(browser, path)
    page = opened.page
    page.wait_for_timeout(300)  # the slider's and the clusters' first drawing
    result = axe(page)
    print(f"{where}: axe-core {result['version']}, violations by impact (nodes): {result['counts']}")
    problems = serious(result, where)
    assert problems == "", "axe-core found serious or critical violations:\n" + problems
    if page.locator(".deposit-label").count():
        page.evaluate(FOLD, True)
        measured(axe(page, CONTRAST), "labels", where)
        page.evaluate(FOLD, False)
    backgrounds = page.evaluate(BACKGROUNDS)
    assert backgrounds == ["rgb(255, 255, 255)"] * 2, f"{where}: the panel's and legend's backgrounds: {backgrounds}"
    page.evaluate(MAP_PANES, True)
    boxes = axe(page, CONTRAST)
    page.evaluate(MAP_PANES, False)
    measured(boxes, "panel", where)
    measured(boxes, "legend", where)
    page.click(".table-view-control button")
    assert page.evaluate("document.getElementById('table-view').open")
    table = axe(page)
    print(f"{where}, table view open: violations by impact (nodes): {table['counts']}")
    problems = serious(table, f"{where}, table view open")
    assert problems == "", "axe-core found serious or critical violations:\n" + problems
    measured(table, "table", f"{where}, table view open")
    assert opened.errors == []
    page.close()


@pytest.mark.parametrize("name", [*MAPS, *(f"uk/{name}" for name in MAPS)])
def test_axe_finds_nothing_serious_on_any_map(browser: Browser, shipped_build: tuple[Path, Any], name: str) -> None:
    _check_page(browser, shipped_build[0] / name, name)


@pytest.mark.parametrize("lang", ["en", "uk"])
def test_axe_finds_nothing_serious_on_a_map_made_with_map(
    browser: Browser, region_maps: tuple[Path, str], lang: str
) -> None:
    out, name = region_maps
    _check_page(browser, out / build.language_path(lang, name), f"--map {REGION} ({lang})")


@pytest.mark.parametrize("name", ["index.html", "uk/index.html"])
def test_axe_finds_nothing_serious_on_the_index_page(
    browser: Browser, shipped_build: tuple[Path, Any], name: str
) -> None:
    path = shipped_build[0] / name
    if not path.is_file():
        pytest.skip(f"this build writes no {name}")
    context = browser.new_context(bypass_csp=True)  # its CSP allows no inline script at all: axe-core could not go in
    page = context.new_page()
    page.goto(path.as_uri(), wait_until="load")
    result = axe(page)
    print(f"{name}: violations by impact (nodes): {result['counts']}")
    assert serious(result, name) == ""
    context.close()


def test_axe_finds_nothing_serious_with_a_popup_open(browser: Browser, shipped_build: tuple[Path, Any]) -> None:
    for name in ("lithium.html", "uk/overview.html"):
        opened = open_map(browser, shipped_build[0] / name)
        page = opened.page
        page.evaluate("window.resourceMap.markers.find(m => m.depositId === 'CUR-004').openPopup()")
        assert page.locator(".leaflet-popup-content a").count() >= 1  # its source link
        result = axe(page)
        assert serious(result, name) == ""
        page.close()


# --- the keyboard ----------------------------------------------------------------------------------------------

FOCUSED = """() => { const e = document.activeElement;
  return {tag: e.tagName, cls: typeof e.className === 'string' ? e.className : '', label: e.getAttribute('aria-label'),
          title: e.title, text: e.textContent.slice(0, 80), inDialog: !!e.closest('#table-view'),
          inPopup: !!e.closest('.leaflet-popup')}; }"""


def focused(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(FOCUSED)
    return found


def tab_to(page: Page, wanted: str, limit: int = 250) -> list[dict[str, Any]]:
    """Press Tab until the focused element matches the CSS selector `wanted`; return what was focused on the way."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(focused(page))
        if page.evaluate("s => document.activeElement.matches(s)", wanted):
            return seen
    pytest.fail(f"{limit} presses of Tab did not reach {wanted}")


def table_open(page: Page) -> bool:
    return bool(page.evaluate("document.getElementById('table-view').open"))


def wait_for(page: Page, condition: str, timeout_s: float = 10.0) -> None:
    """Poll `condition` (an expression) with ``evaluate``, as the page's CSP refuses ``wait_for_function``."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(condition):
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout_s} s: {condition}")
        time.sleep(0.05)


@pytest.fixture
def overview(browser: Browser, shipped_build: tuple[Path, Any]) -> Iterator[Opened]:
    opened = open_map(browser, shipped_build[0] / "overview.html")
    yield opened
    assert opened.errors == []
    opened.page.close()


def test_tab_reaches_a_marker_after_the_controls_and_enter_opens_its_popup(overview: Opened) -> None:
    page = overview.page
    page.keyboard.press("Tab")
    assert focused(page)["cls"] == "skip-link"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # type: ignore[index]  # shown when focused
    seen = tab_to(page, ".leaflet-marker-icon.deposit-icon")
    before = [f["label"] or f["text"] for f in seen[:-1]]
    for control in ("Search deposits and regions (Latin or Cyrillic)", "Full screen", "Layers", "Table view"):
        assert control in before  # the controls come before the markers
    name = seen[-1]["title"]
    assert name
    page.keyboard.press("Enter")
    wait_for(page, "document.querySelectorAll('.leaflet-popup').length === 1")
    assert page.locator(".leaflet-popup-content b").first.inner_text() == name
    popup = focused(page)
    assert popup["inPopup"]  # the focus is in the popup
    assert popup["label"] == name
    page.keyboard.press("Tab")
    assert focused(page)["inPopup"]  # its source link
    page.keyboard.press("Escape")
    wait_for(page, "document.querySelectorAll('.leaflet-popup').length === 0")
    assert focused(page)["title"] == name  # back on its marker
    page.keyboard.press(" ")  # Space, as on any button
    wait_for(page, "document.querySelectorAll('.leaflet-popup').length === 1")
    page.keyboard.press("Escape")
    wait_for(page, "document.querySelectorAll('.leaflet-popup').length === 0")
    assert focused(page)["title"] == name


def test_the_table_view_opens_and_closes_by_keyboard_and_shows_a_clustered_record(overview: Opened) -> None:
    page = overview.page
    record = "Bazhanova Coal Mine"  # a coal mine near others in Donbas: clustered as the overview opens
    assert page.evaluate(
        "n => { const m = window.resourceMap.markers.find(m => m.resourceData.title === n);"
        " return !m.getElement() || !document.contains(m.getElement()); }",
        record,
    )
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Enter")
    assert table_open(page)
    assert focused(page)["inDialog"]
    page.keyboard.press("Tab")
    assert focused(page)["inDialog"]
    page.keyboard.press("Escape")
    assert not table_open(page)
    assert focused(page)["cls"] == "skip-link"  # the focus is back where it was
    seen = tab_to(page, ".table-view-control button")
    assert seen[-1]["text"] == "Table view"
    page.keyboard.press("Enter")
    assert table_open(page)
    seen = tab_to(page, f"#table-view button[aria-label='Show {record} on the map']")
    assert all(f["inDialog"] for f in seen)  # the focus stays in the dialog
    page.keyboard.press("Escape")
    assert not table_open(page)
    assert focused(page)["text"] == "Table view"
    page.keyboard.press("Enter")
    tab_to(page, f"#table-view button[aria-label='Show {record} on the map']")
    page.keyboard.press("Enter")
    assert not table_open(page)
    wait_for(page, "document.querySelectorAll('.leaflet-popup').length === 1")
    assert page.locator(".leaflet-popup-content b").first.inner_text() == record
    wait_for(page, "!!document.activeElement.closest('.leaflet-popup')")
    page.keyboard.press("Escape")
    wait_for(page, "document.querySelectorAll('.leaflet-popup').length === 0")
    assert focused(page)["title"] == record  # its marker, unclustered now


# --- the table view's content: the tiny world ---------------------------------------------------------------

EVIL = '<img src=x onerror="window.__pwned=1">'
JINJA = "{{ 7*7 }} $& {% if 1 %}x{% endif %}"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world (tests/conftest.py) with two records of hostile names, in English and Ukrainian."""
    root = tmp_path_factory.mktemp("tiny")
    rows = [
        *[dict(d) for d in DEPOSITS],
        deposit_row(id="EVIL-1", name_en=EVIL, name_uk=EVIL, lon="30.7", oblast="Kirovohrad"),
        deposit_row(id="JINJA-1", name_en=JINJA, name_uk=JINJA, lon="30.2", oblast="Kirovohrad"),
    ]
    out = root / "maps"
    build.build(make_layers(root / "layers", deposits=rows), out, languages=("en", "uk"))
    return out


def rows(page: Page, table: str) -> dict[str, list[str]]:
    """Return the rows of a table of the table view: row header → the other cells' text."""
    found: list[list[str]] = page.evaluate(
        "t => [...document.querySelectorAll(`#table-view .${t} tbody tr`)].map(tr => [...tr.cells].map(c => c.textContent))",
        table,
    )
    return {row[0]: row[1:] for row in found}


def test_the_table_view_states_each_regions_share_and_each_records_control(browser: Browser, tiny: Path) -> None:
    opened = open_map(browser, tiny / "donetsk.html")
    page = opened.page
    page.click(".table-view-control button")
    regions = rows(page, "table-view-regions")
    # the conftest world: occupied lon 31.25-32 of Ukraine's 30-33, Donetsk Oblast 31-32, Pokrovskyi raion 31-31.5,
    # Eastskyi raion 31.5-32, the hromada lon 31-31.5 (lat 48-48.5); Kirovohrad and Zaporizhzhia not at all
    assert {name: cells[:2] for name, cells in regions.items()} == {
        "Ukraine": ["country", "25.0%"],
        "Donetsk Oblast": ["oblast", "75.0%"],
        "Kirovohrad Oblast": ["oblast", "0.0%"],
        "Zaporizhzhia Oblast": ["oblast", "0.0%"],
        "Eastskyi Raion": ["raion", "100.0%"],
        "Pokrovskyi Raion": ["raion", "50.0%"],
        "Pokrovsk urban hromada": ["hromada", "50.0%"],
    }
    occupied, area = (int(v.replace(",", "")) for v in regions["Donetsk Oblast"][2:])
    assert occupied == pytest.approx(0.75 * area, abs=1)  # in one latitude band, area goes with longitude
    assert next(iter(regions)) == "Ukraine"  # first, then the levels
    records = rows(page, "table-view-deposits")
    # Donetsk's records now: D1 (lon 31.6) and D6 (31.3) occupied since 2022, D2 (31.9) before, D5 no site
    assert records["Deposit one"][:3] == [
        "coal thermal",
        "Eastskyi Raion, Donetsk Oblast",
        "Occupied (before or since 2022)",
    ]
    assert records["Lithium three"][:3] == ["lithium, tantalum", "Westskyi Raion, Kirovohrad Oblast", "Held by Ukraine"]
    assert records["Deposit six"][2] == "Occupied (before or since 2022)"
    assert records["Unplaced five"][1:3] == ["Donetsk Oblast", "Control unknown"]
    assert len(records) == len(DEPOSITS) + 2
    caption = page.locator("#table-view .table-view-deposits caption").inner_text()
    assert caption == "Deposit records on this map: their control on 2026-08-22"
    # the slider's date, chosen in the table view: on 2025-01-31 lon 31.5-32 was occupied, so D6 was held
    page.select_option("#table-view-date", "2025-01-31")
    assert rows(page, "table-view-deposits")["Deposit six"][2] == "Held by Ukraine"
    assert page.locator("#table-view .table-view-deposits caption").inner_text().endswith("on 2025-01-31")
    assert page.evaluate("window.resourceMap.slider.date()") == "2025-01-31"  # the map follows
    assert "Donetsk Oblast: 50.0% occupied" in page.locator("#table-view .table-view-state").inner_text()
    assert page.locator("#table-view .table-view-then").is_visible()  # the regions' figures stay the snapshot's
    page.keyboard.press("Escape")
    page.locator(".map-slider input[type=range]").fill("2")  # and the table follows the slider
    page.click(".table-view-control button")
    assert rows(page, "table-view-deposits")["Deposit six"][2] == "Occupied (before or since 2022)"
    assert page.locator("#table-view .table-view-then").is_hidden()
    assert opened.errors == []
    page.close()


def test_the_ukrainian_table_view_writes_ukrainian_numbers(browser: Browser, tiny: Path) -> None:
    opened = open_map(browser, tiny / "uk" / "donetsk.html")
    page = opened.page
    page.click(".table-view-control button")
    regions = rows(page, "table-view-regions")
    assert regions["Донецька область"][:2] == ["область", "75,0\u00a0%"]  # as the Ukrainian panel writes shares
    area = regions["Донецька область"][3]
    assert re.fullmatch(r"[0-9]{1,3}(\u00a0[0-9]{3})+", area)  # thousands apart by a no-break space
    assert next(iter(regions)) == "Україна"
    assert page.locator("#table-view-title").inner_text().endswith(": карта в таблицях")
    assert opened.errors == []
    page.close()


@pytest.mark.parametrize("name", ["overview.html", "uk/overview.html"])
def test_hostile_names_in_the_table_view_are_text(browser: Browser, tiny: Path, name: str) -> None:
    opened = open_map(browser, tiny / name)
    page = opened.page
    page.click(".table-view-control button")
    records = rows(page, "table-view-deposits")
    assert EVIL in records
    assert JINJA in records
    assert page.locator("#table-view img").count() == 0
    labels = page.evaluate("[...document.querySelectorAll('#table-view tbody button')].map(b => b.ariaLabel)")
    assert f"Show {JINJA} on the map" in labels or f"Показати {JINJA} на карті" in labels  # "$&" kept as it is
    page.keyboard.press("Escape")
    assert page.evaluate("window.__pwned") is None
    assert opened.errors == []
    page.close()


def test_the_page_can_be_zoomed_and_has_its_landmark_and_heading(browser: Browser, tiny: Path) -> None:
    page_html = (tiny / "overview.html").read_text(encoding="utf-8")
    assert "user-scalable=no" not in page_html
    assert "maximum-scale" not in page_html
    opened = open_map(browser, tiny / "overview.html")
    page = opened.page
    assert page.locator("h1").count() == 1
    assert page.locator("[role=main]").get_attribute("aria-label") == page.locator("h1").inner_text()
    assert page.evaluate("document.body.firstElementChild.matches('header.page-head')")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.close()


def test_the_slider_says_its_date(browser: Browser, tiny: Path) -> None:
    opened = open_map(browser, tiny / "donetsk.html")
    page = opened.page
    slider = page.locator(".map-slider input[type=range]")
    assert slider.get_attribute("aria-valuetext") == "2026-08-22"
    slider.fill("0")
    assert slider.get_attribute("aria-valuetext") == "2025-01-31"
    assert opened.errors == []
    page.close()
