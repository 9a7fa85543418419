"""Workflow: the build, layers/ → maps/, in one place (the refresh is `geo.update`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import pandas as pd
import shapely

from geo import (
    gpkg,
    history,
    i18n,
    join,
    printmap,
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
from geo.errors import OutputError, SourceError
from geo.files import check_apart


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
    dated: dict[str, gpd.GeoDataFrame]
    since: gpd.GeoDataFrame
    snapshot_date: str
    snapshot_source: dict[str, Any]
    provenance: dict[str, dict[str, Any]]
    credits: list[str]
    repairs: list[str] = field(default_factory=list)


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


def load(layers: Path, *, snapshot: str | None = None) -> Inputs:
    """Read and validate every input in `layers`.

    Every file-level problem of every file is reported in one
    `geo.errors.ValidationError`; cross-layer checks (deposits inside the
    oblasts) follow once the files are clean.
    """
    snapshot_date, snapshot_path = sources.find_snapshot(layers / schema.OCCUPATION_DIR, date=snapshot)
    snapshots = _read_snapshots(layers, snapshot_date)
    data_files = [
        layers / schema.OBLASTS_FILE,
        layers / schema.COUNTRY_FILE,
        layers / schema.OBLAST_LOOKUP_FILE,
        layers / schema.RAIONS_FILE,
        layers / schema.HROMADAS_FILE,
        layers / schema.POKROVSK_FILE,
        layers / schema.DEPOSITS_FILE,
        layers / schema.FIGURES_FILE,
        layers / schema.RESERVES_FILE,
        layers / schema.PRICES_FILE,
        layers / schema.PRE2022_FILE,
        layers / schema.BASEMAP_FILE,
        layers / schema.SINCE_FILE,
        *sorted((layers / schema.MONTHLY_DIR).glob(schema.MONTHLY_GLOB)),
    ]
    region_frames = [
        sources.read_oblasts(layers / schema.OBLASTS_FILE),
        sources.read_raions(layers / schema.RAIONS_FILE),
        sources.read_hromadas(layers / schema.HROMADAS_FILE),
        sources.read_city(layers / schema.POKROVSK_FILE),
    ]
    country = sources.read_country(layers / schema.COUNTRY_FILE)
    snapshot_file = snapshots.pop(snapshot_date)
    occupation = [snapshot_file, sources.read_vector(layers / schema.PRE2022_FILE)]
    basemap = sources.read_basemap(layers / schema.BASEMAP_FILE)
    monthly = sources.read_monthly(layers / schema.MONTHLY_DIR)
    since = sources.read_vector(layers / schema.SINCE_FILE)
    dated = snapshots
    records = sources.read_deposits(layers / schema.DEPOSITS_FILE)
    figures = sources.read_figures(layers / schema.FIGURES_FILE)
    reserves = sources.read_reserves(layers / schema.RESERVES_FILE)
    prices = sources.read_prices(layers / schema.PRICES_FILE)
    aliases = sources.oblast_aliases(sources.read_oblast_lookup(layers / schema.OBLAST_LOOKUP_FILE))
    oblast_ids = sources.resolve_oblasts(records["oblast"], aliases)

    problems = validate.Problems()
    validate.check_regions([*region_frames, country], required_ids=schema.FOCUS_REGIONS, problems=problems)
    for frame in occupation:
        validate.check_polygons(frame, problems=problems)
    validate.check_polygons(basemap, bbox=schema.BASEMAP_BBOX, problems=problems)
    for frame in [since, *monthly.values(), *dated.values()]:
        validate.check_polygons(frame, problems=problems)
    validate.check_deposits(records, oblast_ids=oblast_ids, problems=problems)
    validate.check_figures(figures, required_ids=schema.METALS_FIGURE_IDS, problems=problems)
    validate.check_reserves(reserves, deposit_ids=list(records["id"]), problems=problems)
    validate.check_prices(prices, problems=problems)
    provenance = sources.read_provenance(data_files)
    validate.check_provenance(provenance, problems=problems)
    problems.raise_if_any()

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
        **{frame.attrs["source"]: frame.attrs["sidecar"] for frame in [snapshot_file, *dated.values()]},
    }
    credits = sorted({str(s["credit"]) for s in sidecars.values() if isinstance(s, dict) and s.get("credit")})
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
            for path in [*data_files, *[Path(f.attrs["source"]) for f in dated.values()], snapshot_path]
        },
        credits=credits,
        repairs=repairs,
    )


def _read_snapshots(layers: Path, snapshot_date: str) -> dict[str, gpd.GeoDataFrame]:
    """Read and verify the dated snapshots up to the build's; refuse every damaged one in one line.

    Raises
    ------
    geo.errors.SourceError
        Naming every damaged snapshot and how to mend them: the build never draws one.
    """
    frames: dict[str, gpd.GeoDataFrame] = {}
    damaged: list[str] = []
    for date, path in sources.list_snapshots(layers / schema.OCCUPATION_DIR).items():
        if date > snapshot_date:
            continue
        try:
            frames[date] = sources.read_snapshot(path)
        except store.DamagedSnapshotError as exc:
            damaged.append(str(exc))
    if damaged:
        msg = (
            f"{len(damaged)} stored snapshot(s) do not match their .source.json and are not drawn: "
            f"{'; '.join(damaged[:10])}{'; …' if len(damaged) > 10 else ''}; run "
            "`python3 scripts/refresh_occupation.py` to refetch them from DeepState (or restore each with its "
            ".source.json from a backup); `refresh_occupation.py --verify` lists the store's health"
        )
        raise SourceError(msg)
    return frames


def compute(inputs: Inputs, *, near_front_km: float = schema.NEAR_FRONT_KM) -> Results:
    """Join and count: regions' occupied areas, deposits' control, control by region × commodity."""
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
    figured = stats.preferred_reserves(inputs.reserves, deposits)
    deposits = deposits.join(figured)
    values = stats.deposit_value_usd(deposits.loc[figured.index], inputs.prices)
    deposits = deposits.join(values)
    control = stats.control_table(deposits, membership, regions)
    control = control.join(stats.reserves_by_region(deposits, membership, control))
    metals = stats.metals_comparison(control, inputs.figures, figure_ids=schema.METALS_FIGURE_IDS)
    series, statuses, history_regions = history_over_time(inputs, parts, regions, deposits, contested=contested_series)
    since = join.occupied_since(deposits, inputs.since)
    return Results(
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
    for date, frame in [*inputs.dated.items(), (inputs.snapshot_date, inputs.snapshot)]:
        series.pop(date, None)  # a dated snapshot replaces a month-end file of the same day
        if (geom := _grey(frame, "class", schema.SNAPSHOT_CONTESTED)) is not None:
            series[date] = geom
    return dict(sorted(series.items()))


#: A history of at least this many dates is measured in two halves, one per process, each half starting with a
#: full measurement (the split depends only on the dates, so the outputs do not depend on the machine).
PARALLEL_HISTORY_DATES = 40
_SHARED: dict[str, Any] = {}  # what forked history workers read (set just before they start)


def series_dates(inputs: Inputs) -> list[str]:
    """Every date of the history: the month-end files, the dated snapshots up to the build's, and the build's own."""
    dates = {*inputs.monthly, *inputs.dated, inputs.snapshot_date}
    return sorted(d for d in dates if d <= inputs.snapshot_date)


def _parts_at(inputs: Inputs, zone: gpd.GeoDataFrame, parts: gpd.GeoDataFrame, date: str) -> gpd.GeoDataFrame:
    if date == inputs.snapshot_date:
        return parts
    if date in inputs.dated:  # a dated snapshot replaces a month-end file of the same day
        return join.occupied_parts(_occupied(inputs.dated[date]), zone)
    return sources.monthly_parts(inputs.monthly[date])


def _history_chunk(dates: list[str]) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame, pd.DataFrame]:
    inputs, zone, parts = _SHARED["inputs"], _SHARED["zone"], _SHARED["parts"]
    series = {date: _parts_at(inputs, zone, parts, date) for date in dates}
    statuses, regions_over_time = history_tables(
        _SHARED["regions"], _SHARED["deposits"], series, contested=_SHARED["contested"]
    )
    return series, statuses, regions_over_time


def history_over_time(
    inputs: Inputs,
    parts: gpd.GeoDataFrame,
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    *,
    contested: Mapping[str, shapely.Geometry],
) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame, pd.DataFrame]:
    """Occupied parts, deposit statuses and region areas at every date of the history.

    Returns
    -------
    tuple
        Date → occupied parts; control status per deposit × date; the per-region series (as `history_tables`).
    """
    dates = series_dates(inputs)
    half = len(dates) // 2
    chunks = [dates] if len(dates) < PARALLEL_HISTORY_DATES else [dates[:half], dates[half:]]
    zone_geom = shapely.union_all(shapely.make_valid(inputs.pre2022.geometry.to_numpy()))
    zone = gpd.GeoDataFrame(geometry=[zone_geom], crs=schema.STORAGE_CRS)
    _SHARED.update(inputs=inputs, zone=zone, parts=parts, regions=regions, deposits=deposits, contested=contested)
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
        _SHARED.clear()
    series = {date: frame for chunk_series, _s, _r in results for date, frame in chunk_series.items()}
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
    by_date = dict(iter(history_regions.groupby("date", sort=False)))
    oblast_ids = chosen.index[chosen["level"] == "oblast"]
    statuses: dict[str, pd.Series] = {}
    for date, date_parts in series.items():
        oblasts = by_date[date].set_index(schema.REGION_ID).loc[oblast_ids]
        statuses[date] = join.control_status(deposits, date_parts, oblasts=oblasts)
    history_regions = history_regions.join(chosen[["name_en", "level"]], on=schema.REGION_ID)
    columns = ["date", schema.REGION_ID, "name_en", "level", "area_km2", "occupied_km2", "occupied_before_2022_km2",
               "occupied_since_2022_km2", "occupied_share", "contested_km2"]  # fmt: skip
    return pd.DataFrame(statuses, index=deposits.index), history_regions[columns]


def map_arguments(inputs: Inputs, results: Results) -> dict[str, Any]:
    """Everything `geo.webmap.render_maps` (and `geo.webmap.build_map`) needs, from the inputs and results."""
    return {
        "regions": results.regions,
        "deposits": results.deposits,
        "parts": results.parts,
        "front": results.front,
        "metals": results.metals,
        "bases": results.bases,
        "basemap": inputs.basemap,
        "snapshot_date": inputs.snapshot_date,
        "series": {
            date: shapely.union_all(results.series[date].geometry.to_numpy())
            for date in webmap.slider_dates(list(results.series))
        },
        "statuses": results.statuses,
        "contested": results.contested,
    }


def drawn_geometry(arguments: Mapping[str, Any]) -> webmap.Drawn:
    """Return the maps' geometry cache (each scale simplified once), from `map_arguments`."""
    return webmap.Drawn(
        arguments["regions"], arguments["parts"], arguments["front"], arguments["contested"], arguments["basemap"]
    )


