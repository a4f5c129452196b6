"""Crossover markers and their labels on the cost chart (app/render/chart_series.py, issue 16):
crossovers at the same point merge into one marker naming every pair, labels never overlap each
other or another marker, and the most important ones are labelled first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.render.chart_series import (
    LABEL_HEIGHT_PX,
    LABEL_OFFSET_PX,
    Marker,
    label_width,
    merge_markers,
    place_labels,
)


def marker(volume: float, cost: float, pair: str, priority: int = 2, label: str = "1.6M") -> Marker:
    return Marker(volume, cost, label, pair, f"{pair}: {label}", priority)


@pytest.mark.parametrize(
    ("markers", "expected"),
    [
        # Two API options at the same price: the L4 crosses both at the same point, one marker.
        (
            [marker(1.6e6, 3000, "L4 vs GPT-5 mini"), marker(1.6e6, 3000, "L4 vs GPT-5 mini (batch)")],
            [(1.6e6, "L4 vs GPT-5 mini; L4 vs GPT-5 mini (batch)")],
        ),
        # Within SAME_POINT (0.1%) in volume and cost: still one; the most important priority is kept.
        (
            [marker(1.6e6, 3000, "a vs b", 2), marker(1.6008e6, 3001, "c vs d", 0)],
            [(1.6e6, "a vs b; c vs d")],
        ),
        # Same volume, another cost (another API line): two markers.
        ([marker(1.6e6, 3000, "a vs b"), marker(1.6e6, 30_000, "a vs c")], [(1.6e6, "a vs b"), (1.6e6, "a vs c")]),
        # The same pair twice at one point is named once.
        ([marker(5e5, 900, "a vs b"), marker(5e5, 900, "a vs b")], [(5e5, "a vs b")]),
        # 0.2% apart: two points, sorted by volume.
        ([marker(2.004e6, 10, "x vs y"), marker(2e6, 10, "a vs b")], [(2e6, "a vs b"), (2.004e6, "x vs y")]),
    ],
)
def test_crossovers_at_the_same_point_merge(markers: list[Marker], expected: list[tuple[float, str]]) -> None:
    assert [(m.requests_per_month, m.pair) for m in merge_markers(markers)] == expected


def test_a_merged_marker_keeps_the_most_important_priority() -> None:
    merged = merge_markers([marker(1e6, 5, "a vs b", 2), marker(1e6, 5, "c vs d", 1)])
    assert [m.priority for m in merged] == [1]


def test_labels_are_keyed_to_their_pair_and_fall_back_to_the_volume() -> None:
    # A 600 × 300 plot; the keyed label "L4 vs GPT-5 mini: 591k" is 22 × 6.82 = 150 px wide.
    alone = place_labels([(marker(5.91e5, 1, "L4 vs GPT-5 mini", label="591k"), 300, 150)], 600, 300)
    assert [(p.text, p.above, p.right) for p in alone] == [("L4 vs GPT-5 mini: 591k", True, False)]
    # 100 px wide: the keyed label fits on no side (150 + 6 > 100), the volume alone (4 × 6.82 = 27 px) does.
    narrow = place_labels([(marker(5.91e5, 1, "L4 vs GPT-5 mini", label="591k"), 50, 150)], 100, 300)
    assert [p.text for p in narrow] == ["591k"]


def test_two_crossovers_at_nearly_the_same_place_do_not_collide() -> None:
    # Issue 16: "591k, 1.6M and 2.5M each printed twice". Two markers 4 px apart: the first (the headline
    # pair, priority 0) takes above-left, the second goes below-right.
    first, second = marker(1.6e6, 1, "L4 vs A", 0), marker(1.61e6, 1, "L40S vs B", 2)
    placed = place_labels([(second, 304, 150), (first, 300, 150)], 600, 300)
    assert [(p.marker.pair, p.above, p.right) for p in placed] == [("L4 vs A", True, False), ("L40S vs B", False, True)]


def test_a_label_with_no_free_spot_is_left_out() -> None:
    # A plot as high as one label: nothing fits above or below a point in its middle.
    assert place_labels([(marker(1e6, 1, "a vs b"), 300, 5)], 600, LABEL_HEIGHT_PX) == []


def test_reserved_boxes_are_avoided() -> None:
    # The user's volume label holds the whole top half: the label goes below.
    placed = place_labels([(marker(1e6, 1, "a vs b"), 300, 150)], 600, 300, reserved=((0, 0, 600, 149),))
    assert [p.above for p in placed] == [False]


def box(p: object, x: float, y: float) -> tuple[float, float, float, float]:
    text, above, right = p.text, p.above, p.right  # type: ignore[attr-defined]
    width = label_width(text)
    left = x + LABEL_OFFSET_PX if right else x - LABEL_OFFSET_PX - width
    top = y - LABEL_OFFSET_PX - LABEL_HEIGHT_PX if above else y + LABEL_OFFSET_PX
    return left, top, left + width, top + LABEL_HEIGHT_PX


@given(
    st.lists(
        st.tuples(
            st.floats(0, 600), st.floats(0, 300), st.integers(0, 2), st.sampled_from(["a vs b", "long pair name vs c"])
        ),
        max_size=16,
    )
)
def test_placed_labels_never_overlap_each_other_or_another_marker(points: list[tuple[float, float, int, str]]) -> None:
    items = [(marker(1e6 + i, 1, pair, priority), x, y) for i, (x, y, priority, pair) in enumerate(points)]
    placed = place_labels(items, 600, 300)
    where = {id(m): (x, y) for m, x, y in items}
    boxes = [box(p, *where[id(p.marker)]) for p in placed]
    for i, a in enumerate(boxes):
        assert 0 <= a[0] and a[2] <= 600 and 0 <= a[1] and a[3] <= 300
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
        for m, x, y in items:
            if m is not placed[i].marker:
                dot = (x - 5, y - 5, x + 5, y + 5)
                assert not (a[0] < dot[2] and dot[0] < a[2] and a[1] < dot[3] and dot[1] < a[3])
