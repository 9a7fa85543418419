"""Time the whole build on the shipped layers, stage by stage, beside the issue's anchors.

Run: python bench/build_time.py [--layers layers] [--repeat 3]

Prints, for each stage, the best of `--repeat` runs in this process (imports
are timed in fresh processes), then the whole build as a user runs it
(``scripts/build_maps.py``, fresh process, best of `--repeat`), ``--help``,
and whether two builds give byte-identical outputs.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import timing  # bench/timing.py, beside this script

REPO = Path(__file__).resolve().parent.parent
#: The issue's anchors (seconds, this 2-core machine): the build before the work, and the targets.
ANCHOR_BUILD_S = 24.0
TARGET_BUILD_S = 6.0
TARGET_HELP_S = 1.0
#: Issue 12: the build in English and Ukrainian costs at most this much more than the English one.
TARGET_LANG_RATIO = 1.6


def _fresh(args: list[str], repeat: int) -> float:
    def run() -> None:
        subprocess.run([sys.executable, *args], cwd=REPO, check=True, capture_output=True)

    return timing.best(repeat, run)[0]


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _stages(layers: Path, repeat: int) -> list[tuple[str, float]]:
    rows: list[tuple[str, float]] = []
    rows.append(("import geo.build (fresh process)", _fresh(["-c", "import geo.build"], repeat)))

    from geo import build, catalogue, i18n, webmap  # noqa: PLC0415

    t, inputs = timing.best(repeat, lambda: build.load(layers))
    rows.append(("read and validate (build.load)", t))
    t, results = timing.best(repeat, lambda: build.compute(inputs))
    rows.append(("compute (join, stats, history)", t))
    arguments = build.map_arguments(inputs, results)
    for spec in catalogue.MAPS:
        fresh = build.drawn_geometry(arguments)  # each map measured alone, with an empty cache

        def one(spec: catalogue.MapRecord = spec, fresh: webmap.Drawn = fresh) -> bytes:
            return build.render_map(spec, arguments, fresh)

        t, _ = timing.best(1, one)
        rows.append((f"map {spec.id} (alone, geometry simplified for it)", t))

    def all_maps() -> list[bytes]:
        drawn = build.drawn_geometry(arguments)  # a new cache each run: each scale simplified once, then shared
        return [build.render_map(spec, arguments, drawn) for spec in catalogue.MAPS]

    t, _ = timing.best(repeat, all_maps)
    rows.append(("all six maps in one process (geometry shared)", t))

    def web_geometry() -> webmap.Drawn:
        drawn = build.drawn_geometry(arguments)
        for spec in catalogue.MAPS:
            for lv in spec.levels:
                drawn.regions(lv.level, spec.scale, lv.within)
            drawn.occupation(spec.scale)
            drawn.country(spec.scale)
            for kind in ("land", "country"):
                drawn.base(kind, spec.scale)
        return drawn

    t, _ = timing.best(repeat, web_geometry)
    rows.append(("HTML maps: geometry of the six (cleaned, simplified once per scale)", t))
    t, _ = timing.best(repeat, lambda: build.render_outputs(inputs, results))
    rows.append(("maps, tables, charts, QGIS files as the build renders them (two processes)", t))
    t, _ = timing.best(repeat, lambda: build.render_outputs(inputs, results, languages=("en", "uk")))
    rows.append(("the same, in English and Ukrainian (--lang en,uk)", t))
    t, _ = timing.best(repeat, lambda: build.render_qgis(inputs, results))
    rows.append(("GeoPackage and QGIS project", t))
    t, _ = timing.best(repeat, lambda: build.render_tables(results))
    rows.append(("CSV tables", t))
    t, _ = timing.best(repeat, lambda: build.render_charts(results, credit=build.history_credit(inputs)))
    rows.append(("PNG charts (one language)", t))
    t, geometry = timing.best(repeat, lambda: build.print_geometry(inputs, results))
    rows.append(("static maps: geometry (reprojected, simplified once)", t))
    t, _ = timing.best(repeat, lambda: build.render_print(inputs, results, geometry))
    rows.append(("static maps: 24 files in English (PNG, card, SVG, PDF x 6 maps)", t))
    t, _ = timing.best(repeat, lambda: build.render_print(inputs, results, geometry, words=i18n.words("uk")))
    rows.append(("static maps: 24 files in Ukrainian (geometry shared)", t))
    return rows


def _whole(layers: Path, out: Path, repeat: int, *extra: str) -> tuple[float, bool, dict[str, int]]:
    """Time the build as a user runs it; build once more elsewhere and compare the bytes."""
    script = str(REPO / "scripts" / "build_maps.py")
    seconds = _fresh([script, "--layers", str(layers), "--out", str(out / "a"), *extra], repeat)
    _fresh([script, "--layers", str(layers), "--out", str(out / "b"), *extra], 1)
    identical = _digest(out / "a") == _digest(out / "b")
    sizes = {p.name: p.stat().st_size for p in (out / "a").iterdir() if p.suffix == ".html"}
    return seconds, identical, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=Path, default=REPO / "layers")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rows = _stages(args.layers, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        total, identical, sizes = _whole(args.layers, Path(tmp) / "en", args.repeat)
        total_both, identical_both, _ = _whole(args.layers, Path(tmp) / "both", args.repeat, "--lang", "en,uk")
    helped = _fresh([str(REPO / "scripts" / "build_maps.py"), "--help"], args.repeat)

    width = max(len(name) for name, _ in rows)
    print(f"{'stage':<{width}}  seconds (best of {args.repeat})")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:6.2f}")
    print()
    print(f"whole build, scripts/build_maps.py, fresh process: {total:.2f} s "
          f"(target <= {TARGET_BUILD_S:g} s, set by issue 10 before the 24 static maps of issue 12; "
          f"anchor before: {ANCHOR_BUILD_S:g} s, {ANCHOR_BUILD_S / total:.1f}x faster)")  # fmt: skip
    print(f"whole build --lang en,uk: {total_both:.2f} s, {total_both / total:.2f}x the English build "
          f"(target <= {TARGET_LANG_RATIO:g}x)")  # fmt: skip
    print(f"build_maps.py --help: {helped:.2f} s (target <= {TARGET_HELP_S:g} s)")
    print(f"two builds byte-identical: {identical} (English), {identical_both} (--lang en,uk)")
    print("HTML sizes (KB): " + ", ".join(f"{name} {size / 1024:.0f}" for name, size in sorted(sizes.items())))


if __name__ == "__main__":
    main()
