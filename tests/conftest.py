"""A tiny, hand-checkable layers folder built in code.

The world: Ukraine is the box lon 30–33, lat 48–49.
- Oblasts: UA35 "Kirovohrad" lon 30–31, UA14 "Donetsk" lon 31–32, UA23 "Zaporizhzhia" lon 32–33.
- Raions: UA3501 = UA35; UA1416 = lon 31–31.5, UA1402 = lon 31.5–32.
- Hromada UA1416021 = lon 31–31.5, lat 48–48.5; Pokrovsk city = lon 31.2–31.3, lat 48.2–48.3.
- Occupied (snapshot) = lon 31.25–32; pre-2022 zone = lon 31.75–32; grey zone (contested) = lon 31–31.25.
In an equal-area cylindrical CRS, area within one latitude band is proportional
to the longitude span, so: UA14 is 0.75 occupied (0.25 before 2022, 0.5 since),
UA1416 0.5, the hromada 0.5, the city 0.5, UA35 and UA23 0.0, the country 0.25.  The grey zone covers a
quarter of UA14, half of UA1416, the hromada and the city, and 1/12 of the country, and is never occupied.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from geo import build, schema
from tests.browsing import browser  # noqa: F401  (the Chromium fixture, for every browser test module)

DEPOSIT_HEADER = list(schema.DEPOSIT_REQUIRED)


def deposit_row(**values: str) -> dict[str, str]:
    """Return a valid deposit record with `values` overriding the defaults."""
    row = {
        "id": "D1",
        "name_en": "Deposit one",
        "name_uk": "Родовище один",
        "commodities": "coal_thermal",
        "primary_commodity": "coal_thermal",
        "status": "operating",
        "oblast": "Donetsk",
        "lat": "48.5",
        "lon": "31.6",
        "coord_precision": "site",
        "coord_uncertainty_km": "1",
        "source_name": "Test source",
        "source_url": "https://example.org/d1",
        "site_kind": "mine",
    }
    row.update(values)
    return row


DEPOSITS = [
    deposit_row(),  # occupied since 2022 (lon 31.6)
    deposit_row(id="D2", name_en="Deposit two", lon="31.9", commodities="iron_ore", primary_commodity="iron_ore"),
    deposit_row(
        id="D3",
        name_en="Lithium three",
        lon="30.5",
        oblast="Kirovohrad",
        commodities="lithium;tantalum",
        primary_commodity="lithium",
        site_kind="deposit",
    ),
    deposit_row(
        id="D4",
        name_en="Unplaced four",
        lat="",
        lon="",
        coord_precision="none",
        coord_uncertainty_km="",
        oblast="Kirovograd",
        commodities="titanium",
        primary_commodity="titanium",
    ),
    deposit_row(id="D6", name_en="Deposit six", lon="31.3", commodities="manganese", primary_commodity="manganese"),
    deposit_row(
        id="D5",
        name_en="Unplaced five",
        lat="",
        lon="",
        coord_precision="none",
        coord_uncertainty_km="",
        oblast="Donetska",
        commodities="lithium",
        primary_commodity="lithium",
    ),
]

FIGURE_HEADER = list(schema.FIGURE_REQUIRED)


def figure_row(fid: str, value: str) -> dict[str, str]:
    return {
        "id": fid,
        "figure": f"Figure {fid}",
        "value": value,
        "unit": "percent (approx.)",
        "scope": "metals",
        "as_of": "2025-02",
        "source_name": f"Source {fid}",
        "source_url": f"https://example.org/{fid}",
        "quote": f"quote {fid}",
        "measure_basis": "not stated",
    }


def _frame(rows: list[dict[str, Any]], crs: str = schema.STORAGE_CRS) -> gpd.GeoDataFrame:
    # Densify edges (0.01°) so that parallels stay parallels after reprojection.
    geoms = [shapely.segmentize(r.pop("geometry"), 0.01) for r in rows]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def write_sidecar(path: Path) -> None:
    """Write `path`'s provenance sidecar with its real sha256 (computed here, not by geo)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    sidecar = path.with_name(path.name.rsplit(".", 1)[0] + ".source.json")
    record = {
        "url": "https://example.org",
        "licence": "test",
        "credit": "test credit",
        "retrieved": "2026-11-27",
        "sha256": digest,
    }
    if path.name.startswith(schema.SNAPSHOT_PREFIX):  # a dated snapshot's sidecar also names its day
        record["snapshot_date"] = path.name.removeprefix(schema.SNAPSHOT_PREFIX).removesuffix(".geojson")
    sidecar.write_text(json.dumps(record), encoding="utf-8")


