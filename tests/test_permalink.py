"""Links that reopen what the reader sees, the copy-link control and the embed mode (geo/web/permalink.js).

In real headless Chromium (tests/browsing.py), on the maps built from the shipped layers: a view, layers and a
slider date set on one page come back from its address, in English and in Ukrainian; old ``#scenario=`` links
still work; a hostile address changes nothing and runs nothing; the embed fills an iframe of 320, 768 and 1400 px
with the credits legible; the copy-link control works from the keyboard.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Dialog, Page

from geo import i18n
from tests.browsing import wait_for_map

pytestmark = pytest.mark.browser

#: The page's state as the tests compare it: the view, the overlays on the map (by their element names, the same
#: in every language), the slider's date, the scenario and the address.
STATE = """() => {
  const r = window.resourceMap, c = r.map.getCenter();
  return {
    zoom: r.map.getZoom(), lat: c.lat, lon: c.lng,
    onMap: Object.keys(r.layers).filter(k => r.map.hasLayer(r.layers[k])).sort(),
    date: r.slider ? r.slider.date() : null,
    label: r.slider ? document.querySelector('.map-slider-date').textContent : null,
    scenario: r.scenario || null,
    hash: window.location.hash,
  };
}"""

#: Longer than the script's wait (300 ms) before it writes the address.
SETTLE_MS = 700


@pytest.fixture(scope="module")
def shipped_maps(shipped_build: tuple[Path, dict[str, object]]) -> Path:
    return shipped_build[0]


def _goto(browser: Browser, url: str, **context: Any) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport=context.pop("viewport", {"width": 1400, "height": 900}), **context)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def dialog(d: Dialog) -> None:  # an alert() run from the address
        errors.append(f"dialog: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(url, wait_until="load")
    wait_for_map(page)
    return page, errors


def _state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(STATE)
    return state


def _parts(hash_: str) -> dict[str, str]:
    """Split an address's hash into its parts (by hand, not by the page's code)."""
    out = {}
    for part in hash_.removeprefix("#").split("&"):
        name, _eq, value = part.partition("=")
        out[name] = value
    return out


def _toggle(page: Page, label: str) -> None:
    page.hover(".leaflet-control-layers")
    labels = page.locator(".leaflet-control-layers-overlays label")
    labels.filter(has_text=label).locator("input").click()
    page.mouse.move(700, 450)


def test_a_link_reopens_the_view_the_layers_and_the_date_in_either_language(
    browser: Browser, shipped_maps: Path
) -> None:
    en = i18n.words("en")
    page, errors = _goto(browser, (shipped_maps / "donetsk.html").as_uri())
    opening = _state(page)
    assert opening["hash"] == ""  # an untouched page has no state to keep
    page.evaluate("window.resourceMap.map.setView([48.1, 37.6], 9)")  # as a reader's pan and zoom would
    _toggle(page, en("level.hromada"))  # off when the map opens
    _toggle(page, en("layer.front"))  # on when the map opens
    page.focus(".map-slider input")  # the slider by the keyboard: its first date, then five steps on
    page.keyboard.press("Home")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(SETTLE_MS)
    before = _state(page)
    assert before["date"] == "2022-09-30", before["label"]  # the shipped history's sixth month-end
    assert before["label"].startswith("2022-09-30")
    parts = _parts(before["hash"])
    assert list(parts) == ["view", "layers", "date"]
    assert parts["view"] == "9/48.100/37.600"
    shown = parts["layers"].split(",")
    assert "hromadas" in shown
    assert "front" not in shown
    assert {"oblasts", "raions", "occupied_since_2022", "occupied_before_2022"} <= set(shown)
    assert parts["date"] == "2022-09-30"
    assert len(set(before["onMap"]) ^ set(opening["onMap"])) == 2  # the two layers toggled
    assert errors == []
    page.close()

    for name in ("donetsk.html", "uk/donetsk.html"):  # the same link opens the Ukrainian page the same way
        again, errors = _goto(browser, (shipped_maps / name).as_uri() + before["hash"])
        after = _state(again)
        assert after["zoom"] == before["zoom"] == 9
        assert abs(after["lat"] - 48.1) < 1e-3
        assert abs(after["lon"] - 37.6) < 1e-3
        assert after["onMap"] == before["onMap"]
        assert after["date"] == "2022-09-30"
        assert after["label"].startswith("2022-09-30")
        assert after["hash"] == before["hash"]  # opening a link does not rewrite it
        assert errors == []
        again.close()


def test_a_date_between_the_slider_s_dates_shows_the_one_before(browser: Browser, shipped_maps: Path) -> None:
    page, errors = _goto(browser, (shipped_maps / "donetsk.html").as_uri() + "#date=2023-01-31")
    dates = page.evaluate("window.resourceMap.slider.dates")
    assert "2023-01-30" in dates
    assert "2023-01-31" not in dates  # the shipped history has no snapshot of that day
    assert _state(page)["date"] == "2023-01-30"
    assert errors == []
    page.close()


def test_a_link_reopens_the_changes_since_mode(browser: Browser, shipped_maps: Path) -> None:
    page, errors = _goto(browser, (shipped_maps / "donetsk.html").as_uri())
    assert page.evaluate("window.resourceMap.slider.setFrom('2024-08-31')")
    time.sleep(0.5)  # the address is written 300 ms after the last change
    assert _parts(page.evaluate("location.hash")) == {"since": "2024-08-31"}
    page.close()
    page, more = _goto(browser, (shipped_maps / "donetsk.html").as_uri() + "#date=2025-01-31&since=2024-08-31")
    assert page.evaluate("window.resourceMap.slider.from()") == "2024-08-31"
    assert page.evaluate("window.resourceMap.slider.date()") == "2025-01-31"
    assert page.evaluate("window.resourceMap.slider.changes().from") == "2024-08-31"
    assert errors == more == []
    page.close()


def test_an_old_scenario_link_still_works_and_the_scenario_joins_the_other_parts(
    browser: Browser, shipped_maps: Path
) -> None:
    page, errors = _goto(browser, (shipped_maps / "scenarios.html").as_uri())
    ids = page.evaluate("[...document.querySelectorAll('.map-scenarios option')].map(o => o.value)")
    page.close()
    second, third = ids[1], ids[2]
    page, errors = _goto(browser, (shipped_maps / "scenarios.html").as_uri() + f"#scenario={second}")
    assert _state(page)["scenario"] == second
    assert page.evaluate("document.querySelector('.map-scenarios select').value") == second
    page.evaluate("window.resourceMap.map.setView([47.5, 35.0], 7)")
    page.wait_for_timeout(SETTLE_MS)
    assert _parts(_state(page)["hash"]) == {"view": "7/47.50/35.00", "scenario": second}
    page.select_option(".map-scenarios select", third)  # the switcher keeps the view in the address
    assert _parts(_state(page)["hash"]) == {"view": "7/47.50/35.00", "scenario": third}
    page.wait_for_timeout(SETTLE_MS)
    assert _parts(_state(page)["hash"]) == {"view": "7/47.50/35.00", "scenario": third}
    assert errors == []
    page.close()
    page, errors = _goto(browser, (shipped_maps / "uk/scenarios.html").as_uri() + f"#view=7/47.5/35&scenario={third}")
    state = _state(page)
    assert (state["scenario"], state["zoom"]) == (third, 7)
    assert errors == []
    page.close()


HOSTILE = [
    "#layers=<img src=x onerror=alert(1)>&date=2022-09-30'\";&view=NaN/48/37",
    "#layers=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&date=%3Cscript%3Ealert(1)%3C/script%3E&view=1e3/48/37",
    "#view=99/48/37&date=2022-02-30&layers=%E0%A4%A,bogus&scenario=<b>x</b>",
    "#view=9/100/37&date=1999-01-01&__proto__=1&constructor=x&toString=1",
    "#view=9/48/37/1&date=2099-01-01&layers=javascript:alert(1)",
]


@pytest.mark.parametrize("fragment", HOSTILE)
def test_a_hostile_address_changes_nothing_and_runs_nothing(
    browser: Browser, shipped_maps: Path, fragment: str
) -> None:
    count = "['img', 'b', 'script', 'iframe', 'a'].map(t => document.getElementsByTagName(t).length)"
    page, errors = _goto(browser, (shipped_maps / "donetsk.html").as_uri())
    plain = _state(page)
    elements = page.evaluate(count)
    page.close()
    page, errors = _goto(browser, (shipped_maps / "donetsk.html").as_uri() + fragment)
    state = _state(page)
    for key in ("zoom", "lat", "lon", "onMap", "date", "label"):
        assert state[key] == plain[key], key
    assert page.evaluate(count) == elements  # nothing from the address became an element
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    page.evaluate("window.resourceMap.map.panBy([40, 0], {animate: false})")  # the reader moves: the address is
    page.wait_for_timeout(SETTLE_MS)  # written afresh, without what was ignored
    assert list(_parts(_state(page)["hash"])) == ["view"]
    assert errors == []
    page.close()


def test_a_link_may_turn_every_layer_off_and_ignores_unknown_keys(browser: Browser, shipped_maps: Path) -> None:
    page, errors = _goto(browser, (shipped_maps / "donetsk.html").as_uri() + "#layers=")
    assert _state(page)["onMap"] == []
    page.close()
    page, errors = _goto(browser, (shipped_maps / "uk/donetsk.html").as_uri() + "#layers=oblasts,bogus,%3Cb%3E")
    onmap = _state(page)["onMap"]
    assert len(onmap) == 1
    page.evaluate("window.resourceMap.map.panBy([40, 0], {animate: false})")
    page.wait_for_timeout(SETTLE_MS)
    assert _parts(_state(page)["hash"])["layers"] == "oblasts"
    assert errors == []
    page.close()


BLANK = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>embed</title></head>
<body style="margin:0"><iframe src="{src}" width="{width}" height="{height}" style="border:0;display:block"
title="map"></iframe></body></html>"""

