"""Atomic writes and hashing."""

from __future__ import annotations

import hashlib
import os
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
