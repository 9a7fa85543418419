"""The catalogue of maps: one record per map, read by the web maps, the print maps and the QGIS project.

A record says which region a map frames, which region levels it outlines
(and which of them it shows at first), its scale (``country``, ``oblast`` or
``local``: how finely its geometry is drawn), the regions whose occupied
share its panel states, whether it has the time slider, the commodity groups
it shows at first and whether the QGIS project gets a print layout of it.
The six maps the build always makes are `MAPS`; `region_map` makes the same
kind of map for any oblast, raion, hromada or city (``build_maps.py --map``),
and `resolve` finds the region a user names.

Adding a map is one record here plus its title in each message catalogue
(``map.title.<id>``); maps made on demand are titled ``map.title.region``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import pandas as pd

from geo import i18n, schema
from geo.errors import ArgumentError

#: The frame of the lithium map: the located lithium records, not a region.
LITHIUM: Final = "lithium"


@dataclass(frozen=True)
class Level:
    """Region outlines one map draws: every region of `level` whose id starts with `within`."""

    level: str
    within: str = ""
    shown: bool = True  # on when the web map opens; the print maps draw the shown levels only


@dataclass(frozen=True)
class MapRecord:
    """One map: an HTML page, its print set (``print/<id>…``) and, if `qgis_layout`, a QGIS print layout."""

    id: str  # the file stem: ``<id>.html``, ``print/<id>.png``…; [a-z0-9_-] only
    frame: str  # the region id the map fits, or `LITHIUM`
    levels: tuple[Level, ...]
    scale: str  # a key of `geo.geometry.SCALES`
    focus: tuple[str, ...] = ()  # regions whose occupied share the web panel states, in this order
    slider: bool = False  # the time slider over past snapshots
    groups: tuple[str, ...] = ()  # commodity groups shown at first (the print maps draw only these); () = all
    qgis_layout: bool = False
    region_title: bool = False  # titled ``map.title.region`` with the frame's name (maps made on demand)
    scenarios: bool = False  # the peace-plan scenarios' map: a switcher over each scenario's line (HTML); one print
    # set per scenario, ``print/<SCENARIO_PRINT_PREFIX><scenario_id>…``; the QGIS atlas steps through them

    @property
    def file(self) -> str:
        """Return the HTML file's name (the print files are named after its stem)."""
        return f"{self.id}.html"

    @property
    def share_id(self) -> str:
        """Return the region whose occupied share the print map's subtitle states: the frame, or Ukraine."""
        return self.frame if self.frame != LITHIUM else schema.COUNTRY_ID

    @property
    def label_all(self) -> bool:
        """Tell whether the print map labels every named record in view (regional maps), not only lithium sites."""
        return self.scale != "country"

    @property
    def focus_region(self) -> str | None:
        """Return the region the map highlights: the one it frames, where that is a focus region; else None.

        Outlined in `geo.style.FOCUS_OUTLINE`, the land outside it under `geo.style.OUTSIDE_FOCUS_VEIL` (a hromada's
        map: that hromada among its raion's; the Pokrovsk map: the raion, its hromada and city outlined inside).
        """
        return self.frame if self.frame in self.focus else None

    @property
    def locator(self) -> bool:
        """Tell whether the print map carries a locator of Ukraine (every map but the one of all Ukraine)."""
        return self.frame != schema.COUNTRY_ID

    @property
    def printed_levels(self) -> tuple[tuple[str, str], ...]:
        """Return the (level, id prefix) outlines the print map draws: the levels the web map shows at first."""
        return tuple((lv.level, lv.within) for lv in self.levels if lv.shown)


def _oblast_map(map_id: str, rid: str, *, slider: bool = False) -> MapRecord:
    return MapRecord(
        map_id,
        rid,
        (Level("oblast"), Level("raion", rid), Level("hromada", rid, shown=False)),
        "oblast",
        focus=(rid,),
        slider=slider,
        qgis_layout=True,
    )


