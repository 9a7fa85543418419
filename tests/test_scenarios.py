"""Scenario rules on hand-worked tiny worlds: every rule alone and combined, control per deposit, bad input.

The world of these tests (lon/lat; within one latitude band an equal-area area is proportional to the span of
longitude): three oblasts side by side, A lon 30–31, B lon 31–32, C lon 32–33, lat 48–49 (where the distance CRS is
true); occupied = lon 31.5–33 (half of B, all of C); the line of contact is lon 31.5 (between held and occupied).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from geo import build, scenarios, schema
from geo.errors import ValidationError

OBLASTS = gpd.GeoSeries(
    [box(30, 48, 31, 49), box(31, 48, 32, 49), box(32, 48, 33, 49)], index=["A", "B", "C"], crs="EPSG:4326"
)
COUNTRY = box(30, 48, 33, 49)
OCCUPIED = box(31.5, 48, 33, 49)
FRONT = LineString([(31.5, 48), (31.5, 49)])


def _scenario(rules: str) -> scenarios.Scenario:
    parsed = scenarios.parse_rules(rules, region_ids={"A", "B", "C"}, where="test")
    return scenarios.Scenario("s", "S", "С", "2025-01-01", "https://example.org", "q", "", parsed)


def _draw(rules: str) -> scenarios.Line:
    return scenarios.draw(_scenario(rules), oblasts=OBLASTS, occupied=OCCUPIED, front=FRONT, country=COUNTRY)


def _spans(geom: shapely.Geometry) -> float:
    """The area of `geom` in degrees² (= lon span × 1 inside lat 48–49): each rule's answer is a sum of spans."""
    return round(float(shapely.area(geom)), 6)


def test_freeze_is_the_snapshot_as_it_is() -> None:
    line = _draw("")
    assert line.russian is OCCUPIED
    assert shapely.is_empty(line.demilitarised)
    assert _spans(_draw("freeze:A,B,C").russian) == 1.5


def test_cede_adds_the_whole_region() -> None:
    line = _draw("cede:A")
    assert _spans(line.russian) == 2.5  # lon 0–1 and 1.5–3
    assert shapely.covers(line.russian, Point(30.5, 48.5))
    assert not shapely.covers(line.russian, Point(31.25, 48.5))


def test_return_takes_the_occupied_part_back() -> None:
    assert _spans(_draw("return:C").russian) == 0.5  # lon 1.5–2 stays
    assert _spans(_draw("return:B,C").russian) == 0.0


def test_dmz_is_the_held_part_of_its_region_and_no_more() -> None:
    line = _draw("dmz:B")
    assert _spans(line.russian) == 1.5
    assert _spans(line.demilitarised) == 0.5  # lon 1–1.5 of B, not A
    assert not shapely.intersects(line.demilitarised, box(30, 48, 30.99, 49))


def test_dmz_with_a_depth_is_the_band_along_the_line() -> None:
    # lon 31–31.5 at lat 48–49 is ~37 km wide and ~111.2 km tall (WGS84): a 20 km band along lon 31.5 is
    # 20 km × 111.2 km ≈ 2,224 km² (the line ends at the region's edges, so its round caps fall outside).
    line = _draw("dmz@20:B")
    band_km2 = gpd.GeoSeries([line.demilitarised], crs="EPSG:4326").to_crs(schema.AREA_CRS).area.iloc[0] / 1e6
    assert band_km2 == pytest.approx(20 * 111.2, rel=0.01)
    assert shapely.covers(line.demilitarised, Point(31.45, 48.5))  # ~3.7 km from the line
    assert not shapely.intersects(line.demilitarised, Point(31.05, 48.5))  # ~33 km from it


