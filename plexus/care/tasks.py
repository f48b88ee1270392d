"""Periodic care-team work for the Huey worker."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from plexus.care.survey import reconcile_surveys
from plexus.care.updates import reconcile_escalations


@db_periodic_task(crontab(minute="*"))
def escalations_reconciler() -> int:
    """Flag updates unacknowledged past their SLA, then tell the lead physician (idempotent)."""
    return reconcile_escalations(now=timezone.now())


@db_periodic_task(crontab(minute="7"))
def surveys_reconciler() -> int:
    """Send the care-coordination survey to patients who just reached their Nth completed visit."""
    return reconcile_surveys(now=timezone.now())
