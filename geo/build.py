"""Workflow: the build, layers/ → maps/, in one place (the refresh is `geo.update`)."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import math
from collections.abc import Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo import (
    animate,
    catalogue,
    geometry,
    gpkg,
    history,
    i18n,
    indexpage,
    join,
    printmap,
    scenarios,
    schema,
    sources,
    stats,
    store,
    style,
    tables,
    validate,
    webmap,
    workers,
)
from geo.errors import ArgumentError, OutputError, SourceError, ValidationError
from geo.files import check_apart
from geo.occupation import LEAVES_OUT, LEAVES_OUT_PRE2022


@dataclass(frozen=True)
class Inputs:
    """Everything read and validated from a layers folder."""

    regions: gpd.GeoDataFrame
    country: gpd.GeoDataFrame
    deposits: gpd.GeoDataFrame
    figures: pd.DataFrame
    reserves: pd.DataFrame
    prices: pd.DataFrame
    snapshot: gpd.GeoDataFrame
    pre2022: gpd.GeoDataFrame
    basemap: gpd.GeoDataFrame
    monthly: dict[str, gpd.GeoDataFrame]
    dated: dict[str, gpd.GeoDataFrame]  # each dated snapshot but the build's, split into its parts (`_read_snapshots`)
    since: gpd.GeoDataFrame
    snapshot_date: str
    snapshot_source: dict[str, Any]
    provenance: dict[str, dict[str, Any]]
    credits: list[str]
    occupation_credit: str  # what the maps credit for the build's snapshot (`geo.sources.occupation_credit`)
    dated_credits: dict[str, str]  # every date of the history → its snapshot's credit (the build's own included)
    scenarios: tuple[scenarios.Scenario, ...] = ()  # `geo.scenarios.check_scenarios`, then the user's drawn ones
    deal: pd.DataFrame = field(default_factory=pd.DataFrame)  # the minerals deal's list (`geo.schema.DEAL_FILE`)
    repairs: list[str] = field(default_factory=list)
    dated_contested: dict[str, shapely.Geometry] = field(default_factory=dict)  # their grey zones, where they have one


@dataclass(frozen=True)
class Results:
    """Everything computed from the inputs."""

    regions: gpd.GeoDataFrame
    deposits: gpd.GeoDataFrame
    membership: pd.DataFrame
    control: pd.DataFrame
    metals: pd.DataFrame
    parts: gpd.GeoDataFrame
    front: gpd.GeoSeries
    series: dict[str, gpd.GeoDataFrame]
    statuses: pd.DataFrame
    contested: shapely.Geometry  # the grey zone at the snapshot (empty if its source has none)
    contested_series: dict[str, shapely.Geometry]
    history_regions: pd.DataFrame
    history_deposits: pd.DataFrame
    ledger: pd.DataFrame
    bases: dict[str, Any]  # Ukraine's occupied shares by reserves and by value at the snapshot (`stats.share_bases`)
    history_bases: pd.DataFrame
    scenarios: tuple[ScenarioResult, ...] = ()
    scenario_date: str = ""  # the date whose line the scenarios start from (the snapshot's by default)
    sources: SourcesResult | None = None  # the sources compared (`compute_sources`); None with DeepState alone


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario computed: its line, the reported regions' areas by class, and every deposit's control."""

    scenario: scenarios.Scenario
    line: scenarios.Line
    occupied: shapely.Geometry  # the occupied ground of the line the scenario starts from, lon/lat
    front: shapely.Geometry  # that line of contact, lon/lat
    areas: pd.DataFrame  # `geo.stats.scenario_areas` of Ukraine, every oblast and the focus regions
    control: pd.Series  # `geo.scenarios.control` per deposit
    today: pd.Series  # each deposit's control on the line's date, in the scenarios' words (`geo.scenarios.today`)
    counts: pd.DataFrame  # `geo.stats.scenario_counts`
    bases: dict[str, Any]  # `geo.stats.share_bases` (the demilitarised zone counts as not Russian-controlled)
    deal: dict[str, Any]  # the minerals deal's covered records under the scenario (`deal_record`)


def load(layers: Path, *, snapshot: str | None = None) -> Inputs:
    """Read and validate every input in `layers`.

    Every file-level problem of every file is reported in one
    `geo.errors.ValidationError`; cross-layer checks (deposits inside the
    oblasts) follow once the files are clean.
    """
    snapshot_date, snapshot_path = sources.find_snapshot(layers / schema.OCCUPATION_DIR, date=snapshot)
    pre2022_file = sources.read_vector(layers / schema.PRE2022_FILE)
    read = _read_snapshots(layers, snapshot_date, zone=_zone(pre2022_file))
    snapshot_file, dated = read.own, read.parts
    data_files = [
        layers / schema.OBLASTS_FILE,
        layers / schema.COUNTRY_FILE,
        layers / schema.OBLAST_LOOKUP_FILE,
        layers / schema.RAIONS_FILE,
        layers / schema.HROMADAS_FILE,
        layers / schema.COUNTRY_HROMADAS_FILE,
        layers / schema.POKROVSK_FILE,
        layers / schema.DEPOSITS_FILE,
        layers / schema.FIGURES_FILE,
        layers / schema.RESERVES_FILE,
        layers / schema.PRICES_FILE,
        layers / schema.SCENARIOS_FILE,
        layers / schema.DEAL_FILE,
        layers / schema.PRE2022_FILE,
        layers / schema.BASEMAP_FILE,
        layers / schema.SINCE_FILE,
        *sorted((layers / schema.MONTHLY_DIR).glob(schema.MONTHLY_GLOB)),
    ]
    region_frames = [
        sources.read_oblasts(layers / schema.OBLASTS_FILE),
        sources.read_raions(layers / schema.RAIONS_FILE),
        sources.read_hromadas(layers / schema.HROMADAS_FILE),
        # every hromada outside the focus oblasts (Minregion, coarse)
        sources.read_country_hromadas(layers / schema.COUNTRY_HROMADAS_FILE, skip_oblasts=schema.OSM_HROMADA_OBLASTS),
        sources.read_city(layers / schema.POKROVSK_FILE),
    ]
    country = sources.read_country(layers / schema.COUNTRY_FILE)
    occupation = [snapshot_file, pre2022_file]
    basemap = sources.read_basemap(layers / schema.BASEMAP_FILE)
    monthly = sources.read_monthly(layers / schema.MONTHLY_DIR)
    since = sources.read_vector(layers / schema.SINCE_FILE)
    records = sources.read_deposits(layers / schema.DEPOSITS_FILE)
    figures = sources.read_figures(layers / schema.FIGURES_FILE)
    reserves = sources.read_reserves(layers / schema.RESERVES_FILE)
    prices = sources.read_prices(layers / schema.PRICES_FILE)
    scenario_table = sources.read_table(layers / schema.SCENARIOS_FILE, required=schema.SCENARIO_REQUIRED)
    deal = sources.read_table(layers / schema.DEAL_FILE, required=schema.DEAL_REQUIRED)
    aliases = sources.oblast_aliases(sources.read_oblast_lookup(layers / schema.OBLAST_LOOKUP_FILE))
    oblast_ids = sources.resolve_oblasts(records["oblast"], aliases)

    problems = validate.Problems()
    validate.check_regions([*region_frames, country], required_ids=schema.FOCUS_REGIONS, problems=problems)
    for frame in occupation:
        validate.check_polygons(frame, problems=problems)
    validate.check_polygons(basemap, bbox=schema.BASEMAP_BBOX, problems=problems)
    for frame in [since, *monthly.values()]:
        validate.check_polygons(frame, problems=problems)
    for found in read.problems.values():  # checked as they were read (`_read_snapshots`), in date order
        problems.items.extend(found)
    validate.check_deposits(records, oblast_ids=oblast_ids, problems=problems)
    validate.check_figures(figures, required_ids=schema.METALS_FIGURE_IDS, problems=problems)
    validate.check_reserves(reserves, deposit_ids=list(records["id"]), problems=problems)
    validate.check_prices(prices, problems=problems)
    provenance = sources.read_provenance(data_files)
    validate.check_provenance(provenance, problems=problems)
    problems.raise_if_any()
    scenario_list = scenarios.check_scenarios(scenario_table, region_ids=set(region_frames[0].index))
    scenarios.check_deal(deal)

    repairs: list[str] = []
    repaired = []
    for frame in [*region_frames, country, *occupation, basemap]:
        fixed, notes = validate.repair_geometries(frame)
        repaired.append(fixed)
        repairs.extend(notes)
    *region_frames, country, snapshot_frame, pre2022, basemap = repaired
    oblasts = region_frames[0]
    deposits = sources.deposit_points(records, oblast_ids=oblast_ids)
    validate.check_deposit_locations(deposits, oblasts)
    sidecars = {
        **provenance["sidecar"].to_dict(),
        snapshot_file.attrs["source"]: snapshot_file.attrs["sidecar"],
        **{str(path): sidecar for path, sidecar in read.sidecars.values()},
    }
    credits = sorted({str(s["credit"]) for s in sidecars.values() if isinstance(s, dict) and s.get("credit")})
    by_date = _dated_credits(snapshot_date, sidecars, monthly=monthly, dated=read.sidecars, own=str(snapshot_path))
    _give_back_memory()  # the files' parsed text and the snapshots' pickles: the history's workers fork next
    return Inputs(
        regions=gpd.GeoDataFrame(pd.concat(region_frames), crs=schema.STORAGE_CRS),
        country=country,
        deposits=deposits,
        figures=figures,
        reserves=reserves,
        prices=prices,
        snapshot=snapshot_frame,
        pre2022=pre2022,
        basemap=basemap,
        monthly=monthly,
        dated=dated,
        since=since,
        snapshot_date=snapshot_date,
        snapshot_source=sidecars[str(snapshot_path)],
        provenance={
            ("snapshot" if path == snapshot_path else path.relative_to(layers).as_posix()): sidecars[str(path)]
            for path in [*data_files, *[path for path, _sidecar in read.sidecars.values()], snapshot_path]
        },
        credits=credits,
        occupation_credit=by_date[snapshot_date],
        dated_credits=by_date,
        scenarios=scenario_list,
        deal=deal,
        repairs=repairs,
        dated_contested=read.contested,
    )


def _dated_credits(
    snapshot_date: str,
    sidecars: Mapping[str, Any],
    *,
    monthly: Mapping[str, gpd.GeoDataFrame],
    dated: Mapping[str, tuple[Path, dict[str, Any]]],
    own: str,
) -> dict[str, str]:
    """Return every date of the history up to `snapshot_date` → its snapshot's credit (`geo.sources.occupation_credit`).

    `sidecars` is file path → sidecar (`own`: the build's snapshot's path); a dated snapshot replaces a month-end
    file of the same day, as in the history.
    """
    by_date = {date: sources.occupation_credit(sidecars.get(frame.attrs["source"])) for date, frame in monthly.items()}
    by_date.update({date: sources.occupation_credit(sidecar) for date, (_path, sidecar) in dated.items()})
    by_date[snapshot_date] = sources.occupation_credit(sidecars.get(own))
    return {date: credit for date, credit in sorted(by_date.items()) if date <= snapshot_date}


