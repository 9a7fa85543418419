"""Static, print-ready maps: a web PNG, a social card, an SVG with live text and an A4 PDF per map.

The six maps of `geo.schema.MAP_FILES` are drawn with matplotlib (no pyplot,
no network, DejaVu Sans for Latin and Cyrillic) in `geo.schema.PRINT_CRS`, so
that their scale bars measure kilometres.  Geometry is reprojected and
simplified once per build in a `PrintGeometry`, which every map and every
language reuses.  Each map carries a title, a subtitle with the snapshot date
and the region's occupied share, a legend of what it draws, a scale bar, a
locator of Ukraine with the mapped area (not on the overview, which is the
whole country), labels placed without overlaps, and the credits line,
«© Мінрегіон» first.

Names from data are drawn as one line of printable text (`geo.i18n.xml_text`
first, as every writer of XML does: the SVG is XML), never as mathtext.

Deposit records without a known site (``location_known`` false) are not drawn
on the static maps: a point there would claim a place the data does not give.
The legend counts them instead.  The same inputs give the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import i18n, schema, style
from geo.errors import ValidationError
from geo.i18n import Words

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure
    from matplotlib.path import Path as MplPath
    from matplotlib.text import Text
    from matplotlib.transforms import Transform

#: A box: (x0, y0, x1, y1), in the units the context says (pixels, inches or metres).
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Scale:
    """How much the geometry of one map scale is simplified (Douglas-Peucker tolerances, metres)."""

    tolerance_m: float  # regions, occupied areas, line of contact, Ukraine
    base_tolerance_m: float  # the base map's land and neighbouring countries


#: Map scales.  On the overview a web pixel is about 1.2 km and 0.1 mm of the A4 page about 0.5 km.
SCALES: Final = {
    "country": Scale(tolerance_m=400.0, base_tolerance_m=2000.0),
    "oblast": Scale(tolerance_m=50.0, base_tolerance_m=500.0),
    "local": Scale(tolerance_m=10.0, base_tolerance_m=500.0),
}
#: The locator's outline of Ukraine and of the highlighted region.
LOCATOR_TOLERANCE_M: Final = 3000.0


@dataclass(frozen=True)
class PrintSpec:
    """What one static map shows."""

    key: str  # key of `geo.schema.MAP_FILES`
    frame: str  # region id to fit, or "lithium" (the located lithium records)
    levels: tuple[tuple[str, str], ...]  # region outlines drawn: (level, id prefix)
    scale: str
    share_id: str  # the region whose occupied share the subtitle states
    label_all: bool  # label every named record in view (regional maps), not only the lithium sites
    locator: bool
    groups: tuple[str, ...] = ()  # draw only these commodity groups (as the HTML map shows at first); () = all


SPECS: Final = (
    PrintSpec("overview", schema.COUNTRY_ID, (("oblast", ""),), "country", schema.COUNTRY_ID, False, False),
    *(
        PrintSpec(rid, rid, (("oblast", ""), ("raion", rid)), "oblast", rid, True, True)
        for rid in (schema.DONETSK_ID, schema.ZAPORIZHZHIA_ID, schema.KIROVOHRAD_ID)
    ),
    PrintSpec(
        schema.POKROVSK_RAION_ID,
        schema.POKROVSK_RAION_ID,
        (("raion", schema.POKROVSK_RAION_ID), ("hromada", schema.POKROVSK_RAION_ID), ("city", "")),
        "local",
        schema.POKROVSK_RAION_ID,
        True,
        True,
    ),
    PrintSpec("lithium", "lithium", (("oblast", ""),), "country", schema.COUNTRY_ID, False, True, ("lithium",)),
)


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

#: Region outlines are drawn finest first, so that a coarser border on the same line shows (the city last).
DRAW_ORDER: Final = ("hromada", "raion", "oblast", "country", "city")
#: Points per pixel of the HTML styles (a CSS pixel is 0.75 pt), a little finer for print.
PT_PER_PX: Final = 0.6
#: A marker's width as a share of the HTML icon box, and its outline as a share of the HTML outline.
MARKER_SHARE: Final = 0.62
OUTLINE_SHARE: Final = 0.5
#: Fixed metadata, so that the same inputs give the same bytes.
PRODUCER: Final = "resource-control-mapper (matplotlib)"
SVG_HASHSALT: Final = "resource-control-mapper"
#: A label longer than this is cut (data is hostile: a 300-character name must not take over the map).
LABEL_MAX_CHARS: Final = 48
#: A label's lines are at most this wide, in ems (about 26 characters of text; fewer of W or Ж).
LABEL_LINE_EMS: Final = 14.0
#: The white box behind a label (padding in points) and its opacity.
LABEL_PAD_PT: Final = 0.8
LABEL_BOX_ALPHA: Final = 0.8
#: A region or a subtitle name longer than this is cut.
NAME_MAX_CHARS: Final = 80
#: How far beyond the frame region the map shows (share of its size); the lithium frame's margin (metres).
FRAME_MARGIN: Final = 0.04
LITHIUM_MARGIN_M: Final = 70_000.0
#: Text wider than this share of the measured advance widths is wrapped (advances ignore kerning).
WRAP_SLACK: Final = 0.96


# --- geometry ----------------------------------------------------------------------


def _project(geoms: gpd.GeoSeries, what: str) -> np.ndarray:
    """Reproject to `geo.schema.PRINT_CRS` as a shapely array; the input must be in the storage CRS."""
    if geoms.crs is None or not geoms.crs.equals(schema.STORAGE_CRS):
        msg = f"{what}: expected CRS {schema.STORAGE_CRS}, got {geoms.crs}; reproject it with .to_crs() first"
        raise ValidationError(msg)
    return np.asarray(geoms.to_crs(schema.PRINT_CRS).array, dtype=object)


def _simplify(geoms: np.ndarray, tolerance_m: float) -> np.ndarray:
    return np.asarray(shapely.simplify(geoms, tolerance_m, preserve_topology=True), dtype=object)


def _clean_coverage(geoms: np.ndarray) -> np.ndarray:
    """Make polygons an exact coverage, as `geo.webmap` does (an overlap goes to the smaller region)."""
    if shapely.geos_version < (3, 14, 0):  # coverage_clean needs GEOS 3.14 (shapely's own wheels bring it)
        return np.asarray(shapely.make_valid(geoms), dtype=object)
    return np.asarray(shapely.coverage_clean(geoms, merge_strategy="min_area"), dtype=object)  # type: ignore[attr-defined]


def _coverage(clean: np.ndarray, tolerance_m: float) -> np.ndarray:
    """Simplify cleaned polygons that tile the plane together, so that a border two regions share stays one line."""
    if len(clean) == 0:
        return clean
    return np.asarray(shapely.coverage_simplify(clean, tolerance_m, simplify_boundary=True), dtype=object)


def _parts(geoms: Any, type_ids: tuple[int, ...]) -> np.ndarray:
    """Return the parts of `geoms` of the given shapely type ids (1, 2: lines; 3: polygons)."""
    parts = shapely.get_parts(geoms)
    return np.asarray(parts[np.isin(shapely.get_type_id(parts), type_ids)], dtype=object)


def _path(geom: Any, *, polygons: bool) -> MplPath | None:
    """Turn the polygons (or the lines) of `geom` into one matplotlib path (None if there are none)."""
    from matplotlib.path import Path  # noqa: PLC0415

    parts = shapely.get_rings(shapely.orient_polygons(_parts(geom, (3,)))) if polygons else _parts(geom, (1, 2))
    coords, index = shapely.get_coordinates(parts, return_index=True)
    if len(coords) < 2:
        return None
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    codes[np.r_[True, index[1:] != index[:-1]]] = Path.MOVETO
    # Only MOVETO and LINETO (a filled ring closes itself), so that matplotlib may simplify further per output.
    return Path(coords, codes)


class PrintGeometry:
    """The geometry of the static maps, in `geo.schema.PRINT_CRS`, simplified once per scale.

    Build it once per build: every map, figure size and language reuses it,
    and what a map clips to its frame is kept, so that a second language does
    no geometry work.

    Parameters
    ----------
    regions
        Indexed by region id (the country row included), in `geo.schema.STORAGE_CRS`; column ``level``.
    parts
        The occupied area by part (`geo.schema.OCCUPIED_BEFORE_2022`, `geo.schema.OCCUPIED_SINCE_2022`).
    front
        The line of contact.
    contested
        DeepState's grey zone (empty or None where there is none).
    basemap
        Land and neighbouring countries (column ``kind``: ``land`` or ``country``).
    """

    def __init__(
        self,
        regions: gpd.GeoDataFrame,
        parts: gpd.GeoDataFrame,
        front: gpd.GeoSeries,
        contested: shapely.Geometry | None,
        basemap: gpd.GeoDataFrame,
    ) -> None:
        metric = pd.Series(_project(regions.geometry, "regions"), index=regions.index.astype(str))
        levels = regions["level"].astype(str).to_numpy()
        #: The bounds of every region a map is framed on (metres).
        self.frames: dict[str, Box] = {}
        for spec in SPECS:
            if spec.frame in metric.index:
                xmin, ymin, xmax, ymax = (float(v) for v in shapely.bounds(metric[spec.frame]))
                self.frames[spec.frame] = (xmin, ymin, xmax, ymax)
        # Where each scale is drawn: around the frames of its maps (None: everywhere, as on the overview).
        areas: dict[str, Box | None] = {}
        for spec in SPECS:
            box = clip_box(self.frames[spec.frame]) if spec.scale != "country" and spec.frame in self.frames else None
            known = areas.get(spec.scale, box)
            areas[spec.scale] = None if box is None or known is None else _union(known, box)

        def within(geoms: np.ndarray, scale: str) -> np.ndarray:
            area = areas.get(scale)
            return geoms if area is None else np.asarray(shapely.clip_by_rect(geoms, *area), dtype=object)

        # Region outlines: one coverage per (level, scale) of the regions some map draws, kept as their borders;
        # cleaned once per level (the same at every scale).
        wanted: dict[tuple[str, str], set[str]] = {}
        for spec in SPECS:
            for level, prefix in spec.levels:
                wanted.setdefault((level, spec.scale), set()).add(prefix)
        clean: dict[str, pd.Series] = {}
        for level in sorted({level for level, _scale in wanted}):
            starts = tuple(sorted(set().union(*(p for (lv, _s), p in wanted.items() if lv == level))))
            chosen = metric[levels == level]
            chosen = chosen[[rid.startswith(starts) for rid in chosen.index]]
            clean[level] = pd.Series(_clean_coverage(chosen.to_numpy()), index=chosen.index)
        self._outlines: dict[tuple[str, str], pd.Series] = {}
        for (level, scale), prefixes in sorted(wanted.items()):
            chosen = clean[level][[rid.startswith(tuple(prefixes)) for rid in clean[level].index]]
            cut = pd.Series(within(chosen.to_numpy(), scale), index=chosen.index)
            cut = cut[~shapely.is_empty(cut.to_numpy())]
            simple = _coverage(cut.to_numpy(), SCALES[scale].tolerance_m)
            self._outlines[(level, scale)] = pd.Series(shapely.boundary(simple), index=cut.index)
        # Occupied parts, line of contact, grey zone and Ukraine: simplified one by one at each scale.
        sources = dict(zip(parts.index.astype(str), _project(parts.geometry, "parts"), strict=True))
        sources["front"] = shapely.multilinestrings(_parts(_project(front, "front"), (1, 2)))
        if contested is not None and not shapely.is_empty(contested):
            sources["contested"] = _project(gpd.GeoSeries([contested], crs=schema.STORAGE_CRS), "contested")[0]
        sources["ukraine"] = metric[schema.COUNTRY_ID]
        names = list(sources)
        every = np.asarray([sources[n] for n in names], dtype=object)
        self._shapes: dict[tuple[str, str], Any] = {}
        for scale, s in SCALES.items():
            for name, geom in zip(names, _simplify(within(every, scale), s.tolerance_m), strict=True):
                self._shapes[(name, scale)] = geom
        # The base map by kind, at each scale's base tolerance (drawn, never unioned: overlaps paint once).
        kinds = basemap["kind"].astype(str).to_numpy()
        base = _project(basemap.geometry, "basemap")
        for scale, s in SCALES.items():
            for kind in ("land", "country"):
                simple = _simplify(within(base[kinds == kind], scale), s.base_tolerance_m)
                self._shapes[(f"base {kind}", scale)] = shapely.multipolygons(_parts(simple, (3,)))
        # The locator: Ukraine and every frame region, coarse.
        coarse = _simplify(
            np.asarray([self._shapes[("ukraine", "country")], *[metric[f] for f in self.frames]], dtype=object),
            LOCATOR_TOLERANCE_M,
        )
        self.locator_country: shapely.Geometry = coarse[0]
        self.locator_regions: dict[str, shapely.Geometry] = dict(zip(self.frames, coarse[1:], strict=True))
        self._paths: dict[tuple[str, str, Box], MplPath | None] = {}

    def shape(self, name: str, scale: str) -> shapely.Geometry | None:
        """Return a simplified layer: ``ukraine``, ``front``, ``contested``, a part, ``base land``, ``base country``."""
        geom: shapely.Geometry | None = self._shapes.get((name, scale))
        return geom

    def in_view(self, name: str, scale: str, view: Box) -> bool:
        """Tell whether a layer has anything inside `view` (metres)."""
        geom = self.shape(name, scale)
        return geom is not None and bool(shapely.intersects(geom, shapely.box(*view)))

    def path(self, name: str, scale: str, clip: Box) -> MplPath | None:
        """Return a layer clipped to `clip` as a matplotlib path, made once (``regions <level> <prefix>`` too)."""
        key = (name, scale, clip)
        if key not in self._paths:
            self._paths[key] = self._make_path(name, scale, clip)
        return self._paths[key]

    def _make_path(self, name: str, scale: str, clip: Box) -> MplPath | None:
        if name.startswith("regions "):
            _word, level, prefix = [*name.split(" "), ""][:3]
            lines = self._outlines.get((level, scale))
            if lines is None:
                return None
            chosen = lines[[rid.startswith(prefix) for rid in lines.index]].to_numpy()
            return _path(shapely.clip_by_rect(chosen, *clip), polygons=False)
        shape = self.shape(name, scale)
        if shape is None:
            return None
        return _path(shapely.clip_by_rect(shape, *clip), polygons=name != "front")


# --- label placement -----------------------------------------------------------------


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(a: Box, bounds: Box) -> bool:
    return a[0] >= bounds[0] and a[1] >= bounds[1] and a[2] <= bounds[2] and a[3] <= bounds[3]


def candidate_boxes(anchor: tuple[float, float], size: tuple[float, float], gap: float) -> list[Box]:
    """Return the boxes a label of `size` may take around `anchor`, best first.

    Right, upper right, lower right, left, upper left, lower left, above,
    below: `gap` away from the anchor (the marker's radius and a little air),
    then the same at twice the gap.
    """
    x, y = anchor
    w, h = size
    boxes = []
    for ring in (gap, 2 * gap):
        d = ring * 0.8
        corners = [
            (x + ring, y - h / 2),
            (x + d, y + d),
            (x + d, y - d - h),
            (x - ring - w, y - h / 2),
            (x - d - w, y + d),
            (x - d - w, y - d - h),
            (x - w / 2, y + ring),
            (x - w / 2, y - ring - h),
        ]
        boxes += [(x0, y0, x0 + w, y0 + h) for x0, y0 in corners]
    return boxes


def place_labels(
    anchors: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float]],
    gaps: Sequence[float],
    *,
    obstacles: Sequence[Box],
    bounds: Box,
) -> list[Box | None]:
    """Place labels greedily, in the given order, each where it overlaps nothing placed before it.

    Parameters
    ----------
    anchors
        The point each label belongs to.
    sizes
        Each label's width and height.
    gaps
        How far each label keeps from its anchor.
    obstacles
        Boxes no label may overlap (the markers, the scale bar, an inset).
    bounds
        The box every label must stay inside (the map).

    Returns
    -------
    list
        Per label, the box it takes (`candidate_boxes`), or None where no candidate is free: that label is skipped.
    """
    taken = list(obstacles)
    placed: list[Box | None] = []
    for anchor, size, gap in zip(anchors, sizes, gaps, strict=True):
        chosen = next(
            (
                box
                for box in candidate_boxes(anchor, size, gap)
                if _inside(box, bounds) and not any(_overlaps(box, other) for other in taken)
            ),
            None,
        )
        placed.append(chosen)
        if chosen is not None:
            taken.append(chosen)
    return placed


#: What stands for a character of data that DejaVu Sans has no glyph for (drawn, not warned about once per file).
MISSING_GLYPH: Final = "\ufffd"


def _clean(value: object) -> str:
    """Return text from data as one line of printable characters, each one the font can draw.

    First made what XML 1.0 can carry (`geo.i18n.xml_text`: the SVG is XML, and the PDF draws the same text); then
    what is not printable (C1 controls, format characters) is left out and each run of white space is one space.
    """
    font = _font()
    kept = "".join(ch for ch in i18n.xml_text(value) if ch.isprintable() or ch.isspace())
    return "".join(ch if font.get_char_index(ord(ch)) else MISSING_GLYPH for ch in " ".join(kept.split()))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def label_text(name: object) -> str:
    """Return a record's name as a map label: at most two lines of `LABEL_LINE_EMS`, cut with … when longer."""
    lines: list[str] = []
    for word in _cut(_clean(name), LABEL_MAX_CHARS).split(" "):
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and text_width_pt(trial, 1.0) <= LABEL_LINE_EMS:
            lines[-1] = trial
            continue
        rest = word
        while text_width_pt(rest, 1.0) > LABEL_LINE_EMS:  # a word wider than a line is broken
            cut = next(i for i in range(len(rest), 0, -1) if text_width_pt(rest[:i], 1.0) <= LABEL_LINE_EMS)
            lines.append(rest[:cut])
            rest = rest[cut:]
        lines.append(rest)
    if len(lines) > 2:
        rest = " ".join(lines[1:])
        while text_width_pt(rest + "…", 1.0) > LABEL_LINE_EMS:
            rest = rest[:-1]
        lines = [lines[0], rest.rstrip() + "…"]
    return "\n".join(lines)


def _name(row: Mapping[Any, Any], words: Words) -> str:
    """Return a record's name in the language, or its other name where it has none in the language."""
    return words.names(row)[0]


# --- text ----------------------------------------------------------------------------


@cache
def _font() -> Any:
    """Return DejaVu Sans (matplotlib's own copy) at 100 pt, to read glyph advances from."""
    from matplotlib import font_manager  # noqa: PLC0415
    from matplotlib.ft2font import FT2Font  # noqa: PLC0415

    properties = font_manager.FontProperties(family="DejaVu Sans")
    font = FT2Font(font_manager.findfont(properties, fallback_to_default=False))
    font.set_size(100, 72)
    return font


@cache
def _advance(char: str) -> float:
    """Return a character's advance width in ems (0.6 for one the font lacks)."""
    from matplotlib.ft2font import LoadFlags  # noqa: PLC0415

    font = _font()
    index = font.get_char_index(ord(char))
    if not index:
        return 0.6
    glyph = font.load_glyph(index, LoadFlags.NO_HINTING)
    return float(glyph.linearHoriAdvance) / 65536 / 100


def text_width_pt(text: str, size: float) -> float:
    """Return the width of the widest line of `text` at `size` points, from the glyphs' advances (no kerning)."""
    return max(sum(_advance(ch) for ch in line) for line in text.split("\n")) * size


def _break_word(word: str, limit: float, size: float) -> list[str]:
    """Cut a word wider than `limit` points into pieces that fit (a 120-letter name must not leave the page)."""
    pieces: list[str] = []
    while len(word) > 1 and text_width_pt(word, size) > limit:
        cut = max(1, next((i for i in range(len(word) - 1, 0, -1) if text_width_pt(word[:i], size) <= limit), 1))
        pieces.append(word[:cut])
        word = word[cut:]
    return [*pieces, word]


def wrap_text(text: str, width_pt: float, size: float) -> str:
    """Break `text` at spaces into lines no wider than `width_pt` (a word wider than that is cut)."""
    lines: list[str] = []
    limit = width_pt * WRAP_SLACK
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


@cache
def _measurer(dpi: float) -> RendererBase:
    """Return a renderer to measure text with, one per dpi, so that matplotlib's cache of text sizes is shared."""
    from matplotlib.backends.backend_agg import RendererAgg  # noqa: PLC0415

    return RendererAgg(8, 8, dpi)  # type: ignore[no-untyped-call]


def _text(figure: Figure, x: float, y: float, text: str, **kwargs: Any) -> Text:
    """Return plain text (never mathtext or TeX), placed in inches on the figure unless a transform is given."""
    from matplotlib.text import Text  # noqa: PLC0415

    kwargs.setdefault("transform", figure.dpi_scale_trans)
    item = Text(x, y, text, parse_math=False, usetex=False, **kwargs)
    item.set_figure(figure)
    return item


def _extent(item: Text) -> tuple[float, float]:
    """Return a text's width and height in inches."""
    figure = item.get_figure(root=True)
    dpi = float(figure.dpi) if figure is not None else 72.0
    box = item.get_window_extent(_measurer(dpi))
    return box.width / dpi, box.height / dpi


# --- drawing -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedLabel:
    """A label on a drawn map: the record it names, its text and its box (pixels of the figure at its dpi)."""

    deposit_id: str
    text: str
    box: Box


@dataclass
class PrintMap:
    """One drawn figure and what was put on it."""

    figure: Figure
    labels: list[PlacedLabel] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # ids of records whose label found no free place
    legend: list[str] = field(default_factory=list)  # the legend's texts, in order


@cache
def _group_type() -> Callable[[str, Sequence[Artist]], Artist]:
    """Return the artist that draws its children as one named SVG group (matplotlib imported on first use)."""
    from matplotlib.artist import Artist  # noqa: PLC0415

    class Group(Artist):
        """Children drawn in their order inside ``<g id="gid">``."""

        def __init__(self, gid: str, children: Sequence[Artist]) -> None:
            super().__init__()
            self.set_gid(gid)
            self._children = list(children)

        def get_children(self) -> list[Artist]:
            return list(self._children)

        def draw(self, renderer: RendererBase) -> None:
            if not self.get_visible():
                return
            renderer.open_group("layer", gid=self.get_gid())
            for child in self._children:
                child.draw(renderer)
            renderer.close_group("layer")
            self.stale = False

    return Group


def _group(owner: Figure | Axes, gid: str, children: Sequence[Artist], *, zorder: float, clip: bool = False) -> None:
    """Add `children` to a figure or an axes as one layer, ``<g id="gid">`` in the SVG."""
    from matplotlib.axes import Axes  # noqa: PLC0415

    if not children:
        return
    figure = _figure_of(owner) if isinstance(owner, Axes) else owner
    for child in children:
        child.set_figure(figure)
        if isinstance(owner, Axes):
            if not child.is_transform_set():
                child.set_transform(owner.transData)
            child.axes = owner
            if clip:
                child.set_clip_path(owner.patch)
    group = _group_type()(gid, children)
    group.set_zorder(zorder)
    owner.add_artist(group)


def _markers(
    shape: str,
    xy: np.ndarray,
    *,
    fill: str,
    statuses: Sequence[str],
    diameter_pt: float,
    transform: Transform,
    scale: float,
) -> PathCollection:
    """Return deposit markers of one shape: filled by commodity group, outlined by control status."""
    from matplotlib.collections import PathCollection  # noqa: PLC0415
    from matplotlib.markers import MarkerStyle  # noqa: PLC0415
    from matplotlib.transforms import IdentityTransform  # noqa: PLC0415

    marker = MarkerStyle(style.MATPLOTLIB_SHAPES[shape])
    path = marker.get_path().transformed(marker.get_transform())
    edges, widths, dashes = [], [], []
    for status in statuses:
        colour, width, dash = style.CONTROL_OUTLINE[status]
        edges.append(colour)
        widths.append(width * PT_PER_PX * OUTLINE_SHARE * scale)
        dashes.append((0.0, tuple(float(v) * PT_PER_PX * scale for v in dash.split())) if dash else "solid")
    collection = PathCollection(
        [path],
        sizes=[diameter_pt**2] * len(xy),
        offsets=xy,
        offset_transform=transform,
        facecolors=[fill],
        edgecolors=edges,
        linewidths=widths,
        linestyles=dashes,
    )
    collection.set_transform(IdentityTransform())
    return collection


def _marker_diameter(group: str, layout: Layout) -> float:
    size = style.LITHIUM_MARKER_SIZE if group == "lithium" else style.MARKER_SIZE
    return size * PT_PER_PX * MARKER_SHARE * layout.symbol_scale


def _level_style(level: str) -> tuple[str, float]:
    """Return the outline colour and width (screen pixels) of a region level."""
    colour, width = style.LEVEL_STYLE[level]
    return colour, width


def _rgba(colour: str, alpha: float) -> tuple[float, float, float, float]:
    value = colour.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255, alpha)


