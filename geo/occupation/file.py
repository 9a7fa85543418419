"""A user's own file of occupied areas (``refresh_occupation.py --from-file``): GeoJSON or KML, path or URL.

Read by content, never through GDAL (`geo.sources.occupied_features`); every polygon counts as occupied.  Its
snapshot joins DeepState's series (it replaces the day's line) and is credited as a user-supplied file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from geo import sources
from geo.errors import RefreshError, SourceError
from geo.occupation.http import printable

NAME: Final = "file"


def read(location: str, *, fetch_bytes: Callable[[str], bytes]) -> list[dict[str, Any]]:
    """Read a user's GeoJSON or KML of occupied areas (a path or an http(s) URL) as features, without GDAL."""
    try:
        if location.startswith(("http://", "https://")):
            data, source = fetch_bytes(location), printable(location)
        else:
            data, source = sources.read_user_file(Path(location)), repr(location)
        return sources.occupied_features(data, source=source)
    except SourceError as exc:
        raise RefreshError(str(exc)) from exc


def shown_name(location: str) -> str:
    """Name the file in a credit or a title: its base name (never the folder it sits in), or the URL's host and path."""
    if location.startswith(("http://", "https://")):
        return printable(location.split("?", 1)[0], limit=120)
    return printable(Path(location).name, limit=120)
