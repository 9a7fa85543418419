"""The refresh path, over real HTTP against a server on 127.0.0.1, with the shipped layers copied per test.

For every bad response: the exit code, the exact error line, and layers/ byte for byte unchanged.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import cli, pipeline, refresh, sources
from geo.errors import GeoError
from tests.conftest import REPO, SHIPPED_LAYERS

FIXTURES = REPO / "tests" / "fixtures"
VERSION = "1754251105"  # 2025-08-03T19:58:25Z
#: A version id after the shipped 2026-08-22 snapshot, for the default (newest) mode.
NEWER = "1790000000"  # 2026-09-21T14:13:20Z
#: DeepState's own /areas figure for that version: 70,304.16 after + 43,968.93 before 24 Feb 2022.
DEEPSTATE_KM2 = 114_273.09


def real_payload() -> dict[str, Any]:
    with gzip.open(FIXTURES / "deepstate_1754251105_polygons.geojson.gz", "rt", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


Reply = tuple[int, dict[str, str], bytes, float]  # status, headers, body, delay before answering


@dataclass
class FakeDeepState:
    """A threaded HTTP server on 127.0.0.1 whose routes the test sets."""

    routes: dict[str, Callable[[], Reply]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    agents: list[str] = field(default_factory=list)
    url: str = ""

    def json(self, path: str, payload: Any, status: int = 200) -> None:
        body = json.dumps(payload).encode()
        self.routes[path] = lambda: (status, {"Content-Type": "application/json"}, body, 0.0)


@pytest.fixture
def server() -> Iterator[FakeDeepState]:
    fake = FakeDeepState()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.hits[self.path] = fake.hits.get(self.path, 0) + 1
            fake.agents.append(self.headers.get("User-Agent", ""))
            route = fake.routes.get(self.path)
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
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}/api"
    yield fake
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine") / "layers"
    shutil.copytree(SHIPPED_LAYERS, root)
    return root


@pytest.fixture
def layers(pristine: Path, tmp_path: Path) -> Path:
    target = tmp_path / "layers"
    shutil.copytree(pristine, target)
    return target


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refresh, "BACKOFF_S", 0.01)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.refresh_occupation(
        ["--base-url", server.url, "--layers", str(layers), "--out", str(layers.parent / "maps"), *args], environ={}
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- good payloads ----------------------------------------------------------------------


def test_latest_is_fetched_checked_and_written(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json("/api/history/last", {"id": int(NEWER), "datetime": "21.09 o 17:13", "map": real_payload()})
    code, out, err = run(server, layers, capsys)
    assert (code, err) == (0, "")
    written = layers / "occupation" / "deepstate_occupied_2026-09-21.geojson"
    assert out.startswith(f"wrote {written} (114,330 km² occupied;")
    assert "since 2026-08-22)" in out
    sidecar = json.loads(written.with_name("deepstate_occupied_2026-09-21.source.json").read_text(encoding="utf-8"))
    assert sidecar["version_id"] == NEWER
    assert sidecar["published_utc"] == "2026-09-21T14:13:20Z"
    assert sidecar["sha256"] == hashlib.sha256(written.read_bytes()).hexdigest()
    assert sidecar["credit"] == "Source: DeepStateMap.Live"
    assert server.agents[0].startswith("resource-control-mapper/")
    report = json.loads((layers.parent / "maps" / "refresh_report.json").read_text(encoding="utf-8"))["reports"][0]
    assert (report["previous_snapshot"], report["snapshot"]) == ("2026-08-22", "2026-09-21")
    assert (layers.parent / "maps" / "refresh_report.md").read_text(encoding="utf-8").startswith("# Occupation change:")
    # the build picks the new snapshot by itself and computes everything from it
    assert pipeline.build(layers, layers.parent / "built")["snapshot_date"] == "2026-09-21"


def test_an_older_newest_version_is_nothing_to_do(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json("/api/history/last", {"id": int(VERSION), "map": real_payload()})
    before = tree(layers)
    code, out, _ = run(server, layers, capsys)
    assert code == 0
    assert out == (
        f"the newest version on the server ({VERSION}, 2025-08-03) is older than the newest stored snapshot "
        "(2026-08-22); nothing to do\n"
    )
    assert tree(layers) == before


def test_an_older_version_is_compared_with_the_nearest_later_snapshot(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json(f"/api/history/{VERSION}/geojson", real_payload())
    code, out, _ = run(server, layers, capsys, "--version", VERSION)
    assert code == 0
    assert "since 2026-08-22 (a later snapshot)" in out


def test_our_area_matches_deepstates_own_figure_within_one_percent_in_every_naming_era() -> None:
    payload = real_payload()
    eras = {"tokens (2024-03 on)": payload, "bilingual names (2022-05 → 2024-03)": strip_tokens(payload)}
    eras["Ukrainian names, black pre-2022 fills (2022-04)"] = april_2022(payload)
    for era, features in eras.items():
        parsed = refresh.occupied_area(refresh.feature_collection(features))
        km2 = refresh.area_km2(parsed.occupied)
        assert km2 == pytest.approx(DEEPSTATE_KM2, rel=0.01), era
        assert refresh.area_km2(parsed.pre2022) == pytest.approx(43_968.93, rel=0.01), era


def strip_tokens(payload: dict[str, Any]) -> dict[str, Any]:
    """The 2022-05 → 2024-03 naming: ``Ukrainian /// English`` with no geoJSON token."""
    out = copy.deepcopy(payload)
    for feature in out["features"]:
        name = feature["properties"].get("name", "")
        feature["properties"]["name"] = "///".join(part for part in name.split("///") if "geoJSON." not in part)
    return out


