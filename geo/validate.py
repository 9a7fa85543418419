"""Check the canonical frames before anything is computed from them.

Every ``check_*`` function collects all the problems it finds and raises one
`geo.errors.ValidationError` whose single-line message names the file, the
offending ids (first ten) and how to fix it.  Given a shared `Problems`
collector instead, a check only adds to it, so that a whole run can report
every problem of every file at once (``problems.raise_if_any()``).  Checks return None and never
change their input; `repair_geometries` is the one function that returns a
changed frame, and it reports what it changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo import i18n, schema
from geo.errors import ValidationError

_MAX_IDS = 10
#: The columns that tell one reserve figure from another: a source gives one figure per deposit, measure and
#: category.  The parts of a deposit (category_class ``component``) share them and are told apart by their quote,
#: which names the part (ZZRK's two ore bodies); reserves.csv has no other column that does.
_FIGURE_KEY: Final = ("deposit_id", "measure", "category", "source_url")


def format_ids(ids: Sequence[str]) -> str:
    """Return the first ten ids, comma-separated, with a count of the rest."""
    shown = ", ".join(str(i) for i in ids[:_MAX_IDS])
    rest = len(ids) - _MAX_IDS
    return f"{shown} (+{rest} more)" if rest > 0 else shown


@dataclass
class Problems:
    """Collects (file, what, ids, fix) problems across checks and raises them as one error."""

    items: list[tuple[str, str, list[str], str]] = field(default_factory=list)

    def add(self, source: str, what: str, ids: Iterable[Any], fix: str) -> None:
        """Record a problem found in `source` for `ids` (nothing if there are no ids)."""
        ids = [str(i) for i in ids]
        if ids:
            self.items.append((source, what, ids, fix))

    def raise_if_any(self) -> None:
        """Raise every recorded problem as one `ValidationError`; return if there are none."""
        if not self.items:
            return
        parts = []
        for source, what, ids, fix in self.items:
            prefix = f"{source}: " if source else ""
            parts.append(f"{prefix}{what}: {format_ids(ids)} ({fix})")
        count = len(self.items)
        head = f"{count} problem{'s' if count > 1 else ''}: " if count > 1 else ""
        raise ValidationError(head + "; ".join(parts))


def _is_storage_crs(crs: CRS | None) -> bool:
    if crs is None:
        return False
    return bool(crs.to_epsg() == 4326 or crs.equals(CRS.from_user_input("OGC:CRS84")))


def _check_vector(
    frame: gpd.GeoDataFrame, found: Problems, *, bbox: tuple[float, float, float, float] = schema.UKRAINE_BBOX
) -> bool:
    """Check CRS, presence and extent of geometries; return False if unusable."""
    source = str(frame.attrs.get("source", ""))
    if frame.crs is None:
        found.add(source, "no CRS", ["whole file"], f"store it in {schema.STORAGE_CRS} (WGS 84 lon/lat)")
        return False
    if not _is_storage_crs(frame.crs):
        found.add(
            source,
            f"CRS is {frame.crs.to_string()}, expected {schema.STORAGE_CRS}",
            ["whole file"],
            f"reproject it, e.g. ogr2ogr -t_srs {schema.STORAGE_CRS} out.geojson in.geojson",
        )
        return False
    geoms = np.asarray(frame.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    found.add(source, "missing or empty geometry", frame.index[missing], "give every feature a polygon")
    xmin, ymin, xmax, ymax = bbox
    bounds = frame.geometry.bounds[~missing]
    outside = (bounds["minx"] < xmin) | (bounds["miny"] < ymin) | (bounds["maxx"] > xmax) | (bounds["maxy"] > ymax)
    found.add(
        source,
        f"geometry outside the box {bbox}",
        bounds.index[outside],
        "check for swapped lat/lon or projected coordinates",
    )
    return True


def _not_polygonal(frame: gpd.GeoDataFrame) -> list[str]:
    kinds = shapely.get_type_id(np.asarray(frame.geometry.array, dtype=object))
    polygonal = (kinds == shapely.GeometryType.POLYGON) | (kinds == shapely.GeometryType.MULTIPOLYGON)
    return [str(i) for i in frame.index[(kinds >= 0) & ~polygonal]]


def check_regions(
    frames: Sequence[gpd.GeoDataFrame], *, required_ids: Sequence[str] = (), problems: Problems | None = None
) -> None:
    """Check region layers: CRS, geometries in Ukraine, polygons, ids unique across layers, required ids present."""
    found = Problems() if problems is None else problems
    seen: dict[str, str] = {}
    for frame in frames:
        source = str(frame.attrs.get("source", ""))
        if _check_vector(frame, found):
            found.add(source, "not a polygon", _not_polygonal(frame), "regions must be polygons")
        ids = pd.Index(frame.index.astype(str))
        found.add(source, "empty id", ids[(ids == "") | (ids == "nan")], "give every region its KATOTTG code")
        found.add(source, "duplicate id", sorted(set(ids[ids.duplicated()])), "ids must be unique")
        clashes = [i for i in ids.unique() if i in seen]
        found.add(source, "id also used in another layer", clashes, "region ids must be unique across layers")
        seen.update(dict.fromkeys(ids.unique(), source))
        for column in ("name_en", "name_uk"):  # the maps name each region in each language
            if column in frame.columns:
                blank = [str(rid) for rid, name in frame[column].items() if i18n.visible(name) is None]
                found.add(source, f"no {column}", blank, "give every region its official name in both languages")
    found.add(
        "",
        "region missing from the boundary layers",
        [i for i in required_ids if i not in seen],
        "restore the focus regions' boundaries in layers/boundaries",
    )
    if problems is None:
        found.raise_if_any()


def check_polygons(
    frame: gpd.GeoDataFrame,
    *,
    bbox: tuple[float, float, float, float] = schema.UKRAINE_BBOX,
    problems: Problems | None = None,
) -> None:
    """Check a polygon layer (occupied areas, or the base map with its own `bbox`): CRS, polygons in the box, not empty."""
    found = Problems() if problems is None else problems
    source = str(frame.attrs.get("source", ""))
    if frame.empty:
        found.add(source, "no features", ["whole file"], "the layer needs at least one polygon")
    elif _check_vector(frame, found, bbox=bbox):
        found.add(source, "not a polygon", _not_polygonal(frame), "the features must be polygons")
    if problems is None:
        found.raise_if_any()


def repair_geometries(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Repair invalid geometries with ``make_valid`` and say which.

    Returns
    -------
    tuple
        A copy of `frame` with valid geometries (polygonal parts kept), and a
        list of notes, one per file that needed repairs (empty if none did).
    """
    geoms = np.asarray(frame.geometry.array, dtype=object)
    invalid = ~shapely.is_missing(geoms) & ~shapely.is_valid(geoms)
    if not invalid.any():
        return frame, []
    fixed = geoms.copy()
    for k in np.flatnonzero(invalid):
        parts = shapely.get_parts(shapely.make_valid(geoms[k]))
        fixed[k] = shapely.union_all(parts[shapely.get_type_id(parts) >= shapely.GeometryType.POLYGON])
    out = frame.copy()
    out[frame.geometry.name] = gpd.GeoSeries(fixed, index=frame.index, crs=frame.crs)
    out.attrs = dict(frame.attrs)
    ids = format_ids([str(i) for i in frame.index[invalid]])
    note = f"{frame.attrs.get('source', '')}: repaired {int(invalid.sum())} invalid geometries with make_valid: {ids}"
    return out, [note]


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _not_non_negative(text: str) -> bool:
    value = _number(text)
    return value is None or value < 0


