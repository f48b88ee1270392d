"""Turn weekly local hours, exceptions, closures and busy lists into integer interval sets.

Everything works on a *window* ``[lo, hi)`` of epoch seconds so that a 90-day horizon is only
expanded as far as the search actually looks. Local wall-clock times are converted with
``zoneinfo`` per local date, so 09:00 stays 09:00 local across DST changes. A nonexistent local
time (spring-forward gap) or an ambiguous one (fall-back) resolves with ``fold=0`` (PEP 495).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from operator import attrgetter
from zoneinfo import ZoneInfo

from .intervals import EPOCH, SECOND, Span, ceil_ts, floor_ts, merge, to_datetime
from .model import Interval, WeeklyHours

_START = attrgetter("start")
_ONE_DAY = timedelta(days=1)


class LocalClock:
    """Convert local wall-clock times to epoch seconds, memoising per (zone, date, time)."""

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: dict[tuple[str, date, time], int] = {}

    def ts(self, tz: ZoneInfo, day: date, at: time) -> int:
        """Return the epoch second of local ``day`` at ``at`` in zone ``tz``."""
        key = (tz.key, day, at)
        value = self._cache.get(key)
        if value is None:
            value = floor_ts(datetime.combine(day, at, tzinfo=tz))
            self._cache[key] = value
        return value

    def local_dates(self, tz: ZoneInfo, lo: int, hi: int) -> list[date]:
        """Return every local date that overlaps ``[lo, hi)``, ascending. Require lo < hi."""
        first = to_datetime(lo).astimezone(tz).date()
        last = to_datetime(hi - 1).astimezone(tz).date()
        days = [first]
        while days[-1] < last:
            days.append(days[-1] + _ONE_DAY)
        return days

    def day_span(self, tz: ZoneInfo, day: date) -> Span:
        """Return local ``day`` from midnight to the next midnight (23 or 25 hours on DST days)."""
        return (self.ts(tz, day, time(0)), self.ts(tz, day + _ONE_DAY, time(0)))


def weekly_spans(clock: LocalClock, weekly: Sequence[WeeklyHours], tz: ZoneInfo, lo: int, hi: int) -> list[Span]:
    """Expand weekly local hours into the interval set of their instants inside ``[lo, hi)``."""
    if not weekly or lo >= hi:
        return []
    by_day: dict[int, list[WeeklyHours]] = {}
    for hours in weekly:
        by_day.setdefault(hours.weekday, []).append(hours)
    spans: list[Span] = []
    for day in clock.local_dates(tz, lo, hi):
        for hours in by_day.get(day.weekday(), ()):
            start = clock.ts(tz, day, hours.start)
            end = clock.ts(tz, day, hours.end)
            start = max(start, lo)
            end = min(end, hi)
            if start < end:
                spans.append((start, end))
    return merge(spans)


def interval_spans(intervals: Sequence[Interval], *, outward: bool) -> list[Span]:
    """Convert intervals to an interval set; round ``outward`` (busy) or inward (availability)."""
    if outward:
        return merge((floor_ts(iv.start), ceil_ts(iv.end)) for iv in intervals)
    return merge((ceil_ts(iv.start), floor_ts(iv.end)) for iv in intervals)


def closure_spans(clock: LocalClock, closures: Sequence[date | Interval], tz: ZoneInfo) -> list[Span]:
    """Convert closures (whole local dates or intervals) to an interval set."""
    spans: list[Span] = []
    for closure in closures:
        if isinstance(closure, Interval):
            spans.append((floor_ts(closure.start), ceil_ts(closure.end)))
        else:
            spans.append(clock.day_span(tz, closure))
    return merge(spans)


def window(spans: list[Span], lo: int, hi: int) -> list[Span]:
    """Return the spans of a (small) interval set that overlap ``[lo, hi)``, clipped."""
    return [(max(s, lo), min(e, hi)) for s, e in spans if s < hi and e > lo]


class BusyFeed:
    """Serve the busy spans of one resource that overlap a window.

    Converting all of 20,000 appointments to integers would cost more than the whole search, so
    only the intervals that overlap the windows actually examined are converted.
    """

    __slots__ = ("_longest", "_seq")

    def __init__(self, intervals: Sequence[Interval], longest: timedelta) -> None:
        """Wrap ``intervals`` sorted by start, none longer than ``longest`` (see ``Busy``)."""
        self._seq = intervals
        self._longest = longest

    def spans(self, lo: int, hi: int) -> list[Span]:
        """Return the busy spans overlapping ``[lo, hi)``, sorted by start (they may overlap)."""
        seq = self._seq
        if not seq or lo >= hi:
            return []
        epoch, second = EPOCH, SECOND
        lo_dt = to_datetime(lo)
        first = bisect_left(seq, lo_dt - self._longest, key=_START)
        end = bisect_left(seq, to_datetime(hi), first, key=_START)
        return [
            ((iv.start - epoch) // second, -((epoch - iv.end) // second)) for iv in seq[first:end] if iv.end > lo_dt
        ]
