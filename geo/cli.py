"""Command-line entry points; the one place a `geo.errors.GeoError` becomes ``error: …`` and an exit code."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from geo import i18n, schema, style
from geo.errors import ArgumentError, GeoError
from geo.occupation import deepstate, http

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def one_line(text: str) -> str:
    """Escape line breaks and other control characters, so that a message is one line and cannot drive the terminal."""
    return http.printable(text, limit=None)


EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as the shell reports it


def _run(job: Callable[[], int]) -> int:
    try:
        code = job()
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except GeoError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # the reader of stdout went away (``… | head``): the outputs are written; stop quietly, as a shell tool would
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print(
            "error: interrupted; every file is either as before or complete (a refresh keeps the versions it "
            "stored: rerun it to resume)",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return code


class _Parser(argparse.ArgumentParser):
    """Usage errors as one ``error: …`` line (the usage is in ``--help``), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {one_line(message)} (see {self.prog} --help)\n")


def _iso_date(value: str) -> str:
    try:
        valid = (
            bool(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)) and date.fromisoformat(value).isoformat() == value
        )
    except ValueError:
        valid = False
    if not valid:
        msg = f"not an ISO date (YYYY-MM-DD): {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _number(value: str, *, what: str, zero_allowed: bool) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and (number > 0 or (zero_allowed and number == 0))):
        msg = f"not {what} ({'a number >= 0' if zero_allowed else '> 0'}): {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return number


def _kilometres(value: str) -> float:
    return _number(value, what="a distance in km", zero_allowed=True)


def _slider_steps(value: str) -> Any:
    from geo import webmap  # noqa: PLC0415  (heavy: imported only when --slider is given)

    try:
        return webmap.parse_slider(value)
    except ArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _languages(value: str) -> tuple[str, ...]:
    try:
        return i18n.parse_languages(value)
    except ArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


#: The terminal summary's width: longer lines wrap (with an indent), never cut.
SUMMARY_WIDTH = 110


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def _value_line(item: Mapping[str, Any]) -> str:
    """Say a value basis: the central share, its range, and what was valued."""
    low = f", {item['low_confidence']} on low-confidence figures" if item["low_confidence"] else ""
    return (
        f"{_percent(item['central'])} ({_percent(item['low'])}–{_percent(item['high'])}), "
        f"{item['records_valued']} of {item['records']} records valued{low}"
    )


def _reserves_line(items: Sequence[Mapping[str, Any]]) -> str:
    """Say the reserves basis: one share per commodity, in its measure, with its coverage."""
    words = i18n.words("en")
    parts = []
    for item in items:
        low = ", low-confidence" if item["low_confidence"] else ""
        name = words("commodity." + item["commodity"])
        if item["records_with_figure"]:
            parts.append(
                f"{name} {_percent(item['occupied_share'])} "
                f"({item['measure']}, {item['records_with_figure']} of {item['records']} with a figure{low})"
            )
        else:
            parts.append(f"{name} — (no {item['measure']} figure in {item['records']})")
    return "; ".join(parts)


