"""``maps/index.html``: every output of a build on one offline page, in each language built (issue 22)."""

from __future__ import annotations

import io
import json
import posixpath
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import geopandas as gpd
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page

from geo import build, i18n, indexpage, offline, schema
from tests.conftest import make_layers, write_sidecar

#: A name from data that would be live if it were not escaped: markup, quotes, a Jinja expression, a bidi override.
HOSTILE = "<script>window.pwned=1</script> \"q\" 'a' {{ 7*7 }} {% if 1 %}x{% endif %} \u202eevil"
#: axe-core as axe-playwright-python bundles it (the dev extras pin it).
AXE_JS = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
#: The same name as a browser shows it: every character kept but the bidi override (dropped from names, as elsewhere).
HOSTILE_SHOWN = "<script>window.pwned=1</script> \"q\" 'a' {{ 7*7 }} {% if 1 %}x{% endif %} evil"


class _Page(HTMLParser):
    """A page's start tags, its links, and its text (per element id of the embed snippets apart)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.code: list[str] = []
        self._in_pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        self._in_pre -= tag == "pre"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_pre:
            self.code.append(data)

    @property
    def links(self) -> list[str]:
        return [str(attrs["href"]) for tag, attrs in self.tags if tag == "a"]


def _parse(page: bytes | str) -> _Page:
    parser = _Page()
    parser.feed(page.decode("utf-8") if isinstance(page, bytes) else page)
    return parser


def _png(width: int, height: int, left: str = "red", right: str = "blue") -> bytes:
    image = Image.new("RGB", (width, height), left)
    image.paste(right, (width // 2, 0, width, height))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _print_set(stem: str, folder: str = "") -> dict[str, bytes]:
    return {
        f"{folder}print/{stem}.png": _png(160, 100),
        f"{folder}print/{stem}_card.png": _png(108, 108),
        f"{folder}print/{stem}.svg": b"<svg/>",
        f"{folder}print/{stem}.pdf": b"%PDF-1.4",
    }


# --- unit: the page from plain data ----------------------------------------------------------------------------------


def test_a_hostile_name_is_inert_in_the_index() -> None:
    files = {"evil.html": b"<html></html>", **_print_set("evil"), "regions.csv": b"a\n", f"odd {HOSTILE}.txt": b"x"}
    entry = indexpage.MapEntry("evil", HOSTILE, f"Occupied: {HOSTILE}", (indexpage.PrintSet("evil"),))
    page = indexpage.render_index([entry], files, words=i18n.words("en"), credits=f"Source: {HOSTILE}").decode()
    parsed = _parse(page)
    assert [tag for tag, _attrs in parsed.tags if tag in ("script", "iframe", "template")] == []
    assert not any(name.startswith("on") for _tag, attrs in parsed.tags for name in attrs)
    assert "{{ 7*7 }}" not in page  # no template expression is left in the markup
    assert "{% if" not in page
    assert "\u202e" not in page
    text = "".join(parsed.text)
    assert f"{HOSTILE_SHOWN}" in text  # the title, shown as text
    assert f"Occupied: {HOSTILE_SHOWN}" in text
    assert f"Credits: Source: {HOSTILE_SHOWN}" in text
    assert f"odd {HOSTILE_SHOWN}.txt" in text  # a file no section knows: under "Other files", by its name
    # the file's link: its name percent-encoded, every character that means something in a URL too
    assert "odd%20%3Cscript%3Ewindow.pwned%3D1%3C/script%3E%20%22q%22%20%27a%27%20%7B%7B%207%2A7%20%7D%7D%20" in (
        " ".join(parsed.links)
    )
    # the embed snippet: shown as text, the title escaped inside it as an attribute of the reader's page
    assert "".join(parsed.code) == (
        '<iframe src="evil.html#embed" title="&lt;script&gt;window.pwned=1&lt;/script&gt; &quot;q&quot; \'a\' '
        '{{ 7*7 }} {% if 1 %}x{% endif %} evil" style="width:100%;height:560px;border:0" loading="lazy" '
        'allow="fullscreen"></iframe>'
    )
    assert offline.external_urls(page) == []
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"  # no script at all, images only as data:
    assert f'<meta http-equiv="Content-Security-Policy" content="{csp}">' in page


def test_the_thumbnail_is_the_print_png_made_small() -> None:
    png = _png(1600, 1000)  # red left half, blue right half
    small = indexpage.thumbnail(png)
    assert small == indexpage.thumbnail(png)  # the same bytes for the same map
    with Image.open(io.BytesIO(small)) as image:
        assert (image.format, image.size) == ("WEBP", (480, 300))
        rgb = image.convert("RGB")
        red, blue = rgb.getpixel((100, 150)), rgb.getpixel((380, 150))
    assert isinstance(red, tuple)
    assert isinstance(blue, tuple)
    assert [red[0] > 230, red[1] < 30, red[2] < 30] == [True] * 3
    assert [blue[0] < 30, blue[1] < 30, blue[2] > 230] == [True] * 3
    assert len(small) < 4_000


def test_each_language_lists_its_own_files_and_the_shared_ones() -> None:
    files = {
        "a.html": b"1",
        **_print_set("a"),
        "animations/a.mp4": b"22",
        "animations/a_card.gif": b"333",
        "chart_occupied_share.png": _png(20, 10),
        "regions.csv": b"a\n",
        schema.GPKG_FILE: b"gpkg",
        "uk/a.html": b"1",
        **_print_set("a", "uk/"),
        "uk/chart_occupied_share.png": _png(20, 10),
    }
    indexes = {"en": "index.html", "uk": "uk/index.html"}
    animations = {
        "en": (
            ("web", "mp4", "animations/a.mp4"),
            ("web", "gif", "animations/a.gif"),  # not made: not listed
            ("card", "gif", "animations/a_card.gif"),
        ),
        "uk": (("web", "mp4", "uk/animations/a.mp4"),),  # not made
    }
    pages = {
        lang: _parse(
            indexpage.render_index(
                [indexpage.MapEntry("a", "A", "", (indexpage.PrintSet("a"),), animations[lang])],
                files,
                words=i18n.words(lang),
                credits="",
                later=["summary.json"],
                indexes=indexes,
            )
        )
        for lang in indexes
    }
    prints = ["print/a.png", "print/a_card.png", "print/a.svg", "print/a.pdf"]
    assert pages["en"].links == [
        "uk/index.html",
        "a.html",  # the title
        "a.html",
        *prints,
        "animations/a.mp4",  # only the animations that exist
        "animations/a_card.gif",
        "chart_occupied_share.png",
        "regions.csv",
        "summary.json",  # made after the index: linked, its size not stated
        "resource_control.gpkg",
    ]
    assert pages["uk"].links == [
        "../index.html",
        "a.html",
        "a.html",
        *prints,
        "chart_occupied_share.png",
        "../regions.csv",
        "../summary.json",
        "../resource_control.gpkg",
    ]
    en_text = "".join(pages["en"].text)
    assert "A: Video (MP4) (1 kB)" in en_text  # the map's name for screen readers, then what the link gives
    assert "A: Square GIF for social media (1 kB)" in en_text
    uk_text = "".join(pages["uk"].text)
    assert "Квадратний PNG для соцмереж, 108 × 108 пікс." in uk_text
    assert "Усі карти й таблиці цієї збірки" in uk_text
    assert ("a", {"href": "../index.html", "hreflang": "en", "lang": "en"}) in pages["uk"].tags


def test_every_language_has_its_name_for_the_links_between_indexes() -> None:
    assert set(indexpage.LANGUAGE_NAMES) == set(i18n.LANGUAGES)


# --- the shipped build and a tiny one with a hostile --map region -------------------------------------------------


def _links(out: Path, index: str) -> set[str]:
    """Return the outputs (paths in `out`) that `index` links, each link checked to name an existing file."""
    page = _parse((out / index).read_bytes())
    folder = posixpath.dirname(index)
    found = set()
    for href in page.links:
        assert "://" not in href, href
        assert not href.startswith(("/", "#")), href
        name = posixpath.normpath(posixpath.join(folder, unquote(href)))
        assert (out / name).is_file(), f"{index} links {href}, which is not a file of the build"
        found.add(name)
    return found


def _check_every_output_linked(out: Path, summary: dict[str, Any], languages: tuple[str, ...]) -> None:
    outputs = [str(name) for name in summary["outputs"]]
    indexes = {lang: "index.html" if lang == "en" else f"{lang}/index.html" for lang in languages}
    assert set(indexes.values()) <= set(outputs)  # summary.json lists the indexes too
    linked = {lang: _links(out, index) for lang, index in indexes.items()}
    for name in outputs:
        lang = name.split("/")[0] if name.split("/")[0] in indexes else "en"
        if name == indexes[lang]:
            continue
        assert name in linked[lang], f"{indexes[lang]} does not link {name}"
    for lang, index in indexes.items():  # every index links the others
        assert set(indexes.values()) - {index} <= linked[lang]


def test_every_output_of_the_shipped_build_is_linked(shipped_build: tuple[Path, dict[str, Any]]) -> None:
    out, summary = shipped_build
    _check_every_output_linked(out, summary, ("en", "uk"))
    page = _parse((out / "index.html").read_bytes())
    text = " ".join(page.text)
    # the Donetsk map: its date and share as summary.json states them (80.1% in the shipped snapshot)
    donetsk = next(r for r in summary["focus_regions"] if r["region_id"] == schema.DONETSK_ID)
    assert f"Donetsk Oblast: {donetsk['occupied_share'] * 100:.1f}% of the area occupied" in text
    assert f"Occupied areas as of {summary['snapshot_date']}" in text
    thumbnails = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(thumbnails) == 7  # the six maps and the scenarios map
    assert all(str(attrs["src"]).startswith("data:image/webp;base64,") and attrs["alt"] for attrs in thumbnails)


@pytest.fixture(scope="module")
def hostile_region_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The tiny world, its raion UA1402 named `HOSTILE` (English and Ukrainian), with ``--map UA1402``, en and uk."""
    root = tmp_path_factory.mktemp("index")
    layers = make_layers(root / "layers")
    raions = layers / schema.RAIONS_FILE
    frame = gpd.read_file(raions)
    frame.loc[frame["adm2_pcode"] == "UA1402", ["adm2_name_translit", "adm2_name_uk"]] = HOSTILE
    raions.unlink()
    frame.to_file(raions, driver="GeoJSON")
    write_sidecar(raions)
    return root / "maps", build.build(layers, root / "maps", languages=("en", "uk"), regions=["UA1402"])


