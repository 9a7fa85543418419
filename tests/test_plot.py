"""matplotlib's one home: plain text, named SVG groups, settings from the defaults and saving with fixed metadata."""

from __future__ import annotations

from xml.etree import ElementTree

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


def pdf_info(data: bytes) -> dict[str, str]:
    """Read a PDF's document information (``/Key (literal string)`` entries), written here, not by matplotlib.

    A literal string's escapes (backslash, parentheses) are undone; one that starts with the UTF-16 byte order mark
    is UTF-16BE, else Latin-1 (ASCII here).
    """
    info: dict[str, str] = {}
    for key in (b"/Title", b"/Author", b"/Subject", b"/Producer"):
        at = data.rfind(key + b" (")
        if at < 0:
            continue
        raw, i, depth = bytearray(), at + len(key) + 2, 1
        while True:
            byte = data[i]
            if byte == 0x5C:  # backslash: the next byte is literal
                raw.append(data[i + 1])
                i += 2
                continue
            depth += {0x28: 1, 0x29: -1}.get(byte, 0)
            if depth == 0:
                break
            raw.append(byte)
            i += 1
        text = bytes(raw)
        info[key.decode()[1:]] = (
            text[2:].decode("utf-16-be") if text.startswith(b"\xfe\xff") else text.decode("latin-1")
        )
    return info


def test_a_pdf_and_an_svg_carry_the_title_author_and_subject() -> None:
    title, subject = "Донецька область (карта)", "Occupied (80.1%) \\ as of 2026-08-22"
    with plot.settings({"svg.hashsalt": "test", "svg.fonttype": "none"}):
        pdf = plot.save(_figure(), "pdf", title=title, subject=subject)
        svg = plot.save(_figure(), "svg", title="A & <b>", subject="sub").decode("utf-8")
        bare = plot.save(_figure(), "pdf")
    assert pdf_info(pdf) == {
        "Title": "Донецька область (карта)",
        "Author": "resource-control-mapper",
        "Subject": "Occupied (80.1%) \\ as of 2026-08-22",
        "Producer": "resource-control-mapper (matplotlib)",
    }
    assert "Title" not in pdf_info(bare)  # no title given: none claimed
    assert "<title>A &amp; &lt;b&gt;</title>" in svg  # escaped
    assert "<dc:description>sub</dc:description>" in svg


def test_a_control_character_in_a_title_leaves_the_svg_well_formed() -> None:
    with plot.settings({"svg.hashsalt": "test", "svg.fonttype": "none"}):
        svg = plot.save(_figure(), "svg", title="Map\x00\x1b of\x0bDonetsk", subject="as of\x1f2026-08-22\x00")
        pdf = plot.save(_figure(), "pdf", title="Map\x00\x1b of\x0bDonetsk", subject="as of\x1f2026-08-22\x00")
    root = ElementTree.fromstring(svg)  # raised "not well-formed (invalid token)" before
    assert root.findtext("{http://www.w3.org/2000/svg}title") == "Map of Donetsk"
    description = root.find(".//{http://purl.org/dc/elements/1.1/}description")
    assert description is not None
    assert description.text == "as of 2026-08-22"
    assert pdf_info(pdf)["Title"] == "Map of Donetsk"  # the PDF's text is the same
