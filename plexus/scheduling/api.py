"""API for scheduling: slot search, visit blocks (book, list, cancel, status, reschedule, .ics),
availability setup (hours, exceptions, closures) and practitioners' calendar feeds."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime, time, timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from plexus.core.api_utils import paginate, require_perm
from plexus.core.audit import record
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm
from plexus.engines import slots
from plexus.patients.selectors import access_patient
from plexus.scheduling import ics, selectors, services
from plexus.scheduling import setup_services as setup
from plexus.scheduling.models import Appointment, AvailabilityException, CalendarFeed, Closure, WorkingHours

router = Router(tags=["scheduling"])


class ComponentIn(Schema):
    service_id: int
    practitioner_id: int | None = None
    min_gap_minutes: int = 0
    max_gap_minutes: int = 30
    concurrent_with: int | None = None


class SearchIn(Schema):
    components: list[ComponentIn]
    range_start: datetime
    range_end: datetime | None = None
    patient_id: int | None = None
    location_id: int | None = None
    earliest_time: time | None = None
    latest_time: time | None = None
    weekdays: list[int] | None = None
    preferred_practitioner_ids: list[int] = []
    limit: int = 10


class PlacementIn(Schema):
    service_id: int
    practitioner_id: int
    room_id: int | None = None
    start: datetime
    end: datetime | None = None


class BookIn(Schema):
    patient_id: int
    location_id: int | None = None
    components: list[PlacementIn]
    note: str = ""


class MoveIn(Schema):
    components: list[PlacementIn]


class RescheduleSearchIn(Schema):
    range_start: datetime
    range_end: datetime | None = None
    keep_practitioners: bool = True
    limit: int = 10


class CancelIn(Schema):
    reason: str


class StatusIn(Schema):
    status: str


class BlockFilter(Schema):
    date: dt.date | None = None
    practitioner_id: int | None = None
    patient_id: int | None = None
    location_id: int | None = None
    limit: int = 50
    offset: int = 0


class HoursIn(Schema):
    practitioner_id: int
    location_id: int
    weekday: int
    start_time: time
    end_time: time


class ExceptionIn(Schema):
    practitioner_id: int
    kind: str
    start: datetime
    end: datetime
    location_id: int | None = None
    reason: str = ""


class ClosureIn(Schema):
    start_date: date
    end_date: date
    location_id: int | None = None
    reason: str = ""


class FeedIn(Schema):
    practitioner_id: int


def option_dict(option: slots.BlockOption) -> dict:
    return {
        "start": option.start, "end": option.end, "location_id": option.location_id,
        "total_wait_minutes": int(option.total_wait.total_seconds() // 60), "preferred_count": option.preferred_count,
        "components": [{"service_id": c.service_id, "practitioner_id": c.practitioner_id, "room_id": c.room_id,
                        "start": c.start, "end": c.end} for c in option.components],
    }


def appointment_dict(a: Appointment) -> dict:
    return {
        "id": a.pk, "position": a.position, "service_id": a.service_id, "service": a.service.name,
        "practitioner_id": a.practitioner_id, "practitioner": str(a.practitioner), "room_id": a.room_id,
        "room": a.room.name, "start": a.start, "end": a.end, "status": a.status, "cancel_reason": a.cancel_reason,
        "late_cancel": a.late_cancel,
    }


def block_dict(block, *, history: bool = False) -> dict:
    out = {
        "id": block.pk, "uid": str(block.uid), "patient_id": block.patient_id,
        "patient": block.patient.display_name, "location_id": block.location_id, "status": block.status,
        "start": block.start, "end": block.end, "sequence": block.sequence, "cancel_reason": block.cancel_reason,
        "late_cancel": block.late_cancel,
        "components": [appointment_dict(a) for a in selectors.block_appointments(block)],
    }
    if history:
        out["history"] = [{"at": e.at, "user": e.username, "action": e.action, "detail": e.detail}
                          for e in block.events.all()]
    return out


def _preferences(p: SearchIn) -> slots.Preferences:
    return slots.Preferences(earliest_time=p.earliest_time, latest_time=p.latest_time,
                             weekdays=frozenset(p.weekdays) if p.weekdays is not None else None,
                             location_id=p.location_id, preferred_practitioners=frozenset(p.preferred_practitioner_ids))


def _range_end(start: datetime, end: datetime | None) -> datetime:
    return end or start + timedelta(days=28)


def _placements(items: list[PlacementIn]) -> list[services.Placement]:
    return [services.Placement(service_id=c.service_id, practitioner_id=c.practitioner_id, room_id=c.room_id,
                               start=c.start, end=c.end) for c in items]


def _block(request: HttpRequest, block_id: int, perm: Perm, what: str):
    act = require_perm(request, perm)
    block = selectors.get_block(block_id)
    access_patient(act, block.patient_id, perm, what=what)
    return act, block


@router.post("/search", response=dict, summary="Find the earliest visit blocks for a multi-component request")
def slots_search(request: HttpRequest, payload: SearchIn):
    act = require_perm(request, Perm.SCHEDULE_VIEW)
    if payload.patient_id is not None:
        access_patient(act, payload.patient_id, Perm.SCHEDULE_VIEW, what="schedule.search")
    asks = [selectors.ComponentAsk(**c.dict()) for c in payload.components]
    options = selectors.slot_search(asks=asks, range_start=payload.range_start,
                                    range_end=_range_end(payload.range_start, payload.range_end), now=timezone.now(),
                                    patient_id=payload.patient_id, preferences=_preferences(payload),
                                    limit=max(1, min(payload.limit, 50)))
    return {"count": len(options), "items": [option_dict(o) for o in options]}


@router.post("/blocks", response={201: dict}, summary="Book a visit block (all components or none)")
def blocks_book(request: HttpRequest, payload: BookIn):
    act = require_perm(request, Perm.SCHEDULE_BOOK)
    patient = access_patient(act, payload.patient_id, Perm.SCHEDULE_BOOK, what="schedule.book")
    block = services.visit_block_book(actor=act, patient=patient, components=_placements(payload.components),
                                      location_id=payload.location_id, note=payload.note)
    return Status(201, block_dict(block))


@router.get("/blocks", response=dict, summary="List visit blocks by local date, practitioner, patient, location")
def blocks_list(request: HttpRequest, filters: Query[BlockFilter]):
    act = require_perm(request, Perm.SCHEDULE_VIEW)
    if filters.patient_id is not None:
        access_patient(act, filters.patient_id, Perm.SCHEDULE_VIEW, what="visits")
    start = end = None
    if filters.date is not None:
        start, end = selectors.local_day_bounds(filters.date, timezone.get_current_timezone_name())
    qs = selectors.blocks_query(day_start=start, day_end=end, practitioner_id=filters.practitioner_id,
                                patient_id=filters.patient_id, location_id=filters.location_id)
    page = paginate(qs, filters.limit, filters.offset, block_dict)
    record(act, AuditAction.READ, "visit_block.list", detail=f"{page['count']} blocks")
    return page


@router.get("/blocks/{block_id}", response=dict, summary="A visit block with its components and history")
def blocks_get(request: HttpRequest, block_id: int):
    _, block = _block(request, block_id, Perm.SCHEDULE_VIEW, "visit_block")
    return block_dict(block, history=True)


@router.get("/blocks/{block_id}/ics", summary="The visit block as iCalendar (text/calendar)")
def blocks_ics(request: HttpRequest, block_id: int):
    _, block = _block(request, block_id, Perm.SCHEDULE_VIEW, "visit_block.ics")
    response = HttpResponse(ics.block_ics(block), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="visit-{block.pk}.ics"'
    return response


@router.post("/blocks/{block_id}/cancel", response=dict, summary="Cancel every component of a visit block")
def blocks_cancel(request: HttpRequest, block_id: int, payload: CancelIn):
    act, block = _block(request, block_id, Perm.SCHEDULE_BOOK, "visit_block.cancel")
    return block_dict(services.visit_block_cancel(actor=act, block=block, reason=payload.reason))


@router.post("/blocks/{block_id}/check-in", response=dict, summary="Check the patient in for the whole block")
def blocks_check_in(request: HttpRequest, block_id: int):
    act, block = _block(request, block_id, Perm.SCHEDULE_BOOK, "visit_block.check_in")
    return block_dict(services.visit_block_check_in(actor=act, block=block))


@router.post("/blocks/{block_id}/reschedule/search", response=dict, summary="Search new times for the same components")
def blocks_reschedule_search(request: HttpRequest, block_id: int, payload: RescheduleSearchIn):
    _, block = _block(request, block_id, Perm.SCHEDULE_BOOK, "visit_block.reschedule")
    options = selectors.reschedule_options(block=block, range_start=payload.range_start,
                                           range_end=_range_end(payload.range_start, payload.range_end),
                                           now=timezone.now(), keep_practitioners=payload.keep_practitioners,
                                           limit=max(1, min(payload.limit, 50)))
    return {"count": len(options), "items": [option_dict(o) for o in options]}


@router.post("/blocks/{block_id}/reschedule", response=dict, summary="Move every active component at once")
def blocks_reschedule(request: HttpRequest, block_id: int, payload: MoveIn):
    act, block = _block(request, block_id, Perm.SCHEDULE_BOOK, "visit_block.reschedule")
    return block_dict(services.visit_block_move(actor=act, block=block, components=_placements(payload.components)))


def _appointment(request: HttpRequest, appointment_id: int, what: str):
    act = require_perm(request, Perm.SCHEDULE_BOOK)
    appt = Appointment.objects.filter(pk=appointment_id).first()
    if appt is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No appointment {appointment_id}.")
    access_patient(act, appt.patient_id, Perm.SCHEDULE_BOOK, what=what)
    return act, appt


@router.post("/appointments/{appointment_id}/cancel", response=dict, summary="Cancel one component")
def appointments_cancel(request: HttpRequest, appointment_id: int, payload: CancelIn):
    act, appt = _appointment(request, appointment_id, "appointment.cancel")
    appt = services.appointment_cancel(actor=act, appointment=appt, reason=payload.reason)
    return block_dict(appt.block)


@router.post("/appointments/{appointment_id}/status", response=dict, summary="Change one component's status")
def appointments_status(request: HttpRequest, appointment_id: int, payload: StatusIn):
    act, appt = _appointment(request, appointment_id, "appointment.status")
    appt = services.appointment_set_status(actor=act, appointment=appt, status=payload.status)
    return block_dict(appt.block)


class ComponentSearchIn(Schema):
    range_start: datetime
    range_end: datetime | None = None
    keep_practitioner: bool = True
    keep_in_visit: bool = True
    limit: int = 10


class ComponentMoveIn(Schema):
    practitioner_id: int
    start: datetime
    room_id: int | None = None
    keep_in_visit: bool = True


def _bounds_dict(b: selectors.Bounds) -> dict:
    return {"earliest_start": b.earliest_start, "latest_start": b.latest_start, "earliest_end": b.earliest_end,
            "latest_end": b.latest_end}


@router.post("/appointments/{appointment_id}/reschedule/search", response=dict,
             summary="Search new times for one component, the others staying put")
def appointments_reschedule_search(request: HttpRequest, appointment_id: int, payload: ComponentSearchIn):
    _, appt = _appointment(request, appointment_id, "appointment.reschedule")
    end = payload.range_end
    if end is None:
        end = payload.range_start + (timedelta(days=1) if payload.keep_in_visit else timedelta(days=28))
    bounds, options = selectors.component_options(
        appointment=appt, range_start=payload.range_start, range_end=end, now=timezone.now(),
        keep_practitioner=payload.keep_practitioner, keep_in_visit=payload.keep_in_visit,
        limit=max(1, min(payload.limit, 50)))
    return {"count": len(options), "position": appt.position, "bounds": _bounds_dict(bounds),
            "items": [option_dict(o) for o in options]}


@router.post("/appointments/{appointment_id}/reschedule", response=dict,
             summary="Move one component (409 naming it on a conflict; nothing saved)")
def appointments_reschedule(request: HttpRequest, appointment_id: int, payload: ComponentMoveIn):
    act, appt = _appointment(request, appointment_id, "appointment.reschedule")
    placement = services.Placement(service_id=appt.service_id, practitioner_id=payload.practitioner_id,
                                   room_id=payload.room_id, start=payload.start)
    appt = services.appointment_move(actor=act, appointment=appt, placement=placement,
                                     keep_in_visit=payload.keep_in_visit)
    return block_dict(selectors.get_block(appt.block_id), history=True)


def _hours_dict(h: WorkingHours) -> dict:
    return {"id": h.pk, "practitioner_id": h.practitioner_id, "location_id": h.location_id, "weekday": h.weekday,
            "start_time": h.start_time, "end_time": h.end_time}


@router.get("/hours", response=list[dict], summary="Weekly hours (local wall-clock) per practitioner and location")
def hours_list(request: HttpRequest, practitioner_id: int | None = None):
    require_perm(request, Perm.SCHEDULE_VIEW)
    qs = WorkingHours.objects.all()
    if practitioner_id is not None:
        qs = qs.filter(practitioner_id=practitioner_id)
    return [_hours_dict(h) for h in qs]


@router.post("/hours", response={201: dict})
def hours_create(request: HttpRequest, payload: HoursIn):
    act = require_perm(request, Perm.SCHEDULE_MANAGE)
    return Status(201, _hours_dict(setup.working_hours_create(actor=act, **payload.dict())))


@router.delete("/hours/{hours_id}", response={204: None})
def hours_delete(request: HttpRequest, hours_id: int):
    setup.working_hours_delete(actor=require_perm(request, Perm.SCHEDULE_MANAGE), hours_id=hours_id)
    return Status(204, None)


def _exc_dict(e: AvailabilityException) -> dict:
    return {"id": e.pk, "practitioner_id": e.practitioner_id, "location_id": e.location_id, "kind": e.kind,
            "start": e.start, "end": e.end, "reason": e.reason}


@router.get("/exceptions", response=list[dict], summary="Time off and extra hours")
def exceptions_list(request: HttpRequest, practitioner_id: int | None = None):
    require_perm(request, Perm.SCHEDULE_VIEW)
    qs = AvailabilityException.objects.all()
    if practitioner_id is not None:
        qs = qs.filter(practitioner_id=practitioner_id)
    return [_exc_dict(e) for e in qs]


@router.post("/exceptions", response={201: dict})
def exceptions_create(request: HttpRequest, payload: ExceptionIn):
    act = require_perm(request, Perm.SCHEDULE_MANAGE)
    return Status(201, _exc_dict(setup.availability_exception_create(actor=act, **payload.dict())))


@router.delete("/exceptions/{exception_id}", response={204: None})
def exceptions_delete(request: HttpRequest, exception_id: int):
    setup.availability_exception_delete(actor=require_perm(request, Perm.SCHEDULE_MANAGE), exception_id=exception_id)
    return Status(204, None)


def _closure_dict(c: Closure) -> dict:
    return {"id": c.pk, "location_id": c.location_id, "start_date": c.start_date, "end_date": c.end_date,
            "reason": c.reason}


@router.get("/closures", response=list[dict], summary="Practice closures (whole local days)")
def closures_list(request: HttpRequest):
    require_perm(request, Perm.SCHEDULE_VIEW)
    return [_closure_dict(c) for c in Closure.objects.all()]


@router.post("/closures", response={201: dict})
def closures_create(request: HttpRequest, payload: ClosureIn):
    act = require_perm(request, Perm.SCHEDULE_MANAGE)
    return Status(201, _closure_dict(setup.closure_create(actor=act, **payload.dict())))


@router.delete("/closures/{closure_id}", response={204: None})
def closures_delete(request: HttpRequest, closure_id: int):
    setup.closure_delete(actor=require_perm(request, Perm.SCHEDULE_MANAGE), closure_id=closure_id)
    return Status(204, None)


def _feed_dict(f: CalendarFeed, token: str | None = None) -> dict:
    out = {"id": f.pk, "practitioner_id": f.practitioner_id, "prefix": f.prefix, "created_at": f.created_at,
           "revoked_at": f.revoked_at}
    if token:
        out["token"] = token
        out["url"] = f"/schedule/feeds/{token}.ics"
    return out


@router.get("/feeds", response=list[dict], summary="Practitioners' secret iCalendar feeds (tokens not shown)")
def feeds_list(request: HttpRequest):
    require_perm(request, Perm.SCHEDULE_MANAGE)
    return [_feed_dict(f) for f in CalendarFeed.objects.all()]


@router.post("/feeds", response={201: dict}, summary="Create a feed URL for a practitioner (shown once)")
def feeds_create(request: HttpRequest, payload: FeedIn):
    feed, token = setup.calendar_feed_create(actor=require_perm(request, Perm.SCHEDULE_MANAGE),
                                             practitioner_id=payload.practitioner_id)
    return Status(201, _feed_dict(feed, token))


@router.delete("/feeds/{feed_id}", response=dict, summary="Revoke a feed URL")
def feeds_revoke(request: HttpRequest, feed_id: int):
    return _feed_dict(setup.calendar_feed_revoke(actor=require_perm(request, Perm.SCHEDULE_MANAGE), feed_id=feed_id))


# Recurring series, referrals and the waitlist register their operations on this router.
from plexus.scheduling import api_care  # noqa: E402,F401
