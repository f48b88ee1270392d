"""Reads for billing. One patient's checks are read after access_patient(); lists that name many
patients check the permission and write one audit entry, like the patient search."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone

from plexus.billing import ledger
from plexus.billing.models import (
    BenefitLine,
    Charge,
    ChargeStatus,
    CheckStatus,
    Claim,
    ClaimBatch,
    ClaimStatus,
    EligibilityCheck,
    Encounter,
    EntryKind,
    LedgerEntry,
    Remittance,
    RemittanceClaim,
    UnmatchedResponse,
)
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


# --- charges, claims, remittance, ledger ----------------------------------------------------------


def review_queue(actor: Actor) -> list[Encounter]:
    """Encounters with charges waiting for review, oldest service date first."""
    require(actor, Perm.BILLING_MANAGE, what="charges.review")
    record(actor, AuditAction.READ, "charges.review")
    return list(Encounter.objects.filter(charges__status=ChargeStatus.REVIEW).distinct()
                .select_related("patient", "practitioner__discipline", "coverage__payer", "appointment__service")
                .prefetch_related(Prefetch("charges", queryset=Charge.objects.order_by("position")))
                .order_by("service_date", "id"))


def encounter_get(actor: Actor, encounter_id: int) -> Encounter:
    require(actor, Perm.BILLING_MANAGE, what="encounter")
    enc = (Encounter.objects.select_related("patient", "practitioner", "coverage__payer", "appointment__service")
           .filter(pk=encounter_id).first())
    if enc is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No encounter {encounter_id}.")
    access_patient(actor, enc.patient_id, Perm.BILLING_MANAGE, what="encounter")
    return enc


def encounters_to_record(actor: Actor, *, limit: int = 50) -> list:
    """Completed appointments that have no encounter yet (newest first): the coding backlog."""
    from plexus.scheduling.models import Appointment, Status

    require(actor, Perm.BILLING_MANAGE, what="charges.backlog")
    return list(Appointment.objects.filter(status=Status.COMPLETED, encounter__isnull=True)
                .select_related("patient", "service", "practitioner").order_by("-start")[:limit])


@dataclass(frozen=True, slots=True)
class ClaimFilter:
    status: str = ""
    patient_id: int | None = None
    payer_id: int | None = None
    batch_id: int | None = None
    has_errors: bool | None = None


def claims_list(actor: Actor, f: ClaimFilter) -> QuerySet[Claim]:
    qs = Claim.objects.select_related("patient", "payer", "rendering", "batch")
    if f.patient_id is not None:
        access_patient(actor, f.patient_id, Perm.BILLING_MANAGE, what="claims")
        qs = qs.filter(patient_id=f.patient_id)
    else:
        require(actor, Perm.BILLING_MANAGE, what="claims.list")
        record(actor, AuditAction.READ, "claims.list", changed_fields=[k for k in ("status", "payer_id", "batch_id")
                                                                       if getattr(f, k)])
    if f.status:
        qs = qs.filter(status=f.status)
    if f.payer_id:
        qs = qs.filter(payer_id=f.payer_id)
    if f.batch_id:
        qs = qs.filter(batch_id=f.batch_id)
    if f.has_errors is not None:
        qs = qs.filter(status=ClaimStatus.DRAFT) if f.has_errors else qs.exclude(status=ClaimStatus.DRAFT)
    return qs


def claim_counts(actor: Actor) -> dict[str, int]:
    require(actor, Perm.BILLING_MANAGE, what="claims.counts")
    return dict(Claim.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))


def claim_get(actor: Actor, claim_id: int) -> Claim:
    require(actor, Perm.BILLING_MANAGE, what="claim")
    claim = (Claim.objects.select_related("patient", "coverage", "payer", "rendering", "supervising", "batch",
                                          "encounter", "authorization", "primary_claim")
             .prefetch_related("lines", "events", "remittances__remittance").filter(pk=claim_id).first())
    if claim is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No claim {claim_id}.")
    access_patient(actor, claim.patient_id, Perm.BILLING_MANAGE, what="claim")
    return claim


def claim_x12(claim: Claim) -> str:
    """The claim's own part of its batch's 837P (its 2000B..2400 loops), or "" before batching."""
    if claim.batch is None or not claim.batch.x12:
        return ""
    from plexus.engines.x12 import serialize, tokenize

    delims, segs = tokenize(claim.batch.x12)
    at = next((i for i, s in enumerate(segs) if s.seg_id == "CLM" and s.element(1) == claim.patient_control_number),
              None)
    if at is None:
        return ""
    start = next(i for i in range(at, -1, -1) if segs[i].seg_id == "HL" and segs[i].element(3) == "22")
    end = next((i for i in range(at + 1, len(segs)) if segs[i].seg_id in ("CLM", "HL", "SE")), len(segs))
    return serialize(segs[start:end], delims, newline=True)


def batches_list(actor: Actor) -> QuerySet[ClaimBatch]:
    require(actor, Perm.BILLING_MANAGE, what="batches")
    return ClaimBatch.objects.select_related("created_by")


def batch_get(actor: Actor, batch_id: int) -> ClaimBatch:
    require(actor, Perm.BILLING_MANAGE, what="batch")
    batch = ClaimBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No claim batch {batch_id}.")
    record(actor, AuditAction.READ, "claim_batch", batch.pk)
    return batch


def remittances_list(actor: Actor) -> QuerySet[Remittance]:
    require(actor, Perm.BILLING_MANAGE, what="remittances")
    record(actor, AuditAction.READ, "remittances.list")
    return Remittance.objects.annotate(n_claims=Count("claims"))


def remittance_unmatched(actor: Actor) -> QuerySet[RemittanceClaim]:
    require(actor, Perm.BILLING_MANAGE, what="remittances.unmatched")
    return (RemittanceClaim.objects.filter(claim__isnull=True, resolved_at__isnull=True)
            .select_related("remittance").order_by("-remittance__received_at", "position"))


def denials(actor: Actor) -> QuerySet[RemittanceClaim]:
    """Denied claims still open (the claim is denied, not yet appealed or closed), newest first."""
    require(actor, Perm.BILLING_MANAGE, what="denials")
    return (RemittanceClaim.objects.filter(denied=True, claim__status=ClaimStatus.DENIED)
            .select_related("remittance", "claim__patient", "claim__payer").order_by("-remittance__received_at"))


def patient_ledger(actor: Actor, patient_id: int) -> tuple[Patient, list[LedgerEntry], ledger.Balance]:
    """A patient's entries and balances (balance.view; audited as one chart read)."""
    patient = access_patient(actor, patient_id, Perm.BALANCE_VIEW, what="ledger")
    return patient, list(ledger.entries_for(patient_id)), ledger.balance(patient_id)


