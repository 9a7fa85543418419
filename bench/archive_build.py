"""Benchmark: ``scripts/build_maps.py`` after a backfill of the whole public DeepState archive (issue 18, "Speed").

The archive the build must handle is about 1,120 daily snapshots from April 2022 to August 2026, whose raw
versions grow with time (2024–2025 ones are about 2.6× the size of April 2022 ones).  Cycling the 88-version
sample is not enough: it repeats April 2022 sizes and jumps between eras.  This script writes, into a temporary
copy of ``layers/``, a store of ``--dates`` (default 1,120) dated snapshots spread over 2022-04-03 → 2026-08-21
(the shipped 2026-08-22 snapshot stays the build's), each as the refresh stores it (`geo.occupation.deepstate.parse_features`,
`snapshot_bytes`, `sidecar_for`: the same bytes, sidecars that verify):

- on the days of a real version of the sample (``tests/fixtures/deepstate_archive``, or ``--sample DIR``, e.g. the
  shared ``occupation/archive_sample``): that version;
- on every other day: the latest real version before it (its size, its era: 2023-11, 2024-03, 2025-07 versions for
  late 2023 to 2026) plus a moving front: every day one small irregular polygon (1–3 km across, 10 vertices) on
  the line of contact is gained (or, one day in four, lost) and the one of 30 days before is given back, so that
  two consecutive days differ by two small pieces, as real ones do; the grey zone is the version's less the
  occupied area.

Then it runs the build as a user does, in a fresh process (``--repeat`` times, the best kept)::

    python scripts/build_maps.py --layers TMP/layers --out TMP/maps

and prints its wall time and peak memory beside the targets (≤ 30 s, ≤ 600 MB) and the measurement after a real
backfill before the work (103 s, 887 MB).  Peak memory is ``ru_maxrss`` of the largest single process of the tree
(``os.wait4``, as ``/usr/bin/time -v`` reports it), and the peak sum of RSS and of PSS over the build and its forked
workers, sampled every 0.2 s from /proc.  With ``--stages`` it also times ``build.load`` and ``build.compute`` in
this process.  ``--tree DIR`` runs another checkout's build on the same inputs (a before/after comparison).

Usage: python bench/archive_build.py [--dates 1120] [--repeat 3] [--stages] [--keep DIR | --layers DIR] [--tree DIR]

It reads the repository's ``layers/`` and the sample only to make its temporary inputs, and writes nothing into
the repository.  Not a test: it prints numbers beside the targets.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backfill import tree_memory  # noqa: E402  (bench/ is the script's folder)

from geo import occupation, schema, sources, store, style  # noqa: E402
from geo.occupation import checks, deepstate, snapshot  # noqa: E402

SAMPLE = ROOT / "tests" / "fixtures" / "deepstate_archive"
FIRST_DAY = date(2022, 4, 3)
LAST_DAY = date(2026, 8, 21)  # the shipped snapshot (2026-08-22) stays the newest: the build's
DATES = 1120
WINDOW = 30  # days a gained or lost piece lasts
SEED = 18
SAMPLE_S = 0.2
MIB = 1024 * 1024
TARGET_WALL_S = 30.0
TARGET_MEM_MB = 600.0
BEFORE_WALL_S = 103.0  # the build after a real backfill, before issue 18's part 6
BEFORE_MEM_MB = 887.0


@dataclass(frozen=True)
class Version:
    """One real version of the sample, parsed as the refresh parses it."""

    version: str
    day: date
    parsed: occupation.Parsed
    front: shapely.Geometry  # its occupied area's edge inside Ukraine (lon/lat), where pieces are put


@dataclass(frozen=True)
class Built:
    """One ``build_maps.py`` run."""

    wall_s: float
    exit_code: int
    maxrss_kib: int
    tree_rss_kib: int
    tree_pss_kib: int


def _day(version: str) -> date:
    return datetime.fromtimestamp(int(version), tz=UTC).date()


def read_sample(folder: Path, interior: shapely.Geometry) -> list[Version]:
    """Parse every ``<id>.geojson.gz`` of `folder` (oldest first), keeping the day's latest version."""
    by_day: dict[date, Version] = {}
    for path in sorted(folder.glob("*.geojson.gz"), key=lambda p: int(p.name.split(".")[0])):
        version = path.name.split(".")[0]
        payload = json.loads(gzip.decompress(path.read_bytes()))
        parsed = deepstate.parse_features(deepstate.feature_collection(payload))
        front = shapely.intersection(shapely.boundary(parsed.occupied), interior)
        by_day[_day(version)] = Version(version, _day(version), parsed, front)
    return [by_day[d] for d in sorted(by_day)]