@dataclass(frozen=True)
class _Shown:
    """What a map draws in its view (and so what its legend lists)."""

    parts: tuple[str, ...]
    contested: bool
    front: bool
    levels: tuple[str, ...]
    points: pd.DataFrame  # located records in view


def _shown(geometry: PrintGeometry, spec: PrintSpec, points: pd.DataFrame, view: Box) -> _Shown:
    parts = tuple(
        part
        for part in (schema.OCCUPIED_SINCE_2022, schema.OCCUPIED_BEFORE_2022)
        if geometry.in_view(part, spec.scale, view)
    )
    inside = points["x"].between(view[0], view[2]) & points["y"].between(view[1], view[3])
    return _Shown(
        parts=parts,
        contested=geometry.in_view("contested", spec.scale, view),
        front=geometry.in_view("front", spec.scale, view),
        levels=tuple(level for level, _prefix in spec.levels),
        points=points[inside.to_numpy()],
    )


@dataclass(frozen=True)
class _Entry:
    """One legend row: a symbol and its text; a heading and a note have no symbol."""

    text: str
    kind: str  # fill, hatch, line, marker, heading, note
    colour: str = ""
    width: float = 0.0
    shape: str = "circle"
    status: str = schema.HELD
    group: str = "other"


def _legend_entries(words: Words, shown: _Shown, not_drawn: int) -> list[_Entry]:
    """List what the map draws, in the HTML legend's order; control outlines only for the statuses drawn."""
    entries = [
        _Entry(words(f"control.{part}"), "fill", colour)
        for part, colour in (
            (schema.OCCUPIED_SINCE_2022, style.OCCUPIED_SINCE_2022_COLOUR),
            (schema.OCCUPIED_BEFORE_2022, style.OCCUPIED_BEFORE_2022_COLOUR),
        )
        if part in shown.parts
    ]
    if shown.contested:
        entries.append(_Entry(words("layer.contested"), "hatch", style.CONTESTED_COLOUR))
    if shown.front:
        text = words("legend.front")
        entries.append(_Entry(text[:1].upper() + text[1:], "line", style.FRONT_COLOUR, 2.2))
    for level in shown.levels:
        colour, width = _level_style(level)
        entries.append(_Entry(words("legend.boundaries", level=words(f"level.{level}")), "line", colour, width))
    groups = set(shown.points["group"])
    for key, *_rest in style.COMMODITY_GROUPS:
        if key in groups:
            entries.append(
                _Entry(
                    words(f"group.{key}"), "marker", style.group_colour(key), shape=style.GROUP_SHAPES[key], group=key
                )
            )
    statuses = set(shown.points["control_status"])
    controls = [
        (words("control.held_by_ukraine"), schema.HELD, schema.HELD in statuses),
        (words("control.occupied"), schema.OCCUPIED_SINCE_2022, bool(statuses & set(schema.OCCUPIED_STATUSES))),
        (words("control.unknown"), schema.UNKNOWN, schema.UNKNOWN in statuses),
    ]
    if any(present for _t, _s, present in controls):
        entries.append(_Entry(words("legend.control"), "heading"))
        entries += [
            _Entry(text, "marker", style.LEGEND_MARKER_FILL, status=status)
            for text, status, present in controls
            if present
        ]
    if not_drawn:
        entries.append(_Entry(words("print.not_drawn", count=words.number(not_drawn, 0)), "note"))
    return entries