def ar_aging(actor: Actor, as_of) -> list[ledger.AgingRow]:
    require(actor, Perm.BILLING_MANAGE, what="ar.aging")
    record(actor, AuditAction.READ, "ar.aging")
    return ledger.aging(as_of)


@dataclass(frozen=True, slots=True)
class PaymentRow:
    stream: str
    method: str
    count: int
    total: Decimal


def payments_report(actor: Actor, start, end) -> list[PaymentRow]:
    """Money received in [start, end] by stream (insurance, patient) and method; refunds net out."""
    from datetime import UTC, datetime, time, timedelta

    require(actor, Perm.BILLING_MANAGE, what="payments.report")
    record(actor, AuditAction.READ, "payments.report", detail=f"{start}..{end}")
    lo = datetime.combine(start, time(0), tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)
    kinds = {EntryKind.INSURANCE_PAYMENT: "insurance", EntryKind.PATIENT_PAYMENT: "patient",
             EntryKind.REFUND: "patient"}
    rows: dict[tuple[str, str], list] = {}
    for kind, method, n, total in (LedgerEntry.objects.filter(kind__in=list(kinds), posted_at__gte=lo, posted_at__lt=hi)
                                   .values_list("kind", "method").annotate(n=Count("id"), s=Sum("amount"))
                                   .values_list("kind", "method", "n", "s")):
        key = (kinds[kind], method or ("835 / EFT" if kind == EntryKind.INSURANCE_PAYMENT else "other"))
        row = rows.setdefault(key, [0, Decimal(0)])
        row[0] += n
        row[1] -= Decimal(total)
    return [PaymentRow(stream, method, n, total.quantize(Decimal("0.01")))
            for (stream, method), (n, total) in sorted(rows.items())]


def aging_by_patient(actor: Actor, as_of, account: str, bucket: str, limit: int = 200) -> list[tuple]:
    """Drill-down: patients with an open balance in ``bucket`` of ``account`` (largest first)."""
    require(actor, Perm.BILLING_MANAGE, what="ar.aging.patients")
    record(actor, AuditAction.READ, "ar.aging.patients", detail=f"{account} {bucket}")
    from plexus.engines.claims import Entry, age

    per: dict[int, list] = {}
    qs = LedgerEntry.objects.filter(account=account, posted_at__date__lte=as_of)
    for pid, posted, amount in qs.values_list("patient_id", "posted_at", "amount"):
        per.setdefault(pid, []).append(Entry(timezone.localdate(posted), amount))
    rows = [(pid, getattr(age(entries, as_of), bucket)) for pid, entries in per.items()]
    rows = sorted([r for r in rows if r[1] > 0], key=lambda r: -r[1])[:limit]
    names = {p.pk: p for p in Patient.objects.filter(pk__in=[pid for pid, _ in rows])}
    return [(names[pid], amount) for pid, amount in rows]
