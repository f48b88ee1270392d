"""Encounters become charges: codes and units from what was done, prices from fee schedules.

Flow: a completed appointment -> ``encounter_record`` (diagnoses, minutes, place of service, the
coverage to bill or none) -> charge lines waiting for review -> ``encounter_approve`` puts the
insurance lines on a claim (scrubbed at once) and posts every line to the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from plexus.billing import ledger
from plexus.billing.models import (
    Account,
    Charge,
    ChargeStatus,
    Encounter,
    EntryKind,
    FeeSchedule,
    FeeScheduleEntry,
    Stream,
    Waiver,
)
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, CoverageCategory, Payer, Service
from plexus.core.validators import PLACE_OF_SERVICE
from plexus.engines.claims import ADD_ON_CODES, code_lines, icd10_problem, normalize_icd10, timed_units
from plexus.patients.models import Coverage
from plexus.scheduling.models import Appointment, Status

TWO = Decimal("0.01")
DEFAULT_SCHEDULE = "Practice default"


@dataclass(frozen=True, slots=True)
class LineInput:
    """A line the practitioner chose by hand (instead of the service's own codes)."""

    procedure_code: str
    units: Decimal = Decimal(1)
    modifiers: tuple[str, ...] = ()
    diagnosis_pointers: tuple[int, ...] = (1,)


@dataclass(frozen=True, slots=True)
class EncounterInput:
    appointment_id: int
    diagnoses: tuple[str, ...]
    coverage_id: int | None
    minutes: int | None = None
    place_of_service: str = ""
    improving: bool | None = None
    lines: tuple[LineInput, ...] = ()


@dataclass
class _Priced:
    code: str
    modifiers: list[str]
    units: Decimal
    pointers: list[int]
    unit_fee: Decimal = Decimal(0)
    source: str = ""
    errors: list[FieldError] = field(default_factory=list)


def catalog_unit_fee(service: Service) -> Decimal:
    """A service's catalog fee per unit: the default fee covers the units its booked length bills
    (timed codes), or one unit (untimed codes)."""
    if not service.unit_minutes:
        return service.default_fee
    units = max(1, min(timed_units(service.duration_minutes, service.unit_minutes), service.max_units))
    return (service.default_fee / units).quantize(TWO)


def fee_for(code: str, modifiers: Sequence[str], payer: Payer | None,
            booked: Service | None = None) -> tuple[Decimal, str] | None:
    """Return (unit fee, where it came from): the payer's schedule, then the practice default
    schedule, then the service catalog (the booked service first when it has this code).

    Within a schedule an entry for the code with the first modifier wins over the plain code.
    """
    schedules = []
    if payer is not None:
        schedules += list(FeeSchedule.objects.filter(payer=payer))
    schedules += list(FeeSchedule.objects.filter(payer__isnull=True).order_by("id")[:1])
    first_mod = modifiers[0] if modifiers else ""
    for schedule in schedules:
        entries = {e.modifier: e.amount for e in FeeScheduleEntry.objects.filter(schedule=schedule,
                                                                               procedure_code=code)}
        if first_mod and first_mod in entries:
            return entries[first_mod], schedule.name
        if "" in entries:
            return entries[""], schedule.name
    if booked is not None and booked.procedure_code == code:
        return catalog_unit_fee(booked), "Service catalog"
    services = list(Service.objects.filter(procedure_code=code, is_active=True))
    if services:
        return min(catalog_unit_fee(s) for s in services), "Service catalog"
    return None


def _service_lines(appt: Appointment, minutes: int) -> list[_Priced]:
    service = appt.service
    max_units = service.max_units
    addon = ADD_ON_CODES.get(service.procedure_code)
    if addon:
        addon_service = Service.objects.filter(procedure_code=addon).first()
        max_units += addon_service.max_units if addon_service else 0
    coded = code_lines(service.procedure_code, minutes, service.unit_minutes or 0, max_units,
                       tuple(service.modifiers))
    return [_Priced(c.procedure_code, list(c.modifiers), Decimal(c.units), [1]) for c in coded]


def _clean_diagnoses(codes: Sequence[str]) -> list[str]:
    dx = [normalize_icd10(c) for c in codes if c and c.strip()]
    errors = [FieldError(f"diagnoses[{i}]", f"{c!r}: {msg}") for i, c in enumerate(dx)
              if (msg := icd10_problem(c))]
    if not dx:
        errors.append(FieldError("diagnoses", "Enter at least one ICD-10-CM diagnosis code."))
    if len(dx) > 12:
        errors.append(FieldError("diagnoses", "A claim carries at most 12 diagnosis codes."))
    if len(set(dx)) != len(dx):
        errors.append(FieldError("diagnoses", "A diagnosis code is listed twice."))
    if errors:
        raise validation_error(errors)
    return dx


def _check_line(i: int, line: _Priced, n_dx: int) -> None:
    where = f"lines[{i}]"
    if line.units <= 0 or line.units != line.units.quantize(TWO):
        line.errors.append(FieldError(f"{where}.units", "Units must be positive (at most two decimals)."))
    if not line.pointers or len(line.pointers) > 4 or any(not 0 < p <= n_dx for p in line.pointers):
        line.errors.append(FieldError(f"{where}.diagnosis_pointers",
                                      f"Point at 1 to 4 of the {n_dx} diagnoses (1..{n_dx})."))
    if len(line.modifiers) > 4 or any(len(m) != 2 or not m.isalnum() for m in line.modifiers):
        line.errors.append(FieldError(f"{where}.modifiers", "Up to 4 two-character modifiers."))


def _coverage_for(enc: EncounterInput, appt: Appointment) -> Coverage | None:
    if enc.coverage_id is None:
        return None
    cov = Coverage.objects.select_related("payer").filter(pk=enc.coverage_id, patient_id=appt.patient_id).first()
    if cov is None:
        raise validation_error([FieldError("coverage_id", "This coverage does not belong to the patient.")])
    if not cov.is_active_on(timezone.localdate(appt.start)):
        raise validation_error([FieldError("coverage_id", "The coverage was not active on the date of service.")])
    return cov


def _stream(appt: Appointment, coverage: Coverage | None) -> str:
    if coverage is None or appt.service.coverage_category == CoverageCategory.DIRECT_PAY:
        return Stream.DIRECT
    if Waiver.objects.filter(appointment=appt).exists():
        return Stream.DIRECT  # the patient signed to pay directly (ABN or direct-pay agreement)
    return Stream.INSURANCE


@transaction.atomic
def encounter_record(*, actor: Actor, data: EncounterInput, now: datetime | None = None) -> Encounter:
    """Record what was done at a completed appointment and price its charge lines for review.

    Raise 422 naming the field for an unknown code, a bad diagnosis or pointer, a coverage that is
    not the patient's; 409 when the appointment is not completed or already has an encounter.
    """
    now = now or timezone.now()
    appt = (Appointment.objects.select_for_update(of=("self",)).select_related("service", "location", "practitioner")
            .filter(pk=data.appointment_id).first())
    if appt is None:
        raise validation_error([FieldError("appointment_id", "No such appointment.")])
    if appt.status != Status.COMPLETED:
        raise ApplicationError(ErrorCode.CONFLICT, "Charges come from completed appointments; "
                               f"this one is {appt.get_status_display().lower()}.",
                               [FieldError("appointment_id", "The appointment is not completed.")])
    if Encounter.objects.filter(appointment=appt).exists():
        raise ApplicationError(ErrorCode.CONFLICT, "This appointment already has an encounter.",
                               [FieldError("appointment_id", "Already recorded.")])
    dx = _clean_diagnoses(data.diagnoses)
    pos = data.place_of_service or appt.location.place_of_service
    if pos not in PLACE_OF_SERVICE:
        raise validation_error([FieldError("place_of_service", f"{pos!r} is not a supported place of service.")])
    minutes = data.minutes if data.minutes is not None else int((appt.end - appt.start).total_seconds() // 60)
    if not 0 < minutes <= 600:
        raise validation_error([FieldError("minutes", "Minutes must be between 1 and 600.")])
    coverage = _coverage_for(data, appt)
    if data.lines:
        lines = [_Priced(li.procedure_code.strip().upper(), [m.strip().upper() for m in li.modifiers if m.strip()],
                         Decimal(li.units), list(li.diagnosis_pointers)) for li in data.lines]
    else:
        lines = _service_lines(appt, minutes)
        if not lines:
            raise validation_error([FieldError("minutes", f"{minutes} minutes is less than one billable unit "
                                                          "of a timed code (8-minute rule).")])
    payer = coverage.payer if coverage else None
    errors: list[FieldError] = []
    for i, line in enumerate(lines):
        _check_line(i, line, len(dx))
        fee = fee_for(line.code, line.modifiers, payer, appt.service)
        if fee is None:
            line.errors.append(FieldError(f"lines[{i}].procedure_code", f"No fee for {line.code} in any fee "
                                                                         "schedule or the service catalog."))
        else:
            line.unit_fee, line.source = fee
        errors += line.errors
    if errors:
        raise validation_error(errors)
    stream = _stream(appt, coverage)
    encounter = Encounter.objects.create(
        appointment=appt, patient_id=appt.patient_id, practitioner=appt.practitioner, coverage=coverage,
        service_date=timezone.localdate(appt.start), diagnoses=dx, minutes=minutes, place_of_service=pos,
        improving=data.improving, created_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        created_at=now,
    )
    Charge.objects.bulk_create([
        Charge(encounter=encounter, patient_id=appt.patient_id, position=i + 1, procedure_code=line.code,
               modifiers=line.modifiers, units=line.units, unit_fee=line.unit_fee,
               amount=(line.unit_fee * line.units).quantize(TWO), diagnosis_pointers=line.pointers,
               stream=stream, fee_source=line.source)
        for i, line in enumerate(lines)
    ])
    record(actor, AuditAction.CREATE, "encounter", encounter.pk, patient_id=appt.patient_id,
           changed_fields=["diagnoses", "charges"])
    return encounter


@transaction.atomic
def encounter_approve(*, actor: Actor, encounter: Encounter, now: datetime | None = None):
    """Approve an encounter's charges under review: post each to the ledger and put the insurance
    lines on a new claim (scrubbed). Return the claim, or None when every line is direct pay.

    Raise 409 when nothing is waiting for review.
    """
    from plexus.billing.claims import claim_create_from_encounter

    now = now or timezone.now()
    pending = list(Charge.objects.select_for_update().filter(encounter=encounter, status=ChargeStatus.REVIEW))
    if not pending:
        raise ApplicationError(ErrorCode.CONFLICT, "No charges of this encounter are waiting for review.")
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    for charge in pending:
        charge.status, charge.reviewed_by, charge.reviewed_at = ChargeStatus.APPROVED, user, now
        charge.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        account = Account.INSURANCE if charge.stream == Stream.INSURANCE else Account.PATIENT
        ledger.post(actor=actor, patient_id=charge.patient_id, account=account, kind=EntryKind.CHARGE,
                    amount=charge.amount, key=f"charge:{charge.pk}", posted_at=now,
                    service_date=encounter.service_date, charge=charge,
                    memo=f"{charge.procedure_code} x{charge.units:g}")
    insurance = [c for c in pending if c.stream == Stream.INSURANCE]
    record(actor, AuditAction.UPDATE, "encounter", encounter.pk, patient_id=encounter.patient_id,
           changed_fields=["charges.status"], detail=f"{len(pending)} charges approved")
    if not insurance:
        return None
    return claim_create_from_encounter(actor=actor, encounter=encounter, charges=insurance, now=now)


@transaction.atomic
def charge_void(*, actor: Actor, charge: Charge, reason: str) -> Charge:
    """Void a charge still under review (approved charges are corrected by ledger entries instead)."""
    charge = Charge.objects.select_for_update().get(pk=charge.pk)
    if charge.status != ChargeStatus.REVIEW:
        raise ApplicationError(ErrorCode.CONFLICT, "Only charges waiting for review can be voided.")
    if not reason.strip():
        raise validation_error([FieldError("reason", "Say why the charge is voided.")])
    charge.status = ChargeStatus.VOID
    charge.save(update_fields=["status"])
    record(actor, AuditAction.UPDATE, "charge", charge.pk, patient_id=charge.patient_id,
           changed_fields=["status"], detail=reason[:300])
    return charge
