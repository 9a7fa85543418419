"""Statistics, with expected values worked out by hand or by an independent method."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import box

from geo import schema, stats
from geo.errors import ValidationError

GEOD = Geod(ellps="WGS84")


def _row(table: pd.DataFrame, key: str | tuple[str, str]) -> dict[Hashable, Any]:
    """One row as a plain dict (keeps the assertions free of pandas' typing)."""
    return table.loc[[key]].iloc[0].to_dict()


def _regions() -> gpd.GeoDataFrame:
    # Two 1 x 1 degree squares side by side; edges densified so they follow the parallels.
    geoms = [shapely.segmentize(box(30, 48, 31, 49), 0.01), shapely.segmentize(box(31, 48, 32, 49), 0.01)]
    return gpd.GeoDataFrame(
        {"name_en": ["West", "East"], "name_uk": ["Захід", "Схід"], "level": "oblast", "parent_id": "UA"},
        geometry=geoms,
        index=pd.Index(["W", "E"], name=schema.REGION_ID),
        crs=schema.STORAGE_CRS,
    )


def _parts(before: shapely.Geometry, since: shapely.Geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=[shapely.segmentize(before, 0.01), shapely.segmentize(since, 0.01)],
        index=pd.Index([schema.OCCUPIED_BEFORE_2022, schema.OCCUPIED_SINCE_2022], name="part"),
        crs=schema.STORAGE_CRS,
    )


def test_area_km2_matches_the_geodesic_area() -> None:
    area = stats.area_km2(_regions())
    geodesic_km2 = abs(GEOD.geometry_area_perimeter(box(30, 48, 31, 49))[0]) / 1e6  # about 8,218 km²
    assert area["W"] == pytest.approx(geodesic_km2, rel=1e-4)
    assert area["E"] == pytest.approx(geodesic_km2, rel=1e-4)
    assert area.name == "area_km2"


def test_half_covered_square_has_share_one_half_and_the_other_zero() -> None:
    # East square: its west half occupied since 2022, nothing before 2022. West square untouched.
    table = stats.region_table(_regions(), _parts(shapely.Polygon(), box(31, 48, 31.5, 49)))
    east, west = _row(table, "E"), _row(table, "W")
    assert east["occupied_share"] == pytest.approx(0.5, abs=1e-9)
    assert east["occupied_since_2022_km2"] == pytest.approx(east["area_km2"] / 2, rel=1e-9)
    assert east["occupied_before_2022_km2"] == 0.0
    assert west["occupied_share"] == 0.0
    assert not math.isnan(west["occupied_share"])
    assert west["occupied_km2"] == 0.0
    assert list(table.index) == ["W", "E"]


def test_occupied_km2_splits_before_and_since() -> None:
    # Whole East square occupied: its east quarter before 2022, the rest since.
    parts = _parts(box(31.75, 48, 32, 49), box(31, 48, 31.75, 49))
    east = _row(stats.occupied_km2(_regions(), parts), "E")
    area = float(stats.area_km2(_regions())["E"])
    assert east["occupied_before_2022_km2"] == pytest.approx(area / 4, rel=1e-9)
    assert east["occupied_since_2022_km2"] == pytest.approx(area * 3 / 4, rel=1e-9)
    assert east["occupied_km2"] == pytest.approx(area, rel=1e-9)


def test_occupied_share_never_nan() -> None:
    share = stats.occupied_share(pd.Series([0.0, 5.0, 0.0]), pd.Series([10.0, 10.0, 0.0]))
    assert share.tolist() == [0.0, 0.5, 0.0]


def test_near_front_threshold_and_unknown() -> None:
    near = stats.near_front(pd.Series([5.0, 20.0, 20.01, float("nan")]), threshold_km=20.0)
    assert near.iloc[:3].tolist() == [True, True, False]
    assert near.isna().tolist() == [False, False, False, True]


def _deposits() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "commodity_list": [("lithium", "tantalum"), ("coal_thermal",), ("iron_ore",), ("lithium",), ("alumina",)],
            "site_kind": ["deposit", "mine", "mine", "deposit", "processing_facility"],
            "control_status": [
                schema.OCCUPIED_SINCE_2022,
                schema.OCCUPIED_BEFORE_2022,
                schema.HELD,
                schema.UNKNOWN,
                schema.OCCUPIED_SINCE_2022,
            ],
            "near_front": pd.array([True, False, False, pd.NA, True], dtype="boolean"),
        },
        index=pd.Index(["a", "b", "c", "d", "e"], name="id"),
    )


