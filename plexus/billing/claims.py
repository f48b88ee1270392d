"""Claims: built from approved encounters, scrubbed, batched into 837P, moved by 999/277CA.

Lifecycle (ClaimStatus): draft (scrub errors) -> ready -> submitted -> accepted | rejected ->
paid | partial | denied (835, see remittance.py) -> appealed -> closed. Every move is a ClaimEvent.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from plexus.billing import benefits as bn
from plexus.billing.ledger import actor_name
from plexus.billing.models import (
    MANUAL_TRANSITIONS,
    AckFile,
    Authorization,
    BenefitLine,
    Charge,
    CheckStatus,
    Claim,
    ClaimBatch,
    ClaimEvent,
    ClaimLine,
    ClaimStatus,
    Encounter,
)
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import CLAIM_FILING_INDICATOR, AuditAction, PayerType, Practice, Practitioner
from plexus.engines import x12
from plexus.engines.claims import (
    ACUPUNCTURE_CODES,
    TIMELY_FILING_DAYS,
    ClaimFacts,
    LineFacts,
    ProviderFacts,
    scrub,
)
from plexus.patients.models import Coverage, Relationship

BILLING_TAXONOMY = "193200000X"  # NUCC: Multi-Specialty Group (billing provider PRV*BI)
MEDICARE_TYPES = (PayerType.MEDICARE,)
OPEN_STATUSES = (ClaimStatus.DRAFT, ClaimStatus.READY)


def move_status(claim: Claim, to: str, *, by: str, at: datetime, note: str = "") -> None:
    """Set ``claim``'s status and write the event (caller saves other fields)."""
    if claim.status == to and not note:
        return
    ClaimEvent.objects.create(claim=claim, at=at, username=by, from_status=claim.status, to_status=to,
                              note=note[:500])
    claim.status, claim.updated_at = to, at


# --- who bills ----------------------------------------------------------------------------------


def billing_providers(practitioner: Practitioner, payer_type: str) -> tuple[Practitioner, Practitioner | None]:
    """Return (rendering, supervising) for a claim of ``practitioner``'s work.

    Medicare does not pay licensed acupuncturists directly (NCD 30.3.3): their supervising physician
    bills as the rendering provider (incident-to). Other disciplines that need a supervisor render
    themselves and name the supervisor in 2310D. Without a supervisor the scrubber reports it.
    """
    supervisor = practitioner.supervising_physician
    if payer_type in MEDICARE_TYPES and practitioner.discipline.code == "lac" and supervisor is not None:
        return supervisor, None
    if practitioner.discipline.requires_supervisor:
        return practitioner, supervisor
    return practitioner, None


def _provider_facts(p: Practitioner | None, payer_id: int) -> ProviderFacts | None:
    if p is None:
        return None
    return ProviderFacts(
        name=f"{p.first_name} {p.last_name}", npi=p.npi, discipline_code=p.discipline.code,
        credentialed=p.payers.filter(pk=payer_id).exists(), requires_supervisor=p.discipline.requires_supervisor,
        can_supervise=p.discipline.can_supervise,
    )


# --- limits and authorisations ------------------------------------------------------------------


def _visits_between(patient_id: int, codes: Sequence[str], start: date, end: date, exclude_claim: int | None) -> int:
    """Count distinct service dates with a non-rejected claim line for ``codes`` in [start, end)."""
    qs = ClaimLine.objects.filter(claim__patient_id=patient_id, procedure_code__in=list(codes),
                                  service_date__gte=start, service_date__lt=end).exclude(
        claim__status__in=[ClaimStatus.REJECTED, ClaimStatus.DENIED])
    if exclude_claim:
        qs = qs.exclude(claim_id=exclude_claim)
    return qs.values("service_date").distinct().count()


