"""Label placement: put boxes around anchors so that none overlaps another, an obstacle or the map's edge.

Part of the static maps (`geo.printmap`), but knows nothing of matplotlib: it
works on boxes ``(x0, y0, x1, y1)`` in any one unit (the static maps use
pixels of the figure, y up).  `place_labels` places labels greedily, in the
order given, each at the first free one of its `candidate_boxes`; `place_box`
chooses where a box that must go somewhere (a scale bar, an inset) covers the
fewest records.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from geo.geometry import Box


def overlaps(a: Box, b: Box) -> bool:
    """Tell whether two boxes share more than an edge."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(a: Box, bounds: Box) -> bool:
    """Tell whether box `a` lies within `bounds` (touching its edge counts as inside)."""
    return a[0] >= bounds[0] and a[1] >= bounds[1] and a[2] <= bounds[2] and a[3] <= bounds[3]


def candidate_boxes(anchor: tuple[float, float], size: tuple[float, float], gap: float) -> list[Box]:
    """Return the boxes a label of `size` may take around `anchor`, best first.

    Right, upper right, lower right, left, upper left, lower left, above,
    below: `gap` away from the anchor (the marker's radius and a little air;
    the corners 0.8 `gap` off on both axes), then the same at twice the gap.
    """
    x, y = anchor
    w, h = size
    boxes = []
    for ring in (gap, 2 * gap):
        d = ring * 0.8
        corners = [
            (x + ring, y - h / 2),
            (x + d, y + d),
            (x + d, y - d - h),
            (x - ring - w, y - h / 2),
            (x - d - w, y + d),
            (x - d - w, y - d - h),
            (x - w / 2, y + ring),
            (x - w / 2, y - ring - h),
        ]
        boxes += [(x0, y0, x0 + w, y0 + h) for x0, y0 in corners]
    return boxes


def place_labels(
    anchors: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float]],
    gaps: Sequence[float],
    *,
    obstacles: Sequence[Box],
    bounds: Box,
) -> list[Box | None]:
    """Place labels greedily, in the given order, each where it overlaps nothing placed before it.

    Parameters
    ----------
    anchors
        The point each label belongs to.
    sizes
        Each label's width and height.
    gaps
        How far each label keeps from its anchor.
    obstacles
        Boxes no label may overlap (the markers, the scale bar, an inset).
    bounds
        The box every label must stay inside (the map).

    Returns
    -------
    list
        Per label, the box it takes (`candidate_boxes`), or None where no candidate is free: that label is skipped.
    """
    taken = list(obstacles)
    placed: list[Box | None] = []
    for anchor, size, gap in zip(anchors, sizes, gaps, strict=True):
        chosen = next(
            (
                box
                for box in candidate_boxes(anchor, size, gap)
                if inside(box, bounds) and not any(overlaps(box, other) for other in taken)
            ),
            None,
        )
        placed.append(chosen)
        if chosen is not None:
            taken.append(chosen)
    return placed


def place_box(
    view: Box,
    size: tuple[float, float],
    points: np.ndarray,
    weights: np.ndarray,
    *,
    margin: float,
    corners: Sequence[str],
    frame: Box | None = None,
    avoid: Box | None = None,
    reach: float = 0.0,
) -> Box:
    """Choose where a box of `size` goes in `view`: over the least weight of `points`, then the least of `frame`.

    `corners` are tried in order of preference: ``bl``, ``bc``, ``br`` (bottom
    left, centre, right), ``tl``, ``tc``, ``tr``, each `margin` in from the
    view's edges; a point counts (its weight) where it is within `reach` (a
    marker's radius) of the box; a place that overlaps `avoid` is not used (if
    every place does, the first corner is).  A tie keeps the earlier corner.

    Parameters
    ----------
    points
        Shape (n, 2): x, y (NaN: no point).
    weights
        Shape (n,): what each point counts.
    """
    xmin, ymin, xmax, ymax = view
    w, h = size
    xs = {"l": xmin + margin, "c": (xmin + xmax - w) / 2, "r": xmax - margin - w}
    ys = {"b": ymin + margin, "t": ymax - margin - h}
    x, y = points[:, 0], points[:, 1]
    best: tuple[tuple[float, float], Box] | None = None
    for corner in corners:
        x0, y0 = xs[corner[1]], ys[corner[0]]
        box = (x0, y0, x0 + w, y0 + h)
        if avoid is not None and overlaps(box, avoid):
            continue
        near = (x >= box[0] - reach) & (x <= box[2] + reach) & (y >= box[1] - reach) & (y <= box[3] + reach)
        covered = float(weights[near].sum())
        overlap = 0.0 if frame is None else float(shapely.area(shapely.box(*box).intersection(shapely.box(*frame))))
        if best is None or (covered, overlap) < best[0]:
            best = ((covered, overlap), box)
    if best is None:
        x0, y0 = xs[corners[0][1]], ys[corners[0][0]]
        return (x0, y0, x0 + w, y0 + h)
    return best[1]
