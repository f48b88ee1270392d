"""Writes for billing: create and send eligibility checks, import 271 answers."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from plexus.billing import benefits as bn
from plexus.billing.claims import import_277ca, import_999
from plexus.billing.clearinghouse import Clearinghouse, FileExchange, TransportError, get_clearinghouse
from plexus.billing.models import BenefitLine, CheckStatus, EligibilityCheck, UnmatchedResponse
from plexus.billing.remittance import post_remittances
from plexus.billing.x12io import SUPPORTED, build_batch_270, detect_type, member_excerpt
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Practice
from plexus.engines.x12 import EligibilityResponse, X12Error, parse_271, parse_277ca, parse_835, parse_999
from plexus.patients.models import Coverage, Patient


@dataclass
class ImportResult:
    kind: str
    matched: int = 0
    unmatched: int = 0
    duplicates: int = 0
    check_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.kind}: {self.matched} answers matched, {self.unmatched} unmatched, "
                f"{self.duplicates} already imported")


PARSERS = {"271": parse_271, "999": parse_999, "277CA": parse_277ca, "835": parse_835}


def _practice() -> Practice:
    practice = Practice.objects.first()
    if practice is None:
        raise validation_error([FieldError("practice", "Set up the practice (legal name, group NPI) first.")])
    return practice


def _clean_service_types(service_types: Sequence[str]) -> list[str]:
    codes = [s.strip().upper() for s in service_types if s.strip()]
    bad = [s for s in codes if s not in bn.SERVICE_TYPES]
    if not codes:
        raise validation_error([FieldError("service_types", "Choose at least one service type.")])
    if bad:
        allowed = ", ".join(f"{k} ({v})" for k, v in bn.SERVICE_TYPES.items())
        raise validation_error([FieldError("service_types", f"Unknown service type {bad[0]!r}; use {allowed}.")])
    return list(dict.fromkeys(codes))


@transaction.atomic
def eligibility_check_create(
    *, actor: Actor, patient: Patient, coverage_id: int, service_types: Sequence[str], service_date: date,
    trace_number: str = "", created_at: datetime | None = None,
) -> EligibilityCheck:
    """Queue a check for ``patient``'s coverage (which must be theirs and active on ``service_date``)."""
    coverage = Coverage.objects.select_related("payer").filter(pk=coverage_id, patient=patient).first()
    if coverage is None:
        raise validation_error([FieldError("coverage_id", "This coverage does not belong to the patient.")])
    if not coverage.is_active_on(service_date):
        raise validation_error([FieldError("coverage_id", f"The coverage is not active on {service_date:%Y-%m-%d}.")])
    check = EligibilityCheck(
        patient=patient, coverage=coverage, service_types=_clean_service_types(service_types),
        service_date=service_date, trace_number=trace_number or uuid.uuid4().hex[:20].upper(),
        requested_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        created_at=created_at or timezone.now(),
    )
    check.full_clean()
    check.save()
    record(actor, AuditAction.CREATE, "eligibility_check", check.pk, patient_id=patient.pk,
           changed_fields=["coverage", "service_types", "service_date"])
    return check


def eligibility_checks_send(
    *, actor: Actor, checks: Sequence[EligibilityCheck], transport: Clearinghouse | None = None,
    now: datetime | None = None,
) -> list[EligibilityCheck]:
    """Send queued checks: one 270 interchange per payer through ``transport`` (default: configured).

    File exchange leaves the checks ``sent``; a real-time answer is imported at once. A transport
    failure or a bad 271 marks the checks ``error`` with the reason (they can be re-run).
    """
    transport = transport or get_clearinghouse()
    now = now or timezone.now()
    practice = _practice()
    by_payer: dict[int, list[EligibilityCheck]] = {}
    for c in checks:
        by_payer.setdefault(c.coverage.payer_id, []).append(c)
    for group in by_payer.values():
        reference = f"{now:%Y%m%d%H%M%S}-{group[0].pk}"
        text = build_batch_270(group, practice, created=now, control_number=group[0].pk)
        with transaction.atomic():
            for c in group:
                own = text if len(group) == 1 else member_excerpt(text, c.trace_number)
                c.request_x12, c.transport, c.sent_at, c.status = own, transport.name, now, CheckStatus.SENT
                c.save(update_fields=["request_x12", "transport", "sent_at", "status"])
        try:
            answer = transport.submit(text, reference=reference)
        except TransportError as exc:
            _mark_error(group, str(exc))
            continue
        if isinstance(transport, FileExchange) and transport.last_path is not None:
            EligibilityCheck.objects.filter(pk__in=[c.pk for c in group]).update(outbox_file=transport.last_path.name)
        if answer is not None:
            try:
                x12_import(actor=actor, text=answer, source_name=f"{transport.name}:{reference}", now=now)
            except ApplicationError as exc:
                _mark_error(group, exc.detail)
        record(actor, AuditAction.EXPORT, "eligibility_270", reference, changed_fields=["request_x12"],
               detail=f"{len(group)} inquiries via {transport.name}")
    for c in checks:
        c.refresh_from_db()
    return list(checks)


def _mark_error(group: Sequence[EligibilityCheck], message: str) -> None:
    EligibilityCheck.objects.filter(pk__in=[c.pk for c in group], status=CheckStatus.SENT).update(
        status=CheckStatus.ERROR, error=message[:500])