def acupuncture_visits(patient_id: int, on: date, exclude_claim: int | None = None) -> tuple[int, int]:
    """Return (visits in the 90 days before ``on``, visits this calendar year before ``on``)."""
    return (_visits_between(patient_id, sorted(ACUPUNCTURE_CODES), on - timedelta(days=90), on, exclude_claim),
            _visits_between(patient_id, sorted(ACUPUNCTURE_CODES), date(on.year, 1, 1), on, exclude_claim))


@dataclass(frozen=True, slots=True)
class AuthorizationUse:
    authorization: Authorization
    visits_used: int
    units_used: Decimal

    @property
    def visits_left(self) -> int | None:
        a = self.authorization.visits_approved
        return None if a is None else a - self.visits_used

    @property
    def units_left(self) -> Decimal | None:
        a = self.authorization.units_approved
        return None if a is None else Decimal(a) - self.units_used


def authorization_usage(auth: Authorization, exclude_claim: int | None = None) -> AuthorizationUse:
    """Count the visits (distinct dates) and units used on claims carrying ``auth``."""
    lines = ClaimLine.objects.filter(claim__authorization=auth).exclude(
        claim__status__in=[ClaimStatus.REJECTED, ClaimStatus.DENIED])
    if exclude_claim:
        lines = lines.exclude(claim_id=exclude_claim)
    units = sum((li.units for li in lines.only("units")), Decimal(0))
    return AuthorizationUse(auth, lines.values("service_date").distinct().count(), units)


def find_authorization(coverage: Coverage, codes: Sequence[str], on: date) -> Authorization | None:
    """Return the coverage's authorisation for any of ``codes`` valid on ``on`` (latest ending first)."""
    for auth in Authorization.objects.filter(coverage=coverage, start_date__lte=on, end_date__gte=on):
        if set(auth.procedure_codes) & set(codes):
            return auth
    return None


def _latest_benefit(coverage: Coverage, codes: Sequence[str], **filters) -> BenefitLine | None:
    """The newest answered benefit line of ``coverage`` for the service types of ``codes``."""
    stcs = {bn.service_type_for(c) for c in codes} - {""}
    return (BenefitLine.objects.filter(eligibility_check__coverage=coverage, service_type__in=stcs,
                                       eligibility_check__status=CheckStatus.ANSWERED, **filters)
            .order_by("-eligibility_check__answered_at").first())


def authorization_required(coverage: Coverage, codes: Sequence[str], on: date) -> bool:
    """True when the latest eligibility answer for the coverage says these services need authorisation."""
    line = _latest_benefit(coverage, codes, eligibility_check__service_date__lte=on + timedelta(days=30))
    return bool(line and line.auth_required)


@dataclass(frozen=True, slots=True)
class LimitWarning:
    code: str
    message: str


def limit_warnings(*, coverage: Coverage, codes: Sequence[str], on: date, units: Decimal = Decimal(1),
                   patient_id: int, exclude_claim: int | None = None) -> list[LimitWarning]:
    """What would stop a payer paying for ``codes`` on ``on``: visit limits from the latest
    eligibility answer, authorisations required or used up, and Medicare acupuncture limits.
    Used at booking (to offer direct pay with a waiver) and at claim time."""
    out: list[LimitWarning] = []
    auth = find_authorization(coverage, codes, on)
    if auth is not None:
        use = authorization_usage(auth, exclude_claim)
        if use.visits_left is not None and use.visits_left < 1:
            out.append(LimitWarning("auth-visits-used", f"Authorisation {auth.number or ''} has no visits left "
                                                        f"({auth.visits_approved} approved, all used)."))
        if use.units_left is not None and use.units_left < units:
            out.append(LimitWarning("auth-units-used", f"Authorisation {auth.number or ''} has "
                                                       f"{use.units_left:g} units left; {units:g} needed."))
    elif authorization_required(coverage, codes, on):
        out.append(LimitWarning("auth-missing", "The plan requires prior authorisation for this service "
                                                "and none is on file."))
    line = _latest_benefit(coverage, [c for c in codes if bn.service_type_for(c) != bn.GENERAL], specific=True)
    if line is not None and line.visits_remaining is not None and line.visits_remaining < 1:
        out.append(LimitWarning("visit-limit", f"{line.label}: the plan's {line.visits_total} visits "
                                               f"{line.visit_period or ''} are used up.".replace("  ", " ")))
    if coverage.payer.payer_type in MEDICARE_TYPES and set(codes) & ACUPUNCTURE_CODES:
        last90, year = acupuncture_visits(patient_id, on, exclude_claim)
        if year >= 20:
            out.append(LimitWarning("acu-annual-limit", "Medicare allows no more than 20 acupuncture visits a year "
                                                        f"({year} used)."))
        elif last90 >= 12:
            out.append(LimitWarning("acu-90-day-limit", f"{last90} Medicare acupuncture visits in 90 days: more "
                                                        "are covered only when the patient is improving."))
    return out


