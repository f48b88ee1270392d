"""Reads for messaging: the delivery log with filters, replies, templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.messaging.models import Channel, Kind, Message, MessageTemplate, PatientReply, ReplyAction, Status


@dataclass(frozen=True, slots=True)
class LogFilter:
    status: str = ""
    channel: str = ""
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None
    patient_id: int | None = None
    ref: str = ""


def _check(f: LogFilter) -> None:
    errors = []
    for name, choices in (("status", Status), ("channel", Channel), ("kind", Kind)):
        value = getattr(f, name)
        if value and value not in choices.values:
            errors.append(FieldError(name, f"Use one of {', '.join(choices.values)}."))
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors.append(FieldError("date_to", "The end date is before the start date."))
    if errors:
        raise validation_error(errors)


def messages_query(f: LogFilter) -> QuerySet[Message]:
    """The delivery log, newest first; dates are local days in the practice's time zone. 422 names
    the bad filter."""
    _check(f)
    qs = Message.objects.select_related("patient").order_by("-created_at", "-id")
    tz = ZoneInfo(settings.TIME_ZONE)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.date_from:
        qs = qs.filter(created_at__gte=datetime.combine(f.date_from, time(0), tzinfo=tz))
    if f.date_to:
        qs = qs.filter(created_at__lt=datetime.combine(f.date_to + timedelta(days=1), time(0), tzinfo=tz))
    if f.patient_id is not None:
        qs = qs.filter(patient_id=f.patient_id)
    if f.ref:
        qs = qs.filter(ref=f.ref)
    return qs


def get_message(message_id: int) -> Message:
    msg = Message.objects.select_related("patient").filter(pk=message_id).first()
    if msg is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No message {message_id}.")
    return msg


def replies_query(*, patient_id: int | None = None, ref: str = "") -> QuerySet[PatientReply]:
    qs = PatientReply.objects.select_related("patient").order_by("-received_at", "-id")
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if ref:
        qs = qs.filter(ref=ref)
    return qs


def open_requests() -> QuerySet[PatientReply]:
    """Patients' understood requests that need a person (asked to reschedule) and were not handled
    yet, oldest first."""
    return (PatientReply.objects.filter(action=ReplyAction.RESCHEDULE, ok=True, handled_at__isnull=True)
            .select_related("patient").order_by("received_at", "id"))


def get_template(template_id: int) -> MessageTemplate:
    tpl = MessageTemplate.objects.filter(pk=template_id).first()
    if tpl is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No template {template_id}.")
    return tpl


def status_counts(qs: QuerySet[Message]) -> dict[str, int]:
    from django.db.models import Count

    return {row["status"]: row["n"] for row in qs.order_by().values("status").annotate(n=Count("id"))}
