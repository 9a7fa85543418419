"""Benchmark: the animations of ``build_maps.py --animate`` (issue 22 §1), seconds per map.

Two histories:

- monthly: the shipped ``layers/`` (the month-end files and the snapshot: 53 dates);
- daily: a copy of ``layers/`` with ``--days`` dated snapshots (default 400) spread over 2022-04-03 → 2026-08-21,
  made as bench/archive_build.py makes its store (`archive_build.make_layers`: the sample's real versions on
  their days, the days between them the latest real version with a moving front, each stored as the refresh
  stores it), besides the shipped month-end files.

For each, the inputs are read and computed once (not timed: that is the build's own work), then, for each map
with a time slider, `geo.build.animate_map` is timed in this process: a frame of every date in each figure size
(web 1600 × 1000, card 1080 × 1080) and language of ``--lang``, each sent at once to its MP4 and its GIF encoder
(ffmpeg, which runs beside).  Printed per map: wall seconds (best of ``--repeat``), the CPU seconds of this process
and of ffmpeg (children), the frames made and their rate, and the files' sizes; the print geometry the frames are
drawn on (`geo.build.print_geometry`, made once per build process) is timed apart.  A build renders the maps in two
processes where there are two cores (`geo.build.render_animations`): its wall time is about the slower map's, if
the cores are free.

Usage: python bench/animate.py [--days 400] [--lang en] [--repeat 1] [--skip-daily] [--layers DIR]

It writes nothing into the repository.  Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import timing  # bench/timing.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import archive_build  # noqa: E402  (bench/archive_build.py: the daily store)

from geo import animate, build, catalogue, i18n, sources  # noqa: E402

MIB = 1024 * 1024


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its ended children (ffmpeg)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def measure(name: str, layers: Path, languages: tuple[str, ...], repeat: int) -> None:
    """Time each slider map's animations on the history of `layers`."""
    start = time.perf_counter()
    inputs = build.load(layers)
    results = build.compute(inputs)
    dates = list(results.series)
    fps, hold = animate.timing(len(dates))
    print(
        f"{name}: {len(dates)} dates {dates[0]} → {dates[-1]} ({len(inputs.dated)} dated snapshots); "
        f"{fps} fps, the last held {hold} frames; read and computed in {time.perf_counter() - start:.0f} s"
    )
    maps = [spec for spec in catalogue.MAPS if spec.slider]
    seconds, geometry = timing.best(repeat, lambda: build.print_geometry(inputs, results, maps))
    print(f"  print geometry of {', '.join(s.id for s in maps)}: {seconds:.1f} s (once per build process)")
    for spec in maps:
        cpu_before = _cpu()

        def run(spec: catalogue.MapRecord = spec) -> dict[str, bytes]:
            return build.animate_map(inputs, results, geometry, spec, languages=languages)

        seconds, files = timing.best(repeat, run)
        own, children = (after - before for after, before in zip(_cpu(), cpu_before, strict=True))
        frames = len(dates) * 2 * len(languages)  # each date in two sizes and each language
        sizes = ", ".join(f"{Path(n).name} {len(b) / MIB:.2f} MB" for n, b in files.items() if n.count("/") <= 1)
        print(
            f"  {spec.id}: {seconds:.1f} s wall for {frames} frames ({frames / seconds:.1f} frames/s, "
            f"{seconds / len(dates) * 1000:.0f} ms a date); CPU over {repeat} run(s): {own:.1f} s here, "
            f"{children:.1f} s ffmpeg; {len(files)} files: {sizes}"
        )
    print(f"  load average now: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} cores)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--days", type=int, default=400, help="dated snapshots of the daily history (default 400)")
    parser.add_argument("--lang", default="en", help="languages, comma-separated (default en)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per map; the best is kept (default 1)")
    parser.add_argument("--sample", type=Path, default=archive_build.SAMPLE, help="folder of real versions")
    parser.add_argument("--skip-daily", action="store_true", help="only the shipped (monthly) history")
    parser.add_argument("--layers", type=Path, help="a daily layers folder made before (bench/archive_build --keep)")
    args = parser.parse_args(argv)
    languages = i18n.parse_languages(args.lang)
    measure("monthly (shipped layers)", ROOT / "layers", languages, args.repeat)
    if args.skip_daily:
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-animate-") as tmp:
        layers = args.layers
        if layers is None:
            layers = Path(tmp) / "layers"
            archive_build.make_layers(layers, args.sample, args.days)
        dated = len(sources.list_snapshots(layers / "occupation"))
        measure(f"daily ({dated} dated snapshots)", layers, languages, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