def eligibility_check_run(
    *, actor: Actor, patient: Patient, coverage_id: int, service_types: Sequence[str], service_date: date,
    transport: Clearinghouse | None = None,
) -> EligibilityCheck:
    """Create a check and send it at once; return it (answered, sent, or error with the reason)."""
    check = eligibility_check_create(actor=actor, patient=patient, coverage_id=coverage_id,
                                     service_types=service_types, service_date=service_date)
    return eligibility_checks_send(actor=actor, checks=[check], transport=transport)[0]


def _benefit_lines(check: EligibilityCheck, summary: bn.BenefitsSummary) -> list[BenefitLine]:
    return [
        BenefitLine(
            eligibility_check=check, position=i, service_type=s.service_type, label=s.label, specific=s.specific,
            active=s.active, covered=s.covered, in_network=s.in_network, copay=s.copay,
            coinsurance_percent=s.coinsurance_percent, deductible_total=s.deductible_total,
            deductible_remaining=s.deductible_remaining, out_of_pocket_remaining=s.out_of_pocket_remaining,
            visits_total=s.visits_total, visits_used=s.visits_used, visits_remaining=s.visits_remaining,
            visit_period=s.visit_period, auth_required=s.auth_required, status=s.status, headline=s.headline[:300],
            reasons=list(s.reasons), messages=list(s.messages),
        )
        for i, s in enumerate(summary.services)
    ]


def _apply(check: EligibilityCheck, resp: EligibilityResponse, text: str, now: datetime) -> None:
    summary = bn.summarize(resp, check.service_types)
    rejected = bool(summary.rejections) and not resp.benefits
    check.status = CheckStatus.REJECTED if rejected else CheckStatus.ANSWERED
    check.response_x12, check.answered_at, check.error = text, now, ""
    check.plan_name, check.plan_active = summary.plan[:100], summary.active
    check.rejections = list(summary.rejections)
    check.save()
    check.benefit_lines.all().delete()
    BenefitLine.objects.bulk_create(_benefit_lines(check, summary))


def _parse_file(text: str) -> tuple[str, list]:
    """Detect the type and parse; raise a 422 naming segment and position on malformed X12."""
    try:
        kind = detect_type(text)
        if kind not in SUPPORTED:
            raise ApplicationError(
                ErrorCode.VALIDATION, f"Plexus imports 271, 999, 277CA and 835 files, not {kind}.",
                [FieldError("file", f"{kind} files cannot be imported.")])
        return kind, PARSERS[kind](text)
    except X12Error as exc:
        raise validation_error(
            [FieldError("file", str(exc))], detail=f"Malformed X12, nothing was imported: {exc}") from exc


@transaction.atomic
def x12_import(*, actor: Actor, text: str, source_name: str = "", now: datetime | None = None):
    """Import one X12 file by its type, all or nothing: 271 answers (ImportResult), 999 and 277CA
    acknowledgements (AckResult), 835 remittances (PostResult). Each result has ``summary()``."""
    now = now or timezone.now()
    kind, parsed = _parse_file(text)
    if kind == "999":
        result = import_999(actor=actor, acks=parsed, text=text, source_name=source_name, now=now)
    elif kind == "277CA":
        result = import_277ca(actor=actor, acks=parsed, text=text, source_name=source_name, now=now)
    elif kind == "835":
        result = post_remittances(actor=actor, remittances=parsed, text=text,
                                  sha256=hashlib.sha256(text.encode()).hexdigest(), source_name=source_name, now=now)
    else:
        result = _import_271(actor, parsed, text, source_name, now)
    record(actor, AuditAction.IMPORT, "x12_file", source_name[:64], detail=result.summary()[:300])
    return result


def _import_271(actor: Actor, responses: list[EligibilityResponse], text: str, source_name: str,
                now: datetime) -> ImportResult:
    """Match 271 answers to checks by trace number (TRN02); unknown traces go to the unmatched list."""
    result = ImportResult("271")
    traces = {t for r in responses for t in r.trace_numbers}
    checks = {c.trace_number: c for c in EligibilityCheck.objects.select_for_update().filter(trace_number__in=traces)}
    for resp in responses:
        check = next((checks[t] for t in resp.trace_numbers if t in checks), None)
        if check is None:
            member = resp.dependent or resp.subscriber
            trace = (resp.trace_numbers or ("",))[0]
            UnmatchedResponse.objects.create(
                trace_number=trace[:50], payer_name=resp.payer.name[:200],
                payer_identifier=resp.payer.identifier[:80], member_id=resp.subscriber.member_id[:80],
                last_name=member.last_name[:100], first_name=member.first_name[:100],
                reason="No eligibility check with this trace number." if resp.trace_numbers
                else "The answer carries no trace number.",
                source_name=source_name[:300], received_at=now,
                x12=text if len(responses) == 1 or not trace else member_excerpt(text, trace),
            )
            result.unmatched += 1
            continue
        own_text = text if len(responses) == 1 else member_excerpt(text, check.trace_number)
        if check.status in (CheckStatus.ANSWERED, CheckStatus.REJECTED) and check.response_x12 == own_text:
            result.duplicates += 1
            continue
        _apply(check, resp, own_text, now)
        result.matched += 1
        result.check_ids.append(check.pk)
        record(actor, AuditAction.IMPORT, "eligibility_271", check.pk, patient_id=check.patient_id,
               changed_fields=["response_x12", "status", "benefit_lines"])
    return result