def render_map(
    spec: webmap.MapSpec, arguments: Mapping[str, Any], drawn: webmap.Drawn, *, words: i18n.Words | None = None
) -> bytes:
    """Render one map from `map_arguments` with the shared geometry cache, in the language of `words`."""
    keep = ("regions", "deposits", "metals", "snapshot_date", "series", "statuses", "bases")
    return webmap.render_map(spec, drawn=drawn, words=words, **{key: arguments[key] for key in keep})


def language_path(lang: str, name: str) -> str:
    """Return where an output in `lang` goes: English at the top (``overview.html``), others in a folder (``uk/…``)."""
    return name if lang == i18n.DEFAULT_LANGUAGE else f"{lang}/{name}"


#: The maps a second process renders while this one renders the rest and the tables, charts and QGIS files.
#: Maps of one scale share their simplified geometry, so the split follows the scales (oblast scale apart);
#: bench/build_time.py measures the halves.
_MAPS_APART = tuple(spec.name for spec in webmap.SPECS if spec.scale == "oblast")
#: The static maps the second process renders (about half of their time; bench/build_time.py measures them).
_PRINT_APART = ("overview", "lithium", schema.POKROVSK_RAION_ID)


def _drawn() -> webmap.Drawn:
    """Return this process's map geometry cache (made once, shared by every language)."""
    if "drawn" not in _SHARED:
        _SHARED["drawn"] = drawn_geometry(_SHARED["maps"])
    return cast("webmap.Drawn", _SHARED["drawn"])


