"""Static maps: the shipped layers in English and Ukrainian (files, sizes, text, colours, labels, same bytes),
the scale bar, and the tiny world for the grey zone and hostile names (the label placer: test_labels.py)."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image

from geo import build, catalogue, i18n, page, plot, printmap, schema, style
from geo.errors import ValidationError
from geo.geometry import Box
from tests.conftest import DEPOSITS, SHIPPED_LAYERS, deposit_row, make_layers
from tests.test_plot import pdf_info

SVG = "{http://www.w3.org/2000/svg}"
#: A4 landscape in PDF points (297 x 210 mm).
A4_POINTS = (297 / 25.4 * 72, 210 / 25.4 * 72)
STEMS = [spec.id for spec in catalogue.MAPS if not spec.scenarios]  # the scenarios record: one set per scenario
#: Maps whose frame is mostly occupied territory or has much of it.
OCCUPIED_IN_FRAME = ["overview", "donetsk", "zaporizhzhia", "pokrovsk", "lithium"]


@dataclass
class Rendered:
    files: dict[str, bytes]
    labels: dict[tuple[str, str], list[printmap.PlacedLabel]]  # (map key, layout) → labels placed
    frames: dict[tuple[str, str], Box]  # (map key, layout) → the map's box in pixels
    legends: dict[tuple[str, str], list[str]]


def _render(
    geometry: printmap.PrintGeometry, arguments: dict[str, Any], lang: str, keys: list[str] | None = None
) -> Rendered:
    out = Rendered({}, {}, {}, {})

    def keep(key: str, layout: str, drawn: printmap.PrintMap) -> None:
        axes = next(a for a in drawn.figure.axes if a.get_gid() == "map")
        box = axes.get_window_extent()
        out.labels[(key, layout)] = drawn.labels
        out.frames[(key, layout)] = (box.x0, box.y0, box.x1, box.y1)
        out.legends[(key, layout)] = drawn.legend

    out.files = printmap.render_print_maps(geometry, words=i18n.words(lang), keys=keys, on_map=keep, **arguments)
    return out


@pytest.fixture(scope="session")
def shipped() -> tuple[printmap.PrintGeometry, dict[str, Any]]:
    """The shipped layers, loaded and computed once: the print geometry and the other arguments."""
    inputs = build.load(SHIPPED_LAYERS)
    results = build.compute(inputs)
    geometry = printmap.PrintGeometry(results.regions, results.parts, results.front, results.contested, inputs.basemap)
    arguments = {
        "regions": results.regions,
        "deposits": results.deposits,
        "snapshot_date": inputs.snapshot_date,
        "credit": inputs.occupation_credit,
    }
    return geometry, arguments


@pytest.fixture(scope="session")
def rendered(shipped: tuple[printmap.PrintGeometry, dict[str, Any]]) -> dict[str, Rendered]:
    """Every static map of the shipped layers, in English and in Ukrainian (the geometry shared)."""
    geometry, arguments = shipped
    return {lang: _render(geometry, arguments, lang) for lang in i18n.LANGUAGES}


def _svg(data: bytes) -> ET.Element:
    return ET.fromstring(data)


def _group(root: ET.Element, gid: str) -> ET.Element:
    found = [g for g in root.iter(f"{SVG}g") if g.get("id") == gid]
    assert len(found) == 1, gid
    return found[0]


def _text_items(group: ET.Element) -> list[str]:
    """One string per matplotlib text in the group: its lines (one <text> each) joined by spaces."""
    items = []
    for child in group.iter(f"{SVG}g"):
        lines = ["".join(t.itertext()) for t in child.findall(f"{SVG}text")]
        if lines:
            items.append(" ".join(lines))
    return items


def _rgb(hex_colour: str) -> np.ndarray:
    value = hex_colour.lstrip("#")
    return np.array([int(value[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def _blend(colour: str, alpha: float, background: str) -> np.ndarray:
    """The colour a fill of `alpha` gives over `background`, worked out here (not by matplotlib)."""
    return alpha * _rgb(colour) + (1 - alpha) * _rgb(background)


def _share_of_pixels(data: bytes, colour: np.ndarray, tolerance: float = 2.5) -> float:
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)
    close = np.all(np.abs(pixels - colour) <= tolerance, axis=-1)
    return float(close.mean())


def _pdf_pages(data: bytes) -> list[bytes]:
    """The page objects of a PDF (``/Type /Page``, not ``/Pages``)."""
    return re.findall(rb"/Type\s*/Page\b", data)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_file_exists_with_its_size_and_pages(rendered: dict[str, Rendered], lang: str) -> None:
    files = rendered[lang].files
    expected = {f"{schema.PRINT_DIR}/{stem}{suffix}" for stem in STEMS for suffix in schema.PRINT_FILES.values()}
    assert set(files) == expected
    for stem in STEMS:
        web = Image.open(io.BytesIO(files[f"print/{stem}.png"]))
        card = Image.open(io.BytesIO(files[f"print/{stem}_card.png"]))
        assert (web.format, web.size) == ("PNG", (1600, 1000)), stem
        assert (card.format, card.size) == ("PNG", (1080, 1080)), stem
        pdf = files[f"print/{stem}.pdf"]
        assert pdf.startswith(b"%PDF-")
        pages = _pdf_pages(pdf)
        assert len(pages) == 1, stem
        box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
        assert box is not None
        assert (float(box[1]), float(box[2])) == pytest.approx(A4_POINTS, abs=0.01)
        assert files[f"print/{stem}.svg"].lstrip().startswith(b"<?xml")


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_svg_keeps_title_and_credits_as_text_in_named_groups(rendered: dict[str, Rendered], lang: str) -> None:
    words = i18n.words(lang)
    credits = words("credits", credits=style.credits_line("DeepStateMap.Live"))  # the shipped snapshot's source
    for stem in STEMS:
        root = _svg(rendered[lang].files[f"print/{stem}.svg"])
        title = _text_items(_group(root, "title"))
        assert title[0] == words(f"map.title.{stem}"), stem
        assert words.share(0.5, 1)[-1] in title[1]  # the subtitle states a share, written the language's way
        assert _text_items(_group(root, "credits")) == [credits], stem
        assert credits.index("«© Мінрегіон»") < credits.index("OpenStreetMap")
        for gid in ("base", "regions", "occupation", "front", "deposits", "labels", "legend", "scale-bar"):
            _group(root, gid)
        assert (stem == "overview") == (not [g for g in root.iter(f"{SVG}g") if g.get("id") == "locator"])
        assert not list(root.iter(f"{SVG}image"))  # nothing rasterized


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_pictures_are_not_blank_and_show_the_occupied_colours(rendered: dict[str, Rendered], lang: str) -> None:
    since = _blend(style.OCCUPIED_SINCE_2022_COLOUR, style.OCCUPATION_OPACITY, style.UKRAINE_FILL)
    before = _blend(style.OCCUPIED_BEFORE_2022_COLOUR, style.OCCUPATION_OPACITY, style.UKRAINE_FILL)
    for stem in STEMS:
        for suffix in (".png", "_card.png"):
            data = rendered[lang].files[f"print/{stem}{suffix}"]
            grey = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=float)
            assert grey.std() > 25, (stem, suffix)
            if stem in OCCUPIED_IN_FRAME:
                assert _share_of_pixels(data, since) > 0.01, (stem, suffix)
            if stem in ("overview", "donetsk"):
                assert _share_of_pixels(data, before) > 0.005, (stem, suffix)


def _names(*ids: str) -> dict[str, tuple[str, str]]:
    with (SHIPPED_LAYERS / schema.DEPOSITS_FILE).open(encoding="utf-8") as fh:
        return {row["id"]: (row["name_en"], row["name_uk"]) for row in csv.DictReader(fh) if row["id"] in ids}


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_kirovohrad_names_its_two_lithium_sites(rendered: dict[str, Rendered], lang: str) -> None:
    names = _names("CUR-003", "CUR-004")
    assert [en for en, _uk in names.values()] == ["Polokhivske lithium deposit", "Dobra lithium site"]
    for suffix in (".svg",):
        labels = _text_items(_group(_svg(rendered[lang].files[f"print/kirovohrad{suffix}"]), "labels"))
        for en, uk in names.values():
            assert (uk if lang == "uk" else en) in labels
    for layout in page.LAYOUTS:
        placed = {label.deposit_id for label in rendered[lang].labels[("kirovohrad", layout)]}
        assert {"CUR-003", "CUR-004"} <= placed, layout


def test_labels_overlap_nothing_and_stay_on_the_map(rendered: dict[str, Rendered]) -> None:
    for lang, result in rendered.items():
        for where, labels in result.labels.items():
            x0, y0, x1, y1 = result.frames[where]
            boxes = [label.box for label in labels]
            for i, a in enumerate(boxes):
                assert x0 <= a[0] <= a[2] <= x1, (lang, where, labels[i])
                assert y0 <= a[1] <= a[3] <= y1, (lang, where, labels[i])
                for b in boxes[i + 1 :]:
                    assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (lang, where, a, b)
        assert len(result.labels[("donetsk", "web")]) >= 10  # a regional map names its records


def test_legend_lists_what_is_drawn(rendered: dict[str, Rendered]) -> None:
    words = i18n.words("en")
    legend = rendered["en"].legends
    lithium = legend[("lithium", "web")]
    assert words("group.lithium") in lithium
    assert words("group.coal") not in lithium  # the lithium map draws the lithium sites only
    kirovohrad = legend[("kirovohrad", "web")]
    assert words("control.occupied") not in kirovohrad  # every record in its frame is held
    assert words("control.held_by_ukraine") in kirovohrad
    overview = legend[("overview", "web")]
    assert {words("control.occupied_since_2022"), words("control.occupied_before_2022")} <= set(overview)
    assert words("layer.contested") not in overview  # the shipped snapshot has no grey zone


def test_same_inputs_give_the_same_bytes(
    shipped: tuple[printmap.PrintGeometry, dict[str, Any]], rendered: dict[str, Rendered]
) -> None:
    geometry, arguments = shipped
    again = _render(geometry, arguments, "uk", keys=["kirovohrad", "lithium"]).files
    assert again
    for name, data in again.items():
        assert data == rendered["uk"].files[name], name
    for name in again:
        if name.endswith(".svg") or name.endswith(".pdf"):
            assert b"2026-" not in again[name].replace(arguments["snapshot_date"].encode(), b"")  # no clock dates


def test_a_second_language_does_no_geometry_work(
    shipped: tuple[printmap.PrintGeometry, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    geometry, arguments = shipped
    _render(geometry, arguments, "en", keys=["pokrovsk"])
    calls: list[str] = []
    for name in ("simplify", "coverage_simplify", "clip_by_rect", "union_all"):
        original = getattr(shapely, name)

        def counting(*args: Any, _name: str = name, _original: Callable[..., Any] = original, **kw: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(shapely, name, counting)
    _render(geometry, arguments, "uk", keys=["pokrovsk"])
    assert calls == []


# --- the scale bar ----------------------------------------------------------------------------


def test_nice_scale_bar_lengths() -> None:
    assert printmap.nice_length_km(1000.0) == 200.0
    assert printmap.nice_length_km(260.0) == 50.0
    assert printmap.nice_length_km(90.0) == 10.0
    assert printmap.nice_length_km(4.0) == 0.5


# --- the tiny world: the grey zone, and names from hostile data --------------------------------------

EVIL = "$x^2$ <script>alert(1)</script> & \\alpha"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[printmap.PrintGeometry, dict[str, Any]]:
    rows = [dict(d) for d in DEPOSITS]
    rows[2]["name_en"] = EVIL  # D3, the lithium record in Kirovohrad (lon 30.5)
    rows.append(deposit_row(id="D7", name_en="W" * 300, name_uk="Ж" * 300, lon="30.2", oblast="Kirovohrad"))
    inputs = build.load(make_layers(tmp_path_factory.mktemp("print") / "layers", deposits=rows))
    results = build.compute(inputs)
    regions = results.regions.copy()
    regions.loc[schema.KIROVOHRAD_ID, "name_en"] = "Kirovohrad $\\frac{1}{2}$ <b>" + "Ы" * 200
    geometry = printmap.PrintGeometry(regions, results.parts, results.front, results.contested, inputs.basemap)
    return geometry, {
        "regions": regions,
        "deposits": results.deposits,
        "snapshot_date": inputs.snapshot_date,
        "credit": inputs.occupation_credit,
    }


def test_tiny_world_draws_the_grey_zone_hatched_and_lists_it(
    tiny: tuple[printmap.PrintGeometry, dict[str, Any]],
) -> None:
    geometry, arguments = tiny
    result = _render(geometry, arguments, "en", keys=["pokrovsk"])
    root = _svg(result.files["print/pokrovsk.svg"])
    fills = [path.get("style", "") for path in _group(root, "grey-zone").iter(f"{SVG}path")]
    assert fills
    assert all(re.search(r"fill: url\(#h\w+\)", fill) for fill in fills), fills  # a hatch pattern, not a colour
    assert i18n.words("en")("layer.contested") in result.legends[("pokrovsk", "web")]
    # the grey zone is hatched, never filled with the occupied colour
    occupied = _blend(style.OCCUPIED_SINCE_2022_COLOUR, style.OCCUPATION_OPACITY, style.UKRAINE_FILL)
    assert _share_of_pixels(result.files["print/pokrovsk.png"], occupied) > 0.05  # lon 31.25-31.5 of 31-31.5


def test_names_from_data_stay_plain_text(tiny: tuple[printmap.PrintGeometry, dict[str, Any]]) -> None:
    geometry, arguments = tiny
    result = _render(geometry, arguments, "en", keys=["kirovohrad"])
    root = _svg(result.files["print/kirovohrad.svg"])
    labels = _text_items(_group(root, "labels"))
    assert any(label.startswith("$x^2$ <script>alert(1)</script>") for label in labels), labels  # not mathtext
    assert not any("W" * 30 in label for label in labels)  # 300 characters are cut, on two short lines
    subtitle = _text_items(_group(root, "title"))[1]
    assert "Kirovohrad $\\frac{1}{2}$ <b>" in subtitle
    assert subtitle.count("Ы") < 80  # a long region name is cut too
    svg = result.files["print/kirovohrad.svg"].decode("utf-8")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    for where, placed in result.labels.items():
        x0, _y0, x1, _y1 = result.frames[where]
        for label in placed:
            assert label.box[2] - label.box[0] < (x1 - x0) / 2, where  # no label takes over the map


def test_missing_regions_and_wrong_crs_are_errors(tiny: tuple[printmap.PrintGeometry, dict[str, Any]]) -> None:
    geometry, arguments = tiny
    words = i18n.words("en")
    without = {**arguments, "regions": arguments["regions"].drop(index=schema.POKROVSK_RAION_ID)}
    with pytest.raises(ValidationError, match=schema.POKROVSK_RAION_ID):
        printmap.render_print_maps(geometry, words=words, keys=["pokrovsk"], **without)
    metres = {**arguments, "deposits": arguments["deposits"].to_crs(schema.PRINT_CRS)}
    with pytest.raises(ValidationError, match="deposits: expected CRS EPSG:4326"):
        printmap.render_print_maps(geometry, words=words, keys=["lithium"], **metres)


def test_a_character_the_font_lacks_is_drawn_as_a_replacement_without_a_warning(
    tiny: tuple[printmap.PrintGeometry, dict[str, Any]],
) -> None:
    geometry, arguments = tiny
    deposits = arguments["deposits"].copy()
    deposits.loc["D3", "name_uk"] = "漢字 Добра"  # DejaVu Sans has no CJK glyphs
    # the suite turns every warning into an error: matplotlib's "Glyph … missing" would fail this test
    result = _render(geometry, {**arguments, "deposits": deposits}, "uk", keys=["kirovohrad"])
    labels = _text_items(_group(_svg(result.files["print/kirovohrad.svg"]), "labels"))
    assert f"{page.MISSING_GLYPH * 2} Добра" in labels


#: Every C0 control character and U+FFFE, which XML 1.0 forbids (but TAB, LF and CR).
HOSTILE = "".join(map(chr, range(32))) + "\ufffe"
#: What no drawn text may hold: what XML 1.0 forbids, and TAB and CR (a label's lines are matplotlib's own LF).
NOT_DRAWN = re.compile("[\x00-\x09\x0b-\x1f\ud800-\udfff\ufffe\uffff]")


def test_control_characters_in_names_leave_the_svg_well_formed_and_the_pdf_text_clean(
    tiny: tuple[printmap.PrintGeometry, dict[str, Any]],
) -> None:
    geometry, arguments = tiny
    deposits = arguments["deposits"].copy()
    deposits.loc["D3", "name_en"] = f"Lithium{HOSTILE}three"  # the lithium record, labelled on every figure
    regions = arguments["regions"].copy()
    regions.loc[schema.KIROVOHRAD_ID, "name_en"] = f"Kirovohrad{HOSTILE}Oblast"
    drawn: dict[str, list[str]] = {}

    def keep(_key: str, layout: str, result: printmap.PrintMap) -> None:
        drawn[layout] = [item.get_text() for item in result.figure.findobj(plot.Text)]

    files = printmap.render_print_maps(
        geometry,
        words=i18n.words("en"),
        keys=["kirovohrad"],
        on_map=keep,
        **{**arguments, "deposits": deposits, "regions": regions},
    )
    svg = files["print/kirovohrad.svg"].decode("utf-8")
    assert not NOT_DRAWN.search(svg.replace("\n", ""))
    root = ET.fromstring(svg)  # expat: strict XML 1.0
    assert "Lithium three" in _text_items(_group(root, "labels"))  # the run of controls is one space
    assert "Kirovohrad Oblast" in _text_items(_group(root, "title"))[1]
    assert set(drawn) == set(page.LAYOUTS)
    for layout, texts in drawn.items():  # the PDF is the "pdf" figure, the SVG the "web" one
        assert "Lithium three" in [text.replace("\n", " ") for text in texts], layout
        assert not [text for text in texts if NOT_DRAWN.search(text)], layout


# --- issue 19: metadata, labels that are never cut and always tied to their marker, the focus region ----------


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_pdfs_and_svgs_carry_the_map_title_author_and_subject(rendered: dict[str, Rendered], lang: str) -> None:
    titles = {
        "en": {"donetsk": "Donetsk Oblast", "lithium": "Ukraine's lithium deposits"},
        "uk": {"donetsk": "Донецька область", "lithium": "Родовища літію України"},
    }[lang]
    subject_starts = {"en": "Occupied areas as of 2026-08-22", "uk": "Окуповані території станом на 2026-08-22"}[lang]
    for stem, title in titles.items():
        info = pdf_info(rendered[lang].files[f"print/{stem}.pdf"])
        assert info["Title"] == title, stem
        assert info["Author"] == "resource-control-mapper"
        assert info["Subject"].startswith(subject_starts), info
        svg = rendered[lang].files[f"print/{stem}.svg"].decode("utf-8")
        assert f"<title>{title.replace(chr(39), '&#x27;')}</title>" in svg or f"<title>{title}</title>" in svg, stem
    for stem in STEMS:  # every PDF has a title
        assert pdf_info(rendered[lang].files[f"print/{stem}.pdf"])["Title"], stem


def test_no_label_is_cut_and_every_floating_label_has_a_leader(rendered: dict[str, Rendered]) -> None:
    leaders = 0
    for lang, result in rendered.items():
        for where, placed in result.labels.items():
            for label in placed:
                assert "…" not in label.text, (lang, where, label.text)
                # a label more than 2.5 gaps (marker radius + 1 pt, in pixels) from its marker has a leader line
                gap = _gap_px(where[1], lithium=label.deposit_id in LITHIUM_IDS)
                far = labels_distance(label.anchor, label.box) > 2.5 * gap + 0.01
                assert (label.leader is not None) == far, (lang, where, label)
                leaders += label.leader is not None
    assert leaders > 0  # the shipped maps are dense enough that some labels float


#: The shipped lithium records with a known site, and the records whose label every map that shows them carries.
LITHIUM_IDS = {"CUR-001", "CUR-002", "CUR-003", "CUR-004"}
MUST_LABEL = {
    "CUR-001": ["overview", "donetsk", "zaporizhzhia", "pokrovsk", "lithium"],  # Shevchenkivske, occupied lithium
    "CUR-006": ["donetsk", "zaporizhzhia"],  # Azov, occupied rare earths
}


def _gap_px(layout: str, *, lithium: bool) -> float:
    """A label's gap from its anchor in pixels, worked out here: (marker radius + 1 pt) at the layout's dpi."""
    size = style.LITHIUM_MARKER_SIZE if lithium else style.MARKER_SIZE
    diameter = size * 0.6 * 0.62 * page.LAYOUTS[layout].symbol_scale  # PT_PER_PX, MARKER_SHARE
    return (diameter / 2 + 1.0) * page.LAYOUTS[layout].dpi / 72


def labels_distance(anchor: tuple[float, float], box: Box) -> float:
    dx = max(box[0] - anchor[0], 0.0, anchor[0] - box[2])
    dy = max(box[1] - anchor[1], 0.0, anchor[1] - box[3])
    return float(np.hypot(dx, dy))


def test_the_occupied_lithium_site_and_azov_are_labelled_wherever_they_are_shown(rendered: dict[str, Rendered]) -> None:
    names = _names("CUR-001", "CUR-006")
    assert names["CUR-001"][0] == "Shevchenkivske lithium deposit"
    assert names["CUR-006"][0] == "Azov zirconium-rare-earth deposit"
    for lang, result in rendered.items():
        for rid, stems in MUST_LABEL.items():
            for stem in stems:
                for layout in page.LAYOUTS:
                    placed = {label.deposit_id for label in result.labels[(stem, layout)]}
                    assert rid in placed, (lang, rid, stem, layout)


def test_labels_follow_the_national_transliteration(rendered: dict[str, Rendered]) -> None:
    en = {label.text.replace("\n", " ") for label in rendered["en"].labels[("donetsk", "pdf")]}
    assert "Ilovaiska Coal Mine" in en  # GEM: "Ilovayskaya Coal Mine", «Шахта Іловайська»
    assert "Ilovayskaya Coal Mine" not in en
    uk = {label.text.replace("\n", " ") for label in rendered["uk"].labels[("donetsk", "pdf")]}
    assert "Шахта Іловайська" in uk
    # the rule respells the source's words only: another name (after «ім.») or a genitive never replaces it, no
    # number is lost, the source's initials and order stay, and no "№" reaches a Latin label
    latin: dict[str, set[str]] = {}
    for placed in rendered["en"].labels.values():
        for label in placed:
            latin.setdefault(label.deposit_id, set()).add(label.text.replace("\n", " "))
    assert latin["GEM-M4541"] == {"Pivdennodonbaska 3 Coal Mine"}  # «Шахта ім. М. С. Сургая»
    assert latin["GEM-M1310"] == {"V. V. Vakhrushev Coal Mine"}  # «В. В. Вахрушева»
    assert latin["GEM-M1412"] == {"Zasiadko Coal Mine"}  # «А. Ф. Засядько»
    assert latin["GEM-M4538"] == {"Novohrodivska No 1-3 Coal Mine"}  # «Шахта 1-3 Новогродівська»
    assert not [text for texts in latin.values() for text in texts if "№" in text]


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> tuple[printmap.PrintGeometry, dict[str, Any]]:
    """The tiny world with 24 coal mines of long names packed round lon 31.6, lat 48.5 (Donetsk), 2 km apart."""
    rows = [dict(d) for d in DEPOSITS]
    for k in range(24):
        lon, lat = 31.55 + (k % 6) * 0.025, 48.45 + (k // 6) * 0.025
        rows.append(
            deposit_row(
                id=f"M{k:02d}",
                name_en=f"Shakhta number {k} of the Dense Cluster Mining and Processing Plant",
                name_uk=f"Шахта {k}",
                lon=f"{lon:.3f}",
                lat=f"{lat:.3f}",
            )
        )
    inputs = build.load(make_layers(tmp_path_factory.mktemp("dense") / "layers", deposits=rows))
    results = build.compute(inputs)
    maps = catalogue.all_maps(results.regions, [schema.POKROVSK_HROMADA_ID])
    geometry = printmap.PrintGeometry(
        results.regions, results.parts, results.front, results.contested, inputs.basemap, maps=maps
    )
    return geometry, {
        "regions": results.regions,
        "deposits": results.deposits,
        "snapshot_date": inputs.snapshot_date,
        "credit": inputs.occupation_credit,
    }


def test_a_dense_cluster_gets_whole_labels_tied_to_their_markers(
    dense: tuple[printmap.PrintGeometry, dict[str, Any]],
) -> None:
    geometry, arguments = dense
    result = _render(geometry, arguments, "en", keys=["donetsk"])
    tied = 0
    for where, placed in result.labels.items():
        assert len(placed) >= 6, where  # of 27 named records, 24 of them within 13 km
        for label in placed:
            assert "…" not in label.text, label.text
            assert label.text.replace("\n", " ").endswith("Mining and Processing Plant") or label.deposit_id[0] == "D"
            gap = _gap_px(where[1], lithium=False)
            if labels_distance(label.anchor, label.box) > 2.5 * gap + 0.01:  # floats: a leader ties it to its marker
                assert label.leader is not None, label
                (x0, y0), (x1, y1) = label.leader
                assert np.hypot(x0 - label.anchor[0], y0 - label.anchor[1]) == pytest.approx(gap)
                assert labels_distance((x1, y1), label.box) == pytest.approx(0.0, abs=1e-6)  # it ends on the label
                tied += 1
            else:
                assert label.leader is None
    assert tied >= 3
    lines = _group(_svg(result.files["print/donetsk.svg"]), "leaders")
    web = [label for label in result.labels[("donetsk", "web")] if label.leader is not None]
    assert len(list(lines.iter(f"{SVG}path"))) == len(web)


def _pixel(data: bytes, figure_xy: np.ndarray) -> np.ndarray:
    image = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)
    x, y = figure_xy
    pixel: np.ndarray = image[image.shape[0] - 1 - round(float(y)), round(float(x))]
    return pixel


def test_the_focus_region_is_outlined_and_the_land_outside_it_veiled(
    dense: tuple[printmap.PrintGeometry, dict[str, Any]],
) -> None:
    geometry, arguments = dense
    region = next(spec for spec in geometry.maps if spec.frame == schema.POKROVSK_HROMADA_ID)  # a --map map
    assert region.focus_region == schema.POKROVSK_HROMADA_ID
    to_px: dict[str, Callable[[Any], np.ndarray]] = {}

    def keep(key: str, layout: str, drawn: printmap.PrintMap) -> None:
        if layout == "web":
            to_px[key] = next(a for a in drawn.figure.axes if a.get_gid() == "map").transData.transform

    files = printmap.render_print_maps(
        geometry, words=i18n.words("en"), keys=[region.id, "overview"], on_map=keep, **arguments
    )
    lonlat = [(31.4, 48.1), (31.7, 48.15)]  # both occupied since 2022: inside the hromada (lon 31–31.5), outside it
    points = gpd.GeoSeries(gpd.points_from_xy(*zip(*lonlat, strict=True)), crs=schema.STORAGE_CRS)
    metres = points.to_crs(schema.PRINT_CRS)
    px = to_px[region.id](np.column_stack([metres.x, metres.y]))
    png = files[f"print/{region.id}.png"]
    occupied = _blend(style.OCCUPIED_SINCE_2022_COLOUR, style.OCCUPATION_OPACITY, style.UKRAINE_FILL)
    veiled = 0.45 * _rgb("#ffffff") + 0.55 * occupied  # OUTSIDE_FOCUS_VEIL: white at 0.45
    assert _pixel(png, px[0]) == pytest.approx(occupied, abs=2.5)
    assert _pixel(png, px[1]) == pytest.approx(veiled, abs=2.5)
    root = _svg(files[f"print/{region.id}.svg"])
    strokes = [p.get("style", "") for p in _group(root, "focus").iter(f"{SVG}path")]
    assert strokes
    assert all("stroke: #1f4e9c" in s and "stroke-width: 1.8" in s for s in strokes), strokes  # 3 px × 0.6 pt/px
    _group(root, "focus-veil")
    assert "Pokrovsk urban hromada: the map's region (land outside it lightened)" in _text_items(_group(root, "legend"))
    overview = _svg(files["print/overview.svg"])  # all Ukraine: no focus
    assert not [g for g in overview.iter(f"{SVG}g") if g.get("id") in ("focus", "focus-veil")]


# --- issue 20: one print set per peace-plan scenario (the tiny world's four) --------------------------------------

TINY_SCENARIOS = ["frozen", "mix", "back", "band"]


@pytest.fixture(scope="module")
def scenario_world(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[printmap.PrintGeometry, dict[str, Any], tuple[dict[str, Any], ...]]:
    inputs = build.load(make_layers(tmp_path_factory.mktemp("scenarios") / "layers"))
    results = build.compute(inputs)
    geometry = printmap.PrintGeometry(results.regions, results.parts, results.front, results.contested, inputs.basemap)
    arguments = {
        "regions": results.regions,
        "deposits": results.deposits,
        "snapshot_date": inputs.snapshot_date,
        "credit": inputs.occupation_credit,
    }
    return geometry, arguments, build.scenario_views(results, inputs.deal)


@dataclass
class ScenarioPrints:
    files: dict[str, bytes]
    to_px: dict[str, Callable[[Any], np.ndarray]]  # stem → the web figure's map axes, data (metres) → pixels
    legends: dict[str, list[str]]  # stem → the web figure's legend
    titles: dict[str, tuple[str, str]]  # stem → the web figure's title and subtitle


def _render_scenarios(
    world: tuple[printmap.PrintGeometry, dict[str, Any], tuple[dict[str, Any], ...]],
    lang: str = "en",
    views: tuple[dict[str, Any], ...] | None = None,
) -> ScenarioPrints:
    geometry, arguments, every = world
    out = ScenarioPrints({}, {}, {}, {})

    def keep(stem: str, layout: str, drawn: printmap.PrintMap) -> None:
        if layout == "web":
            out.to_px[stem] = next(a for a in drawn.figure.axes if a.get_gid() == "map").transData.transform
            out.legends[stem] = drawn.legend
            out.titles[stem] = (drawn.title, drawn.subject)

    out.files = printmap.render_print_maps(
        geometry,
        words=i18n.words(lang),
        keys=["scenarios"],
        on_map=keep,
        scenarios=every if views is None else views,
        **arguments,
    )
    return out


@pytest.fixture(scope="module")
def scenario_prints(
    scenario_world: tuple[printmap.PrintGeometry, dict[str, Any], tuple[dict[str, Any], ...]],
) -> ScenarioPrints:
    return _render_scenarios(scenario_world)


def _lonlat_grid(lon: tuple[float, float], lat: tuple[float, float], n: int = 9) -> np.ndarray:
    """Points on an n × n grid strictly inside the lon/lat box, in the print CRS (metres)."""
    lons, lats = np.meshgrid(np.linspace(*lon, n), np.linspace(*lat, n))
    points = gpd.GeoSeries(gpd.points_from_xy(lons.ravel(), lats.ravel()), crs=schema.STORAGE_CRS)
    metres = points.to_crs(schema.PRINT_CRS)
    return np.column_stack([metres.x, metres.y])


def _share_of_colour(prints: ScenarioPrints, stem: str, grid: np.ndarray, colour: np.ndarray) -> float:
    png = prints.files[f"print/{stem}.png"]
    pixels = [_pixel(png, xy) for xy in prints.to_px[stem](grid)]
    return float(np.mean([np.all(np.abs(p - colour) <= 2.5) for p in pixels]))


def test_the_scenarios_record_prints_one_set_per_scenario_and_none_of_its_own(
    scenario_world: tuple[printmap.PrintGeometry, dict[str, Any], tuple[dict[str, Any], ...]],
    scenario_prints: ScenarioPrints,
) -> None:
    assert [view["scenario_id"] for view in scenario_world[2]] == TINY_SCENARIOS
    expected = {
        f"print/{catalogue.SCENARIO_PRINT_PREFIX}{sid}{suffix}"
        for sid in TINY_SCENARIOS
        for suffix in schema.PRINT_FILES.values()
    }
    assert set(scenario_prints.files) == expected
    assert "print/scenarios.png" not in scenario_prints.files
    for sid in TINY_SCENARIOS:
        web = Image.open(io.BytesIO(scenario_prints.files[f"print/scenario_{sid}.png"]))
        card = Image.open(io.BytesIO(scenario_prints.files[f"print/scenario_{sid}_card.png"]))
        assert (web.size, card.size) == ((1600, 1000), (1080, 1080))
        assert len(_pdf_pages(scenario_prints.files[f"print/scenario_{sid}.pdf"])) == 1
    # without scenarios the record prints nothing; the other maps print as before
    geometry, arguments, _views = scenario_world
    none = printmap.render_print_maps(geometry, words=i18n.words("en"), keys=["scenarios", "lithium"], **arguments)
    assert sorted(none) == sorted(f"print/lithium{suffix}" for suffix in schema.PRINT_FILES.values())


def test_the_build_prints_the_scenarios_in_each_language(
    scenario_world: tuple[printmap.PrintGeometry, dict[str, Any], tuple[dict[str, Any], ...]],
    tmp_path: Any,
) -> None:
    inputs = build.load(make_layers(tmp_path / "layers"))
    results = build.compute(inputs)
    geometry = build.print_geometry(inputs, results)
    files = build.render_print(inputs, results, geometry, words=i18n.words("uk"), keys=["scenarios"])
    assert sorted(files) == sorted(
        f"uk/print/scenario_{sid}{suffix}" for sid in TINY_SCENARIOS for suffix in schema.PRINT_FILES.values()
    )
    title = _text_items(_group(_svg(files["uk/print/scenario_mix.svg"]), "title"))
    assert title[0] == "Сценарій mix"  # the scenario's Ukrainian name
    assert "58,3\u00a0%" in title[1]


def test_scenario_maps_draw_what_each_scenario_hands_over(scenario_prints: ScenarioPrints) -> None:
    # by hand: the country is lon 30–33; Kirovohrad lon 30–31, Donetsk lon 31–32 (occupied lon 31.25–32)
    russian = _blend(style.SCENARIO_RUSSIAN_COLOUR, style.OCCUPATION_OPACITY, style.UKRAINE_FILL)
    dmz = _blend(style.DEMILITARISED_COLOUR, style.DEMILITARISED_OPACITY, style.UKRAINE_FILL)
    white = _rgb(style.UKRAINE_FILL)
    kirovohrad = _lonlat_grid((30.08, 30.92), (48.08, 48.42))  # south of the lithium site's marker and label
    held_strip = _lonlat_grid((31.03, 31.22), (48.05, 48.95))  # lon 31–31.25: Donetsk's held quarter
    occupied = _lonlat_grid((31.3, 31.95), (48.05, 48.45))  # south of the Donetsk records (lat 48.5)
    # mix: Kirovohrad ceded, Donetsk's held quarter demilitarised (hatched: the lines cover some pixels)
    assert _share_of_colour(scenario_prints, "scenario_mix", kirovohrad, russian) >= 0.9
    assert _share_of_colour(scenario_prints, "scenario_mix", held_strip, dmz) >= 0.3
    assert _share_of_colour(scenario_prints, "scenario_mix", held_strip, russian) == 0.0
    assert _share_of_colour(scenario_prints, "scenario_mix", occupied, russian) >= 0.9
    # back: Donetsk returned, nothing Russian-controlled; Kirovohrad stays Ukraine's
    assert _share_of_colour(scenario_prints, "scenario_back", kirovohrad, russian) == 0.0
    assert _share_of_colour(scenario_prints, "scenario_back", kirovohrad, white) >= 0.9
    assert _share_of_colour(scenario_prints, "scenario_back", occupied, russian) == 0.0
    assert _share_of_colour(scenario_prints, "scenario_back", held_strip, dmz) == 0.0
    # frozen: the line as it is
    assert _share_of_colour(scenario_prints, "scenario_frozen", occupied, russian) >= 0.9
    assert _share_of_colour(scenario_prints, "scenario_frozen", kirovohrad, russian) == 0.0


def test_scenario_maps_list_their_classes_and_state_their_share(scenario_prints: ScenarioPrints) -> None:
    words = i18n.words("en")
    legends, titles = scenario_prints.legends, scenario_prints.titles
    russian, dmz = words("print.scenario.russian"), words("print.scenario.demilitarised")
    ceded, returned = words("print.scenario.ceded"), words("print.scenario.returned")
    assert {russian, dmz, ceded} <= set(legends["scenario_mix"])
    assert returned not in legends["scenario_mix"]  # Zaporizhzhia, returned, has nothing occupied
    assert returned in legends["scenario_back"]
    assert not {russian, dmz, ceded} & set(legends["scenario_back"])
    assert not {dmz, ceded, returned} & set(legends["scenario_frozen"])
    assert dmz in legends["scenario_band"]
    # D3 (lithium, lon 30.5) is Russian-controlled under mix, held under back
    assert words("print.scenario.control.russian_controlled") in legends["scenario_mix"]
    assert words("print.scenario.control.russian_controlled") not in legends["scenario_back"]
    # the subtitle: 7/12 of the country under mix, none under back, a quarter as it is (frozen, band)
    shares = {"scenario_mix": "58.3%", "scenario_back": "0.0%", "scenario_frozen": "25.0%", "scenario_band": "25.0%"}
    for stem, share in shares.items():
        assert titles[stem][0] == f"Scenario {stem.removeprefix('scenario_')}"
        assert f"Russian-controlled: {share} of Ukraine" in titles[stem][1], titles[stem]
    footer = _text_items(_group(_svg(scenario_prints.files["print/scenario_mix.svg"]), "credits"))[0]
    assert footer.startswith("Proposed 2025-11-20. Source: example.org ")
    assert "«© Мінрегіон»" in footer


def test_a_hostile_scenario_name_is_escaped_in_the_svg_and_kept_in_the_metadata(
    scenario_world: tuple[printmap.PrintGeometry, dict[str, Any], tuple[dict[str, Any], ...]],
) -> None:
    hostile = "<script>&\"'"
    views = tuple({**view, "name_en": hostile} if view["scenario_id"] == "mix" else view for view in scenario_world[2])
    prints = _render_scenarios(scenario_world, views=views)
    svg = prints.files["print/scenario_mix.svg"].decode("utf-8")
    assert "<script>" not in svg
    assert "&lt;script&gt;&amp;" in svg
    root = _svg(prints.files["print/scenario_mix.svg"])  # well-formed
    assert _text_items(_group(root, "title"))[0] == hostile
    assert "".join(next(root.iter(f"{SVG}title")).itertext()) == hostile
    assert pdf_info(prints.files["print/scenario_mix.pdf"])["Title"] == hostile


def test_a_second_language_does_no_scenario_geometry_work(
    scenario_world: tuple[printmap.PrintGeometry, dict[str, Any], tuple[dict[str, Any], ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _render_scenarios(scenario_world, "en")
    calls: list[str] = []
    for name in ("simplify", "clip_by_rect", "difference", "buffer", "union_all"):
        original = getattr(shapely, name)

        def counting(*args: Any, _name: str = name, _original: Callable[..., Any] = original, **kw: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(shapely, name, counting)
    _render_scenarios(scenario_world, "uk")
    assert calls == []


def test_a_scenario_with_other_geometry_under_the_same_id_is_drawn_anew(
    scenario_world: tuple[printmap.PrintGeometry, dict[str, Any], tuple[dict[str, Any], ...]],
    scenario_prints: ScenarioPrints,
) -> None:
    # mix again, but nothing Russian-controlled or demilitarised: the cache made for the first mix must not be used
    views = tuple(
        {**view, "russian": shapely.Polygon(), "demilitarised": shapely.Polygon()}
        if view["scenario_id"] == "mix"
        else view
        for view in scenario_world[2]
    )
    again = _render_scenarios(scenario_world, views=views)
    russian = _blend(style.SCENARIO_RUSSIAN_COLOUR, style.OCCUPATION_OPACITY, style.UKRAINE_FILL)
    kirovohrad = _lonlat_grid((30.08, 30.92), (48.08, 48.42))
    assert _share_of_colour(scenario_prints, "scenario_mix", kirovohrad, russian) >= 0.9
    assert _share_of_colour(again, "scenario_mix", kirovohrad, russian) == 0.0
    assert i18n.words("en")("print.scenario.russian") not in again.legends["scenario_mix"]
    _render_scenarios(scenario_world)  # and back: the module's geometry is the shipped views' again


def test_scenario_subtitles_state_both_shares_and_the_band_depth(scenario_prints: ScenarioPrints) -> None:
    titles, legends = scenario_prints.titles, scenario_prints.legends
    # mix: Russian 7/12 of the country, with the demilitarised twelfth 8/12; band: a quarter, plus a 10 km × 111 km
    # band (≈1,112 km² of 24,653 km²: 4.5 %) → 29.5 %; frozen and back demilitarise nothing: one figure
    assert "; with the demilitarised zone: 66.7%." in titles["scenario_mix"][1], titles["scenario_mix"]
    assert "; with the demilitarised zone: 29.5%." in titles["scenario_band"][1], titles["scenario_band"]
    for stem in ("scenario_frozen", "scenario_back"):
        assert "with the demilitarised zone" not in titles[stem][1], titles[stem]
    # the zone is nobody's troops', not "neither side's" ground (a plan may give it to Russia)
    assert "Demilitarised zone (no troops of either side)" in legends["scenario_mix"]
    assert not any("neither side" in line for line in legends["scenario_mix"])
    # band's rules (dmz@10:UA14) say how deep the band is, and that the depth is assumed; mix's whole-part dmz not
    depth = "Demilitarised band: 10 km from the line (the depth is an assumption where reports differ; see notes)."
    assert titles["scenario_band"][1].endswith(depth), titles["scenario_band"]
    assert "Demilitarised band" not in titles["scenario_mix"][1]


def test_scenario_words_for_a_drawn_scenario_name_the_user_not_an_empty_source() -> None:
    words = i18n.words("en")
    country = {"region_id": schema.COUNTRY_ID, "russian_controlled_share": 0.5, "russian_controlled_km2": 10.0,
               "demilitarised_km2": 0.0, "russian_or_demilitarised_share": 0.5}  # fmt: skip
    view = {"scenario_id": "mine", "name_en": "Mine", "name_uk": "Мій", "date": "2026-08-22", "rules": "",
            "regions": [country], "drawn": True, "proposed": "", "source_url": "", "quote": ""}  # fmt: skip
    _title, subtitle, footer = printmap.scenario_words(view, words, credit="A source")
    assert footer.splitlines()[0] == "Drawn by the user (--scenario-file)"
    assert "Proposed" not in footer
    assert "Source:" not in footer
    assert "with the demilitarised zone" not in subtitle
    # a row with no date and no address (not drawn): no empty "Proposed . Source: " line, only the credits
    _title, _subtitle, footer = printmap.scenario_words({**view, "drawn": False}, words, credit="A source")
    assert footer == words("credits", credits=style.credits_line("A source"))
    uk = printmap.scenario_words(view, i18n.words("uk"), credit="A source")[2]
    assert uk.splitlines()[0] == "Накреслено користувачем (--scenario-file)"


def test_a_scenario_map_draws_the_line_of_its_own_date(
    scenario_world: tuple[printmap.PrintGeometry, dict[str, Any], tuple[dict[str, Any], ...]],
) -> None:
    geometry, arguments, views = scenario_world
    # the snapshot's line runs along lon 31.25; a view starting from another date's line (here along lon 30.5)
    moved = shapely.LineString([(30.5, 48.05), (30.5, 48.95)])
    view = {**views[0], "scenario_id": "elsewhere", "front": moved, "date": "2025-02-28"}
    layers = geometry.scenario(view, "country", snapshot_date=arguments["snapshot_date"])
    at = gpd.GeoSeries([shapely.Point(30.5, 48.5), shapely.Point(31.25, 48.5)], crs=schema.STORAGE_CRS)
    here, snapshot = at.to_crs(schema.PRINT_CRS)
    assert shapely.distance(layers["today"], here) < 1_000  # metres: on the view's line
    assert shapely.distance(layers["today"], snapshot) > 40_000  # not the snapshot's (about 55 km east)
