"""Navigation by role: each entry shows only when the user's role holds its permission."""

from __future__ import annotations

from django.urls import reverse

from plexus.core.permissions import Perm, user_has

NAV = (
    ("Home", "home", Perm.PATIENT_VIEW),
    ("Patients", "patients:search", Perm.PATIENT_VIEW),
    ("Schedule", "scheduling:day", Perm.SCHEDULE_VIEW),
    ("Referrals", "scheduling:referrals", Perm.SCHEDULE_VIEW),
    ("Waitlist", "scheduling:waitlist", Perm.SCHEDULE_VIEW),
    ("Import", "patients:import", Perm.PATIENT_IMPORT),
    ("Eligibility", "billing:eligibility", Perm.ELIGIBILITY_RUN),
    ("Billing", "billing:charges", Perm.BILLING_MANAGE),
    ("Intake", "records:intake_board", Perm.DOCUMENTS_VIEW),
    ("Records requests", "records:requests", Perm.DOCUMENTS_VIEW),
    ("Forms", "records:forms", Perm.FORMS_VIEW),
    ("Care inbox", "care:inbox", Perm.CARE_UPDATE),
    ("Care follow-up", "care:escalations", Perm.CARE_VIEW),
    ("Messages", "messaging:log", Perm.MESSAGING_VIEW),
    ("Templates", "messaging:templates", Perm.TEMPLATES_MANAGE),
    ("Practice setup", "setup", Perm.PRACTICE_VIEW),
    ("Audit log", "audit", Perm.AUDIT_VIEW),
    ("API tokens", "tokens", Perm.USERS_MANAGE),
)


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [{"label": label, "url": reverse(name)} for label, name, perm in NAV if user_has(user, perm)]
    return {"nav_items": items, "perms": {p.name: user_has(user, p) for p in Perm}}
