"""Where the line comes from: one adapter per occupation source behind one small interface.

Each adapter module (`deepstate`, `nzz`, `isw`, `file`) reads what its source
publishes and normalises it to the snapshot classes, as GeoJSON-like features
named with the tokens below (`OCCUPIED_NAME`, `CONTESTED_NAME`); the refresh
(`geo.update`) then runs the checks every source shares (`geo.occupation.checks`:
plausibility, location, drawability) and stores the snapshot with its sidecar.

An adapter module for a source read from files defines::

    NAME: str                      # the source's id: its folder and file names in layers/occupation
    PLAUSIBLE_KM2: tuple[float, float]   # the occupied area it may draw (what it leaves out is not in it)
    def read(files: Sequence[tuple[str, bytes]], *, source: str) -> Reading
    def dated_files(directory: Path) -> list[tuple[str, tuple[Path, ...]]]

Its credit, licence and what it leaves out are one entry of `geo.style.OCCUPATION_SOURCES`.
"""

from __future__ import annotations

import gzip
import importlib
import io
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any, Final

import shapely

from geo import schema
from geo.errors import RefreshError

#: The snapshot classes, as the names an adapter gives its features (DeepState's own tokens: `deepstate.classify`).
OCCUPIED_NAME: Final = "geoJSON.status.occupied"
CONTESTED_NAME: Final = "geoJSON.status.unknown"
#: What a source may leave out of its occupied area, as the comparison's footprint names it: the area DeepState
#: shows occupied before 24 Feb 2022 (Crimea, Sevastopol, the Donbas areas held since 2014).
LEAVES_OUT_PRE2022: Final = "pre2022"
LEAVES_OUT: Final = (LEAVES_OUT_PRE2022,)
#: The most a gzipped file may unpack to.
UNPACKED_MAX_BYTES: Final = 200 * 1024 * 1024


@dataclass(frozen=True)
class Reading:
    """One dated snapshot of a source, normalised: its features in the snapshot classes and what it covers.

    ``features`` are GeoJSON-like: ``{"geometry": {...}, "properties": {"name": OCCUPIED_NAME | CONTESTED_NAME}}``
    in lon/lat (CRS84).  ``window`` is the first and last day the file covers where the source says so (NZZ), else
    None.  ``leaves_out`` names what the source does not draw on that date (`LEAVES_OUT`).
    """

    features: list[dict[str, Any]]
    date: str
    window: tuple[str, str] | None = None
    leaves_out: tuple[str, ...] = ()
    notes: str = ""
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Parsed:
    """The occupied area of one snapshot (of any source) in lon/lat, and what parsing noticed."""

    occupied: shapely.Geometry
    pre2022: shapely.Geometry
    contested: shapely.Geometry = field(default_factory=shapely.Polygon)
    counts: dict[str, int] = field(default_factory=dict)
    repaired: int = 0
    outside_box: int = 0
    #: Area (km²) of editorial areas outside Ukraine, by fill colour: DeepState's ``/areas`` counts them.
    foreign_by_fill: dict[str, float] = field(default_factory=dict)


def iso_utc(moment: datetime) -> str:
    """Format a UTC time as ISO 8601 to the second with a ``Z``."""
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def now_utc() -> str:
    """Return the current UTC time, ISO 8601 to the second."""
    return iso_utc(datetime.now(tz=UTC))


def adapter(name: str) -> ModuleType:
    """Return the adapter module of the source `name` (one of `geo.schema.SECOND_SOURCES`, read from files)."""
    if name not in schema.SECOND_SOURCES:
        msg = f"--source {name[:40]!r}: not a source read from files; choose one of {', '.join(schema.SECOND_SOURCES)}"
        raise RefreshError(msg)
    return importlib.import_module(f"geo.occupation.{name}")


def unpack(data: bytes, *, source: str, limit: int = UNPACKED_MAX_BYTES) -> bytes:
    """Return `data` gunzipped if it is gzip (by its magic bytes), else as it is; refuse more than `limit` unpacked."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            while chunk := fh.read(1024 * 1024):
                out.write(chunk)
                if out.tell() > limit:
                    msg = f"{source}: unpacks to more than {limit // 1024 // 1024} MiB; not a snapshot file"
                    raise RefreshError(msg)
    except (OSError, EOFError, zlib.error) as exc:
        msg = f"{source}: a damaged gzip file ({type(exc).__name__}); download it again"
        raise RefreshError(msg) from exc
    return out.getvalue()