def _symbol(figure: Figure, entry: _Entry, box: Box, layout: Layout) -> list[Artist]:
    """Draw a legend symbol in `box` (inches)."""
    from matplotlib.lines import Line2D  # noqa: PLC0415
    from matplotlib.patches import Rectangle  # noqa: PLC0415

    x0, y0, x1, y1 = box
    trans = figure.dpi_scale_trans
    s = layout.symbol_scale
    if entry.kind == "fill":
        face = _rgba(entry.colour, style.OCCUPATION_OPACITY)
        return [Rectangle((x0, y0), x1 - x0, y1 - y0, transform=trans, facecolor=face, edgecolor=entry.colour, lw=0.5)]
    if entry.kind == "hatch":
        return [
            Rectangle(
                (x0, y0), x1 - x0, y1 - y0, transform=trans, facecolor="none", edgecolor=entry.colour, hatch="/////"
            )
        ]
    if entry.kind == "line":
        ym = (y0 + y1) / 2
        return [Line2D([x0, x1], [ym, ym], transform=trans, color=entry.colour, lw=entry.width * PT_PER_PX * s)]
    diameter = min(_marker_diameter(entry.group, layout), (y1 - y0) * 72 * 1.3)
    centre = np.asarray([[(x0 + x1) / 2, (y0 + y1) / 2]])
    statuses = [entry.status]
    return [
        _markers(
            entry.shape, centre, fill=entry.colour, statuses=statuses, diameter_pt=diameter, transform=trans, scale=s
        )
    ]


