"""Shared vocabulary: layer paths, ids, column names, CRS constants, value lists.

Every stage module imports its names from here (and nothing from the other
stages), so a column or file is renamed in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --- coordinate reference systems -------------------------------------------------
#: Storage CRS of every layer in ``layers/``: WGS 84 longitude/latitude.
STORAGE_CRS: Final = "EPSG:4326"
#: Equal-area CRS for every area (``*_km2``): WGS 84 / NSIDC EASE-Grid 2.0 Global.
#: The reference areas in the data's SOURCES.md were measured in it too.
AREA_CRS: Final = "EPSG:6933"
#: Metric CRS for distances: azimuthal equidistant centred on Ukraine.  Within
#: Ukraine's extent (at most ~10 degrees from the centre) the scale error of a
#: short distance is below 0.5 %.
DISTANCE_CRS: Final = "+proj=aeqd +lat_0=48.5 +lon_0=31.5 +datum=WGS84 +units=m +no_defs"
#: The CRS of the print outputs (QGIS print layouts, static maps): UTM zone 36N (metres; scale error under 0.2 %
#: across Ukraine), so that their scale bars measure kilometres.
PRINT_CRS: Final = "EPSG:32636"
#: Lon/lat box every coordinate must fall inside (Ukraine with a small margin).
UKRAINE_BBOX: Final = (22.0, 44.0, 40.5, 52.5)
#: Lon/lat box of the base map (Ukraine and its neighbours).
BASEMAP_BBOX: Final = (16.0, 40.0, 46.0, 57.0)

# --- layer files, relative to the layers directory -----------------------------------
OBLASTS_FILE: Final = "boundaries/ua_adm1_oblasts_minregion2020.geojson"
COUNTRY_FILE: Final = "boundaries/ua_adm0_minregion2020.geojson"
OBLAST_LOOKUP_FILE: Final = "boundaries/ua_adm1_lookup.csv"
RAIONS_FILE: Final = "boundaries/ua_adm2_raions_osm2026_simplified.geojson"
HROMADAS_FILE: Final = "boundaries/ua_adm3_hromadas_donetsk_zaporizhzhia_kirovohrad_osm2026.gpkg"
HROMADAS_LAYER: Final = "hromadas"
#: Every hromada of Ukraine (Minregion 2020, coarse); read outside `OSM_HROMADA_OBLASTS` only.
COUNTRY_HROMADAS_FILE: Final = "boundaries/ua_adm3_hromadas_minregion2020_simplified.geojson"
POKROVSK_FILE: Final = "boundaries/ua_pokrovsk_osm2026.gpkg"
POKROVSK_CITY_LAYER: Final = "pokrovsk_city"
BASEMAP_FILE: Final = "basemap/ne50m_neighbours.geojson"
DEPOSITS_FILE: Final = "deposits/deposits.csv"
FIGURES_FILE: Final = "deposits/figures.csv"
#: Published reserve and resource figures of the deposits (several per deposit, ranked by `geo.stats.preferred_reserves`).
RESERVES_FILE: Final = "deposits/reserves.csv"
#: Dated prices per tonne of each commodity's reserve measure, for the value estimate.
PRICES_FILE: Final = "deposits/prices.csv"
#: Peace-plan scenarios (`geo.scenarios`): one row each, with its quote, source and rules.
SCENARIOS_FILE: Final = "scenarios/scenarios.csv"
#: The annex list of the US–Ukraine minerals agreement of 30 April 2025, one row per listed mineral.
DEAL_FILE: Final = "scenarios/minerals_deal.csv"
OCCUPATION_DIR: Final = "occupation"
#: Dated snapshots of the occupied area: ``deepstate_occupied_YYYY-MM-DD.geojson``.
SNAPSHOT_GLOB: Final = "deepstate_occupied_*.geojson"
SNAPSHOT_PREFIX: Final = "deepstate_occupied_"
#: Other sources of occupied areas (`geo.occupation`), each stored in its own folder ``occupation/<id>`` as
#: ``<id>_occupied_YYYY-MM-DD.geojson`` with the same sidecars and journal; DeepState's stay in ``occupation``.
SECOND_SOURCES: Final = ("nzz", "isw")


def occupation_dir(source: str) -> str:
    """Return the folder (under the layers) that holds `source`'s dated snapshots."""
    return OCCUPATION_DIR if source not in SECOND_SOURCES else f"{OCCUPATION_DIR}/{source}"