def reserve_row(deposit_id: str, quantity: str, measure: str, **values: str) -> dict[str, str]:
    """Return a valid reserve figure (Mt) with `values` overriding the defaults."""
    row = {
        "deposit_id": deposit_id,
        "quantity": quantity,
        "unit": "Mt",
        "measure": measure,
        "category": "proved + probable reserves",
        "category_class": "reserve",
        "as_of": "2020",
        "source_url": f"https://example.org/{deposit_id}",
        "quote": f"{quantity} Mt",
        "confidence": "high",
        "notes": "",
    }
    row.update(values)
    return row


#: Hand-checkable reserves: D1 coal 2 Mt and D6 manganese 3 Mt ore (occupied since 2022), D2 iron ore 1 Mt (occupied
#: before 2022), D3 lithium 0.5 Mt LCE (held), D5 lithium 2 Mt LCE (control unknown: in no share); D4 has none.  Central prices per tonne: lithium 10,000, iron ore 100,
#: manganese 200, coal 100, so the metals' value is 0.1 + 0.6 billion USD occupied of 5.7 billion: 7/57.
RESERVES = [
    reserve_row("D1", "2", "coal"),
    reserve_row("D2", "1", "ore"),
    reserve_row("D3", "0.5", "LCE"),
    reserve_row("D3", "40", "ore", confidence="low"),  # another measure: never summed with LCE
    reserve_row("D4", "", "", unit="", category="", category_class="", notes="nothing published"),
    reserve_row("D6", "3", "ore"),
    reserve_row("D5", "2", "LCE", confidence="low"),  # control unknown (no site in a partly occupied oblast): left out
]


def price_row(commodity: str, measure: str, usd: str, year: str, *, central: bool) -> dict[str, str]:
    """Return a valid price row."""
    return {
        "commodity": commodity,
        "measure": measure,
        "usd_per_t": usd,
        "year": year,
        "central": "yes" if central else "",
        "original": f"{usd} USD/t",
        "conversion": "none",
        "source_url": f"https://example.org/price/{commodity}",
        "quote": f"{year} = {usd}",
    }


PRICES = [
    price_row("lithium", "LCE", "8000", "2025", central=False),
    price_row("lithium", "LCE", "10000", "2024", central=True),
    price_row("lithium", "LCE", "20000", "2023", central=False),
    price_row("iron_ore", "ore", "100", "2024", central=True),
    price_row("manganese", "ore", "200", "2024", central=True),
    price_row("coal_thermal", "coal", "100", "2024", central=True),
]


def scenario_row(sid: str, rules: str, **values: str) -> dict[str, str]:
    """Return a valid scenario row with `values` overriding the defaults."""
    row = {
        "scenario_id": sid,
        "name_en": f"Scenario {sid}",
        "name_uk": f"Сценарій {sid}",
        "proposed": "2025-11-20",
        "source_url": "https://example.org/plan",
        "quote": "The words the rules come from.",
        "notes": "",
        "rules": rules,
    }
    row.update(values)
    return row


#: The tiny world's scenarios (Donetsk UA14 is lon 31–32, 0.75 occupied; Kirovohrad UA35 lon 30–31; Zaporizhzhia
#: UA23 lon 32–33): the line as it is; Kirovohrad ceded, Donetsk's held quarter demilitarised, Zaporizhzhia (nothing
#: occupied) returned; Donetsk returned; a 10 km demilitarised band in Donetsk.
SCENARIOS = [
    scenario_row("frozen", ""),
    scenario_row("mix", "cede:UA35; dmz:UA14; return:UA23"),
    scenario_row("back", "return:UA14"),
    scenario_row("band", "dmz@10:UA14"),
]
DEAL = [
    {"mineral": "lithium", "name_uk": "літій", "kind": "mineral", "commodity": "lithium", "notes": ""},
    {"mineral": "tantalum", "name_uk": "тантал", "kind": "mineral", "commodity": "tantalum", "notes": ""},
    {"mineral": "titanium", "name_uk": "титан", "kind": "mineral", "commodity": "titanium", "notes": ""},
    {"mineral": "oil", "name_uk": "нафта", "kind": "hydrocarbon", "commodity": "", "notes": ""},
]


