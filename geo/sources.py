"""Read the files in ``layers/`` into canonical frames.

Each reader turns one file into a frame indexed by its id, with the column
names of `geo.schema`, and records the file it came from in
``frame.attrs["source"]`` so that validation can name it.  Readers check only
what they need to read (the file exists, parses, has the columns); the rules
about values live in `geo.validate`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from geo import i18n, schema, store, style
from geo.errors import SourceError
from geo.files import file_sha256


def _require_file(path: Path) -> None:
    if not path.is_file():
        msg = (
            f"{path}: file not found; restore it from the repository or pass --layers DIR with a complete layers folder"
        )
        raise SourceError(msg)


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{path}: missing column(s) {', '.join(missing)}; add them (see layers/README.md for the schema)"
        raise SourceError(msg)


#: What a layer file must start with, by suffix: GDAL picks its driver by content, so a file named .geojson
#: that is an OGR VRT or a GDALG pipeline would make GDAL open other files or URLs.  Only these are read.
_MAGIC = {".geojson": (b"{",), ".json": (b"{",), ".gpkg": (b"SQLite format 3\x00",)}


def _require_content(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    starts = _MAGIC.get(path.suffix.lower())
    if starts is None or not head.startswith(starts):
        kinds = ", ".join(sorted(_MAGIC))
        msg = f"{path}: not what its name says (a {kinds} file is read only if its content is one); replace it"
        raise SourceError(msg)


def crs_name(document: Any) -> str | None:
    """Return the ``crs`` name of a GeoJSON document (old-style ``{"type": "name", "properties": {"name": …}}``), if any."""
    crs = document.get("crs") if isinstance(document, dict) else None
    if crs is None:
        return None
    properties = crs.get("properties") if isinstance(crs, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    return str(name)[:80] if name is not None else repr(crs)[:80]


_GEOJSON_ERRORS = (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError,
                   shapely.errors.ShapelyError)  # fmt: skip


def _feature_collection(path: Path, data: bytes | None = None) -> tuple[list[Any], list[dict[str, Any]], str | None]:
    """Read a GeoJSON FeatureCollection with ``json`` and GEOS: geometries (None where null), properties, CRS name.

    `data`, where given, are the file's bytes as already read (and verified).
    Raises one of `_GEOJSON_ERRORS` saying what is wrong; the callers name the file.
    """
    text = (path.read_bytes() if data is None else data).decode("utf-8-sig")
    document = json.loads(text)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise TypeError("not a GeoJSON FeatureCollection")  # noqa: EM101
    name = crs_name(document)
    features = document.get("features")
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise TypeError("its features are not a list of objects")  # noqa: EM101
    geometries = [f.get("geometry") for f in features]
    geoms: list[Any]
    if features and all(isinstance(g, dict) for g in geometries):
        whole = shapely.get_parts(shapely.from_geojson(text))  # one geometry per feature, in order: fast
        geoms = list(whole) if len(whole) == len(features) else [shapely.geometry.shape(g) for g in geometries]
    else:
        geoms = [shapely.geometry.shape(g) if isinstance(g, dict) else None for g in geometries]
    rows = [f["properties"] if isinstance(f.get("properties"), dict) else {} for f in features]
    return geoms, rows, name


def _read_geojson_file(path: Path) -> gpd.GeoDataFrame:
    """Read a GeoJSON layer with the ``json`` module and GEOS, never through a GDAL driver.

    GDAL picks its driver by content, and some drivers (VRT, GDALG pipelines)
    make it open other files or URLs named inside the file; reading GeoJSON
    ourselves closes that door.
    """
    try:
        geoms, rows, name = _feature_collection(path)
        crs = pyproj.CRS.from_user_input(name) if name is not None and name not in _CRS84 else schema.STORAGE_CRS
    except (*_GEOJSON_ERRORS, pyproj.exceptions.CRSError) as exc:
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot read it as a vector layer ({first}); replace it with a valid GeoJSON or GeoPackage"
        raise SourceError(msg) from exc
    return gpd.GeoDataFrame(pd.DataFrame(rows, index=pd.RangeIndex(len(rows))), geometry=geoms, crs=crs)


def read_vector(path: Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector file (GeoJSON, GeoPackage) as it is (GeoJSON with `json`, never through a GDAL driver).

    Parameters
    ----------
    path
        The file.
    layer
        Layer name inside a multi-layer file; the first layer if None.

    Returns
    -------
    geopandas.GeoDataFrame
        The file's features with ``attrs["source"]`` set to the path.
    """
    _require_file(path)
    _require_content(path)
    if path.suffix.lower() in (".geojson", ".json"):
        frame = _read_geojson_file(path)
        frame.attrs["source"] = str(path)
        return frame
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot read it as a vector layer ({first_line}); replace it with a valid GeoJSON or GeoPackage"
        raise SourceError(msg) from exc
    frame.attrs["source"] = str(path)
    return frame


