"""Projection, coverage cleaning and per-scale simplification: the geometry every map draws, in one place.

The HTML maps (`geo.webmap`), the static maps (`geo.printmap`) and the
refresh's drawability check (`check_drawable`) reduce their geometry here, with
one table of tolerances, `SCALES`: per map scale (`geo.catalogue.MapRecord.scale`)
and per medium, each value with the reason it is what it is
(`tolerances_markdown` renders the README's table from it).

The steps, each for both media:

- `project`: from the storage CRS (lon/lat) to a metric one, `geo.schema.DISTANCE_CRS`
  for the HTML maps and `geo.schema.PRINT_CRS` for the static maps (a missing or
  other input CRS raises);
- `clean_coverage`: the regions a map draws (`drawn_ids` names them: only those,
  so that regions no map draws cannot take area from them) made an exact coverage;
- `simplify` (Douglas-Peucker, each geometry alone) and `simplify_coverage`
  (a cleaned coverage, each shared edge once, so that neighbours keep one border);
- `to_lonlat`: back to lon/lat for the HTML maps, repaired and snapped to a grid.

The time slider's changes between any two of its dates are here too: `slider_overlay` cuts its dates' occupied
areas into pieces at full detail, `overlay_km2` measures them per region, `overlay_real` tells the changes of
control from DeepState's redraws and `slider_pieces` simplifies what the slider draws.

The frames the maps fit are here too (`frame_bounds`; the lithium map's is
`lithium_frame`, with one margin in metres), and the views of the time slider
and of the static maps that the drawability check needs (`map_views`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import catalogue, schema, stats
from geo.catalogue import MapRecord
from geo.errors import ValidationError

#: A box: (x0, y0, x1, y1): (west, south, east, north) in lon/lat, or metres, or pixels, as the context says.
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Tolerance:
    """A simplification tolerance (metres) and why it is what it is, in its medium."""

    metres: float
    reason: str


@dataclass(frozen=True)
class Scale:
    """How finely the maps of one scale draw their geometry, per medium."""

    web: Tolerance  # HTML maps: region outlines (as a coverage), occupied areas, line of contact, Ukraine
    printed: Tolerance  # static maps (PNG, card, SVG, A4 PDF): the same layers
    slider: Tolerance  # HTML time slider: each past date's occupied area
    base: Tolerance  # the base map's land and neighbouring countries, HTML and static maps
    decimals: int  # lon/lat decimals of the HTML maps' occupied areas, line of contact and Ukraine
    region_decimals: int  # of their region outlines: a coarser grid would open gaps where neighbours meet
    slider_decimals: int  # of the time slider's areas
    slider_change: ChangeFilter  # which changes of control the time slider draws (`overlay_real`)


@dataclass(frozen=True)
class ChangeFilter:
    """The smallest difference between two dates' occupied areas the time slider draws as a change of control.

    DeepState redraws its lines from version to version; the redraw leaves thin slivers between two dates' areas
    that are no change of control.  A piece narrower than `width_m` (metres, `geo.schema.DISTANCE_CRS`: an
    opening, a buffer in by half of it and out again) or smaller than `km2` (`geo.schema.AREA_CRS`) is dropped.
    """

    width_m: float
    km2: float
    reason: str


#: Measured on the shipped data (Donetsk oblast's slider view, occupied on 2024-08-31 and not on 2026-08-22): 87
#: pieces, 21.4 km² in all, 82 of them under 1 km²; an opening of 200 m leaves 18, of which 5 (11.9 km²) are of
#: 1 km² or more.  Occupied now and not then: 137 pieces, 117 under 1 km²; 20 are left (7,138 of 7,152 km²).
_REDRAW = "DeepState's redraws shift its lines by tens of metres to about 100 m from version to version"
#: One map scale per kind of frame: Ukraine (and the lithium sites), an oblast, a raion or smaller.  Web zooms are
#: Leaflet's at 48.5° N (zoom 8: 405 m a CSS pixel); the maps open at zoom 5 (overview), 7-8 (oblasts, lithium)
#: and 9 (Pokrovsk) on a 1400 x 900 screen.  Print scales are those of the A4 PDF's map (197 mm wide), the
#: largest of the four figures: 0.1 mm there is less than a pixel of the PNGs.
SCALES: Final = {
    "country": Scale(
        web=Tolerance(400.0, "about a pixel at zoom 8 (405 m), the deepest the country maps are meant for (an oblast fills the screen); they open at zoom 5-7"),
        printed=Tolerance(400.0, "0.15 mm on the lithium map's A4 page (1:2.7M), the largest scale of the kind; 0.06 mm on the overview's (1:7.3M)"),
        slider=Tolerance(1500.0, "about a pixel at zoom 6 (1,620 m), one past the overview's opening zoom: every date's area is in the page"),
        base=Tolerance(2000.0, "context: 1.2 pixels at zoom 6; 0.3 mm on the overview's A4 page, 0.7 mm on the lithium map's"),
        decimals=3,
        region_decimals=4,
        slider_decimals=3,
        slider_change=ChangeFilter(200.0, 1.0, f"{_REDRAW}; 1 km² is under a pixel at zoom 6 (1.6 km), where the overview's slider is watched"),
    ),
    "oblast": Scale(
        web=Tolerance(25.0, "a pixel at zoom 12 (25 m), four past the oblast maps' opening zoom (7-8): a hromada fills the screen"),
        printed=Tolerance(50.0, "0.2 mm on the largest-scale A4 page of the kind, Kyiv city's (1:260k, made with --map); 0.03-0.04 mm on the three oblast maps' (1:1.3M-1:1.7M)"),
        slider=Tolerance(150.0, "a pixel at zoom 9.5 (143 m), 1.5-2.5 past the opening zoom, where the slider is watched; every date's area is in the page"),
        base=Tolerance(500.0, "context beyond the frame: 1.2 pixels at zoom 8; 0.3-0.4 mm on the A4 pages"),
        decimals=5,
        region_decimals=5,
        slider_decimals=4,
        slider_change=ChangeFilter(200.0, 1.0, f"{_REDRAW}; a village is 1-2 km across, 1 km² is 7 x 7 pixels at zoom 9.5"),
    ),
    "local": Scale(
        web=Tolerance(5.0, "a pixel at zoom 14 (6.3 m), five past Pokrovsk's opening zoom 9: a town's streets"),
        printed=Tolerance(10.0, "0.2 mm on the largest-scale A4 page of the kind, a city's (1:48k, made with --map); 0.05 mm on a hromada's (1:220k), 0.02 mm on Pokrovsk's (1:550k)"),
        slider=Tolerance(50.0, "a pixel at zoom 11 (51 m), two past Pokrovsk's opening zoom"),
        base=Tolerance(500.0, "as on the oblast maps: only land and neighbours beyond the frame (no coast or foreign border in Pokrovsk's)"),
        decimals=5,
        region_decimals=5,
        slider_decimals=4,
        slider_change=ChangeFilter(100.0, 0.1, f"{_REDRAW}; at a town's scale 0.1 km² is a few blocks (6 x 6 pixels at zoom 11)"),
    ),
}  # fmt: skip
#: The static maps' locator of Ukraine (and of the mapped region in it).
LOCATOR: Final = Tolerance(3000.0, "about a pixel of the PNG's locator (3.4 km), 0.16 mm of the A4 page's (1:18.5M)")
#: Lon/lat decimals of the HTML base map (land and neighbouring countries).
BASE_DECIMALS: Final = 3
#: How far around the located lithium records the lithium map's frame reaches (metres, in `geo.schema.PRINT_CRS`).
LITHIUM_MARGIN_M: Final = 70_000.0
#: How far beyond a map's frame the time slider draws past occupied areas (degrees).
SLIDER_MARGIN_DEG: Final = 2.0


def _grid(decimals: int) -> str:
    """Describe a lon/lat grid: its step in degrees and in metres at 48.5° N (north-south × east-west)."""
    step = 10.0**-decimals
    sides = [f"{m:,.0f}" if m >= 10 else f"{m:.1f}" for m in (step * 111_200, step * 73_700)]
    return f"{step:.{decimals}f}° ({sides[0]} × {sides[1]} m)"


def tolerances_markdown() -> str:
    """Render the README's table of tolerances: per scale and medium, the tolerance, the grid and the reason."""
    rows = ["| scale | medium | tolerance | lon/lat grid | why |", "| --- | --- | ---: | --- | --- |"]
    for name, s in SCALES.items():
        outlines = f"; outlines {_grid(s.region_decimals)}" if s.region_decimals != s.decimals else ""
        media = (
            ("HTML maps", s.web, _grid(s.decimals) + outlines),
            ("static maps", s.printed, "—"),
            ("HTML time slider", s.slider, _grid(s.slider_decimals)),
            ("base map (both)", s.base, f"HTML {_grid(BASE_DECIMALS)}"),
        )
        for medium, tolerance, grid in media:
            rows.append(f"| {name} | {medium} | {tolerance.metres:,.0f} m | {grid} | {tolerance.reason} |")
    rows.append(f"| all | static maps' locator | {LOCATOR.metres:,.0f} m | — | {LOCATOR.reason} |")
    return "\n".join(rows) + "\n"


