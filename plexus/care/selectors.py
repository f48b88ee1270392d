"""Read side of care-team communication: a practitioner's inbox, the escalation list, a patient's
updates, the day list with unacknowledged updates on top, and coordination measures.

Every function that returns clinical content takes the viewing user and marks per update whether
its content may be shown (plexus/care/access.py); callers audit what they show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median

from django.db.models import Prefetch

from plexus.care.access import practitioner_of, readable_update_ids
from plexus.care.models import ClinicalUpdate, TeamRole, UpdateRecipient, Urgency
from plexus.care.updates import open_recipients
from plexus.core.audit import Actor, record
from plexus.core.models import AuditAction, Practitioner
from plexus.scheduling.models import ACTIVE_VALUES, Appointment


@dataclass
class UpdateView:
    """One update as a viewer may see it: ``content`` is False when its text must be hidden."""

    update: ClinicalUpdate
    content: bool
    recipients: list[UpdateRecipient]
    mine: UpdateRecipient | None = None
    escalated_to_me: bool = False

    @property
    def acked(self) -> int:
        return sum(1 for r in self.recipients if r.acknowledged_at is not None)

    @property
    def status(self) -> str:
        u = self.update
        if u.superseded_at is not None:
            return "corrected"
        if self.recipients and self.acked == len(self.recipients):
            return "acknowledged"
        if any(r.escalation_level for r in self.recipients if r.acknowledged_at is None):
            return "escalated"
        return "open"


def _query():
    return ClinicalUpdate.objects.select_related("patient", "author__discipline").prefetch_related(
        Prefetch("recipients", queryset=UpdateRecipient.objects.select_related("practitioner__discipline")))


def _views(user, updates: list[ClinicalUpdate], prac: Practitioner | None = None,
           lead_of: set[int] | None = None) -> list[UpdateView]:
    readable = readable_update_ids(user, updates)
    out = []
    for u in updates:
        recs = list(u.recipients.all())
        mine = next((r for r in recs if prac is not None and r.practitioner_id == prac.pk), None)
        esc = bool(lead_of and u.patient_id in lead_of and any(r.escalation_level >= 2 and r.acknowledged_at is None
                                                                for r in recs))
        out.append(UpdateView(u, u.pk in readable, recs, mine, esc))
    return out


def audit_shown(actor: Actor, views: list[UpdateView], what: str = "care.update") -> None:
    """One read entry per update whose content was shown (HIPAA 45 CFR 164.312(b))."""
    for v in views:
        if v.content:
            record(actor, AuditAction.READ, what, v.update.pk, patient_id=v.update.patient_id)


def _urgent_first(views: list[UpdateView]) -> list[UpdateView]:
    return sorted(views, key=lambda v: (v.update.urgency != Urgency.URGENT, -v.update.created_at.timestamp()))


@dataclass
class Inbox:
    to_acknowledge: list[UpdateView] = field(default_factory=list)
    escalated_to_me: list[UpdateView] = field(default_factory=list)
    sent_by_me: list[UpdateView] = field(default_factory=list)


def inbox(user, *, sent_limit: int = 20) -> Inbox:
    """The practitioner's inbox: updates routed to them and not acknowledged (urgent first, then
    newest), updates escalated to them as lead physician, and their own recent updates."""
    prac = practitioner_of(user)
    if prac is None:
        return Inbox()
    from plexus.care.models import CareTeamMember

    lead_of = set(CareTeamMember.objects.filter(practitioner=prac, role=TeamRole.LEAD_PHYSICIAN, is_active=True)
                  .values_list("patient_id", flat=True))
    mine = list(_query().filter(recipients__practitioner=prac, recipients__acknowledged_at__isnull=True,
                                superseded_at__isnull=True).distinct())
    escalated = list(_query().filter(patient_id__in=lead_of, superseded_at__isnull=True,
                                     recipients__escalation_level__gte=2, recipients__acknowledged_at__isnull=True)
                     .exclude(pk__in=[u.pk for u in mine]).distinct())
    sent = list(_query().filter(author=prac, superseded_at__isnull=True)[:sent_limit])
    return Inbox(_urgent_first(_views(user, mine, prac, lead_of)), _urgent_first(_views(user, escalated, prac, lead_of)),
                 _views(user, sent, prac, lead_of))


def patient_updates(user, patient_id: int, *, limit: int = 50) -> list[UpdateView]:
    """The patient's updates, newest first (corrected versions included, marked)."""
    prac = practitioner_of(user)
    return _views(user, list(_query().filter(patient_id=patient_id)[:limit]), prac)