def _check_coordinates(records: pd.DataFrame, label: pd.Series, source: str, found: Problems) -> None:
    xmin, ymin, xmax, ymax = schema.UKRAINE_BBOX
    not_number, outside, half, precision_mismatch = [], [], [], []
    for rid, lat_text, lon_text, precision in zip(
        label, records["lat"].str.strip(), records["lon"].str.strip(), records["coord_precision"], strict=True
    ):
        if not lat_text and not lon_text:
            if precision != schema.NO_COORDS:
                precision_mismatch.append(rid)
            continue
        if not lat_text or not lon_text:
            half.append(rid)
            continue
        lat, lon = _number(lat_text), _number(lon_text)
        if lat is None or lon is None:
            not_number.append(f"{rid} ({lat_text}, {lon_text})")
        elif not (ymin <= lat <= ymax and xmin <= lon <= xmax):
            outside.append(f"{rid} ({lat_text}, {lon_text})")
        elif precision == schema.NO_COORDS:
            precision_mismatch.append(rid)
    found.add(source, "lat/lon not a number", not_number, "write decimal degrees, e.g. 47.90934")
    found.add(source, f"lat/lon outside Ukraine's box {schema.UKRAINE_BBOX}", outside, "check for swapped lat and lon")
    found.add(source, "only one of lat/lon given", half, "give both, or leave both blank with coord_precision none")
    found.add(
        source,
        "coord_precision does not match coordinates",
        precision_mismatch,
        "use coord_precision none exactly when lat and lon are blank",
    )


