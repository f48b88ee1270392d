"""Documents: storing an upload (checked by its bytes, not its name), filing by discipline and
type, opening one (audited; clinical content needs clinical.view) and the FHIR R4 DocumentReference
export. Every read of a document's content and every change writes an audit entry."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Discipline
from plexus.core.permissions import Perm, user_has
from plexus.patients.models import Patient
from plexus.patients.selectors import require
from plexus.records.models import Document, DocumentType

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
SNIFF_BYTES = 64

# Canonical content type -> allowed file extensions.
ALLOWED = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/heic": {".heic", ".heif"},
    "image/tiff": {".tif", ".tiff"},
    "text/plain": {".txt"},
}
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "application/x-pdf": "application/pdf",
           "image/heif": "image/heic", "image/heic-sequence": "image/heic", "image/heif-sequence": "image/heic",
           "image/x-tiff": "image/tiff"}
UNKNOWN_CLAIMS = {"", "application/octet-stream"}  # browsers send these for HEIC: the extension still has to match
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}


def max_bytes() -> int:
    value = getattr(settings, "PLEXUS_DOCUMENT_MAX_BYTES", None) or os.environ.get("PLEXUS_DOCUMENT_MAX_BYTES")
    return int(value) if value else DEFAULT_MAX_BYTES


def sniff(head: bytes, data: bytes | None = None, *, allow_text: bool = False) -> str | None:
    """The content type the bytes really are, or None when they are not an allowed type."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "image/heic"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if allow_text and data is not None and b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/plain"
    return None


@dataclass(frozen=True, slots=True)
class Checked:
    data: bytes
    content_type: str
    ext: str
    name: str


def check_upload(uploaded_file) -> Checked:
    """Read and check an upload: size, then bytes against allowed types and against the claimed
    content type and extension. Raises a 422 naming ``file``; nothing is stored."""
    if uploaded_file is None:
        raise validation_error([FieldError("file", "Choose a file to upload.")])
    limit = max_bytes()
    name = os.path.basename(getattr(uploaded_file, "name", "") or "")
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise validation_error([FieldError("file", f"The file is {size:,} bytes; the limit is {limit:,} bytes.")])
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise validation_error([FieldError("file", f"The file is larger than the limit of {limit:,} bytes.")])
    if not data:
        raise validation_error([FieldError("file", "The file is empty.")])
    ext = os.path.splitext(name)[1].lower()
    actual = sniff(data[:SNIFF_BYTES], data, allow_text=ext == ".txt")
    if actual is None:
        raise validation_error([FieldError(
            "file", "The file's content is not an allowed type (PDF, PNG, JPEG, HEIC/HEIF, TIFF, or plain text as .txt).")])
    claimed = (getattr(uploaded_file, "content_type", "") or "").split(";")[0].strip().lower()
    claimed = ALIASES.get(claimed, claimed)
    if claimed not in UNKNOWN_CLAIMS and claimed != actual:
        raise validation_error([FieldError("file", f"The file says it is {claimed} but its content is {actual}.")])
    if ext not in ALLOWED[actual]:
        raise validation_error([FieldError(
            "file", f"The file name ends in {ext or '(no extension)'} but its content is {actual}.")])
    return Checked(data=data, content_type=actual, ext=ext if ext != ".jpeg" else ".jpg", name=name[:255])


def filing_path(patient_id: int, doc_type: str, disciplines: list[str], ext: str) -> str:
    """Where a document is filed: patients/<id>/<first discipline or general>/<type>/<random><ext>."""
    folder = disciplines[0] if disciplines else "general"
    return f"patients/{patient_id}/{folder}/{doc_type}/{uuid.uuid4().hex}{ext}"


def _check_fields(doc_type: str, source: str, service_date, disciplines: list[str], today: date) -> list[FieldError]:
    errors = []
    if doc_type not in DocumentType.values:
        errors.append(FieldError("doc_type", f"Unknown document type {doc_type!r}; one of {', '.join(DocumentType.values)}."))
    if not (source or "").strip():
        errors.append(FieldError("source", "Say where the document came from (e.g. 'patient portal', the lab's name)."))
    elif len(source) > 200:
        errors.append(FieldError("source", "At most 200 characters."))
    if service_date is not None and not isinstance(service_date, date):
        errors.append(FieldError("service_date", "A date (YYYY-MM-DD)."))
    elif service_date is not None and service_date > today:
        errors.append(FieldError("service_date", "The date of service cannot be in the future."))
    known = set(Discipline.objects.filter(code__in=disciplines).values_list("code", flat=True))
    unknown = [d for d in disciplines if d not in known]
    if unknown:
        errors.append(FieldError("disciplines", f"Unknown discipline code(s): {', '.join(unknown)}."))
    return errors


