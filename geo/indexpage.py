"""The build's index, ``index.html``: every output of one build on one offline page, one page per language.

`render_index` gets plain data: the maps (`MapEntry`: title, subtitle, print sets) in the page's language, every
output the build wrote (name → bytes: what exists is what is listed, and the print PNGs give the thumbnails), the
credits line and the languages built.  It lists each map with a thumbnail of its print PNG, its snapshot date and
occupied share, links to its HTML page, print files and animations (those in `files`), and an embed snippet; then
the charts, tables (with what each and each of its columns holds: `geo.schema.TABLE_COLUMNS`' words), the QGIS
files and any other file, so that every output of the page's language is linked.  The page is made from the
template ``geo/web/templates/index.html`` (autoescaped as every fragment is: `geo.webmap.fragment`), its style
``geo/web/index.css`` inlined and external URLs refused (`geo.offline.inline_assets`, as for the maps); it has no
script and works from ``file://`` with no request, under a Content-Security-Policy as the maps' but stricter
(`CONTENT_SECURITY_POLICY`).

English's index is ``index.html``; another language's goes with its maps (``uk/index.html``), linking the
language-neutral files (tables, QGIS, ``summary.json``) above it; the indexes link each other.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import quote

from markupsafe import Markup
from PIL import Image

from geo import i18n, offline, schema, webmap

INDEX_HTML: Final = "index.html"
#: Each language's name in itself, on the links between the indexes (the same words in every catalogue).
LANGUAGE_NAMES: Final = {"en": "English", "uk": "Українська"}
#: The thumbnails: this many pixels wide (the print PNG's aspect kept), WebP at this quality, inlined as data: URIs.
THUMBNAIL_WIDTH: Final = 480
THUMBNAIL_QUALITY: Final = 75
#: The language-neutral outputs, written once at the top of the folder (every language's index lists them).
TABLES: Final = (*schema.TABLE_COLUMNS, schema.SUMMARY_JSON)
QGIS_FILES: Final = (schema.GPKG_FILE, schema.QGZ_FILE)
CHARTS: Final = (schema.CHART_SHARE_PNG, schema.CHART_DEPOSITS_PNG, schema.CHART_SOURCES_PNG)
#: What the browser lets the index load: as the maps' `geo.offline.CONTENT_SECURITY_POLICY`, but no script at all (the
#: page has none) and no tiles; only its inline style and the data: thumbnails.
CONTENT_SECURITY_POLICY: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
#: The embed snippet's frame height, in CSS pixels (its width fills the column it is pasted into).
EMBED_HEIGHT_PX: Final = 560


@dataclass(frozen=True)
class PrintSet:
    """One set of static maps: ``print/<stem>.png`` and the other `geo.schema.PRINT_FILES`; `label` names it."""

    stem: str
    label: str = ""  # "" for a map's own set; a scenario's name for each of the scenarios map's sets


@dataclass(frozen=True)
class MapEntry:
    """One map, in the page's language: ``<id>.html``, its title, its subtitle (date and share), its print sets."""

    id: str
    title: str
    subtitle: str
    print_sets: tuple[PrintSet, ...]
    #: (figure size, format, path) of each animation it may have (``--animate``: `geo.build.animation_path`)
    animations: tuple[tuple[str, str, str], ...] = ()


def thumbnail(png: bytes, width: int = THUMBNAIL_WIDTH) -> bytes:
    """Return a print PNG made small: `width` pixels wide, its aspect kept, on white, as WebP (the same bytes each time)."""
    with Image.open(io.BytesIO(png)) as image:
        rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    height = max(1, round(width * flat.height / flat.width))
    small = flat.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, "WEBP", quality=THUMBNAIL_QUALITY, method=6)
    return out.getvalue()


def _pixels(image: bytes) -> tuple[int, int]:
    """Return an image's width and height in pixels."""
    with Image.open(io.BytesIO(image)) as opened:
        return opened.size


def _size(words: i18n.Words, count: int) -> str:
    """Write a file size: ``12 kB``, ``1.2 MB`` (in the language's digits)."""
    if count < 1_000_000:
        return words("index.size.kb", size=words.number(max(1, round(count / 1000))))
    return words("index.size.mb", size=words.number(count / 1_000_000, 1))


def _prose(text: str) -> list[dict[str, Any]]:
    """Split a catalogue text into pieces, the `` `code` `` ones marked (shown as code, as the README shows them)."""
    return [{"text": piece, "code": k % 2 == 1} for k, piece in enumerate(text.split("`")) if piece]


def _href(name: str) -> str:
    """Return a file's name as a relative URL (each character a URL gives a meaning to, percent-encoded)."""
    return quote(name, safe="/")


def embed_snippet(file: str, title: str) -> str:
    """Return the HTML that embeds the map `file` (a relative URL) titled `title`, in embed mode (``#embed``)."""
    # in double quotes: & < > and " escaped (an apostrophe, as in "Ukraine's", stays as it is)
    src = html.escape(_href(file) + "#embed", quote=False).replace('"', "&quot;")
    name = html.escape(i18n.without_bidi(" ".join(title.split())), quote=False).replace('"', "&quot;")
    return (
        f'<iframe src="{src}" title="{name}" style="width:100%;height:{EMBED_HEIGHT_PX}px;border:0" '
        'loading="lazy" allow="fullscreen"></iframe>'
    )


