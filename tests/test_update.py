"""The refresh workflow (geo.update) and the DeepState client, over real HTTP against servers on 127.0.0.1.

For every bad response: the exit code, the exact error line, and layers/ byte for byte unchanged.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import gzip
import hashlib
import json
import math
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
import shapely.geometry
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import build, cli, schema, sources, store, update
from geo.errors import GeoError
from geo.occupation import checks, deepstate, http
from tests import deepstate_archive
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


FakeDeepState = deepstate_archive.ArchiveServer


@pytest.fixture
def server() -> Iterator[FakeDeepState]:
    with deepstate_archive.serve() as fake:
        yield fake


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
    monkeypatch.setattr(http, "BACKOFF_S", 0.01)


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
    assert build.build(layers, layers.parent / "built")["snapshot_date"] == "2026-09-21"


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


def test_an_older_version_is_never_compared_with_a_later_snapshot(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json(f"/api/history/{VERSION}/geojson", real_payload())
    code, out, _ = run(server, layers, capsys, "--version", VERSION)
    assert code == 0
    # not with the shipped 2026-08-22 snapshot (later), but with the nearest earlier: the 2025-07 month-end file
    assert "since 2025-07-31)" in out
    sidecar = json.loads((layers / "occupation" / "deepstate_occupied_2025-08-03.source.json").read_text("utf-8"))
    assert sidecar["check"].startswith(
        "no /areas figure from DeepState; +0.0% from 2025-07-31, within the 2.6% allowed; "
    )
    assert sidecar["check"].endswith("% of the area overlaps 2025-07-31")
    # with no earlier snapshot at all (month-end files moved away), nothing is compared
    shutil.rmtree(layers / "occupation" / "monthly")
    (layers / "occupation" / "deepstate_occupied_2025-08-03.geojson").unlink()
    (layers / "occupation" / "deepstate_occupied_2025-08-03.source.json").unlink()
    code, out, _ = run(server, layers, capsys, "--version", VERSION)
    assert code == 0
    assert "since nothing)" in out
    sidecar = json.loads((layers / "occupation" / "deepstate_occupied_2025-08-03.source.json").read_text("utf-8"))
    assert sidecar["check"] == "no /areas figure from DeepState; no earlier snapshot to compare with"


def test_our_area_matches_deepstates_own_figure_within_one_percent_in_every_naming_era() -> None:
    payload = real_payload()
    eras = {"tokens (2024-03 on)": payload, "bilingual names (2022-05 → 2024-03)": strip_tokens(payload)}
    eras["Ukrainian names, black pre-2022 fills (2022-04)"] = april_2022(payload)
    for era, features in eras.items():
        parsed = deepstate.parse_features(deepstate.feature_collection(features))
        km2 = checks.area_km2(parsed.occupied)
        assert km2 == pytest.approx(DEEPSTATE_KM2, rel=0.01), era
        assert checks.area_km2(parsed.pre2022) == pytest.approx(43_968.93, rel=0.01), era


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
        deepstate.classify({"name": "Окуповано /// Occupied /// geoJSON.status.occupied\n", "fill": "#a52714"})
        == "occupied"
    )
    assert (
        deepstate.classify({"name": "Тимчасово окупована територія Карелії.\n///\n/// geoJSON.territories.karelia"})
        == "foreign"
    )
    assert deepstate.classify({"name": "Придністров'я", "fill": "#880e4f"}) == "foreign"
    assert deepstate.classify({"name": "Окупований\xa0Крим", "fill": "#000000"}) == "crimea"
    assert deepstate.classify({"name": "Під питанням", "fill": "#000000"}) == "unknown"
    assert deepstate.classify({"name": "Багатокутник 11", "fill": "#a52714"}) == "occupied"
    assert (
        deepstate.classify({"name": "Звільнено 25.03 /// Liberated 25.03 /// geoJSON.status.dismissed_at {{at:25.03}}"})
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
    assert err.startswith("[1/1] 2025-08-03 version 1754251105: stored, ")  # progress on stderr
    assert list(server.hits) == [
        "/api/history/public",
        f"/api/history/{VERSION}/geojson",
        f"/api/history/{VERSION}/areas",  # asked for, not served: the jump guard applies instead
    ]
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
    parsed = deepstate.parse_features(deepstate.feature_collection(real_payload()))
    path = tmp_path / "occupied.geojson"
    gpd.GeoDataFrame({"name": ["Front area, green"]}, geometry=[parsed.occupied], crs="EPSG:4326").to_file(path)
    code = cli.refresh_occupation(
        ["--from-file", str(path), "--layers", str(layers), "--out", str(tmp_path / "maps")], environ={}
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "km² occupied" in out
    newest = max(
        (layers / "occupation").glob(f"{schema.SNAPSHOT_PREFIX}*.source.json"), key=lambda p: p.stat().st_mtime
    )
    record = json.loads(newest.read_text(encoding="utf-8"))
    snapshot = json.loads(newest.with_name(record["file"]).read_text(encoding="utf-8"))
    # a user's file is not DeepState's: no DeepState title, credit or licence on it
    for key in ("title", "source", "url", "licence", "credit", "version_id"):
        assert "DeepState" not in json.dumps(record[key]), key
    # credited as a user's file by its name: never the folder it sits in (which would reach every map's credits)
    assert record["credit"] == "Source: a user-supplied file (occupied.geojson)"
    assert record["occupation_source"] == "file"
    for key in ("title", "source", "url", "credit"):
        assert str(tmp_path) not in json.dumps(record[key]), key
    assert {f["properties"]["source"] for f in snapshot["features"]} == {"a user-supplied file (occupied.geojson)"}


# --- bad payloads: exit 1, one exact line, layers/ unchanged ----------------------------------


def _bad(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    before = tree(layers)
    code, out, err = run(server, layers, capsys, *args)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert tree(layers) == before
    return err


def _both_scripts_say(
    server: FakeDeepState, layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], expected: str
) -> None:
    """The refresh (newest version mode) and the build each refuse with exactly `expected`."""
    server.json("/api/history/last", {"id": int(NEWER), "map": real_payload()})
    assert _bad(server, layers, capsys) == expected
    assert cli.build_maps(["--layers", str(layers), "--out", str(tmp_path / "maps")]) == 1
    assert capsys.readouterr().err == expected


def _route(
    server: FakeDeepState, path: str, status: int, body: bytes, *, kind: str = "application/json", delay: float = 0.0
) -> str:
    server.routes[path] = lambda: (status, {"Content-Type": kind}, body, delay)
    return f"{server.url}{path.removeprefix('/api')}"


def test_malformed_json(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _route(server, "/api/history/last", 200, b'{"id": 1754251105, "map": {"type": ')
    err = _bad(server, layers, capsys)
    assert err == f"error: {url}: the response is not valid JSON (truncated or damaged)\n"


def test_truncated_body(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = json.dumps({"id": int(VERSION), "map": real_payload()}).encode()
    url = _route(server, "/api/history/last", 200, body[: len(body) // 2])
    err = _bad(server, layers, capsys)
    assert err == f"error: {url}: the response is not valid JSON (truncated or damaged)\n"


def test_html_error_page_with_status_200(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _route(server, "/api/history/last", 200, b"<html><body>Maintenance</body></html>", kind="text/html")
    err = _bad(server, layers, capsys)
    assert err == f"error: {url}: the response is an HTML page, not JSON\n"


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
    assert err == f"error: {server.url}/history/last: no occupied polygons inside Ukraine\n"


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
    assert err.endswith(" km² is outside the plausible 100,000–130,000 km²\n")


def test_oversized_body(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "MAX_BYTES", 1024)
    url = _route(server, "/api/history/last", 200, b"[" + b"0," * 5000 + b"0]")
    err = _bad(server, layers, capsys)
    assert err == f"error: {url}: response larger than 0.000976562 MiB; refusing it\n"


def _scaled(area_factor: float) -> dict[str, Any]:
    """The real map scaled about a point inside it so that its area grows by `area_factor`."""
    k = area_factor**0.5
    return _transform(real_payload(), lambda x, y: (36.5 + (x - 36.5) * k, 47.5 + (y - 47.5) * k))


def test_a_map_shifted_west_keeps_its_area_but_not_its_place(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for shift, low, high in ((3.0, 0, 20), (0.5, 60, 84)):

        def west(x: float, y: float, d: float = shift) -> tuple[float, float]:
            return x - d, y

        server.json("/api/history/last", {"id": int(NEWER), "map": _transform(real_payload(), west)})
        err = _bad(server, layers, capsys)
        found = re.match(
            rf"error: {re.escape(server.url)}/history/last: only ([0-9]+)% of its occupied area overlaps the snapshot of 2026-08-22 \(",
            err,
        )
        assert found, err
        assert low <= int(found[1]) <= high, shift
        assert err.endswith(
            "less than 85%: shifted or not the same map? Check the source and rerun with --force to accept it\n"
        )


#: Three days after the shipped 2026-08-22 snapshot: the jump guard allows 2 % + 3 × 0.2 % = 2.6 %.
THREE_DAYS_LATER = "1787659200"  # 2026-08-25T12:00:00Z


def test_a_40_percent_jump_is_refused(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server.json("/api/history/last", {"id": int(NEWER), "map": _scaled(1.4)})
    err = _bad(server, layers, capsys)
    # the previous snapshot (2026-08-22) holds 116,996 km²; the scaled map 160,201: no plausible map is 40 % off
    assert err == (
        f"error: {server.url}/history/last: occupied area 160,201 km² is outside the plausible 100,000–130,000 km²\n"
    )
    err = _bad(server, layers, capsys, "--force")
    assert "outside the plausible" in err  # --force does not lift the plausibility check


def test_the_jump_allowance_grows_with_the_days_and_force_overrides_it(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json("/api/history/last", {"id": int(THREE_DAYS_LATER), "map": _scaled(1.06)})  # 121,190 km²: +3.6 %
    assert "more than the 2.6% allowed" in _bad(server, layers, capsys)
    code, out, _ = run(server, layers, capsys, "--force")
    assert code == 0
    assert "deepstate_occupied_2026-08-25.geojson" in out


def test_deepstates_own_figure_replaces_the_jump_guard(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # DeepState's own /areas for this version: 70,304.16 after and 43,968.93 before 24 Feb 2022
    areas = [
        {"hash": "#a52714", "area": 70304.16, "percent": "11.6", "type": "occupied_after_24_02_2022"},
        {"hash": "#880e4f", "area": 43968.93, "percent": "7.3", "type": "occupied_to_24_02_2022"},
    ]
    server.json(f"/api/history/{THREE_DAYS_LATER}/areas", areas)
    server.json("/api/history/last", {"id": int(THREE_DAYS_LATER), "map": _scaled(1.06)})
    err = _bad(server, layers, capsys)
    assert "differs by +6." in err
    assert (
        "from DeepState's own figure for this version (70,304 km², outside-Ukraine areas subtracted), more than 1%"
        in err
    )
    server.json("/api/history/last", {"id": int(THREE_DAYS_LATER), "map": real_payload()})  # -2.3 % in 3 days
    code, out, _ = run(server, layers, capsys)
    assert code == 0, out
    sidecar = json.loads((layers / "occupation" / "deepstate_occupied_2026-08-25.source.json").read_text("utf-8"))
    assert sidecar["check"].startswith("within 0.0")
    assert "% of DeepState's own /areas figure (after and before 24 Feb 2022); " in sidecar["check"]
    assert sidecar["check"].endswith("% of the area overlaps 2026-08-22")


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
        "error: base URL 'file:///etc' is not an http(s) URL; pass --base-url https://… or set DEEPSTATE_API_URL\n"
    )


def test_base_url_from_the_environment(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server.json("/api/history/last", {"id": int(NEWER), "map": real_payload()})
    code = cli.refresh_occupation(
        ["--layers", str(layers), "--out", str(layers.parent / "maps")], environ={"DEEPSTATE_API_URL": server.url}
    )
    assert code == 0
    assert server.hits == {"/api/history/last": 1, f"/api/history/{NEWER}/areas": 1}


# --- interruptions ---------------------------------------------------------------------------


def test_two_refreshes_at_once(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(update, "LOCK_WAIT_S", 0.3)
    server.json("/api/history/last", {"id": int(VERSION), "map": real_payload()})
    with update.refresh_lock(layers / "occupation"):
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
    parsed = deepstate.parse_features(deepstate.feature_collection(real_payload()))
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
        parsed = deepstate.parse_features(deepstate.feature_collection(payload))
        checks.check_parsed(parsed, source="fuzz", plausible_km2=deepstate.PLAUSIBLE_KM2)
    except GeoError:
        pass


def test_since_stores_each_version_and_lists_the_refused_ones(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json(
        "/api/history/public",
        [{"id": int(VERSION), "status": True}, {"id": 1754400000, "status": True}, {"id": "junk", "status": True}],
    )
    server.json(f"/api/history/{VERSION}/geojson", real_payload())  # the second version's geojson is a 404
    before = tree(layers)
    code, out, err = run(server, layers, capsys, "--since", "2025-08-01")
    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith("[1/2] 2025-08-03 version 1754251105: stored, ")
    assert lines[1].startswith(
        f"[2/2] 2025-08-05 version 1754400000: refused: {server.url}/history/1754400000/geojson: HTTP 404 Not Found, "
    )
    assert lines[2] == (
        "error: 1 of 2 fetched versions refused, each skipped (reasons above): 1754400000 (2025-08-05); "
        "the other 1 are stored"
    )
    after = tree(layers)
    added = sorted(set(after) - set(before))
    assert added == [
        "occupation/deepstate_occupied_2025-08-03.geojson",
        "occupation/deepstate_occupied_2025-08-03.source.json",
    ]
    assert {k: v for k, v in after.items() if k in before} == before  # nothing stored before was changed
    assert out.splitlines()[-1] == (
        f"refused 1754400000 (2025-08-05): {server.url}/history/1754400000/geojson: HTTP 404 Not Found"
    )


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
    assert capsys.readouterr().err == (
        f"error: {blocker}: cannot write the change report there (File exists); pass --out DIR; nothing was changed\n"
    )
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
    vrt = tmp_path / "occupied.geojson"  # named GeoJSON, is an OGR VRT that would make GDAL read another file
    vrt.write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource></OGRVRTLayer>'
        "</OGRVRTDataSource>",
        encoding="utf-8",
    )
    infinite = tmp_path / "infinite.geojson"
    infinite.write_text(
        '{"type": "Polygon", "coordinates": [[[36, 47], [Infinity, 47], [37, 48], [36, 47]]]}', encoding="utf-8"
    )
    entities = tmp_path / "laughs.kml"
    entities.write_text('<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml>&a;</kml>', encoding="utf-8")
    fifo = tmp_path / "fifo.geojson"
    os.mkfifo(fifo)
    newline = tmp_path / "two\nlines.geojson"
    cases = [
        (tmp_path / "missing.geojson", "no such file"),
        (newline, "no such file"),
        (tmp_path, "not a regular file"),
        (Path("/dev/zero"), "not a regular file"),
        (fifo, "not a regular file"),
        (Path("/vsicurl/http://127.0.0.1:9/x.geojson"), "no such file"),
        (table, "neither GeoJSON nor KML (by its content)"),
        (vrt, "neither GeoJSON nor KML (by its content)"),
        (infinite, "a feature's geometry is not valid GeoJSON (a Polygon has coordinates that are not pairs of finite"),
        (entities, "a KML with a DOCTYPE or ENTITY declaration is refused"),
    ]
    for location, complaint in cases:
        before = tree(layers)
        code = cli.refresh_occupation(["--from-file", str(location), "--layers", str(layers)], environ={})
        err = capsys.readouterr().err
        assert code == 1, location
        assert err.count("\n") == 1, err
        assert err.startswith(f"error: {str(location)!r}: {complaint}"), err
        assert tree(layers) == before


def test_from_file_reads_every_folder_of_a_kml_and_skips_empty_polygons(
    layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parsed = deepstate.parse_features(deepstate.feature_collection(real_payload()))
    west, east = (shapely.clip_by_rect(parsed.occupied, *box) for box in ((20, 40, 35.5, 53), (35.5, 40, 45, 53)))

    def placemarks(geom: shapely.Geometry) -> str:
        out = []
        for poly in shapely.get_parts(geom):
            rings = [poly.exterior, *poly.interiors]
            text = [" ".join(f"{x},{y},0" for x, y in ring.coords) for ring in rings]
            inner = "".join(
                f"<innerBoundaryIs><LinearRing><coordinates>{t}</coordinates></LinearRing></innerBoundaryIs>"
                for t in text[1:]
            )
            out.append(
                f"<Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>{text[0]}</coordinates></LinearRing>"
                f"</outerBoundaryIs>{inner}</Polygon></Placemark>"
            )
        return "".join(out)

    kml = tmp_path / "two_folders.kml"
    kml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<Folder><name>West</name>{placemarks(west)}</Folder><Folder><name>East</name>{placemarks(east)}</Folder>"
        "<NetworkLink><Link><href>http://127.0.0.1:9/never-fetched.kml</href></Link></NetworkLink>"
        "</Document></kml>",
        encoding="utf-8",
    )
    code = cli.refresh_occupation(
        ["--from-file", str(kml), "--layers", str(layers), "--out", str(tmp_path / "m")], environ={}
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "114,330 km² occupied" in out  # both folders: the whole area, not the first folder's part
    shutil.rmtree(layers / "occupation")
    shutil.copytree(SHIPPED_LAYERS / "occupation", layers / "occupation")
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(parsed.occupied))},
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": []}},
        ],
    }
    path = tmp_path / "with_empty.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    code = cli.refresh_occupation(
        ["--from-file", str(path), "--layers", str(layers), "--out", str(tmp_path / "m")], environ={}
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "114,330 km² occupied" in out


def test_a_stored_snapshot_is_never_replaced_by_an_earlier_version_or_another_source(
    server: FakeDeepState, layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later, earlier = "1754251105", "1754200000"  # both 2025-08-03
    for version in (later, earlier):
        server.json(f"/api/history/{version}/geojson", real_payload())
    assert run(server, layers, capsys, "--version", later)[0] == 0
    stored = tree(layers)
    code, out, _ = run(server, layers, capsys, "--version", earlier)
    assert code == 0
    assert out == (
        f"a snapshot for 2025-08-03 from version {later} is stored (deepstate_occupied_2025-08-03.geojson); kept, "
        f"not replaced with version {earlier} (rerun with --replace to replace it and keep it in replaced/)\n"
    )
    assert server.hits.get(f"/api/history/{earlier}/geojson") is None  # not even fetched
    # the shipped 2026-08-22 snapshot (another source) is kept the same way by the API...
    server.json("/api/history/last", {"id": 1787400000, "map": real_payload()})  # 2026-08-22T12:00:00Z
    code, out, _ = run(server, layers, capsys)
    assert code == 0
    assert out.startswith("a snapshot for 2026-08-22 from another source is stored")
    assert tree(layers) == stored
    # ... and a user's file for a day already stored is refused
    path = tmp_path / "occupied.geojson"
    parsed = deepstate.parse_features(deepstate.feature_collection(real_payload()))
    gpd.GeoDataFrame(geometry=[parsed.occupied], crs="EPSG:4326").to_file(path)
    args = ["--from-file", str(path), "--layers", str(layers), "--out", str(tmp_path / "maps")]
    assert cli.refresh_occupation(args, environ={}) == 0
    capsys.readouterr()
    stored = tree(layers)
    assert cli.refresh_occupation(args, environ={}) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "is already stored; not replacing it with" in err
    assert tree(layers) == stored
    # --replace replaces it, and keeps the one it replaces, with its sidecar
    assert cli.refresh_occupation([*args, "--replace"], environ={}) == 0
    assert "the snapshot it replaces is kept in" in capsys.readouterr().out
    after = tree(layers)
    day = next(name for name in stored if name.startswith("occupation/deepstate_occupied_") and name not in (
        "occupation/deepstate_occupied_2025-08-03.geojson", "occupation/deepstate_occupied_2026-08-22.geojson"
    ) and name.endswith(".geojson"))  # fmt: skip
    kept = day.replace("occupation/", "occupation/replaced/")
    assert after[kept] == stored[day]
    assert after[kept.replace(".geojson", ".source.json")] == stored[day.replace(".geojson", ".source.json")]
    assert cli.refresh_occupation(["--base-url", server.url, "--layers", str(layers), "--out", str(tmp_path / "m"),
                                   "--version", earlier, "--replace"], environ={}) == 0  # fmt: skip
    assert (layers / "occupation" / "replaced" / "deepstate_occupied_2025-08-03.geojson").exists()


def test_a_bad_row_elsewhere_does_not_block_a_refresh(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = layers / "deposits" / "figures.csv"
    figures.write_text(
        figures.read_text(encoding="utf-8") + "F999,broken,,,,,,,,\n", encoding="utf-8"
    )  # and sha256 off
    (layers / "basemap" / "ne50m_neighbours.geojson").write_text("not geojson", encoding="utf-8")
    server.json("/api/history/last", {"id": int(NEWER), "map": real_payload()})
    code, out, err = run(server, layers, capsys)
    assert (code, err) == (0, "")
    assert "deepstate_occupied_2026-09-21.geojson" in out


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--timeout", "0"], "argument --timeout: not a number of seconds (> 0): '0'"),
        (["--timeout", "nan"], "argument --timeout: not a number of seconds (> 0): 'nan'"),
        (["--timeout", "abc"], "argument --timeout: not a number of seconds (> 0): 'abc'"),
        (["--timeout", "1e9"], "argument --timeout: not a number of seconds (> 0, at most 3600): '1e9'"),
        (["--retries", "٣"], "argument --retries: not a number of retries (0–99): '٣'"),
        (["--until", "2022-05-01"], "--until and --every go with --since"),
        (["--since", "2022-05-02", "--until", "2022-05-01"], "--until 2022-05-01 is before --since 2022-05-02"),
        (["--since", "２０２２-05-01"], "argument --since: not an ISO date (YYYY-MM-DD): '２０２２-05-01'"),
    ],
)
def test_bad_arguments_are_usage_errors(
    layers: Path, capsys: pytest.CaptureFixture[str], args: list[str], complaint: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.refresh_occupation(["--layers", str(layers), *args], environ={})
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err == f"error: {complaint} (see refresh_occupation.py --help)\n"  # one line, no usage dump


def test_since_a_future_date_or_a_broken_listing_is_an_error(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json("/api/history/public", [{"id": int(VERSION), "status": True}])
    err = _bad(server, layers, capsys, "--since", "2026-01-01")
    assert err == f"error: no versions published since 2026-01-01 on {server.url}\n"
    server.json("/api/history/public", [{"versionId": 1}, {"id": "١٧٥٤٢٥١١٠٥", "status": True}])
    err = _bad(server, layers, capsys, "--since", "2022-04-01")
    assert err == (
        f"error: {server.url}/history/public: none of its 2 entries is a version (id and status); "
        "the API may have changed\n"
    )


# --- the real stream: a backfill over the archive sample ------------------------------------------------------

SAMPLE_IDS = deepstate_archive.archive_ids()
SAMPLE_DAYS = [datetime.fromtimestamp(int(v), tz=UTC).date().isoformat() for v in SAMPLE_IDS]
TRANSNISTRIA = ("придністров", "transnistria")


def _refresh_process(url: str, layers: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "refresh_occupation.py"), "--base-url", url, "--layers", str(layers),
         "--out", str(layers.parent / "maps"), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip


@dataclass
class Backfill:
    layers: Path
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Backfill:
    """The shipped layers plus every version of the archive sample, refreshed with --since and no --force."""
    layers = tmp_path_factory.mktemp("backfill") / "layers"
    shutil.copytree(SHIPPED_LAYERS, layers)
    with deepstate_archive.serve(deepstate_archive.build_routes()) as archive:
        process = _refresh_process(archive.url, layers, "--since", "2022-04-01")
        out, err = process.communicate(timeout=600)
    return Backfill(layers, process.returncode, out, err)


def _stored(layers: Path) -> dict[str, Path]:
    return {
        p.name.removeprefix("deepstate_occupied_").removesuffix(".geojson"): p
        for p in (layers / "occupation").glob("deepstate_occupied_20*.geojson")
    }


def _transnistria_km2(version: str) -> float:
    """Area of the Transnistria polygons painted in DeepState's pre-2022 colours (its /areas counts them), EPSG:6933."""
    with gzip.open(deepstate_archive.ARCHIVE / f"{version}.geojson.gz", "rt", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    shapes = [
        shapely.geometry.shape(f["geometry"])
        for f in features
        if any(w in str(f["properties"].get("name", "")).casefold() for w in TRANSNISTRIA)
        and f["properties"].get("fill") in ("#880e4f", "#000000")
    ]
    if not shapes:
        return 0.0
    return float(gpd.GeoSeries(shapes, crs="EPSG:4326").to_crs("EPSG:6933").union_all().area) / 1e6


def test_backfill_of_the_real_sample_stores_every_day_without_force(backfilled: Backfill) -> None:
    assert backfilled.code == 0, backfilled.err[-2000:]
    progress = backfilled.err.splitlines()
    assert len(progress) == len(SAMPLE_IDS) == 88
    assert all(": stored, " in line and " versions/s, ETA " in line for line in progress)
    assert progress[0].startswith(f"[1/88] 2022-04-03 version {SAMPLE_IDS[0]}: stored, ")
    stored = _stored(backfilled.layers)
    assert set(SAMPLE_DAYS) <= set(stored)  # every day of April–May and of September 2022, and the four later ones
    assert set(stored) - set(SAMPLE_DAYS) == {"2026-08-22"}  # the shipped snapshot, untouched


def test_every_backfilled_snapshot_is_within_one_percent_of_deepstates_own_figure(backfilled: Backfill) -> None:
    figures = deepstate_archive.areas_rows()
    stored = _stored(backfilled.layers)
    worst = 0.0
    for version, day in zip(SAMPLE_IDS, SAMPLE_DAYS, strict=True):
        frame = gpd.read_file(stored[day])
        occupied = frame[frame["class"] == "occupied"].to_crs("EPSG:6933").area.sum() / 1e6
        row = figures[version]
        theirs = float(row["occupied_after_24_02_2022_km2"]) + float(row["occupied_to_24_02_2022_km2"])
        expected = theirs - _transnistria_km2(version)  # DeepState's colour sums count Transnistria in April–May 2022
        worst = max(worst, abs(occupied / expected - 1))
        sidecar = json.loads(sources.sidecar_path(stored[day]).read_text(encoding="utf-8"))
        assert sidecar["version_id"] == version
        assert "of DeepState's own /areas figure (after and before 24 Feb 2022)" in sidecar["check"], day
    assert worst < 0.01
    assert _transnistria_km2(SAMPLE_IDS[0]) == pytest.approx(3534, rel=0.01)  # the README's ~3,534 km² of Moldova


def test_the_build_uses_the_backfill_day_by_day(backfilled: Backfill, tmp_path: Path) -> None:
    record = build.build(backfilled.layers, tmp_path / "may", snapshot="2022-05-31")
    assert record["snapshot_date"] == "2022-05-31"
    with (tmp_path / "may" / "history_regions.csv").open(encoding="utf-8") as fh:
        dates = {row["date"] for row in csv.DictReader(fh)}
    assert {d for d in SAMPLE_DAYS if d <= "2022-05-31"} <= dates  # every day of April and May
    page = (tmp_path / "may" / "overview.html").read_text(encoding="utf-8")
    assert '"2022-04-03"' in page  # the slider steps through every day of the last 90 before the snapshot
    # the default build (the shipped 2026-08-22 snapshot) with the whole daily history behind it
    assert build.build(backfilled.layers, tmp_path / "now")["snapshot_date"] == "2026-08-22"
    with (tmp_path / "now" / "history_regions.csv").open(encoding="utf-8") as fh:
        every = {row["date"] for row in csv.DictReader(fh)}
    assert set(SAMPLE_DAYS) <= every
    with sqlite3.connect(tmp_path / "now" / "resource_control.gpkg") as db:
        periods = dict(db.execute("SELECT start_date, COUNT(*) FROM occupation_history GROUP BY start_date"))
    assert {str(d)[:10] for d in periods} == every  # the QGIS history layer: one period per day of the series
    assert set(periods.values()) == {2}  # each day before and since 24 Feb 2022


def test_a_backfill_killed_halfway_resumes_and_ends_with_the_same_files(tmp_path: Path) -> None:
    layers, reference = tmp_path / "killed" / "layers", tmp_path / "whole" / "layers"
    shutil.copytree(SHIPPED_LAYERS, layers)
    shutil.copytree(SHIPPED_LAYERS, reference)
    september = [d for d in SAMPLE_DAYS if d.startswith("2022-09")]
    window = ("--since", "2022-09-01", "--until", "2022-09-30")
    with deepstate_archive.serve(deepstate_archive.build_routes()) as archive:
        whole = _refresh_process(archive.url, reference, *window)
        assert whole.communicate(timeout=300)[1].count(": stored, ") == len(september)
        process = _refresh_process(archive.url, layers, *window)
        deadline = time.monotonic() + 300
        while len(set(_stored(layers)) & set(september)) < 8 and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)  # the refresh and its workers, mid-run
        process.communicate()
        halfway = set(_stored(layers)) & set(september)
        assert 8 <= len(halfway) < len(september)
        fetched_before = archive.hit_count("/geojson")
        rerun = _refresh_process(archive.url, layers, *window)
        out, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, err[-2000:]
        assert archive.hit_count("/geojson") - fetched_before == len(september) - len(halfway)  # stored: not fetched
    assert sum("already have version" in line for line in out.splitlines()) == len(halfway)
    assert not [p for p in (layers / "occupation").iterdir() if p.name.endswith(".tmp")]
    volatile = {"fetched_at", "retrieved"}  # the time of the run; and each run's server has its own port:
    loopback = re.compile(r"http://127\.0\.0\.1:[0-9]+/")
    for day in september:
        mine, theirs = _stored(layers)[day], _stored(reference)[day]
        assert mine.read_bytes() == theirs.read_bytes(), day
        side, ref_side = (
            json.loads(loopback.sub("http://loopback/", sources.sidecar_path(p).read_text(encoding="utf-8")))
            for p in (mine, theirs)
        )
        assert {k: v for k, v in side.items() if k not in volatile} == {
            k: v for k, v in ref_side.items() if k not in volatile
        }, day


