"""Label placement: put boxes around anchors so that none overlaps another, an obstacle or the map's edge.

Part of the static maps (`geo.printmap`), but knows nothing of matplotlib: it
works on boxes ``(x0, y0, x1, y1)`` in any one unit (the static maps use
pixels of the figure, y up).  `place_labels` places labels greedily, in the
order given, each at the first free one of its `candidate_boxes` (beside its
marker); a label with no free place there floats to the first free one of its
`far_boxes`, tied to its marker by a `leader` line that crosses no other
label, leader or marker.  `place_box` chooses where a box that must go
somewhere (a scale bar, an inset) covers the fewest records.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np
import shapely

from geo.geometry import Box

#: A label whose box is farther than this many gaps from its anchor gets a leader line (`candidate_boxes` are all
#: within 2.3 gaps, `far_boxes` at least 2.75 away).
LEADER_AFTER: Final = 2.5
#: How far a floating label may go, in gaps from its anchor, nearest first.
FAR_RINGS: Final = (3.0, 4.0, 5.5, 7.0, 9.0, 11.5, 14.0)
#: The directions a floating label is tried in (degrees, counter-clockwise from the right), best first.
FAR_DIRECTIONS: Final = (0, 180, 45, 135, -45, -135, 90, -90, 22.5, 157.5, -22.5, -157.5, 67.5, 112.5, -67.5, -112.5)
#: Where a direction's cosine (sine) is beyond this, the box hangs off that side of its point, else it is centred.
_SIDE: Final = 0.38
Segment = tuple[tuple[float, float], tuple[float, float]]


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


def far_boxes(anchor: tuple[float, float], size: tuple[float, float], gap: float) -> list[Box]:
    """Return the boxes a label may float to, away from its anchor (it then needs a `leader`), nearest first.

    For each distance of `FAR_RINGS` (times `gap`), in each of `FAR_DIRECTIONS`:
    the box hangs off the point at that distance on the side away from the
    anchor (centred on it where the direction is nearly vertical or horizontal).
    """
    x, y = anchor
    w, h = size
    boxes = []
    for ring in FAR_RINGS:
        for degrees in FAR_DIRECTIONS:
            c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
            px, py = x + ring * gap * c, y + ring * gap * s
            x0 = px if c > _SIDE else px - w if c < -_SIDE else px - w / 2
            y0 = py if s > _SIDE else py - h if s < -_SIDE else py - h / 2
            boxes.append((x0, y0, x0 + w, y0 + h))
    return boxes


def distance(anchor: tuple[float, float], box: Box) -> float:
    """Return how far `box` is from `anchor` (0 where the box holds it)."""
    dx = max(box[0] - anchor[0], 0.0, anchor[0] - box[2])
    dy = max(box[1] - anchor[1], 0.0, anchor[1] - box[3])
    return math.hypot(dx, dy)


def leader(anchor: tuple[float, float], box: Box, gap: float) -> Segment | None:
    """Return the leader line of a label that floats away from its anchor, or None for one beside it.

    The line runs from `gap` off the anchor (just outside its marker) to the
    point of the box nearest the anchor; a box within `LEADER_AFTER` gaps of its
    anchor needs none.
    """
    x, y = anchor
    nx, ny = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])
    d = math.hypot(nx - x, ny - y)
    if d <= LEADER_AFTER * gap:
        return None
    return ((x + (nx - x) / d * gap, y + (ny - y) / d * gap), (nx, ny))


def _overlaps(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Tell, per pair (n, m), whether boxes share more than an edge."""
    a, b = boxes[:, None, :], others[None, :, :]
    hit: np.ndarray = (
        (a[..., 0] < b[..., 2]) & (b[..., 0] < a[..., 2]) & (a[..., 1] < b[..., 3]) & (b[..., 1] < a[..., 3])
    )
    return hit


