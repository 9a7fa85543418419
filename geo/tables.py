"""Render the tables (CSV) and the summary (JSON), and write outputs atomically."""

from __future__ import annotations

import errno
import glob
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from geo import __version__, schema
from geo.errors import OutputError
from geo.files import write_all_atomic

_KM2_DECIMALS = 3
_SHARE_DECIMALS = 6
_KM_DECIMALS = 2


#: A text cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """Prefix ``'`` to a text cell a spreadsheet would evaluate (``=…``, ``+…``, ``-…``, ``@…``); numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(frame: pd.DataFrame) -> bytes:
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column].dtype):
            safe[column] = safe[column].map(neutralise_formula)
    return safe.to_csv(index=False, lineterminator="\n").encode("utf-8")


def regions_csv(regions: pd.DataFrame) -> bytes:
    """Render ``regions.csv``: one row per region, areas in km², shares in [0, 1]."""
    table = regions.reset_index().rename(columns={"index": schema.REGION_ID})
    table = table[list(schema.REGION_COLUMNS)].copy()
    for column in [c for c in table.columns if c.endswith("_km2")]:
        table[column] = table[column].round(_KM2_DECIMALS)
    table["occupied_share"] = table["occupied_share"].round(_SHARE_DECIMALS)
    return _csv(table)


def deposits_csv(deposits: pd.DataFrame) -> bytes:
    """Render ``deposits.csv``: one row per deposit record, with its region and control status."""
    table = deposits.reset_index()[list(schema.DEPOSIT_COLUMNS)].copy()
    table["distance_to_front_km"] = table["distance_to_front_km"].round(_KM_DECIMALS)
    return _csv(table)


def control_csv(control: pd.DataFrame) -> bytes:
    """Render ``control.csv``: deposits by control status per region × commodity."""
    table = control.reset_index()[list(schema.CONTROL_COLUMNS)].copy()
    for column in [c for c in table.columns if c.endswith(("_share", "_share_low", "_share_high", "_coverage"))]:
        table[column] = table[column].round(_SHARE_DECIMALS)
    return _csv(table)


def history_bases_csv(bases: pd.DataFrame) -> bytes:
    """Render ``history_bases.csv``: Ukraine's occupied share by reserves (per commodity) and by value, per date."""
    table = bases.copy()
    for column in ("occupied_share", "share_low", "share_high"):
        table[column] = table[column].round(_SHARE_DECIMALS)
    return _csv(table)


def history_regions_csv(series: pd.DataFrame) -> bytes:
    """Render ``history_regions.csv``: occupied area and share per date and region."""
    table = series.copy()
    for column in [c for c in table.columns if c.endswith("_km2")]:
        table[column] = table[column].round(_KM2_DECIMALS)
    table["occupied_share"] = table["occupied_share"].round(_SHARE_DECIMALS)
    return _csv(table)


def history_deposits_csv(history: pd.DataFrame) -> bytes:
    """Render ``history_deposits.csv``: per deposit, occupied since and every occupied period."""
    return _csv(history.reset_index())


def ledger_csv(ledger: pd.DataFrame) -> bytes:
    """Render ``ledger.csv``: deposits by control status per date × region × commodity."""
    table = ledger.copy()
    table["occupied_share"] = table["occupied_share"].round(_SHARE_DECIMALS)
    return _csv(table)


def _plain(value: Any, *, decimals: int = _SHARE_DECIMALS) -> Any:
    """Make a value JSON-safe and stable: numpy scalars to Python, NaN to None, floats rounded."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, decimals)
    return value


def _figure(key: str, value: Any) -> Any:
    return _plain(value, decimals=_KM2_DECIMALS if key.endswith("_km2") else _SHARE_DECIMALS)


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
        "credits": list(credits),
        "repairs": list(repairs),
        "outputs": list(outputs),
        "output_sha256": dict(sorted((digests or {}).items())),
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
    """Write every rendered output into `out`, each atomically, renaming only once all are staged.

    ``summary.json`` is renamed last.  Temporary files that an earlier build
    was killed before renaming (``.<output>.<random>.tmp``) are removed first.

    Returns
    -------
    list
        The paths written, ``summary.json`` last.
    """
    names = sorted(files, key=lambda name: (name == schema.SUMMARY_JSON, name))
    targets = {out / name: files[name] for name in names}
    _check_inside(out, list(targets))
    try:
        if out.is_dir():
            for target in targets:  # a name may have a folder (``uk/overview.html``)
                if target.parent.is_dir():
                    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
                        stale.unlink(missing_ok=True)
        write_all_atomic(targets)
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
}


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
