"""The shared vocabulary is consistent with itself."""

from __future__ import annotations

from geo import schema


def test_metals_are_commodities() -> None:
    assert set(schema.METALS) <= set(schema.COMMODITIES)
    assert not {"coal", "coal_thermal", "coal_coking", "graphite"} & set(schema.METALS)


def test_every_focus_oblast_and_pokrovsk_has_a_map() -> None:
    assert {schema.DONETSK_ID, schema.ZAPORIZHZHIA_ID, schema.KIROVOHRAD_ID, schema.POKROVSK_RAION_ID} <= set(
        schema.MAP_FILES
    )
    assert set(schema.MAP_FILES.values()) == {
        "overview.html",
        "donetsk.html",
        "zaporizhzhia.html",
        "kirovohrad.html",
        "pokrovsk.html",
        "lithium.html",
    }
