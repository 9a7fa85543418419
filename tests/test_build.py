"""End to end: layers/ → maps/, on the tiny world and on the shipped data."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
import shapely.geometry
from pyproj import Geod
from shapely.geometry import box

from geo import build, catalogue, cli, occupation, schema, store, update, webmap, workers
from geo.errors import ArgumentError, SourceError, ValidationError
from geo.occupation import snapshot
from tests.conftest import (
    REPO,
    deposit_row,
    make_layers,
    scenario_row,
    store_second_source,
    write_csv,
    write_sidecar,
)

#: The scenarios of the tiny world (tests/conftest.py) and of the shipped layers/scenarios/scenarios.csv, in order.
TINY_SCENARIOS = ("frozen", "mix", "back", "band")
SHIPPED_SCENARIOS = ("frozen", "us_28_points_2025", "russia_june_2024", "us_20_points_2025", "alaska_2025")


def _print_set(stem: str) -> list[str]:
    return [f"{schema.PRINT_DIR}/{stem}{suffix}" for suffix in schema.PRINT_FILES.values()]


def print_files(scenario_ids: tuple[str, ...]) -> list[str]:
    """The static maps, in the folder print/ of each language: a set per map, the scenarios map's one per scenario."""
    maps = [name for spec in catalogue.MAPS if not spec.scenarios for name in _print_set(spec.id)]
    return sorted([*maps, *(n for sid in scenario_ids for n in _print_set(catalogue.SCENARIO_PRINT_PREFIX + sid))])


def language_files(scenario_ids: tuple[str, ...]) -> list[str]:
    """The files each language has: the HTML maps, the charts, the static maps, the index of them all."""
    charts = [schema.CHART_SHARE_PNG, schema.CHART_DEPOSITS_PNG]
    return sorted([*(spec.file for spec in catalogue.MAPS), *charts, *print_files(scenario_ids), "index.html"])


def expected_files(scenario_ids: tuple[str, ...]) -> list[str]:
    """Every file an English build writes."""
    tables = [
        schema.REGIONS_CSV,
        schema.DEPOSITS_CSV,
        schema.CONTROL_CSV,
        schema.SUMMARY_JSON,
        schema.GPKG_FILE,
        schema.QGZ_FILE,
        schema.HISTORY_REGIONS_CSV,
        schema.HISTORY_DEPOSITS_CSV,
        schema.LEDGER_CSV,
        schema.HISTORY_BASES_CSV,
        schema.SCENARIOS_CSV,
        schema.SCENARIO_DEPOSITS_CSV,
    ]
    return sorted([*language_files(scenario_ids), *tables])


EXPECTED_FILES = expected_files(TINY_SCENARIOS)
LANGUAGE_FILES = language_files(TINY_SCENARIOS)