def snapshot_prefix(directory_name: str) -> str:
    """Return the file-name prefix of the dated snapshots in a folder named `directory_name`."""
    return f"{directory_name}_occupied_" if directory_name in SECOND_SOURCES else SNAPSHOT_PREFIX


PRE2022_FILE: Final = "occupation/deepstate_pre2022_occupied.geojson"
#: Month-end snapshots ``monthly/deepstate_YYYY-MM.geojson`` (features by ``status``).
MONTHLY_DIR: Final = "occupation/monthly"
MONTHLY_GLOB: Final = "deepstate_????-??.geojson"
#: The latest occupied area split by the date since which each part is held continuously.
SINCE_FILE: Final = "occupation/deepstate_occupied_since.geojson"
#: The ``class`` of a dated snapshot's features: the occupied area, and DeepState's grey zone kept apart.
SNAPSHOT_OCCUPIED: Final = "occupied"
SNAPSHOT_CONTESTED: Final = "contested"
#: How often a backfill keeps a version (``refresh_occupation.py --every``).
REFRESH_EVERY: Final = ("day", "week", "month")
SIDECAR_SUFFIX: Final = ".source.json"
SIDECAR_KEYS: Final = ("url", "licence", "credit", "retrieved", "sha256")

# --- regions ------------------------------------------------------------------------
REGION_ID: Final = "region_id"
#: The id of the Pokrovsk city polygon (it has no KATOTTG code in the source).
POKROVSK_CITY_ID: Final = "UA1416021-city"
DONETSK_ID: Final = "UA14"
ZAPORIZHZHIA_ID: Final = "UA23"
KIROVOHRAD_ID: Final = "UA35"
#: The oblasts whose hromadas come from the OSM file (`HROMADAS_FILE`, finer than `COUNTRY_HROMADAS_FILE`).
OSM_HROMADA_OBLASTS: Final = (DONETSK_ID, ZAPORIZHZHIA_ID, KIROVOHRAD_ID)
POKROVSK_RAION_ID: Final = "UA1416"
POKROVSK_HROMADA_ID: Final = "UA1416021"
#: The focus regions, in display order.
FOCUS_REGIONS: Final = (
    DONETSK_ID,
    ZAPORIZHZHIA_ID,
    KIROVOHRAD_ID,
    POKROVSK_RAION_ID,
    POKROVSK_HROMADA_ID,
    POKROVSK_CITY_ID,
)
#: Id of the whole-country row in the control table.
COUNTRY_ID: Final = "UA"

# --- deposits -----------------------------------------------------------------------
DEPOSIT_ID: Final = "id"
DEPOSIT_REQUIRED: Final = (
    "id",
    "name_en",
    "name_uk",
    "commodities",
    "primary_commodity",
    "status",
    "oblast",
    "lat",
    "lon",
    "coord_precision",
    "coord_uncertainty_km",
    "source_name",
    "source_url",
    "site_kind",
)
COMMODITY_SEP: Final = ";"
COMMODITIES: Final = (
    "lithium",
    "rare_earths",
    "titanium",
    "zirconium",
    "niobium",
    "tantalum",
    "beryllium",
    "rubidium",
    "caesium",
    "tin",
    "tungsten",
    "gold",
    "phosphate",
    "fluorine",
    "yttrium",
    "uranium",
    "graphite",
    "manganese",
    "iron_ore",
    "coal_coking",
    "coal_thermal",
    "coal",
    "alumina",
    "gallium",
)
#: Commodities counted in the ``metals`` aggregate (metal ores and metals;
#: not coal, graphite, phosphate or fluorine).
METALS: Final = (
    "lithium",
    "rare_earths",
    "titanium",
    "zirconium",
    "niobium",
    "tantalum",
    "beryllium",
    "rubidium",
    "caesium",
    "tin",
    "tungsten",
    "gold",
    "yttrium",
    "uranium",
    "manganese",
    "iron_ore",
    "alumina",
    "gallium",
)
METALS_AGGREGATE: Final = "metals"
SITE_KINDS: Final = ("deposit", "mine", "mine_cluster", "processing_facility")
#: Site kinds that are resources (the metals share leaves processing plants out).
RESOURCE_SITE_KINDS: Final = ("deposit", "mine", "mine_cluster")
STATUSES: Final = (
    "operating",
    "operating_intermittent",
    "suspended",
    "mothballed",
    "closed",
    "abandoned",
    "undeveloped",
    "under_development",
    "proposed",
    "cancelled",
    "unknown",
)
COORD_PRECISIONS: Final = (
    "site",
    "site_cluster_mean",
    "site_approx",
    "locality_centroid",
    "hromada_centre",
    "raion_centre",
    "none",
)
NO_COORDS: Final = "none"