def summary_lines(record: Mapping[str, Any], out: Path) -> list[str]:
    """Return the build's summary for the terminal, from its ``summary.json`` record: whole, wrapped at `SUMMARY_WIDTH`."""
    lines: list[str] = []

    def say(head: str, text: str = "", *, indent: int = 0) -> None:
        """Add `head` + `text` (both made one printable line), wrapped; later lines indented under the text."""
        head, text = one_line(head), one_line(text)
        hang = " " * (indent or min(len(head), 40))
        wrapped = textwrap.wrap(
            head + text,
            SUMMARY_WIDTH,
            subsequent_indent=hang,
            break_long_words=True,  # only a token longer than a line (a revision, a path) is split, never cut
            break_on_hyphens=False,
        )
        lines.extend(line.rstrip() for line in wrapped or [""])

    revision = record["source_revision"]
    say(f"snapshot {record['snapshot_date']}, source revision:")
    say("  ", str(revision) if revision else "none recorded")
    history = record.get("history")
    if history:
        monthly, dated = history["month_end_files"], history["dated_snapshots"]
        parts = [
            f"{monthly['count']} month-end files"
            + (f" {monthly['first']} → {monthly['last']}" if monthly["count"] else "")
        ]
        parts.append(
            f"{dated['count']} dated snapshots" + (f" {dated['first']} → {dated['last']}" if dated["count"] else "")
        )
        parts.append(f"the snapshot {history['snapshot']}")
        say(
            "history: ",
            f"{history['count']} dates {history['first']} → {history['last']} ({'; '.join(parts)}; "
            f"longest gap {history['longest_gap_days']} days)",
        )
    ua = record["ukraine"]
    say(f"Ukraine: {ua['occupied_share']:.1%} occupied ({ua['occupied_km2']:,.0f} of {ua['area_km2']:,.0f} km²)")
    for region in record["focus_regions"]:
        counts = region["deposits"]
        occupied = counts[schema.OCCUPIED_SINCE_2022] + counts[schema.OCCUPIED_BEFORE_2022]
        say(
            f"  {one_line(region['name_en']):<26} {region['occupied_share']:6.1%} occupied ",
            f"({region['occupied_km2']:>7,.0f} of {region['area_km2']:>7,.0f} km²); "
            f"deposits {occupied} occupied, {counts[schema.HELD]} held, {counts[schema.UNKNOWN]} unknown",
            indent=4,
        )
    bases = record.get("metals_comparison")
    if bases:
        count = bases["count"]
        say("metals under Russian control, by basis (this project's records):")
        say(
            "  by count     ",
            f"{_percent(count['share'])}, {count['occupied_records']} of {count['known_records']} records of known "
            "control; not weighted by size or value",
        )
        say("  by value     ", _value_line(bases["value"]))
        say(
            "    without low-confidence figures: ",
            _value_line(bases["value_without_low_confidence_figures"]),
            indent=15,
        )
        say("  by reserves  ", _reserves_line(bases["reserves_by_commodity"]))
    say("published estimates:")
    for row in record["metals"]["comparison"]:
        if row["figure_id"] == "computed":
            continue
        share = f"{row['share']:.0%}" if row["share"] is not None else str(row["value"])
        say(f"  {one_line(row['figure_id']):<8} {share:>5}  ", f"{row['source_name']} (basis: {row['basis']})")
    if bases:
        say(
            "  ",
            "a published share weighs what is in the ground (by value or reserves), not records: compare it with "
            "the value basis above, not the count",
        )
    scenario_block = record.get("scenarios")
    if scenario_block and scenario_block["list"]:
        say(f"scenarios from the line of {scenario_block['date']} (Russian-controlled; demilitarised; deal minerals):")
        for item in scenario_block["list"]:
            say(f"  {one_line(item['scenario_id']):<22} ", _scenario_line(item), indent=4)
    compared = record.get("sources")
    if compared:
        for head, text in _sources_lines(compared):
            say(head, text, indent=4)
    say(f"wrote {len(record['outputs'])} files to {out}")
    return lines