#: From this many dated snapshots on (a daily history), two forked workers read, verify and check them, each half.
PARALLEL_SNAPSHOTS = 64


def _zone(pre2022: gpd.GeoDataFrame) -> shapely.Geometry:
    """Return the area occupied before 2022 as `geo.join.occupied_parts` unions it (from the layer as `load` repairs it)."""
    repaired, _notes = validate.repair_geometries(pre2022)
    zone = shapely.union_all(shapely.make_valid(repaired.geometry.to_numpy()))
    return shapely.union_all(shapely.make_valid(np.array([zone], dtype=object)))


def _union(geoms: np.ndarray) -> shapely.Geometry | None:
    """Return the union of `geoms`, None if there are none; one valid geometry is its own union, taken as it is.

    A refreshed snapshot holds one valid MultiPolygon of each class, already a
    union: the overlay would only rewrite its rings.
    """
    if len(geoms) == 0:
        return None
    if len(geoms) == 1 and shapely.is_valid(geoms[0]):
        one: shapely.Geometry = geoms[0]
        return one
    return shapely.union_all(shapely.make_valid(geoms))


#: What `geo.validate.Problems` records of one problem: file, what, ids, how to fix it.
_Problem = tuple[str, str, list[str], str]
#: A dated snapshot as the history uses it: its parts occupied before and since 2022, its grey zone (None: it has
#: none), the file and its sidecar.
_Split = tuple[shapely.Geometry, shapely.Geometry, shapely.Geometry | None, str, dict[str, Any]]


def _split(frame: gpd.GeoDataFrame, zone: shapely.Geometry) -> _Split:
    """Split a dated snapshot into its occupied parts (`geo.join.split_at_2022`) and its grey zone."""
    geoms = np.asarray(frame.geometry.array, dtype=object)
    grey = frame["class"].to_numpy() == schema.SNAPSHOT_CONTESTED
    occupied = _union(geoms[~grey])
    before, since = join.split_at_2022(occupied if occupied is not None else shapely.Polygon(), zone)
    return before, since, _union(geoms[grey]), frame.attrs["source"], frame.attrs["sidecar"]


def _read_some(
    paths: list[tuple[str, Path]], snapshot_date: str, zone: shapely.Geometry
) -> tuple[gpd.GeoDataFrame | None, dict[str, _Split], dict[str, list[_Problem]], list[str]]:
    """Read, verify and check dated snapshots; split each but the build's own (`_split`).

    Returns
    -------
    tuple
        The build's own snapshot as read (None if not among `paths`); date → split snapshot; date → the problems
        `geo.validate.check_polygons` finds in it; one line per damaged snapshot.
    """
    own: gpd.GeoDataFrame | None = None
    splits: dict[str, _Split] = {}
    problems: dict[str, list[_Problem]] = {}
    damaged: list[str] = []
    for date, path in paths:
        try:
            frame = sources.read_snapshot(path)
        except store.DamagedSnapshotError as exc:
            damaged.append(str(exc))
            continue
        if date == snapshot_date:
            own = frame
            continue
        found = validate.Problems()
        validate.check_polygons(frame, problems=found)
        problems[date] = found.items
        if not found.items:  # one with problems is never split: the build stops once every file is checked
            splits[date] = _split(frame, zone)
    return own, splits, problems, damaged


@dataclass(frozen=True)
class _Read:
    """The dated snapshots as `_read_snapshots` reads them."""

    own: gpd.GeoDataFrame  # the build's own snapshot, as read
    parts: dict[str, gpd.GeoDataFrame]  # date → occupied parts, as `geo.join.occupied_parts` gives them
    contested: dict[str, shapely.Geometry]  # date → grey zone, where there is one
    problems: dict[str, list[_Problem]]  # date → what `geo.validate.check_polygons` finds, in date order
    sidecars: dict[str, tuple[Path, dict[str, Any]]]  # date → the file and its sidecar


def _same(geom: shapely.Geometry, last: shapely.Geometry | None) -> shapely.Geometry:
    """Return `last` where `geom` is the same geometry, vertex for vertex, else `geom`."""
    return last if last is not None and shapely.equals_exact(geom, last, tolerance=0.0) else geom


def _read_snapshots(layers: Path, snapshot_date: str, *, zone: shapely.Geometry) -> _Read:
    """Read, verify and check the dated snapshots up to the build's; refuse every damaged one in one line.

    Each but the build's own is kept split as the history uses it, not as
    read: its occupied parts (`geo.join.split_at_2022`, with `zone` as
    `_zone` makes it) and its grey zone apart.  A daily history holds a
    thousand of them; split, each is held once, by the inputs and the history
    alike.  From `PARALLEL_SNAPSHOTS` on, two forked workers read them, each
    half of the dates, with the same results in the same order as one process.

    Raises
    ------
    geo.errors.SourceError
        Naming every damaged snapshot and how to mend them: the build never draws one.
    """
    listed = sources.list_snapshots(layers / schema.OCCUPATION_DIR).items()
    wanted = [(date, path) for date, path in listed if date <= snapshot_date]
    if len(wanted) < PARALLEL_SNAPSHOTS or not workers.can_fork():
        chunks = [_read_some(wanted, snapshot_date, zone)]
    else:
        half = len(wanted) // 2
        try:
            with workers.forked_pool(2) as pool:
                futures = [
                    pool.submit(workers.in_worker, _read_some, chunk, snapshot_date, zone)
                    for chunk in (wanted[:half], wanted[half:])
                ]
                chunks = [future.result() for future in futures]
        except BrokenProcessPool as exc:
            msg = "a worker reading the snapshots died (killed, or out of memory?); nothing was written: run the build again"
            raise OutputError(msg) from exc
    damaged = [line for *_rest, lines in chunks for line in lines]
    if damaged:
        msg = (
            f"{len(damaged)} stored snapshot(s) do not match their .source.json and are not drawn: "
            f"{'; '.join(damaged[:10])}{'; …' if len(damaged) > 10 else ''}; run "
            "`python3 scripts/refresh_occupation.py` to refetch them from DeepState (or restore each with its "
            ".source.json from a backup); `refresh_occupation.py --verify` lists the store's health"
        )
        raise SourceError(msg)
    index = pd.Index([schema.OCCUPIED_BEFORE_2022, schema.OCCUPIED_SINCE_2022], name="part")
    crs = pyproj.CRS.from_user_input(schema.STORAGE_CRS)  # parsed once, not once per date
    parts: dict[str, gpd.GeoDataFrame] = {}
    contested: dict[str, shapely.Geometry] = {}
    last_before: shapely.Geometry | None = None
    last_grey: shapely.Geometry | None = None
    splits = sorted(
        ((date, split) for _own, chunk, *_rest in chunks for date, split in chunk.items()), key=lambda item: item[0]
    )
    for date, (before, since, grey, _source, _sidecar) in splits:
        # a part the same, vertex for vertex, as the day before's is held once (most days, the pre-2022 part)
        last_before = _same(before, last_before)
        parts[date] = gpd.GeoDataFrame(geometry=[last_before, since], index=index, crs=crs)
        last_grey = None if grey is None else _same(grey, last_grey)
        if last_grey is not None:
            contested[date] = last_grey
    return _Read(
        own=next(own for own, *_rest in chunks if own is not None),
        parts=parts,
        contested=contested,
        problems={date: found for _own, _splits, chunk, _damaged in chunks for date, found in chunk.items()},
        sidecars={date: (Path(source), sidecar) for date, (*_parts, source, sidecar) in splits},
    )


