"""Occupation over time: per-deposit periods, tables and charts from a dated series of snapshots.

The series is a mapping date → occupied parts (before/since 24 Feb 2022), built
by the pipeline from the month-end files and every dated snapshot.  Dates are
DeepState publication dates, which lag events by days.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from geo import i18n, plot, schema, style
from geo.page import clean_text, cut
from geo.sources import CREDIT_MAX_CHARS


def occupation_periods(statuses: pd.DataFrame) -> pd.Series:
    """Describe, per deposit, the runs of snapshots in which it was occupied.

    Parameters
    ----------
    statuses
        Control status per deposit (rows) and snapshot date (columns, in order).

    Returns
    -------
    pandas.Series
        Text such as ``2022-04-30 → 2022-08-31; 2024-02-29 → now``: each run from
        its first to its last occupied snapshot (``now`` if it lasts to the last
        one); empty if never occupied.
    """
    dates = list(statuses.columns)
    occupied = statuses.isin(schema.OCCUPIED_STATUSES)
    texts = []
    for _rid, row in occupied.iterrows():
        runs, start = [], None
        for i, flag in enumerate(row.tolist()):
            if flag and start is None:
                start = i
            if start is not None and (not flag or i == len(dates) - 1):
                end = i if flag else i - 1
                runs.append(f"{dates[start]} → {'now' if flag and i == len(dates) - 1 else dates[end]}")
                start = None
        texts.append("; ".join(runs))
    return pd.Series(texts, index=statuses.index, name="occupied_periods")


def occupied_since_dated(statuses: pd.DataFrame, since: pd.DataFrame) -> pd.DataFrame:
    """Date each currently occupied deposit's continuous occupation from the series itself, to the snapshot.

    Where the last run of occupied snapshots starts after the first snapshot,
    its first date is the date (the deposit was held at the snapshot before,
    so it changed hands between the two, a span the basis states), unless the
    "occupied since" layer dates it inside that span, which is finer.  Where the
    deposit is occupied from the series' first snapshot on, the "occupied
    since" layer's answer (`since`) is kept: ``before 2022`` for the pre-2022
    zone, or a date up to the first snapshot; failing those, "by" the first snapshot.

    Parameters
    ----------
    statuses
        Control status per deposit (rows) and snapshot date (columns, in order).
    since
        From `geo.join.occupied_since` (columns ``occupied_since`` and ``occupied_since_basis``).

    Returns
    -------
    pandas.DataFrame
        Indexed like `statuses`; ``occupied_since`` and ``occupied_since_basis``.
    """
    out = since.reindex(statuses.index).fillna("")
    dates = list(statuses.columns)
    if not dates:
        return out
    occupied = statuses.isin(schema.OCCUPIED_STATUSES).to_numpy()
    for row, rid in enumerate(statuses.index):
        flags = occupied[row]
        if not flags[-1]:
            out.loc[rid, ["occupied_since", "occupied_since_basis"]] = ["", ""]
            continue
        held = np.flatnonzero(~flags)
        if len(held) == 0:
            known = str(out.loc[rid, "occupied_since"])
            if known != "before 2022" and not (known[:1].isdigit() and known <= dates[0]):
                out.loc[rid, ["occupied_since", "occupied_since_basis"]] = [
                    dates[0],
                    f"already occupied in the first snapshot of the series ({dates[0]}): occupied by then",
                ]
            continue
        start, before = dates[held[-1] + 1], dates[held[-1]]
        days = (pd.Timestamp(start) - pd.Timestamp(before)).days
        layer_date = str(out.loc[rid, "occupied_since"])
        if before < layer_date <= start and layer_date[:1].isdigit():
            continue  # the "occupied since" layer dates it within the same span, more finely: keep it
        out.loc[rid, ["occupied_since", "occupied_since_basis"]] = [
            start,
            f"first snapshot of the continuous run; held in the snapshot before ({before}, {days} days earlier)",
        ]
    return out


def history_deposits(deposits: pd.DataFrame, since: pd.DataFrame, statuses: pd.DataFrame) -> pd.DataFrame:
    """Tabulate each deposit's history: occupied since (latest continuous run) and every occupied period.

    Returns
    -------
    pandas.DataFrame
        Indexed like `deposits`; ``name_en``, ``primary_commodity``, ``control_status``,
        ``occupied_since``, ``occupied_since_basis`` (from `occupied_since_dated`), ``occupied_periods``,
        ``first_snapshot``, ``last_snapshot``.
    """
    table = deposits[["name_en", "primary_commodity", "control_status"]].join(occupied_since_dated(statuses, since))
    table["occupied_periods"] = occupation_periods(statuses)
    table["first_snapshot"] = statuses.columns[0] if len(statuses.columns) else ""
    table["last_snapshot"] = statuses.columns[-1] if len(statuses.columns) else ""
    return table


def _png(figure: plot.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def _figure() -> tuple[plot.Figure, plot.Axes]:
    """Return a new chart."""
    figure = plot.Figure(figsize=(9, 4.8))
    return figure, figure.add_subplot()


def _credit(credit: str) -> str:
    """Return a source's credit (data) as the charts draw it: one line of characters the font has."""
    return cut(clean_text(credit), CREDIT_MAX_CHARS)


def _finish(figure: plot.Figure, axes: plot.Axes, words: i18n.Words, *, credit: str) -> plot.Figure:
    """Put the legend beside the plot (never over a line) and the credits (`credit`: the history's sources) under it."""
    figure.subplots_adjust(left=0.07, right=0.74, bottom=0.16)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False)
    figure.text(
        0.01, 0.015, words("credits", credits=style.credits_line(_credit(credit))), fontsize=6.5, parse_math=False
    )
    return figure