def _canonical(frame: gpd.GeoDataFrame, ids: pd.Series, level: str, names: dict[str, Any]) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame(
        {
            schema.REGION_ID: ids.astype(str).to_numpy(),
            "name_en": np.asarray(names["name_en"], dtype=object),
            "name_uk": np.asarray(names["name_uk"], dtype=object),
            "level": level,
            "parent_id": np.asarray(names["parent_id"], dtype=object),
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    ).set_index(schema.REGION_ID)
    out.attrs["source"] = frame.attrs["source"]
    return out


def read_oblasts(path: Path) -> gpd.GeoDataFrame:
    """Read the 27 oblast-level units (Minregion 2020).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``region_id`` (KATOTTG prefix, e.g. ``UA14``); columns
        ``name_en``, ``name_uk``, ``level`` (``oblast``), ``parent_id`` (``UA``), geometry.
    """
    raw = read_vector(path)
    _require_columns(raw, ("adm1_pcode", "name_en", "name_uk"), path)
    names = {"name_en": raw["name_en"], "name_uk": raw["name_uk"], "parent_id": [schema.COUNTRY_ID] * len(raw)}
    return _canonical(raw, raw["adm1_pcode"], "oblast", names)


def read_raions(path: Path) -> gpd.GeoDataFrame:
    """Read the post-2020 raions (OSM).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``region_id`` (e.g. ``UA1416``); ``name_en`` is the KMU 2010
        transliteration plus "Raion" (e.g. "Pokrovskyi Raion"); ``parent_id`` is the oblast.
    """
    raw = read_vector(path)
    _require_columns(raw, ("adm2_pcode", "adm2_name_translit", "adm2_name_uk", "adm1_pcode"), path)
    names = {
        "name_en": raw["adm2_name_translit"].astype(str) + " Raion",
        "name_uk": raw["adm2_name_uk"],
        "parent_id": raw["adm1_pcode"],
    }
    return _canonical(raw, raw["adm2_pcode"], "raion", names)


def read_hromadas(path: Path, *, layer: str = schema.HROMADAS_LAYER) -> gpd.GeoDataFrame:
    """Read the hromadas of the focus oblasts (OSM).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``region_id`` (9-character KATOTTG prefix, e.g. ``UA1416021``);
        ``name_en`` is OSM's ``name:en`` or, where empty, the transliteration;
        ``parent_id`` is the raion.
    """
    raw = read_vector(path, layer=layer)
    _require_columns(raw, ("adm3_pcode", "adm3_name_en_osm", "adm3_name_translit", "adm3_name_uk", "adm2_pcode"), path)
    names = {
        "name_en": raw["adm3_name_en_osm"].fillna(raw["adm3_name_translit"]),
        "name_uk": raw["adm3_name_uk"],
        "parent_id": raw["adm2_pcode"],
    }
    return _canonical(raw, raw["adm3_pcode"], "hromada", names)


#: Latin letters that look like Cyrillic ones (the Minregion hromada file writes «Пoкpoвськa» with Latin o, p, a).
_LOOKALIKES: Final = str.maketrans("aceiopxyABCEHIKMOPTX", "асеіорхуАВСЕНІКМОРТХ")
_CYRILLIC: Final = re.compile(r"[\u0400-\u04ff]")
_WORD: Final = re.compile(r"[^\W\d_]+")
_APOSTROPHES: Final = "'’ʼ"
#: Every apostrophe written as ASCII ', as in the OSM hromada file.
_APOSTROPHE: Final = str.maketrans("’ʼ", "''")


def fix_lookalikes(text: str) -> str:
    """Replace Latin look-alike letters (a, c, e, i, o, p, x, y and their capitals) with Cyrillic ones, in Cyrillic words.

    A word counts as Cyrillic when it holds at least one Cyrillic letter; other
    words are left alone, so that a Latin name stays Latin.
    """
    return _WORD.sub(lambda m: m[0].translate(_LOOKALIKES) if _CYRILLIC.search(m[0]) else m[0], text)


#: A hromada's kind, as the first word of its type, with the English (transliterated) short form.
_HROMADA_KINDS: Final = {"міська": "miska", "селищна": "selyshchna", "сільська": "silska"}
_HROMADA: Final = "громада"


def read_country_hromadas(
    path: Path, *, skip_oblasts: tuple[str, ...] = schema.OSM_HROMADA_OBLASTS
) -> gpd.GeoDataFrame:
    """Read every hromada of Ukraine from the Minregion 2020 file (coarse), outside `skip_oblasts`.

    The file (columns ``name``, ``TYPE``, ``COD_3``) is read as found; these rules make it a region layer:

    * Only hromadas are kept: rows whose ``TYPE``, with its Latin look-alike
      letters fixed, is "міська / селищна / сільська … громада" (its typos such as
      «територіальма» pass, as only the first and last words are read).  The
      old Crimean councils (``TYPE`` "… рада"), the "Державні території" (lakes,
      estuaries and the Chornobyl zone, none with a code) and rows with no
      ``TYPE`` are left out.
    * Hromadas in `skip_oblasts` (first 4 characters of ``COD_3``) are left out:
      the OSM file (`geo.schema.HROMADAS_FILE`) is finer there.
    * A hromada without ``COD_3`` or without a geometry is left out.  The file
      has 13 features whose geometry is null (the "13 invalid geometries" of
      the data's SOURCES.md; no polygon is invalid): 4 of them are hromadas
      (Teplodarska, Kotsiubynska, Pershotravenska, Novodnistrovska: small
      towns lost in its simplification, their area drawn in a neighbour or in
      no polygon), the rest councils and a state territory.
    * Rows sharing a code (9 characters) and a name are one hromada in parts:
      they become one row, the union of the parts (the file as shipped has
      none: its 7 rows without ``COD_3`` are the 6 state territories and one
      Crimean row, and no code repeats).  Rows sharing a code under different
      names are kept, for `geo.validate.check_regions` to report.

    Names: Latin look-alike letters inside Cyrillic words are replaced with
    Cyrillic ones (`fix_lookalikes`) and apostrophes written ``'``; ``name_uk``
    is the name and the type's short form, e.g. "Зіньківська сільська громада",
    and ``name_en`` its KMU 2010 transliteration (`geo.i18n.transliterate`) with
    "miska / selyshchna / silska hromada", e.g. "Zinkivska silska hromada"
    (the forms of the OSM file's ``adm3_name_uk`` and ``adm3_name_translit``).
    An invalid polygon is read as it is, for `geo.validate.repair_geometries`.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``region_id`` (the first 9 characters of ``COD_3``, e.g.
        ``UA6804019``); ``name_en``, ``name_uk``, ``level`` (``hromada``),
        ``parent_id`` (the raion, ``COD_3[:6]``), geometry.
        ``attrs["left_out"]`` maps each reason a row was left out to the
        number of rows.
    """
    raw = read_vector(path)
    _require_columns(raw, ("name", "TYPE", "COD_3"), path)
    words = raw["TYPE"].map(lambda t: fix_lookalikes(t).split() if isinstance(t, str) else [])
    kind = words.map(lambda w: w[0] if len(w) > 1 and w[-1] == _HROMADA and w[0] in _HROMADA_KINDS else "")
    types = words.map(" ".join)
    codes = raw["COD_3"].map(lambda c: c.strip() if isinstance(c, str) else "")
    hromada, coded = kind != "", codes != ""
    elsewhere = ~codes.str[:4].isin(skip_oblasts)
    drawn = pd.Series(~raw.geometry.isna().to_numpy(), index=raw.index)
    council, state = types.str.endswith(" рада"), types == "Державні території"
    reasons = {
        "old Crimean council": ~hromada & council,
        "state territory (Державні території)": ~hromada & state,
        "not a hromada (no or other TYPE)": ~hromada & ~council & ~state,
        "hromada without COD_3": hromada & ~coded,
        "hromada in an oblast with OSM hromadas": hromada & coded & ~elsewhere,
        "hromada without a geometry": hromada & coded & elsewhere & ~drawn,
    }
    keep = (hromada & coded & elsewhere & drawn).to_numpy()
    names = raw.loc[keep, "name"].map(lambda n: " ".join(fix_lookalikes(str(n)).translate(_APOSTROPHE).split()))
    short = kind[keep]
    frame = gpd.GeoDataFrame(
        {
            "id": codes[keep].str[:9],
            "name_uk": names + " " + short + " " + _HROMADA,
            "name_en": names.map(i18n.transliterate) + " " + short.map(_HROMADA_KINDS) + " hromada",
        },
        geometry=raw.geometry[keep],
        crs=raw.crs,
    )
    key = frame["id"] + " " + frame["name_uk"]
    first = ~key.duplicated()
    if not first.all():  # one hromada in parts: one row, the parts' union
        geoms = np.asarray(frame.geometry.array, dtype=object)
        union = {k: shapely.union_all(geoms[(key == k).to_numpy()]) for k in key[~first].unique()}
        frame = frame[first.to_numpy()]
        merged = [union.get(k, g) for k, g in zip(key[first], frame.geometry, strict=True)]
        frame = frame.set_geometry(gpd.GeoSeries(merged, index=frame.index, crs=frame.crs))
    frame.attrs["source"] = str(path)
    names_out = {"name_en": frame["name_en"], "name_uk": frame["name_uk"], "parent_id": frame["id"].str[:6]}
    out = _canonical(frame, frame["id"], "hromada", names_out)
    left_out = {reason: int(mask.sum()) for reason, mask in reasons.items()}
    left_out["hromada part merged into its first row"] = int((~first).sum())
    out.attrs["left_out"] = left_out
    return out


def read_city(path: Path, *, layer: str = schema.POKROVSK_CITY_LAYER) -> gpd.GeoDataFrame:
    """Read the Pokrovsk city polygon (OSM, admin level 10).

    Returns
    -------
    geopandas.GeoDataFrame
        One row indexed by `geo.schema.POKROVSK_CITY_ID`; parent the Pokrovsk urban hromada.
    """
    raw = read_vector(path, layer=layer)
    _require_columns(raw, ("name_en", "name_uk"), path)
    ids = pd.Series([schema.POKROVSK_CITY_ID] * len(raw))
    names = {"name_en": raw["name_en"], "name_uk": raw["name_uk"], "parent_id": [schema.POKROVSK_HROMADA_ID] * len(raw)}
    return _canonical(raw, ids, "city", names)


def read_country(path: Path) -> gpd.GeoDataFrame:
    """Read Ukraine's outline (de jure borders, Minregion 2020).

    Returns
    -------
    geopandas.GeoDataFrame
        One row indexed by ``UA``, level ``country``.
    """
    raw = read_vector(path)
    ids = pd.Series([schema.COUNTRY_ID] * len(raw))
    names = {"name_en": ["Ukraine"] * len(raw), "name_uk": ["Україна"] * len(raw), "parent_id": [None] * len(raw)}
    return _canonical(raw, ids, "country", names)


def read_basemap(path: Path) -> gpd.GeoDataFrame:
    """Read the offline base map: land and Ukraine's neighbouring countries.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name`` and ``kind`` (``land`` or ``country``), geometry; default index.
    """
    raw = read_vector(path)
    _require_columns(raw, ("name", "kind"), path)
    return raw


def read_oblast_lookup(path: Path) -> pd.DataFrame:
    """Read the oblast name/code table.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``adm1_pcode``; the name columns of the file, ``name_alt``
        holding ``|``-separated spelling variants.
    """
    frame = read_table(path, required=("adm1_pcode", "name_en", "name_uk")).set_index("adm1_pcode")
    frame.attrs["source"] = str(path)
    return frame


def read_table(path: Path, *, required: tuple[str, ...]) -> pd.DataFrame:
    """Read a CSV as text, every cell a string (empty for blank).

    Returns
    -------
    pandas.DataFrame
        The rows in file order with a default index; ``attrs["source"]`` is the path.
    """
    _require_file(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        msg = f"{path}: not a readable CSV ({str(exc).splitlines()[0]}); fix the quoting or encoding (UTF-8)"
        raise SourceError(msg) from exc
    _require_columns(frame, required, path)
    frame.attrs["source"] = str(path)
    return frame


def read_deposits(path: Path) -> pd.DataFrame:
    """Read the deposit records as text (validate them before `deposit_points`).

    Returns
    -------
    pandas.DataFrame
        One row per record, every column a string.
    """
    return read_table(path, required=schema.DEPOSIT_REQUIRED)


def deposit_points(records: pd.DataFrame, *, oblast_ids: pd.Series) -> gpd.GeoDataFrame:
    """Turn validated deposit records into points.

    Parameters
    ----------
    records
        The text frame from `read_deposits`, validated.
    oblast_ids
        The oblast code of each record (`resolve_oblasts`), aligned with `records`.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``id``; ``lat``, ``lon`` and ``coord_uncertainty_km`` as floats
        (NaN where blank); ``commodity_list`` as a tuple; ``location_known``;
        ``oblast_id`` (from `oblast_ids`, the codes of the records' oblast names);
        geometry a Point in `geo.schema.STORAGE_CRS`, None where there are no coordinates.
    """
    frame = records.copy()
    frame["oblast_id"] = oblast_ids.to_numpy()
    for column in ("lat", "lon", "coord_uncertainty_km"):
        frame[column] = pd.to_numeric(frame[column].astype(str).str.strip(), errors="coerce")
    frame["commodity_list"] = [
        tuple(c.strip() for c in s.split(schema.COMMODITY_SEP) if c.strip()) for s in frame["commodities"]
    ]
    known = frame["lat"].notna() & frame["lon"].notna()
    frame["location_known"] = known
    geometry = gpd.GeoSeries.from_xy(frame["lon"], frame["lat"], crs=schema.STORAGE_CRS)
    geometry[~known] = None
    points = gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs=schema.STORAGE_CRS)
    points = points.set_index(schema.DEPOSIT_ID)
    points.attrs["source"] = records.attrs.get("source", "")
    return points


def read_figures(path: Path) -> pd.DataFrame:
    """Read the published figures as text.

    Returns
    -------
    pandas.DataFrame
        One row per figure (default index), every column a string.
    """
    return read_table(path, required=schema.FIGURE_REQUIRED)


def read_reserves(path: Path) -> pd.DataFrame:
    """Read the published reserve figures as text (one row per figure; a row with no quantity says none was found)."""
    return read_table(path, required=schema.RESERVE_REQUIRED)


def read_prices(path: Path) -> pd.DataFrame:
    """Read the dated prices as text (one row per commodity and year; one ``central`` row per commodity)."""
    return read_table(path, required=schema.PRICE_REQUIRED)


def list_snapshots(directory: Path) -> dict[str, Path]:
    """List the dated occupation snapshots in a folder by name (`geo.store.require_listing`).

    Returns
    -------
    dict
        ISO date → file, sorted by date.
    """
    return store.require_listing(directory)


def find_snapshot(directory: Path, *, date: str | None = None) -> tuple[str, Path]:
    """Pick the snapshot for `date`, or the newest one.

    Returns
    -------
    tuple
        The snapshot's ISO date and its file.
    """
    snapshots = list_snapshots(directory)
    if not snapshots:
        msg = (
            f"{directory}: no occupation snapshot ({schema.SNAPSHOT_GLOB}); "
            "restore layers/occupation from the repository or pass --layers DIR with a complete layers folder"
        )
        raise SourceError(msg)
    if date is None:
        newest = max(snapshots)
        return newest, snapshots[newest]
    if date not in snapshots:
        msg = f"{directory}: no occupation snapshot for {date}; available: {', '.join(snapshots)}"
        raise SourceError(msg)
    return date, snapshots[date]


#: A data file's ``.source.json`` (its one home is `geo.store`).
sidecar_path = store.sidecar_path


def read_sidecar(path: Path) -> dict[str, Any] | None:
    """Read a data file's provenance sidecar.

    Returns
    -------
    dict or None
        The sidecar's JSON object, None if there is no sidecar.
    """
    side = sidecar_path(path)
    if not side.is_file():
        return None
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (ValueError, RecursionError, OSError) as exc:  # JSON and UTF-8 errors are ValueErrors
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).splitlines()[0][:160]
        msg = f"{side}: not valid JSON ({reason}); fix the file"
        raise SourceError(msg) from exc
    if not isinstance(data, dict):
        msg = f"{side}: expected a JSON object; fix the file"
        raise SourceError(msg)
    return data


