"""Make an HTML page self-contained: inline vendored assets, refuse unknown external URLs.

Pages refer to vendored files (``geo/vendor/``) with ``asset:`` URLs, e.g.
``asset:leaflet-1.9.4/leaflet.js``, and to the project's own page code
(``geo/web/``) with ``web:`` URLs, e.g. ``web:map.js``.  `inline_assets` replaces each such
``<script src>`` and stylesheet ``<link>`` with the file's content (CSS
``url(…)`` references become ``data:`` URIs), then `external_urls` scans what
a browser would load by itself — tags with ``src``/``href`` (other than
links ``<a>``), CSS ``url()`` and ``@import``, and ``L.tileLayer`` templates —
and any URL other than ``data:`` fails the build, but for tile-layer templates in `ALLOWED_EXTERNAL`.
The check reads markup with patterns, not a browser's parser; every page also
carries `CONTENT_SECURITY_POLICY`, so that the browser refuses what the check
might miss.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from html import unescape
from pathlib import Path
from typing import Final

from geo.errors import AssetError

VENDOR_DIR: Final = Path(__file__).resolve().parent / "vendor"
WEB_DIR: Final = Path(__file__).resolve().parent / "web"
ASSET_SCHEME: Final = "asset:"
WEB_SCHEME: Final = "web:"
#: External URLs a page may name without loading them: the optional online tile
#: layer, off by default (tiles are fetched only if the reader picks it).
ALLOWED_EXTERNAL: Final = ("https://tile.openstreetmap.org/",)
#: What the browser itself lets a page load (a <meta> in every page): inline code and styles, data: URIs, and
#: the optional tiles; anything else a page might name (a folium upgrade, say) is refused by the browser too.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; font-src data:; "
    "img-src data: " + " ".join(url.rstrip("/") for url in ALLOWED_EXTERNAL)
)

LEAFLET_JS: Final = "asset:leaflet-1.9.4/leaflet.js"
LEAFLET_CSS: Final = "asset:leaflet-1.9.4/leaflet.css"
MARKERCLUSTER_JS: Final = "asset:leaflet.markercluster-1.5.3/leaflet.markercluster.js"
MARKERCLUSTER_CSS: Final = "asset:leaflet.markercluster-1.5.3/MarkerCluster.css"
MARKERCLUSTER_DEFAULT_CSS: Final = "asset:leaflet.markercluster-1.5.3/MarkerCluster.Default.css"
MAP_JS: Final = "web:map.js"
TABLEVIEW_JS: Final = "web:tableview.js"
PERMALINK_JS: Final = "web:permalink.js"
DOWNLOAD_JS: Final = "web:download.js"
SLIDER_JS: Final = "web:slider.js"
MAP_CSS: Final = "web:map.css"

_SCRIPT_TAG = re.compile(r'<script\s+src="(?P<url>[^"]+)"\s*>\s*</script>')
_LINK_TAG = re.compile(r'<link\s+rel="stylesheet"\s+href="(?P<url>[^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\(\s*['\"]?(?P<url>[^'\")]+)['\"]?\s*\)", re.IGNORECASE)
_SOURCE_MAP = re.compile(r"^\s*/[/*]# sourceMappingURL=.*$", re.MULTILINE)
_LOADING_TAG = re.compile(
    r"<(?P<tag>script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?\b(?:src|href|data)\s*=\s*[\"'](?P<url>[^\"']+)[\"']",
    re.IGNORECASE,
)
_IMPORT = re.compile(r"@import\s+(?:url\()?\s*['\"]?(?P<url>[^'\")\s;]+)", re.IGNORECASE)
_SCRIPT_BLOCK = re.compile(r"(<script\b[^>]*>.*?</script>)", re.DOTALL | re.IGNORECASE)
_TILE_LAYER = re.compile(r"L\.tileLayer\(\s*\"(?P<url>[^\"]+)\"")
#: Where markup holds CSS: <style> blocks and style="…" attributes (text between tags is only text).
_CSS_PLACES = re.compile(
    r"<style\b[^>]*>(?P<block>.*?)</style>|\bstyle\s*=\s*(?P<q>[\"'])(?P<attr>.*?)(?P=q)", re.DOTALL | re.IGNORECASE
)


def _local(url: str) -> bool:
    return url.startswith((ASSET_SCHEME, WEB_SCHEME))


def _vendored(url: str) -> Path:
    root, rel = (
        (WEB_DIR, url.removeprefix(WEB_SCHEME))
        if url.startswith(WEB_SCHEME)
        else (VENDOR_DIR, url.removeprefix(ASSET_SCHEME))
    )
    path = (root / rel).resolve()
    if root not in path.parents or not path.is_file():
        msg = f"unknown asset {url}: no file {rel} in {root}; vendor it (see geo/vendor/README.md)"
        raise AssetError(msg)
    return path


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(path: Path) -> str:
    css = path.read_text(encoding="utf-8")

    def embed(match: re.Match[str]) -> str:
        url = match.group("url")
        if url.startswith(("data:", "#")):
            return match.group(0)
        target = (path.parent / url).resolve()
        if path.parent not in target.parents or not target.is_file():
            msg = f"{path}: url({url}) names no vendored file; vendor it or drop the rule"
            raise AssetError(msg)
        return f"url({_data_uri(target)})"

    return _CSS_URL.sub(embed, _SOURCE_MAP.sub("", css))


def _script(path: Path) -> str:
    code = _SOURCE_MAP.sub("", path.read_text(encoding="utf-8"))
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)


def inline_assets(html: str) -> str:
    """Replace every ``asset:`` script and stylesheet reference with the file's content.

    Raises
    ------
    geo.errors.AssetError
        If a referenced asset is not vendored, or the page still names an
        external resource that is not in `ALLOWED_EXTERNAL`.
    """

    def script(match: re.Match[str]) -> str:
        url = match.group("url")
        if not _local(url):
            return match.group(0)
        return f"<script>{_script(_vendored(url))}</script>"

    def style(match: re.Match[str]) -> str:
        url = match.group("url")
        if not _local(url):
            return match.group(0)
        return f"<style>{_inline_css(_vendored(url))}</style>"

    page = _LINK_TAG.sub(style, _SCRIPT_TAG.sub(script, html))
    unknown = external_urls(page)
    if unknown:
        shown = ", ".join(sorted(set(unknown))[:10])
        msg = f"the page would load external resources: {shown}; vendor them in geo/vendor and refer to them as asset:…"
        raise AssetError(msg)
    return page


def external_urls(html: str) -> list[str]:
    """List the URLs a browser would fetch on its own when opening `html` (not ``data:``).

    Markup is scanned for loading tags, and its CSS (``<style>`` blocks and
    ``style`` attributes) for ``url()`` and ``@import``: text between tags that
    merely reads like CSS loads nothing; inside scripts only the opening tag's ``src`` and
    ``L.tileLayer`` templates count (script text also holds popup links and
    library code that merely mentions URLs).
    """
    found: list[str] = []
    for piece in _SCRIPT_BLOCK.split(html):
        if _SCRIPT_BLOCK.fullmatch(piece):
            opening = piece[: piece.index(">") + 1]
            found += [m.group("url") for m in _LOADING_TAG.finditer(opening)]
            tiles = [m.group("url") for m in _TILE_LAYER.finditer(piece)]
            found += [url for url in tiles if not url.startswith(ALLOWED_EXTERNAL)]  # the one allowed use
        else:
            found += [m.group("url") for m in _LOADING_TAG.finditer(piece)]
            for place in _CSS_PLACES.finditer(piece):
                css = unescape(place.group("block") or place.group("attr") or "")
                found += [m.group("url") for m in _CSS_URL.finditer(css)]
                found += [m.group("url") for m in _IMPORT.finditer(css)]
    return [url for url in found if not url.startswith(("data:", "#"))]