def _sources_lines(compared: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return the terminal summary's lines on the sources compared: one per pair, on the newest day it shares."""
    if not compared["pairs"]:
        stored = ", ".join(f"{s} ({len(d)} days)" for s, d in compared["dates"].items() if s != "deepstate")
        return [("sources compared: none; ", f"{stored} stored, but no day two sources both have up to the build's "
                 "snapshot (same day only)")]  # fmt: skip
    newest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for pair in compared["pairs"]:
        newest[(pair["source_a"], pair["source_b"])] = pair  # the pairs come in date order
    head = ("sources compared (the newest day each pair shares; sources_compare.csv has every day and region):", "")
    return [head, *(("  ", _sources_line(pair, compared["credits"])) for pair in newest.values())]


def _sources_line(pair: Mapping[str, Any], credits: Mapping[str, str]) -> str:
    """One pair of sources in the terminal summary: where they agree, what only one shows, the records in doubt."""
    a, b = credits.get(pair["source_a"], pair["source_a"]), credits.get(pair["source_b"], pair["source_b"])
    union = pair["a_only_km2"] + pair["b_only_km2"] + pair["both_km2"]
    where = "Ukraine" if pair["footprint"] == "ukraine" else "Ukraine less the area held before 24 Feb 2022"
    return (
        f"{a} vs {b} on {pair['date']}: agree on {pair['agreement']:.1%} of {union:,.0f} km² occupied per either "
        f"({where}); only {a}: {pair['a_only_km2']:,.0f} km², only {b}: {pair['b_only_km2']:,.0f} km²; "
        f"{pair['deposits_disagree']} deposit records held per one, occupied per the other"
    )


def _scenario_line(item: Mapping[str, Any]) -> str:
    """One scenario in the terminal summary: Ukraine's classes, the change, the deposits moving, the deal's share."""
    ua = item["regions"][0]
    moved = len(item["changes_hands"])
    deal = item["deal"]
    return (
        f"{ua['russian_controlled_share']:.1%} of Ukraine ({ua['russian_controlled_km2']:,.0f} km²; "
        f"+{ua['ceded_km2']:,.0f} ceded, -{ua['returned_km2']:,.0f} returned); "
        f"{ua['demilitarised_km2']:,.0f} km² demilitarised"
        + (f" ({ua['russian_or_demilitarised_share']:.1%} with it)" if ua["demilitarised_km2"] > 0 else "")
        + f"; {moved} deposit records change hands; "
        f"deal minerals: {deal[schema.RUSSIAN_CONTROLLED]} of {deal['records']} records Russian-controlled"
    )


def _print_summary(record: dict[str, Any], out: Path) -> None:
    for line in summary_lines(record, out):
        print(line)


def build_maps(argv: Sequence[str] | None = None) -> int:
    """Run ``scripts/build_maps.py``: parse arguments, build, print a summary."""
    parser = _Parser(
        prog="build_maps.py",
        description="Build the maps, tables and summary in OUT from the data in LAYERS.",
    )
    parser.add_argument("--layers", type=Path, default=Path("layers"), help="input folder (default: layers)")
    parser.add_argument("--out", type=Path, default=Path("maps"), help="output folder (default: maps)")
    parser.add_argument(
        "--snapshot", type=_iso_date, default=None, help="occupation snapshot date YYYY-MM-DD (default: the newest)"
    )
    parser.add_argument(
        "--near-front-km",
        type=_kilometres,
        default=schema.NEAR_FRONT_KM,
        help=f"distance to the line of contact counted as near the front (default: {schema.NEAR_FRONT_KM:g})",
    )
    parser.add_argument(
        "--lang",
        type=_languages,
        default=(i18n.DEFAULT_LANGUAGE,),
        metavar="LANGS",
        help=(
            f"languages of the maps and charts, comma-separated, from {', '.join(i18n.LANGUAGES)} "
            f"(default: {i18n.DEFAULT_LANGUAGE}); English goes in OUT, the others in OUT/<lang>/"
        ),
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="REGION",
        dest="maps",
        help=(
            "also make an HTML map, the print set and a QGIS layout of this oblast, raion, hromada or city: "
            'an id from regions.csv (UA63) or a name in English or Ukrainian ("Kharkiv Oblast", Куп\'янська); '
            "repeatable"
        ),
    )
    parser.add_argument(
        "--slider",
        action="append",
        type=_slider_steps,
        default=[],
        metavar="STEPS",
        help=(
            "the time slider's steps: monthly, weekly or daily (each month-end snapshot, the last snapshot of each "
            "ISO week, or every one), each optionally between :START[:END] (e.g. daily:2022-04-01:2022-05-31), or "
            "last:DAYS; repeatable, the steps add up, and a rule that picks no snapshot stops the build; the map's "
            "own snapshot is always the last (default: monthly and last:90)"
        ),
    )
    parser.add_argument(
        "--scenario-date",
        type=_iso_date,
        default=None,
        metavar="DATE",
        help=(
            "apply the peace-plan scenarios to the line of this date of the history, YYYY-MM-DD "
            "(default: the map's snapshot)"
        ),
    )
    parser.add_argument(
        "--scenario-file",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        dest="scenario_files",
        help=(
            "add a scenario drawn in FILE (GeoJSON or KML, lon/lat): polygons of what Russia would "
            "control, or one per class with a 'class' property (russian_controlled, demilitarised); "
            "named after the file; repeatable"
        ),
    )
    parser.add_argument(
        "--dmz-depth",
        action="append",
        type=_dmz_depth,
        default=[],
        metavar="ID=KM",
        dest="dmz_depths",
        help=(
            "the depth in km of scenario ID's demilitarised zone, where the reports differ "
            "(e.g. us_20_points_2025=10: 5, 10 and 40 km were reported); repeatable"
        ),
    )
    parser.add_argument(
        "--animate",
        action="store_true",
        help=(
            "also write, for each map with a time slider, an MP4 and a GIF of its occupation over time, for the web "
            "(1600 x 1000) and social media (1080 x 1080), in OUT/animations/ (and OUT/<lang>/animations/)"
        ),
    )
    args = parser.parse_args(argv)

    def job() -> int:
        from geo import build  # noqa: PLC0415  (heavy: imported when there is work, so that --help is quick)

        record = build.build(
            args.layers,
            args.out,
            snapshot=args.snapshot,
            near_front_km=args.near_front_km,
            languages=args.lang,
            regions=args.maps,
            scenario_date=args.scenario_date,
            scenario_files=tuple(args.scenario_files),
            dmz_depths=dict(args.dmz_depths),
            animations=args.animate,
            **({"slider": tuple(args.slider)} if args.slider else {}),
        )
        _print_summary(record, args.out)
        return EXIT_OK

    return _run(job)


def _dmz_depth(value: str) -> tuple[str, float]:
    sid, sep, km = value.partition("=")
    if not sep or not sid.strip():
        msg = f"not ID=KM (a scenario id and a depth in km, e.g. us_20_points_2025=10): {value[:60]!r}"
        raise argparse.ArgumentTypeError(msg)
    depth = _number(km, what="a depth in km", zero_allowed=False)
    if depth > schema.MAX_DMZ_DEPTH_KM:
        msg = f"not a depth in km of at most {schema.MAX_DMZ_DEPTH_KM:,.0f} (Ukraine is about 1,300 km across): {km!r}"
        raise argparse.ArgumentTypeError(msg)
    return sid.strip(), depth


def _seconds_total(value: str) -> float:
    number = _number(value, what="a number of seconds", zero_allowed=False)
    if number > 3600:
        msg = f"not a number of seconds (> 0, at most 3600): {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return number


def _retries(value: str) -> int:
    if not re.fullmatch(r"[0-9]{1,2}", value, flags=re.ASCII):
        msg = f"not a number of retries (0–99): {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return int(value)


def refresh_occupation(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    """Run ``scripts/refresh_occupation.py``: fetch new occupation snapshots, check them, store them, report."""
    parser = _Parser(
        prog="refresh_occupation.py",
        description=(
            "Fetch the occupied area from the DeepStateMap API (the newest version by default), check it and "
            "store it as a dated snapshot in LAYERS/occupation; write a change report to OUT. With --since, every "
            "accepted version is stored as it comes: a rerun resumes, a refused version is skipped and listed. "
            "With --source nzz|isw, another source's files (--from-file, or a folder of dated files with --from-dir) "
            "are read, checked and stored in LAYERS/occupation/<source> the same way."
        ),
    )
    parser.add_argument(
        "--source",
        choices=(style.DEFAULT_OCCUPATION_SOURCE, *schema.SECOND_SOURCES),
        default=style.DEFAULT_OCCUPATION_SOURCE,
        help="whose occupied areas: deepstate (the API, default), nzz (NZZ's daily JSON, data from Liveuamap) or "
        "isw (ISW's assessed control of terrain, GeoJSON): the last two from files you downloaded",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        help=f"API base URL (default: ${deepstate.BASE_URL_ENV} or {deepstate.DEFAULT_BASE_URL})",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--version", default=None, help="a DeepState version id (digits), instead of the newest")
    which.add_argument(
        "--since", type=_iso_date, default=None, help="every version published since YYYY-MM-DD (the last of each day)"
    )
    which.add_argument(
        "--from-file", default=None, help="a GeoJSON or KML of occupied areas (path or http(s) URL) instead of the API"
    )
    which.add_argument(
        "--from-dir",
        default=None,
        help="with --source nzz|isw: a folder of that source's dated files (YYYY-MM-DD…), each day stored in turn; "
        "a rerun resumes",
    )
    which.add_argument(
        "--verify",
        action="store_true",
        help="check every stored snapshot against its .source.json and report; change nothing, fetch nothing",
    )
    parser.add_argument("--until", type=_iso_date, default=None, help="with --since: up to YYYY-MM-DD (inclusive)")
    parser.add_argument(
        "--every",
        choices=schema.REFRESH_EVERY,
        default="day",
        help="with --since: keep the last version of each day (default), ISO week or month",
    )
    parser.add_argument("--layers", type=Path, default=Path("layers"), help="input folder (default: layers)")
    parser.add_argument("--out", type=Path, default=Path("maps"), help="where the change report goes (default: maps)")
    parser.add_argument(
        "--force",
        action="store_true",
        help="accept a version that differs from DeepState's own /areas figure or from the previous snapshot",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="replace a stored snapshot of the same day (another source's, or a later version); the old one is kept "
        "in replaced/ beside it (LAYERS/occupation/replaced/, or LAYERS/occupation/<source>/replaced/)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds_total,
        default=http.TIMEOUT_S,
        help=f"seconds one request may take in all (default {http.TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--retries", type=_retries, default=http.RETRIES, help=f"retries per request (default {http.RETRIES})"
    )
    args = parser.parse_args(argv)
    if args.from_file is not None and not args.from_file.strip():
        parser.error("--from-file needs a path or an http(s) URL")
    if args.source != style.DEFAULT_OCCUPATION_SOURCE and not (args.from_file or args.from_dir or args.verify):
        parser.error(f"--source {args.source} reads files: pass --from-file FILE or --from-dir DIR")
    if args.from_dir is not None and args.source == style.DEFAULT_OCCUPATION_SOURCE:
        parser.error(f"--from-dir reads another source's files: pass --source {' or '.join(schema.SECOND_SOURCES)}")
    if args.source != style.DEFAULT_OCCUPATION_SOURCE and (args.version or args.since):
        parser.error(f"--version and --since ask DeepState's API, not {args.source}'s files")
    if (args.until or args.every != "day") and not args.since:
        parser.error("--until and --every go with --since")
    if args.until and args.since and args.until < args.since:
        parser.error(f"--until {args.until} is before --since {args.since}")

    def job() -> int:
        from geo import update  # noqa: PLC0415  (heavy: imported when there is work, so that --help is quick)

        if args.verify:
            lines, healthy = update.verify(args.layers)
            for line in lines:
                print(one_line(line))
            if not healthy:
                print(
                    f"error: {args.layers / schema.OCCUPATION_DIR}: the stored history has problems (listed above); "
                    "run refresh_occupation.py to refetch the damaged snapshots it can, restore the others",
                    file=sys.stderr,
                )
                return EXIT_ERROR
            return EXIT_OK
        base = deepstate.base_url(args.base_url, os.environ if environ is None else environ)
        outcome = update.refresh(
            args.layers,
            args.out,
            base=base,
            version=args.version,
            since=args.since,
            until=args.until,
            every=args.every,
            from_file=args.from_file,
            from_dir=args.from_dir,
            source=args.source,
            force=args.force,
            replace=args.replace,
            timeout=args.timeout,
            retries=args.retries,
            progress=update.print_progress if args.since or args.from_dir else None,
        )
        for line in outcome.messages:
            print(one_line(line))
        if outcome.refused:
            shown = [f"{t.version or t.url} ({t.date})" for t, _ in outcome.refused[:10]]
            more = len(outcome.refused) - len(shown)
            listed = one_line("; ".join(shown) + (f"; and {more} more" if more else ""))
            what = "fetched versions" if args.source == style.DEFAULT_OCCUPATION_SOURCE else "days of files"
            print(
                f"error: {len(outcome.refused)} of {len(outcome.refused) + len(outcome.stored)} {what} "
                f"refused, each skipped (reasons above): {listed}; the other {len(outcome.stored)} are stored",
                file=sys.stderr,
            )
            return EXIT_ERROR
        return EXIT_OK

    return _run(job)


def _port(value: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", value, flags=re.ASCII) or int(value) > 65_535:
        msg = f"not a TCP port (0–65535; 0: any free one): {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return int(value)


def replay_deepstate(argv: Sequence[str] | None = None) -> int:
    """Run ``scripts/replay_deepstate.py``: serve a folder of archived DeepState versions on 127.0.0.1 until Ctrl-C."""
    parser = _Parser(
        prog="replay_deepstate.py",
        description=(
            "Serve a folder of archived DeepState versions (<id>.geojson.gz or <id>.geojson, and DeepState's own "
            "figures in areas.csv) as the DeepStateMap API on 127.0.0.1, so that refresh_occupation.py can run "
            "without the internet: point it there with --base-url or $DEEPSTATE_API_URL. Stops with Ctrl-C."
        ),
    )
    parser.add_argument(
        "folder", type=Path, help="the folder of archived versions (e.g. tests/fixtures/deepstate_archive)"
    )
    parser.add_argument("--port", type=_port, default=8765, help="port on 127.0.0.1 (default 8765; 0: any free one)")
    parser.add_argument(
        "--areas",
        type=Path,
        default=None,
        metavar="CSV",
        help="DeepState's own figures per version (snapshot_id and the *_km2 columns; default: FOLDER/areas.csv)",
    )
    args = parser.parse_args(argv)

    def job() -> int:
        from geo import replay  # noqa: PLC0415

        if not args.folder.is_dir():
            msg = f"{args.folder}: not a folder; give the folder of <id>.geojson.gz files"
            raise ArgumentError(msg)
        routes = replay.build_routes(args.folder, keep=False, areas_file=args.areas)
        ids = replay.archive_ids(args.folder)
        figures = len(set(ids) & set(replay.areas_rows(args.folder, args.areas)))
        first, last = deepstate.version_of(ids[0]), deepstate.version_of(ids[-1])
        with replay.serve(routes, port=args.port) as server:
            print(
                one_line(
                    f"serving {len(ids)} versions ({first.date} → {last.date}; DeepState's own figures for "
                    f"{figures}) of {args.folder} at {server.url}"
                )
            )
            print(
                f"try: {deepstate.BASE_URL_ENV}={server.url} python3 scripts/refresh_occupation.py --since {first.date}"
            )
            print("stop with Ctrl-C", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return EXIT_OK

    return _run(job)