def test_a_refused_version_in_the_middle_is_skipped_and_the_others_land(tmp_path: Path) -> None:
    layers = tmp_path / "layers"
    shutil.copytree(SHIPPED_LAYERS, layers)
    before = tree(layers)
    routes = deepstate_archive.build_routes()
    days = [(v, d) for v, d in zip(SAMPLE_IDS, SAMPLE_DAYS, strict=True) if "2022-09-10" <= d <= "2022-09-14"]
    damaged, lying = days[1][0], days[3][0]
    body = routes[f"/api/history/{damaged}/geojson"]()[2]
    routes[f"/api/history/{damaged}/geojson"] = deepstate_archive.reply(body[: len(body) // 3])
    areas = json.loads(routes[f"/api/history/{lying}/areas"]()[2])
    areas[0]["area"] *= 1.2  # DeepState's own figure 20 % above what the map shows after 24 Feb 2022
    routes[f"/api/history/{lying}/areas"] = deepstate_archive.reply(json.dumps(areas).encode())
    with deepstate_archive.serve(routes) as archive:
        process = _refresh_process(archive.url, layers, "--since", "2022-09-10", "--until", "2022-09-14")
        out, err = process.communicate(timeout=300)
    assert process.returncode == 1
    lines = err.splitlines()
    assert len(lines) == len(days) + 1
    assert (
        f"version {damaged}: refused: {archive.url}/history/{damaged}/geojson: the response is not valid JSON"
        in lines[1]
    )
    assert f"version {lying}: refused: {archive.url}/history/{lying}/geojson: occupied after 24 Feb 2022 " in lines[3]
    assert "from DeepState's own figure for this version" in lines[3]
    assert lines[-1] == (
        f"error: 2 of {len(days)} fetched versions refused, each skipped (reasons above): {damaged} ({days[1][1]}); "
        f"{lying} ({days[3][1]}); the other {len(days) - 2} are stored"
    )
    stored = set(_stored(layers))
    assert stored - {"2026-08-22"} == {d for v, d in days if v not in (damaged, lying)}
    after = tree(layers)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing stored before was changed
    assert out.count("refused ") == 2


def test_thinner_histories_take_the_last_version_of_each_week_or_month() -> None:
    versions = [deepstate.version_of(v) for v in SAMPLE_IDS]
    weekly = update.choose_versions(versions, since="2022-09-01", until="2022-09-30", every="week")
    # ISO weeks 35–39 of 2022: the last sample day of each (Sun 4, 11, 18, 25 Sep and Fri 30 Sep)
    assert [v.date for v in weekly] == ["2022-09-04", "2022-09-11", "2022-09-18", "2022-09-25", "2022-09-30"]
    monthly = update.choose_versions(versions, since="2022-04-01", every="month")
    assert [v.date for v in monthly] == [
        "2022-04-30",
        "2022-05-31",
        "2022-09-30",
        "2023-11-15",
        "2024-03-28",
        "2025-07-20",
    ]
    daily = update.choose_versions(versions, since="2022-05-30", until="2022-05-31")
    assert [v.version for v in daily] == ["1653940962", "1654014081"]


# --- hostile servers and files (each: one error line, no hang, layers/ unchanged) ---------------------------------


class _Raw(BaseHTTPRequestHandler):
    """A server whose answer each test writes by hand (status lines, headers, trickles)."""

    answer: Callable[[BaseHTTPRequestHandler], None] = staticmethod(lambda _handler: None)

    def do_GET(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            type(self).answer(self)

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture
def raw_server() -> Iterator[tuple[str, type[_Raw]]]:
    handler = type("Handler", (_Raw,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api", handler
    httpd.shutdown()
    httpd.server_close()


def _raw_run(url: str, layers: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    before = tree(layers)
    code = cli.refresh_occupation(["--base-url", url, "--layers", str(layers), *args], environ={})
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1, err
    assert tree(layers) == before
    return err


def test_a_trickling_body_meets_the_total_deadline(
    raw_server: tuple[str, type[_Raw]], layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, handler = raw_server

    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(40):  # 1 byte every 0.1 s: each read is quick, the whole body is not
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.1)

    handler.answer = staticmethod(trickle)
    start = time.monotonic()
    err = _raw_run(url, layers, capsys, "--timeout", "1", "--retries", "0")
    assert time.monotonic() - start < 3.0
    assert err == f"error: {url}/history/last: timed out after 1 s after 1 attempts; try again later\n"


def test_redirects_only_to_http_and_at_most_five(
    raw_server: tuple[str, type[_Raw]], layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, handler = raw_server
    target = {"to": "ftp://127.0.0.1:9/x"}

    def redirect(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", target["to"])
        h.send_header("Content-Length", "0")
        h.end_headers()

    handler.answer = staticmethod(redirect)
    err = _raw_run(url, layers, capsys)
    assert err == f"error: {url}/history/last: redirected to 'ftp://127.0.0.1:9/x', which is not http(s); refusing it\n"
    target["to"] = url + "/history/last?again"  # a loop
    err = _raw_run(url, layers, capsys)
    assert err == f"error: {url}/history/last: too many redirects (more than 5); check --base-url\n"


def test_terminal_escapes_from_a_server_are_printed_escaped(
    raw_server: tuple[str, type[_Raw]], layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, handler = raw_server

    def hostile(h: BaseHTTPRequestHandler) -> None:
        h.wfile.write(b"HTTP/1.0 404 Not\x1b[2J\x1b]0;pwned\x07Found\r\nContent-Length: 0\r\n\r\n")

    handler.answer = staticmethod(hostile)
    err = _raw_run(url, layers, capsys)
    assert "\x1b" not in err
    assert "\x07" not in err
    assert err == f"error: {url}/history/last: HTTP 404 Not\\x1b[2J\\x1b]0;pwned\\x07Found\n"


def test_a_polygon_with_a_million_vertices_is_refused_quickly(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    n = 1_000_001
    angles = [2 * math.pi * k * 7 / n for k in range(n)]  # a self-intersecting star
    ring = [[round(36.5 + math.cos(a), 3), round(47.5 + 0.6 * math.sin(a), 3)] for a in angles]  # < 20 MiB
    star = {"type": "Feature", "properties": {"name": "geoJSON.status.occupied"},
            "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}}  # fmt: skip
    payload = {"id": int(NEWER), "map": {"type": "FeatureCollection", "features": [star]}}
    server.routes["/api/history/last"] = deepstate_archive.reply(json.dumps(payload, separators=(",", ":")).encode())
    start = time.monotonic()
    err = _bad(server, layers, capsys)
    assert time.monotonic() - start < 60
    assert err == (
        f"error: {server.url}/history/last: a polygon has 1,000,002 vertices, more than the 3,000 allowed; "
        "the response is damaged or hostile\n"
    )


def test_a_looping_link_named_for_a_future_date_is_named_by_both_scripts(
    server: FakeDeepState, layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = layers / "occupation" / "deepstate_occupied_2099-01-01.geojson"
    loop.symlink_to(loop)
    server.json("/api/history/last", {"id": int(NEWER), "map": real_payload()})
    err = _bad(server, layers, capsys)
    assert err == f"error: {loop}: not a regular file (a broken or looping link?); remove it with its .source.json\n"
    assert cli.build_maps(["--layers", str(layers), "--out", str(tmp_path / "maps")]) == 1
    assert capsys.readouterr().err == err


def test_a_sidecar_nested_100000_levels_deep_is_one_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layers = tmp_path / "layers"
    shutil.copytree(SHIPPED_LAYERS, layers)
    sidecar = layers / "deposits" / "figures.source.json"
    sidecar.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert cli.build_maps(["--layers", str(layers), "--out", str(tmp_path / "maps")]) == 1
    assert capsys.readouterr().err == f"error: {sidecar}: not valid JSON (nested too deeply); fix the file\n"


@pytest.mark.parametrize("phase", ["status line and headers", "chunk sizes"])
def test_the_deadline_holds_while_headers_or_chunks_trickle(
    raw_server: tuple[str, type[_Raw]], layers: Path, capsys: pytest.CaptureFixture[str], phase: str
) -> None:
    url, handler = raw_server

    def trickle(h: BaseHTTPRequestHandler) -> None:
        if phase == "status line and headers":
            data = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 200 + b"\r\nContent-Length: 2\r\n\r\n{}"
        else:
            data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1\r\n \r\n" * 200 + b"0\r\n\r\n"
        for i in range(0, min(len(data), 400), 1):  # one byte every 0.05 s: each read is quick, the whole is not
            h.wfile.write(data[i : i + 1])
            h.wfile.flush()
            time.sleep(0.05)

    handler.answer = staticmethod(trickle)
    start = time.monotonic()
    err = _raw_run(url, layers, capsys, "--timeout", "1", "--retries", "1")
    assert time.monotonic() - start < 5.0  # two attempts of 1 s, a short backoff
    assert err == f"error: {url}/history/last: timed out after 1 s after 2 attempts; try again later\n"


@pytest.mark.parametrize(
    ("area", "complaint"),
    [
        ("1" + "0" * 400, "not an /areas answer (occupied_after_24_02_2022 is not an area in km²)"),
        ('"NaN"', "not an /areas answer (occupied_after_24_02_2022 is not an area in km²)"),
        ("-5", "not an /areas answer (occupied_after_24_02_2022 is not an area in km²)"),
        ("1e300", "not an /areas answer (occupied_after_24_02_2022 is not an area in km²)"),
    ],
)
def test_an_areas_answer_that_is_not_one_refuses_the_version(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str], area: str, complaint: str
) -> None:
    body = f'[{{"type": "occupied_after_24_02_2022", "area": {area}}}, {{"type": "occupied_to_24_02_2022", "area": 1}}]'
    server.routes[f"/api/history/{NEWER}/areas"] = deepstate_archive.reply(body.encode())
    server.json("/api/history/last", {"id": int(NEWER), "map": real_payload()})
    assert _bad(server, layers, capsys) == f"error: {server.url}/history/{NEWER}/areas: {complaint}\n"


def test_a_sidecar_with_an_odd_version_id_is_damaged_and_cannot_be_refetched(
    server: FakeDeepState, layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    side = layers / "occupation" / "deepstate_occupied_2026-08-22.source.json"
    record = json.loads(side.read_text(encoding="utf-8"))
    for odd in ("abc", ["1"], "１２３"):
        side.write_text(json.dumps({**record, "version_id": odd}), encoding="utf-8")
        server.json("/api/history/last", {"id": 1787400000, "map": real_payload()})  # 2026-08-22 too
        err = _bad(server, layers, capsys)
        assert err.startswith("error: 1 stored snapshot(s) are damaged and cannot be refetched: ")
        assert "deepstate_occupied_2026-08-22.geojson: damaged (its .source.json" in err
        assert err.endswith(
            "restore each with its .source.json from a backup, or move both aside; nothing was changed\n"
        )
        assert cli.build_maps(["--layers", str(layers), "--out", str(tmp_path / "maps")]) == 1
        assert "are not drawn" in capsys.readouterr().err


SNAPSHOT_0803 = "occupation/deepstate_occupied_2025-08-03.geojson"
SIDECAR_0803 = "occupation/deepstate_occupied_2025-08-03.source.json"


def _stored_0803(server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]) -> bytes:
    """Store version 2025-08-03 as a user would, and serve it as the newest version; return its bytes."""
    server.json(f"/api/history/{VERSION}/geojson", real_payload())
    assert run(server, layers, capsys, "--version", VERSION)[0] == 0
    server.json("/api/history/last", {"id": int(VERSION), "map": real_payload()})
    return (layers / SNAPSHOT_0803).read_bytes()


@pytest.mark.parametrize(
    ("harm", "reason"),
    [
        ("truncate", "the file does not match the sha256 its .source.json records"),
        ("delete sidecar", "its .source.json is missing"),
        ("other version", f"its .source.json names version 1754200000, the file holds version {VERSION}"),
    ],
)
def test_a_damaged_snapshot_is_refused_by_the_build_and_refetched_by_the_next_refresh(  # noqa: PLR0917  (fixtures)
    server: FakeDeepState, layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], harm: str, reason: str
) -> None:
    good = _stored_0803(server, layers, capsys)
    snapshot, side = layers / SNAPSHOT_0803, layers / SIDECAR_0803
    if harm == "truncate":
        snapshot.write_bytes(good[: len(good) // 2])
    elif harm == "delete sidecar":
        side.unlink()
    else:  # the sidecar edited to name another version of the same day; the file still matches its sha256
        side.write_text(json.dumps({**json.loads(side.read_text("utf-8")), "version_id": "1754200000"}), "utf-8")
    harmed = tree(layers)
    # the build never draws it
    assert cli.build_maps(["--layers", str(layers), "--out", str(tmp_path / "maps")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"error: 1 stored snapshot(s) do not match their .source.json and are not drawn: {snapshot}: "
    )
    assert reason in err
    # --verify names it and changes nothing
    code, out, err = run(server, layers, capsys, "--verify")
    assert code == 1
    assert f"damaged: {snapshot}: damaged ({reason}" in out
    assert f"a refresh refetches version {VERSION}" in out
    assert err.startswith("error: ")
    assert tree(layers) == harmed
    # the next plain refresh refetches it, says so, and keeps the damaged pair in replaced/
    code, out, err = run(server, layers, capsys)
    assert (code, err) == (0, "")
    assert f"refetched: the stored one was damaged ({reason}" in out
    assert snapshot.read_bytes() == good
    kept = sorted(p.name for p in (layers / "occupation" / "replaced").iterdir())
    pair = ["deepstate_occupied_2025-08-03.geojson", "deepstate_occupied_2025-08-03.source.json"]
    assert kept == (pair[:1] if harm == "delete sidecar" else pair)
    assert run(server, layers, capsys, "--verify")[0] == 0
    assert cli.build_maps(["--layers", str(layers), "--out", str(tmp_path / "maps")]) == 0


def test_the_store_of_a_fresh_clone_verifies(
    layers: Path, server: FakeDeepState, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(layers)
    code, out, err = run(server, layers, capsys, "--verify")
    assert (code, err) == (0, "")
    assert out.endswith(
        "1 of 1 stored snapshots (2026-08-22 to 2026-08-22) verify against their .source.json (sha256, date, version); "
        "53 of 53 month-end files match their sidecars\n"
    )
    assert server.hits == {}
    assert tree(layers) == before


def test_a_snapshot_named_for_an_impossible_date_is_one_error_line_in_both_scripts(
    server: FakeDeepState, layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("deepstate_occupied_2022-02-30.geojson", "deepstate_occupied_2022-02-30.source.json"):
        shutil.copy(layers / "occupation" / name.replace("2022-02-30", "2026-08-22"), layers / "occupation" / name)
    expected = (
        f"error: {layers / 'occupation' / 'deepstate_occupied_2022-02-30.geojson'}: its name's date 2022-02-30 is not a "
        "calendar date; rename it (and its .source.json) to the day in its .source.json, or move both aside\n"
    )
    _both_scripts_say(server, layers, tmp_path, capsys, expected)


def test_an_interrupted_replacement_is_seen_whole_and_completed_by_the_next_refresh(
    server: FakeDeepState,
    layers: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = _stored_0803(server, layers, capsys)
    snapshot = layers / SNAPSHOT_0803
    side = json.loads((layers / SIDECAR_0803).read_text("utf-8"))
    newer = good.replace(b'"class":"occupied"', b'"class":"occupied","note":"replaced"', 1)
    new_side = {**side, "sha256": hashlib.sha256(newer).hexdigest()}

    def killed(path: Path, moves: dict[Path, Path]) -> None:  # the first rename done, then the process dies
        next(iter(moves.values())).replace(path)
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_finish", killed)
    with pytest.raises(KeyboardInterrupt):
        store.commit(snapshot, newer, json.dumps(new_side).encode())
    monkeypatch.undo()
    assert snapshot.read_bytes() == newer  # the live files are torn: new snapshot, old sidecar ...
    assert json.loads((layers / SIDECAR_0803).read_text("utf-8"))["sha256"] == side["sha256"]
    # ... yet every reader sees the new pair whole
    assert run(server, layers, capsys, "--verify")[0] == 0
    assert sources.read_snapshot(snapshot).attrs["sidecar"]["sha256"] == new_side["sha256"]
    assert build.build(layers, tmp_path / "maps", snapshot="2025-08-03")["snapshot_date"] == "2025-08-03"
    # and the next refresh completes the commit first
    code, out, _ = run(server, layers, capsys)
    assert code == 0
    assert out.startswith("completed the interrupted commit of deepstate_occupied_2025-08-03.geojson\n")
    assert json.loads((layers / SIDECAR_0803).read_text("utf-8"))["sha256"] == new_side["sha256"]
    assert not [p.name for p in (layers / "occupation").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("features", "complaint"),
    [
        ('[{"type": "Feature", "properties": {"class": "contested"}, "geometry": {"type": "Polygon", '
         '"coordinates": [[[36, 47], [37, 47], [37, 48], [36, 47]]]}}]', "no occupied area in it"),
        ("[]", "no occupied area in it"),
        ('[{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [36, 47]}}]',
         "a feature is not a Polygon or MultiPolygon"),
    ],
)  # fmt: skip
def test_a_stored_snapshot_without_an_occupied_area_is_named_by_both_scripts(  # noqa: PLR0917  (fixtures)
    server: FakeDeepState,
    layers: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    features: str,
    complaint: str,
) -> None:
    bad = layers / "occupation" / "deepstate_occupied_2026-08-22.geojson"
    bad.write_text(f'{{"type": "FeatureCollection", "features": {features}}}', encoding="utf-8")
    side = layers / "occupation" / "deepstate_occupied_2026-08-22.source.json"
    digest = hashlib.sha256(bad.read_bytes()).hexdigest()
    side.write_text(json.dumps({**json.loads(side.read_text("utf-8")), "sha256": digest}), encoding="utf-8")
    expected = (
        f"error: {bad}: not a readable occupation snapshot ({complaint}); restore it or remove it with its "
        ".source.json\n"
    )
    _both_scripts_say(server, layers, tmp_path, capsys, expected)


def test_a_killed_worker_ends_the_run_with_one_line_and_keeps_what_is_stored(tmp_path: Path) -> None:
    layers = tmp_path / "layers"
    shutil.copytree(SHIPPED_LAYERS, layers)
    with deepstate_archive.serve(deepstate_archive.build_routes()) as archive:
        process = _refresh_process(archive.url, layers, "--since", "2022-04-01")
        deadline = time.monotonic() + 120
        children: list[int] = []
        while len(_stored(layers)) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        for task in Path(f"/proc/{process.pid}/task").iterdir():
            children += [int(c) for c in (task / "children").read_text().split()]
        assert children, "no worker processes"
        os.kill(children[0], signal.SIGKILL)
        _out, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert err.splitlines()[-1].startswith("error: a worker process preparing version ")
    assert err.splitlines()[-1].endswith("the versions before it are stored: rerun the same command to resume")
    assert "Traceback" not in err
    for day, path in _stored(layers).items():
        side = json.loads(sources.sidecar_path(path).read_text(encoding="utf-8"))
        assert side["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), day
    assert json.loads((tmp_path / "maps" / "refresh_report.json").read_text(encoding="utf-8"))["reports"]


def test_a_full_disk_changes_nothing(
    server: FakeDeepState, small_disk: Callable[[int], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    size = sum(p.stat().st_size for p in SHIPPED_LAYERS.rglob("*") if p.is_file())
    disk = small_disk(size + size // 5 + 1024 * 1024)  # room for the layers (in 4 KB pages); filled below
    layers = disk / "layers"
    shutil.copytree(SHIPPED_LAYERS, layers)
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    filler.write_bytes(b"\0" * max(0, free - 40 * 1024))  # 40 KB left: less than one snapshot
    server.json("/api/history/last", {"id": int(NEWER), "map": real_payload()})
    before = tree(layers)
    code = cli.refresh_occupation(
        ["--base-url", server.url, "--layers", str(layers), "--out", str(disk.parent / "maps")], environ={}
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err == (
        f"error: {layers / 'occupation' / 'deepstate_occupied_2026-09-21.geojson'}: cannot write the snapshot "
        "(No space left on device); nothing was changed\n"
    )
    assert tree(layers) == before  # no half-written snapshot, no temporary file left


def test_replace_on_a_full_disk_changes_nothing(
    server: FakeDeepState, small_disk: Callable[[int], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    size = sum(p.stat().st_size for p in SHIPPED_LAYERS.rglob("*") if p.is_file())
    disk = small_disk(size + size // 5 + 1024 * 1024)
    layers = disk / "layers"
    shutil.copytree(SHIPPED_LAYERS, layers)
    (disk / "filler").write_bytes(b"\0" * max(0, shutil.disk_usage(disk).free - 100 * 1024))  # room for a copy only
    server.json("/api/history/last", {"id": 1787400000, "map": real_payload()})  # 2026-08-22, the shipped day
    before = tree(layers)
    code = cli.refresh_occupation(
        ["--base-url", server.url, "--layers", str(layers), "--out", str(disk.parent / "maps"), "--replace"], environ={}
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.endswith("(No space left on device); nothing was changed\n"), err
    after = tree(layers)
    assert {k: v for k, v in after.items() if not k.startswith("occupation/replaced/")} == before
    assert [k for k in after if k.startswith("occupation/replaced/") and not k.endswith("/")] == []


@pytest.mark.parametrize(
    ("make", "complaint"),
    [
        ("crs", "its CRS \"{'properties': 'x'}\" is not WGS 84 lon/lat"),
        ("long", "cannot read it (File name too long)"),
        ("utf16", "a KML must be UTF-8"),
        ("empty", "needs a path or an http(s) URL"),
    ],
)
def test_more_hostile_user_files_are_one_line(
    layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], make: str, complaint: str
) -> None:
    path = tmp_path / "f.geojson"
    if make == "crs":
        path.write_text('{"type": "FeatureCollection", "crs": {"properties": "x"}, "features": []}', encoding="utf-8")
    elif make == "long":
        path = tmp_path / ("a" * 300)
    elif make == "utf16":  # no BOM; a comment whose UTF-16 bytes spell "<kml" ahead of a DOCTYPE
        path = tmp_path / "f.kml"
        path.write_bytes('<!--欼汭--><!DOCTYPE kml [<!ENTITY c "36,47 37,47 37,48 36,47">]><kml/>'.encode("utf-16-le"))
    location = "" if make == "empty" else str(path)
    before = tree(layers)
    try:
        code = cli.refresh_occupation(
            ["--from-file", location, "--layers", str(layers), "--out", str(tmp_path / "m")], environ={}
        )
    except SystemExit as stopped:
        code = int(str(stopped.code))
    err = capsys.readouterr().err
    assert code in (1, 2)
    assert err.count("\n") == 1, err
    assert complaint in err
    assert tree(layers) == before


def test_a_month_end_file_whose_sidecar_lies_about_its_date_is_named(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    side = layers / "occupation" / "monthly" / "deepstate_2025-07.source.json"
    record = json.loads(side.read_text(encoding="utf-8"))
    side.write_text(json.dumps({**record, "snapshot_date": "2025-08-02"}), encoding="utf-8")
    server.json(f"/api/history/{VERSION}/geojson", real_payload())
    err = _bad(server, layers, capsys, "--version", VERSION)
    assert err.startswith("error: the month-end file to compare with is unusable (")
    assert "deepstate_2025-07.geojson: its sidecar dates it 2025-08-02, its features ['2025-07-31']" in err


def test_folders_that_loop_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert cli.build_maps(["--layers", str(loop), "--out", str(tmp_path / "maps")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "cannot be resolved" in err


# --- issue 23: a server cannot stall or crash a backfill; every class gets a plausibility check -------------------


def test_wrong_types_from_the_server_refuse_their_version_and_the_backfill_goes_on(tmp_path: Path) -> None:
    layers = tmp_path / "layers"
    shutil.copytree(SHIPPED_LAYERS, layers)
    before = tree(layers)
    routes = deepstate_archive.build_routes()
    days = [(v, d) for v, d in zip(SAMPLE_IDS, SAMPLE_DAYS, strict=True) if "2022-09-10" <= d <= "2022-09-16"]
    listed, typed, named, strings = (v for v, _ in days[:4])

    def areas(version: str, row: dict[str, Any]) -> None:
        rows = json.loads(routes[f"/api/history/{version}/areas"]()[2])
        routes[f"/api/history/{version}/areas"] = deepstate_archive.reply(json.dumps([*rows, row]).encode())

    def geojson(version: str, change: Callable[[dict[str, Any]], None]) -> None:
        payload = json.loads(routes[f"/api/history/{version}/geojson"]()[2])
        change(next(f for f in payload["features"] if f["geometry"]["type"] == "Polygon"))
        routes[f"/api/history/{version}/geojson"] = deepstate_archive.reply(json.dumps(payload).encode())

    def name_as_list(feature: dict[str, Any]) -> None:
        feature["properties"]["name"] = [feature["properties"]["name"]]

    def coordinates_as_strings(feature: dict[str, Any]) -> None:
        feature["geometry"]["coordinates"] = [
            [[str(x) for x in p] for p in r] for r in feature["geometry"]["coordinates"]
        ]

    areas(listed, {"hash": "#01579b", "area": 6.1, "type": ["other_territories"]})  # unhashable: a traceback before
    areas(typed, {"hash": "#01579b", "area": 6.1, "type": {"en": "other"}})
    geojson(named, name_as_list)
    geojson(strings, coordinates_as_strings)
    listing = json.loads(routes["/api/history/public"]()[2])
    listing += [{"id": [1662846587], "status": True}, {"id": {"x": 1}, "status": "yes"}, ["junk"]]  # skipped
    routes["/api/history/public"] = deepstate_archive.reply(json.dumps(listing).encode())
    with deepstate_archive.serve(routes) as archive:
        process = _refresh_process(archive.url, layers, "--since", "2022-09-10", "--until", "2022-09-16")
        out, err = process.communicate(timeout=300)
    assert process.returncode == 1, err[-3000:]
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == len(days) + 1, err
    url = f"{archive.url}/history"
    expected = {
        listed: f"{url}/{listed}/areas: not an /areas answer (row 5's type is a list, not a string)",
        typed: f"{url}/{typed}/areas: not an /areas answer (row 5's type is an object, not a string)",
        named: f"{url}/{named}/geojson: feature ",
        strings: f"{url}/{strings}/geojson: a feature's geometry is not valid GeoJSON (a Polygon has coordinates that",
    }
    for (version, day), line in zip(days, lines, strict=False):
        if version in expected:
            assert f"{day} version {version}: refused: {expected[version]}" in line, line
        else:
            assert f"{day} version {version}: stored, " in line, line
    assert "'s name is a list, not a string; the API may have changed" in lines[2]
    refused = "; ".join(f"{v} ({d})" for v, d in days[:4])
    assert lines[-1] == (
        f"error: 4 of {len(days)} fetched versions refused, each skipped (reasons above): {refused}; "
        f"the other {len(days) - 4} are stored"
    )
    assert set(_stored(layers)) - {"2026-08-22"} == {d for _, d in days[4:]}
    assert {k: v for k, v in tree(layers).items() if k in before} == before
    assert out.count("refused ") == 4


def test_a_trickling_areas_answer_is_bounded_by_the_versions_deadline(
    raw_server: tuple[str, type[_Raw]], layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, handler = raw_server
    routes = deepstate_archive.build_routes()
    days = [(v, d) for v, d in zip(SAMPLE_IDS, SAMPLE_DAYS, strict=True) if "2022-09-10" <= d <= "2022-09-12"]
    slow = days[0][0]
    trickled: list[float] = []

    def answer(h: BaseHTTPRequestHandler) -> None:
        if h.path == f"/api/history/{slow}/areas":
            h.send_response(200)
            h.send_header("Content-Length", "1000")
            h.end_headers()
            start = time.monotonic()
            for _ in range(600):  # 1 byte every 0.1 s for a minute: each read is quick, the answer never comes
                h.wfile.write(b" ")
                h.wfile.flush()
                time.sleep(0.1)
            trickled.append(time.monotonic() - start)
            return
        route = routes.get(h.path)
        status, headers, body, _ = route() if route else (404, {}, b"not found", 0.0)
        h.send_response(status)
        for key, value in headers.items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    handler.answer = staticmethod(answer)
    started = time.monotonic()
    code = cli.refresh_occupation(
        ["--base-url", url, "--layers", str(layers), "--out", str(layers.parent / "maps"), "--since", "2022-09-10",
         "--until", "2022-09-12", "--timeout", "2"],
        environ={},
    )  # fmt: skip
    elapsed = time.monotonic() - started
    _, err = capsys.readouterr()
    assert code == 1, err
    lines = err.splitlines()
    # its geojson, then /areas: a first attempt cut at 2 s, a second at the version's deadline, 2 × --timeout
    # (normally "…/areas: stopped at the version's deadline (…) after 2 attempts"; on a machine slow enough that its
    # parsing took 2 s, the request may never start, or the alarm name the geojson first)
    assert lines[0].startswith(f"[1/3] 2022-09-10 version {slow}: refused: {url}/history/{slow}/"), lines[0]
    assert "the version's deadline (4 s for all its requests and checks)" in lines[0], lines[0]
    assert ": stored, " in lines[1]
    assert ": stored, " in lines[2]
    assert lines[3].startswith(f"error: 1 of 3 fetched versions refused, each skipped (reasons above): {slow} (")
    assert elapsed < 60  # four seconds for that version; a minute of trickle otherwise


def _grey_over_ukraine(payload: dict[str, Any]) -> dict[str, Any]:
    grey = {
        "type": "Feature",
        "properties": {"name": "Статус невідомий /// Unknown status /// geoJSON.status.unknown", "fill": "#bcaaa4"},
        "geometry": json.loads(shapely.to_geojson(shapely.box(22.0, 44.0, 41.0, 53.0))),
    }
    return {**payload, "features": [*payload["features"], grey]}


def test_a_grey_zone_covering_ukraine_is_refused_with_and_without_deepstates_figure(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.json("/api/history/last", {"id": int(NEWER), "map": _grey_over_ukraine(real_payload())})
    grey = re.compile(r"the grey zone covers (4[0-9]{2},[0-9]{3}) km², more than ")
    # no /areas (404): the grey zone may cover at most 20,000 km² (the archive's largest: 7,022 km²)
    err = _bad(server, layers, capsys)
    found = grey.search(err)
    assert found, err
    assert err == (
        f"error: {server.url}/history/last: the grey zone covers {found[1]} km², more than the 20,000 km² plausible "
        "(the largest since 2022 was about 7,000 km²), whatever the server's own figure says\n"
    )
    assert _bad(server, layers, capsys, "--force") == err  # a plausibility check: --force does not lift it
    # /areas answers: DeepState's own "unspecified" figure for the real version is 1,012 km²
    server.json(
        f"/api/history/{NEWER}/areas",
        [
            {"hash": "#a52714", "area": 70304.16, "percent": "11.6", "type": "occupied_after_24_02_2022"},
            {"hash": "#880e4f", "area": 43968.93, "percent": "7.3", "type": "occupied_to_24_02_2022"},
            {"hash": "#bcaaa4", "area": 1012.28, "percent": "0.2", "type": "unspecified"},
        ],
    )
    assert _bad(server, layers, capsys) == err  # over 20,000 km²: refused whatever DeepState's figure says
    server.json(
        f"/api/history/{NEWER}/areas",
        [
            {"hash": "#a52714", "area": 70304.16, "percent": "11.6", "type": "occupied_after_24_02_2022"},
            {"hash": "#880e4f", "area": 43968.93, "percent": "7.3", "type": "occupied_to_24_02_2022"},
            {"hash": "#bcaaa4", "area": 2_000_000.0, "percent": "0.2", "type": "unspecified"},
        ],
    )
    assert _bad(server, layers, capsys) == err  # a server claiming a huge figure does not lift it
    server.json(
        f"/api/history/{NEWER}/areas",
        [
            {**row, "area": 1012.28} if row["type"] == "unspecified" else row
            for row in json.loads(server.routes[f"/api/history/{NEWER}/areas"]()[2])
        ],
    )
    # the real version, its grey zone as drawn: stored, the check recorded
    server.json("/api/history/last", {"id": int(NEWER), "map": real_payload()})
    code, _, err = run(server, layers, capsys)
    assert (code, err) == (0, "")
    sidecar = json.loads((layers / "occupation" / "deepstate_occupied_2026-09-21.source.json").read_text("utf-8"))
    assert "; grey zone 1,014 km² (DeepState's own figure: 1,012 km² unspecified); " in sidecar["check"]


def test_a_request_takes_at_most_what_is_left_of_the_versions_deadline(server: FakeDeepState) -> None:
    url = _route(server, "/api/slow", 200, b"{}", delay=30.0)
    start = time.monotonic()
    with pytest.raises(http.DeadlineError) as caught:
        http.fetch(url, timeout=20.0, retries=3, deadline=http.Deadline.after(0.5))
    assert time.monotonic() - start < 10  # not 4 × 20 s
    assert str(caught.value) == (
        f"{url}: stopped at the version's deadline (0.5 s for all its requests and checks) after 1 attempts; "
        "try again later"
    )
    server.routes["/api/busy"] = lambda: (429, {"Retry-After": "5"}, b"", 0.0)
    start = time.monotonic()
    with pytest.raises(http.DeadlineError) as caught:
        http.fetch(f"{server.url}/busy", timeout=20.0, retries=3, deadline=http.Deadline.after(3.0))
    assert time.monotonic() - start < 2.5  # the wait is not begun
    assert str(caught.value) == (
        f"{server.url}/busy: HTTP 429 after 1 attempts; waiting 5 s to retry would pass the version's deadline (3 s "
        "for all its requests and checks); try again later"
    )
    with pytest.raises(http.DeadlineError, match=r"/slow: not requested: the version's deadline \(1 s for"):
        http.fetch(url, deadline=http.Deadline(time.monotonic() - 1.0, 1.0))


def _spikes(centre: tuple[float, float], n: int = 2_999) -> dict[str, Any]:
    """A valid ring of `n` radial spikes 0.1° across: the costliest valid shape for GEOS, just under the cap."""
    ring = [
        [centre[0] + r * math.cos(a), centre[1] + 0.6 * r * math.sin(a)]
        for r, a in ((0.1 if k % 2 else 0.005, 2 * math.pi * k / n) for k in range(n))
    ]
    return {"type": "Feature", "properties": {"name": "geoJSON.status.occupied"},
            "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}}  # fmt: skip


def test_checks_that_outlast_the_versions_deadline_are_stopped(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = real_payload()
    spikes = [_spikes((26.5 + 0.5 * (k % 10), 48.6 + 0.5 * (k // 10))) for k in range(11)]  # apart, outside the front
    server.json(
        "/api/history/last", {"id": int(NEWER), "map": {**payload, "features": [*payload["features"], *spikes]}}
    )
    start = time.monotonic()
    err = _bad(server, layers, capsys, "--timeout", "0.5")  # the version's deadline: 1 s
    assert time.monotonic() - start < 20  # its checks take about 25 s on this machine
    # stopped in its checks (or, had the parsing alone taken the second, at its /areas request)
    assert err.startswith(f"error: {server.url}/history/"), err
    assert "the version's deadline (1 s for all its requests and checks)" in err, err


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ({"id": [int(NEWER)], "map": {}}, "version id '[1790000000]' is not a DeepState version id"),
        ({"id": {"id": int(NEWER)}, "map": {}}, "version id \"{'id': 1790000000}\" is not a DeepState version id"),
        ({"id": True, "map": {}}, "version id 'True' is not a DeepState version id"),
        ({"id": int(NEWER), "map": []}, "/history/last: the response has no GeoJSON features"),
        ({"id": int(NEWER), "map": {"features": {}}}, "/history/last: the response has no GeoJSON features"),
        ({"id": int(NEWER), "map": {"features": [[]]}}, "/history/last: feature 1 is a list, not a GeoJSON object"),
        (
            {"id": int(NEWER), "map": {"features": [{"properties": {"name": ["geoJSON.status.occupied"]},
                                                     "geometry": {"type": "Polygon", "coordinates": [[[36, 47], [37, 47], [37, 48], [36, 47]]]}}]}},
            "/history/last: feature 1's name is a list, not a string; the API may have changed",
        ),
    ],
)  # fmt: skip
def test_wrong_types_in_the_newest_version_are_one_error_line(
    server: FakeDeepState, layers: Path, capsys: pytest.CaptureFixture[str], payload: dict[str, Any], complaint: str
) -> None:
    server.json("/api/history/last", payload)
    err = _bad(server, layers, capsys)
    assert complaint in err, err


# --- other sources: NZZ and ISW from files -------------------------------------------------------

SECOND_SOURCES_DIR = REPO.parent / "shared" / "data" / "occupation" / "second_sources"


def second_sample(source: str) -> Path:
    folder = SECOND_SOURCES_DIR / source
    if not folder.is_dir():
        pytest.skip(f"{folder} absent: {source}'s data may not be redistributed, so it is not in the repository")
    return folder


def refresh_files(layers: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.refresh_occupation(["--layers", str(layers), "--out", str(layers.parent / "maps"), *args], environ={})
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_nzz_files_are_stored_in_their_own_folder_and_a_rerun_resumes(
    layers: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    samples = second_sample("nzz")
    folder = tmp_path / "nzz"
    folder.mkdir()
    for name in ("2022-09-10.json.gz", "2022-09-11.json.gz", "2026-08-22.json.gz"):
        shutil.copy(samples / name, folder / name)
    before = tree(layers / "occupation")
    code, out, _err = refresh_files(layers, capsys, "--source", "nzz", "--from-dir", str(folder))
    assert code == 0, out
    stored = layers / "occupation" / "nzz"
    assert sorted(p.name for p in stored.glob("*.geojson")) == [
        "nzz_occupied_2022-09-10.geojson",
        "nzz_occupied_2022-09-11.geojson",
        "nzz_occupied_2026-08-22.geojson",
    ]
    after = tree(layers / "occupation")
    assert {k: v for k, v in after.items() if not k.startswith("nzz/")} == before  # DeepState's untouched
    sidecar = json.loads((stored / "nzz_occupied_2026-08-22.source.json").read_text(encoding="utf-8"))
    assert sidecar["occupation_source"] == "nzz"
    assert sidecar["credit"] == "Source: NZZ, data from Liveuamap"
    assert sidecar["leaves_out"] == ["pre2022"]
    assert len(sidecar["window"]) == 2
    assert sidecar["source_files"][0]["name"] == "2026-08-22.json.gz"
    # NZZ draws about 74,300 km² that day (the samples' README); less the pre-2022 area it still draws (~280 km²)
    assert 73_000 < sidecar["occupied_km2"] < 74_400
    code, out, _err = refresh_files(layers, capsys, "--source", "nzz", "--from-dir", str(folder))
    assert code == 0
    assert out.count("is stored") == 3  # each day skipped: a rerun resumes
    assert tree(layers / "occupation") == after


def test_isw_files_of_a_day_are_stored_as_one_snapshot_with_advances_apart(
    layers: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    samples = second_sample("isw")
    folder = tmp_path / "isw"
    folder.mkdir()
    for name in (
        "2022-09-08_RussianAssessedCoTinUkraine.geojson.gz",
        "2022-09-08_RussianAssessedAdvanceinUkraine.geojson.gz",
    ):
        shutil.copy(samples / name, folder / name)
    code, out, _err = refresh_files(layers, capsys, "--source", "isw", "--from-dir", str(folder))
    assert code == 0, out
    path = layers / "occupation" / "isw" / "isw_occupied_2022-09-08.geojson"
    classes = [f["properties"]["class"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]]
    assert classes == ["occupied", "contested"]
    sidecar = json.loads(path.with_name("isw_occupied_2022-09-08.source.json").read_text(encoding="utf-8"))
    assert sidecar["leaves_out"] == []  # ISW's control of terrain includes Crimea and the Donbas held since 2014
    assert 115_000 < sidecar["occupied_km2"] < 122_000


@pytest.mark.parametrize(
    ("source", "files", "expected"),
    [
        ("isw", ["2026-08-22.json.gz"], "nzz"),  # NZZ's file given as ISW's
        ("nzz", ["2022-09-08_RussianAssessedCoTinUkraine.geojson.gz"], "isw"),  # and the other way round
    ],
)
def test_a_file_of_the_other_source_is_refused_and_nothing_is_stored(  # noqa: PLR0917  (fixtures and parameters)
    layers: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, source: str, files: list[str], expected: str
) -> None:
    other = second_sample(expected)
    folder = tmp_path / "in"
    folder.mkdir()
    for name in files:
        shutil.copy(other / name, folder / name)
    before = tree(layers)
    code, _out, err = refresh_files(layers, capsys, "--source", source, "--from-dir", str(folder))
    assert code == 1
    assert err.startswith("error: ")
    assert f"--source {expected}" in err or expected.upper() in err
    assert len(err.strip().splitlines()) == 1
    assert tree(layers) == before


def test_a_window_of_forty_days_is_refused_with_one_line(
    layers: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    square = [[[37.0, 47.0], [38.0, 47.0], [38.0, 48.0], [37.0, 48.0], [37.0, 47.0]]]
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square},
               "properties": {"type": "nochange", "date": "2022-09-10", "_datefrom": "2022-08-01",
                              "_dateto": "2022-09-10", "view": "x"}}  # fmt: skip
    path = tmp_path / "2022-09-10.json"
    path.write_text(json.dumps({"value": {"type": "FeatureCollection", "features": [feature]}}), encoding="utf-8")
    before = tree(layers)
    code, _out, err = refresh_files(layers, capsys, "--source", "nzz", "--from-file", str(path))
    assert code == 1
    assert err.startswith("error: ")
    assert "40" in err
    assert len(err.strip().splitlines()) == 1
    assert tree(layers) == before


def test_a_source_read_from_files_needs_its_files(layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.refresh_occupation(["--layers", str(layers), "--source", "nzz"], environ={})
    assert stop.value.code == 2
    assert "--from-file FILE or --from-dir DIR" in capsys.readouterr().err


def test_a_file_dated_in_the_future_is_refused_and_nothing_is_stored(
    layers: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "2999-01-01.json"
    path.write_text(json.dumps({"value": {"type": "FeatureCollection", "features": []}}), encoding="utf-8")
    before = tree(layers)
    code, _out, err = refresh_files(layers, capsys, "--source", "nzz", "--from-file", str(path))
    assert code == 1
    assert err.startswith("error: ")
    assert "dated in the future (2999-01-01)" in err
    assert tree(layers) == before
