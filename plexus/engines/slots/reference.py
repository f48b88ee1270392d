"""Brute-force reference for :func:`find_blocks`, for tests and the benchmark.

It shares only input validation with the engine. It walks every grid instant, every location,
every gap choice and every practitioner and room combination, checks each constraint directly on
datetimes (availability by testing membership at every boundary inside the appointment) and ranks
with the key documented in :mod:`.search`. Slow by design; use it on small instances.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .model import BlockOption, Busy, Clinic, Interval, PlacedComponent, Room, SearchRequest, WeeklyHours
from .validation import build_plan

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = timedelta(days=1)
_DT = tuple[datetime, datetime]


def _local_hours(weekly: Sequence[WeeklyHours], tz: ZoneInfo, s: datetime, e: datetime) -> list[_DT]:
    out: list[_DT] = []
    day = s.astimezone(tz).date() - _DAY
    last = e.astimezone(tz).date() + _DAY
    while day <= last:
        for h in weekly:
            if h.weekday == day.weekday():
                out.append((datetime.combine(day, h.start, tzinfo=tz), datetime.combine(day, h.end, tzinfo=tz)))
        day += _DAY
    return out


def _closures(closures: Sequence[date | Interval], tz: ZoneInfo) -> list[_DT]:
    out: list[_DT] = []
    for c in closures:
        if isinstance(c, Interval):
            out.append((c.start, c.end))
        else:
            out.append((datetime.combine(c, time(0), tzinfo=tz), datetime.combine(c + _DAY, time(0), tzinfo=tz)))
    return out


def _covered(s: datetime, e: datetime, positive: list[_DT], negative: list[_DT]) -> bool:
    """Return True when every instant of [s, e) is in some positive and in no negative span."""
    points = [s] + [x for a, b in positive + negative for x in (a, b) if s < x < e]
    return all(any(a <= x < b for a, b in positive) and not any(a <= x < b for a, b in negative) for x in points)


def _overlaps(s: datetime, e: datetime, busy: Sequence[Interval]) -> bool:
    return any(b.start < e and s < b.end for b in busy)


class _DayBuckets:
    """File each busy interval under every UTC day it touches, so overlap checks stay short."""

    def __init__(self, intervals: Sequence[Interval]) -> None:
        self.days: dict[int, list[Interval]] = {}
        for iv in intervals:
            for day in range((iv.start - _EPOCH).days, (iv.end - _EPOCH).days + 1):
                self.days.setdefault(day, []).append(iv)

    def overlaps(self, s: datetime, e: datetime) -> bool:
        """Return True when some interval meets [s, e)."""
        return any(_overlaps(s, e, self.days.get(day, ())) for day in range((s - _EPOCH).days, (e - _EPOCH).days + 1))


def _clash(ids: Sequence[int], occ: Sequence[_DT]) -> bool:
    return any(
        ids[i] == ids[j] and occ[i][0] < occ[j][1] and occ[j][0] < occ[i][1]
        for i in range(len(ids))
        for j in range(i + 1, len(ids))
    )


def find_blocks_reference(request: SearchRequest, clinic: Clinic, busy: Busy) -> tuple[BlockOption, ...]:
    """Return what :func:`find_blocks` returns, by exhaustive enumeration. Raise the same errors."""
    build_plan(request, clinic)
    prefs = request.preferences
    comps = request.components
    step = request.granularity
    locations = sorted(
        (loc for loc in clinic.locations if prefs.location_id in (None, loc.location_id)),
        key=lambda loc: loc.location_id,
    )
    zones = {loc.location_id: ZoneInfo(loc.tz) for loc in locations}
    memo: dict[tuple[object, ...], bool] = {}
    buckets: dict[tuple[str, int], _DayBuckets] = {}

    def busy_of(kind: str, rid: int) -> _DayBuckets:
        if (kind, rid) not in buckets:
            source = busy.practitioner_busy if kind == "p" else busy.room_busy
            buckets[(kind, rid)] = _DayBuckets(source.get(rid, ()))
        return buckets[(kind, rid)]

    def practitioner_ok(pid: int, loc_id: int, s: datetime, e: datetime, buf: timedelta) -> bool:
        key = ("p", pid, loc_id, s, e, buf)
        if key not in memo:
            tz = zones[loc_id]
            loc = next(x for x in locations if x.location_id == loc_id)
            cal = next(c for c in clinic.calendars if c.practitioner_id == pid and c.location_id == loc_id)
            positive = _local_hours(cal.weekly, tz, s, e) + [(x.start, x.end) for x in cal.extra]
            negative = [
                (x.start, x.end) for c in clinic.calendars if c.practitioner_id == pid for x in c.time_off
            ] + _closures(loc.closures, tz)
            memo[key] = _covered(s, e, positive, negative) and not busy_of("p", pid).overlaps(s, e + buf)
        return memo[key]

    def room_ok(room: Room, s: datetime, e: datetime, turnover: timedelta) -> bool:
        key = ("r", room.room_id, s, e, turnover)
        if key not in memo:
            tz = zones[room.location_id]
            loc = next(x for x in locations if x.location_id == room.location_id)
            positive = [(s, e)] if room.weekly is None else _local_hours(room.weekly, tz, s, e)
            negative = [(x.start, x.end) for x in room.closures] + _closures(loc.closures, tz)
            memo[key] = _covered(s, e, positive, negative) and not busy_of("r", room.room_id).overlaps(s, e + turnover)
        return memo[key]

    qualified = {
        (i, loc.location_id): sorted(
            {
                c.practitioner_id
                for c in clinic.calendars
                if c.location_id == loc.location_id
                and (comp.practitioner_id is None or c.practitioner_id == comp.practitioner_id)
                and (not comp.allowed_disciplines or c.discipline in comp.allowed_disciplines)
            }
        )
        for i, comp in enumerate(comps)
        for loc in locations
    }
    typed = {
        (i, loc.location_id): sorted(
            (r for r in clinic.rooms if r.location_id == loc.location_id and r.room_type == comp.room_type),
            key=lambda r: r.room_id,
        )
        for i, comp in enumerate(comps)
        for loc in locations
    }

    gap_choices: list[list[timedelta | None]] = [[None]]
    for comp in comps[1:]:
        if comp.concurrent_with is not None:
            gap_choices.append([None])
        else:
            options: list[timedelta | None] = []
            gap = comp.min_gap
            while gap <= comp.max_gap:
                options.append(gap)
                gap += step
            gap_choices.append(options)

    first = max(request.range_start, request.now)
    t = _EPOCH + -((_EPOCH - first) // step) * step
    results: list[BlockOption] = []
    while t < request.range_end and len(results) < request.limit:
        best: tuple[tuple[object, ...], BlockOption] | None = None
        for loc in locations:
            tz = zones[loc.location_id]
            local = t.astimezone(tz)
            if prefs.weekdays is not None and local.weekday() not in prefs.weekdays:
                continue
            if prefs.earliest_time is not None and t < datetime.combine(local.date(), prefs.earliest_time, tzinfo=tz):
                continue
            end_limit = request.range_end
            if prefs.latest_time is not None:
                end_limit = min(end_limit, datetime.combine(local.date(), prefs.latest_time, tzinfo=tz))
            # A necessary condition, checked once per start: component 0 fits some practitioner and room.
            first, e0 = comps[0], t + comps[0].duration
            if not any(
                practitioner_ok(p, loc.location_id, t, e0, first.buffer_after) for p in qualified[(0, loc.location_id)]
            ) or not any(room_ok(r, t, e0, first.room_turnover) for r in typed[(0, loc.location_id)]):
                continue
            for gaps in itertools.product(*gap_choices):
                starts: list[datetime] = []
                ends: list[datetime] = []
                wait = timedelta(0)
                for i, comp in enumerate(comps):
                    if i == 0:
                        s = t
                    elif comp.concurrent_with is not None:
                        s = starts[comp.concurrent_with]
                    else:
                        gap = gaps[i]
                        assert gap is not None
                        s = max(ends) + gap
                        wait += gap
                    starts.append(s)
                    ends.append(s + comp.duration)
                if max(ends) > end_limit:
                    continue
                if any(_overlaps(s, e, busy.patient_busy) for s, e in zip(starts, ends, strict=True)):
                    continue
                pracs = [
                    [
                        p
                        for p in qualified[(i, loc.location_id)]
                        if practitioner_ok(p, loc.location_id, starts[i], ends[i], comp.buffer_after)
                    ]
                    for i, comp in enumerate(comps)
                ]
                rooms = [
                    [
                        r.room_id
                        for r in typed[(i, loc.location_id)]
                        if room_ok(r, starts[i], ends[i], comp.room_turnover)
                    ]
                    for i, comp in enumerate(comps)
                ]
                p_occ = [(s, e + c.buffer_after) for s, e, c in zip(starts, ends, comps, strict=True)]
                r_occ = [(s, e + c.room_turnover) for s, e, c in zip(starts, ends, comps, strict=True)]
                p_best = min(
                    (
                        (-sum(p in prefs.preferred_practitioners for p in combo), combo)
                        for combo in itertools.product(*pracs)
                        if not _clash(combo, p_occ)
                    ),
                    default=None,
                )
                r_best = min((combo for combo in itertools.product(*rooms) if not _clash(combo, r_occ)), default=None)
                if p_best is None or r_best is None:
                    continue
                key = (wait, p_best[0], loc.location_id, tuple(starts), p_best[1], r_best)
                if best is None or key < best[0]:
                    placed = tuple(
                        PlacedComponent(i, comp.service_id, p_best[1][i], r_best[i], starts[i], ends[i])
                        for i, comp in enumerate(comps)
                    )
                    option = BlockOption(t, max(ends), loc.location_id, placed, wait, -p_best[0])
                    best = (key, option)
        if best is not None:
            results.append(best[1])
        t += step
    return tuple(results)