@dataclass(frozen=True)
class _LegendPlan:
    size: float  # font size, points
    columns: list[list[tuple[_Entry, str, float]]]  # per column: (entry, wrapped text, row height in inches)
    column_in: float
    height_in: float


def _plan_legend(
    figure: Figure, entries: Sequence[_Entry], width_in: float, height_in: float, layout: Layout
) -> _LegendPlan:
    """Wrap and stack the legend's rows in columns, shrinking the text until it fits `height_in`."""
    size = layout.legend_pt
    while True:
        gap = size * 0.8 / 72
        column_in = (width_in - gap * (layout.legend_columns - 1)) / layout.legend_columns
        symbol_w, symbol_h = size * 2.0 / 72, size * 1.05 / 72
        line_h = _extent(_text(figure, 0, 0, "Ág", fontsize=size))[1]
        rows = []
        for entry in entries:
            plain = entry.kind in ("heading", "note")
            indent = 0.0 if plain else symbol_w + size * 0.5 / 72
            wrapped = wrap_text(entry.text, (column_in - indent) * 72, size)
            text_h = _extent(_text(figure, 0, 0, wrapped, fontsize=size, linespacing=1.15))[1]
            drop = max(0.0, (symbol_h - line_h) / 2)  # a row's first line is centred on its symbol
            rows.append((entry, wrapped, text_h if plain else max(symbol_h, text_h + drop)))
        spacing = size * 0.45 / 72
        target = sum(h + spacing for _e, _w, h in rows) / layout.legend_columns
        columns: list[list[tuple[_Entry, str, float]]] = [[]]
        for row in rows:
            used = sum(h + spacing for _e, _w, h in columns[-1])
            if columns[-1] and len(columns) < layout.legend_columns and used + row[2] > target + 1e-9:
                # A heading moves on with the first row under it.
                columns.append([columns[-1].pop()] if columns[-1][-1][0].kind == "heading" else [])
            columns[-1].append(row)
        height = max(sum(h + spacing for _e, _w, h in col) for col in columns) - spacing
        if height <= height_in or size <= 3.5:
            return _LegendPlan(size, columns, column_in, height)
        size *= 0.93


