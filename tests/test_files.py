"""Atomic writes and hashing."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from geo import files
from geo.errors import OutputError


def test_file_sha256_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"resource-control" * 100_000)
    assert files.file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_write_atomic_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "out" / "a.csv"
    files.write_atomic(path, b"one")
    files.write_atomic(path, b"two")
    assert path.read_bytes() == b"two"
    assert [p.name for p in path.parent.iterdir()] == ["a.csv"]
    assert path.stat().st_mode & 0o044  # readable by others, like a normal file


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"old")

    def fail(_fd: int) -> None:
        msg = "disk full"
        raise OSError(msg)

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        files.write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_write_all_atomic_changes_nothing_if_one_file_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(b"old a")
    second.write_bytes(b"old b")
    real_stage = files.stage

    def stage(path: Path, data: bytes) -> Path:
        if path == second:
            msg = "disk full"
            raise OSError(msg)
        return real_stage(path, data)

    monkeypatch.setattr(files, "stage", stage)
    with pytest.raises(OSError, match="disk full"):
        files.write_all_atomic({first: b"new a", second: b"new b"})
    assert (first.read_bytes(), second.read_bytes()) == (b"old a", b"old b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]


def test_outputs_never_land_in_the_inputs(tmp_path: Path) -> None:
    layers = tmp_path / "layers"
    (layers / "deposits").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(layers / "deposits")
    files.check_apart(layers, tmp_path / "maps")  # apart: fine
    for out in (layers, layers / "deposits", link, layers / "new" / "deeper"):
        with pytest.raises(OutputError, match=r"^--out '.*' is inside --layers '.*': outputs would overwrite inputs"):
            files.check_apart(layers, out)
    with pytest.raises(OutputError, match=r"^--layers '.*' is inside --out '.*'"):
        files.check_apart(layers, tmp_path)


def _tree(folder: Path) -> dict[str, bytes | None]:
    return {p.relative_to(folder).as_posix(): None if p.is_dir() else p.read_bytes() for p in sorted(folder.rglob("*"))}


def _keep_all(_root: Path) -> files.Carry:
    return lambda _path, _is_dir: True


def test_exchange_swaps_two_folders_in_one_step(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "sub").mkdir(parents=True)
    (first / "sub" / "x").write_bytes(b"x")
    second.mkdir()
    (second / "y").write_bytes(b"y")
    try:
        files.exchange(first, second)
    except OSError as exc:
        if exc.errno in files.NO_EXCHANGE:
            pytest.skip(f"this file system cannot exchange two folders ({exc.strerror})")
        raise
    assert _tree(first) == {"y": b"y"}
    assert _tree(second) == {"sub": None, "sub/x": b"x"}
    with pytest.raises(FileNotFoundError):
        files.exchange(first, tmp_path / "missing")  # both must exist


@pytest.mark.parametrize("exchange", ["real", "unsupported"])
def test_replace_tree_replaces_the_folder_and_carries_what_it_is_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: str
) -> None:
    if exchange == "unsupported":

        def unsupported(_first: Path, _second: Path) -> None:
            raise OSError(errno.ENOSYS, "Function not implemented")

        monkeypatch.setattr(files, "exchange", unsupported)
    out = tmp_path / "out"
    (out / "keep").mkdir(parents=True)
    (out / "keep" / "k").write_bytes(b"kept")
    (out / "drop").write_bytes(b"dropped")
    files.replace_tree(out, {"new/n": b"n"}, lambda _root: lambda path, _is_dir: path.startswith("keep"))
    assert _tree(out) == {"keep": None, "keep/k": b"kept", "new": None, "new/n": b"n"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_replace_tree_refused_by_its_survey_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "x").write_bytes(b"x")

    def refuse(root: Path) -> files.Carry:
        assert root == out
        msg = "not mine"
        raise OutputError(msg)

    with pytest.raises(OutputError, match="not mine"):
        files.replace_tree(out, {"y": b"y"}, refuse)
    assert _tree(out) == {"x": b"x"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_swap_cut_between_its_renames_is_undone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    old = tmp_path / ".out.old-0123abcd"  # what the first rename of the fallback leaves
    old.mkdir()
    (old / "a").write_bytes(b"old")
    (tmp_path / ".out.staging-89abcdef").mkdir()  # and the new tree, which may be incomplete
    files.recover_tree(out)
    assert _tree(out) == {"a": b"old"}
    assert not old.exists()
    files.recover_tree(out)  # nothing left to do
    assert _tree(out) == {"a": b"old"}
    files.replace_tree(out, {"a": b"new"}, lambda _root: lambda _path, _is_dir: False)
    assert _tree(out) == {"a": b"new"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_two_old_copies_are_not_guessed_between(tmp_path: Path) -> None:
    for name in (".out.old-0123abcd", ".out.old-89abcdef"):
        (tmp_path / name).mkdir()
    with pytest.raises(OutputError, match=r"out: missing, and 2 earlier copies of it are beside it .*; rename the one"):
        files.replace_tree(tmp_path / "out", {"a": b"new"}, _keep_all)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.old-0123abcd", ".out.old-89abcdef"]


def test_names_leading_out_of_the_folder_are_refused(tmp_path: Path) -> None:
    for name in ("../x", "/etc/x", "a//b", "./a", "a/"):
        with pytest.raises(ValueError, match="must be a relative path"):
            files.replace_tree(tmp_path / "out", {name: b""}, _keep_all)
    assert list(tmp_path.iterdir()) == []


def test_mount_points_are_not_replaced(small_disk: Callable[[int], Path], tmp_path: Path) -> None:
    disk = small_disk(1024 * 1024)
    (disk / "x").write_bytes(b"on the disk")
    with pytest.raises(OutputError, match=r"disk0: a mount point, which the build cannot replace as a whole"):
        files.replace_tree(disk, {"a": b"new"}, _keep_all)
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["mount", "--bind", str(disk), str(out)], check=True)  # small_disk skipped if not root
    try:
        with pytest.raises(OutputError, match=r"out: a mount point"):
            files.replace_tree(out, {"a": b"new"}, _keep_all)
    finally:
        subprocess.run(["umount", str(out)], check=True)
    (out / "data").mkdir()
    subprocess.run(["mount", "--bind", str(disk), str(out / "data")], check=True)
    try:
        with pytest.raises(OutputError, match=r"out/data: a mount point inside the output folder"):
            files.replace_tree(out, {"a": b"new"}, _keep_all)
        assert _tree(disk) == {"x": b"on the disk"}
        assert sorted(p.name for p in tmp_path.iterdir()) == ["disk0", "out"]
    finally:
        subprocess.run(["umount", str(out / "data")], check=True)


def test_a_bind_mount_from_the_same_disk_inside_the_output_folder_is_found(tmp_path: Path) -> None:
    out, source = tmp_path / "out", tmp_path / "precious"
    (out / "shared").mkdir(parents=True)
    source.mkdir()
    (source / "keep.txt").write_bytes(b"precious")
    mounted = subprocess.run(["mount", "--bind", str(source), str(out / "shared")], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount here ({mounted.stderr.decode(errors='replace').strip()}): needs root")
    try:  # same device: st_dev and os.path.ismount do not tell
        with pytest.raises(OutputError, match=r"out/shared: a mount point inside the output folder"):
            files.replace_tree(out, {"a": b"new"}, _keep_all)
    finally:
        subprocess.run(["umount", str(out / "shared")], check=True)
    assert _tree(source) == {"keep.txt": b"precious"}


def test_an_old_copy_beside_an_empty_folder_is_refused_not_deleted(tmp_path: Path) -> None:
    out, old = tmp_path / "out", tmp_path / ".out.old-0123abcd"
    out.mkdir()  # made by hand after a killed swap, while the old copy waited beside it
    old.mkdir()
    (old / "notes.txt").write_bytes(b"mine")
    with pytest.raises(OutputError, match=r"empty, and an earlier copy of it, left by a build killed while swapping"):
        files.replace_tree(out, {"a": b"new"}, _keep_all)
    assert _tree(old) == {"notes.txt": b"mine"}
    assert _tree(out) == {}


def test_a_leftover_named_like_ours_but_owned_by_another_user_is_left_alone(tmp_path: Path) -> None:
    planted = tmp_path / ".out.staging-deadbeef"
    planted.mkdir()
    (planted / "f").write_bytes(b"theirs")
    try:
        os.chown(planted, 65534, 65534)
    except PermissionError:
        pytest.skip("needs root to make a folder of another user")
    files.replace_tree(tmp_path / "out", {"a": b"new"}, _keep_all)
    assert _tree(planted) == {"f": b"theirs"}
    assert _tree(tmp_path / "out") == {"a": b"new"}
