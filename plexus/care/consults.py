"""Consultation notes (internal and from external specialists): logged on receipt, routed to the
responsible practitioner on the care team, receipt confirmed back to the sender by email, review
sign-off by the responsible practitioner.

The receipt email carries no clinical content and no patient name (minimum necessary, HIPAA
45 CFR 164.502(b)): only our reference, the note's date and the practice's name.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from plexus.care.access import require_practitioner
from plexus.care.models import CareTeamMember, ConsultKind, ConsultNote
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Practice
from plexus.patients.models import Patient


def reference(note: ConsultNote) -> str:
    return f"CN-{note.pk:06d}"


@transaction.atomic
def consult_log(*, actor: Actor, patient: Patient, kind: str, source_name: str, received_on: date | None,
                responsible_id: int | None, summary: str, source_email: str = "",
                now: datetime | None = None) -> ConsultNote:
    """Log a note on receipt and route it to the responsible practitioner (who must be on the
    patient's care team); email the sender a receipt when an address is given. 422 naming each
    bad field; nothing saved."""
    now = now or timezone.now()
    errors: list[FieldError] = []
    if kind not in ConsultKind.values:
        errors.append(FieldError("kind", f"Kind must be one of {', '.join(ConsultKind.values)}."))
    source_name = (source_name or "").strip()
    if not source_name:
        errors.append(FieldError("source_name", "Name who sent the note."))
    source_email = (source_email or "").strip()
    if source_email:
        try:
            validate_email(source_email)
        except Exception:
            errors.append(FieldError("source_email", "Enter a valid email address (or leave it empty)."))
    if received_on is None:
        errors.append(FieldError("received_on", "Give the date the note was received."))
    elif received_on > now.date():
        errors.append(FieldError("received_on", "The receipt date cannot be in the future."))
    summary = (summary or "").strip()
    if not summary:
        errors.append(FieldError("summary", "Summarise the note (what it recommends)."))
    member = CareTeamMember.objects.filter(patient=patient, practitioner_id=responsible_id, is_active=True) \
        .select_related("practitioner").first() if responsible_id else None
    if member is None:
        errors.append(FieldError("responsible_id", "Route the note to a practitioner on this patient's care team."))
    if errors:
        raise validation_error(errors)
    note = ConsultNote.objects.create(
        patient=patient, kind=kind, source_name=source_name[:200], source_email=source_email, received_on=received_on,
        responsible=member.practitioner, summary=summary, logged_at=now, logged_by=actor.user if actor.user else None)
    record(actor, AuditAction.CREATE, "care.consult_note", note.pk, patient_id=patient.pk,
           changed_fields=["source_name", "summary", "responsible"])
    if source_email:
        transaction.on_commit(lambda: send_receipt(note.pk, now=now))
    return note


def send_receipt(note_id: int, *, now: datetime | None = None) -> bool:
    """Email the sender that the note was received (once). Returns True when sent now."""
    now = now or timezone.now()
    note = ConsultNote.objects.filter(pk=note_id, receipt_sent_at__isnull=True).exclude(source_email="").first()
    if note is None:
        return False
    practice = Practice.objects.order_by("pk").first()
    name = practice.legal_name if practice else "our practice"
    body = (f"Thank you. {name} received your consultation note dated {note.received_on:%Y-%m-%d} "
            f"on {note.logged_at:%Y-%m-%d}. Our reference: {reference(note)}.\n\n"
            f"It has been routed to the responsible practitioner for review.")
    EmailMessage(f"Consultation note received ({reference(note)})", body, settings.DEFAULT_FROM_EMAIL,
                 [note.source_email]).send()
    ConsultNote.objects.filter(pk=note.pk).update(receipt_sent_at=now)
    record(Actor.system("worker"), AuditAction.EXPORT, "care.consult_receipt", note.pk, patient_id=note.patient_id)
    return True


@transaction.atomic
def consult_review(*, actor: Actor, note_id: int, now: datetime | None = None) -> ConsultNote:
    """The responsible practitioner signs the note off as reviewed (once)."""
    now = now or timezone.now()
    prac = require_practitioner(actor.user)
    note = ConsultNote.objects.select_for_update().filter(pk=note_id).first()
    if note is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No consultation note {note_id}.")
    if note.responsible_id != prac.pk:
        raise ApplicationError(ErrorCode.FORBIDDEN, "Only the responsible practitioner signs this note off.")
    if note.reviewed_at is not None:
        raise ApplicationError(ErrorCode.CONFLICT, f"Already reviewed at {note.reviewed_at:%Y-%m-%d %H:%M}.")
    note.reviewed_at, note.reviewed_by = now, actor.user
    note.save(update_fields=["reviewed_at", "reviewed_by"])
    record(actor, AuditAction.UPDATE, "care.consult_note", note.pk, patient_id=note.patient_id,
           changed_fields=["reviewed_at"])
    return note


def to_review(practitioner_id: int) -> list[ConsultNote]:
    return list(ConsultNote.objects.filter(responsible_id=practitioner_id, reviewed_at__isnull=True)
                .select_related("patient").order_by("received_on"))