# --- the steps ---------------------------------------------------------------------------


def project(geoms: gpd.GeoSeries, crs: str = schema.DISTANCE_CRS, *, what: str = "geometry") -> gpd.GeoSeries:
    """Reproject lon/lat geometries to a metric CRS (`geo.schema.DISTANCE_CRS` or `geo.schema.PRINT_CRS`).

    Raises
    ------
    geo.errors.ValidationError
        `geoms` are not in `geo.schema.STORAGE_CRS` (`what` names them).
    """
    _check_storage(geoms, what)
    return geoms.to_crs(crs)


def _check_storage(geoms: gpd.GeoSeries, what: str) -> None:
    if geoms.crs is None or not geoms.crs.equals(schema.STORAGE_CRS):
        msg = f"{what}: expected CRS {schema.STORAGE_CRS}, got {geoms.crs}; reproject it with .to_crs() first"
        raise ValidationError(msg)


def _array(metric: gpd.GeoSeries) -> np.ndarray:
    """Return the geometries as a shapely array; they must be in a metric CRS (tolerances are metres)."""
    if metric.crs is None or not metric.crs.is_projected:
        msg = f"expected geometry in a metric CRS ({schema.DISTANCE_CRS} or {schema.PRINT_CRS}), got {metric.crs}"
        raise ValidationError(msg)
    return np.asarray(metric.array, dtype=object)


