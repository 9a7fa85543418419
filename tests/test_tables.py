"""CSV and JSON rendering."""

from __future__ import annotations

import csv
import errno
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from geo import schema, tables
from geo.errors import OutputError


def _read(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_regions_csv_columns_and_rounding() -> None:
    frame = pd.DataFrame(
        {
            "name_en": ["East"],
            "name_uk": ["Схід"],
            "level": ["oblast"],
            "parent_id": ["UA"],
            "area_km2": [8218.123456],
            "occupied_km2": [4109.0617281],
            "occupied_before_2022_km2": [0.0],
            "occupied_since_2022_km2": [4109.0617281],
            "occupied_share": [0.5000000001],
            "contested_km2": [12.34567],
            "extra": ["dropped"],
        },
        index=pd.Index(["E"], name=schema.REGION_ID),
    )
    rows = _read(tables.regions_csv(frame))
    assert list(rows[0]) == list(schema.REGION_COLUMNS)
    assert rows[0]["area_km2"] == "8218.123"
    assert rows[0]["occupied_share"] == "0.5"
    assert rows[0]["occupied_before_2022_km2"] == "0.0"
    assert rows[0]["contested_km2"] == "12.346"


def test_summary_json_is_utf8_and_stable() -> None:
    record = {"name": "Покровськ", "share": 1.0}
    data = tables.summary_json(record)
    assert json.loads(data) == record
    assert "Покровськ".encode() in data
    assert data.endswith(b"\n")


def test_write_outputs_writes_every_file(tmp_path: Path) -> None:
    written = tables.write_outputs(tmp_path / "maps", {"b.csv": b"2", "a.csv": b"1"})
    assert [p.name for p in written] == ["a.csv", "b.csv"]
    assert (tmp_path / "maps" / "a.csv").read_bytes() == b"1"


def test_text_cells_a_spreadsheet_would_evaluate_are_neutralised() -> None:
    frame = pd.DataFrame(
        {
            "name_en": ['=HYPERLINK("http://x","click")', "+1+1", "@SUM(A1)", "-2+3", "Plain - name", "\tTab"],
            "net_km2": [-1.5, 2.0, -0.0, 3.0, 4.0, 5.0],
        }
    )
    rows = _read(tables._csv(frame))
    assert [r["name_en"] for r in rows] == [
        '\'=HYPERLINK("http://x","click")',
        "'+1+1",
        "'@SUM(A1)",
        "'-2+3",
        "Plain - name",
        "'\tTab",
    ]
    assert [r["net_km2"] for r in rows] == ["-1.5", "2.0", "-0.0", "3.0", "4.0", "5.0"]  # numbers are not touched


def test_outputs_in_folders_are_written_and_their_stale_files_removed(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    (out / "uk" / "print").mkdir(parents=True)
    stale = out / "uk" / "print" / ".a.png.x1y2.tmp"  # left by a build killed before its renames
    stale.write_bytes(b"half")
    tables.write_outputs(out, {"uk/print/a.png": b"png", "summary.json": b"{}"})
    assert (out / "uk" / "print" / "a.png").read_bytes() == b"png"
    assert not stale.exists()


def test_a_link_out_of_the_output_folder_is_refused(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "maps", tmp_path / "layers"
    out.mkdir()
    elsewhere.mkdir()
    (out / "uk").symlink_to(elsewhere)
    with pytest.raises(
        OutputError, match=r"1 outputs would be written outside it through a symbolic link .*uk/a\.html"
    ):
        tables.write_outputs(out, {"uk/a.html": b"page", "a.html": b"page"})
    assert list(elsewhere.iterdir()) == []
    assert list(out.iterdir()) == [out / "uk"]  # nothing written


def test_a_link_that_makes_two_outputs_one_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    out.mkdir()
    (out / "uk").symlink_to(".")  # uk/a.html would overwrite a.html
    with pytest.raises(OutputError, match="two outputs would be written to one file"):
        tables.write_outputs(out, {"uk/a.html": b"uk", "a.html": b"en"})
    assert not (out / "a.html").exists()


def test_a_stale_file_that_cannot_be_removed_is_one_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "maps"
    (out / "uk").mkdir(parents=True)
    (out / "uk" / ".a.html.x.tmp").write_bytes(b"")

    def read_only(self: Path, missing_ok: bool = False) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "unlink", read_only)
    with pytest.raises(
        OutputError, match=r"cannot write the outputs \(Read-only file system: .*\.a\.html\.x\.tmp\); pass"
    ):
        tables.write_outputs(out, {"uk/a.html": b"page"})


def test_a_file_where_a_folder_should_be_is_named(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    out.mkdir()
    (out / "uk").write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputError, match=r"\(File exists: .*uk\); a file stands where the build needs a folder"):
        tables.write_outputs(out, {"uk/a.html": b"page"})
    assert (out / "uk").read_text(encoding="utf-8") == "not a folder"