# --- building and scrubbing ---------------------------------------------------------------------


def _next_pcn(claim_id: int) -> str:
    return f"PLX{claim_id:07d}"


@transaction.atomic
def claim_create_from_encounter(*, actor: Actor, encounter: Encounter, charges: Sequence[Charge],
                                now: datetime | None = None, coverage: Coverage | None = None,
                                primary: Claim | None = None) -> Claim:
    """Create a claim for ``charges`` of ``encounter`` to ``coverage`` (default: the encounter's) and scrub it."""
    now = now or timezone.now()
    coverage = coverage or encounter.coverage
    if coverage is None:
        raise validation_error([FieldError("coverage_id", "A claim needs a coverage.")])
    practitioner = encounter.practitioner
    rendering, supervising = billing_providers(practitioner, coverage.payer.payer_type)
    codes = [c.procedure_code for c in charges]
    auth = find_authorization(coverage, codes, encounter.service_date)
    claim = Claim.objects.create(
        patient_id=encounter.patient_id, coverage=coverage, payer=coverage.payer, encounter=encounter,
        primary_claim=primary, patient_control_number=f"TMP{now.timestamp()}"[:20], rendering=rendering,
        supervising=supervising, authorization=auth, service_date=encounter.service_date,
        place_of_service=encounter.place_of_service, diagnoses=list(encounter.diagnoses),
        total_charge=sum((c.amount for c in charges), Decimal(0)), created_at=now, updated_at=now,
    )
    claim.patient_control_number = _next_pcn(claim.pk)
    claim.save(update_fields=["patient_control_number"])
    ClaimLine.objects.bulk_create([
        ClaimLine(claim=claim, charge=c, position=i + 1, procedure_code=c.procedure_code, modifiers=c.modifiers,
                  units=c.units, amount=c.amount, diagnosis_pointers=c.diagnosis_pointers,
                  service_date=encounter.service_date)
        for i, c in enumerate(charges)
    ])
    ClaimEvent.objects.create(claim=claim, at=now, username=actor_name(actor), from_status="", to_status=claim.status,
                              note="Created from encounter" + (" (secondary)" if primary else ""))
    record(actor, AuditAction.CREATE, "claim", claim.pk, patient_id=claim.patient_id, changed_fields=["lines"])
    return claim_scrub(actor=actor, claim=claim, today=timezone.localdate(now), now=now)


def _subscriber_address_complete(claim: Claim) -> bool:
    p = claim.patient
    return bool(p.address_line1 and p.city and p.state and p.postal_code)


