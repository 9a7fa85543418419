"""Validation: every problem collected, one error, exact messages."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from geo import schema, sources, validate
from geo.errors import ValidationError
from tests.conftest import DEPOSIT_HEADER, deposit_row, write_csv


def _records(tmp_path: Path, rows: list[dict[str, str]]) -> pd.DataFrame:
    path = tmp_path / "deposits.csv"
    write_csv(path, DEPOSIT_HEADER, rows)
    return sources.read_deposits(path)


def _ok_oblasts(records: pd.DataFrame) -> pd.Series:
    return pd.Series(["UA14"] * len(records), index=records.index)


def test_valid_deposits_pass(tmp_path: Path) -> None:
    records = _records(tmp_path, [deposit_row(), deposit_row(id="D2", lat="", lon="", coord_precision="none")])
    validate.check_deposits(records, oblast_ids=_ok_oblasts(records))


def test_one_bad_row_gives_one_exact_message(tmp_path: Path) -> None:
    records = _records(tmp_path, [deposit_row(), deposit_row(id="BAD-1", lat="forty-eight")])
    with pytest.raises(ValidationError) as err:
        validate.check_deposits(records, oblast_ids=_ok_oblasts(records))
    assert str(err.value) == (
        f"{tmp_path / 'deposits.csv'}: lat/lon not a number: BAD-1 (forty-eight, 31.6) "
        "(write decimal degrees, e.g. 47.90934)"
    )


def test_every_problem_is_collected(tmp_path: Path) -> None:
    rows = [
        deposit_row(id="A", commodities="unobtainium", primary_commodity="unobtainium"),
        deposit_row(id="A", status="flooded"),
        deposit_row(id="C", lat="31.6", lon="48.5"),  # swapped
        deposit_row(id="D", lat="", coord_precision="site"),
        deposit_row(id="E", source_url="javascript:alert(1)"),
    ]
    records = _records(tmp_path, rows)
    oblasts = pd.Series(["UA14", "UA14", None, "UA14", "UA14"], index=records.index)
    with pytest.raises(ValidationError) as err:
        validate.check_deposits(records, oblast_ids=oblasts)
    message = str(err.value)
    assert message.startswith("7 problems: ")
    assert "\n" not in message
    for part in (
        "duplicate id: A (ids must be unique)",
        "unknown commodity: A (unobtainium)",
        "unknown status: A (flooded) (use one of: operating,",
        "lat/lon outside Ukraine's box (22.0, 44.0, 40.5, 52.5): C (31.6, 48.5) (check for swapped lat and lon)",
        "only one of lat/lon given: D",
        "unknown oblast: C (Donetsk)",
        "source_url not an http(s) URL: E",
    ):
        assert part in message, part


def test_ids_are_capped_at_ten(tmp_path: Path) -> None:
    rows = [deposit_row(id=f"X{i:02d}", status="flooded") for i in range(12)]
    records = _records(tmp_path, rows)
    with pytest.raises(ValidationError, match=r"X09 \(flooded\) \(\+2 more\)"):
        validate.check_deposits(records, oblast_ids=_ok_oblasts(records))


def _regions(crs: str = schema.STORAGE_CRS, ids: tuple[str, ...] = ("UA14", "UA35")) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"name_en": list(ids)}, geometry=[box(31, 48, 32, 49), box(30, 48, 31, 49)], index=pd.Index(ids), crs=crs
    )
    frame.attrs["source"] = "regions.geojson"
    return frame


def test_wrong_crs_is_reported() -> None:
    frame = _regions().to_crs("EPSG:3857")
    with pytest.raises(ValidationError) as err:
        validate.check_regions([frame])
    assert str(err.value) == (
        "regions.geojson: CRS is EPSG:3857, expected EPSG:4326: whole file "
        "(reproject it, e.g. ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson)"
    )


def test_regions_outside_ukraine_and_duplicates() -> None:
    frame = _regions(ids=("UA14", "UA14"))
    frame.geometry = [box(31, 48, 32, 49), box(48, 31, 49, 32)]
    with pytest.raises(ValidationError) as err:
        validate.check_regions([frame], required_ids=("UA14", "UA23"))
    message = str(err.value)
    assert "geometry outside the box (22.0, 44.0, 40.5, 52.5): UA14" in message
    assert "duplicate id: UA14" in message
    assert "region missing from the boundary layers: UA23" in message


def test_a_region_without_a_name_in_either_language_is_reported() -> None:
    frame = _regions(ids=("UA14", "UA35")).assign(name_uk=["Донецька область", "\u202e\u200b"])
    frame.loc["UA14", "name_en"] = None
    with pytest.raises(ValidationError) as err:
        validate.check_regions([frame])
    assert str(err.value) == (
        "2 problems: regions.geojson: no name_en: UA14 (give every region its official name in both languages); "
        "regions.geojson: no name_uk: UA35 (give every region its official name in both languages)"
    )


def test_repair_geometries_fixes_and_reports() -> None:
    bowtie = Polygon([(30, 48), (31, 49), (31, 48), (30, 49), (30, 48)])
    frame = _regions()
    frame.geometry = [bowtie, box(30, 48, 31, 49)]
    assert not frame.geometry.is_valid.all()
    fixed, notes = validate.repair_geometries(frame)
    assert fixed.geometry.is_valid.all()
    assert fixed.geometry["UA14"].area == pytest.approx(0.5)  # two triangles of 0.25 each
    assert notes == ["regions.geojson: repaired 1 invalid geometries with make_valid: UA14"]
    assert not frame.geometry.is_valid.all()  # input unchanged


def test_repair_geometries_is_a_no_op_on_valid_input() -> None:
    frame = _regions()
    fixed, notes = validate.repair_geometries(frame)
    assert fixed is frame
    assert notes == []


def test_check_figures_requires_the_cited_ids() -> None:
    figures = pd.DataFrame(
        {c: ["x", "y"] for c in schema.FIGURE_REQUIRED} | {"id": ["F01", "F01"]},
    )
    figures.attrs["source"] = "figures.csv"
    with pytest.raises(ValidationError) as err:
        validate.check_figures(figures, required_ids=("F01", "F10"))
    assert str(err.value) == (
        "2 problems: figures.csv: duplicate id: F01 (ids must be unique); "
        "figures.csv: missing figure: F10 (restore these published figures)"
    )


def test_check_provenance() -> None:
    good = {"url": "u", "licence": "l", "credit": "c", "retrieved": "r", "sha256": "aa"}
    provenance = pd.DataFrame(
        {
            "sidecar": [good, None, {**good, "sha256": "bb"}, {"sha256": "aa"}],
            "sha256": ["aa", "aa", "aa", "aa"],
        },
        index=["a.csv", "b.csv", "c.csv", "d.csv"],
    )
    with pytest.raises(ValidationError) as err:
        validate.check_provenance(provenance)
    assert str(err.value) == (
        "3 problems: data file without a .source.json sidecar: b.csv "
        "(add <name>.source.json with url, licence, credit, retrieved, sha256); "
        "sidecar lacks keys: d.csv (url, licence, credit, retrieved) "
        "(a sidecar needs url, licence, credit, retrieved, sha256); "
        "sha256 in the sidecar does not match the file: c.csv (file is aa) "
        "(restore the original file, or record the new source and sha256 in its .source.json)"
    )


def _reserves(*rows: dict[str, str]) -> pd.DataFrame:
    base = dict.fromkeys(schema.RESERVE_REQUIRED, "")
    good = {
        "deposit_id": "D1",
        "quantity": "1.257",
        "unit": "Mt",
        "measure": "LCE",
        "category": "JORC Code (2012) mineral resources",
        "category_class": "resource",
        "as_of": "2025",
        "source_url": "https://example.org/paper",
        "quote": "1,257 млн т LCE",
        "confidence": "high",
    }
    frame = pd.DataFrame([{**base, **good, **row} for row in rows], dtype=str)
    frame.attrs["source"] = "reserves.csv"
    return frame


def test_good_reserve_figures_and_a_row_saying_none_was_found_pass() -> None:
    validate.check_reserves(
        _reserves({}, {"quantity": "", "unit": "", "measure": "", "notes": "nothing published: searched …"}),
        deposit_ids=["D1"],
    )


def test_every_problem_of_the_reserve_figures_is_reported_at_once() -> None:
    frame = _reserves(
        {"deposit_id": "D9"},
        {"quantity": "1,257"},
        {"quantity": "0"},
        {"quantity": "1e300"},
        {"quantity": "inf"},
        {"unit": "tonnes", "measure": "lithium", "confidence": "sure"},
        {"source_url": "javascript:alert(1)", "quote": ""},
        {"quantity": "", "notes": ""},
    )
    with pytest.raises(ValidationError) as err:
        validate.check_reserves(frame, deposit_ids=["D1"])
    message = str(err.value)
    assert message.startswith("9 problems: ")
    for part in (
        "reserves.csv: unknown deposit_id: row 2 (use an id of deposits.csv)",
        "quantity not a number > 0: row 3, row 4, row 6 (write the figure as a plain number (1.257, not 1,257))",
        "more than 1e+12 t: row 5 (check the quantity and its unit)",
        "unit not one of t, kt, Mt, bn t: row 7",
        "measure not one of ore, coal, LCE, Li2O, TREO, ZrO2, TiO2, graphite, U, unclear: row 7",
        "confidence not one of high, medium, low: row 7",
        "empty quote: row 8",
        "source_url not a web address: row 8",
        "no quantity and no notes: row 9 (say what was searched)",
    ):
        assert part in message, part


#: A valid price row (lithium, central).
PRICE = {
    "commodity": "lithium",
    "measure": "LCE",
    "usd_per_t": "11800",
    "year": "2024",
    "central": "yes",
    "original": "11800 USD/t",
    "conversion": "none",
    "source_url": "https://pubs.usgs.gov/x",
    "quote": "2024 = 11800",
}


def test_prices_need_a_number_a_source_and_one_central_price_per_commodity() -> None:
    base = dict(PRICE)
    good = pd.DataFrame([base, {**base, "usd_per_t": "9000", "year": "2025", "central": ""}], dtype=str)
    validate.check_prices(good)
    bad = pd.DataFrame(
        [
            base,
            {**base, "usd_per_t": "n/a", "quote": ""},
            {**base, "commodity": "uranium", "central": "", "measure": "x"},
            {**base, "commodity": "uranum", "usd_per_t": "inf"},
        ],
        dtype=str,
    )
    bad.attrs["source"] = "prices.csv"
    with pytest.raises(ValidationError) as err:
        validate.check_prices(bad)
    message = str(err.value)
    for part in (
        "prices.csv: usd_per_t not a number > 0: row 3, row 5",
        "commodity unknown: row 5",
        "measure not the commodity's: row 4",
        "empty quote: row 3",
        "not exactly one central price: lithium, uranium (mark one row per commodity central=yes)",
    ):
        assert part in message, part


# --- issue 23, item 6: numbers that cannot double-count or overflow -----------------------------------------


def _zzrk(**values: str) -> dict[str, str]:
    """One of ZZRK's two ore bodies, as in reserves.csv: same deposit, measure, category and source; own quote."""
    return {
        "deposit_id": "D1",
        "quantity": "188.1",
        "measure": "ore",
        "category": "balance reserves",
        "category_class": "component",
        "source_url": "https://example.org/zzrk",
        "quote": "South-Bilozerske (balance reserves 188.1 Mt)",
        **values,
    }


