"""Reads for the calendar grids: the day by practitioner or by room, and one practitioner's week.

Each grid is a CSS grid of 15-minute rows between 07:00 and 19:00 local time; every appointment is
placed at a column, a start row and a row span (classes in static/css/scheduling.css: the CSP
forbids inline styles). Components of one visit block carry "i of n" and a shared outline.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from plexus.core.models import Location, Practitioner, Room
from plexus.scheduling.models import Appointment, WorkingHours
from plexus.scheduling.selectors import local_day_bounds

SLOT = 15
DAY_OPEN, DAY_CLOSE = time(7), time(19)
MAX_SPAN = 96
VIEWS = ("practitioners", "rooms")


def _rows(day: date, tz: ZoneInfo) -> tuple[datetime, int]:
    open_at = datetime.combine(day, DAY_OPEN, tzinfo=tz)
    rows = int((datetime.combine(day, DAY_CLOSE, tzinfo=tz) - open_at).total_seconds() // (SLOT * 60))
    return open_at, rows


def _times(open_at: datetime, rows: int) -> list[dict]:
    return [{"label": (open_at + timedelta(minutes=SLOT * i)).strftime("%H:%M") if i % 4 == 0 else "",
             "row": i + 2} for i in range(rows)]


def _block_sizes(block_ids: set[int]) -> Counter:
    """Components per block, counted over the whole block (not just the ones on screen: a block's
    other components may be in another column set, another day or another practitioner's week)."""
    return Counter(Appointment.objects.filter(block_id__in=block_ids).values_list("block_id", flat=True))


def _place(a: Appointment, col: int, open_at: datetime, rows: int, tz: ZoneInfo, sizes: Counter) -> dict:
    offset = int((a.start.astimezone(tz) - open_at).total_seconds() // 60)
    length = int((a.end - a.start).total_seconds() // 60)
    row = max(0, offset // SLOT) + 2
    span = max(1, -(-(length + offset % SLOT) // SLOT))
    of = sizes[a.block_id]
    return {"a": a, "col": col, "row": min(row, rows + 1), "span": min(span, MAX_SPAN), "of": of, "linked": of > 1}


def _appointments(**filters) -> list[Appointment]:
    return list(Appointment.objects.filter(**filters)
                .select_related("patient", "service", "practitioner__discipline", "room")
                .order_by("start", "position"))


def day_grid(location: Location, day: date, by: str = "practitioners") -> dict:
    """The day at a location: one column per practitioner working (or booked) that day, or one per
    active room (plus any inactive room still holding an appointment) when ``by`` is "rooms"."""
    tz = ZoneInfo(location.time_zone)
    start, end = local_day_bounds(day, location.time_zone)
    appts = _appointments(location=location, start__lt=end, end__gt=start)
    if by == "rooms":
        booked = {a.room_id for a in appts}
        columns = list(Room.objects.filter(Q(location=location, is_active=True) | Q(pk__in=booked))
                       .order_by("room_type", "name"))
        key = "room_id"
    else:
        by = "practitioners"
        working = set(WorkingHours.objects.filter(location=location, weekday=day.weekday())
                      .values_list("practitioner_id", flat=True))
        columns = list(Practitioner.objects.filter(pk__in=working | {a.practitioner_id for a in appts})
                       .select_related("discipline").order_by("discipline__name", "last_name"))
        key = "practitioner_id"
    column = {c.pk: i + 2 for i, c in enumerate(columns)}
    open_at, rows = _rows(day, tz)
    sizes = _block_sizes({a.block_id for a in appts})
    placed = [_place(a, column[getattr(a, key)], open_at, rows, tz, sizes) for a in appts]
    return {"by": by, "columns": columns, "pracs": columns if by == "practitioners" else [],
            "rooms": columns if by == "rooms" else [], "placed": placed, "times": _times(open_at, rows),
            "ncols": len(columns), "day": day, "prev": day - timedelta(days=1), "next": day + timedelta(days=1),
            "location": location}


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_grid(practitioner: Practitioner, day: date, tz_name: str) -> dict:
    """One practitioner's week (Monday to Sunday around ``day``) at every location, in ``tz_name``
    local time: seven day-columns, the practitioner's weekly hours listed per day."""
    tz = ZoneInfo(tz_name)
    monday = week_start(day)
    days = [monday + timedelta(days=i) for i in range(7)]
    start, _ = local_day_bounds(monday, tz_name)
    _, end = local_day_bounds(days[-1], tz_name)
    appts = _appointments(practitioner=practitioner, start__lt=end, end__gt=start)
    sizes = _block_sizes({a.block_id for a in appts})
    hours: dict[int, list[str]] = {}
    rows = WorkingHours.objects.filter(practitioner=practitioner).select_related("location")
    several = len({h.location_id for h in rows}) > 1
    for h in rows.order_by("weekday", "start_time"):
        where = f" {h.location.name}" if several else ""
        hours.setdefault(h.weekday, []).append(f"{h.start_time:%H:%M}–{h.end_time:%H:%M}{where}")
    placed = []
    rows = 0
    for i, d in enumerate(days):
        open_at, rows = _rows(d, tz)
        placed += [_place(a, i + 2, open_at, rows, tz, sizes) for a in appts if a.start.astimezone(tz).date() == d]
    open_at, rows = _rows(monday, tz)
    columns = [{"day": d, "hours": hours.get(d.weekday(), [])} for d in days]
    return {"practitioner": practitioner, "columns": columns, "placed": placed, "times": _times(open_at, rows),
            "ncols": 7, "day": day, "monday": monday, "prev": monday - timedelta(days=7),
            "next": monday + timedelta(days=7), "count": len([a for a in appts if a.status != "cancelled"])}
