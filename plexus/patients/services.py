"""Writes for patients and coverage. All validation errors name the field; nothing is saved when
any check fails."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from plexus.core.audit import Actor, record
from plexus.core.errors import (
    ApplicationError,
    ErrorCode,
    FieldError,
    from_django_validation,
    validation_error,
)
from plexus.core.models import AuditAction
from plexus.core.validators import normalize_email, normalize_phone
from plexus.patients.models import Coverage, Patient, Relationship

PATIENT_FIELDS = frozenset(
    f.name for f in Patient._meta.get_fields() if getattr(f, "concrete", False) and f.name not in {
        "id", "chart_number", "created_at", "guarantor"
    }
) | {"guarantor_id"}
COVERAGE_FIELDS = frozenset(
    {
        "payer_id", "member_id", "group_number", "plan_name", "relationship", "subscriber_first_name",
        "subscriber_last_name", "subscriber_date_of_birth", "priority", "effective_date", "end_date",
    }
)


def _unknown_fields(data: dict[str, Any], allowed: frozenset[str], row: int | None = None) -> list[FieldError]:
    return [FieldError(k, "Unknown field.", row) for k in data if k not in allowed]


def prepare_patient(patient: Patient, row: int | None = None) -> list[FieldError]:
    """Normalise phones and email in place and run model validation; return every problem found."""
    errors: list[FieldError] = []
    for name in ("phone_mobile", "phone_home"):
        try:
            setattr(patient, name, normalize_phone(getattr(patient, name) or ""))
        except ValidationError as exc:
            errors.append(FieldError(name, exc.messages[0], row))
    try:
        patient.email = normalize_email(patient.email or "")
    except ValidationError as exc:
        errors.append(FieldError("email", exc.messages[0], row))
    bad = {e.field for e in errors}
    try:
        patient.full_clean(exclude=["chart_number", *bad])
    except ValidationError as exc:
        errors.extend(from_django_validation(exc, row))
    if patient.date_of_birth and isinstance(patient.date_of_birth, date) and patient.date_of_birth > timezone.localdate():
        errors.append(FieldError("date_of_birth", "Date of birth is in the future.", row))
    return errors


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return a_start <= (b_end or date.max) and b_start <= (a_end or date.max)


def coverage_problems(
    coverage: Coverage, siblings: Iterable[Coverage], row: int | None = None, prefix: str = ""
) -> list[FieldError]:
    """Check one coverage against the patient's other coverages and the payer's member IDs.

    Rules: two coverages of one patient may not share a priority over overlapping dates; a
    subscriber's own member ID (relationship self) is unique per payer. Dependants may carry the
    subscriber's member ID, so the second rule does not apply to them.
    """
    errors: list[FieldError] = []
    try:
        coverage.full_clean(exclude=["patient"])
    except ValidationError as exc:
        errors.extend(FieldError(prefix + e.field, e.message, row) for e in from_django_validation(exc))
        return errors
    if coverage.end_date and coverage.end_date < coverage.effective_date:
        errors.append(FieldError(prefix + "end_date", "End date is before the effective date.", row))
    if coverage.relationship != Relationship.SELF and not coverage.subscriber_last_name:
        errors.append(
            FieldError(prefix + "subscriber_last_name", "Name the subscriber when the patient is not the subscriber.", row)
        )
    for other in siblings:
        if other is coverage or (other.pk and other.pk == coverage.pk):
            continue
        if other.priority == coverage.priority and _overlaps(
            coverage.effective_date, coverage.end_date, other.effective_date, other.end_date
        ):
            errors.append(
                FieldError(
                    prefix + "priority",
                    f"The patient already has a {coverage.get_priority_display().lower()} coverage "
                    f"({other.payer.name}) over overlapping dates.",
                    row,
                )
            )
    if coverage.relationship == Relationship.SELF:
        clash = Coverage.objects.filter(
            payer_id=coverage.payer_id, member_id=coverage.member_id, relationship=Relationship.SELF
        )
        if coverage.pk:
            clash = clash.exclude(pk=coverage.pk)
        if coverage.patient_id:
            clash = clash.exclude(patient_id=coverage.patient_id)
        if clash.exists():
            errors.append(
                FieldError(
                    prefix + "member_id",
                    f"Member ID {coverage.member_id} is already on file for another subscriber of this payer.",
                    row,
                )
            )
    return errors


def _assign_chart_number(patient: Patient) -> None:
    patient.chart_number = f"P{patient.pk:06d}"
    Patient.objects.filter(pk=patient.pk).update(chart_number=patient.chart_number)


def save_new_patient(patient: Patient) -> Patient:
    """Save an already-validated patient and give it its chart number (P000123)."""
    patient.chart_number = "tmp-" + uuid.uuid4().hex[:16]
    patient.save()
    _assign_chart_number(patient)
    return patient


@transaction.atomic
def patient_create(*, actor: Actor, data: dict[str, Any]) -> Patient:
    """Create a patient from validated-typed data. Raises ApplicationError(422) naming each bad field."""
    errors = _unknown_fields(data, PATIENT_FIELDS)
    if errors:
        raise validation_error(errors)
    patient = Patient(**data)
    errors = prepare_patient(patient)
    if errors:
        raise validation_error(errors)
    save_new_patient(patient)
    record(actor, AuditAction.CREATE, "patient", patient.pk, patient_id=patient.pk, changed_fields=list(data))
    return patient


@transaction.atomic
def patient_update(*, actor: Actor, patient: Patient, data: dict[str, Any]) -> Patient:
    """Update fields of a patient fetched through access_patient. Nothing is saved on any error."""
    errors = _unknown_fields(data, PATIENT_FIELDS)
    if errors:
        raise validation_error(errors)
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    changed = [k for k, val in data.items() if getattr(locked, k) != val]
    for key, val in data.items():
        setattr(locked, key, val)
    errors = prepare_patient(locked)
    if errors:
        raise validation_error(errors)
    locked.save()
    record(actor, AuditAction.UPDATE, "patient", locked.pk, patient_id=locked.pk, changed_fields=changed)
    return locked


@transaction.atomic
def coverage_create(*, actor: Actor, patient: Patient, data: dict[str, Any]) -> Coverage:
    """Add a coverage to a patient fetched through access_patient."""
    errors = _unknown_fields(data, COVERAGE_FIELDS)
    if errors:
        raise validation_error(errors)
    Patient.objects.select_for_update().filter(pk=patient.pk).first()  # serialise coverage edits per patient
    coverage = Coverage(patient=patient, **data)
    siblings = list(patient.coverages.select_related("payer"))
    errors = coverage_problems(coverage, siblings)
    if errors:
        raise validation_error(errors)
    coverage.save()
    record(actor, AuditAction.CREATE, "coverage", coverage.pk, patient_id=patient.pk, changed_fields=list(data))
    return coverage


@transaction.atomic
def coverage_end(*, actor: Actor, patient: Patient, coverage_id: int, end_date: date) -> Coverage:
    """End a coverage on end_date (coverage rows are kept for claims history)."""
    coverage = patient.coverages.select_for_update().filter(pk=coverage_id).first()
    if coverage is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"Patient has no coverage {coverage_id}.")
    if end_date < coverage.effective_date:
        raise validation_error([FieldError("end_date", "End date is before the effective date.")])
    coverage.end_date = end_date
    coverage.save(update_fields=["end_date"])
    record(actor, AuditAction.UPDATE, "coverage", coverage.pk, patient_id=patient.pk, changed_fields=["end_date"])
    return coverage
