"""Internal referrals (e.g. physician to acupuncture, 6 weekly sessions): create, cancel, and the
derived progress. Sessions booked and completed are counted from the linked visit blocks'
appointments, never stored; the stored status follows them (open -> scheduled -> completed)."""

from __future__ import annotations

import re
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Discipline, Practitioner, Service
from plexus.core.permissions import Perm, user_has
from plexus.patients.models import Patient
from plexus.scheduling.models import ACTIVE_VALUES, Priority, Referral, ReferralStatus, Status

# ICD-10(-CM) shape: a letter, a digit, a letter or digit, then up to four more after an optional dot.
ICD10 = re.compile(r"^[A-Z][0-9][A-Z0-9](?:\.?[A-Z0-9]{1,4})?$")
MAX_SESSIONS = 52
MAX_CADENCE_WEEKS = 12


def normalise_icd10(code: str) -> str | None:
    """Return the code upper-cased with its dot after the third character, or None when malformed."""
    code = (code or "").strip().upper()
    if not ICD10.match(code):
        return None
    bare = code.replace(".", "")
    return bare if len(bare) == 3 else f"{bare[:3]}.{bare[3:]}"


def shows_clinical(user) -> bool:
    """Referral reasons and diagnosis codes are shown only to roles that write referrals (not to
    virtual assistants or billing: minimum necessary)."""
    return user_has(user, Perm.REFERRAL_CREATE)


@transaction.atomic
def referral_create(*, actor: Actor, patient: Patient, to_discipline_id: int | None, service_ids: list[int],
                    sessions_wanted: int, reason: str, from_practitioner_id: int | None = None,
                    to_practitioner_id: int | None = None, cadence_weeks: int = 1,
                    icd10_codes: list[str] | None = None, priority: int = Priority.ROUTINE,
                    now: datetime | None = None) -> Referral:
    """Create an open referral. The referring practitioner defaults to the acting user's own
    practitioner record. 422 naming every bad field; nothing is saved."""
    now = now or timezone.now()
    errors: list[FieldError] = []
    if from_practitioner_id is None:
        own = getattr(actor.user, "practitioner", None) if actor.user is not None else None
        from_practitioner_id = own.pk if own is not None else None
    sender = Practitioner.objects.filter(pk=from_practitioner_id, is_active=True).first() \
        if from_practitioner_id else None
    if sender is None:
        errors.append(FieldError("from_practitioner_id", "Name the referring practitioner."))
    discipline = Discipline.objects.filter(pk=to_discipline_id).first() if to_discipline_id else None
    if discipline is None:
        errors.append(FieldError("to_discipline_id", f"Unknown discipline {to_discipline_id}."))
    receiver = None
    if to_practitioner_id is not None:
        receiver = Practitioner.objects.filter(pk=to_practitioner_id, is_active=True).first()
        if receiver is None:
            errors.append(FieldError("to_practitioner_id", f"Unknown practitioner {to_practitioner_id}."))
        elif discipline is not None and receiver.discipline_id != discipline.pk:
            errors.append(FieldError("to_practitioner_id", f"{receiver} is not a {discipline.name} practitioner."))
    services = {s.pk: s for s in Service.objects.filter(pk__in=service_ids or [], is_active=True)
                .prefetch_related("disciplines")}
    if not service_ids:
        errors.append(FieldError("service_ids", "Name at least one service."))
    for i, sid in enumerate(service_ids or []):
        service = services.get(sid)
        if service is None:
            errors.append(FieldError(f"service_ids[{i}]", f"Unknown service {sid}."))
        elif discipline is not None and discipline.pk not in {d.pk for d in service.disciplines.all()}:
            errors.append(FieldError(f"service_ids[{i}]", f"{service.name} is not performed by {discipline.name}."))
    if not 1 <= sessions_wanted <= MAX_SESSIONS:
        errors.append(FieldError("sessions_wanted", f"Ask for 1 to {MAX_SESSIONS} sessions."))
    if not 1 <= cadence_weeks <= MAX_CADENCE_WEEKS:
        errors.append(FieldError("cadence_weeks", f"Use a cadence of 1 to {MAX_CADENCE_WEEKS} weeks."))
    reason = (reason or "").strip()
    if not reason:
        errors.append(FieldError("reason", "Give the reason for the referral."))
    codes = []
    for i, raw in enumerate(icd10_codes or []):
        code = normalise_icd10(raw)
        if code is None:
            errors.append(FieldError(f"icd10_codes[{i}]", f"“{raw}” is not an ICD-10 code (e.g. M54.50)."))
        elif code not in codes:
            codes.append(code)
    if priority not in Priority.values:
        errors.append(FieldError("priority", "Use 1 (urgent), 2 (soon) or 3 (routine)."))
    if errors:
        raise validation_error(errors)
    referral = Referral.objects.create(
        patient=patient, from_practitioner=sender, to_discipline=discipline, to_practitioner=receiver,
        sessions_wanted=sessions_wanted, cadence_weeks=cadence_weeks, reason=reason[:500], icd10_codes=codes,
        priority=priority, created_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        created_at=now)
    referral.services.set([services[sid] for sid in service_ids])
    record(actor, AuditAction.CREATE, "referral", referral.pk, patient_id=patient.pk,
           changed_fields=["to_discipline", "services", "sessions_wanted", "reason", "icd10_codes", "priority"])
    return referral


