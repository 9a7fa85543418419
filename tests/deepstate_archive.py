"""A loopback DeepState API that replays real archived versions (tests and benchmarks).

Serves, on 127.0.0.1, ``/api/history/public`` (the listing), ``/api/history/<id>/geojson`` and
``/api/history/<id>/areas`` from a folder of ``<id>.geojson.gz`` files and an ``areas.csv`` of DeepState's own
figures.  With `cycle`, the versions are repeated with ids shifted by whole years (one day apart each), to make
an archive of any length from the real sample.
"""

from __future__ import annotations

import csv
import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ARCHIVE = Path(__file__).parent / "fixtures" / "deepstate_archive"


def archive_ids(folder: Path = ARCHIVE) -> list[str]:
    """The version ids of the archive folder, oldest first."""
    return sorted((p.name.split(".")[0] for p in folder.glob("*.geojson.gz")), key=int)


def areas_rows(folder: Path = ARCHIVE) -> dict[str, dict[str, str]]:
    """DeepState's own figures per version id."""
    with (folder / "areas.csv").open(encoding="utf-8") as fh:
        return {row["snapshot_id"]: row for row in csv.DictReader(fh)}


def areas_payload(row: dict[str, str]) -> list[dict[str, Any]]:
    """One ``areas.csv`` row in the shape of the ``/areas`` endpoint."""
    kinds = (
        ("occupied_after_24_02_2022", "#a52714", "occupied_after_24_02_2022_km2"),
        ("occupied_to_24_02_2022", "#880e4f", "occupied_to_24_02_2022_km2"),
        ("unspecified", "#bcaaa4", "unspecified_km2"),
        ("liberated", "#0f9d58", "liberated_km2"),
    )
    return [{"hash": colour, "area": float(row[column]), "type": kind} for kind, colour, column in kinds if row[column]]


#: What a route answers: status, headers, body, and seconds to wait before answering.
Reply = tuple[int, dict[str, str], bytes, float]
Route = Callable[[], Reply]
JSON = {"Content-Type": "application/json"}


def reply(body: bytes, status: int = 200) -> Route:
    """A route answering `body` as JSON at once."""
    return lambda: (status, JSON, body, 0.0)


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
        """Requests so far for paths ending with `suffix`."""
        with self.lock:
            return sum(n for path, n in self.hits.items() if path.endswith(suffix))


def _body(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def build_routes(
    folder: Path = ARCHIVE, *, ids: list[str] | None = None, cycle: int = 0, areas: bool = True
) -> dict[str, Route]:
    """Routes serving the archive; `cycle` > 0 makes that many versions by repeating the sample one day apart."""
    real = ids or archive_ids(folder)
    rows = areas_rows(folder)
    served: list[tuple[str, str]] = []  # (served id, real id)
    if cycle:
        start = int(real[0])
        served = [(str(start + 86_400 * k), real[k % len(real)]) for k in range(cycle)]
    else:
        served = [(vid, vid) for vid in real]
    cache: dict[str, bytes] = {}
    routes: dict[str, Route] = {}

    def geojson(real_id: str) -> Route:
        def answer() -> Reply:
            if real_id not in cache:
                cache[real_id] = gzip.decompress((folder / f"{real_id}.geojson.gz").read_bytes())
            return 200, JSON, cache[real_id], 0.0

        return answer

    for vid, real_id in served:
        routes[f"/api/history/{vid}/geojson"] = geojson(real_id)
        if areas and real_id in rows:
            routes[f"/api/history/{vid}/areas"] = reply(_body(areas_payload(rows[real_id])))
    listing = _body([{"id": int(vid), "status": True, "datetime": "", "description": ""} for vid, _ in served])
    routes["/api/history/public"] = reply(listing)
    return routes


@contextmanager
def serve(routes: dict[str, Route] | None = None) -> Iterator[ArchiveServer]:
    """Serve `routes` on 127.0.0.1 until the block ends (HTTP/1.0: one request per connection)."""
    state = ArchiveServer(routes=dict(routes or {}))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with state.lock:
                state.hits[self.path] = state.hits.get(self.path, 0) + 1
                state.agents.append(self.headers.get("User-Agent", ""))
            route = state.routes.get(self.path)
            status, headers, body, delay = route() if route else (404, {}, b"not found", 0.0)
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

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/api"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


if __name__ == "__main__":  # serve the sample by hand: python -m tests.deepstate_archive
    import time

    with serve(build_routes()) as server:
        print(server.url, flush=True)
        time.sleep(3600)
