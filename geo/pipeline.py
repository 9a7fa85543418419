"""The whole story, layers/ → maps/, in one place: the only module that composes stages."""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo import gpkg, history, join, refresh, schema, sources, stats, tables, validate, webmap
from geo.errors import RefreshError
from geo.files import write_all_atomic

#: Credits every output carries.
CREDITS = (
    "«© Мінрегіон» (CC BY-SA)",
    "© OpenStreetMap contributors (ODbL)",
    "Global Energy Monitor and ICMM (CC BY 4.0)",
    "DeepStateMap.Live",
    "Made with Natural Earth",
)


@dataclass(frozen=True)
class Inputs:
    """Everything read and validated from a layers folder."""

    regions: gpd.GeoDataFrame
    country: gpd.GeoDataFrame
    deposits: gpd.GeoDataFrame
    figures: pd.DataFrame
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
    history_regions: pd.DataFrame
    history_deposits: pd.DataFrame
    ledger: pd.DataFrame


def load(layers: Path, *, snapshot: str | None = None) -> Inputs:
    """Read and validate every input in `layers`.

    Every file-level problem of every file is reported in one
    `geo.errors.ValidationError`; cross-layer checks (deposits inside the
    oblasts) follow once the files are clean.
    """
    snapshot_date, snapshot_path = sources.find_snapshot(layers / schema.OCCUPATION_DIR, date=snapshot)
    data_files = [
        layers / schema.OBLASTS_FILE,
        layers / schema.COUNTRY_FILE,
        layers / schema.OBLAST_LOOKUP_FILE,
        layers / schema.RAIONS_FILE,
        layers / schema.HROMADAS_FILE,
        layers / schema.POKROVSK_FILE,
        layers / schema.DEPOSITS_FILE,
        layers / schema.FIGURES_FILE,
        layers / schema.PRE2022_FILE,
        layers / schema.BASEMAP_FILE,
        layers / schema.SINCE_FILE,
        *sorted((layers / schema.MONTHLY_DIR).glob(schema.MONTHLY_GLOB)),
        *[
            path
            for date, path in sources.list_snapshots(layers / schema.OCCUPATION_DIR).items()
            if date <= snapshot_date
        ],
    ]
    region_frames = [
        sources.read_oblasts(layers / schema.OBLASTS_FILE),
        sources.read_raions(layers / schema.RAIONS_FILE),
        sources.read_hromadas(layers / schema.HROMADAS_FILE),
        sources.read_city(layers / schema.POKROVSK_FILE),
    ]
    country = sources.read_country(layers / schema.COUNTRY_FILE)
    occupation = [sources.read_vector(snapshot_path), sources.read_vector(layers / schema.PRE2022_FILE)]
    basemap = sources.read_basemap(layers / schema.BASEMAP_FILE)
    monthly = sources.read_monthly(layers / schema.MONTHLY_DIR)
    since = sources.read_vector(layers / schema.SINCE_FILE)
    dated = {
        date: sources.read_vector(path)
        for date, path in sources.list_snapshots(layers / schema.OCCUPATION_DIR).items()
        if date < snapshot_date
    }
    records = sources.read_deposits(layers / schema.DEPOSITS_FILE)
    figures = sources.read_figures(layers / schema.FIGURES_FILE)
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
    sidecars = provenance["sidecar"]
    credits = sorted({str(s["credit"]) for s in sidecars if isinstance(s, dict) and s.get("credit")})
    return Inputs(
        regions=gpd.GeoDataFrame(pd.concat(region_frames), crs=schema.STORAGE_CRS),
        country=country,
        deposits=deposits,
        figures=figures,
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
            for path in data_files
        },
        credits=credits,
        repairs=repairs,
    )


