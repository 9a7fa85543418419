"""The stored history checks itself: every reader verifies a pair, every commit is one step (geo.store)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from geo import store
from geo.errors import SourceError

DAY = "2022-04-15"
VERSION = "1650057822"  # published 2022-04-15T21:23:42Z
OTHER = "1650040000"  # also 2022-04-15


def snapshot(version: str | None, ring: str = "[[36,47],[37,47],[37,48],[36,47]]") -> bytes:
    """Bytes laid out as the refresh writes them (the first feature's properties first)."""
    properties = {"class": "occupied", **({"version_id": version} if version else {})}
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": "RING"}}
            ],
        },
        separators=(",", ":"),
    ).replace('"RING"', f"[{ring}]")
    return (text + "\n").encode()


def sidecar(data: bytes, *, day: str = DAY, version: str | None = VERSION, **extra: object) -> bytes:
    record = {
        "file": f"deepstate_occupied_{day}.geojson",
        "url": f"https://example.org/{version}",
        "licence": "test",
        "credit": "test credit",
        "retrieved": "2026-12-03",
        "version_id": version,
        "snapshot_date": day,
        "source": {"repository": "api", "path": "x", "commit": version},
        "sha256": hashlib.sha256(data).hexdigest(),
        **extra,
    }
    return json.dumps(record, indent=2).encode()


def write_pair(directory: Path, data: bytes, side: bytes, day: str = DAY) -> Path:
    path = directory / f"deepstate_occupied_{day}.geojson"
    path.write_bytes(data)
    path.with_name(f"deepstate_occupied_{day}.source.json").write_bytes(side)
    return path


def damage(path: Path) -> store.DamagedSnapshotError:
    with pytest.raises(store.DamagedSnapshotError) as caught:
        store.read(path)
    return caught.value


def test_a_sound_pair_verifies_and_keeps_its_bytes(tmp_path: Path) -> None:
    data = snapshot(VERSION)
    path = write_pair(tmp_path, data, sidecar(data))
    got = store.read(path)
    assert (got.date, got.version, got.data) == (DAY, VERSION, data)
    # another source's file (no version inside, none in the sidecar) verifies too
    plain = snapshot(None)
    assert store.read(write_pair(tmp_path, plain, sidecar(plain, version=None))).version is None


def test_a_truncated_snapshot_is_damaged_and_names_the_version_to_refetch(tmp_path: Path) -> None:
    data = snapshot(VERSION)
    path = write_pair(tmp_path, data[:40], sidecar(data))
    found = damage(path)
    assert "does not match the sha256" in found.reason
    assert found.version == VERSION  # from the sidecar
    assert str(found).startswith(f"{path}: damaged (")


def test_a_missing_sidecar_is_damaged_and_the_file_names_its_version(tmp_path: Path) -> None:
    data = snapshot(VERSION)
    path = write_pair(tmp_path, data, sidecar(data))
    store.sidecar_path(path).unlink()
    found = damage(path)
    assert found.reason == "its .source.json is missing"
    assert found.version == VERSION


def test_a_sidecar_edited_to_name_another_version_is_damaged(tmp_path: Path) -> None:
    data = snapshot(VERSION)
    record = json.loads(sidecar(data))
    path = write_pair(tmp_path, data, json.dumps({**record, "version_id": OTHER}).encode())
    found = damage(path)
    assert found.reason == f"its .source.json names version {OTHER}, the file holds version {VERSION}"
    assert found.version == VERSION  # the bytes match the recorded sha256: the file is what it says


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"snapshot_date": "2022-04-16"}, "its .source.json dates it '2022-04-16', its name 2022-04-15"),
        ({"snapshot_date": None}, "its .source.json dates it 'None', its name 2022-04-15"),
        ({"file": "deepstate_occupied_2022-04-16.geojson"}, "its .source.json is for 'deepstate_occupied_2022-04-16"),
        ({"sha256": ""}, "its .source.json lacks sha256"),
        ({"source": {"commit": OTHER}}, f"its .source.json names version {VERSION} and commit '{OTHER}'"),
    ],
)
def test_a_sidecar_that_disagrees_with_the_name_or_itself_is_damaged(
    tmp_path: Path, change: dict[str, object], reason: str
) -> None:
    data = snapshot(VERSION)
    record = {**json.loads(sidecar(data)), **change}
    assert damage(write_pair(tmp_path, data, json.dumps(record).encode())).reason.startswith(reason)


def test_a_version_published_on_another_day_is_damaged(tmp_path: Path) -> None:
    data = snapshot("1650153600")  # 2022-04-17T00:00:00Z
    found = damage(write_pair(tmp_path, data, sidecar(data, version="1650153600")))
    assert found.reason == "version 1650153600 was published on 2022-04-17, not on 2022-04-15"
    assert found.version is None  # no version of that day can be told: nothing to refetch