def _draw_legend(figure: Figure, plan: _LegendPlan, origin: tuple[float, float], layout: Layout) -> list[Artist]:
    """Draw a planned legend with its top left corner at `origin` (inches)."""
    size = plan.size
    symbol_w, symbol_h = size * 2.0 / 72, size * 1.05 / 72
    line_h = _extent(_text(figure, 0, 0, "Ág", fontsize=size))[1]
    spacing = size * 0.45 / 72
    artists: list[Artist] = []
    for c, column in enumerate(plan.columns):
        x = origin[0] + c * (plan.column_in + size * 0.8 / 72)
        y = origin[1]
        for entry, wrapped, height in column:
            if entry.kind in ("heading", "note"):
                colour = style.PRINT_NOTE_COLOUR if entry.kind == "note" else "black"
                artists.append(_text(figure, x, y, wrapped, va="top", linespacing=1.15, color=colour, fontsize=size))
            else:
                artists += _symbol(figure, entry, (x, y - symbol_h, x + symbol_w, y), layout)
                top = y - max(0.0, (symbol_h - line_h) / 2)
                artists.append(
                    _text(
                        figure, x + symbol_w + size * 0.5 / 72, top, wrapped, va="top", linespacing=1.15, fontsize=size
                    )
                )
            y -= height + spacing
    return artists


def nice_length_km(width_km: float, share: float = 0.2) -> float:
    """Return a round scale-bar length (1, 2 or 5 times a power of ten, km), at most `share` of `width_km`."""
    target = max(width_km * share, 1e-3)
    power = 10.0 ** math.floor(math.log10(target))
    return max(m * power for m in (1.0, 2.0, 5.0) if m * power <= target)


def clip_box(frame: Box) -> Box:
    """Return the box a map framed on `frame` clips its geometry to: wider than any of its figures shows."""
    return _view(frame, 1.0, margin=1.0)


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _view(frame: Box, aspect: float, *, margin: float) -> Box:
    """Return `frame` widened by `margin` (share of its size) and to `aspect` (width / height), centred on it."""
    xmin, ymin, xmax, ymax = frame
    w, h = (xmax - xmin) * (1 + 2 * margin), (ymax - ymin) * (1 + 2 * margin)
    w, h = max(w, h * aspect, 1.0), max(h, w / aspect, 1.0)
    w = h * aspect  # exactly the aspect
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


@dataclass(frozen=True)
class _MapData:
    """What a map draws that no figure size changes: its frame and its located records."""

    spec: PrintSpec
    stem: str
    frame: Box  # metres
    points: pd.DataFrame  # id, x, y, group, control_status, name, here (in the map's region), lithium
    not_drawn: int  # records of the map's area without a known site


def _map_data(
    spec: PrintSpec, geometry: PrintGeometry, deposits: gpd.GeoDataFrame, metric: np.ndarray, words: Words
) -> _MapData:
    located = deposits["location_known"].astype(bool).to_numpy()
    groups = np.asarray([style.commodity_group(str(p)) for p in deposits["primary_commodity"]], dtype=object)
    if spec.frame == "lithium":
        lithium = located & np.asarray(["lithium" in tuple(c) for c in deposits["commodity_list"]])
        if lithium.any():
            xmin, ymin, xmax, ymax = (float(v) for v in shapely.total_bounds(metric[lithium]))
            pad = LITHIUM_MARGIN_M
            frame = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
        else:
            frame = geometry.frames[schema.COUNTRY_ID]
        here = groups == "lithium"
    else:
        frame = geometry.frames[spec.frame]
        here = np.asarray([spec.frame in tuple(ids) for ids in deposits["region_ids"]], dtype=bool)
    columns = list(dict.fromkeys(["name_en", words.name_column]))
    names = [_name(row, words) for row in deposits[columns].to_dict("records")]
    points = pd.DataFrame(
        {
            "id": deposits.index.astype(str).to_numpy(),
            "x": shapely.get_x(metric),  # NaN where a record has no point
            "y": shapely.get_y(metric),
            "group": groups,
            "control_status": deposits["control_status"].astype(str).to_numpy(),
            "name": names,
            "here": here,
        }
    )[located]
    if spec.groups:
        points = points[points["group"].isin(spec.groups)]
    points = points.assign(lithium=points["group"] == "lithium").reset_index(drop=True)
    stem = schema.MAP_FILES[spec.key].removesuffix(".html")
    return _MapData(spec, stem, frame, points, int((here & ~located).sum()))


def _base_layers(
    axes: Axes, geometry: PrintGeometry, *, spec: PrintSpec, shown: _Shown, clip: Box, scale: float
) -> None:
    """Draw the base map, the occupied areas, the grey zone, the region outlines and the line of contact."""
    from matplotlib.patches import PathPatch  # noqa: PLC0415

    px = PT_PER_PX * scale

    def patch(name: str, gid: str | None = None, **kwargs: Any) -> list[Artist]:
        path = geometry.path(name, spec.scale, clip)
        if path is None:
            return []
        item = PathPatch(path, **kwargs)
        if gid:
            item.set_gid(gid)
        return [item]

    country_colour, country_width = _level_style("country")
    base = [
        *patch("base land", facecolor=style.LAND_COLOUR, edgecolor="none", linewidth=0),
        *patch("base country", facecolor=style.LAND_COLOUR, edgecolor=style.BORDER_COLOUR, linewidth=0.8 * px),
        *patch("ukraine", facecolor=style.UKRAINE_FILL, edgecolor=country_colour, linewidth=country_width * px),
    ]
    _group(axes, "base", base, zorder=1, clip=True)
    occupation: list[Artist] = []
    for part, colour in (
        (schema.OCCUPIED_BEFORE_2022, style.OCCUPIED_BEFORE_2022_COLOUR),
        (schema.OCCUPIED_SINCE_2022, style.OCCUPIED_SINCE_2022_COLOUR),
    ):
        if part in shown.parts:
            face = _rgba(colour, style.OCCUPATION_OPACITY)
            occupation += patch(part, part, facecolor=face, edgecolor=colour, linewidth=0.6 * px)
    _group(axes, "occupation", occupation, zorder=2, clip=True)
    if shown.contested:
        grey = patch("contested", facecolor="none", edgecolor=style.CONTESTED_COLOUR, hatch="/////", linewidth=0.8 * px)
        _group(axes, "grey-zone", grey, zorder=2.5, clip=True)
    outlines: list[Artist] = []
    for level, prefix in sorted(spec.levels, key=lambda lp: DRAW_ORDER.index(lp[0])):
        colour, width = _level_style(level)
        name = f"regions {level} {prefix}".rstrip()
        outlines += patch(name, f"regions-{level}", facecolor="none", edgecolor=colour, linewidth=width * px)
    _group(axes, "regions", outlines, zorder=3, clip=True)
    if shown.front:
        line = patch("front", facecolor="none", edgecolor=style.FRONT_COLOUR, linewidth=2.2 * px, capstyle="round")
        _group(axes, "front", line, zorder=4, clip=True)


