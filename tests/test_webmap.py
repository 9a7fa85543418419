"""HTML maps: escaping, layers, panel and credits."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from jinja2.utils import htmlsafe_json_dumps
from shapely.geometry import Polygon

from geo import build, schema, webmap
from tests.conftest import DEPOSITS, deposit_row, make_layers

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
    popup = webmap.popup_html(_row())
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
    popup = webmap.popup_html(_row(name_en=EVIL, source_url="javascript:alert(1)", source_name="`${x}`"))
    assert "<img" not in popup
    assert "javascript:" not in popup
    assert "`" not in popup
    assert "${" not in popup


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    rows = [dict(d) for d in DEPOSITS] + [deposit_row(id="EVIL-1", name_en=EVIL, lon="30.7", oblast="Kirovohrad")]
    layers = make_layers(tmp_path_factory.mktemp("w") / "layers", deposits=rows)
    inputs = build.load(layers)
    results = build.compute(inputs)
    return webmap.render_maps(**build.map_arguments(inputs, results))


def test_every_map_is_rendered(rendered: dict[str, bytes]) -> None:
    assert sorted(rendered) == sorted(schema.MAP_FILES.values())


def test_maps_carry_credits_layers_and_the_published_figure(rendered: dict[str, bytes]) -> None:
    for name, data in rendered.items():
        page = data.decode("utf-8")
        for credit in ("«© Мінрегіон»", "OpenStreetMap", "Global Energy Monitor", "ICMM", "DeepStateMap.Live"):
            assert json.dumps(credit)[1:-1] in page, (name, credit)  # inside the script, JSON-escaped
        for layer in ("Occupied since 24 Feb 2022", "Occupied before 24 Feb 2022", "Line of contact", "Lithium sites"):
            assert layer in page, (name, layer)
        assert "F01: <b>40%</b>" in page, name
        assert "This project: <b>" in page, name


def test_no_data_string_reaches_the_page_unescaped(rendered: dict[str, bytes]) -> None:
    for name, data in rendered.items():
        page = data.decode("utf-8")
        assert "<img src=x" not in page, name
        # the popup and tooltip carry the HTML-escaped name, JSON-encoded inside the script
        assert htmlsafe_json_dumps("&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;")[1:-1] in page, name


def test_focus_maps_frame_their_region(rendered: dict[str, bytes], tmp_path: Path) -> None:
    page = rendered[schema.MAP_FILES[schema.POKROVSK_RAION_ID]].decode("utf-8")
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


def test_simplify_for_web_states_its_error() -> None:
    # A 1 km bump on a 74 km edge survives a 500 m tolerance and vanishes at 2 km.
    bump = Polygon([(30, 48), (30.5, 48.009), (31, 48), (31, 49), (30, 49)])
    series = gpd.GeoSeries([bump], crs=schema.STORAGE_CRS)
    kept = shapely.get_coordinates(webmap.simplify_for_web(series, tolerance_m=500, decimals=5).to_numpy())
    gone = shapely.get_coordinates(webmap.simplify_for_web(series, tolerance_m=2000, decimals=5).to_numpy())
    assert len(kept) == 6
    assert len(gone) == 5
    assert (30.5, 48.009) in [tuple(round(float(c), 5) for c in xy) for xy in kept]