def _crosses_boxes(starts: np.ndarray, ends: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Tell, per pair (n, m), whether segment n passes through the inside of box m (touching is not crossing)."""
    p, d = starts[:, None, :], (ends - starts)[:, None, :]
    low, high = boxes[None, :, :2], boxes[None, :, 2:]
    with np.errstate(divide="ignore", invalid="ignore"):
        t_low, t_high = (low - p) / d, (high - p) / d
    still = d == 0
    inside = (p > low) & (p < high)  # a segment parallel to an axis must lie strictly between the box's sides
    enter = np.where(still, -np.inf, np.minimum(t_low, t_high))
    leave = np.where(still, np.inf, np.maximum(t_low, t_high))
    t0 = np.maximum(enter.max(axis=-1), 0.0)
    t1 = np.minimum(leave.min(axis=-1), 1.0)
    hit: np.ndarray = (t1 - t0 > 1e-9) & np.all(~still | inside, axis=-1)
    return hit


def _segments_cross(starts: np.ndarray, ends: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Tell, per pair (n, m), whether segment n properly crosses segment m (others: shape (m, 4))."""

    def side(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        turn: np.ndarray = (a[..., 0] - o[..., 0]) * (b[..., 1] - o[..., 1]) - (a[..., 1] - o[..., 1]) * (
            b[..., 0] - o[..., 0]
        )
        sign: np.ndarray = np.sign(turn)
        return sign

    p, q = starts[:, None, :], ends[:, None, :]
    a, b = others[None, :, :2], others[None, :, 2:]
    hit: np.ndarray = (side(p, q, a) * side(p, q, b) < 0) & (side(a, b, p) * side(a, b, q) < 0)
    return hit


def place_labels(
    anchors: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float]],
    gaps: Sequence[float],
    *,
    obstacles: Sequence[Box],
    bounds: Box,
    must: Sequence[bool] | None = None,
) -> list[Box | None]:
    """Place labels greedily, in the given order, each where it overlaps nothing placed before it.

    First every label tries its places beside its anchor (`candidate_boxes`);
    then, in the same order, each label still without a place tries to float
    (`far_boxes`): a floating label's `leader` crosses no label, leader or
    obstacle (but the anchor's own marker), and no label later covers a leader.
    A label that `must` be placed floats at once, before the next label is
    placed, rather than after every label has tried its near places.

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
    must
        Per label, whether it floats at once where it finds no near place (the lithium sites); none by default.

    Returns
    -------
    list
        Per label, the box it takes, or None where no place is free: that label is skipped.  Its `leader`
        (from the box) says whether it floats.
    """
    solid = np.asarray(list(obstacles), dtype=float).reshape(-1, 4)
    labels = np.empty((0, 4))
    lines = np.empty((0, 4))
    placed: list[Box | None] = [None] * len(anchors)
    urgent = list(must) if must is not None else [False] * len(anchors)

    def try_place(i: int, far: bool) -> None:
        nonlocal labels, lines
        anchor, size, gap = anchors[i], sizes[i], gaps[i]
        boxes = np.asarray(far_boxes(anchor, size, gap) if far else candidate_boxes(anchor, size, gap), dtype=float)
        ok = (
            (boxes[:, 0] >= bounds[0])
            & (boxes[:, 1] >= bounds[1])
            & (boxes[:, 2] <= bounds[2])
            & (boxes[:, 3] <= bounds[3])
        )
        ok &= ~_overlaps(boxes, np.vstack([solid, labels])).any(axis=1)
        if len(lines):
            ok &= ~_crosses_boxes(lines[:, :2], lines[:, 2:], boxes).any(axis=0)
        ties: list[Segment | None] = [None] * len(boxes)
        if far:
            ties = [leader(anchor, (box[0], box[1], box[2], box[3]), gap) for box in boxes]
            starts = np.asarray([t[0] if t else anchor for t in ties], dtype=float)
            ends = np.asarray([t[1] if t else anchor for t in ties], dtype=float)
            own = (
                (solid[:, 0] <= anchor[0])
                & (anchor[0] <= solid[:, 2])
                & (solid[:, 1] <= anchor[1])
                & (anchor[1] <= solid[:, 3])
            )
            ok &= ~_crosses_boxes(starts, ends, np.vstack([solid[~own], labels])).any(axis=1)
            if len(lines):
                ok &= ~_segments_cross(starts, ends, lines).any(axis=1)
        hits = np.flatnonzero(ok)
        if not len(hits):
            return
        k = int(hits[0])
        box = (float(boxes[k, 0]), float(boxes[k, 1]), float(boxes[k, 2]), float(boxes[k, 3]))
        placed[i] = box
        labels = np.vstack([labels, boxes[k : k + 1]])
        tie = ties[k]
        if tie is not None:
            lines = np.vstack([lines, [[tie[0][0], tie[0][1], tie[1][0], tie[1][1]]]])

    for i in range(len(anchors)):
        try_place(i, far=False)
        if placed[i] is None and urgent[i]:
            try_place(i, far=True)
    for i in range(len(anchors)):
        if placed[i] is None and not urgent[i]:
            try_place(i, far=True)
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