#: The longest credit a snapshot's sidecar may put on a map (its name as the user gave it), in characters.
CREDIT_MAX_CHARS: Final = 120


def _credit_text(value: object) -> str:
    """Return a sidecar's credit as one line: without a leading "Source: ", control characters, runs of spaces."""
    text = str(value or "").strip().removeprefix("Source:").strip()
    text = "".join(ch for ch in " ".join(text.split()) if ch.isprintable())
    return text[:CREDIT_MAX_CHARS].strip()


def occupation_credit(sidecar: Mapping[str, Any] | None) -> str:
    """Return the credit a map showing a snapshot gives its occupied areas: the source's name, never a path.

    A sidecar naming a known source (``occupation_source``: ``deepstate``, ``nzz``, ``isw``) gets that source's
    credit from `geo.style.OCCUPATION_SOURCES`; a user's file (``file``, or an id not known here) the sidecar's
    own ``credit`` as one line of at most `CREDIT_MAX_CHARS` printable characters (the generic
    ``a user-supplied file`` where that leaves nothing).  A sidecar written before the sources had ids (no
    ``occupation_source``) is DeepState's where its credit names DeepStateMap, else read as a user's file.
    The text is data: each output escapes it where it lands.
    """
    side = sidecar or {}
    source = side.get("occupation_source")
    if source is None and "deepstatemap" in str(side.get("credit") or "").lower():
        source = "deepstate"
    if isinstance(source, str) and source in style.OCCUPATION_SOURCES and source != "file":
        return style.OCCUPATION_SOURCES[source].credit
    return _credit_text(side.get("credit")) or style.OCCUPATION_SOURCES["file"].credit