def _give_back_memory() -> None:
    """Return the heap's free pages to the system (glibc), so that workers forked next start no larger than needed.

    A daily history's snapshots come back from the reading workers as
    pickles: once unpickled, about a hundred megabytes of the heap is free but
    still held, and every process forked after would count it again.
    Elsewhere than glibc, nothing happens.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def compute(
    inputs: Inputs, *, near_front_km: float = schema.NEAR_FRONT_KM, scenario_date: str | None = None
) -> Results:
    """Join and count: regions' occupied areas, deposits' control, control by region × commodity; the scenarios.

    The scenarios start from the line of `scenario_date` (the snapshot's by default: `compute_scenarios`).
    """
    parts = join.occupied_parts(_occupied(inputs.snapshot), inputs.pre2022)
    front = join.front_line(parts, join.land_interior(inputs.country))
    contested_series = grey_zone_series(inputs)
    contested = contested_series.get(inputs.snapshot_date, shapely.Polygon())
    all_regions = gpd.GeoDataFrame(pd.concat([inputs.country, inputs.regions]), crs=schema.STORAGE_CRS)
    regions = gpd.GeoDataFrame(
        stats.region_table(all_regions, parts, contested=contested),
        geometry=all_regions.geometry,
        crs=schema.STORAGE_CRS,
    )

    deposits = inputs.deposits.assign(
        oblast_recorded=inputs.deposits["oblast"], oblast_recorded_id=inputs.deposits["oblast_id"]
    )
    membership = join.containing_regions(deposits, inputs.regions)
    distance = join.distance_to_front_km(deposits, front)
    status = join.control_status(deposits, parts, oblasts=regions[regions["level"] == "oblast"])
    deposits = deposits.assign(
        **join.assign_regions(deposits, inputs.regions, membership),
        control_status=status,
        status_uncertain=join.status_uncertain(deposits, status, distance),
        distance_to_front_km=distance,
        near_front=stats.near_front(distance, threshold_km=near_front_km),
        region_ids=membership.groupby("id")[schema.REGION_ID].agg(tuple).reindex(deposits.index),
    )
    coverage = scenarios.deal_coverage(inputs.deal)
    deal_commodities = scenarios.deal_commodities(deposits["commodity_list"], coverage)
    deposits = deposits.assign(deal_commodities=deal_commodities, deal_covered=deal_commodities != "")
    figured = stats.preferred_reserves(inputs.reserves, deposits)
    deposits = deposits.join(figured)
    values = stats.deposit_value_usd(deposits.loc[figured.index], inputs.prices)
    deposits = deposits.join(values)
    control = stats.control_table(deposits, membership, regions)
    control = control.join(stats.reserves_by_region(deposits, membership, control))
    metals = stats.metals_comparison(control, inputs.figures, figure_ids=schema.METALS_FIGURE_IDS)
    series, statuses, history_regions = history_over_time(inputs, parts, regions, deposits, contested=contested_series)
    since = join.occupied_since(deposits, inputs.since)
    results = Results(
        regions=regions,
        deposits=deposits,
        membership=membership,
        control=control,
        metals=metals,
        parts=parts,
        front=front,
        series=series,
        statuses=statuses,
        contested=contested,
        contested_series=contested_series,
        history_regions=history_regions,
        history_deposits=history.history_deposits(deposits, since, statuses),
        ledger=stats.control_ledger(deposits, statuses, membership, regions),
        bases=stats.share_bases(deposits, deposits["control_status"]),
        history_bases=stats.bases_over_time(deposits, statuses),
    )
    chosen = scenario_date or inputs.snapshot_date
    results = dataclasses.replace(
        results, scenarios=compute_scenarios(inputs, results, date=chosen), scenario_date=chosen
    )
    _give_back_memory()  # the history's and the ledger's intermediate tables: the rendering's workers fork next
    return results


def with_dmz_depths(inputs: Inputs, depths: Mapping[str, float]) -> Inputs:
    """Return `inputs` with the demilitarised zones of each scenario `depths` names set to its depth in km.

    Raises
    ------
    geo.errors.ArgumentError
        For a scenario id that is not one of the scenarios, one without a dmz rule, or a depth not above 0.
    """
    if not depths:
        return inputs
    known = {s.scenario_id: s for s in inputs.scenarios}
    for sid, depth in depths.items():
        if sid not in known or not any(r.kind == scenarios.DMZ for r in known[sid].rules):
            with_dmz = [s.scenario_id for s in inputs.scenarios if any(r.kind == scenarios.DMZ for r in s.rules)]
            msg = f"--dmz-depth {sid[:40]}: no such scenario with a dmz rule; choose one of {', '.join(with_dmz) or 'none'}"
            raise ArgumentError(msg)
        if not (math.isfinite(depth) and 0 < depth <= schema.MAX_DMZ_DEPTH_KM):
            msg = f"--dmz-depth {sid}={depth:g}: the depth must be a number of km above 0 and at most {schema.MAX_DMZ_DEPTH_KM:,.0f}"
            raise ArgumentError(msg)
    changed = []
    for scenario in inputs.scenarios:
        km = depths.get(scenario.scenario_id)
        rules = tuple(
            dataclasses.replace(r, depth_km=km) if km is not None and r.kind == scenarios.DMZ else r
            for r in scenario.rules
        )
        changed.append(dataclasses.replace(scenario, rules=rules))
    return dataclasses.replace(inputs, scenarios=tuple(changed))


def with_drawn_scenarios(inputs: Inputs, files: Sequence[Path]) -> Inputs:
    """Return `inputs` with a scenario for each of `files` (GeoJSON or KML: `geo.scenarios.drawn_scenario`).

    Raises
    ------
    geo.errors.ValidationError
        Naming the file: one that draws nothing in Ukraine or draws it wrong, or an id another scenario has.
    """
    if not files:
        return inputs
    country = shapely.union_all(inputs.country.geometry.to_numpy())
    added = list(inputs.scenarios)
    for path in files:
        frame = sources.read_scenario_file(Path(path))
        drawn = scenarios.drawn_scenario(frame, name=Path(path).stem, country=country, source=str(path))
        if drawn.scenario_id in {s.scenario_id for s in added}:
            msg = f"{path}: a scenario {drawn.scenario_id} exists already; rename the file"
            raise ValidationError(msg)
        added.append(drawn)
    return dataclasses.replace(inputs, scenarios=tuple(added))


def scenario_regions(regions: pd.DataFrame) -> list[str]:
    """Return the regions `scenarios.csv` reports: Ukraine, every oblast, then the focus regions below oblasts."""
    oblasts = list(regions.index[regions["level"] == "oblast"])
    below = [rid for rid in schema.FOCUS_REGIONS if rid in regions.index and rid not in oblasts]
    return [schema.COUNTRY_ID, *oblasts, *below]


def _bases_status(control: pd.Series) -> pd.Series:
    """Map scenario controls to today's words for `geo.stats.share_bases` (demilitarised counts as not Russian)."""
    words = {schema.RUSSIAN_CONTROLLED: schema.OCCUPIED_SINCE_2022, schema.DEMILITARISED: schema.HELD}
    return control.map(lambda value: words.get(value, value))


#: The deposit columns `geo.stats.share_bases` reads.
BASES_COLUMNS = (
    "primary_commodity",
    "commodity_list",
    "site_kind",
    "reserve_t",
    "reserve_measure",
    "reserve_confidence",
    "value_low_usd",
    "value_central_usd",
    "value_high_usd",
)


def deal_record(deposits: pd.DataFrame, control: pd.Series, *, coverage: Mapping[str, str]) -> dict[str, Any]:
    """Say how much of what the minerals deal covers would be on Russian-controlled ground.

    Counts the records with any covered commodity (``deal_covered``) by control; shares by reserves and value
    over the records whose primary commodity is covered (`geo.stats.share_bases`).
    """
    covered = deposits["deal_covered"].to_numpy(dtype=bool)
    counts = control[covered].value_counts()
    known = int(covered.sum() - counts.get(schema.UNKNOWN, 0))
    russian = int(counts.get(schema.RUSSIAN_CONTROLLED, 0))
    primary = deposits["primary_commodity"].isin(list(coverage))
    bases = stats.share_bases(deposits[primary], _bases_status(control[primary]))
    return {
        "records": int(covered.sum()),
        **{control_word: int(counts.get(control_word, 0)) for control_word in schema.SCENARIO_CONTROLS},
        "russian_controlled_share": russian / known if known else 0.0,
        "value_all": bases["value_all"],
        "reserves": bases["reserves"],
    }


def check_scenario_date(inputs: Inputs, date: str) -> None:
    """Raise `geo.errors.ArgumentError` unless `date` is a date of the history (`series_dates`) the scenarios can use."""
    dates = series_dates(inputs)
    if date not in dates:
        msg = (
            f"--scenario-date {date[:20]}: no snapshot of that day; choose one of the history's dates "
            f"({dates[0]} … {dates[-1]}, {len(dates)} in all; summary.json lists them)"
        )
        raise ArgumentError(msg)


def compute_scenarios(inputs: Inputs, results: Results, *, date: str | None = None) -> tuple[ScenarioResult, ...]:
    """Apply every scenario of `inputs` to the line of `date` (the snapshot's by default; any date of the history).

    Raises
    ------
    geo.errors.ArgumentError
        If `date` is not a date of the history (`series_dates`).
    """
    date = date or inputs.snapshot_date
    check_scenario_date(inputs, date)
    reported = scenario_regions(results.regions)
    if date == inputs.snapshot_date:
        parts, front, status = results.parts, results.front, results.deposits["control_status"]
        table = results.regions.loc[reported]
    else:
        parts = _parts_at(inputs, results.parts, date)
        front = join.front_line(parts, join.land_interior(inputs.country))
        status = results.statuses[date].reindex(results.deposits.index)
        geoms = results.regions.loc[reported]
        table = gpd.GeoDataFrame(stats.region_table(geoms, parts), geometry=geoms.geometry, crs=schema.STORAGE_CRS)
    occupied = shapely.union_all(parts.geometry.to_numpy())
    oblasts = gpd.GeoSeries(results.regions.geometry[results.regions["level"] == "oblast"], crs=schema.STORAGE_CRS)
    country = results.regions.geometry[schema.COUNTRY_ID]
    line_of_contact = front.iloc[0]
    coverage = scenarios.deal_coverage(inputs.deal)
    slim = pd.DataFrame(results.deposits[list(BASES_COLUMNS)])  # what `geo.stats.share_bases` reads: 5× quicker
    out = []
    for scenario in inputs.scenarios:
        line = scenarios.draw(scenario, oblasts=oblasts, occupied=occupied, front=line_of_contact, country=country)
        areas = stats.scenario_areas(
            gpd.GeoDataFrame(table), russian=line.russian, demilitarised=line.demilitarised, occupied=occupied
        )
        control = scenarios.control(scenario, line, results.deposits, status=status)
        out.append(
            ScenarioResult(
                scenario=scenario,
                line=line,
                occupied=occupied,
                front=line_of_contact,
                areas=pd.concat([table[["name_en", "name_uk", "level", "area_km2"]], areas], axis=1),
                control=control,
                today=scenarios.today(status),
                counts=stats.scenario_counts(results.deposits, control),
                bases=stats.share_bases(slim, _bases_status(control)),
                deal=deal_record(
                    slim.assign(deal_covered=results.deposits["deal_covered"]), control, coverage=coverage
                ),
            )
        )
    return tuple(out)


def scenario_tables(results: Results) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the rows of ``scenarios.csv`` (scenario × region) and ``scenario_deposits.csv`` (scenario × deposit)."""
    areas = [
        r.areas.rename_axis(schema.REGION_ID).reset_index().assign(scenario_id=r.scenario.scenario_id)
        for r in results.scenarios
    ]
    deposits = results.deposits
    rows = [
        deposits.assign(
            scenario_id=r.scenario.scenario_id,
            control_today=r.today,
            control_scenario=r.control,
            changes_hands=changes_hands(r.today, r.control),
        )
        .rename_axis("id")
        .reset_index()
        for r in results.scenarios
    ]
    empty_areas = pd.DataFrame(columns=list(schema.SCENARIO_COLUMNS))
    empty_rows = pd.DataFrame(columns=list(schema.SCENARIO_DEPOSIT_COLUMNS))
    return (
        pd.concat(areas, ignore_index=True) if areas else empty_areas,
        pd.concat(rows, ignore_index=True) if rows else empty_rows,
    )


def changes_hands(today: pd.Series, scenario: pd.Series) -> pd.Series:
    """Say whether each deposit's control would change (records of unknown control, then or now, never do)."""
    known = (today != schema.UNKNOWN) & (scenario != schema.UNKNOWN)
    return (known & (today != scenario)).rename("changes_hands")


def scenario_summary(results: Results, deal: pd.DataFrame) -> dict[str, Any]:
    """Return ``summary.json``'s ``scenarios``: the date, the minerals deal's list and each scenario's figures."""
    coverage = scenarios.deal_coverage(deal)
    ours = sorted({c for items in results.deposits["commodity_list"] for c in items})
    reported = [schema.COUNTRY_ID, *(rid for rid in schema.FOCUS_REGIONS if rid in results.regions.index)]
    listed = []
    for r in results.scenarios:
        scenario = r.scenario
        today = r.today
        moved = changes_hands(today, r.control)
        counts = r.control.value_counts()
        listed.append(
            {
                "scenario_id": scenario.scenario_id,
                "name_en": scenario.name_en,
                "name_uk": scenario.name_uk,
                "proposed": scenario.proposed,
                "source_url": scenario.source_url,
                "quote": scenario.quote,
                "quote_en": scenario.quote_en,
                "notes": scenario.notes,
                "drawn": scenario.drawn is not None,
                "rules": scenarios.format_rules(scenario.rules),
                "regions": [
                    {"region_id": rid, **{k: _round(k, r.areas.loc[rid, k]) for k in SCENARIO_FIGURES}}
                    for rid in reported
                    if rid in r.areas.index
                ],
                "deposits": {c: int(counts.get(c, 0)) for c in schema.SCENARIO_CONTROLS},
                "changes_hands": [
                    {
                        "id": str(i),
                        "name_en": str(results.deposits.loc[i, "name_en"]),
                        "from": today[i],
                        "to": r.control[i],
                    }
                    for i in results.deposits.index[moved.to_numpy(dtype=bool)]
                ],
                "commodities": {
                    str(c): {str(k): (float(v) if str(k).endswith("_share") else int(v)) for k, v in row.items()}
                    for c, row in r.counts.iterrows()
                },
                "bases": r.bases,
                "deal": r.deal,
            }
        )
    return {
        "date": results.scenario_date,
        "compared_with": schema.FROZEN_SCENARIO,
        "demilitarised_counts_as": "not Russian-controlled in every share; counted apart in `deposits`",
        "minerals_deal": {
            "listed": len(deal),
            "covers": coverage,
            "not_covered": [c for c in ours if c not in coverage],
        },
        "list": listed,
    }


def scenario_views(results: Results, deal: pd.DataFrame) -> tuple[dict[str, Any], ...]:
    """Return what the renderers draw of each scenario, in order: its ``summary.json`` record and its geometry.

    Each is the scenario's item of `scenario_summary` (ids, names, quote, source, rules, the reported regions'
    areas, counts, the deposits that change hands, the shares by count, reserves and value, the deal's) plus
    ``russian`` and ``demilitarised`` (lon/lat geometries, full detail: simplify per scale), ``occupied`` and
    ``front`` (the line's own occupied ground and line of contact, to draw what changes), ``control`` (`geo.scenarios.control` per deposit id),
    ``dmz_depths_km`` (the depths of its demilitarised bands, each once), ``date`` (the line's) and ``deal_not_covered`` (our commodities the deal's list leaves out).
    """
    record = scenario_summary(results, deal)
    return tuple(
        {
            **item,
            "russian": r.line.russian,
            "demilitarised": r.line.demilitarised,
            "occupied": r.occupied,
            "front": r.front,
            "control": r.control,
            "dmz_depths_km": list(
                dict.fromkeys(rule.depth_km for rule in r.scenario.rules if rule.depth_km is not None)
            ),
            "date": record["date"],
            "deal_not_covered": record["minerals_deal"]["not_covered"],
        }
        for item, r in zip(record["list"], results.scenarios, strict=True)
    )


#: The figures of each reported region in ``summary.json``'s scenarios: the areas and shares of ``scenarios.csv``.
SCENARIO_FIGURES = tuple(c for c in schema.SCENARIO_COLUMNS if c.endswith(("_km2", "_share")))


def _round(key: str, value: object) -> float:
    return float(schema.COLUMNS[key].rounded(float(value)))  # type: ignore[arg-type]


def _occupied(snapshot: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the occupied features of a dated snapshot (the grey zone is kept apart, never counted as occupied)."""
    return gpd.GeoDataFrame(snapshot[snapshot["class"] != schema.SNAPSHOT_CONTESTED], crs=snapshot.crs)


def _grey(frame: gpd.GeoDataFrame, column: str, value: str) -> shapely.Geometry | None:
    rows = frame[frame[column] == value] if column in frame.columns else frame.iloc[:0]
    if rows.empty:
        return None
    return shapely.union_all(shapely.make_valid(rows.geometry.to_numpy()))


def grey_zone_series(inputs: Inputs) -> dict[str, shapely.Geometry]:
    """Date → DeepState's grey zone, from the month-end files and the dated snapshots that have one."""
    series: dict[str, shapely.Geometry] = {}
    for date, frame in inputs.monthly.items():
        if (geom := _grey(frame, "status", schema.CONTESTED)) is not None:
            series[date] = geom
    for date in inputs.dated:
        series.pop(date, None)  # a dated snapshot replaces a month-end file of the same day
        if date in inputs.dated_contested:
            series[date] = inputs.dated_contested[date]
    series.pop(inputs.snapshot_date, None)
    if (geom := _grey(inputs.snapshot, "class", schema.SNAPSHOT_CONTESTED)) is not None:
        series[inputs.snapshot_date] = geom
    return dict(sorted(series.items()))


#: A history of at least this many dates is measured in two halves, one per process, each half starting with a
#: full measurement (the split depends only on the dates, so the outputs do not depend on the machine).
PARALLEL_HISTORY_DATES = 40


@dataclass(frozen=True)
class _HistoryPayload:
    """What the history's forked workers read (set just before they start, cleared after)."""

    inputs: Inputs
    parts: gpd.GeoDataFrame  # the build's snapshot's occupied parts
    regions: gpd.GeoDataFrame
    deposits: gpd.GeoDataFrame
    contested: Mapping[str, shapely.Geometry]


@dataclass
class _RenderPayload:
    """What the rendering's forked worker reads; each process makes its geometry caches once, on first use."""

    inputs: Inputs
    results: Results
    maps: tuple[catalogue.MapRecord, ...]
    arguments: dict[str, Any]  # `map_arguments`
    drawn: webmap.Drawn | None = None
    printed: printmap.PrintGeometry | None = None


#: The one payload of each kind a forked worker inherits (None outside `history_over_time` / `render_outputs`).
_HISTORY: list[_HistoryPayload] = []
_RENDER: list[_RenderPayload] = []


def series_dates(inputs: Inputs) -> list[str]:
    """Every date of the history: the month-end files, the dated snapshots up to the build's, and the build's own."""
    dates = {*inputs.monthly, *inputs.dated, inputs.snapshot_date}
    return sorted(d for d in dates if d <= inputs.snapshot_date)


def _parts_at(inputs: Inputs, parts: gpd.GeoDataFrame, date: str) -> gpd.GeoDataFrame:
    if date == inputs.snapshot_date:
        return parts
    if date in inputs.dated:  # a dated snapshot replaces a month-end file of the same day
        return inputs.dated[date]
    return sources.monthly_parts(inputs.monthly[date])


def _history_chunk(dates: list[str]) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame, pd.DataFrame]:
    """Measure the history at `dates`: the month-end files' parts (the only ones made here), statuses, areas."""
    shared = _HISTORY[0]
    series = {date: _parts_at(shared.inputs, shared.parts, date) for date in dates}
    statuses, regions_over_time = history_tables(shared.regions, shared.deposits, series, contested=shared.contested)
    made = {date: frame for date, frame in series.items() if date != shared.inputs.snapshot_date}
    return {date: frame for date, frame in made.items() if date not in shared.inputs.dated}, statuses, regions_over_time


def history_over_time(
    inputs: Inputs,
    parts: gpd.GeoDataFrame,
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    *,
    contested: Mapping[str, shapely.Geometry],
) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame, pd.DataFrame]:
    """Occupied parts, deposit statuses and region areas at every date of the history.

    The parts of the dated snapshots are the inputs' own frames (`Inputs.dated`),
    shared, not copies: a forked worker sends back only the month-end files'.

    Returns
    -------
    tuple
        Date → occupied parts; control status per deposit × date; the per-region series (as `history_tables`).
    """
    dates = series_dates(inputs)
    half = len(dates) // 2
    chunks = [dates] if len(dates) < PARALLEL_HISTORY_DATES else [dates[:half], dates[half:]]
    _HISTORY[:] = [_HistoryPayload(inputs, parts, regions, deposits, contested)]
    try:
        if len(chunks) == 1 or not workers.can_fork():
            results = [_history_chunk(chunk) for chunk in chunks]
        else:
            with workers.forked_pool(2) as pool:
                results = [f.result() for f in [pool.submit(workers.in_worker, _history_chunk, c) for c in chunks]]
    except BrokenProcessPool as exc:
        msg = "a history worker process died (killed, or out of memory?); nothing was written: run the build again"
        raise OutputError(msg) from exc
    finally:
        _HISTORY.clear()
    monthly = {date: frame for made, _s, _r in results for date, frame in made.items()}
    series = {date: monthly[date] if date in monthly else _parts_at(inputs, parts, date) for date in dates}
    statuses = pd.concat([s for _c, s, _r in results], axis=1)
    regions_over_time = pd.concat([r for _c, _s, r in results], ignore_index=True)
    return series, statuses, regions_over_time