EMBED_STATE = """() => {
  const doc = document.documentElement, map = document.querySelector('.folium-map').getBoundingClientRect();
  const credits = document.querySelector('.leaflet-control-attribution'), c = credits.getBoundingClientRect();
  const hit = document.elementFromPoint(c.left + c.width / 2, c.top + c.height / 2);
  const hidden = sel => { const el = document.querySelector(sel); return el === null || el.offsetParent === null; };
  const full = document.querySelector('.map-fullmap a');
  return {
    width: innerWidth, height: innerHeight, map: [map.left, map.top, map.width, map.height],
    scroll: [doc.scrollWidth, doc.clientWidth, doc.scrollHeight, doc.clientHeight,
             document.body.scrollWidth, document.body.scrollHeight],
    credits: [c.left, c.top, c.right, c.bottom], creditsText: credits.textContent,
    creditsClipped: credits.scrollWidth > credits.clientWidth + 1 || credits.scrollHeight > credits.clientHeight + 1,
    creditsCovered: !credits.contains(hit), creditsFont: parseFloat(getComputedStyle(credits).fontSize),
    searchHidden: hidden('.map-search'), fullscreenHidden: hidden('.map-fullscreen'),
    copyHidden: hidden('.map-copylink'),
    open: [...document.querySelectorAll('.map-legend details, .map-panel details')].map(d => d.open),
    full: full && {href: full.href, target: full.target, rel: full.rel, text: full.textContent,
                   visible: full.offsetParent !== null},
    wheel: window.resourceMap.map.scrollWheelZoom.enabled(),
  };
}"""


