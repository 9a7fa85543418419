"""The command line: exit codes and exact error lines."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest

from geo import cli, schema
from tests.conftest import REPO, deposit_row, make_layers, write_sidecar


def _run(layers: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = cli.build_maps(["--layers", str(layers), "--out", str(out), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_success_prints_the_focus_regions_and_metals(
    tiny_layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(tiny_layers, tmp_path / "maps", capsys)
    assert (code, err) == (0, "")
    assert "Donetsk Oblast" in out
    assert " 75.0% occupied" in out
    assert "F01" in out
    # 18 + scenarios.html, scenarios.csv, scenario_deposits.csv + 6 static map sets + one per scenario (4) + index.html
    assert f"wrote {18 + 3 + 6 * 4 + 4 * 4 + 1} files to {tmp_path / 'maps'}" in out
    assert "  mix                    58.3% of Ukraine (14,381 km²; +8,218 ceded, -0 returned); 2,054 km²" in out


def test_bad_deposit_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layers = make_layers(tmp_path / "layers", deposits=[deposit_row(), deposit_row(id="BAD-1", lat="abc")])
    code, out, err = _run(layers, tmp_path / "maps", capsys)
    path = layers / schema.DEPOSITS_FILE
    assert code == 1
    assert out == ""
    assert err == f"error: {path}: lat/lon not a number: BAD-1 (abc, 31.6) (write decimal degrees, e.g. 47.90934)\n"
    assert not (tmp_path / "maps").exists()


def test_missing_file(tiny_layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tiny_layers / schema.FIGURES_FILE
    path.unlink()
    code, _, err = _run(tiny_layers, tmp_path / "maps", capsys)
    assert code == 1
    assert err == (
        f"error: {path}: file not found; restore it from the repository or pass --layers DIR with a complete layers folder\n"
    )


def test_layer_in_the_wrong_crs(tiny_layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tiny_layers / schema.OBLASTS_FILE
    projected = gpd.read_file(path).to_crs("EPSG:3857")
    path.unlink()
    projected.to_file(path, driver="GeoJSON")
    write_sidecar(path)  # a correctly documented file, only in the wrong CRS
    code, _, err = _run(tiny_layers, tmp_path / "maps", capsys)
    assert code == 1
    assert err == (
        f"error: {path}: CRS is EPSG:3857, expected EPSG:4326: whole file "
        "(reproject it, e.g. ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson)\n"
    )


def test_changed_file_without_new_provenance(
    tiny_layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tiny_layers / schema.DEPOSITS_FILE
    path.write_bytes(path.read_bytes() + b"\n")
    code, _, err = _run(tiny_layers, tmp_path / "maps", capsys)
    assert code == 1
    assert err.startswith(f"error: sha256 in the sidecar does not match the file: {path} (file is ")
    assert err.endswith("(restore the original file, or record the new source and sha256 in its .source.json)\n")


def test_unknown_snapshot(tiny_layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(tiny_layers, tmp_path / "maps", capsys, "--snapshot", "2022-02-24")
    assert code == 1
    assert err == f"error: {tiny_layers / 'occupation'}: no occupation snapshot for 2022-02-24; available: 2026-08-22\n"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--snapshot", "yesterday"], "not an ISO date (YYYY-MM-DD): 'yesterday'"),
        (["--snapshot", "2026-13-45"], "not an ISO date (YYYY-MM-DD): '2026-13-45'"),
        (["--near-front-km", "nan"], "not a distance in km (a number >= 0): 'nan'"),
        (["--near-front-km", "-5"], "not a distance in km (a number >= 0): '-5'"),
        (["--near-front-km", "inf"], "not a distance in km (a number >= 0): 'inf'"),
        (["--lang", "fr"], "argument --lang: 'fr': choose one or more languages of en, uk, separated by commas"),
        (["--lang", ""], "argument --lang: '': choose one or more languages of en, uk"),
    ],
)
def test_usage_error_exits_2(args: list[str], complaint: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.build_maps(args)
    assert exc.value.code == 2
    assert complaint in capsys.readouterr().err


def test_a_slider_rule_matching_no_snapshot_stops_the_build(
    tiny_layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the tiny world's history: month-ends 2025-01-31 and 2025-02-28, the snapshot 2026-08-22
    out = tmp_path / "maps"
    code, printed, err = _run(tiny_layers, out, capsys, "--slider", "monthly", "--slider", "daily:2030-01-01")
    assert (code, printed) == (1, "")
    assert err == (
        "error: --slider 'daily:2030-01-01': no snapshot of the history is in that period "
        "(the history: 2025-01-31 to 2026-08-22, 3 dates)\n"
    )
    assert not out.exists()  # nothing written


def test_out_is_a_file(tiny_layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "maps"
    out.write_text("not a folder", encoding="utf-8")
    code, _, err = _run(tiny_layers, out, capsys)
    assert code == 1
    assert err == (
        f"error: {out}: cannot write the outputs (File exists: {out}); "
        "a file stands where the build needs a folder: move it away, or pass another --out DIR\n"
    )
    assert out.read_text(encoding="utf-8") == "not a folder"


def test_empty_csv(tiny_layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tiny_layers / schema.FIGURES_FILE
    path.write_bytes(b"")
    code, _, err = _run(tiny_layers, tmp_path / "maps", capsys)
    assert code == 1
    assert err.startswith(f"error: {path}: not a readable CSV (")
    assert err.count("\n") == 1


def test_the_script_is_a_thin_entry_point(tmp_path: Path) -> None:
    layers = make_layers(tmp_path / "layers", deposits=[deposit_row(status="flooded")])
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "build_maps.py"),
            "--layers",
            str(layers),
            "--out",
            str(tmp_path / "m"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {layers / schema.DEPOSITS_FILE}: unknown status: D1 (flooded)")
    assert result.stderr.count("\n") == 1


def test_out_inside_layers_is_refused_by_both_scripts(tiny_layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: p.read_bytes() for p in tiny_layers.rglob("*") if p.is_file()}
    out = tiny_layers / "deposits"
    assert cli.build_maps(["--layers", str(tiny_layers), "--out", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"error: --out {str(out)!r} is inside --layers {str(tiny_layers)!r}: outputs would overwrite inputs; "
        "pick a folder outside it\n"
    )
    assert cli.refresh_occupation(["--layers", str(tiny_layers), "--out", str(tiny_layers)], environ={}) == 1
    assert "is inside --layers" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in tiny_layers.rglob("*") if p.is_file()} == before


def test_a_cell_with_a_line_break_gives_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layers = make_layers(tmp_path / "layers", deposits=[deposit_row(site_kind="Deposit\nevil: \x1b[31mred")])
    assert cli.build_maps(["--layers", str(layers), "--out", str(tmp_path / "maps")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "\x1b" not in err
    assert "unknown site_kind: D1 (Deposit\\x0aevil: \\x1b[31mred)" in err


def test_a_closed_pipe_on_stdout_is_no_traceback(tiny_layers: Path, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "build_maps.py"), "--layers", str(tiny_layers), "--out", str(tmp_path / "m")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()  # as `… | head -0` would
    err = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=300) == 141, err
    assert "Traceback" not in err
    assert (tmp_path / "m" / "summary.json").exists()  # the outputs were written before the printing


def test_the_package_imports_where_there_is_no_fcntl() -> None:
    # Windows has no fcntl: only the refresh's lock needs it, when it runs
    code = "import sys; sys.modules['fcntl'] = None; import geo.cli, geo.build, geo.update; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr


@pytest.mark.parametrize("script", ["build_maps", "refresh_occupation"])
def test_the_scripts_name_only_options_their_parser_knows(script: str) -> None:
    docstring = (REPO / "scripts" / f"{script}.py").read_text(encoding="utf-8").split('"""')[1]
    helped = subprocess.run(
        [sys.executable, f"scripts/{script}.py", "--help"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    named = set(re.findall(r"--[a-z][a-z-]+", docstring))
    assert named <= set(re.findall(r"--[a-z][a-z-]+", helped)) | {"--help"}


def test_help_does_not_import_the_heavy_libraries() -> None:
    code = (
        "import sys; from geo import cli\n"
        "try:\n    cli.build_maps(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('geopandas', 'folium', 'matplotlib', 'pandas') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def _summary_record() -> dict[str, Any]:
    value = {"low": 0.4, "central": 0.5, "high": 0.625, "records_valued": 3, "records": 7, "low_confidence": 1}
    return {
        "snapshot_date": "2026-08-22",
        "source_revision": "rev",
        "history": {
            "count": 4,
            "first": "2022-04-30",
            "last": "2026-08-22",
            "snapshot": "2026-08-22",
            "month_end_files": {"count": 2, "first": "2022-04-30", "last": "2022-05-31"},
            "dated_snapshots": {"count": 1, "first": "2026-08-21", "last": "2026-08-21"},
            "longest_gap_days": 1543,
        },
        "ukraine": {"occupied_share": 0.25, "occupied_km2": 150.0, "area_km2": 600.0},
        "focus_regions": [
            {
                "name_en": "Donetsk Oblast",
                "occupied_share": 0.801,
                "occupied_km2": 21222.5,
                "area_km2": 26507.8,
                "deposits": {"occupied_since_2022": 15, "occupied_before_2022": 5, "held_by_ukraine": 5, "unknown": 0},
            },
        ],
        "metals_comparison": {
            "count": {"share": 0.1875, "occupied_records": 6, "known_records": 32},
            "value": value,
            "value_without_low_confidence_figures": {**value, "low": 0.05, "central": 0.1, "low_confidence": 0},
            "reserves_by_commodity": [
                {
                    "commodity": "lithium",
                    "measure": "LCE",
                    "records": 4,
                    "records_with_figure": 3,
                    "low_confidence": 0,
                    "occupied_share": 0.0669,
                },
                {
                    "commodity": "titanium",
                    "measure": "TiO2",
                    "records": 4,
                    "records_with_figure": 0,
                    "low_confidence": 0,
                    "occupied_share": None,
                },
            ],
        },
        "metals": {
            "comparison": [
                {"figure_id": "computed", "share": 0.1875, "value": "", "source_name": "us", "basis": "count"},
                {
                    "figure_id": "F10",
                    "share": 0.42,
                    "value": "42",
                    "basis": "not stated in article (SecDev total is by dollar value)",
                    "source_name": "The Washington Post, 10 Aug 2022 (analysis by SecDev, Canada) "
                    "with a very long tail of words that goes on and on past the width",
                },
            ]
        },
        "outputs": ["a", "b"],
    }


def test_the_summary_states_every_basis_and_the_history_dates_and_cuts_nothing() -> None:
    lines = cli.summary_lines(_summary_record(), Path("maps"))
    text = "\n".join(lines)
    assert all(len(line) <= cli.SUMMARY_WIDTH for line in lines)
    assert "…" not in text
    joined = " ".join(" ".join(lines).split())  # the wrapped lines read as one text
    assert (
        "history: 4 dates 2022-04-30 → 2026-08-22 (2 month-end files 2022-04-30 → 2022-05-31; 1 dated snapshots "
        "2026-08-21 → 2026-08-21; the snapshot 2026-08-22; longest gap 1543 days)"
    ) in joined
    assert "by count 19%, 6 of 32 records of known control" in joined
    assert "by value 50% (40%–62%), 3 of 7 records valued, 1 on low-confidence figures" in joined
    assert "without low-confidence figures: 10% (5%–62%), 3 of 7 records valued" in joined
    assert "Donetsk Oblast 80.1% occupied ( 21,222 of 26,508 km²); deposits 20 occupied, 5 held, 0 unknown" in joined
    assert "by reserves lithium 7% (LCE, 3 of 4 with a figure); titanium — (no TiO2 figure in 4)" in joined
    assert (
        "F10 42% The Washington Post, 10 Aug 2022 (analysis by SecDev, Canada) with a very long tail of words that "
        "goes on and on past the width (basis: not stated in article (SecDev total is by dollar value))"
    ) in joined
    assert "compare it with the value basis above, not the count" in joined
    assert lines[-1] == "wrote 2 files to maps"


def test_the_summary_of_a_record_without_bases_or_history_still_prints() -> None:
    record = _summary_record()
    del record["history"], record["metals_comparison"]
    text = "\n".join(cli.summary_lines(record, Path("maps")))
    assert "history:" not in text
    assert "by value" not in text
    assert "F10" in text


def test_the_summary_prints_no_control_character_from_data_or_the_command_line() -> None:
    record = _summary_record()
    record["source_revision"] = None
    record["metals"]["comparison"][1].update(share=None, value="\x1b[5mBLINK", figure_id="F\x1b[31m1")
    record["focus_regions"][0]["name_en"] = "Evil\x1b[2J\nOblast"
    lines = cli.summary_lines(record, Path("ma\x1bps\nx"))
    text = "\n".join(lines)
    assert "\x1b" not in text
    assert all(line.isprintable() for line in lines)
    assert lines[:2] == ["snapshot 2026-08-22, source revision:", "  none recorded"]
    assert lines[-1] == "wrote 2 files to ma\\x1bps\\x0ax"
