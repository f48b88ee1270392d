"""The care team of a patient (members, the lead physician, suggestions from visits) and the
versioned care plan."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from plexus.care.models import CarePlan, CareTeamMember, TeamRole
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Discipline, Practitioner
from plexus.patients.models import Patient
from plexus.scheduling.models import ACTIVE_VALUES, Appointment


def members(patient_id: int) -> list[CareTeamMember]:
    """Active members, lead physician first."""
    return list(CareTeamMember.objects.filter(patient_id=patient_id, is_active=True)
                .select_related("practitioner__discipline").order_by("role", "practitioner__last_name"))


def lead_of(patient_id: int) -> Practitioner | None:
    m = CareTeamMember.objects.filter(patient_id=patient_id, is_active=True, role=TeamRole.LEAD_PHYSICIAN) \
        .select_related("practitioner").first()
    return m.practitioner if m else None


def suggestions(patient_id: int, *, now: datetime | None = None) -> list[dict]:
    """Practitioners who have seen or are booked with the patient and are not on the team yet,
    with their visit counts (seen = before now, booked = from now on)."""
    now = now or timezone.now()
    on_team = set(CareTeamMember.objects.filter(patient_id=patient_id, is_active=True)
                  .values_list("practitioner_id", flat=True))
    rows = (Appointment.objects.filter(patient_id=patient_id, status__in=ACTIVE_VALUES)
            .exclude(practitioner_id__in=on_team).values("practitioner_id")
            .annotate(n=Count("id"), first=Min("start"), last=Max("start")))
    pracs = {p.pk: p for p in Practitioner.objects.filter(pk__in=[r["practitioner_id"] for r in rows])
             .select_related("discipline")}
    out = []
    for r in rows:
        p = pracs[r["practitioner_id"]]
        seen = Appointment.objects.filter(patient_id=patient_id, practitioner=p, status__in=ACTIVE_VALUES,
                                          start__lt=now).count()
        out.append({"practitioner": p, "seen": seen, "booked": r["n"] - seen, "last": r["last"]})
    out.sort(key=lambda s: (-s["seen"], -s["booked"], s["practitioner"].last_name))
    return out


@transaction.atomic
def member_add(*, actor: Actor, patient: Patient, practitioner_id: int | None, role: str = TeamRole.MEMBER,
               now: datetime | None = None) -> CareTeamMember:
    """Add (or re-activate) a practitioner on the team. A new lead replaces the previous lead,
    who stays a member. 422 naming the field for an unknown practitioner or role."""
    now = now or timezone.now()
    errors = []
    prac = Practitioner.objects.filter(pk=practitioner_id, is_active=True).first() if practitioner_id else None
    if prac is None:
        errors.append(FieldError("practitioner_id", "Choose an active practitioner."))
    if role not in TeamRole.values:
        errors.append(FieldError("role", f"Role must be one of {', '.join(TeamRole.values)}."))
    elif role == TeamRole.LEAD_PHYSICIAN and prac is not None and not prac.discipline.can_supervise:
        errors.append(FieldError("role", f"{prac} cannot be lead physician ({prac.discipline.name})."))
    if errors:
        raise validation_error(errors)
    if role == TeamRole.LEAD_PHYSICIAN:
        CareTeamMember.objects.filter(patient=patient, role=TeamRole.LEAD_PHYSICIAN, is_active=True) \
            .exclude(practitioner=prac).update(role=TeamRole.MEMBER)
    member, created = CareTeamMember.objects.get_or_create(
        patient=patient, practitioner=prac,
        defaults={"role": role, "added_at": now, "added_by": actor.user if actor.user else None})
    if not created:
        member.role, member.is_active = role, True
        member.save(update_fields=["role", "is_active"])
    record(actor, AuditAction.CREATE if created else AuditAction.UPDATE, "care.team_member", member.pk,
           patient_id=patient.pk, changed_fields=["practitioner", "role"])
    return member


@transaction.atomic
def member_remove(*, actor: Actor, patient: Patient, practitioner_id: int) -> CareTeamMember:
    """Take a practitioner off the team (kept for history; updates already routed stay theirs)."""
    member = CareTeamMember.objects.filter(patient=patient, practitioner_id=practitioner_id, is_active=True).first()
    if member is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"Practitioner {practitioner_id} is not on this care team.")
    member.is_active = False
    member.role = TeamRole.MEMBER
    member.save(update_fields=["is_active", "role"])
    record(actor, AuditAction.UPDATE, "care.team_member", member.pk, patient_id=patient.pk,
           changed_fields=["is_active"])
    return member


def current_plan(patient_id: int) -> CarePlan | None:
    return CarePlan.objects.filter(patient_id=patient_id).order_by("-version").first()


def _clean_goals(goals: list) -> list[dict]:
    codes = set(Discipline.objects.values_list("code", flat=True))
    errors: list[FieldError] = []
    out: list[dict] = []
    if not isinstance(goals, list) or not goals:
        raise validation_error([FieldError("goals", "Add at least one goal.")])
    for i, g in enumerate(goals):
        if not isinstance(g, dict):
            errors.append(FieldError(f"goals[{i}]", "Each goal is an object with discipline, goal, interventions."))
            continue
        disc = str(g.get("discipline", "")).strip()
        text = str(g.get("goal", "")).strip()
        interventions = g.get("interventions") or []
        if disc not in codes:
            errors.append(FieldError(f"goals[{i}].discipline", f"Unknown discipline {disc!r}."))
        if not text:
            errors.append(FieldError(f"goals[{i}].goal", "Describe the goal."))
        elif len(text) > 300:
            errors.append(FieldError(f"goals[{i}].goal", "Keep a goal under 300 characters."))
        if not isinstance(interventions, list) or not all(isinstance(x, str) for x in interventions):
            errors.append(FieldError(f"goals[{i}].interventions", "Interventions are a list of text."))
            interventions = []
        out.append({"discipline": disc, "goal": text,
                    "interventions": [x.strip() for x in interventions if x.strip()]})
    if errors:
        raise validation_error(errors)
    return out


@transaction.atomic
def plan_save(*, actor: Actor, patient: Patient, goals: list, note: str = "",
              now: datetime | None = None) -> CarePlan:
    """Write the next version of the care plan (earlier versions are kept unchanged)."""
    now = now or timezone.now()
    clean = _clean_goals(goals)
    last = CarePlan.objects.select_for_update().filter(patient=patient).order_by("-version").first()
    plan = CarePlan.objects.create(patient=patient, version=(last.version + 1) if last else 1, goals=clean,
                                   note=note[:300], created_at=now, created_by=actor.user if actor.user else None)
    record(actor, AuditAction.CREATE, "care.plan", plan.pk, patient_id=patient.pk, changed_fields=["goals"])
    return plan
