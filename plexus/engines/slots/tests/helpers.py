"""Builders for small clinics used by the slot engine tests (fixed dates, never today)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from plexus.engines.slots import (
    ComponentRequest,
    Interval,
    PractitionerCalendar,
    Preferences,
    SearchRequest,
    WeeklyHours,
)

NY = ZoneInfo("America/New_York")
MIN = timedelta(minutes=1)


def ny(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """Return a New York wall-clock instant."""
    return datetime(y, mo, d, h, mi, tzinfo=NY)


def weekdays(start: time = time(9), end: time = time(17), days: range = range(5)) -> tuple[WeeklyHours, ...]:
    """Return the same hours on each of ``days`` (default Monday to Friday)."""
    return tuple(WeeklyHours(d, start, end) for d in days)


def cal(pid: int, discipline: str, loc: int = 1, **kw: object) -> PractitionerCalendar:
    """Return a practitioner calendar, 09:00-17:00 Monday-Friday unless ``weekly`` is given."""
    kw.setdefault("weekly", weekdays())
    return PractitionerCalendar(pid, discipline, loc, **kw)  # type: ignore[arg-type]


def comp(service: int, minutes: int, room_type: str, *disciplines: str, **kw: object) -> ComponentRequest:
    """Return a component needing ``minutes`` in a ``room_type`` room by one of ``disciplines``."""
    return ComponentRequest(
        service,
        timedelta(minutes=minutes),
        room_type,
        frozenset(disciplines),
        **kw,  # type: ignore[arg-type]
    )


def iv(start: datetime, end: datetime) -> Interval:
    """Return an interval."""
    return Interval(start, end)


def request(
    components: tuple[ComponentRequest, ...],
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
    limit: int = 5,
    step: int = 15,
    prefs: Preferences | None = None,
) -> SearchRequest:
    """Return a request; ``now`` defaults to the range start."""
    return SearchRequest(
        components=components,
        range_start=start,
        range_end=end,
        now=now or start,
        limit=limit,
        granularity=timedelta(minutes=step),
        preferences=prefs or Preferences(),
    )


def local_times(blocks: object, tz: ZoneInfo = NY) -> list[str]:
    """Return block starts as 'YYYY-MM-DD HH:MM' local strings."""
    return [b.start.astimezone(tz).strftime("%Y-%m-%d %H:%M") for b in blocks]  # type: ignore[attr-defined]


__all__ = ["MIN", "NY", "cal", "comp", "date", "iv", "local_times", "ny", "request", "weekdays"]
