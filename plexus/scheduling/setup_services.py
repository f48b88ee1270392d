"""Writes for availability setup: weekly hours, exceptions (time off, extra hours), closures, and
practitioners' secret iCalendar feed tokens. No patient data here, so no patient audit entries."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, from_django_validation, validation_error
from plexus.core.models import AuditAction, Location, Practitioner
from plexus.scheduling.models import AvailabilityException, CalendarFeed, Closure, ExceptionKind, WorkingHours


def _get(model, pk: int | None, field: str, *, required: bool = True):
    if pk is None and not required:
        return None
    obj = model.objects.filter(pk=pk).first() if pk is not None else None
    if obj is None:
        raise validation_error([FieldError(field, f"Unknown {model._meta.verbose_name} {pk}.")])
    return obj


def _save(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise validation_error(from_django_validation(exc)) from exc
    obj.save()


@transaction.atomic
def working_hours_create(*, actor: Actor, practitioner_id: int, location_id: int, weekday: int, start_time: time,
                         end_time: time) -> WorkingHours:
    """Add weekly local hours. 422 when start >= end, the weekday is not 0-6, the practitioner does not
    work at the location, or the hours overlap hours the practitioner already has that weekday."""
    prac = _get(Practitioner, practitioner_id, "practitioner_id")
    loc = _get(Location, location_id, "location_id")
    errors = []
    if not 0 <= weekday <= 6:
        errors.append(FieldError("weekday", "Use 0 (Monday) to 6 (Sunday)."))
    if start_time >= end_time:
        errors.append(FieldError("end_time", "The end must be after the start."))
    if not prac.locations.filter(pk=loc.pk).exists():
        errors.append(FieldError("location_id", f"{prac} does not work at {loc}."))
    if not errors and WorkingHours.objects.filter(practitioner=prac, weekday=weekday, start_time__lt=end_time,
                                                  end_time__gt=start_time).exists():
        errors.append(FieldError("start_time", "Overlaps hours already set for that weekday."))
    if errors:
        raise validation_error(errors)
    hours = WorkingHours(practitioner=prac, location=loc, weekday=weekday, start_time=start_time, end_time=end_time)
    _save(hours)
    record(actor, AuditAction.CREATE, "working_hours", hours.pk, changed_fields=["weekday", "start_time", "end_time"])
    return hours


@transaction.atomic
def working_hours_delete(*, actor: Actor, hours_id: int) -> None:
    """Delete weekly hours (booked appointments stay; they are not moved)."""
    hours = WorkingHours.objects.filter(pk=hours_id).first()
    if hours is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No working hours {hours_id}.")
    hours.delete()
    record(actor, AuditAction.DELETE, "working_hours", hours_id)


@transaction.atomic
def availability_exception_create(*, actor: Actor, practitioner_id: int, kind: str, start: datetime, end: datetime,
                                  location_id: int | None = None, reason: str = "") -> AvailabilityException:
    """Add time off (any location) or extra hours (at ``location_id``, required). 422 for bad input."""
    prac = _get(Practitioner, practitioner_id, "practitioner_id")
    loc = _get(Location, location_id, "location_id", required=kind == ExceptionKind.EXTRA)
    errors = []
    if kind not in ExceptionKind.values:
        errors.append(FieldError("kind", f"Use one of {', '.join(ExceptionKind.values)}."))
    if start >= end:
        errors.append(FieldError("end", "The end must be after the start."))
    if errors:
        raise validation_error(errors)
    exc = AvailabilityException(practitioner=prac, location=loc, kind=kind, start=start, end=end, reason=reason)
    _save(exc)
    record(actor, AuditAction.CREATE, "availability_exception", exc.pk, changed_fields=["kind", "start", "end"])
    return exc


@transaction.atomic
def availability_exception_delete(*, actor: Actor, exception_id: int) -> None:
    exc = AvailabilityException.objects.filter(pk=exception_id).first()
    if exc is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No availability exception {exception_id}.")
    exc.delete()
    record(actor, AuditAction.DELETE, "availability_exception", exception_id)


@transaction.atomic
def closure_create(*, actor: Actor, start_date: date, end_date: date, location_id: int | None = None,
                   reason: str = "") -> Closure:
    """Close one location (or every location) for whole local days, inclusive."""
    loc = _get(Location, location_id, "location_id", required=False)
    if end_date < start_date:
        raise validation_error([FieldError("end_date", "The end date must not be before the start date.")])
    closure = Closure(location=loc, start_date=start_date, end_date=end_date, reason=reason)
    _save(closure)
    record(actor, AuditAction.CREATE, "closure", closure.pk, changed_fields=["start_date", "end_date"])
    return closure


@transaction.atomic
def closure_delete(*, actor: Actor, closure_id: int) -> None:
    closure = Closure.objects.filter(pk=closure_id).first()
    if closure is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No closure {closure_id}.")
    closure.delete()
    record(actor, AuditAction.DELETE, "closure", closure_id)


def feed_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, actor: Actor, practitioner_id: int) -> tuple[CalendarFeed, str]:
    """Create a secret feed token for a practitioner; return (feed, token). The token is shown once."""
    prac = _get(Practitioner, practitioner_id, "practitioner_id")
    token = "cal_" + secrets.token_urlsafe(24)
    feed = CalendarFeed.objects.create(practitioner=prac, token_hash=feed_hash(token), prefix=token[:12],
                                       created_by=actor.user if getattr(actor.user, "is_authenticated", False)
                                       else None)
    record(actor, AuditAction.CREATE, "calendar_feed", feed.pk)
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, actor: Actor, feed_id: int) -> CalendarFeed:
    """Revoke a feed: its URL stops working at once. Idempotent."""
    feed = CalendarFeed.objects.filter(pk=feed_id).first()
    if feed is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No calendar feed {feed_id}.")
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        record(actor, AuditAction.UPDATE, "calendar_feed", feed.pk, changed_fields=["revoked_at"])
    return feed