def check_deposits(records: pd.DataFrame, *, oblast_ids: pd.Series, problems: Problems | None = None) -> None:
    """Check deposit records against the vocabularies and coordinate rules.

    Parameters
    ----------
    records
        The text frame from `geo.sources.read_deposits`.
    oblast_ids
        The oblast code each record's ``oblast`` name resolves to (None if it does not),
        aligned with `records`.
    """
    found = Problems() if problems is None else problems
    source = str(records.attrs.get("source", ""))
    ids = records["id"].str.strip()
    label = ids.where(ids != "", pd.Series([f"row {k + 2}" for k in range(len(records))], index=records.index))
    found.add(source, "empty id", label[ids == ""], "give every record a unique id")
    found.add(source, "duplicate id", sorted(set(ids[(ids != "") & ids.duplicated()])), "ids must be unique")
    found.add(source, "empty name_en", label[records["name_en"].str.strip() == ""], "give every record an English name")

    allowed = set(schema.COMMODITIES)
    bad_commodity = []
    bad_primary = []
    for rid, listed, primary in zip(label, records["commodities"], records["primary_commodity"], strict=True):
        items = [c.strip() for c in listed.split(schema.COMMODITY_SEP) if c.strip()]
        unknown = [c for c in items if c not in allowed]
        if unknown or not items:
            bad_commodity.append(f"{rid} ({listed or 'empty'})")
        if primary not in items:
            bad_primary.append(f"{rid} ({primary or 'empty'})")
    vocab = ", ".join(schema.COMMODITIES)
    found.add(source, "unknown commodity", bad_commodity, f"use ;-separated values from: {vocab}")
    found.add(
        source, "primary_commodity not among commodities", bad_primary, "list the primary commodity in commodities too"
    )

    for column, values in (
        ("status", schema.STATUSES),
        ("coord_precision", schema.COORD_PRECISIONS),
        ("site_kind", schema.SITE_KINDS),
    ):
        bad = ~records[column].isin(values)
        found.add(
            source,
            f"unknown {column}",
            [f"{r} ({v or 'empty'})" for r, v in zip(label[bad], records[column][bad], strict=True)],
            f"use one of: {', '.join(values)}",
        )

    _check_coordinates(records, label, source, found)
    uncertainty = records["coord_uncertainty_km"].str.strip()
    bad_unc = (uncertainty != "") & uncertainty.map(_not_non_negative).astype(bool)
    found.add(
        source,
        "coord_uncertainty_km not a non-negative number",
        label[bad_unc],
        "write kilometres, e.g. 2.5, or leave blank",
    )

    unresolved = oblast_ids.isna().to_numpy()
    found.add(
        source,
        "unknown oblast",
        [f"{r} ({o or 'empty'})" for r, o in zip(label[unresolved], records["oblast"][unresolved], strict=True)],
        "use an oblast name from layers/boundaries/ua_adm1_lookup.csv",
    )
    url = records["source_url"].str.strip()
    found.add(
        source,
        "source_url not an http(s) URL",
        label[~url.str.match(r"^https?://\S+$")],
        "every record needs the URL of its source",
    )
    if problems is None:
        found.raise_if_any()


