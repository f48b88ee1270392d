"""What a visit block's plan covers, before the visit: a green/amber/red light per component and per
block, with reasons in words (SCENARIOS.md: "massage is direct-pay"), limit and authorisation
warnings, and the signed waiver that turns a component into direct pay (ABN-style for Medicare).

Lights come from the latest eligibility answer for the patient's primary coverage active on the
day (benefits.py), the service's coverage category, and claims.limit_warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from plexus.billing import benefits as bn
from plexus.billing.claims import MEDICARE_TYPES, LimitWarning, limit_warnings
from plexus.billing.models import BenefitLine, CheckStatus, Light, Waiver, WaiverKind
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, CoverageCategory, Location
from plexus.patients.models import Coverage, Priority
from plexus.scheduling.models import ACTIVE_VALUES, Appointment, Status, VisitBlock
from plexus.scheduling.selectors import local_day_bounds

RANK = {Light.GREEN: 0, Light.AMBER: 1, Light.RED: 2}
# Limit warnings that mean the payer will not pay (red) rather than "check first" (amber).
BLOCKING = frozenset({"visit-limit", "auth-visits-used", "auth-units-used", "acu-annual-limit"})


@dataclass(frozen=True, slots=True)
class ComponentCoverage:
    appointment: Appointment
    stream: str  # insurance | direct
    light: str
    reasons: tuple[str, ...]
    warnings: tuple[LimitWarning, ...] = ()
    waiver: Waiver | None = None

    @property
    def needs_waiver(self) -> bool:
        """A warning stands and nothing is signed yet: offer direct pay with a waiver."""
        return bool(self.warnings) and self.waiver is None


@dataclass(frozen=True, slots=True)
class BlockCoverage:
    block: VisitBlock
    coverage: Coverage | None
    light: str
    components: tuple[ComponentCoverage, ...] = field(default_factory=tuple)

    @property
    def reasons(self) -> list[str]:
        return [r for c in self.components for r in c.reasons if c.light != Light.GREEN]

    @property
    def waiver_kind(self) -> str:
        medicare = self.coverage is not None and self.coverage.payer.payer_type in MEDICARE_TYPES
        return WaiverKind.ABN if medicare else WaiverKind.DIRECT_PAY


def _short(appt: Appointment) -> str:
    return appt.service.name.split(",")[0].split(" (")[0].lower()


def _primary(patient_id: int, day: date) -> Coverage | None:
    covs = Coverage.objects.select_related("payer").filter(patient_id=patient_id, priority=Priority.PRIMARY)
    return next((c for c in covs if c.is_active_on(day)), None)


def _latest_lines(coverage: Coverage) -> dict[str, BenefitLine]:
    """The newest answered benefit line per service type for ``coverage``."""
    out: dict[str, BenefitLine] = {}
    for line in (BenefitLine.objects.filter(eligibility_check__coverage=coverage,
                                            eligibility_check__status=CheckStatus.ANSWERED)
                 .order_by("-eligibility_check__answered_at", "position")):
        out.setdefault(line.service_type, line)
    return out


def _component(appt: Appointment, coverage: Coverage | None, lines: dict[str, BenefitLine], day: date,
               waiver: Waiver | None) -> ComponentCoverage:
    name = _short(appt)
    if waiver is not None:
        return ComponentCoverage(appt, "direct", Light.GREEN,
                                 (f"{name}: {waiver.get_kind_display()} signed by {waiver.signed_name}; direct pay",),
                                 waiver=waiver)
    if appt.service.coverage_category == CoverageCategory.DIRECT_PAY:
        return ComponentCoverage(appt, "direct", Light.AMBER, (f"{name} is direct-pay",))
    if coverage is None:
        return ComponentCoverage(appt, "direct", Light.AMBER, (f"no active coverage: {name} is direct-pay",))
    stc = bn.service_type_for(appt.service.procedure_code)
    line = lines.get(stc) or lines.get(bn.GENERAL)
    warnings = tuple(limit_warnings(coverage=coverage, codes=[appt.service.procedure_code], on=day,
                                    patient_id=appt.patient_id))
    if line is None:
        light, reasons = Light.AMBER, [f"{name}: no eligibility answer yet"]
    else:
        light, reasons = line.status, [line.headline]
    if warnings:
        worst = Light.RED if any(w.code in BLOCKING for w in warnings) else Light.AMBER
        light = max(light, worst, key=RANK.__getitem__)
        reasons += [w.message.rstrip(".") for w in warnings]
    return ComponentCoverage(appt, "insurance", light, tuple(reasons), warnings)


def block_coverage(block: VisitBlock) -> BlockCoverage:
    """The light for each active component of ``block`` and for the block (the worst of them)."""
    day = timezone.localdate(block.start, ZoneInfo(block.location.time_zone))
    coverage = _primary(block.patient_id, day)
    lines = _latest_lines(coverage) if coverage else {}
    appts = [a for a in block.appointments.select_related("service", "practitioner").order_by("position")
             if a.status in ACTIVE_VALUES]
    waivers = {w.appointment_id: w for w in Waiver.objects.filter(appointment__in=appts)}
    comps = tuple(_component(a, coverage, lines, day, waivers.get(a.pk)) for a in appts)
    light = max((c.light for c in comps), key=RANK.__getitem__, default=Light.GREEN)
    return BlockCoverage(block, coverage, light, comps)


def day_coverage(day: date, location: Location) -> list[BlockCoverage]:
    """Lights for every active visit block starting on ``day`` (wall-clock day at ``location``)."""
    start, end = local_day_bounds(day, location.time_zone)
    blocks = (VisitBlock.objects.filter(location=location, start__gte=start, start__lt=end)
              .exclude(status__in=[Status.CANCELLED, Status.NO_SHOW]))
    return [block_coverage(b) for b in blocks.select_related("patient", "location").order_by("start", "pk")]


@transaction.atomic
def waiver_record(*, actor: Actor, appointment: Appointment, reason: str, estimated_cost: Decimal,
                  signed_name: str, signed_at: datetime | None = None) -> Waiver:
    """Record the patient's signed agreement to pay for ``appointment`` directly.

    The kind follows the payer: an ABN (CMS-R-131) for Medicare, a direct-pay agreement otherwise.
    Raise 422 naming the field for a blank reason or name or a negative cost; 409 when the
    appointment is cancelled or already has a waiver.
    """
    appt = Appointment.objects.select_for_update(of=("self",)).select_related("service").get(pk=appointment.pk)
    errors = []
    if not reason.strip():
        errors.append(FieldError("reason", "Say why the payer is expected not to pay."))
    if not signed_name.strip():
        errors.append(FieldError("signed_name", "Type the name of the person who signed."))
    if estimated_cost < 0 or estimated_cost != estimated_cost.quantize(Decimal("0.01")):
        errors.append(FieldError("estimated_cost", "Enter the estimated cost in dollars and cents."))
    if errors:
        raise validation_error(errors)
    if appt.status not in ACTIVE_VALUES:
        raise ApplicationError(ErrorCode.CONFLICT, "The appointment is cancelled.",
                               [FieldError("appointment_id", "Not active.")])
    if Waiver.objects.filter(appointment=appt).exists():
        raise ApplicationError(ErrorCode.CONFLICT, "A waiver is already on file for this appointment.",
                               [FieldError("appointment_id", "Already signed.")])
    coverage = _primary(appt.patient_id, timezone.localdate(appt.start))
    kind = WaiverKind.ABN if coverage and coverage.payer.payer_type in MEDICARE_TYPES else WaiverKind.DIRECT_PAY
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    waiver = Waiver.objects.create(patient_id=appt.patient_id, appointment=appt, kind=kind, reason=reason.strip()[:300],
                                   estimated_cost=estimated_cost, signed_name=signed_name.strip()[:200],
                                   signed_at=signed_at or timezone.now(), recorded_by=user)
    record(actor, AuditAction.CREATE, "waiver", waiver.pk, patient_id=appt.patient_id,
           changed_fields=["kind", "reason", "estimated_cost", "signed_name"])
    return waiver