def render_index(
    maps: Sequence[MapEntry],
    files: Mapping[str, bytes],
    *,
    words: i18n.Words,
    credits: str,
    later: Collection[str] = (),
    indexes: Mapping[str, str] = MappingProxyType({i18n.DEFAULT_LANGUAGE: INDEX_HTML}),
) -> bytes:
    """Render the index of the language of `words`: every output in `files` of that language, and the shared ones.

    Parameters
    ----------
    maps
        The maps, in the page's language, in the order shown.
    files
        Every output of the build (its path in the output folder → bytes), the indexes aside.
    credits
        The credits line (`geo.style.credits_line`), shown at the foot.
    later
        Outputs made after the indexes (``summary.json``, which lists them): listed too, without their size.
    indexes
        Each language built → where its index goes (``index.html``, ``uk/index.html``: `geo.build.language_path`);
        the outputs of a language are those in its index's folder, and each index links the others.
    """
    lang = words.lang
    folder = indexes[lang].removesuffix(INDEX_HTML)
    others = tuple(path.removesuffix(INDEX_HTML) for path in indexes.values() if path.removesuffix(INDEX_HTML))

    def mine(name: str) -> bool:
        """Tell whether `name` is an output of this page's language (in its folder; the top one's: in no other)."""
        return name.startswith(folder) if folder else not name.startswith(others)

    def here(name: str) -> str:
        """Return the relative URL of output `name` from this page's folder."""
        inside = bool(folder) and name.startswith(folder)
        return _href(name[len(folder) :] if inside else "../" * folder.count("/") + name)

    listed: set[str] = set()

    def link(name: str, label: str, *, about: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
        listed.add(name)
        data = files.get(name)
        return {
            "href": here(name),
            "label": label,
            "about": about,
            "size": "" if data is None else _size(words, len(data)),
        }

    def own(name: str) -> str:
        return f"{folder}{name}"

    cards = []
    for entry in maps:
        page = own(f"{entry.id}.html")
        if page not in files:
            continue
        sets = []
        thumb = None
        for print_set in entry.print_sets:
            items = []
            for kind, suffix in schema.PRINT_FILES.items():
                name = own(f"{schema.PRINT_DIR}/{print_set.stem}{suffix}")
                if name not in files:
                    continue
                width, height = _pixels(files[name]) if suffix.endswith(".png") else ("", "")
                label = words(f"index.print.{kind}", width=width, height=height)
                items.append(link(name, label))
                if kind == "web" and thumb is None:
                    small = thumbnail(files[name])
                    width, height = _pixels(small)
                    thumb = {
                        "src": f"data:image/webp;base64,{base64.b64encode(small).decode('ascii')}",
                        "alt": words("index.thumbnail", title=" — ".join(filter(None, (entry.title, print_set.label)))),
                        "width": width,
                        "height": height,
                    }
            if items:
                sets.append({"label": print_set.label, "files": items})
        animations = [
            link(path, words(f"index.animation.{layout}.{kind}"))
            for layout, kind, path in entry.animations
            if path in files
        ]
        cards.append(
            {
                "title": entry.title,
                "subtitle": entry.subtitle,
                "page": link(page, words("index.open_map")),
                "thumbnail": thumb,
                "print_sets": sets,
                "animations": animations,
                "embed": embed_snippet(page[len(folder) :], entry.title),
            }
        )

    def about(name: str) -> list[dict[str, Any]]:
        return _prose(words(f"index.about.{name}"))

    charts = [link(own(name), name, about=about(name)) for name in CHARTS if own(name) in files]
    tables = []
    for name in TABLES:
        if name not in files and name not in later:
            continue
        columns = [schema.COLUMNS[column] for column in schema.TABLE_COLUMNS.get(name, ())]
        table = link(name, name, about=about(name))
        # what each column holds, where the catalogue says it (the README's column tables: `geo.tables.columns_markdown`)
        table["columns"] = [
            {"name": column.name, "about": _prose(words.messages.get(column.about_key(name), ""))} for column in columns
        ]
        tables.append(table)
    qgis = [link(name, name, about=about(name)) for name in QGIS_FILES if name in files]
    rest = [link(name, name) for name in sorted(files) if name not in listed and mine(name)]
    languages = [
        {"href": here(path), "lang": other, "label": LANGUAGE_NAMES[other]}
        for other, path in indexes.items()
        if other != lang
    ]
    markup = webmap.fragment(
        "index.html",
        words=words,
        lang=lang,
        csp=Markup(CONTENT_SECURITY_POLICY),
        cards=cards,
        charts=charts,
        tables=tables,
        qgis=qgis,
        rest=rest,
        languages=languages,
        credits=words("credits", credits=credits),
    )
    return offline.inline_assets(f"<!DOCTYPE html>\n{markup}\n").encode("utf-8")
