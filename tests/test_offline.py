"""Self-contained pages: vendored assets inlined, unknown external URLs refused."""

from __future__ import annotations

import pytest

from geo import offline
from geo.errors import AssetError


def test_inline_assets_embeds_scripts_styles_and_images() -> None:
    page = (
        f'<html><head><script src="{offline.LEAFLET_JS}"></script>'
        f'<link rel="stylesheet" href="{offline.LEAFLET_CSS}"/></head><body></body></html>'
    )
    out = offline.inline_assets(page)
    assert offline.LEAFLET_JS not in out
    assert "asset:" not in out
    assert "window.L" in out  # Leaflet's code
    assert "url(images/" not in out
    assert "url(data:image/png;base64," in out
    assert "sourceMappingURL" not in out
    assert offline.external_urls(out) == []


@pytest.mark.parametrize(
    "page",
    [
        '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>',
        '<link rel="stylesheet" href="https://example.org/x.css"/>',
        '<img src="//example.org/pixel.gif">',
        "<style>body { background: url(https://example.org/bg.png) }</style>",
        '<style>@import "https://example.org/fonts.css";</style>',
        '<div style="background-image:url(&quot;https://example.org/bg.png&quot;)">x</div>',
        "<style>body { background: URL(https://example.org/bg.png) }</style>",
        '<script src="https://tile.openstreetmap.org/x.js"></script>',  # the tile server, but not for tiles
        '<script>L.tileLayer("https://tiles.example.org/{z}/{x}/{y}.png").addTo(map)</script>',
    ],
)
def test_unknown_external_resources_fail_the_build(page: str) -> None:
    with pytest.raises(AssetError, match="the page would load external resources: "):
        offline.inline_assets(page)


def test_text_that_reads_like_css_loads_nothing() -> None:
    # a source name in a panel: text between tags, not a stylesheet
    page = "<div>Report (see url(https://example.org/r.pdf)); notes @import https://x.org</div>"
    assert offline.external_urls(page) == []


def test_links_and_the_optional_tile_layer_are_allowed() -> None:
    page = (
        '<a href="https://www.gem.wiki/X">source</a>'
        '<script>var popup = "<a href=\\"https://example.org\\">x</a>";'
        'L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png")</script>'
    )
    assert offline.inline_assets(page) == page


def test_unvendored_asset_is_refused() -> None:
    with pytest.raises(AssetError, match=r"unknown asset asset:nothing/here.js: no file nothing/here.js"):
        offline.inline_assets('<script src="asset:nothing/here.js"></script>')
    with pytest.raises(AssetError, match="unknown asset"):
        offline.inline_assets('<script src="asset:../../errors.py"></script>')
