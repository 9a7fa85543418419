"""Benchmark: what a hostile polygon costs the refresh's checks of one version, against its vertex count.

Each case is one real version (``tests/fixtures/deepstate_1754251105_polygons.geojson.gz``, 114,330 km²
occupied) plus hostile "occupied" polygons in Ukraine outside the occupied area (so that every step after the
union carries them), run through ``geo.update.prepare`` as a refresh runs it, with no network (no ``/areas``):
parse, repair, union, the plausibility and grey-zone checks, the line of contact, the HTML and the static maps'
simplification at every map scale and the time slider's (``geometry.check_drawable``).  The shapes, each a ring
of N vertices 1° across:

- spiky: radial spikes, alternately 0.5° and 0.025° from the centre.  A valid polygon, and the worst shape for
  GEOS: its noding compares every edge with every other whose box overlaps, and here nearly all do (the cost
  grows with the square of N);
- star: a ring winding 7 times round the centre (self-intersecting, 6 crossings per vertex), to be repaired;
- jitter: a ring with random radii, crossing itself here and there, to be repaired.

For each shape, N = 10k, 50k, 100k and just under the per-polygon cap (`geo.occupation.deepstate.MAX_POLYGON_VERTICES`);
above the cap the version is refused as soon as the polygon is read.  Then "many": as many spiky polygons just
under the per-polygon cap as the per-version cap (`geo.occupation.deepstate.MAX_VERTICES`) allows, each round its own
centre, apart from the others.  Every case runs under the version's deadline (``--deadline``, default 60 s:
2 × the default ``--timeout``); a case stopped there says so (its seconds: the deadline, half a second of grace,
and the GEOS call under way).  ``--uncapped`` lifts both vertex caps to show how the checks themselves grow.

Anchors: the same cases before issue 23 (caps 500,000 / 2,000,000, GEOS "linework" repair, no deadline), on this
2-core machine, printed beside each row; and the issue's 499,000-vertex polygon, about 400 s.  Target: a few
seconds (<= 5 s) for a polygon just under the cap.

Usage: python bench/geometry_checks.py [--deadline 60] [--uncapped] [--sizes 10000,50000,100000]

Not a test: it prints numbers beside the anchors and the target.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo import update  # noqa: E402
from geo.errors import RefreshError  # noqa: E402
from geo.occupation import deepstate, http  # noqa: E402

REAL = ROOT / "tests" / "fixtures" / "deepstate_1754251105_polygons.geojson.gz"
TARGET_AT_CAP_S = 5.0
#: Seconds of the same cases before issue 23 (measured with this script's shapes on the code of before).
BEFORE_S = {
    ("spiky", 2_999): 2.50,
    ("star", 2_999): 22.65,
    ("jitter", 2_999): 0.80,
    ("spiky", 10_000): 23.66,
    ("star", 10_000): 171.71,
    ("jitter", 10_000): 4.62,
    ("jitter", 50_000): 144.50,
}
#: Centres in Ukraine outside the occupied area: a hostile polygon there is added to it, so that every step after
#: the union (line of contact, simplification, slider) carries its vertices.
CENTRES = [(26.5 + 0.5 * (k % 10), 48.6 + 0.5 * (k // 10)) for k in range(40)]


def spiky(n: int, centre: tuple[float, float], size: float = 0.5) -> np.ndarray[Any, Any]:
    angle = 2 * np.pi * np.arange(n) / n
    radius = np.where(np.arange(n) % 2 == 0, size, size / 20)
    return np.column_stack([centre[0] + radius * np.cos(angle), centre[1] + 0.6 * radius * np.sin(angle)])


def star(n: int, centre: tuple[float, float]) -> np.ndarray[Any, Any]:
    angle = 2 * np.pi * np.arange(n) * 7 / n
    return np.column_stack([centre[0] + 0.5 * np.cos(angle), centre[1] + 0.3 * np.sin(angle)])


def jitter(n: int, centre: tuple[float, float]) -> np.ndarray[Any, Any]:
    angle = 2 * np.pi * np.arange(n) / n
    radius = 0.5 + np.random.default_rng(1).uniform(-0.15, 0.15, n)
    return np.column_stack([centre[0] + radius * np.cos(angle), centre[1] + 0.6 * radius * np.sin(angle)])


SHAPES: dict[str, Callable[[int, tuple[float, float]], np.ndarray[Any, Any]]] = {
    "spiky": spiky,
    "star": star,
    "jitter": jitter,
}


def feature(ring: np.ndarray[Any, Any]) -> dict[str, Any]:
    closed = np.vstack([ring, ring[:1]]).tolist()
    geometry = {"type": "Polygon", "coordinates": [closed]}
    return {"type": "Feature", "properties": {"name": "geoJSON.status.occupied"}, "geometry": geometry}


def run(ctx: update.Context, settings: update.Settings, hostile: list[dict[str, Any]]) -> tuple[float, str]:
    """Prepare the real version plus `hostile` features; return the seconds and what became of it."""
    with gzip.open(REAL, "rt", encoding="utf-8") as fh:
        payload = json.load(fh)
    payload["features"].extend(hostile)
    target = update.Target("hostile", None, None, "2025-08-03")
    start = time.perf_counter()
    try:
        update.prepare(ctx, target, settings, payload=payload)
        outcome = "checked, accepted"
    except http.DeadlineError:
        outcome = "stopped at the deadline"
    except RefreshError as exc:
        outcome = "refused: " + str(exc).split(": ", 1)[-1].split(";")[0]
    return time.perf_counter() - start, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadline", type=float, default=http.VERSION_TIMEOUTS * http.TIMEOUT_S)
    parser.add_argument("--uncapped", action="store_true", help="lift the vertex caps (show the checks' own growth)")
    parser.add_argument("--sizes", default="10000,50000,100000")
    args = parser.parse_args()
    cap, total = deepstate.MAX_POLYGON_VERTICES, deepstate.MAX_VERTICES
    if args.uncapped:
        deepstate.MAX_POLYGON_VERTICES = deepstate.MAX_VERTICES = 10**9  # type: ignore[misc]
    ctx = update.load_context(ROOT / "layers")
    with tempfile.TemporaryDirectory() as tmp:
        settings = update.Settings(
            layers=ROOT / "layers", out=Path(tmp), base="http://127.0.0.1:9/api", version_s=args.deadline
        )
        base_s, _ = run(ctx, settings, [])
        caps = (
            f"caps{' lifted (normally' if args.uncapped else ':'} {cap:,} vertices per polygon, {total:,} per version"
        )
        print(f"{caps}{')' if args.uncapped else ''}; deadline {args.deadline:g} s per version")
        print(f"the real version alone: {base_s:.2f} s (its largest polygon: 985 vertices; the archive's: 1,003)")
        print(f"{'shape':7} {'N':>9}  {'seconds':>9}  outcome")
        sizes = [int(n) for n in args.sizes.split(",")] + [cap - 1]
        for name, shape in SHAPES.items():
            for n in sizes:
                seconds, outcome = run(ctx, settings, [feature(shape(n, CENTRES[0]))])
                note = f"   (target <= {TARGET_AT_CAP_S:g} s at the cap)" if n == cap - 1 else ""
                if (name, n) in BEFORE_S:
                    note += f"   (before: {BEFORE_S[name, n]:.2f} s, accepted)"
                print(f"{name:7} {n:9,d}  {seconds:9.2f}  {outcome}{note}", flush=True)
        count = max(1, min(len(CENTRES), (total - 15_245) // (cap - 1)))
        many = [feature(spiky(cap - 1, CENTRES[k], size=0.1)) for k in range(count)]  # apart from each other
        seconds, outcome = run(ctx, settings, many)
        print(f"many    {count:2d} × {cap - 1:,}  {seconds:9.2f}  {outcome}   (bounded by the deadline)")


if __name__ == "__main__":
    main()
