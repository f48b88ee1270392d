"""Clinical updates: routing rules, recording, editing (only before anyone acknowledges),
corrections (a new version routed again), acknowledgement with an optional reply, and the
escalation reconciler (staff flag at the SLA, then the lead physician)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from plexus.care import sla
from plexus.care.access import require_practitioner
from plexus.care.models import (
    ALL_DISCIPLINES,
    CareTeamMember,
    ClinicalUpdate,
    EventType,
    RoutingRule,
    TeamRole,
    UpdateRecipient,
    Urgency,
)
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Discipline, Practitioner
from plexus.patients.models import Patient

MEDICATION_DISCIPLINES = ["lac", "dc", "lmt", "rd"]

# The defaults from the care-team issue: a medication change goes to the acupuncturist,
# chiropractor, massage therapist and dietitian; an adherence barrier to the lead physician; a red
# flag to everyone, urgent. The rest are practice choices admins can change.
DEFAULT_RULES: dict[str, tuple[list[str], bool, str]] = {
    EventType.MEDICATION_STARTED: (MEDICATION_DISCIPLINES, False, Urgency.ROUTINE),
    EventType.MEDICATION_CHANGED: (MEDICATION_DISCIPLINES, False, Urgency.ROUTINE),
    EventType.MEDICATION_STOPPED: (MEDICATION_DISCIPLINES, False, Urgency.ROUTINE),
    EventType.NEW_DIAGNOSIS: ([ALL_DISCIPLINES], False, Urgency.ROUTINE),
    EventType.ALLERGY: ([ALL_DISCIPLINES], False, Urgency.ROUTINE),
    EventType.LAB_RESULT: (["rd"], True, Urgency.ROUTINE),
    EventType.CARE_PLAN_CHANGE: ([ALL_DISCIPLINES], False, Urgency.ROUTINE),
    EventType.RED_FLAG: ([ALL_DISCIPLINES], False, Urgency.URGENT),
    EventType.ADHERENCE_BARRIER: ([], True, Urgency.ROUTINE),
}


def ensure_default_rules() -> int:
    """Create the default rule of every event type that has none (idempotent); return how many."""
    have = set(RoutingRule.objects.values_list("event_type", flat=True))
    missing = [RoutingRule(event_type=et, disciplines=d, include_lead=lead, urgency=u)
               for et, (d, lead, u) in DEFAULT_RULES.items() if et not in have]
    RoutingRule.objects.bulk_create(missing)
    return len(missing)


def rule_for(event_type: str) -> RoutingRule:
    rule = RoutingRule.objects.filter(event_type=event_type).first()
    if rule is None:
        ensure_default_rules()
        rule = RoutingRule.objects.get(event_type=event_type)
    return rule


@transaction.atomic
def rule_update(*, actor: Actor, event_type: str, disciplines: list[str], include_lead: bool, urgency: str,
                now: datetime | None = None) -> RoutingRule:
    """Change one routing rule. 422 naming the field for an unknown discipline or urgency, or a
    rule that routes to no one (no disciplines and not the lead); nothing saved."""
    now = now or timezone.now()
    errors: list[FieldError] = []
    if event_type not in EventType.values:
        raise validation_error([FieldError("event_type", f"Unknown event type {event_type!r}.")])
    codes = set(Discipline.objects.values_list("code", flat=True)) | {ALL_DISCIPLINES}
    disciplines = sorted({str(d).strip() for d in disciplines or [] if str(d).strip()})
    unknown = [d for d in disciplines if d not in codes]
    if unknown:
        errors.append(FieldError("disciplines", f"Unknown discipline(s): {', '.join(unknown)}."))
    if urgency not in Urgency.values:
        errors.append(FieldError("urgency", f"Urgency must be one of {', '.join(Urgency.values)}."))
    if not disciplines and not include_lead:
        errors.append(FieldError("disciplines", "This rule routes to no one: choose disciplines or the lead physician."))
    if errors:
        raise validation_error(errors)
    if ALL_DISCIPLINES in disciplines:
        disciplines = [ALL_DISCIPLINES]
    rule = rule_for(event_type)
    rule.disciplines, rule.include_lead, rule.urgency = disciplines, bool(include_lead), urgency
    rule.updated_at, rule.updated_by = now, actor.user if actor.user else None
    rule.save()
    record(actor, AuditAction.UPDATE, "care.routing_rule", rule.pk,
           changed_fields=["disciplines", "include_lead", "urgency"])
    return rule


def settings_update(*, actor: Actor, urgent_ack_hours: int, routine_ack_business_days: int,
                    survey_after_visits: int) -> object:
    """Change the practice's acknowledgement SLAs and survey threshold. 422 naming each field out
    of range; nothing saved. Applies to updates recorded from now on."""
    values = {"urgent_ack_hours": urgent_ack_hours, "routine_ack_business_days": routine_ack_business_days,
              "survey_after_visits": survey_after_visits}
    limits = {"urgent_ack_hours": ("Urgent SLA hours", 72), "routine_ack_business_days": ("Routine SLA days", 20),
              "survey_after_visits": ("Visits before the survey", 50)}
    errors = []
    for name, value in values.items():
        label, hi = limits[name]
        if not isinstance(value, int) or not 1 <= value <= hi:
            errors.append(FieldError(name, f"{label} must be a whole number from 1 to {hi}."))
    if errors:
        raise validation_error(errors)
    row = sla.care_settings()
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    record(actor, AuditAction.UPDATE, "care.settings", row.pk, changed_fields=list(values))
    return row


@dataclass(frozen=True, slots=True)
class Route:
    practitioner: Practitioner
    reason: str


def resolve_routes(*, patient_id: int, event_type: str, author_id: int | None,
                   extra_ids: list[int] | None = None) -> list[Route]:
    """Who must acknowledge: team members picked by the rule, plus any named team members; never
    the author. 422 naming ``recipients[i]`` for someone not on the team, or ``event_type`` when
    the result is no one."""
    rule = rule_for(event_type)
    team = list(CareTeamMember.objects.filter(patient_id=patient_id, is_active=True)
                .select_related("practitioner__discipline"))
    on_team = {m.practitioner_id: m for m in team}
    routes: dict[int, Route] = {}
    wanted = set(rule.disciplines)
    for m in team:
        p = m.practitioner
        if p.pk == author_id:
            continue
        if ALL_DISCIPLINES in wanted:
            routes[p.pk] = Route(p, "whole care team")
        elif p.discipline.code in wanted:
            routes[p.pk] = Route(p, p.discipline.name.lower())
        elif rule.include_lead and m.role == TeamRole.LEAD_PHYSICIAN:
            routes[p.pk] = Route(p, "lead physician")
    errors: list[FieldError] = []
    for i, pid in enumerate(extra_ids or []):
        member = on_team.get(pid)
        if member is None:
            name = Practitioner.objects.filter(pk=pid).first()
            errors.append(FieldError(f"recipients[{i}]",
                                     f"{name or f'Practitioner {pid}'} is not on this patient's care team."))
        elif pid == author_id:
            errors.append(FieldError(f"recipients[{i}]", "You do not need to acknowledge your own update."))
        elif pid not in routes:
            routes[pid] = Route(member.practitioner, "named by the author")
    if errors:
        raise validation_error(errors)
    if not routes:
        label = EventType(event_type).label.lower()
        raise validation_error([FieldError(
            "event_type", f"No one else on this care team receives {label} updates: add team members "
                          f"or name recipients.")])
    return sorted(routes.values(), key=lambda r: (r.practitioner.last_name, r.practitioner.first_name))


def _validate_text(summary: str, detail: str) -> tuple[str, str]:
    summary, detail = (summary or "").strip(), (detail or "").strip()
    errors = []
    if not summary:
        errors.append(FieldError("summary", "Write a one-line summary."))
    elif len(summary) > 200:
        errors.append(FieldError("summary", "Keep the summary under 200 characters."))
    if len(detail) > 5000:
        errors.append(FieldError("detail", "Keep the detail under 5,000 characters."))
    if errors:
        raise validation_error(errors)
    return summary, detail


def _create_version(*, actor: Actor, author: Practitioner, patient_id: int, event_type: str, urgency: str,
                    summary: str, detail: str, routes: list[Route], now: datetime,
                    previous: ClinicalUpdate | None = None) -> ClinicalUpdate:
    update = ClinicalUpdate.objects.create(
        patient_id=patient_id, event_type=event_type, urgency=urgency, summary=summary, detail=detail,
        author=author, created_by=actor.user if actor.user else None, created_at=now,
        due_at=sla.due_at(now, urgency), version=(previous.version + 1) if previous else 1,
        root=(previous.root or previous) if previous else None, supersedes=previous)
    UpdateRecipient.objects.bulk_create(
        [UpdateRecipient(update=update, practitioner=r.practitioner, reason=r.reason) for r in routes])
    return update


@transaction.atomic
def update_record(*, actor: Actor, patient: Patient, event_type: str, summary: str, detail: str = "",
                  urgency: str | None = None, recipients: list[int] | None = None,
                  now: datetime | None = None) -> ClinicalUpdate:
    """Record an update by the acting practitioner (who must be on the care team) and route it.
    Urgency defaults to the rule's. 422 naming the field; nothing saved."""
    now = now or timezone.now()
    author = require_practitioner(actor.user)
    if event_type not in EventType.values:
        raise validation_error([FieldError("event_type", f"Unknown event type {event_type!r}.")])
    if urgency not in (None, "", *Urgency.values):
        raise validation_error([FieldError("urgency", f"Urgency must be one of {', '.join(Urgency.values)}.")])
    summary, detail = _validate_text(summary, detail)
    if not CareTeamMember.objects.filter(patient=patient, practitioner=author, is_active=True).exists():
        raise ApplicationError(ErrorCode.FORBIDDEN,
                               "You are not on this patient's care team: add yourself to the team first.")
    routes = resolve_routes(patient_id=patient.pk, event_type=event_type, author_id=author.pk, extra_ids=recipients)
    rule = rule_for(event_type)
    # A red flag is urgent whatever the author picks; otherwise the author may raise the urgency.
    chosen = Urgency.URGENT if rule.urgency == Urgency.URGENT else (urgency or rule.urgency)
    update = _create_version(actor=actor, author=author, patient_id=patient.pk, event_type=event_type,
                             urgency=chosen, summary=summary, detail=detail, routes=routes, now=now)
    record(actor, AuditAction.CREATE, "care.update", update.pk, patient_id=patient.pk,
           changed_fields=["event_type", "summary", "detail", "recipients"])
    return update