#: A credit naming its dates one by one up to this many; more are named by their first and last.
_CREDIT_DATES: Final = 3


def history_credit(credits: Mapping[str, str]) -> str:
    """Return one credit for a history of snapshots: `credits` is date → that date's snapshot credit.

    The credit of most dates (the earliest's, in a tie) is named alone; every other is named after its dates, e.g.
    ``DeepStateMap.Live; 2026-08-22: my_line.geojson`` for DeepState's files with a user's file at the end.
    """
    dates: dict[str, list[str]] = {}
    for date in sorted(credits):
        dates.setdefault(credits[date], []).append(date)
    if not dates:
        return ""
    main = max(dates, key=lambda credit: len(dates[credit]))  # the first of the most frequent: dict order
    parts = [main]
    for credit, when in dates.items():
        if credit == main:
            continue
        named = ", ".join(when) if len(when) <= _CREDIT_DATES else f"{when[0]} … {when[-1]} ({len(when)} dates)"
        parts.append(f"{named}: {credit}")
    return "; ".join(parts)


def read_provenance(paths: list[Path]) -> pd.DataFrame:
    """Read the sidecars of data files and hash the files.

    Returns
    -------
    pandas.DataFrame
        Indexed by file path (str); columns ``sidecar`` (dict or None) and ``sha256``
        (the file's actual digest).
    """
    rows = {str(p): {"sidecar": read_sidecar(p), "sha256": file_sha256(p)} for p in paths}
    return pd.DataFrame.from_dict(rows, orient="index")


