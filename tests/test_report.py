"""The change report: a record and its Markdown from measured changes (numbers made up by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import i18n, report, schema


def _report() -> dict[str, object]:
    regions = pd.DataFrame(
        {"name_en": ["Donetsk Oblast", "Kyiv Oblast", "Pokrovsk"], "level": ["oblast", "oblast", "city"]},
        index=pd.Index(["UA14", "UA32", "UA1416021-city"]),
    )
    return report.change_report(
        regions=regions,
        gained_km2=pd.Series([12.3456, 0.0, 0.0], index=regions.index),
        lost_km2=pd.Series([0.5, 0.0, 0.0], index=regions.index),
        always=("UA1416021-city",),
        deposits_changed=[
            {"id": "D1", "name_en": "Pokrovske mine", "before": schema.HELD, "after": schema.OCCUPIED_SINCE_2022}
        ],
        previous_date="2026-08-21",
        date="2026-08-22",
        occupied_km2=116_000.04,
        previous_occupied_km2=115_988.2,
        total_gained_km2=12.35,
        total_lost_km2=0.5,
        contested_km2=812.26,
    )


def test_only_regions_that_changed_and_the_focus_regions_are_listed() -> None:
    rows = _report()["regions"]
    assert rows == [
        {"region_id": "UA14", "name_en": "Donetsk Oblast", "level": "oblast", "gained_km2": 12.346, "lost_km2": 0.5,
         "net_km2": 11.846},
        {"region_id": "UA1416021-city", "name_en": "Pokrovsk", "level": "city", "gained_km2": 0.0, "lost_km2": 0.0,
         "net_km2": 0.0},
    ]  # fmt: skip


def test_markdown_states_totals_grey_zone_regions_and_deposits() -> None:
    text = report.report_markdown(_report())
    assert text.splitlines()[:3] == [
        "# Occupation change: 2026-08-21 → 2026-08-22",
        "",
        "Occupied: 116,000.0 km² (previous: 115,988.2); gained 12.3 km², lost 0.5 km²; grey zone (not counted as "
        "occupied) 812.3 km² (EPSG:6933). Source: DeepStateMap.Live.",
    ]
    assert "| Donetsk Oblast (UA14) | oblast | 12.346 | 0.500 | 11.846 |" in text
    assert text.endswith("- Pokrovske mine (D1): held by Ukraine → occupied since 24 Feb 2022\n")
    assert report.deposits_changed_text(_report()) == "Pokrovske mine: held by Ukraine → occupied since 24 Feb 2022"


def test_the_markdown_takes_every_word_from_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    english = i18n.words("en")
    marked = i18n.Words(
        lang="en",
        messages={
            k: f"«{v}»" if k.startswith(("report.", "control_phrase.")) else v for k, v in english.messages.items()
        },
    )
    monkeypatch.setattr(i18n, "words", lambda *_: marked)
    lines = report.report_markdown(_report()).splitlines()
    assert lines[0] == "# «Occupation change: 2026-08-21 → 2026-08-22»"
    assert lines[2].startswith("«Occupied: 116,000.0 km² (previous: 115,988.2);")
    assert lines[4] == "| «region» | «level» | «gained km²» | «lost km²» | «net km²» |"
    assert lines[-3:] == [
        "«Deposits whose control changed:»",
        "",
        "- Pokrovske mine (D1): «held by Ukraine» → «occupied since 24 Feb 2022»",
    ]
    record = {**_report(), "deposits_changed": [], "previous_snapshot": None, "previous_occupied_km2": None}
    lines = report.report_markdown(record).splitlines()
    assert lines[0] == "# «Occupation change: «none» → 2026-08-22»"
    assert "(previous: «n/a»)" in lines[2]
    assert lines[-1] == "- «none»"
    assert report.deposits_changed_text(record) == "«none»"
