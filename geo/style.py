"""Colours, shapes, groups and credits: the one place the look of every output is defined (the words are in `geo.i18n`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from geo import schema

#: Deposit groups shown as map layers, by primary commodity, in legend order: (key, members, colour); their names
#: are the catalogue's ``group.<key>`` (`geo.i18n`). Colours: Okabe-Ito (colour-blind safe) plus grey and brown.
COMMODITY_GROUPS: Final = (
    ("lithium", ("lithium",), "#CC79A7"),
    ("coal_coking", ("coal_coking",), "#332288"),
    ("coal", ("coal_thermal", "coal"), "#999999"),
    ("iron_ore", ("iron_ore",), "#D55E00"),
    ("titanium", ("titanium", "zirconium"), "#0072B2"),
    ("manganese", ("manganese",), "#E69F00"),
    ("rare_earths", ("rare_earths",), "#009E73"),
    ("uranium", ("uranium",), "#F0E442"),
    ("graphite", ("graphite",), "#56B4E9"),
    ("other", (), "#8C564B"),
)

#: Marker shapes as SVG path data in a 20 x 20 box (drawn with a 2-unit margin).
SHAPES: Final = {
    "circle": "M3,10a7,7 0 1,0 14,0a7,7 0 1,0 -14,0",
    "square": "M4,4H16V16H4Z",
    "diamond": "M10,2L18,10L10,18L2,10Z",
    "triangle": "M10,2L18,17H2Z",
    "triangle_down": "M2,3H18L10,18Z",
    "pentagon": "M10,2L18,8L15,17H5L2,8Z",
    "hexagon": "M5.5,2.5H14.5L19,10L14.5,17.5H5.5L1,10Z",
    "star": "M10,1L12.6,7.4L19.5,7.6L14.1,11.9L16,18.5L10,14.7L4,18.5L5.9,11.9L0.5,7.6L7.4,7.4Z",
    "plus": "M7,2H13V7H18V13H13V18H7V13H2V7H7Z",
}
#: Shape of each commodity group's marker: colour and shape both carry the commodity.
GROUP_SHAPES: Final = {
    "lithium": "star",
    "coal_coking": "square",
    "coal": "circle",
    "iron_ore": "diamond",
    "titanium": "triangle",
    "manganese": "pentagon",
    "rare_earths": "hexagon",
    "uranium": "triangle_down",
    "graphite": "plus",
    "other": "circle",
}
#: The same shapes as QGIS simple-marker names, with a rotation in degrees.
QGIS_SHAPES: Final = {
    "circle": ("circle", 0),
    "square": ("square", 0),
    "diamond": ("diamond", 0),
    "triangle": ("triangle", 0),
    "triangle_down": ("triangle", 180),
    "pentagon": ("pentagon", 0),
    "hexagon": ("hexagon", 0),
    "star": ("star", 0),
    "plus": ("cross_fill", 0),
}
#: The same shapes as matplotlib markers (the static maps).
MATPLOTLIB_SHAPES: Final = {
    "circle": "o",
    "square": "s",
    "diamond": "D",
    "triangle": "^",
    "triangle_down": "v",
    "pentagon": "p",
    "hexagon": "h",
    "star": "*",
    "plus": "P",
}
#: Region outlines by level: (colour, width in screen pixels); the layer names are the catalogue's ``level.<level>``.
REGION_COLOUR: Final = "#333333"
FOCUS_COLOUR: Final = "#1f4e9c"
LEVEL_STYLE: Final = {
    "country": ("#555555", 1.2),
    "oblast": (REGION_COLOUR, 1.6),
    "raion": (REGION_COLOUR, 0.9),
    "hromada": (FOCUS_COLOUR, 0.6),
    "city": (FOCUS_COLOUR, 2.5),
}
#: The focus region of a regional map (its `geo.catalogue.MapRecord.focus`): drawn over the other outlines in this
#: colour and width (screen px), with the land outside it veiled in white at this opacity, in HTML and print alike.
FOCUS_OUTLINE: Final = (FOCUS_COLOUR, 3.0)
OUTSIDE_FOCUS_VEIL: Final = ("#ffffff", 0.45)
#: Millimetres per screen pixel at 96 dpi, to carry widths into QGIS.
MM_PER_PX: Final = 0.2646

#: Groups whose markers are clustered where dense (the Donbas coal mines); lithium never is.
CLUSTERED_GROUPS: Final = ("coal",)
MARKER_SIZE: Final = 18
LITHIUM_MARKER_SIZE: Final = 26
#: Marker sizes (px) when the map sizes deposits by their published reserve: the largest figure of a commodity group
#: (in one measure) gets the largest, the others by the square root of their share of it (area ∝ tonnes).
RESERVE_MARKER_SIZES: Final = (10, 46)


@dataclass(frozen=True)
class OccupationSource:
    """One source of occupied areas: what every map, layer and table showing it credits, and what it leaves out."""

    credit: str  # the name shown: "Occupied areas: <credit>"
    url: str  # where users get it (and the credit's link)
    licence: str  # what its terms allow, as the sidecar records it
    leaves_out: str = ""  # what it does not draw, in words ('' if nothing)
    #: What it leaves out on some or all dates (`geo.occupation.LEAVES_OUT`): always left out of its comparisons.
    leaves_out_ids: tuple[str, ...] = ()


#: The occupation sources, by the id that names their folder in layers/occupation and their snapshot files;
#: the one home of their credits.  Adding a source: its adapter module in geo/occupation, an entry here, its tests.
OCCUPATION_SOURCES: Final = {
    "deepstate": OccupationSource(
        "DeepStateMap.Live",
        "https://deepstatemap.live",
        "DeepStateMap.Live terms: free for volunteer, charitable and Ukraine-defence (non-commercial) use with "
        "credit; commercial use needs prior approval; no redistribution as a standalone data set",
    ),
    "nzz": OccupationSource(
        "NZZ, data from Liveuamap",
        "https://github.com/conflict-investigations/nzz-maps",
        "No licence: NZZ's map data (from Liveuamap) may not be redistributed; credit Liveuamap in any graphic",
        "Crimea and Sevastopol always; the areas held before 24 Feb 2022 from 2024-03-14",
        ("pre2022",),
    ),
    "isw": OccupationSource(
        "ISW and AEI's Critical Threats Project",
        "https://www.understandingwar.org",
        "ISW's data: not licensed for redistribution; credit ISW and AEI's Critical Threats Project",
        "assessed advances are kept apart (as its contested class), never counted occupied",
    ),
    "file": OccupationSource(
        "a user-supplied file",
        "",
        "supplied by the user: state its licence here",
    ),
}
#: The source of the shipped snapshots and the history (what a build shows unless told otherwise).
DEFAULT_OCCUPATION_SOURCE: Final = "deepstate"
OCCUPATION_CREDIT: Final = OCCUPATION_SOURCES[DEFAULT_OCCUPATION_SOURCE].credit
#: Credits every map, layer, chart and table carries, «© Мінрегіон» first; the one home of this wording.
_FIXED_CREDITS: Final = (
    "«© Мінрегіон» (CC BY-SA)",
    "© OpenStreetMap contributors (ODbL)",
    "Global Energy Monitor and ICMM (CC BY 4.0)",
)


def credits_for(occupation: str = OCCUPATION_CREDIT) -> tuple[str, ...]:
    """Return the credits of a map whose occupied areas come from `occupation` (a source's credit)."""
    return (*_FIXED_CREDITS, f"Occupied areas: {occupation}", "Made with Natural Earth")


def credits_line(occupation: str = OCCUPATION_CREDIT) -> str:
    """Return `credits_for` as one line."""
    return " · ".join(credits_for(occupation))


SEA_COLOUR: Final = "#cfe2ee"
LAND_COLOUR: Final = "#ece8df"
BORDER_COLOUR: Final = "#a39d8f"
UKRAINE_FILL: Final = "#ffffff"

OCCUPIED_SINCE_2022_COLOUR: Final = "#a52714"
OCCUPIED_BEFORE_2022_COLOUR: Final = "#880e4f"
FRONT_COLOUR: Final = "#3b0a0a"
#: DeepState's grey zone: grey hatching, never a fill that reads as occupied.
CONTESTED_COLOUR: Final = "#6f6f6f"
OCCUPATION_OPACITY: Final = 0.35
#: The ground only one occupation source shows occupied, where two of them have a snapshot of the same day (issue 21:
#: the maps' "occupied per one source only" layer), per source id of `OCCUPATION_SOURCES`: (colour, outline dash).
#: Blue, violet, teal and brown: apart from the occupied reds, the grey zone's grey and the scenarios' ochre, orange
#: and green; the outline's dash tells the sources apart in grey print.
SOURCE_ONLY_STYLE: Final = {
    "deepstate": ("#2166ac", "6 3"),
    "nzz": ("#542788", "2 3"),
    "isw": ("#01665e", "8 3 2 3"),
    "file": ("#8c510a", "4 4"),
}
SOURCE_ONLY_OPACITY: Final = 0.3
#: A past date's occupied area on the time slider: dashed, lighter than today's.
SLIDER_STYLE: Final = {
    "color": "#5a1208",
    "weight": 1.2,
    "dashArray": "4 3",
    "fillColor": OCCUPIED_SINCE_2022_COLOUR,
    "fillOpacity": 0.3,
}
#: The time slider's change against today's line: land occupied at the slider's date and freed since, and land
#: taken since that date (occupied now, not then). Distinct in hue, both in the legend.
FREED_SINCE_COLOUR: Final = "#1a9850"
TAKEN_SINCE_COLOUR: Final = "#f46d43"
#: The fill opacity of those two areas (drawn over the occupied area of today and of the slider's date).
SLIDER_CHANGE_OPACITY: Final = 0.55
#: The scenario maps (`geo.scenarios`): Russian-controlled ground in today's occupied colour, the demilitarised zone
#: in ochre with hatching (neither held nor Russian), the ground that would change hands against today's line outlined
#: (ceded: taken from Ukraine; returned: given back), and today's line of contact dashed for comparison.
SCENARIO_RUSSIAN_COLOUR: Final = OCCUPIED_SINCE_2022_COLOUR
DEMILITARISED_COLOUR: Final = "#d99a1e"
DEMILITARISED_OPACITY: Final = 0.45
DEMILITARISED_HATCH: Final = "////"  # matplotlib hatch; the web map and QGIS draw diagonal lines of the same colour
CEDED_COLOUR: Final = TAKEN_SINCE_COLOUR
RETURNED_COLOUR: Final = FREED_SINCE_COLOUR
TODAYS_LINE_DASH: Final = "6 4"
#: Marker outline of a deposit in the demilitarised zone (the control outlines below carry the other classes).
DEMILITARISED_OUTLINE: Final = ("#7a5200", 2.5, "4 2")
#: The web page's own colours (CSS variables of geo/web/map.css).
WEB_COLOURS: Final = {
    "sea": SEA_COLOUR,
    "cluster-fill": "#999999",
    "cluster-text": "#000000",  # 7.4:1 on the fill (WCAG AA; white had 2.8:1)
    "panel": "#ffffff",
    "warning": "#aa0000",
    "control-ink": "#333333",
}
#: The neutral fill of the legend's control symbols (the outline is what they show).
LEGEND_MARKER_FILL: Final = "#bbbbbb"
#: The line that ties a static map's label to its marker where the label floats away from it: colour, width (px).
LABEL_LEADER: Final = ("#333333", 1.2)
#: The static maps' locator (Ukraine in grey, the mapped region in `FOCUS_COLOUR`) and their grey text.
LOCATOR_FILL: Final = "#dddddd"
LOCATOR_EDGE: Final = "#888888"
PRINT_NOTE_COLOUR: Final = "#444444"
#: Lines of the charts where a group's map colour reads poorly on white.
CHART_LINE_COLOURS: Final = {"coal": "#666666"}

#: Marker outline by control status: (colour, width, dash pattern or None).
CONTROL_OUTLINE: Final = {
    schema.OCCUPIED_SINCE_2022: ("#000000", 3.5, None),
    schema.OCCUPIED_BEFORE_2022: ("#000000", 3.5, None),
    schema.HELD: ("#ffffff", 1.5, None),
    schema.UNKNOWN: ("#444444", 2.0, "3 2"),
}


def commodity_group(primary: str) -> str:
    """Return the key of the map group a primary commodity belongs to."""
    for key, members, _colour in COMMODITY_GROUPS:
        if primary in members:
            return key
    return "other"


def group_colour(key: str) -> str:
    """Return the colour of a commodity group."""
    return {k: colour for k, _m, colour in COMMODITY_GROUPS}[key]


def chart_colour(key: str) -> str:
    """Return the line colour of a commodity group on the charts."""
    return CHART_LINE_COLOURS.get(key, group_colour(key))


def cluster_rings() -> dict[str, str]:
    """Return the CSS borders of a marker cluster: all held, all occupied, or a mix (dashed)."""
    held, held_width, _ = CONTROL_OUTLINE[schema.HELD]
    occupied, occupied_width, _ = CONTROL_OUTLINE[schema.OCCUPIED_SINCE_2022]
    return {
        "held": f"{held_width + 0.5:g}px solid {held}",
        "occupied": f"{occupied_width - 0.5:g}px solid {occupied}",
        "mixed": f"{occupied_width - 0.5:g}px dashed {occupied}",
    }
