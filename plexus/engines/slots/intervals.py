"""Integer interval-set arithmetic for the engine's hot path.

Instants are whole seconds since the Unix epoch (UTC). A *span* is a half-open ``(start, end)``
pair of ints; an *interval set* is a list of spans sorted by start, disjoint and non-adjacent
(``merge`` produces one). Operations take and return interval sets.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

Span = tuple[int, int]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def floor_ts(value: datetime) -> int:
    """Return the aware ``value`` as whole epoch seconds, rounded down."""
    return (value - EPOCH) // SECOND


def ceil_ts(value: datetime) -> int:
    """Return the aware ``value`` as whole epoch seconds, rounded up."""
    return -((EPOCH - value) // SECOND)


def to_datetime(ts: int) -> datetime:
    """Return epoch seconds ``ts`` as an aware UTC datetime."""
    return EPOCH + timedelta(seconds=ts)


def seconds(value: timedelta) -> int:
    """Return ``value`` in whole seconds (fractions are dropped)."""
    return value // SECOND


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sort ``spans`` and merge overlapping or touching ones; drop empty spans."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def union(a: list[Span], b: list[Span]) -> list[Span]:
    """Return the union of two interval sets."""
    if not a:
        return b
    if not b:
        return a
    return merge(a + b)


def intersect(a: list[Span], b: list[Span]) -> list[Span]:
    """Return the intersection of two interval sets."""
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        a0, a1 = a[i]
        b0, b1 = b[j]
        lo = a0 if a0 > b0 else b0
        hi = a1 if a1 < b1 else b1
        if lo < hi:
            out.append((lo, hi))
        if a1 < b1:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Span], b: list[Span]) -> list[Span]:
    """Return ``a`` minus ``b``; ``b`` may be any sorted list of spans (overlaps allowed)."""
    if not b:
        return a
    out: list[Span] = []
    j = 0
    nb = len(b)
    for start, end in a:
        cur = start
        while j < nb and b[j][1] <= cur:
            j += 1
        k = j
        while k < nb and b[k][0] < end:
            b0, b1 = b[k]
            if b0 > cur:
                out.append((cur, b0))
            if b1 > cur:
                cur = b1
            if cur >= end:
                break
            k += 1
        if cur < end:
            out.append((cur, end))
    return out


def complement(busy: list[Span], lo: int, hi: int) -> list[Span]:
    """Return the free parts of ``[lo, hi)`` outside ``busy`` (a sorted list, overlaps allowed)."""
    return subtract([(lo, hi)], busy) if lo < hi else []


def clip(a: list[Span], lo: int, hi: int) -> list[Span]:
    """Return ``a`` restricted to ``[lo, hi)``."""
    return intersect(a, [(lo, hi)]) if lo < hi else []


def erode(a: list[Span], length: int) -> list[Span]:
    """Return the start instants ``s`` with ``[s, s + length)`` inside ``a``. Require length >= 1."""
    return [(s, e - length + 1) for s, e in a if e - s >= length]


def backshift(a: list[Span], lo: int, hi: int) -> list[Span]:
    """Return the instants ``t`` with some ``x`` in ``a`` and ``t + lo <= x <= t + hi``. Require lo <= hi."""
    return merge((s - hi, e - lo) for s, e in a)


def grid_points(a: list[Span], step: int) -> Iterator[int]:
    """Yield the multiples of ``step`` inside ``a``, ascending."""
    for s, e in a:
        t = -(-s // step) * step
        while t < e:
            yield t
            t += step


class SpanIndex:
    """Answer "is instant x in this interval set?" in O(log n)."""

    __slots__ = ("ends", "starts")

    def __init__(self, spans: list[Span]) -> None:
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def __contains__(self, x: int) -> bool:
        i = bisect_right(self.starts, x) - 1
        return i >= 0 and x < self.ends[i]

    def __bool__(self) -> bool:
        return bool(self.starts)
