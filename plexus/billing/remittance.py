"""Post 835 remittances: match claims by patient control number, post payments and adjustments to
the ledger, move patient responsibility to the patient, list denials, queue secondary claims.

Idempotent twice over: a remittance is unique per payer, trace (TRN02) and amount, and every ledger
entry carries a key built from the payer, the trace and the claim, so the same 835 never posts twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from plexus.billing import ledger
from plexus.billing.claims import claim_create_from_encounter, move_status
from plexus.billing.ledger import actor_name
from plexus.billing.models import (
    Account,
    Charge,
    Claim,
    ClaimStatus,
    EntryKind,
    Remittance,
    RemittanceClaim,
)
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction
from plexus.engines import x12
from plexus.patients.models import Coverage, Priority

ZERO = Decimal("0.00")
REVERSAL = "22"
# Claim statuses an 835 may move from (a claim must have gone out before it is paid).
PAYABLE = (ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED, ClaimStatus.REJECTED, ClaimStatus.APPEALED,
           ClaimStatus.DENIED, ClaimStatus.PARTIAL, ClaimStatus.PAID)


@dataclass
class PostResult:
    kind: str = "835"
    remittances: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0
    denied: int = 0
    paid: Decimal = ZERO
    patient_responsibility: Decimal = ZERO
    secondary_claims: list[int] = field(default_factory=list)
    remittance_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (f"835: {self.remittances} payments imported ({self.duplicates} already imported), "
                f"{self.matched} claims posted, {self.unmatched} unmatched, {self.denied} denied; "
                f"paid {self.paid:.2f}, patient responsibility {self.patient_responsibility:.2f}")


def _adjustments(cp: x12.ClaimPayment) -> list[dict]:
    rows = [{"group": a.group, "reason": a.reason, "amount": str(a.amount), "line": 0} for a in cp.adjustments]
    for n, line in enumerate(cp.lines, start=1):
        rows += [{"group": a.group, "reason": a.reason, "amount": str(a.amount), "line": n,
                  "code": line.procedure_code} for a in line.adjustments]
    return rows


def _remarks(cp: x12.ClaimPayment) -> list[str]:
    return list(dict.fromkeys([*cp.remark_codes, *(r for line in cp.lines for r in line.remark_codes)]))


def _is_denied(cp: x12.ClaimPayment) -> bool:
    """Denied: CLP02 4, or nothing paid and nothing owed by the patient (the payer refused it)."""
    return cp.denied or (cp.paid == 0 and cp.patient_responsibility == 0 and cp.status != REVERSAL)


def _status_after(cp: x12.ClaimPayment) -> str:
    if cp.status == REVERSAL:
        return ClaimStatus.ACCEPTED
    if _is_denied(cp):
        return ClaimStatus.DENIED
    if any(line.paid == 0 and line.charge > 0 for line in cp.lines) and cp.paid > 0:
        return ClaimStatus.PARTIAL
    return ClaimStatus.PAID


def _post_claim(actor: Actor, remit: Remittance, rc: RemittanceClaim, claim: Claim, cp: x12.ClaimPayment,
                now: datetime) -> None:
    base = f"835:{remit.payer_identifier}:{remit.trace_number}:{cp.patient_control_number}:{cp.status}"
    common = {"claim": claim, "remittance": remit, "service_date": claim.service_date, "posted_at": now}
    remarks = _remarks(cp)
    ledger.post(actor=actor, patient_id=claim.patient_id, account=Account.INSURANCE,
                kind=EntryKind.INSURANCE_PAYMENT, amount=-cp.paid, key=f"{base}:paid",
                memo=f"{remit.payer_name[:80]} payment, check/EFT {remit.trace_number}", remark_codes=remarks,
                **common)
    for i, adj in enumerate(_adjustments(cp)):
        amount = Decimal(adj["amount"])
        where = f"line {adj['line']} " if adj["line"] else ""
        if adj["group"] == "PR":
            ledger.post(actor=actor, patient_id=claim.patient_id, account=Account.INSURANCE, kind=EntryKind.TRANSFER,
                        amount=-amount, key=f"{base}:adj{i}:out", group_code="PR", reason_code=adj["reason"],
                        memo=f"{where}patient responsibility (PR-{adj['reason']})", **common)
            ledger.post(actor=actor, patient_id=claim.patient_id, account=Account.PATIENT, kind=EntryKind.TRANSFER,
                        amount=amount, key=f"{base}:adj{i}:in", group_code="PR", reason_code=adj["reason"],
                        memo=f"{where}patient responsibility (PR-{adj['reason']})", **common)
        else:
            ledger.post(actor=actor, patient_id=claim.patient_id, account=Account.INSURANCE,
                        kind=EntryKind.ADJUSTMENT, amount=-amount, key=f"{base}:adj{i}", group_code=adj["group"],
                        reason_code=adj["reason"], remark_codes=remarks,
                        memo=f"{where}{adj['group']}-{adj['reason']} adjustment", **common)
    claim.paid_amount += cp.paid
    claim.patient_responsibility += cp.patient_responsibility
    if cp.payer_claim_number:
        claim.payer_claim_number = cp.payer_claim_number[:50]
    to = _status_after(cp)
    note = f"835 {remit.trace_number}: paid {cp.paid:.2f}, patient {cp.patient_responsibility:.2f}"
    if rc.denied:
        note += f"; denied ({', '.join(a['group'] + '-' + a['reason'] for a in rc.adjustments) or 'no reason'})"
    move_status(claim, to, by=actor_name(actor), at=now, note=note)
    claim.save()


def _secondary(actor: Actor, claim: Claim, cp: x12.ClaimPayment, now: datetime) -> Claim | None:
    """After a primary's payment leaves the patient owing, bill their secondary coverage (if any):
    move that amount back to insurance pending and create the secondary claim (scrubbed)."""
    if claim.primary_claim_id or cp.patient_responsibility <= 0 or claim.status not in (ClaimStatus.PAID,
                                                                                         ClaimStatus.PARTIAL):
        return None
    secondary = (Coverage.objects.select_related("payer")
                 .filter(patient_id=claim.patient_id, priority=Priority.SECONDARY).exclude(pk=claim.coverage_id))
    cov = next((c for c in secondary if c.is_active_on(claim.service_date)), None)
    if cov is None or claim.secondary_claims.exists():
        return None
    charges = list(Charge.objects.filter(claim_lines__claim=claim).order_by("position"))
    second = claim_create_from_encounter(actor=actor, encounter=claim.encounter, charges=charges, now=now,
                                         coverage=cov, primary=claim)
    key = f"secondary:{second.pk}"
    memo = f"Billed to secondary {cov.payer.name[:80]}"
    ledger.post(actor=actor, patient_id=claim.patient_id, account=Account.PATIENT, kind=EntryKind.TRANSFER,
                amount=-cp.patient_responsibility, key=f"{key}:out", claim=second, memo=memo, posted_at=now)
    ledger.post(actor=actor, patient_id=claim.patient_id, account=Account.INSURANCE, kind=EntryKind.TRANSFER,
                amount=cp.patient_responsibility, key=f"{key}:in", claim=second, memo=memo, posted_at=now)
    return second


@transaction.atomic
def post_remittances(*, actor: Actor, remittances: Iterable[x12.Remittance], text: str, sha256: str,
                     source_name: str = "", now: datetime | None = None) -> PostResult:
    """Import parsed 835 transactions, all or nothing. Unknown claims stay on the unmatched list."""
    now = now or timezone.now()
    result = PostResult()
    for r in remittances:
        payer_key = r.payer.identifier or r.originator_id or r.payer.name
        exists = Remittance.objects.filter(payer_identifier=payer_key[:80], trace_number=r.trace_number[:50],
                                           payment_amount=r.payment_amount).exists()
        if exists:
            result.duplicates += 1
            continue
        remit = Remittance.objects.create(
            sha256=sha256, trace_number=r.trace_number[:50], payer_name=r.payer.name[:200],
            payer_identifier=payer_key[:80], payment_amount=r.payment_amount, payment_date=r.payment_date,
            source_name=source_name[:300], x12=text, received_at=now, posted_by=actor_name(actor))
        result.remittances += 1
        result.remittance_ids.append(remit.pk)
        pcns = [cp.patient_control_number for cp in r.claims]
        claims = {c.patient_control_number: c for c in Claim.objects.select_for_update()
                  .filter(patient_control_number__in=pcns)}
        for pos, cp in enumerate(r.claims, start=1):
            claim = claims.get(cp.patient_control_number)
            if claim is not None and claim.status not in PAYABLE:
                claim = None  # never sent: an 835 for it cannot be ours; staff decide
            patient = cp.patient
            rc = RemittanceClaim.objects.create(
                remittance=remit, claim=claim, position=pos, patient_control_number=cp.patient_control_number[:38],
                status_code=cp.status[:2], charge=cp.charge, paid=cp.paid,
                patient_responsibility=cp.patient_responsibility, payer_claim_number=cp.payer_claim_number[:50],
                patient_name=f"{patient.name}, {patient.first_name}".strip(", ")[:200],
                adjustments=_adjustments(cp), remark_codes=_remarks(cp), denied=_is_denied(cp))
            if claim is None:
                result.unmatched += 1
                continue
            _post_claim(actor, remit, rc, claim, cp, now)
            result.matched += 1
            result.paid += cp.paid
            result.patient_responsibility += cp.patient_responsibility
            result.denied += int(rc.denied)
            record(actor, AuditAction.IMPORT, "remittance_claim", rc.pk, patient_id=claim.patient_id,
                   changed_fields=["ledger", "claim.status"])
            second = _secondary(actor, claim, cp, now)
            if second is not None:
                result.secondary_claims.append(second.pk)
    return result


def _claim_payment(rc: RemittanceClaim) -> x12.ClaimPayment:
    """Parse ``rc``'s 835 again and return its CLP (the stored file is the source of truth)."""
    remit = rc.remittance
    for r in x12.parse_835(remit.x12):
        if r.trace_number[:50] == remit.trace_number and r.payment_amount == remit.payment_amount:
            return r.claims[rc.position - 1]
    raise ApplicationError(ErrorCode.CONFLICT, "The stored 835 no longer holds this claim payment.")