def test_two_parts_of_one_deposit_pass_but_a_copied_row_is_refused_with_both_row_numbers() -> None:
    other = _zzrk(quantity="393.9", quote="Pereverzivske (balance reserves 393.9 Mt)")
    validate.check_reserves(_reserves(_zzrk(), other), deposit_ids=["D1"])  # two parts: added up, not copies
    # rows are lines of the file (the header is line 1): line 4 copies line 2, which would make ZZRK 770 Mt, not 582
    with pytest.raises(ValidationError) as err:
        validate.check_reserves(_reserves(_zzrk(), other, _zzrk()), deposit_ids=["D1"])
    message = str(err.value)
    assert "reserves.csv: the same figure twice" in message
    assert ": rows 2 and 4 (D1)" in message
    assert "delete the copy" in message
    # a copied part whose quote was touched is still a copy: the same quantity in the same unit
    with pytest.raises(ValidationError, match=r"rows 2 and 4 \(D1\)"):
        validate.check_reserves(_reserves(_zzrk(), other, _zzrk(quote="South-Bilozerske (copy)")), deposit_ids=["D1"])
    # a figure that is not a part: one per deposit, measure, category and source, whatever its quote says
    whole = {"deposit_id": "D1", "quantity": "1.257"}
    with pytest.raises(ValidationError, match=r"rows 3 and 4 \(D1\)"):
        validate.check_reserves(
            _reserves({"deposit_id": "D1", "measure": "ore"}, whole, {**whole, "quote": "retyped"}),
            deposit_ids=["D1"],
        )