def april_2022(payload: dict[str, Any]) -> dict[str, Any]:
    """The April 2022 naming: Ukrainian only, pre-2022 areas filled black and wrapped in GeometryCollections."""
    out = copy.deepcopy(strip_tokens(payload))
    for feature in out["features"]:
        props = feature["properties"]
        ukrainian = props.get("name", "").split("///")[0].strip()
        props["name"] = ukrainian
        if props.get("fill") == "#880e4f":
            props["fill"] = "#000000"
            feature["geometry"] = {"type": "GeometryCollection", "geometries": [feature["geometry"]]}
    return out


def test_classifier_rules() -> None:
    assert (
        refresh.classify({"name": "Окуповано /// Occupied /// geoJSON.status.occupied\n", "fill": "#a52714"})
        == "occupied"
    )
    assert (
        refresh.classify({"name": "Тимчасово окупована територія Карелії.\n///\n/// geoJSON.territories.karelia"})
        == "foreign"
    )
    assert refresh.classify({"name": "Придністров'я", "fill": "#880e4f"}) == "foreign"
    assert refresh.classify({"name": "Окупований\xa0Крим", "fill": "#000000"}) == "crimea"
    assert refresh.classify({"name": "Під питанням", "fill": "#000000"}) == "unknown"
    assert refresh.classify({"name": "Багатокутник 11", "fill": "#a52714"}) == "occupied"
    assert (
        refresh.classify({"name": "Звільнено 25.03 /// Liberated 25.03 /// geoJSON.status.dismissed_at {{at:25.03}}"})
        == "liberated"
    )


