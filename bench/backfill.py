"""Benchmark: the occupation backfill ``scripts/refresh_occupation.py --since DATE`` over real loopback HTTP.

For each archive length N (``--versions``, default 88 and 1000) it copies the shipped ``layers/`` to a fresh
temporary folder, serves a DeepState-like API on 127.0.0.1 with ``tests.deepstate_archive`` (N = 88, the size of
the real sample, serves the real versions on their real dates; any other N repeats the sample one day apart, so
N versions are N days) and runs the refresh CLI as a subprocess with its default workers::

    python scripts/refresh_occupation.py --base-url URL --layers TMP/layers --out TMP/maps --since 2022-04-01

What is measured, and how:

- wall time of that subprocess (``time.perf_counter`` around it), and the rate N / wall ("raw");
- "network aside": a plain sequential urllib fetch of the listing and every geojson and areas body from the same
  server, timed in this process after the run; the rate is N / (wall - fetch time);
- peak memory: ``ru_maxrss`` from ``os.wait4`` on the child (Linux: KiB; the RSS of the largest single process of
  the tree, i.e. the refresh or one of its forked workers), and the peak of the whole tree sampled every 0.2 s from
  /proc (sum of VmRSS of the child and all its descendants; forked workers share pages, so the sum over-counts,
  which is why the sum of Pss from smaps_rollup is printed too); this process (the server) is not included;
- storage: bytes (file sizes) under ``layers/occupation`` after the run minus before, and the bytes of the new
  dated snapshots (geojson + sidecar), extrapolated to 1,000 daily snapshots;
- resume: the same command again; every version is already stored, so it should skip them all without fetching
  one (the server's geojson hits during that run are printed);
- the exit code, and the count of "stored" / "refused" / "skipped" progress lines.

Targets (issue, 2-core machine): the whole archive (~1,360 versions, ~1,000 days) in <= 5 min; >= 5 versions/s
network aside; peak memory <= 1 GB whatever N is; <= 200 MB under layers/occupation for the full daily archive.

Usage: python bench/backfill.py --versions 88,1000 [--keep DIR]

Not a test: it prints numbers beside the targets (and exits 1 if a refresh run failed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo import schema  # noqa: E402
from tests.deepstate_archive import archive_ids, build_routes, serve  # noqa: E402

SINCE = "2022-04-01"
SAMPLE_S = 0.2
ECHO_S = 15.0
MIB = 1024 * 1024
DAYS = 1000  # the "~1,000 days"
TARGET_WALL_S = 300.0  # for ~1,000 days
TARGET_RATE = 5.0  # versions/s, network aside
TARGET_MEM_MB = 1024.0
TARGET_STORE_MB = 200.0  # per ~1,000 daily snapshots
PROGRESS = re.compile(r"^\[(\d+)/(\d+)\] (\S+) (?:version \S+|file): (stored|refused|skipped)")


@dataclass
class Run:
    """One refresh subprocess."""

    wall_s: float
    exit_code: int
    maxrss_kib: int  # ru_maxrss from wait4: the largest single process of the tree
    tree_rss_kib: int  # peak sum of VmRSS over the tree, sampled
    tree_pss_kib: int  # peak sum of Pss over the tree, sampled
    outcomes: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    stdout: list[str] = field(default_factory=list)


@dataclass
class Result:
    """Everything measured for one archive length."""

    n: int
    first: Run
    resume: Run
    fetch_s: float
    fetch_requests: int
    fetch_bytes: int
    new_bytes: int
    snapshot_bytes: int
    snapshots: int
    resume_geojson_hits: int
    resume_areas_hits: int
    build: Built


@dataclass
class Built:
    """``build_maps.py`` on the backfilled layers."""

    wall_s: float
    exit_code: int
    maxrss_kib: int
    overview_bytes: int
    gpkg_bytes: int
    history_dates: int


def run_build(layers: Path, maps: Path) -> Built:
    """Time ``scripts/build_maps.py`` on the backfilled layers (the issue: <= 60 s, overview <= 1.5 MB)."""
    cmd = [sys.executable, "scripts/build_maps.py", "--layers", str(layers), "--out", str(maps)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and proc.stderr is not None:
        print("    build stderr:", proc.stderr.read().decode("utf-8", "replace")[-2000:])
    if proc.stderr is not None:
        proc.stderr.close()
    history = maps / schema.HISTORY_REGIONS_CSV
    dates = (
        {line.split(",", 1)[0] for line in history.read_text(encoding="utf-8").splitlines()[1:]} if code == 0 else set()
    )

    def size(name: str) -> int:
        return (maps / name).stat().st_size if (maps / name).exists() else 0

    return Built(wall, code, usage.ru_maxrss, size("overview.html"), size(schema.GPKG_FILE), len(dates))


def parse_versions(values: list[str]) -> list[int]:
    out: list[int] = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                n = int(part)
                if n < 1:
                    msg = f"--versions: {n} is not a positive count"
                    raise argparse.ArgumentTypeError(msg)
                out.append(n)
    return out


def descendants(root: int) -> list[int]:
    """`root` and every process below it, from the ppid field of /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _kib(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:  # the process ended meanwhile
        return 0
    return 0


def tree_memory(root: int) -> tuple[int, int]:
    """Sum of VmRSS and of Pss (KiB) over `root` and its descendants."""
    rss = pss = 0
    for pid in descendants(root):
        rss += _kib(Path(f"/proc/{pid}/status"), "VmRSS:")
        pss += _kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss:")
    return rss, pss


def _collect(stream: IO[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line.rstrip("\n"))


def run_refresh(url: str, layers: Path, maps: Path, label: str) -> Run:
    cmd = [
        sys.executable, "scripts/refresh_occupation.py", "--base-url", url,
        "--layers", str(layers), "--out", str(maps), "--since", SINCE,
    ]  # fmt: skip
    stdout: list[str] = []
    stderr: list[str] = []
    rss_peak = pss_peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8")  # fmt: skip
    assert proc.stdout is not None
    assert proc.stderr is not None
    readers = [
        threading.Thread(target=_collect, args=(proc.stdout, stdout), daemon=True),
        threading.Thread(target=_collect, args=(proc.stderr, stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    echoed = start
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        rss, pss = tree_memory(proc.pid)
        rss_peak, pss_peak = max(rss_peak, rss), max(pss_peak, pss)
        if time.perf_counter() - echoed >= ECHO_S and stderr:
            echoed = time.perf_counter()
            print(f"  {label} {echoed - start:5.0f} s  {stderr[-1]}", flush=True)
        time.sleep(SAMPLE_S)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4 above
    for reader in readers:
        reader.join()
    proc.stdout.close()
    proc.stderr.close()
    run = Run(wall, proc.returncode, usage.ru_maxrss, rss_peak, pss_peak, stderr=stderr, stdout=stdout)
    for line in stderr:
        match = PROGRESS.match(line)
        if match:
            run.outcomes[match[4]] += 1
            if match[4] == "refused":
                run.refused.append(line)
    return run


def fetch_all(url: str) -> tuple[float, int, int]:
    """Time a plain sequential fetch of the listing and every geojson and areas body: seconds, requests, bytes."""
    requests = size = 0
    start = time.perf_counter()

    def get(address: str) -> bytes:
        nonlocal requests, size
        requests += 1
        try:
            with urllib.request.urlopen(address, timeout=60) as response:
                body: bytes = response.read()
        except urllib.error.HTTPError as exc:  # a version without areas
            if exc.code != 404:
                raise
            return b""
        size += len(body)
        return body

    listing = json.loads(get(f"{url}/history/public"))
    for item in listing:
        get(f"{url}/history/{item['id']}/geojson")
        get(f"{url}/history/{item['id']}/areas")
    return time.perf_counter() - start, requests, size


def files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def measure(n: int, keep: Path | None) -> Result:
    real = len(archive_ids())
    routes = build_routes() if n == real else build_routes(cycle=n)
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as name:
        tmp = Path(name)
        layers, maps = tmp / "layers", tmp / "maps"
        shutil.copytree(ROOT / "layers", layers)
        occupation = layers / schema.OCCUPATION_DIR
        before = files(occupation)
        with serve(routes) as server:
            first = run_refresh(server.url, layers, maps, f"N={n}")
            after = files(occupation)
            fetch_s, fetch_requests, fetch_bytes = fetch_all(server.url)
            geojson0, areas0 = server.hit_count("/geojson"), server.hit_count("/areas")
            resume = run_refresh(server.url, layers, maps, f"N={n} resume")
            resume_geojson = server.hit_count("/geojson") - geojson0
            resume_areas = server.hit_count("/areas") - areas0
        built = run_build(layers, maps)
        new = {k: v for k, v in after.items() if k not in before}
        dated = {k: v for k, v in new.items() if "/" not in k and k.startswith(schema.SNAPSHOT_PREFIX)}
        if keep is not None:
            shutil.copytree(tmp, keep / f"versions-{n}")
    return Result(
        n=n, first=first, resume=resume, fetch_s=fetch_s, fetch_requests=fetch_requests, fetch_bytes=fetch_bytes,
        new_bytes=sum(after.values()) - sum(before.values()), snapshot_bytes=sum(dated.values()),
        snapshots=sum(1 for k in dated if k.endswith(".geojson")), resume_geojson_hits=resume_geojson,
        resume_areas_hits=resume_areas, build=built,
    )  # fmt: skip


def report(r: Result) -> None:
    f = r.first
    aside = f.wall_s - r.fetch_s
    print(f"\nN = {r.n}")
    print(f"  first run: exit {f.exit_code}, {f.wall_s:.1f} s wall; progress lines: {dict(f.outcomes)}")
    print(f"    raw rate N / wall = {r.n / f.wall_s:.2f} versions/s")
    print(f"    network: sequential urllib fetch of listing + {r.fetch_requests - 1} geojson/areas bodies "
          f"({r.fetch_bytes / MIB:.0f} MB) from the same server after the run: {r.fetch_s:.1f} s")  # fmt: skip
    rate = f"{r.n / aside:.2f} versions/s" if aside > 0 else "n/a (fetch took longer than the run)"
    print(f"    network aside N / (wall - fetch) = {rate}")
    print(f"    peak memory: ru_maxrss (wait4, KiB on Linux; largest single process of the tree) = "
          f"{f.maxrss_kib} KiB = {f.maxrss_kib / 1024:.0f} MB")  # fmt: skip
    print(f"    process tree, sampled every {SAMPLE_S} s from /proc: peak sum VmRSS = {f.tree_rss_kib / 1024:.0f} MB, "
          f"peak sum Pss = {f.tree_pss_kib / 1024:.0f} MB")  # fmt: skip
    print(f"    storage under layers/occupation: +{r.new_bytes / MIB:.1f} MB; {r.snapshots} new dated snapshots "
          f"(geojson + sidecar) = {r.snapshot_bytes / MIB:.1f} MB -> "
          f"{r.snapshot_bytes / max(r.snapshots, 1) * DAYS / MIB:.0f} MB per {DAYS:,} daily snapshots")  # fmt: skip
    for line in f.refused[:5]:
        print(f"    {line}")
    if f.exit_code != 0:
        print("    stderr tail:", *f.stderr[-10:], sep="\n      ")
    s = r.resume
    print(f"  resume run: exit {s.exit_code}, {s.wall_s:.1f} s wall; progress lines: {dict(s.outcomes)}; "
          f"server hits during it: {r.resume_geojson_hits} geojson, {r.resume_areas_hits} areas")  # fmt: skip
    if s.exit_code != 0:
        print("    stderr tail:", *s.stderr[-10:], sep="\n      ")
    b = r.build
    print(f"  build_maps.py on the result: exit {b.exit_code}, {b.wall_s:.1f} s wall (target <= 60 s), peak "
          f"{b.maxrss_kib / 1024:.0f} MB (largest process); history_regions.csv has {b.history_dates} dates; "
          f"overview.html {b.overview_bytes / MIB:.2f} MB (target <= 1.5 MB); GeoPackage {b.gpkg_bytes / MIB:.0f} MB")  # fmt: skip


def table(results: list[Result]) -> None:
    head = (
        f"{'N':>5} {'wall s':>7} {'1000d s':>7} {'v/s raw':>7} {'v/s net-aside':>13} {'maxRSS MB':>9} "
        f"{'tree RSS':>8} {'tree PSS':>8} {'store MB':>8} {'MB/1000d':>8} {'resume s':>8} {'exit':>5} "
        f"{'stored':>6} {'refused':>7}"
    )
    print("\n" + head)
    print(
        f"{'target':>5} {'':>7} {'<=300':>7} {'':>7} {'>=5':>13} {'<=1024':>9} "
        f"{'':>8} {'':>8} {'':>8} {'<=200':>8} {'':>8} {'0':>5} {'':>6} {'':>7}"
    )
    for r in results:
        f = r.first
        aside = f.wall_s - r.fetch_s
        net = f"{r.n / aside:.2f}" if aside > 0 else "n/a"
        per_days = r.snapshot_bytes / max(r.snapshots, 1) * DAYS / MIB
        print(
            f"{r.n:>5} {f.wall_s:>7.1f} {f.wall_s / r.n * DAYS:>7.0f} {r.n / f.wall_s:>7.2f} {net:>13} "
            f"{f.maxrss_kib / 1024:>9.0f} {f.tree_rss_kib / 1024:>8.0f} {f.tree_pss_kib / 1024:>8.0f} "
            f"{r.new_bytes / MIB:>8.1f} {per_days:>8.0f} {r.resume.wall_s:>8.1f} "
            f"{f'{f.exit_code}/{r.resume.exit_code}':>5} {f.outcomes['stored']:>6} {f.outcomes['refused']:>7}"
        )
    print(
        "1000d s: wall extrapolated linearly to 1,000 versions (days); v/s net-aside: N / (wall - sequential urllib "
        "fetch time); maxRSS: ru_maxrss of the largest single process (wait4, KiB/1024); tree RSS/PSS: peak sums over "
        f"the refresh and its workers sampled every {SAMPLE_S} s; store MB: growth of layers/occupation; MB/1000d: new "
        "dated snapshots per 1,000; exit: first run/resume run. MB = 2^20 bytes."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--versions", action="append", default=None, help="N, repeatable or a comma list (88,1000)")
    parser.add_argument("--keep", type=Path, default=None, help="copy each run's layers and maps to DIR/versions-N")
    args = parser.parse_args(argv)
    counts = parse_versions(args.versions or ["88,1000"])
    if args.keep is not None:
        taken = [args.keep / f"versions-{n}" for n in counts if (args.keep / f"versions-{n}").exists()]
        if taken:
            parser.error(f"--keep: {taken[0]} exists already")
    print(f"backfill benchmark: refresh_occupation.py --since {SINCE} over loopback HTTP, {os.cpu_count()} cores")
    print(
        "targets: ~1,000 days <= 300 s; >= 5 versions/s network aside; peak memory <= 1024 MB; <= 200 MB per ~1,000 days"
    )
    results = []
    for n in counts:
        result = measure(n, args.keep)
        report(result)
        results.append(result)
    table(results)
    ok = all(r.first.exit_code == 0 and r.resume.exit_code == 0 and r.build.exit_code == 0 for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
