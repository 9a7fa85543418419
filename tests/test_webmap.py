"""HTML maps: escaping, layers, panel and credits."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from jinja2.utils import htmlsafe_json_dumps

from geo import build, catalogue, i18n, schema, style, webmap
from geo.errors import ArgumentError
from tests.conftest import (
    DEPOSITS,
    SCENARIOS,
    SHIPPED_LAYERS,
    as_deepstate,
    deposit_row,
    make_layers,
    scenario_row,
    store_second_source,
    write_csv,
    write_sidecar,
)

EVIL = '<img src=x onerror="window.__pwned=1">'


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        (EVIL, "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;"),
        ("a`b${c}\\d", "a&#96;b&#36;&#123;c&#125;&#92;d"),
        ("{{ 7*7 }}", "&#123;&#123; 7*7 &#125;&#125;"),
        ("Покровськ & Co", "Покровськ &amp; Co"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_text_escapes_for_html_and_js_template_literals(raw: object, escaped: str) -> None:
    assert webmap.text(raw) == escaped


def _row(**values: object) -> pd.Series:
    base: dict[str, object] = {
        "name_en": "Deposit",
        "name_uk": "Родовище",
        "commodity_list": ("lithium", "coal_coking"),
        "status": "under_development",
        "snapshot_date": "2026-08-22",
        "control_status": schema.HELD,
        "status_uncertain": False,
        "location_known": True,
        "distance_to_front_km": 12.345,
        "hromada": "",
        "raion": "Pokrovskyi Raion",
        "oblast": "Donetsk Oblast",
        "coord_precision": "site",
        "source_name": "GEM",
        "source_url": "https://www.gem.wiki/X",
    }
    base.update(values)
    return pd.Series(base, name="GEM-1")


def test_popup_has_every_field_and_a_source_link() -> None:
    popup = webmap.popup_html(_row(), i18n.words("en"))
    for part in (
        "<b>Deposit</b>",
        "Commodities: lithium, coal coking",
        "Status: under development",
        "Held by Ukraine",
        "12.3 km",
        "Pokrovskyi Raion, Donetsk Oblast",
        "Location precision: site",
        '<a href="https://www.gem.wiki/X" target="_blank" rel="noopener noreferrer">source</a>',
        "id GEM-1",
    ):
        assert part in popup, part


def test_popup_escapes_data_and_refuses_non_http_links() -> None:
    popup = webmap.popup_html(
        _row(name_en=EVIL, source_url="javascript:alert(1)", source_name="`${x}`"), i18n.words("en")
    )
    assert "<img" not in popup
    assert "javascript:" not in popup
    assert "`" not in popup
    assert "${" not in popup


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    rows = [dict(d) for d in DEPOSITS] + [
        deposit_row(id="EVIL-1", name_en=EVIL, lon="30.7", oblast="Kirovohrad"),
        deposit_row(id="SPOOF-1", name_en="Spoof\u202e%0.5 mine", lon="30.6", oblast="Kirovohrad"),
    ]
    layers = make_layers(tmp_path_factory.mktemp("w") / "layers", deposits=rows)
    inputs = build.load(layers)
    results = build.compute(inputs)
    return webmap.render_maps(**build.map_arguments(inputs, results))


def test_every_map_is_rendered(rendered: dict[str, bytes]) -> None:
    assert sorted(rendered) == sorted(spec.file for spec in catalogue.MAPS)


def test_maps_carry_credits_layers_and_the_published_figure(rendered: dict[str, bytes]) -> None:
    for name, data in rendered.items():
        page = data.decode("utf-8")
        # the occupied areas: the tiny world's snapshot sidecars' credit, never a hard-wired DeepState
        credits = ("«© Мінрегіон»", "OpenStreetMap", "Global Energy Monitor", "ICMM", "Occupied areas: test credit")
        for credit in credits:
            assert json.dumps(credit)[1:-1] in page, (name, credit)  # inside the script, JSON-escaped
        if name == "scenarios.html":  # the scenarios' areas instead of today's, and a panel per scenario
            for layer in (
                "Russian-controlled under the scenario",
                "line of contact (2026-08-22, dashed)",
                "Lithium sites",
            ):
                assert layer in page, (name, layer)
            assert "F01: <b>40%</b>" not in page
            continue
        for layer in ("Occupied since 24 Feb 2022", "Occupied before 24 Feb 2022", "Line of contact", "Lithium sites"):
            assert layer in page, (name, layer)
        if name == "lithium.html":  # its panel is about the lithium sites: their count, names and reserves
            assert "F01: <b>40%</b>" not in page
            assert "Records (Lithium):" in page
        else:
            assert "F01: <b>40%</b>" in page, name
            assert "This project: <b>" in page, name


def test_no_data_string_reaches_the_page_unescaped(rendered: dict[str, bytes]) -> None:
    for name, data in rendered.items():
        page = data.decode("utf-8")
        assert "<img src=x" not in page, name
        # the popup and tooltip carry the HTML-escaped name, JSON-encoded inside the script
        assert htmlsafe_json_dumps("&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;")[1:-1] in page, name


def test_direction_controls_from_data_never_reach_the_page(rendered: dict[str, bytes]) -> None:
    for name, data in rendered.items():
        page = data.decode("utf-8")
        assert "Spoof%0.5 mine" in page, name  # in the popup, the tooltip and the search list
        assert "\u202e" not in page, name
        assert "\\u202e" not in page.lower(), name  # nor JSON-escaped


def test_focus_maps_frame_their_region(rendered: dict[str, bytes], tmp_path: Path) -> None:
    page = rendered["pokrovsk.html"].decode("utf-8")
    assert "Pokrovsk city" in page
    assert "Hromadas" in page
    # fit_bounds on the tiny Pokrovsk raion: lat 48–49, lon 31–31.5
    assert "[[48.0, 31.0], [49.0, 31.5]]" in page


def test_encode_polyline_matches_the_published_example() -> None:
    # Google's documented example: (38.5, -120.2), (40.7, -120.95), (43.252, -126.453)
    coords = np.array([[-120.2, 38.5], [-120.95, 40.7], [-126.453, 43.252]])
    assert webmap.encode_polyline(coords, 1e5) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"


def test_js_json_cannot_open_a_jinja_tag() -> None:
    encoded = webmap.js_json({"name": "{{ 7*7 }} {% x %} {# y #} </script>"})
    assert "{{" not in encoded
    assert "{%" not in encoded
    assert "{#" not in encoded
    assert "</script>" not in encoded
    assert json.loads(encoded) == {"name": "{{ 7*7 }} {% x %} {# y #} </script>"}


def _decode(text_: str, factor: float) -> list[tuple[float, float]]:
    """Decode one encoded polyline (written here from Google's description, apart from the code under test)."""
    values, shift, result = [], 0, 0
    for char in text_:
        b = ord(char) - 63
        result |= (b & 0x1F) << shift
        shift += 5
        if b < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift, result = 0, 0
    lats = np.cumsum(values[0::2]) / factor
    lons = np.cumsum(values[1::2]) / factor
    return list(zip(lons.tolist(), lats.tolist(), strict=True))


_VECTOR_CALL = re.compile(r"resourceVectorLayer\('(\w+)', (\{[^{}]*\}), ")
_DATA_BLOCK = re.compile(r'<script type="application/json" id="(\w+)">(.*?)</script>', re.DOTALL)


def _outline_layers(page: str) -> list[gpd.GeoSeries]:
    """Every region-outline layer a page draws (polygons with no fill), as polygons in lon/lat by region id."""
    layers = []
    blocks = dict(_DATA_BLOCK.findall(page))
    for block, paint in _VECTOR_CALL.findall(page):
        if json.loads(paint).get("fillOpacity") != 0.0:
            continue
        data = json.loads(blocks[block])
        shapes = [
            shapely.MultiPolygon([(_decode(p[0], data["f"]), [_decode(h, data["f"]) for h in p[1:]]) for p in f["g"]])
            for f in data["features"]
        ]
        ids = [re.search(r"<br>\w+ ([A-Za-z0-9-]+)<br>", f["label"]).group(1) for f in data["features"]]  # type: ignore[union-attr]
        layers.append(
            gpd.GeoSeries(shapely.make_valid(np.asarray(shapes, dtype=object)), index=ids, crs=schema.STORAGE_CRS)
        )
    return layers


def _overlap_and_gaps_km2(geoms: gpd.GeoSeries) -> tuple[float, float]:
    """Area drawn twice by neighbours, and area of the holes inside the union (equal-area CRS)."""
    equal = geoms.to_crs(schema.AREA_CRS)
    union = shapely.union_all(equal.to_numpy())
    holes = sum(shapely.area(shapely.polygons(ring)) for poly in shapely.get_parts(union) for ring in poly.interiors)
    return (float(equal.area.sum()) - union.area) / 1e6, holes / 1e6


def test_neighbouring_regions_share_their_border_on_every_map(shipped_build: tuple[Path, dict[str, object]]) -> None:
    out, _ = shipped_build
    raw = build.load(SHIPPED_LAYERS).regions
    checked = 0
    for spec in catalogue.MAPS:
        page = (out / spec.file).read_text(encoding="utf-8")
        layers = _outline_layers(page)  # in the order of the spec's region levels
        assert len(layers) == len(spec.levels), spec.id
        for layer, lv in zip(layers, spec.levels, strict=True):
            level, prefix = lv.level, lv.within
            chosen = raw[(raw["level"] == level) & raw.index.str.startswith(prefix)]
            assert sorted(layer.index) == sorted(chosen.index), (spec.id, level)  # every region drawn
            # each region keeps its area (where the boundary files overlap, the smaller region keeps the overlap)
            ratio = layer.to_crs(schema.AREA_CRS).area / chosen.geometry.to_crs(schema.AREA_CRS).area.loc[layer.index]
            allowed = 0.03 if spec.scale == "country" else 0.02
            assert ratio.between(1 - allowed, 1 + allowed).all(), (spec.id, level, ratio.idxmin(), ratio.min())
            if len(layer) < 2:
                continue
            overlap, gaps = _overlap_and_gaps_km2(layer)
            # the boundary files have gaps of their own (Kyiv city is no raion): only what drawing adds counts
            _raw_overlap, raw_gaps = _overlap_and_gaps_km2(gpd.GeoSeries(chosen.geometry))
            assert overlap <= 0.5, (spec.id, level, overlap)
            assert gaps - raw_gaps <= 0.5, (spec.id, level, gaps, raw_gaps)
            checked += 1
    assert checked >= 10


def test_hromadas_lose_no_area_to_hromadas_no_map_draws(shipped_build: tuple[Path, dict[str, object]]) -> None:
    # the coarse hromadas of other oblasts overlap the focus oblasts' OSM ones at the oblast borders; cleaned with
    # them, Kirovohrad's were drawn up to 1.5 % smaller (the smaller region keeps an overlap): now only the hromadas
    # the maps draw are cleaned together
    out, _ = shipped_build
    raw = build.load(SHIPPED_LAYERS).regions.geometry.to_crs(schema.AREA_CRS).area
    for map_id in ("zaporizhzhia", "kirovohrad"):
        spec = next(s for s in catalogue.MAPS if s.id == map_id)
        layers = _outline_layers((out / spec.file).read_text(encoding="utf-8"))
        hromadas = next(layer for layer, lv in zip(layers, spec.levels, strict=True) if lv.level == "hromada")
        ratio = hromadas.to_crs(schema.AREA_CRS).area / raw.loc[hromadas.index]
        assert ratio.between(0.999, 1.001).all(), (map_id, ratio.idxmin(), ratio.min())


def test_the_html_geometry_refuses_a_map_it_was_not_made_for() -> None:
    raw = build.load(SHIPPED_LAYERS).regions.iloc[:0]
    empty = gpd.GeoDataFrame(geometry=[], crs=schema.STORAGE_CRS)
    drawn = webmap.Drawn(raw, empty, gpd.GeoSeries([], crs=schema.STORAGE_CRS), None, empty, maps=catalogue.MAPS[:1])
    with pytest.raises(ValueError, match="no map of this geometry draws hromada regions 'UA14'"):
        drawn.regions("hromada", "oblast", "UA14")


def test_a_page_without_javascript_says_where_the_numbers_are(tiny_layers: Path, tmp_path: Path) -> None:
    build.build(tiny_layers, tmp_path / "maps")
    page = (tmp_path / "maps" / "overview.html").read_text(encoding="utf-8")
    note = page[page.index("<noscript>") : page.index("</noscript>")]
    assert "regions.csv" in note
    assert "«© Мінрегіон»" in note


def test_a_clip_that_leaves_a_point_or_nested_collections_is_drawable() -> None:
    # clipping a neighbour that touches the view's corner leaves a point; collections may nest
    geoms = gpd.GeoSeries(
        [
            shapely.Point(1, 1),
            shapely.GeometryCollection([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)]),
            shapely.GeometryCollection([shapely.GeometryCollection([shapely.box(2, 2, 3, 3)])]),
        ],
        crs=schema.STORAGE_CRS,
    )
    payload = json.loads(webmap.VectorLayer(geoms, None, name="x", decimals=3, style_={}).payload)
    assert [f["t"] for f in payload["features"]] == ["L", "P", "P"]
    assert payload["features"][0]["g"] == []
    (ring,) = payload["features"][1]["g"][0]
    assert shapely.Polygon(_decode(ring, 1e3)).equals(shapely.box(0, 0, 1, 1))