def make_layers(root: Path, *, deposits: list[dict[str, str]] | None = None) -> Path:
    """Write the tiny world into `root` as a complete layers folder; return `root`."""
    files: list[Path] = []

    def vector(rel: str, frame: gpd.GeoDataFrame, layer: str | None = None) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".gpkg":
            frame.to_file(path, layer=layer, driver="GPKG")
        else:
            frame.to_file(path, driver="GeoJSON")
        files.append(path)

    vector(
        schema.OBLASTS_FILE,
        _frame(
            [
                {
                    "adm1_pcode": "UA14",
                    "name_en": "Donetsk Oblast",
                    "name_uk": "Донецька область",
                    "geometry": box(31, 48, 32, 49),
                },
                {
                    "adm1_pcode": "UA35",
                    "name_en": "Kirovohrad Oblast",
                    "name_uk": "Кіровоградська область",
                    "geometry": box(30, 48, 31, 49),
                },
                {
                    "adm1_pcode": "UA23",
                    "name_en": "Zaporizhzhia Oblast",
                    "name_uk": "Запорізька область",
                    "geometry": box(32, 48, 33, 49),
                },
            ]
        ),
    )
    vector(schema.COUNTRY_FILE, _frame([{"name": "Ukraine", "geometry": box(30, 48, 33, 49)}]))
    vector(
        schema.RAIONS_FILE,
        _frame(
            [
                {
                    "adm2_pcode": "UA3501",
                    "adm2_name_translit": "Westskyi",
                    "adm2_name_uk": "Західний район",
                    "adm1_pcode": "UA35",
                    "geometry": box(30, 48, 31, 49),
                },
                {
                    "adm2_pcode": "UA1416",
                    "adm2_name_translit": "Pokrovskyi",
                    "adm2_name_uk": "Покровський район",
                    "adm1_pcode": "UA14",
                    "geometry": box(31, 48, 31.5, 49),
                },
                {
                    "adm2_pcode": "UA1402",
                    "adm2_name_translit": "Eastskyi",
                    "adm2_name_uk": "Східний район",
                    "adm1_pcode": "UA14",
                    "geometry": box(31.5, 48, 32, 49),
                },
            ]
        ),
    )
    vector(
        schema.HROMADAS_FILE,
        _frame(
            [
                {
                    "adm3_pcode": "UA1416021",
                    "adm3_name_en_osm": "Pokrovsk urban hromada",
                    "adm3_name_translit": "Pokrovska miska hromada",
                    "adm3_name_uk": "Покровська міська громада",
                    "adm2_pcode": "UA1416",
                    "geometry": box(31, 48, 31.5, 48.5),
                }
            ]
        ),
        layer=schema.HROMADAS_LAYER,
    )
    vector(
        schema.COUNTRY_HROMADAS_FILE,
        _frame(
            [  # as Minregion's file has them: Latin look-alikes, a focus oblast's hromada (the OSM file has it), a council
                {
                    "name": "Зaхiдна",
                    "ADMIN_1": "Кіровоградська область",
                    "ADMIN_2": "Західний район",
                    "TYPE": "сільська територіальна громада",
                    "KOATUU_old": "3500000000",
                    "COD_3": "UA35010010000000001",
                    "geometry": box(30, 48, 31, 49),
                },
                {
                    "name": "Рада",
                    "ADMIN_1": "Автономна Республіка Крим",
                    "ADMIN_2": None,
                    "TYPE": "сільська рада",
                    "KOATUU_old": "0100000000",
                    "COD_3": None,
                    "geometry": box(30, 48, 30.5, 48.5),
                },
            ]
        ),
    )
    vector(
        schema.POKROVSK_FILE,
        _frame([{"name_en": "Pokrovsk", "name_uk": "Покровськ", "geometry": box(31.2, 48.2, 31.3, 48.3)}]),
        layer=schema.POKROVSK_CITY_LAYER,
    )
    vector(
        f"{schema.OCCUPATION_DIR}/{schema.SNAPSHOT_PREFIX}2026-08-22.geojson",
        _frame(
            [
                {"class": "occupied", "geometry": box(31.25, 48, 32, 49)},
                {"class": "contested", "geometry": box(31.0, 48, 31.25, 49)},  # the grey zone: never occupied
            ]
        ),
    )
    vector(schema.PRE2022_FILE, _frame([{"key": "ordlo", "geometry": box(31.75, 48, 32, 49)}]))
    # Two month-ends: in January 2025 the front stood at lon 31.5, by February 2025 at 31.25 (as the snapshot).
    for month, stamp, west in (("2025-01", "2025-01-31T20:00:00Z", 31.5), ("2025-02", "2025-02-28T20:00:00Z", 31.25)):
        vector(
            f"{schema.MONTHLY_DIR}/deepstate_{month}.geojson",
            _frame(
                [
                    {"status": "occupied_pre2022", "snapshot_utc": stamp, "geometry": box(31.75, 48, 32, 49)},
                    {"status": "occupied_post2022", "snapshot_utc": stamp, "geometry": box(west, 48, 31.75, 49)},
                ]
            ),
        )
    vector(
        schema.SINCE_FILE,
        _frame(
            [
                {"class": "dated", "since_date": "2025-02-10", "geometry": box(31.25, 48, 31.5, 49)},
                {"class": "by_2022-04-30", "since_date": None, "geometry": box(31.5, 48, 31.75, 49)},
                {"class": "pre2022", "since_date": None, "geometry": box(31.75, 48, 32, 49)},
            ]
        ),
    )
    vector(
        schema.BASEMAP_FILE,
        _frame(
            [
                {"name": "land", "kind": "land", "geometry": box(28, 46, 35, 51)},
                {"name": "Neighbouria", "kind": "country", "geometry": box(33, 48, 34, 50)},
            ]
        ),
    )

    lookup = root / schema.OBLAST_LOOKUP_FILE
    write_csv(
        lookup,
        ["adm1_pcode", "name_en", "name_uk", "name_alt"],
        [
            {
                "adm1_pcode": "UA14",
                "name_en": "Donetsk Oblast",
                "name_uk": "Донецька область",
                "name_alt": "Donetsk|Donetska",
            },
            {
                "adm1_pcode": "UA35",
                "name_en": "Kirovohrad Oblast",
                "name_uk": "Кіровоградська область",
                "name_alt": "Kirovohrad|Kirovograd",
            },
            {
                "adm1_pcode": "UA23",
                "name_en": "Zaporizhzhia Oblast",
                "name_uk": "Запорізька область",
                "name_alt": "Zaporizhia|Zaporozhye",
            },
        ],
    )
    rows = deposits if deposits is not None else [dict(d) for d in DEPOSITS]
    write_csv(root / schema.DEPOSITS_FILE, DEPOSIT_HEADER, rows)
    write_csv(
        root / schema.FIGURES_FILE,
        FIGURE_HEADER,
        [figure_row("F01", "40"), figure_row("F02", "40"), figure_row("F03", "40"), figure_row("F10", "42")],
    )
    ids = {row.get("id") for row in rows}
    write_csv(
        root / schema.RESERVES_FILE, list(schema.RESERVE_REQUIRED), [r for r in RESERVES if r["deposit_id"] in ids]
    )
    write_csv(root / schema.PRICES_FILE, list(schema.PRICE_REQUIRED), PRICES)
    write_csv(root / schema.SCENARIOS_FILE, list(schema.SCENARIO_REQUIRED), SCENARIOS)
    write_csv(root / schema.DEAL_FILE, list(schema.DEAL_REQUIRED), DEAL)
    files += [lookup, root / schema.DEPOSITS_FILE, root / schema.FIGURES_FILE, root / schema.RESERVES_FILE]
    files += [root / schema.PRICES_FILE, root / schema.SCENARIOS_FILE, root / schema.DEAL_FILE]
    for path in files:
        write_sidecar(path)
    return root