def claim_facts(claim: Claim, practice: Practice | None, today: date) -> ClaimFacts:
    """Gather what the scrubber needs about ``claim`` (pure data; no decisions here)."""
    payer_type = claim.payer.payer_type
    lines = tuple(LineFacts(li.procedure_code, tuple(li.modifiers), li.units, li.amount,
                            tuple(li.diagnosis_pointers), li.service_date) for li in claim.lines.all())
    codes = [li.procedure_code for li in lines]
    last90, year = acupuncture_visits(claim.patient_id, claim.service_date, claim.pk)
    return ClaimFacts(
        payer_type=payer_type, billing_npi=practice.group_npi if practice else "",
        billing_tax_id=practice.tax_id if practice else "",
        rendering=_provider_facts(claim.rendering if claim.rendering_id else None, claim.payer_id),
        supervising=_provider_facts(claim.supervising, claim.payer_id), diagnoses=tuple(claim.diagnoses),
        lines=lines, place_of_service=claim.place_of_service, member_id=claim.coverage.member_id,
        subscriber_address_complete=_subscriber_address_complete(claim),
        timely_filing_days=TIMELY_FILING_DAYS.get(payer_type, 90),
        authorization_required=authorization_required(claim.coverage, codes, claim.service_date),
        authorization_number=claim.authorization.number if claim.authorization else "",
        acupuncture_visits_last_90_days=last90, acupuncture_visits_this_year=year,
        improving=claim.encounter.improving,
    )