def history_tables(
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    series: Mapping[str, gpd.GeoDataFrame],
    *,
    contested: Mapping[str, shapely.Geometry] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Control status of every deposit and occupied area of every oblast, raion and focus region, per date."""
    chosen = regions[regions["level"].isin(["country", "oblast", "raion"]) | regions.index.isin(schema.FOCUS_REGIONS)]
    history_regions = stats.occupied_km2_over_time(chosen, series, contested=contested)
    # the rows are date by date, each date's in the order of `chosen`: each date's oblasts are one slice apart
    oblast_ids = chosen.index[chosen["level"] == "oblast"]
    at = np.flatnonzero((chosen["level"] == "oblast").to_numpy())
    columns = ["occupied_share", "occupied_before_2022_km2", "occupied_since_2022_km2"]
    values = history_regions[columns].to_numpy()
    statuses: dict[str, pd.Series] = {}
    for k, (date, date_parts) in enumerate(series.items()):
        oblasts = pd.DataFrame(values[k * len(chosen) + at], index=oblast_ids, columns=columns)
        statuses[date] = join.control_status(deposits, date_parts, oblasts=oblasts)
    history_regions = history_regions.join(chosen[["name_en", "level"]], on=schema.REGION_ID)
    return pd.DataFrame(statuses, index=deposits.index), history_regions[list(schema.HISTORY_REGION_COLUMNS)]


def slider_history(
    results: Results, dates: Sequence[str], maps: Sequence[catalogue.MapRecord] = catalogue.MAPS
) -> pd.DataFrame:
    """Return the occupied share, km² and area of Ukraine and of every region a time-slider map's panel states, at `dates`.

    From `Results.history_regions` (`history_regions.csv`); a region it leaves out (a hromada made with ``--map``) is
    measured here, at those dates, as the history is (`geo.stats.occupied_km2_over_time`).
    """
    wanted = sorted({schema.COUNTRY_ID, *(rid for spec in maps if spec.slider for rid in spec.focus)})
    table = results.history_regions
    columns = ["date", schema.REGION_ID, "occupied_share", "occupied_km2", "area_km2"]
    known = table.loc[table["date"].isin(dates) & table[schema.REGION_ID].isin(wanted), columns]
    missing = [rid for rid in wanted if rid not in set(known[schema.REGION_ID]) and rid in results.regions.index]
    if not missing or not dates:
        return known.reset_index(drop=True)
    measured = stats.occupied_km2_over_time(results.regions.loc[missing], {d: results.series[d] for d in dates})
    return pd.concat([known, measured[columns]], ignore_index=True)


def map_arguments(
    inputs: Inputs,
    results: Results,
    maps: Sequence[catalogue.MapRecord] = catalogue.MAPS,
    *,
    slider: Sequence[webmap.SliderSteps] = webmap.DEFAULT_SLIDER,
) -> dict[str, Any]:
    """Everything `geo.webmap.render_maps` (and `geo.webmap.build_map`) needs, from the inputs and results.

    The time slider steps through the dates `slider` picks (`geo.webmap.slider_dates`); its panel states the
    regions of `maps`.
    """
    dates = webmap.slider_dates(list(results.series), slider, month_ends=inputs.monthly)
    return {
        "regions": results.regions,
        "deposits": results.deposits,
        "parts": results.parts,
        "front": results.front,
        "metals": results.metals,
        "bases": results.bases,
        "basemap": inputs.basemap,
        "snapshot_date": inputs.snapshot_date,
        "series": {date: shapely.union_all(results.series[date].geometry.to_numpy()) for date in dates},
        "statuses": results.statuses,
        "history": slider_history(results, dates, maps),
        "slider_steps": tuple(slider),
        "month_ends": tuple(inputs.monthly),
        "contested": results.contested,
        "scenarios": scenario_views(results, inputs.deal),
        "credit": inputs.occupation_credit,
        "dated_credits": inputs.dated_credits,
        "sources_view": sources_view(inputs, results),
    }


def sources_view(inputs: Inputs, results: Results) -> webmap.SourcesView | None:
    """Return what the HTML maps show of the sources' comparison on the snapshot's day; None where nothing is compared.

    The pairs of the build's own source with another that has a snapshot of that day (`SourcesResult`).
    """
    found = results.sources
    if found is None:
        return None
    day, shapes = inputs.snapshot_date, found.shapes
    own = next((s for s, dates in found.dates.items() if s not in schema.SECOND_SOURCES and day in dates), "")
    shapes = shapes[(shapes["date"] == day) & (shapes["source_a"] == own)]
    rows = found.deposits[(found.deposits["date"] == day) & (found.deposits["source_a"] == own)]
    if shapes.empty and rows.empty:
        return None
    compare = found.compare[(found.compare["date"] == day) & (found.compare["source_a"] == own)]
    return webmap.SourcesView(
        date=day,
        own=own,
        shapes=gpd.GeoDataFrame(shapes[["source_b", "only", "geometry"]].reset_index(drop=True), crs=shapes.crs),
        credits=dict(found.credits),
        footprints={str(b): str(f) for b, f in zip(compare["source_b"], compare["footprint"], strict=True)},
        deposits=rows[["deposit_id", "source_b", "control_a", "control_b"]].reset_index(drop=True),
        ukraine=compare.loc[
            compare["region_id"] == schema.COUNTRY_ID, ["source_b", "a_only_km2", "b_only_km2", "agreement"]
        ].reset_index(drop=True),
    )


def drawn_geometry(arguments: Mapping[str, Any], maps: Sequence[catalogue.MapRecord] = catalogue.MAPS) -> webmap.Drawn:
    """Return the HTML maps' geometry cache (each scale simplified once) for `maps`, from `map_arguments`."""
    return webmap.Drawn(
        arguments["regions"],
        arguments["parts"],
        arguments["front"],
        arguments["contested"],
        arguments["basemap"],
        maps=maps,
        only=arguments["sources_view"].only() if arguments.get("sources_view") is not None else None,
    )


def render_map(
    spec: catalogue.MapRecord, arguments: Mapping[str, Any], drawn: webmap.Drawn, *, words: i18n.Words | None = None
) -> bytes:
    """Render one map from `map_arguments` with the shared geometry cache, in the language of `words`."""
    keep = (
        *("regions", "deposits", "metals", "snapshot_date", "series", "statuses", "bases", "history"),
        *("slider_steps", "month_ends", "scenarios", "credit", "dated_credits", "sources_view"),
    )
    return webmap.render_map(spec, drawn=drawn, words=words, **{key: arguments[key] for key in keep})


def language_path(lang: str, name: str) -> str:
    """Return where an output in `lang` goes: English at the top (``overview.html``), others in a folder (``uk/…``)."""
    return name if lang == i18n.DEFAULT_LANGUAGE else f"{lang}/{name}"


def print_geometry(
    inputs: Inputs, results: Results, maps: Sequence[catalogue.MapRecord] = catalogue.MAPS
) -> printmap.PrintGeometry:
    """Return the static maps' geometry cache (reprojected and simplified once, shared by every language)."""
    return printmap.PrintGeometry(
        results.regions, results.parts, results.front, results.contested, inputs.basemap, maps=maps
    )


def render_print(
    inputs: Inputs,
    results: Results,
    geometry: printmap.PrintGeometry,
    *,
    words: i18n.Words | None = None,
    keys: Sequence[str] | None = None,
    scenarios: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, bytes]:
    """Render the static maps (ids of `geometry.maps`, all by default) in the language of `words`.

    The scenarios record is drawn once per scenario of `scenarios` (`scenario_views`; made from `results` if None).
    """
    words = words or i18n.words(i18n.DEFAULT_LANGUAGE)
    if scenarios is None:
        wanted = any(spec.scenarios for spec in geometry.maps if keys is None or spec.id in keys)
        scenarios = scenario_views(results, inputs.deal) if wanted else ()
    files = printmap.render_print_maps(
        geometry,
        regions=results.regions,
        deposits=results.deposits,
        snapshot_date=inputs.snapshot_date,
        words=words,
        keys=keys,
        scenarios=scenarios,
        credit=inputs.occupation_credit,
        dated_credits=inputs.dated_credits,
    )
    return {language_path(words.lang, name): data for name, data in files.items()}


@dataclass(frozen=True)
class Job:
    """One piece of the rendering: HTML or static maps (ids `maps`) or charts in `lang`; the tables; the QGIS files."""

    kind: Literal["maps", "print", "charts", "tables", "qgis"]
    lang: str = i18n.DEFAULT_LANGUAGE
    maps: tuple[str, ...] = ()


def _render_jobs(jobs: Sequence[Job]) -> dict[str, bytes]:
    shared = _RENDER[0]
    inputs, results = shared.inputs, shared.results
    files: dict[str, bytes] = {}
    for job in jobs:
        words = i18n.words(job.lang)
        if job.kind == "maps":
            if shared.drawn is None:
                shared.drawn = drawn_geometry(shared.arguments, shared.maps)
            for spec in shared.maps:
                if spec.id in job.maps:
                    html = render_map(spec, shared.arguments, shared.drawn, words=words)
                    files[language_path(job.lang, spec.file)] = html
        elif job.kind == "print":
            if shared.printed is None:
                shared.printed = print_geometry(inputs, results, shared.maps)
            scenarios = shared.arguments["scenarios"]
            files.update(render_print(inputs, results, shared.printed, words=words, keys=job.maps, scenarios=scenarios))
        elif job.kind == "charts":
            files.update(render_charts(results, words=words, credit=history_credit(inputs)))
        elif job.kind == "tables":
            files.update(render_tables(results))
        else:
            files.update(render_qgis(inputs, results, shared.maps))
    return files


def render_jobs(
    languages: Sequence[str], maps: Sequence[catalogue.MapRecord] = catalogue.MAPS
) -> tuple[list[Job], list[Job]]:
    """Split the rendering in two about equal halves: (this process, the second process).

    Maps of one scale share their simplified geometry, so the split follows
    the scales: the second process renders the oblast-scale HTML maps, the
    charts and the static maps of the other scales in every language; this
    one the other HTML maps, the oblast-scale static maps, the tables and the
    QGIS files (bench/build_time.py measures the halves).  The scenarios'
    static maps are split by language: the first language's here, the
    second's there, and so on.
    """
    apart = tuple(spec.id for spec in maps if spec.scale == "oblast")
    here = tuple(spec.id for spec in maps if spec.scale != "oblast")
    # the scenarios' static maps (a set per scenario) go to this process in every other language, to the second in
    # the rest: each language's are about a quarter of a half
    scenarios = tuple(spec.id for spec in maps if spec.scenarios)
    others = tuple(map_id for map_id in here if map_id not in scenarios)
    printed = [(lang, scenarios if k % 2 == 0 else ()) for k, lang in enumerate(languages)]
    jobs_here = [Job("maps", lang, here) for lang in languages] + [Job("tables"), Job("qgis")]
    jobs_here += [Job("print", lang, (*apart, *mine)) for lang, mine in printed]
    jobs_apart = [Job("maps", lang, apart) for lang in languages] + [Job("charts", lang) for lang in languages]
    jobs_apart += [Job("print", lang, (*others, *(() if mine else scenarios))) for lang, mine in printed]
    return jobs_here, jobs_apart


def render_outputs(
    inputs: Inputs,
    results: Results,
    *,
    languages: Sequence[str] = (i18n.DEFAULT_LANGUAGE,),
    maps: Sequence[catalogue.MapRecord] = catalogue.MAPS,
    slider: Sequence[webmap.SliderSteps] = webmap.DEFAULT_SLIDER,
) -> dict[str, bytes]:
    """Render every map of `maps`, table, chart and QGIS file; in two processes where there are two cores.

    Maps and charts are rendered in each of `languages` (`language_path` says
    where each goes); tables and QGIS files once, in English.  `render_jobs`
    says which process renders what.

    Returns
    -------
    dict
        Output file name → bytes: the maps in `maps` order for each language, then the rest.
    """
    maps = tuple(maps)
    catalogue.check_unique(maps)
    jobs_here, jobs_apart = render_jobs(languages, maps)
    _RENDER[:] = [_RenderPayload(inputs, results, maps, map_arguments(inputs, results, maps, slider=slider))]
    try:
        if not workers.can_fork():
            files = {**_render_jobs(jobs_here), **_render_jobs(jobs_apart)}
        else:
            with workers.forked_pool(1) as pool:
                other = pool.submit(workers.in_worker, _render_jobs, jobs_apart)
                files = _render_jobs(jobs_here)
                files.update(other.result())
    except BrokenProcessPool as exc:
        msg = "a map worker process died (killed, or out of memory?); nothing was written: run the build again"
        raise OutputError(msg) from exc
    finally:
        _RENDER.clear()
    order = [language_path(lang, spec.file) for lang in languages for spec in maps]
    ordered = {name: files.pop(name) for name in order}
    return {**ordered, **files}


#: The animations' folder, in each language's place (`language_path`): ``animations/<map id><suffix>``.
ANIMATION_DIR = "animations"
#: Each animation's file, by figure size (`geo.page.LAYOUTS`) and format: its suffix after the map's id.
ANIMATION_FILES = {
    ("web", "mp4"): ".mp4",
    ("web", "gif"): ".gif",
    ("card", "mp4"): "_card.mp4",
    ("card", "gif"): "_card.gif",
}


def animation_path(lang: str, map_id: str, layout: str, kind: str) -> str:
    """Return where a map's animation goes, e.g. ``animations/donetsk_card.gif`` or ``uk/animations/donetsk.mp4``."""
    return language_path(lang, f"{ANIMATION_DIR}/{map_id}{ANIMATION_FILES[(layout, kind)]}")


def animation_steps(
    inputs: Inputs, results: Results, spec: catalogue.MapRecord, shares: Mapping[tuple[str, str], float]
) -> list[printmap.Step]:
    """Return a map's animation steps: every date of the history (`Results.series`), in order.

    Each with its region's occupied share (`shares`: (date, region id) → share, as `slider_history` gives them:
    the figures of ``history_regions.csv``), the credit of that date's snapshot and each record's control that day.
    """
    return [
        printmap.Step(
            date=date,
            share=shares.get((date, spec.share_id)),
            credit=inputs.dated_credits.get(date, inputs.occupation_credit),
            statuses={str(k): str(v) for k, v in results.statuses[date].items()},
        )
        for date in results.series
    ]


def _occupation_at(inputs: Inputs, results: Results, date: str, interior: shapely.Geometry) -> printmap.DatedOccupation:
    """Return a date's occupied parts, line of contact (traced as the snapshot's is) and grey zone, for the frames."""
    parts = results.series[date]
    front = results.front if date == inputs.snapshot_date else join.front_line(parts, interior)
    return printmap.DatedOccupation(parts, front, results.contested_series.get(date))


def animate_map(
    inputs: Inputs,
    results: Results,
    geometry: printmap.PrintGeometry,
    spec: catalogue.MapRecord,
    *,
    languages: Sequence[str] = (i18n.DEFAULT_LANGUAGE,),
    interior: shapely.Geometry | None = None,
    shares: Mapping[tuple[str, str], float] | None = None,
) -> dict[str, bytes]:
    """Render one map's animations (`ANIMATION_FILES`) in each of `languages`: an MP4 and a GIF per figure size.

    Each date's geometry is made once and drawn in every size and language; the frames go to ffmpeg as they are
    drawn (`geo.animate.Writer`, every file's encoder running at once), so memory does not grow with the history.
    """
    dates = list(results.series)
    interior = join.land_interior(inputs.country) if interior is None else interior
    if shares is None:
        table = slider_history(results, dates, geometry.maps)
        shares = dict(
            zip(zip(table["date"], table[schema.REGION_ID], strict=True), table["occupied_share"], strict=True)
        )
    steps = animation_steps(inputs, results, spec, shares)
    history = results.history_regions[results.history_regions[schema.REGION_ID] == spec.share_id]
    parts = [
        part
        for part, column in (
            (schema.OCCUPIED_BEFORE_2022, "occupied_before_2022_km2"),
            (schema.OCCUPIED_SINCE_2022, "occupied_since_2022_km2"),
        )
        if bool((history[column] > 0).any())
    ]
    makers = {
        (lang, layout): printmap.FrameMaker(
            geometry,
            spec.id,
            layout=layout,
            regions=results.regions,
            deposits=results.deposits,
            words=i18n.words(lang),
            steps=steps,
            parts=parts,
            contested=bool((history["contested_km2"] > 0).any()),
        )
        for lang in languages
        for layout in dict.fromkeys(layout for layout, _kind in ANIMATION_FILES)
    }
    fps, hold = animate.timing(len(dates))
    sample = sorted({0, len(dates) // 2, len(dates) - 1})  # the GIF's palette is made from these dates' frames
    made = {k: _occupation_at(inputs, results, dates[k], interior) for k in sample}
    palettes = {key: animate.palette([maker.frame(k, made[k]) for k in sample]) for key, maker in makers.items()}
    files: dict[str, bytes] = {}
    with contextlib.ExitStack() as stack:
        writers = {
            (lang, layout, kind): stack.enter_context(
                animate.Writer(
                    kind,
                    makers[(lang, layout)].width,
                    makers[(lang, layout)].height,
                    fps,
                    channels=4,
                    gif_palette=palettes[(lang, layout)] if kind == "gif" else None,
                )
            )
            for lang, layout in makers
            for kind in ("mp4", "gif")
            if (layout, kind) in ANIMATION_FILES
        }
        for k, date in enumerate(dates):
            occupation = made.pop(k) if k in made else _occupation_at(inputs, results, date, interior)
            for (lang, layout), maker in makers.items():
                frame = maker.frame(k, occupation)
                for kind in ("mp4", "gif"):
                    writers[(lang, layout, kind)].write(frame)
        for (lang, layout, kind), writer in writers.items():
            writer.hold(hold)
            files[animation_path(lang, spec.id, layout, kind)] = writer.finish()
    return files


@dataclass(frozen=True)
class _AnimatePayload:
    """What the animations' forked worker reads."""

    inputs: Inputs
    results: Results
    maps: tuple[catalogue.MapRecord, ...]
    languages: tuple[str, ...]


_ANIMATE: list[_AnimatePayload] = []


def _animate_maps(map_ids: Sequence[str]) -> dict[str, bytes]:
    shared = _ANIMATE[0]
    inputs, results = shared.inputs, shared.results
    chosen = [spec for spec in shared.maps if spec.id in map_ids]
    geometry = print_geometry(inputs, results, chosen)
    table = slider_history(results, list(results.series), shared.maps)
    shares = dict(zip(zip(table["date"], table[schema.REGION_ID], strict=True), table["occupied_share"], strict=True))
    interior = join.land_interior(inputs.country)
    files: dict[str, bytes] = {}
    for spec in chosen:
        files.update(
            animate_map(inputs, results, geometry, spec, languages=shared.languages, interior=interior, shares=shares)
        )
    return files


def render_animations(
    inputs: Inputs,
    results: Results,
    *,
    languages: Sequence[str] = (i18n.DEFAULT_LANGUAGE,),
    maps: Sequence[catalogue.MapRecord] = catalogue.MAPS,
) -> dict[str, bytes]:
    """Render the animations (`animate_map`) of every map of `maps` with a time slider, in each of `languages`.

    Where there are two cores, every other map is rendered by a forked worker (ffmpeg's encoders run beside both).

    Returns
    -------
    dict
        Output file name (`animation_path`) → bytes, map by map in the order of `maps`, each language's in turn.
    """
    ids = [spec.id for spec in maps if spec.slider]
    if not ids or len(results.series) < 2:  # one date is a still, not an animation: the print maps show it
        return {}
    halves = [ids[0::2], ids[1::2]]
    _ANIMATE[:] = [_AnimatePayload(inputs, results, tuple(maps), tuple(languages))]
    try:
        if not workers.can_fork() or not halves[1]:
            files = _animate_maps(ids)
        else:
            with workers.forked_pool(1) as pool:
                other = pool.submit(workers.in_worker, _animate_maps, halves[1])
                files = _animate_maps(halves[0])
                files.update(other.result())
    except BrokenProcessPool as exc:
        msg = "an animation worker process died (killed, or out of memory?); nothing was written: run the build again"
        raise OutputError(msg) from exc
    finally:
        _ANIMATE.clear()
    order = [
        animation_path(lang, map_id, layout, kind)
        for map_id in ids
        for lang in languages
        for layout, kind in ANIMATION_FILES
    ]
    return {name: files[name] for name in order}


def render_tables(results: Results) -> dict[str, bytes]:
    """Render the CSV tables."""
    areas, rows = scenario_tables(results)
    return {
        schema.REGIONS_CSV: tables.regions_csv(results.regions),
        schema.DEPOSITS_CSV: tables.deposits_csv(results.deposits),
        schema.CONTROL_CSV: tables.control_csv(results.control),
        schema.HISTORY_REGIONS_CSV: tables.history_regions_csv(results.history_regions),
        schema.HISTORY_DEPOSITS_CSV: tables.history_deposits_csv(results.history_deposits),
        schema.LEDGER_CSV: tables.ledger_csv(results.ledger),
        schema.HISTORY_BASES_CSV: tables.history_bases_csv(results.history_bases),
        schema.SCENARIOS_CSV: tables.scenarios_csv(areas),
        schema.SCENARIO_DEPOSITS_CSV: tables.scenario_deposits_csv(rows),
        **source_tables(results),
    }


def source_rows(results: Results, found: SourcesResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the rows of ``sources_compare.csv`` and ``sources_deposits.csv``, with the regions' and records' names."""
    compare = found.compare.copy()
    compare.insert(2, "name_en", compare["region_id"].map(results.regions["name_en"]))
    rows = found.deposits.rename(columns={"deposit_id": "id"})
    for column in ("name_en", "primary_commodity", "oblast"):
        rows[column] = rows["id"].map(results.deposits[column])
    return compare, rows


def source_tables(results: Results) -> dict[str, bytes]:
    """Render ``sources_compare.csv`` and ``sources_deposits.csv`` (none when DeepState is the only source)."""
    if results.sources is None:
        return {}
    compare, rows = source_rows(results, results.sources)
    return {
        schema.SOURCES_COMPARE_CSV: tables.sources_compare_csv(compare),
        schema.SOURCES_DEPOSITS_CSV: tables.sources_deposits_csv(rows),
    }


def history_credit(inputs: Inputs) -> str:
    """Return what the history credits: the source of most of its dates, and each other date's (`Inputs.dated_credits`).

    DeepState's month-end files and snapshots with the build's snapshot from a user's file give, for example,
    ``DeepStateMap.Live; 2026-08-22: my_line.geojson`` (`geo.sources.history_credit`).
    """
    return sources.history_credit(inputs.dated_credits)


def render_charts(results: Results, *, words: i18n.Words | None = None, credit: str) -> dict[str, bytes]:
    """Render the PNG charts in the language of `words` (default English), named by `language_path`.

    `credit` names the sources of the history they plot (`history_credit`).  Where another occupation source shares
    a day with DeepState (`Results.sources`), the chart of where they disagree too.
    """
    words = words or i18n.words(i18n.DEFAULT_LANGUAGE)
    charts = {
        language_path(words.lang, schema.CHART_SHARE_PNG): history.chart_occupied_share(
            results.history_regions,
            region_ids=schema.FOCUS_REGIONS,
            names=results.regions[words.name_column],
            words=words,
            credit=credit,
        ),
        language_path(words.lang, schema.CHART_DEPOSITS_PNG): history.chart_deposits_occupied(
            results.ledger, words=words, credit=credit
        ),
    }
    if results.sources is not None and (results.sources.compare["region_id"] == schema.COUNTRY_ID).any():
        charts[language_path(words.lang, schema.CHART_SOURCES_PNG)] = history.chart_sources_disagreement(
            results.sources.compare, credits=results.sources.credits, words=words
        )
    return charts


def front_length_km(results: Results) -> float:
    """Return the length of the line of contact, km."""
    return float(results.front.to_crs(schema.DISTANCE_CRS).length.iloc[0]) / 1000.0


def print_layouts(
    inputs: Inputs, results: Results, maps: Sequence[catalogue.MapRecord] = catalogue.MAPS
) -> list[gpkg.PrintLayout]:
    """Return the QGIS print layouts: an A4 page for each map of `maps` that asks for one (in English).

    A layout shows what its map frames (`geo.geometry.frame_bounds`: a region, or the lithium sites) and states
    the occupied share of its `geo.catalogue.MapRecord.share_id`; the lithium map's is named by its title.

    A layout is named after its region; a name two regions share (74 hromadas share 34 English names) gets the
    region's id too, as QGIS keeps only one layout of a name.
    """
    words = i18n.words("en")  # the QGIS project is in English
    layouts: list[gpkg.PrintLayout] = []
    for spec in maps:
        if not spec.qgis_layout or (spec.frame != catalogue.LITHIUM and spec.frame not in results.regions.index):
            continue
        lithium = spec.frame == catalogue.LITHIUM  # a map of no one region: named and titled by its title
        name = (
            catalogue.title(spec, words, results.regions)
            if lithium
            else str(results.regions.loc[spec.frame, "name_en"])
        )
        if name in {layout.name for layout in layouts}:
            name = f"{name} ({spec.frame})"
        share = float(results.regions["occupied_share"].to_dict()[spec.share_id])
        xmin, ymin, xmax, ymax = geometry.frame_bounds(spec, results.regions, results.deposits)
        layouts.append(
            gpkg.PrintLayout(
                name=name,
                title=name if lithium else words("qgis.layout.title", name=name),
                subtitle=words(
                    "qgis.layout.subtitle",
                    date=inputs.snapshot_date,
                    credit=inputs.occupation_credit,
                    share=words.share(share, 1),
                ),
                bounds=(xmin, ymin, xmax, ymax),
                groups=spec.groups,
            )
        )
    return layouts


def render_qgis(
    inputs: Inputs, results: Results, maps: Sequence[catalogue.MapRecord] = catalogue.MAPS
) -> dict[str, bytes]:
    """Render the GeoPackage (styled layers) and the QGIS project."""
    revision = sources.source_revision(inputs.snapshot_source)
    layers_for_qgis = gpkg.gpkg_layers(
        regions=results.regions,
        deposits=results.deposits,
        parts=results.parts,
        part_area_km2=stats.area_km2(results.parts),
        history=results.series,
        contested=results.contested,
        contested_km2=float(results.regions["contested_km2"].to_dict()[schema.COUNTRY_ID]),
        front=results.front,
        front_km=front_length_km(results),
        control=results.control,
        provenance=inputs.provenance,
        snapshot_date=inputs.snapshot_date,
        basemap=inputs.basemap,
        scenarios=(views := scenario_views(results, inputs.deal)),
        compared=None
        if results.sources is None
        else gpkg.SourcesCompared(
            results.sources.shapes, *source_rows(results, results.sources), credits=results.sources.credits
        ),
    )
    lines = {str(view["date"]) for view in views}  # the scenarios' lines: each date's source
    scenario_credit = sources.history_credit({d: inputs.dated_credits.get(d, inputs.occupation_credit) for d in lines})
    focus = results.regions.loc[[schema.DONETSK_ID, schema.ZAPORIZHZHIA_ID, schema.KIROVOHRAD_ID]]
    xmin, ymin, xmax, ymax = (round(float(v), 4) for v in focus.total_bounds)
    layouts = print_layouts(inputs, results, maps)
    return {
        schema.GPKG_FILE: gpkg.render_gpkg(
            layers_for_qgis, snapshot_date=inputs.snapshot_date, source_revision=revision
        ),
        schema.QGZ_FILE: gpkg.render_project(
            layers_for_qgis,
            title=gpkg.project_title(),
            abstract=gpkg.project_abstract(snapshot_date=inputs.snapshot_date, credit=inputs.occupation_credit),
            credits=[*style.credits_for(history_credit(inputs))],
            extent=(xmin, ymin, xmax, ymax),
            snapshot_date=inputs.snapshot_date,
            layouts=layouts,
            credit=inputs.occupation_credit,
            scenario_credit=scenario_credit or None,
        ),
    }


#: The comparison's footprint: all of Ukraine, or Ukraine less the area held before 24 Feb 2022 (`sources_compare.csv`).
FOOTPRINT_UKRAINE = "ukraine"
FOOTPRINT_LESS_PRE2022 = "ukraine_less_pre2022"
#: Two sources' snapshots are compared when they are of the same day (UTC dates as each source names its file).
COMPARE_TOLERANCE_DAYS = 0
#: The id of the history's days whose snapshot is a user's own file, not DeepState's (`refresh_occupation.py
#: --from-file`): compared under this id and that file's credit, never as DeepState's.
USER_FILE = "file"
#: The words a deposit's control takes in `sources_deposits.csv`, per source.
SOURCE_OCCUPIED = "occupied"
SOURCE_HELD = "held"


@dataclass(frozen=True)
class SourcesResult:
    """Where the occupation sources disagree, on every day two of them have a snapshot (`compute_sources`)."""

    compare: pd.DataFrame  # `sources_compare.csv`: date × region × pair
    deposits: pd.DataFrame  # `sources_deposits.csv`: the located records whose control depends on the source
    shapes: gpd.GeoDataFrame  # date, source_a, source_b, only (the source that alone shows it occupied), km2; lon/lat
    credits: dict[str, str]  # source id → its credit
    dates: dict[str, list[str]]  # source id → the days it has a snapshot of (up to the build's)


def list_second_sources(layers: Path) -> dict[str, dict[str, Path]]:
    """List the other sources' stored snapshots by day (``layers/occupation/<source>``); none: an empty mapping."""
    found: dict[str, dict[str, Path]] = {}
    for source in schema.SECOND_SOURCES:
        folder = layers / schema.occupation_dir(source)
        if folder.is_dir():
            listed, problems = store.listing(folder)
            if problems:
                raise SourceError("; ".join(problems[:10]))
            if listed:
                found[source] = listed
    return found


def _source_snapshot(source: str, path: Path) -> tuple[shapely.Geometry, tuple[str, ...]]:
    """Read another source's verified snapshot: its occupied area (lon/lat) and what it leaves out.

    Its sidecar must name the source of the folder it is in; what it leaves out is the source's own
    (`geo.style.OccupationSource.leaves_out_ids`) and any more its sidecar records, each a known id
    (`geo.occupation.LEAVES_OUT`): a sidecar cannot widen the footprint the source is compared on.
    """
    try:
        frame = sources.read_snapshot(path)
    except store.DamagedSnapshotError as exc:
        msg = f"{exc}; restore it with its .source.json, or move both aside (refresh_occupation.py --verify lists them)"
        raise SourceError(msg) from exc
    sidecar = frame.attrs.get("sidecar") or {}
    claimed = sidecar.get("occupation_source")
    if claimed != source:
        msg = (
            f"{sources.sidecar_path(path)}: its occupation_source is {str(claimed)[:40]!r}, but it is stored in "
            f"{source}'s folder; store each source's files with refresh_occupation.py --source {source}"
        )
        raise SourceError(msg)
    recorded = sidecar.get("leaves_out", [])
    if not isinstance(recorded, list) or not all(isinstance(v, str) and v in LEAVES_OUT for v in recorded):
        msg = (
            f"{sources.sidecar_path(path)}: leaves_out must be a list of {', '.join(LEAVES_OUT)}; restore the "
            ".source.json the refresh wrote"
        )
        raise SourceError(msg)
    leaves = tuple(sorted({*style.OCCUPATION_SOURCES[source].leaves_out_ids, *recorded}))
    occupied = frame[frame["class"] != schema.SNAPSHOT_CONTESTED]
    return shapely.union_all(shapely.make_valid(occupied.geometry.to_numpy())), leaves


@dataclass(frozen=True)
class _Line:
    """One source's line of one day, in the equal-area CRS, with what it leaves out."""

    occupied: shapely.Geometry
    leaves_out: tuple[str, ...]


@dataclass(frozen=True)
class _Pair:
    """One day's two lines (equal-area) and what the comparison measures them on."""

    day: str
    source_a: str
    source_b: str
    cut: bool  # the area held before 24 Feb 2022 is left out of the footprint


#: A region the footprint covers less of than this share is not reported for a pair (Crimea and Sevastopol
#: when the pre-2022 area is left out: what is left of them is slivers between two drawings of one border).
MIN_FOOTPRINT_SHARE = 0.01


class _Lines:
    """Each source's line of a day, read once; each line less the pre-2022 area, and its km² per region, once."""

    def __init__(
        self, results: Results, days: Mapping[str, Mapping[str, Path | None]], *, zone: shapely.Geometry,
        regions: gpd.GeoSeries,
    ) -> None:  # fmt: skip
        self.results = results
        self.days = days
        self.zone = zone
        self.regions = regions
        self.country = regions.loc[schema.COUNTRY_ID]  # the shapes drawn are cut to it, as its row is
        self.lines: dict[tuple[str, str], _Line] = {}
        self.inside: dict[tuple[str, str, bool], shapely.Geometry] = {}
        self.km2: dict[tuple[str, str, bool], pd.Series] = {}

    def get(self, source: str, day: str) -> _Line:
        if (source, day) not in self.lines:
            leaves: tuple[str, ...] = ()
            geom: shapely.Geometry
            path = self.days[source][day]
            if path is None:  # the history's line of that day (DeepState's, or a user's file)
                parts = self.results.series[day]
                geom = shapely.union_all(shapely.make_valid(parts.geometry.to_numpy()))
            else:
                geom, leaves = _source_snapshot(source, path)
            projected = gpd.GeoSeries([geom], crs=schema.STORAGE_CRS).to_crs(schema.AREA_CRS).iloc[0]
            self.lines[(source, day)] = _Line(shapely.make_valid(projected), leaves)
        return self.lines[(source, day)]

    def within(self, source: str, day: str, *, cut: bool) -> shapely.Geometry:
        """Return the line's occupied ground within the footprint (less the pre-2022 area if `cut`)."""
        key = (source, day, cut)
        if key not in self.inside:
            occupied = self.get(source, day).occupied
            self.inside[key] = shapely.difference(occupied, self.zone) if cut else occupied
        return self.inside[key]

    def region_km2(self, source: str, day: str, *, cut: bool) -> pd.Series:
        """Return the km² of each region the line shows occupied within the footprint."""
        key = (source, day, cut)
        if key not in self.km2:
            self.km2[key] = stats.change_overlap_km2(self.regions, self.within(source, day, cut=cut))
        return self.km2[key]


def _compare_pair(
    pair: _Pair, lines: _Lines, located: gpd.GeoDataFrame, points_eq: gpd.GeoSeries
) -> tuple[pd.DataFrame, list[dict[str, Any]], list[dict[str, Any]]]:
    """Measure one pair on one day: per region, the shapes only one source shows, the records they disagree on.

    Only the small pieces one source alone shows are intersected with the regions; what both show is each
    source's own km² per region (computed once per line and footprint) less what it alone shows.
    """
    inside_a = lines.within(pair.source_a, pair.day, cut=pair.cut)
    inside_b = lines.within(pair.source_b, pair.day, cut=pair.cut)
    a_only, b_only = shapely.difference(inside_a, inside_b), shapely.difference(inside_b, inside_a)
    frame = stats.sources_overlap_from_pieces_km2(
        lines.regions,
        a_km2=lines.region_km2(pair.source_a, pair.day, cut=pair.cut),
        a_only=a_only,
        b_only=b_only,
    )
    frame = frame.rename_axis("region_id").reset_index()
    frame.insert(0, "date", pair.day)
    frame.insert(2, "source_a", pair.source_a)
    frame.insert(3, "source_b", pair.source_b)
    frame["footprint"] = FOOTPRINT_LESS_PRE2022 if pair.cut else FOOTPRINT_UKRAINE
    key = {"date": pair.day, "source_a": pair.source_a, "source_b": pair.source_b}
    drawn = ((pair.source_a, geometry.clip_pieces(a_only, lines.country)),
             (pair.source_b, geometry.clip_pieces(b_only, lines.country)))  # fmt: skip
    shapes = [
        {**key, "only": only, "km2": float(shapely.area(geom)) / 1e6, "geometry": geom}
        for only, geom in drawn
        if not shapely.is_empty(geom)
    ]
    x, y = points_eq.x.to_numpy(), points_eq.y.to_numpy()
    in_a, in_b = shapely.contains_xy(inside_a, x, y), shapely.contains_xy(inside_b, x, y)
    compared = ~shapely.contains_xy(lines.zone, x, y) if pair.cut else np.ones(len(x), dtype=bool)
    differ = compared & (in_a != in_b)
    deposits = [
        {
            "date": pair.day,
            "deposit_id": deposit_id,
            "source_a": pair.source_a,
            "source_b": pair.source_b,
            "control_a": SOURCE_OCCUPIED if in_a[n] else SOURCE_HELD,
            "control_b": SOURCE_OCCUPIED if in_b[n] else SOURCE_HELD,
        }
        for n, deposit_id in enumerate(located.index)
        if differ[n]
    ]
    return frame, shapes, deposits


def compute_sources(inputs: Inputs, results: Results, second: Mapping[str, Mapping[str, Path]]) -> SourcesResult | None:
    """Compare the sources on every day two of them have a snapshot; None when no other source is stored.

    DeepState's line of a day is the history's (`Results.series`); another source's is its stored snapshot.  Each
    pair is measured on a common footprint: Ukraine, less the area held before 24 Feb 2022 where either source
    leaves it out.  A region the footprint covers less than `MIN_FOOTPRINT_SHARE` of is left out of that pair's rows.
    """
    if not second:
        return None
    reported = results.regions.loc[scenario_regions(results.regions)]
    regions_eq = reported.geometry.to_crs(schema.AREA_CRS)
    zone = shapely.union_all(shapely.make_valid(inputs.pre2022.to_crs(schema.AREA_CRS).geometry.to_numpy()))
    outside_zone = 1.0 - stats.change_overlap_km2(regions_eq, zone) / reported["area_km2"]
    own = style.DEFAULT_OCCUPATION_SOURCE
    deepstates = style.OCCUPATION_SOURCES[own].credit
    days: dict[str, dict[str, Path | None]] = {}
    files: dict[str, str] = {}  # the history's days whose snapshot is a user's file (--from-file), and its credit
    for day in results.series:
        credit = inputs.dated_credits.get(day, inputs.occupation_credit if day == inputs.snapshot_date else deepstates)
        whose = own if credit == deepstates else USER_FILE
        days.setdefault(whose, {})[day] = None
        if whose == USER_FILE:
            files[day] = credit
    for source, listed in second.items():
        days[source] = {day: path for day, path in listed.items() if day <= inputs.snapshot_date}
    order = [s for s in (own, USER_FILE, *schema.SECOND_SOURCES) if s in days]
    located = results.deposits[results.deposits.geometry.notna() & ~results.deposits.geometry.is_empty]
    points_eq = located.geometry.to_crs(schema.AREA_CRS)
    lines = _Lines(results, days, zone=zone, regions=regions_eq)
    rows, shapes, deposit_rows = [], [], []
    for index, source_a in enumerate(order):
        for source_b in order[index + 1 :]:
            for day in sorted(set(days[source_a]) & set(days[source_b])):
                leaves = (*lines.get(source_a, day).leaves_out, *lines.get(source_b, day).leaves_out)
                pair = _Pair(day, source_a, source_b, cut=LEAVES_OUT_PRE2022 in leaves)
                frame, found, differ = _compare_pair(pair, lines, located, points_eq)
                if pair.cut:
                    frame = frame[frame["region_id"].map(outside_zone) >= MIN_FOOTPRINT_SHARE]
                rows.append(frame)
                shapes += found
                deposit_rows += differ
    compare_columns = ["date", "region_id", "source_a", "source_b", "a_only_km2", "b_only_km2", "both_km2",
                       "agreement", "footprint"]  # fmt: skip
    compare = pd.concat(rows, ignore_index=True)[compare_columns] if rows else pd.DataFrame(columns=compare_columns)
    deposits = pd.DataFrame(
        deposit_rows, columns=["date", "deposit_id", "source_a", "source_b", "control_a", "control_b"]
    )
    frame = gpd.GeoDataFrame(
        shapes, columns=["date", "source_a", "source_b", "only", "km2", "geometry"], geometry="geometry",
        crs=schema.AREA_CRS,
    ).to_crs(schema.STORAGE_CRS)  # fmt: skip
    credits = {s: style.OCCUPATION_SOURCES[s].credit for s in order}
    if files:  # a user's file: its own credit (the newest, where the history has several)
        credits[USER_FILE] = files[max(files)]
    return SourcesResult(compare, deposits, frame, credits, {s: sorted(days[s]) for s in order})


def sources_summary(results: Results) -> dict[str, Any]:
    """Summarise the comparison for ``summary.json`` → ``sources``: Ukraine's figures per day × pair, and the terms."""
    found = results.sources
    if found is None:
        return {}
    ukraine = found.compare[found.compare["region_id"] == schema.COUNTRY_ID]
    disagree = found.deposits.groupby(["date", "source_a", "source_b"]).size()
    pairs = []
    for record in ukraine.to_dict("records"):
        key = (str(record["date"]), str(record["source_a"]), str(record["source_b"]))
        pairs.append(
            {
                "date": key[0],
                "source_a": key[1],
                "source_b": key[2],
                **{
                    name: round(float(record[name]), schema.COLUMNS[name].decimals or 0)
                    for name in ("a_only_km2", "b_only_km2", "both_km2", "agreement")
                },
                "footprint": str(record["footprint"]),
                "deposits_disagree": int(disagree.get(key, 0)),
            }
        )
    return {
        "credits": found.credits,
        "dates": found.dates,
        "tolerance_days": COMPARE_TOLERANCE_DAYS,
        "footprints": {
            FOOTPRINT_UKRAINE: "all of Ukraine",
            FOOTPRINT_LESS_PRE2022: "Ukraine less the area DeepState shows held before 24 Feb 2022 (Crimea, "
            "Sevastopol, parts of Donetsk and Luhansk oblasts), which one of the two sources leaves out",
        },
        "pairs": pairs,
    }


def render_indexes(
    inputs: Inputs,
    results: Results,
    files: Mapping[str, bytes],
    *,
    languages: Sequence[str],
    maps: Sequence[catalogue.MapRecord] = catalogue.MAPS,
) -> dict[str, bytes]:
    """Render ``index.html`` in each of `languages` (`geo.indexpage`), listing `files` and ``summary.json``.

    Each map is shown with its print map's subtitle (the snapshot's date and its region's occupied share); the
    scenarios map with a print set per scenario.  The credits are those of the history (as the QGIS project's).
    """
    indexes = {lang: language_path(lang, indexpage.INDEX_HTML) for lang in languages}
    pages: dict[str, bytes] = {}
    for lang in languages:
        words = i18n.words(lang)
        entries = []
        for spec in maps:
            region = results.regions.loc[spec.share_id]
            subtitle = words(
                "print.subtitle",
                name=words.names(region.to_dict())[0],
                share=words.share(region["occupied_share"], 1),
                date=inputs.snapshot_date,
                credit=inputs.occupation_credit,
            )
            sets = (
                tuple(
                    indexpage.PrintSet(
                        f"{catalogue.SCENARIO_PRINT_PREFIX}{r.scenario.scenario_id}",
                        words.names({"name_en": r.scenario.name_en, "name_uk": r.scenario.name_uk})[0],
                    )
                    for r in results.scenarios
                )
                if spec.scenarios
                else (indexpage.PrintSet(spec.id),)
            )
            animations = tuple(
                (size, kind, animation_path(lang, spec.id, size, kind)) for size, kind in ANIMATION_FILES
            )
            title = catalogue.title(spec, words, results.regions)
            entries.append(indexpage.MapEntry(spec.id, title, subtitle, sets, animations))
        pages[indexes[lang]] = indexpage.render_index(
            entries,
            files,
            words=words,
            credits=style.credits_line(history_credit(inputs)),
            later=(schema.SUMMARY_JSON,),
            indexes=indexes,
        )
    return pages


def build(
    layers: Path,
    out: Path,
    *,
    snapshot: str | None = None,
    near_front_km: float = schema.NEAR_FRONT_KM,
    languages: Sequence[str] = (i18n.DEFAULT_LANGUAGE,),
    regions: Sequence[str] = (),
    slider: Sequence[webmap.SliderSteps] = webmap.DEFAULT_SLIDER,
    scenario_date: str | None = None,
    scenario_files: Sequence[Path] = (),
    dmz_depths: Mapping[str, float] = MappingProxyType({}),
    animations: bool = False,
) -> dict[str, Any]:
    """Build every output from `layers` into `out`, the maps and charts in each of `languages`.

    With `animations` (``--animate``), each map with a time slider also gets its animations in each language
    (`render_animations`: ``animations/<map id>.mp4``, ``.gif``, ``_card.mp4``, ``_card.gif``).

    The scenarios of ``scenarios.csv``, and one per file of `scenario_files` (``--scenario-file``: polygons of
    what Russia would control, `geo.scenarios.drawn_scenario`), start from the line of `scenario_date`
    (``--scenario-date``; the snapshot's by default); `dmz_depths` (``--dmz-depth ID=KM``) sets the depth of a
    scenario's demilitarised zones where the reports differ (`with_dmz_depths`).

    Besides the maps of `geo.catalogue.MAPS`, each region `regions` names (an
    id, or a name in English or Ukrainian: `geo.catalogue.resolve`) gets its
    own HTML map, print set and QGIS layout.  The time slider steps through the dates `slider` picks
    (``--slider``: `geo.webmap.parse_slider`).

    Nothing is written until every input is read, validated and every output
    rendered in memory; the output folder is then replaced as a whole
    (`geo.tables.write_outputs`).

    Returns
    -------
    dict
        The summary also written to ``summary.json``.
    """
    check_apart(layers, out)
    for lang in languages:
        i18n.words(lang)  # an unknown language fails here, before any work
    inputs = load(layers, snapshot=snapshot)
    if tuple(slider) != webmap.DEFAULT_SLIDER:  # a --slider rule that adds no step stops the build, before any work
        webmap.check_slider(series_dates(inputs), slider, month_ends=inputs.monthly)
    if scenario_date is not None:
        check_scenario_date(inputs, scenario_date)  # before any work
    inputs = with_dmz_depths(with_drawn_scenarios(inputs, scenario_files), dmz_depths)
    maps = catalogue.all_maps(inputs.regions, [catalogue.resolve(inputs.regions, query) for query in regions])
    second = list_second_sources(layers)
    results = compute(inputs, near_front_km=near_front_km, scenario_date=scenario_date)
    results = dataclasses.replace(results, sources=compute_sources(inputs, results, second))
    files = render_outputs(inputs, results, languages=languages, maps=maps, slider=slider)
    if animations:
        files.update(render_animations(inputs, results, languages=languages, maps=maps))
    front_km = front_length_km(results)
    revision = sources.source_revision(inputs.snapshot_source)
    files.update(render_indexes(inputs, results, files, languages=languages, maps=maps))  # last: lists what exists
    record = tables.summary(
        regions=results.regions,
        deposits=results.deposits,
        membership=results.membership,
        control=results.control,
        metals=results.metals,
        front_km=front_km,
        snapshot_date=inputs.snapshot_date,
        snapshot_source=inputs.snapshot_source,
        revision=revision,
        credits=inputs.credits,
        repairs=inputs.repairs,
        outputs=sorted([*files, schema.SUMMARY_JSON]),
        near_front_km=near_front_km,
        digests=tables.digests(files),
        bases=results.bases,
        history=tables.history_dates(series_dates(inputs), dated=inputs.dated, snapshot_date=inputs.snapshot_date),
        scenarios=scenario_summary(results, inputs.deal),
    )
    if results.sources is not None:
        record["sources"] = sources_summary(results)
    files[schema.SUMMARY_JSON] = tables.summary_json(record)
    tables.write_outputs(out, files)
    return record