def update_view(user, update_id: int) -> UpdateView | None:
    u = _query().filter(pk=update_id).first()
    if u is None:
        return None
    return _views(user, [u], practitioner_of(user))[0]


def escalations(user, *, now: datetime) -> list[dict]:
    """Open recipients past their SLA, oldest deadline first: for staff to chase (no content)."""
    rows = (UpdateRecipient.objects.filter(open_recipients(), escalation_level__gte=1)
            .select_related("update__patient", "practitioner__discipline").order_by("update__due_at"))
    return [{"recipient": r, "update": r.update, "overdue": now - r.update.due_at} for r in rows]


def overdue(*, now: datetime) -> list[UpdateRecipient]:
    """Open recipients past their deadline (escalated or not yet reconciled)."""
    return list(UpdateRecipient.objects.filter(open_recipients(), update__due_at__lte=now)
                .select_related("update__patient", "practitioner__discipline").order_by("update__due_at"))


def day_list(user, day: date, tz) -> list[dict]:
    """The practitioner's appointments on a local day, each with the patient's unacknowledged
    updates routed to this practitioner (shown at the top of the row)."""
    prac = practitioner_of(user)
    if prac is None:
        return []
    start = datetime.combine(day, time(0), tzinfo=tz)
    appts = list(Appointment.objects.filter(practitioner=prac, status__in=ACTIVE_VALUES, start__gte=start,
                                            start__lt=start + timedelta(days=1))
                 .select_related("patient", "service", "room").order_by("start"))
    pending = list(_query().filter(patient_id__in={a.patient_id for a in appts}, recipients__practitioner=prac,
                                   recipients__acknowledged_at__isnull=True, superseded_at__isnull=True).distinct())
    views = _views(user, pending, prac)
    by_patient: dict[int, list[UpdateView]] = {}
    for v in _urgent_first(views):
        by_patient.setdefault(v.update.patient_id, []).append(v)
    return [{"appointment": a, "updates": by_patient.get(a.patient_id, [])} for a in appts]


@dataclass(frozen=True)
class DisciplineMeasure:
    discipline: str
    acknowledged: int
    median_hours: float | None
    within_sla: int

    @property
    def share_within_sla(self) -> float | None:
        return self.within_sla / self.acknowledged if self.acknowledged else None


def coordination_measures(*, since: datetime, until: datetime) -> dict:
    """Median hours to acknowledge per discipline, the share acknowledged within SLA (of those
    acknowledged), and totals, over updates created in ``[since, until)``."""
    rows = (UpdateRecipient.objects.filter(update__created_at__gte=since, update__created_at__lt=until)
            .select_related("update", "practitioner__discipline"))
    by: dict[str, list[tuple[float, bool]]] = {}
    pending = 0
    for r in rows:
        if r.acknowledged_at is None:
            if r.update.superseded_at is None:
                pending += 1
            continue
        hours = (r.acknowledged_at - r.update.created_at).total_seconds() / 3600
        by.setdefault(r.practitioner.discipline.name, []).append((hours, r.acknowledged_at <= r.update.due_at))
    per = [DisciplineMeasure(d, len(v), round(median(h for h, _ in v), 1), sum(1 for _, ok in v if ok))
           for d, v in sorted(by.items())]
    total = sum(m.acknowledged for m in per)
    within = sum(m.within_sla for m in per)
    all_hours = [h for v in by.values() for h, _ in v]
    return {"by_discipline": per, "acknowledged": total, "within_sla": within, "pending": pending,
            "share_within_sla": (within / total) if total else None,
            "median_hours": round(median(all_hours), 1) if all_hours else None}


def recent_window(now: datetime, days: int = 90) -> tuple[datetime, datetime]:
    return now - timedelta(days=days), now + timedelta(seconds=1)
