"""The one permission matrix. Deny by default: a role holds only the permissions listed here.

docs/permissions.md renders this table; tests/test_permission_matrix.py checks every endpoint and
view against it for every role.
"""

from __future__ import annotations

from enum import StrEnum

from plexus.core.models import Role


class Perm(StrEnum):
    PRACTICE_VIEW = "practice.view"  # locations, rooms, practitioners, services, payers
    PRACTICE_MANAGE = "practice.manage"  # create and edit practice setup
    USERS_MANAGE = "users.manage"  # staff users, roles and API tokens
    PATIENT_VIEW = "patient.view"  # search, demographics, contact details
    PATIENT_EDIT = "patient.edit"  # create and edit demographics and contact details
    PATIENT_IMPORT = "patient.import"  # CSV import of patients with coverage
    COVERAGE_VIEW = "coverage.view"
    COVERAGE_EDIT = "coverage.edit"
    BALANCE_VIEW = "balance.view"  # account balances and billing tab
    SCHEDULE_VIEW = "schedule.view"
    SCHEDULE_BOOK = "schedule.book"  # book, move, cancel, check in visit blocks; waitlist
    SCHEDULE_MANAGE = "schedule.manage"  # practitioner hours, exceptions, closures
    REFERRAL_CREATE = "referral.create"  # internal referrals between practitioners
    ELIGIBILITY_RUN = "eligibility.run"  # run and read eligibility and benefits checks
    BILLING_MANAGE = "billing.manage"  # charges, claims, batches, remittance posting
    CLINICAL_VIEW = "clinical.view"  # clinical notes, clinical documents, care-team updates content
    AUDIT_VIEW = "audit.view"
    MESSAGING_VIEW = "messaging.view"  # message log, reminder previews, patients' replies
    MESSAGING_SEND = "messaging.send"  # send a visit's reminder now
    TEMPLATES_MANAGE = "templates.manage"  # edit message templates
    CARE_VIEW = "care.view"  # care teams, and that updates exist with their status (content needs clinical.view)
    CARE_TEAM_EDIT = "care.team"  # care-team members, care-team check-ins
    CARE_UPDATE = "care.update"  # record, correct and acknowledge clinical updates; care plans; consult review
    CARE_MANAGE = "care.manage"  # routing rules and acknowledgement SLAs
    CONSULT_LOG = "consult.log"  # log a consultation note on receipt
    FORMS_VIEW = "forms.view"  # questionnaires (forms as data): list, preview, export
    FORMS_MANAGE = "forms.manage"  # import and publish questionnaire versions
    DOCUMENTS_VIEW = "documents.view"  # a patient's documents and intake packets (clinical files need clinical.view)
    DOCUMENTS_MANAGE = "documents.manage"  # upload and file documents, send intake packets, records requests, shares


R = Role
MATRIX: dict[Perm, frozenset[str]] = {
    Perm.PRACTICE_VIEW: frozenset({R.ADMIN, R.PRACTITIONER, R.FRONT_DESK, R.BILLING, R.VIRTUAL_ASSISTANT}),
    Perm.PRACTICE_MANAGE: frozenset({R.ADMIN}),
    Perm.USERS_MANAGE: frozenset({R.ADMIN}),
    Perm.PATIENT_VIEW: frozenset({R.ADMIN, R.PRACTITIONER, R.FRONT_DESK, R.BILLING, R.VIRTUAL_ASSISTANT}),
    Perm.PATIENT_EDIT: frozenset({R.ADMIN, R.FRONT_DESK, R.BILLING, R.VIRTUAL_ASSISTANT}),
    Perm.PATIENT_IMPORT: frozenset({R.ADMIN, R.FRONT_DESK}),
    Perm.COVERAGE_VIEW: frozenset({R.ADMIN, R.PRACTITIONER, R.FRONT_DESK, R.BILLING, R.VIRTUAL_ASSISTANT}),
    Perm.COVERAGE_EDIT: frozenset({R.ADMIN, R.FRONT_DESK, R.BILLING, R.VIRTUAL_ASSISTANT}),
    Perm.BALANCE_VIEW: frozenset({R.ADMIN, R.FRONT_DESK, R.BILLING, R.VIRTUAL_ASSISTANT}),
    Perm.SCHEDULE_VIEW: frozenset({R.ADMIN, R.PRACTITIONER, R.FRONT_DESK, R.BILLING, R.VIRTUAL_ASSISTANT}),
    Perm.SCHEDULE_BOOK: frozenset({R.ADMIN, R.FRONT_DESK, R.VIRTUAL_ASSISTANT}),
    Perm.SCHEDULE_MANAGE: frozenset({R.ADMIN, R.FRONT_DESK}),
    Perm.REFERRAL_CREATE: frozenset({R.ADMIN, R.PRACTITIONER, R.FRONT_DESK}),
    Perm.ELIGIBILITY_RUN: frozenset({R.ADMIN, R.FRONT_DESK, R.BILLING, R.VIRTUAL_ASSISTANT}),
    Perm.BILLING_MANAGE: frozenset({R.ADMIN, R.BILLING}),
    Perm.CLINICAL_VIEW: frozenset({R.PRACTITIONER}),
    Perm.AUDIT_VIEW: frozenset({R.ADMIN}),
    Perm.MESSAGING_VIEW: frozenset({R.ADMIN, R.FRONT_DESK, R.VIRTUAL_ASSISTANT}),
    Perm.MESSAGING_SEND: frozenset({R.ADMIN, R.FRONT_DESK, R.VIRTUAL_ASSISTANT}),
    Perm.TEMPLATES_MANAGE: frozenset({R.ADMIN}),
    Perm.CARE_VIEW: frozenset({R.ADMIN, R.PRACTITIONER, R.FRONT_DESK, R.VIRTUAL_ASSISTANT}),
    Perm.CARE_TEAM_EDIT: frozenset({R.ADMIN, R.PRACTITIONER, R.FRONT_DESK}),
    Perm.CARE_UPDATE: frozenset({R.PRACTITIONER}),
    Perm.CARE_MANAGE: frozenset({R.ADMIN}),
    Perm.CONSULT_LOG: frozenset({R.ADMIN, R.PRACTITIONER, R.FRONT_DESK, R.VIRTUAL_ASSISTANT}),
    Perm.FORMS_VIEW: frozenset({R.ADMIN, R.PRACTITIONER, R.FRONT_DESK}),
    Perm.FORMS_MANAGE: frozenset({R.ADMIN}),
    Perm.DOCUMENTS_VIEW: frozenset({R.ADMIN, R.PRACTITIONER, R.FRONT_DESK, R.VIRTUAL_ASSISTANT}),
    Perm.DOCUMENTS_MANAGE: frozenset({R.ADMIN, R.PRACTITIONER, R.FRONT_DESK, R.VIRTUAL_ASSISTANT}),
}


def role_has(role: str | None, perm: Perm) -> bool:
    """Return True only when the matrix grants perm to role (unknown roles get nothing)."""
    return bool(role) and role in MATRIX.get(perm, frozenset())


def user_has(user, perm: Perm) -> bool:
    """Return True when an authenticated, active user's role grants perm."""
    return bool(user and user.is_authenticated and user.is_active and role_has(getattr(user, "role", None), perm))


def granted(role: str) -> list[Perm]:
    """List the permissions a role holds, in matrix order."""
    return [perm for perm in MATRIX if role in MATRIX[perm]]