def test_cede_return_and_dmz_with_depth_combine() -> None:
    line = _draw("cede:A; return:C; dmz@20:B")
    assert _spans(line.russian) == 1.5  # A (lon 0–1) ceded, B's occupied half (1.5–2) kept, C returned
    assert shapely.covers(line.russian, Point(30.5, 48.5))
    assert not shapely.intersects(line.russian, Point(32.5, 48.5))
    assert shapely.covers(line.demilitarised, Point(31.45, 48.5))
    assert not shapely.intersects(line.demilitarised, shapely.buffer(line.russian, -1e-9))


def test_a_ceded_region_beside_a_dmz_leaves_no_overlap() -> None:
    line = _draw("cede:A; dmz:B")
    assert _spans(line.russian) == 2.5
    assert _spans(line.demilitarised) == 0.5
    assert _spans(shapely.intersection(line.russian, line.demilitarised)) == 0.0


def _deposits() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "location_known": [True, True, True, False, False],
            "oblast_id": ["A", "B", "C", "A", "B"],
        },
        geometry=[Point(30.5, 48.5), Point(31.25, 48.5), Point(32.5, 48.5), Point(), Point()],
        index=pd.Index(["a", "b", "c", "x", "y"], name="id"),
        crs="EPSG:4326",
    )


TODAY = pd.Series(
    [schema.HELD, schema.HELD, schema.OCCUPIED_SINCE_2022, schema.HELD, schema.UNKNOWN],
    index=pd.Index(["a", "b", "c", "x", "y"], name="id"),
)


def _control(rules: str) -> list[str]:
    scenario = _scenario(rules)
    line = scenarios.draw(scenario, oblasts=OBLASTS, occupied=OCCUPIED, front=FRONT, country=COUNTRY)
    return list(scenarios.control(scenario, line, _deposits(), status=TODAY))


def test_control_follows_the_ground_and_for_records_without_coordinates_the_rule() -> None:
    r, d, h, u = schema.RUSSIAN_CONTROLLED, schema.DEMILITARISED, schema.HELD, schema.UNKNOWN
    assert _control("") == [h, h, r, h, u]  # today's, in the scenario's words
    assert _control("cede:A") == [r, h, r, r, u]
    assert _control("return:C") == [h, h, h, h, u]
    assert _control("dmz:B") == [h, d, r, h, u]  # y is of unknown control today: a dmz does not make it known
    assert _control("return:B") == [h, h, r, h, h]  # B returned whole: y is held, wherever in B it lies
    assert _control("dmz@10:B") == [h, h, r, h, u]  # b is ~18.5 km from the line (0.25° × 74 km): outside 10 km
    assert _control("dmz@20:B") == [h, d, r, h, u]  # and inside 20 km


def test_changes_hands_never_counts_unknown() -> None:
    today = pd.Series([schema.HELD, schema.UNKNOWN, schema.RUSSIAN_CONTROLLED, schema.HELD])
    scenario = pd.Series([schema.RUSSIAN_CONTROLLED, schema.HELD, schema.RUSSIAN_CONTROLLED, schema.DEMILITARISED])
    assert list(build.changes_hands(today, scenario)) == [True, False, False, True]