def _membership() -> pd.DataFrame:
    pairs = [("a", "UA"), ("a", "E"), ("b", "UA"), ("b", "E"), ("c", "UA"), ("c", "W"), ("d", "UA"), ("e", "UA")]
    return pd.DataFrame(pairs, columns=["id", schema.REGION_ID])


def _names() -> pd.DataFrame:
    return pd.DataFrame(
        {"name_en": ["Ukraine", "East", "West"], "level": ["country", "oblast", "oblast"]},
        index=pd.Index(["UA", "E", "W"]),
    )


def test_control_table_counts_by_hand() -> None:
    table = stats.control_table(_deposits(), _membership(), _names())
    counts = ["deposits_total", "occupied", "held", "unknown", "near_front"]
    lithium = _row(table, ("UA", "lithium"))
    assert [lithium[k] for k in counts] == [2, 1, 0, 1, 1]
    assert lithium["known"] == 1
    assert lithium["occupied_share"] == 1.0  # unknown left out: 1 occupied of 1 known
    # metals: a (lithium, occupied), c (iron ore, held), d (lithium, unknown); e is a processing plant.
    metals = _row(table, ("UA", schema.METALS_AGGREGATE))
    assert [metals[k] for k in counts[:4]] == [3, 1, 1, 1]
    assert metals["occupied_share"] == 0.5
    east_coal = _row(table, ("E", "coal_thermal"))
    assert [east_coal[k] for k in ("occupied_before_2022", "occupied_since_2022", "occupied")] == [1, 0, 1]
    assert _row(table, ("W", "iron_ore"))["occupied_share"] == 0.0
    assert _row(table, ("E", "tantalum"))["name_en"] == "East"
    assert ("W", "lithium") not in table.index  # only combinations with deposits


def test_metals_comparison_puts_ours_first() -> None:
    table = stats.control_table(_deposits(), _membership(), _names())
    figures = pd.DataFrame(
        {
            "id": ["F01", "F10", "F99"],
            "figure": ["forty", "forty-two", "other"],
            "value": ["40", "42", "~50"],
            "unit": ["percent (approx.)", "percent", "percent"],
            "measure_basis": ["not stated", "dollar value", "x"],
            "as_of": ["2025-02", "2022-08-10", "x"],
            "source_name": ["We Build Ukraine", "SecDev", "x"],
            "source_url": ["https://a", "https://b", "https://c"],
            "quote": ["q1", "q2", "q3"],
        }
    )
    comparison = stats.metals_comparison(table, figures, figure_ids=["F01", "F10"])
    assert list(comparison.index) == ["computed", "F01", "F10"]
    computed, f01, f10 = (_row(comparison, k) for k in ("computed", "F01", "F10"))
    assert computed["share"] == 0.5
    assert computed["value"] == "1 of 2 records"
    assert f01["share"] == pytest.approx(0.40)
    assert f10["share"] == pytest.approx(0.42)
    assert f10["basis"] == "dollar value"