def test_popup_gives_the_reserve_figure_with_its_category_and_source() -> None:
    figure = {
        "reserve_quantity": 0.353,
        "reserve_unit": "Mt",
        "reserve_measure": "LCE",
        "reserve_category": "potential <resources>",
        "reserve_as_of": "2025",
        "reserve_source_url": "https://ouci.dntb.gov.ua/works/4LY15rnv",
        "reserve_confidence": "medium",
    }
    popup = webmap.popup_html(_row(**figure), i18n.words("en"))
    assert "Reserve figure: 0.353 Mt LCE (potential &lt;resources&gt;, 2025; medium confidence)" in popup
    assert 'href="https://ouci.dntb.gov.ua/works/4LY15rnv"' in popup
    ukrainian = webmap.popup_html(_row(**figure), i18n.words("uk"))
    assert (
        "Запаси (опубліковано): 0,353 млн т екв. карбонату літію (potential &lt;resources&gt;, 2025; надійність: середня)"
        in ukrainian
    )
    unsafe = webmap.popup_html(_row(**{**figure, "reserve_source_url": "javascript:alert(1)"}), i18n.words("en"))
    assert "javascript:" not in unsafe
    assert "Reserve figure" not in webmap.popup_html(_row(reserve_quantity=float("nan")), i18n.words("en"))
    assert "Reserve figure" not in webmap.popup_html(_row(), i18n.words("en"))  # a record with no figure


