"""The message catalogues and the number formats of each language."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pandas as pd
import pytest

from geo import catalogue, i18n, schema, style
from geo.errors import ArgumentError, ValidationError


def _catalogue(lang: str) -> dict[str, str]:
    data = json.loads((i18n.MESSAGES_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return {str(key): str(value) for key, value in data.items()}


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    english = _catalogue("en")
    for lang in i18n.LANGUAGES:
        other = _catalogue(lang)
        assert sorted(set(english) ^ set(other)) == [], f"{lang}: keys missing in one catalogue"
        for key, text in english.items():
            assert i18n.placeholders(other[key]) == i18n.placeholders(text), (lang, key)
            assert other[key].strip(), (lang, key)


def test_the_catalogue_names_every_value_the_outputs_show() -> None:
    groups = {key for key, *_ in style.COMMODITY_GROUPS}
    for lang in i18n.LANGUAGES:
        words = i18n.words(lang)
        needed = [
            *(f"group.{key}" for key in groups),
            *(f"commodity.{c}" for c in schema.COMMODITIES),
            *(f"status.{s}" for s in schema.STATUSES),
            *(f"control.{s}" for s in schema.CONTROL_STATUSES),
            *(f"control_phrase.{s}" for s in schema.CONTROL_STATUSES),
            *(f"precision.{p}" for p in schema.COORD_PRECISIONS),
            *(f"level.{level}" for level in style.LEVEL_STYLE),
            *(f"level_one.{level}" for level in style.LEVEL_STYLE),
            *(f"map.title.{spec.id}" for spec in catalogue.MAPS),
        ]
        assert [key for key in needed if key not in words.messages] == []


def _literal(text: str) -> str:
    return "".join(literal for literal, *_ in string.Formatter().parse(text))


def test_ukrainian_words_are_ukrainian() -> None:
    english, ukrainian = _catalogue("en"), _catalogue("uk")
    # every message with words of its own has Cyrillic in Ukrainian, but for what stays as it is (the project name,
    # ids) and the names of map layers from outside (OpenStreetMap, DeepState)
    for key, text in ukrainian.items():
        if key in {"page.title", "popup.id"}:
            assert text == english[key]
        elif any(char.isalpha() for char in _literal(english[key])):
            assert any("\u0400" <= char <= "\u04ff" for char in _literal(text)), key


def test_number_formats_follow_the_language() -> None:
    en, uk = i18n.words("en"), i18n.words("uk")
    assert en.share(0.801) == "80.1%"
    assert uk.share(0.801) == "80,1\u00a0%"
    assert uk.share(0.4, 0) == "40\u00a0%"
    assert en.number(21222.54, 1) == "21,222.5"
    assert uk.number(21222.54, 1) == "21\u00a0222,5"
    assert uk.number(1234567) == "1\u00a0234\u00a0567"
    assert en.number(float("nan")) == uk.share(None) == ""


def test_messages_fill_their_placeholders() -> None:
    uk = i18n.words("uk")
    assert uk("layer.deposits", group="Уран") == "Родовища: Уран"
    with pytest.raises(KeyError, match="no message 'nope'"):
        uk("nope")


def test_languages_are_parsed_and_unknown_ones_refused() -> None:
    assert i18n.parse_languages("en,uk") == ("en", "uk")
    assert i18n.parse_languages(" uk , en,uk") == ("uk", "en")
    for bad in ("fr", "en,fr", "", ",", "EN"):
        with pytest.raises(ArgumentError, match="choose one or more languages of en, uk"):
            i18n.parse_languages(bad)
    with pytest.raises(ArgumentError, match="unknown language 'de'"):
        i18n.words("de")


def test_a_record_goes_by_its_name_in_the_language_else_its_other_name() -> None:
    en, uk = i18n.words("en"), i18n.words("uk")
    both = {"name_en": "Dobra lithium site", "name_uk": "Ділянка Добра"}
    assert uk.names(both) == ("Ділянка Добра", "Dobra lithium site")
    assert en.names(both) == ("Dobra lithium site", "Ділянка Добра")
    for blank in (None, float("nan"), "", "   ", "\u202e\u200b", 3):  # nothing visible to read
        assert uk.names({"name_en": "Northern GOK", "name_uk": blank}) == ("Northern GOK", None)
    assert uk.names({"name_en": "Same", "name_uk": "Same"}) == ("Same", None)
    assert uk.names({}) == ("", None)


def test_a_catalogue_with_missing_keys_or_other_placeholders_is_refused_at_once() -> None:
    reference = {"a": "A {n}", "b": "B", "c": "C"}
    i18n.check_catalogue("xx", {"a": "А {n}", "b": "Б", "c": "В"}, reference)
    with pytest.raises(ValidationError) as err:
        i18n.check_catalogue("xx", {"a": "А {count}", "c": "В", "d": "Г"}, reference)
    assert str(err.value) == (
        "geo/messages/xx.json: missing b; not in en.json d; other placeholders than en.json a; "
        "every catalogue needs the keys and placeholders of en.json"
    )


def test_every_registered_column_has_a_label_and_no_label_is_left_over() -> None:
    for lang in i18n.LANGUAGES:
        messages = i18n.words(lang).messages
        labels = {key for key in messages if key.startswith("column.")}
        assert labels == {column.alias_key for column in schema.COLUMNS.values()}, lang
        assert all(messages[key].strip() for key in labels), lang


@pytest.mark.parametrize(
    ("uk", "en"),
    [  # the examples of the KMU 2010 table (resolution No. 55)
        ("Згорани", "Zghorany"),
        ("Розгон", "Rozghon"),
        ("Єнакієве", "Yenakiieve"),
        ("Гаєвич", "Haievych"),
        ("Їжакевич", "Yizhakevych"),
        ("Кадиївка", "Kadyivka"),
        ("Йосипівка", "Yosypivka"),
        ("Стрий", "Stryi"),
        ("Юрій", "Yurii"),
        ("Корюківка", "Koriukivka"),
        ("Яготин", "Yahotyn"),
        ("Костянтин", "Kostiantyn"),
        ("Знам'янка", "Znamianka"),
        ("Феодосія", "Feodosiia"),
        ("Щербухи", "Shcherbukhy"),
        ("Ґалаґан", "Galagan"),
        ("Мар’їнська міська громада", "Marinska miska hromada"),  # ї after an apostrophe is not word-initial
        ("Кам'янець-Подільський", "Kamianets-Podilskyi"),
    ],
)
def test_transliteration_follows_kmu_2010(uk: str, en: str) -> None:
    assert i18n.transliterate(uk) == en


def test_direction_controls_from_data_are_dropped_where_text_is_written() -> None:
    spoof = "Kharkiv\u202e%0.5 occupied"  # RIGHT-TO-LEFT OVERRIDE would turn the rest of the line around
    assert i18n.xml_text(spoof) == "Kharkiv%0.5 occupied"
    assert i18n.without_bidi("a\u2066b\u2069c\u202ad") == "abcd"
    assert i18n.without_bidi("שלום\u200f") == "שלום\u200f"  # a mark is harmless and kept


@pytest.mark.parametrize(
    ("name_en", "name_uk", "latin"),
    [  # Global Energy Monitor's spellings, and the Ukrainian names the records carry (layers/deposits/deposits.csv)
        ("Ilovayskaya Coal Mine", "Шахта Іловайська", "Ilovaiska Coal Mine"),
        ("Almaznaya Coal Mine", "Шахта Алмазна", "Almazna Coal Mine"),
        ("Yuvileyna Coal Mine", "шахта Ювілейна", "Yuvileina Coal Mine"),
        ("Bilozerskaya Coal Mine", "Білозерська", "Bilozerska Coal Mine"),
        # the source's words only: the initials the Ukrainian name adds are not taken over
        ("Zasyadko Coal Mine", "А. Ф. Засядько", "Zasiadko Coal Mine"),
        # the source's number and order stay; "№" never reaches a Latin name
        ("Novogrodovskaya No 1-3 Coal Mine", "Шахта 1-3 Новогродівська", "Novohrodivska No 1-3 Coal Mine"),
        ("Novovolynskaya No 10 Coal Miine", "Шахта Нововолинська №10", "Novovolynska No 10 Coal Mine"),
        ("Pivdennodonbaska 1 Coal Mine", "Шахта Південнодонбаська №1", "Pivdennodonbaska 1 Coal Mine"),
        # another name altogether, after «ім.»: the source's (its number kept)
        ("Pivdennodonbaska 3 Coal Mine", "Шахта ім. М. С. Сургая", "Pivdennodonbaska 3 Coal Mine"),
        # a genitive, after «імені» or alone, is not a spelling of the source's name
        ("Bazhanova Coal Mine", "Шахта імені В. М. Бажанова", "Bazhanova Coal Mine"),
        ("Kirova Coal Mine (Ukraine)", "Шахта імені С. М. Кірова", "Kirova Coal Mine (Ukraine)"),
        ("V. V. Vakhrushev Coal Mine", "В. В. Вахрушева", "V. V. Vakhrushev Coal Mine"),
        # an English translation in the source is kept, not replaced by the Ukrainian words
        ("Red Partisan Coal Mine", "Червоний партизан", "Red Partisan Coal Mine"),
        ("Heroes of Space Coal Mine", "Шахта Героїв Космосу", "Heroes of Space Coal Mine"),
        ("West Donbass Coal Mine", "шахта Західно-Донбаська", "West Donbass Coal Mine"),
        # Russian о and е where Ukrainian writes і, and -oye for -е (not in the shipped data yet)
        ("Kharkovskaya Coal Mine", "Шахта Харківська", "Kharkivska Coal Mine"),
        ("Zolotoye Coal Mine", "Шахта Золоте", "Zolote Coal Mine"),
        # no Ukrainian name: the source's spelling, nothing invented
        ("Gorskaya Coal Mine", "", "Gorskaya Coal Mine"),
        ("Gorskaya Coal Mine", None, "Gorskaya Coal Mine"),
        # not a "<name> Coal Mine": the source's name (the curated ones are national already)
        ("Shevchenkivske lithium deposit", "Шевченківське родовище літієвих руд", "Shevchenkivske lithium deposit"),
        ("Northern GOK", "", "Northern GOK"),
        # a Ukrainian name of kind words only gives no proper name: the source's
        ("Odd Coal Mine", "Шахта", "Odd Coal Mine"),
    ],
)
def test_latin_names_follow_the_national_transliteration(name_en: str, name_uk: str | None, latin: str) -> None:
    assert i18n.national_name(name_en, name_uk) == latin


def test_a_map_names_a_record_in_its_language_by_one_rule() -> None:
    en, uk = i18n.words("en"), i18n.words("uk")
    gem = {"name_en": "Ilovayskaya Coal Mine", "name_uk": "Шахта Іловайська"}
    assert en.map_name(gem) == "Ilovaiska Coal Mine"
    assert uk.map_name(gem) == "Шахта Іловайська"
    alone = {"name_en": "Gorskaya Coal Mine", "name_uk": None}
    assert en.map_name(alone) == "Gorskaya Coal Mine"
    assert uk.map_name(alone) == "Gorskaya Coal Mine"  # no Ukrainian name is made up
    assert en.map_name({"name_en": "", "name_uk": "Шахта Степова"}) == "Шахта Степова"  # its only name


def test_the_shipped_records_respelt_by_the_naming_rule_are_these_seven() -> None:
    """README "Known limits" → "Names (issue 19)" counts them: 7 of the 43 records with a Ukrainian name change."""
    root = Path(__file__).resolve().parent.parent
    table = pd.read_csv(root / "layers" / "deposits" / "deposits.csv", dtype=str, keep_default_na=False)
    changed = {
        row["name_en"]: latin
        for row in table.to_dict("records")
        if (latin := i18n.national_name(row["name_en"], row["name_uk"])) != row["name_en"]
    }
    assert changed == {
        "Almaznaya Coal Mine": "Almazna Coal Mine",
        "Bilozerskaya Coal Mine": "Bilozerska Coal Mine",
        "Buzhanskaya Coal Mine": "Buzhanska Coal Mine",
        "Ilovayskaya Coal Mine": "Ilovaiska Coal Mine",
        "Yuvileyna Coal Mine": "Yuvileina Coal Mine",
        "Zasyadko Coal Mine": "Zasiadko Coal Mine",
        "Novogrodovskaya No 1-3 Coal Mine": "Novohrodivska No 1-3 Coal Mine",
    }
    assert (table["name_uk"].str.strip() != "").sum() == 43


def test_a_respelt_word_keeps_the_sources_capital() -> None:
    assert i18n.national_name("Stepova Coal Mine", "степова") == "Stepova Coal Mine"
    assert i18n.national_name("Ilovayskaya Coal Mine", "шахта іловайська") == "Ilovaiska Coal Mine"