def test_over_time_a_lost_and_a_gained_piece_that_share_an_edge() -> None:
    # West is held at first in its west half (lon 30–30.5); the next date occupies the east half (30.5–31) instead.
    # The lost and the gained piece share the edge at lon 30.5, so one symmetric difference gives one polygon;
    # the series must still say: half of West on both dates, nothing in East.
    regions = _regions()
    empty = shapely.Polygon()
    series = {
        "2024-01-01": _parts(empty, box(30, 48, 30.5, 49)),
        "2024-01-02": _parts(empty, box(30.5, 48, 31, 49)),
    }
    grey = {"2024-01-01": box(31, 48, 31.5, 49), "2024-01-02": box(31.5, 48, 32, 49)}
    table = stats.occupied_km2_over_time(regions, series, contested=grey).set_index(["date", schema.REGION_ID])
    area = stats.area_km2(regions)
    for date in series:
        assert table.loc[(date, "W"), "occupied_share"] == pytest.approx(0.5, abs=1e-6)
        assert table.loc[(date, "E"), "occupied_km2"] == pytest.approx(0.0, abs=1e-6)
        assert table.loc[(date, "E"), "contested_km2"] == pytest.approx(area["E"] / 2, rel=1e-6)
        assert table.loc[(date, "W"), "contested_km2"] == pytest.approx(0.0, abs=1e-6)


def test_over_time_a_daily_series_equals_a_full_measurement_of_every_date() -> None:
    # The front moves a little every day in West (one small notch gained, one given back), and jumps once into
    # East; each date's areas are the previous date's plus its changes, and must equal a measurement made afresh.
    regions = _regions()
    notches = [box(30.4 + 0.01 * k, 48.4, 30.41 + 0.01 * k, 48.41) for k in range(6)]
    series = {}
    for day in range(6):
        since = shapely.union_all([box(30.5, 48, 31, 49), *notches[max(0, day - 2) : day + 1]])
        if day >= 4:
            since = shapely.union(since, box(31, 48.5, 31.2, 49))
        series[f"2024-01-{day + 1:02d}"] = _parts(box(30.9, 48, 31, 48.1), since)
    table = stats.occupied_km2_over_time(regions, series).set_index(["date", schema.REGION_ID])
    for date, parts in series.items():
        fresh = stats.occupied_km2(regions, parts)
        for rid in ("W", "E"):
            for column in ("occupied_before_2022_km2", "occupied_since_2022_km2"):
                assert table.loc[(date, rid), column] == pytest.approx(fresh.loc[rid, column], abs=1e-6)
    # on the last date East is occupied in lon 31–31.2, lat 48.5–49: its geodesic share of East
    part, whole = (abs(GEOD.geometry_area_perimeter(box(31, y, x, 49))[0]) for x, y in ((31.2, 48.5), (32, 48)))
    assert table.loc[("2024-01-06", "E"), "occupied_share"] == pytest.approx(part / whole, rel=1e-4)


def _notched(shift: float) -> shapely.Polygon:
    """A 10 x 10 m square with a 4 x 4 m hole whose corner touches the square's edge, moved by `shift` across it."""
    hole = [(3, 0 + shift), (7, 4), (7, 8), (3, 8), (3, 0 + shift)]
    return shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)], [hole[::-1]])


def test_changes_are_those_of_the_repaired_geometries_even_where_one_is_invalid_by_a_hair() -> None:
    # The hole's corner crosses the square's edge by a micrometre: invalid, as a reprojection leaves a hole that
    # touched its shell.  A 2 x 2 m square added far away, on the other side of the hole, is all that changed.
    old = _notched(-1e-6)
    assert not shapely.is_valid(old)
    new = shapely.union(shapely.make_valid(old), box(20, 4, 22, 6))
    gained, lost = stats.polygon_changes(old, new)
    assert shapely.area(gained).sum() == pytest.approx(4.0, abs=1e-6)
    assert shapely.area(lost).sum() == pytest.approx(0.0, abs=1e-6)
    # and against the raw (invalid) geometry on the other side: the hole stays a hole, not land
    gained, lost = stats.polygon_changes(new, old)
    assert shapely.area(lost).sum() == pytest.approx(4.0, abs=1e-6)
    assert shapely.area(gained).sum() == pytest.approx(0.0, abs=1e-6)