def test_a_figure_in_kt_for_mt_among_its_neighbours_is_questioned() -> None:
    lithium = [
        {"deposit_id": d, "quantity": q, "source_url": f"https://example.org/{d}"}
        for d, q in (("D1", "1"), ("D2", "2"), ("D3", "3"))
    ]
    validate.check_reserves(
        _reserves(*lithium, {**lithium[0], "deposit_id": "D4", "quantity": "1.5"}), deposit_ids=["D1", "D2", "D3", "D4"]
    )
    slip = {"deposit_id": "D4", "quantity": "1.5", "unit": "kt", "source_url": "https://example.org/D4"}
    with pytest.raises(ValidationError) as err:
        validate.check_reserves(_reserves(*lithium, slip), deposit_ids=["D1", "D2", "D3", "D4"])
    message = str(err.value)
    # the other three: 1, 2 and 3 Mt, median 2 Mt = 2,000 kt; 2,000 / 1.5 = 1,333
    assert (
        "reserves.csv: 1,000× or more off the median of the other figures in its measure: "
        "row 5 (D4: 1.5 kt LCE, 1,333× smaller than the median of the other 3 LCE figures, 2,000 kt) "
        "(check the unit against the quote (kt for Mt?); if the figure is right, "
        "add (deposit_id, quantity, unit, measure) to schema.RESERVE_CHECKED with the reason)"
    ) in message
    assert "(D1:" not in message  # the neighbours are not questioned
    assert "(D3:" not in message