def clean_coverage(metric: gpd.GeoSeries) -> gpd.GeoSeries:
    """Make polygons that tile an area an exact coverage (``shapely.coverage_clean``).

    Where the boundary files overlap, the overlap goes to the smaller region
    (so that an enclave or a city keeps its whole shape); vertices along shared
    edges are made identical; gaps are kept.  Clean only the regions drawn
    together (`drawn_ids`): a region drawn on no map would take area from them.
    """
    geoms = _array(metric)
    if len(geoms) == 0:
        return metric
    if shapely.geos_version < (3, 14, 0):  # coverage_clean needs GEOS 3.14 (shapely's own wheels bring it)
        clean = shapely.make_valid(geoms)
    else:
        # GEOS may leave the floating-point "invalid" flag set, which numpy reports as a RuntimeWarning: seen once
        # on the shipped layers, not again in 240 runs, every build's bytes the same; the flag is no error of ours
        with np.errstate(invalid="ignore"):
            clean = shapely.coverage_clean(geoms, merge_strategy="min_area")  # type: ignore[attr-defined]
    return gpd.GeoSeries(clean, index=metric.index, crs=metric.crs)


def simplify(metric: gpd.GeoSeries, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify each geometry on its own (Douglas-Peucker, topology kept): no vertex moves more than `tolerance_m`."""
    simple = shapely.simplify(_array(metric), tolerance_m, preserve_topology=True)
    return gpd.GeoSeries(simple, index=metric.index, crs=metric.crs)


def simplify_coverage(clean: gpd.GeoSeries, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify a coverage from `clean_coverage` as one: each edge two neighbours share is simplified once.

    Neighbours then neither overlap nor open gaps, as they would if each
    polygon were simplified on its own (``shapely.coverage_simplify``,
    Visvalingam-Whyatt, the outer boundary too).
    """
    geoms = _array(clean)
    if len(geoms) == 0:
        return clean
    simple = shapely.coverage_simplify(geoms, tolerance_m, simplify_boundary=True)
    return gpd.GeoSeries(simple, index=clean.index, crs=clean.crs)


def to_lonlat(metric: gpd.GeoSeries, decimals: int) -> gpd.GeoSeries:
    """Reproject to lon/lat, repair what reprojection crossed, snap to a ``10**-decimals`` grid; drop empty results.

    Snapping moves a vertex two neighbours share the same way in both.
    """
    lonlat = np.asarray(metric.to_crs(schema.STORAGE_CRS).array, dtype=object)
    present = ~shapely.is_missing(lonlat)
    invalid = present & ~shapely.is_valid(lonlat)
    # GEOS refuses to snap rings that touch or cross ("side location conflict"); keep_collapsed=False keeps
    # a polygon's result polygonal
    with np.errstate(invalid="ignore"):  # coordinates that did not reproject are NaN; GEOS says so, not numpy
        lonlat[invalid] = shapely.make_valid(lonlat[invalid], method="structure", keep_collapsed=False)
    snapped = shapely.set_precision(lonlat, 10.0**-decimals)
    keep = ~shapely.is_missing(snapped) & ~shapely.is_empty(snapped)
    return gpd.GeoSeries(snapped[keep], index=metric.index[keep], crs=schema.STORAGE_CRS)


def simplify_for_web(geoms: gpd.GeoSeries, *, tolerance_m: float, decimals: int) -> gpd.GeoSeries:
    """Simplify lon/lat geometries each on its own in `geo.schema.DISTANCE_CRS`, back to lon/lat on a grid.

    Returns
    -------
    geopandas.GeoSeries
        Indexed like `geoms` (minus empty results), storage CRS; no vertex is
        more than `tolerance_m` plus half a grid cell from the original line.
    """
    return to_lonlat(simplify(project(geoms), tolerance_m), decimals)


def simplify_coverage_for_web(geoms: gpd.GeoSeries, *, tolerance_m: float, decimals: int) -> gpd.GeoSeries:
    """Clean and simplify lon/lat polygons that tile an area as one coverage, back to lon/lat on a grid."""
    return to_lonlat(simplify_coverage(clean_coverage(project(geoms)), tolerance_m), decimals)


def clip(metric: gpd.GeoSeries, box: Box | None) -> gpd.GeoSeries:
    """Clip each geometry to `box` (None: keep it whole), e.g. to where the static maps of a scale look."""
    if box is None:
        return metric
    return gpd.GeoSeries(shapely.clip_by_rect(_array(metric), *box), index=metric.index, crs=metric.crs)


def clip_pieces(geom: shapely.Geometry, within: shapely.Geometry) -> shapely.Geometry:
    """Cut `geom` (many small polygons) to `within` (one large one): only pieces crossing its edge are intersected.

    A piece wholly inside is kept as it is; one crossing the edge is intersected with `within` clipped to the
    piece's box, so a country's full outline is never intersected with the whole of `geom`.
    """
    pieces = shapely.get_parts(geom)
    if len(pieces) == 0:
        return geom
    shapely.prepare(within)
    inside = shapely.contains_properly(within, pieces)
    kept = list(pieces[inside])
    for piece in pieces[~inside]:
        if shapely.intersects(within, piece):
            xmin, ymin, xmax, ymax = shapely.bounds(piece)
            kept.append(shapely.intersection(shapely.clip_by_rect(within, xmin, ymin, xmax, ymax), piece))
    polygons = [p for g in kept for p in shapely.get_parts(g) if shapely.get_type_id(p) == shapely.GeometryType.POLYGON]
    return shapely.MultiPolygon(polygons) if polygons else shapely.MultiPolygon()


def line_parts(geoms: Sequence[shapely.Geometry] | np.ndarray) -> shapely.Geometry:
    """Return the lines of `geoms` as one MultiLineString (polygons and points dropped)."""
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    kinds = shapely.get_type_id(parts)
    lines = parts[np.isin(kinds, (shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING))]
    return cast("shapely.Geometry", shapely.multilinestrings(lines))


def occupation_layers(
    parts: gpd.GeoDataFrame, front: gpd.GeoSeries, contested: shapely.Geometry | None
) -> gpd.GeoSeries:
    """Return what the maps draw of a snapshot: the occupied parts (by part), ``front`` and ``contested``.

    Returns
    -------
    geopandas.GeoSeries
        Storage CRS; indexed by part (`geo.schema.OCCUPIED_BEFORE_2022`,
        `geo.schema.OCCUPIED_SINCE_2022`), then ``front`` (every line of the
        line of contact, one MultiLineString) and ``contested`` (the grey zone,
        left out where there is none).
    """
    _check_storage(parts.geometry, "parts")
    _check_storage(front, "front")
    pieces = [*parts.geometry.to_numpy(), line_parts(front.to_numpy())]
    index = [*parts.index.astype(str), "front"]
    if contested is not None and not shapely.is_empty(contested):
        pieces.append(contested)
        index.append("contested")
    return gpd.GeoSeries(pieces, index=index, crs=schema.STORAGE_CRS)


# --- what the maps draw, and where --------------------------------------------------------


def drawn_ids(regions: pd.DataFrame, drawn: Iterable[tuple[str, str]]) -> dict[str, pd.Index]:
    """Return level → the ids of its regions some map draws, in the order of `regions`.

    Parameters
    ----------
    regions
        Indexed by region id; column ``level``.
    drawn
        (level, id prefix) pairs: `geo.catalogue.Level` ``(level, within)`` of every map drawn.
    """
    wanted: dict[str, set[str]] = {}
    for level, prefix in drawn:
        wanted.setdefault(level, set()).add(prefix)
    ids = regions.index.astype(str)
    levels = regions["level"].astype(str).to_numpy()
    return {
        level: ids[(levels == level) & np.asarray(ids.str.startswith(tuple(sorted(prefixes))), dtype=bool)]
        for level, prefixes in sorted(wanted.items())
    }


def union_boxes(a: Box, b: Box) -> Box:
    """Return the smallest box holding `a` and `b`."""
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def widen(frame: Box, aspect: float, *, margin: float) -> Box:
    """Return `frame` widened by `margin` (share of its size) and to `aspect` (width / height), centred on it."""
    xmin, ymin, xmax, ymax = frame
    w, h = (xmax - xmin) * (1 + 2 * margin), (ymax - ymin) * (1 + 2 * margin)
    w, h = max(w, h * aspect, 1.0), max(h, w / aspect, 1.0)
    w = h * aspect  # exactly the aspect
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def clip_box(frame: Box) -> Box:
    """Return the box a static map framed on `frame` (metres) clips its geometry to: wider than any figure shows."""
    return widen(frame, 1.0, margin=1.0)


def region_frames(geoms: gpd.GeoSeries, maps: Iterable[MapRecord]) -> dict[str, Box]:
    """Return the bounds of every region a map of `maps` is framed on (in the CRS of `geoms`, indexed by id)."""
    frames: dict[str, Box] = {}
    for spec in maps:
        if spec.frame in geoms.index:
            xmin, ymin, xmax, ymax = (float(v) for v in shapely.bounds(geoms[spec.frame]))
            frames[spec.frame] = (xmin, ymin, xmax, ymax)
    return frames


def print_areas(maps: Iterable[MapRecord], frames: Mapping[str, Box]) -> dict[str, Box | None]:
    """Return, per scale, where its static maps look (metres): around their frames (`clip_box`); None: everywhere.

    The static maps clip a scale's geometry to this box before simplifying it,
    so that an oblast map does not simplify all of Ukraine at 50 m.
    """
    areas: dict[str, Box | None] = {}
    for spec in maps:
        box = clip_box(frames[spec.frame]) if spec.scale != "country" and spec.frame in frames else None
        known = areas.get(spec.scale, box)
        areas[spec.scale] = None if box is None or known is None else union_boxes(known, box)
    return areas


def lithium_sites(deposits: pd.DataFrame) -> np.ndarray:
    """Tell, per record, whether it is a located lithium record (one the lithium map is framed on)."""
    lithium = np.asarray(["lithium" in tuple(c) for c in deposits["commodity_list"]], dtype=bool)
    return lithium & deposits["location_known"].astype(bool).to_numpy()


def lithium_frame(deposits: gpd.GeoDataFrame, *, crs: str = schema.PRINT_CRS) -> Box | None:
    """Return the lithium map's frame in `crs`: the located lithium records and `LITHIUM_MARGIN_M` around them.

    The margin is measured in `geo.schema.PRINT_CRS`; in lon/lat the frame is
    the smallest box that holds that one.  None where no lithium record is located.
    """
    sites = lithium_sites(deposits)
    if not sites.any():
        return None
    xmin, ymin, xmax, ymax = (
        float(v)
        for v in project(gpd.GeoSeries(deposits.geometry[sites]), schema.PRINT_CRS, what="deposits").total_bounds
    )
    pad = LITHIUM_MARGIN_M
    frame = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    if crs == schema.PRINT_CRS:
        return frame
    outline = gpd.GeoSeries([shapely.segmentize(shapely.box(*frame), 1000.0)], crs=schema.PRINT_CRS)
    west, south, east, north = (float(v) for v in outline.to_crs(crs).total_bounds)
    if crs == schema.STORAGE_CRS:  # outwards to 0.00001° (about a metre), so that the HTML states short numbers
        west, south = (math.floor(v * 1e5) / 1e5 for v in (west, south))
        east, north = (math.ceil(v * 1e5) / 1e5 for v in (east, north))
    return (west, south, east, north)


def frame_bounds(spec: MapRecord, regions: gpd.GeoDataFrame, deposits: gpd.GeoDataFrame) -> Box:
    """Return the lon/lat box (west, south, east, north) a map fits: its region's bounds, or the lithium frame.

    The lithium map without located lithium records fits Ukraine.
    """
    rid = spec.frame
    if rid == catalogue.LITHIUM:
        frame = lithium_frame(deposits, crs=schema.STORAGE_CRS)
        if frame is not None:
            return frame
        rid = schema.COUNTRY_ID
    west, south, east, north = (float(v) for v in regions.geometry[rid].bounds)
    return (west, south, east, north)


def slider_view(bounds: Box) -> shapely.Geometry:
    """Return the lon/lat box the time slider draws past occupied areas in, around a map's `frame_bounds`."""
    west, south, east, north = bounds
    m = SLIDER_MARGIN_DEG
    return shapely.box(west - m, south - m, east + m, north + m)


@dataclass(frozen=True)
class Views:
    """Where the maps draw a snapshot: what `check_drawable` needs to take each renderer's steps."""

    slider: dict[str, tuple[str, shapely.Geometry]]  # time-slider map id → (scale, `slider_view`)
    printed: dict[str, Box | None]  # scale → `print_areas` (metres, `geo.schema.PRINT_CRS`)


def map_views(
    regions: gpd.GeoDataFrame, deposits: gpd.GeoDataFrame, maps: Sequence[MapRecord] = catalogue.MAPS
) -> Views:
    """Return where `maps` draw a snapshot (regions indexed by id, lon/lat; deposits as the build reads them)."""
    slider = {spec.id: (spec.scale, slider_view(frame_bounds(spec, regions, deposits))) for spec in maps if spec.slider}
    framed = sorted({spec.frame for spec in maps if spec.frame in regions.index})
    chosen = gpd.GeoSeries(regions.geometry.loc[framed])
    frames = region_frames(project(chosen, schema.PRINT_CRS, what="regions"), maps)
    return Views(slider, print_areas(maps, frames))


def slider_geometry(geoms: Sequence[shapely.Geometry], *, view: shapely.Geometry, scale: str) -> gpd.GeoSeries:
    """Run the time slider's geometry step: clip each date's occupied area to `view`, simplify, snap.

    Returns
    -------
    geopandas.GeoSeries
        The polygonal results, indexed by position in `geoms`, lon/lat on the slider's grid of `scale`.
    """
    s = SCALES[scale]
    clipped = gpd.GeoSeries(shapely.intersection(np.asarray(geoms, dtype=object), view), crs=schema.STORAGE_CRS)
    simple = simplify_for_web(clipped, tolerance_m=s.slider.metres, decimals=s.slider_decimals)
    polygonal = np.isin(shapely.get_type_id(simple.to_numpy()), _POLYGONAL)
    return gpd.GeoSeries(simple[polygonal])


_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def slider_changes(
    geoms: Sequence[shapely.Geometry],
    now: shapely.Geometry,
    *,
    scale: str,
    view: shapely.Geometry | None = None,
    grey: shapely.Geometry | None = None,
) -> tuple[list[shapely.Geometry], list[shapely.Geometry]]:
    """Return, for each past date's occupied area, what was occupied then and is not now, and what was taken since.

    Both are measured against `now` (the map's own snapshot) within `view` (None: everywhere), lon/lat at full
    detail; land in `grey` (the grey zone now, where the snapshot has one) is not "no longer occupied".  Pieces
    that are no change of control but a redraw of DeepState's lines are dropped (`SCALES` [scale]
    ``.slider_change``: `drop_slivers`).
    """
    here = now if view is None else shapely.intersection(now, view)
    not_free = here if grey is None or shapely.is_empty(grey) else shapely.union(here, grey)
    then = np.asarray(list(geoms), dtype=object)
    if view is not None:
        then = shapely.intersection(then, view)
    keep = SCALES[scale].slider_change
    return drop_slivers(shapely.difference(then, not_free), keep), drop_slivers(shapely.difference(here, then), keep)


def drop_slivers(geoms: np.ndarray, keep: ChangeFilter) -> list[shapely.Geometry]:
    """Drop from each lon/lat geometry the parts narrower than ``keep.width_m`` or smaller than ``keep.km2``.

    The width is an opening in `geo.schema.DISTANCE_CRS` (in by half the width, out again: corners sharper than
    that are rounded, and the arcs' chords may reach up to 2 % of half the width, 2 m, beyond the original, under
    the slider's grid); the area is measured in `geo.schema.AREA_CRS`.  Returns one (Multi)Polygon per geometry,
    empty where nothing is left.
    """
    if len(geoms) == 0:
        return []
    metric = _array(project(gpd.GeoSeries(geoms, crs=schema.STORAGE_CRS), what="slider changes"))
    half = keep.width_m / 2
    opened = shapely.buffer(shapely.buffer(metric, -half), half)
    parts, owner = shapely.get_parts(opened, return_index=True)  # a collection may hold a multipolygon: twice
    parts, within = shapely.get_parts(parts, return_index=True)
    owner = owner[within]
    polygons = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, owner = parts[polygons], owner[polygons]
    km2 = gpd.GeoSeries(parts, crs=schema.DISTANCE_CRS).to_crs(schema.AREA_CRS).area.to_numpy() / 1e6
    big = km2 >= keep.km2
    lonlat = np.asarray(gpd.GeoSeries(parts[big], crs=schema.DISTANCE_CRS).to_crs(schema.STORAGE_CRS).array)
    owner = owner[big]
    return [shapely.multipolygons(lonlat[owner == i]) for i in range(len(geoms))]


#: The grid (metres, `geo.schema.AREA_CRS`) the time slider's changes are noded on before they are cut into
#: pieces (`slider_overlay`).  Snap-rounding makes the noding robust: GEOS's own noding of DeepState's redrawn
#: lines fails to converge, or leaves faces open.  It moves a vertex by half a millimetre at most; on the shipped
#: data each date's area the pieces add up to stays within 0.0001 km² of the area measured whole.
OVERLAY_GRID_M: Final = 0.001


@dataclass(frozen=True)
class Overlay:
    """The time slider's dates' occupied areas cut into disjoint pieces, each with the dates it is occupied on.

    Only the pieces occupied on some of the dates and not on others are kept: the rest is the same at any two
    dates.  `patterns` are the distinct sets of dates, each written as the positions at which it toggles
    (occupied from the first on, not from the second on, and so on: ``(0,)`` every date, ``(2, 4)`` the third and
    fourth, ``(0, 1, 3)`` all but the second).
    """

    faces: np.ndarray  # polygons in `geo.schema.AREA_CRS`
    pattern: np.ndarray  # int per face: its position in `patterns`
    patterns: list[tuple[int, ...]]
    grey: np.ndarray  # bool per face: in the grey zone on the last date
    steps: list[shapely.Geometry]  # per two neighbouring dates (k - 1, k): the ground that changed (AREA_CRS)

    def occupied(self, date: int) -> np.ndarray:
        """Tell, per pattern, whether it is occupied on the date at position `date`."""
        return np.array([sum(t <= date for t in p) % 2 == 1 for p in self.patterns], dtype=bool)


def slider_overlay(geoms: Sequence[shapely.Geometry], *, grey: shapely.Geometry | None = None) -> Overlay:
    """Cut the occupied areas of the time slider's dates (lon/lat, in date order) into pieces at full detail.

    The changes between neighbouring dates (`geo.stats.polygon_changes`, in `geo.schema.AREA_CRS`, where the
    history measures its km²) are noded together (on `OVERLAY_GRID_M`), with the outline of `grey` (the grey zone
    on the last date) when given, and cut into faces; each face is occupied on a date where a point inside it is.
    Between any two dates the ground occupied on one and not on the other is then a set of whole faces.
    """
    series = gpd.GeoSeries(list(geoms), crs=schema.STORAGE_CRS)
    metric = np.asarray(project(series, schema.AREA_CRS, what="slider dates").array, dtype=object)
    steps: list[shapely.Geometry] = []
    for old, new in itertools.pairwise(metric):
        gained, lost = stats.polygon_changes(old, new)
        steps.append(cast("shapely.Geometry", shapely.multipolygons(np.concatenate([gained, lost]))))
    lines = list(shapely.get_parts(shapely.boundary(np.asarray(steps, dtype=object))))
    area_grey = None
    if grey is not None and not shapely.is_empty(grey):
        area_grey = project(gpd.GeoSeries([grey], crs=schema.STORAGE_CRS), schema.AREA_CRS, what="grey zone").iloc[0]
        lines += list(shapely.get_parts(shapely.boundary(shapely.get_parts(area_grey))))
    empty = Overlay(np.zeros(0, dtype=object), np.zeros(0, dtype=int), [], np.zeros(0, dtype=bool), steps)
    if not lines:
        return empty
    noded = shapely.union_all(np.asarray(lines, dtype=object), grid_size=OVERLAY_GRID_M)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.area(faces) > 0]
    points = shapely.get_coordinates(shapely.point_on_surface(faces))
    member = np.zeros((len(faces), len(metric)), dtype=bool)
    for k, geom in enumerate(shapely.make_valid(metric)):
        shapely.prepare(geom)
        member[:, k] = shapely.contains_xy(geom, points[:, 0], points[:, 1])
    varies = member.any(axis=1) & ~member.all(axis=1)
    faces, member, points = faces[varies], member[varies], points[varies]
    if not len(faces):
        return empty
    toggles = member != np.pad(member, ((0, 0), (1, 0)))[:, :-1]
    unique, pattern = np.unique(toggles, axis=0, return_inverse=True)
    in_grey = np.zeros(len(faces), dtype=bool)
    if area_grey is not None:
        shapely.prepare(area_grey)
        in_grey = shapely.contains_xy(area_grey, points[:, 0], points[:, 1])
    patterns = [tuple(int(t) for t in np.flatnonzero(row)) for row in unique]
    return Overlay(faces, np.asarray(pattern, dtype=int).ravel(), patterns, in_grey, steps)