def test_changes_of_an_invalid_geometry_are_read_as_make_valid_reads_it() -> None:
    # The same hole grows by one metre eastwards; the square's edge is crossed by the hole in both versions.
    old = _notched(-1e-6)
    grown = [(3, -1e-6), (8, 4), (8, 8), (3, 8), (3, -1e-6)]
    new = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)], [grown[::-1]])
    gained, lost = stats.polygon_changes(old, new)
    expected_lost = shapely.difference(shapely.make_valid(old), shapely.make_valid(new))
    assert shapely.area(lost).sum() == pytest.approx(shapely.area(expected_lost), abs=1e-9)
    assert shapely.area(lost).sum() == pytest.approx(4.0 * 1.0 + 0.5 * 4 * 1, abs=1e-3)  # a strip and a triangle
    assert shapely.area(gained).sum() == pytest.approx(0.0, abs=1e-9)


def test_unchanged_geometry_has_no_changes_even_with_its_rings_started_elsewhere() -> None:
    square = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)])
    turned = shapely.Polygon([(10, 10), (0, 10), (0, 0), (10, 0)])
    gained, lost = stats.polygon_changes(square, turned)
    assert len(gained) == 0
    assert len(lost) == 0


# --- reserves and value --------------------------------------------------------------------


def _reserve_rows(*rows: dict[str, str]) -> pd.DataFrame:
    base = {
        "quantity": "",
        "unit": "Mt",
        "measure": "ore",
        "category": "reserves",
        "category_class": "reserve",
        "as_of": "2020",
        "source_url": "https://example.org/a",
        "quote": "q",
        "confidence": "high",
        "notes": "",
    }
    return pd.DataFrame([{**base, **row} for row in rows], dtype=str)


def test_two_deposits_of_1_and_3_mt_one_occupied_give_a_quarter_by_reserves() -> None:
    figures = pd.DataFrame(
        {
            "reserve_t": [1e6, 3e6, 5e6],
            "reserve_measure": ["ore", "ore", "ore"],
            "control_status": [schema.OCCUPIED_SINCE_2022, schema.HELD, schema.UNKNOWN],  # unknown is left out
        }
    )
    occupied, known = stats.reserve_tonnes(figures, figures[["control_status"]])
    assert (occupied[0], known[0]) == (1e6, 4e6)  # 0.25; the unknown 5 Mt are in neither
    empty = figures.iloc[:0]
    assert stats.reserve_tonnes(empty, empty[["control_status"]])[1].tolist() == [0.0]


def test_mixed_measures_are_refused_not_summed() -> None:
    figures = pd.DataFrame(
        {"reserve_t": [1e6, 3e6], "reserve_measure": ["ore", "LCE"], "control_status": [schema.HELD, schema.HELD]}
    )
    with pytest.raises(ValidationError, match=r"different measures \(LCE, ore\) cannot be summed"):
        stats.reserve_tonnes(figures, figures[["control_status"]])


def test_the_preferred_figure_follows_the_stated_rule() -> None:
    deposits = pd.DataFrame({"primary_commodity": ["lithium", "lithium", "manganese"]}, index=["A", "B", "C"])
    shared = "https://example.org/one-study-of-both"
    reserves = _reserve_rows(
        # A: a high-confidence figure of its own, and a medium one from the study that covers A and B: the study wins
        {"deposit_id": "A", "quantity": "9", "measure": "LCE", "source_url": "https://example.org/a-only"},
        {"deposit_id": "A", "quantity": "1", "measure": "LCE", "confidence": "medium", "source_url": shared},
        {"deposit_id": "A", "quantity": "50", "measure": "ore"},  # not lithium's measure: never picked
        {"deposit_id": "B", "quantity": "3", "measure": "LCE", "confidence": "medium", "source_url": shared},
        # C: same source coverage; high beats low; among the high, reserve beats resource; partial never counts
        {"deposit_id": "C", "quantity": "1700", "confidence": "low", "source_url": "https://example.org/c1"},
        {"deposit_id": "C", "quantity": "400", "category_class": "resource", "source_url": "https://example.org/c2"},
        {"deposit_id": "C", "quantity": "429", "unit": "Mt", "source_url": "https://example.org/c3", "as_of": "n.d."},
        {"deposit_id": "C", "quantity": "2", "category_class": "partial", "source_url": "https://example.org/c4"},
        {"deposit_id": "C", "quantity": "", "notes": "nothing found"},
    )
    best = stats.preferred_reserves(reserves, deposits)
    assert best["reserve_quantity"].to_dict() == {"A": 1.0, "B": 3.0, "C": 429.0}
    assert best.loc["A", "reserve_t"] == 1e6
    assert best.loc["C", "reserve_measure"] == "ore"


