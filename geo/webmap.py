"""Render the HTML maps (folium/Leaflet).

Every string that comes from data passes through `text` before it reaches
HTML or JavaScript.  Maps are rendered to bytes in memory; writing them is
the caller's business.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from geo import schema, style

#: Simplification tolerance (degrees) of region outlines per map scale.
_TOLERANCE = {"country": 0.005, "oblast": 0.001, "local": 0.0002}
CREDITS_HTML = (
    'Boundaries: «© Мінрегіон» (CC BY-SA) · © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
    "contributors (ODbL) · Deposits: Global Energy Monitor, ICMM (CC BY 4.0) and cited sources · "
    'Occupied areas: <a href="https://deepstatemap.live">DeepStateMap.Live</a>'
)


def text(value: object) -> str:
    """Escape a data value for HTML that folium may also embed in a JavaScript template literal."""
    escaped = html.escape(
        "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value), quote=True
    )
    return escaped.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def _link(url: object, label: str = "source") -> str:
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return f'<a href="{text(url)}" target="_blank" rel="noopener noreferrer">{text(label)}</a>'
    return ""


@dataclass(frozen=True)
class MapSpec:
    """What one HTML map shows."""

    name: str
    title: str
    frame: str  # region id to fit, or "lithium"
    region_levels: tuple[tuple[str, str, bool], ...]  # (level, parent prefix, shown)
    scale: str
    lithium_first: bool = False


SPECS: tuple[MapSpec, ...] = (
    MapSpec(
        "overview",
        "Who controls Ukraine's mineral resources",
        schema.COUNTRY_ID,
        (("oblast", "", True), ("raion", "", False)),
        "country",
    ),
    MapSpec(
        schema.DONETSK_ID,
        "Donetsk Oblast",
        schema.DONETSK_ID,
        (("oblast", "", True), ("raion", schema.DONETSK_ID, True), ("hromada", schema.DONETSK_ID, False)),
        "oblast",
    ),
    MapSpec(
        schema.ZAPORIZHZHIA_ID,
        "Zaporizhzhia Oblast",
        schema.ZAPORIZHZHIA_ID,
        (("oblast", "", True), ("raion", schema.ZAPORIZHZHIA_ID, True), ("hromada", schema.ZAPORIZHZHIA_ID, False)),
        "oblast",
    ),
    MapSpec(
        schema.KIROVOHRAD_ID,
        "Kirovohrad Oblast",
        schema.KIROVOHRAD_ID,
        (("oblast", "", True), ("raion", schema.KIROVOHRAD_ID, True), ("hromada", schema.KIROVOHRAD_ID, False)),
        "oblast",
    ),
    MapSpec(
        schema.POKROVSK_RAION_ID,
        "Pokrovsk: raion, urban hromada and city",
        schema.POKROVSK_RAION_ID,
        (("raion", schema.POKROVSK_RAION_ID, True), ("hromada", schema.POKROVSK_RAION_ID, True), ("city", "", True)),
        "local",
    ),
    MapSpec("lithium", "Ukraine's lithium deposits", "lithium", (("oblast", "", True),), "country", lithium_first=True),
)


def _region_layer(
    regions: gpd.GeoDataFrame, level: str, prefix: str, *, tolerance: float, shown: bool
) -> folium.GeoJson | None:
    chosen = regions[(regions["level"] == level) & regions.index.str.startswith(prefix)]
    if chosen.empty:
        return None
    labels = [
        f"<b>{text(r.name_en)}</b> ({text(r.name_uk)})<br>{text(style.label(level))} {text(rid)}<br>"
        f"area {r.area_km2:,.0f} km²; occupied {r.occupied_km2:,.0f} km² ({r.occupied_share:.1%})<br>"
        f"before 2022 {r.occupied_before_2022_km2:,.0f} km²; since 2022 {r.occupied_since_2022_km2:,.0f} km²"
        for rid, r in chosen.iterrows()
    ]
    data = gpd.GeoDataFrame(
        {"label": labels},
        geometry=chosen.geometry.simplify(tolerance, preserve_topology=True).to_numpy(),
        crs=chosen.crs,
    )
    focus = level in ("city",) or (level != "oblast" and bool(prefix))
    colour = style.FOCUS_COLOUR if focus else style.REGION_COLOUR
    weight = {"oblast": 2.0, "raion": 1.2, "hromada": 0.7, "city": 2.5}[level]
    name = {"oblast": "Oblasts", "raion": "Raions", "hromada": "Hromadas", "city": "Pokrovsk city"}[level]
    return folium.GeoJson(
        data,
        name=name,
        show=shown,
        style_function=lambda _f, c=colour, w=weight: {"color": c, "weight": w, "fillOpacity": 0.0},
        highlight_function=lambda _f: {"weight": 3, "fillOpacity": 0.05},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False, sticky=True),
        smooth_factor=0.5,
    )


def _occupation_layers(parts: gpd.GeoDataFrame, front: gpd.GeoSeries) -> list[folium.Element]:
    layers: list[folium.Element] = []
    for part, colour, name in (
        (schema.OCCUPIED_SINCE_2022, style.OCCUPIED_SINCE_2022_COLOUR, "Occupied since 24 Feb 2022"),
        (schema.OCCUPIED_BEFORE_2022, style.OCCUPIED_BEFORE_2022_COLOUR, "Occupied before 24 Feb 2022"),
    ):
        geom = parts.geometry[part]
        if geom is None or geom.is_empty:
            continue
        layer = folium.GeoJson(
            gpd.GeoDataFrame({"label": [text(name)]}, geometry=[geom], crs=parts.crs),
            name=name,
            style_function=lambda _f, c=colour: {
                "color": c,
                "weight": 0.5,
                "fillColor": c,
                "fillOpacity": style.OCCUPATION_OPACITY,
            },
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        )
        layers.append(layer)
    if front.is_empty.all():
        return layers
    layers.append(
        folium.GeoJson(
            gpd.GeoDataFrame({"label": ["Line of contact"]}, geometry=front.to_numpy(), crs=front.crs),
            name="Line of contact",
            style_function=lambda _f: {"color": style.FRONT_COLOUR, "weight": 2.0},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        )
    )
    return layers


def popup_html(row: pd.Series) -> str:
    """Build a deposit's popup: name, commodities, status, control, precision, source link."""
    distance = row["distance_to_front_km"]
    where = ", ".join(text(v) for v in (row["hromada"], row["raion"], row["oblast"]) if v)
    lines = [
        f"<b>{text(row['name_en'])}</b>",
        text(row["name_uk"]),
        f"Commodities: {text(', '.join(style.label(c) for c in row['commodity_list']))}",
        f"Status: {text(style.label(row['status']))}",
        f"Control ({text(row['snapshot_date'])}): <b>{text(style.CONTROL_LABELS[row['control_status']])}</b>"
        + (
            " — uncertain: the front is within the location's uncertainty"
            if row["status_uncertain"] and row["location_known"]
            else ""
        ),
        f"Distance to the line of contact: {distance:.1f} km"
        if pd.notna(distance)
        else "Distance to the line of contact: unknown",
        f"Where: {where}",
        f"Location precision: {text(style.PRECISION_LABELS.get(row['coord_precision'], row['coord_precision']))}"
        + ("" if row["location_known"] else " — drawn at a point inside the oblast, not at the site"),
        f"{text(row['source_name'])} {_link(row['source_url'])}",
        f"<small>id {text(row.name)}</small>",
    ]
    return '<div class="deposit-popup">' + "<br>".join(line for line in lines if line) + "</div>"


