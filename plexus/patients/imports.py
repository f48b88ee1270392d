"""CSV import of patients with their coverage: all-or-nothing.

Every row is validated first; any bad row (or bad field) is reported with its row number and
field name and nothing is saved. Row numbers count data rows from 1 (the header is row 0), so
row N is line N+1 of the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from plexus.core.audit import Actor, record
from plexus.core.errors import FieldError, validation_error
from plexus.core.models import AuditAction, Payer
from plexus.patients.models import Coverage, Patient, Relationship
from plexus.patients.services import coverage_problems, prepare_patient, save_new_patient

PATIENT_COLUMNS = (
    "legal_first_name", "legal_middle_name", "legal_last_name", "preferred_name", "pronouns", "date_of_birth",
    "sex_for_claims", "address_line1", "address_line2", "city", "state", "postal_code", "phone_mobile",
    "phone_home", "email", "preferred_language", "has_hsa_fsa",
)
REQUIRED_COLUMNS = ("legal_first_name", "legal_last_name", "date_of_birth", "sex_for_claims")
COVERAGE_PREFIXES = ("primary_", "secondary_")
COVERAGE_COLUMNS = (
    "payer_id", "member_id", "group_number", "plan_name", "relationship", "subscriber_first_name",
    "subscriber_last_name", "subscriber_date_of_birth", "effective_date", "end_date",
)
ALL_COLUMNS = PATIENT_COLUMNS + tuple(p + c for p in COVERAGE_PREFIXES for c in COVERAGE_COLUMNS)
RELATIONSHIP_WORDS = {"self": "18", "spouse": "01", "child": "19", "other": "G8"}
TRUE_WORDS = {"1", "true", "yes", "y"}
FALSE_WORDS = {"", "0", "false", "no", "n"}


@dataclass(frozen=True, slots=True)
class ImportResult:
    patients: int
    coverages: int


def _parse_date(raw: str, field: str, row: int, errors: list[FieldError]) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError(field, f"'{raw}' is not a date in YYYY-MM-DD form.", row))
        return None


def _parse_bool(raw: str, field: str, row: int, errors: list[FieldError]) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word not in FALSE_WORDS:
        errors.append(FieldError(field, f"'{raw}' is not yes or no.", row))
    return False


def _build_patient(values: dict[str, str], row: int, errors: list[FieldError]) -> Patient:
    data: dict = {name: values.get(name, "").strip() for name in PATIENT_COLUMNS}
    for name in REQUIRED_COLUMNS:
        if not data[name]:
            errors.append(FieldError(name, "This field is required.", row))
    data["date_of_birth"] = _parse_date(data["date_of_birth"], "date_of_birth", row, errors)
    data["has_hsa_fsa"] = _parse_bool(values.get("has_hsa_fsa", ""), "has_hsa_fsa", row, errors)
    data["sex_for_claims"] = data["sex_for_claims"].upper()
    data["state"] = data["state"].upper()
    data["preferred_language"] = data["preferred_language"] or "en"
    patient = Patient(**data)
    known = {e.field for e in errors if e.row == row}
    errors.extend(e for e in prepare_patient(patient, row) if e.field not in known)
    return patient


def _build_coverage(
    values: dict[str, str], prefix: str, priority: int, payers: dict[str, Payer], row: int, errors: list[FieldError]
) -> Coverage | None:
    raw = {c: values.get(prefix + c, "").strip() for c in COVERAGE_COLUMNS}
    if not any(raw.values()):
        return None
    start = len(errors)
    payer = payers.get(raw["payer_id"])
    if payer is None:
        errors.append(FieldError(prefix + "payer_id", f"Unknown payer ID '{raw['payer_id']}'.", row))
    if not raw["member_id"]:
        errors.append(FieldError(prefix + "member_id", "This field is required.", row))
    relationship = RELATIONSHIP_WORDS.get(raw["relationship"].lower(), raw["relationship"]) or Relationship.SELF
    effective = _parse_date(raw["effective_date"], prefix + "effective_date", row, errors)
    if effective is None and not raw["effective_date"]:
        errors.append(FieldError(prefix + "effective_date", "This field is required.", row))
    end = _parse_date(raw["end_date"], prefix + "end_date", row, errors)
    sub_dob = _parse_date(raw["subscriber_date_of_birth"], prefix + "subscriber_date_of_birth", row, errors)
    if len(errors) > start:
        return None
    return Coverage(
        payer=payer, member_id=raw["member_id"], group_number=raw["group_number"], plan_name=raw["plan_name"],
        relationship=relationship, subscriber_first_name=raw["subscriber_first_name"],
        subscriber_last_name=raw["subscriber_last_name"], subscriber_date_of_birth=sub_dob, priority=priority,
        effective_date=effective, end_date=end,
    )


def _check_header(header: list[str] | None) -> None:
    if not header:
        raise validation_error([FieldError("file", "The file is empty; expected a header row.", 0)])
    unknown = [h for h in header if h not in ALL_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    errors = [FieldError(h, "Unknown column.", 0) for h in unknown]
    errors += [FieldError(c, "Required column is missing.", 0) for c in missing]
    if errors:
        raise validation_error(errors)


def parse_rows(rows: Iterable[dict[str, str]]) -> tuple[list[tuple[Patient, list[Coverage]]], list[FieldError]]:
    """Validate every row; return the unsaved patients with coverages and every error found."""
    payers = {p.payer_id: p for p in Payer.objects.all()}
    errors: list[FieldError] = []
    parsed: list[tuple[Patient, list[Coverage]]] = []
    seen_members: dict[tuple[str, str], int] = {}
    for row, values in enumerate(rows, start=1):
        if None in values:
            errors.append(FieldError("file", "Row has more fields than the header.", row))
            continue
        patient = _build_patient(values, row, errors)
        coverages = [
            cov
            for priority, prefix in enumerate(COVERAGE_PREFIXES, start=1)
            if (cov := _build_coverage(values, prefix, priority, payers, row, errors)) is not None
        ]
        for cov, prefix in zip(coverages, COVERAGE_PREFIXES, strict=False):
            errors.extend(coverage_problems(cov, coverages, row, prefix=f"{prefix}"))
            key = (cov.payer.payer_id, cov.member_id)
            if cov.relationship == Relationship.SELF:
                if key in seen_members:
                    errors.append(
                        FieldError(
                            f"{prefix}member_id", f"Member ID {cov.member_id} also appears on row {seen_members[key]}.", row
                        )
                    )
                seen_members.setdefault(key, row)
        parsed.append((patient, coverages))
    return parsed, errors


def import_patients_csv(*, actor: Actor, text: str) -> ImportResult:
    """Import patients (and up to two coverages each) from CSV text. All or nothing: raises
    ApplicationError(422) listing every bad row and field, and saves nothing in that case."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    _check_header(reader.fieldnames)
    parsed, errors = parse_rows(reader)
    if errors:
        raise validation_error(errors, detail=f"{len({e.row for e in errors})} bad row(s); nothing was imported.")
    if not parsed:
        raise validation_error([FieldError("file", "The file has no data rows.", 0)])
    with transaction.atomic():
        n_cov = 0
        for patient, coverages in parsed:
            save_new_patient(patient)
            record(actor, AuditAction.CREATE, "patient", patient.pk, patient_id=patient.pk, detail="CSV import")
            for cov in coverages:
                cov.patient = patient
                cov.save()
                n_cov += 1
        record(actor, AuditAction.IMPORT, "patient", "", detail=f"CSV import: {len(parsed)} patients, {n_cov} coverages")
    return ImportResult(patients=len(parsed), coverages=n_cov)