def test_value_share_range_takes_every_mix_of_low_and_high_prices() -> None:
    # X: 10 t occupied, 10 t held; Y: 10 t held.  Prices per t: X 1 / 2 / 4, Y 1 / 1 / 3 (low / central / high).
    values = pd.DataFrame(
        {
            "value_low_usd": [10.0, 10.0, 10.0],
            "value_central_usd": [20.0, 20.0, 10.0],
            "value_high_usd": [40.0, 40.0, 30.0],
        },
        index=["x1", "x2", "y"],
    )
    commodity = pd.Series(["X", "X", "Y"], index=values.index)
    status = pd.Series([schema.OCCUPIED_SINCE_2022, schema.HELD, schema.HELD], index=values.index)
    low, central, high = (float(x[0]) for x in stats.value_shares(values, commodity, status.to_frame()))
    assert central == 20 / 50
    assert low == 10 / (20 + 30)  # X at its low price, Y at its high one
    assert high == 40 / (80 + 10)  # X high, Y low
    nothing = stats.value_shares(values.iloc[:0], commodity, status.to_frame())
    assert [float(x[0]) for x in nothing] == [0.0, 0.0, 0.0]


def test_the_parts_of_one_deposit_from_one_source_are_added_up() -> None:
    deposits = pd.DataFrame({"primary_commodity": ["iron_ore"]}, index=["Z"])
    source = "https://example.org/two-ore-bodies"
    reserves = _reserve_rows(
        {"deposit_id": "Z", "quantity": "188.1", "category_class": "component", "source_url": source},
        {"deposit_id": "Z", "quantity": "393.9", "category_class": "component", "source_url": source},
        {"deposit_id": "Z", "quantity": "500", "confidence": "low", "source_url": "https://example.org/other"},
    )
    best = stats.preferred_reserves(reserves, deposits)
    assert best.loc["Z", "reserve_t"] == pytest.approx(582.0e6)
    assert best.loc["Z", "reserve_category"] == "reserves (sum of its parts)"


def test_two_different_figures_that_tie_on_every_rule_are_refused() -> None:
    deposits = pd.DataFrame({"primary_commodity": ["iron_ore"]}, index=["Z"])
    reserves = _reserve_rows(
        {"deposit_id": "Z", "quantity": "188.1", "source_url": "https://example.org/one"},
        {"deposit_id": "Z", "quantity": "393.9", "source_url": "https://example.org/two"},
    )
    with pytest.raises(ValidationError, match="1 deposits have two different figures that tie on every rule: Z"):
        stats.preferred_reserves(reserves, deposits)
    same = _reserve_rows(  # the same figure twice (two copies of one report) is not a conflict
        {"deposit_id": "Z", "quantity": "188.1", "source_url": "https://example.org/one"},
        {"deposit_id": "Z", "quantity": "188.1", "source_url": "https://example.org/two"},
    )
    assert stats.preferred_reserves(same, deposits).loc["Z", "reserve_t"] == pytest.approx(188.1e6)