def test_same_version_twice_is_already_had(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json("/api/history/last", {"id": int(NEWER), "map": real_payload()})
    assert run(server, layers, capsys)[0] == 0
    before = tree(layers)
    code, out, err = run(server, layers, capsys)
    assert (code, err) == (0, "")
    assert out == f"already have version {NEWER} (deepstate_occupied_2026-09-21.geojson); nothing to do\n"
    assert tree(layers) == before


def test_a_given_version_and_429_retry_after(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = json.dumps(real_payload()).encode()
    answers = iter([(429, {"Retry-After": "1"}, b"slow down", 0.0)])
    server.routes[f"/api/history/{VERSION}/geojson"] = lambda: next(
        answers, (200, {"Content-Type": "application/json"}, body, 0.0)
    )
    start = time.monotonic()
    code, out, _ = run(server, layers, capsys, "--version", VERSION)
    assert code == 0
    assert time.monotonic() - start >= 1.0  # Retry-After honoured
    assert server.hits[f"/api/history/{VERSION}/geojson"] == 2
    assert "deepstate_occupied_2025-08-03.geojson" in out


def test_since_fetches_the_last_version_of_each_day(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json(
        "/api/history/public",
        [
            {"id": 1754000000, "createdAt": "2025-07-31T22:13:20.000Z", "status": True},
            {"id": 1754200000, "createdAt": "2025-08-03T05:46:40.000Z", "status": True},
            {"id": int(VERSION), "createdAt": "2025-08-03T19:58:25.000Z", "status": True},
            {"id": 1754300000, "createdAt": "2025-08-04T09:33:20.000Z", "status": False},
        ],
    )
    server.json(f"/api/history/{VERSION}/geojson", real_payload())
    code, out, err = run(server, layers, capsys, "--since", "2025-08-01")
    assert code == 0
    assert err == ""  # a single version: no progress lines
    assert list(server.hits) == ["/api/history/public", f"/api/history/{VERSION}/geojson"]
    assert "deepstate_occupied_2025-08-03.geojson" in out


def test_self_intersecting_polygon_is_repaired_and_reported(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = real_payload()
    bowtie = [[[37.0, 48.0], [37.01, 48.01], [37.01, 48.0], [37.0, 48.01], [37.0, 48.0]]]
    payload["features"].append(
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": bowtie},
            "properties": {"name": "x /// Occupied /// geoJSON.status.occupied"},
        }
    )
    server.json(f"/api/history/{VERSION}/geojson", payload)
    code, out, _ = run(server, layers, capsys, "--version", VERSION)
    assert code == 0
    assert "repaired 1 invalid polygons" in out


def test_hostile_feature_names_are_not_stored(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = real_payload()
    for feature in payload["features"]:
        feature["properties"]["name"] += "<script>alert(1)</script>"
    server.json(f"/api/history/{VERSION}/geojson", payload)
    assert run(server, layers, capsys, "--version", VERSION)[0] == 0
    written = (layers / "occupation" / "deepstate_occupied_2025-08-03.geojson").read_text(encoding="utf-8")
    assert "<script" not in written


def test_from_file(layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parsed = refresh.occupied_area(refresh.feature_collection(real_payload()))
    path = tmp_path / "occupied.geojson"
    gpd.GeoDataFrame({"name": ["Front area, green"]}, geometry=[parsed.occupied], crs="EPSG:4326").to_file(path)
    code = cli.refresh_occupation(
        ["--from-file", str(path), "--layers", str(layers), "--out", str(tmp_path / "maps")], environ={}
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "km² occupied" in out
    sidecar = next((layers / "occupation").glob("*.source.json"), None)
    assert sidecar is not None


# --- bad payloads: exit 1, one exact line, layers/ unchanged ----------------------------------


def _bad(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    before = tree(layers)
    code, out, err = run(server, layers, capsys, *args)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert tree(layers) == before
    return err


def _route(
    server: FakeDeepState, path: str, status: int, body: bytes, *, kind: str = "application/json", delay: float = 0.0
) -> str:
    server.routes[path] = lambda: (status, {"Content-Type": kind}, body, delay)
    return f"{server.url}{path.removeprefix('/api')}"


def test_malformed_json(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _route(server, "/api/history/last", 200, b'{"id": 1754251105, "map": {"type": ')
    err = _bad(server, layers, capsys)
    assert (
        err == f"error: {url}: the response is not valid JSON (truncated or damaged); keeping the previous snapshot\n"
    )


def test_truncated_body(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = json.dumps({"id": int(VERSION), "map": real_payload()}).encode()
    url = _route(server, "/api/history/last", 200, body[: len(body) // 2])
    err = _bad(server, layers, capsys)
    assert (
        err == f"error: {url}: the response is not valid JSON (truncated or damaged); keeping the previous snapshot\n"
    )


def test_html_error_page_with_status_200(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _route(server, "/api/history/last", 200, b"<html><body>Maintenance</body></html>", kind="text/html")
    err = _bad(server, layers, capsys)
    assert err == f"error: {url}: the response is an HTML page, not JSON; keeping the previous snapshot\n"


def test_server_error_is_retried_then_reported(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _route(server, "/api/history/last", 500, b"oops")
    err = _bad(server, layers, capsys, "--retries", "2")
    assert err == f"error: {url}: HTTP 500 after 3 attempts; try again later\n"
    assert server.hits["/api/history/last"] == 3


def test_stall_past_the_timeout(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _route(server, "/api/history/last", 200, b"{}", delay=2.0)
    err = _bad(server, layers, capsys, "--timeout", "0.3", "--retries", "1")
    assert err == f"error: {url}: timed out after 0.3 s after 2 attempts; try again later\n"


def test_empty_feature_collection(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server.json("/api/history/last", {"id": int(NEWER), "map": {"type": "FeatureCollection", "features": []}})
    err = _bad(server, layers, capsys)
    assert (
        err == f"error: {server.url}/history/last: no occupied polygons inside Ukraine; keeping the previous snapshot\n"
    )


def _transform(payload: dict[str, Any], fn: Callable[[float, float], tuple[float, float]]) -> dict[str, Any]:
    out = copy.deepcopy(payload)

    def walk(coords: Any) -> Any:
        if isinstance(coords[0], int | float):
            return [*fn(coords[0], coords[1]), *coords[2:]]
        return [walk(c) for c in coords]

    for feature in out["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "GeometryCollection":
            for part in geometry["geometries"]:
                part["coordinates"] = walk(part["coordinates"])
        else:
            geometry["coordinates"] = walk(geometry["coordinates"])
    return out


def test_lat_lon_swapped(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server.json(f"/api/history/{VERSION}/geojson", _transform(real_payload(), lambda x, y: (y, x)))
    err = _bad(server, layers, capsys, "--version", VERSION)
    assert err.startswith(f"error: {server.url}/history/{VERSION}/geojson: no occupied polygons inside Ukraine (")
    assert "lat/lon swapped or not degrees?" in err


def test_coordinates_in_metres(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server.json(
        f"/api/history/{VERSION}/geojson", _transform(real_payload(), lambda x, y: (x * 111_320.0, y * 111_320.0))
    )
    err = _bad(server, layers, capsys, "--version", VERSION)
    assert "lat/lon swapped or not degrees?" in err


def test_implausible_area(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trimmed = json.loads((FIXTURES / "deepstate_history_last_trimmed.json").read_text(encoding="utf-8"))
    server.json(f"/api/history/{VERSION}/geojson", trimmed["map"])
    err = _bad(server, layers, capsys, "--version", VERSION, "--force")  # past the change guard: still implausible
    assert err.startswith(f"error: {server.url}/history/{VERSION}/geojson: occupied area ")
    assert err.endswith(" km² is outside the plausible 100,000–130,000 km²; keeping the previous snapshot\n")


def test_oversized_body(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refresh, "MAX_BYTES", 1024)
    url = _route(server, "/api/history/last", 200, b"[" + b"0," * 5000 + b"0]")
    err = _bad(server, layers, capsys)
    assert err == f"error: {url}: response larger than 0.000976562 MiB; refusing it\n"


def _scaled(area_factor: float) -> dict[str, Any]:
    """The real map scaled about a point inside it so that its area grows by `area_factor`."""
    k = area_factor**0.5
    return _transform(real_payload(), lambda x, y: (36.5 + (x - 36.5) * k, 47.5 + (y - 47.5) * k))


def test_a_40_percent_jump_is_refused(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server.json(f"/api/history/{VERSION}/geojson", _scaled(1.4))
    err = _bad(server, layers, capsys, "--version", VERSION)
    # the previous snapshot (2026-08-22) holds 116,999 km² once Tuzla is added; the scaled map about 160,000
    assert err.startswith(f"error: {server.url}/history/{VERSION}/geojson: occupied area changes by +3")
    assert err.endswith("more than 5%; check the source and rerun with --force to accept it\n")


def test_force_accepts_a_large_but_plausible_change(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json(f"/api/history/{VERSION}/geojson", _scaled(1.09))  # about 124,600 km²: +6.5 %
    assert "more than 5%" in _bad(server, layers, capsys, "--version", VERSION)
    code, out, _ = run(server, layers, capsys, "--version", VERSION, "--force")
    assert code == 0
    assert "deepstate_occupied_2025-08-03.geojson" in out


def test_path_traversal_version_id(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _bad(server, layers, capsys, "--version", "../../etc/passwd")
    assert (
        err
        == "error: version id '../../etc/passwd' is not a DeepState version id (Unix seconds since 2022, e.g. 1754251105)\n"
    )
    assert server.hits == {}


def test_non_http_base_url(layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.refresh_occupation(["--base-url", "file:///etc", "--layers", str(layers)], environ={})
    assert code == 1
    assert capsys.readouterr().err == (
        "error: base URL 'file:///etc' is not http(s); pass --base-url https://… or set DEEPSTATE_API_URL\n"
    )


def test_base_url_from_the_environment(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server.json("/api/history/last", {"id": int(NEWER), "map": real_payload()})
    code = cli.refresh_occupation(
        ["--layers", str(layers), "--out", str(layers.parent / "maps")], environ={"DEEPSTATE_API_URL": server.url}
    )
    assert code == 0
    assert server.hits == {"/api/history/last": 1}


# --- interruptions ---------------------------------------------------------------------------


def test_two_refreshes_at_once(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refresh, "LOCK_WAIT_S", 0.3)
    server.json("/api/history/last", {"id": int(VERSION), "map": real_payload()})
    with refresh.refresh_lock(layers / "occupation"):
        err = _bad(server, layers, capsys)
    assert (
        err
        == f"error: {layers / 'occupation'}: another refresh is running (waited 0.3 s for its lock); try again later\n"
    )


def test_killed_between_temp_file_and_rename(server: FakeDeepState, layers: Path) -> None:
    server.json("/api/history/last", {"id": int(NEWER), "map": real_payload()})
    previous = layers / "occupation" / "deepstate_occupied_2026-08-22.geojson"
    kept = {p.name: p.read_bytes() for p in (layers / "occupation").iterdir() if p.is_file()}
    script = (
        "import os, signal, pathlib, sys\n"
        "pathlib.Path.replace = lambda self, target: os.kill(os.getpid(), signal.SIGKILL)\n"
        "from geo.cli import refresh_occupation\n"
        "sys.exit(refresh_occupation(sys.argv[1:], environ={}))\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "--base-url",
            server.url,
            "--layers",
            str(layers),
            "--out",
            str(layers.parent / "maps"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert result.returncode == -signal.SIGKILL
    now = {
        p.name: p.read_bytes() for p in (layers / "occupation").iterdir() if p.is_file() and not p.name.startswith(".")
    }
    assert now == kept  # the previous snapshot and its sidecar are intact; nothing half-written is visible
    assert sources.find_snapshot(layers / "occupation")[1] == previous
    # the next refresh clears the leftovers and succeeds
    assert (
        cli.refresh_occupation(
            ["--base-url", server.url, "--layers", str(layers), "--out", str(layers.parent / "maps")], environ={}
        )
        == 0
    )
    assert not [p for p in (layers / "occupation").iterdir() if p.name.endswith(".tmp")]


def test_from_file_reads_kml(layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parsed = refresh.occupied_area(refresh.feature_collection(real_payload()))
    path = tmp_path / "occupied.kml"
    gpd.GeoDataFrame({"name": ["occupied"]}, geometry=[parsed.occupied], crs="EPSG:4326").to_file(path, driver="KML")
    code = cli.refresh_occupation(
        ["--from-file", str(path), "--layers", str(layers), "--out", str(tmp_path / "maps")], environ={}
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "114,330 km² occupied" in out


geojson_value = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30,
)
geometry = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Polygon", "MultiPolygon", "GeometryCollection", "Point", "LineString", "Bogus"]),
        "coordinates": geojson_value,
    }
)
feature = st.fixed_dictionaries(
    {
        "type": st.just("Feature"),
        "geometry": geometry | geojson_value,
        "properties": st.dictionaries(st.text(max_size=8), geojson_value, max_size=3),
    }
)


@given(
    payload=st.fixed_dictionaries({"type": st.just("FeatureCollection"), "features": st.lists(feature, max_size=5)})
    | geojson_value
)
@settings(max_examples=300, deadline=None)
def test_any_payload_shape_parses_or_fails_with_a_refresh_error(payload: Any) -> None:
    try:
        parsed = refresh.occupied_area(refresh.feature_collection(payload))
        refresh.check_snapshot(parsed, source="fuzz", previous=None, force=False)
    except GeoError:
        pass


def test_since_writes_nothing_if_a_later_version_fails(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json(
        "/api/history/public",
        [{"id": int(VERSION), "status": True}, {"id": 1754400000, "status": True}, {"id": "junk", "status": True}],
    )
    server.json(f"/api/history/{VERSION}/geojson", real_payload())  # the second version's geojson is a 404
    before = tree(layers)
    code, out, err = run(server, layers, capsys, "--since", "2025-08-01")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "[1/2] 2025-08-03 version 1754251105",
        "[2/2] 2025-08-05 version 1754400000",
        f"error: {server.url}/history/1754400000/geojson: HTTP 404 Not Found",
    ]
    assert tree(layers) == before


def test_report_folder_that_cannot_be_written_changes_nothing(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json("/api/history/last", {"id": int(NEWER), "map": real_payload()})
    blocker = layers.parent / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    before = tree(layers)
    code = cli.refresh_occupation(
        ["--base-url", server.url, "--layers", str(layers), "--out", str(blocker)], environ={}
    )
    assert code == 1
    assert capsys.readouterr().err.startswith("error: cannot write the snapshot or the report (")
    assert tree(layers) == before


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ({"id": 999999999999, "map": {}}, "version id '999999999999' is not a DeepState version id"),
        ({"map": {}}, "version id (missing) is not a DeepState version id"),
    ],
)
def test_odd_version_ids(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str], payload: Any, complaint: str
) -> None:
    server.json("/api/history/last", payload)
    assert complaint in _bad(server, layers, capsys)


def test_from_file_errors(layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "table.csv"
    table.write_text("a,b\n1,2\n", encoding="utf-8")
    for location, complaint in ((str(tmp_path / "missing.geojson"), "no such file"), (str(table), "no geometries")):
        before = tree(layers)
        code = cli.refresh_occupation(["--from-file", location, "--layers", str(layers)], environ={})
        err = capsys.readouterr().err
        assert code == 1, location
        assert err.startswith(f"error: {location}: {complaint}"), err
        assert tree(layers) == before