@pytest.mark.parametrize(("width", "height"), [(320, 480), (768, 520), (1400, 700)])
def test_the_embed_fills_its_iframe_with_the_credits_legible(
    browser: Browser, shipped_maps: Path, tmp_path: Path, width: int, height: int
) -> None:
    target = (shipped_maps / "donetsk.html").as_uri()
    blank = tmp_path / "blank.html"
    blank.write_text(BLANK.format(src=target + "#embed", width=width, height=height), encoding="utf-8")
    page = browser.new_page(viewport={"width": width + 40, "height": height + 40})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(blank.as_uri(), wait_until="load")
    frame = page.frames[1]
    deadline = time.monotonic() + 15
    while not frame.evaluate("window.resourceMap !== undefined && !!document.querySelector('.map-fullmap a')"):
        assert time.monotonic() < deadline, "the embedded map did not set up"
        time.sleep(0.05)
    page.wait_for_timeout(300)
    s = frame.evaluate(EMBED_STATE)
    assert (s["width"], s["height"]) == (width, height)
    assert s["map"] == [0, 0, width, height]  # the map fills the frame
    sw, cw, sh, ch, bw, bh = s["scroll"]
    assert sw <= cw
    assert sh <= ch
    assert bw <= width
    assert bh <= height  # no scroll bars
    left, top, right, bottom = s["credits"]
    assert 0 <= left < right <= width
    assert 0 <= top < bottom <= height
    assert "DeepStateMap.Live" in s["creditsText"]
    assert not s["creditsClipped"]
    assert not s["creditsCovered"]
    assert s["creditsFont"] >= 11
    assert s["searchHidden"]
    assert s["fullscreenHidden"]
    assert s["copyHidden"]
    assert s["open"] == [False, False]  # legend and panel folded
    assert s["full"]["visible"]
    assert s["full"]["text"] == "Open the full map"
    assert (s["full"]["target"], s["full"]["rel"]) == ("_blank", "noopener")
    assert s["full"]["href"] == target  # the same file, without the embed mode
    assert not s["wheel"]  # the page around the frame scrolls on; a click on the map lets the wheel zoom it
    page.screenshot(path=str(tmp_path / f"embed_{width}.png"))
    frame.evaluate("window.resourceMap.map.setView([48.1, 37.6], 9)")
    page.wait_for_timeout(SETTLE_MS)
    assert frame.evaluate("window.location.hash") == "#view=9/48.100/37.600&embed"
    assert frame.evaluate("document.querySelector('.map-fullmap a').href") == target + "#view=9/48.100/37.600"
    assert errors == []
    page.close()