def test_shares_over_time_leave_out_unknown_control_and_say_nothing_where_no_figure() -> None:
    deposits = pd.DataFrame(
        {
            "primary_commodity": ["manganese", "manganese", "manganese", "titanium"],
            "commodity_list": [("manganese",)] * 3 + [("titanium",)],
            "site_kind": ["deposit"] * 4,
            "reserve_t": [1e6, 3e6, 6e6, float("nan")],
            "reserve_measure": ["ore", "ore", "ore", None],
            "reserve_confidence": ["high", "high", "low", None],
            "value_low_usd": [1.0, 3.0, 6.0, float("nan")],
            "value_central_usd": [2.0, 6.0, 12.0, float("nan")],
            "value_high_usd": [4.0, 12.0, 24.0, float("nan")],
        },
        index=["a", "b", "c", "t"],
    )
    occupied, held, unknown = schema.OCCUPIED_SINCE_2022, schema.HELD, schema.UNKNOWN
    statuses = pd.DataFrame(
        {"2022-01-31": [held, held, unknown, held], "2022-02-28": [occupied, held, unknown, held]},
        index=deposits.index,
    )
    table = stats.bases_over_time(deposits, statuses).set_index(["date", "basis", "commodity"])
    manganese = table.xs("manganese", level="commodity").xs("reserves", level="basis")
    assert manganese["occupied_share"].tolist() == [0.0, 0.25]  # c, of unknown control, is in neither part
    assert manganese["known_t"].tolist() == [4e6, 4e6]
    assert manganese["low_confidence"].tolist() == [1, 1]
    titanium = table.xs("titanium", level="commodity").xs("reserves", level="basis")
    assert titanium["occupied_share"].isna().all()  # no figure: no share
    metals = table.xs("value_metals", level="basis")
    assert metals["occupied_share"].tolist() == [0.0, 0.25]


# --- issue 23, item 6: a product or a sum that overflows is an error, never a 0 % share -------------------------


def test_a_quantity_times_its_unit_or_a_sum_of_parts_beyond_any_float_is_an_error() -> None:
    deposits = pd.DataFrame({"primary_commodity": ["iron_ore"]}, index=["Z"])
    huge = _reserve_rows({"deposit_id": "Z", "quantity": "1e300", "unit": "bn t"})  # 1e309 t: beyond any float
    with pytest.raises(ValidationError, match=r"not a finite number of tonnes: row 2 \(Z: 1e300 bn t\)"):
        stats.preferred_reserves(huge, deposits)
    part = {"deposit_id": "Z", "quantity": "1e308", "unit": "t", "category_class": "component"}
    parts = _reserve_rows(part, {**part, "quote": "the other body"})  # 1e308 + 1e308 overflows
    with pytest.raises(ValidationError, match=r"sum of the parts .* not a finite number of tonnes: rows 2, 3 \(Z\)"):
        stats.preferred_reserves(parts, deposits)


def test_a_finite_but_huge_price_times_the_tonnes_is_an_error_naming_the_deposit() -> None:
    figures = pd.DataFrame(
        {"reserve_t": [1e9, 1e6], "reserve_measure": ["ore", "ore"], "primary_commodity": ["manganese", "iron_ore"]},
        index=["M", "I"],
    )
    prices = pd.DataFrame(
        {
            "commodity": ["manganese", "iron_ore"],
            "measure": ["ore", "ore"],
            "usd_per_t": ["1e300", "100"],  # 1e9 t × 1e300 USD/t = 1e309 USD: infinite as a float
            "central": ["yes", "yes"],
        }
    )
    with pytest.raises(ValidationError, match=r"value .* not a finite number of USD: M \(1e\+09 t × 1e\+300 USD/t\)"):
        stats.deposit_value_usd(figures, prices)