def _clipped_intersection(large: np.ndarray, small: np.ndarray) -> np.ndarray:
    """Intersect each of `large` with the one of `small` beside it, cut to the small one's box first (far faster)."""
    cut = [shapely.clip_by_rect(g, *box) for g, box in zip(large, shapely.bounds(small), strict=True)]
    return shapely.intersection(np.asarray(cut, dtype=object), small)


def _valid(geoms: np.ndarray) -> np.ndarray:
    """Repair, in place, what reprojection made invalid (a thin part crossed over itself), which GEOS rejects."""
    invalid = ~shapely.is_valid(geoms)
    geoms[invalid] = shapely.make_valid(geoms[invalid])
    return geoms


def _faces_within(shapes: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measure each face's area within each shape it meets: (shape index, face index, m²) per meeting pair.

    A face wholly inside a shape adds its own area; one across the shape's edge is intersected.
    """
    shapely.prepare(shapes)
    shape, face = shapely.STRtree(faces).query(shapes, predicate="intersects")
    inside = shapely.contains_properly(shapes[shape], faces[face])
    areas = np.where(inside, shapely.area(faces[face]), 0.0)
    crossing = np.flatnonzero(~inside)
    areas[crossing] = shapely.area(_clipped_intersection(shapes[shape[crossing]], faces[face[crossing]]))
    return shape, face, areas


def overlay_km2(overlay: Overlay, regions: Sequence[shapely.Geometry]) -> np.ndarray:
    """Measure how much of each region (lon/lat) each pattern of `overlay` covers: km², regions × patterns.

    Measured as the history measures its regions (`geo.stats.occupied_km2_over_time`), in `geo.schema.AREA_CRS`
    at full detail: a piece wholly inside a region adds its own area, one across its edge is intersected.
    """
    out = np.zeros((len(regions), len(overlay.patterns)))
    if not len(regions) or not len(overlay.faces):
        return out
    series = gpd.GeoSeries(list(regions), crs=schema.STORAGE_CRS)
    geoms = np.asarray(project(series, schema.AREA_CRS, what="regions").array, dtype=object)
    region, face, areas = _faces_within(_valid(geoms), overlay.faces)
    np.add.at(out, (region, overlay.pattern[face]), areas / 1e6)
    return out


def overlay_real(overlay: Overlay, keep: ChangeFilter) -> np.ndarray:
    """Tell, per piece of `overlay` and date, whether the piece changed control on coming to that date.

    A piece changed control between two neighbouring dates where at least half of it lies in what changed between
    them once the slivers of DeepState's redraws are dropped (`drop_slivers` with `keep`).  Returns booleans,
    pieces × dates; the first date's column is all false (nothing comes before it).
    """
    real = np.zeros((len(overlay.faces), len(overlay.steps) + 1), dtype=bool)
    if not len(overlay.faces) or not overlay.steps:
        return real
    lonlat = gpd.GeoSeries(overlay.steps, crs=schema.AREA_CRS).to_crs(schema.STORAGE_CRS)
    kept = gpd.GeoSeries(drop_slivers(np.asarray(lonlat.array, dtype=object), keep), crs=schema.STORAGE_CRS)
    changes, step = shapely.get_parts(np.asarray(kept.to_crs(schema.AREA_CRS).array, dtype=object), return_index=True)
    if not len(changes):
        return real
    change, face, areas = _faces_within(_valid(changes), overlay.faces)
    within = np.zeros(real.shape)
    np.add.at(within, (face, step[change] + 1), areas)
    return within >= 0.5 * shapely.area(overlay.faces)[:, None]


#: A piece the time slider draws: (pattern, which of its toggles are changes of control (their positions in the
#: pattern), in the grey zone on the last date, lon/lat area).
Piece = tuple[int, tuple[int, ...], bool, shapely.Geometry]


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """Return the polygons of `geom`: a clip can leave lines or points on the clipping edge beside them."""
    if shapely.get_type_id(geom) in _POLYGONAL:
        return geom
    parts = shapely.get_parts(geom)
    polygons = parts[np.isin(shapely.get_type_id(parts), _POLYGONAL)]
    return shapely.union_all(polygons) if len(polygons) else shapely.Polygon()


def slider_pieces(
    overlay: Overlay, real: np.ndarray, *, view: shapely.Geometry, scale: str, smallest_km2: float | None = None
) -> list[Piece]:
    """Return the pieces of `overlay` that ever changed control (`overlay_real`) as the time slider draws them.

    Between two dates the slider draws a piece where it differs, if one of its toggles between them is a change
    of control (not a redraw).  The pieces of one pattern, with the same such toggles and grey zone or not, are
    merged, clipped to `view` and simplified as one coverage at the slider's tolerance of `scale`
    (`simplify_coverage`: neighbours keep their common edge, so that the pieces of one change meet without a
    crack), then put on the slider's lon/lat grid.  Parts smaller than `smallest_km2` are left out; by default
    than both a pixel at the zoom the slider is watched (the slider's tolerance squared) and the smallest change
    the scale draws (``slider_change.km2``): 1 km² on the maps of all Ukraine (where the pieces of one change of
    control split by their earlier history are small), 0.0225 km² on an oblast's, 0.0025 km² on a raion's.  Each
    shell runs counter-clockwise and each hole clockwise, so that one fill of many pieces does not cancel out where
    two overlap by a grid cell.
    """
    groups: dict[tuple[int, tuple[int, ...], bool], list[int]] = {}
    for f, p in enumerate(overlay.pattern):
        changes = tuple(k for k, t in enumerate(overlay.patterns[p]) if real[f, t])
        if changes:
            groups.setdefault((int(p), changes, bool(overlay.grey[f])), []).append(f)
    if not groups:
        return []
    keys = sorted(groups)
    merged = [shapely.union_all(overlay.faces[groups[key]]) for key in keys]
    lonlat = gpd.GeoSeries(merged, crs=schema.AREA_CRS).to_crs(schema.STORAGE_CRS)
    pieces = _valid(np.asarray(lonlat.to_numpy(), dtype=object))
    clipped = [_polygonal_part(g) for g in shapely.intersection(pieces, view)]
    lonlat = gpd.GeoSeries(clipped, index=lonlat.index, crs=lonlat.crs)
    lonlat = gpd.GeoSeries(lonlat[~lonlat.is_empty])
    s = SCALES[scale]
    coverage = to_lonlat(simplify_coverage(project(lonlat, what="slider pieces"), s.slider.metres), s.slider_decimals)
    simple = gpd.GeoSeries(coverage[np.isin(shapely.get_type_id(coverage.to_numpy()), _POLYGONAL)])
    if simple.empty:
        return []
    parts, owner = shapely.get_parts(simple.to_numpy(), return_index=True)
    km2 = gpd.GeoSeries(parts, crs=schema.STORAGE_CRS).to_crs(schema.AREA_CRS).area.to_numpy() / 1e6
    smallest = min(s.slider.metres**2 / 1e6, s.slider_change.km2) if smallest_km2 is None else smallest_km2
    big = km2 >= smallest
    out = []
    for k, position in enumerate(simple.index):
        chosen = parts[big & (owner == k)]
        if len(chosen):
            p, m, g = keys[position]
            out.append((p, m, g, shapely.orient_polygons(shapely.multipolygons(chosen), exterior_cw=False)))
    return out


def _finite(geoms: gpd.GeoSeries, what: str) -> None:
    """Raise ValueError where a coordinate is not a number: the HTML maps' encoding refuses it."""
    if not np.isfinite(shapely.get_coordinates(geoms.to_numpy())).all():
        msg = f"{what}: a coordinate did not survive reprojection (not a number)"
        raise ValueError(msg)


def check_drawable(
    parts: gpd.GeoDataFrame, front: gpd.GeoSeries, contested: shapely.Geometry | None, *, views: Views
) -> None:
    """Take every geometry step the maps take on one snapshot: both media's simplification at every scale, the slider's.

    The refresh runs this on every version it accepts, so that each stored
    snapshot is one the HTML and the static maps can draw.  Raises whatever
    GEOS raises (``shapely.errors.GEOSException``), or ValueError where a
    coordinate is lost; the caller names the file.
    """
    layers = occupation_layers(parts, front, contested)
    web = project(layers, schema.DISTANCE_CRS, what="snapshot")
    printed = project(layers, schema.PRINT_CRS, what="snapshot")
    for name, s in SCALES.items():
        _finite(to_lonlat(simplify(web, s.web.metres), s.decimals), f"{name} scale (HTML maps)")
        simplify(clip(printed, views.printed.get(name)), s.printed.metres)
    occupied = shapely.union_all(parts.geometry.to_numpy())
    for map_id, (scale, view) in views.slider.items():
        _finite(slider_geometry([occupied], view=view, scale=scale), f"time slider of {map_id}")
