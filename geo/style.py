"""Colours, groups and display labels: the one place the look of every output is defined."""

from __future__ import annotations

from typing import Final

from geo import schema

#: Deposit groups shown as map layers, by primary commodity, in legend order.
#: Colours: Okabe-Ito (colour-blind safe) plus grey and brown.
COMMODITY_GROUPS: Final = (
    ("lithium", "Lithium", ("lithium",), "#CC79A7"),
    ("coal_coking", "Coking coal", ("coal_coking",), "#000000"),
    ("coal", "Thermal and other coal", ("coal_thermal", "coal"), "#999999"),
    ("iron_ore", "Iron ore", ("iron_ore",), "#D55E00"),
    ("titanium", "Titanium and zirconium", ("titanium", "zirconium"), "#0072B2"),
    ("manganese", "Manganese", ("manganese",), "#E69F00"),
    ("rare_earths", "Rare earths", ("rare_earths",), "#009E73"),
    ("uranium", "Uranium", ("uranium",), "#F0E442"),
    ("graphite", "Graphite", ("graphite",), "#56B4E9"),
    ("other", "Other (alumina, …)", (), "#8C564B"),
)

OCCUPIED_SINCE_2022_COLOUR: Final = "#a52714"
OCCUPIED_BEFORE_2022_COLOUR: Final = "#880e4f"
FRONT_COLOUR: Final = "#3b0a0a"
REGION_COLOUR: Final = "#333333"
FOCUS_COLOUR: Final = "#1f4e9c"
OCCUPATION_OPACITY: Final = 0.35

CONTROL_LABELS: Final = {
    schema.OCCUPIED_SINCE_2022: "Occupied since 24 Feb 2022",
    schema.OCCUPIED_BEFORE_2022: "Occupied before 24 Feb 2022",
    schema.HELD: "Held by Ukraine",
    schema.UNKNOWN: "Unknown (no location)",
}
#: Marker outline by control status: (colour, weight, dash pattern or None).
CONTROL_OUTLINE: Final = {
    schema.OCCUPIED_SINCE_2022: ("#000000", 3, None),
    schema.OCCUPIED_BEFORE_2022: ("#000000", 3, None),
    schema.HELD: ("#ffffff", 1, None),
    schema.UNKNOWN: ("#555555", 2, "3 3"),
}

PRECISION_LABELS: Final = {
    "site": "site (about ±1 km)",
    "site_cluster_mean": "mean of clustered sites (about ±2.5 km)",
    "site_approx": "approximate site (±2–5 km)",
    "locality_centroid": "centre of the nearest locality",
    "hromada_centre": "hromada centre (±15–30 km)",
    "raion_centre": "raion centre (±15–30 km)",
    "none": "no location below oblast level",
}


def commodity_group(primary: str) -> str:
    """Return the key of the map group a primary commodity belongs to."""
    for key, _label, members, _colour in COMMODITY_GROUPS:
        if primary in members:
            return key
    return "other"


def group_colour(key: str) -> str:
    """Return the colour of a commodity group."""
    return {k: colour for k, _l, _m, colour in COMMODITY_GROUPS}[key]


def label(value: str) -> str:
    """Turn a vocabulary value into display text (``coal_coking`` → ``coal coking``)."""
    return value.replace("_", " ")
