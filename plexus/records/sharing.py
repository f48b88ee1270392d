"""External sharing: selected documents of one patient for one outside specialist and one purpose,
through an expiring signed link (optional passcode, stored hashed; attempts limited), with an
access log (when, IP, user agent) and revocation. Also the outgoing referral letter (PDF), filed as
a ``letter`` document so it can be attached to a share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Practice
from plexus.core.permissions import Perm, user_has
from plexus.patients.models import Patient
from plexus.patients.selectors import require
from plexus.records import files
from plexus.records.models import Document, DocumentShare, DocumentType, ShareAccess

SALT = "plexus.records.share"
DEFAULT_DAYS = 14
MAX_DAYS = 90
MAX_ATTEMPTS = 5
MIN_PASSCODE = 6


@dataclass
class ShareRefused(Exception):
    """The link cannot be used: status 410 (expired/revoked), 403 (locked) or 404 (tampered)."""

    status: int
    reason: str
    message: str


def share_token(share: DocumentShare) -> str:
    return signing.dumps({"s": share.pk}, salt=SALT, compress=True)


def share_path(share: DocumentShare) -> str:
    return reverse("records:shared", args=[share_token(share)])


def share_url(share: DocumentShare) -> str:
    return settings.PLEXUS_PUBLIC_URL.rstrip("/") + share_path(share)


def share_create(*, actor: Actor, patient: Patient, documents: list[Document], recipient_name: str, purpose: str,
                 recipient_email: str = "", expires_in_days: int = DEFAULT_DAYS, passcode: str = "",
                 now=None) -> DocumentShare:
    """Create a share. Clinical documents may only be shared by a role with clinical.view;
    psychotherapy notes are never shared this way."""
    require(actor, Perm.DOCUMENTS_MANAGE, patient_id=patient.pk, what="document_share")
    now = now or timezone.now()
    errors = []
    if not (recipient_name or "").strip():
        errors.append(FieldError("recipient_name", "Name the specialist the documents are for."))
    if not (purpose or "").strip():
        errors.append(FieldError("purpose", "State the single purpose of the share (e.g. 'cardiology consult')."))
    if not isinstance(expires_in_days, int) or not 1 <= expires_in_days <= MAX_DAYS:
        errors.append(FieldError("expires_in_days", f"Between 1 and {MAX_DAYS} days."))
    if passcode and len(passcode) < MIN_PASSCODE:
        errors.append(FieldError("passcode", f"At least {MIN_PASSCODE} characters (or leave empty)."))
    docs = list(dict.fromkeys(documents))
    if not docs:
        errors.append(FieldError("documents", "Select at least one document."))
    for d in docs:
        if d.patient_id != patient.pk:
            errors.append(FieldError("documents", f"Document {d.pk} belongs to another patient."))
        elif d.is_psychotherapy_note:
            errors.append(FieldError("documents", f"Document {d.pk} is a psychotherapy note and cannot be shared by link."))
        elif d.is_clinical and not user_has(actor.user, Perm.CLINICAL_VIEW):
            errors.append(FieldError("documents", f"Document {d.pk} is clinical; only a clinician may share it."))
    if errors:
        raise validation_error(errors)
    with transaction.atomic():
        share = DocumentShare.objects.create(
            patient=patient, recipient_name=recipient_name.strip(), recipient_email=recipient_email.strip(),
            purpose=purpose.strip(), expires_at=now + timedelta(days=expires_in_days),
            passcode_hash=make_password(passcode) if passcode else "", created_at=now,
            created_by=actor.user if getattr(actor.user, "is_authenticated", False) else None)
        share.documents.set(docs)
        record(actor, AuditAction.CREATE, "document_share", share.pk, patient_id=patient.pk,
               changed_fields=["documents", "recipient_name", "purpose", "expires_at", "passcode"],
               detail=f"{len(docs)} document(s) for {share.recipient_name[:80]}: {share.purpose[:100]}")
    return share


def share_revoke(*, actor: Actor, share: DocumentShare, now=None) -> DocumentShare:
    require(actor, Perm.DOCUMENTS_MANAGE, patient_id=share.patient_id, what="document_share")
    if share.revoked_at:
        raise ApplicationError(ErrorCode.CONFLICT, "This share was already revoked.")
    now = now or timezone.now()
    with transaction.atomic():
        DocumentShare.objects.filter(pk=share.pk).update(
            revoked_at=now, revoked_by=actor.user if getattr(actor.user, "is_authenticated", False) else None)
        record(actor, AuditAction.UPDATE, "document_share", share.pk, patient_id=share.patient_id,
               changed_fields=["revoked_at"], detail="revoked")
    share.refresh_from_db()
    return share


def share_state(share: DocumentShare, now=None) -> str:
    now = now or timezone.now()
    if share.revoked_at:
        return "revoked"
    if share.expires_at <= now:
        return "expired"
    if share.locked:
        return "locked"
    return "active"


def _log(share: DocumentShare | None, outcome: str, ip, user_agent: str, now, document: Document | None = None):
    ShareAccess.objects.create(share=share, at=now, ip=ip or None, user_agent=(user_agent or "")[:300],
                               outcome=outcome, document=document)


def share_resolve(token: str, *, ip=None, user_agent: str = "", now=None) -> DocumentShare:
    """The share a link names, or ShareRefused (the attempt is logged either way)."""
    now = now or timezone.now()
    try:
        share_id = signing.loads(token, salt=SALT)["s"]
    except (signing.BadSignature, KeyError, TypeError) as exc:
        _log(None, "tampered", ip, user_agent, now)
        raise ShareRefused(404, "tampered", "This link is not valid. Ask the clinic to send it again.") from exc
    share = DocumentShare.objects.select_related("patient").filter(pk=share_id).first()
    if share is None:
        _log(None, "tampered", ip, user_agent, now)
        raise ShareRefused(404, "tampered", "This link is not valid. Ask the clinic to send it again.")
    state = share_state(share, now)
    if state != "active":
        _log(share, state, ip, user_agent, now)
        messages = {
            "revoked": "The clinic has withdrawn this link. Contact the clinic if you still need the documents.",
            "expired": f"This link expired on {timezone.localtime(share.expires_at):%Y-%m-%d %H:%M}. "
                       "Contact the clinic for a new one.",
            "locked": "Too many wrong passcodes: this link is locked. Contact the clinic for a new one.",
        }
        raise ShareRefused(403 if state == "locked" else 410, state, messages[state])
    return share


def share_check_passcode(share: DocumentShare, passcode: str, *, ip=None, user_agent: str = "", now=None) -> bool:
    """True when the passcode matches; a wrong one counts an attempt and locks the link after
    MAX_ATTEMPTS (raises ShareRefused then)."""
    now = now or timezone.now()
    if not share.passcode_hash:
        return True
    if passcode and check_password(passcode, share.passcode_hash):
        return True
    with transaction.atomic():
        row = DocumentShare.objects.select_for_update().get(pk=share.pk)
        row.failed_attempts += 1
        row.locked = row.failed_attempts >= MAX_ATTEMPTS
        row.save(update_fields=["failed_attempts", "locked"])
        _log(share, "locked" if row.locked else "passcode_wrong", ip, user_agent, now)
    share.failed_attempts, share.locked = row.failed_attempts, row.locked
    if row.locked:
        raise ShareRefused(403, "locked", "Too many wrong passcodes: this link is locked. Contact the clinic for a new one.")
    return False


def share_opened(share: DocumentShare, *, ip=None, user_agent: str = "", now=None) -> list[Document]:
    """Log that the recipient saw the list; return the shared documents."""
    now = now or timezone.now()
    _log(share, "opened", ip, user_agent, now)
    docs = list(share.documents.order_by("doc_type", "-service_date", "pk"))
    record(Actor(user=None, ip=ip or None, via="share"), AuditAction.READ, "document_share", share.pk,
           patient_id=share.patient_id, detail=f"opened by {share.recipient_name[:80]}")
    return docs


def share_document(share: DocumentShare, document_id: int, *, ip=None, user_agent: str = "",
                   now=None) -> tuple[Document, bytes]:
    """One shared document's bytes for the recipient (disclosure logged and audited)."""
    now = now or timezone.now()
    doc = share.documents.filter(pk=document_id).first()
    if doc is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "That document is not part of this share.")
    _log(share, "file", ip, user_agent, now, document=doc)
    record(Actor(user=None, ip=ip or None, via="share"), AuditAction.EXPORT, "document", doc.pk,
           patient_id=share.patient_id, detail=f"share {share.pk} to {share.recipient_name[:80]}")
    return doc, files.read_bytes(doc)


