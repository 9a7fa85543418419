"""The static maps' legend: it lists what its map draws, in the HTML legend's order, and fits its box."""

from __future__ import annotations

import pandas as pd

from geo import i18n, legend, page, plot, schema, style


def _shown(groups: list[str], statuses: list[str], **kwargs: object) -> legend.Shown:
    points = pd.DataFrame({"group": groups, "control_status": statuses})
    values: dict[str, object] = {"parts": (), "contested": False, "front": False, "levels": (), **kwargs}
    return legend.Shown(points=points, **values)  # type: ignore[arg-type]


def test_the_legend_lists_only_what_is_drawn() -> None:
    words = i18n.words("en")
    shown = _shown(
        ["lithium", "coal"],
        [schema.HELD, schema.OCCUPIED_SINCE_2022],
        parts=(schema.OCCUPIED_SINCE_2022,),
        front=True,
        levels=("oblast",),
    )
    texts = [(e.text, e.kind) for e in legend.legend_entries(words, shown, not_drawn=2)]
    assert texts == [
        (words("control.occupied_since_2022"), "fill"),
        (words("legend.front")[:1].upper() + words("legend.front")[1:], "line"),
        (words("legend.boundaries", level=words("level.oblast")), "line"),
        (words("group.lithium"), "marker"),
        (words("group.coal"), "marker"),
        (words("legend.control"), "heading"),
        (words("control.held_by_ukraine"), "marker"),
        (words("control.occupied"), "marker"),
        (words("print.not_drawn", count="2"), "note"),
    ]


def test_an_empty_map_has_an_empty_legend() -> None:
    assert legend.legend_entries(i18n.words("en"), _shown([], []), not_drawn=0) == []


def test_a_marker_is_sized_from_the_html_style() -> None:
    layout = page.LAYOUTS["web"]
    size = style.MARKER_SIZE * legend.PT_PER_PX * legend.MARKER_SHARE
    assert legend.marker_diameter("coal", layout) == size
    assert legend.marker_diameter("lithium", layout) > size
    assert legend.rgba("#ff8000", 0.5) == (1.0, 128 / 255, 0.0, 0.5)


def test_a_legend_shrinks_its_text_to_fit_its_box() -> None:
    layout = page.LAYOUTS["web"]
    figure = plot.Figure(figsize=(layout.width_in, layout.height_in), dpi=layout.dpi)
    entries = [legend.Entry(f"Entry number {i}", "line", "#000000", 1.0) for i in range(12)]
    roomy = legend.plan_legend(figure, entries, 2.0, 4.0, layout)
    tight = legend.plan_legend(figure, entries, 2.0, 1.0, layout)
    assert roomy.size == layout.legend_pt
    assert tight.size < roomy.size
    assert tight.height_in <= 1.0
    legend.draw_legend(figure, tight, (0.1, 4.5), layout)
    assert [a.get_gid() for a in figure.artists] == ["legend"]


def test_the_focus_region_is_keyed_in_its_outline() -> None:
    shown = _shown(["coal"], [schema.HELD], levels=("hromada",), focus="Kupianska urban hromada")
    entries = legend.legend_entries(i18n.words("en"), shown, not_drawn=0)
    focus = next(e for e in entries if e.text.startswith("Kupianska"))
    assert focus.text == "Kupianska urban hromada: the map's region (land outside it lightened)"
    assert (focus.kind, focus.colour, focus.width) == ("line", "#1f4e9c", 3.0)  # `style.FOCUS_OUTLINE`
    assert [e.kind for e in entries[:2]] == ["line", "line"]  # after the region outlines, before the records
    uk = legend.legend_entries(i18n.words("uk"), _shown([], [], focus="Куп'янська міська громада"), not_drawn=0)
    assert [e.text for e in uk] == ["Куп'янська міська громада: регіон мапи (поза ним суходіл освітлено)"]