@pytest.mark.parametrize("side", [b"{not json", b"[1]", b"\xff\xfe"])
def test_an_unreadable_sidecar_is_damaged(tmp_path: Path, side: bytes) -> None:
    data = snapshot(VERSION)
    found = damage(write_pair(tmp_path, data, side))
    assert found.reason.startswith("its .source.json is not")
    assert found.version == VERSION


def test_names_with_impossible_dates_are_named_and_refused(tmp_path: Path) -> None:
    data = snapshot(VERSION)
    write_pair(tmp_path, data, sidecar(data))
    bad = tmp_path / "deepstate_occupied_2022-02-30.geojson"
    bad.write_bytes(data)
    (tmp_path / "deepstate_occupied_since.geojson").write_bytes(b"{}")  # no date: not a snapshot, left out
    found, problems = store.listing(tmp_path)
    assert list(found) == [DAY]
    assert problems == [
        f"{bad}: its name's date 2022-02-30 is not a calendar date; rename it (and its .source.json) to the day in "
        "its .source.json, or move both aside"
    ]
    with pytest.raises(SourceError, match="2022-02-30 is not a calendar date"):
        store.require_listing(tmp_path)


def test_scan_sorts_sound_from_damaged_and_changes_nothing(tmp_path: Path) -> None:
    data = snapshot(VERSION)
    write_pair(tmp_path, data, sidecar(data))
    other = snapshot("1650153600")
    write_pair(tmp_path, other[:-9], sidecar(other, day="2022-04-17", version="1650153600"), day="2022-04-17")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    health = store.scan(tmp_path)
    assert list(health.sound) == [DAY]
    assert list(health.damaged) == ["2022-04-17"]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_hostile_journal_is_refused_not_followed(tmp_path: Path) -> None:
    data = snapshot(VERSION)
    path = write_pair(tmp_path, data, sidecar(data))
    journal = tmp_path / f".deepstate_occupied_{DAY}.journal.json"
    (tmp_path / "secret").write_bytes(b"secret")
    moves = {path.name: "../secret", store.sidecar_path(path).name: "../secret"}
    journal.write_text(json.dumps({"moves": moves}), encoding="utf-8")
    assert "is not one the refresh wrote" in damage(path).reason
    with pytest.raises(store.DamagedSnapshotError):
        store.recover(tmp_path)
    assert (tmp_path / "secret").read_bytes() == b"secret"


#: The child commits NEW over OLD and is killed just before its `KILL_AT`-th call of one of these.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from geo import store
    path, new, side, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    calls = [0]
    def counted(real):
        def call(*args, **kwargs):
            calls[0] += 1
            if calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return call
    for name in ("open", "replace", "rename", "unlink", "fsync", "fchmod"):
        setattr(os, name, counted(getattr(os, name)))
    store.commit(path, new.read_bytes(), side.read_bytes())
    """
)


def _seen(folder: Path) -> bytes | None:
    """What every reader sees of the day: the snapshot's verified bytes, or None if the store has none."""
    found = store.require_listing(folder)
    return store.read(found[DAY]).data if DAY in found else None


@pytest.mark.parametrize("first", [False, True], ids=["replacing a pair", "a new day"])
def test_a_commit_killed_at_every_point_leaves_the_old_pair_or_the_new_one(tmp_path: Path, first: bool) -> None:
    old, new = snapshot(OTHER), snapshot(VERSION, ring="[[35,46],[37,46],[37,48],[35,46]]")
    outcomes = []
    for kill_at in range(1, 60):
        folder = tmp_path / str(kill_at)
        folder.mkdir()
        path = write_pair(folder, old, sidecar(old, version=OTHER))
        if first:  # nothing stored for the day yet
            path.unlink()
            store.sidecar_path(path).unlink()
        (tmp_path / "new").write_bytes(new)
        (tmp_path / "side").write_bytes(sidecar(new))
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), str(tmp_path / "new"), str(tmp_path / "side"), str(kill_at)],
            env=env,
            check=False,
            capture_output=True,
        )
        assert child.returncode in {0, -signal.SIGKILL}, child.stderr.decode()
        seen = _seen(folder)  # every reader, before anything is mended
        assert seen in {None if first else old, new}, kill_at
        completed = store.recover(folder)  # what the next refresh does under its lock
        store.remove_temporary(folder)
        assert _seen(folder) == seen, kill_at  # mending never flips what readers saw
        left = [path.name, store.sidecar_path(path).name] if seen else []
        assert sorted(p.name for p in folder.iterdir()) == left
        outcomes.append((seen == new, bool(completed)))
        if child.returncode == 0:
            break
    else:
        pytest.fail("the commit never finished")
    assert outcomes[0] == (False, False)  # killed at once: the old pair
    assert outcomes[-1] == (True, False)  # not killed: the new pair, nothing left to complete
    assert (True, True) in outcomes  # killed after the commit point: readers follow the journal, recover completes
    assert len(outcomes) >= 8


