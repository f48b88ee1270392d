"""Derived billing work, reconciled rather than triggered (DESIGN.md §2): each function asks "what
should exist now?", creates what is missing, and is safe to run any number of times."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from plexus.billing.benefits import DEFAULT_SERVICE_TYPES
from plexus.billing.clearinghouse import Clearinghouse
from plexus.billing.models import CheckStatus, EligibilityCheck
from plexus.billing.services import eligibility_check_create, eligibility_checks_send
from plexus.core.audit import Actor
from plexus.core.models import CoverageCategory
from plexus.patients.models import Coverage, Priority
from plexus.scheduling.models import ACTIVE_VALUES, Appointment


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


ELIGIBILITY_DAYS_AHEAD = _env_int("PLEXUS_ELIGIBILITY_DAYS_AHEAD", 3)
ELIGIBILITY_FRESH_DAYS = _env_int("PLEXUS_ELIGIBILITY_FRESH_DAYS", 14)
BILLABLE = (CoverageCategory.INSURANCE, CoverageCategory.EITHER)


def visits_needing_eligibility(*, now: datetime, days_ahead: int, fresh_days: int) -> list[tuple[Coverage, date]]:
    """Return (primary coverage, first visit date) for each patient with an active, insurance-billable
    appointment starting in ``[now, now + days_ahead)`` whose primary coverage (active on that
    visit's local date) has no check created since ``now - fresh_days`` other than a failed one."""
    appts = (Appointment.objects.filter(status__in=ACTIVE_VALUES, start__gte=now, start__lt=now + timedelta(days=days_ahead),
                                        service__coverage_category__in=BILLABLE)
             .select_related("location").order_by("patient_id", "start"))
    first_visit: dict[int, date] = {}
    for appt in appts:
        first_visit.setdefault(appt.patient_id, appt.start.astimezone(ZoneInfo(appt.location.time_zone)).date())
    if not first_visit:
        return []
    recent = set(EligibilityCheck.objects.filter(
        patient_id__in=first_visit, created_at__gte=now - timedelta(days=fresh_days),
    ).exclude(status=CheckStatus.ERROR).values_list("coverage_id", flat=True))
    out: list[tuple[Coverage, date]] = []
    coverages = Coverage.objects.filter(patient_id__in=first_visit, priority=Priority.PRIMARY).select_related("payer")
    chosen: dict[int, Coverage] = {}
    for cov in coverages.order_by("patient_id", "-effective_date"):
        if cov.patient_id not in chosen and cov.is_active_on(first_visit[cov.patient_id]):
            chosen[cov.patient_id] = cov
    for patient_id, cov in sorted(chosen.items()):
        if cov.pk not in recent:
            out.append((cov, first_visit[patient_id]))
    return out


def reconcile_eligibility(
    *, now: datetime, days_ahead: int = ELIGIBILITY_DAYS_AHEAD, fresh_days: int = ELIGIBILITY_FRESH_DAYS,
    transport: Clearinghouse | None = None, service_types: Sequence[str] = DEFAULT_SERVICE_TYPES,
) -> int:
    """Queue and send one eligibility check per patient with an insurance-billable visit in the next
    ``days_ahead`` days, unless a recent one exists; return how many were sent. A second run finds
    nothing new (the first run's checks are recent)."""
    actor = Actor.system("worker")
    checks = [
        eligibility_check_create(actor=actor, patient=cov.patient, coverage_id=cov.pk, service_types=service_types,
                                 service_date=visit_day, created_at=now)
        for cov, visit_day in visits_needing_eligibility(now=now, days_ahead=days_ahead, fresh_days=fresh_days)
    ]
    if checks:
        eligibility_checks_send(actor=actor, checks=checks, transport=transport, now=now)
    return len(checks)
