"""Who may read clinical content about a patient's care (minimum necessary, HIPAA 45 CFR 164.502(b)).

Content (update text, replies, consult-note summaries, care-plan goals, check-in minutes) is
shown only to users whose role holds ``clinical.view`` AND whose practitioner record is on the
patient's active care team (or was a recipient or the author of that update). Everyone with
``care.view`` sees that an update exists and its status, so a virtual assistant can chase it.
"""

from __future__ import annotations

from django.db.models import Q

from plexus.care.models import CareTeamMember, ClinicalUpdate
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import Practitioner
from plexus.core.permissions import Perm, user_has


def practitioner_of(user) -> Practitioner | None:
    """The acting user's own active practitioner record, or None (staff, system)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    prac = Practitioner.objects.filter(user_id=user.pk, is_active=True).select_related("discipline").first()
    return prac


def require_practitioner(user) -> Practitioner:
    """The acting user's practitioner record; 403 when the user is not a practitioner."""
    prac = practitioner_of(user)
    if prac is None:
        raise ApplicationError(ErrorCode.FORBIDDEN, "Only a practitioner with a practitioner record can do this.")
    return prac


def team_ids(patient_id: int) -> set[int]:
    """Practitioner ids of the patient's active care team."""
    return set(CareTeamMember.objects.filter(patient_id=patient_id, is_active=True)
               .values_list("practitioner_id", flat=True))


def teams_of(practitioner_id: int) -> set[int]:
    """Patient ids whose active care team includes the practitioner."""
    return set(CareTeamMember.objects.filter(practitioner_id=practitioner_id, is_active=True)
               .values_list("patient_id", flat=True))


def sees_patient_content(user, patient_id: int) -> bool:
    """True when user is clinical and on the patient's active care team."""
    if not user_has(user, Perm.CLINICAL_VIEW):
        return False
    prac = practitioner_of(user)
    return prac is not None and prac.pk in team_ids(patient_id)


def readable_update_ids(user, updates: list[ClinicalUpdate]) -> set[int]:
    """Ids of updates whose content user may read (team member, author or recipient)."""
    if not updates or not user_has(user, Perm.CLINICAL_VIEW):
        return set()
    prac = practitioner_of(user)
    if prac is None:
        return set()
    on_team = set(CareTeamMember.objects.filter(practitioner=prac, is_active=True,
                                                patient_id__in={u.patient_id for u in updates})
                  .values_list("patient_id", flat=True))
    involved = set(ClinicalUpdate.objects.filter(Q(author=prac) | Q(recipients__practitioner=prac),
                                                 pk__in=[u.pk for u in updates]).values_list("pk", flat=True))
    return {u.pk for u in updates if u.patient_id in on_team or u.pk in involved}