def _locked(update_id: int) -> ClinicalUpdate:
    update = ClinicalUpdate.objects.select_for_update(of=("self",)).filter(pk=update_id).first()
    if update is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No clinical update {update_id}.")
    return update


@transaction.atomic
def update_edit(*, actor: Actor, update_id: int, summary: str, detail: str = "") -> ClinicalUpdate:
    """Fix the text of one's own update while no one has acknowledged it. 409 once anyone has:
    record a correction instead."""
    author = require_practitioner(actor.user)
    update = _locked(update_id)
    if update.author_id != author.pk:
        raise ApplicationError(ErrorCode.FORBIDDEN, "Only the author edits an update; others record a correction.")
    if update.superseded_at is not None:
        raise ApplicationError(ErrorCode.CONFLICT, "This version was corrected; edit the latest version.")
    acked = update.recipients.filter(acknowledged_at__isnull=False).count()
    if acked:
        raise ApplicationError(ErrorCode.CONFLICT,
                               f"Already acknowledged by {acked}; it cannot be edited. Record a correction.")
    update.summary, update.detail = _validate_text(summary, detail)
    update.save(update_fields=["summary", "detail"])
    record(actor, AuditAction.UPDATE, "care.update", update.pk, patient_id=update.patient_id,
           changed_fields=["summary", "detail"])
    return update


