"""Workflow: refresh the occupation snapshots in ``layers/occupation``, one version (or one dated file) at a time.

From DeepStateMap's API by default; from another source's files with ``--source nzz|isw`` (`geo.occupation`),
stored in ``layers/occupation/<source>`` by the same machinery.

Under a lock on the folder: choose the versions (the newest, one given, or
every day / week / month since a date), skip those already stored without
fetching them, and for each of the others fetch, parse, check (DeepState's own
``/areas`` figure, or else a jump guard against the nearest earlier snapshot),
make sure the build can draw it, and commit it: snapshot and sidecar written
atomically before the next version is fetched.  A refused version is reported
and skipped; a run that is killed keeps every version it committed, and a rerun
resumes where it stopped.  The change report is computed from the difference
between consecutive versions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import date as Date  # noqa: N812
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pandas as pd
import shapely

from geo import geometry, join, occupation, report, schema, sources, stats, store, style, validate
from geo import workers as processes
from geo.errors import GeoError, RefreshError, SourceError
from geo.files import check_apart, locked, recover_tree, write_all_atomic
from geo.occupation import checks, deepstate, http, snapshot
from geo.occupation import file as user_file

LOCK_WAIT_S: Final = 10.0
#: Processes that prepare versions ahead of the commits in a multi-version run (capped by the cores).
DEFAULT_WORKERS: Final = 2
EVERY: Final = schema.REFRESH_EVERY
REPORT_JSON: Final = "refresh_report.json"
REPORT_MD: Final = "refresh_report.md"
#: Where ``--replace`` keeps the snapshots it replaces (inside ``layers/occupation``).
REPLACED_DIR: Final = "replaced"


@dataclass(frozen=True)
class Target:
    """One snapshot to fetch (a DeepState version) or read (a user's file)."""

    url: str
    version: str | None
    published: str | None
    date: str
    repair: str = ""  # why the stored snapshot of this day is refetched (it is damaged), or ''
    files: tuple[str, ...] = ()  # another source's files of this day (``--source nzz|isw``)


@dataclass(frozen=True)
class Settings:
    """How one refresh run fetches, checks and writes (from the command line)."""

    layers: Path
    out: Path
    base: str
    from_file: str | None = None
    force: bool = False
    replace: bool = False
    #: Whose snapshots: ``deepstate`` (the API, or a user's ``--from-file``) or a source read from files.
    source: str = style.DEFAULT_OCCUPATION_SOURCE
    options: Mapping[str, Any] = field(default_factory=dict)  # timeout and retries of every request
    workers: int = 1
    #: Seconds one version may take in all (its requests, retries, waits and checks); None: the request timeout
    #: times `geo.occupation.deepstate.VERSION_TIMEOUTS`.
    version_s: float | None = None

    @property
    def version_deadline_s(self) -> float:
        """The seconds one version may take in all, requests and checks."""
        if self.version_s is not None:
            return self.version_s
        return http.VERSION_TIMEOUTS * float(self.options.get("timeout", http.TIMEOUT_S))


@dataclass(frozen=True)
class Progress:
    """Where a run is, for the progress line."""

    done: int
    total: int
    target: Target
    outcome: str  # stored, skipped, refused
    rate: float  # versions per second, fetched ones only
    eta_s: float | None


@dataclass
class Outcome:
    """What a refresh did: one line per version, and the versions it refused with their reasons."""

    messages: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    refused: list[tuple[Target, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What a refresh needs from the layers: the country, the regions it reports on, the deposits."""

    country: shapely.Geometry  # lon/lat
    interior: shapely.Geometry  # for the line of contact
    regions: gpd.GeoDataFrame  # oblasts and focus regions, lon/lat
    regions_eq: gpd.GeoSeries  # the same in the equal-area CRS
    area_km2: pd.Series
    before_km2: pd.Series  # occupied before 2022 (the pre-2022 zone), per region
    deposits: gpd.GeoDataFrame
    pre2022: gpd.GeoDataFrame
    views: geometry.Views  # where the maps draw a snapshot, for the drawability check
    monthly: dict[str, Path]  # the shipped month-end files by snapshot date: earlier snapshots to compare with


@dataclass(frozen=True)
class Previous:
    """The snapshot the next version is compared with."""

    date: str
    occupied: shapely.Geometry
    km2: float
    region_km2: pd.Series
    status: pd.Series


# --- what to fetch ------------------------------------------------------------------------


def _period(day: str, every: str) -> str:
    if every == "month":
        return day[:7]
    if every == "week":
        year, week, _ = Date.fromisoformat(day).isocalendar()
        return f"{year}-W{week:02d}"
    return day


def choose_versions(
    versions: list[deepstate.Version], *, since: str, until: str | None = None, every: str = "day"
) -> list[deepstate.Version]:
    """Keep the latest version of each day, ISO week or month between `since` and `until` (inclusive)."""
    latest: dict[str, deepstate.Version] = {}
    for item in versions:
        if item.date < since or (until is not None and item.date > until):
            continue
        key = _period(item.date, every)
        if key not in latest or int(item.version) > int(latest[key].version):
            latest[key] = item
    return sorted(latest.values(), key=lambda v: int(v.version))


def _target(base: str, item: deepstate.Version) -> Target:
    return Target(deepstate.geojson_url(base, item.version), item.version, item.published, item.date)


# --- context ------------------------------------------------------------------------------


def load_context(layers: Path) -> Context:
    """Read what a refresh needs (country, regions, deposits, pre-2022 zone) and validate only those.

    The published figures, the base map and the history are not read: a bad
    row there must not block an occupation refresh.
    """
    country = sources.read_country(layers / schema.COUNTRY_FILE)
    oblasts = sources.read_oblasts(layers / schema.OBLASTS_FILE)
    focus = [
        sources.read_raions(layers / schema.RAIONS_FILE),
        sources.read_hromadas(layers / schema.HROMADAS_FILE),
        sources.read_city(layers / schema.POKROVSK_FILE),
    ]
    pre2022 = sources.read_vector(layers / schema.PRE2022_FILE)
    records = sources.read_deposits(layers / schema.DEPOSITS_FILE)
    aliases = sources.oblast_aliases(sources.read_oblast_lookup(layers / schema.OBLAST_LOOKUP_FILE))
    oblast_ids = sources.resolve_oblasts(records["oblast"], aliases)
    problems = validate.Problems()
    validate.check_regions([oblasts, *focus, country], required_ids=schema.FOCUS_REGIONS, problems=problems)
    validate.check_polygons(pre2022, problems=problems)
    validate.check_deposits(records, oblast_ids=oblast_ids, problems=problems)
    problems.raise_if_any()
    frames = [validate.repair_geometries(f)[0] for f in (oblasts, *focus, country, pre2022)]
    *region_frames, country, pre2022 = frames
    every_region = gpd.GeoDataFrame(pd.concat(region_frames), crs=schema.STORAGE_CRS)
    chosen = every_region[(every_region["level"] == "oblast") | every_region.index.isin(schema.FOCUS_REGIONS)]
    chosen = gpd.GeoDataFrame(chosen[~chosen.index.duplicated()], crs=schema.STORAGE_CRS)
    deposits = sources.deposit_points(records, oblast_ids=oblast_ids)
    regions_eq = chosen.geometry.to_crs(schema.AREA_CRS)
    pre_zone = shapely.union_all(shapely.make_valid(pre2022.to_crs(schema.AREA_CRS).geometry.to_numpy()))
    everything = gpd.GeoDataFrame(pd.concat([country, every_region]), crs=schema.STORAGE_CRS)
    zone = gpd.GeoDataFrame(
        geometry=[shapely.union_all(shapely.make_valid(pre2022.geometry.to_numpy()))], crs=pre2022.crs
    )
    return Context(
        country=shapely.union_all(country.geometry.to_numpy()),
        interior=join.land_interior(country),
        regions=chosen,
        regions_eq=regions_eq,
        area_km2=stats.area_km2(chosen),
        before_km2=stats.change_overlap_km2(regions_eq, pre_zone),
        deposits=deposits,
        pre2022=zone,
        views=geometry.map_views(everything, deposits),
        monthly=_month_ends(layers / schema.MONTHLY_DIR),
    )


def _frame(geom: shapely.Geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[geom], crs=schema.STORAGE_CRS)


def _to_area(geom: shapely.Geometry) -> shapely.Geometry:
    projected = gpd.GeoSeries([geom], crs=schema.STORAGE_CRS).to_crs(schema.AREA_CRS).iloc[0]
    return projected if shapely.is_valid(projected) else shapely.make_valid(projected)


def _statuses(ctx: Context, parts: gpd.GeoDataFrame, region_km2: pd.Series) -> pd.Series:
    oblast_ids = ctx.regions.index[ctx.regions["level"] == "oblast"]
    total = region_km2.loc[oblast_ids].clip(lower=0.0)
    before = ctx.before_km2.loc[oblast_ids].clip(upper=total)
    oblasts = pd.DataFrame(
        {
            "occupied_share": stats.occupied_share(total, ctx.area_km2.loc[oblast_ids]),
            "occupied_before_2022_km2": before,
            "occupied_since_2022_km2": total - before,
        }
    )
    return join.control_status(ctx.deposits, parts, oblasts=oblasts)


def _month_ends(directory: Path) -> dict[str, Path]:
    """Date → month-end file, by each file's sidecar (files without a readable sidecar are left out)."""
    found: dict[str, Path] = {}
    for path in sorted(directory.glob(schema.MONTHLY_GLOB)):
        try:
            record = sources.read_sidecar(path)
        except SourceError:
            continue
        day = str((record or {}).get("snapshot_date") or "")
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", day, flags=re.ASCII) or not path.is_file():
            continue
        try:
            Date.fromisoformat(day)
        except ValueError:
            continue
        found[day] = path
    return found


def previous_from_file(ctx: Context, date: str, path: Path, *, monthly: bool = False) -> Previous:
    """Measure a stored snapshot (a dated one, or a month-end file) in full, to compare the next version with."""
    if monthly:
        frame = sources.read_vector(path)
        stamps = {str(v)[:10] for v in frame.get("snapshot_utc", pd.Series(dtype=object)).tolist()}
        if stamps != {date}:
            msg = f"{path}: its sidecar dates it {date}, its features {sorted(stamps)[:3]}; fix the sidecar"
            raise RefreshError(msg)
        rows = frame[frame["status"].isin(["occupied_pre2022", "occupied_post2022"])] if "status" in frame else frame
    else:
        frame = sources.read_snapshot(path)
        rows = frame[frame["class"] != schema.SNAPSHOT_CONTESTED]
    occupied = shapely.union_all(shapely.make_valid(rows.geometry.to_numpy()))
    if shapely.is_empty(occupied):
        msg = f"{path}: holds no occupied area to compare with; restore it or move it aside with its .source.json"
        raise RefreshError(msg)
    parts = join.occupied_parts(_frame(occupied), ctx.pre2022)
    region_km2 = stats.occupied_km2(ctx.regions, parts)["occupied_km2"]
    return Previous(date, occupied, checks.area_km2(occupied), region_km2, _statuses(ctx, parts, region_km2))


# --- one version --------------------------------------------------------------------------


def _check_drawable(ctx: Context, parsed: occupation.Parsed, source: str) -> gpd.GeoDataFrame:
    """Run the build's geometry steps on the version; a GEOS failure is one error naming the source."""
    try:
        parts = join.occupied_parts(_frame(parsed.occupied), ctx.pre2022)
        front = join.front_line(parts, ctx.interior)
        geometry.check_drawable(parts, front, parsed.contested, views=ctx.views)
        stats.occupied_km2(ctx.regions.iloc[:0], parts)
    except (shapely.errors.GEOSException, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{source}: the build could not draw this version ({http.printable(first, limit=120)})"
        raise RefreshError(msg) from exc
    return parts


def _measure(ctx: Context, prepared: Prepared, previous: Previous | None) -> tuple[dict[str, Any], Previous]:
    """Measure the change from `previous` by their difference; return the report and the new `Previous`."""
    target, parsed, parts, km2 = prepared.target, prepared.parsed, prepared.parts, prepared.km2
    empty = shapely.Polygon()
    old = previous.occupied if previous else empty
    gained = shapely.difference(parsed.occupied, old)
    lost = shapely.difference(old, parsed.occupied) if previous else empty
    gained_eq, lost_eq = _to_area(gained), _to_area(lost)
    gained_km2 = stats.change_overlap_km2(ctx.regions_eq, gained_eq)
    lost_km2 = stats.change_overlap_km2(ctx.regions_eq, lost_eq)
    base = previous.region_km2 if previous else pd.Series(0.0, index=ctx.regions.index)
    region_km2 = (base + gained_km2 - lost_km2).clip(lower=0.0)
    status = _statuses(ctx, parts, region_km2)
    before = previous.status if previous else status
    names = ctx.deposits["name_en"].astype(str).to_dict()
    old_status, new_status = before.astype(str).to_dict(), status.astype(str).to_dict()
    changed = [
        {"id": str(rid), "name_en": names[rid], "before": old_status[rid], "after": after}
        for rid, after in new_status.items()
        if old_status[rid] != after
    ]
    record = report.change_report(
        regions=ctx.regions,
        gained_km2=gained_km2,
        lost_km2=lost_km2,
        always=schema.FOCUS_REGIONS,
        deposits_changed=changed,
        previous_date=previous.date if previous else None,
        date=target.date,
        occupied_km2=km2,
        previous_occupied_km2=previous.km2 if previous else None,
        total_gained_km2=float(shapely.area(gained_eq)) / 1e6,
        total_lost_km2=float(shapely.area(lost_eq)) / 1e6,
        contested_km2=checks.area_km2(parsed.contested),
    )
    record.update(version_id=target.version, repaired_polygons=parsed.repaired)
    return record, Previous(target.date, parsed.occupied, km2, region_km2, status)


def _official_check(
    target: Target,
    parsed: occupation.Parsed,
    *,
    base: str,
    force: bool,
    options: Mapping[str, Any],
    deadline: http.Deadline | None = None,
) -> str | None:
    """Check against DeepState's own ``/areas`` figures; return what was checked, or None if it did not answer.

    Where it answers (and not ``--force``), the occupied areas after and before
    24 Feb 2022 and the grey zone are checked against its figures; otherwise the
    grey zone must stay under `geo.occupation.deepstate.MAX_GREY_KM2`.  The request shares
    the version's `deadline`: if that passes, the version is refused.
    """
    grey_km2 = checks.area_km2(parsed.contested)
    if not target.version:
        deepstate.check_grey_zone(grey_km2, None, source=target.url)
        return None
    areas = deepstate.areas_url(base, target.version)
    try:
        response = http.fetch(
            areas, **{**options, "retries": min(1, options.get("retries", http.RETRIES))}, deadline=deadline
        )
    except http.DeadlineError:
        raise  # no time left for the version: refused
    except RefreshError:
        deepstate.check_grey_zone(grey_km2, None, source=target.url)
        return None  # did not answer: the jump guard applies instead
    if force:
        deepstate.check_grey_zone(grey_km2, None, source=target.url)
        return "DeepState's own /areas figure not checked (--force)"
    # it answered: what it says must be a usable /areas answer, or the version is refused
    figures = deepstate.official_areas(http.parse_json(response), source=areas)
    after, before = deepstate.check_against_official(parsed, figures, source=target.url)
    grey = deepstate.check_grey_zone(grey_km2, figures, source=target.url)
    return (
        f"within {max(abs(after), abs(before)):.2%} of DeepState's own /areas figure (after and before 24 Feb 2022); "
        f"{grey}"
    )


def _jump_check(target: Target, km2: float, previous: Previous | None, *, force: bool, source: str) -> str:
    """Without DeepState's figure: the change from the nearest earlier snapshot, within an allowance growing with the days.

    Another source's files (`source` nzz or isw) have no official figure at all: theirs is the wider allowance of
    `geo.occupation.checks.FILE_SOURCE_JUMP`, measured on the fastest change of the war.
    """
    reason = "no /areas figure from DeepState" if target.version else "no DeepState /areas figure for a file"
    rates = checks.FILE_SOURCE_JUMP if source in schema.SECOND_SOURCES else checks.API_JUMP
    if source in schema.SECOND_SOURCES:
        reason = f"{source} publishes no area figure"
    if previous is None:
        return f"{reason}; no earlier snapshot to compare with"
    days = (Date.fromisoformat(target.date) - Date.fromisoformat(previous.date)).days
    if force:
        return f"{reason}; the change from {previous.date} not checked (--force)"
    change = checks.check_jump(
        km2, previous.km2, days=days, source=target.url, previous_date=previous.date, rates=rates
    )
    allowed = checks.jump_allowance(days, rates=rates)
    return f"{reason}; {change:+.1%} from {previous.date}, within the {allowed:.1%} allowed"


@dataclass(frozen=True)
class Prepared:
    """A version fetched, parsed, checked on its own and drawn: all that does not depend on the previous one."""

    target: Target
    parsed: occupation.Parsed
    parts: gpd.GeoDataFrame
    km2: float
    official: str | None  # what the /areas check found, None if DeepState's figure was not available
    source: str
    final_url: str  # where the body came from after redirects
    reading: occupation.Reading | None = None  # another source's file as its adapter read it
    source_files: tuple[tuple[str, str], ...] = ()  # its files' names and the sha256 of the bytes read


def prepare(ctx: Context, target: Target, settings: Settings, *, payload: Any = None) -> Prepared:
    """Fetch (or read), parse, check on its own (plausible, DeepState's own figure) and draw one version.

    All of it within one deadline (`Settings.version_deadline_s`): each request
    takes at most what is left of it, and the checks are stopped when it passes.
    Whatever a server answers, a failure is one `RefreshError` naming the URL.
    """
    from_file, options = settings.from_file, settings.options
    deadline = http.Deadline.after(settings.version_deadline_s)
    if settings.source in schema.SECOND_SOURCES:
        return _prepare_file_source(ctx, target, settings, deadline)
    source = repr(from_file) if from_file else target.url
    try:
        with http.within(deadline, source=source):
            try:
                if from_file:
                    features: Any = user_file.read(
                        from_file, fetch_bytes=lambda url: http.fetch_bytes(url, **options, deadline=deadline)
                    )
                    final_url = from_file
                else:
                    final_url = target.url
                    if payload is not None:
                        body = payload
                    else:
                        response = http.fetch(target.url, **options, deadline=deadline)
                        body, final_url = http.parse_json(response), response.url
                try:
                    if not from_file:
                        features = deepstate.feature_collection(body)
                    # a user's file is already a union: its polygons are larger than DeepState's
                    parsed = deepstate.parse_features(
                        features,
                        max_polygon_vertices=deepstate.FILE_MAX_POLYGON_VERTICES if from_file else None,
                        max_vertices=deepstate.FILE_MAX_VERTICES if from_file else None,
                    )
                    if not shapely.is_empty(parsed.contested):
                        parsed.contested = shapely.intersection(parsed.contested, ctx.country)
                except RefreshError as exc:
                    msg = f"{source}: {exc}"
                    raise RefreshError(msg) from exc
                except shapely.errors.GEOSException as exc:
                    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    msg = (
                        f"{source}: its polygons cannot be combined ({http.printable(first, limit=120)}); "
                        "the response is damaged"
                    )
                    raise RefreshError(msg) from exc
                km2 = checks.check_parsed(parsed, source=source, plausible_km2=deepstate.PLAUSIBLE_KM2)
                official = _official_check(
                    target, parsed, base=settings.base, force=settings.force, options=options, deadline=deadline
                )
                parts = _check_drawable(ctx, parsed, source)
            except GeoError:
                raise
            except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError, RecursionError) as exc:
                # a shape of answer no check foresaw: refuse this version, never end the run
                msg = (
                    f"{source}: the answer could not be used ({type(exc).__name__}: "
                    f"{http.printable(exc, limit=120)}); the API may have changed"
                )
                raise RefreshError(msg) from exc
    except http.Late as exc:  # the alarm landed just as the block was left: still this version's
        http.disarm()
        msg = f"{source}: stopped at {deadline.text()}"
        raise http.DeadlineError(msg) from exc
    return Prepared(target, parsed, parts, km2, official, source, final_url)


def _read_files(
    target: Target, settings: Settings, *, pre2022: shapely.Geometry
) -> tuple[occupation.Reading, tuple[tuple[str, str], ...]]:
    """Read another source's files of one day with its adapter (each a regular file, size-capped)."""
    module = occupation.adapter(settings.source)
    option = "--from-file" if settings.from_file else "--from-dir"
    try:
        files = [(Path(name).name, sources.read_user_file(Path(name), option=option, takes=f"{settings.source} files"))
                 for name in target.files]  # fmt: skip
    except SourceError as exc:
        raise RefreshError(str(exc)) from exc
    shown = ", ".join(http.printable(n) for n, _ in files)
    reading: occupation.Reading = module.read(files, source=shown, pre2022=pre2022)
    digests = tuple((name, hashlib.sha256(data).hexdigest()) for name, data in files)  # the bytes read, not a reread
    if reading.date != target.date:
        msg = (
            f"{target.url}: its features are dated {http.printable(reading.date, limit=20)}, its name {target.date}; "
            "name the file by the day it shows"
        )
        raise RefreshError(msg)
    return reading, digests


def _prepare_file_source(ctx: Context, target: Target, settings: Settings, deadline: http.Deadline) -> Prepared:
    """Read one day of another source's files, normalise them and run the checks every source passes.

    Its occupied area must be plausible for that source (its adapter's ``PLAUSIBLE_KM2``, measured on its own
    files), and so must its contested class; what the source leaves out on some dates (NZZ: the areas held
    before 24 Feb 2022) is cut away from every snapshot of it, so that its series compares like with like.
    """
    module = occupation.adapter(settings.source)
    source = target.url
    try:
        with http.within(deadline, source=source):
            try:
                zone = shapely.union_all(ctx.pre2022.geometry.to_numpy())
                reading, digests = _read_files(target, settings, pre2022=zone)
                parsed = deepstate.parse_features(
                    reading.features,
                    max_polygon_vertices=deepstate.FILE_MAX_POLYGON_VERTICES,
                    max_vertices=deepstate.FILE_MAX_VERTICES,
                )
                km2 = checks.check_parsed(parsed, source=source, plausible_km2=module.PLAUSIBLE_KM2)
                if not shapely.is_empty(parsed.contested):
                    parsed.contested = shapely.intersection(parsed.contested, ctx.country)
                    contested_km2 = checks.area_km2(parsed.contested)
                    if contested_km2 > module.PLAUSIBLE_KM2[1]:
                        msg = (
                            f"{source}: its contested class covers {contested_km2:,.0f} km², more than the "
                            f"{module.PLAUSIBLE_KM2[1]:,.0f} km² plausible; a damaged file?"
                        )
                        raise RefreshError(msg)
                if occupation.LEAVES_OUT_PRE2022 in reading.leaves_out:
                    parsed.occupied = shapely.difference(parsed.occupied, zone)
                    parsed.pre2022 = shapely.Polygon()
                    parsed.contested = shapely.difference(parsed.contested, zone)
                    km2 = checks.area_km2(parsed.occupied)
                parts = _check_drawable(ctx, parsed, source)
            except GeoError:
                raise
            except shapely.errors.GEOSException as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                msg = f"{source}: its polygons cannot be combined ({http.printable(first, limit=120)}); damaged?"
                raise RefreshError(msg) from exc
            except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError, RecursionError) as exc:
                msg = f"{source}: the file could not be used ({type(exc).__name__}: {http.printable(exc, limit=120)})"
                raise RefreshError(msg) from exc
    except http.Late as exc:
        http.disarm()
        msg = f"{source}: stopped at {deadline.text()}"
        raise http.DeadlineError(msg) from exc
    return Prepared(target, parsed, parts, km2, None, source, target.url, reading, digests)


#: The context forked worker processes inherit (set just before the pool starts).
_WORKER: dict[str, Any] = {}


def _prepare_in_worker(target: Target, settings: Settings) -> Prepared | str:
    """Prepare one version in a worker; a refusal comes back as its reason, so the run goes on to the next."""
    try:
        return prepare(_WORKER["ctx"], target, settings)
    except GeoError as exc:
        return str(exc)


# --- the run ------------------------------------------------------------------------------


@contextlib.contextmanager
def refresh_lock(directory: Path, *, wait_s: float | None = None) -> Iterator[list[str]]:
    """Hold an exclusive lock on `directory` (waiting up to `wait_s`) so refreshes never interleave.

    The lock is taken on the folder itself (no lock file is left behind).
    Once it is held, a commit that a killed refresh left half done is
    completed (`geo.store.recover`) and the temporary files it left are
    removed; yields one line per commit completed.
    """
    import fcntl  # noqa: PLC0415  (POSIX only; importing the package must work elsewhere)

    directory.mkdir(parents=True, exist_ok=True)
    limit = LOCK_WAIT_S if wait_s is None else wait_s
    fd = os.open(directory, os.O_RDONLY)
    try:
        deadline = time.monotonic() + limit
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    msg = f"{directory}: another refresh is running (waited {limit:g} s for its lock); try again later"
                    raise RefreshError(msg) from None
                time.sleep(0.05)
        try:
            completed = store.recover(directory)
        except store.DamagedSnapshotError as exc:
            raise RefreshError(str(exc)) from exc
        store.remove_temporary(directory)
        yield completed
    finally:
        os.close(fd)


def _progress_line(step: Progress) -> str:
    eta = f", ETA {int(step.eta_s) // 60}:{int(step.eta_s) % 60:02d}" if step.eta_s is not None else ""
    rate = f", {step.rate:.1f} versions/s" if step.rate > 0 else ""
    name = f"version {step.target.version}" if step.target.version else "file"
    return f"[{step.done}/{step.total}] {step.target.date} {name}: {step.outcome}{rate}{eta}"


def refresh(
    layers: Path,
    out: Path,
    *,
    base: str,
    version: str | None = None,
    since: str | None = None,
    until: str | None = None,
    every: str = "day",
    from_file: str | None = None,
    from_dir: str | None = None,
    source: str = style.DEFAULT_OCCUPATION_SOURCE,
    force: bool = False,
    replace: bool = False,
    timeout: float = http.TIMEOUT_S,
    retries: int = http.RETRIES,
    progress: Callable[[Progress], None] | None = None,
    workers: int | None = None,
) -> Outcome:
    """Fetch (or read) occupation snapshots into ``layers/occupation`` and write a change report to `out`.

    With `source` ``nzz`` or ``isw``, the snapshots are read from that source's files (`from_file`, or every dated
    file in `from_dir`) and stored in ``layers/occupation/<source>``; a day already stored is skipped, so a rerun
    resumes.  Each accepted version is committed (snapshot and sidecar, atomically)
    before the next is fetched; a version already stored is skipped without
    being fetched.  With one version, a refusal raises; with several, each
    refusal is recorded in the outcome and the run goes on.

    Raises
    ------
    geo.errors.RefreshError
        When nothing can be done (the listing or the layers are unusable) or the only version is refused.
    """
    settings = Settings(
        layers=layers,
        out=out,
        base=base,
        from_file=from_file,
        force=force,
        replace=replace,
        source=source,
        options={"timeout": timeout, "retries": retries},
        workers=(min(DEFAULT_WORKERS, processes.usable_cores()) if processes.can_fork() else 1)
        if workers is None
        else workers,
    )
    if source in schema.SECOND_SOURCES and not (from_file or from_dir):
        msg = f"--source {source}: its data is read from files: pass --from-file FILE or --from-dir DIR"
        raise RefreshError(msg)
    if from_dir and source not in schema.SECOND_SOURCES:
        msg = f"--from-dir reads another source's dated files: pass --source {' or '.join(schema.SECOND_SOURCES)}"
        raise RefreshError(msg)
    if not (layers / schema.OCCUPATION_DIR).is_dir():
        msg = f"{layers / schema.OCCUPATION_DIR}: no such folder; pass --layers DIR with the project's layers"
        raise RefreshError(msg)
    directory = layers / schema.occupation_dir(source)
    check_apart(layers, out)
    _check_writable(out)
    outcome = Outcome()
    with refresh_lock(directory) as completed:
        outcome.messages.extend(completed)
        health = store.scan(directory)
        if health.bad_names:
            raise RefreshError("; ".join(health.bad_names))
        repairs = _repairs(health.damaged, base, from_file=from_file)
        stored = {date: snapshot.path for date, snapshot in health.sound.items()}
        if source in schema.SECOND_SOURCES:
            payloads: dict[str, Any] = {}
            targets, reason = _file_targets(source, from_file=from_file, from_dir=from_dir), ""
        else:
            targets, payloads, reason = _choose_targets(
                base, version=version, since=since, until=until, every=every, from_file=from_file, stored=stored,
                options=settings.options,
            )  # fmt: skip
        targets = _with_repairs(targets, repairs)
        if reason:
            outcome.messages.append(reason)
        if targets:
            versions = {date: snapshot.version for date, snapshot in health.sound.items()}
            _run_targets(outcome, targets, payloads, settings, stored=stored, versions=versions, progress=progress)
    return outcome


def _verify_folder(directory: Path) -> tuple[list[str], int, int, bool]:
    """Verify one folder of dated snapshots; return its lines, the sound and all snapshots, and whether all is well."""
    health = store.scan(directory)
    lines = [f"problem: {problem}" for problem in health.bad_names]
    unreadable = 0
    for date, stored in health.sound.items():
        try:
            sources.parse_snapshot(stored)
        except SourceError as exc:
            unreadable += 1
            lines.append(f"unreadable: {exc}")
        if date in health.pending:
            lines.append(
                f"pending: {stored.path.name}: a commit was interrupted; every reader sees the new pair, and the "
                "next refresh completes it"
            )
    for damage in health.damaged.values():
        mend = damage.fix or (
            f"a refresh refetches version {damage.version}"
            if damage.version
            else "restore it with its .source.json from a backup, or move both aside"
        )
        lines.append(f"damaged: {damage}; {mend}")
    dates = sorted(health.sound)
    span = f" ({dates[0]} to {dates[-1]})" if dates else ""
    lines.append(f"{directory}: {len(dates) - unreadable} of {len(dates) + len(health.damaged)} snapshots{span}")
    healthy = not (health.bad_names or health.damaged or unreadable)
    return lines, len(health.sound) - unreadable, len(health.sound) + len(health.damaged), healthy


def verify(layers: Path) -> tuple[list[str], bool]:
    """Report the health of the stored history (``refresh_occupation.py --verify``); change nothing, fetch nothing.

    Every dated snapshot (DeepState's, and each other source's folder there is) is verified against its sidecar
    and parsed; every month-end file is checked against its sidecar's sha256.

    Returns
    -------
    tuple
        The report's lines, and whether everything is sound.
    """
    directory = layers / schema.OCCUPATION_DIR
    if not directory.is_dir():
        msg = f"{directory}: no such folder; pass --layers DIR with the project's layers"
        raise RefreshError(msg)
    folders = [directory, *(layers / schema.occupation_dir(s) for s in schema.SECOND_SOURCES)]
    lines: list[str] = []
    sound = total = 0
    healthy = True
    for folder in folders:  # DeepState's counts go in the last line; another source's folder has its own line
        if folder != directory and not folder.is_dir():
            continue
        more, good, count, fine = _verify_folder(folder)
        lines += more if folder != directory else more[:-1]
        if folder == directory:
            sound, total = good, count
        healthy = healthy and fine
    monthly = sorted((layers / schema.MONTHLY_DIR).glob(schema.MONTHLY_GLOB))
    provenance = sources.read_provenance(monthly)
    bad_monthly = 0
    for path, row in provenance.iterrows():
        recorded = row["sidecar"].get("sha256") if isinstance(row["sidecar"], dict) else None
        if recorded != row["sha256"]:
            bad_monthly += 1
            lines.append(f"damaged: {path}: does not match the sha256 its .source.json records; restore both from git")
    dates = sorted(store.scan(directory).sound)
    span = f" ({dates[0]} to {dates[-1]})" if dates else ""
    lines.append(
        f"{sound} of {total} stored snapshots{span} verify against their "
        f".source.json (sha256, date, version); {len(monthly) - bad_monthly} of {len(monthly)} month-end files match "
        "their sidecars"
    )
    return lines, healthy and not bad_monthly


def _repairs(damaged: Mapping[str, store.DamagedSnapshotError], base: str, *, from_file: str | None) -> list[Target]:
    """Return the versions to refetch for damaged snapshots; refuse the run if a damaged one cannot be refetched.

    A damaged snapshot is refetched when the version it should hold can be
    told (from its sidecar or from the file) and the run talks to the API.

    Raises
    ------
    geo.errors.RefreshError
        Naming every damaged snapshot that cannot be refetched, and how to mend it.
    """
    repairs, stuck = [], []
    for date, damage in damaged.items():
        if damage.fix:
            stuck.append(f"{damage}: {damage.fix}")
            continue
        if damage.version is None or from_file:
            stuck.append(str(damage))
            continue
        item = deepstate.version_of(damage.version)
        repairs.append(
            Target(deepstate.geojson_url(base, item.version), item.version, item.published, date, damage.reason)
        )
    if stuck:
        how = " (a --from-file run refetches nothing)" if from_file else ""
        msg = (
            f"{len(stuck)} stored snapshot(s) are damaged and cannot be refetched{how}: {'; '.join(stuck[:10])}"
            f"{'; …' if len(stuck) > 10 else ''}; restore each with its .source.json from a backup, or move both "
            "aside; nothing was changed"
        )
        raise RefreshError(msg)
    return repairs


def _with_repairs(targets: list[Target], repairs: list[Target]) -> list[Target]:
    """Add the refetches of damaged snapshots to the run's targets (a target of the same day refetches it already)."""
    if not repairs:
        return targets
    reasons = {r.date: r.repair for r in repairs}
    chosen = [dataclasses.replace(t, repair=reasons.get(t.date, "")) for t in targets]
    days = {t.date for t in chosen}
    chosen += [r for r in repairs if r.date not in days]
    return sorted(chosen, key=lambda t: t.date)


def _choose_targets(
    base: str,
    *,
    version: str | None,
    since: str | None,
    until: str | None,
    every: str,
    from_file: str | None,
    stored: Mapping[str, Path],
    options: Mapping[str, Any],
) -> tuple[list[Target], dict[str, Any], str]:
    """Decide what to fetch; return the targets, any payload already fetched, and a reason to stop early."""
    if from_file:
        return [Target(from_file, None, None, occupation.now_utc()[:10])], {}, ""
    if since:
        listing = http.fetch_json(deepstate.listing_url(base), **options)
        versions = deepstate.list_versions(listing, source=deepstate.listing_url(base))
        chosen = choose_versions(versions, since=since, until=until, every=every)
        if not chosen:
            msg = f"no versions published since {since}{f' until {until}' if until else ''} on {base}"
            raise RefreshError(msg)
        return [_target(base, item) for item in chosen], {}, ""
    if version is not None:
        return [_target(base, deepstate.version_of(version))], {}, ""
    payload = http.fetch_json(deepstate.last_url(base), **options)
    raw_id = payload.get("id", "") if isinstance(payload, dict) else ""
    item = deepstate.version_of(str(raw_id)[:20])
    if stored and item.date < max(stored):
        return (
            [],
            {},
            (
                f"the newest version on the server ({item.version}, {item.date}) is older than the newest "
                f"stored snapshot ({max(stored)}); nothing to do"
            ),
        )
    target = Target(deepstate.last_url(base), item.version, item.published, item.date)
    return [target], {target.url: payload}, ""


def _dated_files(source: str, folder: Path) -> list[tuple[str, tuple[Path, ...]]]:
    """List `source`'s dated files in `folder`; if they are named as another source's, say which."""
    try:
        found: list[tuple[str, tuple[Path, ...]]] = occupation.adapter(source).dated_files(folder)
    except RefreshError as exc:
        for other in schema.SECOND_SOURCES:
            if other == source:
                continue
            try:
                occupation.adapter(other).dated_files(folder)
            except RefreshError:
                continue
            msg = f"{exc}; they are named as {other}'s files: pass --source {other}"
            raise RefreshError(msg) from exc
        raise
    return found


def _file_targets(source: str, *, from_file: str | None, from_dir: str | None) -> list[Target]:
    """One target per day of another source's files: the one `from_file` (dated by its name), or each day of `from_dir`."""
    if from_dir:
        folder = Path(from_dir)
        if not folder.is_dir():
            msg = f"--from-dir {http.printable(from_dir)!r}: no such folder; pass a folder of {source}'s dated files"
            raise RefreshError(msg)
        days = _dated_files(source, folder)
        if not days:
            msg = f"--from-dir {http.printable(from_dir)!r}: holds no dated {source} files"
            raise RefreshError(msg)
        _check_not_future([day for day, _paths in days], what=f"--from-dir {http.printable(from_dir)!r}")
        return [Target(http.printable(", ".join(p.name for p in paths)), None, None, day, files=tuple(str(p) for p in paths))
                for day, paths in days]  # fmt: skip
    name = Path(from_file or "").name
    day = name[:10]
    try:
        Date.fromisoformat(day if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", day, flags=re.ASCII) else "")
    except ValueError:
        msg = (
            f"--from-file {http.printable(from_file)!r}: its name must start with the day it shows (YYYY-MM-DD), "
            f"as {source}'s files are named"
        )
        raise RefreshError(msg) from None
    _check_not_future([day], what=f"--from-file {http.printable(from_file or '')!r}")
    return [Target(http.printable(name), None, None, day, files=(from_file or "",))]


def _check_not_future(days: list[str], *, what: str) -> None:
    """Refuse files dated after tomorrow (UTC): no source has published them yet."""
    tomorrow = (datetime.now(tz=UTC).date() + timedelta(days=1)).isoformat()
    later = [day for day in days if day > tomorrow]
    if later:
        msg = f"{what}: dated in the future ({', '.join(later[:10])}); name each file by the day it shows"
        raise RefreshError(msg)


def _run_targets(
    outcome: Outcome,
    targets: list[Target],
    payloads: Mapping[str, Any],
    settings: Settings,
    *,
    stored: dict[str, Path],
    versions: Mapping[str, str | None],
    progress: Callable[[Progress], None] | None,
) -> None:
    """Skip what is stored, prepare and commit the rest in order, refuse what fails; write the report."""
    have = {version: date for date, version in versions.items() if version}
    single = len(targets) == 1
    work: list[Target] = []
    done = 0
    counter = [0]  # versions fetched so far, for the rate

    def step(target: Target, result: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            elapsed = time.monotonic() - started
            rate = counter[0] / elapsed if counter[0] and elapsed > 0 else 0.0
            left = len(targets) - done
            progress(Progress(done, len(targets), target, result, rate, left / rate if rate > 0 else None))

    def refuse(target: Target, exc: RefreshError | str) -> None:
        if single:
            raise exc if isinstance(exc, RefreshError) else RefreshError(exc)
        outcome.refused.append((target, str(exc)))
        outcome.messages.append(f"refused {target.version or target.url} ({target.date}): {exc}")
        step(target, f"refused: {exc}")

    started = time.monotonic()
    for target in targets:
        try:
            skip = _skip_reason(target, stored, have, versions, from_file=settings.from_file, replace=settings.replace)
        except RefreshError as exc:
            refuse(target, exc)
            continue
        if skip:
            outcome.messages.append(skip)
            step(target, "skipped (already stored)")
        else:
            work.append(target)
    if not work:
        return
    _commit_all(outcome, work, payloads, settings, stored=stored, have=have, step=step, refuse=refuse, counter=counter)


def _commit_all(
    outcome: Outcome,
    work: list[Target],
    payloads: Mapping[str, Any],
    settings: Settings,
    *,
    stored: dict[str, Path],
    have: dict[str, str],
    step: Callable[[Target, str], None],
    refuse: Callable[[Target, RefreshError | str], None],
    counter: list[int],
) -> None:
    """Prepare and commit each version to fetch, in date order; write the change report of those stored."""
    ctx = load_context(settings.layers)
    previous: Previous | None = None
    reports: list[dict[str, Any]] = []
    try:
        for target, prepared in _prepared(ctx, work, settings, payloads=payloads):
            counter[0] += 1
            if isinstance(prepared, str):
                refuse(target, prepared)
                continue
            try:
                monthly = ctx.monthly if settings.source not in schema.SECOND_SOURCES else {}
                previous = _previous_for(ctx, target, stored, previous, monthly=monthly)
                record, previous, message, written = commit(ctx, prepared, previous, settings)
            except RefreshError as exc:
                refuse(target, exc)
                continue
            reports.append(record)
            outcome.messages.append(message)
            outcome.stored.append(target.date)
            stored[target.date] = written
            if target.version:
                have[target.version] = target.date
            step(target, "stored")
    finally:  # also when the run stops early: report what was stored
        if reports:
            credit = style.OCCUPATION_SOURCES["file" if settings.from_file and settings.source not in
                                              schema.SECOND_SOURCES else settings.source].credit  # fmt: skip
            _write_reports(settings.out, reports, credit=credit)


def _prepared(
    ctx: Context, work: list[Target], settings: Settings, *, payloads: Mapping[str, Any]
) -> Iterator[tuple[Target, Prepared | str]]:
    """Prepare the versions in order: in this process, or ahead of the commits in ``settings.workers`` processes.

    A refused version comes as its reason (a string).  At most ``2 × workers``
    versions are in flight, so memory does not grow with the run.
    """
    workers = settings.workers
    if workers <= 1 or len(work) < 3:
        for target in work:
            try:
                yield target, prepare(ctx, target, settings, payload=payloads.get(target.url))
            except RefreshError as exc:
                yield target, str(exc)
        return
    _WORKER["ctx"] = ctx  # forked workers inherit the context (shared pages) instead of reading the layers again
    with processes.forked_pool(workers) as pool:
        pending: deque[tuple[Target, Future[Prepared | str]]] = deque()
        queue = iter(work)
        current: Target | None = None
        try:
            for target in queue:
                pending.append((target, pool.submit(processes.in_worker, _prepare_in_worker, target, settings)))
                if len(pending) >= 2 * workers:
                    break
            while pending:
                current, future = pending.popleft()
                nxt = next(queue, None)
                if nxt is not None:
                    pending.append((nxt, pool.submit(processes.in_worker, _prepare_in_worker, nxt, settings)))
                result = future.result()
                yield current, result
        except BrokenProcessPool as exc:
            where = f" preparing version {current.version} ({current.date})" if current else ""
            msg = (
                f"a worker process{where} died (killed, or out of memory?); the versions before it are stored: "
                "rerun the same command to resume"
            )
            raise RefreshError(msg) from exc


def _skip_reason(
    target: Target,
    stored: Mapping[str, Path],
    have: Mapping[str, str],
    versions: Mapping[str, str | None],
    *,
    from_file: str | None,
    replace: bool = False,
) -> str:
    """Why a target needs no fetch (already stored, or a snapshot of that day is kept), or ''.

    A stored snapshot is replaced only by a later version of the same day from
    the API.  An API version meeting a later version or another source's
    snapshot of its day is skipped, and said so; a user's file meeting any
    snapshot of its day is refused.
    """
    if target.version and target.version in have:
        path = stored.get(have[target.version])
        return f"already have version {target.version} ({path.name if path else have[target.version]}); nothing to do"
    if target.date not in stored:
        return ""
    existing = stored[target.date]
    if target.files and not replace:
        return (
            f"a snapshot for {target.date} is stored ({existing.name}); kept (rerun with --replace to read "
            f"{target.url} again and keep the old one in {REPLACED_DIR}/)"
        )
    old = versions.get(target.date)
    if (target.version and old and int(old) < int(target.version)) or replace:
        return ""  # a later version of the same day from the same API replaces the earlier one; --replace, any
    what = f"version {old}" if old else "another source"
    if target.version:
        return (
            f"a snapshot for {target.date} from {what} is stored ({existing.name}); kept, not replaced with version "
            f"{target.version} (rerun with --replace to replace it and keep it in {REPLACED_DIR}/)"
        )
    msg = (
        f"{existing}: a snapshot for {target.date} from {what} is already stored; not replacing it with "
        f"{http.printable(from_file or target.url)!r}; rerun with --replace to replace it and keep it in "
        f"{REPLACED_DIR}/"
    )
    raise RefreshError(msg)


def _previous_for(
    ctx: Context,
    target: Target,
    stored: Mapping[str, Path],
    current: Previous | None,
    *,
    monthly: Mapping[str, Path],
) -> Previous | None:
    """Return the nearest earlier snapshot: a dated one, or else a month-end file (`monthly`) of a day with no dated one."""
    earlier = [d for d in stored if d < target.date] + [d for d in monthly if d < target.date and d not in stored]
    if not earlier:
        return None
    nearest = max(earlier)
    if current is not None and current.date == nearest:
        return current
    if nearest in stored:
        return previous_from_file(ctx, nearest, stored[nearest])
    try:
        return previous_from_file(ctx, nearest, monthly[nearest], monthly=True)
    except GeoError as exc:
        msg = f"the month-end file to compare with is unusable ({exc})"
        raise RefreshError(msg) from exc


def commit(
    ctx: Context, prepared: Prepared, previous: Previous | None, settings: Settings
) -> tuple[dict[str, Any], Previous, str, Path]:
    """Check a prepared version against the previous one when needed, measure the change, write it atomically."""
    target, parsed, km2 = prepared.target, prepared.parsed, prepared.km2
    force, from_file, replace = settings.force, settings.from_file, settings.replace
    directory = settings.layers / schema.occupation_dir(settings.source)
    check = prepared.official or _jump_check(target, km2, previous, force=force, source=settings.source)
    record, current = _measure(ctx, prepared, previous)
    if previous is not None and not force:
        overlap = checks.check_location(
            km2,
            previous.km2,
            gained_km2=record["gained_km2"],
            lost_km2=record["lost_km2"],
            source=prepared.source,
            previous_date=previous.date,
            either=settings.source in schema.SECOND_SOURCES,
        )
        check = f"{check}; {overlap:.1%} of the area overlaps {previous.date}"
    record["check"] = check
    path = store.snapshot_path(directory, target.date)
    whose = "file" if from_file and settings.source not in schema.SECOND_SOURCES else settings.source
    credit = (
        f"{style.OCCUPATION_SOURCES['file'].credit} ({user_file.shown_name(from_file)})"
        if whose == "file" and from_file
        else style.OCCUPATION_SOURCES[whose].credit
    )
    data = snapshot.snapshot_bytes(
        parsed,
        properties={"version_id": target.version, "published_utc": target.published, "source": credit},
    )
    sidecar = snapshot.sidecar_for(
        data=data,
        file_name=path.name,
        url=user_file.shown_name(from_file) if whose == "file" and from_file else target.url,
        occupation_source=whose,
        version=target.version,
        published=target.published,
        snapshot_date=target.date,
        parsed=parsed,
        km2=km2,
        check=check,
        changes=_changes(whose, prepared.reading),
        notes=prepared.reading.notes if prepared.reading else "",
        window=prepared.reading.window if prepared.reading else None,
        credit=credit,
        leaves_out=prepared.reading.leaves_out if prepared.reading else (),
    )
    if prepared.source_files:
        sidecar["source_files"] = [{"name": name, "sha256": digest} for name, digest in prepared.source_files]
    if prepared.final_url != target.url:
        sidecar["final_url"] = prepared.final_url  # after redirects
    side = sources.sidecar_path(path)
    copies = _keep_replaced(path) if (replace or target.repair) and (path.exists() or side.exists()) else []
    kept = copies[-1] if copies else None
    try:
        store.commit(path, data, (json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        for copy in copies:
            copy.unlink(missing_ok=True)
        msg = f"{path}: cannot write the snapshot ({exc.strerror or exc}); nothing was changed"
        raise RefreshError(msg) from exc
    repaired = f"; repaired {parsed.repaired} invalid polygons" if parsed.repaired else ""
    repaired += f"; the snapshot it replaces is kept in {kept}" if kept else ""
    if target.repair:
        repaired += f"; refetched: the stored one was damaged ({target.repair})"
    against = previous.date if previous else "nothing"
    message = (
        f"wrote {path} ({km2:,.0f} km² occupied; +{record['gained_km2']:,} / -{record['lost_km2']:,} km² "
        f"since {against}{repaired}); deposits changed: {report.deposits_changed_text(record)}"
    )
    return record, current, message, path


def _changes(whose: str, reading: occupation.Reading | None) -> str:
    """Say in the sidecar how the snapshot was made from what its source publishes."""
    common = "Z dropped; repaired with make_valid; 6 decimals."
    if whose == "deepstate":
        return (
            "Written by scripts/refresh_occupation.py: union of the occupied, Crimea, ORDLO and Tuzla polygons "
            "(feature class 'occupied') and, apart, the grey zone less the occupied area (class 'contested'); "
            f"editorial areas outside Ukraine dropped; {common}"
        )
    if whose == "file":
        return f"Written by scripts/refresh_occupation.py --from-file: every polygon of the file as occupied; {common}"
    cut = (
        " The area DeepState shows held before 24 Feb 2022 is cut away: the source leaves it out (on some dates), so "
        "its series compares like with like (`occupied since 24 Feb 2022`)."
        if reading is not None and occupation.LEAVES_OUT_PRE2022 in reading.leaves_out
        else ""
    )
    return (
        f"Written by scripts/refresh_occupation.py --source {whose}: its files normalised to the snapshot classes "
        f"(geo/occupation/{whose}.py: occupied, and apart the contested class less the occupied area).{cut} {common}"
    )


def _keep_replaced(path: Path) -> list[Path]:
    """Copy a snapshot and its sidecar into ``replaced/``, never over an earlier copy; return the copies.

    Copies, not moves: the live files change only when the new ones are
    renamed over them, so a failure or a kill before that leaves them as they were.
    """
    folder = path.parent / REPLACED_DIR
    side = sources.sidecar_path(path)
    made: list[Path] = []
    try:
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise NotADirectoryError(20, "not a folder")
        folder.mkdir(exist_ok=True)
        stem, n = path.name.removesuffix(".geojson"), 0
        while True:
            target = folder / f"{stem}{f'.{n}' if n else ''}.geojson"
            if not target.exists() and not sources.sidecar_path(target).exists():
                break
            n += 1
        for source, copy in ((side, sources.sidecar_path(target)), (path, target)):
            if source.is_file():
                write_all_atomic({copy: source.read_bytes()})
                made.append(copy)
    except OSError as exc:
        for copy in made:
            copy.unlink(missing_ok=True)
        msg = f"{folder}: cannot keep the snapshot it would replace there ({exc.strerror or exc}); nothing was changed"
        raise RefreshError(msg) from exc
    return made


def _check_writable(out: Path) -> None:
    """Fail before anything is fetched if the report folder cannot be written.

    A build killed in the middle of its folder swap may have left `out` missing
    and its old copy beside it: that copy is put back first (`geo.files.recover_tree`),
    never shadowed by a new, empty folder.
    """
    try:
        recover_tree(out)
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".refresh-probe-"):
            pass
    except OSError as exc:  # geo.errors.OutputError too
        msg = (
            f"{out}: cannot write the change report there ({getattr(exc, 'strerror', None) or exc}); pass --out DIR; "
            "nothing was changed"
        )
        raise RefreshError(msg) from exc


def _write_reports(out: Path, reports: list[dict[str, Any]], *, credit: str = style.OCCUPATION_CREDIT) -> None:
    text = json.dumps({"reports": reports}, ensure_ascii=False, indent=2) + "\n"
    markdown = "\n".join(report.report_markdown(r, credit=credit) for r in reports)
    try:
        folder = out.resolve()
        folder.parent.mkdir(parents=True, exist_ok=True)
        with locked(folder.parent):  # a build swapping `out` meanwhile would drop the report (`geo.files.replace_tree`)
            recover_tree(out)
            out.mkdir(parents=True, exist_ok=True)
            write_all_atomic({out / REPORT_JSON: text.encode("utf-8"), out / REPORT_MD: markdown.encode("utf-8")})
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        msg = (
            f"{out}: cannot write the change report ({getattr(exc, 'strerror', None) or exc}); "
            f"the {len(reports)} new snapshot(s) are stored; rerun the build to use them"
        )
        raise RefreshError(msg) from exc


def print_progress(step: Progress) -> None:
    """Progress to stderr: one line per version, or one updated line on a terminal."""
    line = http.printable(_progress_line(step), limit=None)
    if sys.stderr.isatty():
        end = "\n" if step.done == step.total else ""
        print(f"\r\x1b[K{line}", end=end, file=sys.stderr, flush=True)
    else:
        print(line, file=sys.stderr, flush=True)


__all__ = ["Outcome", "Progress", "Target", "choose_versions", "load_context", "print_progress", "refresh"]