def claim_scrub(*, actor: Actor, claim: Claim, today: date | None = None, now: datetime | None = None) -> Claim:
    """Run the scrubber; a draft or ready claim becomes ready when it has no errors, draft otherwise.

    Limit and authorisation warnings are added as warnings. Claims past 'ready' keep their status.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    claim = Claim.objects.select_related("patient", "coverage__payer", "payer", "rendering__discipline",
                                         "supervising__discipline", "encounter__practitioner",
                                         "authorization").get(pk=claim.pk)
    facts = claim_facts(claim, Practice.objects.first(), today)
    problems = [{"code": p.code, "field": p.field, "severity": p.severity, "message": p.message}
                for p in scrub(facts, today)]
    if claim.authorization is not None or not facts.authorization_required:
        units = sum((li.units for li in facts.lines), Decimal(0))
        for w in limit_warnings(coverage=claim.coverage, codes=[li.procedure_code for li in facts.lines],
                                on=claim.service_date, units=units, patient_id=claim.patient_id,
                                exclude_claim=claim.pk):
            if w.code.startswith("acu-") and any(p["code"].startswith("acu-") for p in problems):
                continue
            problems.append({"code": w.code, "field": "authorization", "severity": "warning", "message": w.message})
    claim.problems, claim.scrubbed_at = problems, now
    if claim.status in OPEN_STATUSES:
        has_errors = any(p["severity"] == "error" for p in problems)
        move_status(claim, ClaimStatus.DRAFT if has_errors else ClaimStatus.READY, by=actor_name(actor), at=now,
              note="" if not has_errors else f"{sum(p['severity'] == 'error' for p in problems)} scrub errors")
    claim.save()
    return claim


@transaction.atomic
def claim_transition(*, actor: Actor, claim: Claim, to: str, note: str = "", now: datetime | None = None) -> Claim:
    """Move a claim by hand (appeal, close, reopen a rejected claim for correction).

    Raise 409 when the move is not allowed from the claim's status; 422 when no note is given
    for an appeal.
    """
    now = now or timezone.now()
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    allowed = MANUAL_TRANSITIONS.get(claim.status, ())
    if to not in allowed:
        raise ApplicationError(ErrorCode.CONFLICT, f"A {claim.get_status_display().lower()} claim cannot move to "
                               f"{to}; allowed: {', '.join(allowed) or 'none'}.",
                               [FieldError("status", f"Not allowed from {claim.status}.")])
    if to == ClaimStatus.APPEALED and not note.strip():
        raise validation_error([FieldError("note", "Say what the appeal argues.")])
    move_status(claim, to, by=actor_name(actor), at=now, note=note)
    claim.save()
    record(actor, AuditAction.UPDATE, "claim", claim.pk, patient_id=claim.patient_id, changed_fields=["status"])
    if to == ClaimStatus.DRAFT:
        claim = claim_scrub(actor=actor, claim=claim, now=now)
    return claim


# --- 837P -----------------------------------------------------------------------------------------


def _addr(line1: str, city: str, state: str, postal: str, line2: str = "") -> x12.Address:
    return x12.Address(line1=_x12(line1), city=_x12(city), state=state, postal_code=postal.replace("-", ""),
                       line2=_x12(line2))


def _x12(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum() or ch in " .,-#/").strip()[:55]


def _provider(p: Practitioner | None) -> x12.Provider | None:
    if p is None:
        return None
    return x12.Provider(last_name=_x12(p.last_name), first_name=_x12(p.first_name), npi=p.npi,
                        taxonomy=p.taxonomy_code)


def _engine_claim(claim: Claim) -> x12.Claim:
    return x12.Claim(
        patient_control_number=claim.patient_control_number, total_charge=claim.total_charge,
        place_of_service=claim.place_of_service, diagnosis_codes=tuple(claim.diagnoses),
        lines=tuple(x12.ServiceLine(procedure_code=li.procedure_code, charge=li.amount, service_date=li.service_date,
                                    units=li.units, modifiers=tuple(li.modifiers),
                                    diagnosis_pointers=tuple(li.diagnosis_pointers))
                    for li in claim.lines.all()),
        frequency_code=claim.frequency_code, rendering_provider=_provider(claim.rendering),
        supervising_provider=_provider(claim.supervising),
        prior_authorization=claim.authorization.number if claim.authorization else "",
        other_payers=_other_payers(claim),
    )


def _patient_address(patient) -> x12.Address:
    return _addr(patient.address_line1, patient.city, patient.state, patient.postal_code, patient.address_line2)


def _subscriber(cov: Coverage, patient, responsibility: str) -> x12.Subscriber:
    """The 2000B (or 2330A) subscriber of ``cov``: the patient when they hold the plan themselves."""
    filing = CLAIM_FILING_INDICATOR.get(cov.payer.payer_type, "CI")
    if cov.relationship == Relationship.SELF:
        return x12.Subscriber(member_id=cov.member_id, last_name=_x12(patient.legal_last_name),
                              first_name=_x12(patient.legal_first_name), birth_date=patient.date_of_birth,
                              gender=patient.sex_for_claims, address=_patient_address(patient),
                              group_number=cov.group_number, payer_responsibility=responsibility,
                              filing_indicator=filing)
    return x12.Subscriber(member_id=cov.member_id, last_name=_x12(cov.subscriber_last_name),
                          first_name=_x12(cov.subscriber_first_name),
                          birth_date=cov.subscriber_date_of_birth or patient.date_of_birth, gender="U",
                          address=_patient_address(patient), group_number=cov.group_number,
                          payer_responsibility=responsibility, filing_indicator=filing)


def _other_payers(claim: Claim) -> tuple[x12.OtherPayer, ...]:
    """For a secondary claim: the primary payer's adjudication from its latest 835 (2320/2330/2430).

    Line paid amounts are derived from the 835's balancing rule (charge = paid + adjustments).
    """
    primary = claim.primary_claim
    if primary is None:
        return ()
    rc = primary.remittances.select_related("remittance").order_by("-remittance__received_at", "-pk").first()
    if rc is None:
        return ()
    adjudicated = rc.remittance.payment_date or timezone.localdate(rc.remittance.received_at)
    adjs = [(a["line"], x12.Adjustment(a["group"], a["reason"], Decimal(a["amount"]))) for a in rc.adjustments]
    lines = []
    for li in claim.lines.all():
        mine = tuple(adj for n, adj in adjs if n == li.position)
        lines.append(x12.LineAdjudication(
            procedure_code=li.procedure_code, modifiers=tuple(li.modifiers),
            paid=li.amount - sum((a.amount for a in mine), Decimal(0)), units=li.units, adjustments=mine,
            adjudicated=adjudicated))
    cov = primary.coverage
    return (x12.OtherPayer(
        payer=x12.Payer(name=_x12(primary.payer.name), payer_id=primary.payer.payer_id),
        subscriber=_subscriber(cov, claim.patient, "P"), paid=rc.paid,
        claim_adjustments=tuple(adj for n, adj in adjs if n == 0), lines=tuple(lines),
        relationship="18" if cov.relationship == Relationship.SELF else cov.relationship,
        adjudicated=adjudicated),)


def _group(claims: list[Claim]) -> x12.ClaimGroup:
    first = claims[0]
    cov, patient, payer = first.coverage, first.patient, first.payer
    sub = _subscriber(cov, patient, "S" if first.primary_claim_id else "P")
    dependent = None
    if cov.relationship != Relationship.SELF:
        dependent = x12.Patient(relationship=cov.relationship, last_name=_x12(patient.legal_last_name),
                                first_name=_x12(patient.legal_first_name), birth_date=patient.date_of_birth,
                                gender=patient.sex_for_claims, address=_patient_address(patient))
    return x12.ClaimGroup(subscriber=sub, payer=x12.Payer(name=_x12(payer.name), payer_id=payer.payer_id),
                          claims=tuple(_engine_claim(c) for c in claims), patient=dependent)


def _ordered_claims(batch: ClaimBatch) -> list[Claim]:
    return list(batch.claims.select_related("patient", "coverage__payer", "payer", "rendering", "supervising",
                                            "authorization", "primary_claim__payer", "primary_claim__coverage")
                .prefetch_related("lines").order_by("patient_id", "coverage_id", "patient_control_number"))


def batch_x12(batch: ClaimBatch, claims: list[Claim], practice: Practice) -> tuple[str, dict[int, str]]:
    """Serialize ``claims`` as the batch's 837P; return the text and each claim's ST02."""
    groups: list[x12.ClaimGroup] = []
    run: list[Claim] = []
    for c in claims:
        if run and (run[0].patient_id, run[0].coverage_id) != (c.patient_id, c.coverage_id):
            groups.append(_group(run))
            run = []
        run.append(c)
    if run:
        groups.append(_group(run))
    sender = os.environ.get("PLEXUS_CLEARINGHOUSE_SENDER_ID", "").strip() or practice.group_npi
    receiver_id = os.environ.get("PLEXUS_CLEARINGHOUSE_RECEIVER_ID", "").strip() or "CLEARINGHOUSE"
    engine_batch = x12.ClaimBatch(
        submitter=x12.Submitter(name=_x12(practice.legal_name), identifier=sender[:15], contact_name="BILLING",
                                phone=practice.phone.lstrip("+").removeprefix("1")[-10:]),
        receiver=x12.Receiver(name=_x12(os.environ.get("PLEXUS_CLEARINGHOUSE_NAME", "CLEARINGHOUSE")),
                              identifier=receiver_id[:15]),
        billing_provider=x12.BillingProvider(
            name=_x12(practice.legal_name), npi=practice.group_npi, tax_id=practice.tax_id.replace("-", ""),
            address=_addr(practice.address_line1, practice.city, practice.state, practice.postal_code,
                          practice.address_line2),
            taxonomy=BILLING_TAXONOMY),
        groups=tuple(groups), batch_id=f"PLX{batch.control_number:09d}", created=batch.created_at,
    )
    spec = x12.EnvelopeSpec(sender[:15], receiver_id[:15], batch.control_number, batch.control_number,
                            batch.created_at, usage=os.environ.get("PLEXUS_X12_USAGE", "P"), ack_requested="1")
    try:
        text = x12.build_837p(engine_batch, spec, newline=True)
    except ValueError as exc:
        raise validation_error([FieldError("claims", str(exc))]) from exc
    # Which ST02 carries which claim: walk the transactions in order, counting CLM segments.
    st_of: dict[str, str] = {}
    for tx in x12.transactions_of(text, "837"):
        for seg in tx.segments:
            if seg.seg_id == "CLM":
                st_of[seg.element(1)] = tx.control_number
    return text, {c.pk: st_of.get(c.patient_control_number, "") for c in claims}


@transaction.atomic
def batch_build(*, actor: Actor, claim_ids: Sequence[int] | None = None, now: datetime | None = None) -> ClaimBatch:
    """Put every ready claim (or the ready ones of ``claim_ids``) not yet batched into a new 837P batch.

    Each claim is re-scrubbed first; claims that fail stay out (as drafts). Raise 409 when no claim
    is ready. Claims are locked, so two builders never put one claim in two batches.
    """
    now = now or timezone.now()
    practice = Practice.objects.first()
    if practice is None:
        raise validation_error([FieldError("practice", "Set up the practice first.")])
    # Ready means "not sent in its current form": a rejected claim corrected since its last batch is ready again.
    qs = Claim.objects.select_for_update().filter(status=ClaimStatus.READY)
    if claim_ids is not None:
        qs = qs.filter(pk__in=list(claim_ids))
    ready = []
    for claim in qs.order_by("pk"):
        claim = claim_scrub(actor=actor, claim=claim, now=now)
        if claim.status == ClaimStatus.READY:
            ready.append(claim)
    if not ready:
        raise ApplicationError(ErrorCode.CONFLICT, "No claims are ready to batch (scrub errors must be fixed first).")
    control = (ClaimBatch.objects.aggregate(m=Max("control_number"))["m"] or 0) + 1
    try:
        with transaction.atomic():
            batch = ClaimBatch.objects.create(control_number=control, created_at=now.replace(microsecond=0),
                                              created_by=actor.user if getattr(actor.user, "is_authenticated",
                                                                               False) else None)
    except IntegrityError as exc:
        raise ApplicationError(ErrorCode.CONFLICT, "Another batch was built at the same moment; try again.") from exc
    Claim.objects.filter(pk__in=[c.pk for c in ready]).update(batch=batch)
    claims = _ordered_claims(batch)
    text, st_of = batch_x12(batch, claims, practice)
    for c in claims:
        c.transaction_set = st_of[c.pk]
        move_status(c, ClaimStatus.SUBMITTED, by=actor_name(actor), at=now, note=f"In 837P batch {batch.control_number}")
        c.save(update_fields=["transaction_set", "status", "updated_at"])
    batch.x12, batch.claim_count = text, len(claims)
    batch.total_charge = sum((c.total_charge for c in claims), Decimal(0))
    batch.save(update_fields=["x12", "claim_count", "total_charge"])
    record(actor, AuditAction.EXPORT, "claim_batch", batch.pk, detail=f"{len(claims)} claims")
    return batch


def batch_rebuild_text(batch: ClaimBatch) -> str:
    """Serialize the batch again from its claims (same control numbers and timestamp: same text)."""
    practice = Practice.objects.first()
    return batch_x12(batch, _ordered_claims(batch), practice)[0]


def batch_export(*, actor: Actor, batch: ClaimBatch, now: datetime | None = None) -> str:
    """Return the batch's 837P text for upload and mark it exported (exporting again gives the same text)."""
    now = now or timezone.now()
    if not batch.exported_at:
        batch.exported_at = now
        batch.save(update_fields=["exported_at"])
    record(actor, AuditAction.EXPORT, "claim_batch_file", batch.pk, detail=f"{batch.claim_count} claims")
    return batch.x12


