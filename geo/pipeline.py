"""The whole story, layers/ → maps/, in one place: the only module that composes stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import gpkg, join, schema, sources, stats, tables, validate, webmap

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
        snapshot_path,
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
    records = sources.read_deposits(layers / schema.DEPOSITS_FILE)
    figures = sources.read_figures(layers / schema.FIGURES_FILE)
    aliases = sources.oblast_aliases(sources.read_oblast_lookup(layers / schema.OBLAST_LOOKUP_FILE))
    oblast_ids = sources.resolve_oblasts(records["oblast"], aliases)

    problems = validate.Problems()
    validate.check_regions([*region_frames, country], required_ids=schema.FOCUS_REGIONS, problems=problems)
    for frame in occupation:
        validate.check_polygons(frame, problems=problems)
    validate.check_polygons(basemap, bbox=schema.BASEMAP_BBOX, problems=problems)
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
    return Results(
        regions=regions,
        deposits=deposits,
        membership=membership,
        control=control,
        metals=metals,
        parts=parts,
        front=front,
    )


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
    files = webmap.render_maps(
        regions=results.regions,
        deposits=results.deposits,
        parts=results.parts,
        front=results.front,
        metals=results.metals,
        basemap=inputs.basemap,
        snapshot_date=inputs.snapshot_date,
    )
    files[schema.REGIONS_CSV] = tables.regions_csv(results.regions)
    files[schema.DEPOSITS_CSV] = tables.deposits_csv(results.deposits)
    files[schema.CONTROL_CSV] = tables.control_csv(results.control)
    front_km = float(results.front.to_crs(schema.DISTANCE_CRS).length.iloc[0]) / 1000.0
    revision = sources.source_revision(inputs.snapshot_source)
    layers_for_qgis = gpkg.gpkg_layers(
        regions=results.regions,
        deposits=results.deposits,
        parts=results.parts,
        part_area_km2=stats.area_km2(results.parts),
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