# --- control ------------------------------------------------------------------------
OCCUPIED_SINCE_2022: Final = "occupied_since_2022"
OCCUPIED_BEFORE_2022: Final = "occupied_before_2022"
HELD: Final = "held_by_ukraine"
UNKNOWN: Final = "unknown"
CONTROL_STATUSES: Final = (OCCUPIED_SINCE_2022, OCCUPIED_BEFORE_2022, HELD, UNKNOWN)
OCCUPIED_STATUSES: Final = (OCCUPIED_SINCE_2022, OCCUPIED_BEFORE_2022)
#: Who would control ground or a deposit under a scenario (`geo.scenarios`): the demilitarised zone is neither
#: held nor Russian-controlled; ``held_by_ukraine`` and ``unknown`` are today's words.
RUSSIAN_CONTROLLED: Final = "russian_controlled"
DEMILITARISED: Final = "demilitarised"
SCENARIO_CLASSES: Final = (RUSSIAN_CONTROLLED, DEMILITARISED, HELD)
SCENARIO_CONTROLS: Final = (RUSSIAN_CONTROLLED, DEMILITARISED, HELD, UNKNOWN)
#: The scenario every other is compared with: the line of the snapshot, everywhere.
FROZEN_SCENARIO: Final = "frozen"
SCENARIO_REQUIRED: Final = (
    "scenario_id",
    "name_en",
    "name_uk",
    "proposed",
    "source_url",
    "quote",
    "quote_en",  # an English translation (ours) of a quote in another language; blank where the quote is English
    "notes",
    "rules",
)
#: A dmz band may be at most this deep (Ukraine is about 1,300 km across; beyond, `dmz` without a depth says it all).
MAX_DMZ_DEPTH_KM: Final = 2000.0
DEAL_REQUIRED: Final = ("mineral", "name_uk", "kind", "commodity", "notes")
DEAL_KINDS: Final = ("mineral", "hydrocarbon")
#: DeepState's grey zone ("unknown status"; since 2026 assessed Russian infiltration): shown, never counted as occupied.
CONTESTED: Final = "contested"
#: Default distance to the line of contact under which a deposit is "near the front".
NEAR_FRONT_KM: Final = 20.0
#: Occupied-area edges closer than this to Ukraine's border or coast are not
#: line of contact (they trace the state border, not a front).
BORDER_TOLERANCE_M: Final = 1000.0
#: A region whose occupied share is at least this is treated as wholly occupied
#: when placing a deposit known only by its oblast.
WHOLLY_OCCUPIED_SHARE: Final = 0.999