def compute(inputs: Inputs, *, near_front_km: float = schema.NEAR_FRONT_KM) -> Results:
    """Join and count: regions' occupied areas, deposits' control, control by region × commodity."""
    parts = join.occupied_parts(inputs.snapshot, inputs.pre2022)
    front = join.front_line(parts, inputs.country)
    all_regions = gpd.GeoDataFrame(pd.concat([inputs.country, inputs.regions]), crs=schema.STORAGE_CRS)
    regions = gpd.GeoDataFrame(
        stats.region_table(all_regions, parts), geometry=all_regions.geometry, crs=schema.STORAGE_CRS
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
    control = stats.control_table(deposits, membership, regions)
    metals = stats.metals_comparison(control, inputs.figures, figure_ids=schema.METALS_FIGURE_IDS)
    series = occupation_series(inputs, parts)
    statuses, history_regions = history_tables(regions, deposits, series)
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
        history_regions=history_regions,
        history_deposits=history.history_deposits(deposits, since, statuses),
        ledger=stats.control_ledger(deposits, statuses, membership, regions),
    )


def occupation_series(inputs: Inputs, parts: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Date → occupied parts: the month-end files, every dated snapshot up to the build's, and the build's own."""
    series = {date: sources.monthly_parts(frame) for date, frame in inputs.monthly.items()}
    for date, frame in inputs.dated.items():
        series[date] = join.occupied_parts(frame, inputs.pre2022)
    series[inputs.snapshot_date] = parts
    return dict(sorted((d, p) for d, p in series.items() if d <= inputs.snapshot_date))


def history_tables(
    regions: gpd.GeoDataFrame, deposits: gpd.GeoDataFrame, series: Mapping[str, gpd.GeoDataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Control status of every deposit and occupied area of every oblast, raion and focus region, per date."""
    chosen = regions[regions["level"].isin(["country", "oblast", "raion"]) | regions.index.isin(schema.FOCUS_REGIONS)]
    history_regions = stats.occupied_km2_over_time(chosen, series)
    by_date = dict(iter(history_regions.groupby("date", sort=False)))
    oblast_ids = chosen.index[chosen["level"] == "oblast"]
    statuses: dict[str, pd.Series] = {}
    for date, date_parts in series.items():
        oblasts = by_date[date].set_index(schema.REGION_ID).loc[oblast_ids]
        statuses[date] = join.control_status(deposits, date_parts, oblasts=oblasts)
    history_regions = history_regions.join(chosen[["name_en", "level"]], on=schema.REGION_ID)
    columns = ["date", schema.REGION_ID, "name_en", "level", "area_km2", "occupied_km2", "occupied_before_2022_km2",
               "occupied_since_2022_km2", "occupied_share"]  # fmt: skip
    return pd.DataFrame(statuses, index=deposits.index), history_regions[columns]


def map_arguments(inputs: Inputs, results: Results) -> dict[str, Any]:
    """Everything `geo.webmap.render_maps` (and `geo.webmap.build_map`) needs, from the inputs and results."""
    return {
        "regions": results.regions,
        "deposits": results.deposits,
        "parts": results.parts,
        "front": results.front,
        "metals": results.metals,
        "basemap": inputs.basemap,
        "snapshot_date": inputs.snapshot_date,
        "series": {date: shapely.union_all(p.geometry.to_numpy()) for date, p in results.series.items()},
        "statuses": results.statuses,
    }


def build(
    layers: Path, out: Path, *, snapshot: str | None = None, near_front_km: float = schema.NEAR_FRONT_KM
) -> dict[str, Any]:
    """Build every output from `layers` into `out`.

    Nothing is written until every input is read, validated and every output
    rendered in memory; each file is then written atomically.

    Returns
    -------
    dict
        The summary also written to ``summary.json``.
    """
    inputs = load(layers, snapshot=snapshot)
    results = compute(inputs, near_front_km=near_front_km)
    files = webmap.render_maps(**map_arguments(inputs, results))
    files[schema.REGIONS_CSV] = tables.regions_csv(results.regions)
    files[schema.DEPOSITS_CSV] = tables.deposits_csv(results.deposits)
    files[schema.CONTROL_CSV] = tables.control_csv(results.control)
    files[schema.HISTORY_REGIONS_CSV] = tables.history_regions_csv(results.history_regions)
    files[schema.HISTORY_DEPOSITS_CSV] = tables.history_deposits_csv(results.history_deposits)
    files[schema.LEDGER_CSV] = tables.ledger_csv(results.ledger)
    files[schema.CHART_SHARE_PNG] = history.chart_occupied_share(
        results.history_regions, region_ids=schema.FOCUS_REGIONS, names=results.regions["name_en"]
    )
    files[schema.CHART_DEPOSITS_PNG] = history.chart_deposits_occupied(results.ledger)
    front_km = float(results.front.to_crs(schema.DISTANCE_CRS).length.iloc[0]) / 1000.0
    revision = sources.source_revision(inputs.snapshot_source)
    layers_for_qgis = gpkg.gpkg_layers(
        regions=results.regions,
        deposits=results.deposits,
        parts=results.parts,
        part_area_km2=stats.area_km2(results.parts),
        history=results.series,
        front=results.front,
        front_km=front_km,
        control=results.control,
        provenance=inputs.provenance,
        snapshot_date=inputs.snapshot_date,
    )
    files[schema.GPKG_FILE] = gpkg.render_gpkg(
        layers_for_qgis, snapshot_date=inputs.snapshot_date, source_revision=revision
    )
    focus = results.regions.loc[[schema.DONETSK_ID, schema.ZAPORIZHZHIA_ID, schema.KIROVOHRAD_ID]]
    xmin, ymin, xmax, ymax = (round(float(v), 4) for v in focus.total_bounds)
    files[schema.QGZ_FILE] = gpkg.render_project(
        layers_for_qgis,
        title="Who controls Ukraine's mineral resources",
        abstract=(
            f"Regions, deposits and Russian-occupied territory (DeepStateMap.Live, {inputs.snapshot_date}) "
            "from resource-control-mapper; styles as in the HTML maps."
        ),
        credits=[*CREDITS],
        extent=(xmin, ymin, xmax, ymax),
        snapshot_date=inputs.snapshot_date,
    )
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
    )
    files[schema.SUMMARY_JSON] = tables.summary_json(record)
    tables.write_outputs(out, files)
    return record


