"""matplotlib's one home: plain text, named SVG groups, settings from the defaults and saving with fixed metadata."""

from __future__ import annotations

import matplotlib as mpl
import pytest

from geo import plot


def _figure() -> plot.Figure:
    figure = plot.Figure(figsize=(2, 1), dpi=50)
    plot.group(figure, "words", [plot.text(figure, 0.1, 0.5, "$x^2$ & <b>")], zorder=1)
    return figure


def test_the_backend_is_agg() -> None:
    assert mpl.get_backend().lower() == "agg"


def test_text_is_never_mathtext_and_is_measured_without_a_screen() -> None:
    figure = plot.Figure(figsize=(2, 1), dpi=100)
    item = plot.text(figure, 0, 0, "$x^2$")
    assert item.get_text() == "$x^2$"
    width, height = plot.extent(item)
    assert 0.2 < width < 0.6  # five characters at 10 pt: about 0.4 inch; as mathtext it would be narrower
    assert 0.1 < height < 0.3


def test_a_group_is_one_named_layer_of_the_svg() -> None:
    svg = plot.save(_figure(), "svg").decode("utf-8")
    assert '<g id="words">' in svg
    assert "$x^2$ &amp; &lt;b&gt;" in svg


def test_saving_twice_gives_the_same_bytes_without_a_date() -> None:
    with plot.settings({"svg.hashsalt": "test", "svg.fonttype": "none"}):
        for fmt in ("png", "svg", "pdf"):
            first, second = plot.save(_figure(), fmt), plot.save(_figure(), fmt)
            assert first == second, fmt
        assert rb"(resource-control-mapper \(matplotlib\))" in plot.save(_figure(), "pdf")  # `plot.PRODUCER`
        assert b"<dc:date>" not in plot.save(_figure(), "svg")
    with pytest.raises(ValueError, match="png, svg or pdf"):
        plot.save(_figure(), "bmp")


def test_settings_start_from_the_defaults_and_are_restored() -> None:
    before = mpl.rcParams["font.size"]
    mpl.rcParams["lines.linewidth"] = 7.0
    try:
        with plot.settings({"font.size": 3.0}):
            assert mpl.rcParams["font.size"] == 3.0
            assert mpl.rcParams["lines.linewidth"] == mpl.rcParamsDefault["lines.linewidth"]
        assert mpl.rcParams["lines.linewidth"] == 7.0
        assert mpl.rcParams["font.size"] == before
    finally:
        mpl.rcParams["lines.linewidth"] = mpl.rcParamsDefault["lines.linewidth"]