def check_deposit_locations(
    deposits: gpd.GeoDataFrame, oblasts: gpd.GeoDataFrame, *, problems: Problems | None = None
) -> None:
    """Check that every located deposit lies in one of Ukraine's oblasts.

    The bounding-box check in `check_deposits` lets through points in
    neighbouring countries or the sea; such a point would count as held by Ukraine.
    """
    found = Problems() if problems is None else problems
    located = deposits[deposits["location_known"]]
    geoms = np.asarray(oblasts.geometry.array, dtype=object)
    tree = shapely.STRtree(geoms)
    hits, _ = tree.query(np.asarray(located.geometry.array, dtype=object), predicate="intersects")
    outside = np.ones(len(located), dtype=bool)
    outside[hits] = False
    found.add(
        str(deposits.attrs.get("source", "")),
        "point outside every oblast of Ukraine",
        [f"{rid} ({row.lat}, {row.lon})" for rid, row in located[outside].iterrows()],
        "check the coordinates (decimal degrees, lat/lon not swapped)",
    )
    if problems is None:
        found.raise_if_any()


def check_figures(figures: pd.DataFrame, *, required_ids: Sequence[str], problems: Problems | None = None) -> None:
    """Check published figures: unique ids, sources given, the figures the outputs cite present."""
    found = Problems() if problems is None else problems
    source = str(figures.attrs.get("source", ""))
    ids = figures["id"].str.strip()
    found.add(source, "empty id", ("row " + (figures.index[ids == ""] + 2).astype(str)), "give every figure an id")
    found.add(source, "duplicate id", sorted(set(ids[(ids != "") & ids.duplicated()])), "ids must be unique")
    found.add(
        source, "missing figure", [i for i in required_ids if i not in set(ids)], "restore these published figures"
    )
    for column in ("value", "source_name", "source_url", "quote"):
        found.add(source, f"empty {column}", ids[figures[column].str.strip() == ""], f"every figure needs its {column}")
    if problems is None:
        found.raise_if_any()


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.str.strip(), errors="coerce")


def check_reserves(reserves: pd.DataFrame, *, deposit_ids: Sequence[str], problems: Problems | None = None) -> None:
    """Check reserve figures: known deposits, a number with a unit, measure, class, confidence and source for each.

    A row with no quantity says that nothing was published; it needs its notes.  Rows are cited as
    ``row N``, counting the header as row 1 (N is the line of the file while no field spans lines).
    Two more rules keep a share from double-counting or moving a thousand-fold unnoticed:

    - **No figure twice.**  Two rows alike in deposit_id, measure, category and source_url are one
      figure given twice (a copy would be added to its original if they are parts), unless every one of
      them is a ``component`` and their quotes and quantities differ: the parts of one deposit, told
      apart by the quote that names each part (two parts of exactly the same size are taken for a copy).
    - **No figure a thousand times off its neighbours.**  A figure `geo.schema.RESERVE_OUTLIER_FACTOR`
      times or more larger or smaller than the median of the other figures in its measure is questioned:
      kt for Mt, or Mt for bn t, moves a figure that far.  Figures of measure ``unclear`` and ``partial``
      figures (a part of a deposit may be any size) are neither questioned nor neighbours; a figure alone
      in its measure has no neighbours.  A figure read again in its source and found right is listed,
      with why, in `geo.schema.RESERVE_CHECKED`.
    """
    found = Problems() if problems is None else problems
    source = str(reserves.attrs.get("source", ""))
    rows = "row " + (reserves.index + 2).astype(str)
    text = reserves.apply(lambda column: column.str.strip())
    quantity = _numbers(reserves["quantity"])
    given = text["quantity"] != ""
    found.add(
        source, "unknown deposit_id", rows[~text["deposit_id"].isin(list(deposit_ids))], "use an id of deposits.csv"
    )
    tonnes = quantity * text["unit"].map(schema.RESERVE_UNITS)
    bad = given & (quantity.isna() | ~np.isfinite(quantity.fillna(0)) | ~(quantity > 0))
    found.add(source, "quantity not a number > 0", rows[bad], "write the figure as a plain number (1.257, not 1,257)")
    huge = given & ~bad & (tonnes > schema.RESERVE_MAX_T)
    found.add(source, f"more than {schema.RESERVE_MAX_T:.0e} t", rows[huge], "check the quantity and its unit")
    for column, allowed in (
        ("unit", tuple(schema.RESERVE_UNITS)),
        ("measure", schema.RESERVE_MEASURES),
        ("category_class", schema.RESERVE_CLASSES),
        ("confidence", schema.CONFIDENCES),
    ):
        found.add(
            source, f"{column} not one of {', '.join(allowed)}", rows[given & ~text[column].isin(allowed)], "fix it"
        )
    for column in ("category", "source_url", "quote"):
        found.add(source, f"empty {column}", rows[given & (text[column] == "")], f"every figure needs its {column}")
    web = reserves["source_url"].str.startswith(("https://", "http://"))
    found.add(source, "source_url not a web address", rows[given & ~web], "give the page the figure was read in")
    found.add(source, "no quantity and no notes", rows[~given & (text["notes"] == "")], "say what was searched")
    found.add(
        source,
        "the same figure twice (same deposit_id, measure, category and source_url)",
        _copies(text[given & ~bad], reserves.index[given & ~bad] + 2),
        "delete the copy; if they are parts of one deposit, mark each component and quote the words that name it",
    )
    usable = given & ~bad & ~huge & tonnes.notna() & text["measure"].isin(schema.RESERVE_MEASURES)
    usable &= (text["measure"] != "unclear") & (text["category_class"] != "partial")
    found.add(
        source,
        f"{schema.RESERVE_OUTLIER_FACTOR:,.0f}× or more off the median of the other figures in its measure",
        _outliers(text[usable], tonnes[usable], reserves.index[usable] + 2),
        "check the unit against the quote (kt for Mt?); if the figure is right, "
        "add (deposit_id, quantity, unit, measure) to schema.RESERVE_CHECKED with the reason",
    )
    if problems is None:
        found.raise_if_any()


