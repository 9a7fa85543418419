"""The look: commodity groups, colours and shapes."""

from __future__ import annotations

from geo import schema, style


def test_every_commodity_has_exactly_one_group() -> None:
    for commodity in schema.COMMODITIES:
        assert style.commodity_group(commodity) in {key for key, *_ in style.COMMODITY_GROUPS}
    assert style.commodity_group("lithium") == "lithium"
    assert style.commodity_group("coal_thermal") == style.commodity_group("coal") == "coal"
    assert style.commodity_group("alumina") == "other"


def test_colours_are_distinct_and_every_status_is_styled() -> None:
    colours = [colour for *_, colour in style.COMMODITY_GROUPS]
    assert len(set(colours)) == len(colours)
    assert set(schema.CONTROL_STATUSES) == set(style.CONTROL_OUTLINE)
    assert set(style.GROUP_SHAPES) == {key for key, *_ in style.COMMODITY_GROUPS}
    assert set(style.SHAPES) == set(style.QGIS_SHAPES) == set(style.MATPLOTLIB_SHAPES)