def normalise_name(name: str) -> str:
    """Fold a place name for matching: case, apostrophes, the word "oblast", spacing."""
    folded = name.casefold().replace("'", "").replace("’", "").replace("ʼ", "")
    folded = re.sub(r"\b(oblast|область|obl\.)\b", " ", folded)
    return " ".join(folded.replace("-", " ").split())


def oblast_aliases(lookup: pd.DataFrame) -> dict[str, str]:
    """Map every known spelling of an oblast to its code.

    Spellings come from the lookup's name columns and its ``|``-separated
    ``name_alt`` (e.g. Zaporizhia, Zaporizhzhia and Zaporozhye all give ``UA23``).

    Returns
    -------
    dict
        Normalised name (see `normalise_name`) → oblast code; codes map to themselves.
    """
    aliases: dict[str, str] = {}
    name_columns = [c for c in lookup.columns if c.startswith("name")]
    for code, row in lookup.iterrows():
        aliases[normalise_name(str(code))] = str(code)
        for column in name_columns:
            for variant in str(row[column]).split("|"):
                if variant.strip():
                    aliases[normalise_name(variant)] = str(code)
    return aliases


def resolve_oblasts(names: pd.Series, aliases: dict[str, str]) -> pd.Series:
    """Resolve oblast names to codes.

    Returns
    -------
    pandas.Series
        Codes aligned with `names`, None where a name is unknown.
    """
    return names.map(lambda n: aliases.get(normalise_name(str(n))))