@pytest.fixture
def tiny_layers(tmp_path: Path) -> Path:
    """A complete, valid layers folder of the tiny world."""
    return make_layers(tmp_path / "layers")


@pytest.fixture
def layers_factory(tmp_path: Path) -> Callable[..., Path]:
    """Build a tiny layers folder with custom deposit rows."""

    def factory(**kwargs: Any) -> Path:
        return make_layers(tmp_path / "layers", **kwargs)

    return factory


REPO = Path(__file__).resolve().parent.parent
SHIPPED_LAYERS = REPO / "layers"

#: Fixtures that start a real outside program, and the marker each gives its tests (select with -m).
_MARKED_BY_FIXTURE = {"browser": "browser", "qgis_report": "qgis"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses Chromium or QGIS, so that ``-m "not browser and not qgis"`` leaves them out."""
    for item in items:
        for fixture, marker in _MARKED_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(scope="session")
def shipped_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Build the shipped layers once per test run, in English and Ukrainian (read-only for the tests).

    Under pytest-xdist (``-n 2``) the workers share one build: the first to
    come builds it under a lock in the run's common temporary folder, the
    others wait and read its summary.

    Returns the output folder and the summary.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        out = tmp_path_factory.mktemp("shipped_maps")
        return out, build.build(SHIPPED_LAYERS, out, languages=("en", "uk"))
    shared = tmp_path_factory.getbasetemp().parent  # this run's folder, above each worker's own
    out = shared / "shipped_maps"
    with (shared / "shipped_maps.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        summary = out / schema.SUMMARY_JSON
        if not summary.is_file():
            build.build(SHIPPED_LAYERS, out, languages=("en", "uk"))
        record: dict[str, Any] = json.loads(summary.read_text(encoding="utf-8"))
    return out, record


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Mount real tmpfs file systems of a given size (bytes) under tmp_path; unmounted afterwards (needs root)."""
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], capture_output=True, check=False
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({result.stderr.decode(errors='replace').strip()}): needs root")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", str(point)], check=False)


