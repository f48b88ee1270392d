"""Reads of patient data. access_patient() is the choke point: every request that shows one
patient fetches it here, which checks the role and writes the audit entry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm, user_has
from plexus.patients.models import Coverage, Patient


def require(actor: Actor, perm: Perm, *, patient_id: int | None = None, what: str = "") -> None:
    """Raise 403 (and audit the denial) unless the actor's role holds perm."""
    if not user_has(actor.user, perm):
        record(actor, AuditAction.DENIED, what or perm.value, patient_id=patient_id, detail=perm.value)
        raise ApplicationError(ErrorCode.FORBIDDEN, f"Your role may not use {perm.value}.")


def access_patient(actor: Actor, patient_id: int, perm: Perm = Perm.PATIENT_VIEW, *, what: str = "chart") -> Patient:
    """Return the patient after checking perm; write exactly one audit entry (read or denied)."""
    require(actor, perm, patient_id=patient_id, what=f"patient.{what}")
    patient = Patient.objects.select_related("guarantor").filter(pk=patient_id).first()
    if patient is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No patient {patient_id}.")
    record(actor, AuditAction.READ, f"patient.{what}", patient.pk, patient_id=patient.pk)
    return patient


def patient_coverages(patient: Patient) -> list[Coverage]:
    """Coverages of a patient already fetched through access_patient, primary first."""
    return list(patient.coverages.select_related("payer").order_by("priority", "-effective_date"))


def active_coverages(patient: Patient, on: date) -> list[Coverage]:
    return [c for c in patient_coverages(patient) if c.is_active_on(on)]


@dataclass(frozen=True, slots=True)
class PatientQuery:
    text: str = ""  # name (any order) or chart number
    date_of_birth: date | None = None
    phone: str = ""
    member_id: str = ""


def _search_queryset(q: PatientQuery) -> QuerySet[Patient]:
    qs = Patient.objects.all()
    for word in q.text.split():
        if re.fullmatch(r"[Pp]\d{6}", word):
            qs = qs.filter(chart_number__iexact=word)
            continue
        qs = qs.filter(
            Q(legal_last_name__istartswith=word) | Q(legal_first_name__istartswith=word)
            | Q(preferred_name__istartswith=word)
        )
    if q.date_of_birth:
        qs = qs.filter(date_of_birth=q.date_of_birth)
    digits = re.sub(r"\D", "", q.phone)
    if digits:
        qs = qs.filter(Q(phone_mobile__endswith=digits[-10:]) | Q(phone_home__endswith=digits[-10:]))
    if q.member_id.strip():
        qs = qs.filter(coverages__member_id__iexact=q.member_id.strip()).distinct()
    return qs.order_by("legal_last_name", "legal_first_name", "id")


def patient_search(actor: Actor, q: PatientQuery, *, limit: int = 25, offset: int = 0) -> tuple[int, list[Patient]]:
    """Search patients; return (total, page). Audits the search (field names only, no values)."""
    require(actor, Perm.PATIENT_VIEW, what="patient.search")
    qs = _search_queryset(q)
    total = qs.count()
    page = list(qs[offset : offset + limit])
    used = [name for name in ("text", "date_of_birth", "phone", "member_id") if getattr(q, name)]
    record(actor, AuditAction.READ, "patient.search", "", changed_fields=used, detail=f"{total} results")
    return total, page
