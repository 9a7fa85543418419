"""Peace-plan scenarios: rules per oblast (cede, freeze, return, dmz) → the line each would draw.

A scenario is one row of ``layers/scenarios/scenarios.csv`` (`check_scenarios`) or a file of polygons a user
draws (`drawn_scenario`).  `draw` turns it into two lon/lat geometries, what Russia would control and what
would be demilitarised, from the line of the chosen snapshot; `control` says who would hold each deposit.
The statistics are today's (`geo.stats`), run on these geometries by the build: one path for both.

The rules, one per oblast-level region at most (a region no rule names is frozen):

- ``cede`` — the whole region under Russian control;
- ``freeze`` — the line of the snapshot;
- ``return`` — the occupied part goes back to Ukraine;
- ``dmz`` — the Ukrainian-held part becomes a demilitarised zone, neither held nor Russian; ``dmz@KM`` only the
  band within KM km of the line of contact.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import i18n, schema
from geo.errors import ValidationError

CEDE: Final = "cede"
FREEZE: Final = "freeze"
RETURN: Final = "return"
DMZ: Final = "dmz"
RULES: Final = (CEDE, FREEZE, RETURN, DMZ)

_ID = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_URL = re.compile(r"https?://[^\s\"'<>]+")
#: C0 and C1 controls and the direction marks and overrides (U+200E–200F, U+202A–202E, U+2066–2069): nothing a
#: scenario's words need, and a direction override turns a name around where it lands (QGIS draws it).
_UNSEEN = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FIRST_YEAR, _LAST_YEAR = 1991, 2100
_RULE = re.compile(r"(?P<kind>[a-z]+)(?:@(?P<depth>[^:]*))?:(?P<regions>.*)")
#: A user's scenario file names its classes in a ``class`` property; a file without one is all Russian-controlled.
DRAWN_CLASS_COLUMN: Final = "class"


@dataclass(frozen=True)
class Rule:
    """One rule of a scenario: `kind` (one of `RULES`) for one oblast-level region, a dmz with its depth or None."""

    kind: str
    region_id: str
    depth_km: float | None = None


@dataclass(frozen=True)
class Scenario:
    """One scenario: its sourced words and its rules, or (a user's file) the polygons it draws."""

    scenario_id: str
    name_en: str
    name_uk: str
    proposed: str
    source_url: str
    quote: str
    notes: str
    rules: tuple[Rule, ...] = ()
    quote_en: str = ""  # an English translation (ours) of a quote in another language
    drawn: gpd.GeoDataFrame | None = None  # lon/lat, a `DRAWN_CLASS_COLUMN` of `schema.SCENARIO_CLASSES`

    def rule_for(self, region_id: str) -> Rule:
        """Return the rule for `region_id` (freeze where the scenario names none)."""
        for rule in self.rules:
            if rule.region_id == region_id:
                return rule
        return Rule(FREEZE, region_id)


@dataclass(frozen=True)
class Line:
    """What one scenario draws, lon/lat: Russian-controlled and demilitarised ground (they do not overlap)."""

    russian: shapely.Geometry
    demilitarised: shapely.Geometry


def _depth(text: str, where: str) -> float:
    try:
        depth = float(text)
    except ValueError:
        depth = math.nan
    if not math.isfinite(depth) or depth <= 0 or depth > schema.MAX_DMZ_DEPTH_KM:
        msg = (
            f"{where}: the dmz depth {text[:20]!r} is not a number of km above 0 and at most "
            f"{schema.MAX_DMZ_DEPTH_KM:,.0f}; write it as dmz@40 (km), or dmz for the whole held part"
        )
        raise ValidationError(msg)
    return depth


def parse_rules(text: str, *, region_ids: Collection[str], where: str) -> tuple[Rule, ...]:
    """Parse a ``rules`` cell: ``RULE:REGION[,REGION…]`` items separated by ``;`` (RULE one of `RULES`, or ``dmz@KM``).

    Raises
    ------
    geo.errors.ValidationError
        Naming `where` (file and row) for an unknown rule or region, a depth that is not a number above 0, or a region
        with two rules.
    """
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for item in (part.strip() for part in text.split(";")):
        if not item:
            continue
        match = _RULE.fullmatch(item)
        kind = match["kind"] if match else ""
        if match is None or kind not in RULES or (match["depth"] is not None and kind != DMZ):
            msg = (
                f"{where}: cannot read the rule {item[:60]!r}; write RULE:REGION[,REGION] with RULE one of "
                f"{', '.join(RULES)} (dmz@KM for a band of KM km), items separated by ';'"
            )
            raise ValidationError(msg)
        depth = None if match["depth"] is None else _depth(match["depth"], where)
        for region in (r.strip() for r in match["regions"].split(",")):
            if region not in region_ids:
                msg = (
                    f"{where}: unknown region {region[:40]!r} in rule {kind}; use an oblast-level region_id of "
                    f"regions.csv ({', '.join(sorted(region_ids)[:5])}, …)"
                )
                raise ValidationError(msg)
            if region in seen:
                msg = f"{where}: region {region} has two rules ({seen[region]} and {kind}); give each region one rule"
                raise ValidationError(msg)
            seen[region] = kind
            rules.append(Rule(kind, region, depth))
    return tuple(rules)


def format_rules(rules: Sequence[Rule]) -> str:
    """Write `rules` back as a ``rules`` cell (`parse_rules` reads it), regions of one rule together, in order."""
    grouped: dict[str, list[str]] = {}
    for rule in rules:
        key = rule.kind if rule.depth_km is None else f"{rule.kind}@{rule.depth_km:g}"
        grouped.setdefault(key, []).append(rule.region_id)
    return ";".join(f"{key}:{','.join(regions)}" for key, regions in grouped.items())


def _row_problem(row: Mapping[Any, object], sid: str, seen: Collection[str]) -> str:
    """Say what is wrong with one row of the scenario table ("" if nothing; the rules are `parse_rules`')."""
    text = {key: str(row[key]).strip() for key in schema.SCENARIO_REQUIRED}
    proposed, frozen = text["proposed"], schema.FROZEN_SCENARIO
    checks: tuple[tuple[Callable[[], bool], str], ...] = (
        (lambda: not _ID.fullmatch(sid), "scenario_id must be lower-case letters, digits and _ (up to 64)"),
        (lambda: sid in seen, f"scenario_id {sid} is repeated; give each scenario its own id"),
        (lambda: not text["name_en"] or not text["name_uk"], "name_en and name_uk must both be given"),
        (
            lambda: not _DATE.fullmatch(proposed) or not _valid_date(proposed),
            f"proposed {proposed[:20]!r} is not a date; write it as YYYY-MM-DD",
        ),
        (
            lambda: not _FIRST_YEAR <= int(proposed[:4]) <= _LAST_YEAR,
            f"proposed {proposed[:20]!r} is not a date of independent Ukraine (1991 on)",
        ),
        (
            lambda: not _URL.fullmatch(text["source_url"]),
            "source_url must be the http(s) address of the page the rules come from",
        ),
        (lambda: not text["quote"], "quote is empty; copy the exact words the rules come from"),
        (lambda: sid == frozen and bool(text["rules"]), f"{frozen} is the line as it is and takes no rules"),
        (lambda: sid != frozen and not text["rules"], f"rules are empty; a scenario other than {frozen} changes some"),
    )
    for failed, problem in checks:
        if failed():
            return problem
    unseen = [key for key in schema.SCENARIO_REQUIRED if _UNSEEN.search(str(row[key]))]
    if unseen:
        return f"{unseen[0]} holds a control or direction character; remove it (save the file as plain text)"
    return ""


def check_scenarios(table: pd.DataFrame, *, region_ids: Collection[str]) -> tuple[Scenario, ...]:
    """Check the scenario table (every cell text, `geo.schema.SCENARIO_REQUIRED`) and return its scenarios in order.

    Raises
    ------
    geo.errors.ValidationError
        On the first bad row, naming the file (``table.attrs["source"]``) and row: a missing or malformed id, a
        repeated id, a date that is not ISO, no source URL, no quote, or a bad rule (`parse_rules`).
    """
    source = str(table.attrs.get("source", "scenarios.csv"))
    scenarios: list[Scenario] = []
    seen: set[str] = set()
    for number, row in enumerate(table.to_dict("records"), start=2):  # row 1 is the header
        sid = str(row["scenario_id"]).strip()
        where = f"{source} row {number}" + (f" ({sid[:40]})" if _ID.fullmatch(sid) else "")
        problem = _row_problem(row, sid, seen)
        if problem:
            msg = f"{where}: {problem}"
            raise ValidationError(msg)
        seen.add(sid)
        scenarios.append(
            Scenario(
                scenario_id=sid,
                name_en=str(row["name_en"]).strip(),
                name_uk=str(row["name_uk"]).strip(),
                proposed=str(row["proposed"]).strip(),
                source_url=str(row["source_url"]).strip(),
                quote=str(row["quote"]).strip(),
                quote_en=str(row["quote_en"]).strip(),
                notes=str(row["notes"]).strip(),
                rules=parse_rules(str(row["rules"]), region_ids=region_ids, where=where),
            )
        )
    if not scenarios:
        msg = f"{source}: no scenarios; keep at least the {schema.FROZEN_SCENARIO} row (the line as it is)"
        raise ValidationError(msg)
    return tuple(scenarios)


def _valid_date(text: str) -> bool:
    try:
        pd.Timestamp(text)
    except ValueError:
        return False
    return True


def drawn_scenario(frame: gpd.GeoDataFrame, *, name: str, country: shapely.Geometry, source: str) -> Scenario:
    """Return the scenario a user's file draws: polygons of what Russia would control, or one class per feature.

    Parameters
    ----------
    frame
        The file's features, lon/lat; a `DRAWN_CLASS_COLUMN` of `geo.schema.SCENARIO_CLASSES` names each
        feature's class (without it, every feature is Russian-controlled).
    name
        The scenario's name (the file's stem); its id is the name transliterated (KMU 2010) and made an id.
    country
        Ukraine, lon/lat: a scenario must draw on it.

    Raises
    ------
    geo.errors.ValidationError
        Naming `source` and the feature: no polygon, an invalid or empty polygon, an unknown class, coordinates
        or a CRS other than lon/lat, no Russian-controlled polygon, or nothing inside Ukraine.
    """
    if frame.crs is not None and not frame.crs.equals(schema.STORAGE_CRS):
        msg = f"{source}: in {frame.crs.to_string()}, not lon/lat; save it in EPSG:4326 (GeoJSON's default)"
        raise ValidationError(msg)
    if frame.empty:
        msg = f"{source}: draws nothing; give it at least one polygon of what Russia would control"
        raise ValidationError(msg)
    if DRAWN_CLASS_COLUMN in frame.columns:
        classes = frame[DRAWN_CLASS_COLUMN].astype(str).str.strip()
    else:
        classes = pd.Series(schema.RUSSIAN_CONTROLLED, index=frame.index)
    for number, (geom, kind) in enumerate(zip(frame.geometry, classes, strict=True), start=1):
        where = f"{source} feature {number}"
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            msg = f"{where}: not a polygon; draw areas (Polygon or MultiPolygon), not points or lines"
            raise ValidationError(msg)
        if not geom.is_valid:
            why = shapely.is_valid_reason(geom)
            msg = f"{where}: invalid polygon ({why[:80]}); fix it (QGIS: Vector › Geometry Tools › Fix Geometries)"
            raise ValidationError(msg)
        if kind not in (schema.RUSSIAN_CONTROLLED, schema.DEMILITARISED):
            msg = (
                f"{where}: class {kind[:40]!r} is not one of {schema.RUSSIAN_CONTROLLED}, {schema.DEMILITARISED}; "
                f"set the '{DRAWN_CLASS_COLUMN}' property to one of them, or leave it out"
            )
            raise ValidationError(msg)
        xmin, ymin, xmax, ymax = shapely.bounds(geom)
        if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
            msg = f"{where}: coordinates outside lon -180…180, lat -90…90; draw in lon/lat (EPSG:4326)"
            raise ValidationError(msg)
    if not (classes == schema.RUSSIAN_CONTROLLED).any():
        msg = (
            f"{source}: no polygon of what Russia would control (every feature is {schema.DEMILITARISED}); "
            f"add one with '{DRAWN_CLASS_COLUMN}': '{schema.RUSSIAN_CONTROLLED}'"
        )
        raise ValidationError(msg)
    inside = shapely.intersection(shapely.union_all(frame.geometry.to_numpy()), country)
    if shapely.is_empty(inside) or shapely.area(inside) <= 0:
        msg = f"{source}: no polygon lies in Ukraine; draw in lon/lat (EPSG:4326) over Ukraine"
        raise ValidationError(msg)
    sid = re.sub(r"[^a-z0-9_]+", "_", i18n.transliterate(name).lower()).strip("_")[:64] or "drawn"
    drawn = gpd.GeoDataFrame(
        {DRAWN_CLASS_COLUMN: classes.to_numpy()}, geometry=frame.geometry.to_numpy(), crs=schema.STORAGE_CRS
    )
    return Scenario(
        scenario_id=sid,
        name_en=name,
        name_uk=name,
        proposed="",
        source_url="",
        quote="",
        notes=f"drawn by the user: {_UNSEEN.sub('', Path(source).name)[:120]}",
        drawn=drawn,
    )


def _union(geoms: Sequence[shapely.Geometry]) -> shapely.Geometry:
    return shapely.union_all(np.asarray(geoms, dtype=object)) if len(geoms) else shapely.Polygon()


def _clean(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the areas of `geom` (an overlay can leave lines and points along shared edges)."""
    geom = shapely.make_valid(geom)
    polygons = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(np.asarray(polygons, dtype=object)) if polygons else shapely.Polygon()


def band(line: shapely.Geometry, depth_km: float) -> shapely.Geometry:
    """Return the ground within `depth_km` of `line` (lon/lat), measured in `geo.schema.DISTANCE_CRS`."""
    if line is None or shapely.is_empty(line):
        return shapely.Polygon()
    metric = gpd.GeoSeries([line], crs=schema.STORAGE_CRS).to_crs(schema.DISTANCE_CRS).iloc[0]
    buffered = shapely.buffer(metric, depth_km * 1000.0, quad_segs=16)
    return gpd.GeoSeries([buffered], crs=schema.DISTANCE_CRS).to_crs(schema.STORAGE_CRS).iloc[0]


def draw(
    scenario: Scenario,
    *,
    oblasts: gpd.GeoSeries,
    occupied: shapely.Geometry,
    front: shapely.Geometry,
    country: shapely.Geometry,
) -> Line:
    """Draw what `scenario` would hand over, from the snapshot's occupied ground.

    Russian-controlled = the occupied ground, less the regions returned, plus the regions ceded; demilitarised
    = the Ukrainian-held part of each dmz region (the band within its depth of `front` where it has one), less
    the Russian-controlled ground.  A drawn scenario's polygons are clipped to `country`.

    Parameters
    ----------
    oblasts
        The oblast-level regions, indexed by region id, lon/lat.
    occupied
        The snapshot's occupied ground, lon/lat (the union of `geo.join.occupied_parts`).
    front
        The line of contact, lon/lat (`geo.join.front_line`).
    """
    if scenario.drawn is not None:
        classes = scenario.drawn[DRAWN_CLASS_COLUMN].to_numpy()
        geoms = scenario.drawn.geometry.to_numpy()
        russian = _clean(shapely.intersection(_union(list(geoms[classes == schema.RUSSIAN_CONTROLLED])), country))
        dmz = _union(list(geoms[classes == schema.DEMILITARISED]))
        return Line(russian, _clean(shapely.difference(shapely.intersection(dmz, country), russian)))
    ceded = _union([oblasts[r.region_id] for r in scenario.rules if r.kind == CEDE])
    returned = _union([oblasts[r.region_id] for r in scenario.rules if r.kind == RETURN])
    if not scenario.rules or all(r.kind == FREEZE for r in scenario.rules):
        russian = occupied  # frozen: the snapshot's ground as it is, not redrawn
    else:
        russian = _clean(shapely.union(shapely.difference(occupied, returned), ceded))
    pieces = []
    for rule in scenario.rules:
        if rule.kind != DMZ:
            continue
        held = shapely.difference(oblasts[rule.region_id], occupied)
        pieces.append(held if rule.depth_km is None else shapely.intersection(held, band(front, rule.depth_km)))
    dmz = _clean(shapely.difference(_union(pieces), russian)) if pieces else shapely.Polygon()
    return Line(russian, dmz)


def today(status: pd.Series) -> pd.Series:
    """Map today's control statuses (`geo.schema.CONTROL_STATUSES`) to the scenario classes (`control`'s words)."""
    occupied = status.isin(schema.OCCUPIED_STATUSES)
    out = status.where(~occupied, schema.RUSSIAN_CONTROLLED)
    return out.rename("control_today")


def control(scenario: Scenario, line: Line, deposits: gpd.GeoDataFrame, *, status: pd.Series) -> pd.Series:
    """Say who would control each deposit under `scenario`.

    A located deposit takes the class of the ground its point is on. One without coordinates follows its
    oblast's rule: ceded → Russian-controlled; returned → held; dmz over the whole held part → a held record
    becomes demilitarised, a narrower dmz leaves a held record unknown; frozen (or a drawn scenario) → today's.

    Parameters
    ----------
    deposits
        Indexed by id: ``location_known``, ``oblast_id`` and the points, lon/lat.
    status
        Today's control statuses (`geo.schema.CONTROL_STATUSES`), aligned with `deposits`.

    Returns
    -------
    pandas.Series
        One of `geo.schema.SCENARIO_CONTROLS` per deposit, named ``control_scenario``.
    """
    now = today(status).to_numpy(dtype=object)
    out = np.full(len(deposits), schema.HELD, dtype=object)
    located = deposits["location_known"].to_numpy(dtype=bool)
    points = deposits.geometry.to_numpy()
    for geom, kind in ((line.demilitarised, schema.DEMILITARISED), (line.russian, schema.RUSSIAN_CONTROLLED)):
        if geom is None or shapely.is_empty(geom):
            continue
        shapely.prepare(geom)
        inside = np.zeros(len(deposits), dtype=bool)
        inside[located] = shapely.intersects(geom, points[located])
        out[inside] = kind
    oblast_ids = deposits["oblast_id"].to_numpy()
    for i in np.flatnonzero(~located):
        rule = scenario.rule_for(str(oblast_ids[i])) if scenario.drawn is None else Rule(FREEZE, "")
        if rule.kind == CEDE:
            out[i] = schema.RUSSIAN_CONTROLLED
        elif rule.kind == RETURN:
            out[i] = schema.HELD
        elif rule.kind == DMZ and now[i] == schema.HELD:
            out[i] = schema.DEMILITARISED if rule.depth_km is None else schema.UNKNOWN
        else:
            out[i] = now[i]
    return pd.Series(out, index=deposits.index, name="control_scenario", dtype=object)


def deal_commodities(commodity_lists: pd.Series, covered: Mapping[str, str]) -> pd.Series:
    """Return, per deposit, its commodities the minerals deal covers (``;``-joined, in the record's order; "" if none).

    Parameters
    ----------
    covered
        Our commodity id → the deal's word for it (`deal_coverage`).
    """
    return commodity_lists.map(lambda items: schema.COMMODITY_SEP.join(c for c in items if c in covered)).rename(
        "deal_commodities"
    )


def deal_coverage(deal: pd.DataFrame) -> dict[str, str]:
    """Return our commodity ids the minerals deal's list covers → the listed minerals that cover each.

    Parameters
    ----------
    deal
        ``minerals_deal.csv`` as text: ``mineral`` (as the agreement lists it) and ``commodity`` (our id, blank
        where we have no record of it).
    """
    out: dict[str, list[str]] = {}
    for mineral, commodity in zip(deal["mineral"], deal["commodity"], strict=True):
        if str(commodity).strip():
            out.setdefault(str(commodity).strip(), []).append(str(mineral).strip())
    return {commodity: ", ".join(minerals) for commodity, minerals in out.items()}


def check_deal(deal: pd.DataFrame) -> None:
    """Check ``minerals_deal.csv``: each listed mineral once, a kind of `geo.schema.DEAL_KINDS`, known commodity ids.

    Raises
    ------
    geo.errors.ValidationError
        Naming the file and row.
    """
    source = str(deal.attrs.get("source", "minerals_deal.csv"))
    seen: set[str] = set()
    for number, row in enumerate(deal.to_dict("records"), start=2):
        mineral = str(row["mineral"]).strip()
        where = f"{source} row {number}"
        problem = ""
        if not mineral:
            problem = "mineral is empty; write it as the agreement's list does"
        elif mineral.lower() in seen:
            problem = f"{mineral[:40]!r} is listed twice; keep one row"
        elif str(row["kind"]).strip() not in schema.DEAL_KINDS:
            problem = f"kind must be one of {', '.join(schema.DEAL_KINDS)}"
        elif str(row["commodity"]).strip() and str(row["commodity"]).strip() not in schema.COMMODITIES:
            problem = f"commodity {str(row['commodity'])[:40]!r} is not one of geo.schema.COMMODITIES; leave it blank"
        if problem:
            msg = f"{where}: {problem}"
            raise ValidationError(msg)
        seen.add(mineral.lower())