def _marker(
    location: tuple[float, float],
    popup: str,
    tooltip: str | folium.Tooltip,
    *,
    radius: int,
    outline: tuple[str, int, str | None],
    fill: tuple[str, float],
) -> folium.CircleMarker:
    colour, weight, dash = outline
    return folium.CircleMarker(
        location=location,
        radius=radius,
        color=colour,
        weight=weight,
        dash_array=dash,
        fill=True,
        fill_color=fill[0],
        fill_opacity=fill[1],
        popup=folium.Popup(popup, max_width=360),
        tooltip=tooltip,
    )


def _deposit_layers(
    deposits: gpd.GeoDataFrame, anchors: pd.Series, *, lithium_first: bool
) -> list[folium.FeatureGroup]:
    groups = {
        key: folium.FeatureGroup(name=f"Deposits: {label}", show=not lithium_first)
        for key, label, _m, _c in style.COMMODITY_GROUPS
    }
    lithium = folium.FeatureGroup(name="Lithium sites", show=True)
    for _rid, row in deposits.iterrows():
        if row["location_known"]:
            lat, lon = float(row["lat"]), float(row["lon"])
        else:
            anchor = anchors[row["oblast_id"]]
            lat, lon = anchor.y, anchor.x
        key = style.commodity_group(row["primary_commodity"])
        outline, weight, dash = style.CONTROL_OUTLINE[row["control_status"]]
        popup = popup_html(row)
        _marker(
            (lat, lon),
            popup,
            text(row["name_en"]),
            radius=6,
            outline=(outline, weight, dash),
            fill=(style.group_colour(key), 0.9),
        ).add_to(groups[key])
        if "lithium" in row["commodity_list"]:
            ring = outline if row["control_status"] != schema.HELD else style.group_colour("lithium")
            tooltip = folium.Tooltip(text(row["name_en"]), permanent=lithium_first)
            _marker(
                (lat, lon),
                popup,
                tooltip,
                radius=11,
                outline=(ring, 3, dash),
                fill=(style.group_colour("lithium"), 0.5),
            ).add_to(lithium)
    return [g for g in groups.values() if g._children] + [lithium]