def share_accesses(share: DocumentShare) -> list[ShareAccess]:
    return list(share.accesses.select_related("document")[:200])


def patient_shares(patient_id: int) -> list[DocumentShare]:
    return list(DocumentShare.objects.filter(patient_id=patient_id).prefetch_related("documents", "accesses"))


def get_share(share_id: int) -> DocumentShare:
    share = DocumentShare.objects.select_related("patient").filter(pk=share_id).first()
    if share is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No share {share_id}.")
    return share


# ----- referral letter -------------------------------------------------------------------------


def referral_letter_html(*, patient: Patient, author, recipient_name: str, reason: str, body: str, now) -> str:
    return render_to_string("records/pdf/referral_letter.html", {
        "patient": patient, "practice": Practice.objects.first(), "author": author, "recipient_name": recipient_name,
        "reason": reason, "body": body, "date": timezone.localdate(now),
    })


def referral_letter_create(*, actor: Actor, patient: Patient, recipient_name: str, reason: str, body: str = "",
                           disciplines: list[str] | None = None, now=None) -> Document:
    """Write the outgoing referral letter as PDF (WeasyPrint) and file it as a ``letter`` document."""
    require(actor, Perm.CLINICAL_VIEW, patient_id=patient.pk, what="referral_letter")
    now = now or timezone.now()
    errors = []
    if not (recipient_name or "").strip():
        errors.append(FieldError("recipient_name", "Name the specialist the letter is addressed to."))
    if not (reason or "").strip():
        errors.append(FieldError("reason", "State the reason for referral."))
    if errors:
        raise validation_error(errors)
    from plexus.records.documents import to_pdf

    author = getattr(actor.user, "practitioner", None) if actor.user is not None else None
    pdf = to_pdf(referral_letter_html(patient=patient, author=author or actor.user, recipient_name=recipient_name.strip(),
                                      reason=reason.strip(), body=(body or "").strip(), now=now))
    upload = InMemoryUploadedFile(BytesIO(pdf), "file", f"referral-{patient.chart_number}-{now:%Y%m%d}.pdf",
                                  "application/pdf", len(pdf), None)
    return files.document_store(actor=actor, patient=patient, uploaded_file=upload, doc_type=DocumentType.LETTER,
                                source="Plexus referral letter", service_date=timezone.localdate(now),
                                disciplines=disciplines, now=now)
