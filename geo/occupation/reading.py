"""What every adapter that reads a source's files shares: JSON types, names, folders, polygons in lon/lat.

Used by `geo.occupation.nzz` and `geo.occupation.isw` (and `json_type` by `geo.occupation.deepstate`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Final

import numpy as np

from geo.errors import RefreshError
from geo.occupation import unpack
from geo.occupation.http import printable

#: At most this many polygon vertices in one file (the samples' most: 9,340 in an NZZ file, of 2026-08-22; 62,929
#: in an ISW one, of 2023-06-01; their largest polygons have 8,893 and 44,116), as a user's ``--from-file``
#: (`geo.occupation.deepstate.FILE_MAX_VERTICES`): the unions and checks after reading stay bounded.
MAX_VERTICES: Final = 2_000_000
#: How many names an error lists.
NAMES_LISTED: Final = 10
_ISO_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
#: NZZ's feature types (how a file is told to be NZZ's).
NZZ_TYPES: Final = ("nochange", "gains", "losses")


def json_type(value: object) -> str:
    """Name the JSON type of a parsed value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    for kinds, name in (((int, float), "a number"), (str, "a string"), (list, "a list"), (dict, "an object")):
        if isinstance(value, kinds):
            return name
    return type(value).__name__


def base_name(name: str) -> str:
    """Return the last component of a path or URL given as `name` (either slash)."""
    return PureWindowsPath(PurePosixPath(name.split("?", 1)[0]).name).name


def load_json(data: bytes, *, source: str, fix: str) -> Any:
    """Gunzip `data` if it is gzip (`unpack`) and parse it as JSON; anything else is one `RefreshError`."""
    text = unpack(data, source=source)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        msg = f"{source}: not JSON ({printable(exc, limit=80)}); {fix}"
        raise RefreshError(msg) from exc


#: JSON numbers as the parser gives them (``bool`` is not one of them: ``type(True) is bool``).
_NUMBERS: Final = (int, float)


def ring_xy(ring: Any, *, where: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Return a GeoJSON ring's positions as an (n, 2) array of finite numbers (Z dropped): every adapter's parser.

    `where` names the geometry in the message: a ring that is not a list of positions raises `ValueError`, a
    position that is not a pair of JSON numbers `TypeError`, one not finite (or too large for a float) `ValueError`.
    """
    if not isinstance(ring, list) or any(not isinstance(p, list) for p in ring):
        what = f": a ring that is {json_type(ring)}" if not isinstance(ring, list) else ""
        msg = f"{where} ring is not a list of positions{what}"
        raise ValueError(msg)
    if any(len(p) < 2 or type(p[0]) not in _NUMBERS or type(p[1]) not in _NUMBERS for p in ring):
        msg = f"{where} has coordinates that are not pairs of finite numbers"
        raise TypeError(msg)
    try:
        xy = np.asarray([p[:2] for p in ring], dtype=float)
    except OverflowError:
        xy = np.full((1, 2), np.inf)
    if xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
        msg = f"{where} has coordinates that are not pairs of finite numbers"
        raise ValueError(msg)
    return xy


def _rings(polygon: Any, *, where: str) -> list[list[list[float]]]:
    """Return a GeoJSON Polygon's rings as lists of [lon, lat] (`ring_xy`, in lon/lat degrees, ≥ 4 positions each)."""
    if not isinstance(polygon, list):
        msg = f"{where} has a polygon that is {json_type(polygon)}, not a list of rings"
        raise TypeError(msg)
    rings = []
    for ring in polygon:
        xy = ring_xy(ring, where=where)
        if len(xy) and not ((np.abs(xy[:, 0]) <= 180.0).all() and (np.abs(xy[:, 1]) <= 90.0).all()):
            msg = (
                f"{where} has coordinates outside longitude −180…180 / latitude −90…90 (not lon/lat degrees: "
                "reproject it to CRS84)"
            )
            raise ValueError(msg)
        if len(xy) < 4:
            msg = f"{where} has a ring of fewer than 4 positions"
            raise ValueError(msg)
        rings.append(xy.tolist())
    return rings


def polygon_features(geometry: Any, *, where: str, name: str) -> list[dict[str, Any]]:
    """Return one feature named `name` per polygon of a GeoJSON Polygon or MultiPolygon, coordinates checked.

    Raises `ValueError` or `TypeError` saying what is wrong with the geometry (`where` names it); an empty Polygon gives nothing.
    """
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        what = json_type(geometry) if not isinstance(geometry, dict) else f"a {printable(kind, limit=40)}"
        msg = f"{where} is {what}, not a Polygon or MultiPolygon"
        raise ValueError(msg)
    coords = geometry.get("coordinates")
    if not isinstance(coords, list):
        msg = f"{where} has coordinates that are {json_type(coords)}, not a list"
        raise TypeError(msg)
    out = []
    for polygon in [coords] if kind == "Polygon" else coords:
        rings = _rings(polygon, where=where)
        if rings:
            out.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": rings},
                    "properties": {"name": name},
                }
            )
    return out


