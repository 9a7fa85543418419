"""A local DeepState API on 127.0.0.1 that replays a folder of archived versions (try the refresh offline).

It answers the routes the refresh reads (`geo.deepstate`): ``/api/history/public`` (the listing),
``/api/history/last`` (the newest version, ``{"id": …, "map": …}``), ``/api/history/<id>/geojson`` and
``/api/history/<id>/areas`` (DeepState's own area figures, where the folder's ``areas.csv`` has the version).
A folder holds ``<id>.geojson.gz`` or ``<id>.geojson`` files, ``<id>`` a version id (Unix seconds of
publication), as the project's archive sample does; other files are ignored. With `cycle`, the versions are
repeated with ids one day apart, to make an archive of any length from a sample (benchmarks).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import stat
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

from geo.errors import ArgumentError, GeoError
from geo.occupation import deepstate, http

#: The path the routes hang under, as in the public API (``https://deepstatemap.live/api``).
API_PATH: Final = "/api"
#: A version's file: its id (ASCII digits) and ``.geojson``, gzipped or not.
_VERSION_FILE: Final = re.compile(r"([1-9][0-9]{0,19})\.geojson(\.gz)?", flags=re.ASCII)
AREAS_FILE: Final = "areas.csv"
#: A figure of areas.csv: a plain decimal number (no sign, no underscores, no "nan" or "inf").
_DECIMAL: Final = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?", flags=re.ASCII)
#: The areas.csv columns that become the ``/areas`` entries: (type, fill colour, column).
_AREA_KINDS: Final = (
    ("occupied_after_24_02_2022", "#a52714", "occupied_after_24_02_2022_km2"),
    ("occupied_to_24_02_2022", "#880e4f", "occupied_to_24_02_2022_km2"),
    ("unspecified", "#bcaaa4", "unspecified_km2"),
    ("liberated", "#0f9d58", "liberated_km2"),
)


def version_files(folder: Path) -> dict[str, Path]:
    """Return the folder's version files by id, oldest first (a gzipped file wins over a plain one of the same id).

    Symbolic links are left out, as are files of any other name (an id is digits without a leading zero, of a
    time DeepState can have published: `geo.occupation.deepstate.check_version_id`).
    """
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.name, reverse=True):  # ".gz" sorts after ".geojson"
        match = _VERSION_FILE.fullmatch(path.name)
        if match and _is_version_id(match.group(1)) and not path.is_symlink() and path.is_file():
            found.setdefault(match.group(1), path)
    return dict(sorted(found.items(), key=lambda item: int(item[0])))


def _is_version_id(text: str) -> bool:
    try:
        deepstate.check_version_id(text)
    except GeoError:
        return False
    return True


def read_version(path: Path, *, limit: int = http.MAX_BYTES) -> bytes:
    """Return a version file's GeoJSON text, checked: a regular file, unpacked at most `limit` bytes, JSON.

    No link is followed, even one put in the file's place after the start, and a FIFO does not block.  Raises OSError (a missing, swapped or oversized file), EOFError, zlib.error or ValueError (damaged text).
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            msg = f"{path.name} is not a regular file"
            raise OSError(msg)
        raw = fh.read(limit + 1)
    if path.suffix == ".gz":
        unpack = zlib.decompressobj(wbits=31)  # gzip
        data = unpack.decompress(raw, limit + 1)
        if not unpack.eof and len(data) <= limit:
            msg = f"{path.name}: the gzip stream is cut short"
            raise EOFError(msg)
    else:
        data = raw
    if len(data) > limit:
        msg = f"{path.name} is over {limit:,} bytes (unpacked)"
        raise OSError(msg)
    json.loads(data)  # ValueError where it is not JSON: a 500, never a damaged 200
    return data


def archive_ids(folder: Path) -> list[str]:
    """Return the version ids of an archive folder, oldest first."""
    return list(version_files(folder))