# --- refresh ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One occupation snapshot to fetch or read."""

    url: str
    version: str | None  # DeepState version id, None for a user file
    published: str | None  # ISO UTC time of publication
    date: str  # snapshot date, YYYY-MM-DD


def _latest_target(base: str, *, fetch: Any) -> tuple[Target, Any]:
    payload = fetch(f"{base}/history/last")
    version = refresh.check_version_id(str(payload.get("id", "") if isinstance(payload, dict) else ""))
    when = refresh.version_time(version)
    return Target(
        f"{base}/history/last", version, when.isoformat().replace("+00:00", "Z"), when.date().isoformat()
    ), payload


def _version_target(base: str, version: str) -> Target:
    refresh.check_version_id(version)
    when = refresh.version_time(version)
    return Target(
        f"{base}/history/{version}/geojson", version, when.isoformat().replace("+00:00", "Z"), when.date().isoformat()
    )


def _since_targets(base: str, since: str, *, fetch: Any) -> list[Target]:
    listing = fetch(f"{base}/history/public")
    if not isinstance(listing, list):
        msg = f"{base}/history/public: expected a JSON list of versions"
        raise RefreshError(msg)
    per_day: dict[str, Target] = {}
    for record in listing:
        if not isinstance(record, dict) or record.get("status") is not True:
            continue
        try:
            target = _version_target(base, str(record.get("id", "")))
        except RefreshError:
            continue  # a malformed entry: skip it, not the whole list
        if target.date >= since and (
            target.date not in per_day or int(target.version or 0) > int(per_day[target.date].version or 0)
        ):
            per_day[target.date] = target  # each day's latest version
    return [per_day[day] for day in sorted(per_day)]