def test_a_map_made_with_map_is_listed_and_its_hostile_name_inert(
    hostile_region_build: tuple[Path, dict[str, Any]],
) -> None:
    out, summary = hostile_region_build
    _check_every_output_linked(out, summary, ("en", "uk"))
    stem = "ua1402-script-window-pwned-1-script-q-a-7-7-if"  # the id, and the English name as a slug of 40 characters
    for index in ("index.html", "uk/index.html"):
        page = (out / index).read_text(encoding="utf-8")
        parsed = _parse(page)
        assert f"{stem}.html" in parsed.links
        assert f"print/{stem}.png" in parsed.links
        assert [tag for tag, _attrs in parsed.tags if tag in ("script", "iframe")] == []
        assert "{{ 7*7 }}" not in page
        assert "{% if" not in page
        assert HOSTILE_SHOWN in "".join(parsed.text)
        assert f'src="{stem}.html#embed" title="&lt;script&gt;window.pwned=1' in "".join(parsed.code)
    assert json.loads((out / schema.SUMMARY_JSON).read_text(encoding="utf-8")) == summary


# --- in Chromium ---------------------------------------------------------------------------------------------------


def _open(browser: Browser, path: Path, width: int) -> tuple[Page, list[str], list[str]]:
    """Open `path` at `width` CSS pixels; return the page, the URLs it requested and its console errors."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    return page, requests, errors


@pytest.mark.parametrize("index", ["index.html", "uk/index.html"])
def test_the_index_works_offline_in_chromium(
    browser: Browser, shipped_build: tuple[Path, dict[str, Any]], index: str
) -> None:
    out, _summary = shipped_build
    for width in (1400, 390):
        page, requests, errors = _open(browser, out / index, width)
        assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
        widths = page.evaluate("[...document.images].map(i => i.complete ? i.naturalWidth : 0)")
        assert widths == [480] * 7  # a thumbnail of each map, drawn
        assert errors == []
        if width == 390:  # a phone: nothing wider than the screen
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")  # snippets, columns
        page.evaluate(AXE_JS)  # axe-core, evaluated from here: the page's CSP allows no script of its own
        violations = page.evaluate("async () => (await axe.run(document)).violations.map(v => [v.id, v.impact])")
        assert [v for v in violations if v[1] in ("serious", "critical")] == [], width
        hrefs = page.evaluate("[...document.links].map(a => a.href)")
        assert len(hrefs) > 60  # the maps, their print files, the charts, tables and QGIS files (73 in Ukrainian)
        assert [h for h in hrefs if not (h.startswith("file://") and Path(unquote(h[7:])).is_file())] == []
        page.close()
