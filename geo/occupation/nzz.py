"""NZZ's daily map of the war in Ukraine (data from Liveuamap): one JSON file per day.

Users download their own copies (github.com/conflict-investigations/nzz-maps, ``data/YYYY-MM-DD.json``, scraped
daily from NZZ's ``getAreas`` endpoint); nothing of NZZ's is shipped.  A file is ``{"value": FeatureCollection}``
whose features carry ``type`` (``nochange``, ``gains``, ``losses``), ``date``, ``_datefrom``, ``_dateto`` and
``view``.  The rules below were measured on the 42 sample files of 2022-04-03 … 2026-08-22
(../shared/data/occupation/second_sources/nzz, EPSG:6933):

- occupied = ``nochange`` ∪ ``gains``; ``losses`` (ground Russia lost within the window) are dropped and counted.
  Each polygon becomes one feature named `geo.occupation.OCCUPIED_NAME`.
- Crimea is never drawn; the Donbas areas held before 2022 are drawn until 2024-03-14 (16,652–16,849 km² of
  DeepState's pre-2022 area on every 2022–2023 sample, 278 km² on 2025-08-03 and 2026-08-22).  The comparison
  leaves DeepState's whole pre-2022 area out for NZZ, so ``leaves_out`` is always ``(LEAVES_OUT_PRE2022,)``.
- The window: every sample's features share one ``_datefrom`` … ``_dateto``, of 2 to 9 days (9 on 2022-09-20 …
  09-24); ``date`` equals ``_dateto`` in every sample.  ``Reading.window`` is (earliest ``_datefrom``, latest
  ``_dateto``); a window over `MAX_WINDOW_DAYS` is refused.
- The file's date is the day it was scraped; the features' ``date`` is the day NZZ last updated its map, 0 to 8
  days earlier (8: the file of 2022-09-19 still shows the map of 09-11).  A file named with a date is that date's
  snapshot, and its features' latest ``date`` must lie within `MAX_LAG_DAYS` before it and at most one day after
  it (the scraper's clock and NZZ's may be a time zone apart); a file without a date in its name is the snapshot
  of its features' latest ``date``.

Every field is type-checked; a wrong one is one `RefreshError` line naming the file.  The helpers
`polygon_features` and `looks_like` live in `geo.occupation.reading`, shared with `geo.occupation.isw`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

import shapely

from geo.errors import RefreshError
from geo.occupation import LEAVES_OUT_PRE2022, OCCUPIED_NAME, Reading
from geo.occupation.http import printable
from geo.occupation.reading import (
    MAX_VERTICES,
    NZZ_TYPES,
    base_name,
    calendar_date,
    folder_entries,
    json_type,
    listed,
    load_json,
    polygon_features,
    use_instead,
    vertices,
)

NAME: Final = "nzz"
#: The occupied area NZZ may draw (EPSG:6933).  Measured over the 42 samples: 71,080 km² (2025-08-03, after the
#: pre-2022 Donbas left the map) to 126,493 km² (2022-04-03, before the withdrawal from the north was drawn); no
#: Crimea ever, so below DeepState's (100,000–130,000).  The bounds leave room below the least and for March 2022
#: (not sampled), and refuse the corrupt week of 2023-10-24 … 10-30 (~750,000 km²) and a polygon across the whole
#: country (~603,628 km²).
PLAUSIBLE_KM2: Final = (60_000.0, 170_000.0)
#: The longest window (``_dateto`` − ``_datefrom``, days) a file may cover: the samples' longest is 9.
MAX_WINDOW_DAYS: Final = 14
#: How many days the features' ``date`` may lie before the file's date: the samples' longest is 8.
MAX_LAG_DAYS: Final = 14
#: The feature types, and those that are occupied.
TYPES: Final = NZZ_TYPES
OCCUPIED_TYPES: Final = ("nochange", "gains")

_DATE_RE: Final = re.compile(r"(?<![0-9])([0-9]{4}-[0-9]{2}-[0-9]{2})(?![0-9])", re.ASCII)
_FILE_RE: Final = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.json(\.gz)?", re.ASCII)
_ISO_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_FIX: Final = "download NZZ's YYYY-MM-DD.json again (github.com/conflict-investigations/nzz-maps)"


# --- NZZ ---------------------------------------------------------------------------------------


def _string_properties(feature: Any, number: int, *, source: str) -> dict[str, str]:
    """Return the NZZ properties read (type, date, _datefrom, _dateto, view), each checked to be text."""
    if not isinstance(feature, dict):
        msg = f"{source}: feature {number} is {json_type(feature)}, not a GeoJSON object; {_FIX}"
        raise RefreshError(msg)
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        msg = f"{source}: feature {number}'s properties are {json_type(properties)}, not an object; {_FIX}"
        raise RefreshError(msg)
    out = {}
    for key in ("type", "date", "_datefrom", "_dateto", "view"):
        value = properties.get(key)
        if value is None and key in ("date", "view"):
            continue
        if not isinstance(value, str):
            msg = f"{source}: feature {number}'s {key} is {json_type(value)}, not a string; {_FIX}"
            raise RefreshError(msg)
        out[key] = value
    if out["type"] not in TYPES:
        msg = (
            f"{source}: feature {number} has the unknown type '{printable(out['type'], limit=40)}' (NZZ's are "
            f"{', '.join(TYPES)}); {_FIX}"
        )
        raise RefreshError(msg)
    return out


def _dates(props: Mapping[str, str], number: int, *, source: str) -> tuple[date, date, date]:
    """Return a feature's (_datefrom, _dateto, date), checked: dates, in order, ``date`` inside the window."""
    parsed = {}
    for key in ("_datefrom", "_dateto", "date"):
        text = props.get(key, props["_dateto"])
        day = calendar_date(text)
        if day is None:
            msg = f"{source}: feature {number}'s {key} '{printable(text, limit=40)}' is not a YYYY-MM-DD date; {_FIX}"
            raise RefreshError(msg)
        parsed[key] = day
    start, end, day = parsed["_datefrom"], parsed["_dateto"], parsed["date"]
    if not start <= day <= end:
        msg = f"{source}: feature {number}'s date {day} is outside its window {start} … {end}; {_FIX}"
        raise RefreshError(msg)
    return start, end, day