def chart_occupied_share(
    series: pd.DataFrame, *, region_ids: Sequence[str], names: pd.Series, words: i18n.Words, credit: str
) -> bytes:
    """Plot the occupied share of each region in `region_ids` over time (PNG bytes), in the language of `words`.

    `credit` names the sources of the history (`geo.build.history_credit`), in the title and the credits.

    Parameters
    ----------
    series
        Columns ``date``, ``region_id``, ``occupied_share``.
    names
        Region id → name in that language.
    """
    figure, axes = _figure()
    for rid in region_ids:
        rows = series[series["region_id"] == rid]
        line = axes.plot(pd.to_datetime(rows["date"]), rows["occupied_share"] * 100, linewidth=1.8)[0]
        line.set_label(str(names[rid]).replace("$", r"\$"))  # a name is text, never mathtext
    axes.set_ylabel(words("chart.share.ylabel"))
    axes.set_ylim(0, 101)
    axes.grid(alpha=0.3)
    axes.set_title(words("chart.share.title", credit=_credit(credit)), fontsize=10, parse_math=False)
    return _png(_finish(figure, axes, words, credit=credit))


def chart_deposits_occupied(ledger: pd.DataFrame, *, words: i18n.Words, credit: str) -> bytes:
    """Plot Ukraine's occupied deposit records per commodity group over time (PNG bytes), in the language of `words`.

    `credit` names the sources of the history (`geo.build.history_credit`), in the credits.

    Parameters
    ----------
    ledger
        From `geo.stats.control_ledger` (columns ``date``, ``region_id``, ``commodity``, ``occupied``).
    """
    country = ledger[ledger["region_id"] == schema.COUNTRY_ID]
    figure, axes = _figure()
    for key, members, _colour in style.COMMODITY_GROUPS:
        rows = country[country["commodity"].isin(members)].groupby("date")["occupied"].sum()
        if rows.sum() == 0:
            continue
        axes.plot(
            pd.to_datetime(rows.index), rows.to_numpy(), label=words(f"group.{key}"), color=style.chart_colour(key)
        )
    axes.set_ylabel(words("chart.deposits.ylabel"))
    axes.grid(alpha=0.3)
    axes.set_title(words("chart.deposits.title"), fontsize=10)
    return _png(_finish(figure, axes, words, credit=credit))


def chart_sources_disagreement(compare: pd.DataFrame, *, credits: Mapping[str, str], words: i18n.Words) -> bytes:
    """Plot `sources_disagreement_figure` as PNG bytes (``chart_sources_disagreement.png``)."""
    return _png(sources_disagreement_figure(compare, credits=credits, words=words))


def sources_disagreement_figure(compare: pd.DataFrame, *, credits: Mapping[str, str], words: i18n.Words) -> plot.Figure:
    """Plot, per pair of occupation sources, Ukraine's km² only one of the two shows occupied at each shared day.

    The title names what the pairs were compared on (their ``footprint``), the credits line every source plotted
    (`credits`: source id → credit, data).  A line per source of each pair, in its colour
    (`geo.style.SOURCE_ONLY_STYLE`), a dash per pair; each day a marker (a single shared day is a point).

    Parameters
    ----------
    compare
        ``sources_compare.csv``'s rows (`geo.build.SourcesResult.compare`): ``date``, ``region_id``,
        ``source_a``, ``source_b``, ``a_only_km2``, ``b_only_km2``, ``footprint``.
    """
    country = compare[compare["region_id"] == schema.COUNTRY_ID]
    figure = plot.Figure(figsize=(9, 6.2))
    axes = figure.add_subplot()
    plotted: dict[str, str] = {}
    pairs = list(dict.fromkeys(zip(country["source_a"].astype(str), country["source_b"].astype(str), strict=True)))
    for n, (source_a, source_b) in enumerate(pairs):
        rows = country[(country["source_a"] == source_a) & (country["source_b"] == source_b)].sort_values("date")
        dates = pd.to_datetime(rows["date"])
        for only, other, column in ((source_a, source_b, "a_only_km2"), (source_b, source_a, "b_only_km2")):
            credit, versus = _credit(credits.get(only, only)), _credit(credits.get(other, other))
            plotted.update({only: credit, other: versus})
            colour, _dash = style.SOURCE_ONLY_STYLE.get(only, style.SOURCE_ONLY_STYLE["file"])
            label = words("chart.sources.only", credit=credit, other=versus).replace("$", r"\$")
            axes.plot(
                dates, rows[column].to_numpy(dtype=float), label=label, color=colour,
                linestyle=_PAIR_DASHES[n % len(_PAIR_DASHES)], marker="o", markersize=4, linewidth=1.4,
            )  # fmt: skip
    footprints = "; ".join(words(f"chart.sources.footprint.{f}") for f in dict.fromkeys(country["footprint"]))
    axes.set_ylabel(words("chart.sources.ylabel"))
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    title = textwrap.fill(words("chart.sources.title", footprint=footprints), 100)
    axes.set_title(title, fontsize=10, parse_math=False)
    figure.autofmt_xdate()
    figure.subplots_adjust(left=0.1, right=0.97, top=0.88, bottom=0.36)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.0, -0.16), borderaxespad=0.0, frameon=False)
    line = words("credits", credits=style.credits_line("; ".join(plotted.values())))
    figure.text(0.01, 0.012, textwrap.fill(line, 170), fontsize=6.5, parse_math=False)
    return figure


#: The line style of each pair of sources on the disagreement chart, in order.
_PAIR_DASHES: Final = ("-", "--", ":", "-.")