# --- 999 and 277CA ----------------------------------------------------------------------------------

ACCEPTED_999 = frozenset({"A", "E"})
REJECTED_277 = frozenset({"A3", "A4", "A6", "A7", "A8"})
ACCEPTED_277 = frozenset({"A2"})


@dataclass
class AckResult:
    kind: str
    accepted: int = 0
    rejected: int = 0
    unmatched: int = 0
    duplicate: bool = False

    def summary(self) -> str:
        if self.duplicate:
            return f"{self.kind}: already imported, nothing changed"
        return f"{self.kind}: {self.accepted} claims accepted, {self.rejected} rejected, {self.unmatched} unmatched"


def _ack_file(kind: str, text: str, source_name: str, result: AckResult, now: datetime) -> None:
    AckFile.objects.create(kind=kind, sha256=hashlib.sha256(text.encode()).hexdigest(), source_name=source_name[:300],
                           x12=text, summary=result.summary()[:300], received_at=now)


def _already(text: str) -> bool:
    return AckFile.objects.filter(sha256=hashlib.sha256(text.encode()).hexdigest()).exists()


def import_999(*, actor: Actor, acks: Sequence[x12.FunctionalAck], text: str, source_name: str,
               now: datetime) -> AckResult:
    """Apply 999s: AK1 GS06 names our batch, AK2 ST02 the transaction; a rejected transaction rejects
    its claims (they go back to the biller), an accepted one leaves them submitted."""
    result = AckResult("999")
    if _already(text):
        result.duplicate = True
        return result
    for ack in acks:
        batch = ClaimBatch.objects.filter(control_number=int(ack.group_control_number or 0)).first() \
            if (ack.group_control_number or "").isdigit() else None
        if batch is None:
            result.unmatched += 1
            continue
        batch.ack_status = ack.status[:2]
        batch.save(update_fields=["ack_status"])
        for tx in ack.transactions:
            claims = list(Claim.objects.select_for_update().filter(batch=batch, transaction_set=tx.control_number))
            for claim in claims:
                if tx.status in ACCEPTED_999:
                    result.accepted += 1
                    ClaimEvent.objects.create(claim=claim, at=now, username=actor_name(actor), from_status=claim.status,
                                              to_status=claim.status, note=f"999: transaction {tx.control_number} "
                                                                           f"accepted ({tx.status})")
                    continue
                result.rejected += 1
                errors = "; ".join(f"{e.segment_id} at segment {e.position}: error {e.code}"
                                   for e in tx.segment_errors) or ", ".join(tx.error_codes) or "no detail"
                claim.problems = [*claim.problems, {"code": "999-rejected", "field": "x12", "severity": "error",
                                                    "message": f"Rejected by the 999: {errors}"}]
                if claim.status == ClaimStatus.SUBMITTED:
                    move_status(claim, ClaimStatus.REJECTED, by=actor_name(actor), at=now, note=f"999 rejected: {errors}")
                claim.save()
    _ack_file("999", text, source_name, result, now)
    return result


