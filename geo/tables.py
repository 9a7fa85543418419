"""Render the tables (CSV) and the summary (JSON), and write outputs atomically."""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import math
import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from geo import __version__, i18n, schema
from geo.errors import OutputError
from geo.files import Carry, replace_tree

#: A text cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """Prefix ``'`` to a text cell a spreadsheet would evaluate (``=…``, ``+…``, ``-…``, ``@…``); numbers pass.

    Leading blanks do not hide a formula (``" =1+1"``): a spreadsheet that trims cells on import would evaluate it.
    """
    if isinstance(value, str) and (value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS)):
        return "'" + value
    return value


def _csv(frame: pd.DataFrame) -> bytes:
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column].dtype):
            safe[column] = safe[column].map(neutralise_formula)
    return safe.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _table(frame: pd.DataFrame, name: str) -> bytes:
    """Render table `name` (a file of `geo.schema.TABLE_COLUMNS`): its columns in order, each rounded as registered."""
    table = frame[list(schema.TABLE_COLUMNS[name])].copy()
    for column in table.columns:
        decimals = schema.COLUMNS[column].decimals
        if decimals is not None:
            table[column] = table[column].round(decimals)
    return _csv(table)


def regions_csv(regions: pd.DataFrame) -> bytes:
    """Render ``regions.csv``: one row per region, areas in km², shares in [0, 1]."""
    return _table(regions.reset_index().rename(columns={"index": schema.REGION_ID}), schema.REGIONS_CSV)


def deposits_csv(deposits: pd.DataFrame) -> bytes:
    """Render ``deposits.csv``: one row per deposit record, with its region and control status."""
    return _table(deposits.reset_index(), schema.DEPOSITS_CSV)


def control_csv(control: pd.DataFrame) -> bytes:
    """Render ``control.csv``: deposits by control status per region × commodity."""
    return _table(control.reset_index(), schema.CONTROL_CSV)


def history_bases_csv(bases: pd.DataFrame) -> bytes:
    """Render ``history_bases.csv``: Ukraine's occupied share by reserves (per commodity) and by value, per date."""
    return _table(bases, schema.HISTORY_BASES_CSV)


def history_regions_csv(series: pd.DataFrame) -> bytes:
    """Render ``history_regions.csv``: occupied area and share per date and region."""
    return _table(series, schema.HISTORY_REGIONS_CSV)


def history_deposits_csv(history: pd.DataFrame) -> bytes:
    """Render ``history_deposits.csv``: per deposit, occupied since and every occupied period."""
    return _table(history.reset_index(), schema.HISTORY_DEPOSITS_CSV)


def ledger_csv(ledger: pd.DataFrame) -> bytes:
    """Render ``ledger.csv``: deposits by control status per date × region × commodity."""
    return _table(ledger, schema.LEDGER_CSV)


def scenarios_csv(areas: pd.DataFrame) -> bytes:
    """Render ``scenarios.csv``: one row per scenario × region, areas in km² by class, shares in [0, 1]."""
    return _table(areas, schema.SCENARIOS_CSV)


def scenario_deposits_csv(control: pd.DataFrame) -> bytes:
    """Render ``scenario_deposits.csv``: one row per scenario × deposit, its control today and under the scenario."""
    return _table(control, schema.SCENARIO_DEPOSITS_CSV)


def sources_compare_csv(compare: pd.DataFrame) -> bytes:
    """Render ``sources_compare.csv``: per day × region × pair of sources, km² only one shows occupied, and both."""
    return _table(compare, schema.SOURCES_COMPARE_CSV)


def sources_deposits_csv(rows: pd.DataFrame) -> bytes:
    """Render ``sources_deposits.csv``: the located records one source shows occupied and the other held."""
    return _table(rows, schema.SOURCES_DEPOSITS_CSV)