# --- published figures --------------------------------------------------------------
FIGURE_REQUIRED: Final = (
    "id",
    "figure",
    "value",
    "unit",
    "scope",
    "as_of",
    "source_name",
    "source_url",
    "quote",
    "measure_basis",
)
# --- reserves and prices --------------------------------------------------------------
RESERVE_REQUIRED: Final = (
    "deposit_id",
    "quantity",
    "unit",
    "measure",
    "category",
    "category_class",
    "as_of",
    "source_url",
    "quote",
    "confidence",
    "notes",
)
#: Tonnes per unit a reserve figure is given in.
RESERVE_UNITS: Final = {"t": 1.0, "kt": 1e3, "Mt": 1e6, "bn t": 1e9}
#: What a reserve figure measures: gross ore or coal; lithium carbonate equivalent; an oxide; contained metal.
RESERVE_MEASURES: Final = ("ore", "coal", "LCE", "Li2O", "TREO", "ZrO2", "TiO2", "graphite", "U", "unclear")
#: The kind of figure, most trusted first: reserves (JORC/UNFC proved and probable, Soviet/Ukrainian A+B+C1),
#: resources (JORC measured, indicated, inferred; C2), prospective or potential resources and exploration targets,
#: a figure whose category is not stated; ``partial`` is part of a deposit (never used for a share); ``component``
#: figures of one source are the parts of one deposit and are added up (its ore bodies, say).
RESERVE_CLASSES: Final = ("reserve", "resource", "prospective", "not_stated", "component", "partial")
#: No deposit holds more than this many tonnes of anything (a larger figure is a typing error).
RESERVE_MAX_T: Final = 1e12
#: A reserve figure this many times larger or smaller than the median of the other figures in its measure, or more,
#: is questioned (`geo.validate.check_reserves`): a unit slip (kt for Mt, Mt for bn t) moves a figure a thousand-fold.
RESERVE_OUTLIER_FACTOR: Final = 1000.0
#: Reserve figures read again in their source and found right although they lie `RESERVE_OUTLIER_FACTOR` times or
#: more from the other figures in their measure: (deposit_id, quantity, unit, measure), as written in reserves.csv,
#: → why the figure is right.  Any change to the figure questions it again.
RESERVE_CHECKED: Final = {
    ("GEM-M4540", "0.03", "Mt", "coal"): (
        "Novovolynska No 9, a mothballed mine: GEM's tracker (commit 63c13711) gives reserves of 0,03 Mt (2024), "
        "output of 0,01 Mt a year (2021) and a reserve-to-production ratio of 3"
    ),
}
CONFIDENCES: Final = ("high", "medium", "low")
#: The one measure each primary commodity's reserves are compared in (like with like).
RESERVE_MEASURE: Final = {
    "lithium": "LCE",
    "rare_earths": "TREO",
    "zirconium": "ZrO2",
    "titanium": "TiO2",
    "iron_ore": "ore",
    "manganese": "ore",
    "graphite": "graphite",
    "uranium": "U",
    "coal_coking": "coal",
    "coal_thermal": "coal",
    "coal": "coal",
}
#: The plausible price of a tonne of each measure, (lowest, highest) in USD (`geo.validate.check_prices`): set ten
#: times or more beyond the lowest and the highest price listed for the measure when it was set, and so that a price
#: per kilogram or per pound written as per tonne (1,000 or 2,204.62 times off) falls outside.  A measure with no
#: range here (TiO2, graphite: nothing priced yet) cannot be priced until its range is set.
PRICE_RANGE_USD_PER_T: Final = {
    "ore": (5.0, 5_000.0),
    "coal": (5.0, 5_000.0),
    "LCE": (500.0, 500_000.0),
    "TREO": (50.0, 5_000_000.0),
    "ZrO2": (100.0, 100_000.0),
    "U": (5_000.0, 5_000_000.0),
}
PRICE_REQUIRED: Final = (
    "commodity",
    "measure",
    "usd_per_t",
    "year",
    "central",
    "original",
    "conversion",
    "source_url",
    "quote",
)

#: Published metals figures shown beside our computed share: the ~40 % estimate
#: (We Build Ukraine, as reported) and SecDev's 42 % (Washington Post, 2022).
METALS_FIGURE_IDS: Final = ("F01", "F02", "F03", "F10")

