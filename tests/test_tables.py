"""CSV and JSON rendering."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd

from geo import schema, tables


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