def _collection(payload: Any, *, name: str, source: str) -> list[Any]:
    """Return the features of NZZ's ``{"value": FeatureCollection}``, or refuse another shape."""
    value = payload.get("value") if isinstance(payload, dict) else None
    features = value.get("features") if isinstance(value, dict) else None
    if not isinstance(features, list):
        hint = use_instead(payload, name, expected=NAME)
        msg = f'{source}: not NZZ\'s shape (expected {{"value": FeatureCollection}}){hint or "; " + _FIX}'
        raise RefreshError(msg)
    return features


def _snapshot_date(name: str, map_date: date, *, source: str) -> date:
    """Return the snapshot's date: the file name's, checked against the features' latest `map_date`, else that."""
    found = _DATE_RE.search(base_name(name))
    if found is None:
        return map_date
    day = calendar_date(found.group(1))
    if day is None:
        msg = f"{source}: the file name's date {found.group(1)} is not a calendar date; name it YYYY-MM-DD.json"
        raise RefreshError(msg)
    if not date.min + timedelta(days=MAX_LAG_DAYS) <= day <= date.max - timedelta(days=1):
        msg = f"{source}: the file name's date {day} is out of range; name it by the day it was saved"
        raise RefreshError(msg)
    if not day - timedelta(days=MAX_LAG_DAYS) <= map_date <= day + timedelta(days=1):
        msg = (
            f"{source}: the features are dated {map_date}, which contradicts the file name's {day} (NZZ's map "
            f"date lies at most {MAX_LAG_DAYS} days before the day a file was saved, and never after it); rename "
            "the file to the day it was saved"
        )
        raise RefreshError(msg)
    return day