@pytest.mark.parametrize("version", ["999999999999", "1893456000", "0", "-1650057822", "1650057822.0", "true"])
def test_a_version_id_out_of_range_is_damage_not_a_traceback(tmp_path: Path, version: str) -> None:
    data = snapshot(VERSION)
    record = {**json.loads(sidecar(data)), "version_id": version, "sha256": "0" * 64}
    found = damage(write_pair(tmp_path, data, json.dumps(record).encode()))
    assert found.version == VERSION  # the file's own, not the out-of-range one
    record["sha256"] = hashlib.sha256(data).hexdigest()
    found = damage(write_pair(tmp_path, data, json.dumps(record).encode()))
    assert found.reason == f"its .source.json's version_id {version!r} is not a DeepState version id"


def test_a_fifo_or_a_folder_is_damage_and_never_read(tmp_path: Path) -> None:
    data = snapshot(VERSION)
    path = write_pair(tmp_path, data, sidecar(data))
    side = store.sidecar_path(path)
    side.unlink()
    os.mkfifo(side)  # reading it would block for ever
    result: list[object] = []
    reader = threading.Thread(target=lambda: result.append(store.scan(tmp_path)), daemon=True)
    reader.start()
    reader.join(timeout=30)
    assert result, "reading the store hung on a FIFO"
    health = result[0]
    assert isinstance(health, store.Health)
    assert health.damaged[DAY].reason == "deepstate_occupied_2022-04-15.source.json cannot be read (not a regular file)"
    side.unlink()
    side.mkdir()
    assert "cannot be read" in damage(path).reason


def test_a_sidecar_left_without_its_snapshot_is_a_snapshot_gone(tmp_path: Path) -> None:
    data = snapshot(VERSION)
    path = write_pair(tmp_path, data, sidecar(data))
    path.unlink()
    health = store.scan(tmp_path)
    assert health.damaged[DAY].reason == "the file is gone"
    assert health.damaged[DAY].version == VERSION  # from the sidecar: the refresh refetches it


def test_a_file_that_verifies_but_does_not_parse_is_damaged_where_the_store_is_scanned(tmp_path: Path) -> None:
    data = snapshot(VERSION)[:-20]  # cut after the first feature's properties: the version can still be read
    path = write_pair(tmp_path, data, sidecar(data))
    assert store.read(path).version == VERSION  # sha256, date and version agree
    found = store.scan(tmp_path).damaged[DAY]
    assert found.reason == "the file verifies but is not a GeoJSON FeatureCollection"
    assert found.version == VERSION


def test_stray_and_linked_journals_are_refused(tmp_path: Path) -> None:
    data = snapshot(VERSION)
    path = write_pair(tmp_path, data, sidecar(data))
    stray = tmp_path / ".deepstate_occupied_since.journal.json"
    stray.write_text("{}", encoding="utf-8")
    assert store.listing(tmp_path)[1] == [f"{stray}: not a journal the refresh writes (no day in its name); remove it"]
    with pytest.raises(store.DamagedSnapshotError, match="no day in its name"):
        store.recover(tmp_path)
    stray.unlink()
    # a journal whose temporary file is a link to a file elsewhere: never followed
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere.geojson"
    elsewhere.write_bytes(snapshot(VERSION, ring="[[30,40],[31,40],[31,41],[30,40]]"))
    link = tmp_path / f".{path.name}.abc123.tmp"
    link.symlink_to(elsewhere)
    moves = {path.name: link.name, store.sidecar_path(path).name: f".{store.sidecar_path(path).name}.abc124.tmp"}
    (tmp_path / f".deepstate_occupied_{DAY}.journal.json").write_text(json.dumps({"moves": moves}), encoding="utf-8")
    assert "cannot be read" in damage(path).reason


def test_readers_racing_a_committing_writer_never_see_damage(tmp_path: Path) -> None:
    pairs = [(d, sidecar(d, version=v)) for d, v in ((snapshot(VERSION), VERSION), (snapshot(OTHER), OTHER))]
    path = write_pair(tmp_path, *pairs[0])
    stop = threading.Event()

    def writer() -> None:
        k = 0
        while not stop.is_set():
            k += 1
            store.commit(path, *pairs[k % 2])

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        seen = {store.read(path).version for _ in range(8000)}
    finally:
        stop.set()
        thread.join(timeout=30)
    assert seen <= {VERSION, OTHER}