def _deposit_layers(axes: Axes, points: pd.DataFrame, layout: Layout) -> None:
    """Draw the records by commodity group, lithium last (on top); occupied ones last within a group."""
    order = [key for key, *_r in style.COMMODITY_GROUPS if key != "lithium"] + ["lithium"]
    layers: list[Artist] = []
    for key in order:
        rows = points[points["group"] == key]
        if rows.empty:
            continue
        rows = rows.assign(rank=rows["control_status"].isin(schema.OCCUPIED_STATUSES))
        rows = rows.sort_values(["rank", "id"], kind="stable")
        collection = _markers(
            style.GROUP_SHAPES[key],
            rows[["x", "y"]].to_numpy(),
            fill=style.group_colour(key),
            statuses=list(rows["control_status"]),
            diameter_pt=_marker_diameter(key, layout),
            transform=axes.transData,
            scale=layout.symbol_scale,
        )
        collection.set_gid(f"deposits-{key}")
        layers.append(collection)
    _group(axes, "deposits", layers, zorder=6, clip=True)


def _scale_bar(
    axes: Axes, view: Box, *, metres_per_pt: float, points: pd.DataFrame, layout: Layout, words: Words
) -> Box:
    """Draw a scale bar in km in a lower corner of the map (the one that hides fewer records); return its box (metres)."""
    from matplotlib.patches import Rectangle  # noqa: PLC0415

    figure = _figure_of(axes)
    length_km = nice_length_km((view[2] - view[0]) / 1000.0)
    pad = 5.0 * metres_per_pt
    bar_w, bar_h = length_km * 1000.0, 2.2 * layout.symbol_scale * metres_per_pt
    label = _text(
        figure,
        0,
        0,
        f"{words.number(length_km, 0 if length_km >= 1 else 1)} {words('unit.km')}",
        transform=axes.transData,
        ha="center",
        va="bottom",
        fontsize=layout.legend_pt,
    )
    text_w, text_h = (v * 72 * metres_per_pt for v in _extent(label))
    box_w, box_h = max(bar_w, text_w) + 2 * pad, bar_h + text_h + 1.5 * metres_per_pt + 1.6 * pad
    corners = ("bl", "br", "bc", "tl", "tr")
    reach = _marker_diameter("lithium", layout) / 2 * metres_per_pt
    box_x, box_y, _x1, _y1 = _corner(view, (box_w, box_h), points, margin=1.4 * pad, corners=corners, reach=reach)
    bar_x, bar_y = box_x + (box_w - bar_w) / 2, box_y + 0.7 * pad
    label.set_position((bar_x + bar_w / 2, bar_y + bar_h + 1.5 * metres_per_pt))
    artists: list[Artist] = [
        Rectangle((box_x, box_y), box_w, box_h, facecolor="white", edgecolor="none", alpha=0.85),
        Rectangle((bar_x, bar_y), bar_w / 2, bar_h, facecolor="black", edgecolor="black", linewidth=0.5),
        Rectangle((bar_x + bar_w / 2, bar_y), bar_w / 2, bar_h, facecolor="white", edgecolor="black", linewidth=0.5),
        label,
    ]
    _group(axes, "scale-bar", artists, zorder=8)
    return (box_x, box_y, box_x + box_w, box_y + box_h)


def _labels(
    axes: Axes, data: _MapData, points: pd.DataFrame, obstacles: list[Box], layout: Layout
) -> tuple[list[PlacedLabel], list[str]]:
    """Label the lithium sites (and every named record on a regional map) where each fits; return placed, skipped."""
    from matplotlib.transforms import ScaledTranslation  # noqa: PLC0415

    figure = _figure_of(axes)
    dpi = layout.dpi
    to_px = axes.transData.transform
    chosen = points[(points["lithium"] | data.spec.label_all) & (points["name"].str.strip() != "")]
    ranked = chosen.assign(
        not_lithium=~chosen["lithium"],
        away=~chosen["here"],
        held=~chosen["control_status"].isin(schema.OCCUPIED_STATUSES),
    ).sort_values(["not_lithium", "away", "held", "id"], kind="stable")
    blocked = list(obstacles)
    if len(points):
        for (x, y), group in zip(to_px(points[["x", "y"]].to_numpy()), points["group"], strict=True):
            r = _marker_diameter(str(group), layout) / 2 * dpi / 72
            blocked.append((float(x) - r, float(y) - r, float(x) + r, float(y) + r))
    pad = LABEL_PAD_PT * dpi / 72
    ids = [str(v) for v in ranked["id"]]
    where = ranked[["x", "y"]].to_numpy(dtype=float)
    texts = [label_text(name) for name in ranked["name"]]
    sizes, anchors, gaps = [], [], []
    for text, (x, y), group in zip(texts, to_px(where) if len(where) else where, ranked["group"], strict=True):
        w, h = _extent(_text(figure, 0, 0, text, fontsize=layout.label_pt, linespacing=1.05))
        sizes.append((w * dpi + 2 * pad, h * dpi + 2 * pad))
        anchors.append((float(x), float(y)))
        gaps.append((_marker_diameter(str(group), layout) / 2 + 1.0) * dpi / 72)
    frame = axes.get_window_extent(_measurer(dpi))
    bounds = (frame.x0 + 1, frame.y0 + 1, frame.x1 - 1, frame.y1 - 1)
    boxes = place_labels(anchors, sizes, gaps, obstacles=blocked, bounds=bounds)
    artists: list[Artist] = []
    placed: list[PlacedLabel] = []
    skipped: list[str] = []
    backdrop = {"facecolor": "white", "edgecolor": "none", "alpha": LABEL_BOX_ALPHA}
    for rid, (x, y), text, anchor, box in zip(ids, where, texts, anchors, boxes, strict=True):
        if box is None:
            skipped.append(rid)
            continue
        offset = ScaledTranslation(
            (box[0] + pad - anchor[0]) / dpi, (box[1] + pad - anchor[1]) / dpi, figure.dpi_scale_trans
        )
        item = _text(
            figure,
            float(x),
            float(y),
            text,
            transform=axes.transData + offset,
            fontsize=layout.label_pt,
            linespacing=1.05,
            ha="left",
            va="bottom",
            bbox={"boxstyle": f"square,pad={LABEL_PAD_PT / layout.label_pt:.4f}", **backdrop},
        )
        artists.append(item)
        placed.append(PlacedLabel(rid, text, box))
    _group(axes, "labels", artists, zorder=7)
    return placed, skipped


def _locator(
    figure: Figure,
    geometry: PrintGeometry,
    *,
    spec: PrintSpec,
    view: Box,
    box: Box,
    layout: Layout,
    inset: bool = False,
) -> None:
    """Draw a small map of Ukraine in `box` (inches), the mapped region filled and the map's frame outlined.

    An inset (over the map) gets a white, framed background.
    """
    from matplotlib.patches import PathPatch, Rectangle  # noqa: PLC0415

    W, H = layout.width_in, layout.height_in  # noqa: N806
    aspect = (box[2] - box[0]) / (box[3] - box[1])
    cx0, cy0, cx1, cy1 = (float(v) for v in shapely.bounds(geometry.locator_country))
    extent = _view((min(cx0, view[0]), min(cy0, view[1]), max(cx1, view[2]), max(cy1, view[3])), aspect, margin=0.03)
    axes = figure.add_axes((box[0] / W, box[1] / H, (box[2] - box[0]) / W, (box[3] - box[1]) / H))
    axes.set_gid("locator")
    axes.set_xlim(extent[0], extent[2])
    axes.set_ylim(extent[1], extent[3])
    axes.set_autoscale_on(False)
    axes.set_zorder(1)
    if inset:
        axes.set_xticks([])
        axes.set_yticks([])
        axes.patch.set_alpha(0.9)
        for spine in axes.spines.values():
            spine.set_linewidth(0.5)
            spine.set_edgecolor("#888888")
    else:
        axes.set_axis_off()
    s = layout.symbol_scale
    artists: list[Artist] = []
    country = _path(geometry.locator_country, polygons=True)
    if country is not None:
        artists.append(
            PathPatch(country, facecolor=style.LOCATOR_FILL, edgecolor=style.LOCATOR_EDGE, linewidth=0.4 * s)
        )
    region = geometry.locator_regions.get(spec.frame) if spec.frame != schema.COUNTRY_ID else None
    highlight = None if region is None else _path(region, polygons=True)
    if highlight is not None:
        artists.append(
            PathPatch(highlight, facecolor=style.FOCUS_COLOUR, edgecolor=style.FOCUS_COLOUR, linewidth=0.3 * s)
        )
    frame = Rectangle((view[0], view[1]), view[2] - view[0], view[3] - view[1], facecolor="none")
    frame.set_edgecolor(style.FOCUS_COLOUR)
    frame.set_linewidth(0.8 * s)
    artists.append(frame)
    _group(axes, "locator-map", artists, zorder=2, clip=True)