def _read_file_features(location: str, *, fetch_bytes: Any) -> list[Mapping[str, Any]]:
    """Read a user's GeoJSON or KML of occupied areas (a path or an http(s) URL) as GeoJSON features."""
    path = Path(location)
    with tempfile_dir() as scratch:
        if location.startswith(("http://", "https://")):
            path = scratch / ("download" + (Path(location.split("?", maxsplit=1)[0]).suffix or ".geojson"))
            path.write_bytes(fetch_bytes(location))
        elif not path.is_file():
            msg = f"{location}: no such file; --from-file takes a GeoJSON or KML file, or an http(s) URL"
            raise RefreshError(msg)
        frame = sources.read_vector(path)
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
            msg = f"{location}: no geometries; --from-file takes a GeoJSON or KML of occupied areas"
            raise RefreshError(msg)
        if frame.crs is not None and not frame.crs.equals(schema.STORAGE_CRS) and frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(schema.STORAGE_CRS)
        features: list[Mapping[str, Any]] = []
        for _, row in frame.iterrows():
            props = {"name": "geoJSON.status.occupied"}  # a file of occupied areas: every polygon counts
            features.append(
                {
                    "geometry": shapely.geometry.mapping(row.geometry) if row.geometry is not None else None,
                    "properties": props,
                }
            )
        return features