def _tab_to(page: Page, selector: str, presses: int = 60) -> None:
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} is not reached by Tab")


COPY_STATE = """() => {
  const box = document.querySelector('.map-copylink-box'), field = box.querySelector('input');
  return {shown: !box.hidden, field: field.hidden ? null : field.value,
          selected: [field.selectionStart, field.selectionEnd], focused: document.activeElement === field,
          status: box.querySelector('[role=status]').textContent, label: document.querySelector('.map-copylink button')
            .getAttribute('aria-label'), href: location.href};
}"""


@pytest.mark.parametrize(("name", "lang"), [("donetsk.html", "en"), ("uk/donetsk.html", "uk")])
def test_copy_link_by_keyboard_on_a_file_page(browser: Browser, shipped_maps: Path, name: str, lang: str) -> None:
    words = i18n.words(lang)
    page, errors = _goto(browser, (shipped_maps / name).as_uri())
    page.evaluate("window.resourceMap.map.setView([48.1, 37.6], 9)")
    _tab_to(page, ".map-copylink button")
    page.keyboard.press("Enter")  # at once: the address is not written yet, the link is made afresh
    s = page.evaluate(COPY_STATE)
    expected = (shipped_maps / name).as_uri() + "#view=9/48.100/37.600"
    assert s["label"] == words("permalink.copy")
    assert s["shown"]
    assert s["field"] == expected
    assert s["href"] == expected
    assert s["focused"]
    assert s["selected"] == [0, len(expected)]  # selected, for the reader to copy
    assert s["status"] in (words("permalink.copied"), words("permalink.copyHint"))
    page.keyboard.press("Escape")
    assert not page.evaluate(COPY_STATE)["shown"]
    assert page.evaluate("document.activeElement.matches('.map-copylink button')")
    page.keyboard.press(" ")  # Space works as Enter does
    assert page.evaluate(COPY_STATE)["shown"]
    assert errors == []
    page.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(shipped_maps: Path) -> Iterator[str]:
    """The built maps over http://127.0.0.1 (a secure context, where the page may use the clipboard)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(shipped_maps)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join()
    server.server_close()


def test_copy_link_by_keyboard_puts_the_link_on_the_clipboard(browser: Browser, served: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.rstrip("/"))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(served + "donetsk.html#date=2022-09-30", wait_until="load")
    wait_for_map(page)
    _tab_to(page, ".map-copylink button")
    page.keyboard.press("Enter")
    deadline = time.monotonic() + 5
    while page.evaluate(COPY_STATE)["status"] == "":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    s = page.evaluate(COPY_STATE)
    assert s["status"] == "Link copied"
    assert s["field"] is None  # nothing to copy by hand
    assert page.evaluate("navigator.clipboard.readText()") == served + "donetsk.html#date=2022-09-30"
    assert urlsplit(s["href"]).fragment == "date=2022-09-30"
    assert errors == []
    context.close()