def add_december_2024(layers: Path) -> None:
    """Add a month-end of December 2024 to the tiny world's history: the front at lon 30.9 (30.9-32 occupied)."""
    december = layers / schema.MONTHLY_DIR / "deepstate_2024-12.geojson"
    gpd.GeoDataFrame(
        {"status": ["occupied_pre2022", "occupied_post2022"], "snapshot_utc": ["2024-12-31T20:00:00Z"] * 2},
        geometry=[shapely.segmentize(box(31.75, 48, 32, 49), 0.01), shapely.segmentize(box(30.9, 48, 31.75, 49), 0.01)],
        crs=schema.STORAGE_CRS,
    ).to_file(december, driver="GeoJSON")
    write_sidecar(december)


def as_deepstate(layers: Path) -> None:
    """Make the tiny world's occupation files DeepState's: their sidecars' credit (``test credit``) names it.

    A build compares the days of a history by whose they are (`geo.build.compute_sources`): a snapshot credited to
    anyone else is a user's file.
    """
    folder = layers / schema.OCCUPATION_DIR
    for side in [*folder.glob(f"{schema.SNAPSHOT_PREFIX}*.source.json"), *(folder / "monthly").glob("*.source.json")]:
        record = json.loads(side.read_text(encoding="utf-8"))
        record.update(credit="Source: DeepStateMap.Live", occupation_source="deepstate")
        side.write_text(json.dumps(record), encoding="utf-8")


def store_second_source(
    layers: Path, source: str, date: str, occupied: shapely.Geometry, *, leaves_out: tuple[str, ...] = ()
) -> Path:
    """Store a snapshot of another source (`source` nzz or isw) of `date` as the refresh would, in lon/lat.

    Written by the refresh's own writer (`geo.occupation.snapshot`, `geo.store.commit`): the tests that use it
    check what the build makes of a stored snapshot, not how it is written.  The tiny world's own occupation
    files become DeepState's (`as_deepstate`), so that it is DeepState's line the other source is compared with.
    """
    from geo import occupation, store  # noqa: PLC0415
    from geo.occupation import snapshot  # noqa: PLC0415

    as_deepstate(layers)

    folder = layers / schema.occupation_dir(source)
    folder.mkdir(parents=True, exist_ok=True)
    path = store.snapshot_path(folder, date)
    parsed = occupation.Parsed(occupied=occupied, pre2022=shapely.Polygon())
    data = snapshot.snapshot_bytes(parsed, properties={"version_id": None, "published_utc": None, "source": source})
    sidecar = snapshot.sidecar_for(
        data=data, file_name=path.name, url=f"{date}.json", occupation_source=source, version=None,
        published=None, snapshot_date=date, parsed=parsed, km2=0.0, check="test", changes="test",
        leaves_out=leaves_out,
    )  # fmt: skip
    store.commit(path, data, json.dumps(sidecar).encode("utf-8"))
    return path