def print_geometry(inputs: Inputs, results: Results) -> printmap.PrintGeometry:
    """Return the static maps' geometry cache (reprojected and simplified once, shared by every language)."""
    return printmap.PrintGeometry(results.regions, results.parts, results.front, results.contested, inputs.basemap)


def render_print(
    inputs: Inputs,
    results: Results,
    geometry: printmap.PrintGeometry,
    *,
    words: i18n.Words | None = None,
    keys: Sequence[str] | None = None,
) -> dict[str, bytes]:
    """Render the static maps (`keys` of `geo.schema.MAP_FILES`, all by default) in the language of `words`."""
    words = words or i18n.words(i18n.DEFAULT_LANGUAGE)
    files = printmap.render_print_maps(
        geometry,
        regions=results.regions,
        deposits=results.deposits,
        snapshot_date=inputs.snapshot_date,
        words=words,
        keys=keys,
    )
    return {language_path(words.lang, name): data for name, data in files.items()}


def _print_geometry() -> printmap.PrintGeometry:
    """Return this process's static-map geometry cache (made once, shared by every language)."""
    if "print" not in _SHARED:
        _SHARED["print"] = print_geometry(*_SHARED["outputs"])
    return cast("printmap.PrintGeometry", _SHARED["print"])


def _render_specs(names: Sequence[str], lang: str) -> dict[str, bytes]:
    words = i18n.words(lang)
    return {
        language_path(lang, schema.MAP_FILES[spec.name]): render_map(spec, _SHARED["maps"], _drawn(), words=words)
        for spec in webmap.SPECS
        if spec.name in names
    }


