"""API for documents (upload checked by content, metadata, content, refiling, FHIR R4
DocumentReference per document and per patient), records requests (HIPAA right of access) and
external shares (expiring links, access log, revocation, referral letter). Attached to the records
router (tag "records") by the import at the end of plexus/records/api.py."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import File, Form, Query, Schema, Status
from ninja.files import UploadedFile

from plexus.core.api_utils import require_perm
from plexus.core.permissions import Perm, user_has
from plexus.patients.selectors import access_patient
from plexus.records import access_requests, files, sharing
from plexus.records.api import FHIR_JSON, router
from plexus.records.models import Document, DocumentShare, RecordsRequest


class DocumentOut(Schema):
    id: int
    patient_id: int
    doc_type: str
    doc_type_label: str
    title: str
    source: str
    service_date: date | None
    disciplines: list[str]
    content_type: str
    size: int
    sha256: str
    is_psychotherapy_note: bool
    is_clinical: bool
    uploaded_at: datetime
    uploaded_by: str | None
    content_url: str | None


class DocumentUploadIn(Schema):
    patient_id: int
    doc_type: str
    source: str
    service_date: date | None = None
    disciplines: list[str] = []


class DocumentPatch(Schema):
    doc_type: str | None = None
    source: str | None = None
    disciplines: list[str] | None = None
    is_psychotherapy_note: bool | None = None


def _d(d: Document, user=None) -> dict:
    openable = user is None or files.can_open(user, d)
    return {"id": d.pk, "patient_id": d.patient_id, "doc_type": d.doc_type, "doc_type_label": d.get_doc_type_display(),
            "title": d.title, "source": d.source, "service_date": d.service_date, "disciplines": d.disciplines,
            "content_type": d.content_type, "size": d.size, "sha256": d.sha256,
            "is_psychotherapy_note": d.is_psychotherapy_note, "is_clinical": d.is_clinical,
            "uploaded_at": d.uploaded_at, "uploaded_by": d.uploaded_by.username if d.uploaded_by else None,
            "content_url": f"/api/records/documents/{d.pk}/content" if openable else None}


def _doc(request: HttpRequest, document_id: int, perm: Perm = Perm.DOCUMENTS_VIEW):
    act = require_perm(request, perm)
    d = files.get_document(document_id)
    access_patient(act, d.patient_id, perm, what="document")
    return act, d


@router.get("/documents", response=list[DocumentOut], summary="A patient's documents (metadata), newest first")
def document_list(request: HttpRequest, patient_id: int, doc_type: str = "", discipline: str = ""):
    act = require_perm(request, Perm.DOCUMENTS_VIEW)
    access_patient(act, patient_id, Perm.DOCUMENTS_VIEW, what="documents")
    docs = files.patient_documents(patient_id)
    return [_d(d, request.user) for d in docs
            if (not doc_type or d.doc_type == doc_type) and (not discipline or discipline in d.disciplines)]


@router.post("/documents", response={201: DocumentOut},
             summary="Upload a document (multipart): checked by content and size; 422 names the field, nothing stored")
def document_upload(request: HttpRequest, payload: Form[DocumentUploadIn], file: File[UploadedFile]):
    act = require_perm(request, Perm.DOCUMENTS_MANAGE)
    patient = access_patient(act, payload.patient_id, Perm.DOCUMENTS_MANAGE, what="documents")
    d = files.document_store(actor=act, patient=patient, uploaded_file=file, doc_type=payload.doc_type,
                             source=payload.source, service_date=payload.service_date,
                             disciplines=payload.disciplines)
    return Status(201, _d(d, request.user))


@router.get("/documents/fhir", summary="A patient's documents as a FHIR R4 Bundle of DocumentReference")
def document_bundle(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.DOCUMENTS_VIEW)
    patient = access_patient(act, patient_id, Perm.DOCUMENTS_VIEW, what="documents")
    return JsonResponse(files.fhir_export_patient(actor=act, patient=patient), content_type=FHIR_JSON)


@router.get("/documents/{document_id}", response=DocumentOut)
def document_get(request: HttpRequest, document_id: int):
    return _d(_doc(request, document_id)[1], request.user)


@router.patch("/documents/{document_id}", response=DocumentOut,
              summary="Refile (type, source, disciplines) or flag a psychotherapy note (clinicians only)")
def document_patch(request: HttpRequest, document_id: int, payload: DocumentPatch):
    act, d = _doc(request, document_id, Perm.DOCUMENTS_MANAGE)
    d = files.document_update(actor=act, document=d, **payload.dict(exclude_unset=True))
    return _d(d, request.user)


@router.get("/documents/{document_id}/content",
            summary="The file (audited); clinical document types need clinical.view (minimum necessary)")
def document_content(request: HttpRequest, document_id: int):
    act, d = _doc(request, document_id)
    data = files.document_read(actor=act, document=d, purpose="download")
    resp = HttpResponse(data, content_type=d.content_type)
    resp["Content-Disposition"] = f'attachment; filename="document-{d.pk}"'
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


@router.get("/documents/{document_id}/fhir", summary="The document as a FHIR R4 DocumentReference")
def document_fhir(request: HttpRequest, document_id: int):
    act, d = _doc(request, document_id)
    return JsonResponse(files.fhir_export(actor=act, document=d), content_type=FHIR_JSON)


# ----- records requests ------------------------------------------------------------------------


class RequestIn(Schema):
    patient_id: int
    requester_kind: str
    requester_name: str
    received_on: date
    requester_email: str = ""
    requester_address: str = ""
    authorisation_id: int | None = None
    authorisation_reference: str = ""
    scope: str = ""


class RequestOut(Schema):
    id: int
    patient_id: int
    requester_kind: str
    requester_name: str
    requester_email: str
    authorisation_id: int | None
    authorisation_reference: str
    scope: str
    received_on: date
    due_on: date
    overdue: bool
    status: str
    extended_at: datetime | None
    extension_reason: str
    extension_notice_sent_at: datetime | None
    extension_notice_method: str
    documents_sent: list[int]
    delivery_method: str
    fulfilled_at: datetime | None
    denied_at: datetime | None
    denial_reason: str


class ReasonIn(Schema):
    reason: str


class FulfilIn(Schema):
    document_ids: list[int]
    method: str
    sent_at: datetime | None = None


class RequestQuery(Schema):
    overdue: bool = False
    include_closed: bool = False
    patient_id: int | None = None


def _rq(r: RecordsRequest) -> dict:
    from django.utils import timezone

    out = {f: getattr(r, f) for f in RequestOut.model_fields if hasattr(r, f) and f not in {"documents_sent", "overdue"}}
    out["documents_sent"] = sorted(r.documents_sent.values_list("pk", flat=True))
    out["overdue"] = r.status in access_requests.ACTIVE and r.due_on < timezone.localdate()
    return out


def _req(request: HttpRequest, request_id: int, perm: Perm = Perm.DOCUMENTS_MANAGE):
    act = require_perm(request, perm)
    r = access_requests.get_request(request_id)
    access_patient(act, r.patient_id, perm, what="records_request")
    return act, r


@router.get("/records-requests", response=list[RequestOut],
            summary="Records requests: overdue first, then by due date (overdue=true: only overdue)")
def request_list(request: HttpRequest, q: Query[RequestQuery]):
    require_perm(request, Perm.DOCUMENTS_VIEW)
    qs = access_requests.overdue() if q.overdue else access_requests.tracker(include_closed=q.include_closed)
    if q.patient_id:
        qs = qs.filter(patient_id=q.patient_id)
    return [_rq(r) for r in qs.prefetch_related("documents_sent")]


@router.post("/records-requests", response={201: RequestOut},
             summary="Log a request (due in 30 days); a third party needs an authorisation on file")
def request_create(request: HttpRequest, payload: RequestIn):
    act = require_perm(request, Perm.DOCUMENTS_MANAGE)
    patient = access_patient(act, payload.patient_id, Perm.DOCUMENTS_MANAGE, what="records_request")
    auth = None
    if payload.authorisation_id:
        auth = Document.objects.filter(pk=payload.authorisation_id).first()
        if auth is None:
            from plexus.core.errors import FieldError, validation_error

            raise validation_error([FieldError("authorisation_id", f"No document {payload.authorisation_id}.")])
    data = payload.dict(exclude={"patient_id", "authorisation_id"})
    r = access_requests.request_create(actor=act, patient=patient, authorisation=auth, **data)
    return Status(201, _rq(r))


@router.get("/records-requests/{request_id}", response=RequestOut)
def request_get(request: HttpRequest, request_id: int):
    return _rq(_req(request, request_id, Perm.DOCUMENTS_VIEW)[1])


@router.post("/records-requests/{request_id}/extend", response=RequestOut,
             summary="The one 30-day extension: reason recorded, notice sent to the requester; 409 the second time")
def request_extend(request: HttpRequest, request_id: int, payload: ReasonIn):
    act, r = _req(request, request_id)
    return _rq(access_requests.request_extend(actor=act, request=r, reason=payload.reason))


@router.post("/records-requests/{request_id}/fulfil", response=RequestOut,
             summary="Record what was sent, how and when (psychotherapy notes are refused)")
def request_fulfil(request: HttpRequest, request_id: int, payload: FulfilIn):
    act, r = _req(request, request_id)
    docs = list(Document.objects.filter(pk__in=payload.document_ids))
    missing = set(payload.document_ids) - {d.pk for d in docs}
    if missing:
        from plexus.core.errors import FieldError, validation_error

        raise validation_error([FieldError("document_ids", f"No document(s) {sorted(missing)}.")])
    return _rq(access_requests.request_fulfil(actor=act, request=r, documents=docs, method=payload.method,
                                              sent_at=payload.sent_at))


@router.post("/records-requests/{request_id}/deny", response=RequestOut)
def request_deny(request: HttpRequest, request_id: int, payload: ReasonIn):
    act, r = _req(request, request_id)
    return _rq(access_requests.request_deny(actor=act, request=r, reason=payload.reason))


# ----- external shares -------------------------------------------------------------------------


class ShareIn(Schema):
    patient_id: int
    document_ids: list[int]
    recipient_name: str
    purpose: str
    recipient_email: str = ""
    expires_in_days: int = sharing.DEFAULT_DAYS
    passcode: str = ""


class AccessOut(Schema):
    at: datetime
    ip: str | None
    user_agent: str
    outcome: str
    document_id: int | None


class ShareOut(Schema):
    id: int
    patient_id: int
    document_ids: list[int]
    recipient_name: str
    recipient_email: str
    purpose: str
    expires_at: datetime
    has_passcode: bool
    failed_attempts: int
    state: str
    revoked_at: datetime | None
    created_at: datetime
    url: str | None = None
    accesses: list[AccessOut] = []


class LetterIn(Schema):
    patient_id: int
    recipient_name: str
    reason: str
    body: str = ""
    disciplines: list[str] = []


def _s(s: DocumentShare, *, url: bool = False, accesses: bool = False) -> dict:
    return {"id": s.pk, "patient_id": s.patient_id, "document_ids": sorted(d.pk for d in s.documents.all()),
            "recipient_name": s.recipient_name, "recipient_email": s.recipient_email, "purpose": s.purpose,
            "expires_at": s.expires_at, "has_passcode": bool(s.passcode_hash), "failed_attempts": s.failed_attempts,
            "state": sharing.share_state(s), "revoked_at": s.revoked_at, "created_at": s.created_at,
            "url": sharing.share_url(s) if url else None,
            "accesses": [{"at": a.at, "ip": a.ip, "user_agent": a.user_agent, "outcome": a.outcome,
                          "document_id": a.document_id} for a in sharing.share_accesses(s)] if accesses else []}


def _share(request: HttpRequest, share_id: int, perm: Perm):
    act = require_perm(request, perm)
    s = sharing.get_share(share_id)
    access_patient(act, s.patient_id, perm, what="document_share")
    return act, s


@router.get("/shares", response=list[ShareOut], summary="A patient's shared links")
def share_list(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.DOCUMENTS_VIEW)
    access_patient(act, patient_id, Perm.DOCUMENTS_VIEW, what="document_shares")
    return [_s(s) for s in sharing.patient_shares(patient_id)]


@router.post("/shares", response={201: ShareOut},
             summary="Share documents with a specialist: expiring single-purpose link (url returned once), optional passcode")
def share_create(request: HttpRequest, payload: ShareIn):
    act = require_perm(request, Perm.DOCUMENTS_MANAGE)
    patient = access_patient(act, payload.patient_id, Perm.DOCUMENTS_MANAGE, what="document_share")
    docs = list(Document.objects.filter(pk__in=payload.document_ids))
    missing = set(payload.document_ids) - {d.pk for d in docs}
    if missing:
        from plexus.core.errors import FieldError, validation_error

        raise validation_error([FieldError("document_ids", f"No document(s) {sorted(missing)}.")])
    s = sharing.share_create(actor=act, patient=patient, documents=docs,
                             **payload.dict(exclude={"patient_id", "document_ids"}))
    return Status(201, _s(s, url=True))


@router.get("/shares/{share_id}", response=ShareOut, summary="One share with its access log")
def share_get(request: HttpRequest, share_id: int):
    _, s = _share(request, share_id, Perm.DOCUMENTS_VIEW)
    return _s(s, url=sharing.share_state(s) == "active" and user_has(request.user, Perm.DOCUMENTS_MANAGE),
              accesses=True)


@router.post("/shares/{share_id}/revoke", response=ShareOut, summary="Revoke: the link is refused from now on (410)")
def share_revoke(request: HttpRequest, share_id: int):
    act, s = _share(request, share_id, Perm.DOCUMENTS_MANAGE)
    return _s(sharing.share_revoke(actor=act, share=s), accesses=True)


@router.post("/referral-letters", response={201: DocumentOut},
             summary="Write an outgoing referral letter (PDF, filed as a letter document) to attach to a share")
def referral_letter(request: HttpRequest, payload: LetterIn):
    act = require_perm(request, Perm.CLINICAL_VIEW)
    patient = access_patient(act, payload.patient_id, Perm.CLINICAL_VIEW, what="referral_letter")
    d = sharing.referral_letter_create(actor=act, patient=patient, **payload.dict(exclude={"patient_id"}))
    return Status(201, _d(d, request.user))