# --- outputs ------------------------------------------------------------------------
REGIONS_CSV: Final = "regions.csv"
DEPOSITS_CSV: Final = "deposits.csv"
CONTROL_CSV: Final = "control.csv"
SUMMARY_JSON: Final = "summary.json"
HISTORY_REGIONS_CSV: Final = "history_regions.csv"
HISTORY_DEPOSITS_CSV: Final = "history_deposits.csv"
LEDGER_CSV: Final = "ledger.csv"
HISTORY_BASES_CSV: Final = "history_bases.csv"
SCENARIOS_CSV: Final = "scenarios.csv"
SCENARIO_DEPOSITS_CSV: Final = "scenario_deposits.csv"
#: Where the occupation sources disagree (written only when another source's snapshots are stored).
SOURCES_COMPARE_CSV: Final = "sources_compare.csv"
SOURCES_DEPOSITS_CSV: Final = "sources_deposits.csv"
CHART_SHARE_PNG: Final = "chart_occupied_share.png"
CHART_DEPOSITS_PNG: Final = "chart_deposits_occupied.png"
CHART_SOURCES_PNG: Final = "chart_sources_disagreement.png"  # written only where two sources share a day
#: Static maps (``maps/print/``), one set per map of `geo.catalogue`, named after its HTML file: ``<stem><suffix>``.
PRINT_DIR: Final = "print"
PRINT_FILES: Final = {
    "web": ".png",  # 1600 x 1000 px (an 800 x 500 slot at 2x density)
    "card": "_card.png",  # 1080 x 1080 px, for social media
    "svg": ".svg",  # text kept as text, layers grouped and named
    "pdf": ".pdf",  # one A4 page
}
GPKG_FILE: Final = "resource_control.gpkg"
QGZ_FILE: Final = "resource_control.qgz"
# --- output columns ----------------------------------------------------------------------
#: Decimals of an area (``*_km2``) and of a share in [0, 1] (``*_share``) in the tables.
KM2_DECIMALS: Final = 3
SHARE_DECIMALS: Final = 6


@dataclass(frozen=True)
class Column:
    """One column of the outputs: its name and the decimals the tables round it to.

    Its words live in the message catalogues (`geo.i18n`): the short label
    (the GeoPackage's field alias) under `alias_key`, and what the column
    holds in one table (the README's column tables) under `about_key`.
    """

    name: str
    decimals: int | None = None  # None: written as computed (text, counts, dates, unrounded figures)

    @property
    def alias_key(self) -> str:
        """Return the catalogue key of the column's short label: ``column.<name>``."""
        return f"column.{self.name}"

    def about_key(self, table: str) -> str:
        """Return the catalogue key of what the column holds in `table` (a file name such as ``regions.csv``)."""
        return f"column_about.{table.removesuffix('.csv')}.{self.name}"

    def rounded(self, value: float) -> float:
        """Return `value` rounded as the tables round this column (as it is where the column is not rounded)."""
        return value if self.decimals is None else round(value, self.decimals)