#: One piece of the rendering: ("maps", language, map names), ("print", language, map names), ("charts", language),
#: ("tables",) or ("qgis",).
Job = tuple[Any, ...]


def _render_jobs(jobs: Sequence[Job]) -> dict[str, bytes]:
    inputs, results = _SHARED["outputs"]
    files: dict[str, bytes] = {}
    for kind, *rest in jobs:
        if kind == "maps":
            files.update(_render_specs(rest[1], rest[0]))
        elif kind == "print":
            files.update(render_print(inputs, results, _print_geometry(), words=i18n.words(rest[0]), keys=rest[1]))
        elif kind == "charts":
            files.update(render_charts(results, words=i18n.words(rest[0])))
        else:
            files.update(_EXTRAS[kind](inputs, results))
    return files


def render_jobs(languages: Sequence[str]) -> tuple[list[Job], list[Job]]:
    """Split the rendering in two about equal halves: (this process, the second process).

    The second process renders the oblast-scale maps, the charts and the
    static maps of `_PRINT_APART` in every language; this one the other maps
    and static maps, the tables and the QGIS files (measured by
    bench/build_time.py).
    """
    names = [spec.name for spec in webmap.SPECS]
    apart = [name for name in names if name in _MAPS_APART]
    here = [name for name in names if name not in _MAPS_APART]
    print_apart = [name for name in names if name in _PRINT_APART]
    print_here = [name for name in names if name not in _PRINT_APART]
    jobs_here: list[Job] = [("maps", lang, here) for lang in languages] + [("tables",), ("qgis",)]
    jobs_here += [("print", lang, print_here) for lang in languages]
    jobs_apart: list[Job] = [("maps", lang, apart) for lang in languages] + [("charts", lang) for lang in languages]
    jobs_apart += [("print", lang, print_apart) for lang in languages]
    return jobs_here, jobs_apart


def render_outputs(
    inputs: Inputs, results: Results, *, languages: Sequence[str] = (i18n.DEFAULT_LANGUAGE,)
) -> dict[str, bytes]:
    """Render every map, table, chart and QGIS file; in two processes where there are two cores.

    Maps and charts are rendered in each of `languages` (`language_path` says
    where each goes); tables and QGIS files once, in English.  `render_jobs`
    says which process renders what.

    Returns
    -------
    dict
        Output file name → bytes: the maps in `geo.webmap.SPECS` order for each language, then the rest.
    """
    jobs_here, jobs_apart = render_jobs(languages)
    _SHARED["maps"] = map_arguments(inputs, results)
    _SHARED["outputs"] = (inputs, results)
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
        for key in ("maps", "outputs", "drawn", "print"):
            _SHARED.pop(key, None)
    order = [language_path(lang, schema.MAP_FILES[spec.name]) for lang in languages for spec in webmap.SPECS]
    maps = {name: files.pop(name) for name in order}
    return {**maps, **files}


def render_tables(results: Results) -> dict[str, bytes]:
    """Render the CSV tables."""
    return {
        schema.REGIONS_CSV: tables.regions_csv(results.regions),
        schema.DEPOSITS_CSV: tables.deposits_csv(results.deposits),
        schema.CONTROL_CSV: tables.control_csv(results.control),
        schema.HISTORY_REGIONS_CSV: tables.history_regions_csv(results.history_regions),
        schema.HISTORY_DEPOSITS_CSV: tables.history_deposits_csv(results.history_deposits),
        schema.LEDGER_CSV: tables.ledger_csv(results.ledger),
        schema.HISTORY_BASES_CSV: tables.history_bases_csv(results.history_bases),
    }