def _legend_html() -> str:
    items = [
        f'<span style="background:{c};border-radius:50%;width:10px;height:10px;display:inline-block"></span> {text(label)}'
        for _k, label, _m, c in style.COMMODITY_GROUPS
    ]
    items += [
        f'<span style="background:{style.OCCUPIED_SINCE_2022_COLOUR};opacity:.6;width:12px;height:10px;display:inline-block"></span> occupied since 24 Feb 2022',
        f'<span style="background:{style.OCCUPIED_BEFORE_2022_COLOUR};opacity:.6;width:12px;height:10px;display:inline-block"></span> occupied before 24 Feb 2022',
        f'<span style="border-top:2px solid {style.FRONT_COLOUR};width:12px;display:inline-block"></span> line of contact',
        "thick black ring: deposit in occupied territory; dashed: control unknown",
    ]
    return "<b>Legend</b><br>" + "<br>".join(items)


def _panel_html(
    title: str, snapshot_date: str, metals: pd.DataFrame, focus: pd.Series | None, deposits_here: pd.Series
) -> str:
    computed = metals.loc["computed"]
    rows = [
        f"<b>{text(title)}</b>",
        f"Occupied areas as of {text(snapshot_date)} (DeepStateMap.Live)",
    ]
    if focus is not None:
        rows.append(
            f"{text(focus['name_en'])}: {focus['occupied_share']:.1%} occupied "
            f"({focus['occupied_km2']:,.0f} of {focus['area_km2']:,.0f} km²)"
        )
    counts = deposits_here.value_counts()
    rows.append(
        ("Deposit records: " if focus is None else "Deposit records in this region: ")
        + ", ".join(f"{int(counts.get(s, 0))} {text(style.CONTROL_LABELS[s])}" for s in schema.CONTROL_STATUSES)
    )
    rows.append("<hr style='margin:4px 0'><b>Metals under Russian control</b>")
    rows.append(f"This project: <b>{computed['share']:.0%}</b> ({text(computed['value'])}; by count, not value)")
    for fid, fig in metals.drop(index="computed").iterrows():
        share = f"{fig['share']:.0%}" if pd.notna(fig["share"]) else text(fig["value"])
        rows.append(
            f"{text(fid)}: <b>{share}</b> — {text(fig['source_name'])}, {text(fig['as_of'])}; basis: {text(fig['basis'])} "
            f"{_link(fig['source_url'])}"
        )
    return "<br>".join(rows)