@contextlib.contextmanager
def tempfile_dir() -> Iterator[Path]:
    """Yield a scratch folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="geo-refresh-") as name:
        yield Path(name)


def change_report(
    inputs: Inputs,
    previous: shapely.Geometry | None,
    current: shapely.Geometry,
    *,
    previous_date: str | None,
    date: str,
) -> dict[str, Any]:
    """Compare two occupied areas: km² gained and lost per oblast and focus region, deposits that changed hands."""
    regions = inputs.regions
    chosen = regions[(regions["level"] == "oblast") | regions.index.isin(schema.FOCUS_REGIONS)]
    empty = shapely.Polygon()
    old = previous if previous is not None else empty
    gained = stats.overlap_km2(chosen, shapely.difference(current, old))
    lost = stats.overlap_km2(chosen, shapely.difference(old, current))
    rows = [
        {
            "region_id": rid,
            "name_en": str(chosen.loc[rid, "name_en"]),
            "level": str(chosen.loc[rid, "level"]),
            "gained_km2": round(float(gained[rid]), 3),
            "lost_km2": round(float(lost[rid]), 3),
            "net_km2": round(float(gained[rid] - lost[rid]), 3),
        }
        for rid in chosen.index
        if rid in schema.FOCUS_REGIONS or gained[rid] >= 0.001 or lost[rid] >= 0.001
    ]
    deposits = inputs.deposits
    oblasts = stats.region_table(
        regions[regions["level"] == "oblast"], join.occupied_parts(_frame(current), inputs.pre2022)
    )
    after = join.control_status(deposits, join.occupied_parts(_frame(current), inputs.pre2022), oblasts=oblasts)
    if previous is not None:
        before_oblasts = stats.region_table(
            regions[regions["level"] == "oblast"], join.occupied_parts(_frame(old), inputs.pre2022)
        )
        before = join.control_status(deposits, join.occupied_parts(_frame(old), inputs.pre2022), oblasts=before_oblasts)
    else:
        before = after
    changed = [
        {"id": rid, "name_en": str(deposits.loc[rid, "name_en"]), "before": str(before[rid]), "after": str(after[rid])}
        for rid in deposits.index
        if before[rid] != after[rid]
    ]
    total_before = refresh.area_km2(old) if previous is not None else None
    total_after = refresh.area_km2(current)
    return {
        "previous_snapshot": previous_date,
        "snapshot": date,
        "occupied_km2": round(total_after, 1),
        "previous_occupied_km2": round(total_before, 1) if total_before is not None else None,
        "gained_km2": round(refresh.area_km2(shapely.difference(current, old)), 1),
        "lost_km2": round(refresh.area_km2(shapely.difference(old, current)), 1) if previous is not None else 0.0,
        "regions": rows,
        "deposits_changed": changed,
    }


def _frame(geom: shapely.Geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[geom], crs=schema.STORAGE_CRS)


_CONTROL_WORDS = {
    schema.OCCUPIED_SINCE_2022: "occupied since 2022",
    schema.OCCUPIED_BEFORE_2022: "occupied before 2022",
    schema.HELD: "held by Ukraine",
    schema.UNKNOWN: "unknown",
}


def report_markdown(report: Mapping[str, Any]) -> str:
    """Render a change report as Markdown."""
    labels = _CONTROL_WORDS
    lines = [
        f"# Occupation change: {report['previous_snapshot'] or 'none'} → {report['snapshot']}",
        "",
        f"Occupied: {report['occupied_km2']:,} km² (previous: {format(report['previous_occupied_km2'] or 0, ',') if report['previous_occupied_km2'] else 'n/a'}); "
        f"gained {report['gained_km2']:,} km², lost {report['lost_km2']:,} km² (EPSG:6933). Source: DeepStateMap.Live.",
        "",
        "| region | level | gained km² | lost km² | net km² |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {r['name_en']} ({r['region_id']}) | {r['level']} | {r['gained_km2']:,.3f} | {r['lost_km2']:,.3f} | {r['net_km2']:,.3f} |"
        for r in report["regions"]
    ]
    lines += ["", "Deposits whose control changed:", ""]
    lines += [
        f"- {d['name_en']} ({d['id']}): {labels.get(d['before'], d['before'])} → {labels.get(d['after'], d['after'])}"
        for d in report["deposits_changed"]
    ] or ["- none"]
    return "\n".join(lines) + "\n"


def _nearest(known: Mapping[str, Any], date: str) -> tuple[str | None, bool]:
    """Return the stored date to compare `date` with: the nearest one not after it, else the nearest later one."""
    earlier = [d for d in known if d <= date]
    if earlier:
        return max(earlier), False
    later = [d for d in known if d > date]
    return (min(later), True) if later else (None, False)


def _choose_targets(
    base: str,
    *,
    version: str | None,
    since: str | None,
    from_file: str | None,
    stored: Mapping[str, Path],
    fetch: Any,
) -> tuple[list[Target], dict[str, Any], str | None]:
    """Decide what to fetch; return the targets, payloads already fetched, and a reason to stop early."""
    if from_file:
        return [Target(from_file, None, None, refresh.now_utc()[:10])], {}, None
    if since:
        return _since_targets(base, since, fetch=fetch), {}, None
    if version:
        return [_version_target(base, version)], {}, None
    target, payload = _latest_target(base, fetch=fetch)
    if stored and target.date < max(stored):
        reason = (
            f"the newest version on the server ({target.version}, {target.date}) is older than the newest "
            f"stored snapshot ({max(stored)}); nothing to do"
        )
        return [], {}, reason
    return [target], {target.url: payload}, None


def _render_version(
    inputs: Inputs,
    target: Target,
    features: Any,
    known: dict[str, Any],
    *,
    directory: Path,
    force: bool,
    from_file: str | None,
) -> tuple[dict[Path, bytes], dict[str, Any], str]:
    """Check one version and render its snapshot, sidecar and change report (nothing is written here)."""
    parsed = refresh.occupied_area(features)
    previous_date, later = _nearest(known, target.date)
    previous = known.get(previous_date) if previous_date else None
    if isinstance(previous, Path):
        previous = shapely.union_all(shapely.make_valid(sources.read_vector(previous).geometry.to_numpy()))
    km2 = refresh.check_snapshot(parsed, source=target.url, previous=previous, force=force)
    join.front_line(
        join.occupied_parts(_frame(parsed.occupied), inputs.pre2022), inputs.country
    )  # the build can use it
    data = refresh.snapshot_bytes(
        parsed.occupied,
        properties={
            "version_id": target.version,
            "published_utc": target.published,
            "source": from_file or "DeepStateMap.Live",
        },
    )
    user = (
        {"licence": "supplied by the user: state its licence here", "credit": f"Source: {from_file}"}
        if from_file
        else {}
    )
    sidecar = refresh.sidecar_for(
        data=data,
        url=target.url,
        version=target.version,
        published=target.published,
        snapshot_date=target.date,
        parsed=parsed,
        km2=km2,
        **user,
    )
    report = change_report(inputs, previous, parsed.occupied, previous_date=previous_date, date=target.date)
    report.update(version_id=target.version, compared_with_later_snapshot=later, repaired_polygons=parsed.repaired)
    path = refresh.snapshot_path(directory, target.date)
    side_path = path.with_name(path.name.removesuffix(".geojson") + schema.SIDECAR_SUFFIX)
    files = {side_path: (json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n").encode("utf-8"), path: data}
    known[target.date] = parsed.occupied
    changed = ", ".join(
        f"{d['name_en']}: {_CONTROL_WORDS[d['before']]} → {_CONTROL_WORDS[d['after']]}"
        for d in report["deposits_changed"]
    )
    repaired = f"; repaired {parsed.repaired} invalid polygons" if parsed.repaired else ""
    against = f"{previous_date}{' (a later snapshot)' if later else ''}" if previous_date else "nothing"
    message = (
        f"wrote {path} ({km2:,.0f} km² occupied; +{report['gained_km2']:,} / -{report['lost_km2']:,} km² "
        f"since {against}{repaired}); deposits changed: {changed or 'none'}"
    )
    return files, report, message


def refresh_occupation(
    layers: Path,
    out: Path,
    *,
    base: str,
    version: str | None = None,
    since: str | None = None,
    from_file: str | None = None,
    force: bool = False,
    timeout: float = refresh.TIMEOUT_S,
    retries: int = refresh.RETRIES,
    progress: Any = None,
) -> list[str]:
    """Fetch (or read) occupation snapshots into ``layers/occupation`` and write a change report to `out`.

    Every version is fetched and checked, and every file rendered, before
    anything is written; then all snapshots, sidecars and the report are
    written together (each atomically, renamed only once all are staged),
    under a lock.  A version already stored is skipped.  In the default mode a
    server version older than the newest stored snapshot is skipped.

    Returns
    -------
    list
        One line per version: what was written or skipped, and the change.
    """

    def fetch(url: str) -> Any:
        return refresh.fetch_json(url, timeout=timeout, retries=retries)

    def fetch_bytes(url: str) -> bytes:
        return refresh.fetch_bytes(url, timeout=timeout, retries=retries)

    directory = layers / schema.OCCUPATION_DIR
    if not directory.is_dir():
        msg = f"{directory}: no such folder; pass --layers DIR with the project's layers"
        raise RefreshError(msg)
    with refresh.refresh_lock(directory):
        stored = sources.list_snapshots(directory)
        targets, payloads, reason = _choose_targets(
            base, version=version, since=since, from_file=from_file, stored=stored, fetch=fetch
        )
        if reason:
            return [reason]
        inputs = load(layers)
        known: dict[str, Any] = dict(stored)  # date → stored file, or a geometry accepted in this run
        files: dict[Path, bytes] = {}
        reports: list[dict[str, Any]] = []
        messages: list[str] = []
        for number, target in enumerate(targets, start=1):
            if progress is not None:
                progress(number, len(targets), target)
            if target.version and (done := refresh.existing_version(directory, target.version)):
                messages.append(f"already have version {target.version} ({done.name}); nothing to do")
                continue
            if from_file:
                features = _read_file_features(from_file, fetch_bytes=fetch_bytes)
            else:
                features = refresh.feature_collection(payloads.get(target.url) or fetch(target.url))
            rendered, report, message = _render_version(
                inputs, target, features, known, directory=directory, force=force, from_file=from_file
            )
            files.update(rendered)
            reports.append(report)
            messages.append(message)
        if reports:
            report_json = json.dumps({"reports": reports}, ensure_ascii=False, indent=2) + "\n"
            files[out / "refresh_report.json"] = report_json.encode("utf-8")
            files[out / "refresh_report.md"] = "\n".join(report_markdown(r) for r in reports).encode("utf-8")
            try:
                write_all_atomic(files)
            except OSError as exc:
                msg = f"cannot write the snapshot or the report ({exc.strerror or exc}); nothing was changed"
                raise RefreshError(msg) from exc
    return messages
