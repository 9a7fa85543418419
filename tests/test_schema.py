"""The shared vocabulary is consistent with itself."""

from __future__ import annotations

import pytest

from geo import schema


def test_metals_are_commodities() -> None:
    assert set(schema.METALS) <= set(schema.COMMODITIES)
    assert not {"coal", "coal_thermal", "coal_coking", "graphite"} & set(schema.METALS)


def test_every_table_column_is_registered_once() -> None:
    for name, columns in schema.TABLE_COLUMNS.items():
        assert len(set(columns)) == len(columns), name
        assert set(columns) <= set(schema.COLUMNS), name
    assert all(key == column.name for key, column in schema.COLUMNS.items())


def test_the_registry_rounds_areas_and_shares_as_the_tables_always_have() -> None:
    rounded = {name: column.decimals for name, column in schema.COLUMNS.items() if column.decimals is not None}
    assert rounded == {
        "area_km2": 3,
        "occupied_km2": 3,
        "occupied_before_2022_km2": 3,
        "occupied_since_2022_km2": 3,
        "contested_km2": 3,
        "russian_controlled_km2": 3,
        "a_only_km2": 3,
        "b_only_km2": 3,
        "both_km2": 3,
        "agreement": 6,
        "demilitarised_km2": 3,
        "ukrainian_km2": 3,
        "ceded_km2": 3,
        "returned_km2": 3,
        "russian_controlled_share": 6,
        "russian_or_demilitarised_share": 6,
        "occupied_share": 6,
        "reserve_coverage": 6,
        "reserve_occupied_share": 6,
        "value_occupied_share_low": 6,
        "value_occupied_share": 6,
        "value_occupied_share_high": 6,
        "share_low": 6,
        "share_high": 6,
        "distance_to_front_km": 2,
        "length_km": 1,
    }
    for name, column in schema.COLUMNS.items():  # the naming rules: areas *_km2, shares in [0, 1] *_share
        if name.endswith("_km2"):
            assert column.decimals == schema.KM2_DECIMALS, name
        if "share" in name.split("_"):
            assert column.decimals == schema.SHARE_DECIMALS, name


def test_a_table_of_an_unregistered_column_is_refused() -> None:
    with pytest.raises(KeyError, match=r"columns nope, nada are not in geo\.schema\.COLUMNS; add an entry for each"):
        schema.table_columns("region_id", "nope", "nada")


def test_a_column_names_its_catalogue_keys() -> None:
    column = schema.COLUMNS["area_km2"]
    assert column.alias_key == "column.area_km2"
    assert column.about_key(schema.REGIONS_CSV) == "column_about.regions.area_km2"