@transaction.atomic
def update_correct(*, actor: Actor, update_id: int, summary: str, detail: str = "", event_type: str | None = None,
                   recipients: list[int] | None = None, now: datetime | None = None) -> ClinicalUpdate:
    """Record a correction: a new version routed again; the old one is marked superseded and its
    open acknowledgements are closed. Any clinician on the team may correct."""
    now = now or timezone.now()
    author = require_practitioner(actor.user)
    old = _locked(update_id)
    if old.superseded_at is not None:
        raise ApplicationError(ErrorCode.CONFLICT, "This version was already corrected; correct the latest version.")
    if not CareTeamMember.objects.filter(patient_id=old.patient_id, practitioner=author, is_active=True).exists():
        raise ApplicationError(ErrorCode.FORBIDDEN, "You are not on this patient's care team.")
    event_type = event_type or old.event_type
    if event_type not in EventType.values:
        raise validation_error([FieldError("event_type", f"Unknown event type {event_type!r}.")])
    summary, detail = _validate_text(summary, detail)
    routes = resolve_routes(patient_id=old.patient_id, event_type=event_type, author_id=author.pk,
                            extra_ids=recipients)
    new = _create_version(actor=actor, author=author, patient_id=old.patient_id, event_type=event_type,
                          urgency=old.urgency, summary=summary, detail=detail, routes=routes, now=now, previous=old)
    old.superseded_at = now
    old.save(update_fields=["superseded_at"])
    record(actor, AuditAction.CREATE, "care.update", new.pk, patient_id=old.patient_id,
           changed_fields=["correction_of", "summary", "detail"], detail=f"corrects update {old.pk}")
    return new