def columns_markdown(name: str, *, words: i18n.Words | None = None) -> str:
    """Render the README's table of the columns of table `name` (a file of `geo.schema.TABLE_COLUMNS`).

    One row per column, in the table's order: its name, what it holds (the
    catalogue's ``column_about.<table>.<column>``, English by default) and
    the decimals the table rounds it to (``—``: written as computed).
    """
    words = words or i18n.words("en")  # the README is in English
    rows = ["| column | meaning | decimals |", "| --- | --- | ---: |"]
    for column in (schema.COLUMNS[c] for c in schema.TABLE_COLUMNS[name]):
        decimals = "—" if column.decimals is None else str(column.decimals)
        rows.append(f"| `{column.name}` | {words(column.about_key(name))} | {decimals} |")
    return "\n".join(rows) + "\n"


def _plain(value: Any, *, decimals: int = schema.SHARE_DECIMALS) -> Any:
    """Make a value JSON-safe and stable: numpy scalars to Python, NaN to None, floats rounded."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, decimals)
    return value


def _figure(key: str, value: Any) -> Any:
    """Make a region figure JSON-safe, rounded as its column is in the tables."""
    decimals = schema.COLUMNS[key].decimals
    return _plain(value) if decimals is None else _plain(value, decimals=decimals)


def summary(
    *,
    regions: pd.DataFrame,
    deposits: pd.DataFrame,
    membership: pd.DataFrame,
    control: pd.DataFrame,
    metals: pd.DataFrame,
    front_km: float,
    snapshot_date: str,
    snapshot_source: Mapping[str, Any],
    revision: str | None,
    credits: Sequence[str],
    repairs: Sequence[str],
    outputs: Sequence[str],
    near_front_km: float,
    digests: Mapping[str, str] | None = None,
    bases: Mapping[str, Any] | None = None,
    history: Mapping[str, Any] | None = None,
    scenarios: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the run summary written to ``summary.json``.

    Returns
    -------
    dict
        Snapshot and source revision, the country and focus regions' figures, the
        metals comparison, deposit counts, credits, repairs, output file names and the
        SHA-256 of every other output (`digests`): ``summary.json`` is written last, so
        a folder whose files do not match its digests holds a mix of two builds.
    """

    def region_record(rid: str) -> dict[str, Any]:
        row = regions.loc[rid]
        record = {"region_id": rid, **{k: _figure(k, row[k]) for k in schema.REGION_COLUMNS if k != "region_id"}}
        members = membership.loc[membership[schema.REGION_ID] == rid, "id"]
        status = deposits.loc[members, "control_status"].value_counts()
        record["deposits"] = {"total": len(members), **{s: int(status.get(s, 0)) for s in schema.CONTROL_STATUSES}}
        key = (rid, schema.METALS_AGGREGATE)
        record["metals_occupied_share"] = _plain(control.loc[key, "occupied_share"]) if key in control.index else None
        return record

    status_counts = deposits["control_status"].value_counts()
    return {
        "generated_by": f"resource-control-mapper {__version__}",
        "snapshot_date": snapshot_date,
        "source_revision": revision,
        "snapshot_source": {k: snapshot_source.get(k) for k in ("url", "licence", "credit", "retrieved", "sha256")},
        "area_crs": schema.AREA_CRS,
        "near_front_km": near_front_km,
        "front_line_km": round(front_km, 1),
        "ukraine": {
            k: _figure(k, regions.loc[schema.COUNTRY_ID, k])
            for k in (
                "area_km2",
                "occupied_km2",
                "occupied_before_2022_km2",
                "occupied_since_2022_km2",
                "occupied_share",
            )
        },
        "focus_regions": [region_record(rid) for rid in schema.FOCUS_REGIONS if rid in regions.index],
        "deposits": {
            "total": len(deposits),
            "location_known": int(deposits["location_known"].sum()),
            "by_control_status": {s: int(status_counts.get(s, 0)) for s in schema.CONTROL_STATUSES},
            "near_front": int(deposits["near_front"].fillna(False).sum()),
            "outside_recorded_oblast": sorted(
                deposits.index[deposits["location_known"] & (deposits["oblast_id"] != deposits["oblast_recorded_id"])]
            ),
        },
        "metals": {
            "commodities_counted_as_metals": list(schema.METALS),
            "comparison": [
                {"figure_id": fid, **{k: _plain(v) for k, v in row.items()}} for fid, row in metals.iterrows()
            ],
        },
        **({"metals_comparison": metals_comparison(metals, bases)} if bases is not None else {}),
        **({"history": dict(history)} if history is not None else {}),
        **({"scenarios": _plain_tree(dict(scenarios))} if scenarios is not None else {}),
        "credits": list(credits),
        "repairs": list(repairs),
        "outputs": list(outputs),
        "output_sha256": dict(sorted((digests or {}).items())),
    }


