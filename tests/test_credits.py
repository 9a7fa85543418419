"""Every output credits the source of the occupied areas it shows, never a hard-wired name (issue 21)."""

from __future__ import annotations

import json
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from geo import build, schema
from tests.conftest import make_layers

#: A credit a user's file's sidecar might carry: HTML, a QGIS expression, a spreadsheet formula, mathtext.
HOSTILE = "<img src=x onerror=alert(1)> [% 1/0 %] =cmd|' /C calc'!A0 $x^2$ {{ 7*7 }}"


def _set_sidecars(layers: Path, snapshot: dict[str, Any], monthly: dict[str, Any]) -> None:
    """Give the tiny world's build snapshot and month-end files these sidecar fields (their hashes kept)."""
    occupation = layers / schema.OCCUPATION_DIR
    for path in occupation.glob(f"{schema.SNAPSHOT_PREFIX}*.source.json"):
        path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), **snapshot}), encoding="utf-8")
    for path in (layers / schema.MONTHLY_DIR).glob("*.source.json"):
        path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), **monthly}), encoding="utf-8")


class _Elements(HTMLParser):
    """The start tags of a page, and the text of its script and noscript elements apart."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def nzz_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The tiny world with its snapshot from NZZ and its month-end files from DeepState."""
    root = tmp_path_factory.mktemp("nzz")
    layers = make_layers(root / "layers")
    _set_sidecars(
        layers,
        {"occupation_source": "nzz", "credit": "Source: NZZ, data from Liveuamap"},
        {"credit": "Source: DeepStateMap.Live"},
    )
    return root / "maps", build.build(layers, root / "maps")


def test_a_build_from_nzz_credits_nzz_for_the_snapshot(nzz_build: tuple[Path, dict[str, Any]]) -> None:
    out, record = nzz_build
    page = (out / "overview.html").read_text(encoding="utf-8")
    # the occupied areas' legend and the panel name NZZ, not DeepState
    assert "Occupied since 24 Feb 2022 (NZZ, data from Liveuamap)" in page
    assert "Occupied areas as of 2026-08-22 (NZZ, data from Liveuamap)" in page
    assert "(DeepStateMap.Live)" not in page.replace("2025-01-31 (DeepStateMap.Live)", "").replace(
        "2025-02-28 (DeepStateMap.Live)", ""
    )  # DeepState only for the month-end files' dates the slider shows
    # the credits line: the history's DeepState files, and NZZ for the snapshot's date
    assert "Occupied areas: DeepStateMap.Live; 2026-08-22: NZZ, data from Liveuamap" in page
    summary = json.loads((out / schema.SUMMARY_JSON).read_text(encoding="utf-8"))
    assert summary == record
    assert summary["snapshot_source"]["credit"] == "Source: NZZ, data from Liveuamap"
    assert "Source: NZZ, data from Liveuamap" in summary["credits"]
    # the static maps show only the snapshot: NZZ alone
    svg = (out / "print" / "overview.svg").read_text(encoding="utf-8")
    assert "(NZZ, data from Liveuamap)" in svg
    assert "DeepStateMap" not in svg
    with zipfile.ZipFile(out / schema.QGZ_FILE) as archive:
        project = archive.read("resource_control.qgs").decode("utf-8")
    assert "Occupation (NZZ, data from Liveuamap)" in project
    assert "Russian-occupied territory (NZZ, data from Liveuamap, 2026-08-22)" in project


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world with its snapshot from a user's file whose sidecar's credit is hostile."""
    root = tmp_path_factory.mktemp("hostile")
    layers = make_layers(root / "layers")
    _set_sidecars(
        layers,
        {"occupation_source": "file", "credit": f"Source: {HOSTILE}"},
        {"credit": "Source: DeepStateMap.Live"},
    )
    build.build(layers, root / "maps")
    return root / "maps"


def test_a_hostile_credit_stays_text_in_the_html_page(hostile_build: Path) -> None:
    page = (hostile_build / "overview.html").read_text(encoding="utf-8")
    parser = _Elements()
    parser.feed(page)
    assert not any(tag == "img" for tag, _attrs in parser.tags)  # no element made from the credit
    assert not any("onerror" in attrs for _tag, attrs in parser.tags)
    assert "<img src=x" not in page
    assert "{{ 7*7 }}" not in page  # never a template's expression
    assert "&#123;&#123; 7*7 &#125;&#125;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # shown, escaped, in the legend and the panel
    assert "&#36;x^2&#36;" in page


def test_a_hostile_credit_stays_text_in_the_print_svg(hostile_build: Path) -> None:
    svg = (hostile_build / "print" / "overview.svg").read_text(encoding="utf-8")
    root = ElementTree.fromstring(svg)  # well-formed: nothing of the credit became markup
    assert not [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] in ("image", "script")]
    texts = " ".join("".join(e.itertext()) for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "text")
    assert "<img src=x onerror=alert(1)>" in texts  # drawn as text
    assert "$x^2$" in texts  # as typed, never mathtext


def test_a_hostile_credit_stays_text_in_the_qgis_project(hostile_build: Path) -> None:
    with zipfile.ZipFile(hostile_build / schema.QGZ_FILE) as archive:
        project = archive.read("resource_control.qgs").decode("utf-8")
    root = ElementTree.fromstring(project.split("\n", 1)[1])  # well-formed XML
    labels = [item.get("labelText") or "" for item in root.iter("LayoutItem") if item.get("labelText")]
    credited = [label for label in labels if "onerror" in label]
    assert credited  # the layouts name the source ...
    for label in credited:
        assert "[% 1/0 %]" not in label  # ... and QGIS never evaluates it: its [% is broken
        assert "[\u200b% 1/0 %]" in label
    groups = [g.get("name") or "" for g in root.iter("layer-tree-group")]
    assert f"Occupation ({HOSTILE})" in groups