def test_rules_read_back_as_written() -> None:
    rules = scenarios.parse_rules(" cede:A,B ; dmz@5:C ", region_ids={"A", "B", "C"}, where="f row 2")
    assert rules == (
        scenarios.Rule("cede", "A"),
        scenarios.Rule("cede", "B"),
        scenarios.Rule("dmz", "C", 5.0),
    )
    assert scenarios.format_rules(rules) == "cede:A,B;dmz@5:C"


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ("cede:Z", "unknown region 'Z'"),
        ("cede:A; return:A", "region A has two rules (cede and return)"),
        ("dmz@0:A", "the dmz depth '0' is not a number of km above 0"),
        ("dmz@-5:A", "the dmz depth '-5'"),
        ("dmz@nan:A", "the dmz depth 'nan'"),
        ("dmz@inf:A", "the dmz depth 'inf'"),
        ("dmz@1e308:A", "the dmz depth '1e308' is not a number of km above 0 and at most 2,000"),
        ("dmz@10000:A", "the dmz depth '10000'"),
        ("cede@5:A", "cannot read the rule 'cede@5:A'"),
        ("annex:A", "cannot read the rule 'annex:A'"),
        ("A", "cannot read the rule 'A'"),
    ],
)
def test_a_bad_rule_names_the_file_and_row(rules: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        scenarios.parse_rules(rules, region_ids={"A", "B", "C"}, where="layers/scenarios/scenarios.csv row 3 (x)")
    message = str(info.value)
    assert message.startswith("layers/scenarios/scenarios.csv row 3 (x): ")
    assert words in message
    assert "\n" not in message


def _table(**values: str) -> pd.DataFrame:
    row = {
        "scenario_id": "plan",
        "name_en": "Plan",
        "name_uk": "План",
        "proposed": "2025-11-20",
        "source_url": "https://example.org/plan",
        "quote": "Words.",
        "quote_en": "",
        "notes": "",
        "rules": "cede:A",
    }
    row.update(values)
    table = pd.DataFrame([row])
    table.attrs["source"] = "scenarios.csv"
    return table


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"quote": " "}, "quote is empty"),
        ({"source_url": ""}, "source_url must be the http(s) address"),
        ({"source_url": "javascript:alert(1)"}, "source_url must be the http(s) address"),
        ({"proposed": "20 Nov 2025"}, "is not a date"),
        ({"proposed": "2025-13-40"}, "is not a date"),
        ({"scenario_id": "Plan A"}, "scenario_id must be lower-case"),
        ({"name_uk": ""}, "name_en and name_uk must both be given"),
        ({"proposed": "0000-01-01"}, "is not a date of independent Ukraine"),
        ({"proposed": "9999-12-31"}, "is not a date of independent Ukraine"),
        ({"name_en": "evil\u202eplan"}, "name_en holds a control or direction character"),
        ({"source_url": "https://e.org/\x01"}, "source_url holds a control or direction character"),
        ({"quote": "a\x07b"}, "quote holds a control or direction character"),
        ({"rules": ""}, "rules are empty; a scenario other than frozen changes some"),
        ({"scenario_id": "frozen"}, "frozen is the line as it is and takes no rules"),
    ],
)
def test_a_bad_row_names_the_file_and_row(values: dict[str, str], words: str) -> None:
    with pytest.raises(ValidationError, match=r"^scenarios\.csv row 2") as info:
        scenarios.check_scenarios(_table(**values), region_ids={"A"})
    assert words in str(info.value)


def test_a_table_without_rows_is_refused() -> None:
    table = _table().iloc[0:0]
    table.attrs["source"] = "scenarios.csv"
    with pytest.raises(ValidationError, match=r"^scenarios\.csv: no scenarios; keep at least the frozen row"):
        scenarios.check_scenarios(table, region_ids={"A"})


def test_a_repeated_id_is_refused() -> None:
    table = pd.concat([_table(), _table()], ignore_index=True)
    table.attrs["source"] = "scenarios.csv"
    with pytest.raises(ValidationError, match=r"^scenarios\.csv row 3 \(plan\): scenario_id plan is repeated"):
        scenarios.check_scenarios(table, region_ids={"A"})


def _frame(geoms: list[shapely.Geometry], classes: list[str] | None = None) -> gpd.GeoDataFrame:
    data = {} if classes is None else {"class": classes}
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326")


def test_a_drawn_scenario_named_in_cyrillic_gets_a_latin_id() -> None:
    scenario = scenarios.drawn_scenario(
        _frame([box(30, 48, 31, 49)]), name="Київ", country=COUNTRY, source="/a/Київ.json"
    )
    assert scenario.scenario_id == "kyiv"
    assert scenario.notes == "drawn by the user: Київ.json"


