"""Writes for visit blocks: book (all or nothing, never double booked), move, cancel, status changes.

No double booking: on PostgreSQL exclusion constraints (migration 0002) refuse overlapping active
appointments of one practitioner or room; on SQLite every write transaction starts with
BEGIN IMMEDIATE (settings), so the re-check below runs while holding the write lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Location, Practice, Practitioner, Room, Service
from plexus.patients.models import Patient
from plexus.scheduling import selectors
from plexus.scheduling.models import (
    ACTIVE_VALUES,
    Appointment,
    AppointmentEvent,
    EventAction,
    Status,
    VisitBlock,
)
from plexus.scheduling.referrals import referral_sync_status


@dataclass(frozen=True, slots=True)
class Placement:
    """One component to book: service, practitioner, room (None: any free room of the needed type), start, end
    (None: start + the service's duration)."""

    service_id: int
    practitioner_id: int
    start: datetime
    room_id: int | None = None
    end: datetime | None = None


@dataclass(slots=True)
class _Checked:
    service: Service
    practitioner: Practitioner
    room: Room | None
    start: datetime
    end: datetime

    @property
    def practitioner_until(self) -> datetime:
        return self.end + timedelta(minutes=self.service.buffer_minutes)

    @property
    def room_until(self) -> datetime:
        return self.end + timedelta(minutes=self.service.room_turnover_minutes)


def _user(actor: Actor):
    user = actor.user
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _event(actor: Actor, block: VisitBlock, action: str, appointment: Appointment | None = None, **detail) -> None:
    user = _user(actor)
    AppointmentEvent.objects.create(block=block, appointment=appointment, at=timezone.now(), user=user,
                                    username=user.username if user else f"system:{actor.via}", action=action,
                                    detail=detail)


def _check(placements: list[Placement], location_id: int | None, now: datetime,
           first_index: int = 0) -> tuple[Location, list[_Checked]]:
    """Validate placements against the catalog and hours; raise 422 naming every bad component
    (``components[first_index + i]``: one component of a block keeps its own number)."""
    if not placements:
        raise validation_error([FieldError("components", "Add at least one component.")])
    services = {s.pk: s for s in Service.objects.filter(pk__in=[p.service_id for p in placements])
                .prefetch_related("disciplines")}
    pracs = {p.pk: p for p in Practitioner.objects.filter(pk__in=[p.practitioner_id for p in placements])
             .select_related("discipline").prefetch_related("locations")}
    rooms = {r.pk: r for r in Room.objects.filter(pk__in=[p.room_id for p in placements if p.room_id])}
    if location_id is None:
        location_id = next((rooms[p.room_id].location_id for p in placements if p.room_id in rooms), None)
    location = Location.objects.filter(pk=location_id, is_active=True).first() if location_id else None
    if location is None:
        unknown = [FieldError(f"components[{i}].room_id", f"Unknown room {p.room_id}.")
                   for i, p in enumerate(placements) if p.room_id is not None and p.room_id not in rooms]
        raise validation_error(unknown or [FieldError("location_id", "Give a location or a room for the first component.")])
    errors: list[FieldError] = []
    checked: list[_Checked] = []
    for i, p in enumerate(placements):
        where = f"components[{first_index + i}]"
        service, prac, room = services.get(p.service_id), pracs.get(p.practitioner_id), rooms.get(p.room_id)
        before = len(errors)
        if service is None or not service.is_active:
            errors.append(FieldError(f"{where}.service_id", f"Unknown service {p.service_id}."))
        if prac is None or not prac.is_active:
            errors.append(FieldError(f"{where}.practitioner_id", f"Unknown practitioner {p.practitioner_id}."))
        if p.room_id is not None and room is None:
            errors.append(FieldError(f"{where}.room_id", f"Unknown room {p.room_id}."))
        if len(errors) > before:
            continue
        end = p.end or p.start + timedelta(minutes=service.duration_minutes)
        if prac.discipline_id not in {d.pk for d in service.disciplines.all()}:
            errors.append(FieldError(f"{where}.practitioner_id",
                                     f"{prac} ({prac.discipline.name}) is not qualified for {service.name}."))
        elif location not in prac.locations.all():
            errors.append(FieldError(f"{where}.practitioner_id", f"{prac} does not work at {location}."))
        if room is not None and (room.location_id != location.pk or room.room_type != service.room_type
                                 or not room.is_active):
            errors.append(FieldError(f"{where}.room_id",
                                     f"{room.name} is not an active {service.room_type} room at {location}."))
        elif room is None and not Room.objects.filter(location=location, room_type=service.room_type,
                                                      is_active=True).exists():
            errors.append(FieldError(f"{where}.room_id", f"No {service.room_type} room at {location}."))
        if end <= p.start:
            errors.append(FieldError(f"{where}.end", "The end must be after the start."))
        elif p.start < now:
            errors.append(FieldError(f"{where}.start", "The start is in the past."))
        elif len(errors) == before and not selectors.is_available(
                practitioner_id=prac.pk, location=location, start=p.start, end=end):
            errors.append(FieldError(f"{where}.start", f"Outside {prac}'s hours at {location}."))
        checked.append(_Checked(service, prac, room, p.start, end))
    if errors:
        raise validation_error(errors)
    return location, checked


def _conflict(i: int, c: _Checked, what: str) -> ApplicationError:
    return ApplicationError(
        ErrorCode.CONFLICT, f"Component {i + 1} ({c.service.name}) conflicts with {what}; nothing was booked.",
        [FieldError(f"components[{i}]", f"{c.service.name}: conflicts with {what}.")],
    )


def _lock_resources(checked: list[_Checked], patient: Patient, location: Location) -> None:
    """On PostgreSQL, take transaction-scoped advisory locks on every practitioner, room (every
    candidate room when none is named) and the patient, in one global order, so racing bookings of
    the same resources queue up and see each other in the re-check instead of deadlocking on the
    exclusion constraints. On SQLite, BEGIN IMMEDIATE already serialises writers."""
    if connection.vendor != "postgresql":
        return
    keys = {(1, c.practitioner.pk) for c in checked} | {(3, patient.pk)}
    for c in checked:
        if c.room is not None:
            keys.add((2, c.room.pk))
        else:
            keys.update((2, pk) for pk in Room.objects.filter(location=location, room_type=c.service.room_type,
                                                              is_active=True).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        for namespace, key in sorted(keys):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [namespace, key % 2**31])


def _place(checked: list[_Checked], patient: Patient, location: Location, exclude_block: int | None, *,
           exclude_appointment: int | None = None, first_index: int = 0,
           patient_overlap_ok: set[int] | frozenset[int] = frozenset()) -> None:
    """Re-check conflicts inside the write transaction; pick free rooms where none was named; 409 on conflict
    (naming ``components[first_index + i]``). The excluded block's or appointment's own time does not count."""
    _lock_resources(checked, patient, location)
    active = Appointment.objects.filter(status__in=ACTIVE_VALUES)
    if exclude_block is not None:
        active = active.exclude(block_id=exclude_block)
    if exclude_appointment is not None:
        active = active.exclude(pk=exclude_appointment)
    for n, c in enumerate(checked):
        i = first_index + n
        if active.filter(practitioner=c.practitioner, start__lt=c.practitioner_until,
                         practitioner_until__gt=c.start).exists():
            raise _conflict(i, c, f"another appointment of {c.practitioner}")
        if active.filter(patient=patient, start__lt=c.end, end__gt=c.start).exclude(pk__in=patient_overlap_ok).exists():
            raise _conflict(i, c, "another appointment of the patient")
        for j, other in enumerate(checked[:n]):
            same_prac = other.practitioner.pk == c.practitioner.pk
            if same_prac and other.start < c.practitioner_until and c.start < other.practitioner_until:
                raise _conflict(i, c, f"component {j + 1} of the same visit")
        if c.room is None:
            taken = [o.room.pk for o in checked[:n] if o.start < c.room_until and c.start < o.room_until]
            busy = active.filter(start__lt=c.room_until, room_until__gt=c.start).values("room_id")
            c.room = (Room.objects.filter(location=location, room_type=c.service.room_type, is_active=True)
                      .exclude(pk__in=busy).exclude(pk__in=taken).order_by("name").first())
            if c.room is None:
                raise _conflict(i, c, f"every {c.service.room_type} room being taken")
            continue
        if active.filter(room=c.room, start__lt=c.room_until, room_until__gt=c.start).exists():
            raise _conflict(i, c, f"another appointment in {c.room.name}")
        for j, other in enumerate(checked[:n]):
            if other.room.pk == c.room.pk and other.start < c.room_until and c.start < other.room_until:
                raise _conflict(i, c, f"component {j + 1} of the same visit (room {c.room.name})")


def _save(appt: Appointment, i: int, c: _Checked) -> None:
    """Save one appointment; the PostgreSQL exclusion constraints turn a racing booking into a 409."""
    try:
        with transaction.atomic():
            appt.save()
    except IntegrityError as exc:
        raise _conflict(i, c, "an appointment booked at the same moment") from exc
    except OperationalError as exc:  # PostgreSQL deadlock between racing conflicting bookings
        if getattr(exc.__cause__, "sqlstate", None) != "40P01":
            raise
        raise _conflict(i, c, "an appointment booked at the same moment") from exc


@transaction.atomic
def visit_block_book(*, actor: Actor, patient: Patient, components: list[Placement], location_id: int | None = None,
                     note: str = "", now: datetime | None = None) -> VisitBlock:
    """Book every component or none. 422 for bad input (naming ``components[i].field``); 409 when a
    component conflicts with an active appointment of its practitioner, room or the patient."""
    now = now or timezone.now()
    location, checked = _check(components, location_id, now)
    _place(checked, patient, location, None)
    block = VisitBlock.objects.create(patient=patient, location=location, start=min(c.start for c in checked),
                                      end=max(c.end for c in checked), note=note[:300], created_by=_user(actor))
    for i, c in enumerate(checked):
        _save(Appointment(block=block, position=i, patient=patient, service=c.service, practitioner=c.practitioner,
                          room=c.room, location=location, start=c.start, end=c.end,
                          practitioner_until=c.practitioner_until, room_until=c.room_until), i, c)
    _event(actor, block, EventAction.BOOKED, components=len(checked))
    record(actor, AuditAction.CREATE, "visit_block", block.pk, patient_id=patient.pk,
           changed_fields=["service", "practitioner", "room", "start", "end"])
    return block


def rollup(statuses: list[str]) -> str:
    """Return a block's status from its components' statuses."""
    live = [s for s in statuses if s != Status.CANCELLED]
    if not live:
        return Status.CANCELLED
    for status in (Status.IN_ROOM, Status.ARRIVED):
        if status in live:
            return status
    if all(s == Status.NO_SHOW for s in live):
        return Status.NO_SHOW
    if all(s in (Status.COMPLETED, Status.NO_SHOW) for s in live):
        return Status.COMPLETED
    if all(s == Status.CONFIRMED for s in live):
        return Status.CONFIRMED
    return Status.BOOKED


def _refresh(block: VisitBlock) -> VisitBlock:
    appts = list(block.appointments.all())
    block.status = rollup([a.status for a in appts])
    live = [a for a in appts if a.status != Status.CANCELLED] or appts
    block.start, block.end = min(a.start for a in live), max(a.end for a in live)
    block.sequence += 1
    block.save(update_fields=["status", "start", "end", "sequence", "updated_at", "cancel_reason", "late_cancel"])
    if block.referral_id is not None:
        referral_sync_status(block.referral_id)
    return block


def _offer_freed(appointment_ids: list[int]) -> None:
    """After a cancellation commits, offer the freed time to matching waitlist entries (the
    waitlist reconciler heals a lost call)."""
    transaction.on_commit(lambda: _run_waitlist(appointment_ids))


def _run_waitlist(appointment_ids: list[int]) -> None:
    from plexus.scheduling import waitlist  # waitlist books through this module

    waitlist.on_capacity_freed(appointment_ids=appointment_ids)


def _is_late(start: datetime, now: datetime) -> bool:
    practice = Practice.objects.first()
    hours = practice.late_cancel_hours if practice else 24
    return start - now < timedelta(hours=hours)


def _cancel(actor: Actor, appt: Appointment, reason: str, now: datetime) -> None:
    if appt.status not in (Status.BOOKED, Status.CONFIRMED, Status.ARRIVED):
        raise ApplicationError(ErrorCode.CONFLICT, f"Component {appt.position + 1} is {appt.get_status_display()}; "
                               "it cannot be cancelled.")
    appt.status, appt.cancel_reason, appt.cancelled_at = Status.CANCELLED, reason[:200], now
    appt.late_cancel = _is_late(appt.start, now)
    appt.save(update_fields=["status", "cancel_reason", "cancelled_at", "late_cancel"])
    _event(actor, appt.block, EventAction.CANCELLED, appt, position=appt.position, late_cancel=appt.late_cancel)


def _need_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise validation_error([FieldError("reason", "Give a reason for the cancellation.")])
    return reason


@transaction.atomic
def visit_block_cancel(*, actor: Actor, block: VisitBlock, reason: str, now: datetime | None = None) -> VisitBlock:
    """Cancel every active component; flag a late cancel per practice policy. 409 when nothing can be cancelled."""
    reason, now = _need_reason(reason), now or timezone.now()
    block = VisitBlock.objects.select_for_update().get(pk=block.pk)
    appts = [a for a in block.appointments.all() if a.status in (Status.BOOKED, Status.CONFIRMED, Status.ARRIVED)]
    if not appts:
        raise ApplicationError(ErrorCode.CONFLICT, "This visit block has nothing left to cancel.")
    for appt in appts:
        _cancel(actor, appt, reason, now)
    block.cancel_reason, block.late_cancel = reason[:200], any(a.late_cancel for a in appts)
    record(actor, AuditAction.UPDATE, "visit_block", block.pk, patient_id=block.patient_id,
           changed_fields=["status", "cancel_reason", "late_cancel"], detail="cancelled")
    _offer_freed([a.pk for a in appts])
    return _refresh(block)


@transaction.atomic
def appointment_cancel(*, actor: Actor, appointment: Appointment, reason: str,
                       now: datetime | None = None) -> Appointment:
    """Cancel one component of a block (the rest stay booked)."""
    reason, now = _need_reason(reason), now or timezone.now()
    appt = Appointment.objects.select_for_update().select_related("block").get(pk=appointment.pk)
    _cancel(actor, appt, reason, now)
    block = appt.block
    if all(a.status == Status.CANCELLED for a in block.appointments.all()):
        block.cancel_reason, block.late_cancel = reason[:200], appt.late_cancel
    record(actor, AuditAction.UPDATE, "appointment", appt.pk, patient_id=appt.patient_id,
           changed_fields=["status", "cancel_reason", "late_cancel"], detail="cancelled")
    _offer_freed([appt.pk])
    _refresh(block)
    return appt


TRANSITIONS = {
    Status.BOOKED: {Status.CONFIRMED, Status.ARRIVED, Status.NO_SHOW},
    Status.CONFIRMED: {Status.ARRIVED, Status.NO_SHOW, Status.BOOKED},
    Status.ARRIVED: {Status.IN_ROOM, Status.COMPLETED},
    Status.IN_ROOM: {Status.COMPLETED},
}


@transaction.atomic
def appointment_set_status(*, actor: Actor, appointment: Appointment, status: str) -> Appointment:
    """Move one component along booked -> confirmed -> arrived -> in room -> completed (or no-show).
    422 for an unknown status, 409 for a move the current status does not allow."""
    if status not in Status.values or status == Status.CANCELLED:
        raise validation_error([FieldError("status", f"Use one of {', '.join(TRANSITIONS)}, completed, no_show "
                                                     "(cancel with the cancel action).")])
    appt = Appointment.objects.select_for_update().select_related("block").get(pk=appointment.pk)
    if status not in TRANSITIONS.get(appt.status, set()):
        raise ApplicationError(ErrorCode.CONFLICT, f"Component {appt.position + 1} is {appt.get_status_display()}; "
                               f"it cannot become {Status(status).label}.",
                               [FieldError("status", f"Not allowed from {appt.status}.")])
    before, appt.status = appt.status, status
    appt.save(update_fields=["status"])
    _event(actor, appt.block, EventAction.STATUS, appt, position=appt.position, before=before, after=status)
    record(actor, AuditAction.UPDATE, "appointment", appt.pk, patient_id=appt.patient_id, changed_fields=["status"])
    _refresh(appt.block)
    return appt


@transaction.atomic
def visit_block_check_in(*, actor: Actor, block: VisitBlock) -> VisitBlock:
    """Mark every booked or confirmed component arrived (one click at the desk). 409 when none is."""
    block = VisitBlock.objects.select_for_update().get(pk=block.pk)
    appts = [a for a in block.appointments.all() if a.status in (Status.BOOKED, Status.CONFIRMED)]
    if not appts:
        raise ApplicationError(ErrorCode.CONFLICT, "Nothing in this visit block is waiting for check-in.")
    for appt in appts:
        before, appt.status = appt.status, Status.ARRIVED
        appt.save(update_fields=["status"])
        _event(actor, block, EventAction.STATUS, appt, position=appt.position, before=before, after=Status.ARRIVED)
    record(actor, AuditAction.UPDATE, "visit_block", block.pk, patient_id=block.patient_id,
           changed_fields=["status"], detail="checked in")
    return _refresh(block)


@transaction.atomic
def visit_block_move(*, actor: Actor, block: VisitBlock, components: list[Placement],
                     now: datetime | None = None) -> VisitBlock:
    """Move every active component of the block at once (same services, in position order) or none.
    The appointments keep their ids (calendar UIDs stay stable); statuses return to booked."""
    now = now or timezone.now()
    block = VisitBlock.objects.select_for_update().get(pk=block.pk)
    appts = [a for a in block.appointments.order_by("position") if a.status in (Status.BOOKED, Status.CONFIRMED)]
    if not appts or any(a.status not in (Status.BOOKED, Status.CONFIRMED, Status.CANCELLED)
                        for a in block.appointments.all()):
        raise ApplicationError(ErrorCode.CONFLICT, "Only a block that has not started can be moved.")
    if [p.service_id for p in components] != [a.service_id for a in appts]:
        raise validation_error([FieldError("components", "Give one placement per active component, same services "
                                                         "in the same order.")])
    location, checked = _check(components, None, now)
    _place(checked, block.patient, location, block.pk)
    # Free the old times first (the exclusion constraints only look at active statuses), then re-place.
    Appointment.objects.filter(pk__in=[a.pk for a in appts]).update(status=Status.CANCELLED)
    for i, (appt, c) in enumerate(zip(appts, checked, strict=True)):
        appt.practitioner, appt.room, appt.location, appt.start, appt.end = (c.practitioner, c.room, location,
                                                                             c.start, c.end)
        appt.practitioner_until, appt.room_until, appt.status = c.practitioner_until, c.room_until, Status.BOOKED
        _save(appt, i, c)
    block.location = location
    block.save(update_fields=["location"])
    _event(actor, block, EventAction.RESCHEDULED, start=min(c.start for c in checked).isoformat())
    record(actor, AuditAction.UPDATE, "visit_block", block.pk, patient_id=block.patient_id,
           changed_fields=["start", "end", "practitioner", "room"], detail="rescheduled")
    return _refresh(block)


@transaction.atomic
def appointment_move(*, actor: Actor, appointment: Appointment, placement: Placement, keep_in_visit: bool = True,
                     now: datetime | None = None) -> Appointment:
    """Move one component of a block (same service, the block's location), the others staying put.

    With ``keep_in_visit`` the new time must keep it between its neighbours (422 naming
    ``components[i].start`` otherwise). 422 for bad input, 409 naming ``components[i]`` when the new
    time conflicts (the block's other components count). The appointment keeps its id (calendar
    UIDs stay); its status returns to booked; the block's history records the move."""
    now = now or timezone.now()
    appt = Appointment.objects.select_for_update().select_related("block", "service").get(pk=appointment.pk)
    block = VisitBlock.objects.select_for_update().select_related("patient").get(pk=appt.block_id)
    i = appt.position
    if appt.status not in (Status.BOOKED, Status.CONFIRMED):
        raise ApplicationError(ErrorCode.CONFLICT, f"Component {i + 1} is {appt.get_status_display()}; "
                               "it cannot be moved.")
    if placement.service_id != appt.service_id:
        raise validation_error([FieldError(f"components[{i}].service_id",
                                           f"Component {i + 1} is {appt.service.name}; keep its service.")])
    location, checked = _check([placement], block.location_id, now, first_index=i)
    c = checked[0]
    if keep_in_visit:
        bounds = selectors.neighbour_bounds(appt, list(block.appointments.all()))
        if not bounds.allows(c.start, c.end):
            raise validation_error([FieldError(f"components[{i}].start",
                                               f"Component {i + 1} would leave its place in the visit (before the "
                                               "previous component ends, after the next starts, or too far apart).")])
    siblings = selectors.concurrent_siblings(appt, list(block.appointments.all()))
    _place(checked, block.patient, location, None, exclude_appointment=appt.pk, first_index=i,
           patient_overlap_ok=siblings)
    before = {"start": appt.start.isoformat(), "practitioner_id": appt.practitioner_id, "room_id": appt.room_id}
    Appointment.objects.filter(pk=appt.pk).update(status=Status.CANCELLED)  # free the old time first
    appt.practitioner, appt.room, appt.start, appt.end = c.practitioner, c.room, c.start, c.end
    appt.practitioner_until, appt.room_until, appt.status = c.practitioner_until, c.room_until, Status.BOOKED
    _save(appt, i, c)
    _event(actor, block, EventAction.RESCHEDULED, appt, position=i, before=before,
           start=c.start.isoformat(), practitioner_id=c.practitioner.pk, room_id=c.room.pk)
    record(actor, AuditAction.UPDATE, "appointment", appt.pk, patient_id=appt.patient_id,
           changed_fields=["start", "end", "practitioner", "room"], detail="rescheduled")
    _refresh(block)
    return appt


def overlapping_pairs() -> list[tuple[int, int]]:
    """Return pairs of active appointment ids that overlap on a practitioner or a room (should be none)."""
    rows = list(Appointment.objects.filter(status__in=ACTIVE_VALUES).values_list(
        "id", "practitioner_id", "room_id", "start", "practitioner_until", "room_until"))
    out = []
    for a in rows:
        for b in rows:
            if a[0] < b[0] and ((a[1] == b[1] and a[3] < b[4] and b[3] < a[4])
                                or (a[2] == b[2] and a[3] < b[5] and b[3] < a[5])):
                out.append((a[0], b[0]))
    return out


__all__ = ["Placement", "appointment_cancel", "appointment_move", "appointment_set_status", "rollup", "visit_block_book",
           "visit_block_cancel", "visit_block_check_in", "visit_block_move"]