def test_reserve_marker_sizes_put_area_in_proportion_to_tonnes_within_a_group_and_measure() -> None:
    deposits = pd.DataFrame(
        {
            "primary_commodity": ["lithium", "lithium", "lithium", "iron_ore", "titanium", "zirconium"],
            "reserve_measure": ["LCE", "LCE", None, "ore", "TiO2", "ZrO2"],
            "reserve_t": [4e6, 1e6, float("nan"), 1.0, 5.0, 500.0],
        },
        index=["a", "b", "c", "d", "e", "f"],
    )
    low, high = style.RESERVE_MARKER_SIZES
    sizes = webmap.reserve_marker_sizes(deposits)
    assert sizes["a"] == high
    assert sizes["b"] == round(low + (high - low) * 0.5)  # a quarter of the tonnes: half the diameter's span
    assert pd.isna(sizes["c"])
    assert sizes["d"] == high  # alone in its group
    assert sizes["e"] == sizes["f"] == high  # one group (titanium and zirconium), two measures: not compared


# --- issue 19: the time slider's steps, the base map's disk, the measure words ---------------------------------

DAILY = [f"2022-04-{d:02d}" for d in range(25, 31)] + ["2022-05-01", "2022-05-15", "2022-05-31", "2022-06-30"]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        # the last snapshot of each month; the newest (the map's own) always
        (["monthly"], ["2022-04-30", "2022-05-31", "2022-06-30"]),
        # every snapshot in the period, and the newest
        (["daily:2022-04-28:2022-05-01"], ["2022-04-28", "2022-04-29", "2022-04-30", "2022-05-01", "2022-06-30"]),
        # the rules add up; an open start
        (["monthly", "daily::2022-04-26"], ["2022-04-25", "2022-04-26", "2022-04-30", "2022-05-31", "2022-06-30"]),
        # ISO weeks: 2022-04-25..05-01 is week 17 (its last: 05-01), 05-15 week 19, 05-31 week 22, 06-30 week 26
        (["weekly"], ["2022-05-01", "2022-05-15", "2022-05-31", "2022-06-30"]),
        # every snapshot of the last 30 days before 2022-06-30 (05-31 is 30 days before)
        (["last:30"], ["2022-05-31", "2022-06-30"]),
    ],
)
def test_slider_rules_pick_the_steps(rules: list[str], expected: list[str]) -> None:
    steps = [webmap.parse_slider(rule) for rule in rules]
    assert webmap.slider_dates(DAILY, steps) == expected
    assert webmap.slider_dates(expected, steps) == expected  # picking again from the picked gives them back


