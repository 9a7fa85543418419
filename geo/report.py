"""The change report between two occupation snapshots, and its Markdown.

The refresh measures what changed (km² gained and lost per region, deposits
whose control changed) from the difference between two versions; this module
only shapes those measurements into a record, a Markdown section and a line.
Their words come from the English catalogue (``report.*``, ``control_phrase.*``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from geo import i18n, schema, style

#: Regions whose gain or loss is below this are left out of the report (km²), focus regions excepted.
MIN_REPORTED_KM2 = 0.001


def change_report(
    *,
    regions: pd.DataFrame,
    gained_km2: pd.Series,
    lost_km2: pd.Series,
    always: Sequence[str],
    deposits_changed: Sequence[Mapping[str, str]],
    previous_date: str | None,
    date: str,
    occupied_km2: float,
    previous_occupied_km2: float | None,
    total_gained_km2: float,
    total_lost_km2: float,
    contested_km2: float,
) -> dict[str, Any]:
    """Shape one version's change as a JSON-ready record.

    Parameters
    ----------
    regions
        Indexed by region id; columns ``name_en`` and ``level``.
    gained_km2, lost_km2
        km² occupied since / no longer occupied since the previous snapshot, indexed like `regions`.
    always
        Region ids listed even when nothing changed in them (the focus regions).
    deposits_changed
        Records with ``id``, ``name_en``, ``before`` and ``after`` control statuses.
    """
    rows = [
        {
            "region_id": rid,
            "name_en": str(regions.loc[rid, "name_en"]),
            "level": str(regions.loc[rid, "level"]),
            "gained_km2": round(float(gained_km2[rid]), 3),
            "lost_km2": round(float(lost_km2[rid]), 3),
            "net_km2": round(float(gained_km2[rid] - lost_km2[rid]), 3),
        }
        for rid in regions.index
        if rid in always or gained_km2[rid] >= MIN_REPORTED_KM2 or lost_km2[rid] >= MIN_REPORTED_KM2
    ]
    return {
        "previous_snapshot": previous_date,
        "snapshot": date,
        "occupied_km2": round(occupied_km2, 1),
        "previous_occupied_km2": round(previous_occupied_km2, 1) if previous_occupied_km2 is not None else None,
        "gained_km2": round(total_gained_km2, 1),
        "lost_km2": round(total_lost_km2, 1),
        "contested_km2": round(contested_km2, 1),
        "regions": rows,
        "deposits_changed": [dict(d) for d in deposits_changed],
    }


def _words() -> i18n.Words:
    return i18n.words("en")  # the refresh report is in English


def _phrase(status: str) -> str:
    return _words().messages.get(f"control_phrase.{status}", status)


def deposits_changed_text(report: Mapping[str, Any]) -> str:
    """One line's worth: ``Name: held by Ukraine → occupied since 24 Feb 2022, …`` or ``none``."""
    return ", ".join(
        f"{d['name_en']}: {_phrase(d['before'])} → {_phrase(d['after'])}" for d in report["deposits_changed"]
    ) or _words()("report.none")


def _markdown_text(value: str) -> str:
    """Return text from data as inert Markdown: one line, HTML's ``& < >`` as entities, Markdown's marks escaped."""
    line = " ".join("".join(ch for ch in value if ch.isprintable() or ch.isspace()).split())
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", line)


def report_markdown(report: Mapping[str, Any], *, credit: str = style.OCCUPATION_CREDIT) -> str:
    """Render one change report as a Markdown section; `credit` names the refreshed snapshot's source (data)."""
    words = _words()
    previous = report["previous_occupied_km2"]
    headings = [words(f"report.column.{key}") for key in ("region", "level", "gained", "lost", "net")]
    lines = [
        "# "
        + words("report.title", previous=report["previous_snapshot"] or words("report.none"), date=report["snapshot"]),
        "",
        words(
            "report.totals",
            occupied=f"{report['occupied_km2']:,}",
            previous=f"{previous:,}" if previous is not None else words("report.not_available"),
            gained=f"{report['gained_km2']:,}",
            lost=f"{report['lost_km2']:,}",
            contested=f"{report.get('contested_km2', 0.0):,}",
            crs=schema.AREA_CRS,
            credit=_markdown_text(credit),
        ),
        "",
        "| " + " | ".join(headings) + " |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {r['name_en']} ({r['region_id']}) | {r['level']} | {r['gained_km2']:,.3f} | {r['lost_km2']:,.3f} | {r['net_km2']:,.3f} |"
        for r in report["regions"]
    ]
    lines += ["", words("report.deposits_changed"), ""]
    lines += [
        f"- {d['name_en']} ({d['id']}): {_phrase(d['before'])} → {_phrase(d['after'])}"
        for d in report["deposits_changed"]
    ] or [f"- {words('report.none')}"]
    return "\n".join(lines) + "\n"
