"""Records requests under the HIPAA right of access (45 CFR 164.524): from the patient or from a
third party with an authorisation on file; due 30 days after receipt; one extension of up to 30
days with a written reason and a notice to the requester; psychotherapy notes never released;
what was sent, how and when; the overdue list."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm
from plexus.patients.models import Patient
from plexus.patients.selectors import require
from plexus.records.models import (
    DeliveryMethod,
    Document,
    DocumentType,
    RecordsRequest,
    RequesterKind,
    RequestStatus,
)

DUE_DAYS = 30
EXTENSION_DAYS = 30
ACTIVE = (RequestStatus.OPEN, RequestStatus.EXTENDED)


def _user(actor: Actor):
    return actor.user if getattr(actor.user, "is_authenticated", False) else None


def request_create(*, actor: Actor, patient: Patient, requester_kind: str, requester_name: str, received_on: date,
                   requester_email: str = "", requester_address: str = "", authorisation: Document | None = None,
                   authorisation_reference: str = "", scope: str = "", now=None) -> RecordsRequest:
    require(actor, Perm.DOCUMENTS_MANAGE, patient_id=patient.pk, what="records_request")
    now = now or timezone.now()
    errors = []
    if requester_kind not in RequesterKind.values:
        errors.append(FieldError("requester_kind", "Either 'patient' or 'third_party'."))
    if not (requester_name or "").strip():
        errors.append(FieldError("requester_name", "Who is asking for the records?"))
    if not isinstance(received_on, date):
        errors.append(FieldError("received_on", "A date (YYYY-MM-DD)."))
    elif received_on > timezone.localdate(now):
        errors.append(FieldError("received_on", "The request cannot have been received in the future."))
    if authorisation is not None and (authorisation.patient_id != patient.pk
                                      or authorisation.doc_type != DocumentType.RECORDS_RELEASE):
        errors.append(FieldError("authorisation_id", "Must be a records release document of this patient."))
    if requester_kind == RequesterKind.THIRD_PARTY and authorisation is None and not authorisation_reference.strip():
        errors.append(FieldError("authorisation_id", "A third party needs the patient's authorisation on file: "
                                 "attach the records release document or give its reference."))
    if errors:
        raise validation_error(errors)
    with transaction.atomic():
        req = RecordsRequest.objects.create(
            patient=patient, requester_kind=requester_kind, requester_name=requester_name.strip(),
            requester_email=requester_email.strip(), requester_address=requester_address.strip(),
            authorisation=authorisation, authorisation_reference=authorisation_reference.strip(), scope=scope.strip(),
            received_on=received_on, due_on=received_on + timedelta(days=DUE_DAYS), created_at=now,
            created_by=_user(actor))
        record(actor, AuditAction.CREATE, "records_request", req.pk, patient_id=patient.pk,
               changed_fields=["requester_kind", "requester_name", "received_on", "due_on"], detail=requester_kind)
    return req


def _locked(req: RecordsRequest) -> RecordsRequest:
    return RecordsRequest.objects.select_for_update().select_related("patient").get(pk=req.pk)


def request_extend(*, actor: Actor, request: RecordsRequest, reason: str, now=None) -> RecordsRequest:
    """Take the one extension: due date + 30 days, reason recorded, notice sent (email when an address
    is on file, otherwise recorded as to be sent by mail). A second extension is refused (409)."""
    require(actor, Perm.DOCUMENTS_MANAGE, patient_id=request.patient_id, what="records_request")
    now = now or timezone.now()
    if not (reason or "").strip():
        raise validation_error([FieldError("reason", "Give the reason for the delay; it goes to the requester.")])
    with transaction.atomic():
        req = _locked(request)
        if req.extended_at is not None:
            raise ApplicationError(ErrorCode.CONFLICT, "This request was already extended once; HIPAA allows only one extension.")
        if req.status not in ACTIVE:
            raise ApplicationError(ErrorCode.CONFLICT, f"This request is {req.get_status_display().lower()}.")
        if timezone.localdate(now) > req.due_on:
            raise ApplicationError(ErrorCode.CONFLICT, "The extension notice must go out within the first 30 days; "
                                                       "this request is already overdue.")
        req.due_on = req.due_on + timedelta(days=EXTENSION_DAYS)
        req.status, req.extended_at, req.extension_reason = RequestStatus.EXTENDED, now, reason.strip()
        if req.requester_email:
            send_mail(
                "Your records request: more time needed",
                f"Dear {req.requester_name},\n\nWe received your request for records on {req.received_on:%B %d, %Y}. "
                f"We need more time to complete it, for this reason:\n\n{req.extension_reason}\n\n"
                f"We will complete it no later than {req.due_on:%B %d, %Y}.\n",
                None, [req.requester_email])
            req.extension_notice_method = "email"
        else:
            req.extension_notice_method = "mail"
        req.extension_notice_sent_at = now
        req.save()
        record(actor, AuditAction.UPDATE, "records_request", req.pk, patient_id=req.patient_id,
               changed_fields=["status", "due_on", "extension_reason", "extension_notice_sent_at"],
               detail=f"extended; notice by {req.extension_notice_method}")
    return req


def releasable(patient_id: int):
    """A patient's documents that may be released: psychotherapy notes never are."""
    return Document.objects.filter(patient_id=patient_id, is_psychotherapy_note=False)


