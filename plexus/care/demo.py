"""Demo care-team data (deterministic, idempotent): care teams from who saw each patient,
Maria's care plan and the gabapentin update of the scenario, a history of acknowledged updates
for the coordination measures (some overdue and escalated), a consultation note, answered
surveys and next week's check-in."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction

from plexus.care import checkins, updates
from plexus.care.models import (
    CarePlan,
    CareTeamMember,
    ClinicalUpdate,
    ConsultKind,
    ConsultNote,
    CoordinationSurvey,
    EventType,
    TeamRole,
    UpdateRecipient,
)
from plexus.core.audit import Actor
from plexus.core.models import Practitioner
from plexus.patients.models import Patient
from plexus.scheduling.models import Appointment, Status

SEED = 8008
MARIA_EMAIL = "maria.lopez@example.com"

HISTORY = [
    (EventType.MEDICATION_CHANGED, "Metformin dose increased to 1000 mg twice daily"),
    (EventType.NEW_DIAGNOSIS, "Hypothyroidism confirmed; levothyroxine started"),
    (EventType.ALLERGY, "Reports rash after arnica gel"),
    (EventType.LAB_RESULT, "Vitamin D 14 ng/mL (low)"),
    (EventType.CARE_PLAN_CHANGE, "Added weekly massage for 6 weeks"),
    (EventType.ADHERENCE_BARRIER, "Finds the elimination diet hard to follow at work"),
    (EventType.MEDICATION_STOPPED, "Stopped ibuprofen (stomach upset)"),
]


def _team_from_visits(patient_id: int, now: datetime) -> list[CareTeamMember]:
    pracs = list(Practitioner.objects.filter(appointments__patient_id=patient_id,
                                             appointments__status__in=[Status.COMPLETED, Status.BOOKED,
                                                                       Status.CONFIRMED])
                 .select_related("discipline").distinct())
    lead = next((p for p in pracs if p.discipline.code == "md"), None)
    out = []
    for p in pracs:
        m, _ = CareTeamMember.objects.get_or_create(
            patient_id=patient_id, practitioner=p,
            defaults={"role": TeamRole.LEAD_PHYSICIAN if p == lead else TeamRole.MEMBER, "added_at": now})
        out.append(m)
    return out


def _update(patient_id: int, author: Practitioner, event_type: str, summary: str, at: datetime,
            detail: str = "") -> ClinicalUpdate | None:
    try:
        routes = updates.resolve_routes(patient_id=patient_id, event_type=event_type, author_id=author.pk)
    except Exception:
        return None
    rule = updates.rule_for(event_type)
    return updates._create_version(actor=Actor.system("cli"), author=author, patient_id=patient_id,
                                   event_type=event_type, urgency=rule.urgency, summary=summary, detail=detail,
                                   routes=routes, now=at)


def _ack(update: ClinicalUpdate, practitioner_id: int, at: datetime, reply: str = "") -> None:
    UpdateRecipient.objects.filter(update=update, practitioner_id=practitioner_id).update(acknowledged_at=at,
                                                                                           reply=reply)


def _maria(anchor_dt: datetime) -> int:
    maria = Patient.objects.filter(email=MARIA_EMAIL).first()
    if maria is None:
        return 0
    chen, li, ortiz = (Practitioner.objects.get(last_name=n) for n in ("Chen", "Li", "Ortiz"))
    for p, role in ((chen, TeamRole.LEAD_PHYSICIAN), (li, TeamRole.MEMBER), (ortiz, TeamRole.MEMBER)):
        CareTeamMember.objects.update_or_create(patient=maria, practitioner=p,
                                                defaults={"role": role, "added_at": anchor_dt - timedelta(days=4),
                                                          "is_active": True})
    if not CarePlan.objects.filter(patient=maria).exists():
        CarePlan.objects.create(patient=maria, version=1, created_at=anchor_dt - timedelta(days=1), goals=[
            {"discipline": "md", "goal": "Reduce low back pain to 3/10 or less",
             "interventions": ["Gabapentin trial", "Review in 6 weeks"]},
            {"discipline": "lac", "goal": "Weekly acupuncture for 6 weeks", "interventions": ["97810 + 97811"]},
            {"discipline": "lmt", "goal": "Release lumbar paraspinals", "interventions": ["60-min massage weekly"]},
        ])
    if ClinicalUpdate.objects.filter(patient=maria).exists():
        return 1
    wed = anchor_dt - timedelta(days=2)
    u = _update(maria.pk, chen, EventType.MEDICATION_STARTED, "Started gabapentin 300 mg at night last week", wed,
                "For neuropathic low back pain. May cause drowsiness or dizziness: take care on the table.")
    if u is not None:
        _ack(u, li.pk, wed + timedelta(hours=3), "Noted; will keep sessions gentle.")
        _ack(u, ortiz.pk, wed + timedelta(hours=20))
    ConsultNote.objects.get_or_create(
        patient=maria, source_name="Dr. R. Alvarez, Neurology (Cascade Neuro)", defaults=dict(
            kind=ConsultKind.EXTERNAL, source_email="referrals@cascade-neuro.example.com",
            received_on=(anchor_dt - timedelta(days=1)).date(), responsible=chen,
            summary="No radiculopathy on exam; agrees with conservative care and gabapentin trial.",
            logged_at=anchor_dt - timedelta(days=1), receipt_sent_at=anchor_dt - timedelta(days=1)))
    return 1


def load_care_demo(*, anchor: date, scale: int = 1) -> dict[str, int]:
    """Load the care demo (skipped when already loaded)."""
    anchor_dt = datetime.combine(anchor, time(17, 0), tzinfo=UTC)
    if ClinicalUpdate.objects.exists():
        return {"care updates": ClinicalUpdate.objects.count()}
    updates.ensure_default_rules()
    rng = random.Random(SEED)
    with transaction.atomic():
        _maria(anchor_dt)
        maria = Patient.objects.filter(email=MARIA_EMAIL).values_list("pk", flat=True).first()
        patient_ids = list(Appointment.objects.filter(status=Status.COMPLETED, start__lt=anchor_dt)
                           .exclude(patient_id=maria).values_list("patient_id", flat=True).distinct()
                           .order_by("patient_id")[:60 * scale])
        made = 0
        for pid in patient_ids:
            team = _team_from_visits(pid, anchor_dt - timedelta(days=56))
            if len(team) < 2:
                continue
            for _ in range(rng.randint(1, 2)):
                author = rng.choice(team).practitioner
                event_type, summary = rng.choice(HISTORY)
                at = anchor_dt - timedelta(days=rng.randint(1, 55)) + timedelta(hours=rng.randint(0, 7))  # 09-16 Pacific
                u = _update(pid, author, event_type, summary, at)
                if u is None:
                    continue
                made += 1
                for r in u.recipients.all():  # about one in ten is left unacknowledged (overdue if old)
                    if rng.random() < 0.9:
                        _ack(u, r.practitioner_id, at + timedelta(hours=rng.choice([1, 2, 3, 5, 8, 20, 30, 52, 70])))
        updates.reconcile_escalations(now=anchor_dt)
        surveys = 0
        for pid in patient_ids[:25]:
            if CoordinationSurvey.objects.filter(patient_id=pid).exists():
                continue
            sent = anchor_dt - timedelta(days=rng.randint(3, 80))
            answers = {k: rng.choice([3, 4, 4, 5, 5]) for k in ("knew", "repeat", "consistent", "contact", "overall")}
            s = CoordinationSurvey.objects.create(
                patient_id=pid, sent_at=sent, answered_at=sent + timedelta(days=1), answers=answers,
                score=(Decimal(sum(answers.values())) / 5).quantize(Decimal("0.01")))
            s.practitioners.set(Practitioner.objects.filter(appointments__patient_id=pid,
                                                            appointments__status=Status.COMPLETED).distinct())
            surveys += 1
    booked = _checkin(anchor, anchor_dt)
    return {"care updates": made + 1, "care surveys": surveys, "check-ins": booked}


def _checkin(anchor: date, now: datetime) -> int:
    chen, li, ortiz = (Practitioner.objects.get(last_name=n) for n in ("Chen", "Li", "Ortiz"))
    maria = Patient.objects.filter(email=MARIA_EMAIL).first()
    try:
        options = checkins.find_times(member_ids=[chen.pk, li.pk, ortiz.pk], duration_minutes=30,
                                      start=anchor + timedelta(days=3), end=anchor + timedelta(days=17), now=now)
        if not options:
            return 0
        checkins.checkin_schedule(actor=Actor.system("cli"), title="Low back pain case conference",
                                  member_ids=[chen.pk, li.pk, ortiz.pk], start=options[0].start, duration_minutes=30,
                                  location_id=options[0].location_id, patient_ids=[maria.pk] if maria else [], now=now)
    except Exception:
        return 0
    return 1