def history_dates(dates: Sequence[str], *, dated: Collection[str], snapshot_date: str) -> dict[str, Any]:
    """Say which dates the history used (``summary.json``'s ``history``).

    `dates` is every date of the series (`geo.build.series_dates`); a date is
    the build's own snapshot, else a dated snapshot the refresh stored (in
    `dated`; it replaces a month-end file of the same day), else a month-end file.
    The month-end and dated ones are given as their count and their first and
    last date, with the longest gap between two dates of the series.
    """
    ordered = sorted(dates)
    stored = [d for d in ordered if d != snapshot_date and d in dated]
    monthly = [d for d in ordered if d != snapshot_date and d not in dated]
    days = [date.fromisoformat(d) for d in ordered]
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]

    def span(chosen: Sequence[str]) -> dict[str, Any]:
        return {"count": len(chosen), "first": chosen[0] if chosen else None, "last": chosen[-1] if chosen else None}

    return {
        **span(ordered),
        "snapshot": snapshot_date,
        "month_end_files": span(monthly),
        "dated_snapshots": span(stored),
        "longest_gap_days": max(gaps, default=0),
    }


def _plain_tree(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_tree(v) for v in value]
    return _plain(value)


def metals_comparison(metals: pd.DataFrame, bases: Mapping[str, Any]) -> dict[str, Any]:
    """Put every basis of our metals share beside the published figures (``summary.json``'s ``metals_comparison``).

    `bases` is `geo.stats.share_bases` at the snapshot.
    """
    computed = metals.loc["computed"].to_dict()
    reserves = [item for item in bases["reserves"] if item["commodity"] in schema.METALS]
    tree: dict[str, Any] = _plain_tree(
        {
            "count": {
                "share": computed["share"],
                "occupied_records": int(computed["records_occupied"]),
                "known_records": int(computed["records_known"]),
                "basis": computed["basis"],
            },
            "reserves_by_commodity": reserves,
            "reserves_note": (
                "one share per commodity, each in its own measure (tonnes of LCE, TREO and ore are not summed); "
                "coverage = records with a figure / records of that primary commodity"
            ),
            "value": {**bases["value_metals"], "basis": "gross in-situ value at layers/deposits/prices.csv"},
            "value_without_low_confidence_figures": {
                **bases["value_metals_confident"],
                "basis": "the same, leaving out the figures of low confidence (Velykyi Tokmak's is Russian)",
            },
            "value_all_commodities": {**bases["value_all"], "basis": "the same, with coal and graphite"},
            "value_note": (
                "an estimate: each deposit's preferred reserve figure x the price of the nearest traded product, no "
                "costs or recovery; low and high are the least and greatest share over every mix of each commodity's "
                "low and high price; only records with a figure are valued (records_valued of records)"
            ),
            "unpriced_commodities": bases.get("unpriced", []),
            "published": [
                {"figure_id": fid, **{k: v for k, v in row.items() if k not in ("records_occupied", "records_known")}}
                for fid, row in metals.drop(index="computed").iterrows()
            ],
        }
    )
    return tree