def _row_numbers(numbers: Sequence[int]) -> str:
    """Say ``rows 2 and 4`` or ``rows 2, 3 and 4``."""
    shown = [str(n) for n in numbers]
    return f"rows {', '.join(shown[:-1])} and {shown[-1]}"


def _copies(figures: pd.DataFrame, lines: pd.Index) -> list[str]:
    """Return one ``rows N and M (deposit)`` per set of rows that give one figure twice (`check_reserves`).

    Parameters
    ----------
    figures
        The rows with a quantity, stripped text.
    lines
        Their line numbers in the file, aligned with `figures`.
    """
    line = pd.Series(list(lines), index=figures.index)
    copies: list[str] = []
    for key, group in figures.groupby(list(_FIGURE_KEY), sort=False):
        if len(group) < 2:
            continue
        if (group["category_class"] == "component").all():  # parts of one deposit: a copy repeats a quote or a figure
            by = (["quote"], ["quantity", "unit"])
            found = {tuple(same.index) for key in by for _, same in group.groupby(key, sort=False) if len(same) > 1}
            sets = [pd.Index(rows) for rows in sorted(found)]
        else:
            sets = [group.index]
        copies.extend(f"{_row_numbers(list(line[rows]))} ({key[0]})" for rows in sets)
    return copies


def _outliers(figures: pd.DataFrame, tonnes: pd.Series, lines: pd.Index) -> list[str]:
    """Return the figures a thousand times off the median of the others in their measure (`check_reserves`).

    Parameters
    ----------
    figures
        The rows that can be compared (a valid quantity, unit and measure; not ``partial`` or ``unclear``),
        stripped text.
    tonnes, lines
        Their tonnes and line numbers in the file, aligned with `figures`.
    """
    table = figures.assign(tonnes=tonnes.to_numpy(dtype=float), line=list(lines))
    questioned: list[tuple[int, str]] = []
    for measure, group in table.groupby("measure", sort=False):
        values = group["tonnes"].to_numpy(dtype=float)
        rows = zip(group["deposit_id"], group["quantity"], group["unit"], group["line"], strict=True)
        for k, (deposit, quantity, unit, line) in enumerate(rows):
            others = np.delete(values, k)
            if len(others) == 0:
                continue  # alone in its measure: no neighbours
            median, value = float(np.median(others)), float(values[k])
            ratio = max(value / median, median / value)
            if ratio < schema.RESERVE_OUTLIER_FACTOR or (deposit, quantity, unit, measure) in schema.RESERVE_CHECKED:
                continue
            side = "smaller" if value < median else "larger"
            median_in_unit = median / schema.RESERVE_UNITS[unit]
            text = (
                f"row {line} ({deposit}: {quantity} {unit} {measure}, {ratio:,.0f}× {side} than the median "
                f"of the other {len(others)} {measure} figures, {median_in_unit:,.6g} {unit})"
            )
            questioned.append((int(line), text))
    return [text for _, text in sorted(questioned)]