def test_an_infinite_value_or_an_overflowing_sum_is_an_error_not_a_zero_share() -> None:
    status = pd.Series([schema.OCCUPIED_SINCE_2022, schema.HELD], index=["a", "b"]).to_frame()
    commodity = pd.Series(["X", "X"], index=status.index)
    infinite = pd.DataFrame(
        {"value_low_usd": [1.0, math.inf], "value_central_usd": [1.0, 1.0], "value_high_usd": [1.0, 1.0]},
        index=status.index,
    )
    with pytest.raises(ValidationError, match=r"not a finite number of USD: b"):
        stats.value_shares(infinite, commodity, status)
    # each finite, but a's 1e308 + b's 1e308 is beyond any float: the share would be 1e308 / inf = 0 %
    huge = pd.DataFrame(
        {f"value_{kind}_usd": [1e308, 1e308] for kind in ("low", "central", "high")}, index=status.index
    )
    with pytest.raises(ValidationError, match=r"sum .* not a finite number of USD: a, b"):
        stats.value_shares(huge, commodity, status)
    figures = pd.DataFrame({"reserve_t": [1e308, 1e308], "reserve_measure": ["ore", "ore"]}, index=status.index)
    with pytest.raises(ValidationError, match=r"sum .* not a finite number of tonnes: a, b"):
        stats.reserve_tonnes(figures, status)


# --- sources compared ---------------------------------------------------------------------------


def _km_box(x0: float, y0: float, x1: float, y1: float) -> shapely.Geometry:
    """A box given in km, in the equal-area CRS's metres."""
    return shapely.box(x0 * 1000, y0 * 1000, x1 * 1000, y1 * 1000)


def test_sources_overlap_counts_what_only_one_source_shows_and_what_both_show_per_region() -> None:
    # two 2 × 2 km regions side by side; source a occupies x 0–3 km, source b x 1–4 km, both y 0–1 km
    regions = gpd.GeoSeries([_km_box(0, 0, 2, 2), _km_box(2, 0, 4, 2), _km_box(10, 10, 12, 12)],
                            index=["west", "east", "far"], crs=schema.AREA_CRS)  # fmt: skip
    footprint = _km_box(-100, -100, 100, 100)
    frame = stats.sources_overlap_km2(regions, _km_box(0, 0, 3, 1), _km_box(1, 0, 4, 1), footprint=footprint)
    assert frame.loc["west", "a_only_km2"] == pytest.approx(1.0)  # x 0–1
    assert frame.loc["west", "b_only_km2"] == pytest.approx(0.0)
    assert frame.loc["west", "both_km2"] == pytest.approx(1.0)  # x 1–2
    assert frame.loc["east", "a_only_km2"] == pytest.approx(0.0)
    assert frame.loc["east", "b_only_km2"] == pytest.approx(1.0)  # x 3–4
    assert frame.loc["east", "both_km2"] == pytest.approx(1.0)  # x 2–3
    assert frame.loc["west", "agreement"] == pytest.approx(0.5)
    assert frame.loc["east", "agreement"] == pytest.approx(0.5)
    # a region neither source shows occupied: they agree
    assert [frame.loc["far", c] for c in ("a_only_km2", "b_only_km2", "both_km2")] == [0.0, 0.0, 0.0]
    assert frame.loc["far", "agreement"] == 1.0


def test_sources_overlap_leaves_out_what_is_outside_the_footprint() -> None:
    regions = gpd.GeoSeries([_km_box(0, 0, 2, 2)], index=["west"], crs=schema.AREA_CRS)
    # the footprint leaves out x 0–0.5 km: half of what only source a shows there
    footprint = _km_box(0.5, -10, 100, 10)
    frame = stats.sources_overlap_km2(regions, _km_box(0, 0, 3, 1), _km_box(1, 0, 4, 1), footprint=footprint)
    assert frame.loc["west", "a_only_km2"] == pytest.approx(0.5)
    assert frame.loc["west", "both_km2"] == pytest.approx(1.0)
    assert frame.loc["west", "agreement"] == pytest.approx(1.0 / 1.5)