def _corner(
    view: Box,
    size: tuple[float, float],
    points: pd.DataFrame,
    *,
    margin: float,
    corners: Sequence[str],
    frame: Box | None = None,
    avoid: Box | None = None,
    reach: float = 0.0,
) -> Box:
    """Choose where a box of `size` (metres) goes on the map: over the fewest records, then the least of `frame`.

    `corners` are tried in order of preference: ``bl``, ``bc``, ``br`` (bottom left, centre, right), ``tl``,
    ``tc``, ``tr``; a record counts where its point is within `reach` (metres: a marker's radius) of the box, a
    lithium site as ten; a place that overlaps `avoid` is not used.
    """
    xmin, ymin, xmax, ymax = view
    w, h = size
    xs = {"l": xmin + margin, "c": (xmin + xmax - w) / 2, "r": xmax - margin - w}
    ys = {"b": ymin + margin, "t": ymax - margin - h}
    weight = np.where(points["lithium"].to_numpy(dtype=bool), 10, 1)
    best: tuple[tuple[int, float], Box] | None = None
    for corner in corners:
        x0, y0 = xs[corner[1]], ys[corner[0]]
        box = (x0, y0, x0 + w, y0 + h)
        if avoid is not None and _overlaps(box, avoid):
            continue
        inside = points["x"].between(box[0] - reach, box[2] + reach) & points["y"].between(
            box[1] - reach, box[3] + reach
        )
        covered = int(weight[inside.to_numpy()].sum())
        overlap = 0.0 if frame is None else float(shapely.area(shapely.box(*box).intersection(shapely.box(*frame))))
        if best is None or (covered, overlap) < best[0]:
            best = ((covered, overlap), box)
    if best is None:
        x0, y0 = xs[corners[0][1]], ys[corners[0][0]]
        return (x0, y0, x0 + w, y0 + h)
    return best[1]


def _page_text(figure: Figure, layout: Layout, title: str, subtitle: str, credits: str) -> tuple[float, float]:
    """Draw the title, subtitle and credits; return the band left between them (bottom and top, inches)."""
    W, H, m = layout.width_in, layout.height_in, layout.margin_in  # noqa: N806
    width_pt = (W - 2 * m) * 72
    title_text = wrap_text(title, width_pt, layout.title_pt)
    heading = _text(figure, m, H - m, title_text, va="top", fontsize=layout.title_pt)
    top = H - m - _extent(heading)[1] - layout.title_pt * 0.3 / 72
    sub_text = wrap_text(subtitle, width_pt, layout.subtitle_pt)
    sub = _text(figure, m, top, sub_text, va="top", fontsize=layout.subtitle_pt, color=style.PRINT_NOTE_COLOUR)
    top -= _extent(sub)[1] + layout.subtitle_pt * 0.6 / 72
    _group(figure, "title", [heading, sub], zorder=5)
    credit_text = wrap_text(credits, width_pt, layout.credits_pt)
    line = _text(
        figure, m, m * 0.7, credit_text, va="bottom", fontsize=layout.credits_pt, color=style.PRINT_NOTE_COLOUR
    )
    bottom = m * 0.7 + _extent(line)[1] + layout.credits_pt * 0.8 / 72
    _group(figure, "credits", [line], zorder=5)
    return bottom, top


def _map_axes(figure: Figure, box: Box, view: Box, layout: Layout) -> Axes:
    W, H = layout.width_in, layout.height_in  # noqa: N806
    axes = figure.add_axes((box[0] / W, box[1] / H, (box[2] - box[0]) / W, (box[3] - box[1]) / H))
    axes.set_gid("map")
    axes.set_xlim(view[0], view[2])
    axes.set_ylim(view[1], view[3])
    axes.set_autoscale_on(False)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_facecolor(style.SEA_COLOUR)
    axes.patch.set_gid("sea")
    for spine in axes.spines.values():
        spine.set_linewidth(0.5)
        spine.set_edgecolor("#888888")
    return axes


def _draw(
    geometry: PrintGeometry,
    data: _MapData,
    layout: Layout,
    *,
    regions: gpd.GeoDataFrame,
    snapshot_date: str,
    words: Words,
) -> PrintMap:
    """Draw one map at one figure size."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    spec = data.spec
    figure = Figure(figsize=(layout.width_in, layout.height_in), dpi=layout.dpi, facecolor="white")
    share = regions.loc[spec.share_id]
    subtitle = words(
        "print.subtitle",
        name=_cut(_clean(_name(share.to_dict(), words)), NAME_MAX_CHARS),
        share=words.share(share["occupied_share"], 1),
        date=snapshot_date,
        credit=style.OCCUPATION_CREDIT,
    )
    credits = words("credits", credits=style.CREDITS_LINE)
    bottom, top = _page_text(figure, layout, words(f"map.title.{data.stem}"), subtitle, credits)

    arranged = _arrange(figure, geometry, data, layout, words, band=(bottom, top))
    _group(
        figure, "legend", _draw_legend(figure, arranged.plan, (arranged.panel[0], arranged.panel[3]), layout), zorder=5
    )
    view, map_box, shown = arranged.view, arranged.map_box, arranged.shown
    clip = clip_box(data.frame)  # the same for every figure size of a map, so that they share its paths
    if not _inside(view, clip):  # a figure far wider (or taller) than its frame region
        clip = _union(clip, view)
    axes = _map_axes(figure, map_box, view, layout)
    _base_layers(axes, geometry, spec=spec, shown=shown, clip=clip, scale=layout.symbol_scale)
    _deposit_layers(axes, shown.points, layout)
    metres_per_pt = (view[2] - view[0]) / ((map_box[2] - map_box[0]) * 72)
    scale_bar = _scale_bar(axes, view, metres_per_pt=metres_per_pt, points=shown.points, layout=layout, words=words)
    to_px = axes.transData.transform
    obstacles = [_px_box(to_px, scale_bar)]
    if arranged.locator is not None:
        _locator(figure, geometry, spec=spec, view=view, box=arranged.locator, layout=layout)
    elif spec.locator:  # an inset, in the map corner that hides the fewest records
        size = (layout.locator_in * 72 * metres_per_pt, layout.locator_in * 0.72 * 72 * metres_per_pt)
        inset = _corner(
            view,
            size,
            shown.points,
            margin=(view[2] - view[0]) * 0.01,
            corners=("tr", "tl", "br", "bl"),
            frame=data.frame,
            avoid=scale_bar,
            reach=_marker_diameter("lithium", layout) / 2 * metres_per_pt,
        )
        obstacles.append(_px_box(to_px, inset))
        (x0, y0), (x1, y1) = figure.dpi_scale_trans.inverted().transform(to_px([inset[:2], inset[2:]]))
        box = (float(x0), float(y0), float(x1), float(y1))
        _locator(figure, geometry, spec=spec, view=view, box=box, layout=layout, inset=True)
    placed, skipped = _labels(axes, data, shown.points, obstacles, layout)
    return PrintMap(figure, placed, skipped, [e.text for e in arranged.entries])


@dataclass(frozen=True)
class _Arranged:
    """Where a figure's parts go (inches) and what its map shows."""

    map_box: Box
    panel: Box
    locator: Box | None  # the locator's box in the panel; None for an inset (or none)
    view: Box  # metres
    shown: _Shown
    entries: list[_Entry]
    plan: _LegendPlan


