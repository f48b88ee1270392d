"""Reads for practice setup and the audit log."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from plexus.core.models import ApiToken, AuditEvent, Practice, Practitioner, Room, Service


def practice() -> Practice | None:
    return Practice.objects.first()


def rooms(*, location_id: int | None = None, room_type: str | None = None) -> QuerySet[Room]:
    qs = Room.objects.select_related("location")
    if location_id:
        qs = qs.filter(location_id=location_id)
    if room_type:
        qs = qs.filter(room_type=room_type)
    return qs


def practitioners(*, discipline: str | None = None, location_id: int | None = None) -> QuerySet[Practitioner]:
    qs = Practitioner.objects.select_related("discipline", "supervising_physician").prefetch_related(
        "locations", "payers"
    )
    if discipline:
        qs = qs.filter(discipline__code=discipline)
    if location_id:
        qs = qs.filter(locations__id=location_id)
    return qs.distinct()


def services(*, coverage_category: str | None = None) -> QuerySet[Service]:
    qs = Service.objects.prefetch_related("disciplines")
    if coverage_category:
        qs = qs.filter(coverage_category=coverage_category)
    return qs


def api_tokens() -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("user")


def audit_events(
    *,
    patient_id: int | None = None,
    username: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    action: str | None = None,
) -> QuerySet[AuditEvent]:
    """Filter the audit log; naive datetimes are read in the current time zone."""
    qs = AuditEvent.objects.all()
    if patient_id:
        qs = qs.filter(patient_id=patient_id)
    if username:
        qs = qs.filter(username__iexact=username.strip())
    if start:
        qs = qs.filter(at__gte=timezone.make_aware(start) if timezone.is_naive(start) else start)
    if end:
        qs = qs.filter(at__lte=timezone.make_aware(end) if timezone.is_naive(end) else end)
    if action:
        qs = qs.filter(action=action)
    return qs