@pytest.mark.parametrize(
    "bad",
    ["hourly", "daily:2022-13-01", "daily:2022-05-31:2022-04-01", "monthly:2022-01-01:2022-02-01:x", "last:", "last:0"],
)
def test_bad_slider_rules_are_refused_in_one_line(bad: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        webmap.parse_slider(bad)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(f"--slider {bad!r}")


def test_the_command_line_takes_slider_rules_and_refuses_bad_ones(
    tiny_layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from geo import cli  # noqa: PLC0415

    with pytest.raises(SystemExit) as stopped:
        cli.build_maps(["--layers", str(tiny_layers), "--out", str(tmp_path / "m"), "--slider", "daily:2022-05-31:x"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: argument --slider: --slider 'daily:2022-05-31:x': 'x' is not an ISO date")
    out = tmp_path / "maps"
    assert (
        cli.build_maps(["--layers", str(tiny_layers), "--out", str(out), "--slider", "daily:2025-02-01:2025-12-31"])
        == 0
    )
    html = (out / "overview.html").read_text(encoding="utf-8")
    # the tiny world's history: month-ends 2025-01-31 and 2025-02-28, the snapshot 2026-08-22; only February's is in
    assert '"dates": ["2025-02-28", "2026-08-22"]' in html


def test_monthly_steps_are_the_month_end_files_not_calendar_months() -> None:
    # Since 2025-08 the month-end files are dated by their publication, the 1st of the next month: July 2026's is
    # 2026-08-01, in the same calendar month as the snapshot 2026-08-22.  Dated snapshots lie between them.
    dates = ["2026-06-01", "2026-06-15", "2026-07-01", "2026-07-20", "2026-08-01", "2026-08-10", "2026-08-22"]
    month_ends = {"2026-06-01", "2026-07-01", "2026-08-01", "2026-08-22"}
    monthly = [webmap.parse_slider("monthly")]
    assert webmap.slider_dates(dates, monthly, month_ends=month_ends) == [
        "2026-06-01",
        "2026-07-01",
        "2026-08-01",
        "2026-08-22",
    ]
    between = [webmap.parse_slider("monthly:2026-06-02:2026-08-01")]
    assert webmap.slider_dates(dates, between, month_ends=month_ends) == ["2026-07-01", "2026-08-01", "2026-08-22"]
    # without month-end files: the last date of each calendar month
    assert webmap.slider_dates(dates, monthly) == ["2026-06-15", "2026-07-20", "2026-08-22"]


def test_a_slider_rule_that_picks_no_date_is_refused_with_the_historys_span() -> None:
    with pytest.raises(ArgumentError) as caught:
        webmap.check_slider(DAILY, [webmap.parse_slider("monthly"), webmap.parse_slider("daily:2030-01-01")])
    assert str(caught.value) == (
        "--slider 'daily:2030-01-01': no snapshot of the history is in that period "
        "(the history: 2022-04-25 to 2022-06-30, 10 dates)"
    )
    with pytest.raises(ArgumentError, match=r"^--slider 'monthly::2022-04-29': no month-end snapshot"):
        webmap.check_slider(DAILY, [webmap.parse_slider("monthly::2022-04-29")], month_ends={"2022-04-30"})
    webmap.check_slider(DAILY, [webmap.parse_slider("weekly:2022-05-02:2022-05-15"), webmap.parse_slider("last:1")])


def test_slider_dates_before_the_year_1000_are_iso_dates() -> None:
    assert webmap.parse_slider("daily:0999-01-01:0999-12-31") == webmap.SliderSteps("daily", "0999-01-01", "0999-12-31")
    with pytest.raises(ArgumentError, match="is not an ISO date"):
        webmap.parse_slider("daily:2022-02-29")  # not a leap year


@pytest.mark.parametrize(
    ("lang", "records", "metals"),
    [
        ("en", "Deposit records in this region", "Metals under Russian control, all of Ukraine"),
        ("uk", "Записи про родовища в цьому регіоні", "Метали під контролем Росії, уся Україна"),
    ],
)
def test_a_regional_panel_says_the_metals_figures_are_ukraines(
    gem_named: dict[str, object], lang: str, records: str, metals: str
) -> None:
    donetsk = next(spec for spec in catalogue.MAPS if spec.id == "donetsk")
    drawn = build.drawn_geometry(gem_named, [donetsk])
    page = build.render_map(donetsk, gem_named, drawn, words=i18n.words(lang)).decode("utf-8")
    panel = page[page.index('class="map-panel"') :]
    assert panel.index(records) < panel.index(f"<hr><b>{metals}</b>") < panel.index('<table class="bases">')


def test_the_base_map_is_a_disk_inside_its_data_not_a_box() -> None:
    # Natural Earth as shipped: lon 16-46, lat 40-57.  In Web Mercator the box is 30 degrees of longitude wide
    # (3,339,585 m) and y(57) - y(40) = 6,378,137 * (1.216705 - 0.762909) = 2,894,318 m high: the disk's radius is
    # half that, 1,447,159 m, or 13.0 degrees of longitude either side of lon 31.
    country = shapely.box(22, 45, 40, 52)
    disk, rings = webmap.base_disk((16.0, 40.0, 46.0, 57.0), country)
    west, south, east, north = shapely.bounds(disk)
    assert (west, east) == (pytest.approx(18.0, abs=0.01), pytest.approx(44.0, abs=0.01))
    # the box is wider than high (in Mercator): the disk touches its bottom and top, not its sides
    assert (south, north) == (pytest.approx(40.0, abs=1e-6), pytest.approx(57.0, abs=1e-6))
    assert shapely.box(16, 40, 46, 57).buffer(1e-9).contains(disk)
    assert len(rings) == 6
    assert not any(
        shapely.intersects(ring, shapely.box(22.5, 45.5, 39.5, 51.5)) for ring in rings
    )  # no fading in Ukraine


def test_reserve_measure_words_are_the_pages_language() -> None:
    figure = {
        "reserve_quantity": 12.5,
        "reserve_unit": "Mt",
        "reserve_measure": "ore",
        "reserve_category": "C1",
        "reserve_as_of": "2020",
        "reserve_confidence": "medium",
        "reserve_source_url": "https://example.org/r",
    }
    assert "Reserve figure: 12.5 Mt ore (C1" in webmap.popup_html(_row(**figure), i18n.words("en"))
    assert "Запаси (опубліковано): 12,5 млн т руда (C1" in webmap.popup_html(_row(**figure), i18n.words("uk"))
    lce = {**figure, "reserve_unit": "kt", "reserve_measure": "LCE"}
    assert "12,5 тис. т екв. карбонату літію" in webmap.popup_html(_row(**lce), i18n.words("uk"))
    for lang in i18n.LANGUAGES:  # every measure and unit the data may use has its word
        words = i18n.words(lang)
        assert all(f"measure.{m}" in words.messages for m in schema.RESERVE_MEASURES)
        assert all(f"reserve_unit.{u}" in words.messages for u in schema.RESERVE_UNITS)


def test_a_popup_names_a_record_by_the_maps_rule_and_gives_the_sources_spelling() -> None:
    gem = {"name_en": "Ilovayskaya Coal Mine", "name_uk": "Шахта Іловайська"}
    english = webmap.popup_html(_row(**gem), i18n.words("en"))
    assert "<b>Ilovaiska Coal Mine</b><br>Шахта Іловайська<br>In the source: Ilovayskaya Coal Mine<br>" in english
    ukrainian = webmap.popup_html(_row(**gem), i18n.words("uk"))
    assert "<b>Шахта Іловайська</b><br>Ilovayskaya Coal Mine<br>Сировина" in ukrainian  # the source's is the other
    assert "У джерелі" not in ukrainian
    # a name the rule keeps (an English translation) is not repeated as the source's
    kept = webmap.popup_html(_row(name_en="Red Partisan Coal Mine", name_uk="Червоний партизан"), i18n.words("en"))
    assert "<b>Red Partisan Coal Mine</b><br>Червоний партизан<br>Commodities" in kept
    assert "In the source" not in kept


@pytest.fixture(scope="module")
def gem_named(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rows = [
        *(dict(d) for d in DEPOSITS),
        deposit_row(id="GEM-ILO", name_en="Ilovayskaya Coal Mine", name_uk="Шахта Іловайська", lon="31.7"),
    ]
    layers = make_layers(tmp_path_factory.mktemp("gem") / "layers", deposits=rows)
    inputs = build.load(layers)
    return build.map_arguments(inputs, build.compute(inputs))


@pytest.mark.parametrize(("lang", "name"), [("en", "Ilovaiska Coal Mine"), ("uk", "Шахта Іловайська")])
def test_markers_labels_and_search_name_a_record_as_the_print_maps_do(
    gem_named: dict[str, Any], lang: str, name: str
) -> None:
    regions = gem_named["regions"]
    deposits = gem_named["deposits"]
    assert isinstance(regions, gpd.GeoDataFrame)
    assert isinstance(deposits, gpd.GeoDataFrame)
    words = i18n.words(lang)
    anchors = regions[regions["level"] == "oblast"].geometry.representative_point()
    records = webmap._deposit_records(
        deposits, anchors, "2026-08-22", words, webmap.region_names(regions, words), labelled=("coal",)
    )
    record = next(r for r in records if r["id"] == "GEM-ILO")
    assert (record["name"], record["title"], record["label"]) == (name, name, True)
    # the search finds the map's Latin name and the source's spellings in both languages, each once, on both maps
    assert sorted(record["search"]) == ["Ilovaiska Coal Mine", "Ilovayskaya Coal Mine", "Шахта Іловайська"]


# --- the scenario map -------------------------------------------------------------------------------------------


def _scenario_data(page: str) -> dict[str, Any]:
    """Return the scenario switcher's JSON data block (the one that carries the scenario ids)."""
    blocks = re.findall(r'<script type="application/json" id="([^"]+)_data">(.*?)</script>', page, flags=re.S)
    found = [json.loads(body) for _name, body in blocks if '"moved"' in body]
    assert len(found) == 1
    data: dict[str, Any] = found[0]
    return data


def _scenario_panels(page: str) -> dict[str, str]:
    """Return each scenario's panel markup by the id it is shown for (the panels follow one another in the box)."""
    found = re.findall(
        r'<div class="scenario-panel" data-scenario="([^"]*)"[^>]*>(.*?)</div>(?=<div class="scenario-panel"|</details></div>)',
        page,
        flags=re.S,
    )
    return dict(found)


@pytest.fixture(scope="module")
def tiny_scenarios(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The tiny world's scenario map, in English."""
    inputs = build.load(make_layers(tmp_path_factory.mktemp("scenarios") / "layers"))
    arguments = build.map_arguments(inputs, build.compute(inputs))
    specs = [spec for spec in catalogue.MAPS if spec.scenarios]
    return webmap.render_maps(**arguments, specs=specs)["scenarios.html"].decode("utf-8")


def test_the_scenario_switcher_lists_the_four_scenarios_in_order(tiny_scenarios: str) -> None:
    page = tiny_scenarios
    select = re.search(r'<select id="[^"]+_select">(.*?)</select>', page, flags=re.S)
    assert select is not None
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1))
    assert options == [
        ("frozen", " selected", "Scenario frozen"),
        ("mix", "", "Scenario mix"),
        ("back", "", "Scenario back"),
        ("band", "", "Scenario band"),
    ]
    assert re.search(r'<label class="map-scenarios-title" for="([^"]+)_select">Scenario</label>', page)
    assert _scenario_data(page)["ids"] == ["frozen", "mix", "back", "band"]
    assert list(_scenario_panels(page)) == ["frozen", "mix", "back", "band"]
    # only the first panel shows without script
    assert re.findall(r'<div class="scenario-panel" data-scenario="([^"]*)" hidden>', page) == ["mix", "back", "band"]


def test_the_scenario_data_has_what_changes_hands_under_each_scenario(tiny_scenarios: str) -> None:
    page = tiny_scenarios
    data = _scenario_data(page)
    moved = dict(zip(data["ids"], data["moved"], strict=True))
    # mix cedes Kirovohrad (lon 30-31): D3 (lon 30.5) and D4 (no site, in Kirovohrad) go from held to Russian
    assert moved["mix"] == ["D3", "D4"]
    # back returns Donetsk: D1, D2 and D6 (lon 31.6, 31.9, 31.3) go from occupied to held
    assert moved["back"] == ["D1", "D2", "D6"]
    assert moved["frozen"] == moved["band"] == []
    # the areas: frozen has only the Russian-controlled ground; mix all four kinds but returned (Zaporizhzhia,
    # lon 32-33, has nothing occupied); back nothing Russian, only returned ground; band a demilitarised band
    present = {
        sid: sorted(k for k, v in shapes.items() if v) for sid, shapes in zip(data["ids"], data["shapes"], strict=True)
    }
    assert present == {
        "frozen": ["russian"],
        "mix": ["ceded", "demilitarised", "russian"],
        "back": ["returned"],
        "band": ["demilitarised", "russian"],
    }
    assert data["dmz"] == [False, True, False, True]
    panels = _scenario_panels(page)
    assert "Lithium three: Held by Ukraine → Russian-controlled" in panels["mix"]
    assert "Unplaced four: Held by Ukraine → Russian-controlled" in panels["mix"]
    assert "Records that change hands: 2" in panels["mix"]
    assert "No record changes hands." in panels["frozen"]
    # Ukraine's Russian-controlled share: mix 7/12 (lon 30-31 and 31.25-32 of 30-33), back nothing
    assert re.search(r'<b class="scenario-russian-share">58\.3%</b>', panels["mix"])
    assert re.search(r'<b class="scenario-russian-share">0\.0%</b>', panels["back"])
    # the deal's list leaves out coal (and its kinds) and iron ore: one plain sentence
    # (the tiny deal lists lithium, tantalum and titanium)
    assert "Not on the deal&#x27;s list: coal thermal, iron ore and manganese." in panels["mix"]


EVIL_QUOTE = "</script><script>window.__pwned=3</script>{{ 7*7 }} `${x}`"
EVIL_URL = "https://example.org/plan?a=1&b={{7*7}}&c=`${x}`"


@pytest.fixture(scope="module")
def hostile_scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    layers = make_layers(tmp_path_factory.mktemp("hostile") / "layers")
    rows = [
        *SCENARIOS,
        scenario_row(
            "evil", "cede:UA35", name_en=EVIL, name_uk=EVIL, quote=EVIL_QUOTE, notes=EVIL, source_url=EVIL_URL
        ),
    ]
    path = layers / schema.SCENARIOS_FILE
    write_csv(path, list(schema.SCENARIO_REQUIRED), rows)
    write_sidecar(path)
    inputs = build.load(layers)
    arguments = build.map_arguments(inputs, build.compute(inputs))
    specs = [spec for spec in catalogue.MAPS if spec.scenarios]
    return {
        lang: webmap.render_maps(**arguments, specs=specs, words=i18n.words(lang))["scenarios.html"].decode("utf-8")
        for lang in ("en", "uk")
    }


@pytest.mark.parametrize("lang", ["en", "uk"])
def test_hostile_scenario_names_quotes_and_links_are_escaped(hostile_scenarios: dict[str, str], lang: str) -> None:
    page = hostile_scenarios[lang]
    assert "<img src=x" not in page
    assert "window.__pwned=3" not in page.replace("window.__pwned=3&lt;", "")  # only as escaped text
    assert "<script>window.__pwned" not in page
    assert "{{ 7*7 }}" not in page
    assert "`${x}`" not in page
    evil = "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;"
    assert f'<option value="evil">{evil}</option>' in page  # the switcher
    panel = _scenario_panels(page)["evil"]
    assert f'<b class="scenario-name">{evil}</b>' in panel
    quote = "&lt;/script&gt;&lt;script&gt;window.__pwned=3&lt;/script&gt;&#123;&#123; 7*7 &#125;&#125; &#96;&#36;&#123;x&#125;&#96;"
    assert f'<blockquote class="scenario-quote">{quote}</blockquote>' in panel
    href = "https://example.org/plan?a=1&amp;b=&#123;&#123;7*7&#125;&#125;&amp;c=&#96;&#36;&#123;x&#125;&#96;"
    assert f'<a href="{href}" target="_blank" rel="noopener noreferrer">' in panel
    assert f"</summary>{evil}</details>" in panel  # the notes, collapsed


def test_the_shipped_scenario_map_stays_under_a_megabyte(shipped_build: tuple[Path, dict[str, object]]) -> None:
    out, _summary = shipped_build
    for name in ("scenarios.html", "uk/scenarios.html"):
        page = (out / name).read_bytes()
        assert len(page) <= 1_000_000, (name, len(page))
        assert b'class="map-scenarios' in page, name


# --- the scenario panels: both shares, the band's depth, the translation, a drawn scenario, a dated line -----------


def test_the_scenario_panels_state_the_share_with_the_demilitarised_zone(tiny_scenarios: str) -> None:
    panels = _scenario_panels(tiny_scenarios)
    # mix: Russian 7/12 of lon 30–33, the demilitarised twelfth (lon 31–31.25) too: 8/12; band: a quarter plus
    # a 10 km × 111 km band (≈1,112 km² of 24,653 km², 4.5 %); frozen and back demilitarise nothing
    with_dmz = '<tr><td>With the demilitarised zone</td><td class="num"><b class="scenario-with-dmz-share">{}</b>'
    assert with_dmz.format("66.7%") in panels["mix"]
    assert with_dmz.format("29.5%") in panels["band"]
    assert "With the demilitarised zone" not in panels["frozen"] + panels["back"]
    # the zone is called what the plans make it: no troops of either side (not "neither side's" ground)
    assert "<tr><td>Demilitarised zone (no troops of either side)</td>" in panels["mix"]
    assert "neither side" not in tiny_scenarios
    assert "Demilitarised zone (no troops of either side)" in _scenario_data(tiny_scenarios)["names"]["demilitarised"]


def test_a_band_scenarios_panel_says_how_deep_the_band_is(tiny_scenarios: str) -> None:
    panels = _scenario_panels(tiny_scenarios)
    depth = "Demilitarised band: 10 km from the line (the depth is an assumption where reports differ; see notes)."
    assert f'<div class="scenario-dmz-depth">{depth}</div>' in panels["band"]  # band: dmz@10:UA14
    assert "scenario-dmz-depth" not in panels["mix"]  # mix demilitarises the whole held part: no depth


def test_the_deal_value_share_says_how_many_records_it_is_made_of(tiny_scenarios: str) -> None:
    panels = _scenario_panels(tiny_scenarios)
    # the deal's records: D3 (lithium, tantalum) and D5 (lithium) have reserve figures, D4 (titanium) none
    assert '<span class="scenario-deal-valued">(2 of 3 records valued)</span>' in panels["mix"]


def test_the_scenario_dmz_depth_is_said_in_the_page_language() -> None:
    words = i18n.words("uk")
    assert webmap.dmz_depth_text([12.5], words).startswith("Демілітаризована смуга: 12,5 км від лінії")
    assert webmap.dmz_depth_text([], words) == ""


@pytest.fixture(scope="module")
def translated_and_drawn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The scenario map with a translated quote (``mix``, hostile) and a scenario drawn by the user, in both languages."""
    root = tmp_path_factory.mktemp("drawn")
    layers = make_layers(root / "layers")
    rows = [dict(row, quote_en="") for row in SCENARIOS]
    rows[1].update(quote="Слова плану.", quote_en="The plan's <b>words</b> & {{ 7*7 }}")
    path = layers / schema.SCENARIOS_FILE
    write_csv(path, list(schema.SCENARIO_REQUIRED), rows)
    write_sidecar(path)
    drawn = root / "my_line.geojson"
    drawn.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[31, 48], [32, 48], [32, 49], [31, 49], [31, 48]]],
                        },
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    inputs = build.with_drawn_scenarios(build.load(layers), [drawn])
    arguments = build.map_arguments(inputs, build.compute(inputs))
    specs = [spec for spec in catalogue.MAPS if spec.scenarios]
    return {
        lang: webmap.render_maps(**arguments, specs=specs, words=i18n.words(lang))["scenarios.html"].decode("utf-8")
        for lang in ("en", "uk")
    }


@pytest.mark.parametrize(("lang", "label"), [("en", "Translation (ours)"), ("uk", "Переклад (наш)")])
def test_a_translated_quote_is_shown_beneath_it_escaped(
    translated_and_drawn: dict[str, str], lang: str, label: str
) -> None:
    panels = _scenario_panels(translated_and_drawn[lang])
    translation = "The plan&#x27;s &lt;b&gt;words&lt;/b&gt; &amp; &#123;&#123; 7*7 &#125;&#125;"
    assert (
        '<blockquote class="scenario-quote">Слова плану.</blockquote>'
        f'<div class="scenario-quote-en"><span class="scenario-quote-en-label">{label}:</span> {translation}</div>'
    ) in panels["mix"]
    assert "scenario-quote-en" not in panels["band"]  # an English quote: no translation


@pytest.mark.parametrize(("lang", "said"), [("en", "Drawn by the user (--scenario-file)"), ("uk", "Накреслено")])
def test_a_drawn_scenarios_panel_names_the_user_not_an_empty_source(
    translated_and_drawn: dict[str, str], lang: str, said: str
) -> None:
    panels = _scenario_panels(translated_and_drawn[lang])
    assert list(panels)[-1] == "my_line"
    panel = panels["my_line"]
    assert f'<span class="scenario-drawn">{said}' in panel
    assert "scenario-proposed" not in panel  # no "Proposed" with nothing after it
    assert "<a href" not in panel.split("scenario-line")[0]  # no link to a source it does not have
    assert "scenario-quote" not in panel  # no empty quote
    assert "scenario-proposed" in panels["mix"]


@pytest.fixture(scope="module")
def dated_scenarios(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The tiny world's scenario map starting from the line of 2025-01-31 (lon 31.5; the snapshot's is lon 31.25)."""
    inputs = build.load(make_layers(tmp_path_factory.mktemp("dated") / "layers"))
    arguments = build.map_arguments(inputs, build.compute(inputs, scenario_date="2025-01-31"))
    specs = [spec for spec in catalogue.MAPS if spec.scenarios]
    return webmap.render_maps(**arguments, specs=specs)["scenarios.html"].decode("utf-8")


def _dashed_line_lons(page: str) -> list[float]:
    """Every longitude of the dashed line the scenario map draws (the line the scenarios start from)."""
    blocks = dict(_DATA_BLOCK.findall(page))
    found = [
        block
        for block, paint in _VECTOR_CALL.findall(page)
        if json.loads(paint).get("dashArray") == style.TODAYS_LINE_DASH
    ]
    assert len(found) == 1
    data = json.loads(blocks[found[0]])
    rings: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, str):
            rings.append(item)
        elif isinstance(item, list):
            for part in item:
                walk(part)

    for feature in data["features"]:
        walk(feature["g"])
    return [lon for ring in rings for lon, _lat in _decode(ring, data["f"])]


def test_a_dated_scenario_map_draws_and_names_the_line_of_its_date(dated_scenarios: str, tiny_scenarios: str) -> None:
    page = dated_scenarios
    assert "Line of contact on 2025-01-31 (dashed)" in page
    assert "Today&#39;s line of contact" not in page
    assert "Today's line of contact" not in page
    # the occupied strip's two edges inside the country: lon 31.5 and 32 on 2025-01-31, lon 31.25 and 32 today
    assert sorted({round(lon, 2) for lon in _dashed_line_lons(page)}) == [31.5, 32.0]
    assert sorted({round(lon, 2) for lon in _dashed_line_lons(tiny_scenarios)}) == [31.25, 32.0]
    panels = _scenario_panels(page)
    assert '<th class="scenario-compared">On 2025-01-31 (frozen line)</th>' in panels["mix"]
    assert "Today (frozen line)" not in page
    assert "<tr><td>Ceded against the line of 2025-01-31</td>" in panels["mix"]
    # on the snapshot's own date the column and the line are today's
    assert '<th class="scenario-compared">Today (frozen line)</th>' in _scenario_panels(tiny_scenarios)["mix"]
    assert "Today&#39;s line of contact (2026-08-22, dashed)" in tiny_scenarios


# --- the sources' comparison: "occupied per one source only" and the popups ---------------------------------------


def _one_source_only(layers: Path, nzz_day: str | None) -> dict[str, str]:
    """Render the tiny world's overview (en, uk) with an NZZ snapshot of `nzz_day` (none: DeepState alone).

    The NZZ snapshot occupies lon 31.5–32.5 and leaves out the pre-2022 area (31.75–32), like the comparison test
    of tests/test_build.py: on the snapshot's day, DeepState alone shows 31.25–31.5, NZZ alone 32–32.5.
    """
    as_deepstate(layers)  # DeepState's line, in every world (as store_second_source makes it)
    if nzz_day is not None:
        store_second_source(layers, "nzz", nzz_day, shapely.box(31.5, 48, 32.5, 49), leaves_out=("pre2022",))
    inputs = build.load(layers)
    results = build.compute(inputs)
    results = dataclasses.replace(
        results, sources=build.compute_sources(inputs, results, build.list_second_sources(layers))
    )
    arguments = build.map_arguments(inputs, results)
    drawn = build.drawn_geometry(arguments)
    overview = catalogue.MAPS[0]
    return {
        lang: build.render_map(overview, arguments, drawn, words=i18n.words(lang)).decode("utf-8")
        for lang in ("en", "uk")
    }


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    root = tmp_path_factory.mktemp("sources")
    return {
        "alone": _one_source_only(make_layers(root / "alone"), None),
        "same_day": _one_source_only(make_layers(root / "same"), "2026-08-22"),
        "other_day": _one_source_only(make_layers(root / "other"), "2026-07-01"),
    }


def _layers_by_colour(page: str) -> dict[str, gpd.GeoSeries]:
    """The polygons of each vector layer drawn in a colour, decoded apart from the code under test."""
    blocks = dict(_DATA_BLOCK.findall(page))
    found = {}
    for block, paint in _VECTOR_CALL.findall(page):
        data = json.loads(blocks[block])
        shapes = [
            shapely.MultiPolygon([(_decode(p[0], data["f"]), [_decode(h, data["f"]) for h in p[1:]]) for p in f["g"]])
            for f in data["features"]
            if f["t"] == "P"
        ]
        colour = json.loads(paint).get("color")
        if colour is not None:
            found[colour] = gpd.GeoSeries(shapes, crs=schema.STORAGE_CRS)
    return found


def test_the_layer_of_one_source_only_draws_the_strips_worked_by_hand(compared: dict[str, dict[str, str]]) -> None:
    page = compared["same_day"]["en"]
    drawn = _layers_by_colour(page)
    deepstate, nzz = drawn["#2166ac"], drawn["#542788"]  # the colours of geo/style.py's SOURCE_ONLY_STYLE
    assert len(deepstate) == len(nzz) == 1
    assert deepstate.total_bounds == pytest.approx([31.25, 48, 31.5, 49], abs=0.005)  # DeepState only
    assert nzz.total_bounds == pytest.approx([32, 48, 32.5, 49], abs=0.005)  # NZZ only
    assert shapely.area(deepstate.iloc[0]) == pytest.approx(0.25, rel=0.01)  # square degrees
    assert shapely.area(nzz.iloc[0]) == pytest.approx(0.5, rel=0.01)
    name = "Occupied per one source only: DeepStateMap.Live or NZZ, data from Liveuamap (2026-08-22)"
    assert json.dumps(name) in page  # in the layer control
    legend = re.search(r'<div class="legend-section" data-layer="(\w+)">(Occupied per one source only.*?)</div>', page)
    assert legend is not None
    for words in ("occupied per DeepStateMap.Live only", "occupied per NZZ, data from Liveuamap only", "24 Feb 2022"):
        assert words in legend.group(2), words
    assert f"var {legend.group(1)} = L.featureGroup" in page
    assert f"{legend.group(1)}.addTo(" not in page  # off when the map opens
    uk = compared["same_day"]["uk"]
    assert "Окуповано лише за одним джерелом: DeepStateMap.Live або NZZ, data from Liveuamap (2026-08-22)" in uk
    assert "окуповано лише за NZZ, data from Liveuamap" in uk


def test_without_a_comparison_on_the_snapshot_day_the_page_is_unchanged(compared: dict[str, dict[str, str]]) -> None:
    for lang in ("en", "uk"):
        alone, other_day = compared["alone"][lang], compared["other_day"][lang]
        assert alone == other_day, lang  # an NZZ snapshot of a day DeepState has none of changes nothing
        for colour, _dash in style.SOURCE_ONLY_STYLE.values():
            assert colour not in alone
        assert "NZZ" not in alone
        assert "sources-differ" not in alone
        assert "panel-sources" not in alone


def _popup(page: str, deposit_id: str) -> str:
    records = json.loads(re.search(r"resourceExtras\(\w+, \{.*?\}, \{.*?\}, (\{.*\})\);", page).group(1))["records"]  # type: ignore[union-attr]
    return str(next(r["popup"] for r in records if r["id"] == deposit_id))


def test_a_popup_says_which_source_shows_the_deposit_occupied(compared: dict[str, dict[str, str]]) -> None:
    # D6 (lon 31.3) lies in the strip only DeepState shows occupied; D1 (31.6) both show; D3 (30.5) neither
    page, uk = compared["same_day"]["en"], compared["same_day"]["uk"]
    line = "Sources differ: occupied per DeepStateMap.Live, held per NZZ, data from Liveuamap (2026-08-22)"
    assert f'<span class="sources-differ">{line}</span>' in _popup(page, "D6")
    assert (
        "Джерела розходяться: окуповано — за DeepStateMap.Live, під контролем України — за NZZ, data from Liveuamap"
        in (_popup(uk, "D6"))
    )
    for other in ("D1", "D2", "D3"):
        assert "sources-differ" not in _popup(page, other), other
    assert "sources-differ" not in _popup(compared["alone"]["en"], "D6")


def _geodesic_km2(geom: shapely.Geometry) -> float:
    """Area of a lon/lat polygon on the WGS 84 ellipsoid (pyproj's Geod, edges densified): not the code under test."""
    area, _ = pyproj.Geod(ellps="WGS84").geometry_area_perimeter(shapely.segmentize(geom, 0.005))
    return abs(area) / 1e6


def _panel_sources(page: str) -> list[str]:
    return re.findall(r'<span class="panel-sources">(.*?)</span>', page)


def test_the_panel_states_what_the_sources_comparison_found_worked_by_hand(
    compared: dict[str, dict[str, str]],
) -> None:
    # Ukraine less the pre-2022 area (lon 31.75–32): DeepState alone shows 31.25–31.5 (one 0.25° strip), NZZ alone
    # 32–32.5 (two), both 31.5–31.75 (one): both ÷ either = 1 ÷ 4.  D6 (lon 31.3) lies in DeepState's strip alone.
    strip = _geodesic_km2(shapely.box(31.25, 48, 31.5, 49))
    en = re.escape(
        "Per NZZ, data from Liveuamap (2026-08-22): 25.0% of the ground either shows occupied is shown by both "
        "(Ukraine less the area held before 24 Feb 2022); only DeepStateMap.Live: @ km², only NZZ, data from Liveuamap: "
        "@ km²; deposit records they disagree on: Deposit six"
    ).replace("@", "([0-9,]+)")
    uk = re.escape(
        "За NZZ, data from Liveuamap (2026-08-22): 25,0\u00a0% території, яку окупованою показує хоча б одне з "
        "джерел, показують обидва (Україна без території, окупованої до 24 лютого 2022 року); лише за DeepStateMap.Live: "
        "@ км², лише за NZZ, data from Liveuamap: @ км²; записи про родовища, щодо яких вони розходяться: "
        "Родовище один"  # D6's Ukrainian name (the tiny world's default)
    ).replace("@", "([0-9\u00a0]+)")
    for lang, pattern, mark in (("en", en, ","), ("uk", uk, "\u00a0")):
        lines = _panel_sources(compared["same_day"][lang])
        assert len(lines) == 1, lang
        found = re.fullmatch(pattern, lines[0])
        assert found is not None, (lang, lines[0])
        a_only, b_only = (float(n.replace(mark, "")) for n in found.groups())
        assert a_only == pytest.approx(strip, abs=1)
        assert b_only == pytest.approx(2 * strip, abs=1)
        assert all(len(n) == 5 and n[1] == mark for n in found.groups())  # 2,054 and 4,109: thousands marked
    assert not _panel_sources(compared["other_day"]["en"])


def _view(deposit_ids: list[str], credits: dict[str, str] | None = None) -> webmap.SourcesView:
    """A comparison of DeepState with NZZ on 2026-08-22 that disagrees on `deposit_ids` (figures made up)."""
    return webmap.SourcesView(
        date="2026-08-22",
        own="deepstate",
        shapes=gpd.GeoDataFrame(
            {"source_b": ["nzz"], "only": ["nzz"]}, geometry=[shapely.box(32, 48, 32.5, 49)], crs=schema.STORAGE_CRS
        ),
        credits=credits or {"deepstate": "DeepStateMap.Live", "nzz": "NZZ"},
        footprints={"nzz": "ukraine"},
        deposits=pd.DataFrame(
            [{"deposit_id": d, "source_b": "nzz", "control_a": "occupied", "control_b": "held"} for d in deposit_ids],
            columns=["deposit_id", "source_b", "control_a", "control_b"],
        ),
        ukraine=pd.DataFrame([{"source_b": "nzz", "a_only_km2": 1267.4, "b_only_km2": 12345.5, "agreement": 0.95149}]),
    )


def test_the_panel_names_five_records_the_sources_disagree_on_then_how_many_more() -> None:
    names = {f"D{n}": f"Name {n}" for n in range(1, 8)}
    en, uk = i18n.words("en"), i18n.words("uk")
    start = "Per NZZ (2026-08-22): 95.1% of the ground either shows occupied is shown by both (all of Ukraine); "
    assert _view([]).panel_lines(en, names) == [
        start + "only DeepStateMap.Live: 1,267 km², only NZZ: 12,346 km²; deposit records they disagree on: none"
    ]
    assert (
        _view([f"D{n}" for n in range(1, 6)])
        .panel_lines(en, names)[0]
        .endswith("disagree on: Name 1, Name 2, Name 3, Name 4, Name 5")
    )
    seven = _view([f"D{n}" for n in range(1, 8)])
    assert seven.panel_lines(en, names)[0].endswith("disagree on: Name 1, Name 2, Name 3, Name 4, Name 5 and 2 more")
    assert seven.panel_lines(uk, names) == [
        "За NZZ (2026-08-22): 95,1\u00a0% території, яку окупованою показує хоча б одне з джерел, показують обидва "
        "(уся Україна); лише за DeepStateMap.Live: 1\u00a0267 км², лише за NZZ: 12\u00a0346 км²; записи про "
        "родовища, щодо яких вони розходяться: Name 1, Name 2, Name 3, Name 4, Name 5 і ще 2"
    ]
    assert _view(["D9"]).panel_lines(en, names)[0].endswith("disagree on: D9")  # no name known: its id


def test_hostile_source_credits_are_inert(tiny_layers: Path) -> None:
    inputs = build.load(tiny_layers)
    results = build.compute(inputs)
    view = webmap.SourcesView(
        date="2026-08-22",
        own="deepstate",
        shapes=gpd.GeoDataFrame(
            {"source_b": ["nzz"], "only": ["nzz"]}, geometry=[shapely.box(32, 48, 32.5, 49)], crs=schema.STORAGE_CRS
        ),
        credits={"deepstate": EVIL, "nzz": "{{ 7*7 }} `${x}` \u202e"},
        footprints={"nzz": "ukraine"},
        deposits=pd.DataFrame([{"deposit_id": "D6", "source_b": "nzz", "control_a": "occupied", "control_b": "held"}]),
        ukraine=pd.DataFrame([{"source_b": "nzz", "a_only_km2": 1.0, "b_only_km2": 2.0, "agreement": 0.5}]),
    )
    arguments = {**build.map_arguments(inputs, results), "sources_view": view}
    deposits = arguments["deposits"].copy()
    deposits.loc["D6", ["name_en", "name_uk"]] = ["<script>alert(1)</script>{% if 1 %}", "<script>alert(2)</script>"]
    arguments["deposits"] = deposits
    page = webmap.render_maps(**arguments, specs=catalogue.MAPS[:1])["overview.html"].decode("utf-8")
    assert "<img src=x" not in page
    assert "{{ 7*7 }}" not in page
    assert "${x}" not in page
    assert "\u202e" not in page
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in page  # in the legend and the layer control
    assert htmlsafe_json_dumps("held per &#123;&#123; 7*7 &#125;&#125; &#96;&#36;&#123;x&#125;&#96;")[1:-1] in page
    (line,) = _panel_sources(page)  # the panel's line names both credits and D6, all of it escaped
    assert line.startswith("Per &#123;&#123; 7*7 &#125;&#125; &#96;&#36;&#123;x&#125;&#96;  (2026-08-22): 50.0%")
    assert "only &lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;: 1 km²" in line
    assert line.endswith("disagree on: &lt;script&gt;alert(1)&lt;/script&gt;&#123;% if 1 %&#125;")
    assert "<script>alert" not in page
    assert "{% if 1 %}" not in page