def vertices(features: Sequence[Mapping[str, Any]]) -> int:
    """Return how many positions the polygon features of `polygon_features` have."""
    return sum(len(ring) for f in features for ring in f["geometry"]["coordinates"])


_ISW_LAYER_RE: Final = re.compile(r"(VIEW_|MDS_)\w*(CoT|Advance|Claimed)\w*", re.ASCII | re.IGNORECASE)
_ISW_NAME_RE: Final = re.compile(r"(RussianAssessed\w*inUkraine|all_layers)", re.ASCII)


def looks_like(payload: Any, name: str) -> str | None:
    """Return which source a parsed file looks like ("nzz", "isw" or "deepstate"), or None if none of them."""
    if isinstance(payload, dict) and isinstance(payload.get("value"), dict):
        return "nzz"
    if isinstance(payload, dict) and isinstance(payload.get("map"), dict):
        return "deepstate"  # /history/last: {"id", "datetime", "map": FeatureCollection}
    features = payload.get("features") if isinstance(payload, dict) else None
    listed_features = features[:50] if isinstance(features, list) else []
    props = [f["properties"] for f in listed_features if isinstance(f, dict) and isinstance(f.get("properties"), dict)]
    found = None
    if any(p.get("type") in NZZ_TYPES and "_dateto" in p for p in props):
        found = "nzz"
    elif any("geoJSON." in str(p.get("name", "")) or "styleUrl" in p for p in props):
        found = "deepstate"
    elif any(
        isinstance(p.get("layer"), str) and _ISW_LAYER_RE.fullmatch(p["layer"]) for p in props
    ) or _ISW_NAME_RE.search(base_name(name)):
        found = "isw"
    return found


def use_instead(payload: Any, name: str, *, expected: str) -> str:
    """Return ``"; this looks like … file; use --source …"`` when the file is another source's, else ``""``."""
    other = looks_like(payload, name)
    if other is None or other == expected:
        return ""
    if other == "deepstate":
        return "; this looks like a DeepStateMap file: read it without --source (DeepState is the default)"
    label = {"nzz": "an NZZ", "isw": "an ISW"}[other]
    return f"; this looks like {label} file: use --source {other}"


def calendar_date(text: str) -> date | None:
    """Return `text` as a date if it is a calendar-valid ``YYYY-MM-DD``, else None."""
    if not _ISO_RE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def listed(names: Sequence[str]) -> str:
    """Return up to `NAMES_LISTED` names, escaped, comma-separated, with how many more there are."""
    shown = ", ".join(printable(n, limit=80) for n in names[:NAMES_LISTED])
    more = len(names) - NAMES_LISTED
    return f"{shown} and {more} more" if more > 0 else shown


def folder_entries(directory: Path, what: str) -> list[Path]:
    """Return the regular files of `directory` not hidden, sorted; subfolders are ignored, symbolic links refused."""
    if not directory.is_dir():
        msg = f"{printable(directory)}: not a folder; pass a folder of {what} files"
        raise RefreshError(msg)
    files, links, odd = [], [], []
    for path in sorted(directory.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_symlink():
            links.append(path.name)
        elif path.is_file():
            files.append(path)
        elif not path.is_dir():  # a FIFO, a socket, a device: never read, never silently skipped
            odd.append(path.name)
    if odd:
        msg = f"{printable(directory)}: {len(odd)} entries are not regular files ({listed(odd)}); move them out"
        raise RefreshError(msg)
    if links:
        msg = (
            f"{printable(directory)}: {len(links)} symbolic links ({listed(links)}); copy the {what} files into the "
            "folder instead"
        )
        raise RefreshError(msg)
    return files