def summary_json(record: Mapping[str, Any]) -> bytes:
    """Render the summary as stable, readable JSON."""
    return (json.dumps(record, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")


def digests(files: Mapping[str, bytes]) -> dict[str, str]:
    """SHA-256 of each rendered output, by file name."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}


def write_outputs(out: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Replace the folder `out` as a whole by one holding every rendered output (see `geo.files.replace_tree`).

    Everything is written and fsynced into ``.<out>.staging-<hex>`` beside
    `out`, then swapped with it in one step, so that a build killed at any
    point leaves `out` as it was or completely new; the leftovers of killed
    builds beside it (that name, or ``.<out>.old-<hex>``) are removed first.

    Which folder it replaces (`_survey`): a new or empty one, or one an earlier
    build wrote (``summary.json`` at its top, listing its outputs). Outputs of
    the earlier build (in any language folder) that this one does not write
    are gone afterwards. Every other entry, whoever put it there (the refresh's
    change report, ``README.md``, a user's notes), is carried over as it is. A
    folder holding anything else is refused and left untouched. `out` may be a
    symbolic link: the folder it leads to is replaced, the link stays.

    Returns
    -------
    list
        The paths written, ``summary.json`` last.
    """
    names = sorted(files, key=lambda name: (name == schema.SUMMARY_JSON, name))
    targets = {out / name: files[name] for name in names}
    _check_inside(out, list(targets))
    try:
        replace_tree(out, {name: files[name] for name in names}, lambda root: _survey(out, root, names))
    except OutputError:
        raise
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        msg = f"{out}: cannot write the outputs ({exc.strerror or exc}{where}); {_WRITE_HINTS.get(exc.errno or 0, _WRITE_HINT)}"
        raise OutputError(msg) from exc
    return list(targets)


_WRITE_HINT = "pass --out DIR with a writable folder"
_WRITE_HINTS = {
    errno.ENOSPC: "free some space, or pass --out DIR on another disk",
    errno.EDQUOT: "free some space, or pass --out DIR on another disk",
    errno.EEXIST: "a file stands where the build needs a folder: move it away, or pass another --out DIR",
    errno.ENOTDIR: "a file stands where the build needs a folder: move it away, or pass another --out DIR",
    errno.EACCES: (
        "the build replaces --out as a whole, beside it: make --out and the folder holding it writable, "
        "or pass another --out DIR"
    ),
    errno.EPERM: (
        "the build replaces --out as a whole, beside it: make --out and the folder holding it writable, "
        "or pass another --out DIR"
    ),
    errno.EBUSY: "a mount point cannot be replaced as a whole: pass --out DIR with a folder inside it",
    errno.EXDEV: "a mount point cannot be replaced as a whole: pass --out DIR with a folder inside it",
}

#: Files others write into ``--out`` that the build keeps even in a folder no build wrote yet: the refresh's change
#: report (`geo.update.REPORT_JSON`, `geo.update.REPORT_MD`) and the README of the repository's ``maps/``.
_KNOWN = frozenset({"refresh_report.json", "refresh_report.md", "README.md"})
#: A file `geo.files.stage` wrote (``.<name>.<random>.tmp``), left by an earlier build or refresh killed before its rename.
_STAGED = re.compile(r"\.(?P<name>.+)\.[^./]+\.tmp")
#: The folders of the languages other than the default one (``uk``), where their maps go.
_LANGUAGE_DIRS = tuple(lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT_LANGUAGE)


def _survey(out: Path, root: Path, names: Collection[str]) -> Carry:
    """Refuse a folder no build wrote that holds anything but `_KNOWN` files; else say which entries to carry over.

    An earlier build's folder has a ``summary.json`` listing its outputs. Its
    outputs, this build's (`names`), the same names in another language's
    folder, and the files staged for any of them are the build's own: never
    carried over. Everything else is.
    """
    listed = _listed_outputs(root)
    own = {*names, *(listed or ())}
    folders = {str(parent) for name in own for parent in PurePosixPath(name).parents if str(parent) != "."}
    folders.update(_LANGUAGE_DIRS)  # ``uk/`` is the build's even when no output of it is listed

    def owned(path: str, *, is_dir: bool) -> bool:
        if is_dir:
            return bool(_in_languages(path) & folders)
        staged = _STAGED.fullmatch(PurePosixPath(path).name)
        if staged:
            path = str(PurePosixPath(path).parent / staged["name"])
        return bool(_in_languages(path) & own)

    def carry(path: str, is_dir: bool) -> bool:
        return not owned(path, is_dir=is_dir)

    if listed is None and root.is_dir():
        strangers = _strangers(root, "", owned)
        if strangers:
            why = "its summary.json is not a build's" if (root / schema.SUMMARY_JSON).exists() else "no summary.json"
            more = f" and {len(strangers) - 3} more" if len(strangers) > 3 else ""
            msg = (
                f"{out}: not a folder a build wrote ({why}) and not empty: it holds {', '.join(strangers[:3])}{more}; "
                "a build replaces --out as a whole: pass --out DIR with a new or empty folder, or move those out of it"
            )
            raise OutputError(msg)
    return carry


def _listed_outputs(root: Path) -> list[str] | None:
    """Return the outputs listed in the ``summary.json`` at the top of `root`, or None if no build wrote one there."""
    try:
        record = json.loads((root / schema.SUMMARY_JSON).read_bytes())
    except (OSError, ValueError):
        return None
    outputs = record.get("outputs") if isinstance(record, dict) else None
    if not isinstance(outputs, list) or not all(isinstance(name, str) for name in outputs):
        return None
    if schema.SUMMARY_JSON not in outputs:
        return None
    return outputs


def _in_languages(path: str) -> set[str]:
    """`path` in every language: ``overview.html`` → it and ``uk/overview.html``; ``uk/overview.html`` → the same."""
    head, _, rest = path.partition("/")
    base = rest if rest and head in _LANGUAGE_DIRS else path
    return {base, *(f"{lang}/{base}" for lang in _LANGUAGE_DIRS)}


def _strangers(folder: Path, prefix: str, owned: Callable[..., bool]) -> list[str]:
    """List the entries of a folder no build wrote that are neither the build's (`owned`) nor `_KNOWN`, by path."""
    found: list[str] = []
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        path, is_dir = f"{prefix}{entry.name}", entry.is_dir(follow_symlinks=False)
        if owned(path, is_dir=is_dir):
            if is_dir:
                found += _strangers(Path(entry.path), f"{path}/", owned)
        elif prefix or is_dir or not (entry.name in _KNOWN or _known_staged(entry.name)):
            found.append(path + ("/" if is_dir else ""))
    return found


def _known_staged(name: str) -> bool:
    staged = _STAGED.fullmatch(name)
    return staged is not None and staged["name"] in _KNOWN


def _check_inside(out: Path, targets: Sequence[Path]) -> None:
    """Refuse to write through a link that leads out of `out`, or two outputs to one file (symlinked folders)."""
    try:
        root = out.resolve()
        resolved = {target: target.parent.resolve() / target.name for target in targets}
    except (OSError, RuntimeError) as exc:  # a symlink loop
        msg = f"{out}: cannot resolve the output folders ({exc}); remove the looping link, or pass another --out DIR"
        raise OutputError(msg) from exc
    outside = [str(t) for t, real in resolved.items() if root != real.parent and root not in real.parents]
    if outside:
        msg = (
            f"{out}: {len(outside)} outputs would be written outside it through a symbolic link "
            f"({', '.join(outside[:3])}); remove the link, or pass another --out DIR"
        )
        raise OutputError(msg)
    if len(set(resolved.values())) < len(resolved):
        msg = f"{out}: two outputs would be written to one file through a symbolic link; remove the link"
        raise OutputError(msg)