def request_fulfil(*, actor: Actor, request: RecordsRequest, documents: list[Document], method: str,
                   sent_at=None, now=None) -> RecordsRequest:
    require(actor, Perm.DOCUMENTS_MANAGE, patient_id=request.patient_id, what="records_request")
    now = now or timezone.now()
    sent_at = sent_at or now
    errors = []
    if method not in DeliveryMethod.values:
        errors.append(FieldError("method", f"One of {', '.join(DeliveryMethod.values)}."))
    docs = list(dict.fromkeys(documents))
    if not docs:
        errors.append(FieldError("documents", "Select the documents that were sent."))
    for d in docs:
        if d.patient_id != request.patient_id:
            errors.append(FieldError("documents", f"Document {d.pk} belongs to another patient."))
        elif d.is_psychotherapy_note:
            errors.append(FieldError("documents", f"Document {d.pk} is a psychotherapy note: excluded from the "
                                                  "right of access (164.524(a)(1)(i)) and never released."))
    if sent_at > now:
        errors.append(FieldError("sent_at", "Cannot be in the future."))
    if errors:
        raise validation_error(errors)
    with transaction.atomic():
        req = _locked(request)
        if req.status not in ACTIVE:
            raise ApplicationError(ErrorCode.CONFLICT, f"This request is already {req.get_status_display().lower()}.")
        req.status, req.delivery_method, req.fulfilled_at = RequestStatus.FULFILLED, method, sent_at
        req.save()
        req.documents_sent.set(docs)
        record(actor, AuditAction.EXPORT, "records_request", req.pk, patient_id=req.patient_id,
               changed_fields=["status", "documents_sent", "delivery_method", "fulfilled_at"],
               detail=f"released {len(docs)} document(s) by {method}: {','.join(str(d.pk) for d in docs)}"[:300])
    return req


def request_deny(*, actor: Actor, request: RecordsRequest, reason: str, now=None) -> RecordsRequest:
    require(actor, Perm.DOCUMENTS_MANAGE, patient_id=request.patient_id, what="records_request")
    now = now or timezone.now()
    if not (reason or "").strip():
        raise validation_error([FieldError("reason", "Give the reason for the denial (it is sent to the requester).")])
    with transaction.atomic():
        req = _locked(request)
        if req.status not in ACTIVE:
            raise ApplicationError(ErrorCode.CONFLICT, f"This request is already {req.get_status_display().lower()}.")
        req.status, req.denied_at, req.denial_reason = RequestStatus.DENIED, now, reason.strip()
        req.save()
        record(actor, AuditAction.UPDATE, "records_request", req.pk, patient_id=req.patient_id,
               changed_fields=["status", "denial_reason"], detail="denied")
    return req


def get_request(request_id: int) -> RecordsRequest:
    req = RecordsRequest.objects.select_related("patient", "authorisation").filter(pk=request_id).first()
    if req is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No records request {request_id}.")
    return req


def overdue(today: date | None = None):
    today = today or timezone.localdate()
    return RecordsRequest.objects.filter(status__in=ACTIVE, due_on__lt=today).select_related("patient")


def tracker(today: date | None = None, *, include_closed: bool = False):
    """Requests for the tracker: overdue first, then by due date; closed ones last (when asked)."""
    today = today or timezone.localdate()
    qs = RecordsRequest.objects.select_related("patient")
    if not include_closed:
        qs = qs.filter(status__in=ACTIVE)
    return qs.annotate(rank=Case(
        When(status__in=ACTIVE, due_on__lt=today, then=Value(0)),
        When(status__in=ACTIVE, then=Value(1)), default=Value(2), output_field=IntegerField(),
    )).order_by("rank", "due_on", "pk")