def read(
    files: Sequence[tuple[str, bytes]],
    *,
    source: str,
    pre2022: shapely.Geometry | None = None,  # noqa: ARG001
) -> Reading:
    """Read one NZZ file (name, bytes; gzip or not) into a `Reading` of its occupied polygons.

    `pre2022` (the interface every file adapter shares: `geo.occupation.isw.read` measures against it) is not
    needed: NZZ leaves that area out on some dates, so ``leaves_out`` always names it.

    Raises
    ------
    geo.errors.RefreshError
        One line: not JSON, not NZZ's shape, no occupied feature, an unknown ``type``, a window over
        `MAX_WINDOW_DAYS`, dates that contradict the file name, a geometry that is not a (Multi)Polygon, coordinates
        that are not finite lon/lat, properties that are not text.
    """
    source = printable(source)
    if len(files) != 1:
        msg = f"{source}: NZZ is read from exactly one file per date, got {len(files)}; pass one YYYY-MM-DD.json(.gz)"
        raise RefreshError(msg)
    name, data = files[0]
    features = _collection(load_json(data, source=source, fix=_FIX), name=name, source=source)
    counts = dict.fromkeys(TYPES, 0)
    occupied: list[dict[str, Any]] = []
    starts: list[date] = []
    ends: list[date] = []
    total = 0
    for number, feature in enumerate(features, 1):
        props = _string_properties(feature, number, source=source)
        start, end, _ = _dates(props, number, source=source)
        starts.append(start)
        ends.append(end)
        try:
            polygons = polygon_features(
                feature.get("geometry"), where=f"feature {number}'s geometry", name=OCCUPIED_NAME
            )
        except (ValueError, TypeError) as exc:
            msg = f"{source}: {exc}; {_FIX}"
            raise RefreshError(msg) from exc
        counts[props["type"]] += 1
        if props["type"] in OCCUPIED_TYPES:
            occupied.extend(polygons)
        total += vertices(polygons)
        if total > MAX_VERTICES:
            msg = f"{source}: more than {MAX_VERTICES:,} polygon vertices; not an NZZ area file (damaged or hostile)"
            raise RefreshError(msg)
    if not occupied:
        msg = (
            f"{source}: no occupied feature (type nochange or gains with a polygon) among {len(features)} features; "
            f"{_FIX}"
        )
        raise RefreshError(msg)
    first, last = min(starts), max(ends)
    if (last - first).days > MAX_WINDOW_DAYS:
        msg = (
            f"{source}: covers {first} … {last}, {(last - first).days} days, more than the {MAX_WINDOW_DAYS} a "
            f"daily NZZ file covers; {_FIX}"
        )
        raise RefreshError(msg)
    day = _snapshot_date(name, last, source=source)
    notes = (
        f"NZZ {first} … {last}: kept {counts['nochange']} nochange and {counts['gains']} gains features "
        f"({len(occupied)} polygons) as occupied; dropped {counts['losses']} losses features"
    )
    return Reading(
        features=occupied,
        date=day.isoformat(),
        window=(first.isoformat(), last.isoformat()),
        leaves_out=(LEAVES_OUT_PRE2022,),
        notes=notes,
        counts=counts,
    )


def dated_files(directory: Path) -> list[tuple[str, tuple[Path, ...]]]:
    """Return the NZZ files of `directory` by date: ``YYYY-MM-DD.json`` or ``YYYY-MM-DD.json.gz``, oldest first.

    Hidden files and subfolders are ignored; symbolic links are refused (copy the files in), as are any other
    files (up to ten named) and two files of one date.
    """
    by_date: dict[str, list[Path]] = {}
    others: list[str] = []
    for path in folder_entries(directory, "NZZ"):
        found = _FILE_RE.fullmatch(path.name)
        if found and calendar_date(found.group(1)):
            by_date.setdefault(found.group(1), []).append(path)
        else:
            others.append(path.name)
    if others:
        msg = (
            f"{printable(directory)}: {len(others)} files are not NZZ files named YYYY-MM-DD.json or "
            f"YYYY-MM-DD.json.gz (a calendar date): {listed(others)}; move them out of the folder"
        )
        raise RefreshError(msg)
    twice = [p.name for paths in by_date.values() if len(paths) > 1 for p in paths]
    if twice:
        msg = f"{printable(directory)}: two files of one date ({listed(twice)}); keep one of each date"
        raise RefreshError(msg)
    if not by_date:
        msg = f"{printable(directory)}: no NZZ files (YYYY-MM-DD.json or YYYY-MM-DD.json.gz); download them first"
        raise RefreshError(msg)
    return [(day, tuple(paths)) for day, paths in sorted(by_date.items())]