#: Every column of every output table and GeoPackage layer, once: a new column is one entry here (and its name in
#: the tables it is in below, and its words in every catalogue; the tests name whatever is missing).
COLUMNS: Final = {
    column.name: column
    for column in (
        # regions
        Column("region_id"),
        Column("name_en"),
        Column("name_uk"),
        Column("level"),
        Column("parent_id"),
        Column("area_km2", KM2_DECIMALS),
        Column("occupied_km2", KM2_DECIMALS),
        Column("occupied_before_2022_km2", KM2_DECIMALS),
        Column("occupied_since_2022_km2", KM2_DECIMALS),
        Column("occupied_share", SHARE_DECIMALS),
        Column("contested_km2", KM2_DECIMALS),
        # deposits
        Column("id"),
        Column("primary_commodity"),
        Column("commodities"),
        Column("site_kind"),
        Column("status"),
        Column("oblast"),
        Column("oblast_recorded"),
        Column("raion"),
        Column("hromada"),
        Column("control_status"),
        Column("status_uncertain"),
        Column("distance_to_front_km", 2),
        Column("near_front"),
        Column("location_known"),
        Column("coord_precision"),
        Column("coord_uncertainty_km"),
        Column("lon"),
        Column("lat"),
        Column("source_url"),
        Column("reserve_quantity"),
        Column("reserve_unit"),
        Column("reserve_measure"),
        Column("reserve_category"),
        Column("reserve_class"),
        Column("reserve_confidence"),
        Column("reserve_as_of"),
        Column("reserve_source_url"),
        # control
        Column("commodity"),
        Column("deposits_total"),
        Column("known"),
        Column("occupied"),
        Column("occupied_before_2022"),
        Column("occupied_since_2022"),
        Column("held"),
        Column("unknown"),
        Column("reserve_records"),
        Column("reserve_coverage", SHARE_DECIMALS),
        Column("reserve_occupied_t"),
        Column("reserve_known_t"),
        Column("reserve_occupied_share", SHARE_DECIMALS),
        Column("value_records"),
        Column("value_occupied_share_low", SHARE_DECIMALS),
        Column("value_occupied_share", SHARE_DECIMALS),
        Column("value_occupied_share_high", SHARE_DECIMALS),
        # history
        Column("date"),
        Column("occupied_since"),
        Column("occupied_since_basis"),
        Column("occupied_periods"),
        Column("first_snapshot"),
        Column("last_snapshot"),
        Column("basis"),
        Column("measure"),
        Column("share_low", SHARE_DECIMALS),
        Column("share_high", SHARE_DECIMALS),
        Column("records_with_figure"),
        Column("records"),
        Column("low_confidence"),
        Column("occupied_t"),
        Column("known_t"),
        # scenarios
        Column("scenario_id"),
        Column("russian_controlled_km2", KM2_DECIMALS),
        Column("demilitarised_km2", KM2_DECIMALS),
        Column("ukrainian_km2", KM2_DECIMALS),
        Column("russian_controlled_share", SHARE_DECIMALS),
        Column("russian_or_demilitarised_share", SHARE_DECIMALS),
        Column("ceded_km2", KM2_DECIMALS),
        Column("returned_km2", KM2_DECIMALS),
        Column("control_today"),
        Column("control_scenario"),
        Column("changes_hands"),
        Column("deal_covered"),
        Column("deal_commodities"),
        # sources compared
        Column("source_a"),
        Column("source_b"),
        Column("a_only_km2", KM2_DECIMALS),
        Column("b_only_km2", KM2_DECIMALS),
        Column("both_km2", KM2_DECIMALS),
        Column("agreement", SHARE_DECIMALS),
        Column("footprint"),
        Column("control_a"),
        Column("control_b"),
        # GeoPackage layers only
        Column("only_source"),  # sources_disagreement: the one source that shows the ground occupied
        Column("class"),  # scenario_areas: the class of ground (RUSSIAN_CONTROLLED or DEMILITARISED)
        Column("proposed"),  # scenarios: when the plan was proposed
        Column("quote"),  # scenarios: the words its rules come from
        Column("commodity_group"),
        Column("name_map"),  # a deposit's Latin name on the maps (`geo.i18n.Words.map_name`), its QGIS label
        Column("period"),
        Column("snapshot_date"),
        Column("length_km", 1),
        Column("start_date"),
        Column("end_date"),
    )
}


def table_columns(*names: str) -> tuple[str, ...]:
    """Return the columns of one table, in order, each checked to be in `COLUMNS`."""
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        msg = f"columns {', '.join(unknown[:10])} are not in geo.schema.COLUMNS; add an entry for each"
        raise KeyError(msg)
    return names


