"""Label placement: candidates, greedy placement and the choice of a corner, on boxes checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from geo import labels
from geo.geometry import Box

MAP: Box = (0.0, 0.0, 100.0, 100.0)


def test_candidates_go_round_the_anchor_best_first() -> None:
    boxes = labels.candidate_boxes((0.0, 0.0), (4.0, 2.0), 1.0)
    assert len(boxes) == 16
    expected = [
        (1.0, -1.0, 5.0, 1.0),  # right, centred on the anchor
        (0.8, 0.8, 4.8, 2.8),  # upper right: 0.8 of the gap off on both axes
        (0.8, -2.8, 4.8, -0.8),  # lower right
        (-5.0, -1.0, -1.0, 1.0),  # left
        (-4.8, 0.8, -0.8, 2.8),  # upper left
        (-4.8, -2.8, -0.8, -0.8),  # lower left
        (-2.0, 1.0, 2.0, 3.0),  # above
        (-2.0, -3.0, 2.0, -1.0),  # below
    ]
    for box, want in zip(boxes[:8], expected, strict=True):
        assert box == pytest.approx(want)
    assert boxes[8] == pytest.approx((2.0, -1.0, 6.0, 1.0))  # then the same at twice the gap


def test_boxes_that_only_touch_do_not_overlap() -> None:
    assert not labels.overlaps((0, 0, 1, 1), (1, 0, 2, 1))
    assert labels.overlaps((0, 0, 1, 1), (0.5, 0.5, 2, 2))
    assert labels.inside((0, 0, 100, 100), MAP)  # on the edge is inside
    assert not labels.inside((-1, 0, 10, 10), MAP)


def test_two_labels_at_one_point_take_different_places() -> None:
    boxes = labels.place_labels(
        [(50.0, 50.0), (50.0, 50.0)], [(20.0, 10.0), (20.0, 10.0)], [2.0, 2.0], obstacles=[], bounds=MAP
    )
    assert boxes[0] == (52.0, 45.0, 72.0, 55.0)  # right of the point, centred on it
    # upper and lower right (1.6 off the point on both axes) overlap the first; the left is free
    assert boxes[1] == (28.0, 45.0, 48.0, 55.0)


def test_a_label_goes_left_where_the_right_is_off_the_map() -> None:
    (box,) = labels.place_labels([(90.0, 50.0)], [(20.0, 10.0)], [2.0], obstacles=[], bounds=MAP)
    assert box == (68.0, 45.0, 88.0, 55.0)


def test_a_label_that_cannot_fit_is_skipped() -> None:
    # the map is 30 x 12: a 20-wide label fits on neither side of a point in the middle, nor above or below it
    boxes = labels.place_labels(
        [(15.0, 6.0), (5.0, 6.0)], [(20.0, 10.0), (4.0, 4.0)], [2.0, 1.0], obstacles=[], bounds=(0, 0, 30, 12)
    )
    assert boxes[0] is None
    assert boxes[1] == (6.0, 4.0, 10.0, 8.0)


def test_a_label_never_covers_an_obstacle() -> None:
    # every position around the point is blocked by one big obstacle box
    boxes = labels.place_labels([(50.0, 50.0)], [(10.0, 4.0)], [1.0], obstacles=[(20.0, 20.0, 80.0, 80.0)], bounds=MAP)
    assert boxes == [None]


def test_an_obstacle_on_the_right_sends_the_label_to_the_next_free_place() -> None:
    # a marker just right of the anchor blocks the right; upper right (anchor + 0.8 gap) is free
    (box,) = labels.place_labels([(50.0, 50.0)], [(10.0, 4.0)], [5.0], obstacles=[(54.0, 47.0, 58.0, 50.5)], bounds=MAP)
    assert box == (54.0, 54.0, 64.0, 58.0)


def test_the_label_placed_first_gets_the_best_place() -> None:
    anchors, sizes, gaps = [(50.0, 50.0), (50.0, 50.0)], [(10.0, 4.0), (30.0, 4.0)], [1.0, 1.0]
    first = labels.place_labels(anchors, sizes, gaps, obstacles=[], bounds=MAP)
    second = labels.place_labels(anchors[::-1], sizes[::-1], gaps, obstacles=[], bounds=MAP)
    assert first[0] == (51.0, 48.0, 61.0, 52.0)
    assert second[0] == (51.0, 48.0, 81.0, 52.0)  # the long label, placed first, takes the right


def _place(
    points: list[tuple[float, float]],
    weights: list[float] | None = None,
    *,
    reach: float = 0.0,
    frame: Box | None = None,
    avoid: Box | None = None,
) -> Box:
    """Place a 20 x 10 box in the 100 x 100 map, 5 in from its edges, trying bottom left, right, top left, right."""
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    w = np.asarray(weights if weights is not None else [1.0] * len(points), dtype=float)
    corners = ("bl", "br", "tl", "tr")
    return labels.place_box(
        MAP, (20.0, 10.0), xy, w, margin=5.0, corners=corners, reach=reach, frame=frame, avoid=avoid
    )


def test_a_box_goes_to_the_first_corner_when_nothing_is_there() -> None:
    assert _place([]) == (5.0, 5.0, 25.0, 15.0)  # bottom left, 5 in from the edges


def test_a_box_goes_where_it_hides_the_fewest_records() -> None:
    assert _place([(10.0, 10.0)]) == (75.0, 5.0, 95.0, 15.0)  # a record bottom left: bottom right
    # two records bottom left, a lithium site (weight 10) bottom right, one each at the top: top left
    records = [(10.0, 10.0), (12.0, 12.0), (80.0, 10.0), (10.0, 90.0), (80.0, 90.0)]
    assert _place(records, [1.0, 1.0, 10.0, 1.0, 1.0]) == (5.0, 85.0, 25.0, 95.0)


def test_a_record_within_reach_of_the_box_counts() -> None:
    assert _place([(27.0, 10.0)]) == (5.0, 5.0, 25.0, 15.0)  # 2 right of the box: free
    assert _place([(27.0, 10.0)], reach=3.0) == (75.0, 5.0, 95.0, 15.0)  # a marker of radius 3 would touch it


def test_a_box_avoids_a_place_taken_and_then_the_frame() -> None:
    assert _place([], avoid=(0.0, 0.0, 50.0, 50.0)) == (75.0, 5.0, 95.0, 15.0)
    # with no records anywhere, the corner that covers less of the frame wins
    assert _place([], frame=(0.0, 0.0, 30.0, 100.0)) == (75.0, 5.0, 95.0, 15.0)
    # every place taken: the first corner all the same
    assert _place([], avoid=(0.0, 0.0, 100.0, 100.0)) == (5.0, 5.0, 25.0, 15.0)


# --- labels that float on a leader line ------------------------------------------------------


def test_a_label_with_no_room_beside_its_marker_floats_on_a_leader() -> None:
    # the anchor's own marker (an obstacle that holds it) is 40 x 20; a 10 x 4 label with a gap of 2 finds no near
    # place, nor a far one right, left or diagonal up to 5.5 gaps; straight up at 5.5 gaps (11) it clears y = 60
    own = (30.0, 40.0, 70.0, 60.0)
    (box,) = labels.place_labels([(50.0, 50.0)], [(10.0, 4.0)], [2.0], obstacles=[own], bounds=MAP)
    assert box is not None
    assert box == pytest.approx((45.0, 61.0, 55.0, 65.0))
    tie = labels.leader((50.0, 50.0), box, 2.0)
    assert tie is not None
    assert [*tie[0], *tie[1]] == pytest.approx([50.0, 52.0, 50.0, 61.0])  # from the gap above the anchor to the box
    assert labels.leader((50.0, 50.0), (52.0, 48.0, 62.0, 52.0), 2.0) is None  # beside its marker: no line


def test_a_leader_crosses_no_other_marker_and_no_label_covers_a_leader() -> None:
    own = (30.0, 40.0, 70.0, 60.0)
    other = (48.0, 62.0, 52.0, 64.0)  # another marker right above: the straight-up line would cross it
    boxes = labels.place_labels(
        [(50.0, 50.0), (20.0, 80.0)], [(10.0, 4.0), (40.0, 4.0)], [2.0, 2.0], obstacles=[own, other], bounds=MAP
    )
    first, second = boxes
    assert first is not None
    assert second is not None
    tie = labels.leader((50.0, 50.0), first, 2.0)
    assert tie is not None
    (x0, y0), (x1, y1) = tie
    for t in np.linspace(0.0, 1.0, 201):  # no point of the line inside the other marker or the other label
        x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        for box in (other, second):
            assert not (box[0] < x < box[2] and box[1] < y < box[3]), (t, box)


def test_a_label_that_must_be_placed_floats_before_the_others_take_the_room() -> None:
    # the second label's place right of its anchor is where the first floats to, straight up at 5.5 gaps
    own = (30.0, 40.0, 70.0, 60.0)
    anchors, sizes, gaps = [(50.0, 50.0), (50.0, 63.0)], [(10.0, 4.0), (10.0, 4.0)], [2.0, 2.0]
    polite = labels.place_labels(anchors, sizes, gaps, obstacles=[own], bounds=MAP)
    assert polite[1] == (52.0, 61.0, 62.0, 65.0)  # placed first, beside its anchor
    assert polite[0] == pytest.approx((45.0, 35.0, 55.0, 39.0))  # then the first floats down (up is taken)
    urgent = labels.place_labels(anchors, sizes, gaps, obstacles=[own], bounds=MAP, must=[True, False])
    assert urgent[0] is not None
    assert urgent[0] == pytest.approx((45.0, 61.0, 55.0, 65.0))  # the first floats at once
    assert urgent[1] is not None
    assert not labels.overlaps(urgent[0], urgent[1])