def check_prices(prices: pd.DataFrame, *, problems: Problems | None = None) -> None:
    """Check the prices: a positive number, a source and quote each, and exactly one central price per commodity.

    A price must also lie in its measure's plausible range (`geo.schema.PRICE_RANGE_USD_PER_T`), so that a
    price per kilogram or per pound written as per tonne, or a finite but huge one whose product with the
    tonnes no float can hold, is refused before anything is valued.
    """
    found = Problems() if problems is None else problems
    source = str(prices.attrs.get("source", ""))
    rows = "row " + (prices.index + 2).astype(str)
    price = _numbers(prices["usd_per_t"])
    bad = ~(price > 0) | ~np.isfinite(price.fillna(0))
    found.add(source, "usd_per_t not a number > 0", rows[bad], "write the price as a plain number")
    known = prices["commodity"].isin(list(schema.RESERVE_MEASURE))
    found.add(source, "commodity unknown", rows[~known], "use a primary commodity of deposits.csv with a measure")
    wanted = prices["commodity"].map(schema.RESERVE_MEASURE)
    found.add(
        source,
        "measure not the commodity's",
        rows[known & (prices["measure"] != wanted)],
        "price a commodity per tonne of its measure (lithium: LCE; iron ore: ore; …)",
    )
    for column in ("year", "source_url", "quote"):
        found.add(source, f"empty {column}", rows[prices[column].str.strip() == ""], f"every price needs its {column}")
    implausible, unranged = [], []
    for row, commodity, measure, usd in zip(rows, prices["commodity"], prices["measure"], price, strict=True):
        if not (usd > 0 and math.isfinite(usd)) or schema.RESERVE_MEASURE.get(commodity) != measure:
            continue  # reported above
        span = schema.PRICE_RANGE_USD_PER_T.get(measure)
        if span is None:
            unranged.append(f"{row} ({commodity}: {measure})")
        elif not span[0] <= usd <= span[1]:
            low, high = span
            implausible.append(
                f"{row} ({commodity}: {usd:,.6g} USD per t {measure}, plausible {low:,.0f} to {high:,.0f})"
            )
    found.add(
        source,
        "usd_per_t outside the plausible range of its measure",
        implausible,
        "check the unit: USD per tonne of the measure, not per kg or lb; "
        "if the price is real, widen schema.PRICE_RANGE_USD_PER_T and say why",
    )
    found.add(source, "no plausible price range for the measure", unranged, "set one in schema.PRICE_RANGE_USD_PER_T")
    central = prices[prices["central"].str.strip() == "yes"].groupby("commodity").size()
    commodities = sorted(set(prices["commodity"]))
    wrong = [c for c in commodities if central.get(c, 0) != 1]
    found.add(source, "not exactly one central price", wrong, "mark one row per commodity central=yes")
    if problems is None:
        found.raise_if_any()


def check_provenance(provenance: pd.DataFrame, *, problems: Problems | None = None) -> None:
    """Check that every data file has a sidecar with the required keys and a matching sha256.

    Parameters
    ----------
    provenance
        From `geo.sources.read_provenance`: indexed by file, columns ``sidecar`` and ``sha256``.
    """
    found = Problems() if problems is None else problems
    missing, incomplete, mismatched = [], [], []
    for path, row in provenance.iterrows():
        sidecar: Mapping[str, Any] | None = row["sidecar"] if isinstance(row["sidecar"], Mapping) else None
        if sidecar is None:
            missing.append(path)
            continue
        lacking = [k for k in schema.SIDECAR_KEYS if k not in sidecar or (k != "url" and not sidecar[k])]
        if lacking:
            incomplete.append(f"{path} ({', '.join(lacking)})")
        elif sidecar["sha256"] != row["sha256"]:
            mismatched.append(f"{path} (file is {row['sha256']})")
    keys = ", ".join(schema.SIDECAR_KEYS)
    found.add("", "data file without a .source.json sidecar", missing, f"add <name>.source.json with {keys}")
    found.add("", "sidecar lacks keys", incomplete, f"a sidecar needs {keys}")
    found.add(
        "",
        "sha256 in the sidecar does not match the file",
        mismatched,
        "restore the original file, or record the new source and sha256 in its .source.json",
    )
    if problems is None:
        found.raise_if_any()
