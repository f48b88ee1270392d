"""Interval-set arithmetic against a point-set model."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plexus.engines.slots.intervals import (
    backshift,
    complement,
    erode,
    grid_points,
    intersect,
    merge,
    subtract,
    union,
)

spans = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=6).map(
    lambda xs: [(a, b) for a, b in xs if a < b]
)


def points(s: list[tuple[int, int]]) -> set[int]:
    return {x for a, b in s for x in range(a, b)}


def test_merge_joins_overlapping_and_touching_spans() -> None:
    assert merge([(5, 7), (1, 3), (3, 4), (6, 9), (10, 10)]) == [(1, 4), (5, 9)]


def test_subtract_splits_and_handles_overlapping_subtrahends() -> None:
    assert subtract([(0, 10), (20, 30)], [(2, 4), (3, 5), (8, 22), (25, 26)]) == [(0, 2), (5, 8), (22, 25), (26, 30)]


def test_erode_keeps_starts_that_fit() -> None:
    assert erode([(0, 10), (20, 22)], 3) == [(0, 8)]  # starts 0..7 fit a length-3 span


def test_backshift_and_grid() -> None:
    assert backshift([(10, 12)], 2, 5) == [(5, 10)]  # t+2 <= x <= t+5 for x in {10, 11}
    assert list(grid_points([(1, 16), (29, 31)], 5)) == [5, 10, 15, 30]


@settings(max_examples=150, deadline=None)
@given(spans, spans)
def test_set_operations_match_point_sets(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> None:
    ma, mb = merge(a), merge(b)
    assert points(union(ma, mb)) == points(a) | points(b)
    assert points(intersect(ma, mb)) == points(a) & points(b)
    assert points(subtract(ma, sorted(b))) == points(a) - points(b)
    assert points(complement(sorted(b), 0, 60)) == set(range(60)) - points(b)
    for result in (union(ma, mb), intersect(ma, mb), subtract(ma, sorted(b))):
        assert result == merge(result)


@settings(max_examples=150, deadline=None)
@given(spans, st.integers(1, 8), st.integers(0, 5), st.integers(0, 5))
def test_erode_and_backshift_match_point_sets(a: list[tuple[int, int]], length: int, lo: int, width: int) -> None:
    ma = merge(a)
    pa = points(a)
    assert points(erode(ma, length)) == {s for s in range(-10, 70) if all(x in pa for x in range(s, s + length))}
    hi = lo + width
    assert points(backshift(ma, lo, hi)) == {t for t in range(-20, 70) if any(t + lo <= x <= t + hi for x in pa)}