def source_revision(sidecar: dict[str, Any] | None) -> str | None:
    """Name the exact upstream version a sidecar records: ``repository:path@commit``, or None."""
    source = (sidecar or {}).get("source") or {}
    if not isinstance(source, dict) or not source.get("repository"):
        return None
    return f"{source.get('repository')}:{source.get('path')}@{source.get('commit')}"


def read_monthly(directory: Path) -> dict[str, gpd.GeoDataFrame]:
    """Read the month-end occupation snapshots.

    Returns
    -------
    dict
        Snapshot date (``YYYY-MM-DD`` of the version's publication, UTC) → the
        file's features (column ``status``: ``occupied_pre2022``,
        ``occupied_post2022`` or ``contested``), in date order.
    """
    frames: dict[str, gpd.GeoDataFrame] = {}
    for path in sorted(directory.glob(schema.MONTHLY_GLOB)):
        frame = read_vector(path)
        _require_columns(frame, ("status", "snapshot_utc"), path)
        stamp = pd.to_datetime(frame["snapshot_utc"].iloc[0], utc=True)
        frames[stamp.strftime("%Y-%m-%d")] = frame
    return dict(sorted(frames.items()))


def monthly_parts(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn a month-end file into the two occupied parts (as `geo.join.occupied_parts` returns them)."""

    def union(status: str) -> shapely.Geometry:
        geoms = np.asarray(frame.geometry.array, dtype=object)[(frame["status"] == status).to_numpy()]
        return shapely.union_all(shapely.make_valid(geoms))

    index = pd.Index([schema.OCCUPIED_BEFORE_2022, schema.OCCUPIED_SINCE_2022], name="part")
    return gpd.GeoDataFrame(
        geometry=[union("occupied_pre2022"), union("occupied_post2022")], index=index, crs=schema.STORAGE_CRS
    )


_CRS84 = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326")


#: How `geo.occupation.deepstate.snapshot_bytes` writes a snapshot: compact JSON, each feature's properties before its geometry.
_COLLECTION_HEAD: Final = '{"type":"FeatureCollection","features":['
_FEATURE_HEAD: Final = '{"type":"Feature","properties":'
_GEOMETRY_HEAD: Final = ',"geometry":{'
_DECODER = json.JSONDecoder()


def _refresh_layout(data: bytes) -> tuple[list[Any], list[dict[str, Any]], None] | None:
    """Read a snapshot as the refresh writes it, as `_feature_collection` would, without parsing it twice.

    The properties are read with ``json`` and the geometries with GEOS from
    the one text; the ``json`` module never parses the coordinates.  None if
    the text is not exactly in that layout (a copied or hand-made file): then
    `_feature_collection` reads it.
    """
    text = data.decode("utf-8-sig")
    if not text.startswith(_COLLECTION_HEAD):
        return None
    rows: list[dict[str, Any]] = []
    at = len(_COLLECTION_HEAD)
    while text.startswith(_FEATURE_HEAD, at):
        properties, at = _DECODER.raw_decode(text, at + len(_FEATURE_HEAD))
        if not isinstance(properties, dict) or not text.startswith(_GEOMETRY_HEAD, at):
            return None
        end = text.find("}", at + len(_GEOMETRY_HEAD))  # a (Multi)Polygon's object holds no other object
        if end < 0 or not text.startswith("}", end + 1):
            return None
        rows.append(properties)
        at = end + 2
        if not text.startswith(",", at):
            break
        at += 1
    if not rows or text[at:].rstrip() != "]}":
        return None
    geoms = shapely.get_parts(shapely.from_geojson(text))  # one geometry per feature, in order
    if len(geoms) != len(rows):
        return None
    return list(geoms), rows, None


def read_snapshot(path: Path) -> gpd.GeoDataFrame:
    """Read a dated occupation snapshot (GeoJSON in lon/lat) with the ``json`` module, once it verifies.

    The pair is verified first (`geo.store.read`: sidecar, sha256, date,
    version; following a commit in progress), and the bytes verified are the
    bytes parsed (`parse_snapshot`).

    Raises
    ------
    geo.store.DamagedSnapshotError
        If the pair does not verify.
    geo.errors.SourceError
        If it verifies but is not a usable snapshot.
    """
    return parse_snapshot(store.read(path))


def parse_snapshot(snapshot: store.Snapshot) -> gpd.GeoDataFrame:
    """Parse a verified snapshot's bytes.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature; column ``class`` (``occupied``, or ``contested`` for
        the grey zone; features without a class are occupied); storage CRS;
        ``attrs["source"]`` the path, ``attrs["sidecar"]`` its sidecar.
    """
    path = snapshot.path
    try:
        geoms, rows, name = _refresh_layout(snapshot.data) or _feature_collection(path, snapshot.data)
        if name is not None and name not in _CRS84:
            raise TypeError(f"CRS {name!r} is not lon/lat WGS 84")  # noqa: EM102
        if any(g is None for g in geoms):
            raise TypeError("every feature needs a geometry")  # noqa: EM101
        classes = [str(row.get("class") or schema.SNAPSHOT_OCCUPIED) for row in rows]
        kinds = shapely.get_type_id(np.asarray(geoms, dtype=object)) if geoms else np.array([], dtype=int)
        if np.any((kinds != shapely.GeometryType.POLYGON) & (kinds != shapely.GeometryType.MULTIPOLYGON)):
            raise TypeError("a feature is not a Polygon or MultiPolygon")  # noqa: EM101
        if schema.SNAPSHOT_OCCUPIED not in classes:
            raise TypeError("no occupied area in it")  # noqa: EM101
        geoms = list(shapely.force_2d(np.asarray(geoms, dtype=object)))
    except _GEOJSON_ERRORS as exc:
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        msg = f"{path}: not a readable occupation snapshot ({first}); restore it or remove it with its .source.json"
        raise SourceError(msg) from exc
    frame = gpd.GeoDataFrame({"class": classes}, geometry=list(geoms), crs=schema.STORAGE_CRS)
    frame.attrs["source"] = str(path)
    frame.attrs["sidecar"] = snapshot.sidecar
    return frame


#: A user's file of occupied areas (``refresh_occupation.py --from-file``) may be at most this large.
USER_FILE_MAX_BYTES = 50 * 1024 * 1024
_KML_NAMES = ("Polygon", "outerBoundaryIs", "innerBoundaryIs", "LinearRing", "coordinates")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kml_ring(element: ElementTree.Element, source: str) -> list[list[float]]:
    for child in element.iter():
        if _local(child.tag) == "coordinates":
            ring = []
            for item in (child.text or "").split():
                parts = item.split(",")
                try:
                    lon, lat = float(parts[0]), float(parts[1])
                except (ValueError, IndexError) as exc:
                    msg = f"{source}: a KML coordinate {item[:40]!r} is not lon,lat[,alt]; fix the file"
                    raise SourceError(msg) from exc
                ring.append([lon, lat])
            return ring
    return []


def _kml_polygons(data: bytes, source: str) -> list[dict[str, Any]]:
    """Every Polygon of a KML document (UTF-8), in every Folder and MultiGeometry, as GeoJSON geometries."""
    msg = f"{source}: a KML must be UTF-8 (as KML 2.2 files are); export it again as UTF-8"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(msg) from exc
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text):  # NULs of UTF-16 text, which XML 1.0 forbids anyway
        raise SourceError(msg)
    lowered = text.casefold()
    if "<!doctype" in lowered or "<!entity" in lowered:
        msg = f"{source}: a KML with a DOCTYPE or ENTITY declaration is refused; export it again as plain KML"
        raise SourceError(msg)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # decoded already: the declared encoding no longer applies
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        msg = f"{source}: not readable KML ({str(exc).splitlines()[0][:120]}); fix the file"
        raise SourceError(msg) from exc
    polygons = []
    for polygon in root.iter():
        if _local(polygon.tag) != "Polygon":
            continue
        outer: list[list[float]] = []
        holes: list[list[list[float]]] = []
        for boundary in polygon:
            if _local(boundary.tag) == "outerBoundaryIs":
                outer = _kml_ring(boundary, source)
            elif _local(boundary.tag) == "innerBoundaryIs":
                holes.append(_kml_ring(boundary, source))
        if outer:
            polygons.append({"type": "Polygon", "coordinates": [outer, *[h for h in holes if h]]})
    return polygons


def _geojson_geometries(data: bytes, source: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        msg = f"{source}: not valid GeoJSON ({type(exc).__name__}); fix the file"
        raise SourceError(msg) from exc
    if not isinstance(document, dict):
        msg = f"{source}: not a GeoJSON object; --from-file takes a FeatureCollection, a Feature or a geometry"
        raise SourceError(msg)
    crs = crs_name(document)
    if crs is not None and crs not in _CRS84:
        msg = f"{source}: its CRS {str(crs)[:60]!r} is not WGS 84 lon/lat; convert the file to EPSG:4326 first"
        raise SourceError(msg)
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        items = features if isinstance(features, list) else []
        return [f["geometry"] for f in items if isinstance(f, dict) and isinstance(f.get("geometry"), dict)]
    if kind == "Feature":
        return [document["geometry"]] if isinstance(document.get("geometry"), dict) else []
    return [document]


def occupied_features(data: bytes, *, source: str) -> list[dict[str, Any]]:
    """Read a user's GeoJSON or KML of occupied areas, told apart by content, without GDAL.

    Only the ``json`` module and a plain XML parse are used: no driver is
    picked by GDAL, so a body that is a VRT, a GDALG pipeline or anything else
    that would make GDAL open other files or URLs is refused.  Every Polygon of
    a KML is read, in every Folder.

    Returns
    -------
    list
        GeoJSON-like features, each polygon marked occupied (a file of occupied areas: every polygon counts).
    """
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start in (b"{", b"["):
        geometries = _geojson_geometries(data, source)
    elif start == b"<" and b"<kml" in data[:4096].lower():
        geometries = _kml_polygons(data, source)
    else:
        msg = (
            f"{source}: neither GeoJSON nor KML (by its content); --from-file takes a GeoJSON or KML of occupied areas"
        )
        raise SourceError(msg)
    if not geometries:
        msg = f"{source}: no geometries; --from-file takes a GeoJSON or KML of occupied areas"
        raise SourceError(msg)
    return [{"geometry": g, "properties": {"name": "geoJSON.status.occupied"}} for g in geometries]


def read_user_file(path: Path, *, option: str = "--from-file", takes: str = "a GeoJSON or KML file") -> bytes:
    """Read a user's file (`option` names the flag that took it): a regular file, at most `USER_FILE_MAX_BYTES`."""
    shown = repr(str(path))
    try:
        exists, regular = path.exists(), path.is_file()
        data = b""
        if regular:
            with path.open("rb") as fh:
                data = fh.read(USER_FILE_MAX_BYTES + 1)
    except OSError as exc:
        msg = f"{shown}: cannot read it ({exc.strerror or type(exc).__name__}); {option} takes {takes}"
        raise SourceError(msg) from exc
    if not exists:
        where = ", or an http(s) URL" if option == "--from-file" else ""
        msg = f"{shown}: no such file; {option} takes {takes}{where}"
        raise SourceError(msg)
    if not regular:
        msg = f"{shown}: not a regular file; {option} takes {takes}"
        raise SourceError(msg)
    if len(data) > USER_FILE_MAX_BYTES:
        msg = f"{shown}: larger than {USER_FILE_MAX_BYTES // 1024 // 1024} MiB; {option} takes {takes}"
        raise SourceError(msg)
    return data


