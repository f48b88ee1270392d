"""Reads for billing. One patient's checks are read after access_patient(); lists that name many
patients check the permission and write one audit entry, like the patient search."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from plexus.billing.models import BenefitLine, CheckStatus, EligibilityCheck, UnmatchedResponse
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm
from plexus.patients.models import Patient
from plexus.patients.selectors import access_patient, require


def _checks() -> QuerySet[EligibilityCheck]:
    return EligibilityCheck.objects.select_related("patient", "coverage__payer", "requested_by").prefetch_related(
        Prefetch("benefit_lines", queryset=BenefitLine.objects.order_by("position")))


@dataclass(frozen=True, slots=True)
class CheckFilter:
    patient_id: int | None = None
    status: str = ""
    service_type: str = ""


def checks_list(actor: Actor, f: CheckFilter) -> QuerySet[EligibilityCheck]:
    """Checks, newest first, filtered. With a patient the read goes through access_patient()."""
    qs = _checks()
    if f.patient_id is not None:
        access_patient(actor, f.patient_id, Perm.ELIGIBILITY_RUN, what="eligibility")
        qs = qs.filter(patient_id=f.patient_id)
    else:
        require(actor, Perm.ELIGIBILITY_RUN, what="eligibility.list")
        record(actor, AuditAction.READ, "eligibility.list", changed_fields=[k for k in ("status", "service_type")
                                                                            if getattr(f, k)])
    if f.status:
        qs = qs.filter(status=f.status)
    if f.service_type:
        qs = qs.filter(benefit_lines__service_type=f.service_type).distinct()
    return qs


def check_get(actor: Actor, check_id: int) -> EligibilityCheck:
    """Return one check with its benefit lines; the patient read is checked and audited."""
    require(actor, Perm.ELIGIBILITY_RUN, what="eligibility")
    check = _checks().filter(pk=check_id).first()
    if check is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No eligibility check {check_id}.")
    access_patient(actor, check.patient_id, Perm.ELIGIBILITY_RUN, what="eligibility")
    return check


def latest_answer(patient: Patient) -> EligibilityCheck | None:
    """The newest answered (or rejected) check of a patient fetched through access_patient()."""
    return _checks().filter(patient=patient, status__in=[CheckStatus.ANSWERED, CheckStatus.REJECTED]).first()


def recent_checks(patient: Patient, limit: int = 5) -> list[EligibilityCheck]:
    return list(EligibilityCheck.objects.select_related("coverage__payer").filter(patient=patient)[:limit])


def unmatched_list(actor: Actor, *, include_resolved: bool = False) -> QuerySet[UnmatchedResponse]:
    require(actor, Perm.BILLING_MANAGE, what="eligibility.unmatched")
    record(actor, AuditAction.READ, "eligibility.unmatched")
    qs = UnmatchedResponse.objects.all()
    return qs if include_resolved else qs.filter(resolved_at__isnull=True)