@transaction.atomic
def unmatched_match(*, actor: Actor, rc: RemittanceClaim, patient_control_number: str,
                    now: datetime | None = None) -> RemittanceClaim:
    """Post an unmatched 835 claim payment to the claim staff identified (e.g. the payer mistyped CLP01).

    Raise 422 naming ``patient_control_number`` when no sent claim has it; 409 when already resolved.
    """
    now = now or timezone.now()
    rc = RemittanceClaim.objects.select_for_update(of=("self",)).select_related("remittance").get(pk=rc.pk)
    if rc.claim_id is not None or rc.resolved_at is not None:
        raise ApplicationError(ErrorCode.CONFLICT, "This claim payment is already resolved.")
    claim = (Claim.objects.select_for_update().filter(patient_control_number=patient_control_number.strip().upper(),
                                                      status__in=PAYABLE).first())
    if claim is None:
        raise validation_error([FieldError("patient_control_number",
                                           "No submitted claim has this patient control number.")])
    cp = _claim_payment(rc)
    _post_claim(actor, rc.remittance, rc, claim, cp, now)
    _secondary(actor, claim, cp, now)
    rc.claim, rc.resolved_at = claim, now
    rc.save(update_fields=["claim", "resolved_at"])
    record(actor, AuditAction.UPDATE, "remittance_claim", rc.pk, patient_id=claim.patient_id,
           changed_fields=["claim", "ledger"], detail=f"matched by hand to {claim.patient_control_number}")
    return rc


@transaction.atomic
def unmatched_dismiss(*, actor: Actor, rc: RemittanceClaim, note: str, now: datetime | None = None) -> RemittanceClaim:
    """Take an unmatched claim payment off the list without posting (e.g. another practice's claim)."""
    rc = RemittanceClaim.objects.select_for_update().get(pk=rc.pk)
    if rc.claim_id is not None or rc.resolved_at is not None:
        raise ApplicationError(ErrorCode.CONFLICT, "This claim payment is already resolved.")
    if not note.strip():
        raise validation_error([FieldError("note", "Say why nothing is posted.")])
    rc.resolved_at = now or timezone.now()
    rc.save(update_fields=["resolved_at"])
    record(actor, AuditAction.UPDATE, "remittance_claim", rc.pk, changed_fields=["resolved_at"], detail=note[:300])
    return rc
