"""Care-team check-ins (internal case conferences).

Finding a time: the slot engine (plexus/engines/slots) is asked for one "visit" whose components
are the members, all concurrent, each with a named practitioner. Each member sits in a virtual
seat (a room of its own type that is always open), so only the members' hours, time off and
appointments decide. Booking holds the time on every member's calendar as a time-off entry, so
patient bookings avoid it; cancelling releases it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from plexus.care.models import ActionItem, CheckIn, CheckInStatus
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Location, Practitioner
from plexus.engines import slots
from plexus.patients.models import Patient
from plexus.scheduling.models import ACTIVE_VALUES, Appointment, AvailabilityException, ExceptionKind
from plexus.scheduling.selectors import engine_error, load_busy, load_clinic

MAX_MEMBERS = 12
MAX_HORIZON_DAYS = 60


@dataclass(frozen=True)
class TimeOption:
    start: datetime
    end: datetime
    location_id: int


def _members(member_ids: list[int]) -> list[Practitioner]:
    ids = list(dict.fromkeys(int(i) for i in member_ids or []))
    if len(ids) < 2:
        raise validation_error([FieldError("member_ids", "Choose at least two team members.")])
    if len(ids) > MAX_MEMBERS:
        raise validation_error([FieldError("member_ids", f"At most {MAX_MEMBERS} members.")])
    found = {p.pk: p for p in Practitioner.objects.filter(pk__in=ids, is_active=True)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise validation_error([FieldError("member_ids", f"Unknown practitioner(s): {missing}.")])
    return [found[i] for i in ids]


def find_times(*, member_ids: list[int], duration_minutes: int, start: date, end: date, now: datetime,
               location_id: int | None = None, limit: int = 5) -> list[TimeOption]:
    """The earliest times in ``[start, end]`` (local dates) when every member works at one
    location and is free. 422 naming the field for bad input."""
    members = _members(member_ids)
    errors = []
    if not 15 <= duration_minutes <= 240:
        errors.append(FieldError("duration_minutes", "A check-in lasts 15 to 240 minutes."))
    if end < start:
        errors.append(FieldError("end", "The end date is before the start date."))
    elif (end - start).days > MAX_HORIZON_DAYS:
        errors.append(FieldError("end", f"Search at most {MAX_HORIZON_DAYS} days."))
    if location_id is not None and not Location.objects.filter(pk=location_id, is_active=True).exists():
        errors.append(FieldError("location_id", f"Unknown location {location_id}."))
    if errors:
        raise validation_error(errors)
    ids = [p.pk for p in members]
    base = load_clinic(practitioner_ids=set(ids), room_types=set(), location_ids=[location_id] if location_id else None)
    working = {c.practitioner_id for c in base.calendars}
    idle = [str(p) for p in members if p.pk not in working]
    if idle:
        raise validation_error([FieldError("member_ids", f"No working hours on file{' here' if location_id else ''} "
                                                         f"for: {', '.join(idle)}.")])
    seats = tuple(slots.Room(-(1000 * loc.location_id + i + 1), loc.location_id, f"seat-{i}")
                  for loc in base.locations for i in range(len(ids)))
    clinic = slots.Clinic(base.locations, base.calendars, seats)
    zones = {loc.location_id: loc.tz for loc in base.locations}
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(next(iter(zones.values()), "UTC"))
    range_start = max(datetime.combine(start, datetime.min.time(), tzinfo=tz), now)
    range_end = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    if range_end <= range_start:
        raise validation_error([FieldError("end", "The search range is in the past.")])
    duration = timedelta(minutes=duration_minutes)
    comps = tuple(slots.ComponentRequest(service_id=0, duration=duration, room_type=f"seat-{i}", practitioner_id=pid,
                                         concurrent_with=0 if i else None) for i, pid in enumerate(ids))
    request = slots.SearchRequest(components=comps, range_start=range_start, range_end=range_end, now=now,
                                  limit=limit, granularity=timedelta(minutes=15),
                                  preferences=slots.Preferences(location_id=location_id))
    busy = load_busy(start=range_start, end=range_end, practitioner_ids=ids, room_ids=[])
    try:
        options = slots.find_blocks(request, clinic, busy)
    except slots.SlotSearchError as exc:
        raise engine_error(exc) from exc
    return [TimeOption(o.start, o.end, o.location_id) for o in options]


def _conflicts(members: list[Practitioner], start: datetime, end: datetime) -> list[str]:
    out = []
    for p in members:
        if Appointment.objects.filter(practitioner=p, status__in=ACTIVE_VALUES, start__lt=end,
                                      practitioner_until__gt=start).exists():
            out.append(f"{p} has an appointment then")
        elif AvailabilityException.objects.filter(practitioner=p, kind=ExceptionKind.TIME_OFF, start__lt=end,
                                                  end__gt=start).exists():
            out.append(f"{p} is away or in another check-in then")
    return out


@transaction.atomic
def checkin_schedule(*, actor: Actor, title: str, member_ids: list[int], start: datetime, duration_minutes: int,
                     location_id: int, patient_ids: list[int] | None = None,
                     now: datetime | None = None) -> CheckIn:
    """Book a check-in at ``start`` (normally one of find_times' answers) and hold the time on each
    member's calendar. 409 naming the member when someone is no longer free; nothing saved."""
    now = now or timezone.now()
    members = _members(member_ids)
    errors = []
    title = (title or "").strip()
    if not title:
        errors.append(FieldError("title", "Give the check-in a title."))
    location = Location.objects.filter(pk=location_id, is_active=True).first()
    if location is None:
        errors.append(FieldError("location_id", f"Unknown location {location_id}."))
    if start is None or start.tzinfo is None:
        errors.append(FieldError("start", "Give an aware start time."))
    elif start < now:
        errors.append(FieldError("start", "The start time is in the past."))
    if not 15 <= duration_minutes <= 240:
        errors.append(FieldError("duration_minutes", "A check-in lasts 15 to 240 minutes."))
    patients = list(Patient.objects.filter(pk__in=patient_ids or []))
    if len(patients) != len(set(patient_ids or [])):
        errors.append(FieldError("patient_ids", "Unknown patient on the agenda."))
    if errors:
        raise validation_error(errors)
    end = start + timedelta(minutes=duration_minutes)
    # Lock the members' rows so two check-ins booked at once cannot both take the same time.
    list(Practitioner.objects.select_for_update().filter(pk__in=[p.pk for p in members]).order_by("pk"))
    clash = _conflicts(members, start, end)
    if clash:
        raise ApplicationError(ErrorCode.CONFLICT, "Not everyone is free then: " + "; ".join(clash) + ".",
                               [FieldError("member_ids", c) for c in clash])
    checkin = CheckIn.objects.create(title=title[:200], location=location, start=start, end=end, created_at=now,
                                     created_by=actor.user if actor.user else None)
    checkin.members.set(members)
    checkin.patients.set(patients)
    held = [AvailabilityException.objects.create(practitioner=p, kind=ExceptionKind.TIME_OFF, start=start, end=end,
                                                 reason=f"Care-team check-in: {title}"[:200]).pk for p in members]
    checkin.held_exception_ids = held
    checkin.save(update_fields=["held_exception_ids"])
    record(actor, AuditAction.CREATE, "care.checkin", checkin.pk, changed_fields=["members", "start", "patients"])
    return checkin


@transaction.atomic
def checkin_cancel(*, actor: Actor, checkin_id: int) -> CheckIn:
    checkin = CheckIn.objects.select_for_update().filter(pk=checkin_id).first()
    if checkin is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No check-in {checkin_id}.")
    if checkin.status != CheckInStatus.SCHEDULED:
        raise ApplicationError(ErrorCode.CONFLICT, f"This check-in is {checkin.get_status_display().lower()}.")
    AvailabilityException.objects.filter(pk__in=checkin.held_exception_ids).delete()
    checkin.status, checkin.held_exception_ids = CheckInStatus.CANCELLED, []
    checkin.save(update_fields=["status", "held_exception_ids"])
    record(actor, AuditAction.UPDATE, "care.checkin", checkin.pk, changed_fields=["status"])
    return checkin


@transaction.atomic
def minutes_save(*, actor: Actor, checkin_id: int, minutes: str, actions: list[dict]) -> CheckIn:
    """Record the minutes and action items (each owned by a member); the check-in is then held.
    422 naming ``actions[i].field``; nothing saved."""
    checkin = CheckIn.objects.select_for_update().filter(pk=checkin_id).first()
    if checkin is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No check-in {checkin_id}.")
    if checkin.status == CheckInStatus.CANCELLED:
        raise ApplicationError(ErrorCode.CONFLICT, "This check-in was cancelled.")
    member_ids = set(checkin.members.values_list("pk", flat=True))
    agenda = set(checkin.patients.values_list("pk", flat=True))
    errors, rows = [], []
    if not (minutes or "").strip():
        errors.append(FieldError("minutes", "Write the minutes."))
    for i, a in enumerate(actions or []):
        text = str(a.get("text", "")).strip()
        owner = a.get("owner_id")
        if not text:
            errors.append(FieldError(f"actions[{i}].text", "Describe the action."))
        if owner not in member_ids:
            errors.append(FieldError(f"actions[{i}].owner_id", "The owner must be a member of this check-in."))
        pid = a.get("patient_id")
        if pid is not None and pid not in agenda:
            errors.append(FieldError(f"actions[{i}].patient_id", "That patient is not on this check-in's agenda."))
        due = a.get("due_on")
        if due is not None and not isinstance(due, date):
            errors.append(FieldError(f"actions[{i}].due_on", "Give a date (YYYY-MM-DD)."))
        rows.append(ActionItem(checkin=checkin, text=text[:300], owner_id=owner, patient_id=pid, due_on=due))
    if errors:
        raise validation_error(errors)
    checkin.minutes, checkin.status = minutes.strip(), CheckInStatus.HELD
    checkin.save(update_fields=["minutes", "status"])
    ActionItem.objects.bulk_create(rows)
    record(actor, AuditAction.UPDATE, "care.checkin", checkin.pk, changed_fields=["minutes", "action_items"])
    return checkin


def action_done(*, actor: Actor, item_id: int, now: datetime | None = None) -> ActionItem:
    item = ActionItem.objects.filter(pk=item_id).first()
    if item is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No action item {item_id}.")
    if item.done_at is None:
        item.done_at = now or timezone.now()
        item.save(update_fields=["done_at"])
        record(actor, AuditAction.UPDATE, "care.action_item", item.pk, changed_fields=["done_at"])
    return item