def render_charts(results: Results, *, words: i18n.Words | None = None) -> dict[str, bytes]:
    """Render the PNG charts in the language of `words` (default English), named by `language_path`."""
    words = words or i18n.words(i18n.DEFAULT_LANGUAGE)
    return {
        language_path(words.lang, schema.CHART_SHARE_PNG): history.chart_occupied_share(
            results.history_regions,
            region_ids=schema.FOCUS_REGIONS,
            names=results.regions[words.name_column],
            words=words,
        ),
        language_path(words.lang, schema.CHART_DEPOSITS_PNG): history.chart_deposits_occupied(
            results.ledger, words=words
        ),
    }


def front_length_km(results: Results) -> float:
    """Return the length of the line of contact, km."""
    return float(results.front.to_crs(schema.DISTANCE_CRS).length.iloc[0]) / 1000.0


def print_layouts(inputs: Inputs, results: Results) -> list[gpkg.PrintLayout]:
    """Return the QGIS print layouts: one A4 page per focus region (the three oblasts and Pokrovsk raion)."""
    layouts = []
    for rid in (schema.DONETSK_ID, schema.ZAPORIZHZHIA_ID, schema.KIROVOHRAD_ID, schema.POKROVSK_RAION_ID):
        name = str(results.regions.loc[rid, "name_en"])
        share = float(results.regions["occupied_share"].to_dict()[rid])
        xmin, ymin, xmax, ymax = (float(v) for v in results.regions.geometry[rid].bounds)
        layouts.append(
            gpkg.PrintLayout(
                name=name,
                title=f"{name}: who controls the mineral resources",
                subtitle=f"Occupied areas as of {inputs.snapshot_date} ({style.OCCUPATION_CREDIT}): {share:.1%} of the area",
                bounds=(xmin, ymin, xmax, ymax),
            )
        )
    return layouts


def render_qgis(inputs: Inputs, results: Results) -> dict[str, bytes]:
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
    )
    focus = results.regions.loc[[schema.DONETSK_ID, schema.ZAPORIZHZHIA_ID, schema.KIROVOHRAD_ID]]
    xmin, ymin, xmax, ymax = (round(float(v), 4) for v in focus.total_bounds)
    layouts = print_layouts(inputs, results)
    return {
        schema.GPKG_FILE: gpkg.render_gpkg(
            layers_for_qgis, snapshot_date=inputs.snapshot_date, source_revision=revision
        ),
        schema.QGZ_FILE: gpkg.render_project(
            layers_for_qgis,
            title="Who controls Ukraine's mineral resources",
            abstract=(
                f"Regions, deposits and Russian-occupied territory ({style.OCCUPATION_CREDIT}, "
                f"{inputs.snapshot_date}) from resource-control-mapper; styles as in the HTML maps."
            ),
            credits=[*style.CREDITS],
            extent=(xmin, ymin, xmax, ymax),
            snapshot_date=inputs.snapshot_date,
            layouts=layouts,
        ),
    }


#: The outputs rendered once, in English, by name.
_EXTRAS: dict[str, Callable[[Inputs, Results], dict[str, bytes]]] = {
    "tables": lambda _inputs, results: render_tables(results),
    "qgis": render_qgis,
}


def build(
    layers: Path,
    out: Path,
    *,
    snapshot: str | None = None,
    near_front_km: float = schema.NEAR_FRONT_KM,
    languages: Sequence[str] = (i18n.DEFAULT_LANGUAGE,),
) -> dict[str, Any]:
    """Build every output from `layers` into `out`, the maps and charts in each of `languages`.

    Nothing is written until every input is read, validated and every output
    rendered in memory; each file is then written atomically.

    Returns
    -------
    dict
        The summary also written to ``summary.json``.
    """
    check_apart(layers, out)
    inputs = load(layers, snapshot=snapshot)
    results = compute(inputs, near_front_km=near_front_km)
    for lang in languages:
        i18n.words(lang)  # an unknown language fails here, before any work
    files = render_outputs(inputs, results, languages=languages)
    front_km = front_length_km(results)
    revision = sources.source_revision(inputs.snapshot_source)
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
    )
    files[schema.SUMMARY_JSON] = tables.summary_json(record)
    tables.write_outputs(out, files)
    return record
