"""Measure what the peace-plan scenarios cost the build, beside issue 20's anchors.

Run: python bench/scenarios.py [--layers layers] [--repeat 3]

Prints the best of `--repeat` runs of: the scenarios' computation (`geo.build.compute_scenarios`, every scenario of
``scenarios.csv`` on the build's snapshot), the scenario map in HTML (`scenarios.html`, English), the static maps of
every scenario (English), the QGIS files with and without the scenario layers; then the sizes of ``scenarios.html``
in English and Ukrainian and the whole build with and without scenarios (``scripts/build_maps.py``, fresh process).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import timing  # bench/timing.py, beside this script

REPO = Path(__file__).resolve().parent.parent
#: Issue 20's anchors: the scenarios add at most this much to the build, and the page is at most this large.
TARGET_ADDED_S = 2.0
TARGET_PAGE_BYTES = 1_000_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=Path, default=REPO / "layers")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from geo import build, catalogue, i18n  # noqa: PLC0415

    inputs = build.load(args.layers)
    results = build.compute(inputs)
    bare = dataclasses.replace(results, scenarios=())
    count = len(inputs.scenarios)
    rows: list[tuple[str, float]] = []
    rows.append(
        (f"compute {count} scenarios", timing.best(args.repeat, lambda: build.compute_scenarios(inputs, results))[0])
    )
    scenario_map = next(spec for spec in catalogue.MAPS if spec.scenarios)
    arguments = build.map_arguments(inputs, results, [scenario_map])
    drawn = build.drawn_geometry(arguments, [scenario_map])
    seconds, html = timing.best(args.repeat, lambda: build.render_map(scenario_map, arguments, drawn))
    rows.append(("scenarios.html (en)", seconds))
    uk_html = build.render_map(scenario_map, arguments, drawn, words=i18n.words("uk"))
    printed = build.print_geometry(inputs, results, [scenario_map])
    rows.append(
        (
            f"print/scenario_*: {count} sets (en)",
            timing.best(args.repeat, lambda: build.render_print(inputs, results, printed, keys=[scenario_map.id]))[0],
        )
    )
    with_layers = timing.best(args.repeat, lambda: build.render_qgis(inputs, results))[0]
    without = timing.best(args.repeat, lambda: build.render_qgis(inputs, bare))[0]
    rows.append(("QGIS files: the scenario layers and atlas", with_layers - without))
    added = sum(seconds for _name, seconds in rows)
    width = max(len(name) for name, _s in rows)
    print(f"{'stage':<{width}}  seconds (best of {args.repeat})")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:6.2f}")
    print(f"{'scenarios, all stages (one process)':<{width}}  {added:6.2f}   anchor: <= {TARGET_ADDED_S:.1f} s added")
    print(f"scenarios.html: {len(html):,} bytes (en), {len(uk_html):,} bytes (uk)   anchor: <= {TARGET_PAGE_BYTES:,}")
    print(
        f"whole build, English (fresh process, best of {args.repeat}): {timing.build_seconds(args.layers, args.repeat):.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
