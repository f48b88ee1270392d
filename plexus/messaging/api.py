"""API for messaging: the delivery log, replies, templates (edit and preview), message previews and
"send now" for anything a higher layer composes (e.g. ``visit_block:42``), contact preferences."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from plexus.core.api_utils import Page, paginate, require_perm
from plexus.core.audit import record
from plexus.core.errors import FieldError, validation_error
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm
from plexus.messaging import selectors, services
from plexus.messaging.models import Message, MessageTemplate
from plexus.messaging.registry import get_composer
from plexus.messaging.templating import SAMPLE_CONTEXT, render, template_errors
from plexus.patients.selectors import access_patient

router = Router(tags=["messaging"])


class MessageOut(Schema):
    id: int
    patient_id: int
    patient_name: str
    channel: str
    kind: str
    language: str
    to: str
    subject: str
    body: str
    status: str
    provider_id: str
    error: str
    attempts: int
    next_attempt_at: datetime
    ref: str
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None

    @staticmethod
    def resolve_patient_name(obj: Message) -> str:
        return obj.patient.display_name


class LogQuery(Schema):
    status: str = ""
    channel: str = ""
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None
    patient_id: int | None = None
    ref: str = ""
    limit: int = 50
    offset: int = 0


class ReplyOut(Schema):
    id: int
    channel: str
    patient_id: int | None
    sender: str
    body: str
    action: str
    ref: str
    ok: bool
    result: str
    received_at: datetime


class TemplateOut(Schema):
    id: int
    kind: str
    channel: str
    language: str
    subject: str
    body: str
    updated_at: datetime


class TemplateIn(Schema):
    subject: str = ""
    body: str


class TemplatePreviewIn(Schema):
    channel: str
    subject: str = ""
    body: str


class RefIn(Schema):
    ref: str


class DraftOut(Schema):
    channel: str
    kind: str
    language: str
    to: str
    subject: str
    body: str
    label: str
    problem: str


class PreferenceOut(Schema):
    patient_id: int
    email_enabled: bool
    sms_enabled: bool
    email_consent: bool
    sms_consent: bool
    email_opted_out_at: datetime | None
    sms_opted_out_at: datetime | None
    language: str
    quiet_start: time
    quiet_end: time
    usable_channels: list[str]
    problems: dict[str, str]


class PreferenceIn(Schema):
    email_enabled: bool | None = None
    sms_enabled: bool | None = None
    email_consent: bool | None = None
    sms_consent: bool | None = None
    language: str | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None


def _message(m: Message) -> dict:
    return MessageOut.from_orm(m).dict()


@router.get("/messages", response=Page, summary="The delivery log (filters: status, channel, kind, dates, patient)")
def message_list(request: HttpRequest, q: Query[LogQuery]):
    act = require_perm(request, Perm.MESSAGING_VIEW)
    if q.patient_id is not None:
        access_patient(act, q.patient_id, Perm.MESSAGING_VIEW, what="messages")
    f = selectors.LogFilter(status=q.status, channel=q.channel, kind=q.kind, date_from=q.date_from,
                            date_to=q.date_to, patient_id=q.patient_id, ref=q.ref)
    qs = selectors.messages_query(f)
    if q.patient_id is None:
        record(act, AuditAction.READ, "message.log", detail="api")
    return paginate(qs, q.limit, q.offset, _message)


@router.get("/messages/{message_id}", response=MessageOut)
def message_get(request: HttpRequest, message_id: int):
    act = require_perm(request, Perm.MESSAGING_VIEW)
    msg = selectors.get_message(message_id)
    access_patient(act, msg.patient_id, Perm.MESSAGING_VIEW, what="message")
    return msg


@router.get("/replies", response=Page, summary="Patients' replies (SMS, links, unsubscribes), newest first")
def reply_list(request: HttpRequest, patient_id: int | None = None, limit: int = 50, offset: int = 0):
    act = require_perm(request, Perm.MESSAGING_VIEW)
    if patient_id is not None:
        access_patient(act, patient_id, Perm.MESSAGING_VIEW, what="replies")
    return paginate(selectors.replies_query(patient_id=patient_id), limit, offset,
                    lambda r: ReplyOut.from_orm(r).dict())


class HandleIn(Schema):
    note: str = ""


def _request_dict(r) -> dict:
    kind, _, ident = r.ref.partition(":")
    return {"id": r.id, "patient_id": r.patient_id, "patient_name": r.patient.display_name if r.patient else "",
            "channel": r.channel, "received_at": r.received_at, "ref": r.ref,
            "visit_block_id": int(ident) if kind == "visit_block" and ident.isdigit() else None,
            "handled_at": r.handled_at, "handled_note": r.handled_note}


@router.get("/requests", response=Page, summary="Patients' open requests to reschedule, oldest first")
def request_list(request: HttpRequest, limit: int = 50, offset: int = 0):
    require_perm(request, Perm.MESSAGING_VIEW)
    return paginate(selectors.open_requests(), limit, offset, _request_dict)


@router.post("/requests/{reply_id}/handled", summary="Mark a patient's request handled (e.g. after rebooking)")
def request_handled(request: HttpRequest, reply_id: int, payload: HandleIn):
    act = require_perm(request, Perm.MESSAGING_SEND)
    return _request_dict(services.reply_handle(actor=act, reply_id=reply_id, note=payload.note, now=timezone.now()))


@router.get("/templates", response=list[TemplateOut])
def template_list(request: HttpRequest):
    require_perm(request, Perm.TEMPLATES_MANAGE)
    return list(MessageTemplate.objects.all())


@router.post("/templates/preview", summary="Render unsaved wording with sample values (422 for unknown placeholders)")
def template_preview(request: HttpRequest, payload: TemplatePreviewIn):
    require_perm(request, Perm.TEMPLATES_MANAGE)
    if payload.channel not in ("email", "sms"):
        raise validation_error([FieldError("channel", "Use email or sms.")])
    errors = template_errors(channel=payload.channel, subject=payload.subject, body=payload.body)
    if errors:
        raise validation_error(errors)
    return {"subject": render(payload.subject, SAMPLE_CONTEXT) if payload.channel == "email" else "",
            "body": render(payload.body, SAMPLE_CONTEXT)}


@router.put("/templates/{template_id}", response=TemplateOut,
            summary="Change a template's wording (422 names subject or body for unknown placeholders)")
def template_put(request: HttpRequest, template_id: int, payload: TemplateIn):
    act = require_perm(request, Perm.TEMPLATES_MANAGE)
    tpl = selectors.get_template(template_id)
    return services.template_update(actor=act, template=tpl, subject=payload.subject, body=payload.body,
                                    now=timezone.now())


def _ref_patient(request: HttpRequest, ref: str, perm: Perm):
    act = require_perm(request, perm)
    composer = get_composer(ref)
    access_patient(act, composer.patient_id(ref), perm, what="messages")
    return act, composer


@router.get("/preview", response=list[DraftOut],
            summary="What would be sent now for a ref such as visit_block:42, on each channel")
def preview(request: HttpRequest, ref: str):
    _, composer = _ref_patient(request, ref, Perm.MESSAGING_VIEW)
    return [asdict(d) for d in composer.preview(ref, now=timezone.now())]


@router.post("/send-now", response={201: list[MessageOut]},
             summary="Queue and send the message for a ref now (409 when the patient cannot be reached)")
def send_now(request: HttpRequest, payload: RefIn):
    act, composer = _ref_patient(request, payload.ref, Perm.MESSAGING_SEND)
    ids = composer.send_now(payload.ref, actor=act, now=timezone.now())
    return Status(201, list(Message.objects.filter(pk__in=ids).select_related("patient")))


def _pref_out(patient) -> dict:
    pref = services.preference_for(patient)
    who = services.recipient(patient, pref)
    out = {f: getattr(pref, f) for f in PreferenceOut.model_fields if hasattr(pref, f)}
    out.update(patient_id=patient.pk, usable_channels=who.channels, problems=who.problems)
    return out


@router.get("/patients/{patient_id}/preferences", response=PreferenceOut)
def preference_get(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.PATIENT_VIEW)
    return _pref_out(access_patient(act, patient_id, Perm.PATIENT_VIEW, what="contact_preference"))


@router.patch("/patients/{patient_id}/preferences", response=PreferenceOut,
              summary="Change consent, channels, language or quiet hours (consent on clears an opt-out)")
def preference_patch(request: HttpRequest, patient_id: int, payload: PreferenceIn):
    act = require_perm(request, Perm.PATIENT_EDIT)
    patient = access_patient(act, patient_id, Perm.PATIENT_EDIT, what="contact_preference")
    services.preference_update(actor=act, patient=patient, now=timezone.now(),
                               **payload.dict(exclude_none=True))
    return _pref_out(patient)