#: The maps every build makes, in this order.
MAPS: Final = (
    MapRecord(
        "overview",
        schema.COUNTRY_ID,
        (Level("oblast"), Level("raion", shown=False)),
        "country",
        slider=True,
        qgis_layout=True,
    ),
    _oblast_map("donetsk", schema.DONETSK_ID, slider=True),
    _oblast_map("zaporizhzhia", schema.ZAPORIZHZHIA_ID),
    _oblast_map("kirovohrad", schema.KIROVOHRAD_ID),
    MapRecord(
        "pokrovsk",
        schema.POKROVSK_RAION_ID,
        (Level("raion", schema.POKROVSK_RAION_ID), Level("hromada", schema.POKROVSK_RAION_ID), Level("city")),
        "local",
        focus=(schema.POKROVSK_CITY_ID, schema.POKROVSK_HROMADA_ID, schema.POKROVSK_RAION_ID),
        qgis_layout=True,
    ),
    MapRecord("lithium", LITHIUM, (Level("oblast"),), "country", groups=("lithium",), qgis_layout=True),
    MapRecord("scenarios", schema.COUNTRY_ID, (Level("oblast"),), "country", scenarios=True),
)
#: The print files of one scenario: ``print/scenario_<scenario_id><suffix>`` (`geo.schema.PRINT_FILES`).
SCENARIO_PRINT_PREFIX: Final = "scenario_"

_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return _SLUG_DROP.sub("-", ascii_text).strip("-")[:40].strip("-")


def region_map(regions: pd.DataFrame, rid: str) -> MapRecord:
    """Return the map of one region (any oblast, raion, hromada or city), as the focus regions' maps are made.

    An oblast gets an oblast map (its raions shown, its hromadas at hand); a
    raion its hromadas; a hromada its raion's hromadas, itself and its raion
    in the panel.  Every one has the time slider and a QGIS layout.  The id
    is the region id and its English name, lower case (``ua63-kharkiv-oblast``).

    Parameters
    ----------
    regions
        Indexed by region id; columns ``level``, ``parent_id``, ``name_en``.
    """
    row = regions.loc[rid]
    level = str(row["level"])
    name = _slug(str(row.get("name_en") or "")) or "region"
    map_id = f"{_slug(rid)}-{name}"
    if level == "oblast":
        record = _oblast_map(map_id, rid, slider=True)
    elif level == "raion":
        record = MapRecord(
            map_id,
            rid,
            (Level("raion", rid), Level("hromada", rid)),
            "local",
            focus=(rid,),
            slider=True,
            qgis_layout=True,
        )
    elif level in ("hromada", "city"):
        parent = str(row["parent_id"])
        raion = parent if level == "hromada" else str(regions.loc[parent, "parent_id"])
        levels = (Level("raion", raion), Level("hromada", raion), *((Level(level, rid),) if level == "city" else ()))
        focus = (rid, parent) if level == "hromada" else (rid, parent, raion)
        record = MapRecord(map_id, rid, levels, "local", focus=focus, slider=True, qgis_layout=True)
    else:
        msg = f"--map {rid}: a map of all Ukraine is overview.html; name an oblast, raion, hromada or city"
        raise ArgumentError(msg)
    return dataclasses.replace(record, region_title=True)


def all_maps(regions: pd.DataFrame, region_ids: Iterable[str] = ()) -> tuple[MapRecord, ...]:
    """Return `MAPS` and a map of each region of `region_ids` (in order, once each; a focus map is not made twice)."""
    records = list(MAPS)
    framed = {record.frame for record in MAPS if record.scale != "country"}
    for rid in dict.fromkeys(region_ids):
        if rid not in framed:
            records.append(region_map(regions, rid))
            framed.add(rid)
    return tuple(records)


def title(record: MapRecord, words: i18n.Words, regions: pd.DataFrame) -> str:
    """Return a map's title in the language of `words` (``map.title.<id>``, or the region's name)."""
    if record.region_title:
        name, _other = words.names(regions.loc[record.frame].to_dict())
        return words("map.title.region", name=name)
    return words(f"map.title.{record.id}")


# --- finding the region a user names --------------------------------------------------

#: The region levels a kind word in a query asks for ("city" also names the oblast-level cities, Kyiv and Sevastopol).
_KIND_LEVELS: Final = {
    "oblast": {"oblast"}, "oblasti": {"oblast"}, "raion": {"raion"}, "rayon": {"raion"},
    "hromada": {"hromada"}, "miska": {"hromada"}, "silska": {"hromada"}, "selyshchna": {"hromada"},
    "urban": {"hromada"}, "rural": {"hromada"}, "settlement": {"hromada"},
    "city": {"city", "hromada", "oblast city"}, "misto": {"city", "hromada", "oblast city"},
}  # fmt: skip
#: Words that say a region's kind, not its name: a query may leave them out ("Autonomous Republic of Crimea" too).
_KIND_WORDS: Final = frozenset(_KIND_LEVELS) | {"autonomous", "republic", "of"}
_APOSTROPHES: Final = re.compile("['’ʼ`ʹ‘]")


def _latin(text: str) -> str:
    """Romanise as our English names are (`geo.i18n.transliterate`), lower case, apostrophes dropped; Latin stays."""
    return i18n.transliterate(_APOSTROPHES.sub("", unicodedata.normalize("NFC", text))).casefold()


