"""The static maps' page: figure sizes, text as it is measured and wrapped, and the title, subtitle and credits.

Part of the static maps (`geo.printmap`).  Text from data is drawn as one line
of printable characters (`clean_text`: `geo.i18n.xml_text` first, as every
writer of XML does: the SVG is XML), each one DejaVu Sans can draw; it is
measured from the font's glyph advances (`text_width_pt`), so that wrapping
needs no renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import pandas as pd

from geo import catalogue, i18n, plot, style
from geo.catalogue import MapRecord
from geo.i18n import Words
from geo.sources import CREDIT_MAX_CHARS


@dataclass(frozen=True)
class Layout:
    """One figure size: the page (inches), its fonts (points) and where the legend and the locator go."""

    width_in: float
    height_in: float
    dpi: float  # of the PNG, and of every measurement of text
    panel: str  # "right": legend and locator beside the map; "bottom": legend under it, locator inset
    panel_in: float  # the panel's width (right) or its largest height (bottom)
    margin_in: float
    title_pt: float
    subtitle_pt: float
    legend_pt: float
    label_pt: float
    credits_pt: float
    symbol_scale: float  # markers and line widths, relative to the web figure
    legend_columns: int = 1
    locator_in: float = 0.0  # the inset locator's width (bottom panel)


#: The figures, by name; `FILE_LAYOUT` says which files each is saved as.  Sizes times dpi are whole pixels.
LAYOUTS: Final = {
    "web": Layout(8.0, 5.0, 200.0, "right", 2.05, 0.14, 12.0, 7.0, 6.2, 5.8, 4.8, 1.0),
    "card": Layout(
        4.0, 4.0, 270.0, "bottom", 1.5, 0.1, 10.5, 6.0, 5.2, 5.4, 4.4, 0.72, legend_columns=3, locator_in=0.85
    ),
    "pdf": Layout(297 / 25.4, 210 / 25.4, 150.0, "right", 3.0, 0.4, 18.0, 9.5, 8.5, 7.0, 6.5, 1.3),
}
#: The figure each kind of `geo.schema.PRINT_FILES` is saved from (the SVG is the web figure, in vectors).
FILE_LAYOUT: Final = {"web": "web", "svg": "web", "card": "card", "pdf": "pdf"}
#: The format each kind of `geo.schema.PRINT_FILES` is saved in (`geo.plot.save`).
FILE_FORMAT: Final = {"web": "png", "card": "png", "svg": "svg", "pdf": "pdf"}

#: A label's name is read up to this many characters (data is hostile: a 10,000-character name is not wrapped whole).
LABEL_MAX_CHARS: Final = 160
#: A label's lines are at most this wide, in ems (about 26 characters of text; fewer of W or Ж).
LABEL_LINE_EMS: Final = 14.0
#: A label has at most this many lines; only a name longer than any real one (about 100 characters) is cut, with ….
LABEL_MAX_LINES: Final = 4
#: A region or a subtitle name longer than this is cut.
NAME_MAX_CHARS: Final = 80
#: Text wider than this share of the measured advance widths is wrapped (advances ignore kerning).
WRAP_SLACK: Final = 0.96
#: What stands for a character of data that DejaVu Sans has no glyph for (drawn, not warned about once per file).
MISSING_GLYPH: Final = "\ufffd"


# --- text ----------------------------------------------------------------------------


@cache
def _font() -> Any:
    """Return DejaVu Sans (matplotlib's own copy) at 100 pt, to read glyph advances from."""
    properties = plot.font_manager.FontProperties(family="DejaVu Sans")
    font = plot.FT2Font(plot.font_manager.findfont(properties, fallback_to_default=False))
    font.set_size(100, 72)
    return font


@cache
def _advance(char: str) -> float:
    """Return a character's advance width in ems (0.6 for one the font lacks)."""
    font = _font()
    index = font.get_char_index(ord(char))
    if not index:
        return 0.6
    glyph = font.load_glyph(index, plot.LoadFlags.NO_HINTING)
    return float(glyph.linearHoriAdvance) / 65536 / 100


def text_width_pt(text: str, size: float) -> float:
    """Return the width of the widest line of `text` at `size` points, from the glyphs' advances (no kerning)."""
    return max(sum(_advance(ch) for ch in line) for line in text.split("\n")) * size


def clean_text(value: object) -> str:
    """Return text from data as one line of printable characters, each one the font can draw.

    First made what XML 1.0 can carry (`geo.i18n.xml_text`: the SVG is XML, and the PDF draws the same text); then
    what is not printable (C1 controls, format characters) is left out and each run of white space is one space.
    """
    font = _font()
    kept = "".join(ch for ch in i18n.xml_text(value) if ch.isprintable() or ch.isspace())
    return "".join(ch if font.get_char_index(ord(ch)) else MISSING_GLYPH for ch in " ".join(kept.split()))


def cut(text: str, limit: int) -> str:
    """Return `text` cut to `limit` characters, the last one ``…``, where it is longer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def label_text(name: object) -> str:
    """Return a record's name as a map label: wrapped at spaces into lines of `LABEL_LINE_EMS`, never cut mid-name.

    A word wider than a line is broken; only a name of more than `LABEL_MAX_LINES` lines (no real one: the longest,
    83 characters, takes four) or of more than `LABEL_MAX_CHARS` characters (a long name of narrow letters may fit
    in four lines after that cap) is cut, its last line ending in ….
    """
    lines = wrap_text(cut(clean_text(name), LABEL_MAX_CHARS), LABEL_LINE_EMS, 1.0, slack=1.0).split("\n")
    if len(lines) > LABEL_MAX_LINES:
        rest = lines[LABEL_MAX_LINES - 1].removesuffix("…")
        while rest and text_width_pt(rest + "…", 1.0) > LABEL_LINE_EMS:
            rest = rest[:-1]
        lines = [*lines[: LABEL_MAX_LINES - 1], rest.rstrip() + "…"]
    return "\n".join(lines)


def _break_word(word: str, limit: float, size: float) -> list[str]:
    """Cut a word wider than `limit` points into pieces that fit (a 120-letter name must not leave the page).

    A word is cut after a hyphen where one leaves a piece that fits («цирконій-» «рідкісноземельне»), else anywhere.
    """
    pieces: list[str] = []
    while len(word) > 1 and text_width_pt(word, size) > limit:
        hyphens = [i + 1 for i, ch in enumerate(word[:-1]) if ch == "-" and text_width_pt(word[: i + 1], size) <= limit]
        at = hyphens[-1] if hyphens else 0
        if not at:
            at = max(1, next((i for i in range(len(word) - 1, 0, -1) if text_width_pt(word[:i], size) <= limit), 1))
        pieces.append(word[:at])
        word = word[at:]
    return [*pieces, word]


def wrap_text(text: str, width_pt: float, size: float, *, slack: float = WRAP_SLACK) -> str:
    """Break `text` at spaces into lines no wider than `slack` times `width_pt` (a word wider than that is cut)."""
    lines: list[str] = []
    limit = width_pt * slack
    for paragraph in text.split("\n"):
        line = ""
        for word in (piece for whole in paragraph.split(" ") for piece in _break_word(whole, limit, size)):
            trial = f"{line} {word}" if line else word
            if line and text_width_pt(trial, size) > limit:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return "\n".join(lines)


def name_of(row: Any, words: Words) -> str:
    """Return a record's name in the language, or its other name where it has none in the language."""
    return words.names(row)[0]


# --- the page ----------------------------------------------------------------------------


def page_words(
    spec: MapRecord, words: Words, *, regions: pd.DataFrame, snapshot_date: str, credit: str
) -> tuple[str, str, str]:
    """Return a map's title, its subtitle (the region's occupied share on the snapshot date) and the credits line.

    `credit` names the snapshot's source (`geo.sources.occupation_credit`): data, made one clean line here.
    """
    credit = cut(clean_text(credit), CREDIT_MAX_CHARS)
    share = regions.loc[spec.share_id]
    subtitle = words(
        "print.subtitle",
        name=cut(clean_text(name_of(share.to_dict(), words)), NAME_MAX_CHARS),
        share=words.share(share["occupied_share"], 1),
        date=snapshot_date,
        credit=credit,
    )
    credits = words("credits", credits=style.credits_line(credit))
    return cut(clean_text(catalogue.title(spec, words, regions)), NAME_MAX_CHARS), subtitle, credits


def draw_page(figure: plot.Figure, layout: Layout, title: str, subtitle: str, credits: str) -> tuple[float, float]:
    """Draw the title and subtitle at the top and the credits at the bottom; return the band between (inches).

    Returns
    -------
    tuple
        The band's bottom and top, inches from the page's bottom edge.
    """
    W, H, m = layout.width_in, layout.height_in, layout.margin_in  # noqa: N806
    width_pt = (W - 2 * m) * 72
    title_text = wrap_text(title, width_pt, layout.title_pt)
    heading = plot.text(figure, m, H - m, title_text, va="top", fontsize=layout.title_pt)
    top = H - m - plot.extent(heading)[1] - layout.title_pt * 0.3 / 72
    sub_text = wrap_text(subtitle, width_pt, layout.subtitle_pt)
    sub = plot.text(figure, m, top, sub_text, va="top", fontsize=layout.subtitle_pt, color=style.PRINT_NOTE_COLOUR)
    top -= plot.extent(sub)[1] + layout.subtitle_pt * 0.6 / 72
    plot.group(figure, "title", [heading, sub], zorder=5)
    credit_text = wrap_text(credits, width_pt, layout.credits_pt)
    line = plot.text(
        figure, m, m * 0.7, credit_text, va="bottom", fontsize=layout.credits_pt, color=style.PRINT_NOTE_COLOUR
    )
    bottom = m * 0.7 + plot.extent(line)[1] + layout.credits_pt * 0.8 / 72
    plot.group(figure, "credits", [line], zorder=5)
    return bottom, top
