"""The catalogue of maps: the shipped records, maps made on demand, and finding the region a user names."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import catalogue, i18n, schema
from geo.catalogue import Level
from geo.errors import ArgumentError


def _regions() -> pd.DataFrame:
    rows = [
        ("UA63", "Kharkiv Oblast", "Харківська область", "oblast", "UA"),
        ("UA6308", "Kupianskyi Raion", "Куп'янський район", "raion", "UA63"),
        ("UA6308009", "Kupianska miska hromada", "Куп'янська міська громада", "hromada", "UA6308"),
        ("UA6312001", "Kharkivska miska hromada", "Харківська міська громада", "hromada", "UA6312"),
        ("UA6312", "Kharkivskyi Raion", "Харківський район", "raion", "UA63"),
        ("UA4802001", "Mykolaivska silska hromada", "Миколаївська сільська громада", "hromada", "UA4802"),
        ("UA5102001", "Mykolaivska silska hromada", "Миколаївська сільська громада", "hromada", "UA5102"),
        ("UA1416", "Pokrovskyi Raion", "Покровський район", "raion", "UA14"),
        ("UA1416021", "Pokrovsk urban hromada", "Покровська міська громада", "hromada", "UA1416"),
        (schema.POKROVSK_CITY_ID, "Pokrovsk", "Покровськ", "city", "UA1416021"),
        ("UA14", "Donetsk Oblast", "Донецька область", "oblast", "UA"),
        ("UA80", "Kyiv", "Місто Київ", "oblast", "UA"),
        ("UA", "Ukraine", "Україна", "country", None),
    ]
    frame = pd.DataFrame(rows, columns=["region_id", "name_en", "name_uk", "level", "parent_id"])
    return frame.set_index("region_id")


def test_the_shipped_maps_are_seven_records_with_their_files() -> None:
    assert [m.file for m in catalogue.MAPS] == [
        "overview.html",
        "donetsk.html",
        "zaporizhzhia.html",
        "kirovohrad.html",
        "pokrovsk.html",
        "lithium.html",
        "scenarios.html",
    ]
    assert [m.id for m in catalogue.MAPS if m.scenarios] == ["scenarios"]  # one print set per scenario instead
    assert [m.frame for m in catalogue.MAPS[1:5]] == ["UA14", "UA23", "UA35", "UA1416"]
    assert [m.id for m in catalogue.MAPS if m.qgis_layout] == [
        "overview",
        "donetsk",
        "zaporizhzhia",
        "kirovohrad",
        "pokrovsk",
        "lithium",
    ]
    assert [m.id for m in catalogue.MAPS if m.slider] == ["overview", "donetsk"]


def test_the_print_map_draws_the_levels_the_web_map_shows_at_first() -> None:
    donetsk = catalogue.MAPS[1]
    assert donetsk.printed_levels == (("oblast", ""), ("raion", "UA14"))
    assert catalogue.MAPS[0].share_id == "UA"
    lithium = next(m for m in catalogue.MAPS if m.id == "lithium")
    assert lithium.share_id == "UA"
    assert not catalogue.MAPS[0].locator
    assert lithium.locator
    assert donetsk.label_all
    assert not catalogue.MAPS[0].label_all


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("UA63", "UA63"),
        ("ua6308", "UA6308"),
        ("Kharkiv Oblast", "UA63"),
        ("kharkiv oblast", "UA63"),
        ("Kharkiv", "UA63"),
        ("Харківська область", "UA63"),
        ("Куп'янська", "UA6308009"),  # the hromada; the raion is "Куп'янський"
        ("Купʼянська міська громада", "UA6308009"),  # another apostrophe
        ("Kupianska", "UA6308009"),
        ("Kupianskyi Raion", "UA6308"),
        ("Куп'янський район", "UA6308"),
        ("Pokrovsk", schema.POKROVSK_CITY_ID),
        ("  Donetsk   Oblast ", "UA14"),
        ("Pokrovsk city", schema.POKROVSK_CITY_ID),  # not its hromada, "Pokrovsk urban hromada"
        ("Pokrovsk hromada", "UA1416021"),
        ("Kyiv city", "UA80"),  # an oblast-level city
        ("місто Київ", "UA80"),
    ],
)
def test_a_region_is_found_by_id_or_by_name_in_either_language(query: str, expected: str) -> None:
    assert catalogue.resolve(_regions(), query) == expected


def test_a_name_of_several_regions_lists_them_with_their_ids() -> None:
    with pytest.raises(ArgumentError) as caught:
        catalogue.resolve(_regions(), "Миколаївська")
    message = str(caught.value)
    assert "names 2 regions" in message
    assert "UA4802001" in message
    assert "UA5102001" in message
    assert "\n" not in message


@pytest.mark.parametrize("query", ["Kharkiv city", "Kharkiv raion", "Kharkiv hromada", "місто Харків"])
def test_a_kind_word_is_not_dropped_to_match_a_region_of_another_kind(query: str) -> None:
    with pytest.raises(ArgumentError, match="closest") as caught:
        catalogue.resolve(_regions(), query)  # the oblast is "Kharkiv"; the city's hromada "Kharkivska"
    assert "UA63 " not in str(caught.value).split("closest")[0]


def test_ukraine_is_the_overview() -> None:
    with pytest.raises(ArgumentError, match=r"overview\.html"):
        catalogue.resolve(_regions(), "ua")


def test_an_unknown_name_says_so_with_the_closest_names() -> None:
    with pytest.raises(ArgumentError) as caught:
        catalogue.resolve(_regions(), "Kupyansk")
    message = str(caught.value)
    assert "no oblast, raion, hromada or city" in message
    assert "UA6308009" in message  # Kupianska is the closest


def test_a_hostile_query_comes_back_printable_and_short() -> None:
    with pytest.raises(ArgumentError) as caught:
        catalogue.resolve(_regions(), "x\x1b[2J\n" + "y" * 500)
    message = str(caught.value)
    assert "\x1b" not in message
    assert "\n" not in message
    assert len(message) < 600


def test_ukraine_itself_is_not_a_region_map() -> None:
    with pytest.raises(ArgumentError):
        catalogue.resolve(_regions(), "Ukraine")
    with pytest.raises(ArgumentError, match="overview"):
        catalogue.region_map(_regions(), "UA")


def test_a_map_of_any_oblast_is_made_as_the_focus_oblasts_maps_are() -> None:
    record = catalogue.region_map(_regions(), "UA63")
    assert record.id == "ua63-kharkiv-oblast"
    assert record.file == "ua63-kharkiv-oblast.html"
    assert record.levels == (Level("oblast"), Level("raion", "UA63"), Level("hromada", "UA63", shown=False))
    assert (record.scale, record.focus, record.slider, record.qgis_layout) == ("oblast", ("UA63",), True, True)
    assert record.region_title


def test_a_hromada_map_shows_its_raion_and_states_both_shares() -> None:
    record = catalogue.region_map(_regions(), "UA6308009")
    assert record.frame == "UA6308009"
    assert record.levels == (Level("raion", "UA6308"), Level("hromada", "UA6308"))
    assert record.focus == ("UA6308009", "UA6308")
    assert record.scale == "local"


def test_a_city_map_shows_its_hromada_and_raion() -> None:
    record = catalogue.region_map(_regions(), schema.POKROVSK_CITY_ID)
    assert record.focus == (schema.POKROVSK_CITY_ID, "UA1416021", "UA1416")
    assert Level("city", schema.POKROVSK_CITY_ID) in record.levels


def test_a_map_asked_for_twice_or_already_made_is_made_once() -> None:
    records = catalogue.all_maps(_regions(), ["UA63", "UA63", "UA14", "UA6308"])
    assert [r.id for r in records] == [
        *(m.id for m in catalogue.MAPS),
        "ua63-kharkiv-oblast",
        "ua6308-kupianskyi-raion",
    ]


def test_two_records_with_one_id_are_refused() -> None:
    with pytest.raises(ArgumentError, match="overview"):
        catalogue.check_unique([catalogue.MAPS[0], catalogue.MAPS[0]])


def test_a_region_map_id_keeps_only_safe_characters() -> None:
    regions = _regions()
    regions.loc["UA63", "name_en"] = '../<script>"Kharkiv"'
    record = catalogue.region_map(regions, "UA63")
    assert record.id == "ua63-script-kharkiv"


def test_a_region_map_is_titled_with_the_regions_name_in_each_language() -> None:
    record = catalogue.region_map(_regions(), "UA6308009")
    assert catalogue.title(record, i18n.words("en"), _regions()) == "Kupianska miska hromada"
    assert catalogue.title(record, i18n.words("uk"), _regions()) == "Куп'янська міська громада"
    assert catalogue.title(catalogue.MAPS[1], i18n.words("en"), _regions()) == "Donetsk Oblast"


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        ("Згурівська", "zghurivska"),
        ("Єнакієве", "yenakiieve"),
        ("Їжакевич", "yizhakevych"),
        ("Йосипівка", "yosypivka"),
        ("Юріївка", "yuriivka"),
        ("Яблунівка", "yablunivka"),
        ("Щастя", "shchastia"),
        ("Куп'янськ", "kupiansk"),
    ],
)
def test_names_are_matched_in_the_official_romanisation(text: str, latin: str) -> None:
    assert catalogue.name_key(text) == latin