@transaction.atomic
def referral_cancel(*, actor: Actor, referral: Referral, reason: str) -> Referral:
    """Cancel an open or scheduled referral (its booked visits stay booked). 409 when already closed."""
    reason = (reason or "").strip()
    if not reason:
        raise validation_error([FieldError("reason", "Give a reason for the cancellation.")])
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status in (ReferralStatus.CANCELLED, ReferralStatus.COMPLETED):
        raise ApplicationError(ErrorCode.CONFLICT, f"This referral is already {referral.get_status_display().lower()}.")
    referral.status, referral.cancel_reason = ReferralStatus.CANCELLED, reason[:200]
    referral.save(update_fields=["status", "cancel_reason"])
    record(actor, AuditAction.UPDATE, "referral", referral.pk, patient_id=referral.patient_id,
           changed_fields=["status", "cancel_reason"], detail="cancelled")
    return referral


def with_progress(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotate ``sessions_booked`` (linked blocks with an active component) and
    ``sessions_completed`` (linked blocks with a completed component)."""
    return qs.annotate(
        sessions_booked=Count("blocks", filter=Q(blocks__appointments__status__in=ACTIVE_VALUES), distinct=True),
        sessions_completed=Count("blocks", filter=Q(blocks__appointments__status=Status.COMPLETED), distinct=True),
    )


def progress(referral_id: int) -> tuple[int, int]:
    """Return (sessions booked, sessions completed) for one referral."""
    row = with_progress(Referral.objects.filter(pk=referral_id)).values_list(
        "sessions_booked", "sessions_completed").first()
    return row or (0, 0)


def referral_sync_status(referral_id: int) -> None:
    """Move an open/scheduled/completed referral to the status its linked visits imply."""
    referral = Referral.objects.filter(pk=referral_id).exclude(status=ReferralStatus.CANCELLED).first()
    if referral is None:
        return
    booked, completed = progress(referral_id)
    status = (ReferralStatus.COMPLETED if completed >= referral.sessions_wanted
              else ReferralStatus.SCHEDULED if booked >= referral.sessions_wanted else ReferralStatus.OPEN)
    if status != referral.status:
        Referral.objects.filter(pk=referral_id).update(status=status)


def referrals_query(*, status: str | None = None, patient_id: int | None = None) -> QuerySet[Referral]:
    qs = Referral.objects.select_related("patient", "from_practitioner", "to_discipline", "to_practitioner")
    if status:
        qs = qs.filter(status=status)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    return with_progress(qs).prefetch_related("services")


def get_referral(referral_id: int) -> Referral:
    """Return the referral with its progress; 404 when missing. Callers then call access_patient."""
    referral = referrals_query().filter(pk=referral_id).first()
    if referral is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No referral {referral_id}.")
    return referral