def series_days(real: list[date], count: int) -> list[date]:
    """`count` days from `FIRST_DAY` to `LAST_DAY`: every real version's day, the rest spread evenly."""
    span = (LAST_DAY - FIRST_DAY).days
    chosen = {d for d in real if FIRST_DAY <= d <= LAST_DAY}
    free = [FIRST_DAY + timedelta(days=k) for k in range(span + 1)]
    free = [d for d in free if d not in chosen]
    wanted = count - len(chosen)
    if wanted > len(free):
        msg = f"--dates {count}: there are only {span + 1} days from {FIRST_DAY} to {LAST_DAY}"
        raise SystemExit(msg)
    picks = np.linspace(0, len(free) - 1, max(wanted, 0)).round().astype(int)
    return sorted(chosen | {free[i] for i in picks})


def _piece(front: shapely.Geometry, rng: np.random.Generator) -> shapely.Geometry:
    """A small irregular polygon (1–3 km across, 10 vertices) centred on a random point of the front."""
    point = shapely.line_interpolate_point(cast(Any, front), float(rng.uniform()), normalized=True)
    x, y = shapely.get_x(point), shapely.get_y(point)
    radius_km = rng.uniform(0.5, 1.5) * rng.uniform(0.7, 1.3, 10)
    angles = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    dx = radius_km * np.cos(angles) / (111.32 * math.cos(math.radians(y)))
    dy = radius_km * np.sin(angles) / 110.57
    return shapely.Polygon(np.column_stack([x + dx, y + dy]))


def day_geometry(anchor: Version, pieces: list[tuple[bool, shapely.Geometry]]) -> occupation.Parsed:
    """The anchor version with the pieces of the last `WINDOW` days gained (True) or lost (False)."""
    gained = [g for gain, g in pieces if gain]
    lost = [g for gain, g in pieces if not gain]
    occupied = anchor.parsed.occupied
    if gained:
        occupied = shapely.union(occupied, shapely.union_all(gained))
    if lost:
        occupied = shapely.difference(occupied, shapely.union_all(lost))
    occupied = shapely.union(occupied, anchor.parsed.pre2022)  # the pre-2022 zone never moves
    contested = anchor.parsed.contested
    if not shapely.is_empty(contested):
        parts = shapely.get_parts(shapely.difference(contested, occupied))
        contested = shapely.union_all(parts[shapely.get_type_id(parts) >= shapely.GeometryType.POLYGON])
    return occupation.Parsed(occupied, anchor.parsed.pre2022, contested, dict(anchor.parsed.counts))