def _rows(path: Path, key: str, *, where: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        rows = [row for row in csv.DictReader(fh) if all(row[k] == v for k, v in (where or {}).items())]
    return {row[key]: row for row in rows}


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_tiny_world_end_to_end(tiny_layers: Path, tmp_path: Path) -> None:
    out = tmp_path / "maps"
    record = build.build(tiny_layers, out)

    assert _files(out) == EXPECTED_FILES
    assert record["outputs"] == EXPECTED_FILES
    regions = _rows(out / schema.REGIONS_CSV, "region_id")
    assert float(regions["UA14"]["occupied_share"]) == pytest.approx(0.75, abs=1e-6)
    assert float(regions["UA1416"]["occupied_share"]) == pytest.approx(0.5, abs=1e-6)
    assert float(regions["UA1416021"]["occupied_share"]) == pytest.approx(0.5, abs=1e-6)
    assert float(regions[schema.POKROVSK_CITY_ID]["occupied_share"]) == pytest.approx(0.5, abs=1e-6)
    assert regions["UA35"]["occupied_share"] == "0.0"
    assert float(regions["UA"]["occupied_share"]) == pytest.approx(0.25, abs=1e-6)
    ua14 = regions["UA14"]
    assert float(ua14["occupied_before_2022_km2"]) == pytest.approx(float(ua14["area_km2"]) / 4, rel=1e-6)
    # the grey zone (lon 31–31.25) is measured apart and counted in no occupied figure
    for rid, share in (("UA14", 1 / 4), ("UA1416", 1 / 2), (schema.POKROVSK_CITY_ID, 1 / 2), ("UA", 1 / 12)):
        row = regions[rid]
        assert float(row["contested_km2"]) == pytest.approx(share * float(row["area_km2"]), rel=1e-6), rid
    assert regions["UA35"]["contested_km2"] == "0.0"
    history = _rows(out / schema.HISTORY_REGIONS_CSV, "region_id", where={"date": "2026-08-22"})
    assert history["UA14"]["contested_km2"] == ua14["contested_km2"]
    assert float(history["UA14"]["occupied_share"]) == pytest.approx(0.75, abs=1e-6)

    deposits = _rows(out / schema.DEPOSITS_CSV, "id")
    assert {k: v["control_status"] for k, v in deposits.items()} == {
        "D1": schema.OCCUPIED_SINCE_2022,
        "D2": schema.OCCUPIED_BEFORE_2022,
        "D3": schema.HELD,
        "D4": schema.HELD,  # no location, but its oblast is wholly unoccupied
        "D5": schema.UNKNOWN,  # no location, oblast partly occupied
        "D6": schema.OCCUPIED_SINCE_2022,
    }
    assert deposits["D4"]["location_known"] == "False"
    assert deposits["D4"]["oblast"] == "Kirovohrad Oblast"
    assert deposits["D1"]["raion"] == "Eastskyi Raion"

    summary = json.loads((out / schema.SUMMARY_JSON).read_text(encoding="utf-8"))
    assert summary == record
    assert summary["snapshot_date"] == "2026-08-22"
    computed = summary["metals"]["comparison"][0]
    # metal records that are resources: D2 (iron ore, occupied), D3 (lithium, held), D4 (titanium, held),
    # D6 (manganese, occupied), D5 (lithium, unknown → left out): 2 of 4.
    assert computed["share"] == pytest.approx(2 / 4)
    assert computed["value"] == "2 of 4 records"
    assert [r["figure_id"] for r in summary["metals"]["comparison"]] == ["computed", "F01", "F02", "F03", "F10"]


def test_build_writes_nothing_when_input_is_bad(tmp_path: Path) -> None:
    layers = make_layers(tmp_path / "bad", deposits=[deposit_row(status="flooded")])
    out = tmp_path / "maps"
    with pytest.raises(ValueError, match="unknown status"):
        build.build(layers, out)
    assert not out.exists()


def test_same_inputs_give_the_same_bytes(tiny_layers: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    build.build(tiny_layers, first)
    build.build(tiny_layers, second)
    for name in EXPECTED_FILES:  # maps included: element ids are numbered, not random
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.fixture
def shipped(shipped_build: tuple[Path, dict[str, object]]) -> tuple[Path, dict[str, object]]:
    return shipped_build


#: What a second language adds, in its own folder: the maps, the charts and the static maps.


def test_shipped_build_writes_every_output(shipped: tuple[Path, dict[str, object]]) -> None:
    out, _ = shipped  # built with --lang en,uk
    assert len(print_files(SHIPPED_SCENARIOS)) == 6 * 4 + 5 * 4  # six maps and five scenarios, four files each
    shipped_files = language_files(SHIPPED_SCENARIOS)
    assert _files(out) == sorted([*expected_files(SHIPPED_SCENARIOS), *(f"uk/{n}" for n in shipped_files)])
    for name in _files(out):
        assert (out / name).stat().st_size > 0, name


def test_a_second_language_adds_its_folder_and_changes_no_english_output(tiny_layers: Path, tmp_path: Path) -> None:
    english_record = build.build(tiny_layers, tmp_path / "en")
    both = build.build(tiny_layers, tmp_path / "both", languages=("en", "uk"))
    for name in EXPECTED_FILES:
        if name not in (schema.SUMMARY_JSON, "index.html"):  # which list the outputs (the index links uk/index.html)
            assert (tmp_path / "en" / name).read_bytes() == (tmp_path / "both" / name).read_bytes(), name
    assert both["outputs"] == sorted([*english_record["outputs"], *(f"uk/{n}" for n in LANGUAGE_FILES)])
    page = (tmp_path / "both" / "uk" / "donetsk.html").read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="uk">')

    def in_script(html: str) -> str:  # as the page's JSON holds it
        return json.dumps(html)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e")

    assert in_script("<b>Родовище один</b>") in page  # the deposit's name_uk, in its popup
    assert "Lithium three" in page  # and the English name beside it, for search and the popup
    assert "75,0\u00a0%" in page  # Donetsk, three quarters occupied

    assert in_script("Де: Східний район, Донецька область<br>") in page  # D1's raion and oblast, in Ukrainian
    english = (tmp_path / "both" / "donetsk.html").read_text(encoding="utf-8")
    assert in_script("Where: Eastskyi Raion, Donetsk Oblast<br>") in english


def test_an_unknown_language_fails_before_anything_is_written(tiny_layers: Path, tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match="unknown language 'fr'"):
        build.build(tiny_layers, tmp_path / "maps", languages=("en", "fr"))
    assert not (tmp_path / "maps").exists()


def test_a_map_of_any_region_on_demand(tiny_layers: Path, tmp_path: Path) -> None:
    out = tmp_path / "maps"
    code = cli.build_maps(
        ["--layers", str(tiny_layers), "--out", str(out), "--map", "Східний район", "--lang", "en,uk"]
    )
    assert code == 0
    stem = "ua1402-eastskyi-raion"  # the raion UA1402 of the tiny world, "Eastskyi Raion" in English
    for folder in (out, out / "uk"):
        assert (folder / f"{stem}.html").is_file()
        for suffix in schema.PRINT_FILES.values():
            assert (folder / schema.PRINT_DIR / f"{stem}{suffix}").is_file(), suffix
    page = (out / "uk" / f"{stem}.html").read_text(encoding="utf-8")
    assert "<title>Східний район" in page
    with zipfile.ZipFile(out / schema.QGZ_FILE) as qgz:
        project = qgz.read(next(n for n in qgz.namelist() if n.endswith(".qgs"))).decode("utf-8")
    assert 'Layout name="Eastskyi Raion"' in project
    assert "Eastskyi Raion: who controls the mineral resources" in project


def test_an_unknown_region_fails_in_one_line_before_anything_is_written(
    tiny_layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "maps"
    code = cli.build_maps(["--layers", str(tiny_layers), "--out", str(out), "--map", "Eastsky Raoin"])
    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1
    assert err.startswith("error: --map 'Eastsky Raoin'")
    assert "closest: UA1402 (Eastskyi Raion, raion, in Donetsk Oblast)" in err
    assert not out.exists()


def test_shipped_known_facts(shipped: tuple[Path, dict[str, object]]) -> None:
    out, _ = shipped
    regions = _rows(out / schema.REGIONS_CSV, "region_id")
    assert float(regions[schema.KIROVOHRAD_ID]["occupied_share"]) == 0.0
    assert float(regions[schema.POKROVSK_CITY_ID]["occupied_share"]) == pytest.approx(1.0, abs=1e-4)
    # 27 oblast-level units, 136 raions, 182 focus hromadas (OSM) and 1,283 others (Minregion), Pokrovsk city.
    levels = [r["level"] for r in regions.values()]
    assert (levels.count("oblast"), levels.count("raion"), levels.count("hromada"), levels.count("city")) == (
        27,
        136,
        182 + 1_283,
        1,
    )
    # Outside the focus oblasts: Chaplynka, on the left bank of the Dnipro, has been occupied since February 2022;
    # Kherson city was liberated in November 2022.
    assert regions["UA6506029"]["name_uk"] == "Чаплинська селищна громада"
    assert float(regions["UA6506029"]["occupied_share"]) == pytest.approx(1.0, abs=1e-3)
    assert float(regions["UA6510015"]["occupied_share"]) == 0.0
    # Official reference areas (SOURCES.md, EPSG:6933): Donetsk 26 508, Zaporizhzhia 27 229, Kirovohrad 24 567 km².
    assert float(regions["UA14"]["area_km2"]) == pytest.approx(26508, abs=1)
    assert float(regions["UA23"]["area_km2"]) == pytest.approx(27229, abs=1)
    assert float(regions["UA35"]["area_km2"]) == pytest.approx(24567, abs=1)

    deposits = _rows(out / schema.DEPOSITS_CSV, "id")
    assert len(deposits) == 92
    kirovohrad_lithium = [
        d for d in deposits.values() if d["primary_commodity"] == "lithium" and d["oblast"] == "Kirovohrad Oblast"
    ]
    assert sorted(d["name_en"] for d in kirovohrad_lithium) == ["Dobra lithium site", "Polokhivske lithium deposit"]
    assert {d["control_status"] for d in kirovohrad_lithium} == {schema.HELD}
    shevchenkivske = deposits["CUR-001"]
    assert shevchenkivske["name_en"] == "Shevchenkivske lithium deposit"
    assert shevchenkivske["control_status"] == schema.OCCUPIED_SINCE_2022
    unplaced = {k: d for k, d in deposits.items() if d["location_known"] == "False"}
    assert sorted(d["name_en"] for d in unplaced.values()) == [
        "Kruta Balka lithium deposit",
        "Stremyhorod titanium deposit",
    ]


def test_shipped_summary_cites_the_published_metals_figures(shipped: tuple[Path, dict[str, object]]) -> None:
    out, _ = shipped
    summary = json.loads((out / schema.SUMMARY_JSON).read_text(encoding="utf-8"))
    comparison = {row["figure_id"]: row for row in summary["metals"]["comparison"]}
    assert comparison["F01"]["share"] == pytest.approx(0.40)
    assert comparison["F10"]["share"] == pytest.approx(0.42)
    assert "We Build Ukraine" in comparison["F02"]["quote"]
    # Recount the metals share independently from deposits.csv.
    deposits = _rows(out / schema.DEPOSITS_CSV, "id").values()
    metal = [
        d
        for d in deposits
        if set(d["commodities"].split(";")) & set(schema.METALS) and d["site_kind"] != "processing_facility"
    ]
    occupied = sum(d["control_status"].startswith("occupied") for d in metal)
    held = sum(d["control_status"] == schema.HELD for d in metal)
    assert comparison["computed"]["share"] == pytest.approx(occupied / (occupied + held), abs=1e-6)
    assert comparison["computed"]["value"] == f"{occupied} of {occupied + held} records"
    assert "count" in comparison["computed"]["basis"]
    assert summary["source_revision"].startswith("cyterat/deepstate-map-data")


def test_build_without_lithium_or_metal_records(tmp_path: Path) -> None:
    layers = make_layers(tmp_path / "layers", deposits=[deposit_row()])  # one thermal-coal mine
    record = build.build(layers, tmp_path / "maps")
    computed = record["metals"]["comparison"][0]
    assert (computed["share"], computed["value"]) == (0.0, "0 of 0 records")
    assert (tmp_path / "maps" / "lithium.html").stat().st_size > 0


def test_a_formula_in_a_name_is_neutralised_in_every_csv(tmp_path: Path) -> None:
    rows = [deposit_row(name_en='=HYPERLINK("http://evil.example","x")', source_url="https://example.org/a")]
    build.build(make_layers(tmp_path / "layers", deposits=rows), tmp_path / "maps")
    deposits = _rows(tmp_path / "maps" / schema.DEPOSITS_CSV, "id")
    assert deposits["D1"]["name_en"] == '\'=HYPERLINK("http://evil.example","x")'
    history = _rows(tmp_path / "maps" / schema.HISTORY_DEPOSITS_CSV, "id")
    assert history["D1"]["name_en"].startswith("'=")


def test_all_file_problems_are_reported_together(tmp_path: Path) -> None:
    layers = make_layers(tmp_path / "layers", deposits=[deposit_row(site_kind="Deposit")])
    figures = layers / schema.FIGURES_FILE
    figures.write_text(figures.read_text(encoding="utf-8").replace("F10,", "F11,"), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        build.build(layers, tmp_path / "maps")
    message = str(err.value)
    assert message.startswith("3 problems: ")
    assert "unknown site_kind: D1 (Deposit)" in message
    assert "missing figure: F10" in message
    assert f"sha256 in the sidecar does not match the file: {figures}" in message


def test_point_outside_every_oblast_is_refused(tmp_path: Path) -> None:
    # lon 29.5 is inside Ukraine's bounding box but west of the tiny world's oblasts.
    layers = make_layers(tmp_path / "layers", deposits=[deposit_row(), deposit_row(id="OUT", lon="29.5")])
    with pytest.raises(ValidationError) as err:
        build.build(layers, tmp_path / "maps")
    assert str(err.value) == (
        f"{layers / schema.DEPOSITS_FILE}: point outside every oblast of Ukraine: OUT (48.5, 29.5) "
        "(check the coordinates (decimal degrees, lat/lon not swapped))"
    )


def test_shipped_history_shows_known_events(shipped: tuple[Path, dict[str, object]]) -> None:
    out, _ = shipped
    with (out / schema.HISTORY_REGIONS_CSV).open(encoding="utf-8") as fh:
        share = {(r["date"], r["region_id"]): float(r["occupied_share"]) for r in csv.DictReader(fh)}
    city = {d: v for (d, rid), v in share.items() if rid == schema.POKROVSK_CITY_ID}
    # Pokrovsk city: not occupied in mid-2025, mostly occupied by the turn of 2025/26 (DeepState: 2025-11-03).
    assert city["2025-07-31"] == 0.0
    assert city["2026-01-01"] > 0.5
    # Kharkiv oblast: the September 2022 counter-offensive.
    assert share[("2022-08-31", "UA63")] - share[("2022-09-30", "UA63")] > 0.2
    deposits = _rows(out / schema.HISTORY_DEPOSITS_CSV, "id")
    assert deposits["CUR-001"]["occupied_since"].startswith("2025-")  # Shevchenkivske, taken during 2025
    assert deposits["CUR-003"]["occupied_since"] == ""  # Polokhivske, held


def _mismatched(out: Path) -> list[str]:
    summary = json.loads((out / schema.SUMMARY_JSON).read_text(encoding="utf-8"))
    return [
        name
        for name, digest in summary["output_sha256"].items()
        if hashlib.sha256((out / name).read_bytes()).hexdigest() != digest
    ]


def test_a_build_killed_at_its_swap_leaves_the_old_outputs_and_the_next_one_cleans_up(
    tiny_layers: Path, tmp_path: Path
) -> None:
    out = tmp_path / "maps"
    record = build.build(tiny_layers, out)
    assert sorted(record["output_sha256"]) == sorted(set(EXPECTED_FILES) - {schema.SUMMARY_JSON})
    before = {name: (out / name).read_bytes() for name in _files(out)}
    script = (
        "import os, signal, sys\n"
        "from geo import files\n"
        "def swap(first, second):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "files.exchange = swap\n"
        "from geo.cli import build_maps\n"
        "sys.exit(build_maps(sys.argv[1:]))\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script, "--layers", str(tiny_layers), "--out", str(out), "--near-front-km", "0"],
        capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    assert {name: (out / name).read_bytes() for name in _files(out)} == before  # the old build, whole
    (staging,) = tmp_path.glob(".maps.staging-*")  # the new one, complete, was about to be swapped in
    assert sorted(_files(staging)) == sorted(before)
    build.build(tiny_layers, out, near_front_km=0.0)
    assert _mismatched(out) == []
    assert not list(tmp_path.glob(".maps.*"))


def test_a_full_disk_leaves_the_outputs_as_they_were(
    tiny_layers: Path, small_disk: Callable[[int], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = small_disk(16 * 1024 * 1024) / "maps"
    build.build(tiny_layers, out)
    before = {name: (out / name).read_bytes() for name in _files(out)}
    (out.parent / "filler").write_bytes(b"\0" * max(0, shutil.disk_usage(out).free - 64 * 1024))
    assert cli.build_maps(["--layers", str(tiny_layers), "--out", str(out), "--near-front-km", "0"]) == 1
    assert capsys.readouterr().err == (
        f"error: {out}: cannot write the outputs (No space left on device); free some space, or pass --out DIR on "
        "another disk\n"
    )
    assert {name: (out / name).read_bytes() for name in _files(out)} == before  # as it was, no temporary file


def test_maps_rendered_in_two_processes_equal_those_rendered_in_one(tiny_layers: Path, tmp_path: Path) -> None:
    build.build(tiny_layers, tmp_path / "maps")
    inputs = build.load(tiny_layers)
    serial = webmap.render_maps(**build.map_arguments(inputs, build.compute(inputs)))
    assert workers.can_fork()  # this machine has two cores: the build took the parallel path
    for name, page in serial.items():
        assert (tmp_path / "maps" / name).read_bytes() == page, name


def test_tiny_world_shares_by_reserves_and_by_value_are_the_hand_worked_ones(tiny_layers: Path, tmp_path: Path) -> None:
    record = build.build(tiny_layers, tmp_path / "maps")
    comparison = record["metals_comparison"]
    reserves = {item["commodity"]: item for item in comparison["reserves_by_commodity"]}
    assert reserves["lithium"]["occupied_share"] == 0.0  # D3, held (its 40 Mt of ore is another measure)
    assert (reserves["lithium"]["records_with_figure"], reserves["lithium"]["records"]) == (2, 2)
    assert reserves["lithium"]["known_t"] == 500000.0  # D5's 2 Mt, of unknown control, is in no share
    assert reserves["iron_ore"]["occupied_share"] == reserves["manganese"]["occupied_share"] == 1.0
    assert reserves["titanium"]["records_with_figure"] == 0  # D4: "nothing published", not zero
    assert reserves["titanium"]["occupied_share"] is None  # no figure: no share (not 0 %)
    value = comparison["value"]
    assert value["central"] == round(7 / 57, 6)  # (0.1 + 0.6) of (0.1 + 0.6 + 5) billion USD
    assert (value["low"], value["high"]) == (round(7 / 107, 6), round(7 / 47, 6))  # lithium at 20,000 and 8,000
    assert value["records_valued"] == 4
    assert [f["figure_id"] for f in comparison["published"]] == ["F01", "F02", "F03", "F10"]
    deposits = _rows(tmp_path / "maps" / schema.DEPOSITS_CSV, "id")
    assert (deposits["D3"]["reserve_quantity"], deposits["D3"]["reserve_unit"], deposits["D3"]["reserve_measure"]) == (
        "0.5",
        "Mt",
        "LCE",
    )
    assert deposits["D4"]["reserve_quantity"] == ""
    control = _rows(tmp_path / "maps" / schema.CONTROL_CSV, "commodity", where={"region_id": "UA"})
    assert control["manganese"]["reserve_occupied_share"] == "1.0"
    assert control["lithium"]["reserve_known_t"] == "500000.0"
    assert control["metals"]["reserve_occupied_share"] == ""  # tonnes of different measures are not summed
    assert float(control["metals"]["value_occupied_share"]) == round(7 / 57, 6)


def test_the_shipped_build_puts_shevchenkivske_at_its_published_share_of_ukraines_lithium(
    shipped: tuple[Path, dict[str, object]],
) -> None:
    _, summary = shipped
    comparison = summary["metals_comparison"]
    assert isinstance(comparison, dict)
    lithium = next(item for item in comparison["reserves_by_commodity"] if item["commodity"] == "lithium")
    # Khaustov et al. (2025): Shevchenkivske 0.353 Mt LCE of Ukraine's 5.274 Mt LCE (the "about 7 %")
    assert abs(lithium["occupied_share"] - 0.353 / 5.274) < 0.001
    assert (lithium["records_with_figure"], lithium["records"]) == (3, 4)  # Kruta Balka: no figure published


def _store_day(layers: Path, day: str, occupied: shapely.Geometry, grey: shapely.Geometry) -> None:
    """Store a dated snapshot as the refresh stores it (its bytes and sidecar), of a version published that day."""
    moment = datetime.fromisoformat(f"{day}T12:00:00+00:00")
    version, published = str(int(moment.timestamp())), occupation.iso_utc(moment)
    parsed = occupation.Parsed(occupied, shapely.Polygon(), grey)
    path = store.snapshot_path(layers / schema.OCCUPATION_DIR, day)
    data = snapshot.snapshot_bytes(parsed, properties={"version_id": version, "published_utc": published})
    sidecar = snapshot.sidecar_for(
        data=data,
        file_name=path.name,
        url="https://example.org",
        occupation_source="deepstate",
        version=version,
        published=published,
        snapshot_date=day,
        parsed=parsed,
        km2=0.0,
        check="test",
        changes="test",
    )
    path.write_bytes(data)
    store.sidecar_path(path).write_text(json.dumps(sidecar), encoding="utf-8")


def test_a_daily_history_read_and_measured_in_two_processes_is_the_one_of_one_process(
    tiny_layers: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Five days of February 2025: the front moves west by 0.05° a day from lon 31.5, a 0.1° grey strip ahead of it.
    days = {f"2025-02-{20 + k}": 31.5 - 0.05 * k for k in range(5)}
    for day, west in days.items():
        _store_day(tiny_layers, day, box(west, 48, 32, 49), box(west - 0.1, 48, west, 49))
    runs = []
    for snapshots, dates in ((1, 4), (10**6, 10**6)):  # two processes for both (if the machine has two cores), one
        monkeypatch.setattr(build, "PARALLEL_SNAPSHOTS", snapshots)
        monkeypatch.setattr(build, "PARALLEL_HISTORY_DATES", dates)
        inputs = build.load(tiny_layers)
        runs.append((inputs, build.compute(inputs)))
    (apart, results), (together, alone) = runs
    assert list(apart.dated) == list(together.dated) == list(days)
    assert apart.provenance == together.provenance
    for day in days:
        pairs = zip(apart.dated[day].geometry, together.dated[day].geometry, strict=True)
        assert all(shapely.equals_exact(a, b, tolerance=0.0) for a, b in pairs)
        assert shapely.equals_exact(apart.dated_contested[day], together.dated_contested[day], tolerance=0.0)
    assert list(results.series) == list(alone.series)
    assert results.statuses.equals(alone.statuses)
    history = results.history_regions.set_index(["date", schema.REGION_ID])
    other = alone.history_regions.set_index(["date", schema.REGION_ID])
    for column in ("occupied_before_2022_km2", "occupied_since_2022_km2", "contested_km2"):
        assert history[column].to_numpy() == pytest.approx(other[column].to_numpy(), abs=1e-6)
    # by hand (equal-area CRS: area in a latitude band is proportional to the longitude span; UA14 is lon 31–32)
    for day, west in days.items():
        row = history.loc[[(day, "UA14")]].iloc[0].to_dict()
        area = float(row["area_km2"])
        assert row["occupied_since_2022_km2"] == pytest.approx((31.75 - west) * area, rel=1e-6)
        assert row["occupied_before_2022_km2"] == pytest.approx(0.25 * area, rel=1e-6)
        assert row["contested_km2"] == pytest.approx(0.1 * area, rel=1e-6)


def _maps_readme_names() -> list[str]:
    """The file names the first column of maps/README.md's table lists (its back-quoted names)."""
    rows = [
        line
        for line in (REPO / "maps" / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    ]
    return [name for row in rows for name in re.findall(r"`([^`]+)`", row.split(" | ")[0])]


def test_maps_readme_lists_every_output_and_no_other(shipped: tuple[Path, dict[str, object]]) -> None:
    out, summary = shipped
    names = _maps_readme_names()
    patterns = [
        re.compile(re.sub(r"<[a-z]+>", "[a-z0-9_-]+", re.escape(n).replace(r"\<", "<").replace(r"\>", ">")))
        for n in names
    ]
    written = [str(n) for n in summary["outputs"]]  # type: ignore[attr-defined]
    assert written == _files(out)
    for name in written:
        english = name.removeprefix("uk/")
        assert name == english or "uk/…" in names, name
        assert any(p.fullmatch(english) for p in patterns), f"maps/README.md does not list {name}"
    # and nothing it names is missing from a build, but the refresh's reports and the on-demand maps
    made = {n.removeprefix("uk/") for n in written}
    for name, pattern in zip(names, patterns, strict=True):
        if name.startswith(("refresh_report", "uk/", "<region>", "sources_", "chart_sources_")):
            continue  # the refresh's reports, the on-demand maps, and what a build writes only with a second source
        assert any(pattern.fullmatch(n) for n in made), f"maps/README.md lists {name}, which the build does not write"


def test_the_readme_figures_are_those_of_the_shipped_build(shipped: tuple[Path, dict[str, object]]) -> None:
    _, summary = shipped
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"The line is ([0-9,.]+) km long at this snapshot", readme)
    assert stated is not None
    assert float(stated.group(1).replace(",", "")) == summary["front_line_km"]


def test_the_sliders_monthly_steps_are_the_month_end_files(tmp_path: Path) -> None:
    # July 2026's month-end file is published on 2026-08-01, in the snapshot's calendar month (2026-08-22): it is a
    # month's end all the same.  The tiny world's month-ends: 2025-01-31, 2025-02-28.
    layers = make_layers(tmp_path / "layers")
    july = layers / schema.MONTHLY_DIR / "deepstate_2026-07.geojson"
    gpd.GeoDataFrame(
        {"status": ["occupied_pre2022", "occupied_post2022"], "snapshot_utc": ["2026-08-01T03:00:00Z"] * 2},
        geometry=[box(31.75, 48, 32, 49), box(31.3, 48, 31.75, 49)],
        crs=schema.STORAGE_CRS,
    ).to_file(july, driver="GeoJSON")
    write_sidecar(july)
    inputs = build.load(layers)
    arguments = build.map_arguments(inputs, build.compute(inputs), slider=[webmap.parse_slider("monthly")])
    assert sorted(arguments["series"]) == ["2025-01-31", "2025-02-28", "2026-08-01", "2026-08-22"]
    page = webmap.render_maps(**arguments, specs=[catalogue.MAPS[0]])["overview.html"].decode("utf-8")
    assert '"dates": ["2025-01-31", "2025-02-28", "2026-08-01", "2026-08-22"]' in page


# --- scenarios ---------------------------------------------------------------------------------------------------


def _scenario_build(
    layers: Path,
) -> tuple[dict[tuple[str, str], dict[str, str]], dict[tuple[str, str], dict[str, str]]]:
    """Compute the tiny world and read back scenarios.csv and scenario_deposits.csv, keyed (scenario, region / id)."""
    inputs = build.load(layers)
    tables = build.render_tables(build.compute(inputs))

    def rows(name: str, key: str) -> dict[tuple[str, str], dict[str, str]]:
        reader = csv.DictReader(tables[name].decode("utf-8").splitlines())
        return {(row["scenario_id"], row[key]): row for row in reader}

    return rows(schema.SCENARIOS_CSV, schema.REGION_ID), rows(schema.SCENARIO_DEPOSITS_CSV, "id")


def test_frozen_gives_todays_figures_exactly(tiny_layers: Path) -> None:
    areas, _deposits = _scenario_build(tiny_layers)
    regions = build.render_tables(build.compute(build.load(tiny_layers)))[schema.REGIONS_CSV].decode().splitlines()
    today = {row["region_id"]: row for row in csv.DictReader(regions)}
    frozen = {rid: row for (sid, rid), row in areas.items() if sid == "frozen"}
    assert list(frozen) == ["UA", "UA14", "UA35", "UA23", "UA1416", "UA1416021", "UA1416021-city"]
    for rid, row in frozen.items():
        assert row["area_km2"] == today[rid]["area_km2"]
        assert row["russian_controlled_km2"] == today[rid]["occupied_km2"]
        assert row["russian_controlled_share"] == today[rid]["occupied_share"]
        assert (row["ceded_km2"], row["returned_km2"], row["demilitarised_km2"]) == ("0.0", "0.0", "0.0")


def test_tiny_world_scenarios_are_the_hand_worked_ones(tiny_layers: Path) -> None:
    # The country is lon 30–33; Russia holds lon 31.25–32 today (a quarter). `mix` cedes Kirovohrad (lon 30–31),
    # demilitarises Donetsk's held part (lon 31–31.25, DeepState's grey zone there is not occupied) and returns
    # Zaporizhzhia (nothing occupied there); `back` returns Donetsk; `band` demilitarises 10 km along the line.
    areas, deposits = _scenario_build(tiny_layers)
    country = float(areas["frozen", "UA"]["area_km2"])
    mix = areas["mix", "UA"]
    assert float(mix["russian_controlled_share"]) == pytest.approx(7 / 12, abs=1e-6)
    assert float(mix["demilitarised_km2"]) == pytest.approx(country / 12, rel=1e-6)
    assert float(mix["ceded_km2"]) == pytest.approx(country / 3, rel=1e-6)
    assert float(mix["ukrainian_km2"]) == pytest.approx(country / 3, rel=1e-6)  # Zaporizhzhia
    assert float(areas["mix", "UA35"]["russian_controlled_share"]) == 1.0
    back = areas["back", "UA14"]
    assert float(back["russian_controlled_km2"]) == 0.0
    assert float(back["returned_km2"]) == pytest.approx(0.75 * float(back["area_km2"]), rel=1e-6)
    band = float(areas["band", "UA14"]["demilitarised_km2"])
    assert band == pytest.approx(10 * 111.2, rel=0.01)  # 10 km × the 111.2 km from lat 48 to 49
    moved = {(sid, i) for (sid, i), row in deposits.items() if row["changes_hands"] == "True"}
    assert moved == {("mix", "D3"), ("mix", "D4"), ("back", "D1"), ("back", "D2"), ("back", "D6")}
    assert deposits["mix", "D4"]["control_scenario"] == schema.RUSSIAN_CONTROLLED  # no coordinates: its oblast ceded
    assert deposits["back", "D5"]["control_scenario"] == schema.HELD  # unknown today, Donetsk returned whole
    assert deposits["mix", "D3"]["deal_commodities"] == "lithium;tantalum"
    assert deposits["mix", "D1"]["deal_covered"] == "False"  # coal is not on the deal's list


def test_the_summary_states_each_scenario_and_the_deal(tiny_layers: Path, tmp_path: Path) -> None:
    record = build.build(tiny_layers, tmp_path / "maps")
    block = record["scenarios"]
    assert [s["scenario_id"] for s in block["list"]] == ["frozen", "mix", "back", "band"]
    assert block["minerals_deal"]["not_covered"] == ["coal_thermal", "iron_ore", "manganese"]
    mix = block["list"][1]
    assert mix["rules"] == "cede:UA35;dmz:UA14;return:UA23"
    assert [m["id"] for m in mix["changes_hands"]] == ["D3", "D4"]
    # the deal covers D3 (lithium, tantalum), D4 (titanium), D5 (lithium): under `mix` D3 and D4 are Russian-held,
    # D5 is of unknown control, so 2 of the 2 of known control
    assert (mix["deal"]["records"], mix["deal"][schema.RUSSIAN_CONTROLLED], mix["deal"][schema.UNKNOWN]) == (3, 2, 1)
    assert mix["deal"]["russian_controlled_share"] == 1.0
    assert mix["commodities"]["lithium"][schema.RUSSIAN_CONTROLLED] == 1
    lines = cli.summary_lines(record, tmp_path / "maps")
    assert any(line.startswith("  mix ") and "58.3% of Ukraine" in line for line in lines)
    written = json.loads((tmp_path / "maps" / schema.SUMMARY_JSON).read_text(encoding="utf-8"))
    assert written["scenarios"]["list"][1]["changes_hands"][0]["to"] == schema.RUSSIAN_CONTROLLED


def _rewrite_scenarios(layers: Path, rows: list[dict[str, str]]) -> None:
    path = layers / schema.SCENARIOS_FILE
    write_csv(path, list(schema.SCENARIO_REQUIRED), rows)
    write_sidecar(path)


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ({"rules": "cede:UA99"}, "row 2 (bad): unknown region 'UA99'"),
        ({"rules": "cede:UA14; dmz:UA14"}, "row 2 (bad): region UA14 has two rules (cede and dmz)"),
        ({"rules": "dmz@0:UA14"}, "row 2 (bad): the dmz depth '0' is not a number of km above 0"),
        ({"quote": ""}, "row 2 (bad): quote is empty"),
        ({"source_url": ""}, "row 2 (bad): source_url must be the http(s) address"),
    ],
)
def test_a_bad_scenario_row_stops_the_build_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], row: dict[str, str], words: str
) -> None:
    layers = make_layers(tmp_path / "layers")
    _rewrite_scenarios(layers, [scenario_row("bad", **{"rules": "cede:UA35", **row})])
    out = tmp_path / "maps"
    out.mkdir()
    (out / "keep.txt").write_text("an earlier build", encoding="utf-8")
    assert cli.build_maps(["--layers", str(layers), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: {layers / schema.SCENARIOS_FILE} {words}")
    assert _files(out) == ["keep.txt"]


def test_a_scenario_drawn_in_a_file_is_one_more_scenario(tiny_layers: Path, tmp_path: Path) -> None:
    drawn = tmp_path / "Whole Donetsk.geojson"
    gpd.GeoDataFrame(geometry=[box(31, 48, 32, 49)], crs="EPSG:4326").to_file(drawn, driver="GeoJSON")
    record = build.build(tiny_layers, tmp_path / "maps", scenario_files=[drawn])
    item = record["scenarios"]["list"][-1]
    assert item["scenario_id"] == "whole_donetsk"
    donetsk = next(r for r in item["regions"] if r["region_id"] == "UA14")
    assert donetsk["russian_controlled_share"] == 1.0
    assert donetsk["ceded_km2"] == pytest.approx(0.25 * donetsk["area_km2"], rel=1e-4)


def test_a_drawn_scenario_outside_ukraine_stops_the_build(
    tiny_layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drawn = tmp_path / "far.geojson"
    gpd.GeoDataFrame(geometry=[box(10, 10, 11, 11)], crs="EPSG:4326").to_file(drawn, driver="GeoJSON")
    out = tmp_path / "maps"
    assert cli.build_maps(["--layers", str(tiny_layers), "--out", str(out), "--scenario-file", str(drawn)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {drawn}: no polygon lies in Ukraine; draw in lon/lat (EPSG:4326) over Ukraine\n"
    assert not out.exists()


def test_scenarios_apply_to_any_date_of_the_history(tiny_layers: Path, tmp_path: Path) -> None:
    # On 2025-01-31 the front stood at lon 31.5: Russia held half of Donetsk (lon 31.5–32), so under `back`
    # (Donetsk returned) half of it comes back, and under `mix` its held half (lon 31–31.5) is demilitarised.
    record = build.build(tiny_layers, tmp_path / "maps", scenario_date="2025-01-31")
    block = record["scenarios"]
    assert block["date"] == "2025-01-31"
    by_id = {s["scenario_id"]: {r["region_id"]: r for r in s["regions"]} for s in block["list"]}
    assert by_id["frozen"]["UA14"]["russian_controlled_share"] == 0.5
    assert by_id["back"]["UA14"]["returned_km2"] == pytest.approx(by_id["back"]["UA14"]["area_km2"] / 2, rel=1e-6)
    assert by_id["mix"]["UA14"]["demilitarised_km2"] == pytest.approx(by_id["mix"]["UA14"]["area_km2"] / 2, rel=1e-6)
    # D6 (lon 31.3) was held then: compared with that date's line, not today's
    moved = {s["scenario_id"]: [(m["id"], m["from"], m["to"]) for m in s["changes_hands"]] for s in block["list"]}
    assert ("D6", schema.HELD, schema.DEMILITARISED) in moved["mix"]
    assert [i for i, _f, _t in moved["back"]] == ["D1", "D2"]


def test_an_unknown_scenario_date_or_depth_fails_before_any_work(
    tiny_layers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "maps"
    assert cli.build_maps(["--layers", str(tiny_layers), "--out", str(out), "--scenario-date", "2025-01-30"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --scenario-date 2025-01-30: no snapshot of that day; choose one of")
    assert "2025-01-31 … 2026-08-22" in err
    assert cli.build_maps(["--layers", str(tiny_layers), "--out", str(out), "--dmz-depth", "mix2=5"]) == 1
    err = capsys.readouterr().err
    assert err == "error: --dmz-depth mix2: no such scenario with a dmz rule; choose one of mix, band\n"
    with pytest.raises(SystemExit) as usage:
        cli.build_maps(["--layers", str(tiny_layers), "--out", str(out), "--dmz-depth", "band=10000"])
    assert usage.value.code == 2
    assert "not a depth in km of at most 2,000 (Ukraine is about 1,300 km across): '10000'" in capsys.readouterr().err
    assert not out.exists()


def test_the_views_carry_each_scenarios_band_depths(tiny_layers: Path) -> None:
    inputs = build.load(tiny_layers)
    views = {v["scenario_id"]: v for v in build.scenario_views(build.compute(inputs), inputs.deal)}
    assert views["band"]["dmz_depths_km"] == [10.0]
    assert views["mix"]["dmz_depths_km"] == []  # a dmz over the whole held part has no depth


def test_a_dmz_depth_from_the_command_line_sets_the_band(tiny_layers: Path, tmp_path: Path) -> None:
    record = build.build(tiny_layers, tmp_path / "maps", dmz_depths={"band": 5.0})
    band = next(s for s in record["scenarios"]["list"] if s["scenario_id"] == "band")
    assert band["rules"] == "dmz@5:UA14"
    donetsk = next(r for r in band["regions"] if r["region_id"] == "UA14")
    assert donetsk["demilitarised_km2"] == pytest.approx(5 * 111.2, rel=0.01)


def test_shipped_scenarios_follow_their_rules(shipped: tuple[Path, dict[str, object]]) -> None:
    out, _record = shipped
    areas = _rows(out / schema.SCENARIOS_CSV, schema.REGION_ID, where={"scenario_id": "us_28_points_2025"})
    regions = _rows(out / schema.REGIONS_CSV, schema.REGION_ID)
    assert float(areas["UA44"]["russian_controlled_share"]) == 1.0  # Luhansk recognised as Russian
    assert float(areas["UA01"]["russian_controlled_share"]) == 1.0
    donetsk = areas["UA14"]
    held_today = float(regions["UA14"]["area_km2"]) - float(regions["UA14"]["occupied_km2"])
    assert float(donetsk["demilitarised_km2"]) == pytest.approx(held_today, rel=1e-3)  # the held part, all of it
    for rid in ("UA63", "UA59", "UA12", "UA48"):  # Kharkiv, Sumy, Dnipropetrovsk, Mykolaiv given back
        assert float(areas[rid]["russian_controlled_km2"]) == pytest.approx(0.0, abs=0.01)
        assert float(areas[rid]["returned_km2"]) == pytest.approx(float(regions[rid]["occupied_km2"]), rel=1e-3)
    for rid in ("UA23", "UA65"):  # Zaporizhzhia and Kherson frozen
        assert areas[rid]["russian_controlled_km2"] == regions[rid]["occupied_km2"]
    frozen = _rows(out / schema.SCENARIOS_CSV, schema.REGION_ID, where={"scenario_id": "frozen"})
    for rid, row in frozen.items():
        assert row["russian_controlled_km2"] == regions[rid]["occupied_km2"]
        assert row["russian_controlled_share"] == regions[rid]["occupied_share"]
    russia = _rows(out / schema.SCENARIOS_CSV, schema.REGION_ID, where={"scenario_id": "russia_june_2024"})
    for rid in ("UA14", "UA23", "UA44", "UA65"):
        assert float(russia[rid]["russian_controlled_share"]) == 1.0


# --- sources compared ---------------------------------------------------------------------------


def _geodesic_km2(geom: shapely.Geometry) -> float:
    """Area of a lon/lat polygon on the WGS 84 ellipsoid (pyproj's Geod, edges densified): not the code under test."""
    dense = shapely.segmentize(geom, 0.005)
    area, _ = Geod(ellps="WGS84").geometry_area_perimeter(dense)
    return abs(area) / 1e6


def test_a_second_source_is_compared_with_the_snapshot_on_its_day(tiny_layers: Path, tmp_path: Path) -> None:
    # The tiny world's DeepState snapshot of 2026-08-22 is occupied from lon 31.25 to 32 (lat 48–49), its pre-2022
    # area from 31.75 to 32.  An NZZ snapshot of that day occupies 31.5–32.5 and leaves the pre-2022 area out, so
    # the footprint is Ukraine less 31.75–32: DeepState alone shows 31.25–31.5, NZZ alone 32–32.5, both 31.5–31.75.
    store_second_source(tiny_layers, "nzz", "2026-08-22", box(31.5, 48, 32.5, 49), leaves_out=("pre2022",))
    store_second_source(tiny_layers, "nzz", "2026-07-01", box(31.5, 48, 32.5, 49), leaves_out=("pre2022",))
    out = tmp_path / "maps"
    record = build.build(tiny_layers, out)
    strip = _geodesic_km2(box(31.25, 48, 31.5, 49))  # a 0.25° strip
    rows = list(csv.DictReader((out / schema.SOURCES_COMPARE_CSV).read_text(encoding="utf-8").splitlines()))
    assert {r["date"] for r in rows} == {"2026-08-22"}  # 2026-07-01: DeepState has no snapshot of that day
    by_region = {r["region_id"]: r for r in rows}
    ukraine, donetsk, zaporizhzhia = by_region["UA"], by_region["UA14"], by_region["UA23"]
    assert (ukraine["source_a"], ukraine["source_b"], ukraine["footprint"]) == (
        "deepstate",
        "nzz",
        "ukraine_less_pre2022",
    )
    assert float(ukraine["a_only_km2"]) == pytest.approx(strip, rel=1e-3)
    assert float(ukraine["b_only_km2"]) == pytest.approx(2 * strip, rel=1e-3)
    assert float(ukraine["both_km2"]) == pytest.approx(strip, rel=1e-3)
    assert float(ukraine["agreement"]) == pytest.approx(0.25, rel=1e-3)
    assert float(donetsk["a_only_km2"]) == pytest.approx(strip, rel=1e-3)
    assert float(donetsk["b_only_km2"]) == 0.0
    assert float(donetsk["agreement"]) == pytest.approx(0.5, rel=1e-3)
    assert float(zaporizhzhia["b_only_km2"]) == pytest.approx(2 * strip, rel=1e-3)
    assert float(zaporizhzhia["agreement"]) == 0.0
    assert float(by_region["UA35"]["agreement"]) == 1.0  # neither shows anything occupied in Kirovohrad
    pair = record["sources"]["pairs"][0]
    assert (pair["date"], pair["source_a"], pair["source_b"]) == ("2026-08-22", "deepstate", "nzz")
    assert pair["agreement"] == pytest.approx(0.25, rel=1e-3)
    assert record["sources"]["credits"]["nzz"] == "NZZ, data from Liveuamap"
    assert schema.SOURCES_DEPOSITS_CSV in record["outputs"]


def test_without_a_second_source_nothing_is_compared(tiny_layers: Path, tmp_path: Path) -> None:
    out = tmp_path / "maps"
    record = build.build(tiny_layers, out)
    assert "sources" not in record
    assert not (out / schema.SOURCES_COMPARE_CSV).exists()
    assert not (out / schema.SOURCES_DEPOSITS_CSV).exists()


SECOND_SOURCES_DIR = REPO.parent / "shared" / "data" / "occupation" / "second_sources"


def _projected(geom: shapely.Geometry) -> shapely.Geometry:
    to_area = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True)
    return shapely.make_valid(
        shapely.transform(geom, lambda xy: np.column_stack(to_area.transform(xy[:, 0], xy[:, 1])))
    )


def _geojson_union(data: dict[str, Any]) -> shapely.Geometry:
    return shapely.union_all([shapely.make_valid(shapely.geometry.shape(f["geometry"])) for f in data["features"]])


def test_deepstate_and_nzz_on_2026_08_22_match_an_independent_computation(tmp_path: Path) -> None:
    sample = SECOND_SOURCES_DIR / "nzz" / "2026-08-22.json.gz"
    if not sample.is_file():
        pytest.skip(f"{sample} absent: NZZ's data may not be redistributed, so it is not in the repository")
    layers = tmp_path / "layers"
    shutil.copytree(REPO / "layers", layers)
    update.refresh(layers, tmp_path / "report", base="http://127.0.0.1:9", source="nzz", from_file=str(sample))
    inputs = build.load(layers)
    results = build.compute(inputs)
    found = build.compute_sources(inputs, results, build.list_second_sources(layers))
    assert found is not None
    row = found.compare[(found.compare["region_id"] == "UA") & (found.compare["date"] == "2026-08-22")].iloc[0]
    assert (row["source_a"], row["source_b"], row["footprint"]) == ("deepstate", "nzz", "ukraine_less_pre2022")
    # By hand: read the files with json and shapely, project with pyproj, cut both to Ukraine less the pre-2022 area.

    def read(rel: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((REPO / "layers" / rel).read_text(encoding="utf-8"))
        return data

    country = _projected(_geojson_union(read(schema.COUNTRY_FILE)))
    zone = _projected(_geojson_union(read(schema.PRE2022_FILE)))
    footprint = shapely.difference(country, zone)
    deepstate = _projected(_geojson_union(read(f"{schema.OCCUPATION_DIR}/{schema.SNAPSHOT_PREFIX}2026-08-22.geojson")))
    raw = json.loads(gzip.decompress(sample.read_bytes()))["value"]["features"]
    kept = [f for f in raw if f["properties"]["type"] in ("nochange", "gains")]
    nzz = _projected(shapely.union_all([shapely.make_valid(shapely.geometry.shape(f["geometry"])) for f in kept]))
    a, b = shapely.intersection(deepstate, footprint), shapely.intersection(nzz, footprint)
    a_only = shapely.area(shapely.difference(a, b)) / 1e6
    b_only = shapely.area(shapely.difference(b, a)) / 1e6
    both = shapely.area(shapely.intersection(a, b)) / 1e6
    assert row["a_only_km2"] == pytest.approx(a_only, rel=5e-3)
    assert row["b_only_km2"] == pytest.approx(b_only, rel=5e-3)
    assert row["both_km2"] == pytest.approx(both, rel=1e-3)
    assert row["agreement"] == pytest.approx(both / (a_only + b_only + both), abs=1e-3)


def test_a_sidecar_cannot_widen_what_a_source_is_compared_on(tiny_layers: Path, tmp_path: Path) -> None:
    # NZZ always leaves the pre-2022 area out (its entry in geo.style): a sidecar saying it leaves nothing out is
    # overruled; a sidecar with junk in leaves_out is refused with one line.
    path = store_second_source(tiny_layers, "nzz", "2026-08-22", box(31.5, 48, 32.5, 49), leaves_out=())
    record = build.build(tiny_layers, tmp_path / "maps")
    assert record["sources"]["pairs"][0]["footprint"] == "ukraine_less_pre2022"
    side = store.sidecar_path(path)
    sidecar = json.loads(side.read_text(encoding="utf-8"))
    sidecar["leaves_out"] = [1, {"a": 2}]
    side.write_text(json.dumps(sidecar), encoding="utf-8")
    with pytest.raises(SourceError, match="leaves_out must be a list of pre2022"):
        build.build(tiny_layers, tmp_path / "again")


def test_a_snapshot_in_another_sources_folder_is_refused(tiny_layers: Path, tmp_path: Path) -> None:
    path = store_second_source(tiny_layers, "nzz", "2026-08-22", box(31.5, 48, 32.5, 49), leaves_out=("pre2022",))
    moved = tiny_layers / "occupation" / "isw"
    moved.mkdir()
    target = store.snapshot_path(moved, "2026-08-22")
    target.write_bytes(path.read_bytes())
    sidecar = json.loads(store.sidecar_path(path).read_text(encoding="utf-8"))
    sidecar["file"] = target.name
    store.sidecar_path(target).write_text(json.dumps(sidecar), encoding="utf-8")
    shutil.rmtree(path.parent)
    with pytest.raises(SourceError, match="occupation_source is 'nzz', but it is stored in isw's folder"):
        build.build(tiny_layers, tmp_path / "maps")


def test_a_second_source_sharing_no_day_is_said_so(tiny_layers: Path, tmp_path: Path) -> None:
    store_second_source(tiny_layers, "nzz", "2026-07-01", box(31.5, 48, 32.5, 49), leaves_out=("pre2022",))
    record = build.build(tiny_layers, tmp_path / "maps")
    assert record["sources"]["pairs"] == []
    assert record["sources"]["dates"]["nzz"] == ["2026-07-01"]
    lines = "\n".join(cli.summary_lines(record, tmp_path / "maps"))
    assert "sources compared: none; nzz (1 days) stored, but no day two sources both have" in lines


def test_a_day_whose_snapshot_is_a_users_file_is_compared_as_that_file_not_as_deepstate(
    tiny_layers: Path, tmp_path: Path
) -> None:
    store_second_source(tiny_layers, "nzz", "2026-08-22", box(31.5, 48, 32.5, 49), leaves_out=("pre2022",))
    side = tiny_layers / schema.OCCUPATION_DIR / f"{schema.SNAPSHOT_PREFIX}2026-08-22.source.json"
    sidecar = json.loads(side.read_text(encoding="utf-8"))
    sidecar.update(credit="Source: a user-supplied file (mine.geojson)", occupation_source="file")
    side.write_text(json.dumps(sidecar), encoding="utf-8")
    record = build.build(tiny_layers, tmp_path / "maps")
    pairs = record["sources"]["pairs"]
    assert [(p["date"], p["source_a"], p["source_b"]) for p in pairs] == [("2026-08-22", "file", "nzz")]
    assert record["sources"]["credits"]["file"] == "a user-supplied file (mine.geojson)"
    assert record["sources"]["credits"]["deepstate"] == "DeepStateMap.Live"
    assert "2026-08-22" not in record["sources"]["dates"]["deepstate"]  # the month-end days stay DeepState's