def areas_rows(folder: Path, areas_file: Path | None = None) -> dict[str, dict[str, str]]:
    """Return DeepState's own figures per version id, from `areas_file` or else the folder's ``areas.csv``.

    Without `areas_file`, a folder without ``areas.csv`` has none (an `areas_file` must exist). Every figure is
    checked here, once: a number of km² (finite, not negative) or empty.
    """
    path = areas_file or folder / AREAS_FILE
    if areas_file is not None and not areas_file.is_file():
        msg = f"{areas_file}: no such file; give a CSV of DeepState's figures (snapshot_id and the *_km2 columns)"
        raise ArgumentError(msg)
    if areas_file is None and (path.is_symlink() or not path.is_file()):
        return {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            needed = {"snapshot_id", *(column for _kind, _colour, column in _AREA_KINDS)}
            missing = needed - set(reader.fieldnames or ())
            if missing:
                msg = f"{path}: no column {', '.join(sorted(missing))}; it needs snapshot_id and the *_km2 columns"
                raise ArgumentError(msg)
            rows = {}
            for number, row in enumerate(reader, start=2):
                for _kind, _colour, column in _AREA_KINDS:
                    if not _area(row[column]):
                        msg = (
                            f"{path}: line {number}: {column} is {(row[column] or '(missing)')[:40]!r}, not a number of km² "
                            "(finite, not negative) or empty"
                        )
                        raise ArgumentError(msg)
                if row["snapshot_id"] in rows:
                    msg = f"{path}: line {number}: snapshot_id {row['snapshot_id'][:20]!r} again; keep one row per version"
                    raise ArgumentError(msg)
                rows[row["snapshot_id"]] = row
            return rows
    except UnicodeDecodeError:
        msg = f"{path}: not UTF-8 text; save it as UTF-8 CSV"
        raise ArgumentError(msg) from None
    except csv.Error as exc:
        msg = f"{path}: not a readable CSV ({exc}); save it as UTF-8 CSV"
        raise ArgumentError(msg) from None


def _area(value: str | None) -> bool:
    """Say whether an areas.csv cell is empty or a finite number of km² that is not negative."""
    if value is None or value == "":
        return value == ""
    if not _DECIMAL.fullmatch(value):
        return False
    number = float(value)
    return math.isfinite(number) and number >= 0


def areas_payload(row: dict[str, str]) -> list[dict[str, Any]]:
    """Return one ``areas.csv`` row in the shape of the ``/areas`` route."""
    return [
        {"hash": colour, "area": float(row[column]), "type": kind}
        for kind, colour, column in _AREA_KINDS
        if row[column]
    ]


#: How many requests' User-Agent headers a server keeps (the tests read the first few).
_AGENTS_KEPT: Final = 10_000
#: What a route answers: status, headers, body, and seconds to wait before answering.
Reply = tuple[int, dict[str, str], bytes, float]
Route = Callable[[], Reply]
JSON: Final = {"Content-Type": "application/json"}


def reply(body: bytes, status: int = 200) -> Route:
    """Return a route answering `body` as JSON at once."""
    return lambda: (status, JSON, body, 0.0)


def _body(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def build_routes(
    folder: Path,
    *,
    ids: list[str] | None = None,
    cycle: int = 0,
    areas: bool = True,
    keep: bool = True,
    areas_file: Path | None = None,
) -> dict[str, Route]:
    """Return the routes serving the archive in `folder` (only `ids` of it, if given).

    With `cycle` > 0 the versions are that many, repeating the folder's one day apart. With `keep`, each
    version's text is kept in memory once read (a sample); without, it is read again at each request (a
    folder of any size).
    """
    files = version_files(folder)
    real = ids or list(files)
    if not real:
        msg = f"{folder}: no archived versions (<id>.geojson.gz or <id>.geojson files) to serve"
        raise ArgumentError(msg)
    rows = areas_rows(folder, areas_file) if areas else {}
    if cycle:
        start = int(real[0])
        served = [(str(start + 86_400 * k), real[k % len(real)]) for k in range(cycle)]
    else:
        served = [(vid, vid) for vid in real]
    cache: dict[str, bytes] = {}
    lock = threading.Lock()

    def text(real_id: str) -> bytes:
        with lock:
            kept = cache.get(real_id)
        if kept is not None:
            return kept
        data = read_version(files[real_id])
        if keep:
            with lock:
                cache[real_id] = data
        return data

    def geojson(real_id: str) -> Route:
        return lambda: (200, JSON, text(real_id), 0.0)

    def last() -> Reply:
        vid, real_id = served[-1]
        return 200, JSON, b'{"id":' + vid.encode() + b',"datetime":"","map":' + text(real_id) + b"}", 0.0

    base = API_PATH
    routes: dict[str, Route] = {}
    for vid, real_id in served:
        routes[deepstate.geojson_url(base, vid)] = geojson(real_id)
        if real_id in rows:
            routes[deepstate.areas_url(base, vid)] = reply(_body(areas_payload(rows[real_id])))
    listing = [{"id": int(vid), "status": True, "datetime": "", "description": ""} for vid, _ in served]
    routes[deepstate.listing_url(base)] = reply(_body(listing))
    routes[deepstate.last_url(base)] = last
    return routes


@dataclass
class ArchiveServer:
    """The routes being served (tests may set or override any), and what the server saw."""

    url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    agents: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def json(self, path: str, payload: Any, status: int = 200) -> None:
        """Answer `path` with `payload` as JSON."""
        self.routes[path] = reply(json.dumps(payload).encode(), status)

    def hit_count(self, suffix: str) -> int:
        """Return the requests so far for paths ending with `suffix`."""
        with self.lock:
            return sum(n for path, n in self.hits.items() if path.endswith(suffix))


@contextmanager
def serve(routes: dict[str, Route] | None = None, *, port: int = 0) -> Iterator[ArchiveServer]:
    """Serve `routes` on 127.0.0.1 (`port`; 0: any free one) until the block ends (HTTP/1.0: a request each)."""
    state = ArchiveServer(routes=dict(routes or {}))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with state.lock:
                state.hits[self.path] = state.hits.get(self.path, 0) + 1
                if len(state.agents) < _AGENTS_KEPT:
                    state.agents.append(self.headers.get("User-Agent", ""))
            route = state.routes.get(self.path)
            try:
                status, headers, body, delay = route() if route else (404, {}, b"not found", 0.0)
            except (OSError, EOFError, ValueError, zlib.error) as exc:  # a damaged or vanished file: say so, serve on
                status, headers, body, delay = 500, {}, f"cannot read this version: {exc}"[:300].encode(), 0.0
            time.sleep(delay)
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *_args: Any) -> None:
            return

    try:
        httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError as exc:
        msg = f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); pick another --port, or 0 for any free one"
        raise ArgumentError(msg) from None
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}{API_PATH}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
