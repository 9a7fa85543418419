"""The local DeepState replay: real HTTP on 127.0.0.1, a folder built in code, and the script as a user runs it."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from geo import cli, replay
from geo.errors import ArgumentError
from tests.conftest import REPO

OLD, NEW = "1700000000", "1700086400"  # 2023-11-14T22:13:20Z and a day later


def _collection(name: str) -> dict[str, Any]:
    ring = [[37.0, 47.0], [37.1, 47.0], [37.1, 47.1], [37.0, 47.0]]
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        ],
    }


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / f"{OLD}.geojson").write_text(json.dumps(_collection("old")), encoding="utf-8")
    (folder / f"{NEW}.geojson.gz").write_bytes(gzip.compress(json.dumps(_collection("new")).encode()))
    (folder / "notes.txt").write_text("not a version", encoding="utf-8")
    (folder / "12x.geojson").write_text("{}", encoding="utf-8")
    (folder / "areas.csv").write_text(
        "snapshot_id,occupied_after_24_02_2022_km2,occupied_to_24_02_2022_km2,unspecified_km2,liberated_km2\n"
        f"{NEW},70000.5,43000,,\n",
        encoding="utf-8",
    )
    return folder


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_the_replay_serves_the_listing_last_versions_and_areas_over_http(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert replay.archive_ids(folder) == [OLD, NEW]
    with replay.serve(replay.build_routes(folder)) as server:
        assert server.url.startswith("http://127.0.0.1:")
        listing = _get(f"{server.url}/history/public")
        assert [item["id"] for item in listing] == [1700000000, 1700086400]
        last = _get(f"{server.url}/history/last")
        assert last["id"] == 1700086400
        assert last["map"]["features"][0]["properties"]["name"] == "new"
        assert _get(f"{server.url}/history/{OLD}/geojson")["features"][0]["properties"]["name"] == "old"
        assert _get(f"{server.url}/history/{NEW}/areas") == [
            {"hash": "#a52714", "area": 70000.5, "type": "occupied_after_24_02_2022"},
            {"hash": "#880e4f", "area": 43000.0, "type": "occupied_to_24_02_2022"},
        ]
        for path in (f"/history/{OLD}/areas", "/history/12x/geojson"):  # no figure for OLD in areas.csv
            with pytest.raises(urllib.error.HTTPError) as missing:
                _get(f"{server.url}{path}")
            assert missing.value.code == 404
            missing.value.close()


def test_an_empty_folder_or_a_bad_areas_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match="no archived versions"):
        replay.build_routes(tmp_path)
    folder = _folder(tmp_path)
    (folder / "areas.csv").write_text("id,km2\n1,2\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match=r"areas.csv: no column .*snapshot_id"):
        replay.build_routes(folder)


def test_the_script_serves_until_stopped_and_says_how_to_point_the_refresh_at_it(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    command = [sys.executable, str(REPO / "scripts" / "replay_deepstate.py"), str(folder), "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert first.startswith(
                f"serving 2 versions (2023-11-14 → 2023-11-15; DeepState's own figures for 1) of {folder} at "
            )
            url = first.rsplit(" at ", 1)[1].strip()
            assert process.stdout.readline().strip() == (
                f"try: DEEPSTATE_API_URL={url} python3 scripts/refresh_occupation.py --since 2023-11-14"
            )
            assert _get(f"{url}/history/last")["id"] == 1700086400
        finally:
            process.send_signal(2)  # Ctrl-C
            assert process.wait(timeout=30) == 0


def test_the_script_refuses_a_missing_folder_and_a_bad_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.replay_deepstate([str(tmp_path / "nowhere")]) == 1
    assert (
        capsys.readouterr().err
        == f"error: {tmp_path / 'nowhere'}: not a folder; give the folder of <id>.geojson.gz files\n"
    )
    with pytest.raises(SystemExit) as stopped:
        cli.replay_deepstate([str(tmp_path), "--port", "70000"])
    assert stopped.value.code == 2
    assert "not a TCP port" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("cell", "said"),
    [("abc", "'abc'"), ("nan", "'nan'"), ("inf", "'inf'"), ("1e999", "'1e999'"), ("-5", "'-5'")],
)
def test_a_bad_figure_in_areas_csv_is_one_clear_error_at_start(tmp_path: Path, cell: str, said: str) -> None:
    folder = _folder(tmp_path)
    (folder / "areas.csv").write_text(
        "snapshot_id,occupied_after_24_02_2022_km2,occupied_to_24_02_2022_km2,unspecified_km2,liberated_km2\n"
        f"{NEW},{cell},43000,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ArgumentError) as caught:
        replay.build_routes(folder)
    assert str(caught.value) == (
        f"{folder / 'areas.csv'}: line 2: occupied_after_24_02_2022_km2 is {said}, not a number of km² "
        "(finite, not negative) or empty"
    )


def test_an_areas_csv_that_is_not_utf8_is_one_clear_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "areas.csv").write_bytes(b"\xff\xfesnapshot_id\n")
    with pytest.raises(ArgumentError, match="not UTF-8 text"):
        replay.build_routes(folder)


def test_links_padded_ids_and_damaged_files_are_not_served_as_versions(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    secret = tmp_path / "secret.geojson"
    secret.write_text('{"secret": true}', encoding="utf-8")
    (folder / "1700172800.geojson").symlink_to(secret)
    (folder / f"000{OLD}.geojson").write_text("{}", encoding="utf-8")
    (folder / "1700259200.geojson.gz").write_bytes(b"\x1f\x8b not gzip at all")
    assert replay.archive_ids(folder) == [OLD, NEW, "1700259200"]
    with replay.serve(replay.build_routes(folder)) as server:
        with pytest.raises(urllib.error.HTTPError) as failed:
            _get(f"{server.url}/history/1700259200/geojson")
        assert failed.value.code == 500
        assert failed.value.read().startswith(b"cannot read this version: ")
        failed.value.close()
        assert _get(f"{server.url}/history/{OLD}/geojson")["features"][0]["properties"]["name"] == "old"  # serves on


def test_a_file_swapped_for_a_link_after_the_start_is_not_followed(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    outside = tmp_path / "outside.json"
    outside.write_text('{"secret": true}', encoding="utf-8")
    with replay.serve(replay.build_routes(folder, keep=False)) as server:
        (folder / f"{OLD}.geojson").unlink()
        (folder / f"{OLD}.geojson").symlink_to(outside)
        with pytest.raises(urllib.error.HTTPError) as failed:
            _get(f"{server.url}/history/{OLD}/geojson")
        assert failed.value.code == 500
        assert b"secret" not in failed.value.read()
        failed.value.close()


def test_a_damaged_plain_file_and_an_oversized_packed_one_are_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / f"{OLD}.geojson").write_text('{"type": "Feat', encoding="utf-8")
    with replay.serve(replay.build_routes(folder, keep=False)) as server:
        with pytest.raises(urllib.error.HTTPError) as failed:
            _get(f"{server.url}/history/{OLD}/geojson")
        assert failed.value.code == 500
        failed.value.close()
    bomb = tmp_path / "1700000000.geojson.gz"
    bomb.write_bytes(gzip.compress(b" " * 5_000 + b"{}"))  # 5 KB unpacked from a few dozen bytes
    with pytest.raises(OSError, match=r"is over 1,000 bytes \(unpacked\)"):
        replay.read_version(bomb, limit=1_000)
    assert replay.read_version(bomb, limit=10_000).endswith(b"{}")


def test_areas_csv_with_a_bom_is_read_and_a_repeated_or_unreadable_one_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    header = "snapshot_id,occupied_after_24_02_2022_km2,occupied_to_24_02_2022_km2,unspecified_km2,liberated_km2\n"
    (folder / "areas.csv").write_text("\ufeff" + header + f"{NEW},1,2,,\n", encoding="utf-8")
    assert list(replay.areas_rows(folder)) == [NEW]
    (folder / "areas.csv").write_text(header + f"{NEW},1,2,,\n{NEW},3,4,,\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match=f"line 3: snapshot_id '{NEW}' again"):
        replay.areas_rows(folder)
    (folder / "areas.csv").write_text(header + f"{NEW},1_000,2,,\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match="'1_000', not a number of km²"):
        replay.areas_rows(folder)
    (folder / "areas.csv").write_text(header + f'{NEW},"{"9" * 200_000}",2,,\n', encoding="utf-8")
    with pytest.raises(ArgumentError, match="not a readable CSV"):
        replay.areas_rows(folder)


def test_a_file_named_by_an_id_deepstate_cannot_have_is_ignored(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "5.geojson").write_text("{}", encoding="utf-8")
    (folder / f"{'9' * 20}.geojson").write_text("{}", encoding="utf-8")
    assert replay.archive_ids(folder) == [OLD, NEW]


def test_the_figures_may_come_from_a_file_beside_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path)
    (folder / "areas.csv").unlink()
    figures = tmp_path / "deepstate_api_areas_history.csv"  # as ../shared/data/occupation keeps them
    figures.write_text(
        "snapshot_id,occupied_after_24_02_2022_km2,occupied_to_24_02_2022_km2,unspecified_km2,liberated_km2\n"
        f"{OLD},60000,43000,,\n1600000000,1,2,,\n",
        encoding="utf-8",
    )
    with replay.serve(replay.build_routes(folder, areas_file=figures)) as server:
        assert _get(f"{server.url}/history/{OLD}/areas")[0] == {
            "hash": "#a52714",
            "area": 60000.0,
            "type": "occupied_after_24_02_2022",
        }
    assert cli.replay_deepstate([str(folder), "--areas", str(tmp_path / "none.csv")]) == 1
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'none.csv'}: no such file; ")
