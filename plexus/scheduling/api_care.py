"""API for recurring series, referrals and the waitlist (registered on the scheduling router)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema, Status

from plexus.core.api_utils import require_perm
from plexus.core.audit import record
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm
from plexus.patients.selectors import access_patient
from plexus.scheduling import referrals, series, waitlist
from plexus.scheduling.api import PlacementIn, _placements, block_dict, router
from plexus.scheduling.models import Priority, Referral, TimeOfDay, VisitSeries, WaitlistEntry, WaitlistOffer


class SeriesIn(Schema):
    patient_id: int
    components: list[PlacementIn]
    interval_weeks: int = 1
    occurrences: int
    location_id: int | None = None


class AlternativeIn(Schema):
    index: int
    components: list[PlacementIn]


class SeriesBookIn(SeriesIn):
    mode: str = "all"
    alternatives: list[AlternativeIn] = []
    referral_id: int | None = None
    note: str = ""


class CancelIn(Schema):
    reason: str


class ReferralIn(Schema):
    patient_id: int
    to_discipline_id: int
    service_ids: list[int]
    sessions_wanted: int
    reason: str
    from_practitioner_id: int | None = None
    to_practitioner_id: int | None = None
    cadence_weeks: int = 1
    icd10_codes: list[str] = []
    priority: int = Priority.ROUTINE


class WaitlistIn(Schema):
    patient_id: int
    service_ids: list[int]
    earliest_date: date
    latest_date: date
    practitioner_ids: list[int] = []
    discipline_ids: list[int] = []
    location_id: int | None = None
    weekdays: list[int] = []
    time_of_day: str = TimeOfDay.ANY
    priority: int = Priority.ROUTINE
    note: str = ""
    referral_id: int | None = None


class ReferralWaitlistIn(Schema):
    earliest_date: date
    latest_date: date
    location_id: int | None = None
    weekdays: list[int] = []
    time_of_day: str = TimeOfDay.ANY


def _placement_dicts(placements) -> list[dict]:
    return [{"service_id": p.service_id, "practitioner_id": p.practitioner_id, "room_id": p.room_id,
             "start": p.start, "end": p.end} for p in placements]


def occurrence_dict(o: series.Occurrence) -> dict:
    return {"index": o.index, "start": o.start, "free": o.free, "reason": o.reason, "field": o.field,
            "components": _placement_dicts(o.placements),
            "alternative": _placement_dicts(o.alternative) if o.alternative else None}


def series_dict(s: VisitSeries, *, blocks: bool = True) -> dict:
    out = {"id": s.pk, "patient_id": s.patient_id, "location_id": s.location_id, "first_start": s.first_start,
           "interval_weeks": s.interval_weeks, "occurrences": s.occurrences, "status": s.status,
           "referral_id": s.referral_id, "template": s.template, "cancel_reason": s.cancel_reason}
    if blocks:
        out["blocks"] = [{"id": b.pk, "index": b.series_index, "start": b.start, "end": b.end, "status": b.status}
                         for b in series.series_blocks(s)]
    return out


def referral_dict(r: Referral, *, clinical: bool) -> dict:
    out = {"id": r.pk, "patient_id": r.patient_id, "from_practitioner_id": r.from_practitioner_id,
           "to_discipline_id": r.to_discipline_id, "to_practitioner_id": r.to_practitioner_id,
           "service_ids": [s.pk for s in r.services.all()], "sessions_wanted": r.sessions_wanted,
           "cadence_weeks": r.cadence_weeks, "priority": r.priority, "status": r.status,
           "created_at": r.created_at, "sessions_booked": getattr(r, "sessions_booked", None),
           "sessions_completed": getattr(r, "sessions_completed", None)}
    if out["sessions_booked"] is None:
        out["sessions_booked"], out["sessions_completed"] = referrals.progress(r.pk)
    if clinical:
        out["reason"], out["icd10_codes"] = r.reason, r.icd10_codes
    return out


def entry_dict(e: WaitlistEntry) -> dict:
    return {"id": e.pk, "patient_id": e.patient_id, "referral_id": e.referral_id, "service_ids": e.service_ids,
            "practitioner_ids": [p.pk for p in e.practitioners.all()],
            "discipline_ids": [d.pk for d in e.disciplines.all()], "location_id": e.location_id,
            "earliest_date": e.earliest_date, "latest_date": e.latest_date, "weekdays": e.weekdays,
            "time_of_day": e.time_of_day, "priority": e.priority, "status": e.status, "created_at": e.created_at}


def offer_dict(o: WaitlistOffer) -> dict:
    return {"id": o.pk, "entry_id": o.entry_id, "patient_id": o.entry.patient_id, "location_id": o.location_id,
            "start": o.start, "end": o.end, "placements": o.placements, "status": o.status,
            "expires_at": o.expires_at, "block_id": o.block_id}


def _alternatives(items: list[AlternativeIn]) -> dict:
    return {a.index: _placements(a.components) for a in items}


@router.post("/series/preview", response=dict, summary="Preview a recurring series: free or conflicting per occurrence")
def series_preview(request: HttpRequest, payload: SeriesIn):
    act = require_perm(request, Perm.SCHEDULE_BOOK)
    patient = access_patient(act, payload.patient_id, Perm.SCHEDULE_BOOK, what="series.preview")
    items = series.series_preview(patient=patient, components=_placements(payload.components),
                                  interval_weeks=payload.interval_weeks, occurrences=payload.occurrences,
                                  location_id=payload.location_id, now=timezone.now())
    return {"count": len(items), "conflicts": sum(not o.free for o in items),
            "occurrences": [occurrence_dict(o) for o in items]}


@router.post("/series", response={201: dict}, summary="Book a recurring series (all, or the free ones)")
def series_book(request: HttpRequest, payload: SeriesBookIn):
    act = require_perm(request, Perm.SCHEDULE_BOOK)
    patient = access_patient(act, payload.patient_id, Perm.SCHEDULE_BOOK, what="series.book")
    referral = None
    if payload.referral_id is not None:
        referral = Referral.objects.filter(pk=payload.referral_id).first()
        if referral is None:
            raise ApplicationError(ErrorCode.NOT_FOUND, f"No referral {payload.referral_id}.")
    made, skipped = series.visit_series_book(
        actor=act, patient=patient, components=_placements(payload.components),
        interval_weeks=payload.interval_weeks, occurrences=payload.occurrences, mode=payload.mode,
        location_id=payload.location_id, alternatives=_alternatives(payload.alternatives), referral=referral,
        note=payload.note)
    return Status(201, {**series_dict(made), "skipped": skipped})


@router.get("/series", response=list[dict], summary="A patient's recurring series")
def series_list(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.SCHEDULE_VIEW)
    access_patient(act, patient_id, Perm.SCHEDULE_VIEW, what="series")
    return [series_dict(s, blocks=False) for s in VisitSeries.objects.filter(patient_id=patient_id)]


def _series(request: HttpRequest, series_id: int, perm: Perm):
    act = require_perm(request, perm)
    s = series.get_series(series_id)
    access_patient(act, s.patient_id, perm, what="series")
    return act, s


@router.get("/series/{series_id}", response=dict, summary="A recurring series with its visit blocks")
def series_get(request: HttpRequest, series_id: int):
    return series_dict(_series(request, series_id, Perm.SCHEDULE_VIEW)[1])


@router.post("/series/{series_id}/cancel", response=dict, summary="Cancel every future occurrence of a series")
def series_cancel(request: HttpRequest, series_id: int, payload: CancelIn):
    act, s = _series(request, series_id, Perm.SCHEDULE_BOOK)
    s, count = series.visit_series_cancel(actor=act, series=s, reason=payload.reason)
    return {**series_dict(s), "cancelled": count}


@router.get("/referrals", response=list[dict], summary="Referrals by status or patient, with sessions booked/completed")
def referrals_list(request: HttpRequest, status: str | None = None, patient_id: int | None = None):
    act = require_perm(request, Perm.SCHEDULE_VIEW)
    if patient_id is not None:
        access_patient(act, patient_id, Perm.SCHEDULE_VIEW, what="referrals")
    rows = list(referrals.referrals_query(status=status, patient_id=patient_id)[:200])
    record(act, AuditAction.READ, "referral.list", detail=f"{len(rows)} referrals")
    clinical = referrals.shows_clinical(request.user)
    return [referral_dict(r, clinical=clinical) for r in rows]


@router.post("/referrals", response={201: dict}, summary="Create an internal referral")
def referrals_create(request: HttpRequest, payload: ReferralIn):
    act = require_perm(request, Perm.REFERRAL_CREATE)
    patient = access_patient(act, payload.patient_id, Perm.REFERRAL_CREATE, what="referral.create")
    data = payload.dict(exclude={"patient_id"})
    referral = referrals.referral_create(actor=act, patient=patient, **data)
    return Status(201, referral_dict(referrals.get_referral(referral.pk), clinical=True))


def _referral(request: HttpRequest, referral_id: int, perm: Perm):
    act = require_perm(request, perm)
    referral = referrals.get_referral(referral_id)
    access_patient(act, referral.patient_id, perm, what="referral")
    return act, referral


@router.get("/referrals/{referral_id}", response=dict, summary="A referral with its progress")
def referrals_get(request: HttpRequest, referral_id: int):
    _, referral = _referral(request, referral_id, Perm.SCHEDULE_VIEW)
    return referral_dict(referral, clinical=referrals.shows_clinical(request.user))


@router.post("/referrals/{referral_id}/cancel", response=dict, summary="Cancel a referral")
def referrals_cancel(request: HttpRequest, referral_id: int, payload: CancelIn):
    act, referral = _referral(request, referral_id, Perm.REFERRAL_CREATE)
    referral = referrals.referral_cancel(actor=act, referral=referral, reason=payload.reason)
    return referral_dict(referral, clinical=True)


@router.post("/referrals/{referral_id}/waitlist", response={201: dict},
             summary="Put the referral's visit on the waitlist (services and practitioner pre-filled)")
def referrals_waitlist(request: HttpRequest, referral_id: int, payload: ReferralWaitlistIn):
    act, referral = _referral(request, referral_id, Perm.SCHEDULE_BOOK)
    entry = waitlist.waitlist_entry_from_referral(actor=act, referral=referral, **payload.dict())
    return Status(201, entry_dict(entry))


@router.get("/waitlist", response=list[dict], summary="Waitlist entries by status, in offer order")
def waitlist_list(request: HttpRequest, status: str | None = None):
    act = require_perm(request, Perm.SCHEDULE_VIEW)
    rows = waitlist.entries_query(status=status)[:200]
    record(act, AuditAction.READ, "waitlist.list", detail=f"{len(rows)} entries")
    return [entry_dict(e) for e in rows]


@router.post("/waitlist", response={201: dict}, summary="Put a patient on the waitlist")
def waitlist_create(request: HttpRequest, payload: WaitlistIn):
    act = require_perm(request, Perm.SCHEDULE_BOOK)
    patient = access_patient(act, payload.patient_id, Perm.SCHEDULE_BOOK, what="waitlist")
    referral = None
    if payload.referral_id is not None:
        referral = Referral.objects.filter(pk=payload.referral_id).first()
        if referral is None:
            raise ApplicationError(ErrorCode.NOT_FOUND, f"No referral {payload.referral_id}.")
    data = payload.dict(exclude={"patient_id", "referral_id"})
    entry = waitlist.waitlist_entry_create(actor=act, patient=patient, referral=referral, **data)
    return Status(201, entry_dict(entry))


@router.post("/waitlist/{entry_id}/remove", response=dict, summary="Take an entry off the waitlist")
def waitlist_remove(request: HttpRequest, entry_id: int):
    act = require_perm(request, Perm.SCHEDULE_BOOK)
    entry = waitlist.get_entry(entry_id)
    access_patient(act, entry.patient_id, Perm.SCHEDULE_BOOK, what="waitlist")
    return entry_dict(waitlist.waitlist_entry_remove(actor=act, entry=entry))


@router.get("/waitlist/offers", response=list[dict], summary="Open offers of freed time, soonest expiry first")
def waitlist_offers(request: HttpRequest):
    act = require_perm(request, Perm.SCHEDULE_VIEW)
    rows = waitlist.open_offers()
    record(act, AuditAction.READ, "waitlist_offer.list", detail=f"{len(rows)} offers")
    return [offer_dict(o) for o in rows]


def _offer(request: HttpRequest, offer_id: int):
    act = require_perm(request, Perm.SCHEDULE_BOOK)
    offer = waitlist.get_offer(offer_id)
    access_patient(act, offer.entry.patient_id, Perm.SCHEDULE_BOOK, what="waitlist_offer")
    return act, offer


@router.post("/waitlist/offers/{offer_id}/accept", response=dict, summary="Book an offer (re-checked; 409 if taken)")
def waitlist_offer_accept(request: HttpRequest, offer_id: int):
    act, offer = _offer(request, offer_id)
    return block_dict(waitlist.waitlist_offer_accept(actor=act, offer=offer))


@router.post("/waitlist/offers/{offer_id}/decline", response=dict, summary="Release an offer; the entry waits again")
def waitlist_offer_decline(request: HttpRequest, offer_id: int):
    act, offer = _offer(request, offer_id)
    return offer_dict(waitlist.waitlist_offer_decline(actor=act, offer=offer))

