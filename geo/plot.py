"""matplotlib, imported here and nowhere else: the static maps and the charts draw with what this module gives.

No pyplot: every figure is a `Figure`, saved by matplotlib's own canvases
(Agg for PNG, its PDF and SVG backends), so nothing needs a display; the
backend is set to Agg all the same, so that nothing picks a GUI one.  Importing
this module imports matplotlib (about 0.3 s): only the build's stages import
it, and `geo.cli` imports the build when it runs one, so ``--help`` stays fast.

Besides matplotlib's classes, this module gives what every drawing here
needs: text that is never mathtext (`text`) and measured without a screen
(`extent`), named SVG groups (`group`), settings that start from matplotlib's
defaults rather than a user's matplotlibrc (`settings`), and saving with fixed
metadata, so that the same figure gives the same bytes (`save`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, Final

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font, LoadFlags
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.transforms import IdentityTransform, ScaledTranslation, Transform

from geo import i18n

mpl.use("Agg")

__all__ = [
    "AUTHOR",
    "PRODUCER",
    "Artist",
    "Axes",
    "FT2Font",
    "Figure",
    "IdentityTransform",
    "Line2D",
    "LoadFlags",
    "MarkerStyle",
    "Path",
    "PathCollection",
    "PathPatch",
    "Rectangle",
    "RendererBase",
    "ScaledTranslation",
    "Text",
    "Transform",
    "extent",
    "figure_of",
    "font_manager",
    "group",
    "measurer",
    "save",
    "settings",
    "text",
]

#: The producer and creator the PDF and SVG files name (fixed, so that the same inputs give the same bytes).
PRODUCER: Final = "resource-control-mapper (matplotlib)"
#: The author the PDF and SVG files name: the project that makes them (the data's credits are on the page).
AUTHOR: Final = "resource-control-mapper"


@contextmanager
def settings(values: Mapping[Any, Any]) -> Iterator[None]:
    """Apply matplotlib settings `values` over matplotlib's defaults (not a user's matplotlibrc); restore them after."""
    with mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams.update(values)
        yield


def save(figure: Figure, fmt: str, *, compress_level: int = 1, title: str = "", subject: str = "") -> bytes:
    """Save a figure as ``png`` (at its dpi), ``svg`` or ``pdf``, with fixed metadata: no dates, `PRODUCER`.

    A PDF carries `title`, `AUTHOR` and `subject` in its document information
    (``/Title``, ``/Author``, ``/Subject``); an SVG carries them as Dublin Core
    metadata, and matplotlib writes `title` as its ``<title>`` too (what a
    browser's tab and a screen reader show).  PNGs use zlib level `compress_level` (1: as small as the
    default level for flat colours, and faster).  `title` and `subject` are first made what XML 1.0 can carry
    (`geo.i18n.xml_text`: a control character from a region's name would leave the SVG unreadable).
    """
    title, subject = i18n.xml_text(title), i18n.xml_text(subject)
    buffer = io.BytesIO()
    if fmt == "png":
        figure.savefig(
            buffer,
            format="png",
            dpi=figure.dpi,
            metadata={"Software": None},
            pil_kwargs={"compress_level": compress_level},
        )
    elif fmt == "svg":
        described = {"Title": title, "Description": subject} if title else {}
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": PRODUCER, **described})
    elif fmt == "pdf":
        metadata = {"CreationDate": None, "ModDate": None, "Producer": PRODUCER, "Creator": PRODUCER}
        if title:
            metadata.update({"Title": title, "Author": AUTHOR, "Subject": subject})
        figure.savefig(buffer, format="pdf", metadata=metadata)
    else:
        msg = f"cannot save a figure as {fmt!r}: png, svg or pdf"
        raise ValueError(msg)
    return buffer.getvalue()


def text(figure: Figure, x: float, y: float, value: str, **kwargs: Any) -> Text:
    """Return plain text (never mathtext or TeX), placed in inches on the figure unless a transform is given."""
    kwargs.setdefault("transform", figure.dpi_scale_trans)
    item = Text(x, y, value, parse_math=False, usetex=False, **kwargs)
    item.set_figure(figure)
    return item


@cache
def measurer(dpi: float) -> RendererBase:
    """Return a renderer to measure text with, one per dpi, so that matplotlib's cache of text sizes is shared."""
    return RendererAgg(8, 8, dpi)  # type: ignore[no-untyped-call]


def extent(item: Text) -> tuple[float, float]:
    """Return a text's width and height in inches."""
    figure = item.get_figure(root=True)
    dpi = float(figure.dpi) if figure is not None else 72.0
    box = item.get_window_extent(measurer(dpi))
    return box.width / dpi, box.height / dpi


def figure_of(axes: Axes) -> Figure:
    """Return the figure an axes belongs to."""
    figure = axes.get_figure(root=True)
    if figure is None:
        msg = "the axes belong to no figure"
        raise ValueError(msg)
    return figure


class Group(Artist):
    """Children drawn in their order inside ``<g id="gid">`` (one named layer of the SVG)."""

    def __init__(self, gid: str, children: Sequence[Artist]) -> None:
        super().__init__()
        self.set_gid(gid)
        self._children = list(children)

    def get_children(self) -> list[Artist]:
        """Return the children, in drawing order."""
        return list(self._children)

    def draw(self, renderer: RendererBase) -> None:
        """Draw the children inside one SVG group."""
        if not self.get_visible():
            return
        renderer.open_group("layer", gid=self.get_gid())
        for child in self._children:
            child.draw(renderer)
        renderer.close_group("layer")
        self.stale = False


def group(owner: Figure | Axes, gid: str, children: Sequence[Artist], *, zorder: float, clip: bool = False) -> None:
    """Add `children` to a figure or an axes as one layer, ``<g id="gid">`` in the SVG (nothing if there are none).

    On an axes, children without a transform of their own are in data
    coordinates; with `clip` they are clipped to the axes.
    """
    if not children:
        return
    figure = figure_of(owner) if isinstance(owner, Axes) else owner
    for child in children:
        child.set_figure(figure)
        if isinstance(owner, Axes):
            if not child.is_transform_set():
                child.set_transform(owner.transData)
            child.axes = owner
            if clip:
                child.set_clip_path(owner.patch)
    layer = Group(gid, children)
    layer.set_zorder(zorder)
    owner.add_artist(layer)
