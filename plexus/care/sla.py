"""Acknowledgement deadlines. Urgent: N hours. Routine: N business days (Monday to Friday) in the
practice's local time, keeping the local time of day (Friday 15:00 + 2 business days = Tuesday
15:00; Saturday 10:00 + 2 = Tuesday 10:00)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from plexus.care.models import CareSettings, Urgency
from plexus.core.models import Location


def care_settings() -> CareSettings:
    """The practice's care settings row (created with defaults on first use)."""
    row = CareSettings.objects.order_by("pk").first()
    return row if row is not None else CareSettings.objects.create()


def practice_zone() -> ZoneInfo:
    """The first active location's time zone (business days are counted there)."""
    loc = Location.objects.filter(is_active=True).order_by("pk").first()
    return ZoneInfo(loc.time_zone if loc else "UTC")


def add_business_days(start: datetime, days: int, tz: ZoneInfo) -> datetime:
    """Return start plus ``days`` Monday-to-Friday days in tz, same local time. Require aware start."""
    local = start.astimezone(tz)
    day, added = local.date(), 0
    while added < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    naive = datetime.combine(day, local.time().replace(tzinfo=None))
    return naive.replace(tzinfo=tz).astimezone(start.tzinfo)


def due_at(start: datetime, urgency: str, settings: CareSettings | None = None,
           tz: ZoneInfo | None = None) -> datetime:
    """The acknowledgement deadline of an update created at start."""
    settings = settings or care_settings()
    if urgency == Urgency.URGENT:
        return start + timedelta(hours=settings.urgent_ack_hours)
    return add_business_days(start, settings.routine_ack_business_days, tz or practice_zone())


def lead_escalation_at(due: datetime, urgency: str, settings: CareSettings | None = None,
                       tz: ZoneInfo | None = None) -> datetime:
    """When an update still unacknowledged goes to the lead physician: one more urgent period, or
    one more business day for routine updates."""
    settings = settings or care_settings()
    if urgency == Urgency.URGENT:
        return due + timedelta(hours=settings.urgent_ack_hours)
    return add_business_days(due, 1, tz or practice_zone())