def read_scenario_file(path: Path) -> gpd.GeoDataFrame:
    """Read a user's scenario (``--scenario-file``): a GeoJSON FeatureCollection or a KML, told apart by content.

    Read as `occupied_features` reads, without GDAL.  A GeoJSON feature's ``class`` property (if any) is kept
    for `geo.scenarios.drawn_scenario`; a KML's polygons carry no class (all Russian-controlled).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature (KML: per Polygon), lon/lat; a ``class`` column where the file gives one.
    """
    data = read_user_file(path, option="--scenario-file", takes="a GeoJSON or KML file of polygons")
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    source = str(path)
    polygons = None
    if start == b"<" and b"<kml" in data[:4096].lower():
        polygons = _kml_polygons(data, source)  # names the file in its own errors
    try:
        if start == b"{":
            geoms, rows, name = _feature_collection(path, data)
        elif polygons is not None:
            geoms, rows, name = [shapely.geometry.shape(g) for g in polygons], [{} for _ in polygons], None
    except _GEOJSON_ERRORS as exc:
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        msg = f"{source}: not a readable scenario ({first}); give a GeoJSON FeatureCollection or a KML of polygons"
        raise SourceError(msg) from exc
    if start == b"{" or polygons is not None:
        if name is not None and name not in _CRS84:
            msg = f"{source}: its CRS {name[:60]!r} is not WGS 84 lon/lat; convert the file to EPSG:4326 first"
            raise SourceError(msg)
        with_class = ["class" in row for row in rows]
        if any(with_class) and not all(with_class):
            msg = f"{source}: some features have a 'class' and some do not; give every feature one"
            raise SourceError(msg)
        classes = {"class": [str(row["class"]) for row in rows]} if any(with_class) else {}
        return gpd.GeoDataFrame(classes, geometry=geoms, crs=schema.STORAGE_CRS)
    msg = f"{source}: neither GeoJSON nor KML (by its content); --scenario-file takes a GeoJSON or KML of polygons"
    raise SourceError(msg)
