"""Benchmark: the history tables (per-region series, deposit statuses, control ledger) against the series length.

Times the monthly series shipped in layers/ (53 dates), then synthetic series of 10, 50, 200 and 400 dates made
by cycling the month-end snapshots (the geometry work per date is the same as for real dates), and extrapolates
linearly to a daily series of 1,670 versions. Targets (issue 6): monthly <= 5 s, daily <= 60 s.

Usage: python bench/history_ledger.py
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from itertools import cycle, islice
from pathlib import Path

import geopandas as gpd
import numpy as np

from geo import build, stats

ROOT = Path(__file__).resolve().parent.parent


def timed(results: build.Results, series: Mapping[str, gpd.GeoDataFrame]) -> float:
    start = time.perf_counter()
    statuses, _regions = build.history_tables(results.regions, results.deposits, series)
    stats.control_ledger(results.deposits, statuses, results.membership, results.regions)
    return time.perf_counter() - start


def main() -> None:
    inputs = build.load(ROOT / "layers")
    results = build.compute(inputs)
    monthly = dict(results.series)
    print(f"history tables + ledger, {len(results.regions)} regions, {len(results.deposits)} deposits")
    seconds = timed(results, monthly)
    print(f"monthly series ({len(monthly)} dates): {seconds:.2f} s   (target <= 5 s)")
    sizes, times = [], []
    parts = list(monthly.values())
    for n in (10, 50, 200, 400):
        series = {f"d{i:05d}": p for i, p in enumerate(islice(cycle(parts), n))}
        t = timed(results, series)
        sizes.append(n)
        times.append(t)
        print(f"{n:5d} dates: {t:6.2f} s  ({1000 * t / n:5.1f} ms per date)")
    slope, intercept = np.polyfit(sizes, times, 1)
    print(
        f"linear fit: {intercept:.2f} s + {1000 * slope:.1f} ms x dates -> 1,670 dates: {intercept + slope * 1670:.1f} s"
        "   (target <= 60 s)"
    )


if __name__ == "__main__":
    main()