def name_key(text: str) -> str:
    """Return how a region's name is matched: romanised, lower case, without kind words, apostrophes or punctuation."""
    words = re.findall(r"[a-z0-9]+", _latin(text))
    kept = [w for w in words if w not in _KIND_WORDS]
    return " ".join(kept or words)


def _keys(regions: pd.DataFrame) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Return (whole name → region ids, name without kind words → region ids), from the English and Ukrainian names."""
    whole: dict[str, set[str]] = {}
    short: dict[str, set[str]] = {}
    for rid, row in regions.iterrows():
        for column in ("name_en", "name_uk"):
            name = i18n.visible(row.get(column))
            if name is not None:
                whole.setdefault(" ".join(re.findall(r"[a-z0-9]+", _latin(name))), set()).add(str(rid))
                short.setdefault(name_key(name), set()).add(str(rid))
    return whole, short


def _short(value: object, limit: int = 60) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(regions: pd.DataFrame, rid: str) -> str:
    row = regions.loc[rid]
    parent = row.get("parent_id")
    inside = (
        f", in {_short(regions.loc[parent, 'name_en'])}" if isinstance(parent, str) and parent in regions.index else ""
    )
    return f"{_short(rid, 20)} ({_short(row['name_en'])}, {row['level']}{inside})"


def _kinds(regions: pd.DataFrame, query: str) -> pd.Series:
    """Tell which regions are of the kind the query's kind words name (all, if it names none)."""
    asked = [_KIND_LEVELS[w] for w in re.findall(r"[a-z0-9]+", _latin(query)) if w in _KIND_LEVELS]
    if not asked:
        return pd.Series(True, index=regions.index)
    levels = set.intersection(*asked) or set.union(*asked)
    cities = regions["name_uk"].astype(str).str.startswith("Місто") & (regions["level"] == "oblast")
    return regions["level"].isin(levels) | (cities if "oblast city" in levels else False)


def resolve(regions: pd.DataFrame, query: str) -> str:
    """Return the id of the region `query` names: an id, or a name in English or Ukrainian, Latin or Cyrillic.

    Raises
    ------
    geo.errors.ArgumentError
        One line: no region of that name (with the closest names), or several (with their ids, to pass instead).
    """
    wanted = query.strip()
    if wanted.upper() == schema.COUNTRY_ID:
        msg = f"--map {wanted}: the map of all Ukraine is overview.html, made by every build; name a region in it"
        raise ArgumentError(msg)
    mappable = regions[regions["level"] != "country"]
    if wanted in mappable.index:
        return wanted
    upper = wanted.upper()
    if upper in mappable.index:
        return upper
    mappable = mappable[_kinds(mappable, wanted)]  # "Kharkiv city" is not the oblast
    whole, short = _keys(mappable)
    key = name_key(wanted)
    found = sorted(whole.get(" ".join(re.findall(r"[a-z0-9]+", _latin(wanted))), set()) or short.get(key, set()))
    if len(found) > 1 and {"city", "misto"} & set(re.findall(r"[a-z0-9]+", _latin(wanted))):
        cities = [rid for rid in found if mappable.loc[rid, "level"] != "hromada"]  # "Pokrovsk city": not its hromada
        found = cities or found
    if len(found) == 1:
        return found[0]
    shown = "".join(char for char in " ".join(query.split()) if char.isprintable())[:80]
    if found:
        listed = "; ".join(_describe(regions, rid) for rid in found[:8])
        more = f" and {len(found) - 8} more" if len(found) > 8 else ""
        msg = f"--map {shown!r} names {len(found)} regions: {listed}{more}; pass the id of the one you mean"
        raise ArgumentError(msg)
    close = difflib.get_close_matches(key, list(short), n=5, cutoff=0.6)
    ids = list(dict.fromkeys(rid for k in close for rid in sorted(short[k])))[:5]
    hint = f"; closest: {'; '.join(_describe(regions, rid) for rid in ids)}" if ids else ""
    msg = (
        f"--map {shown!r}: no oblast, raion, hromada or city of that name or id{hint}; "
        "names are in English or Ukrainian, ids as in regions.csv (e.g. UA63)"
    )
    raise ArgumentError(msg)


def check_unique(records: Sequence[MapRecord]) -> None:
    """Refuse two maps with one id (they would write one file)."""
    seen: set[str] = set()
    for record in records:
        if record.id in seen:
            msg = f"two maps are called {record.id!r}; give each map record its own id in geo/catalogue.py"
            raise ArgumentError(msg)
        seen.add(record.id)