def test_a_figure_checked_in_its_source_is_not_questioned() -> None:
    # GEM's Novovolynska No 9: 0.03 Mt of coal; the others' median is (84 + 113) / 2 = 98.5 Mt, 3,283× as much
    coal = [
        {"deposit_id": d, "quantity": q, "measure": "coal", "source_url": "https://example.org/gem"}
        for d, q in (("GEM-M4540", "0.03"), ("D2", "84"), ("D3", "113"))
    ]
    validate.check_reserves(_reserves(*coal), deposit_ids=["GEM-M4540", "D2", "D3"])
    coal[0]["deposit_id"] = "D1"
    with pytest.raises(ValidationError, match=r"row 2 \(D1: 0.03 Mt coal, 3,283× smaller"):
        validate.check_reserves(_reserves(*coal), deposit_ids=["D1", "D2", "D3"])


def test_a_finite_but_huge_price_is_refused_not_valued() -> None:
    base = {**PRICE, "usd_per_t": "1e300"}
    prices = pd.DataFrame([base, {**base, "usd_per_t": "11.8", "central": ""}], dtype=str)  # 11.8: USD per kg
    prices.attrs["source"] = "prices.csv"
    with pytest.raises(ValidationError) as err:
        validate.check_prices(prices)
    assert (
        "prices.csv: usd_per_t outside the plausible range of its measure: "
        "row 2 (lithium: 1e+300 USD per t LCE, plausible 500 to 500,000), "
        "row 3 (lithium: 11.8 USD per t LCE, plausible 500 to 500,000) "
        "(check the unit: USD per tonne of the measure, not per kg or lb; "
        "if the price is real, widen schema.PRICE_RANGE_USD_PER_T and say why)"
    ) in str(err.value)