def document_store(*, actor: Actor, patient: Patient, uploaded_file, doc_type: str, source: str, service_date=None,
                   disciplines: list[str] | None = None, now=None) -> Document:
    """Check and store an upload as a patient's document, filed by type and discipline.

    The caller has already checked the actor may file documents for this patient (staff views use
    documents.manage; the patient portal its own link). Refusals (422) name the field; nothing is
    stored on refusal and no orphan file is left behind."""
    now = now or timezone.now()
    disciplines = sorted(dict.fromkeys(d.strip() for d in (disciplines or []) if d and d.strip()))
    errors = _check_fields(doc_type, source, service_date, disciplines, timezone.localdate(now))
    try:
        checked = check_upload(uploaded_file)
    except ApplicationError as exc:
        errors = exc.errors + errors
    if errors:
        raise validation_error(errors)
    storage = Document._meta.get_field("file").storage
    name = storage.save(filing_path(patient.pk, doc_type, disciplines, checked.ext), ContentFile(checked.data))
    try:
        with transaction.atomic():
            doc = Document.objects.create(
                patient=patient, doc_type=doc_type, source=source.strip(), service_date=service_date,
                disciplines=disciplines, file=name, original_name=checked.name, content_type=checked.content_type,
                size=len(checked.data), sha256=hashlib.sha256(checked.data).hexdigest(), uploaded_at=now,
                uploaded_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
                title=os.path.splitext(checked.name)[0][:200],
            )
            record(actor, AuditAction.CREATE, "document", doc.pk, patient_id=patient.pk,
                   changed_fields=["file", "doc_type", "source", "service_date", "disciplines"], detail=doc_type)
    except Exception:
        storage.delete(name)
        raise
    return doc


def document_update(*, actor: Actor, document: Document, doc_type: str | None = None, source: str | None = None,
                    disciplines: list[str] | None = None, is_psychotherapy_note: bool | None = None) -> Document:
    """Refile a document (type, source, disciplines) or mark it a psychotherapy note. The stored
    path is not moved: the filing view groups by the row's fields."""
    require(actor, Perm.DOCUMENTS_MANAGE, patient_id=document.patient_id, what="document")
    if is_psychotherapy_note is not None:
        require(actor, Perm.CLINICAL_VIEW, patient_id=document.patient_id, what="document.psychotherapy_note")
    changes = {}
    if doc_type is not None:
        changes["doc_type"] = doc_type
    if source is not None:
        changes["source"] = source.strip()
    if disciplines is not None:
        changes["disciplines"] = sorted(dict.fromkeys(disciplines))
    if is_psychotherapy_note is not None:
        changes["is_psychotherapy_note"] = bool(is_psychotherapy_note)
    errors = _check_fields(changes.get("doc_type", document.doc_type), changes.get("source", document.source), None,
                           changes.get("disciplines", document.disciplines), timezone.localdate())
    if errors:
        raise validation_error(errors)
    changed = [k for k, v in changes.items() if getattr(document, k) != v]
    if changed:
        with transaction.atomic():
            Document.objects.filter(pk=document.pk).update(**changes)
            record(actor, AuditAction.UPDATE, "document", document.pk, patient_id=document.patient_id,
                   changed_fields=changed)
        document.refresh_from_db()
    return document


def get_document(document_id: int) -> Document:
    doc = Document.objects.select_related("patient", "uploaded_by").filter(pk=document_id).first()
    if doc is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No document {document_id}.")
    return doc


def can_open(user, document: Document) -> bool:
    """Minimum necessary: administrative documents for documents.view; clinical ones also clinical.view."""
    return user_has(user, Perm.DOCUMENTS_VIEW) and (not document.is_clinical or user_has(user, Perm.CLINICAL_VIEW))


def document_read(*, actor: Actor, document: Document, purpose: str = "view") -> bytes:
    """The document's bytes, after the role check; audited (read, or denied)."""
    require(actor, Perm.DOCUMENTS_VIEW, patient_id=document.patient_id, what="document")
    if document.is_clinical:
        require(actor, Perm.CLINICAL_VIEW, patient_id=document.patient_id, what="document.content")
    data = read_bytes(document)
    action = AuditAction.EXPORT if purpose in {"download", "fhir"} else AuditAction.READ
    record(actor, action, "document", document.pk, patient_id=document.patient_id, detail=purpose)
    return data


def read_bytes(document: Document) -> bytes:
    with document.file.open("rb") as fh:
        return fh.read()


def patient_documents(patient_id: int) -> list[Document]:
    return list(Document.objects.filter(patient_id=patient_id).select_related("uploaded_by"))