def import_277ca(*, actor: Actor, acks: Sequence[x12.ClaimAck], text: str, source_name: str,
                 now: datetime) -> AckResult:
    """Apply 277CA claim statuses by patient control number: A2 accepted into adjudication;
    A3/A4/A6/A7/A8 rejected (with the status codes as the reason); A1 alone changes nothing."""
    result = AckResult("277CA")
    if _already(text):
        result.duplicate = True
        return result
    pcns = [a.patient_control_number for a in acks]
    claims = {c.patient_control_number: c for c in Claim.objects.select_for_update()
              .filter(patient_control_number__in=pcns)}
    for ack in acks:
        claim = claims.get(ack.patient_control_number)
        if claim is None:
            result.unmatched += 1
            continue
        categories = {s.category for s in ack.statuses}
        reasons = ", ".join(f"{s.category}:{s.code}" + (f":{s.entity}" if s.entity else "") for s in ack.statuses)
        if categories & REJECTED_277:
            result.rejected += 1
            claim.problems = [*claim.problems, {"code": "277ca-rejected", "field": "x12", "severity": "error",
                                                "message": f"Rejected by the payer's 277CA ({reasons})."}]
            if claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED):
                move_status(claim, ClaimStatus.REJECTED, by=actor_name(actor), at=now, note=f"277CA {reasons}")
        elif categories & ACCEPTED_277:
            result.accepted += 1
            if ack.payer_claim_number:
                claim.payer_claim_number = ack.payer_claim_number[:50]
            if claim.status == ClaimStatus.SUBMITTED:
                move_status(claim, ClaimStatus.ACCEPTED, by=actor_name(actor), at=now, note=f"277CA {reasons}")
        claim.save()
    _ack_file("277CA", text, source_name, result, now)
    return result

