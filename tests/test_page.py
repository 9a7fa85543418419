"""The static maps' page: labels and wrapped text from hostile names, and the title, subtitle and credits."""

from __future__ import annotations

import pandas as pd

from geo import catalogue, i18n, page, plot, schema


def test_a_long_hostile_name_becomes_a_short_plain_label() -> None:
    label = page.label_text("W" * 300)
    assert max(page.text_width_pt(line, 1.0) for line in label.split("\n")) <= page.LABEL_LINE_EMS
    assert max(len(line) for line in label.split("\n")) < 20  # W is about an em wide
    assert len(label.split("\n")) == 4
    assert label.endswith("…")  # only a name longer than four lines is cut
    assert page.label_text("  a\tb\x00c  ") == "a bc"


def test_a_name_longer_than_the_cap_ends_in_an_ellipsis_even_where_it_fits_in_four_lines() -> None:
    # 399 narrow letters: the first 160 fit in four lines, the rest were left out without a sign
    label = page.label_text("i" * 399)
    assert label.endswith("…")
    assert label.replace("\n", "") == "i" * 159 + "…"
    assert page.label_text("il " * 133).endswith("il il…")
    assert not page.label_text("i" * 160).endswith("…")  # a name within the cap is whole
    assert page.label_text("i" * 160).replace("\n", "") == "i" * 160


def test_a_long_real_name_is_wrapped_whole_never_cut() -> None:
    # the longest names of the shipped deposits: cut with … before issue 19
    assert page.label_text("Irshansk titanium (ilmenite) placer deposits - Irshansk Mining and Processing Plant") == (
        "Irshansk titanium (ilmenite)\nplacer deposits - Irshansk\nMining and Processing\nPlant"
    )
    assert page.label_text("Nikopol manganese basin - Pokrov MPP (former Ordzhonikidze GOK)") == (
        "Nikopol manganese basin -\nPokrov MPP (former\nOrdzhonikidze GOK)"
    )
    assert page.label_text("Нікопольський марганцеворудний басейн - Марганецький ГЗК") == (
        "Нікопольський\nмарганцеворудний\nбасейн - Марганецький\nГЗК"
    )


def test_a_short_name_is_one_line_and_two_words_may_share_it() -> None:
    assert page.label_text("Dobra lithium site") == "Dobra lithium site"
    assert page.label_text("Polokhivske lithium deposit of Kirovohrad") == "Polokhivske lithium deposit\nof Kirovohrad"


def test_a_word_wider_than_the_line_is_cut_to_fit() -> None:
    wrapped = page.wrap_text("Кіровоградська " + "Ш" * 120 + " область", 200.0, 10.0)
    lines = wrapped.split("\n")
    assert len(lines) > 3
    assert all(page.text_width_pt(line, 10.0) <= 200.0 for line in lines), lines
    assert wrapped.replace("\n", "").replace(" ", "") == "Кіровоградська" + "Ш" * 120 + "область"  # nothing lost


def test_a_character_the_font_lacks_becomes_a_replacement() -> None:
    assert page.clean_text("漢 Добра\u200b") == f"{page.MISSING_GLYPH} Добра"  # the zero-width space is left out
    assert page.cut("abcdef", 4) == "abc…"


def test_the_page_states_the_region_share_and_the_credits_and_leaves_a_band_between() -> None:
    words = i18n.words("en")
    spec = next(s for s in catalogue.MAPS if s.id == "kirovohrad")
    regions = pd.DataFrame(
        {"name_en": ["Kirovohrad Oblast"], "name_uk": ["Кіровоградська область"], "occupied_share": [0.0]},
        index=[schema.KIROVOHRAD_ID],
    )
    title, subtitle, credits = page.page_words(
        spec, words, regions=regions, snapshot_date="2026-08-22", credit="NZZ, data from Liveuamap"
    )
    assert title == words("map.title.kirovohrad")
    assert "Kirovohrad Oblast" in subtitle
    assert "2026-08-22 (NZZ, data from Liveuamap)" in subtitle
    assert credits.endswith("Occupied areas: NZZ, data from Liveuamap · Made with Natural Earth")
    layout = page.LAYOUTS["pdf"]
    figure = plot.Figure(figsize=(layout.width_in, layout.height_in), dpi=layout.dpi)
    bottom, top = page.draw_page(figure, layout, title, subtitle, credits)
    assert layout.margin_in < bottom < top < layout.height_in - layout.margin_in
    assert top - bottom > layout.height_in / 2  # the map keeps most of the page
    assert [a.get_gid() for a in figure.artists] == ["title", "credits"]


def test_a_word_too_wide_for_a_label_line_is_cut_after_a_hyphen() -> None:
    # "цирконій-рідкісноземельне" is wider than 14 ems: cut after its hyphen, not mid-letter ("…рідкісноземельн\nе")
    assert page.label_text("Азовське цирконій-рідкісноземельне родовище") == (
        "Азовське цирконій-\nрідкісноземельне\nродовище"
    )