def filing(documents: list[Document]) -> list[dict]:
    """Documents grouped by discipline (a document concerning two disciplines appears under both;
    none: 'General'), then by type, newest service date first."""
    names = dict(Discipline.objects.values_list("code", "name"))
    labels = dict(DocumentType.choices)
    tree: dict[str, dict[str, list[Document]]] = defaultdict(lambda: defaultdict(list))
    for doc in documents:
        for code in doc.disciplines or ["general"]:
            tree[code][doc.doc_type].append(doc)
    order = list(DocumentType.values)
    out = []
    for code in sorted(tree, key=lambda c: (c == "general", names.get(c, c))):
        types = [{"code": t, "label": labels.get(t, t),
                  "documents": sorted(tree[code][t], key=lambda d: (d.service_date or date.min, d.uploaded_at), reverse=True)}
                 for t in sorted(tree[code], key=order.index)]
        out.append({"code": code, "name": names.get(code, "General") if code != "general" else "General", "types": types})
    return out


# ----- FHIR R4 DocumentReference ---------------------------------------------------------------

LOINC = {
    DocumentType.INTAKE: ("51848-0", "Evaluation note"),
    DocumentType.LAB_RESULT: ("11502-2", "Laboratory report"),
    DocumentType.IMAGING: ("18748-4", "Diagnostic imaging study"),
    DocumentType.EXTERNAL_CONSULT_NOTE: ("11488-4", "Consult note"),
    DocumentType.CONSENT: ("59284-0", "Consent Document"),
    DocumentType.INSURANCE_CARD_FRONT: ("64290-0", "Insurance card"),
    DocumentType.INSURANCE_CARD_BACK: ("64290-0", "Insurance card"),
    DocumentType.PHOTO_ID: ("53245-7", "Driver license"),
    DocumentType.PRIOR_RECORDS: ("34133-9", "Summary of episode note"),
    DocumentType.RECORDS_RELEASE: ("64298-3", "Power of attorney"),
    DocumentType.LETTER: ("34140-4", "Transfer of care referral note"),
}
SYSTEM = "https://plexus.invalid/fhir/CodeSystem/document-type"


def document_reference(doc: Document, *, embed: bytes | None = None) -> dict:
    """A FHIR R4 DocumentReference for doc; the content is a link to the API (or embedded bytes)."""
    code, display = LOINC[doc.doc_type]
    attachment: dict = {"contentType": doc.content_type, "size": doc.size, "title": doc.original_name or doc.title,
                        "creation": doc.uploaded_at.isoformat()}
    if embed is not None:
        attachment["data"] = base64.b64encode(embed).decode()
    else:
        attachment["url"] = f"/api/records/documents/{doc.pk}/content"
    out: dict = {
        "resourceType": "DocumentReference",
        "id": f"document-{doc.pk}",
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:sha256:{doc.sha256}"}],
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": code, "display": display},
                            {"system": SYSTEM, "code": doc.doc_type, "display": doc.get_doc_type_display()}],
                 "text": doc.get_doc_type_display()},
        "category": [{"coding": [{"system": SYSTEM + "-category",
                                  "code": "clinical" if doc.is_clinical else "administrative"}]}],
        "subject": {"reference": f"Patient/{doc.patient_id}"},
        "date": doc.uploaded_at.isoformat(),
        "description": doc.title or doc.get_doc_type_display(),
        "content": [{"attachment": attachment}],
    }
    ctx: dict = {}
    if doc.service_date:
        ctx["period"] = {"start": doc.service_date.isoformat(), "end": doc.service_date.isoformat()}
    if doc.disciplines:
        ctx["practiceSetting"] = {"coding": [{"system": "https://plexus.invalid/fhir/CodeSystem/discipline", "code": c}
                                             for c in doc.disciplines]}
    if doc.source:
        ctx["related"] = [{"display": f"Source: {doc.source}"}]
    if ctx:
        out["context"] = ctx
    if doc.is_psychotherapy_note:
        out["securityLabel"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                             "code": "PSY", "display": "psychiatry disorder information sensitivity"}]}]
    return out


def documents_bundle(docs: list[Document]) -> dict:
    return {"resourceType": "Bundle", "type": "collection", "timestamp": timezone.now().isoformat(),
            "entry": [{"fullUrl": f"urn:plexus:document:{d.pk}", "resource": document_reference(d)} for d in docs]}


def fhir_export(*, actor: Actor, document: Document) -> dict:
    """The DocumentReference of one document (metadata: documents.view), audited as an export."""
    require(actor, Perm.DOCUMENTS_VIEW, patient_id=document.patient_id, what="document")
    record(actor, AuditAction.EXPORT, "document", document.pk, patient_id=document.patient_id, detail="fhir")
    return document_reference(document)


def fhir_export_patient(*, actor: Actor, patient: Patient) -> dict:
    require(actor, Perm.DOCUMENTS_VIEW, patient_id=patient.pk, what="documents")
    docs = patient_documents(patient.pk)
    record(actor, AuditAction.EXPORT, "document", "", patient_id=patient.pk, detail=f"fhir bundle of {len(docs)}")
    return documents_bundle(docs)
