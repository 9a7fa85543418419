"""The checks every occupation source's snapshot passes before it is stored: plausible, where it was, not a jump.

The build's own drawability check runs in the refresh workflow (`geo.update`), on the regions it reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely
from pyproj import Transformer

from geo import schema
from geo.errors import RefreshError
from geo.occupation import Parsed


@dataclass(frozen=True)
class JumpRates:
    """The change an occupied area may make from the nearest earlier snapshot: base + per day, capped (shares)."""

    base: float
    per_day: float
    cap: float


#: DeepState without its ``/areas`` figure (rare: the API gives one for nearly every version).
API_JUMP: Final = JumpRates(0.02, 0.002, 0.10)
#: Another source's files, which never come with an area figure, may be weeks apart and each cover a window of
#: days: NZZ's 2022-09-10 → 09-11 measures −10.0 % in one day (the Kharkiv counteroffensive reaching its map in
#: one update) and 2022-04-03 → 04-10 −31.6 % in 7 days (the withdrawal from Kyiv, Chernihiv and Sumy oblasts),
#: so a base of 12 % and 5 % a day, capped at a half.  What this lets through, a damaged file cannot pass:
#: plausibility (each source's own range) catches the corrupt and country-wide ones.
FILE_SOURCE_JUMP: Final = JumpRates(0.12, 0.05, 0.50)

_TO_AREA = Transformer.from_crs(schema.STORAGE_CRS, schema.AREA_CRS, always_xy=True)


def area_km2(geom: shapely.Geometry) -> float:
    """Area of a lon/lat geometry in `geo.schema.AREA_CRS`, km²."""
    if geom is None or shapely.is_empty(geom):
        return 0.0
    projected = shapely.transform(geom, lambda xy: np.column_stack(_TO_AREA.transform(xy[:, 0], xy[:, 1])))
    if not shapely.is_valid(projected):
        with np.errstate(invalid="ignore"):  # coordinates outside the projection are NaN: the area says so
            projected = shapely.make_valid(projected)
    return float(shapely.area(projected)) / 1e6


# --- checks -------------------------------------------------------------------------------


def check_parsed(parsed: Parsed, *, source: str, plausible_km2: tuple[float, float]) -> float:
    """Refuse a version that is empty, outside Ukraine or implausibly large or small.

    Returns
    -------
    float
        The occupied area, km².
    """
    if shapely.is_empty(parsed.occupied):
        where = f" ({parsed.outside_box} occupied polygons lie outside Ukraine's box: lat/lon swapped or not degrees?)"
        msg = f"{source}: no occupied polygons inside Ukraine{where if parsed.outside_box else ''}"
        raise RefreshError(msg)
    if parsed.outside_box:
        msg = (
            f"{source}: {parsed.outside_box} occupied polygons lie outside Ukraine's box {schema.UKRAINE_BBOX} "
            "(lat/lon swapped, or coordinates not in degrees?)"
        )
        raise RefreshError(msg)
    km2 = area_km2(parsed.occupied)
    low, high = plausible_km2
    if not low <= km2 <= high:
        msg = f"{source}: occupied area {km2:,.0f} km² is outside the plausible {low:,.0f}–{high:,.0f} km²"
        raise RefreshError(msg)
    return km2


def jump_allowance(days: float, *, rates: JumpRates = API_JUMP) -> float:
    """Return the share an occupied area may change by over `days` days when no official figure is available."""
    return min(rates.cap, rates.base + rates.per_day * max(0.0, days))


def check_jump(
    km2: float, previous_km2: float, *, days: float, source: str, previous_date: str, rates: JumpRates = API_JUMP
) -> float:
    """Refuse an area that changed more than `jump_allowance` from the nearest earlier stored snapshot.

    Returns
    -------
    float
        The relative change.
    """
    change = (km2 - previous_km2) / previous_km2 if previous_km2 > 0 else math.inf
    allowed = jump_allowance(days, rates=rates)
    figure = "DeepState's own figure" if rates == API_JUMP else "an area figure from the source"
    if abs(change) > allowed:
        msg = (
            f"{source}: occupied area changes by {change:+.1%} from {previous_date} ({previous_km2:,.0f} → {km2:,.0f} "
            f"km² in {days:g} days), more than the {allowed:.1%} allowed without {figure}; "
            "check the source and rerun with --force to accept it"
        )
        raise RefreshError(msg)
    return change


#: At least this share of the previous snapshot's occupied area must still be occupied, and of the new area
#: already have been: a map shifted 0.5° keeps only ~77 %, 3° ~12 %, while real versions keep ≥ 97 % day to day
#: and ≥ 93 % across the archive's longest gap (13 months).
MIN_OVERLAP_SHARE: Final = 0.85


def check_location(
    km2: float,
    previous_km2: float,
    *,
    gained_km2: float,
    lost_km2: float,
    source: str,
    previous_date: str,
    either: bool = False,
) -> float:
    """Refuse a version whose occupied area lies elsewhere than the previous one's (same size, shifted).

    With `either` (another source's files, days or weeks apart), one of the two overlaps is enough: a withdrawal
    keeps little of the previous area but all of the new one lies in it, an advance the other way round; a
    shifted map keeps little of both.

    Returns
    -------
    float
        The smaller of the two overlap shares (of the previous area, and of the new one); with `either`, the larger.
    """
    kept = 1.0 - lost_km2 / previous_km2 if previous_km2 > 0 else 1.0
    known = 1.0 - gained_km2 / km2 if km2 > 0 else 1.0
    overlap = max(kept, known) if either else min(kept, known)
    if overlap < MIN_OVERLAP_SHARE:
        msg = (
            f"{source}: only {overlap:.0%} of its occupied area overlaps the snapshot of {previous_date} "
            f"({gained_km2:,.0f} km² new, {lost_km2:,.0f} km² gone), less than {MIN_OVERLAP_SHARE:.0%}: shifted or "
            "not the same map? Check the source and rerun with --force to accept it"
        )
        raise RefreshError(msg)
    return overlap