REGION_COLUMNS: Final = table_columns(
    "region_id",
    "name_en",
    "name_uk",
    "level",
    "parent_id",
    "area_km2",
    "occupied_km2",
    "occupied_before_2022_km2",
    "occupied_since_2022_km2",
    "occupied_share",
    "contested_km2",
)
DEPOSIT_COLUMNS: Final = table_columns(
    "id",
    "name_en",
    "name_uk",
    "primary_commodity",
    "commodities",
    "site_kind",
    "status",
    "oblast",
    "oblast_recorded",
    "raion",
    "hromada",
    "control_status",
    "status_uncertain",
    "distance_to_front_km",
    "near_front",
    "location_known",
    "coord_precision",
    "coord_uncertainty_km",
    "lon",
    "lat",
    "source_url",
    "reserve_quantity",
    "reserve_unit",
    "reserve_measure",
    "reserve_category",
    "reserve_class",
    "reserve_confidence",
    "reserve_as_of",
    "reserve_source_url",
)
CONTROL_COLUMNS: Final = table_columns(
    "region_id",
    "name_en",
    "level",
    "commodity",
    "deposits_total",
    "known",
    "occupied",
    "occupied_before_2022",
    "occupied_since_2022",
    "held",
    "unknown",
    "near_front",
    "occupied_share",
    "reserve_measure",
    "reserve_records",
    "reserve_coverage",
    "reserve_occupied_t",
    "reserve_known_t",
    "reserve_occupied_share",
    "value_records",
    "value_occupied_share_low",
    "value_occupied_share",
    "value_occupied_share_high",
)
#: ``history_regions.csv``: the regions' areas per snapshot date.
HISTORY_REGION_COLUMNS: Final = table_columns(
    "date",
    "region_id",
    "name_en",
    "level",
    "area_km2",
    "occupied_km2",
    "occupied_before_2022_km2",
    "occupied_since_2022_km2",
    "occupied_share",
    "contested_km2",
)
#: ``history_deposits.csv``: per deposit, occupied since and every occupied period.
HISTORY_DEPOSIT_COLUMNS: Final = table_columns(
    "id",
    "name_en",
    "primary_commodity",
    "control_status",
    "occupied_since",
    "occupied_since_basis",
    "occupied_periods",
    "first_snapshot",
    "last_snapshot",
)
#: ``ledger.csv``: the counts of `CONTROL_COLUMNS` per date.
LEDGER_COLUMNS: Final = table_columns(
    "date",
    "region_id",
    "commodity",
    "name_en",
    "level",
    "deposits_total",
    "known",
    "occupied",
    "occupied_before_2022",
    "occupied_since_2022",
    "held",
    "unknown",
    "occupied_share",
)
#: ``history_bases.csv``: Ukraine's occupied share by reserves and by value per date.
HISTORY_BASES_COLUMNS: Final = table_columns(
    "date",
    "basis",
    "commodity",
    "measure",
    "occupied_share",
    "share_low",
    "share_high",
    "records_with_figure",
    "records",
    "low_confidence",
    "occupied_t",
    "known_t",
)
#: ``scenarios.csv``: one row per scenario × region (Ukraine, every oblast, the focus regions).
SCENARIO_COLUMNS: Final = table_columns(
    "scenario_id",
    "region_id",
    "name_en",
    "level",
    "area_km2",
    "russian_controlled_km2",
    "demilitarised_km2",
    "ukrainian_km2",
    "russian_controlled_share",
    "russian_or_demilitarised_share",
    "ceded_km2",
    "returned_km2",
)
#: ``scenario_deposits.csv``: one row per scenario × deposit record.
SCENARIO_DEPOSIT_COLUMNS: Final = table_columns(
    "scenario_id",
    "id",
    "name_en",
    "primary_commodity",
    "commodities",
    "oblast",
    "location_known",
    "control_today",
    "control_scenario",
    "changes_hands",
    "deal_covered",
    "deal_commodities",
)
#: ``sources_compare.csv``: one row per day two sources both have × region (as `scenarios.csv`'s) × pair.
SOURCES_COMPARE_COLUMNS: Final = table_columns(
    "date",
    "region_id",
    "name_en",
    "source_a",
    "source_b",
    "a_only_km2",
    "b_only_km2",
    "both_km2",
    "agreement",
    "footprint",
)
#: ``sources_deposits.csv``: one row per day × pair × located record whose control depends on the source.
SOURCES_DEPOSIT_COLUMNS: Final = table_columns(
    "date",
    "id",
    "name_en",
    "primary_commodity",
    "oblast",
    "source_a",
    "source_b",
    "control_a",
    "control_b",
)
#: The columns of each CSV table, by file name.
TABLE_COLUMNS: Final = {
    REGIONS_CSV: REGION_COLUMNS,
    DEPOSITS_CSV: DEPOSIT_COLUMNS,
    CONTROL_CSV: CONTROL_COLUMNS,
    HISTORY_REGIONS_CSV: HISTORY_REGION_COLUMNS,
    HISTORY_DEPOSITS_CSV: HISTORY_DEPOSIT_COLUMNS,
    LEDGER_CSV: LEDGER_COLUMNS,
    HISTORY_BASES_CSV: HISTORY_BASES_COLUMNS,
    SCENARIOS_CSV: SCENARIO_COLUMNS,
    SCENARIO_DEPOSITS_CSV: SCENARIO_DEPOSIT_COLUMNS,
    SOURCES_COMPARE_CSV: SOURCES_COMPARE_COLUMNS,
    SOURCES_DEPOSITS_CSV: SOURCES_DEPOSIT_COLUMNS,
}