def test_a_drawn_scenario_is_clipped_to_ukraine_and_split_by_class() -> None:
    frame = _frame([box(29, 48, 31, 49), box(31, 48, 31.5, 49)], [schema.RUSSIAN_CONTROLLED, schema.DEMILITARISED])
    scenario = scenarios.drawn_scenario(frame, name="My line (v2)", country=COUNTRY, source="my.geojson")
    assert scenario.scenario_id == "my_line_v2"
    assert scenario.notes == "drawn by the user: my.geojson"  # the file's name, not where it lies
    line = scenarios.draw(scenario, oblasts=OBLASTS, occupied=OCCUPIED, front=FRONT, country=COUNTRY)
    assert _spans(line.russian) == 1.0  # lon 0–1: the part outside Ukraine is cut
    assert _spans(line.demilitarised) == 0.5
    whole = scenarios.drawn_scenario(_frame([box(30, 48, 32, 49)]), name="w", country=COUNTRY, source="w.geojson")
    assert _spans(scenarios.draw(whole, oblasts=OBLASTS, occupied=OCCUPIED, front=FRONT, country=COUNTRY).russian) == 2


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        (_frame([box(40, 58, 41, 59)]), "no polygon lies in Ukraine"),
        (_frame([shapely.Polygon([(30, 48), (31, 49), (31, 48), (30, 49)])]), "feature 1: invalid polygon"),
        (_frame([Point(30.5, 48.5)]), "feature 1: not a polygon"),
        (_frame([box(30, 48, 31, 49)], ["occupied"]), "class 'occupied' is not one of"),
        (_frame([]), "draws nothing"),
        (_frame([box(30, 48, 31, 49)], [schema.DEMILITARISED]), "no polygon of what Russia would control"),
        (_frame([box(30, 48, 1e308, 49)]), "feature 1: coordinates outside lon -180…180"),
        (_frame([box(30, 48, 31, 49)]).set_crs("EPSG:3857", allow_override=True), "not lon/lat"),
    ],
)
def test_a_bad_drawn_scenario_names_the_file(frame: gpd.GeoDataFrame, words: str) -> None:
    with pytest.raises(ValidationError, match=r"^my\.geojson") as info:
        scenarios.drawn_scenario(frame, name="my", country=COUNTRY, source="my.geojson")
    assert words in str(info.value)


def test_the_deal_covers_by_our_commodity_ids() -> None:
    deal = pd.DataFrame(
        {
            "mineral": ["lithium", "cerium", "lanthanum", "oil"],
            "name_uk": ["літій", "церій", "лантан", "нафта"],
            "kind": ["mineral", "mineral", "mineral", "hydrocarbon"],
            "commodity": ["lithium", "rare_earths", "rare_earths", ""],
            "notes": ["", "", "", ""],
        }
    )
    scenarios.check_deal(deal)
    coverage = scenarios.deal_coverage(deal)
    assert coverage == {"lithium": "lithium", "rare_earths": "cerium, lanthanum"}
    lists = pd.Series([("coal",), ("iron_ore", "lithium"), ("rare_earths", "zirconium")])
    assert list(scenarios.deal_commodities(lists, coverage)) == ["", "lithium", "rare_earths"]


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ({"kind": "metal"}, "kind must be one of mineral, hydrocarbon"),
        ({"commodity": "unobtainium"}, "commodity 'unobtainium' is not one of"),
        ({"mineral": ""}, "mineral is empty"),
    ],
)
def test_a_bad_deal_row_names_the_row(row: dict[str, str], words: str) -> None:
    values = {"mineral": "lithium", "name_uk": "літій", "kind": "mineral", "commodity": "lithium", "notes": ""}
    values.update(row)
    deal = pd.DataFrame([values])
    deal.attrs["source"] = "minerals_deal.csv"
    with pytest.raises(ValidationError, match=r"^minerals_deal\.csv row 2: ") as info:
        scenarios.check_deal(deal)
    assert words in str(info.value)