def _fixed_box(content: str, css_class: str, position: str) -> folium.Element:
    return folium.Element(
        f'<div class="{css_class}" style="position:fixed;{position};z-index:1000;background:rgba(255,255,255,.92);'
        f'padding:6px 8px;font:12px/1.35 sans-serif;max-width:380px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"{content}</div>"
    )


def build_map(
    spec: MapSpec,
    *,
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    parts: gpd.GeoDataFrame,
    front: gpd.GeoSeries,
    metals: pd.DataFrame,
    snapshot_date: str,
) -> folium.Map:
    """Build one map: region outlines, occupied areas, line of contact, deposits, panel, legend, credits."""
    if spec.frame == "lithium":
        lithium = deposits[deposits["commodity_list"].map(lambda c: "lithium" in c) & deposits["location_known"]]
        frame = lithium if not lithium.empty else regions.loc[[schema.COUNTRY_ID]]
        xmin, ymin, xmax, ymax = (float(v) for v in frame.total_bounds)
        pad = 1.0
        bounds = [[ymin - pad, xmin - pad], [ymax + pad, xmax + pad]]
    else:
        xmin, ymin, xmax, ymax = regions.geometry[spec.frame].bounds
        bounds = [[ymin, xmin], [ymax, xmax]]
    fmap = folium.Map(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=6,
        tiles="OpenStreetMap",
        control_scale=True,
    )
    fmap.fit_bounds(bounds)
    tolerance = _TOLERANCE[spec.scale]
    for level, prefix, shown in spec.region_levels:
        outline = _region_layer(regions, level, prefix, tolerance=tolerance, shown=shown)
        if outline is not None:
            outline.add_to(fmap)
    for layer in _occupation_layers(parts, front):
        layer.add_to(fmap)
    anchors = regions[regions["level"] == "oblast"].geometry.representative_point()
    for group in _deposit_layers(
        deposits.assign(snapshot_date=snapshot_date), anchors, lithium_first=spec.lithium_first
    ):
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)

    focus = (
        regions.drop(columns=regions.geometry.name).loc[[spec.frame]].iloc[0]
        if spec.frame in regions.index and spec.frame != schema.COUNTRY_ID
        else None
    )
    if spec.frame in (schema.COUNTRY_ID, "lithium"):
        here = deposits["control_status"]
    else:
        here = deposits.loc[deposits["region_ids"].map(lambda ids: spec.frame in ids), "control_status"]
    root = cast("Figure", fmap.get_root())
    root.html.add_child(
        _fixed_box(_panel_html(spec.title, snapshot_date, metals, focus, here), "figures-panel", "top:10px;left:50px")
    )
    root.html.add_child(_fixed_box(_legend_html(), "map-legend", "bottom:60px;left:10px"))
    root.html.add_child(_fixed_box(CREDITS_HTML, "map-credits", "bottom:30px;right:10px;max-width:520px"))
    root.header.add_child(folium.Element(f"<title>{text(spec.title)} — resource-control-mapper</title>"))
    return fmap


def render_maps(
    *,
    regions: gpd.GeoDataFrame,
    deposits: gpd.GeoDataFrame,
    parts: gpd.GeoDataFrame,
    front: gpd.GeoSeries,
    metals: pd.DataFrame,
    snapshot_date: str,
    specs: Sequence[MapSpec] = SPECS,
) -> dict[str, bytes]:
    """Render every map in `specs` to HTML bytes.

    Parameters
    ----------
    regions
        Indexed by region id (country row included), with geometry and the
        columns of `geo.stats.region_table`.
    deposits
        Deposits with their control columns and ``region_ids`` (every region each lies in).

    Returns
    -------
    dict
        Output file name (`geo.schema.MAP_FILES`) → HTML bytes.
    """
    out = {}
    for spec in specs:
        fmap = build_map(
            spec,
            regions=regions,
            deposits=deposits,
            parts=parts,
            front=front,
            metals=metals,
            snapshot_date=snapshot_date,
        )
        out[schema.MAP_FILES[spec.name]] = fmap.get_root().render().encode("utf-8")
    return out