def _arrange(
    figure: Figure, geometry: PrintGeometry, data: _MapData, layout: Layout, words: Words, *, band: tuple[float, float]
) -> _Arranged:
    """Divide the band between the title and the credits into the map and the panel, and plan the legend.

    Beside the map, the panel has the legend on top and the locator under it;
    under the map, the legend takes the height it needs and the map the rest.
    """
    W, m, gap = layout.width_in, layout.margin_in, 0.12  # noqa: N806
    bottom, top = band
    margin = FRAME_MARGIN if data.spec.frame != "lithium" else 0.0

    def boxes(panel_in: float) -> tuple[Box, Box]:
        """Return the map's box and the panel's."""
        if layout.panel == "right":
            return (m, bottom, W - m - panel_in - gap, top), (W - m - panel_in, bottom, W - m, top)
        return (m, bottom + panel_in + gap, W - m, top), (m, bottom, W - m, bottom + panel_in)

    def view_of(box: Box) -> Box:
        return _view(data.frame, (box[2] - box[0]) / (box[3] - box[1]), margin=margin)

    map_box, panel = boxes(layout.panel_in)
    shown = _shown(geometry, data.spec, data.points, view_of(map_box))
    entries = _legend_entries(words, shown, data.not_drawn)
    locator = None
    legend_h = panel[3] - panel[1]
    if data.spec.locator and layout.panel == "right":
        side = min(panel[2] - panel[0], (panel[3] - panel[1]) * 0.38)
        locator = (panel[0], panel[1], panel[2], panel[1] + side)
        legend_h -= side + gap
    plan = _plan_legend(figure, entries, panel[2] - panel[0], legend_h, layout)
    if layout.panel == "bottom":
        map_box, panel = boxes(min(plan.height_in, layout.panel_in))
        shown = _shown(geometry, data.spec, data.points, view_of(map_box))
        final = _legend_entries(words, shown, data.not_drawn)
        if final != entries:  # the map's final frame shows more or less than the first guess
            entries = final
            plan = _plan_legend(figure, entries, panel[2] - panel[0], panel[3] - panel[1], layout)
    return _Arranged(map_box, panel, locator, view_of(map_box), shown, entries, plan)


def _figure_of(axes: Axes) -> Figure:
    figure = axes.get_figure(root=True)
    if figure is None:
        msg = "the axes belong to no figure"
        raise ValueError(msg)
    return figure


def _px_box(to_px: Callable[[Any], np.ndarray], box: Box) -> Box:
    (x0, y0), (x1, y1) = to_px([box[:2], box[2:]])
    return (float(x0), float(y0), float(x1), float(y1))


def draw_print_map(
    geometry: PrintGeometry,
    key: str,
    *,
    layout: str,
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    snapshot_date: str,
    words: Words,
) -> PrintMap:
    """Draw one static map (`key` of `geo.schema.MAP_FILES`) at one figure size (`layout`, a key of `LAYOUTS`).

    Call it inside `print_style`, as `render_print_maps` does, for the fonts and the fixed output settings.

    Returns
    -------
    PrintMap
        The figure, the labels placed (boxes in pixels of the figure at its dpi) and the ids of those skipped.
    """
    spec = next(s for s in SPECS if s.key == key)
    data = _map_data(spec, geometry, deposits, _project(deposits.geometry, "deposits"), words)
    return _draw(geometry, data, LAYOUTS[layout], regions=regions, snapshot_date=snapshot_date, words=words)


# --- output --------------------------------------------------------------------------


@contextmanager
def print_style() -> Iterator[None]:
    """Apply the static maps' matplotlib settings, starting from matplotlib's defaults, and restore them after.

    All text is DejaVu Sans in one weight (regular; the titles are larger, not bold): each PDF then embeds two
    subsets of one font file (Latin-1 and the rest) rather than four, and subsetting fonts is most of a PDF's cost.
    """
    import matplotlib as mpl  # noqa: PLC0415

    with mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams.update(
            {
                "font.family": "DejaVu Sans",
                "text.hinting": "no_hinting",  # a third faster to draw, and the PNGs are at twice screen density
                "text.usetex": False,
                "text.parse_math": False,
                "svg.fonttype": "none",
                "svg.hashsalt": SVG_HASHSALT,
                "pdf.fonttype": 42,
                "hatch.linewidth": 0.5,
                "hatch.color": style.CONTESTED_COLOUR,
                "lines.scale_dashes": False,
                "path.simplify": True,
            }
        )
        yield


def save(figure: Figure, kind: str) -> bytes:
    """Save a figure as one kind of `geo.schema.PRINT_FILES` (``web``, ``card``, ``svg``, ``pdf``), metadata fixed."""
    buffer = io.BytesIO()
    if kind in ("web", "card"):
        # zlib level 1: as small as the default level here (flat colours), and faster.
        figure.savefig(
            buffer, format="png", dpi=figure.dpi, metadata={"Software": None}, pil_kwargs={"compress_level": 1}
        )
    elif kind == "svg":
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": PRODUCER})
    else:
        metadata = {"CreationDate": None, "ModDate": None, "Producer": PRODUCER, "Creator": PRODUCER}
        figure.savefig(buffer, format="pdf", metadata=metadata)
    return buffer.getvalue()


def render_print_maps(
    geometry: PrintGeometry,
    *,
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    snapshot_date: str,
    words: Words,
    keys: Sequence[str] | None = None,
    on_map: Callable[[str, str, PrintMap], None] | None = None,
) -> dict[str, bytes]:
    """Render the static maps in one language: a web PNG, a social card, an SVG and an A4 PDF per map.

    Parameters
    ----------
    geometry
        Built once per build from the same layers.
    regions
        Indexed by region id (the country row included); ``name_en``, ``name_uk``, ``occupied_share``.
    deposits
        Indexed by id, in `geo.schema.STORAGE_CRS`; ``name_en``, ``name_uk``, ``primary_commodity``,
        ``commodity_list``, ``control_status``, ``location_known``, ``region_ids``.  Records without a known
        site are not drawn (the legend counts them).
    snapshot_date
        The occupation snapshot's date: the one date the files carry.
    words
        The language's catalogue (`geo.i18n.words`); names come from its ``name_<lang>`` column, else ``name_en``.
    keys
        The maps to draw (keys of `geo.schema.MAP_FILES`); all six by default.
    on_map
        Called with (key, layout name, drawn map) once each figure is saved.

    Returns
    -------
    dict
        Path relative to the output folder (``print/<stem><suffix>``, `geo.schema.PRINT_FILES`) → bytes.
    """
    specs = [spec for spec in SPECS if keys is None or spec.key in keys]
    missing = sorted(
        {spec.share_id for spec in specs if spec.share_id not in regions.index}
        | {spec.frame for spec in specs if spec.frame != "lithium" and spec.frame not in geometry.frames}
    )
    if missing:
        msg = f"regions: no region {', '.join(missing[:10])}, which the static maps frame or state; check the boundary files"
        raise ValidationError(msg)
    metric = _project(deposits.geometry, "deposits")
    out: dict[str, bytes] = {}
    with print_style():
        for spec in specs:
            data = _map_data(spec, geometry, deposits, metric, words)
            for name, layout in LAYOUTS.items():
                drawn = _draw(geometry, data, layout, regions=regions, snapshot_date=snapshot_date, words=words)
                for kind, suffix in schema.PRINT_FILES.items():
                    if FILE_LAYOUT[kind] == name:
                        out[f"{schema.PRINT_DIR}/{data.stem}{suffix}"] = save(drawn.figure, kind)
                if on_map is not None:
                    on_map(spec.key, name, drawn)
    return out
