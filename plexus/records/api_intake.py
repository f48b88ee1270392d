"""API for intake packets and the review checklist (registered on the records router)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema, Status

from plexus.core.api_utils import require_perm
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import Location, Practitioner
from plexus.core.permissions import Perm
from plexus.patients.selectors import access_patient
from plexus.records import intake, review
from plexus.records.api import router
from plexus.records.models import IntakePacket
from plexus.records.views_intake import board_rows


def packet_dict(p: IntakePacket) -> dict:
    forms = list(p.forms.select_related("questionnaire", "response"))
    return {"id": p.pk, "patient_id": p.patient_id, "status": p.status, "first_visit_at": p.first_visit_at,
            "sent_at": p.sent_at, "opened_at": p.opened_at, "completed_at": p.completed_at,
            "followups_sent": p.followups_sent, "flagged_at": p.flagged_at,
            "forms": [{"id": f.pk, "questionnaire_slug": f.questionnaire.slug, "title": f.questionnaire.title,
                       "reason": f.reason, "status": f.response.status if f.response else "not-started"}
                      for f in forms]}


class SendIn(Schema):
    new_link: bool = False


class SignIn(Schema):
    item_kind: str
    item_id: int


@router.get("/intake", summary="Intake packets of new patients with a first visit in the next 14 days")
def intake_board(request: HttpRequest):
    require_perm(request, Perm.DOCUMENTS_VIEW)
    return {"items": [packet_dict(p) for p in board_rows(timezone.now())]}


@router.get("/patients/{patient_id}/intake", summary="A patient's intake packets")
def patient_intake(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.DOCUMENTS_VIEW)
    access_patient(act, patient_id, Perm.DOCUMENTS_VIEW, what="intake")
    return {"items": [packet_dict(p) for p in IntakePacket.objects.filter(patient_id=patient_id)]}


@router.post("/patients/{patient_id}/intake", summary="Prepare the packet from the booked visits and send it now")
def patient_intake_send(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.DOCUMENTS_MANAGE)
    patient = access_patient(act, patient_id, Perm.DOCUMENTS_MANAGE, what="intake")
    packet = intake.packet_prepare(patient=patient, now=timezone.now(), actor=act)
    if packet is None:
        raise ApplicationError(ErrorCode.CONFLICT, "No upcoming visit: book one before sending intake forms.")
    if packet.status == "not_sent":
        packet = intake.packet_send(packet=packet, now=timezone.now(), actor=act)
    return packet_dict(packet)


@router.post("/intake/{packet_id}/send", summary="Send the portal link again (new_link revokes earlier links)")
def packet_send(request: HttpRequest, packet_id: int, payload: SendIn):
    act = require_perm(request, Perm.DOCUMENTS_MANAGE)
    packet = IntakePacket.objects.filter(pk=packet_id).first()
    if packet is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No intake packet {packet_id}.")
    access_patient(act, packet.patient_id, Perm.DOCUMENTS_MANAGE, what="intake")
    return packet_dict(intake.packet_send(packet=packet, now=timezone.now(), actor=act, new_link=payload.new_link))


@router.get("/review", summary="The acting practitioner's review checklist for a day")
def review_get(request: HttpRequest, day: date | None = None):
    require_perm(request, Perm.CLINICAL_VIEW)
    prac = Practitioner.objects.filter(user=request.user, is_active=True).select_related("discipline").first()
    if prac is None:
        raise ApplicationError(ErrorCode.FORBIDDEN, "Your login is not linked to a practitioner record.")
    loc = Location.objects.filter(is_active=True).order_by("pk").first()
    tz = ZoneInfo(loc.time_zone if loc else "UTC")
    day = day or timezone.now().astimezone(tz).date()
    start = datetime.combine(day, time(0), tzinfo=tz)
    visits = review.day_reviews(prac, start, start + timedelta(days=1))
    return {"day": day, "visits": [{"appointment_id": v.appointment.pk, "block_id": v.appointment.block_id,
                                    "patient_id": v.appointment.patient_id, "start": v.appointment.start,
                                    "ready": v.ready,
                                    "items": [{"kind": i.kind, "id": i.item_id, "title": i.title,
                                               "signed_at": i.signed_at} for i in v.items]} for v in visits]}


@router.post("/review/sign", response={201: dict}, summary="Sign one review item off")
def review_sign(request: HttpRequest, payload: SignIn):
    act = require_perm(request, Perm.CLINICAL_VIEW)
    s = review.sign_off(actor=act, item_kind=payload.item_kind, item_id=payload.item_id)
    return Status(201, {"item_kind": s.item_kind, "item_id": s.item_id, "signed_at": s.signed_at})
