"""Measure what a second occupation source costs: storing its files, and comparing it in the build.

Run: python bench/sources.py --layers DIR [--nzz DIR] [--isw DIR] [--repeat 3]

`--layers` is a layers folder (a copy: the NZZ and ISW files given are stored into it first, each day's refresh
timed; a rerun finds them stored).  Then, best of `--repeat`: `geo.build.compute_sources` over every day two
sources share, per pair-day; the CSV tables of the comparison; and the whole build with and without the other
sources' folders (``scripts/build_maps.py``, fresh process; the folders moved aside for the second) — the anchor
for DeepState-only users is that their build does not get slower (no folder: nothing is read or compared).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import timing  # bench/timing.py, beside this script

REPO = Path(__file__).resolve().parent.parent


def _store(layers: Path, source: str, folder: Path) -> tuple[float, int]:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "scripts/refresh_occupation.py", "--layers", str(layers), "--out", f"{tmp}/maps",
                "--source", source, "--from-dir", str(folder)]  # fmt: skip
        subprocess.run(args, cwd=REPO, check=False, capture_output=True)
    return time.perf_counter() - start, len(list(folder.iterdir()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=Path, required=True, help="a copy of the layers folder (written to)")
    parser.add_argument("--nzz", type=Path, default=None, help="a folder of NZZ's dated files to store first")
    parser.add_argument("--isw", type=Path, default=None, help="a folder of ISW's dated files to store first")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from geo import build, schema  # noqa: PLC0415

    for source, folder in (("nzz", args.nzz), ("isw", args.isw)):
        if folder is not None:
            seconds, files = _store(args.layers, source, folder)
            print(f"{'store ' + source + ' --from-dir (' + str(files) + ' files)':<58} {seconds:8.2f} s")
    second = build.list_second_sources(args.layers)
    inputs = build.load(args.layers)
    results = build.compute(inputs)
    seconds, found = timing.best(args.repeat, lambda: build.compute_sources(inputs, results, second))
    pairs = 0 if found is None else len(found.compare[found.compare["region_id"] == schema.COUNTRY_ID])
    rows = [(f"compare: {pairs} pair-days", seconds)]
    if pairs:
        rows.append(("compare: per pair-day", seconds / pairs))
    full = dataclasses.replace(results, sources=found)
    rows.append(
        ("sources_compare.csv and sources_deposits.csv", timing.best(args.repeat, lambda: build.source_tables(full))[0])
    )
    with_sources = timing.build_seconds(args.layers, args.repeat)
    aside = Path(tempfile.mkdtemp())
    moved = []
    for source in schema.SECOND_SOURCES:
        folder = args.layers / schema.occupation_dir(source)
        if folder.is_dir():
            shutil.move(str(folder), aside / source)
            moved.append(source)
    try:
        without = timing.build_seconds(args.layers, args.repeat)
    finally:
        for source in moved:
            shutil.move(str(aside / source), args.layers / schema.occupation_dir(source))
    rows.append(("whole build with the other sources", with_sources))
    rows.append(("whole build, DeepState only (their folders moved aside)", without))
    for name, value in rows:
        print(f"{name:<58} {value:8.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