@transaction.atomic
def acknowledge(*, actor: Actor, update_id: int, reply: str = "", now: datetime | None = None) -> UpdateRecipient:
    """The acting practitioner acknowledges an update routed to them (optionally replying).
    403 for someone else's update, 409 when already acknowledged or superseded."""
    now = now or timezone.now()
    prac = require_practitioner(actor.user)
    update = _locked(update_id)
    rec = UpdateRecipient.objects.select_for_update(of=("self",)).filter(update=update, practitioner=prac).first()
    if rec is None:
        raise ApplicationError(ErrorCode.FORBIDDEN, "This update was not routed to you; only its recipients "
                                                    "acknowledge it.")
    if rec.acknowledged_at is not None:
        raise ApplicationError(ErrorCode.CONFLICT, f"You acknowledged this update at {rec.acknowledged_at:%Y-%m-%d %H:%M}.")
    if update.superseded_at is not None:
        raise ApplicationError(ErrorCode.CONFLICT, "This version was corrected; acknowledge the correction.")
    reply = (reply or "").strip()
    if len(reply) > 2000:
        raise validation_error([FieldError("reply", "Keep the reply under 2,000 characters.")])
    rec.acknowledged_at, rec.acknowledged_by, rec.reply = now, actor.user, reply
    rec.save(update_fields=["acknowledged_at", "acknowledged_by", "reply"])
    record(actor, AuditAction.UPDATE, "care.acknowledgement", rec.pk, patient_id=update.patient_id,
           changed_fields=["acknowledged_at"] + (["reply"] if reply else []))
    return rec


def open_recipients() -> Q:
    """Recipients still owing an acknowledgement on a current (not superseded) version."""
    return Q(acknowledged_at__isnull=True, update__superseded_at__isnull=True)


def reconcile_escalations(*, now: datetime) -> int:
    """Escalate unacknowledged updates past their SLA: level 1 flags them for staff (the work
    queue's task once it exists); a further period later, level 2 tells the lead physician.
    Idempotent: each level is reached once. Returns how many escalations were made."""
    settings, tz = sla.care_settings(), sla.practice_zone()
    done = 0
    due = UpdateRecipient.objects.filter(open_recipients(), escalation_level=0, update__due_at__lte=now)
    done += due.update(escalation_level=1, escalated_at=now)
    for rec in UpdateRecipient.objects.filter(open_recipients(), escalation_level=1).select_related("update"):
        if lead_time(rec.update, settings, tz) <= now:
            rec.escalation_level, rec.lead_escalated_at = 2, now
            rec.save(update_fields=["escalation_level", "lead_escalated_at"])
            done += 1
    if done:
        record(Actor.system("worker"), AuditAction.UPDATE, "care.escalation", detail=f"{done} escalated")
    return done


def lead_time(update: ClinicalUpdate, settings=None, tz=None) -> datetime:
    return sla.lead_escalation_at(update.due_at, update.urgency, settings, tz)