def write_store(layers: Path, versions: list[Version], days: list[date]) -> tuple[int, int]:
    """Write one verified snapshot pair per day into ``layers/occupation``; return (files, bytes of the geojson)."""
    directory = layers / schema.OCCUPATION_DIR
    real = {v.day: v for v in versions}
    rng = np.random.default_rng(SEED)
    pieces: dict[date, tuple[bool, shapely.Geometry]] = {}
    total = 0
    for day in days:
        anchor = max((v for v in versions if v.day <= day), key=lambda v: v.day, default=versions[0])
        if day in real:
            parsed, version = real[day].parsed, real[day].version
        else:
            pieces[day] = (bool(rng.uniform() >= 0.25), _piece(anchor.front, rng))
            recent = [pieces[d] for d in sorted(pieces) if anchor.day < d <= day and (day - d).days < WINDOW]
            parsed = day_geometry(anchor, recent)
            version = str(int(datetime(day.year, day.month, day.day, 18, tzinfo=UTC).timestamp()))
        published = occupation.iso_utc(deepstate.version_time(version))
        path = store.snapshot_path(directory, day.isoformat())
        data = snapshot.snapshot_bytes(
            parsed, properties={"version_id": version, "published_utc": published, "source": style.OCCUPATION_CREDIT}
        )
        sidecar = snapshot.sidecar_for(
            data=data,
            file_name=path.name,
            url=deepstate.geojson_url(deepstate.DEFAULT_BASE_URL, version),
            occupation_source="deepstate",
            version=version,
            published=published,
            snapshot_date=day.isoformat(),
            parsed=parsed,
            km2=checks.area_km2(parsed.occupied),
            check="bench/archive_build.py: synthetic day" if day not in real else "bench/archive_build.py: real",
            changes="bench/archive_build.py: a synthetic daily store",
        )
        path.write_bytes(data)
        store.sidecar_path(path).write_text(json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        total += len(data)
    return len(days), total


def make_layers(target: Path, sample: Path, count: int) -> None:
    """Copy the repository's ``layers/`` to `target` and add the daily store."""
    start = time.perf_counter()
    shutil.copytree(ROOT / "layers", target)
    country = sources.read_country(target / schema.COUNTRY_FILE)
    interior = shapely.buffer(shapely.union_all(country.geometry.to_numpy()), -0.05)
    versions = read_sample(sample, interior)
    days = series_days([v.day for v in versions], count)
    files, size = write_store(target, versions, days)
    sizes = {}
    for year in range(2022, 2027):
        own = [store.snapshot_path(target / schema.OCCUPATION_DIR, d.isoformat()) for d in days if d.year == year]
        sizes[year] = sum(p.stat().st_size for p in own) / max(len(own), 1) / 1024
    per_year = ", ".join(f"{year} {kb:.0f} KB" for year, kb in sizes.items())
    print(
        f"made {files} dated snapshots ({size / MIB:.0f} MB; mean file by year: {per_year}) from {len(versions)} real "
        f"versions of {sample} in {time.perf_counter() - start:.0f} s"
    )


def run_build(tree: Path, layers: Path, maps: Path) -> Built:
    """Run ``scripts/build_maps.py`` of `tree` in a fresh process; wall time and peak memory."""
    shutil.rmtree(maps, ignore_errors=True)
    cmd = [sys.executable, "scripts/build_maps.py", "--layers", str(layers), "--out", str(maps)]
    rss_peak = pss_peak = 0
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(tree)}  # that checkout's package, not the one installed
    proc = subprocess.Popen(
        cmd, cwd=tree, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        rss, pss = tree_memory(proc.pid)
        rss_peak, pss_peak = max(rss_peak, rss), max(pss_peak, pss)
        time.sleep(SAMPLE_S)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    assert proc.stderr is not None
    if code != 0:
        print("  build stderr:", proc.stderr.read().decode("utf-8", "replace")[-2000:])
    proc.stderr.close()
    return Built(wall, code, usage.ru_maxrss, rss_peak, pss_peak)


def stages(layers: Path, repeat: int) -> None:
    """Time `geo.build.load` and `geo.build.compute` in this process (best of `repeat`)."""
    from geo import build  # noqa: PLC0415

    best_load = best_compute = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        inputs = build.load(layers)
        best_load = min(best_load, time.perf_counter() - start)
        start = time.perf_counter()
        build.compute(inputs)
        best_compute = min(best_compute, time.perf_counter() - start)
    dates = len(build.series_dates(inputs))
    print(f"  build.load {best_load:.2f} s, build.compute {best_compute:.2f} s ({dates} dates; best of {repeat})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dates", type=int, default=DATES, help=f"dated snapshots to make (default {DATES})")
    parser.add_argument("--repeat", type=int, default=1, help="build runs; the best is kept (default 1)")
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="folder of real <id>.geojson.gz versions")
    parser.add_argument("--stages", action="store_true", help="also time build.load and build.compute in-process")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose build is run (default: this one)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--keep", type=Path, help="make the layers in DIR (must not exist) and keep them")
    where.add_argument("--layers", type=Path, help="reuse layers made before with --keep DIR")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as name:
        tmp = Path(name)
        layers = args.layers or args.keep or tmp / "layers"
        if args.layers is None:
            if layers.exists():
                parser.error(f"--keep: {layers} exists already")
            make_layers(layers, args.sample, args.dates)
        dated = len(sources.list_snapshots(layers / schema.OCCUPATION_DIR))
        print(f"build_maps.py of {args.tree} on {layers}: {dated} dated snapshots, {os.cpu_count()} cores")
        print(f"  load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        if args.stages:
            stages(layers, args.repeat)
        runs = []
        for k in range(args.repeat):
            built = run_build(args.tree, layers, tmp / "maps")
            runs.append(built)
            print(
                f"  run {k + 1}: exit {built.exit_code}, {built.wall_s:.1f} s wall, peak {built.maxrss_kib / 1024:.0f} MB "
                f"(largest process), tree {built.tree_rss_kib / 1024:.0f} MB RSS / {built.tree_pss_kib / 1024:.0f} MB "
                f"PSS; load average {os.getloadavg()[0]:.2f}"
            )
        best = min(runs, key=lambda r: r.wall_s)
        print(
            f"best of {len(runs)}: {best.wall_s:.1f} s wall (target <= {TARGET_WALL_S:.0f} s; after a real backfill "
            f"before: {BEFORE_WALL_S:.0f} s), peak {min(r.maxrss_kib for r in runs) / 1024:.0f} MB largest process "
            f"(target <= {TARGET_MEM_MB:.0f} MB; before: {BEFORE_MEM_MB:.0f} MB), "
            f"{min(r.tree_pss_kib for r in runs) / 1024:.0f} MB PSS over the tree"
        )
    return 0 if all(r.exit_code == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
